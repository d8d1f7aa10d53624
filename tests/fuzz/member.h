/* member.h — for fuzz targets that check a secret is never quoted: the value of the
 * first string member called name of a top-level JSON object, read with outbreak's
 * JSON reader, into out[0..cap) ("" when there is none, or the text is not an object). */
#ifndef OB_FUZZ_MEMBER_H
#define OB_FUZZ_MEMBER_H

#include <string.h>

#include "json.h"

static inline void fuzz_string_member(const char *data, size_t size, const char *name, char *out, size_t cap)
{
    ob_json j;
    char key[32];
    out[0] = '\0';
    ob_json_init(&j, data, size);
    if (ob_json_object_begin(&j) != 0)
        return;
    while (ob_json_object_next(&j, key, sizeof key, NULL) > 0) {
        if (strcmp(key, name) == 0 && ob_json_peek(&j) == OB_JSON_STRING) {
            if (ob_json_string(&j, out, cap, NULL) != 0)
                out[0] = '\0';
            return;
        }
        if (ob_json_skip(&j) != 0)
            return;
    }
}

#endif
