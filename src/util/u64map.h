/* SPDX-License-Identifier: MIT */
/*
 * u64map: non-zero 64-bit keys, each with a 32-bit value (typically an
 * index into an array of records), open addressing with linear probing.
 */
#ifndef WW_UTIL_U64MAP_H
#define WW_UTIL_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map {
    uint64_t *keys; /* 0 marks an empty slot */
    uint32_t *values;
    size_t cap;     /* a power of two, or 0 before the first put */
    size_t n;
};

/* Sets key's (not 0) value. Returns 0, or -1 out of memory (the map is unchanged). */
int u64map_put(struct u64map *m, uint64_t key, uint32_t value);
/* Whether key is there; its value goes to *value. */
bool u64map_get(const struct u64map *m, uint64_t key, uint32_t *value);
void u64map_free(struct u64map *m);

#endif
