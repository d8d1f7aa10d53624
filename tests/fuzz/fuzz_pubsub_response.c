/* fuzz_pubsub_response.c — libFuzzer target for what the Pub/Sub adapter reads from the
 * server's answers (brokers/pubsub.h): any bytes, read as a pull response, a publish
 * response, a subscription and an error body, never crash or leak; a subscription read
 * has a NUL-terminated topic and a deadline in range; every message handed over has an ack
 * id and NUL-terminated data, and as many as ob_ps_read_pull says; the error line is one
 * line that starts with the status. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstring.h"
#include "pubsub.h"

static void on_message(void *arg, char *ack_id, char *data, size_t len)
{
    if (!ack_id || !data || data[len] != '\0')
        abort();
    ++*(int *)arg;
    free(ack_id);
    free(data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int n = 0;
    if (ob_ps_read_pull((const char *)data, size, on_message, &n) != n)
        abort();
    if (ob_ps_count_ids((const char *)data, size) < -1)
        abort();
    char topic[32];
    long deadline = -1;
    if (ob_ps_read_subscription((const char *)data, size, topic, sizeof topic, &deadline) == 0 &&
        (strnlen(topic, sizeof topic) == sizeof topic || deadline < 0 || deadline > 86400))
        abort();
    char *body = fuzz_cstring(data, size);
    if (!body)
        return 0;
    ps_buf b = {body, size, size + 1};
    char line[400];
    ob_ps_http_error(500, &b, line, sizeof line);
    if (strncmp(line, "HTTP 500", 8) != 0 || strchr(line, '\n') || strchr(line, '\r'))
        abort();
    free(body);
    return 0;
}
