/* main.c — the `outbreak` executable: one binary, one subcommand per role, dispatched
 * from the table below (run, sink, gateway, web, merge, compare, report, records). Owns the only process-wide state: the flag set by SIGINT/SIGTERM.
 *
 * Before a command runs, its configuration files are checked against every command's
 * flags (a key before any section must be some command's, a [section] a command): the
 * table below is the list of commands, and each command's flags are learnt by calling
 * it with the probe of flags.h (no list of flag names is kept here). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "compare.h"
#include "flags.h"
#include "generator.h"
#include "html_report.h"
#include "records_file.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *f)
{
    fputs("usage: outbreak COMMAND [flags]\n"
          "\n"
          "A load-testing harness for message middlewares: pushes infection records through\n"
          "a middleware into MongoDB and measures throughput, latency and delivery.\n"
          "\n"
          "Commands:\n"
          "  run       generate load through one middleware and report (outbreak run --help)\n"
          "  sink      consume from a middleware and write to MongoDB (outbreak sink --help)\n"
          "  gateway   HTTP ingress: POSTed records into a middleware, answered after its ack\n"
          "            (outbreak gateway --help)\n"
          "  web       the data dashboard and the host monitor over HTTP (outbreak web --help)\n"
          "  merge     the exact merged result of a run's load generators (run --workers N)\n"
          "            (outbreak merge --help)\n"
          "  compare   one workload through several middlewares, with the HTML report\n"
          "            (outbreak compare --help)\n"
          "  report    rebuild the HTML report: report DIR/results.json --html FILE\n"
          "  records   print generated records as a JSON array: records [-n COUNT] [--seed N]\n"
          "            (defaults: 1000 records, seed 1)\n"
          "\n"
          "Run `outbreak COMMAND --help` for the flags of a command and their defaults.\n",
          f);
}

/* `outbreak records [-n COUNT] [--seed N]`: a traffic.json-like file on stdout. */
static int records_main(int argc, char **argv, volatile sig_atomic_t *interrupted)
{
    (void)interrupted;
    long count = 1000;
    uint64_t seed = 1;
    const ob_flag flags[] = {
        {.name = "count", .short_name = 'n', .type = OB_FLAG_LONG, .dest = &count, .min = 1,
         .max = 100000000, .value_name = "COUNT", .help = "records to generate (default 1000)"},
        {.name = "seed", .type = OB_FLAG_UINT64, .dest = &seed, .value_name = "N",
         .help = "generator seed (default 1): the same seed gives the same records"},
    };
    ob_flag_set set = {.command = "records",
                       .synopsis = "usage: outbreak records [-n COUNT] [--seed N]\n\n"
                                   "Prints generated infection records as a JSON array (like the course\n"
                                   "project's traffic.json).\n\n",
                       .flags = flags,
                       .nflags = sizeof flags / sizeof flags[0]};
    int status = ob_flags_parse_main(&set, argc, argv);
    if (status >= 0)
        return status;
    ob_records recs;
    ob_err err;
    if (ob_gen_records(seed, (size_t)count, &recs, &err) != 0) {
        fprintf(stderr, "outbreak records: %s\n", err.msg);
        return 1;
    }
    status = ob_records_write_json(stdout, &recs) == 0 ? 0 : 1;
    ob_records_free(&recs);
    return status;
}

/* `outbreak report RESULTS.json --html FILE`: the HTML report of a results document. */
static int report_main(int argc, char **argv, volatile sig_atomic_t *interrupted)
{
    (void)interrupted;
    const char *results[1] = {NULL}, *html = NULL;
    int nresults = 0;
    const ob_flag flags[] = {
        {.name = "html", .type = OB_FLAG_CUSTOM, .dest = &html, .parse = ob_flag_output_file, .value_name = "FILE",
         .help = "where the report goes (required)"},
    };
    ob_flag_set set = {.command = "report",
                       .synopsis = "usage: outbreak report RESULTS.json --html FILE\n\n"
                                   "Writes the self-contained HTML report of a results document (the\n"
                                   "results.json of `outbreak compare`) to FILE.\n\n",
                       .flags = flags,
                       .nflags = sizeof flags / sizeof flags[0],
                       .args = results,
                       .max_args = 1,
                       .nargs = &nresults};
    int status = ob_flags_parse_main(&set, argc, argv);
    if (status >= 0)
        return status;
    if (!results[0] || !html) {
        fprintf(stderr, "outbreak report: %s (usage: outbreak report RESULTS.json --html FILE)\n",
                results[0] ? "--html FILE is required" : "which results.json?");
        return 2;
    }
    ob_err err;
    if (ob_html_report_file(results[0], html, &err) != 0) {
        fprintf(stderr, "outbreak report: %s\n", err.msg);
        return 1;
    }
    printf("report: %s\n", html);
    return 0;
}

static int sink_main(int argc, char **argv, volatile sig_atomic_t *interrupted)
{
    (void)interrupted; /* the sink waits for SIGINT/SIGTERM on a thread of its own */
    return ob_cmd_sink(argc, argv);
}

/* The commands, in the order `outbreak help` lists them. */
static const struct command {
    const char *name;
    int (*main)(int argc, char **argv, volatile sig_atomic_t *interrupted);
} commands[] = {
    {"run", ob_cmd_run},
    {"sink", sink_main},
    {"gateway", ob_cmd_gateway},
    {"web", ob_cmd_web},
    {"merge", ob_cmd_merge},
    {"compare", ob_compare_main},
    {"report", report_main},
    {"records", records_main},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Checks the configuration files that commands[running] is about to read with its
 * command line argv[1..argc) (see flags.h, ob_flags_check_config). Returns -1 when the
 * command may go on, else its exit status (2 after a mistake, printed). */
static int check_config(size_t running, int argc, char **argv)
{
    ob_flag_probe *probes = calloc(NCOMMANDS, sizeof *probes);
    char **probe_argv = calloc((size_t)argc + 3, sizeof *probe_argv);
    int status = -1;
    if (!probes || !probe_argv)
        goto out;
    volatile sig_atomic_t never = 0;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        int n = 0;
        probe_argv[n++] = (char *)commands[i].name;
        probe_argv[n++] = (char *)ob_flags_probe_arg;
        probe_argv[n++] = (char *)&probes[i];
        for (int k = 1; i == running && k < argc; k++)
            probe_argv[n++] = argv[k]; /* the running command's: --config, --no-config */
        probe_argv[n] = NULL;
        commands[i].main(n, probe_argv, &never);
        if (!probes[i].command) /* not a command that reads its flags with flags.h */
            probes[i].command = commands[i].name;
    }
    ob_err err;
    if (ob_flags_check_config(probes, NCOMMANDS, &probes[running], NULL, &err) != 0) {
        fprintf(stderr, "outbreak %s: %s\n", commands[running].name, err.msg);
        status = 2;
    }
out:
    free(probes);
    free(probe_argv);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    /* The MongoDB driver keeps its counters in /dev/shm/mongoc-<pid>, a file that a
     * killed process leaves behind; when a later process gets the same pid, the driver
     * prints "Falling back to malloc for counters" on stderr. Nothing reads them. The
     * driver sets them up as it is loaded, before main, so this only spares the
     * processes that this one starts (compare's sinks and runs). */
    setenv("MONGOC_DISABLE_SHM", "1", 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    const char *cmd = argv[1];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0) {
            int status = check_config(i, argc - 1, argv + 1);
            return status >= 0 ? status : commands[i].main(argc - 1, argv + 1, &interrupted);
        }
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        /* the whole manual: every command's flags with their defaults */
        usage(stdout);
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
            char *help[] = {(char *)commands[i].name, "--help", NULL};
            printf("\n---- outbreak %s ----\n", commands[i].name);
            fflush(stdout);
            commands[i].main(2, help, &interrupted);
            fflush(stdout);
        }
        return 0;
    }
    fprintf(stderr, "outbreak: unknown command \"%s\" (commands: run, sink, gateway, web, merge, compare, report, records; "
                    "outbreak help lists them)\n", cmd);
    return 2;
}
