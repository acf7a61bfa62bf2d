/* SPDX-License-Identifier: MIT */
/*
 * fingerprint: per-device tokens from packets, and a Bernoulli naive Bayes
 * over them that names device types. Packet bytes read here follow BOOTP
 * and DHCP options (RFC 2131, RFC 2132), DNS and mDNS messages (RFC 1035
 * section 4, RFC 6762), SSDP and HTTP/1.1 request headers (UPnP Device
 * Architecture 1.1 section 1, RFC 9112) and the TLS ClientHello (RFC 8446
 * section 4.1.2, server_name from RFC 6066 section 3). The per-packet
 * vector of a device's first packets follows IoT Sentinel (Miettinen et
 * al., ICDCS 2017, table I).
 */
#include "inventory/fingerprint.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode_int.h"
#include "util/cursor.h"

#define FP_DEV_TOK_INIT 64        /* token slots a new device starts with */
#define FP_TEXT_MAX (1u << 20)    /* token texts a keep_text collector holds */
#define FP_SEQ_LEN 12             /* IoT Sentinel: first 12 distinct packets */
#define FP_PORT_EXACT_MAX 49152   /* ports below are named; above, "dyn" */
#define FP_NAME_MAX 255           /* DNS name text, RFC 1035 section 2.3.4 */
#define FP_DNS_RECORDS_MAX 16     /* questions and answers read per message */
#define FP_DNS_JUMPS_MAX 16       /* compression pointers followed per name */
#define FP_LINE_MAX 160           /* header line bytes looked at */
#define FP_LINES_MAX 24           /* header lines looked at per message */
#define FP_DHCP_FIXED 236         /* BOOTP header before the magic cookie */
#define FP_DHCP_COOKIE 0x63825363u
#define FP_TLS_CIPHERS_SHOWN 4    /* cipher suites named in the ClientHello token */
#define FP_SERIAL_MIN 4           /* hex run length that looks like a serial */
#define FP_SERIAL_DEC_MIN 6       /* ... when it has no letter a-f */
#define FP_SRV_PORTS_MAX 16       /* TCP server ports remembered per device */

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

#define PORT_DHCP_SERVER 67
#define PORT_DHCP_CLIENT 68
#define PORT_DNS 53
#define PORT_MDNS 5353
#define PORT_SSDP 1900
#define PORT_NTP 123
#define PORT_HTTP 80
#define PORT_HTTPS 443

/* ---- Token text ----------------------------------------------------------- */

struct fp_tok {
    char s[FP_TOKEN_LEN];
    size_t n;
};

static void tok_ch(struct fp_tok *t, char ch)
{
    if (t->n + 1 < sizeof(t->s)) {
        t->s[t->n++] = ch;
    }
    t->s[t->n] = '\0';
}

static void tok_str(struct fp_tok *t, const char *s)
{
    for (; *s != '\0'; s++) {
        tok_ch(t, *s);
    }
}

static void tok_start(struct fp_tok *t, const char *prefix)
{
    t->n = 0;
    t->s[0] = '\0';
    tok_str(t, prefix);
}

static void tok_u(struct fp_tok *t, uint64_t v)
{
    char buf[24];
    int i = 0;

    do {
        buf[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0 && i < (int)sizeof(buf));
    while (i > 0) {
        tok_ch(t, buf[--i]);
    }
}

static bool is_hex(uint8_t ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

/*
 * Appends text from the wire: non-printable bytes become '?', and a run of
 * hex digits that looks like a serial number or a MAC suffix (at least
 * FP_SERIAL_MIN long with a letter a-f, or FP_SERIAL_DEC_MIN long, and a
 * digit in it) becomes '#', so a token names the type and not one unit.
 */
static void tok_text(struct fp_tok *t, const uint8_t *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t j = i;
        bool digit = false, letter = false;

        while (j < n && is_hex(s[j])) {
            digit = digit || (s[j] >= '0' && s[j] <= '9');
            letter = letter || !(s[j] >= '0' && s[j] <= '9');
            j++;
        }
        if (j - i >= FP_SERIAL_MIN && digit &&
            (letter || j - i >= FP_SERIAL_DEC_MIN)) {
            tok_ch(t, '#');
            i = j;
            continue;
        }
        for (; i < j; i++) {
            tok_ch(t, (char)s[i]);
        }
        if (i < n) {
            tok_ch(t, (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?');
            i++;
        }
    }
}

static uint64_t fp_hash(const char *s)
{
    uint64_t h = FNV_OFFSET;

    for (; *s != '\0'; s++) {
        h ^= (uint8_t)*s;
        h *= FNV_PRIME;
    }
    return h == 0 ? 1 : h;
}

/* ---- Devices and the collector ------------------------------------------------- */

struct fp_device {
    uint8_t mac[6];
    uint64_t n_tx, n_rx;
    uint64_t *tok;  /* token hashes in first-seen order */
    uint32_t n_tok, cap_tok;
    uint32_t *idx;  /* open addressing over tok: position + 1, 0 empty */
    uint32_t idx_cap;
    /* IoT Sentinel sequence */
    uint32_t n_seq;
    uint64_t last_vec;
    uint8_t seq_ip[FP_SEQ_LEN][16];
    uint8_t n_seq_ip;
    /* TCP ports seen as a connection's server end (a SYN went to them) */
    uint16_t srv[FP_SRV_PORTS_MAX];
    uint8_t n_srv;
};

struct fp_text {
    uint64_t hash;
    char *text;
};

struct fp_collector {
    struct fp_device **slot; /* open addressing by MAC */
    uint32_t slot_cap;
    struct fp_device **order; /* first-seen order */
    uint32_t n_dev, order_cap;
    uint64_t dropped;
    bool keep_text;
    struct fp_text *text; /* open addressing by hash */
    uint32_t text_cap, n_text;
};

struct fp_collector *fp_collector_new(void)
{
    return calloc(1, sizeof(struct fp_collector));
}

void fp_collector_keep_text(struct fp_collector *c)
{
    c->keep_text = true;
}

static void device_free(struct fp_device *d)
{
    free(d->tok);
    free(d->idx);
    free(d);
}

void fp_collector_free(struct fp_collector *c)
{
    if (c == NULL) {
        return;
    }
    for (uint32_t i = 0; i < c->n_dev; i++) {
        device_free(c->order[i]);
    }
    for (uint32_t i = 0; i < c->text_cap; i++) {
        free(c->text[i].text);
    }
    free(c->text);
    free(c->slot);
    free(c->order);
    free(c);
}

uint64_t fp_collector_dropped(const struct fp_collector *c)
{
    return c->dropped;
}

static uint32_t mac_hash(const uint8_t mac[6])
{
    uint64_t h = FNV_OFFSET;

    for (int i = 0; i < 6; i++) {
        h ^= mac[i];
        h *= FNV_PRIME;
    }
    return (uint32_t)(h ^ (h >> 32));
}

static struct fp_device **slot_find(struct fp_device **slot, uint32_t cap, const uint8_t mac[6])
{
    uint32_t i = mac_hash(mac) & (cap - 1);

    while (slot[i] != NULL && memcmp(slot[i]->mac, mac, 6) != 0) {
        i = (i + 1) & (cap - 1);
    }
    return &slot[i];
}

/* Doubles the MAC table. Returns 0 or -1 without memory. */
static int collector_grow(struct fp_collector *c)
{
    uint32_t cap = c->slot_cap == 0 ? 64 : c->slot_cap * 2;
    struct fp_device **slot = calloc(cap, sizeof(*slot));
    struct fp_device **order = realloc(c->order, (cap / 2) * sizeof(*order));

    if (slot == NULL || order == NULL) {
        free(slot);
        if (order != NULL) {
            c->order = order;
        }
        return -1;
    }
    c->order = order;
    c->order_cap = cap / 2;
    for (uint32_t i = 0; i < c->n_dev; i++) {
        *slot_find(slot, cap, order[i]->mac) = order[i];
    }
    free(c->slot);
    c->slot = slot;
    c->slot_cap = cap;
    return 0;
}

/* The device for mac, made when new; NULL when the table is full. */
static struct fp_device *collector_device(struct fp_collector *c, const uint8_t mac[6])
{
    struct fp_device **s;
    struct fp_device *d;

    if (c->slot_cap != 0) {
        s = slot_find(c->slot, c->slot_cap, mac);
        if (*s != NULL) {
            return *s;
        }
    }
    if (c->n_dev >= FP_DEVICES_MAX) {
        c->dropped++;
        return NULL;
    }
    if (c->n_dev + 1 > c->order_cap && collector_grow(c) < 0) {
        c->dropped++;
        return NULL;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        c->dropped++;
        return NULL;
    }
    memcpy(d->mac, mac, 6);
    *slot_find(c->slot, c->slot_cap, mac) = d;
    c->order[c->n_dev++] = d;
    return d;
}

const struct fp_device *fp_collector_find(const struct fp_collector *c, const uint8_t mac[6])
{
    struct fp_device *d;

    if (c->slot_cap == 0) {
        return NULL;
    }
    d = *slot_find(c->slot, c->slot_cap, mac);
    return (d != NULL && d->n_tx > 0) ? d : NULL;
}

void fp_collector_each(struct fp_collector *c,
                       void (*fn)(void *arg, const uint8_t mac[6], const struct fp_device *d),
                       void *arg)
{
    for (uint32_t i = 0; i < c->n_dev; i++) {
        if (c->order[i]->n_tx > 0) {
            fn(arg, c->order[i]->mac, c->order[i]);
        }
    }
}

uint64_t fp_device_packets(const struct fp_device *d)
{
    return d->n_tx;
}

uint32_t fp_device_n_tokens(const struct fp_device *d)
{
    return d->n_tok;
}

/* Remembers a token's text (keep_text collectors). */
static void text_keep(struct fp_collector *c, uint64_t h, const char *s)
{
    uint32_t i;

    if (c->text_cap == 0 || (c->n_text + 1) * 2 > c->text_cap) {
        uint32_t cap = c->text_cap == 0 ? 1024 : c->text_cap * 2;
        struct fp_text *t;

        if (c->n_text >= FP_TEXT_MAX || (t = calloc(cap, sizeof(*t))) == NULL) {
            return;
        }
        for (uint32_t k = 0; k < c->text_cap; k++) {
            if (c->text[k].text != NULL) {
                i = (uint32_t)c->text[k].hash & (cap - 1);
                while (t[i].text != NULL) {
                    i = (i + 1) & (cap - 1);
                }
                t[i] = c->text[k];
            }
        }
        free(c->text);
        c->text = t;
        c->text_cap = cap;
    }
    i = (uint32_t)h & (c->text_cap - 1);
    while (c->text[i].text != NULL) {
        if (c->text[i].hash == h) {
            return;
        }
        i = (i + 1) & (c->text_cap - 1);
    }
    c->text[i].text = strdup(s);
    if (c->text[i].text != NULL) {
        c->text[i].hash = h;
        c->n_text++;
    }
}

static const char *text_find(const struct fp_collector *c, uint64_t h)
{
    uint32_t i;

    if (c->text_cap == 0) {
        return NULL;
    }
    i = (uint32_t)h & (c->text_cap - 1);
    while (c->text[i].text != NULL) {
        if (c->text[i].hash == h) {
            return c->text[i].text;
        }
        i = (i + 1) & (c->text_cap - 1);
    }
    return NULL;
}

const char *fp_device_token_text(const struct fp_collector *c, const struct fp_device *d,
                                 uint32_t i)
{
    return i < d->n_tok ? text_find(c, d->tok[i]) : NULL;
}

/* Makes room for more tokens on d. Returns 0 or -1. */
static int device_grow(struct fp_device *d)
{
    uint32_t cap = d->cap_tok == 0 ? FP_DEV_TOK_INIT : d->cap_tok * 2;
    uint32_t icap = cap * 2;
    uint64_t *tok = realloc(d->tok, cap * sizeof(*tok));
    uint32_t *idx;

    if (tok == NULL) {
        return -1;
    }
    d->tok = tok;
    idx = calloc(icap, sizeof(*idx));
    if (idx == NULL) {
        return -1;
    }
    for (uint32_t k = 0; k < d->n_tok; k++) {
        uint32_t i = (uint32_t)d->tok[k] & (icap - 1);

        while (idx[i] != 0) {
            i = (i + 1) & (icap - 1);
        }
        idx[i] = k + 1;
    }
    free(d->idx);
    d->idx = idx;
    d->idx_cap = icap;
    d->cap_tok = cap;
    return 0;
}

/* Adds a token hash to the device unless it has it or is full. */
static void device_add_hash(struct fp_device *d, uint64_t h, bool *added)
{
    uint32_t i;

    *added = false;
    if (d->idx_cap != 0) {
        i = (uint32_t)h & (d->idx_cap - 1);
        while (d->idx[i] != 0) {
            if (d->tok[d->idx[i] - 1] == h) {
                return;
            }
            i = (i + 1) & (d->idx_cap - 1);
        }
    }
    if (d->n_tok >= FP_DEVICE_TOKENS_MAX) {
        return;
    }
    if (d->n_tok + 1 > d->cap_tok && device_grow(d) < 0) {
        return;
    }
    i = (uint32_t)h & (d->idx_cap - 1);
    while (d->idx[i] != 0) {
        i = (i + 1) & (d->idx_cap - 1);
    }
    d->tok[d->n_tok] = h;
    d->idx[i] = ++d->n_tok;
    *added = true;
}

/* What one packet's tokens go to. */
struct fp_emit {
    struct fp_collector *c;
    struct fp_device *d;
};

static void emit(struct fp_emit *e, const struct fp_tok *t)
{
    uint64_t h = fp_hash(t->s);
    bool added;

    device_add_hash(e->d, h, &added);
    if (added && e->c->keep_text) {
        text_keep(e->c, h, t->s);
    }
}

/* ---- Packet features ------------------------------------------------------ */

static const char *proto_tag(uint8_t proto)
{
    switch (proto) {
    case IPPROTO_NUM_TCP:
        return "tcp";
    case IPPROTO_NUM_UDP:
        return "udp";
    case IPPROTO_NUM_ICMP:
        return "icmp";
    case IPPROTO_NUM_ICMPV6:
        return "icmp6";
    default:
        return "ip";
    }
}

/* A port's token text: its number below FP_PORT_EXACT_MAX, else "dyn". */
static void tok_port(struct fp_tok *t, uint16_t port)
{
    if (port < FP_PORT_EXACT_MAX) {
        tok_u(t, port);
    } else {
        tok_str(t, "dyn");
    }
}

static bool device_is_srv(const struct fp_device *d, uint16_t port)
{
    for (uint8_t i = 0; i < d->n_srv; i++) {
        if (d->srv[i] == port) {
            return true;
        }
    }
    return false;
}

/* Remembers a TCP SYN's destination port as a server port of the device. */
static void device_note_srv(struct fp_device *d, const struct ww_packet *p)
{
    if (p->ip_proto == IPPROTO_NUM_TCP && (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN &&
        d->n_srv < FP_SRV_PORTS_MAX && !device_is_srv(d, p->dport)) {
        d->srv[d->n_srv++] = p->dport;
    }
}

/*
 * The port that names the service: a port this device saw a SYN go to,
 * else the lower of the two (a well-known port is below any ephemeral one).
 */
static uint16_t service_port(const struct fp_device *d, const struct ww_packet *p)
{
    if (device_is_srv(d, p->sport)) {
        return p->sport;
    }
    if (device_is_srv(d, p->dport)) {
        return p->dport;
    }
    return p->sport < p->dport ? p->sport : p->dport;
}

/* Destination address class: broadcast, a multicast group, or private/public unicast. */
static void tok_dst_class(struct fp_tok *t, const struct ww_packet *p)
{
    const uint8_t *a = p->dst_ip;

    if (p->family == 4) {
        if (a[0] >= 224) {
            for (int i = 0; i < 4; i++) {
                tok_u(t, a[i]);
                tok_ch(t, i < 3 ? '.' : '\0');
            }
        } else if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
                   (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254)) {
            tok_str(t, "private");
        } else {
            tok_str(t, "public");
        }
        return;
    }
    if (a[0] == 0xff) {
        tok_str(t, "ff");
        tok_u(t, a[1] & 0x0f);
        tok_str(t, "::");
        tok_u(t, ((unsigned)a[14] << 8) | a[15]);
    } else if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) {
        tok_str(t, "link-local");
    } else {
        tok_str(t, "global");
    }
}

static void feat_l3(struct fp_emit *e, const struct ww_packet *p)
{
    struct fp_tok t;

    if (p->flags & PKT_ARP) {
        tok_start(&t, "tx.arp:");
        tok_u(&t, p->arp.op);
        if (memcmp(p->arp.sender_ip, p->arp.target_ip, 4) == 0) {
            tok_str(&t, ":gratuitous");
        }
        emit(e, &t);
        return;
    }
    if (p->family == 0) {
        tok_start(&t, "tx.l3:other");
        emit(e, &t);
        return;
    }
    tok_start(&t, p->family == 4 ? "tx.ttl4:" : "tx.ttl6:");
    tok_u(&t, p->ttl);
    emit(e, &t);
    tok_start(&t, "tx.dst:");
    tok_str(&t, proto_tag(p->ip_proto));
    tok_ch(&t, ':');
    tok_dst_class(&t, p);
    emit(e, &t);
    if (p->flags & PKT_IPV4_OPTS) {
        tok_start(&t, "tx.ipopts");
        emit(e, &t);
    }
}

/* TCP SYN and SYN-ACK shape: window, MSS, window scale, options, TTL. */
static void feat_syn(struct fp_emit *e, const struct ww_packet *p)
{
    struct fp_tok t;

    if (!(p->tcp_flags & TCP_SYN)) {
        return;
    }
    tok_start(&t, (p->tcp_flags & TCP_ACK) ? "tx.synack:w" : "tx.syn:w");
    tok_u(&t, p->tcp_win);
    tok_str(&t, ",m");
    tok_u(&t, p->tcp_mss);
    tok_str(&t, ",s");
    tok_u(&t, (p->tcp_opts & TCP_OPT_WSCALE_SEEN) ? p->tcp_wscale : 255);
    tok_str(&t, ",o");
    tok_u(&t, p->tcp_opts);
    emit(e, &t);
    if (p->tcp_flags & TCP_ACK) {
        tok_start(&t, "tx.listen:tcp/");
        tok_port(&t, p->sport);
        emit(e, &t);
    }
}

static void feat_ports(struct fp_emit *e, const struct ww_packet *p, const char *dir)
{
    struct fp_tok t;
    uint16_t svc = service_port(e->d, p);

    if (p->ip_proto == IPPROTO_NUM_ICMP || p->ip_proto == IPPROTO_NUM_ICMPV6) {
        tok_start(&t, dir);
        tok_str(&t, proto_tag(p->ip_proto));
        tok_ch(&t, ':');
        tok_u(&t, p->icmp_type);
        tok_ch(&t, '/');
        tok_u(&t, p->icmp_code);
        emit(e, &t);
        return;
    }
    if (p->ip_proto != IPPROTO_NUM_TCP && p->ip_proto != IPPROTO_NUM_UDP) {
        tok_start(&t, dir);
        tok_str(&t, "ipproto:");
        tok_u(&t, p->ip_proto);
        emit(e, &t);
        return;
    }
    tok_start(&t, dir);
    tok_str(&t, proto_tag(p->ip_proto));
    tok_ch(&t, ':');
    tok_port(&t, svc);
    emit(e, &t);
    tok_str(&t, ":len");
    tok_u(&t, p->ip_len);
    emit(e, &t);
}

/* ---- DHCP (RFC 2131 section 2, RFC 2132) ---------------------------------------- */

static void dhcp_list(struct fp_emit *e, const char *prefix, const uint8_t *v, size_t n)
{
    struct fp_tok t;

    tok_start(&t, prefix);
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            tok_ch(&t, ',');
        }
        tok_u(&t, v[i]);
    }
    emit(e, &t);
}

static void dhcp_option(struct fp_emit *e, uint8_t code, const uint8_t *v, size_t n)
{
    struct fp_tok t;

    switch (code) {
    case 53:
        if (n == 1) {
            tok_start(&t, "dhcp.type:");
            tok_u(&t, v[0]);
            emit(e, &t);
        }
        break;
    case 55:
        dhcp_list(e, "dhcp.prl:", v, n);
        break;
    case 60:
        tok_start(&t, "dhcp.vendor:");
        tok_text(&t, v, n);
        emit(e, &t);
        break;
    case 12:
        tok_start(&t, "dhcp.host:");
        tok_text(&t, v, n);
        emit(e, &t);
        break;
    case 57:
        if (n == 2) {
            tok_start(&t, "dhcp.maxsize:");
            tok_u(&t, ((unsigned)v[0] << 8) | v[1]);
            emit(e, &t);
        }
        break;
    case 61:
        tok_start(&t, "dhcp.clientid:type");
        tok_u(&t, n > 0 ? v[0] : 256); /* the id itself names one unit, not a type */
        emit(e, &t);
        break;
    default:
        break;
    }
}

/* A client's DHCP message: options in order, the request list, vendor class, host name. */
static void feat_dhcp(struct fp_emit *e, const struct ww_packet *p)
{
    struct ww_cursor cur;
    uint32_t cookie;
    uint8_t codes[64];
    size_t n_codes = 0;

    cursor_init(&cur, p->payload, p->payload_len);
    if (cursor_skip(&cur, FP_DHCP_FIXED) < 0 || cursor_be32(&cur, &cookie) < 0 ||
        cookie != FP_DHCP_COOKIE) {
        return;
    }
    for (;;) {
        uint8_t code, len;
        const uint8_t *v;

        if (cursor_u8(&cur, &code) < 0 || code == 255) {
            break;
        }
        if (code == 0) {
            continue;
        }
        if (cursor_u8(&cur, &len) < 0 || cursor_bytes(&cur, len, &v) < 0) {
            break;
        }
        if (n_codes < sizeof(codes)) {
            codes[n_codes++] = code;
        }
        dhcp_option(e, code, v, len);
    }
    dhcp_list(e, "dhcp.options:", codes, n_codes);
}

/* ---- DNS and mDNS (RFC 1035 section 4, RFC 6762) --------------------------------- */

/*
 * Reads a possibly compressed name at cur into t (lower-cased, '#' for
 * serial-looking runs) and moves cur past it. Returns 0 or -1.
 */
static int dns_name(struct ww_cursor *cur, const uint8_t *msg, size_t msg_len, struct fp_tok *t)
{
    struct ww_cursor at = *cur;
    bool jumped = false;
    int jumps = 0;
    size_t total = 0;

    for (;;) {
        uint8_t len, lo;
        const uint8_t *label;
        uint8_t low[64];

        if (cursor_u8(&at, &len) < 0) {
            return -1;
        }
        if (len == 0) {
            break;
        }
        if ((len & 0xc0) == 0xc0) {
            if (cursor_u8(&at, &lo) < 0 || ++jumps > FP_DNS_JUMPS_MAX) {
                return -1;
            }
            if (!jumped) {
                *cur = at;
                jumped = true;
            }
            size_t off = ((size_t)(len & 0x3f) << 8) | lo;
            if (off >= msg_len) {
                return -1;
            }
            cursor_init(&at, msg + off, msg_len - off);
            continue;
        }
        if ((len & 0xc0) != 0 || cursor_bytes(&at, len, &label) < 0) {
            return -1;
        }
        total += (size_t)len + 1;
        if (total > FP_NAME_MAX) {
            return -1;
        }
        for (uint8_t i = 0; i < len; i++) {
            low[i] = (label[i] >= 'A' && label[i] <= 'Z') ? (uint8_t)(label[i] + 32) : label[i];
        }
        tok_text(t, low, len);
        tok_ch(t, '.');
    }
    if (!jumped) {
        *cur = at;
    }
    return 0;
}

/* Questions (and for mDNS, answer owner names) of a DNS message the device sent. */
static void feat_dns(struct fp_emit *e, const struct ww_packet *p, const char *prefix)
{
    struct ww_cursor cur;
    uint16_t id, flags, qd, an, type, rclass, rdlen;
    uint32_t ttl;

    cursor_init(&cur, p->payload, p->payload_len);
    if (cursor_be16(&cur, &id) < 0 || cursor_be16(&cur, &flags) < 0 ||
        cursor_be16(&cur, &qd) < 0 || cursor_be16(&cur, &an) < 0 || cursor_skip(&cur, 4) < 0) {
        return;
    }
    for (uint32_t i = 0; i < (uint32_t)qd + an && i < FP_DNS_RECORDS_MAX; i++) {
        struct fp_tok t;
        bool answer = i >= qd;

        tok_start(&t, prefix);
        tok_str(&t, answer ? "an:" : "qd:");
        if (dns_name(&cur, p->payload, p->payload_len, &t) < 0 || cursor_be16(&cur, &type) < 0 ||
            cursor_be16(&cur, &rclass) < 0) {
            return;
        }
        tok_ch(&t, ':');
        tok_u(&t, type);
        emit(e, &t);
        if (answer && (cursor_be32(&cur, &ttl) < 0 || cursor_be16(&cur, &rdlen) < 0 ||
                       cursor_skip(&cur, rdlen) < 0)) {
            return;
        }
    }
}

/* ---- SSDP and HTTP request headers (UPnP DA 1.1 section 1, RFC 9112) ------------- */

static bool header_is(const uint8_t *line, size_t n, const char *name)
{
    size_t k = strlen(name);

    if (n <= k || line[k] != ':') {
        return false;
    }
    for (size_t i = 0; i < k; i++) {
        uint8_t ch = line[i];

        if (ch >= 'a' && ch <= 'z') {
            ch = (uint8_t)(ch - 32);
        }
        if (ch != (uint8_t)name[i]) {
            return false;
        }
    }
    return true;
}

/* The request line's method and the path's first segment, or the status line's code. */
static void feat_start_line(struct fp_emit *e, const char *prefix, const uint8_t *line, size_t n)
{
    struct fp_tok t;
    size_t i = 0;

    while (i < n && line[i] != ' ') {
        i++;
    }
    size_t j = i + 1;
    while (j < n && line[j] != ' ' && line[j] != '?' && (j == i + 1 || line[j] != '/')) {
        j++;
    }
    tok_start(&t, prefix);
    tok_text(&t, line, j < n ? j : n);
    emit(e, &t);
}

static const char *const FP_HEADERS[] = {"ST", "NT", "SERVER", "USER-AGENT", "NTS", "MAN"};

/* Start line and the fingerprinting headers of a text message (SSDP or HTTP). */
static void feat_headers(struct fp_emit *e, const struct ww_packet *p, const char *prefix)
{
    struct ww_cursor cur;
    int n_lines = 0;

    cursor_init(&cur, p->payload, p->payload_len);
    while (cursor_left(&cur) > 0 && n_lines < FP_LINES_MAX) {
        const uint8_t *line = cur.pos;
        size_t n = 0, left = cursor_left(&cur);

        while (n < left && line[n] != '\n') {
            n++;
        }
        cursor_skip(&cur, n < left ? n + 1 : n);
        if (n > 0 && line[n - 1] == '\r') {
            n--;
        }
        if (n == 0) {
            break;
        }
        n = n > FP_LINE_MAX ? FP_LINE_MAX : n;
        if (n_lines++ == 0) {
            feat_start_line(e, prefix, line, n);
            continue;
        }
        for (size_t h = 0; h < sizeof(FP_HEADERS) / sizeof(FP_HEADERS[0]); h++) {
            if (header_is(line, n, FP_HEADERS[h])) {
                struct fp_tok t;

                tok_start(&t, prefix);
                tok_text(&t, line, n);
                emit(e, &t);
            }
        }
    }
}

static bool starts_with(const uint8_t *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);

    return n >= k && memcmp(s, prefix, k) == 0;
}

static bool looks_http(const uint8_t *s, size_t n)
{
    return starts_with(s, n, "GET ") || starts_with(s, n, "POST ") ||
           starts_with(s, n, "PUT ") || starts_with(s, n, "HEAD ") ||
           starts_with(s, n, "NOTIFY ") || starts_with(s, n, "SUBSCRIBE ") ||
           starts_with(s, n, "HTTP/1.");
}

/* ---- TLS ClientHello (RFC 8446 section 4.1.2, RFC 6066 section 3) ------------------ */

static void tls_sni(struct fp_emit *e, struct ww_cursor *ext)
{
    uint16_t list_len, name_len;
    uint8_t kind;
    const uint8_t *name;
    struct fp_tok t;

    if (cursor_be16(ext, &list_len) < 0 || cursor_u8(ext, &kind) < 0 || kind != 0 ||
        cursor_be16(ext, &name_len) < 0 || cursor_bytes(ext, name_len, &name) < 0) {
        return;
    }
    tok_start(&t, "tx.tls.sni:");
    tok_text(&t, name, name_len);
    emit(e, &t);
}

static void tls_extensions(struct fp_emit *e, struct ww_cursor *cur)
{
    uint16_t total, type, len;

    if (cursor_be16(cur, &total) < 0 || cursor_limit(cur, total) < 0) {
        return;
    }
    while (cursor_be16(cur, &type) == 0 && cursor_be16(cur, &len) == 0) {
        struct ww_cursor ext = *cur;

        if (cursor_skip(cur, len) < 0) {
            return;
        }
        if (type == 0 && cursor_limit(&ext, len) == 0) {
            tls_sni(e, &ext);
        }
    }
}

/* Version, first cipher suites and server name of a ClientHello in one segment. */
static void feat_tls(struct fp_emit *e, const struct ww_packet *p)
{
    struct ww_cursor cur;
    uint8_t ctype, htype, sid_len, comp_len;
    uint16_t rec_ver, rec_len, ver, cs_len;
    uint32_t hs_len;
    struct fp_tok t;

    cursor_init(&cur, p->payload, p->payload_len);
    if (cursor_u8(&cur, &ctype) < 0 || ctype != 22 || cursor_be16(&cur, &rec_ver) < 0 ||
        cursor_be16(&cur, &rec_len) < 0 || cursor_be32(&cur, &hs_len) < 0 ||
        (htype = (uint8_t)(hs_len >> 24)) != 1 || cursor_be16(&cur, &ver) < 0 ||
        cursor_skip(&cur, 32) < 0 || cursor_u8(&cur, &sid_len) < 0 ||
        cursor_skip(&cur, sid_len) < 0 || cursor_be16(&cur, &cs_len) < 0) {
        return;
    }
    tok_start(&t, "tx.tls.hello:v");
    tok_u(&t, ver);
    tok_str(&t, ",n");
    tok_u(&t, cs_len / 2);
    for (int i = 0; i < FP_TLS_CIPHERS_SHOWN && i < cs_len / 2; i++) {
        uint16_t cs;

        if (cursor_be16(&cur, &cs) < 0) {
            return;
        }
        tok_ch(&t, ',');
        tok_u(&t, cs);
    }
    emit(e, &t);
    if (cursor_skip(&cur, cs_len - 2u * (cs_len / 2 < FP_TLS_CIPHERS_SHOWN
                                              ? cs_len / 2 : FP_TLS_CIPHERS_SHOWN)) < 0 ||
        cursor_u8(&cur, &comp_len) < 0 || cursor_skip(&cur, comp_len) < 0) {
        return;
    }
    tls_extensions(e, &cur);
}

/* Payload-level features of what the device sent. */
static void feat_payload(struct fp_emit *e, const struct ww_packet *p)
{
    if (p->payload == NULL || p->payload_len == 0) {
        return;
    }
    if (p->ip_proto == IPPROTO_NUM_UDP) {
        if (p->sport == PORT_DHCP_CLIENT && p->dport == PORT_DHCP_SERVER) {
            feat_dhcp(e, p);
        } else if (p->dport == PORT_DNS) {
            feat_dns(e, p, "tx.dns.");
        } else if (p->dport == PORT_MDNS || p->sport == PORT_MDNS) {
            feat_dns(e, p, "tx.mdns.");
        } else if (p->dport == PORT_SSDP || p->sport == PORT_SSDP) {
            feat_headers(e, p, "tx.ssdp:");
        }
        return;
    }
    if (p->ip_proto == IPPROTO_NUM_TCP) {
        if (looks_http(p->payload, p->payload_len)) {
            feat_headers(e, p, "tx.http:");
        } else {
            feat_tls(e, p);
        }
    }
}

/* ---- IoT Sentinel per-packet vector ------------------------------------------ */

/* IoT Sentinel's port classes: 0 none, 1 well-known, 2 registered, 3 dynamic. */
static unsigned port_class(const struct ww_packet *p, uint16_t port)
{
    if (!(p->flags & PKT_HAS_L4) ||
        (p->ip_proto != IPPROTO_NUM_TCP && p->ip_proto != IPPROTO_NUM_UDP)) {
        return 0;
    }
    return port < 1024 ? 1 : port < FP_PORT_EXACT_MAX ? 2 : 3;
}

static const char *app_tag(const struct ww_packet *p)
{
    uint16_t lo = p->sport < p->dport ? p->sport : p->dport;

    if (p->ip_proto == IPPROTO_NUM_UDP) {
        return lo == PORT_DHCP_SERVER ? "dhcp"
             : lo == PORT_DNS         ? "dns"
             : (p->sport == PORT_MDNS || p->dport == PORT_MDNS) ? "mdns"
             : (p->sport == PORT_SSDP || p->dport == PORT_SSDP) ? "ssdp"
             : lo == PORT_NTP         ? "ntp"
                                      : "-";
    }
    if (p->ip_proto == IPPROTO_NUM_TCP) {
        return lo == PORT_HTTP ? "http" : lo == PORT_HTTPS ? "https" : "-";
    }
    return "-";
}

/* Index (1-based) of the packet's destination among those of the sequence so far. */
static unsigned seq_dst_counter(struct fp_device *d, const struct ww_packet *p)
{
    if (p->family == 0) {
        return 0;
    }
    for (unsigned i = 0; i < d->n_seq_ip; i++) {
        if (memcmp(d->seq_ip[i], p->dst_ip, 16) == 0) {
            return i + 1;
        }
    }
    if (d->n_seq_ip < FP_SEQ_LEN) {
        memcpy(d->seq_ip[d->n_seq_ip++], p->dst_ip, 16);
        return d->n_seq_ip;
    }
    return FP_SEQ_LEN + 1;
}

/*
 * One token per distinct consecutive packet among the device's first
 * FP_SEQ_LEN, without its position: tokens "seq<i>:" that kept the
 * position scored lower by leave-one-out on the training captures.
 */
static void feat_sequence(struct fp_emit *e, const struct ww_packet *p)
{
    struct fp_device *d = e->d;
    struct fp_tok t, v;
    uint64_t h;

    if (d->n_seq >= FP_SEQ_LEN) {
        return;
    }
    tok_start(&v, (p->flags & PKT_ARP) ? "arp" : p->family == 4 ? "ip4" : p->family == 6 ? "ip6"
                                                                                       : "l2");
    tok_ch(&v, '/');
    tok_str(&v, p->family != 0 ? proto_tag(p->ip_proto) : "-");
    tok_ch(&v, '/');
    tok_str(&v, app_tag(p));
    tok_str(&v, (p->flags & PKT_IPV4_OPTS) ? "/opt/" : "/-/");
    tok_u(&v, p->wirelen);
    tok_ch(&v, '/');
    tok_u(&v, seq_dst_counter(d, p));
    tok_ch(&v, '/');
    tok_u(&v, port_class(p, p->sport));
    tok_u(&v, port_class(p, p->dport));
    h = fp_hash(v.s);
    if (d->n_seq > 0 && h == d->last_vec) {
        return;
    }
    d->last_vec = h;
    d->n_seq++;
    tok_start(&t, "pkt:");
    tok_str(&t, v.s);
    emit(e, &t);
}

static bool mac_unicast(const uint8_t mac[6])
{
    return (mac[0] & 1) == 0;
}

void fp_collector_packet(struct fp_collector *c, const struct ww_packet *p)
{
    struct fp_emit e = {.c = c};

    if (!p->has_eth) {
        return;
    }
    e.d = mac_unicast(p->src_mac) ? collector_device(c, p->src_mac) : NULL;
    if (e.d != NULL && e.d->n_tx++ + e.d->n_rx < FP_DEVICE_PKTS_MAX) {
        device_note_srv(e.d, p);
        feat_sequence(&e, p);
        feat_l3(&e, p);
        if (p->family != 0 && (p->flags & PKT_HAS_L4)) {
            feat_ports(&e, p, "tx.");
            if (p->ip_proto == IPPROTO_NUM_TCP) {
                feat_syn(&e, p);
            }
            feat_payload(&e, p);
        }
    }
    if (!mac_unicast(p->dst_mac) || p->family == 0 || !(p->flags & PKT_HAS_L4)) {
        return;
    }
    e.d = collector_device(c, p->dst_mac);
    if (e.d != NULL && e.d->n_tx + e.d->n_rx++ < FP_DEVICE_PKTS_MAX) {
        device_note_srv(e.d, p);
        feat_ports(&e, p, "rx.");
    }
}

/* ---- The model: Bernoulli naive Bayes over tokens ------------------------------ */

#define FP_MODEL_TOKENS_MAX 400000 /* tokens a model holds */
#define FP_LABELS_MAX 1024         /* device types a model holds */
#define FP_DOCS_MAX 100000         /* training devices */
#define FP_MIN_DF 2                /* a token must be seen in this many training devices */
#define FP_MIN_TOKENS 8            /* fewer tokens than this: too little to judge */
#define FP_TARGET_PRECISION 0.95   /* leave-one-out precision the threshold keeps */
#define FP_MODEL_LINE_MAX 8192
#define FP_P_MAX (1.0 - 1e-9)      /* above any real (df + a) / (n + 2a) */
#define FP_MAGIC "wardwatch-fingerprint-model"

static const double FP_ALPHAS[] = {0.02, 0.05, 0.1, 0.2, 0.5, 1.0};
static const double FP_TEMPS[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};

struct fp_model {
    int n_labels;
    char (*labels)[FP_LABEL_LEN];
    uint32_t *n_docs;  /* training devices per label */
    uint32_t n_tok;
    char **text;
    uint64_t *hash;
    uint16_t *df;      /* n_tok x n_labels: training devices of the label with the token */
    uint32_t *index;   /* open addressing by hash: token + 1 */
    uint32_t index_cap;
    double alpha, temperature, threshold;
    double *w;         /* n_tok x n_labels: log p - log(1 - p) */
    double *base;      /* per label: sum over tokens of log(1 - p) */
};

void fp_model_free(struct fp_model *m)
{
    if (m == NULL) {
        return;
    }
    for (uint32_t i = 0; i < m->n_tok; i++) {
        free(m->text[i]);
    }
    free(m->labels);
    free(m->n_docs);
    free(m->text);
    free(m->hash);
    free(m->df);
    free(m->index);
    free(m->w);
    free(m->base);
    free(m);
}

int fp_model_n_labels(const struct fp_model *m)
{
    return m->n_labels;
}

double fp_model_threshold(const struct fp_model *m)
{
    return m->threshold;
}

const char *fp_model_label(const struct fp_model *m, int i)
{
    return (i >= 0 && i < m->n_labels) ? m->labels[i] : NULL;
}

/* Allocates the per-token arrays for n_tok tokens and n_labels labels. Returns 0 or -1. */
static int model_alloc(struct fp_model *m, uint32_t n_tok, int n_labels)
{
    size_t cells = (size_t)n_tok * (size_t)n_labels;

    m->n_labels = n_labels;
    m->labels = calloc((size_t)n_labels, sizeof(*m->labels));
    m->n_docs = calloc((size_t)n_labels, sizeof(*m->n_docs));
    m->base = calloc((size_t)n_labels, sizeof(*m->base));
    m->text = calloc(n_tok + 1, sizeof(*m->text));
    m->hash = calloc(n_tok + 1, sizeof(*m->hash));
    m->df = calloc(cells + 1, sizeof(*m->df));
    m->w = calloc(cells + 1, sizeof(*m->w));
    m->index_cap = 64;
    while (m->index_cap < n_tok * 2) {
        m->index_cap *= 2;
    }
    m->index = calloc(m->index_cap, sizeof(*m->index));
    if (m->labels == NULL || m->n_docs == NULL || m->base == NULL || m->text == NULL ||
        m->hash == NULL || m->df == NULL || m->w == NULL || m->index == NULL) {
        return -1;
    }
    return 0;
}

/* Token index for a hash, or -1. */
static int64_t model_find(const struct fp_model *m, uint64_t h)
{
    uint32_t i = (uint32_t)h & (m->index_cap - 1);

    while (m->index[i] != 0) {
        if (m->hash[m->index[i] - 1] == h) {
            return (int64_t)m->index[i] - 1;
        }
        i = (i + 1) & (m->index_cap - 1);
    }
    return -1;
}

/* Puts token k in the index. Returns 0, or -1 when its hash is there already. */
static int model_index_put(struct fp_model *m, uint32_t k)
{
    uint32_t i = (uint32_t)m->hash[k] & (m->index_cap - 1);

    while (m->index[i] != 0) {
        if (m->hash[m->index[i] - 1] == m->hash[k]) {
            return -1;
        }
        i = (i + 1) & (m->index_cap - 1);
    }
    m->index[i] = k + 1;
    return 0;
}

static double bern_p(double df, double n, double alpha)
{
    return (df + alpha) / (n + 2.0 * alpha);
}

/*
 * log(1 - p), with p held below 1: leave-one-out sums it over counts that
 * still include the left-out device (df up to n + 1) and then takes those
 * terms out again, so they must be finite; they cancel.
 */
static double log_not(double df, double n, double alpha)
{
    double p = bern_p(df, n, alpha);

    return log1p(-fmin(p, FP_P_MAX));
}

/* Fills w and base from df, n_docs and alpha. */
static void model_weights(struct fp_model *m)
{
    for (int c = 0; c < m->n_labels; c++) {
        m->base[c] = 0;
    }
    for (uint32_t k = 0; k < m->n_tok; k++) {
        for (int c = 0; c < m->n_labels; c++) {
            size_t at = (size_t)k * (size_t)m->n_labels + (size_t)c;
            double p = bern_p(m->df[at], m->n_docs[c], m->alpha);

            m->w[at] = log(p) - log1p(-p);
            m->base[c] += log1p(-p);
        }
    }
}

/* Log-likelihood of the device's known tokens under each label, into score. */
static void model_scores(const struct fp_model *m, const struct fp_device *d, double *score,
                         uint32_t *n_known)
{
    *n_known = 0;
    for (int c = 0; c < m->n_labels; c++) {
        score[c] = m->base[c];
    }
    for (uint32_t i = 0; i < d->n_tok; i++) {
        int64_t k = model_find(m, d->tok[i]);

        if (k < 0) {
            continue;
        }
        (*n_known)++;
        for (int c = 0; c < m->n_labels; c++) {
            score[c] += m->w[(size_t)k * (size_t)m->n_labels + (size_t)c];
        }
    }
}

/* Posterior of the best label at temperature temp; best and second in *best, *second. */
static double posterior(const double *score, int n, double temp, int *best, int *second)
{
    double sum = 0;

    *best = 0;
    *second = n > 1 ? 1 : 0;
    for (int c = 0; c < n; c++) {
        if (score[c] > score[*best]) {
            *best = c;
        }
    }
    *second = *best == 0 && n > 1 ? 1 : 0;
    for (int c = 0; c < n; c++) {
        if (c != *best && score[c] > score[*second]) {
            *second = c;
        }
        sum += exp((score[c] - score[*best]) / temp);
    }
    return 1.0 / sum;
}

/* Token text cut to fit n bytes, with "..." when cut. */
static void cut_text(char *out, size_t n, const char *s)
{
    size_t len = strlen(s);

    if (len < n) {
        memcpy(out, s, len + 1);
        return;
    }
    memcpy(out, s, n - 4);
    memcpy(out + n - 4, "...", 4);
}

/* The tokens that weigh most for best against second, as sentences. */
static void model_evidence(const struct fp_model *m, const struct fp_device *d, int best,
                           int second, struct fp_result *out)
{
    int64_t top[FP_EVIDENCE_MAX];
    double top_w[FP_EVIDENCE_MAX];
    int n_top = 0;
    size_t L = (size_t)m->n_labels;

    for (uint32_t i = 0; i < d->n_tok; i++) {
        int64_t k = model_find(m, d->tok[i]);
        double wk;
        int at;

        if (k < 0) {
            continue;
        }
        wk = m->w[(size_t)k * L + (size_t)best] - m->w[(size_t)k * L + (size_t)second];
        if (wk <= 0 || (n_top == FP_EVIDENCE_MAX && wk <= top_w[n_top - 1])) {
            continue;
        }
        at = n_top < FP_EVIDENCE_MAX ? n_top++ : n_top - 1;
        while (at > 0 && top_w[at - 1] < wk) {
            top[at] = top[at - 1];
            top_w[at] = top_w[at - 1];
            at--;
        }
        top[at] = k;
        top_w[at] = wk;
    }
    out->n_evidence = n_top;
    for (int i = 0; i < n_top; i++) {
        char tok[64];
        size_t k = (size_t)top[i];

        cut_text(tok, sizeof(tok), m->text[k]);
        snprintf(out->evidence[i], FP_EVIDENCE_LEN, "%s in %u of %u %s, %u of %u %s", tok,
                 m->df[k * L + (size_t)best], m->n_docs[best], m->labels[best],
                 m->df[k * L + (size_t)second], m->n_docs[second], m->labels[second]);
    }
}

bool fp_model_identify(const struct fp_model *m, const struct fp_device *d,
                       struct fp_result *out)
{
    double *score;
    uint32_t n_known;
    int best, second;

    memset(out, 0, sizeof(*out));
    snprintf(out->label, sizeof(out->label), "unknown");
    snprintf(out->best, sizeof(out->best), "unknown");
    if (m->n_labels == 0 || d->n_tok < FP_MIN_TOKENS) {
        return false;
    }
    score = malloc((size_t)m->n_labels * sizeof(*score));
    if (score == NULL) {
        return false;
    }
    model_scores(m, d, score, &n_known);
    out->confidence = posterior(score, m->n_labels, m->temperature, &best, &second);
    snprintf(out->best, sizeof(out->best), "%s", m->labels[best]);
    if (m->n_labels > 1) {
        model_evidence(m, d, best, second, out);
    }
    free(score);
    if (n_known < FP_MIN_TOKENS || out->confidence < m->threshold) {
        return false;
    }
    snprintf(out->label, sizeof(out->label), "%s", m->labels[best]);
    return true;
}

/* ---- Training ------------------------------------------------------------------ */

struct fp_doc {
    int label;
    uint32_t *tok; /* vocabulary indexes (model indexes once finished) */
    uint32_t n;
};

struct fp_trainer {
    char (*labels)[FP_LABEL_LEN];
    int n_labels, cap_labels;
    struct fp_doc *docs;
    uint32_t n_docs, cap_docs;
    struct fp_model *vocab; /* texts and hashes only, grown as tokens come */
    uint32_t cap_tok;
};

struct fp_trainer *fp_trainer_new(void)
{
    struct fp_trainer *t = calloc(1, sizeof(*t));

    if (t == NULL) {
        return NULL;
    }
    t->vocab = calloc(1, sizeof(*t->vocab));
    if (t->vocab == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void fp_trainer_free(struct fp_trainer *t)
{
    if (t == NULL) {
        return;
    }
    for (uint32_t i = 0; i < t->n_docs; i++) {
        free(t->docs[i].tok);
    }
    free(t->docs);
    free(t->labels);
    fp_model_free(t->vocab);
    free(t);
}

static int trainer_label(struct fp_trainer *t, const char *label)
{
    for (int i = 0; i < t->n_labels; i++) {
        if (strcmp(t->labels[i], label) == 0) {
            return i;
        }
    }
    if (t->n_labels >= FP_LABELS_MAX) {
        return -1;
    }
    if (t->n_labels == t->cap_labels) {
        int cap = t->cap_labels == 0 ? 32 : t->cap_labels * 2;
        void *p = realloc(t->labels, (size_t)cap * sizeof(*t->labels));

        if (p == NULL) {
            return -1;
        }
        t->labels = p;
        t->cap_labels = cap;
    }
    snprintf(t->labels[t->n_labels], FP_LABEL_LEN, "%s", label);
    return t->n_labels++;
}

/* Doubles the vocabulary's room (texts, hashes, index). Returns 0 or -1. */
static int vocab_grow(struct fp_trainer *t)
{
    struct fp_model *v = t->vocab;
    uint32_t cap = t->cap_tok == 0 ? 4096 : t->cap_tok * 2;
    char **text = realloc(v->text, cap * sizeof(*text));
    uint64_t *hash;

    if (text == NULL) {
        return -1;
    }
    v->text = text;
    hash = realloc(v->hash, cap * sizeof(*hash));
    if (hash == NULL) {
        return -1;
    }
    v->hash = hash;
    free(v->index);
    v->index_cap = cap * 2;
    v->index = calloc(v->index_cap, sizeof(*v->index));
    if (v->index == NULL) {
        v->index_cap = 0;
        return -1;
    }
    for (uint32_t k = 0; k < v->n_tok; k++) {
        model_index_put(v, k);
    }
    t->cap_tok = cap;
    return 0;
}

/* Vocabulary index of a token, added when new; -1 without memory or room. */
static int64_t vocab_token(struct fp_trainer *t, uint64_t h, const char *text)
{
    struct fp_model *v = t->vocab;
    int64_t k = v->index_cap != 0 ? model_find(v, h) : -1;

    if (k >= 0) {
        return k;
    }
    if (v->n_tok >= FP_MODEL_TOKENS_MAX) {
        return -1;
    }
    if (v->n_tok == t->cap_tok && vocab_grow(t) < 0) {
        return -1;
    }
    v->text[v->n_tok] = strdup(text);
    if (v->text[v->n_tok] == NULL) {
        return -1;
    }
    v->hash[v->n_tok] = h;
    model_index_put(v, v->n_tok);
    return v->n_tok++;
}

int fp_trainer_add(struct fp_trainer *t, const char *label, const struct fp_collector *c,
                   const struct fp_device *d)
{
    struct fp_doc *doc;
    int li = trainer_label(t, label);

    if (li < 0 || t->n_docs >= FP_DOCS_MAX) {
        return -1;
    }
    if (t->n_docs == t->cap_docs) {
        uint32_t cap = t->cap_docs == 0 ? 64 : t->cap_docs * 2;
        void *p = realloc(t->docs, cap * sizeof(*t->docs));

        if (p == NULL) {
            return -1;
        }
        t->docs = p;
        t->cap_docs = cap;
    }
    doc = &t->docs[t->n_docs];
    doc->label = li;
    doc->n = 0;
    doc->tok = malloc((d->n_tok + 1) * sizeof(*doc->tok));
    if (doc->tok == NULL) {
        return -1;
    }
    for (uint32_t i = 0; i < d->n_tok; i++) {
        const char *text = text_find(c, d->tok[i]);
        int64_t k = text != NULL ? vocab_token(t, d->tok[i], text) : -1;

        if (k >= 0) {
            doc->tok[doc->n++] = (uint32_t)k;
        }
    }
    t->n_docs++;
    return 0;
}

/*
 * Moves the tokens seen in at least FP_MIN_DF training devices into m
 * with their counts per label, and rewrites each document's tokens as
 * model indexes (dropping the others). Returns 0 or -1.
 */
static int trainer_build(struct fp_trainer *t, struct fp_model *m)
{
    struct fp_model *v = t->vocab;
    uint32_t *total = calloc(v->n_tok + 1, sizeof(*total));
    uint32_t *map = calloc(v->n_tok + 1, sizeof(*map));
    uint32_t kept = 0;
    int rc = -1;

    if (total == NULL || map == NULL) {
        goto out;
    }
    for (uint32_t i = 0; i < t->n_docs; i++) {
        for (uint32_t j = 0; j < t->docs[i].n; j++) {
            total[t->docs[i].tok[j]]++;
        }
    }
    for (uint32_t k = 0; k < v->n_tok; k++) {
        map[k] = total[k] >= FP_MIN_DF ? ++kept : 0;
    }
    if (model_alloc(m, kept, t->n_labels) < 0) {
        goto out;
    }
    memcpy(m->labels, t->labels, (size_t)t->n_labels * sizeof(*m->labels));
    for (uint32_t k = 0; k < v->n_tok; k++) {
        if (map[k] != 0) {
            m->text[m->n_tok] = v->text[k];
            v->text[k] = NULL;
            m->hash[m->n_tok] = v->hash[k];
            model_index_put(m, m->n_tok++);
        }
    }
    for (uint32_t i = 0; i < t->n_docs; i++) {
        struct fp_doc *doc = &t->docs[i];
        uint32_t n = 0;

        m->n_docs[doc->label]++;
        for (uint32_t j = 0; j < doc->n; j++) {
            if (map[doc->tok[j]] != 0) {
                uint32_t k = map[doc->tok[j]] - 1;

                doc->tok[n++] = k;
                m->df[(size_t)k * (size_t)m->n_labels + (size_t)doc->label]++;
            }
        }
        doc->n = n;
    }
    rc = 0;
out:
    free(total);
    free(map);
    return rc;
}

/*
 * Leave-one-out log-likelihoods: for each training device, the scores of
 * every label computed as if that device had not been trained on. Only
 * its own label's counts change, so its score is corrected from the full
 * model's in time proportional to the device's tokens. Needs m->w, base.
 */
static void trainer_loo(const struct fp_trainer *t, const struct fp_model *m, double *scores)
{
    size_t L = (size_t)m->n_labels;
    double *base_minus = calloc(L, sizeof(double)); /* base with n_docs - 1 */

    if (base_minus == NULL) {
        return;
    }
    for (uint32_t k = 0; k < m->n_tok; k++) {
        for (size_t c = 0; c < L; c++) {
            base_minus[c] += log_not(m->df[k * L + c], m->n_docs[c] - 1.0, m->alpha);
        }
    }
    for (uint32_t i = 0; i < t->n_docs; i++) {
        const struct fp_doc *doc = &t->docs[i];
        double *s = scores + (size_t)i * L;
        size_t y = (size_t)doc->label;
        double n1 = m->n_docs[y] - 1.0;

        for (size_t c = 0; c < L; c++) {
            s[c] = c == y ? base_minus[c] : m->base[c];
        }
        for (uint32_t j = 0; j < doc->n; j++) {
            size_t k = doc->tok[j];
            double df1 = m->df[k * L + y] - 1.0;
            double p1 = bern_p(df1, n1, m->alpha);

            for (size_t c = 0; c < L; c++) {
                s[c] += c == y ? 0 : m->w[k * L + c];
            }
            s[y] += log1p(-p1) - log_not(df1 + 1.0, n1, m->alpha);
            s[y] += log(p1) - log1p(-p1);
        }
    }
    free(base_minus);
}

/* LOO accuracy, and mean negative log posterior of the right label at temp. */
static double loo_accuracy(const struct fp_trainer *t, const double *scores, int L)
{
    uint32_t right = 0;

    for (uint32_t i = 0; i < t->n_docs; i++) {
        int best, second;

        posterior(scores + (size_t)i * (size_t)L, L, 1.0, &best, &second);
        right += best == t->docs[i].label;
    }
    return t->n_docs > 0 ? (double)right / t->n_docs : 0;
}

static double loo_nll(const struct fp_trainer *t, const double *scores, int L, double temp)
{
    double sum = 0;

    for (uint32_t i = 0; i < t->n_docs; i++) {
        const double *s = scores + (size_t)i * (size_t)L;
        int best, second;
        double top = s[0], z = 0;

        posterior(s, L, temp, &best, &second);
        top = s[best];
        for (int c = 0; c < L; c++) {
            z += exp((s[c] - top) / temp);
        }
        sum -= (s[t->docs[i].label] - top) / temp - log(z);
    }
    return t->n_docs > 0 ? sum / t->n_docs : 0;
}

struct fp_conf {
    double conf;
    bool right;
};

static int conf_desc(const void *a, const void *b)
{
    double x = ((const struct fp_conf *)a)->conf, y = ((const struct fp_conf *)b)->conf;

    return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * The lowest confidence at which the LOO verdicts at or above it are still
 * right at FP_TARGET_PRECISION or better; fills precision and coverage.
 */
static void pick_threshold(const struct fp_trainer *t, const double *scores, int L,
                           double temp, struct fp_train_report *rep)
{
    struct fp_conf *v = calloc(t->n_docs + 1, sizeof(*v));
    uint32_t right = 0;

    rep->threshold = 1.0;
    rep->loo_precision = 0;
    rep->loo_coverage = 0;
    if (v == NULL || t->n_docs == 0) {
        free(v);
        return;
    }
    for (uint32_t i = 0; i < t->n_docs; i++) {
        int best, second;

        v[i].conf = posterior(scores + (size_t)i * (size_t)L, L, temp, &best, &second);
        v[i].right = best == t->docs[i].label;
    }
    qsort(v, t->n_docs, sizeof(*v), conf_desc);
    for (uint32_t i = 0; i < t->n_docs; i++) {
        right += v[i].right;
        if (i + 1 < t->n_docs && v[i + 1].conf == v[i].conf) {
            continue; /* judge whole groups of equal confidence */
        }
        if ((double)right / (i + 1) >= FP_TARGET_PRECISION) {
            rep->threshold = v[i].conf;
            rep->loo_precision = (double)right / (i + 1);
            rep->loo_coverage = (double)(i + 1) / t->n_docs;
        }
    }
    free(v);
}

/* Chooses alpha by LOO accuracy (ties: lower NLL), then the temperature by LOO NLL. */
static int trainer_tune(struct fp_trainer *t, struct fp_model *m, struct fp_train_report *rep)
{
    int L = m->n_labels;
    double *scores = malloc((size_t)t->n_docs * (size_t)L * sizeof(double) + 1);
    double best_acc = -1, best_nll = INFINITY;

    if (scores == NULL) {
        return -1;
    }
    for (size_t a = 0; a < sizeof(FP_ALPHAS) / sizeof(FP_ALPHAS[0]); a++) {
        m->alpha = FP_ALPHAS[a];
        model_weights(m);
        trainer_loo(t, m, scores);
        double acc = loo_accuracy(t, scores, L);
        for (size_t k = 0; k < sizeof(FP_TEMPS) / sizeof(FP_TEMPS[0]); k++) {
            double nll = loo_nll(t, scores, L, FP_TEMPS[k]);

            if (acc > best_acc || (acc == best_acc && nll < best_nll)) {
                best_acc = acc;
                best_nll = nll;
                rep->alpha = FP_ALPHAS[a];
                rep->temperature = FP_TEMPS[k];
            }
        }
    }
    m->alpha = rep->alpha;
    m->temperature = rep->temperature;
    model_weights(m);
    trainer_loo(t, m, scores);
    rep->loo_accuracy = best_acc;
    pick_threshold(t, scores, L, m->temperature, rep);
    m->threshold = rep->threshold;
    free(scores);
    return 0;
}

struct fp_model *fp_trainer_finish(struct fp_trainer *t, struct fp_train_report *rep,
                                   char *err, size_t err_len)
{
    struct fp_model *m;

    memset(rep, 0, sizeof(*rep));
    if (t->n_labels < 2) {
        snprintf(err, err_len, "training needs devices of at least two types, got %d",
                 t->n_labels);
        return NULL;
    }
    m = calloc(1, sizeof(*m));
    if (m == NULL || trainer_build(t, m) < 0 || trainer_tune(t, m, rep) < 0) {
        snprintf(err, err_len, "out of memory while training");
        fp_model_free(m);
        return NULL;
    }
    rep->n_docs = (int)t->n_docs;
    rep->n_labels = m->n_labels;
    rep->n_tokens = (int)m->n_tok;
    return m;
}

/* ---- Model file ------------------------------------------------------------------ */

/*
 * Text, one record a line:
 *   wardwatch-fingerprint-model 1
 *   alpha A / temperature T / threshold C
 *   labels N, then N lines "label DOCS NAME"
 *   tokens N, then N lines "L:DF,L:DF,... TEXT" (label index : devices with the token)
 *   end
 */
static int model_write(const struct fp_model *m, FILE *f)
{
    size_t L = (size_t)m->n_labels;

    fprintf(f, "%s %d\nalpha %.17g\ntemperature %.17g\nthreshold %.17g\nlabels %d\n",
            FP_MAGIC, FP_MODEL_VERSION, m->alpha, m->temperature, m->threshold, m->n_labels);
    for (size_t c = 0; c < L; c++) {
        fprintf(f, "label %u %s\n", m->n_docs[c], m->labels[c]);
    }
    fprintf(f, "tokens %u\n", m->n_tok);
    for (uint32_t k = 0; k < m->n_tok; k++) {
        bool first = true;

        for (size_t c = 0; c < L; c++) {
            if (m->df[k * L + c] != 0) {
                fprintf(f, "%s%zu:%u", first ? "" : ",", c, m->df[k * L + c]);
                first = false;
            }
        }
        fprintf(f, "%s %s\n", first ? "-" : "", m->text[k]);
    }
    fprintf(f, "end\n");
    return ferror(f) ? -1 : 0;
}

int fp_model_save(const struct fp_model *m, const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "w");
    int rc;

    if (f == NULL) {
        snprintf(err, err_len, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    rc = model_write(m, f);
    if (fclose(f) != 0 || rc < 0) {
        snprintf(err, err_len, "%s: write failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* A model file being read: where we are, for messages. */
struct fp_reader {
    FILE *f;
    const char *path;
    int line;
    char buf[FP_MODEL_LINE_MAX];
    char *err;
    size_t err_len;
};

/* Reads the next line without its newline. Returns 0, or -1 at the end or on a long line. */
static int reader_line(struct fp_reader *r)
{
    size_t n;

    if (fgets(r->buf, sizeof(r->buf), r->f) == NULL) {
        r->line++;
        snprintf(r->err, r->err_len, "%s:%d: the file ends early", r->path, r->line);
        return -1;
    }
    r->line++;
    n = strlen(r->buf);
    if (n > 0 && r->buf[n - 1] == '\n') {
        r->buf[--n] = '\0';
    } else if (!feof(r->f)) {
        snprintf(r->err, r->err_len, "%s:%d: line longer than %d bytes", r->path, r->line,
                 FP_MODEL_LINE_MAX);
        return -1;
    }
    return 0;
}

static int reader_fail(struct fp_reader *r, const char *what)
{
    snprintf(r->err, r->err_len, "%s:%d: %s", r->path, r->line, what);
    return -1;
}

/* Reads "KEY NUMBER" into *out, in [lo, hi]. Returns 0 or -1. */
static int reader_number(struct fp_reader *r, const char *key, double lo, double hi, double *out)
{
    size_t k = strlen(key);
    char *end;

    if (reader_line(r) < 0) {
        return -1;
    }
    if (strncmp(r->buf, key, k) != 0 || r->buf[k] != ' ') {
        char what[96];

        snprintf(what, sizeof(what), "expected '%s NUMBER'", key);
        return reader_fail(r, what);
    }
    errno = 0;
    *out = strtod(r->buf + k + 1, &end);
    if (errno != 0 || end == r->buf + k + 1 || *end != '\0' || !(*out >= lo && *out <= hi)) {
        return reader_fail(r, "number missing or out of range");
    }
    return 0;
}

static int reader_header(struct fp_reader *r, struct fp_model *m, double *n_labels)
{
    size_t k = strlen(FP_MAGIC);
    char *end;
    long ver;

    if (reader_line(r) < 0) {
        return -1;
    }
    if (strncmp(r->buf, FP_MAGIC, k) != 0 || r->buf[k] != ' ') {
        return reader_fail(r, "not a wardwatch fingerprint model (first line should be '"
                              FP_MAGIC " VERSION')");
    }
    ver = strtol(r->buf + k + 1, &end, 10);
    if (*end != '\0' || ver != FP_MODEL_VERSION) {
        char what[160];

        snprintf(what, sizeof(what), "model version '%s', this wardwatch reads version %d; "
                 "train the model again", r->buf + k + 1, FP_MODEL_VERSION);
        return reader_fail(r, what);
    }
    if (reader_number(r, "alpha", 1e-9, 1e9, &m->alpha) < 0 ||
        reader_number(r, "temperature", 1e-9, 1e9, &m->temperature) < 0 ||
        reader_number(r, "threshold", 0, 1, &m->threshold) < 0 ||
        reader_number(r, "labels", 2, FP_LABELS_MAX, n_labels) < 0) {
        return -1;
    }
    if (*n_labels != floor(*n_labels)) {
        return reader_fail(r, "label count is not a whole number");
    }
    return 0;
}

static int reader_labels(struct fp_reader *r, struct fp_model *m)
{
    for (int c = 0; c < m->n_labels; c++) {
        char *end, *name;
        unsigned long n;

        if (reader_line(r) < 0) {
            return -1;
        }
        if (strncmp(r->buf, "label ", 6) != 0) {
            return reader_fail(r, "expected 'label DEVICES NAME'");
        }
        n = strtoul(r->buf + 6, &end, 10);
        name = end + 1;
        if (end == r->buf + 6 || *end != ' ' || n == 0 || n > FP_DOCS_MAX || *name == '\0' ||
            strlen(name) >= FP_LABEL_LEN) {
            return reader_fail(r, "bad label line (device count 1.., name under 64 bytes)");
        }
        m->n_docs[c] = (uint32_t)n;
        snprintf(m->labels[c], FP_LABEL_LEN, "%s", name);
    }
    return 0;
}

/* Parses "L:DF,L:DF,... TEXT" (or "- TEXT") into token k. Returns 0 or -1. */
static int reader_token(struct fp_reader *r, struct fp_model *m, uint32_t k)
{
    size_t L = (size_t)m->n_labels;
    char *s = r->buf;

    if (*s == '-') {
        s++;
    }
    while (*s != ' ') {
        char *end;
        unsigned long c = strtoul(s, &end, 10), df;

        if (end == s || *end != ':' || c >= L) {
            return reader_fail(r, "bad token counts (expected LABEL:COUNT,...)");
        }
        s = end + 1;
        df = strtoul(s, &end, 10);
        if (end == s || df > m->n_docs[c] || (*end != ',' && *end != ' ')) {
            return reader_fail(r, "bad token count (more than the label's devices?)");
        }
        m->df[k * L + c] = (uint16_t)df;
        s = *end == ',' ? end + 1 : end;
    }
    if (s[1] == '\0' || strlen(s + 1) >= FP_TOKEN_LEN) {
        return reader_fail(r, "token text missing or too long");
    }
    m->text[k] = strdup(s + 1);
    if (m->text[k] == NULL) {
        return reader_fail(r, "out of memory");
    }
    m->hash[k] = fp_hash(m->text[k]);
    m->n_tok = k + 1; /* owned by the model from here, freed with it */
    if (model_index_put(m, k) < 0) {
        return reader_fail(r, "token repeated");
    }
    return 0;
}

static int reader_body(struct fp_reader *r, struct fp_model *m, int n_labels)
{
    double n_tok;
    struct fp_model shape = {0};

    m->n_labels = n_labels;
    m->labels = calloc((size_t)n_labels, sizeof(*m->labels));
    m->n_docs = calloc((size_t)n_labels, sizeof(*m->n_docs));
    if (m->labels == NULL || m->n_docs == NULL) {
        return reader_fail(r, "out of memory");
    }
    if (reader_labels(r, m) < 0 || reader_number(r, "tokens", 0, FP_MODEL_TOKENS_MAX, &n_tok) < 0) {
        return -1;
    }
    if (n_tok != floor(n_tok)) {
        return reader_fail(r, "token count is not a whole number");
    }
    /* the arrays sized now that the token count is known; labels kept */
    shape = *m;
    if (model_alloc(m, (uint32_t)n_tok, n_labels) < 0) {
        free(shape.labels);
        free(shape.n_docs);
        return reader_fail(r, "out of memory");
    }
    memcpy(m->labels, shape.labels, (size_t)n_labels * sizeof(*m->labels));
    memcpy(m->n_docs, shape.n_docs, (size_t)n_labels * sizeof(*m->n_docs));
    free(shape.labels);
    free(shape.n_docs);
    for (uint32_t k = 0; k < (uint32_t)n_tok; k++) {
        if (reader_line(r) < 0 || reader_token(r, m, k) < 0) {
            return -1;
        }
    }
    if (reader_line(r) < 0 || strcmp(r->buf, "end") != 0) {
        return reader_fail(r, "expected 'end' after the tokens");
    }
    model_weights(m);
    return 0;
}

struct fp_model *fp_model_load(const char *path, char *err, size_t err_len)
{
    struct fp_reader *r = calloc(1, sizeof(*r));
    struct fp_model *m = calloc(1, sizeof(*m));
    double n_labels;
    int rc = -1;

    if (r == NULL || m == NULL) {
        snprintf(err, err_len, "%s: out of memory", path);
        goto out;
    }
    r->path = path;
    r->err = err;
    r->err_len = err_len;
    r->f = fopen(path, "r");
    if (r->f == NULL) {
        snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    if (reader_header(r, m, &n_labels) == 0 && reader_body(r, m, (int)n_labels) == 0) {
        rc = 0;
    }
out:
    if (r != NULL && r->f != NULL) {
        fclose(r->f);
    }
    free(r);
    if (rc < 0) {
        fp_model_free(m);
        return NULL;
    }
    return m;
}

/* ---- Labels CSV ------------------------------------------------------------------ */

#define FP_CSV_LINE_MAX 4096
#define FP_CSV_ROWS_MAX FP_DOCS_MAX

static int hex_val(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0'
         : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
         : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                  : -1;
}

int fp_parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        int hi = hex_val(s[0]), lo = hi < 0 ? -1 : hex_val(s[1]);

        if (hi < 0 || lo < 0) {
            return -1;
        }
        mac[i] = (uint8_t)(hi << 4 | lo);
        s += 2;
        if (i < 5) {
            if (*s != ':' && *s != '-') {
                return -1;
            }
            s++;
        }
    }
    return *s == '\0' ? 0 : -1;
}

void fp_labels_free(struct fp_label_row *rows, size_t n_rows)
{
    for (size_t i = 0; i < n_rows; i++) {
        free(rows[i].path);
    }
    free(rows);
}

/* Strips a trailing CR/LF and surrounding blanks in place. */
static char *trim(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ')) {
        s[--n] = '\0';
    }
    while (*s == ' ') {
        s++;
    }
    return s;
}

/* The CSV path's folder with a slash ("" for the current one). */
static void csv_dir(const char *csv, char *dir, size_t n)
{
    const char *slash = strrchr(csv, '/');
    size_t len = slash != NULL ? (size_t)(slash - csv) + 1 : 0;

    if (len >= n) {
        len = 0;
    }
    memcpy(dir, csv, len);
    dir[len] = '\0';
}

/* Parses one data line into row. Returns 0 or -1 with the reason in why. */
static int csv_row(char *line, const char *dir, struct fp_label_row *row, char *why, size_t n)
{
    char *f[3];
    int n_f = 0;
    char *s = line;

    for (;;) {
        char *comma = strchr(s, ',');

        if (n_f == 3) {
            snprintf(why, n, "expected 3 fields path,mac,label, got more");
            return -1;
        }
        f[n_f++] = trim(s);
        if (comma == NULL) {
            break;
        }
        *comma = '\0';
        s = comma + 1;
    }
    if (n_f != 3) {
        snprintf(why, n, "expected 3 fields path,mac,label, got %d", n_f);
        return -1;
    }
    f[0] = trim(f[0]);
    if (*f[0] == '\0') {
        snprintf(why, n, "empty path");
        return -1;
    }
    if (fp_parse_mac(trim(f[1]), row->mac) < 0) {
        snprintf(why, n, "bad MAC '%.40s' (expected aa:bb:cc:dd:ee:ff)", f[1]);
        return -1;
    }
    f[2] = trim(f[2]);
    if (*f[2] == '\0' || strlen(f[2]) >= FP_LABEL_LEN) {
        snprintf(why, n, "label empty or %d bytes or longer", FP_LABEL_LEN);
        return -1;
    }
    for (const char *c = f[2]; *c != '\0'; c++) {
        if ((uint8_t)*c < 0x21 || (uint8_t)*c >= 0x7f || *c == '"') {
            snprintf(why, n, "label has a blank, quote or non-ASCII byte");
            return -1;
        }
    }
    snprintf(row->label, sizeof(row->label), "%s", f[2]);
    size_t len = (f[0][0] == '/' ? 0 : strlen(dir)) + strlen(f[0]) + 1;
    row->path = malloc(len);
    if (row->path == NULL) {
        snprintf(why, n, "out of memory");
        return -1;
    }
    snprintf(row->path, len, "%s%s", f[0][0] == '/' ? "" : dir, f[0]);
    return 0;
}

static int csv_read_rows(FILE *f, const char *csv, struct fp_label_row **rows, size_t *n_rows,
                         char *err, size_t err_len)
{
    char line[FP_CSV_LINE_MAX], dir[FP_CSV_LINE_MAX], why[128];
    size_t cap = 0;
    int lineno = 1;

    csv_dir(csv, dir, sizeof(dir));
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            snprintf(err, err_len, "%s:%d: line longer than %d bytes", csv, lineno,
                     FP_CSV_LINE_MAX);
            return -1;
        }
        if (*trim(line) == '\0') {
            continue;
        }
        if (*n_rows == cap) {
            size_t ncap = cap == 0 ? 64 : cap * 2;
            void *p = ncap > FP_CSV_ROWS_MAX ? NULL : realloc(*rows, ncap * sizeof(**rows));

            if (p == NULL) {
                snprintf(err, err_len, "%s:%d: too many rows", csv, lineno);
                return -1;
            }
            *rows = p;
            cap = ncap;
        }
        if (csv_row(line, dir, &(*rows)[*n_rows], why, sizeof(why)) < 0) {
            snprintf(err, err_len, "%s:%d: %s", csv, lineno, why);
            return -1;
        }
        (*rows)[(*n_rows)++].line = lineno;
    }
    return 0;
}

int fp_labels_read(const char *csv, struct fp_label_row **rows, size_t *n_rows, char *err,
                   size_t err_len)
{
    FILE *f = fopen(csv, "r");
    char head[FP_CSV_LINE_MAX];
    int rc;

    *rows = NULL;
    *n_rows = 0;
    if (f == NULL) {
        snprintf(err, err_len, "%s: cannot read: %s", csv, strerror(errno));
        return -1;
    }
    if (fgets(head, sizeof(head), f) == NULL || strcmp(trim(head), "path,mac,label") != 0) {
        snprintf(err, err_len, "%s:1: the header must be 'path,mac,label'", csv);
        fclose(f);
        return -1;
    }
    rc = csv_read_rows(f, csv, rows, n_rows, err, err_len);
    fclose(f);
    if (rc < 0) {
        fp_labels_free(*rows, *n_rows);
        *rows = NULL;
        *n_rows = 0;
    }
    return rc;
}
