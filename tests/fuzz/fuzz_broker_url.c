/* fuzz_broker_url.c — libFuzzer target for the broker URL check every command runs
 * before connecting (ob_broker_check_url): the URL parser, each adapter's option
 * checks (RabbitMQ's, Kafka's, librdkafka's pass-through properties). Any bytes must be
 * accepted or refused with a one-line message, and never with a password in it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cstring.h"
#include "broker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    if (!text)
        return 0;
    /* librdkafka would load a plugin named in the URL: not from a fuzzer */
    if (strstr(text, "plugin")) {
        free(text);
        return 0;
    }
    ob_err err = {0};
    if (ob_broker_check_url(text, &err) != 0) {
        if (err.msg[0] == '\0' || strchr(err.msg, '\n'))
            abort(); /* a refusal says why, on one line */
        ob_url url;
        ob_err perr;
        if (ob_url_parse(text, &url, &perr) == 0) {
            /* the password never shows: not in the URL as written, not as ":pass@" */
            if (url.pass && *url.pass) {
                size_t n = strlen(url.pass) + 3;
                char *form = malloc(n);
                if (form) {
                    snprintf(form, n, ":%s@", url.pass);
                    if (strstr(err.msg, form) || strstr(err.msg, text))
                        abort();
                    free(form);
                }
            }
            ob_url_free(&url);
        }
    }
    free(text);
    return 0;
}
