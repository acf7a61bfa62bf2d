/* SPDX-License-Identifier: MIT */
/* kitnet: the autoencoder ensemble described in kitnet.h. */
#include "detect/kitnet.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KITNET_HIDDEN_RATIO 0.75
#define KITNET_SCORE_MIN 1e-12 /* scores are logged: none is taken as smaller */
#define KITNET_RANGE_MIN 1e-12f
#define KITNET_BLOCK 256 /* training scores are summed in blocks of this many vectors */

struct kitnet {
    struct kitnet_config cfg;
    enum kitnet_phase phase;
    bool failed;    /* memory ran out building the groups: every score is 0 */
    uint64_t seen;  /* vectors in the current phase */
    uint64_t rng;

    /* mapping: running means and co-moments of every pair (n * n) */
    double *mean, *comoment;

    /* groups and their autoencoders */
    uint32_t n_groups;
    uint32_t *members;  /* features of all groups, group after group */
    uint32_t *first;    /* n_groups + 1 offsets into members */
    struct autoencoder *ae;
    struct autoencoder out;
    float *raw;         /* a group's raw inputs, then the errors for the output */
    float *batch_raw;   /* a batch's features as columns: feature i of vector b at i * B + b */
    float *batch_errors; /* the groups' errors, as columns likewise */
    float *errors;      /* the groups' errors for the last vector */
    double *train_error; /* sum of each group's error in training's later half */
    float *ratios;      /* kitnet_group_ratios' answer */
    bool last_batch;    /* the last scores came from kitnet_score_batch */

    /*
     * The threshold: ln(score) summed per block of training (count, sum,
     * sum of squares), so that the later half can be taken however long
     * training lasts; or, once scoring or loaded, the later half's sums.
     */
    double *blocks;
    size_t n_blocks, cap_blocks;
    uint64_t n_scores;
    double sum_log, sum_log2;
    double mu, sigma, threshold;
};

/* ---- numbers ------------------------------------------------------------- */

static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [-a, a]. */
static float uniform(uint64_t *s, float a)
{
    return (float)((double)(next_random(s) >> 11) / 9007199254740992.0 * 2 - 1) * a;
}

/*
 * 2^f for |f| <= 1/2: the first eight terms of the series of e^(f ln 2)
 * (relative error below 6e-9, under float's own), by Horner's rule. f may
 * be a float or a vector of them: exp2_fast and sigmoid_lanes share it.
 */
#define EXP2_SERIES(f)                                                                        \
    (((((((1.5252734e-05f * (f) + 0.00015403530f) * (f) + 0.0013333558f) * (f) +             \
          0.0096181291f) * (f) + 0.055504109f) * (f) + 0.24022651f) * (f) + 0.69314718f) *    \
             (f) + 1.0f)
#define EXP2_ROUND 12582912.0f /* 1.5 * 2^23: adding it rounds a float to an integer */

/* 2^t: t = i + f with i the nearest integer; 2^f by EXP2_SERIES, 2^i into the exponent bits. */
static inline float exp2_fast(float t)
{
    const float round = EXP2_ROUND;
    float r, f, p;
    union {
        float f;
        int32_t i;
    } scale;

    t = t < -126.0f ? -126.0f : t > 126.0f ? 126.0f : t;
    r = (t + round) - round;
    f = t - r;
    p = EXP2_SERIES(f);
    scale.i = ((int32_t)r + 127) * (1 << 23);
    return p * scale.f;
}

/* v[i] = 1 / (1 + e^-v[i]), in place; a loop the compiler can vectorize. */
static void sigmoid_all(float *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        v[i] = 1.0f / (1.0f + exp2_fast(-v[i] * 1.44269504f));
    }
}

double kitnet_normal_quantile(double p)
{
    double lo = 0, hi = 40;

    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;

        if (0.5 * erfc(mid / sqrt(2.0)) > p) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return (lo + hi) / 2;
}

/* ---- one autoencoder ----------------------------------------------------- */

/* Room for count rows of KITNET_BATCH floats, aligned for the vector type. */
static float *lanes_alloc(uint32_t count)
{
    size_t bytes = (size_t)count * KITNET_BATCH * sizeof(float);
    float *p = aligned_alloc(KITNET_BATCH * sizeof(float), bytes > 0 ? bytes : 32);

    if (p != NULL) {
        memset(p, 0, bytes);
    }
    return p;
}

static int ae_alloc(struct autoencoder *ae, uint32_t n, uint32_t m)
{
    ae->n = n;
    ae->m = m;
    ae->w = calloc((size_t)n * m, sizeof(float));
    ae->wt = calloc((size_t)n * m, sizeof(float));
    ae->hbias = calloc(m, sizeof(float));
    ae->vbias = calloc(n, sizeof(float));
    ae->lo = calloc(n, sizeof(float));
    ae->hi = calloc(n, sizeof(float));
    ae->x = calloc(n, sizeof(float));
    ae->h = calloc(m, sizeof(float));
    ae->z = calloc(n, sizeof(float));
    ae->bx = lanes_alloc(n);
    ae->bh = lanes_alloc(m);
    ae->bz = lanes_alloc(n);
    if (ae->w == NULL || ae->wt == NULL || ae->hbias == NULL || ae->vbias == NULL ||
        ae->lo == NULL || ae->hi == NULL || ae->x == NULL || ae->h == NULL || ae->z == NULL ||
        ae->bx == NULL || ae->bh == NULL || ae->bz == NULL) {
        ae_free(ae);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        ae->lo[i] = FLT_MAX;
        ae->hi[i] = -FLT_MAX;
    }
    return 0;
}

int ae_init(struct autoencoder *ae, uint32_t n, uint32_t m, float rate, uint64_t *seed)
{
    if (ae_alloc(ae, n, m) < 0) {
        return -1;
    }
    ae->rate = rate;
    for (size_t i = 0; i < (size_t)n * m; i++) {
        ae->w[i] = uniform(seed, 1.0f / (float)n);
    }
    ae_sync(ae);
    return 0;
}

void ae_sync(struct autoencoder *ae)
{
    for (uint32_t i = 0; i < ae->n; i++) {
        for (uint32_t j = 0; j < ae->m; j++) {
            ae->wt[(size_t)j * ae->n + i] = ae->w[(size_t)i * ae->m + j];
        }
    }
}

void ae_free(struct autoencoder *ae)
{
    free(ae->w);
    free(ae->wt);
    free(ae->hbias);
    free(ae->vbias);
    free(ae->lo);
    free(ae->hi);
    free(ae->x);
    free(ae->h);
    free(ae->z);
    free(ae->bx);
    free(ae->bh);
    free(ae->bz);
    memset(ae, 0, sizeof(*ae));
}

void ae_scale(struct autoencoder *ae, const float *raw, bool learn)
{
    for (uint32_t i = 0; i < ae->n; i++) {
        float range;

        if (learn) {
            ae->lo[i] = raw[i] < ae->lo[i] ? raw[i] : ae->lo[i];
            ae->hi[i] = raw[i] > ae->hi[i] ? raw[i] : ae->hi[i];
        }
        range = ae->hi[i] - ae->lo[i];
        ae->x[i] = range > KITNET_RANGE_MIN ? (raw[i] - ae->lo[i]) / range : 0.0f;
    }
}

/* Each loop runs along contiguous memory: the encoder by w's rows, the decoder by wt's. */
float ae_forward(struct autoencoder *ae)
{
    const uint32_t n = ae->n, m = ae->m;
    float *restrict h = ae->h, *restrict z = ae->z;
    const float *restrict x = ae->x;
    float sq = 0;

    memcpy(h, ae->hbias, m * sizeof(float));
    for (uint32_t i = 0; i < n; i++) {
        const float *restrict row = ae->w + (size_t)i * m;

        for (uint32_t j = 0; j < m; j++) {
            h[j] += x[i] * row[j];
        }
    }
    sigmoid_all(h, m);
    memcpy(z, ae->vbias, n * sizeof(float));
    for (uint32_t j = 0; j < m; j++) {
        const float *restrict col = ae->wt + (size_t)j * n;

        for (uint32_t i = 0; i < n; i++) {
            z[i] += col[i] * h[j];
        }
    }
    sigmoid_all(z, n);
    for (uint32_t i = 0; i < n; i++) {
        sq += (x[i] - z[i]) * (x[i] - z[i]);
    }
    return sqrtf(sq / (float)n);
}

/*
 * With output error e = x - z: the hidden error d_j = h_j (1 - h_j) sum_i
 * e_i w_ij; then w_ij += rate (x_i d_j + e_i h_j) (the encoder's and the
 * tied decoder's part), hbias += rate d, vbias += rate e.
 */
void ae_backward(struct autoencoder *ae)
{
    const uint32_t n = ae->n, m = ae->m;
    float d[m > 0 ? m : 1];

    for (uint32_t j = 0; j < m; j++) {
        d[j] = 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        const float *row = ae->w + (size_t)i * m;
        float e = ae->x[i] - ae->z[i];

        for (uint32_t j = 0; j < m; j++) {
            d[j] += e * row[j];
        }
    }
    for (uint32_t j = 0; j < m; j++) {
        d[j] *= ae->h[j] * (1 - ae->h[j]);
    }
    for (uint32_t i = 0; i < n; i++) {
        float *row = ae->w + (size_t)i * m;
        float e = ae->x[i] - ae->z[i];

        for (uint32_t j = 0; j < m; j++) {
            row[j] += ae->rate * (ae->x[i] * d[j] + e * ae->h[j]);
        }
        ae->vbias[i] += ae->rate * e;
    }
    for (uint32_t j = 0; j < m; j++) {
        ae->hbias[j] += ae->rate * d[j];
    }
    ae_sync(ae);
}

/*
 * Scales a batch into bx by the training range: input i of vector b is
 * cols[pick[i] * KITNET_BATCH + b] (pick NULL: input i is column i).
 */
static inline __attribute__((always_inline)) void
ae_scale_batch(struct autoencoder *ae, const float *cols, const uint32_t *pick)
{
    for (uint32_t i = 0; i < ae->n; i++) {
        const float *col = cols + (size_t)(pick != NULL ? pick[i] : i) * KITNET_BATCH;
        float range = ae->hi[i] - ae->lo[i];
        float inv = range > KITNET_RANGE_MIN ? 1.0f / range : 0.0f;

        for (uint32_t b = 0; b < KITNET_BATCH; b++) {
            ae->bx[i * KITNET_BATCH + b] = (col[b] - ae->lo[i]) * inv;
        }
    }
}

/* ---- a batch: one vector per lane ---------------------------------------- */

typedef float lanes __attribute__((vector_size(KITNET_BATCH * sizeof(float))));
typedef int32_t ilanes __attribute__((vector_size(KITNET_BATCH * sizeof(int32_t))));

/*
 * The lanes' helpers work in place through pointers: a 32-byte vector
 * passed by value would depend on whether the build has AVX.
 */
static inline __attribute__((always_inline)) void splat(lanes *out, float v)
{
    for (int b = 0; b < KITNET_BATCH; b++) {
        (*out)[b] = v;
    }
}

/* 1 / (1 + e^-v) on every lane, by exp2_fast's method; the clamp by masks. */
static inline __attribute__((always_inline)) void sigmoid_lanes(lanes *v)
{
    lanes lo, hi, round, r, f, p, t = *v * -1.44269504f;
    ilanes below, above, bits, e;

    splat(&lo, -126.0f);
    splat(&hi, 126.0f);
    splat(&round, EXP2_ROUND);
    below = t < lo;
    above = t > hi;
    bits = ((ilanes)t & ~below & ~above) | ((ilanes)lo & below) | ((ilanes)hi & above);
    t = (lanes)bits;
    r = (t + round) - round;
    f = t - r;
    p = EXP2_SERIES(f);
    e = (__builtin_convertvector(r, ilanes) + 127) * (1 << 23);
    *v = 1.0f / (1.0f + p * (lanes)e);
}

/* As ae_forward, for KITNET_BATCH vectors side by side, one per lane; errors into err. */
static inline __attribute__((always_inline)) void ae_forward_batch(struct autoencoder *ae,
                                                                   float *err)
{
    const uint32_t n = ae->n, m = ae->m;
    lanes *h = (lanes *)ae->bh, *z = (lanes *)ae->bz, sq;
    const lanes *x = (const lanes *)ae->bx;

    splat(&sq, 0);
    for (uint32_t j = 0; j < m; j++) {
        splat(&h[j], ae->hbias[j]);
    }
    for (uint32_t i = 0; i < n; i++) {
        const float *row = ae->w + (size_t)i * m;

        for (uint32_t j = 0; j < m; j++) {
            h[j] += row[j] * x[i];
        }
    }
    for (uint32_t j = 0; j < m; j++) {
        sigmoid_lanes(&h[j]);
    }
    for (uint32_t i = 0; i < n; i++) {
        const float *row = ae->w + (size_t)i * m;

        splat(&z[i], ae->vbias[i]);
        for (uint32_t j = 0; j < m; j++) {
            z[i] += row[j] * h[j];
        }
        sigmoid_lanes(&z[i]);
        sq += (x[i] - z[i]) * (x[i] - z[i]);
    }
    for (int b = 0; b < KITNET_BATCH; b++) {
        err[b] = sqrtf(sq[b] / (float)n);
    }
}

static uint32_t hidden_units(uint32_t n)
{
    uint32_t m = (uint32_t)ceil(KITNET_HIDDEN_RATIO * n);

    return m > 0 ? m : 1;
}

/* ---- the feature map ----------------------------------------------------- */

/* Welford's update of the means and co-moments. */
static void map_update(struct kitnet *k, const float *x)
{
    const uint32_t n = k->cfg.n_features;
    double delta[n];

    k->seen++;
    for (uint32_t i = 0; i < n; i++) {
        delta[i] = x[i] - k->mean[i];
        k->mean[i] += delta[i] / (double)k->seen;
    }
    for (uint32_t i = 0; i < n; i++) {
        double *row = k->comoment + (size_t)i * n;

        for (uint32_t j = 0; j < n; j++) {
            row[j] += delta[i] * (x[j] - k->mean[j]);
        }
    }
}

/* 1 - |r| of features i and j; 1 when either never varied. */
static double distance(const struct kitnet *k, uint32_t i, uint32_t j)
{
    const uint32_t n = k->cfg.n_features;
    double vi = k->comoment[(size_t)i * n + i], vj = k->comoment[(size_t)j * n + j];

    if (vi <= 0 || vj <= 0) {
        return 1.0;
    }
    return 1.0 - fabs(k->comoment[(size_t)i * n + j]) / sqrt(vi * vj);
}

struct tree {
    int32_t *left, *right; /* children of node n.. 2n-2; leaves are 0 .. n-1 */
    uint32_t *size;
};

/* Single linkage, naively: merge the two closest clusters until one is left. */
static int build_tree(const struct kitnet *k, struct tree *t)
{
    const uint32_t n = k->cfg.n_features;
    double *d = malloc((size_t)n * n * sizeof(double));
    int32_t *node = malloc(n * sizeof(int32_t)); /* the tree node of each active cluster */
    uint32_t active = n;

    if (d == NULL || node == NULL) {
        free(d);
        free(node);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        node[i] = (int32_t)i;
        t->size[i] = 1;
        for (uint32_t j = 0; j < n; j++) {
            d[(size_t)i * n + j] = distance(k, i, j);
        }
    }
    for (uint32_t step = 0; active > 1; step++) {
        uint32_t a = 0, b = 1;

        for (uint32_t i = 0; i < active; i++) {
            for (uint32_t j = i + 1; j < active; j++) {
                if (d[(size_t)i * n + j] < d[(size_t)a * n + b]) {
                    a = i, b = j;
                }
            }
        }
        uint32_t made = n + step;

        t->left[made - n] = node[a];
        t->right[made - n] = node[b];
        t->size[made] = t->size[node[a]] + t->size[node[b]];
        for (uint32_t j = 0; j < active; j++) { /* a becomes the merged cluster */
            double m = fmin(d[(size_t)a * n + j], d[(size_t)b * n + j]);

            d[(size_t)a * n + j] = d[(size_t)j * n + a] = m;
        }
        node[a] = (int32_t)made;
        active--;
        for (uint32_t j = 0; j < active + 1; j++) { /* the last cluster moves into b */
            d[(size_t)b * n + j] = d[(size_t)active * n + j];
            d[(size_t)j * n + b] = d[(size_t)j * n + active];
        }
        d[(size_t)b * n + b] = 0;
        node[b] = node[active];
    }
    free(d);
    free(node);
    return 0;
}

/* Lists the leaves under a node into members. */
static void leaves(const struct tree *t, uint32_t n, int32_t v, uint32_t *members, uint32_t *len)
{
    if (v < (int32_t)n) {
        members[(*len)++] = (uint32_t)v;
        return;
    }
    leaves(t, n, t->left[v - (int32_t)n], members, len);
    leaves(t, n, t->right[v - (int32_t)n], members, len);
}

/* Cuts the tree top-down: a node of at most max_group leaves becomes a group. */
static void cut(struct kitnet *k, const struct tree *t, int32_t v, uint32_t *len)
{
    const uint32_t n = k->cfg.n_features;

    if (t->size[v] <= k->cfg.max_group) {
        k->first[k->n_groups++] = *len;
        leaves(t, n, v, k->members, len);
        return;
    }
    cut(k, t, t->left[v - (int32_t)n], len);
    cut(k, t, t->right[v - (int32_t)n], len);
}

/*
 * Single linkage chains: cutting its tree leaves many groups of one or two
 * features. Groups next to each other in the tree's order are joined while
 * the join holds at most max_group features.
 */
static void merge_small_groups(struct kitnet *k)
{
    uint32_t kept = 0;

    for (uint32_t g = 1; g <= k->n_groups; g++) {
        bool last = g == k->n_groups;

        if (last || k->first[g + 1] - k->first[kept] > k->cfg.max_group) {
            k->first[++kept] = k->first[g];
        }
    }
    k->n_groups = kept;
}

static int make_groups(struct kitnet *k)
{
    const uint32_t n = k->cfg.n_features;
    struct tree t = {malloc(n * sizeof(int32_t)), malloc(n * sizeof(int32_t)),
                     malloc(2 * n * sizeof(uint32_t))};
    uint32_t len = 0;
    int rc = -1;

    k->members = malloc(n * sizeof(uint32_t));
    k->first = malloc((n + 1) * sizeof(uint32_t));
    if (t.left != NULL && t.right != NULL && t.size != NULL && k->members != NULL &&
        k->first != NULL && build_tree(k, &t) == 0) {
        cut(k, &t, (int32_t)(2 * n - 2), &len);
        k->first[k->n_groups] = len;
        merge_small_groups(k);
        rc = 0;
    }
    free(t.left);
    free(t.right);
    free(t.size);
    return rc;
}

static int make_autoencoders(struct kitnet *k)
{
    k->ae = calloc(k->n_groups, sizeof(*k->ae));
    k->errors = calloc(k->n_groups, sizeof(float));
    k->ratios = calloc(k->n_groups, sizeof(float));
    k->train_error = calloc(k->n_groups, sizeof(double));
    k->batch_errors = calloc((size_t)k->n_groups * KITNET_BATCH, sizeof(float));
    if (k->ae == NULL || k->errors == NULL || k->ratios == NULL || k->train_error == NULL ||
        k->batch_errors == NULL) {
        return -1;
    }
    for (uint32_t g = 0; g < k->n_groups; g++) {
        uint32_t size = k->first[g + 1] - k->first[g];

        if (ae_init(&k->ae[g], size, hidden_units(size), k->cfg.rate, &k->rng) < 0) {
            return -1;
        }
    }
    return ae_init(&k->out, k->n_groups, hidden_units(k->n_groups), k->cfg.rate, &k->rng);
}

/* ---- the phases ---------------------------------------------------------- */

/* Runs the ensemble on x; learns when training. Returns the output's error. */
static float ensemble(struct kitnet *k, const float *x, bool learn)
{
    for (uint32_t g = 0; g < k->n_groups; g++) {
        struct autoencoder *ae = &k->ae[g];

        for (uint32_t i = 0; i < ae->n; i++) {
            k->raw[i] = x[k->members[k->first[g] + i]];
        }
        ae_scale(ae, k->raw, learn);
        k->errors[g] = ae_forward(ae);
        if (learn) {
            ae_backward(ae);
        }
    }
    ae_scale(&k->out, k->errors, learn);
    float score = ae_forward(&k->out);

    if (learn) {
        ae_backward(&k->out);
    }
    return score;
}

/* Sums the blocks of the later half of training (and what a loaded model had) into n_scores. */
static void later_half(struct kitnet *k)
{
    for (size_t b = k->n_blocks / 2; b < k->n_blocks; b++) {
        k->n_scores += (uint64_t)k->blocks[3 * b];
        k->sum_log += k->blocks[3 * b + 1];
        k->sum_log2 += k->blocks[3 * b + 2];
    }
    k->n_blocks = 0;
}

static void finish_training(struct kitnet *k)
{
    double n, var;

    later_half(k);
    n = (double)(k->n_scores > 0 ? k->n_scores : 1);
    var = k->sum_log2 / n - (k->sum_log / n) * (k->sum_log / n);

    k->mu = k->sum_log / n;
    k->sigma = var > 0 ? sqrt(var) : 0;
    k->threshold = exp(k->mu + kitnet_normal_quantile(k->cfg.false_alarm) * k->sigma);
    for (uint32_t g = 0; g < k->n_groups; g++) {
        k->train_error[g] /= (double)(k->seen > 0 ? k->seen : 1);
    }
    k->phase = KITNET_SCORING;
    k->seen = 0;
}

static float train(struct kitnet *k, const float *x)
{
    float score = ensemble(k, x, true);

    double l = log(score > KITNET_SCORE_MIN ? score : KITNET_SCORE_MIN);
    size_t b = k->seen / KITNET_BLOCK;

    if (b >= k->cap_blocks) {
        size_t cap = k->cap_blocks ? 2 * k->cap_blocks : 64;
        double *nb = realloc(k->blocks, 3 * cap * sizeof(double));

        if (nb == NULL) {
            finish_training(k); /* no room to learn the threshold further: stop here */
            return score;
        }
        memset(nb + 3 * k->cap_blocks, 0, 3 * (cap - k->cap_blocks) * sizeof(double));
        k->blocks = nb;
        k->cap_blocks = cap;
    }
    k->n_blocks = b + 1;
    k->blocks[3 * b] += 1;
    k->blocks[3 * b + 1] += l;
    k->blocks[3 * b + 2] += l * l;
    for (uint32_t g = 0; g < k->n_groups; g++) {
        k->train_error[g] += k->errors[g];
    }
    k->seen++;
    if (k->seen >= k->cfg.train_grace) {
        finish_training(k);
    }
    return score;
}

static int finish_mapping(struct kitnet *k)
{
    if (make_groups(k) < 0 || make_autoencoders(k) < 0) {
        return -1;
    }
    free(k->comoment);
    k->comoment = NULL;
    k->phase = k->cfg.train_grace > 0 ? KITNET_TRAINING : KITNET_SCORING;
    k->seen = 0;
    return 0;
}

float kitnet_process(struct kitnet *k, const float *features)
{
    switch (k->phase) {
    case KITNET_MAPPING:
        if (k->failed) {
            return 0;
        }
        map_update(k, features);
        k->failed = k->seen >= k->cfg.map_grace && finish_mapping(k) < 0;
        return 0;
    case KITNET_TRAINING:
        return train(k, features);
    default:
        k->last_batch = false;
        return ensemble(k, features, false);
    }
}

struct kitnet *kitnet_new(const struct kitnet_config *cfg)
{
    struct kitnet *k;

    if (cfg->n_features < 2 || cfg->max_group < 1 || !(cfg->false_alarm > 0) ||
        cfg->false_alarm >= 0.5) {
        return NULL;
    }
    k = calloc(1, sizeof(*k));
    if (k == NULL) {
        return NULL;
    }
    k->cfg = *cfg;
    k->rng = cfg->seed;
    k->mean = calloc(cfg->n_features, sizeof(double));
    k->comoment = calloc((size_t)cfg->n_features * cfg->n_features, sizeof(double));
    k->raw = calloc(cfg->n_features, sizeof(float));
    k->batch_raw = calloc((size_t)cfg->n_features * KITNET_BATCH, sizeof(float));
    if (k->mean == NULL || k->comoment == NULL || k->raw == NULL || k->batch_raw == NULL) {
        kitnet_free(k);
        return NULL;
    }
    if (cfg->map_grace == 0 && finish_mapping(k) < 0) {
        kitnet_free(k);
        return NULL;
    }
    return k;
}

void kitnet_free(struct kitnet *k)
{
    if (k == NULL) {
        return;
    }
    for (uint32_t g = 0; k->ae != NULL && g < k->n_groups; g++) {
        ae_free(&k->ae[g]);
    }
    ae_free(&k->out);
    free(k->ae);
    free(k->mean);
    free(k->comoment);
    free(k->members);
    free(k->first);
    free(k->raw);
    free(k->batch_raw);
    free(k->batch_errors);
    free(k->errors);
    free(k->ratios);
    free(k->train_error);
    free(k->blocks);
    free(k);
}

void kitnet_end_training(struct kitnet *k)
{
    if (k->phase == KITNET_TRAINING) {
        finish_training(k);
    }
}

enum kitnet_phase kitnet_phase(const struct kitnet *k)
{
    return k->phase;
}

double kitnet_threshold(const struct kitnet *k)
{
    return k->threshold;
}

void kitnet_lognormal(const struct kitnet *k, double *mu, double *sigma)
{
    *mu = k->mu;
    *sigma = k->sigma;
}

uint32_t kitnet_groups(const struct kitnet *k)
{
    return k->n_groups;
}

uint32_t kitnet_group(const struct kitnet *k, uint32_t g, const uint32_t **out)
{
    *out = k->members + k->first[g];
    return k->first[g + 1] - k->first[g];
}

const float *kitnet_group_ratios(struct kitnet *k, uint32_t b)
{
    for (uint32_t g = 0; g < k->n_groups; g++) {
        float e = k->last_batch ? k->batch_errors[(size_t)g * KITNET_BATCH + b % KITNET_BATCH]
                                : k->errors[g];

        k->ratios[g] = k->train_error[g] > 0 ? (float)(e / k->train_error[g]) : 0.0f;
    }
    return k->ratios;
}

/*
 * On x86-64 a second build of the batch path for AVX2 (x86-64-v3) is
 * picked at load time where the CPU has it: eight lanes in one register
 * instead of two.
 */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void kitnet_score_batch(struct kitnet *k, const float *const *features, uint32_t n,
                        float *scores)
{
    enum { B = KITNET_BATCH };
    float out[B];

    n = n < B ? n : B;
    for (uint32_t b = 0; b < B; b++) { /* features as columns; a short batch repeats its first */
        const float *x = features[b < n ? b : 0];

        for (uint32_t i = 0; i < k->cfg.n_features; i++) {
            k->batch_raw[(size_t)i * B + b] = x[i];
        }
    }
    for (uint32_t g = 0; g < k->n_groups; g++) {
        ae_scale_batch(&k->ae[g], k->batch_raw, k->members + k->first[g]);
        ae_forward_batch(&k->ae[g], k->batch_errors + (size_t)g * B);
    }
    ae_scale_batch(&k->out, k->batch_errors, NULL);
    ae_forward_batch(&k->out, out);
    for (uint32_t b = 0; b < n; b++) {
        scores[b] = out[b];
    }
    k->last_batch = true;
}

/* ---- saving and loading -------------------------------------------------- */

#define KITNET_MAGIC "wardwatch-kitnet"

static void save_floats(FILE *f, const char *name, const float *v, size_t n)
{
    fprintf(f, "%s", name);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, " %a", (double)v[i]);
    }
    fputc('\n', f);
}

static void save_ae(FILE *f, const struct autoencoder *ae)
{
    fprintf(f, "ae %u %u %a\n", ae->n, ae->m, (double)ae->rate);
    save_floats(f, "w", ae->w, (size_t)ae->n * ae->m);
    save_floats(f, "hbias", ae->hbias, ae->m);
    save_floats(f, "vbias", ae->vbias, ae->n);
    save_floats(f, "lo", ae->lo, ae->n);
    save_floats(f, "hi", ae->hi, ae->n);
}

int kitnet_save(const struct kitnet *k, const char *path)
{
    const struct kitnet_config *c = &k->cfg;
    FILE *f;

    if (k->phase == KITNET_MAPPING) {
        errno = EAGAIN; /* no feature map yet: nothing worth saving */
        return -1;
    }
    f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    fprintf(f, "%s %d\n", KITNET_MAGIC, KITNET_VERSION);
    fprintf(f, "config %u %u %a %a %llu %llu %llu\n", c->n_features, c->max_group,
            (double)c->rate, c->false_alarm, (unsigned long long)c->map_grace,
            (unsigned long long)c->train_grace, (unsigned long long)c->seed);
    uint64_t n_scores = k->n_scores;
    double sum_log = k->sum_log, sum_log2 = k->sum_log2;

    for (size_t b = k->n_blocks / 2; b < k->n_blocks; b++) { /* training: its later half */
        n_scores += (uint64_t)k->blocks[3 * b];
        sum_log += k->blocks[3 * b + 1];
        sum_log2 += k->blocks[3 * b + 2];
    }
    fprintf(f, "state %d %llu %llu %a %a %a %a %a\n", (int)k->phase,
            (unsigned long long)k->seen, (unsigned long long)n_scores, sum_log, sum_log2,
            k->mu, k->sigma, k->threshold);
    fprintf(f, "groups %u\n", k->n_groups);
    for (uint32_t g = 0; g < k->n_groups; g++) {
        fprintf(f, "group %a", k->train_error[g]);
        for (uint32_t i = k->first[g]; i < k->first[g + 1]; i++) {
            fprintf(f, " %u", k->members[i]);
        }
        fputc('\n', f);
        save_ae(f, &k->ae[g]);
    }
    save_ae(f, &k->out);
    if (ferror(f) != 0) {
        int err = errno;

        fclose(f);
        errno = err != 0 ? err : EIO;
        return -1;
    }
    return fclose(f);
}

struct reader {
    FILE *f;
    char *line;
    size_t cap;
    unsigned lineno;
    char *err;
    size_t err_len;
};

/* The next line, which must begin with word; returns what follows it, or NULL (err set). */
static char *next_line(struct reader *r, const char *word)
{
    size_t n = strlen(word);

    r->lineno++;
    if (getline(&r->line, &r->cap, r->f) < 0 || strncmp(r->line, word, n) != 0 ||
        (r->line[n] != ' ' && r->line[n] != '\n')) {
        snprintf(r->err, r->err_len, "line %u: expected '%s'", r->lineno, word);
        return NULL;
    }
    return r->line + n;
}

static int load_floats(struct reader *r, const char *word, float *v, size_t n)
{
    char *p = next_line(r, word), *end;

    for (size_t i = 0; p != NULL && i < n; i++, p = end) {
        v[i] = strtof(p, &end);
        if (end == p) {
            snprintf(r->err, r->err_len, "line %u: %s: %zu numbers expected", r->lineno, word,
                     n);
            return -1;
        }
    }
    return p != NULL ? 0 : -1;
}

static int load_ae(struct reader *r, struct autoencoder *ae, uint32_t want_n)
{
    char *p = next_line(r, "ae");
    unsigned n, m;
    double rate;

    if (p == NULL || sscanf(p, "%u %u %la", &n, &m, &rate) != 3 || n != want_n || m == 0 ||
        m > 4 * n + 4) {
        if (p != NULL) {
            snprintf(r->err, r->err_len, "line %u: an autoencoder of %u inputs expected",
                     r->lineno, want_n);
        }
        return -1;
    }
    if (ae_alloc(ae, n, m) < 0) {
        snprintf(r->err, r->err_len, "out of memory");
        return -1;
    }
    ae->rate = (float)rate;
    if (load_floats(r, "w", ae->w, (size_t)n * m) < 0 ||
        load_floats(r, "hbias", ae->hbias, m) < 0 || load_floats(r, "vbias", ae->vbias, n) < 0 ||
        load_floats(r, "lo", ae->lo, n) < 0 || load_floats(r, "hi", ae->hi, n) < 0) {
        return -1;
    }
    ae_sync(ae);
    return 0;
}

static int load_header(struct reader *r, struct kitnet_config *c)
{
    char *p = next_line(r, KITNET_MAGIC);
    unsigned long long mg, tg, seed;
    double rate;
    int version = -1;

    if (p == NULL) {
        snprintf(r->err, r->err_len, "not a wardwatch kitnet model");
        return -1;
    }
    if (sscanf(p, "%d", &version) != 1 || version != KITNET_VERSION) {
        snprintf(r->err, r->err_len,
                 "a model of version %d; this wardwatch reads version %d: learn it again "
                 "and save it with this wardwatch",
                 version, KITNET_VERSION);
        return -1;
    }
    p = next_line(r, "config");
    if (p == NULL || sscanf(p, "%u %u %la %la %llu %llu %llu", &c->n_features, &c->max_group,
                            &rate, &c->false_alarm, &mg, &tg, &seed) != 7) {
        snprintf(r->err, r->err_len, "line %u: bad config", r->lineno);
        return -1;
    }
    c->rate = (float)rate;
    c->map_grace = mg;
    c->train_grace = tg;
    c->seed = seed;
    return 0;
}

static int load_state(struct reader *r, struct kitnet *k)
{
    char *p = next_line(r, "state");
    unsigned long long seen, n_scores;
    int phase;

    if (p == NULL || sscanf(p, "%d %llu %llu %la %la %la %la %la", &phase, &seen, &n_scores,
                            &k->sum_log, &k->sum_log2, &k->mu, &k->sigma, &k->threshold) != 8 ||
        (phase != KITNET_TRAINING && phase != KITNET_SCORING)) {
        snprintf(r->err, r->err_len, "line %u: bad state", r->lineno);
        return -1;
    }
    k->phase = (enum kitnet_phase)phase;
    k->seen = seen;
    k->n_scores = n_scores;
    return 0;
}

/* One "group ERROR F1 F2 ..." line: its members go to the end of k->members. */
static int load_group(struct reader *r, struct kitnet *k, uint32_t g, uint32_t *len)
{
    char *p = next_line(r, "group"), *end;

    if (p == NULL) {
        return -1;
    }
    k->train_error[g] = strtod(p, &end);
    k->first[g] = *len;
    for (p = end;; p = end) {
        unsigned long v = strtoul(p, &end, 10);

        if (end == p) {
            break;
        }
        if (v >= k->cfg.n_features || *len >= k->cfg.n_features) {
            snprintf(r->err, r->err_len, "line %u: feature %lu out of range", r->lineno, v);
            return -1;
        }
        k->members[(*len)++] = (uint32_t)v;
    }
    k->first[g + 1] = *len;
    return *len > k->first[g] ? 0 : -1;
}

static int load_groups(struct reader *r, struct kitnet *k)
{
    char *p = next_line(r, "groups");
    uint32_t len = 0;
    unsigned n;

    if (p == NULL || sscanf(p, "%u", &n) != 1 || n == 0 || n > k->cfg.n_features) {
        snprintf(r->err, r->err_len, "line %u: bad group count", r->lineno);
        return -1;
    }
    k->n_groups = n;
    k->members = calloc(k->cfg.n_features, sizeof(uint32_t));
    k->first = calloc(n + 1, sizeof(uint32_t));
    k->ae = calloc(n, sizeof(*k->ae));
    k->errors = calloc(n, sizeof(float));
    k->ratios = calloc(n, sizeof(float));
    k->batch_errors = calloc((size_t)n * KITNET_BATCH, sizeof(float));
    k->train_error = calloc(n, sizeof(double));
    if (k->members == NULL || k->first == NULL || k->ae == NULL || k->errors == NULL ||
        k->ratios == NULL || k->batch_errors == NULL || k->train_error == NULL) {
        snprintf(r->err, r->err_len, "out of memory");
        return -1;
    }
    for (uint32_t g = 0; g < n; g++) {
        if (load_group(r, k, g, &len) < 0 ||
            load_ae(r, &k->ae[g], k->first[g + 1] - k->first[g]) < 0) {
            return -1;
        }
    }
    return load_ae(r, &k->out, n);
}

struct kitnet *kitnet_load(const char *path, char *err, size_t err_len)
{
    struct reader r = {fopen(path, "r"), NULL, 0, 0, err, err_len};
    struct kitnet *k = NULL;
    struct kitnet_config c;

    if (r.f == NULL) {
        snprintf(err, err_len, "%s", strerror(errno));
        return NULL;
    }
    if (load_header(&r, &c) == 0) {
        k = calloc(1, sizeof(*k));
    }
    if (k != NULL) {
        k->cfg = c;
        k->rng = c.seed;
        k->raw = calloc(c.n_features, sizeof(float));
        k->batch_raw = calloc((size_t)c.n_features * KITNET_BATCH, sizeof(float));
        if (k->raw == NULL || k->batch_raw == NULL || load_state(&r, k) < 0 ||
            load_groups(&r, k) < 0) {
            kitnet_free(k);
            k = NULL;
        }
    }
    free(r.line);
    fclose(r.f);
    return k;
}
