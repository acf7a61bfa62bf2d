/* SPDX-License-Identifier: MIT */
/* store/findings: the assessment's findings in the database. */
#ifndef WW_STORE_FINDINGS_H
#define WW_STORE_FINDINGS_H

#include <jansson.h>

#include "assess/assess.h"
#include "inventory/inventory.h"
#include "store/store.h"

/*
 * Writes every finding of a, after the devices (store_save_devices), in
 * one transaction. A finding already stored for the same device, kind and
 * detail is merged: first and last seen widen, counts add up, evidence
 * and severity are this run's. Returns the number written, or -1 with a
 * message in err.
 */
int store_save_findings(struct ww_store *s, const struct assess *a, const struct inventory *inv,
                        char *err);

/*
 * Every stored finding as a JSON array of objects (id, device_id, kind,
 * detail, severity, title, evidence, fix, peer_id, first_seen, last_seen,
 * count), most severe first. Returns NULL with a message in err.
 */
json_t *store_load_findings(struct ww_store *s, char *err);

#endif
