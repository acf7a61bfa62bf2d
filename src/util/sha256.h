/* SPDX-License-Identifier: MIT */
/* sha256: SHA-256 message digest (FIPS 180-4), for JA4 fingerprints. */
#ifndef WW_UTIL_SHA256_H
#define WW_UTIL_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32

struct sha256_ctx {
    uint32_t h[8];
    uint64_t total_len; /* bytes hashed so far */
    uint8_t block[64];
    size_t block_len;
};

/*
 * Picks the block function: the CPU's SHA instructions when on is true and
 * it has them, the portable C otherwise. Returns true when the instructions
 * are in use. sha256_init picks them by itself; tests call this to check
 * both. Not thread-safe: call it before threads start.
 */
bool sha256_use_accel(bool on);

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
void sha256_final(struct sha256_ctx *ctx, uint8_t digest[SHA256_DIGEST_LEN]);

/* The digest of len bytes in one call. */
void sha256_digest(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_LEN]);

#endif
