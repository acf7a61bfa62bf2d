/* SPDX-License-Identifier: MIT */
/* events: the flow, decoder and stats events written to eve.json. */
#ifndef WW_OUTPUT_EVENTS_H
#define WW_OUTPUT_EVENTS_H

#include "decode/decode.h"
#include "flow/flow.h"
#include "output/eve.h"

/* Name of an IP protocol as Suricata writes it ("TCP", "IPv6-ICMP", "47"). */
const char *events_proto_name(uint8_t proto, char *buf, size_t len);

/* flow_id, src_ip, src_port, dest_ip, dest_port and proto of a flow, client first. */
void events_flow_fields(struct jbuf *jb, const struct ww_flow *f);

/* A flow that ended, with why. */
void events_log_flow(struct eve_writer *w, const struct ww_flow *f, enum flow_end_reason why);

/*
 * A malformed packet: which check failed, where in which file, and how many
 * of the same kind were counted but not logged since the last such event.
 */
struct decoder_report {
    const struct ww_packet *p;
    enum decode_event ev;
    const char *file;
    uint64_t suppressed;
};

void events_log_decoder(struct eve_writer *w, const struct decoder_report *r);

/* Appends the members of a decoder stats object (Suricata's stats.decoder). */
void events_decoder_stats(struct jbuf *jb, const struct decode_stats *s);

#endif
