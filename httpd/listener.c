/* listener.c — TLS files and the HTTP Basic login of listener.h. */
#include "listener.h"

#include <stdlib.h>
#include <string.h>

#include "file.h"

static char *read_pem(const char *flag, const char *path, const char *what, ob_err *err)
{
    size_t len;
    char *pem = ob_file_read(path, &len, err);
    if (!pem) {
        ob_err_prefix(err, "%s", flag);
        ob_err_kind_set(err, OB_ERR_USAGE);
        return NULL;
    }
    if (!strstr(pem, "-----BEGIN ") || !strstr(pem, what)) {
        ob_err_setk(err, OB_ERR_USAGE, "%s: %s: not a PEM file with a %s", flag, path,
                    strcmp(what, "PRIVATE KEY-----") == 0 ? "private key" : "certificate");
        free(pem);
        return NULL;
    }
    return pem;
}

int ob_listener_tls_load(ob_listener_tls *t, const char *cert_path, const char *key_path, ob_err *err)
{
    t->cert_pem = t->key_pem = NULL;
    if (!cert_path && !key_path)
        return 0;
    if (!cert_path || !key_path)
        return ob_err_setk(err, OB_ERR_USAGE, "%s needs %s too", cert_path ? "--tls-cert" : "--tls-key",
                           cert_path ? "--tls-key" : "--tls-cert");
    if (!(t->cert_pem = read_pem("--tls-cert", cert_path, "CERTIFICATE-----", err)))
        return -1;
    /* "PRIVATE KEY-----" ends BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY and BEGIN EC PRIVATE KEY */
    if (!(t->key_pem = read_pem("--tls-key", key_path, "PRIVATE KEY-----", err))) {
        ob_listener_tls_free(t);
        return -1;
    }
    return 0;
}

unsigned ob_listener_tls_flags(const ob_listener_tls *t)
{
    return t && t->cert_pem ? MHD_USE_TLS : 0;
}

void ob_listener_tls_options(const ob_listener_tls *t, struct MHD_OptionItem *items)
{
    int n = 0;
    if (t && t->cert_pem) {
        items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert_pem};
        items[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, t->key_pem};
    }
    items[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

const char *ob_listener_scheme(const ob_listener_tls *t)
{
    return t && t->cert_pem ? "https" : "http";
}

void ob_listener_tls_free(ob_listener_tls *t)
{
    if (t->key_pem) {
        volatile char *p = t->key_pem;
        while (*p)
            *p++ = 0;
    }
    free(t->key_pem);
    free(t->cert_pem);
    t->cert_pem = t->key_pem = NULL;
}

/* a == b over n bytes, in time independent of where they differ */
static bool same(const char *a, const char *b, size_t n)
{
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

bool ob_listener_login_ok(struct MHD_Connection *conn, const char *login)
{
    if (!login)
        return true;
    char *pass = NULL;
    char *user = MHD_basic_auth_get_username_password(conn, &pass);
    bool ok = false;
    const char *colon = strchr(login, ':');
    if (user && pass && colon) {
        size_t ul = strlen(user), pl = strlen(pass);
        size_t want_ul = (size_t)(colon - login), want_pl = strlen(colon + 1);
        /* lengths may differ: compare what there is, then require them equal */
        bool u = same(user, login, ul < want_ul ? ul : want_ul) && ul == want_ul;
        bool p = same(pass, colon + 1, pl < want_pl ? pl : want_pl) && pl == want_pl;
        ok = u && p;
    }
    MHD_free(user);
    MHD_free(pass);
    return ok;
}

enum MHD_Result ob_listener_ask_login(struct MHD_Connection *conn, const char *type, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result rc = MHD_queue_basic_auth_fail_response(conn, "outbreak", r);
    MHD_destroy_response(r);
    return rc;
}
