/* SPDX-License-Identifier: MIT */
/* engine: the packet path, from a captured packet to flows and events. */
#ifndef WW_ENGINE_ENGINE_H
#define WW_ENGINE_ENGINE_H

#include "assess/assess.h"
#include "decode/decode.h"
#include "detect/baseline.h"
#include "detect/ensemble.h"
#include "detect/indicators.h"
#include "flow/flow.h"
#include "inventory/fingerprint.h"
#include "inventory/inventory.h"
#include "output/eve.h"

struct engine_config {
    struct flow_config flow;
    const char *const *file_names; /* input names, by ww_packet.file_index */
    struct inventory *inventory;   /* borrowed; NULL: no device inventory */
    struct fp_collector *fingerprints; /* borrowed; NULL: no learned fingerprints */
    struct baseline *baseline;     /* borrowed; NULL: no baselines (needs the inventory) */
    struct ensemble *ensemble;     /* borrowed; NULL: no autoencoder ensemble */
    struct indicators *indicators; /* borrowed; NULL: no list of known-bad indicators */
    struct assess *assess;         /* borrowed; NULL: no findings (needs the inventory) */
};

/* Flows that ended, by transport. */
struct engine_flow_counts {
    uint64_t tcp, udp, icmp, other;
};

struct engine;

/*
 * Makes an engine writing events to eve (borrowed, must outlive it).
 * Returns NULL when memory cannot be had for the flow table.
 */
struct engine *engine_new(const struct engine_config *cfg, struct eve_writer *eve);
void engine_free(struct engine *e);

/*
 * Takes one captured packet (its capture fields; p->data need stay valid
 * only during the call): the packet is copied and queued, and decoded and
 * accounted with the next few, in order.
 */
void engine_packet(struct engine *e, const struct ww_packet *p);

/* Processes what is queued and ends all flows at the end of input. */
void engine_finish(struct engine *e);

/* Writes the `stats` event; wall_s is the time the run has taken. */
void engine_log_stats(struct engine *e, double wall_s);

const struct decode_stats *engine_decode_stats(const struct engine *e);
const struct flow_stats *engine_flow_stats(const struct engine *e);
const struct stream_stats *engine_stream_stats(const struct engine *e);
const struct engine_flow_counts *engine_flow_counts(const struct engine *e);
/* Capture time of the first and last packet, microseconds. */
void engine_time_span(const struct engine *e, uint64_t *first_us, uint64_t *last_us);

#endif
