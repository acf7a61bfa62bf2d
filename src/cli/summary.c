/* SPDX-License-Identifier: MIT */
/* summary: what `wardwatch analyze` prints at the end, as text or JSON. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli/analyze.h"
#include "output/json.h"

/* 1234567 -> "1,234,567" */
static const char *grouped(uint64_t v, char *buf, size_t len)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
    size_t o = 0;

    for (int i = 0; i < n && o + 2 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0) {
            buf[o++] = ',';
        }
        buf[o++] = tmp[i];
    }
    buf[o] = '\0';
    return buf;
}

static double rate(uint64_t n, double secs)
{
    return secs > 0 ? (double)n / secs : 0.0;
}

static void print_files(FILE *out, const struct analyze_result *r)
{
    char b[32];

    for (int i = 0; i < capture_file_count(r->captures); i++) {
        const struct capture_file_info *fi = capture_file(r->captures, i);

        if (fi->failed && fi->packets == 0) {
            fprintf(out, "  file        %s: not read: %s\n", fi->path, fi->error);
        } else if (fi->failed) {
            fprintf(out, "  file        %s: %s packets, then: %s\n", fi->path,
                    grouped(fi->packets, b, sizeof(b)), fi->error);
        } else {
            fprintf(out, "  file        %s: %s packets\n", fi->path,
                    grouped(fi->packets, b, sizeof(b)));
        }
    }
}

static void print_protocols(FILE *out, const struct decode_stats *ds)
{
    char b[32];
    bool any = false;

    fputs("  protocols  ", out);
    for (int l = 0; l < DECODE_LAYER_MAX; l++) {
        if (ds->layer[l] == 0) {
            continue;
        }
        fprintf(out, "%s %s %s", any ? "," : "", decode_layer_name((enum decode_layer)l),
                grouped(ds->layer[l], b, sizeof(b)));
        any = true;
    }
    fputs(any ? "\n" : " none\n", out);
}

static void print_decoder(FILE *out, const struct decode_stats *ds)
{
    char b[32];
    bool any = false;

    if (ds->invalid == 0) {
        fputs("  decoder     no malformed packets\n", out);
        return;
    }
    fprintf(out, "  decoder     %s malformed packets (counted and skipped):",
            grouped(ds->invalid, b, sizeof(b)));
    for (int ev = 0; ev < DECODE_EV_MAX; ev++) {
        if (ds->event[ev] != 0) {
            fprintf(out, "%s %s %s", any ? "," : "", decode_event_name((enum decode_event)ev),
                    grouped(ds->event[ev], b, sizeof(b)));
            any = true;
        }
    }
    fputc('\n', out);
}

static void print_flows(FILE *out, const struct analyze_result *r)
{
    const struct flow_stats *fs = engine_flow_stats(r->engine);
    const struct engine_flow_counts *fc = engine_flow_counts(r->engine);
    char b[5][32];

    fprintf(out, "  flows       %s (TCP %s, UDP %s, ICMP %s, other %s)\n",
            grouped(fs->created, b[0], sizeof(b[0])), grouped(fc->tcp, b[1], sizeof(b[1])),
            grouped(fc->udp, b[2], sizeof(b[2])), grouped(fc->icmp, b[3], sizeof(b[3])),
            grouped(fc->other, b[4], sizeof(b[4])));
    fprintf(out, "              peak %s active of %s the memcap allows; %s evicted, %s ended "
                 "by lifetime\n",
            grouped(fs->active_peak, b[0], sizeof(b[0])), grouped(fs->capacity, b[1], sizeof(b[1])),
            grouped(fs->ended[FLOW_END_EVICTED], b[2], sizeof(b[2])),
            grouped(fs->ended[FLOW_END_LIFETIME], b[3], sizeof(b[3])));
}

/* Devices per class (by index, the last slot for unknown), most first. */
struct class_count {
    const char *name;
    enum criticality crit;
    size_t n;
};

static int class_count_cmp(const void *a, const void *b)
{
    const struct class_count *x = a, *y = b;

    if (x->n != y->n) {
        return x->n < y->n ? 1 : -1;
    }
    return strcmp(x->name, y->name);
}

/* Fills counts (n_classes + 1 slots); returns the number of slots in use. */
static size_t count_classes(const struct inventory *inv, struct class_count *counts)
{
    const struct rules *r = inventory_rules(inv);
    size_t n_cls = r->n_classes, used = 0;

    for (size_t c = 0; c <= n_cls; c++) {
        counts[c] = (struct class_count){c < n_cls ? r->classes[c].name : "unknown",
                                         c < n_cls ? r->classes[c].criticality : CRIT_LOW, 0};
    }
    for (size_t i = 0; i < inventory_count(inv); i++) {
        const struct inv_device *d = inventory_device(inv, i);

        counts[d->class_idx >= 0 ? (size_t)d->class_idx : n_cls].n++;
    }
    qsort(counts, n_cls + 1, sizeof(*counts), class_count_cmp);
    while (used <= n_cls && counts[used].n > 0) {
        used++;
    }
    return used;
}

static void print_devices(FILE *out, const struct analyze_result *r)
{
    struct class_count *counts;
    size_t used;

    if (r->inventory == NULL) {
        return;
    }
    counts = calloc(inventory_rules(r->inventory)->n_classes + 1, sizeof(*counts));
    if (counts == NULL) {
        return;
    }
    used = count_classes(r->inventory, counts);
    fprintf(out, "  devices     %zu", inventory_count(r->inventory));
    for (size_t i = 0; i < used; i++) {
        fprintf(out, "%s %zu %s", i == 0 ? ":" : ",", counts[i].n, counts[i].name);
        if (counts[i].crit >= CRIT_HIGH && strcmp(counts[i].name, "unknown") != 0) {
            fprintf(out, " (%s)", rules_criticality_name(counts[i].crit));
        }
    }
    fputc('\n', out);
    free(counts);
}

static json_t *json_devices(const struct analyze_result *r)
{
    struct class_count *counts;
    json_t *by_class = json_object();
    size_t used;

    if (r->inventory == NULL) {
        return json_pack("{s:i, s:o}", "total", 0, "by_class", by_class);
    }
    counts = calloc(inventory_rules(r->inventory)->n_classes + 1, sizeof(*counts));
    used = counts != NULL ? count_classes(r->inventory, counts) : 0;
    for (size_t i = 0; i < used; i++) {
        json_object_set_new(by_class, counts[i].name, json_integer((json_int_t)counts[i].n));
    }
    free(counts);
    return json_pack("{s:I, s:o}", "total", (json_int_t)inventory_count(r->inventory),
                     "by_class", by_class);
}

static uint64_t anomaly_total(const struct baseline_stats *bs)
{
    uint64_t n = 0;

    for (int k = 0; k < BL_KIND_MAX; k++) {
        n += bs->anomalies[k];
    }
    return n;
}

static void print_anomalies(FILE *out, const struct analyze_result *r)
{
    const struct baseline_stats *bs;
    const char *sep = ":";

    if (r->baseline == NULL) {
        return;
    }
    bs = baseline_stats(r->baseline);
    if (bs->learning) {
        fprintf(out, "  anomalies   none: still learning when the capture ended (--learn)\n");
        return;
    }
    fprintf(out, "  anomalies   %llu", (unsigned long long)anomaly_total(bs));
    for (int k = 0; k < BL_KIND_MAX; k++) {
        if (bs->anomalies[k] > 0) {
            fprintf(out, "%s %llu %s", sep, (unsigned long long)bs->anomalies[k],
                    baseline_kind_name((enum baseline_kind)k));
            sep = ",";
        }
    }
    fprintf(out, " (after learning %llu devices; %llu repeats folded in)\n",
            (unsigned long long)bs->devices_learned, (unsigned long long)bs->repeats);
}

static void print_alerts(FILE *out, const struct analyze_result *r)
{
    if (r->alerts != NULL && alerts_opened(r->alerts, 0) > 0) {
        fprintf(out, "  alerts      %llu: %llu of severity 1, %llu of 2, %llu of 3 (one per "
                     "device and burst of anomalies)\n",
                (unsigned long long)alerts_opened(r->alerts, 0),
                (unsigned long long)alerts_opened(r->alerts, 1),
                (unsigned long long)alerts_opened(r->alerts, 2),
                (unsigned long long)alerts_opened(r->alerts, 3));
    }
}

static json_t *json_alerts(const struct analyze_result *r)
{
    if (r->alerts == NULL) {
        return json_null();
    }
    return json_pack("{s:I, s:I, s:I, s:I}", "opened", (json_int_t)alerts_opened(r->alerts, 0),
                     "severity_1", (json_int_t)alerts_opened(r->alerts, 1), "severity_2",
                     (json_int_t)alerts_opened(r->alerts, 2), "severity_3",
                     (json_int_t)alerts_opened(r->alerts, 3));
}

static const char *phase_name(enum kitnet_phase p)
{
    return p == KITNET_MAPPING ? "mapping" : p == KITNET_TRAINING ? "training" : "scoring";
}

static void print_ensemble(FILE *out, const struct analyze_result *r)
{
    struct ensemble_stats es;

    if (r->ensemble == NULL) {
        return;
    }
    es = ensemble_stats(r->ensemble);
    if (es.phase != KITNET_SCORING) {
        fprintf(out, "  ensemble    still %s when learning or the capture ended: nothing "
                     "scored\n", phase_name(es.phase));
        return;
    }
    fprintf(out, "  ensemble    %u autoencoders; %llu packets scored, %llu over the threshold "
                 "%.4g; %llu anomalies\n", es.groups, (unsigned long long)es.scored,
            (unsigned long long)es.over, es.threshold, (unsigned long long)es.anomalies);
}

/* Findings by severity and by kind. */
struct finding_counts {
    uint64_t severity[4]; /* [0] all, then high, medium, low */
    uint64_t kind[FIND_KIND_MAX];
};

static void count_findings(const struct assess *a, struct finding_counts *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; a != NULL && i < assess_count(a); i++) {
        const struct finding *f = assess_finding(a, i);

        c->severity[0]++;
        c->severity[f->severity]++;
        c->kind[f->kind]++;
    }
}

static void print_findings(FILE *out, const struct analyze_result *r)
{
    struct finding_counts c;
    const char *sep = "";

    count_findings(r->assess, &c);
    if (c.severity[0] == 0) {
        return;
    }
    fprintf(out, "  findings    %llu: %llu high, %llu medium, %llu low (",
            (unsigned long long)c.severity[0], (unsigned long long)c.severity[FIND_HIGH],
            (unsigned long long)c.severity[FIND_MEDIUM], (unsigned long long)c.severity[FIND_LOW]);
    for (int k = 0; k < FIND_KIND_MAX; k++) {
        if (c.kind[k] > 0) {
            fprintf(out, "%s%s %llu", sep, finding_kind_name((enum finding_kind)k),
                    (unsigned long long)c.kind[k]);
            sep = ", ";
        }
    }
    fprintf(out, ")\n");
    if (assess_links_dropped(r->assess) > 0) {
        fprintf(out, "              %llu links between devices not kept (at most %d)\n",
                (unsigned long long)assess_links_dropped(r->assess), ASSESS_LINKS_MAX);
    }
}

static json_t *json_findings(const struct analyze_result *r)
{
    struct finding_counts c;
    json_t *kinds = json_object();

    count_findings(r->assess, &c);
    for (int k = 0; kinds != NULL && k < FIND_KIND_MAX; k++) {
        if (c.kind[k] > 0) {
            json_object_set_new(kinds, finding_kind_name((enum finding_kind)k),
                                json_integer((json_int_t)c.kind[k]));
        }
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:o*, s:I, s:I}", "total",
                     (json_int_t)c.severity[0], "high", (json_int_t)c.severity[FIND_HIGH],
                     "medium", (json_int_t)c.severity[FIND_MEDIUM], "low",
                     (json_int_t)c.severity[FIND_LOW], "by_kind", kinds, "links",
                     (json_int_t)(r->assess != NULL ? assess_link_count(r->assess) : 0),
                     "links_dropped",
                     (json_int_t)(r->assess != NULL ? assess_links_dropped(r->assess) : 0));
}

#define SUMMARY_RISKIEST 5

/* The five riskiest devices with their strongest factor, and the best attack path. */
static void print_risk(FILE *out, const struct analyze_result *r)
{
    const struct risk_view *v = r->risk;

    if (v == NULL || v->in.n_devices == 0) {
        return;
    }
    fprintf(out, "  risk        the %d riskiest devices (wardwatch risk --db ... for all):\n",
            SUMMARY_RISKIEST);
    for (size_t i = 0; i < v->in.n_devices && i < SUMMARY_RISKIEST; i++) {
        const struct risk_score *s = &v->scores[v->order[i]];
        const struct risk_device *d = &v->in.devices[s->device];

        fprintf(out, "              %3d  %s%s%s%s %s (%s): %s\n", s->score, d->name,
                d->name[0] ? " (" : "", d->ip, d->name[0] ? ")" : "", d->class_name,
                rules_criticality_name(d->criticality),
                s->n_factors > 0 ? s->factors[0].text : "no finding");
    }
    if (v->n_paths > 0) {
        const struct risk_path *p = &v->paths[0];

        fprintf(out, "              best attack path of %zu:", v->n_paths);
        for (int h = 0; h < p->n_hops; h++) {
            const struct risk_device *d = &v->in.devices[p->hops[h].device];

            fprintf(out, "%s%s", h == 0 ? " " : " -> ", d->name[0] ? d->name : d->ip);
            if (h > 0) {
                fprintf(out, " (%s)", p->hops[h].service);
            }
        }
        fputc('\n', out);
    }
}

static void print_indicators(FILE *out, const struct analyze_result *r)
{
    if (r->indicators != NULL) {
        fprintf(out, "  indicators  %zu on the list; %llu alerts\n",
                indicators_count(r->indicators),
                (unsigned long long)indicators_alerts(r->indicators));
    }
}

static json_t *json_indicators(const struct analyze_result *r)
{
    if (r->indicators == NULL) {
        return json_null();
    }
    return json_pack("{s:I, s:I}", "listed", (json_int_t)indicators_count(r->indicators),
                     "alerts", (json_int_t)indicators_alerts(r->indicators));
}

static json_t *json_ensemble(const struct analyze_result *r)
{
    struct ensemble_stats es;

    if (r->ensemble == NULL) {
        return json_null();
    }
    es = ensemble_stats(r->ensemble);
    return json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:f, s:f, s:f}", "phase",
                     phase_name(es.phase), "autoencoders", (int)es.groups, "packets",
                     (json_int_t)es.packets, "scored", (json_int_t)es.scored, "over",
                     (json_int_t)es.over, "anomalies", (json_int_t)es.anomalies, "threshold",
                     es.threshold, "lognormal_mu", es.mu, "lognormal_sigma", es.sigma);
}

static json_t *json_anomalies(const struct analyze_result *r)
{
    const struct baseline_stats *bs;
    json_t *by_kind = json_object();

    if (r->baseline == NULL) {
        return json_pack("{s:I, s:o}", "total", (json_int_t)0, "by_kind", by_kind);
    }
    bs = baseline_stats(r->baseline);
    for (int k = 0; k < BL_KIND_MAX; k++) {
        json_object_set_new(by_kind, baseline_kind_name((enum baseline_kind)k),
                            json_integer((json_int_t)bs->anomalies[k]));
    }
    return json_pack("{s:I, s:o, s:b, s:I, s:I, s:I}", "total",
                     (json_int_t)anomaly_total(bs), "by_kind", by_kind, "learning",
                     bs->learning, "devices_learned", (json_int_t)bs->devices_learned,
                     "talks_learned", (json_int_t)bs->talks_learned, "repeats",
                     (json_int_t)bs->repeats);
}

void summary_print_text(FILE *out, const struct analyze_result *r)
{
    const struct decode_stats *ds = engine_decode_stats(r->engine);
    uint64_t first, last;
    char b[3][32], t0[JB_TIME_LEN + 1], t1[JB_TIME_LEN + 1];

    engine_time_span(r->engine, &first, &last);
    fprintf(out, "wardwatch analyze\n");
    print_files(out, r);
    fprintf(out, "  packets     %s (%s bytes) in %.3f s: %s packets/s\n",
            grouped(ds->pkts, b[0], sizeof(b[0])), grouped(ds->bytes, b[1], sizeof(b[1])),
            r->wall_s, grouped((uint64_t)rate(ds->pkts, r->wall_s), b[2], sizeof(b[2])));
    if (ds->pkts > 0) {
        jb_format_time(first, t0);
        jb_format_time(last, t1);
        fprintf(out, "  capture     %s to %s (%.1f s)\n", t0, t1,
                (double)(last - first) / 1e6);
    }
    print_flows(out, r);
    print_protocols(out, ds);
    print_decoder(out, ds);
    print_devices(out, r);
    print_findings(out, r);
    print_risk(out, r);
    print_anomalies(out, r);
    print_alerts(out, r);
    print_ensemble(out, r);
    print_indicators(out, r);
    fprintf(out, "  events      %s in %s", grouped(r->eve.events, b[0], sizeof(b[0])),
            r->eve_path);
    if (r->eve.dropped_oversize > 0) {
        fprintf(out, " (%llu too long, dropped)", (unsigned long long)r->eve.dropped_oversize);
    }
    fprintf(out, "\n  memory      %.1f MiB peak\n", (double)r->peak_rss / (1 << 20));
    if (r->n_failed > 0) {
        fprintf(out, "  warning     %d input file(s) could not be read in full; see above\n",
                r->n_failed);
    }
}

static json_t *json_files(const struct analyze_result *r)
{
    json_t *arr = json_array();

    for (int i = 0; i < capture_file_count(r->captures); i++) {
        const struct capture_file_info *fi = capture_file(r->captures, i);
        json_t *o = json_pack("{s:s, s:I, s:i, s:b}", "path", fi->path, "packets",
                              (json_int_t)fi->packets, "linktype", fi->linktype, "ok", !fi->failed);

        if (fi->failed) {
            json_object_set_new(o, "error", json_string(fi->error));
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *json_layers(const struct decode_stats *ds)
{
    json_t *o = json_object();

    for (int l = 0; l < DECODE_LAYER_MAX; l++) {
        if (ds->layer[l] != 0) {
            json_object_set_new(o, decode_layer_name((enum decode_layer)l),
                                json_integer((json_int_t)ds->layer[l]));
        }
    }
    return o;
}

static json_t *json_decoder(const struct decode_stats *ds)
{
    json_t *events = json_object();

    for (int ev = 0; ev < DECODE_EV_MAX; ev++) {
        if (ds->event[ev] != 0) {
            json_object_set_new(events, decode_event_name((enum decode_event)ev),
                                json_integer((json_int_t)ds->event[ev]));
        }
    }
    return json_pack("{s:I, s:o}", "malformed", (json_int_t)ds->invalid, "events", events);
}

static json_t *json_flows(const struct analyze_result *r)
{
    const struct flow_stats *fs = engine_flow_stats(r->engine);
    const struct engine_flow_counts *fc = engine_flow_counts(r->engine);

    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "total",
                     (json_int_t)fs->created, "tcp", (json_int_t)fc->tcp, "udp",
                     (json_int_t)fc->udp, "icmp", (json_int_t)fc->icmp, "other",
                     (json_int_t)fc->other, "active_peak", (json_int_t)fs->active_peak,
                     "capacity", (json_int_t)fs->capacity, "evicted",
                     (json_int_t)fs->ended[FLOW_END_EVICTED], "lifetime",
                     (json_int_t)fs->ended[FLOW_END_LIFETIME], "timeout",
                     (json_int_t)fs->ended[FLOW_END_TIMEOUT]);
}

int summary_print_json(FILE *out, const struct analyze_result *r)
{
    const struct decode_stats *ds = engine_decode_stats(r->engine);
    uint64_t first, last;
    char t0[JB_TIME_LEN + 1] = "", t1[JB_TIME_LEN + 1] = "";
    json_t *doc;
    int rc;

    engine_time_span(r->engine, &first, &last);
    if (ds->pkts > 0) {
        jb_format_time(first, t0);
        jb_format_time(last, t1);
    }
    doc = json_pack("{s:o, s:I, s:I, s:f, s:f, s:{s:s, s:s}, s:o, s:o, s:o, s:{s:s, s:I, s:I},"
                    " s:I}",
                    "files", json_files(r), "packets", (json_int_t)ds->pkts, "bytes",
                    (json_int_t)ds->bytes, "seconds", r->wall_s, "packets_per_second",
                    rate(ds->pkts, r->wall_s), "capture", "first", t0, "last", t1, "flows",
                    json_flows(r), "protocols", json_layers(ds), "decoder", json_decoder(ds),
                    "eve", "path", r->eve_path, "events", (json_int_t)r->eve.events, "dropped",
                    (json_int_t)r->eve.dropped_oversize, "peak_rss_bytes",
                    (json_int_t)r->peak_rss);
    if (doc != NULL) {
        json_object_set_new(doc, "devices", json_devices(r));
        json_object_set_new(doc, "findings", json_findings(r));
        if (r->risk != NULL) {
            json_object_set_new(doc, "risk", risk_view_json(r->risk, SUMMARY_RISKIEST, true));
        }
        json_object_set_new(doc, "anomalies", json_anomalies(r));
        json_object_set_new(doc, "alerts", json_alerts(r));
        json_object_set_new(doc, "ensemble", json_ensemble(r));
        json_object_set_new(doc, "indicators", json_indicators(r));
    }
    if (doc == NULL) {
        fprintf(stderr, "wardwatch analyze: could not build the JSON summary\n");
        return -1;
    }
    rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_SORT_KEYS);
    fputc('\n', out);
    json_decref(doc);
    return rc == 0 ? 0 : -1;
}
