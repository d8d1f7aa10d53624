/* kafka_sec.c — the Kafka adapter's TLS and SASL: the options (security, ca, cert,
 * key_file, key_password, mechanism; the user and password from the URL's userinfo)
 * checked, turned into librdkafka's properties, and librdkafka's reports of a failed SSL
 * handshake or SASL login turned into one line naming the cause and the broker. The
 * secrets (the password, key_password) are read from the URL when the configuration is
 * made and never kept in the settings nor quoted in a message. */
#include "kafka.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define WHO "kafka"

static bool is_sasl(const kafka_settings *s) { return strncmp(s->security, "sasl_", 5) == 0; }
static bool is_tls(const kafka_settings *s) { return strstr(s->security, "ssl") != NULL; }

/* The file option `key` into dst (may be absent); -1 (usage) if it cannot be read. */
static int file_param(const ob_url *url, const char *key, char *dst, size_t cap, ob_err *err)
{
    if (ob_option_copy(WHO, ob_url_param_str(url, key, ""), key, dst, cap, true, err) != 0)
        return -1;
    if (!*dst)
        return 0;
    FILE *f = fopen(dst, "r");
    if (!f)
        return ob_err_setk(err, OB_ERR_USAGE, "kafka: option %s: cannot read %s: %s", key, dst, strerror(errno));
    fclose(f);
    return 0;
}

int ob_kafka_sec_parse(kafka_settings *s, const ob_url *url, ob_err *err)
{
    static const char *const protocols[] = {"plaintext", "ssl", "sasl_plaintext", "sasl_ssl", NULL};
    static const char *const mechanisms[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", NULL};
    bool has_user = url->user && *url->user;
    if (file_param(url, "ca", s->ca, sizeof s->ca, err) || file_param(url, "cert", s->cert, sizeof s->cert, err) ||
        file_param(url, "key_file", s->key_file, sizeof s->key_file, err))
        return -1;
    s->has_key_password = *ob_url_param_str(url, "key_password", "") != '\0';
    bool tls_files = s->ca[0] || s->cert[0] || s->key_file[0];
    /* the default follows from what the URL has: a user asks for SASL, files for TLS */
    const char *def = has_user ? (tls_files ? "sasl_ssl" : "sasl_plaintext") : (tls_files ? "ssl" : "plaintext");
    if (ob_option_copy(WHO, ob_url_param_str(url, "security", def), "security", s->security, sizeof s->security,
                       false, err) ||
        ob_option_choice(WHO, s->security, "security", protocols, err))
        return -1;
    const char *mech = ob_url_param_str(url, "mechanism", NULL);
    if (mech) {
        if (ob_option_copy(WHO, mech, "mechanism", s->mechanism, sizeof s->mechanism, false, err))
            return -1;
        for (char *c = s->mechanism; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        if (ob_option_choice(WHO, s->mechanism, "mechanism", mechanisms, err))
            return -1;
    }
    if (is_sasl(s)) {
        if (!has_user || !url->pass || !*url->pass)
            return ob_err_set(err, "kafka: security=%s needs a user and password in the URL "
                                   "(kafka://USER:PASSWORD@host:port?...)", s->security);
        snprintf(s->user, sizeof s->user, "%s", url->user);
        if (!mech)
            snprintf(s->mechanism, sizeof s->mechanism, "SCRAM-SHA-512");
    } else if (has_user || (url->pass && *url->pass)) {
        return ob_err_set(err, "kafka: a user and password in the URL need security=sasl_plaintext or "
                               "sasl_ssl (not %s)", s->security);
    } else if (mech) {
        return ob_err_set(err, "kafka: option mechanism needs security=sasl_plaintext or sasl_ssl (not %s)",
                          s->security);
    }
    if (!is_tls(s) && tls_files)
        return ob_err_set(err, "kafka: option %s needs security=ssl or sasl_ssl (not %s)",
                          s->ca[0] ? "ca" : s->cert[0] ? "cert" : "key_file", s->security);
    if (!s->cert[0] != !s->key_file[0])
        return ob_err_set(err, "kafka: option %s needs option %s (a client certificate and its key)",
                          s->cert[0] ? "cert" : "key_file", s->cert[0] ? "key_file" : "cert");
    if (s->has_key_password && !s->key_file[0])
        return ob_err_set(err, "kafka: option key_password needs option key_file");
    return 0;
}

/* Sets one property; a refused value is named only when it is not a secret. */
static int set(rd_kafka_conf_t *conf, const char *name, const char *value, bool secret, ob_err *err)
{
    char errstr[256];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) == RD_KAFKA_CONF_OK)
        return 0;
    return secret ? ob_err_set(err, "kafka: %s refused by librdkafka", name)
                  : ob_err_set(err, "kafka: %s=%s: %s", name, value, errstr);
}

int ob_kafka_sec_conf(rd_kafka_conf_t *conf, const kafka_settings *s, const ob_url *url, ob_err *err)
{
    if (set(conf, "security.protocol", s->security, false, err) ||
        (s->ca[0] && set(conf, "ssl.ca.location", s->ca, false, err)) ||
        (s->cert[0] && set(conf, "ssl.certificate.location", s->cert, false, err)) ||
        (s->key_file[0] && set(conf, "ssl.key.location", s->key_file, false, err)) ||
        (s->has_key_password && set(conf, "ssl.key.password", ob_url_param_str(url, "key_password", ""), true, err)))
        return -1;
    if (!is_sasl(s))
        return 0;
    return set(conf, "sasl.mechanisms", s->mechanism, false, err) || set(conf, "sasl.username", s->user, false, err) ||
                   set(conf, "sasl.password", url->pass, true, err)
               ? -1
               : 0;
}

void ob_kafka_sec_durability(const kafka_settings *s, ob_durability *d)
{
    ob_durability_str(d, "security", s->security);
    ob_durability_bool(d, "tls", is_tls(s));
    if (s->ca[0])
        ob_durability_str(d, "ca", s->ca);
    if (s->cert[0])
        ob_durability_str(d, "cert", s->cert);
    if (is_sasl(s)) {
        ob_durability_str(d, "mechanism", s->mechanism);
        ob_durability_str(d, "user", s->user);
    }
}

/* text[0..n) into dst, cut at the first of `stops` found (each may be absent). */
static void cut(char *dst, size_t cap, const char *text, const char *const *stops)
{
    size_t n = strlen(text);
    for (int i = 0; stops[i]; i++) {
        const char *p = strstr(text, stops[i]);
        if (p && (size_t)(p - text) < n)
            n = (size_t)(p - text);
    }
    snprintf(dst, cap, "%.*s", (int)n, text);
}

bool ob_kafka_sec_cause(const kafka_settings *s, const char *text, char *buf, size_t cap)
{
    static const char *const after[] = {" (after ", NULL};
    static const char *const reason_end[] = {": ", " (after ", NULL};
    char addr[200] = "", why[240];
    const char *p;
    /* "[thrd:...]: sasl_ssl://127.0.0.1:9094/bootstrap: ..." — the broker that answered */
    const char *sch = strstr(text, "://");
    if (sch) {
        sch += 3;
        size_t n = strcspn(sch, "/]: ");
        if (sch[n] == ':')
            n += 1 + strcspn(sch + n + 1, "/]: ");
        snprintf(addr, sizeof addr, "%.*s", (int)n, sch);
    }
    if (!*addr)
        snprintf(addr, sizeof addr, "%.199s", s->bootstrap);
    if ((p = strstr(text, "SASL authentication error: "))) {
        cut(why, sizeof why, p + strlen("SASL authentication error: "), after);
        /* librdkafka before 2.6.1 repeats its nonce in the SCRAM client-final message;
         * brokers that check it strictly (Kafka 4.x; 3.8.1 lets it in) refuse every such login
         * (confluentinc/librdkafka#4895): said, since the password is not to blame */
        bool old_scram = strncmp(s->mechanism, "SCRAM", 5) == 0 && rd_kafka_version() < 0x020601ff;
        snprintf(buf, cap, "%s: SASL authentication failed (%s, user %s): %s%s%s%s", addr, s->mechanism, s->user,
                 why, old_scram ? "; note: librdkafka " : "", old_scram ? rd_kafka_version_str() : "",
                 old_scram ? " repeats its SCRAM nonce, which Kafka 4.x refuses even with the right password (fixed in librdkafka 2.6.1)" : "");
    } else if ((p = strstr(text, "Unsupported SASL mechanism"))) {
        const char *offers = strstr(p, "supported mechanisms: ");
        if (offers)
            cut(why, sizeof why, offers + strlen("supported mechanisms: "), after);
        snprintf(buf, cap, "%s: SASL mechanism %s is not enabled on the broker%s%s%s", addr, s->mechanism,
                 offers ? " (it offers " : "", offers ? why : "", offers ? ")" : "");
    } else if ((p = strstr(text, "SSL handshake failed: ")) || strstr(text, "SSL alert number")) {
        /* "error:0A000086:SSL routines::certificate verify failed: broker certificate ..."
         * (an alert the broker sent comes as "Receive failed: error:...") */
        const char *r = p ? p + strlen("SSL handshake failed: ") : text;
        const char *routines = strstr(r, "routines::");
        cut(why, sizeof why, routines ? routines + strlen("routines::") : r, routines ? reason_end : after);
        if (strstr(why, "certificate verify failed"))
            snprintf(buf, cap, "%s: SSL handshake failed: certificate verify failed (the broker's certificate is "
                               "not signed by %s%s, or is not for this address)",
                     addr, s->ca[0] ? "the CA in " : "a CA of the system", s->ca);
        else if (strstr(why, "alert"))
            snprintf(buf, cap, "%s: SSL handshake failed: the broker refused us: %s%s", addr, why,
                     s->cert[0] ? "" : " (does it want a client certificate? cert=, key_file=)");
        else if (strstr(why, "eof") || strstr(why, "wrong version number") || strstr(why, "Disconnected"))
            snprintf(buf, cap, "%s: SSL handshake failed: %s (is it a TLS listener?)", addr, why);
        else
            snprintf(buf, cap, "%s: SSL handshake failed: %s", addr, why);
    } else {
        return false;
    }
    return true;
}
