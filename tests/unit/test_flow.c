/* SPDX-License-Identifier: MIT */
/* test_flow: flow table keys, directions, TCP state, timeouts, eviction, Community ID. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "pktbuild.h"

#define US 1000000ull /* microseconds per second */
#define T0 (1700000000ull * US)
#define SMALL_MEMCAP (4u << 20)
#define ENDS_MAX 40200
#define FRAME_CAP 2048

static const uint8_t MAC_C[6] = {0x02, 0, 0, 0, 0, 0xc1};
static const uint8_t MAC_S[6] = {0x02, 0, 0, 0, 0, 0x5e};

/* Every flow the table ends, copied at the time. */
struct end_log {
    size_t n;
    struct ww_flow flow[ENDS_MAX];
    enum flow_end_reason why[ENDS_MAX];
};

static struct end_log ends;
static struct flow_table *cur; /* the open table, freed by the teardown if a test fails */
static struct decode_stats dstats;
static uint8_t frame[FRAME_CAP];
static struct ww_packet pk;

static void on_end(void *ctx, const struct ww_flow *f, enum flow_end_reason why)
{
    struct end_log *log = ctx;

    assert_true(log->n < ENDS_MAX);
    log->flow[log->n] = *f;
    log->why[log->n] = why;
    log->n++;
}

static struct flow_table *table_new(size_t memcap)
{
    struct flow_config cfg;
    struct flow_table *t;

    flow_config_default(&cfg);
    cfg.memcap = memcap;
    memset(&ends, 0, sizeof(ends));
    t = flow_table_new(&cfg, on_end, &ends);
    assert_non_null(t);
    cur = t;
    return t;
}

static void table_free(struct flow_table *t)
{
    flow_table_free(t);
    cur = NULL;
}

/* One endpoint pair and protocol, in the packet's direction. */
struct tuple {
    int family;
    uint8_t proto;
    const char *src, *dst;
    uint16_t sport, dport;
};

static void spec_from(struct pkt_spec *s, const struct tuple *tu)
{
    memset(s, 0, sizeof(*s));
    s->family = tu->family;
    if (tu->family == 4) {
        assert_int_equal(pkt_ip4(s->src_ip, tu->src), 0);
        assert_int_equal(pkt_ip4(s->dst_ip, tu->dst), 0);
    } else {
        assert_int_equal(pkt_ip6(s->src_ip, tu->src), 0);
        assert_int_equal(pkt_ip6(s->dst_ip, tu->dst), 0);
    }
    s->proto = tu->proto;
    s->sport = tu->sport;
    s->dport = tu->dport;
}

/* Builds, decodes and returns the packet; wirelen = frame length + extra. */
static const struct ww_packet *make(const struct pkt_spec *s, uint64_t ts, uint32_t extra)
{
    size_t n = pkt_build(s, frame, sizeof(frame));

    assert_true(n > 0);
    memset(&pk, 0, sizeof(pk));
    pk.ts_us = ts;
    pk.data = frame;
    pk.caplen = (uint32_t)n;
    pk.wirelen = (uint32_t)n + extra;
    pk.linktype = LINK_EN10MB;
    assert_int_equal(decode_packet(&dstats, &pk), DECODE_EV_MAX);
    return &pk;
}

static struct ww_flow *send_spec(struct flow_table *t, const struct pkt_spec *s, uint64_t ts,
                                 int *dir)
{
    return flow_table_packet(t, make(s, ts, 0), dir);
}

/* A TCP segment between 10.0.0.9:40000 (client) and 10.0.0.1:80 (server). */
static const struct tuple TCP_C2S = {4, 6, "10.0.0.9", "10.0.0.1", 40000, 80};
static const struct tuple TCP_S2C = {4, 6, "10.0.0.1", "10.0.0.9", 80, 40000};

static struct ww_flow *tcp(struct flow_table *t, int to_server, uint8_t flags, uint64_t ts,
                           size_t len, int *dir)
{
    static const uint8_t zeros[1500];
    struct pkt_spec s;

    spec_from(&s, to_server ? &TCP_C2S : &TCP_S2C);
    memcpy(s.src_mac, to_server ? MAC_C : MAC_S, 6);
    memcpy(s.dst_mac, to_server ? MAC_S : MAC_C, 6);
    s.tcp_flags = flags;
    s.seq = to_server ? 1000 : 5000;
    s.ack = to_server ? 5001 : 1001;
    s.payload = zeros;
    s.payload_len = len;
    return send_spec(t, &s, ts, dir);
}

static struct ww_flow *udp(struct flow_table *t, const char *src, uint16_t sport, const char *dst,
                           uint16_t dport, uint64_t ts, int *dir)
{
    struct tuple tu = {4, 17, src, dst, sport, dport};
    struct pkt_spec s;
    static const uint8_t body[4] = {1, 2, 3, 4};

    spec_from(&s, &tu);
    s.payload = body;
    s.payload_len = sizeof(body);
    return send_spec(t, &s, ts, dir);
}

static int free_table(void **state)
{
    (void)state;
    if (cur != NULL) {
        flow_table_free(cur);
        cur = NULL;
    }
    return 0;
}

static int reset(void **state)
{
    (void)state;
    memset(&dstats, 0, sizeof(dstats));
    memset(&ends, 0, sizeof(ends));
    return 0;
}

/* --- directions and accounting ------------------------------------------- */

static void test_tcp_conversation_one_flow(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    static const uint8_t opts[4] = {2, 4, 0x05, 0xb4};
    struct pkt_spec s;
    struct ww_flow *f;
    uint64_t id;
    int dir = -1;
    uint8_t c_ip[4] = {10, 0, 0, 9}, s_ip[4] = {10, 0, 0, 1};

    (void)state;
    /* SYN with an MSS option: 14 + 20 + 24 = 58 bytes on the wire. */
    spec_from(&s, &TCP_C2S);
    memcpy(s.src_mac, MAC_C, 6);
    memcpy(s.dst_mac, MAC_S, 6);
    s.tcp_flags = TCP_SYN;
    s.seq = 1000;
    s.tcp_opts = opts;
    s.tcp_opts_len = 4;
    f = send_spec(t, &s, T0, &dir);
    assert_non_null(f);
    assert_int_equal(dir, FLOW_TOSERVER);
    id = f->id;

    f = tcp(t, 0, TCP_SYN | TCP_ACK, T0 + 1000, 0, &dir); /* 54 bytes */
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_int_equal(f->id, id);
    f = tcp(t, 1, TCP_ACK, T0 + 2000, 0, &dir); /* 54 */
    assert_int_equal(dir, FLOW_TOSERVER);
    f = tcp(t, 1, TCP_ACK | TCP_PSH, T0 + 3000, 100, &dir); /* 154 */
    assert_int_equal(dir, FLOW_TOSERVER);
    /* A reply the capture cut short: counted at its wire length, 1514. */
    spec_from(&s, &TCP_S2C);
    memcpy(s.src_mac, MAC_S, 6);
    memcpy(s.dst_mac, MAC_C, 6);
    s.tcp_flags = TCP_ACK;
    s.seq = 5001;
    s.ack = 1101;
    f = flow_table_packet(t, make(&s, T0 + 4000, 1460), &dir);
    assert_true(pk.flags & PKT_SNAPPED);
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_int_equal(f->id, id);

    assert_int_equal(f->dir[FLOW_TOSERVER].pkts, 3);
    assert_int_equal(f->dir[FLOW_TOSERVER].bytes, 58 + 54 + 154);
    assert_int_equal(f->dir[FLOW_TOCLIENT].pkts, 2);
    assert_int_equal(f->dir[FLOW_TOCLIENT].bytes, 54 + 1514);
    assert_int_equal(f->dir[FLOW_TOSERVER].first_us, T0);
    assert_int_equal(f->dir[FLOW_TOSERVER].last_us, T0 + 3000);
    assert_int_equal(f->dir[FLOW_TOCLIENT].first_us, T0 + 1000);
    assert_int_equal(f->dir[FLOW_TOCLIENT].last_us, T0 + 4000);
    assert_int_equal(f->first_us, T0);
    assert_int_equal(f->last_us, T0 + 4000);
    assert_int_equal(f->dir[FLOW_TOSERVER].tcp_flags, TCP_SYN | TCP_ACK | TCP_PSH);
    assert_int_equal(f->dir[FLOW_TOCLIENT].tcp_flags, TCP_SYN | TCP_ACK);

    /* The client is the SYN's sender, whatever the key order. */
    assert_memory_equal(flow_side_addr(f, 0), c_ip, 4);
    assert_int_equal(flow_side_port(f, 0), 40000);
    assert_memory_equal(flow_side_addr(f, 1), s_ip, 4);
    assert_int_equal(flow_side_port(f, 1), 80);
    assert_memory_equal(f->client_mac, MAC_C, 6);
    assert_memory_equal(f->server_mac, MAC_S, 6);
    assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
    assert_false(f->midstream);
    assert_int_equal(f->key.proto, 6);
    assert_int_equal(f->key.family, 4);

    assert_int_equal(flow_table_stats(t)->created, 1);
    assert_int_equal(flow_table_stats(t)->active, 1);
    assert_int_equal(ends.n, 0);
    flow_table_flush(t);
    assert_int_equal(ends.n, 1);
    assert_int_equal(ends.flow[0].id, id);
    table_free(t);
}

static void test_synack_first(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    struct ww_flow *f;
    int dir = -1;
    uint8_t c_ip[4] = {10, 0, 0, 9};

    (void)state;
    /* The SYN was missed: the SYN-ACK's receiver opened the connection. */
    f = tcp(t, 0, TCP_SYN | TCP_ACK, T0, 0, &dir);
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_memory_equal(flow_side_addr(f, 0), c_ip, 4);
    assert_int_equal(flow_side_port(f, 0), 40000);
    assert_int_equal(flow_side_port(f, 1), 80);
    assert_int_equal(f->dir[FLOW_TOCLIENT].pkts, 1);
    assert_int_equal(f->dir[FLOW_TOSERVER].pkts, 0);
    assert_memory_equal(f->client_mac, MAC_C, 6);
    assert_memory_equal(f->server_mac, MAC_S, 6);
    assert_int_equal(f->tcp_state, FLOW_TCP_SYN_RECV);

    f = tcp(t, 1, TCP_ACK, T0 + 10, 0, &dir);
    assert_int_equal(dir, FLOW_TOSERVER);
    assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
    assert_int_equal(flow_table_stats(t)->created, 1);
    flow_table_flush(t);
    table_free(t);
}

static void test_client_with_smaller_address(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    struct ww_flow *f;
    int dir = -1;
    uint8_t lo[4] = {10, 0, 0, 1};

    (void)state;
    /* Here the opener is the key's endpoint 0; the mirror of the test above. */
    f = udp(t, "10.0.0.1", 5000, "10.0.0.200", 53, T0, &dir);
    assert_int_equal(dir, FLOW_TOSERVER);
    assert_memory_equal(flow_side_addr(f, 0), lo, 4);
    assert_int_equal(flow_side_port(f, 0), 5000);
    f = udp(t, "10.0.0.200", 53, "10.0.0.1", 5000, T0 + 1, &dir);
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_int_equal(f->dir[0].pkts, 1);
    assert_int_equal(f->dir[1].pkts, 1);

    /* Same address both ends: the ports order the key. */
    f = udp(t, "127.0.0.1", 6000, "127.0.0.1", 5000, T0 + 2, &dir);
    assert_int_equal(dir, FLOW_TOSERVER);
    assert_int_equal(flow_side_port(f, 0), 6000);
    f = udp(t, "127.0.0.1", 5000, "127.0.0.1", 6000, T0 + 3, &dir);
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_int_equal(flow_side_port(f, 1), 5000);
    assert_int_equal(f->dir[FLOW_TOCLIENT].pkts, 1);
    assert_int_equal(flow_table_stats(t)->created, 2);
    flow_table_flush(t);
    table_free(t);
}

static void test_ipv6_flow(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    struct tuple a = {6, 17, "2001:db8::2", "2001:db8::1", 5353, 53};
    struct tuple b = {6, 17, "2001:db8::1", "2001:db8::2", 53, 5353};
    struct pkt_spec s;
    struct ww_flow *f;
    int dir;

    (void)state;
    spec_from(&s, &a);
    f = send_spec(t, &s, T0, &dir);
    assert_int_equal(dir, FLOW_TOSERVER);
    spec_from(&s, &b);
    f = send_spec(t, &s, T0 + 1, &dir);
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_int_equal(f->key.family, 6);
    assert_int_equal(flow_side_port(f, 0), 5353);
    assert_int_equal(flow_table_stats(t)->created, 1);

    /* An IPv4 flow whose address bytes match the IPv6 prefix is another flow. */
    f = udp(t, "32.1.13.184", 5353, "32.1.13.184", 53, T0 + 2, &dir);
    assert_int_equal(flow_table_stats(t)->created, 2);
    flow_table_flush(t);
    table_free(t);
}

/* --- TCP state ------------------------------------------------------------- */

static void test_tcp_states_fin(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    struct ww_flow *f;
    int dir;

    (void)state;
    f = tcp(t, 1, TCP_SYN, T0, 0, &dir);
    assert_int_equal(f->tcp_state, FLOW_TCP_SYN_SENT);
    f = tcp(t, 0, TCP_SYN | TCP_ACK, T0 + 1, 0, &dir);
    assert_int_equal(f->tcp_state, FLOW_TCP_SYN_RECV);
    f = tcp(t, 1, TCP_ACK, T0 + 2, 0, &dir);
    assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
    f = tcp(t, 1, TCP_ACK | TCP_PSH, T0 + 3, 10, &dir);
    assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
    f = tcp(t, 1, TCP_FIN | TCP_ACK, T0 + 4, 0, &dir);
    assert_int_equal(f->tcp_state, FLOW_TCP_FIN_WAIT);
    assert_true(f->dir[FLOW_TOSERVER].fin);
    assert_false(f->dir[FLOW_TOCLIENT].fin);
    f = tcp(t, 0, TCP_FIN | TCP_ACK, T0 + 5, 0, &dir);
    assert_int_equal(f->tcp_state, FLOW_TCP_CLOSED);
    f = tcp(t, 1, TCP_ACK, T0 + 6, 0, &dir);
    assert_int_equal(f->tcp_state, FLOW_TCP_CLOSED);
    assert_false(f->rst);

    /* Closed flows wait FLOW_TCP_CLOSED_TIMEOUT after their last packet. */
    flow_table_expire(t, T0 + 6 + FLOW_TCP_CLOSED_TIMEOUT * US - 1);
    assert_int_equal(ends.n, 0);
    flow_table_expire(t, T0 + 6 + FLOW_TCP_CLOSED_TIMEOUT * US);
    assert_int_equal(ends.n, 1);
    assert_int_equal(ends.why[0], FLOW_END_TIMEOUT);
    assert_int_equal(ends.flow[0].tcp_state, FLOW_TCP_CLOSED);
    table_free(t);
}

static void test_tcp_rst(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    struct ww_flow *f;
    int dir;

    (void)state;
    f = tcp(t, 1, TCP_SYN, T0, 0, &dir);
    f = tcp(t, 0, TCP_SYN | TCP_ACK, T0 + 1, 0, &dir);
    f = tcp(t, 1, TCP_ACK, T0 + 2, 0, &dir);
    f = tcp(t, 0, TCP_RST | TCP_ACK, T0 + 3, 0, &dir);
    assert_int_equal(f->tcp_state, FLOW_TCP_CLOSED);
    assert_true(f->rst);

    /* A refused connection: SYN then RST. */
    f = udp(t, "10.0.0.5", 1, "10.0.0.6", 2, T0 + 4, &dir);
    {
        struct tuple tu = {4, 6, "10.0.0.7", "10.0.0.8", 1234, 23};
        struct tuple back = {4, 6, "10.0.0.8", "10.0.0.7", 23, 1234};
        struct pkt_spec s;

        spec_from(&s, &tu);
        s.tcp_flags = TCP_SYN;
        f = send_spec(t, &s, T0 + 5, &dir);
        spec_from(&s, &back);
        s.tcp_flags = TCP_RST | TCP_ACK;
        f = send_spec(t, &s, T0 + 6, &dir);
        assert_int_equal(dir, FLOW_TOCLIENT);
        assert_int_equal(f->tcp_state, FLOW_TCP_CLOSED);
        assert_true(f->rst);
    }
    flow_table_expire(t, T0 + 6 + FLOW_TCP_CLOSED_TIMEOUT * US - 1);
    /* The UDP flow's 30 s ran out first; the closed TCP flows wait out 60 s. */
    assert_int_equal(ends.n, 2);
    assert_int_equal(flow_table_stats(t)->active, 1);
    flow_table_expire(t, T0 + 6 + FLOW_TCP_CLOSED_TIMEOUT * US);
    assert_int_equal(ends.n, 3);
    assert_int_equal(flow_table_stats(t)->active, 0);
    flow_table_flush(t);
    table_free(t);
}

static void test_tcp_midstream(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    struct ww_flow *f;
    int dir;

    (void)state;
    f = tcp(t, 1, TCP_ACK | TCP_PSH, T0, 20, &dir);
    assert_int_equal(dir, FLOW_TOSERVER);
    /* One way only: not yet established (the flow event says "new"). */
    assert_int_equal(f->tcp_state, FLOW_TCP_NONE);
    assert_true(f->midstream);
    f = tcp(t, 0, TCP_ACK, T0 + 1, 0, &dir);
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
    assert_true(f->midstream);
    flow_table_flush(t);
    table_free(t);
}

/* A SYN on the 5-tuple of a closed connection starts a new flow. */
static void test_tcp_port_reuse(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    struct ww_flow *f;
    uint64_t first_id;
    int dir;

    (void)state;
    f = tcp(t, 1, TCP_SYN, T0, 0, &dir);
    first_id = f->id;
    tcp(t, 0, TCP_SYN | TCP_ACK, T0 + 1, 0, &dir);
    tcp(t, 1, TCP_ACK, T0 + 2, 0, &dir);
    tcp(t, 1, TCP_FIN | TCP_ACK, T0 + 3, 0, &dir);
    f = tcp(t, 0, TCP_FIN | TCP_ACK, T0 + 4, 0, &dir);
    assert_int_equal(f->tcp_state, FLOW_TCP_CLOSED);
    /* The last ACK of the old connection still belongs to it. */
    f = tcp(t, 1, TCP_ACK, T0 + 5, 0, &dir);
    assert_int_equal(f->id, first_id);
    assert_int_equal(ends.n, 0);

    f = tcp(t, 1, TCP_SYN, T0 + 2 * US, 0, &dir);
    assert_int_equal(ends.n, 1);
    assert_int_equal(ends.why[0], FLOW_END_REUSED);
    assert_int_equal(ends.flow[0].id, first_id);
    assert_int_equal(ends.flow[0].dir[FLOW_TOSERVER].pkts, 4);
    assert_int_not_equal(f->id, first_id);
    assert_int_equal(f->tcp_state, FLOW_TCP_SYN_SENT);
    assert_int_equal(dir, FLOW_TOSERVER);
    assert_int_equal(flow_table_stats(t)->ended[FLOW_END_REUSED], 1);
    assert_string_equal(flow_end_reason_name(FLOW_END_REUSED), "reused");
    flow_table_flush(t);
    table_free(t);
}

/* --- key ------------------------------------------------------------------ */

static void test_vlan_in_key(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    struct tuple tu = {4, 17, "10.1.1.1", "10.1.1.2", 1000, 2000};
    struct tuple back = {4, 17, "10.1.1.2", "10.1.1.1", 2000, 1000};
    struct pkt_spec s;
    struct ww_flow *f;
    uint64_t id10, id20;
    int dir;

    (void)state;
    spec_from(&s, &tu);
    s.n_vlan = 1;
    s.vlan[0] = 10;
    f = send_spec(t, &s, T0, &dir);
    id10 = f->id;
    assert_int_equal(f->key.vlan[0], 10);
    s.vlan[0] = 20;
    f = send_spec(t, &s, T0 + 1, &dir);
    id20 = f->id;
    assert_int_not_equal(id10, id20);
    assert_int_equal(flow_table_stats(t)->created, 2);

    /* The reply on VLAN 10 finds the VLAN 10 flow. */
    spec_from(&s, &back);
    s.n_vlan = 1;
    s.vlan[0] = 10;
    f = send_spec(t, &s, T0 + 2, &dir);
    assert_int_equal(f->id, id10);
    assert_int_equal(dir, FLOW_TOCLIENT);

    /* Untagged, and QinQ 10/30: two more flows. */
    s.n_vlan = 0;
    f = send_spec(t, &s, T0 + 3, &dir);
    s.n_vlan = 2;
    s.vlan[0] = 10;
    s.vlan[1] = 30;
    f = send_spec(t, &s, T0 + 4, &dir);
    assert_int_equal(f->key.vlan[1], 30);
    assert_int_equal(flow_table_stats(t)->created, 4);
    flow_table_flush(t);
    assert_int_equal(ends.n, 4);
    table_free(t);
}

/* --- timeouts -------------------------------------------------------------- */

/*
 * Drives a flow into one timeout class with its last packet at `last`, and
 * checks that it ends at last + timeout exactly and not a microsecond before.
 */
static void check_timeout_class(int cls, uint32_t timeout_s, const struct flow_config *cfg)
{
    struct flow_table *t;
    uint64_t last = T0 + 5 * US;
    int dir;

    memset(&ends, 0, sizeof(ends));
    t = flow_table_new(cfg, on_end, &ends);
    assert_non_null(t);
    cur = t;
    switch (cls) {
    case FLOW_LIST_TCP_NEW:
        tcp(t, 1, TCP_SYN, T0, 0, &dir);
        tcp(t, 1, TCP_SYN, last, 0, &dir); /* retransmitted SYN */
        break;
    case FLOW_LIST_TCP_EST:
        tcp(t, 1, TCP_SYN, T0, 0, &dir);
        tcp(t, 0, TCP_SYN | TCP_ACK, T0 + 1, 0, &dir);
        tcp(t, 1, TCP_ACK, last, 0, &dir);
        break;
    case FLOW_LIST_TCP_CLOSED:
        tcp(t, 1, TCP_ACK, T0, 0, &dir);
        tcp(t, 0, TCP_RST, last, 0, &dir);
        break;
    case FLOW_LIST_OTHER_NEW:
        udp(t, "10.0.0.1", 1111, "10.0.0.2", 53, T0, &dir);
        udp(t, "10.0.0.1", 1111, "10.0.0.2", 53, last, &dir);
        break;
    default:
        udp(t, "10.0.0.1", 1111, "10.0.0.2", 53, T0, &dir);
        udp(t, "10.0.0.2", 53, "10.0.0.1", 1111, last, &dir);
        break;
    }
    flow_table_expire(t, last);
    flow_table_expire(t, last + (uint64_t)timeout_s * US - 1);
    assert_int_equal(ends.n, 0);
    assert_int_equal(flow_table_stats(t)->active, 1);
    flow_table_expire(t, last + (uint64_t)timeout_s * US);
    assert_int_equal(ends.n, 1);
    assert_int_equal(ends.why[0], FLOW_END_TIMEOUT);
    assert_int_equal(ends.flow[0].last_us, last);
    assert_int_equal(flow_table_stats(t)->active, 0);
    assert_int_equal(flow_table_stats(t)->ended[FLOW_END_TIMEOUT], 1);
    flow_table_flush(t);
    assert_int_equal(ends.n, 1);
    table_free(t);
}

static void test_timeouts_default(void **state)
{
    static const uint32_t want[FLOW_LIST_MAX] = {
        FLOW_TCP_NEW_TIMEOUT,   FLOW_TCP_EST_TIMEOUT,   FLOW_TCP_CLOSED_TIMEOUT,
        FLOW_OTHER_NEW_TIMEOUT, FLOW_OTHER_EST_TIMEOUT,
    };
    struct flow_config cfg;

    (void)state;
    flow_config_default(&cfg);
    cfg.memcap = SMALL_MEMCAP;
    assert_int_equal(FLOW_TCP_NEW_TIMEOUT, 60);
    assert_int_equal(FLOW_TCP_EST_TIMEOUT, 600);
    assert_int_equal(FLOW_TCP_CLOSED_TIMEOUT, 60);
    assert_int_equal(FLOW_OTHER_NEW_TIMEOUT, 30);
    assert_int_equal(FLOW_OTHER_EST_TIMEOUT, 300);
    for (int cls = 0; cls < FLOW_LIST_MAX; cls++) {
        assert_int_equal(cfg.timeout[cls], want[cls]);
        check_timeout_class(cls, want[cls], &cfg);
    }
}

static void test_timeouts_configured(void **state)
{
    static const uint32_t custom[FLOW_LIST_MAX] = {7, 1234, 3, 11, 99};
    struct flow_config cfg;

    (void)state;
    flow_config_default(&cfg);
    cfg.memcap = SMALL_MEMCAP;
    memcpy(cfg.timeout, custom, sizeof(custom));
    for (int cls = 0; cls < FLOW_LIST_MAX; cls++) {
        check_timeout_class(cls, custom[cls], &cfg);
    }
}

/* Expiry follows each flow's own last packet, and several end in one call. */
static void test_expire_order(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    int dir;

    (void)state;
    udp(t, "10.0.0.1", 1, "10.0.0.2", 53, T0, &dir);
    udp(t, "10.0.0.1", 2, "10.0.0.2", 53, T0 + 10 * US, &dir);
    udp(t, "10.0.0.1", 3, "10.0.0.2", 53, T0 + 20 * US, &dir);
    udp(t, "10.0.0.1", 1, "10.0.0.2", 53, T0 + 25 * US, &dir); /* flow 1 again */

    flow_table_expire(t, T0 + 40 * US);
    assert_int_equal(ends.n, 1);
    assert_int_equal(flow_side_port(&ends.flow[0], 0), 2);
    flow_table_expire(t, T0 + 60 * US);
    assert_int_equal(ends.n, 3);
    assert_int_equal(flow_side_port(&ends.flow[1], 0), 3);
    assert_int_equal(flow_side_port(&ends.flow[2], 0), 1);
    assert_int_equal(ends.flow[2].dir[0].pkts, 2);

    /* A flow made after expiry is new: its own counters, a new id. */
    udp(t, "10.0.0.1", 1, "10.0.0.2", 53, T0 + 61 * US, &dir);
    assert_int_equal(flow_table_stats(t)->created, 4);
    assert_int_equal(flow_table_stats(t)->active, 1);
    flow_table_flush(t);
    assert_int_not_equal(ends.flow[3].id, ends.flow[2].id);
    assert_int_equal(ends.flow[3].dir[0].pkts, 1);
    table_free(t);
}

/* --- lifetime -------------------------------------------------------------- */

static void test_lifetime(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    const uint64_t life = (uint64_t)FLOW_LIFETIME_MAX * US;
    struct ww_flow *f;
    uint64_t id;
    int dir;

    (void)state;
    /* A DNS-like exchange every 200 s keeps the flow from going idle. */
    f = udp(t, "10.0.0.1", 1111, "10.0.0.2", 53, T0, &dir);
    id = f->id;
    for (uint64_t ts = T0; ts <= T0 + life; ts += 200 * US) {
        f = udp(t, "10.0.0.1", 1111, "10.0.0.2", 53, ts, &dir);
        f = udp(t, "10.0.0.2", 53, "10.0.0.1", 1111, ts, &dir);
        flow_table_expire(t, ts);
    }
    /* Exactly the lifetime after the first packet: the same flow. */
    f = udp(t, "10.0.0.1", 1111, "10.0.0.2", 53, T0 + life, &dir);
    assert_int_equal(f->id, id);
    assert_int_equal(ends.n, 0);

    /* One microsecond more: ended for its lifetime and begun anew. */
    f = udp(t, "10.0.0.2", 53, "10.0.0.1", 1111, T0 + life + 1, &dir);
    assert_int_equal(ends.n, 1);
    assert_int_equal(ends.why[0], FLOW_END_LIFETIME);
    assert_int_equal(ends.flow[0].id, id);
    assert_int_equal(ends.flow[0].first_us, T0);
    assert_int_equal(ends.flow[0].dir[FLOW_TOSERVER].pkts, 1 + 19 + 1);
    assert_int_equal(ends.flow[0].dir[FLOW_TOCLIENT].pkts, 19);
    assert_int_not_equal(f->id, id);
    assert_int_equal(f->first_us, T0 + life + 1);
    assert_int_equal(f->dir[FLOW_TOSERVER].pkts, 1);
    assert_int_equal(f->dir[FLOW_TOCLIENT].pkts, 0);
    assert_int_equal(dir, FLOW_TOSERVER); /* its sender opens the new flow */
    assert_int_equal(flow_table_stats(t)->ended[FLOW_END_LIFETIME], 1);
    assert_int_equal(flow_table_stats(t)->created, 2);
    assert_int_equal(flow_table_stats(t)->active, 1);
    flow_table_flush(t);
    table_free(t);
}

static void test_lifetime_configured(void **state)
{
    struct flow_config cfg;
    struct flow_table *t;
    int dir;

    (void)state;
    flow_config_default(&cfg);
    cfg.memcap = SMALL_MEMCAP;
    cfg.lifetime = 5;
    t = flow_table_new(&cfg, on_end, &ends);
    assert_non_null(t);
    cur = t;
    tcp(t, 1, TCP_ACK, T0, 0, &dir);
    tcp(t, 0, TCP_ACK, T0 + 5 * US, 0, &dir);
    assert_int_equal(ends.n, 0);
    tcp(t, 1, TCP_ACK, T0 + 5 * US + 1, 0, &dir);
    assert_int_equal(ends.n, 1);
    assert_int_equal(ends.why[0], FLOW_END_LIFETIME);
    assert_int_equal(ends.flow[0].dir[0].pkts + ends.flow[0].dir[1].pkts, 2);
    flow_table_flush(t);
    assert_int_equal(ends.n, 2);
    assert_int_equal(ends.why[1], FLOW_END_SHUTDOWN);
    table_free(t);
}

/* --- memory cap ------------------------------------------------------------ */

static void test_memcap_min(void **state)
{
    struct flow_config cfg;

    (void)state;
    flow_config_default(&cfg);
    assert_int_equal(cfg.memcap, FLOW_MEMCAP_DEFAULT);
    cfg.memcap = FLOW_MEMCAP_MIN - 1;
    assert_null(flow_table_new(&cfg, on_end, &ends));
    cfg.memcap = 0;
    assert_null(flow_table_new(&cfg, on_end, &ends));
}

static void test_eviction(void **state)
{
    struct flow_table *t = table_new(FLOW_MEMCAP_MIN);
    const struct flow_stats *fs = flow_table_stats(t);
    uint32_t cap = fs->capacity;
    char dst[32];
    int dir;

    (void)state;
    assert_true(cap >= 16);
    assert_true((size_t)cap * sizeof(struct ww_flow) <= FLOW_MEMCAP_MIN);

    /* Fill the table, one flow per source port, a millisecond apart. */
    for (uint32_t i = 0; i < cap; i++) {
        udp(t, "10.0.0.1", (uint16_t)(i + 1), "10.0.0.2", 53, T0 + i * 1000ull, &dir);
    }
    assert_int_equal(fs->active, cap);
    assert_int_equal(ends.n, 0);

    /* Flow 1 gets a new packet, so flow 2 is now the one idle longest. */
    udp(t, "10.0.0.2", 53, "10.0.0.1", 1, T0 + cap * 1000ull, &dir);
    assert_int_equal(fs->created, cap);

    for (uint32_t i = 0; i < 5; i++) {
        snprintf(dst, sizeof(dst), "10.0.1.%u", i + 1);
        udp(t, "10.0.0.1", 7, dst, 53, T0 + (cap + 1 + i) * 1000ull, &dir);
        assert_true(fs->active <= cap);
    }
    assert_int_equal(fs->created, cap + 5);
    assert_int_equal(fs->ended[FLOW_END_EVICTED], 5);
    assert_int_equal(fs->active, cap);
    assert_int_equal(fs->active_peak, cap);
    assert_int_equal(ends.n, 5);
    for (uint32_t i = 0; i < 5; i++) {
        assert_int_equal(ends.why[i], FLOW_END_EVICTED);
        assert_int_equal(flow_side_port(&ends.flow[i], 0), i + 2);
    }

    /* The evicted flow 2 comes back as a new flow, evicting flow 7. */
    udp(t, "10.0.0.1", 2, "10.0.0.2", 53, T0 + (cap + 10) * 1000ull, &dir);
    assert_int_equal(ends.n, 6);
    assert_int_equal(flow_side_port(&ends.flow[5], 0), 7);

    flow_table_flush(t);
    assert_int_equal(fs->active, 0);
    assert_int_equal(fs->ended[FLOW_END_SHUTDOWN], cap);
    assert_int_equal(fs->ended[FLOW_END_EVICTED], 6);
    table_free(t);
}

static void test_flush(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    const struct flow_stats *fs = flow_table_stats(t);
    int dir;

    (void)state;
    tcp(t, 1, TCP_SYN, T0, 0, &dir);
    udp(t, "10.0.0.1", 1, "10.0.0.2", 53, T0 + 1, &dir);
    udp(t, "10.0.0.1", 2, "10.0.0.2", 53, T0 + 2, &dir);
    udp(t, "10.0.0.2", 53, "10.0.0.1", 2, T0 + 3, &dir);
    assert_int_equal(fs->active, 3);
    assert_int_equal(fs->active_peak, 3);
    flow_table_flush(t);
    assert_int_equal(ends.n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(ends.why[i], FLOW_END_SHUTDOWN);
    }
    assert_int_equal(fs->ended[FLOW_END_SHUTDOWN], 3);
    assert_int_equal(fs->active, 0);
    assert_int_equal(fs->active_peak, 3);

    /* Nothing left: flushing again ends nothing. */
    flow_table_flush(t);
    flow_table_expire(t, T0 + 100000 * US);
    assert_int_equal(ends.n, 3);
    table_free(t);
}

/* --- fragments and ids ---------------------------------------------------- */

static void test_later_fragments(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    struct tuple tu = {4, 17, "10.0.0.1", "10.0.0.2", 1000, 2000};
    struct tuple tu6 = {6, 17, "2001:db8::1", "2001:db8::2", 1000, 2000};
    static const uint8_t frag6[8] = {17, 0, 0x05, 0xc8, 0, 0, 0, 1};
    static const uint8_t first6[8] = {17, 0, 0x00, 0x01, 0, 0, 0, 1};
    struct pkt_spec s;
    struct ww_flow *f;
    int dir = 12345;

    (void)state;
    spec_from(&s, &tu);
    s.more_fragments = true;
    f = send_spec(t, &s, T0, &dir);
    assert_non_null(f);
    assert_int_equal(flow_side_port(f, 1), 2000);
    assert_int_equal(flow_table_stats(t)->created, 1);

    spec_from(&s, &tu);
    s.frag_offset = 185;
    f = send_spec(t, &s, T0 + 1, &dir);
    assert_null(f);
    assert_int_equal(flow_table_stats(t)->untracked_fragments, 1);

    spec_from(&s, &tu6);
    s.ext = first6;
    s.ext_len = 8;
    s.ext_first = 44;
    f = send_spec(t, &s, T0 + 2, &dir);
    assert_non_null(f);
    s.ext = frag6;
    f = send_spec(t, &s, T0 + 3, &dir);
    assert_null(f);
    assert_int_equal(flow_table_stats(t)->untracked_fragments, 2);
    assert_int_equal(flow_table_stats(t)->created, 2);
    assert_int_equal(flow_table_stats(t)->active, 2);
    flow_table_flush(t);
    table_free(t);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static void test_flow_ids(void **state)
{
    enum { N = 3000 };
    struct flow_table *t = table_new(SMALL_MEMCAP);
    uint64_t *ids = calloc(N, sizeof(uint64_t));
    int dir;

    (void)state;
    assert_non_null(ids);
    for (uint32_t i = 0; i < N; i++) {
        struct ww_flow *f = udp(t, "10.0.0.1", (uint16_t)(i + 1), "10.0.0.2", 53, T0 + i, &dir);

        ids[i] = f->id;
        assert_true(ids[i] < (1ull << 51));
    }
    qsort(ids, N, sizeof(uint64_t), cmp_u64);
    for (uint32_t i = 1; i < N; i++) {
        assert_int_not_equal(ids[i], ids[i - 1]);
    }
    /* Not all small: the ids use the 51-bit range. */
    assert_true(ids[N - 1] > (1ull << 40));
    flow_table_flush(t);
    table_free(t);
    free(ids);
}

/*
 * Many more flows than the hash starts with: every flow must still be found
 * by both directions after the buckets grow, and end exactly once.
 */
static void test_many_flows(void **state)
{
    enum { N = 40000 };
    struct flow_table *t = table_new(64u << 20);
    const struct flow_stats *fs = flow_table_stats(t);
    char src[32];
    int dir;

    (void)state;
    assert_true(fs->capacity > N);
    for (uint32_t i = 0; i < N; i++) {
        snprintf(src, sizeof(src), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
        udp(t, src, (uint16_t)(1024 + i % 50000), "192.0.2.1", 53, T0 + i, &dir);
        assert_int_equal(dir, FLOW_TOSERVER);
    }
    assert_int_equal(fs->created, N);
    assert_int_equal(fs->active, N);
    for (uint32_t i = 0; i < N; i++) {
        struct ww_flow *f;

        snprintf(src, sizeof(src), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
        f = udp(t, "192.0.2.1", 53, src, (uint16_t)(1024 + i % 50000), T0 + N + i, &dir);
        assert_int_equal(dir, FLOW_TOCLIENT);
        assert_int_equal(f->dir[FLOW_TOSERVER].pkts, 1);
        assert_int_equal(f->dir[FLOW_TOCLIENT].pkts, 1);
    }
    assert_int_equal(fs->created, N);

    /* The first half ends by timeout, the rest at shutdown. */
    flow_table_expire(t, T0 + N + N / 2 - 1 + (uint64_t)FLOW_OTHER_EST_TIMEOUT * US);
    assert_int_equal(ends.n, N / 2);
    assert_int_equal(fs->active, N - N / 2);
    for (uint32_t i = 0; i < 100; i++) {
        snprintf(src, sizeof(src), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
        udp(t, src, (uint16_t)(1024 + i % 50000), "192.0.2.1", 53, T0 + 3 * N, &dir);
    }
    assert_int_equal(fs->created, N + 100);
    flow_table_flush(t);
    assert_int_equal(ends.n, N + 100);
    assert_int_equal(fs->active, 0);
    table_free(t);
}

/* --- Community ID --------------------------------------------------------- */

/* Makes a one-packet flow in a fresh table and returns its Community ID. */
static void cid_one(const struct pkt_spec *s, char *out)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    struct ww_flow *f;
    int dir;

    f = send_spec(t, s, T0, &dir);
    assert_non_null(f);
    memset(out, 'x', FLOW_COMMUNITY_ID_LEN + 1);
    flow_community_id(f, out);
    assert_int_equal(strlen(out), FLOW_COMMUNITY_ID_LEN);
    flow_table_flush(t);
    table_free(t);
}

static void check_cid(const struct tuple *tu, uint8_t tcp_flags, uint8_t type, uint8_t code,
                      const char *want)
{
    struct pkt_spec s;
    char out[FLOW_COMMUNITY_ID_LEN + 1];
    static const uint8_t body[8] = {0};

    spec_from(&s, tu);
    s.tcp_flags = tcp_flags;
    s.icmp_type = type;
    s.icmp_code = code;
    s.payload = body;
    s.payload_len = sizeof(body);
    cid_one(&s, out);
    assert_string_equal(out, want);
}

/* Vectors from the Community ID spec's baseline (baseline_deflt.json, seed 0). */
static void test_community_id_tcp(void **state)
{
    struct tuple a = {4, 6, "128.232.110.120", "66.35.250.204", 34855, 80};
    struct tuple b = {4, 6, "66.35.250.204", "128.232.110.120", 80, 34855};
    struct tuple c = {6,     6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a",
                      63943, 25};
    struct tuple d = {6,  6,    "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887",
                      25, 63943};

    (void)state;
    check_cid(&a, TCP_SYN, 0, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    check_cid(&b, TCP_SYN | TCP_ACK, 0, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    check_cid(&b, TCP_ACK, 0, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    check_cid(&c, TCP_SYN, 0, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
    check_cid(&d, TCP_ACK, 0, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=");
}

static void test_community_id_tcp_both_directions(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    struct tuple a = {4, 6, "128.232.110.120", "66.35.250.204", 34855, 80};
    struct tuple b = {4, 6, "66.35.250.204", "128.232.110.120", 80, 34855};
    struct pkt_spec s;
    struct ww_flow *f;
    char out[FLOW_COMMUNITY_ID_LEN + 1];
    int dir;

    (void)state;
    spec_from(&s, &a);
    s.tcp_flags = TCP_SYN;
    f = send_spec(t, &s, T0, &dir);
    spec_from(&s, &b);
    s.tcp_flags = TCP_SYN | TCP_ACK;
    f = send_spec(t, &s, T0 + 1, &dir);
    assert_int_equal(dir, FLOW_TOCLIENT);
    flow_community_id(f, out);
    assert_string_equal(out, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    flow_table_flush(t);
    table_free(t);
}

static void test_community_id_udp_other(void **state)
{
    struct tuple u1 = {4, 17, "192.168.1.52", "8.8.8.8", 54585, 53};
    struct tuple u2 = {4, 17, "8.8.8.8", "192.168.1.52", 53, 54585};
    struct tuple r1 = {4, 46, "10.1.12.1", "10.1.12.2", 0, 0};
    struct tuple r2 = {4, 46, "10.1.12.2", "10.1.12.1", 0, 0};

    (void)state;
    check_cid(&u1, 0, 0, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
    check_cid(&u2, 0, 0, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
    /* RSVP (46) has no ports: addresses and protocol only. */
    check_cid(&r1, 0, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");
    check_cid(&r2, 0, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=");
}

static void test_community_id_icmp(void **state)
{
    struct tuple req = {4, 1, "192.168.0.89", "192.168.0.1", 0, 0};
    struct tuple rep = {4, 1, "192.168.0.1", "192.168.0.89", 0, 0};
    struct tuple te = {4, 1, "10.0.0.1", "10.0.0.2", 0, 0};
    struct tuple ns = {6, 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 0, 0};
    struct tuple na = {6, 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 0, 0};
    struct tuple rs = {6, 58, "fe80::200:86ff:fe05:80da", "ff02::2", 0, 0};
    struct tuple ra = {6, 58, "fe80::260:97ff:fe07:69ea", "ff02::1", 0, 0};

    (void)state;
    /* Echo request and reply: the same id whichever is seen first. */
    check_cid(&req, 0, 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    check_cid(&rep, 0, 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    /* Time exceeded is one-way: type and code as ports. */
    check_cid(&te, 0, 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=");
    /* ICMPv6 neighbour solicitation and its advertisement. */
    check_cid(&ns, 0, 135, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
    check_cid(&na, 0, 136, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=");
    /* The same hosts the other way round are another pair. */
    check_cid(&na, 0, 135, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck=");
    check_cid(&ns, 0, 136, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck=");
    check_cid(&rs, 0, 133, 0, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=");
    check_cid(&ra, 0, 134, 0, "1:pkvHqCL88/tg1k4cPigmZXUtL00=");
}

/*
 * Worked by hand from the spec text: a one-way message keeps its sender
 * first even when its address is larger. sha1(0000 0a000009 0a000001 01 00
 * 0003 0003), base64.
 */
static void test_community_id_icmp_one_way_unordered(void **state)
{
    struct tuple un = {4, 1, "10.0.0.9", "10.0.0.1", 0, 0};

    (void)state;
    check_cid(&un, 0, 3, 3, "1:9mDWAIBS64NSNqk/GzztebxIxzo=");
}

/* Both packets of an echo in one table: one flow, the spec's id. */
static void test_community_id_icmp_pair_one_flow(void **state)
{
    struct flow_table *t = table_new(SMALL_MEMCAP);
    struct tuple req = {4, 1, "192.168.0.89", "192.168.0.1", 0, 0};
    struct tuple rep = {4, 1, "192.168.0.1", "192.168.0.89", 0, 0};
    struct pkt_spec s;
    struct ww_flow *f;
    char out[FLOW_COMMUNITY_ID_LEN + 1];
    int dir;

    (void)state;
    spec_from(&s, &req);
    s.icmp_type = 8;
    f = send_spec(t, &s, T0, &dir);
    spec_from(&s, &rep);
    s.icmp_type = 0;
    f = send_spec(t, &s, T0 + 1, &dir);
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_int_equal(flow_table_stats(t)->created, 1);
    flow_community_id(f, out);
    assert_string_equal(out, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
    flow_table_flush(t);
    table_free(t);
}

/*
 * SCTP carries ports (spec baseline: 192.168.170.8:7 <-> 192.168.170.56:7).
 * The frame holds an SCTP common header: sport, dport, tag, checksum.
 */
static void test_community_id_sctp(void **state)
{
    struct tuple a = {4, 132, "192.168.170.8", "192.168.170.56", 7, 7};
    static const uint8_t sctp[16] = {0, 7, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 4};
    struct pkt_spec s;
    char out[FLOW_COMMUNITY_ID_LEN + 1];

    (void)state;
    spec_from(&s, &a);
    s.payload = sctp;
    s.payload_len = sizeof(sctp);
    cid_one(&s, out);
    assert_string_equal(out, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
}

/* --- names ----------------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(flow_tcp_state_name(FLOW_TCP_NONE), "none");
    assert_string_equal(flow_tcp_state_name(FLOW_TCP_SYN_SENT), "syn_sent");
    assert_string_equal(flow_tcp_state_name(FLOW_TCP_SYN_RECV), "syn_recv");
    assert_string_equal(flow_tcp_state_name(FLOW_TCP_ESTABLISHED), "established");
    assert_string_equal(flow_tcp_state_name(FLOW_TCP_FIN_WAIT), "fin_wait");
    assert_string_equal(flow_tcp_state_name(FLOW_TCP_CLOSED), "closed");
    assert_string_equal(flow_tcp_state_name((enum flow_tcp_state)42), "unknown");
    assert_string_equal(flow_end_reason_name(FLOW_END_TIMEOUT), "timeout");
    assert_string_equal(flow_end_reason_name(FLOW_END_EVICTED), "evicted");
    assert_string_equal(flow_end_reason_name(FLOW_END_LIFETIME), "lifetime");
    assert_string_equal(flow_end_reason_name(FLOW_END_SHUTDOWN), "shutdown");
    assert_string_equal(flow_end_reason_name((enum flow_end_reason)9), "unknown");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, reset, free_table)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_tcp_conversation_one_flow),
        T(test_synack_first),
        T(test_client_with_smaller_address),
        T(test_ipv6_flow),
        T(test_tcp_states_fin),
        T(test_tcp_rst),
        T(test_tcp_midstream),
        T(test_tcp_port_reuse),
        T(test_vlan_in_key),
        T(test_timeouts_default),
        T(test_timeouts_configured),
        T(test_expire_order),
        T(test_lifetime),
        T(test_lifetime_configured),
        T(test_memcap_min),
        T(test_eviction),
        T(test_flush),
        T(test_later_fragments),
        T(test_flow_ids),
        T(test_many_flows),
        T(test_community_id_tcp),
        T(test_community_id_tcp_both_directions),
        T(test_community_id_udp_other),
        T(test_community_id_icmp),
        T(test_community_id_icmp_one_way_unordered),
        T(test_community_id_icmp_pair_one_flow),
        T(test_community_id_sctp),
        T(test_names),
    };

    return cmocka_run_group_tests_name("test_flow", tests, NULL, NULL);
}
