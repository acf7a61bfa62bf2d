/* SPDX-License-Identifier: MIT */
/*
 * test_util: SHA-1 against FIPS 180 vectors, base64 against RFC 4648
 * section 10, the u64 map through its growth.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/base64.h"
#include "util/sha1.h"
#include "util/u64map.h"

/* Hex of a digest, lower case. */
static void to_hex(const uint8_t *d, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static void sha1_hex(const void *data, size_t len, char *out)
{
    struct sha1_ctx ctx;
    uint8_t d[SHA1_DIGEST_LEN];

    sha1_init(&ctx);
    sha1_update(&ctx, data, len);
    sha1_final(&ctx, d);
    to_hex(d, sizeof(d), out);
}

/* FIPS 180-2 appendix A and the classic test suite. */
static void test_sha1_vectors(void **state)
{
    char hex[2 * SHA1_DIGEST_LEN + 1];
    static const char m448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    static const char m896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                               "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

    (void)state;
    sha1_hex("", 0, hex);
    assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    sha1_hex("abc", 3, hex);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_int_equal(strlen(m448) * 8, 448);
    sha1_hex(m448, strlen(m448), hex);
    assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    assert_int_equal(strlen(m896) * 8, 896);
    sha1_hex(m896, strlen(m896), hex);
    assert_string_equal(hex, "a49b2446a02c645bf419f995b67091253a04a259");
    sha1_hex("The quick brown fox jumps over the lazy dog", 43, hex);
    assert_string_equal(hex, "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12");
}

/* Lengths around the padding boundary (55/56 bytes) and the block size. */
static void test_sha1_block_edges(void **state)
{
    static const struct {
        size_t n;
        const char *hex;
    } cases[] = {
        {55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
        {56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"},
        {63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"},
        {64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
        {65, "11655326c708d70319be2610e8a57d9a5b959d3b"},
        {119, "ee971065aaa017e0632a8ca6c77bb3bf8b1dfc56"},
        {120, "f34c1488385346a55709ba056ddd08280dd4c6d6"},
    };
    char a[128];
    char hex[2 * SHA1_DIGEST_LEN + 1];

    (void)state;
    memset(a, 'a', sizeof(a));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sha1_hex(a, cases[i].n, hex);
        assert_string_equal(hex, cases[i].hex);
    }
}

/* One million 'a', fed in chunks of odd and awkward sizes. */
static void test_sha1_million_a(void **state)
{
    static const size_t chunks[] = {1, 7, 63, 64, 65, 127, 1000, 4093, 3, 0, 129};
    const size_t total = 1000000;
    uint8_t *buf = malloc(total);
    struct sha1_ctx ctx;
    uint8_t d[SHA1_DIGEST_LEN];
    char hex[2 * SHA1_DIGEST_LEN + 1];
    size_t done = 0, k = 0;

    (void)state;
    assert_non_null(buf);
    memset(buf, 'a', total);
    sha1_init(&ctx);
    while (done < total) {
        size_t n = chunks[k++ % (sizeof(chunks) / sizeof(chunks[0]))];

        if (n > total - done) {
            n = total - done;
        }
        sha1_update(&ctx, buf + done, n);
        done += n;
    }
    sha1_final(&ctx, d);
    to_hex(d, sizeof(d), hex);
    assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");

    /* In one call, the same. */
    sha1_hex(buf, total, hex);
    assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    free(buf);
}

/* A context can be used again after sha1_init. */
static void test_sha1_reuse(void **state)
{
    struct sha1_ctx ctx;
    uint8_t d[SHA1_DIGEST_LEN];
    char hex[2 * SHA1_DIGEST_LEN + 1];

    (void)state;
    sha1_init(&ctx);
    sha1_update(&ctx, "garbage that must not leak into the next digest", 47);
    sha1_final(&ctx, d);
    sha1_init(&ctx);
    sha1_update(&ctx, "a", 1);
    sha1_update(&ctx, "bc", 2);
    sha1_final(&ctx, d);
    to_hex(d, sizeof(d), hex);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
}

/* RFC 4648 section 10. */
static void test_base64_rfc4648(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    char out[32];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i].in);

        memset(out, 0x7e, sizeof(out));
        assert_int_equal(base64_encode((const uint8_t *)cases[i].in, n, out), strlen(cases[i].out));
        assert_string_equal(out, cases[i].out);
        assert_int_equal(BASE64_LEN(n), strlen(cases[i].out));
        /* Nothing written past the terminating NUL. */
        assert_int_equal((unsigned char)out[BASE64_LEN(n) + 1], 0x7e);
    }
}

/* base64_value inverts the alphabet and refuses every other byte. */
static void test_base64_value(void **state)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int seen = 0;

    (void)state;
    for (int i = 0; i < 64; i++) {
        assert_int_equal(base64_value((uint8_t)alphabet[i]), i);
    }
    for (int c = 0; c < 256; c++) {
        seen += base64_value((uint8_t)c) >= 0;
    }
    assert_int_equal(seen, 64);
    assert_int_equal(base64_value('='), -1);
}

/* The two characters past the letters and digits, and all byte values. */
static void test_base64_binary(void **state)
{
    static const uint8_t a[2] = {0xfb, 0xff};
    static const uint8_t b[3] = {0xff, 0xfe, 0xfd};
    static const uint8_t c[1] = {0x00};
    static const uint8_t d[20] = {0x2d, 0x05, 0x3d, 0xa9, 0x99, 0x4a, 0xf8, 0x1e, 0x45, 0xdc,
                                  0xa0, 0xe6, 0x7a, 0xfe, 0xa6, 0xe4, 0xf3, 0x22, 0x6e, 0xb8};
    char out[64];

    (void)state;
    assert_int_equal(base64_encode(a, sizeof(a), out), 4);
    assert_string_equal(out, "+/8=");
    assert_int_equal(base64_encode(b, sizeof(b), out), 4);
    assert_string_equal(out, "//79");
    assert_int_equal(base64_encode(c, sizeof(c), out), 4);
    assert_string_equal(out, "AA==");
    /* A 20-byte digest is 28 characters: the Community ID's size. */
    assert_int_equal(base64_encode(d, sizeof(d), out), 28);
    assert_string_equal(out, "LQU9qZlK+B5F3KDmev6m5PMibrg=");
    assert_int_equal(BASE64_LEN(20), 28);
}

/* The portable block function alone, on the FIPS 180 examples. */
static void test_sha1_portable_vectors(void **state)
{
    char hex[2 * SHA1_DIGEST_LEN + 1];

    (void)state;
    assert_false(sha1_use_accel(false));
    sha1_hex("abc", 3, hex);
    assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
    sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    sha1_use_accel(true);
}

/*
 * The CPU's SHA instructions (where present) and the portable code give
 * the same digest for every length from 0 to 600 bytes of pseudo-random
 * data (xorshift64, seed 1). Without the instructions both runs are the
 * portable code and the test still checks it against itself.
 */
static void test_sha1_paths_agree(void **state)
{
    uint8_t data[600];
    uint64_t x = 1;
    char fast[2 * SHA1_DIGEST_LEN + 1], slow[2 * SHA1_DIGEST_LEN + 1];

    (void)state;
    for (size_t i = 0; i < sizeof(data); i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data[i] = (uint8_t)x;
    }
    for (size_t len = 0; len <= sizeof(data); len++) {
        sha1_use_accel(true);
        sha1_hex(data, len, fast);
        sha1_use_accel(false);
        sha1_hex(data, len, slow);
        assert_string_equal(fast, slow);
    }
    sha1_use_accel(true);
}

/* Keys that collide in the low bits, through several doublings; overwrites; misses. */
static void test_u64map(void **state)
{
    struct u64map m = {0};
    uint32_t v;

    (void)state;
    assert_false(u64map_get(&m, 5, &v));
    for (uint32_t i = 1; i <= 5000; i++) {
        assert_int_equal(u64map_put(&m, (uint64_t)i << 32, i), 0);
    }
    assert_int_equal(m.n, 5000);
    assert_true(m.cap >= 2 * m.n);
    for (uint32_t i = 1; i <= 5000; i++) {
        assert_true(u64map_get(&m, (uint64_t)i << 32, &v));
        assert_int_equal(v, i);
    }
    assert_int_equal(u64map_put(&m, 7ull << 32, 99), 0);
    assert_true(u64map_get(&m, 7ull << 32, &v));
    assert_int_equal(v, 99);
    assert_int_equal(m.n, 5000);
    assert_false(u64map_get(&m, 5001ull << 32, &v));
    assert_false(u64map_get(&m, 7, &v));
    u64map_free(&m);
    assert_false(u64map_get(&m, 7ull << 32, &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha1_vectors),   cmocka_unit_test(test_sha1_block_edges),
        cmocka_unit_test(test_sha1_portable_vectors), cmocka_unit_test(test_sha1_paths_agree),
        cmocka_unit_test(test_sha1_million_a), cmocka_unit_test(test_sha1_reuse),
        cmocka_unit_test(test_base64_rfc4648),
        cmocka_unit_test(test_base64_value), cmocka_unit_test(test_base64_binary),
        cmocka_unit_test(test_u64map),
    };

    return cmocka_run_group_tests_name("test_util", tests, NULL, NULL);
}
