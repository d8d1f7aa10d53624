/* fuzz_start_form.c — libFuzzer target for the web UI's start form
 * (ob_control_parse_start, live/control.h): the input is split into fields at '&' and
 * into name and value at the first '=' (no decoding: the values are what the HTTP
 * server's form parser hands over, newlines included). Any fields must be read or
 * refused with a usage error naming the field; what is read must be a test that can
 * run: 1 to 16 brokers, each a URL the adapters accept, users 1..1000000, a spawn rate
 * > 0, a rate >= 0, wait min <= max, threads >= 1 and no more than the users in the
 * closed model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "control.h"

#define MAX_FIELDS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0; /* a NUL inside ends the text, as it would end a C string value */
    ob_form_field fields[MAX_FIELDS];
    size_t n = 0;
    for (char *save = NULL, *part = strtok_r(text, "&", &save); part && n < MAX_FIELDS;
         part = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(part, '=');
        if (eq)
            *eq = 0;
        fields[n].name = part;
        fields[n].value = eq ? eq + 1 : "";
        n++;
    }
    ob_run_opts defaults;
    char *argv[] = {"run", "--headless"};
    ob_err err = {0};
    if (ob_run_opts_parse(&defaults, 2, argv, &err) != 0)
        abort();
    char *default_brokers[] = {"nats://127.0.0.1:4222"};
    static ob_start_form form;
    memset(&err, 0, sizeof err);
    if (ob_control_parse_start(&defaults, default_brokers, 1, fields, n, &form, &err) == 0) {
        const ob_run_opts *o = &form.opts;
        if (form.nurls < 1 || form.nurls > OB_CONTROL_MAX_BROKERS)
            abort();
        for (int i = 0; i < form.nurls; i++) {
            ob_err e2;
            if (ob_broker_check_url(form.urls[i], &e2) != 0)
                abort();
        }
        if (o->users < 1 || o->users > 1000000 || !(o->spawn_rate > 0) || !(o->rate >= 0) ||
            o->wait_min > o->wait_max || o->threads < 1 || (o->rate == 0 && o->threads > o->users) ||
            o->run_time_ns < 0 || !o->headless)
            abort();
    } else {
        static const char *const names[] = {"broker", "users", "spawn_rate", "rate", "run_time", "wait"};
        bool named = false;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            named |= strncmp(err.msg, names[i], strlen(names[i])) == 0;
        if (err.kind != OB_ERR_USAGE || !named)
            abort();
    }
    free(text);
    return 0;
}
