/* err.h — the error value every fallible outbreak function fills in.
 *
 * An ob_err carries one human-readable line ("what went wrong, with the address,
 * file:line:col or flag that caused it"). Functions return 0 on success and -1 on
 * failure after filling *err; err may be NULL when the caller does not care. */
#ifndef OB_ERR_H
#define OB_ERR_H

#include <stddef.h>

typedef struct ob_err {
    char msg[512];
} ob_err;

/* Formats the message into err (if not NULL) and returns -1, so that callers can write
 * `return ob_err_set(err, "bad %s", x);`. */
int ob_err_set(ob_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes an existing message: "prefix: old message". Returns -1. */
int ob_err_prefix(ob_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
