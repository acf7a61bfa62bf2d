/* SPDX-License-Identifier: MIT */
/* store/findings: saves the findings and the user's vulnerability files (findings.h). */
#include "store/findings.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/devices.h"

static const char *const sql_finding =
    "INSERT INTO findings (device_id, kind, detail, severity, title, evidence, fix, peer_id,"
    " first_seen, last_seen, count, cvss, exploited, confidence)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
    " ON CONFLICT (device_id, kind, detail) DO UPDATE SET severity = excluded.severity,"
    " title = excluded.title, evidence = excluded.evidence, fix = excluded.fix,"
    " peer_id = excluded.peer_id, first_seen = min(first_seen, excluded.first_seen),"
    " last_seen = max(last_seen, excluded.last_seen), count = count + excluded.count,"
    " cvss = excluded.cvss, exploited = excluded.exploited, confidence = excluded.confidence";

/* A vulnerability's score, exploitation and match confidence (?12 to ?14); NULL otherwise. */
static void bind_vuln(sqlite3_stmt *st, bool vuln, double cvss, bool exploited,
                      enum vuln_confidence confidence)
{
    if (!vuln) {
        sqlite3_bind_null(st, 12);
        sqlite3_bind_null(st, 13);
        sqlite3_bind_null(st, 14);
        return;
    }
    sqlite3_bind_double(st, 12, cvss);
    sqlite3_bind_int(st, 13, exploited);
    sqlite3_bind_text(st, 14, vuln_confidence_name(confidence), -1, SQLITE_STATIC);
}

/* One finding's row. Returns 1 written, 0 skipped (its device is not stored), -1 failed. */
static int save_one(sqlite3_stmt *ids, sqlite3_stmt *st, const struct inventory *inv,
                    const struct finding *f)
{
    sqlite3_int64 device = store_device_id(ids, inv, f->device);
    sqlite3_int64 peer = f->peer != 0 ? store_device_id(ids, inv, f->peer) : 0;

    if (device == 0) {
        return 0;
    }
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, device);
    sqlite3_bind_text(st, 2, finding_kind_name(f->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, f->detail, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, finding_severity_name(f->severity), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, finding_title(f->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, f->evidence, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, finding_fix(f->kind), -1, SQLITE_STATIC);
    if (peer != 0) {
        sqlite3_bind_int64(st, 8, peer);
    } else {
        sqlite3_bind_null(st, 8);
    }
    store_bind_time(st, 9, f->first_us);
    store_bind_time(st, 10, f->last_us);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)f->count);
    bind_vuln(st, f->kind == FIND_VULNERABILITY, f->cvss, f->exploited, f->confidence);
    return sqlite3_step(st) == SQLITE_DONE ? 1 : -1;
}

int store_save_findings(struct ww_store *s, const struct assess *a, const struct inventory *inv,
                        char *err)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *ids = NULL, *st = NULL;
    int n = 0, rc = 0;

    if (sqlite3_prepare_v2(db, STORE_SQL_DEVICE_ID, -1, &ids, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql_finding, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, STORE_ERROR_LEN, "preparing the finding statements: %s",
                 sqlite3_errmsg(db));
        sqlite3_finalize(ids);
        sqlite3_finalize(st);
        return -1;
    }
    if (store_begin(s, err) == 0) {
        for (size_t i = 0; i < assess_count(a) && rc >= 0; i++) {
            rc = save_one(ids, st, inv, assess_finding(a, i));
            n += rc > 0;
        }
        if (rc < 0) {
            snprintf(err, STORE_ERROR_LEN, "saving findings: %s", sqlite3_errmsg(db));
            store_rollback(s);
        }
    } else {
        rc = -1;
    }
    sqlite3_finalize(ids);
    sqlite3_finalize(st);
    if (rc < 0) {
        return -1;
    }
    return store_commit(s, err) < 0 ? -1 : n;
}

int store_put_finding(struct ww_store *s, const struct store_finding *f, bool *was_new,
                      char *err)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *seen = NULL, *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(db, "SELECT 1 FROM findings WHERE device_id = ?1 AND kind = ?2"
                               " AND detail = ?3", -1, &seen, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, sql_finding, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, STORE_ERROR_LEN, "preparing a finding: %s", sqlite3_errmsg(db));
        goto out;
    }
    sqlite3_bind_int64(seen, 1, f->device_id);
    sqlite3_bind_text(seen, 2, f->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(seen, 3, f->detail, -1, SQLITE_STATIC);
    *was_new = sqlite3_step(seen) != SQLITE_ROW;
    sqlite3_bind_int64(st, 1, f->device_id);
    sqlite3_bind_text(st, 2, f->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, f->detail, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, f->severity, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, f->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, f->evidence, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, f->fix, -1, SQLITE_STATIC);
    sqlite3_bind_null(st, 8);
    store_bind_time(st, 9, f->first_us);
    store_bind_time(st, 10, f->last_us);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)f->count);
    bind_vuln(st, f->vuln != NULL, f->vuln != NULL ? f->vuln->cvss : 0,
              f->vuln != NULL && f->vuln->kev, f->confidence);
    if (sqlite3_step(st) != SQLITE_DONE) {
        snprintf(err, STORE_ERROR_LEN, "saving a finding: %s", sqlite3_errmsg(db));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(seen);
    sqlite3_finalize(st);
    return rc;
}

int store_add_vuln_import(struct ww_store *s, const char *source, const char *content,
                          char *err)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(db, "INSERT INTO vuln_imports (source, imported, content)"
                               " VALUES (?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, STORE_ERROR_LEN, "storing an import: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
    store_bind_time(st, 2, (uint64_t)time(NULL) * 1000000u);
    sqlite3_bind_text(st, 3, content, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    if (rc < 0) {
        snprintf(err, STORE_ERROR_LEN, "storing an import: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return rc;
}

int store_apply_vuln_imports(struct ww_store *s, struct vuln_catalog *c, char *err)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st;
    char why[VULN_ERROR_LEN];
    int n = 0, rc;

    if (sqlite3_prepare_v2(db, "SELECT source, content FROM vuln_imports ORDER BY id", -1, &st,
                           NULL) != SQLITE_OK) {
        snprintf(err, STORE_ERROR_LEN, "reading imports: %s", sqlite3_errmsg(db));
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *source = (const char *)sqlite3_column_text(st, 0);
        const char *content = (const char *)sqlite3_column_text(st, 1);

        if (vuln_import_text(c, content != NULL ? content : "", source, why) < 0) {
            snprintf(err, STORE_ERROR_LEN, "an earlier import no longer reads: %.400s", why);
            sqlite3_finalize(st);
            return -1;
        }
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, STORE_ERROR_LEN, "reading imports: %s", sqlite3_errmsg(db));
        return -1;
    }
    return n;
}
