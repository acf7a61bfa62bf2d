/* SPDX-License-Identifier: MIT */
/* keystroke: typing-rhythm features, one-class detectors, equal-error rate, timing CSVs. */
#ifndef WW_AUTH_KEYSTROKE_H
#define WW_AUTH_KEYSTROKE_H

#include <stddef.h>
#include <stdio.h>

/*
 * Units: every timing handed to this module is in seconds (hold H, down-down DD,
 * up-down UD). A sample is a vector of d such timings; a training set is n samples
 * stored row-major as n x d doubles. Scores are unitless and higher means more
 * anomalous (less like the enrolled user). Functions return 0 or a negative errno.
 */

#define KEYSTROKE_FEATURES_MAX 512 /* timing columns per sample */
#define KEYSTROKE_TRAIN_MAX 100000 /* samples in one training set */
#define KEYSTROKE_NAME_LEN 64      /* bytes of a feature or subject name, with NUL */
#define KEYSTROKE_ERROR_LEN 320    /* bytes of a loader error message */
#define KEYSTROKE_EXPLAIN_MAX 16   /* reasons one explain call may give */
#define KEYSTROKE_EXPLAIN_TOP 3    /* reasons reports show */

#define KEYSTROKE_LOG_FLOOR_S 1e-3    /* log space uses ln(max(t, this)) */
#define KEYSTROKE_SCALE_FLOOR 1e-6    /* smallest spread a feature may have */
#define KEYSTROKE_WINSOR_K 4.0        /* winsorize at median +- K robust sd */
#define KEYSTROKE_MAD_TO_SD 1.4826    /* MAD of a normal to its sd */
#define KEYSTROKE_MEANAD_TO_SD 1.2533 /* mean absolute deviation of a normal to its sd */
#define KEYSTROKE_Z_OUTLIER 1.96      /* outlier count: |z| above this is an outlier */
#define KEYSTROKE_Z_OUTLIER_LOOSE 1.5
#define KEYSTROKE_MAHAL_RIDGE 1e-3 /* ridge = this * trace(S) / d */
#define KEYSTROKE_WW_TRAIN_MIN 3   /* wardwatch's detector: leave-one-out needs n-1 >= 2 */

/* One feature that made a score high: observed and expected in seconds. */
struct keystroke_reason {
    size_t feature;  /* column index */
    double observed; /* the sample's timing, seconds */
    double expected; /* the profile's centre, seconds (geometric mean in log space) */
    double z;        /* signed deviation in the detector's own scale */
};

struct keystroke_detector;

/*
 * A detector's vtable. train() fills det->priv from n x d timings (seconds) that
 * belong to one user only; score() writes one sample's anomaly score; explain() may
 * be NULL, else it writes up to n_out reasons, largest |z| first, and returns how
 * many. release() frees det->priv. config points at the implementation's settings.
 */
struct keystroke_detector_ops {
    const char *name;    /* short name for reports, e.g. "scaled-manhattan" */
    const char *summary; /* one line for help and JSON */
    const void *config;
    int (*train)(struct keystroke_detector *det, const double *x, size_t n, size_t d);
    int (*score)(const struct keystroke_detector *det, const double *v, double *out);
    int (*explain)(const struct keystroke_detector *det, const double *v,
                   struct keystroke_reason *out, size_t n_out);
    void (*release)(struct keystroke_detector *det);
};

/* A trained detector. Zero it before the first keystroke_detector_train(). */
struct keystroke_detector {
    const struct keystroke_detector_ops *ops;
    size_t d;   /* features per sample */
    void *priv; /* owned by the implementation */
};

/* The built-in detectors: reference detectors of the literature and wardwatch's own. */
extern const struct keystroke_detector_ops keystroke_manhattan;
extern const struct keystroke_detector_ops keystroke_scaled_manhattan;
extern const struct keystroke_detector_ops keystroke_outlier_count;
extern const struct keystroke_detector_ops keystroke_mahalanobis_nn;
extern const struct keystroke_detector_ops keystroke_scaled_manhattan_log;
extern const struct keystroke_detector_ops keystroke_outlier_count_log;
extern const struct keystroke_detector_ops keystroke_wardwatch;

/* Every built-in detector, wardwatch's last; *n_out gets the count. */
const struct keystroke_detector_ops *const *keystroke_detectors(size_t *n_out);

/*
 * Trains det (zeroed or released) with ops on n x d timings in seconds. The data is
 * copied as needed; the caller keeps x. Returns 0, -EINVAL (n or d out of range, a
 * value not finite) or -ENOMEM. On failure det holds nothing to release.
 */
int keystroke_detector_train(struct keystroke_detector *det,
                             const struct keystroke_detector_ops *ops, const double *x, size_t n,
                             size_t d);
/* Scores one sample of det->d timings (seconds). Returns 0 or -EINVAL if untrained. */
int keystroke_detector_score(const struct keystroke_detector *det, const double *v, double *out);
/* Why v scores as it does: up to n_out reasons. Returns their count or -ENOTSUP. */
int keystroke_detector_explain(const struct keystroke_detector *det, const double *v,
                               struct keystroke_reason *out, size_t n_out);
/* Frees what training allocated; det may then be trained again. */
void keystroke_detector_release(struct keystroke_detector *det);

/* ln(max(t, KEYSTROKE_LOG_FLOOR_S)) of a timing in seconds. */
double keystroke_log_time(double seconds);

/*
 * Winsorizes each of the d columns of x (n x d, any units) in place at median +-
 * KEYSTROKE_WINSOR_K * 1.4826 * MAD; when the MAD is 0 the mean absolute deviation
 * from the median times 1.2533 stands in. Returns 0, -EINVAL or -ENOMEM.
 */
int keystroke_winsorize(double *x, size_t n, size_t d);

/*
 * Leave-one-out scores of ops on x (n x d): for each i, trains on the other n-1 rows
 * and scores row i. Writes the mean and population sd of the n scores (the sd is at
 * least KEYSTROKE_SCALE_FLOOR). Returns 0, -EINVAL (n < 3) or -ENOMEM.
 */
int keystroke_loo_stats(const struct keystroke_detector_ops *ops, const double *x, size_t n,
                        size_t d, double *mean, double *sd);

/*
 * Equal-error rate of one user's scores (higher = more anomalous). A sample is
 * rejected when its score >= t; t runs over every distinct score and +infinity.
 * At the t where |FRR - FAR| is smallest (the higher t on a tie) *eer gets
 * (FRR + FAR) / 2. Returns 0, -EINVAL (an empty list) or -ENOMEM.
 */
int keystroke_eer(const double *genuine, size_t n_genuine, const double *impostor,
                  size_t n_impostor, double *eer);

/*
 * A timing table in the CMU keystroke benchmark's layout: header
 * "subject,sessionIndex,rep," then timing columns named H.*, DD.*, UD.* (seconds).
 * Rows are grouped by subject (in order of first appearance) and ordered by
 * (sessionIndex, rep, line) within a subject.
 */
struct keystroke_dataset {
    size_t n_features;
    char (*names)[KEYSTROKE_NAME_LEN]; /* n_features timing column names */
    size_t n_rows;
    double *x; /* n_rows x n_features, seconds */
    size_t n_subjects;
    char (*subjects)[KEYSTROKE_NAME_LEN];
    size_t *subject_first;           /* first row of each subject */
    size_t *subject_rows;            /* rows of each subject */
    size_t n_bad;                    /* rows skipped */
    size_t n_ignored;                /* non-timing columns ignored */
    char error[KEYSTROKE_ERROR_LEN]; /* why loading failed */
};

#define KEYSTROKE_LINE_MAX 65536   /* bytes of one CSV line */
#define KEYSTROKE_ROWS_MAX 1000000 /* rows of one file */
#define KEYSTROKE_BAD_SHOWN 50     /* bad rows named one by one on diag */

/*
 * Loads path into ds (zeroed). Each bad row (wrong column count, a field that is not
 * a finite number) is skipped and named on diag (may be NULL) as "FILE:LINE: why".
 * Returns 0; -errno when the file cannot be read, -EINVAL for a bad header, -ENODATA
 * when no row is usable, -ENOMEM; ds->error then says why in one line. The caller
 * frees ds with keystroke_dataset_free() in every case.
 */
int keystroke_dataset_load(const char *path, struct keystroke_dataset *ds, FILE *diag);
void keystroke_dataset_free(struct keystroke_dataset *ds);

#endif
