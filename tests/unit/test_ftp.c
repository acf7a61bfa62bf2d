/* SPDX-License-Identifier: MIT */
/*
 * test_ftp: the FTP parser (src/proto/ftp.c) on hand-written control
 * channel conversations: one event per command with its replies,
 * multi-line replies, logins and brute force, data ports, passwords kept
 * out of eve.json, the same events however the bytes are split, long
 * lines, AUTH TLS, and input that is not FTP.
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

extern const struct proto_parser proto_ftp_parser;

#define PATH_LEN 512
#define DRIVE_BUF_LEN (PROTO_BUF_MAX)
#define FILE_MAX (1 << 20)
#define EVIDENCE_MAX 8
#define TS 1700000000000000ull

static char dir_path[PATH_LEN];
static char eve_path[PATH_LEN + 16];

/* ---- conversations: C is the client's stream, S the server's ---- */

struct step {
    int dir;
    const char *bytes;
};

#define C FLOW_TOSERVER
#define S FLOW_TOCLIENT

static const struct step login_session[] = {
    {S, "220-Ward 3 archive\r\n220 ready\r\n"},
    {C, "USER nurse1\r\n"},
    {S, "331 Password required for nurse1\r\n"},
    {C, "PASS Wr0ng-Secret\r\n"},
    {S, "530 Login incorrect.\r\n"},
    {C, "USER nurse1\r\n"},
    {S, "331 Password required\r\n"},
    {C, "PASS Right-Secret9\r\n"},
    {S, "230 Logged in\r\n"},
    {C, "FEAT\r\n"},
    {S, "211-Features:\r\n EPRT\r\n211-not the end\r\n PASV\r\n211 End\r\n"},
    {C, "RETR report.pdf\r\n"},
    {S, "150 Opening\r\n226 Transfer complete\r\n"},
    {C, "QUIT\r\n"},
    {S, "221 Goodbye\r\n"},
};

#define N_STEPS(a) (sizeof(a) / sizeof(a[0]))

/* ---- harness ---- */

static int make_dir(void **state)
{
    const char *tmp = getenv("TMPDIR");

    (void)state;
    snprintf(dir_path, sizeof(dir_path), "%s/ww_test_ftp.XXXXXX", tmp != NULL ? tmp : "/tmp");
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

/* One flow's parser with proto.c's buffering of incomplete lines. */
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
    d->flow.key.port[1] = 21;
    d->flow.id = 1;
    d->flow.app_proto = APP_FTP; /* as the proto layer sets it */
    d->eve = eve_open(eve_path);
    assert_non_null(d->eve);
    d->pl = proto_layer_new(d->eve);
    assert_non_null(d->pl);
    proto_layer_set_evidence(d->pl, on_evidence, NULL);
    n_evidence = 0;
    d->state = calloc(1, proto_ftp_parser.state_size);
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
        rc = proto_ftp_parser.parse(&ctx, d->state, d->buf[dir] + done, d->len[dir] - done);
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
        drive_feed(d, steps[i].dir, steps[i].bytes, strlen(steps[i].bytes));
    }
}

/* The end of the flow: the parser is told (len 0), then everything is freed. */
static void drive_close(struct drive *d, bool end_call)
{
    struct proto_ctx ctx = drive_ctx(d, FLOW_TOSERVER);

    if (end_call) {
        assert_int_equal(proto_ftp_parser.parse(&ctx, d->state, NULL, 0), 0);
    }
    proto_ftp_parser.state_free(d->state);
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

/* The `ftp` objects of eve.json in order (anomalies under "anomaly"). */
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

/* Runs a whole conversation, one step a call, and returns its ftp objects. */
static json_t *run(const struct step *steps, size_t n, bool end_call)
{
    struct drive d;

    drive_open(&d);
    drive_steps(&d, steps, n);
    drive_close(&d, end_call);
    return load_events("ftp");
}

/* ---- tests ---- */

static void test_session(void **state)
{
    json_t *ev;

    (void)state;
    ev = run(login_session, N_STEPS(login_session), false);
    assert_int_equal(json_array_size(ev), 8);
    /* the greeting: a multi-line reply no command asked for */
    expect_absent(ev, 0, "command");
    expect_str(ev, 0, "completion_code.0", "220");
    expect_str(ev, 0, "reply.0", "Ward 3 archive");
    expect_str(ev, 0, "reply.1", "ready");
    expect_str(ev, 0, "reply_received", "yes");
    /* a failed and a successful login */
    expect_str(ev, 1, "command", "USER");
    expect_str(ev, 1, "command_data", "nurse1");
    expect_absent(ev, 1, "login");
    expect_str(ev, 2, "command", "PASS");
    expect_absent(ev, 2, "command_data");
    expect_bool(ev, 2, "password_sent", true);
    expect_str(ev, 2, "login.user", "nurse1");
    expect_bool(ev, 2, "login.password_sent", true);
    expect_bool(ev, 2, "login.success", false);
    expect_bool(ev, 4, "login.success", true);
    expect_str(ev, 4, "completion_code.0", "230");
    /* a multi-line reply: lines starting with the code and a dash do not end it */
    expect_str(ev, 5, "command", "FEAT");
    expect_str(ev, 5, "reply.0", "Features:");
    expect_str(ev, 5, "reply.1", " EPRT");
    expect_str(ev, 5, "reply.2", "not the end");
    expect_str(ev, 5, "reply.4", "End");
    assert_int_equal(json_array_size(get(json_array_get(ev, 5), "completion_code")), 1);
    /* a preliminary reply and the final one */
    expect_str(ev, 6, "command_data", "report.pdf");
    expect_str(ev, 6, "completion_code.0", "150");
    expect_str(ev, 6, "completion_code.1", "226");
    expect_bool(ev, 6, "command_truncated", false);
    expect_str(ev, 7, "command", "QUIT");
    expect_absent(ev, 7, "command_truncated");
    json_decref(ev);
}

/* Through the proto layer: the greeting is the server's identity evidence,
 * a login's outcome is evidence too, the user name is not. */
static void test_evidence(void **state)
{
    struct drive d;

    (void)state;
    drive_open(&d);
    d.flow.app_proto = APP_NONE; /* the layer picks the parser */
    for (size_t i = 0; i < 5; i++) {
        const char *b = login_session[i].bytes;

        proto_stream(d.pl, &d.flow, login_session[i].dir, (const uint8_t *)b, (uint32_t)strlen(b),
                     STREAM_DATA);
    }
    proto_flow_end(d.pl, &d.flow);
    assert_int_equal(proto_layer_stats(d.pl)->flows[APP_FTP], 1);
    drive_close(&d, false);
    assert_int_equal(n_evidence, 2);
    assert_string_equal(evidence[0].kind, "ftp.banner");
    assert_string_equal(evidence[0].value, "Ward 3 archive\nready");
    assert_true(evidence[0].who_is_server);
    /* the first login's outcome: a login in clear, about the server */
    assert_string_equal(evidence[1].kind, "login.ftp");
    assert_string_equal(evidence[1].value, "failure");
    assert_true(evidence[1].who_is_server);
}

static void test_no_password_in_eve(void **state)
{
    json_t *ev;
    char *text;

    (void)state;
    ev = run(login_session, N_STEPS(login_session), true);
    json_decref(ev);
    text = read_eve();
    assert_non_null(strstr(text, "nurse1")); /* the check can see what is there */
    assert_null(strstr(text, "Wr0ng-Secret"));
    assert_null(strstr(text, "Right-Secret9"));
    free(text);
}

/* The events must be the same whatever way each direction is cut in two. */
static void test_every_split(void **state)
{
    char *whole;

    (void)state;
    json_decref(run(login_session, N_STEPS(login_session), true));
    whole = read_eve();
    for (size_t i = 0; i < N_STEPS(login_session); i++) {
        const char *b = login_session[i].bytes;
        size_t len = strlen(b);

        for (size_t cut = 1; cut < len; cut++) {
            struct drive d;
            char *split;

            drive_open(&d);
            drive_steps(&d, login_session, i);
            drive_feed(&d, login_session[i].dir, b, cut);
            drive_feed(&d, login_session[i].dir, b + cut, len - cut);
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

/* Byte by byte, both directions interleaved: the same events again. */
static void test_byte_at_a_time(void **state)
{
    struct drive d;
    char *whole, *bytes;

    (void)state;
    json_decref(run(login_session, N_STEPS(login_session), true));
    whole = read_eve();
    drive_open(&d);
    for (size_t i = 0; i < N_STEPS(login_session); i++) {
        for (const char *p = login_session[i].bytes; *p != '\0'; p++) {
            drive_feed(&d, login_session[i].dir, p, 1);
        }
    }
    drive_close(&d, true);
    bytes = read_eve();
    assert_string_equal(bytes, whole);
    free(whole);
    free(bytes);
}

static void test_brute_force(void **state)
{
    static const struct step steps[] = {
        {S, "220 x\r\n"},
        {C, "USER admin\r\nPASS a1\r\n"}, /* pipelined */
        {S, "331 pw\r\n530 no\r\n"},
        {C, "USER admin\r\nPASS b2\r\n"},
        {S, "331 pw\r\n530 no\r\n"},
        {C, "USER root\r\nPASS c3\r\n"},
        {S, "331 pw\r\n530 no\r\n"},
        {C, "USER anonymous\r\n"},
        {S, "230 anonymous in\r\n"},
    };
    json_t *ev = run(steps, N_STEPS(steps), false);
    int failures = 0;

    (void)state;
    assert_int_equal(json_array_size(ev), 8);
    for (size_t i = 0; i < json_array_size(ev); i++) {
        json_t *ok = get(json_array_get(ev, i), "login.success");

        failures += ok != NULL && json_is_false(ok);
    }
    assert_int_equal(failures, 3);
    expect_str(ev, 6, "login.user", "root");
    /* a login with no password at all */
    expect_str(ev, 7, "command", "USER");
    expect_bool(ev, 7, "login.success", true);
    expect_bool(ev, 7, "login.password_sent", false);
    json_decref(ev);
}

static void test_data_ports(void **state)
{
    static const struct step steps[] = {
        {S, "220 x\r\n"},
        {C, "PASV\r\n"},
        {S, "227 Entering Passive Mode (10,0,0,2,4,1).\r\n"},
        {C, "EPSV\r\n"},
        {S, "229 Entering Extended Passive Mode (|||6446|)\r\n"},
        {C, "PORT 10,0,0,1,200,100\r\n"},
        {S, "200 ok\r\n"},
        {C, "EPRT |2|2001:db8::1|34325|\r\n"},
        {S, "200 ok\r\n"},
        {C, "PORT 10,0,0,1,300,1\r\n"}, /* not a byte: no port */
        {S, "501 bad\r\n"},
        {C, "PASV\r\n"},
        {S, "227 =10,0,0,2,0,21\r\n"}, /* no parentheses, as some servers */
    };
    json_t *ev = run(steps, N_STEPS(steps), false);

    (void)state;
    assert_int_equal(json_array_size(ev), 7);
    expect_int(ev, 1, "dynamic_port", 4 * 256 + 1);
    expect_str(ev, 1, "mode", "passive");
    expect_int(ev, 2, "dynamic_port", 6446);
    expect_int(ev, 3, "dynamic_port", 200 * 256 + 100);
    expect_str(ev, 3, "mode", "active");
    expect_int(ev, 4, "dynamic_port", 34325);
    expect_str(ev, 4, "mode", "active");
    expect_absent(ev, 5, "dynamic_port");
    expect_int(ev, 6, "dynamic_port", 21);
    json_decref(ev);
}

static void test_long_lines(void **state)
{
    static char cmd[6000], reply[7000];
    struct drive d;
    json_t *ev;

    (void)state;
    memcpy(cmd, "RETR ", 5);
    memset(cmd + 5, 'A', sizeof(cmd) - 8);
    memcpy(cmd + sizeof(cmd) - 3, "\r\n", 3);
    memcpy(reply, "550 ", 4);
    memset(reply + 4, 'B', sizeof(reply) - 7);
    memcpy(reply + sizeof(reply) - 3, "\r\n", 3);
    drive_open(&d);
    drive_feed(&d, S, "220 x\r\n", 7);
    drive_feed(&d, C, cmd, strlen(cmd));
    drive_feed(&d, C, "RETR index.html\r\n", 17);
    drive_feed(&d, S, reply, strlen(reply));
    drive_feed(&d, S, "550 nope\r\n", 10);
    assert_false(d.stopped);
    drive_close(&d, false);
    ev = load_events("ftp");
    assert_int_equal(json_array_size(ev), 3);
    assert_int_equal(strlen(json_string_value(get(json_array_get(ev, 1), "command_data"))),
                     4096 - 5);
    expect_bool(ev, 1, "command_truncated", true);
    expect_bool(ev, 1, "reply_truncated", true);
    assert_int_equal(strlen(json_string_value(get(json_array_get(ev, 1), "reply.0"))), 4096 - 4);
    expect_str(ev, 2, "command_data", "index.html");
    expect_bool(ev, 2, "command_truncated", false);
    expect_bool(ev, 2, "reply_truncated", false);
    json_decref(ev);
}

static void test_auth_tls(void **state)
{
    static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00};
    struct drive d;
    json_t *ev;

    (void)state;
    drive_open(&d);
    drive_feed(&d, S, "220 x\r\n", 7);
    drive_feed(&d, C, "AUTH TLS\r\n", 10);
    drive_feed(&d, S, "234 go ahead\r\n", 14);
    assert_true(drive_feed(&d, C, hello, sizeof(hello)) > 0);
    assert_true(drive_feed(&d, S, hello, sizeof(hello)) > 0);
    assert_false(d.stopped);
    drive_close(&d, true);
    ev = load_events("ftp");
    assert_int_equal(json_array_size(ev), 2);
    expect_str(ev, 1, "command_data", "TLS");
    json_decref(ev);
}

static void test_not_ftp(void **state)
{
    static const uint8_t binary[] = {'2', '2', '0', 0x00, 0x01, '\r', '\n'};
    struct drive d;
    json_t *an;

    (void)state;
    /* A text line where a reply is due: an anomaly, once, and parsing goes on. */
    drive_open(&d);
    drive_feed(&d, S, "220 x\r\n", 7);
    drive_feed(&d, C, "EPRT |1|1.2.3.4|5|\r\n", 20);
    drive_feed(&d, S, "hello there\r\nQUIT\r\n200 ok\r\n", 27);
    assert_false(d.stopped);
    drive_close(&d, false);
    an = load_events("anomaly");
    assert_int_equal(json_array_size(an), 1);
    expect_str(an, 0, "event", "invalid_reply");
    json_decref(an);
    an = load_events("ftp");
    assert_int_equal(json_array_size(an), 2);
    expect_str(an, 1, "completion_code.0", "200");
    json_decref(an);
    /* Binary: the flow is not FTP. */
    drive_open(&d);
    drive_feed(&d, S, "220 x\r\n", 7);
    assert_int_equal(drive_feed(&d, C, binary, sizeof(binary)), PROTO_MALFORMED);
    drive_close(&d, false);
    an = load_events("anomaly");
    assert_int_equal(json_array_size(an), 1);
    expect_str(an, 0, "event", "invalid_command");
    json_decref(an);
}

/* A command still waiting when the flow ends is logged without a reply. */
static void test_end_of_flow(void **state)
{
    static const struct step steps[] = {
        {S, "220 x\r\n"},
        {C, "USER a\r\nPASS b\r\nQUIT\r\n"},
        {S, "331 pw\r\n"},
    };
    json_t *ev;

    (void)state;
    ev = run(steps, N_STEPS(steps), false);
    assert_int_equal(json_array_size(ev), 2);
    json_decref(ev);
    ev = run(steps, N_STEPS(steps), true);
    assert_int_equal(json_array_size(ev), 4);
    expect_str(ev, 2, "command", "PASS");
    expect_str(ev, 2, "reply_received", "no");
    expect_str(ev, 3, "command", "QUIT");
    assert_int_equal(json_array_size(get(json_array_get(ev, 3), "reply")), 0);
    json_decref(ev);
}

static void test_probe(void **state)
{
    (void)state;
    assert_true(proto_ftp_parser.probe((const uint8_t *)"220 hi\r\n", 8, S));
    assert_true(proto_ftp_parser.probe((const uint8_t *)"220-hi\r\n", 8, S));
    assert_true(proto_ftp_parser.probe((const uint8_t *)"22", 2, S));
    assert_false(proto_ftp_parser.probe((const uint8_t *)"SSH-2.0-x\r\n", 11, S));
    assert_false(proto_ftp_parser.probe((const uint8_t *)"\x16\x03\x01", 3, S));
    assert_true(proto_ftp_parser.probe((const uint8_t *)"USER x\r\n", 8, C));
    assert_true(proto_ftp_parser.probe((const uint8_t *)"QUIT\r\n", 6, C));
    assert_false(proto_ftp_parser.probe((const uint8_t *)"\x16\x03\x01\x02", 4, C));
    assert_false(proto_ftp_parser.probe((const uint8_t *)" USER", 5, C));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session),     cmocka_unit_test(test_no_password_in_eve),
        cmocka_unit_test(test_every_split), cmocka_unit_test(test_byte_at_a_time),
        cmocka_unit_test(test_brute_force), cmocka_unit_test(test_data_ports),
        cmocka_unit_test(test_long_lines),  cmocka_unit_test(test_auth_tls),
        cmocka_unit_test(test_not_ftp),     cmocka_unit_test(test_end_of_flow),
        cmocka_unit_test(test_probe),       cmocka_unit_test(test_evidence),
    };

    return cmocka_run_group_tests_name("test_ftp", tests, make_dir, remove_dir);
}
