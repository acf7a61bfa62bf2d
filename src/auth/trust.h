/* SPDX-License-Identifier: MIT */
/* trust: a session's trust score in 0..100, moved by evidence from any behavioural modality. */
#ifndef WW_AUTH_TRUST_H
#define WW_AUTH_TRUST_H

#include <stdint.h>

/*
 * The model (after the penalty-and-reward trust models of continuous
 * authentication): a session starts at `start`. Each observation from a
 * modality (typing now, mouse later) brings evidence e in [-1, +1]: +1 is
 * as typical of the user as evidence gets, -1 as atypical, 0 neutral.
 * Trust moves by e * reward when e > 0 and by e * penalty when e < 0, and
 * stays within [TRUST_MIN, TRUST_MAX]. Modalities feed the same state, so
 * their evidence adds up. When trust falls below `threshold` the update
 * says so once; it says so again only after trust has come back to
 * threshold + rearm (hysteresis, so a score hovering at the line does not
 * raise an alert per observation).
 */
#define TRUST_MIN 0.0
#define TRUST_MAX 100.0

#define TRUST_START_DEFAULT 100.0
#define TRUST_THRESHOLD_DEFAULT 50.0
#define TRUST_REARM_DEFAULT 20.0
#define TRUST_REWARD_DEFAULT 1.0  /* trust points for one observation of evidence +1 */
#define TRUST_PENALTY_DEFAULT 2.0 /* trust points for one observation of evidence -1 */
#define TRUST_STEP_MAX 50.0       /* cap on reward and penalty */

struct trust_params {
    double start;
    double threshold;
    double rearm;
    double reward;
    double penalty;
};

struct trust_state {
    double trust;
    double lowest;      /* lowest trust seen */
    uint64_t n_obs;     /* observations that moved (or could move) trust */
    uint64_t n_alerts;  /* times trust fell below the threshold */
    uint64_t first_alert_obs; /* n_obs at the first fall below; 0 if none */
    int below;          /* 1 while an alert is armed off (below, not yet rearmed) */
};

enum trust_change {
    TRUST_SAME = 0,   /* nothing to report */
    TRUST_FELL = 1,   /* trust just fell below the threshold: raise an alert */
    TRUST_REARMED = 2 /* trust came back to threshold + rearm */
};

void trust_params_default(struct trust_params *p);

/*
 * Checks p: every value finite, start and threshold within [TRUST_MIN,
 * TRUST_MAX], reward and penalty in [0, TRUST_STEP_MAX], rearm >= 0.
 * Returns 0, or -1 with the reason in why (why_len bytes).
 */
int trust_params_check(const struct trust_params *p, char *why, unsigned why_len);

void trust_init(struct trust_state *s, const struct trust_params *p);

/*
 * Applies one observation's evidence (clamped to [-1, +1]; NaN is ignored
 * and returns TRUST_SAME without counting). Returns what changed.
 */
enum trust_change trust_update(struct trust_state *s, const struct trust_params *p,
                               double evidence);

#endif
