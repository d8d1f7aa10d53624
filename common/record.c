/* record.c — the record's JSON codec (record.h) and its domain check.
 *
 * Encoding writes into the caller's buffer with hand-rolled integer formatting (the
 * metadata is encoded once per send); decoding reads the object in place with the
 * json.h reader, copying strings straight into the record's fixed-size fields. */
#include "record.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "generator.h"
#include "json.h"

/* ---- encoding ---- */

typedef struct out {
    char *p, *last; /* last: the byte kept for the NUL */
    bool full;
} out;

static void out_init(out *o, char *buf, size_t cap)
{
    o->p = buf;
    o->last = cap ? buf + cap - 1 : buf;
    o->full = cap == 0;
}

static inline void out_lit(out *o, const char *s, size_t n)
{
    if (o->full || (size_t)(o->last - o->p) < n) {
        o->full = true;
        return;
    }
    memcpy(o->p, s, n);
    o->p += n;
}

#define OUT_LIT(o, s) out_lit((o), (s), sizeof(s) - 1)

static void out_str(out *o, const char *s)
{
    if (o->full)
        return;
    int n = ob_json_write_string(o->p, (size_t)(o->last - o->p) + 1, s);
    if (n < 0)
        o->full = true;
    else
        o->p += n;
}

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

/* Two digits of v < 100, at p. */
static inline void put2(char *p, uint32_t v)
{
    memcpy(p, digit_pairs + v * 2, 2);
}

/* Exactly eight digits of v < 10^8 (leading zeros kept), at p: two halves of four
 * digits in 32-bit arithmetic, which the compiler turns into multiplications that do not
 * wait on each other. */
static inline void put8(char *p, uint32_t v)
{
    uint32_t hi = v / 10000, lo = v % 10000;
    put2(p, hi / 100);
    put2(p + 2, hi % 100);
    put2(p + 4, lo / 100);
    put2(p + 6, lo % 100);
}

/* The digits of v < 10^8 without leading zeros, ending at e; returns their start. */
static inline char *put_u32_back(char *e, uint32_t v)
{
    while (v >= 100) {
        e -= 2;
        put2(e, v % 100);
        v /= 100;
    }
    if (v >= 10) {
        e -= 2;
        put2(e, v);
    } else {
        *--e = (char)('0' + v);
    }
    return e;
}

/* Decimal digits of v (a sent_ns has 19): split into blocks of eight digits with at most
 * two 64-bit divisions, each block formatted in 32-bit arithmetic (see put8). */
static void out_u64(out *o, uint64_t v, bool neg)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *s;
    if (v < 100000000u) {
        s = put_u32_back(e, (uint32_t)v);
    } else {
        uint64_t top = v / 100000000u;
        put8(e - 8, (uint32_t)(v % 100000000u));
        if (top < 100000000u) {
            s = put_u32_back(e - 8, (uint32_t)top);
        } else {
            put8(e - 16, (uint32_t)(top % 100000000u));
            s = put_u32_back(e - 16, (uint32_t)(top / 100000000u));
        }
    }
    if (neg)
        *--s = '-';
    out_lit(o, s, (size_t)(e - s));
}

static void out_i64(out *o, int64_t v)
{
    if (v < 0)
        out_u64(o, (uint64_t)0 - (uint64_t)v, true);
    else
        out_u64(o, (uint64_t)v, false);
}

static int out_end(out *o, char *buf)
{
    if (o->full)
        return -1;
    *o->p = '\0';
    return (int)(o->p - buf);
}

int ob_record_encode_body(const ob_record *r, char *buf, size_t cap)
{
    out o;
    out_init(&o, buf, cap);
    OUT_LIT(&o, "{\"name\":");
    out_str(&o, r->name);
    OUT_LIT(&o, ",\"location\":");
    out_str(&o, r->location);
    OUT_LIT(&o, ",\"age\":");
    out_i64(&o, r->age);
    OUT_LIT(&o, ",\"infectedtype\":");
    out_str(&o, r->infectedtype);
    OUT_LIT(&o, ",\"state\":");
    out_str(&o, r->state);
    if (r->pad > 0) {
        OUT_LIT(&o, ",\"pad\":\"");
        if (!o.full && (size_t)(o.last - o.p) >= (size_t)r->pad + 1) {
            memset(o.p, 'x', r->pad);
            o.p += r->pad;
            OUT_LIT(&o, "\"");
        } else {
            o.full = true;
        }
    }
    return out_end(&o, buf);
}

int ob_record_meta_prefix(const char *run, uint32_t producer, char *buf, size_t cap)
{
    out o;
    out_init(&o, buf, cap);
    OUT_LIT(&o, ",\"run\":");
    out_str(&o, run);
    OUT_LIT(&o, ",\"producer\":");
    out_u64(&o, producer, false);
    OUT_LIT(&o, ",\"seq\":");
    return out_end(&o, buf);
}

int ob_record_meta_tail(uint64_t seq, int64_t sent_ns, char *buf, size_t cap)
{
    out o;
    out_init(&o, buf, cap);
    out_u64(&o, seq, false);
    OUT_LIT(&o, ",\"sent_ns\":");
    out_i64(&o, sent_ns);
    OUT_LIT(&o, "}");
    return out_end(&o, buf);
}

int ob_record_encode_meta(const ob_meta *m, char *buf, size_t cap)
{
    int n = ob_record_meta_prefix(m->run, m->producer, buf, cap);
    if (n < 0)
        return -1;
    int k = ob_record_meta_tail(m->seq, m->sent_ns, buf + n, cap - (size_t)n);
    return k < 0 ? -1 : n + k;
}

int ob_record_encode(const ob_record *r, const ob_meta *m, char *buf, size_t cap)
{
    int n = ob_record_encode_body(r, buf, cap);
    if (n < 0)
        return -1;
    int k;
    if (m) {
        k = ob_record_encode_meta(m, buf + n, cap - (size_t)n);
    } else {
        if (cap - (size_t)n < 2)
            return -1;
        buf[n] = '}';
        buf[n + 1] = '\0';
        k = 1;
    }
    return k < 0 ? -1 : n + k;
}

/* ---- decoding ---- */

enum {
    F_NAME = 1 << 0,
    F_LOCATION = 1 << 1,
    F_AGE = 1 << 2,
    F_INFECTEDTYPE = 1 << 3,
    F_STATE = 1 << 4,
    F_RECORD = (1 << 5) - 1,
    F_RUN = 1 << 5,
    F_PRODUCER = 1 << 6,
    F_SEQ = 1 << 7,
    F_SENT_NS = 1 << 8,
    F_META = F_RUN | F_PRODUCER | F_SEQ | F_SENT_NS,
    F_PAD = 1 << 9,
};

static const char *const field_names[] = {"name", "location", "age", "infectedtype", "state",
                                          "run", "producer", "seq", "sent_ns", "pad"};

#define KEY_IS(k, n, lit) ((n) == sizeof(lit) - 1 && memcmp((k), (lit), (n)) == 0)

static int key_field(const char *k, size_t n)
{
    switch (n) {
    case 3:
        if (KEY_IS(k, n, "age"))
            return F_AGE;
        if (KEY_IS(k, n, "run"))
            return F_RUN;
        if (KEY_IS(k, n, "seq"))
            return F_SEQ;
        if (KEY_IS(k, n, "pad"))
            return F_PAD;
        return 0;
    case 4: return KEY_IS(k, n, "name") ? F_NAME : 0;
    case 5: return KEY_IS(k, n, "state") ? F_STATE : 0;
    case 7: return KEY_IS(k, n, "sent_ns") ? F_SENT_NS : 0;
    case 8:
        if (KEY_IS(k, n, "location"))
            return F_LOCATION;
        if (KEY_IS(k, n, "producer"))
            return F_PRODUCER;
        return 0;
    case 12: return KEY_IS(k, n, "infectedtype") ? F_INFECTEDTYPE : 0;
    default: return 0;
    }
}

static int read_str(ob_json *j, const char *field, char *dst, size_t cap)
{
    ob_json_type t = ob_json_peek(j);
    ob_json_pos at = ob_json_where(j);
    if (t != OB_JSON_STRING)
        return ob_json_fail(j, at, "field \"%s\" must be a string", field);
    size_t n;
    if (ob_json_string(j, dst, cap, &n) < 0)
        return -1;
    if (n >= cap)
        return ob_json_fail(j, at, "field \"%s\" is too long (%zu bytes, at most %zu)", field, n,
                            cap - 1);
    return 0;
}

static int read_i64(ob_json *j, const char *field, int64_t min, int64_t max, int64_t *v)
{
    ob_json_type t = ob_json_peek(j);
    if (t != OB_JSON_NUMBER)
        return ob_json_fail(j, ob_json_where(j), "field \"%s\" must be an integer", field);
    if (ob_json_int64(j, min, max, v) < 0)
        return ob_json_prefix(j, "field \"%s\"", field);
    return 0;
}

/* The filler "pad": a string, only its length kept (read into a small buffer that it
 * does not have to fit). */
static int read_pad(ob_json *j, uint32_t *len)
{
    ob_json_pos at = ob_json_where(j);
    if (ob_json_peek(j) != OB_JSON_STRING)
        return ob_json_fail(j, at, "field \"pad\" must be a string");
    char small[64];
    size_t n;
    if (ob_json_string(j, small, sizeof small, &n) < 0)
        return -1;
    if (n > OB_PAD_MAX)
        return ob_json_fail(j, at, "field \"pad\" is too long (%zu bytes, at most %d)", n, OB_PAD_MAX);
    *len = (uint32_t)n;
    return 0;
}

static int read_u64(ob_json *j, const char *field, uint64_t max, uint64_t *v)
{
    ob_json_type t = ob_json_peek(j);
    if (t != OB_JSON_NUMBER)
        return ob_json_fail(j, ob_json_where(j), "field \"%s\" must be an integer", field);
    if (ob_json_uint64(j, max, v) < 0)
        return ob_json_prefix(j, "field \"%s\"", field);
    return 0;
}

int ob_record_read(ob_json *j, ob_record *r, ob_meta *m, bool *has_meta)
{
    ob_meta meta;
    meta.run[0] = '\0';
    meta.producer = 0;
    meta.seq = 0;
    meta.sent_ns = 0;
    r->pad = 0;
    ob_json_peek(j);
    ob_json_pos start = ob_json_where(j);
    if (ob_json_object_begin(j) < 0)
        return -1;
    unsigned seen = 0;
    char key[16];
    size_t klen;
    int rc;
    while ((rc = ob_json_object_next(j, key, sizeof key, &klen)) > 0) {
        int f = klen < sizeof key ? key_field(key, klen) : 0;
        int64_t i;
        uint64_t u;
        switch (f) {
        case F_NAME: rc = read_str(j, "name", r->name, sizeof r->name); break;
        case F_LOCATION: rc = read_str(j, "location", r->location, sizeof r->location); break;
        case F_INFECTEDTYPE:
            rc = read_str(j, "infectedtype", r->infectedtype, sizeof r->infectedtype);
            break;
        case F_STATE: rc = read_str(j, "state", r->state, sizeof r->state); break;
        case F_AGE:
            if ((rc = read_i64(j, "age", INT_MIN, INT_MAX, &i)) == 0)
                r->age = (int)i;
            break;
        case F_RUN: rc = read_str(j, "run", meta.run, sizeof meta.run); break;
        case F_PRODUCER:
            if ((rc = read_u64(j, "producer", UINT32_MAX, &u)) == 0)
                meta.producer = (uint32_t)u;
            break;
        case F_SEQ: rc = read_u64(j, "seq", UINT64_MAX, &meta.seq); break;
        case F_SENT_NS: rc = read_i64(j, "sent_ns", INT64_MIN, INT64_MAX, &meta.sent_ns); break;
        case F_PAD: rc = read_pad(j, &r->pad); break;
        default: rc = ob_json_skip(j); break;
        }
        if (rc < 0)
            return -1;
        seen |= (unsigned)f;
    }
    if (rc < 0)
        return -1;
    if ((seen & F_RECORD) != F_RECORD) {
        for (int b = 0;; b++)
            if (!(seen & (1u << b)))
                return ob_json_fail(j, start, "missing field \"%s\"", field_names[b]);
    }
    if (m)
        *m = meta;
    if (has_meta)
        *has_meta = (seen & F_META) == F_META;
    return 0;
}

int ob_record_decode(const char *json, size_t len, ob_record *r, ob_meta *m, bool *has_meta,
                     ob_err *err)
{
    ob_json j;
    ob_json_init(&j, json, len);
    if (ob_record_read(&j, r, m, has_meta) < 0)
        return ob_json_err(&j, NULL, err);
    if (!ob_json_at_end(&j)) {
        ob_json_fail(&j, ob_json_where(&j), "unexpected data after the record");
        return ob_json_err(&j, NULL, err);
    }
    return 0;
}

/* ---- domain ---- */

static bool one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

int ob_record_check_domain(const ob_record *r, ob_err *err)
{
    if (!one_of(r->location, ob_departments, OB_DEPARTMENT_COUNT))
        return ob_err_set(err, "location \"%s\" is not one of Guatemala's %d departments",
                          r->location, OB_DEPARTMENT_COUNT);
    if (r->age < 1 || r->age > 90)
        return ob_err_set(err, "age %d is out of range 1..90", r->age);
    if (!one_of(r->infectedtype, ob_infected_types, 3))
        return ob_err_set(err,
                          "infectedtype \"%s\" is not communitary, imported or non-imported",
                          r->infectedtype);
    if (!one_of(r->state, ob_states, 2))
        return ob_err_set(err, "state \"%s\" is not symptomatic or asymptomatic", r->state);
    return 0;
}

bool ob_run_id_valid(const char *s)
{
    if (!*s || strlen(s) >= OB_RUN_CAP)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

int ob_run_id_parse(const char *v, void *dest, ob_err *err)
{
    if (!ob_run_id_valid(v))
        return ob_err_set(err, "use 1-63 of A-Z a-z 0-9 . _ -, not \"%s\"", v);
    snprintf(dest, OB_RUN_CAP, "%s", v);
    return 0;
}

uint32_t ob_producer_process_draw(void)
{
    uint32_t x = 0;
    if (getrandom(&x, sizeof x, 0) != (ssize_t)sizeof x)
        x = (uint32_t)(ob_real_ns() ^ ((int64_t)getpid() << 20) ^ (ob_mono_ns() >> 7));
    x &= (1u << (32 - OB_PRODUCER_WORKER_BITS)) - 1;
    return x ? x : 1;
}
