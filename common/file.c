/* file.c — reading a whole file into memory (see file.h). */
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *ob_file_read(const char *path, size_t *len, ob_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ob_err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 1 >= cap) { /* room for the data and the NUL */
            size_t ncap = cap ? cap * 2 : 65536;
            char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                ob_err_set(err, "%s: out of memory", path);
                goto fail;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                ob_err_set(err, "%s: %s", path, strerror(errno));
                goto fail;
            }
            break;
        }
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

int ob_file_check_writable(const char *path, bool prefix, ob_err *err)
{
    if (!*path)
        return ob_err_setk(err, OB_ERR_USAGE, "expected a file name, not an empty one");
    struct stat st;
    if (!prefix && stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return ob_err_setk(err, OB_ERR_USAGE, "cannot write %s: it is a directory", path);
        if (access(path, W_OK) != 0)
            return ob_err_setk(err, OB_ERR_USAGE, "cannot write %s: %s", path, strerror(errno));
        return 0;
    }
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else
        return ob_err_setk(err, OB_ERR_USAGE, "cannot write %s: the name is too long", path);
    if (stat(dir, &st) != 0)
        return ob_err_setk(err, OB_ERR_USAGE, "cannot write %s: %s: %s", path, dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ob_err_setk(err, OB_ERR_USAGE, "cannot write %s: %s is not a directory", path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        return ob_err_setk(err, OB_ERR_USAGE, "cannot write %s: %s: %s", path, dir, strerror(errno));
    return 0;
}
