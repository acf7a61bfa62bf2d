/* SPDX-License-Identifier: MIT */
/*
 * test_http: the HTTP/1.x parser on hand-built messages: transaction fields,
 * every split point of a request and its response, chunked bodies,
 * pipelining, interim and upgrade responses, Basic credentials (the user is
 * kept, the password never reaches eve.json), identity evidence, garbage.
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

extern const struct proto_parser proto_http_parser;

#define EVENTS_MAX 32
#define EVIDENCE_MAX 16
#define EVIDENCE_VALUE_MAX 256
#define LONG_LINE 9000

/* Basic credentials of alice:Sup3r-S3cret!, and the password alone. */
#define ALICE_B64 "YWxpY2U6U3VwM3ItUzNjcmV0IQ=="
#define ALICE_PASSWORD "Sup3r-S3cret!"

static const char req_get[] = "GET /monitor/status?bed=12 HTTP/1.1\r\n"
                              "Host: pump-17.ward3.example:8080\r\n"
                              "User-Agent: InfusionGateway/4.2 (Linux)\r\n"
                              "Authorization: Basic " ALICE_B64 "\r\n"
                              "Accept: */*\r\n"
                              "\r\n";

static const char resp_ok[] = "HTTP/1.1 200 OK\r\n"
                              "Server: lighttpd/1.4.69\r\n"
                              "Content-Type: application/json\r\n"
                              "Content-Length: 17\r\n"
                              "\r\n"
                              "{\"state\":\"idle\"}\n";

/* What the evidence listener heard. */
struct heard {
    char kind[32];
    char value[EVIDENCE_VALUE_MAX];
    uint8_t addr0; /* last byte of the address: 1 client, 2 server */
};

/* A parser run: an eve file, a flow, the parser's state, the evidence heard. */
struct run {
    struct eve_writer *eve;
    struct proto_layer *layer;
    struct ww_flow flow;
    void *state;
    uint8_t pending[2][PROTO_BUF_MAX]; /* an incomplete tail, as proto.c keeps it */
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
    r->flow.key.addr[0][0] = 10;
    r->flow.key.addr[0][3] = 1;
    r->flow.key.addr[1][0] = 10;
    r->flow.key.addr[1][3] = 2;
    r->flow.key.port[0] = 40000;
    r->flow.key.port[1] = 8080;
    r->flow.app_proto = APP_HTTP;
    r->state = calloc(1, proto_http_parser.state_size);
    assert_non_null(r->state);
    return r;
}

/*
 * Feeds one chunk of direction dir the way proto.c does: pending bytes
 * first, then parse until NEED_MORE. Returns the last parse result that was
 * not bytes consumed (PROTO_NEED_MORE or PROTO_MALFORMED), or 0.
 */
static int run_feed(struct run *r, int dir, const void *data, size_t len)
{
    struct proto_ctx ctx = {r->eve, &r->flow, dir, 1700000000000000ull, NULL};
    uint8_t *buf = r->pending[dir];
    size_t n = r->n_pending[dir], done = 0;

    assert_true(n + len <= PROTO_BUF_MAX);
    memcpy(buf + n, data, len);
    n += len;
    while (done < n) {
        int rc = proto_http_parser.parse(&ctx, r->state, buf + done, n - done);

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

/* Closes the run and reads its events back (anomalies too). Returns how many. */
static size_t run_end(struct run *r, json_t **ev)
{
    FILE *f;
    char line[1 << 16];
    size_t n = 0;

    proto_http_parser.state_free(r->state);
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

static const char *ev_type(json_t *ev)
{
    return json_string_value(json_object_get(ev, "event_type"));
}

static json_t *http_get(json_t *ev, const char *key)
{
    return json_object_get(json_object_get(ev, "http"), key);
}

static const char *http_str(json_t *ev, const char *key)
{
    return json_string_value(http_get(ev, key));
}

static long long http_int(json_t *ev, const char *key)
{
    json_t *v = http_get(ev, key);

    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

/* Reads the whole eve file into a NUL-terminated heap buffer. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
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

static const struct heard *heard_find(const struct run *r, const char *kind)
{
    for (size_t i = 0; i < r->n_heard; i++) {
        if (strcmp(r->heard[i].kind, kind) == 0) {
            return &r->heard[i];
        }
    }
    return NULL;
}

static void test_transaction_fields(void **state)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    assert_int_equal(run_str(r, FLOW_TOSERVER, req_get), 0);
    assert_int_equal(run_str(r, FLOW_TOCLIENT, resp_ok), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(ev_type(ev[0]), "http");
    /* The event is about the client's request: src is the client. */
    assert_int_equal(json_integer_value(json_object_get(ev[0], "src_port")), 40000);
    assert_string_equal(json_string_value(json_object_get(ev[0], "app_proto")), "http");
    assert_string_equal(http_str(ev[0], "hostname"), "pump-17.ward3.example");
    assert_int_equal(http_int(ev[0], "http_port"), 8080);
    assert_string_equal(http_str(ev[0], "url"), "/monitor/status?bed=12");
    assert_string_equal(http_str(ev[0], "http_method"), "GET");
    assert_string_equal(http_str(ev[0], "protocol"), "HTTP/1.1");
    assert_string_equal(http_str(ev[0], "http_user_agent"), "InfusionGateway/4.2 (Linux)");
    assert_int_equal(http_int(ev[0], "status"), 200);
    assert_int_equal(http_int(ev[0], "length"), 17);
    assert_string_equal(http_str(ev[0], "server"), "lighttpd/1.4.69");
    assert_string_equal(http_str(ev[0], "http_content_type"), "application/json");
    assert_true(json_is_true(http_get(ev[0], "basic_auth")));
    assert_string_equal(http_str(ev[0], "user"), "alice");
    free_events(ev, n);
}

/* Through the proto layer, which hands evidence on after each parser call. */
static void test_evidence(void **state)
{
    struct run *r = run_new();
    const struct heard *h;
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    r->flow.app_proto = APP_NONE; /* the layer picks the parser */
    proto_stream(r->layer, &r->flow, FLOW_TOSERVER, (const uint8_t *)req_get,
                 (uint32_t)strlen(req_get), 0);
    proto_stream(r->layer, &r->flow, FLOW_TOCLIENT, (const uint8_t *)resp_ok,
                 (uint32_t)strlen(resp_ok), 0);
    assert_int_equal(r->flow.app_proto, APP_HTTP);
    proto_flow_end(r->layer, &r->flow);
    assert_int_equal(r->n_heard, 4);
    h = heard_find(r, "http.user_agent");
    assert_non_null(h);
    assert_string_equal(h->value, "InfusionGateway/4.2 (Linux)");
    assert_int_equal(h->addr0, 1);
    h = heard_find(r, "http.host");
    assert_non_null(h);
    assert_string_equal(h->value, "pump-17.ward3.example");
    assert_int_equal(h->addr0, 2);
    h = heard_find(r, "http.server");
    assert_non_null(h);
    assert_string_equal(h->value, "lighttpd/1.4.69");
    assert_int_equal(h->addr0, 2);
    h = heard_find(r, "login.http_basic"); /* Basic credentials in clear, accepted (200) */
    assert_non_null(h);
    assert_string_equal(h->value, "success");
    assert_int_equal(h->addr0, 2);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(http_str(ev[0], "user"), "alice");
    free_events(ev, n);
}

/* The password is in the input; it, and the encoded credentials, are not in eve.json. */
static void test_password_absent(void **state)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;
    char *text;

    (void)state;
    assert_non_null(strstr(req_get, ALICE_B64));
    assert_int_equal(run_str(r, FLOW_TOSERVER, req_get), 0);
    assert_int_equal(run_str(r, FLOW_TOCLIENT, resp_ok), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    free_events(ev, n);
    text = slurp(file_path);
    assert_non_null(strstr(text, "\"user\":\"alice\""));
    assert_null(strstr(text, ALICE_PASSWORD));
    assert_null(strstr(text, ALICE_B64));
    assert_null(strstr(text, "U3VwM3ItUzNjcmV0IQ")); /* the password's part of it */
    free(text);
}

/* Runs the pair with the request cut at req_cut and the response at resp_cut. */
static char *split_run(size_t req_cut, size_t resp_cut)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n, req_len = strlen(req_get), resp_len = strlen(resp_ok);

    assert_true(run_feed(r, FLOW_TOSERVER, req_get, req_cut) != PROTO_MALFORMED);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, req_get + req_cut, req_len - req_cut), 0);
    assert_true(run_feed(r, FLOW_TOCLIENT, resp_ok, resp_cut) != PROTO_MALFORMED);
    assert_int_equal(run_feed(r, FLOW_TOCLIENT, resp_ok + resp_cut, resp_len - resp_cut), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_int_equal(http_int(ev[0], "length"), 17);
    free_events(ev, n);
    return slurp(file_path);
}

/* Every split point of the request, and of the response, gives the same event. */
static void test_every_split(void **state)
{
    char *whole = split_run(strlen(req_get), strlen(resp_ok));

    (void)state;
    for (size_t cut = 0; cut < strlen(req_get); cut++) {
        char *got = split_run(cut, strlen(resp_ok));

        assert_string_equal(got, whole);
        free(got);
    }
    for (size_t cut = 0; cut < strlen(resp_ok); cut++) {
        char *got = split_run(strlen(req_get), cut);

        assert_string_equal(got, whole);
        free(got);
    }
    free(whole);
}

static void test_byte_at_a_time(void **state)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    for (size_t i = 0; i < strlen(req_get); i++) {
        assert_true(run_feed(r, FLOW_TOSERVER, req_get + i, 1) != PROTO_MALFORMED);
    }
    for (size_t i = 0; i < strlen(resp_ok); i++) {
        assert_true(run_feed(r, FLOW_TOCLIENT, resp_ok + i, 1) != PROTO_MALFORMED);
    }
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(http_str(ev[0], "user"), "alice");
    assert_int_equal(http_int(ev[0], "length"), 17);
    free_events(ev, n);
}

/* Chunked bodies in both directions, with extensions and trailers, counted not kept. */
static void test_chunked(void **state)
{
    static const char req[] = "POST /upload HTTP/1.1\r\nHost: pacs\r\n"
                              "Transfer-Encoding: gzip, chunked\r\n\r\n"
                              "4\r\nABCD\r\n0\r\n\r\n"
                              "GET /next HTTP/1.1\r\nHost: pacs\r\n\r\n";
    static const char resp[] = "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "1a;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                               "A \r\n0123456789\r\n"
                               "0\r\nX-Checksum: 1234\r\n\r\n"
                               "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;
    char *text;

    (void)state;
    assert_int_equal(run_str(r, FLOW_TOSERVER, req), 0);
    assert_int_equal(run_str(r, FLOW_TOCLIENT, resp), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 2);
    assert_string_equal(http_str(ev[0], "http_method"), "POST");
    assert_int_equal(http_int(ev[0], "status"), 201);
    assert_int_equal(http_int(ev[0], "length"), 26 + 10);
    assert_string_equal(http_str(ev[1], "url"), "/next");
    assert_int_equal(http_int(ev[1], "length"), 0);
    free_events(ev, n);
    text = slurp(file_path);
    assert_null(strstr(text, "abcdefghij"));
    free(text);
}

/* Three requests at once, their responses at once: paired in order; HEAD has no body. */
static void test_pipelining(void **state)
{
    static const char req[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
                              "HEAD /b HTTP/1.1\r\nHost: h\r\n\r\n"
                              "GET /c HTTP/1.1\r\nHost: h\r\n\r\n";
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\naaa"
                               "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
                               "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno";
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    assert_int_equal(run_str(r, FLOW_TOSERVER, req), 0);
    assert_int_equal(run_str(r, FLOW_TOCLIENT, resp), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 3);
    assert_string_equal(http_str(ev[0], "url"), "/a");
    assert_int_equal(http_int(ev[0], "length"), 3);
    assert_string_equal(http_str(ev[1], "url"), "/b");
    assert_string_equal(http_str(ev[1], "http_method"), "HEAD");
    assert_int_equal(http_int(ev[1], "length"), 0);
    assert_string_equal(http_str(ev[2], "url"), "/c");
    assert_int_equal(http_int(ev[2], "status"), 404);
    assert_int_equal(http_int(ev[2], "length"), 2);
    free_events(ev, n);
}

/* Keep-alive: request, response, request, response; 100 Continue is not a transaction. */
static void test_keep_alive_and_continue(void **state)
{
    static const char post[] = "POST /obs HTTP/1.1\r\nHost: emr\r\nExpect: 100-continue\r\n"
                               "Content-Length: 5\r\n\r\n";
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    assert_int_equal(run_str(r, FLOW_TOSERVER, "GET / HTTP/1.0\r\n\r\n"), 0);
    /* Whitespace before a colon is tolerated. */
    assert_int_equal(run_str(r, FLOW_TOCLIENT, "HTTP/1.0 204 No Content\r\nServer : odd\r\n\r\n"),
                     0);
    assert_int_equal(run_str(r, FLOW_TOSERVER, post), 0);
    assert_int_equal(run_str(r, FLOW_TOCLIENT, "HTTP/1.1 100 Continue\r\n\r\n"), 0);
    assert_int_equal(run_str(r, FLOW_TOSERVER, "12345"), 0);
    assert_int_equal(run_str(r, FLOW_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
                     0);
    n = run_end(r, ev);
    assert_int_equal(n, 2);
    assert_string_equal(http_str(ev[0], "protocol"), "HTTP/1.0");
    assert_int_equal(http_int(ev[0], "status"), 204);
    assert_null(http_get(ev[0], "hostname"));
    assert_string_equal(http_str(ev[0], "server"), "odd");
    assert_string_equal(http_str(ev[1], "url"), "/obs");
    assert_int_equal(http_int(ev[1], "status"), 200);
    assert_int_equal(http_int(ev[1], "length"), 2);
    free_events(ev, n);
}

/* A body that ends with the connection is logged at its header, without a length. */
static void test_until_close_and_upgrade(void **state)
{
    static const uint8_t ws_frame[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d};
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    assert_int_equal(run_str(r, FLOW_TOSERVER, "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n"
                                               "Connection: Upgrade\r\n\r\n"),
                     0);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, ws_frame, sizeof(ws_frame)), 0);
    assert_int_equal(run_str(r, FLOW_TOCLIENT, "HTTP/1.1 101 Switching Protocols\r\n"
                                               "Upgrade: websocket\r\n\r\n"),
                     0);
    assert_int_equal(run_feed(r, FLOW_TOCLIENT, ws_frame, sizeof(ws_frame)), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_int_equal(http_int(ev[0], "status"), 101);
    free_events(ev, n);

    r = run_new();
    assert_int_equal(run_str(r, FLOW_TOSERVER, "GET /old HTTP/1.0\r\n\r\n"), 0);
    assert_int_equal(run_str(r, FLOW_TOCLIENT, "HTTP/1.0 200 OK\r\nServer: old\r\n\r\n"), 0);
    assert_int_equal(run_str(r, FLOW_TOCLIENT, "any bytes \x01\x02 at all\n"), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_int_equal(http_int(ev[0], "status"), 200);
    assert_null(http_get(ev[0], "length"));
    free_events(ev, n);
}

/* Basic without a colon keeps no user; other schemes are not Basic. */
static void test_auth_variants(void **state)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    /* "bobhasnocolon" */
    assert_int_equal(run_str(r, FLOW_TOSERVER, "GET /1 HTTP/1.1\r\n"
                                               "Authorization: basic Ym9iaGFzbm9jb2xvbg==\r\n\r\n"
                                               "GET /2 HTTP/1.1\r\n"
                                               "Authorization: Bearer abc.def.ghi\r\n\r\n"
                                               "GET /3 HTTP/1.1\r\n"
                                               "Proxy-Authorization: Basic  Ym9iOg==\r\n\r\n"),
                     0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(run_str(r, FLOW_TOCLIENT, "HTTP/1.1 401 No\r\nContent-Length: 0\r\n\r\n"),
                         0);
    }
    n = run_end(r, ev);
    assert_int_equal(n, 3);
    assert_true(json_is_true(http_get(ev[0], "basic_auth")));
    assert_null(http_get(ev[0], "user"));
    assert_null(http_get(ev[1], "basic_auth"));
    assert_true(json_is_true(http_get(ev[2], "basic_auth")));
    assert_string_equal(http_str(ev[2], "user"), "bob");
    free_events(ev, n);
}

/* Each piece of garbage: parse says MALFORMED and one anomaly event names why. */
static void expect_malformed(int dir, const char *input, size_t len, const char *event)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    json_t *an;
    size_t n;

    if (dir == FLOW_TOCLIENT) {
        assert_int_equal(run_str(r, FLOW_TOSERVER, "GET / HTTP/1.1\r\n\r\n"), 0);
    }
    assert_int_equal(run_feed(r, dir, input, len), PROTO_MALFORMED);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(ev_type(ev[0]), "anomaly");
    an = json_object_get(ev[0], "anomaly");
    assert_string_equal(json_string_value(json_object_get(an, "event")), event);
    assert_string_equal(json_string_value(json_object_get(an, "app_proto")), "http");
    free_events(ev, n);
}

static void test_malformed(void **state)
{
    static const char *const cases[][3] = {
        {"s", "FOO\r\n", "invalid_request_line"},
        {"s", "GET /x HTTP/9\r\n", "invalid_request_line"},
        {"s", "\x16\x03\x01\x02\x01\x01\x7f\x01\xfc\x03\x03\n", "invalid_request_line"},
        {"s", "GET / HTTP/1.1\r\nno colon here\r\n", "invalid_header_field"},
        {"s", "GET / HTTP/1.1\r\nBad Name: x\r\n", "invalid_header_field"},
        {"s", "GET / HTTP/1.1\r\n: empty name\r\n", "invalid_header_field"},
        {"s", "GET / HTTP/1.1\r\n folded-first\r\n", "invalid_header_field"},
        {"s", "POST / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n", "invalid_content_length"},
        {"s", "POST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\n", "invalid_content_length"},
        {"s", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "invalid_transfer_encoding"},
        {"s", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "invalid_chunk_size"},
        {"s", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
         "invalid_chunk_end"},
        {"c", "HTTP/1.1 2000 OK\r\n", "invalid_status_line"},
        {"c", "HTTP/1.1 099 Low\r\n", "invalid_status_line"},
        {"c", "HTTP/1.1 200OK\r\n", "invalid_status_line"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int dir = cases[i][0][0] == 's' ? FLOW_TOSERVER : FLOW_TOCLIENT;

        expect_malformed(dir, cases[i][1], strlen(cases[i][1]), cases[i][2]);
        remove_dir(NULL);
        assert_int_equal(make_dir(NULL), 0);
    }
}

/* A line over the cap is malformed; one just under it is not. */
static void test_line_cap(void **state)
{
    static char big[LONG_LINE + 64];
    struct run *r;
    json_t *ev[EVENTS_MAX];
    size_t n, len;

    (void)state;
    len = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX-Pad: ");
    memset(big + len, 'p', 8000);
    len += 8000;
    memcpy(big + len, "\r\n\r\n", 4);
    r = run_new();
    assert_int_equal(run_feed(r, FLOW_TOSERVER, big, len + 4), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 0);

    memset(big + len - 8000, 'p', LONG_LINE);
    expect_malformed(FLOW_TOSERVER, big, LONG_LINE + 20, "line_too_long");
}

/* A large body streams: no more than one line is ever left pending. */
static void test_big_body_streams(void **state)
{
    static uint8_t chunk[1400];
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    memset(chunk, 'B', sizeof(chunk));
    assert_int_equal(run_str(r, FLOW_TOSERVER, "GET /img.dcm HTTP/1.1\r\n\r\n"), 0);
    assert_int_equal(run_str(r, FLOW_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 7000000\r\n"
                                               "\r\n"),
                     0);
    for (size_t done = 0; done < 7000000; done += sizeof(chunk)) {
        size_t len = 7000000 - done < sizeof(chunk) ? 7000000 - done : sizeof(chunk);

        assert_int_equal(run_feed(r, FLOW_TOCLIENT, chunk, len), 0);
        assert_int_equal(r->n_pending[FLOW_TOCLIENT], 0);
    }
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_int_equal(http_int(ev[0], "length"), 7000000);
    free_events(ev, n);
}

static void test_probe(void **state)
{
    (void)state;
    assert_true(proto_http_parser.probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, 0));
    assert_true(proto_http_parser.probe((const uint8_t *)"\r\nPOST /", 8, 0));
    assert_true(proto_http_parser.probe((const uint8_t *)"HTTP/1.1 200", 12, 1));
    assert_true(proto_http_parser.probe((const uint8_t *)"GE", 2, 0));
    assert_true(proto_http_parser.probe((const uint8_t *)"HT", 2, 1));
    assert_false(proto_http_parser.probe((const uint8_t *)"\x16\x03\x01\x00", 4, 0));
    assert_false(proto_http_parser.probe((const uint8_t *)"SSH-2.0-x\r\n", 11, 0));
    assert_false(proto_http_parser.probe((const uint8_t *)"(GET)", 5, 0));
    assert_false(proto_http_parser.probe((const uint8_t *)"SSH-2.0-OpenSSH_8.2p1 Ubuntu\r\n", 30,
                                         0));
    assert_false(proto_http_parser.probe((const uint8_t *)"get / HTTP/1.1\r\n", 16, 0));
    assert_true(proto_http_parser.probe((const uint8_t *)"M-SEARCH * HTTP/1.1\r\n", 21, 0));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, make_dir, remove_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_transaction_fields),      T(test_evidence),
        T(test_password_absent),
        T(test_every_split),             T(test_byte_at_a_time),
        T(test_chunked),                 T(test_pipelining),
        T(test_keep_alive_and_continue), T(test_until_close_and_upgrade),
        T(test_auth_variants),           T(test_malformed),
        T(test_line_cap),                T(test_big_body_streams),
        T(test_probe),
    };

    return cmocka_run_group_tests_name("test_http", tests, NULL, NULL);
}
