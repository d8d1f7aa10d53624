/* json.h — a small pull reader for JSON (RFC 8259), used by the record decoder and the
 * records file loader, and the string escaper their writers share.
 *
 * The reader walks a buffer in place: no allocation, no global state. The caller asks
 * for the value it expects next (object, array, string, integer, ...) and the reader
 * validates the grammar as it goes: control characters and bad escapes in strings,
 * lone surrogates, invalid UTF-8, leading zeros, nesting deeper than OB_JSON_MAX_DEPTH.
 * It counts lines as it skips whitespace (the only place a raw newline may appear), so
 * the first error is recorded with a 1-based line and column (in bytes) at almost no
 * cost; ob_json_err formats it as "line L, column C: msg" or "NAME:L:C: msg".
 *
 *   ob_json j;
 *   ob_json_init(&j, buf, len);
 *   if (ob_json_object_begin(&j) < 0) ...
 *   char key[32]; size_t klen; int rc;
 *   while ((rc = ob_json_object_next(&j, key, sizeof key, &klen)) > 0)
 *       ... read or ob_json_skip() the value ...
 *   if (rc < 0 || !ob_json_at_end(&j)) ...
 *
 * Every function returning int returns -1 on error (and keeps returning -1 afterwards:
 * the first error sticks). */
#ifndef OB_JSON_H
#define OB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

#define OB_JSON_MAX_DEPTH 64

typedef enum ob_json_type {
    OB_JSON_END = 0, /* only whitespace left */
    OB_JSON_INVALID, /* a character that cannot start a value */
    OB_JSON_OBJECT,
    OB_JSON_ARRAY,
    OB_JSON_STRING,
    OB_JSON_NUMBER,
    OB_JSON_TRUE,
    OB_JSON_FALSE,
    OB_JSON_NULL,
} ob_json_type;

typedef struct ob_json_pos {
    int line, col; /* 1-based; col counts bytes */
} ob_json_pos;

typedef struct ob_json {
    const char *p, *end;    /* next unread byte, end of input */
    const char *line_start; /* first byte of the current line */
    int line;
    int depth;         /* open objects and arrays */
    uint64_t started;  /* bit d-1: the container at depth d has had a member */
    uint64_t arrays;   /* bit d-1: the container at depth d is an array */
    bool failed;
    ob_json_pos err_pos;
    char msg[200];
} ob_json;

/* Starts reading buf[0..len). buf need not be NUL-terminated; NULL reads as empty. */
void ob_json_init(ob_json *j, const char *buf, size_t len);

/* Skips whitespace and tells what the next value is from its first character (the
 * value is validated only when it is read). */
ob_json_type ob_json_peek(ob_json *j);
/* Where the next unread byte is (call after ob_json_peek to point at a value). */
ob_json_pos ob_json_where(const ob_json *j);
/* Skips whitespace; true if the input is exhausted. */
bool ob_json_at_end(ob_json *j);
/* Skips spaces, tabs and CRs; true if the next byte is a newline or the end of input
 * (the newline is not consumed). For line-oriented formats such as NDJSON. */
bool ob_json_at_eol(ob_json *j);

/* Consumes '{' / '['. Fails past OB_JSON_MAX_DEPTH. */
int ob_json_object_begin(ob_json *j);
int ob_json_array_begin(ob_json *j);
/* Moves to the next member of the innermost object: returns 1 with the key decoded into
 * key (as ob_json_string does) and the ':' consumed, so the value is next; 0 when the
 * '}' has been consumed; -1 on error. */
int ob_json_object_next(ob_json *j, char *key, size_t cap, size_t *len);
/* Moves to the next element of the innermost array: 1 if a value follows, 0 when the
 * ']' has been consumed, -1 on error. */
int ob_json_array_next(ob_json *j);

/* Reads a string into buf as NUL-terminated UTF-8 (escapes decoded, \uXXXX surrogate
 * pairs joined). *len (may be NULL) gets the full decoded length; if it is >= cap the
 * string did not fit and buf holds a prefix, cut between two characters (never inside
 * one: the prefix is valid UTF-8; the caller decides whether a cut is an error). "\u0000" is rejected: the result is a C string. */
int ob_json_string(ob_json *j, char *buf, size_t cap, size_t *len);
/* Reads a number that must be an integer (no fraction or exponent) in [min, max]. */
int ob_json_int64(ob_json *j, int64_t min, int64_t max, int64_t *out);
int ob_json_uint64(ob_json *j, uint64_t max, uint64_t *out);
/* Reads any number (strtod of the validated token; assumes the "C" locale). */
int ob_json_double(ob_json *j, double *out);
int ob_json_bool(ob_json *j, bool *out);
int ob_json_null(ob_json *j);
/* Skips (and validates) one value of any type. */
int ob_json_skip(ob_json *j);

/* Writes s as a JSON string literal, quotes included, into buf[0..cap): '"' and '\\'
 * escaped, control characters as \u00XX, whole UTF-8 characters as they are, and a byte
 * that starts none (a string cut inside a character, or not UTF-8) as \ufffd, so what is
 * written is always valid JSON (ob_jw and ob_json_put_string write the same). Returns the
 * length written (a NUL follows it), or -1 if cap is too small: buf then holds "" (a
 * terminated empty string, never a cut literal). For fixed buffers on hot paths (the
 * record encoder); everything else writes through ob_jw. */
int ob_json_write_string(char *buf, size_t cap, const char *s);

/* Copies the text src (UTF-8; NULL: "") into dst[0..cap) as snprintf(dst, cap, "%s")
 * does, except that a cut falls between two characters, never inside one. */
void ob_utf8_copy(char *dst, size_t cap, const char *src);

/* Whether the C string s is valid UTF-8 (what the reader accepts in a string). */
bool ob_utf8_valid(const char *s);

/* ---- the writer: every JSON document outbreak emits goes through it ----
 *
 * ob_jw writes one JSON value to a FILE (a file, stdout, or open_memstream for a
 * string), keeping track of nesting and commas, escaping every string with the rules
 * above. Nothing is ever cut: the output is complete JSON unless a write failed, which
 * ob_jw_status reports. Numbers that are not finite are written as null.
 *
 *   ob_jw w;
 *   ob_jw_init(&w, f);
 *   ob_jw_object(&w);
 *   ob_jw_key(&w, "mode"); ob_jw_str(&w, "jetstream");
 *   ob_jw_key(&w, "replicas"); ob_jw_int(&w, 1);
 *   ob_jw_end(&w);
 *   if (ob_jw_status(&w) != 0) ...                                                    */
typedef struct ob_jw {
    FILE *f;
    int depth;
    uint64_t has_member; /* bit d-1: the container at depth d has a member already */
    uint64_t arrays;     /* bit d-1: the container at depth d is an array */
    bool after_key;      /* a key was written: the value needs no comma */
    bool failed;
} ob_jw;

void ob_jw_init(ob_jw *w, FILE *f);
void ob_jw_object(ob_jw *w);
void ob_jw_array(ob_jw *w);
/* Closes the innermost object or array. */
void ob_jw_end(ob_jw *w);
/* The key of the next member of the innermost object. */
void ob_jw_key(ob_jw *w, const char *key);
/* A string; NULL writes null. */
void ob_jw_str(ob_jw *w, const char *s);
void ob_jw_int(ob_jw *w, int64_t v);
/* %.*f with `decimals` digits; not finite: null. */
void ob_jw_num(ob_jw *w, double v, int decimals);
/* %.*g with `digits` significant digits; not finite: null. */
void ob_jw_numg(ob_jw *w, double v, int digits);
/* The shortest %g form that reads back the same double; not finite: null. */
void ob_jw_double(ob_jw *w, double v);
void ob_jw_bool(ob_jw *w, bool v);
void ob_jw_null(ob_jw *w);
/* A value that is JSON already (the caller vouches for it). */
void ob_jw_raw(ob_jw *w, const char *json, size_t len);
/* 0, or -1 if a write failed, the nesting was wrong or a container is still open. */
int ob_jw_status(const ob_jw *w);

/* Writes s as a JSON string literal to f. Returns 0 or -1 on a write error. */
int ob_json_put_string(FILE *f, const char *s);

/* Records an error at `at` unless one is already recorded. Returns -1. */
int ob_json_fail(ob_json *j, ob_json_pos at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes the recorded message ("prefix: msg"), keeping its position. Returns -1. */
int ob_json_prefix(ob_json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Formats the recorded error into err: "NAME:L:C: msg", or "line L, column C: msg" when
 * name is NULL. Returns -1. */
int ob_json_err(const ob_json *j, const char *name, ob_err *err);

#endif
