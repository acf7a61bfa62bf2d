/* SPDX-License-Identifier: MIT */
/* u64map: kept at most half full, so a probe ends soon on an empty slot. */
#include "util/u64map.h"

#include <stdlib.h>

#include "util/mix64.h"

#define U64MAP_CAP_MIN 64

/* The slot holding key, or the empty one where it would go. */
static size_t find(const uint64_t *keys, size_t cap, uint64_t key)
{
    size_t i = (size_t)mix64(key) & (cap - 1);

    while (keys[i] != 0 && keys[i] != key) {
        i = (i + 1) & (cap - 1);
    }
    return i;
}

static int grow(struct u64map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : U64MAP_CAP_MIN;
    uint64_t *nk = calloc(ncap, sizeof(*nk));
    uint32_t *nv = calloc(ncap, sizeof(*nv));

    if (nk == NULL || nv == NULL) {
        free(nk);
        free(nv);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] != 0) {
            size_t j = find(nk, ncap, m->keys[i]);

            nk[j] = m->keys[i];
            nv[j] = m->values[i];
        }
    }
    free(m->keys);
    free(m->values);
    m->keys = nk;
    m->values = nv;
    m->cap = ncap;
    return 0;
}

bool u64map_get(const struct u64map *m, uint64_t key, uint32_t *value)
{
    size_t i;

    if (m->cap == 0) {
        return false;
    }
    i = find(m->keys, m->cap, key);
    if (m->keys[i] == 0) {
        return false;
    }
    *value = m->values[i];
    return true;
}

int u64map_put(struct u64map *m, uint64_t key, uint32_t value)
{
    size_t i;

    if (m->cap != 0) {
        i = find(m->keys, m->cap, key);
        if (m->keys[i] == key) {
            m->values[i] = value;
            return 0;
        }
    }
    if (2 * (m->n + 1) > m->cap && grow(m) < 0) {
        return -1;
    }
    i = find(m->keys, m->cap, key);
    m->keys[i] = key;
    m->values[i] = value;
    m->n++;
    return 0;
}

void u64map_free(struct u64map *m)
{
    free(m->keys);
    free(m->values);
    m->keys = NULL;
    m->values = NULL;
    m->cap = m->n = 0;
}
