/* SPDX-License-Identifier: MIT */
/*
 * store: the SQLite database (WAL mode). The schema version lives in
 * PRAGMA user_version; each migration takes the schema one version up in
 * a transaction of its own, so a crash leaves a valid older version.
 */
#include "store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/json.h"

#define STORE_BUSY_TIMEOUT_MS 5000

struct ww_store {
    sqlite3 *db;
    char *path; /* for messages */
};

/* Migration k takes the schema from version k to k + 1. */
static const char *const migrations[] = {
    /* 0 -> 1: continuous authentication by typing */
    "CREATE TABLE keystroke_profiles ("
    "  user TEXT PRIMARY KEY,"
    "  model TEXT NOT NULL,"
    "  n_samples INTEGER NOT NULL,"
    "  updated TEXT NOT NULL);"
    "CREATE TABLE keystroke_sessions ("
    "  session TEXT PRIMARY KEY,"
    "  user TEXT NOT NULL,"
    "  trust REAL NOT NULL,"
    "  n_keys INTEGER NOT NULL,"
    "  alerted INTEGER NOT NULL,"
    "  updated TEXT NOT NULL);",
    /* 1 -> 2: the device inventory */
    "CREATE TABLE devices ("
    "  id INTEGER PRIMARY KEY,"
    "  key TEXT NOT NULL UNIQUE,"
    "  mac TEXT,"
    "  ip TEXT,"
    "  first_seen TEXT NOT NULL,"
    "  last_seen TEXT NOT NULL,"
    "  class TEXT NOT NULL,"
    "  category TEXT,"
    "  criticality TEXT NOT NULL,"
    "  confidence REAL NOT NULL,"
    "  vendor TEXT,"
    "  vendor_source TEXT,"
    "  model TEXT,"
    "  software TEXT,"
    "  gateway INTEGER NOT NULL,"
    "  flows INTEGER NOT NULL,"
    "  bytes_sent INTEGER NOT NULL,"
    "  bytes_recv INTEGER NOT NULL,"
    "  decided_by TEXT NOT NULL);"
    "CREATE TABLE device_addresses ("
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    "  address TEXT NOT NULL,"
    "  first_seen TEXT NOT NULL,"
    "  last_seen TEXT NOT NULL,"
    "  PRIMARY KEY (device_id, address));"
    "CREATE TABLE device_evidence ("
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  first_seen TEXT NOT NULL,"
    "  last_seen TEXT NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  PRIMARY KEY (device_id, kind, value));",
    /* 2 -> 3: findings (src/assess) */
    "CREATE TABLE findings ("
    "  id INTEGER PRIMARY KEY,"
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL,"
    "  detail TEXT NOT NULL,"
    "  severity TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  evidence TEXT NOT NULL,"
    "  fix TEXT NOT NULL,"
    "  peer_id INTEGER REFERENCES devices(id) ON DELETE SET NULL,"
    "  first_seen TEXT NOT NULL,"
    "  last_seen TEXT NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  UNIQUE (device_id, kind, detail));",
    /* 3 -> 4: the user's vulnerability files, merged into the catalog at each start */
    "CREATE TABLE vuln_imports ("
    "  id INTEGER PRIMARY KEY,"
    "  source TEXT NOT NULL,"
    "  imported TEXT NOT NULL,"
    "  content TEXT NOT NULL);",
    /* 4 -> 5: what the risk score and the attack paths are computed from */
    "ALTER TABLE findings ADD COLUMN cvss REAL;"
    "ALTER TABLE findings ADD COLUMN exploited INTEGER;"
    "ALTER TABLE findings ADD COLUMN confidence TEXT;"
    "CREATE TABLE device_links ("
    "  client_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    "  server_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    "  service TEXT NOT NULL,"
    "  flows INTEGER NOT NULL,"
    "  first_seen TEXT NOT NULL,"
    "  last_seen TEXT NOT NULL,"
    "  PRIMARY KEY (client_id, server_id, service));"
    "CREATE TABLE device_alerts ("
    "  device_id INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,"
    "  alerts INTEGER NOT NULL,"
    "  departures INTEGER NOT NULL,"
    "  severity INTEGER NOT NULL,"
    "  last_seen TEXT NOT NULL,"
    "  reason TEXT NOT NULL);",
};

#define STORE_SCHEMA_LATEST ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_schema_latest(void)
{
    return STORE_SCHEMA_LATEST;
}

sqlite3 *store_db(struct ww_store *s)
{
    return s->db;
}

/* Runs SQL that returns no rows; on failure says what failed in err. */
static int exec(struct ww_store *s, const char *sql, const char *what, char *err)
{
    char *msg = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK) {
        return 0;
    }
    snprintf(err, STORE_ERROR_LEN, "%s: %s: %s", s->path, what,
             msg != NULL ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return -1;
}

int store_schema_version(struct ww_store *s)
{
    sqlite3_stmt *st;
    int v = -1;

    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

int store_begin(struct ww_store *s, char *err)
{
    return exec(s, "BEGIN IMMEDIATE", "starting a transaction", err);
}

int store_commit(struct ww_store *s, char *err)
{
    return exec(s, "COMMIT", "committing", err);
}

void store_rollback(struct ww_store *s)
{
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int migrate_one(struct ww_store *s, int from, char *err)
{
    char sql[64];

    if (store_begin(s, err) < 0) {
        return -1;
    }
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", from + 1);
    if (exec(s, migrations[from], "migrating the schema", err) < 0 ||
        exec(s, sql, "recording the schema version", err) < 0 || store_commit(s, err) < 0) {
        store_rollback(s);
        return -1;
    }
    return 0;
}

static int migrate(struct ww_store *s, const char *path, char *err)
{
    int v = store_schema_version(s);

    if (v < 0) {
        snprintf(err, STORE_ERROR_LEN, "%s: cannot read the schema version: %s", path,
                 sqlite3_errmsg(s->db));
        return -1;
    }
    if (v > STORE_SCHEMA_LATEST) {
        snprintf(err, STORE_ERROR_LEN,
                 "%s: schema version %d is newer than this wardwatch knows (%d); "
                 "use a newer wardwatch or another database",
                 path, v, STORE_SCHEMA_LATEST);
        return -1;
    }
    for (; v < STORE_SCHEMA_LATEST; v++) {
        if (migrate_one(s, v, err) < 0) {
            return -1;
        }
    }
    return 0;
}

static int configure(struct ww_store *s, char *err)
{
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
    /* WAL: readers (the console) never block the writer; synchronous=NORMAL
     * keeps every committed transaction across a process crash. */
    if (exec(s, "PRAGMA journal_mode = WAL", "setting WAL mode", err) < 0 ||
        exec(s, "PRAGMA synchronous = NORMAL", "setting synchronous", err) < 0 ||
        exec(s, "PRAGMA foreign_keys = ON", "enabling foreign keys", err) < 0) {
        return -1;
    }
    return 0;
}

int store_open(const char *path, struct ww_store **out, char *err)
{
    struct ww_store *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (s == NULL || (s->path = strdup(path)) == NULL) {
        snprintf(err, STORE_ERROR_LEN, "%s: out of memory", path);
        free(s);
        return -1;
    }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err, STORE_ERROR_LEN, "%s: cannot open the database: %s", path,
                 s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
        store_close(s);
        return -1;
    }
    if (configure(s, err) < 0 || migrate(s, path, err) < 0) {
        store_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

int store_open_existing(const char *path, struct ww_store **out, char *err)
{
    if (access(path, F_OK) != 0) {
        *out = NULL;
        snprintf(err, STORE_ERROR_LEN, "%s: %s", path, strerror(errno));
        return -1;
    }
    return store_open(path, out, err);
}

void store_close(struct ww_store *s)
{
    if (s == NULL) {
        return;
    }
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

void store_bind_time(sqlite3_stmt *st, int col, uint64_t ts_us)
{
    char t[JB_TIME_LEN + 1];

    jb_format_time(ts_us, t);
    sqlite3_bind_text(st, col, t, JB_TIME_LEN, SQLITE_TRANSIENT);
}
