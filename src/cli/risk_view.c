/* SPDX-License-Identifier: MIT */
/* risk_view: the risk ranking and attack paths of a store (risk_view.h). */
#include "cli/risk_view.h"

#include <stdlib.h>
#include <string.h>

#include "store/risk.h"

int risk_view_load(struct risk_view *v, struct ww_store *st, size_t max_paths, char *err)
{
    int n;

    memset(v, 0, sizeof(*v));
    if (store_load_risk_input(st, &v->in, err) < 0) {
        return -1;
    }
    v->scores = calloc(v->in.n_devices + 1, sizeof(*v->scores));
    v->order = calloc(v->in.n_devices + 1, sizeof(*v->order));
    v->paths = calloc(max_paths + 1, sizeof(*v->paths));
    if (v->scores == NULL || v->order == NULL || v->paths == NULL ||
        (n = risk_compute(&v->in, v->scores, v->paths, max_paths)) < 0) {
        snprintf(err, STORE_ERROR_LEN, "out of memory");
        risk_view_free(v);
        return -1;
    }
    v->n_paths = (size_t)n;
    risk_rank(&v->in, v->scores, v->order);
    return 0;
}

void risk_view_free(struct risk_view *v)
{
    store_risk_input_free(&v->in);
    free(v->scores);
    free(v->order);
    free(v->paths);
    memset(v, 0, sizeof(*v));
}

/* "name (ip)", or the address alone. */
static void device_text(const struct risk_device *d, char *out, size_t len)
{
    if (d->name[0] != '\0') {
        snprintf(out, len, "%s (%s)", d->name, d->ip);
    } else {
        snprintf(out, len, "%s", d->ip[0] != '\0' ? d->ip : "?");
    }
}

void risk_view_print(const struct risk_view *v, FILE *out, size_t top, int factors)
{
    fprintf(out, "%-5s %-5s %-32s %-22s %-15s %s\n", "RANK", "SCORE", "DEVICE", "CLASS",
            "CRITICALITY", "LIKELIHOOD x IMPACT");
    for (size_t r = 0; r < v->in.n_devices && r < top; r++) {
        const struct risk_score *s = &v->scores[v->order[r]];
        const struct risk_device *d = &v->in.devices[s->device];
        char who[128];

        device_text(d, who, sizeof(who));
        fprintf(out, "%-5zu %-5d %-32s %-22s %-15s %.2f x %.1f\n", r + 1, s->score, who,
                d->class_name, rules_criticality_name(d->criticality), s->likelihood,
                s->impact);
        for (int f = 0; f < s->n_factors && f < factors; f++) {
            fprintf(out, "      %.2f  %s\n", s->factors[f].p, s->factors[f].text);
        }
    }
}

void risk_view_print_paths(const struct risk_view *v, FILE *out, size_t top)
{
    fprintf(out, "\nattack paths to life-sustaining and high-criticality devices (%zu):\n",
            v->n_paths);
    for (size_t p = 0; p < v->n_paths && p < top; p++) {
        const struct risk_path *path = &v->paths[p];

        fprintf(out, "%zu. rank %.2f, %d hop%s\n", p + 1, path->rank, path->n_hops - 1,
                path->n_hops == 2 ? "" : "s");
        for (int h = 0; h < path->n_hops; h++) {
            const struct risk_hop *hop = &path->hops[h];
            char who[128];

            device_text(&v->in.devices[hop->device], who, sizeof(who));
            if (h == 0) {
                fprintf(out, "     %s [%s]\n", who, hop->why);
            } else {
                fprintf(out, "  -> %s on %s [%s]\n", who, hop->service, hop->why);
            }
        }
    }
}

static json_t *device_json(const struct risk_view *v, const struct risk_score *s)
{
    const struct risk_device *d = &v->in.devices[s->device];
    json_t *factors = json_array();

    for (int f = 0; f < s->n_factors; f++) {
        json_array_append_new(factors, json_pack("{s:s, s:f, s:s}", "kind",
                                                 s->factors[f].name, "weight", s->factors[f].p,
                                                 "text", s->factors[f].text));
    }
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:f, s:f, s:o}", "device_id",
                     (json_int_t)d->id, "ip", d->ip, "name", d->name, "class", d->class_name,
                     "criticality", rules_criticality_name(d->criticality), "score", s->score,
                     "likelihood", s->likelihood, "impact", s->impact, "factors", factors);
}

static json_t *path_json(const struct risk_view *v, const struct risk_path *p)
{
    json_t *hops = json_array();

    for (int h = 0; h < p->n_hops; h++) {
        const struct risk_hop *hop = &p->hops[h];
        const struct risk_device *d = &v->in.devices[hop->device];

        json_array_append_new(hops, json_pack("{s:I, s:s, s:s, s:s, s:s}", "device_id",
                                              (json_int_t)d->id, "ip", d->ip, "name", d->name,
                                              "service", hop->service, "why", hop->why));
    }
    return json_pack("{s:f, s:o}", "rank", p->rank, "hops", hops);
}

json_t *risk_view_json(const struct risk_view *v, size_t top, bool with_paths)
{
    json_t *devices = json_array(), *doc;

    for (size_t r = 0; r < v->in.n_devices && r < top; r++) {
        json_array_append_new(devices, device_json(v, &v->scores[v->order[r]]));
    }
    doc = json_pack("{s:o}", "devices", devices);
    if (with_paths) {
        json_t *paths = json_array();

        for (size_t p = 0; p < v->n_paths && p < top; p++) {
            json_array_append_new(paths, path_json(v, &v->paths[p]));
        }
        json_object_set_new(doc, "paths", paths);
    }
    return doc;
}
