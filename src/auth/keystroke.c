/* SPDX-License-Identifier: MIT */
/* keystroke: fixed-text typing-rhythm detectors (Killourhy & Maxion, DSN 2009) and EER. */
#include "auth/keystroke.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The three reference detectors that keep one centre and one spread per feature. */
enum simple_kind { SIMPLE_MANHATTAN, SIMPLE_SCALED, SIMPLE_OUTLIER };

struct simple_config {
    enum simple_kind kind;
    bool log_space; /* ln(max(t, KEYSTROKE_LOG_FLOOR_S)) before anything else */
    double z;       /* SIMPLE_OUTLIER: a feature with |z| > this counts */
};

struct simple_model {
    bool log_space;
    double *center; /* d means, in the detector's space */
    double *scale;  /* d spreads: mean absolute deviation, or population sd for outliers */
};

/* Mahalanobis nearest neighbour: whitened training rows. */
struct mahal_model {
    size_t n;
    double *chol; /* d x d lower Cholesky factor of S + ridge * I */
    double *w;    /* n x d training rows times chol^-1 */
};

#define WW_MEMBERS 3

/* wardwatch's detector: three members on winsorized log timings, standardized. */
struct ww_model {
    double *center;            /* d means of winsorized log timings */
    double *mad;               /* d mean absolute deviations (scaled Manhattan member) */
    double *sd;                /* d population sds (outlier-count members) */
    double m_mean[WW_MEMBERS]; /* each member's leave-one-out score mean */
    double m_sd[WW_MEMBERS];   /* and population sd */
};

double keystroke_log_time(double seconds)
{
    return log(seconds > KEYSTROKE_LOG_FLOOR_S ? seconds : KEYSTROKE_LOG_FLOOR_S);
}

static double floor_scale(double s)
{
    return s > KEYSTROKE_SCALE_FLOOR ? s : KEYSTROKE_SCALE_FLOOR;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Median of v[0..n-1], n > 0; sorts v. */
static double median_sort(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    if (n % 2 == 1) {
        return v[n / 2];
    }
    return 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/*
 * Per column j of x (n x d): mean, mean absolute deviation from the mean and the
 * population sd, each spread floored. Any output may be NULL.
 */
static void fit_columns(const double *x, size_t n, size_t d, double *mean, double *mad, double *sd)
{
    for (size_t j = 0; j < d; j++) {
        double m = 0.0;
        double a = 0.0;
        double q = 0.0;

        for (size_t i = 0; i < n; i++) {
            m += x[i * d + j];
        }
        m /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double e = x[i * d + j] - m;

            a += fabs(e);
            q += e * e;
        }
        if (mean != NULL) {
            mean[j] = m;
        }
        if (mad != NULL) {
            mad[j] = floor_scale(a / (double)n);
        }
        if (sd != NULL) {
            sd[j] = floor_scale(sqrt(q / (double)n));
        }
    }
}

/* A copy of x in log space; NULL when out of memory. */
static double *log_copy(const double *x, size_t n, size_t d)
{
    double *t = malloc(n * d * sizeof(*t));

    if (t == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n * d; i++) {
        t[i] = keystroke_log_time(x[i]);
    }
    return t;
}

/*
 * Writes up to n_out reasons, largest |z| first, where z = (v' - center) / scale and
 * v' is v or its log. Returns the count written.
 */
static int top_reasons(const double *v, const double *center, const double *scale, bool log_space,
                       size_t d, struct keystroke_reason *out, size_t n_out)
{
    size_t k = 0;

    if (n_out > KEYSTROKE_EXPLAIN_MAX) {
        n_out = KEYSTROKE_EXPLAIN_MAX;
    }
    for (size_t j = 0; j < d; j++) {
        double x = log_space ? keystroke_log_time(v[j]) : v[j];
        struct keystroke_reason r = {j, v[j], log_space ? exp(center[j]) : center[j],
                                     (x - center[j]) / scale[j]};
        size_t p = k < n_out ? k : n_out;

        /* Insertion into the short sorted list; ties keep the earlier feature. */
        while (p > 0 && fabs(out[p - 1].z) < fabs(r.z)) {
            if (p < n_out) {
                out[p] = out[p - 1];
            }
            p--;
        }
        if (p < n_out) {
            out[p] = r;
            if (k < n_out) {
                k++;
            }
        }
    }
    return (int)k;
}

/* ---- Manhattan, scaled Manhattan and outlier count ---- */

static void simple_release(struct keystroke_detector *det)
{
    struct simple_model *m = det->priv;

    if (m != NULL) {
        free(m->center);
        free(m->scale);
        free(m);
    }
    det->priv = NULL;
}

static int simple_train(struct keystroke_detector *det, const double *x, size_t n, size_t d)
{
    const struct simple_config *cfg = det->ops->config;
    struct simple_model *m = calloc(1, sizeof(*m));
    double *t = NULL;

    if (m == NULL) {
        return -ENOMEM;
    }
    det->priv = m;
    m->log_space = cfg->log_space;
    m->center = malloc(d * sizeof(double));
    m->scale = malloc(d * sizeof(double));
    if (cfg->log_space) {
        t = log_copy(x, n, d);
    }
    if (m->center == NULL || m->scale == NULL || (cfg->log_space && t == NULL)) {
        simple_release(det);
        return -ENOMEM;
    }

    /* Scaled Manhattan divides by the mean absolute deviation, outliers by the sd. */
    if (cfg->kind == SIMPLE_OUTLIER) {
        fit_columns(t != NULL ? t : x, n, d, m->center, NULL, m->scale);
    } else {
        fit_columns(t != NULL ? t : x, n, d, m->center, m->scale, NULL);
    }
    free(t);
    return 0;
}

static int simple_score(const struct keystroke_detector *det, const double *v, double *out)
{
    const struct simple_config *cfg = det->ops->config;
    const struct simple_model *m = det->priv;
    double s = 0.0;

    for (size_t j = 0; j < det->d; j++) {
        double x = m->log_space ? keystroke_log_time(v[j]) : v[j];
        double e = fabs(x - m->center[j]);

        if (cfg->kind == SIMPLE_MANHATTAN) {
            s += e;
        } else if (cfg->kind == SIMPLE_SCALED) {
            s += e / m->scale[j];
        } else if (e / m->scale[j] > cfg->z) {
            s += 1.0;
        }
    }
    *out = s;
    return 0;
}

static int simple_explain(const struct keystroke_detector *det, const double *v,
                          struct keystroke_reason *out, size_t n_out)
{
    const struct simple_config *cfg = det->ops->config;
    const struct simple_model *m = det->priv;

    if (cfg->kind == SIMPLE_MANHATTAN) {
        /* No spread: the deviation itself, in seconds. */
        double one[KEYSTROKE_FEATURES_MAX];

        for (size_t j = 0; j < det->d; j++) {
            one[j] = 1.0;
        }
        return top_reasons(v, m->center, one, m->log_space, det->d, out, n_out);
    }
    return top_reasons(v, m->center, m->scale, m->log_space, det->d, out, n_out);
}

static const struct simple_config cfg_manhattan = {SIMPLE_MANHATTAN, false, 0.0};
static const struct simple_config cfg_scaled = {SIMPLE_SCALED, false, 0.0};
static const struct simple_config cfg_outlier = {SIMPLE_OUTLIER, false, KEYSTROKE_Z_OUTLIER};
static const struct simple_config cfg_scaled_log = {SIMPLE_SCALED, true, 0.0};
static const struct simple_config cfg_outlier_log = {SIMPLE_OUTLIER, true, KEYSTROKE_Z_OUTLIER};
static const struct simple_config cfg_outlier_loose = {SIMPLE_OUTLIER, false,
                                                       KEYSTROKE_Z_OUTLIER_LOOSE};

#define SIMPLE_OPS(n, s, c)                                                                        \
    {                                                                                              \
        n, s, &(c), simple_train, simple_score, simple_explain, simple_release                     \
    }

const struct keystroke_detector_ops keystroke_manhattan =
    SIMPLE_OPS("manhattan", "sum of |t - mean| in seconds", cfg_manhattan);
const struct keystroke_detector_ops keystroke_scaled_manhattan =
    SIMPLE_OPS("scaled-manhattan", "sum of |t - mean| / mean absolute deviation", cfg_scaled);
const struct keystroke_detector_ops keystroke_outlier_count = SIMPLE_OPS(
    "outlier-count", "features with |t - mean| / sd > 1.96 (population sd)", cfg_outlier);
const struct keystroke_detector_ops keystroke_scaled_manhattan_log =
    SIMPLE_OPS("scaled-manhattan-log", "scaled Manhattan on ln(max(t, 1 ms))", cfg_scaled_log);
const struct keystroke_detector_ops keystroke_outlier_count_log =
    SIMPLE_OPS("outlier-count-log", "outlier count (1.96) on ln(max(t, 1 ms))", cfg_outlier_log);

/* wardwatch's members see log timings already: no log_space of their own. */
static const struct keystroke_detector_ops ww_member_ops[WW_MEMBERS] = {
    SIMPLE_OPS("ww-scaled", "member", cfg_scaled),
    SIMPLE_OPS("ww-outlier-1.5", "member", cfg_outlier_loose),
    SIMPLE_OPS("ww-outlier-1.96", "member", cfg_outlier),
};

/* ---- Mahalanobis nearest neighbour ---- */

static void mahal_release(struct keystroke_detector *det)
{
    struct mahal_model *m = det->priv;

    if (m != NULL) {
        free(m->chol);
        free(m->w);
        free(m);
    }
    det->priv = NULL;
}

/* Sample covariance (n - 1) of x into s (d x d); n >= 2. Returns trace(s). */
static double covariance(const double *x, size_t n, size_t d, double *s)
{
    double mean[KEYSTROKE_FEATURES_MAX];
    double trace = 0.0;

    fit_columns(x, n, d, mean, NULL, NULL);
    for (size_t a = 0; a < d; a++) {
        for (size_t b = 0; b <= a; b++) {
            double c = 0.0;

            for (size_t i = 0; i < n; i++) {
                c += (x[i * d + a] - mean[a]) * (x[i * d + b] - mean[b]);
            }
            s[a * d + b] = c / (double)(n - 1);
            s[b * d + a] = s[a * d + b];
        }
        trace += s[a * d + a];
    }
    return trace;
}

/* In-place Cholesky of symmetric a (d x d) into its lower factor. Returns 0 or -EDOM. */
static int cholesky(double *a, size_t d)
{
    for (size_t j = 0; j < d; j++) {
        double p = a[j * d + j];

        for (size_t k = 0; k < j; k++) {
            p -= a[j * d + k] * a[j * d + k];
        }
        if (!(p > 0.0)) {
            return -EDOM;
        }
        a[j * d + j] = sqrt(p);
        for (size_t i = j + 1; i < d; i++) {
            double q = a[i * d + j];

            for (size_t k = 0; k < j; k++) {
                q -= a[i * d + k] * a[j * d + k];
            }
            a[i * d + j] = q / a[j * d + j];
            a[j * d + i] = 0.0;
        }
    }
    return 0;
}

/* y = L^-1 v by forward substitution; L lower triangular d x d. */
static void forward_solve(const double *l, size_t d, const double *v, double *y)
{
    for (size_t i = 0; i < d; i++) {
        double s = v[i];

        for (size_t k = 0; k < i; k++) {
            s -= l[i * d + k] * y[k];
        }
        y[i] = s / l[i * d + i];
    }
}

/*
 * With n <= d the sample covariance S is singular; the ridge S + lambda * I with
 * lambda = KEYSTROKE_MAHAL_RIDGE * trace(S) / d (a thousandth of the mean variance)
 * makes it positive definite while changing well-measured directions little.
 */
static int mahal_train(struct keystroke_detector *det, const double *x, size_t n, size_t d)
{
    struct mahal_model *m;
    double ridge;

    if (n < 2) {
        return -EINVAL;
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return -ENOMEM;
    }
    det->priv = m;
    m->n = n;
    m->chol = malloc(d * d * sizeof(double));
    m->w = malloc(n * d * sizeof(double));
    if (m->chol == NULL || m->w == NULL) {
        mahal_release(det);
        return -ENOMEM;
    }
    ridge = floor_scale(KEYSTROKE_MAHAL_RIDGE * covariance(x, n, d, m->chol) / (double)d);
    for (size_t j = 0; j < d; j++) {
        m->chol[j * d + j] += ridge;
    }
    if (cholesky(m->chol, d) < 0) {
        mahal_release(det);
        return -EDOM;
    }

    /* Distances in whitened space: |L^-1 (v - x_i)| = |L^-1 v - L^-1 x_i|. */
    for (size_t i = 0; i < n; i++) {
        forward_solve(m->chol, d, x + i * d, m->w + i * d);
    }
    return 0;
}

static int mahal_score(const struct keystroke_detector *det, const double *v, double *out)
{
    const struct mahal_model *m = det->priv;
    double y[KEYSTROKE_FEATURES_MAX];
    double best = INFINITY;

    forward_solve(m->chol, det->d, v, y);
    for (size_t i = 0; i < m->n; i++) {
        const double *w = m->w + i * det->d;
        double s = 0.0;

        for (size_t j = 0; j < det->d && s < best; j++) {
            s += (y[j] - w[j]) * (y[j] - w[j]);
        }
        if (s < best) {
            best = s;
        }
    }
    *out = sqrt(best);
    return 0;
}

const struct keystroke_detector_ops keystroke_mahalanobis_nn = {
    "mahalanobis-nn",
    "nearest training sample by Mahalanobis distance (ridge 1e-3)",
    NULL,
    mahal_train,
    mahal_score,
    NULL,
    mahal_release};

/* ---- wardwatch's detector ---- */

static void ww_release(struct keystroke_detector *det)
{
    struct ww_model *m = det->priv;

    if (m != NULL) {
        free(m->center);
        free(m->mad);
        free(m->sd);
        free(m);
    }
    det->priv = NULL;
}

/*
 * Log timings, winsorized per feature so that a few bad enrolment samples cannot
 * widen the profile; three one-class members, each standardized by its own
 * leave-one-out scores on the enrolment so their sum weighs them alike.
 */
static int ww_train(struct keystroke_detector *det, const double *x, size_t n, size_t d)
{
    struct ww_model *m;
    double *t;
    int rc = -ENOMEM;

    if (n < KEYSTROKE_WW_TRAIN_MIN) {
        return -EINVAL;
    }
    m = calloc(1, sizeof(*m));
    t = log_copy(x, n, d);
    det->priv = m;
    if (m == NULL || t == NULL) {
        goto out;
    }
    m->center = malloc(d * sizeof(double));
    m->mad = malloc(d * sizeof(double));
    m->sd = malloc(d * sizeof(double));
    if (m->center == NULL || m->mad == NULL || m->sd == NULL) {
        goto out;
    }
    rc = keystroke_winsorize(t, n, d);
    if (rc < 0) {
        goto out;
    }
    fit_columns(t, n, d, m->center, m->mad, m->sd);
    for (int k = 0; k < WW_MEMBERS && rc == 0; k++) {
        rc = keystroke_loo_stats(&ww_member_ops[k], t, n, d, &m->m_mean[k], &m->m_sd[k]);
    }

out:
    free(t);
    if (rc < 0) {
        ww_release(det);
    }
    return rc;
}

static int ww_score(const struct keystroke_detector *det, const double *v, double *out)
{
    const struct ww_model *m = det->priv;
    double sm = 0.0;
    double loose = 0.0;
    double strict = 0.0;

    for (size_t j = 0; j < det->d; j++) {
        double e = fabs(keystroke_log_time(v[j]) - m->center[j]);
        double z = e / m->sd[j];

        sm += e / m->mad[j];
        loose += z > KEYSTROKE_Z_OUTLIER_LOOSE ? 1.0 : 0.0;
        strict += z > KEYSTROKE_Z_OUTLIER ? 1.0 : 0.0;
    }
    *out = (sm - m->m_mean[0]) / m->m_sd[0] + (loose - m->m_mean[1]) / m->m_sd[1] +
           (strict - m->m_mean[2]) / m->m_sd[2];
    return 0;
}

static int ww_explain(const struct keystroke_detector *det, const double *v,
                      struct keystroke_reason *out, size_t n_out)
{
    const struct ww_model *m = det->priv;

    return top_reasons(v, m->center, m->sd, true, det->d, out, n_out);
}

const struct keystroke_detector_ops keystroke_wardwatch = {
    "wardwatch",
    "log timings, winsorized enrolment, scaled Manhattan + outlier counts (1.5, 1.96) "
    "each standardized by leave-one-out scores",
    NULL,
    ww_train,
    ww_score,
    ww_explain,
    ww_release};

const struct keystroke_detector_ops *const *keystroke_detectors(size_t *n_out)
{
    static const struct keystroke_detector_ops *const all[] = {
        &keystroke_manhattan,      &keystroke_scaled_manhattan,     &keystroke_outlier_count,
        &keystroke_mahalanobis_nn, &keystroke_scaled_manhattan_log, &keystroke_outlier_count_log,
        &keystroke_wardwatch,
    };

    *n_out = sizeof(all) / sizeof(all[0]);
    return all;
}

/* ---- the vtable's callers ---- */

int keystroke_detector_train(struct keystroke_detector *det,
                             const struct keystroke_detector_ops *ops, const double *x, size_t n,
                             size_t d)
{
    int rc;

    if (det == NULL || ops == NULL || x == NULL || n == 0 || n > KEYSTROKE_TRAIN_MAX || d == 0 ||
        d > KEYSTROKE_FEATURES_MAX) {
        return -EINVAL;
    }
    for (size_t i = 0; i < n * d; i++) {
        if (!isfinite(x[i])) {
            return -EINVAL;
        }
    }
    det->ops = ops;
    det->d = d;
    det->priv = NULL;
    rc = ops->train(det, x, n, d);
    if (rc < 0) {
        det->ops = NULL;
        det->priv = NULL;
    }
    return rc;
}

int keystroke_detector_score(const struct keystroke_detector *det, const double *v, double *out)
{
    if (det == NULL || det->ops == NULL || det->priv == NULL || v == NULL || out == NULL) {
        return -EINVAL;
    }
    return det->ops->score(det, v, out);
}

int keystroke_detector_explain(const struct keystroke_detector *det, const double *v,
                               struct keystroke_reason *out, size_t n_out)
{
    if (det == NULL || det->ops == NULL || det->priv == NULL || v == NULL || out == NULL) {
        return -EINVAL;
    }
    if (det->ops->explain == NULL) {
        return -ENOTSUP;
    }
    return det->ops->explain(det, v, out, n_out);
}

void keystroke_detector_release(struct keystroke_detector *det)
{
    if (det != NULL && det->ops != NULL && det->priv != NULL) {
        det->ops->release(det);
    }
    if (det != NULL) {
        det->ops = NULL;
        det->priv = NULL;
    }
}

/* ---- winsorizing, leave-one-out, equal-error rate ---- */

/* Clips column j of x (n x d) at median +- K robust sd; col and dev hold n doubles. */
static void winsorize_column(double *x, size_t n, size_t d, size_t j, double *col, double *dev)
{
    double med;
    double s;
    double mean_ad = 0.0;

    for (size_t i = 0; i < n; i++) {
        col[i] = x[i * d + j];
    }
    med = median_sort(col, n);
    for (size_t i = 0; i < n; i++) {
        dev[i] = fabs(x[i * d + j] - med);
        mean_ad += dev[i];
    }
    s = KEYSTROKE_MAD_TO_SD * median_sort(dev, n);
    if (s == 0.0) {
        /* Over half the values equal (a coarse timer): fall back to the mean deviation. */
        s = KEYSTROKE_MEANAD_TO_SD * mean_ad / (double)n;
    }
    for (size_t i = 0; i < n; i++) {
        double *p = &x[i * d + j];

        if (*p < med - KEYSTROKE_WINSOR_K * s) {
            *p = med - KEYSTROKE_WINSOR_K * s;
        } else if (*p > med + KEYSTROKE_WINSOR_K * s) {
            *p = med + KEYSTROKE_WINSOR_K * s;
        }
    }
}

int keystroke_winsorize(double *x, size_t n, size_t d)
{
    double *col;

    if (x == NULL || n == 0 || n > KEYSTROKE_TRAIN_MAX || d == 0) {
        return -EINVAL;
    }
    col = malloc(2 * n * sizeof(*col));
    if (col == NULL) {
        return -ENOMEM;
    }
    for (size_t j = 0; j < d; j++) {
        winsorize_column(x, n, d, j, col, col + n);
    }
    free(col);
    return 0;
}

int keystroke_loo_stats(const struct keystroke_detector_ops *ops, const double *x, size_t n,
                        size_t d, double *mean, double *sd)
{
    double *rest;
    double sum = 0.0;
    double sq = 0.0;
    int rc = 0;

    if (ops == NULL || x == NULL || n < 3 || n > KEYSTROKE_TRAIN_MAX || d == 0) {
        return -EINVAL;
    }
    rest = malloc((n - 1) * d * sizeof(*rest));
    if (rest == NULL) {
        return -ENOMEM;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct keystroke_detector det = {0};
        double s = 0.0;

        /* Rows before i, then rows after it. */
        memcpy(rest, x, i * d * sizeof(*rest));
        memcpy(rest + i * d, x + (i + 1) * d, (n - 1 - i) * d * sizeof(*rest));
        rc = keystroke_detector_train(&det, ops, rest, n - 1, d);
        if (rc == 0) {
            rc = keystroke_detector_score(&det, x + i * d, &s);
            keystroke_detector_release(&det);
        }
        sum += s;
        sq += s * s;
    }
    free(rest);
    if (rc == 0) {
        double m = sum / (double)n;
        double var = sq / (double)n - m * m;

        *mean = m;
        *sd = floor_scale(sqrt(var > 0.0 ? var : 0.0));
    }
    return rc;
}

struct labelled {
    double score;
    bool genuine;
};

static int cmp_labelled(const void *a, const void *b)
{
    const struct labelled *x = a;
    const struct labelled *y = b;

    return (x->score > y->score) - (x->score < y->score);
}

/*
 * FRR(t) = genuine with score >= t over n_genuine, FAR(t) = impostors with score < t
 * over n_impostor. |FRR - FAR| is compared exactly in integers by cross-multiplying.
 */
static double eer_sweep(const struct labelled *all, size_t n_g, size_t n_i)
{
    size_t n = n_g + n_i;
    size_t g_ge = n_g; /* genuine at or above t */
    size_t i_lt = 0;   /* impostors below t */
    double best_diff = INFINITY;
    double eer = 1.0;

    for (size_t k = 0; k <= n; k++) {
        if (k == n || k == 0 || all[k].score != all[k - 1].score) {
            double frr = (double)g_ge / (double)n_g;
            double far = (double)i_lt / (double)n_i;
            double a = (double)g_ge * (double)n_i;
            double b = (double)i_lt * (double)n_g;
            double diff = a > b ? a - b : b - a;

            if (diff <= best_diff) {
                best_diff = diff;
                eer = 0.5 * (frr + far);
            }
        }
        if (k < n) {
            if (all[k].genuine) {
                g_ge--;
            } else {
                i_lt++;
            }
        }
    }
    return eer;
}

int keystroke_eer(const double *genuine, size_t n_genuine, const double *impostor,
                  size_t n_impostor, double *eer)
{
    struct labelled *all;
    size_t n = n_genuine + n_impostor;

    if (genuine == NULL || impostor == NULL || eer == NULL || n_genuine == 0 || n_impostor == 0 ||
        n_genuine > KEYSTROKE_ROWS_MAX || n_impostor > KEYSTROKE_ROWS_MAX) {
        return -EINVAL;
    }
    all = malloc(n * sizeof(*all));
    if (all == NULL) {
        return -ENOMEM;
    }
    for (size_t k = 0; k < n; k++) {
        all[k].genuine = k < n_genuine;
        all[k].score = k < n_genuine ? genuine[k] : impostor[k - n_genuine];
        if (isnan(all[k].score)) {
            free(all);
            return -EINVAL;
        }
    }
    qsort(all, n, sizeof(*all), cmp_labelled);
    *eer = eer_sweep(all, n_genuine, n_impostor);
    free(all);
    return 0;
}

/* ---- the CMU benchmark's CSV layout ---- */

#define CSV_FIXED_COLS 3 /* subject, sessionIndex, rep */
#define KEYSTROKE_SUBJECTS_MAX 100000

/* A row as read, before rows are grouped by subject. */
struct csv_row {
    size_t subject;
    long session;
    long rep;
    size_t line;
    size_t pos; /* index into the unsorted timings */
};

struct csv_reader {
    const char *path;
    FILE *diag;
    size_t n_cols;   /* columns of the header */
    int *feature_of; /* per column: feature index or -1 */
    char **fields;   /* n_cols + 1 field pointers */
    struct csv_row *rows;
    double *x; /* unsorted timings, n_rows x n_features */
    size_t cap_rows;
    size_t cap_subjects;
};

static bool timing_name(const char *s)
{
    return strncmp(s, "H.", 2) == 0 || strncmp(s, "DD.", 3) == 0 || strncmp(s, "UD.", 3) == 0;
}

/* Cuts line at commas into at most max fields; returns the number there were. */
static size_t csv_split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;

    for (;;) {
        char *c = strchr(p, ',');

        if (n < max) {
            fields[n] = p;
        }
        n++;
        if (c == NULL) {
            return n;
        }
        *c = '\0';
        p = c + 1;
    }
}

/* Drops a trailing newline and carriage return. */
static void csv_chomp(char *line, ssize_t *len)
{
    while (*len > 0 && (line[*len - 1] == '\n' || line[*len - 1] == '\r')) {
        line[--*len] = '\0';
    }
}

static int header_error(struct keystroke_dataset *ds, const char *path, const char *why)
{
    snprintf(ds->error, sizeof(ds->error), "%s:1: %s", path, why);
    return -EINVAL;
}

/* Reads the header's column names: the fixed three, then timing columns. */
static int csv_header(struct csv_reader *r, struct keystroke_dataset *ds, char *line)
{
    static const char *const fixed[CSV_FIXED_COLS] = {"subject", "sessionIndex", "rep"};
    size_t n;

    if (strncmp(line, "\xEF\xBB\xBF", 3) == 0) {
        line += 3; /* a UTF-8 byte order mark */
    }
    n = csv_split(line, r->fields, KEYSTROKE_FEATURES_MAX + CSV_FIXED_COLS + 1);
    if (n > KEYSTROKE_FEATURES_MAX + CSV_FIXED_COLS) {
        return header_error(ds, r->path, "too many columns");
    }
    for (size_t i = 0; i < CSV_FIXED_COLS; i++) {
        if (i >= n || strcmp(r->fields[i], fixed[i]) != 0) {
            return header_error(ds, r->path, "header must start with subject,sessionIndex,rep");
        }
    }
    r->n_cols = n;
    for (size_t i = CSV_FIXED_COLS; i < n; i++) {
        const char *name = r->fields[i];

        r->feature_of[i] = -1;
        if (!timing_name(name)) {
            ds->n_ignored++;
            continue;
        }
        if (strlen(name) >= KEYSTROKE_NAME_LEN) {
            return header_error(ds, r->path, "a timing column's name is too long");
        }
        memcpy(ds->names[ds->n_features], name, strlen(name) + 1);
        r->feature_of[i] = (int)ds->n_features++;
    }
    if (ds->n_features == 0) {
        return header_error(ds, r->path, "no timing columns (named H.*, DD.*, UD.*)");
    }
    return 0;
}

/* A whole-field decimal integer; returns 0 or -1. */
static int parse_long(const char *s, long *out)
{
    char *end;

    errno = 0;
    *out = strtol(s, &end, 10);
    return (errno != 0 || end == s || *end != '\0') ? -1 : 0;
}

/* A whole-field finite number; returns 0 or -1. */
static int parse_seconds(const char *s, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    return (errno != 0 || end == s || *end != '\0' || !isfinite(*out)) ? -1 : 0;
}

static void bad_row(struct csv_reader *r, struct keystroke_dataset *ds, size_t line,
                    const char *why, const char *what)
{
    ds->n_bad++;
    if (r->diag != NULL && ds->n_bad <= KEYSTROKE_BAD_SHOWN) {
        fprintf(r->diag, "%s:%zu: %s%s%.40s%s; row skipped\n", r->path, line, why,
                what != NULL ? " '" : "", what != NULL ? what : "", what != NULL ? "'" : "");
    }
}

/* The subject's index, added when new; -1 when the table of subjects is full. */
static long csv_subject(struct csv_reader *r, struct keystroke_dataset *ds, const char *name)
{
    if (ds->n_subjects > 0 && strcmp(ds->subjects[ds->n_subjects - 1], name) == 0) {
        return (long)ds->n_subjects - 1;
    }
    for (size_t s = 0; s < ds->n_subjects; s++) {
        if (strcmp(ds->subjects[s], name) == 0) {
            return (long)s;
        }
    }
    if (ds->n_subjects == KEYSTROKE_SUBJECTS_MAX) {
        return -1;
    }
    if (ds->n_subjects == r->cap_subjects) {
        size_t cap = r->cap_subjects == 0 ? 64 : 2 * r->cap_subjects;
        void *p = realloc(ds->subjects, cap * sizeof(*ds->subjects));

        if (p == NULL) {
            return -2;
        }
        ds->subjects = p;
        r->cap_subjects = cap;
    }
    memcpy(ds->subjects[ds->n_subjects], name, strlen(name) + 1);
    return (long)ds->n_subjects++;
}

/* Room for one more row; returns 0 or -ENOMEM. */
static int csv_grow(struct csv_reader *r, struct keystroke_dataset *ds)
{
    size_t cap;
    void *p;

    if (ds->n_rows < r->cap_rows) {
        return 0;
    }
    cap = r->cap_rows == 0 ? 256 : 2 * r->cap_rows;
    p = realloc(r->rows, cap * sizeof(*r->rows));
    if (p == NULL) {
        return -ENOMEM;
    }
    r->rows = p;
    p = realloc(r->x, cap * ds->n_features * sizeof(double));
    if (p == NULL) {
        return -ENOMEM;
    }
    r->x = p;
    r->cap_rows = cap;
    return 0;
}

/* Parses one data line into the next row; a bad row is counted and named. */
static int csv_row(struct csv_reader *r, struct keystroke_dataset *ds, char *line, size_t lno)
{
    struct csv_row row = {0, 0, 0, lno, ds->n_rows};
    size_t n = csv_split(line, r->fields, r->n_cols + 1);
    double *x;
    long s;
    char why[96];

    if (n != r->n_cols) {
        snprintf(why, sizeof(why), "%zu columns where the header has %zu", n, r->n_cols);
        bad_row(r, ds, lno, why, NULL);
        return 0;
    }
    if (r->fields[0][0] == '\0' || strlen(r->fields[0]) >= KEYSTROKE_NAME_LEN) {
        bad_row(r, ds, lno, "subject empty or too long", NULL);
        return 0;
    }
    if (parse_long(r->fields[1], &row.session) < 0 || parse_long(r->fields[2], &row.rep) < 0) {
        bad_row(r, ds, lno, "sessionIndex and rep must be whole numbers", NULL);
        return 0;
    }
    if (csv_grow(r, ds) < 0) {
        return -ENOMEM;
    }
    x = r->x + ds->n_rows * ds->n_features;
    for (size_t i = CSV_FIXED_COLS; i < n; i++) {
        if (r->feature_of[i] >= 0 && parse_seconds(r->fields[i], &x[r->feature_of[i]]) < 0) {
            snprintf(why, sizeof(why), "column %zu (%s) is not a number:", i + 1,
                     ds->names[r->feature_of[i]]);
            bad_row(r, ds, lno, why, r->fields[i]);
            return 0;
        }
    }
    s = csv_subject(r, ds, r->fields[0]);
    if (s == -2) {
        return -ENOMEM;
    }
    if (s < 0) {
        bad_row(r, ds, lno, "too many subjects", NULL);
        return 0;
    }
    row.subject = (size_t)s;
    r->rows[ds->n_rows++] = row;
    return 0;
}

static int cmp_row(const void *a, const void *b)
{
    const struct csv_row *x = a;
    const struct csv_row *y = b;

    if (x->subject != y->subject) {
        return x->subject < y->subject ? -1 : 1;
    }
    if (x->session != y->session) {
        return x->session < y->session ? -1 : 1;
    }
    if (x->rep != y->rep) {
        return x->rep < y->rep ? -1 : 1;
    }
    return (x->line > y->line) - (x->line < y->line);
}

/* Groups rows by subject in (session, rep, line) order into ds. */
static int csv_finish(struct csv_reader *r, struct keystroke_dataset *ds)
{
    size_t d = ds->n_features;

    qsort(r->rows, ds->n_rows, sizeof(*r->rows), cmp_row);
    ds->x = malloc(ds->n_rows * d * sizeof(double));
    ds->subject_first = calloc(ds->n_subjects, sizeof(size_t));
    ds->subject_rows = calloc(ds->n_subjects, sizeof(size_t));
    if (ds->x == NULL || ds->subject_first == NULL || ds->subject_rows == NULL) {
        return -ENOMEM;
    }
    for (size_t i = ds->n_rows; i-- > 0;) {
        const struct csv_row *row = &r->rows[i];

        memcpy(ds->x + i * d, r->x + row->pos * d, d * sizeof(double));
        ds->subject_first[row->subject] = i;
        ds->subject_rows[row->subject]++;
    }
    return 0;
}

/* Reads every data line after the header. */
static int csv_body(struct csv_reader *r, struct keystroke_dataset *ds, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;

    for (size_t lno = 2; rc == 0 && (len = getline(&line, &cap, f)) >= 0; lno++) {
        csv_chomp(line, &len);
        if (len == 0) {
            continue;
        }
        if (len > KEYSTROKE_LINE_MAX) {
            bad_row(r, ds, lno, "line too long", NULL);
        } else if (ds->n_rows == KEYSTROKE_ROWS_MAX) {
            snprintf(ds->error, sizeof(ds->error), "%s:%zu: more than %d rows", r->path, lno,
                     KEYSTROKE_ROWS_MAX);
            rc = -EFBIG;
        } else {
            rc = csv_row(r, ds, line, lno);
        }
    }
    if (rc == 0 && ferror(f)) {
        rc = -EIO;
        snprintf(ds->error, sizeof(ds->error), "%s: read error", r->path);
    }
    free(line);
    return rc;
}

/* Opens path and reads its header; returns the open file or NULL with *rc set. */
static FILE *csv_open(struct csv_reader *r, struct keystroke_dataset *ds, int *rc)
{
    FILE *f = fopen(r->path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;

    if (f == NULL) {
        *rc = -errno;
        snprintf(ds->error, sizeof(ds->error), "cannot read %s: %s", r->path, strerror(errno));
        return NULL;
    }
    len = getline(&line, &cap, f);
    if (len < 0) {
        *rc = header_error(ds, r->path, "empty file, no header");
    } else if (len > KEYSTROKE_LINE_MAX) {
        *rc = header_error(ds, r->path, "header line too long");
    } else {
        csv_chomp(line, &len);
        *rc = csv_header(r, ds, line);
    }
    free(line);
    if (*rc < 0) {
        fclose(f);
        return NULL;
    }
    return f;
}

int keystroke_dataset_load(const char *path, struct keystroke_dataset *ds, FILE *diag)
{
    struct csv_reader r = {path, diag, 0, NULL, NULL, NULL, NULL, 0, 0};
    FILE *f = NULL;
    int rc = -ENOMEM;

    memset(ds, 0, sizeof(*ds));
    r.feature_of = malloc((KEYSTROKE_FEATURES_MAX + CSV_FIXED_COLS + 1) * sizeof(int));
    r.fields = malloc((KEYSTROKE_FEATURES_MAX + CSV_FIXED_COLS + 1) * sizeof(char *));
    ds->names = malloc(KEYSTROKE_FEATURES_MAX * sizeof(*ds->names));
    if (r.feature_of == NULL || r.fields == NULL || ds->names == NULL) {
        goto out;
    }
    f = csv_open(&r, ds, &rc);
    if (f == NULL) {
        goto out;
    }
    rc = csv_body(&r, ds, f);
    if (rc == 0 && ds->n_bad > KEYSTROKE_BAD_SHOWN && diag != NULL) {
        fprintf(diag, "%s: %zu bad rows in all; the first %d are named above\n", path, ds->n_bad,
                KEYSTROKE_BAD_SHOWN);
    }
    if (rc == 0 && ds->n_rows == 0) {
        rc = -ENODATA;
        snprintf(ds->error, sizeof(ds->error), "%s: no usable rows (%zu bad)", path, ds->n_bad);
    }
    if (rc == 0) {
        rc = csv_finish(&r, ds);
    }

out:
    if (rc == -ENOMEM) {
        snprintf(ds->error, sizeof(ds->error), "%s: out of memory", path);
    }
    if (f != NULL) {
        fclose(f);
    }
    free(r.feature_of);
    free(r.fields);
    free(r.rows);
    free(r.x);
    return rc;
}

void keystroke_dataset_free(struct keystroke_dataset *ds)
{
    if (ds == NULL) {
        return;
    }
    free(ds->names);
    free(ds->x);
    free(ds->subjects);
    free(ds->subject_first);
    free(ds->subject_rows);
    ds->names = NULL;
    ds->x = NULL;
    ds->subjects = NULL;
    ds->subject_first = NULL;
    ds->subject_rows = NULL;
}
