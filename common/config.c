/* config.c — the configuration file's syntax: lines, sections, key = value (see
 * config.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Flag names: lower-case letters, digits, '-' and '_' (not first). */
static bool good_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return false;
    return true;
}

/* s[0..*n) without the blanks at both ends: returns the new start, *n the new length. */
static char *trim(char *s, size_t *n)
{
    while (*n > 0 && is_blank(s[0])) {
        s++;
        (*n)--;
    }
    while (*n > 0 && is_blank(s[*n - 1]))
        (*n)--;
    s[*n] = '\0';
    return s;
}

static int parse_fail(ob_config_file *cf, ob_err *err, const char *name, int line, const char *what)
{
    ob_err_setk(err, OB_ERR_USAGE, "%s:%d: %s", name, line, what);
    ob_config_file_free(cf);
    return -1;
}

int ob_config_parse(const char *name, const char *text, size_t len, ob_config_file *cf, ob_err *err)
{
    memset(cf, 0, sizeof *cf);
    if (memchr(text, '\0', len)) {
        int line = 1;
        for (const char *p = text; *p; p++)
            line += *p == '\n';
        return parse_fail(cf, err, name, line, "a NUL byte: this is not a text file");
    }
    cf->name = strdup(name);
    cf->text = malloc(len + 1);
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += text[i] == '\n';
    cf->entries = calloc(cap, sizeof *cf->entries);
    if (!cf->name || !cf->text || !cf->entries) {
        ob_config_file_free(cf);
        return ob_err_set(err, "out of memory");
    }
    memcpy(cf->text, text, len);
    cf->text[len] = '\0';
    const char *section = NULL;
    int line = 0;
    for (char *p = cf->text, *end = cf->text + len; p <= end;) {
        line++;
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *next = p + n + 1;
        char *s = trim(p, &n);
        p = next;
        if (n == 0 || s[0] == '#' || s[0] == ';')
            continue;
        if (s[0] == '[') {
            if (s[n - 1] != ']')
                return parse_fail(cf, err, name, line, "a section is [COMMAND], with its closing ]");
            s[n - 1] = '\0';
            size_t m = n - 2;
            char *sec = trim(s + 1, &m);
            if (!good_name(sec))
                return parse_fail(cf, err, name, line,
                                  "a section is [COMMAND] (lower-case letters, digits, - and _)");
            section = sec;
            continue;
        }
        char *eq = memchr(s, '=', n);
        if (!eq)
            return parse_fail(cf, err, name, line, "expected key = value (a flag's long name, then its value)");
        size_t klen = (size_t)(eq - s), vlen = n - klen - 1;
        char *value = trim(eq + 1, &vlen);
        char *key = trim(s, &klen);
        if (klen == 0)
            return parse_fail(cf, err, name, line, "no key before '='");
        if (!good_name(key)) {
            char what[200];
            snprintf(what, sizeof what, "\"%.60s\" is not a flag name (lower-case letters, digits and -, "
                     "without the leading dashes)", key);
            return parse_fail(cf, err, name, line, what);
        }
        cf->entries[cf->n++] = (ob_config_entry){.section = section, .key = key, .value = value, .line = line};
    }
    return 0;
}

int ob_config_read(const char *path, const char *name, bool optional, ob_config_file *cf, ob_err *err)
{
    memset(cf, 0, sizeof *cf);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (optional && errno == ENOENT)
            return 1;
        return ob_err_setk(err, OB_ERR_USAGE, "%s: cannot read: %s", name, strerror(errno));
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return ob_err_setk(err, OB_ERR_USAGE, "%s: not a regular file", name);
    }
    if (st.st_size > OB_CONFIG_MAX_BYTES) {
        fclose(f);
        return ob_err_setk(err, OB_ERR_USAGE, "%s: larger than %d bytes: not a configuration file", name,
                           OB_CONFIG_MAX_BYTES);
    }
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        fclose(f);
        return ob_err_set(err, "out of memory");
    }
    size_t len = fread(buf, 1, (size_t)st.st_size, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return ob_err_setk(err, OB_ERR_USAGE, "%s: cannot read", name);
    }
    int rc = ob_config_parse(name, buf, len, cf, err);
    free(buf);
    return rc == 0 ? 0 : -2;
}

void ob_config_file_free(ob_config_file *cf)
{
    if (!cf)
        return;
    free(cf->name);
    free(cf->text);
    free(cf->entries);
    memset(cf, 0, sizeof *cf);
}

int ob_config_bool(const char *value, bool *out)
{
    static const char *const yes[] = {"true", "yes", "1"}, *const no[] = {"false", "no", "0"};
    for (size_t i = 0; i < 3; i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(value, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}
