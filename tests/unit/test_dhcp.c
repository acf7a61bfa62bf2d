/* SPDX-License-Identifier: MIT */
/*
 * test_dhcp: the DHCPv4 parser (RFC 2131, 2132, 4702, 6842) on hand-built
 * messages: event fields worked out by hand, every truncation, damaged
 * option lengths, option overload, the option cap and the probe.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

extern const struct proto_parser proto_dhcp_parser;

#define TS0 1764547200000000ull
#define MSG_MAX 2048
#define HDR_LEN 236
#define OPTS_AT 240 /* after the cookie */
#define SNAME_AT 44
#define FILE_AT 108
#define N_MARKS_MAX 64


/* A message being built, with where each option starts and ends. */
struct msg {
    uint8_t b[MSG_MAX];
    size_t len;
    size_t opt_start[N_MARKS_MAX], opt_end[N_MARKS_MAX];
    size_t n_opts;
};

static const uint8_t mac[6] = {0x00, 0x1b, 0x63, 0x84, 0x45, 0xe6};

/* The fixed header and cookie: op, xid, chaddr; addresses zero. */
static void msg_init(struct msg *m, uint8_t op, uint32_t xid)
{
    memset(m, 0, sizeof(*m));
    m->b[0] = op;
    m->b[1] = 1; /* Ethernet */
    m->b[2] = 6;
    m->b[4] = (uint8_t)(xid >> 24);
    m->b[5] = (uint8_t)(xid >> 16);
    m->b[6] = (uint8_t)(xid >> 8);
    m->b[7] = (uint8_t)xid;
    memcpy(m->b + 28, mac, 6);
    m->b[236] = 99;
    m->b[237] = 130;
    m->b[238] = 83;
    m->b[239] = 99;
    m->len = OPTS_AT;
}

/* Sets a 4-byte address field at offset off (ciaddr 12, yiaddr 16, siaddr 20, giaddr 24). */
static void msg_addr(struct msg *m, size_t off, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    m->b[off] = a;
    m->b[off + 1] = b;
    m->b[off + 2] = c;
    m->b[off + 3] = d;
}

static void msg_opt(struct msg *m, uint8_t code, const void *data, size_t len)
{
    size_t start = m->len;

    m->b[m->len++] = code;
    m->b[m->len++] = (uint8_t)len;
    if (len > 0) {
        memcpy(m->b + m->len, data, len);
    }
    m->len += len;
    if (m->n_opts < N_MARKS_MAX) {
        m->opt_start[m->n_opts] = start;
        m->opt_end[m->n_opts++] = m->len;
    }
}

static void msg_byte(struct msg *m, uint8_t v)
{
    m->b[m->len++] = v;
}

/*
 * Runs the parser over len bytes copied to the heap (so a read past the
 * end is caught by ASan) and returns the events it wrote; *rc gets what
 * parse returned.
 */
static json_t *run(const uint8_t *data, size_t len, int *rc)
{
    struct ww_flow flow;
    struct proto_ctx ctx;
    uint8_t *copy = malloc(len > 0 ? len : 1);
    json_t *events = json_array();
    char line[1 << 16];
    FILE *f;

    assert_non_null(copy);
    memcpy(copy, data, len);
    memset(&flow, 0, sizeof(flow));
    flow.key.family = 4;
    flow.key.proto = 17;
    flow.app_proto = APP_DHCP;
    ctx = (struct proto_ctx){eve_open(file_path), &flow, FLOW_TOSERVER, TS0, NULL};
    assert_non_null(ctx.eve);
    *rc = proto_dhcp_parser.parse(&ctx, NULL, copy, len);
    assert_int_equal(eve_close(ctx.eve), 0);
    free(copy);

    f = fopen(file_path, "r");
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

/* The first event of a type, or NULL. Borrowed from events. */
static json_t *find(json_t *events, const char *type)
{
    size_t i;
    json_t *e;

    json_array_foreach(events, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "event_type")), type) == 0) {
            return e;
        }
    }
    return NULL;
}

static size_t count(json_t *events, const char *type)
{
    size_t i, n = 0;
    json_t *e;

    json_array_foreach(events, i, e)
    {
        n += strcmp(json_string_value(json_object_get(e, "event_type")), type) == 0;
    }
    return n;
}

static const char *str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    assert_true(json_is_string(v));
    return json_string_value(v);
}

static json_int_t num(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

/* The anomaly event's name, checking there is exactly one. */
static const char *anomaly(json_t *events)
{
    json_t *a = find(events, "anomaly");

    assert_non_null(a);
    assert_int_equal(count(events, "anomaly"), 1);
    assert_string_equal(str(json_object_get(a, "anomaly"), "app_proto"), "dhcp");
    return str(json_object_get(a, "anomaly"), "event");
}

/* A DISCOVER as a Windows-like client sends it, with an encoded FQDN. */
static void build_discover(struct msg *m)
{
    static const uint8_t type[] = {1};
    static const uint8_t cid[] = {1, 0x00, 0x1b, 0x63, 0x84, 0x45, 0xe6};
    static const uint8_t prl[] = {1, 15, 3, 6, 44, 46};
    static const uint8_t fqdn[] = {0x05, 0,   0, 5,   'p', 'u', 'm', 'p', '1', 4,   'w', 'a',
                                   'r',  'd', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
    static const uint8_t req[] = {192, 0, 2, 44};

    msg_init(m, 1, 0x12345678);
    msg_opt(m, 53, type, sizeof(type));
    msg_opt(m, 61, cid, sizeof(cid));
    msg_opt(m, 12, "infusion1", 9);
    msg_opt(m, 60, "MSFT 5.0", 8);
    msg_opt(m, 55, prl, sizeof(prl));
    msg_opt(m, 81, fqdn, sizeof(fqdn));
    msg_opt(m, 50, req, sizeof(req));
    msg_byte(m, 255);
}

/* An ACK with lease times, mask, two routers and two DNS servers. */
static void build_ack(struct msg *m)
{
    static const uint8_t type[] = {5};
    static const uint8_t sid[] = {192, 0, 2, 1};
    static const uint8_t lease[] = {0x00, 0x01, 0x51, 0x80};  /* 86400 */
    static const uint8_t renew[] = {0x00, 0x00, 0xa8, 0xc0};  /* 43200 */
    static const uint8_t rebind[] = {0x00, 0x01, 0x27, 0x50}; /* 75600 */
    static const uint8_t mask[] = {255, 255, 255, 0};
    static const uint8_t routers[] = {192, 0, 2, 1, 192, 0, 2, 2};
    static const uint8_t dns[] = {192, 0, 2, 53, 198, 51, 100, 53};

    msg_init(m, 2, 0xdeadbeef);
    msg_addr(m, 16, 192, 0, 2, 44);
    msg_addr(m, 20, 192, 0, 2, 1);
    msg_addr(m, 24, 192, 0, 2, 254);
    msg_opt(m, 53, type, sizeof(type));
    msg_opt(m, 54, sid, sizeof(sid));
    msg_opt(m, 51, lease, sizeof(lease));
    msg_opt(m, 58, renew, sizeof(renew));
    msg_opt(m, 59, rebind, sizeof(rebind));
    msg_opt(m, 1, mask, sizeof(mask));
    msg_opt(m, 3, routers, sizeof(routers));
    msg_opt(m, 6, dns, sizeof(dns));
    msg_byte(m, 255);
}

static void test_discover_fields(void **state)
{
    struct msg m;
    json_t *ev, *e, *d, *prl, *fqdn;
    int rc;

    (void)state;
    build_discover(&m);
    ev = run(m.b, m.len, &rc);
    assert_int_equal(rc, (int)m.len);
    assert_int_equal(json_array_size(ev), 1);
    e = find(ev, "dhcp");
    assert_non_null(e);
    assert_string_equal(str(e, "app_proto"), "dhcp");
    assert_string_equal(str(e, "proto"), "UDP");
    d = json_object_get(e, "dhcp");
    assert_string_equal(str(d, "type"), "request");
    assert_int_equal(num(d, "id"), 305419896);
    assert_string_equal(str(d, "client_mac"), "00:1b:63:84:45:e6");
    assert_string_equal(str(d, "assigned_ip"), "0.0.0.0");
    assert_string_equal(str(d, "client_ip"), "0.0.0.0");
    assert_null(json_object_get(d, "relay_ip"));
    assert_string_equal(str(d, "dhcp_type"), "discover");
    assert_int_equal(num(d, "client_id_type"), 1);
    assert_string_equal(str(d, "client_id"), "00:1b:63:84:45:e6");
    assert_string_equal(str(d, "hostname"), "infusion1");
    assert_string_equal(str(d, "vendor_class_identifier"), "MSFT 5.0");
    assert_string_equal(str(d, "requested_ip"), "192.0.2.44");

    /* Suricata names 1, 15, 3, 6 and leaves out 44 and 46; the raw list keeps all. */
    prl = json_object_get(d, "params");
    assert_int_equal(json_array_size(prl), 4);
    assert_string_equal(json_string_value(json_array_get(prl, 0)), "subnet_mask");
    assert_string_equal(json_string_value(json_array_get(prl, 1)), "domain");
    assert_string_equal(json_string_value(json_array_get(prl, 2)), "router");
    assert_string_equal(json_string_value(json_array_get(prl, 3)), "dns_server");
    prl = json_object_get(d, "param_request_list");
    assert_int_equal(json_array_size(prl), 6);
    for (size_t i = 0; i < 6; i++) {
        static const int want[] = {1, 15, 3, 6, 44, 46};

        assert_int_equal(json_integer_value(json_array_get(prl, i)), want[i]);
    }

    /* Flags 0x05 = S and E; the name in wire form decodes to dotted text. */
    fqdn = json_object_get(d, "fqdn");
    assert_int_equal(num(fqdn, "flags"), 5);
    assert_true(json_is_true(json_object_get(fqdn, "server_update")));
    assert_true(json_is_true(json_object_get(fqdn, "encoded")));
    assert_true(json_is_false(json_object_get(fqdn, "server_override")));
    assert_true(json_is_false(json_object_get(fqdn, "no_update")));
    assert_string_equal(str(fqdn, "name"), "pump1.ward.example");
    assert_null(json_object_get(d, "lease_time"));
    json_decref(ev);
}

static void test_ack_fields(void **state)
{
    struct msg m;
    json_t *ev, *d, *a;
    int rc;

    (void)state;
    build_ack(&m);
    ev = run(m.b, m.len, &rc);
    assert_int_equal(rc, (int)m.len);
    assert_int_equal(json_array_size(ev), 1);
    d = json_object_get(find(ev, "dhcp"), "dhcp");
    assert_string_equal(str(d, "type"), "reply");
    assert_int_equal(num(d, "id"), 3735928559ll);
    assert_string_equal(str(d, "dhcp_type"), "ack");
    assert_string_equal(str(d, "assigned_ip"), "192.0.2.44");
    assert_string_equal(str(d, "next_server_ip"), "192.0.2.1");
    assert_string_equal(str(d, "relay_ip"), "192.0.2.254");
    assert_string_equal(str(d, "server_id"), "192.0.2.1");
    assert_int_equal(num(d, "lease_time"), 86400);
    assert_int_equal(num(d, "renewal_time"), 43200);
    assert_int_equal(num(d, "rebinding_time"), 75600);
    assert_string_equal(str(d, "subnet_mask"), "255.255.255.0");
    a = json_object_get(d, "routers");
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(json_string_value(json_array_get(a, 0)), "192.0.2.1");
    assert_string_equal(json_string_value(json_array_get(a, 1)), "192.0.2.2");
    a = json_object_get(d, "dns_servers");
    assert_int_equal(json_array_size(a), 2);
    assert_string_equal(json_string_value(json_array_get(a, 0)), "192.0.2.53");
    assert_string_equal(json_string_value(json_array_get(a, 1)), "198.51.100.53");
    assert_null(json_object_get(d, "hostname"));
    assert_null(json_object_get(d, "params"));
    json_decref(ev);
}

/* Whether cutting the message at n bytes falls inside an option. */
static bool cut_inside_option(const struct msg *m, size_t n)
{
    for (size_t i = 0; i < m->n_opts; i++) {
        if (n > m->opt_start[i] && n < m->opt_end[i]) {
            return true;
        }
    }
    return false;
}

static void check_truncations(const struct msg *m)
{
    for (size_t n = 0; n <= m->len; n++) {
        int rc;
        json_t *ev = run(m->b, n, &rc);

        if (n < OPTS_AT) {
            assert_int_equal(rc, PROTO_MALFORMED);
            assert_int_equal(count(ev, "dhcp"), 0);
            assert_string_equal(anomaly(ev), "short_header");
        } else if (cut_inside_option(m, n)) {
            assert_int_equal(rc, PROTO_MALFORMED);
            assert_int_equal(count(ev, "dhcp"), 1);
            assert_string_equal(anomaly(ev), "truncated_options");
        } else {
            /* Cut between options: what is there is whole. */
            assert_int_equal(rc, (int)n);
            assert_int_equal(count(ev, "dhcp"), 1);
            assert_int_equal(count(ev, "anomaly"), 0);
        }
        json_decref(ev);
    }
}

static void test_truncated_everywhere(void **state)
{
    struct msg m;

    (void)state;
    build_discover(&m);
    check_truncations(&m);
    build_ack(&m);
    check_truncations(&m);
}

/* A message with one option of the given bytes, then end; checks the anomaly. */
static void check_bad_option(uint8_t code, const uint8_t *data, size_t len, const char *want)
{
    struct msg m;
    json_t *ev;
    int rc;

    msg_init(&m, 1, 7);
    msg_opt(&m, code, data, len);
    msg_byte(&m, 255);
    ev = run(m.b, m.len, &rc);
    assert_int_equal(rc, PROTO_MALFORMED);
    assert_int_equal(count(ev, "dhcp"), 1);
    assert_string_equal(anomaly(ev), want);
    json_decref(ev);
}

static void test_bad_option_lengths(void **state)
{
    static const uint8_t z[8] = {0};
    static const uint8_t bad_label[] = {0x04, 0, 0, 64, 'a'};
    static const uint8_t pointer[] = {0x04, 0, 0, 0xc0, 0x0c};
    static const uint8_t trailing[] = {0x04, 0, 0, 1, 'a', 0, 1};
    static const uint8_t overload4[] = {4};

    (void)state;
    check_bad_option(53, z, 0, "option_bad_len");
    check_bad_option(53, z, 2, "option_bad_len");
    check_bad_option(1, z, 3, "option_bad_len");
    check_bad_option(3, z, 5, "option_bad_len");
    check_bad_option(6, z, 0, "option_bad_len");
    check_bad_option(51, z, 8, "option_bad_len");
    check_bad_option(61, z, 1, "option_bad_len");
    check_bad_option(81, z, 2, "option_bad_len");
    check_bad_option(12, z, 0, "option_bad_len");
    check_bad_option(55, z, 0, "option_bad_len");
    check_bad_option(81, bad_label, sizeof(bad_label), "fqdn_bad_name");
    check_bad_option(81, pointer, sizeof(pointer), "fqdn_bad_name");
    check_bad_option(81, trailing, sizeof(trailing), "fqdn_bad_name");
    check_bad_option(52, overload4, 1, "bad_overload");
}

/* A length byte that claims more than is left: the event keeps what came before. */
static void test_length_past_end(void **state)
{
    static const uint8_t type[] = {3};
    struct msg m;
    json_t *ev, *d;
    int rc;

    (void)state;
    msg_init(&m, 1, 9);
    msg_opt(&m, 53, type, 1);
    msg_opt(&m, 12, "ab", 2);
    m.b[m.len - 3] = 200; /* hostname's length */
    ev = run(m.b, m.len, &rc);
    assert_int_equal(rc, PROTO_MALFORMED);
    assert_string_equal(anomaly(ev), "truncated_options");
    d = json_object_get(find(ev, "dhcp"), "dhcp");
    assert_string_equal(str(d, "dhcp_type"), "request");
    assert_null(json_object_get(d, "hostname"));
    json_decref(ev);
}

static void test_bad_header(void **state)
{
    struct msg m;
    json_t *ev;
    int rc;

    (void)state;
    build_discover(&m);
    m.b[239] = 98;
    ev = run(m.b, m.len, &rc);
    assert_int_equal(rc, PROTO_MALFORMED);
    assert_int_equal(count(ev, "dhcp"), 0);
    assert_string_equal(anomaly(ev), "bad_magic_cookie");
    json_decref(ev);

    /* hlen past chaddr: counted, the MAC cut to 16 bytes, the rest still read. */
    build_discover(&m);
    m.b[2] = 200;
    ev = run(m.b, m.len, &rc);
    assert_int_equal(rc, PROTO_MALFORMED);
    assert_string_equal(anomaly(ev), "bad_hlen");
    assert_int_equal(strlen(str(json_object_get(find(ev, "dhcp"), "dhcp"), "client_mac")),
                     16 * 3 - 1);
    json_decref(ev);
}

/* Option 52 = 3: file is read before sname (RFC 2131 4.1); the first instance wins. */
static void test_overload(void **state)
{
    static const uint8_t both[] = {3};
    static const uint8_t type[] = {2};
    /* file: 6 dns 10.100.0.2, 12 "from-file", end */
    static const uint8_t file_opts[] = {6,   4,   10,  100, 0,   2,   12,  9,   'f',
                                        'r', 'o', 'm', '-', 'f', 'i', 'l', 'e', 255};
    /* sname: 3 router 10.100.0.2, 12 "from-sname" (ignored), 52 (ignored), end */
    static const uint8_t sname_opts[] = {3,   4,   10,  100, 0,   2,   12,  10, 'f', 'r', 'o',
                                         'm', '-', 's', 'n', 'a', 'm', 'e', 52, 1,   1,   255};
    struct msg m;
    json_t *ev, *d;
    int rc;

    (void)state;
    msg_init(&m, 2, 11);
    msg_opt(&m, 53, type, 1);
    msg_opt(&m, 52, both, 1);
    msg_byte(&m, 255);
    memcpy(m.b + FILE_AT, file_opts, sizeof(file_opts));
    memcpy(m.b + SNAME_AT, sname_opts, sizeof(sname_opts));
    ev = run(m.b, m.len, &rc);
    assert_int_equal(rc, (int)m.len);
    d = json_object_get(find(ev, "dhcp"), "dhcp");
    assert_string_equal(str(d, "dhcp_type"), "offer");
    assert_string_equal(json_string_value(json_array_get(json_object_get(d, "dns_servers"), 0)),
                        "10.100.0.2");
    assert_string_equal(json_string_value(json_array_get(json_object_get(d, "routers"), 0)),
                        "10.100.0.2");
    assert_string_equal(str(d, "hostname"), "from-file");
    json_decref(ev);

    /* Without option 52 the same sname bytes are not options. */
    msg_init(&m, 2, 11);
    msg_opt(&m, 53, type, 1);
    msg_byte(&m, 255);
    memcpy(m.b + SNAME_AT, sname_opts, sizeof(sname_opts));
    ev = run(m.b, m.len, &rc);
    assert_int_equal(rc, (int)m.len);
    assert_null(json_object_get(json_object_get(find(ev, "dhcp"), "dhcp"), "routers"));
    json_decref(ev);

    /* An option running past the end of sname is cut. */
    msg_init(&m, 2, 11);
    msg_opt(&m, 52, (const uint8_t[]){2}, 1);
    msg_byte(&m, 255);
    m.b[SNAME_AT + 62] = 12;
    m.b[SNAME_AT + 63] = 5;
    memset(m.b + SNAME_AT, 0, 62); /* pads */
    ev = run(m.b, m.len, &rc);
    assert_int_equal(rc, PROTO_MALFORMED);
    assert_string_equal(anomaly(ev), "truncated_options");
    json_decref(ev);
}

static void test_option_cap(void **state)
{
    struct msg m;
    json_t *ev;
    int rc;

    (void)state;
    msg_init(&m, 1, 13);
    for (int i = 0; i < 255; i++) {
        msg_opt(&m, 224, NULL, 0);
    }
    msg_byte(&m, 255);
    ev = run(m.b, m.len, &rc);
    assert_int_equal(rc, (int)m.len);
    assert_int_equal(count(ev, "anomaly"), 0);
    json_decref(ev);

    msg_opt(&m, 224, NULL, 0); /* after the end: not walked */
    ev = run(m.b, m.len, &rc);
    assert_int_equal(rc, (int)m.len);
    json_decref(ev);

    m.len -= 3;
    msg_opt(&m, 224, NULL, 0); /* the 256th */
    msg_byte(&m, 255);
    ev = run(m.b, m.len, &rc);
    assert_int_equal(rc, PROTO_MALFORMED);
    assert_string_equal(anomaly(ev), "too_many_options");
    json_decref(ev);
}

/* RFC 3396: two option 55s make one list; pads are skipped; no end is tolerated. */
static void test_split_params_pads_no_end(void **state)
{
    static const uint8_t a[] = {1, 3}, b[] = {6, 150, 66};
    struct msg m;
    json_t *ev, *d, *prl;
    int rc;

    (void)state;
    msg_init(&m, 1, 15);
    msg_byte(&m, 0);
    msg_byte(&m, 0);
    msg_opt(&m, 55, a, sizeof(a));
    msg_byte(&m, 0);
    msg_opt(&m, 55, b, sizeof(b));
    msg_opt(&m, 60, "\"q\"\x01\xff", 5);
    ev = run(m.b, m.len, &rc);
    assert_int_equal(rc, (int)m.len);
    d = json_object_get(find(ev, "dhcp"), "dhcp");
    assert_null(json_object_get(d, "dhcp_type"));
    prl = json_object_get(d, "param_request_list");
    assert_int_equal(json_array_size(prl), 5);
    assert_int_equal(json_integer_value(json_array_get(prl, 3)), 150);
    prl = json_object_get(d, "params");
    assert_int_equal(json_array_size(prl), 5);
    assert_string_equal(json_string_value(json_array_get(prl, 3)), "tftp_server_ip");
    assert_string_equal(json_string_value(json_array_get(prl, 4)), "tftp_server_name");
    /* Hostile bytes come back escaped, and the line is still JSON. */
    assert_string_equal(str(d, "vendor_class_identifier"), "\"q\"\x01\xc3\xbf");
    json_decref(ev);
}

static void test_message_types(void **state)
{
    static const char *const names[] = {"unknown", "discover", "offer",   "request", "decline",
                                        "ack",     "nak",      "release", "inform",  "unknown"};
    struct msg m;

    (void)state;
    for (uint8_t t = 0; t < 10; t++) {
        json_t *ev;
        int rc;

        msg_init(&m, 1, t);
        msg_opt(&m, 53, &t, 1);
        msg_byte(&m, 255);
        ev = run(m.b, m.len, &rc);
        assert_int_equal(rc, (int)m.len);
        assert_string_equal(str(json_object_get(find(ev, "dhcp"), "dhcp"), "dhcp_type"), names[t]);
        json_decref(ev);
    }
}

static void test_probe(void **state)
{
    struct msg m;

    (void)state;
    build_discover(&m);
    assert_true(proto_dhcp_parser.probe(m.b, m.len, FLOW_TOSERVER));
    assert_true(proto_dhcp_parser.probe(m.b, OPTS_AT, FLOW_TOSERVER));
    assert_false(proto_dhcp_parser.probe(m.b, OPTS_AT - 1, FLOW_TOSERVER));
    assert_false(proto_dhcp_parser.probe(m.b, 0, FLOW_TOSERVER));
    m.b[0] = 3;
    assert_false(proto_dhcp_parser.probe(m.b, m.len, FLOW_TOSERVER));
    m.b[0] = 2;
    assert_true(proto_dhcp_parser.probe(m.b, m.len, FLOW_TOCLIENT));
    m.b[1] = 0;
    assert_false(proto_dhcp_parser.probe(m.b, m.len, FLOW_TOSERVER));
    m.b[1] = 1;
    m.b[2] = 17;
    assert_false(proto_dhcp_parser.probe(m.b, m.len, FLOW_TOSERVER));
    m.b[2] = 6;
    m.b[238] = 0;
    assert_false(proto_dhcp_parser.probe(m.b, m.len, FLOW_TOSERVER));

    assert_string_equal(proto_dhcp_parser.name, "dhcp");
    assert_int_equal(proto_dhcp_parser.proto, APP_DHCP);
    assert_int_equal(proto_dhcp_parser.ip_proto, 17);
    assert_int_equal(proto_dhcp_parser.ports[0], 67);
    assert_int_equal(proto_dhcp_parser.ports[1], 68);
}


/* Evidence of the two DISCOVERs of test_evidence_goes_to_chaddr: "MAC kind=value". */
static char seen[16][96];
static size_t n_seen;

static void on_evidence(void *arg, const struct proto_evidence *ev)
{
    (void)arg;
    assert_true(n_seen < 16);
    assert_non_null(ev->mac);
    snprintf(seen[n_seen++], sizeof(seen[0]), "%02x:%02x %s=%.*s", ev->mac[4], ev->mac[5],
             ev->kind, (int)ev->value_len, ev->value);
}

static bool was_seen(const char *line)
{
    for (size_t i = 0; i < n_seen; i++) {
        if (strcmp(seen[i], line) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * Every client's DISCOVER travels 0.0.0.0:68 to 255.255.255.255:67: one
 * flow, whose client MAC is whoever spoke first. The evidence must name
 * the device in each message's chaddr, and a second client saying the same
 * vendor class must not be taken for a repeat.
 */
static void test_evidence_goes_to_chaddr(void **state)
{
    struct eve_writer *eve = eve_open("/dev/null");
    struct proto_layer *pl = proto_layer_new(eve);
    struct ww_flow flow;
    struct msg m;

    (void)state;
    assert_non_null(pl);
    proto_layer_set_evidence(pl, on_evidence, NULL);
    memset(&flow, 0, sizeof(flow));
    flow.key.family = 4;
    flow.key.proto = 17;
    flow.key.port[0] = 68;
    flow.key.port[1] = 67;
    memcpy(flow.client_mac, mac, 6);
    n_seen = 0;
    build_discover(&m);
    proto_datagram(pl, &flow, FLOW_TOSERVER, TS0, m.b, (uint32_t)m.len, false);
    m.b[28 + 5] = 0x99; /* a second client, same flow */
    m.b[OPTS_AT + 3 + 9 + 2 + 8] = '2'; /* its host name (after options 53, 61): infusion2 */
    proto_datagram(pl, &flow, FLOW_TOSERVER, TS0 + 1000, m.b, (uint32_t)m.len, false);
    proto_flow_end(pl, &flow);
    proto_layer_free(pl);
    assert_int_equal(eve_close(eve), 0);
    assert_true(was_seen("45:e6 dhcp.hostname=infusion1"));
    assert_true(was_seen("45:99 dhcp.hostname=infusion2"));
    assert_true(was_seen("45:e6 dhcp.vendor_class=MSFT 5.0"));
    assert_true(was_seen("45:99 dhcp.vendor_class=MSFT 5.0"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, make_dir, remove_dir)
    const struct CMUnitTest tests[] = {
        T(test_discover_fields),    T(test_ack_fields),           T(test_truncated_everywhere),
        T(test_bad_option_lengths), T(test_length_past_end),      T(test_bad_header),
        T(test_overload),           T(test_option_cap),           T(test_split_params_pads_no_end),
        T(test_message_types),      cmocka_unit_test(test_probe),
        cmocka_unit_test(test_evidence_goes_to_chaddr),
    };
#undef T

    return cmocka_run_group_tests_name("test_dhcp", tests, NULL, NULL);
}
