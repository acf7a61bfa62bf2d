/* SPDX-License-Identifier: MIT */
/* devices: `wardwatch devices --db FILE [--json]`, the stored inventory. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/devices.h"

static void devices_usage(FILE *out)
{
    fprintf(out, "usage: wardwatch devices --db FILE [--json] [--evidence]\n"
                 "\n"
                 "Lists the devices stored by `wardwatch analyze` (DIR/wardwatch.db),\n"
                 "most critical first: class, criticality, confidence, vendor, model,\n"
                 "software, and the evidence that decided the class.\n"
                 "\n"
                 "options:\n"
                 "      --db FILE    the database to read\n"
                 "      --json       print one JSON document {\"devices\": [...]}\n"
                 "      --evidence   with --json: every piece of evidence, not only\n"
                 "                   what decided the class\n"
                 "  -h, --help       print this help\n");
}

static const char *str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s != NULL ? s : "";
}

static void print_decided(const json_t *dev)
{
    const json_t *decided = json_object_get(dev, "decided_by");
    size_t i;
    const json_t *e;

    json_array_foreach(decided, i, e) {
        printf("      because %s = \"%s\" (weight %.2f, rule line %lld)\n", str_of(e, "kind"),
               str_of(e, "value"), json_real_value(json_object_get(e, "weight")),
               (long long)json_integer_value(json_object_get(e, "rule_line")));
    }
}

static void print_text(const json_t *devs)
{
    size_t i;
    const json_t *d;

    printf("%-4s %-22s %-15s %5s  %-17s %-15s %s\n", "ID", "CLASS", "CRITICALITY", "CONF", "MAC",
           "IP", "VENDOR / MODEL / SOFTWARE");
    json_array_foreach(devs, i, d) {
        const char *mac = str_of(d, "mac"), *ip = str_of(d, "ip");

        printf("%-4lld %-22s %-15s %5.2f  %-17s %-15s %s", (long long)json_integer_value(
                   json_object_get(d, "id")), str_of(d, "class"), str_of(d, "criticality"),
               json_real_value(json_object_get(d, "confidence")), *mac ? mac : "-",
               *ip ? ip : "-", *str_of(d, "vendor") ? str_of(d, "vendor") : "-");
        if (*str_of(d, "model")) {
            printf(" / %s", str_of(d, "model"));
        }
        if (*str_of(d, "software")) {
            printf(" / %s", str_of(d, "software"));
        }
        putchar('\n');
        print_decided(d);
    }
    printf("%zu devices\n", json_array_size(devs));
}

int cli_devices(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"evidence", no_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    int json = 0, evidence = 0, c;
    char err[STORE_ERROR_LEN];
    struct ww_store *s;
    json_t *devs;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'e':
            evidence = 1;
            break;
        case 'h':
            devices_usage(stdout);
            return WW_EXIT_OK;
        default:
            devices_usage(stderr);
            return WW_EXIT_INPUT;
        }
    }
    if (db == NULL || optind != argc) {
        fprintf(stderr, "wardwatch devices: give the database with --db FILE "
                        "(see 'wardwatch devices --help')\n");
        return WW_EXIT_INPUT;
    }
    if (store_open_existing(db, &s, err) < 0) {
        fprintf(stderr, "wardwatch devices: %s\n", err);
        return WW_EXIT_INPUT;
    }
    devs = store_load_devices(s, evidence, err);
    store_close(s);
    if (devs == NULL) {
        fprintf(stderr, "wardwatch devices: %s\n", err);
        return WW_EXIT_INTERNAL;
    }
    if (json) {
        json_t *doc = json_pack("{s:o}", "devices", devs);

        json_dumpf(doc, stdout, JSON_INDENT(0) | JSON_COMPACT);
        putchar('\n');
        json_decref(doc);
    } else {
        print_text(devs);
        json_decref(devs);
    }
    return WW_EXIT_OK;
}
