/* per_second.c — records persisted per wall-clock second (see per_second.h). */
#include "per_second.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Makes room for second `sec`: grows at the end or shifts the counts to start earlier. */
static int reserve(ob_per_second *p, int64_t sec)
{
    if (p->n == 0) {
        p->first = sec;
    }
    int64_t last = p->n ? p->first + (int64_t)p->n - 1 : sec;
    int64_t lo = sec < p->first ? sec : p->first;
    int64_t hi = sec > last ? sec : last;
    if (hi - lo + 1 > OB_PER_SECOND_MAX_SPAN)
        return -1;
    size_t need = (size_t)(hi - lo + 1);
    if (need > p->cap) {
        size_t cap = p->cap ? p->cap : 64;
        while (cap < need)
            cap *= 2;
        int64_t *c = realloc(p->count, cap * sizeof *c);
        if (!c)
            return -1;
        p->count = c;
        p->cap = cap;
    }
    if (lo < p->first && p->n > 0) {
        size_t shift = (size_t)(p->first - lo);
        memmove(p->count + shift, p->count, p->n * sizeof *p->count);
        memset(p->count, 0, shift * sizeof *p->count);
        p->n += shift;
    }
    p->first = lo;
    if (need > p->n) {
        memset(p->count + p->n, 0, (need - p->n) * sizeof *p->count);
        p->n = need;
    }
    return 0;
}

int ob_per_second_add(ob_per_second *p, int64_t sec, int64_t k)
{
    if (reserve(p, sec) != 0)
        return -1;
    p->count[sec - p->first] += k;
    return 0;
}

int64_t ob_per_second_get(const ob_per_second *p, int64_t sec)
{
    if (p->n == 0 || sec < p->first || sec >= p->first + (int64_t)p->n)
        return 0;
    return p->count[sec - p->first];
}

char *ob_per_second_encode(const ob_per_second *p)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    if (p->n > 0) {
        fprintf(f, "%" PRId64 ":", p->first);
        for (size_t i = 0; i < p->n; i++)
            fprintf(f, "%s%" PRId64, i ? "," : "", p->count[i]);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* A decimal integer in [min, max] at *s, advancing *s past it. */
static int read_int(const char **s, int64_t min, int64_t max, int64_t *out)
{
    if (**s != '-' && (**s < '0' || **s > '9'))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(*s, &end, 10);
    if (errno || end == *s || v < min || v > max)
        return -1;
    *s = end;
    *out = v;
    return 0;
}

int ob_per_second_decode_add(ob_per_second *p, const char *text, ob_err *err)
{
    if (!*text)
        return 0;
    const char *s = text;
    int64_t sec;
    if (read_int(&s, 0, INT64_MAX / 2, &sec) != 0 || *s++ != ':')
        return ob_err_set(err, "per-second counts: expected \"SECOND:COUNT,...\", not a text of %zu "
                          "bytes starting otherwise", strlen(text));
    for (;;) {
        int64_t k;
        if (read_int(&s, 0, INT64_MAX / 4, &k) != 0)
            return ob_err_set(err, "per-second counts: a count expected at offset %td", s - text);
        if (k > 0 && ob_per_second_add(p, sec, k) != 0)
            return ob_err_set(err, "per-second counts: second %" PRId64 " is too far from the others "
                              "(or out of memory)", sec);
        sec++;
        if (*s == '\0')
            return 0;
        if (*s++ != ',')
            return ob_err_set(err, "per-second counts: ',' expected at offset %td", s - 1 - text);
    }
}

void ob_per_second_free(ob_per_second *p)
{
    if (!p)
        return;
    free(p->count);
    memset(p, 0, sizeof *p);
}
