/* test_html_report.c — the HTML report writer: a document is embedded so that no string
 * in it can end its script element (and comes back byte for byte once unescaped), the
 * page carries the no-network policy and no address of its own (the SVG namespace name
 * aside), bad documents are refused with line and column, write errors are reported. */
#include "html_report.h"

#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

extern const char ob_web_report_html[], ob_web_report_css[], ob_web_report_js[];
extern const size_t ob_web_report_html_len, ob_web_report_css_len, ob_web_report_js_len;

#define CSP                                                                                 \
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "          \
    "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">"
#define DATA_OPEN "<script type=\"application/json\" id=\"results\">"
/* The one address-like string the page may hold: the namespace name createElementNS
 * wants for SVG elements. It is an identifier; nothing is fetched from it. */
#define SVG_NS "http://www.w3.org/2000/svg"

static const char DOC[] =
    "{\"outbreak\": \"compare\", \"version\": 1,\n"
    " \"params\": {\"argv\": \"outbreak compare </script><script>alert(1)</script>\"},\n"
    " \"results\": [{\"middleware\": \"nats\", \"url\": \"https://example.test/</ScRiPt>\",\n"
    "               \"failures\": [{\"error\": \"<!-- <script> http://x.test/\", \"count\": 1}]}],\n"
    " \"missing\": [{\"middleware\": \"kafka\", \"reason\": \"a\\u003c/script>b </\"}]}\n";

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

/* Writes the report of doc into a malloc'ed NUL-terminated string. */
static char *render(const char *doc, size_t len, int *rc, ob_err *err)
{
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = open_memstream(&out, &outlen);
    if (!f)
        return NULL;
    *rc = ob_html_report_write(f, doc, len, err);
    fclose(f);
    return out;
}

/* "</" and "<\/", "<!--" and "\u003c!--" swapped back. */
static char *unescape(const char *s, size_t len)
{
    char *out = malloc(len + 1), *o = out;
    for (size_t i = 0; i < len;) {
        if (strncmp(s + i, "<\\/", 3) == 0) {
            memcpy(o, "</", 2), o += 2, i += 3;
        } else if (strncmp(s + i, "\\u003c!--", 9) == 0) {
            memcpy(o, "<!--", 4), o += 4, i += 9;
        } else {
            *o++ = s[i++];
        }
    }
    *o = '\0';
    return out;
}

static void test_valid(void)
{
    ob_err err = {0};
    int rc = -2;
    char *html = render(DOC, strlen(DOC), &rc, &err);
    CHECK(html != NULL);
    if (!html)
        return;
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    CHECK(strstr(html, CSP) != NULL);
    CHECK(strstr(html, "@@OB_") == NULL);
    CHECK(strstr(html, "alert(1)<\\/script>") != NULL);
    CHECK(strstr(html, "</script><script>alert(1)") == NULL);
    CHECK(strstr(html, "<!-- <script>") == NULL);
    CHECK(strstr(html, "\\u003c!-- <script>") != NULL);
    /* the template's own two script elements end, nothing else does */
    CHECK_MSG(count(html, "</script>") == 2, "%zu", count(html, "</script>"));
    CHECK(strstr(html, "</ScRiPt>") == NULL);
    CHECK(strstr(html, "</body>\n</html>") != NULL);

    /* the document comes back byte for byte */
    char *data = strstr(html, DATA_OPEN);
    CHECK(data != NULL);
    if (data) {
        data += strlen(DATA_OPEN);
        char *end = strstr(data, "</script>");
        CHECK(end != NULL);
        if (end) {
            char *back = unescape(data, (size_t)(end - data));
            CHECK_STR(back, DOC);
            free(back);
            /* outside the data: no address but the SVG namespace name, once */
            memset(data, ' ', (size_t)(end - data));
            CHECK_MSG(count(html, "http://") == 1 && count(html, SVG_NS) == 1,
                      "http:// %zu times", count(html, "http://"));
            CHECK(count(html, "https://") == 0);
            CHECK(count(html, "//") == count(html, SVG_NS));
        }
    }
    free(html);
}

static void test_invalid(void)
{
    static const struct {
        const char *doc, *msg;
    } bad[] = {
        {"{\n \"results\": [\n      x]}", "results document: line 3, column 7: "},
        {"{\"results\": [{}], \"id\": \"a\nb\"}", "results document: line 1, column "},
        {"", "results document: line 1, column 1: expected an object"},
        {"[]", "results document: line 1, column 1: expected an object"},
        {"{\"result\": []}", "results document: line 1, column 1: no \"results\" array"},
        {"{\"results\": {}}", "results document: line 1, column 13: \"results\" must be an array"},
        {"{\"results\": [{}, 3]}", "results document: line 1, column 18: each of \"results\""},
        {"{\"results\": []} {}", "results document: line 1, column 17: "},
        {"{\"results\": [], ", "results document: line 1, column "},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ob_err err = {0};
        int rc = 0;
        char *html = render(bad[i].doc, strlen(bad[i].doc), &rc, &err);
        CHECK_MSG(rc == -1, "\"%s\" accepted", bad[i].doc);
        CHECK_MSG(strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) == 0, "\"%s\": %s", bad[i].doc,
                  err.msg);
        CHECK_MSG(html && html[0] == '\0', "\"%s\": wrote something", bad[i].doc);
        free(html);
    }
}

static void test_write_error(void)
{
    FILE *f = fopen("/dev/full", "w");
    CHECK(f != NULL);
    if (!f)
        return;
    ob_err err = {0};
    CHECK(ob_html_report_write(f, DOC, strlen(DOC), &err) == -1);
    CHECK_MSG(strncmp(err.msg, "writing the HTML report: ", 25) == 0, "%s", err.msg);
    fclose(f);
}

static void test_files(void)
{
    char dir[] = "/tmp/ob_html_report_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char in[64], bad[64], out[64], missing[64];
    snprintf(in, sizeof in, "%s/results.json", dir);
    snprintf(bad, sizeof bad, "%s/bad.json", dir);
    snprintf(out, sizeof out, "%s/index.html", dir);
    snprintf(missing, sizeof missing, "%s/none.json", dir);
    FILE *f = fopen(in, "w");
    fputs(DOC, f);
    fclose(f);
    f = fopen(bad, "w");
    fputs("{\"results\": [\n  nul]}", f);
    fclose(f);

    ob_err err = {0};
    CHECK_MSG(ob_html_report_file(in, out, &err) == 0, "%s", err.msg);
    f = fopen(out, "r");
    CHECK(f != NULL);
    if (f) {
        char head[16] = "";
        CHECK(fread(head, 1, 15, f) == 15 && strcmp(head, "<!DOCTYPE html>") == 0);
        fclose(f);
    }
    unlink(out);

    char want[128];
    CHECK(ob_html_report_file(bad, out, &err) == -1);
    snprintf(want, sizeof want, "%s:2:3: ", bad);
    CHECK_MSG(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    CHECK(access(out, F_OK) != 0); /* nothing written for a bad document */

    CHECK(ob_html_report_file(missing, out, &err) == -1);
    snprintf(want, sizeof want, "%s: No such file or directory", missing);
    CHECK_STR(err.msg, want);

    CHECK(ob_html_report_file(in, "/nonexistent-dir/index.html", &err) == -1);
    CHECK_STR(err.msg, "/nonexistent-dir/index.html: No such file or directory");

    unlink(in);
    unlink(bad);
    rmdir(dir);
}

/* The template has each placeholder once; the CSS and JS can sit inside <style> and
 * <script> as they are. */
static void test_assets(void)
{
    CHECK(strlen(ob_web_report_html) == ob_web_report_html_len);
    CHECK(strlen(ob_web_report_css) == ob_web_report_css_len);
    CHECK(strlen(ob_web_report_js) == ob_web_report_js_len);
    CHECK(count(ob_web_report_html, "@@OB_CSS@@") == 1);
    CHECK(count(ob_web_report_html, "@@OB_RESULTS@@") == 1);
    CHECK(count(ob_web_report_html, "@@OB_JS@@") == 1);
    CHECK(count(ob_web_report_html, "@@OB_") == 3);
    CHECK(strstr(ob_web_report_js, "</") == NULL && strstr(ob_web_report_js, "<!--") == NULL);
    CHECK(strstr(ob_web_report_css, "</") == NULL && strstr(ob_web_report_css, "<!--") == NULL);
    CHECK(strstr(ob_web_report_js, "innerHTML") == NULL);
    CHECK(strstr(ob_web_report_js, "document.body.dataset.ready = '1'") != NULL);
}

int main(void)
{
    test_valid();
    test_invalid();
    test_write_error();
    test_files();
    test_assets();
    CHECK_DONE();
}
