/* test_control_form.c — the web UI's start form (ob_control_parse_start, live/control.h):
 * the defaults when a field is empty, each field read over them, a URL per line for a
 * comparison, the masked default URL standing for itself, and each bad field refused
 * with a usage error naming it. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "control.h"

static ob_run_opts defaults_of(void)
{
    ob_run_opts o;
    char *argv[] = {"run", "--headless", "-u", "5", "-r", "2", "-t", "30s", "--threads", "2"};
    ob_err err;
    if (ob_run_opts_parse(&o, 10, argv, &err) != 0)
        fprintf(stderr, "defaults: %s\n", err.msg);
    return o;
}

static char *brokers[] = {"nats://127.0.0.1:4222?subject=a", "amqp://ann:pw-secret-1@127.0.0.1:5672/?queue=q"};
static ob_start_form form;

static int parse(const ob_form_field *f, size_t n, ob_err *err)
{
    ob_run_opts d = defaults_of();
    memset(err, 0, sizeof *err);
    return ob_control_parse_start(&d, brokers, 2, f, n, &form, err);
}

static void test_defaults(void)
{
    ob_err err;
    CHECK(parse(NULL, 0, &err) == 0);
    CHECK(form.nurls == 2 && strcmp(form.urls[0], brokers[0]) == 0 && strcmp(form.urls[1], brokers[1]) == 0);
    CHECK(form.opts.users == 5 && form.opts.spawn_rate == 2 && form.opts.rate == 0);
    CHECK(form.opts.run_time_ns == 30000000000LL && form.opts.threads == 2 && form.opts.headless);
    /* empty fields keep the defaults, as a form that was not touched */
    ob_form_field empty[] = {{"broker", ""}, {"users", ""}, {"spawn_rate", " "}, {"wait", ""}};
    CHECK(parse(empty, 4, &err) == 0 && form.nurls == 2 && form.opts.users == 5 && form.opts.spawn_rate == 2);
}

static void test_fields(void)
{
    ob_err err;
    ob_form_field f[] = {{"broker", "nats://127.0.0.1:4222?subject=x\r\n  kafka://127.0.0.1:9092?topic=t  \n\n"},
                         {"users", "1"}, {"spawn_rate", "0.5"}, {"rate", "2k"}, {"run_time", "1m30s"},
                         {"wait", "0.1-0.9"}};
    CHECK_MSG(parse(f, 6, &err) == 0, "%s", err.msg);
    CHECK(form.nurls == 2 && strcmp(form.urls[0], "nats://127.0.0.1:4222?subject=x") == 0 &&
          strcmp(form.urls[1], "kafka://127.0.0.1:9092?topic=t") == 0);
    /* a rate means the open model: its threads stay those of the defaults */
    CHECK(form.opts.rate == 2000 && form.opts.threads == 2 && form.opts.run_time_ns == 90000000000LL);
    CHECK(form.opts.wait_min == 0.1 && form.opts.wait_max == 0.9);
    /* the closed model with 1 user: 1 thread */
    ob_form_field g[] = {{"users", "1"}, {"rate", ""}};
    CHECK(parse(g, 2, &err) == 0 && form.opts.rate == 0 && form.opts.users == 1 && form.opts.threads == 1);
    ob_form_field max[] = {{"rate", "max"}};
    CHECK(parse(max, 1, &err) == 0 && form.opts.rate_max);
    /* two broker fields: both */
    ob_form_field two[] = {{"broker", "nats://127.0.0.1:4222"}, {"broker", "grpc://127.0.0.1:50051"}};
    CHECK(parse(two, 2, &err) == 0 && form.nurls == 2 && strncmp(form.urls[1], "grpc://", 7) == 0);
}

static void test_masked(void)
{
    ob_err err;
    /* the state shows amqp://ann:***@...: sent back, it is the default with its password */
    ob_form_field f[] = {{"broker", "amqp://ann:***@127.0.0.1:5672/?queue=q"}};
    CHECK_MSG(parse(f, 1, &err) == 0, "%s", err.msg);
    CHECK_MSG(form.nurls == 1 && strcmp(form.urls[0], brokers[1]) == 0, "got %s", form.urls[0]);
}

static void test_errors(void)
{
    static const struct {
        const char *name, *value, *says;
    } bad[] = {
        {"users", "0", "users: "},          {"users", "2.5", "users: "},
        {"users", "lots", "users: "},       {"spawn_rate", "0", "spawn_rate: "},
        {"rate", "-3", "rate: "},           {"rate", "fast", "rate: "},
        {"run_time", "soon", "run_time: "}, {"run_time", "-1s", "run_time: "},
        {"wait", "0.9-0.1", "wait: "},      {"broker", "bogus://x", "broker: "},
        {"broker", "nats://127.0.0.1:4222?nope=1", "broker: "},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ob_form_field f[] = {{bad[i].name, bad[i].value}};
        ob_err err;
        int rc = parse(f, 1, &err);
        CHECK_MSG(rc == -1 && err.kind == OB_ERR_USAGE && strncmp(err.msg, bad[i].says, strlen(bad[i].says)) == 0,
                  "%s=%s: rc %d, \"%s\"", bad[i].name, bad[i].value, rc, err.msg);
    }
    /* 17 middlewares: over the limit */
    char many[17 * 30] = "";
    for (int i = 0; i < 17; i++)
        strcat(many, "nats://127.0.0.1:4222\n");
    ob_form_field f[] = {{"broker", many}};
    ob_err err;
    CHECK(parse(f, 1, &err) == -1 && strstr(err.msg, "at most 16"));
}

/* --stages from the form: they stand for users, rate and run time; empty, none */
static void test_stages(void)
{
    ob_err err;
    ob_form_field f[] = {{"users", "5"}, {"rate", ""}, {"run_time", "30s"}, {"stages", "10s:1000/s,20s:500/s"}};
    CHECK_MSG(parse(f, 4, &err) == 0, "%s", err.msg);
    CHECK(form.opts.stages.n == 2 && form.opts.stages.rates && form.opts.rate == 1000);
    CHECK(form.opts.run_time_ns == 30000000000LL && form.opts.threads == 2);
    ob_form_field u[] = {{"rate", "2k"}, {"run_time", ""}, {"stages", "5s:40,5s:0"}};
    CHECK_MSG(parse(u, 3, &err) == 0, "%s", err.msg);
    CHECK(form.opts.stages.n == 2 && !form.opts.stages.rates && form.opts.rate == 0 && form.opts.users == 40);
    CHECK(form.opts.run_time_ns == 10000000000LL);
    ob_form_field none[] = {{"rate", "2k"}, {"stages", " "}};
    CHECK(parse(none, 2, &err) == 0 && form.opts.stages.n == 0 && form.opts.rate == 2000);
    ob_form_field bad[] = {{"stages", "10s:5,5s:3/s"}};
    CHECK(parse(bad, 1, &err) == -1 && err.kind == OB_ERR_USAGE);
    CHECK_MSG(strncmp(err.msg, "stages: the stage \"5s:3/s\" is a rate", 36) == 0, "%s", err.msg);
    ob_form_field zero[] = {{"stages", "10s:0/s"}};
    CHECK(parse(zero, 1, &err) == -1 && err.kind == OB_ERR_USAGE && strstr(err.msg, "stages: every stage's target is 0"));
}

/* run's --warmup and --reset-stats under the form's load: stages exclude a warm-up; the
 * spawning of the form's users is the warm-up of --reset-stats, none for a rate */
static void test_warmups(void)
{
    ob_err err;
    ob_run_opts d = defaults_of();
    d.warmup_ns = 1000000000LL;
    ob_form_field st[] = {{"stages", "5s:40"}};
    memset(&err, 0, sizeof err);
    CHECK(ob_control_parse_start(&d, brokers, 2, st, 1, &form, &err) == -1 && err.kind == OB_ERR_USAGE);
    CHECK_MSG(strstr(err.msg, "--stages and --warmup exclude each other") != NULL, "%s", err.msg);
    d = defaults_of();
    d.reset_stats = true;
    ob_form_field users[] = {{"users", "9"}, {"spawn_rate", "4"}, {"run_time", "10s"}};
    CHECK_MSG(ob_control_parse_start(&d, brokers, 2, users, 3, &form, &err) == 0, "%s", err.msg);
    CHECK(form.opts.warmup_ns == 2000000000LL && form.opts.run_time_ns == 8000000000LL && !form.opts.reset_stats);
    ob_form_field rate[] = {{"rate", "100"}};
    CHECK_MSG(ob_control_parse_start(&d, brokers, 2, rate, 1, &form, &err) == 0, "%s", err.msg);
    CHECK(form.opts.warmup_ns == 0 && form.opts.run_time_ns == 30000000000LL && !form.opts.reset_stats);
    ob_form_field shortt[] = {{"users", "9"}, {"spawn_rate", "4"}, {"run_time", "2s"}};
    CHECK(ob_control_parse_start(&d, brokers, 2, shortt, 3, &form, &err) == -1 && err.kind == OB_ERR_USAGE);
    CHECK_MSG(strstr(err.msg, "spawning 9 users at 4 a second takes 2s") != NULL, "%s", err.msg);
}

/* the record size: bytes, empty for the records as they are, anything else refused */
static void test_record_size(void)
{
    ob_err err;
    ob_form_field f[] = {{"record_size", "2048"}};
    CHECK_MSG(parse(f, 1, &err) == 0 && form.opts.record_size == 2048, "%s", err.msg);
    ob_form_field none[] = {{"record_size", ""}};
    CHECK(parse(none, 1, &err) == 0 && form.opts.record_size == 0);
    ob_form_field bad[] = {{"record_size", "1kb"}};
    CHECK(parse(bad, 1, &err) == -1 && err.kind == OB_ERR_USAGE);
    CHECK_MSG(strcmp(err.msg, "record_size: expected bytes from 1 to 1000000, not \"1kb\"") == 0, "%s", err.msg);
    ob_form_field big[] = {{"record_size", "1000001"}};
    CHECK(parse(big, 1, &err) == -1 && strstr(err.msg, "record_size: expected bytes"));
}

int main(void)
{
    test_defaults();
    test_fields();
    test_masked();
    test_errors();
    test_stages();
    test_warmups();
    test_record_size();
    CHECK_DONE();
}
