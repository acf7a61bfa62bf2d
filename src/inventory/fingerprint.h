/* SPDX-License-Identifier: MIT */
/*
 * fingerprint: learned device-type fingerprints. A collector turns each
 * device's packets (keyed by MAC) into a set of tokens (protocol mix,
 * ports, sizes, TTL, TCP SYN shape, DHCP options, DNS/mDNS names, SSDP
 * and HTTP header values, the IoT Sentinel per-packet vector of the first
 * packets); a model, a Bernoulli naive Bayes over those tokens, names the
 * device type with a confidence and the tokens that decided it.
 */
#ifndef WW_INVENTORY_FINGERPRINT_H
#define WW_INVENTORY_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

#define FP_MODEL_VERSION 1
#define FP_LABEL_LEN 64
#define FP_EVIDENCE_LEN 160
#define FP_EVIDENCE_MAX 3
#define FP_TOKEN_LEN 96      /* bytes of token text kept, with the NUL */
#define FP_DEVICE_TOKENS_MAX 1024 /* distinct tokens kept per device */
#define FP_DEVICE_PKTS_MAX 4000   /* packets per device that add tokens */
#define FP_DEVICES_MAX 65536      /* devices a collector tracks */

struct fp_collector;
struct fp_device;
struct fp_model;

/* Returns a new, empty collector (caller frees), or NULL without memory. */
struct fp_collector *fp_collector_new(void);
/*
 * Makes the collector keep each token's text, which training needs to
 * write the model and to explain evidence. Call before the first packet.
 */
void fp_collector_keep_text(struct fp_collector *c);
/*
 * Adds one decoded packet: its tokens go to the sending MAC's device and,
 * for a unicast destination, to the receiving MAC's. Allocates only when a
 * MAC or a token is new; once a device has FP_DEVICE_PKTS_MAX packets it is
 * a hash lookup and a counter.
 */
void fp_collector_packet(struct fp_collector *c, const struct ww_packet *p);
void fp_collector_free(struct fp_collector *c);
/* Devices the table refused because it was full. */
uint64_t fp_collector_dropped(const struct fp_collector *c);

/* Calls fn for each device that sent at least one packet, in first-seen order. */
void fp_collector_each(struct fp_collector *c,
                       void (*fn)(void *arg, const uint8_t mac[6], const struct fp_device *d),
                       void *arg);
/* The device with this MAC, or NULL when it never sent a packet. */
const struct fp_device *fp_collector_find(const struct fp_collector *c, const uint8_t mac[6]);
/* Packets the device sent, and distinct tokens it has. */
uint64_t fp_device_packets(const struct fp_device *d);
uint32_t fp_device_n_tokens(const struct fp_device *d);
/* Text of the device's i-th token (keep_text collectors), or NULL. */
const char *fp_device_token_text(const struct fp_collector *c, const struct fp_device *d,
                                 uint32_t i);

/* A verdict on one device. */
struct fp_result {
    char label[FP_LABEL_LEN];   /* "unknown" when confidence is below the threshold */
    char best[FP_LABEL_LEN];    /* the most likely type, even when unknown */
    double confidence;          /* posterior of `best`, 0..1 */
    char evidence[FP_EVIDENCE_MAX][FP_EVIDENCE_LEN];
    int n_evidence;
};

/*
 * Names the device's type. Returns true with out->label set when the
 * confidence reaches the model's threshold, false (label "unknown") when
 * not or when the device has too few tokens to judge.
 */
bool fp_model_identify(const struct fp_model *m, const struct fp_device *d,
                       struct fp_result *out);

/*
 * Reads a model file. Returns the model (caller frees) or NULL with a
 * message naming the file and line in err.
 */
struct fp_model *fp_model_load(const char *path, char *err, size_t err_len);
/* Writes the model to path. Returns 0, or -1 with a message in err. */
int fp_model_save(const struct fp_model *m, const char *path, char *err, size_t err_len);
void fp_model_free(struct fp_model *m);
/* Types the model knows, the confidence threshold, and its name for type i. */
int fp_model_n_labels(const struct fp_model *m);
double fp_model_threshold(const struct fp_model *m);
const char *fp_model_label(const struct fp_model *m, int i);

/* What training measured on its own captures by leave-one-out. */
struct fp_train_report {
    int n_docs, n_labels, n_tokens;
    double alpha;       /* smoothing chosen */
    double temperature; /* divisor of the log-likelihoods chosen */
    double loo_accuracy;    /* best type right, threshold ignored */
    double threshold;       /* lowest confidence accepted */
    double loo_precision;   /* right among accepted, at the threshold */
    double loo_coverage;    /* accepted among all, at the threshold */
};

struct fp_trainer;

struct fp_trainer *fp_trainer_new(void);
/*
 * Adds one labelled device: its tokens (text from the collector, which
 * must keep text). Returns 0, or -1 without memory or over the caps.
 */
int fp_trainer_add(struct fp_trainer *t, const char *label, const struct fp_collector *c,
                   const struct fp_device *d);
/*
 * Builds the model: chooses smoothing, temperature and threshold by
 * leave-one-out over the added devices. Returns the model (caller frees)
 * or NULL with a message in err.
 */
struct fp_model *fp_trainer_finish(struct fp_trainer *t, struct fp_train_report *rep,
                                   char *err, size_t err_len);
void fp_trainer_free(struct fp_trainer *t);

/* One row of a labels CSV (`path,mac,label`). */
struct fp_label_row {
    char *path;
    uint8_t mac[6];
    char label[FP_LABEL_LEN];
    int line;
};

/*
 * Reads a labels CSV whose header is `path,mac,label`. A relative path is
 * taken from the CSV's folder. Returns 0 with *rows (caller frees with
 * fp_labels_free) or -1 with "FILE:LINE: reason" in err.
 */
int fp_labels_read(const char *csv, struct fp_label_row **rows, size_t *n_rows, char *err,
                   size_t err_len);
void fp_labels_free(struct fp_label_row *rows, size_t n_rows);

/* Parses "aa:bb:cc:dd:ee:ff" (or '-'). Returns 0 or -1. */
int fp_parse_mac(const char *s, uint8_t mac[6]);

#endif
