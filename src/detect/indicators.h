/* SPDX-License-Identifier: MIT */
/*
 * indicators: known-bad addresses, networks and domains from a file the
 * user supplies, matched on every flow's addresses and on the names a
 * device asks for in DNS, sends as TLS SNI or as an HTTP Host. A match is
 * an `alert` event in Suricata's shape (alert.signature, .category,
 * .severity) that names the device, once per device and indicator.
 *
 * The file: one indicator per line, `ip ADDRESS`, `net ADDRESS/BITS` or
 * `domain NAME` (the name and every name under it), then optionally a
 * note that goes into the alert (where the indicator came from). Blank
 * lines and lines starting with # are skipped. IPv4 and IPv6.
 */
#ifndef WW_DETECT_INDICATORS_H
#define WW_DETECT_INDICATORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "output/eve.h"
#include "proto/proto.h"

#define INDICATORS_ERROR_LEN 512
#define INDICATOR_NOTE_MAX 120

struct indicators;

/*
 * Reads path. Returns NULL with "PATH line N: what" (or the system's
 * reason) in err: a bad line stops the load, so that a list is never half
 * applied without anyone knowing.
 */
struct indicators *indicators_load(const char *path, struct eve_writer *eve, char *err);
void indicators_free(struct indicators *ind);

size_t indicators_count(const struct indicators *ind);
uint64_t indicators_alerts(const struct indicators *ind);

/* The first packet of a flow: an address of either side on the list is an alert. */
void indicators_flow(struct indicators *ind, const struct ww_flow *f);

/* Evidence from the parsers (a proto_evidence_fn): dns.query, tls.sni and http.host. */
void indicators_evidence(void *arg, const struct proto_evidence *ev);

#endif
