/* fuzz_pubsub_token.c — libFuzzer target for what the Pub/Sub credentials read from a
 * token endpoint (brokers/pubsub_key.h): any bytes, read as a token response, give a
 * token (non-empty, with an expiry in range) or a refusal of one line that never quotes
 * the access token (its value, read here with the JSON reader, never stands in the
 * message); read as an error body, one line that fits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "member.h"
#include "pubsub_key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *body = (const char *)data;
    char *token = NULL;
    int64_t expires_in = 0;
    ob_err err = {0};
    if (ob_pubsub_token_parse(body, size, &token, &expires_in, &err) == 0) {
        if (!token || !token[0] || expires_in < 0 || expires_in > INT32_MAX)
            abort();
        free(token);
    } else {
        if (token || !err.msg[0] || strchr(err.msg, '\n') || strchr(err.msg, '\r'))
            abort();
        char *value = malloc(size + 1);
        if (!value)
            return 0;
        fuzz_string_member(body, size, "access_token", value, size + 1);
        /* the refusals are fixed words without digits: a token of 8 bytes or more with
         * a digit in it stands in one only if it was quoted */
        if (strlen(value) >= 8 && strpbrk(value, "0123456789") && strstr(err.msg, value))
            abort();
        free(value);
    }
    char line[128];
    memset(line, 'x', sizeof line);
    ob_pubsub_error_text(body, size, line, sizeof line);
    if (strlen(line) >= sizeof line)
        abort();
    for (const char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20)
            abort();
    return 0;
}
