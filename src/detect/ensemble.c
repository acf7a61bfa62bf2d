/* SPDX-License-Identifier: MIT */
/* ensemble: Kitsune's features and autoencoders on the packet path (ensemble.h). */
#include "detect/ensemble.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/streams.h"
#include "output/json.h"

#define US_PER_S 1000000ull
#define ENSEMBLE_MAX_GROUP 10  /* Kitsune's m: features per autoencoder */
#define ENSEMBLE_RATE 0.1f     /* Kitsune's learning rate */
#define ENSEMBLE_SEED 1

/* A packet waiting in the batch: its features and who sent it. */
struct waiting {
    float features[STREAMS_FEATURES];
    uint64_t ts_us;
    uint8_t family;
    uint8_t src_ip[16], dst_ip[16];
    uint8_t src_mac[6];
};

struct host_window {
    uint64_t key; /* 0: free */
    uint64_t start_us;
    uint32_t over; /* packets over the threshold in the window */
};

struct ensemble {
    struct ensemble_config cfg;
    struct streams *streams;
    struct kitnet *kitnet;
    bool started, loaded;
    uint64_t first_us;
    float scratch[STREAMS_FEATURES];
    struct waiting batch[KITNET_BATCH];
    uint32_t n_batch;
    struct host_window hosts[1u << ENSEMBLE_HOSTS_LOG2];
    struct ensemble_stats stats;
};

struct ensemble *ensemble_new(const struct ensemble_config *cfg, char *err, size_t err_len)
{
    struct ensemble *e = calloc(1, sizeof(*e));
    struct kitnet_config kc = {STREAMS_FEATURES, ENSEMBLE_MAX_GROUP, ENSEMBLE_MAP_PACKETS,
                               UINT64_MAX, ENSEMBLE_RATE, ENSEMBLE_FALSE_ALARM, ENSEMBLE_SEED};

    if (e == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    e->cfg = *cfg;
    e->streams = streams_new(STREAMS_CAPACITY_LOG2_DEFAULT);
    if (cfg->model != NULL) {
        char why[256];

        e->kitnet = kitnet_load(cfg->model, why, sizeof(why));
        e->loaded = true;
        if (e->kitnet == NULL) {
            snprintf(err, err_len, "%s: %s", cfg->model, why);
            ensemble_free(e);
            return NULL;
        }
        kitnet_end_training(e->kitnet);
    } else {
        e->kitnet = kitnet_new(&kc);
    }
    if (e->streams == NULL || e->kitnet == NULL) {
        snprintf(err, err_len, "out of memory");
        ensemble_free(e);
        return NULL;
    }
    return e;
}

void ensemble_free(struct ensemble *e)
{
    if (e == NULL) {
        return;
    }
    streams_free(e->streams);
    kitnet_free(e->kitnet);
    free(e);
}

/* "HpHp.mean@0.2s": the stream, the statistic and the window's half-life of feature i. */
static void feature_name(uint32_t i, char *out, size_t len)
{
    static const char *const names[STREAMS_PER_WINDOW] = {
        "MI.weight",  "MI.mean",       "MI.std",       "H.weight",       "H.mean",
        "H.std",      "HH.weight",     "HH.mean",      "HH.std",         "HH.magnitude",
        "HH.radius",  "HH.covariance", "HH.correlation", "HHjit.weight", "HHjit.mean",
        "HHjit.std",  "HpHp.weight",   "HpHp.mean",    "HpHp.std",       "HpHp.magnitude",
        "HpHp.radius", "HpHp.covariance", "HpHp.correlation"};
    static const double lambdas[AI_WINDOWS] = AI_LAMBDAS;

    snprintf(out, len, "%s@%gs", names[i % STREAMS_PER_WINDOW],
             1.0 / lambdas[i / STREAMS_PER_WINDOW]);
}

/* The groups whose error departed most from training, with their features. */
static void write_groups(struct jbuf *jb, struct ensemble *e, uint32_t b)
{
    const float *ratio = kitnet_group_ratios(e->kitnet, b);
    uint32_t n = kitnet_groups(e->kitnet), top[ENSEMBLE_TOP_GROUPS];
    int shown = 0;

    for (int t = 0; t < ENSEMBLE_TOP_GROUPS && t < (int)n; t++, shown++) {
        top[t] = UINT32_MAX;
        for (uint32_t g = 0; g < n; g++) {
            bool taken = false;

            for (int u = 0; u < t; u++) {
                taken |= top[u] == g;
            }
            if (!taken && (top[t] == UINT32_MAX || ratio[g] > ratio[top[t]])) {
                top[t] = g;
            }
        }
    }
    jb_array_open(jb, "groups");
    for (int t = 0; t < shown; t++) {
        const uint32_t *members;
        uint32_t count = kitnet_group(e->kitnet, top[t], &members);

        jb_object_open(jb, NULL);
        jb_double(jb, "error_vs_training", ratio[top[t]]);
        jb_array_open(jb, "features");
        for (uint32_t i = 0; i < count; i++) {
            char name[48];

            feature_name(members[i], name, sizeof(name));
            jb_str(jb, NULL, name);
        }
        jb_array_close(jb);
        jb_object_close(jb);
    }
    jb_array_close(jb);
}

static void report(struct ensemble *e, const struct waiting *w, uint32_t b, float score)
{
    struct jbuf *jb = eve_begin(e->cfg.eve, w->ts_us, "anomaly");
    char ip[INET6_ADDRSTRLEN] = "?", reason[320];
    double threshold = kitnet_threshold(e->kitnet);

    inet_ntop(w->family == 4 ? AF_INET : AF_INET6, w->src_ip, ip, sizeof(ip));
    snprintf(reason, sizeof(reason),
             "%s sent %d packets within %d s that the autoencoders rebuilt badly, the last "
             "with score %.4g, %.1f times the threshold %.4g (fitted in learning for %g false "
             "alarms per packet)",
             ip, ENSEMBLE_MIN_OVER, ENSEMBLE_WINDOW_S, score, score / threshold, threshold,
             ENSEMBLE_FALSE_ALARM);
    jb_ip(jb, "src_ip", w->family, w->src_ip);
    jb_ip(jb, "dest_ip", w->family, w->dst_ip);
    jb_object_open(jb, "anomaly");
    jb_str(jb, "type", "behaviour");
    jb_str(jb, "kind", "ensemble");
    jb_str(jb, "severity", "medium");
    jb_str(jb, "reason", reason);
    jb_object_open(jb, "device");
    jb_ip(jb, "ip", w->family, w->src_ip);
    jb_mac(jb, "mac", w->src_mac);
    jb_object_close(jb);
    jb_double(jb, "score", score);
    jb_double(jb, "threshold", threshold);
    write_groups(jb, e, b);
    jb_u64(jb, "window_s", ENSEMBLE_WINDOW_S);
    jb_object_close(jb);
    eve_commit(e->cfg.eve);
    e->stats.anomalies++;
}

static uint64_t host_key(const struct waiting *w)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ w->family;

    for (int i = 0; i < (w->family == 6 ? 16 : 4); i++) {
        h = (h ^ w->src_ip[i]) * 0x100000001b3ull;
    }
    return h != 0 ? h : 1;
}

/* Counts a packet over the threshold; true when it is the one its window reports. */
static bool window_reports(struct ensemble *e, const struct waiting *w)
{
    uint64_t key = host_key(w);
    struct host_window *hw = &e->hosts[key & ((1u << ENSEMBLE_HOSTS_LOG2) - 1)];

    if (hw->key != key || w->ts_us >= hw->start_us + ENSEMBLE_WINDOW_S * US_PER_S) {
        hw->key = key;
        hw->start_us = w->ts_us;
        hw->over = 0;
    }
    return ++hw->over == ENSEMBLE_MIN_OVER;
}

static void score_batch(struct ensemble *e)
{
    const float *rows[KITNET_BATCH];
    float scores[KITNET_BATCH];

    if (e->n_batch == 0) {
        return;
    }
    for (uint32_t b = 0; b < e->n_batch; b++) {
        rows[b] = e->batch[b].features;
    }
    kitnet_score_batch(e->kitnet, rows, e->n_batch, scores);
    for (uint32_t b = 0; b < e->n_batch; b++) {
        e->stats.scored++;
        if (scores[b] > kitnet_threshold(e->kitnet)) {
            e->stats.over++;
            if (window_reports(e, &e->batch[b])) {
                report(e, &e->batch[b], b, scores[b]);
            }
        }
    }
    e->n_batch = 0;
}

/* Learning: map, then train until the learning period ends. Returns true while it lasts. */
static bool learning(struct ensemble *e, const struct ww_packet *p, const struct stream_packet *sp)
{
    if (e->loaded || kitnet_phase(e->kitnet) == KITNET_SCORING) {
        return false;
    }
    if (p->ts_us >= e->first_us + e->cfg.learn_us) {
        kitnet_end_training(e->kitnet);
        return kitnet_phase(e->kitnet) != KITNET_SCORING; /* still mapping: no model */
    }
    streams_packet(e->streams, sp, e->scratch);
    kitnet_process(e->kitnet, e->scratch);
    return true;
}

void ensemble_packet(struct ensemble *e, const struct ww_packet *p)
{
    struct stream_packet sp = {(double)p->ts_us / 1e6, p->family, p->src_mac, p->src_ip,
                               p->dst_ip, p->sport, p->dport, p->ip_proto, p->wirelen};
    struct waiting *w;

    if (p->family == 0) {
        return;
    }
    e->stats.packets++;
    if (!e->started) {
        e->started = true;
        e->first_us = p->ts_us;
    }
    if (learning(e, p, &sp)) {
        return;
    }
    w = &e->batch[e->n_batch++];
    streams_packet(e->streams, &sp, w->features);
    w->ts_us = p->ts_us;
    w->family = p->family;
    memcpy(w->src_ip, p->src_ip, sizeof(w->src_ip));
    memcpy(w->dst_ip, p->dst_ip, sizeof(w->dst_ip));
    memcpy(w->src_mac, p->src_mac, sizeof(w->src_mac));
    if (e->n_batch == KITNET_BATCH) {
        score_batch(e);
    }
}

void ensemble_finish(struct ensemble *e)
{
    if (kitnet_phase(e->kitnet) == KITNET_SCORING) {
        score_batch(e);
    }
}

int ensemble_save(const struct ensemble *e, const char *path)
{
    return kitnet_save(e->kitnet, path);
}

struct ensemble_stats ensemble_stats(const struct ensemble *e)
{
    struct ensemble_stats s = e->stats;

    s.phase = kitnet_phase(e->kitnet);
    s.groups = kitnet_groups(e->kitnet);
    s.threshold = kitnet_threshold(e->kitnet);
    kitnet_lognormal(e->kitnet, &s.mu, &s.sigma);
    return s;
}
