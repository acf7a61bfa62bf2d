/* SPDX-License-Identifier: MIT */
/* sha1: SHA-1 message digest (FIPS 180-4), for Community ID flow hashes. */
#ifndef WW_UTIL_SHA1_H
#define WW_UTIL_SHA1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN 20

struct sha1_ctx {
    uint32_t h[5];
    uint64_t total_len; /* bytes hashed so far */
    uint8_t block[64];
    size_t block_len;
};

/*
 * Picks the block function: the CPU's SHA instructions when on is true and
 * it has them, the portable C otherwise. Returns true when the instructions
 * are in use. sha1_init picks them by itself; tests call this to check both.
 * Not thread-safe: call it before threads start.
 */
bool sha1_use_accel(bool on);

void sha1_init(struct sha1_ctx *ctx);
void sha1_update(struct sha1_ctx *ctx, const void *data, size_t len);
void sha1_final(struct sha1_ctx *ctx, uint8_t digest[SHA1_DIGEST_LEN]);

#endif
