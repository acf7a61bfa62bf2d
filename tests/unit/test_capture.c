/* SPDX-License-Identifier: MIT */
/*
 * test_capture: the prefetching reader (bytes across block boundaries, the
 * end of a file, more files than reader threads) and the capture files
 * read through it: classic pcap in both byte orders and both time stamp
 * resolutions, truncated and oversized records, and pcapng through libpcap.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "capture/prefetch.h"

#define BIG_LEN (3 * PREFETCH_BLOCK_LEN + 12345) /* a few blocks and a ragged end */

static char *temp_path(const char *tag)
{
    static int serial;
    char *path = malloc(128);

    assert_non_null(path);
    snprintf(path, 128, "/tmp/ww-test-capture-%d-%d-%s", (int)getpid(), serial++, tag);
    return path;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Deterministic bytes whose every position differs from its neighbours'. */
static uint8_t *pattern(size_t len)
{
    uint8_t *b = malloc(len);
    uint32_t x = 2463534242u;

    assert_non_null(b);
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b[i] = (uint8_t)x;
    }
    return b;
}

/* Reads the rest of a file, from base on, in pieces of varied sizes, some larger than a block. */
static void read_back(struct prefetch *p, const uint8_t *want, size_t base, size_t len)
{
    static const size_t sizes[] = {1, 16, 1500, 7, 65536, 3, PREFETCH_BLOCK_LEN + 5, 999};
    size_t off = 0;

    for (int i = 0; off < len; i++) {
        size_t n = sizes[i % 8], got = 0;
        const uint8_t *out = NULL;
        int rc = prefetch_read(p, n, &out, &got);

        if (off + n <= len) {
            assert_int_equal(rc, 1);
            assert_int_equal(got, n);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(got, len - off);
        }
        assert_memory_equal(out, want + off, got);
        off += got;
        assert_int_equal(prefetch_position(p), base + off);
    }
}

static void test_prefetch_reads_everything(void **state)
{
    (void)state;
    char *path = temp_path("big");
    uint8_t *data = pattern(BIG_LEN);
    struct prefetch *p;
    const uint8_t *out;
    size_t got = 7;

    write_file(path, data, BIG_LEN);
    p = prefetch_open(path);
    assert_non_null(p);
    read_back(p, data, 0, BIG_LEN);
    assert_int_equal(prefetch_read(p, 1, &out, &got), 0);
    assert_int_equal(got, 0);
    prefetch_close(p);
    unlink(path);
    free(path);
    free(data);
}

/* More files open than threads: every one still reads right, and threads come back. */
static void test_prefetch_more_files_than_threads(void **state)
{
    (void)state;
    enum { FILES = PREFETCH_THREADS_MAX + 3 };
    char *paths[FILES];
    struct prefetch *p[FILES];
    uint8_t *data = pattern(BIG_LEN);
    const uint8_t *out;
    size_t got;

    for (int i = 0; i < FILES; i++) {
        paths[i] = temp_path("many");
        write_file(paths[i], data, BIG_LEN);
        p[i] = prefetch_open(paths[i]);
        assert_non_null(p[i]);
        assert_int_equal(prefetch_read(p[i], 10, &out, &got), 1);
        assert_memory_equal(out, data, 10);
    }
    assert_true(prefetch_threads_running() <= PREFETCH_THREADS_MAX);
    for (int i = 0; i < FILES; i++) {
        read_back(p[i], data + 10, 10, BIG_LEN - 10);
        assert_true(prefetch_threads_running() <= PREFETCH_THREADS_MAX);
    }
    for (int i = 0; i < FILES; i++) {
        prefetch_close(p[i]);
        unlink(paths[i]);
        free(paths[i]);
    }
    assert_int_equal(prefetch_threads_running(), 0);
    free(data);
}

static void test_prefetch_missing_file(void **state)
{
    (void)state;
    assert_null(prefetch_open("/nonexistent/ww-capture-test"));
}

/* ---- capture files ---- */

struct buf {
    uint8_t b[4096];
    size_t n;
};

static void put32(struct buf *w, uint32_t v, bool big)
{
    for (int i = 0; i < 4; i++) {
        w->b[w->n++] = (uint8_t)(big ? v >> (24 - 8 * i) : v >> (8 * i));
    }
}

static void put16(struct buf *w, uint16_t v, bool big)
{
    w->b[w->n++] = (uint8_t)(big ? v >> 8 : v);
    w->b[w->n++] = (uint8_t)(big ? v : v >> 8);
}

static void put_bytes(struct buf *w, const uint8_t *p, size_t n)
{
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static const uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06};

static void classic_header(struct buf *w, bool big, bool nsec)
{
    put32(w, nsec ? 0xa1b23c4du : 0xa1b2c3d4u, big);
    put16(w, 2, big);
    put16(w, 4, big);
    put32(w, 0, big);
    put32(w, 0, big);
    put32(w, 65535, big);
    put32(w, 1, big); /* Ethernet */
}

static void classic_record(struct buf *w, bool big, uint32_t sec, uint32_t frac,
                           uint32_t caplen, uint32_t len)
{
    put32(w, sec, big);
    put32(w, frac, big);
    put32(w, caplen, big);
    put32(w, len, big);
    put_bytes(w, frame, caplen <= sizeof(frame) ? caplen : sizeof(frame));
}

/* Opens one file; returns the set. */
static struct capture_set *open_one(const char *path)
{
    const char *paths[1] = {path};
    struct capture_set *cs = capture_open(paths, 1);

    assert_non_null(cs);
    return cs;
}

static void check_classic(bool big, bool nsec)
{
    struct buf w = {.n = 0};
    char *path = temp_path("classic");
    struct capture_set *cs;
    struct ww_packet p;

    classic_header(&w, big, nsec);
    classic_record(&w, big, 1700000000, nsec ? 123456789 : 123456, 60, 60);
    classic_record(&w, big, 1700000001, nsec ? 999 : 1, 42, 1514);
    write_file(path, w.b, w.n);
    cs = open_one(path);
    memset(&p, 0, sizeof(p));
    assert_int_equal(capture_next(cs, &p), 1);
    assert_int_equal(p.ts_us, 1700000000123456ull);
    assert_int_equal(p.caplen, 60);
    assert_int_equal(p.linktype, 1);
    assert_memory_equal(p.data, frame, 60);
    assert_int_equal(capture_next(cs, &p), 1);
    assert_int_equal(p.ts_us, 1700000001000000ull + (nsec ? 0 : 1));
    assert_int_equal(p.caplen, 42);
    assert_int_equal(p.wirelen, 1514);
    assert_int_equal(capture_next(cs, &p), 0);
    assert_false(capture_file(cs, 0)->failed);
    assert_int_equal(capture_file(cs, 0)->packets, 2);
    capture_close(cs);
    unlink(path);
    free(path);
}

static void test_classic_little_usec(void **state)
{
    (void)state;
    check_classic(false, false);
}

static void test_classic_big_nsec(void **state)
{
    (void)state;
    check_classic(true, true);
}

/* A file cut inside a record, or one with an impossible length, ends with a reason. */
static void check_bad_record(size_t cut, uint32_t caplen, const char *why)
{
    struct buf w = {.n = 0};
    char *path = temp_path("bad");
    struct capture_set *cs;
    struct ww_packet p;

    classic_header(&w, false, false);
    classic_record(&w, false, 1, 0, 60, 60);
    classic_record(&w, false, 2, 0, caplen, 60);
    write_file(path, w.b, w.n - cut);
    cs = open_one(path);
    assert_int_equal(capture_next(cs, &p), 1);
    assert_int_equal(capture_next(cs, &p), 0);
    assert_true(capture_file(cs, 0)->failed);
    assert_non_null(strstr(capture_file(cs, 0)->error, why));
    assert_int_equal(capture_file(cs, 0)->packets, 1);
    capture_close(cs);
    unlink(path);
    free(path);
}

static void test_classic_truncated(void **state)
{
    (void)state;
    check_bad_record(10, 60, "truncated dump file; tried to read 60 captured bytes, only got 50");
    check_bad_record(66, 60, "truncated dump file; tried to read 16 header bytes, only got 10");
}

static void test_classic_oversized(void **state)
{
    (void)state;
    check_bad_record(0, 300000, "invalid packet capture length 300000");
}

/* pcapng (section header, interface, one enhanced packet block) goes through libpcap. */
static void test_pcapng_through_libpcap(void **state)
{
    (void)state;
    struct buf w = {.n = 0};
    char *path = temp_path("ng");
    struct capture_set *cs;
    struct ww_packet p;
    uint64_t ts = 1700000000123456ull;

    put32(&w, 0x0a0d0d0au, false); /* section header block */
    put32(&w, 28, false);
    put32(&w, 0x1a2b3c4du, false);
    put16(&w, 1, false);
    put16(&w, 0, false);
    put32(&w, 0xffffffffu, false);
    put32(&w, 0xffffffffu, false);
    put32(&w, 28, false);
    put32(&w, 1, false); /* interface description block */
    put32(&w, 20, false);
    put16(&w, 1, false);
    put16(&w, 0, false);
    put32(&w, 65535, false);
    put32(&w, 20, false);
    put32(&w, 6, false); /* enhanced packet block */
    put32(&w, 32 + 60, false);
    put32(&w, 0, false);
    put32(&w, (uint32_t)(ts >> 32), false);
    put32(&w, (uint32_t)ts, false);
    put32(&w, 60, false);
    put32(&w, 60, false);
    put_bytes(&w, frame, 60);
    put32(&w, 32 + 60, false);
    write_file(path, w.b, w.n);
    cs = open_one(path);
    assert_int_equal(capture_next(cs, &p), 1);
    assert_int_equal(p.ts_us, ts);
    assert_int_equal(p.caplen, 60);
    assert_memory_equal(p.data, frame, 60);
    assert_int_equal(capture_next(cs, &p), 0);
    assert_false(capture_file(cs, 0)->failed);
    capture_close(cs);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefetch_reads_everything),
        cmocka_unit_test(test_prefetch_more_files_than_threads),
        cmocka_unit_test(test_prefetch_missing_file),
        cmocka_unit_test(test_classic_little_usec),
        cmocka_unit_test(test_classic_big_nsec),
        cmocka_unit_test(test_classic_truncated),
        cmocka_unit_test(test_classic_oversized),
        cmocka_unit_test(test_pcapng_through_libpcap),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
