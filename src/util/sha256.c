/* SPDX-License-Identifier: MIT */
/* sha256: SHA-256 message digest, following FIPS 180-4 sections 5.3.3 and 6.2. */
#include "util/sha256.h"

#include <string.h>

#include "util/cpu.h"

static uint32_t sha256_ror(uint32_t x, unsigned n)
{
    return (x >> n) | (x << (32 - n));
}

static uint32_t sha256_load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

/* Mixes one 64-byte block into the state: the message schedule, then 64 rounds. */
static void sha256_block_portable(uint32_t h[8], const uint8_t *block)
{
    uint32_t w[64];
    uint32_t v[8];

    for (int t = 0; t < 16; t++) {
        w[t] = sha256_load_be32(block + 4 * t);
    }
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = sha256_ror(w[t - 15], 7) ^ sha256_ror(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = sha256_ror(w[t - 2], 17) ^ sha256_ror(w[t - 2], 19) ^ (w[t - 2] >> 10);

        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    memcpy(v, h, sizeof(v));
    for (int t = 0; t < 64; t++) {
        uint32_t e = v[4], a = v[0];
        uint32_t s1 = sha256_ror(e, 6) ^ sha256_ror(e, 11) ^ sha256_ror(e, 25);
        uint32_t ch = (e & v[5]) ^ (~e & v[6]);
        uint32_t t1 = v[7] + s1 + ch + sha256_k[t] + w[t];
        uint32_t s0 = sha256_ror(a, 2) ^ sha256_ror(a, 13) ^ sha256_ror(a, 22);
        uint32_t maj = (a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]);

        /* The working variables move down one place (h = g, ..., b = a). */
        v[7] = v[6];
        v[6] = v[5];
        v[5] = e;
        v[4] = v[3] + t1;
        v[3] = v[2];
        v[2] = v[1];
        v[1] = a;
        v[0] = t1 + s0 + maj;
    }
    for (int i = 0; i < 8; i++) {
        h[i] += v[i];
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define SHA256_GROUPS 16 /* of four rounds each */

/*
 * The block function with the x86 SHA extensions: sha256rnds2 does two
 * rounds on the state split as ABEF and CDGH (lanes high to low),
 * sha256msg1/sha256msg2 extend the message schedule four words at a time.
 * Message words are byte-swapped into place; K is added before the rounds.
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void sha256_block_shani(uint32_t h[8],
                                                                           const uint8_t *block)
{
    const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bll, 0x0405060700010203ll);
    __m128i w[SHA256_GROUPS];
    __m128i dcba = _mm_loadu_si128((const __m128i *)h);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)(h + 4));
    __m128i badc = _mm_shuffle_epi32(dcba, 0xb1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
    __m128i abef = _mm_alignr_epi8(badc, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, badc, 0xf0);
    __m128i abef_save = abef, cdgh_save = cdgh;

    for (int k = 0; k < 4; k++) {
        w[k] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 16 * k)), swap);
    }
    for (int k = 4; k < SHA256_GROUPS; k++) {
        __m128i t = _mm_add_epi32(_mm_sha256msg1_epu32(w[k - 4], w[k - 3]),
                                  _mm_alignr_epi8(w[k - 1], w[k - 2], 4));

        w[k] = _mm_sha256msg2_epu32(t, w[k - 1]);
    }
    for (int k = 0; k < SHA256_GROUPS; k++) {
        __m128i wk = _mm_add_epi32(w[k], _mm_loadu_si128((const __m128i *)(sha256_k + 4 * k)));

        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));
    }
    abef = _mm_add_epi32(abef, abef_save);
    cdgh = _mm_add_epi32(cdgh, cdgh_save);
    /* Back to A..D and E..H in memory order. */
    __m128i feba = _mm_shuffle_epi32(abef, 0x1b);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);

    _mm_storeu_si128((__m128i *)h, _mm_blend_epi16(feba, dchg, 0xf0));
    _mm_storeu_si128((__m128i *)(h + 4), _mm_alignr_epi8(dchg, feba, 8));
}
#endif

static void (*sha256_block)(uint32_t h[8], const uint8_t *block);

bool sha256_use_accel(bool on)
{
    sha256_block = sha256_block_portable;
#if defined(__x86_64__)
    if (on && cpu_has_sha_ext()) {
        sha256_block = sha256_block_shani;
        return true;
    }
#endif
    (void)on;
    return false;
}

void sha256_init(struct sha256_ctx *ctx)
{
    /* The first 32 bits of the fractional parts of the square roots of the first 8 primes. */
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

    if (sha256_block == NULL) {
        sha256_use_accel(true);
    }
    memcpy(ctx->h, iv, sizeof(iv));
    ctx->total_len = 0;
    ctx->block_len = 0;
}

void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len)
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
            sha256_block(ctx->h, ctx->block);
            ctx->block_len = 0;
        }
    }
}

/* Pads with 0x80, zeros and the big-endian bit length, then writes the digest. */
void sha256_final(struct sha256_ctx *ctx, uint8_t digest[SHA256_DIGEST_LEN])
{
    uint64_t bits = ctx->total_len * 8;
    uint8_t pad[64 + 8] = {0x80};
    size_t pad_len = ctx->block_len < 56 ? 56 - ctx->block_len : 120 - ctx->block_len;

    for (int i = 0; i < 8; i++) {
        pad[pad_len + i] = (uint8_t)(bits >> (56 - 8 * i));
    }
    sha256_update(ctx, pad, pad_len + 8);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(ctx->h[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(ctx->h[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(ctx->h[i] >> 8);
        digest[4 * i + 3] = (uint8_t)ctx->h[i];
    }
}

void sha256_digest(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_LEN])
{
    struct sha256_ctx ctx;

    sha256_init(&ctx);
    sha256_update(&ctx, data, len);
    sha256_final(&ctx, digest);
}
