/* SPDX-License-Identifier: MIT */
/* keystroke_eval: `wardwatch keystroke eval`, every detector's EER on a fixed-text dataset. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/keystroke.h"
#include "cli/cli.h"

#define EVAL_TRAIN_DEFAULT 25    /* enrolment repetitions per subject */
#define EVAL_IMPOSTORS_DEFAULT 5 /* repetitions taken from every other subject */
#define EVAL_SKIPPED_SHOWN 10    /* skipped subjects named on stderr */
#define EVAL_PREFIX "wardwatch keystroke eval: "

struct eval_opts {
    const char *path;
    size_t n_train;
    size_t n_impostors;
    bool json;
};

/* One detector's equal-error rate per subject; NAN for a skipped subject. */
struct eval_result {
    const struct keystroke_detector_ops *ops;
    double *eer;
    double mean;
    double sd; /* sample sd over evaluated subjects */
};

static void eval_usage(FILE *out)
{
    fprintf(out,
            "usage: wardwatch keystroke eval FILE.csv [--train N] [--impostors N] [--json]\n"
            "\n"
            "Reads a fixed-text timing table in the CMU keystroke benchmark's layout\n"
            "(header subject,sessionIndex,rep, then H.*, DD.*, UD.* columns in seconds).\n"
            "Per subject, every detector trains on the first N repetitions, scores the\n"
            "rest as genuine and the first M repetitions of every other subject as\n"
            "impostors. Prints each detector's mean equal-error rate and its standard\n"
            "deviation over subjects, then 'EER 0.xxxx' for wardwatch's detector.\n"
            "A bad row is named as FILE:LINE on stderr and skipped.\n"
            "\n"
            "options:\n"
            "      --train N      enrolment repetitions per subject (default %d, at least %d)\n"
            "      --impostors M  repetitions of each other subject (default %d)\n"
            "      --json         print one JSON document instead of the table\n"
            "  -h, --help         print this help\n",
            EVAL_TRAIN_DEFAULT, KEYSTROKE_WW_TRAIN_MIN, EVAL_IMPOSTORS_DEFAULT);
}

enum { OPT_TRAIN = 256, OPT_IMPOSTORS, OPT_JSON };

/* Returns 0 to run, 1 when help was printed, -1 on a usage error (reported). */
static int eval_parse_args(int argc, char **argv, struct eval_opts *o)
{
    static const struct option longopts[] = {{"train", required_argument, NULL, OPT_TRAIN},
                                             {"impostors", required_argument, NULL, OPT_IMPOSTORS},
                                             {"json", no_argument, NULL, OPT_JSON},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    uint64_t v;
    int ch;

    o->n_train = EVAL_TRAIN_DEFAULT;
    o->n_impostors = EVAL_IMPOSTORS_DEFAULT;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (ch == 'h') {
            eval_usage(stdout);
            return 1;
        }
        if (ch == OPT_JSON) {
            o->json = true;
        } else if (ch == OPT_TRAIN &&
                   cli_parse_u64(optarg, KEYSTROKE_WW_TRAIN_MIN, KEYSTROKE_TRAIN_MAX, &v) == 0) {
            o->n_train = (size_t)v;
        } else if (ch == OPT_IMPOSTORS && cli_parse_u64(optarg, 1, KEYSTROKE_TRAIN_MAX, &v) == 0) {
            o->n_impostors = (size_t)v;
        } else if (ch == OPT_TRAIN || ch == OPT_IMPOSTORS) {
            fprintf(stderr, EVAL_PREFIX "--%s '%s': give a whole number from %d to %d\n",
                    ch == OPT_TRAIN ? "train" : "impostors", optarg,
                    ch == OPT_TRAIN ? KEYSTROKE_WW_TRAIN_MIN : 1, KEYSTROKE_TRAIN_MAX);
            return -1;
        } else {
            fprintf(stderr, EVAL_PREFIX "see 'wardwatch keystroke eval --help'\n");
            return -1;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, EVAL_PREFIX "name one CSV file (see 'wardwatch keystroke eval --help')\n");
        return -1;
    }
    o->path = argv[optind];
    return 0;
}

/* Impostor samples for subject s: the first M rows of every other subject. */
static double *eval_impostors(const struct keystroke_dataset *ds, size_t s, size_t m, size_t *n_out)
{
    size_t d = ds->n_features;
    size_t n = 0;
    double *x;

    for (size_t t = 0; t < ds->n_subjects; t++) {
        n += t == s ? 0 : (ds->subject_rows[t] < m ? ds->subject_rows[t] : m);
    }
    *n_out = n;
    x = malloc((n > 0 ? n : 1) * d * sizeof(double));
    if (x == NULL) {
        return NULL;
    }
    n = 0;
    for (size_t t = 0; t < ds->n_subjects; t++) {
        size_t k = t == s ? 0 : (ds->subject_rows[t] < m ? ds->subject_rows[t] : m);

        memcpy(x + n * d, ds->x + ds->subject_first[t] * d, k * d * sizeof(double));
        n += k;
    }
    return x;
}

/* Scores rows x (n x d) with det into out. Returns 0 or negative. */
static int eval_score_rows(const struct keystroke_detector *det, const double *x, size_t n,
                           double *out)
{
    for (size_t i = 0; i < n; i++) {
        int rc = keystroke_detector_score(det, x + i * det->d, &out[i]);

        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

/* EER of one detector on one subject: trains, scores genuine and impostors. */
static int eval_subject(const struct keystroke_dataset *ds, const struct eval_opts *o,
                        const struct keystroke_detector_ops *ops, size_t s, const double *imp,
                        size_t n_imp, double *scores, double *eer)
{
    struct keystroke_detector det = {0};
    size_t d = ds->n_features;
    const double *mine = ds->x + ds->subject_first[s] * d;
    size_t n_gen = ds->subject_rows[s] - o->n_train;
    int rc;

    rc = keystroke_detector_train(&det, ops, mine, o->n_train, d);
    if (rc < 0) {
        return rc;
    }
    rc = eval_score_rows(&det, mine + o->n_train * d, n_gen, scores);
    if (rc == 0) {
        rc = eval_score_rows(&det, imp, n_imp, scores + n_gen);
    }
    if (rc == 0) {
        rc = keystroke_eer(scores, n_gen, scores + n_gen, n_imp, eer);
    }
    keystroke_detector_release(&det);
    return rc;
}

/* Mean and sample sd of the evaluated subjects' EERs (NAN entries skipped). */
static void eval_summarize(struct eval_result *r, size_t n)
{
    double sum = 0.0;
    double sq = 0.0;
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (!isnan(r->eer[i])) {
            sum += r->eer[i];
            k++;
        }
    }
    r->mean = k > 0 ? sum / (double)k : NAN;
    for (size_t i = 0; i < n; i++) {
        if (!isnan(r->eer[i])) {
            sq += (r->eer[i] - r->mean) * (r->eer[i] - r->mean);
        }
    }
    r->sd = k > 1 ? sqrt(sq / (double)(k - 1)) : 0.0;
}

/* Runs every detector on every subject with enough repetitions. */
static int eval_run(const struct keystroke_dataset *ds, const struct eval_opts *o,
                    struct eval_result *res, size_t n_det)
{
    int rc = 0;

    for (size_t s = 0; s < ds->n_subjects && rc == 0; s++) {
        size_t n_imp = 0;
        double *imp = NULL;
        double *scores = NULL;
        bool skip = ds->subject_rows[s] <= o->n_train;

        for (size_t k = 0; k < n_det; k++) {
            res[k].eer[s] = NAN;
        }
        if (skip) {
            continue;
        }
        imp = eval_impostors(ds, s, o->n_impostors, &n_imp);
        scores = malloc((ds->subject_rows[s] + n_imp) * sizeof(double));
        rc = (imp == NULL || scores == NULL) ? -ENOMEM : 0;
        for (size_t k = 0; k < n_det && rc == 0 && n_imp > 0; k++) {
            rc = eval_subject(ds, o, res[k].ops, s, imp, n_imp, scores, &res[k].eer[s]);
        }
        free(scores);
        free(imp);
    }
    for (size_t k = 0; k < n_det; k++) {
        eval_summarize(&res[k], ds->n_subjects);
    }
    return rc;
}

static void eval_print_text(const struct keystroke_dataset *ds, const struct eval_opts *o,
                            const struct eval_result *res, size_t n_det, size_t n_eval)
{
    printf("%s: %zu of %zu subjects evaluated, %zu rows, %zu features; "
           "train %zu, impostors %zu per other subject\n",
           o->path, n_eval, ds->n_subjects, ds->n_rows, ds->n_features, o->n_train, o->n_impostors);
    printf("%-22s %9s %8s\n", "detector", "mean EER", "sd");
    for (size_t k = 0; k < n_det; k++) {
        printf("%-22s %9.4f %8.4f\n", res[k].ops->name, res[k].mean, res[k].sd);
    }
    printf("EER %.4f\n", res[n_det - 1].mean);
}

/* One detector's JSON object: name, summary, mean, sd and the per-subject EERs. */
static json_t *eval_json_detector(const struct keystroke_dataset *ds, const struct eval_result *r)
{
    json_t *per = json_object();

    for (size_t s = 0; per != NULL && s < ds->n_subjects; s++) {
        if (!isnan(r->eer[s])) {
            json_object_set_new(per, ds->subjects[s], json_real(r->eer[s]));
        }
    }
    return json_pack("{s:s, s:s, s:f, s:f, s:o*}", "name", r->ops->name, "summary", r->ops->summary,
                     "mean_eer", r->mean, "sd_eer", r->sd, "per_subject", per);
}

static int eval_print_json(const struct keystroke_dataset *ds, const struct eval_opts *o,
                           const struct eval_result *res, size_t n_det, size_t n_eval)
{
    json_t *dets = json_array();
    json_t *doc;
    int rc;

    for (size_t k = 0; dets != NULL && k < n_det; k++) {
        json_array_append_new(dets, eval_json_detector(ds, &res[k]));
    }
    doc = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o*, s:s, s:f}", "file", o->path,
                    "subjects", (json_int_t)ds->n_subjects, "subjects_evaluated",
                    (json_int_t)n_eval, "rows", (json_int_t)ds->n_rows, "bad_rows",
                    (json_int_t)ds->n_bad, "features", (json_int_t)ds->n_features, "train",
                    (json_int_t)o->n_train, "impostors", (json_int_t)o->n_impostors, "detectors",
                    dets, "eer_detector", res[n_det - 1].ops->name, "eer", res[n_det - 1].mean);
    if (doc == NULL) {
        return -ENOMEM;
    }
    rc = json_dumpf(doc, stdout, JSON_INDENT(2));
    json_decref(doc);
    if (rc == 0) {
        fputc('\n', stdout);
    }
    return rc < 0 ? -EIO : 0;
}

/* Subjects that can be evaluated; when some but not all are not, one line names them. */
static size_t eval_check_subjects(const struct keystroke_dataset *ds, size_t n_train)
{
    size_t n = 0;
    size_t shown = 0;

    for (size_t s = 0; s < ds->n_subjects; s++) {
        n += ds->subject_rows[s] > n_train ? 1 : 0;
    }
    if (n == 0 || n == ds->n_subjects) {
        return n;
    }
    fprintf(stderr,
            EVAL_PREFIX "%zu subjects skipped, with no more repetitions than --train "
                        "%zu:",
            ds->n_subjects - n, n_train);
    for (size_t s = 0; s < ds->n_subjects; s++) {
        if (ds->subject_rows[s] > n_train) {
            continue;
        }
        if (shown++ == EVAL_SKIPPED_SHOWN) {
            fputs(" ...", stderr);
            break;
        }
        fprintf(stderr, " %s (%zu)", ds->subjects[s], ds->subject_rows[s]);
    }
    fputc('\n', stderr);
    return n;
}

static int eval_report(const struct keystroke_dataset *ds, const struct eval_opts *o, size_t n_eval)
{
    size_t n_det;
    const struct keystroke_detector_ops *const *all = keystroke_detectors(&n_det);
    struct eval_result *res = calloc(n_det, sizeof(*res));
    int rc = res == NULL ? -ENOMEM : 0;

    for (size_t k = 0; rc == 0 && k < n_det; k++) {
        res[k].ops = all[k];
        res[k].eer = malloc(ds->n_subjects * sizeof(double));
        rc = res[k].eer == NULL ? -ENOMEM : 0;
    }
    if (rc == 0) {
        rc = eval_run(ds, o, res, n_det);
    }
    if (rc == 0 && o->json) {
        rc = eval_print_json(ds, o, res, n_det, n_eval);
    } else if (rc == 0) {
        eval_print_text(ds, o, res, n_det, n_eval);
    }
    if (rc < 0) {
        fprintf(stderr, EVAL_PREFIX "%s: evaluation failed: %s\n", o->path, strerror(-rc));
    }
    for (size_t k = 0; res != NULL && k < n_det; k++) {
        free(res[k].eer);
    }
    free(res);
    return rc < 0 ? WW_EXIT_INTERNAL : WW_EXIT_OK;
}

int cli_keystroke_eval(int argc, char **argv)
{
    struct eval_opts o = {0};
    struct keystroke_dataset ds;
    size_t n_eval;
    int rc = eval_parse_args(argc, argv, &o);

    if (rc != 0) {
        return rc > 0 ? WW_EXIT_OK : WW_EXIT_INPUT;
    }
    rc = keystroke_dataset_load(o.path, &ds, stderr);
    if (rc < 0) {
        fprintf(stderr, EVAL_PREFIX "%s\n", ds.error);
        keystroke_dataset_free(&ds);
        return rc == -ENOMEM ? WW_EXIT_INTERNAL : WW_EXIT_INPUT;
    }
    n_eval = eval_check_subjects(&ds, o.n_train);
    if (n_eval == 0 || ds.n_subjects < 2) {
        fprintf(stderr, EVAL_PREFIX "%s: %s\n", o.path,
                n_eval == 0 ? "no subject has more repetitions than --train; lower it"
                            : "impostors need at least two subjects");
        keystroke_dataset_free(&ds);
        return WW_EXIT_INPUT;
    }
    rc = eval_report(&ds, &o, n_eval);
    keystroke_dataset_free(&ds);
    return rc;
}
