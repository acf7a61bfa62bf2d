/* SPDX-License-Identifier: MIT */
/*
 * pcapgen_cases: small captures that each exercise one behaviour of the
 * packet path, for tests/pcap/<case>/. `pcapgen case list` names them.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "pcapgen.h"
#include "pktbuild.h"

#define CASE_T0_US 1764547200000000ull /* 2025-12-01T00:00:00Z */
#define US 1000000ull

struct case_out {
    pcap_t *dead;
    pcap_dumper_t *dump;
    uint8_t frame[PKT_FRAME_MAX];
};

static void emit_raw(struct case_out *o, uint64_t ts_us, const uint8_t *frame, size_t len,
                     size_t wirelen)
{
    struct pcap_pkthdr h;

    h.ts.tv_sec = (time_t)(ts_us / US);
    h.ts.tv_usec = (suseconds_t)(ts_us % US);
    h.caplen = (bpf_u_int32)len;
    h.len = (bpf_u_int32)wirelen;
    pcap_dump((u_char *)o->dump, &h, frame);
}

static void emit(struct case_out *o, uint64_t ts_us, const struct pkt_spec *s)
{
    size_t len = pkt_build(s, o->frame, sizeof(o->frame));

    if (len > 0) {
        emit_raw(o, ts_us, o->frame, len, len);
    }
}

/* A TCP endpoint pair with running sequence numbers. */
struct tcp_conv {
    struct pkt_spec c2s, s2c;
    uint32_t cseq, sseq;
};

static void conv_init(struct tcp_conv *cv, const char *cip, uint16_t cport, const char *sip,
                      uint16_t sport)
{
    static const uint8_t cmac[6] = {0x02, 0, 0, 0, 0, 0x01};
    static const uint8_t smac[6] = {0x02, 0, 0, 0, 0, 0x02};

    memset(cv, 0, sizeof(*cv));
    cv->c2s.family = strchr(cip, ':') != NULL ? 6 : 4;
    if (cv->c2s.family == 6) {
        pkt_ip6(cv->c2s.src_ip, cip);
        pkt_ip6(cv->c2s.dst_ip, sip);
    } else {
        pkt_ip4(cv->c2s.src_ip, cip);
        pkt_ip4(cv->c2s.dst_ip, sip);
    }
    memcpy(cv->c2s.src_mac, cmac, 6);
    memcpy(cv->c2s.dst_mac, smac, 6);
    cv->c2s.proto = 6;
    cv->c2s.sport = cport;
    cv->c2s.dport = sport;
    cv->s2c = cv->c2s;
    memcpy(cv->s2c.src_ip, cv->c2s.dst_ip, 16);
    memcpy(cv->s2c.dst_ip, cv->c2s.src_ip, 16);
    memcpy(cv->s2c.src_mac, smac, 6);
    memcpy(cv->s2c.dst_mac, cmac, 6);
    cv->s2c.sport = sport;
    cv->s2c.dport = cport;
    cv->cseq = 1000;
    cv->sseq = 5000;
}

/* Sends a segment one way and advances that side's sequence number. */
static void conv_send(struct case_out *o, struct tcp_conv *cv, int to_client, uint64_t ts,
                      uint8_t flags, const char *data)
{
    struct pkt_spec *s = to_client ? &cv->s2c : &cv->c2s;
    uint32_t *seq = to_client ? &cv->sseq : &cv->cseq;
    uint32_t *peer = to_client ? &cv->cseq : &cv->sseq;

    s->tcp_flags = flags;
    s->seq = *seq;
    s->ack = (flags & 0x10) ? *peer : 0;
    s->payload = (const uint8_t *)data;
    s->payload_len = data != NULL ? strlen(data) : 0;
    emit(o, ts, s);
    *seq += (uint32_t)s->payload_len + ((flags & 0x03) ? 1 : 0);
}

/* SYN, SYN-ACK, ACK, a request and reply, FIN both ways, last ACK. */
static void tcp_session(struct case_out *o, struct tcp_conv *cv, uint64_t t)
{
    conv_send(o, cv, 0, t, 0x02, NULL);
    conv_send(o, cv, 1, t + 1000, 0x12, NULL);
    conv_send(o, cv, 0, t + 2000, 0x10, NULL);
    conv_send(o, cv, 0, t + 3000, 0x18, "GET / HTTP/1.1\r\nHost: pacs\r\n\r\n");
    conv_send(o, cv, 1, t + 4000, 0x18, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    conv_send(o, cv, 0, t + 5000, 0x11, NULL);
    conv_send(o, cv, 1, t + 6000, 0x11, NULL);
    conv_send(o, cv, 0, t + 7000, 0x10, NULL);
}

static void case_tcp_session(struct case_out *o)
{
    struct tcp_conv cv;

    conv_init(&cv, "10.1.0.20", 40000, "10.1.0.5", 80);
    tcp_session(o, &cv, CASE_T0_US);
}

/* The same 5-tuple untagged, on VLAN 10, and on stacked VLANs 100/200. */
static void case_vlan(struct case_out *o)
{
    struct tcp_conv cv;

    conv_init(&cv, "10.2.0.20", 40001, "10.2.0.5", 2575);
    tcp_session(o, &cv, CASE_T0_US);
    conv_init(&cv, "10.2.0.20", 40001, "10.2.0.5", 2575);
    cv.c2s.n_vlan = cv.s2c.n_vlan = 1;
    cv.c2s.vlan[0] = cv.s2c.vlan[0] = 10;
    tcp_session(o, &cv, CASE_T0_US + US);
    conv_init(&cv, "10.2.0.20", 40001, "10.2.0.5", 2575);
    cv.c2s.n_vlan = cv.s2c.n_vlan = 2;
    cv.c2s.vlan[0] = cv.s2c.vlan[0] = 100;
    cv.c2s.vlan[1] = cv.s2c.vlan[1] = 200;
    tcp_session(o, &cv, CASE_T0_US + 2 * US);
}

/* UDP over IPv6 through hop-by-hop and destination options headers. */
static void case_ipv6_ext(struct case_out *o)
{
    static const uint8_t ext[16] = {60, 0, 1, 4, 0, 0, 0, 0, /* hop-by-hop, PadN */
                                    17, 0, 1, 4, 0, 0, 0, 0}; /* dest opts, PadN */
    struct pkt_spec s = {0};

    s.family = 6;
    pkt_ip6(s.src_ip, "2001:db8::10");
    pkt_ip6(s.dst_ip, "2001:db8::1");
    s.proto = 17;
    s.sport = 5353;
    s.dport = 5353;
    s.ext = ext;
    s.ext_len = sizeof(ext);
    s.ext_first = 0;
    s.payload = (const uint8_t *)"mdns";
    s.payload_len = 4;
    emit(o, CASE_T0_US, &s);
}

/* One UDP datagram in three IPv4 fragments. */
static void case_fragments(struct case_out *o)
{
    uint8_t data[64];
    struct pkt_spec s = {0};

    memset(data, 'x', sizeof(data));
    s.family = 4;
    pkt_ip4(s.src_ip, "10.3.0.20");
    pkt_ip4(s.dst_ip, "10.3.0.5");
    s.proto = 17;
    s.sport = 514;
    s.dport = 514;
    s.ip_id = 77;
    s.more_fragments = true;
    s.payload = data;
    s.payload_len = 16; /* with the 8-byte UDP header: 24 bytes, 3 units */
    emit(o, CASE_T0_US, &s);
    s.no_l4_header = true;
    s.frag_offset = 3;
    s.payload_len = 24;
    emit(o, CASE_T0_US + 10, &s);
    s.frag_offset = 6;
    s.more_fragments = false;
    emit(o, CASE_T0_US + 20, &s);
}

/* One good frame, then one of each kind of damage the decoder must count. */
static void case_malformed(struct case_out *o)
{
    static const uint8_t bad_tcp_opt[4] = {2, 9, 0, 0}; /* MSS with length 9 */
    struct tcp_conv cv;
    size_t len;
    uint64_t t = CASE_T0_US;

    conv_init(&cv, "10.4.0.20", 40002, "10.4.0.5", 104);
    conv_send(o, &cv, 0, t, 0x02, NULL);
    len = pkt_build(&cv.c2s, o->frame, sizeof(o->frame));

    /* IPv4 total length beyond the frame (not a snap-length cut). */
    o->frame[14 + 2] = 0x05;
    emit_raw(o, t + 1 * US, o->frame, len, len);
    /* Header length field below 20 bytes. */
    len = pkt_build(&cv.c2s, o->frame, sizeof(o->frame));
    o->frame[14] = 0x44;
    emit_raw(o, t + 2 * US, o->frame, len, len);
    /* TCP data offset below 5 words. */
    len = pkt_build(&cv.c2s, o->frame, sizeof(o->frame));
    o->frame[14 + 20 + 12] = 0x30;
    emit_raw(o, t + 3 * US, o->frame, len, len);
    /* An option whose length runs past the header. */
    cv.c2s.tcp_opts = bad_tcp_opt;
    cv.c2s.tcp_opts_len = sizeof(bad_tcp_opt);
    emit(o, t + 4 * US, &cv.c2s);
    cv.c2s.tcp_opts_len = 0;
    /* A frame cut inside the Ethernet header, and one inside IPv4. */
    emit_raw(o, t + 5 * US, o->frame, 10, 10);
    emit_raw(o, t + 6 * US, o->frame, 14 + 12, 14 + 12);
    /* Snap-length cut: fewer bytes captured than were on the wire; not malformed. */
    len = pkt_build(&cv.c2s, o->frame, sizeof(o->frame));
    emit_raw(o, t + 7 * US, o->frame, 14 + 20 + 20, len + 100);
}

/* UDP packets 40 s apart: the 30 s timeout for one-way flows splits them. */
static void case_timeouts(struct case_out *o)
{
    struct pkt_spec s = {0};

    s.family = 4;
    pkt_ip4(s.src_ip, "10.5.0.20");
    pkt_ip4(s.dst_ip, "10.5.0.5");
    s.proto = 17;
    s.sport = 123;
    s.dport = 123;
    s.payload = (const uint8_t *)"ntp-poll";
    s.payload_len = 8;
    emit(o, CASE_T0_US, &s);
    emit(o, CASE_T0_US + 40 * US, &s);
    emit(o, CASE_T0_US + 45 * US, &s);
    /* A later packet of another flow moves capture time past the timeout. */
    s.sport = 124;
    emit(o, CASE_T0_US + 100 * US, &s);
}

/* 2000 one-packet UDP flows at once: a small flow memcap must evict. */
static void case_eviction(struct case_out *o)
{
    struct pkt_spec s = {0};

    s.family = 4;
    pkt_ip4(s.src_ip, "10.6.0.20");
    pkt_ip4(s.dst_ip, "10.6.0.5");
    s.proto = 17;
    s.dport = 514;
    s.payload = (const uint8_t *)"<14>hello";
    s.payload_len = 9;
    for (unsigned i = 0; i < 2000; i++) {
        s.sport = (uint16_t)(20000 + i);
        emit(o, CASE_T0_US + i * 1000ull, &s);
    }
}

/* One UDP flow busy for 100 s, a packet every 5 s. */
static void case_lifetime(struct case_out *o)
{
    struct pkt_spec s = {0};

    s.family = 4;
    pkt_ip4(s.src_ip, "10.7.0.20");
    pkt_ip4(s.dst_ip, "10.7.0.5");
    s.proto = 17;
    s.sport = 1883;
    s.dport = 1883;
    s.payload = (const uint8_t *)"vitals";
    s.payload_len = 6;
    for (unsigned i = 0; i <= 20; i++) {
        emit(o, CASE_T0_US + i * 5 * US, &s);
    }
}

/* ICMP echo request and reply, then an ICMPv6 echo pair. */
static void case_icmp(struct case_out *o)
{
    struct pkt_spec s = {0};

    s.family = 4;
    pkt_ip4(s.src_ip, "192.168.0.89");
    pkt_ip4(s.dst_ip, "192.168.0.1");
    s.proto = 1;
    s.icmp_type = 8;
    s.payload = (const uint8_t *)"ping";
    s.payload_len = 4;
    emit(o, CASE_T0_US, &s);
    pkt_ip4(s.src_ip, "192.168.0.1");
    pkt_ip4(s.dst_ip, "192.168.0.89");
    s.icmp_type = 0;
    emit(o, CASE_T0_US + 500, &s);
    s.family = 6;
    pkt_ip6(s.src_ip, "fe80::1");
    pkt_ip6(s.dst_ip, "fe80::2");
    s.proto = 58;
    s.icmp_type = 128;
    emit(o, CASE_T0_US + 1000, &s);
}

struct case_def {
    const char *name;
    void (*fn)(struct case_out *o);
};

static const struct case_def cases[] = {
    {"tcp-session", case_tcp_session}, {"vlan", case_vlan},
    {"ipv6-ext", case_ipv6_ext},       {"fragments", case_fragments},
    {"malformed", case_malformed},     {"timeouts", case_timeouts},
    {"eviction", case_eviction},       {"lifetime", case_lifetime},
    {"icmp", case_icmp},
};

int pcapgen_case(int argc, char **argv)
{
    struct case_out o;
    const struct case_def *c = NULL;

    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            printf("%s\n", cases[i].name);
        }
        return 0;
    }
    for (size_t i = 0; argc == 3 && i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (strcmp(argv[1], cases[i].name) == 0) {
            c = &cases[i];
        }
    }
    if (c == NULL) {
        fprintf(stderr, "usage: pcapgen case NAME FILE | pcapgen case list\n");
        return 1;
    }
    o.dead = pcap_open_dead(DLT_EN10MB, 65535);
    o.dump = o.dead != NULL ? pcap_dump_open(o.dead, argv[2]) : NULL;
    if (o.dump == NULL) {
        fprintf(stderr, "pcapgen: cannot write %s: %s\n", argv[2],
                o.dead != NULL ? pcap_geterr(o.dead) : "out of memory");
        return 1;
    }
    c->fn(&o);
    pcap_dump_close(o.dump);
    pcap_close(o.dead);
    return 0;
}
