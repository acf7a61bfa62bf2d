/* SPDX-License-Identifier: MIT */
/*
 * test_hash: MD5 (src/util/md5.c) against the test suite of RFC 1321
 * appendix A.5, and SHA-256 (src/util/sha256.c) against the examples of
 * NIST's FIPS 180-4 "SHA256.pdf" and the one-million-'a' vector; both at
 * every split of the input and across the padding edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/md5.h"
#include "util/sha256.h"

#define HEX_LEN (2 * SHA256_DIGEST_LEN + 1)
#define MILLION 1000000

static void to_hex(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    }
}

static void md5_hex(const void *data, size_t len, char *out)
{
    uint8_t d[MD5_DIGEST_LEN];

    md5_digest(data, len, d);
    to_hex(d, sizeof(d), out);
}

static void sha256_hex(const void *data, size_t len, char *out)
{
    uint8_t d[SHA256_DIGEST_LEN];

    sha256_digest(data, len, d);
    to_hex(d, sizeof(d), out);
}

struct vector {
    const char *msg;
    const char *md5;
};

/* RFC 1321 appendix A.5. */
static const struct vector rfc1321[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
};

static void test_md5_rfc1321(void **state)
{
    char hex[HEX_LEN];

    (void)state;
    for (size_t i = 0; i < sizeof(rfc1321) / sizeof(rfc1321[0]); i++) {
        md5_hex(rfc1321[i].msg, strlen(rfc1321[i].msg), hex);
        assert_string_equal(hex, rfc1321[i].md5);
    }
}

/* The same digest whatever way the input is cut into update calls. */
static void test_md5_splits(void **state)
{
    const char *msg = rfc1321[6].msg;
    size_t n = strlen(msg);
    uint8_t d[MD5_DIGEST_LEN];
    char hex[HEX_LEN];

    (void)state;
    for (size_t cut = 0; cut <= n; cut++) {
        struct md5_ctx ctx;

        md5_init(&ctx);
        md5_update(&ctx, msg, cut);
        md5_update(&ctx, msg + cut, n - cut);
        md5_final(&ctx, d);
        to_hex(d, sizeof(d), hex);
        assert_string_equal(hex, rfc1321[6].md5);
    }
}

/* FIPS 180-4 examples (NIST SHA256.pdf, SHA256_2.pdf). */
static void test_sha256_nist(void **state)
{
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    char hex[HEX_LEN];

    (void)state;
    sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex(m448, strlen(m448), hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    sha256_hex(m896, strlen(m896), hex);
    assert_string_equal(hex, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* One million 'a', fed in uneven pieces. */
static void test_sha256_million_a(void **state)
{
    static uint8_t buf[MILLION];
    uint8_t d[SHA256_DIGEST_LEN];
    struct sha256_ctx ctx;
    char hex[HEX_LEN];
    size_t done = 0, step = 1;

    (void)state;
    memset(buf, 'a', sizeof(buf));
    sha256_init(&ctx);
    while (done < MILLION) {
        size_t n = step < MILLION - done ? step : MILLION - done;

        sha256_update(&ctx, buf + done, n);
        done += n;
        step = step * 3 + 1;
    }
    sha256_final(&ctx, d);
    to_hex(d, sizeof(d), hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the padding edges (55, 56, 63, 64, 65 bytes) hashed whole and byte by byte. */
static void test_padding_edges(void **state)
{
    static const size_t lens[] = {55, 56, 57, 63, 64, 65, 119, 120, 128};
    uint8_t msg[128];

    (void)state;
    for (size_t i = 0; i < sizeof(msg); i++) {
        msg[i] = (uint8_t)(i * 7 + 1);
    }
    for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        uint8_t whole[SHA256_DIGEST_LEN], bytes[SHA256_DIGEST_LEN];
        uint8_t mw[MD5_DIGEST_LEN], mb[MD5_DIGEST_LEN];
        struct sha256_ctx s;
        struct md5_ctx m;

        sha256_digest(msg, lens[k], whole);
        md5_digest(msg, lens[k], mw);
        sha256_init(&s);
        md5_init(&m);
        for (size_t i = 0; i < lens[k]; i++) {
            sha256_update(&s, msg + i, 1);
            md5_update(&m, msg + i, 1);
        }
        sha256_final(&s, bytes);
        md5_final(&m, mb);
        assert_memory_equal(whole, bytes, sizeof(whole));
        assert_memory_equal(mw, mb, sizeof(mw));
    }
}

/*
 * The CPU's SHA instructions (where present) and the portable code give
 * the same SHA-256 for every length from 0 to 600 bytes of pseudo-random
 * data (xorshift64, seed 1), and the portable code alone meets the FIPS
 * example. Without the instructions both runs are the portable code.
 */
static void test_sha256_paths_agree(void **state)
{
    uint8_t data[600];
    uint64_t x = 1;
    char fast[HEX_LEN], slow[HEX_LEN];

    (void)state;
    for (size_t i = 0; i < sizeof(data); i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data[i] = (uint8_t)x;
    }
    assert_false(sha256_use_accel(false));
    sha256_hex("abc", 3, slow);
    assert_string_equal(slow, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    for (size_t len = 0; len <= sizeof(data); len++) {
        sha256_use_accel(true);
        sha256_hex(data, len, fast);
        sha256_use_accel(false);
        sha256_hex(data, len, slow);
        assert_string_equal(fast, slow);
    }
    sha256_use_accel(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md5_rfc1321),      cmocka_unit_test(test_md5_splits),
        cmocka_unit_test(test_sha256_nist),      cmocka_unit_test(test_sha256_million_a),
        cmocka_unit_test(test_padding_edges),    cmocka_unit_test(test_sha256_paths_agree),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
