/* SPDX-License-Identifier: MIT */
/* md5: MD5 message digest (RFC 1321), for JA3 and JA3S fingerprints only. */
#ifndef WW_UTIL_MD5_H
#define WW_UTIL_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_LEN 16

struct md5_ctx {
    uint32_t h[4];
    uint64_t total_len; /* bytes hashed so far */
    uint8_t block[64];
    size_t block_len;
};

void md5_init(struct md5_ctx *ctx);
void md5_update(struct md5_ctx *ctx, const void *data, size_t len);
void md5_final(struct md5_ctx *ctx, uint8_t digest[MD5_DIGEST_LEN]);

/* The digest of len bytes in one call. */
void md5_digest(const void *data, size_t len, uint8_t digest[MD5_DIGEST_LEN]);

#endif
