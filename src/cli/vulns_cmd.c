/* SPDX-License-Identifier: MIT */
/*
 * vulns: `wardwatch vulns --db FILE [--import FILE]... [--json]`. Merges
 * the user's CISA KEV or CVE JSON 5 files into the catalog (kept in the
 * store for later runs), then matches every stored device again and adds
 * the findings that are new: continuous vulnerability management without
 * a new capture.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "assess/assess.h"
#include "cli/cli.h"
#include "inventory/rules.h"
#include "store/devices.h"
#include "store/findings.h"

#define VULNS_FILE "vulnerabilities.conf"
#define IMPORTS_MAX 32
#define SUBJECT_MAX 512
#define MATCHES_MAX 64

struct vulns_opts {
    const char *db;
    const char *imports[IMPORTS_MAX];
    int n_imports;
    bool json;
};

static void vulns_usage(FILE *out)
{
    fprintf(out, "usage: wardwatch vulns --db FILE [--import FILE]... [--json]\n"
                 "\n"
                 "Matches every device stored by `wardwatch analyze` against the\n"
                 "vulnerability catalog (data/vulnerabilities.conf and every file\n"
                 "imported before), stores the findings and prints the new ones.\n"
                 "\n"
                 "options:\n"
                 "      --db FILE       the database (DIR/wardwatch.db)\n"
                 "      --import FILE   merge a CISA KEV catalog (JSON) or CVE JSON 5\n"
                 "                      records into the catalog first, and keep it in\n"
                 "                      the database; a file that cannot be read is\n"
                 "                      refused whole and nothing is changed\n"
                 "      --json          print one JSON document\n"
                 "  -h, --help          print this help\n");
}

static int parse_args(int argc, char **argv, struct vulns_opts *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"import", required_argument, NULL, 'i'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->db = optarg;
            break;
        case 'i':
            if (o->n_imports == IMPORTS_MAX) {
                fprintf(stderr, "wardwatch vulns: at most %d --import files\n", IMPORTS_MAX);
                return -1;
            }
            o->imports[o->n_imports++] = optarg;
            break;
        case 'j':
            o->json = true;
            break;
        case 'h':
            vulns_usage(stdout);
            return 1;
        default:
            vulns_usage(stderr);
            return -1;
        }
    }
    if (o->db == NULL || optind != argc) {
        fprintf(stderr, "wardwatch vulns: %s\n",
                o->db == NULL ? "--db FILE is required" : "unexpected argument");
        return -1;
    }
    return 0;
}

/* The shipped catalog and every stored import. */
static struct vuln_catalog *open_catalog(struct ww_store *st)
{
    char path[1024], err[VULN_ERROR_LEN > STORE_ERROR_LEN ? VULN_ERROR_LEN : STORE_ERROR_LEN];
    struct vuln_catalog *c;

    if (rules_find_data(VULNS_FILE, path, sizeof(path)) < 0) {
        fprintf(stderr, "wardwatch vulns: cannot find data/%s; set WARDWATCH_DATA to the "
                        "directory holding it\n", VULNS_FILE);
        return NULL;
    }
    c = vuln_load(path, err);
    if (c == NULL) {
        fprintf(stderr, "wardwatch vulns: %s\n", err);
        return NULL;
    }
    if (store_apply_vuln_imports(st, c, err) < 0) {
        fprintf(stderr, "wardwatch vulns: %s\n", err);
        vuln_free(c);
        return NULL;
    }
    return c;
}

/* Merges the new files; keeps their text in the store only when all of them read. */
static int import_all(const struct vulns_opts *o, struct vuln_catalog *c, struct ww_store *st)
{
    char *texts[IMPORTS_MAX] = {0};
    char err[VULN_ERROR_LEN > STORE_ERROR_LEN ? VULN_ERROR_LEN : STORE_ERROR_LEN];
    int rc = 0;

    for (int i = 0; i < o->n_imports && rc == 0; i++) {
        texts[i] = vuln_file_text(o->imports[i], err);
        if (texts[i] == NULL || vuln_import_text(c, texts[i], o->imports[i], err) < 0) {
            fprintf(stderr, "wardwatch vulns: --import %s\n", err);
            rc = -1;
        }
    }
    if (rc == 0 && o->n_imports > 0 && store_begin(st, err) == 0) {
        for (int i = 0; i < o->n_imports && rc == 0; i++) {
            rc = store_add_vuln_import(st, o->imports[i], texts[i], err);
        }
        if (rc == 0) {
            rc = store_commit(st, err);
        } else {
            store_rollback(st);
        }
        if (rc < 0) {
            fprintf(stderr, "wardwatch vulns: %s: %s\n", o->db, err);
        }
    }
    for (int i = 0; i < o->n_imports; i++) {
        free(texts[i]);
    }
    return rc;
}

static const char *str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "";
}

/* A stored device as the matcher sees it: its maker, model, software and evidence. */
static void subject_of(const json_t *dev, struct vuln_subject *s, const char **kinds,
                       const char **values)
{
    const json_t *ev = json_object_get(dev, "evidence");
    size_t i;
    json_t *e;

    s->vendor = str_of(dev, "vendor");
    s->kinds = kinds;
    s->values = values;
    s->n = 0;
    kinds[s->n] = "model", values[s->n++] = str_of(dev, "model");
    kinds[s->n] = "software", values[s->n++] = str_of(dev, "software");
    json_array_foreach(ev, i, e) {
        if (s->n < SUBJECT_MAX) {
            kinds[s->n] = str_of(e, "kind"), values[s->n++] = str_of(e, "value");
        }
    }
}

/* The finding's severity: the score's, on a device of the stored criticality. */
static const char *severity_text(const struct vuln *v, const char *criticality)
{
    enum criticality c = CRIT_LOW;

    (void)rules_criticality_parse(criticality, &c);
    return finding_severity_name(
        finding_severity_on((enum finding_severity)vuln_severity(v), c));
}

/* Stores one device's matches; appends the new ones to fresh. Returns matches, or -1. */
static int match_device(struct ww_store *st, const struct vuln_catalog *c, const json_t *dev,
                        json_t *fresh)
{
    static const char *kinds[SUBJECT_MAX], *values[SUBJECT_MAX];
    static struct vuln_match m[MATCHES_MAX];
    struct vuln_subject s;
    char text[FINDING_TEXT_MAX], err[STORE_ERROR_LEN];
    uint64_t now = (uint64_t)time(NULL) * 1000000u;
    size_t n;

    subject_of(dev, &s, kinds, values);
    n = vuln_match(c, &s, m, MATCHES_MAX);
    for (size_t k = 0; k < n; k++) {
        const char *severity = severity_text(m[k].v, str_of(dev, "criticality"));
        struct store_finding f = {json_integer_value(json_object_get(dev, "id")),
                                  finding_kind_name(FIND_VULNERABILITY), m[k].v->cve, severity,
                                  finding_title(FIND_VULNERABILITY), text,
                                  finding_fix(FIND_VULNERABILITY), now, now, 1, m[k].v,
                                  m[k].confidence};
        bool was_new;

        vuln_describe(&m[k], &s, text, sizeof(text));
        if (store_put_finding(st, &f, &was_new, err) < 0) {
            fprintf(stderr, "wardwatch vulns: %s\n", err);
            return -1;
        }
        if (was_new) {
            json_array_append_new(fresh, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "device_id",
                                                   (json_int_t)f.device_id, "ip",
                                                   str_of(dev, "ip"), "class",
                                                   str_of(dev, "class"), "cve", m[k].v->cve,
                                                   "severity", severity, "evidence", text));
        }
    }
    return (int)n;
}

static void print_result(const struct vulns_opts *o, size_t entries, size_t devices,
                         int matches, json_t *fresh)
{
    size_t i;
    json_t *f;

    if (o->json) {
        json_t *doc = json_pack("{s:I, s:I, s:i, s:O}", "catalog_entries", (json_int_t)entries,
                                "devices", (json_int_t)devices, "matches", matches, "new",
                                fresh);

        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
        json_decref(doc);
        return;
    }
    json_array_foreach(fresh, i, f) {
        printf("new  %-15s %-20s %-16s %-6s %s\n", str_of(f, "ip"), str_of(f, "class"),
               str_of(f, "cve"), str_of(f, "severity"), str_of(f, "evidence"));
    }
    printf("%zu catalog entries; %zu devices matched again: %d matches, %zu new findings\n",
           entries, devices, matches, json_array_size(fresh));
}

/* Matches every stored device in one transaction. Returns an exit code. */
static int match_all(const struct vulns_opts *o, struct ww_store *st,
                     const struct vuln_catalog *c)
{
    char err[STORE_ERROR_LEN];
    json_t *devs = store_load_devices(st, 1, err), *fresh = json_array();
    int matches = 0, rc = WW_EXIT_OK;
    size_t i;
    json_t *d;

    if (devs == NULL || fresh == NULL || store_begin(st, err) < 0) {
        fprintf(stderr, "wardwatch vulns: %s: %s\n", o->db, err);
        json_decref(devs);
        json_decref(fresh);
        return WW_EXIT_INTERNAL;
    }
    json_array_foreach(devs, i, d) {
        int n = match_device(st, c, d, fresh);

        if (n < 0) {
            rc = WW_EXIT_INTERNAL;
            break;
        }
        matches += n;
    }
    if (rc == WW_EXIT_OK && store_commit(st, err) < 0) {
        fprintf(stderr, "wardwatch vulns: %s: %s\n", o->db, err);
        rc = WW_EXIT_INTERNAL;
    } else if (rc != WW_EXIT_OK) {
        store_rollback(st);
    } else {
        print_result(o, vuln_count(c), json_array_size(devs), matches, fresh);
    }
    json_decref(devs);
    json_decref(fresh);
    return rc;
}

int cli_vulns(int argc, char **argv)
{
    struct vulns_opts o = {0};
    char err[STORE_ERROR_LEN];
    struct ww_store *st;
    struct vuln_catalog *c;
    int rc = parse_args(argc, argv, &o);

    if (rc != 0) {
        return rc > 0 ? WW_EXIT_OK : WW_EXIT_INPUT;
    }
    if (store_open_existing(o.db, &st, err) < 0) {
        fprintf(stderr, "wardwatch vulns: %s\n", err);
        return WW_EXIT_INPUT;
    }
    c = open_catalog(st);
    if (c == NULL || import_all(&o, c, st) < 0) {
        vuln_free(c);
        store_close(st);
        return WW_EXIT_INPUT;
    }
    rc = match_all(&o, st, c);
    vuln_free(c);
    store_close(st);
    return rc;
}
