/* SPDX-License-Identifier: MIT */
/* sha1: SHA-1 message digest, following FIPS 180-4 section 6.1. */
#include "util/sha1.h"

#include <string.h>

#include "util/cpu.h"

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
static void sha1_block_portable(uint32_t h[5], const uint8_t *block)
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

#if defined(__x86_64__)
#include <immintrin.h>

#define SHA1_GROUPS 20 /* of four rounds each */

/*
 * The same block function with the x86 SHA extensions (Intel SHA
 * Extensions, 2013): sha1rnds4 does four rounds, sha1nexte derives E for
 * the next four, sha1msg1/sha1msg2 extend the message schedule. State lanes
 * hold A..D from high to low; message words are byte-swapped into place.
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void sha1_block_shani(uint32_t h[5],
                                                                         const uint8_t *block)
{
    const __m128i swap = _mm_set_epi64x(0x0001020304050607ll, 0x08090a0b0c0d0e0fll);
    __m128i w[SHA1_GROUPS];
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)h), 0x1b);
    __m128i e_save = _mm_set_epi32((int)h[4], 0, 0, 0);
    __m128i abcd_save = abcd, prev = abcd, e;

    for (int k = 0; k < 4; k++) {
        w[k] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 16 * k)), swap);
    }
    for (int k = 4; k < SHA1_GROUPS; k++) {
        __m128i t = _mm_xor_si128(_mm_sha1msg1_epu32(w[k - 4], w[k - 3]), w[k - 2]);

        w[k] = _mm_sha1msg2_epu32(t, w[k - 1]);
    }
    e = _mm_add_epi32(e_save, w[0]);
    prev = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, e, 0);
    for (int g = 1; g < SHA1_GROUPS; g++) {
        e = _mm_sha1nexte_epu32(prev, w[g]);
        prev = abcd;
        switch (g / 5) {
        case 0:
            abcd = _mm_sha1rnds4_epu32(abcd, e, 0);
            break;
        case 1:
            abcd = _mm_sha1rnds4_epu32(abcd, e, 1);
            break;
        case 2:
            abcd = _mm_sha1rnds4_epu32(abcd, e, 2);
            break;
        default:
            abcd = _mm_sha1rnds4_epu32(abcd, e, 3);
            break;
        }
    }
    e = _mm_sha1nexte_epu32(prev, e_save);
    abcd = _mm_add_epi32(abcd, abcd_save);
    _mm_storeu_si128((__m128i *)h, _mm_shuffle_epi32(abcd, 0x1b));
    h[4] = (uint32_t)_mm_extract_epi32(e, 3);
}
#endif

static void (*sha1_block)(uint32_t h[5], const uint8_t *block);

bool sha1_use_accel(bool on)
{
    sha1_block = sha1_block_portable;
#if defined(__x86_64__)
    if (on && cpu_has_sha_ext()) {
        sha1_block = sha1_block_shani;
        return true;
    }
#endif
    (void)on;
    return false;
}

void sha1_init(struct sha1_ctx *ctx)
{
    static const uint32_t iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};

    if (sha1_block == NULL) {
        sha1_use_accel(true);
    }
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
