/* SPDX-License-Identifier: MIT */
/*
 * dhcp: DHCPv4 messages, one "dhcp" event each. Follows RFC 2131 (message
 * format, option overload), RFC 2132 (options), RFC 4702 (client FQDN,
 * option 81), RFC 6842 (client identifier, option 61, echoed in replies)
 * and RFC 3396 (a parameter list split over several option 55s).
 *
 *   byte 0      1       2       3
 *   +-------+-------+-------+-------+
 *   |  op   | htype | hlen  | hops  |    op 1 request, 2 reply
 *   +-------+-------+-------+-------+
 *   |              xid              |
 *   +---------------+---------------+
 *   |     secs      |     flags     |
 *   +---------------+---------------+
 *   | ciaddr | yiaddr | siaddr | giaddr      4 bytes each
 *   | chaddr (16) | sname (64) | file (128)  236 bytes so far
 *   | magic cookie 99.130.83.99     |
 *   +-------------------------------+
 *   | options: code(1) len(1) data(len) ..., 0 = pad, 255 = end
 *
 * Option 52 (overload) moves more options into file (1), sname (2) or both
 * (3); they are read after the options field, file first.
 */
#include "proto/proto.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/cursor.h"

#define DHCP_HDR_LEN 236 /* op .. file */
#define DHCP_COOKIE_LEN 4
#define DHCP_MIN_LEN (DHCP_HDR_LEN + DHCP_COOKIE_LEN)
#define DHCP_MSG_MAX 65535u /* longest datagram payload taken */
#define DHCP_CHADDR_LEN 16
#define DHCP_SNAME_LEN 64
#define DHCP_FILE_LEN 128
#define DHCP_OPTIONS_MAX 255 /* options walked per message, pads not counted */
#define DHCP_PARAMS_MAX 255  /* parameter list entries kept, over all option 55s */
#define DHCP_HEX_MAX 255     /* bytes shown as hex in one field */
#define DHCP_NAME_MAX 255    /* bytes of a decoded FQDN */
#define DHCP_LABEL_MAX 63    /* RFC 1035 label length */

#define DHCP_HTYPE_ETHERNET 1
#define BOOTP_REQUEST 1
#define BOOTP_REPLY 2

/* FQDN flags, RFC 4702 section 2.1. */
#define FQDN_S 0x01
#define FQDN_O 0x02
#define FQDN_E 0x04
#define FQDN_N 0x08

enum dhcp_opt_code {
    OPT_PAD = 0,
    OPT_SUBNET_MASK = 1,
    OPT_ROUTERS = 3,
    OPT_DNS_SERVERS = 6,
    OPT_HOSTNAME = 12,
    OPT_REQUESTED_IP = 50,
    OPT_LEASE_TIME = 51,
    OPT_OVERLOAD = 52,
    OPT_MSG_TYPE = 53,
    OPT_SERVER_ID = 54,
    OPT_PARAMS = 55,
    OPT_RENEWAL_TIME = 58,
    OPT_REBINDING_TIME = 59,
    OPT_VENDOR_CLASS = 60,
    OPT_CLIENT_ID = 61,
    OPT_FQDN = 81,
    OPT_END = 255,
};

/* Lengths an option may have: min..max, a multiple of unit (RFC 2132, RFC 4702). */
static const struct {
    uint8_t code, min, max, unit;
} dhcp_len_rules[] = {
    {OPT_SUBNET_MASK, 4, 4, 1},    {OPT_ROUTERS, 4, 252, 4},    {OPT_DNS_SERVERS, 4, 252, 4},
    {OPT_HOSTNAME, 1, 255, 1},     {OPT_REQUESTED_IP, 4, 4, 1}, {OPT_LEASE_TIME, 4, 4, 1},
    {OPT_OVERLOAD, 1, 1, 1},       {OPT_MSG_TYPE, 1, 1, 1},     {OPT_SERVER_ID, 4, 4, 1},
    {OPT_PARAMS, 1, 255, 1},       {OPT_RENEWAL_TIME, 4, 4, 1}, {OPT_REBINDING_TIME, 4, 4, 1},
    {OPT_VENDOR_CLASS, 1, 255, 1}, {OPT_CLIENT_ID, 2, 255, 1},  {OPT_FQDN, 3, 255, 1},
};

#define N_LEN_RULES (sizeof(dhcp_len_rules) / sizeof(dhcp_len_rules[0]))

/* The first instance of an option: points into the datagram. */
struct dhcp_opt {
    const uint8_t *data;
    uint8_t len;
    bool seen;
};

/* One message as read; pointers are into the datagram being parsed. */
struct dhcp_msg {
    uint8_t op, htype, hlen;
    uint32_t xid;
    const uint8_t *ciaddr, *yiaddr, *siaddr, *giaddr, *chaddr, *sname, *file;
    uint8_t overload;
    unsigned n_options;
    struct dhcp_opt opt[256];
    uint8_t params[DHCP_PARAMS_MAX];
    size_t n_params;
    uint8_t fqdn_name[DHCP_NAME_MAX]; /* option 81's name, decoded */
    size_t fqdn_name_len;
    const char *anomaly; /* the first damage found, NULL when none */
};

static const uint8_t dhcp_cookie[DHCP_COOKIE_LEN] = {99, 130, 83, 99};

/* Whether the first datagram of a flow looks like BOOTP with the DHCP cookie. */
static bool dhcp_probe(const uint8_t *data, size_t len, int dir)
{
    struct ww_cursor c;
    uint8_t op, htype, hlen;
    const uint8_t *cookie;

    (void)dir;
    cursor_init(&c, data, len);
    if (cursor_u8(&c, &op) < 0 || cursor_u8(&c, &htype) < 0 || cursor_u8(&c, &hlen) < 0) {
        return false;
    }
    if ((op != BOOTP_REQUEST && op != BOOTP_REPLY) || htype == 0 || hlen > DHCP_CHADDR_LEN) {
        return false;
    }
    if (cursor_skip(&c, DHCP_HDR_LEN - 3) < 0 || cursor_bytes(&c, DHCP_COOKIE_LEN, &cookie) < 0) {
        return false;
    }
    return memcmp(cookie, dhcp_cookie, DHCP_COOKIE_LEN) == 0;
}

/* Reads the fixed header and the cookie. Returns 0, or -1 with m->anomaly set. */
static int dhcp_read_header(struct dhcp_msg *m, const uint8_t *data, size_t len)
{
    struct ww_cursor c;
    uint8_t hops;
    const uint8_t *cookie;
    int rc = 0;

    cursor_init(&c, data, len);
    rc |= cursor_u8(&c, &m->op);
    rc |= cursor_u8(&c, &m->htype);
    rc |= cursor_u8(&c, &m->hlen);
    rc |= cursor_u8(&c, &hops);
    rc |= cursor_be32(&c, &m->xid);
    rc |= cursor_skip(&c, 4); /* secs, flags */
    rc |= cursor_bytes(&c, 4, &m->ciaddr);
    rc |= cursor_bytes(&c, 4, &m->yiaddr);
    rc |= cursor_bytes(&c, 4, &m->siaddr);
    rc |= cursor_bytes(&c, 4, &m->giaddr);
    rc |= cursor_bytes(&c, DHCP_CHADDR_LEN, &m->chaddr);
    rc |= cursor_bytes(&c, DHCP_SNAME_LEN, &m->sname);
    rc |= cursor_bytes(&c, DHCP_FILE_LEN, &m->file);
    rc |= cursor_bytes(&c, DHCP_COOKIE_LEN, &cookie);
    if (rc != 0 || len > DHCP_MSG_MAX) {
        m->anomaly = "short_header";
        return -1;
    }
    if (memcmp(cookie, dhcp_cookie, DHCP_COOKIE_LEN) != 0) {
        m->anomaly = "bad_magic_cookie";
        return -1;
    }
    if (m->hlen > DHCP_CHADDR_LEN) {
        /* Kept going: the rest of the message is readable. */
        m->anomaly = "bad_hlen";
        m->hlen = DHCP_CHADDR_LEN;
    }
    return 0;
}

static void dhcp_flag(struct dhcp_msg *m, const char *what)
{
    if (m->anomaly == NULL) {
        m->anomaly = what;
    }
}

static bool dhcp_len_ok(uint8_t code, uint8_t len)
{
    for (size_t i = 0; i < N_LEN_RULES; i++) {
        if (dhcp_len_rules[i].code == code) {
            return len >= dhcp_len_rules[i].min && len <= dhcp_len_rules[i].max &&
                   len % dhcp_len_rules[i].unit == 0;
        }
    }
    return true;
}

/*
 * Decodes a name in canonical wire form (RFC 1035 section 3.1, no
 * compression) into dotted text in out (cap bytes). A name without its
 * root label is a partial name (RFC 4702 section 2.3). Returns the text
 * length, or -1 when the labels do not fit the option.
 */
static long dhcp_fqdn_decode(const uint8_t *p, size_t len, uint8_t *out, size_t cap)
{
    struct ww_cursor c;
    const uint8_t *label;
    uint8_t label_len;
    size_t n = 0;

    cursor_init(&c, p, len);
    while (cursor_u8(&c, &label_len) == 0) {
        if (label_len == 0) {
            return cursor_left(&c) == 0 ? (long)n : -1;
        }
        if (label_len > DHCP_LABEL_MAX || cursor_bytes(&c, label_len, &label) < 0) {
            return -1;
        }
        if (n + (n > 0) + label_len > cap) {
            return -1;
        }
        if (n > 0) {
            out[n++] = '.';
        }
        memcpy(out + n, label, label_len);
        n += label_len;
    }
    return (long)n;
}

/* Keeps option 81's name as text: decoded when the E flag says wire form. */
static void dhcp_take_fqdn(struct dhcp_msg *m, const uint8_t *data, uint8_t len)
{
    const uint8_t *name = data + 3; /* flags, rcode1, rcode2 */
    size_t name_len = (size_t)len - 3;
    long n;

    if ((data[0] & FQDN_E) == 0) {
        memcpy(m->fqdn_name, name, name_len);
        m->fqdn_name_len = name_len;
        return;
    }
    n = dhcp_fqdn_decode(name, name_len, m->fqdn_name, sizeof(m->fqdn_name));
    if (n < 0) {
        dhcp_flag(m, "fqdn_bad_name");
        return;
    }
    m->fqdn_name_len = (size_t)n;
}

/* Records one option. in_main: found in the options field, not sname or file. */
static void dhcp_take_option(struct dhcp_msg *m, uint8_t code, const uint8_t *data, uint8_t len,
                             bool in_main)
{
    if (!dhcp_len_ok(code, len)) {
        dhcp_flag(m, "option_bad_len");
        return;
    }
    if (code == OPT_PARAMS) {
        /* RFC 3396: instances of one option are concatenated. */
        for (size_t i = 0; i < len && m->n_params < DHCP_PARAMS_MAX; i++) {
            m->params[m->n_params++] = data[i];
        }
    }
    if (m->opt[code].seen) {
        return;
    }
    if (code == OPT_OVERLOAD) {
        if (!in_main) {
            return; /* RFC 2131 4.1: only the options field may overload */
        }
        if (data[0] < 1 || data[0] > 3) {
            dhcp_flag(m, "bad_overload");
            return;
        }
        m->overload = data[0];
    }
    if (code == OPT_FQDN) {
        dhcp_take_fqdn(m, data, len);
    }
    m->opt[code] = (struct dhcp_opt){data, len, true};
}

/*
 * Walks one option area up to its end option. Stops early, with an
 * anomaly, when an option runs past the area or there are too many.
 */
static void dhcp_walk(struct dhcp_msg *m, const uint8_t *area, size_t area_len, bool in_main)
{
    struct ww_cursor c;
    uint8_t code, len;
    const uint8_t *data;

    cursor_init(&c, area, area_len);
    while (cursor_u8(&c, &code) == 0) {
        if (code == OPT_PAD) {
            continue;
        }
        if (code == OPT_END) {
            return;
        }
        if (++m->n_options > DHCP_OPTIONS_MAX) {
            dhcp_flag(m, "too_many_options");
            return;
        }
        if (cursor_u8(&c, &len) < 0 || cursor_bytes(&c, len, &data) < 0) {
            dhcp_flag(m, "truncated_options");
            return;
        }
        dhcp_take_option(m, code, data, len, in_main);
    }
    /* XXX: no end option is tolerated, as most receivers do. */
}

/* Writes n bytes (at most DHCP_HEX_MAX) as lower-case hex pairs joined by ':'. */
static void dhcp_hex(struct jbuf *jb, const char *key, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char out[3 * DHCP_HEX_MAX];
    size_t o = 0;

    if (n > DHCP_HEX_MAX) {
        n = DHCP_HEX_MAX;
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            out[o++] = ':';
        }
        out[o++] = digits[p[i] >> 4];
        out[o++] = digits[p[i] & 15];
    }
    jb_strn(jb, key, (const uint8_t *)out, o);
}

static const char *dhcp_type_name(uint8_t t)
{
    static const char *const names[] = {"unknown", "discover", "offer",   "request", "decline",
                                        "ack",     "nak",      "release", "inform"};

    return t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

/* Suricata's names for requested parameters; NULL for the ones it leaves out. */
static const char *dhcp_param_name(uint8_t code)
{
    switch (code) {
    case 1:
        return "subnet_mask";
    case 3:
        return "router";
    case 6:
        return "dns_server";
    case 15:
        return "domain";
    case 35:
        return "arp_timeout";
    case 42:
        return "ntp_server";
    case 66:
        return "tftp_server_name";
    case 150:
        return "tftp_server_ip";
    default:
        return NULL;
    }
}

static void dhcp_log_header(struct jbuf *jb, const struct dhcp_msg *m)
{
    const char *type = "<unknown>";

    if (m->op == BOOTP_REQUEST) {
        type = "request";
    } else if (m->op == BOOTP_REPLY) {
        type = "reply";
    }
    jb_str(jb, "type", type);
    jb_u64(jb, "id", m->xid);
    dhcp_hex(jb, "client_mac", m->chaddr, m->hlen);
    jb_ip(jb, "assigned_ip", 4, m->yiaddr);
    jb_ip(jb, "client_ip", 4, m->ciaddr);
    if (m->op == BOOTP_REPLY) {
        jb_ip(jb, "relay_ip", 4, m->giaddr);
        jb_ip(jb, "next_server_ip", 4, m->siaddr);
    }
}

static void dhcp_log_fqdn(struct jbuf *jb, const struct dhcp_msg *m)
{
    uint8_t flags = m->opt[OPT_FQDN].data[0];

    jb_object_open(jb, "fqdn");
    jb_u64(jb, "flags", flags);
    jb_bool(jb, "server_update", (flags & FQDN_S) != 0);
    jb_bool(jb, "server_override", (flags & FQDN_O) != 0);
    jb_bool(jb, "encoded", (flags & FQDN_E) != 0);
    jb_bool(jb, "no_update", (flags & FQDN_N) != 0);
    jb_strn(jb, "name", m->fqdn_name, m->fqdn_name_len);
    jb_object_close(jb);
}

static void dhcp_log_params(struct jbuf *jb, const struct dhcp_msg *m)
{
    jb_array_open(jb, "params");
    for (size_t i = 0; i < m->n_params; i++) {
        const char *name = dhcp_param_name(m->params[i]);

        if (name != NULL) {
            jb_str(jb, NULL, name);
        }
    }
    jb_array_close(jb);

    /* Every code in the client's order: the fingerprint of its DHCP stack. */
    jb_array_open(jb, "param_request_list");
    for (size_t i = 0; i < m->n_params; i++) {
        jb_u64(jb, NULL, m->params[i]);
    }
    jb_array_close(jb);
}

/* What a client says about itself. */
static void dhcp_log_client(struct jbuf *jb, const struct dhcp_msg *m)
{
    const struct dhcp_opt *o = m->opt;

    if (o[OPT_MSG_TYPE].seen) {
        jb_str(jb, "dhcp_type", dhcp_type_name(o[OPT_MSG_TYPE].data[0]));
    }
    if (o[OPT_CLIENT_ID].seen) {
        /* As Suricata: the type byte apart, the rest as hex. */
        jb_u64(jb, "client_id_type", o[OPT_CLIENT_ID].data[0]);
        dhcp_hex(jb, "client_id", o[OPT_CLIENT_ID].data + 1, o[OPT_CLIENT_ID].len - 1u);
    }
    if (o[OPT_HOSTNAME].seen) {
        jb_strn(jb, "hostname", o[OPT_HOSTNAME].data, o[OPT_HOSTNAME].len);
    }
    if (o[OPT_FQDN].seen) {
        dhcp_log_fqdn(jb, m);
    }
    if (o[OPT_VENDOR_CLASS].seen) {
        jb_strn(jb, "vendor_class_identifier", o[OPT_VENDOR_CLASS].data, o[OPT_VENDOR_CLASS].len);
    }
    if (o[OPT_REQUESTED_IP].seen) {
        jb_ip(jb, "requested_ip", 4, o[OPT_REQUESTED_IP].data);
    }
    if (m->n_params > 0) {
        dhcp_log_params(jb, m);
    }
}

static uint32_t dhcp_be32(const uint8_t *p)
{
    struct ww_cursor c;
    uint32_t v = 0;

    cursor_init(&c, p, 4);
    cursor_be32(&c, &v);
    return v;
}

static void dhcp_log_addrs(struct jbuf *jb, const char *key, const struct dhcp_opt *o)
{
    jb_array_open(jb, key);
    for (size_t i = 0; i + 4 <= o->len; i += 4) {
        jb_ip(jb, NULL, 4, o->data + i);
    }
    jb_array_close(jb);
}

/* What a server hands out. Times are in seconds. */
static void dhcp_log_server(struct jbuf *jb, const struct dhcp_msg *m)
{
    static const struct {
        uint8_t code;
        const char *key;
    } times[] = {
        {OPT_LEASE_TIME, "lease_time"},
        {OPT_RENEWAL_TIME, "renewal_time"},
        {OPT_REBINDING_TIME, "rebinding_time"},
    };
    const struct dhcp_opt *o = m->opt;

    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
        if (o[times[i].code].seen) {
            jb_u64(jb, times[i].key, dhcp_be32(o[times[i].code].data));
        }
    }
    if (o[OPT_SUBNET_MASK].seen) {
        jb_ip(jb, "subnet_mask", 4, o[OPT_SUBNET_MASK].data);
    }
    if (o[OPT_ROUTERS].seen) {
        dhcp_log_addrs(jb, "routers", &o[OPT_ROUTERS]);
    }
    if (o[OPT_DNS_SERVERS].seen) {
        dhcp_log_addrs(jb, "dns_servers", &o[OPT_DNS_SERVERS]);
    }
    if (o[OPT_SERVER_ID].seen) {
        jb_ip(jb, "server_id", 4, o[OPT_SERVER_ID].data);
    }
}

static void dhcp_log(const struct proto_ctx *ctx, const struct dhcp_msg *m)
{
    struct jbuf *jb = proto_event_begin(ctx, "dhcp");

    jb_object_open(jb, "dhcp");
    dhcp_log_header(jb, m);
    dhcp_log_client(jb, m);
    dhcp_log_server(jb, m);
    jb_object_close(jb);
    eve_commit(ctx->eve);
}

/* The option 55 list as "1,3,6,15": the order is the client's, a fingerprint. */
static void dhcp_params_text(const struct dhcp_msg *m, char *out, size_t len)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < m->n_params && used + 5 < len; i++) {
        used += (size_t)snprintf(out + used, len - used, i ? ",%u" : "%u", m->params[i]);
    }
}

/*
 * Evidence about the client the message names in chaddr: every client's
 * first DISCOVER shares one flow (0.0.0.0:68 to 255.255.255.255:67).
 */
static void client_evidence(const struct proto_ctx *ctx, const struct dhcp_msg *m,
                            const char *kind, const char *value, size_t len)
{
    if (m->htype == DHCP_HTYPE_ETHERNET && m->hlen == 6) {
        proto_evidence_mac(ctx, m->chaddr, kind, value, len);
    } else {
        proto_evidence(ctx, PROTO_SENDER, kind, value, len);
    }
}

/*
 * Identity evidence about the client, from what it says of itself in a
 * request it sent directly (a relayed request's sender is the relay).
 */
static void dhcp_evidence(const struct proto_ctx *ctx, const struct dhcp_msg *m)
{
    static const uint8_t zero[4];
    const struct dhcp_opt *o = m->opt;
    char text[DHCP_PARAMS_MAX * 4 + 1];

    if (m->op != BOOTP_REQUEST || memcmp(m->giaddr, zero, 4) != 0) {
        return;
    }
    if (o[OPT_HOSTNAME].seen) {
        client_evidence(ctx, m, "dhcp.hostname", (const char *)o[OPT_HOSTNAME].data,
                        o[OPT_HOSTNAME].len);
    }
    if (o[OPT_VENDOR_CLASS].seen) {
        client_evidence(ctx, m, "dhcp.vendor_class", (const char *)o[OPT_VENDOR_CLASS].data,
                        o[OPT_VENDOR_CLASS].len);
    }
    if (m->fqdn_name_len > 0) {
        client_evidence(ctx, m, "dhcp.fqdn", (const char *)m->fqdn_name, m->fqdn_name_len);
    }
    if (m->n_params > 0) {
        dhcp_params_text(m, text, sizeof(text));
        client_evidence(ctx, m, "dhcp.params", text, strlen(text));
    }
}

/*
 * Parses one datagram: logs its event, and an anomaly event when it is
 * damaged. Returns len, or PROTO_MALFORMED when the header is cut or the
 * cookie wrong (no dhcp event then) or when an option is cut or of a
 * wrong length (the dhcp event holds what came before).
 */
static int dhcp_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data, size_t len)
{
    struct dhcp_msg m;

    (void)state;
    memset(&m, 0, sizeof(m));
    if (dhcp_read_header(&m, data, len) < 0) {
        proto_log_anomaly(ctx, m.anomaly, NULL);
        return PROTO_MALFORMED;
    }

    /* RFC 2131 4.1: the options field, then file, then sname. */
    dhcp_walk(&m, data + DHCP_MIN_LEN, len - DHCP_MIN_LEN, true);
    if (m.overload & 1) {
        dhcp_walk(&m, m.file, DHCP_FILE_LEN, false);
    }
    if (m.overload & 2) {
        dhcp_walk(&m, m.sname, DHCP_SNAME_LEN, false);
    }

    dhcp_log(ctx, &m);
    dhcp_evidence(ctx, &m);
    if (m.anomaly != NULL) {
        proto_log_anomaly(ctx, m.anomaly, NULL);
        return PROTO_MALFORMED;
    }
    return (int)len;
}

const struct proto_parser proto_dhcp_parser = {
    .name = "dhcp",
    .proto = APP_DHCP,
    .ip_proto = 17,
    .ports = {67, 68},
    .probe = dhcp_probe,
    .state_size = 0,
    .parse = dhcp_parse,
    .state_free = NULL,
};
