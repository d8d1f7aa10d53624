/* grpc_proto.c — compiles the protobuf-c code generated from proto/infected.proto into
 * the gRPC adapter, under the ob_pb_ names of grpc_proto.h. */
#include "grpc_proto.h"

#include "infected.pb-c.c"
