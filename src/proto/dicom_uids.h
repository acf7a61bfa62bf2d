/* SPDX-License-Identifier: MIT */
/*
 * dicom_uids: names of well-known DICOM UIDs (DICOM PS3.6 annex A, table
 * SOP classes, transfer syntaxes and the application context name.
 */
#ifndef WW_PROTO_DICOM_UIDS_H
#define WW_PROTO_DICOM_UIDS_H

#include <stddef.h>
#include <stdint.h>

#define DICOM_UID_NONE 0 /* dicom_uid_find: not in the table */

/*
 * The table entry of the UID of len bytes at uid (not NUL-terminated),
 * counting from 1, or DICOM_UID_NONE. Entries never change while running.
 */
uint16_t dicom_uid_find(const uint8_t *uid, size_t len);

/* The name of entry idx (from dicom_uid_find), or NULL for DICOM_UID_NONE. */
const char *dicom_uid_name(uint16_t idx);

/* The UID string of entry idx, or NULL for DICOM_UID_NONE. */
const char *dicom_uid_string(uint16_t idx);

/* Entries in the table; valid idx run from 1 to this. */
size_t dicom_uid_count(void);

#endif
