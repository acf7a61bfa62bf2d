/* SPDX-License-Identifier: MIT */
/* u64set: a set of non-zero 64-bit keys, open addressing with linear probing. */
#ifndef WW_UTIL_U64SET_H
#define WW_UTIL_U64SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64set {
    uint64_t *slots; /* 0 marks an empty slot */
    size_t cap;      /* a power of two, or 0 before the first add */
    size_t n;
};

/* Adds key (not 0). Returns 1 when added, 0 when it was there, -1 out of memory. */
int u64set_add(struct u64set *s, uint64_t key);
bool u64set_has(const struct u64set *s, uint64_t key);
void u64set_free(struct u64set *s);

#endif
