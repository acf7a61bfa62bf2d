/* SPDX-License-Identifier: MIT */
/*
 * kitnet_bench: how fast the streaming statistics and the autoencoder
 * ensemble run on real packets. It reads a capture (default the virtual
 * hospital sample), turns every IP packet into Kitsune's 115 features
 * (timed: packets/s), builds the feature map and trains the ensemble on
 * the first vectors, then scores all vectors over and over in batches
 * (timed: vectors/s) and says whether the 2,000,000 scored per
 * second is met. One thread.
 *
 *   bench-kitnet [CAPTURE] [SCORED]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "detect/kitnet.h"
#include "detect/streams.h"

#define TARGET_SCORED_PER_S 2000000.0
#define MAP_GRACE 5000
#define TRAIN_GRACE 20000

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Every IP packet's features, in order; returns how many. */
static size_t extract(const char *path, float **out, double *seconds)
{
    const char *paths[1] = {path};
    struct capture_set *cs = capture_open(paths, 1);
    struct streams *st = streams_new(STREAMS_CAPACITY_LOG2_DEFAULT);
    struct decode_stats ds = {0};
    struct ww_packet p;
    size_t n = 0, cap = 1 << 16;
    float *v = malloc(cap * STREAMS_FEATURES * sizeof(float));
    double t0 = now_s();

    if (cs == NULL || st == NULL || v == NULL) {
        fprintf(stderr, "bench-kitnet: out of memory\n");
        exit(2);
    }
    while (capture_next(cs, &p) == 1) {
        if (decode_packet(&ds, &p) != DECODE_EV_MAX || p.family == 0) {
            continue;
        }
        if (n == cap) {
            cap *= 2;
            v = realloc(v, cap * STREAMS_FEATURES * sizeof(float));
            if (v == NULL) {
                exit(2);
            }
        }
        struct stream_packet sp = {(double)p.ts_us / 1e6, p.family, p.src_mac, p.src_ip,
                                   p.dst_ip, p.sport, p.dport, p.ip_proto, p.wirelen};

        streams_packet(st, &sp, v + n * STREAMS_FEATURES);
        n++;
    }
    *seconds = now_s() - t0;
    if (capture_file(cs, 0)->failed) {
        fprintf(stderr, "bench-kitnet: %s: %s\n", path, capture_file(cs, 0)->error);
        exit(1);
    }
    printf("streams: %zu packets in %.3f s: %.0f packets/s (reading and decoding included); "
           "tables %.1f MiB\n", n, *seconds, (double)n / *seconds,
           (double)streams_memory(st) / (1 << 20));
    streams_free(st);
    capture_close(cs);
    *out = v;
    return n;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "samples/hospital.pcap";
    size_t want = argc > 2 ? strtoull(argv[2], NULL, 10) : 4000000;
    struct kitnet_config cfg = {STREAMS_FEATURES, 10, MAP_GRACE, TRAIN_GRACE, 0.1f, 1e-4, 1};
    struct kitnet *k = kitnet_new(&cfg);
    float *v;
    double secs, t0, sum = 0;
    const float *rows[KITNET_BATCH];
    float scores[KITNET_BATCH];
    size_t n = extract(path, &v, &secs), done = 0;

    if (k == NULL || n <= MAP_GRACE + TRAIN_GRACE) {
        fprintf(stderr, "bench-kitnet: %s has %zu IP packets; more than %d needed\n", path, n,
                MAP_GRACE + TRAIN_GRACE);
        return 1;
    }
    t0 = now_s();
    for (size_t i = 0; i < MAP_GRACE + TRAIN_GRACE; i++) {
        kitnet_process(k, v + i * STREAMS_FEATURES);
    }
    printf("kitnet: %u autoencoders over %d features; mapped and trained on %d vectors in "
           "%.3f s\n", kitnet_groups(k), STREAMS_FEATURES, MAP_GRACE + TRAIN_GRACE,
           now_s() - t0);
    t0 = now_s();
    while (done < want) {
        for (int b = 0; b < KITNET_BATCH; b++) {
            rows[b] = v + ((done + (size_t)b) % n) * STREAMS_FEATURES;
        }
        kitnet_score_batch(k, rows, KITNET_BATCH, scores);
        sum += scores[0];
        done += KITNET_BATCH;
    }
    secs = now_s() - t0;
    printf("kitnet: %zu vectors scored in %.3f s: %.0f vectors/s (target >= %.0f: %s); "
           "checksum %.3f\n", done, secs, (double)done / secs, TARGET_SCORED_PER_S,
           (double)done / secs >= TARGET_SCORED_PER_S ? "met" : "NOT met", sum);
    kitnet_free(k);
    free(v);
    return 0;
}
