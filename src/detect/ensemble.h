/* SPDX-License-Identifier: MIT */
/*
 * ensemble: detection layer two on the packet path. Every IP packet's
 * Kitsune features (streams.h) go to the autoencoder ensemble (kitnet.h):
 * the first ENSEMBLE_MAP_PACKETS build its feature map, the rest of the
 * learning period trains it, and afterwards packets are scored in batches.
 * Packets over the threshold are counted per source host and window
 * (ENSEMBLE_WINDOW_S, from the first one): the ENSEMBLE_MIN_OVER-th writes
 * an anomaly event (kind "ensemble") naming its score, the threshold and
 * the feature groups that departed most from training; the rest of the
 * window is counted only.
 *
 * The features and the autoencoders run in two threads of the ensemble's
 * own, a block of packets at a time (ensemble.c), so the anomalies they
 * find are written when the next block is handed over, at the latest
 * ENSEMBLE_BLOCK packets or 0.1 s of capture time later, and at
 * ensemble_finish. The model and the counts (ensemble_save,
 * ensemble_stats) are settled only after ensemble_finish.
 */
#ifndef WW_DETECT_ENSEMBLE_H
#define WW_DETECT_ENSEMBLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "detect/kitnet.h"
#include "output/eve.h"

#define ENSEMBLE_MAP_PACKETS 5000     /* Kitsune's feature-map grace period */
#define ENSEMBLE_FALSE_ALARM 1e-6     /* per packet, under the fitted log-normal */
#define ENSEMBLE_WINDOW_S 10          /* a host is reported at most once per window ... */
#define ENSEMBLE_MIN_OVER 3           /* ... when this many of its packets were over */
#define ENSEMBLE_HOSTS_LOG2 12        /* hosts whose window is kept: 4096 */
#define ENSEMBLE_TOP_GROUPS 2         /* feature groups named in an anomaly */

struct ensemble_config {
    uint64_t learn_us;      /* learning period from the first packet */
    const char *model;      /* a model saved by an earlier run (then no learning), or NULL */
    struct eve_writer *eve; /* borrowed */
};

struct ensemble_stats {
    uint64_t packets;   /* IP packets seen */
    uint64_t scored;
    uint64_t over;      /* scored over the threshold */
    uint64_t anomalies; /* events written */
    enum kitnet_phase phase;
    uint32_t groups;
    double threshold, mu, sigma;
};

struct ensemble;

/* Returns NULL with the reason in err (a model that cannot be read says why). */
struct ensemble *ensemble_new(const struct ensemble_config *cfg, char *err, size_t err_len);
void ensemble_free(struct ensemble *e);

/* One decoded packet (non-IP packets are passed over). */
void ensemble_packet(struct ensemble *e, const struct ww_packet *p);
/* At the end of input: scores what is waiting, stops the threads, writes what they found. */
void ensemble_finish(struct ensemble *e);

/* Saves the model (kitnet_save). Returns 0, or -1 with errno. */
int ensemble_save(const struct ensemble *e, const char *path);

struct ensemble_stats ensemble_stats(const struct ensemble *e);

#endif
