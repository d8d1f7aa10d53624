/* mongo_bulk.c — the baseline for the sink benchmark: inserts N generated records into
 * MongoDB with plain unordered bulk inserts of BATCH documents, shaped like the sink's
 * documents (_id, the five fields, run, producer, seq, sent_ns, way, persisted_at), and
 * prints "inserted N documents in S s: R docs/s". No broker, no decoding, no acks: what
 * the sink's throughput is compared against.
 *
 * usage: ob_mongo_bulk MONGO_URL COUNT [BATCH] */
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "generator.h"

#define PRODUCER 2814529283LL

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MONGO_URL COUNT [BATCH]\n", argv[0]);
        return 2;
    }
    long count = atol(argv[2]), batch = argc > 3 ? atol(argv[3]) : 500;
    if (count < 1 || batch < 1) {
        fprintf(stderr, "%s: COUNT and BATCH must be positive\n", argv[0]);
        return 2;
    }
    mongoc_init();
    bson_error_t error;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(argv[1], &error);
    if (!uri) {
        fprintf(stderr, "%s: %s\n", argv[0], error.message);
        return 2;
    }
    const char *dbname = mongoc_uri_get_database(uri) ? mongoc_uri_get_database(uri) : "outbreak_bench";
    mongoc_client_t *client = mongoc_client_new_from_uri(uri);
    mongoc_collection_t *coll = mongoc_client_get_collection(client, dbname, "records");
    char run[64];
    snprintf(run, sizeof run, "plain-%lld", (long long)ob_real_ns());

    ob_gen gen;
    ob_gen_init(&gen, 1);
    bson_t **docs = calloc((size_t)batch, sizeof *docs);
    bson_t *opts = BCON_NEW("ordered", BCON_BOOL(false));
    int64_t t0 = ob_mono_ns();
    int rc = 0;
    for (long done = 0; done < count && rc == 0;) {
        long n = count - done < batch ? count - done : batch;
        for (long i = 0; i < n; i++) {
            ob_record r;
            ob_gen_record(&gen, &r);
            long seq = done + i + 1;
            char id[128];
            /* the sink's shape: a producer id of outbreak run's size (process << 8 | 1)
             * in _id and producer, and the inserting sink's id (<hostname>-<pid>) */
            snprintf(id, sizeof id, "%s/%lld/%ld", run, (long long)PRODUCER, seq);
            docs[i] = BCON_NEW("_id", BCON_UTF8(id), "name", BCON_UTF8(r.name), "location",
                               BCON_UTF8(r.location), "age", BCON_INT32(r.age), "infectedtype",
                               BCON_UTF8(r.infectedtype), "state", BCON_UTF8(r.state), "run",
                               BCON_UTF8(run), "producer", BCON_INT64(PRODUCER), "seq", BCON_INT64(seq),
                               "sent_ns", BCON_INT64(ob_real_ns()), "way", BCON_UTF8("nats"),
                               "sink", BCON_UTF8("bench-host-123456"),
                               "persisted_at", BCON_DATE_TIME(ob_real_ns() / 1000000));
        }
        if (!mongoc_collection_insert_many(coll, (const bson_t **)docs, (size_t)n, opts, NULL, &error)) {
            fprintf(stderr, "%s: insert failed: %s\n", argv[0], error.message);
            rc = 1;
        }
        for (long i = 0; i < n; i++)
            bson_destroy(docs[i]);
        done += n;
    }
    double s = (double)(ob_mono_ns() - t0) / 1e9;
    if (rc == 0)
        printf("inserted %ld documents in %.3f s: %.1f docs/s\n", count, s, (double)count / s);
    bson_destroy(opts);
    free(docs);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(client);
    mongoc_uri_destroy(uri);
    mongoc_cleanup();
    return rc;
}
