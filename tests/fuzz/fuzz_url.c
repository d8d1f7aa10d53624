/* fuzz_url.c — libFuzzer target for the URL parser: any bytes must parse or fail with a
 * one-line message; a parsed URL must satisfy its contract, its options must be readable
 * through every accessor, and a parse failure must leave the URL zeroed. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstring.h"
#include "url.h"

static void check_msg(const ob_err *err)
{
    if (err->msg[0] == '\0' || strchr(err->msg, '\n'))
        abort(); /* a failure always says why, on one line */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    if (!text)
        return 0;

    ob_url url;
    ob_err err = {0};
    if (ob_url_parse(text, &url, &err) != 0) {
        check_msg(&err);
        if (url.text || url.scheme || url.host || url.path || url.nparams)
            abort();
        free(text);
        return 0;
    }
    if (strcmp(url.text, text) != 0 || !url.scheme || !url.host || !url.host[0] || !url.path ||
        url.port < 0 || url.port > 65535 || url.nparams < 0 || url.nparams > OB_URL_MAX_PARAMS ||
        (url.pass && !url.user))
        abort();
    for (const char *p = url.scheme; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            abort();

    static const char *const known[] = {"jetstream", "subject", "stream", NULL};
    err.msg[0] = '\0';
    if (ob_url_check_params(&url, known, &err) != 0)
        check_msg(&err);
    for (int i = 0; i < url.nparams; i++) {
        const char *key = url.params[i].key;
        if (!key || !url.params[i].value || !ob_url_param_str(&url, key, NULL))
            abort();
        bool b;
        long n;
        err.msg[0] = '\0';
        if (ob_url_param_bool(&url, key, false, &b, &err) != 0)
            check_msg(&err);
        err.msg[0] = '\0';
        if (ob_url_param_int(&url, key, 0, -1000, 1000, &n, &err) != 0)
            check_msg(&err);
        else if (n < -1000 || n > 1000)
            abort();
    }
    char buf[64];
    ob_url_hostport(&url, 4222, buf, sizeof buf);
    if (strlen(buf) >= sizeof buf)
        abort();
    ob_url_free(&url);
    free(text);
    return 0;
}
