/* SPDX-License-Identifier: MIT */
/* afterimage: the damped statistics defined in afterimage.h. */
#include "detect/afterimage.h"

#include <math.h>

static double damping(double lambda, double dt)
{
    return dt > 0 ? exp2(-lambda * dt) : 1.0;
}

void ai_stat_decay(struct ai_stat *s, double lambda, double t)
{
    double d = damping(lambda, t - s->t);

    if (t > s->t) {
        s->w *= d;
        s->ls *= d;
        s->ss *= d;
        s->t = t;
    }
}

void ai_stat_update(struct ai_stat *s, double lambda, double t, double x)
{
    ai_stat_decay(s, lambda, t);
    s->w += 1;
    s->ls += x;
    s->ss += x * x;
}

double ai_stat_mean(const struct ai_stat *s)
{
    return s->w > 0 ? s->ls / s->w : 0.0;
}

double ai_stat_var(const struct ai_stat *s)
{
    double mean = ai_stat_mean(s);

    return s->w > 0 ? fabs(s->ss / s->w - mean * mean) : 0.0;
}

double ai_stat_std(const struct ai_stat *s)
{
    return sqrt(ai_stat_var(s));
}

void ai_pair_update(struct ai_pair *p, double lambda, double t, int side,
                    const struct ai_stat *self, double x)
{
    double d = damping(lambda, t - p->t);
    double r;

    if (t > p->t) {
        p->sr *= d;
        p->res[0] *= d;
        p->res[1] *= d;
        p->t = t;
    }
    r = x - ai_stat_mean(self);
    p->sr += r * p->res[!side];
    p->res[side] = r;
}

void ai_pair_features(const struct ai_pair *p, const struct ai_stat *a, const struct ai_stat *b,
                      double out[4])
{
    double ma = ai_stat_mean(a), mb = ai_stat_mean(b);
    double va = ai_stat_var(a), vb = ai_stat_var(b);
    double w = a->w + b->w;
    double cov = w > 0 ? p->sr / w : 0.0;
    double sd = sqrt(va) * sqrt(vb);

    out[0] = sqrt(ma * ma + mb * mb);
    out[1] = sqrt(va + vb);
    out[2] = cov;
    /* SR / (w_a + w_b) only approximates the covariance: keep the ratio a correlation. */
    out[3] = sd > 0 ? fmax(-1.0, fmin(1.0, cov / sd)) : 0.0;
}
