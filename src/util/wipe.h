/* SPDX-License-Identifier: MIT */
/* wipe: overwriting bytes that held a secret (a password), in a way the compiler keeps. */
#ifndef WW_UTIL_WIPE_H
#define WW_UTIL_WIPE_H

#include <stddef.h>
#include <stdint.h>

static inline void wipe_secret(void *p, size_t len)
{
    volatile uint8_t *v = p;

    for (size_t i = 0; i < len; i++) {
        v[i] = 0;
    }
}

#endif
