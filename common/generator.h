/* generator.h — the seeded synthetic record generator.
 *
 * Same seed, same sequence, on every machine: names are built from fixed syllable
 * tables ("Urban Beldum"-like first and last names), location is one of Guatemala's
 * 22 departments, age uniform in 1..90, infectedtype one of communitary / imported /
 * non-imported, state symptomatic / asymptomatic. Uses its own PRNG state (no global
 * state, no rand()). */
#ifndef OB_GENERATOR_H
#define OB_GENERATOR_H

#include <stdint.h>

#include "record.h"
#include "records_file.h"

#define OB_DEPARTMENT_COUNT 22
extern const char *const ob_departments[OB_DEPARTMENT_COUNT];
extern const char *const ob_infected_types[3];
extern const char *const ob_states[2];

typedef struct ob_gen {
    uint64_t s[2];
} ob_gen;

void ob_gen_init(ob_gen *g, uint64_t seed);
/* The next uniformly distributed 64-bit value (also used by the load generator for
 * wait times, so one seed reproduces a run). */
uint64_t ob_gen_u64(ob_gen *g);
/* Uniform double in [0, 1). */
double ob_gen_unit(ob_gen *g);
/* Fills *r with the next synthetic record. */
void ob_gen_record(ob_gen *g, ob_record *r);
/* Fills *out with `count` records from `seed` (free with ob_records_free). -1 on OOM. */
int ob_gen_records(uint64_t seed, size_t count, ob_records *out, ob_err *err);

#endif
