/* SPDX-License-Identifier: MIT */
/* test_cursor: every bounds-checked cursor read, at the end, one short and past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/cursor.h"

static const uint8_t bytes8[8] = {0x01, 0x02, 0x03, 0x04, 0xa5, 0xb6, 0xc7, 0xd8};

/* A heap copy of exactly len bytes, so ASan sees any read past the end. */
static uint8_t *exact_copy(const uint8_t *src, size_t len)
{
    uint8_t *p = malloc(len > 0 ? len : 1);

    assert_non_null(p);
    if (len > 0) {
        memcpy(p, src, len);
    }
    return p;
}

static void test_init_and_left(void **state)
{
    struct ww_cursor c;

    (void)state;
    cursor_init(&c, bytes8, sizeof(bytes8));
    assert_ptr_equal(c.pos, bytes8);
    assert_ptr_equal(c.end, bytes8 + 8);
    assert_int_equal(cursor_left(&c), 8);

    cursor_init(&c, bytes8, 0);
    assert_int_equal(cursor_left(&c), 0);
}

static void test_u8(void **state)
{
    struct ww_cursor c;
    uint8_t *buf = exact_copy(bytes8, 2);
    uint8_t v = 0x77;

    (void)state;
    cursor_init(&c, buf, 2);
    assert_int_equal(cursor_u8(&c, &v), 0);
    assert_int_equal(v, 0x01);
    assert_int_equal(cursor_u8(&c, &v), 0);
    assert_int_equal(v, 0x02);
    assert_int_equal(cursor_left(&c), 0);

    /* At the end: fails, leaves the cursor and the output alone. */
    v = 0x77;
    assert_int_equal(cursor_u8(&c, &v), -1);
    assert_int_equal(v, 0x77);
    assert_ptr_equal(c.pos, buf + 2);
    free(buf);
}

static void test_be16_le16(void **state)
{
    struct ww_cursor c;
    uint8_t *buf = exact_copy(bytes8, 3);
    uint16_t v = 0x7777;

    (void)state;
    cursor_init(&c, buf, 2);
    assert_int_equal(cursor_be16(&c, &v), 0);
    assert_int_equal(v, 0x0102);
    assert_int_equal(cursor_left(&c), 0);

    cursor_init(&c, buf, 2);
    assert_int_equal(cursor_le16(&c, &v), 0);
    assert_int_equal(v, 0x0201);

    /* One byte short, for both byte orders. */
    cursor_init(&c, buf, 3);
    assert_int_equal(cursor_skip(&c, 2), 0);
    v = 0x7777;
    assert_int_equal(cursor_be16(&c, &v), -1);
    assert_int_equal(cursor_le16(&c, &v), -1);
    assert_int_equal(v, 0x7777);
    assert_ptr_equal(c.pos, buf + 2);
    assert_int_equal(cursor_left(&c), 1);
    free(buf);
}

static void test_be32_le32(void **state)
{
    struct ww_cursor c;
    uint8_t *buf = exact_copy(bytes8, 8);
    uint32_t v = 0x77777777;

    (void)state;
    cursor_init(&c, buf, 8);
    assert_int_equal(cursor_be32(&c, &v), 0);
    assert_int_equal(v, 0x01020304u);
    assert_int_equal(cursor_le32(&c, &v), 0);
    assert_int_equal(v, 0xd8c7b6a5u);
    assert_int_equal(cursor_left(&c), 0);

    /* Three bytes left: a 4-byte read fails and moves nothing. */
    cursor_init(&c, buf, 8);
    assert_int_equal(cursor_skip(&c, 5), 0);
    v = 0x77777777;
    assert_int_equal(cursor_be32(&c, &v), -1);
    assert_int_equal(cursor_le32(&c, &v), -1);
    assert_int_equal(v, 0x77777777u);
    assert_ptr_equal(c.pos, buf + 5);
    free(buf);
}

static void test_skip(void **state)
{
    struct ww_cursor c;

    (void)state;
    cursor_init(&c, bytes8, 8);
    assert_int_equal(cursor_skip(&c, 0), 0);
    assert_int_equal(cursor_left(&c), 8);
    assert_int_equal(cursor_skip(&c, 9), -1);
    assert_ptr_equal(c.pos, bytes8);
    assert_int_equal(cursor_skip(&c, 8), 0);
    assert_int_equal(cursor_left(&c), 0);
    assert_int_equal(cursor_skip(&c, 1), -1);
    assert_ptr_equal(c.pos, bytes8 + 8);
    /* A huge count must not wrap the pointer arithmetic. */
    cursor_init(&c, bytes8, 8);
    assert_int_equal(cursor_skip(&c, SIZE_MAX), -1);
    assert_ptr_equal(c.pos, bytes8);
}

static void test_bytes(void **state)
{
    struct ww_cursor c;
    const uint8_t *out = NULL;

    (void)state;
    cursor_init(&c, bytes8, 8);
    assert_int_equal(cursor_bytes(&c, 3, &out), 0);
    assert_ptr_equal(out, bytes8);
    assert_int_equal(cursor_bytes(&c, 5, &out), 0);
    assert_ptr_equal(out, bytes8 + 3);
    assert_int_equal(cursor_left(&c), 0);

    cursor_init(&c, bytes8, 8);
    out = NULL;
    assert_int_equal(cursor_bytes(&c, 9, &out), -1);
    assert_null(out);
    assert_ptr_equal(c.pos, bytes8);
}

static void test_copy(void **state)
{
    struct ww_cursor c;
    uint8_t *buf = exact_copy(bytes8, 8);
    uint8_t dst[8];

    (void)state;
    cursor_init(&c, buf, 8);
    memset(dst, 0xee, sizeof(dst));
    assert_int_equal(cursor_copy(&c, dst, 8), 0);
    assert_memory_equal(dst, bytes8, 8);
    assert_int_equal(cursor_left(&c), 0);

    /* Seven bytes wanted, six left: nothing copied, nothing moved. */
    cursor_init(&c, buf, 8);
    assert_int_equal(cursor_skip(&c, 2), 0);
    memset(dst, 0xee, sizeof(dst));
    assert_int_equal(cursor_copy(&c, dst, 7), -1);
    for (size_t i = 0; i < sizeof(dst); i++) {
        assert_int_equal(dst[i], 0xee);
    }
    assert_ptr_equal(c.pos, buf + 2);
    assert_int_equal(cursor_copy(&c, dst, 6), 0);
    assert_memory_equal(dst, bytes8 + 2, 6);
    assert_int_equal(cursor_copy(&c, dst, 0), 0);
    free(buf);
}

static void test_peek(void **state)
{
    struct ww_cursor c;
    uint8_t *buf = exact_copy(bytes8, 4);
    uint8_t v = 0x77;

    (void)state;
    cursor_init(&c, buf, 4);
    assert_int_equal(cursor_peek_u8(&c, 0, &v), 0);
    assert_int_equal(v, 0x01);
    assert_int_equal(cursor_peek_u8(&c, 3, &v), 0);
    assert_int_equal(v, 0x04);
    assert_ptr_equal(c.pos, buf);

    /* Offset equal to the bytes left is one past the end. */
    v = 0x77;
    assert_int_equal(cursor_peek_u8(&c, 4, &v), -1);
    assert_int_equal(cursor_peek_u8(&c, SIZE_MAX, &v), -1);
    assert_int_equal(v, 0x77);
    assert_ptr_equal(c.pos, buf);

    cursor_init(&c, buf, 0);
    assert_int_equal(cursor_peek_u8(&c, 0, &v), -1);
    free(buf);
}

static void test_limit(void **state)
{
    struct ww_cursor c;
    uint8_t v;
    uint16_t v16;

    (void)state;
    cursor_init(&c, bytes8, 8);
    assert_int_equal(cursor_skip(&c, 1), 0);
    assert_int_equal(cursor_limit(&c, 8), -1);
    assert_ptr_equal(c.end, bytes8 + 8);
    assert_ptr_equal(c.pos, bytes8 + 1);

    assert_int_equal(cursor_limit(&c, 7), 0);
    assert_ptr_equal(c.end, bytes8 + 8);
    assert_int_equal(cursor_limit(&c, 3), 0);
    assert_int_equal(cursor_left(&c), 3);
    assert_ptr_equal(c.end, bytes8 + 4);

    /* Reads stop at the new end although the buffer goes on. */
    assert_int_equal(cursor_u8(&c, &v), 0);
    assert_int_equal(v, 0x02);
    assert_int_equal(cursor_be16(&c, &v16), 0);
    assert_int_equal(v16, 0x0304);
    assert_int_equal(cursor_u8(&c, &v), -1);
    assert_int_equal(cursor_peek_u8(&c, 0, &v), -1);

    /* A limit can only shrink: growing it back fails. */
    assert_int_equal(cursor_limit(&c, 1), -1);
    assert_int_equal(cursor_limit(&c, 0), 0);
}

static void test_sequence_walk(void **state)
{
    /* A mixed walk over a small header, as the decoders do it. */
    static const uint8_t hdr[] = {0x45, 0x00, 0x00, 0x54, 0xde, 0xad, 0xbe, 0xef, 0x10, 0x20};
    struct ww_cursor c;
    uint8_t u8v;
    uint16_t be16v;
    uint32_t be32v;
    uint16_t le16v;

    (void)state;
    cursor_init(&c, hdr, sizeof(hdr));
    assert_int_equal(cursor_u8(&c, &u8v), 0);
    assert_int_equal(u8v, 0x45);
    assert_int_equal(cursor_skip(&c, 1), 0);
    assert_int_equal(cursor_be16(&c, &be16v), 0);
    assert_int_equal(be16v, 84);
    assert_int_equal(cursor_be32(&c, &be32v), 0);
    assert_int_equal(be32v, 0xdeadbeefu);
    assert_int_equal(cursor_le16(&c, &le16v), 0);
    assert_int_equal(le16v, 0x2010);
    assert_int_equal(cursor_left(&c), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_and_left), cmocka_unit_test(test_u8),
        cmocka_unit_test(test_be16_le16),     cmocka_unit_test(test_be32_le32),
        cmocka_unit_test(test_skip),          cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_copy),          cmocka_unit_test(test_peek),
        cmocka_unit_test(test_limit),         cmocka_unit_test(test_sequence_walk),
    };

    return cmocka_run_group_tests_name("test_cursor", tests, NULL, NULL);
}
