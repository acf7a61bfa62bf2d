/* SPDX-License-Identifier: MIT */
/*
 * dns: DNS messages (RFC 1035) over UDP and over TCP with the two-byte
 * length prefix (RFC 1035 4.2.2, RFC 7766 8), and multicast DNS (RFC 6762)
 * carrying DNS-SD services (RFC 6763). One "dns" event per message, in the
 * shape of Suricata's EVE DNS version 3, or one "mdns" event with what the
 * records say about the device that sent them.
 *
 *   byte 0       1       2       3
 *   +-------+-------+-------+-------+
 *   |      id       |     flags     |   QR opcode(4) AA TC RD | RA Z AD CD rcode(4)
 *   +---------------+---------------+
 *   |    qdcount    |    ancount    |
 *   +---------------+---------------+
 *   |    nscount    |    arcount    |
 *   +---------------+---------------+
 *   | questions:   name type(2) class(2)
 *   | answers, authorities, additionals:
 *   |              name type(2) class(2) ttl(4) rdlength(2) rdata
 *
 * A name is labels (a length byte of 1 to 63, then the bytes) ending in a
 * zero byte or in a compression pointer (two bytes, top bits 11) to an
 * earlier name (RFC 1035 4.1.4). A pointer is followed only when it points
 * before the labels that led to it, so every jump goes further back and a
 * loop cannot form. mDNS takes the top bit of the class as "unicast
 * response" in questions and "cache flush" in records (RFC 6762 5.4, 10.2).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "proto/proto.h"
#include "util/cursor.h"

#define DNS_PORT 53
#define MDNS_PORT 5353
#define DNS_HDR_LEN 12
#define DNS_MSG_MAX 65535u         /* longest message: the range of the TCP length prefix */
#define DNS_TCP_PREFIX_LEN 2
#define DNS_NAME_WIRE_MAX 255      /* octets of a name, RFC 1035 2.3.4 */
#define DNS_LABEL_MAX 63
#define DNS_LABELS_MAX 128         /* labels a name of DNS_NAME_WIRE_MAX octets can hold */
#define DNS_PTR_HOPS_MAX 64        /* compression pointers followed for one name */
#define DNS_RR_KEEP_MAX 256        /* questions and records kept per message for its event */
#define DNS_TXT_LOG_MAX 512        /* bytes of TXT data written per record */
#define DNS_EVENT_BUDGET (40u << 10) /* no record is added to an event past this many bytes */
#define DNS_TYPE_TEXT_LEN 8        /* "65535" and its NUL */
#define DNS_PROBE_QD_MAX 64        /* questions a first message may have (most have one) */
#define MDNS_FACTS_MAX 64          /* distinct facts taken from one mDNS message */
#define MDNS_FACT_LEN 255

#define DNS_CLASS_MASK 0x7fff /* mDNS: the top bit is a flag */
#define DNS_CLASS_TOP 0x8000
#define DNS_CLASS_IN 1

/* Header flag bits, RFC 1035 4.1.1, RFC 4035 3.2 (AD, CD). */
#define DNS_F_QR 0x8000
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_F_Z 0x0040
#define DNS_F_AD 0x0020
#define DNS_F_CD 0x0010

enum dns_type {
    T_A = 1,
    T_NS = 2,
    T_MD = 3,
    T_MF = 4,
    T_CNAME = 5,
    T_SOA = 6,
    T_MB = 7,
    T_MG = 8,
    T_MR = 9,
    T_PTR = 12,
    T_HINFO = 13,
    T_MX = 15,
    T_TXT = 16,
    T_AAAA = 28,
    T_SRV = 33,
    T_DNAME = 39,
    T_OPT = 41,
};

enum dns_section { SEC_QUESTION, SEC_ANSWER, SEC_AUTHORITY, SEC_ADDITIONAL, SEC_MAX };

enum dns_err {
    DNS_OK = 0,
    DNS_E_HEADER,
    DNS_E_TRUNCATED,
    DNS_E_POINTER,
    DNS_E_LABEL,
    DNS_E_NAME_LONG,
    DNS_E_RDATA,
    DNS_E_TOO_LONG,
};

/* The anomaly event for each error. */
static const char *const dns_err_event[] = {
    "", "short_header", "truncated", "bad_pointer", "bad_label_type", "name_too_long",
    "bad_rdata", "message_too_long",
};

/* A decoded name: labels joined by '.', no trailing dot; the root is "". */
struct dns_name {
    uint8_t text[DNS_NAME_WIRE_MAX];
    size_t len;
    size_t n_labels;
    uint8_t label_at[DNS_LABELS_MAX]; /* where each label starts in text */
    uint8_t label_len[DNS_LABELS_MAX];
};

/* A question (no ttl, no rdata) or a record; offsets are into the message. */
struct dns_rr {
    uint32_t name_off, rd_off, ttl;
    uint16_t type, rclass, rd_len;
    uint8_t section;
};

/* One message as read. */
struct dns_msg {
    const uint8_t *p;
    size_t len;
    uint16_t id, flags;
    uint16_t count[SEC_MAX];
    struct dns_rr rr[DNS_RR_KEEP_MAX];
    size_t n_rr;
    bool rr_dropped; /* more entries than DNS_RR_KEEP_MAX: the rest are not logged */
    enum dns_err err;
};

enum mdns_kind { MF_HOST, MF_SERVICE, MF_INSTANCE, MF_MODEL, MF_MAKER, MF_KINDS };

/* What an mDNS response says about its sender. */
struct mdns_fact {
    uint8_t kind;
    uint8_t len;
    uint8_t value[MDNS_FACT_LEN];
};

struct mdns_facts {
    struct mdns_fact f[MDNS_FACTS_MAX];
    size_t n;
};

static void dns_name_add(struct dns_name *n, const uint8_t *label, uint8_t len)
{
    if (n->n_labels > 0) {
        n->text[n->len++] = '.';
    }
    n->label_at[n->n_labels] = (uint8_t)n->len;
    n->label_len[n->n_labels++] = len;
    memcpy(n->text + n->len, label, len);
    n->len += len;
}

/*
 * Reads the name at msg[off] within msg[0, len). Returns DNS_OK and sets
 * *next to the offset just past the name where it sits (past its first
 * pointer), or an error. out may be NULL.
 */
static enum dns_err dns_name_read(const uint8_t *msg, size_t len, size_t off,
                                  struct dns_name *out, size_t *next)
{
    struct dns_name scratch;
    struct ww_cursor c;
    size_t seg = off; /* start of the run of labels being read */
    size_t wire = 1;  /* octets so far, the root's zero byte included */
    unsigned hops = 0;
    bool jumped = false;
    uint8_t b, lo;
    const uint8_t *label;

    out = out != NULL ? out : &scratch;
    out->len = 0;
    out->n_labels = 0;
    cursor_init(&c, msg, len);
    if (cursor_skip(&c, off) < 0) {
        return DNS_E_TRUNCATED;
    }
    while (cursor_u8(&c, &b) == 0) {
        if (b == 0) {
            if (!jumped) {
                *next = (size_t)(c.pos - msg);
            }
            return DNS_OK;
        }
        if ((b & 0xc0) == 0xc0) {
            size_t target;

            if (cursor_u8(&c, &lo) < 0) {
                return DNS_E_TRUNCATED;
            }
            if (!jumped) {
                *next = (size_t)(c.pos - msg);
                jumped = true;
            }
            target = ((size_t)(b & 0x3f) << 8) | lo;
            if (target >= seg || target < DNS_HDR_LEN || ++hops > DNS_PTR_HOPS_MAX) {
                return DNS_E_POINTER;
            }
            cursor_init(&c, msg, len);
            cursor_skip(&c, target);
            seg = target;
            continue;
        }
        if (b > DNS_LABEL_MAX) {
            return DNS_E_LABEL; /* 01 and 10 label types (RFC 6891 5) */
        }
        wire += 1u + b;
        if (wire > DNS_NAME_WIRE_MAX) {
            return DNS_E_NAME_LONG;
        }
        if (cursor_bytes(&c, b, &label) < 0) {
            return DNS_E_TRUNCATED;
        }
        dns_name_add(out, label, b);
    }
    return DNS_E_TRUNCATED;
}

/* Reads a name inside a record's rdata at rdata offset *at; moves *at past it. */
static enum dns_err dns_rdata_name(const struct dns_msg *m, const struct dns_rr *rr, size_t *at,
                                   struct dns_name *out)
{
    size_t next;
    enum dns_err e;

    /* Bounding the read at the rdata's end keeps the in-place labels inside
     * it; pointers only go backwards, so they stay inside the message. */
    e = dns_name_read(m->p, (size_t)rr->rd_off + rr->rd_len, rr->rd_off + *at, out, &next);
    if (e != DNS_OK) {
        return e == DNS_E_TRUNCATED ? DNS_E_RDATA : e;
    }
    *at = next - rr->rd_off;
    return DNS_OK;
}

/* Checks that rdata of `skip` bytes, then n_names names, then `tail` bytes fits. */
static enum dns_err dns_check_names(const struct dns_msg *m, const struct dns_rr *rr,
                                    size_t skip, int n_names, size_t tail)
{
    size_t at = skip;

    if (rr->rd_len < skip) {
        return DNS_E_RDATA;
    }
    for (int i = 0; i < n_names; i++) {
        enum dns_err e = dns_rdata_name(m, rr, &at, NULL);

        if (e != DNS_OK) {
            return e;
        }
    }
    return rr->rd_len - at >= tail ? DNS_OK : DNS_E_RDATA;
}

/* Checks that rdata is a run of <character-string>s (RFC 1035 3.3). */
static enum dns_err dns_check_strings(const struct dns_msg *m, const struct dns_rr *rr)
{
    struct ww_cursor c;
    uint8_t n;

    cursor_init(&c, m->p + rr->rd_off, rr->rd_len);
    while (cursor_u8(&c, &n) == 0) {
        if (cursor_skip(&c, n) < 0) {
            return DNS_E_RDATA;
        }
    }
    return DNS_OK;
}

/* Whether the rdata of a type this parser writes out is well formed. */
static enum dns_err dns_rdata_check(const struct dns_msg *m, const struct dns_rr *rr)
{
    switch (rr->type) {
    case T_A:
        return rr->rd_len == 4 ? DNS_OK : DNS_E_RDATA;
    case T_AAAA:
        return rr->rd_len == 16 ? DNS_OK : DNS_E_RDATA;
    case T_NS:
    case T_MD:
    case T_MF:
    case T_CNAME:
    case T_MB:
    case T_MG:
    case T_MR:
    case T_PTR:
    case T_DNAME:
        return dns_check_names(m, rr, 0, 1, 0);
    case T_MX:
        return dns_check_names(m, rr, 2, 1, 0);
    case T_SRV:
        return dns_check_names(m, rr, 6, 1, 0);
    case T_SOA:
        return dns_check_names(m, rr, 0, 2, 20);
    case T_TXT:
    case T_HINFO:
        return dns_check_strings(m, rr);
    default:
        return DNS_OK;
    }
}

/* Reads one question or record at *off and keeps it. Moves *off past it. */
static enum dns_err dns_read_entry(struct dns_msg *m, size_t *off, uint8_t section)
{
    struct dns_rr rr = {.section = section, .name_off = (uint32_t)*off};
    struct ww_cursor c;
    size_t next;
    enum dns_err e = dns_name_read(m->p, m->len, *off, NULL, &next);

    if (e != DNS_OK) {
        return e;
    }
    cursor_init(&c, m->p, m->len);
    cursor_skip(&c, next);
    if (cursor_be16(&c, &rr.type) < 0 || cursor_be16(&c, &rr.rclass) < 0) {
        return DNS_E_TRUNCATED;
    }
    if (section != SEC_QUESTION) {
        if (cursor_be32(&c, &rr.ttl) < 0 || cursor_be16(&c, &rr.rd_len) < 0) {
            return DNS_E_TRUNCATED;
        }
        rr.rd_off = (uint32_t)(c.pos - m->p);
        if (cursor_skip(&c, rr.rd_len) < 0) {
            return DNS_E_TRUNCATED;
        }
        e = dns_rdata_check(m, &rr);
        if (e != DNS_OK) {
            return e;
        }
    }
    *off = (size_t)(c.pos - m->p);
    if (m->n_rr < DNS_RR_KEEP_MAX) {
        m->rr[m->n_rr++] = rr;
    } else {
        m->rr_dropped = true;
    }
    return DNS_OK;
}

/*
 * Reads a message: the header, then every section until the counts are met
 * or something is wrong. Returns m->err: DNS_OK, or the first damage found
 * (the entries before it are kept).
 */
static enum dns_err dns_msg_read(struct dns_msg *m, const uint8_t *p, size_t len)
{
    struct ww_cursor c;
    size_t off = DNS_HDR_LEN;

    memset(m, 0, offsetof(struct dns_msg, rr));
    m->n_rr = 0;
    m->rr_dropped = false;
    m->err = DNS_OK;
    m->p = p;
    m->len = len;
    cursor_init(&c, p, len);
    if (cursor_be16(&c, &m->id) < 0 || cursor_be16(&c, &m->flags) < 0 ||
        cursor_be16(&c, &m->count[0]) < 0 || cursor_be16(&c, &m->count[1]) < 0 ||
        cursor_be16(&c, &m->count[2]) < 0 || cursor_be16(&c, &m->count[3]) < 0) {
        m->err = DNS_E_HEADER;
        return m->err;
    }
    if (len > DNS_MSG_MAX) {
        m->err = DNS_E_TOO_LONG;
        return m->err;
    }
    for (uint8_t s = 0; s < SEC_MAX; s++) {
        for (unsigned i = 0; i < m->count[s]; i++) {
            m->err = dns_read_entry(m, &off, s);
            if (m->err != DNS_OK) {
                return m->err;
            }
        }
    }
    return DNS_OK;
}

static const struct {
    uint16_t type;
    const char *name;
} dns_type_names[] = {
    {1, "A"},       {2, "NS"},         {3, "MD"},      {4, "MF"},      {5, "CNAME"},
    {6, "SOA"},     {7, "MB"},         {8, "MG"},      {9, "MR"},      {10, "NULL"},
    {11, "WKS"},    {12, "PTR"},       {13, "HINFO"},  {14, "MINFO"},  {15, "MX"},
    {16, "TXT"},    {17, "RP"},        {18, "AFSDB"},  {24, "SIG"},    {25, "KEY"},
    {28, "AAAA"},   {29, "LOC"},       {33, "SRV"},    {35, "NAPTR"},  {36, "KX"},
    {37, "CERT"},   {39, "DNAME"},     {41, "OPT"},    {43, "DS"},     {44, "SSHFP"},
    {46, "RRSIG"},  {47, "NSEC"},      {48, "DNSKEY"}, {50, "NSEC3"},  {51, "NSEC3PARAM"},
    {52, "TLSA"},   {59, "CDS"},       {60, "CDNSKEY"}, {64, "SVCB"},  {65, "HTTPS"},
    {99, "SPF"},    {249, "TKEY"},     {250, "TSIG"},  {251, "IXFR"},  {252, "AXFR"},
    {255, "ANY"},   {256, "URI"},      {257, "CAA"},
};

/* The type's mnemonic, or its number in decimal written into buf. */
static const char *dns_type_text(uint16_t type, char buf[DNS_TYPE_TEXT_LEN])
{
    for (size_t i = 0; i < sizeof(dns_type_names) / sizeof(dns_type_names[0]); i++) {
        if (dns_type_names[i].type == type) {
            return dns_type_names[i].name;
        }
    }
    snprintf(buf, DNS_TYPE_TEXT_LEN, "%u", (unsigned)type);
    return buf;
}

/* RFC 1035 4.1.1, RFC 2136 2.2, RFC 6895 2.3. */
static const char *dns_rcode_text(unsigned rcode, char buf[DNS_TYPE_TEXT_LEN])
{
    static const char *const names[] = {
        "NOERROR", "FORMERR",  "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
        "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
    };

    if (rcode < sizeof(names) / sizeof(names[0])) {
        return names[rcode];
    }
    snprintf(buf, DNS_TYPE_TEXT_LEN, "%u", rcode);
    return buf;
}

static void dns_write_name(struct jbuf *jb, const char *key, const struct dns_name *n)
{
    jb_strn(jb, key, n->text, n->len);
}

/* The owner name of an entry; kept entries were read once already. */
static void dns_owner(const struct dns_msg *m, const struct dns_rr *rr, struct dns_name *out)
{
    size_t next;

    if (dns_name_read(m->p, m->len, rr->name_off, out, &next) != DNS_OK) {
        out->len = 0;
        out->n_labels = 0;
    }
}

/* The 16- or 32-bit field at rdata offset at; 0 past the rdata (checked before). */
static uint16_t dns_rd16(const struct dns_msg *m, const struct dns_rr *rr, size_t at)
{
    struct ww_cursor c;
    uint16_t v = 0;

    cursor_init(&c, m->p + rr->rd_off, rr->rd_len);
    if (cursor_skip(&c, at) == 0) {
        cursor_be16(&c, &v);
    }
    return v;
}

static uint32_t dns_rd32(const struct dns_msg *m, const struct dns_rr *rr, size_t at)
{
    struct ww_cursor c;
    uint32_t v = 0;

    cursor_init(&c, m->p + rr->rd_off, rr->rd_len);
    if (cursor_skip(&c, at) == 0) {
        cursor_be32(&c, &v);
    }
    return v;
}

/* TXT or HINFO strings joined by a space, at most DNS_TXT_LOG_MAX bytes. */
static size_t dns_join_strings(const struct dns_msg *m, const struct dns_rr *rr,
                               uint8_t out[DNS_TXT_LOG_MAX])
{
    struct ww_cursor c;
    const uint8_t *s;
    uint8_t n;
    size_t o = 0;

    cursor_init(&c, m->p + rr->rd_off, rr->rd_len);
    while (cursor_u8(&c, &n) == 0 && cursor_bytes(&c, n, &s) == 0) {
        if (o > 0 && o < DNS_TXT_LOG_MAX) {
            out[o++] = ' ';
        }
        for (size_t i = 0; i < n && o < DNS_TXT_LOG_MAX; i++) {
            out[o++] = s[i];
        }
    }
    return o;
}

/*
 * Writes the record's data as one string under key (NULL inside an array)
 * for the types that have one: an address, a name (the target of MX and
 * SRV) or TXT text. Returns whether it wrote anything.
 */
static bool dns_write_rdata(struct jbuf *jb, const char *key, const struct dns_msg *m,
                            const struct dns_rr *rr)
{
    struct dns_name name;
    uint8_t txt[DNS_TXT_LOG_MAX];
    size_t at = 0;

    switch (rr->type) {
    case T_A:
        jb_ip(jb, key, 4, m->p + rr->rd_off);
        return true;
    case T_AAAA:
        jb_ip(jb, key, 6, m->p + rr->rd_off);
        return true;
    case T_MX:
    case T_SRV:
        at = rr->type == T_MX ? 2 : 6;
        /* fall through */
    case T_NS:
    case T_MD:
    case T_MF:
    case T_CNAME:
    case T_MB:
    case T_MG:
    case T_MR:
    case T_PTR:
    case T_DNAME:
        if (dns_rdata_name(m, rr, &at, &name) != DNS_OK) {
            return false;
        }
        dns_write_name(jb, key, &name);
        return true;
    case T_TXT:
        jb_strn(jb, key, txt, dns_join_strings(m, rr, txt));
        return true;
    default:
        return false;
    }
}

static void dns_write_soa(struct jbuf *jb, const struct dns_msg *m, const struct dns_rr *rr)
{
    static const char *const keys[] = {"serial", "refresh", "retry", "expire", "minimum"};
    struct dns_name name;
    size_t at = 0;

    jb_object_open(jb, "soa");
    if (dns_rdata_name(m, rr, &at, &name) == DNS_OK) {
        dns_write_name(jb, "mname", &name);
    }
    if (dns_rdata_name(m, rr, &at, &name) == DNS_OK) {
        dns_write_name(jb, "rname", &name);
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            jb_u64(jb, keys[i], dns_rd32(m, rr, at + 4 * i));
        }
    }
    jb_object_close(jb);
}

static void dns_write_srv(struct jbuf *jb, const struct dns_msg *m, const struct dns_rr *rr)
{
    jb_object_open(jb, "srv");
    jb_u64(jb, "priority", dns_rd16(m, rr, 0));
    jb_u64(jb, "weight", dns_rd16(m, rr, 2));
    jb_u64(jb, "port", dns_rd16(m, rr, 4));
    dns_write_rdata(jb, "name", m, rr);
    jb_object_close(jb);
}

/* Each string of a TXT record, for mDNS where they are key=value pairs. */
static void dns_write_txt(struct jbuf *jb, const struct dns_msg *m, const struct dns_rr *rr)
{
    struct ww_cursor c;
    const uint8_t *s;
    uint8_t n;
    size_t total = 0;

    jb_array_open(jb, "txt");
    cursor_init(&c, m->p + rr->rd_off, rr->rd_len);
    while (cursor_u8(&c, &n) == 0 && cursor_bytes(&c, n, &s) == 0 && total < DNS_TXT_LOG_MAX) {
        if (n > 0) {
            jb_strn(jb, NULL, s, n);
        }
        total += n;
    }
    jb_array_close(jb);
}

static void dns_write_hinfo(struct jbuf *jb, const struct dns_msg *m, const struct dns_rr *rr)
{
    struct ww_cursor c;
    const uint8_t *s;
    uint8_t n;

    cursor_init(&c, m->p + rr->rd_off, rr->rd_len);
    jb_object_open(jb, "hinfo");
    if (cursor_u8(&c, &n) == 0 && cursor_bytes(&c, n, &s) == 0) {
        jb_strn(jb, "cpu", s, n);
    }
    if (cursor_u8(&c, &n) == 0 && cursor_bytes(&c, n, &s) == 0) {
        jb_strn(jb, "os", s, n);
    }
    jb_object_close(jb);
}

/* One question or record as an object of an array. */
static void dns_write_entry(struct jbuf *jb, const struct dns_msg *m, const struct dns_rr *rr,
                            bool mdns)
{
    char tbuf[DNS_TYPE_TEXT_LEN];
    struct dns_name owner;
    uint16_t rclass = mdns ? (rr->rclass & DNS_CLASS_MASK) : rr->rclass;

    dns_owner(m, rr, &owner);
    jb_object_open(jb, NULL);
    dns_write_name(jb, "rrname", &owner);
    jb_str(jb, "rrtype", dns_type_text(rr->type, tbuf));
    if (rclass != DNS_CLASS_IN && rr->type != T_OPT) {
        jb_u64(jb, "rrclass", rclass); /* CH, HS, ANY: rare enough to show */
    }
    if (mdns && (rr->rclass & DNS_CLASS_TOP)) {
        jb_bool(jb, rr->section == SEC_QUESTION ? "unicast_response" : "cache_flush", true);
    }
    if (rr->section != SEC_QUESTION) {
        jb_u64(jb, "ttl", rr->ttl);
        if (rr->type == T_SOA) {
            dns_write_soa(jb, m, rr);
        } else if (rr->type == T_HINFO) {
            dns_write_hinfo(jb, m, rr);
        } else if (rr->type == T_TXT && mdns) {
            dns_write_txt(jb, m, rr);
        } else {
            dns_write_rdata(jb, "rdata", m, rr);
        }
        if (rr->type == T_SRV) {
            dns_write_srv(jb, m, rr);
        }
    }
    jb_object_close(jb);
}

static bool dns_room(const struct jbuf *jb)
{
    return jb->len < DNS_EVENT_BUDGET;
}

/* Writes the entries of one section as an array under key, when there are any. */
static bool dns_write_section(struct jbuf *jb, const struct dns_msg *m, uint8_t section,
                              const char *key, bool mdns)
{
    bool opened = false, complete = true;

    for (size_t i = 0; i < m->n_rr; i++) {
        if (m->rr[i].section != section) {
            continue;
        }
        if (!dns_room(jb)) {
            complete = false;
            break;
        }
        if (!opened) {
            jb_array_open(jb, key);
            opened = true;
        }
        dns_write_entry(jb, m, &m->rr[i], mdns);
    }
    if (opened) {
        jb_array_close(jb);
    }
    return complete;
}

/* Whether an answer of the same type comes before answer i. */
static bool dns_type_seen_before(const struct dns_msg *m, size_t i)
{
    for (size_t j = 0; j < i; j++) {
        if (m->rr[j].section == SEC_ANSWER && m->rr[j].type == m->rr[i].type) {
            return true;
        }
    }
    return false;
}

/* The answers' data by type, as Suricata's "grouped" form: {"A": [...], "CNAME": [...]}. */
static bool dns_write_grouped(struct jbuf *jb, const struct dns_msg *m)
{
    char tbuf[DNS_TYPE_TEXT_LEN];
    bool complete = true;

    jb_object_open(jb, "grouped");
    for (size_t i = 0; i < m->n_rr; i++) {
        const struct dns_rr *rr = &m->rr[i];

        if (rr->section != SEC_ANSWER || rr->type == T_SOA || rr->type == T_HINFO ||
            dns_type_seen_before(m, i)) {
            continue;
        }
        jb_array_open(jb, dns_type_text(rr->type, tbuf));
        for (size_t j = i; j < m->n_rr; j++) {
            if (m->rr[j].section != SEC_ANSWER || m->rr[j].type != rr->type) {
                continue;
            }
            if (!dns_room(jb)) {
                complete = false;
                break;
            }
            dns_write_rdata(jb, NULL, m, &m->rr[j]);
        }
        jb_array_close(jb);
    }
    jb_object_close(jb);
    return complete;
}

/* id, flags as Suricata writes them (hex, and the bits that are set), opcode, rcode. */
static void dns_write_header(struct jbuf *jb, const struct dns_msg *m)
{
    static const struct {
        uint16_t bit;
        const char *key;
    } bits[] = {
        {DNS_F_QR, "qr"}, {DNS_F_AA, "aa"}, {DNS_F_TC, "tc"}, {DNS_F_RD, "rd"},
        {DNS_F_RA, "ra"}, {DNS_F_Z, "z"},   {DNS_F_AD, "ad"}, {DNS_F_CD, "cd"},
    };
    char hex[8];
    char rbuf[DNS_TYPE_TEXT_LEN];

    jb_str(jb, "type", (m->flags & DNS_F_QR) ? "response" : "request");
    jb_u64(jb, "id", m->id);
    snprintf(hex, sizeof(hex), "%x", (unsigned)m->flags);
    jb_str(jb, "flags", hex);
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        if (m->flags & bits[i].bit) {
            jb_bool(jb, bits[i].key, true);
        }
    }
    jb_u64(jb, "opcode", (m->flags >> 11) & 0xf);
    jb_str(jb, "rcode", dns_rcode_text(m->flags & 0xf, rbuf));
}

/* Every section; returns false when some entries were left out. */
static bool dns_write_sections(struct jbuf *jb, const struct dns_msg *m, bool mdns)
{
    bool complete = !m->rr_dropped;

    complete &= dns_write_section(jb, m, SEC_QUESTION, "queries", mdns);
    complete &= dns_write_section(jb, m, SEC_ANSWER, "answers", mdns);
    complete &= dns_write_section(jb, m, SEC_AUTHORITY, "authorities", mdns);
    complete &= dns_write_section(jb, m, SEC_ADDITIONAL, "additionals", mdns);
    return complete;
}

/* ---- mDNS: what a response says about the device that sent it ---- */

static bool dns_label_is(const struct dns_name *n, size_t i, const char *word)
{
    size_t len = strlen(word);

    if (i >= n->n_labels || n->label_len[i] != len) {
        return false;
    }
    for (size_t k = 0; k < len; k++) {
        uint8_t ch = n->text[n->label_at[i] + k];

        if ((ch >= 'A' && ch <= 'Z' ? ch + 32 : ch) != (uint8_t)word[k]) {
            return false;
        }
    }
    return true;
}

static void mdns_fact_add(struct mdns_facts *fs, uint8_t kind, const uint8_t *value, size_t len)
{
    if (len == 0 || len > MDNS_FACT_LEN) {
        return;
    }
    for (size_t i = 0; i < fs->n; i++) {
        const struct mdns_fact *f = &fs->f[i];

        if (f->kind == kind && f->len == len && memcmp(f->value, value, len) == 0) {
            return;
        }
    }
    if (fs->n < MDNS_FACTS_MAX) {
        fs->f[fs->n].kind = kind;
        fs->f[fs->n].len = (uint8_t)len;
        memcpy(fs->f[fs->n].value, value, len);
        fs->n++;
    }
}

/* "host.local": the host name without ".local". */
static void mdns_take_host(struct mdns_facts *fs, const struct dns_name *n)
{
    if (n->n_labels >= 2 && dns_label_is(n, n->n_labels - 1, "local")) {
        mdns_fact_add(fs, MF_HOST, n->text, (size_t)n->label_at[n->n_labels - 1] - 1);
    }
}

/*
 * "_ipp._tcp.local", "Instance._ipp._tcp.local" or a subtype such as
 * "_printer._sub._http._tcp.local" (RFC 6763 4.1, 7.1): the service type
 * "_ipp._tcp", and the instance when the name has one.
 */
static void mdns_take_service(struct mdns_facts *fs, const struct dns_name *n)
{
    size_t k = n->n_labels;
    size_t svc_at, svc_end;

    if (k < 3 || !dns_label_is(n, k - 1, "local") ||
        !(dns_label_is(n, k - 2, "_tcp") || dns_label_is(n, k - 2, "_udp")) ||
        n->label_len[k - 3] == 0 || n->text[n->label_at[k - 3]] != '_') {
        return;
    }
    if (dns_label_is(n, k - 3, "_dns-sd")) {
        return; /* the service enumeration name, not a service */
    }
    svc_at = n->label_at[k - 3];
    svc_end = (size_t)n->label_at[k - 2] + n->label_len[k - 2];
    mdns_fact_add(fs, MF_SERVICE, n->text + svc_at, svc_end - svc_at);
    if (k == 4) {
        mdns_fact_add(fs, MF_INSTANCE, n->text, n->label_len[0]);
    }
}

/* Whether s[0, len) starts with key= (key lower case, matched without case). */
static size_t mdns_txt_key(const uint8_t *s, size_t len, const char *key)
{
    size_t k = strlen(key);

    if (len <= k || s[k] != '=') {
        return 0;
    }
    for (size_t i = 0; i < k; i++) {
        uint8_t ch = s[i] >= 'A' && s[i] <= 'Z' ? (uint8_t)(s[i] + 32) : s[i];

        if (ch != (uint8_t)key[i]) {
            return 0;
        }
    }
    return k + 1;
}

/* TXT pairs naming the model or the maker (RFC 6763 6; Bonjour printing keys). */
static void mdns_take_txt(struct mdns_facts *fs, const struct dns_msg *m, const struct dns_rr *rr)
{
    static const struct {
        const char *key;
        uint8_t kind;
    } keys[] = {
        {"md", MF_MODEL},      {"model", MF_MODEL}, {"ty", MF_MODEL},  {"usb_mdl", MF_MODEL},
        {"usb_mfg", MF_MAKER}, {"manufacturer", MF_MAKER}, {"mfg", MF_MAKER},
    };
    struct ww_cursor c;
    uint8_t s[UINT8_MAX];
    uint8_t n;

    cursor_init(&c, m->p + rr->rd_off, rr->rd_len);
    while (cursor_u8(&c, &n) == 0 && cursor_copy(&c, s, n) == 0) {
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            size_t at = mdns_txt_key(s, n, keys[i].key);

            if (at > 0) {
                mdns_fact_add(fs, keys[i].kind, s + at, n - at);
            }
        }
    }
}

/* Reverse-mapping names (RFC 1035 3.5, RFC 3596 2.5) own PTRs to host names. */
static bool dns_is_reverse(const struct dns_name *n)
{
    size_t k = n->n_labels;

    return k >= 2 && dns_label_is(n, k - 1, "arpa") &&
           (dns_label_is(n, k - 2, "in-addr") || dns_label_is(n, k - 2, "ip6"));
}

static void mdns_take_record(struct mdns_facts *fs, const struct dns_msg *m,
                             const struct dns_rr *rr)
{
    struct dns_name owner, target;
    size_t at = rr->type == T_SRV ? 6 : 0;

    dns_owner(m, rr, &owner);
    if (rr->type == T_A || rr->type == T_AAAA) {
        mdns_take_host(fs, &owner);
        return;
    }
    if (rr->type == T_TXT) {
        mdns_take_service(fs, &owner);
        mdns_take_txt(fs, m, rr);
        return;
    }
    if ((rr->type != T_PTR && rr->type != T_SRV) ||
        dns_rdata_name(m, rr, &at, &target) != DNS_OK) {
        return;
    }
    if (rr->type == T_SRV || dns_is_reverse(&owner)) {
        mdns_take_host(fs, &target);
    } else {
        mdns_take_service(fs, &target);
    }
    mdns_take_service(fs, &owner);
}

/* The facts of a response's answers and additionals. */
static void mdns_collect(struct mdns_facts *fs, const struct dns_msg *m)
{
    fs->n = 0;
    if (!(m->flags & DNS_F_QR)) {
        return; /* a query's known answers are other devices' records */
    }
    for (size_t i = 0; i < m->n_rr; i++) {
        if (m->rr[i].section == SEC_ANSWER || m->rr[i].section == SEC_ADDITIONAL) {
            mdns_take_record(fs, m, &m->rr[i]);
        }
    }
}

static void mdns_write_kind(struct jbuf *jb, const struct mdns_facts *fs, uint8_t kind,
                            const char *key, bool list)
{
    bool opened = false;

    for (size_t i = 0; i < fs->n; i++) {
        if (fs->f[i].kind != kind) {
            continue;
        }
        if (!list) {
            jb_strn(jb, key, fs->f[i].value, fs->f[i].len); /* the first one */
            return;
        }
        if (!opened) {
            jb_array_open(jb, key);
            opened = true;
        }
        jb_strn(jb, NULL, fs->f[i].value, fs->f[i].len);
    }
    if (opened) {
        jb_array_close(jb);
    }
}

static void mdns_write_facts(struct jbuf *jb, const struct mdns_facts *fs)
{
    mdns_write_kind(jb, fs, MF_HOST, "hostnames", true);
    mdns_write_kind(jb, fs, MF_SERVICE, "services", true);
    mdns_write_kind(jb, fs, MF_INSTANCE, "instances", true);
    mdns_write_kind(jb, fs, MF_MODEL, "model", false);
    mdns_write_kind(jb, fs, MF_MAKER, "manufacturer", false);
}

static void mdns_evidence(const struct proto_ctx *ctx, const struct mdns_facts *fs)
{
    static const char *const kinds[MF_KINDS] = {
        [MF_HOST] = "mdns.hostname", [MF_SERVICE] = "mdns.service", [MF_INSTANCE] = NULL,
        [MF_MODEL] = "mdns.model",   [MF_MAKER] = "mdns.manufacturer",
    };

    for (size_t i = 0; i < fs->n; i++) {
        if (kinds[fs->f[i].kind] != NULL) {
            proto_evidence(ctx, PROTO_SENDER, kinds[fs->f[i].kind],
                           (const char *)fs->f[i].value, fs->f[i].len);
        }
    }
}

/* A standard query's names: what the sender looked up. */
static void dns_query_evidence(const struct proto_ctx *ctx, const struct dns_msg *m)
{
    struct dns_name name;

    if ((m->flags & DNS_F_QR) || ((m->flags >> 11) & 0xf) != 0) {
        return;
    }
    for (size_t i = 0; i < m->n_rr; i++) {
        if (m->rr[i].section == SEC_QUESTION) {
            dns_owner(m, &m->rr[i], &name);
            proto_evidence(ctx, PROTO_SENDER, "dns.query", (const char *)name.text, name.len);
        }
    }
}

static void dns_log(const struct proto_ctx *ctx, const struct dns_msg *m, bool mdns,
                    const struct mdns_facts *fs)
{
    const char *type = mdns ? "mdns" : "dns";
    struct jbuf *jb = proto_event_begin(ctx, type);
    bool complete;

    jb_object_open(jb, type);
    if (!mdns) {
        jb_u64(jb, "version", 3);
    }
    dns_write_header(jb, m);
    complete = dns_write_sections(jb, m, mdns);
    if (!mdns && m->count[SEC_ANSWER] > 0) {
        complete &= dns_write_grouped(jb, m);
    }
    if (mdns) {
        mdns_write_facts(jb, fs);
    }
    if (!complete) {
        jb_bool(jb, "truncated", true);
    }
    jb_object_close(jb);
    eve_commit(ctx->eve);
}

/*
 * Parses one message: its event, evidence, and an anomaly event when it is
 * damaged. Returns 0, or -1 when it is damaged (the event then holds the
 * entries before the damage; none is written for a short header).
 */
static int dns_handle(const struct proto_ctx *ctx, const uint8_t *data, size_t len, bool mdns)
{
    struct dns_msg m;
    struct mdns_facts fs;
    enum dns_err err = dns_msg_read(&m, data, len);

    if (err == DNS_E_HEADER || err == DNS_E_TOO_LONG) {
        proto_log_anomaly(ctx, dns_err_event[err], NULL);
        return -1;
    }
    fs.n = 0;
    if (mdns) {
        mdns_collect(&fs, &m);
    }
    dns_log(ctx, &m, mdns, &fs);
    if (mdns) {
        mdns_evidence(ctx, &fs);
    } else {
        dns_query_evidence(ctx, &m);
    }
    if (err != DNS_OK) {
        proto_log_anomaly(ctx, dns_err_event[err], (m.flags & DNS_F_QR) ? "response" : "request");
        return -1;
    }
    return 0;
}

/* The opcode of a message, or -1 when the header is not all there. */
static int dns_opcode(const uint8_t *p, size_t len)
{
    struct ww_cursor c;
    uint8_t flags_hi;

    cursor_init(&c, p, len);
    if (len < DNS_HDR_LEN || cursor_skip(&c, 2) < 0 || cursor_u8(&c, &flags_hi) < 0) {
        return -1;
    }
    return (flags_hi >> 3) & 0xf;
}

/* Whether a header could be DNS: a defined opcode (RFC 6895 2.2), few questions. */
static bool dns_header_plausible(const uint8_t *p, size_t len)
{
    int opcode = dns_opcode(p, len);
    struct ww_cursor c;
    uint16_t qd = 0;

    cursor_init(&c, p, len);
    if (cursor_skip(&c, 4) < 0 || cursor_be16(&c, &qd) < 0) {
        return false;
    }
    return opcode >= 0 && opcode <= 6 && opcode != 3 && qd <= DNS_PROBE_QD_MAX;
}

static bool dns_udp_probe(const uint8_t *data, size_t len, int dir)
{
    (void)dir;
    return dns_header_plausible(data, len);
}

static bool dns_tcp_probe(const uint8_t *data, size_t len, int dir)
{
    struct ww_cursor c;
    uint16_t n;

    (void)dir;
    cursor_init(&c, data, len);
    if (cursor_be16(&c, &n) < 0) {
        return true; /* only part of the prefix yet: the port has to do */
    }
    if (n < DNS_HDR_LEN) {
        return false;
    }
    return cursor_left(&c) < DNS_HDR_LEN || dns_header_plausible(c.pos, cursor_left(&c));
}

/* mDNS messages on 5353 have opcode 0 (RFC 6762 18.3). */
static bool mdns_probe(const uint8_t *data, size_t len, int dir)
{
    (void)dir;
    return dns_opcode(data, len) == 0;
}

static int dns_udp_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data,
                         size_t len)
{
    (void)state;
    return dns_handle(ctx, data, len, false) < 0 ? PROTO_MALFORMED : (int)len;
}

static int mdns_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data, size_t len)
{
    (void)state;
    return dns_handle(ctx, data, len, true) < 0 ? PROTO_MALFORMED : (int)len;
}

/* One length-prefixed message of a TCP stream, or NEED_MORE until it is all there. */
static int dns_tcp_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data,
                         size_t len)
{
    struct ww_cursor c;
    uint16_t n;

    (void)state;
    cursor_init(&c, data, len);
    if (cursor_be16(&c, &n) < 0 || cursor_left(&c) < n) {
        return PROTO_NEED_MORE;
    }
    if (dns_handle(ctx, c.pos, n, false) < 0) {
        return PROTO_MALFORMED;
    }
    return DNS_TCP_PREFIX_LEN + n;
}

const struct proto_parser proto_dns_udp_parser = {
    .name = "dns",
    .proto = APP_DNS,
    .ip_proto = 17,
    .ports = {DNS_PORT},
    .probe = dns_udp_probe,
    .state_size = 0,
    .parse = dns_udp_parse,
    .state_free = NULL,
};

const struct proto_parser proto_dns_tcp_parser = {
    .name = "dns",
    .proto = APP_DNS,
    .ip_proto = 6,
    .ports = {DNS_PORT},
    .probe = dns_tcp_probe,
    .state_size = 0,
    .parse = dns_tcp_parse,
    .state_free = NULL,
    .resync_after_gap = true,
};

const struct proto_parser proto_mdns_parser = {
    .name = "mdns",
    .proto = APP_MDNS,
    .ip_proto = 17,
    .ports = {MDNS_PORT},
    .probe = mdns_probe,
    .state_size = 0,
    .parse = mdns_parse,
    .state_free = NULL,
};
