/* SPDX-License-Identifier: MIT */
/* analyze: `wardwatch analyze`, capture files in, eve.json and a summary out. */
#include "cli/analyze.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "inventory/inventory.h"
#include "store/devices.h"
#include "store/findings.h"
#include "store/risk.h"

#define ANALYZE_OUT_DEFAULT "wardwatch-out"
#define PATH_LEN_MAX 4096
#define PROGRESS_EVERY_PKTS 65536 /* packets between looks at the clock */
#define PROGRESS_INTERVAL_S 0.1

struct analyze_opts {
    const char *out_dir;
    bool json;
    bool quiet;
    struct flow_config flow;
    const char *rules_file; /* the user's own rules, after the shipped ones */
    const char *fingerprints; /* a model from `fingerprint train` */
    uint64_t learn_s;         /* capture seconds the baselines learn */
    bool ensemble;            /* detection layer two, the autoencoder ensemble */
    const char *model;        /* its model from an earlier run */
    const char *save_model;   /* where to save its model at the end */
    const char *indicators;   /* the user's known-bad addresses and domains */
    const char *ieee_dir;
    const char *const *files;
    int n_files;
};

static void analyze_usage(FILE *out)
{
    fprintf(out,
            "usage: wardwatch analyze [options] CAPTURE...\n"
            "\n"
            "Reads pcap and pcapng files as one timeline in time order, tracks\n"
            "every flow, names every device, writes events to DIR/eve.json and\n"
            "the device inventory to DIR/wardwatch.db, and prints a summary.\n"
            "A file that is missing, truncated or not a capture is reported by\n"
            "name and the others are still analyzed (exit status 1).\n"
            "\n"
            "options:\n"
            "  -o, --output DIR        write eve.json and wardwatch.db into DIR\n"
            "                          (default ./%s); DIR is created if missing\n"
            "      --rules FILE        device classification rules of your own, read\n"
            "                          after the shipped data/device-rules.conf\n"
            "      --ieee-data DIR     MAC vendor registries (default %s)\n"
            "      --fingerprints FILE name device types with a model made by\n"
            "                          `wardwatch fingerprint train` (evidence kind\n"
            "                          fingerprint.label, which rules map to classes)\n"
            "      --learn S           learn what is normal for each device in the first\n"
            "                          S seconds of capture time (default %d, one\n"
            "                          hour); after it, departures are anomaly events\n"
            "      --ensemble          also score every packet with Kitsune's features\n"
            "                          and autoencoder ensemble, trained in the same\n"
            "                          learning period (not yet on by default)\n"
            "      --model FILE        the ensemble's model from --save-model of an\n"
            "                          earlier run: no ensemble learning (implies\n"
            "                          --ensemble)\n"
            "      --save-model FILE   save the ensemble's model at the end\n"
            "      --indicators FILE   known-bad addresses, networks and domains, one\n"
            "                          per line: `ip A`, `net A/BITS` or `domain NAME`,\n"
            "                          then a note; a match is an alert event\n"
            "      --json              print the summary as one JSON document\n"
            "  -q, --quiet             no progress bar (it is shown only when\n"
            "                          stderr is a terminal)\n"
            "      --flow-memcap SIZE  memory for the flow table, e.g. 64M, 1G\n"
            "                          (default %uM); when full, the flow nearest\n"
            "                          its idle timeout is ended early and counted\n"
            "      --flow-lifetime S   end and restart a flow busy longer than S\n"
            "                          seconds (default %d)\n"
            "      --timeout CLASS=S   idle timeout in seconds of capture time (at\n"
            "                          most %d) for one class: tcp-new (default %d),\n"
            "                          tcp-established (%d), tcp-closed (%d),\n"
            "                          other-new (%d), other-established (%d)\n"
            "  -h, --help              print this help\n",
            ANALYZE_OUT_DEFAULT, OUI_DIR_DEFAULT, BASELINE_LEARN_DEFAULT_S,
            FLOW_MEMCAP_DEFAULT >> 20, FLOW_LIFETIME_MAX,
            FLOW_TIMEOUT_MAX, FLOW_TCP_NEW_TIMEOUT, FLOW_TCP_EST_TIMEOUT, FLOW_TCP_CLOSED_TIMEOUT,
            FLOW_OTHER_NEW_TIMEOUT, FLOW_OTHER_EST_TIMEOUT);
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (s == NULL || *s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0) {
        return -1;
    }
    if (*end == 'K' || *end == 'k') {
        shift = 10;
    } else if (*end == 'M' || *end == 'm') {
        shift = 20;
    } else if (*end == 'G' || *end == 'g') {
        shift = 30;
    }
    if (shift != 0) {
        end++;
    }
    if (*end != '\0' || v > (UINT64_MAX >> shift)) {
        return -1;
    }
    *out = (uint64_t)v << shift;
    return 0;
}

static int parse_timeout(const char *arg, struct flow_config *flow)
{
    static const char *const names[FLOW_LIST_MAX] = {
        "tcp-new", "tcp-established", "tcp-closed", "other-new", "other-established"};
    const char *eq = strchr(arg, '=');
    uint64_t secs;

    if (eq == NULL || cli_parse_u64(eq + 1, 1, FLOW_TIMEOUT_MAX, &secs) < 0) {
        return -1;
    }
    for (int i = 0; i < FLOW_LIST_MAX; i++) {
        if (strlen(names[i]) == (size_t)(eq - arg) && strncmp(names[i], arg, eq - arg) == 0) {
            flow->timeout[i] = (uint32_t)secs;
            return 0;
        }
    }
    return -1;
}

enum {
    OPT_JSON = 256,
    OPT_MEMCAP,
    OPT_LIFETIME,
    OPT_TIMEOUT,
    OPT_RULES,
    OPT_IEEE,
    OPT_FP,
    OPT_LEARN,
    OPT_ENSEMBLE,
    OPT_MODEL,
    OPT_SAVE_MODEL,
    OPT_INDICATORS
};

#define LEARN_MAX_S (10ull * 366 * 86400) /* ten years of capture time */

/* Takes one of the flow-table options. Returns 0, or -1 having said what is wrong. */
static int parse_flow_option(int ch, const char *arg, struct flow_config *flow)
{
    uint64_t v;

    switch (ch) {
    case OPT_MEMCAP:
        if (cli_parse_size(arg, &v) < 0 || v < FLOW_MEMCAP_MIN || v > (64ull << 30)) {
            fprintf(stderr, "wardwatch analyze: --flow-memcap '%s': give a size "
                            "from 64K to 64G, such as 256M\n", arg);
            return -1;
        }
        flow->memcap = (size_t)v;
        return 0;
    case OPT_LIFETIME:
        if (cli_parse_u64(arg, 1, 86400 * 7, &v) < 0) {
            fprintf(stderr, "wardwatch analyze: --flow-lifetime '%s': give seconds "
                            "from 1 to 604800\n", arg);
            return -1;
        }
        flow->lifetime = (uint32_t)v;
        return 0;
    default:
        if (parse_timeout(arg, flow) < 0) {
            fprintf(stderr, "wardwatch analyze: --timeout '%s': give CLASS=SECONDS, "
                            "SECONDS from 1 to %d, CLASS one of tcp-new, "
                            "tcp-established, tcp-closed, other-new, other-established\n",
                    arg, FLOW_TIMEOUT_MAX);
            return -1;
        }
        return 0;
    }
}

/* Returns 0 to run, 1 when help was printed, -1 on a usage error (reported). */
static int parse_args(int argc, char **argv, struct analyze_opts *o)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},   {"json", no_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
        {"flow-memcap", required_argument, NULL, OPT_MEMCAP},
        {"flow-lifetime", required_argument, NULL, OPT_LIFETIME},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"rules", required_argument, NULL, OPT_RULES},
        {"ieee-data", required_argument, NULL, OPT_IEEE},
        {"fingerprints", required_argument, NULL, OPT_FP},
        {"learn", required_argument, NULL, OPT_LEARN},
        {"ensemble", no_argument, NULL, OPT_ENSEMBLE},
        {"model", required_argument, NULL, OPT_MODEL},
        {"save-model", required_argument, NULL, OPT_SAVE_MODEL},
        {"indicators", required_argument, NULL, OPT_INDICATORS},
        {NULL, 0, NULL, 0}};
    int ch;

    o->out_dir = ANALYZE_OUT_DEFAULT;
    o->ieee_dir = OUI_DIR_DEFAULT;
    o->learn_s = BASELINE_LEARN_DEFAULT_S;
    flow_config_default(&o->flow);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
        if (ch == 'o') {
            o->out_dir = optarg;
        } else if (ch == 'q') {
            o->quiet = true;
        } else if (ch == OPT_JSON) {
            o->json = true;
        } else if (ch == OPT_RULES) {
            o->rules_file = optarg;
        } else if (ch == OPT_IEEE) {
            o->ieee_dir = optarg;
        } else if (ch == OPT_FP) {
            o->fingerprints = optarg;
        } else if (ch == OPT_ENSEMBLE || ch == OPT_MODEL || ch == OPT_SAVE_MODEL) {
            o->ensemble = true;
            o->model = ch == OPT_MODEL ? optarg : o->model;
            o->save_model = ch == OPT_SAVE_MODEL ? optarg : o->save_model;
        } else if (ch == OPT_INDICATORS) {
            o->indicators = optarg;
        } else if (ch == OPT_LEARN) {
            if (cli_parse_u64(optarg, 0, LEARN_MAX_S, &o->learn_s) < 0) {
                fprintf(stderr, "wardwatch analyze: --learn '%s': give whole seconds of "
                                "capture time, such as 3600\n", optarg);
                return -1;
            }
        } else if (ch == 'h') {
            analyze_usage(stdout);
            return 1;
        } else if (ch == OPT_MEMCAP || ch == OPT_LIFETIME || ch == OPT_TIMEOUT) {
            if (parse_flow_option(ch, optarg, &o->flow) < 0) {
                return -1;
            }
        } else {
            fprintf(stderr, "wardwatch analyze: see 'wardwatch analyze --help'\n");
            return -1;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "wardwatch analyze: name at least one capture file "
                        "(see 'wardwatch analyze --help')\n");
        return -1;
    }
    if (argc - optind > CAPTURE_FILES_MAX) {
        fprintf(stderr, "wardwatch analyze: %d files given; at most %d at once\n",
                argc - optind, CAPTURE_FILES_MAX);
        return -1;
    }
    o->files = (const char *const *)argv + optind;
    o->n_files = argc - optind;
    return 0;
}

static int make_out_dir(const char *dir)
{
    struct stat st;

    if (mkdir(dir, 0755) == 0) {
        return 0;
    }
    if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        return 0;
    }
    fprintf(stderr, "wardwatch analyze: cannot use output directory '%s': %s\n", dir,
            errno == EEXIST ? "a file of that name is in the way" : strerror(errno));
    return -1;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Redraws the bar on stderr: percent of input bytes read, packets so far. */
static void progress_draw(const struct capture_set *cs, uint64_t pkts, bool done)
{
    uint64_t pos, total;
    double frac;
    int width = 30, filled;

    capture_progress(cs, &pos, &total);
    frac = done ? 1.0 : (total > 0 ? (double)pos / (double)total : 0.0);
    if (frac > 1.0) {
        frac = 1.0;
    }
    filled = (int)(frac * width);
    fprintf(stderr, "\r[%.*s%*s] %3d%%  %llu packets", filled,
            "##############################", width - filled, "", (int)(frac * 100),
            (unsigned long long)pkts);
    if (done) {
        fputc('\n', stderr);
    }
}

struct run_state {
    struct capture_set *cs;
    struct engine *engine;
    struct eve_writer *eve;
    struct rules rules;
    struct oui_table *oui;
    struct inventory *inventory;
    struct fp_model *fp_model;
    struct fp_collector *fp;
    struct baseline *baseline;
    struct alerts *alerts;
    struct ensemble *ensemble;
    struct indicators *indicators;
    struct cred_catalog *credentials;
    struct vuln_catalog *vulns;
    struct lifecycle *lifecycle;
    struct assess *assess;
    struct risk_view risk; /* from the store, once saved */
    bool has_risk;
};

/* Makes the autoencoder ensemble, from a saved model if given. Returns 0, or -1 having said why. */
static int open_ensemble(const struct analyze_opts *o, struct run_state *rs)
{
    char err[512];

    rs->ensemble = ensemble_new(&(struct ensemble_config){o->learn_s * 1000000u, o->model,
                                                          rs->eve},
                                err, sizeof(err));
    if (rs->ensemble == NULL) {
        fprintf(stderr, "wardwatch analyze: %s%s\n", o->model != NULL ? "--model " : "", err);
        return -1;
    }
    return 0;
}

/* Loads the fingerprint model, if one was given. Returns 0, or -1 having said why. */
static int open_fingerprints(const struct analyze_opts *o, struct run_state *rs)
{
    char err[512];

    if (o->fingerprints == NULL) {
        return 0;
    }
    rs->fp_model = fp_model_load(o->fingerprints, err, sizeof(err));
    if (rs->fp_model == NULL) {
        fprintf(stderr, "wardwatch analyze: %s\n", err);
        return -1;
    }
    rs->fp = fp_collector_new();
    if (rs->fp == NULL) {
        fprintf(stderr, "wardwatch analyze: out of memory\n");
        return -1;
    }
    return 0;
}

struct fp_apply {
    struct run_state *rs;
    uint64_t ts_us;
};

/* Hands one device's learned type, and why, to the inventory. */
static void apply_fingerprint(void *arg, const uint8_t mac[6], const struct fp_device *d)
{
    struct fp_apply *a = arg;
    struct fp_result r;

    if (!fp_model_identify(a->rs->fp_model, d, &r)) {
        return;
    }
    inventory_add(a->rs->inventory, a->ts_us, mac, "fingerprint.label", r.label);
    for (int i = 0; i < r.n_evidence; i++) {
        inventory_add(a->rs->inventory, a->ts_us, mac, "fingerprint.reason", r.evidence[i]);
    }
}

/* At the end of input: every device the model can name gets its type as evidence. */
static void apply_fingerprints(struct run_state *rs)
{
    struct fp_apply a = {rs, 0};
    uint64_t first;

    if (rs->fp == NULL) {
        return;
    }
    engine_time_span(rs->engine, &first, &a.ts_us);
    fp_collector_each(rs->fp, apply_fingerprint, &a);
}

/* The path of a shipped data file. Returns 0, or -1 having said why. */
static int find_data(const char *name, char *path, size_t len)
{
    if (rules_find_data(name, path, len) < 0) {
        fprintf(stderr, "wardwatch analyze: cannot find data/%s; set WARDWATCH_DATA to the "
                        "directory holding it\n", name);
        return -1;
    }
    return 0;
}

/* Reads the shipped rules and the user's. Returns 0, or -1 having said why. */
static int load_rules(const struct analyze_opts *o, struct rules *r)
{
    char path[PATH_LEN_MAX], err[RULES_ERROR_LEN];

    if (find_data(RULES_FILE_DEFAULT, path, sizeof(path)) < 0) {
        return -1;
    }
    if (rules_load(r, path, err) < 0 || (o->rules_file != NULL &&
                                         rules_load(r, o->rules_file, err) < 0)) {
        fprintf(stderr, "wardwatch analyze: %s\n", err);
        return -1;
    }
    return 0;
}

#define ANALYZE_PATHS 5 /* attack paths the summary shows */
#define CREDENTIALS_FILE "default-credentials.conf"
#define VULNS_FILE "vulnerabilities.conf"
#define LIFECYCLE_FILE "software-lifecycle.conf"

/* Merges the vulnerability files imported into DIR/wardwatch.db before (`wardwatch vulns`). */
static int apply_stored_imports(const struct analyze_opts *o, struct vuln_catalog *c)
{
    char path[PATH_LEN_MAX], err[STORE_ERROR_LEN];
    struct ww_store *st;
    int rc;

    snprintf(path, sizeof(path), "%s/wardwatch.db", o->out_dir);
    if (access(path, F_OK) != 0) {
        return 0;
    }
    if (store_open_existing(path, &st, err) < 0) {
        fprintf(stderr, "wardwatch analyze: %s\n", err);
        return -1;
    }
    rc = store_apply_vuln_imports(st, c, err);
    store_close(st);
    if (rc < 0) {
        fprintf(stderr, "wardwatch analyze: %s: %s\n", path, err);
        return -1;
    }
    return 0;
}

/* The catalogs of default credentials and vulnerabilities, and the findings. */
static int open_assess(const struct analyze_opts *o, struct run_state *rs)
{
    char path[PATH_LEN_MAX], err[CRED_ERROR_LEN], verr[VULN_ERROR_LEN];

    if (find_data(CREDENTIALS_FILE, path, sizeof(path)) < 0) {
        return -1;
    }
    rs->credentials = cred_load(path, err);
    if (rs->credentials == NULL) {
        fprintf(stderr, "wardwatch analyze: %s\n", err);
        return -1;
    }
    if (find_data(VULNS_FILE, path, sizeof(path)) < 0) {
        return -1;
    }
    rs->vulns = vuln_load(path, verr);
    if (rs->vulns == NULL) {
        fprintf(stderr, "wardwatch analyze: %s\n", verr);
        return -1;
    }
    if (apply_stored_imports(o, rs->vulns) < 0) {
        return -1;
    }
    if (find_data(LIFECYCLE_FILE, path, sizeof(path)) < 0) {
        return -1;
    }
    rs->lifecycle = lifecycle_load(path, verr);
    if (rs->lifecycle == NULL) {
        fprintf(stderr, "wardwatch analyze: %s\n", verr);
        return -1;
    }
    rs->assess = assess_new(&(struct assess_config){rs->inventory, rs->eve, rs->credentials,
                                                     rs->vulns, rs->lifecycle});
    if (rs->assess == NULL) {
        fprintf(stderr, "wardwatch analyze: out of memory\n");
        return -1;
    }
    return 0;
}

/* Rules, vendor names and the inventory. Returns 0, or -1 having said why. */
static int open_inventory(const struct analyze_opts *o, struct run_state *rs)
{
    char err[OUI_ERROR_LEN];
    struct inv_config ic;

    if (load_rules(o, &rs->rules) < 0) {
        return -1;
    }
    rs->oui = oui_load(o->ieee_dir, err);
    if (rs->oui == NULL) {
        fprintf(stderr, "wardwatch analyze: warning: no vendor names from MAC addresses: %s\n",
                err);
    }
    ic = (struct inv_config){&rs->rules, rs->oui, rs->eve};
    rs->inventory = inventory_new(&ic);
    if (rs->inventory == NULL) {
        fprintf(stderr, "wardwatch analyze: out of memory\n");
        return -1;
    }
    return 0;
}

static void close_inventory(struct run_state *rs)
{
    fp_collector_free(rs->fp);
    fp_model_free(rs->fp_model);
    inventory_free(rs->inventory);
    oui_free(rs->oui);
    rules_free(&rs->rules);
}

/* Writes the inventory to DIR/wardwatch.db. Returns 0, or -1 having said why. */
static int save_inventory(const struct analyze_opts *o, struct run_state *rs)
{
    char path[PATH_LEN_MAX], err[STORE_ERROR_LEN];
    struct ww_store *st;
    int rc;

    snprintf(path, sizeof(path), "%s/wardwatch.db", o->out_dir);
    if (store_open(path, &st, err) < 0) {
        fprintf(stderr, "wardwatch analyze: %s\n", err);
        return -1;
    }
    rc = store_save_devices(st, rs->inventory, err);
    if (rc >= 0) {
        rc = store_save_findings(st, rs->assess, rs->inventory, err);
    }
    if (rc >= 0) {
        rc = store_save_risk_inputs(st, rs->assess, rs->alerts, rs->inventory, err);
    }
    if (rc >= 0 && risk_view_load(&rs->risk, st, ANALYZE_PATHS, err) == 0) {
        rs->has_risk = true;
    } else if (rc >= 0) {
        rc = -1;
    }
    store_close(st);
    if (rc < 0) {
        fprintf(stderr, "wardwatch analyze: %s: %s\n", path, err);
        return -1;
    }
    inventory_mark_saved(rs->inventory);
    return 0;
}

static void read_all(struct run_state *rs, bool progress)
{
    struct ww_packet p;
    uint64_t n = 0;
    double last_draw = now_s();

    while (capture_next(rs->cs, &p) == 1) {
        engine_packet(rs->engine, &p);
        if (!progress || ++n % PROGRESS_EVERY_PKTS != 0) {
            continue;
        }
        if (now_s() - last_draw > PROGRESS_INTERVAL_S) {
            last_draw = now_s();
            progress_draw(rs->cs, n, false);
        }
    }
    engine_finish(rs->engine);
    if (progress) {
        progress_draw(rs->cs, engine_decode_stats(rs->engine)->pkts, true);
    }
}

static void report_failed_files(const struct capture_set *cs, int *n_failed)
{
    *n_failed = 0;
    for (int i = 0; i < capture_file_count(cs); i++) {
        const struct capture_file_info *fi = capture_file(cs, i);

        if (fi->failed) {
            fprintf(stderr, "wardwatch analyze: %s: %s\n", fi->path, fi->error);
            (*n_failed)++;
        }
    }
}

/* Saves the ensemble's model (--save-model). Returns 0, or -1 having said why. */
static int save_model(const struct analyze_opts *o, const struct run_state *rs)
{
    if (ensemble_stats(rs->ensemble).phase == KITNET_MAPPING) {
        fprintf(stderr, "wardwatch analyze: --save-model %s: nothing saved: the ensemble had "
                        "not built its feature map (it needs %d IP packets within --learn); "
                        "give a longer capture or a longer --learn\n",
                o->save_model, ENSEMBLE_MAP_PACKETS);
        return -1;
    }
    if (ensemble_save(rs->ensemble, o->save_model) < 0) {
        fprintf(stderr, "wardwatch analyze: --save-model %s: %s\n", o->save_model,
                strerror(errno));
        return -1;
    }
    return 0;
}

static int finish_run(struct analyze_opts *o, struct run_state *rs, char *eve_path,
                      double t0)
{
    struct analyze_result r = {0};
    struct rusage ru;
    int rc;

    if (save_inventory(o, rs) < 0) {
        return WW_EXIT_INTERNAL;
    }
    if (o->save_model != NULL && save_model(o, rs) < 0) {
        return WW_EXIT_INPUT;
    }
    r.wall_s = now_s() - t0;
    engine_log_stats(rs->engine, r.wall_s);
    r.eve = *eve_writer_stats(rs->eve);
    rc = eve_close(rs->eve);
    rs->eve = NULL;
    if (rc < 0) {
        fprintf(stderr, "wardwatch analyze: writing %s failed: %s\n", eve_path, strerror(-rc));
        return WW_EXIT_INTERNAL;
    }
    getrusage(RUSAGE_SELF, &ru);
    r.peak_rss = (uint64_t)ru.ru_maxrss * 1024;
    r.captures = rs->cs;
    r.engine = rs->engine;
    r.inventory = rs->inventory;
    r.baseline = rs->baseline;
    r.alerts = rs->alerts;
    r.ensemble = rs->ensemble;
    r.indicators = rs->indicators;
    r.assess = rs->assess;
    r.risk = rs->has_risk ? &rs->risk : NULL;
    r.eve_path = eve_path;
    report_failed_files(rs->cs, &r.n_failed);
    if (o->json) {
        if (summary_print_json(stdout, &r) < 0) {
            return WW_EXIT_INTERNAL;
        }
    } else {
        summary_print_text(stdout, &r);
    }
    return r.n_failed > 0 ? WW_EXIT_INPUT : WW_EXIT_OK;
}

static int run(struct analyze_opts *o)
{
    struct run_state rs = {0};
    struct engine_config ec = {0};
    char eve_path[PATH_LEN_MAX];
    double t0 = now_s();
    int rc = WW_EXIT_INTERNAL;

    if (make_out_dir(o->out_dir) < 0) {
        return WW_EXIT_INPUT;
    }
    snprintf(eve_path, sizeof(eve_path), "%s/eve.json", o->out_dir);
    rs.eve = eve_open(eve_path);
    if (rs.eve == NULL) {
        fprintf(stderr, "wardwatch analyze: cannot write %s: %s\n", eve_path, strerror(errno));
        return WW_EXIT_INPUT;
    }
    if (open_inventory(o, &rs) < 0 || open_fingerprints(o, &rs) < 0 || open_assess(o, &rs) < 0) {
        rc = WW_EXIT_INPUT;
        goto out;
    }
    ec.flow = o->flow;
    ec.file_names = o->files;
    ec.inventory = rs.inventory;
    ec.fingerprints = rs.fp;
    ec.assess = rs.assess;
    rs.alerts = alerts_new(rs.inventory, rs.eve);
    rs.baseline = baseline_new(&(struct baseline_config){
        .learn_us = o->learn_s * 1000000u, .inv = rs.inventory, .eve = rs.eve,
        .alerts = rs.alerts});
    ec.baseline = rs.baseline;
    if (o->ensemble && open_ensemble(o, &rs) < 0) {
        rc = WW_EXIT_INPUT;
        goto out;
    }
    ec.ensemble = rs.ensemble;
    if (o->indicators != NULL) {
        char err[INDICATORS_ERROR_LEN];

        rs.indicators = indicators_load(o->indicators, rs.eve, err);
        if (rs.indicators == NULL) {
            fprintf(stderr, "wardwatch analyze: --indicators %s\n", err);
            rc = WW_EXIT_INPUT;
            goto out;
        }
    }
    ec.indicators = rs.indicators;
    rs.cs = capture_open(o->files, o->n_files);
    rs.engine = engine_new(&ec, rs.eve);
    if (rs.cs == NULL || rs.engine == NULL || rs.baseline == NULL || rs.alerts == NULL) {
        fprintf(stderr, "wardwatch analyze: out of memory (flow memcap %zu bytes); "
                        "try a smaller --flow-memcap\n", o->flow.memcap);
        goto out;
    }
    read_all(&rs, !o->quiet && isatty(STDERR_FILENO));
    alerts_finish(rs.alerts);
    apply_fingerprints(&rs);
    assess_finish(rs.assess);
    rc = finish_run(o, &rs, eve_path, t0);
out:
    eve_close(rs.eve);
    engine_free(rs.engine);
    baseline_free(rs.baseline);
    alerts_free(rs.alerts);
    ensemble_free(rs.ensemble);
    indicators_free(rs.indicators);
    if (rs.has_risk) {
        risk_view_free(&rs.risk);
    }
    assess_free(rs.assess);
    cred_free(rs.credentials);
    vuln_free(rs.vulns);
    lifecycle_free(rs.lifecycle);
    close_inventory(&rs);
    capture_close(rs.cs);
    return rc;
}

int cli_analyze(int argc, char **argv)
{
    struct analyze_opts o = {0};
    int rc = parse_args(argc, argv, &o);

    if (rc != 0) {
        return rc > 0 ? WW_EXIT_OK : WW_EXIT_INPUT;
    }
    return run(&o);
}
