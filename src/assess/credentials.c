/* SPDX-License-Identifier: MIT */
/* credentials: published default credentials, matched by a salted hash (credentials.h). */
#include "assess/credentials.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "util/fields.h"
#include "util/grow.h"
#include "util/sha256.h"
#include "util/wipe.h"

#define CRED_LINE_MAX 1024
#define CRED_SALT_LEN 16
#define CRED_FIELDS 6

struct cred_catalog {
    struct cred_entry *list;
    size_t n, cap;
    uint8_t salt[CRED_SALT_LEN];
};

static void cred_hash(const struct cred_catalog *c, const uint8_t *user, size_t user_len,
                      const uint8_t *secret, size_t secret_len, uint8_t out[32])
{
    struct sha256_ctx h;
    uint8_t len[2] = {(uint8_t)(user_len >> 8), (uint8_t)user_len};

    sha256_init(&h);
    sha256_update(&h, c->salt, sizeof(c->salt));
    sha256_update(&h, len, sizeof(len));
    sha256_update(&h, user, user_len);
    sha256_update(&h, secret, secret_len);
    sha256_final(&h, out);
    wipe_secret(&h, sizeof(h));
}

static int copy_field(char *dst, size_t cap, const char *src, const char *what, char *why,
                      size_t why_len)
{
    size_t n = strlen(src);

    if (n >= cap) {
        snprintf(why, why_len, "%s longer than %zu bytes", what, cap - 1);
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

/* One line's entry (a fields_line_fn); returns 0, or -1 with the reason in why. */
static int parse_line(void *arg, char *line, unsigned no, char *why, size_t len)
{
    struct cred_catalog *c = arg;
    char *f[CRED_FIELDS];
    struct cred_entry e = {.line = no};
    int n = fields_split(line, "|", f, CRED_FIELDS);
    struct cred_entry *all;

    if (n != CRED_FIELDS) {
        snprintf(why, len, "%d fields, want %d: vendor | product | services | user | "
                           "password | source", n, CRED_FIELDS);
        return -1;
    }
    if (f[0][0] == '\0' || f[2][0] == '\0' || f[5][0] == '\0') {
        snprintf(why, len, "the vendor, services and source may not be empty");
        return -1;
    }
    if (copy_field(e.vendor, sizeof(e.vendor), f[0], "vendor", why, len) < 0 ||
        copy_field(e.product, sizeof(e.product), f[1], "product", why, len) < 0 ||
        copy_field(e.services, sizeof(e.services), f[2], "services", why, len) < 0 ||
        copy_field(e.user, sizeof(e.user), f[3], "user", why, len) < 0 ||
        copy_field(e.source, sizeof(e.source), f[5], "source", why, len) < 0) {
        return -1;
    }
    if (strcmp(f[4], "(none)") == 0) {
        f[4][0] = '\0'; /* an empty password, written so to be seen */
    }
    cred_hash(c, (const uint8_t *)e.user, strlen(e.user), (const uint8_t *)f[4], strlen(f[4]),
              e.hash);
    all = grow_to_index(c->list, &c->cap, sizeof(*c->list), c->n);
    if (all == NULL) {
        snprintf(why, len, "out of memory");
        return -1;
    }
    c->list = all;
    c->list[c->n++] = e;
    return 0;
}

struct cred_catalog *cred_load(const char *path, char *err)
{
    struct cred_catalog *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        snprintf(err, CRED_ERROR_LEN, "out of memory");
        return NULL;
    }
    if (getrandom(c->salt, sizeof(c->salt), 0) != (ssize_t)sizeof(c->salt)) {
        snprintf(err, CRED_ERROR_LEN, "no random salt: %s", strerror(errno));
        cred_free(c);
        return NULL;
    }
    if (fields_read_file(path, CRED_LINE_MAX, parse_line, c, err, CRED_ERROR_LEN) < 0) {
        cred_free(c);
        return NULL;
    }
    return c;
}

void cred_free(struct cred_catalog *c)
{
    if (c != NULL) {
        free(c->list);
        free(c);
    }
}

size_t cred_count(const struct cred_catalog *c)
{
    return c->n;
}

/* Whether the comma-separated list names word (or is "any"). */
static bool list_has(const char *list, const char *word)
{
    size_t n = strlen(word);

    if (strcmp(list, "any") == 0) {
        return true;
    }
    for (const char *p = list; *p != '\0';) {
        size_t len = strcspn(p, ",");

        while (*p == ' ' && len > 0) {
            p++;
            len--;
        }
        if (len == n && strncmp(p, word, n) == 0) {
            return true;
        }
        p += len + (p[len] == ',');
    }
    return false;
}

const struct cred_entry *cred_match(const struct cred_catalog *c, const char *service,
                                    const uint8_t *user, size_t user_len,
                                    const uint8_t *secret, size_t secret_len, size_t *from)
{
    uint8_t h[32];
    const struct cred_entry *found = NULL;

    cred_hash(c, user, user_len, secret, secret_len, h);
    for (size_t i = *from; i < c->n && found == NULL; i++) {
        if (memcmp(c->list[i].hash, h, sizeof(h)) == 0 && list_has(c->list[i].services, service)) {
            found = &c->list[i];
            *from = i + 1;
        }
    }
    if (found == NULL) {
        *from = c->n;
    }
    wipe_secret(h, sizeof(h));
    return found;
}

bool cred_vendor_matches(const struct cred_entry *e, const char *vendor)
{
    return fields_words_within(e->vendor, vendor);
}
