/* SPDX-License-Identifier: MIT */
/* test_decode: link, IP and transport decoding of good, truncated and malformed frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decode.h"
#include "pktbuild.h"

#define ETH_LEN 14
#define IP4_LEN 20
#define IP6_LEN 40
#define TCP_LEN 20
#define UDP_LEN 8
#define FRAME_CAP 4096

static const uint8_t MAC_A[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t MAC_B[6] = {0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
static const uint8_t PAYLOAD[] = "GET / HTTP/1.0\r\n\r\n";
#define PAYLOAD_LEN (sizeof(PAYLOAD) - 1)

static struct decode_stats st;
static struct ww_packet pk;
static uint8_t *held; /* the heap copy pk.data points into */

/*
 * Decodes len bytes (caplen) of a frame whose wire length is wirelen. The
 * bytes are copied to a heap block of exactly caplen bytes so that ASan
 * catches any read past the capture.
 */
static enum decode_event run_snap(const uint8_t *data, size_t caplen, size_t wirelen, int link)
{
    free(held);
    held = malloc(caplen > 0 ? caplen : 1);
    assert_non_null(held);
    if (caplen > 0) {
        memcpy(held, data, caplen);
    }
    memset(&pk, 0xa5, sizeof(pk));
    pk.ts_us = 1000;
    pk.data = held;
    pk.caplen = (uint32_t)caplen;
    pk.wirelen = (uint32_t)wirelen;
    pk.linktype = link;
    return decode_packet(&st, &pk);
}

static enum decode_event run(const uint8_t *data, size_t len, int link)
{
    return run_snap(data, len, len, link);
}

static enum decode_event run_eth(const uint8_t *data, size_t len)
{
    return run(data, len, LINK_EN10MB);
}

static int reset_stats(void **state)
{
    (void)state;
    memset(&st, 0, sizeof(st));
    return 0;
}

static int free_held(void **state)
{
    (void)state;
    free(held);
    held = NULL;
    return 0;
}

/* Sum of every event counter. */
static uint64_t events_total(void)
{
    uint64_t n = 0;

    for (int i = 0; i < DECODE_EV_MAX; i++) {
        n += st.event[i];
    }
    return n;
}

static void spec_base(struct pkt_spec *s, int family, uint8_t proto)
{
    memset(s, 0, sizeof(*s));
    memcpy(s->src_mac, MAC_A, 6);
    memcpy(s->dst_mac, MAC_B, 6);
    s->family = family;
    if (family == 4) {
        pkt_ip4(s->src_ip, "10.0.0.1");
        pkt_ip4(s->dst_ip, "10.0.0.2");
    } else {
        pkt_ip6(s->src_ip, "2001:db8::1");
        pkt_ip6(s->dst_ip, "2001:db8::2");
    }
    s->proto = proto;
    s->sport = 40000;
    s->dport = 80;
    s->tcp_flags = 0x18; /* PSH ACK */
    s->seq = 0x11223344;
    s->ack = 0x55667788;
    s->win = 1234;
    s->payload = PAYLOAD;
    s->payload_len = PAYLOAD_LEN;
}

static size_t build(const struct pkt_spec *s, uint8_t *out)
{
    size_t n = pkt_build(s, out, FRAME_CAP);

    assert_true(n > 0);
    return n;
}

static void ip4_fix_csum(uint8_t *ip)
{
    unsigned hlen = (unsigned)(ip[0] & 0x0f) * 4;
    uint32_t sum = 0;

    ip[10] = 0;
    ip[11] = 0;
    for (unsigned i = 0; i + 1 < hlen; i += 2) {
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    ip[10] = (uint8_t)(~sum >> 8);
    ip[11] = (uint8_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* --- good frames ------------------------------------------------------- */

static void test_eth_ipv4_tcp(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    uint8_t ip1[4] = {10, 0, 0, 1}, ip2[4] = {10, 0, 0, 2};
    size_t n;

    (void)state;
    spec_base(&s, 4, 6);
    s.ttl = 77;
    n = build(&s, f);
    assert_int_equal(n, ETH_LEN + IP4_LEN + TCP_LEN + PAYLOAD_LEN);

    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_true(pk.has_eth);
    assert_memory_equal(pk.src_mac, MAC_A, 6);
    assert_memory_equal(pk.dst_mac, MAC_B, 6);
    assert_int_equal(pk.n_vlan, 0);
    assert_int_equal(pk.family, 4);
    assert_int_equal(pk.ip_proto, 6);
    assert_int_equal(pk.ttl, 77);
    assert_memory_equal(pk.src_ip, ip1, 4);
    assert_memory_equal(pk.dst_ip, ip2, 4);
    for (int i = 4; i < 16; i++) {
        assert_int_equal(pk.src_ip[i], 0);
        assert_int_equal(pk.dst_ip[i], 0);
    }
    assert_int_equal(pk.ip_len, IP4_LEN + TCP_LEN + PAYLOAD_LEN);
    assert_int_equal(pk.sport, 40000);
    assert_int_equal(pk.dport, 80);
    assert_int_equal(pk.tcp_seq, 0x11223344u);
    assert_int_equal(pk.tcp_ack, 0x55667788u);
    assert_int_equal(pk.tcp_flags, TCP_PSH | TCP_ACK);
    assert_int_equal(pk.tcp_win, 1234);
    assert_int_equal(pk.tcp_opts, 0);
    assert_int_equal(pk.flags, PKT_HAS_L4);
    assert_int_equal(pk.anomaly, DECODE_EV_MAX);
    assert_int_equal(pk.payload_len, PAYLOAD_LEN);
    assert_ptr_equal(pk.payload, held + ETH_LEN + IP4_LEN + TCP_LEN);
    assert_memory_equal(pk.payload, PAYLOAD, PAYLOAD_LEN);

    assert_int_equal(st.pkts, 1);
    assert_int_equal(st.bytes, n);
    assert_int_equal(st.invalid, 0);
    assert_int_equal(st.layer[DECODE_LAYER_ETHERNET], 1);
    assert_int_equal(st.layer[DECODE_LAYER_IPV4], 1);
    assert_int_equal(st.layer[DECODE_LAYER_TCP], 1);
    assert_int_equal(st.layer[DECODE_LAYER_UDP], 0);
    assert_int_equal(st.layer[DECODE_LAYER_VLAN], 0);
    assert_int_equal(events_total(), 0);
}

static void test_eth_ipv6_udp(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    uint8_t a1[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    uint8_t a2[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
    size_t n;

    (void)state;
    spec_base(&s, 6, 17);
    s.sport = 5353;
    s.dport = 53;
    s.ttl = 3;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.family, 6);
    assert_int_equal(pk.ip_proto, 17);
    assert_int_equal(pk.ttl, 3);
    assert_memory_equal(pk.src_ip, a1, 16);
    assert_memory_equal(pk.dst_ip, a2, 16);
    assert_int_equal(pk.ip_len, IP6_LEN + UDP_LEN + PAYLOAD_LEN);
    assert_int_equal(pk.sport, 5353);
    assert_int_equal(pk.dport, 53);
    assert_int_equal(pk.flags, PKT_HAS_L4);
    assert_int_equal(pk.payload_len, PAYLOAD_LEN);
    assert_memory_equal(pk.payload, PAYLOAD, PAYLOAD_LEN);
    assert_int_equal(st.layer[DECODE_LAYER_IPV6], 1);
    assert_int_equal(st.layer[DECODE_LAYER_UDP], 1);
    assert_int_equal(st.invalid, 0);
}

/* Ethernet pads short frames to 60 bytes: the IP total length must cut the padding off. */
static void test_ethernet_padding_ignored(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    spec_base(&s, 4, 6);
    s.payload_len = 0;
    n = build(&s, f);
    assert_int_equal(n, 54);
    memset(f + n, 0xee, 6);
    assert_int_equal(run_eth(f, 60), DECODE_EV_MAX);
    assert_int_equal(pk.payload_len, 0);
    assert_int_equal(pk.ip_len, 40);

    /* The same for UDP: its own length bounds the payload too. */
    spec_base(&s, 4, 17);
    s.payload_len = 2;
    n = build(&s, f);
    memset(f + n, 0xee, 60 - n);
    assert_int_equal(run_eth(f, 60), DECODE_EV_MAX);
    assert_int_equal(pk.payload_len, 2);
}

static void test_other_ethertype_and_l4(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    /* An EtherType nobody decodes (LLDP) is fine, counted as other_l3. */
    spec_base(&s, 4, 6);
    n = build(&s, f);
    put16(f + 12, 0x88cc);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.family, 0);
    assert_int_equal(st.layer[DECODE_LAYER_OTHER_L3], 1);

    /* GRE (47) over IPv4: decoded to IP, counted as other_l4. */
    spec_base(&s, 4, 47);
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.family, 4);
    assert_int_equal(pk.ip_proto, 47);
    assert_false(pk.flags & PKT_HAS_L4);
    assert_int_equal(st.layer[DECODE_LAYER_OTHER_L4], 1);
    assert_int_equal(st.invalid, 0);
}

/* --- truncation ---------------------------------------------------------- */

/* The generic rule: success, or a named event counted exactly once. */
static void check_outcome(enum decode_event ev, uint64_t events_before, uint64_t invalid_before)
{
    if (ev == DECODE_EV_MAX) {
        assert_int_equal(st.invalid, invalid_before);
        return;
    }
    assert_true(ev < DECODE_EV_MAX);
    assert_string_not_equal(decode_event_name(ev), "none");
    assert_int_equal(st.invalid, invalid_before + 1);
    assert_int_equal(events_total(), events_before + 1);
}

/* Every prefix of an IPv4/TCP frame, capture length equal to wire length. */
static void test_prefixes_ipv4_tcp_unsnapped(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    static const uint8_t opts[12] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7};
    size_t n;

    (void)state;
    spec_base(&s, 4, 6);
    s.tcp_opts = opts;
    s.tcp_opts_len = sizeof(opts);
    n = build(&s, f);
    for (size_t len = 0; len <= n; len++) {
        uint64_t ev0 = events_total(), inv0 = st.invalid;
        enum decode_event ev = run_eth(f, len);
        enum decode_event want;

        check_outcome(ev, ev0, inv0);
        if (len < ETH_LEN) {
            want = DECODE_EV_ETH_TRUNCATED;
        } else if (len < ETH_LEN + IP4_LEN) {
            want = DECODE_EV_IPV4_TRUNCATED;
        } else if (len < n) {
            want = DECODE_EV_IPV4_TRUNC_PKT;
        } else {
            want = DECODE_EV_MAX;
        }
        assert_int_equal(ev, want);
        assert_false(pk.flags & PKT_SNAPPED);
    }
    assert_int_equal(st.pkts, n + 1);
    assert_int_equal(st.invalid, n);
    assert_int_equal(st.event[DECODE_EV_ETH_TRUNCATED], ETH_LEN);
    assert_int_equal(st.event[DECODE_EV_IPV4_TRUNCATED], IP4_LEN);
    assert_int_equal(st.event[DECODE_EV_IPV4_TRUNC_PKT], n - ETH_LEN - IP4_LEN);
    assert_int_equal(st.layer[DECODE_LAYER_TCP], 1);
}

/* The same frame snapped: never malformed at the IP level. */
static void test_prefixes_ipv4_tcp_snapped(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    static const uint8_t opts[12] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7};
    const size_t l4 = ETH_LEN + IP4_LEN;
    const size_t data = l4 + TCP_LEN + sizeof(opts);
    size_t n;

    (void)state;
    spec_base(&s, 4, 6);
    s.tcp_opts = opts;
    s.tcp_opts_len = sizeof(opts);
    n = build(&s, f);
    for (size_t len = 0; len < n; len++) {
        uint64_t ev0 = events_total(), inv0 = st.invalid;
        enum decode_event ev = run_snap(f, len, n, LINK_EN10MB);

        check_outcome(ev, ev0, inv0);
        assert_true(pk.flags & PKT_SNAPPED);
        assert_int_not_equal(ev, DECODE_EV_IPV4_TRUNC_PKT);
        assert_int_not_equal(ev, DECODE_EV_IPV4_IPLEN_BAD);
        if (len < ETH_LEN) {
            assert_int_equal(ev, DECODE_EV_ETH_TRUNCATED);
        } else if (len < l4) {
            assert_int_equal(ev, DECODE_EV_IPV4_TRUNCATED);
        } else if (len < data) {
            /* The IP layer is whole; only TCP is cut. */
            assert_int_equal(ev, DECODE_EV_TCP_TRUNCATED);
            assert_int_equal(pk.family, 4);
            assert_int_equal(pk.ip_len, n - ETH_LEN);
        } else {
            assert_int_equal(ev, DECODE_EV_MAX);
            assert_int_equal(pk.family, 4);
            assert_int_equal(pk.sport, 40000);
            assert_int_equal(pk.tcp_mss, 1460);
            assert_int_equal(pk.payload_len, len - data);
        }
    }
    assert_int_equal(st.event[DECODE_EV_IPV4_TRUNC_PKT], 0);
    assert_int_equal(st.event[DECODE_EV_IPV4_IPLEN_BAD], 0);
    assert_int_equal(st.layer[DECODE_LAYER_IPV4], n - l4);
    assert_int_equal(st.bytes, (uint64_t)n * n);
}

static void test_prefixes_ipv6_udp(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    const size_t l4 = ETH_LEN + IP6_LEN;
    size_t n;

    (void)state;
    spec_base(&s, 6, 17);
    n = build(&s, f);

    /* Not snapped: past the fixed header, the payload length is a lie. */
    for (size_t len = 0; len <= n; len++) {
        uint64_t ev0 = events_total(), inv0 = st.invalid;
        enum decode_event ev = run_eth(f, len);

        check_outcome(ev, ev0, inv0);
        if (len < ETH_LEN) {
            assert_int_equal(ev, DECODE_EV_ETH_TRUNCATED);
        } else if (len < l4) {
            assert_int_equal(ev, DECODE_EV_IPV6_TRUNCATED);
        } else if (len < n) {
            assert_int_equal(ev, DECODE_EV_IPV6_TRUNC_PKT);
        } else {
            assert_int_equal(ev, DECODE_EV_MAX);
        }
    }

    /* Snapped: the cut is the capture's doing. */
    for (size_t len = 0; len < n; len++) {
        uint64_t ev0 = events_total(), inv0 = st.invalid;
        enum decode_event ev = run_snap(f, len, n, LINK_EN10MB);

        check_outcome(ev, ev0, inv0);
        assert_int_not_equal(ev, DECODE_EV_IPV6_TRUNC_PKT);
        assert_int_not_equal(ev, DECODE_EV_UDP_LEN_BAD);
        if (len < ETH_LEN) {
            assert_int_equal(ev, DECODE_EV_ETH_TRUNCATED);
        } else if (len < l4) {
            assert_int_equal(ev, DECODE_EV_IPV6_TRUNCATED);
        } else if (len < l4 + UDP_LEN) {
            assert_int_equal(ev, DECODE_EV_UDP_TRUNCATED);
        } else {
            assert_int_equal(ev, DECODE_EV_MAX);
            assert_int_equal(pk.sport, 40000);
            assert_int_equal(pk.payload_len, len - l4 - UDP_LEN);
        }
    }
}

/* Many kinds of frame, every prefix, both ways: never a crash, always an outcome. */
static size_t frame_with_vlans(unsigned n_tags, uint8_t *out);
static size_t frame_pppoe(uint8_t *out);

static void test_prefixes_many_frames(void **state)
{
    uint8_t frames[12][FRAME_CAP];
    size_t lens[12];
    int links[12];
    size_t nf = 0;
    struct pkt_spec s;
    static const uint8_t ext[16] = {60, 0, 1, 4, 0, 0, 0, 0, 6, 0, 1, 4, 0, 0, 0, 0};
    static const uint8_t ipopt[8] = {131, 7, 4, 192, 168, 1, 1, 0};

    (void)state;
    spec_base(&s, 4, 1);
    s.icmp_type = 8;
    lens[nf] = build(&s, frames[nf]);
    links[nf++] = LINK_EN10MB;
    spec_base(&s, 6, 58);
    s.icmp_type = 128;
    lens[nf] = build(&s, frames[nf]);
    links[nf++] = LINK_EN10MB;
    spec_base(&s, 6, 6);
    s.ext = ext;
    s.ext_len = sizeof(ext);
    s.ext_first = 0;
    lens[nf] = build(&s, frames[nf]);
    links[nf++] = LINK_EN10MB;
    spec_base(&s, 4, 17);
    s.ip_opts = ipopt;
    s.ip_opts_len = sizeof(ipopt);
    lens[nf] = build(&s, frames[nf]);
    links[nf++] = LINK_EN10MB;
    spec_base(&s, 4, 6);
    s.n_vlan = 2;
    s.vlan[0] = 10;
    s.vlan[1] = 20;
    lens[nf] = build(&s, frames[nf]);
    links[nf++] = LINK_EN10MB;
    lens[nf] = frame_with_vlans(9, frames[nf]);
    links[nf++] = LINK_EN10MB;
    lens[nf] = frame_pppoe(frames[nf]);
    links[nf++] = LINK_EN10MB;
    /* The IPv4/TCP frame without its Ethernet header, as raw IP and cooked. */
    spec_base(&s, 4, 6);
    lens[nf] = build(&s, frames[nf]) - ETH_LEN;
    memmove(frames[nf], frames[nf] + ETH_LEN, lens[nf]);
    links[nf++] = LINK_RAW;
    memcpy(frames[nf], frames[nf - 1], lens[nf - 1]);
    lens[nf] = lens[nf - 1];
    links[nf++] = LINK_IPV4;
    memset(frames[nf], 0, 16);
    put16(frames[nf] + 14, 0x0800);
    memcpy(frames[nf] + 16, frames[nf - 1], lens[nf - 1]);
    lens[nf] = lens[nf - 1] + 16;
    links[nf++] = LINK_LINUX_SLL;
    memset(frames[nf], 0, 20);
    put16(frames[nf], 0x0800);
    memcpy(frames[nf] + 20, frames[nf - 2], lens[nf - 2]);
    lens[nf] = lens[nf - 2] + 20;
    links[nf++] = LINK_LINUX_SLL2;
    memcpy(frames[nf], "\x02\x00\x00\x00", 4);
    memcpy(frames[nf] + 4, frames[nf - 3], lens[nf - 3]);
    lens[nf] = lens[nf - 3] + 4;
    links[nf++] = LINK_NULL;

    for (size_t i = 0; i < nf; i++) {
        assert_true(lens[i] > 0);
        for (size_t len = 0; len <= lens[i]; len++) {
            for (int snapped = 0; snapped < 2; snapped++) {
                uint64_t ev0 = events_total(), inv0 = st.invalid;
                size_t wire = snapped ? lens[i] : len;
                enum decode_event ev = run_snap(frames[i], len, wire, links[i]);

                check_outcome(ev, ev0, inv0);
                if (snapped) {
                    assert_int_not_equal(ev, DECODE_EV_IPV4_TRUNC_PKT);
                    assert_int_not_equal(ev, DECODE_EV_IPV6_TRUNC_PKT);
                    assert_int_not_equal(ev, DECODE_EV_UDP_LEN_BAD);
                }
                if (pk.payload != NULL) {
                    assert_true(pk.payload >= held);
                    assert_true(pk.payload + pk.payload_len <= held + len);
                }
            }
        }
    }
}

/* --- VLAN ---------------------------------------------------------------- */

static void test_vlan_single(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    spec_base(&s, 4, 6);
    s.n_vlan = 1;
    s.vlan[0] = 0xe064; /* PCP 7, DEI 0, VID 100 */
    n = build(&s, f);
    assert_int_equal(get16(f + 12), 0x8100);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.n_vlan, 1);
    assert_int_equal(pk.vlan[0], 100);
    assert_int_equal(pk.vlan[1], 0);
    assert_int_equal(pk.family, 4);
    assert_int_equal(pk.dport, 80);
    assert_int_equal(st.layer[DECODE_LAYER_VLAN], 1);
    assert_int_equal(st.layer[DECODE_LAYER_VLAN_QINQ], 0);
    assert_int_equal(st.layer[DECODE_LAYER_TCP], 1);
}

static void test_vlan_qinq(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    spec_base(&s, 6, 17);
    s.n_vlan = 2;
    s.vlan[0] = 0x1000 | 300; /* DEI set */
    s.vlan[1] = 4094;
    n = build(&s, f);
    assert_int_equal(get16(f + 12), 0x88a8);
    assert_int_equal(get16(f + 16), 0x8100);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.n_vlan, 2);
    assert_int_equal(pk.vlan[0], 300);
    assert_int_equal(pk.vlan[1], 4094);
    assert_int_equal(pk.family, 6);
    assert_int_equal(pk.sport, 40000);
    assert_int_equal(st.layer[DECODE_LAYER_VLAN_QINQ], 1);
    assert_int_equal(st.layer[DECODE_LAYER_VLAN], 0);

    /* Three tags: the outer two ids are kept. */
    spec_base(&s, 4, 17);
    s.n_vlan = 3;
    s.vlan[0] = 7;
    s.vlan[1] = 8;
    s.vlan[2] = 9;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.n_vlan, 2);
    assert_int_equal(pk.vlan[0], 7);
    assert_int_equal(pk.vlan[1], 8);
    assert_int_equal(pk.dport, 80);
    assert_int_equal(st.layer[DECODE_LAYER_VLAN_QINQ], 2);
}

/* An IPv4/UDP frame with n_tags 802.1Q tags (ids 1..n) hand-inserted. */
static size_t frame_with_vlans(unsigned n_tags, uint8_t *out)
{
    struct pkt_spec s;
    uint8_t plain[FRAME_CAP];
    size_t n, off = 12;

    spec_base(&s, 4, 17);
    n = build(&s, plain);
    memcpy(out, plain, 12);
    for (unsigned i = 0; i < n_tags; i++) {
        put16(out + off, 0x8100);
        put16(out + off + 2, (uint16_t)(i + 1));
        off += 4;
    }
    memcpy(out + off, plain + 12, n - 12);
    return n + 4 * n_tags;
}

static void test_vlan_too_many(void **state)
{
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    /* DECODE_VLAN_LAYERS_MAX tags still decode. */
    n = frame_with_vlans(DECODE_VLAN_LAYERS_MAX, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.n_vlan, 2);
    assert_int_equal(pk.vlan[0], 1);
    assert_int_equal(pk.vlan[1], 2);
    assert_int_equal(pk.dport, 80);
    assert_int_equal(st.layer[DECODE_LAYER_VLAN_QINQ], 1);

    /* One more is refused. */
    n = frame_with_vlans(DECODE_VLAN_LAYERS_MAX + 1, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_VLAN_TOO_MANY);
    assert_int_equal(st.event[DECODE_EV_VLAN_TOO_MANY], 1);
    assert_int_equal(st.invalid, 1);
    assert_int_equal(pk.family, 0);
    assert_int_equal(st.layer[DECODE_LAYER_IPV4], 1);

    /* A tag cut in half. */
    n = frame_with_vlans(1, f);
    assert_int_equal(run_eth(f, 16), DECODE_EV_VLAN_TRUNCATED);
    assert_int_equal(run_eth(f, 17), DECODE_EV_VLAN_TRUNCATED);
    assert_int_equal(st.event[DECODE_EV_VLAN_TRUNCATED], 2);
}

/* --- ARP ----------------------------------------------------------------- */

static const uint8_t arp_request[42] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
    0xc0, 0xa8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x02,
};

static const uint8_t arp_reply[60] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
    0xc0, 0xa8, 0x00, 0x02, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0xc0, 0xa8, 0x00, 0x01,
    /* 18 bytes of Ethernet padding */
};

static void test_arp(void **state)
{
    static const uint8_t zero6[6] = {0};
    static const uint8_t ip1[4] = {192, 168, 0, 1}, ip2[4] = {192, 168, 0, 2};

    (void)state;
    assert_int_equal(run_eth(arp_request, sizeof(arp_request)), DECODE_EV_MAX);
    assert_true(pk.flags & PKT_ARP);
    assert_int_equal(pk.family, 0);
    assert_int_equal(pk.arp.op, 1);
    assert_memory_equal(pk.arp.sender_mac, MAC_A, 6);
    assert_memory_equal(pk.arp.sender_ip, ip1, 4);
    assert_memory_equal(pk.arp.target_mac, zero6, 6);
    assert_memory_equal(pk.arp.target_ip, ip2, 4);
    assert_int_equal(st.layer[DECODE_LAYER_ARP], 1);

    assert_int_equal(run_eth(arp_reply, sizeof(arp_reply)), DECODE_EV_MAX);
    assert_true(pk.flags & PKT_ARP);
    assert_int_equal(pk.arp.op, 2);
    assert_memory_equal(pk.src_mac, MAC_B, 6);
    assert_memory_equal(pk.arp.sender_mac, MAC_B, 6);
    assert_memory_equal(pk.arp.sender_ip, ip2, 4);
    assert_memory_equal(pk.arp.target_mac, MAC_A, 6);
    assert_memory_equal(pk.arp.target_ip, ip1, 4);
    assert_int_equal(st.layer[DECODE_LAYER_ARP], 2);
    assert_int_equal(st.invalid, 0);
}

static void test_arp_malformed(void **state)
{
    uint8_t f[60];

    (void)state;
    /* Hardware length 8 with Ethernet/IPv4 types. */
    memcpy(f, arp_request, sizeof(arp_request));
    f[18] = 8;
    assert_int_equal(run_eth(f, sizeof(arp_request)), DECODE_EV_ARP_MALFORMED);
    assert_false(pk.flags & PKT_ARP);
    assert_int_equal(st.event[DECODE_EV_ARP_MALFORMED], 1);

    /* Protocol length 16, then opcode 0. */
    memcpy(f, arp_request, sizeof(arp_request));
    f[19] = 16;
    assert_int_equal(run_eth(f, sizeof(arp_request)), DECODE_EV_ARP_MALFORMED);
    memcpy(f, arp_request, sizeof(arp_request));
    f[21] = 0;
    assert_int_equal(run_eth(f, sizeof(arp_request)), DECODE_EV_ARP_MALFORMED);
    assert_int_equal(st.event[DECODE_EV_ARP_MALFORMED], 3);

    /* Fixed part whole, addresses cut short; fixed part cut short. */
    assert_int_equal(run_eth(arp_request, 41), DECODE_EV_ARP_TRUNCATED);
    assert_int_equal(run_eth(arp_request, 21), DECODE_EV_ARP_TRUNCATED);
    assert_int_equal(st.event[DECODE_EV_ARP_TRUNCATED], 2);

    /* Another hardware type is legal ARP, just not read. */
    memcpy(f, arp_request, sizeof(arp_request));
    f[15] = 6; /* IEEE 802 */
    assert_int_equal(run_eth(f, sizeof(arp_request)), DECODE_EV_MAX);
    assert_false(pk.flags & PKT_ARP);
    assert_int_equal(st.invalid, 5);
}

/* --- IPv4 ---------------------------------------------------------------- */

static void test_ipv4_options(void **state)
{
    static const uint8_t nops[4] = {1, 1, 1, 0};
    static const uint8_t rr[8] = {7, 7, 4, 0, 0, 0, 0, 1};      /* record route + NOP */
    static const uint8_t lsrr[8] = {1, 131, 7, 4, 10, 9, 9, 9}; /* NOP + LSRR */
    static const uint8_t ssrr[8] = {137, 7, 4, 10, 9, 9, 9, 0}; /* SSRR + EOL */
    static const uint8_t ts[12] = {68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    const uint8_t *opts[] = {nops, rr, lsrr, ssrr, ts};
    size_t opt_len[] = {sizeof(nops), sizeof(rr), sizeof(lsrr), sizeof(ssrr), sizeof(ts)};
    bool srcroute[] = {false, false, true, true, false};
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];

    (void)state;
    for (size_t i = 0; i < 5; i++) {
        size_t n;

        spec_base(&s, 4, 6);
        s.ip_opts = opts[i];
        s.ip_opts_len = opt_len[i];
        n = build(&s, f);
        assert_int_equal(f[ETH_LEN] & 0x0f, (IP4_LEN + opt_len[i]) / 4);
        assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
        assert_true(pk.flags & PKT_IPV4_OPTS);
        assert_int_equal(!!(pk.flags & PKT_IPV4_SRCROUTE), srcroute[i]);
        assert_int_equal(pk.sport, 40000);
        assert_int_equal(pk.dport, 80);
        assert_int_equal(pk.payload_len, PAYLOAD_LEN);
        assert_memory_equal(pk.payload, PAYLOAD, PAYLOAD_LEN);
    }
    assert_int_equal(st.layer[DECODE_LAYER_TCP], 5);
    assert_int_equal(st.invalid, 0);
}

static void test_ipv4_bad_option_length(void **state)
{
    static const uint8_t len1[4] = {7, 1, 0, 0};    /* length below 2 */
    static const uint8_t len0[4] = {1, 68, 0, 0};   /* length 0 */
    static const uint8_t past[4] = {7, 12, 4, 0};   /* runs past the header */
    static const uint8_t nolen[4] = {1, 1, 1, 131}; /* last byte, no length byte */
    const uint8_t *opts[] = {len1, len0, past, nolen};
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];

    (void)state;
    for (size_t i = 0; i < 4; i++) {
        size_t n;

        spec_base(&s, 4, 6);
        s.ip_opts = opts[i];
        s.ip_opts_len = 4;
        n = build(&s, f);
        assert_int_equal(run_eth(f, n), DECODE_EV_IPV4_OPT_INVALID);
    }
    assert_int_equal(st.event[DECODE_EV_IPV4_OPT_INVALID], 4);
    assert_int_equal(st.invalid, 4);
    assert_int_equal(st.layer[DECODE_LAYER_TCP], 0);
}

static void test_ipv4_bad_header(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    uint8_t *ip = f + ETH_LEN;
    size_t n;

    (void)state;
    spec_base(&s, 4, 6);
    n = build(&s, f);

    /* IHL 4 (16 bytes) and IHL 0. */
    ip[0] = 0x44;
    ip4_fix_csum(ip);
    assert_int_equal(run_eth(f, n), DECODE_EV_IPV4_HLEN_TOO_SMALL);
    ip[0] = 0x40;
    assert_int_equal(run_eth(f, n), DECODE_EV_IPV4_HLEN_TOO_SMALL);
    assert_int_equal(st.event[DECODE_EV_IPV4_HLEN_TOO_SMALL], 2);

    /* IHL 15 (60 bytes) in a datagram of 40 captured bytes. */
    ip[0] = 0x4f;
    assert_int_equal(run_eth(f, ETH_LEN + 40), DECODE_EV_IPV4_TRUNCATED);

    /* Version 5, and version 6 under EtherType IPv4. */
    ip[0] = 0x55;
    assert_int_equal(run_eth(f, n), DECODE_EV_IPV4_BAD_VERSION);
    ip[0] = 0x65;
    assert_int_equal(run_eth(f, n), DECODE_EV_IPV4_BAD_VERSION);
    assert_int_equal(st.event[DECODE_EV_IPV4_BAD_VERSION], 2);
    assert_int_equal(st.layer[DECODE_LAYER_IPV4], 0);
    ip[0] = 0x45;

    /* Total length below the header: 19, then 0. */
    put16(ip + 2, 19);
    ip4_fix_csum(ip);
    assert_int_equal(run_eth(f, n), DECODE_EV_IPV4_IPLEN_BAD);
    put16(ip + 2, 0);
    assert_int_equal(run_eth(f, n), DECODE_EV_IPV4_IPLEN_BAD);
    assert_int_equal(st.event[DECODE_EV_IPV4_IPLEN_BAD], 2);
    assert_int_equal(st.invalid, 7);
}

static void test_ipv4_total_length_vs_capture(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    uint8_t *ip = f + ETH_LEN;
    size_t n;

    (void)state;
    spec_base(&s, 4, 6);
    n = build(&s, f);

    /* Total length 10 bytes past what was captured, capture not snapped. */
    put16(ip + 2, (uint16_t)(n - ETH_LEN + 10));
    ip4_fix_csum(ip);
    assert_int_equal(run_eth(f, n), DECODE_EV_IPV4_TRUNC_PKT);
    assert_int_equal(st.event[DECODE_EV_IPV4_TRUNC_PKT], 1);
    assert_int_equal(st.layer[DECODE_LAYER_IPV4], 1);

    /* The same bytes from a snapped capture decode. */
    assert_int_equal(run_snap(f, n, n + 10, LINK_EN10MB), DECODE_EV_MAX);
    assert_true(pk.flags & PKT_SNAPPED);
    assert_int_equal(pk.ip_len, n - ETH_LEN + 10);
    assert_int_equal(pk.payload_len, PAYLOAD_LEN);
    assert_int_equal(st.event[DECODE_EV_IPV4_TRUNC_PKT], 1);
    assert_int_equal(st.invalid, 1);
}

static void test_ipv4_fragments(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    uint8_t big[200];
    size_t n;

    (void)state;
    memset(big, 'x', sizeof(big));

    /* First fragment: MF set, offset 0. The UDP length covers the whole datagram. */
    spec_base(&s, 4, 17);
    s.payload = big;
    s.payload_len = sizeof(big);
    s.more_fragments = true;
    s.ip_id = 0x4242;
    n = build(&s, f);
    put16(f + ETH_LEN + IP4_LEN + 4, 1000);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_true(pk.flags & PKT_FRAGMENT);
    assert_false(pk.flags & PKT_FRAG_LATER);
    assert_true(pk.flags & PKT_HAS_L4);
    assert_int_equal(pk.sport, 40000);
    assert_int_equal(pk.dport, 80);
    assert_int_equal(pk.payload_len, sizeof(big));
    assert_int_equal(st.layer[DECODE_LAYER_IPV4_FRAG], 1);
    assert_int_equal(st.layer[DECODE_LAYER_UDP], 1);

    /* A later fragment: offset 26 (208 bytes), no MF; its bytes are no header. */
    spec_base(&s, 4, 17);
    s.payload = big;
    s.payload_len = 100;
    s.frag_offset = 26;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_true(pk.flags & PKT_FRAGMENT);
    assert_true(pk.flags & PKT_FRAG_LATER);
    assert_false(pk.flags & PKT_HAS_L4);
    assert_int_equal(pk.family, 4);
    assert_int_equal(pk.ip_proto, 17);
    assert_int_equal(pk.sport, 0);
    assert_int_equal(pk.dport, 0);
    assert_null(pk.payload);
    assert_int_equal(st.layer[DECODE_LAYER_IPV4_FRAG], 2);
    assert_int_equal(st.layer[DECODE_LAYER_UDP], 1);

    /* A last fragment reaching past 65535 bytes. */
    spec_base(&s, 4, 17);
    s.payload = big;
    s.payload_len = 100;
    s.frag_offset = 8190; /* 65520 + 108 > 65535 */
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_IPV4_FRAG_BAD);
    assert_int_equal(st.event[DECODE_EV_IPV4_FRAG_BAD], 1);

    /* DF alone is not a fragment. */
    spec_base(&s, 4, 6);
    n = build(&s, f);
    put16(f + ETH_LEN + 6, 0x4000);
    ip4_fix_csum(f + ETH_LEN);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_false(pk.flags & PKT_FRAGMENT);
    assert_int_equal(st.layer[DECODE_LAYER_IPV4_FRAG], 3);
}

/* --- IPv6 extension headers ---------------------------------------------- */

static void test_ipv6_ext_chain(void **state)
{
    /* hop-by-hop (PadN) -> destination options (PadN) -> fragment (first, M=1) -> UDP */
    static const uint8_t chain[24] = {
        60, 0, 1,    4,    0,    0,    0,    0,    /* HBH, next = dstopts */
        44, 0, 1,    4,    0,    0,    0,    0,    /* DST, next = fragment */
        17, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, /* FRAG offset 0 M=1, next = UDP */
    };
    /* hop-by-hop of 16 bytes -> destination options -> TCP */
    static const uint8_t chain2[24] = {
        60, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* HBH, 16 bytes */
        6,  0, 1, 4,  0, 0, 0, 0,                         /* DST, next = TCP */
    };
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    spec_base(&s, 6, 17);
    s.ext = chain;
    s.ext_len = sizeof(chain);
    s.ext_first = 0;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.family, 6);
    assert_int_equal(pk.ip_proto, 17);
    assert_true(pk.flags & PKT_IPV6_EXT);
    assert_true(pk.flags & PKT_FRAGMENT);
    assert_false(pk.flags & PKT_FRAG_LATER);
    assert_true(pk.flags & PKT_HAS_L4);
    assert_int_equal(pk.sport, 40000);
    assert_int_equal(pk.dport, 80);
    assert_int_equal(pk.payload_len, PAYLOAD_LEN);
    assert_memory_equal(pk.payload, PAYLOAD, PAYLOAD_LEN);
    assert_int_equal(pk.ip_len, IP6_LEN + sizeof(chain) + UDP_LEN + PAYLOAD_LEN);
    assert_int_equal(st.layer[DECODE_LAYER_IPV6_FRAG], 1);
    assert_int_equal(st.layer[DECODE_LAYER_UDP], 1);

    spec_base(&s, 6, 6);
    s.ext = chain2;
    s.ext_len = sizeof(chain2);
    s.ext_first = 0;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.ip_proto, 6);
    assert_true(pk.flags & PKT_IPV6_EXT);
    assert_false(pk.flags & PKT_FRAGMENT);
    assert_int_equal(pk.sport, 40000);
    assert_int_equal(pk.tcp_seq, 0x11223344u);
    assert_int_equal(pk.payload_len, PAYLOAD_LEN);
    assert_int_equal(st.layer[DECODE_LAYER_TCP], 1);
    assert_int_equal(st.invalid, 0);
}

static void test_ipv6_later_fragment(void **state)
{
    /* fragment header, offset 185 (1480 bytes), M=0 */
    static const uint8_t frag[8] = {17, 0, 0x05, 0xc8, 0, 0, 0, 1};
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    spec_base(&s, 6, 17);
    s.ext = frag;
    s.ext_len = sizeof(frag);
    s.ext_first = 44;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_true(pk.flags & PKT_FRAGMENT);
    assert_true(pk.flags & PKT_FRAG_LATER);
    assert_false(pk.flags & PKT_HAS_L4);
    assert_int_equal(pk.ip_proto, 17);
    assert_int_equal(pk.sport, 0);
    assert_int_equal(pk.dport, 0);
    assert_int_equal(st.layer[DECODE_LAYER_IPV6_FRAG], 1);
    assert_int_equal(st.layer[DECODE_LAYER_UDP], 0);
}

static void test_ipv6_ext_truncated(void **state)
{
    /* HBH says 16 bytes, but the payload length leaves 12. */
    static const uint8_t hbh_long[8] = {17, 1, 1, 4, 0, 0, 0, 0};
    static const uint8_t frag[8] = {59, 0, 0, 1, 0, 0, 0, 7};
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    uint8_t *plen = f + ETH_LEN + 4;
    size_t n;

    (void)state;
    spec_base(&s, 6, 59); /* no next header: 4 bytes of payload follow */
    s.payload_len = 4;
    s.ext = hbh_long;
    s.ext_len = sizeof(hbh_long);
    s.ext_first = 0;
    n = build(&s, f);
    assert_int_equal(n, ETH_LEN + IP6_LEN + 12);
    assert_int_equal(run_eth(f, n), DECODE_EV_IPV6_EXTHDR_TRUNC);
    assert_int_equal(st.event[DECODE_EV_IPV6_EXTHDR_TRUNC], 1);
    assert_int_equal(st.layer[DECODE_LAYER_IPV6], 1);

    /* The header's first byte only: the payload length says 1. */
    put16(plen, 1);
    assert_int_equal(run_eth(f, ETH_LEN + IP6_LEN + 1), DECODE_EV_IPV6_EXTHDR_TRUNC);

    /* A fragment header cut to 4 bytes by the payload length. */
    s.ext = frag;
    s.ext_len = sizeof(frag);
    s.ext_first = 44;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    put16(plen, 4);
    assert_int_equal(run_eth(f, ETH_LEN + IP6_LEN + 4), DECODE_EV_IPV6_EXTHDR_TRUNC);
    assert_int_equal(st.event[DECODE_EV_IPV6_EXTHDR_TRUNC], 3);
    assert_int_equal(st.layer[DECODE_LAYER_UDP], 0);
}

static void test_ipv6_ext_too_many(void **state)
{
    uint8_t chain[9 * 8];
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    /* Eight destination-options headers, then UDP: the limit, still decoded. */
    for (int i = 0; i < 9; i++) {
        uint8_t *h = chain + 8 * i;

        memset(h, 0, 8);
        h[0] = 60;
        h[2] = 1;
        h[3] = 4;
    }
    chain[7 * 8] = 17;
    spec_base(&s, 6, 17);
    s.ext = chain;
    s.ext_len = 8 * 8;
    s.ext_first = 60;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.ip_proto, 17);
    assert_int_equal(pk.dport, 80);

    /* Nine. */
    chain[7 * 8] = 60;
    chain[8 * 8] = 17;
    s.ext_len = 9 * 8;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_IPV6_EXTHDR_TOO_MANY);
    assert_int_equal(st.event[DECODE_EV_IPV6_EXTHDR_TOO_MANY], 1);
    assert_int_equal(st.layer[DECODE_LAYER_UDP], 1);
}

static void test_ipv6_bad(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    spec_base(&s, 6, 17);
    n = build(&s, f);
    f[ETH_LEN] = 0x40;
    assert_int_equal(run_eth(f, n), DECODE_EV_IPV6_BAD_VERSION);
    f[ETH_LEN] = 0x60;
    put16(f + ETH_LEN + 4, (uint16_t)(n - ETH_LEN - IP6_LEN + 1));
    assert_int_equal(run_eth(f, n), DECODE_EV_IPV6_TRUNC_PKT);
    assert_int_equal(st.event[DECODE_EV_IPV6_BAD_VERSION], 1);
    assert_int_equal(st.event[DECODE_EV_IPV6_TRUNC_PKT], 1);
}

/* --- TCP ----------------------------------------------------------------- */

static void test_tcp_options(void **state)
{
    /* MSS 1460, SACK permitted, timestamps, NOP, window scale 7: a Linux SYN. */
    static const uint8_t opts[20] = {2,    4,    0x05, 0xb4, 4, 2, 8, 10, 0x00, 0x01,
                                     0x02, 0x03, 0,    0,    0, 0, 1, 3,  3,    7};
    static const uint8_t sack[12] = {1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 9};
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    spec_base(&s, 4, 6);
    s.tcp_flags = TCP_SYN;
    s.payload_len = 0;
    s.tcp_opts = opts;
    s.tcp_opts_len = sizeof(opts);
    n = build(&s, f);
    assert_int_equal(f[ETH_LEN + IP4_LEN + 12] >> 4, 10);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.tcp_flags, TCP_SYN);
    assert_int_equal(pk.tcp_opts, TCP_OPT_MSS_SEEN | TCP_OPT_SACKOK_SEEN | TCP_OPT_TS_SEEN |
                                      TCP_OPT_WSCALE_SEEN);
    assert_int_equal(pk.tcp_mss, 1460);
    assert_int_equal(pk.tcp_wscale, 7);
    assert_int_equal(pk.payload_len, 0);
    assert_int_equal(pk.anomaly, DECODE_EV_MAX);

    spec_base(&s, 4, 6);
    s.tcp_opts = sack;
    s.tcp_opts_len = sizeof(sack);
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.tcp_opts, TCP_OPT_SACK_SEEN);
    assert_int_equal(pk.payload_len, PAYLOAD_LEN);
    assert_memory_equal(pk.payload, PAYLOAD, PAYLOAD_LEN);
    assert_int_equal(events_total(), 0);
}

/*
 * A TCP option with a bad length: counted as tcp.opt_invalid_len and left
 * in p->anomaly, while the packet still decodes (receivers skip such
 * options, RFC 9293 section 3.1).
 */
static void test_tcp_option_bad_length(void **state)
{
    static const uint8_t mss3[4] = {2, 3, 5, 0};  /* MSS must be 4 long */
    static const uint8_t len0[4] = {30, 0, 0, 0}; /* length 0 */
    static const uint8_t past[4] = {5, 10, 0, 0}; /* SACK past the header */
    static const uint8_t nolen[4] = {1, 1, 1, 2}; /* MSS kind, no length */
    static const uint8_t ws4[4] = {3, 4, 7, 0};   /* window scale must be 3 */
    static const uint8_t ts8[12] = {8, 8, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1};
    const uint8_t *opts[] = {mss3, len0, past, nolen, ws4, ts8};
    size_t opt_len[] = {4, 4, 4, 4, 4, 12};
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];

    (void)state;
    for (size_t i = 0; i < 6; i++) {
        size_t n;

        spec_base(&s, 4, 6);
        s.tcp_opts = opts[i];
        s.tcp_opts_len = opt_len[i];
        n = build(&s, f);
        assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
        assert_int_equal(pk.anomaly, DECODE_EV_TCP_OPT_INVALID);
        assert_int_equal(pk.sport, 40000);
        assert_int_equal(pk.dport, 80);
        assert_int_equal(pk.payload_len, PAYLOAD_LEN);
        assert_int_equal(st.event[DECODE_EV_TCP_OPT_INVALID], i + 1);
    }
    assert_int_equal(st.invalid, 0);
    assert_int_equal(st.layer[DECODE_LAYER_TCP], 6);
}

static void test_tcp_bad_offset(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    uint8_t *tcp = f + ETH_LEN + IP4_LEN;
    size_t n;

    (void)state;
    spec_base(&s, 4, 6);
    n = build(&s, f);
    tcp[12] = 0x40; /* 16 bytes */
    assert_int_equal(run_eth(f, n), DECODE_EV_TCP_HLEN_BAD);
    tcp[12] = 0x00;
    assert_int_equal(run_eth(f, n), DECODE_EV_TCP_HLEN_BAD);
    assert_int_equal(st.event[DECODE_EV_TCP_HLEN_BAD], 2);

    /* Data offset 15 (60 bytes) with 38 bytes of segment. */
    tcp[12] = 0xf0;
    assert_int_equal(run_eth(f, n), DECODE_EV_TCP_TRUNCATED);
    assert_int_equal(st.event[DECODE_EV_TCP_TRUNCATED], 1);
    assert_int_equal(st.layer[DECODE_LAYER_TCP], 0);
}

/* --- UDP and ICMP -------------------------------------------------------- */

static void test_udp_length(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    uint8_t *udp = f + ETH_LEN + IP4_LEN;
    size_t n;

    (void)state;
    spec_base(&s, 4, 17);
    n = build(&s, f);
    assert_int_equal(get16(udp + 4), UDP_LEN + PAYLOAD_LEN);

    put16(udp + 4, 7);
    assert_int_equal(run_eth(f, n), DECODE_EV_UDP_LEN_BAD);
    put16(udp + 4, 0);
    assert_int_equal(run_eth(f, n), DECODE_EV_UDP_LEN_BAD);

    /* Longer than the datagram, not snapped, not a fragment. */
    put16(udp + 4, (uint16_t)(UDP_LEN + PAYLOAD_LEN + 1));
    assert_int_equal(run_eth(f, n), DECODE_EV_UDP_LEN_BAD);
    assert_int_equal(st.event[DECODE_EV_UDP_LEN_BAD], 3);

    /* Shorter than the datagram: the UDP length bounds the payload. */
    put16(udp + 4, UDP_LEN + 4);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.payload_len, 4);

    /* Too short for a UDP header at all. */
    spec_base(&s, 4, 17);
    n = build(&s, f);
    put16(f + ETH_LEN + 2, IP4_LEN + 6);
    ip4_fix_csum(f + ETH_LEN);
    assert_int_equal(run_eth(f, n), DECODE_EV_UDP_TRUNCATED);
    assert_int_equal(st.layer[DECODE_LAYER_UDP], 4);
}

static void test_icmp(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    spec_base(&s, 4, 1);
    s.icmp_type = 8;
    s.icmp_code = 0;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.ip_proto, 1);
    assert_int_equal(pk.icmp_type, 8);
    assert_int_equal(pk.icmp_code, 0);
    assert_true(pk.flags & PKT_HAS_L4);
    assert_int_equal(pk.sport, 0);
    assert_int_equal(st.layer[DECODE_LAYER_ICMPV4], 1);

    spec_base(&s, 4, 1);
    s.icmp_type = 3;
    s.icmp_code = 13;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.icmp_type, 3);
    assert_int_equal(pk.icmp_code, 13);

    spec_base(&s, 6, 58);
    s.icmp_type = 1;
    s.icmp_code = 4;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.family, 6);
    assert_int_equal(pk.ip_proto, 58);
    assert_int_equal(pk.icmp_type, 1);
    assert_int_equal(pk.icmp_code, 4);
    assert_int_equal(st.layer[DECODE_LAYER_ICMPV6], 1);
    assert_int_equal(st.invalid, 0);

    /* Three bytes of ICMP. */
    spec_base(&s, 4, 253);
    s.payload_len = 3;
    n = build(&s, f);
    f[ETH_LEN + 9] = 1;
    ip4_fix_csum(f + ETH_LEN);
    assert_int_equal(run_eth(f, n), DECODE_EV_ICMPV4_TRUNCATED);
    f[ETH_LEN + 9] = 58;
    ip4_fix_csum(f + ETH_LEN);
    assert_int_equal(run_eth(f, n), DECODE_EV_ICMPV6_ON_IPV4);

    spec_base(&s, 6, 253);
    s.payload_len = 3;
    n = build(&s, f);
    f[ETH_LEN + 6] = 58;
    assert_int_equal(run_eth(f, n), DECODE_EV_ICMPV6_TRUNCATED);
    assert_int_equal(st.event[DECODE_EV_ICMPV4_TRUNCATED], 1);
    assert_int_equal(st.event[DECODE_EV_ICMPV6_TRUNCATED], 1);
}

static void test_icmpv6_on_ipv4(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    spec_base(&s, 4, 58);
    s.icmp_type = 128;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_ICMPV6_ON_IPV4);
    assert_int_equal(st.event[DECODE_EV_ICMPV6_ON_IPV4], 1);
    assert_int_equal(st.invalid, 1);
    assert_int_equal(st.layer[DECODE_LAYER_IPV4], 1);
    assert_int_equal(st.layer[DECODE_LAYER_ICMPV6], 0);
    assert_int_equal(st.layer[DECODE_LAYER_ICMPV4], 0);
}

/* --- link types ---------------------------------------------------------- */

/* The IP datagram of a frame built with spec_base (no VLAN): bytes after Ethernet. */
static size_t ip_datagram(int family, uint8_t *out)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    size_t n;

    spec_base(&s, family, 6);
    n = build(&s, f);
    memcpy(out, f + ETH_LEN, n - ETH_LEN);
    return n - ETH_LEN;
}

static void check_tcp_decoded(int family)
{
    assert_int_equal(pk.family, family);
    assert_int_equal(pk.ip_proto, 6);
    assert_int_equal(pk.sport, 40000);
    assert_int_equal(pk.dport, 80);
    assert_int_equal(pk.payload_len, PAYLOAD_LEN);
    assert_memory_equal(pk.payload, PAYLOAD, PAYLOAD_LEN);
    assert_false(pk.has_eth);
}

static void test_link_sll(void **state)
{
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    /* packet type, ARPHRD_ETHER, address length 6, address(8), protocol */
    memset(f, 0, 16);
    put16(f + 2, 1);
    put16(f + 4, 6);
    memcpy(f + 6, MAC_A, 6);
    put16(f + 14, 0x0800);
    n = 16 + ip_datagram(4, f + 16);
    assert_int_equal(run(f, n, LINK_LINUX_SLL), DECODE_EV_MAX);
    check_tcp_decoded(4);
    assert_int_equal(st.layer[DECODE_LAYER_SLL], 1);

    put16(f + 14, 0x86dd);
    n = 16 + ip_datagram(6, f + 16);
    assert_int_equal(run(f, n, LINK_LINUX_SLL), DECODE_EV_MAX);
    check_tcp_decoded(6);

    assert_int_equal(run(f, 15, LINK_LINUX_SLL), DECODE_EV_LINK_TRUNCATED);
    assert_int_equal(st.event[DECODE_EV_LINK_TRUNCATED], 1);
    assert_int_equal(st.layer[DECODE_LAYER_SLL], 2);
}

static void test_link_sll2(void **state)
{
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    /* protocol, reserved, ifindex, ARPHRD, packet type, address length, address(8) */
    memset(f, 0, 20);
    put16(f, 0x0800);
    f[7] = 2;
    put16(f + 8, 1);
    f[11] = 6;
    memcpy(f + 12, MAC_A, 6);
    n = 20 + ip_datagram(4, f + 20);
    assert_int_equal(run(f, n, LINK_LINUX_SLL2), DECODE_EV_MAX);
    check_tcp_decoded(4);
    assert_int_equal(st.layer[DECODE_LAYER_SLL], 1);

    assert_int_equal(run(f, 19, LINK_LINUX_SLL2), DECODE_EV_LINK_TRUNCATED);
    assert_int_equal(run(f, 20, LINK_LINUX_SLL2), DECODE_EV_IPV4_TRUNCATED);
}

static void test_link_null(void **state)
{
    static const uint8_t af_inet_le[4] = {2, 0, 0, 0}, af_inet_be[4] = {0, 0, 0, 2};
    static const uint8_t af6_le[3][4] = {{24, 0, 0, 0}, {28, 0, 0, 0}, {30, 0, 0, 0}};
    static const uint8_t af6_be[4] = {0, 0, 0, 30};
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    memcpy(f, af_inet_le, 4);
    n = 4 + ip_datagram(4, f + 4);
    assert_int_equal(run(f, n, LINK_NULL), DECODE_EV_MAX);
    check_tcp_decoded(4);

    memcpy(f, af_inet_be, 4);
    assert_int_equal(run(f, n, LINK_NULL), DECODE_EV_MAX);
    check_tcp_decoded(4);

    /* OpenBSD loopback: always network order. */
    assert_int_equal(run(f, n, LINK_LOOP), DECODE_EV_MAX);
    check_tcp_decoded(4);

    for (int i = 0; i < 3; i++) {
        memcpy(f, af6_le[i], 4);
        n = 4 + ip_datagram(6, f + 4);
        assert_int_equal(run(f, n, LINK_NULL), DECODE_EV_MAX);
        check_tcp_decoded(6);
    }
    memcpy(f, af6_be, 4);
    assert_int_equal(run(f, n, LINK_NULL), DECODE_EV_MAX);
    check_tcp_decoded(6);
    assert_int_equal(st.layer[DECODE_LAYER_NULL_LOOP], 7);
    assert_int_equal(st.layer[DECODE_LAYER_IPV4], 3);
    assert_int_equal(st.layer[DECODE_LAYER_IPV6], 4);

    /* An unknown family (AppleTalk, 16) is other_l3, not an error. */
    f[0] = 16;
    f[1] = f[2] = f[3] = 0;
    assert_int_equal(run(f, n, LINK_NULL), DECODE_EV_MAX);
    assert_int_equal(pk.family, 0);
    assert_int_equal(st.layer[DECODE_LAYER_OTHER_L3], 1);

    assert_int_equal(run(f, 3, LINK_NULL), DECODE_EV_LINK_TRUNCATED);
    assert_int_equal(st.invalid, 1);
}

static void test_link_raw(void **state)
{
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    n = ip_datagram(4, f);
    assert_int_equal(run(f, n, LINK_RAW), DECODE_EV_MAX);
    check_tcp_decoded(4);
    assert_int_equal(run(f, n, LINK_RAW_ALT), DECODE_EV_MAX);
    check_tcp_decoded(4);
    assert_int_equal(run(f, n, LINK_IPV4), DECODE_EV_MAX);
    check_tcp_decoded(4);
    assert_int_equal(st.layer[DECODE_LAYER_RAW], 2);

    n = ip_datagram(6, f);
    assert_int_equal(run(f, n, LINK_RAW), DECODE_EV_MAX);
    check_tcp_decoded(6);
    assert_int_equal(run(f, n, LINK_IPV6), DECODE_EV_MAX);
    check_tcp_decoded(6);
    assert_int_equal(st.layer[DECODE_LAYER_RAW], 3);

    assert_int_equal(run(f, 0, LINK_RAW), DECODE_EV_LINK_TRUNCATED);
    assert_int_equal(run(f, n, 147), DECODE_EV_LINK_UNSUPPORTED);
    assert_int_equal(st.event[DECODE_EV_LINK_UNSUPPORTED], 1);
    assert_int_equal(st.invalid, 2);
}

static void test_link_supported(void **state)
{
    static const int yes[] = {LINK_NULL,      LINK_EN10MB, LINK_RAW,  LINK_RAW_ALT,   LINK_LOOP,
                              LINK_LINUX_SLL, LINK_IPV4,   LINK_IPV6, LINK_LINUX_SLL2};
    static const int no[] = {-1, 2, 9, 105, 127, 147, 192, 1000};

    (void)state;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        assert_true(decode_link_supported(yes[i]));
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        assert_false(decode_link_supported(no[i]));
    }
}

/* Ethernet, PPPoE session (RFC 2516), PPP protocol 0x0021, IPv4/TCP. */
static size_t frame_pppoe(uint8_t *out)
{
    size_t iplen;

    memcpy(out, MAC_B, 6);
    memcpy(out + 6, MAC_A, 6);
    put16(out + 12, 0x8864);
    out[14] = 0x11;
    out[15] = 0x00;
    put16(out + 16, 0x1234);
    iplen = ip_datagram(4, out + 22);
    put16(out + 18, (uint16_t)(iplen + 2));
    put16(out + 20, 0x0021);
    return 22 + iplen;
}

static void test_pppoe(void **state)
{
    uint8_t f[FRAME_CAP];
    size_t n;

    (void)state;
    n = frame_pppoe(f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.family, 4);
    assert_int_equal(pk.sport, 40000);
    assert_int_equal(pk.payload_len, PAYLOAD_LEN);
    assert_int_equal(st.layer[DECODE_LAYER_PPPOE], 1);
    assert_int_equal(st.layer[DECODE_LAYER_TCP], 1);

    /* PPP IPv6 (0x0057). */
    put16(f + 20, 0x0057);
    n = 22 + ip_datagram(6, f + 22);
    put16(f + 18, (uint16_t)(n - 20));
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.family, 6);
    assert_int_equal(pk.dport, 80);

    /* LCP (0xc021): not decoded, not an error. */
    put16(f + 20, 0xc021);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.family, 0);
    assert_int_equal(st.layer[DECODE_LAYER_PPPOE], 3);

    /* Wrong version/type, then a header cut short. */
    n = frame_pppoe(f);
    f[14] = 0x21;
    assert_int_equal(run_eth(f, n), DECODE_EV_PPPOE_MALFORMED);
    f[14] = 0x11;
    assert_int_equal(run_eth(f, 21), DECODE_EV_PPPOE_TRUNCATED);
    assert_int_equal(st.event[DECODE_EV_PPPOE_MALFORMED], 1);
    assert_int_equal(st.event[DECODE_EV_PPPOE_TRUNCATED], 1);
}

/* --- names and counters -------------------------------------------------- */

static void test_event_names(void **state)
{
    static const struct {
        enum decode_event ev;
        const char *name;
    } names[] = {
        {DECODE_EV_LINK_UNSUPPORTED, "link.unsupported"},
        {DECODE_EV_LINK_TRUNCATED, "link.pkt_too_small"},
        {DECODE_EV_ETH_TRUNCATED, "ethernet.pkt_too_small"},
        {DECODE_EV_VLAN_TRUNCATED, "vlan.header_too_small"},
        {DECODE_EV_VLAN_TOO_MANY, "vlan.too_many_layers"},
        {DECODE_EV_PPPOE_TRUNCATED, "pppoe.pkt_too_small"},
        {DECODE_EV_PPPOE_MALFORMED, "pppoe.wrong_type"},
        {DECODE_EV_ARP_TRUNCATED, "arp.pkt_too_small"},
        {DECODE_EV_ARP_MALFORMED, "arp.invalid"},
        {DECODE_EV_IPV4_TRUNCATED, "ipv4.pkt_too_small"},
        {DECODE_EV_IPV4_BAD_VERSION, "ipv4.wrong_ip_version"},
        {DECODE_EV_IPV4_HLEN_TOO_SMALL, "ipv4.hlen_too_small"},
        {DECODE_EV_IPV4_IPLEN_BAD, "ipv4.iplen_smaller_than_hlen"},
        {DECODE_EV_IPV4_TRUNC_PKT, "ipv4.trunc_pkt"},
        {DECODE_EV_IPV4_OPT_INVALID, "ipv4.opt_invalid_len"},
        {DECODE_EV_IPV4_FRAG_BAD, "ipv4.frag_invalid"},
        {DECODE_EV_IPV6_TRUNCATED, "ipv6.pkt_too_small"},
        {DECODE_EV_IPV6_BAD_VERSION, "ipv6.wrong_ip_version"},
        {DECODE_EV_IPV6_TRUNC_PKT, "ipv6.trunc_pkt"},
        {DECODE_EV_IPV6_EXTHDR_TRUNC, "ipv6.trunc_exthdr"},
        {DECODE_EV_IPV6_EXTHDR_TOO_MANY, "ipv6.exthdr_too_many"},
        {DECODE_EV_TCP_TRUNCATED, "tcp.pkt_too_small"},
        {DECODE_EV_TCP_HLEN_BAD, "tcp.hlen_too_small"},
        {DECODE_EV_TCP_OPT_INVALID, "tcp.opt_invalid_len"},
        {DECODE_EV_UDP_TRUNCATED, "udp.pkt_too_small"},
        {DECODE_EV_UDP_LEN_BAD, "udp.hlen_invalid"},
        {DECODE_EV_SCTP_TRUNCATED, "sctp.pkt_too_small"},
        {DECODE_EV_ICMPV4_TRUNCATED, "icmpv4.pkt_too_small"},
        {DECODE_EV_ICMPV6_TRUNCATED, "icmpv6.pkt_too_small"},
        {DECODE_EV_ICMPV6_ON_IPV4, "icmpv6.ipv4_proto"},
    };

    (void)state;
    assert_int_equal(sizeof(names) / sizeof(names[0]), DECODE_EV_MAX);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_string_equal(decode_event_name(names[i].ev), names[i].name);
    }
    assert_string_equal(decode_event_name(DECODE_EV_MAX), "none");
    assert_string_equal(decode_event_name((enum decode_event)(DECODE_EV_MAX + 7)), "none");

    assert_string_equal(decode_layer_name(DECODE_LAYER_ETHERNET), "ethernet");
    assert_string_equal(decode_layer_name(DECODE_LAYER_VLAN_QINQ), "vlan_qinq");
    assert_string_equal(decode_layer_name(DECODE_LAYER_NULL_LOOP), "null");
    assert_string_equal(decode_layer_name(DECODE_LAYER_IPV6_FRAG), "ipv6_frag");
    assert_string_equal(decode_layer_name(DECODE_LAYER_OTHER_L4), "other_l4");
    assert_string_equal(decode_layer_name(DECODE_LAYER_MAX), "none");
}

/* Fields of one packet must not leak into the next. */
static void test_no_stale_fields(void **state)
{
    struct pkt_spec s;
    uint8_t f[FRAME_CAP];
    static const uint8_t opts[4] = {2, 4, 0x05, 0xb4};
    size_t n;

    (void)state;
    spec_base(&s, 4, 6);
    s.n_vlan = 2;
    s.vlan[0] = 5;
    s.vlan[1] = 6;
    s.tcp_opts = opts;
    s.tcp_opts_len = 4;
    n = build(&s, f);
    assert_int_equal(run_eth(f, n), DECODE_EV_MAX);
    assert_int_equal(pk.tcp_opts, TCP_OPT_MSS_SEEN);

    /* Decode the next packet into the same record, as the engine does. */
    spec_base(&s, 4, 17);
    n = build(&s, f);
    {
        uint8_t *copy = malloc(n);

        assert_non_null(copy);
        memcpy(copy, f, n);
        pk.data = copy;
        pk.caplen = pk.wirelen = (uint32_t)n;
        assert_int_equal(decode_packet(&st, &pk), DECODE_EV_MAX);
        assert_int_equal(pk.n_vlan, 0);
        assert_int_equal(pk.vlan[0], 0);
        assert_int_equal(pk.vlan[1], 0);
        assert_int_equal(pk.tcp_opts, 0);
        assert_int_equal(pk.tcp_flags, 0);
        assert_int_equal(pk.ip_proto, 17);
        assert_int_equal(pk.flags, PKT_HAS_L4);

        /* And an ARP packet after it has no IP family. */
        pk.data = arp_request;
        pk.caplen = pk.wirelen = sizeof(arp_request);
        assert_int_equal(decode_packet(&st, &pk), DECODE_EV_MAX);
        assert_int_equal(pk.family, 0);
        assert_int_equal(pk.sport, 0);
        assert_null(pk.payload);
        assert_int_equal(pk.flags, PKT_ARP);
        free(copy);
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, reset_stats, free_held)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_eth_ipv4_tcp),
        T(test_eth_ipv6_udp),
        T(test_ethernet_padding_ignored),
        T(test_other_ethertype_and_l4),
        T(test_prefixes_ipv4_tcp_unsnapped),
        T(test_prefixes_ipv4_tcp_snapped),
        T(test_prefixes_ipv6_udp),
        T(test_prefixes_many_frames),
        T(test_vlan_single),
        T(test_vlan_qinq),
        T(test_vlan_too_many),
        T(test_arp),
        T(test_arp_malformed),
        T(test_ipv4_options),
        T(test_ipv4_bad_option_length),
        T(test_ipv4_bad_header),
        T(test_ipv4_total_length_vs_capture),
        T(test_ipv4_fragments),
        T(test_ipv6_ext_chain),
        T(test_ipv6_later_fragment),
        T(test_ipv6_ext_truncated),
        T(test_ipv6_ext_too_many),
        T(test_ipv6_bad),
        T(test_tcp_options),
        T(test_tcp_option_bad_length),
        T(test_tcp_bad_offset),
        T(test_udp_length),
        T(test_icmp),
        T(test_icmpv6_on_ipv4),
        T(test_link_sll),
        T(test_link_sll2),
        T(test_link_null),
        T(test_link_raw),
        T(test_link_supported),
        T(test_pppoe),
        T(test_event_names),
        T(test_no_stale_fields),
    };

    return cmocka_run_group_tests_name("test_decode", tests, NULL, NULL);
}
