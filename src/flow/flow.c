/* SPDX-License-Identifier: MIT */
/*
 * flow: the flow table. Flows live in one array sized by the memory cap,
 * found through a chained hash on the canonical key. Idle timeouts run on a
 * timer wheel of one-second slots: a flow sits in the slot of the second it
 * would time out in, as of when it was placed there. A packet only updates
 * the flow's last time; when the wheel reaches the slot, a flow that has
 * been busy since is moved on to the slot of its new deadline, and one that
 * has not is ended. So the per-packet path touches no other flow, and a
 * flow is ended at the first expiry pass at or after its exact deadline.
 */
#include "flow/flow.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "decode/decode_int.h"
#include "util/base64.h"
#include "util/sha1.h"

struct wheel_slot {
    uint32_t head, tail; /* 0 = empty */
};

struct flow_table {
    struct ww_flow *flows; /* index 0 is never used */
    uint32_t capacity;
    uint32_t n_touched; /* slots handed out at least once */
    uint32_t free_head; /* chained through hnext */
    uint32_t *buckets;
    uint64_t bucket_mask;
    uint64_t bucket_mask_max; /* the size the memcap was planned for, less one */
    struct wheel_slot wheel[FLOW_WHEEL_SLOTS];
    uint64_t wheel_sec; /* earliest second whose slot may hold a due flow */
    bool wheel_used;
    uint64_t timeout_us[FLOW_LIST_MAX];
    uint64_t lifetime_us;
    uint64_t next_seq; /* for flow ids */
    uint64_t hash_seed[sizeof(struct flow_key) / 8];
    flow_end_fn on_end;
    void *end_ctx;
    stream_data_fn stream_fn;
    void *stream_ctx;
    struct stream_pool *streams;
    struct flow_stats stats;
};

#define US_PER_S 1000000ull
/*
 * The hash starts small, so that the buckets of a few thousand flows stay in
 * cache, and doubles whenever flows fill half of it, up to two buckets per
 * flow the memcap allows: a lookup seldom passes another flow on its way.
 */
#define FLOW_BUCKETS_START 16384u
#define FLOW_ID_BITS 51

void flow_config_default(struct flow_config *cfg)
{
    cfg->timeout[FLOW_LIST_TCP_NEW] = FLOW_TCP_NEW_TIMEOUT;
    cfg->timeout[FLOW_LIST_TCP_EST] = FLOW_TCP_EST_TIMEOUT;
    cfg->timeout[FLOW_LIST_TCP_CLOSED] = FLOW_TCP_CLOSED_TIMEOUT;
    cfg->timeout[FLOW_LIST_OTHER_NEW] = FLOW_OTHER_NEW_TIMEOUT;
    cfg->timeout[FLOW_LIST_OTHER_EST] = FLOW_OTHER_EST_TIMEOUT;
    cfg->lifetime = FLOW_LIFETIME_MAX;
    cfg->memcap = FLOW_MEMCAP_DEFAULT;
    cfg->stream.ooo_max = STREAM_OOO_MAX_DEFAULT;
    cfg->stream.memcap = STREAM_MEMCAP_DEFAULT;
}

/* Smallest power of two at or above n. */
static uint64_t pow2_at_least(uint64_t n)
{
    uint64_t p = 1;

    while (p < n) {
        p <<= 1;
    }
    return p;
}

/* The seed is a hardening: when the kernel has no random bytes, any will do. */
static void hash_seed_init(struct flow_table *t)
{
    ssize_t n = getrandom(t->hash_seed, sizeof(t->hash_seed), GRND_NONBLOCK);
    uint64_t x;

    if (n == (ssize_t)sizeof(t->hash_seed)) {
        return;
    }
    x = (uint64_t)(uintptr_t)t ^ (uint64_t)time(NULL);
    for (size_t i = 0; i < sizeof(t->hash_seed) / 8; i++) {
        x += 0x9e3779b97f4a7c15ull;
        t->hash_seed[i] = x * 0xbf58476d1ce4e5b9ull;
    }
}

struct flow_table *flow_table_new(const struct flow_config *cfg, flow_end_fn on_end, void *ctx)
{
    struct flow_table *t;
    /* A flow and its share of the hash, which may reach four buckets a flow. */
    size_t per_flow = sizeof(struct ww_flow) + 4 * sizeof(uint32_t);

    if (cfg->memcap < FLOW_MEMCAP_MIN) {
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return NULL;
    }
    t->capacity = (uint32_t)(cfg->memcap / per_flow);
    t->bucket_mask_max = pow2_at_least((uint64_t)t->capacity * 2) - 1;
    t->bucket_mask = t->bucket_mask_max < FLOW_BUCKETS_START - 1 ? t->bucket_mask_max
                                                                : FLOW_BUCKETS_START - 1;
    t->flows = aligned_alloc(_Alignof(struct ww_flow),
                             ((size_t)t->capacity + 1) * sizeof(struct ww_flow));
    if (t->flows != NULL) {
        /* Slots are set up when first used; only slot 0 must read as empty. */
        memset(&t->flows[0], 0, sizeof(t->flows[0]));
    }
    t->buckets = calloc(t->bucket_mask + 1, sizeof(uint32_t));
    t->streams = stream_pool_new(&cfg->stream);
    if (t->flows == NULL || t->buckets == NULL || t->streams == NULL) {
        flow_table_free(t);
        return NULL;
    }
    t->n_touched = 1;
    hash_seed_init(t);
    for (int i = 0; i < FLOW_LIST_MAX; i++) {
        uint32_t secs = cfg->timeout[i] < FLOW_TIMEOUT_MAX ? cfg->timeout[i] : FLOW_TIMEOUT_MAX;

        t->timeout_us[i] = (uint64_t)secs * US_PER_S;
    }
    t->lifetime_us = (uint64_t)cfg->lifetime * US_PER_S;
    t->on_end = on_end;
    t->end_ctx = ctx;
    t->stats.capacity = t->capacity;
    return t;
}

void flow_table_free(struct flow_table *t)
{
    if (t == NULL) {
        return;
    }
    stream_pool_free(t->streams);
    free(t->buckets);
    free(t->flows);
    free(t);
}

void flow_table_set_stream_handler(struct flow_table *t, stream_data_fn fn, void *ctx)
{
    t->stream_fn = fn;
    t->stream_ctx = ctx;
}

bool flow_table_wants_payload(const struct flow_table *t)
{
    return t->stream_fn != NULL;
}

const struct flow_stats *flow_table_stats(const struct flow_table *t)
{
    return &t->stats;
}

const struct stream_stats *flow_table_stream_stats(const struct flow_table *t)
{
    return stream_pool_stats(t->streams);
}

/* --- timer wheel --------------------------------------------------------- */

static uint64_t flow_deadline(const struct flow_table *t, const struct ww_flow *f)
{
    return f->last_us + t->timeout_us[f->list];
}

static void wheel_remove(struct flow_table *t, uint32_t i)
{
    struct ww_flow *f = &t->flows[i];
    struct wheel_slot *w = &t->wheel[f->wheel_slot];

    if (f->lprev != 0) {
        t->flows[f->lprev].lnext = f->lnext;
    } else {
        w->head = f->lnext;
    }
    if (f->lnext != 0) {
        t->flows[f->lnext].lprev = f->lprev;
    } else {
        w->tail = f->lprev;
    }
    f->lprev = f->lnext = 0;
}

/* Links a flow at the tail of the slot of its current deadline. */
static void wheel_insert(struct flow_table *t, uint32_t i)
{
    struct ww_flow *f = &t->flows[i];
    uint64_t sec = flow_deadline(t, f) / US_PER_S;
    struct wheel_slot *w;

    /* A deadline behind the wheel (time ran backwards) is checked next pass. */
    if (!t->wheel_used || sec < t->wheel_sec) {
        t->wheel_sec = sec;
        t->wheel_used = true;
    }
    f->wheel_slot = (uint16_t)(sec % FLOW_WHEEL_SLOTS);
    w = &t->wheel[f->wheel_slot];
    f->lprev = w->tail;
    f->lnext = 0;
    if (w->tail != 0) {
        t->flows[w->tail].lnext = i;
    } else {
        w->head = i;
    }
    w->tail = i;
}

/* Re-places a flow whose timeout class changed with its state. */
static void wheel_reclass(struct flow_table *t, uint32_t i, enum flow_list which)
{
    struct ww_flow *f = &t->flows[i];

    if (f->list == which) {
        return;
    }
    f->list = (uint8_t)which;
    wheel_remove(t, i);
    wheel_insert(t, i);
}

/* --- hashing ------------------------------------------------------------- */

/*
 * Hashes a key given as six 64-bit values: the four address words and two
 * words packed from ports, VLANs, protocol and family. Six independent
 * multiplies, summed and mixed, run in parallel rather than in a chain. The
 * seed, drawn per table, keeps someone who picks addresses and ports from
 * aiming at one bucket.
 */
static uint64_t key_hash(const struct flow_table *t, const uint64_t w[6])
{
    static const uint64_t mult[6] = {0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full,
                                     0x165667b19e3779f9ull, 0xd6e8feb86659fd93ull,
                                     0xff51afd7ed558ccdull, 0xc4ceb9fe1a85ec53ull};
    uint64_t h = 0;

    for (size_t i = 0; i < 6; i++) {
        h += (w[i] ^ t->hash_seed[i]) * mult[i];
    }
    h ^= h >> 32;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 29;
    return h;
}

/* A bijection on [0, 2^51): run numbers become ids that do not look serial. */
static uint64_t flow_id_make(uint64_t n)
{
    const uint64_t mask = (1ull << FLOW_ID_BITS) - 1;

    n = (n * 0x5bd1e9955bd1e995ull) & mask;
    n ^= n >> 23;
    n = (n * 0x27d4eb2f165667c5ull) & mask;
    n ^= n >> 29;
    return n;
}

/* Fills a canonical key; *swapped is 1 when the packet's source is endpoint 1. */
static uint64_t load_be64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Compares two addresses as big-endian numbers: <0, 0 or >0. */
static int addr_cmp(const uint8_t *a, const uint8_t *b, uint8_t family)
{
    uint64_t x, y;

    for (size_t off = 0; off < (family == 4 ? 8u : 16u); off += 8) {
        x = load_be64(a + off);
        y = load_be64(b + off);
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    return 0;
}

/*
 * Fills a canonical key and returns its hash; *swapped is 1 when the
 * packet's source is endpoint 1. The hash is taken from the values, not
 * read back from the key just written, which would stall on the stores.
 */
static uint64_t key_from_packet(const struct flow_table *t, const struct ww_packet *p,
                                struct flow_key *k, int *swapped)
{
    int cmp = addr_cmp(p->src_ip, p->dst_ip, p->family);
    const uint8_t *lo_addr, *hi_addr;
    uint16_t lo_port, hi_port;
    uint64_t w[6];

    if (cmp == 0) {
        cmp = (int)p->sport - (int)p->dport;
    }
    *swapped = cmp > 0;
    lo_addr = *swapped ? p->dst_ip : p->src_ip;
    hi_addr = *swapped ? p->src_ip : p->dst_ip;
    lo_port = *swapped ? p->dport : p->sport;
    hi_port = *swapped ? p->sport : p->dport;
    memcpy(&w[0], lo_addr, 16);
    memcpy(&w[2], hi_addr, 16);
    w[4] = (uint64_t)lo_port | (uint64_t)hi_port << 16 | (uint64_t)p->vlan[0] << 32 |
           (uint64_t)p->vlan[1] << 48;
    w[5] = (uint64_t)p->ip_proto | (uint64_t)p->family << 8;

    memset(k, 0, sizeof(*k));
    memcpy(k->addr[0], lo_addr, 16);
    memcpy(k->addr[1], hi_addr, 16);
    k->port[0] = lo_port;
    k->port[1] = hi_port;
    k->vlan[0] = p->vlan[0];
    k->vlan[1] = p->vlan[1];
    k->proto = p->ip_proto;
    k->family = p->family;
    return key_hash(t, w);
}

static bool key_equal(const struct flow_key *a, const struct flow_key *b)
{
    uint64_t wa[sizeof(*a) / 8], wb[sizeof(*b) / 8];
    uint64_t diff = 0;

    memcpy(wa, a, sizeof(wa));
    memcpy(wb, b, sizeof(wb));
    for (size_t i = 0; i < sizeof(wa) / 8; i++) {
        diff |= wa[i] ^ wb[i];
    }
    return diff == 0;
}

static uint32_t table_lookup(const struct flow_table *t, const struct flow_key *k, uint64_t h)
{
    uint32_t i = t->buckets[h & t->bucket_mask];

    while (i != 0) {
        const struct ww_flow *f = &t->flows[i];

        if (f->hash == h && key_equal(&f->key, k)) {
            return i;
        }
        i = f->hnext;
    }
    return 0;
}

/* Doubles the bucket array and relinks every flow. Keeps the old one if memory is short. */
static void buckets_grow(struct flow_table *t)
{
    uint64_t mask = t->bucket_mask * 2 + 1;
    uint32_t *nb = calloc(mask + 1, sizeof(uint32_t));

    if (nb == NULL) {
        return;
    }
    for (uint64_t b = 0; b <= t->bucket_mask; b++) {
        uint32_t i = t->buckets[b];

        while (i != 0) {
            struct ww_flow *f = &t->flows[i];
            uint32_t next = f->hnext;

            f->hnext = nb[f->hash & mask];
            nb[f->hash & mask] = i;
            i = next;
        }
    }
    free(t->buckets);
    t->buckets = nb;
    t->bucket_mask = mask;
}

static void bucket_unlink(struct flow_table *t, uint32_t i)
{
    uint32_t *link = &t->buckets[t->flows[i].hash & t->bucket_mask];

    while (*link != i) {
        link = &t->flows[*link].hnext;
    }
    *link = t->flows[i].hnext;
}

/* --- ending flows -------------------------------------------------------- */

/* Hands a flow to the end callback and returns its slot to the free list. */
static void flow_end(struct flow_table *t, uint32_t i, enum flow_end_reason why)
{
    struct ww_flow *f = &t->flows[i];

    if (t->stream_fn != NULL && f->key.proto == IPPROTO_NUM_TCP) {
        stream_flow_end(t->streams, f, t->stream_fn, t->stream_ctx);
    }
    t->on_end(t->end_ctx, f, why);
    t->stats.ended[why]++;
    t->stats.active--;
    wheel_remove(t, i);
    bucket_unlink(t, i);
    f->hnext = t->free_head;
    t->free_head = i;
}

/*
 * Goes through one slot: ends what is due at now_us, moves what was busy
 * since it was placed to the slot of its new deadline.
 */
static void wheel_visit(struct flow_table *t, uint32_t slot, uint64_t now_us)
{
    uint32_t i = t->wheel[slot].head;

    while (i != 0) {
        struct ww_flow *f = &t->flows[i];
        uint32_t next = f->lnext;
        uint64_t due = flow_deadline(t, f);

        if (due <= now_us) {
            flow_end(t, i, FLOW_END_TIMEOUT);
        } else if ((due / US_PER_S) % FLOW_WHEEL_SLOTS != slot) {
            wheel_remove(t, i);
            wheel_insert(t, i);
        }
        i = next;
    }
}

void flow_table_expire(struct flow_table *t, uint64_t now_us)
{
    uint64_t now_sec = now_us / US_PER_S;
    uint64_t sec = t->wheel_sec;

    if (!t->wheel_used || sec > now_sec) {
        return;
    }
    /* Past one turn of the wheel, every slot has been seen once. */
    if (now_sec - sec >= FLOW_WHEEL_SLOTS) {
        sec = now_sec - (FLOW_WHEEL_SLOTS - 1);
    }
    for (; sec <= now_sec; sec++) {
        wheel_visit(t, (uint32_t)(sec % FLOW_WHEEL_SLOTS), now_us);
    }
    /* The current second's slot may hold flows due later in it. */
    if (t->wheel_sec < now_sec) {
        t->wheel_sec = now_sec;
    }
}

/*
 * The flow to evict when the table is full: the first placed in the slot
 * of the nearest deadline, so among flows of one timeout class the one
 * idle longest. Flows found busy on the way are moved on.
 */
static uint32_t evict_pick(struct flow_table *t)
{
    for (uint64_t sec = t->wheel_sec; sec < t->wheel_sec + FLOW_WHEEL_SLOTS; sec++) {
        uint32_t slot = (uint32_t)(sec % FLOW_WHEEL_SLOTS);
        uint32_t i;

        while ((i = t->wheel[slot].head) != 0) {
            uint64_t due_sec = flow_deadline(t, &t->flows[i]) / US_PER_S;

            if (due_sec <= sec) {
                return i;
            }
            wheel_remove(t, i);
            wheel_insert(t, i);
        }
    }
    return 0;
}

void flow_table_flush(struct flow_table *t)
{
    for (uint32_t n = 0; n < FLOW_WHEEL_SLOTS; n++) {
        uint32_t slot = (uint32_t)((t->wheel_sec + n) % FLOW_WHEEL_SLOTS);
        uint32_t i;

        while ((i = t->wheel[slot].head) != 0) {
            flow_end(t, i, FLOW_END_SHUTDOWN);
        }
    }
}

/* --- creating and updating ----------------------------------------------- */

static uint32_t slot_get(struct flow_table *t)
{
    uint32_t i = t->free_head;

    if (i != 0) {
        t->free_head = t->flows[i].hnext;
        return i;
    }
    if (t->n_touched <= t->capacity) {
        return t->n_touched++;
    }
    i = evict_pick(t);
    flow_end(t, i, FLOW_END_EVICTED);
    return slot_get(t);
}

static uint32_t flow_create(struct flow_table *t, const struct ww_packet *p,
                            const struct flow_key *k, uint64_t h, int swapped)
{
    uint32_t i = slot_get(t);
    struct ww_flow *f = &t->flows[i];

    memset(f, 0, sizeof(*f));
    f->key = *k;
    f->hash = h;
    f->id = flow_id_make(++t->next_seq);
    f->first_us = f->last_us = p->ts_us;
    f->client = (uint8_t)swapped;
    /* A SYN-ACK first means the SYN was missed: its receiver is the client. */
    if (p->ip_proto == IPPROTO_NUM_TCP && (p->tcp_flags & TCP_SYN) && (p->tcp_flags & TCP_ACK)) {
        f->client = (uint8_t)!swapped;
    }
    f->icmp_type = p->icmp_type;
    f->icmp_code = p->icmp_code;
    f->hnext = t->buckets[h & t->bucket_mask];
    t->buckets[h & t->bucket_mask] = i;
    f->list = p->ip_proto == IPPROTO_NUM_TCP ? FLOW_LIST_TCP_NEW : FLOW_LIST_OTHER_NEW;
    wheel_insert(t, i);
    t->stats.created++;
    if (++t->stats.active > t->stats.active_peak) {
        t->stats.active_peak = t->stats.active;
    }
    if (t->stats.active > t->bucket_mask / 2 && t->bucket_mask < t->bucket_mask_max) {
        buckets_grow(t);
    }
    return i;
}

static void tcp_track(struct ww_flow *f, int dir, uint8_t flags)
{
    if (flags & TCP_RST) {
        f->rst = true;
        f->tcp_state = FLOW_TCP_CLOSED;
        return;
    }
    if (flags & TCP_FIN) {
        f->dir[dir].fin = true;
    }
    switch (f->tcp_state) {
    case FLOW_TCP_NONE:
        if (flags & TCP_SYN) {
            f->tcp_state = (flags & TCP_ACK) ? FLOW_TCP_SYN_RECV : FLOW_TCP_SYN_SENT;
        } else {
            /* Picked up without its handshake: established once both ways talk. */
            f->midstream = true;
            if (f->dir[!dir].pkts > 0) {
                f->tcp_state = FLOW_TCP_ESTABLISHED;
            }
        }
        break;
    case FLOW_TCP_SYN_SENT:
        if ((flags & TCP_SYN) && (flags & TCP_ACK) && dir == FLOW_TOCLIENT) {
            f->tcp_state = FLOW_TCP_SYN_RECV;
        }
        break;
    case FLOW_TCP_SYN_RECV:
        if ((flags & TCP_ACK) && !(flags & TCP_SYN) && dir == FLOW_TOSERVER) {
            f->tcp_state = FLOW_TCP_ESTABLISHED;
        }
        break;
    default:
        break;
    }
    if (f->dir[0].fin && f->dir[1].fin) {
        f->tcp_state = FLOW_TCP_CLOSED;
    } else if ((f->dir[0].fin || f->dir[1].fin) && f->tcp_state == FLOW_TCP_ESTABLISHED) {
        f->tcp_state = FLOW_TCP_FIN_WAIT;
    }
}

static enum flow_list list_for(const struct ww_flow *f)
{
    if (f->key.proto != IPPROTO_NUM_TCP) {
        return f->dir[FLOW_TOCLIENT].pkts > 0 ? FLOW_LIST_OTHER_EST : FLOW_LIST_OTHER_NEW;
    }
    switch (f->tcp_state) {
    case FLOW_TCP_ESTABLISHED:
    case FLOW_TCP_FIN_WAIT:
        return FLOW_LIST_TCP_EST;
    case FLOW_TCP_CLOSED:
        return FLOW_LIST_TCP_CLOSED;
    default:
        return FLOW_LIST_TCP_NEW;
    }
}

static void flow_account(struct flow_table *t, struct ww_flow *f, int dir,
                         const struct ww_packet *p)
{
    struct flow_dir *d = &f->dir[dir];

    if (d->pkts == 0) {
        d->first_us = p->ts_us;
        if (p->has_eth && f->dir[!dir].pkts == 0) {
            memcpy(dir == FLOW_TOSERVER ? f->client_mac : f->server_mac, p->src_mac, 6);
            memcpy(dir == FLOW_TOSERVER ? f->server_mac : f->client_mac, p->dst_mac, 6);
        }
    }
    if (p->ts_us > d->last_us) {
        d->last_us = p->ts_us;
    }
    d->pkts++;
    d->bytes += p->wirelen;
    if (p->ts_us > f->last_us) {
        f->last_us = p->ts_us;
    }
    if (f->key.proto != IPPROTO_NUM_TCP || !(p->flags & PKT_HAS_L4)) {
        return;
    }
    d->tcp_flags |= p->tcp_flags;
    tcp_track(f, dir, p->tcp_flags);
    if (t->stream_fn != NULL && !f->stream_off) {
        struct stream_segment seg = {p->tcp_seq, p->tcp_ack, p->tcp_flags, p->payload,
                                     p->payload_len};

        stream_segment(t->streams, f, dir, &seg, t->stream_fn, t->stream_ctx);
    }
}

/*
 * Whether a flow must end before this packet, which then opens a new one:
 * busy past the lifetime limit, or a fresh SYN on a closed TCP connection
 * (the client reused its port). Returns FLOW_END_MAX when it goes on.
 */
static enum flow_end_reason flow_ends_before(const struct flow_table *t, const struct ww_flow *f,
                                             const struct ww_packet *p)
{
    if (p->ts_us > f->first_us && p->ts_us - f->first_us > t->lifetime_us) {
        return FLOW_END_LIFETIME;
    }
    if (f->tcp_state == FLOW_TCP_CLOSED && (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN &&
        f->key.proto == IPPROTO_NUM_TCP) {
        return FLOW_END_REUSED;
    }
    return FLOW_END_MAX;
}

void flow_table_prepare(const struct flow_table *t, const struct ww_packet *p,
                        struct flow_lookup *lk)
{
    lk->hash = key_from_packet(t, p, &lk->key, &lk->swapped);
    __builtin_prefetch(&t->buckets[lk->hash & t->bucket_mask]);
}

void flow_table_prefetch(const struct flow_table *t, const struct flow_lookup *lk)
{
    uint32_t i = t->buckets[lk->hash & t->bucket_mask];

    if (i != 0) {
        const char *f = (const char *)&t->flows[i];

        __builtin_prefetch(f);
        __builtin_prefetch(f + 64);
        __builtin_prefetch(f + 128);
    }
}

struct ww_flow *flow_table_packet_prepared(struct flow_table *t, const struct ww_packet *p,
                                           const struct flow_lookup *lk, int *dir)
{
    uint32_t i;
    struct ww_flow *f;

    if (p->flags & PKT_FRAG_LATER) {
        t->stats.untracked_fragments++;
        return NULL;
    }
    i = table_lookup(t, &lk->key, lk->hash);
    if (i != 0) {
        enum flow_end_reason why = flow_ends_before(t, &t->flows[i], p);

        if (why != FLOW_END_MAX) {
            flow_end(t, i, why);
            i = 0;
        }
    }
    if (i == 0) {
        i = flow_create(t, p, &lk->key, lk->hash, lk->swapped);
    }
    f = &t->flows[i];
    *dir = lk->swapped == f->client ? FLOW_TOSERVER : FLOW_TOCLIENT;
    flow_account(t, f, *dir, p);
    wheel_reclass(t, i, list_for(f));
    return f;
}

struct ww_flow *flow_table_packet(struct flow_table *t, const struct ww_packet *p, int *dir)
{
    struct flow_lookup lk;

    flow_table_prepare(t, p, &lk);
    return flow_table_packet_prepared(t, p, &lk, dir);
}

/* --- names and Community ID ---------------------------------------------- */

const char *flow_tcp_state_name(enum flow_tcp_state st)
{
    static const char *const names[] = {"none",        "syn_sent", "syn_recv",
                                        "established", "fin_wait", "closed"};

    return st <= FLOW_TCP_CLOSED ? names[st] : "unknown";
}

const char *flow_end_reason_name(enum flow_end_reason why)
{
    static const char *const names[] = {"timeout", "evicted", "lifetime", "shutdown", "reused"};

    return why < FLOW_END_MAX ? names[why] : "unknown";
}

/*
 * ICMP types that come in request/reply pairs map to their counterpart, as
 * the Community ID spec (section "ICMP") asks; -1 means one-way.
 */
static int icmp_counterpart(uint8_t family, uint8_t type)
{
    static const uint8_t v4[][2] = {{8, 0}, {0, 8}, {13, 14}, {14, 13}, {15, 16}, {16, 15},
                                    {10, 9}, {9, 10}, {17, 18}, {18, 17}};
    static const uint8_t v6[][2] = {{128, 129}, {129, 128}, {130, 131}, {131, 130},
                                    {133, 134}, {134, 133}, {135, 136}, {136, 135},
                                    {139, 140}, {140, 139}, {144, 145}, {145, 144}};
    const uint8_t(*map)[2] = family == 4 ? v4 : v6;
    size_t n = family == 4 ? sizeof(v4) / sizeof(v4[0]) : sizeof(v6) / sizeof(v6[0]);

    for (size_t i = 0; i < n; i++) {
        if (map[i][0] == type) {
            return map[i][1];
        }
    }
    return -1;
}

/* Orders two endpoints as the spec does: smaller address, then port, first. */
static bool endpoint_less(const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp,
                          size_t alen)
{
    int cmp = memcmp(a, b, alen);

    return cmp < 0 || (cmp == 0 && ap < bp);
}

void flow_community_id(const struct ww_flow *f, char *out)
{
    static const char prefix[] = "1:";
    uint8_t buf[2 + 16 + 16 + 4 + 4];
    uint8_t digest[SHA1_DIGEST_LEN];
    struct sha1_ctx sha;
    size_t alen = f->key.family == 4 ? 4 : 16;
    size_t n = 0;
    const uint8_t *sa = flow_side_addr(f, 0), *da = flow_side_addr(f, 1);
    uint16_t sp = flow_side_port(f, 0), dp = flow_side_port(f, 1);
    bool one_way = false;
    bool has_ports = true;

    if (f->key.proto != IPPROTO_NUM_TCP && f->key.proto != IPPROTO_NUM_UDP &&
        f->key.proto != IPPROTO_NUM_SCTP && f->key.proto != IPPROTO_NUM_ICMP &&
        f->key.proto != IPPROTO_NUM_ICMPV6) {
        has_ports = false;
    }
    if (f->key.proto == IPPROTO_NUM_ICMP || f->key.proto == IPPROTO_NUM_ICMPV6) {
        int peer = icmp_counterpart(f->key.family, f->icmp_type);

        sp = f->icmp_type;
        dp = peer >= 0 ? (uint16_t)peer : f->icmp_code;
        one_way = peer < 0;
    }
    if (!one_way && !endpoint_less(sa, sp, da, dp, alen)) {
        const uint8_t *ta = sa;
        uint16_t tp = sp;

        sa = da;
        sp = dp;
        da = ta;
        dp = tp;
    }
    buf[n++] = 0; /* seed 0, big-endian */
    buf[n++] = 0;
    memcpy(buf + n, sa, alen);
    n += alen;
    memcpy(buf + n, da, alen);
    n += alen;
    buf[n++] = f->key.proto;
    buf[n++] = 0;
    if (has_ports) {
        buf[n++] = (uint8_t)(sp >> 8);
        buf[n++] = (uint8_t)sp;
        buf[n++] = (uint8_t)(dp >> 8);
        buf[n++] = (uint8_t)dp;
    }
    sha1_init(&sha);
    sha1_update(&sha, buf, n);
    sha1_final(&sha, digest);
    memcpy(out, prefix, 2);
    base64_encode(digest, sizeof(digest), out + 2);
}
