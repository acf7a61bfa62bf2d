/* SPDX-License-Identifier: MIT */
/* u64set: kept at most half full, so a probe ends soon on an empty slot. */
#include "util/u64set.h"

#include <stdlib.h>

#include "util/mix64.h"

#define U64SET_CAP_MIN 64

static size_t slot_of(uint64_t key, size_t cap)
{
    return (size_t)mix64(key) & (cap - 1);
}

static void place(uint64_t *slots, size_t cap, uint64_t key)
{
    size_t i = slot_of(key, cap);

    while (slots[i] != 0) {
        i = (i + 1) & (cap - 1);
    }
    slots[i] = key;
}

static int grow(struct u64set *s)
{
    size_t ncap = s->cap ? s->cap * 2 : U64SET_CAP_MIN;
    uint64_t *ns = calloc(ncap, sizeof(*ns));

    if (ns == NULL) {
        return -1;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (s->slots[i] != 0) {
            place(ns, ncap, s->slots[i]);
        }
    }
    free(s->slots);
    s->slots = ns;
    s->cap = ncap;
    return 0;
}

bool u64set_has(const struct u64set *s, uint64_t key)
{
    if (s->cap == 0) {
        return false;
    }
    for (size_t i = slot_of(key, s->cap);; i = (i + 1) & (s->cap - 1)) {
        if (s->slots[i] == key) {
            return true;
        }
        if (s->slots[i] == 0) {
            return false;
        }
    }
}

int u64set_add(struct u64set *s, uint64_t key)
{
    if (u64set_has(s, key)) {
        return 0;
    }
    if (2 * (s->n + 1) > s->cap && grow(s) < 0) {
        return -1;
    }
    place(s->slots, s->cap, key);
    s->n++;
    return 1;
}

void u64set_free(struct u64set *s)
{
    free(s->slots);
    s->slots = NULL;
    s->cap = s->n = 0;
}
