/* SPDX-License-Identifier: MIT */
/*
 * pcapgen: `pcapgen bench` writes a large, deterministic capture of mixed
 * hospital traffic for bench/; `pcapgen case` (pcapgen_cases.c) writes the
 * small regression captures.
 *
 * The bench capture keeps a few thousand sessions open at once and picks
 * which one speaks next at random, so flows interleave as on a busy link.
 * Each session is a small state machine: TCP (handshake, request/response
 * exchanges, FIN or RST teardown, some left open or refused), DNS and NTP
 * query/response pairs, one-way syslog, ICMP echo, DHCP. A few sessions
 * run over IPv6 or carry an 802.1Q tag. Sequence and acknowledgement
 * numbers are consistent per direction, so a reassembler sees in-order
 * streams. Capture time rises by a few tens of microseconds per packet, so
 * the default run spans about four minutes and flow timeouts fire.
 *
 * Application bytes are built by hand from the specifications, so that
 * protocol parsers have real work to do:
 *   - HTTP/1.1 (RFC 9112) GET and 200 responses on port 80;
 *   - TLS 1.2 (RFC 5246) on 443: a ClientHello with SNI (RFC 6066),
 *     supported_groups and ec_point_formats (RFC 8422),
 *     signature_algorithms and ALPN (RFC 7301); the server's ServerHello,
 *     an X.509 certificate in DER (RFC 5280), ServerKeyExchange and
 *     ServerHelloDone; ClientKeyExchange, ChangeCipherSpec and encrypted
 *     Finished; then application_data records;
 *   - HL7 v2.5 ORU^R01 and ACK over MLLP (HL7 v2 chapter 2, MLLP release
 *     2) on 2575, from patient monitors;
 *   - MQTT 3.1.1 (OASIS 2014) on 1883, from infusion pumps: CONNECT with
 *     user name and password, CONNACK, PUBLISH QoS 0 and 1, PUBACK,
 *     DISCONNECT;
 *   - DICOM (PS3.8 9.3 PDUs) on 104, from CT scanners: A-ASSOCIATE-RQ/AC,
 *     P-DATA-TF with a C-STORE-RQ command set (PS3.7 9.3.1, implicit VR
 *     little endian) and a CT image data set (explicit VR little endian),
 *     C-STORE-RSP, A-RELEASE-RQ/RP;
 *   - SSH (RFC 4253) identification strings, KEXINIT, curve25519 key
 *     exchange (RFC 5656, RFC 8731) and NEWKEYS, then encrypted packets;
 *   - DHCP (RFC 2131, RFC 2132) DISCOVER, OFFER, REQUEST, ACK;
 *   - DNS (RFC 1035) queries and answers, NTPv4 (RFC 5905) requests and replies.
 * SMB and database sessions, ICMP echo and syslog carry filler text or bytes.
 *
 * A TCP message is a head, built from the session's fields alone, and a
 * tail of filler, which may be cut into records (TLS records, DICOM
 * P-DATA-TF PDUs) whose headers follow from their offsets. Any segment of
 * a message can so be made again from the session state without keeping
 * the message: nothing is allocated per packet.
 */
#include "pcapgen.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
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
#define HEAD_MAX 4096u /* longest message head */
#define FRAME_HDR_MAX 16u
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

/* What an internal host is, by its index modulo SERVER_EVERY: 0 a server, 1 and 2 bedside
 * monitors, 3 an infusion pump, 4 a CT scanner, 5 to 9 workstations and other devices. */
#define ROLE_MONITOR 1u
#define ROLE_PUMP 3u
#define ROLE_MODALITY 4u

/* Which server (counted among servers) runs each hospital service. */
#define SRV_DHCP 0u
#define SRV_HL7 1u
#define SRV_MQTT 2u
#define SRV_PACS 3u

#define TLS_REC_BODY_MAX 16408u /* 2^14 bytes of plaintext, the GCM nonce and tag */
#define TLS_RANDOM_LEN 32u
#define TLS_KEY_LEN 32u      /* an X25519 public key */
#define TLS_FINISHED_LEN 40u /* verify_data under AES-GCM: nonce, 12 bytes, tag */
#define EC_COORD_LEN 32u     /* P-256 */
#define DICOM_MAX_PDU 16384u /* the maximum length both ends announce */
#define DICOM_PDU_HDR 6u
#define DICOM_PDV_HDR 6u
#define DICOM_AE_LEN 16u
#define DICOM_COLUMNS 64u
#define DHCP_MIN_LEN 300u /* BOOTP messages are padded to this (RFC 1542 3.3) */

/* Session kinds and their weights out of WEIGHT_TOTAL. The TCP kinds come first. */
enum sess_kind {
    K_TCP_INT,
    K_TCP_OUT,
    K_TCP_IN,
    K_HL7,
    K_MQTT,
    K_DICOM,
    K_TCP_REFUSED,
    K_DNS,
    K_NTP,
    K_SYSLOG,
    K_ICMP,
    K_DHCP,
    K_MAX
};
static const unsigned kind_weight[K_MAX] = {368, 150, 47, 20, 15, 6, 28, 249, 28, 56, 28, 5};
#define WEIGHT_TOTAL 1000u

/* Services: a general server offers one of the first SVC_N_GENERAL, chosen by its index. */
enum service {
    SVC_HTTP,
    SVC_HTTPS,
    SVC_SSH,
    SVC_SMB,
    SVC_DB,
    SVC_N_GENERAL,
    SVC_HL7 = SVC_N_GENERAL,
    SVC_MQTT,
    SVC_DICOM,
    SVC_MAX
};
static const uint16_t svc_port[SVC_MAX] = {80, 443, 22, 445, 5432, 2575, 1883, 104};

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
    uint8_t closer;  /* 0 client, 1 server: who ends the session */
    uint8_t ack_due; /* TCP: segments not yet ACKed; UDP/ICMP: 1 if a reply is due */
    uint16_t vlan;
    uint16_t cport, sport;
    uint8_t cip[16], sip[16];
    uint8_t cmac[6], smac[6];
    uint32_t cli, srv;    /* host indexes of the client and server (when internal) */
    uint32_t cseq, sseq;  /* next sequence number each side sends */
    uint32_t left;        /* bytes left in the message being sent */
    uint32_t msg_len;     /* bytes of that message */
    uint32_t tail_body;   /* payload bytes in its tail, record headers not counted */
    uint32_t mseed;       /* drawn when the message starts: varies its content */
    uint16_t head_len;    /* bytes of its head */
    uint16_t xchg;        /* exchanges (or DHCP messages) done so far */
    uint32_t n_exchanges; /* request/response pairs (or datagrams) left */
    uint16_t dns_id;      /* DNS transaction id; a tag that varies other sessions' content */
};

struct gen {
    struct rng rng;
    struct session *sess;
    uint32_t n_active, n_hosts;
    uint16_t *next_port; /* per internal host, its next ephemeral port */
    uint8_t pool[POOL_LEN];
    uint8_t head[HEAD_MAX];
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

/* How the tail of a message is cut into records: a header, then up to body_max bytes. */
struct framing {
    uint32_t hdr_len, body_max;
    void (*hdr)(uint8_t *out, uint32_t body_len, int last);
};

/* Bytes being written, bounded by cap. */
struct wbuf {
    uint8_t *p;
    size_t len, cap;
};

/* What a message head is built from, and where it goes. */
struct build {
    struct wbuf w;
    const struct gen *g;
    const struct session *s;
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

/* A host of the given role (its index modulo SERVER_EVERY). */
static uint32_t pick_role(struct gen *g, uint32_t role)
{
    return rng_range(&g->rng, 0, g->n_hosts / SERVER_EVERY - 1) * SERVER_EVERY + role;
}

/* The server that runs one hospital service (SRV_*). */
static uint32_t role_server(const struct gen *g, uint32_t which)
{
    return which % (g->n_hosts / SERVER_EVERY) * SERVER_EVERY;
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

/* The device and server of a clinical session: monitors send HL7, pumps MQTT, CTs DICOM. */
static void clinical_ends(struct gen *g, struct session *s, uint32_t *cli, uint32_t *srv)
{
    static const uint8_t service[] = {SVC_HL7, SVC_MQTT, SVC_DICOM};
    static const uint8_t role[] = {ROLE_MONITOR, ROLE_PUMP, ROLE_MODALITY};
    static const uint8_t server[] = {SRV_HL7, SRV_MQTT, SRV_PACS};
    int i = s->kind - K_HL7;

    s->service = service[i];
    *cli = pick_role(g, role[i] + (s->kind == K_HL7 ? rng_range(&g->rng, 0, 1) : 0));
    *srv = role_server(g, server[i]);
}

/* Endpoints of a TCP session of the given kind. */
static void tcp_endpoints(struct gen *g, struct session *s)
{
    uint32_t srv = pick_server(g), cli = pick_client(g, srv);

    s->service = (uint8_t)(srv / SERVER_EVERY % SVC_N_GENERAL);
    if (s->kind >= K_HL7 && s->kind <= K_DICOM) {
        clinical_ends(g, s, &cli, &srv);
    }
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
    s->cli = cli;
    s->srv = srv;
    s->cport = ephemeral_port(g, cli);
    s->sport = svc_port[s->service];
    if (s->kind == K_TCP_REFUSED) {
        s->sport = (uint16_t)rng_range(&g->rng, 1, 1023);
    }
}

/* Request/response exchanges of a session, protocol set-up and tear-down included. */
static uint32_t tcp_exchanges(struct gen *g, const struct session *s)
{
    switch (s->service) {
    case SVC_SSH:
        return rng_range(&g->rng, 8, 60);
    case SVC_HTTPS:
        return 1 + rng_range(&g->rng, 1, 6); /* the handshake, then requests */
    case SVC_HL7:
        return rng_range(&g->rng, 1, 12);
    case SVC_MQTT:
        return 2 + rng_range(&g->rng, 3, 30); /* CONNECT, PUBLISHes, DISCONNECT */
    case SVC_DICOM:
        return 2 + rng_range(&g->rng, 1, 4); /* association, C-STOREs, release */
    default:
        return rng_range(&g->rng, 1, 6);
    }
}

static void tcp_init(struct gen *g, struct session *s)
{
    tcp_endpoints(g, s);
    s->state = T_SYN;
    s->cseq = (uint32_t)rng_next(&g->rng);
    s->sseq = (uint32_t)rng_next(&g->rng);
    s->dns_id = (uint16_t)rng_next(&g->rng);
    s->closer = (uint8_t)rng_pct(&g->rng, 40);
    if (s->service == SVC_MQTT || s->service == SVC_DICOM) {
        s->closer = 0; /* after DISCONNECT, after A-RELEASE-RP (PS3.8 7.2) */
    }
    if (s->kind == K_TCP_REFUSED) {
        s->n_exchanges = rng_pct(&g->rng, 50) ? 0 : rng_range(&g->rng, 1, 2);
    } else {
        s->n_exchanges = tcp_exchanges(g, s);
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

/* A DHCP client (any host) getting its address from the DHCP server. */
static void dhcp_init(struct gen *g, struct session *s)
{
    s->srv = role_server(g, SRV_DHCP);
    s->cli = pick_client(g, s->srv);
    host_addr(s->cli, 4, s->cip, s->cmac);
    host_addr(s->srv, 4, s->sip, s->smac);
    s->cport = 68;
    s->sport = 67;
    s->dns_id = (uint16_t)rng_next(&g->rng);
    s->n_exchanges = 4;
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
    if (s->kind != K_NTP && s->kind != K_SYSLOG && s->kind != K_DHCP &&
        rng_pct(&g->rng, PCT_IPV6)) {
        s->family = 6;
    }
    if (rng_pct(&g->rng, PCT_VLAN)) {
        s->n_vlan = 1;
        s->vlan = (uint16_t)(VLAN_BASE + rng_range(&g->rng, 0, VLAN_SPAN - 1));
    }
    if (s->kind <= K_TCP_REFUSED) {
        tcp_init(g, s);
    } else if (s->kind == K_DHCP) {
        dhcp_init(g, s);
    } else {
        dgram_init(g, s);
    }
    g->n_sessions[s->kind]++;
}

/* ---- writing message bytes ---- */

static void w_put(struct wbuf *w, const void *d, size_t n)
{
    if (n > w->cap - w->len) {
        fprintf(stderr, "pcapgen: internal error: a message does not fit its buffer\n");
        abort();
    }
    if (n > 0) {
        memcpy(w->p + w->len, d, n);
    }
    w->len += n;
}

static void w_u8(struct wbuf *w, uint32_t v)
{
    uint8_t b = (uint8_t)v;

    w_put(w, &b, 1);
}

/* n bytes, most significant first. */
static void w_be(struct wbuf *w, uint32_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        w_u8(w, v >> (8 * i));
    }
}

/* n bytes, least significant first. */
static void w_le(struct wbuf *w, uint32_t v, int n)
{
    for (int i = 0; i < n; i++) {
        w_u8(w, v >> (8 * i));
    }
}

static void w_zero(struct wbuf *w, size_t n)
{
    while (n-- > 0) {
        w_u8(w, 0);
    }
}

static void w_str(struct wbuf *w, const char *s)
{
    w_put(w, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void w_fmt(struct wbuf *w, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf((char *)w->p + w->len, w->cap - w->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= w->cap - w->len) {
        fprintf(stderr, "pcapgen: internal error: a message does not fit its buffer\n");
        abort();
    }
    w->len += (size_t)n;
}

/* Reserves an n-byte big-endian length; w_patch fills it with what follows it. */
static size_t w_mark(struct wbuf *w, int n)
{
    size_t at = w->len;

    w_zero(w, (size_t)n);
    return at;
}

static void w_patch(struct wbuf *w, size_t at, int n)
{
    uint32_t v = (uint32_t)(w->len - at - (size_t)n);

    for (int i = 0; i < n; i++) {
        w->p[at + (size_t)i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
}

/* n opaque bytes (random values, keys, signatures): pool bytes picked by seed. */
static void b_opaque(struct build *b, uint32_t seed, size_t n)
{
    w_put(&b->w, b->g->pool + seed % (POOL_LEN - n), n);
}

/* ---- DER (ITU-T X.690) for the certificate ---- */

/* Opens a constructed or primitive value; der_close writes its length. */
static size_t der_open(struct wbuf *w, uint8_t tag)
{
    w_u8(w, tag);
    w_u8(w, 0);
    return w->len - 1;
}

/* Sets the length at `at` to what follows, in the shortest form DER requires. */
static void der_close(struct wbuf *w, size_t at)
{
    size_t len = w->len - at - 1;
    int extra = len < 0x80 ? 0 : len < 0x100 ? 1 : 2;

    if (extra == 0) {
        w->p[at] = (uint8_t)len;
        return;
    }
    w_zero(w, (size_t)extra);
    memmove(w->p + at + 1 + extra, w->p + at + 1, len);
    w->p[at] = (uint8_t)(0x80 | extra);
    for (int i = 0; i < extra; i++) {
        w->p[at + 1 + (size_t)i] = (uint8_t)(len >> (8 * (extra - 1 - i)));
    }
}

static void der_tlv(struct wbuf *w, uint8_t tag, const void *v, size_t n)
{
    size_t at = der_open(w, tag);

    w_put(w, v, n);
    der_close(w, at);
}

#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_OID 0x06
#define DER_UTF8 0x0c
#define DER_PRINTABLE 0x13
#define DER_UTC_TIME 0x17
#define DER_SEQ 0x30
#define DER_SET 0x31
#define DER_CTX0 0xa0
#define DER_CTX3 0xa3
#define DER_DNS_NAME 0x82 /* GeneralName dNSName, [2] IMPLICIT */

static const uint8_t oid_ecdsa_sha256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t oid_ec_key[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_country[] = {0x55, 0x04, 0x06};
static const uint8_t oid_org[] = {0x55, 0x04, 0x0a};
static const uint8_t oid_cn[] = {0x55, 0x04, 0x03};
static const uint8_t oid_san[] = {0x55, 0x1d, 0x11};

/* AlgorithmIdentifier ecdsa-with-SHA256 (RFC 5758 3.2: no parameters). */
static void der_alg_ecdsa(struct wbuf *w)
{
    size_t at = der_open(w, DER_SEQ);

    der_tlv(w, DER_OID, oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256));
    der_close(w, at);
}

/* One RelativeDistinguishedName: SET { SEQUENCE { type, value } }. */
static void der_rdn(struct wbuf *w, const uint8_t *oid, size_t oid_len, uint8_t str_tag,
                    const char *value)
{
    size_t set = der_open(w, DER_SET), seq = der_open(w, DER_SEQ);

    der_tlv(w, DER_OID, oid, oid_len);
    der_tlv(w, str_tag, value, strlen(value));
    der_close(w, seq);
    der_close(w, set);
}

static void der_name(struct wbuf *w, const char *org, const char *cn)
{
    size_t at = der_open(w, DER_SEQ);

    der_rdn(w, oid_country, sizeof(oid_country), DER_PRINTABLE, "US");
    der_rdn(w, oid_org, sizeof(oid_org), DER_UTF8, org);
    der_rdn(w, oid_cn, sizeof(oid_cn), DER_UTF8, cn);
    der_close(w, at);
}

/* A positive INTEGER of n opaque bytes (the top bit cleared, the top byte not zero). */
static void der_uint(struct build *b, uint32_t seed, size_t n)
{
    size_t at = der_open(&b->w, DER_INTEGER), first = b->w.len;

    b_opaque(b, seed, n);
    b->w.p[first] = (uint8_t)((b->w.p[first] & 0x7f) | 0x10);
    der_close(&b->w, at);
}

/* An ECDSA signature (RFC 5480 / X9.62 Ecdsa-Sig-Value) of opaque r and s. */
static void der_ecdsa_sig(struct build *b, uint32_t seed)
{
    size_t at = der_open(&b->w, DER_SEQ);

    der_uint(b, seed, EC_COORD_LEN);
    der_uint(b, seed >> 3, EC_COORD_LEN);
    der_close(&b->w, at);
}

/* SubjectPublicKeyInfo (RFC 5480 2): the P-256 base point of FIPS 186-4 D.1.2.3, a valid
 * public key (of private key 1), so that certificate tools load it. */
static void der_spki(struct wbuf *w)
{
    static const uint8_t point[1 + 2 * EC_COORD_LEN] = {
        0x04, /* uncompressed */
        0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63,
        0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4, 0xa1,
        0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96, 0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f,
        0x9b, 0x8e, 0xe7, 0xeb, 0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57,
        0x6b, 0x31, 0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};
    size_t spki = der_open(w, DER_SEQ), alg = der_open(w, DER_SEQ), key;

    der_tlv(w, DER_OID, oid_ec_key, sizeof(oid_ec_key));
    der_tlv(w, DER_OID, oid_p256, sizeof(oid_p256));
    der_close(w, alg);
    key = der_open(w, DER_BIT_STRING);
    w_u8(w, 0); /* unused bits */
    w_put(w, point, sizeof(point));
    der_close(w, key);
    der_close(w, spki);
}

/* extensions [3] with subjectAltName (RFC 5280 4.2.1.6) naming host. */
static void der_san(struct wbuf *w, const char *host)
{
    size_t ctx = der_open(w, DER_CTX3), exts = der_open(w, DER_SEQ);
    size_t ext = der_open(w, DER_SEQ), oct, names;

    der_tlv(w, DER_OID, oid_san, sizeof(oid_san));
    oct = der_open(w, DER_OCTET_STRING);
    names = der_open(w, DER_SEQ);
    der_tlv(w, DER_DNS_NAME, host, strlen(host));
    der_close(w, names);
    der_close(w, oct);
    der_close(w, ext);
    der_close(w, exts);
    der_close(w, ctx);
}

/* FNV-1a: the same host name always gets the same certificate. */
static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;

    while (*s != '\0') {
        h = (h ^ (uint8_t)*s++) * 16777619u;
    }
    return h;
}

/* An X.509 v3 certificate (RFC 5280 4.1) for host; key and signature are opaque bytes. */
static void tls_cert(struct build *b, const char *host, int internal)
{
    struct wbuf *w = &b->w;
    uint32_t seed = name_hash(host);
    size_t cert = der_open(w, DER_SEQ), tbs = der_open(w, DER_SEQ), at;

    at = der_open(w, DER_CTX0);
    der_tlv(w, DER_INTEGER, "\x02", 1); /* v3 */
    der_close(w, at);
    der_uint(b, seed, 12); /* serialNumber */
    der_alg_ecdsa(w);
    der_name(w, internal ? "Example Hospital" : "Example Trust Services",
             internal ? "Example Hospital Issuing CA 1" : "Example TLS ECC CA G2");
    at = der_open(w, DER_SEQ);
    der_tlv(w, DER_UTC_TIME, "240101000000Z", 13);
    der_tlv(w, DER_UTC_TIME, "260101000000Z", 13);
    der_close(w, at);
    der_name(w, internal ? "Example Hospital" : "Example Vendor Inc", host);
    der_spki(w);
    der_san(w, host);
    der_close(w, tbs);
    der_alg_ecdsa(w);
    at = der_open(w, DER_BIT_STRING);
    w_u8(w, 0); /* unused bits */
    der_ecdsa_sig(b, seed >> 7);
    der_close(w, at);
    der_close(w, cert);
}

/* ---- TLS 1.2 (RFC 5246) ---- */

#define TLS_CT_CCS 20
#define TLS_CT_HANDSHAKE 22
#define TLS_CT_APPDATA 23
#define TLS_V10 0x0301
#define TLS_V12 0x0303
#define TLS_HS_CLIENT_HELLO 1
#define TLS_HS_SERVER_HELLO 2
#define TLS_HS_CERTIFICATE 11
#define TLS_HS_SERVER_KEY_EXCHANGE 12
#define TLS_HS_SERVER_HELLO_DONE 14
#define TLS_HS_CLIENT_KEY_EXCHANGE 16
#define TLS_EXT_SNI 0
#define TLS_EXT_GROUPS 10
#define TLS_EXT_POINT_FORMATS 11
#define TLS_EXT_SIG_ALGS 13
#define TLS_EXT_ALPN 16
#define TLS_EXT_EMS 23
#define TLS_EXT_TICKET 35
#define TLS_EXT_RENEGOTIATION 0xff01
#define TLS_ECDHE_ECDSA_AES128_GCM 0xc02b
#define TLS_X25519 0x001d
#define TLS_ECDSA_P256_SHA256 0x0403

static const char *const tls_int_names[] = {"ehr.hospital.test", "pacs.hospital.test",
                                            "intranet.hospital.test", "lab.hospital.test"};
static const char *const tls_ext_names[] = {"updates.medvendor.example",
                                            "telemetry.pumpcloud.example", "portal.example.com",
                                            "login.example.net", "cdn.example.org"};

/* The server's name: an external one by its address, an internal one by its index. */
static const char *tls_host(const struct session *s)
{
    if (s->kind == K_TCP_OUT) {
        return tls_ext_names[(s->family == 4 ? s->sip[3] : s->sip[15]) % 5];
    }
    return tls_int_names[s->srv / SERVER_EVERY % 4];
}

/* Half the clients look like browsers (h2, many suites), half like embedded devices. */
static int tls_browser(const struct session *s)
{
    return s->dns_id & 1;
}

static size_t tls_record_open(struct wbuf *w, uint8_t type, uint16_t version)
{
    w_u8(w, type);
    w_be(w, version, 2);
    return w_mark(w, 2);
}

static size_t tls_hs_open(struct wbuf *w, uint8_t type)
{
    w_u8(w, type);
    return w_mark(w, 3);
}

static size_t tls_ext_open(struct wbuf *w, uint16_t type)
{
    w_be(w, type, 2);
    return w_mark(w, 2);
}

/* A list of 16-bit values behind a length of len_bytes. */
static void w_u16s(struct wbuf *w, const uint16_t *v, size_t n, int len_bytes)
{
    w_be(w, (uint32_t)(2 * n), len_bytes);
    for (size_t i = 0; i < n; i++) {
        w_be(w, v[i], 2);
    }
}

static void tls_ext_u16s(struct wbuf *w, uint16_t type, const uint16_t *v, size_t n)
{
    size_t at = tls_ext_open(w, type);

    w_u16s(w, v, n, 2);
    w_patch(w, at, 2);
}

/* server_name (RFC 6066 3): one host_name. */
static void tls_ext_sni(struct wbuf *w, const char *host)
{
    size_t at = tls_ext_open(w, TLS_EXT_SNI), list = w_mark(w, 2);

    w_u8(w, 0); /* host_name */
    w_be(w, (uint32_t)strlen(host), 2);
    w_str(w, host);
    w_patch(w, list, 2);
    w_patch(w, at, 2);
}

/* application_layer_protocol_negotiation (RFC 7301 3.1). */
static void tls_ext_alpn(struct wbuf *w, const char *const *protos, size_t n)
{
    size_t at = tls_ext_open(w, TLS_EXT_ALPN), list = w_mark(w, 2);

    for (size_t i = 0; i < n; i++) {
        w_u8(w, (uint32_t)strlen(protos[i]));
        w_str(w, protos[i]);
    }
    w_patch(w, list, 2);
    w_patch(w, at, 2);
}

/* Extensions both hellos carry: renegotiation_info (RFC 5746), uncompressed points only. */
static void tls_ext_common(struct wbuf *w)
{
    size_t at = tls_ext_open(w, TLS_EXT_RENEGOTIATION);

    w_u8(w, 0);
    w_patch(w, at, 2);
    at = tls_ext_open(w, TLS_EXT_POINT_FORMATS);
    w_u8(w, 1);
    w_u8(w, 0);
    w_patch(w, at, 2);
    at = tls_ext_open(w, TLS_EXT_EMS);
    w_patch(w, at, 2);
}

static void tls_client_exts(struct wbuf *w, const struct session *s)
{
    static const uint16_t groups[] = {TLS_X25519, 0x0017, 0x0018};
    static const uint16_t sig_algs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                        0x0805, 0x0501, 0x0806, 0x0601};
    static const char *const alpn_browser[] = {"h2", "http/1.1"};
    static const char *const alpn_device[] = {"http/1.1"};
    size_t at;

    tls_ext_sni(w, tls_host(s));
    tls_ext_common(w);
    tls_ext_u16s(w, TLS_EXT_GROUPS, groups, sizeof(groups) / sizeof(groups[0]));
    if (tls_browser(s)) {
        at = tls_ext_open(w, TLS_EXT_TICKET);
        w_patch(w, at, 2);
    }
    tls_ext_u16s(w, TLS_EXT_SIG_ALGS, sig_algs, sizeof(sig_algs) / sizeof(sig_algs[0]));
    if (tls_browser(s)) {
        tls_ext_alpn(w, alpn_browser, 2);
    } else {
        tls_ext_alpn(w, alpn_device, 1);
    }
}

/* A ClientHello (RFC 5246 7.4.1.2) in a record of version 1.0, as clients send it. */
static void tls_client_hello(struct build *b)
{
    static const uint16_t browser[] = {0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
                                       0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
    static const uint16_t device[] = {0xc02b, 0xc02c, 0xc023, 0xc009, 0x00ff};
    struct wbuf *w = &b->w;
    size_t rec = tls_record_open(w, TLS_CT_HANDSHAKE, TLS_V10);
    size_t hs = tls_hs_open(w, TLS_HS_CLIENT_HELLO), exts;

    w_be(w, TLS_V12, 2);
    b_opaque(b, b->s->mseed, TLS_RANDOM_LEN);
    w_u8(w, TLS_RANDOM_LEN); /* session_id */
    b_opaque(b, b->s->mseed >> 8, TLS_RANDOM_LEN);
    if (tls_browser(b->s)) {
        w_u16s(w, browser, sizeof(browser) / sizeof(browser[0]), 2);
    } else {
        w_u16s(w, device, sizeof(device) / sizeof(device[0]), 2);
    }
    w_u8(w, 1); /* compression methods: null */
    w_u8(w, 0);
    exts = w_mark(w, 2);
    tls_client_exts(w, b->s);
    w_patch(w, exts, 2);
    w_patch(w, hs, 3);
    w_patch(w, rec, 2);
}

static void tls_server_hello(struct build *b)
{
    const char *alpn[] = {tls_browser(b->s) ? "h2" : "http/1.1"};
    struct wbuf *w = &b->w;
    size_t hs = tls_hs_open(w, TLS_HS_SERVER_HELLO), exts;

    w_be(w, TLS_V12, 2);
    b_opaque(b, b->s->mseed, TLS_RANDOM_LEN);
    w_u8(w, TLS_RANDOM_LEN);
    b_opaque(b, b->s->mseed >> 8, TLS_RANDOM_LEN);
    w_be(w, TLS_ECDHE_ECDSA_AES128_GCM, 2);
    w_u8(w, 0);
    exts = w_mark(w, 2);
    tls_ext_common(w);
    tls_ext_alpn(w, alpn, 1);
    w_patch(w, exts, 2);
    w_patch(w, hs, 3);
}

/* Certificate (7.4.2): a chain of the server's own certificate. */
static void tls_certificate(struct build *b)
{
    struct wbuf *w = &b->w;
    size_t hs = tls_hs_open(w, TLS_HS_CERTIFICATE), list = w_mark(w, 3), one = w_mark(w, 3);

    tls_cert(b, tls_host(b->s), b->s->kind != K_TCP_OUT);
    w_patch(w, one, 3);
    w_patch(w, list, 3);
    w_patch(w, hs, 3);
}

/* ServerKeyExchange for ECDHE (RFC 8422 5.4): named curve X25519, signed with ECDSA. */
static void tls_server_key_exchange(struct build *b)
{
    struct wbuf *w = &b->w;
    size_t hs = tls_hs_open(w, TLS_HS_SERVER_KEY_EXCHANGE), sig;

    w_u8(w, 3); /* named_curve */
    w_be(w, TLS_X25519, 2);
    w_u8(w, TLS_KEY_LEN);
    b_opaque(b, b->s->mseed >> 5, TLS_KEY_LEN);
    w_be(w, TLS_ECDSA_P256_SHA256, 2);
    sig = w_mark(w, 2);
    der_ecdsa_sig(b, b->s->mseed >> 11);
    w_patch(w, sig, 2);
    w_patch(w, hs, 3);
}

/* The server's first flight, in one record. */
static void tls_server_flight(struct build *b)
{
    size_t rec = tls_record_open(&b->w, TLS_CT_HANDSHAKE, TLS_V12), hs;

    tls_server_hello(b);
    tls_certificate(b);
    tls_server_key_exchange(b);
    hs = tls_hs_open(&b->w, TLS_HS_SERVER_HELLO_DONE);
    w_patch(&b->w, hs, 3);
    w_patch(&b->w, rec, 2);
}

/* ChangeCipherSpec, then Finished, encrypted. */
static void tls_ccs_finished(struct build *b)
{
    size_t rec = tls_record_open(&b->w, TLS_CT_CCS, TLS_V12);

    w_u8(&b->w, 1);
    w_patch(&b->w, rec, 2);
    rec = tls_record_open(&b->w, TLS_CT_HANDSHAKE, TLS_V12);
    b_opaque(b, b->s->mseed >> 3, TLS_FINISHED_LEN);
    w_patch(&b->w, rec, 2);
}

/* ClientKeyExchange (RFC 8422 5.7: the client's ECDH point), then CCS and Finished. */
static void tls_client_finish(struct build *b)
{
    size_t rec = tls_record_open(&b->w, TLS_CT_HANDSHAKE, TLS_V12);
    size_t hs = tls_hs_open(&b->w, TLS_HS_CLIENT_KEY_EXCHANGE);

    w_u8(&b->w, TLS_KEY_LEN);
    b_opaque(b, b->s->mseed, TLS_KEY_LEN);
    w_patch(&b->w, hs, 3);
    w_patch(&b->w, rec, 2);
    tls_ccs_finished(b);
}

/* The handshake in the first two exchanges; application data records follow in the tail. */
static void tls_head(struct build *b, int dir)
{
    if (b->s->xchg == 0) {
        if (dir == 0) {
            tls_client_hello(b);
        } else {
            tls_server_flight(b);
        }
    } else if (b->s->xchg == 1) {
        if (dir == 0) {
            tls_client_finish(b);
        } else {
            tls_ccs_finished(b);
        }
    }
}

static void tls_record_hdr(uint8_t *out, uint32_t body_len, int last)
{
    (void)last;
    out[0] = TLS_CT_APPDATA;
    out[1] = TLS_V12 >> 8;
    out[2] = TLS_V12 & 0xff;
    out[3] = (uint8_t)(body_len >> 8);
    out[4] = (uint8_t)body_len;
}

/* ---- SSH (RFC 4253): version exchange and key exchange, then encrypted packets ---- */

#define SSH_MSG_KEXINIT 20
#define SSH_MSG_NEWKEYS 21
#define SSH_MSG_KEX_ECDH_INIT 30 /* RFC 5656 7.1, curve25519 as RFC 8731 */
#define SSH_MSG_KEX_ECDH_REPLY 31
#define SSH_BLOCK 8 /* packets are a multiple of this before encryption is on */
#define SSH_PAD_MIN 4
#define SSH_COOKIE_LEN 16
#define SSH_KEY_LEN 32
#define SSH_SIG_LEN 64
#define SSH_XCHG_KEX 1     /* exchange of the KEXINITs */
#define SSH_XCHG_ECDH 2    /* of the ECDH keys and the server's NEWKEYS */
#define SSH_XCHG_NEWKEYS 3 /* the client's NEWKEYS: encrypted data from here on */

/* A binary packet (6): length, padding length, payload; ssh_packet_close pads it. */
static size_t ssh_packet_open(struct wbuf *w, uint8_t msg)
{
    size_t at = w_mark(w, 4);

    w_u8(w, 0);
    w_u8(w, msg);
    return at;
}

static void ssh_packet_close(struct build *b, size_t at)
{
    size_t used = b->w.len - at, pad = SSH_BLOCK - used % SSH_BLOCK;

    if (pad < SSH_PAD_MIN) {
        pad += SSH_BLOCK;
    }
    b->w.p[at + 4] = (uint8_t)pad;
    b_opaque(b, b->s->mseed >> 2, pad);
    w_patch(&b->w, at, 4);
}

static void ssh_string(struct wbuf *w, const char *text)
{
    w_be(w, (uint32_t)strlen(text), 4);
    w_str(w, text);
}

/* An ed25519 public key or signature blob (RFC 8709): the name, then opaque bytes. */
static void ssh_ed25519_blob(struct build *b, uint32_t seed, size_t n)
{
    size_t at = w_mark(&b->w, 4);

    ssh_string(&b->w, "ssh-ed25519");
    w_be(&b->w, (uint32_t)n, 4);
    b_opaque(b, seed, n);
    w_patch(&b->w, at, 4);
}

/* SSH_MSG_KEXINIT (7.1): the cookie, ten name-lists, first_kex_packet_follows, reserved. */
static void ssh_kexinit(struct build *b, int dir)
{
    static const char *const lists[] = {
        "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256",
        "chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr,aes256-gcm@openssh.com",
        "chacha20-poly1305@openssh.com,aes128-ctr,aes256-ctr,aes256-gcm@openssh.com",
        "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256,hmac-sha1",
        "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-256,hmac-sha1",
        "none,zlib@openssh.com",
        "none,zlib@openssh.com",
        "",
        ""};
    size_t at = ssh_packet_open(&b->w, SSH_MSG_KEXINIT);

    b_opaque(b, b->s->mseed, SSH_COOKIE_LEN);
    ssh_string(&b->w, dir == 0 ? "curve25519-sha256,ecdh-sha2-nistp256,ext-info-c"
                               : "curve25519-sha256,ecdh-sha2-nistp256");
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        ssh_string(&b->w, lists[i]);
    }
    w_u8(&b->w, 0);
    w_be(&b->w, 0, 4);
    ssh_packet_close(b, at);
}

/* The client's ephemeral key; or the server's host key, key and signature, then NEWKEYS. */
static void ssh_ecdh(struct build *b, int dir)
{
    size_t at = ssh_packet_open(&b->w, dir == 0 ? SSH_MSG_KEX_ECDH_INIT : SSH_MSG_KEX_ECDH_REPLY);

    if (dir == 1) {
        ssh_ed25519_blob(b, name_hash(tls_int_names[b->s->srv / SERVER_EVERY % 4]), SSH_KEY_LEN);
    }
    w_be(&b->w, SSH_KEY_LEN, 4);
    b_opaque(b, b->s->mseed, SSH_KEY_LEN);
    if (dir == 1) {
        ssh_ed25519_blob(b, b->s->mseed >> 4, SSH_SIG_LEN);
    }
    ssh_packet_close(b, at);
    if (dir == 1) {
        at = ssh_packet_open(&b->w, SSH_MSG_NEWKEYS);
        ssh_packet_close(b, at);
    }
}

/* Identification strings (4.2), the key exchange; then the tails are encrypted packets. */
static void ssh_head(struct build *b, int dir)
{
    static const char *const client[] = {"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n",
                                         "SSH-2.0-PuTTY_Release_0.78\r\n"};
    size_t at;

    switch (b->s->xchg) {
    case 0:
        w_str(&b->w,
              dir == 0 ? client[b->s->dns_id & 1] : "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n");
        break;
    case SSH_XCHG_KEX:
        ssh_kexinit(b, dir);
        break;
    case SSH_XCHG_ECDH:
        ssh_ecdh(b, dir);
        break;
    case SSH_XCHG_NEWKEYS:
        if (dir == 0) {
            at = ssh_packet_open(&b->w, SSH_MSG_NEWKEYS);
            ssh_packet_close(b, at);
        }
        break;
    default:
        break;
    }
}

/* ---- HTTP/1.1 ---- */

static void http_head(struct build *b, int dir)
{
    const struct session *s = b->s;

    if (dir == 0) {
        w_fmt(&b->w,
              "GET /app/%u/item?id=%u HTTP/1.1\r\nHost: intranet.example\r\n"
              "User-Agent: bench/1.0\r\nAccept: */*\r\n\r\n",
              (unsigned)(s->cport % 97), (unsigned)s->n_exchanges);
    } else {
        w_fmt(&b->w,
              "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
              "Content-Length: %u\r\n\r\n",
              (unsigned)s->tail_body);
    }
}

/* ---- HL7 v2.5 over MLLP ---- */

#define MLLP_START 0x0b
#define MLLP_END 0x1c
#define HL7_CR 0x0d
#define HL7_ID_MAX 24
#define HL7_OBX_MIN 2
#define HL7_OBX_SPAN 4

/* Vital signs as IEEE 11073 (MDC) codes: observation, unit, a typical value. */
struct hl7_obs {
    const char *id, *unit;
    unsigned base;
};

static const struct hl7_obs hl7_obs[] = {
    {"150456^MDC_PULS_OXIM_SAT_O2^MDC", "262688^MDC_DIM_PERCENT^MDC", 95},
    {"147842^MDC_ECG_HEART_RATE^MDC", "264864^MDC_DIM_BEAT_PER_MIN^MDC", 70},
    {"150021^MDC_PRESS_BLD_NONINV_SYS^MDC", "266016^MDC_DIM_MMHG^MDC", 118},
    {"150022^MDC_PRESS_BLD_NONINV_DIA^MDC", "266016^MDC_DIM_MMHG^MDC", 76},
    {"151562^MDC_RESP_RATE^MDC", "264928^MDC_DIM_RESP_PER_MIN^MDC", 14},
    {"150364^MDC_TEMP_BODY^MDC", "268192^MDC_DIM_DEGC^MDC", 36},
};
#define HL7_N_OBS (sizeof(hl7_obs) / sizeof(hl7_obs[0]))

/* MSH-10, the message control id; the ACK's MSA-2 repeats it. */
static void hl7_control_id(const struct session *s, char *out, size_t cap)
{
    snprintf(out, cap, "%u%05u", (unsigned)s->dns_id, (unsigned)s->xchg);
}

/* ORU^R01 from a bedside monitor: MSH, PID (a made-up patient), OBR, OBX per vital sign. */
static void hl7_oru(struct build *b)
{
    const struct session *s = b->s;
    unsigned n_obx = HL7_OBX_MIN + s->mseed % HL7_OBX_SPAN, first = (s->mseed >> 4) % HL7_N_OBS;
    char id[HL7_ID_MAX];

    hl7_control_id(s, id, sizeof(id));
    w_u8(&b->w, MLLP_START);
    w_fmt(&b->w, "MSH|^~\\&|MONITOR|ICU|EMR|HOSP|20240115090000||ORU^R01|%s|P|2.5\r", id);
    w_fmt(&b->w, "PID|1||BENCH%05u^^^HOSP^MR||TESTPATIENT^FAKE||19700101|U\r", (unsigned)s->cli);
    w_fmt(&b->w, "OBR|1|%s||VITALS^Vital signs^L|||20240115090000\r", id);
    for (unsigned i = 0; i < n_obx; i++) {
        const struct hl7_obs *o = &hl7_obs[(first + i) % HL7_N_OBS];

        /* OBX-11 status F, OBX-14 time of the observation, OBX-18 the monitor's id */
        w_fmt(&b->w, "OBX|%u|NM|%s||%u|%s|||||F|||20240115090000||||MON-%04u^^^ICU\r", i + 1, o->id,
              o->base + (s->mseed >> (8 + 3 * i)) % 5, o->unit, (unsigned)s->cli);
    }
    w_u8(&b->w, MLLP_END);
    w_u8(&b->w, HL7_CR);
}

static void hl7_ack(struct build *b)
{
    char id[HL7_ID_MAX];

    hl7_control_id(b->s, id, sizeof(id));
    w_u8(&b->w, MLLP_START);
    w_fmt(&b->w, "MSH|^~\\&|EMR|HOSP|MONITOR|ICU|20240115090001||ACK^R01|A%s|P|2.5\r", id);
    w_fmt(&b->w, "MSA|AA|%s\r", id);
    w_u8(&b->w, MLLP_END);
    w_u8(&b->w, HL7_CR);
}

/* ---- MQTT 3.1.1 ---- */

#define MQTT_CONNECT 0x10
#define MQTT_CONNACK 0x20
#define MQTT_PUBLISH 0x30
#define MQTT_PUBACK 0x40
#define MQTT_DISCONNECT 0xe0
#define MQTT_LEVEL_311 4
#define MQTT_FLAGS 0xc2 /* user name, password, clean session */
#define MQTT_KEEPALIVE 60
#define MQTT_TEXT_MAX 96
#define MQTT_WARDS 12

/* A fixed header whose remaining length mqtt_close fills in. */
static size_t mqtt_open(struct wbuf *w, uint8_t first)
{
    w_u8(w, first);
    w_u8(w, 0);
    return w->len - 1;
}

/* Writes the remaining length (2.2.3: 7 bits a byte, low group first). */
static void mqtt_close(struct wbuf *w, size_t at)
{
    size_t body = w->len - at - 1, v = body;
    uint8_t enc[4];
    int n = 0;

    do {
        enc[n] = (uint8_t)(v % 128);
        v /= 128;
        if (v > 0) {
            enc[n] |= 0x80;
        }
        n++;
    } while (v > 0 && n < 4);
    if (n > 1) {
        w_zero(w, (size_t)n - 1);
        memmove(w->p + at + n, w->p + at + 1, body);
    }
    memcpy(w->p + at, enc, (size_t)n);
}

static void mqtt_str(struct wbuf *w, const char *s)
{
    w_be(w, (uint32_t)strlen(s), 2);
    w_str(w, s);
}

/* Two in three PUBLISH packets are QoS 1 and get a PUBACK. */
static int mqtt_qos(const struct session *s)
{
    return (s->dns_id + s->xchg) % 3 != 0;
}

static void mqtt_connect(struct build *b)
{
    struct wbuf *w = &b->w;
    size_t at = mqtt_open(w, MQTT_CONNECT);
    char text[MQTT_TEXT_MAX];

    mqtt_str(w, "MQTT");
    w_u8(w, MQTT_LEVEL_311);
    w_u8(w, MQTT_FLAGS);
    w_be(w, MQTT_KEEPALIVE, 2);
    snprintf(text, sizeof(text), "pump-%u", (unsigned)b->s->cli);
    mqtt_str(w, text);
    mqtt_str(w, "pump");
    snprintf(text, sizeof(text), "bench-secret-%u", (unsigned)(b->s->cli % 7));
    mqtt_str(w, text);
    mqtt_close(w, at);
}

/* The pump's infusion rate, to ward/<n>/pump/<n>/rate. */
static void mqtt_publish(struct build *b)
{
    const struct session *s = b->s;
    int qos = mqtt_qos(s);
    size_t at = mqtt_open(&b->w, (uint8_t)(MQTT_PUBLISH | qos << 1));
    char topic[MQTT_TEXT_MAX];

    snprintf(topic, sizeof(topic), "ward/%u/pump/%u/rate", (unsigned)(1 + s->cli / 50 % MQTT_WARDS),
             (unsigned)s->cli);
    mqtt_str(&b->w, topic);
    if (qos > 0) {
        w_be(&b->w, s->xchg, 2); /* packet identifier, never 0 */
    }
    w_fmt(&b->w, "{\"rate_ml_h\":%u.%u,\"vtbi_ml\":%u,\"seq\":%u}", (unsigned)(5 + s->mseed % 120),
          (unsigned)(s->mseed >> 8) % 10, (unsigned)(50 + (s->mseed >> 12) % 950),
          (unsigned)s->xchg);
    mqtt_close(&b->w, at);
}

/* CONNECT/CONNACK, then PUBLISH (PUBACK or nothing), then DISCONNECT (nothing). */
static void mqtt_head(struct build *b, int dir)
{
    const struct session *s = b->s;

    if (s->xchg == 0) {
        if (dir == 0) {
            mqtt_connect(b);
        } else {
            w_u8(&b->w, MQTT_CONNACK);
            w_be(&b->w, 0x0200, 2); /* length 2, no session present */
            w_u8(&b->w, 0);         /* accepted */
        }
    } else if (s->n_exchanges == 1) {
        if (dir == 0) {
            w_u8(&b->w, MQTT_DISCONNECT);
            w_u8(&b->w, 0);
        }
    } else if (dir == 0) {
        mqtt_publish(b);
    } else if (mqtt_qos(s)) {
        w_u8(&b->w, MQTT_PUBACK);
        w_u8(&b->w, 2);
        w_be(&b->w, s->xchg, 2);
    }
}

/* ---- DICOM upper layer (PS3.8 9.3) and DIMSE (PS3.7) ---- */

#define DICOM_ASSOC_RQ 0x01
#define DICOM_ASSOC_AC 0x02
#define DICOM_DATA_TF 0x04
#define DICOM_RELEASE_RQ 0x05
#define DICOM_RELEASE_RP 0x06
#define DICOM_PC_ID 1
#define DICOM_MCH_COMMAND 0x01
#define DICOM_MCH_LAST 0x02
#define DICOM_UID_MAX 64
#define DICOM_TEXT_MAX 32
#define UID_APP_CONTEXT "1.2.840.10008.3.1.1.1"
#define UID_CT_STORAGE "1.2.840.10008.5.1.4.1.1.2"
#define UID_EXPLICIT_LE "1.2.840.10008.1.2.1"
#define UID_IMPLICIT_LE "1.2.840.10008.1.2"
#define UID_IMPL_CT "2.25.86107436283740214651230987"    /* made up, under 2.25 (PS3.5 B.2) */
#define UID_IMPL_PACS "2.25.231583305271986450132288461" /* likewise */

/* An AE title: 16 bytes, padded with spaces. */
static void dicom_ae(struct wbuf *w, const char *ae)
{
    size_t n = strlen(ae);

    w_put(w, ae, n);
    for (; n < DICOM_AE_LEN; n++) {
        w_u8(w, ' ');
    }
}

/* An item or sub-item of an association PDU holding a UID or a name. */
static void dicom_item(struct wbuf *w, uint8_t type, const char *text)
{
    w_u8(w, type);
    w_u8(w, 0);
    w_be(w, (uint32_t)strlen(text), 2);
    w_str(w, text);
}

/* Presentation context (9.3.2.2, 9.3.3.2): CT Image Storage, explicit VR little endian. */
static void dicom_pres_context(struct wbuf *w, int dir)
{
    size_t at;

    w_u8(w, dir == 0 ? 0x20 : 0x21);
    w_u8(w, 0);
    at = w_mark(w, 2);
    w_u8(w, DICOM_PC_ID);
    w_zero(w, 3); /* reserved; in the AC, byte 7 is the result: 0 acceptance */
    if (dir == 0) {
        dicom_item(w, 0x30, UID_CT_STORAGE);
        dicom_item(w, 0x40, UID_EXPLICIT_LE);
        dicom_item(w, 0x40, UID_IMPLICIT_LE);
    } else {
        dicom_item(w, 0x40, UID_EXPLICIT_LE);
    }
    w_patch(w, at, 2);
}

/* User information (9.3.2.3): maximum length, implementation class UID and version name. */
static void dicom_user_info(struct wbuf *w, int dir)
{
    size_t at;

    w_u8(w, 0x50);
    w_u8(w, 0);
    at = w_mark(w, 2);
    w_u8(w, 0x51);
    w_u8(w, 0);
    w_be(w, 4, 2);
    w_be(w, DICOM_MAX_PDU, 4);
    dicom_item(w, 0x52, dir == 0 ? UID_IMPL_CT : UID_IMPL_PACS);
    dicom_item(w, 0x55, dir == 0 ? "CTSCAN_3_2" : "PACS_5_1");
    w_patch(w, at, 2);
}

/* A-ASSOCIATE-RQ (9.3.2) from the scanner, A-ASSOCIATE-AC (9.3.3) from the archive. */
static void dicom_associate(struct build *b, int dir)
{
    struct wbuf *w = &b->w;
    char calling[DICOM_AE_LEN + 1];
    size_t at;

    snprintf(calling, sizeof(calling), "CT%04u", (unsigned)(b->s->cli % 10000));
    w_u8(w, dir == 0 ? DICOM_ASSOC_RQ : DICOM_ASSOC_AC);
    w_u8(w, 0);
    at = w_mark(w, 4);
    w_be(w, 1, 2); /* protocol version 1 */
    w_zero(w, 2);
    dicom_ae(w, "PACS");
    dicom_ae(w, calling);
    w_zero(w, 32);
    dicom_item(w, 0x10, UID_APP_CONTEXT);
    dicom_pres_context(w, dir);
    dicom_user_info(w, dir);
    w_patch(w, at, 4);
}

/* The image's SOP instance UID, the same in the request and its response. */
static void dicom_sop_uid(const struct session *s, char *out, size_t cap)
{
    uint64_t v = ((uint64_t)s->dns_id << 40 | (uint64_t)s->cli << 12 | s->xchg) + 1;

    snprintf(out, cap, "2.25.%llu", (unsigned long long)v);
}

/* A command element: group 0000, implicit VR little endian (PS3.5 7.1.3); UIDs NUL-padded. */
static void dicom_cmd_el(struct wbuf *w, uint16_t elem, const void *v, size_t n)
{
    w_le(w, 0x0000, 2);
    w_le(w, elem, 2);
    w_le(w, (uint32_t)(n + (n & 1)), 4);
    w_put(w, v, n);
    if (n & 1) {
        w_u8(w, 0);
    }
}

static void dicom_cmd_us(struct wbuf *w, uint16_t elem, uint16_t v)
{
    uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

    dicom_cmd_el(w, elem, le, 2);
}

/* A P-DATA-TF holding one PDV; dicom_pdu_close fills in both lengths. */
static size_t dicom_pdu_open(struct wbuf *w, uint8_t mch)
{
    size_t at;

    w_u8(w, DICOM_DATA_TF);
    w_u8(w, 0);
    at = w_mark(w, 4);
    w_mark(w, 4);
    w_u8(w, DICOM_PC_ID);
    w_u8(w, mch);
    return at;
}

static void dicom_pdu_close(struct wbuf *w, size_t at)
{
    w_patch(w, at + 4, 4);
    w_patch(w, at, 4);
}

/* C-STORE-RQ (PS3.7 9.3.1.1) or C-STORE-RSP (9.3.1.2), in one command PDV. */
static void dicom_command(struct build *b, int dir)
{
    struct wbuf *w = &b->w;
    size_t pdu = dicom_pdu_open(w, DICOM_MCH_COMMAND | DICOM_MCH_LAST), glen;
    char uid[DICOM_UID_MAX + 1];

    dicom_sop_uid(b->s, uid, sizeof(uid));
    w_le(w, 0x0000, 2); /* CommandGroupLength, UL */
    w_le(w, 0x0000, 2);
    w_le(w, 4, 4);
    glen = w_mark(w, 4);
    dicom_cmd_el(w, 0x0002, UID_CT_STORAGE, strlen(UID_CT_STORAGE));
    dicom_cmd_us(w, 0x0100, dir == 0 ? 0x0001 : 0x8001); /* CommandField */
    if (dir == 0) {
        dicom_cmd_us(w, 0x0110, b->s->xchg); /* MessageID */
        dicom_cmd_us(w, 0x0700, 0x0000);     /* Priority: medium */
        dicom_cmd_us(w, 0x0800, 0x0000);     /* CommandDataSetType: a data set follows */
    } else {
        dicom_cmd_us(w, 0x0120, b->s->xchg); /* MessageIDBeingRespondedTo */
        dicom_cmd_us(w, 0x0800, 0x0101);     /* no data set */
        dicom_cmd_us(w, 0x0900, 0x0000);     /* Status: success */
    }
    dicom_cmd_el(w, 0x1000, uid, strlen(uid)); /* AffectedSOPInstanceUID */
    for (int i = 0; i < 4; i++) {              /* little endian, as the group is */
        w->p[glen + (size_t)i] = (uint8_t)((w->len - glen - 4) >> (8 * i));
    }
    dicom_pdu_close(w, pdu);
}

/* A data element, explicit VR little endian with a 16-bit length (PS3.5 7.1.2). */
static void dicom_ds_el(struct wbuf *w, uint16_t group, uint16_t elem, const char *vr,
                        const void *v, size_t n)
{
    w_le(w, group, 2);
    w_le(w, elem, 2);
    w_put(w, vr, 2);
    w_le(w, (uint32_t)n, 2);
    w_put(w, v, n);
}

/* A text value padded to even length: UIDs with NUL, other strings with a space. */
static void dicom_ds_text(struct wbuf *w, uint16_t group, uint16_t elem, const char *vr,
                          const char *text)
{
    char v[DICOM_UID_MAX + 2];
    size_t n = strlen(text);

    memcpy(v, text, n);
    if (n & 1) {
        v[n++] = vr[0] == 'U' && vr[1] == 'I' ? '\0' : ' ';
    }
    dicom_ds_el(w, group, elem, vr, v, n);
}

static void dicom_ds_us(struct wbuf *w, uint16_t elem, uint16_t v)
{
    uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

    dicom_ds_el(w, 0x0028, elem, "US", le, 2);
}

/* Image rows; the pixel data is rows x DICOM_COLUMNS 16-bit pixels, 2 to 8 KB. */
static uint32_t dicom_rows(const struct session *s)
{
    return 16 * (1 + s->mseed % 4);
}

/* The data set's first PDV: attributes up to the Pixel Data header; the pixels follow. */
static void dicom_dataset_head(struct build *b)
{
    struct wbuf *w = &b->w;
    size_t pdu = dicom_pdu_open(w, 0);
    char uid[DICOM_UID_MAX + 1], text[DICOM_TEXT_MAX];
    uint32_t rows = dicom_rows(b->s);

    dicom_sop_uid(b->s, uid, sizeof(uid));
    snprintf(text, sizeof(text), "BENCH%05u", (unsigned)(b->s->dns_id % 100000));
    dicom_ds_text(w, 0x0008, 0x0016, "UI", UID_CT_STORAGE); /* SOPClassUID */
    dicom_ds_text(w, 0x0008, 0x0018, "UI", uid);            /* SOPInstanceUID */
    dicom_ds_text(w, 0x0008, 0x0060, "CS", "CT");           /* Modality */
    dicom_ds_text(w, 0x0010, 0x0010, "PN", "TESTPATIENT^FAKE");
    dicom_ds_text(w, 0x0010, 0x0020, "LO", text); /* PatientID */
    dicom_ds_us(w, 0x0002, 1);                    /* SamplesPerPixel */
    dicom_ds_text(w, 0x0028, 0x0004, "CS", "MONOCHROME2");
    dicom_ds_us(w, 0x0010, (uint16_t)rows);
    dicom_ds_us(w, 0x0011, DICOM_COLUMNS);
    dicom_ds_us(w, 0x0100, 16); /* BitsAllocated */
    dicom_ds_us(w, 0x0101, 12); /* BitsStored */
    dicom_ds_us(w, 0x0102, 11); /* HighBit */
    dicom_ds_us(w, 0x0103, 0);  /* PixelRepresentation */
    w_le(w, 0x7fe0, 2);         /* PixelData, OW: a 32-bit length (7.1.2) */
    w_le(w, 0x0010, 2);
    w_str(w, "OW");
    w_zero(w, 2);
    w_le(w, rows * DICOM_COLUMNS * 2, 4);
    dicom_pdu_close(w, pdu);
}

/* A-RELEASE-RQ (9.3.6) or -RP (9.3.7): four reserved bytes. */
static void dicom_release(struct wbuf *w, int dir)
{
    w_u8(w, dir == 0 ? DICOM_RELEASE_RQ : DICOM_RELEASE_RP);
    w_u8(w, 0);
    w_be(w, 4, 4);
    w_zero(w, 4);
}

/* Association, then one C-STORE per exchange, then release. */
static void dicom_head(struct build *b, int dir)
{
    if (b->s->xchg == 0) {
        dicom_associate(b, dir);
    } else if (b->s->n_exchanges == 1) {
        dicom_release(&b->w, dir);
    } else {
        dicom_command(b, dir);
        if (dir == 0) {
            dicom_dataset_head(b);
        }
    }
}

/* The header of a P-DATA-TF carrying one data PDV of the pixels. */
static void dicom_pdv_hdr(uint8_t *out, uint32_t body_len, int last)
{
    uint32_t pdu = body_len + DICOM_PDV_HDR, item = body_len + 2;

    out[0] = DICOM_DATA_TF;
    out[1] = 0;
    for (int i = 0; i < 4; i++) {
        out[2 + i] = (uint8_t)(pdu >> (24 - 8 * i));
        out[6 + i] = (uint8_t)(item >> (24 - 8 * i));
    }
    out[10] = DICOM_PC_ID;
    out[11] = last ? DICOM_MCH_LAST : 0;
}

/* ---- messages: a head, then a tail of filler, maybe in records ---- */

static const struct framing tls_framing = {5, TLS_REC_BODY_MAX, tls_record_hdr};
static const struct framing dicom_framing = {DICOM_PDU_HDR + DICOM_PDV_HDR,
                                             DICOM_MAX_PDU - DICOM_PDV_HDR, dicom_pdv_hdr};

/* Whether a DICOM exchange is a C-STORE (not the association or the release). */
static int dicom_is_store(const struct session *s)
{
    return s->xchg > 0 && s->n_exchanges > 1;
}

static const struct framing *msg_framing(const struct session *s, int dir)
{
    if (s->service == SVC_HTTPS && s->xchg > 0) {
        return &tls_framing;
    }
    if (s->service == SVC_DICOM && dir == 0 && dicom_is_store(s)) {
        return &dicom_framing;
    }
    return NULL;
}

/* Payload bytes of the tail of the message dir is about to send. */
static uint32_t msg_tail_size(struct gen *g, const struct session *s, int dir)
{
    switch (s->service) {
    case SVC_HL7:
    case SVC_MQTT:
        return 0;
    case SVC_DICOM:
        return dir == 0 && dicom_is_store(s) ? dicom_rows(s) * DICOM_COLUMNS * 2 : 0;
    case SVC_HTTP:
        return dir == 0 ? 0 : response_size(g, s->service);
    default:
        if ((s->service == SVC_HTTPS && s->xchg == 0) ||
            (s->service == SVC_SSH && s->xchg < SSH_XCHG_NEWKEYS)) {
            return 0; /* handshakes */
        }
        return dir == 0 ? request_size(g, s->service) : response_size(g, s->service);
    }
}

/* Builds the head of the message into g->head. Returns its length. Uses no randomness. */
static size_t msg_head(struct gen *g, const struct session *s, int dir)
{
    struct build b = {{g->head, 0, HEAD_MAX}, g, s};

    switch (s->service) {
    case SVC_HTTP:
        http_head(&b, dir);
        break;
    case SVC_HTTPS:
        tls_head(&b, dir);
        break;
    case SVC_HL7:
        if (dir == 0) {
            hl7_oru(&b);
        } else {
            hl7_ack(&b);
        }
        break;
    case SVC_MQTT:
        mqtt_head(&b, dir);
        break;
    case SVC_DICOM:
        dicom_head(&b, dir);
        break;
    case SVC_SSH:
        ssh_head(&b, dir);
        break;
    default:
        break;
    }
    return b.w.len;
}

static uint32_t framed_len(const struct framing *fr, uint32_t body)
{
    if (fr == NULL) {
        return body;
    }
    return body + fr->hdr_len * ((body + fr->body_max - 1) / fr->body_max);
}

/* Starts the next message from dir: its content seed and sizes. */
static void msg_start(struct gen *g, struct session *s, int dir)
{
    s->mseed = (uint32_t)rng_next(&g->rng);
    s->tail_body = msg_tail_size(g, s, dir);
    s->head_len = (uint16_t)msg_head(g, s, dir);
    s->msg_len = s->head_len + framed_len(msg_framing(s, dir), s->tail_body);
    s->left = s->msg_len;
}

/* Filler at offset off of a tail's payload: up to MSS bytes from the pool. */
static const uint8_t *tail_filler(const struct gen *g, const struct session *s, uint32_t off)
{
    return g->pool + (s->mseed + off) % (POOL_LEN - MSS);
}

/* Bytes [off, off + len) of the tail: record headers made from their place, and filler. */
static void tail_slice(const struct gen *g, const struct session *s, const struct framing *fr,
                       uint32_t off, uint32_t len, uint8_t *out)
{
    if (fr == NULL) {
        memcpy(out, tail_filler(g, s, off), len);
        return;
    }
    while (len > 0) {
        uint32_t rsize = fr->hdr_len + fr->body_max, i = off / rsize, in = off % rsize;
        uint32_t body = s->tail_body - i * fr->body_max, n;

        body = body < fr->body_max ? body : fr->body_max;
        if (in < fr->hdr_len) {
            uint8_t hdr[FRAME_HDR_MAX];

            fr->hdr(hdr, body, (i + 1) * fr->body_max >= s->tail_body);
            n = fr->hdr_len - in < len ? fr->hdr_len - in : len;
            memcpy(out, hdr + in, n);
        } else {
            n = body - (in - fr->hdr_len) < len ? body - (in - fr->hdr_len) : len;
            memcpy(out, tail_filler(g, s, i * fr->body_max + in - fr->hdr_len), n);
        }
        out += n;
        off += n;
        len -= n;
    }
}

/* The next len bytes (at most MSS) of the message dir is sending. */
static const uint8_t *seg_data(struct gen *g, const struct session *s, int dir, uint32_t len)
{
    const struct framing *fr = msg_framing(s, dir);
    uint32_t off = s->msg_len - s->left, done = 0;

    if (off >= s->head_len && fr == NULL) {
        return tail_filler(g, s, off - s->head_len);
    }
    if (off < s->head_len) {
        done = s->head_len - off < len ? s->head_len - off : len;
        msg_head(g, s, dir);
        memcpy(g->payload, g->head + off, done);
    }
    if (done < len) {
        tail_slice(g, s, fr, off + done - s->head_len, len - done, g->payload + done);
    }
    return g->payload;
}

/* ---- packets ---- */

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

/* The request is sent: the server answers next. */
static void request_done(struct gen *g, struct session *s)
{
    s->state = T_RESP;
    s->ack_due = 0;
    msg_start(g, s, 1);
}

/* After the response (or the ACK standing for none): another exchange, or teardown. */
static void exchange_done(struct gen *g, struct session *s)
{
    s->n_exchanges--;
    s->xchg++;
    s->ack_due = 0;
    if (s->n_exchanges > 0) {
        s->state = T_REQ;
        msg_start(g, s, 0);
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
        msg_start(g, s, 0);
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

/*
 * Request and response data, with the receiver's ACKs every ACK_EVERY
 * segments. The response carries the ACK of the request's end; a server
 * with nothing to say (an MQTT QoS 0 PUBLISH) sends a bare ACK instead.
 */
static void tcp_step_data(struct gen *g, struct session *s, struct pkt_spec *sp)
{
    int dir = s->state == T_RESP;
    const uint8_t *data;
    uint32_t len;

    if (dir == 1 && s->msg_len == 0) {
        tcp_seg(s, 1, TH_ACK, NULL, 0, sp);
        exchange_done(g, s);
        return;
    }
    if (s->ack_due >= ACK_EVERY || (s->left == 0 && s->ack_due > 0)) {
        tcp_seg(s, !dir, TH_ACK, NULL, 0, sp);
        s->ack_due = 0;
        if (s->left == 0) {
            exchange_done(g, s);
        }
        return;
    }
    len = s->left < MSS ? s->left : MSS;
    data = seg_data(g, s, dir, len);
    s->left -= len;
    s->ack_due++;
    tcp_seg(s, dir, s->left == 0 ? TH_PSH | TH_ACK : TH_ACK, data, len, sp);
    if (dir == 0 && s->left == 0) {
        request_done(g, s);
    }
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

#define NTP_LEN 48
#define NTP_UNIX_OFFSET 2208988800u /* seconds from 1900 to 1970 */

/* An NTPv4 time stamp (RFC 5905 6): seconds since 1900, then a 32-bit fraction. */
static void ntp_time(struct wbuf *w, uint64_t us)
{
    w_be(w, (uint32_t)(us / 1000000 + NTP_UNIX_OFFSET), 4);
    w_be(w, (uint32_t)(((us % 1000000) << 32) / 1000000), 4);
}

/* An NTPv4 client request (mode 3, dir 0) or server reply (mode 4), RFC 5905 7.3. */
static size_t ntp_msg(struct gen *g, int dir)
{
    static const uint8_t ref_id[4] = {10, 1, 0, 254};
    struct wbuf w = {g->payload, 0, NTP_LEN};
    uint64_t now = g->ts_us;

    w_u8(&w, dir == 0 ? 0x23 : 0x24); /* LI 0, version 4, mode */
    w_u8(&w, dir == 0 ? 0 : 2);       /* stratum */
    w_u8(&w, 6);                      /* poll: 64 s */
    w_u8(&w, 0xe9);                   /* precision: 2^-23 s */
    if (dir == 0) {
        w_zero(&w, 12 + 24); /* root delay, dispersion, reference id; three time stamps */
        ntp_time(&w, now);
        return w.len;
    }
    w_be(&w, 0x00000a3d, 4); /* root delay, 16.16 seconds */
    w_be(&w, 0x000010c5, 4); /* root dispersion */
    w_put(&w, ref_id, 4);
    ntp_time(&w, now - 16000000); /* reference: last set 16 s ago */
    ntp_time(&w, now - 250);      /* origin: the request's transmit time, near enough */
    ntp_time(&w, now - 40);       /* receive */
    ntp_time(&w, now - 20);       /* transmit */
    return w.len;
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
    } else if (s->kind == K_NTP) {
        len = ntp_msg(g, dir);
        sp->payload = g->payload;
    } else {
        len = 56;
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

/* ---- DHCP (RFC 2131 2, options of RFC 2132) ---- */

#define BOOTP_REQUEST 1
#define BOOTP_REPLY 2
#define DHCP_XID_OFF 4
#define DHCP_LEASE_S 86400u
#define DHCP_TEXT_MAX 64

/* What a device's DHCP client says about it, by the device's role. */
struct dhcp_client {
    const char *name, *vendor; /* name: the hostname before the host number */
    const uint8_t *prl;
    size_t prl_len;
};

static void dhcp_client_of(uint32_t host, struct dhcp_client *c)
{
    static const uint8_t prl_udhcp[] = {1, 3, 6, 12, 15, 28, 42};
    static const uint8_t prl_dhcpcd[] = {1, 121, 33, 3, 6, 12, 15, 26, 28, 51, 54, 58, 59, 119};
    static const uint8_t prl_windows[] = {1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252};
    uint32_t role = host % SERVER_EVERY;

    if (role == ROLE_MONITOR || role == ROLE_MONITOR + 1) {
        *c = (struct dhcp_client){"icu-mon-", "udhcp 1.36.1", prl_udhcp, sizeof(prl_udhcp)};
    } else if (role == ROLE_PUMP) {
        *c = (struct dhcp_client){"pump-", "dhcpcd-9.4.1:Linux-5.15.0:armv7l:Freescale", prl_dhcpcd,
                                  sizeof(prl_dhcpcd)};
    } else {
        *c = (struct dhcp_client){role == ROLE_MODALITY ? "ct-" : "ws-", "MSFT 5.0", prl_windows,
                                  sizeof(prl_windows)};
    }
}

static void dhcp_opt(struct wbuf *w, uint8_t code, const void *v, size_t n)
{
    w_u8(w, code);
    w_u8(w, (uint32_t)n);
    w_put(w, v, n);
}

static void dhcp_opt_u32(struct wbuf *w, uint8_t code, uint32_t v)
{
    uint8_t be[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

    dhcp_opt(w, code, be, 4);
}

/* DISCOVER and REQUEST: client id, hostname, vendor class, parameter request list. */
static void dhcp_client_opts(struct wbuf *w, const struct session *s)
{
    uint8_t client_id[7] = {1}; /* hardware type Ethernet, then the address */
    uint8_t max_size[2] = {0x05, 0xdc};
    char name[DHCP_TEXT_MAX];
    struct dhcp_client c;

    dhcp_client_of(s->cli, &c);
    memcpy(client_id + 1, s->cmac, 6);
    dhcp_opt(w, 61, client_id, sizeof(client_id));
    if (s->xchg == 2) {
        dhcp_opt(w, 50, s->cip, 4); /* requested address */
        dhcp_opt(w, 54, s->sip, 4); /* server identifier */
    }
    dhcp_opt(w, 57, max_size, sizeof(max_size));
    snprintf(name, sizeof(name), "%s%u", c.name, (unsigned)s->cli);
    dhcp_opt(w, 12, name, strlen(name));
    dhcp_opt(w, 60, c.vendor, strlen(c.vendor));
    dhcp_opt(w, 55, c.prl, c.prl_len);
}

/* OFFER and ACK: server id, lease times, mask, router, DNS server, domain. */
static void dhcp_server_opts(struct wbuf *w, const struct session *s)
{
    static const uint8_t mask[4] = {255, 255, 0, 0}, router[4] = {10, 1, 0, 254};
    static const char domain[] = "hospital.test";

    dhcp_opt(w, 54, s->sip, 4);
    dhcp_opt_u32(w, 51, DHCP_LEASE_S);
    dhcp_opt_u32(w, 58, DHCP_LEASE_S / 2);
    dhcp_opt_u32(w, 59, DHCP_LEASE_S / 8 * 7);
    dhcp_opt(w, 1, mask, 4);
    dhcp_opt(w, 3, router, 4);
    dhcp_opt(w, 6, s->sip, 4);
    dhcp_opt(w, 15, domain, sizeof(domain) - 1);
}

/* Message s->xchg of DISCOVER, OFFER, REQUEST, ACK into g->payload. Returns its length. */
static size_t dhcp_msg(struct gen *g, const struct session *s)
{
    static const uint8_t type[4] = {1, 2, 3, 5};
    static const uint8_t cookie[4] = {99, 130, 83, 99};
    struct wbuf w = {g->payload, 0, HEAD_MAX};
    int server = s->xchg & 1;

    w_u8(&w, server ? BOOTP_REPLY : BOOTP_REQUEST);
    w_u8(&w, 1); /* Ethernet */
    w_u8(&w, 6);
    w_u8(&w, 0);
    w_be(&w, (uint32_t)s->dns_id << 16 | (s->cli & 0xffff), 4);  /* xid */
    w_be(&w, server ? 0 : s->xchg, 2);                           /* secs */
    w_zero(&w, 2 + 4);                                           /* flags, ciaddr */
    w_put(&w, server ? s->cip : (const uint8_t *)"\0\0\0\0", 4); /* yiaddr */
    w_put(&w, server ? s->sip : (const uint8_t *)"\0\0\0\0", 4); /* siaddr */
    w_zero(&w, 4);                                               /* giaddr */
    w_put(&w, s->cmac, 6);
    w_zero(&w, 10 + 64 + 128); /* chaddr padding, sname, file */
    w_put(&w, cookie, 4);
    dhcp_opt(&w, 53, &type[s->xchg & 3], 1);
    if (server) {
        dhcp_server_opts(&w, s);
    } else {
        dhcp_client_opts(&w, s);
    }
    w_u8(&w, 255);
    while (w.len < DHCP_MIN_LEN) {
        w_u8(&w, 0);
    }
    return w.len;
}

/* Client messages go from 0.0.0.0 to the broadcast address; the server's to the new one. */
static void dhcp_step(struct gen *g, struct session *s, struct pkt_spec *sp)
{
    int server = s->xchg & 1;

    spec_base(s, server, 17, sp);
    if (!server) {
        memset(sp->src_ip, 0, 4);
        memset(sp->dst_ip, 0xff, 4);
        memset(sp->dst_mac, 0xff, 6);
    }
    sp->payload = g->payload;
    sp->payload_len = dhcp_msg(g, s);
    s->xchg++;
    if (s->xchg == s->n_exchanges) {
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
        } else if (s->kind == K_DHCP) {
            dhcp_step(g, s, &sp);
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
    static const char *const kind_name[K_MAX] = {
        "tcp-internal", "tcp-outbound", "tcp-inbound", "hl7",    "mqtt", "dicom",
        "tcp-refused",  "dns",          "ntp",         "syslog", "icmp", "dhcp"};
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
