/* SPDX-License-Identifier: MIT */
/*
 * rules: reads the device taxonomy and classification rules. One
 * directive per line, '#' starts a comment:
 *
 *   class NAME CRITICALITY CATEGORY DESCRIPTION...
 *   rule CLASS WEIGHT KIND REGEX...
 *   vendor "NAME" KIND REGEX...
 *
 * CRITICALITY is life-sustaining, high, medium or low; WEIGHT a number in
 * (0, 1]; KIND an evidence kind such as dhcp.vendor_class; REGEX a POSIX
 * extended regular expression, matched case-insensitively anywhere in the
 * evidence value (anchor it with ^ and $ to match whole values).
 */
#include "inventory/rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RULES_LINE_MAX 1024
#define RULES_MATCH_MAX 1024 /* evidence bytes a pattern is matched against */

static const char *const crit_names[] = {"low", "medium", "high", "life-sustaining"};

const char *rules_criticality_name(enum criticality c)
{
    return (unsigned)c < sizeof(crit_names) / sizeof(crit_names[0]) ? crit_names[c] : "low";
}

int rules_criticality_parse(const char *s, enum criticality *out)
{
    for (size_t i = 0; i < sizeof(crit_names) / sizeof(crit_names[0]); i++) {
        if (strcmp(s, crit_names[i]) == 0) {
            *out = (enum criticality)i;
            return 0;
        }
    }
    return -1;
}

uint32_t rules_kind_hash(const char *kind)
{
    uint32_t h = 2166136261u;

    for (const char *c = kind; *c != '\0'; c++) {
        h = (h ^ (uint8_t)*c) * 16777619u;
    }
    return h;
}

bool rules_kind_names_vendor(const struct rules *r, uint32_t kind_hash)
{
    for (size_t i = 0; r != NULL && i < r->n_vendors; i++) {
        if (r->vendors[i].kind_hash == kind_hash) {
            return true;
        }
    }
    return false;
}

int rules_class_find(const struct rules *r, const char *name)
{
    for (size_t i = 0; i < r->n_classes; i++) {
        if (strcmp(r->classes[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

bool rules_match(const regex_t *re, const char *value, size_t len)
{
    char buf[RULES_MATCH_MAX + 1];

    if (len > RULES_MATCH_MAX) {
        len = RULES_MATCH_MAX;
    }
    memcpy(buf, value, len);
    buf[len] = '\0';
    return regexec(re, buf, 0, NULL, 0) == 0;
}

/* Splits off the next space-separated word of *s. Returns NULL at the end. */
static char *next_word(char **s)
{
    char *w = *s + strspn(*s, " \t");
    char *end;

    if (*w == '\0') {
        *s = w;
        return NULL;
    }
    end = w + strcspn(w, " \t");
    if (*end != '\0') {
        *end++ = '\0';
    }
    *s = end;
    return w;
}

/* Splits off a "quoted string" (no escapes). Returns NULL when absent. */
static char *next_quoted(char **s)
{
    char *w = *s + strspn(*s, " \t");
    char *end;

    if (*w != '"' || (end = strchr(w + 1, '"')) == NULL) {
        return NULL;
    }
    *end = '\0';
    *s = end + 1;
    return w + 1;
}

static char *rest_of_line(char **s)
{
    char *w = *s + strspn(*s, " \t");
    size_t n = strlen(w);

    while (n > 0 && (w[n - 1] == ' ' || w[n - 1] == '\t')) {
        w[--n] = '\0';
    }
    return n > 0 ? w : NULL;
}

static int copy_name(char *dst, size_t dst_len, const char *src, const char *what, char *why,
                     size_t why_len)
{
    if (src == NULL || strlen(src) >= dst_len) {
        snprintf(why, why_len, "%s missing or longer than %zu bytes", what, dst_len - 1);
        return -1;
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

static int compile(regex_t *re, const char *pattern, char *why, size_t why_len)
{
    int rc = regcomp(re, pattern, REG_EXTENDED | REG_ICASE | REG_NOSUB);

    if (rc != 0) {
        char msg[128];

        regerror(rc, re, msg, sizeof(msg));
        snprintf(why, why_len, "bad regular expression '%s': %s", pattern, msg);
        return -1;
    }
    return 0;
}

static void *grow_array(void *v, size_t n, size_t elem)
{
    /* Arrays grow by doubling at powers of two: n is the count before adding. */
    if (n != 0 && (n & (n - 1)) != 0) {
        return v;
    }
    return realloc(v, (n ? n * 2 : 8) * elem);
}

static int parse_class(struct rules *r, char *s, char *why, size_t why_len)
{
    struct rules_class c = {0};
    char *name = next_word(&s), *crit = next_word(&s), *cat = next_word(&s);
    char *desc = rest_of_line(&s);
    int idx;

    if (copy_name(c.name, sizeof(c.name), name, "class name", why, why_len) < 0 ||
        crit == NULL || rules_criticality_parse(crit, &c.criticality) < 0) {
        if (why[0] == '\0') {
            snprintf(why, why_len, "criticality must be life-sustaining, high, medium or low");
        }
        return -1;
    }
    if (copy_name(c.category, sizeof(c.category), cat, "category", why, why_len) < 0 ||
        copy_name(c.description, sizeof(c.description), desc, "description", why, why_len) < 0) {
        return -1;
    }
    idx = rules_class_find(r, c.name);
    if (idx >= 0) {
        r->classes[idx] = c;
        return 0;
    }
    void *nv = grow_array(r->classes, r->n_classes, sizeof(c));
    if (nv == NULL) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    r->classes = nv;
    r->classes[r->n_classes++] = c;
    return 0;
}

static int parse_rule(struct rules *r, char *s, int lineno, char *why, size_t why_len)
{
    struct rules_rule u = {0};
    char *cls = next_word(&s), *w = next_word(&s), *kind = next_word(&s);
    char *pat = rest_of_line(&s), *end;

    u.class_idx = cls != NULL ? rules_class_find(r, cls) : -1;
    if (u.class_idx < 0) {
        snprintf(why, why_len, "unknown class '%s' (define it with a class line first)",
                 cls != NULL ? cls : "");
        return -1;
    }
    u.weight = w != NULL ? strtod(w, &end) : 0;
    if (w == NULL || *end != '\0' || !(u.weight > 0 && u.weight <= 1)) {
        snprintf(why, why_len, "weight must be a number above 0 and at most 1");
        return -1;
    }
    if (copy_name(u.kind, sizeof(u.kind), kind, "evidence kind", why, why_len) < 0 ||
        copy_name(u.pattern, sizeof(u.pattern), pat, "pattern", why, why_len) < 0 ||
        compile(&u.re, u.pattern, why, why_len) < 0) {
        return -1;
    }
    u.lineno = lineno;
    u.kind_hash = rules_kind_hash(u.kind);
    void *nv = grow_array(r->rules, r->n_rules, sizeof(u));
    if (nv == NULL) {
        regfree(&u.re);
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    r->rules = nv;
    r->rules[r->n_rules++] = u;
    return 0;
}

static int parse_vendor(struct rules *r, char *s, char *why, size_t why_len)
{
    struct rules_vendor v = {0};
    char *name = next_quoted(&s), *kind = next_word(&s), *pat = rest_of_line(&s);

    if (copy_name(v.name, sizeof(v.name), name, "quoted vendor name", why, why_len) < 0 ||
        copy_name(v.kind, sizeof(v.kind), kind, "evidence kind", why, why_len) < 0) {
        return -1;
    }
    if (pat == NULL) {
        snprintf(why, why_len, "pattern missing");
        return -1;
    }
    if (compile(&v.re, pat, why, why_len) < 0) {
        return -1;
    }
    v.kind_hash = rules_kind_hash(v.kind);
    void *nv = grow_array(r->vendors, r->n_vendors, sizeof(v));
    if (nv == NULL) {
        regfree(&v.re);
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    r->vendors = nv;
    r->vendors[r->n_vendors++] = v;
    return 0;
}

static int parse_line(struct rules *r, char *line, int lineno, char *why, size_t why_len)
{
    char *s = line;
    char *word;

    line[strcspn(line, "\r\n")] = '\0';
    if (line[strspn(line, " \t")] == '#') {
        return 0;
    }
    word = next_word(&s);
    if (word == NULL) {
        return 0;
    }
    if (strcmp(word, "class") == 0) {
        return parse_class(r, s, why, why_len);
    }
    if (strcmp(word, "rule") == 0) {
        return parse_rule(r, s, lineno, why, why_len);
    }
    if (strcmp(word, "vendor") == 0) {
        return parse_vendor(r, s, why, why_len);
    }
    snprintf(why, why_len, "unknown directive '%s' (class, rule or vendor)", word);
    return -1;
}

int rules_load(struct rules *r, const char *path, char *err)
{
    char line[RULES_LINE_MAX], why[RULES_ERROR_LEN / 2];
    FILE *f = fopen(path, "r");
    int lineno = 0;

    if (f == NULL) {
        snprintf(err, RULES_ERROR_LEN, "%s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        why[0] = '\0';
        if (strchr(line, '\n') == NULL && !feof(f)) {
            snprintf(why, sizeof(why), "longer than %d bytes", RULES_LINE_MAX - 2);
        } else if (parse_line(r, line, lineno, why, sizeof(why)) == 0) {
            continue;
        }
        snprintf(err, RULES_ERROR_LEN, "%s line %d: %s", path, lineno, why);
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

void rules_free(struct rules *r)
{
    for (size_t i = 0; i < r->n_rules; i++) {
        regfree(&r->rules[i].re);
    }
    for (size_t i = 0; i < r->n_vendors; i++) {
        regfree(&r->vendors[i].re);
    }
    free(r->classes);
    free(r->rules);
    free(r->vendors);
    *r = (struct rules){0};
}

static bool file_exists(const char *path)
{
    return access(path, R_OK) == 0;
}

int rules_find_data(const char *name, char *out, size_t out_len)
{
    static const char *const rel[] = {"data", "../../data"};
    const char *env = getenv("WARDWATCH_DATA");
    char exe[1024];
    ssize_t n;

    if (env != NULL && *env != '\0') {
        snprintf(out, out_len, "%s/%s", env, name);
        if (file_exists(out)) {
            return 0;
        }
    }
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        char *slash;

        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
        }
        for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
            snprintf(out, out_len, "%s/%s/%s", exe, rel[i], name);
            if (file_exists(out)) {
                return 0;
            }
        }
    }
    snprintf(out, out_len, "/usr/share/wardwatch/%s", name);
    return file_exists(out) ? 0 : -1;
}
