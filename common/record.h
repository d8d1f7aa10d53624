/* record.h — the infection record (docs/architecture.md §4) and its JSON codec.
 *
 * On the wire a record is one JSON object with the course project's five fields
 * followed by the harness metadata:
 *   {"name":"Urban Beldum","location":"Escuintla","age":4,"infectedtype":"non-imported",
 *    "state":"symptomatic","run":"r-1a2b","producer":2814529283,"seq":42,"sent_ns":1700000000000000000}
 * (producer 2814529283 = process 10994255 << 8 | worker 3: see OB_PRODUCER_WORKER_BITS)
 * The encoder writes the body (five fields) once per record and the metadata per send,
 * so the hot path only formats four numbers. */
#ifndef OB_RECORD_H
#define OB_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define OB_NAME_CAP 128 /* bytes incl. NUL, UTF-8 */
#define OB_FIELD_CAP 48
#define OB_RUN_CAP 64

/* The largest filler a record may carry (its "pad" field): a record stays under a
 * megabyte, the largest message NATS and Kafka take by default. */
#define OB_PAD_MAX 1000000
/* The largest record a load generator pads to (run --record-size). */
#define OB_RECORD_SIZE_MAX OB_PAD_MAX

typedef struct ob_record {
    char name[OB_NAME_CAP];
    char location[OB_FIELD_CAP];
    int age;
    char infectedtype[OB_FIELD_CAP];
    char state[OB_FIELD_CAP];
    uint32_t pad; /* the length of the optional "pad" field, filler that makes a record as
                     large as a benchmark asks (run --record-size); its text is not kept,
                     nor stored by the sinks (0: none) */
} ob_record;

/* The producer id of a record: a load-generating process's id above the worker's
 * number, producer = process << OB_PRODUCER_WORKER_BITS | (worker index + 1), so that
 * processes sharing a run id never share an _id "<run>/<producer>/<seq>". `outbreak run`
 * draws its 24-bit process part at random (never 0), and so does each `outbreak
 * gateway` for the records it stamps (worker 1); senders without one (other tools)
 * use process 0. Sinks count per process so each `outbreak run` can check its own
 * records. */
#define OB_PRODUCER_WORKER_BITS 8
#define OB_PRODUCER_PROCESS(producer) ((uint32_t)(producer) >> OB_PRODUCER_WORKER_BITS)
#define OB_PRODUCER_WORKER(producer) ((uint32_t)(producer) & ((1u << OB_PRODUCER_WORKER_BITS) - 1))

typedef struct ob_meta {
    char run[OB_RUN_CAP]; /* run id: [A-Za-z0-9._-]+ */
    uint32_t producer;    /* process << 8 | worker index + 1 (see above) */
    uint64_t seq;         /* per-producer sequence number, from 1 */
    int64_t sent_ns;      /* CLOCK_REALTIME ns at the intended send time */
} ob_meta;

/* Writes the five fields as a JSON object *without* its closing brace:
 *   {"name":"..","location":"..","age":N,"infectedtype":"..","state":".."
 * and, when r->pad > 0, the filler ,"pad":"xxx..." (r->pad times 'x'). Strings are
 * JSON-escaped. Returns the length written (no NUL), or -1 if cap is too
 * small. */
int ob_record_encode_body(const ob_record *r, char *buf, size_t cap);

/* Appends the metadata and the closing brace to a body:
 *   ,"run":"..","producer":N,"seq":N,"sent_ns":N}
 * Returns the length written, or -1 if cap is too small. */
int ob_record_encode_meta(const ob_meta *m, char *buf, size_t cap);

/* The two halves of ob_record_encode_meta, for a producer that sends many records of
 * one run: the constant prefix ,"run":"..","producer":N,"seq": (computed once), and
 * the tail N,"sent_ns":N} per record. Each returns the length written (NUL-terminated;
 * cap must leave room for the NUL), or -1 if cap is too small. */
int ob_record_meta_prefix(const char *run, uint32_t producer, char *buf, size_t cap);
int ob_record_meta_tail(uint64_t seq, int64_t sent_ns, char *buf, size_t cap);

/* Body + metadata (m may be NULL: then just the closing brace). Returns length or -1. */
int ob_record_encode(const ob_record *r, const ob_meta *m, char *buf, size_t cap);

/* Decodes one JSON object. The five record fields are required with their types
 * (strings; age an integer); "run", "producer", "seq", "sent_ns" are optional and
 * *has_meta tells whether all four were present (m and has_meta may be NULL). "pad" is
 * optional: a string of at most OB_PAD_MAX bytes whose length goes into r->pad (0
 * without it); its text is dropped.
 * Unknown keys are ignored; duplicate keys: last wins. Fails on anything that is not
 * exactly one JSON object (trailing non-space is an error), with err like
 * "line 1, column 17: expected ':' after key". */
int ob_record_decode(const char *json, size_t len, ob_record *r, ob_meta *m, bool *has_meta,
                     ob_err *err);

/* What ob_record_decode does, on a reader positioned at the object (json.h), so that
 * the records file loader reads records in place with file line and column numbers. On
 * success the reader is left after the object; on failure it holds the error and its
 * position. */
struct ob_json;
int ob_record_read(struct ob_json *j, ob_record *r, ob_meta *m, bool *has_meta);

/* Checks the domain of docs/architecture.md §4 (one of the 22 departments, age 1..90, known
 * infectedtype and state). Returns 0 or -1 with err saying which field is off. */
int ob_record_check_domain(const ob_record *r, ob_err *err);

/* Whether s is a run id: 1..OB_RUN_CAP-1 characters of [A-Za-z0-9._-] (usable in _id,
 * database names and file names). */
bool ob_run_id_valid(const char *s);
/* A flag parser (ob_flag's parse) for a run id: checks it with ob_run_id_valid and
 * copies it into dest (char[OB_RUN_CAP]); the message names what is allowed. */
int ob_run_id_parse(const char *v, void *dest, ob_err *err);
/* A random 24-bit process part for producer ids, never 0 (getrandom, or the clocks
 * and the pid when it fails). */
uint32_t ob_producer_process_draw(void);

#endif
