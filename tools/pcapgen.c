/* SPDX-License-Identifier: MIT */
/*
 * pcapgen: `pcapgen bench` writes a large, deterministic capture of mixed
 * enterprise traffic for bench/; `pcapgen case` (pcapgen_cases.c) writes the
 * small regression captures.
 *
 * The bench capture keeps a few thousand sessions open at once and picks
 * which one speaks next at random, so flows interleave as on a busy link.
 * Each session is a small state machine: TCP (handshake, request/response
 * exchanges, FIN or RST teardown, some left open or refused), DNS and NTP
 * query/response pairs, one-way syslog, ICMP echo. A few sessions run over
 * IPv6 or carry an 802.1Q tag. Sequence and acknowledgement numbers are
 * consistent per direction, so a reassembler sees in-order streams.
 * Capture time rises by a few tens of microseconds per packet, so the
 * default run spans about four minutes and flow timeouts fire.
 */
#include "pcapgen.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pktbuild.h"

#define BENCH_PACKETS_DEFAULT 5000000u
#define BENCH_PACKETS_MAX 2000000000u
#define BENCH_HOSTS_DEFAULT 400u
#define BENCH_HOSTS_MIN 20u
#define BENCH_HOSTS_MAX 60000u
#define BENCH_ACTIVE_DEFAULT 3000u /* sessions open at once */
#define BENCH_ACTIVE_MAX 1000000u
#define BENCH_SECONDS_DEFAULT 240u /* capture time the file spans */
#define BENCH_SECONDS_MAX 86400u
#define BENCH_SEED_DEFAULT 1u
#define BENCH_START_S 1705309200u /* 2024-01-15 09:00:00 UTC */
#define BENCH_SNAPLEN 65535
#define BENCH_STDIO_BUF (1u << 20)

#define SERVER_EVERY 10u /* every tenth internal host is a server */
#define EXT_HOSTS 254u   /* per external /24 */
#define MSS 1448u        /* TCP payload per full segment (timestamps-sized MSS) */
#define POOL_LEN 65536u  /* filler bytes payloads are cut from */
#define HDR_TEXT_MAX 512u
#define EPHEMERAL_BASE 32768u
#define EPHEMERAL_SPAN 28000u
#define ACK_EVERY 2u /* the receiver ACKs every second full segment */
#define VLAN_BASE 100u
#define VLAN_SPAN 8u

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

/* Percent of sessions that get each variant. */
#define PCT_IPV6 2u
#define PCT_VLAN 1u
#define PCT_RST_CLOSE 8u
#define PCT_LEFT_OPEN 3u
#define PCT_BURST_STAY 75u /* a sender in the middle of a bulk reply keeps the link */

/* Session kinds and their weights out of WEIGHT_TOTAL. */
enum sess_kind {
    K_TCP_INT,
    K_TCP_OUT,
    K_TCP_IN,
    K_TCP_REFUSED,
    K_DNS,
    K_NTP,
    K_SYSLOG,
    K_ICMP,
    K_MAX
};
static const unsigned kind_weight[K_MAX] = {38, 16, 5, 3, 26, 3, 6, 3};
#define WEIGHT_TOTAL 100u

/* Services an internal server offers, chosen by its index. */
enum service { SVC_HTTP, SVC_HTTPS, SVC_SSH, SVC_SMB, SVC_DB, SVC_MAX };
static const uint16_t svc_port[SVC_MAX] = {80, 443, 22, 445, 5432};

enum tcp_state {
    T_SYN,
    T_SYNACK,
    T_ACK,
    T_REQ,
    T_RESP,
    T_FIN1,
    T_FIN2,
    T_LASTACK,
    T_RST,
    T_REFUSE,
    T_DONE
};

struct rng {
    uint64_t s;
};

struct session {
    uint8_t kind, state, family, n_vlan;
    uint8_t service;
    uint8_t closer;    /* 0 client, 1 server: who ends the session */
    uint8_t first_seg; /* the next response segment is the first */
    uint8_t ack_due;   /* TCP: segments not yet ACKed; UDP/ICMP: 1 if a reply is due */
    uint16_t vlan;
    uint16_t cport, sport;
    uint8_t cip[16], sip[16];
    uint8_t cmac[6], smac[6];
    uint32_t cseq, sseq;  /* next sequence number each side sends */
    uint32_t left;        /* bytes left in the message being sent */
    uint32_t n_exchanges; /* request/response pairs (or datagrams) left */
    uint16_t dns_id;      /* DNS transaction id; also varies ICMP and syslog text */
};

struct gen {
    struct rng rng;
    struct session *sess;
    uint32_t n_active, n_hosts;
    uint16_t *next_port; /* per internal host, its next ephemeral port */
    uint8_t pool[POOL_LEN];
    uint8_t payload[PKT_FRAME_MAX];
    uint8_t frame[PKT_FRAME_MAX];
    pcap_dumper_t *dump;
    uint64_t ts_us, gap_us;
    uint64_t n_pkts, n_bytes, n_sessions[K_MAX];
};

struct bench_opts {
    const char *out;
    uint64_t packets, hosts, active, seconds, seed;
};

/* splitmix64: small, fast, good enough for traffic shapes. */
static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static uint32_t rng_range(struct rng *r, uint32_t lo, uint32_t hi)
{
    return lo + (uint32_t)(rng_next(r) % ((uint64_t)hi - lo + 1));
}

static int rng_pct(struct rng *r, unsigned pct)
{
    return rng_next(r) % 100 < pct;
}

/* Internal host i: 10.(1 + i / 62500).(i / 250 % 250).(1 + i % 250), fd00:10::i+1. */
static void host_addr(uint32_t i, int family, uint8_t *ip, uint8_t *mac)
{
    memset(ip, 0, 16);
    if (family == 4) {
        ip[0] = 10;
        ip[1] = (uint8_t)(1 + i / 62500);
        ip[2] = (uint8_t)(i / 250 % 250);
        ip[3] = (uint8_t)(1 + i % 250);
    } else {
        ip[0] = 0xfd;
        ip[3] = 0x10;
        ip[12] = (uint8_t)((i + 1) >> 24);
        ip[13] = (uint8_t)((i + 1) >> 16);
        ip[14] = (uint8_t)((i + 1) >> 8);
        ip[15] = (uint8_t)(i + 1);
    }
    mac[0] = 0x02;
    mac[1] = 0x00;
    mac[2] = (uint8_t)(i >> 24);
    mac[3] = (uint8_t)(i >> 16);
    mac[4] = (uint8_t)(i >> 8);
    mac[5] = (uint8_t)i;
}

/* External host: 198.51.100.x or 203.0.113.x, 2001:db8::/32; behind the router's MAC. */
static void ext_addr(struct rng *r, int family, uint8_t *ip, uint8_t *mac)
{
    static const uint8_t router[6] = {0x02, 0xfe, 0x00, 0x00, 0x00, 0x01};
    uint32_t x = rng_range(r, 1, EXT_HOSTS);

    memset(ip, 0, 16);
    if (family == 4) {
        ip[0] = rng_pct(r, 50) ? 198 : 203;
        ip[1] = ip[0] == 198 ? 51 : 0;
        ip[2] = ip[0] == 198 ? 100 : 113;
        ip[3] = (uint8_t)x;
    } else {
        ip[0] = 0x20;
        ip[1] = 0x01;
        ip[2] = 0x0d;
        ip[3] = 0xb8;
        ip[15] = (uint8_t)x;
    }
    memcpy(mac, router, 6);
}

static uint32_t pick_server(struct gen *g)
{
    uint32_t n_servers = g->n_hosts / SERVER_EVERY;

    return rng_range(&g->rng, 0, n_servers - 1) * SERVER_EVERY;
}

/* Any internal host but srv, so no session talks to itself. */
static uint32_t pick_client(struct gen *g, uint32_t srv)
{
    uint32_t c = rng_range(&g->rng, 0, g->n_hosts - 1);

    return c == srv ? (c + 1) % g->n_hosts : c;
}

static uint16_t ephemeral_port(struct gen *g, uint32_t host)
{
    uint16_t p = (uint16_t)(EPHEMERAL_BASE + g->next_port[host] % EPHEMERAL_SPAN);

    g->next_port[host]++;
    return p;
}

/* Response size in bytes for one exchange; most are small, some bulk. */
static uint32_t response_size(struct gen *g, uint8_t service)
{
    uint32_t roll = rng_range(&g->rng, 0, 99);

    if (service == SVC_SSH) {
        return rng_range(&g->rng, 36, 400);
    }
    if (roll < 65) {
        return rng_range(&g->rng, 80, 1400);
    }
    if (roll < 93) {
        return rng_range(&g->rng, 1400, 12000);
    }
    return rng_range(&g->rng, 12000, 120000);
}

static uint32_t request_size(struct gen *g, uint8_t service)
{
    if (service == SVC_SSH) {
        return rng_range(&g->rng, 36, 120);
    }
    return rng_range(&g->rng, 60, 700);
}

/* Endpoints of a TCP session of the given kind. */
static void tcp_endpoints(struct gen *g, struct session *s)
{
    uint32_t srv = pick_server(g), cli = pick_client(g, srv);

    s->service = (uint8_t)(srv / SERVER_EVERY % SVC_MAX);
    if (s->kind == K_TCP_OUT) {
        s->service = rng_pct(&g->rng, 70) ? SVC_HTTPS : SVC_HTTP;
        host_addr(cli, s->family, s->cip, s->cmac);
        ext_addr(&g->rng, s->family, s->sip, s->smac);
    } else if (s->kind == K_TCP_IN) {
        s->service = rng_pct(&g->rng, 50) ? SVC_HTTPS : SVC_SSH;
        ext_addr(&g->rng, s->family, s->cip, s->cmac);
        host_addr(srv, s->family, s->sip, s->smac);
    } else {
        host_addr(cli, s->family, s->cip, s->cmac);
        host_addr(srv, s->family, s->sip, s->smac);
    }
    s->cport = ephemeral_port(g, cli);
    s->sport = svc_port[s->service];
    if (s->kind == K_TCP_REFUSED) {
        s->sport = (uint16_t)rng_range(&g->rng, 1, 1023);
    }
}

static void tcp_init(struct gen *g, struct session *s)
{
    tcp_endpoints(g, s);
    s->state = T_SYN;
    s->cseq = (uint32_t)rng_next(&g->rng);
    s->sseq = (uint32_t)rng_next(&g->rng);
    s->closer = (uint8_t)rng_pct(&g->rng, 40);
    if (s->kind == K_TCP_REFUSED) {
        s->n_exchanges = rng_pct(&g->rng, 50) ? 0 : rng_range(&g->rng, 1, 2);
    } else if (s->service == SVC_SSH) {
        s->n_exchanges = rng_range(&g->rng, 8, 60);
    } else {
        s->n_exchanges = rng_range(&g->rng, 1, 6);
    }
}

/* Endpoints and counts of a UDP or ICMP session. */
static void dgram_init(struct gen *g, struct session *s)
{
    uint32_t srv = pick_server(g), cli = pick_client(g, srv);

    host_addr(cli, s->family, s->cip, s->cmac);
    if (s->kind == K_DNS && rng_pct(&g->rng, 30)) {
        ext_addr(&g->rng, s->family, s->sip, s->smac);
    } else {
        host_addr(srv, s->family, s->sip, s->smac);
    }
    s->cport = ephemeral_port(g, cli);
    s->dns_id = (uint16_t)rng_next(&g->rng);
    switch (s->kind) {
    case K_DNS:
        s->sport = 53;
        s->n_exchanges = rng_pct(&g->rng, 80) ? 1 : 2;
        break;
    case K_NTP:
        s->cport = 123;
        s->sport = 123;
        s->n_exchanges = 1;
        break;
    case K_SYSLOG:
        s->sport = 514;
        s->n_exchanges = rng_range(&g->rng, 1, 12);
        break;
    default:
        s->n_exchanges = rng_range(&g->rng, 1, 4);
        break;
    }
}

static enum sess_kind pick_kind(struct gen *g)
{
    uint32_t roll = rng_range(&g->rng, 0, WEIGHT_TOTAL - 1);
    int k = 0;

    while (k < K_MAX - 1 && roll >= kind_weight[k]) {
        roll -= kind_weight[k];
        k++;
    }
    return (enum sess_kind)k;
}

/* Replaces the session in slot s with a fresh one. */
static void session_new(struct gen *g, struct session *s)
{
    memset(s, 0, sizeof(*s));
    s->kind = (uint8_t)pick_kind(g);
    s->family = 4;
    if (s->kind != K_NTP && s->kind != K_SYSLOG && rng_pct(&g->rng, PCT_IPV6)) {
        s->family = 6;
    }
    if (rng_pct(&g->rng, PCT_VLAN)) {
        s->n_vlan = 1;
        s->vlan = (uint16_t)(VLAN_BASE + rng_range(&g->rng, 0, VLAN_SPAN - 1));
    }
    if (s->kind <= K_TCP_REFUSED) {
        tcp_init(g, s);
    } else {
        dgram_init(g, s);
    }
    g->n_sessions[s->kind]++;
}

/* Fills addresses and ports of sp for a packet from the client (dir 0) or server (1). */
static void spec_base(const struct session *s, int dir, uint8_t proto, struct pkt_spec *sp)
{
    memset(sp, 0, sizeof(*sp));
    memcpy(sp->src_mac, dir == 0 ? s->cmac : s->smac, 6);
    memcpy(sp->dst_mac, dir == 0 ? s->smac : s->cmac, 6);
    memcpy(sp->src_ip, dir == 0 ? s->cip : s->sip, 16);
    memcpy(sp->dst_ip, dir == 0 ? s->sip : s->cip, 16);
    sp->sport = dir == 0 ? s->cport : s->sport;
    sp->dport = dir == 0 ? s->sport : s->cport;
    sp->family = s->family;
    sp->proto = proto;
    sp->n_vlan = s->n_vlan;
    sp->vlan[0] = s->vlan;
    sp->ttl = dir == 0 ? 64 : 63;
}

/* A TCP segment from dir with len payload bytes; advances that side's sequence. */
static void tcp_seg(struct session *s, int dir, uint8_t flags, const uint8_t *data, size_t len,
                    struct pkt_spec *sp)
{
    static const uint8_t syn_opts[8] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2}; /* MSS, SACK ok */
    uint32_t *seq = dir == 0 ? &s->cseq : &s->sseq;

    spec_base(s, dir, 6, sp);
    sp->tcp_flags = flags;
    sp->seq = *seq;
    sp->ack = (flags & TH_ACK) ? (dir == 0 ? s->sseq : s->cseq) : 0;
    sp->win = (uint16_t)(dir == 0 ? 64240 : 65160);
    sp->payload = data;
    sp->payload_len = len;
    if (flags & TH_SYN) {
        sp->tcp_opts = syn_opts;
        sp->tcp_opts_len = sizeof(syn_opts);
    }
    *seq += (uint32_t)len + ((flags & (TH_SYN | TH_FIN)) ? 1u : 0u);
}

/* Filler bytes: a pointer into the pool, len <= MSS. */
static const uint8_t *filler(struct gen *g, size_t len)
{
    return g->pool + rng_range(&g->rng, 0, (uint32_t)(POOL_LEN - len - 1));
}

/* The first request segment: HTTP text for web servers, filler otherwise. */
static size_t request_seg(struct gen *g, struct session *s, const uint8_t **data)
{
    size_t len = s->left < MSS ? s->left : MSS;

    *data = filler(g, len);
    if (s->service == SVC_HTTP) {
        int n = snprintf((char *)g->payload, HDR_TEXT_MAX,
                         "GET /app/%u/item?id=%u HTTP/1.1\r\nHost: intranet.example\r\n"
                         "User-Agent: bench/1.0\r\nAccept: */*\r\n\r\n",
                         (unsigned)(s->cport % 97), (unsigned)s->n_exchanges);

        len = (size_t)n;
        s->left = (uint32_t)n;
        *data = g->payload;
    }
    return len;
}

/* The next response segment; the first carries an HTTP header for web servers. */
static size_t response_seg(struct gen *g, struct session *s, const uint8_t **data)
{
    size_t hdr = 0, len;

    if (s->first_seg && s->service == SVC_HTTP) {
        int n = snprintf((char *)g->payload, HDR_TEXT_MAX,
                         "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                         "Content-Length: %u\r\n\r\n",
                         (unsigned)s->left);

        hdr = (size_t)n;
        s->left += (uint32_t)hdr;
    }
    s->first_seg = 0;
    len = s->left < MSS ? s->left : MSS;
    if (hdr == 0) {
        *data = filler(g, len);
        return len;
    }
    memcpy(g->payload + hdr, filler(g, len - hdr), len - hdr);
    *data = g->payload;
    return len;
}

/* After the last response segment: another exchange, or teardown. */
static void exchange_done(struct gen *g, struct session *s)
{
    s->n_exchanges--;
    if (s->n_exchanges > 0) {
        s->state = T_REQ;
        s->left = request_size(g, s->service);
        return;
    }
    if (rng_pct(&g->rng, PCT_LEFT_OPEN)) {
        s->state = T_DONE;
    } else if (rng_pct(&g->rng, PCT_RST_CLOSE)) {
        s->state = T_RST;
    } else {
        s->state = T_FIN1;
    }
}

/* A refused connection: the server resets, or the SYN is sent again unanswered. */
static void tcp_step_refuse(struct session *s, struct pkt_spec *sp)
{
    if (s->n_exchanges == 0) {
        tcp_seg(s, 1, TH_RST | TH_ACK, NULL, 0, sp);
        s->state = T_DONE;
        return;
    }
    s->cseq--;
    tcp_seg(s, 0, TH_SYN, NULL, 0, sp);
    s->n_exchanges--;
    if (s->n_exchanges == 0) {
        s->state = T_DONE;
    }
}

/* Handshake, refusal and teardown steps. */
static void tcp_step_control(struct gen *g, struct session *s, struct pkt_spec *sp)
{
    int closer = s->closer;

    switch (s->state) {
    case T_SYN:
        tcp_seg(s, 0, TH_SYN, NULL, 0, sp);
        s->state = s->kind == K_TCP_REFUSED ? T_REFUSE : T_SYNACK;
        break;
    case T_REFUSE:
        tcp_step_refuse(s, sp);
        break;
    case T_SYNACK:
        tcp_seg(s, 1, TH_SYN | TH_ACK, NULL, 0, sp);
        s->state = T_ACK;
        break;
    case T_ACK:
        tcp_seg(s, 0, TH_ACK, NULL, 0, sp);
        s->state = T_REQ;
        s->left = request_size(g, s->service);
        break;
    case T_FIN1:
        tcp_seg(s, closer, TH_FIN | TH_ACK, NULL, 0, sp);
        s->state = T_FIN2;
        break;
    case T_FIN2:
        tcp_seg(s, !closer, TH_FIN | TH_ACK, NULL, 0, sp);
        s->state = T_LASTACK;
        break;
    case T_LASTACK:
        tcp_seg(s, closer, TH_ACK, NULL, 0, sp);
        s->state = T_DONE;
        break;
    default:
        tcp_seg(s, closer, TH_RST | TH_ACK, NULL, 0, sp);
        s->state = T_DONE;
        break;
    }
}

/* Request and response data, with the receiver's ACKs. */
static void tcp_step_data(struct gen *g, struct session *s, struct pkt_spec *sp)
{
    const uint8_t *data;
    size_t len;

    if (s->state == T_REQ) {
        len = request_seg(g, s, &data);
        s->left -= (uint32_t)len;
        tcp_seg(s, 0, s->left == 0 ? TH_PSH | TH_ACK : TH_ACK, data, len, sp);
        if (s->left == 0) {
            s->state = T_RESP;
            s->left = response_size(g, s->service);
            s->first_seg = 1;
        }
        return;
    }
    if (s->ack_due >= ACK_EVERY || (s->left == 0 && s->ack_due > 0)) {
        tcp_seg(s, 0, TH_ACK, NULL, 0, sp);
        s->ack_due = 0;
        if (s->left == 0) {
            exchange_done(g, s);
        }
        return;
    }
    len = response_seg(g, s, &data);
    s->left -= (uint32_t)len;
    s->ack_due++;
    tcp_seg(s, 1, s->left == 0 ? TH_PSH | TH_ACK : TH_ACK, data, len, sp);
}

static void tcp_step(struct gen *g, struct session *s, struct pkt_spec *sp)
{
    if (s->state == T_REQ || s->state == T_RESP) {
        tcp_step_data(g, s, sp);
    } else {
        tcp_step_control(g, s, sp);
    }
}

/* A DNS query (dir 0) or its answer (dir 1), RFC 1035 wire format. */
static size_t dns_msg(struct gen *g, struct session *s, int dir)
{
    static const char *const names[] = {"\005intra\007example", "\004mail\007example",
                                        "\003ehr\010hospital\004test", "\003www\007example\003com"};
    static const uint8_t answer[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4};
    const char *name = names[(s->dns_id + s->n_exchanges) % 4];
    size_t name_len = strlen(name) + 1;
    uint8_t *p = g->payload;
    size_t off = 12;

    memset(p, 0, 12);
    p[0] = (uint8_t)(s->dns_id >> 8);
    p[1] = (uint8_t)s->dns_id;
    p[2] = dir == 0 ? 0x01 : 0x81;
    p[3] = dir == 0 ? 0x00 : 0x80;
    p[5] = 1;
    p[7] = (uint8_t)dir;
    memcpy(p + off, name, name_len);
    off += name_len;
    memcpy(p + off, "\x00\x01\x00\x01", 4);
    off += 4;
    if (dir == 1) {
        memcpy(p + off, answer, sizeof(answer));
        off += sizeof(answer);
        memcpy(p + off, s->sip, 2);
        p[off + 2] = (uint8_t)(s->dns_id >> 4);
        p[off + 3] = (uint8_t)(1 + s->dns_id % 250);
        off += 4;
    }
    return off;
}

/* One datagram of a UDP or ICMP session: a request, or the reply ack_due says is owed. */
static void dgram_step(struct gen *g, struct session *s, struct pkt_spec *sp)
{
    int dir = s->ack_due;
    uint8_t proto = s->kind == K_ICMP ? (s->family == 4 ? 1 : 58) : 17;
    size_t len;

    spec_base(s, dir, proto, sp);
    if (s->kind == K_DNS) {
        len = dns_msg(g, s, dir);
        sp->payload = g->payload;
    } else if (s->kind == K_SYSLOG) {
        int n = snprintf((char *)g->payload, HDR_TEXT_MAX,
                         "<134>Jan 15 09:00:00 host%u app[%u]: session %u ", (unsigned)s->cport,
                         (unsigned)s->dns_id, (unsigned)s->n_exchanges);

        len = (size_t)n + rng_range(&g->rng, 10, 200);
        memset(g->payload + n, 'x', len - (size_t)n);
        sp->payload = g->payload;
    } else {
        len = s->kind == K_NTP ? 48 : 56;
        sp->payload = filler(g, len);
        if (s->kind == K_ICMP) {
            sp->icmp_type = (uint8_t)(s->family == 4 ? (dir == 0 ? 8 : 0) : (dir == 0 ? 128 : 129));
        }
    }
    sp->payload_len = len;
    if (s->kind == K_SYSLOG || dir == 1) {
        s->n_exchanges--;
        s->ack_due = 0;
    } else {
        s->ack_due = 1;
    }
    if (s->n_exchanges == 0) {
        s->state = T_DONE;
    }
}

/* Appends one frame to the capture at the current time. */
static int emit(struct gen *g, const struct pkt_spec *sp)
{
    struct pcap_pkthdr h;
    size_t len = pkt_build(sp, g->frame, sizeof(g->frame));

    if (len == 0) {
        fprintf(stderr, "pcapgen: internal error: a frame did not fit\n");
        return -1;
    }
    g->ts_us += 1 + rng_next(&g->rng) % (2 * g->gap_us - 1);
    h.ts.tv_sec = (time_t)(g->ts_us / 1000000);
    h.ts.tv_usec = (suseconds_t)(g->ts_us % 1000000);
    h.caplen = (bpf_u_int32)len;
    h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)g->dump, &h, g->frame);
    g->n_pkts++;
    g->n_bytes += len;
    return 0;
}

/* Writes g->n_pkts.. up to total packets, picking a session for each. */
static int generate(struct gen *g, uint64_t total)
{
    struct pkt_spec sp;
    uint32_t slot = 0;

    for (uint32_t i = 0; i < g->n_active; i++) {
        session_new(g, &g->sess[i]);
    }
    while (g->n_pkts < total) {
        struct session *s = &g->sess[slot];
        int bulk;

        if (s->kind <= K_TCP_REFUSED) {
            tcp_step(g, s, &sp);
        } else {
            dgram_step(g, s, &sp);
        }
        if (emit(g, &sp) < 0) {
            return -1;
        }
        bulk = s->state == T_RESP && s->left > MSS;
        if (s->state == T_DONE) {
            session_new(g, s);
        }
        if (!bulk || !rng_pct(&g->rng, PCT_BURST_STAY)) {
            slot = (uint32_t)(rng_next(&g->rng) % g->n_active);
        }
    }
    return 0;
}

static int parse_num(const char *flag, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9') {
        goto bad;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        goto bad;
    }
    *out = v;
    return 0;
bad:
    fprintf(stderr, "pcapgen bench: %s '%s': give a whole number from %llu to %llu\n", flag,
            s != NULL ? s : "", (unsigned long long)min, (unsigned long long)max);
    return -1;
}

static void bench_usage(FILE *out)
{
    fprintf(out,
            "usage: pcapgen bench -o FILE [-n PACKETS] [--hosts N] [--seed S]\n"
            "                     [--active N] [--seconds S]\n"
            "  -n PACKETS    packets to write (default %u)\n"
            "  --hosts N     internal hosts, every tenth a server (default %u)\n"
            "  --seed S      PRNG seed; the same seed gives the same file (default %u)\n"
            "  --active N    sessions open at once (default %u)\n"
            "  --seconds S   capture time the file spans (default %u)\n",
            BENCH_PACKETS_DEFAULT, BENCH_HOSTS_DEFAULT, BENCH_SEED_DEFAULT, BENCH_ACTIVE_DEFAULT,
            BENCH_SECONDS_DEFAULT);
}

/* Returns 0 to run, 1 after help, -1 on a usage error (reported). */
static int bench_args(int argc, char **argv, struct bench_opts *o)
{
    int rc = 0;

    *o = (struct bench_opts){NULL,
                             BENCH_PACKETS_DEFAULT,
                             BENCH_HOSTS_DEFAULT,
                             BENCH_ACTIVE_DEFAULT,
                             BENCH_SECONDS_DEFAULT,
                             BENCH_SEED_DEFAULT};
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            bench_usage(stdout);
            return 1;
        } else if (strcmp(a, "-o") == 0 && v != NULL) {
            o->out = v;
        } else if (strcmp(a, "-n") == 0) {
            rc = parse_num(a, v, 1, BENCH_PACKETS_MAX, &o->packets);
        } else if (strcmp(a, "--hosts") == 0) {
            rc = parse_num(a, v, BENCH_HOSTS_MIN, BENCH_HOSTS_MAX, &o->hosts);
        } else if (strcmp(a, "--seed") == 0) {
            rc = parse_num(a, v, 0, UINT64_MAX, &o->seed);
        } else if (strcmp(a, "--active") == 0) {
            rc = parse_num(a, v, 1, BENCH_ACTIVE_MAX, &o->active);
        } else if (strcmp(a, "--seconds") == 0) {
            rc = parse_num(a, v, 1, BENCH_SECONDS_MAX, &o->seconds);
        } else {
            bench_usage(stderr);
            return -1;
        }
        i++;
    }
    if (rc == 0 && o->out == NULL) {
        bench_usage(stderr);
        return -1;
    }
    return rc;
}

static int gen_open(struct gen *g, const struct bench_opts *o, pcap_t **dead, FILE **fp)
{
    g->rng.s = o->seed;
    g->n_hosts = (uint32_t)o->hosts;
    g->n_active = (uint32_t)o->active;
    g->ts_us = (uint64_t)BENCH_START_S * 1000000;
    g->gap_us = o->seconds * 1000000 / o->packets;
    if (g->gap_us < 1) {
        g->gap_us = 1;
    }
    for (size_t i = 0; i < POOL_LEN; i += 8) {
        uint64_t r = rng_next(&g->rng);

        memcpy(g->pool + i, &r, 8);
    }
    g->sess = calloc(g->n_active, sizeof(*g->sess));
    g->next_port = calloc(g->n_hosts, sizeof(*g->next_port));
    *dead = pcap_open_dead(DLT_EN10MB, BENCH_SNAPLEN);
    *fp = fopen(o->out, "wb");
    if (g->sess == NULL || g->next_port == NULL || *dead == NULL || *fp == NULL) {
        fprintf(stderr, "pcapgen bench: cannot write %s: %s\n", o->out,
                *fp == NULL ? strerror(errno) : "out of memory");
        return -1;
    }
    setvbuf(*fp, NULL, _IOFBF, BENCH_STDIO_BUF);
    g->dump = pcap_dump_fopen(*dead, *fp);
    if (g->dump == NULL) {
        fprintf(stderr, "pcapgen bench: %s: %s\n", o->out, pcap_geterr(*dead));
        return -1;
    }
    *fp = NULL; /* the dumper owns it now */
    return 0;
}

static void bench_report(const struct gen *g, const struct bench_opts *o)
{
    static const char *const kind_name[K_MAX] = {"tcp-internal", "tcp-outbound", "tcp-inbound",
                                                 "tcp-refused",  "dns",          "ntp",
                                                 "syslog",       "icmp"};
    uint64_t n = 0;

    for (int k = 0; k < K_MAX; k++) {
        n += g->n_sessions[k];
    }
    printf("pcapgen bench: %s: %llu packets, %llu bytes, %.1f s of capture time, "
           "%llu sessions (",
           o->out, (unsigned long long)g->n_pkts, (unsigned long long)g->n_bytes,
           (double)(g->ts_us - BENCH_START_S * 1000000ull) / 1e6, (unsigned long long)n);
    for (int k = 0; k < K_MAX; k++) {
        printf("%s%s %llu", k > 0 ? ", " : "", kind_name[k], (unsigned long long)g->n_sessions[k]);
    }
    printf(")\n");
}

int pcapgen_bench(int argc, char **argv)
{
    struct bench_opts o;
    struct gen *g = calloc(1, sizeof(*g));
    pcap_t *dead = NULL;
    FILE *fp = NULL;
    int rc = bench_args(argc, argv, &o);

    if (rc != 0 || g == NULL) {
        free(g);
        return rc > 0 ? 0 : 2;
    }
    rc = 1;
    if (gen_open(g, &o, &dead, &fp) == 0 && generate(g, o.packets) == 0) {
        rc = 0;
    }
    if (g->dump != NULL) {
        pcap_dump_flush(g->dump);
        if (ferror(pcap_dump_file(g->dump))) {
            fprintf(stderr, "pcapgen bench: writing %s failed\n", o.out);
            rc = 1;
        }
        pcap_dump_close(g->dump);
    }
    if (fp != NULL) {
        fclose(fp);
    }
    if (dead != NULL) {
        pcap_close(dead);
    }
    if (rc == 0) {
        bench_report(g, &o);
    }
    free(g->sess);
    free(g->next_port);
    free(g);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "bench") == 0) {
        return pcapgen_bench(argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "case") == 0) {
        return pcapgen_case(argc - 1, argv + 1);
    }
    fprintf(stderr, "usage: pcapgen bench -o FILE [-n PACKETS] [--hosts N] [--seed S]\n"
                    "       pcapgen case NAME FILE | pcapgen case list\n");
    return 2;
}
