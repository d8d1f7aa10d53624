/* run.h — `outbreak run`: the controller that loads the records, starts the workers,
 * samples the measurements every second, stops, waits for the sink to drain and
 * reports. */
#ifndef OB_RUN_H
#define OB_RUN_H

#include <signal.h>

/* Runs `outbreak run` with argv[0] = "run". `interrupted` is set by the caller's
 * SIGINT/SIGTERM handler; the run then stops sending and reports what it has.
 * Returns the exit status: 0 success, 1 failed or lost records (or a broker/database
 * that cannot be reached), 2 usage error. */
int ob_run_main(int argc, char **argv, volatile sig_atomic_t *interrupted);

#endif
