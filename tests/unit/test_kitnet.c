/* SPDX-License-Identifier: MIT */
/*
 * test_kitnet: the autoencoder's forward and backward pass against values
 * worked out by hand (2 inputs, 2 hidden units; the figures below were
 * computed in double precision from the formulas in kitnet.c's comments,
 * tolerance 1e-6 for the single-precision code), the feature map on
 * features of known correlation, the normal quantile, learning and
 * scoring, and a saved model read back. Fixed seeds throughout.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect/kitnet.h"

#define TOL 1e-6

static void near(double got, double want, double tol)
{
    if (fabs(got - want) > tol) {
        fail_msg("got %.9f, want %.9f", got, want);
    }
}

static void autoencoder_by_hand(void **state)
{
    struct autoencoder ae;
    uint64_t seed = 1;
    static const float raw[2] = {0.5f, 1.0f};

    (void)state;
    assert_int_equal(ae_init(&ae, 2, 2, 0.1f, &seed), 0);
    ae.w[0] = 0.1f, ae.w[1] = -0.2f, ae.w[2] = 0.3f, ae.w[3] = 0.4f;
    ae.hbias[0] = 0.05f, ae.hbias[1] = -0.05f;
    ae.vbias[0] = 0.0f, ae.vbias[1] = 0.1f;
    ae_sync(&ae);
    ae.lo[0] = ae.lo[1] = 0.0f; /* a range of [0, 1]: the input as it is */
    ae.hi[0] = ae.hi[1] = 1.0f;
    ae_scale(&ae, raw, false);
    near(ae.x[0], 0.5, TOL);
    near(ae_forward(&ae), 0.266380095, TOL);
    near(ae.h[0], 0.598687660, TOL);
    near(ae.h[1], 0.562176501, TOL);
    near(ae.z[0], 0.486861392, TOL);
    near(ae.z[1], 0.623510841, TOL);
    ae_backward(&ae);
    near(ae.w[0], 0.102159209, TOL);
    near(ae.w[1], -0.197440381, TOL);
    near(ae.w[2], 0.325285175, TOL);
    near(ae.w[3], 0.424807331, TOL);
    near(ae.hbias[0], 0.052745234, TOL);
    near(ae.hbias[1], -0.046358005, TOL);
    near(ae.vbias[0], 0.001313861, TOL);
    near(ae.vbias[1], 0.137648916, TOL);
    ae_free(&ae);
}

/* Scaling: by the range seen while learning; a constant input scales to 0. */
static void autoencoder_scaling(void **state)
{
    struct autoencoder ae;
    uint64_t seed = 1;
    const float a[2] = {2, 5}, b[2] = {4, 5}, c[2] = {5, 5};

    (void)state;
    assert_int_equal(ae_init(&ae, 2, 2, 0.1f, &seed), 0);
    ae_scale(&ae, a, true);
    ae_scale(&ae, b, true);
    near(ae.x[0], 1, TOL);
    near(ae.x[1], 0, TOL);
    ae_scale(&ae, c, false); /* beyond the range: beyond 1 */
    near(ae.x[0], 1.5, TOL);
    for (int i = 0; i < 4; i++) { /* weights from [-1/n, 1/n] */
        assert_true(fabsf(ae.w[i]) <= 0.5f);
    }
    ae_free(&ae);
}

static void normal_quantile(void **state)
{
    (void)state;
    near(kitnet_normal_quantile(0.05), 1.6448536, 1e-6);
    near(kitnet_normal_quantile(0.001), 3.0902323, 1e-6);
    near(kitnet_normal_quantile(1e-4), 3.7190165, 1e-6);
}

static double gauss(uint64_t *s)
{
    double u1 = ((double)((*s = *s * 6364136223846793005ull + 1442695040888963407ull) >> 11) + 1) /
                9007199254740993.0;
    double u2 = (double)((*s = *s * 6364136223846793005ull + 1442695040888963407ull) >> 11) /
                9007199254740992.0;

    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

/* Six features: 0-2 follow one hidden cause, 3-5 another. */
static void two_causes(uint64_t *s, float x[6], double shift)
{
    double a = gauss(s), b = gauss(s);

    x[0] = (float)(a + 0.05 * gauss(s));
    x[1] = (float)(2 * a + 0.05 * gauss(s));
    x[2] = (float)(-a + 0.05 * gauss(s) + shift);
    x[3] = (float)(b + 0.05 * gauss(s));
    x[4] = (float)(3 * b + 1 + 0.05 * gauss(s));
    x[5] = (float)(-2 * b + 0.05 * gauss(s));
}

static struct kitnet *trained(uint64_t *s)
{
    struct kitnet_config cfg = {6, 3, 2000, 20000, 0.1f, 1e-3, 42};
    struct kitnet *k = kitnet_new(&cfg);
    float x[6];

    assert_non_null(k);
    for (int i = 0; i < 22000; i++) {
        two_causes(s, x, 0);
        kitnet_process(k, x);
    }
    assert_int_equal(kitnet_phase(k), KITNET_SCORING);
    return k;
}

static void feature_map_by_correlation(void **state)
{
    uint64_t s = 7;
    struct kitnet *k = trained(&s);
    const uint32_t *m;
    uint32_t n, seen = 0;

    (void)state;
    assert_int_equal(kitnet_groups(k), 2);
    for (uint32_t g = 0; g < 2; g++) {
        n = kitnet_group(k, g, &m);
        assert_int_equal(n, 3);
        for (uint32_t i = 0; i < n; i++) { /* a group is 0-2 or 3-5, whole */
            assert_int_equal(m[i] / 3, m[0] / 3);
            seen |= 1u << m[i];
        }
    }
    assert_int_equal(seen, 0x3f);
    kitnet_free(k);
}

/* Normal vectors score under the threshold nearly always; a broken correlation far over it. */
static void scores_and_threshold(void **state)
{
    uint64_t s = 7;
    struct kitnet *k = trained(&s);
    float x[6];
    double mu, sigma;
    int over = 0;
    const float *ratios;

    (void)state;
    kitnet_lognormal(k, &mu, &sigma);
    assert_true(sigma > 0);
    near(kitnet_threshold(k), exp(mu + kitnet_normal_quantile(1e-3) * sigma), 1e-9);
    for (int i = 0; i < 5000; i++) {
        two_causes(&s, x, 0);
        over += kitnet_process(k, x) > kitnet_threshold(k);
    }
    /*
     * The fitted log-normal puts 0.1% above the threshold; the true tail is
     * heavier (Gaussian inputs past the training range): 51 of 5000 here.
     */
    assert_true(over < 100);
    two_causes(&s, x, 0);
    x[2] = 4 * x[0]; /* feature 2 now rises with 0 instead of falling */
    assert_true(kitnet_process(k, x) > 2 * kitnet_threshold(k));
    ratios = kitnet_group_ratios(k, 0);
    const uint32_t *m;
    uint32_t g_broken = kitnet_group(k, 0, &m) > 0 && m[0] / 3 == 0 ? 0 : 1;
    assert_true(ratios[g_broken] > ratios[!g_broken]); /* the group of 0-2 says why */
    kitnet_free(k);
}

/* A batch scores as the vectors one by one do; a short batch too. */
static void batch_as_one_by_one(void **state)
{
    uint64_t s = 7;
    struct kitnet *k = trained(&s);
    float x[KITNET_BATCH][6];
    const float *rows[KITNET_BATCH];
    float batch[KITNET_BATCH];
    static const uint32_t sizes[2] = {KITNET_BATCH, 3};

    (void)state;
    for (int t = 0; t < 2; t++) {
        uint32_t n = sizes[t];

        for (uint32_t b = 0; b < n; b++) {
            two_causes(&s, x[b], b == 2 ? 5 : 0);
            rows[b] = x[b];
        }
        kitnet_score_batch(k, rows, n, batch);
        for (uint32_t b = 0; b < n; b++) {
            float one = kitnet_process(k, x[b]);

            near(batch[b], one, 1e-6 * (one > 1 ? one : 1));
        }
    }
    assert_true(batch[2] > kitnet_threshold(k));
    kitnet_free(k);
}

static void save_and_load(void **state)
{
    uint64_t s = 7;
    struct kitnet *k = trained(&s), *back;
    char path[] = "/tmp/ww-test-kitnet-XXXXXX", err[256];
    int fd = mkstemp(path);
    float x[6];
    FILE *f;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(kitnet_save(k, path), 0);
    back = kitnet_load(path, err, sizeof(err));
    assert_non_null(back);
    near(kitnet_threshold(back), kitnet_threshold(k), 0);
    for (int i = 0; i < 100; i++) {
        two_causes(&s, x, i % 10 == 0 ? 3 : 0);
        assert_true(kitnet_process(k, x) == kitnet_process(back, x));
    }
    kitnet_free(back);
    /* Another version is named as such. */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("wardwatch-kitnet 99\n", f);
    fclose(f);
    assert_null(kitnet_load(path, err, sizeof(err)));
    assert_string_equal(err, "a model of version 99; this wardwatch reads version 1: learn it "
                             "again and save it with this wardwatch");
    unlink(path);
    kitnet_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(autoencoder_by_hand),     cmocka_unit_test(autoencoder_scaling),
        cmocka_unit_test(normal_quantile),         cmocka_unit_test(feature_map_by_correlation),
        cmocka_unit_test(scores_and_threshold),    cmocka_unit_test(batch_as_one_by_one),
        cmocka_unit_test(save_and_load),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
