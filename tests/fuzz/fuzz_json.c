/* SPDX-License-Identifier: MIT */
/*
 * fuzz_json: libFuzzer target for the JSON writer's string escaping. Any
 * bytes, written as a string member, must make a document that jansson
 * parses; valid UTF-8 must come back unchanged.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "output/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[1 << 20];
    struct jbuf jb;
    json_error_t err;
    json_t *doc;

    jb_init(&jb, buf, sizeof(buf) - 1);
    jb_object_open(&jb, NULL);
    jb_strn(&jb, "s", data, size);
    jb_object_close(&jb);
    if (jb.overflow) {
        return 0;
    }
    buf[jb.len] = '\0';
    doc = json_loadb(buf, jb.len, JSON_ALLOW_NUL, &err);
    if (doc == NULL) {
        abort();
    }
    if (memchr(data, 0, size) == NULL && json_string_length(json_object_get(doc, "s")) == size) {
        /* Same length means nothing was escaped away: bytes must match. */
        if (memcmp(json_string_value(json_object_get(doc, "s")), data, size) != 0) {
            abort();
        }
    }
    json_decref(doc);
    return 0;
}
