/* cstring.h — for fuzz targets whose parser reads a C string: the input bytes copied
 * with a NUL after them (malloc'd; NULL when out of memory). Embedded NULs stay: the
 * parser sees the text up to the first. */
#ifndef OB_FUZZ_CSTRING_H
#define OB_FUZZ_CSTRING_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif
