/* err.c — formatting of ob_err messages, and what their kinds mean for exit and HTTP
 * status codes. */
#include "err.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void ob_text_one_line(char *s, char with)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = with;
}

/* One line whatever went into it: control characters (a newline in a quoted value, say)
 * become '?'. */
static void one_line(ob_err *err)
{
    ob_text_one_line(err->msg, '?');
}

int ob_err_set(ob_err *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->kind = OB_ERR_INTERNAL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    one_line(err);
    return -1;
}

int ob_err_setk(ob_err *err, ob_err_kind kind, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    one_line(err);
    return -1;
}

int ob_err_kind_set(ob_err *err, ob_err_kind kind)
{
    if (err)
        err->kind = kind;
    return -1;
}

const char *ob_err_kind_name(ob_err_kind kind)
{
    switch (kind) {
    case OB_ERR_USAGE: return "usage";
    case OB_ERR_UNAVAILABLE: return "unavailable";
    case OB_ERR_REJECTED: return "rejected";
    case OB_ERR_TIMEOUT: return "timeout";
    case OB_ERR_INTERNAL: break;
    }
    return "internal";
}

int ob_err_exit_code(const ob_err *err)
{
    return err && err->kind == OB_ERR_USAGE ? 2 : 1;
}

int ob_err_http_status(const ob_err *err)
{
    switch (err ? err->kind : OB_ERR_INTERNAL) {
    case OB_ERR_USAGE: return 400;
    case OB_ERR_UNAVAILABLE: return 503;
    case OB_ERR_REJECTED: return 502;
    case OB_ERR_TIMEOUT: return 504;
    case OB_ERR_INTERNAL: break;
    }
    return 500;
}

int ob_err_prefix(ob_err *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char prefix[256];
    char old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(prefix);
    if (n > sizeof err->msg - 3)
        n = sizeof err->msg - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t room = sizeof err->msg - n - 3;
    size_t m = strnlen(old, room);
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
    one_line(err);
    return -1;
}

void ob_err_hide(ob_err *err, const char *secret)
{
    if (!err || !secret || !*secret)
        return;
    size_t n = strlen(secret);
    char out[sizeof err->msg];
    size_t o = 0;
    bool hid = false;
    for (const char *p = err->msg; *p && o + 1 < sizeof out;) {
        if (strncmp(p, secret, n) == 0) {
            size_t k = o + 3 < sizeof out ? 3 : sizeof out - 1 - o;
            memcpy(out + o, "***", k);
            o += k;
            p += n;
            hid = true;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    if (hid)
        memcpy(err->msg, out, o + 1);
}
