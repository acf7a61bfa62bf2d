/* SPDX-License-Identifier: MIT */
/*
 * x509: reads the reported fields of an X.509 certificate (RFC 5280
 * section 4.1) from its DER encoding (ITU-T X.690):
 *
 *   Certificate  ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature }
 *   TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber INTEGER,
 *       signature AlgorithmIdentifier, issuer Name, validity SEQUENCE {
 *       notBefore Time, notAfter Time }, subject Name, subjectPublicKeyInfo,
 *       [1] [2] unique ids OPTIONAL, [3] extensions OPTIONAL }
 *   Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY }
 *
 * Names are written as "C=US, O=Example, CN=host": attributes in the order
 * of the certificate, short names for the common types, dotted OIDs for the
 * others.
 */
#include "proto/x509.h"

#include <stdio.h>
#include <string.h>

#include "util/cursor.h"
#include "util/sha1.h"

#define DER_SEQUENCE 0x30
#define DER_SET 0x31
#define DER_INTEGER 0x02
#define DER_OID 0x06
#define DER_OCTET_STRING 0x04
#define DER_BOOLEAN 0x01
#define DER_UTC_TIME 0x17
#define DER_GENERALIZED_TIME 0x18
#define DER_BMP_STRING 0x1e
#define DER_UNIVERSAL_STRING 0x1c
#define DER_CTX0 0xa0 /* [0] EXPLICIT, constructed */
#define DER_CTX3 0xa3
#define DER_SAN_DNS 0x82 /* GeneralName dNSName [2] IMPLICIT IA5String */
#define DER_LEN_BYTES_MAX 4
#define OID_TEXT_MAX 64

struct der_item {
    uint8_t tag;
    const uint8_t *p; /* contents */
    size_t len;
    const uint8_t *start; /* tag byte: start to p + len is the whole encoding */
};

/* Reads one tag-length-value (single-byte tags only). Returns 0 or -1. */
static int der_read(struct ww_cursor *c, struct der_item *it)
{
    uint8_t b;
    size_t len = 0;

    it->start = c->pos;
    if (cursor_u8(c, &it->tag) < 0 || (it->tag & 0x1f) == 0x1f || cursor_u8(c, &b) < 0) {
        return -1;
    }
    if (b < 0x80) {
        len = b;
    } else {
        int n = b & 0x7f;

        if (n == 0 || n > DER_LEN_BYTES_MAX) {
            return -1;
        }
        for (int i = 0; i < n; i++) {
            if (cursor_u8(c, &b) < 0) {
                return -1;
            }
            len = (len << 8) | b;
        }
    }
    it->len = len;
    return cursor_bytes(c, len, &it->p);
}

/* Reads an item that must carry tag. */
static int der_expect(struct ww_cursor *c, uint8_t tag, struct der_item *it)
{
    return der_read(c, it) == 0 && it->tag == tag ? 0 : -1;
}

/* Appending text to a fixed buffer; what does not fit is dropped. */
struct x509_text {
    char *buf;
    size_t len, cap;
};

static void text_put(struct x509_text *t, const void *s, size_t n)
{
    if (n > t->cap - t->len) {
        n = t->cap - t->len;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
}

static void text_str(struct x509_text *t, const char *s)
{
    text_put(t, s, strlen(s));
}

/* One code point as UTF-8. */
static void text_utf8(struct x509_text *t, uint32_t cp)
{
    uint8_t u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (uint8_t)(0xc0 | (cp >> 6));
        u[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (uint8_t)(0xe0 | (cp >> 12));
        u[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        cp = cp > 0x10ffff ? 0xfffd : cp;
        u[0] = (uint8_t)(0xf0 | (cp >> 18));
        u[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    text_put(t, u, n);
}

/* An attribute value: BMP and Universal strings to UTF-8, the other string types as they are. */
static void text_value(struct x509_text *t, const struct der_item *v)
{
    size_t width = v->tag == DER_BMP_STRING ? 2 : v->tag == DER_UNIVERSAL_STRING ? 4 : 0;

    if (width == 0) {
        text_put(t, v->p, v->len);
        return;
    }
    for (size_t i = 0; i + width <= v->len; i += width) {
        uint32_t cp = 0;

        for (size_t k = 0; k < width; k++) {
            cp = (cp << 8) | v->p[i + k];
        }
        text_utf8(t, cp);
    }
}

/* The dotted form of an OID's contents. */
static void oid_dotted(const uint8_t *p, size_t len, char *out, size_t cap)
{
    struct x509_text t = {out, 0, cap - 1};
    uint64_t arc = 0;
    bool first = true;

    for (size_t i = 0; i < len; i++) {
        char num[24];

        arc = (arc << 7) | (p[i] & 0x7f);
        if (p[i] & 0x80) {
            continue;
        }
        if (first) {
            uint64_t top = arc < 40 ? 0 : arc < 80 ? 1 : 2;

            snprintf(num, sizeof(num), "%llu.%llu", (unsigned long long)top,
                     (unsigned long long)(arc - 40 * top));
            first = false;
        } else {
            snprintf(num, sizeof(num), ".%llu", (unsigned long long)arc);
        }
        text_str(&t, num);
        arc = 0;
    }
    out[t.len] = '\0';
}

struct oid_name {
    const char *der; /* the OID's contents */
    uint8_t len;
    const char *name;
};

static const struct oid_name oid_names[] = {
    {"\x55\x04\x03", 3, "CN"},
    {"\x55\x04\x06", 3, "C"},
    {"\x55\x04\x07", 3, "L"},
    {"\x55\x04\x08", 3, "ST"},
    {"\x55\x04\x09", 3, "street"},
    {"\x55\x04\x0a", 3, "O"},
    {"\x55\x04\x0b", 3, "OU"},
    {"\x55\x04\x05", 3, "serialNumber"},
    {"\x55\x04\x04", 3, "SN"},
    {"\x55\x04\x2a", 3, "GN"},
    {"\x55\x04\x0c", 3, "title"},
    {"\x55\x04\x11", 3, "postalCode"},
    {"\x2a\x86\x48\x86\xf7\x0d\x01\x09\x01", 9, "emailAddress"},
    {"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", 10, "DC"},
    {"\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x01", 10, "UID"},
};

static void text_attr_name(struct x509_text *t, const struct der_item *oid)
{
    char dotted[OID_TEXT_MAX];

    for (size_t i = 0; i < sizeof(oid_names) / sizeof(oid_names[0]); i++) {
        if (oid->len == oid_names[i].len && memcmp(oid->p, oid_names[i].der, oid->len) == 0) {
            text_str(t, oid_names[i].name);
            return;
        }
    }
    oid_dotted(oid->p, oid->len, dotted, sizeof(dotted));
    text_str(t, dotted);
}

/* A Name as "A=v, B=w". Returns 0 or -1 when it is not a valid Name. */
static int x509_name(const struct der_item *name, char *out, size_t cap, size_t *out_len)
{
    struct x509_text t = {out, 0, cap};
    struct ww_cursor rdns;

    cursor_init(&rdns, name->p, name->len);
    while (cursor_left(&rdns) > 0) {
        struct der_item set;
        struct ww_cursor attrs;

        if (der_expect(&rdns, DER_SET, &set) < 0) {
            return -1;
        }
        cursor_init(&attrs, set.p, set.len);
        while (cursor_left(&attrs) > 0) {
            struct der_item atv, oid, value;
            struct ww_cursor ac;

            if (der_expect(&attrs, DER_SEQUENCE, &atv) < 0) {
                return -1;
            }
            cursor_init(&ac, atv.p, atv.len);
            if (der_expect(&ac, DER_OID, &oid) < 0 || der_read(&ac, &value) < 0) {
                return -1;
            }
            if (t.len > 0) {
                text_str(&t, ", ");
            }
            text_attr_name(&t, &oid);
            text_str(&t, "=");
            text_value(&t, &value);
        }
    }
    *out_len = t.len;
    return 0;
}

/* Bytes as hex pairs joined by ':' ("0A:FF"), digits from the 16 given; out holds 3n. */
static void hex_colons(const uint8_t *p, size_t n, const char *digits, char *out)
{
    size_t pos = 0;

    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            out[pos++] = ':';
        }
        out[pos++] = digits[p[i] >> 4];
        out[pos++] = digits[p[i] & 15];
    }
    out[pos] = '\0';
}

static void x509_serial(const struct der_item *it, char *out)
{
    size_t n = it->len < X509_SERIAL_BYTES_MAX ? it->len : X509_SERIAL_BYTES_MAX;

    hex_colons(it->p, n, "0123456789ABCDEF", out);
}

static bool all_digits(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return false;
        }
    }
    return true;
}

/*
 * UTCTime YYMMDDHHMMSSZ (years 50 to 99 are 19xx, RFC 5280 4.1.2.5.1) or
 * GeneralizedTime YYYYMMDDHHMMSSZ as "YYYY-MM-DDTHH:MM:SS"; empty when neither.
 */
static void x509_time(const struct der_item *it, char *out)
{
    const uint8_t *p = it->p;
    char year[5];

    out[0] = '\0';
    if (it->tag == DER_UTC_TIME && it->len >= 12 && all_digits(p, 12)) {
        snprintf(year, sizeof(year), "%s%c%c", p[0] >= '5' ? "19" : "20", p[0], p[1]);
        p += 2;
    } else if (it->tag == DER_GENERALIZED_TIME && it->len >= 14 && all_digits(p, 14)) {
        memcpy(year, p, 4);
        year[4] = '\0';
        p += 4;
    } else {
        return;
    }
    snprintf(out, X509_TIME_TEXT_LEN + 1, "%s-%c%c-%c%cT%c%c:%c%c:%c%c", year, p[0], p[1], p[2],
             p[3], p[4], p[5], p[6], p[7], p[8], p[9]);
}

static void x509_fingerprint(const uint8_t *der, size_t len, char *out)
{
    uint8_t d[SHA1_DIGEST_LEN];
    struct sha1_ctx ctx;

    sha1_init(&ctx);
    sha1_update(&ctx, der, len);
    sha1_final(&ctx, d);
    hex_colons(d, SHA1_DIGEST_LEN, "0123456789abcdef", out);
}

/* The dNSName entries of a subjectAltName value (GeneralNames). */
static void x509_san(const struct der_item *value, struct x509_cert *out)
{
    struct ww_cursor c, names;
    struct der_item seq, gn;
    size_t used = 0;

    cursor_init(&c, value->p, value->len);
    if (der_expect(&c, DER_SEQUENCE, &seq) < 0) {
        return;
    }
    cursor_init(&names, seq.p, seq.len);
    while (der_read(&names, &gn) == 0 && out->n_san < X509_SAN_MAX) {
        if (gn.tag != DER_SAN_DNS || gn.len > X509_SAN_BUF - used) {
            continue;
        }
        memcpy(out->san_buf + used, gn.p, gn.len);
        out->san_off[out->n_san] = (uint16_t)used;
        out->san_len[out->n_san] = (uint16_t)gn.len;
        out->n_san++;
        used += gn.len;
    }
}

/* The [3] extensions: only subjectAltName (2.5.29.17) is read. */
static void x509_extensions(const struct der_item *ctx3, struct x509_cert *out)
{
    static const uint8_t oid_san[] = {0x55, 0x1d, 0x11};
    struct ww_cursor c, list;
    struct der_item seq, ext;

    cursor_init(&c, ctx3->p, ctx3->len);
    if (der_expect(&c, DER_SEQUENCE, &seq) < 0) {
        return;
    }
    cursor_init(&list, seq.p, seq.len);
    while (der_expect(&list, DER_SEQUENCE, &ext) == 0) {
        struct ww_cursor e;
        struct der_item oid, item;

        cursor_init(&e, ext.p, ext.len);
        if (der_expect(&e, DER_OID, &oid) < 0 || der_read(&e, &item) < 0) {
            continue;
        }
        if (item.tag == DER_BOOLEAN && der_read(&e, &item) < 0) {
            continue;
        }
        if (item.tag == DER_OCTET_STRING && oid.len == sizeof(oid_san) &&
            memcmp(oid.p, oid_san, sizeof(oid_san)) == 0) {
            x509_san(&item, out);
        }
    }
}

/* Validity, subject and what follows, from c just past the issuer. */
static int x509_tbs_rest(struct ww_cursor *c, const struct der_item *issuer, struct x509_cert *out)
{
    struct der_item validity, t0, t1, subject, item;
    struct ww_cursor v;

    if (der_expect(c, DER_SEQUENCE, &validity) < 0) {
        return -1;
    }
    cursor_init(&v, validity.p, validity.len);
    if (der_read(&v, &t0) < 0 || der_read(&v, &t1) < 0) {
        return -1;
    }
    x509_time(&t0, out->not_before);
    x509_time(&t1, out->not_after);
    if (der_expect(c, DER_SEQUENCE, &subject) < 0 ||
        x509_name(&subject, out->subject, sizeof(out->subject), &out->subject_len) < 0) {
        return -1;
    }
    out->issuer_is_subject =
        subject.len == issuer->len && memcmp(subject.p, issuer->p, subject.len) == 0;
    while (der_read(c, &item) == 0) { /* public key, unique ids, extensions */
        if (item.tag == DER_CTX3) {
            x509_extensions(&item, out);
        }
    }
    return 0;
}

int x509_parse(const uint8_t *der, size_t len, struct x509_cert *out)
{
    struct der_item cert, tbs, item, issuer;
    struct ww_cursor c;

    memset(out, 0, sizeof(*out));
    x509_fingerprint(der, len, out->fingerprint);
    cursor_init(&c, der, len);
    if (der_expect(&c, DER_SEQUENCE, &cert) < 0) {
        return -1;
    }
    cursor_init(&c, cert.p, cert.len);
    if (der_expect(&c, DER_SEQUENCE, &tbs) < 0) {
        return -1;
    }
    cursor_init(&c, tbs.p, tbs.len);
    if (der_read(&c, &item) < 0) {
        return -1;
    }
    if (item.tag == DER_CTX0 && der_read(&c, &item) < 0) { /* version, then the serial */
        return -1;
    }
    if (item.tag != DER_INTEGER) {
        return -1;
    }
    x509_serial(&item, out->serial);
    if (der_expect(&c, DER_SEQUENCE, &item) < 0 || der_expect(&c, DER_SEQUENCE, &issuer) < 0 ||
        x509_name(&issuer, out->issuer, sizeof(out->issuer), &out->issuer_len) < 0) {
        return -1;
    }
    return x509_tbs_rest(&c, &issuer, out);
}
