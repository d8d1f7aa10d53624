/* compare.h — `outbreak compare`: one workload through several middlewares in turn,
 * each into MongoDB through a sink it starts and stops itself, with the cost of broker,
 * sink, load generator and database sampled from /proc; the summaries are collected in
 * DIR/results.json and drawn in the self-contained report DIR/index.html. */
#ifndef OB_COMPARE_H
#define OB_COMPARE_H

#include <signal.h>

/* Runs `outbreak compare` with argv[0] = "compare". `interrupted` is set by the
 * caller's SIGINT/SIGTERM handler: the middleware running then stops and drains, and
 * the ones after it are skipped. Returns the exit status: 0 when every middleware ran
 * with nothing failed or lost, 1 otherwise (or when one asked for by name could not
 * run), 2 on a usage error. */
int ob_compare_main(int argc, char **argv, volatile sig_atomic_t *interrupted);

#endif
