/* SPDX-License-Identifier: MIT */
/* typing: free-text typing rhythm: digraph features, per-user profiles, window scoring. */
#ifndef WW_AUTH_TYPING_H
#define WW_AUTH_TYPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/keyevents.h"
#include "auth/trust.h"

/*
 * Features, from one session's key events in time order (seconds):
 *   hold k      up(k) - down(k)
 *   dd k1 k2    down(k2) - down(k1), k1 and k2 consecutive key downs
 *   ud k1 k2    down(k2) - up(k1); negative when k2 goes down before k1 is up
 * A gap or hold longer than TYPING_PAUSE_MAX_S is a pause, not typing
 * rhythm, and yields no feature. Auto-repeat (a down for a key already
 * held) is ignored.
 *
 * Every feature is modelled in log space, y = ln(max(t + offset, FLOOR)),
 * offset 0 for hold and dd and TYPING_UD_OFFSET_S for ud (so a small
 * overlap keeps its own value), since latencies are close to log-normal.
 */
#define TYPING_PAUSE_MAX_S 2.0
#define TYPING_HELD_MAX 16         /* keys held down at once; past it the oldest is dropped */
#define TYPING_UD_OFFSET_S 0.1
#define TYPING_TIME_FLOOR_S 0.001
#define TYPING_OBS_MAX 2           /* most features one key event yields */
#define TYPING_NAME_LEN (2 * KEYEV_KEY_LEN + 2) /* "k1 k2" and NUL */

/*
 * Profile and scoring. A feature is scored once the profile holds at
 * least TYPING_MIN_SUPPORT of it: z = |y - mean| / sd, with sd shrunk
 * towards TYPING_PRIOR_SD by TYPING_PRIOR_N pseudo-observations (a few
 * samples give no tiny sd), capped at TYPING_Z_CAP so one wild timing
 * cannot outweigh the rest. "Inside" means z <= the config's z_inside.
 */
#define TYPING_FEATURES_MAX 20000  /* features per profile; more are not learnt */
#define TYPING_SLOTS_MAX 65536     /* hash slots at most: a power of two >= 2 x features */
#define TYPING_MIN_SUPPORT 5
#define TYPING_PRIOR_N 2.0
#define TYPING_PRIOR_SD 0.20       /* log units: about 20% */
#define TYPING_Z_CAP 8.0
#define TYPING_PROFILE_VERSION 1

/*
 * Evidence: over a window of the last N scored features, r = share
 * inside. The profile knows g, the share inside the user's own typing
 * reached when each enrolment feature was scored before it was learnt
 * (prequential, so out of sample). Evidence is (r - (g - margin)) / span,
 * within [-1, +1]: typing as consistent as the user's own earns +1, a
 * window margin + span below it costs -1. Trust then moves per feature by
 * trust.c's rules.
 */
#define TYPING_Z_INSIDE_DEFAULT 2.0
#define TYPING_WINDOW_DEFAULT 60
#define TYPING_WINDOW_MIN 10       /* scored features before evidence starts */
#define TYPING_WINDOW_MAX 2000
#define TYPING_MARGIN_DEFAULT 0.10
#define TYPING_SPAN_DEFAULT 0.20
#define TYPING_GENUINE_DEFAULT 0.90  /* g assumed before the profile has scored any */
#define TYPING_GENUINE_PRIOR_N 20.0  /* weight of that default, in features */
#define TYPING_TOP_MAX 3             /* most atypical features named in events */

enum typing_kind { TYPING_HOLD = 0, TYPING_DD = 1, TYPING_UD = 2, TYPING_KINDS = 3 };

/* One feature value from the stream. */
struct typing_obs {
    enum typing_kind kind;
    char name[TYPING_NAME_LEN]; /* "k" for hold, "k1 k2" for a pair */
    double value_s;
};

struct typing_held {
    char key[KEYEV_KEY_LEN + 1];
    double down;
};

/* One session's feature extractor. Zero it (or typing_stream_init) to start. */
struct typing_stream {
    struct typing_held held[TYPING_HELD_MAX];
    unsigned n_held;
    char prev[KEYEV_KEY_LEN + 1]; /* the last key down */
    double prev_down, prev_up;
    bool have_prev, prev_released;
    bool pend; /* a ud waits for pend_first's up */
    char pend_first[KEYEV_KEY_LEN + 1];
    char pend_second[KEYEV_KEY_LEN + 1];
    double pend_second_down;
    bool started;
    double last_ts;
    uint64_t n_downs;        /* keystrokes (auto-repeat excluded) */
    uint64_t n_held_dropped; /* held keys dropped for lack of room (lost ups) */
};

void typing_stream_init(struct typing_stream *st);

/*
 * Feeds one event of this session. Returns the number of features written
 * to out (TYPING_OBS_MAX room), or -1 with the reason in why
 * (KEYEV_WHY_LEN bytes) when the event goes back in time.
 */
int typing_stream_feed(struct typing_stream *st, const struct keyev *ev,
                       struct typing_obs *out, char *why);

/* Kind names as used in profiles and events: "hold", "dd", "ud". */
const char *typing_kind_name(enum typing_kind kind);
double typing_transform(enum typing_kind kind, double seconds);
double typing_untransform(enum typing_kind kind, double y);

/* Welford's running mean and sum of squared deviations. */
struct typing_stat {
    uint64_t n;
    double mean;
    double m2;
};

void typing_stat_add(struct typing_stat *s, double x);
/* Sample variance m2 / (n - 1); 0 when n < 2. */
double typing_stat_var(const struct typing_stat *s);

struct typing_feat {
    char name[TYPING_NAME_LEN];
    uint8_t kind;
    bool used;
    struct typing_stat st;
};

/* A user's profile: statistics per feature, never the keys' order or text. */
struct typing_profile {
    struct typing_feat *slots; /* open addressing, n_slots a power of two */
    size_t n_slots;
    size_t n_feats;
    uint64_t n_keys;    /* keystrokes enrolled */
    uint64_t n_scored;  /* enrolment features scored before being learnt */
    uint64_t n_inside;  /* of those, inside */
    uint64_t n_full;    /* features not learnt because the profile was full */
};

/* Returns 0, or -1 when out of memory. Free with typing_profile_free. */
int typing_profile_init(struct typing_profile *p);
void typing_profile_free(struct typing_profile *p);

/* The feature's entry, or NULL. Pointers stay valid until the profile is changed. */
const struct typing_feat *typing_profile_find(const struct typing_profile *p,
                                              enum typing_kind kind, const char *name);

/*
 * Enrols one feature: scores it first (prequential share inside), then
 * adds its value. Returns 0, or -1 when the profile is full (counted in
 * n_full) or memory runs out.
 */
int typing_profile_learn(struct typing_profile *p, const struct typing_obs *o, double z_inside);

/*
 * The profile as JSON text:
 *   {"version":1,"transform":"...","keys":N,"scored":N,"inside":N,
 *    "features":[["dd","65 66",n,mean,m2], ...]}
 * mean and m2 in the log units above. Returns a malloc'd string the caller
 * frees, or NULL when out of memory.
 */
char *typing_profile_to_json(const struct typing_profile *p);

/*
 * Fills an initialised, empty profile from JSON text. Returns 0, or -1
 * with the reason in why (why_len bytes); the profile may then be partly
 * filled and should be freed.
 */
int typing_profile_from_json(struct typing_profile *p, const char *text, char *why,
                             size_t why_len);

/*
 * Scores o against p: returns 1 and sets *z (and *feat) when the profile
 * has TYPING_MIN_SUPPORT of the feature, 0 when it has too few.
 */
int typing_score(const struct typing_profile *p, const struct typing_obs *o, double *z,
                 const struct typing_feat **feat);

/* g above: the share inside to expect from the genuine user. */
double typing_genuine_rate(const struct typing_profile *p);

struct typing_config {
    unsigned window; /* scored features in the window, TYPING_WINDOW_MIN..MAX */
    double z_inside; /* keep at TYPING_Z_INSIDE_DEFAULT: g was measured with it */
    double margin;
    double span;
    struct trust_params trust;
};

void typing_config_default(struct typing_config *c);

/* Evidence in [-1, +1] from a window's share inside r and the user's g. */
double typing_evidence(double r, double g, const struct typing_config *c);

struct typing_wobs {
    const struct typing_feat *feat; /* into the profile, which is not changed meanwhile */
    float z;
    float value_s;
};

/* The last `cap` scored features, and how many of them were inside. */
struct typing_window {
    struct typing_wobs *ring;
    unsigned cap, len, head, n_inside;
};

/* Returns 0, or -1 when out of memory. */
int typing_window_init(struct typing_window *w, unsigned cap);
void typing_window_free(struct typing_window *w);
void typing_window_push(struct typing_window *w, const struct typing_feat *f, double z,
                        double value_s, double z_inside);
/* Share inside, or NaN when the window is empty. */
double typing_window_rate(const struct typing_window *w);
/* Copies the n most atypical (highest z first) into top; returns how many. */
unsigned typing_window_top(const struct typing_window *w, struct typing_wobs *top, unsigned n);

/* One session under verification. */
struct typing_session {
    struct typing_stream stream;
    struct typing_window win;
    struct trust_state trust;
    uint64_t n_scored;
    uint64_t alert_keys; /* keystrokes when trust first fell below; 0 if never */
};

/* Returns 0, or -1 when out of memory. */
int typing_session_init(struct typing_session *s, const struct typing_config *c);
void typing_session_free(struct typing_session *s);

/*
 * Feeds one event: features, scores against p (NULL: the user has no
 * profile, nothing is scored), window, evidence, trust. Returns the
 * trust change of the last feature scored (TRUST_FELL wins over others),
 * or -1 with why (KEYEV_WHY_LEN bytes) for an event out of time order.
 */
int typing_session_feed(struct typing_session *s, const struct typing_profile *p,
                        const struct typing_config *c, const struct keyev *ev, char *why);

/* What keystroke events and alerts say about a session. */
struct typing_atypical {
    enum typing_kind kind;
    const char *name;
    double z;
    double expected_s; /* the profile's typical value: exp(mean), back in seconds */
    double observed_s;
};

struct typing_report {
    double trust;
    double lowest;
    double threshold;
    uint64_t n_keys;
    uint64_t n_scored;
    unsigned window_len;
    double inside_rate;  /* of the window; NaN when empty */
    double genuine_rate; /* g; NaN without a profile */
    double z_inside;
    uint64_t n_alerts;
    uint64_t alert_keys;
    unsigned n_top;
    struct typing_atypical top[TYPING_TOP_MAX];
};

void typing_session_report(const struct typing_session *s, const struct typing_profile *p,
                           const struct typing_config *c, struct typing_report *r);

#endif
