/* SPDX-License-Identifier: MIT */
/*
 * test_dns: the DNS (RFC 1035, RFC 7766) and mDNS (RFC 6762, 6763) parsers
 * on hand-built messages: every record type, compression pointers and
 * pointer loops, every truncation, TCP messages split across calls, mDNS
 * TXT, SRV and PTR facts and the evidence they give, probes.
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

#include "proto/proto.h"

extern const struct proto_parser proto_dns_udp_parser;
extern const struct proto_parser proto_dns_tcp_parser;
extern const struct proto_parser proto_mdns_parser;

#define TS0 1764547200000000ull
#define MSG_MAX 8192
#define N_EVIDENCE_MAX 64
#define EVIDENCE_LEN 300

/* ---- building messages ---- */

struct msg {
    uint8_t b[MSG_MAX];
    size_t len;
    size_t rdlen_at; /* where the open record's rdlength goes */
};

static void put8(struct msg *m, unsigned v)
{
    assert_true(m->len < MSG_MAX);
    m->b[m->len++] = (uint8_t)v;
}

static void put16(struct msg *m, unsigned v)
{
    put8(m, v >> 8);
    put8(m, v & 0xff);
}

static void put32(struct msg *m, uint32_t v)
{
    put16(m, v >> 16);
    put16(m, v & 0xffff);
}

static void put_bytes(struct msg *m, const void *p, size_t n)
{
    assert_true(m->len + n <= MSG_MAX);
    memcpy(m->b + m->len, p, n);
    m->len += n;
}

static void hdr(struct msg *m, unsigned id, unsigned flags, unsigned qd, unsigned an,
                unsigned ns, unsigned ar)
{
    memset(m, 0, sizeof(*m));
    put16(m, id);
    put16(m, flags);
    put16(m, qd);
    put16(m, an);
    put16(m, ns);
    put16(m, ar);
}

/* Labels of a dotted name, without the root byte: a pointer or 0 follows. */
static void labels(struct msg *m, const char *dotted)
{
    const char *p = dotted;

    while (*p != '\0') {
        const char *dot = strchr(p, '.');
        size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);

        put8(m, (unsigned)n);
        put_bytes(m, p, n);
        p += n + (dot != NULL);
    }
}

/* A whole name; returns where it starts, for pointers to it. */
static size_t name(struct msg *m, const char *dotted)
{
    size_t at = m->len;

    labels(m, dotted);
    put8(m, 0);
    return at;
}

static void ptr(struct msg *m, size_t off)
{
    put16(m, 0xc000 | (unsigned)off);
}

static void question(struct msg *m, const char *qname, unsigned type, unsigned qclass)
{
    name(m, qname);
    put16(m, type);
    put16(m, qclass);
}

/* The fixed part of a record after its owner name; rdata follows, then rr_end. */
static void rr_begin(struct msg *m, unsigned type, unsigned rclass, uint32_t ttl)
{
    put16(m, type);
    put16(m, rclass);
    put32(m, ttl);
    m->rdlen_at = m->len;
    put16(m, 0);
}

static void rr_end(struct msg *m)
{
    size_t n = m->len - m->rdlen_at - 2;

    m->b[m->rdlen_at] = (uint8_t)(n >> 8);
    m->b[m->rdlen_at + 1] = (uint8_t)n;
}

static void txt_string(struct msg *m, const char *s)
{
    put8(m, (unsigned)strlen(s));
    put_bytes(m, s, strlen(s));
}

/* ---- running the parsers ---- */

static char evidence[N_EVIDENCE_MAX][EVIDENCE_LEN]; /* "kind=value" */
static size_t n_evidence;

static void on_evidence(void *arg, const struct proto_evidence *ev)
{
    (void)arg;
    assert_true(n_evidence < N_EVIDENCE_MAX);
    snprintf(evidence[n_evidence++], EVIDENCE_LEN, "%s=%.*s", ev->kind, (int)ev->value_len,
             ev->value);
}

static bool has_evidence(const char *kind_value)
{
    for (size_t i = 0; i < n_evidence; i++) {
        if (strcmp(evidence[i], kind_value) == 0) {
            return true;
        }
    }
    return false;
}

static void flow_setup(struct ww_flow *f, uint8_t ip_proto, uint16_t port, uint8_t app)
{
    memset(f, 0, sizeof(*f));
    f->key.family = 4;
    f->key.proto = ip_proto;
    f->key.addr[0][0] = 10;
    f->key.addr[1][0] = 10;
    f->key.addr[1][3] = 2;
    f->key.port[0] = 40000;
    f->key.port[1] = port;
    f->id = 1;
    f->app_proto = app;
}

static json_t *read_events(void)
{
    json_t *events = json_array();
    char line[1 << 17];
    FILE *f = fopen(file_path, "r");

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        json_error_t err;
        json_t *v = json_loads(line, 0, &err);

        assert_non_null(v);
        json_array_append_new(events, v);
    }
    fclose(f);
    return events;
}

/*
 * Evidence is handed on by the proto layer once a parser returns, so the
 * datagram goes through the layer a second time (events to /dev/null) for
 * its evidence, and the layer's malformed count must agree with rc.
 */
static void run_layer(const struct proto_parser *p, const uint8_t *data, size_t len, int dir,
                      int rc)
{
    struct ww_flow flow;
    struct eve_writer *eve = eve_open("/dev/null");
    struct proto_layer *pl = proto_layer_new(eve);

    assert_non_null(pl);
    proto_layer_set_evidence(pl, on_evidence, NULL);
    n_evidence = 0;
    flow_setup(&flow, p->ip_proto, p->ports[0], APP_NONE);
    proto_datagram(pl, &flow, dir, TS0, data, (uint32_t)len, false);
    if (flow.app_proto == p->proto) {
        assert_int_equal(proto_layer_stats(pl)->malformed[p->proto], rc < 0 ? 1 : 0);
    }
    proto_flow_end(pl, &flow);
    proto_layer_free(pl);
    assert_int_equal(eve_close(eve), 0);
}

/*
 * Runs a datagram parser over len bytes copied to the heap (so ASan sees a
 * read past the end) as sent by `dir`; returns the events, *rc what parse
 * returned. Evidence lands in evidence[].
 */
static json_t *run(const struct proto_parser *p, const uint8_t *data, size_t len, int dir,
                   int *rc)
{
    struct ww_flow flow;
    struct eve_writer *eve = eve_open(file_path);
    struct proto_ctx ctx;
    uint8_t *copy = malloc(len > 0 ? len : 1);

    assert_non_null(eve);
    assert_non_null(copy);
    memcpy(copy, data, len);
    flow_setup(&flow, p->ip_proto, p->ports[0], (uint8_t)p->proto);
    ctx = (struct proto_ctx){eve, &flow, dir, TS0, NULL};
    *rc = p->parse(&ctx, NULL, copy, len);
    assert_int_equal(eve_close(eve), 0);
    run_layer(p, copy, len, dir, *rc);
    free(copy);
    return read_events();
}

static json_t *find(json_t *events, const char *type, size_t nth)
{
    size_t i;
    json_t *e;

    json_array_foreach(events, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "event_type")), type) == 0 &&
            nth-- == 0) {
            return e;
        }
    }
    return NULL;
}

static size_t count(json_t *events, const char *type)
{
    size_t n = 0;

    while (find(events, type, n) != NULL) {
        n++;
    }
    return n;
}

/* The value at a path of keys and array indexes, such as "dns.answers.0.rdata". */
static json_t *at(json_t *v, const char *path)
{
    char buf[256];
    char *save = NULL;

    snprintf(buf, sizeof(buf), "%s", path);
    for (char *k = strtok_r(buf, ".", &save); k != NULL && v != NULL;
         k = strtok_r(NULL, ".", &save)) {
        v = json_is_array(v) ? json_array_get(v, strtoul(k, NULL, 10)) : json_object_get(v, k);
    }
    return v;
}

static const char *str_at(json_t *v, const char *path)
{
    json_t *s = at(v, path);

    return json_is_string(s) ? json_string_value(s) : "(absent)";
}

static long long int_at(json_t *v, const char *path)
{
    json_t *n = at(v, path);

    return json_is_integer(n) ? json_integer_value(n) : -1;
}

static const char *anomaly_of(json_t *events)
{
    json_t *a = find(events, "anomaly", 0);

    return a != NULL ? str_at(a, "anomaly.event") : "(none)";
}

/* ---- the tests ---- */

static void build_query(struct msg *m)
{
    hdr(m, 0x1234, 0x0100, 1, 0, 0, 0);
    question(m, "pump-07.ward.example", 1, 1);
}

static void test_query(void **state)
{
    struct msg m;
    json_t *ev, *d;
    int rc;

    (void)state;
    build_query(&m);
    ev = run(&proto_dns_udp_parser, m.b, m.len, FLOW_TOSERVER, &rc);
    assert_int_equal(rc, (int)m.len);
    assert_int_equal(count(ev, "dns"), 1);
    assert_int_equal(count(ev, "anomaly"), 0);
    d = find(ev, "dns", 0);
    assert_string_equal(str_at(d, "app_proto"), "dns");
    assert_int_equal(int_at(d, "dns.version"), 3);
    assert_string_equal(str_at(d, "dns.type"), "request");
    assert_int_equal(int_at(d, "dns.id"), 0x1234);
    assert_string_equal(str_at(d, "dns.flags"), "100");
    assert_true(json_is_true(at(d, "dns.rd")));
    assert_null(at(d, "dns.qr"));
    assert_int_equal(int_at(d, "dns.opcode"), 0);
    assert_string_equal(str_at(d, "dns.rcode"), "NOERROR");
    assert_string_equal(str_at(d, "dns.queries.0.rrname"), "pump-07.ward.example");
    assert_string_equal(str_at(d, "dns.queries.0.rrtype"), "A");
    assert_null(at(d, "dns.answers"));
    assert_string_equal(str_at(d, "src_ip"), "10.0.0.0");
    assert_int_equal(n_evidence, 1);
    assert_true(has_evidence("dns.query=pump-07.ward.example"));
    json_decref(ev);
}

/*
 * A response with one record of each type, owner names compressed to the
 * question's name or its suffix.
 */
static void build_response(struct msg *m)
{
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    size_t q, mail;

    hdr(m, 0xbeef, 0x8180, 1, 10, 1, 0);
    q = m->len;
    question(m, "www.ward.example", 1, 1); /* ward.example is at q + 4 */
    ptr(m, q);
    rr_begin(m, 5, 1, 300); /* CNAME */
    labels(m, "web");
    ptr(m, q + 4);
    rr_end(m);
    ptr(m, q);
    rr_begin(m, 1, 1, 60); /* A */
    put_bytes(m, "\x0a\x00\x00\x05", 4);
    rr_end(m);
    ptr(m, q);
    rr_begin(m, 28, 1, 60); /* AAAA */
    put_bytes(m, v6, 16);
    rr_end(m);
    ptr(m, q + 4);
    rr_begin(m, 15, 1, 3600); /* MX */
    put16(m, 10);
    mail = m->len;
    labels(m, "mail");
    ptr(m, q + 4);
    rr_end(m);
    ptr(m, q + 4);
    rr_begin(m, 2, 1, 86400); /* NS */
    name(m, "ns1.ward.example");
    rr_end(m);
    name(m, "5.0.0.10.in-addr.arpa");
    rr_begin(m, 12, 1, 60); /* PTR */
    ptr(m, mail);
    rr_end(m);
    ptr(m, q + 4);
    rr_begin(m, 16, 1, 60); /* TXT */
    txt_string(m, "v=spf1");
    txt_string(m, "-all");
    rr_end(m);
    name(m, "_sip._udp.ward.example");
    rr_begin(m, 33, 1, 60); /* SRV */
    put16(m, 1);
    put16(m, 5);
    put16(m, 5060);
    ptr(m, mail);
    rr_end(m);
    ptr(m, q + 4);
    rr_begin(m, 13, 1, 60); /* HINFO */
    txt_string(m, "ARM");
    txt_string(m, "Linux");
    rr_end(m);
    ptr(m, q + 4);
    rr_begin(m, 65280, 1, 60); /* private use: reported by number */
    put_bytes(m, "\x01\x02", 2);
    rr_end(m);
    ptr(m, q + 4);
    rr_begin(m, 6, 1, 899); /* SOA in the authority section */
    name(m, "ns1.ward.example");
    labels(m, "hostmaster");
    ptr(m, q + 4);
    put32(m, 2026120301);
    put32(m, 7200);
    put32(m, 900);
    put32(m, 1209600);
    put32(m, 86400);
    rr_end(m);
}

static void test_response_types(void **state)
{
    struct msg m;
    json_t *ev, *d;
    int rc;

    (void)state;
    build_response(&m);
    ev = run(&proto_dns_udp_parser, m.b, m.len, FLOW_TOCLIENT, &rc);
    assert_int_equal(rc, (int)m.len);
    assert_int_equal(count(ev, "anomaly"), 0);
    d = find(ev, "dns", 0);
    assert_non_null(d);
    assert_string_equal(str_at(d, "dns.type"), "response");
    assert_string_equal(str_at(d, "dns.flags"), "8180");
    assert_true(json_is_true(at(d, "dns.qr")));
    assert_true(json_is_true(at(d, "dns.ra")));
    assert_string_equal(str_at(d, "src_ip"), "10.0.0.2"); /* the responder, as v3 */
    assert_string_equal(str_at(d, "dns.answers.0.rrname"), "www.ward.example");
    assert_string_equal(str_at(d, "dns.answers.0.rrtype"), "CNAME");
    assert_int_equal(int_at(d, "dns.answers.0.ttl"), 300);
    assert_string_equal(str_at(d, "dns.answers.0.rdata"), "web.ward.example");
    assert_string_equal(str_at(d, "dns.answers.1.rdata"), "10.0.0.5");
    assert_string_equal(str_at(d, "dns.answers.2.rrtype"), "AAAA");
    assert_string_equal(str_at(d, "dns.answers.2.rdata"), "2001:db8::1");
    assert_string_equal(str_at(d, "dns.answers.3.rrtype"), "MX");
    assert_string_equal(str_at(d, "dns.answers.3.rdata"), "mail.ward.example");
    assert_string_equal(str_at(d, "dns.answers.4.rdata"), "ns1.ward.example");
    assert_string_equal(str_at(d, "dns.answers.5.rrname"), "5.0.0.10.in-addr.arpa");
    assert_string_equal(str_at(d, "dns.answers.5.rrtype"), "PTR");
    assert_string_equal(str_at(d, "dns.answers.5.rdata"), "mail.ward.example");
    assert_string_equal(str_at(d, "dns.answers.6.rdata"), "v=spf1 -all");
    assert_string_equal(str_at(d, "dns.answers.7.rrtype"), "SRV");
    assert_int_equal(int_at(d, "dns.answers.7.srv.port"), 5060);
    assert_int_equal(int_at(d, "dns.answers.7.srv.priority"), 1);
    assert_int_equal(int_at(d, "dns.answers.7.srv.weight"), 5);
    assert_string_equal(str_at(d, "dns.answers.7.srv.name"), "mail.ward.example");
    assert_string_equal(str_at(d, "dns.answers.8.hinfo.cpu"), "ARM");
    assert_string_equal(str_at(d, "dns.answers.8.hinfo.os"), "Linux");
    assert_string_equal(str_at(d, "dns.answers.9.rrtype"), "65280");
    assert_null(at(d, "dns.answers.9.rdata"));
    assert_string_equal(str_at(d, "dns.authorities.0.rrtype"), "SOA");
    assert_string_equal(str_at(d, "dns.authorities.0.soa.mname"), "ns1.ward.example");
    assert_string_equal(str_at(d, "dns.authorities.0.soa.rname"), "hostmaster.ward.example");
    assert_int_equal(int_at(d, "dns.authorities.0.soa.serial"), 2026120301);
    assert_int_equal(int_at(d, "dns.authorities.0.soa.minimum"), 86400);
    assert_string_equal(str_at(d, "dns.grouped.A.0"), "10.0.0.5");
    assert_string_equal(str_at(d, "dns.grouped.CNAME.0"), "web.ward.example");
    assert_string_equal(str_at(d, "dns.grouped.MX.0"), "mail.ward.example");
    assert_int_equal(n_evidence, 0); /* a response names no query of its sender */
    json_decref(ev);
}

/* Every proper prefix of the response is malformed, with an anomaly, and never overread. */
static void test_truncated_everywhere(void **state)
{
    struct msg m;
    int rc;

    (void)state;
    build_response(&m);
    for (size_t len = 0; len < m.len; len++) {
        json_t *ev = run(&proto_dns_udp_parser, m.b, len, FLOW_TOCLIENT, &rc);

        assert_int_equal(rc, PROTO_MALFORMED);
        assert_int_equal(count(ev, "anomaly"), 1);
        assert_int_equal(count(ev, "dns"), len < 12 ? 0 : 1);
        json_decref(ev);
    }
}

static void expect_bad(const struct msg *m, const char *anomaly)
{
    int rc;
    json_t *ev = run(&proto_dns_udp_parser, m->b, m->len, FLOW_TOCLIENT, &rc);

    assert_int_equal(rc, PROTO_MALFORMED);
    assert_string_equal(anomaly_of(ev), anomaly);
    json_decref(ev);
}

/* Pointers to themselves, forward, in a cycle, into the header: never followed. */
static void test_pointer_loops(void **state)
{
    struct msg m;
    size_t a;

    (void)state;
    hdr(&m, 1, 0x8180, 1, 0, 0, 0);
    ptr(&m, 12); /* points at itself */
    put16(&m, 1);
    put16(&m, 1);
    expect_bad(&m, "bad_pointer");

    hdr(&m, 1, 0x8180, 1, 0, 0, 0);
    labels(&m, "a");
    ptr(&m, 12); /* back to its own start: a loop through one label */
    put16(&m, 1);
    put16(&m, 1);
    expect_bad(&m, "bad_pointer");

    hdr(&m, 1, 0x8180, 2, 0, 0, 0);
    a = m.len;
    labels(&m, "x");
    ptr(&m, a + 8); /* forward, to the second name */
    put16(&m, 1);
    put16(&m, 1);
    labels(&m, "y");
    ptr(&m, a); /* back to the first: together a cycle */
    put16(&m, 1);
    put16(&m, 1);
    expect_bad(&m, "bad_pointer");

    hdr(&m, 1, 0x8180, 1, 0, 0, 0);
    ptr(&m, 4); /* into the header */
    put16(&m, 1);
    put16(&m, 1);
    expect_bad(&m, "bad_pointer");
}

static void test_bad_names(void **state)
{
    struct msg m;

    (void)state;
    hdr(&m, 1, 0x0100, 1, 0, 0, 0);
    for (int i = 0; i < 5; i++) {
        labels(&m, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); /* 63 */
    }
    put8(&m, 0);
    put16(&m, 1);
    put16(&m, 1);
    expect_bad(&m, "name_too_long"); /* 5 * 64 + 1 octets */

    hdr(&m, 1, 0x0100, 1, 0, 0, 0);
    put8(&m, 0x41); /* extended label type, RFC 6891 */
    put8(&m, 0);
    put16(&m, 1);
    put16(&m, 1);
    expect_bad(&m, "bad_label_type");

    hdr(&m, 1, 0x8180, 1, 1, 0, 0);
    question(&m, "a.example", 1, 1);
    ptr(&m, 12);
    rr_begin(&m, 1, 1, 60);
    put_bytes(&m, "\x0a\x00\x00", 3); /* an A record of 3 bytes */
    rr_end(&m);
    expect_bad(&m, "bad_rdata");

    hdr(&m, 1, 0x8180, 1, 1, 0, 0);
    question(&m, "a.example", 5, 1);
    ptr(&m, 12);
    rr_begin(&m, 5, 1, 60);
    labels(&m, "b"); /* a CNAME whose name runs past its rdata: */
    rr_end(&m);
    put8(&m, 0); /* its root byte is outside */
    expect_bad(&m, "bad_rdata");
}

static void test_rcodes_and_opcode(void **state)
{
    struct msg m;
    json_t *ev;
    int rc;

    (void)state;
    hdr(&m, 7, 0x8183, 1, 0, 0, 0);
    question(&m, "nope.example", 1, 1);
    ev = run(&proto_dns_udp_parser, m.b, m.len, FLOW_TOCLIENT, &rc);
    assert_string_equal(str_at(find(ev, "dns", 0), "dns.rcode"), "NXDOMAIN");
    json_decref(ev);

    m.b[3] = 0x8c; /* rcode 12, unassigned */
    ev = run(&proto_dns_udp_parser, m.b, m.len, FLOW_TOCLIENT, &rc);
    assert_string_equal(str_at(find(ev, "dns", 0), "dns.rcode"), "12");
    json_decref(ev);

    hdr(&m, 8, 0x2400, 1, 0, 0, 0); /* NOTIFY, AA */
    question(&m, "ward.example", 6, 1);
    ev = run(&proto_dns_udp_parser, m.b, m.len, FLOW_TOSERVER, &rc);
    assert_int_equal(int_at(find(ev, "dns", 0), "dns.opcode"), 4);
    assert_true(json_is_true(at(find(ev, "dns", 0), "dns.aa")));
    assert_int_equal(n_evidence, 0); /* a zone name, not a lookup */
    json_decref(ev);
}

/* Two TCP messages through the proto layer, one byte at a time, then in uneven pieces. */
static void test_tcp_split(void **state)
{
    struct msg q, r;
    uint8_t stream[2 * MSG_MAX];
    size_t n = 0, steps[] = {1, 3, 7, 64};
    json_t *ev;

    (void)state;
    build_query(&q);
    build_response(&r);
    for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
        struct eve_writer *eve = eve_open(file_path);
        struct proto_layer *pl = proto_layer_new(eve);
        struct ww_flow f;

        n = 0;
        stream[n++] = (uint8_t)(q.len >> 8);
        stream[n++] = (uint8_t)q.len;
        memcpy(stream + n, q.b, q.len);
        n += q.len;
        stream[n++] = (uint8_t)(q.len >> 8);
        stream[n++] = (uint8_t)q.len;
        memcpy(stream + n, q.b, q.len);
        n += q.len;
        flow_setup(&f, 6, 53, APP_NONE);
        for (size_t i = 0; i < n; i += steps[s]) {
            size_t k = n - i < steps[s] ? n - i : steps[s];

            proto_stream(pl, &f, FLOW_TOSERVER, stream + i, (uint32_t)k, STREAM_DATA);
        }
        stream[0] = (uint8_t)(r.len >> 8);
        stream[1] = (uint8_t)r.len;
        memcpy(stream + 2, r.b, r.len);
        proto_stream(pl, &f, FLOW_TOCLIENT, stream, (uint32_t)(r.len + 2), STREAM_DATA);
        assert_int_equal(f.app_proto, APP_DNS);
        assert_int_equal(proto_layer_stats(pl)->malformed[APP_DNS], 0);
        proto_flow_end(pl, &f);
        proto_layer_free(pl);
        assert_int_equal(eve_close(eve), 0);
        ev = read_events();
        assert_int_equal(count(ev, "dns"), 3);
        assert_string_equal(str_at(find(ev, "dns", 1), "dns.queries.0.rrname"),
                            "pump-07.ward.example");
        assert_string_equal(str_at(find(ev, "dns", 2), "proto"), "TCP");
        assert_string_equal(str_at(find(ev, "dns", 2), "dns.answers.1.rdata"), "10.0.0.5");
        json_decref(ev);
    }
}

/*
 * A gap in a TCP stream: DNS picks up again at the next message start,
 * and gives up when what follows the gap is not one.
 */
static void test_tcp_gap_resync(void **state)
{
    struct msg q;
    uint8_t framed[MSG_MAX + 2];
    static const uint8_t garbage[] = {0x00, 0x02, 0xff, 0xff};
    json_t *ev;

    (void)state;
    build_query(&q);
    framed[0] = (uint8_t)(q.len >> 8);
    framed[1] = (uint8_t)q.len;
    memcpy(framed + 2, q.b, q.len);
    for (int bad = 0; bad < 2; bad++) {
        struct eve_writer *eve = eve_open(file_path);
        struct proto_layer *pl = proto_layer_new(eve);
        struct ww_flow f;

        flow_setup(&f, 6, 53, APP_NONE);
        proto_stream(pl, &f, FLOW_TOSERVER, framed, (uint32_t)(q.len + 2 - 5), STREAM_DATA);
        proto_stream(pl, &f, FLOW_TOSERVER, NULL, 5, STREAM_GAP); /* the first message's end */
        if (bad) {
            proto_stream(pl, &f, FLOW_TOSERVER, garbage, sizeof(garbage), STREAM_DATA);
        }
        proto_stream(pl, &f, FLOW_TOSERVER, framed, (uint32_t)(q.len + 2), STREAM_DATA);
        assert_int_equal(proto_layer_stats(pl)->gaps, 1);
        proto_flow_end(pl, &f);
        proto_layer_free(pl);
        assert_int_equal(eve_close(eve), 0);
        ev = read_events();
        assert_int_equal(count(ev, "dns"), bad ? 0 : 1);
        json_decref(ev);
    }
}

static void test_tcp_direct(void **state)
{
    struct msg q;
    uint8_t buf[MSG_MAX + 2];
    struct ww_flow f;
    struct eve_writer *eve = eve_open(file_path);
    struct proto_ctx ctx = {eve, &f, FLOW_TOSERVER, TS0, NULL};

    (void)state;
    build_query(&q);
    buf[0] = (uint8_t)(q.len >> 8);
    buf[1] = (uint8_t)q.len;
    memcpy(buf + 2, q.b, q.len);
    flow_setup(&f, 6, 53, APP_DNS);
    assert_int_equal(proto_dns_tcp_parser.parse(&ctx, NULL, buf, 1), PROTO_NEED_MORE);
    assert_int_equal(proto_dns_tcp_parser.parse(&ctx, NULL, buf, q.len + 1), PROTO_NEED_MORE);
    assert_int_equal(proto_dns_tcp_parser.parse(&ctx, NULL, buf, q.len + 2), (int)q.len + 2);
    buf[0] = 0;
    buf[1] = 5; /* shorter than a header */
    assert_int_equal(proto_dns_tcp_parser.parse(&ctx, NULL, buf, 7), PROTO_MALFORMED);
    assert_int_equal(eve_close(eve), 0);
}

/* A printer's announcement: PTR, SRV, TXT and its address. */
static void build_mdns_printer(struct msg *m, unsigned flags)
{
    size_t ipp, inst, host;

    hdr(m, 0, flags, 0, 4, 0, 1);
    ipp = name(m, "_ipp._tcp.local");
    rr_begin(m, 12, 1, 4500);
    inst = m->len;
    labels(m, "Ward 3 Printer");
    ptr(m, ipp);
    rr_end(m);
    ptr(m, inst);
    rr_begin(m, 33, 0x8001, 120);
    put16(m, 0);
    put16(m, 0);
    put16(m, 631);
    host = m->len;
    name(m, "NPI3A2B1C.local");
    rr_end(m);
    ptr(m, inst);
    rr_begin(m, 16, 0x8001, 4500);
    txt_string(m, "txtvers=1");
    txt_string(m, "ty=HP LaserJet 400 M401dne");
    txt_string(m, "usb_MFG=Hewlett-Packard");
    txt_string(m, "USB_MDL=LaserJet 400 M401dne");
    txt_string(m, "adminurl=http://NPI3A2B1C.local.");
    rr_end(m);
    name(m, "_services._dns-sd._udp.local");
    rr_begin(m, 12, 1, 4500);
    ptr(m, ipp);
    rr_end(m);
    ptr(m, host);
    rr_begin(m, 1, 0x8001, 120);
    put_bytes(m, "\x0a\x00\x00\x09", 4);
    rr_end(m);
}

static void test_mdns_printer(void **state)
{
    struct msg m;
    json_t *ev, *d;
    int rc;

    (void)state;
    build_mdns_printer(&m, 0x8400);
    ev = run(&proto_mdns_parser, m.b, m.len, FLOW_TOSERVER, &rc);
    assert_int_equal(rc, (int)m.len);
    assert_int_equal(count(ev, "anomaly"), 0);
    assert_int_equal(count(ev, "dns"), 0);
    d = find(ev, "mdns", 0);
    assert_non_null(d);
    assert_string_equal(str_at(d, "app_proto"), "mdns");
    assert_null(at(d, "mdns.version"));
    assert_string_equal(str_at(d, "mdns.type"), "response");
    assert_true(json_is_true(at(d, "mdns.aa")));
    assert_string_equal(str_at(d, "mdns.answers.0.rdata"), "Ward 3 Printer._ipp._tcp.local");
    assert_true(json_is_true(at(d, "mdns.answers.1.cache_flush")));
    assert_null(at(d, "mdns.answers.0.cache_flush"));
    assert_int_equal(int_at(d, "mdns.answers.1.srv.port"), 631);
    assert_string_equal(str_at(d, "mdns.answers.2.txt.1"), "ty=HP LaserJet 400 M401dne");
    assert_string_equal(str_at(d, "mdns.additionals.0.rrname"), "NPI3A2B1C.local");
    assert_string_equal(str_at(d, "mdns.hostnames.0"), "NPI3A2B1C");
    assert_null(at(d, "mdns.hostnames.1"));
    assert_string_equal(str_at(d, "mdns.services.0"), "_ipp._tcp");
    assert_null(at(d, "mdns.services.1")); /* _dns-sd._udp is not a service */
    assert_string_equal(str_at(d, "mdns.instances.0"), "Ward 3 Printer");
    assert_string_equal(str_at(d, "mdns.model"), "HP LaserJet 400 M401dne");
    assert_string_equal(str_at(d, "mdns.manufacturer"), "Hewlett-Packard");
    assert_true(has_evidence("mdns.hostname=NPI3A2B1C"));
    assert_true(has_evidence("mdns.service=_ipp._tcp"));
    assert_true(has_evidence("mdns.model=HP LaserJet 400 M401dne"));
    assert_true(has_evidence("mdns.model=LaserJet 400 M401dne"));
    assert_true(has_evidence("mdns.manufacturer=Hewlett-Packard"));
    assert_int_equal(n_evidence, 5);
    json_decref(ev);
}

/* A query carrying known answers (RFC 6762 7.1) says nothing about its sender. */
static void test_mdns_query_known_answers(void **state)
{
    struct msg m;
    json_t *ev, *d;
    int rc;

    (void)state;
    build_mdns_printer(&m, 0x0000);
    ev = run(&proto_mdns_parser, m.b, m.len, FLOW_TOSERVER, &rc);
    assert_int_equal(rc, (int)m.len);
    d = find(ev, "mdns", 0);
    assert_string_equal(str_at(d, "mdns.type"), "request");
    assert_null(at(d, "mdns.hostnames"));
    assert_null(at(d, "mdns.model"));
    assert_int_equal(n_evidence, 0);
    json_decref(ev);

    hdr(&m, 0, 0, 1, 0, 0, 0);
    question(&m, "_ipp._tcp.local", 12, 0x8001);
    ev = run(&proto_mdns_parser, m.b, m.len, FLOW_TOSERVER, &rc);
    d = find(ev, "mdns", 0);
    assert_true(json_is_true(at(d, "mdns.queries.0.unicast_response")));
    assert_int_equal(n_evidence, 0);
    json_decref(ev);
}

/* More records than an event holds: it is cut short, marked, and still written. */
static void test_event_budget(void **state)
{
    struct msg m;
    char big[256];
    json_t *ev, *d;
    int rc;

    (void)state;
    memset(big, 0x01, 200); /* control bytes: six bytes each once escaped */
    big[200] = '\0';
    hdr(&m, 9, 0x8180, 0, 0, 0, 0);
    for (int i = 0; i < 36; i++) {
        name(&m, "t.example");
        rr_begin(&m, 16, 1, 1);
        txt_string(&m, big);
        rr_end(&m);
    }
    m.b[7] = 36;
    ev = run(&proto_dns_udp_parser, m.b, m.len, FLOW_TOCLIENT, &rc);
    assert_int_equal(rc, (int)m.len);
    d = find(ev, "dns", 0);
    assert_non_null(d);
    assert_true(json_is_true(at(d, "dns.truncated")));
    assert_true(json_array_size(at(d, "dns.answers")) < 36);
    json_decref(ev);
}

static void test_probes(void **state)
{
    struct msg m;

    (void)state;
    build_query(&m);
    assert_true(proto_dns_udp_parser.probe(m.b, m.len, FLOW_TOSERVER));
    assert_false(proto_dns_udp_parser.probe(m.b, 11, FLOW_TOSERVER));
    m.b[2] = 0x18; /* opcode 3, unassigned */
    assert_false(proto_dns_udp_parser.probe(m.b, m.len, FLOW_TOSERVER));
    m.b[2] = 0x20; /* opcode 4, NOTIFY */
    assert_true(proto_dns_udp_parser.probe(m.b, m.len, FLOW_TOSERVER));
    assert_false(proto_mdns_parser.probe(m.b, m.len, FLOW_TOSERVER));
    m.b[2] = 0x84;
    assert_true(proto_mdns_parser.probe(m.b, m.len, FLOW_TOSERVER));
    assert_true(proto_dns_tcp_parser.probe((const uint8_t *)"\x00", 1, FLOW_TOSERVER));
    assert_true(proto_dns_tcp_parser.probe((const uint8_t *)"\x00\x20", 2, FLOW_TOSERVER));
    assert_false(proto_dns_tcp_parser.probe((const uint8_t *)"\x00\x05", 2, FLOW_TOSERVER));
    assert_false(proto_dns_tcp_parser.probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16,
                                            FLOW_TOSERVER));
    assert_int_equal(proto_dns_udp_parser.ports[0], 53);
    assert_int_equal(proto_dns_tcp_parser.ip_proto, 6);
    assert_int_equal(proto_mdns_parser.ports[0], 5353);
    assert_int_equal(proto_mdns_parser.proto, APP_MDNS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, make_dir, remove_dir)
    const struct CMUnitTest tests[] = {
        T(test_query),          T(test_response_types),         T(test_truncated_everywhere),
        T(test_pointer_loops),  T(test_bad_names),              T(test_rcodes_and_opcode),
        T(test_tcp_split),      T(test_tcp_gap_resync),         T(test_tcp_direct),
        T(test_mdns_printer),   T(test_mdns_query_known_answers), T(test_event_budget),
        cmocka_unit_test(test_probes),
    };
#undef T

    return cmocka_run_group_tests_name("test_dns", tests, NULL, NULL);
}
