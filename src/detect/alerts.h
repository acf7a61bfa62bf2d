/* SPDX-License-Identifier: MIT */
/*
 * alerts: one alert per device for its related anomalies, not one line per
 * anomaly. The first anomaly on a device opens an alert (an `alert` event
 * in Suricata's shape); later ones on the same device add to its count,
 * and the alert is written again when the count has doubled since it was
 * last written, and at the end of input if it grew since. An alert closes
 * after ALERTS_QUIET_S without anomalies; the next one opens another.
 * Its severity comes from the device's clinical criticality (1 for
 * life-sustaining and high, 2 medium, 3 low), one step more severe when
 * the device talked to the outside for the first time or an address was
 * taken over in ARP.
 */
#ifndef WW_DETECT_ALERTS_H
#define WW_DETECT_ALERTS_H

#include <stdbool.h>
#include <stdint.h>

#include "inventory/inventory.h"
#include "output/eve.h"

#define ALERTS_QUIET_S 600 /* an alert closes after this long without anomalies */
#define ALERTS_KINDS_MAX 8 /* kinds of anomaly named in one alert */

struct alerts;

/* Returns NULL when out of memory. inv and eve are borrowed. */
struct alerts *alerts_new(const struct inventory *inv, struct eve_writer *eve);
void alerts_free(struct alerts *a);

/*
 * An anomaly of kind (a string that outlives the alerts) on device id at
 * ts_us; reason is the anomaly's words (the alert keeps its first).
 */
void alerts_add(struct alerts *a, uint64_t ts_us, uint32_t id, const char *kind,
                const char *reason);

/* Writes the alerts whose count grew since they were last written. */
void alerts_finish(struct alerts *a);

/*
 * The severity of an anomaly of kind on device id, by the rule above: 1
 * (most severe) to 3. Anomaly events carry it by name (alerts_severity_name:
 * high, medium, low).
 */
int alerts_severity(const struct inventory *inv, uint32_t id, const char *kind);
const char *alerts_severity_name(int severity);

/* Alerts opened, and opened at each severity (index 1 to 3). */
uint64_t alerts_opened(const struct alerts *a, int severity);

/* What a device's alerts came to over the run. */
struct alerts_device {
    uint64_t alerts;     /* alerts opened */
    uint64_t departures; /* anomalies counted in them */
    int severity;        /* the last alert's, 1 to 3 */
    uint64_t last_us;
    const char *reason;  /* the last alert's first anomaly, in words */
};

/* Fills out for device id; false when it had no alert. */
bool alerts_device(const struct alerts *a, uint32_t id, struct alerts_device *out);

#endif
