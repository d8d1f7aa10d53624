/* metrics.c — the /metrics server of metrics.h. */
#include "metrics.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "net.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define MAX_WAIT_NS (30 * OB_NS_PER_S)

struct ob_metrics {
    struct MHD_Daemon *daemon;
    char address[300];
    char url[320];
    const char *login; /* "USER:PASS" or NULL */
    pthread_mutex_t lock;
    char *text; /* under lock */
    size_t len;
    uint64_t scrapes;               /* under lock */
    int64_t last_scrape, prev_scrape; /* monotonic ns of the last two scrapes; 0: none */
};

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *type, char *body,
                              size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result answer_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
    char *body = strdup(text);
    return body ? answer(conn, status, "text/plain; charset=utf-8", body, strlen(body)) : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state)
{
    (void)version;
    (void)upload;
    ob_metrics *m = cls;
    if (!*state) { /* the headers: answer once the (empty) body is read */
        *state = m;
        return MHD_YES;
    }
    if (*upload_size) { /* a body nobody asked for */
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return answer_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
    if (strcmp(url, "/healthz") == 0)
        return answer_text(conn, MHD_HTTP_OK, "ok\n");
    if (strcmp(url, "/metrics") != 0)
        return answer_text(conn, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
    if (!ob_listener_login_ok(conn, m->login))
        return ob_listener_ask_login(conn, "text/plain; charset=utf-8", "login required\n");
    pthread_mutex_lock(&m->lock);
    char *body = malloc(m->len + 1);
    size_t len = m->len;
    if (body) {
        memcpy(body, m->text ? m->text : "", len);
        body[len] = '\0';
    }
    m->scrapes++;
    m->prev_scrape = m->last_scrape;
    m->last_scrape = ob_mono_ns();
    pthread_mutex_unlock(&m->lock);
    return body ? answer(conn, MHD_HTTP_OK, CONTENT_TYPE, body, len) : MHD_NO;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    (void)fmt;
    (void)ap; /* a client's broken connection is not the operator's business */
}

int ob_metrics_start(ob_metrics **out, const char *flag, const char *listen, const ob_listener_tls *tls,
                     const char *login, ob_err *err)
{
    *out = NULL;
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (ob_listen_addr(flag, listen, &ss, &sslen, err) != 0)
        return -1;
    ob_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return ob_err_set(err, "out of memory");
    pthread_mutex_init(&m->lock, NULL);
    m->login = login;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG | ob_listener_tls_flags(tls);
    struct MHD_OptionItem tls_options[OB_LISTENER_TLS_OPTIONS];
    ob_listener_tls_options(tls, tls_options);
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    m->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, m,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)30, MHD_OPTION_ARRAY, tls_options, MHD_OPTION_END);
    if (!m->daemon) {
        pthread_mutex_destroy(&m->lock);
        free(m);
        return ob_err_setk(err, OB_ERR_UNAVAILABLE,
                           "%s: cannot listen on %s (in use, not an address of this host, or a key that does not "
                           "fit the certificate?)",
                           flag, listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    char host[INET6_ADDRSTRLEN] = "?";
    if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
    snprintf(m->address, sizeof m->address, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
             info ? info->port : 0);
    snprintf(m->url, sizeof m->url, "%s://%s/metrics", ob_listener_scheme(tls), m->address);
    *out = m;
    return 0;
}

const char *ob_metrics_url(const ob_metrics *m)
{
    return m->url;
}

const char *ob_metrics_address(const ob_metrics *m)
{
    return m->address;
}

void ob_metrics_publish(ob_metrics *m, const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return; /* the previous text stays */
    memcpy(copy, text, len);
    copy[len] = '\0';
    pthread_mutex_lock(&m->lock);
    char *old = m->text;
    m->text = copy;
    m->len = len;
    pthread_mutex_unlock(&m->lock);
    free(old);
}

void ob_metrics_publish_with(ob_metrics *m, void (*write)(FILE *f, void *arg), void *arg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    write(f, arg);
    if (fclose(f) == 0)
        ob_metrics_publish(m, text, len);
    free(text);
}

uint64_t ob_metrics_scrapes(ob_metrics *m)
{
    pthread_mutex_lock(&m->lock);
    uint64_t n = m->scrapes;
    pthread_mutex_unlock(&m->lock);
    return n;
}

bool ob_metrics_wait_scrape(ob_metrics *m, uint64_t after, volatile sig_atomic_t *interrupted)
{
    pthread_mutex_lock(&m->lock);
    int64_t interval = m->prev_scrape ? m->last_scrape - m->prev_scrape : -1;
    pthread_mutex_unlock(&m->lock);
    if (interval < 0)
        return false;
    int64_t wait = 2 * interval + OB_NS_PER_S;
    int64_t deadline = ob_mono_ns() + (wait < MAX_WAIT_NS ? wait : MAX_WAIT_NS);
    while (!(interrupted && *interrupted)) {
        if (ob_metrics_scrapes(m) > after)
            return true;
        if (ob_mono_ns() >= deadline)
            return false;
        nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
    }
    return false;
}

void ob_metrics_stop(ob_metrics *m)
{
    if (!m)
        return;
    MHD_stop_daemon(m->daemon);
    pthread_mutex_destroy(&m->lock);
    free(m->text);
    free(m);
}
