/* SPDX-License-Identifier: MIT */
/* streams: Kitsune's packet features from bounded tables of damped statistics. */
#include "detect/streams.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define STREAMS_WAYS 8 /* slots of a bucket: a key lives in one bucket, the oldest gives way */

struct one_way { /* MI, H */
    struct ai_stat size;
};

/*
 * One direction of a socket is its size statistic alone; a channel's also
 * has the jitter, whose time is the size's. Every entry is a whole number
 * of cache lines.
 */
struct channel_way {
    struct ai_stat size;
    struct ai_stat jit;
};

struct both_ways { /* a channel or socket, both directions */
    struct ai_pair pair;
};

/*
 * A table keeps its keys and last-use times apart from the entries: the
 * slots of one bucket share a cache line or two, so finding a key (or the
 * slot it takes) costs one memory access, and the entry one more.
 */
struct table {
    uint64_t *keys; /* 0: free */
    double *times;  /* seconds of each slot's last use */
    unsigned char *entries;
    size_t entry_size;
    size_t mask;    /* slots - 1 */
    size_t ways;    /* slots per bucket: STREAMS_WAYS, or all of a smaller table */
};

struct streams {
    struct table mi, host, channel, channel_pair, socket, socket_pair;
};

/* ---- tables -------------------------------------------------------------- */

static int table_init(struct table *tb, size_t entry_size, unsigned capacity_log2)
{
    size_t n = (size_t)1 << capacity_log2;

    tb->keys = aligned_alloc(64, n * sizeof(uint64_t) < 64 ? 64 : n * sizeof(uint64_t));
    tb->times = calloc(n, sizeof(double));
    tb->entries = aligned_alloc(64, n * entry_size);
    tb->entry_size = entry_size;
    tb->mask = n - 1;
    tb->ways = n < STREAMS_WAYS ? n : STREAMS_WAYS;
    if (tb->keys == NULL || tb->times == NULL || tb->entries == NULL) {
        return -1;
    }
    memset(tb->keys, 0, n * sizeof(uint64_t));
    memset(tb->entries, 0, n * entry_size);
    return 0;
}

static void table_free(struct table *tb)
{
    free(tb->keys);
    free(tb->times);
    free(tb->entries);
}

static size_t bucket_of(const struct table *tb, uint64_t key)
{
    return (size_t)(key >> 32) & tb->mask & ~(tb->ways - 1);
}

static void *entry(const struct table *tb, size_t i)
{
    return tb->entries + i * tb->entry_size;
}

/* The slot of key, or ~0 when it has none. */
static size_t table_find(const struct table *tb, uint64_t key)
{
    size_t b = bucket_of(tb, key);

    for (size_t i = b; i < b + tb->ways; i++) {
        if (tb->keys[i] == key) {
            return i;
        }
    }
    return ~(size_t)0;
}

/* The slot key has or would take: its own, else a free one, else the oldest. */
static size_t table_slot(const struct table *tb, uint64_t key)
{
    size_t b = bucket_of(tb, key), pick = b;

    for (size_t i = b; i < b + tb->ways; i++) {
        if (tb->keys[i] == key) {
            return i;
        }
        if (tb->keys[pick] != 0 && (tb->keys[i] == 0 || tb->times[i] < tb->times[pick])) {
            pick = i;
        }
    }
    return pick;
}

/* The entry of key, made (all zero) in a free slot or in place of the oldest of its bucket. */
static void *table_get(struct table *tb, uint64_t key, double t)
{
    size_t i = table_slot(tb, key);

    if (tb->keys[i] != key) {
        memset(entry(tb, i), 0, tb->entry_size);
        tb->keys[i] = key;
    }
    tb->times[i] = t;
    return entry(tb, i);
}

/* Asks the CPU for key's bucket now, so that a later table_get does not wait for it. */
static void table_prefetch_bucket(const struct table *tb, uint64_t key)
{
    size_t b = bucket_of(tb, key);

    __builtin_prefetch(&tb->keys[b]);
    __builtin_prefetch(&tb->times[b]);
}

/* The same for the entry key will use; its bucket should be in cache by now. */
static void table_prefetch_entry(const struct table *tb, uint64_t key)
{
    uintptr_t at = (uintptr_t)entry(tb, table_slot(tb, key));

    for (uintptr_t line = at & ~(uintptr_t)63; line < at + tb->entry_size; line += 64) {
        __builtin_prefetch((const void *)line, 1);
    }
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

/* An address's hash, tag and port folded in: one end of a channel or socket. */
static uint64_t endpoint_key(uint64_t tag, uint64_t addr_hash, uint16_t port)
{
    return mix(addr_hash + tag * 0x9e3779b97f4a7c15ull, port);
}

/* From a to b (address hashes and ports): the channel (ports 0) or the socket. */
static uint64_t way_key(uint64_t tag, uint64_t a, uint16_t pa, uint64_t b, uint16_t pb)
{
    return nonzero(mix(endpoint_key(tag, a, pa), endpoint_key(tag + 1, b, pb)));
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

/* A statistic's weight, mean and deviation in every window: out[0..2] of each window's. */
static void put_stat(float *out, const struct ai_stat *s, const struct ai_moments *m)
{
    for (int i = 0; i < AI_WINDOWS; i++) {
        float *o = out + i * STREAMS_PER_WINDOW;

        o[0] = (float)s->w[i];
        o[1] = (float)m->mean[i];
        o[2] = sqrtf((float)m->var[i]);
    }
}

static void update_one_way(struct table *tb, uint64_t key, const struct stream_packet *p,
                           float *out, size_t at)
{
    struct one_way *e = table_get(tb, key, p->t);
    struct ai_moments m;

    ai_stat_update(&e->size, p->t, p->len);
    ai_stat_moments(&e->size, &m);
    put_stat(out + at, &e->size, &m);
}

/* The keys of a packet's streams, worked out once for the prefetches and the update. */
struct stream_keys {
    uint64_t mi, host;
    uint64_t way[2][3]; /* channel, socket: forward, reverse, pair */
    int side[2];        /* the packet's side of the channel's pair, of the socket's */
};

enum { KIND_CHANNEL, KIND_SOCKET };
enum { FWD, REV, PAIR };

static void stream_keys(const struct stream_packet *p, struct stream_keys *k)
{
    uint64_t src = mix_bytes(0, p->src_ip, addr_len(p)), dst = mix_bytes(0, p->dst_ip, addr_len(p));

    k->mi = nonzero(mix_bytes(endpoint_key(1, src, 0), p->src_mac, 6));
    k->host = nonzero(endpoint_key(2, src, 0));
    for (int kind = KIND_CHANNEL; kind <= KIND_SOCKET; kind++) {
        uint64_t tag = kind == KIND_CHANNEL ? 10 : 20;
        bool ports = kind == KIND_SOCKET;
        uint16_t sport = ports ? p->sport : 0, dport = ports ? p->dport : 0;

        k->side[kind] = pair_side(p, ports);
        k->way[kind][FWD] = way_key(tag, src, sport, dst, dport);
        k->way[kind][REV] = way_key(tag, dst, dport, src, sport);
        k->way[kind][PAIR] = k->side[kind] == 0 ? way_key(tag + 2, src, sport, dst, dport)
                                                : way_key(tag + 2, dst, dport, src, sport);
    }
}

/* A channel or socket: the way's 3 size features and the pair's 4, from at on; jitter at jit. */
static void update_two_ways(struct table *ways, struct table *pairs, const uint64_t key[3],
                            int side, const struct stream_packet *p, bool ports, float *out,
                            size_t at, size_t jit)
{
    static const struct ai_stat none;
    struct ai_stat *fwd = table_get(ways, key[FWD], p->t); /* a channel's starts with it */
    size_t rev_slot = table_find(ways, key[REV]);
    struct ai_stat *rev = rev_slot != ~(size_t)0 ? entry(ways, rev_slot) : NULL;
    struct both_ways *pair = table_get(pairs, key[PAIR], p->t);
    /* A new entry is all zero; a used one keeps weight in its slowest window. */
    double dt = fwd->w[AI_WINDOWS - 1] > 0 ? p->t - fwd->t : 0.0;
    double d[AI_WINDOWS], pf[AI_PAIR_FEATURES][AI_WINDOWS];
    struct ai_moments mf, mr = {0}, mj;

    ai_decay_factors(p->t - fwd->t, d);
    ai_stat_add(fwd, d, p->t, p->len);
    ai_stat_moments(fwd, &mf);
    if (rev != NULL) {
        ai_stat_decay(rev, p->t);
        ai_stat_moments(rev, &mr);
    }
    ai_pair_update(&pair->pair, p->t, side, &mf, p->len);
    ai_pair_features(&pair->pair, fwd, &mf, rev != NULL ? rev : &none, &mr, pf);
    put_stat(out + at, fwd, &mf);
    for (int w = 0; w < AI_WINDOWS; w++) {
        for (int i = 0; i < AI_PAIR_FEATURES; i++) {
            out[w * STREAMS_PER_WINDOW + at + 3 + i] = (float)pf[i][w];
        }
    }
    if (!ports) {
        struct ai_stat *jitter = &((struct channel_way *)fwd)->jit;

        ai_stat_add(jitter, d, p->t, dt);
        ai_stat_moments(jitter, &mj);
        put_stat(out + jit, jitter, &mj);
    }
}

/* Offsets of each stream's features within a window's 23. */
enum { AT_MI = 0, AT_H = 3, AT_HH = 6, AT_JIT = 13, AT_HPHP = 16 };

static void update(struct streams *s, const struct stream_packet *p, const struct stream_keys *k,
                   float *out)
{
    update_one_way(&s->mi, k->mi, p, out, AT_MI);
    update_one_way(&s->host, k->host, p, out, AT_H);
    update_two_ways(&s->channel, &s->channel_pair, k->way[KIND_CHANNEL], k->side[KIND_CHANNEL],
                    p, false, out, AT_HH, AT_JIT);
    update_two_ways(&s->socket, &s->socket_pair, k->way[KIND_SOCKET], k->side[KIND_SOCKET], p,
                    true, out, AT_HPHP, 0);
}

/* The tables of each key, in the order of a stream_keys. */
static void tables_of(struct streams *s, struct table *t[8])
{
    struct table *order[8] = {&s->mi,     &s->host,   &s->channel, &s->channel,
                              &s->channel_pair, &s->socket, &s->socket, &s->socket_pair};

    memcpy(t, order, sizeof(order));
}

static const uint64_t *key_list(const struct stream_keys *k, uint64_t out[8])
{
    uint64_t list[8] = {k->mi,
                        k->host,
                        k->way[KIND_CHANNEL][FWD],
                        k->way[KIND_CHANNEL][REV],
                        k->way[KIND_CHANNEL][PAIR],
                        k->way[KIND_SOCKET][FWD],
                        k->way[KIND_SOCKET][REV],
                        k->way[KIND_SOCKET][PAIR]};

    memcpy(out, list, sizeof(list));
    return out;
}

static void prefetch_buckets(struct streams *s, const struct stream_keys *k)
{
    struct table *t[8];
    uint64_t keys[8];

    tables_of(s, t);
    key_list(k, keys);
    for (int i = 0; i < 8; i++) {
        table_prefetch_bucket(t[i], keys[i]);
    }
}

static void prefetch_entries(struct streams *s, const struct stream_keys *k)
{
    struct table *t[8];
    uint64_t keys[8];

    tables_of(s, t);
    key_list(k, keys);
    for (int i = 0; i < 8; i++) {
        table_prefetch_entry(t[i], keys[i]);
    }
}

void streams_packet(struct streams *s, const struct stream_packet *p, float *out)
{
    struct stream_keys k;

    stream_keys(p, &k);
    update(s, p, &k, out);
}

/*
 * Packets in order, as streams_packet one by one, with the memory each
 * will touch asked for ahead: the buckets STREAMS_AHEAD packets before
 * their update, the entries half as far ahead.
 */
void streams_packets(struct streams *s, const struct stream_packet *p, size_t n, float *out)
{
    struct stream_keys ring[STREAMS_AHEAD];

    for (size_t i = 0; i < n + STREAMS_AHEAD; i++) {
        if (i >= STREAMS_AHEAD) {
            size_t j = i - STREAMS_AHEAD;

            update(s, &p[j], &ring[j % STREAMS_AHEAD], out + j * STREAMS_FEATURES);
        }
        if (i >= STREAMS_AHEAD / 2 && i - STREAMS_AHEAD / 2 < n) {
            prefetch_entries(s, &ring[(i - STREAMS_AHEAD / 2) % STREAMS_AHEAD]);
        }
        if (i < n) {
            stream_keys(&p[i], &ring[i % STREAMS_AHEAD]);
            prefetch_buckets(s, &ring[i % STREAMS_AHEAD]);
        }
    }
}

struct streams *streams_new(unsigned capacity_log2)
{
    struct streams *s = calloc(1, sizeof(*s));

    if (s == NULL || table_init(&s->mi, sizeof(struct one_way), capacity_log2) < 0 ||
        table_init(&s->host, sizeof(struct one_way), capacity_log2) < 0 ||
        table_init(&s->channel, sizeof(struct channel_way), capacity_log2) < 0 ||
        table_init(&s->channel_pair, sizeof(struct both_ways), capacity_log2) < 0 ||
        table_init(&s->socket, sizeof(struct ai_stat), capacity_log2) < 0 ||
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
    table_free(&s->mi);
    table_free(&s->host);
    table_free(&s->channel);
    table_free(&s->channel_pair);
    table_free(&s->socket);
    table_free(&s->socket_pair);
    free(s);
}

size_t streams_memory(const struct streams *s)
{
    const struct table *t[] = {&s->mi,     &s->host,   &s->channel,
                               &s->channel_pair, &s->socket, &s->socket_pair};
    size_t n = sizeof(*s);

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        n += (t[i]->mask + 1) * (t[i]->entry_size + sizeof(uint64_t) + sizeof(double));
    }
    return n;
}
