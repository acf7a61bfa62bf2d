/* SPDX-License-Identifier: MIT */
/* store/devices: the device inventory in the database. */
#ifndef WW_STORE_DEVICES_H
#define WW_STORE_DEVICES_H

#include <jansson.h>

#include "inventory/inventory.h"
#include "store/store.h"

/*
 * Writes every device of inv marked dirty, with its addresses and
 * evidence, in one transaction. A device already stored (same MAC, or
 * same address for a device known only by address) is merged: first and
 * last seen widen, counts add up, identity is replaced by this run's.
 * Returns the number of devices written, or -1 with a message in err.
 */
int store_save_devices(struct ww_store *s, const struct inventory *inv, char *err);

#define STORE_DEVICE_KEY_LEN 64

/* The key a device is stored under: "mac:..." or, known only by address, "ip:...". */
void store_device_key(const struct inv_device *d, char *out, size_t len);

/* The statement store_device_id takes: prepare it once for many lookups. */
#define STORE_SQL_DEVICE_ID "SELECT id FROM devices WHERE key = ?1"

/* The stored id of inventory device id (by its key), or 0 when it is not stored. */
sqlite3_int64 store_device_id(sqlite3_stmt *ids, const struct inventory *inv, uint32_t id);

/*
 * Every stored device as a JSON array of objects (id, mac, ip, addresses,
 * first_seen, last_seen, class, category, criticality, confidence, vendor,
 * model, software, decided_by, and evidence when with_evidence), ordered by
 * criticality then id. Returns NULL with a message in err.
 */
json_t *store_load_devices(struct ww_store *s, int with_evidence, char *err);

#endif
