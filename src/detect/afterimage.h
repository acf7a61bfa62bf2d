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

#define AI_WINDOWS 5
/* Decay rates lambda (1/s): half-lives of 0.2 s, 0.33 s, 1 s, 10 s and 100 s. */
#define AI_LAMBDAS {5.0, 3.0, 1.0, 0.1, 0.01}

/* One stream's statistic over one window. */
struct ai_stat {
    double w, ls, ss;
    double t; /* seconds of the last update */
};

/* The residual products of two opposite streams over one window. */
struct ai_pair {
    double sr;
    double res[2]; /* last residual of each side, damped with sr */
    double t;
};

/* Decays s to time t with rate lambda, then adds x. */
void ai_stat_update(struct ai_stat *s, double lambda, double t, double x);
/* Decays s to time t without adding (as the other side of a pair is read). */
void ai_stat_decay(struct ai_stat *s, double lambda, double t);

double ai_stat_mean(const struct ai_stat *s);
double ai_stat_var(const struct ai_stat *s);
double ai_stat_std(const struct ai_stat *s);

/*
 * Side (0 or 1) of a pair took x at time t and its statistic (self, already
 * updated) now has mean mean; other is the opposite side's statistic,
 * decayed to t. Updates p.
 */
void ai_pair_update(struct ai_pair *p, double lambda, double t, int side,
                    const struct ai_stat *self, double x);

/* The pair's four features, in the order magnitude, radius, covariance, correlation. */
void ai_pair_features(const struct ai_pair *p, const struct ai_stat *a, const struct ai_stat *b,
                      double out[4]);

#endif
