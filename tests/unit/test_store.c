/* SPDX-License-Identifier: MIT */
/* test_store: opening, migrating and refusing SQLite stores. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

static char db_path[64];

static int setup(void **state)
{
    int fd;

    (void)state;
    snprintf(db_path, sizeof(db_path), "/tmp/ww-test-store-XXXXXX");
    fd = mkstemp(db_path);
    if (fd < 0) {
        return -1;
    }
    close(fd);
    unlink(db_path); /* store_open creates it */
    return 0;
}

static int teardown(void **state)
{
    char side[80];

    (void)state;
    unlink(db_path);
    snprintf(side, sizeof(side), "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db_path);
    unlink(side);
    return 0;
}

static int count_tables(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    int n = -1;

    sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", -1,
                       &st, NULL);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

static void test_create_migrates_to_latest(void **state)
{
    struct ww_store *s;
    char err[STORE_ERROR_LEN] = "";
    sqlite3_stmt *st;

    (void)state;
    assert_int_equal(store_open(db_path, &s, err), 0);
    assert_int_equal(store_schema_version(s), store_schema_latest());
    assert_true(store_schema_latest() >= 1);
    assert_int_equal(count_tables(store_db(s), "keystroke_profiles"), 1);
    assert_int_equal(count_tables(store_db(s), "keystroke_sessions"), 1);

    /* WAL mode, as the design asks. */
    sqlite3_prepare_v2(store_db(s), "PRAGMA journal_mode", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    store_close(s);
}

static void test_reopen_keeps_data(void **state)
{
    struct ww_store *s;
    char err[STORE_ERROR_LEN] = "";
    sqlite3_stmt *st;

    (void)state;
    assert_int_equal(store_open(db_path, &s, err), 0);
    assert_int_equal(store_begin(s, err), 0);
    assert_int_equal(sqlite3_exec(store_db(s),
                                  "INSERT INTO keystroke_profiles VALUES('alice', '{}', 3, 'now')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(store_commit(s, err), 0);
    store_close(s);

    assert_int_equal(store_open(db_path, &s, err), 0);
    sqlite3_prepare_v2(store_db(s), "SELECT n_samples FROM keystroke_profiles WHERE user='alice'",
                       -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 3);
    sqlite3_finalize(st);
    store_close(s);
}

static void test_newer_schema_refused(void **state)
{
    struct ww_store *s;
    char err[STORE_ERROR_LEN] = "";
    sqlite3 *db;
    char sql[64];

    (void)state;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", store_schema_latest() + 1);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(store_open(db_path, &s, err), -1);
    assert_null(s);
    assert_non_null(strstr(err, "newer than this wardwatch knows"));
    assert_non_null(strstr(err, db_path));
}

static void test_not_a_database(void **state)
{
    struct ww_store *s;
    char err[STORE_ERROR_LEN] = "";
    FILE *fp = fopen(db_path, "w");

    (void)state;
    assert_non_null(fp);
    fputs("this is a text file, not SQLite, and long enough to have a header.....\n", fp);
    fclose(fp);
    assert_int_equal(store_open(db_path, &s, err), -1);
    assert_null(s);
    assert_non_null(strstr(err, db_path));
}

static void test_missing_directory(void **state)
{
    struct ww_store *s;
    char err[STORE_ERROR_LEN] = "";

    (void)state;
    assert_int_equal(store_open("/nonexistent-dir/ww.db", &s, err), -1);
    assert_non_null(strstr(err, "/nonexistent-dir/ww.db"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_migrates_to_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_directory, setup, teardown),
    };

    return cmocka_run_group_tests_name("test_store", tests, NULL, NULL);
}
