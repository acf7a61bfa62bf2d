/* SPDX-License-Identifier: MIT */
/*
 * test_telnet: the Telnet parser (src/proto/telnet.c) on hand-written
 * sessions: IAC negotiation, subnegotiation and IAC IAC stripped however
 * the bytes are split, the banner, each login attempt with its outcome
 * (character-at-a-time echo, typed-ahead passwords, password-only logins,
 * brute force), and passwords kept out of eve.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "flow/flow.h"
#include "output/eve.h"
#include "proto/proto.h"

extern const struct proto_parser proto_telnet_parser;

#define PATH_LEN 512
#define DRIVE_BUF_LEN (PROTO_BUF_MAX)
#define FILE_MAX (1 << 20)
#define EVIDENCE_MAX 8
#define TS 1700000000000000ull

static char dir_path[PATH_LEN];
static char eve_path[PATH_LEN + 16];

struct step {
    int dir;
    const char *bytes;
    size_t len; /* the bytes may hold NUL */
};

#define STEP(d, s)                                                                                 \
    {                                                                                              \
        d, s, sizeof(s) - 1                                                                        \
    }

#define C FLOW_TOSERVER
#define S FLOW_TOCLIENT
#define N_STEPS(a) (sizeof(a) / sizeof(a[0]))

/* IAC (255) WILL 251 WONT 252 DO 253 DONT 254 SB 250 SE 240; ECHO 1, SGA 3, TTYPE 24, NAWS 31. */
static const struct step login_session[] = {
    STEP(S, "\xff\xfd\x18\xff\xfd\x1f\xff\xfb\x01\xff\xfb\x03"),
    STEP(C, "\xff\xfb\x18\xff\xfb\x1f\xff\xfd\x01\xff\xfd\x03"),
    STEP(S, "\xff\xfa\x18\x01\xff\xf0"),
    STEP(C, "\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0\xff\xfa\x18\x00VT100\xff\xf0"),
    STEP(S, "\r\n\x1b[1mWard 3 PACS gateway\x1b[0m\r\nAuthorized use only\r\n\r\ngw login: "),
    /* character at a time, the server echoing */
    STEP(C, "n"),
    STEP(S, "n"),
    STEP(C, "u"),
    STEP(S, "u"),
    STEP(C, "r"),
    STEP(S, "r"),
    STEP(C, "s"),
    STEP(S, "s"),
    STEP(C, "e\r\x00"),
    STEP(S, "e\r\n"),
    STEP(S, "Password: "),
    STEP(C, "Wr0ng-Secret\r\n"),
    STEP(S, "\r\n"),
    STEP(S, "Login incorrect\r\ngw login: "),
    STEP(C, "nurse\r\n"),
    STEP(S, "nurse\r\nPassword: "),
    STEP(C, "Right-Secret9\r\n"),
    STEP(S, "\r\nLast login: Mon Jan  1 10:00:00 on pts/0\r\n"),
    STEP(S, "nurse@gw:~$ "),
    STEP(C, "ls\r\n"),
};

/* ---- harness ---- */

static int make_dir(void **state)
{
    const char *tmp = getenv("TMPDIR");

    (void)state;
    snprintf(dir_path, sizeof(dir_path), "%s/ww_test_telnet.XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(dir_path) == NULL) {
        return -1;
    }
    snprintf(eve_path, sizeof(eve_path), "%s/eve.json", dir_path);
    return 0;
}

static int remove_dir(void **state)
{
    (void)state;
    unlink(eve_path);
    rmdir(dir_path);
    return 0;
}

/* Identity evidence reported during a drive. */
static struct {
    char kind[32];
    char value[300];
    int who_is_server;
} evidence[EVIDENCE_MAX];
static int n_evidence;

static void on_evidence(void *arg, const struct proto_evidence *ev)
{
    (void)arg;
    if (n_evidence < EVIDENCE_MAX) {
        size_t n = ev->value_len < sizeof(evidence[0].value) - 1 ? ev->value_len
                                                                 : sizeof(evidence[0].value) - 1;

        snprintf(evidence[n_evidence].kind, sizeof(evidence[0].kind), "%s", ev->kind);
        memcpy(evidence[n_evidence].value, ev->value, n);
        evidence[n_evidence].value[n] = '\0';
        evidence[n_evidence].who_is_server = ev->addr[3] == 2; /* 10.0.0.2 is the server */
        n_evidence++;
    }
}

/* One flow's parser, fed as proto.c feeds it. */
struct drive {
    struct ww_flow flow;
    struct eve_writer *eve;
    struct proto_layer *pl;
    void *state;
    uint8_t *buf[2];
    size_t len[2];
    bool stopped;
};

static void drive_open(struct drive *d)
{
    memset(d, 0, sizeof(*d));
    d->flow.key.family = 4;
    d->flow.key.proto = 6;
    d->flow.key.addr[0][0] = 10;
    d->flow.key.addr[0][3] = 1;
    d->flow.key.addr[1][0] = 10;
    d->flow.key.addr[1][3] = 2;
    d->flow.key.port[0] = 40000;
    d->flow.key.port[1] = 23;
    d->flow.id = 1;
    d->flow.app_proto = APP_TELNET; /* as the proto layer sets it */
    d->eve = eve_open(eve_path);
    assert_non_null(d->eve);
    d->pl = proto_layer_new(d->eve);
    assert_non_null(d->pl);
    proto_layer_set_evidence(d->pl, on_evidence, NULL);
    n_evidence = 0;
    d->state = calloc(1, proto_telnet_parser.state_size);
    d->buf[0] = malloc(DRIVE_BUF_LEN);
    d->buf[1] = malloc(DRIVE_BUF_LEN);
    assert_non_null(d->state);
    assert_non_null(d->buf[0]);
    assert_non_null(d->buf[1]);
}

static struct proto_ctx drive_ctx(struct drive *d, int dir)
{
    struct proto_ctx ctx = {d->eve, &d->flow, dir, TS, d->pl};

    return ctx;
}

/* Hands the parser len more bytes of direction dir. Returns its last answer. */
static int drive_feed(struct drive *d, int dir, const void *data, size_t len)
{
    struct proto_ctx ctx = drive_ctx(d, dir);
    size_t done = 0;
    int rc = 0;

    if (d->stopped) {
        return PROTO_MALFORMED;
    }
    assert_true(d->len[dir] + len <= DRIVE_BUF_LEN);
    memcpy(d->buf[dir] + d->len[dir], data, len);
    d->len[dir] += len;
    while (done < d->len[dir]) {
        rc = proto_telnet_parser.parse(&ctx, d->state, d->buf[dir] + done, d->len[dir] - done);
        if (rc == PROTO_NEED_MORE) {
            break;
        }
        if (rc <= 0) {
            d->stopped = true;
            return rc;
        }
        assert_true((size_t)rc <= d->len[dir] - done);
        done += (size_t)rc;
    }
    memmove(d->buf[dir], d->buf[dir] + done, d->len[dir] - done);
    d->len[dir] -= done;
    return rc;
}

static void drive_steps(struct drive *d, const struct step *steps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        drive_feed(d, steps[i].dir, steps[i].bytes, steps[i].len);
    }
}

/* The end of the flow: the parser is told (len 0), then everything is freed. */
static void drive_close(struct drive *d, bool end_call)
{
    struct proto_ctx ctx = drive_ctx(d, FLOW_TOSERVER);

    if (end_call) {
        assert_int_equal(proto_telnet_parser.parse(&ctx, d->state, NULL, 0), 0);
    }
    proto_telnet_parser.state_free(d->state);
    free(d->state);
    free(d->buf[0]);
    free(d->buf[1]);
    proto_layer_free(d->pl);
    assert_int_equal(eve_close(d->eve), 0);
}

/* The text of eve.json, NUL-terminated; the caller frees it. */
static char *read_eve(void)
{
    FILE *fh = fopen(eve_path, "rb");
    char *s = malloc(FILE_MAX);
    size_t n;

    assert_non_null(fh);
    assert_non_null(s);
    n = fread(s, 1, FILE_MAX - 1, fh);
    s[n] = '\0';
    fclose(fh);
    return s;
}

/* The objects of one event type in eve.json in order (anomalies under "anomaly"). */
static json_t *load_events(const char *type)
{
    json_t *out = json_array();
    char *text = read_eve();
    char *line = text;

    while (line != NULL && *line != '\0') {
        char *nl = strchr(line, '\n');
        json_error_t err;
        json_t *e;

        if (nl != NULL) {
            *nl = '\0';
        }
        e = json_loads(line, 0, &err);
        assert_non_null(e);
        if (strcmp(json_string_value(json_object_get(e, "event_type")), type) == 0) {
            json_array_append(out, json_object_get(e, type));
        }
        json_decref(e);
        line = nl != NULL ? nl + 1 : NULL;
    }
    free(text);
    return out;
}

static json_t *get(json_t *obj, const char *path)
{
    char part[64];

    while (obj != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");

        assert_true(n < sizeof(part));
        memcpy(part, path, n);
        part[n] = '\0';
        obj = json_is_array(obj) ? json_array_get(obj, strtoul(part, NULL, 10))
                                 : json_object_get(obj, part);
        path += n + (path[n] == '.');
    }
    return obj;
}

static void expect_str(json_t *ev, size_t i, const char *path, const char *want)
{
    json_t *v = get(json_array_get(ev, i), path);

    if (v == NULL || !json_is_string(v)) {
        fail_msg("event %zu %s: not a string", i, path);
    }
    assert_string_equal(json_string_value(v), want);
}

static void expect_int(json_t *ev, size_t i, const char *path, json_int_t want)
{
    json_t *v = get(json_array_get(ev, i), path);

    if (v == NULL || !json_is_integer(v)) {
        fail_msg("event %zu %s: not an integer", i, path);
    }
    assert_int_equal(json_integer_value(v), want);
}

static void expect_bool(json_t *ev, size_t i, const char *path, bool want)
{
    json_t *v = get(json_array_get(ev, i), path);

    if (v == NULL || !json_is_boolean(v)) {
        fail_msg("event %zu %s: not a boolean", i, path);
    }
    assert_int_equal(json_is_true(v), want);
}

static void expect_absent(json_t *ev, size_t i, const char *path)
{
    if (get(json_array_get(ev, i), path) != NULL) {
        fail_msg("event %zu %s: present", i, path);
    }
}

/* Runs a whole conversation, one step a call, and returns its telnet objects. */
static json_t *run(const struct step *steps, size_t n, bool end_call)
{
    struct drive d;

    drive_open(&d);
    drive_steps(&d, steps, n);
    drive_close(&d, end_call);
    return load_events("telnet");
}

/* ---- tests ---- */

static void test_session(void **state)
{
    json_t *ev;

    (void)state;
    ev = run(login_session, N_STEPS(login_session), false);
    assert_int_equal(json_array_size(ev), 3);
    /* the banner: text before the first prompt, escapes and commands stripped */
    expect_str(ev, 0, "banner", "Ward 3 PACS gateway\nAuthorized use only");
    expect_absent(ev, 0, "login");
    expect_str(ev, 0, "options.server.0", "echo");
    expect_str(ev, 0, "options.server.1", "suppress_go_ahead");
    expect_str(ev, 0, "options.client.0", "terminal_type");
    expect_str(ev, 0, "options.client.1", "naws");
    expect_str(ev, 0, "terminal_type", "VT100");
    /* one event per attempt */
    expect_int(ev, 1, "login.attempt", 1);
    expect_str(ev, 1, "login.user", "nurse");
    expect_bool(ev, 1, "login.password_sent", true);
    expect_bool(ev, 1, "login.success", false);
    expect_int(ev, 2, "login.attempt", 2);
    expect_str(ev, 2, "login.user", "nurse");
    expect_bool(ev, 2, "login.success", true);
    expect_absent(ev, 2, "login.password");
    json_decref(ev);
}

static void test_no_password_in_eve(void **state)
{
    char *text;

    (void)state;
    json_decref(run(login_session, N_STEPS(login_session), true));
    text = read_eve();
    assert_non_null(strstr(text, "nurse")); /* the check can see what is there */
    assert_null(strstr(text, "Wr0ng"));
    assert_null(strstr(text, "Right-Secret"));
    free(text);
}

/* The same events whatever way one step is cut in two: IAC, SB ... SE, CR NUL. */
static void test_every_split(void **state)
{
    char *whole;

    (void)state;
    json_decref(run(login_session, N_STEPS(login_session), true));
    whole = read_eve();
    for (size_t i = 0; i < N_STEPS(login_session); i++) {
        const struct step *st = &login_session[i];

        for (size_t cut = 1; cut < st->len; cut++) {
            struct drive d;
            char *split;

            drive_open(&d);
            drive_steps(&d, login_session, i);
            drive_feed(&d, st->dir, st->bytes, cut);
            drive_feed(&d, st->dir, st->bytes + cut, st->len - cut);
            drive_steps(&d, login_session + i + 1, N_STEPS(login_session) - i - 1);
            drive_close(&d, true);
            split = read_eve();
            if (strcmp(split, whole) != 0) {
                fail_msg("step %zu cut at %zu: events differ", i, cut);
            }
            free(split);
        }
    }
    free(whole);
}

/* Subnegotiation with IAC IAC inside, cut after every byte: the terminal type survives. */
static void test_sb_byte_at_a_time(void **state)
{
    static const uint8_t sb[] = {255, 250, 24, 0, 'x', 255, 255, 'y', 255, 240};
    static const uint8_t text[] = "login: ";
    struct drive d;
    json_t *ev;

    (void)state;
    drive_open(&d);
    drive_feed(&d, S, "\xff\xfd\x18", 3);
    drive_feed(&d, C, "\xff\xfb\x18", 3);
    for (size_t i = 0; i < sizeof(sb); i++) {
        drive_feed(&d, C, sb + i, 1);
    }
    drive_feed(&d, S, text, sizeof(text) - 1);
    drive_close(&d, true);
    ev = load_events("telnet");
    assert_int_equal(json_array_size(ev), 1);
    expect_str(ev, 0, "terminal_type", "xy"); /* 255 is not printable: not kept */
    expect_str(ev, 0, "options.client.0", "terminal_type");
    json_decref(ev);
}

/* IAC IAC is a data byte 255; other commands inside text vanish. */
static void test_iac_in_text(void **state)
{
    static const struct step steps[] = {
        STEP(S, "login: "),
        STEP(C, "ad\xff\xf1m\xff\xffin\r\n"), /* NOP inside, then a literal 255 */
        STEP(S, "Password:"),
        STEP(C, "pw\r\n"),
        STEP(S, "\r\n\xff\xf9"
                "Access denied\r\n"), /* GA before the text */
    };
    json_t *ev = run(steps, N_STEPS(steps), false);

    (void)state;
    assert_int_equal(json_array_size(ev), 1);
    expect_str(ev, 0, "login.user", "adm\xc3\xbfin"); /* byte 255 written as U+00FF */
    expect_bool(ev, 0, "login.success", false);
    json_decref(ev);
}

static void test_brute_force(void **state)
{
    static const struct step steps[] = {
        STEP(S, "Welcome\r\nUsername: "),
        STEP(C, "admin\r\n"),
        STEP(S, "Password: "),
        STEP(C, "admin\r\n"),
        STEP(S, "\r\n% Authentication failed\r\n\r\nUsername: "),
        STEP(C, "root\r\n"),
        STEP(S, "Password: "),
        STEP(C, "toor\r\n"),
        STEP(S, "\r\nUsername: "), /* asked again without a word: failed */
        STEP(C, "guest\r\n"),
        STEP(S, "Password: "),
        STEP(C, "guest\r\n"),
        STEP(S, "\r\nAccess DENIED\r\n"),
        STEP(C, "user\r\n"), /* after the verdict, before a prompt: not an attempt */
    };
    json_t *ev = run(steps, N_STEPS(steps), true);

    (void)state;
    assert_int_equal(json_array_size(ev), 4);
    expect_str(ev, 0, "banner", "Welcome");
    for (size_t i = 1; i < 4; i++) {
        expect_int(ev, i, "login.attempt", (json_int_t)i);
        expect_bool(ev, i, "login.success", false);
    }
    expect_str(ev, 2, "login.user", "root");
    expect_str(ev, 3, "login.user", "guest");
    json_decref(ev);
}

/* A device that asks only for a password, and a password typed ahead of its prompt. */
static void test_password_only_and_typed_ahead(void **state)
{
    static const struct step cisco[] = {
        STEP(S, "\r\nUser Access Verification\r\n\r\nPassword: "),
        STEP(C, "cisco\r\n"),
        STEP(S, "\r\nPassword: "),
        STEP(C, "Secret-2\r\n"),
        STEP(S, "\r\nrouter>"),
    };
    static const struct step ahead[] = {
        STEP(S, "host login: "),
        STEP(C, "svc\r\nAhead-Secret\r\n"),
        STEP(S, "svc\r\nPassword: \r\n"),
        STEP(S, "$ "),
    };
    json_t *ev = run(cisco, N_STEPS(cisco), false);

    (void)state;
    assert_int_equal(json_array_size(ev), 3);
    expect_str(ev, 0, "banner", "User Access Verification");
    expect_absent(ev, 1, "login.user");
    expect_bool(ev, 1, "login.password_sent", true);
    expect_bool(ev, 1, "login.success", false);
    expect_bool(ev, 2, "login.success", true);
    json_decref(ev);
    ev = run(ahead, N_STEPS(ahead), false);
    assert_int_equal(json_array_size(ev), 1);
    expect_str(ev, 0, "login.user", "svc");
    expect_bool(ev, 0, "login.password_sent", true);
    expect_bool(ev, 0, "login.success", true);
    json_decref(ev);
}

/* Typing corrections apply; an attempt the flow leaves undecided has no success. */
static void test_backspace_and_undecided(void **state)
{
    static const struct step steps[] = {
        STEP(S, "login: "),
        STEP(C, "rooo\x7ft\r\n"),
        STEP(S, "Password: "),
        STEP(C, "x\bpw\r\n"),
    };
    json_t *ev = run(steps, N_STEPS(steps), false);

    (void)state;
    assert_int_equal(json_array_size(ev), 0); /* no verdict yet, and no end-of-flow call */
    json_decref(ev);
    ev = run(steps, N_STEPS(steps), true);
    assert_int_equal(json_array_size(ev), 1);
    expect_str(ev, 0, "login.user", "root");
    expect_bool(ev, 0, "login.password_sent", true);
    expect_absent(ev, 0, "login.success");
    json_decref(ev);
}

static void test_evidence(void **state)
{
    struct drive d;

    (void)state;
    drive_open(&d);
    d.flow.app_proto = APP_NONE; /* the layer picks the parser */
    for (size_t i = 0; i < 8; i++) {
        proto_stream(d.pl, &d.flow, login_session[i].dir, (const uint8_t *)login_session[i].bytes,
                     (uint32_t)login_session[i].len, STREAM_DATA);
    }
    proto_flow_end(d.pl, &d.flow);
    assert_int_equal(proto_layer_stats(d.pl)->flows[APP_TELNET], 1);
    drive_close(&d, false);
    assert_int_equal(n_evidence, 1);
    assert_string_equal(evidence[0].kind, "telnet.banner");
    assert_string_equal(evidence[0].value, "Ward 3 PACS gateway\nAuthorized use only");
    assert_true(evidence[0].who_is_server);
}

static void test_probe(void **state)
{
    (void)state;
    assert_true(proto_telnet_parser.probe((const uint8_t *)"\xff\xfd\x18", 3, S));
    assert_true(proto_telnet_parser.probe((const uint8_t *)"\xff", 1, C));
    assert_true(proto_telnet_parser.probe((const uint8_t *)"\r\nlogin: ", 9, S));
    assert_false(proto_telnet_parser.probe((const uint8_t *)"\xff\x01", 2, S));
    assert_false(proto_telnet_parser.probe((const uint8_t *)"\x16\x03\x01\x02", 4, C));
    assert_false(proto_telnet_parser.probe((const uint8_t *)"", 0, C));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_no_password_in_eve),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_sb_byte_at_a_time),
        cmocka_unit_test(test_iac_in_text),
        cmocka_unit_test(test_brute_force),
        cmocka_unit_test(test_password_only_and_typed_ahead),
        cmocka_unit_test(test_backspace_and_undecided),
        cmocka_unit_test(test_evidence),
        cmocka_unit_test(test_probe),
    };

    return cmocka_run_group_tests_name("test_telnet", tests, make_dir, remove_dir);
}
