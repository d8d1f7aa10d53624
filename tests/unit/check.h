/* check.h — the unit tests' assertion macros: a failed CHECK prints file:line and the
 * expression, counts the failure and goes on; main() ends with CHECK_DONE(), which
 * prints "N passed, N failed" and returns non-zero if anything failed. */
#ifndef OB_CHECK_H
#define OB_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            check_passed++;                                                          \
        } else {                                                                     \
            check_failed++;                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_MSG(cond, ...)                                                         \
    do {                                                                             \
        if (cond) {                                                                  \
            check_passed++;                                                          \
        } else {                                                                     \
            check_failed++;                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                            \
            fputc('\n', stderr);                                                     \
        }                                                                            \
    } while (0)

#define CHECK_STR(a, b) CHECK_MSG(strcmp((a), (b)) == 0, "\"%s\" != \"%s\"", (a), (b))

#define CHECK_DONE()                                                              \
    do {                                                                          \
        printf("%s: %d passed, %d failed\n", __FILE__, check_passed, check_failed); \
        return check_failed ? 1 : 0;                                              \
    } while (0)

#endif
