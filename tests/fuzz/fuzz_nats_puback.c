/* fuzz_nats_puback.c — libFuzzer target for what the NATS adapter reads from JetStream's
 * answers (brokers/nats.h): a PubAck (ob_nats_puback_error): any bytes give either
 * "stored" (NULL) or a reason that is one non-empty line, as the failure is counted and
 * printed under that text; and the stream names a core publisher asks for
 * (ob_nats_stream_names): one line within its buffer, empty when none was read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[256];
    memset(why, 'x', sizeof why);
    const char *error = ob_nats_puback_error((const char *)data, size, why, sizeof why);
    if (error && (!error[0] || strlen(error) >= sizeof why || strchr(error, '\n') || strchr(error, '\r')))
        abort();
    char names[64];
    memset(names, 'x', sizeof names);
    int n = ob_nats_stream_names((const char *)data, size, names, sizeof names);
    size_t len = strnlen(names, sizeof names);
    if (n < 0 || len == sizeof names || strchr(names, '\n') || strchr(names, '\r') || (n == 0 && len))
        abort();
    return 0;
}
