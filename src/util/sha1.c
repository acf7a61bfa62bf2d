/* SPDX-License-Identifier: MIT */
/* sha1: SHA-1 message digest, following FIPS 180-4 section 6.1. */
#include "util/sha1.h"

#include <string.h>

static uint32_t rol32(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#define SHA1_ROUND(f, k, wt)                                                  \
    do {                                                                      \
        uint32_t tmp = rol32(a, 5) + (f) + e + (k) + (wt);                    \
        e = d;                                                                \
        d = c;                                                                \
        c = rol32(b, 30);                                                     \
        b = a;                                                                \
        a = tmp;                                                              \
    } while (0)

/* Mixes one 64-byte block into the running state: four stages of 20 rounds. */
static void sha1_block(uint32_t h[5], const uint8_t *block)
{
    uint32_t w[80];
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    int t;

    for (t = 0; t < 16; t++) {
        w[t] = load_be32(block + 4 * t);
    }
    for (t = 16; t < 80; t++) {
        w[t] = rol32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    }
    for (t = 0; t < 20; t++) {
        SHA1_ROUND((b & c) | (~b & d), 0x5a827999u, w[t]);
    }
    for (; t < 40; t++) {
        SHA1_ROUND(b ^ c ^ d, 0x6ed9eba1u, w[t]);
    }
    for (; t < 60; t++) {
        SHA1_ROUND((b & c) | (b & d) | (c & d), 0x8f1bbcdcu, w[t]);
    }
    for (; t < 80; t++) {
        SHA1_ROUND(b ^ c ^ d, 0xca62c1d6u, w[t]);
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void sha1_init(struct sha1_ctx *ctx)
{
    static const uint32_t iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};

    memcpy(ctx->h, iv, sizeof(iv));
    ctx->total_len = 0;
    ctx->block_len = 0;
}

void sha1_update(struct sha1_ctx *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;

    ctx->total_len += len;
    while (len > 0) {
        size_t take = sizeof(ctx->block) - ctx->block_len;

        if (take > len) {
            take = len;
        }
        memcpy(ctx->block + ctx->block_len, p, take);
        ctx->block_len += take;
        p += take;
        len -= take;
        if (ctx->block_len == sizeof(ctx->block)) {
            sha1_block(ctx->h, ctx->block);
            ctx->block_len = 0;
        }
    }
}

/* Pads with 0x80, zeros and the bit length, then writes the digest. */
void sha1_final(struct sha1_ctx *ctx, uint8_t digest[SHA1_DIGEST_LEN])
{
    uint64_t bits = ctx->total_len * 8;
    uint8_t pad[64 + 8] = {0x80};
    size_t pad_len = ctx->block_len < 56 ? 56 - ctx->block_len : 120 - ctx->block_len;

    for (int i = 0; i < 8; i++) {
        pad[pad_len + i] = (uint8_t)(bits >> (56 - 8 * i));
    }
    sha1_update(ctx, pad, pad_len + 8);
    for (int i = 0; i < 5; i++) {
        digest[4 * i] = (uint8_t)(ctx->h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(ctx->h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(ctx->h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)ctx->h[i];
    }
}
