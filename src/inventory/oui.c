/* SPDX-License-Identifier: MIT */
/*
 * oui: MAC address prefixes to organisation names. The IEEE Registration
 * Authority publishes its assignments as CSV (Debian package ieee-data):
 *
 *   Registry,Assignment,Organization Name,Organization Address
 *   MA-L,5846E1,Baxter International Inc,One Baxter Parkway ...
 *
 * Assignment is 6 hex digits (MA-L, 24 bits), 7 (MA-M, 28 bits) or 9
 * (MA-S and IAB, 36 bits). Each length is kept in its own sorted array and
 * searched by binary search, longest first.
 */
#include "inventory/oui.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUI_LINE_MAX 1024
#define OUI_NAME_MAX 120
#define OUI_N_LENGTHS 3

struct oui_entry {
    uint64_t prefix;
    uint32_t name_off; /* into names */
};

struct oui_list {
    struct oui_entry *v;
    size_t n, cap;
};

struct oui_table {
    struct oui_list lists[OUI_N_LENGTHS]; /* 36, 28 and 24 bits */
    char *names;
    size_t names_len, names_cap;
};

static const unsigned oui_bits[OUI_N_LENGTHS] = {36, 28, 24};

/* Which list holds an assignment of n_hex digits, or -1. */
static int oui_list_of(size_t n_hex)
{
    switch (n_hex) {
    case 9:
        return 0;
    case 7:
        return 1;
    case 6:
        return 2;
    default:
        return -1;
    }
}

/*
 * Copies CSV field number `want` (0-based) of line into out, unquoting
 * "..." and "" as CSV does. Returns its length, or -1 when absent.
 */
static int csv_field(const char *line, int want, char *out, size_t out_len)
{
    int field = 0;
    size_t n = 0;
    bool quoted = false;

    for (const char *c = line; *c != '\0' && *c != '\n' && *c != '\r'; c++) {
        if (*c == '"') {
            if (quoted && c[1] == '"') {
                c++;
            } else {
                quoted = !quoted;
                continue;
            }
        } else if (*c == ',' && !quoted) {
            if (field == want) {
                break;
            }
            field++;
            continue;
        }
        if (field == want && n + 1 < out_len) {
            out[n++] = *c;
        }
    }
    if (field < want) {
        return -1;
    }
    while (n > 0 && out[n - 1] == ' ') {
        n--;
    }
    out[n] = '\0';
    return (int)n;
}

static int parse_hex(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned d;

        if (c >= '0' && c <= '9') {
            d = (unsigned)(c - '0');
        } else if (c >= 'A' && c <= 'F') {
            d = (unsigned)(c - 'A' + 10);
        } else if (c >= 'a' && c <= 'f') {
            d = (unsigned)(c - 'a' + 10);
        } else {
            return -1;
        }
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
    size_t ncap = *cap ? *cap : 1024;
    void *nv;

    if (need <= *cap) {
        return 0;
    }
    while (ncap < need) {
        ncap *= 2;
    }
    nv = realloc(*v, ncap * elem);
    if (nv == NULL) {
        return -1;
    }
    *v = nv;
    *cap = ncap;
    return 0;
}

static int oui_add(struct oui_table *t, int li, uint64_t prefix, const char *name)
{
    struct oui_list *l = &t->lists[li];
    size_t len = strlen(name) + 1;

    if (grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v)) < 0 ||
        grow((void **)&t->names, &t->names_cap, t->names_len + len, 1) < 0) {
        return -1;
    }
    memcpy(t->names + t->names_len, name, len);
    l->v[l->n++] = (struct oui_entry){prefix, (uint32_t)t->names_len};
    t->names_len += len;
    return 0;
}

/* One data line. Returns 0, or -1 with the reason in err. */
static int oui_line(struct oui_table *t, const char *line, char *why, size_t why_len)
{
    char assign[16], name[OUI_NAME_MAX];
    int n_hex = csv_field(line, 1, assign, sizeof(assign));
    int li = n_hex < 0 ? -1 : oui_list_of((size_t)n_hex);
    uint64_t prefix;

    if (li < 0 || parse_hex(assign, (size_t)n_hex, &prefix) < 0) {
        snprintf(why, why_len, "the assignment is not 6, 7 or 9 hex digits");
        return -1;
    }
    if (csv_field(line, 2, name, sizeof(name)) <= 0) {
        snprintf(why, why_len, "no organisation name");
        return -1;
    }
    if (oui_add(t, li, prefix, name) < 0) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    return 0;
}

static bool quotes_odd(const char *line)
{
    bool odd = false;

    for (const char *c = line; *c != '\0'; c++) {
        odd ^= *c == '"';
    }
    return odd;
}

/* Loads one file. Returns 1 when loaded, 0 when absent, -1 on error. */
static int oui_load_file(struct oui_table *t, const char *dir, const char *base, char *err)
{
    char path[512], line[OUI_LINE_MAX], why[96];
    FILE *f;
    long lineno = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, base);
    f = fopen(path, "r");
    if (f == NULL) {
        return errno == ENOENT ? 0 : -1;
    }
    bool in_quote = false; /* a quoted field runs on over the next line */

    while (fgets(line, sizeof(line), f) != NULL) {
        bool continued = in_quote;

        lineno++;
        in_quote ^= quotes_odd(line);
        if (continued || lineno == 1 || line[0] == '\n' || line[0] == '\r') {
            continue; /* the rest of an address, or the header */
        }
        if (oui_line(t, line, why, sizeof(why)) < 0) {
            snprintf(err, OUI_ERROR_LEN, "%.160s line %ld: %s", path, lineno, why);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 1;
}

static int oui_cmp(const void *a, const void *b)
{
    const struct oui_entry *x = a, *y = b;

    return x->prefix < y->prefix ? -1 : x->prefix > y->prefix;
}

struct oui_table *oui_load(const char *dir, char *err)
{
    static const char *const files[] = {"oui.csv", "mam.csv", "oui36.csv", "iab.csv"};
    struct oui_table *t = calloc(1, sizeof(*t));
    int loaded = 0;

    if (t == NULL) {
        snprintf(err, OUI_ERROR_LEN, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        int rc = oui_load_file(t, dir, files[i], err);

        if (rc < 0) {
            oui_free(t);
            return NULL;
        }
        loaded += rc;
    }
    if (loaded == 0) {
        snprintf(err, OUI_ERROR_LEN, "%s: no IEEE registry files (oui.csv); "
                                     "install Debian's ieee-data", dir);
        oui_free(t);
        return NULL;
    }
    for (int li = 0; li < OUI_N_LENGTHS; li++) {
        if (t->lists[li].n > 0) {
            qsort(t->lists[li].v, t->lists[li].n, sizeof(struct oui_entry), oui_cmp);
        }
    }
    return t;
}

void oui_free(struct oui_table *t)
{
    if (t == NULL) {
        return;
    }
    for (int li = 0; li < OUI_N_LENGTHS; li++) {
        free(t->lists[li].v);
    }
    free(t->names);
    free(t);
}

const char *oui_lookup(const struct oui_table *t, const uint8_t mac[6])
{
    uint64_t m = 0;

    if (t == NULL || (mac[0] & 0x03) != 0) {
        return NULL; /* group or locally administered: not assigned by the IEEE */
    }
    for (int i = 0; i < 6; i++) {
        m = m << 8 | mac[i];
    }
    for (int li = 0; li < OUI_N_LENGTHS; li++) {
        struct oui_entry key = {m >> (48 - oui_bits[li]), 0};
        const struct oui_list *l = &t->lists[li];
        const struct oui_entry *hit;

        hit = l->n > 0 ? bsearch(&key, l->v, l->n, sizeof(key), oui_cmp) : NULL;
        if (hit != NULL) {
            return t->names + hit->name_off;
        }
    }
    return NULL;
}

size_t oui_count(const struct oui_table *t)
{
    size_t n = 0;

    for (int li = 0; li < OUI_N_LENGTHS; li++) {
        n += t->lists[li].n;
    }
    return n;
}
