/* SPDX-License-Identifier: MIT */
/* typing: free-text typing rhythm: digraph features, per-user profiles, window scoring. */
#include "auth/typing.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPING_SLOTS_START 64

static const char *const kind_names[TYPING_KINDS] = {"hold", "dd", "ud"};

const char *typing_kind_name(enum typing_kind kind)
{
    return (unsigned)kind < TYPING_KINDS ? kind_names[kind] : "?";
}

static double kind_offset(enum typing_kind kind)
{
    return kind == TYPING_UD ? TYPING_UD_OFFSET_S : 0.0;
}

double typing_transform(enum typing_kind kind, double seconds)
{
    double t = seconds + kind_offset(kind);

    return log(t > TYPING_TIME_FLOOR_S ? t : TYPING_TIME_FLOOR_S);
}

double typing_untransform(enum typing_kind kind, double y)
{
    return exp(y) - kind_offset(kind);
}

/* ---- feature extraction ---- */

void typing_stream_init(struct typing_stream *st)
{
    memset(st, 0, sizeof(*st));
}

static void copy_key(char *dst, const char *src)
{
    size_t n = strnlen(src, KEYEV_KEY_LEN);

    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void make_obs(struct typing_obs *o, enum typing_kind kind, const char *k1,
                     const char *k2, double value_s)
{
    o->kind = kind;
    o->value_s = value_s;
    if (k2 == NULL) {
        snprintf(o->name, sizeof(o->name), "%s", k1);
    } else {
        snprintf(o->name, sizeof(o->name), "%s %s", k1, k2);
    }
}

static int held_find(const struct typing_stream *st, const char *key)
{
    for (unsigned i = 0; i < st->n_held; i++) {
        if (strcmp(st->held[i].key, key) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static void held_remove(struct typing_stream *st, unsigned i)
{
    memmove(&st->held[i], &st->held[i + 1], (st->n_held - i - 1) * sizeof(st->held[0]));
    st->n_held--;
}

static int stream_down(struct typing_stream *st, const struct keyev *ev, struct typing_obs *out)
{
    int n = 0;

    if (held_find(st, ev->key) >= 0) {
        return 0; /* auto-repeat */
    }
    st->n_downs++;
    st->pend = false;
    if (st->have_prev && ev->ts - st->prev_down <= TYPING_PAUSE_MAX_S) {
        make_obs(&out[n++], TYPING_DD, st->prev, ev->key, ev->ts - st->prev_down);
        if (st->prev_released) {
            make_obs(&out[n++], TYPING_UD, st->prev, ev->key, ev->ts - st->prev_up);
        } else {
            /* The previous key is still down: its ud is known at its up. */
            st->pend = true;
            copy_key(st->pend_first, st->prev);
            copy_key(st->pend_second, ev->key);
            st->pend_second_down = ev->ts;
        }
    }
    copy_key(st->prev, ev->key);
    st->prev_down = ev->ts;
    st->have_prev = true;
    st->prev_released = false;

    if (st->n_held == TYPING_HELD_MAX) {
        held_remove(st, 0); /* its up was lost; the oldest goes */
        st->n_held_dropped++;
    }
    copy_key(st->held[st->n_held].key, ev->key);
    st->held[st->n_held].down = ev->ts;
    st->n_held++;
    return n;
}

static int stream_up(struct typing_stream *st, const struct keyev *ev, struct typing_obs *out)
{
    int i = held_find(st, ev->key);
    int n = 0;

    if (i < 0) {
        return 0; /* went down before the stream began, or was dropped */
    }
    if (ev->ts - st->held[i].down <= TYPING_PAUSE_MAX_S) {
        make_obs(&out[n++], TYPING_HOLD, ev->key, NULL, ev->ts - st->held[i].down);
    }
    if (st->have_prev && !st->prev_released && strcmp(st->prev, ev->key) == 0) {
        st->prev_released = true;
        st->prev_up = ev->ts;
    }
    if (st->pend && strcmp(st->pend_first, ev->key) == 0) {
        make_obs(&out[n++], TYPING_UD, st->pend_first, st->pend_second,
                 st->pend_second_down - ev->ts);
        st->pend = false;
    }
    held_remove(st, (unsigned)i);
    return n;
}

int typing_stream_feed(struct typing_stream *st, const struct keyev *ev,
                       struct typing_obs *out, char *why)
{
    if (st->started && ev->ts < st->last_ts) {
        snprintf(why, KEYEV_WHY_LEN, "time %.6f is %.6f s before the session's last event",
                 ev->ts, st->last_ts - ev->ts);
        return -1;
    }
    st->started = true;
    st->last_ts = ev->ts;
    return ev->down ? stream_down(st, ev, out) : stream_up(st, ev, out);
}

/* ---- statistics ---- */

void typing_stat_add(struct typing_stat *s, double x)
{
    double d = x - s->mean;

    s->n++;
    s->mean += d / (double)s->n;
    s->m2 += d * (x - s->mean);
}

double typing_stat_var(const struct typing_stat *s)
{
    return s->n < 2 ? 0.0 : s->m2 / (double)(s->n - 1);
}

/* ---- profile table ---- */

static uint32_t feat_hash(enum typing_kind kind, const char *name)
{
    uint32_t h = 2166136261u ^ (uint32_t)kind;

    for (const char *c = name; *c != '\0'; c++) {
        h = (h ^ (uint8_t)*c) * 16777619u;
    }
    return h;
}

int typing_profile_init(struct typing_profile *p)
{
    memset(p, 0, sizeof(*p));
    p->slots = calloc(TYPING_SLOTS_START, sizeof(*p->slots));
    if (p->slots == NULL) {
        return -1;
    }
    p->n_slots = TYPING_SLOTS_START;
    return 0;
}

void typing_profile_free(struct typing_profile *p)
{
    free(p->slots);
    memset(p, 0, sizeof(*p));
}

/* The slot holding the feature, or the empty slot where it would go. */
static struct typing_feat *slot_for(struct typing_feat *slots, size_t n_slots,
                                    enum typing_kind kind, const char *name)
{
    size_t i = feat_hash(kind, name) & (n_slots - 1);

    while (slots[i].used && (slots[i].kind != kind || strcmp(slots[i].name, name) != 0)) {
        i = (i + 1) & (n_slots - 1);
    }
    return &slots[i];
}

const struct typing_feat *typing_profile_find(const struct typing_profile *p,
                                              enum typing_kind kind, const char *name)
{
    const struct typing_feat *f = slot_for(p->slots, p->n_slots, kind, name);

    return f->used ? f : NULL;
}

static int profile_grow(struct typing_profile *p)
{
    size_t n = p->n_slots * 2;
    struct typing_feat *slots;

    if (n > TYPING_SLOTS_MAX) {
        return -1;
    }
    slots = calloc(n, sizeof(*slots));
    if (slots == NULL) {
        return -1;
    }
    for (size_t i = 0; i < p->n_slots; i++) {
        if (p->slots[i].used) {
            *slot_for(slots, n, p->slots[i].kind, p->slots[i].name) = p->slots[i];
        }
    }
    free(p->slots);
    p->slots = slots;
    p->n_slots = n;
    return 0;
}

/* The feature's entry, created empty if need be; NULL when full or out of memory. */
static struct typing_feat *profile_entry(struct typing_profile *p, enum typing_kind kind,
                                         const char *name)
{
    struct typing_feat *f = slot_for(p->slots, p->n_slots, kind, name);

    if (f->used) {
        return f;
    }
    if (p->n_feats >= TYPING_FEATURES_MAX) {
        return NULL;
    }
    if ((p->n_feats + 1) * 2 > p->n_slots) {
        if (profile_grow(p) < 0) {
            return NULL;
        }
        f = slot_for(p->slots, p->n_slots, kind, name);
    }
    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->kind = (uint8_t)kind;
    f->used = true;
    p->n_feats++;
    return f;
}

int typing_profile_learn(struct typing_profile *p, const struct typing_obs *o, double z_inside)
{
    struct typing_feat *f;
    double z;

    if (typing_score(p, o, &z, NULL) == 1) {
        p->n_scored++;
        p->n_inside += z <= z_inside;
    }
    f = profile_entry(p, o->kind, o->name);
    if (f == NULL) {
        p->n_full++;
        return -1;
    }
    typing_stat_add(&f->st, typing_transform(o->kind, o->value_s));
    return 0;
}

/* ---- scoring ---- */

int typing_score(const struct typing_profile *p, const struct typing_obs *o, double *z,
                 const struct typing_feat **feat)
{
    const struct typing_feat *f = typing_profile_find(p, o->kind, o->name);
    double var, d;

    if (f == NULL || f->st.n < TYPING_MIN_SUPPORT) {
        return 0;
    }
    /* Shrink the variance towards the prior by TYPING_PRIOR_N pseudo-observations. */
    var = (f->st.m2 + TYPING_PRIOR_N * TYPING_PRIOR_SD * TYPING_PRIOR_SD) /
          ((double)f->st.n - 1.0 + TYPING_PRIOR_N);
    d = fabs(typing_transform(o->kind, o->value_s) - f->st.mean) / sqrt(var);
    *z = d < TYPING_Z_CAP ? d : TYPING_Z_CAP;
    if (feat != NULL) {
        *feat = f;
    }
    return 1;
}

double typing_genuine_rate(const struct typing_profile *p)
{
    return ((double)p->n_inside + TYPING_GENUINE_DEFAULT * TYPING_GENUINE_PRIOR_N) /
           ((double)p->n_scored + TYPING_GENUINE_PRIOR_N);
}

void typing_config_default(struct typing_config *c)
{
    c->window = TYPING_WINDOW_DEFAULT;
    c->z_inside = TYPING_Z_INSIDE_DEFAULT;
    c->margin = TYPING_MARGIN_DEFAULT;
    c->span = TYPING_SPAN_DEFAULT;
    trust_params_default(&c->trust);
}

double typing_evidence(double r, double g, const struct typing_config *c)
{
    double e;

    if (isnan(r) || isnan(g) || !(c->span > 0.0)) {
        return NAN;
    }
    e = (r - (g - c->margin)) / c->span;
    return e > 1.0 ? 1.0 : (e < -1.0 ? -1.0 : e);
}

/* ---- window ---- */

int typing_window_init(struct typing_window *w, unsigned cap)
{
    memset(w, 0, sizeof(*w));
    if (cap == 0 || cap > TYPING_WINDOW_MAX) {
        return -1;
    }
    w->ring = calloc(cap, sizeof(*w->ring));
    if (w->ring == NULL) {
        return -1;
    }
    w->cap = cap;
    return 0;
}

void typing_window_free(struct typing_window *w)
{
    free(w->ring);
    memset(w, 0, sizeof(*w));
}

void typing_window_push(struct typing_window *w, const struct typing_feat *f, double z,
                        double value_s, double z_inside)
{
    struct typing_wobs *slot = &w->ring[w->head];

    if (w->len == w->cap) {
        w->n_inside -= slot->z <= (float)z_inside;
    } else {
        w->len++;
    }
    slot->feat = f;
    slot->z = (float)z;
    slot->value_s = (float)value_s;
    w->n_inside += slot->z <= (float)z_inside;
    w->head = (w->head + 1) % w->cap;
}

double typing_window_rate(const struct typing_window *w)
{
    return w->len == 0 ? NAN : (double)w->n_inside / (double)w->len;
}

/* Puts o into top (highest z first, n at most), keeping each feature once, at its worst. */
static void top_insert(struct typing_wobs *top, unsigned *have, unsigned n,
                       const struct typing_wobs *o)
{
    unsigned j = 0;

    while (j < *have && top[j].feat != o->feat) {
        j++;
    }
    if (j < *have) {
        if (o->z <= top[j].z) {
            return;
        }
        memmove(&top[j], &top[j + 1], (*have - j - 1) * sizeof(*top));
        (*have)--;
    }
    j = *have;
    while (j > 0 && top[j - 1].z < o->z) {
        j--;
    }
    if (j >= n) {
        return;
    }
    if (*have == n) {
        (*have)--;
    }
    memmove(&top[j + 1], &top[j], (*have - j) * sizeof(*top));
    top[j] = *o;
    (*have)++;
}

unsigned typing_window_top(const struct typing_window *w, struct typing_wobs *top, unsigned n)
{
    unsigned have = 0;

    for (unsigned i = 0; i < w->len && n > 0; i++) {
        top_insert(top, &have, n, &w->ring[i]);
    }
    return have;
}

/* ---- session ---- */

int typing_session_init(struct typing_session *s, const struct typing_config *c)
{
    memset(s, 0, sizeof(*s));
    typing_stream_init(&s->stream);
    trust_init(&s->trust, &c->trust);
    return typing_window_init(&s->win, c->window);
}

void typing_session_free(struct typing_session *s)
{
    typing_window_free(&s->win);
}

/* Scores one feature into the window and moves trust by the window's evidence. */
static int session_score(struct typing_session *s, const struct typing_profile *p,
                         const struct typing_config *c, const struct typing_obs *o)
{
    const struct typing_feat *f = NULL;
    double z, e;
    int change;

    if (typing_score(p, o, &z, &f) != 1) {
        return TRUST_SAME;
    }
    s->n_scored++;
    typing_window_push(&s->win, f, z, o->value_s, c->z_inside);
    if (s->win.len < TYPING_WINDOW_MIN && s->win.len < s->win.cap) {
        return TRUST_SAME;
    }
    e = typing_evidence(typing_window_rate(&s->win), typing_genuine_rate(p), c);
    change = trust_update(&s->trust, &c->trust, e);
    if (change == TRUST_FELL && s->alert_keys == 0) {
        s->alert_keys = s->stream.n_downs;
    }
    return change;
}

int typing_session_feed(struct typing_session *s, const struct typing_profile *p,
                        const struct typing_config *c, const struct keyev *ev, char *why)
{
    struct typing_obs obs[TYPING_OBS_MAX];
    int n = typing_stream_feed(&s->stream, ev, obs, why);
    int result = TRUST_SAME;

    if (n < 0) {
        return -1;
    }
    for (int i = 0; i < n && p != NULL; i++) {
        int change = session_score(s, p, c, &obs[i]);

        if (change == TRUST_FELL || result == TRUST_SAME) {
            result = result == TRUST_FELL ? TRUST_FELL : change;
        }
    }
    return result;
}

void typing_session_report(const struct typing_session *s, const struct typing_profile *p,
                           const struct typing_config *c, struct typing_report *r)
{
    struct typing_wobs top[TYPING_TOP_MAX];

    memset(r, 0, sizeof(*r));
    r->trust = s->trust.trust;
    r->lowest = s->trust.lowest;
    r->threshold = c->trust.threshold;
    r->n_keys = s->stream.n_downs;
    r->n_scored = s->n_scored;
    r->window_len = s->win.len;
    r->inside_rate = typing_window_rate(&s->win);
    r->genuine_rate = p != NULL ? typing_genuine_rate(p) : NAN;
    r->z_inside = c->z_inside;
    r->n_alerts = s->trust.n_alerts;
    r->alert_keys = s->alert_keys;
    r->n_top = typing_window_top(&s->win, top, TYPING_TOP_MAX);
    for (unsigned i = 0; i < r->n_top; i++) {
        enum typing_kind kind = (enum typing_kind)top[i].feat->kind;

        r->top[i].kind = kind;
        r->top[i].name = top[i].feat->name;
        r->top[i].z = top[i].z;
        r->top[i].expected_s = typing_untransform(kind, top[i].feat->st.mean);
        r->top[i].observed_s = top[i].value_s;
    }
}

/* ---- profile as JSON ---- */

char *typing_profile_to_json(const struct typing_profile *p)
{
    json_t *root = json_object();
    json_t *feats = json_array();
    char *text = NULL;

    if (root == NULL || feats == NULL) {
        goto out;
    }
    for (size_t i = 0; i < p->n_slots; i++) {
        const struct typing_feat *f = &p->slots[i];

        if (!f->used) {
            continue;
        }
        if (json_array_append_new(feats, json_pack("[ssIff]", typing_kind_name(f->kind),
                                                   f->name, (json_int_t)f->st.n,
                                                   f->st.mean, f->st.m2)) < 0) {
            goto out;
        }
    }
    if (json_object_set_new(root, "version", json_integer(TYPING_PROFILE_VERSION)) < 0 ||
        json_object_set_new(root, "transform",
                            json_string("ln(seconds + offset), offset 0 for hold and dd, "
                                        "0.1 for ud")) < 0 ||
        json_object_set_new(root, "keys", json_integer((json_int_t)p->n_keys)) < 0 ||
        json_object_set_new(root, "scored", json_integer((json_int_t)p->n_scored)) < 0 ||
        json_object_set_new(root, "inside", json_integer((json_int_t)p->n_inside)) < 0 ||
        json_object_set(root, "features", feats) < 0) {
        goto out;
    }
    text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17));
out:
    json_decref(feats);
    json_decref(root);
    return text;
}

static int kind_from_name(const char *s)
{
    for (int k = 0; k < TYPING_KINDS; k++) {
        if (strcmp(s, kind_names[k]) == 0) {
            return k;
        }
    }
    return -1;
}

/* A feature name: one key, or two separated by a space, each of valid key characters. */
static bool name_ok(enum typing_kind kind, const char *name)
{
    size_t len = strlen(name);
    const char *sp = strchr(name, ' ');

    if (len == 0 || len >= TYPING_NAME_LEN) {
        return false;
    }
    if (kind == TYPING_HOLD) {
        return sp == NULL && len <= KEYEV_KEY_LEN;
    }
    return sp != NULL && sp != name && sp[1] != '\0' && strchr(sp + 1, ' ') == NULL &&
           (size_t)(sp - name) <= KEYEV_KEY_LEN && strlen(sp + 1) <= KEYEV_KEY_LEN;
}

static int load_feature(struct typing_profile *p, json_t *item, size_t idx, char *why,
                        size_t why_len)
{
    const char *kname, *name;
    json_int_t n;
    double mean, m2;
    struct typing_feat *f;
    int kind;

    if (json_unpack(item, "[ssIFF!]", &kname, &name, &n, &mean, &m2) < 0) {
        snprintf(why, why_len, "feature %zu is not [kind, keys, n, mean, m2]", idx);
        return -1;
    }
    kind = kind_from_name(kname);
    if (kind < 0 || !name_ok((enum typing_kind)kind, name) || n < 1 || !isfinite(mean) ||
        !isfinite(m2) || m2 < 0) {
        snprintf(why, why_len, "feature %zu (%s \"%.40s\") has a bad kind, keys or value",
                 idx, kname, name);
        return -1;
    }
    f = typing_profile_find(p, (enum typing_kind)kind, name) != NULL
            ? NULL
            : profile_entry(p, (enum typing_kind)kind, name);
    if (f == NULL) {
        snprintf(why, why_len, "feature %zu is a duplicate, or the profile is over %d features",
                 idx, TYPING_FEATURES_MAX);
        return -1;
    }
    f->st.n = (uint64_t)n;
    f->st.mean = mean;
    f->st.m2 = m2;
    return 0;
}

int typing_profile_from_json(struct typing_profile *p, const char *text, char *why,
                             size_t why_len)
{
    json_error_t err;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    json_t *feats = NULL, *item;
    json_int_t version, keys, scored, inside;
    size_t i;
    int rc = -1;

    if (root == NULL) {
        snprintf(why, why_len, "profile is not JSON: %s", err.text);
        return -1;
    }
    if (json_unpack(root, "{sI sI sI sI so}", "version", &version, "keys", &keys, "scored",
                    &scored, "inside", &inside, "features", &feats) < 0 ||
        !json_is_array(feats)) {
        snprintf(why, why_len, "profile lacks version, keys, scored, inside or features");
        goto out;
    }
    if (version != TYPING_PROFILE_VERSION || keys < 0 || scored < 0 || inside < 0 ||
        inside > scored) {
        snprintf(why, why_len, "profile version %lld or its counts are not ones this "
                 "wardwatch knows", (long long)version);
        goto out;
    }
    p->n_keys = (uint64_t)keys;
    p->n_scored = (uint64_t)scored;
    p->n_inside = (uint64_t)inside;
    json_array_foreach(feats, i, item) {
        if (load_feature(p, item, i, why, why_len) < 0) {
            goto out;
        }
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}
