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
#include <string.h>
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

#define CHUNK 1024   /* packets whose features are worked out together */
#define KEEP 131072  /* vectors kept for training and scoring (later ones overwrite) */

/* A packet's fields the features need, copied out of the capture's buffer. */
struct chunk_packet {
    double t;
    uint8_t family, proto;
    uint16_t sport, dport;
    uint32_t len;
    uint8_t mac[6], src[16], dst[16];
};

static size_t features(struct streams *st, const struct chunk_packet *c, size_t n, float *out)
{
    struct stream_packet sp[CHUNK];

    for (size_t i = 0; i < n; i++) {
        sp[i] = (struct stream_packet){c[i].t,     c[i].family, c[i].mac,   c[i].src, c[i].dst,
                                       c[i].sport, c[i].dport,  c[i].proto, c[i].len};
    }
    streams_packets(st, sp, n, out);
    return n;
}

/* Every IP packet's features, in order; keeps the first KEEP and returns how many it kept. */
static size_t extract(const char *path, float **out, double *seconds)
{
    const char *paths[1] = {path};
    struct capture_set *cs = capture_open(paths, 1);
    struct streams *st = streams_new(STREAMS_CAPACITY_LOG2_DEFAULT);
    struct decode_stats ds = {0};
    struct ww_packet p;
    static struct chunk_packet chunk[CHUNK];
    size_t n = 0, n_chunk = 0, kept = 0;
    float *v = malloc((KEEP + CHUNK) * STREAMS_FEATURES * sizeof(float));
    double t0 = now_s();

    if (cs == NULL || st == NULL || v == NULL) {
        fprintf(stderr, "bench-kitnet: out of memory\n");
        exit(2);
    }
    while (capture_next(cs, &p) == 1) {
        if (decode_packet(&ds, &p) != DECODE_EV_MAX || p.family == 0) {
            continue;
        }
        chunk[n_chunk] = (struct chunk_packet){.t = (double)p.ts_us / 1e6, .family = p.family,
                                               .proto = p.ip_proto, .sport = p.sport,
                                               .dport = p.dport, .len = p.wirelen};
        memcpy(chunk[n_chunk].mac, p.src_mac, 6);
        memcpy(chunk[n_chunk].src, p.src_ip, 16);
        memcpy(chunk[n_chunk].dst, p.dst_ip, 16);
        if (++n_chunk == CHUNK) {
            n += features(st, chunk, n_chunk, v + kept * STREAMS_FEATURES);
            kept = n < KEEP ? n : KEEP;
            n_chunk = 0;
        }
    }
    n += features(st, chunk, n_chunk, v + kept * STREAMS_FEATURES);
    kept = n < KEEP ? n : KEEP;
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
    return kept;
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
