/* SPDX-License-Identifier: MIT */
/*
 * fuzz_keystroke_csv: libFuzzer target for the timing-table reader of
 * `keystroke eval`. The input is written to a file (the reader takes a
 * path), loaded, and, when rows come out, every detector is trained on the
 * first subject's rows and scores them, so hostile numbers reach the maths.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "auth/keystroke.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void train_all(const struct keystroke_dataset *ds)
{
    size_t n_ops;
    const struct keystroke_detector_ops *const *ops = keystroke_detectors(&n_ops);
    size_t n = ds->n_rows < 8 ? ds->n_rows : 8;

    for (size_t k = 0; k < n_ops && n >= 2; k++) {
        struct keystroke_detector det = {0};
        double score;

        if (keystroke_detector_train(&det, ops[k], ds->x, n, ds->n_features) < 0) {
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            keystroke_detector_score(&det, ds->x + i * ds->n_features, &score);
        }
        keystroke_detector_release(&det);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    struct keystroke_dataset ds = {0};
    FILE *fp;

    if (path[0] == '\0') {
        snprintf(path, sizeof(path), "/tmp/ww-fuzz-ks-%ld.csv", (long)getpid());
    }
    fp = fopen(path, "wb");
    if (fp == NULL) {
        return 0;
    }
    fwrite(data, 1, size, fp);
    fclose(fp);
    if (keystroke_dataset_load(path, &ds, NULL) == 0) {
        train_all(&ds);
    }
    keystroke_dataset_free(&ds);
    return 0;
}
