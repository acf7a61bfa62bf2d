/* SPDX-License-Identifier: MIT */
/*
 * fuzz_keyevents: libFuzzer target for the key-event lines of `keystroke
 * enroll` and `verify`: each line is parsed, and parsed events run through
 * feature extraction into a profile, whose JSON is read back. The first
 * byte 'P' instead sends the rest to the profile reader, as a tampered
 * database row would.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/keyevents.h"
#include "auth/typing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_profile(const uint8_t *data, size_t size)
{
    struct typing_profile p;
    char why[KEYEV_WHY_LEN];
    char *text = malloc(size + 1);

    if (text == NULL || typing_profile_init(&p) < 0) {
        free(text);
        return;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    typing_profile_from_json(&p, text, why, sizeof(why));
    typing_profile_free(&p);
    free(text);
}

static void learn_lines(const uint8_t *data, size_t size)
{
    static struct typing_obs obs[TYPING_OBS_MAX];
    struct typing_stream st;
    struct typing_profile p;
    char why[KEYEV_WHY_LEN];
    size_t start = 0;

    if (typing_profile_init(&p) < 0) {
        return;
    }
    typing_stream_init(&st);
    while (start < size) {
        const uint8_t *nl = memchr(data + start, '\n', size - start);
        size_t len = nl != NULL ? (size_t)(nl - (data + start)) : size - start;
        struct keyev ev;

        if (keyev_parse((const char *)data + start, len, &ev, why) == 0) {
            int n = typing_stream_feed(&st, &ev, obs, why);

            for (int i = 0; i < n; i++) {
                typing_profile_learn(&p, &obs[i], 2.0);
            }
        }
        start += len + 1;
    }
    free(typing_profile_to_json(&p));
    typing_profile_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == 'P') {
        read_profile(data + 1, size - 1);
    } else {
        learn_lines(data, size);
    }
    return 0;
}
