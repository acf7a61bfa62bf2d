/* SPDX-License-Identifier: MIT */
/* eve_tmp: a fresh temporary directory per test, holding the eve.json a test writes. */
#ifndef WW_TESTS_EVE_TMP_H
#define WW_TESTS_EVE_TMP_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define EVE_TMP_PATH_LEN 512

static char dir_path[EVE_TMP_PATH_LEN];
static char file_path[EVE_TMP_PATH_LEN + 16]; /* dir_path/eve.json */

/* cmocka setup: makes the directory under $TMPDIR or /tmp. */
static int make_dir(void **state)
{
    const char *tmp = getenv("TMPDIR");

    (void)state;
    snprintf(dir_path, sizeof(dir_path), "%s/ww_test.XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(dir_path) == NULL) {
        return -1;
    }
    snprintf(file_path, sizeof(file_path), "%s/eve.json", dir_path);
    return 0;
}

/* Writes text to dir_path/name; its path into path. Returns 0, or -1 when it cannot. */
static inline int tmp_file_write(const char *name, const char *text, char *path, size_t len)
{
    FILE *f;

    snprintf(path, len, "%s/%s", dir_path, name);
    f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    fputs(text, f);
    return fclose(f);
}

/* cmocka teardown: removes the file and the directory. */
static int remove_dir(void **state)
{
    (void)state;
    unlink(file_path);
    rmdir(dir_path);
    return 0;
}

#endif
