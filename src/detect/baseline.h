/* SPDX-License-Identifier: MIT */
/*
 * baseline: what each device did while wardwatch learned, and the
 * departures from it afterwards, as anomaly events that say in words what
 * happened and what was expected.
 */
#ifndef WW_DETECT_BASELINE_H
#define WW_DETECT_BASELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "detect/alerts.h"
#include "flow/flow.h"
#include "inventory/inventory.h"
#include "output/eve.h"

#define BASELINE_LEARN_DEFAULT_S 3600 /* capture seconds of learning unless told */
#define BASELINE_QUIET_S 60     /* a device's anomalies of a kind: at most BASELINE_BURST ... */
#define BASELINE_BURST 4        /* ... per this many seconds; the rest are counted as repeats */
#define BASELINE_WINDOW_S 60    /* the span over which flows opened are counted */
#define BASELINE_FLOWS_FLOOR 30 /* a window with fewer new flows is never a volume anomaly */
#define BASELINE_FLOWS_FACTOR 4 /* ... nor one below this many times the learned busiest */
#define BASELINE_EXPECTED_MAX 4 /* learned peers named in an anomaly */
#define BASELINE_BYTES_FLOOR 8192  /* bytes sent within a window never a volume anomaly ... */
#define BASELINE_BYTES_FACTOR 4    /* ... nor below this many times the learned most */
#define BASELINE_CHECKPOINT 4096   /* a flow's bytes are counted at each power of two from here */
#define BASELINE_DRIFT_SHIFT 3     /* after learning, a band moves 1/8 of the way to a busier */
                                   /* window that was not an anomaly */
#define BASELINE_DAY_S 86400       /* with this much learning, bands are kept by hour of day */

enum baseline_kind {
    BL_NEW_DEVICE = 0, /* a device first seen after learning */
    BL_NEW_PEER_CLASS, /* a service with a class of peer never seen on it */
    BL_NEW_SERVICE,    /* a service answered that the device never offered */
    BL_FIRST_OUTSIDE,  /* traffic with an outside address, never seen in learning */
    BL_ARP_REBIND,     /* an IPv4 address claimed by another MAC than in learning */
    BL_FLOW_RATE,      /* far more flows opened in a window than ever in learning */
    BL_VOLUME,         /* far more bytes sent to a class of peer on a service than ever */
    BL_KIND_MAX
};

struct baseline_config {
    uint64_t learn_us;           /* learning period, from the first packet */
    const struct inventory *inv; /* borrowed: names, classes, criticality */
    struct eve_writer *eve;      /* borrowed */
    struct alerts *alerts;       /* borrowed; NULL: anomalies only, no merged alerts */
};

struct baseline_stats {
    bool learning;
    uint64_t learn_end_us;      /* when learning ends (or ended) */
    uint64_t devices_learned;
    uint64_t talks_learned;     /* (device, peer, direction, service) seen in learning */
    uint64_t anomalies[BL_KIND_MAX];
    uint64_t repeats;           /* departures reported before, or past BASELINE_BURST */
};

struct baseline;

/* Returns NULL when out of memory. */
struct baseline *baseline_new(const struct baseline_config *cfg);
void baseline_free(struct baseline *b);

/* The first packet of a flow; ids are its client and server devices (inventory_flow_start). */
void baseline_flow_start(struct baseline *b, const struct ww_flow *f, const uint32_t ids[2]);

/*
 * The first packet of a flow's way back, at ts_us, with its devices as for
 * baseline_flow_start: the services that answer.
 */
void baseline_flow_reply(struct baseline *b, const struct ww_flow *f, const uint32_t ids[2],
                         uint64_t ts_us);

/*
 * Whether a flow's way, now at bytes after a packet of len, passed a
 * checkpoint: a power of two from BASELINE_CHECKPOINT up. The engine then
 * calls baseline_flow_checkpoint, so that counting volumes costs a call
 * per checkpoint, not per packet.
 */
static inline bool baseline_checkpoint(uint64_t bytes, uint32_t len)
{
    uint64_t before = bytes - len;

    return bytes >= BASELINE_CHECKPOINT && (before ^ bytes) > before;
}

/*
 * A flow's way (FLOW_TOSERVER or FLOW_TOCLIENT) passed a checkpoint with
 * a packet of len bytes at ts_us; ids as for baseline_flow_start. The
 * bytes since the last checkpoint count as sent at ts_us.
 */
void baseline_flow_checkpoint(struct baseline *b, const struct ww_flow *f, const uint32_t ids[2],
                              int dir, uint32_t len, uint64_t ts_us);

/* A flow ended: the bytes of each way since its last checkpoint count as sent at its end. */
void baseline_flow_end(struct baseline *b, const struct ww_flow *f, const uint32_t ids[2]);

/* An ARP packet's sender, and its device id (inventory_arp). */
void baseline_arp(struct baseline *b, uint64_t ts_us, const uint8_t mac[6], const uint8_t ip[4],
                  uint32_t id);

/*
 * An analyst's verdict that a departure is normal: the anomaly event's
 * "departure" text. The baseline widens to take it in (the peer class,
 * service or outside traffic becomes learned; a band grows to the level
 * seen), so it is not reported again. Returns 0, or -1 when the text is
 * not a departure this baseline knows.
 */
int baseline_accept(struct baseline *b, const char *departure);

const struct baseline_stats *baseline_stats(const struct baseline *b);
const char *baseline_kind_name(enum baseline_kind k);

#endif
