/* test_pubsub_response.c — what the Pub/Sub adapter reads from the server's answers
 * (brokers/pubsub.h): a pull's messages (ack id and base64 data, strings of any length,
 * a key given twice, messages without one of them skipped), the message ids of a
 * publish, and an error body made one line (a Pub/Sub error's, and a token endpoint's). Run under ASan, a leak fails it too. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pubsub.h"
#include "pubsub_key.h"

typedef struct seen {
    int n;
    char ack[4][8];
    char data[4][64];
    size_t len[4];
    size_t long_len;
} seen;

static void on_message(void *arg, char *ack_id, char *data, size_t len)
{
    seen *s = arg;
    if (s->n < 4 && strlen(ack_id) < sizeof s->ack[0] && len < sizeof s->data[0]) {
        memcpy(s->ack[s->n], ack_id, strlen(ack_id) + 1);
        memcpy(s->data[s->n], data, len + 1);
        s->len[s->n] = len;
    } else {
        s->long_len = len;
    }
    s->n++;
    free(ack_id);
    free(data);
}

static int pull(const char *body, seen *s)
{
    memset(s, 0, sizeof *s);
    return ob_ps_read_pull(body, strlen(body), on_message, s);
}

static void test_pull(void)
{
    seen s;
    /* "aGVsbG8=" is "hello", "AAEC" three bytes 0, 1, 2 */
    CHECK(pull("{\"receivedMessages\":["
               "{\"ackId\":\"a1\",\"message\":{\"data\":\"aGVsbG8=\",\"messageId\":\"7\"}},"
               "{\"ackId\":\"a2\",\"message\":{\"messageId\":\"8\"}},"          /* no data */
               "{\"message\":{\"data\":\"aGVsbG8=\"}},"                           /* no ack id */
               "{\"ackId\":\"a4\",\"message\":{\"data\":\"not base64!\"}},"     /* bad data */
               "{\"ackId\":\"x\",\"ackId\":\"a5\",\"message\":{\"data\":\"aGVsbG8=\",\"data\":\"AAEC\"}}"
               "]}",
               &s) == 2);
    CHECK(s.n == 2);
    CHECK_STR(s.ack[0], "a1");
    CHECK(s.len[0] == 5 && memcmp(s.data[0], "hello", 6) == 0);
    CHECK_STR(s.ack[1], "a5"); /* a key given twice: the last */
    CHECK(s.len[1] == 3 && memcmp(s.data[1], "\0\1\2", 4) == 0);

    /* nothing, or not a pull response */
    CHECK(pull("{}", &s) == 0 && s.n == 0);
    CHECK(pull("{\"receivedMessages\":[]}", &s) == 0);
    CHECK(pull("[1,2]", &s) == 0);
    CHECK(pull("", &s) == 0);
    /* what follows a malformed element is not read; what came before is */
    CHECK(pull("{\"receivedMessages\":[{\"ackId\":\"a1\",\"message\":{\"data\":\"AAEC\"}},7,"
               "{\"ackId\":\"a3\",\"message\":{\"data\":\"AAEC\"}}]}",
               &s) == 1);
    CHECK_STR(s.ack[0], "a1");

    /* data longer than the reader's first buffer: 3 000 bytes, 4 000 of base64 */
    size_t n = 4000;
    char *body = malloc(n + 200);
    CHECK(body != NULL);
    if (body) {
        int k = snprintf(body, 200, "{\"receivedMessages\":[{\"ackId\":\"big\",\"message\":{\"data\":\"");
        for (size_t i = 0; i < n; i += 4)
            memcpy(body + k + i, "AAEC", 4);
        strcpy(body + k + n, "\"}}]}");
        CHECK(pull(body, &s) == 1 && s.long_len == 3000);
        free(body);
    }
}

static void test_publish_ids(void)
{
    const char *ok = "{\"messageIds\":[\"1\",\"2\",\"3\"]}";
    CHECK(ob_ps_count_ids(ok, strlen(ok)) == 3);
    CHECK(ob_ps_count_ids("{\"messageIds\":[]}", 17) == 0);
    CHECK(ob_ps_count_ids("{}", 2) == -1);
    CHECK(ob_ps_count_ids("{\"messageIds\":\"1\"}", 18) == -1);
    CHECK(ob_ps_count_ids("{\"messageIds\":[\"1\",", 19) == -1);
    CHECK(ob_ps_count_ids("", 0) == -1);
}

/* A subscription resource: its topic and ack deadline, whatever else it holds. */
static void test_subscription(void)
{
    char topic[64];
    long deadline = 0;
    const char *emu = "{\"name\":\"projects/p/subscriptions/s\",\"topic\":\"projects/p/topics/t\",\"pushConfig\":{},"
                      "\"ackDeadlineSeconds\":20,\"messageRetentionDuration\":\"604800s\"}";
    CHECK(ob_ps_read_subscription(emu, strlen(emu), topic, sizeof topic, &deadline) == 0);
    CHECK_STR(topic, "projects/p/topics/t");
    CHECK(deadline == 20);
    const char *no_deadline = "{\"topic\":\"projects/p/topics/t\"}";
    CHECK(ob_ps_read_subscription(no_deadline, strlen(no_deadline), topic, sizeof topic, &deadline) == -1);
    const char *bad_deadline = "{\"topic\":\"projects/p/topics/t\",\"ackDeadlineSeconds\":\"20\"}";
    CHECK(ob_ps_read_subscription(bad_deadline, strlen(bad_deadline), topic, sizeof topic, &deadline) == -1);
    const char *long_topic = "{\"topic\":\"projects/a-project-with-a-long-name/topics/a-topic-longer-than-64-bytes\","
                             "\"ackDeadlineSeconds\":10}";
    CHECK(ob_ps_read_subscription(long_topic, strlen(long_topic), topic, sizeof topic, &deadline) == -1);
    CHECK(ob_ps_read_subscription("[]", 2, topic, sizeof topic, &deadline) == -1);
    CHECK(ob_ps_read_subscription("", 0, topic, sizeof topic, &deadline) == -1);
}

static void test_http_error(void)
{
    char out[200];
    char json[] = "{\"error\":{\"code\":403,\"message\":\"no\\nway\",\"status\":\"PERMISSION_DENIED\"}}";
    ps_buf b = {json, strlen(json), sizeof json};
    ob_ps_http_error(403, &b, out, sizeof out);
    CHECK_STR(out, "HTTP 403 PERMISSION_DENIED: no way");
    char raw[] = "bad\r\ngateway";
    ps_buf r = {raw, strlen(raw), sizeof raw};
    ob_ps_http_error(502, &r, out, sizeof out); /* a body of lines is not quoted */
    CHECK_STR(out, "HTTP 502");
    char cr[] = "bad\rgateway";
    ps_buf c = {cr, strlen(cr), sizeof cr};
    ob_ps_http_error(502, &c, out, sizeof out); /* one line, even from a '\r' */
    CHECK_STR(out, "HTTP 502: bad gateway");
    char status[] = "{\"error\":{\"status\":\"A\\nB\",\"message\":\"tab\\there\"}}";
    ps_buf st = {status, strlen(status), sizeof status};
    ob_ps_http_error(400, &st, out, sizeof out); /* the status too (found by fuzz_pubsub_response) */
    CHECK_STR(out, "HTTP 400 A B: tab here");
}

/* What the token endpoint or the metadata server said: OAuth's error and description,
 * or Google's error object, on one line, cut between characters. */
static void test_error_text(void)
{
    char out[64];
    const char *oauth = "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid\\r\\nJWT\"}";
    ob_pubsub_error_text(oauth, strlen(oauth), out, sizeof out);
    CHECK_STR(out, "invalid_grant: Invalid  JWT");
    const char *google = "{\"error\":{\"status\":\"UNAUTHENTICATED\",\"message\":\"no\\u007f\"}}";
    ob_pubsub_error_text(google, strlen(google), out, sizeof out);
    CHECK_STR(out, "UNAUTHENTICATED: no ");
    /* "é" is two bytes: a cap of 5 has room for four, so the cut falls before it */
    const char *accent = "{\"error\":\"abc\u00e9\"}";
    ob_pubsub_error_text(accent, strlen(accent), out, 5);
    CHECK_STR(out, "abc");
    ob_pubsub_error_text(accent, strlen(accent), out, 6);
    CHECK_STR(out, "abc\xc3\xa9");
    ob_pubsub_error_text("not json", 8, out, sizeof out);
    CHECK_STR(out, "");
}

int main(void)
{
    test_pull();
    test_publish_ids();
    test_subscription();
    test_http_error();
    test_error_text();
    CHECK_DONE();
}
