/* SPDX-License-Identifier: MIT */
/*
 * baseline: per-device behaviour learned in the first part of the capture.
 *
 * While learning, every flow adds a "talk" for each of its devices: the
 * peer (a device, or "outside" for an address beyond the site), the
 * direction (opened or accepted), the transport and the server port. The
 * services a device answered on, the IPv4 addresses each MAC claimed in
 * ARP, and the most flows a device opened in one window are kept too.
 * When learning ends, each talk is also kept by the class its peer had
 * then, so that afterwards a talk is new only when neither that peer nor
 * any peer of its class was seen on that service in that direction.
 *
 * Volumes: the bytes each device sent to each peer (all outside addresses
 * as one) on each service are counted in windows of BASELINE_WINDOW_S,
 * at a flow's checkpoints (baseline_checkpoint) and at its end; the most
 * in one window is the band. When learning ends, each peer class gets the
 * widest band of its peers, for peers first met afterwards. With a day or
 * more of learning, bands (flows opened and bytes sent) are kept by hour
 * of the day, and a window is judged by its hour and the two beside it:
 * a device that is busier by day is judged by its day. After learning, a
 * window that was busier than its band but no anomaly moves the band an
 * eighth of the way to it (slow drift), and an analyst's verdict
 * (baseline_accept) widens it at once.
 *
 * After learning nothing is added: a departure is reported as an anomaly
 * event naming the device, what it did and what it did while learning.
 * Each departure (device, kind, peer or peer class, service) is reported
 * once, and a device gets at most BASELINE_BURST anomalies of a kind per
 * BASELINE_QUIET_S; what is held back is counted as repeats.
 */
#include "detect/baseline.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode_int.h"
#include "output/events.h"
#include "output/json.h"
#include "util/grow.h"
#include "util/u64map.h"
#include "util/u64set.h"

#define US_PER_S 1000000ull
#define BL_ID_BITS 21                      /* device ids that fit a key */
#define BL_ID_MAX ((1u << BL_ID_BITS) - 1)
#define BL_PORT_DYN 0xffffu                /* server ports from 49152 up, as one */
#define BL_PORT_EPHEMERAL 49152u
#define BL_TAG_TALK (1ull << 63)
#define BL_TAG_CLASS (1ull << 62)
#define BL_TAG_OFFER (1ull << 61)
#define BL_TAG_IP (1ull << 60)
#define BL_TAG_IP_MAC (1ull << 63)
#define BL_CLASS_OUTSIDE 0 /* class codes in class keys: outside, no class, then rules classes */
#define BL_CLASS_NONE 1
#define BL_TEXT_MAX 640
#define BL_DEPARTURE_MAX 96
#define BL_HOURS 24

enum bl_dir { BL_OPENED = 0, BL_ACCEPTED = 1 };

/*
 * The most seen in one window while learning, overall and by hour of the
 * day (UTC). The hours are kept only when bands are judged by hour (a day
 * of learning or more), in a row of the baseline's table: most records
 * never need them.
 */
struct bl_band {
    uint64_t max;
    uint32_t hours; /* 1 + its row in the baseline's hours, 0 for none yet */
};

/* What is counted over the current window: flows opened, or bytes sent. */
struct bl_window {
    uint64_t start_us;
    uint64_t count;
    bool over; /* reported as an anomaly */
};

struct bl_device {
    bool learned;      /* seen while learning */
    bool had_outside;  /* talked with an outside address while learning */
    uint64_t burst_start_us[BL_KIND_MAX]; /* reports of a kind: when the burst began */
    uint32_t burst_count[BL_KIND_MAX];    /* ... and how many it has had */
    struct bl_window flows; /* flows opened */
    struct bl_band flow_band;
};

/* Bytes a device sent to a peer (or to a peer class, for the band only) on a service. */
struct bl_volume {
    struct bl_window learning; /* bytes sent while learning, counted even after it */
    struct bl_window window;   /* bytes sent since */
    struct bl_band band;
    bool learned; /* the band was learned for this peer, not taken from its class */
};

struct baseline {
    struct baseline_config cfg;
    struct baseline_stats stats;
    bool started;
    struct u64set talks, classes, offers, ips, ip_macs;
    struct u64set reported; /* departures written, so each is written once */
    struct bl_device *dev; /* by device id */
    size_t n_dev;
    struct u64map volume_at; /* talk or class key: index in vol */
    struct bl_volume *vol;
    size_t n_vol, cap_vol;
    uint64_t (*hours)[BL_HOURS]; /* the bands' maxima by hour */
    size_t n_hours, cap_hours;
};

static const char *const kind_names[BL_KIND_MAX] = {
    "new_device", "new_peer_class", "new_service", "first_outside", "arp_rebind", "flow_rate",
    "volume",
};

const char *baseline_kind_name(enum baseline_kind k)
{
    return k < BL_KIND_MAX ? kind_names[k] : "unknown";
}

struct baseline *baseline_new(const struct baseline_config *cfg)
{
    struct baseline *b = calloc(1, sizeof(*b));

    if (b == NULL) {
        return NULL;
    }
    b->cfg = *cfg;
    b->stats.learning = true;
    return b;
}

void baseline_free(struct baseline *b)
{
    if (b == NULL) {
        return;
    }
    u64set_free(&b->talks);
    u64set_free(&b->classes);
    u64set_free(&b->offers);
    u64set_free(&b->ips);
    u64set_free(&b->ip_macs);
    u64set_free(&b->reported);
    u64map_free(&b->volume_at);
    free(b->vol);
    free(b->hours);
    free(b->dev);
    free(b);
}

const struct baseline_stats *baseline_stats(const struct baseline *b)
{
    return &b->stats;
}

/* ---- a flow as the baselines see it -------------------------------------- */

/*
 * The flow's server is the side that did not send first, except that a
 * UDP flow, or a TCP flow picked up midstream, whose first sender used a
 * port below 1024 towards one above it is taken the other way round: a
 * reply seen before its request.
 */
struct bl_flow {
    const struct ww_flow *f;
    int srv;        /* the server's flow side, 0 or 1 */
    uint32_t id[2]; /* devices by flow side (0: none) */
    uint64_t ts_us;
};

static void bl_flow_init(struct bl_flow *x, const struct ww_flow *f, const uint32_t ids[2],
                         uint64_t ts_us)
{
    bool guess = f->key.proto == IPPROTO_NUM_UDP || f->midstream;

    x->f = f;
    x->srv = guess && flow_side_port(f, 0) < 1024 && flow_side_port(f, 1) >= 1024 ? 0 : 1;
    x->id[0] = ids[0];
    x->id[1] = ids[1];
    x->ts_us = ts_us;
}

static unsigned transport_code(uint8_t proto)
{
    return proto == IPPROTO_NUM_TCP ? 1 : proto == IPPROTO_NUM_UDP ? 2 : 3;
}

static uint16_t service_port(const struct bl_flow *x)
{
    uint16_t port = flow_side_port(x->f, x->srv);

    if (transport_code(x->f->key.proto) == 3) {
        return 0;
    }
    return port >= BL_PORT_EPHEMERAL ? BL_PORT_DYN : port;
}

/* The service part of a key, as seen from a side: direction, transport, port. */
static uint64_t service_bits(const struct bl_flow *x, int side)
{
    uint64_t dir = side == x->srv ? BL_ACCEPTED : BL_OPENED;

    return dir << 18 | (uint64_t)transport_code(x->f->key.proto) << 16 | service_port(x);
}

/* ---- keys ---------------------------------------------------------------- */

static uint64_t talk_key(uint32_t id, uint32_t peer, uint64_t service)
{
    return BL_TAG_TALK | (uint64_t)id << 40 | (uint64_t)peer << 19 | service;
}

static uint64_t class_key(uint32_t id, unsigned class_code, uint64_t service)
{
    return BL_TAG_CLASS | (uint64_t)id << 40 | (uint64_t)class_code << 19 | service;
}

static uint64_t offer_key(const struct bl_flow *x)
{
    return BL_TAG_OFFER | (uint64_t)x->id[x->srv] << 40 | service_bits(x, x->srv);
}

/* A departure already reported: the device, the kind, the peer or its class, the service. */
static uint64_t reported_key(enum baseline_kind kind, uint32_t id, uint32_t other,
                             uint64_t service)
{
    return 1ull << 63 | (uint64_t)kind << 59 | (uint64_t)id << 38 |
           (uint64_t)(other & 0x7ffff) << 19 | service;
}

static uint64_t ip_key(const uint8_t ip[4])
{
    return BL_TAG_IP | (uint64_t)ip[0] << 24 | (uint64_t)ip[1] << 16 | (uint64_t)ip[2] << 8 | ip[3];
}

static uint64_t mac_bits(const uint8_t mac[6])
{
    uint64_t m = 0;

    for (int i = 0; i < 6; i++) {
        m = m << 8 | mac[i];
    }
    return m;
}

/* The address and a 27-bit digest of the MAC: a digest collision only hides a rebind. */
static uint64_t ip_mac_bits_key(uint32_t ip, uint64_t mac)
{
    return BL_TAG_IP_MAC | (uint64_t)ip << 27 | (mac * 0x9e3779b97f4a7c15ull) >> 37;
}

static uint64_t ip_mac_key(const uint8_t ip[4], const uint8_t mac[6])
{
    return ip_mac_bits_key((uint32_t)(ip_key(ip) & 0xffffffffull), mac_bits(mac));
}

/* The class code of a peer: outside, a device's rules class, or none. */
static unsigned peer_class_code(const struct baseline *b, uint32_t peer)
{
    const struct inv_device *d = inventory_device_by_id(b->cfg.inv, peer);

    if (peer == 0) {
        return BL_CLASS_OUTSIDE;
    }
    return d != NULL && d->class_idx >= 0 ? (unsigned)d->class_idx + 2 : BL_CLASS_NONE;
}

/* ---- devices ------------------------------------------------------------- */

static struct bl_device *device(struct baseline *b, uint32_t id)
{
    if (id == 0 || id > BL_ID_MAX) {
        return NULL;
    }
    struct bl_device *all = grow_to_index(b->dev, &b->n_dev, sizeof(*b->dev), id);

    if (all == NULL) {
        return NULL;
    }
    b->dev = all;
    return &b->dev[id];
}

/* ---- bands and windows -------------------------------------------------- */

static unsigned hour_of(uint64_t ts_us)
{
    return (unsigned)(ts_us / US_PER_S / 3600 % BL_HOURS);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* Whether bands are judged by hour of the day: after a day or more of learning. */
static bool by_hour(const struct baseline *b)
{
    return b->cfg.learn_us >= BASELINE_DAY_S * US_PER_S;
}

/* A band's maxima by hour, when bands are judged by hour and it has them; else NULL. */
static uint64_t *hours_of(const struct baseline *b, const struct bl_band *band)
{
    return by_hour(b) && band->hours != 0 ? b->hours[band->hours - 1] : NULL;
}

/*
 * The same, made (all 0) when absent. NULL when bands are not judged by
 * hour or memory cannot be had. Making a row may move the others: take a
 * row's pointer after the last row is made.
 */
static uint64_t *hours_made(struct baseline *b, struct bl_band *band)
{
    uint64_t(*all)[BL_HOURS];

    if (!by_hour(b) || band->hours != 0) {
        return hours_of(b, band);
    }
    if (b->n_hours >= UINT32_MAX - 1) {
        return NULL;
    }
    all = grow_to_index(b->hours, &b->cap_hours, sizeof(*b->hours), b->n_hours);
    if (all == NULL) {
        return NULL;
    }
    b->hours = all;
    band->hours = (uint32_t)++b->n_hours;
    return b->hours[band->hours - 1];
}

/* Raises the band (and its hour's, when kept) to seen. */
static void band_learn(struct baseline *b, struct bl_band *band, uint64_t ts_us, uint64_t seen)
{
    uint64_t *hours = hours_made(b, band);

    band->max = max_u64(band->max, seen);
    if (hours != NULL) {
        hours[hour_of(ts_us)] = max_u64(hours[hour_of(ts_us)], seen);
    }
}

/* The band for a window starting at ts_us: its hour's and the neighbours', or the whole. */
static uint64_t band_at(const struct baseline *b, const struct bl_band *band, uint64_t ts_us)
{
    unsigned h = hour_of(ts_us);
    const uint64_t *hours = hours_of(b, band);

    if (!by_hour(b)) {
        return band->max;
    }
    if (hours == NULL) {
        return 0; /* nothing learned in any hour */
    }
    return max_u64(hours[(h + BL_HOURS - 1) % BL_HOURS],
                   max_u64(hours[h], hours[(h + 1) % BL_HOURS]));
}

/* A copy of src's maxima, by hour too, in dst (a record seeded from its class). */
static void band_copy(struct baseline *b, struct bl_band *dst, const struct bl_band *src)
{
    uint64_t *to = hours_of(b, src) != NULL ? hours_made(b, dst) : NULL;
    const uint64_t *from = hours_of(b, src); /* after dst's row is made */

    dst->max = src->max;
    if (to != NULL && from != NULL) {
        memcpy(to, from, sizeof(*b->hours));
    }
}

/* Widens a band to seen: at once (to_seen), or by an eighth of the gap (slow drift). */
static void band_widen(struct baseline *b, struct bl_band *band, uint64_t ts_us, uint64_t seen,
                       bool to_seen)
{
    uint64_t *hours = hours_made(b, band);
    uint64_t *part[2] = {&band->max, hours != NULL ? &hours[hour_of(ts_us)] : NULL};

    for (int i = 0; i < 2 && part[i] != NULL; i++) {
        if (seen > *part[i]) {
            *part[i] += to_seen ? seen - *part[i] : (seen - *part[i]) >> BASELINE_DRIFT_SHIFT;
        }
    }
}

static uint64_t band_limit(uint64_t learned, uint64_t factor, uint64_t floor)
{
    return max_u64(learned * factor, floor);
}

/*
 * Adds to the window (starting a new one when it is over), and to the band
 * while learning; afterwards an ended window that was busier than its band
 * but not reported moves the band.
 */
static void window_add(struct baseline *b, struct bl_window *w, struct bl_band *band,
                       uint64_t ts_us, uint64_t amount, bool learning)
{
    if (ts_us >= w->start_us + BASELINE_WINDOW_S * US_PER_S) {
        if (!learning && !w->over) {
            band_widen(b, band, w->start_us, w->count, false);
        }
        w->start_us = ts_us;
        w->count = 0;
        w->over = false;
    }
    w->count += amount;
    if (learning) {
        band_learn(b, band, w->start_us, w->count);
    }
}

/* The volume record of key, made (zeroed) when absent and make; NULL otherwise. */
static struct bl_volume *volume(struct baseline *b, uint64_t key, bool make)
{
    uint32_t i;
    struct bl_volume *all;

    if (u64map_get(&b->volume_at, key, &i)) {
        return &b->vol[i];
    }
    if (!make || b->n_vol >= UINT32_MAX) {
        return NULL;
    }
    all = grow_to_index(b->vol, &b->cap_vol, sizeof(*b->vol), b->n_vol);
    if (all == NULL) {
        return NULL;
    }
    b->vol = all;
    if (u64map_put(&b->volume_at, key, (uint32_t)b->n_vol) < 0) {
        return NULL;
    }
    return &b->vol[b->n_vol++];
}

/* Whether a side is an address outside the site (and so has no device). */
static bool side_outside(const struct bl_flow *x, int side)
{
    const uint8_t *a = flow_side_addr(x->f, side);

    return x->id[side] == 0 && inventory_addr_unicast(x->f->key.family, a) &&
           !inventory_addr_local(x->f->key.family, a);
}

/* ---- learning ------------------------------------------------------------ */

/* Widens the band of a class by one of its peers' (record index i, key k). */
static void fold_volume_band(struct baseline *b, uint64_t k, uint32_t i)
{
    struct bl_volume *cls = volume(b, class_key((uint32_t)(k >> 40) & BL_ID_MAX,
                                                peer_class_code(b, (uint32_t)(k >> 19) & BL_ID_MAX),
                                                k & 0x7ffff),
                                   true);
    struct bl_volume *peer = &b->vol[i]; /* after volume(), which may move the records */
    uint64_t *to, *from;

    peer->learned = true;
    if (cls == NULL) {
        return;
    }
    cls->band.max = max_u64(cls->band.max, peer->band.max);
    to = hours_of(b, &peer->band) != NULL ? hours_made(b, &cls->band) : NULL;
    from = hours_of(b, &peer->band); /* after the class's row is made */
    for (int h = 0; to != NULL && from != NULL && h < BL_HOURS; h++) {
        to[h] = max_u64(to[h], from[h]);
    }
}

/* Gives each peer class the widest band of its peers', as the classes stand now. */
static void fold_volume_bands(struct baseline *b)
{
    size_t n = b->volume_at.n, got = 0;
    uint64_t *keys = malloc(n * sizeof(*keys) + 1);
    uint32_t *at = malloc(n * sizeof(*at) + 1);

    /* The talk keys first: adding class keys moves the map's slots. */
    for (size_t i = 0; keys != NULL && at != NULL && i < b->volume_at.cap; i++) {
        if (b->volume_at.keys[i] & BL_TAG_TALK) {
            keys[got] = b->volume_at.keys[i];
            at[got++] = b->volume_at.values[i];
        }
    }
    for (size_t i = 0; i < got; i++) {
        fold_volume_band(b, keys[i], at[i]);
    }
    free(keys);
    free(at);
}

/* Keeps every learned talk by its peer's class as the classes stand now. */
static void finish_learning(struct baseline *b)
{
    for (size_t i = 0; i < b->talks.cap; i++) {
        uint64_t k = b->talks.slots[i];

        if (k == 0) {
            continue;
        }
        uint32_t id = (uint32_t)(k >> 40) & BL_ID_MAX;
        uint32_t peer = (uint32_t)(k >> 19) & BL_ID_MAX;

        u64set_add(&b->classes, class_key(id, peer_class_code(b, peer), k & 0x7ffff));
    }
    fold_volume_bands(b);
    b->stats.learning = false;
}

/* Moves the clock; learning ends at the first event past its end. */
static void advance(struct baseline *b, uint64_t ts_us)
{
    if (!b->started) {
        b->started = true;
        b->stats.learn_end_us = ts_us + b->cfg.learn_us;
    }
    if (b->stats.learning && ts_us >= b->stats.learn_end_us) {
        finish_learning(b);
    }
}

static void learn_side(struct baseline *b, const struct bl_flow *x, int side)
{
    struct bl_device *d = device(b, x->id[side]);
    bool outside = side_outside(x, !side);

    if (d == NULL || (x->id[!side] == 0 && !outside)) {
        return; /* no device, or a peer that is neither a device nor outside */
    }
    if (!d->learned) {
        d->learned = true;
        b->stats.devices_learned++;
    }
    d->had_outside |= outside;
    if (u64set_add(&b->talks, talk_key(x->id[side], x->id[!side], service_bits(x, side))) == 1) {
        b->stats.talks_learned++;
    }
}

/* ---- the anomaly event --------------------------------------------------- */

struct bl_report {
    enum baseline_kind kind;
    uint32_t id;              /* the device it is about */
    uint32_t peer;            /* the device on the other side, or 0 */
    const struct bl_flow *x;  /* the flow that showed it, or NULL */
    uint64_t ts_us;
    uint64_t what;            /* reported_key of the departure */
    char reason[BL_TEXT_MAX]; /* in words */
    char departure[BL_DEPARTURE_MAX]; /* what baseline_accept takes to widen the baseline */
    bool with_expected;       /* name what the device did while learning */
};

static void service_text(uint64_t service, char *out, size_t len)
{
    static const char *const transports[4] = {"?", "TCP", "UDP", "IP"};
    unsigned transport = (unsigned)(service >> 16 & 3), port = (unsigned)(service & 0xffff);

    if (transport == 3) {
        snprintf(out, len, "IP");
    } else if (port == BL_PORT_DYN) {
        snprintf(out, len, "%s/dynamic", transports[transport]);
    } else {
        snprintf(out, len, "%s/%u", transports[transport], port);
    }
}

static const char *class_code_name(const struct baseline *b, unsigned code)
{
    if (code == BL_CLASS_OUTSIDE) {
        return "outside";
    }
    if (code == BL_CLASS_NONE) {
        return "unknown";
    }
    return inventory_rules(b->cfg.inv)->classes[code - 2].name;
}

/* What the device did while learning: up to BASELINE_EXPECTED_MAX classes and services. */
static void write_expected(struct jbuf *jb, const struct baseline *b, uint32_t id)
{
    int n = 0;

    jb_array_open(jb, "expected");
    for (size_t i = 0; i < b->classes.cap && n < BASELINE_EXPECTED_MAX; i++) {
        uint64_t k = b->classes.slots[i];
        char svc[32], text[RULES_NAME_MAX + 64];

        if (k == 0 || ((uint32_t)(k >> 40) & BL_ID_MAX) != id) {
            continue;
        }
        service_text(k & 0x3ffff, svc, sizeof(svc));
        snprintf(text, sizeof(text), "%s %s on %s", (k >> 18 & 1) ? "accepted from" : "opened to",
                 class_code_name(b, (unsigned)(k >> 19) & 0xfff), svc);
        jb_str(jb, NULL, text);
        n++;
    }
    jb_array_close(jb);
}

/* Whether the report goes out: not a departure reported before, and within the burst. */
static bool take_report(struct baseline *b, struct bl_device *d, const struct bl_report *r)
{
    if (u64set_has(&b->reported, r->what)) {
        b->stats.repeats++;
        return false;
    }
    if (r->ts_us >= d->burst_start_us[r->kind] + BASELINE_QUIET_S * US_PER_S) {
        d->burst_start_us[r->kind] = r->ts_us;
        d->burst_count[r->kind] = 0;
    }
    if (d->burst_count[r->kind] >= BASELINE_BURST) {
        b->stats.repeats++;
        return false;
    }
    d->burst_count[r->kind]++;
    u64set_add(&b->reported, r->what);
    return true;
}

static void report(struct baseline *b, const struct bl_report *r)
{
    struct bl_device *d = device(b, r->id);
    struct jbuf *jb;

    if (d == NULL) {
        return;
    }
    if (b->cfg.alerts != NULL) { /* every departure counts in the device's alert */
        alerts_add(b->cfg.alerts, r->ts_us, r->id, kind_names[r->kind], r->reason);
    }
    if (!take_report(b, d, r)) {
        return;
    }
    b->stats.anomalies[r->kind]++;
    jb = eve_begin(b->cfg.eve, r->ts_us, "anomaly");
    if (r->x != NULL) {
        events_flow_fields(jb, r->x->f);
    }
    jb_object_open(jb, "anomaly");
    jb_str(jb, "type", "behaviour");
    jb_str(jb, "kind", kind_names[r->kind]);
    jb_str(jb, "severity",
           alerts_severity_name(alerts_severity(b->cfg.inv, r->id, kind_names[r->kind])));
    jb_str(jb, "reason", r->reason);
    jb_str(jb, "departure", r->departure);
    inventory_write_device(jb, b->cfg.inv, "device", r->id);
    inventory_write_device(jb, b->cfg.inv, "peer", r->peer);
    if (r->with_expected) {
        write_expected(jb, b, r->id);
    }
    jb_u64(jb, "learned_s", b->cfg.learn_us / US_PER_S);
    jb_object_close(jb);
    eve_commit(b->cfg.eve);
}

static void ip_text(uint8_t family, const uint8_t *a, char *out, size_t len)
{
    if (inet_ntop(family == 4 ? AF_INET : AF_INET6, a, out, (socklen_t)len) == NULL) {
        snprintf(out, len, "?");
    }
}

/* "patient monitor mon-bed-14 (10.20.1.22)", or the address of a side without a device. */
static void describe(const struct baseline *b, const struct bl_flow *x, int side, char *out,
                     size_t len)
{
    const struct inv_device *d = inventory_device_by_id(b->cfg.inv, x->id[side]);
    const char *name = d != NULL ? inventory_device_name(d) : NULL;
    char ip[INET6_ADDRSTRLEN], cls[RULES_NAME_MAX];

    ip_text(x->f->key.family, flow_side_addr(x->f, side), ip, sizeof(ip));
    if (d == NULL) {
        snprintf(out, len, "%s %s", side_outside(x, side) ? "outside address" : "address", ip);
        return;
    }
    snprintf(cls, sizeof(cls), "%s", d->class_idx >= 0 ? inventory_class_name(b->cfg.inv, d)
                                                       : "device");
    for (char *c = cls; *c != '\0'; c++) {
        *c = *c == '_' ? ' ' : *c;
    }
    snprintf(out, len, "%s%s%s (%s)", cls, name != NULL ? " " : "", name != NULL ? name : "", ip);
}

static unsigned long long learned_s(const struct baseline *b)
{
    return (unsigned long long)(b->cfg.learn_us / US_PER_S);
}

/* ---- checks after learning ----------------------------------------------- */

static void check_new_device(struct baseline *b, const struct bl_flow *x, int side)
{
    char who[160], other[160], svc[32];
    struct bl_report r = {.kind = BL_NEW_DEVICE, .id = x->id[side], .peer = x->id[!side],
                          .x = x, .ts_us = x->ts_us};

    r.what = reported_key(r.kind, r.id, 0, 0);
    snprintf(r.departure, sizeof(r.departure), "new_device:%u", r.id);
    describe(b, x, side, who, sizeof(who));
    describe(b, x, !side, other, sizeof(other));
    service_text(service_bits(x, side), svc, sizeof(svc));
    snprintf(r.reason, sizeof(r.reason),
             "%s appeared after learning: it was not seen in %llu s of learning; its first flow "
             "%s %s %s %s",
             who, learned_s(b), side == x->srv ? "accepted" : "opened", svc,
             side == x->srv ? "from" : "to", other);
    report(b, &r);
}

static void check_outside(struct baseline *b, const struct bl_flow *x, int side)
{
    char who[160], other[160], svc[32];
    struct bl_report r = {.kind = BL_FIRST_OUTSIDE, .id = x->id[side], .x = x,
                          .ts_us = x->ts_us, .with_expected = true};

    r.what = reported_key(r.kind, r.id, 0, service_bits(x, side));
    snprintf(r.departure, sizeof(r.departure), "first_outside:%u:%llu", r.id,
             (unsigned long long)service_bits(x, side));
    describe(b, x, side, who, sizeof(who));
    describe(b, x, !side, other, sizeof(other));
    service_text(service_bits(x, side), svc, sizeof(svc));
    snprintf(r.reason, sizeof(r.reason),
             "%s %s %s %s %s; it had no traffic with outside addresses in %llu s of learning",
             who, side == x->srv ? "was reached on" : "opened", svc,
             side == x->srv ? "from" : "to", other, learned_s(b));
    report(b, &r);
}

static void check_peer_class(struct baseline *b, const struct bl_flow *x, int side)
{
    uint32_t id = x->id[side], peer = x->id[!side];
    uint64_t service = service_bits(x, side);
    unsigned code = peer_class_code(b, peer);
    char who[160], other[160], svc[32];
    struct bl_report r = {.kind = BL_NEW_PEER_CLASS, .id = id, .peer = peer, .x = x,
                          .ts_us = x->ts_us, .with_expected = true};

    if (u64set_has(&b->talks, talk_key(id, peer, service)) ||
        u64set_has(&b->classes, class_key(id, code, service))) {
        return;
    }
    r.what = reported_key(r.kind, id, code, service);
    snprintf(r.departure, sizeof(r.departure), "new_peer_class:%u:%u:%llu", id, code,
             (unsigned long long)service);
    describe(b, x, side, who, sizeof(who));
    describe(b, x, !side, other, sizeof(other));
    service_text(service, svc, sizeof(svc));
    snprintf(r.reason, sizeof(r.reason),
             "%s %s %s %s %s, a peer class (%s) it never %s on that service in %llu s of "
             "learning",
             who, side == x->srv ? "accepted" : "opened", svc, side == x->srv ? "from" : "to",
             other, class_code_name(b, code), side == x->srv ? "was contacted by" : "contacted",
             learned_s(b));
    report(b, &r);
}

/* " around this hour of the day" when bands are judged by hour. */
static const char *band_words(const struct baseline *b)
{
    return by_hour(b) ? " around this hour of the day" : "";
}

static void check_flow_rate(struct baseline *b, const struct bl_flow *x, int side)
{
    struct bl_device *d = device(b, x->id[side]);
    char who[160];
    uint64_t learned, limit;
    struct bl_report r = {.kind = BL_FLOW_RATE, .id = x->id[side], .x = x, .ts_us = x->ts_us};

    if (d == NULL || !d->learned || d->flows.over) {
        return;
    }
    learned = band_at(b, &d->flow_band, d->flows.start_us);
    limit = band_limit(learned, BASELINE_FLOWS_FACTOR, BASELINE_FLOWS_FLOOR);
    if (d->flows.count <= limit) {
        return;
    }
    d->flows.over = true; /* once per window, when it first goes past */
    r.what = reported_key(r.kind, r.id, 0, d->flows.start_us / US_PER_S & 0x3ffff);
    snprintf(r.departure, sizeof(r.departure), "flow_rate:%u:%llu:%llu", r.id,
             (unsigned long long)(d->flows.start_us / US_PER_S),
             (unsigned long long)d->flows.count);
    describe(b, x, side, who, sizeof(who));
    snprintf(r.reason, sizeof(r.reason),
             "%s opened more than %llu flows within %u s; the most it opened in any %u s of "
             "learning%s was %llu",
             who, (unsigned long long)limit, BASELINE_WINDOW_S, BASELINE_WINDOW_S, band_words(b),
             (unsigned long long)learned);
    report(b, &r);
}

/* Counts a flow the device opened in its current window. */
static void count_opened(struct baseline *b, uint32_t id, uint64_t ts_us)
{
    struct bl_device *d = device(b, id);

    if (d != NULL) {
        window_add(b, &d->flows, &d->flow_band, ts_us, 1, b->stats.learning);
    }
}

/* "12.3 MB": bytes in SI units, or "950 bytes". */
static void bytes_text(uint64_t n, char *out, size_t len)
{
    static const char *const units[] = {"kB", "MB", "GB", "TB", "PB"};
    double v = (double)n;
    int u = 0;

    if (n < 10000) {
        snprintf(out, len, "%llu bytes", (unsigned long long)n);
        return;
    }
    for (v /= 1000; v >= 1000 && u < 4; u++) {
        v /= 1000;
    }
    snprintf(out, len, "%.1f %s", v, units[u]);
}

static void check_volume(struct baseline *b, const struct bl_flow *x, int side,
                         struct bl_volume *v)
{
    uint32_t peer = x->id[!side];
    uint64_t service = service_bits(x, side);
    uint64_t learned = band_at(b, &v->band, v->window.start_us);
    char who[160], to[160], svc[32], sent[32], most[32];
    struct bl_report r = {.kind = BL_VOLUME, .id = x->id[side], .peer = peer, .x = x,
                          .ts_us = x->ts_us, .with_expected = true};

    if (v->window.count <= band_limit(learned, BASELINE_BYTES_FACTOR, BASELINE_BYTES_FLOOR)) {
        return;
    }
    v->window.over = true; /* once per window */
    r.what = reported_key(r.kind, r.id, peer, service);
    snprintf(r.departure, sizeof(r.departure), "volume:%u:%u:%llu:%llu:%llu", r.id, peer,
             (unsigned long long)service, (unsigned long long)(v->window.start_us / US_PER_S),
             (unsigned long long)v->window.count);
    describe(b, x, side, who, sizeof(who));
    if (peer != 0) {
        describe(b, x, !side, to, sizeof(to));
    } else {
        snprintf(to, sizeof(to), "outside addresses");
    }
    service_text(service, svc, sizeof(svc));
    bytes_text(v->window.count, sent, sizeof(sent));
    bytes_text(learned, most, sizeof(most));
    snprintf(r.reason, sizeof(r.reason),
             "%s sent %s to %s on %s within %u s; the most it sent to %s on that service in "
             "any %u s of learning%s was %s",
             who, sent, to, svc, BASELINE_WINDOW_S,
             !v->learned ? "a peer of that class" : peer != 0 ? "that peer" : "them",
             BASELINE_WINDOW_S, band_words(b), most);
    report(b, &r);
}

/*
 * A record made after learning, for a peer not seen in it, starts from the
 * band of the peer's class (none: 0 bytes).
 */
static void seed_from_class(struct baseline *b, const struct bl_flow *x, int side,
                            struct bl_volume *v)
{
    uint32_t id = x->id[side];
    uint64_t key = class_key(id, peer_class_code(b, x->id[!side]), service_bits(x, side));
    const struct bl_volume *cls = volume(b, key, false);

    if (cls != NULL) {
        band_copy(b, &v->band, &cls->band);
    }
}

/*
 * Counts bytes a flow side sent to its peer; after learning, checks the
 * window. Bytes sent while learning are learned even when counted later
 * (at the end of a flow that outlived it); the peer's class band too.
 */
static void count_sent(struct baseline *b, const struct bl_flow *x, int side, uint64_t bytes,
                       bool make)
{
    uint32_t id = x->id[side], peer = x->id[!side];
    uint64_t key = talk_key(id, peer, service_bits(x, side));
    const struct bl_device *d = device(b, id);
    struct bl_volume *v;
    bool learning = x->ts_us < b->stats.learn_end_us;
    uint32_t at;

    if (bytes == 0 || d == NULL || (peer == 0 && !side_outside(x, !side))) {
        return;
    }
    if (!learning && !d->learned) {
        return; /* a new device is reported as such */
    }
    v = volume(b, key, make || learning);
    if (v == NULL) {
        return;
    }
    if (!learning && !v->learned && v->window.start_us == 0) {
        seed_from_class(b, x, side, v);
    }
    window_add(b, learning ? &v->learning : &v->window, &v->band, x->ts_us, bytes, learning);
    if (learning && !b->stats.learning && u64map_get(&b->volume_at, key, &at)) {
        fold_volume_band(b, key, at); /* learned late: fold it in as learning's end did */
    } else if (!learning && !v->window.over) {
        check_volume(b, x, side, v);
    }
}

/* Bytes of a way counted by its checkpoints so far: up to the last power of two passed. */
static uint64_t counted(uint64_t bytes)
{
    return bytes < BASELINE_CHECKPOINT ? 0 : 1ull << (63 - __builtin_clzll(bytes));
}

void baseline_flow_checkpoint(struct baseline *b, const struct ww_flow *f, const uint32_t ids[2],
                              int dir, uint32_t len, uint64_t ts_us)
{
    struct bl_flow x;
    uint64_t bytes = f->dir[dir].bytes;

    bl_flow_init(&x, f, ids, ts_us);
    advance(b, ts_us);
    count_sent(b, &x, dir, counted(bytes) - counted(bytes - len), true); /* side dir sent dir */
}

void baseline_flow_end(struct baseline *b, const struct ww_flow *f, const uint32_t ids[2])
{
    struct bl_flow x;

    if (!b->started) {
        return;
    }
    bl_flow_init(&x, f, ids, f->last_us);
    for (int dir = 0; dir < 2; dir++) {
        count_sent(b, &x, dir, f->dir[dir].bytes - counted(f->dir[dir].bytes), false);
    }
}

static void check_side(struct baseline *b, const struct bl_flow *x, int side)
{
    const struct bl_device *d = device(b, x->id[side]);

    if (d == NULL) {
        return;
    }
    if (!d->learned) {
        check_new_device(b, x, side);
    } else if (side_outside(x, !side) && !d->had_outside) {
        check_outside(b, x, side);
    } else if (x->id[!side] != 0 || side_outside(x, !side)) {
        check_peer_class(b, x, side);
    }
}

void baseline_flow_start(struct baseline *b, const struct ww_flow *f, const uint32_t ids[2])
{
    struct bl_flow x;

    bl_flow_init(&x, f, ids, f->first_us);
    advance(b, x.ts_us);
    count_opened(b, x.id[!x.srv], x.ts_us);
    if (b->stats.learning) {
        learn_side(b, &x, 0);
        learn_side(b, &x, 1);
        return;
    }
    check_side(b, &x, 0);
    check_side(b, &x, 1);
    check_flow_rate(b, &x, !x.srv);
}

static void check_new_service(struct baseline *b, const struct bl_flow *x)
{
    char who[160], svc[32];
    struct bl_report r = {.kind = BL_NEW_SERVICE, .id = x->id[x->srv], .x = x,
                          .ts_us = x->ts_us, .with_expected = true};

    r.what = reported_key(r.kind, r.id, 0, service_bits(x, x->srv));
    snprintf(r.departure, sizeof(r.departure), "new_service:%u:%llu", r.id,
             (unsigned long long)service_bits(x, x->srv));
    describe(b, x, x->srv, who, sizeof(who));
    service_text(service_bits(x, x->srv), svc, sizeof(svc));
    snprintf(r.reason, sizeof(r.reason),
             "%s answered on %s, a service it never offered in %llu s of learning", who, svc,
             learned_s(b));
    report(b, &r);
}

void baseline_flow_reply(struct baseline *b, const struct ww_flow *f, const uint32_t ids[2],
                         uint64_t ts_us)
{
    struct bl_flow x;
    const struct bl_device *d;

    bl_flow_init(&x, f, ids, ts_us);
    d = device(b, x.id[x.srv]);
    if (!b->started || d == NULL || x.srv != 1 || !flow_answered(f, FLOW_TOCLIENT) ||
        service_port(&x) == BL_PORT_DYN) {
        return;
    }
    advance(b, ts_us);
    if (b->stats.learning) {
        u64set_add(&b->offers, offer_key(&x));
    } else if (d->learned && !u64set_has(&b->offers, offer_key(&x))) {
        check_new_service(b, &x);
    }
}

static void check_arp(struct baseline *b, uint64_t ts_us, const uint8_t mac[6],
                      const uint8_t ip[4], uint32_t id)
{
    struct bl_report r = {.kind = BL_ARP_REBIND, .id = id, .ts_us = ts_us};

    r.what = reported_key(r.kind, id, (uint32_t)ip[0] << 8 | ip[1], (uint32_t)ip[2] << 8 | ip[3]);
    snprintf(r.departure, sizeof(r.departure), "arp_rebind:%llu:%llu",
             (unsigned long long)(ip_key(ip) & 0xffffffffull), (unsigned long long)mac_bits(mac));
    snprintf(r.reason, sizeof(r.reason),
             "%u.%u.%u.%u is now claimed in ARP by %02x:%02x:%02x:%02x:%02x:%02x, not by the "
             "MAC that held it in %llu s of learning",
             ip[0], ip[1], ip[2], ip[3], mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
             learned_s(b));
    report(b, &r);
}

void baseline_arp(struct baseline *b, uint64_t ts_us, const uint8_t mac[6], const uint8_t ip[4],
                  uint32_t id)
{
    static const uint8_t zero[4];

    advance(b, ts_us);
    if (memcmp(ip, zero, 4) == 0) {
        return; /* an ARP probe claims no address */
    }
    if (b->stats.learning) {
        u64set_add(&b->ips, ip_key(ip));
        u64set_add(&b->ip_macs, ip_mac_key(ip, mac));
        return;
    }
    if (u64set_has(&b->ips, ip_key(ip)) && !u64set_has(&b->ip_macs, ip_mac_key(ip, mac))) {
        check_arp(b, ts_us, mac, ip, id);
    }
}

/* ---- analysts' verdicts -------------------------------------------------- */

/* Widens the baseline by a departure of kind k with its numbers v (n of them). */
static int accept_kind(struct baseline *b, enum baseline_kind k, const unsigned long long *v,
                       int n)
{
    struct bl_device *d;
    struct bl_volume *vol;

    if (k == BL_ARP_REBIND) {
        return n == 2 && v[0] <= UINT32_MAX &&
                       u64set_add(&b->ip_macs, ip_mac_bits_key((uint32_t)v[0], v[1])) >= 0
                   ? 0
                   : -1;
    }
    d = v[0] <= BL_ID_MAX ? device(b, (uint32_t)v[0]) : NULL;
    if (d == NULL) {
        return -1;
    }
    if (k == BL_NEW_DEVICE && n == 1) {
        b->stats.devices_learned += !d->learned;
        d->learned = true;
        return 0;
    }
    if (k == BL_NEW_PEER_CLASS && n == 3) {
        return u64set_add(&b->classes, class_key((uint32_t)v[0], (unsigned)v[1], v[2])) < 0 ? -1
                                                                                            : 0;
    }
    if (k == BL_NEW_SERVICE && n == 2) {
        return u64set_add(&b->offers, BL_TAG_OFFER | v[0] << 40 | v[1]) < 0 ? -1 : 0;
    }
    if (k == BL_FIRST_OUTSIDE && n == 2) {
        d->had_outside = true;
        return u64set_add(&b->classes, class_key((uint32_t)v[0], BL_CLASS_OUTSIDE, v[1])) < 0
                   ? -1
                   : 0;
    }
    if (k == BL_FLOW_RATE && n == 3) {
        band_widen(b, &d->flow_band, v[1] * US_PER_S, v[2], true);
        return 0;
    }
    if (k == BL_VOLUME && n == 5 && v[1] <= BL_ID_MAX) {
        vol = volume(b, talk_key((uint32_t)v[0], (uint32_t)v[1], v[2]), false);
        if (vol == NULL) {
            return -1;
        }
        band_widen(b, &vol->band, v[3] * US_PER_S, v[4], true);
        return 0;
    }
    return -1;
}

int baseline_accept(struct baseline *b, const char *departure)
{
    char kind[24], rest;
    unsigned long long v[5];
    int n = sscanf(departure, "%23[a-z_]:%llu:%llu:%llu:%llu:%llu%c", kind, &v[0], &v[1], &v[2],
                   &v[3], &v[4], &rest);

    if (n < 2 || n > 6) {
        return -1;
    }
    for (int k = 0; k < BL_KIND_MAX; k++) {
        if (strcmp(kind, kind_names[k]) == 0) {
            return accept_kind(b, (enum baseline_kind)k, v, n - 1);
        }
    }
    return -1;
}
