/* SPDX-License-Identifier: MIT */
/*
 * kitnet: an ensemble of small autoencoders that scores feature vectors by
 * how badly they can be rebuilt, in the manner of KitNET (Mirsky et al.,
 * NDSS 2018, section IV-C and IV-D).
 *
 * Three phases, by vectors seen:
 *  1. mapping (map_grace vectors): only the correlation of every pair of
 *     features is gathered (running means and co-moments). At its end the
 *     features are clustered by correlation distance 1 - |r| (single
 *     linkage), and the tree is cut top-down into groups of at most
 *     max_group features.
 *  2. training (train_grace vectors, or until kitnet_end_training): one
 *     autoencoder per group, and an output autoencoder over the groups'
 *     reconstruction errors, learn by SGD, one vector at a time. The
 *     scores of the later half of training set the threshold.
 *  3. scoring: the output autoencoder's error is the vector's score.
 *
 * Each autoencoder has one hidden layer of ceil(0.75 n) sigmoid units and
 * tied weights; its inputs are scaled to [0, 1] by the least and greatest
 * values seen while training. Its error is the root mean square of input
 * minus reconstruction; it learns by the gradient of the cross-entropy of
 * the scaled input and its reconstruction (for sigmoid outputs that
 * gradient is input minus reconstruction at the output layer).
 */
#ifndef WW_DETECT_KITNET_H
#define WW_DETECT_KITNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KITNET_VERSION 1
#define KITNET_BATCH 8 /* vectors scored together, one per SIMD lane */

/*
 * One autoencoder: n visible, m hidden units, weights w[n * m] (row i:
 * visible i) and the same transposed in wt[m * n] for the decoder.
 */
struct autoencoder {
    uint32_t n, m;
    float *w, *wt, *hbias, *vbias;
    float *lo, *hi;       /* per input: least and greatest seen in training */
    float rate;           /* learning rate */
    float *x, *h, *z;     /* scratch: scaled input, hidden, reconstruction */
    float *bx, *bh, *bz;  /* the same for a batch: value i of vector b at i * KITNET_BATCH + b */
};

/* Makes an autoencoder with weights drawn uniformly from [-1/n, 1/n] (seed). */
int ae_init(struct autoencoder *ae, uint32_t n, uint32_t m, float rate, uint64_t *seed);
void ae_free(struct autoencoder *ae);
/* Copies w into wt: after w was set by hand. */
void ae_sync(struct autoencoder *ae);
/* Scales raw into ae->x by the training range (and widens the range when learn). */
void ae_scale(struct autoencoder *ae, const float *raw, bool learn);
/* Forward pass from ae->x: fills h and z; returns the RMSE of x - z. */
float ae_forward(struct autoencoder *ae);
/* One SGD step on ae->x after ae_forward. */
void ae_backward(struct autoencoder *ae);


struct kitnet_config {
    uint32_t n_features;
    uint32_t max_group;    /* features per autoencoder at most (Kitsune: 10) */
    uint64_t map_grace;    /* vectors for the feature map */
    uint64_t train_grace;  /* vectors for training after it */
    float rate;            /* SGD learning rate (Kitsune: 0.1) */
    double false_alarm;    /* the threshold's tail probability under the fitted log-normal */
    uint64_t seed;
};

enum kitnet_phase { KITNET_MAPPING, KITNET_TRAINING, KITNET_SCORING };

struct kitnet;

/* Returns NULL when out of memory or the config is impossible. */
struct kitnet *kitnet_new(const struct kitnet_config *cfg);
void kitnet_free(struct kitnet *k);

/*
 * Takes one feature vector: maps, trains or scores by phase. Returns the
 * score (0 while mapping; while training, the score before the step).
 */
float kitnet_process(struct kitnet *k, const float *features);

/*
 * Scores n (at most KITNET_BATCH) vectors at once with a trained model,
 * as kitnet_process would one by one, but several times faster. Needs the
 * scoring phase.
 */
void kitnet_score_batch(struct kitnet *k, const float *const *features, uint32_t n,
                        float *scores);

/* Ends training now (when training): the threshold is set from the scores so far. */
void kitnet_end_training(struct kitnet *k);

enum kitnet_phase kitnet_phase(const struct kitnet *k);
/* The alert threshold, set when training ends (0 before). */
double kitnet_threshold(const struct kitnet *k);
/* The log-normal fitted to training's later scores: mean and sd of ln(score). */
void kitnet_lognormal(const struct kitnet *k, double *mu, double *sigma);

/* Groups: how many, and the features of group g (count returned, indexes in *out). */
uint32_t kitnet_groups(const struct kitnet *k);
uint32_t kitnet_group(const struct kitnet *k, uint32_t g, const uint32_t **out);
/*
 * Each group's error for vector b (0 for kitnet_process) of the last call
 * that scored, relative to the group's mean error in training.
 */
const float *kitnet_group_ratios(struct kitnet *k, uint32_t b);

/* Saves the model (text, versioned). Returns 0, or -1 with errno. */
int kitnet_save(const struct kitnet *k, const char *path);
/* Loads a saved model. Returns NULL with a reason in err (a file of another version says so). */
struct kitnet *kitnet_load(const char *path, char *err, size_t err_len);

/* The z of the standard normal for an upper tail probability p (0 < p < 0.5). */
double kitnet_normal_quantile(double p);

#endif
