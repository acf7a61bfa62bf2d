/* SPDX-License-Identifier: MIT */
/*
 * inventory: one device per MAC address on the local segment, and one per
 * address where a device is seen only through a router. Every fact the
 * parsers report about a device is kept as evidence with its first and
 * last time; the classification rules turn evidence into a class with a
 * confidence, and the rules that decided it are kept to explain it.
 *
 * A MAC address seen with more than INV_GATEWAY_V4 IPv4 (or INV_GATEWAY_V6
 * IPv6) addresses is taken for a router: the local addresses behind it
 * become devices of their own, public addresses behind it are peers, not
 * devices, and the evidence it was credited with through those addresses
 * is taken back.
 */
#include "inventory/inventory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode_int.h"

#define INV_TABLE_MIN 1024
#define INV_NO_ADDR 0xff
#define INV_EPHEMERAL_MIN 49152 /* a server port at or above it is not a service */

enum inv_key_type { KEY_MAC = 1, KEY_IP4 = 4, KEY_IP6 = 6 };

/* A table slot: a MAC or an address, and the device index + 1 (0: empty). */
struct inv_slot {
    uint64_t k[3];
    uint32_t dev;
};

struct inv_table {
    struct inv_slot *slots;
    size_t cap, used;
};

struct inventory {
    struct inv_config cfg;
    struct inv_device **devices;
    size_t n_devices, cap_devices;
    struct inv_table by_mac, by_addr;
    double *class_scratch; /* one product per class while classifying */
};

/* Text of each stored evidence value lives in the device; kinds are short. */
static uint32_t inv_hash_bytes(const char *s, size_t len, uint32_t h)
{
    for (size_t i = 0; i < len; i++) {
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    }
    return h;
}

static uint64_t inv_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static void key_mac(uint64_t k[3], const uint8_t mac[6])
{
    k[0] = KEY_MAC;
    k[1] = 0;
    memcpy(&k[1], mac, 6);
    k[2] = 0;
}

static void key_addr(uint64_t k[3], uint8_t family, const uint8_t *addr)
{
    k[0] = family == 6 ? KEY_IP6 : KEY_IP4;
    k[1] = k[2] = 0;
    memcpy(&k[1], addr, family == 6 ? 16 : 4);
}

static size_t table_index(const struct inv_table *t, const uint64_t k[3])
{
    return inv_mix(k[0] ^ inv_mix(k[1] ^ inv_mix(k[2]))) & (t->cap - 1);
}

static struct inv_slot *table_find(const struct inv_table *t, const uint64_t k[3])
{
    if (t->cap == 0) {
        return NULL;
    }
    for (size_t i = table_index(t, k);; i = (i + 1) & (t->cap - 1)) {
        struct inv_slot *s = &t->slots[i];

        if (s->dev == 0) {
            return NULL;
        }
        if (memcmp(s->k, k, sizeof(s->k)) == 0) {
            return s;
        }
    }
}

static int table_put(struct inv_table *t, const uint64_t k[3], uint32_t dev);

static int table_grow(struct inv_table *t)
{
    struct inv_table old = *t;

    t->cap = old.cap ? old.cap * 2 : INV_TABLE_MIN;
    t->used = 0;
    t->slots = calloc(t->cap, sizeof(*t->slots));
    if (t->slots == NULL) {
        *t = old;
        return -1;
    }
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i].dev != 0) {
            table_put(t, old.slots[i].k, old.slots[i].dev);
        }
    }
    free(old.slots);
    return 0;
}

/* Maps k to dev (an index + 1), replacing an earlier mapping. */
static int table_put(struct inv_table *t, const uint64_t k[3], uint32_t dev)
{
    struct inv_slot *s = table_find(t, k);

    if (s != NULL) {
        s->dev = dev;
        return 0;
    }
    if ((t->used + 1) * 2 > t->cap && table_grow(t) < 0) {
        return -1;
    }
    for (size_t i = table_index(t, k);; i = (i + 1) & (t->cap - 1)) {
        if (t->slots[i].dev == 0) {
            memcpy(t->slots[i].k, k, sizeof(t->slots[i].k));
            t->slots[i].dev = dev;
            t->used++;
            return 0;
        }
    }
}

struct inventory *inventory_new(const struct inv_config *cfg)
{
    struct inventory *inv = calloc(1, sizeof(*inv));
    size_t n_classes = cfg->rules != NULL ? cfg->rules->n_classes : 0;

    if (inv == NULL) {
        return NULL;
    }
    inv->cfg = *cfg;
    inv->class_scratch = calloc(n_classes + 1, sizeof(double));
    if (inv->class_scratch == NULL) {
        free(inv);
        return NULL;
    }
    return inv;
}

static void device_free(struct inv_device *d)
{
    for (uint32_t i = 0; i < d->n_evidence; i++) {
        free(d->evidence[i].value);
    }
    free(d->evidence);
    free(d->matches);
    free(d);
}

void inventory_free(struct inventory *inv)
{
    if (inv == NULL) {
        return;
    }
    for (size_t i = 0; i < inv->n_devices; i++) {
        device_free(inv->devices[i]);
    }
    free(inv->devices);
    free(inv->by_mac.slots);
    free(inv->by_addr.slots);
    free(inv->class_scratch);
    free(inv);
}

size_t inventory_count(const struct inventory *inv)
{
    return inv->n_devices;
}

const struct inv_device *inventory_device(const struct inventory *inv, size_t i)
{
    return i < inv->n_devices ? inv->devices[i] : NULL;
}

void inventory_mark_saved(struct inventory *inv)
{
    for (size_t i = 0; i < inv->n_devices; i++) {
        inv->devices[i]->dirty = false;
    }
}

const struct rules *inventory_rules(const struct inventory *inv)
{
    return inv->cfg.rules;
}

const struct inv_device *inventory_device_by_id(const struct inventory *inv, uint32_t id)
{
    return id > 0 ? inventory_device(inv, id - 1) : NULL;
}

const char *inventory_device_name(const struct inv_device *d)
{
    const char *fqdn = NULL;

    for (uint32_t i = 0; i < d->n_evidence; i++) {
        if (strcmp(d->evidence[i].kind, "dhcp.hostname") == 0) {
            return d->evidence[i].value;
        }
        if (fqdn == NULL && strcmp(d->evidence[i].kind, "dhcp.fqdn") == 0) {
            fqdn = d->evidence[i].value;
        }
    }
    return fqdn;
}

const char *inventory_class_name(const struct inventory *inv, const struct inv_device *d)
{
    return d->class_idx >= 0 ? inv->cfg.rules->classes[d->class_idx].name : "unknown";
}

enum criticality inventory_criticality(const struct inventory *inv, const struct inv_device *d)
{
    return d->class_idx >= 0 ? inv->cfg.rules->classes[d->class_idx].criticality : CRIT_LOW;
}

const struct inv_addr *inventory_device_addr(const struct inv_device *d)
{
    for (int fam = 4; fam <= 6; fam += 2) {
        for (uint32_t i = 0; i < d->n_addrs; i++) {
            if (d->addrs[i].family == fam) {
                return &d->addrs[i];
            }
        }
    }
    return NULL;
}

/* ---- addresses ---- */

bool inventory_addr_unicast(uint8_t family, const uint8_t *a)
{
    static const uint8_t zero[16];

    if (family == 4) {
        return memcmp(a, zero, 4) != 0 && a[0] < 224 && !(a[0] == 255);
    }
    return memcmp(a, zero, 16) != 0 && a[0] != 0xff;
}

bool inventory_addr_local(uint8_t family, const uint8_t *a)
{
    if (family == 4) {
        return a[0] == 10 || a[0] == 127 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
               (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) ||
               (a[0] == 100 && (a[1] & 0xc0) == 64);
    }
    static const uint8_t loopback[16] = {[15] = 1};
    return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
           memcmp(a, loopback, 16) == 0;
}

static struct inv_device *device_new(struct inventory *inv, uint64_t ts_us)
{
    struct inv_device *d;

    if (inv->n_devices == inv->cap_devices) {
        size_t ncap = inv->cap_devices ? inv->cap_devices * 2 : 64;
        void *nv = realloc(inv->devices, ncap * sizeof(*inv->devices));

        if (nv == NULL) {
            return NULL;
        }
        inv->devices = nv;
        inv->cap_devices = ncap;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return NULL;
    }
    d->id = (uint32_t)inv->n_devices + 1;
    d->class_idx = -1;
    d->first_us = d->last_us = ts_us;
    d->dirty = true;
    inv->devices[inv->n_devices++] = d;
    return d;
}

static void device_seen(struct inv_device *d, uint64_t ts_us)
{
    if (ts_us > d->last_us) {
        d->last_us = ts_us;
    }
    if (ts_us < d->first_us) {
        d->first_us = ts_us;
    }
}

static void classify(struct inventory *inv, struct inv_device *d, uint64_t ts_us);
static void device_add_evidence(struct inventory *inv, struct inv_device *d, uint64_t ts_us,
                                const char *kind, const char *value, size_t len,
                                uint8_t addr_idx);

static void become_gateway(struct inventory *inv, struct inv_device *d, uint64_t ts_us);

/*
 * Whether adding a shows d to be a router: more addresses of a family than
 * one host has, or IPv4 addresses both of the site and public (IPv6 hosts
 * have both by design).
 */
static bool routes_for_others(const struct inv_device *d, uint8_t family, const uint8_t *a)
{
    int n_family = 0;
    bool mixed = false;

    for (uint32_t i = 0; i < d->n_addrs; i++) {
        const struct inv_addr *x = &d->addrs[i];

        if (x->family != family) {
            continue;
        }
        n_family++;
        mixed |= family == 4 && inventory_addr_local(4, x->addr) != inventory_addr_local(4, a);
    }
    return mixed || n_family >= (family == 4 ? INV_GATEWAY_V4 : INV_GATEWAY_V6);
}

static int addr_index(const struct inv_device *d, uint8_t family, const uint8_t *a)
{
    for (uint32_t i = 0; i < d->n_addrs; i++) {
        const struct inv_addr *x = &d->addrs[i];

        if (x->family == family && memcmp(x->addr, a, family == 6 ? 16 : 4) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/*
 * Records that d used address a. Returns the address's index, or
 * INV_NO_ADDR when a is not d's own (multicast, or routed by d).
 */
static uint8_t device_add_addr(struct inventory *inv, struct inv_device *d, uint64_t ts_us,
                               uint8_t family, const uint8_t *a)
{
    uint64_t k[3];
    int i = addr_index(d, family, a);

    if (i >= 0) {
        if (ts_us > d->addrs[i].last_us) {
            d->addrs[i].last_us = ts_us;
        }
        return (uint8_t)i;
    }
    if (!inventory_addr_unicast(family, a) || (d->gateway && !inventory_addr_local(family, a))) {
        return INV_NO_ADDR;
    }
    if (d->gateway) {
        return INV_NO_ADDR; /* a router's addresses are those it had before routing */
    }
    if (d->has_mac && routes_for_others(d, family, a)) {
        become_gateway(inv, d, ts_us);
        if (!inventory_addr_local(family, a) || d->n_addrs > 0) {
            return INV_NO_ADDR; /* it showed its own address already */
        }
    }
    if (d->n_addrs == INV_ADDRS_MAX) {
        return INV_NO_ADDR;
    }
    d->addrs[d->n_addrs] = (struct inv_addr){family, {0}, ts_us, ts_us};
    memcpy(d->addrs[d->n_addrs].addr, a, family == 6 ? 16 : 4);
    key_addr(k, family, a);
    table_put(&inv->by_addr, k, d->id);
    d->dirty = true;
    return (uint8_t)d->n_addrs++;
}

static bool device_has_addr(const struct inv_device *d, uint8_t family, const uint8_t *a)
{
    size_t len = family == 6 ? 16 : 4;

    if (!d->has_mac) {
        return d->family == family && memcmp(d->addr, a, len) == 0;
    }
    for (uint32_t i = 0; i < d->n_addrs; i++) {
        if (d->addrs[i].family == family && memcmp(d->addrs[i].addr, a, len) == 0) {
            return true;
        }
    }
    return false;
}

static struct inv_device *find_by_mac(const struct inventory *inv, const uint8_t mac[6])
{
    uint64_t k[3];
    const struct inv_slot *s;

    key_mac(k, mac);
    s = table_find(&inv->by_mac, k);
    return s != NULL ? inv->devices[s->dev - 1] : NULL;
}

/* The device holding an address now. Mappings a router left behind are ignored. */
static struct inv_device *find_by_addr(const struct inventory *inv, uint8_t family,
                                       const uint8_t *a)
{
    uint64_t k[3];
    const struct inv_slot *s;
    struct inv_device *d;

    key_addr(k, family, a);
    s = table_find(&inv->by_addr, k);
    if (s == NULL) {
        return NULL;
    }
    d = inv->devices[s->dev - 1];
    return device_has_addr(d, family, a) ? d : NULL;
}

static void announce(struct inventory *inv, struct inv_device *d, uint64_t ts_us,
                     const char *change, const char *prev_class);

static struct inv_device *device_by_mac(struct inventory *inv, uint64_t ts_us,
                                        const uint8_t mac[6])
{
    struct inv_device *d = find_by_mac(inv, mac);
    uint64_t k[3];
    const char *org;

    if (d != NULL) {
        return d;
    }
    d = device_new(inv, ts_us);
    if (d == NULL) {
        return NULL;
    }
    d->has_mac = true;
    memcpy(d->mac, mac, 6);
    key_mac(k, mac);
    table_put(&inv->by_mac, k, d->id);
    org = oui_lookup(inv->cfg.oui, mac);
    if (org != NULL) {
        device_add_evidence(inv, d, ts_us, "oui.vendor", org, strlen(org), INV_NO_ADDR);
    }
    return d;
}

static struct inv_device *device_by_addr(struct inventory *inv, uint64_t ts_us, uint8_t family,
                                         const uint8_t *a)
{
    struct inv_device *d = find_by_addr(inv, family, a);
    uint64_t k[3];

    if (d != NULL) {
        return d;
    }
    d = device_new(inv, ts_us);
    if (d == NULL) {
        return NULL;
    }
    d->family = family;
    memcpy(d->addr, a, family == 6 ? 16 : 4);
    d->addrs[0] = (struct inv_addr){family, {0}, ts_us, ts_us};
    memcpy(d->addrs[0].addr, a, family == 6 ? 16 : 4);
    d->n_addrs = 1;
    key_addr(k, family, a);
    table_put(&inv->by_addr, k, d->id);
    return d;
}

/*
 * The device at one end of a packet or flow: its MAC's device on the local
 * segment, else the device of its address when that address is the
 * site's own. NULL for broadcast, multicast and public peers behind a
 * router. *addr_idx is the address's index in the device (or INV_NO_ADDR).
 */
static struct inv_device *endpoint(struct inventory *inv, uint64_t ts_us, const uint8_t *mac,
                                   uint8_t family, const uint8_t *a, uint8_t *addr_idx)
{
    struct inv_device *d = NULL;

    *addr_idx = INV_NO_ADDR;
    if (mac != NULL && !(mac[0] & 1)) {
        d = device_by_mac(inv, ts_us, mac);
        if (d != NULL) {
            *addr_idx = device_add_addr(inv, d, ts_us, family, a);
        }
        if (d != NULL && (!d->gateway || *addr_idx != INV_NO_ADDR)) {
            device_seen(d, ts_us);
            return d;
        }
    }
    if (!inventory_addr_unicast(family, a) || !inventory_addr_local(family, a)) {
        return NULL;
    }
    d = device_by_addr(inv, ts_us, family, a);
    if (d != NULL) {
        device_seen(d, ts_us);
        *addr_idx = 0;
    }
    return d;
}

/* ---- evidence and rules ---- */

static bool match_known(const struct inv_device *d, uint32_t rule)
{
    for (uint32_t i = 0; i < d->n_matches; i++) {
        if (d->matches[i].rule == rule) {
            return true;
        }
    }
    return false;
}

static void add_match(struct inv_device *d, uint32_t rule, uint32_t evidence)
{
    if (d->n_matches == d->cap_matches) {
        uint32_t ncap = d->cap_matches ? d->cap_matches * 2 : 8;
        void *nv = realloc(d->matches, ncap * sizeof(*d->matches));

        if (nv == NULL) {
            return;
        }
        d->matches = nv;
        d->cap_matches = ncap;
    }
    d->matches[d->n_matches++] = (struct inv_match){rule, evidence};
}

/* Runs the rules of e's kind over e. Returns whether a new rule matched. */
static bool run_rules(const struct rules *r, struct inv_device *d, uint32_t ei)
{
    const struct inv_evidence *e = &d->evidence[ei];
    uint32_t kh = rules_kind_hash(e->kind);
    bool changed = false;

    for (size_t i = 0; r != NULL && i < r->n_rules; i++) {
        const struct rules_rule *u = &r->rules[i];

        if (u->kind_hash != kh || strcmp(u->kind, e->kind) != 0 || match_known(d, (uint32_t)i)) {
            continue;
        }
        if (rules_match(&u->re, e->value, strlen(e->value))) {
            add_match(d, (uint32_t)i, ei);
            changed = true;
        }
    }
    return changed;
}

/* The evidence index of value of kind, or -1. The hash covers kind and value. */
static int find_evidence(const struct inv_device *d, const char *kind, const char *value,
                         uint32_t hash)
{
    for (uint32_t i = 0; i < d->n_evidence; i++) {
        const struct inv_evidence *e = &d->evidence[i];

        if (e->hash == hash && strcmp(e->value, value) == 0 && strcmp(e->kind, kind) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int count_kind(const struct inv_device *d, const char *kind)
{
    int n = 0;

    for (uint32_t i = 0; i < d->n_evidence; i++) {
        n += strcmp(d->evidence[i].kind, kind) == 0;
    }
    return n;
}

/* A printable copy: NUL bytes become '.', trailing space is cut. */
static size_t clean_value(char *out, const char *value, size_t len)
{
    if (len > INV_VALUE_MAX) {
        len = INV_VALUE_MAX;
    }
    for (size_t i = 0; i < len; i++) {
        out[i] = value[i] == '\0' ? '.' : value[i];
    }
    while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\r' || out[len - 1] == '\n')) {
        len--;
    }
    out[len] = '\0';
    return len;
}

/* Appends a piece of evidence; returns its index, or -1 when there is no room. */
static int append_evidence(struct inv_device *d, uint64_t ts_us, const char *kind,
                           const char *value, uint32_t hash, uint8_t addr_idx)
{
    struct inv_evidence *e;

    if (d->n_evidence == d->cap_evidence) {
        uint32_t ncap = d->cap_evidence ? d->cap_evidence * 2 : 8;
        void *nv = realloc(d->evidence, ncap * sizeof(*d->evidence));

        if (nv == NULL) {
            return -1;
        }
        d->evidence = nv;
        d->cap_evidence = ncap;
    }
    e = &d->evidence[d->n_evidence];
    *e = (struct inv_evidence){.hash = hash, .count = 1, .first_us = ts_us, .last_us = ts_us,
                               .addr_idx = addr_idx};
    memcpy(e->kind, kind, strnlen(kind, sizeof(e->kind) - 1));
    e->value = strdup(value);
    if (e->value == NULL) {
        return -1;
    }
    return (int)d->n_evidence++;
}

/* Evidence kinds that name a model or the software, in order of preference. */
static const char *const model_kinds[] = {"mdns.model", "ssdp.model", "dicom.model"};
static const char *const software_kinds[] = {
    "dicom.implementation_version", "ssh.banner",    "http.server",     "ssdp.server",
    "ftp.banner",                   "telnet.banner", "http.user_agent", "dhcp.vendor_class",
};

static bool in_list(const char *kind, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(kind, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Whether evidence of this kind can change a vendor, model or software. */
static bool names_identity(const struct inventory *inv, const char *kind)
{
    return strcmp(kind, "oui.vendor") == 0 ||
           in_list(kind, model_kinds, sizeof(model_kinds) / sizeof(model_kinds[0])) ||
           in_list(kind, software_kinds, sizeof(software_kinds) / sizeof(software_kinds[0])) ||
           rules_kind_names_vendor(inv->cfg.rules, rules_kind_hash(kind));
}

static void device_add_evidence(struct inventory *inv, struct inv_device *d, uint64_t ts_us,
                                const char *kind, const char *value, size_t len,
                                uint8_t addr_idx)
{
    char clean[INV_VALUE_MAX + 1];
    uint32_t hash;
    int ei;

    if (clean_value(clean, value, len) == 0) {
        return;
    }
    hash = inv_hash_bytes(clean, strlen(clean), inv_hash_bytes(kind, strlen(kind), 2166136261u));
    ei = find_evidence(d, kind, clean, hash);
    if (ei >= 0) {
        struct inv_evidence *e = &d->evidence[ei];

        e->count++;
        if (ts_us > e->last_us) {
            e->last_us = ts_us;
        }
        return;
    }
    if (d->n_evidence >= INV_EVIDENCE_MAX || count_kind(d, kind) >= INV_VALUES_PER_KIND) {
        d->evidence_dropped++;
        return;
    }
    ei = append_evidence(d, ts_us, kind, clean, hash, addr_idx);
    if (ei < 0) {
        d->evidence_dropped++;
        return;
    }
    d->dirty = true;
    if (run_rules(inv->cfg.rules, d, (uint32_t)ei) || names_identity(inv, kind)) {
        classify(inv, d, ts_us);
    }
}

/* Matches every rule again, after evidence was taken away. */
static void rematch_all(struct inventory *inv, struct inv_device *d)
{
    d->n_matches = 0;
    for (uint32_t i = 0; i < d->n_evidence; i++) {
        run_rules(inv->cfg.rules, d, i);
    }
}

/*
 * d routes for others: it keeps only its local addresses and the evidence
 * that came through them or through no address at all.
 */
static void become_gateway(struct inventory *inv, struct inv_device *d, uint64_t ts_us)
{
    uint8_t remap[INV_ADDRS_MAX];
    uint32_t out = 0;

    d->gateway = true;
    for (uint32_t i = 0; i < d->n_addrs; i++) {
        remap[i] = INV_NO_ADDR;
        if (inventory_addr_local(d->addrs[i].family, d->addrs[i].addr)) {
            remap[i] = (uint8_t)out;
            d->addrs[out++] = d->addrs[i];
        }
    }
    d->n_addrs = out;
    out = 0;
    for (uint32_t i = 0; i < d->n_evidence; i++) {
        struct inv_evidence *e = &d->evidence[i];

        if (e->addr_idx != INV_NO_ADDR && remap[e->addr_idx] == INV_NO_ADDR) {
            free(e->value);
            continue;
        }
        if (e->addr_idx != INV_NO_ADDR) {
            e->addr_idx = remap[e->addr_idx];
        }
        d->evidence[out++] = *e;
    }
    d->n_evidence = out;
    d->memo_key = 0;
    d->memo_used_app = 0;
    rematch_all(inv, d);
    device_add_evidence(inv, d, ts_us, "net.gateway", "routes traffic of other addresses",
                        strlen("routes traffic of other addresses"), INV_NO_ADDR);
}

/* ---- identity ---- */

static const char *first_value(const struct inv_device *d, const char *const *kinds, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        for (uint32_t i = 0; i < d->n_evidence; i++) {
            if (strcmp(d->evidence[i].kind, kinds[k]) == 0) {
                return d->evidence[i].value;
            }
        }
    }
    return NULL;
}

/* The maker: a vendor rule's name when one matches, else the MAC's organisation. */
static void decide_vendor(const struct inventory *inv, struct inv_device *d)
{
    const struct rules *r = inv->cfg.rules;

    for (size_t v = 0; r != NULL && v < r->n_vendors; v++) {
        for (uint32_t i = 0; i < d->n_evidence; i++) {
            const struct inv_evidence *e = &d->evidence[i];

            if (strcmp(e->kind, r->vendors[v].kind) == 0 &&
                rules_match(&r->vendors[v].re, e->value, strlen(e->value))) {
                snprintf(d->vendor, sizeof(d->vendor), "%s", r->vendors[v].name);
                snprintf(d->vendor_source, sizeof(d->vendor_source), "%s", e->kind);
                return;
            }
        }
    }
    const char *org = first_value(d, (const char *const[]){"oui.vendor"}, 1);
    snprintf(d->vendor, sizeof(d->vendor), "%s", org != NULL ? org : "");
    snprintf(d->vendor_source, sizeof(d->vendor_source), "%s", org != NULL ? "oui" : "");
}

/*
 * Each class's confidence is 1 - prod(1 - weight) over its rules that
 * matched: independent pieces of evidence add up, none alone reaches more
 * than its own weight. The best class wins if it reaches INV_CONFIDENCE_MIN.
 */
static void decide_class(const struct inventory *inv, struct inv_device *d)
{
    const struct rules *r = inv->cfg.rules;
    double *miss = inv->class_scratch;
    int best = -1;

    d->class_idx = -1;
    d->confidence = 0;
    if (r == NULL) {
        return;
    }
    for (size_t c = 0; c < r->n_classes; c++) {
        miss[c] = 1.0;
    }
    for (uint32_t i = 0; i < d->n_matches; i++) {
        const struct rules_rule *u = &r->rules[d->matches[i].rule];

        miss[u->class_idx] *= 1.0 - u->weight;
    }
    for (size_t c = 0; c < r->n_classes; c++) {
        if (best < 0 || miss[c] < miss[best]) {
            best = (int)c;
        }
    }
    if (best >= 0) {
        d->confidence = 1.0 - miss[best];
        d->class_idx = d->confidence >= INV_CONFIDENCE_MIN ? best : -1;
    }
}

static void classify(struct inventory *inv, struct inv_device *d, uint64_t ts_us)
{
    char old_vendor[sizeof(d->vendor)], old_model[INV_TEXT_MAX], old_soft[INV_TEXT_MAX];
    int old_class = d->class_idx;
    const char *v;
    bool changed;

    memcpy(old_vendor, d->vendor, sizeof(old_vendor));
    memcpy(old_model, d->model, sizeof(old_model));
    memcpy(old_soft, d->software, sizeof(old_soft));
    decide_class(inv, d);
    decide_vendor(inv, d);
    v = first_value(d, model_kinds, sizeof(model_kinds) / sizeof(model_kinds[0]));
    snprintf(d->model, sizeof(d->model), "%s", v != NULL ? v : "");
    v = first_value(d, software_kinds, sizeof(software_kinds) / sizeof(software_kinds[0]));
    snprintf(d->software, sizeof(d->software), "%s", v != NULL ? v : "");
    changed = old_class != d->class_idx || strcmp(old_vendor, d->vendor) != 0 ||
              strcmp(old_model, d->model) != 0 || strcmp(old_soft, d->software) != 0;
    if (changed && d->announced) {
        announce(inv, d, ts_us, "identity",
                 old_class >= 0 ? inv->cfg.rules->classes[old_class].name : "unknown");
    }
}

/* ---- events ---- */

static void write_evidence(struct jbuf *jb, const struct inventory *inv,
                           const struct inv_device *d)
{
    const struct rules *r = inv->cfg.rules;

    jb_array_open(jb, "evidence");
    for (uint32_t i = 0; i < d->n_matches; i++) {
        const struct rules_rule *u = &r->rules[d->matches[i].rule];
        const struct inv_evidence *e = &d->evidence[d->matches[i].evidence];

        if (u->class_idx != d->class_idx) {
            continue;
        }
        jb_object_open(jb, NULL);
        jb_str(jb, "kind", e->kind);
        jb_str(jb, "value", e->value);
        jb_double(jb, "weight", u->weight);
        jb_u64(jb, "rule_line", (uint64_t)u->lineno);
        jb_object_close(jb);
    }
    jb_array_close(jb);
}

/* Writes a `device` event: a device appeared, or what it is changed. */
static void announce(struct inventory *inv, struct inv_device *d, uint64_t ts_us,
                     const char *change, const char *prev_class)
{
    const struct inv_addr *a = inventory_device_addr(d);
    struct jbuf *jb;

    d->announced = true;
    if (inv->cfg.eve == NULL) {
        return;
    }
    jb = eve_begin(inv->cfg.eve, ts_us, "device");
    if (a != NULL) {
        jb_ip(jb, "src_ip", a->family, a->addr);
    }
    jb_object_open(jb, "device");
    jb_u64(jb, "id", d->id);
    jb_str(jb, "change", change);
    if (d->has_mac) {
        jb_mac(jb, "mac", d->mac);
    }
    if (a != NULL) {
        jb_ip(jb, "ip", a->family, a->addr);
    }
    jb_str(jb, "class", inventory_class_name(inv, d));
    if (prev_class != NULL) {
        jb_str(jb, "previous_class", prev_class);
    }
    if (d->class_idx >= 0) {
        jb_str(jb, "category", inv->cfg.rules->classes[d->class_idx].category);
    }
    jb_str(jb, "criticality", rules_criticality_name(inventory_criticality(inv, d)));
    jb_double(jb, "confidence", d->confidence);
    if (d->vendor[0] != '\0') {
        jb_str(jb, "vendor", d->vendor);
        jb_str(jb, "vendor_source", d->vendor_source);
    }
    if (d->model[0] != '\0') {
        jb_str(jb, "model", d->model);
    }
    if (d->software[0] != '\0') {
        jb_str(jb, "software", d->software);
    }
    write_evidence(jb, inv, d);
    jb_object_close(jb);
    eve_commit(inv->cfg.eve);
}

static void announce_new(struct inventory *inv, struct inv_device *d, uint64_t ts_us)
{
    if (d != NULL && !d->announced) {
        classify(inv, d, ts_us);
        announce(inv, d, ts_us, "new", NULL);
    }
}

/* ---- what the other stages hand in ---- */

void inventory_evidence(void *arg, const struct proto_evidence *ev)
{
    struct inventory *inv = arg;
    uint8_t ai;
    struct inv_device *d = endpoint(inv, ev->ts_us, ev->mac, ev->family, ev->addr, &ai);

    if (d == NULL) {
        return;
    }
    announce_new(inv, d, ev->ts_us);
    device_add_evidence(inv, d, ev->ts_us, ev->kind, ev->value, ev->value_len, ai);
}

static const uint8_t *flow_mac(const struct ww_flow *f, int side)
{
    static const uint8_t zero[6];
    const uint8_t *m = side == 0 ? f->client_mac : f->server_mac;

    return memcmp(m, zero, 6) != 0 ? m : NULL;
}

void inventory_flow_start(struct inventory *inv, const struct ww_flow *f, uint32_t ids[2])
{
    for (int side = 0; side < 2; side++) {
        uint8_t ai;
        struct inv_device *d = endpoint(inv, f->first_us, flow_mac(f, side), f->key.family,
                                        flow_side_addr(f, side), &ai);

        announce_new(inv, d, f->first_us);
        ids[side] = d != NULL ? d->id : 0;
    }
}

void inventory_flow_ids(struct inventory *inv, const struct ww_flow *f, uint64_t ts_us,
                        uint32_t ids[2])
{
    for (int side = 0; side < 2; side++) {
        uint8_t ai;
        struct inv_device *d = endpoint(inv, ts_us, flow_mac(f, side), f->key.family,
                                        flow_side_addr(f, side), &ai);

        ids[side] = d != NULL ? d->id : 0;
    }
}

/* Whether the flow's server answered a conversation the client opened. */
static bool conversation_answered(const struct ww_flow *f)
{
    if (f->dir[FLOW_TOCLIENT].pkts == 0) {
        return false;
    }
    return f->key.proto != IPPROTO_NUM_TCP || !f->midstream;
}

static void bump(struct inv_device *d, int32_t ei, uint64_t ts_us)
{
    struct inv_evidence *e = &d->evidence[ei];

    e->count++;
    if (ts_us > e->last_us) {
        e->last_us = ts_us;
    }
}

/* Adds evidence and returns its index (-1 when it was not kept). */
static int32_t add_and_find(struct inventory *inv, struct inv_device *d, uint64_t ts_us,
                            const char *kind, const char *value, uint8_t addr_idx)
{
    device_add_evidence(inv, d, ts_us, kind, value, strlen(value), addr_idx);
    for (uint32_t i = d->n_evidence; i-- > 0;) {
        if (strcmp(d->evidence[i].value, value) == 0 && strcmp(d->evidence[i].kind, kind) == 0) {
            return (int32_t)i;
        }
    }
    return -1;
}

/* The server offers the flow's service (and application): counted, remembered. */
static void record_offered(struct inventory *inv, struct inv_device *s, const struct ww_flow *f,
                           uint32_t key, uint8_t s_ai)
{
    const char *app = f->app_proto > APP_FAILED ? proto_name((enum app_proto)f->app_proto) : NULL;
    char svc[16];

    if (s->memo_key == key && s->memo_ev[0] >= 0) {
        bump(s, s->memo_ev[0], f->last_us);
        if (s->memo_ev[1] >= 0) {
            bump(s, s->memo_ev[1], f->last_us);
        }
        return;
    }
    snprintf(svc, sizeof(svc), "%s/%u", f->key.proto == IPPROTO_NUM_TCP ? "tcp" : "udp",
             (unsigned)(key & 0xffff));
    s->memo_key = key;
    s->memo_ev[0] = add_and_find(inv, s, f->last_us, "service.offered", svc, s_ai);
    s->memo_ev[1] = app != NULL ? add_and_find(inv, s, f->last_us, "app.offered", app, s_ai) : -1;
}

static void record_used(struct inventory *inv, struct inv_device *c, const struct ww_flow *f)
{
    if (c->memo_used_app == f->app_proto && c->memo_used_ev >= 0) {
        bump(c, c->memo_used_ev, f->last_us);
        return;
    }
    c->memo_used_app = f->app_proto;
    c->memo_used_ev = add_and_find(inv, c, f->last_us, "app.used",
                                   proto_name((enum app_proto)f->app_proto), INV_NO_ADDR);
}

/*
 * Services: the server of an answered flow offers its port (below the
 * ephemeral range) and application; the client uses the application. A
 * device's last service is remembered, so a run of flows to one service
 * costs no search.
 */
static void record_service(struct inventory *inv, const struct ww_flow *f,
                           struct inv_device *client, struct inv_device *server, uint8_t s_ai)
{
    uint16_t port = flow_side_port(f, 1);
    bool app = f->app_proto > APP_FAILED;

    if ((f->key.proto != IPPROTO_NUM_TCP && f->key.proto != IPPROTO_NUM_UDP) || port == 0 ||
        port >= INV_EPHEMERAL_MIN || !conversation_answered(f)) {
        return;
    }
    if (server != NULL) {
        record_offered(inv, server, f,
                       (uint32_t)f->key.proto << 24 | (uint32_t)f->app_proto << 16 | port, s_ai);
    }
    if (client != NULL && app) {
        record_used(inv, client, f);
    }
}

void inventory_flow_end(struct inventory *inv, const struct ww_flow *f)
{
    uint8_t c_ai, s_ai;
    struct inv_device *c = endpoint(inv, f->last_us, flow_mac(f, 0), f->key.family,
                                    flow_side_addr(f, 0), &c_ai);
    struct inv_device *s = endpoint(inv, f->last_us, flow_mac(f, 1), f->key.family,
                                    flow_side_addr(f, 1), &s_ai);

    if (c != NULL) {
        c->flows++;
        c->pkts_sent += f->dir[FLOW_TOSERVER].pkts;
        c->bytes_sent += f->dir[FLOW_TOSERVER].bytes;
        c->pkts_recv += f->dir[FLOW_TOCLIENT].pkts;
        c->bytes_recv += f->dir[FLOW_TOCLIENT].bytes;
        c->dirty = true;
    }
    if (s != NULL && s != c) {
        s->flows++;
        s->pkts_sent += f->dir[FLOW_TOCLIENT].pkts;
        s->bytes_sent += f->dir[FLOW_TOCLIENT].bytes;
        s->pkts_recv += f->dir[FLOW_TOSERVER].pkts;
        s->bytes_recv += f->dir[FLOW_TOSERVER].bytes;
        s->dirty = true;
    }
    record_service(inv, f, c, s, s_ai);
}

uint32_t inventory_arp(struct inventory *inv, uint64_t ts_us, const uint8_t mac[6],
                       const uint8_t ip[4])
{
    uint8_t ai;
    struct inv_device *d = endpoint(inv, ts_us, mac, 4, ip, &ai);

    announce_new(inv, d, ts_us);
    return d != NULL ? d->id : 0;
}

void inventory_add(struct inventory *inv, uint64_t ts_us, const uint8_t mac[6], const char *kind,
                   const char *value)
{
    struct inv_device *d = device_by_mac(inv, ts_us, mac);

    if (d == NULL) {
        return;
    }
    announce_new(inv, d, ts_us);
    device_add_evidence(inv, d, ts_us, kind, value, strlen(value), INV_NO_ADDR);
}

void inventory_write_device(struct jbuf *jb, const struct inventory *inv, const char *key,
                            uint32_t id)
{
    const struct inv_device *d = inventory_device_by_id(inv, id);
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
    jb_str(jb, "class", inventory_class_name(inv, d));
    jb_str(jb, "criticality", rules_criticality_name(inventory_criticality(inv, d)));
    jb_object_close(jb);
}
