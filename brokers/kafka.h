/* kafka.h — internals of the Kafka adapter (librdkafka), shared by its files:
 *
 *   kafka.c        the vtable: open, durability, close
 *   kafka_conf.c   the URL's options, librdkafka's configuration, the topic, errors
 *   kafka_pub.c    the producer: delivery reports as acks, back-pressure, flush/purge
 *   kafka_sub.c    the consumer group: commits after the insert, rebalances, rewinds
 *   kafka_sec.c    TLS and SASL: their options, properties, and failures in plain words
 *
 * Nothing here is visible outside brokers/kafka*.c. */
#ifndef OB_KAFKA_H
#define OB_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker.h"

/* The URL's options, checked. */
typedef struct kafka_settings {
    char bootstrap[512];      /* host:port[,host:port...] */
    char topic[250];
    long partitions;          /* when the topic is created */
    long replication;         /* when the topic is created */
    bool partitions_given;    /* the URL names them: an existing topic must have them */
    bool replication_given;
    char acks[4];             /* 0 | 1 | all */
    bool idempotence;
    long linger_ms;
    long batch_bytes;
    char compression[8];      /* none | gzip | snappy | lz4 | zstd */
    bool key_by_location;     /* key = the record's location (else no key) */
    char group[250];          /* the sink's consumer group */
    char security[16];        /* plaintext | ssl | sasl_plaintext | sasl_ssl */
    char ca[256], cert[256], key_file[256]; /* PEM files ("" if not given) */
    bool has_key_password;    /* the key's passphrase is in the URL (key_password) */
    char mechanism[16];       /* SASL: PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512 ("" without SASL) */
    char user[128];           /* SASL: the URL's user; its password stays in the URL */
} kafka_settings;

typedef struct kafka_broker kafka_broker;

/* Reads and checks the URL's options, librdkafka's pass-through properties
 * (?rdkafka.NAME=VALUE) included. -1 with a one-line message naming the option. */
int ob_kafka_settings_parse(kafka_settings *s, const ob_url *url, ob_err *err);

/* librdkafka's configuration for the role: the settings, then the pass-through
 * properties (which win). Its opaque is kb; logs and errors go to kb, not to stderr. */
rd_kafka_conf_t *ob_kafka_conf_new(kafka_broker *kb, const ob_url *url, ob_role role, ob_err *err);

/* Creates the topic with s->partitions if it does not exist; waits at most the connect
 * timeout, so this is also where an unreachable cluster is found (unavailable; a topic
 * the cluster refuses to create: rejected). An existing topic is taken as it is, unless
 * the URL names partitions or a replication it does not have (rejected, one line); either
 * way kb->topic_* say what the cluster has. */
int ob_kafka_ensure_topic(kafka_broker *kb, ob_err *err);

/* The topic's min.insync.replicas (what acks=all waits for, the topic's setting or the
 * cluster's default): asked at open without waiting (never fails the open), read by
 * ob_kafka_min_isr, which waits for the answer until 2 s after the asking at most and
 * returns 0 when the cluster did not say (some do not answer DescribeConfigs at all).
 * ob_kafka_min_isr_forget drops the question (before the handle goes). */
/* A publisher's look, at open, at what the sinks' group (the URL's group) has still to
 * read of the topic: the sum over its partitions of the high watermark minus the group's
 * committed offset (or the low watermark where it committed none: auto.offset.reset
 * earliest), into kb->backlog; 0 for a topic this process created; -1 when the cluster
 * did not say within the connect timeout. Says it in a line, once per process, when
 * there is any. */
void ob_kafka_backlog_look_up(kafka_broker *kb);
void ob_kafka_min_isr_ask(kafka_broker *kb);
long ob_kafka_min_isr(kafka_broker *kb);
void ob_kafka_min_isr_forget(kafka_broker *kb);

/* The TLS and SASL options (kafka_sec.c) into s, called by ob_kafka_settings_parse: -1
 * with a one-line usage message (a CA, certificate or key file that cannot be read is
 * named). */
int ob_kafka_sec_parse(kafka_settings *s, const ob_url *url, ob_err *err);
/* librdkafka's security properties for s; the secrets are read from url. */
int ob_kafka_sec_conf(rd_kafka_conf_t *conf, const kafka_settings *s, const ob_url *url, ob_err *err);
/* The security settings in the summary's durability (no secrets). */
void ob_kafka_sec_durability(const kafka_settings *s, ob_durability *d);
/* If librdkafka's text reports a failed SSL handshake or SASL login (which retrying does
 * not mend), "ADDRESS: CAUSE" in plain words into buf and true; else false. */
bool ob_kafka_sec_cause(const kafka_settings *s, const char *text, char *buf, size_t cap);

/* The last thing librdkafka logged or reported as an error ("" if nothing). */
void ob_kafka_last_problem(kafka_broker *kb, char *buf, size_t cap);

/* --- producer ------------------------------------------------------------------------- */

typedef struct kafka_publisher {
    rd_kafka_topic_t *rkt;
    rd_kafka_queue_t *main_q;  /* delivery reports */
    int wake[2];               /* librdkafka writes to wake[1] when a report is queued */
    int64_t now;               /* the clock reading for the reports being served */
    bool purging;
    int purged;                /* reports failed by the purge at the end */
} kafka_publisher;

int ob_kafka_pub_init(kafka_broker *kb, const ob_url *url, ob_err *err);
int ob_kafka_pub_publish(ob_broker *b, const ob_msg *m, ob_err *err);
bool ob_kafka_pub_poll(ob_broker *b, int64_t until_mono);
int ob_kafka_pub_flush(ob_broker *b, int timeout_ms);
void ob_kafka_pub_close(kafka_broker *kb);

/* --- consumer ------------------------------------------------------------------------- */

/* The offsets handed to the sink for one partition, in order, until settled. */
typedef struct kafka_track {
    bool assigned;
    uint64_t generation;       /* changes when the partition is assigned, revoked, rewound */
    int64_t *offsets;          /* ring: outstanding offsets, oldest at head */
    uint8_t *state;            /* 0 outstanding, 1 inserted */
    size_t head, count, cap;
    int64_t commit;            /* next offset to commit (-1: nothing new) */
    int64_t rewind;            /* an insert failed: read again from here (-1: no) */
} kafka_track;

typedef struct kafka_subscriber {
    pthread_t reader;
    bool reader_started;
    atomic_bool stop;
    ob_deliver_fn *deliver;
    void *deliver_arg;
    pthread_mutex_t lock;      /* guards tracks */
    kafka_track *tracks;       /* by partition id */
    int32_t ntracks;
    uint64_t next_generation;
    int64_t last_commit_ns;
    long rebalances, rewinds;
} kafka_subscriber;

int ob_kafka_sub_init(kafka_broker *kb, const ob_url *url, ob_err *err);
int ob_kafka_sub_subscribe(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err);
void ob_kafka_sub_settle(ob_broker *b, ob_delivery *d, bool ok);
void ob_kafka_sub_close(kafka_broker *kb);

struct kafka_broker {
    ob_broker base;
    kafka_settings s;
    bool started;              /* the producer or consumer part was initialised */
    rd_kafka_t *rk;
    pthread_mutex_t problem_lock;
    char problem[480];         /* last log line or error from librdkafka */
    char fatal[480];           /* a failed SSL handshake or SASL login ("" if none) */
    int64_t last_report_ns;    /* rate limit of problems printed mid-run */
    bool opened;               /* past open: problems are printed (at most one a second) */
    kafka_publisher pub;
    kafka_subscriber sub;
    /* the topic as the cluster has it, read at open: what the durability says */
    bool topic_known;
    bool topic_existed;        /* there before this process opened (else created by it) */
    long topic_partitions, topic_replication;
    /* publisher: the records of the topic the sinks' group has not committed yet, read at
     * open (ob_kafka_backlog_look_up); -1 if not known */
    int64_t backlog;
    /* the topic's min.insync.replicas, asked at open and read when the durability is
     * first wanted (under min_isr_lock): 0 while not known */
    pthread_mutex_t min_isr_lock;
    long topic_min_isr;
    bool min_isr_asked, min_isr_read;
    int64_t min_isr_until;     /* CLOCK_MONOTONIC ns: how long the answer is waited for */
    rd_kafka_queue_t *min_isr_q;
    rd_kafka_AdminOptions_t *min_isr_ao;
    rd_kafka_ConfigResource_t *min_isr_res;
};

#endif
