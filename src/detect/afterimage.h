/* SPDX-License-Identifier: MIT */
/*
 * afterimage: damped incremental statistics of a packet stream, in the
 * manner of Kitsune's AfterImage (Mirsky et al., "Kitsune: An Ensemble of
 * Autoencoders for Online Network Intrusion Detection", NDSS 2018,
 * section IV-B and table I).
 *
 * A statistic of one stream over one time window is the triple (w, LS,
 * SS): the damped count, linear sum and squared sum of the values seen.
 * Before each update, all three are multiplied by 2^(-lambda * dt), dt the
 * seconds since its last update; then w += 1, LS += x, SS += x^2. From it:
 * mean = LS / w and std = sqrt(|SS / w - mean^2|). Two streams in opposite
 * directions (a channel, a socket) share a damped sum of residual products
 * SR: an update of one with x adds (x - mean) times the other's last
 * residual. From the pair: magnitude sqrt(mean_a^2 + mean_b^2), radius
 * sqrt(var_a + var_b), covariance SR / (w_a + w_b) and correlation
 * covariance / (std_a * std_b), kept within [-1, 1] (the covariance is an
 * approximation, and with tiny deviations the ratio would run away).
 */
#ifndef WW_DETECT_AFTERIMAGE_H
#define WW_DETECT_AFTERIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>

#define AI_WINDOWS 5
/*
 * Decay rates lambda (1/s): half-lives of 0.2 s, 0.33 s, 1 s, 10 s and
 * 100 s. ai_decay_factors works the five factors out from two powers of
 * two, so a change here needs one there.
 */
#define AI_LAMBDAS {5.0, 3.0, 1.0, 0.1, 0.01}

/* One stream's statistics over every window, last updated at t (seconds). */
struct ai_stat {
    double t;
    double w[AI_WINDOWS], ls[AI_WINDOWS], ss[AI_WINDOWS];
};

/* The residual products of two opposite streams over every window. */
struct ai_pair {
    double t;
    double sr[AI_WINDOWS];
    double res[2][AI_WINDOWS]; /* last residual of each side, damped with sr */
};

/* d[i] = 2^(-lambda_i * dt) for the windows' rates; 1 when dt <= 0. */
static inline void ai_decay_factors(double dt, double d[AI_WINDOWS])
{
    if (!(dt > 0)) {
        for (int i = 0; i < AI_WINDOWS; i++) {
            d[i] = 1.0;
        }
        return;
    }
    double a = exp2(-dt), b = exp2(-0.01 * dt), b2 = b * b, b8 = b2 * b2 * b2 * b2;

    d[0] = a * a * a * a * a; /* lambda 5 */
    d[1] = a * a * a;         /* 3 */
    d[2] = a;                 /* 1 */
    d[3] = b8 * b2;           /* 0.1 */
    d[4] = b;                 /* 0.01 */
}

static inline void ai_stat_scale(struct ai_stat *s, const double d[AI_WINDOWS])
{
    for (int i = 0; i < AI_WINDOWS; i++) {
        s->w[i] *= d[i];
        s->ls[i] *= d[i];
        s->ss[i] *= d[i];
    }
}

/* Decays s to time t without adding (as the other side of a pair is read). */
static inline void ai_stat_decay(struct ai_stat *s, double t)
{
    double d[AI_WINDOWS];

    if (t > s->t) {
        ai_decay_factors(t - s->t, d);
        ai_stat_scale(s, d);
        s->t = t;
    }
}

/* Scales s by the factors d (of the time from s->t to t), then adds x. */
static inline void ai_stat_add(struct ai_stat *s, const double d[AI_WINDOWS], double t, double x)
{
    if (t > s->t) {
        ai_stat_scale(s, d);
        s->t = t;
    }
    for (int i = 0; i < AI_WINDOWS; i++) {
        s->w[i] += 1;
        s->ls[i] += x;
        s->ss[i] += x * x;
    }
}

/* Decays s to time t in every window, then adds x. */
static inline void ai_stat_update(struct ai_stat *s, double t, double x)
{
    double d[AI_WINDOWS];

    ai_decay_factors(t - s->t, d);
    ai_stat_add(s, d, t, x);
}

/* A statistic's mean and variance in every window (0 in a window with no weight). */
struct ai_moments {
    double mean[AI_WINDOWS], var[AI_WINDOWS];
};

/*
 * Worked out once per update, over the windows at once where the CPU can.
 * Divided, not multiplied by 1/w: a constant stream keeps variance 0.
 */
static inline void ai_stat_moments(const struct ai_stat *s, struct ai_moments *m)
{
    for (int i = 0; i < AI_WINDOWS; i++) {
        double w = s->w[i] > 0 ? s->w[i] : 1.0;

        m->mean[i] = s->ls[i] / w;
        m->var[i] = fabs(s->ss[i] / w - m->mean[i] * m->mean[i]);
    }
}

/*
 * Side (0 or 1) of a pair took x at time t; self is its statistic's
 * moments, already updated with x. Decays p to t and adds the residual
 * product.
 */
static inline void ai_pair_update(struct ai_pair *p, double t, int side,
                                  const struct ai_moments *self, double x)
{
    double d[AI_WINDOWS];

    if (t > p->t) {
        ai_decay_factors(t - p->t, d);
        for (int i = 0; i < AI_WINDOWS; i++) {
            p->sr[i] *= d[i];
            p->res[0][i] *= d[i];
            p->res[1][i] *= d[i];
        }
        p->t = t;
    }
    for (int i = 0; i < AI_WINDOWS; i++) {
        double r = x - self->mean[i];

        p->sr[i] += r * p->res[!side][i];
        p->res[side][i] = r;
    }
}

/* The pair's features in every window, out[k][window]: */
enum { AI_MAGNITUDE, AI_RADIUS, AI_COVARIANCE, AI_CORRELATION, AI_PAIR_FEATURES };

/*
 * a and b are the pair's two sides decayed to the same time, ma and mb
 * their moments. The correlation is kept within [-1, 1] with plain
 * comparisons, which vectorize.
 */
static inline void ai_pair_features(const struct ai_pair *p, const struct ai_stat *a,
                                    const struct ai_moments *ma, const struct ai_stat *b,
                                    const struct ai_moments *mb,
                                    double out[AI_PAIR_FEATURES][AI_WINDOWS])
{
    for (int i = 0; i < AI_WINDOWS; i++) {
        double w = a->w[i] + b->w[i];
        double cov = w > 0 ? p->sr[i] / w : 0.0;
        double sd2 = ma->var[i] * mb->var[i];
        double corr = sd2 > 0 ? cov / sqrt(sd2) : 0.0;

        out[AI_MAGNITUDE][i] = sqrt(ma->mean[i] * ma->mean[i] + mb->mean[i] * mb->mean[i]);
        out[AI_RADIUS][i] = sqrt(ma->var[i] + mb->var[i]);
        out[AI_COVARIANCE][i] = cov;
        corr = corr < -1.0 ? -1.0 : corr;
        out[AI_CORRELATION][i] = corr > 1.0 ? 1.0 : corr;
    }
}

#endif
