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
#define BL_TEXT_MAX 512

enum bl_dir { BL_OPENED = 0, BL_ACCEPTED = 1 };

struct bl_device {
    bool learned;      /* seen while learning */
    bool had_outside;  /* talked with an outside address while learning */
    uint64_t burst_start_us[BL_KIND_MAX]; /* reports of a kind: when the burst began */
    uint32_t burst_count[BL_KIND_MAX];    /* ... and how many it has had */
    uint64_t window_start_us;
    uint32_t window_flows; /* flows opened in the current window */
    uint32_t learned_max_flows;
};

struct baseline {
    struct baseline_config cfg;
    struct baseline_stats stats;
    bool started;
    struct u64set talks, classes, offers, ips, ip_macs;
    struct u64set reported; /* departures written, so each is written once */
    struct bl_device *dev; /* by device id */
    size_t n_dev;
};

static const char *const kind_names[BL_KIND_MAX] = {
    "new_device", "new_peer_class", "new_service", "first_outside", "arp_rebind", "flow_rate",
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

/* The address and a 27-bit digest of the MAC: a digest collision only hides a rebind. */
static uint64_t ip_mac_key(const uint8_t ip[4], const uint8_t mac[6])
{
    uint64_t m = 0;

    for (int i = 0; i < 6; i++) {
        m = m << 8 | mac[i];
    }
    m *= 0x9e3779b97f4a7c15ull;
    return BL_TAG_IP_MAC | (ip_key(ip) & 0xffffffffull) << 27 | (m >> 37);
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

/* Whether a side is an address outside the site (and so has no device). */
static bool side_outside(const struct bl_flow *x, int side)
{
    const uint8_t *a = flow_side_addr(x->f, side);

    return x->id[side] == 0 && inventory_addr_unicast(x->f->key.family, a) &&
           !inventory_addr_local(x->f->key.family, a);
}

/* ---- learning ------------------------------------------------------------ */

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
    bool with_expected;       /* name what the device did while learning */
};

static void write_device(struct jbuf *jb, const struct baseline *b, const char *key,
                         uint32_t id)
{
    const struct inv_device *d = inventory_device_by_id(b->cfg.inv, id);
    const struct inv_addr *a;
    const char *name;

    if (d == NULL) {
        return;
    }
    jb_object_open(jb, key);
    jb_u64(jb, "id", d->id);
    name = inventory_device_name(d);
    if (name != NULL) {
        jb_str(jb, "name", name);
    }
    if (d->has_mac) {
        jb_mac(jb, "mac", d->mac);
    }
    a = inventory_device_addr(d);
    if (a != NULL) {
        jb_ip(jb, "ip", a->family, a->addr);
    }
    jb_str(jb, "class", inventory_class_name(b->cfg.inv, d));
    jb_str(jb, "criticality", rules_criticality_name(inventory_criticality(b->cfg.inv, d)));
    jb_object_close(jb);
}

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
    write_device(jb, b, "device", r->id);
    write_device(jb, b, "peer", r->peer);
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

static void check_flow_rate(struct baseline *b, const struct bl_flow *x, int side)
{
    struct bl_device *d = device(b, x->id[side]);
    char who[160];
    uint32_t limit;
    struct bl_report r = {.kind = BL_FLOW_RATE, .id = x->id[side], .x = x, .ts_us = x->ts_us};

    if (d == NULL || !d->learned) {
        return;
    }
    limit = d->learned_max_flows * BASELINE_FLOWS_FACTOR;
    limit = limit > BASELINE_FLOWS_FLOOR ? limit : BASELINE_FLOWS_FLOOR;
    if (d->window_flows != limit + 1) {
        return; /* once per window, when it first goes past */
    }
    r.what = reported_key(r.kind, r.id, 0, d->window_start_us / US_PER_S & 0x3ffff);
    describe(b, x, side, who, sizeof(who));
    snprintf(r.reason, sizeof(r.reason),
             "%s opened more than %u flows within %u s; the most it opened in any %u s of "
             "learning was %u",
             who, limit, BASELINE_WINDOW_S, BASELINE_WINDOW_S, d->learned_max_flows);
    report(b, &r);
}

/* Counts a flow the device opened in its current window. */
static void count_opened(struct baseline *b, uint32_t id, uint64_t ts_us)
{
    struct bl_device *d = device(b, id);

    if (d == NULL) {
        return;
    }
    if (ts_us >= d->window_start_us + BASELINE_WINDOW_S * US_PER_S) {
        d->window_start_us = ts_us;
        d->window_flows = 0;
    }
    d->window_flows++;
    if (b->stats.learning && d->window_flows > d->learned_max_flows) {
        d->learned_max_flows = d->window_flows;
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

/* Whether the packet that began the way back was an answer: a SYN-ACK on TCP, anything else. */
static bool answer(const struct ww_flow *f, int dir)
{
    return f->key.proto != IPPROTO_NUM_TCP ||
           (f->dir[dir].tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
}

static void check_new_service(struct baseline *b, const struct bl_flow *x)
{
    char who[160], svc[32];
    struct bl_report r = {.kind = BL_NEW_SERVICE, .id = x->id[x->srv], .x = x,
                          .ts_us = x->ts_us, .with_expected = true};

    r.what = reported_key(r.kind, r.id, 0, service_bits(x, x->srv));
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
    if (!b->started || d == NULL || x.srv != 1 || !answer(f, FLOW_TOCLIENT) ||
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
