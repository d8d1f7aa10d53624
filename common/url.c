/* url.c — parsing of the broker and database URLs of url.h, and typed access to their
 * query options.
 *
 * Grammar: scheme "://" [user [":" pass] "@"] host [":" port] ("," host [":" port])*
 * ["/" path] ["?" query].
 * The userinfo ends at the last '@' before the first '/' or '?' (so an unescaped '@'
 * in a password still works); the authority ends at the first '/' or '?'. Spaces and
 * control characters are rejected anywhere.
 *
 * The password never appears in an error message: every message quotes the URL through
 * redact(), which masks it, and the values of secret-looking options ("password=",
 * "sasl_password=", "token=", ...), as "***"; pieces quoted beside the URL (a bad port,
 * an option name) go through piece(), which masks them if they overlap a secret. */
#include "url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- messages ---------------------------------------------------------------------- */

/* Where the password is in `text`, as [*b, *e): whatever follows the first ':' of the
 * userinfo. This works on text that failed to parse too, so it errs on the side of
 * masking: the userinfo is taken to end at the last '@' anywhere, even past a '/' or a
 * '?' (a password with an unescaped '/' or '?' must not leak through a parse error). */
static int secret_span(const char *text, size_t *b, size_t *e)
{
    const char *start = strstr(text, "://");
    start = start ? start + 3 : text;
    const char *at = strrchr(start, '@');
    if (!at)
        return 0;
    if (start == text) /* no "://": the userinfo starts after the last '/' */
        for (const char *p = text; p < at; p++)
            if (*p == '/')
                start = p + 1;
    const char *colon = memchr(start, ':', (size_t)(at - start));
    if (!colon)
        return 0;
    *b = (size_t)(colon + 1 - text);
    *e = (size_t)(at - text);
    return 1;
}

/* Appends s[0..len) to buf, escaping control bytes, '"' and '\'; stops at `max` bytes
 * of input (adding "...") or when buf is full. */
static size_t put_escaped(char *buf, size_t o, size_t cap, const char *s, size_t len, size_t max)
{
    size_t n = 0;
    for (; n < len && n < max && o + 8 < cap; n++) {
        unsigned char ch = (unsigned char)s[n];
        if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
        else
            buf[o++] = (char)ch;
    }
    if (n < len && o + 4 <= cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return o;
}

/* Whether an option name looks like it holds a secret ("password", "sasl_pass",
 * "token"...): its value is masked in messages too. */
static int secret_key(const char *k, size_t len)
{
    static const char *const words[] = {"pass", "pwd", "secret", "token", "credential",
                                        "apikey", "api_key", "api-key"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t wl = strlen(words[w]);
        for (size_t i = 0; i + wl <= len; i++)
            if (strncasecmp(k + i, words[w], wl) == 0)
                return 1;
    }
    return 0;
}

/* Appends n bytes to the first 201 bytes of a masked URL, counting all of them. */
static void emit(char *tmp, size_t *t, size_t *total, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, (*total)++)
        if (*t < 201)
            tmp[(*t)++] = s[i];
}

/* The URL for a message, escaped and cut at 200 bytes, with "***" in place of the
 * password and of the values of secret-looking options. */
static const char *redact(const char *text, char *buf, size_t cap)
{
    char tmp[208];
    size_t t = 0, total = 0, b = 0, e = 0, len = strlen(text);
    int has = secret_span(text, &b, &e);
    const char *scheme_end = strstr(text, "://");
    const char *q = strchr(has ? text + e : scheme_end ? scheme_end + 3 : text, '?');
    size_t qpos = q ? (size_t)(q - text) : len;
    for (size_t i = 0; i < len; i++) {
        if (has && i == b) {
            emit(tmp, &t, &total, "***", 3);
            has = 0;
            if (e > b) { /* else the password is empty: go on with the '@' */
                i = e - 1;
                continue;
            }
        }
        if (i > qpos && (i - 1 == qpos || text[i - 1] == '&')) {
            size_t end = i + strcspn(text + i, "&");
            const char *eq = memchr(text + i, '=', end - i);
            if (eq && secret_key(text + i, (size_t)(eq - (text + i)))) {
                emit(tmp, &t, &total, text + i, (size_t)(eq + 1 - (text + i)));
                emit(tmp, &t, &total, "***", 3);
                i = end - 1;
                continue;
            }
        }
        emit(tmp, &t, &total, text + i, 1);
    }
    put_escaped(buf, 0, cap, tmp, total, 200);
    return buf;
}

const char *ob_url_redacted(const char *text, char *buf, size_t cap)
{
    return redact(text, buf, cap);
}

/* A piece of a URL (host, port, option name...) for a message, or "***" if it could be
 * part of the password: if it occurs in `text` overlapping the password's span, or
 * contains or is contained in the decoded `pass`. */
static const char *piece(const char *text, const char *pass, const char *s, size_t len,
                         char *buf, size_t cap)
{
    size_t b, e, tlen = strlen(text);
    int secret = 0;
    if (len > 0 && secret_span(text, &b, &e))
        for (const char *o = text; !secret && (o = memmem(o, tlen - (size_t)(o - text), s, len));
             o++)
            secret = (size_t)(o - text) < e && (size_t)(o - text) + len > b;
    if (len > 0 && pass && *pass &&
        (memmem(pass, strlen(pass), s, len) || memmem(s, len, pass, strlen(pass))))
        secret = 1;
    if (secret) {
        snprintf(buf, cap, "***");
        return buf;
    }
    put_escaped(buf, 0, cap, s, len, 64);
    return buf;
}

#define URL_CAP 512

static int url_error(ob_err *err, const char *text, const char *what)
{
    char u[URL_CAP];
    return ob_err_set(err, "invalid URL \"%s\": %s", redact(text, u, sizeof u), what);
}

/* ---- parsing ----------------------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum { DECODE = 1, SECRET = 2 };

/* A malloc'd copy of s[0..len) with %XX escapes decoded (with DECODE); NULL with err
 * set on a bad escape or OOM. `what` names the component for the message, which does
 * not quote the bad escape of a SECRET component. */
static char *component(const char *text, const char *s, size_t len, int flags,
                       const char *what, ob_err *err)
{
    char *out = malloc(len + 1);
    if (!out) {
        url_error(err, text, "out of memory");
        return NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if ((flags & DECODE) && s[i] == '%') {
            int hi = i + 1 < len ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
            char msg[160], ex[64];
            if (hi < 0 || lo < 0) {
                if (flags & SECRET)
                    snprintf(msg, sizeof msg, "invalid percent-escape in the %s", what);
                else
                    snprintf(msg, sizeof msg, "invalid percent-escape \"%s\" in the %s",
                             piece(text, NULL, s + i, len - i < 3 ? len - i : 3, ex, sizeof ex),
                             what);
                url_error(err, text, msg);
                free(out);
                return NULL;
            }
            if (hi == 0 && lo == 0) {
                snprintf(msg, sizeof msg, "%%00 (a NUL byte) is not allowed in the %s", what);
                url_error(err, text, msg);
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int parse_host(const char *text, const char *s, size_t len, ob_url *url, ob_err *err)
{
    const char *end = s + len, *h = s, *port = NULL;
    size_t hlen;
    char msg[200], ex[96];
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return url_error(err, text, "missing ']' after the IPv6 address");
        h = s + 1;
        hlen = (size_t)(close - h);
        if (hlen == 0)
            return url_error(err, text, "empty IPv6 address in brackets");
        for (size_t i = 0; i < hlen; i++)
            if (!(hexval(h[i]) >= 0 || h[i] == ':' || h[i] == '.'))
                return url_error(err, text, "an IPv6 address in brackets may hold only hex "
                                            "digits, ':' and '.'");
        if (!memchr(h, ':', hlen))
            return url_error(err, text, "brackets are for IPv6 addresses only");
        if (close + 1 < end) {
            if (close[1] != ':')
                return url_error(err, text, "expected ':' or the end after ']'");
            port = close + 1;
        }
    } else {
        const char *colon = memchr(s, ':', len);
        hlen = colon ? (size_t)(colon - s) : len;
        if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
            return url_error(err, text, "an IPv6 address must be in brackets, as in [::1]:4222");
        port = colon;
        for (size_t i = 0; i < hlen; i++)
            if (!(is_alpha(s[i]) || is_digit(s[i]) || s[i] == '-' || s[i] == '.' || s[i] == '_')) {
                snprintf(msg, sizeof msg, "invalid character in host \"%s\"",
                         piece(text, url->pass, s, hlen, ex, sizeof ex));
                return url_error(err, text, msg);
            }
    }
    if (hlen == 0)
        return url_error(err, text, "missing host");
    if (port) {
        const char *p = port + 1;
        long v = 0;
        if (p == end)
            return url_error(err, text, "empty port after ':'");
        for (const char *c = p; c < end; c++) {
            if (!is_digit(*c)) {
                snprintf(msg, sizeof msg, "invalid port \"%s\" (expected 1-65535)",
                         piece(text, url->pass, p, (size_t)(end - p), ex, sizeof ex));
                return url_error(err, text, msg);
            }
            if (v <= 65535)
                v = v * 10 + (*c - '0');
        }
        if (v < 1 || v > 65535) {
            snprintf(msg, sizeof msg, "port %s out of range (1-65535)",
                     piece(text, url->pass, p, (size_t)(end - p), ex, sizeof ex));
            return url_error(err, text, msg);
        }
        url->port = (int)v;
    }
    url->host = component(text, h, hlen, 0, "host", err);
    return url->host ? 0 : -1;
}

static int parse_query(const char *text, const char *q, ob_url *url, ob_err *err)
{
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        if (len > 0) {
            if (url->nparams == OB_URL_MAX_PARAMS) {
                char msg[64];
                snprintf(msg, sizeof msg, "too many options (at most %d)", OB_URL_MAX_PARAMS);
                return url_error(err, text, msg);
            }
            const char *eq = memchr(q, '=', len);
            size_t klen = eq ? (size_t)(eq - q) : len;
            if (klen == 0)
                return url_error(err, text, "an option has an empty name");
            ob_url_param *p = &url->params[url->nparams];
            p->key = component(text, q, klen, DECODE, "option name", err);
            if (!p->key)
                return -1;
            url->nparams++; /* so that ob_url_free frees the key if the value fails */
            int secret = secret_key(p->key, strlen(p->key)) ? SECRET : 0;
            p->value = eq ? component(text, eq + 1, len - klen - 1, DECODE | secret,
                                      "option value", err)
                          : component(text, "", 0, 0, "option value", err);
            if (!p->value)
                return -1;
        }
        q += len + (amp ? 1 : 0);
    }
    return 0;
}

int ob_url_parse(const char *text, ob_url *url, ob_err *err)
{
    memset(url, 0, sizeof *url);
    if (!text || !*text)
        return ob_err_set(err, "invalid URL \"\": empty");
    for (const char *p = text; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return url_error(err, text,
                             *p == ' ' ? "contains a space" : "contains a control character");
    const char *sep = strstr(text, "://");
    if (!sep)
        return url_error(err, text, "missing \"://\"");
    if (sep == text)
        return url_error(err, text, "missing scheme before \"://\"");
    if (!is_alpha(text[0]))
        return url_error(err, text, "the scheme must start with a letter");
    for (const char *p = text; p < sep; p++)
        if (!(is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-' || *p == '.'))
            return url_error(err, text,
                             "the scheme may hold only letters, digits, '+', '-' and '.'");

    if (!(url->text = strdup(text)) || !(url->scheme = strndup(text, (size_t)(sep - text)))) {
        url_error(err, text, "out of memory");
        goto fail;
    }
    for (char *p = url->scheme; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');

    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/?");
    const char *host = auth;
    const char *at = NULL;
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            at = p;
    if (at) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        size_t ulen = colon ? (size_t)(colon - auth) : (size_t)(at - auth);
        if (!(url->user = component(text, auth, ulen, DECODE, "user name", err)))
            goto fail;
        if (colon && !(url->pass = component(text, colon + 1, (size_t)(at - colon - 1),
                                             DECODE | SECRET, "password", err)))
            goto fail;
        host = at + 1;
    }
    /* a comma-separated list of hosts (Kafka's bootstrap servers): host and port are the
     * first; every one must be well formed */
    const char *hend = auth + alen;
    const char *comma = memchr(host, ',', (size_t)(hend - host));
    if (parse_host(text, host, (size_t)((comma ? comma : hend) - host), url, err) != 0)
        goto fail;
    if (comma) {
        for (const char *h = comma + 1;;) {
            const char *next = memchr(h, ',', (size_t)(hend - h));
            ob_url other = {0};
            int rc = parse_host(text, h, (size_t)((next ? next : hend) - h), &other, err);
            free(other.host);
            if (rc != 0)
                goto fail;
            if (!next)
                break;
            h = next + 1;
        }
        if (!(url->hosts = strndup(host, (size_t)(hend - host)))) {
            url_error(err, text, "out of memory");
            goto fail;
        }
    }

    const char *rest = auth + alen;
    size_t plen = 0;
    if (*rest == '/') {
        rest++;
        plen = strcspn(rest, "?");
    }
    if (!(url->path = component(text, rest, plen, DECODE, "path", err)))
        goto fail;
    rest += plen;
    if (*rest == '?' && parse_query(text, rest + 1, url, err) != 0)
        goto fail;
    return 0;
fail:
    ob_url_free(url);
    return -1;
}

void ob_url_free(ob_url *url)
{
    if (!url)
        return;
    free(url->text);
    free(url->hosts);
    free(url->scheme);
    free(url->user);
    if (url->pass) {
        /* Do not leave the secret lying in freed memory. */
        memset(url->pass, 0, strlen(url->pass));
        free(url->pass);
    }
    free(url->host);
    free(url->path);
    for (int i = 0; i < url->nparams; i++) {
        free(url->params[i].key);
        free(url->params[i].value);
    }
    memset(url, 0, sizeof *url);
}

/* ---- options ----------------------------------------------------------------------- */

const char *ob_url_param_str(const ob_url *url, const char *key, const char *def)
{
    for (int i = url->nparams; i-- > 0;)
        if (strcmp(url->params[i].key, key) == 0)
            return url->params[i].value;
    return def;
}

static int option_error(ob_err *err, const ob_url *url, const char *key, const char *value,
                        const char *expected)
{
    char u[URL_CAP], k[160], v[160];
    if (secret_key(key, strlen(key)))
        snprintf(v, sizeof v, "***");
    return ob_err_set(err, "invalid value \"%s\" for option \"%s\" in URL %s: expected %s",
                      secret_key(key, strlen(key))
                          ? v
                          : piece(url->text, url->pass, value, strlen(value), v, sizeof v),
                      piece(url->text, url->pass, key, strlen(key), k, sizeof k),
                      redact(url->text, u, sizeof u), expected);
}

int ob_url_param_bool(const ob_url *url, const char *key, bool def, bool *out, ob_err *err)
{
    static const char *const yes[] = {"", "1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    const char *v = ob_url_param_str(url, key, NULL);
    if (!v) {
        *out = def;
        return 0;
    }
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    return option_error(err, url, key, v, "true/false, yes/no, on/off or 1/0");
}

int ob_url_param_int(const ob_url *url, const char *key, long def, long min, long max, long *out,
                     ob_err *err)
{
    const char *v = ob_url_param_str(url, key, NULL);
    if (!v) {
        *out = def;
        return 0;
    }
    char expected[96];
    snprintf(expected, sizeof expected, "an integer from %ld to %ld", min, max);
    const char *p = v + (*v == '-' || *v == '+');
    if (!is_digit(*p))
        return option_error(err, url, key, v, expected);
    errno = 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end != '\0' || errno == ERANGE || n < min || n > max)
        return option_error(err, url, key, v, expected);
    *out = n;
    return 0;
}

int ob_url_check_params(const ob_url *url, const char *const *known, ob_err *err)
{
    for (int i = 0; i < url->nparams; i++) {
        const char *key = url->params[i].key;
        int found = 0;
        for (int j = 0; known && known[j] && !found; j++) {
            size_t n = strlen(known[j]);
            /* "rdkafka.*" stands for every key with the prefix "rdkafka." */
            if (n >= 2 && strcmp(known[j] + n - 2, ".*") == 0)
                found = strncmp(known[j], key, n - 1) == 0 && key[n - 1] != '\0';
            else
                found = strcmp(known[j], key) == 0;
        }
        if (found)
            continue;
        char list[256], u[URL_CAP], k[160];
        size_t o = 0;
        list[0] = '\0';
        for (int j = 0; known && known[j] && o < sizeof list; j++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "", known[j]);
        return ob_err_set(err, "unknown option \"%s\" in URL %s (known: %s)",
                          piece(url->text, url->pass, key, strlen(key), k, sizeof k),
                          redact(url->text, u, sizeof u),
                          known && known[0] ? list : "none");
    }
    return 0;
}

const char *ob_url_hostport(const ob_url *url, int defport, char *buf, int cap)
{
    if (!buf || cap <= 0)
        return buf;
    int port = url->port ? url->port : defport;
    const char *host = url->host ? url->host : "";
    int v6 = strchr(host, ':') != NULL;
    if (port > 0)
        snprintf(buf, (size_t)cap, v6 ? "[%s]:%d" : "%s:%d", host, port);
    else
        snprintf(buf, (size_t)cap, v6 ? "[%s]" : "%s", host);
    return buf;
}

int ob_option_copy(const char *who, const char *v, const char *key, char *dst, size_t cap,
                   bool may_be_empty, ob_err *err)
{
    size_t n = strlen(v);
    if ((!may_be_empty && n == 0) || n >= cap)
        return ob_err_set(err, "%s: option %s must be %s..%zu characters", who, key,
                          may_be_empty ? "0" : "1", cap - 1);
    memcpy(dst, v, n + 1);
    return 0;
}

int ob_option_choice(const char *who, const char *v, const char *key, const char *const *allowed,
                     ob_err *err)
{
    for (int i = 0; allowed[i]; i++)
        if (strcmp(v, allowed[i]) == 0)
            return 0;
    char list[128] = "";
    for (int i = 0; allowed[i]; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", allowed[i]);
    return ob_err_set(err, "%s: option %s must be one of %s, not \"%s\"", who, key, list, v);
}
