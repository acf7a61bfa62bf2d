/* SPDX-License-Identifier: MIT */
/* fingerprint: `wardwatch fingerprint train|identify`, learned device-type fingerprints. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "capture/capture.h"
#include "cli/cli.h"
#include "decode/decode.h"
#include "inventory/fingerprint.h"

#define FP_ERR_LEN 512

static void fingerprint_usage(FILE *out)
{
    fputs("usage: wardwatch fingerprint <train|identify> [options]\n"
          "\n"
          "  train -o MODEL LABELS.csv\n"
          "        learn device types from labelled captures; LABELS.csv has the\n"
          "        header path,mac,label and one capture a row (relative paths are\n"
          "        taken from the CSV's folder)\n"
          "  identify --model MODEL [--json] CAPTURE...\n"
          "        name the type of every device that sends in each capture, with\n"
          "        a confidence and the evidence that decided it; 'unknown' below\n"
          "        the model's threshold\n",
          out);
}

/*
 * Feeds every packet of one capture file to a new collector. Returns the
 * collector (caller frees) or NULL with the reason in err.
 */
static struct fp_collector *collect_file(const char *path, bool keep_text, char *err,
                                         size_t err_len)
{
    const char *paths[1] = {path};
    struct capture_set *cs = capture_open(paths, 1);
    struct fp_collector *c = fp_collector_new();
    struct decode_stats ds;
    struct ww_packet p;

    if (cs == NULL || c == NULL) {
        snprintf(err, err_len, "%s: out of memory", path);
        goto fail;
    }
    if (keep_text) {
        fp_collector_keep_text(c);
    }
    memset(&ds, 0, sizeof(ds));
    while (capture_next(cs, &p) == 1) {
        if (decode_packet(&ds, &p) == DECODE_EV_MAX) {
            fp_collector_packet(c, &p);
        }
    }
    if (capture_file(cs, 0)->failed) {
        snprintf(err, err_len, "%s: %s", path, capture_file(cs, 0)->error);
        goto fail;
    }
    capture_close(cs);
    return c;
fail:
    capture_close(cs);
    fp_collector_free(c);
    return NULL;
}

/* Adds each labelled capture's device to the trainer; counts rows skipped. */
static int train_rows(struct fp_trainer *t, const struct fp_label_row *rows, size_t n,
                      const char *csv, int *n_skipped)
{
    char err[FP_ERR_LEN];

    for (size_t i = 0; i < n; i++) {
        struct fp_collector *c = collect_file(rows[i].path, true, err, sizeof(err));
        const struct fp_device *d;

        if (c == NULL) {
            fprintf(stderr, "wardwatch fingerprint: %s:%d: %s; row skipped\n", csv,
                    rows[i].line, err);
            (*n_skipped)++;
            continue;
        }
        d = fp_collector_find(c, rows[i].mac);
        if (d == NULL) {
            fprintf(stderr, "wardwatch fingerprint: %s:%d: no packet from that MAC in %s; "
                    "row skipped\n", csv, rows[i].line, rows[i].path);
            (*n_skipped)++;
        } else if (fp_trainer_add(t, rows[i].label, c, d) < 0) {
            fp_collector_free(c);
            fprintf(stderr, "wardwatch fingerprint: out of memory or over the limits\n");
            return -1;
        }
        fp_collector_free(c);
    }
    return 0;
}

static int cmd_train(int argc, char **argv)
{
    const char *out = NULL, *csv = NULL;
    struct fp_label_row *rows = NULL;
    size_t n_rows = 0;
    struct fp_trainer *t = NULL;
    struct fp_model *m = NULL;
    struct fp_train_report rep;
    char err[FP_ERR_LEN];
    int n_skipped = 0, rc = WW_EXIT_INPUT;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fingerprint_usage(stdout);
            return WW_EXIT_OK;
        } else if (argv[i][0] != '-' && csv == NULL) {
            csv = argv[i];
        } else {
            fprintf(stderr, "wardwatch fingerprint train: unexpected '%s'\n", argv[i]);
            return WW_EXIT_INPUT;
        }
    }
    if (out == NULL || csv == NULL) {
        fprintf(stderr, "usage: wardwatch fingerprint train -o MODEL LABELS.csv\n");
        return WW_EXIT_INPUT;
    }
    if (fp_labels_read(csv, &rows, &n_rows, err, sizeof(err)) < 0) {
        fprintf(stderr, "wardwatch fingerprint: %s\n", err);
        return WW_EXIT_INPUT;
    }
    t = fp_trainer_new();
    if (t == NULL || train_rows(t, rows, n_rows, csv, &n_skipped) < 0) {
        rc = WW_EXIT_INTERNAL;
        goto out;
    }
    m = fp_trainer_finish(t, &rep, err, sizeof(err));
    if (m == NULL || fp_model_save(m, out, err, sizeof(err)) < 0) {
        fprintf(stderr, "wardwatch fingerprint: %s\n", err);
        goto out;
    }
    printf("trained %d devices of %d types, %d tokens; leave-one-out accuracy %.3f; "
           "alpha %g, temperature %g; threshold %.4f (precision %.3f, coverage %.3f)\n",
           rep.n_docs, rep.n_labels, rep.n_tokens, rep.loo_accuracy, rep.alpha,
           rep.temperature, rep.threshold, rep.loo_precision, rep.loo_coverage);
    rc = n_skipped > 0 ? WW_EXIT_INPUT : WW_EXIT_OK;
out:
    fp_model_free(m);
    fp_trainer_free(t);
    fp_labels_free(rows, n_rows);
    return rc;
}

struct identify_ctx {
    const struct fp_model *m;
    const char *file;
    bool json;
};

static void format_mac(const uint8_t mac[6], char out[18])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

static void print_json(const struct identify_ctx *x, const char *mac, const struct fp_device *d,
                       const struct fp_result *r)
{
    json_t *o = json_object(), *ev = json_array();
    char *s;

    json_object_set_new(o, "file", json_string(x->file));
    json_object_set_new(o, "mac", json_string(mac));
    json_object_set_new(o, "label", json_string(r->label));
    json_object_set_new(o, "confidence", json_real(r->confidence));
    json_object_set_new(o, "best", json_string(r->best));
    json_object_set_new(o, "packets", json_integer((json_int_t)fp_device_packets(d)));
    for (int i = 0; i < r->n_evidence; i++) {
        json_array_append_new(ev, json_string(r->evidence[i]));
    }
    json_object_set_new(o, "evidence", ev);
    s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
    if (s != NULL) {
        puts(s);
        free(s);
    }
    json_decref(o);
}

static void identify_one(void *arg, const uint8_t mac[6], const struct fp_device *d)
{
    const struct identify_ctx *x = arg;
    struct fp_result r;
    char text[18];

    fp_model_identify(x->m, d, &r);
    format_mac(mac, text);
    if (x->json) {
        print_json(x, text, d, &r);
        return;
    }
    printf("%s  %s  %-20s %.3f", x->file, text, r.label, r.confidence);
    if (strcmp(r.label, "unknown") == 0 && strcmp(r.best, "unknown") != 0) {
        printf("  (nearest %s)", r.best);
    }
    if (r.n_evidence > 0) {
        printf("  %s", r.evidence[0]);
    }
    putchar('\n');
}

static int cmd_identify(int argc, char **argv)
{
    const char *model = NULL;
    struct identify_ctx x = {0};
    char err[FP_ERR_LEN];
    int first = 0, rc = WW_EXIT_OK;

    for (int i = 1; i < argc && first == 0; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            model = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            x.json = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fingerprint_usage(stdout);
            return WW_EXIT_OK;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "wardwatch fingerprint identify: unknown option '%s'\n", argv[i]);
            return WW_EXIT_INPUT;
        } else {
            first = i;
        }
    }
    if (model == NULL || first == 0) {
        fprintf(stderr, "usage: wardwatch fingerprint identify --model MODEL [--json] "
                "CAPTURE...\n");
        return WW_EXIT_INPUT;
    }
    x.m = fp_model_load(model, err, sizeof(err));
    if (x.m == NULL) {
        fprintf(stderr, "wardwatch fingerprint: %s\n", err);
        return WW_EXIT_INPUT;
    }
    for (int i = first; i < argc; i++) {
        struct fp_collector *c = collect_file(argv[i], false, err, sizeof(err));

        if (c == NULL) {
            fprintf(stderr, "wardwatch fingerprint: %s\n", err);
            rc = WW_EXIT_INPUT;
            continue;
        }
        x.file = argv[i];
        fp_collector_each(c, identify_one, &x);
        fp_collector_free(c);
    }
    fp_model_free((struct fp_model *)x.m);
    return rc;
}

int cli_fingerprint(int argc, char **argv)
{
    if (argc < 2) {
        fingerprint_usage(stderr);
        return WW_EXIT_INPUT;
    }
    if (strcmp(argv[1], "train") == 0) {
        return cmd_train(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "identify") == 0) {
        return cmd_identify(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fingerprint_usage(stdout);
        return WW_EXIT_OK;
    }
    fprintf(stderr, "wardwatch fingerprint: unknown command '%s' (train, identify)\n", argv[1]);
    return WW_EXIT_INPUT;
}
