/* commands.h — the subcommands that cmd/ implements itself. Each takes argv with
 * argv[0] = the command's name and returns the process exit status: 0 success, 1 a
 * failure of the run (failed or lost records, a server that cannot be reached), 2 a
 * usage error (one line on stderr). `interrupted` is set by SIGINT/SIGTERM. */
#ifndef OB_COMMANDS_H
#define OB_COMMANDS_H

#include <signal.h>

/* `outbreak run`: load through one middleware, then the summary and its files. */
int ob_cmd_run(int argc, char **argv, volatile sig_atomic_t *interrupted);

/* `outbreak merge`: the merged result of a run's load generators (--workers N). */
int ob_cmd_merge(int argc, char **argv, volatile sig_atomic_t *interrupted);
/* At the end of a worker of `outbreak run --workers N` (o->worker its index): when
 * every worker of the run is done and this one claims the merge, merges and writes the
 * merged summary (stored under the run id) and returns the merged result's exit status;
 * otherwise returns own_status. */
typedef struct ob_run_opts ob_run_opts;
int ob_cmd_merge_after_run(const ob_run_opts *o, int argc, char **argv, volatile sig_atomic_t *interrupted,
                           int own_status);

/* `outbreak sink`: consume into MongoDB until SIGINT/SIGTERM. */
int ob_cmd_sink(int argc, char **argv);

/* `outbreak gateway`: HTTP ingress publishing to one middleware until SIGINT/SIGTERM. */
int ob_cmd_gateway(int argc, char **argv, volatile sig_atomic_t *interrupted);

/* `outbreak web`: the data dashboard and the host monitor over HTTP until SIGINT/SIGTERM. */
int ob_cmd_web(int argc, char **argv, volatile sig_atomic_t *interrupted);

/* The web UI until SIGINT/SIGTERM (`outbreak web`, and `outbreak run` without
 * --headless): the test runner of cc behind the server of wc. `who` names the command in
 * messages. Returns the exit status. */
typedef struct ob_web_config ob_web_config;
typedef struct ob_control_config ob_control_config;
int ob_web_serve(ob_web_config *wc, const ob_control_config *cc, const char *who,
                 volatile sig_atomic_t *interrupted);

#endif
