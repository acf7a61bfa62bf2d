/* SPDX-License-Identifier: MIT */
/* md5: MD5 message digest, following RFC 1321 section 3. */
#include "util/md5.h"

#include <string.h>

static uint32_t md5_rol(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static uint32_t md5_load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* Per-round shift amounts (RFC 1321 3.4), four per round. */
static const uint8_t md5_shift[4][4] = {
    {7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

/* T[i] = floor(2^32 * abs(sin(i + 1))), RFC 1321 3.4. */
static const uint32_t md5_t[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
    0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
    0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
    0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
    0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
    0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
    0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
    0xeb86d391,
};

/* Mixes one 64-byte block into the state: four rounds of 16 operations. */
static void md5_block(uint32_t h[4], const uint8_t *block)
{
    uint32_t x[16];
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];

    for (int i = 0; i < 16; i++) {
        x[i] = md5_load_le32(block + 4 * i);
    }
    for (int i = 0; i < 64; i++) {
        int round = i / 16;
        uint32_t f, tmp;
        int k;

        if (round == 0) {
            f = (b & c) | (~b & d);
            k = i;
        } else if (round == 1) {
            f = (b & d) | (c & ~d);
            k = (5 * i + 1) % 16;
        } else if (round == 2) {
            f = b ^ c ^ d;
            k = (3 * i + 5) % 16;
        } else {
            f = c ^ (b | ~d);
            k = (7 * i) % 16;
        }
        tmp = d;
        d = c;
        c = b;
        b = b + md5_rol(a + f + x[k] + md5_t[i], md5_shift[round][i % 4]);
        a = tmp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

void md5_init(struct md5_ctx *ctx)
{
    ctx->h[0] = 0x67452301;
    ctx->h[1] = 0xefcdab89;
    ctx->h[2] = 0x98badcfe;
    ctx->h[3] = 0x10325476;
    ctx->total_len = 0;
    ctx->block_len = 0;
}

void md5_update(struct md5_ctx *ctx, const void *data, size_t len)
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
            md5_block(ctx->h, ctx->block);
            ctx->block_len = 0;
        }
    }
}

/* Pads with 0x80, zeros and the little-endian bit length, then writes the digest. */
void md5_final(struct md5_ctx *ctx, uint8_t digest[MD5_DIGEST_LEN])
{
    uint64_t bits = ctx->total_len * 8;
    uint8_t pad[64 + 8] = {0x80};
    size_t pad_len = ctx->block_len < 56 ? 56 - ctx->block_len : 120 - ctx->block_len;

    for (int i = 0; i < 8; i++) {
        pad[pad_len + i] = (uint8_t)(bits >> (8 * i));
    }
    md5_update(ctx, pad, pad_len + 8);
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            digest[4 * i + j] = (uint8_t)(ctx->h[i] >> (8 * j));
        }
    }
}

void md5_digest(const void *data, size_t len, uint8_t digest[MD5_DIGEST_LEN])
{
    struct md5_ctx ctx;

    md5_init(&ctx);
    md5_update(&ctx, data, len);
    md5_final(&ctx, digest);
}
