/* fuzz_nats_puback.c — libFuzzer target for what the NATS adapter reads from a
 * JetStream PubAck (brokers/nats.h: ob_nats_puback_error): any bytes give either
 * "stored" (NULL) or a reason that is one non-empty line, as the failure is counted and
 * printed under that text. */
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
    return 0;
}
