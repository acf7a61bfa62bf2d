/* SPDX-License-Identifier: MIT */
/* lifecycle: software past its end of support (lifecycle.h). */
#include "assess/lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fields.h"

#define LIFECYCLE_LINE_MAX 1024
#define LIFECYCLE_FIELDS 5

struct lifecycle {
    struct lifecycle_entry **list;
    size_t n, cap;
};

static void entry_free(struct lifecycle_entry *e)
{
    regfree(&e->re);
    free(e);
}

static int set_text(char *dst, size_t cap, const char *src, const char *what, char *why,
                    size_t len)
{
    if (strlen(src) >= cap) {
        snprintf(why, len, "%s longer than %zu bytes", what, cap - 1);
        return -1;
    }
    snprintf(dst, cap, "%s", src);
    return 0;
}

/* One line into a new entry. Returns it, or NULL with why. */
static struct lifecycle_entry *parse_line(char *line, unsigned no, char *why, size_t len)
{
    char *f[LIFECYCLE_FIELDS];
    int n = fields_split(line, " | ", f, LIFECYCLE_FIELDS), rc;
    struct lifecycle_entry *e;

    if (n != LIFECYCLE_FIELDS) {
        snprintf(why, len, "%d fields, want %d: software | match | versions | ended | source", n,
                 LIFECYCLE_FIELDS);
        return NULL;
    }
    if (strcmp(f[2], "advisory") == 0 || !vuln_versions_valid(f[2])) {
        snprintf(why, len, "versions \"%s\": want all, or =V, <V, <=V, >=V, A-B, A-<B, N.x "
                           "separated by commas", f[2]);
        return NULL;
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL) {
        snprintf(why, len, "out of memory");
        return NULL;
    }
    e->line = no;
    if (set_text(e->software, sizeof(e->software), f[0], "software", why, len) < 0 ||
        set_text(e->match, sizeof(e->match), f[1], "match", why, len) < 0 ||
        set_text(e->versions, sizeof(e->versions), f[2], "versions", why, len) < 0 ||
        set_text(e->ended, sizeof(e->ended), f[3], "ended", why, len) < 0 ||
        set_text(e->source, sizeof(e->source), f[4], "source", why, len) < 0) {
        free(e);
        return NULL;
    }
    rc = regcomp(&e->re, e->match, REG_EXTENDED | REG_ICASE);
    if (rc != 0) {
        snprintf(why, len, "match pattern does not compile");
        free(e);
        return NULL;
    }
    return e;
}

static int add(struct lifecycle *l, struct lifecycle_entry *e)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct lifecycle_entry **all = realloc(l->list, cap * sizeof(*all));

        if (all == NULL) {
            entry_free(e);
            return -1;
        }
        l->list = all;
        l->cap = cap;
    }
    l->list[l->n++] = e;
    return 0;
}

/* One line's entry, added to the table (a fields_line_fn). */
static int take_line(void *arg, char *line, unsigned no, char *why, size_t len)
{
    struct lifecycle_entry *e = parse_line(line, no, why, len);

    if (e == NULL) {
        return -1;
    }
    if (add(arg, e) < 0) {
        snprintf(why, len, "out of memory");
        return -1;
    }
    return 0;
}

struct lifecycle *lifecycle_load(const char *path, char *err)
{
    struct lifecycle *l = calloc(1, sizeof(*l));

    if (l == NULL) {
        snprintf(err, LIFECYCLE_ERROR_LEN, "out of memory");
        return NULL;
    }
    if (fields_read_file(path, LIFECYCLE_LINE_MAX, take_line, l, err, LIFECYCLE_ERROR_LEN) < 0) {
        lifecycle_free(l);
        return NULL;
    }
    return l;
}

void lifecycle_free(struct lifecycle *l)
{
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->n; i++) {
        entry_free(l->list[i]);
    }
    free(l->list);
    free(l);
}

/* Every version of an "all" entry; otherwise a version seen and within the entry's. */
static bool out_of_support(const struct lifecycle_entry *e, const char *version)
{
    if (strcmp(e->versions, "all") == 0) {
        return true;
    }
    return version[0] != '\0' && vuln_version_affected(e->versions, version);
}

size_t lifecycle_match(const struct lifecycle *l, const struct vuln_subject *s,
                       struct lifecycle_match *out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < l->n && n < max; i++) {
        for (size_t k = 0; k < s->n; k++) {
            struct lifecycle_match m = {l->list[i], k, ""};

            if (vuln_identity_kind(s->kinds[k]) &&
                vuln_read_version(&l->list[i]->re, s->values[k], m.version, sizeof(m.version)) &&
                out_of_support(l->list[i], m.version)) {
                out[n++] = m;
                break;
            }
        }
    }
    return n;
}
