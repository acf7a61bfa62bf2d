/* SPDX-License-Identifier: MIT */
/* keystroke_live: `wardwatch keystroke enroll|verify`, free-text typing rhythm from key events. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth/keyevents.h"
#include "auth/typing.h"
#include "cli/cli.h"
#include "output/auth_events.h"
#include "output/eve.h"
#include "store/store.h"

#define LIVE_OUT_DEFAULT "wardwatch-out"
#define LIVE_DB_DEFAULT LIVE_OUT_DEFAULT "/wardwatch.db"
#define LIVE_PATH_LEN_MAX 4096
#define LIVE_SESSIONS_MAX 512            /* sessions followed at once; past it the idlest ends */
#define LIVE_USERS_MAX LIVE_SESSIONS_MAX /* profiles held; one per open session is enough */
#define LIVE_EVERY_DEFAULT 100           /* keystrokes between a session's keystroke events */
#define LIVE_EVERY_MAX 1000000
#define LIVE_DB_BATCH 256 /* session rows per transaction */
#define PROG_ENROLL "wardwatch keystroke enroll"
#define PROG_VERIFY "wardwatch keystroke verify"

static const char sql_get_profile[] = "SELECT model FROM keystroke_profiles WHERE user = ?1";
static const char sql_put_profile[] =
    "INSERT INTO keystroke_profiles (user, model, n_samples, updated) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (user) DO UPDATE SET model = excluded.model, "
    "n_samples = excluded.n_samples, updated = excluded.updated";
static const char sql_put_session[] =
    "INSERT INTO keystroke_sessions (session, user, trust, n_keys, alerted, updated) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (session) DO UPDATE SET "
    "user = excluded.user, trust = excluded.trust, n_keys = excluded.n_keys, "
    "alerted = excluded.alerted, updated = excluded.updated";

/* ---- shared: store, profiles, paths ---- */

/* Creates the folder that holds path when it is missing (one level). Returns 0 or -1. */
static int make_parent_dir(const char *prog, const char *path)
{
    char dir[LIVE_PATH_LEN_MAX];
    const char *slash = strrchr(path, '/');
    struct stat st;

    if (slash == NULL || slash == path) {
        return 0;
    }
    if ((size_t)(slash - path) >= sizeof(dir)) {
        fprintf(stderr, "%s: path '%s' is too long\n", prog, path);
        return -1;
    }
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = '\0';
    if (mkdir(dir, 0755) == 0 || (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))) {
        return 0;
    }
    fprintf(stderr, "%s: cannot use folder '%s': %s\n", prog, dir,
            errno == EEXIST ? "a file of that name is in the way" : strerror(errno));
    return -1;
}

static int open_store(const char *prog, const char *path, struct ww_store **out)
{
    char err[STORE_ERROR_LEN];

    if (make_parent_dir(prog, path) < 0) {
        return -1;
    }
    if (store_open(path, out, err) < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        return -1;
    }
    return 0;
}

static int prepare(const char *prog, struct ww_store *s, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(store_db(s), sql, -1, st, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: database: %s\n", prog, sqlite3_errmsg(store_db(s)));
        return -1;
    }
    return 0;
}

/*
 * Loads user's profile into p (initialised and empty). Returns 1 when
 * found, 0 when the user has none, -1 on an error (reported).
 */
static int profile_load(const char *prog, sqlite3_stmt *get, const char *user,
                        struct typing_profile *p)
{
    char why[KEYEV_WHY_LEN];
    int rc;

    sqlite3_reset(get);
    sqlite3_bind_text(get, 1, user, -1, SQLITE_STATIC);
    rc = sqlite3_step(get);
    if (rc == SQLITE_DONE) {
        return 0;
    }
    if (rc != SQLITE_ROW) {
        fprintf(stderr, "%s: reading the profile of %s: %s\n", prog, user,
                sqlite3_errmsg(sqlite3_db_handle(get)));
        return -1;
    }
    if (typing_profile_from_json(p, (const char *)sqlite3_column_text(get, 0), why,
                                 sizeof(why)) < 0) {
        fprintf(stderr, "%s: the stored profile of %s is damaged (%s); enrol the user again\n",
                prog, user, why);
        return -1;
    }
    return 1;
}

static int step_done(const char *prog, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "%s: writing %s: %s\n", prog, what,
                sqlite3_errmsg(sqlite3_db_handle(st)));
        return -1;
    }
    return 0;
}

static uint64_t ts_to_us(double ts)
{
    return (uint64_t)llround(ts * 1e6);
}

/* ---- enroll ---- */

struct enrol_opts {
    const char *user;
    const char *db;
    const char *input;
};

/* One session's feature extractor while enrolling. */
struct enrol_stream {
    char session[KEYEV_SESSION_LEN + 1];
    struct typing_stream st;
    uint64_t lru;
    bool used;
};

struct enrol_run {
    struct enrol_stream *streams; /* LIVE_SESSIONS_MAX */
    struct enrol_stream *last;
    struct typing_profile prof;
    uint64_t tick;
    uint64_t n_other;    /* events of other users, skipped */
    uint64_t n_features; /* features learnt in this run */
    uint64_t n_keys;     /* keystrokes in this run */
    uint64_t n_sessions;
    double last_ts;
};

static void enroll_usage(FILE *out)
{
    fprintf(out,
            "usage: wardwatch keystroke enroll --user U [--db FILE] FILE|-\n"
            "\n"
            "Learns how user U types from key events (JSON lines, one key down or up per\n"
            "line; see README \"Key events\"), from FILE or standard input, and adds\n"
            "them to U's profile in the store. Only timing statistics per key and key\n"
            "pair are kept, never what was typed. Lines of other users are skipped.\n"
            "A bad line is reported as FILE:LINE and skipped (exit status 1).\n"
            "\n"
            "options:\n"
            "  -u, --user U     the user to enrol (required)\n"
            "      --db FILE    the store (default ./%s)\n"
            "  -h, --help       print this help\n",
            LIVE_DB_DEFAULT);
}

static int enroll_args(int argc, char **argv, struct enrol_opts *o)
{
    static const struct option longopts[] = {{"user", required_argument, NULL, 'u'},
                                             {"db", required_argument, NULL, 'd'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int ch;

    o->db = LIVE_DB_DEFAULT;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "u:h", longopts, NULL)) != -1) {
        if (ch == 'u') {
            o->user = optarg;
        } else if (ch == 'd') {
            o->db = optarg;
        } else if (ch == 'h') {
            enroll_usage(stdout);
            return 1;
        } else {
            fprintf(stderr, PROG_ENROLL ": see '" PROG_ENROLL " --help'\n");
            return -1;
        }
    }
    if (o->user == NULL || o->user[0] == '\0' || strlen(o->user) > KEYEV_USER_LEN) {
        fprintf(stderr, PROG_ENROLL ": name the user with --user (1 to %d bytes)\n",
                KEYEV_USER_LEN);
        return -1;
    }
    if (argc - optind != 1) {
        fprintf(stderr, PROG_ENROLL ": give one input, a file of key events or - for "
                        "standard input\n");
        return -1;
    }
    o->input = argv[optind];
    return 0;
}

/* The session's extractor, made (or taken from the idlest session) if need be. */
static struct enrol_stream *enrol_stream_for(struct enrol_run *e, const char *session)
{
    struct enrol_stream *free_slot = NULL, *idlest = NULL;

    if (e->last != NULL && strcmp(e->last->session, session) == 0) {
        e->last->lru = ++e->tick;
        return e->last;
    }
    for (unsigned i = 0; i < LIVE_SESSIONS_MAX; i++) {
        struct enrol_stream *s = &e->streams[i];

        if (s->used && strcmp(s->session, session) == 0) {
            e->last = s;
            s->lru = ++e->tick;
            return s;
        }
        if (!s->used && free_slot == NULL) {
            free_slot = s;
        }
        if (s->used && (idlest == NULL || s->lru < idlest->lru)) {
            idlest = s;
        }
    }
    free_slot = free_slot != NULL ? free_slot : idlest;
    memset(free_slot, 0, sizeof(*free_slot));
    snprintf(free_slot->session, sizeof(free_slot->session), "%s", session);
    free_slot->used = true;
    free_slot->lru = ++e->tick;
    e->last = free_slot;
    e->n_sessions++;
    return free_slot;
}

static void enrol_event(struct enrol_run *e, struct keyev_reader *r, const struct keyev *ev)
{
    struct typing_obs obs[TYPING_OBS_MAX];
    char why[KEYEV_WHY_LEN];
    struct enrol_stream *s = enrol_stream_for(e, ev->session);
    uint64_t downs = s->st.n_downs;
    int n = typing_stream_feed(&s->st, ev, obs, why);

    if (n < 0) {
        keyev_reader_bad(r, why);
        return;
    }
    e->n_keys += s->st.n_downs - downs;
    e->last_ts = ev->ts;
    for (int i = 0; i < n; i++) {
        if (typing_profile_learn(&e->prof, &obs[i], TYPING_Z_INSIDE_DEFAULT) == 0) {
            e->n_features++;
        }
    }
}

/* Reads every event of the input. Returns 0, or -1 on a read error (reported). */
static int enrol_read(struct enrol_run *e, const struct enrol_opts *o, struct keyev_reader *r)
{
    struct keyev ev;
    int rc;

    for (;;) {
        rc = keyev_next(r, &ev);
        if (rc <= 0) {
            break;
        }
        if (strcmp(ev.user, o->user) != 0) {
            e->n_other++;
            continue;
        }
        enrol_event(e, r, &ev);
    }
    if (rc < 0) {
        fprintf(stderr, PROG_ENROLL ": reading %s: %s\n", r->name, strerror(r->read_error));
        return -1;
    }
    return 0;
}

/* Writes the profile in one transaction. Returns 0 or -1 (reported). */
static int enrol_save(struct ww_store *s, const char *user, const struct enrol_run *e)
{
    char err[STORE_ERROR_LEN];
    char updated[JB_TIME_LEN + 1];
    sqlite3_stmt *put = NULL;
    char *model = typing_profile_to_json(&e->prof);
    int rc = -1;

    if (model == NULL) {
        fprintf(stderr, PROG_ENROLL ": out of memory writing the profile\n");
        return -1;
    }
    jb_format_time(ts_to_us(e->last_ts), updated);
    if (prepare(PROG_ENROLL, s, sql_put_profile, &put) < 0) {
        goto out;
    }
    if (store_begin(s, err) < 0) {
        fprintf(stderr, PROG_ENROLL ": %s\n", err);
        goto out;
    }
    sqlite3_bind_text(put, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(put, 2, model, -1, SQLITE_STATIC);
    sqlite3_bind_int64(put, 3, (sqlite3_int64)e->prof.n_keys);
    sqlite3_bind_text(put, 4, updated, -1, SQLITE_STATIC);
    if (step_done(PROG_ENROLL, put, "the profile") < 0) {
        store_rollback(s);
        goto out;
    }
    if (store_commit(s, err) < 0) {
        fprintf(stderr, PROG_ENROLL ": %s\n", err);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(put);
    free(model);
    return rc;
}

static void enrol_summary(const struct enrol_opts *o, const struct enrol_run *e)
{
    printf("enrolled %s: %llu keystrokes, %llu timings from %llu session(s); profile: %zu "
           "features from %llu keystrokes, %.0f%% of own timings within %.1f sd\n",
           o->user, (unsigned long long)e->n_keys, (unsigned long long)e->n_features,
           (unsigned long long)e->n_sessions, e->prof.n_feats,
           (unsigned long long)e->prof.n_keys, typing_genuine_rate(&e->prof) * 100.0,
           TYPING_Z_INSIDE_DEFAULT);
    if (e->n_other > 0) {
        printf("skipped %llu events of other users\n", (unsigned long long)e->n_other);
    }
    if (e->prof.n_full > 0) {
        printf("profile full (%d features): %llu timings of new key pairs not learnt\n",
               TYPING_FEATURES_MAX, (unsigned long long)e->prof.n_full);
    }
}

/* Loads, reads, saves. Returns an exit code. */
static int enrol_run(const struct enrol_opts *o, struct ww_store *s, struct keyev_reader *r,
                     struct enrol_run *e)
{
    sqlite3_stmt *get = NULL;
    int found;

    if (prepare(PROG_ENROLL, s, sql_get_profile, &get) < 0) {
        return WW_EXIT_INTERNAL;
    }
    found = profile_load(PROG_ENROLL, get, o->user, &e->prof);
    sqlite3_finalize(get);
    if (found < 0) {
        return WW_EXIT_INPUT;
    }
    if (enrol_read(e, o, r) < 0) {
        return WW_EXIT_INPUT;
    }
    if (e->n_keys == 0) {
        fprintf(stderr, PROG_ENROLL ": no keystrokes of user %s in %s; profile unchanged\n",
                o->user, r->name);
        return WW_EXIT_INPUT;
    }
    e->prof.n_keys += e->n_keys;
    if (enrol_save(s, o->user, e) < 0) {
        return WW_EXIT_INTERNAL;
    }
    enrol_summary(o, e);
    return r->n_bad > 0 ? WW_EXIT_INPUT : WW_EXIT_OK;
}

int cli_keystroke_enroll(int argc, char **argv)
{
    struct enrol_opts o = {0};
    struct enrol_run e = {0};
    struct keyev_reader r;
    struct ww_store *s = NULL;
    int rc = enroll_args(argc, argv, &o);

    if (rc != 0) {
        return rc > 0 ? WW_EXIT_OK : WW_EXIT_INPUT;
    }
    if (keyev_reader_open(&r, o.input, PROG_ENROLL) < 0) {
        fprintf(stderr, PROG_ENROLL ": cannot read %s: %s\n", o.input, strerror(errno));
        return WW_EXIT_INPUT;
    }
    rc = WW_EXIT_INTERNAL;
    e.streams = calloc(LIVE_SESSIONS_MAX, sizeof(*e.streams));
    if (e.streams == NULL || typing_profile_init(&e.prof) < 0) {
        fprintf(stderr, PROG_ENROLL ": out of memory\n");
        goto out;
    }
    if (open_store(PROG_ENROLL, o.db, &s) < 0) {
        rc = WW_EXIT_INPUT;
        goto out;
    }
    rc = enrol_run(&o, s, &r, &e);
out:
    keyev_reader_close(&r);
    store_close(s);
    typing_profile_free(&e.prof);
    free(e.streams);
    return rc;
}

/* ---- verify ---- */

struct verify_opts {
    const char *db;
    const char *out_dir;
    const char *input;
    unsigned every;
    struct typing_config cfg;
};

/* A user's profile, held while sessions of the user are open. */
struct live_user {
    char name[KEYEV_USER_LEN + 1];
    struct typing_profile prof;
    bool used;
    bool profiled; /* a stored profile was found */
    unsigned refs; /* open sessions that point into prof */
};

struct live_session {
    char id[KEYEV_SESSION_LEN + 1];
    struct live_user *user;
    struct typing_session ts;
    uint64_t next_event_keys; /* keystrokes at which the next keystroke event is due */
    uint64_t lru;
    double last_ts;
    bool used;
};

struct verify_run {
    const struct verify_opts *o;
    struct ww_store *store;
    struct eve_writer *eve;
    sqlite3_stmt *get_profile, *put_session;
    struct live_user *users;       /* LIVE_USERS_MAX */
    struct live_session *sessions; /* LIVE_SESSIONS_MAX */
    struct live_session *last;
    uint64_t tick;
    unsigned db_pending; /* rows written in the open transaction */
    int failed;          /* an internal error happened (reported) */
    uint64_t n_sessions, n_alerts, n_sessions_alerted, n_unprofiled, n_evicted;
};

static void verify_usage(FILE *out)
{
    fprintf(out,
            "usage: wardwatch keystroke verify [options] FILE|-\n"
            "\n"
            "Follows each session's key events (JSON lines, see README \"Key events\")\n"
            "from FILE or standard input and checks its typing rhythm against the\n"
            "profile of the session's user. Trust starts at --start and moves with\n"
            "each scored timing: down when a window of recent timings is less\n"
            "consistent with the profile than the user's own typing, up when it is as\n"
            "consistent. Falling below --threshold raises an identity alert. Writes\n"
            "keystroke and alert events to DIR/eve.json, stores each session's trust,\n"
            "and prints a summary. A bad line is reported as FILE:LINE and skipped\n"
            "(exit status 1).\n"
            "\n"
            "options:\n"
            "      --db FILE        the store holding the profiles (default ./%s)\n"
            "  -o, --output DIR     write eve.json into DIR (default ./%s)\n"
            "      --threshold T    alert below trust T, 0..100 (default %.0f)\n"
            "      --start S        trust at a session's start, 0..100 (default %.0f)\n"
            "      --window N       timings in the sliding window, %d..%d (default %d)\n"
            "      --every K        a keystroke event every K keystrokes of a session\n"
            "                       and at its end (default %d)\n"
            "  -h, --help           print this help\n",
            LIVE_DB_DEFAULT, LIVE_OUT_DEFAULT, TRUST_THRESHOLD_DEFAULT, TRUST_START_DEFAULT,
            TYPING_WINDOW_MIN, TYPING_WINDOW_MAX, TYPING_WINDOW_DEFAULT, LIVE_EVERY_DEFAULT);
}

/* Parses a number in [lo, hi]. Returns 0 or -1. */
static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
        return -1;
    }
    *out = v;
    return 0;
}

enum { OPT_DB = 256, OPT_THRESHOLD, OPT_START, OPT_WINDOW, OPT_EVERY };

/* One option's value. Returns 0, or -1 (reported). */
static int verify_option(int ch, const char *arg, struct verify_opts *o)
{
    uint64_t v;

    switch (ch) {
    case OPT_THRESHOLD:
        if (parse_double(arg, TRUST_MIN, TRUST_MAX, &o->cfg.trust.threshold) == 0) {
            return 0;
        }
        fprintf(stderr, PROG_VERIFY ": --threshold '%s': give a number from 0 to 100\n", arg);
        return -1;
    case OPT_START:
        if (parse_double(arg, TRUST_MIN, TRUST_MAX, &o->cfg.trust.start) == 0) {
            return 0;
        }
        fprintf(stderr, PROG_VERIFY ": --start '%s': give a number from 0 to 100\n", arg);
        return -1;
    case OPT_WINDOW:
        if (cli_parse_u64(arg, TYPING_WINDOW_MIN, TYPING_WINDOW_MAX, &v) == 0) {
            o->cfg.window = (unsigned)v;
            return 0;
        }
        fprintf(stderr, PROG_VERIFY ": --window '%s': give a count from %d to %d\n", arg,
                TYPING_WINDOW_MIN, TYPING_WINDOW_MAX);
        return -1;
    default:
        if (cli_parse_u64(arg, 1, LIVE_EVERY_MAX, &v) == 0) {
            o->every = (unsigned)v;
            return 0;
        }
        fprintf(stderr, PROG_VERIFY ": --every '%s': give a count from 1 to %d\n", arg,
                LIVE_EVERY_MAX);
        return -1;
    }
}

static int verify_args(int argc, char **argv, struct verify_opts *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"output", required_argument, NULL, 'o'},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"start", required_argument, NULL, OPT_START},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"every", required_argument, NULL, OPT_EVERY},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int ch;

    o->db = LIVE_DB_DEFAULT;
    o->out_dir = LIVE_OUT_DEFAULT;
    o->every = LIVE_EVERY_DEFAULT;
    typing_config_default(&o->cfg);
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        if (ch == 'h') {
            verify_usage(stdout);
            return 1;
        }
        if (ch == 'o' || ch == OPT_DB) {
            *(ch == 'o' ? &o->out_dir : &o->db) = optarg;
            continue;
        }
        if (ch == '?' || ch == ':') {
            fprintf(stderr, PROG_VERIFY ": see '" PROG_VERIFY " --help'\n");
            return -1;
        }
        if (verify_option(ch, optarg, o) < 0) {
            return -1;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, PROG_VERIFY ": give one input, a file of key events or - for "
                        "standard input\n");
        return -1;
    }
    o->input = argv[optind];
    return 0;
}

/* The user's entry, loading the profile on first use. NULL on an error (reported). */
static struct live_user *user_get(struct verify_run *v, const char *name)
{
    struct live_user *slot = NULL;
    int found;

    for (unsigned i = 0; i < LIVE_USERS_MAX; i++) {
        struct live_user *u = &v->users[i];

        if (u->used && strcmp(u->name, name) == 0) {
            return u;
        }
        if (slot == NULL && (!u->used || u->refs == 0)) {
            slot = u; /* free, or held by no open session */
        }
    }
    if (slot == NULL) {
        fprintf(stderr, PROG_VERIFY ": internal: no room for the profile of %s\n", name);
        return NULL;
    }
    typing_profile_free(&slot->prof);
    memset(slot, 0, sizeof(*slot));
    if (typing_profile_init(&slot->prof) < 0) {
        fprintf(stderr, PROG_VERIFY ": out of memory loading the profile of %s\n", name);
        return NULL;
    }
    found = profile_load(PROG_VERIFY, v->get_profile, name, &slot->prof);
    if (found < 0) {
        typing_profile_free(&slot->prof);
        typing_profile_init(&slot->prof);
    }
    if (found == 0) {
        fprintf(stderr, PROG_VERIFY ": no profile for user %s; their sessions are not "
                        "scored (enrol them first)\n", name);
    }
    snprintf(slot->name, sizeof(slot->name), "%s", name);
    slot->used = true;
    slot->profiled = found == 1;
    return slot;
}

static void session_event(struct verify_run *v, struct live_session *s, bool final,
                          bool alert)
{
    struct typing_report r;
    struct auth_typing_event ev = {s->user->name, s->id, &r, s->user->profiled, final};

    typing_session_report(&s->ts, s->user->profiled ? &s->user->prof : NULL, &v->o->cfg, &r);
    if (alert) {
        auth_events_typing_alert(v->eve, ts_to_us(s->last_ts), &ev);
    } else {
        auth_events_keystroke(v->eve, ts_to_us(s->last_ts), &ev);
    }
}

/* Writes the session's row; commits every LIVE_DB_BATCH rows. */
static void session_persist(struct verify_run *v, struct live_session *s)
{
    char updated[JB_TIME_LEN + 1];
    char err[STORE_ERROR_LEN];
    sqlite3_stmt *put = v->put_session;

    jb_format_time(ts_to_us(s->last_ts), updated);
    sqlite3_bind_text(put, 1, s->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(put, 2, s->user->name, -1, SQLITE_STATIC);
    sqlite3_bind_double(put, 3, s->ts.trust.trust);
    sqlite3_bind_int64(put, 4, (sqlite3_int64)s->ts.stream.n_downs);
    sqlite3_bind_int(put, 5, s->ts.trust.n_alerts > 0);
    sqlite3_bind_text(put, 6, updated, -1, SQLITE_STATIC);
    if (step_done(PROG_VERIFY, put, "a session's trust") < 0) {
        v->failed = 1;
        return;
    }
    if (++v->db_pending < LIVE_DB_BATCH) {
        return;
    }
    v->db_pending = 0;
    if (store_commit(v->store, err) < 0 || store_begin(v->store, err) < 0) {
        fprintf(stderr, PROG_VERIFY ": %s\n", err);
        v->failed = 1;
    }
}

/* Ends a session: its last keystroke event, its row, its slot. */
static void session_end(struct verify_run *v, struct live_session *s)
{
    session_event(v, s, true, false);
    session_persist(v, s);
    if (s->ts.trust.n_alerts > 0) {
        v->n_sessions_alerted++;
    }
    s->user->refs--;
    typing_session_free(&s->ts);
    if (v->last == s) {
        v->last = NULL;
    }
    memset(s, 0, sizeof(*s));
}

static struct live_session *session_find(struct verify_run *v, const char *id,
                                         struct live_session **idlest,
                                         struct live_session **free_slot)
{
    for (unsigned i = 0; i < LIVE_SESSIONS_MAX; i++) {
        struct live_session *s = &v->sessions[i];

        if (s->used && strcmp(s->id, id) == 0) {
            return s;
        }
        if (!s->used && *free_slot == NULL) {
            *free_slot = s;
        }
        if (s->used && (*idlest == NULL || s->lru < (*idlest)->lru)) {
            *idlest = s;
        }
    }
    return NULL;
}

/* A new session in a free slot, ending the idlest one when all are taken. */
static struct live_session *session_open(struct verify_run *v, const struct keyev *ev,
                                         struct live_session *idlest,
                                         struct live_session *slot)
{
    if (slot == NULL) {
        session_end(v, idlest);
        v->n_evicted++;
        slot = idlest;
    }
    slot->user = user_get(v, ev->user);
    if (slot->user == NULL || typing_session_init(&slot->ts, &v->o->cfg) < 0) {
        fprintf(stderr, PROG_VERIFY ": out of memory opening session %s\n", ev->session);
        v->failed = 1;
        typing_session_free(&slot->ts);
        memset(slot, 0, sizeof(*slot));
        return NULL;
    }
    slot->user->refs++;
    snprintf(slot->id, sizeof(slot->id), "%s", ev->session);
    slot->used = true;
    slot->next_event_keys = v->o->every;
    v->n_sessions++;
    v->n_unprofiled += !slot->user->profiled;
    return slot;
}

/* The event's session; NULL when the line names another user than the session's. */
static struct live_session *session_get(struct verify_run *v, struct keyev_reader *r,
                                        const struct keyev *ev)
{
    struct live_session *s = v->last, *idlest = NULL, *slot = NULL;
    char why[KEYEV_WHY_LEN];

    if (s == NULL || strcmp(s->id, ev->session) != 0) {
        s = session_find(v, ev->session, &idlest, &slot);
    }
    if (s == NULL) {
        s = session_open(v, ev, idlest, slot);
        if (s == NULL) {
            return NULL;
        }
    }
    if (strcmp(s->user->name, ev->user) != 0) {
        snprintf(why, sizeof(why), "session %.40s belongs to user %.40s, not %.40s", s->id,
                 s->user->name, ev->user);
        keyev_reader_bad(r, why);
        return NULL;
    }
    s->lru = ++v->tick;
    v->last = s;
    return s;
}

static void verify_event(struct verify_run *v, struct keyev_reader *r, const struct keyev *ev)
{
    struct live_session *s = session_get(v, r, ev);
    char why[KEYEV_WHY_LEN];
    int change;

    if (s == NULL) {
        return;
    }
    change = typing_session_feed(&s->ts, s->user->profiled ? &s->user->prof : NULL,
                                 &v->o->cfg, ev, why);
    if (change < 0) {
        keyev_reader_bad(r, why);
        return;
    }
    s->last_ts = ev->ts;
    if (change == TRUST_FELL) {
        v->n_alerts++;
        session_event(v, s, false, true);
        session_persist(v, s);
    }
    if (s->ts.stream.n_downs >= s->next_event_keys) {
        s->next_event_keys += v->o->every;
        session_event(v, s, false, false);
    }
}

/* Reads every event, then ends every open session. Returns 0, or -1 on a read error. */
static int verify_read(struct verify_run *v, struct keyev_reader *r)
{
    struct keyev ev;
    int rc;

    for (;;) {
        rc = keyev_next(r, &ev);
        if (rc <= 0 || v->failed) {
            break;
        }
        verify_event(v, r, &ev);
    }
    for (unsigned i = 0; i < LIVE_SESSIONS_MAX; i++) {
        if (v->sessions[i].used) {
            session_end(v, &v->sessions[i]);
        }
    }
    if (rc < 0) {
        fprintf(stderr, PROG_VERIFY ": reading %s: %s\n", r->name, strerror(r->read_error));
        return -1;
    }
    return 0;
}

static void verify_summary(const struct verify_run *v, const char *eve_path)
{
    printf("sessions: %llu (%llu without a profile), identity alerts: %llu in %llu sessions\n",
           (unsigned long long)v->n_sessions, (unsigned long long)v->n_unprofiled,
           (unsigned long long)v->n_alerts, (unsigned long long)v->n_sessions_alerted);
    if (v->n_evicted > 0) {
        printf("%llu sessions, the longest idle, were ended before the input did: at most %d "
               "are followed at once\n",
               (unsigned long long)v->n_evicted, LIVE_SESSIONS_MAX);
    }
    printf("events: %s\n", eve_path);
}

/* Opens the store, its statements and eve.json. Returns an exit code. */
static int verify_open(struct verify_run *v, char *eve_path)
{
    char err[STORE_ERROR_LEN];

    snprintf(eve_path, LIVE_PATH_LEN_MAX, "%s/eve.json", v->o->out_dir);
    if (make_parent_dir(PROG_VERIFY, eve_path) < 0 ||
        open_store(PROG_VERIFY, v->o->db, &v->store) < 0) {
        return WW_EXIT_INPUT;
    }
    if (prepare(PROG_VERIFY, v->store, sql_get_profile, &v->get_profile) < 0 ||
        prepare(PROG_VERIFY, v->store, sql_put_session, &v->put_session) < 0) {
        return WW_EXIT_INTERNAL;
    }
    if (store_begin(v->store, err) < 0) {
        fprintf(stderr, PROG_VERIFY ": %s\n", err);
        return WW_EXIT_INTERNAL;
    }
    v->eve = eve_open(eve_path);
    if (v->eve == NULL) {
        fprintf(stderr, PROG_VERIFY ": cannot write %s: %s\n", eve_path, strerror(errno));
        return WW_EXIT_INPUT;
    }
    return WW_EXIT_OK;
}

/* Commits, closes eve.json, frees. Returns the exit code given, or a worse one. */
static int verify_close(struct verify_run *v, int rc, const char *eve_path)
{
    char err[STORE_ERROR_LEN];
    int erc;

    if (v->store != NULL && v->get_profile != NULL && v->put_session != NULL) {
        if (store_commit(v->store, err) < 0 && rc == WW_EXIT_OK) {
            fprintf(stderr, PROG_VERIFY ": %s\n", err);
            rc = WW_EXIT_INTERNAL;
        }
    }
    erc = eve_close(v->eve);
    if (erc < 0 && rc == WW_EXIT_OK) {
        fprintf(stderr, PROG_VERIFY ": writing %s failed: %s\n", eve_path, strerror(-erc));
        rc = WW_EXIT_INTERNAL;
    }
    sqlite3_finalize(v->get_profile);
    sqlite3_finalize(v->put_session);
    store_close(v->store);
    for (unsigned i = 0; v->users != NULL && i < LIVE_USERS_MAX; i++) {
        typing_profile_free(&v->users[i].prof);
    }
    free(v->users);
    free(v->sessions);
    return rc;
}

int cli_keystroke_verify(int argc, char **argv)
{
    struct verify_opts o = {0};
    struct verify_run v = {0};
    struct keyev_reader r;
    char eve_path[LIVE_PATH_LEN_MAX] = "";
    bool ran = false;
    int rc = verify_args(argc, argv, &o);

    if (rc != 0) {
        return rc > 0 ? WW_EXIT_OK : WW_EXIT_INPUT;
    }
    if (keyev_reader_open(&r, o.input, PROG_VERIFY) < 0) {
        fprintf(stderr, PROG_VERIFY ": cannot read %s: %s\n", o.input, strerror(errno));
        return WW_EXIT_INPUT;
    }
    v.o = &o;
    v.users = calloc(LIVE_USERS_MAX, sizeof(*v.users));
    v.sessions = calloc(LIVE_SESSIONS_MAX, sizeof(*v.sessions));
    if (v.users == NULL || v.sessions == NULL) {
        fprintf(stderr, PROG_VERIFY ": out of memory\n");
        rc = WW_EXIT_INTERNAL;
    } else {
        rc = verify_open(&v, eve_path);
    }
    if (rc == WW_EXIT_OK) {
        ran = true;
        rc = verify_read(&v, &r) < 0 ? WW_EXIT_INPUT : WW_EXIT_OK;
        rc = v.failed ? WW_EXIT_INTERNAL : rc;
    }
    rc = verify_close(&v, rc, eve_path);
    if (ran && rc != WW_EXIT_INTERNAL) {
        verify_summary(&v, eve_path);
    }
    keyev_reader_close(&r);
    return rc == WW_EXIT_OK && r.n_bad > 0 ? WW_EXIT_INPUT : rc;
}
