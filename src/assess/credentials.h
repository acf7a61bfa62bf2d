/* SPDX-License-Identifier: MIT */
/*
 * credentials: published default credentials of devices (data/
 * default-credentials.conf), matched by a salted hash. The catalog's
 * passwords are public (vendor manuals, advisories); a password seen on
 * the network is hashed with the same salt, compared, and forgotten.
 */
#ifndef WW_ASSESS_CREDENTIALS_H
#define WW_ASSESS_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRED_FIELD_MAX 96  /* bytes of a vendor, product, user or source field */
#define CRED_ERROR_LEN 512

struct cred_entry {
    char vendor[CRED_FIELD_MAX];
    char product[CRED_FIELD_MAX];
    char services[CRED_FIELD_MAX]; /* "telnet,ftp", or "any" */
    char user[CRED_FIELD_MAX];
    char source[CRED_FIELD_MAX * 2];
    unsigned line;
    uint8_t hash[32]; /* of the salt, user and password; the password is not kept */
};

struct cred_catalog;

/*
 * Reads a catalog: one entry per line, "vendor | product | services | user
 * | password | source", '#' comments and blank lines ignored. A line that
 * cannot be read fails the whole file, with "FILE:LINE: why" in err
 * (CRED_ERROR_LEN bytes). The salt is random, made once per catalog.
 */
struct cred_catalog *cred_load(const char *path, char *err);
void cred_free(struct cred_catalog *c);

size_t cred_count(const struct cred_catalog *c);

/*
 * The first entry (from index *from on) whose user and password are these
 * and whose services include service; NULL when none. The secret is hashed
 * on the stack and the copy wiped.
 */
const struct cred_entry *cred_match(const struct cred_catalog *c, const char *service,
                                    const uint8_t *user, size_t user_len,
                                    const uint8_t *secret, size_t secret_len, size_t *from);

/* Whether an entry's vendor names a device's maker: its words are the maker's, any case. */
bool cred_vendor_matches(const struct cred_entry *e, const char *vendor);

#endif
