/* SPDX-License-Identifier: MIT */
/* store: wardwatch's SQLite database, with a schema version and migrations. */
#ifndef WW_STORE_STORE_H
#define WW_STORE_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_ERROR_LEN 512

struct ww_store;

/*
 * Opens (creating if need be) the database at path in WAL mode, with
 * foreign keys on and a busy timeout, and brings its schema up to the
 * version this build knows, one migration at a time, each in a
 * transaction. A database from a newer wardwatch is refused. Returns 0 and
 * sets *out, or -1 with a message for the user in err (STORE_ERROR_LEN
 * bytes). Close with store_close.
 */
int store_open(const char *path, struct ww_store **out, char *err);
/* The same for a database that must exist already: a missing file is an error. */
int store_open_existing(const char *path, struct ww_store **out, char *err);
void store_close(struct ww_store *s);

/* The connection, for modules' own prepared statements. */
sqlite3 *store_db(struct ww_store *s);

/* The schema version in the file (PRAGMA user_version). */
int store_schema_version(struct ww_store *s);
/* The newest schema version this build knows. */
int store_schema_latest(void);

/* Binds a capture time (microseconds) as ISO 8601 text, as events write it. */
void store_bind_time(sqlite3_stmt *st, int col, uint64_t ts_us);

/* Transactions, for batching writes. Each returns 0 or -1 (message in err). */
int store_begin(struct ww_store *s, char *err);
int store_commit(struct ww_store *s, char *err);
void store_rollback(struct ww_store *s);

/*
 * Schema, version 1:
 *
 *   keystroke_profiles(user TEXT PRIMARY KEY, model TEXT NOT NULL,
 *                      n_samples INTEGER NOT NULL, updated TEXT NOT NULL)
 *     model: JSON of timing statistics per key pair (never typed text)
 *   keystroke_sessions(session TEXT PRIMARY KEY, user TEXT NOT NULL,
 *                      trust REAL NOT NULL, n_keys INTEGER NOT NULL,
 *                      alerted INTEGER NOT NULL, updated TEXT NOT NULL)
 *
 * Version 2 adds the device inventory (src/store/devices.c):
 *
 *   devices(id, key UNIQUE ("mac:..." or "ip:..."), mac, ip, first_seen,
 *           last_seen, class, category, criticality, confidence, vendor,
 *           vendor_source, model, software, gateway, flows, bytes_sent,
 *           bytes_recv, decided_by: JSON of the evidence that decided the class)
 *   device_addresses(device_id, address, first_seen, last_seen)
 *   device_evidence(device_id, kind, value, first_seen, last_seen, count)
 *
 * Version 3 adds the findings (src/store/findings.c):
 *
 *   findings(id, device_id, kind, detail, severity, title, evidence, fix,
 *            peer_id, first_seen, last_seen, count), one row per device,
 *            kind and detail
 *
 * Version 4 adds the user's vulnerability files (src/store/findings.c):
 *
 *   vuln_imports(id, source, imported, content: the file's text, CISA KEV
 *                JSON or CVE JSON 5), merged into the catalog in order
 *
 * Version 5 adds what risk is computed from (src/store/risk.c):
 *
 *   findings gains cvss, exploited (in CISA KEV) and confidence, for
 *            vulnerabilities
 *   device_links(client_id, server_id, service ("tcp/23"), flows, first_seen,
 *                last_seen): a device opened flows the other answered
 *   device_alerts(device_id, alerts, departures, severity, last_seen, reason)
 *
 * Times are ISO 8601 text with microseconds and offset, as in events.
 */

#endif
