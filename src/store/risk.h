/* SPDX-License-Identifier: MIT */
/* store/risk: what risk is computed from, saved by analyze and read back (risk.h). */
#ifndef WW_STORE_RISK_H
#define WW_STORE_RISK_H

#include "assess/assess.h"
#include "assess/risk.h"
#include "detect/alerts.h"
#include "inventory/inventory.h"
#include "store/store.h"

/*
 * Writes the links between devices (adding to flows seen before) and each
 * device's alerts, after the devices. alerts may be NULL. Returns 0, or -1
 * with a message in err.
 */
int store_save_risk_inputs(struct ww_store *s, const struct assess *a,
                           const struct alerts *alerts, const struct inventory *inv, char *err);

/*
 * Reads every stored device, finding, alert and link into in (allocated;
 * release with store_risk_input_free). Returns 0, or -1 with err.
 */
int store_load_risk_input(struct ww_store *s, struct risk_input *in, char *err);
void store_risk_input_free(struct risk_input *in);

#endif
