/* SPDX-License-Identifier: MIT */
/* test_json: the fixed-buffer JSON builder, checked against jansson's parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <jansson.h>

#include "output/json.h"

#define BUF_LEN 4096
#define CANARY 0x5c

static char buf[BUF_LEN + 64];
static struct jbuf jb;

static void start(size_t cap)
{
    memset(buf, CANARY, sizeof(buf));
    jb_init(&jb, buf, cap);
}

/* The builder's output equals want exactly, and nothing past it was touched. */
static void assert_out(const char *want)
{
    size_t n = strlen(want);

    assert_false(jb.overflow);
    if (jb.len != n || memcmp(jb.buf, want, n) != 0) {
        print_error("got  %.*s\nwant %s\n", (int)jb.len, jb.buf, want);
        fail();
    }
    for (size_t i = jb.cap; i < sizeof(buf); i++) {
        assert_int_equal((unsigned char)buf[i], CANARY);
    }
}

/* Parses the output with jansson; fails the test if it is not JSON. */
static json_t *parse(void)
{
    json_error_t err;
    json_t *v;

    assert_false(jb.overflow);
    v = json_loadb(jb.buf, jb.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (v == NULL) {
        print_error("not JSON (%s): %.*s\n", err.text, (int)jb.len, jb.buf);
        fail();
    }
    return v;
}

/* Writes s as one JSON string, parses it back, and returns jansson's value. */
static json_t *string_round(const uint8_t *s, size_t len)
{
    json_t *v;

    start(BUF_LEN);
    jb_strn(&jb, NULL, s, len);
    v = parse();
    assert_true(json_is_string(v));
    for (size_t i = 0; i < jb.len; i++) {
        assert_true((unsigned char)jb.buf[i] >= 0x20);
    }
    return v;
}

/* s must come back as exactly `want` (want_len bytes). */
static void check_string(const void *s, size_t len, const void *want, size_t want_len)
{
    json_t *v = string_round(s, len);

    if (json_string_length(v) != want_len || memcmp(json_string_value(v), want, want_len) != 0) {
        print_error("round trip of %zu bytes gave %zu bytes: %.*s\n", len, json_string_length(v),
                    (int)jb.len, jb.buf);
        fail();
    }
    json_decref(v);
}

/* --- structure ------------------------------------------------------------- */

static void test_nesting_and_commas(void **state)
{
    json_t *v;

    (void)state;
    start(BUF_LEN);
    jb_object_open(&jb, NULL);
    jb_u64(&jb, "a", 1);
    jb_array_open(&jb, "b");
    jb_u64(&jb, NULL, 1);
    jb_u64(&jb, NULL, 2);
    jb_object_open(&jb, NULL);
    jb_str(&jb, "c", "x");
    jb_object_close(&jb);
    jb_array_close(&jb);
    jb_object_open(&jb, "d");
    jb_object_close(&jb);
    jb_array_open(&jb, "e");
    jb_array_close(&jb);
    jb_bool(&jb, "f", true);
    jb_null(&jb, "g");
    jb_object_close(&jb);
    assert_int_equal(jb.depth, 0);
    assert_out("{\"a\":1,\"b\":[1,2,{\"c\":\"x\"}],\"d\":{},\"e\":[],\"f\":true,\"g\":null}");
    v = parse();
    assert_int_equal(json_object_size(v), 6);
    assert_int_equal(json_array_size(json_object_get(v, "b")), 3);
    json_decref(v);

    /* Arrays of arrays, and a value at the root. */
    start(BUF_LEN);
    jb_array_open(&jb, NULL);
    jb_array_open(&jb, NULL);
    jb_array_close(&jb);
    jb_array_open(&jb, NULL);
    jb_bool(&jb, NULL, false);
    jb_array_close(&jb);
    jb_str(&jb, NULL, "");
    jb_array_close(&jb);
    assert_out("[[],[false],\"\"]");
    start(BUF_LEN);
    jb_u64(&jb, NULL, 7);
    assert_out("7");
}

static void test_numbers(void **state)
{
    json_t *v;

    (void)state;
    start(BUF_LEN);
    jb_array_open(&jb, NULL);
    jb_u64(&jb, NULL, 0);
    jb_u64(&jb, NULL, UINT64_MAX);
    jb_i64(&jb, NULL, INT64_MIN);
    jb_i64(&jb, NULL, INT64_MAX);
    jb_i64(&jb, NULL, -1);
    jb_i64(&jb, NULL, 0);
    jb_u64(&jb, NULL, 10);
    jb_u64(&jb, NULL, 1000000007);
    jb_array_close(&jb);
    assert_out("[0,18446744073709551615,-9223372036854775808,9223372036854775807,-1,0,10,"
               "1000000007]");

    /* jansson holds integers as long long: check the ones that fit. */
    start(BUF_LEN);
    jb_array_open(&jb, NULL);
    jb_i64(&jb, NULL, INT64_MIN);
    jb_i64(&jb, NULL, INT64_MAX);
    jb_u64(&jb, NULL, 0);
    jb_array_close(&jb);
    v = parse();
    assert_true(json_integer_value(json_array_get(v, 0)) == INT64_MIN);
    assert_true(json_integer_value(json_array_get(v, 1)) == INT64_MAX);
    assert_true(json_integer_value(json_array_get(v, 2)) == 0);
    json_decref(v);
}

static void test_doubles(void **state)
{
    static const double vals[] = {0.5,         -2.25,   0.1,
                                  1.0 / 3.0,   1e300,   -2.5e-300,
                                  DBL_MAX,     DBL_MIN, 4.9406564584124654e-324,
                                  123456789.0, -0.0,    0.0};
    const size_t n = sizeof(vals) / sizeof(vals[0]);
    json_t *v;

    (void)state;
    start(BUF_LEN);
    jb_array_open(&jb, NULL);
    for (size_t i = 0; i < n; i++) {
        jb_double(&jb, NULL, vals[i]);
    }
    jb_double(&jb, NULL, NAN);
    jb_double(&jb, NULL, INFINITY);
    jb_double(&jb, NULL, -INFINITY);
    jb_array_close(&jb);
    v = parse();
    assert_int_equal(json_array_size(v), n + 3);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);

        assert_true(json_is_number(e));
        /* 17 significant digits bring back the very same double. */
        if (json_number_value(e) != vals[i]) {
            print_error("value %zu: %.17g came back as %.17g\n", i, vals[i], json_number_value(e));
            fail();
        }
    }
    assert_true(json_is_null(json_array_get(v, n)));
    assert_true(json_is_null(json_array_get(v, n + 1)));
    assert_true(json_is_null(json_array_get(v, n + 2)));
    json_decref(v);

    start(BUF_LEN);
    jb_object_open(&jb, NULL);
    jb_double(&jb, "x", 0.5);
    jb_double(&jb, "y", NAN);
    jb_object_close(&jb);
    assert_out("{\"x\":0.5,\"y\":null}");
}

static void test_overflow(void **state)
{
    const char *doc = "{\"a\":1}";
    size_t len_before;

    (void)state;
    /* Exactly enough room. */
    start(7);
    jb_object_open(&jb, NULL);
    jb_u64(&jb, "a", 1);
    jb_object_close(&jb);
    assert_out(doc);

    /* One byte short. */
    start(6);
    jb_object_open(&jb, NULL);
    jb_u64(&jb, "a", 1);
    jb_object_close(&jb);
    assert_true(jb.overflow);
    assert_true(jb.len <= 6);
    for (size_t i = 6; i < sizeof(buf); i++) {
        assert_int_equal((unsigned char)buf[i], CANARY);
    }

    /* A tiny buffer and a long string: overflow sticks, later calls do nothing. */
    start(8);
    jb_object_open(&jb, NULL);
    jb_str(&jb, "key", "a value far longer than eight bytes");
    assert_true(jb.overflow);
    len_before = jb.len;
    jb_u64(&jb, "n", 5);
    jb_str(&jb, NULL, "x");
    jb_object_close(&jb);
    jb_object_open(&jb, NULL);
    assert_true(jb.overflow);
    assert_int_equal(jb.len, len_before);
    for (size_t i = 8; i < sizeof(buf); i++) {
        assert_int_equal((unsigned char)buf[i], CANARY);
    }

    /* An escape that does not fit is not written in part. */
    start(5);
    jb_strn(&jb, NULL, (const uint8_t *)"ab\x01", 3);
    assert_true(jb.overflow);
    assert_true(jb.len <= 3);
    for (size_t i = 5; i < sizeof(buf); i++) {
        assert_int_equal((unsigned char)buf[i], CANARY);
    }

    /* No room at all. */
    start(0);
    jb_u64(&jb, NULL, 1);
    assert_true(jb.overflow);
    assert_int_equal(jb.len, 0);
    assert_int_equal((unsigned char)buf[0], CANARY);
}

static void test_depth(void **state)
{
    json_t *v;

    (void)state;
    /* JB_DEPTH_MAX levels are fine. */
    start(BUF_LEN);
    for (int i = 0; i < JB_DEPTH_MAX; i++) {
        jb_array_open(&jb, NULL);
    }
    assert_false(jb.overflow);
    assert_int_equal(jb.depth, JB_DEPTH_MAX);
    jb_u64(&jb, NULL, 1);
    jb_u64(&jb, NULL, 2);
    for (int i = 0; i < JB_DEPTH_MAX; i++) {
        jb_array_close(&jb);
    }
    assert_int_equal(jb.depth, 0);
    v = parse();
    json_decref(v);

    /* Objects with keys at every level. */
    start(BUF_LEN);
    jb_object_open(&jb, NULL);
    for (int i = 1; i < JB_DEPTH_MAX; i++) {
        jb_u64(&jb, "n", (uint64_t)i);
        jb_object_open(&jb, "o");
    }
    for (int i = 0; i < JB_DEPTH_MAX; i++) {
        jb_object_close(&jb);
    }
    v = parse();
    json_decref(v);

    /* One more level overflows. */
    start(BUF_LEN);
    for (int i = 0; i <= JB_DEPTH_MAX; i++) {
        jb_array_open(&jb, NULL);
    }
    assert_true(jb.overflow);

    /* Closing what was never opened overflows too. */
    start(BUF_LEN);
    jb_object_close(&jb);
    assert_true(jb.overflow);
    start(BUF_LEN);
    jb_array_open(&jb, NULL);
    jb_array_close(&jb);
    jb_array_close(&jb);
    assert_true(jb.overflow);
}

/* --- strings ------------------------------------------------------------- */

static void test_quotes_backslashes(void **state)
{
    static const char s[] = "say \"hi\" \\ back\\slash \\\" /path";
    json_t *v;

    (void)state;
    check_string(s, strlen(s), s, strlen(s));

    start(BUF_LEN);
    jb_str(&jb, NULL, "a\"b\\c");
    assert_out("\"a\\\"b\\\\c\"");

    /* Keys are the program's literals (json.h): written as they are. */
    start(BUF_LEN);
    jb_object_open(&jb, NULL);
    jb_str(&jb, "event_type", "a\"b");
    jb_object_close(&jb);
    v = parse();
    assert_string_equal(json_string_value(json_object_get(v, "event_type")), "a\"b");
    json_decref(v);
}

static void test_control_chars(void **state)
{
    uint8_t all[34];

    (void)state;
    for (unsigned c = 0; c < 0x20; c++) {
        uint8_t s[3] = {'<', (uint8_t)c, '>'};

        check_string(s, 3, s, 3);
        all[c] = (uint8_t)c;
    }
    all[32] = 0x7f;
    all[33] = 0x20;
    check_string(all, sizeof(all), all, sizeof(all));
    check_string("\x7f", 1, "\x7f", 1);

    /* The common short escapes, as RFC 8259 section 7 spells them. */
    start(BUF_LEN);
    jb_str(&jb, NULL, "\n\r\t");
    assert_out("\"\\n\\r\\t\"");
}

struct hostile {
    const char *in;
    size_t in_len;
    const char *out; /* what jansson must decode: invalid bytes as U+0080..U+00FF */
    size_t out_len;
};

#define H(i, o)                                                                                    \
    {                                                                                              \
        i, sizeof(i) - 1, o, sizeof(o) - 1                                                         \
    }

static void test_invalid_utf8(void **state)
{
    static const struct hostile cases[] = {
        H("\x80", "\xc2\x80"), /* lone continuation */
        H("\xbf", "\xc2\xbf"),
        H("\xff", "\xc3\xbf"), /* never valid */
        H("\xfe\xfe", "\xc3\xbe\xc3\xbe"),
        H("\xc0\x80", "\xc3\x80\xc2\x80"),                         /* overlong NUL */
        H("\xc1\xbf", "\xc3\x81\xc2\xbf"),                         /* overlong DEL */
        H("\xe0\x80\xaf", "\xc3\xa0\xc2\x80\xc2\xaf"),             /* overlong '/' */
        H("\xe0\x9f\xbf", "\xc3\xa0\xc2\x9f\xc2\xbf"),             /* overlong U+07FF */
        H("\xed\xa0\x80", "\xc3\xad\xc2\xa0\xc2\x80"),             /* surrogate D800 */
        H("\xed\xbf\xbf", "\xc3\xad\xc2\xbf\xc2\xbf"),             /* surrogate DFFF */
        H("\xf0\x80\x80\xaf", "\xc3\xb0\xc2\x80\xc2\x80\xc2\xaf"), /* overlong 4-byte */
        H("\xf0\x8f\xbf\xbf", "\xc3\xb0\xc2\x8f\xc2\xbf\xc2\xbf"), /* overlong U+FFFF */
        H("\xf4\x90\x80\x80", "\xc3\xb4\xc2\x90\xc2\x80\xc2\x80"), /* U+110000 */
        H("\xf5\x80\x80\x80", "\xc3\xb5\xc2\x80\xc2\x80\xc2\x80"), /* lead byte F5 */
        H("\xf8\x88\x80\x80\x80", "\xc3\xb8\xc2\x88\xc2\x80\xc2\x80\xc2\x80"),
        H("abc\xc3", "abc\xc3\x83"),                         /* cut 2-byte */
        H("abc\xe2\x82", "abc\xc3\xa2\xc2\x82"),             /* cut 3-byte */
        H("abc\xf0\x9f\x98", "abc\xc3\xb0\xc2\x9f\xc2\x98"), /* cut 4-byte */
        H("\xc2"
          "A",
          "\xc3\x82"
          "A"), /* bad continuation */
        H("\xe2\x82"
          "A",
          "\xc3\xa2\xc2\x82"
          "A"),
        H("\xe2\x28\xa1", "\xc3\xa2(\xc2\xa1"),
        H("\xc3\xa9\xff\xe2\x82\xac", "\xc3\xa9\xc3\xbf\xe2\x82\xac"), /* valid around bad */
        H("\xc3\"", "\xc3\x83\""),                                     /* bad byte then quote */
        H("\xe2\\", "\xc3\xa2\\"),
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_string(cases[i].in, cases[i].in_len, cases[i].out, cases[i].out_len);
    }
}

static void test_valid_utf8_kept(void **state)
{
    static const char *const valid[] = {
        "\xc2\x80",         /* U+0080 */
        "\xc3\xa9",         /* é */
        "\xdf\xbf",         /* U+07FF */
        "\xe0\xa0\x80",     /* U+0800 */
        "\xe2\x82\xac",     /* € */
        "\xed\x9f\xbf",     /* U+D7FF */
        "\xee\x80\x80",     /* U+E000 */
        "\xef\xbf\xbf",     /* U+FFFF */
        "\xf0\x90\x80\x80", /* U+10000 */
        "\xf0\x9f\x98\x80", /* 😀 */
        "\xf4\x8f\xbf\xbf", /* U+10FFFF */
        "na\xc3\xafve caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8f\xa5",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        size_t n = strlen(valid[i]);

        check_string(valid[i], n, valid[i], n);
        /* Kept as the same bytes in the output, not escaped. */
        assert_int_equal(jb.len, n + 2);
        assert_memory_equal(jb.buf + 1, valid[i], n);
    }
}

/* Every byte pair, and every 3- and 4-byte lead with any second byte: always JSON. */
static void test_exhaustive_short(void **state)
{
    static const uint8_t tails[] = {0x00, 0x41, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};

    (void)state;
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            uint8_t s[2] = {(uint8_t)a, (uint8_t)b};
            json_t *want = json_stringn((const char *)s, 2);
            json_t *v = string_round(s, 2);

            /* jansson's own check says whether the input was valid UTF-8. */
            if (want != NULL) {
                assert_int_equal(json_string_length(v), 2);
                assert_memory_equal(json_string_value(v), s, 2);
                json_decref(want);
            }
            json_decref(v);
        }
    }
    for (unsigned a = 0xe0; a <= 0xf7; a++) {
        for (unsigned b = 0; b < 256; b++) {
            for (size_t k = 0; k < sizeof(tails); k++) {
                uint8_t s[4] = {(uint8_t)a, (uint8_t)b, tails[k], 0x80};

                for (size_t n = 3; n <= 4; n++) {
                    json_t *want = json_stringn((const char *)s, n);
                    json_t *v = string_round(s, n);

                    if (want != NULL) {
                        assert_int_equal(json_string_length(v), n);
                        assert_memory_equal(json_string_value(v), s, n);
                        json_decref(want);
                    }
                    json_decref(v);
                }
            }
        }
    }
}

/* Random strings, fixed seed: always JSON, valid UTF-8 always kept. */
static void test_random_strings(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t n_valid = 0;

    (void)state;
    for (int iter = 0; iter < 50000; iter++) {
        uint8_t s[24];
        size_t len;
        json_t *want, *v;

        x = x * 6364136223846793005ull + 1442695040888963407ull;
        len = (size_t)(x >> 59) % sizeof(s);
        for (size_t i = 0; i < len; i++) {
            uint8_t pick;

            x = x * 6364136223846793005ull + 1442695040888963407ull;
            pick = (uint8_t)(x >> 56);
            /* Mostly bytes that matter: controls, quotes, UTF-8 leads and tails. */
            switch (pick & 7) {
            case 0:
                s[i] = pick >> 3;
                break;
            case 1:
                s[i] = (pick & 8) ? '"' : '\\';
                break;
            case 2:
                s[i] = (uint8_t)('a' + (pick >> 3) % 26);
                break;
            case 3:
            case 4:
                s[i] = (uint8_t)(0x80 | (pick >> 2));
                break;
            default:
                s[i] = (uint8_t)(0xc0 | (pick >> 3));
                break;
            }
        }
        want = json_stringn((const char *)s, len);
        v = string_round(s, len);
        if (want != NULL) {
            n_valid++;
            assert_int_equal(json_string_length(v), len);
            assert_memory_equal(json_string_value(v), s, len);
            json_decref(want);
        }
        json_decref(v);
    }
    assert_true(n_valid > 1000);
}

/* --- time, addresses ---------------------------------------------------- */

static void test_format_time(void **state)
{
    static const struct {
        uint64_t us;
        const char *text;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000000+0000"},
        {1700000000123456ull, "2023-11-14T22:13:20.123456+0000"},
        {951782400000001ull, "2000-02-29T00:00:00.000001+0000"},
        {4102444799999999ull, "2099-12-31T23:59:59.999999+0000"},
        {253402300799999999ull, "9999-12-31T23:59:59.999999+0000"},
        {999999ull, "1970-01-01T00:00:00.999999+0000"},
    };
    char out[JB_TIME_LEN + 8];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(out, CANARY, sizeof(out));
        assert_int_equal(jb_format_time(cases[i].us, out), JB_TIME_LEN);
        assert_string_equal(out, cases[i].text);
        assert_int_equal((unsigned char)out[JB_TIME_LEN + 1], CANARY);
    }

    start(BUF_LEN);
    jb_object_open(&jb, NULL);
    jb_time(&jb, "timestamp", 1700000000123456ull);
    jb_object_close(&jb);
    assert_out("{\"timestamp\":\"2023-11-14T22:13:20.123456+0000\"}");
}

static void test_ip(void **state)
{
    static const uint8_t v4a[4] = {192, 0, 2, 1}, v4z[4] = {0}, v4f[4] = {255, 255, 255, 255};
    static const uint8_t v6a[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    static const uint8_t v6z[16] = {0};
    static const uint8_t v6m[16] = {
        [10] = 0xff, [11] = 0xff, [12] = 192, [13] = 0, [14] = 2, [15] = 1};
    static const uint8_t v6f[16] = {0xfe, 0x80, [13] = 1, [15] = 2};
    static const uint8_t v6b[16] = {0x20, 0x01, 0x0d, 0xb8, [9] = 1, [15] = 1};
    json_t *v;

    (void)state;
    start(BUF_LEN);
    jb_object_open(&jb, NULL);
    jb_ip(&jb, "a", 4, v4a);
    jb_ip(&jb, "b", 4, v4z);
    jb_ip(&jb, "c", 4, v4f);
    jb_ip(&jb, "d", 6, v6a);
    jb_ip(&jb, "e", 6, v6z);
    jb_ip(&jb, "f", 6, v6m);
    jb_ip(&jb, "g", 6, v6f);
    jb_ip(&jb, "h", 6, v6b);
    jb_object_close(&jb);
    v = parse();
    assert_string_equal(json_string_value(json_object_get(v, "a")), "192.0.2.1");
    assert_string_equal(json_string_value(json_object_get(v, "b")), "0.0.0.0");
    assert_string_equal(json_string_value(json_object_get(v, "c")), "255.255.255.255");
    assert_string_equal(json_string_value(json_object_get(v, "d")), "2001:db8::1");
    assert_string_equal(json_string_value(json_object_get(v, "e")), "::");
    assert_string_equal(json_string_value(json_object_get(v, "f")), "::ffff:192.0.2.1");
    assert_string_equal(json_string_value(json_object_get(v, "g")), "fe80::1:2");
    assert_string_equal(json_string_value(json_object_get(v, "h")), "2001:db8::1:0:0:1");
    json_decref(v);
}

static void test_mac(void **state)
{
    static const uint8_t m1[6] = {0x00, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e};
    static const uint8_t m2[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t m3[6] = {0};
    json_t *v;

    (void)state;
    start(BUF_LEN);
    jb_array_open(&jb, NULL);
    jb_mac(&jb, NULL, m1);
    jb_mac(&jb, NULL, m2);
    jb_mac(&jb, NULL, m3);
    jb_array_close(&jb);
    v = parse();
    assert_int_equal(strcasecmp(json_string_value(json_array_get(v, 0)), "00:1a:2b:3c:4d:5e"), 0);
    assert_int_equal(strcasecmp(json_string_value(json_array_get(v, 1)), "ff:ff:ff:ff:ff:ff"), 0);
    assert_string_equal(json_string_value(json_array_get(v, 2)), "00:00:00:00:00:00");
    json_decref(v);

    start(BUF_LEN);
    jb_object_open(&jb, NULL);
    jb_mac(&jb, "src_mac", m3);
    jb_object_close(&jb);
    assert_out("{\"src_mac\":\"00:00:00:00:00:00\"}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nesting_and_commas),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_quotes_backslashes),
        cmocka_unit_test(test_control_chars),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_valid_utf8_kept),
        cmocka_unit_test(test_exhaustive_short),
        cmocka_unit_test(test_random_strings),
        cmocka_unit_test(test_format_time),
        cmocka_unit_test(test_ip),
        cmocka_unit_test(test_mac),
    };

    return cmocka_run_group_tests_name("test_json", tests, NULL, NULL);
}
