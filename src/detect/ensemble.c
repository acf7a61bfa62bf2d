/* SPDX-License-Identifier: MIT */
/*
 * ensemble: Kitsune's features and autoencoders beside the packet path
 * (ensemble.h). The packet thread copies what the features need into
 * blocks of ENSEMBLE_BLOCK packets and hands each full block on down a
 * ring to two threads of the ensemble's own: one works out the block's
 * features, the other learns from them or scores them, and leaves the
 * anomalies it finds in a list. The packet thread writes those to
 * eve.json when it hands over the next block, and at the end. Without the
 * threads (they could not be started) each block goes through both steps
 * in the packet thread.
 */
#include "detect/ensemble.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/streams.h"
#include "output/json.h"

#define US_PER_S 1000000ull
#define ENSEMBLE_MAX_GROUP 10  /* Kitsune's m: features per autoencoder */
#define ENSEMBLE_RATE 0.1f     /* Kitsune's learning rate */
#define ENSEMBLE_SEED 1
#define ENSEMBLE_BLOCK 1024    /* packets handed over at once ... */
#define ENSEMBLE_BLOCK_US 100000 /* ... or fewer, once the first is 0.1 s old */
#define ENSEMBLE_BLOCKS 8      /* blocks in the ring */

/* What the features need of a packet, copied out of the capture's buffer. */
struct slim_packet {
    uint64_t ts_us;
    uint32_t len;
    uint16_t sport, dport;
    uint8_t family, proto;
    uint8_t src_mac[6];
    uint8_t src_ip[16], dst_ip[16];
};

struct block {
    struct slim_packet p[ENSEMBLE_BLOCK];
    uint32_t n;
    float (*features)[STREAMS_FEATURES]; /* n rows, once the features step is done */
};

/* The steps a block goes through, in order; a block passes each in turn. */
enum step { STEP_FILLED, STEP_FEATURES, STEP_SCORED, STEPS };

/* An anomaly found by the thread, for the packet thread to write. */
struct report {
    struct slim_packet p;
    float score;
    uint32_t shown;
    uint32_t top[ENSEMBLE_TOP_GROUPS];
    float ratio[ENSEMBLE_TOP_GROUPS];
};

struct host_window {
    uint64_t key; /* 0: free */
    uint64_t start_us;
    uint32_t over; /* packets over the threshold in the window */
};

/* The threads' side: the features step's and the scoring step's, untouched by others. */
struct worker {
    struct streams *streams;
    struct stream_packet sp[ENSEMBLE_BLOCK];

    struct kitnet *kitnet;
    bool started, loaded;
    uint64_t first_us, learn_us;
    uint32_t batch[KITNET_BATCH]; /* packets of the block waiting to be scored */
    uint32_t n_batch;
    struct host_window hosts[1u << ENSEMBLE_HOSTS_LOG2];
    uint64_t scored, over;
};

struct ensemble {
    struct ensemble_config cfg;
    struct worker w;
    struct ensemble_stats stats;

    struct block *blocks; /* the ring */
    struct block *filling; /* the packet thread's block, or NULL */

    /* under mu once the threads run */
    bool threaded;
    pthread_t thread[STEPS];  /* of STEP_FEATURES and STEP_SCORED */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t passed[STEPS];   /* blocks that went through each step, ever */
    bool finished[STEPS];     /* no more blocks will pass the step */
    struct report *reports;
    size_t n_reports, cap_reports;
};

static void *step_main(void *arg);

/* What a step's thread is told: the ensemble and its step. */
struct step_arg {
    struct ensemble *e;
    enum step step;
};

static void stop_threads(struct ensemble *e);

/* Starts the threads; without them blocks go through every step in the packet thread. */
static void start_threads(struct ensemble *e)
{
    if (pthread_mutex_init(&e->mu, NULL) != 0) {
        return;
    }
    if (pthread_cond_init(&e->cv, NULL) != 0) {
        pthread_mutex_destroy(&e->mu);
        return;
    }
    e->threaded = true;
    for (int s = STEP_FEATURES; s < STEPS; s++) {
        struct step_arg *a = malloc(sizeof(*a));

        if (a != NULL) {
            *a = (struct step_arg){e, (enum step)s};
        }
        if (a == NULL || pthread_create(&e->thread[s], NULL, step_main, a) != 0) {
            free(a);
            e->finished[STEP_FILLED] = true;
            for (int t = STEP_FEATURES; t < s; t++) { /* let the started ones end */
                pthread_mutex_lock(&e->mu);
                pthread_cond_broadcast(&e->cv);
                pthread_mutex_unlock(&e->mu);
                pthread_join(e->thread[t], NULL);
            }
            pthread_cond_destroy(&e->cv);
            pthread_mutex_destroy(&e->mu);
            e->threaded = false;
            e->finished[STEP_FILLED] = false;
            return;
        }
    }
}

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
    e->w.learn_us = cfg->learn_us;
    e->w.streams = streams_new(STREAMS_CAPACITY_LOG2_DEFAULT);
    e->blocks = calloc(ENSEMBLE_BLOCKS, sizeof(*e->blocks));
    for (int i = 0; e->blocks != NULL && i < ENSEMBLE_BLOCKS; i++) {
        e->blocks[i].features = malloc(sizeof(*e->blocks[i].features) * ENSEMBLE_BLOCK);
        if (e->blocks[i].features == NULL) {
            snprintf(err, err_len, "out of memory");
            ensemble_free(e);
            return NULL;
        }
    }
    if (cfg->model != NULL) {
        char why[256];

        e->w.kitnet = kitnet_load(cfg->model, why, sizeof(why));
        e->w.loaded = true;
        if (e->w.kitnet == NULL) {
            snprintf(err, err_len, "%s: %s", cfg->model, why);
            ensemble_free(e);
            return NULL;
        }
        kitnet_end_training(e->w.kitnet);
    } else {
        e->w.kitnet = kitnet_new(&kc);
    }
    if (e->w.streams == NULL || e->w.kitnet == NULL || e->blocks == NULL) {
        snprintf(err, err_len, "out of memory");
        ensemble_free(e);
        return NULL;
    }
    start_threads(e);
    return e;
}

/* Tells the threads no more blocks come, lets them finish what they hold, waits for them. */
static void stop_threads(struct ensemble *e)
{
    if (!e->threaded) {
        return;
    }
    pthread_mutex_lock(&e->mu);
    e->finished[STEP_FILLED] = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    for (int s = STEP_FEATURES; s < STEPS; s++) {
        pthread_join(e->thread[s], NULL);
    }
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    e->threaded = false;
}

void ensemble_free(struct ensemble *e)
{
    if (e == NULL) {
        return;
    }
    stop_threads(e);
    streams_free(e->w.streams);
    kitnet_free(e->w.kitnet);
    for (int i = 0; e->blocks != NULL && i < ENSEMBLE_BLOCKS; i++) {
        free(e->blocks[i].features);
    }
    free(e->blocks);
    free(e->reports);
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

/* The groups whose error departed most from training: at most ENSEMBLE_TOP_GROUPS, in r. */
static void pick_groups(struct kitnet *k, uint32_t b, struct report *r)
{
    const float *ratio = kitnet_group_ratios(k, b);
    uint32_t n = kitnet_groups(k);

    r->shown = 0;
    for (uint32_t t = 0; t < ENSEMBLE_TOP_GROUPS && t < n; t++, r->shown++) {
        uint32_t best = UINT32_MAX;

        for (uint32_t g = 0; g < n; g++) {
            bool taken = false;

            for (uint32_t u = 0; u < t; u++) {
                taken |= r->top[u] == g;
            }
            if (!taken && (best == UINT32_MAX || ratio[g] > ratio[best])) {
                best = g;
            }
        }
        r->top[t] = best;
        r->ratio[t] = ratio[best];
    }
}

static void write_groups(struct jbuf *jb, const struct kitnet *k, const struct report *r)
{
    jb_array_open(jb, "groups");
    for (uint32_t t = 0; t < r->shown; t++) {
        const uint32_t *members;
        uint32_t count = kitnet_group(k, r->top[t], &members);

        jb_object_open(jb, NULL);
        jb_double(jb, "error_vs_training", r->ratio[t]);
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

/* Writes one anomaly the thread found (packet thread only). */
static void write_report(struct ensemble *e, const struct report *r)
{
    const struct slim_packet *p = &r->p;
    struct jbuf *jb = eve_begin(e->cfg.eve, p->ts_us, "anomaly");
    char ip[INET6_ADDRSTRLEN] = "?", reason[320];
    double threshold = kitnet_threshold(e->w.kitnet);

    inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->src_ip, ip, sizeof(ip));
    snprintf(reason, sizeof(reason),
             "%s sent %d packets within %d s that the autoencoders rebuilt badly, the last "
             "with score %.4g, %.1f times the threshold %.4g (fitted in learning for %g false "
             "alarms per packet)",
             ip, ENSEMBLE_MIN_OVER, ENSEMBLE_WINDOW_S, r->score, r->score / threshold, threshold,
             ENSEMBLE_FALSE_ALARM);
    jb_ip(jb, "src_ip", p->family, p->src_ip);
    jb_ip(jb, "dest_ip", p->family, p->dst_ip);
    jb_object_open(jb, "anomaly");
    jb_str(jb, "type", "behaviour");
    jb_str(jb, "kind", "ensemble");
    jb_str(jb, "severity", "medium");
    jb_str(jb, "reason", reason);
    jb_object_open(jb, "device");
    jb_ip(jb, "ip", p->family, p->src_ip);
    jb_mac(jb, "mac", p->src_mac);
    jb_object_close(jb);
    jb_double(jb, "score", r->score);
    jb_double(jb, "threshold", threshold);
    write_groups(jb, e->w.kitnet, r);
    jb_u64(jb, "window_s", ENSEMBLE_WINDOW_S);
    jb_object_close(jb);
    eve_commit(e->cfg.eve);
    e->stats.anomalies++;
}

/* Writes the anomalies the thread left (packet thread; with mu held when threaded). */
static void write_reports(struct ensemble *e)
{
    for (size_t i = 0; i < e->n_reports; i++) {
        write_report(e, &e->reports[i]);
    }
    e->n_reports = 0;
}

/* Leaves an anomaly for the packet thread (the thread's side). */
static void leave_report(struct ensemble *e, const struct report *r)
{
    if (e->threaded) {
        pthread_mutex_lock(&e->mu);
    }
    if (e->n_reports == e->cap_reports) {
        size_t cap = e->cap_reports != 0 ? e->cap_reports * 2 : 16;
        struct report *more = realloc(e->reports, cap * sizeof(*more));

        if (more != NULL) {
            e->reports = more;
            e->cap_reports = cap;
        }
    }
    if (e->n_reports < e->cap_reports) {
        e->reports[e->n_reports++] = *r;
    }
    if (e->threaded) {
        pthread_mutex_unlock(&e->mu);
    }
}

/* ---- the thread's side ------------------------------------------------- */

static uint64_t host_key(const struct slim_packet *p)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ p->family;

    for (int i = 0; i < (p->family == 6 ? 16 : 4); i++) {
        h = (h ^ p->src_ip[i]) * 0x100000001b3ull;
    }
    return h != 0 ? h : 1;
}

/* Counts a packet over the threshold; true when it is the one its window reports. */
static bool window_reports(struct worker *w, const struct slim_packet *p)
{
    uint64_t key = host_key(p);
    struct host_window *hw = &w->hosts[key & ((1u << ENSEMBLE_HOSTS_LOG2) - 1)];

    if (hw->key != key || p->ts_us >= hw->start_us + ENSEMBLE_WINDOW_S * US_PER_S) {
        hw->key = key;
        hw->start_us = p->ts_us;
        hw->over = 0;
    }
    return ++hw->over == ENSEMBLE_MIN_OVER;
}

static void score_batch(struct ensemble *e, const struct block *blk)
{
    struct worker *w = &e->w;
    const float *rows[KITNET_BATCH];
    float scores[KITNET_BATCH];

    if (w->n_batch == 0) {
        return;
    }
    for (uint32_t b = 0; b < w->n_batch; b++) {
        rows[b] = blk->features[w->batch[b]];
    }
    kitnet_score_batch(w->kitnet, rows, w->n_batch, scores);
    for (uint32_t b = 0; b < w->n_batch; b++) {
        const struct slim_packet *p = &blk->p[w->batch[b]];

        w->scored++;
        if (scores[b] > kitnet_threshold(w->kitnet)) {
            w->over++;
            if (window_reports(w, p)) {
                struct report r = {.p = *p, .score = scores[b]};

                pick_groups(w->kitnet, b, &r);
                leave_report(e, &r);
            }
        }
    }
    w->n_batch = 0;
}

/* Learning: map, then train until the learning period ends. Returns true while it lasts. */
static bool learning(struct worker *w, const struct slim_packet *p, const float *features)
{
    if (w->loaded || kitnet_phase(w->kitnet) == KITNET_SCORING) {
        return false;
    }
    if (p->ts_us >= w->first_us + w->learn_us) {
        kitnet_end_training(w->kitnet);
        return kitnet_phase(w->kitnet) != KITNET_SCORING; /* still mapping: no model */
    }
    kitnet_process(w->kitnet, features);
    return true;
}

static void features_step(struct ensemble *e, struct block *blk)
{
    struct worker *w = &e->w;

    for (uint32_t i = 0; i < blk->n; i++) {
        const struct slim_packet *p = &blk->p[i];

        w->sp[i] = (struct stream_packet){(double)p->ts_us / 1e6, p->family, p->src_mac,
                                          p->src_ip, p->dst_ip, p->sport, p->dport, p->proto,
                                          p->len};
    }
    streams_packets(w->streams, w->sp, blk->n, blk->features[0]);
}

static void scoring_step(struct ensemble *e, const struct block *blk)
{
    struct worker *w = &e->w;

    if (!w->started && blk->n > 0) {
        w->started = true;
        w->first_us = blk->p[0].ts_us;
    }
    for (uint32_t i = 0; i < blk->n; i++) {
        if (learning(w, &blk->p[i], blk->features[i])) {
            continue;
        }
        w->batch[w->n_batch++] = i;
        if (w->n_batch == KITNET_BATCH) {
            score_batch(e, blk);
        }
    }
    score_batch(e, blk); /* the batch holds rows of this block only */
}

static void take_step(struct ensemble *e, enum step step, struct block *blk)
{
    if (step == STEP_FEATURES) {
        features_step(e, blk);
    } else {
        scoring_step(e, blk);
    }
}

/* A step's thread: takes each block the step before passed, in order, until none come. */
static void *step_main(void *arg)
{
    struct step_arg a = *(struct step_arg *)arg;
    struct ensemble *e = a.e;

    free(arg);
    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (e->passed[a.step] == e->passed[a.step - 1] && !e->finished[a.step - 1]) {
            pthread_cond_wait(&e->cv, &e->mu);
        }
        if (e->passed[a.step] == e->passed[a.step - 1]) {
            break;
        }
        struct block *blk = &e->blocks[e->passed[a.step] % ENSEMBLE_BLOCKS];

        pthread_mutex_unlock(&e->mu);
        take_step(e, a.step, blk);
        pthread_mutex_lock(&e->mu);
        e->passed[a.step]++;
        pthread_cond_broadcast(&e->cv);
    }
    e->finished[a.step] = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

/* ---- the packet thread's side ------------------------------------------ */

/* Hands the filling block on (or takes it through the steps here) and writes what was found. */
static void hand_over(struct ensemble *e)
{
    struct block *blk = e->filling;

    if (blk == NULL) {
        return;
    }
    e->filling = NULL;
    if (!e->threaded) {
        features_step(e, blk);
        scoring_step(e, blk);
        write_reports(e);
        return;
    }
    pthread_mutex_lock(&e->mu);
    e->passed[STEP_FILLED]++;
    pthread_cond_broadcast(&e->cv);
    write_reports(e);
    pthread_mutex_unlock(&e->mu);
}

/* The block to fill: the ring's next free one, waiting for one if all are taken. */
static struct block *block_to_fill(struct ensemble *e)
{
    struct block *b;

    if (!e->threaded) {
        b = &e->blocks[0];
    } else {
        pthread_mutex_lock(&e->mu);
        while (e->passed[STEP_FILLED] - e->passed[STEPS - 1] == ENSEMBLE_BLOCKS) {
            pthread_cond_wait(&e->cv, &e->mu);
        }
        b = &e->blocks[e->passed[STEP_FILLED] % ENSEMBLE_BLOCKS];
        pthread_mutex_unlock(&e->mu);
    }
    b->n = 0;
    return b;
}

void ensemble_packet(struct ensemble *e, const struct ww_packet *p)
{
    struct slim_packet *sp;

    if (p->family == 0) {
        return;
    }
    e->stats.packets++;
    if (e->filling != NULL && p->ts_us >= e->filling->p[0].ts_us + ENSEMBLE_BLOCK_US) {
        hand_over(e);
    }
    if (e->filling == NULL) {
        e->filling = block_to_fill(e);
    }
    sp = &e->filling->p[e->filling->n++];
    sp->ts_us = p->ts_us;
    sp->len = p->wirelen;
    sp->sport = p->sport;
    sp->dport = p->dport;
    sp->family = p->family;
    sp->proto = p->ip_proto;
    memcpy(sp->src_mac, p->src_mac, sizeof(sp->src_mac));
    memcpy(sp->src_ip, p->src_ip, sizeof(sp->src_ip));
    memcpy(sp->dst_ip, p->dst_ip, sizeof(sp->dst_ip));
    if (e->filling->n == ENSEMBLE_BLOCK) {
        hand_over(e);
    }
}

void ensemble_finish(struct ensemble *e)
{
    hand_over(e);
    stop_threads(e);
    write_reports(e);
}

int ensemble_save(const struct ensemble *e, const char *path)
{
    return kitnet_save(e->w.kitnet, path);
}

struct ensemble_stats ensemble_stats(const struct ensemble *e)
{
    struct ensemble_stats s = e->stats;

    s.scored = e->w.scored;
    s.over = e->w.over;
    s.phase = kitnet_phase(e->w.kitnet);
    s.groups = kitnet_groups(e->w.kitnet);
    s.threshold = kitnet_threshold(e->w.kitnet);
    kitnet_lognormal(e->w.kitnet, &s.mu, &s.sigma);
    return s;
}
