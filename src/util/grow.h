/* SPDX-License-Identifier: MIT */
/* grow: an array indexed by a small id, grown (doubling, zero-filled) to hold an index. */
#ifndef WW_UTIL_GROW_H
#define WW_UTIL_GROW_H

#include <stdlib.h>
#include <string.h>

/*
 * Returns arr (of *n elements of size elem), grown if need be to hold
 * index: doubling from 64, the new part zero-filled, *n updated. Returns
 * NULL when memory cannot be had (arr and *n stay as they were).
 */
static inline void *grow_to_index(void *arr, size_t *n, size_t elem, size_t index)
{
    size_t want = *n ? *n : 64;
    unsigned char *grown;

    if (index < *n) {
        return arr;
    }
    while (want <= index) {
        want *= 2;
    }
    grown = realloc(arr, want * elem);
    if (grown == NULL) {
        return NULL;
    }
    memset(grown + *n * elem, 0, (want - *n) * elem);
    *n = want;
    return grown;
}

#endif
