/* test_flags.c — the flag parser every command uses (common/flags.h), error kinds and
 * the exit and HTTP codes derived from them (common/err.h), and the JSON writer ob_jw
 * (common/json.h) read back with the project's JSON reader. */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "split_args.h"
#include "err.h"
#include "flags.h"
#include "json.h"

typedef struct opts {
    long users;
    int batch;
    double rate;
    int64_t timeout_ns;
    uint64_t seed;
    bool once;
    const char *url;
    bool users_given;
    char custom[32];
} opts;

static int parse_upper(const char *v, void *dest, ob_err *err)
{
    if (strlen(v) >= 32 || !*v)
        return ob_err_set(err, "expected 1-31 characters, not \"%s\"", v);
    char *d = dest;
    for (; *v; v++)
        *d++ = (char)(*v >= 'a' && *v <= 'z' ? *v - 32 : *v);
    *d = '\0';
    return 0;
}

static const char *args[4];
static int nargs;
static char *rest[8];
static int nrest;

/* Parses the words of `line` (space-separated) with a fresh table; returns the parser's
 * result and leaves the values in *o and the error in *err. */
static int parse(const char *line, opts *o, ob_err *err, bool with_rest)
{
    char **argv;
    int argc = split_args(line, &argv);
    memset(o, 0, sizeof *o);
    o->users = 1;
    const ob_flag flags[] = {
        {.name = "users", .short_name = 'u', .type = OB_FLAG_LONG, .dest = &o->users, .min = 1, .max = 1000,
         .given = &o->users_given, .value_name = "N", .help = "users"},
        {.name = "batch", .type = OB_FLAG_INT, .dest = &o->batch, .min = 0, .max = 10, .value_name = "N",
         .help = "batch\nsecond line"},
        {.name = "rate", .type = OB_FLAG_NUMBER, .dest = &o->rate, .max = 1e6, .value_name = "N", .help = "rate"},
        {.name = "timeout", .short_name = 't', .type = OB_FLAG_DURATION, .dest = &o->timeout_ns, .min = 1e-9,
         .value_name = "T", .help = "timeout", .heading = "Time:"},
        {.name = "seed", .type = OB_FLAG_UINT64, .dest = &o->seed, .value_name = "N", .help = "seed"},
        {.name = "once", .type = OB_FLAG_BOOL, .dest = &o->once, .help = "once"},
        {.name = "url", .type = OB_FLAG_STRING, .dest = &o->url, .value_name = "URL", .help = "url"},
        {.name = "upper", .type = OB_FLAG_CUSTOM, .dest = o->custom, .parse = parse_upper, .value_name = "S",
         .help = "upper"},
    };
    ob_flag_set set = {.command = "test",
                       .synopsis = "usage: test\n",
                       .epilogue = "the end\n",
                       .flags = flags,
                       .nflags = sizeof flags / sizeof flags[0],
                       .args = args,
                       .max_args = with_rest ? 0 : 1,
                       .nargs = &nargs};
    if (with_rest) {
        set.rest = rest;
        set.max_rest = 8;
        set.nrest = &nrest;
    }
    memset(err, 0, sizeof *err);
    return ob_flags_parse(&set, argc, argv, err);
}

static void test_values(void)
{
    opts o;
    ob_err err;
    CHECK(parse("-u 10 --batch=3 --rate 2.5k -t 1m30s --seed 18446744073709551615 --once --url x://y --upper ab",
                &o, &err, false) == 0);
    CHECK(o.users == 10 && o.users_given);
    CHECK(o.batch == 3);
    CHECK(fabs(o.rate - 2500) < 1e-9);
    CHECK(o.timeout_ns == 90000000000LL);
    CHECK(o.seed == UINT64_MAX);
    CHECK(o.once);
    CHECK_STR(o.url, "x://y");
    CHECK_STR(o.custom, "AB");
    CHECK(parse("-u7 pos", &o, &err, false) == 0);
    CHECK(o.users == 7 && nargs == 1);
    CHECK_STR(args[0], "pos");
    CHECK(parse("--users=2k", &o, &err, false) == -1); /* 2000 > max */
    CHECK(parse("", &o, &err, false) == 0);
    CHECK(o.users == 1 && !o.users_given); /* untouched default */
    CHECK(parse("-- -u", &o, &err, false) == 0); /* after "--", an argument */
    CHECK_STR(args[0], "-u");
}

static void test_mistakes(void)
{
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"--bogus", "unknown flag --bogus (see outbreak test --help)"},
        {"-x", "unknown flag -x (see outbreak test --help)"},
        {"-u", "-u needs a value (see outbreak test --help)"},
        {"--users", "--users needs a value"},
        {"--users 0", "--users: expected a whole number from 1 to 1000, not \"0\""},
        {"--users 1.5", "--users: expected a whole number from 1 to 1000, not \"1.5\""},
        {"--batch 11", "--batch: expected a whole number from 0 to 10, not \"11\""},
        {"--rate 0", "--rate: expected a positive number, not \"0\""},
        {"--rate -1", "--rate: expected a positive number, not \"-1\""},
        {"-t 10x", "--timeout: expected a duration like 30s or 5m, not \"10x\""},
        {"-t 0", "--timeout: expected a duration"},
        {"--seed -1", "--seed: expected a non-negative integer, not \"-1\""},
        {"--seed 18446744073709551616", "--seed: expected a non-negative integer"},
        {"--once=yes", "--once takes no value"},
        {"--upper " "0123456789012345678901234567890123", "--upper: expected 1-31 characters"},
        {"a b", "unexpected argument \"b\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        opts o;
        ob_err err;
        int rc = parse(cases[i].line, &o, &err, false);
        CHECK_MSG(rc == -1, "%s: rc %d", cases[i].line, rc);
        CHECK_MSG(strstr(err.msg, cases[i].want) != NULL, "%s: \"%s\" lacks \"%s\"", cases[i].line, err.msg,
                  cases[i].want);
        CHECK_MSG(err.kind == OB_ERR_USAGE, "%s: kind %s", cases[i].line, ob_err_kind_name(err.kind));
        CHECK(ob_err_exit_code(&err) == 2);
        CHECK(strchr(err.msg, '\n') == NULL);
    }
}

static void test_rest(void)
{
    opts o;
    ob_err err;
    CHECK(parse("--rate 5 --json out.json -u 3 extra --only-summary", &o, &err, true) == 0);
    CHECK(o.users == 3 && fabs(o.rate - 5) < 1e-9);
    CHECK(nrest == 4);
    if (nrest == 4) {
        CHECK_STR(rest[0], "--json");
        CHECK_STR(rest[1], "out.json");
        CHECK_STR(rest[2], "extra");
        CHECK_STR(rest[3], "--only-summary");
    }
    CHECK(parse("a b c d e f g h i", &o, &err, true) == -1);
    CHECK(strstr(err.msg, "too many arguments") != NULL);
}

static void test_help(void)
{
    opts o;
    ob_err err;
    char *text = NULL;
    size_t len = 0;
    FILE *saved = stdout;
    FILE *m = open_memstream(&text, &len);
    stdout = m;
    int rc = parse("--users 3 --help", &o, &err, false);
    stdout = saved;
    fclose(m);
    CHECK(rc == 1);
    CHECK(strstr(text, "usage: test\n") == text);
    CHECK(strstr(text, "  -u, --users N          users\n") != NULL);
    CHECK(strstr(text, "      --batch N          batch\n                         second line\n") != NULL);
    CHECK(strstr(text, "Time:\n  -t, --timeout T") != NULL);
    CHECK(strstr(text, "      --once             once\n") != NULL);
    CHECK(strstr(text, "  -h, --help") != NULL);
    CHECK(strstr(text, "the end\n") != NULL);
    free(text);
}

static void test_err_kinds(void)
{
    ob_err err;
    CHECK(ob_err_set(&err, "x %d", 1) == -1);
    CHECK(err.kind == OB_ERR_INTERNAL && ob_err_exit_code(&err) == 1 && ob_err_http_status(&err) == 500);
    static const struct {
        ob_err_kind kind;
        int exit, http;
        const char *name;
    } kinds[] = {
        {OB_ERR_USAGE, 2, 400, "usage"},     {OB_ERR_UNAVAILABLE, 1, 503, "unavailable"},
        {OB_ERR_REJECTED, 1, 502, "rejected"}, {OB_ERR_TIMEOUT, 1, 504, "timeout"},
        {OB_ERR_INTERNAL, 1, 500, "internal"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        CHECK(ob_err_setk(&err, kinds[i].kind, "at %s", "127.0.0.1:1") == -1);
        CHECK_STR(err.msg, "at 127.0.0.1:1");
        CHECK(ob_err_exit_code(&err) == kinds[i].exit);
        CHECK(ob_err_http_status(&err) == kinds[i].http);
        CHECK_STR(ob_err_kind_name(err.kind), kinds[i].name);
    }
    ob_err_setk(&err, OB_ERR_UNAVAILABLE, "cannot connect");
    ob_err_prefix(&err, "--broker");
    CHECK(err.kind == OB_ERR_UNAVAILABLE); /* a prefix keeps the kind */
    CHECK_STR(err.msg, "--broker: cannot connect");
    ob_err_kind_set(&err, OB_ERR_USAGE);
    CHECK(ob_err_exit_code(&err) == 2);
    CHECK(ob_err_exit_code(NULL) == 1);
    /* always one line, whatever a quoted value holds */
    ob_err_setk(&err, OB_ERR_USAGE, "--threads: not \"%s\"", "4\n,-x\r\t");
    CHECK_STR(err.msg, "--threads: not \"4?,-x??\"");
    ob_err_prefix(&err, "a\nb");
    CHECK(strchr(err.msg, '\n') == NULL);
    /* the same rule for a server's words, with the caller's character */
    char words[] = "bad\r\nthing\x7f\t\xc3\xa9";
    ob_text_one_line(words, ' ');
    CHECK_STR(words, "bad  thing  \xc3\xa9");
}

/* Writes a document with ob_jw and reads it back with the project's reader. */
static void test_writer(void)
{
    char long_value[3000];
    for (size_t i = 0; i < sizeof long_value - 1; i++)
        long_value[i] = (char)("a\"\\\n\x01z"[i % 6]);
    long_value[sizeof long_value - 1] = '\0';
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    ob_jw w;
    ob_jw_init(&w, m);
    ob_jw_object(&w);
    ob_jw_key(&w, "long");
    ob_jw_str(&w, long_value);
    ob_jw_key(&w, "list");
    ob_jw_array(&w);
    ob_jw_int(&w, -5);
    ob_jw_double(&w, 0.1);
    ob_jw_num(&w, NAN, 2);
    ob_jw_bool(&w, true);
    ob_jw_str(&w, NULL);
    ob_jw_object(&w);
    ob_jw_end(&w);
    ob_jw_end(&w);
    ob_jw_key(&w, "raw");
    ob_jw_raw(&w, "{\"a\":1}", 7);
    ob_jw_end(&w);
    CHECK(ob_jw_status(&w) == 0);
    fclose(m);

    ob_json j;
    ob_json_init(&j, text, len);
    char key[16], *value = malloc(4000);
    size_t klen, vlen;
    int64_t n;
    double d;
    bool b;
    CHECK(ob_json_object_begin(&j) == 0);
    CHECK(ob_json_object_next(&j, key, sizeof key, &klen) == 1 && strcmp(key, "long") == 0);
    CHECK(ob_json_string(&j, value, 4000, &vlen) == 0 && strcmp(value, long_value) == 0);
    CHECK(ob_json_object_next(&j, key, sizeof key, &klen) == 1 && strcmp(key, "list") == 0);
    CHECK(ob_json_array_begin(&j) == 0);
    CHECK(ob_json_array_next(&j) == 1 && ob_json_int64(&j, -10, 10, &n) == 0 && n == -5);
    CHECK(ob_json_array_next(&j) == 1 && ob_json_double(&j, &d) == 0 && d == 0.1);
    CHECK(ob_json_array_next(&j) == 1 && ob_json_null(&j) == 0);
    CHECK(ob_json_array_next(&j) == 1 && ob_json_bool(&j, &b) == 0 && b);
    CHECK(ob_json_array_next(&j) == 1 && ob_json_null(&j) == 0);
    CHECK(ob_json_array_next(&j) == 1 && ob_json_skip(&j) == 0);
    CHECK(ob_json_array_next(&j) == 0);
    CHECK(ob_json_object_next(&j, key, sizeof key, &klen) == 1 && strcmp(key, "raw") == 0);
    CHECK(ob_json_skip(&j) == 0);
    CHECK(ob_json_object_next(&j, key, sizeof key, &klen) == 0);
    CHECK(ob_json_at_end(&j));
    free(value);
    free(text);

    /* misuse is reported, not written as broken JSON silently */
    m = open_memstream(&text, &len);
    ob_jw_init(&w, m);
    ob_jw_object(&w);
    ob_jw_int(&w, 1); /* a value without a key */
    ob_jw_end(&w);
    CHECK(ob_jw_status(&w) == -1);
    fclose(m);
    free(text);
    m = open_memstream(&text, &len);
    ob_jw_init(&w, m);
    ob_jw_array(&w);
    ob_jw_key(&w, "k"); /* a key in an array */
    ob_jw_end(&w);
    CHECK(ob_jw_status(&w) == -1);
    fclose(m);
    free(text);
    m = open_memstream(&text, &len);
    ob_jw_init(&w, m);
    ob_jw_object(&w);
    CHECK(ob_jw_status(&w) == -1); /* still open */
    ob_jw_end(&w);
    CHECK(ob_jw_status(&w) == 0);
    ob_jw_end(&w);
    CHECK(ob_jw_status(&w) == -1); /* one end too many */
    fclose(m);
    free(text);

    /* the fixed-buffer escaper never leaves a cut literal behind */
    char small[8];
    memset(small, 'x', sizeof small);
    CHECK(ob_json_write_string(small, sizeof small, "0123456789") == -1);
    CHECK(small[0] == '\0');
    CHECK(ob_json_write_string(small, sizeof small, "ab") == 4);
    CHECK_STR(small, "\"ab\"");
}

int main(void)
{
    test_values();
    test_mistakes();
    test_rest();
    test_help();
    test_err_kinds();
    test_writer();
    CHECK_DONE();
}
