/* SPDX-License-Identifier: MIT */
/* streams: Kitsune's packet features from bounded tables of damped statistics. */
#include "detect/streams.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define STREAMS_PROBE 8 /* slots looked at for a key before the oldest gives way */

static const double lambdas[AI_WINDOWS] = AI_LAMBDAS;

/* Every table entry begins so: key 0 marks a free slot; t is its last use. */
struct slot_head {
    uint64_t key;
    double t;
};

struct one_way { /* MI, H */
    struct slot_head h;
    struct ai_stat size[AI_WINDOWS];
};

struct way { /* one direction of a channel or a socket */
    struct slot_head h;
    struct ai_stat size[AI_WINDOWS];
    struct ai_stat jit[AI_WINDOWS]; /* channels only */
    double last_t;
    bool seen;
};

struct both_ways { /* a channel or socket, both directions */
    struct slot_head h;
    struct ai_pair pair[AI_WINDOWS];
};

struct table {
    unsigned char *slots;
    size_t entry_size;
    size_t mask;
};

struct streams {
    struct table mi, host, channel, channel_pair, socket, socket_pair;
};

/* ---- tables -------------------------------------------------------------- */

static int table_init(struct table *tb, size_t entry_size, unsigned capacity_log2)
{
    size_t n = (size_t)1 << capacity_log2;

    tb->slots = calloc(n, entry_size);
    tb->entry_size = entry_size;
    tb->mask = n - 1;
    return tb->slots != NULL ? 0 : -1;
}

static struct slot_head *slot(const struct table *tb, size_t i)
{
    return (struct slot_head *)(tb->slots + (i & tb->mask) * tb->entry_size);
}

/* The entry of key, or NULL. */
static void *table_find(const struct table *tb, uint64_t key)
{
    for (size_t i = 0; i < STREAMS_PROBE; i++) {
        struct slot_head *h = slot(tb, key + i);

        if (h->key == key) {
            return h;
        }
        if (h->key == 0) {
            return NULL;
        }
    }
    return NULL;
}

/* The entry of key, made (all zero) in a free slot or in place of the oldest one nearby. */
static void *table_get(struct table *tb, uint64_t key, double t)
{
    struct slot_head *oldest = NULL;

    for (size_t i = 0; i < STREAMS_PROBE; i++) {
        struct slot_head *h = slot(tb, key + i);

        if (h->key == key) {
            h->t = t;
            return h;
        }
        if (h->key == 0) {
            oldest = h;
            break;
        }
        if (oldest == NULL || h->t < oldest->t) {
            oldest = h;
        }
    }
    memset(oldest, 0, tb->entry_size);
    oldest->key = key;
    oldest->t = t;
    return oldest;
}

/* ---- keys ---------------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    return h;
}

static uint64_t mix_bytes(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = 0;

        memcpy(&v, p + i, n - i < 8 ? n - i : 8);
        h = mix(h, v);
    }
    return h;
}

static uint64_t nonzero(uint64_t h)
{
    return h != 0 ? h : 1;
}

static size_t addr_len(const struct stream_packet *p)
{
    return p->family == 6 ? 16 : 4;
}

static uint64_t endpoint_key(uint64_t tag, const struct stream_packet *p, const uint8_t *a,
                             uint16_t port)
{
    return mix(mix_bytes(tag, a, addr_len(p)), port);
}

/* From a to b: the channel (no ports) or the socket. */
static uint64_t way_key(uint64_t tag, const struct stream_packet *p, bool reverse, bool ports)
{
    const uint8_t *a = reverse ? p->dst_ip : p->src_ip, *b = reverse ? p->src_ip : p->dst_ip;
    uint16_t pa = reverse ? p->dport : p->sport, pb = reverse ? p->sport : p->dport;

    if (!ports) {
        pa = pb = 0;
    }
    return nonzero(mix(endpoint_key(tag, p, a, pa), endpoint_key(tag + 1, p, b, pb)));
}

/* Which side of the pair the packet's source is: 0 when it is the lesser endpoint. */
static int pair_side(const struct stream_packet *p, bool ports)
{
    int c = memcmp(p->src_ip, p->dst_ip, addr_len(p));

    if (c == 0 && ports) {
        c = p->sport < p->dport ? -1 : p->sport > p->dport;
    }
    return c <= 0 ? 0 : 1;
}

/* ---- features ------------------------------------------------------------ */

static void put_stat(float *out, const struct ai_stat *s)
{
    out[0] = (float)s->w;
    out[1] = (float)ai_stat_mean(s);
    out[2] = (float)ai_stat_std(s);
}

static void update_one_way(struct table *tb, uint64_t key, const struct stream_packet *p,
                           float *out, size_t at)
{
    struct one_way *e = table_get(tb, key, p->t);

    for (int w = 0; w < AI_WINDOWS; w++) {
        ai_stat_update(&e->size[w], lambdas[w], p->t, p->len);
        put_stat(out + w * STREAMS_PER_WINDOW + at, &e->size[w]);
    }
}

/* A channel or socket: the way's 3 size features and the pair's 4, from at on; jitter at jit. */
static void update_two_ways(struct table *ways, struct table *pairs, uint64_t tag,
                            const struct stream_packet *p, bool ports, float *out, size_t at,
                            size_t jit)
{
    static const struct ai_stat none;
    struct way *fwd = table_get(ways, way_key(tag, p, false, ports), p->t);
    struct way *rev = table_find(ways, way_key(tag, p, true, ports));
    struct both_ways *pair = table_get(pairs, way_key(tag + 2, p, pair_side(p, ports) != 0,
                                                      ports), p->t);
    double dt = fwd->seen ? p->t - fwd->last_t : 0.0;
    int side = pair_side(p, ports);

    fwd->seen = true;
    fwd->last_t = p->t;
    for (int w = 0; w < AI_WINDOWS; w++) {
        float *o = out + w * STREAMS_PER_WINDOW;
        double pf[4];

        ai_stat_update(&fwd->size[w], lambdas[w], p->t, p->len);
        if (rev != NULL) {
            ai_stat_decay(&rev->size[w], lambdas[w], p->t);
        }
        ai_pair_update(&pair->pair[w], lambdas[w], p->t, side, &fwd->size[w], p->len);
        put_stat(o + at, &fwd->size[w]);
        ai_pair_features(&pair->pair[w], &fwd->size[w], rev != NULL ? &rev->size[w] : &none,
                         pf);
        for (int i = 0; i < 4; i++) {
            o[at + 3 + i] = (float)pf[i];
        }
        if (!ports) {
            ai_stat_update(&fwd->jit[w], lambdas[w], p->t, dt);
            put_stat(o + jit, &fwd->jit[w]);
        }
    }
}

/* Offsets of each stream's features within a window's 23. */
enum { AT_MI = 0, AT_H = 3, AT_HH = 6, AT_JIT = 13, AT_HPHP = 16 };

void streams_packet(struct streams *s, const struct stream_packet *p, float *out)
{
    uint64_t mi = nonzero(mix_bytes(endpoint_key(1, p, p->src_ip, 0), p->src_mac, 6));

    update_one_way(&s->mi, mi, p, out, AT_MI);
    update_one_way(&s->host, nonzero(endpoint_key(2, p, p->src_ip, 0)), p, out, AT_H);
    update_two_ways(&s->channel, &s->channel_pair, 10, p, false, out, AT_HH, AT_JIT);
    update_two_ways(&s->socket, &s->socket_pair, 20, p, true, out, AT_HPHP, 0);
}

struct streams *streams_new(unsigned capacity_log2)
{
    struct streams *s = calloc(1, sizeof(*s));

    if (s == NULL || table_init(&s->mi, sizeof(struct one_way), capacity_log2) < 0 ||
        table_init(&s->host, sizeof(struct one_way), capacity_log2) < 0 ||
        table_init(&s->channel, sizeof(struct way), capacity_log2) < 0 ||
        table_init(&s->channel_pair, sizeof(struct both_ways), capacity_log2) < 0 ||
        table_init(&s->socket, sizeof(struct way), capacity_log2) < 0 ||
        table_init(&s->socket_pair, sizeof(struct both_ways), capacity_log2) < 0) {
        streams_free(s);
        return NULL;
    }
    return s;
}

void streams_free(struct streams *s)
{
    if (s == NULL) {
        return;
    }
    free(s->mi.slots);
    free(s->host.slots);
    free(s->channel.slots);
    free(s->channel_pair.slots);
    free(s->socket.slots);
    free(s->socket_pair.slots);
    free(s);
}

size_t streams_memory(const struct streams *s)
{
    const struct table *t[] = {&s->mi,     &s->host,   &s->channel,
                               &s->channel_pair, &s->socket, &s->socket_pair};
    size_t n = sizeof(*s);

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        n += (t[i]->mask + 1) * t[i]->entry_size;
    }
    return n;
}
