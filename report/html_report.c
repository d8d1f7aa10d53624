/* html_report.c — writing the HTML report (see html_report.h): the embedded template
 * with its three placeholders filled in — the CSS, the results document (checked, then
 * escaped for a script element) and the JS. */
#include "html_report.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "json.h"

/* web/report/report.{html,css,js}, compiled in by web/embed.cmake */
extern const char ob_web_report_html[], ob_web_report_css[], ob_web_report_js[];
extern const size_t ob_web_report_html_len, ob_web_report_css_len, ob_web_report_js_len;

#define PLACEHOLDER_CSS "@@OB_CSS@@"
#define PLACEHOLDER_RESULTS "@@OB_RESULTS@@"
#define PLACEHOLDER_JS "@@OB_JS@@"

/* Checks that doc is a JSON object with a "results" array of objects (the rest is the
 * script's business; it copes with nulls and missing keys). name as for ob_json_err. */
static int check_document(const char *doc, size_t len, const char *name, ob_err *err)
{
    ob_json j;
    ob_json_init(&j, doc, len);
    ob_json_pos top = ob_json_where(&j);
    if (ob_json_peek(&j) != OB_JSON_OBJECT) {
        ob_json_fail(&j, ob_json_where(&j), "expected an object with a \"results\" array");
        return ob_json_err(&j, name, err);
    }
    if (ob_json_object_begin(&j) < 0)
        return ob_json_err(&j, name, err);
    bool have_results = false;
    char key[32];
    size_t klen;
    int rc;
    while ((rc = ob_json_object_next(&j, key, sizeof key, &klen)) > 0) {
        if (klen != strlen("results") || strcmp(key, "results") != 0) {
            if (ob_json_skip(&j) < 0)
                break;
            continue;
        }
        if (ob_json_peek(&j) != OB_JSON_ARRAY) {
            ob_json_fail(&j, ob_json_where(&j), "\"results\" must be an array");
            break;
        }
        have_results = true;
        if (ob_json_array_begin(&j) < 0)
            break;
        while ((rc = ob_json_array_next(&j)) > 0) {
            if (ob_json_peek(&j) != OB_JSON_OBJECT) {
                ob_json_fail(&j, ob_json_where(&j), "each of \"results\" must be an object");
                rc = -1;
                break;
            }
            if (ob_json_skip(&j) < 0) {
                rc = -1;
                break;
            }
        }
        if (rc < 0)
            break;
    }
    if (rc < 0 || j.failed)
        return ob_json_err(&j, name, err);
    if (!ob_json_at_end(&j)) {
        ob_json_fail(&j, ob_json_where(&j), "unexpected data after the document");
        return ob_json_err(&j, name, err);
    }
    if (!have_results) {
        ob_json_fail(&j, top, "no \"results\" array in the document");
        return ob_json_err(&j, name, err);
    }
    return 0;
}

static bool put(FILE *f, const char *p, size_t n)
{
    return fwrite(p, 1, n, f) == n;
}

/* The document with "</" as "<\/" and "<!--" as "\u003c!--". A '<' can only be inside a
 * string of valid JSON, where "\/" and "\u003c" are escapes for the same characters. */
static bool put_document(FILE *f, const char *doc, size_t len)
{
    size_t from = 0;
    for (size_t i = 0; i < len; i++) {
        if (doc[i] != '<')
            continue;
        if (i + 1 < len && doc[i + 1] == '/') {
            if (!put(f, doc + from, i + 1 - from) || !put(f, "\\", 1))
                return false;
            from = i + 1;
        } else if (i + 3 < len && memcmp(doc + i, "<!--", 4) == 0) {
            if (!put(f, doc + from, i - from) || !put(f, "\\u003c", 6))
                return false;
            from = i + 1;
        }
    }
    return put(f, doc + from, len - from);
}

static const char *find(const char *hay, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; p + n <= end; p++)
        if (memcmp(p, needle, n) == 0)
            return p;
    return NULL;
}

/* The template, each placeholder replaced by what it stands for. */
static bool put_template(FILE *f, const char *doc, size_t len)
{
    const char *t = ob_web_report_html, *end = t + ob_web_report_html_len;
    for (;;) {
        const char *p = find(t, end, "@@OB_");
        if (!p)
            return put(f, t, (size_t)(end - t));
        if (!put(f, t, (size_t)(p - t)))
            return false;
        bool ok;
        const char *name;
        if (strncmp(p, PLACEHOLDER_CSS, strlen(PLACEHOLDER_CSS)) == 0) {
            name = PLACEHOLDER_CSS;
            ok = put(f, ob_web_report_css, ob_web_report_css_len);
        } else if (strncmp(p, PLACEHOLDER_RESULTS, strlen(PLACEHOLDER_RESULTS)) == 0) {
            name = PLACEHOLDER_RESULTS;
            ok = put_document(f, doc, len);
        } else if (strncmp(p, PLACEHOLDER_JS, strlen(PLACEHOLDER_JS)) == 0) {
            name = PLACEHOLDER_JS;
            ok = put(f, ob_web_report_js, ob_web_report_js_len);
        } else { /* not ours: as it is */
            name = "@@OB_";
            ok = put(f, p, strlen(name));
        }
        if (!ok)
            return false;
        t = p + strlen(name);
    }
}

int ob_html_report_write(FILE *f, const char *results_json, size_t len, ob_err *err)
{
    if (check_document(results_json, len, NULL, err) < 0)
        return ob_err_prefix(err, "results document");
    errno = 0;
    if (!put_template(f, results_json, len) || fflush(f) != 0 || ferror(f))
        return ob_err_set(err, "writing the HTML report: %s",
                          errno ? strerror(errno) : "write error");
    return 0;
}

int ob_html_report_file(const char *results_path, const char *html_path, ob_err *err)
{
    size_t len;
    char *doc = ob_file_read(results_path, &len, err);
    if (!doc)
        return -1;
    if (check_document(doc, len, results_path, err) < 0) {
        free(doc);
        return -1;
    }
    FILE *f = fopen(html_path, "wb");
    if (!f) {
        ob_err_set(err, "%s: %s", html_path, strerror(errno));
        free(doc);
        return -1;
    }
    errno = 0;
    bool ok = put_template(f, doc, len) && fflush(f) == 0 && !ferror(f);
    int saved = errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    free(doc);
    if (!ok)
        return ob_err_set(err, "%s: %s", html_path, saved ? strerror(saved) : "write error");
    return 0;
}
