/* SPDX-License-Identifier: MIT */
/* alerts: anomalies merged into one growing alert per device (alerts.h). */
#include "detect/alerts.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/json.h"
#include "util/grow.h"

#define US_PER_S 1000000ull
#define ALERTS_SIGNATURE_ID 9000001 /* wardwatch's behaviour alerts */
#define ALERTS_REASON_MAX 400

struct open_alert {
    bool open;
    int severity;
    uint64_t first_us, last_us;
    uint64_t count, written_count;
    const char *kinds[ALERTS_KINDS_MAX];
    int n_kinds;
    char reason[ALERTS_REASON_MAX];
    uint64_t total_alerts, total_departures; /* over the run, every alert of the device */
};

struct alerts {
    const struct inventory *inv;
    struct eve_writer *eve;
    struct open_alert *by_id; /* by device id */
    size_t n;
    uint64_t opened[4];       /* [0] all, [1..3] by severity */
};

struct alerts *alerts_new(const struct inventory *inv, struct eve_writer *eve)
{
    struct alerts *a = calloc(1, sizeof(*a));

    if (a != NULL) {
        a->inv = inv;
        a->eve = eve;
    }
    return a;
}

void alerts_free(struct alerts *a)
{
    if (a != NULL) {
        free(a->by_id);
        free(a);
    }
}

uint64_t alerts_opened(const struct alerts *a, int severity)
{
    return severity >= 1 && severity <= 3 ? a->opened[severity] : a->opened[0];
}

static struct open_alert *slot(struct alerts *a, uint32_t id)
{
    struct open_alert *all = grow_to_index(a->by_id, &a->n, sizeof(*a->by_id), id);

    if (all == NULL) {
        return NULL;
    }
    a->by_id = all;
    return &a->by_id[id];
}

static bool raises_severity(const char *kind)
{
    return strcmp(kind, "first_outside") == 0 || strcmp(kind, "arp_rebind") == 0;
}

int alerts_severity(const struct inventory *inv, uint32_t id, const char *kind)
{
    const struct inv_device *d = inventory_device_by_id(inv, id);
    enum criticality c = d != NULL ? inventory_criticality(inv, d) : CRIT_LOW;
    int s = c >= CRIT_HIGH ? 1 : c == CRIT_MEDIUM ? 2 : 3;

    return raises_severity(kind) && s > 1 ? s - 1 : s;
}

const char *alerts_severity_name(int severity)
{
    return severity <= 1 ? "high" : severity == 2 ? "medium" : "low";
}

static void write_alert(struct alerts *a, uint32_t id, struct open_alert *o)
{
    const struct inv_device *d = inventory_device_by_id(a->inv, id);
    const struct inv_addr *addr = d != NULL ? inventory_device_addr(d) : NULL;
    struct jbuf *jb = eve_begin(a->eve, o->last_us, "alert");
    char sig[ALERTS_REASON_MAX + 64];

    if (addr != NULL) {
        jb_ip(jb, "src_ip", addr->family, addr->addr);
    }
    snprintf(sig, sizeof(sig), "wardwatch behaviour: %s", o->reason);
    jb_object_open(jb, "alert");
    jb_str(jb, "action", "allowed");
    jb_u64(jb, "gid", 1);
    jb_u64(jb, "signature_id", ALERTS_SIGNATURE_ID);
    jb_u64(jb, "rev", 1);
    jb_str(jb, "signature", sig);
    jb_str(jb, "category", "Device behaviour departed from its baseline");
    jb_u64(jb, "severity", (uint64_t)o->severity);
    jb_u64(jb, "count", o->count);
    jb_time(jb, "first", o->first_us);
    jb_time(jb, "last", o->last_us);
    jb_array_open(jb, "kinds");
    for (int k = 0; k < o->n_kinds; k++) {
        jb_str(jb, NULL, o->kinds[k]);
    }
    jb_array_close(jb);
    jb_object_close(jb);
    inventory_write_device(jb, a->inv, "device", id);
    eve_commit(a->eve);
    o->written_count = o->count;
}

static void note_kind(struct open_alert *o, const char *kind, int severity)
{
    for (int k = 0; k < o->n_kinds; k++) {
        if (o->kinds[k] == kind || strcmp(o->kinds[k], kind) == 0) {
            return;
        }
    }
    if (o->n_kinds < ALERTS_KINDS_MAX) {
        o->kinds[o->n_kinds++] = kind;
    }
    o->severity = severity < o->severity ? severity : o->severity;
}

static void open_alert(struct alerts *a, struct open_alert *o, uint64_t ts_us, uint32_t id,
                       const char *kind, const char *reason)
{
    uint64_t alerts = o->total_alerts, departures = o->total_departures;

    memset(o, 0, sizeof(*o)); /* the alert before it is done; the device's totals go on */
    o->total_alerts = alerts + 1;
    o->total_departures = departures;
    o->open = true;
    o->severity = alerts_severity(a->inv, id, kind);
    o->first_us = o->last_us = ts_us;
    o->count = 1;
    o->kinds[o->n_kinds++] = kind;
    snprintf(o->reason, sizeof(o->reason), "%s", reason);
    a->opened[0]++;
    a->opened[o->severity]++;
    write_alert(a, id, o);
}

void alerts_add(struct alerts *a, uint64_t ts_us, uint32_t id, const char *kind,
                const char *reason)
{
    struct open_alert *o = slot(a, id);

    if (o == NULL) {
        return;
    }
    o->total_departures++;
    if (o->open && ts_us > o->last_us + ALERTS_QUIET_S * US_PER_S) {
        if (o->count > o->written_count) {
            write_alert(a, id, o); /* its final count before it closes */
        }
        o->open = false;
    }
    if (!o->open) {
        open_alert(a, o, ts_us, id, kind, reason);
        return;
    }
    o->count++;
    o->last_us = ts_us > o->last_us ? ts_us : o->last_us;
    note_kind(o, kind, alerts_severity(a->inv, id, kind));
    if (o->count >= 2 * o->written_count) {
        write_alert(a, id, o);
    }
}

void alerts_finish(struct alerts *a)
{
    for (size_t id = 0; id < a->n; id++) {
        struct open_alert *o = &a->by_id[id];

        if (o->open && o->count > o->written_count) {
            write_alert(a, (uint32_t)id, o);
        }
    }
}

bool alerts_device(const struct alerts *a, uint32_t id, struct alerts_device *out)
{
    const struct open_alert *o = id < a->n ? &a->by_id[id] : NULL;

    if (o == NULL || o->total_alerts == 0) {
        return false;
    }
    *out = (struct alerts_device){o->total_alerts, o->total_departures, o->severity,
                                  o->last_us, o->reason};
    return true;
}
