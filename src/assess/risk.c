/* SPDX-License-Identifier: MIT */
/* risk: scores and attack paths from the stored findings, alerts and links (risk.h). */
#include "assess/risk.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fixed weights of risk.h; a vulnerability's is worked out from its score. */
static double kind_weight(enum finding_kind k)
{
    switch (k) {
    case FIND_DEFAULT_CREDENTIALS:
        return 0.60;
    case FIND_INTERNET_EXPOSED:
        return 0.50;
    case FIND_CLEARTEXT_LOGIN:
        return 0.25;
    case FIND_MQTT_ANONYMOUS:
        return 0.20;
    case FIND_LEGACY_SERVICE:
    case FIND_INTERNET_CONTACT:
    case FIND_OUTDATED_SOFTWARE:
        return 0.15;
    case FIND_PHI_HL7_CLEAR:
    case FIND_DICOM_STORE_CLEAR:
    case FIND_WEAK_CIPHER:
    case FIND_OBSOLETE_TLS:
        return 0.10;
    case FIND_EXPIRED_CERT:
    case FIND_SELF_SIGNED_CERT:
        return 0.05;
    default:
        return 0.0;
    }
}

#define ALERT_WEIGHT 0.40

static double vuln_weight(const struct risk_finding *f)
{
    return f->cvss / 10.0 * (f->exploited ? 1.0 : 0.6) * (f->confidence == VULN_HIGH ? 1.0 : 0.5);
}

static double risk_impact(enum criticality c)
{
    switch (c) {
    case CRIT_LIFE_SUSTAINING:
        return 1.0;
    case CRIT_HIGH:
        return 0.8;
    case CRIT_MEDIUM:
        return 0.5;
    default:
        return 0.3;
    }
}

__attribute__((format(printf, 3, 4))) static void say(char *out, size_t len, const char *fmt,
                                                      ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, len, fmt, ap);
    va_end(ap);
}

/* ---- scores -------------------------------------------------------------- */

/* The factor of kind name in s, made when absent; NULL when s is full. */
static struct risk_factor *factor(struct risk_score *s, const char *name)
{
    for (int i = 0; i < s->n_factors; i++) {
        if (strcmp(s->factors[i].name, name) == 0) {
            return &s->factors[i];
        }
    }
    if (s->n_factors == RISK_FACTORS_MAX) {
        return NULL;
    }
    s->factors[s->n_factors] = (struct risk_factor){.name = name};
    return &s->factors[s->n_factors++];
}

/* A finding into its kind's factor: the strongest of a kind counts, the others are counted. */
static void add_finding(struct risk_score *s, const struct risk_finding *f, int *seen)
{
    const char *name = finding_kind_name(f->kind);
    double p = f->kind == FIND_VULNERABILITY ? vuln_weight(f) : kind_weight(f->kind);
    struct risk_factor *x = factor(s, name);

    if (x == NULL) {
        return;
    }
    seen[x - s->factors]++;
    if (p < x->p) {
        return;
    }
    x->p = p;
    if (f->kind == FIND_VULNERABILITY) {
        say(x->text, sizeof(x->text), "%s (CVSS %.1f%s, %s-confidence match)", f->detail,
            f->cvss, f->exploited ? ", known exploited" : "",
            f->confidence == VULN_HIGH ? "high" : "medium");
    } else {
        say(x->text, sizeof(x->text), "%s%s%s", finding_title(f->kind),
            f->detail[0] != '\0' ? ": " : "", f->detail);
    }
}

static int by_p(const void *a, const void *b)
{
    double x = ((const struct risk_factor *)a)->p, y = ((const struct risk_factor *)b)->p;

    return x < y ? 1 : x > y ? -1 : 0;
}

static void score_devices(const struct risk_input *in, struct risk_score *scores)
{
    static int seen[RISK_FACTORS_MAX];

    for (size_t d = 0; d < in->n_devices; d++) {
        scores[d] = (struct risk_score){.device = d};
    }
    for (size_t d = 0; d < in->n_devices; d++) {
        struct risk_score *s = &scores[d];
        double keep = 1.0;

        memset(seen, 0, sizeof(seen));
        for (size_t i = 0; i < in->n_findings; i++) {
            if (in->findings[i].device == d) {
                add_finding(s, &in->findings[i], seen);
            }
        }
        for (int i = 0; i < s->n_factors; i++) { /* "and N more" where a kind repeats */
            size_t len = strlen(s->factors[i].text);

            if (seen[i] > 1 && len < sizeof(s->factors[i].text)) {
                say(s->factors[i].text + len, sizeof(s->factors[i].text) - len,
                    " and %d more", seen[i] - 1);
            }
        }
        for (size_t i = 0; i < in->n_alerts; i++) {
            struct risk_factor *x = in->alerts[i].device == d ? factor(s, "alerts") : NULL;

            if (x != NULL) {
                x->p = ALERT_WEIGHT;
                say(x->text, sizeof(x->text), "%llu alert%s (%llu anomalies), the last: %.100s%s",
                    (unsigned long long)in->alerts[i].alerts, in->alerts[i].alerts == 1 ? "" : "s",
                    (unsigned long long)in->alerts[i].departures, in->alerts[i].reason,
                    strlen(in->alerts[i].reason) > 100 ? "..." : "");
            }
        }
        qsort(s->factors, (size_t)s->n_factors, sizeof(s->factors[0]), by_p);
        for (int i = 0; i < s->n_factors; i++) {
            keep *= 1.0 - s->factors[i].p;
        }
        s->likelihood = 1.0 - keep;
        s->impact = risk_impact(in->devices[d].criticality);
        s->score = (int)lround(100.0 * s->likelihood * s->impact);
    }
}

/* ---- attack paths -------------------------------------------------------- */

/* Why a device is an entry point, and how strong it is (0: it is not one). */
static double entry_strength(const struct risk_score *s, char *why, size_t len)
{
    static const char *const entries[] = {"internet_exposed", "default_credentials",
                                          "cleartext_login", "alerts"};
    double best = 0;

    why[0] = '\0';
    for (int i = 0; i < s->n_factors; i++) {
        for (size_t e = 0; e < sizeof(entries) / sizeof(entries[0]); e++) {
            if (strcmp(s->factors[i].name, entries[e]) == 0 && s->factors[i].p > best) {
                best = s->factors[i].p;
                say(why, len, "entry: %s", s->factors[i].text);
            }
        }
    }
    return best;
}

/* What a hop offers an attacker who reached it: its two strongest factors. */
static void hop_reason(const struct risk_score *s, char *why, size_t len)
{
    if (s->n_factors == 0) {
        say(why, len, "no finding");
    } else if (s->n_factors == 1) {
        say(why, len, "%s", s->factors[0].text);
    } else {
        say(why, len, "%s; %s", s->factors[0].text, s->factors[1].text);
    }
}

static bool is_target(const struct risk_device *d)
{
    return d->criticality == CRIT_LIFE_SUSTAINING || d->criticality == CRIT_HIGH;
}

/* The links by client: first[d] .. first[d + 1] - 1 index out[], which holds link indexes. */
struct adjacency {
    size_t *first, *out;
};

static int adjacency_build(const struct risk_input *in, struct adjacency *g)
{
    size_t *fill;

    g->first = calloc(in->n_devices + 2, sizeof(size_t));
    g->out = malloc((in->n_links + 1) * sizeof(size_t));
    fill = calloc(in->n_devices + 1, sizeof(size_t));
    if (g->first == NULL || g->out == NULL || fill == NULL) {
        free(fill);
        return -1;
    }
    for (size_t l = 0; l < in->n_links; l++) {
        g->first[in->links[l].client + 1]++;
    }
    for (size_t d = 0; d < in->n_devices; d++) {
        g->first[d + 1] += g->first[d];
    }
    for (size_t l = 0; l < in->n_links; l++) {
        size_t c = in->links[l].client;

        g->out[g->first[c] + fill[c]++] = l;
    }
    free(fill);
    return 0;
}

/* Shortest paths from one entry: parent links (and the link used) by breadth-first search. */
static void bfs(const struct risk_input *in, const struct adjacency *g, size_t entry,
                size_t *parent, size_t *via, size_t *queue)
{
    size_t head = 0, tail = 0;

    for (size_t d = 0; d < in->n_devices; d++) {
        parent[d] = SIZE_MAX;
    }
    parent[entry] = entry;
    queue[tail++] = entry;
    while (head < tail) {
        size_t u = queue[head++];

        for (size_t k = g->first[u]; k < g->first[u + 1]; k++) {
            size_t l = g->out[k], v = in->links[l].server;

            if (parent[v] == SIZE_MAX) {
                parent[v] = u;
                via[v] = l;
                queue[tail++] = v;
            }
        }
    }
}

/* The path from the entry to target as parent[] has it; false when longer than it may be. */
static bool trace(const struct risk_input *in, const struct risk_score *scores, size_t target,
                  const size_t *parent, const size_t *via, struct risk_path *p)
{
    size_t chain[RISK_HOPS_MAX + 1], n = 0;

    for (size_t d = target;; d = parent[d]) {
        if (n == RISK_HOPS_MAX) {
            return false;
        }
        chain[n++] = d;
        if (parent[d] == d) {
            break;
        }
    }
    p->n_hops = (int)n;
    for (size_t i = 0; i < n; i++) {
        struct risk_hop *h = &p->hops[i];
        size_t d = chain[n - 1 - i];

        h->device = d;
        h->service[0] = '\0';
        if (i > 0) {
            say(h->service, sizeof(h->service), "%s", in->links[via[d]].service);
        }
        hop_reason(&scores[d], h->why, sizeof(h->why));
    }
    return true;
}

/* Keeps p among the best max paths, best first. */
static void keep_path(struct risk_path *paths, size_t max, size_t *n, const struct risk_path *p)
{
    size_t at = *n < max ? (*n)++ : max;

    if (at == max && (max == 0 || p->rank <= paths[max - 1].rank)) {
        return;
    }
    if (at == max) {
        at = max - 1;
    }
    while (at > 0 && paths[at - 1].rank < p->rank) {
        paths[at] = paths[at - 1];
        at--;
    }
    paths[at] = *p;
}

static int find_paths(const struct risk_input *in, const struct risk_score *scores,
                      struct risk_path *paths, size_t max)
{
    size_t *parent = malloc((in->n_devices + 1) * sizeof(size_t) * 3), *via, *queue;
    size_t n = 0;
    struct adjacency g = {0};

    if (parent == NULL || adjacency_build(in, &g) < 0) {
        free(parent);
        free(g.first);
        free(g.out);
        return -1;
    }
    via = parent + in->n_devices + 1;
    queue = via + in->n_devices + 1;
    for (size_t e = 0; e < in->n_devices; e++) {
        char why[RISK_TEXT_MAX];
        double strength = entry_strength(&scores[e], why, sizeof(why));

        if (strength <= 0) {
            continue;
        }
        bfs(in, &g, e, parent, via, queue);
        for (size_t t = 0; t < in->n_devices; t++) {
            struct risk_path p;

            if (t == e || !is_target(&in->devices[t]) || parent[t] == SIZE_MAX ||
                !trace(in, scores, t, parent, via, &p)) {
                continue;
            }
            p.rank = scores[t].impact * strength / p.n_hops;
            say(p.hops[0].why, sizeof(p.hops[0].why), "%s", why);
            keep_path(paths, max, &n, &p);
        }
    }
    free(parent);
    free(g.first);
    free(g.out);
    return (int)n;
}

int risk_compute(const struct risk_input *in, struct risk_score *scores,
                 struct risk_path *paths, size_t max_paths)
{
    score_devices(in, scores);
    return find_paths(in, scores, paths, max_paths);
}

static const struct risk_input *rank_in;
static const struct risk_score *rank_scores;

static int by_score(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    const struct risk_device *dx = &rank_in->devices[x], *dy = &rank_in->devices[y];

    if (rank_scores[x].score != rank_scores[y].score) {
        return rank_scores[x].score < rank_scores[y].score ? 1 : -1;
    }
    if (dx->criticality != dy->criticality) {
        return dx->criticality < dy->criticality ? 1 : -1;
    }
    return dx->id < dy->id ? -1 : dx->id > dy->id;
}

void risk_rank(const struct risk_input *in, const struct risk_score *scores, size_t *order)
{
    for (size_t i = 0; i < in->n_devices; i++) {
        order[i] = i;
    }
    rank_in = in;
    rank_scores = scores;
    qsort(order, in->n_devices, sizeof(*order), by_score);
}
