/* SPDX-License-Identifier: MIT */
/* test_stream: TCP reassembly through the flow table: order, overlap, gaps, caps, FIN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "flow/stream.h"
#include "pktbuild.h"

#define US 1000000ull
#define T0 (1700000000ull * US)
#define DATA_MAX (1u << 17)
#define EVENTS_MAX 4096
#define FRAME_CAP 8192

/* One handler call. */
struct call {
    int dir;
    unsigned flags;
    uint32_t len;
    bool data_null;
};

/* What the stream handler received, per direction. */
struct collector {
    uint8_t data[2][DATA_MAX];
    size_t len[2];
    struct call calls[EVENTS_MAX];
    size_t n;
    const struct ww_flow *flow;
};

static struct collector col;
static struct flow_table *cur; /* the open table, freed by the teardown if a test fails */
static struct decode_stats dstats;
static uint8_t frame[FRAME_CAP];
static struct ww_packet pk;
static uint8_t pattern[2][DATA_MAX]; /* the byte at stream offset i of each direction */

static void on_data(void *ctx, struct ww_flow *f, int dir, const uint8_t *data, uint32_t len,
                    unsigned flags)
{
    struct collector *c = ctx;

    assert_true(c->n < EVENTS_MAX);
    assert_true(dir == 0 || dir == 1);
    c->calls[c->n].dir = dir;
    c->calls[c->n].flags = flags;
    c->calls[c->n].len = len;
    c->calls[c->n].data_null = data == NULL;
    c->n++;
    c->flow = f;
    if (flags == STREAM_DATA) {
        assert_non_null(data);
        assert_true(len > 0);
        assert_true(c->len[dir] + len <= DATA_MAX);
        memcpy(c->data[dir] + c->len[dir], data, len);
        c->len[dir] += len;
    } else {
        assert_null(data);
    }
}

static void on_end(void *ctx, const struct ww_flow *f, enum flow_end_reason why)
{
    (void)ctx;
    (void)f;
    (void)why;
}

static struct flow_table *table_with(uint32_t ooo_max, size_t stream_memcap)
{
    struct flow_config cfg;
    struct flow_table *t;

    flow_config_default(&cfg);
    cfg.memcap = 1u << 20;
    cfg.stream.ooo_max = ooo_max;
    cfg.stream.memcap = stream_memcap;
    t = flow_table_new(&cfg, on_end, NULL);
    assert_non_null(t);
    flow_table_set_stream_handler(t, on_data, &col);
    cur = t;
    return t;
}

static void table_free(struct flow_table *t)
{
    flow_table_free(t);
    cur = NULL;
}

static struct flow_table *table(void)
{
    return table_with(STREAM_OOO_MAX_DEFAULT, STREAM_MEMCAP_DEFAULT);
}

static uint64_t now_us;

/*
 * Sends one segment. to_server: from 10.0.0.1:40000 to 10.0.0.2:80, else
 * back. data NULL means "the pattern bytes at these stream offsets".
 */
static void seg(struct flow_table *t, int to_server, uint32_t seq, uint32_t ack, uint8_t flags,
                const uint8_t *data, uint32_t len)
{
    struct pkt_spec s;
    size_t n;
    int dir;

    memset(&s, 0, sizeof(s));
    s.family = 4;
    s.proto = 6;
    pkt_ip4(to_server ? s.src_ip : s.dst_ip, "10.0.0.1");
    pkt_ip4(to_server ? s.dst_ip : s.src_ip, "10.0.0.2");
    s.sport = to_server ? 40000 : 80;
    s.dport = to_server ? 80 : 40000;
    s.seq = seq;
    s.ack = ack;
    s.tcp_flags = flags;
    s.payload = data;
    s.payload_len = len;
    n = pkt_build(&s, frame, sizeof(frame));
    assert_true(n > 0);
    memset(&pk, 0, sizeof(pk));
    pk.ts_us = now_us;
    now_us += 1000;
    pk.data = frame;
    pk.caplen = pk.wirelen = (uint32_t)n;
    pk.linktype = LINK_EN10MB;
    assert_int_equal(decode_packet(&dstats, &pk), DECODE_EV_MAX);
    assert_int_equal(pk.payload_len, len);
    assert_non_null(flow_table_packet(t, &pk, &dir));
    assert_int_equal(dir, to_server ? FLOW_TOSERVER : FLOW_TOCLIENT);
}

/* Client bytes at stream offset off (0 = the first byte after the SYN). */
static const uint8_t *cdata(uint32_t off)
{
    return pattern[0] + off;
}

static const uint8_t *sdata(uint32_t off)
{
    return pattern[1] + off;
}

static uint32_t isn_c, isn_s;

/* SYN, SYN-ACK, ACK with the given initial sequence numbers. */
static void handshake(struct flow_table *t, uint32_t c, uint32_t s)
{
    isn_c = c;
    isn_s = s;
    seg(t, 1, c, 0, TCP_SYN, NULL, 0);
    seg(t, 0, s, c + 1, TCP_SYN | TCP_ACK, NULL, 0);
    seg(t, 1, c + 1, s + 1, TCP_ACK, NULL, 0);
}

/* Client data at stream offset off, len bytes. */
static void cseg(struct flow_table *t, uint32_t off, uint32_t len)
{
    seg(t, 1, isn_c + 1 + off, isn_s + 1, TCP_ACK | TCP_PSH, cdata(off), len);
}

/* A server ACK of client stream offset off. */
static void sack(struct flow_table *t, uint32_t off)
{
    seg(t, 0, isn_s + 1, isn_c + 1 + off, TCP_ACK, NULL, 0);
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
    memset(&col, 0, sizeof(col));
    memset(&dstats, 0, sizeof(dstats));
    now_us = T0;
    for (uint32_t i = 0; i < DATA_MAX; i++) {
        pattern[0][i] = (uint8_t)('a' + (i * 7 + i / 26) % 26);
        pattern[1][i] = (uint8_t)('A' + (i * 11 + i / 13) % 26);
    }
    return 0;
}

/* Client bytes delivered equal the pattern's first n bytes. */
static void check_client_bytes(size_t n)
{
    assert_int_equal(col.len[0], n);
    assert_memory_equal(col.data[0], pattern[0], n);
}

static size_t count_calls(int dir, unsigned flags)
{
    size_t k = 0;

    for (size_t i = 0; i < col.n; i++) {
        if (col.calls[i].dir == dir && col.calls[i].flags == flags) {
            k++;
        }
    }
    return k;
}

/* --- tests ----------------------------------------------------------------- */

static void test_in_order(void **state)
{
    struct flow_table *t = table();
    const struct stream_stats *ss = flow_table_stream_stats(t);

    (void)state;
    handshake(t, 1000, 5000);
    assert_int_equal(col.n, 0);
    cseg(t, 0, 6);
    cseg(t, 6, 5);
    sack(t, 11);
    seg(t, 0, 5001, 1012, TCP_ACK | TCP_PSH, sdata(0), 4);

    check_client_bytes(11);
    assert_int_equal(col.len[1], 4);
    assert_memory_equal(col.data[1], pattern[1], 4);
    assert_int_equal(col.n, 3);
    assert_int_equal(col.calls[0].dir, FLOW_TOSERVER);
    assert_int_equal(col.calls[0].len, 6);
    assert_int_equal(col.calls[1].len, 5);
    assert_int_equal(col.calls[2].dir, FLOW_TOCLIENT);
    assert_int_equal(col.calls[2].flags, STREAM_DATA);
    assert_int_equal(ss->bytes_delivered, 15);
    assert_int_equal(ss->gaps, 0);
    assert_int_equal(ss->ooo_segments, 0);
    assert_int_equal(ss->retransmitted_bytes, 0);
    flow_table_flush(t);
    table_free(t);
}

static void test_out_of_order(void **state)
{
    struct flow_table *t = table();
    const struct stream_stats *ss = flow_table_stream_stats(t);

    (void)state;
    handshake(t, 1000, 5000);
    cseg(t, 5, 5);
    assert_int_equal(col.n, 0);
    assert_int_equal(ss->ooo_segments, 1);
    cseg(t, 0, 5);
    check_client_bytes(10);
    assert_int_equal(col.n, 2);
    assert_int_equal(col.calls[0].len, 5);
    assert_int_equal(col.calls[1].len, 5);

    /* Three segments in reverse order. */
    cseg(t, 30, 10);
    cseg(t, 20, 10);
    assert_int_equal(col.n, 2);
    cseg(t, 10, 10);
    check_client_bytes(40);
    assert_int_equal(col.n, 5);
    assert_int_equal(ss->ooo_segments, 3);
    assert_int_equal(ss->bytes_delivered, 40);
    assert_int_equal(ss->gaps, 0);
    assert_int_equal(ss->retransmitted_bytes, 0);
    flow_table_flush(t);
    table_free(t);
}

static void test_retransmission_and_overlap(void **state)
{
    struct flow_table *t = table();
    const struct stream_stats *ss = flow_table_stream_stats(t);

    (void)state;
    handshake(t, 1000, 5000);
    cseg(t, 0, 10);
    cseg(t, 0, 10); /* whole retransmission: 10 */
    cseg(t, 5, 10); /* half new: 5 old */
    cseg(t, 0, 4);  /* old: 4 */
    check_client_bytes(15);
    assert_int_equal(ss->retransmitted_bytes, 19);
    assert_int_equal(ss->bytes_delivered, 15);

    /* Overlapping segments ahead of the hole, then one overlapping both. */
    cseg(t, 20, 5); /* [20,25) */
    cseg(t, 23, 7); /* [23,30) overlaps it by 2 */
    cseg(t, 15, 7); /* [15,22) fills the hole, overlaps [20,25) by 2 */
    check_client_bytes(30);
    assert_int_equal(ss->retransmitted_bytes, 19 + 2 + 2);
    assert_int_equal(ss->bytes_delivered, 30);
    assert_int_equal(ss->gaps, 0);

    /* A retransmission of everything now changes nothing. */
    cseg(t, 0, 30);
    check_client_bytes(30);
    assert_int_equal(ss->retransmitted_bytes, 53);
    flow_table_flush(t);
    table_free(t);
}

static void test_gap_on_ack(void **state)
{
    struct flow_table *t = table();
    const struct stream_stats *ss = flow_table_stream_stats(t);

    (void)state;
    handshake(t, 1000, 5000);
    /* [0,100) never captured; [100,200) buffered. */
    cseg(t, 100, 100);
    assert_int_equal(col.n, 0);
    sack(t, 200);
    assert_int_equal(col.n, 2);
    assert_int_equal(col.calls[0].flags, STREAM_GAP);
    assert_int_equal(col.calls[0].len, 100);
    assert_true(col.calls[0].data_null);
    assert_int_equal(col.calls[1].flags, STREAM_DATA);
    assert_int_equal(col.calls[1].len, 100);
    assert_int_equal(col.len[0], 100);
    assert_memory_equal(col.data[0], pattern[0] + 100, 100);
    assert_int_equal(ss->gaps, 1);
    assert_int_equal(ss->gap_bytes, 100);

    /* [200,300) lost with nothing after it: the ACK alone makes the gap. */
    sack(t, 300);
    assert_int_equal(col.n, 3);
    assert_int_equal(col.calls[2].flags, STREAM_GAP);
    assert_int_equal(col.calls[2].len, 100);

    /* An ACK of part of a hole ahead of buffered data: two gaps. */
    cseg(t, 400, 50);
    sack(t, 349); /* 49 of the 100 missing */
    assert_int_equal(col.n, 4);
    assert_int_equal(col.calls[3].flags, STREAM_GAP);
    assert_int_equal(col.calls[3].len, 49);
    sack(t, 450);
    assert_int_equal(col.n, 6);
    assert_int_equal(col.calls[4].flags, STREAM_GAP);
    assert_int_equal(col.calls[4].len, 51);
    assert_int_equal(col.calls[5].len, 50);
    assert_int_equal(ss->gaps, 4);
    assert_int_equal(ss->gap_bytes, 300);

    /* An old or repeated ACK does nothing; in-order data flows on. */
    sack(t, 450);
    sack(t, 10);
    cseg(t, 450, 10);
    assert_int_equal(col.n, 7);
    assert_int_equal(ss->bytes_delivered, 100 + 50 + 10);
    assert_true(col.flow->stream[FLOW_TOSERVER].gap);
    assert_false(col.flow->stream[FLOW_TOCLIENT].gap);
    flow_table_flush(t);
    table_free(t);
}

static void test_ooo_cap(void **state)
{
    struct flow_table *t = table_with(1000, STREAM_MEMCAP_DEFAULT);
    const struct stream_stats *ss = flow_table_stream_stats(t);
    uint32_t total = 0;

    (void)state;
    handshake(t, 1000, 5000);
    /* [0,100) missing; ten 100-byte segments fill the 1000-byte cap exactly. */
    for (uint32_t i = 1; i <= 10; i++) {
        cseg(t, i * 100, 100);
    }
    assert_int_equal(col.n, 0);
    assert_int_equal(ss->ooo_overflows, 0);
    assert_null(col.flow);

    /* One more does not fit: the hole is given up and everything flows. */
    cseg(t, 1100, 100);
    assert_int_equal(ss->ooo_overflows, 1);
    assert_int_equal(col.calls[0].flags, STREAM_GAP);
    assert_int_equal(col.calls[0].len, 100);
    for (size_t i = 1; i < col.n; i++) {
        assert_int_equal(col.calls[i].flags, STREAM_DATA);
        total += col.calls[i].len;
    }
    assert_int_equal(total, 1100);
    assert_int_equal(col.len[0], 1100);
    assert_memory_equal(col.data[0], pattern[0] + 100, 1100);
    assert_int_equal(ss->gaps, 1);
    assert_int_equal(ss->gap_bytes, 100);

    /* A segment bigger than the cap, ahead of a hole: gap, then delivered. */
    cseg(t, 1300, 1500);
    assert_int_equal(col.calls[col.n - 2].flags, STREAM_GAP);
    assert_int_equal(col.calls[col.n - 2].len, 100);
    assert_int_equal(col.calls[col.n - 1].flags, STREAM_DATA);
    assert_int_equal(col.calls[col.n - 1].len, 1500);
    assert_int_equal(col.len[0], 2600);
    assert_memory_equal(col.data[0] + 1100, pattern[0] + 1300, 1500);
    assert_int_equal(ss->gaps, 2);
    assert_int_equal(ss->gap_bytes, 200);
    flow_table_flush(t);
    table_free(t);
}

static void test_fin_end(void **state)
{
    struct flow_table *t = table();

    (void)state;
    handshake(t, 1000, 5000);
    seg(t, 1, 1001, 5001, TCP_ACK | TCP_PSH | TCP_FIN, cdata(0), 3);
    assert_int_equal(col.n, 2);
    assert_int_equal(col.calls[0].flags, STREAM_DATA);
    assert_int_equal(col.calls[0].len, 3);
    assert_int_equal(col.calls[1].flags, STREAM_END);
    assert_int_equal(col.calls[1].dir, FLOW_TOSERVER);
    assert_int_equal(col.calls[1].len, 0);

    /* The server ACKs the FIN, sends a reply and its own FIN. */
    seg(t, 0, 5001, 1005, TCP_ACK | TCP_PSH, sdata(0), 7);
    seg(t, 0, 5008, 1005, TCP_ACK | TCP_FIN, NULL, 0);
    seg(t, 1, 1005, 5009, TCP_ACK, NULL, 0);
    assert_int_equal(col.len[1], 7);
    assert_int_equal(count_calls(FLOW_TOCLIENT, STREAM_END), 1);
    assert_int_equal(col.calls[col.n - 1].flags, STREAM_END);

    /* Data after the FIN, a repeated FIN and the flow's end add nothing. */
    seg(t, 1, 1004, 5009, TCP_ACK | TCP_FIN, cdata(3), 5);
    flow_table_flush(t);
    assert_int_equal(count_calls(FLOW_TOSERVER, STREAM_END), 1);
    assert_int_equal(count_calls(FLOW_TOCLIENT, STREAM_END), 1);
    assert_int_equal(col.len[0], 3);
    assert_int_equal(flow_table_stream_stats(t)->gaps, 0);
    table_free(t);
}

static void test_fin_out_of_order(void **state)
{
    struct flow_table *t = table();

    (void)state;
    handshake(t, 1000, 5000);
    /* Data with FIN at [10,12) arrives before [0,10). */
    seg(t, 1, 1011, 5001, TCP_ACK | TCP_FIN, cdata(10), 2);
    assert_int_equal(col.n, 0);
    cseg(t, 0, 10);
    check_client_bytes(12);
    assert_int_equal(col.n, 3);
    assert_int_equal(col.calls[2].flags, STREAM_END);

    /* A bare FIN whose preceding bytes were lost: the ACK of it closes the gap. */
    seg(t, 0, 5011, 1014, TCP_ACK | TCP_FIN, NULL, 0);
    assert_int_equal(count_calls(FLOW_TOCLIENT, STREAM_END), 0);
    seg(t, 1, 1014, 5012, TCP_ACK, NULL, 0);
    assert_int_equal(col.calls[col.n - 2].flags, STREAM_GAP);
    assert_int_equal(col.calls[col.n - 2].dir, FLOW_TOCLIENT);
    assert_int_equal(col.calls[col.n - 2].len, 10);
    assert_int_equal(col.calls[col.n - 1].flags, STREAM_END);
    assert_int_equal(col.calls[col.n - 1].dir, FLOW_TOCLIENT);
    flow_table_flush(t);
    assert_int_equal(count_calls(FLOW_TOSERVER, STREAM_END), 1);
    assert_int_equal(count_calls(FLOW_TOCLIENT, STREAM_END), 1);
    table_free(t);
}

static void test_flow_end_flushes(void **state)
{
    struct flow_table *t = table();
    const struct stream_stats *ss = flow_table_stream_stats(t);

    (void)state;
    handshake(t, 1000, 5000);
    cseg(t, 100, 100);
    cseg(t, 300, 50);
    assert_int_equal(col.n, 0);
    flow_table_flush(t);
    assert_int_equal(col.n, 6);
    assert_int_equal(col.calls[0].flags, STREAM_GAP);
    assert_int_equal(col.calls[0].len, 100);
    assert_int_equal(col.calls[1].flags, STREAM_DATA);
    assert_int_equal(col.calls[1].len, 100);
    assert_int_equal(col.calls[2].flags, STREAM_GAP);
    assert_int_equal(col.calls[2].len, 100);
    assert_int_equal(col.calls[3].flags, STREAM_DATA);
    assert_int_equal(col.calls[3].len, 50);
    assert_int_equal(col.calls[4].flags, STREAM_END);
    assert_int_equal(col.calls[4].dir, FLOW_TOSERVER);
    assert_int_equal(col.calls[5].flags, STREAM_END);
    assert_int_equal(col.calls[5].dir, FLOW_TOCLIENT);
    assert_memory_equal(col.data[0], pattern[0] + 100, 100);
    assert_memory_equal(col.data[0] + 100, pattern[0] + 300, 50);
    assert_int_equal(ss->gaps, 2);
    assert_int_equal(ss->gap_bytes, 200);
    assert_int_equal(ss->bytes_delivered, 150);
    table_free(t);
}

static void test_flow_timeout_flushes(void **state)
{
    struct flow_table *t = table();

    (void)state;
    handshake(t, 1000, 5000);
    cseg(t, 10, 10);
    flow_table_expire(t, now_us + (uint64_t)FLOW_TCP_EST_TIMEOUT * US);
    assert_int_equal(col.n, 4);
    assert_int_equal(col.calls[0].flags, STREAM_GAP);
    assert_int_equal(col.calls[0].len, 10);
    assert_int_equal(col.calls[1].len, 10);
    assert_int_equal(col.calls[2].flags, STREAM_END);
    assert_int_equal(col.calls[3].flags, STREAM_END);
    flow_table_flush(t);
    assert_int_equal(col.n, 4);
    table_free(t);
}

static void test_wraparound(void **state)
{
    struct flow_table *t = table();
    const struct stream_stats *ss = flow_table_stream_stats(t);

    (void)state;
    /* First data byte at 0xfffffff1; offsets 15/16 straddle 2^32. */
    handshake(t, 0xfffffff0u, 0x7fffffffu);
    cseg(t, 16, 16); /* seq 0x00000001 */
    assert_int_equal(col.n, 0);
    cseg(t, 0, 16); /* seq 0xfffffff1 */
    check_client_bytes(32);
    cseg(t, 32, 40); /* in order, well past the wrap */
    check_client_bytes(72);
    assert_int_equal(ss->gaps, 0);

    /* The server's side starts at 0x80000000: data across 2^31 is fine too. */
    seg(t, 0, 0x80000000u, isn_c + 1 + 72, TCP_ACK, sdata(0), 20);
    assert_int_equal(col.len[1], 20);

    flow_table_flush(t);
    table_free(t);

    /*
     * An ACK across the wrap makes a gap of the right size: next expected
     * 0xffffff01, acked 0x00000020, so 0x11f bytes are missing.
     */
    memset(&col, 0, sizeof(col));
    t = table();
    handshake(t, 0xffffff00u, 1);
    sack(t, 0x11f);
    assert_int_equal(col.n, 1);
    assert_int_equal(col.calls[0].flags, STREAM_GAP);
    assert_int_equal(col.calls[0].len, 0x11f);
    cseg(t, 0x11f, 8); /* seq 0x20 */
    assert_int_equal(col.len[0], 8);
    assert_memory_equal(col.data[0], pattern[0] + 0x11f, 8);
    flow_table_flush(t);
    table_free(t);
}

static void test_big_segment_out_of_order(void **state)
{
    struct flow_table *t = table();
    const struct stream_stats *ss = flow_table_stream_stats(t);
    const uint32_t big = 3 * STREAM_SEG_DATA + 100;

    (void)state;
    handshake(t, 1000, 5000);
    cseg(t, 100, big);
    assert_int_equal(col.n, 0);
    assert_int_equal(ss->ooo_segments, 1);
    assert_null(col.flow);
    cseg(t, 0, 100);
    check_client_bytes(100 + big);
    assert_int_equal(ss->bytes_delivered, 100 + big);
    assert_int_equal(ss->gaps, 0);
    assert_int_equal(ss->retransmitted_bytes, 0);

    /* Out of order behind it and before an ACK-driven gap, still exact. */
    cseg(t, 100 + big + 50, big);
    sack(t, 100 + big + 50 + big);
    assert_int_equal(count_calls(FLOW_TOSERVER, STREAM_GAP), 1);
    assert_int_equal(col.len[0], 100 + 2 * big);
    assert_memory_equal(col.data[0] + 100 + big, pattern[0] + 100 + big + 50, big);
    flow_table_flush(t);
    table_free(t);
}

/* The segment pool has one usable block: when it is empty, holes are given up. */
static void test_pool_exhausted(void **state)
{
    struct flow_table *t = table_with(STREAM_OOO_MAX_DEFAULT, 1);
    const struct stream_stats *ss = flow_table_stream_stats(t);

    (void)state;
    handshake(t, 1000, 5000);
    cseg(t, 100, 100);
    assert_int_equal(col.n, 0);
    cseg(t, 300, 100);
    assert_int_equal(ss->memcap_hits, 1);
    assert_int_equal(col.n, 4);
    assert_int_equal(col.calls[0].flags, STREAM_GAP);
    assert_int_equal(col.calls[0].len, 100);
    assert_int_equal(col.calls[1].len, 100);
    assert_int_equal(col.calls[2].flags, STREAM_GAP);
    assert_int_equal(col.calls[2].len, 100);
    assert_int_equal(col.calls[3].len, 100);
    assert_memory_equal(col.data[0], pattern[0] + 100, 100);
    assert_memory_equal(col.data[0] + 100, pattern[0] + 300, 100);
    assert_int_equal(ss->retransmitted_bytes, 0);
    flow_table_flush(t);
    table_free(t);
}

/*
 * A segment of two blocks when only one is free: every byte still goes out
 * once, and no byte counts as retransmitted, since none came twice.
 */
static void test_pool_exhausted_mid_segment(void **state)
{
    struct flow_table *t = table_with(STREAM_OOO_MAX_DEFAULT, 1);
    const struct stream_stats *ss = flow_table_stream_stats(t);

    (void)state;
    handshake(t, 1000, 5000);
    cseg(t, 100, 2000);
    assert_int_equal(ss->memcap_hits, 1);
    assert_int_equal(count_calls(FLOW_TOSERVER, STREAM_GAP), 1);
    assert_int_equal(col.calls[0].len, 100);
    assert_int_equal(col.len[0], 2000);
    assert_memory_equal(col.data[0], pattern[0] + 100, 2000);
    assert_int_equal(ss->bytes_delivered, 2000);
    assert_int_equal(ss->retransmitted_bytes, 0);
    flow_table_flush(t);
    table_free(t);
}

static void test_rst_and_no_handler(void **state)
{
    struct flow_table *t = table();

    (void)state;
    handshake(t, 1000, 5000);
    cseg(t, 0, 10);
    /* Data on a RST segment is not stream data. */
    seg(t, 0, 5001, 1011, TCP_RST | TCP_ACK, sdata(0), 5);
    assert_int_equal(col.len[1], 0);
    flow_table_flush(t);
    assert_int_equal(count_calls(FLOW_TOSERVER, STREAM_END), 1);
    assert_int_equal(count_calls(FLOW_TOCLIENT, STREAM_END), 1);

    /* With the handler taken away, nothing is called. */
    memset(&col, 0, sizeof(col));
    flow_table_set_stream_handler(t, NULL, NULL);
    handshake(t, 1, 2);
    cseg(t, 0, 10);
    cseg(t, 20, 10);
    flow_table_flush(t);
    assert_int_equal(col.n, 0);
    table_free(t);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, reset, free_table)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_in_order),
        T(test_out_of_order),
        T(test_retransmission_and_overlap),
        T(test_gap_on_ack),
        T(test_ooo_cap),
        T(test_fin_end),
        T(test_fin_out_of_order),
        T(test_flow_end_flushes),
        T(test_flow_timeout_flushes),
        T(test_wraparound),
        T(test_big_segment_out_of_order),
        T(test_pool_exhausted),
        T(test_pool_exhausted_mid_segment),
        T(test_rst_and_no_handler),
    };

    return cmocka_run_group_tests_name("test_stream", tests, NULL, NULL);
}
