/* SPDX-License-Identifier: MIT */
/* vulns: the vulnerability catalog, its imports and its matching (vulns.h). */
#include "assess/vulns.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fields.h"

#define VULN_LINE_MAX 2048
#define VULN_FIELDS 10
#define VULN_PARTS 8   /* numbers of a version compared */
#define VULN_GROUPS 10 /* a pattern's groups that spell a version, with the whole match */

struct vuln_catalog {
    struct vuln **list;
    size_t n, cap;
};

/* ---- versions ------------------------------------------------------------ */

/* Dotted numbers into parts; returns how many, 0 when s is not one. */
static int version_parts(const char *s, size_t len, long parts[VULN_PARTS])
{
    int n = 0;
    size_t i = 0;

    while (i < len && n < VULN_PARTS) {
        char *end;

        if (!isdigit((unsigned char)s[i])) {
            return 0;
        }
        parts[n++] = strtol(s + i, &end, 10);
        i = (size_t)(end - s);
        if (i < len && s[i] != '.') {
            return 0;
        }
        i += i < len;
    }
    return i >= len ? n : 0;
}

/* <0, 0, >0 as a is before, the same as, after b (missing parts are 0). */
static int version_cmp(const long a[], int na, const long b[], int nb)
{
    for (int i = 0; i < na || i < nb; i++) {
        long x = i < na ? a[i] : 0, y = i < nb ? b[i] : 0;

        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    return 0;
}

/*
 * One alternative of a versions field: "=V", "<V", "<=V", ">=V", "A-B"
 * (inclusive), "A-<B", "N.x" (a whole major version). With v NULL only
 * checks the form. Returns 1 affected, 0 not, -1 not a constraint.
 */
static int one_constraint(const char *c, const long v[], int nv)
{
    long a[VULN_PARTS], b[VULN_PARTS];
    const char *dash = strchr(c, '-');
    size_t len = strlen(c);
    int na, nb, op = 0;

    if (len > 2 && strcmp(c + len - 2, ".x") == 0) {
        na = version_parts(c, len - 2, a);
        return na == 0 ? -1 : v == NULL ? 1 : nv >= na && version_cmp(v, na, a, na) == 0;
    }
    if (dash != NULL) {
        bool open = dash[1] == '<';

        na = version_parts(c, (size_t)(dash - c), a);
        nb = version_parts(dash + 1 + open, strlen(dash + 1 + open), b);
        if (na == 0 || nb == 0) {
            return -1;
        }
        return v == NULL ? 1
                         : version_cmp(v, nv, a, na) >= 0 &&
                               (open ? version_cmp(v, nv, b, nb) < 0
                                     : version_cmp(v, nv, b, nb) <= 0);
    }
    if (c[0] == '<' || c[0] == '>' || c[0] == '=') {
        op = c[0] == '=' ? 0 : c[1] == '=' ? (c[0] == '<' ? -2 : 2) : (c[0] == '<' ? -1 : 1);
        c += c[0] == '=' ? 1 : c[1] == '=' ? 2 : 1;
    } else {
        return -1;
    }
    na = version_parts(c, strlen(c), a);
    if (na == 0 || op == 1) {
        return -1; /* ">V" alone is not used: affected ranges start somewhere */
    }
    if (v == NULL) {
        return 1;
    }
    switch (op) {
    case 0:
        return version_cmp(v, nv, a, na) == 0;
    case -1:
        return version_cmp(v, nv, a, na) < 0;
    case -2:
        return version_cmp(v, nv, a, na) <= 0;
    default:
        return version_cmp(v, nv, a, na) >= 0;
    }
}

/* Whether spec's alternatives all read, and (version not NULL) whether one holds it. */
static int check_versions(const char *spec, const char *version)
{
    char buf[sizeof(((struct vuln *)0)->versions)], *alt[16];
    long v[VULN_PARTS];
    int nv = 0, n, hit = 0;

    if (strcmp(spec, "all") == 0 || strcmp(spec, "advisory") == 0) {
        return 1;
    }
    if (version != NULL && (nv = version_parts(version, strlen(version), v)) == 0) {
        return 0;
    }
    snprintf(buf, sizeof(buf), "%s", spec);
    n = fields_split(buf, ",", alt, 16);
    if (n > 16) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        int r = one_constraint(alt[i], version != NULL ? v : NULL, nv);

        if (r < 0) {
            return -1;
        }
        hit |= r;
    }
    return hit;
}

bool vuln_version_affected(const char *spec, const char *version)
{
    return check_versions(spec, version) == 1;
}

bool vuln_versions_valid(const char *spec)
{
    return check_versions(spec, NULL) >= 0;
}

/* ---- the catalog --------------------------------------------------------- */

static struct vuln *find_cve(const struct vuln_catalog *c, const char *cve)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->list[i]->cve, cve) == 0) {
            return c->list[i];
        }
    }
    return NULL;
}

static void vuln_release(struct vuln *v)
{
    if (v != NULL) {
        regfree(&v->re);
        free(v);
    }
}

/* Takes v (compiled) into the catalog. Returns 0, or -1 out of memory (v released). */
static int catalog_add(struct vuln_catalog *c, struct vuln *v)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct vuln **all = realloc(c->list, cap * sizeof(*all));

        if (all == NULL) {
            vuln_release(v);
            return -1;
        }
        c->list = all;
        c->cap = cap;
    }
    c->list[c->n++] = v;
    return 0;
}

static bool cve_id_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 13 || strncmp(s, "CVE-", 4) != 0 || s[8] != '-') {
        return false;
    }
    for (size_t i = 4; i < n; i++) {
        if (i != 8 && !isdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

static int copy_text(char *dst, size_t cap, const char *src, const char *what, char *why,
                     size_t len)
{
    if (strlen(src) >= cap) {
        snprintf(why, len, "%s longer than %zu bytes", what, cap - 1);
        return -1;
    }
    snprintf(dst, cap, "%s", src);
    return 0;
}

/* "9.8/3.1": the score and its CVSS version. */
static int parse_cvss(struct vuln *v, const char *s, char *why, size_t len)
{
    char *end;
    const char *slash = strchr(s, '/');

    v->cvss = strtod(s, &end);
    if (end == s || slash == NULL || end != slash || v->cvss < 0 || v->cvss > 10 ||
        copy_text(v->cvss_version, sizeof(v->cvss_version), slash + 1, "CVSS version", why,
                  len) < 0) {
        snprintf(why, len, "cvss \"%s\" is not SCORE/VERSION, e.g. 9.8/3.1", s);
        return -1;
    }
    return 0;
}

static int compile_match(struct vuln *v, char *why, size_t len)
{
    int rc = regcomp(&v->re, v->match, REG_EXTENDED | REG_ICASE);

    if (rc != 0) {
        char msg[128];

        regerror(rc, &v->re, msg, sizeof(msg));
        snprintf(why, len, "match pattern: %.100s", msg);
        return -1;
    }
    return 0;
}

/* The fields of one catalog line into v (compiled). Returns 0, or -1 with why. */
static int parse_entry(struct vuln *v, char **f, char *why, size_t len)
{
    if (!cve_id_ok(f[0])) {
        snprintf(why, len, "\"%s\" is not a CVE id", f[0]);
        return -1;
    }
    if (strcmp(f[3], "device") != 0 && strcmp(f[3], "software") != 0) {
        snprintf(why, len, "scope \"%s\" is neither device nor software", f[3]);
        return -1;
    }
    if (strcmp(f[7], "yes") != 0 && strcmp(f[7], "no") != 0) {
        snprintf(why, len, "kev \"%s\" is neither yes nor no", f[7]);
        return -1;
    }
    if (check_versions(f[5], NULL) < 0) {
        snprintf(why, len, "versions \"%s\": want all, advisory, or =V, <V, <=V, >=V, A-B, "
                           "A-<B, N.x separated by commas", f[5]);
        return -1;
    }
    v->scope = strcmp(f[3], "device") == 0 ? VULN_DEVICE : VULN_SOFTWARE;
    v->kev = strcmp(f[7], "yes") == 0;
    if (copy_text(v->cve, sizeof(v->cve), f[0], "CVE", why, len) < 0 ||
        copy_text(v->vendor, sizeof(v->vendor), f[1], "vendor", why, len) < 0 ||
        copy_text(v->product, sizeof(v->product), f[2], "product", why, len) < 0 ||
        copy_text(v->match, sizeof(v->match), f[4], "match", why, len) < 0 ||
        copy_text(v->versions, sizeof(v->versions), f[5], "versions", why, len) < 0 ||
        parse_cvss(v, f[6], why, len) < 0 ||
        copy_text(v->advisory, sizeof(v->advisory), f[8], "advisory", why, len) < 0 ||
        copy_text(v->summary, sizeof(v->summary), f[9], "summary", why, len) < 0) {
        return -1;
    }
    if (v->vendor[0] == '\0' || v->match[0] == '\0') {
        snprintf(why, len, "the vendor and the match pattern may not be empty");
        return -1;
    }
    return compile_match(v, why, len);
}

/* What the line reader hands each line of a catalog file to. */
struct catalog_file {
    struct vuln_catalog *c;
    const char *path;
};

/* One catalog line's entry (a fields_line_fn). */
static int parse_line(void *arg, char *line, unsigned no, char *why, size_t len)
{
    const struct catalog_file *file = arg;
    struct vuln_catalog *c = file->c;
    char *f[VULN_FIELDS];
    int n = fields_split(line, " | ", f, VULN_FIELDS);
    struct vuln *v;

    if (n != VULN_FIELDS) {
        snprintf(why, len, "%d fields, want %d: CVE | vendor | product | scope | match | "
                           "versions | cvss | kev | advisory | summary", n, VULN_FIELDS);
        return -1;
    }
    if (find_cve(c, f[0]) != NULL) {
        snprintf(why, len, "%s is in the catalog already", f[0]);
        return -1;
    }
    v = calloc(1, sizeof(*v));
    if (v == NULL) {
        snprintf(why, len, "out of memory");
        return -1;
    }
    if (parse_entry(v, f, why, len) < 0) {
        free(v); /* the pattern was not compiled: nothing else to release */
        return -1;
    }
    snprintf(v->source, sizeof(v->source), "%.80s:%u", file->path, no);
    if (catalog_add(c, v) < 0) {
        snprintf(why, len, "out of memory");
        return -1;
    }
    return 0;
}

struct vuln_catalog *vuln_load(const char *path, char *err)
{
    struct vuln_catalog *c = calloc(1, sizeof(*c));
    struct catalog_file file = {c, path};

    if (c == NULL) {
        snprintf(err, VULN_ERROR_LEN, "out of memory");
        return NULL;
    }
    if (fields_read_file(path, VULN_LINE_MAX, parse_line, &file, err, VULN_ERROR_LEN) < 0) {
        vuln_free(c);
        return NULL;
    }
    return c;
}

void vuln_free(struct vuln_catalog *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        vuln_release(c->list[i]);
    }
    free(c->list);
    free(c);
}

size_t vuln_count(const struct vuln_catalog *c)
{
    return c->n;
}

const struct vuln *vuln_at(const struct vuln_catalog *c, size_t i)
{
    return i < c->n ? c->list[i] : NULL;
}

const char *vuln_confidence_name(enum vuln_confidence c)
{
    return c == VULN_HIGH ? "high" : "medium";
}

int vuln_severity(const struct vuln *v)
{
    return v->kev || v->cvss >= 7.0 ? 1 : v->cvss >= 4.0 ? 2 : 3;
}

void vuln_describe(const struct vuln_match *m, const struct vuln_subject *s, char *out,
                   size_t len)
{
    const struct vuln *v = m->v;
    char score[32] = "CVSS not given", version[64] = "";

    if (v->cvss > 0) {
        snprintf(score, sizeof(score), "CVSS %.1f/%.7s", v->cvss, v->cvss_version);
    }
    if (m->version[0] != '\0') {
        snprintf(version, sizeof(version), ", version %.31s", m->version);
    }
    snprintf(out, len,
             "%s (%s, %s; %s): %s %s, versions %s: %s. Matched on %s \"%.120s\"%s%s; "
             "confidence %s",
             v->cve, score, v->kev ? "known exploited (CISA KEV)" : "not in CISA KEV",
             v->advisory, v->vendor, v->product, v->versions, v->summary, s->kinds[m->evidence],
             s->values[m->evidence], version, v->scope == VULN_DEVICE ? " and the maker" : "",
             vuln_confidence_name(m->confidence));
}

/* ---- imports ------------------------------------------------------------- */

/* text with every character a pattern would read as special escaped: a literal. */
static void literal_pattern(const char *text, char *out, size_t cap)
{
    size_t o = 0;

    for (const char *p = text; *p != '\0' && o + 3 < cap; p++) {
        if (strchr("\\^$.[]|()*+?{}", *p) != NULL) {
            out[o++] = '\\';
        }
        out[o++] = *p;
    }
    out[o] = '\0';
}

/* An entry from an import: a device entry whose pattern is the product's name. */
static struct vuln *imported(const char *cve, const char *vendor, const char *product,
                             const char *versions, double cvss, const char *cvss_version,
                             const char *advisory, const char *summary, const char *source)
{
    struct vuln *v = calloc(1, sizeof(*v));
    char why[128];

    if (v == NULL) {
        return NULL;
    }
    snprintf(v->cve, sizeof(v->cve), "%s", cve);
    snprintf(v->vendor, sizeof(v->vendor), "%s", vendor);
    snprintf(v->product, sizeof(v->product), "%s", product);
    literal_pattern(product, v->match, sizeof(v->match));
    snprintf(v->versions, sizeof(v->versions), "%s", versions);
    v->cvss = cvss;
    snprintf(v->cvss_version, sizeof(v->cvss_version), "%s", cvss_version);
    snprintf(v->advisory, sizeof(v->advisory), "%s", advisory);
    snprintf(v->summary, sizeof(v->summary), "%s", summary);
    snprintf(v->source, sizeof(v->source), "%s", source);
    v->scope = VULN_DEVICE;
    if (compile_match(v, why, sizeof(why)) < 0) {
        free(v);
        return NULL;
    }
    return v;
}

static const char *str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "";
}

/* Entries staged by an import: added to the catalog only when the whole file read. */
struct staged {
    struct vuln *add[4096];
    size_t n_add;
    const char *kev_cves[8192];
    size_t n_kev;
};

static void staged_drop(struct staged *s)
{
    for (size_t i = 0; i < s->n_add; i++) {
        vuln_release(s->add[i]);
    }
    s->n_add = 0;
}

static int stage_add(struct staged *s, struct vuln *v, char *why, size_t len)
{
    if (v == NULL) {
        snprintf(why, len, "out of memory");
        return -1;
    }
    if (s->n_add == sizeof(s->add) / sizeof(s->add[0])) {
        vuln_release(v);
        snprintf(why, len, "more than %zu entries in one file; split it and import the parts",
                 s->n_add);
        return -1;
    }
    s->add[s->n_add++] = v;
    return 0;
}

/* CISA's KEV catalog: {"catalogVersion", "vulnerabilities": [{"cveID", ...}]}. */
static int stage_kev(const struct vuln_catalog *c, const json_t *doc, struct staged *s,
                     const char *path, char *why, size_t len)
{
    const json_t *list = json_object_get(doc, "vulnerabilities");
    size_t i;
    json_t *e;

    json_array_foreach(list, i, e) {
        const char *cve = str_of(e, "cveID");

        if (!cve_id_ok(cve)) {
            snprintf(why, len, "vulnerabilities[%zu]: cveID \"%.40s\" is not a CVE id", i, cve);
            return -1;
        }
        if (s->n_kev == sizeof(s->kev_cves) / sizeof(s->kev_cves[0])) {
            snprintf(why, len, "more than %zu entries in one file; split it and import the parts",
                     s->n_kev);
            return -1;
        }
        s->kev_cves[s->n_kev++] = cve;
        if (find_cve(c, cve) == NULL &&
            stage_add(s, imported(cve, str_of(e, "vendorProject"), str_of(e, "product"),
                                  "advisory", 0, "", "CISA KEV",
                                  str_of(e, "shortDescription"), path),
                      why, len) < 0) {
            return -1;
        }
    }
    return 0;
}

/* A CVE JSON 5 affected[].versions[] list as a versions field ("advisory" if not numeric). */
static void versions_of(const json_t *versions, char *out, size_t cap)
{
    size_t i, o = 0;
    json_t *v;

    out[0] = '\0';
    json_array_foreach(versions, i, v) {
        const char *ver = str_of(v, "version"), *lt = str_of(v, "lessThan");
        const char *le = str_of(v, "lessThanOrEqual");
        char one[80];

        if (strcmp(str_of(v, "status"), "affected") != 0) {
            continue;
        }
        if (*lt != '\0') {
            snprintf(one, sizeof(one), strcmp(ver, "0") == 0 || *ver == '\0' ? "<%s" : "%s-<%s",
                     strcmp(ver, "0") == 0 || *ver == '\0' ? lt : ver, lt);
        } else if (*le != '\0') {
            snprintf(one, sizeof(one), strcmp(ver, "0") == 0 || *ver == '\0' ? "<=%s" : "%s-%s",
                     strcmp(ver, "0") == 0 || *ver == '\0' ? le : ver, le);
        } else {
            snprintf(one, sizeof(one), "=%s", ver);
        }
        if (check_versions(one, NULL) < 0 || o + strlen(one) + 2 >= cap) {
            snprintf(out, cap, "advisory");
            return;
        }
        o += (size_t)snprintf(out + o, cap - o, "%s%s", o > 0 ? "," : "", one);
    }
    if (o == 0) {
        snprintf(out, cap, "advisory");
    }
}

/* The CNA's base score, the newest CVSS version it gives. */
static double cvss_of(const json_t *cna, char *version, size_t cap)
{
    static const char *const keys[][2] = {
        {"cvssV4_0", "4.0"}, {"cvssV3_1", "3.1"}, {"cvssV3_0", "3.0"}, {"cvssV2_0", "2.0"}};
    const json_t *metrics = json_object_get(cna, "metrics");

    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        size_t i;
        json_t *m;

        json_array_foreach(metrics, i, m) {
            const json_t *score = json_object_get(json_object_get(m, keys[k][0]), "baseScore");

            if (json_is_number(score)) {
                snprintf(version, cap, "%s", keys[k][1]);
                return json_number_value(score);
            }
        }
    }
    snprintf(version, cap, "%s", "");
    return 0;
}

static const char *english_description(const json_t *cna)
{
    size_t i;
    json_t *d;

    json_array_foreach(json_object_get(cna, "descriptions"), i, d) {
        if (strncmp(str_of(d, "lang"), "en", 2) == 0) {
            return str_of(d, "value");
        }
    }
    return "";
}

/* One CVE JSON 5 record: an entry per affected product not yet in the catalog. */
static int stage_record(const struct vuln_catalog *c, const json_t *rec, struct staged *s,
                        const char *path, char *why, size_t len)
{
    const char *cve = str_of(json_object_get(rec, "cveMetadata"), "cveId");
    const json_t *cna = json_object_get(json_object_get(rec, "containers"), "cna");
    char cvss_version[8], versions[sizeof(((struct vuln *)0)->versions)];
    double cvss = cvss_of(cna, cvss_version, sizeof(cvss_version));
    size_t i;
    json_t *a;

    if (strcmp(str_of(rec, "dataType"), "CVE_RECORD") != 0 || !cve_id_ok(cve) ||
        !json_is_object(cna)) {
        snprintf(why, len, "not a CVE JSON 5 record (dataType CVE_RECORD, cveMetadata.cveId, "
                           "containers.cna)");
        return -1;
    }
    if (find_cve(c, cve) != NULL) {
        return 0; /* the catalog's own entry, with its match pattern, stands */
    }
    json_array_foreach(json_object_get(cna, "affected"), i, a) {
        if (*str_of(a, "vendor") == '\0' || *str_of(a, "product") == '\0') {
            continue;
        }
        versions_of(json_object_get(a, "versions"), versions, sizeof(versions));
        if (stage_add(s, imported(cve, str_of(a, "vendor"), str_of(a, "product"), versions,
                                  cvss, cvss_version, "CVE record", english_description(cna),
                                  path),
                      why, len) < 0) {
            return -1;
        }
    }
    return 0;
}

static int stage_file(const struct vuln_catalog *c, const json_t *doc, struct staged *s,
                      const char *path, char *why, size_t len)
{
    size_t i;
    json_t *rec;

    if (json_is_object(doc) && json_is_array(json_object_get(doc, "vulnerabilities")) &&
        json_object_get(doc, "catalogVersion") != NULL) {
        return stage_kev(c, doc, s, path, why, len);
    }
    if (json_is_object(doc)) {
        return stage_record(c, doc, s, path, why, len);
    }
    if (!json_is_array(doc)) {
        snprintf(why, len, "neither a CISA KEV catalog nor CVE JSON 5 records");
        return -1;
    }
    json_array_foreach(doc, i, rec) {
        if (stage_record(c, rec, s, path, why, len) < 0) {
            return -1;
        }
    }
    return 0;
}

char *vuln_file_text(const char *path, char *err)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0, got;

    if (f == NULL) {
        snprintf(err, VULN_ERROR_LEN, "%s: %s", path, strerror(errno));
        return NULL;
    }
    do {
        char *more = realloc(text, len + 65536 + 1);

        if (more == NULL) {
            snprintf(err, VULN_ERROR_LEN, "%s: out of memory", path);
            free(text);
            fclose(f);
            return NULL;
        }
        text = more;
        got = fread(text + len, 1, 65536, f);
        len += got;
    } while (got == 65536);
    text[len] = '\0';
    if (ferror(f)) {
        snprintf(err, VULN_ERROR_LEN, "%s: read error", path);
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

int vuln_import_text(struct vuln_catalog *c, const char *text, const char *path, char *err)
{
    static struct staged s; /* large; imports run one at a time, off the packet path */
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    char why[300];
    int changed = 0;

    if (doc == NULL) {
        snprintf(err, VULN_ERROR_LEN, "%s:%d: %s", path, je.line, je.text);
        return -1;
    }
    s.n_add = s.n_kev = 0;
    if (stage_file(c, doc, &s, path, why, sizeof(why)) < 0) {
        snprintf(err, VULN_ERROR_LEN, "%s: %s; nothing imported", path, why);
        staged_drop(&s);
        json_decref(doc);
        return -1;
    }
    for (size_t i = 0; i < s.n_add; i++) {
        if (catalog_add(c, s.add[i]) < 0) {
            snprintf(err, VULN_ERROR_LEN, "out of memory");
            s.n_add = 0;
            json_decref(doc);
            return -1;
        }
        changed++;
    }
    for (size_t i = 0; i < s.n_kev; i++) { /* every entry of a listed CVE is known exploited */
        for (size_t k = 0; k < c->n; k++) {
            if (!c->list[k]->kev && strcmp(c->list[k]->cve, s.kev_cves[i]) == 0) {
                c->list[k]->kev = true;
                changed += k < c->n - s.n_add; /* an entry added above is counted already */
            }
        }
    }
    s.n_add = 0;
    json_decref(doc);
    return changed;
}

/* ---- matching ------------------------------------------------------------ */

/*
 * The version a match spells: its groups joined by dots when they are all
 * digits, else the first dotted number after the match.
 */
static void version_from(const char *value, const regmatch_t m[VULN_GROUPS], char *out,
                         size_t cap)
{
    size_t o = 0;

    out[0] = '\0';
    for (int g = 1; g < VULN_GROUPS && m[g].rm_so >= 0; g++) {
        int n = (int)(m[g].rm_eo - m[g].rm_so);

        if (o + (size_t)n + 2 >= cap) {
            break;
        }
        o += (size_t)snprintf(out + o, cap - o, "%s%.*s", o > 0 ? "." : "", n,
                              value + m[g].rm_so);
    }
    if (o > 0 && strspn(out, "0123456789.") == o) {
        return; /* groups that spell a version; others only group alternatives */
    }
    out[0] = '\0';
    for (const char *p = value + m[0].rm_eo; *p != '\0'; p++) {
        if (isdigit((unsigned char)*p)) {
            size_t n = strspn(p, "0123456789.");

            while (n > 0 && p[n - 1] == '.') {
                n--;
            }
            if (n < cap && memchr(p, '.', n) != NULL) {
                snprintf(out, cap, "%.*s", (int)n, p);
            }
            return;
        }
    }
}

bool vuln_read_version(const regex_t *re, const char *value, char *version, size_t cap)
{
    regmatch_t m[VULN_GROUPS];

    if (regexec(re, value, VULN_GROUPS, m, 0) != 0) {
        return false;
    }
    version_from(value, m, version, cap);
    return true;
}

bool vuln_identity_kind(const char *kind)
{
    static const char *const kinds[] = {
        "model", "software", "dhcp.vendor_class", "dhcp.hostname", "mdns.model",
        "mdns.manufacturer", "ssdp.server", "ssdp.device_type", "http.server", "http.user_agent",
        "ssh.banner", "ftp.banner", "telnet.banner", "dicom.implementation_version",
        "dicom.implementation_class_uid", "hl7.sending_application", "tls.cert_subject",
        "fingerprint.label"};

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(kind, kinds[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* The best match of one entry on the subject; false when none. */
static bool match_one(const struct vuln *v, const struct vuln_subject *s, struct vuln_match *out)
{
    bool found = false;

    if (v->scope == VULN_DEVICE &&
        (s->vendor == NULL || !fields_words_within(v->vendor, s->vendor))) {
        return false; /* a device entry is about its maker's products only */
    }
    for (size_t i = 0; i < s->n && !(found && out->confidence == VULN_HIGH); i++) {
        struct vuln_match got = {v, VULN_MEDIUM, "", i};

        if (!vuln_identity_kind(s->kinds[i]) ||
            !vuln_read_version(&v->re, s->values[i], got.version, sizeof(got.version))) {
            continue;
        }
        if (strcmp(v->versions, "all") == 0) {
            got.confidence = VULN_HIGH;
        } else if (strcmp(v->versions, "advisory") != 0 && got.version[0] != '\0') {
            if (!vuln_version_affected(v->versions, got.version)) {
                continue; /* this version is not affected */
            }
            got.confidence = VULN_HIGH;
        }
        if (!found || got.confidence > out->confidence) {
            *out = got;
            found = true;
        }
    }
    return found;
}

size_t vuln_match(const struct vuln_catalog *c, const struct vuln_subject *s,
                  struct vuln_match *out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < c->n && n < max; i++) {
        n += match_one(c->list[i], s, &out[n]);
    }
    return n;
}
