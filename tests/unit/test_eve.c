/* SPDX-License-Identifier: MIT */
/* test_eve: the EVE JSON-lines writer: buffering, flushing, oversize events, open errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "eve_tmp.h"
#include <jansson.h>

#include "output/eve.h"

#define TS0 1700000000123456ull


/* Reads the whole file into a NUL-terminated heap buffer. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    data = malloc((size_t)n + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    data[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return data;
}

static off_t file_size(const char *path)
{
    struct stat sb;

    assert_int_equal(stat(path, &sb), 0);
    return sb.st_size;
}

/*
 * Checks every line: JSON, an object with a string timestamp and event_type.
 * Returns the number of lines; each line's "n" member, when present, must
 * equal its position among the lines that have one.
 */
static size_t check_lines(const char *data, size_t len, const char *event_type)
{
    size_t lines = 0, numbered = 0;
    const char *p = data, *end = data + len;

    assert_true(len == 0 || data[len - 1] == '\n');
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        json_error_t err;
        json_t *v, *n;

        assert_non_null(nl);
        v = json_loadb(p, (size_t)(nl - p), JSON_ALLOW_NUL, &err);
        if (v == NULL) {
            print_error("line %zu is not JSON: %s\n", lines + 1, err.text);
            fail();
        }
        assert_true(json_is_object(v));
        assert_true(json_is_string(json_object_get(v, "timestamp")));
        assert_int_equal(strlen(json_string_value(json_object_get(v, "timestamp"))), 31);
        assert_true(json_is_string(json_object_get(v, "event_type")));
        if (event_type != NULL) {
            assert_string_equal(json_string_value(json_object_get(v, "event_type")), event_type);
        }
        n = json_object_get(v, "n");
        if (n != NULL) {
            assert_int_equal(json_integer_value(n), numbered);
            numbered++;
        }
        json_decref(v);
        lines++;
        p = nl + 1;
    }
    return lines;
}

static void test_many_events(void **state)
{
    enum { N = 6000 };
    struct eve_writer *w;
    char filler[480];
    char *data;
    size_t len, committed = 0;
    uint64_t bytes;
    bool flushed_early = false;

    (void)state;
    memset(filler, 'x', sizeof(filler) - 1);
    filler[sizeof(filler) - 1] = '\0';
    w = eve_open(file_path);
    assert_non_null(w);
    for (uint32_t i = 0; i < N; i++) {
        uint64_t before = eve_writer_stats(w)->bytes;
        struct jbuf *jb = eve_begin(w, TS0 + i, "flow");

        assert_non_null(jb);
        jb_u64(jb, "n", i);
        jb_str(jb, "filler", filler);
        jb_object_open(jb, "nested");
        jb_strn(jb, "raw", (const uint8_t *)"\x00\"\\\xff\n", 5);
        jb_object_close(jb);
        eve_commit(w);
        committed++;
        if (!flushed_early && file_size(file_path) > 0) {
            /*
             * A buffer went to the writer thread only when less than one
             * largest event's room was left in it; what reached the file so
             * far (the thread may still be writing) was committed before.
             */
            flushed_early = true;
            assert_true((uint64_t)file_size(file_path) <= before);
            assert_true(before + EVE_EVENT_MAX >= EVE_BUFFER_LEN);
        }
    }
    /* More than one buffer's worth was written: some reached the file already. */
    assert_true(flushed_early);
    assert_int_equal(eve_writer_stats(w)->events, N);
    assert_int_equal(eve_writer_stats(w)->dropped_oversize, 0);
    assert_int_equal(eve_writer_stats(w)->write_errors, 0);
    bytes = eve_writer_stats(w)->bytes;
    assert_true(bytes > EVE_BUFFER_LEN);
    assert_int_equal(eve_close(w), 0);

    data = slurp(file_path, &len);
    assert_int_equal(len, bytes);
    assert_int_equal(check_lines(data, len, "flow"), N);
    assert_int_equal(committed, N);
    free(data);
}

static void test_timestamp_and_members(void **state)
{
    struct eve_writer *w = eve_open(file_path);
    struct jbuf *jb;
    char *data;
    size_t len;
    json_t *v;
    json_error_t err;

    (void)state;
    assert_non_null(w);
    jb = eve_begin(w, TS0, "alert");
    jb_str(jb, "src_ip", "10.0.0.1");
    eve_commit(w);
    assert_int_equal(eve_flush(w), 0);

    /* A flush puts the line in the file while the writer stays open. */
    data = slurp(file_path, &len);
    assert_int_equal(check_lines(data, len, "alert"), 1);
    v = json_loadb(data, len, JSON_DISABLE_EOF_CHECK, &err);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "timestamp")),
                        "2023-11-14T22:13:20.123456+0000");
    assert_string_equal(json_string_value(json_object_get(v, "src_ip")), "10.0.0.1");
    /* The first two members are timestamp and event_type, in that order. */
    assert_int_equal(strncmp(data, "{\"timestamp\":", 13), 0);
    assert_non_null(strstr(data, "+0000\",\"event_type\":\"alert\""));
    json_decref(v);
    free(data);
    assert_int_equal(eve_close(w), 0);
}

/* Bytes of a line {"timestamp":"<31>","event_type":"x","s":"<n>"} without its newline. */
static size_t line_len_for(size_t n)
{
    return strlen("{\"timestamp\":\"") + JB_TIME_LEN + strlen("\",\"event_type\":\"x\",\"s\":\"") +
           n + strlen("\"}");
}

static void test_oversize_dropped(void **state)
{
    struct eve_writer *w;
    char *big = malloc(EVE_EVENT_MAX + 16);
    size_t fit = EVE_EVENT_MAX - 1 - line_len_for(0); /* line of EVE_EVENT_MAX - 1 bytes */
    char *data;
    size_t len;
    struct jbuf *jb;

    (void)state;
    assert_non_null(big);
    memset(big, 'A', EVE_EVENT_MAX + 16);
    w = eve_open(file_path);
    assert_non_null(w);

    jb = eve_begin(w, TS0, "x");
    jb_u64(jb, "n", 0);
    eve_commit(w);

    /* Far too long: dropped and counted. */
    jb = eve_begin(w, TS0, "x");
    jb_strn(jb, "s", (const uint8_t *)big, EVE_EVENT_MAX + 1);
    eve_commit(w);
    assert_int_equal(eve_writer_stats(w)->dropped_oversize, 1);
    assert_int_equal(eve_writer_stats(w)->events, 1);

    /* Escapes count too: 20000 control bytes become 120000 JSON bytes. */
    jb = eve_begin(w, TS0, "x");
    memset(big, 0x01, 20000);
    jb_strn(jb, "s", (const uint8_t *)big, 20000);
    eve_commit(w);
    assert_int_equal(eve_writer_stats(w)->dropped_oversize, 2);

    /* Just under the limit: kept whole. */
    memset(big, 'B', EVE_EVENT_MAX);
    jb = eve_begin(w, TS0, "x");
    jb_strn(jb, "s", (const uint8_t *)big, fit);
    eve_commit(w);
    assert_int_equal(eve_writer_stats(w)->events, 2);

    jb = eve_begin(w, TS0, "x");
    jb_u64(jb, "n", 1);
    eve_commit(w);
    assert_int_equal(eve_writer_stats(w)->events, 3);
    assert_int_equal(eve_writer_stats(w)->dropped_oversize, 2);
    assert_int_equal(eve_close(w), 0);

    data = slurp(file_path, &len);
    assert_int_equal(check_lines(data, len, "x"), 3);
    /* Line 2 is the big one, EVE_EVENT_MAX - 1 bytes and its newline. */
    {
        const char *l2 = strchr(data, '\n') + 1;
        const char *l3 = strchr(l2, '\n');

        assert_int_equal((size_t)(l3 - l2), EVE_EVENT_MAX - 1);
        assert_int_equal((size_t)(l3 - l2), line_len_for(fit));
    }
    assert_null(strstr(data, "AAAA"));
    free(data);
    free(big);
}

/* Oversize events between many normal ones never leave half a line. */
static void test_oversize_among_many(void **state)
{
    struct eve_writer *w = eve_open(file_path);
    char *big = malloc(EVE_EVENT_MAX);
    uint32_t kept = 0;
    char *data;
    size_t len;

    (void)state;
    assert_non_null(w);
    assert_non_null(big);
    memset(big, 'Z', EVE_EVENT_MAX);
    for (uint32_t i = 0; i < 200; i++) {
        struct jbuf *jb = eve_begin(w, TS0 + i, "x");

        if (i % 3 == 1) {
            jb_strn(jb, "s", (const uint8_t *)big, EVE_EVENT_MAX);
        } else {
            jb_u64(jb, "n", kept++);
            jb_strn(jb, "s", (const uint8_t *)big, 30000);
        }
        eve_commit(w);
    }
    assert_int_equal(eve_writer_stats(w)->events, kept);
    assert_int_equal(eve_writer_stats(w)->dropped_oversize, 200 - kept);
    assert_int_equal(eve_close(w), 0);
    data = slurp(file_path, &len);
    assert_int_equal(check_lines(data, len, "x"), kept);
    free(data);
    free(big);
}

static void test_empty_and_truncate(void **state)
{
    struct eve_writer *w;
    FILE *f;
    size_t len;
    char *data;

    (void)state;
    /* An existing file is truncated. */
    f = fopen(file_path, "w");
    assert_non_null(f);
    fputs("old contents\n", f);
    fclose(f);
    w = eve_open(file_path);
    assert_non_null(w);
    assert_int_equal(eve_close(w), 0);
    data = slurp(file_path, &len);
    assert_int_equal(len, 0);
    free(data);
    assert_int_equal(eve_close(NULL), 0);
}

static void test_open_missing_dir(void **state)
{
    char path[EVE_TMP_PATH_LEN + 32];

    (void)state;
    snprintf(path, sizeof(path), "%s/no/such/dir/eve.json", dir_path);
    errno = 0;
    assert_null(eve_open(path));
    assert_int_equal(errno, ENOENT);

    /* A directory is not a file to write. */
    errno = 0;
    assert_null(eve_open(dir_path));
    assert_int_equal(errno, EISDIR);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, make_dir, remove_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_many_events),         T(test_timestamp_and_members), T(test_oversize_dropped),
        T(test_oversize_among_many), T(test_empty_and_truncate),    T(test_open_missing_dir),
    };

    return cmocka_run_group_tests_name("test_eve", tests, NULL, NULL);
}
