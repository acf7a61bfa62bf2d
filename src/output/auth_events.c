/* SPDX-License-Identifier: MIT */
/* auth_events: `keystroke` events and identity alerts from continuous authentication. */
#include "output/auth_events.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A key as JSON: an integer when it is a key code, else the hash string. */
static void key_value(struct jbuf *jb, const char *key, size_t len)
{
    uint64_t code = 0;
    size_t i;

    for (i = 0; i < len && key[i] >= '0' && key[i] <= '9' && i < 6; i++) {
        code = code * 10 + (uint64_t)(key[i] - '0');
    }
    if (i == len && len > 0 && (len == 1 || key[0] != '0')) {
        jb_u64(jb, NULL, code);
    } else {
        jb_strn(jb, NULL, (const uint8_t *)key, len);
    }
}

static void feature_keys(struct jbuf *jb, const char *name)
{
    const char *sp = strchr(name, ' ');

    jb_array_open(jb, "keys");
    if (sp == NULL) {
        key_value(jb, name, strlen(name));
    } else {
        key_value(jb, name, (size_t)(sp - name));
        key_value(jb, sp + 1, strlen(sp + 1));
    }
    jb_array_close(jb);
}

static double round_to(double v, double unit)
{
    return isfinite(v) ? round(v / unit) * unit : v;
}

static void keystroke_object(struct jbuf *jb, const struct auth_typing_event *ev)
{
    const struct typing_report *r = ev->r;

    jb_object_open(jb, "keystroke");
    jb_str(jb, "modality", "typing");
    jb_str(jb, "user", ev->user);
    jb_str(jb, "session", ev->session);
    jb_bool(jb, "profile", ev->profiled);
    jb_double(jb, "trust", round_to(r->trust, 0.01));
    jb_double(jb, "trust_lowest", round_to(r->lowest, 0.01));
    jb_double(jb, "threshold", r->threshold);
    jb_u64(jb, "keys", r->n_keys);
    jb_u64(jb, "scored", r->n_scored);
    jb_u64(jb, "alerts", r->n_alerts);
    jb_object_open(jb, "window");
    jb_u64(jb, "features", r->window_len);
    jb_double(jb, "inside", round_to(r->inside_rate, 0.001));
    jb_double(jb, "expected", round_to(r->genuine_rate, 0.001));
    jb_double(jb, "z_inside", r->z_inside);
    jb_object_close(jb);
    jb_array_open(jb, "atypical");
    for (unsigned i = 0; i < r->n_top; i++) {
        jb_object_open(jb, NULL);
        jb_str(jb, "feature", typing_kind_name(r->top[i].kind));
        feature_keys(jb, r->top[i].name);
        jb_i64(jb, "expected_ms", llround(r->top[i].expected_s * 1e3));
        jb_i64(jb, "observed_ms", llround(r->top[i].observed_s * 1e3));
        jb_double(jb, "z", round_to(r->top[i].z, 0.01));
        jb_object_close(jb);
    }
    jb_array_close(jb);
    jb_bool(jb, "final", ev->final);
    jb_object_close(jb);
}

void auth_events_keystroke(struct eve_writer *w, uint64_t ts_us,
                           const struct auth_typing_event *ev)
{
    struct jbuf *jb = eve_begin(w, ts_us, "keystroke");

    keystroke_object(jb, ev);
    eve_commit(w);
}

static const char *const kind_words[TYPING_KINDS] = {"hold of key", "down-down from key",
                                                     "up-down from key"};

/* Appends "; kind k1 -> k2 expected E ms, observed O ms (Z sd)" for each atypical feature. */
static size_t reason_features(const struct typing_report *r, char *out, size_t len,
                              size_t cap)
{
    for (unsigned i = 0; i < r->n_top && len < cap; i++) {
        const struct typing_atypical *a = &r->top[i];
        const char *sp = strchr(a->name, ' ');
        int k1_len = sp != NULL ? (int)(sp - a->name) : (int)strlen(a->name);
        int n = snprintf(out + len, cap - len, "%s %s %.*s%s%s expected %.0f ms, observed %.0f "
                         "ms (%.1f sd)", i == 0 ? "; most atypical:" : ";",
                         kind_words[a->kind], k1_len, a->name, sp != NULL ? " to " : "",
                         sp != NULL ? sp + 1 : "", a->expected_s * 1e3, a->observed_s * 1e3,
                         a->z);

        len = n < 0 ? cap : len + (size_t)n;
    }
    return len;
}

void auth_typing_reason(const struct auth_typing_event *ev, char *out)
{
    const struct typing_report *r = ev->r;
    unsigned inside = (unsigned)lround(r->inside_rate * r->window_len);
    int n;

    n = snprintf(out, AUTH_REASON_LEN,
                 "trust fell to %.1f, below %.1f, after %llu keystrokes: %u of the last %u "
                 "timings (%.0f%%) were within %.1f sd of %s's profile, where %s's own "
                 "typing keeps %.0f%%",
                 r->trust, r->threshold, (unsigned long long)r->n_keys, inside, r->window_len,
                 r->inside_rate * 100.0, r->z_inside, ev->user, ev->user,
                 r->genuine_rate * 100.0);
    if (n > 0 && n < AUTH_REASON_LEN) {
        reason_features(r, out, (size_t)n, AUTH_REASON_LEN);
    }
}

void auth_events_typing_alert(struct eve_writer *w, uint64_t ts_us,
                              const struct auth_typing_event *ev)
{
    char signature[AUTH_SIGNATURE_LEN];
    char reason[AUTH_REASON_LEN];
    struct jbuf *jb;

    snprintf(signature, sizeof(signature), "Typing rhythm does not match user %s", ev->user);
    auth_typing_reason(ev, reason);
    jb = eve_begin(w, ts_us, "alert");
    jb_object_open(jb, "alert");
    jb_str(jb, "action", "allowed");
    jb_u64(jb, "gid", AUTH_ALERT_GID);
    jb_u64(jb, "signature_id", AUTH_SID_TYPING);
    jb_u64(jb, "rev", 1);
    jb_str(jb, "signature", signature);
    jb_str(jb, "category", "identity");
    jb_u64(jb, "severity", AUTH_SEVERITY_IDENTITY);
    jb_str(jb, "reason", reason);
    jb_object_close(jb);
    keystroke_object(jb, ev);
    eve_commit(w);
}
