/* fuzz_pubsub_key.c — libFuzzer target for a service-account key file
 * (brokers/pubsub_key.h: ob_pubsub_key_parse): any bytes are read or refused with one
 * line that names the file, leaving the key empty; what is read has the email and the
 * private key; and a refusal never quotes the private key (its value, read here with
 * the JSON reader, never stands in the message: see quotes_key). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "member.h"
#include "pubsub_key.h"

/* Whether a message that contains the private key pem quotes it: a key as long as a PEM
 * line's start, with a digit (so that no fixed word of a message is one), and not also
 * the type, which a refusal quotes and which is no secret. */
static bool quotes_key(const char *msg, const char *pem, const char *type)
{
    if (strlen(pem) < 16 || !strpbrk(pem, "0123456789") || strstr(type, pem))
        return false;
    return strstr(msg, pem) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ob_pubsub_key k;
    ob_err err = {0};
    if (ob_pubsub_key_parse(&k, "key.json", (const char *)data, size, &err) != 0) {
        if (strncmp(err.msg, "key file key.json", 17) != 0 || strchr(err.msg, '\n') || strchr(err.msg, '\r'))
            abort();
        if (k.email || k.pem || k.token_uri)
            abort();
        char *pem = malloc(size + 1), *type = malloc(size + 1);
        if (pem && type) {
            fuzz_string_member((const char *)data, size, "private_key", pem, size + 1);
            fuzz_string_member((const char *)data, size, "type", type, size + 1);
            if (quotes_key(err.msg, pem, type))
                abort();
        }
        free(pem);
        free(type);
        return 0;
    }
    if (!k.email || !k.pem)
        abort();
    ob_pubsub_key_free(&k);
    if (k.email || k.pem || k.token_uri)
        abort();
    return 0;
}
