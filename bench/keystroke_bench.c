/* SPDX-License-Identifier: MIT */
/* keystroke_bench: microseconds to score one fixed-text sample, per keystroke detector. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "auth/keystroke.h"

#define BENCH_TRAIN 25       /* enrolment samples, as in `keystroke eval` */
#define BENCH_FEATURES 41    /* timings per sample (CMU's is 31, MEU's 40) */
#define BENCH_POOL 1024      /* distinct query samples, cycled */
#define BENCH_SCORES 200000  /* scores timed per detector */
#define BENCH_SEED 20240601u /* fixed: every run scores the same samples */

/* xorshift32: a fixed, portable sequence. */
static uint32_t bench_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* A plausible timing in seconds: a per-feature centre near 0.1-0.5 s, +-20 percent. */
static double bench_timing(uint32_t *s, size_t j)
{
    double centre = 0.1 + 0.4 * (double)(j % 7) / 7.0;
    double u = (double)(bench_next(s) & 0xffffff) / (double)0x1000000;

    return centre * (0.8 + 0.4 * u);
}

static double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Times BENCH_SCORES scores of ops; returns microseconds per score or -1. */
static double bench_one(const struct keystroke_detector_ops *ops, const double *train,
                        const double *pool, double *sink)
{
    struct keystroke_detector det = {0};
    double t0;
    double t1;
    double sum = 0.0;

    if (keystroke_detector_train(&det, ops, train, BENCH_TRAIN, BENCH_FEATURES) < 0) {
        return -1.0;
    }
    t0 = bench_now();
    for (size_t i = 0; i < BENCH_SCORES; i++) {
        double s = 0.0;

        keystroke_detector_score(&det, pool + (i % BENCH_POOL) * BENCH_FEATURES, &s);
        sum += s;
    }
    t1 = bench_now();
    keystroke_detector_release(&det);
    *sink += sum;
    return 1e6 * (t1 - t0) / (double)BENCH_SCORES;
}

/* Times training too: one enrolment per call, repeated. */
static double bench_train(const struct keystroke_detector_ops *ops, const double *train)
{
    enum { REPS = 200 };
    double t0 = bench_now();

    for (int r = 0; r < REPS; r++) {
        struct keystroke_detector det = {0};

        if (keystroke_detector_train(&det, ops, train, BENCH_TRAIN, BENCH_FEATURES) < 0) {
            return -1.0;
        }
        keystroke_detector_release(&det);
    }
    return 1e6 * (bench_now() - t0) / REPS;
}

int main(void)
{
    static double train[BENCH_TRAIN * BENCH_FEATURES];
    static double pool[BENCH_POOL * BENCH_FEATURES];
    uint32_t seed = BENCH_SEED;
    size_t n_det;
    const struct keystroke_detector_ops *const *all = keystroke_detectors(&n_det);
    double sink = 0.0;

    for (size_t i = 0; i < BENCH_TRAIN * BENCH_FEATURES; i++) {
        train[i] = bench_timing(&seed, i % BENCH_FEATURES);
    }
    for (size_t i = 0; i < BENCH_POOL * BENCH_FEATURES; i++) {
        pool[i] = bench_timing(&seed, i % BENCH_FEATURES);
    }
    printf("keystroke scoring: %d training samples x %d features, %d scores per detector, "
           "seed %u\n",
           BENCH_TRAIN, BENCH_FEATURES, BENCH_SCORES, BENCH_SEED);
    printf("%-22s %12s %12s\n", "detector", "us/score", "us/train");
    for (size_t k = 0; k < n_det; k++) {
        double us = bench_one(all[k], train, pool, &sink);
        double tr = bench_train(all[k], train);

        if (us < 0 || tr < 0) {
            fprintf(stderr, "keystroke_bench: %s: training failed\n", all[k]->name);
            return 1;
        }
        printf("%-22s %12.3f %12.1f\n", all[k]->name, us, tr);
    }
    /* The sum keeps the compiler from dropping the scoring loop. */
    printf("(checksum %.6g)\n", sink);
    return 0;
}
