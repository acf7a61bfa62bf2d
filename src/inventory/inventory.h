/* SPDX-License-Identifier: MIT */
/* inventory: the devices on the network, what is known of each and why. */
#ifndef WW_INVENTORY_INVENTORY_H
#define WW_INVENTORY_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "inventory/oui.h"
#include "inventory/rules.h"
#include "output/eve.h"
#include "proto/proto.h"

#define INV_VALUE_MAX 200        /* bytes of an evidence value kept */
#define INV_EVIDENCE_MAX 256     /* pieces of evidence kept per device */
#define INV_VALUES_PER_KIND 32   /* distinct values kept per kind per device */
#define INV_ADDRS_MAX 16         /* addresses kept per device */
#define INV_GATEWAY_V4 4         /* a MAC with more IPv4 addresses than this routes */
#define INV_GATEWAY_V6 8         /* ... or more IPv6 addresses than this */
#define INV_CONFIDENCE_MIN 0.5   /* below it, the class is "unknown" */
#define INV_TEXT_MAX 96

struct inv_evidence {
    char kind[RULES_NAME_MAX];
    char *value; /* NUL-terminated copy, at most INV_VALUE_MAX bytes */
    uint32_t hash;
    uint32_t count;
    uint8_t addr_idx; /* the device address it came through, or 0xff */
    uint64_t first_us, last_us;
};

struct inv_addr {
    uint8_t family;
    uint8_t addr[16];
    uint64_t first_us, last_us;
};

/* A rule that matched one of the device's pieces of evidence. */
struct inv_match {
    uint32_t rule;     /* index in rules.rules */
    uint32_t evidence; /* index in the device's evidence */
};

struct inv_device {
    uint32_t id; /* 1-based, in order of appearance */
    bool has_mac;
    bool gateway; /* routes for other addresses: those become devices of their own */
    uint8_t mac[6];
    uint8_t family; /* the key of a device known only by address */
    uint8_t addr[16];
    uint64_t first_us, last_us;
    uint64_t flows, pkts_sent, pkts_recv, bytes_sent, bytes_recv;

    struct inv_addr addrs[INV_ADDRS_MAX];
    uint32_t n_addrs;
    struct inv_evidence *evidence;
    uint32_t n_evidence, cap_evidence;
    uint32_t evidence_dropped; /* past INV_EVIDENCE_MAX or INV_VALUES_PER_KIND */
    struct inv_match *matches;
    uint32_t n_matches, cap_matches;

    /* identity, as last decided */
    int class_idx; /* in rules.classes, or -1 for unknown */
    double confidence;
    char vendor[RULES_NAME_MAX + 64];
    char vendor_source[RULES_NAME_MAX]; /* "oui" or the evidence kind that named it */
    char model[INV_TEXT_MAX];
    char software[INV_TEXT_MAX];
    /* the service evidence the last flow gave, to count a repeat without a search */
    uint32_t memo_key;        /* transport << 24 | app << 16 | port of the last service, or 0 */
    int32_t memo_ev[2];       /* its service.offered and app.offered (or -1) */
    uint8_t memo_used_app;    /* the app of the last app.used, or 0 */
    int32_t memo_used_ev;
    bool announced; /* a device event was written */
    bool dirty;     /* changed since inventory_mark_saved */
};

struct inv_config {
    const struct rules *rules;   /* borrowed; classification needs it */
    const struct oui_table *oui; /* borrowed; NULL: no vendor names from MACs */
    struct eve_writer *eve;      /* borrowed; NULL: no device events */
};

struct inventory;

/* Returns NULL when out of memory. */
struct inventory *inventory_new(const struct inv_config *cfg);
void inventory_free(struct inventory *inv);

/* Evidence from the parsers (a proto_evidence_fn; arg is the inventory). */
void inventory_evidence(void *arg, const struct proto_evidence *ev);

/*
 * The first packet of a flow: both ends become known devices. ids gets the
 * device ids of the client and server sides (0: no device, as for an
 * address outside the site).
 */
void inventory_flow_start(struct inventory *inv, const struct ww_flow *f, uint32_t ids[2]);

/* The device ids of a flow's client and server sides at ts_us, as inventory_flow_start gives. */
void inventory_flow_ids(struct inventory *inv, const struct ww_flow *f, uint64_t ts_us,
                        uint32_t ids[2]);

/* A flow that ended: traffic counts, and the services each end offered and used. */
void inventory_flow_end(struct inventory *inv, const struct ww_flow *f);

/* An ARP packet: the sender's MAC and IPv4 address. Returns the sender's device id, or 0. */
uint32_t inventory_arp(struct inventory *inv, uint64_t ts_us, const uint8_t mac[6],
                       const uint8_t ip[4]);

/*
 * Evidence from elsewhere (a learned fingerprint): kind and value about
 * the device with this MAC, which is created if unknown.
 */
void inventory_add(struct inventory *inv, uint64_t ts_us, const uint8_t mac[6], const char *kind,
                   const char *value);

size_t inventory_count(const struct inventory *inv);
/* Devices by index, 0 .. inventory_count - 1, in order of appearance. */
const struct inv_device *inventory_device(const struct inventory *inv, size_t i);
/* Clears every device's dirty flag (after a save). */
void inventory_mark_saved(struct inventory *inv);

const struct rules *inventory_rules(const struct inventory *inv);
/* The device with this id (1-based), or NULL. */
const struct inv_device *inventory_device_by_id(const struct inventory *inv, uint32_t id);
/* Its host name from DHCP (option 12, else the FQDN of option 81), or NULL. */
const char *inventory_device_name(const struct inv_device *d);

/* Unicast: not zero, multicast or broadcast. */
bool inventory_addr_unicast(uint8_t family, const uint8_t *a);
/* Private, shared, loopback and link-local space: addresses of the site itself. */
bool inventory_addr_local(uint8_t family, const uint8_t *a);

/* The class of a device as a name ("unknown" when undecided). */
const char *inventory_class_name(const struct inventory *inv, const struct inv_device *d);
enum criticality inventory_criticality(const struct inventory *inv, const struct inv_device *d);

/* The device's first address of a family (4 before 6), or NULL. */
const struct inv_addr *inventory_device_addr(const struct inv_device *d);

/*
 * Writes the device with this id as an object named key (id, name, mac,
 * ip, class, criticality), as events name a device; nothing when there is
 * no such device.
 */
void inventory_write_device(struct jbuf *jb, const struct inventory *inv, const char *key,
                            uint32_t id);

#endif
