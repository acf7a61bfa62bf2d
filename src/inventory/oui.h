/* SPDX-License-Identifier: MIT */
/* oui: the organisation a MAC address was assigned to, from Debian's ieee-data. */
#ifndef WW_INVENTORY_OUI_H
#define WW_INVENTORY_OUI_H

#include <stddef.h>
#include <stdint.h>

#define OUI_DIR_DEFAULT "/usr/share/ieee-data"
#define OUI_ERROR_LEN 512

struct oui_table;

/*
 * Loads the IEEE registries in dir (oui.csv for MA-L, mam.csv for MA-M,
 * oui36.csv and iab.csv for MA-S and IAB; the layout "Registry,Assignment,
 * Organization Name,Organization Address"). A missing file is skipped; no
 * file at all, or a malformed line, is an error naming the file and line.
 * Returns NULL with a message in err (OUI_ERROR_LEN bytes).
 */
struct oui_table *oui_load(const char *dir, char *err);
void oui_free(struct oui_table *t);

/*
 * The organisation of mac, longest assignment first (36, 28, then 24
 * bits), or NULL for an unassigned or locally administered address.
 */
const char *oui_lookup(const struct oui_table *t, const uint8_t mac[6]);

/* Assignments loaded. */
size_t oui_count(const struct oui_table *t);

#endif
