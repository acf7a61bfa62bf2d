/* SPDX-License-Identifier: MIT */
/* mix64: spreads a 64-bit key's bits (the finalizer of splitmix64), for hash tables. */
#ifndef WW_UTIL_MIX64_H
#define WW_UTIL_MIX64_H

#include <stdint.h>

static inline uint64_t mix64(uint64_t key)
{
    key ^= key >> 30;
    key *= 0xbf58476d1ce4e5b9ull;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebull;
    key ^= key >> 31;
    return key;
}

#endif
