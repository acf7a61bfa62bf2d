/* SPDX-License-Identifier: MIT */
/* trust: penalty-and-reward trust score per session, shared by every modality. */
#include "auth/trust.h"

#include <math.h>
#include <stdio.h>

void trust_params_default(struct trust_params *p)
{
    p->start = TRUST_START_DEFAULT;
    p->threshold = TRUST_THRESHOLD_DEFAULT;
    p->rearm = TRUST_REARM_DEFAULT;
    p->reward = TRUST_REWARD_DEFAULT;
    p->penalty = TRUST_PENALTY_DEFAULT;
}

static int in_range(double v, double lo, double hi)
{
    return isfinite(v) && v >= lo && v <= hi;
}

int trust_params_check(const struct trust_params *p, char *why, unsigned why_len)
{
    if (!in_range(p->start, TRUST_MIN, TRUST_MAX)) {
        snprintf(why, why_len, "start trust %g is outside 0..100", p->start);
        return -1;
    }
    if (!in_range(p->threshold, TRUST_MIN, TRUST_MAX)) {
        snprintf(why, why_len, "threshold %g is outside 0..100", p->threshold);
        return -1;
    }
    if (!in_range(p->reward, 0.0, TRUST_STEP_MAX) ||
        !in_range(p->penalty, 0.0, TRUST_STEP_MAX)) {
        snprintf(why, why_len, "reward %g and penalty %g must be within 0..%g", p->reward,
                 p->penalty, TRUST_STEP_MAX);
        return -1;
    }
    if (!in_range(p->rearm, 0.0, TRUST_MAX)) {
        snprintf(why, why_len, "rearm margin %g is outside 0..100", p->rearm);
        return -1;
    }
    return 0;
}

void trust_init(struct trust_state *s, const struct trust_params *p)
{
    s->trust = p->start;
    s->lowest = p->start;
    s->n_obs = 0;
    s->n_alerts = 0;
    s->first_alert_obs = 0;
    s->below = 0;
}

enum trust_change trust_update(struct trust_state *s, const struct trust_params *p,
                               double evidence)
{
    double e = evidence;

    if (isnan(e)) {
        return TRUST_SAME;
    }
    e = e > 1.0 ? 1.0 : (e < -1.0 ? -1.0 : e);
    s->n_obs++;

    /* Asymmetric steps: atypical evidence costs more than typical evidence earns. */
    s->trust += e > 0.0 ? e * p->reward : e * p->penalty;
    s->trust = s->trust > TRUST_MAX ? TRUST_MAX : (s->trust < TRUST_MIN ? TRUST_MIN : s->trust);
    if (s->trust < s->lowest) {
        s->lowest = s->trust;
    }

    if (!s->below && s->trust < p->threshold) {
        s->below = 1;
        s->n_alerts++;
        if (s->first_alert_obs == 0) {
            s->first_alert_obs = s->n_obs;
        }
        return TRUST_FELL;
    }
    if (s->below && s->trust >= fmin(p->threshold + p->rearm, TRUST_MAX)) {
        s->below = 0;
        return TRUST_REARMED;
    }
    return TRUST_SAME;
}
