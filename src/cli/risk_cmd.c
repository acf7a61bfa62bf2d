/* SPDX-License-Identifier: MIT */
/*
 * risk: `wardwatch risk --db FILE [--json] [--paths] [--top N]`: devices
 * ranked by risk with their top factors, and the attack paths that lead
 * to life-critical devices (src/assess/risk.h says how both are made).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/risk_view.h"
#include "store/risk.h"

#define TOP_DEFAULT 20

struct risk_opts {
    const char *db;
    bool json, paths;
    uint64_t top;
};

static void risk_usage(FILE *out)
{
    fprintf(out, "usage: wardwatch risk --db FILE [--json] [--paths] [--top N]\n"
                 "\n"
                 "Ranks the devices stored by `wardwatch analyze` by risk, 0 to 100\n"
                 "(likelihood from findings, vulnerabilities and alerts, times impact\n"
                 "from clinical criticality), each with the factors that make it.\n"
                 "\n"
                 "options:\n"
                 "      --db FILE   the database (DIR/wardwatch.db)\n"
                 "      --paths     also the attack paths to life-sustaining and\n"
                 "                  high-criticality devices, each hop with its reason\n"
                 "      --top N     the N riskiest devices and N best paths (default %d)\n"
                 "      --json      print one JSON document\n"
                 "  -h, --help      print this help\n",
            TOP_DEFAULT);
}

static int parse_args(int argc, char **argv, struct risk_opts *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'},
        {"paths", no_argument, NULL, 'p'},    {"top", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
    };
    int c;

    optind = 1;
    o->top = TOP_DEFAULT;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->db = optarg;
            break;
        case 'j':
            o->json = true;
            break;
        case 'p':
            o->paths = true;
            break;
        case 't':
            if (cli_parse_u64(optarg, 1, 100000, &o->top) < 0) {
                fprintf(stderr, "wardwatch risk: --top %s: want a number from 1 to 100000\n",
                        optarg);
                return -1;
            }
            break;
        case 'h':
            risk_usage(stdout);
            return 1;
        default:
            risk_usage(stderr);
            return -1;
        }
    }
    if (o->db == NULL || optind != argc) {
        fprintf(stderr, "wardwatch risk: %s\n",
                o->db == NULL ? "--db FILE is required" : "unexpected argument");
        return -1;
    }
    return 0;
}

int cli_risk(int argc, char **argv)
{
    struct risk_opts o = {0};
    struct risk_view v;
    char err[STORE_ERROR_LEN];
    struct ww_store *st;
    int rc = parse_args(argc, argv, &o);

    if (rc != 0) {
        return rc > 0 ? WW_EXIT_OK : WW_EXIT_INPUT;
    }
    if (store_open_existing(o.db, &st, err) < 0) {
        fprintf(stderr, "wardwatch risk: %s\n", err);
        return WW_EXIT_INPUT;
    }
    rc = risk_view_load(&v, st, (size_t)o.top, err);
    store_close(st);
    if (rc < 0) {
        fprintf(stderr, "wardwatch risk: %s: %s\n", o.db, err);
        return WW_EXIT_INTERNAL;
    }
    if (o.json) {
        json_t *doc = risk_view_json(&v, (size_t)o.top, o.paths);

        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
        json_decref(doc);
    } else {
        risk_view_print(&v, stdout, (size_t)o.top, 3);
        if (o.paths) {
            risk_view_print_paths(&v, stdout, (size_t)o.top);
        }
    }
    risk_view_free(&v);
    return WW_EXIT_OK;
}
