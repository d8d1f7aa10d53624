/* fuzz_pubsub_key.c — libFuzzer target for a service-account key file
 * (brokers/pubsub_key.h: ob_pubsub_key_parse): any bytes are read or refused with one
 * line that names the file, leaving the key empty; what is read has the email and the
 * private key; and a refusal never quotes the private key (its value, read here with
 * the JSON reader, never stands in the message once it is 8 bytes or more). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pubsub_key.h"

/* The first "private_key" string member of a top-level object, into pem ("" if none). */
static void private_key_of(const char *data, size_t size, char *pem, size_t cap)
{
    ob_json j;
    char key[32];
    pem[0] = '\0';
    ob_json_init(&j, data, size);
    if (ob_json_object_begin(&j) != 0)
        return;
    while (ob_json_object_next(&j, key, sizeof key, NULL) > 0) {
        if (strcmp(key, "private_key") == 0 && ob_json_peek(&j) == OB_JSON_STRING) {
            if (ob_json_string(&j, pem, cap, NULL) != 0)
                pem[0] = '\0';
            return;
        }
        if (ob_json_skip(&j) != 0)
            return;
    }
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
        char *pem = malloc(size + 1);
        if (!pem)
            return 0;
        private_key_of((const char *)data, size, pem, size + 1);
        if (strlen(pem) >= 8 && strstr(err.msg, pem))
            abort();
        free(pem);
        return 0;
    }
    if (!k.email || !k.pem)
        abort();
    ob_pubsub_key_free(&k);
    if (k.email || k.pem || k.token_uri)
        abort();
    return 0;
}
