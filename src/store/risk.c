/* SPDX-License-Identifier: MIT */
/* store/risk: links and alerts saved, risk inputs read back (risk.h). */
#include "store/risk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/devices.h"

static const char *const sql_link =
    "INSERT INTO device_links (client_id, server_id, service, flows, first_seen, last_seen)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (client_id, server_id, service) DO UPDATE"
    " SET flows = flows + excluded.flows, first_seen = min(first_seen, excluded.first_seen),"
    " last_seen = max(last_seen, excluded.last_seen)";

static const char *const sql_alert =
    "INSERT INTO device_alerts (device_id, alerts, departures, severity, last_seen, reason)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (device_id) DO UPDATE"
    " SET alerts = alerts + excluded.alerts, departures = departures + excluded.departures,"
    " severity = excluded.severity, last_seen = max(last_seen, excluded.last_seen),"
    " reason = excluded.reason";

static int save_links(sqlite3_stmt *ids, sqlite3_stmt *st, const struct assess *a,
                      const struct inventory *inv)
{
    for (size_t i = 0; i < assess_link_count(a); i++) {
        const struct assess_link *l = assess_link(a, i);
        sqlite3_int64 c = store_device_id(ids, inv, l->client);
        sqlite3_int64 v = store_device_id(ids, inv, l->server);
        char service[16];

        if (c == 0 || v == 0) {
            continue;
        }
        snprintf(service, sizeof(service), "%s/%u", l->proto == 6 ? "tcp" : "udp", l->port);
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, c);
        sqlite3_bind_int64(st, 2, v);
        sqlite3_bind_text(st, 3, service, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)l->flows);
        store_bind_time(st, 5, l->first_us);
        store_bind_time(st, 6, l->last_us);
        if (sqlite3_step(st) != SQLITE_DONE) {
            return -1;
        }
    }
    return 0;
}

static int save_alerts(sqlite3_stmt *ids, sqlite3_stmt *st, const struct alerts *alerts,
                       const struct inventory *inv)
{
    for (size_t i = 0; alerts != NULL && i < inventory_count(inv); i++) {
        const struct inv_device *d = inventory_device(inv, i);
        struct alerts_device ad;
        sqlite3_int64 id;

        if (!alerts_device(alerts, d->id, &ad) || (id = store_device_id(ids, inv, d->id)) == 0) {
            continue;
        }
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)ad.alerts);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)ad.departures);
        sqlite3_bind_int(st, 4, ad.severity);
        store_bind_time(st, 5, ad.last_us);
        sqlite3_bind_text(st, 6, ad.reason, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE) {
            return -1;
        }
    }
    return 0;
}

int store_save_risk_inputs(struct ww_store *s, const struct assess *a,
                           const struct alerts *alerts, const struct inventory *inv, char *err)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *ids = NULL, *link = NULL, *alert = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(db, STORE_SQL_DEVICE_ID, -1, &ids, NULL) ||
        sqlite3_prepare_v2(db, sql_link, -1, &link, NULL) ||
        sqlite3_prepare_v2(db, sql_alert, -1, &alert, NULL)) {
        snprintf(err, STORE_ERROR_LEN, "preparing links and alerts: %s", sqlite3_errmsg(db));
    } else if (store_begin(s, err) == 0) {
        rc = save_links(ids, link, a, inv) < 0 || save_alerts(ids, alert, alerts, inv) < 0
                 ? -1
                 : 0;
        if (rc < 0) {
            snprintf(err, STORE_ERROR_LEN, "saving links and alerts: %s", sqlite3_errmsg(db));
            store_rollback(s);
        } else {
            rc = store_commit(s, err);
        }
    }
    sqlite3_finalize(ids);
    sqlite3_finalize(link);
    sqlite3_finalize(alert);
    return rc;
}

/* ---- reading back -------------------------------------------------------- */

static enum finding_kind kind_of(const char *s)
{
    for (int k = 0; k < FIND_KIND_MAX; k++) {
        if (strcmp(finding_kind_name((enum finding_kind)k), s) == 0) {
            return (enum finding_kind)k;
        }
    }
    return FIND_KIND_MAX;
}

static const char *text_col(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);

    return s != NULL ? s : "";
}

/* The index of a stored device id in in->devices (sorted by id), or SIZE_MAX. */
static size_t device_index(const struct risk_input *in, long long id)
{
    size_t lo = 0, hi = in->n_devices;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (in->devices[mid].id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < in->n_devices && in->devices[lo].id == id ? lo : SIZE_MAX;
}

/* Runs sql and hands each row to fn; rows are counted first to size the array. */
static int each_row(sqlite3 *db, const char *sql, int (*fn)(struct risk_input *, sqlite3_stmt *),
                    struct risk_input *in)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn(in, st) < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

#define GROW(arr, n)                                                                          \
    do {                                                                                      \
        void *g_ = realloc((arr), ((n) + 1) * sizeof(*(arr)));                               \
        if (g_ == NULL) {                                                                     \
            return -1;                                                                        \
        }                                                                                     \
        (arr) = g_;                                                                           \
    } while (0)

static int device_row(struct risk_input *in, sqlite3_stmt *st)
{
    struct risk_device *d;

    GROW(in->devices, in->n_devices);
    d = &in->devices[in->n_devices++];
    memset(d, 0, sizeof(*d));
    d->id = sqlite3_column_int64(st, 0);
    snprintf(d->ip, sizeof(d->ip), "%s", text_col(st, 1));
    snprintf(d->class_name, sizeof(d->class_name), "%s", text_col(st, 2));
    d->criticality = CRIT_LOW;
    (void)rules_criticality_parse(text_col(st, 3), &d->criticality);
    snprintf(d->name, sizeof(d->name), "%s", text_col(st, 4));
    return 0;
}

static int finding_row(struct risk_input *in, sqlite3_stmt *st)
{
    size_t d = device_index(in, sqlite3_column_int64(st, 0));
    enum finding_kind k = kind_of(text_col(st, 1));
    struct risk_finding *f;

    if (d == SIZE_MAX || k == FIND_KIND_MAX) {
        return 0;
    }
    GROW(in->findings, in->n_findings);
    f = &in->findings[in->n_findings++];
    memset(f, 0, sizeof(*f));
    f->device = d;
    f->kind = k;
    snprintf(f->detail, sizeof(f->detail), "%s", text_col(st, 2));
    f->cvss = sqlite3_column_double(st, 3);
    f->exploited = sqlite3_column_int(st, 4) != 0;
    f->confidence = strcmp(text_col(st, 5), "high") == 0     ? VULN_HIGH
                    : strcmp(text_col(st, 5), "medium") == 0 ? VULN_MEDIUM
                                                             : 0;
    return 0;
}

static int alert_row(struct risk_input *in, sqlite3_stmt *st)
{
    size_t d = device_index(in, sqlite3_column_int64(st, 0));
    struct risk_alert *a;

    if (d == SIZE_MAX) {
        return 0;
    }
    GROW(in->alerts, in->n_alerts);
    a = &in->alerts[in->n_alerts++];
    a->device = d;
    a->alerts = (uint64_t)sqlite3_column_int64(st, 1);
    a->departures = (uint64_t)sqlite3_column_int64(st, 2);
    snprintf(a->reason, sizeof(a->reason), "%s", text_col(st, 3));
    return 0;
}

static int link_row(struct risk_input *in, sqlite3_stmt *st)
{
    size_t c = device_index(in, sqlite3_column_int64(st, 0));
    size_t v = device_index(in, sqlite3_column_int64(st, 1));
    struct risk_link *l;

    if (c == SIZE_MAX || v == SIZE_MAX) {
        return 0;
    }
    GROW(in->links, in->n_links);
    l = &in->links[in->n_links++];
    l->client = c;
    l->server = v;
    snprintf(l->service, sizeof(l->service), "%s", text_col(st, 2));
    return 0;
}

int store_load_risk_input(struct ww_store *s, struct risk_input *in, char *err)
{
    sqlite3 *db = store_db(s);

    memset(in, 0, sizeof(*in));
    if (each_row(db,
                 "SELECT d.id, d.ip, d.class, d.criticality, (SELECT value FROM device_evidence"
                 " e WHERE e.device_id = d.id AND e.kind = 'dhcp.hostname' LIMIT 1)"
                 " FROM devices d ORDER BY d.id",
                 device_row, in) < 0 ||
        each_row(db, "SELECT device_id, kind, detail, cvss, exploited, confidence FROM findings",
                 finding_row, in) < 0 ||
        each_row(db, "SELECT device_id, alerts, departures, reason FROM device_alerts",
                 alert_row, in) < 0 ||
        each_row(db, "SELECT client_id, server_id, service FROM device_links"
                     " ORDER BY client_id, server_id, service",
                 link_row, in) < 0) {
        snprintf(err, STORE_ERROR_LEN, "reading what risk is computed from: %s",
                 sqlite3_errmsg(db));
        store_risk_input_free(in);
        return -1;
    }
    return 0;
}

void store_risk_input_free(struct risk_input *in)
{
    free(in->devices);
    free(in->findings);
    free(in->alerts);
    free(in->links);
    memset(in, 0, sizeof(*in));
}
