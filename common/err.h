/* err.h — the error value every fallible outbreak function fills in.
 *
 * An ob_err carries a kind and one human-readable line ("what went wrong, with the
 * address, file:line:col or flag that caused it"). Functions return 0 on success and -1
 * on failure after filling *err; err may be NULL when the caller does not care. The
 * message is always one line: control characters in it become '?'. The kind
 * is what callers decide on: exit codes (usage 2, everything else 1) and HTTP status
 * codes (usage 400, unavailable 503, rejected 502, timeout 504, internal 500) derive
 * from it, never from the text. */
#ifndef OB_ERR_H
#define OB_ERR_H

#include <stddef.h>

typedef enum ob_err_kind {
    OB_ERR_INTERNAL = 0, /* a fault of ours or of the machine: out of memory, a write failed */
    OB_ERR_USAGE,        /* bad input from the user: flag, URL, option, file contents */
    OB_ERR_UNAVAILABLE,  /* a server cannot be reached or the connection was lost */
    OB_ERR_REJECTED,     /* a server answered no: refused record, denied, not found */
    OB_ERR_TIMEOUT,      /* no answer in time */
} ob_err_kind;

typedef struct ob_err {
    ob_err_kind kind;
    char msg[512];
} ob_err;

/* Formats the message into err (if not NULL), with kind OB_ERR_INTERNAL, and returns
 * -1, so that callers can write `return ob_err_set(err, "bad %s", x);`. */
int ob_err_set(ob_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same with a kind: `return ob_err_setk(err, OB_ERR_USAGE, "--rate: ...");`. */
int ob_err_setk(ob_err *err, ob_err_kind kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Changes the kind of an error already set (a layer that knows better: whatever went
 * wrong while checking a URL is a usage error). Returns -1. */
int ob_err_kind_set(ob_err *err, ob_err_kind kind);

/* Replaces each occurrence of `secret` (a password; nothing when NULL or empty) in the
 * message with "***": whatever a message quotes (an option's value, a server's words),
 * the password does not show. */
void ob_err_hide(ob_err *err, const char *secret);

/* "usage", "unavailable", "rejected", "timeout", "internal". */
const char *ob_err_kind_name(ob_err_kind kind);

/* The process exit status for an error: 2 for usage, 1 otherwise. */
int ob_err_exit_code(const ob_err *err);

/* The HTTP status for an error: 400, 503, 502, 504 or 500. */
int ob_err_http_status(const ob_err *err);

/* Makes the C string s one line in place: each control character (below 0x20, and 0x7f)
 * becomes `with`. The rule an ob_err message follows (with '?'), for a server's words
 * before they go into one (with ' '). */
void ob_text_one_line(char *s, char with);

/* Prefixes an existing message: "prefix: old message". Returns -1. */
int ob_err_prefix(ob_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
