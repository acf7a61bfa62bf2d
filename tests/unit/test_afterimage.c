/* SPDX-License-Identifier: MIT */
/*
 * test_afterimage: the damped statistics against values worked out by
 * hand from their definitions (afterimage.h), and Kitsune's packet
 * features (streams.h) for a small exchange. Tolerance 1e-9 relative.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "detect/afterimage.h"
#include "detect/streams.h"

#define TOL 1e-9     /* relative, for the statistics (double) */
#define TOL_F 1e-6   /* relative, for the features (float) */

static void near_tol(double got, double want, double tol)
{
    if (fabs(got - want) > tol * (fabs(want) > 1 ? fabs(want) : 1)) {
        fail_msg("got %.12g, want %.12g", got, want);
    }
}

static void near(double got, double want)
{
    near_tol(got, want, TOL);
}

static void near_f(float got, double want)
{
    near_tol(got, want, TOL_F);
}

#define W1 2   /* the window with lambda 1 */
#define W01 3  /* the window with lambda 0.1 */

/* The five factors from two powers of two, against exp2 of each rate. */
static void decay_factors_by_rate(void **state)
{
    static const double lambdas[AI_WINDOWS] = AI_LAMBDAS;
    static const double dts[] = {1e-6, 0.013, 0.5, 1, 7.25, 300, 86400};
    double d[AI_WINDOWS];

    (void)state;
    for (size_t k = 0; k < sizeof(dts) / sizeof(dts[0]); k++) {
        ai_decay_factors(dts[k], d);
        for (int i = 0; i < AI_WINDOWS; i++) {
            near_tol(d[i], exp2(-lambdas[i] * dts[k]), 1e-13);
        }
    }
    ai_decay_factors(0, d);
    near(d[0], 1);
    ai_decay_factors(-1, d);
    near(d[4], 1);
}

/* 10 at t=0 and 20 at t=1 with lambda 1: the first is halved before the second is added. */
static void stat_two_values(void **state)
{
    struct ai_stat s = {0};
    struct ai_moments m;

    (void)state;
    ai_stat_update(&s, 0.0, 10);
    ai_stat_update(&s, 1.0, 20);
    near(s.w[W1], 1.5);
    near(s.ls[W1], 0.5 * 10 + 20);
    near(s.ss[W1], 0.5 * 100 + 400);
    ai_stat_moments(&s, &m);
    near(m.mean[W1], 25 / 1.5);
    near(m.var[W1], 450 / 1.5 - (25 / 1.5) * (25 / 1.5));
    /* lambda 5: the first is worth 2^-5 */
    near(s.w[0], 1 + exp2(-5));
}

/* n equal values dt apart: w is the geometric sum (1 - d^n) / (1 - d), the variance 0. */
static void stat_geometric_weight(void **state)
{
    const double lambda = 0.1, dt = 0.5, d = exp2(-lambda * dt);
    struct ai_stat s = {0};
    struct ai_moments m;
    const int n = 200;

    (void)state;
    for (int k = 0; k < n; k++) {
        ai_stat_update(&s, k * dt, 7);
    }
    near(s.w[W01], (1 - pow(d, n)) / (1 - d));
    ai_stat_moments(&s, &m);
    near(m.mean[W01], 7);
    assert_true(m.var[W01] < 1e-9);
    /* Decay alone: two seconds at lambda 0.1 leave 2^-0.2 of everything. */
    double w = s.w[W01];
    ai_stat_decay(&s, (n - 1) * dt + 2);
    near(s.w[W01], w * exp2(-0.2));
    ai_stat_moments(&s, &m);
    near(m.mean[W01], 7);
}

/*
 * A pair with lambda 1: A takes 10 and 20 at t=0 and t=1, B takes 4 at
 * t=1 and 8 at t=2. At t=1 A's first value is halved: w 1.5, LS 25, mean
 * 50/3, so 20 leaves residual 10/3; B's first value leaves none, so SR
 * stays 0. At t=2 everything of the pair is halved (A's residual to 5/3);
 * B has w 1.5, LS 10, mean 20/3, residual 8 - 20/3 = 4/3, and SR gains
 * 4/3 * 5/3. A, decayed to t=2: w 0.75, LS 12.5, SS 225.
 */
static void pair_by_hand(void **state)
{
    struct ai_stat a = {0}, b = {0};
    struct ai_pair p = {0};
    struct ai_moments ma, mb;
    double out[AI_PAIR_FEATURES][AI_WINDOWS];
    const double mean_a = 50.0 / 3, var_a = 225 / 0.75 - mean_a * mean_a;
    const double mean_b = 20.0 / 3, var_b = (0.5 * 16 + 64) / 1.5 - mean_b * mean_b;
    const double sr = 4.0 / 3 * 5.0 / 3, cov = sr / (0.75 + 1.5);

    (void)state;
    ai_stat_update(&a, 0.0, 10);
    ai_stat_moments(&a, &ma);
    ai_pair_update(&p, 0.0, 0, &ma, 10);
    ai_stat_update(&a, 1.0, 20);
    ai_stat_moments(&a, &ma);
    ai_pair_update(&p, 1.0, 0, &ma, 20);
    near(p.res[0][W1], 10.0 / 3);
    ai_stat_update(&b, 1.0, 4);
    ai_stat_moments(&b, &mb);
    ai_pair_update(&p, 1.0, 1, &mb, 4);
    near(p.sr[W1], 0);
    ai_stat_update(&b, 2.0, 8);
    ai_stat_moments(&b, &mb);
    ai_stat_decay(&a, 2.0);
    ai_stat_moments(&a, &ma);
    ai_pair_update(&p, 2.0, 1, &mb, 8);
    near(p.res[0][W1], 5.0 / 3);
    near(p.res[1][W1], 4.0 / 3);
    near(p.sr[W1], sr);
    ai_pair_features(&p, &a, &ma, &b, &mb, out);
    near(out[AI_MAGNITUDE][W1], sqrt(mean_a * mean_a + mean_b * mean_b));
    near(out[AI_RADIUS][W1], sqrt(var_a + var_b));
    near(out[AI_COVARIANCE][W1], cov);
    near(out[AI_CORRELATION][W1], cov / (sqrt(var_a) * sqrt(var_b)));
}

/* The approximate covariance can outrun the deviations: the correlation stays in [-1, 1]. */
static void pair_correlation_bounded(void **state)
{
    struct ai_stat a = {.w = {1}, .ls = {10}, .ss = {100.01}};
    struct ai_stat b = {.w = {1}, .ls = {5}, .ss = {25.01}};
    struct ai_pair p = {.sr = {40}};
    struct ai_moments ma, mb;
    double out[AI_PAIR_FEATURES][AI_WINDOWS];

    (void)state;
    ai_stat_moments(&a, &ma);
    ai_stat_moments(&b, &mb);
    ai_pair_features(&p, &a, &ma, &b, &mb, out);
    near(out[AI_COVARIANCE][0], 20);
    near(out[AI_CORRELATION][0], 1);
    p.sr[0] = -40;
    ai_pair_features(&p, &a, &ma, &b, &mb, out);
    near(out[AI_CORRELATION][0], -1);
}

static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 1}, mac_b[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t ip_a[4] = {10, 0, 0, 1}, ip_b[4] = {10, 0, 0, 2};

static struct stream_packet packet(double t, bool from_a, uint32_t len)
{
    return (struct stream_packet){t,          4,
                                  from_a ? mac_a : mac_b,
                                  from_a ? ip_a : ip_b,
                                  from_a ? ip_b : ip_a,
                                  from_a ? 40000 : 443,
                                  from_a ? 443 : 40000,
                                  6,
                                  len};
}

/* A request of 100 bytes at t=0 and a reply of 300 at t=1, feature by feature. */
static void streams_request_reply(void **state)
{
    struct streams *s = streams_new(4);
    float f[STREAMS_FEATURES];
    struct stream_packet req = packet(0.0, true, 100), rep = packet(1.0, false, 300);

    (void)state;
    assert_non_null(s);
    streams_packet(s, &req, f);
    for (int w = 0; w < AI_WINDOWS; w++) {
        const float *o = f + w * STREAMS_PER_WINDOW;

        near_f(o[0], 1), near_f(o[1], 100), near_f(o[2], 0);    /* MI */
        near_f(o[3], 1), near_f(o[4], 100), near_f(o[5], 0);    /* H */
        near_f(o[6], 1), near_f(o[7], 100), near_f(o[8], 0);    /* HH */
        near_f(o[9], 100), near_f(o[10], 0), near_f(o[11], 0); /* no way back yet */
        near_f(o[12], 0);
        near_f(o[13], 1), near_f(o[14], 0), near_f(o[15], 0);   /* jitter: first packet */
        near_f(o[16], 1), near_f(o[19], 100);                 /* HpHp */
    }
    streams_packet(s, &rep, f);
    for (int w = 0; w < AI_WINDOWS; w++) {
        const float *o = f + w * STREAMS_PER_WINDOW;

        near_f(o[0], 1), near_f(o[1], 300);                    /* B's first packet */
        near_f(o[6], 1), near_f(o[7], 300);
        /* The request's way, decayed to t=1, still has mean 100 and variance 0. */
        near_f(o[9], sqrt(300.0 * 300 + 100.0 * 100));
        near_f(o[10], 0);
        near_f(o[19], sqrt(300.0 * 300 + 100.0 * 100));
    }
    assert_true(streams_memory(s) > 0);
    streams_free(s);
}

/* A table of 4 entries per kind takes 1000 sources: the oldest give way, nothing grows. */
static void streams_bounded(void **state)
{
    struct streams *s = streams_new(2);
    float f[STREAMS_FEATURES];
    size_t before = streams_memory(s);
    uint8_t ip[4] = {10, 1, 0, 0};

    (void)state;
    for (int i = 0; i < 1000; i++) {
        struct stream_packet p = packet(i * 0.01, true, 60 + i % 7);

        ip[2] = (uint8_t)(i >> 8);
        ip[3] = (uint8_t)i;
        p.src_ip = ip;
        streams_packet(s, &p, f);
        near_f(f[0], 1); /* each source is new, or came back after giving way */
    }
    assert_int_equal(streams_memory(s), before);
    streams_free(s);
}

/* Packets in a batch get the features they get one by one, evictions included. */
static void streams_batch_as_one_by_one(void **state)
{
    enum { N = 3000 };
    struct streams *one = streams_new(6), *batch = streams_new(6);
    static struct stream_packet p[N];
    static uint8_t ips[N][2][4];
    static float f_one[N][STREAMS_FEATURES], f_batch[N][STREAMS_FEATURES];
    uint64_t seed = 7;

    (void)state;
    for (int i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        memcpy(ips[i][0], ip_a, 4);
        memcpy(ips[i][1], ip_b, 4);
        ips[i][0][3] = (uint8_t)(seed >> 33) % 40;
        ips[i][1][3] = (uint8_t)(seed >> 45) % 40;
        p[i] = packet(i * 0.003, (seed >> 20) & 1, 60 + (uint32_t)(seed >> 50) % 1400);
        p[i].src_ip = ips[i][0];
        p[i].dst_ip = ips[i][1];
        p[i].sport = (uint16_t)(40000 + (seed >> 40) % 50);
        streams_packet(one, &p[i], f_one[i]);
    }
    streams_packets(batch, p, 1000, f_batch[0]);
    streams_packets(batch, p + 1000, 5, f_batch[1000]);
    streams_packets(batch, p + 1005, N - 1005, f_batch[1005]);
    assert_memory_equal(f_one, f_batch, sizeof(f_one));
    streams_free(one);
    streams_free(batch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decay_factors_by_rate), cmocka_unit_test(stat_two_values),
        cmocka_unit_test(stat_geometric_weight),
        cmocka_unit_test(pair_by_hand),          cmocka_unit_test(pair_correlation_bounded),
        cmocka_unit_test(streams_request_reply),
        cmocka_unit_test(streams_bounded),
        cmocka_unit_test(streams_batch_as_one_by_one),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
