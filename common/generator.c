/* generator.c — the seeded synthetic record generator (generator.h) and the tables of
 * the record's domain (docs/architecture.md §4), which record.c's domain check uses too.
 *
 * PRNG: xoroshiro128+ (Blackman & Vigna) seeded through splitmix64, so that any seed,
 * 0 included, gives a well-mixed non-zero state. Bounded draws use rejection sampling,
 * so every value is equally likely and the sequence is the same on every machine. */
#include "generator.h"

#include <stdlib.h>
#include <string.h>

const char *const ob_departments[OB_DEPARTMENT_COUNT] = {
    "Alta Verapaz",  "Baja Verapaz",  "Chimaltenango",  "Chiquimula",
    "El Progreso",   "Escuintla",     "Guatemala",      "Huehuetenango",
    "Izabal",        "Jalapa",        "Jutiapa",        "Petén",
    "Quetzaltenango", "Quiché",       "Retalhuleu",     "Sacatepéquez",
    "San Marcos",    "Santa Rosa",    "Sololá",         "Suchitepéquez",
    "Totonicapán",   "Zacapa",
};
const char *const ob_infected_types[3] = {"communitary", "imported", "non-imported"};
const char *const ob_states[2] = {"symptomatic", "asymptomatic"};

/* Name syllables: a name is an opening syllable, optionally a middle one, and an ending
 * ("ur" + "ban" = "Urban", "bel" + "dum" = "Beldum"). */
static const char *const openings[] = {
    "ur",  "bel", "al",  "ma",  "ro",  "san", "te",  "ca",  "di",  "el",  "fer", "ga",
    "he",  "is",  "ju",  "ka",  "lu",  "mi",  "no",  "or",  "pa",  "qui", "ra",  "si",
    "to",  "va",  "xi",  "ya",  "ze",  "bra", "cor", "dor", "es",  "fa",  "gil", "hor",
};
static const char *const middles[] = {"la", "ri", "ne", "ta", "lo", "ven", "mi", "sa", "do", "ber"};
static const char *const endings[] = {
    "ban", "dum", "ra",  "na",  "to",  "lo",  "rez", "mon", "dez", "cia", "via", "ton",
    "der", "len", "ric", "go",  "nes", "mar", "sol", "tin", "wen", "dan", "ro",  "zar",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void ob_gen_init(ob_gen *g, uint64_t seed)
{
    uint64_t x = seed;
    g->s[0] = splitmix64(&x);
    g->s[1] = splitmix64(&x);
    if (g->s[0] == 0 && g->s[1] == 0) /* cannot happen with splitmix64, but be sure */
        g->s[1] = 1;
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t ob_gen_u64(ob_gen *g)
{
    uint64_t s0 = g->s[0], s1 = g->s[1];
    uint64_t result = s0 + s1;
    s1 ^= s0;
    g->s[0] = rotl(s0, 24) ^ s1 ^ (s1 << 16);
    g->s[1] = rotl(s1, 37);
    return result;
}

double ob_gen_unit(ob_gen *g)
{
    /* The top 53 bits: xoroshiro128+'s low bits are its weakest. */
    return (double)(ob_gen_u64(g) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n), 0 < n <= 2^53, without modulo bias. */
static uint64_t below(ob_gen *g, uint64_t n)
{
    /* The top 53 bits (the low bits of xoroshiro128+ are its weakest), rejecting the
     * 2^53 mod n smallest values so that every residue is equally likely. */
    uint64_t threshold = (UINT64_C(1) << 53) % n;
    uint64_t x;
    do
        x = ob_gen_u64(g) >> 11;
    while (x < threshold);
    return x % n;
}

static size_t gen_name(ob_gen *g, char *dst)
{
    size_t n = 0;
    const char *parts[3];
    size_t k = 0;
    parts[k++] = openings[below(g, COUNT(openings))];
    if (below(g, 4) == 0)
        parts[k++] = middles[below(g, COUNT(middles))];
    parts[k++] = endings[below(g, COUNT(endings))];
    for (size_t i = 0; i < k; i++) {
        size_t len = strlen(parts[i]);
        memcpy(dst + n, parts[i], len);
        n += len;
    }
    dst[0] = (char)(dst[0] - 'a' + 'A');
    return n;
}

void ob_gen_record(ob_gen *g, ob_record *r)
{
    /* At most 3 + 3 + 3 letters per word: "First Last" always fits OB_NAME_CAP. */
    size_t n = gen_name(g, r->name);
    r->name[n++] = ' ';
    n += gen_name(g, r->name + n);
    r->name[n] = '\0';
    strcpy(r->location, ob_departments[below(g, OB_DEPARTMENT_COUNT)]);
    r->age = 1 + (int)below(g, 90);
    strcpy(r->infectedtype, ob_infected_types[below(g, 3)]);
    strcpy(r->state, ob_states[below(g, 2)]);
    r->pad = 0;
}

int ob_gen_records(uint64_t seed, size_t count, ob_records *out, ob_err *err)
{
    out->items = NULL;
    out->count = 0;
    if (count == 0)
        return 0;
    ob_record *items = calloc(count, sizeof *items);
    if (!items)
        return ob_err_set(err, "out of memory generating %zu records", count);
    ob_gen g;
    ob_gen_init(&g, seed);
    for (size_t i = 0; i < count; i++)
        ob_gen_record(&g, &items[i]);
    out->items = items;
    out->count = count;
    return 0;
}
