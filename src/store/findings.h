/* SPDX-License-Identifier: MIT */
/* store/findings: the assessment's findings in the database. */
#ifndef WW_STORE_FINDINGS_H
#define WW_STORE_FINDINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "assess/assess.h"
#include "assess/vulns.h"
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

/* One finding's row, as the table has it, for findings made from stored devices. */
struct store_finding {
    long long device_id;
    const char *kind, *detail, *severity, *title, *evidence, *fix;
    uint64_t first_us, last_us, count;
    const struct vuln *vuln;              /* a vulnerability's entry, or NULL */
    enum vuln_confidence confidence;      /* and how sure its match is */
};

/*
 * Writes one finding (merged as store_save_findings merges); *was_new says
 * whether the device had no finding of that kind and detail before.
 * Returns 0, or -1 with a message in err.
 */
int store_put_finding(struct ww_store *s, const struct store_finding *f, bool *was_new,
                      char *err);

/* Keeps the text of a vulnerability file the user imported (CISA KEV or CVE JSON 5). */
int store_add_vuln_import(struct ww_store *s, const char *source, const char *content,
                          char *err);

/*
 * Merges every stored import into c, oldest first. Returns how many, or -1
 * with a message in err (a stored file the catalog refuses is named).
 */
int store_apply_vuln_imports(struct ww_store *s, struct vuln_catalog *c, char *err);

#endif
