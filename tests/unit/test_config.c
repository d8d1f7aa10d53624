/* test_config.c — flags from configuration files and the environment (common/config.h,
 * common/flags.h; docs/config.md): the file's syntax and its mistakes with FILE:LINE,
 * sections, the order files < environment < command line per key, repeatable flags,
 * booleans, values handed on through rest (compare), --print-config with its sources and
 * masked passwords, and the check of every command's keys with the flags probe. */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "split_args.h"
#include "config.h"
#include "err.h"
#include "flags.h"

static char dir[64];

static const char *write_file(const char *name, const char *text)
{
    static char paths[8][128];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 128, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

/* ---- the file's syntax ---------------------------------------------------------------- */

static void test_syntax(void)
{
    const char text[] = "# a comment\n"
                        "  ; another\n"
                        "\n"
                        "rate = 2000\n"
                        "run-time=30s   \n"
                        "empty =\n"
                        "[run]\n"
                        "threshold = lost==0\n"
                        "threshold = e2e_p95 <= 200ms\n"
                        "broker = amqp://u:p#w;x@h/   # not a comment\n"
                        "[ sink ]\r\n"
                        "batch = 10";
    ob_config_file cf;
    ob_err err;
    CHECK(ob_config_parse("t.conf", text, sizeof text - 1, &cf, &err) == 0);
    CHECK(cf.n == 7);
    CHECK(cf.entries[0].section == NULL && strcmp(cf.entries[0].key, "rate") == 0);
    CHECK_STR(cf.entries[0].value, "2000");
    CHECK(cf.entries[0].line == 4);
    CHECK_STR(cf.entries[1].key, "run-time");
    CHECK_STR(cf.entries[1].value, "30s");
    CHECK_STR(cf.entries[2].value, "");
    CHECK_STR(cf.entries[3].section, "run");
    CHECK_STR(cf.entries[4].value, "e2e_p95 <= 200ms");
    CHECK_STR(cf.entries[5].value, "amqp://u:p#w;x@h/   # not a comment");
    CHECK_STR(cf.entries[6].section, "sink");
    CHECK_STR(cf.entries[6].value, "10");
    CHECK(cf.entries[6].line == 12);
    ob_config_file_free(&cf);
    ob_config_file_free(&cf); /* twice: NULL-safe */

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"rate = 1\nrate 2000\n", "t.conf:2: expected key = value"},
        {"\n\n= 3\n", "t.conf:3: no key before '='"},
        {"--rate = 3\n", "t.conf:1: \"--rate\" is not a flag name"},
        {"Rate = 3\n", "t.conf:1: \"Rate\" is not a flag name"},
        {"[run\nrate = 1\n", "t.conf:1: a section is [COMMAND], with its closing ]"},
        {"[]\n", "t.conf:1: a section is [COMMAND]"},
        {"[Run Now]\n", "t.conf:1: a section is [COMMAND]"},
        {"broker amqp://user:hunter2@h/\n", "t.conf:1: expected key = value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        int rc = ob_config_parse("t.conf", bad[i].text, strlen(bad[i].text), &cf, &err);
        CHECK_MSG(rc == -1, "%s", bad[i].text);
        CHECK_MSG(strstr(err.msg, bad[i].want) != NULL, "\"%s\" lacks \"%s\"", err.msg, bad[i].want);
        CHECK(err.kind == OB_ERR_USAGE);
        CHECK(strstr(err.msg, "hunter2") == NULL); /* the line is not quoted */
        CHECK(cf.n == 0 && cf.text == NULL);
    }
    CHECK(ob_config_parse("t.conf", "a = 1\n\0b = 2\n", 13, &cf, &err) == -1);
    CHECK(strstr(err.msg, "t.conf:2: a NUL byte") != NULL);

    CHECK(ob_config_read("/nonexistent/outbreak.conf", "x.conf", true, &cf, &err) == 1);
    CHECK(ob_config_read("/nonexistent/outbreak.conf", "x.conf", false, &cf, &err) == -1);
    CHECK(strstr(err.msg, "x.conf: cannot read: No such file") != NULL);
    CHECK(ob_config_read(dir, "d", false, &cf, &err) == -1);
    CHECK(strstr(err.msg, "d: not a regular file") != NULL);
    CHECK(ob_config_read(write_file("bad.conf", "a = 1\nb\n"), "bad.conf", false, &cf, &err) == -2);
    CHECK_STR(err.msg, "bad.conf:2: expected key = value (a flag's long name, then its value)");
    CHECK(ob_config_read(write_file("good.conf", "a = 1\n[x]\nb = 2"), "good.conf", true, &cf, &err) == 0);
    CHECK(cf.n == 2 && strcmp(cf.name, "good.conf") == 0 && strcmp(cf.entries[1].section, "x") == 0);
    ob_config_file_free(&cf);

    bool b = false;
    static const char *const yes[] = {"true", "TRUE", "yes", "Yes", "1"}, *const no[] = {"false", "no", "NO", "0"};
    for (size_t i = 0; i < 5; i++)
        CHECK(ob_config_bool(yes[i], &b) == 0 && b);
    for (size_t i = 0; i < 4; i++)
        CHECK(ob_config_bool(no[i], &b) == 0 && !b);
    CHECK(ob_config_bool("on", &b) == -1 && ob_config_bool("", &b) == -1 && ob_config_bool("2", &b) == -1);
}

/* ---- the parse with sources ----------------------------------------------------------- */

typedef struct opts {
    long users;
    double rate;
    bool once, headless;
    const char *url, *login;
    const char *tags[8];
    int ntags;
    long workers; /* a rest flag: the other command's */
    const char *other;
} opts;

static int add_tag(const char *v, void *dest, ob_err *err)
{
    opts *o = dest;
    if (!*v || strchr(v, '!'))
        return ob_err_set(err, "a tag, not \"%s\"", v);
    if (o->ntags == 8)
        return ob_err_set(err, "at most 8");
    o->tags[o->ntags++] = v;
    return 0;
}

static char *rest[16];
static int nrest;

/* Parses the words of `line` for command "test" with these sources. */
static int parse(const char *line, ob_flag_sources *src, opts *o, ob_err *err, bool with_rest)
{
    char **argv;
    int argc = split_args(line, &argv);
    memset(o, 0, sizeof *o);
    o->users = 1;
    o->url = "nats://127.0.0.1:4222";
    const ob_flag flags[] = {
        {.name = "users", .short_name = 'u', .type = OB_FLAG_LONG, .dest = &o->users, .min = 1, .max = 1000,
         .value_name = "N", .help = "users"},
        {.name = "rate", .type = OB_FLAG_NUMBER, .dest = &o->rate, .value_name = "N", .help = "rate"},
        {.name = "once", .type = OB_FLAG_BOOL, .dest = &o->once, .help = "once"},
        {.name = "headless", .type = OB_FLAG_BOOL, .dest = &o->headless, .help = "headless"},
        {.name = "url", .type = OB_FLAG_STRING, .dest = &o->url, .value_name = "URL", .help = "url"},
        {.name = "login", .type = OB_FLAG_STRING, .dest = &o->login, .value_name = "USER:PASS", .help = "login"},
        {.name = "tag", .type = OB_FLAG_CUSTOM, .dest = o, .parse = add_tag, .value_name = "T", .help = "tag",
         .repeatable = true},
    };
    const ob_flag others[] = {
        {.name = "workers", .type = OB_FLAG_LONG, .dest = &o->workers, .min = 1, .max = 10, .value_name = "N"},
        {.name = "other", .short_name = 'o', .type = OB_FLAG_STRING, .dest = &o->other, .value_name = "S"},
        {.name = "users", .type = OB_FLAG_LONG, .dest = &o->workers, .min = 1, .max = 10, .value_name = "N"},
    };
    ob_flag_set set = {.command = "test", .flags = flags, .nflags = sizeof flags / sizeof flags[0], .sources = src};
    if (with_rest) {
        set.rest = rest;
        set.max_rest = 16;
        set.nrest = &nrest;
        set.rest_flags = others;
        set.nrest_flags = sizeof others / sizeof others[0];
    }
    memset(err, 0, sizeof *err);
    return ob_flags_parse(&set, argc, argv, err);
}

static void test_precedence(void)
{
    const char *home = write_file("home.conf", "users = 2\nrate = 10\ntag = h1\n[test]\nonce = yes\n");
    const char *local = write_file("local.conf", "users = 3\n[other]\nusers = 999\n[test]\nrate = 20\n");
    const char *env[] = {"OUTBREAK_USERS=5", "OUTBREAK_OTHERS=x", "PATH=/bin", NULL};
    ob_flag_sources src = {.home_file = home, .local_file = local};
    opts o;
    ob_err err;
    CHECK(parse("", &src, &o, &err, false) == 0);
    CHECK(o.users == 3);                  /* the local file over the home one */
    CHECK(o.rate == 20);                  /* [test] of the local file */
    CHECK(o.once);                        /* only the home file says it */
    CHECK(o.ntags == 1 && strcmp(o.tags[0], "h1") == 0);
    src.env = env;
    CHECK(parse("", &src, &o, &err, false) == 0);
    CHECK(o.users == 5); /* the environment over the files */
    CHECK(parse("-u 7", &src, &o, &err, false) == 0);
    CHECK(o.users == 7); /* the command line over all */
    CHECK(o.rate == 20);
    CHECK(parse("--no-config", &src, &o, &err, false) == 0);
    CHECK(o.users == 1 && o.rate == 0 && !o.once && o.ntags == 0);

    /* a section over the keys before any section, in the same file */
    ob_flag_sources_free(&src);
    src = (ob_flag_sources){.local_file = write_file("sec.conf", "[test]\nusers = 9\n[sink]\nx = 1\n[]x\n")};
    CHECK(parse("", &src, &o, &err, false) == -1); /* the bad section line still counts */
    ob_flag_sources_free(&src);
    src = (ob_flag_sources){.local_file = write_file("sec.conf", "[test]\nusers = 9\n[sink]\nbogus = 1\n")};
    src.text = "users = 4\n";
    src.text_len = strlen(src.text);
    CHECK(parse("", &src, &o, &err, false) == 0);
    CHECK(o.users == 4); /* the file in memory comes after local_file */
    src.text = "[test]\nusers = 6\nusers = 8\n";
    src.text_len = strlen(src.text);
    CHECK(parse("", &src, &o, &err, false) == 0);
    CHECK(o.users == 8); /* not repeatable: the last one */
    src.text = "users = 4\nnobody-has-this = 1\n";
    src.text_len = strlen(src.text);
    CHECK(parse("", &src, &o, &err, false) == 0); /* another command's, maybe: main checks */
    CHECK(o.users == 4); /* a later file over an earlier one's section */
    ob_flag_sources_free(&src);

    /* --config over both default files; OUTBREAK_CONFIG when there is no --config */
    const char *given = write_file("given.conf", "users = 11\n");
    const char *env2[] = {"OUTBREAK_CONFIG=/nonexistent/x.conf", NULL};
    src = (ob_flag_sources){.home_file = home, .local_file = local, .env = env2};
    char line[256];
    snprintf(line, sizeof line, "--config %s", given);
    CHECK(parse(line, &src, &o, &err, false) == 0);
    CHECK(o.users == 11 && o.rate == 20);
    CHECK(parse("", &src, &o, &err, false) == -1);
    CHECK_STR(err.msg, "OUTBREAK_CONFIG: /nonexistent/x.conf: cannot read: No such file or directory");
    CHECK(parse("--config=/nonexistent/y.conf", &src, &o, &err, false) == -1);
    CHECK_STR(err.msg, "--config: /nonexistent/y.conf: cannot read: No such file or directory");
    CHECK(err.kind == OB_ERR_USAGE);
    CHECK(parse("--config", &src, &o, &err, false) == -1);
    CHECK(strstr(err.msg, "--config needs a value") != NULL);
    ob_flag_sources_free(&src);
}

static void test_repeatable_and_bools(void)
{
    const char *env[] = {"OUTBREAK_TAG= e1  e2,x\te3 ", "OUTBREAK_ONCE=no", "OUTBREAK_RATE=", NULL};
    ob_flag_sources src = {.text = "tag = f1\ntag = f2\nonce = true\nrate = 5\nheadless = 1\n", .env = env};
    src.text_len = strlen(src.text);
    src.text_name = "mem.conf";
    opts o;
    ob_err err;
    CHECK(parse("", &src, &o, &err, false) == 0);
    CHECK(o.ntags == 3); /* the variable's, split at blanks; the file's dropped */
    CHECK(o.ntags == 3 && strcmp(o.tags[0], "e1") == 0 && strcmp(o.tags[1], "e2,x") == 0 &&
          strcmp(o.tags[2], "e3") == 0);
    CHECK(!o.once);       /* OUTBREAK_ONCE=no over the file's true */
    CHECK(o.rate == 5);   /* an empty variable is no value */
    CHECK(o.headless);
    CHECK(parse("--tag c1 --tag c2", &src, &o, &err, false) == 0);
    CHECK(o.ntags == 2 && strcmp(o.tags[0], "c1") == 0 && strcmp(o.tags[1], "c2") == 0);
    src.env = NULL;
    CHECK(parse("", &src, &o, &err, false) == 0);
    CHECK(o.ntags == 2 && strcmp(o.tags[0], "f1") == 0 && strcmp(o.tags[1], "f2") == 0);
    CHECK(o.once);
    ob_flag_sources_free(&src);
}

static void test_mistakes(void)
{
    static const struct {
        const char *text, *env, *want;
    } cases[] = {
        {"\nusers = many\n", NULL, "mem.conf:2: --users: expected a whole number from 1 to 1000, not \"many\""},
        {"once = maybe\n", NULL, "mem.conf:1: --once: expected true or false"},
        {"[test]\nuser = 3\n", NULL, "mem.conf:2: unknown key \"user\" in [test] (see outbreak test --help)"},
        {"tag = bad!\n", NULL, "mem.conf:1: --tag: a tag, not \"bad!\""},
        {"rate = 0\n", NULL, "mem.conf:1: --rate: expected a positive number"},
        {"", "OUTBREAK_USERS=0", "OUTBREAK_USERS: --users: expected a whole number from 1 to 1000, not \"0\""},
        {"", "OUTBREAK_HEADLESS=y", "OUTBREAK_HEADLESS: --headless: expected true or false"},
        {"", "OUTBREAK_TAG=ok bad!", "OUTBREAK_TAG: --tag: a tag, not \"bad!\""},
        {"rate 5\n", NULL, "mem.conf:1: expected key = value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *env[] = {cases[i].env, NULL};
        ob_flag_sources src = {.text = cases[i].text, .text_len = strlen(cases[i].text), .text_name = "mem.conf",
                               .env = env};
        opts o;
        ob_err err;
        int rc = parse("", &src, &o, &err, false);
        CHECK_MSG(rc == -1, "case %zu: rc %d", i, rc);
        CHECK_MSG(strstr(err.msg, cases[i].want) == err.msg, "case %zu: \"%s\" is not \"%s...\"", i, err.msg,
                  cases[i].want);
        CHECK(err.kind == OB_ERR_USAGE && strchr(err.msg, '\n') == NULL);
        /* the command line's value wins, so the source's mistake is not even read */
        if (strstr(cases[i].want, "--users"))
            CHECK(parse("-u 2", &src, &o, &err, false) == 0 && o.users == 2);
        ob_flag_sources_free(&src);
    }
}

static void test_rest(void)
{
    const char *env[] = {"OUTBREAK_OTHER=from-env", "OUTBREAK_WORKERS=4", NULL};
    ob_flag_sources src = {.text = "workers = 3\nusers = 2\n[test]\nother = o1\n", .env = env};
    src.text_len = strlen(src.text);
    src.text_name = "c.conf";
    opts o;
    ob_err err;
    CHECK(parse("--workers 5 x", &src, &o, &err, true) == 0);
    /* the command line's first, then the sources' keys of the rest flags */
    CHECK(nrest == 4);
    CHECK(nrest == 4 && strcmp(rest[0], "--workers") == 0 && strcmp(rest[1], "5") == 0 &&
          strcmp(rest[2], "x") == 0 && strcmp(rest[3], "--other=from-env") == 0);
    CHECK(o.users == 2); /* the command's own users, not the rest flag of that name */
    CHECK(parse("-o cli", &src, &o, &err, true) == 0);
    CHECK(nrest == 3 && strcmp(rest[2], "--workers=4") == 0);
    ob_flag_sources_free(&src);
    src.env = NULL;
    src.text = "[test]\nworkers = 11\n";
    src.text_len = strlen(src.text);
    CHECK(parse("", &src, &o, &err, true) == -1);
    CHECK(strstr(err.msg, "c.conf:2: --workers: expected a whole number from 1 to 10") == err.msg);
    src.text = "[test]\nnobody = 1\n";
    src.text_len = strlen(src.text);
    CHECK(parse("", &src, &o, &err, true) == -1);
    CHECK(strstr(err.msg, "c.conf:2: unknown key \"nobody\" in [test]") == err.msg);
    ob_flag_sources_free(&src);
}

/* stdout of parse(line) with --print-config into out. */
static int print_config(const char *line, ob_flag_sources *src, char *out, size_t cap, bool with_rest)
{
    fflush(stdout);
    int saved = dup(1);
    FILE *tmp = tmpfile();
    dup2(fileno(tmp), 1);
    opts o;
    ob_err err;
    char l[256];
    snprintf(l, sizeof l, "%s --print-config", line);
    int rc = parse(l, src, &o, &err, with_rest);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(tmp);
    size_t n = fread(out, 1, cap - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
    return rc;
}

static bool has_line(const char *out, const char *key_value, const char *source)
{
    for (const char *p = out; (p = strstr(p, key_value)); p++) {
        if (p != out && p[-1] != '\n')
            continue;
        const char *nl = strchr(p, '\n'), *hash = strstr(p, " # ");
        if (hash && (!nl || hash < nl) && strncmp(hash + 3, source, strlen(source)) == 0 &&
            hash + 3 + strlen(source) == (nl ? nl : hash + 3 + strlen(source)))
            return true;
    }
    return false;
}

static void test_print_config(void)
{
    const char *env[] = {"OUTBREAK_URL=amqp://guest:s3cret-env@127.0.0.1:5672/", "OUTBREAK_RATE=2k", NULL};
    ob_flag_sources src = {.text = "users = 3\nlogin = admin:s3cret-file\ntag = a\ntag = b\n", .env = env};
    src.text_len = strlen(src.text);
    src.text_name = "p.conf";
    char out[8192];
    CHECK(print_config("--once", &src, out, sizeof out, false) == 1);
    CHECK_MSG(has_line(out, "users = 3", "p.conf:1"), "%s", out);
    CHECK(has_line(out, "rate = 2k", "env OUTBREAK_RATE"));
    CHECK(has_line(out, "once = true", "command line"));
    CHECK(has_line(out, "headless = false", "default"));
    CHECK(has_line(out, "url = amqp://guest:***@127.0.0.1:5672/", "env OUTBREAK_URL"));
    CHECK(has_line(out, "login = admin:***", "p.conf:2"));
    CHECK(has_line(out, "tag = a", "p.conf:3") && has_line(out, "tag = b", "p.conf:4"));
    CHECK(strstr(out, "s3cret") == NULL);
    ob_flag_sources_free(&src);
    /* the defaults, and the command line's URL masked too */
    src = (ob_flag_sources){0};
    CHECK(print_config("--url nats://me:s3cret@h:4222", &src, out, sizeof out, false) == 1);
    CHECK(has_line(out, "users = 1", "default"));
    CHECK(has_line(out, "url = nats://me:***@h:4222", "command line"));
    CHECK(strstr(out, "s3cret") == NULL);
    /* what is handed on */
    src.text = "workers = 3\n";
    src.text_len = strlen(src.text);
    src.text_name = "r.conf";
    CHECK(print_config("x -o y://u:s3cret@h", &src, out, sizeof out, true) == 1);
    CHECK(has_line(out, "workers = 3", "r.conf:1 (handed on)"));
    CHECK(strstr(out, "# handed on from the command line: x -o y://u:***@h\n") != NULL);
    CHECK(strstr(out, "s3cret") == NULL);
    /* a mistake is said, not printed over */
    src.text = "users = 0\n";
    src.text_len = strlen(src.text);
    CHECK(print_config("", &src, out, sizeof out, false) == -1);
    ob_flag_sources_free(&src);
}

/* ---- every command's keys: the probe and ob_flags_check_config ------------------------ */

static int probe(const char *command, const ob_flag *flags, size_t n, ob_flag_probe *p, int argc, char **args)
{
    ob_flag_set set = {.command = command, .flags = flags, .nflags = n};
    char *argv[16] = {(char *)command, (char *)ob_flags_probe_arg, (char *)p};
    for (int i = 0; i < argc; i++)
        argv[3 + i] = args[i];
    ob_err err;
    return ob_flags_parse(&set, 3 + argc, argv, &err);
}

static void test_check(void)
{
    long n = 0;
    bool b = false;
    const ob_flag run[] = {{.name = "rate", .type = OB_FLAG_LONG, .dest = &n, .max = 10},
                           {.name = "headless", .type = OB_FLAG_BOOL, .dest = &b},
                           {.name = "run-time", .short_name = 't', .type = OB_FLAG_LONG, .dest = &n, .max = 9}};
    const ob_flag sink[] = {{.name = "batch", .type = OB_FLAG_LONG, .dest = &n, .max = 10}};
    ob_flag_probe probes[2];
    char *args[] = {"--headless", "-t", "--config", "--config", "x.conf", "--no-config"};
    CHECK(probe("run", run, 3, &probes[0], 5, args) == 1);
    CHECK(probe("sink", sink, 1, &probes[1], 0, NULL) == 1);
    CHECK(n == 0 && !b); /* nothing stored */
    CHECK_STR(probes[0].command, "run");
    CHECK(probes[0].nflags == 3 && strcmp(probes[0].flags[2].name, "run-time") == 0);
    CHECK(probes[0].flags[2].short_name == 't' && probes[0].flags[2].takes_value && !probes[0].flags[1].takes_value);
    CHECK(probes[0].config && strcmp(probes[0].config, "x.conf") == 0); /* -t took "--config" as its value */
    CHECK(!probes[0].no_config && !probes[0].help);
    CHECK(probe("run", run, 3, &probes[0], 6, args) == 1 && probes[0].no_config);
    char *help[] = {"--bogus", "-h"};
    CHECK(probe("run", run, 3, &probes[0], 2, help) == 1 && probes[0].help);
    ob_err err;
    CHECK(ob_flags_check_config(probes, 2, &probes[0], NULL, &err) == 0); /* after --help: nothing read */
    CHECK(probe("run", run, 3, &probes[0], 0, NULL) == 1);

    static const struct {
        const char *text, *want; /* want NULL: good */
    } cases[] = {
        {"rate = 1\nbatch = 2\n[run]\nheadless = yes\n[sink]\nbatch = 3\n", NULL},
        {"rate = 1\nrat = 2\n", "k.conf:2: unknown key \"rat\": no outbreak command has --rat"},
        {"[run]\nbatch = 2\n", "k.conf:2: unknown key \"batch\" in [run] (see outbreak run --help)"},
        {"[rnu]\nrate = 2\n", "k.conf:2: unknown section [rnu] (the commands: run, sink)"},
        {"config = other.conf\n", "k.conf:1: unknown key \"config\": no outbreak command has --config"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ob_flag_sources src = {.text = cases[i].text, .text_len = strlen(cases[i].text), .text_name = "k.conf"};
        memset(&err, 0, sizeof err);
        int rc = ob_flags_check_config(probes, 2, &probes[0], &src, &err);
        if (!cases[i].want) {
            CHECK_MSG(rc == 0, "case %zu: %s", i, err.msg);
        } else {
            CHECK_MSG(rc == -1 && strcmp(err.msg, cases[i].want) == 0, "case %zu: \"%s\"", i, err.msg);
            CHECK(err.kind == OB_ERR_USAGE);
        }
    }
    /* the environment: a variable one letter from a flag is a typo; other OUTBREAK_
     * variables (the scripts') and other programs' are left alone */
    static const struct {
        const char *var, *want; /* want NULL: good */
    } envs[] = {
        {"OUTBREAK_RATE=5", NULL},
        {"OUTBREAK_BATCH=5", NULL}, /* another command's flag */
        {"OUTBREAK_RATEE=5", "OUTBREAK_RATEE: no outbreak command has --ratee (did you mean OUTBREAK_RATE?)"},
        {"OUTBREAK_RUNTIME=5s", "OUTBREAK_RUNTIME: no outbreak command has --runtime (did you mean OUTBREAK_RUN_TIME?)"},
        {"OUTBREAK_BATCHES=5", NULL}, /* two letters away: not taken for a typo */
        {"OUTBREAK_BACTH=5", NULL},
        {"OUTBREAK_RATEE=", NULL},  /* empty: no value */
        {"OUTBREAK_TOOLS_DIR=/x", NULL},
        {"RATEE=5", NULL},
    };
    for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
        const char *env[] = {"HOME=/root", envs[i].var, NULL};
        ob_flag_sources src = {.env = env};
        memset(&err, 0, sizeof err);
        int rc = ob_flags_check_config(probes, 2, &probes[0], &src, &err);
        if (!envs[i].want) {
            CHECK_MSG(rc == 0, "env %s: %s", envs[i].var, err.msg);
        } else {
            CHECK_MSG(rc == -1 && strcmp(err.msg, envs[i].want) == 0, "env %s: \"%s\"", envs[i].var, err.msg);
            CHECK(err.kind == OB_ERR_USAGE);
        }
    }
    /* the running command's --config is read; one that is missing is said */
    char *cfg[] = {"--config", "/nonexistent/z.conf"};
    CHECK(probe("sink", sink, 1, &probes[1], 2, cfg) == 1);
    ob_flag_sources none = {0};
    CHECK(ob_flags_check_config(probes, 2, &probes[1], &none, &err) == -1);
    CHECK_STR(err.msg, "--config: /nonexistent/z.conf: cannot read: No such file or directory");
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_config.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    test_syntax();
    test_precedence();
    test_repeatable_and_bools();
    test_mistakes();
    test_rest();
    test_print_config();
    test_check();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    CHECK_DONE();
}
