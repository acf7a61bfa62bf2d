/* SPDX-License-Identifier: MIT */
/* test_keystroke: each detector, EER, winsorizing and the timing CSV against hand values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth/keystroke.h"

/* Every expected value below was worked out by hand (and checked with a calculator)
 * to at least 7 significant digits; comparisons allow TOL absolute. */
#define TOL 1e-6

#define assert_near(a, b) assert_near_at((a), (b), __FILE__, __LINE__)

static void assert_near_at(double got, double want, const char *file, int line)
{
    if (!(fabs(got - want) <= TOL)) {
        print_error("%s:%d: got %.9g, want %.9g (tolerance %g)\n", file, line, got, want, TOL);
        fail();
    }
}

/*
 * Three training samples of two features (seconds):
 *   x = (1, 2), (2, 4), (3, 9)
 * Feature 0: mean 2, deviations -1 0 1: mean absolute deviation 2/3,
 *   population sd sqrt(2/3) = 0.8164966.
 * Feature 1: mean 5, deviations -3 -1 4: mean absolute deviation 8/3,
 *   population sd sqrt(26/3) = 2.9439203.
 */
static const double TRAIN3[] = {1, 2, 2, 4, 3, 9};

static double train_score(const struct keystroke_detector_ops *ops, const double *x, size_t n,
                          size_t d, const double *v)
{
    struct keystroke_detector det = {0};
    double s = NAN;

    assert_int_equal(keystroke_detector_train(&det, ops, x, n, d), 0);
    assert_int_equal(keystroke_detector_score(&det, v, &s), 0);
    keystroke_detector_release(&det);
    return s;
}

/* Manhattan: sum |v - mean|. (4,5): 2 + 0 = 2. (2.5,11): 0.5 + 6 = 6.5. */
static void test_manhattan(void **state)
{
    static const double a[] = {4, 5};
    static const double b[] = {2.5, 11};

    (void)state;
    assert_near(train_score(&keystroke_manhattan, TRAIN3, 3, 2, a), 2.0);
    assert_near(train_score(&keystroke_manhattan, TRAIN3, 3, 2, b), 6.5);
}

/*
 * Scaled Manhattan: sum |v - mean| / mean absolute deviation.
 * (4,5): 2 / (2/3) + 0 = 3. (2.5,11): 0.5 / (2/3) + 6 / (8/3) = 0.75 + 2.25 = 3.
 */
static void test_scaled_manhattan(void **state)
{
    static const double a[] = {4, 5};
    static const double b[] = {2.5, 11};
    struct keystroke_detector det = {0};
    struct keystroke_reason r[KEYSTROKE_EXPLAIN_MAX];

    (void)state;
    assert_near(train_score(&keystroke_scaled_manhattan, TRAIN3, 3, 2, a), 3.0);
    assert_near(train_score(&keystroke_scaled_manhattan, TRAIN3, 3, 2, b), 3.0);

    /* Explain (4,5): feature 0 is 3 deviations out, feature 1 is 0. */
    assert_int_equal(keystroke_detector_train(&det, &keystroke_scaled_manhattan, TRAIN3, 3, 2), 0);
    assert_int_equal(keystroke_detector_explain(&det, a, r, 3), 2);
    assert_int_equal(r[0].feature, 0);
    assert_near(r[0].observed, 4.0);
    assert_near(r[0].expected, 2.0);
    assert_near(r[0].z, 3.0);
    assert_int_equal(r[1].feature, 1);
    assert_near(r[1].z, 0.0);
    assert_int_equal(keystroke_detector_explain(&det, a, r, 1), 1);
    assert_int_equal(r[0].feature, 0);
    keystroke_detector_release(&det);
}

/*
 * Outlier count, |z| > 1.96 with the population sd:
 * (4,5): z0 = 2 / 0.8164966 = 2.449 (counts), z1 = 0: 1.
 * (2.5,11): z0 = 0.5 / 0.8164966 = 0.612, z1 = 6 / 2.9439203 = 2.038 (counts): 1.
 * (2,5.5): z0 = 0, z1 = 0.17: 0. (5,0): z0 = 3.67, z1 = 1.70: 1.
 */
static void test_outlier_count(void **state)
{
    static const double a[] = {4, 5};
    static const double b[] = {2.5, 11};
    static const double c[] = {2, 5.5};
    static const double e[] = {5, 0};

    (void)state;
    assert_near(train_score(&keystroke_outlier_count, TRAIN3, 3, 2, a), 1.0);
    assert_near(train_score(&keystroke_outlier_count, TRAIN3, 3, 2, b), 1.0);
    assert_near(train_score(&keystroke_outlier_count, TRAIN3, 3, 2, c), 0.0);
    assert_near(train_score(&keystroke_outlier_count, TRAIN3, 3, 2, e), 1.0);
}

/*
 * Mahalanobis nearest neighbour. Sample covariance (n - 1 = 2):
 *   S00 = (1 + 0 + 1) / 2 = 1, S11 = (9 + 1 + 16) / 2 = 13, S01 = (3 + 0 + 4) / 2 = 3.5.
 * Ridge 1e-3 * trace / d = 1e-3 * 14 / 2 = 0.007: S' = [[1.007, 3.5], [3.5, 13.007]],
 * det S' = 1.007 * 13.007 - 12.25 = 0.848049, and for a difference (a, b)
 *   D^2 = (13.007 a^2 - 7 a b + 1.007 b^2) / 0.848049.
 * (4,5) minus each training row: (3,3) -> 8.6276727, (2,1) -> 6.7844808,
 * (1,-4) -> 8.2069129; the nearest gives 6.7844808. A training row scores 0.
 */
static void test_mahalanobis_nn(void **state)
{
    static const double a[] = {4, 5};
    struct keystroke_detector det = {0};
    struct keystroke_reason r[1];

    (void)state;
    assert_near(train_score(&keystroke_mahalanobis_nn, TRAIN3, 3, 2, a), 6.7844808);
    assert_near(train_score(&keystroke_mahalanobis_nn, TRAIN3, 3, 2, TRAIN3 + 2), 0.0);
    assert_int_equal(keystroke_detector_train(&det, &keystroke_mahalanobis_nn, TRAIN3, 1, 2),
                     -EINVAL);
    assert_int_equal(keystroke_detector_train(&det, &keystroke_mahalanobis_nn, TRAIN3, 3, 2), 0);
    assert_int_equal(keystroke_detector_explain(&det, a, r, 1), -ENOTSUP);
    keystroke_detector_release(&det);
}

/* ln(max(t, 1 ms)): ln 0.1 = -2.3025851, ln 0.001 = -6.9077553 for 0 and negatives. */
static void test_log_time(void **state)
{
    (void)state;
    assert_near(keystroke_log_time(0.1), -2.302585093);
    assert_near(keystroke_log_time(1.0), 0.0);
    assert_near(keystroke_log_time(0.0), -6.907755279);
    assert_near(keystroke_log_time(-0.05), -6.907755279);
}

/*
 * Column 0: 1 2 3 4 100: median 3, |dev| 2 1 0 1 97, MAD 1, bounds 3 +- 4 * 1.4826:
 *   100 becomes 8.9304, the rest stay.
 * Column 1: 5 5 5 5 5: MAD 0 and mean deviation 0: unchanged.
 * Even count 1 2 3 10: median 2.5, |dev| 1.5 0.5 0.5 7.5, MAD (0.5 + 1.5) / 2 = 1:
 *   10 becomes 2.5 + 5.9304 = 8.4304.
 * MAD 0: 5 5 5 5 5 5 40: mean |dev| 35 / 7 = 5, sd 1.2533 * 5 = 6.2665:
 *   40 becomes 5 + 25.066 = 30.066.
 */
static void test_winsorize(void **state)
{
    double x[] = {1, 5, 2, 5, 3, 5, 4, 5, 100, 5};
    double y[] = {1, 2, 3, 10};
    double z[] = {5, 5, 5, 5, 5, 5, 40};
    double low[] = {-100, 1, 2, 3, 4};

    (void)state;
    assert_int_equal(keystroke_winsorize(x, 5, 2), 0);
    assert_near(x[0], 1.0);
    assert_near(x[6], 4.0);
    assert_near(x[8], 8.9304);
    for (int i = 0; i < 5; i++) {
        assert_near(x[2 * i + 1], 5.0);
    }
    assert_int_equal(keystroke_winsorize(y, 4, 1), 0);
    assert_near(y[3], 8.4304);
    assert_near(y[0], 1.0);
    assert_int_equal(keystroke_winsorize(z, 7, 1), 0);
    assert_near(z[6], 30.066);
    assert_near(z[0], 5.0);

    /* Low side: median 2, MAD 1: -100 becomes 2 - 5.9304 = -3.9304. */
    assert_int_equal(keystroke_winsorize(low, 5, 1), 0);
    assert_near(low[0], -3.9304);
    assert_int_equal(keystroke_winsorize(low, 0, 1), -EINVAL);
}

/*
 * Leave-one-out scaled Manhattan on one feature, rows 1 2 4:
 *   without 1: mean 3, MAD 1: |1 - 3| / 1 = 2
 *   without 2: mean 2.5, MAD 1.5: |2 - 2.5| / 1.5 = 1/3
 *   without 4: mean 1.5, MAD 0.5: |4 - 1.5| / 0.5 = 5
 * mean 22/9 = 2.4444444, population sd sqrt(((2-m)^2 + (1/3-m)^2 + (5-m)^2) / 3)
 * = 1.9309052.
 */
static void test_loo_stats(void **state)
{
    static const double x[] = {1, 2, 4};
    double mean = 0.0;
    double sd = 0.0;

    (void)state;
    assert_int_equal(keystroke_loo_stats(&keystroke_scaled_manhattan, x, 3, 1, &mean, &sd), 0);
    assert_near(mean, 22.0 / 9.0);
    assert_near(sd, 1.9309052);
    assert_int_equal(keystroke_loo_stats(&keystroke_scaled_manhattan, x, 2, 1, &mean, &sd),
                     -EINVAL);
}

/*
 * wardwatch on one feature, timings e^0, e^1, e^3 s (logs 0, 1, 3; no clipping: median
 * 1, MAD 1). Profile: mean 4/3, mean |dev| 10/9 = 1.1111111, sd sqrt(14/9) = 1.2472191.
 * Leave-one-out: scaled Manhattan 2, 1/3, 5 (mean 2.4444444, sd 1.9309052); both outlier
 * counts 1, 0, 1 (z 2, 1/3, 5; mean 2/3, sd sqrt(2/9) = 0.4714045).
 * v = e^2: |2 - 4/3| = 2/3, SM 0.6, z 0.5345 (no outlier):
 *   (0.6 - 2.4444444) / 1.9309052 + 2 * (0 - 2/3) / 0.4714045 = -3.7836498.
 * v = e^5: |5 - 4/3| = 11/3, SM 3.3, z 2.9398737 (both count):
 *   (3.3 - 2.4444444) / 1.9309052 + 2 * (1/3) / 0.4714045 = 1.8572988.
 */
static void test_wardwatch(void **state)
{
    const double x[] = {exp(0.0), exp(1.0), exp(3.0)};
    const double v2[] = {exp(2.0)};
    const double v5[] = {exp(5.0)};
    struct keystroke_detector det = {0};
    struct keystroke_reason r[KEYSTROKE_EXPLAIN_TOP];

    (void)state;
    assert_near(train_score(&keystroke_wardwatch, x, 3, 1, v2), -3.7836498);
    assert_near(train_score(&keystroke_wardwatch, x, 3, 1, v5), 1.8572988);

    /* Explain e^5: observed 148.41316 s, expected e^(4/3) = 3.7936679 s, z 2.9398737. */
    assert_int_equal(keystroke_detector_train(&det, &keystroke_wardwatch, x, 3, 1), 0);
    assert_int_equal(keystroke_detector_explain(&det, v5, r, KEYSTROKE_EXPLAIN_TOP), 1);
    assert_int_equal(r[0].feature, 0);
    assert_near(r[0].observed, 148.4131591);
    assert_near(r[0].expected, 3.7936679);
    assert_near(r[0].z, 2.9398737);
    keystroke_detector_release(&det);
    assert_int_equal(keystroke_detector_train(&det, &keystroke_wardwatch, x, 2, 1), -EINVAL);
}

/*
 * A corrupted enrolment sample is clipped before the profile is made: logs
 * 0 1 2 3 100 have median 2, MAD 1, so 100 becomes 2 + 5.9304 and the mean is
 * (0 + 1 + 2 + 3 + 7.9304) / 5 = 2.78608 (it would be 21.2 unclipped).
 */
static void test_wardwatch_winsorized(void **state)
{
    const double x[] = {exp(0.0), exp(1.0), exp(2.0), exp(3.0), exp(100.0)};
    const double v[] = {exp(2.0)};
    struct keystroke_detector det = {0};
    struct keystroke_reason r[1];

    (void)state;
    assert_int_equal(keystroke_detector_train(&det, &keystroke_wardwatch, x, 5, 1), 0);
    assert_int_equal(keystroke_detector_explain(&det, v, r, 1), 1);
    assert_near(log(r[0].expected), 2.78608);
    keystroke_detector_release(&det);
}

static void test_train_rejects(void **state)
{
    const double bad[] = {1, NAN, 2, 3};
    struct keystroke_detector det = {0};
    double s;

    (void)state;
    assert_int_equal(keystroke_detector_train(&det, &keystroke_manhattan, bad, 2, 2), -EINVAL);
    assert_int_equal(keystroke_detector_train(&det, &keystroke_manhattan, bad, 0, 2), -EINVAL);
    assert_int_equal(keystroke_detector_score(&det, bad, &s), -EINVAL);
    keystroke_detector_release(&det);
}

static double eer_of(const double *g, size_t n_g, const double *i, size_t n_i)
{
    double e = NAN;

    assert_int_equal(keystroke_eer(g, n_g, i, n_i, &e), 0);
    return e;
}

/*
 * Reject when score >= t, t over every distinct score and +inf; EER = (FRR + FAR) / 2
 * where |FRR - FAR| is least, the higher t on a tie.
 */
static void test_eer(void **state)
{
    static const double g1[] = {1, 2, 3};
    static const double i1[] = {4, 5};
    static const double g2[] = {1, 2, 3, 4};
    static const double i2[] = {3, 5, 6, 7};
    static const double g3[] = {1, 2, 2};
    static const double i3[] = {2, 3};
    static const double g4[] = {1, 3};
    static const double i4[] = {2};
    static const double g5[] = {5, 6};
    static const double i5[] = {1, 2};

    (void)state;
    /* Separated: at t = 4 FRR 0, FAR 0. */
    assert_near(eer_of(g1, 3, i1, 2), 0.0);
    /* Overlap: t = 4 gives FRR 1/4 (the 4), FAR 1/4 (the impostor 3). */
    assert_near(eer_of(g2, 4, i2, 4), 0.25);
    /* Ties at 2: t = 2 rejects both genuine 2s and the impostor 2 (FRR 2/3, FAR 0);
     * t = 3: FRR 0, FAR 1/2, |diff| 1/2 is least: 0.25. */
    assert_near(eer_of(g3, 3, i3, 2), 0.25);
    /* Equal |diff| 1/2 at t = 2 (FRR 1/2, FAR 0) and t = 3 (FRR 1/2, FAR 1): the higher
     * t wins, 0.75. */
    assert_near(eer_of(g4, 2, i4, 1), 0.75);
    /* Inverted: genuine all above impostors; t = +inf gives FRR 0, FAR 1, and t = 5 gives
     * FRR 1, FAR 1: diff 0 there, EER 1. */
    assert_near(eer_of(g5, 2, i5, 2), 1.0);
    /* All equal: t = 1 FRR 1 FAR 0; +inf FRR 0 FAR 1: tie, the higher t: 0.5. */
    assert_near(eer_of(i4, 1, i4, 1), 0.5);
    assert_int_equal(keystroke_eer(g1, 0, i1, 2, &(double){0}), -EINVAL);
}

/* Writes text to a temporary file; returns its path in buf. */
static void temp_csv(char *buf, size_t len, const char *text)
{
    int fd;
    FILE *f;

    snprintf(buf, len, "/tmp/test_keystroke_XXXXXX");
    fd = mkstemp(buf);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_csv_good_and_bad(void **state)
{
    static const char text[] = "subject,sessionIndex,rep,H.a,DD.a.b,UD.a.b,Pressure.a\n"
                               "s2,1,2,0.1,0.2,0.1,5\n"
                               "s1,1,1,0.11,0.21,0.1,5\n"
                               "s2,1,1,0.12,0.22,0.1,5\n"
                               "s1,1,2,0.13,x,0.1,5\n"
                               "s1,1,3,0.14,0.24\n"
                               "\n"
                               "s1,2,1,0.15,0.25,-0.01,5\r\n";
    char path[64];
    char diag[1024] = {0};
    struct keystroke_dataset ds;
    FILE *d = tmpfile();

    (void)state;
    temp_csv(path, sizeof(path), text);
    assert_int_equal(keystroke_dataset_load(path, &ds, d), 0);
    assert_int_equal(ds.n_features, 3);
    assert_int_equal(ds.n_ignored, 1);
    assert_string_equal(ds.names[1], "DD.a.b");
    assert_int_equal(ds.n_rows, 4);
    assert_int_equal(ds.n_bad, 2);
    assert_int_equal(ds.n_subjects, 2);

    /* First seen first; each subject's rows in (session, rep) order. */
    assert_string_equal(ds.subjects[0], "s2");
    assert_int_equal(ds.subject_rows[0], 2);
    assert_near(ds.x[ds.subject_first[0] * 3], 0.12);
    assert_near(ds.x[(ds.subject_first[0] + 1) * 3], 0.1);
    assert_string_equal(ds.subjects[1], "s1");
    assert_near(ds.x[ds.subject_first[1] * 3], 0.11);
    assert_near(ds.x[(ds.subject_first[1] + 1) * 3 + 2], -0.01);

    /* Bad rows named FILE:LINE. */
    rewind(d);
    assert_true(fread(diag, 1, sizeof(diag) - 1, d) > 0);
    assert_non_null(strstr(diag, ":5: column 5 (DD.a.b) is not a number: 'x'"));
    assert_non_null(strstr(diag, ":6: 5 columns where the header has 7"));
    fclose(d);
    keystroke_dataset_free(&ds);
    unlink(path);
}

static void test_csv_errors(void **state)
{
    char path[64];
    struct keystroke_dataset ds;

    (void)state;
    assert_int_equal(keystroke_dataset_load("/nonexistent/k.csv", &ds, NULL), -ENOENT);
    assert_non_null(strstr(ds.error, "/nonexistent/k.csv"));
    keystroke_dataset_free(&ds);

    temp_csv(path, sizeof(path), "user,session,rep,H.a\ns1,1,1,0.1\n");
    assert_int_equal(keystroke_dataset_load(path, &ds, NULL), -EINVAL);
    assert_non_null(strstr(ds.error, ":1: header must start"));
    keystroke_dataset_free(&ds);
    unlink(path);

    temp_csv(path, sizeof(path), "subject,sessionIndex,rep,H.a\ns1,1,1,abc\ns1,x,1,0.1\n");
    assert_int_equal(keystroke_dataset_load(path, &ds, NULL), -ENODATA);
    assert_int_equal(ds.n_bad, 2);
    keystroke_dataset_free(&ds);
    unlink(path);

    temp_csv(path, sizeof(path), "subject,sessionIndex,rep,Pressure.a\ns1,1,1,0.1\n");
    assert_int_equal(keystroke_dataset_load(path, &ds, NULL), -EINVAL);
    keystroke_dataset_free(&ds);
    unlink(path);
}

/* Synthetic users, fixed seed: wardwatch separates them far better than chance. */
static void test_synthetic_separation(void **state)
{
    enum { N = 25, D = 10, TEST = 20 };
    double mine[N * D];
    double gen[TEST];
    double imp[TEST];
    double v[D];
    double e = 1.0;
    struct keystroke_detector det = {0};

    (void)state;
    srand(12345);
    for (int i = 0; i < N * D; i++) {
        mine[i] = 0.10 + 0.02 * (i % D) + 0.01 * ((double)rand() / RAND_MAX);
    }
    assert_int_equal(keystroke_detector_train(&det, &keystroke_wardwatch, mine, N, D), 0);
    for (int t = 0; t < TEST; t++) {
        for (int j = 0; j < D; j++) {
            v[j] = 0.10 + 0.02 * j + 0.01 * ((double)rand() / RAND_MAX);
        }
        assert_int_equal(keystroke_detector_score(&det, v, &gen[t]), 0);
        for (int j = 0; j < D; j++) {
            v[j] = 0.13 + 0.02 * ((D - j) % D) + 0.01 * ((double)rand() / RAND_MAX);
        }
        assert_int_equal(keystroke_detector_score(&det, v, &imp[t]), 0);
    }
    keystroke_detector_release(&det);
    assert_int_equal(keystroke_eer(gen, TEST, imp, TEST, &e), 0);
    assert_true(e < 0.05);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manhattan),
        cmocka_unit_test(test_scaled_manhattan),
        cmocka_unit_test(test_outlier_count),
        cmocka_unit_test(test_mahalanobis_nn),
        cmocka_unit_test(test_log_time),
        cmocka_unit_test(test_winsorize),
        cmocka_unit_test(test_loo_stats),
        cmocka_unit_test(test_wardwatch),
        cmocka_unit_test(test_wardwatch_winsorized),
        cmocka_unit_test(test_train_rejects),
        cmocka_unit_test(test_eer),
        cmocka_unit_test(test_csv_good_and_bad),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_synthetic_separation),
    };

    return cmocka_run_group_tests_name("keystroke", tests, NULL, NULL);
}
