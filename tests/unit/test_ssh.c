/* SPDX-License-Identifier: MIT */
/*
 * test_ssh: the SSH identification-string parser: both banners in one
 * event, lines a server sends before its banner, every split point, the
 * binary protocol after the banners passed over, evidence, garbage.
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

#include "eve_tmp.h"
#include <jansson.h>

#include "output/eve.h"
#include "proto/proto.h"

extern const struct proto_parser proto_ssh_parser;

#define EVENTS_MAX 8
#define EVIDENCE_MAX 4
#define EVIDENCE_VALUE_MAX 300
#define STREAM_MAX 4096

static const char client_id[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
static const char server_id[] = "SSH-2.0-dropbear_2022.83\r\n";
/* The start of a binary packet (a KEXINIT), which follows the banner at once. */
static const uint8_t kexinit[] = {0x00, 0x00, 0x05, 0xdc, 0x0a, 0x14, 0x9e, 0x3c, 0x00, 0x0a,
                                  0x0d, 0x0a, 0xff, 0xfe, 'S',  'S',  'H',  '-'};

struct heard {
    char kind[32];
    char value[EVIDENCE_VALUE_MAX];
    uint8_t addr0;
};

struct run {
    struct eve_writer *eve;
    struct proto_layer *layer;
    struct ww_flow flow;
    void *state;
    uint8_t pending[2][STREAM_MAX];
    size_t n_pending[2];
    struct heard heard[EVIDENCE_MAX];
    size_t n_heard;
};

static void on_evidence(void *arg, const struct proto_evidence *ev)
{
    struct run *r = arg;
    struct heard *h;
    size_t n = ev->value_len < EVIDENCE_VALUE_MAX - 1 ? ev->value_len : EVIDENCE_VALUE_MAX - 1;

    assert_true(r->n_heard < EVIDENCE_MAX);
    h = &r->heard[r->n_heard++];
    snprintf(h->kind, sizeof(h->kind), "%s", ev->kind);
    memcpy(h->value, ev->value, n);
    h->value[n] = '\0';
    h->addr0 = ev->addr[3];
}

static struct run *run_new(void)
{
    struct run *r = calloc(1, sizeof(*r));

    assert_non_null(r);
    r->eve = eve_open(file_path);
    assert_non_null(r->eve);
    r->layer = proto_layer_new(r->eve);
    assert_non_null(r->layer);
    proto_layer_set_evidence(r->layer, on_evidence, r);
    r->flow.key.family = 4;
    r->flow.key.proto = 6;
    r->flow.key.addr[0][3] = 1;
    r->flow.key.addr[1][3] = 2;
    r->flow.key.port[0] = 51000;
    r->flow.key.port[1] = 22;
    r->flow.app_proto = APP_SSH;
    r->state = calloc(1, proto_ssh_parser.state_size);
    assert_non_null(r->state);
    return r;
}

/* Feeds a chunk as proto.c does. Returns PROTO_NEED_MORE, PROTO_MALFORMED or 0. */
static int run_feed(struct run *r, int dir, const void *data, size_t len)
{
    struct proto_ctx ctx = {r->eve, &r->flow, dir, 1700000000000000ull, NULL};
    uint8_t *buf = r->pending[dir];
    size_t n = r->n_pending[dir], done = 0;

    assert_true(n + len <= STREAM_MAX);
    memcpy(buf + n, data, len);
    n += len;
    while (done < n) {
        int rc = proto_ssh_parser.parse(&ctx, r->state, buf + done, n - done);

        if (rc < 0) {
            memmove(buf, buf + done, n - done);
            r->n_pending[dir] = n - done;
            return rc;
        }
        assert_true(rc > 0 && (size_t)rc <= n - done);
        done += (size_t)rc;
    }
    r->n_pending[dir] = 0;
    return 0;
}

static int run_str(struct run *r, int dir, const char *s)
{
    return run_feed(r, dir, s, strlen(s));
}

static size_t run_end(struct run *r, json_t **ev)
{
    FILE *f;
    char line[1 << 14];
    size_t n = 0;

    free(r->state);
    proto_layer_free(r->layer);
    assert_int_equal(eve_close(r->eve), 0);
    free(r);
    f = fopen(file_path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        json_error_t err;

        assert_true(n < EVENTS_MAX);
        ev[n] = json_loads(line, 0, &err);
        assert_non_null(ev[n]);
        n++;
    }
    fclose(f);
    return n;
}

static void free_events(json_t **ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(ev[i]);
    }
}

/* The string at ssh.<side>.<key>, or NULL. */
static const char *side_str(json_t *ev, const char *side, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(ev, "ssh"), side), key));
}

static void test_banners(void **state)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    assert_int_equal(run_str(r, FLOW_TOCLIENT, server_id), 0);
    assert_int_equal(run_feed(r, FLOW_TOCLIENT, kexinit, sizeof(kexinit)), 0);
    assert_int_equal(run_str(r, FLOW_TOSERVER, client_id), 0);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, kexinit, sizeof(kexinit)), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(json_string_value(json_object_get(ev[0], "event_type")), "ssh");
    assert_int_equal(json_integer_value(json_object_get(ev[0], "src_port")), 51000);
    assert_string_equal(side_str(ev[0], "client", "proto_version"), "2.0");
    assert_string_equal(side_str(ev[0], "client", "software_version"), "OpenSSH_9.2p1");
    assert_string_equal(side_str(ev[0], "client", "comments"), "Debian-2+deb12u3");
    assert_string_equal(side_str(ev[0], "server", "proto_version"), "2.0");
    assert_string_equal(side_str(ev[0], "server", "software_version"), "dropbear_2022.83");
    assert_null(side_str(ev[0], "server", "comments"));
    free_events(ev, n);
}

/* Through the proto layer, which hands evidence on after each parser call. */
static void test_evidence(void **state)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    r->flow.app_proto = APP_NONE; /* the layer picks the parser */
    proto_stream(r->layer, &r->flow, FLOW_TOCLIENT, (const uint8_t *)server_id,
                 (uint32_t)strlen(server_id), 0);
    proto_stream(r->layer, &r->flow, FLOW_TOSERVER, (const uint8_t *)client_id,
                 (uint32_t)strlen(client_id), 0);
    proto_stream(r->layer, &r->flow, FLOW_TOSERVER, kexinit, sizeof(kexinit), 0);
    assert_int_equal(r->flow.app_proto, APP_SSH);
    proto_flow_end(r->layer, &r->flow);
    assert_int_equal(r->n_heard, 2);
    assert_string_equal(r->heard[0].kind, "ssh.banner");
    assert_string_equal(r->heard[0].value, "SSH-2.0-dropbear_2022.83");
    assert_int_equal(r->heard[0].addr0, 2);
    assert_string_equal(r->heard[1].kind, "ssh.banner");
    assert_string_equal(r->heard[1].value, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");
    assert_int_equal(r->heard[1].addr0, 1);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    free_events(ev, n);
}

/* A server may greet with other lines first; 1.99 and a bare LF are fine. */
static void test_lines_before_banner(void **state)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    assert_int_equal(run_str(r, FLOW_TOCLIENT, "Authorized use only.\r\n\r\nWard 3 jump host\n"
                                               "SSH-1.99-Cisco-1.25\n"),
                     0);
    assert_int_equal(run_str(r, FLOW_TOSERVER, "SSH-2.0-PuTTY_Release_0.78\r\n"), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(side_str(ev[0], "server", "proto_version"), "1.99");
    assert_string_equal(side_str(ev[0], "server", "software_version"), "Cisco-1.25");
    assert_string_equal(side_str(ev[0], "client", "software_version"), "PuTTY_Release_0.78");
    free_events(ev, n);
}

/* Reads the whole eve file into a NUL-terminated heap buffer. */
static char *slurp_eve(void)
{
    FILE *f = fopen(file_path, "rb");
    char *data;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    data = malloc((size_t)n + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    data[n] = '\0';
    fclose(f);
    return data;
}

/* The client's banner cut at cut, after the server's. Returns the eve text. */
static char *split_run(size_t cut)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n, len = strlen(client_id);

    assert_int_equal(run_str(r, FLOW_TOCLIENT, server_id), 0);
    assert_true(run_feed(r, FLOW_TOSERVER, client_id, cut) != PROTO_MALFORMED);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, client_id + cut, len - cut), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    free_events(ev, n);
    return slurp_eve();
}

static void test_every_split(void **state)
{
    char *whole = split_run(strlen(client_id));

    (void)state;
    assert_non_null(strstr(whole, "OpenSSH_9.2p1"));
    for (size_t cut = 0; cut < strlen(client_id); cut++) {
        char *got = split_run(cut);

        assert_string_equal(got, whole);
        free(got);
    }
    free(whole);
}

/* One side only: no event yet, and nothing malformed. */
static void test_one_side(void **state)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];

    (void)state;
    assert_int_equal(run_str(r, FLOW_TOCLIENT, server_id), 0);
    assert_int_equal(run_end(r, ev), 0);
}

static void expect_malformed(int dir, const char *input, const char *event)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    json_t *an;
    size_t n;

    assert_int_equal(run_str(r, dir, input), PROTO_MALFORMED);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    an = json_object_get(ev[0], "anomaly");
    assert_string_equal(json_string_value(json_object_get(an, "event")), event);
    assert_string_equal(json_string_value(json_object_get(an, "app_proto")), "ssh");
    free_events(ev, n);
    remove_dir(NULL);
    assert_int_equal(make_dir(NULL), 0);
}

static void test_malformed(void **state)
{
    static char long_line[400];
    static char many_lines[70 * 3 + 1];

    (void)state;
    expect_malformed(FLOW_TOSERVER, "hello there\r\n", "invalid_banner");
    expect_malformed(FLOW_TOSERVER, "SSH-2.0\r\n", "invalid_banner");
    expect_malformed(FLOW_TOSERVER, "SSH--OpenSSH\r\n", "invalid_banner");
    expect_malformed(FLOW_TOSERVER, "SSH-2.0-\r\n", "invalid_banner");
    expect_malformed(FLOW_TOCLIENT, "SSH-2.0-a\x01\x02\r\n", "invalid_banner");
    memcpy(long_line, "SSH-2.0-", 8);
    memset(long_line + 8, 'x', sizeof(long_line) - 9);
    expect_malformed(FLOW_TOCLIENT, long_line, "banner_too_long");
    for (size_t i = 0; i < 70; i++) {
        memcpy(many_lines + 3 * i, "hi\n", 3);
    }
    expect_malformed(FLOW_TOCLIENT, many_lines, "too_many_lines_before_banner");
}

static void test_probe(void **state)
{
    (void)state;
    assert_true(proto_ssh_parser.probe((const uint8_t *)"SSH-2.0-x\r\n", 11, FLOW_TOSERVER));
    assert_true(proto_ssh_parser.probe((const uint8_t *)"SS", 2, FLOW_TOSERVER));
    assert_true(proto_ssh_parser.probe((const uint8_t *)"Welcome\r\n", 9, FLOW_TOCLIENT));
    assert_false(proto_ssh_parser.probe((const uint8_t *)"Welcome\r\n", 9, FLOW_TOSERVER));
    assert_false(proto_ssh_parser.probe((const uint8_t *)"\x16\x03\x01\x02", 4, FLOW_TOCLIENT));
    assert_false(proto_ssh_parser.probe((const uint8_t *)"GET / HTTP", 10, FLOW_TOSERVER));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, make_dir, remove_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_banners),   T(test_evidence),            T(test_lines_before_banner),
        T(test_every_split),
        T(test_one_side),  T(test_malformed),           T(test_probe),
    };

    return cmocka_run_group_tests_name("test_ssh", tests, NULL, NULL);
}
