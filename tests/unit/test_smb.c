/* SPDX-License-Identifier: MIT */
/*
 * test_smb: the SMB dialect reader, through the proto layer: an SMB1
 * negotiation (MS-CIFS 2.2.4.52), an SMB1 request answered in SMB2
 * (MS-SMB2 2.2.4), the NetBIOS session service in front (RFC 1002), every
 * split point, garbage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eve_tmp.h"
#include <jansson.h>

#include "output/eve.h"
#include "proto/proto.h"

#define MSG_MAX 512
#define EVENTS_MAX 8

struct bytes {
    uint8_t b[MSG_MAX];
    size_t n;
};

static void put(struct bytes *m, const void *p, size_t n)
{
    assert_true(m->n + n <= MSG_MAX);
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

static void put8(struct bytes *m, uint8_t v)
{
    put(m, &v, 1);
}

/* The 4-byte NetBIOS session header in front of a message of len bytes. */
static void nbss(struct bytes *out, uint8_t type, const struct bytes *msg)
{
    size_t len = msg != NULL ? msg->n : 0;

    put8(out, type);
    put8(out, (uint8_t)(len >> 16));
    put8(out, (uint8_t)(len >> 8));
    put8(out, (uint8_t)len);
    if (msg != NULL) {
        put(out, msg->b, msg->n);
    }
}

/* An SMB1 header (32 bytes) for command, a reply when reply. */
static void smb1_header(struct bytes *m, uint8_t command, bool reply)
{
    uint8_t h[32] = {0xFF, 'S', 'M', 'B', command};

    h[9] = reply ? 0x80 : 0x00;
    put(m, h, sizeof(h));
}

static void smb1_negotiate_request(struct bytes *m, const char *const *dialects, int n)
{
    size_t bytes = 0;

    smb1_header(m, 0x72, false);
    for (int i = 0; i < n; i++) {
        bytes += strlen(dialects[i]) + 2;
    }
    put8(m, 0); /* word count */
    put8(m, (uint8_t)bytes);
    put8(m, (uint8_t)(bytes >> 8));
    for (int i = 0; i < n; i++) {
        put8(m, 0x02);
        put(m, dialects[i], strlen(dialects[i]) + 1);
    }
}

static void smb1_negotiate_reply(struct bytes *m, uint16_t index)
{
    smb1_header(m, 0x72, true);
    put8(m, 17); /* word count of an NT LM 0.12 answer; only the index is read */
    put8(m, (uint8_t)index);
    put8(m, (uint8_t)(index >> 8));
}

static void smb2_negotiate_reply(struct bytes *m, uint16_t revision)
{
    uint8_t h[64] = {0xFE, 'S', 'M', 'B', 64, 0};
    uint8_t body[8] = {65, 0, 1, 0, (uint8_t)revision, (uint8_t)(revision >> 8)};

    h[16] = 0x01; /* SMB2_FLAGS_SERVER_TO_REDIR */
    put(m, h, sizeof(h));
    put(m, body, sizeof(body));
}

struct run {
    struct eve_writer *eve;
    struct proto_layer *layer;
    struct ww_flow flow;
    char heard[4][64];
    int n_heard;
};

static void on_evidence(void *arg, const struct proto_evidence *ev)
{
    struct run *r = arg;

    assert_true(r->n_heard < 4);
    assert_string_equal(ev->kind, "smb.dialect");
    assert_int_equal(ev->side, 1); /* about the server */
    snprintf(r->heard[r->n_heard++], 64, "%.*s", (int)ev->value_len, ev->value);
}

static void run_open(struct run *r, uint16_t port)
{
    memset(r, 0, sizeof(*r));
    r->eve = eve_open(file_path);
    assert_non_null(r->eve);
    r->layer = proto_layer_new(r->eve);
    assert_non_null(r->layer);
    proto_layer_set_evidence(r->layer, on_evidence, r);
    r->flow.key.family = 4;
    r->flow.key.proto = 6;
    r->flow.key.addr[0][3] = 1;
    r->flow.key.addr[1][3] = 2;
    r->flow.key.port[0] = 50000;
    r->flow.key.port[1] = port;
}

/* Feeds a direction's bytes in pieces of at most step bytes. */
static void feed(struct run *r, int dir, const struct bytes *b, size_t step)
{
    for (size_t i = 0; i < b->n; i += step) {
        size_t n = b->n - i < step ? b->n - i : step;

        proto_stream(r->layer, &r->flow, dir, b->b + i, (uint32_t)n, 0);
    }
}

/* Ends the run; returns the smb (and anomaly) events. */
static size_t run_close(struct run *r, json_t **ev)
{
    char line[8192];
    size_t n = 0;
    FILE *f;

    proto_flow_end(r->layer, &r->flow);
    proto_layer_free(r->layer);
    assert_int_equal(eve_close(r->eve), 0);
    f = fopen(file_path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        assert_true(n < EVENTS_MAX);
        ev[n] = json_loads(line, 0, NULL);
        assert_non_null(ev[n]);
        n++;
    }
    fclose(f);
    return n;
}

static const char *smb_str(json_t *ev, const char *key)
{
    return json_string_value(json_object_get(json_object_get(ev, "smb"), key));
}

static void free_events(json_t **ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(ev[i]);
    }
}

static const char *const old_dialects[] = {"PC NETWORK PROGRAM 1.0", "LANMAN1.0", "NT LM 0.12"};

static void smb1_negotiation(void **state)
{
    for (size_t step = 1; step <= MSG_MAX; step = step < 8 ? step + 1 : step * 4) {
        struct bytes req = {0}, rep = {0}, m = {0};
        struct run r;
        json_t *ev[EVENTS_MAX];
        size_t n;

        (void)state;
        smb1_negotiate_request(&m, old_dialects, 3);
        nbss(&req, 0x00, &m);
        m.n = 0;
        smb1_negotiate_reply(&m, 2);
        nbss(&rep, 0x00, &m);
        run_open(&r, 445);
        feed(&r, FLOW_TOSERVER, &req, step);
        feed(&r, FLOW_TOCLIENT, &rep, step);
        assert_int_equal(r.flow.app_proto, APP_SMB);
        assert_int_equal(r.n_heard, 1);
        assert_string_equal(r.heard[0], "SMB1 NT LM 0.12");
        n = run_close(&r, ev);
        assert_int_equal(n, 1);
        assert_string_equal(json_string_value(json_object_get(ev[0], "event_type")), "smb");
        assert_string_equal(smb_str(ev[0], "dialect"), "NT LM 0.12");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(ev[0], "smb"),
                                                            "version")), 1);
        free_events(ev, n);
    }
}

/* A modern server answers an SMB1 NEGOTIATE that offers SMB2 in SMB2; over NetBIOS on 139. */
static void smb2_answer_over_netbios(void **state)
{
    static const char *const dialects[] = {"NT LM 0.12", "SMB 2.002", "SMB 2.???"};
    struct bytes req = {0}, rep = {0}, m = {0};
    struct run r;
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    m.n = 68; /* a session request's called and calling names, not read */
    memset(m.b, 0x20, m.n);
    nbss(&req, 0x81, &m);
    nbss(&rep, 0x82, NULL);
    m.n = 0;
    smb1_negotiate_request(&m, dialects, 3);
    nbss(&req, 0x00, &m);
    m.n = 0;
    smb2_negotiate_reply(&m, 0x0311);
    nbss(&rep, 0x00, &m);
    run_open(&r, 139);
    feed(&r, FLOW_TOSERVER, &req, MSG_MAX);
    feed(&r, FLOW_TOCLIENT, &rep, MSG_MAX);
    assert_int_equal(r.n_heard, 1);
    assert_string_equal(r.heard[0], "SMB 3.1.1");
    n = run_close(&r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(smb_str(ev[0], "dialect"), "3.1.1");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ev[0], "smb"),
                                                        "version")), 3);
    free_events(ev, n);
}

static void dialect_revisions(void **state)
{
    static const struct {
        uint16_t revision;
        const char *text;
    } cases[] = {{0x0202, "SMB 2.0.2"}, {0x0210, "SMB 2.1"}, {0x0300, "SMB 3.0"},
                 {0x0302, "SMB 3.0.2"}, {0x02FF, "SMB 2.???"}};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct bytes req = {0}, rep = {0}, m = {0};
        struct run r;
        json_t *ev[EVENTS_MAX];

        smb1_negotiate_request(&m, old_dialects, 1);
        nbss(&req, 0x00, &m);
        m.n = 0;
        smb2_negotiate_reply(&m, cases[i].revision);
        nbss(&rep, 0x00, &m);
        run_open(&r, 445);
        feed(&r, FLOW_TOSERVER, &req, MSG_MAX);
        feed(&r, FLOW_TOCLIENT, &rep, MSG_MAX);
        assert_int_equal(r.n_heard, 1);
        assert_string_equal(r.heard[0], cases[i].text);
        free_events(ev, run_close(&r, ev));
    }
}

/* Not SMB on 445: no event of smb, an anomaly at most, and nothing kept. */
static void garbage(void **state)
{
    struct bytes junk = {0};
    struct run r;
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    put(&junk, "\x00\x00\x00\x08GET / HTTP", 14);
    run_open(&r, 445);
    feed(&r, FLOW_TOSERVER, &junk, MSG_MAX);
    assert_int_equal(r.n_heard, 0);
    n = run_close(&r, ev);
    for (size_t i = 0; i < n; i++) {
        assert_null(json_object_get(ev[i], "smb"));
    }
    free_events(ev, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(smb1_negotiation),
        cmocka_unit_test(smb2_answer_over_netbios),
        cmocka_unit_test(dialect_revisions),
        cmocka_unit_test(garbage),
    };

    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
