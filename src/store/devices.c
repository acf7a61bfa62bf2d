/* SPDX-License-Identifier: MIT */
/* store/devices: saves the inventory's devices and reads them back. */
#include "store/devices.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "output/json.h"

static const char *const sql_device =
    "INSERT INTO devices (key, mac, ip, first_seen, last_seen, class, category, criticality,"
    " confidence, vendor, vendor_source, model, software, gateway, flows, bytes_sent,"
    " bytes_recv, decided_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
    " ?14, ?15, ?16, ?17, ?18)"
    " ON CONFLICT (key) DO UPDATE SET ip = excluded.ip,"
    " first_seen = min(first_seen, excluded.first_seen),"
    " last_seen = max(last_seen, excluded.last_seen), class = excluded.class,"
    " category = excluded.category, criticality = excluded.criticality,"
    " confidence = excluded.confidence, vendor = excluded.vendor,"
    " vendor_source = excluded.vendor_source, model = excluded.model,"
    " software = excluded.software, gateway = excluded.gateway,"
    " flows = flows + excluded.flows, bytes_sent = bytes_sent + excluded.bytes_sent,"
    " bytes_recv = bytes_recv + excluded.bytes_recv, decided_by = excluded.decided_by"
    " RETURNING id";

static const char *const sql_addr =
    "INSERT INTO device_addresses (device_id, address, first_seen, last_seen)"
    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (device_id, address) DO UPDATE SET"
    " first_seen = min(first_seen, excluded.first_seen),"
    " last_seen = max(last_seen, excluded.last_seen)";

static const char *const sql_evidence =
    "INSERT INTO device_evidence (device_id, kind, value, first_seen, last_seen, count)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (device_id, kind, value) DO UPDATE SET"
    " first_seen = min(first_seen, excluded.first_seen),"
    " last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count";

struct save_stmts {
    sqlite3_stmt *device, *addr, *evidence;
};

static void fmt_mac(const uint8_t mac[6], char *out, size_t len)
{
    snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

static void fmt_addr(uint8_t family, const uint8_t *a, char *out, size_t len)
{
    if (inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, out, (socklen_t)len) == NULL) {
        snprintf(out, len, "?");
    }
}

static void bind_opt_text(sqlite3_stmt *st, int col, const char *s)
{
    if (s != NULL && *s != '\0') {
        sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(st, col);
    }
}

/* The evidence that decided the class, as a JSON array (caller frees). */
static char *decided_by(const struct inventory *inv, const struct inv_device *d)
{
    const struct rules *r = inventory_rules(inv);
    json_t *a = json_array();
    char *s;

    for (uint32_t i = 0; r != NULL && i < d->n_matches; i++) {
        const struct rules_rule *u = &r->rules[d->matches[i].rule];
        const struct inv_evidence *e = &d->evidence[d->matches[i].evidence];

        if (u->class_idx == d->class_idx) {
            json_array_append_new(a, json_pack("{s:s, s:s, s:f, s:i}", "kind", e->kind, "value",
                                               e->value, "weight", u->weight, "rule_line",
                                               u->lineno));
        }
    }
    s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

static void bind_identity(sqlite3_stmt *st, const struct inventory *inv,
                          const struct inv_device *d)
{
    const struct rules *r = inventory_rules(inv);

    sqlite3_bind_text(st, 6, inventory_class_name(inv, d), -1, SQLITE_TRANSIENT);
    bind_opt_text(st, 7, d->class_idx >= 0 ? r->classes[d->class_idx].category : NULL);
    sqlite3_bind_text(st, 8, rules_criticality_name(inventory_criticality(inv, d)), -1,
                      SQLITE_STATIC);
    sqlite3_bind_double(st, 9, d->confidence);
    bind_opt_text(st, 10, d->vendor);
    bind_opt_text(st, 11, d->vendor_source);
    bind_opt_text(st, 12, d->model);
    bind_opt_text(st, 13, d->software);
}

void store_device_key(const struct inv_device *d, char *out, size_t len)
{
    const struct inv_addr *a = inventory_device_addr(d);
    char text[INET6_ADDRSTRLEN] = "";

    if (d->has_mac) {
        fmt_mac(d->mac, text, sizeof(text));
    } else if (a != NULL) {
        fmt_addr(a->family, a->addr, text, sizeof(text));
    }
    snprintf(out, len, "%s:%s", d->has_mac ? "mac" : "ip", text);
}

sqlite3_int64 store_device_id(sqlite3_stmt *ids, const struct inventory *inv, uint32_t id)
{
    const struct inv_device *d = inventory_device_by_id(inv, id);
    char key[STORE_DEVICE_KEY_LEN];

    if (d == NULL) {
        return 0;
    }
    store_device_key(d, key, sizeof(key));
    sqlite3_reset(ids);
    sqlite3_bind_text(ids, 1, key, -1, SQLITE_TRANSIENT);
    return sqlite3_step(ids) == SQLITE_ROW ? sqlite3_column_int64(ids, 0) : 0;
}

/* Upserts the device row. Returns its id, or -1. */
static sqlite3_int64 save_device_row(sqlite3_stmt *st, const struct inventory *inv,
                                     const struct inv_device *d)
{
    const struct inv_addr *a = inventory_device_addr(d);
    char key[STORE_DEVICE_KEY_LEN], mac[24], ip[INET6_ADDRSTRLEN] = "";
    char *decided = decided_by(inv, d);
    sqlite3_int64 id = -1;

    if (a != NULL) {
        fmt_addr(a->family, a->addr, ip, sizeof(ip));
    }
    fmt_mac(d->mac, mac, sizeof(mac));
    store_device_key(d, key, sizeof(key));
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    bind_opt_text(st, 2, d->has_mac ? mac : NULL);
    bind_opt_text(st, 3, ip);
    store_bind_time(st, 4, d->first_us);
    store_bind_time(st, 5, d->last_us);
    bind_identity(st, inv, d);
    sqlite3_bind_int(st, 14, d->gateway);
    sqlite3_bind_int64(st, 15, (sqlite3_int64)d->flows);
    sqlite3_bind_int64(st, 16, (sqlite3_int64)d->bytes_sent);
    sqlite3_bind_int64(st, 17, (sqlite3_int64)d->bytes_recv);
    sqlite3_bind_text(st, 18, decided != NULL ? decided : "[]", -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    free(decided);
    return id;
}

static int save_details(struct save_stmts *ss, sqlite3_int64 id, const struct inv_device *d)
{
    for (uint32_t i = 0; i < d->n_addrs; i++) {
        char ip[INET6_ADDRSTRLEN];

        fmt_addr(d->addrs[i].family, d->addrs[i].addr, ip, sizeof(ip));
        sqlite3_reset(ss->addr);
        sqlite3_bind_int64(ss->addr, 1, id);
        sqlite3_bind_text(ss->addr, 2, ip, -1, SQLITE_TRANSIENT);
        store_bind_time(ss->addr, 3, d->addrs[i].first_us);
        store_bind_time(ss->addr, 4, d->addrs[i].last_us);
        if (sqlite3_step(ss->addr) != SQLITE_DONE) {
            return -1;
        }
    }
    for (uint32_t i = 0; i < d->n_evidence; i++) {
        const struct inv_evidence *e = &d->evidence[i];

        sqlite3_reset(ss->evidence);
        sqlite3_bind_int64(ss->evidence, 1, id);
        sqlite3_bind_text(ss->evidence, 2, e->kind, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ss->evidence, 3, e->value, -1, SQLITE_TRANSIENT);
        store_bind_time(ss->evidence, 4, e->first_us);
        store_bind_time(ss->evidence, 5, e->last_us);
        sqlite3_bind_int64(ss->evidence, 6, e->count);
        if (sqlite3_step(ss->evidence) != SQLITE_DONE) {
            return -1;
        }
    }
    return 0;
}

static void finalize_all(struct save_stmts *ss)
{
    sqlite3_finalize(ss->device);
    sqlite3_finalize(ss->addr);
    sqlite3_finalize(ss->evidence);
}

static int save_all(struct ww_store *s, struct save_stmts *ss, const struct inventory *inv)
{
    int n = 0;

    for (size_t i = 0; i < inventory_count(inv); i++) {
        const struct inv_device *d = inventory_device(inv, i);
        sqlite3_int64 id;

        if (!d->dirty) {
            continue;
        }
        id = save_device_row(ss->device, inv, d);
        if (id < 0 || save_details(ss, id, d) < 0) {
            return -1;
        }
        n++;
    }
    (void)s;
    return n;
}

int store_save_devices(struct ww_store *s, const struct inventory *inv, char *err)
{
    sqlite3 *db = store_db(s);
    struct save_stmts ss = {0};
    int n;

    if (sqlite3_prepare_v2(db, sql_device, -1, &ss.device, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql_addr, -1, &ss.addr, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql_evidence, -1, &ss.evidence, NULL) != SQLITE_OK) {
        snprintf(err, STORE_ERROR_LEN, "preparing the device statements: %s",
                 sqlite3_errmsg(db));
        finalize_all(&ss);
        return -1;
    }
    if (store_begin(s, err) < 0) {
        finalize_all(&ss);
        return -1;
    }
    n = save_all(s, &ss, inv);
    if (n < 0) {
        snprintf(err, STORE_ERROR_LEN, "saving devices: %s", sqlite3_errmsg(db));
        finalize_all(&ss);
        store_rollback(s);
        return -1;
    }
    finalize_all(&ss);
    return store_commit(s, err) < 0 ? -1 : n;
}

/* ---- reading back ---- */

static json_t *column_json(sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(st, col));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(st, col));
    case SQLITE_TEXT:
        return json_string((const char *)sqlite3_column_text(st, col));
    default:
        return json_null();
    }
}

/* Rows of a query with one bound id as JSON objects keyed by column name. */
static json_t *query_rows(sqlite3 *db, const char *sql, sqlite3_int64 id)
{
    sqlite3_stmt *st;
    json_t *rows = json_array();

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        json_decref(rows);
        return NULL;
    }
    if (id >= 0) {
        sqlite3_bind_int64(st, 1, id);
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *o = json_object();

        for (int c = 0; c < sqlite3_column_count(st); c++) {
            json_object_set_new(o, sqlite3_column_name(st, c), column_json(st, c));
        }
        json_array_append_new(rows, o);
    }
    sqlite3_finalize(st);
    return rows;
}

static void add_details(sqlite3 *db, json_t *dev, int with_evidence)
{
    sqlite3_int64 id = json_integer_value(json_object_get(dev, "id"));
    json_t *decided = json_loads(json_string_value(json_object_get(dev, "decided_by")), 0, NULL);
    json_t *addrs = query_rows(db,
                               "SELECT address, first_seen, last_seen FROM device_addresses"
                               " WHERE device_id = ?1 ORDER BY first_seen",
                               id);

    json_object_set_new(dev, "decided_by", decided != NULL ? decided : json_array());
    json_object_set_new(dev, "addresses", addrs != NULL ? addrs : json_array());
    if (with_evidence) {
        json_t *ev = query_rows(db,
                                "SELECT kind, value, first_seen, last_seen, count"
                                " FROM device_evidence WHERE device_id = ?1 ORDER BY kind, value",
                                id);

        json_object_set_new(dev, "evidence", ev != NULL ? ev : json_array());
    }
}

json_t *store_load_devices(struct ww_store *s, int with_evidence, char *err)
{
    sqlite3 *db = store_db(s);
    json_t *devs = query_rows(db,
                              "SELECT id, mac, ip, first_seen, last_seen, class, category,"
                              " criticality, confidence, vendor, vendor_source, model, software,"
                              " gateway, flows, bytes_sent, bytes_recv, decided_by FROM devices"
                              " ORDER BY CASE criticality WHEN 'life-sustaining' THEN 0"
                              " WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, id",
                              -1);
    size_t i;
    json_t *dev;

    if (devs == NULL) {
        snprintf(err, STORE_ERROR_LEN, "reading devices: %s", sqlite3_errmsg(db));
        return NULL;
    }
    json_array_foreach(devs, i, dev) {
        add_details(db, dev, with_evidence);
    }
    return devs;
}
