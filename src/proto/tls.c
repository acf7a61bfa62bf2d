/* SPDX-License-Identifier: MIT */
/*
 * tls: the clear-text handshake of TLS 1.0 to 1.3 and SSL 3.0 (RFC 2246,
 * 4346, 5246, 8446; RFC 6101), and the SSL 2.0 hello, as one `tls` event
 * per flow with JA3/JA3S (Salesforce) and JA4 (FoxIO) fingerprints.
 *
 * Records (RFC 5246 6.2.1, RFC 8446 5.1):
 *
 *   +------+---------+---------+---------------------------+
 *   | type | version | length  | fragment: length bytes    |
 *   | 1    | 2       | 2 (BE)  | (at most 2^14 + 2048)     |
 *   +------+---------+---------+---------------------------+
 *   type 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data, 24 heartbeat
 *
 * Handshake messages (RFC 5246 7.4, RFC 8446 4) are a type byte and a
 * 24-bit length; one may span several records, and a record may hold
 * several. ClientHello, ServerHello and, when in clear (TLS 1.2 and
 * before), the server's Certificate are read; other messages are passed
 * over without being held. Once a side sends ChangeCipherSpec (before TLS
 * 1.3), and for every application_data record, records are passed over as
 * they arrive, never buffered.
 *
 * The event is written once per flow: when the server's clear handshake is
 * over (ServerHelloDone, a TLS 1.3 ServerHello, a resumption's
 * ChangeCipherSpec), at the first alert or application data, or when the
 * flow ends.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "proto/x509.h"
#include "util/cursor.h"
#include "util/md5.h"
#include "util/sha256.h"

#define TLS_RECORD_HDR 5
#define TLS_RECORD_MAX (16384 + 2048) /* TLSCiphertext.length limit, RFC 5246 6.2.3 */
#define TLS_HS_HDR 4u
#define TLS_HS_MAX (128u << 10) /* longest handshake message read; longer ones are passed over */
#define TLS_SSL2_HDR 2
#define TLS_SID_MAX 32
#define TLS_LIST_MAX 128 /* values of one list (ciphers, extensions...) written to an event */
#define TLS_SNI_MAX 255
#define TLS_ALPN_BUF 256 /* bytes of an ALPN protocol list kept */
#define TLS_JA4_LEN 36   /* t13d1516h2_8daaf6152771_e5627efa2ab1 */
#define TLS_JA4_HASH_HEX 12
#define TLS_HEX_MD5 (2 * MD5_DIGEST_LEN)
#define TLS_U16_TEXT 6 /* "65535-" */
#define TLS_JA3_EVENT_MAX (16u << 10) /* longest JA3 string written; the hash is always */

enum tls_content {
    TLS_CT_CCS = 20,
    TLS_CT_ALERT = 21,
    TLS_CT_HANDSHAKE = 22,
    TLS_CT_APPDATA = 23,
    TLS_CT_HEARTBEAT = 24,
};

enum tls_hs_type {
    TLS_HS_CLIENT_HELLO = 1,
    TLS_HS_SERVER_HELLO = 2,
    TLS_HS_CERTIFICATE = 11,
    TLS_HS_SERVER_HELLO_DONE = 14,
};

enum tls_ext {
    TLS_EXT_SNI = 0,
    TLS_EXT_GROUPS = 10,
    TLS_EXT_POINT_FORMATS = 11,
    TLS_EXT_SIG_ALGS = 13,
    TLS_EXT_ALPN = 16,
    TLS_EXT_VERSIONS = 43,
};

#define TLS_VERSION_SSL2 0x0002
#define TLS_VERSION_13 0x0304
#define TLS_VERSION_13_EARLY 0x7f00 /* a TLS 1.3 draft before 16, named so in events */
#define TLS_SSL2_CLIENT_HELLO 1
#define TLS_SSL2_SERVER_HELLO 4

/* Values a list held for an event; total counts every one seen. */
struct tls_list {
    uint16_t v[TLS_LIST_MAX];
    uint32_t n, total;
};

/* What the ClientHello said. */
struct tls_client {
    uint16_t record_version, version;
    struct tls_list ciphers, exts, sig_algs, versions;
    bool has_sni;
    uint8_t sni[TLS_SNI_MAX];
    size_t sni_len;
    uint8_t alpn[TLS_ALPN_BUF]; /* ProtocolNameList contents */
    size_t alpn_len;
    char *ja3; /* malloc'd; NULL for an SSL 2.0 hello */
    char ja3_hash[TLS_HEX_MD5 + 1];
    char ja4[TLS_JA4_LEN + 1];
};

/* What the ServerHello and Certificate said. */
struct tls_server {
    uint16_t version, chosen, cipher; /* chosen: supported_versions, else version */
    uint8_t alpn[TLS_ALPN_BUF];
    size_t alpn_len;
    char *ja3s; /* malloc'd */
    char ja3s_hash[TLS_HEX_MD5 + 1];
    bool has_cert;
    struct x509_cert cert;
};

/* Held from the first hello until the event is written. */
struct tls_info {
    bool have_client, have_server;
    struct tls_client c;
    struct tls_server s;
};

/* Per direction. */
struct tls_dir {
    uint32_t rec_skip; /* bytes of an opaque record still to pass over */
    uint32_t hs_skip;  /* bytes of a handshake message passed over */
    uint8_t hdr[TLS_HS_HDR];
    uint8_t hdr_len;
    uint8_t *body; /* the message being gathered, body_need bytes */
    uint32_t body_len, body_need;
    bool enc;         /* after ChangeCipherSpec: handshake records are encrypted */
    bool sslv2;       /* SSL 2.0 record framing */
    bool seen_record; /* a TLS record was seen */
};

struct tls_state {
    struct tls_dir d[2];
    struct tls_info *info;
    struct proto_ctx last; /* of the latest call: the flow's eve and flow, for its end */
    int client_dir;
    bool have_last, logged, tls13, server_ccs;
};

/* Problems; the names are those of the anomaly events. */
enum tls_err {
    TLS_OK = 0,
    TLS_ERR_RECORD_TYPE,
    TLS_ERR_RECORD_VERSION,
    TLS_ERR_RECORD_LENGTH,
    TLS_ERR_HS_TYPE,
    TLS_ERR_CLIENT_HELLO,
    TLS_ERR_SERVER_HELLO,
    TLS_ERR_CERT_LENGTH,
    TLS_ERR_SSLV2,
    TLS_ERR_MAX
};

static const char *const tls_err_names[TLS_ERR_MAX] = {
    "",
    "invalid_record_type",
    "invalid_record_version",
    "invalid_record_length",
    "invalid_handshake_message",
    "invalid_client_hello",
    "invalid_server_hello",
    "certificate_invalid_length",
    "invalid_sslv2_header",
};

static const char *const tls_err_where[TLS_ERR_MAX] = {
    "", "record", "record", "record", "handshake", "client_hello", "server_hello",
    "certificate", "sslv2",
};

/* ---- values as text ---- */

/* GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. */
static bool tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* A protocol version as Suricata's EVE writes it. */
static void tls_version_text(uint16_t v, char *out, size_t cap)
{
    static const char *const names[] = {"SSLv3", "TLSv1", "TLS 1.1", "TLS 1.2", "TLS 1.3"};

    if (v >= 0x0300 && v <= 0x0304) {
        snprintf(out, cap, "%s", names[v - 0x0300]);
    } else if (v == TLS_VERSION_SSL2) {
        snprintf(out, cap, "SSLv2");
    } else if ((v >> 8) == 0x7f && (v & 0xff) < 16) {
        snprintf(out, cap, "TLS 1.3 draft-<16");
    } else if ((v >> 8) == 0x7f && (v & 0xff) <= 28) {
        snprintf(out, cap, "TLS 1.3 draft-%u", v & 0xffu);
    } else if (v == 0x7e01 || v == 0x7e02) {
        snprintf(out, cap, "TLS 1.3 draft-fb");
    } else {
        snprintf(out, cap, "UNDETERMINED");
    }
}

static bool tls_is_13(uint16_t v)
{
    return v == TLS_VERSION_13 || (v >> 8) == 0x7f || v == 0x7e01 || v == 0x7e02;
}

static void tls_hex(const uint8_t *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static void tls_list_add(struct tls_list *l, uint16_t v)
{
    if (l->n < TLS_LIST_MAX) {
        l->v[l->n++] = v;
    }
    l->total++;
}

/* A growing decimal list for JA3 strings, into a buffer sized beforehand. */
struct tls_text {
    char *buf;
    size_t len, cap;
};

static void tls_text_put(struct tls_text *t, const char *s)
{
    size_t n = strlen(s);

    if (n < t->cap - t->len) {
        memcpy(t->buf + t->len, s, n + 1);
        t->len += n;
    }
}

static void tls_text_u16(struct tls_text *t, uint16_t v, bool dash)
{
    char num[TLS_U16_TEXT + 1];
    char *p = num + sizeof(num) - 1;

    /* Digits from the right: this runs for every value of every hello. */
    *p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (dash) {
        *--p = '-';
    }
    tls_text_put(t, p);
}

/* Appends the u16 values of span (width 2) or u8 values (width 1), GREASE left out. */
static void tls_text_values(struct tls_text *t, const uint8_t *p, size_t len, size_t width)
{
    bool first = true;

    for (size_t i = 0; i + width <= len; i += width) {
        uint16_t v = width == 2 ? (uint16_t)((p[i] << 8) | p[i + 1]) : p[i];

        if (width == 2 && tls_is_grease(v)) {
            continue;
        }
        tls_text_u16(t, v, !first);
        first = false;
    }
}

static void tls_md5_hex(const char *s, char *out)
{
    uint8_t d[MD5_DIGEST_LEN];

    md5_digest(s, strlen(s), d);
    tls_hex(d, sizeof(d), out);
}

/* ---- hello messages ---- */

/* A hello's parts, pointing into the message. */
struct tls_hello {
    uint16_t version;
    const uint8_t *ciphers; /* ClientHello: the list; ServerHello: the chosen one */
    size_t ciphers_len;
    const uint8_t *exts; /* the extensions block, possibly empty */
    size_t exts_len;
    /* from the extensions */
    const uint8_t *groups, *formats, *sig_algs, *alpn, *versions, *sni;
    size_t groups_len, formats_len, sig_algs_len, alpn_len, versions_len, sni_len;
    bool has_sni;
};

/* A cursor over len bytes at p, which may be NULL when len is 0. */
static void tls_cursor(struct ww_cursor *c, const uint8_t *p, size_t len)
{
    static const uint8_t none[1];

    cursor_init(c, p != NULL ? p : none, p != NULL ? len : 0);
}

/*
 * Reads a vector with a length of lbytes (1 or 2) bytes. Returns 0, or -1
 * with *p and *len untouched when it runs past the end.
 */
static int tls_vec(struct ww_cursor *c, int lbytes, const uint8_t **p, size_t *len)
{
    struct ww_cursor save = *c;
    const uint8_t *body;
    uint16_t n16;
    uint8_t n8;

    if (lbytes == 1) {
        if (cursor_u8(c, &n8) < 0) {
            return -1;
        }
        n16 = n8;
    } else if (cursor_be16(c, &n16) < 0) {
        return -1;
    }
    if (cursor_bytes(c, n16, &body) < 0) {
        *c = save;
        return -1;
    }
    *p = body;
    *len = n16;
    return 0;
}

/* The host_name of a server_name extension (RFC 6066 3): the first of type 0. */
static void tls_ext_sni(struct tls_hello *h, const uint8_t *p, size_t len)
{
    struct ww_cursor c, list;
    const uint8_t *lp;
    size_t ll;

    h->has_sni = true;
    tls_cursor(&c, p, len);
    if (tls_vec(&c, 2, &lp, &ll) < 0) {
        return;
    }
    tls_cursor(&list, lp, ll);
    while (cursor_left(&list) > 0) {
        const uint8_t *name;
        size_t nl;
        uint8_t type;

        if (cursor_u8(&list, &type) < 0 || tls_vec(&list, 2, &name, &nl) < 0) {
            return;
        }
        if (type == 0 && h->sni == NULL) {
            h->sni = name;
            h->sni_len = nl;
        }
    }
}

/* Notes where the extensions JA3, JA4 and the event use are. */
static void tls_ext_one(struct tls_hello *h, uint16_t type, const uint8_t *p, size_t len,
                        bool server)
{
    struct ww_cursor c;

    tls_cursor(&c, p, len);
    switch (type) {
    case TLS_EXT_SNI:
        if (!server) {
            tls_ext_sni(h, p, len);
        }
        break;
    case TLS_EXT_GROUPS:
        (void)tls_vec(&c, 2, &h->groups, &h->groups_len);
        break;
    case TLS_EXT_POINT_FORMATS:
        (void)tls_vec(&c, 1, &h->formats, &h->formats_len);
        break;
    case TLS_EXT_SIG_ALGS:
        (void)tls_vec(&c, 2, &h->sig_algs, &h->sig_algs_len);
        break;
    case TLS_EXT_ALPN:
        (void)tls_vec(&c, 2, &h->alpn, &h->alpn_len);
        break;
    case TLS_EXT_VERSIONS:
        if (server) { /* the chosen one (RFC 8446 4.2.1) */
            h->versions = p;
            h->versions_len = len >= 2 ? 2 : 0;
        } else {
            (void)tls_vec(&c, 1, &h->versions, &h->versions_len);
        }
        break;
    default:
        break;
    }
}

/* Walks the extensions block. Returns 0, or -1 when an extension overruns it. */
static int tls_exts_walk(struct tls_hello *h, bool server)
{
    struct ww_cursor c;

    tls_cursor(&c, h->exts, h->exts_len);
    while (cursor_left(&c) > 0) {
        const uint8_t *p;
        size_t len;
        uint16_t type;

        if (cursor_be16(&c, &type) < 0 || tls_vec(&c, 2, &p, &len) < 0) {
            return -1;
        }
        tls_ext_one(h, type, p, len, server);
    }
    return 0;
}

/* Reads the optional extensions block that ends a hello. */
static int tls_hello_exts(struct ww_cursor *c, struct tls_hello *h, bool server)
{
    if (cursor_left(c) == 0) {
        return 0; /* SSL 3.0 and early TLS hellos may have none */
    }
    if (tls_vec(c, 2, &h->exts, &h->exts_len) < 0) {
        return -1;
    }
    return tls_exts_walk(h, server);
}

static int tls_client_hello_read(const uint8_t *p, size_t len, struct tls_hello *h)
{
    struct ww_cursor c;
    const uint8_t *sid, *comp;
    size_t sid_len, comp_len;

    memset(h, 0, sizeof(*h));
    tls_cursor(&c, p, len);
    if (cursor_be16(&c, &h->version) < 0 || cursor_skip(&c, 32) < 0 ||
        tls_vec(&c, 1, &sid, &sid_len) < 0 || sid_len > TLS_SID_MAX ||
        tls_vec(&c, 2, &h->ciphers, &h->ciphers_len) < 0 || (h->ciphers_len & 1) ||
        tls_vec(&c, 1, &comp, &comp_len) < 0) {
        return -1;
    }
    return tls_hello_exts(&c, h, false);
}

/*
 * ServerHello. TLS 1.3 drafts before 22 carried the draft version in the
 * version field (before draft 16: 0x0304 itself) and had neither session
 * id nor compression method.
 */
static int tls_server_hello_read(const uint8_t *p, size_t len, struct tls_hello *h)
{
    struct ww_cursor c;
    const uint8_t *sid;
    size_t sid_len;
    uint8_t comp;
    bool draft;

    memset(h, 0, sizeof(*h));
    tls_cursor(&c, p, len);
    if (cursor_be16(&c, &h->version) < 0 || cursor_skip(&c, 32) < 0) {
        return -1;
    }
    draft = ((h->version >> 8) == 0x7f && (h->version & 0xff) < 22) || (h->version >> 8) == 0x7e ||
            h->version == TLS_VERSION_13;
    if (!draft && (tls_vec(&c, 1, &sid, &sid_len) < 0 || sid_len > TLS_SID_MAX)) {
        return -1;
    }
    if (cursor_bytes(&c, 2, &h->ciphers) < 0 || (!draft && cursor_u8(&c, &comp) < 0)) {
        return -1;
    }
    h->ciphers_len = 2;
    return tls_hello_exts(&c, h, true);
}

/* Upper bound of the JA3 text of a hello. */
static size_t tls_ja3_cap(const struct tls_hello *h)
{
    return 16 + TLS_U16_TEXT * (h->ciphers_len / 2 + h->exts_len / 4 + h->groups_len / 2) +
           4 * h->formats_len;
}

/* Appends the extension types in order, GREASE left out. */
static void tls_text_ext_types(struct tls_text *t, const struct tls_hello *h)
{
    struct ww_cursor c;
    bool first = true;

    tls_cursor(&c, h->exts, h->exts_len);
    while (cursor_left(&c) > 0) {
        const uint8_t *p;
        size_t len;
        uint16_t type;

        if (cursor_be16(&c, &type) < 0 || tls_vec(&c, 2, &p, &len) < 0) {
            break;
        }
        if (!tls_is_grease(type)) {
            tls_text_u16(t, type, !first);
            first = false;
        }
    }
}

/* JA3: "version,ciphers,extensions,groups,point formats" (decimal, '-' within a list). */
static char *tls_ja3(const struct tls_hello *h)
{
    struct tls_text t;

    t.cap = tls_ja3_cap(h);
    t.buf = malloc(t.cap);
    if (t.buf == NULL) {
        return NULL;
    }
    t.len = 0;
    t.buf[0] = '\0';
    tls_text_u16(&t, h->version, false);
    tls_text_put(&t, ",");
    tls_text_values(&t, h->ciphers, h->ciphers_len, 2);
    tls_text_put(&t, ",");
    tls_text_ext_types(&t, h);
    tls_text_put(&t, ",");
    tls_text_values(&t, h->groups, h->groups_len, 2);
    tls_text_put(&t, ",");
    tls_text_values(&t, h->formats, h->formats_len, 1);
    return t.buf;
}

/* JA3S: "version,cipher,extensions". */
static char *tls_ja3s(const struct tls_hello *h, uint16_t cipher)
{
    struct tls_text t;

    t.cap = 16 + TLS_U16_TEXT * (1 + h->exts_len / 4);
    t.buf = malloc(t.cap);
    if (t.buf == NULL) {
        return NULL;
    }
    t.len = 0;
    t.buf[0] = '\0';
    tls_text_u16(&t, h->version, false);
    tls_text_put(&t, ",");
    tls_text_u16(&t, cipher, false);
    tls_text_put(&t, ",");
    tls_text_ext_types(&t, h);
    return t.buf;
}

/* ---- JA4 (FoxIO, technical_details/JA4.md) ---- */

static int tls_u16_cmp(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

    return (x > y) - (x < y);
}

/* The u16 values of a list, GREASE left out; sorted when asked. Caller frees. */
static uint16_t *tls_values(const uint8_t *p, size_t len, bool sorted, size_t *n)
{
    uint16_t *v = malloc((len / 2 + 1) * sizeof(uint16_t));

    *n = 0;
    if (v == NULL) {
        return NULL;
    }
    for (size_t i = 0; i + 2 <= len; i += 2) {
        uint16_t x = (uint16_t)((p[i] << 8) | p[i + 1]);

        if (!tls_is_grease(x)) {
            v[(*n)++] = x;
        }
    }
    if (sorted) {
        qsort(v, *n, sizeof(uint16_t), tls_u16_cmp);
    }
    return v;
}

/* Feeds "xxxx,xxxx,..." (4 lower-case hex digits each) to a SHA-256. */
static void tls_sha_hexlist(struct sha256_ctx *s, const uint16_t *v, size_t n)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        char hex[5] = {',', digits[v[i] >> 12], digits[(v[i] >> 8) & 15],
                       digits[(v[i] >> 4) & 15], digits[v[i] & 15]};

        sha256_update(s, i > 0 ? hex : hex + 1, i > 0 ? 5 : 4);
    }
}

static void tls_sha_finish(struct sha256_ctx *s, char out[TLS_JA4_HASH_HEX + 1])
{
    uint8_t d[SHA256_DIGEST_LEN];
    char hex[2 * SHA256_DIGEST_LEN + 1];

    sha256_final(s, d);
    tls_hex(d, sizeof(d), hex);
    memcpy(out, hex, TLS_JA4_HASH_HEX);
    out[TLS_JA4_HASH_HEX] = '\0';
}

/* The extension types of a hello (GREASE left out) in a fresh array. Caller frees. */
static uint16_t *tls_ext_types(const struct tls_hello *h, size_t *n)
{
    uint16_t *v = malloc((h->exts_len / 4 + 1) * sizeof(uint16_t));
    struct ww_cursor c;

    *n = 0;
    if (v == NULL) {
        return NULL;
    }
    tls_cursor(&c, h->exts, h->exts_len);
    while (cursor_left(&c) > 0) {
        const uint8_t *p;
        size_t len;
        uint16_t type;

        if (cursor_be16(&c, &type) < 0 || tls_vec(&c, 2, &p, &len) < 0) {
            break;
        }
        if (!tls_is_grease(type)) {
            v[(*n)++] = type;
        }
    }
    return v;
}

/* JA4_c: sorted extensions without SNI and ALPN, then "_" and the signature algorithms. */
static void tls_ja4_c(const struct tls_hello *h, const uint16_t *ext, size_t n_ext, char *out)
{
    uint16_t *kept = malloc((n_ext + 1) * sizeof(uint16_t));
    size_t n_kept = 0, n_sig = 0;
    uint16_t *sig;
    struct sha256_ctx s;

    snprintf(out, TLS_JA4_HASH_HEX + 1, "000000000000");
    if (kept == NULL) {
        return;
    }
    for (size_t i = 0; i < n_ext; i++) {
        if (ext[i] != TLS_EXT_SNI && ext[i] != TLS_EXT_ALPN) {
            kept[n_kept++] = ext[i];
        }
    }
    qsort(kept, n_kept, sizeof(uint16_t), tls_u16_cmp);
    sig = tls_values(h->sig_algs, h->sig_algs_len, false, &n_sig);
    if (n_kept > 0) {
        sha256_init(&s);
        tls_sha_hexlist(&s, kept, n_kept);
        if (n_sig > 0) {
            sha256_update(&s, "_", 1);
            tls_sha_hexlist(&s, sig, n_sig);
        }
        tls_sha_finish(&s, out);
    }
    free(sig);
    free(kept);
}

/* ASCII letters and digits only, whatever the locale. */
static bool tls_is_alnum(uint8_t b)
{
    return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
}

/* The two ALPN characters: first and last of the first protocol, or of its hex form. */
static void tls_ja4_alpn(const struct tls_hello *h, char out[3])
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p;
    size_t len;
    struct ww_cursor c;

    memcpy(out, "00", 3);
    tls_cursor(&c, h->alpn, h->alpn_len);
    if (h->alpn == NULL || tls_vec(&c, 1, &p, &len) < 0 || len == 0) {
        return;
    }
    if (tls_is_alnum(p[0]) && tls_is_alnum(p[len - 1])) {
        out[0] = (char)p[0];
        out[1] = (char)p[len - 1];
    } else {
        out[0] = digits[p[0] >> 4];
        out[1] = digits[p[len - 1] & 15];
    }
}

/* The two-character version: the highest supported_versions entry, else the hello's. */
static const char *tls_ja4_version(const struct tls_hello *h)
{
    uint16_t v = 0;

    for (size_t i = 0; i + 2 <= h->versions_len; i += 2) {
        uint16_t x = (uint16_t)((h->versions[i] << 8) | h->versions[i + 1]);

        if (!tls_is_grease(x) && x > v) {
            v = x;
        }
    }
    v = v != 0 ? v : h->version;
    switch (v) {
    case 0x0304: return "13";
    case 0x0303: return "12";
    case 0x0302: return "11";
    case 0x0301: return "10";
    case 0x0300: return "s3";
    case 0x0002: return "s2";
    case 0xfeff: return "d1";
    case 0xfefd: return "d2";
    case 0xfefc: return "d3";
    default: return "00";
    }
}

static void tls_ja4(const struct tls_hello *h, char out[TLS_JA4_LEN + 1])
{
    char alpn[3], b[TLS_JA4_HASH_HEX + 1] = "000000000000", c[TLS_JA4_HASH_HEX + 1];
    size_t n_ciphers = 0, n_ext = 0;
    uint16_t *ciphers = tls_values(h->ciphers, h->ciphers_len, true, &n_ciphers);
    uint16_t *ext = tls_ext_types(h, &n_ext);
    struct sha256_ctx s;

    if (ciphers != NULL && n_ciphers > 0) {
        sha256_init(&s);
        tls_sha_hexlist(&s, ciphers, n_ciphers);
        tls_sha_finish(&s, b);
    }
    tls_ja4_c(h, ext, n_ext, c);
    tls_ja4_alpn(h, alpn);
    snprintf(out, TLS_JA4_LEN + 1, "t%s%c%02zu%02zu%s_%s_%s", tls_ja4_version(h),
             h->has_sni ? 'd' : 'i', n_ciphers > 99 ? 99 : n_ciphers, n_ext > 99 ? 99 : n_ext,
             alpn, b, c);
    free(ciphers);
    free(ext);
}

/* ---- state ---- */

static struct tls_info *tls_info_get(struct tls_state *st)
{
    if (st->info == NULL) {
        st->info = calloc(1, sizeof(*st->info));
    }
    return st->info;
}

static void tls_info_free(struct tls_state *st)
{
    if (st->info != NULL) {
        free(st->info->c.ja3);
        free(st->info->s.ja3s);
        free(st->info);
        st->info = NULL;
    }
}

/* Fills a list with the u16 values of p. */
static void tls_list_fill(struct tls_list *l, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 2 <= len; i += 2) {
        tls_list_add(l, (uint16_t)((p[i] << 8) | p[i + 1]));
    }
}

static void tls_keep_alpn(uint8_t *dst, size_t *dst_len, const struct tls_hello *h)
{
    size_t n = h->alpn_len < TLS_ALPN_BUF ? h->alpn_len : 0; /* a longer list is not kept */

    if (h->alpn != NULL && n > 0) {
        memcpy(dst, h->alpn, n);
        *dst_len = n;
    }
}

/* Keeps what the event needs of a ClientHello and reports the client's fingerprints. */
static void tls_client_keep(const struct proto_ctx *ctx, struct tls_client *c,
                            const struct tls_hello *h)
{
    struct ww_cursor e;

    c->version = h->version;
    tls_list_fill(&c->ciphers, h->ciphers, h->ciphers_len);
    tls_list_fill(&c->sig_algs, h->sig_algs, h->sig_algs_len);
    tls_list_fill(&c->versions, h->versions, h->versions_len);
    tls_cursor(&e, h->exts, h->exts_len);
    while (cursor_left(&e) > 0) {
        const uint8_t *p;
        size_t len;
        uint16_t type;

        if (cursor_be16(&e, &type) < 0 || tls_vec(&e, 2, &p, &len) < 0) {
            break;
        }
        tls_list_add(&c->exts, type);
    }
    c->has_sni = h->sni != NULL;
    c->sni_len = h->sni_len < TLS_SNI_MAX ? h->sni_len : TLS_SNI_MAX;
    if (h->sni != NULL) {
        memcpy(c->sni, h->sni, c->sni_len);
    }
    tls_keep_alpn(c->alpn, &c->alpn_len, h);
    c->ja3 = tls_ja3(h);
    if (c->ja3 != NULL) {
        tls_md5_hex(c->ja3, c->ja3_hash);
        proto_evidence_str(ctx, PROTO_SENDER, "tls.ja3", c->ja3_hash);
    }
    tls_ja4(h, c->ja4);
    proto_evidence_str(ctx, PROTO_SENDER, "tls.ja4", c->ja4);
    proto_evidence(ctx, PROTO_RECEIVER, "tls.sni", (const char *)c->sni, c->sni_len);
}

/* ---- the event ---- */

static void tls_write_u16s(struct jbuf *jb, const char *key, const struct tls_list *l)
{
    jb_array_open(jb, key);
    for (uint32_t i = 0; i < l->n; i++) {
        jb_u64(jb, NULL, l->v[i]);
    }
    jb_array_close(jb);
}

/* An ALPN ProtocolNameList as an array of strings. */
static void tls_write_alpn(struct jbuf *jb, const char *key, const uint8_t *p, size_t len)
{
    struct ww_cursor c;

    if (len == 0) {
        return;
    }
    tls_cursor(&c, p, len);
    jb_array_open(jb, key);
    while (cursor_left(&c) > 0) {
        const uint8_t *name;
        size_t nl;

        if (tls_vec(&c, 1, &name, &nl) < 0) {
            break;
        }
        jb_strn(jb, NULL, name, nl);
    }
    jb_array_close(jb);
}

static void tls_write_client(struct jbuf *jb, const struct tls_client *c)
{
    char ver[32];

    if (c->sni_len > 0) {
        jb_strn(jb, "sni", c->sni, c->sni_len);
    }
    if (c->ja3 != NULL) {
        jb_object_open(jb, "ja3");
        jb_str(jb, "hash", c->ja3_hash);
        if (strlen(c->ja3) <= TLS_JA3_EVENT_MAX) {
            jb_str(jb, "string", c->ja3);
        } else {
            jb_bool(jb, "string_truncated", true);
        }
        jb_object_close(jb);
    }
    if (c->ja4[0] != '\0') {
        jb_str(jb, "ja4", c->ja4);
    }
    tls_write_alpn(jb, "client_alpns", c->alpn, c->alpn_len);
    jb_object_open(jb, "client_handshake");
    tls_version_text(c->version, ver, sizeof(ver));
    jb_str(jb, "version", ver);
    tls_version_text(c->record_version, ver, sizeof(ver));
    jb_str(jb, "record_version", ver);
    tls_write_u16s(jb, "ciphers", &c->ciphers);
    tls_write_u16s(jb, "exts", &c->exts);
    tls_write_u16s(jb, "sig_algs", &c->sig_algs);
    tls_write_u16s(jb, "supported_versions", &c->versions);
    if (c->ciphers.total > c->ciphers.n || c->exts.total > c->exts.n) {
        jb_bool(jb, "lists_truncated", true);
    }
    jb_object_close(jb);
}

static void tls_write_cert(struct jbuf *jb, const struct x509_cert *x)
{
    jb_strn(jb, "subject", (const uint8_t *)x->subject, x->subject_len);
    jb_strn(jb, "issuerdn", (const uint8_t *)x->issuer, x->issuer_len);
    jb_str(jb, "serial", x->serial);
    jb_str(jb, "fingerprint", x->fingerprint);
    if (x->not_before[0] != '\0') {
        jb_str(jb, "notbefore", x->not_before);
    }
    if (x->not_after[0] != '\0') {
        jb_str(jb, "notafter", x->not_after);
    }
    jb_bool(jb, "issuer_equals_subject", x->issuer_is_subject);
    if (x->n_san > 0) {
        jb_array_open(jb, "subjectaltname");
        for (size_t i = 0; i < x->n_san; i++) {
            jb_strn(jb, NULL, (const uint8_t *)x->san_buf + x->san_off[i], x->san_len[i]);
        }
        jb_array_close(jb);
    }
}

static void tls_write_server(struct jbuf *jb, const struct tls_server *s)
{
    char ver[32];

    tls_version_text(s->chosen, ver, sizeof(ver));
    jb_str(jb, "version", ver);
    if (s->has_cert) {
        tls_write_cert(jb, &s->cert);
    }
    if (s->ja3s != NULL) {
        jb_object_open(jb, "ja3s");
        jb_str(jb, "hash", s->ja3s_hash);
        jb_str(jb, "string", s->ja3s);
        jb_object_close(jb);
    }
    tls_write_alpn(jb, "server_alpns", s->alpn, s->alpn_len);
    jb_object_open(jb, "server_handshake");
    jb_str(jb, "version", ver);
    jb_u64(jb, "cipher", s->cipher);
    jb_object_close(jb);
}

/* Writes the flow's event once, from the client's side, and lets go of the hello data. */
static void tls_log(struct tls_state *st)
{
    struct tls_info *in = st->info;
    struct proto_ctx ctx = st->last;
    struct jbuf *jb;

    if (st->logged || in == NULL || !st->have_last || (!in->have_client && !in->have_server)) {
        return;
    }
    st->logged = true;
    ctx.dir = st->client_dir;
    jb = proto_event_begin(&ctx, "tls");
    jb_object_open(jb, "tls");
    if (in->have_server) {
        tls_write_server(jb, &in->s);
    }
    if (in->have_client) {
        tls_write_client(jb, &in->c);
    }
    if (st->server_ccs && in->have_server && !in->s.has_cert && !st->tls13) {
        jb_bool(jb, "session_resumed", true);
    }
    jb_object_close(jb);
    eve_commit(ctx.eve);
    tls_info_free(st);
}

/* ---- handshake messages ---- */

static int tls_client_hello(const struct proto_ctx *ctx, struct tls_state *st, const uint8_t *p,
                            size_t len, uint16_t record_version)
{
    struct tls_hello h;
    struct tls_info *in;

    if (tls_client_hello_read(p, len, &h) < 0) {
        return TLS_ERR_CLIENT_HELLO;
    }
    in = st->logged ? NULL : tls_info_get(st);
    if (in == NULL || in->have_client) {
        return TLS_OK; /* a second hello (after a HelloRetryRequest) adds nothing */
    }
    in->have_client = true;
    st->client_dir = ctx->dir;
    in->c.record_version = record_version;
    tls_client_keep(ctx, &in->c, &h);
    return TLS_OK;
}

static int tls_server_hello(const struct proto_ctx *ctx, struct tls_state *st, const uint8_t *p,
                            size_t len)
{
    struct tls_hello h;
    struct tls_info *in;
    struct tls_server *s;
    char ver[32], suite[8];

    if (tls_server_hello_read(p, len, &h) < 0) {
        return TLS_ERR_SERVER_HELLO;
    }
    in = st->logged ? NULL : tls_info_get(st);
    if (in == NULL || in->have_server) {
        return TLS_OK;
    }
    in->have_server = true;
    s = &in->s;
    s->version = h.version;
    s->cipher = (uint16_t)((h.ciphers[0] << 8) | h.ciphers[1]);
    s->chosen = h.versions_len == 2 ? (uint16_t)((h.versions[0] << 8) | h.versions[1]) : h.version;
    if (h.versions_len == 0 && h.version == TLS_VERSION_13) {
        s->chosen = TLS_VERSION_13_EARLY; /* RFC 8446 servers put 0x0303 there */
    }
    st->tls13 = tls_is_13(s->chosen);
    if (!in->have_client) {
        st->client_dir = ctx->dir ^ 1;
    }
    tls_keep_alpn(s->alpn, &s->alpn_len, &h);
    s->ja3s = tls_ja3s(&h, s->cipher);
    if (s->ja3s != NULL) {
        tls_md5_hex(s->ja3s, s->ja3s_hash);
        proto_evidence_str(ctx, PROTO_SENDER, "tls.ja3s", s->ja3s_hash);
    }
    tls_version_text(s->chosen, ver, sizeof(ver));
    proto_evidence_str(ctx, PROTO_SENDER, "tls.version", ver);
    snprintf(suite, sizeof(suite), "0x%04x", s->cipher);
    proto_evidence_str(ctx, PROTO_SENDER, "tls.cipher", suite);
    if (st->tls13) {
        tls_log(st); /* the rest of the handshake is encrypted */
    }
    return TLS_OK;
}

/* Keeps the leaf of a server's certificate_list (RFC 5246 7.4.2). */
static int tls_certificate(const struct proto_ctx *ctx, struct tls_state *st, const uint8_t *p,
                           size_t len)
{
    struct ww_cursor c;
    const uint8_t *der;
    uint32_t list_len, cert_len;
    uint8_t b[3];
    struct tls_server *s;

    tls_cursor(&c, p, len);
    if (cursor_copy(&c, b, 3) < 0) {
        return TLS_ERR_CERT_LENGTH;
    }
    list_len = ((uint32_t)b[0] << 16) | ((uint32_t)b[1] << 8) | b[2];
    if (list_len != cursor_left(&c)) {
        return TLS_ERR_CERT_LENGTH;
    }
    if (list_len == 0 || ctx->dir == st->client_dir || st->logged || st->info == NULL ||
        st->info->s.has_cert) {
        return TLS_OK; /* no certificate, a client's, or one already kept */
    }
    if (cursor_copy(&c, b, 3) < 0) {
        return TLS_ERR_CERT_LENGTH;
    }
    cert_len = ((uint32_t)b[0] << 16) | ((uint32_t)b[1] << 8) | b[2];
    if (cursor_bytes(&c, cert_len, &der) < 0) {
        return TLS_ERR_CERT_LENGTH;
    }
    s = &st->info->s;
    if (x509_parse(der, cert_len, &s->cert) < 0) {
        proto_log_anomaly(ctx, "invalid_certificate", "certificate");
    }
    s->has_cert = true;
    proto_evidence(ctx, PROTO_SENDER, "tls.cert_subject", s->cert.subject, s->cert.subject_len);
    proto_evidence(ctx, PROTO_SENDER, "tls.cert_issuer", s->cert.issuer, s->cert.issuer_len);
    proto_evidence_str(ctx, PROTO_SENDER, "tls.cert_not_after", s->cert.not_after);
    if (s->cert.issuer_is_subject) {
        proto_evidence_str(ctx, PROTO_SENDER, "tls.cert_self_signed", "issuer is subject");
    }
    return TLS_OK;
}

/* Handshake types of RFC 5246, RFC 8446 and RFC 8879 that may be seen in clear. */
static bool tls_hs_type_known(uint8_t t)
{
    return t <= 6 || t == 8 || (t >= 11 && t <= 16) || (t >= 20 && t <= 25) || t == 254;
}

static int tls_message(const struct proto_ctx *ctx, struct tls_state *st, uint8_t type,
                       const uint8_t *p, size_t len, uint16_t record_version)
{
    switch (type) {
    case TLS_HS_CLIENT_HELLO:
        return tls_client_hello(ctx, st, p, len, record_version);
    case TLS_HS_SERVER_HELLO:
        return tls_server_hello(ctx, st, p, len);
    case TLS_HS_CERTIFICATE:
        return st->tls13 ? TLS_OK : tls_certificate(ctx, st, p, len);
    case TLS_HS_SERVER_HELLO_DONE:
        tls_log(st);
        return TLS_OK;
    default:
        return TLS_OK;
    }
}

static bool tls_hs_wanted(uint8_t type)
{
    return type == TLS_HS_CLIENT_HELLO || type == TLS_HS_SERVER_HELLO ||
           type == TLS_HS_CERTIFICATE || type == TLS_HS_SERVER_HELLO_DONE;
}

/* A message header is complete: decides whether to gather or pass over its body. */
static int tls_hs_begin(struct tls_dir *d)
{
    uint8_t type = d->hdr[0];
    uint32_t mlen = ((uint32_t)d->hdr[1] << 16) | ((uint32_t)d->hdr[2] << 8) | d->hdr[3];

    if (!tls_hs_type_known(type)) {
        return TLS_ERR_HS_TYPE;
    }
    if (!tls_hs_wanted(type) || mlen > TLS_HS_MAX) {
        d->hs_skip = mlen;
        d->hdr_len = 0;
        return TLS_OK;
    }
    d->body = malloc(mlen > 0 ? mlen : 1);
    if (d->body == NULL) {
        d->hs_skip = mlen;
        d->hdr_len = 0;
        return TLS_OK;
    }
    d->body_len = 0;
    d->body_need = mlen;
    return TLS_OK;
}

/* Handles a gathered message and makes ready for the next one. */
static int tls_hs_end(const struct proto_ctx *ctx, struct tls_state *st, struct tls_dir *d,
                      uint16_t record_version)
{
    int rc = tls_message(ctx, st, d->hdr[0], d->body, d->body_need, record_version);

    free(d->body);
    d->body = NULL;
    d->hdr_len = 0;
    return rc;
}

/* The fragment of a handshake record: messages gathered across records. */
static int tls_hs_feed(const struct proto_ctx *ctx, struct tls_state *st, const uint8_t *p,
                       size_t n, uint16_t record_version)
{
    struct tls_dir *d = &st->d[ctx->dir & 1];

    while (n > 0) {
        size_t take;
        int rc = TLS_OK;

        if (d->hs_skip > 0) {
            take = d->hs_skip < n ? d->hs_skip : n;
            d->hs_skip -= (uint32_t)take;
        } else if (d->hdr_len < TLS_HS_HDR) {
            take = TLS_HS_HDR - d->hdr_len < n ? TLS_HS_HDR - d->hdr_len : n;
            memcpy(d->hdr + d->hdr_len, p, take);
            d->hdr_len = (uint8_t)(d->hdr_len + take);
            rc = d->hdr_len == TLS_HS_HDR ? tls_hs_begin(d) : TLS_OK;
        } else {
            take = d->body_need - d->body_len < n ? d->body_need - d->body_len : n;
            memcpy(d->body + d->body_len, p, take);
            d->body_len += (uint32_t)take;
        }
        p += take;
        n -= take;
        if (rc == TLS_OK && d->body != NULL && d->body_len == d->body_need) {
            rc = tls_hs_end(ctx, st, d, record_version);
        }
        if (rc != TLS_OK) {
            return rc;
        }
    }
    return TLS_OK;
}

/* Writes the anomaly of err. Returns PROTO_MALFORMED for the caller to pass on. */
static int tls_malformed(const struct proto_ctx *ctx, int err)
{
    err = err > 0 && err < TLS_ERR_MAX ? err : TLS_ERR_RECORD_TYPE;
    proto_log_anomaly(ctx, tls_err_names[err], tls_err_where[err]);
    return PROTO_MALFORMED;
}

/* ---- SSL 2.0 (draft-hickman-netscape-ssl-00) ---- */

/* A CLIENT-HELLO: only its version is kept; no fingerprint is defined for it. */
static void tls_sslv2_client_hello(const struct proto_ctx *ctx, struct tls_state *st,
                                   struct ww_cursor *c)
{
    struct tls_info *in = st->logged ? NULL : tls_info_get(st);
    uint16_t version;

    if (in == NULL || in->have_client || cursor_be16(c, &version) < 0) {
        return;
    }
    in->have_client = true;
    st->client_dir = ctx->dir;
    in->c.version = version;
    in->c.record_version = TLS_VERSION_SSL2;
}

/* A SERVER-HELLO: version 2 chosen, and its certificate. */
static void tls_sslv2_server_hello(const struct proto_ctx *ctx, struct tls_state *st,
                                   struct ww_cursor *c)
{
    struct tls_info *in = st->logged ? NULL : tls_info_get(st);
    uint16_t version, cert_len;
    const uint8_t *der;

    if (in == NULL || in->have_server || cursor_skip(c, 2) < 0 ||
        cursor_be16(c, &version) < 0 || cursor_be16(c, &cert_len) < 0 || cursor_skip(c, 4) < 0 ||
        cursor_bytes(c, cert_len, &der) < 0) {
        return;
    }
    in->have_server = true;
    in->s.version = in->s.chosen = version;
    proto_evidence_str(ctx, PROTO_SENDER, "tls.version", "SSLv2");
    if (x509_parse(der, cert_len, &in->s.cert) == 0) {
        in->s.has_cert = true;
        proto_evidence(ctx, PROTO_SENDER, "tls.cert_subject", in->s.cert.subject,
                       in->s.cert.subject_len);
        proto_evidence(ctx, PROTO_SENDER, "tls.cert_issuer", in->s.cert.issuer,
                       in->s.cert.issuer_len);
    }
    st->d[0].enc = st->d[1].enc = true; /* what follows is encrypted */
    tls_log(st);
}

/* An SSL 2.0 record: a two-byte header (bit 7 set) or, once encrypted, a three-byte one. */
static int tls_sslv2_record(const struct proto_ctx *ctx, struct tls_state *st,
                            const uint8_t *data, size_t len)
{
    struct tls_dir *d = &st->d[ctx->dir & 1];
    size_t hdr = (data[0] & 0x80) ? TLS_SSL2_HDR : TLS_SSL2_HDR + 1;
    size_t rlen;
    struct ww_cursor c;
    uint8_t type;

    if (len < hdr) {
        return PROTO_NEED_MORE;
    }
    rlen = hdr == TLS_SSL2_HDR ? (size_t)((data[0] & 0x7f) << 8 | data[1])
                               : (size_t)((data[0] & 0x3f) << 8 | data[1]);
    d->sslv2 = true;
    if (d->enc) {
        size_t avail = len - hdr;

        d->rec_skip = (uint32_t)(avail >= rlen ? 0 : rlen - avail);
        return (int)(avail >= rlen ? hdr + rlen : len);
    }
    if (len - hdr < rlen) {
        return PROTO_NEED_MORE;
    }
    tls_cursor(&c, data + hdr, rlen);
    if (cursor_u8(&c, &type) < 0) {
        return tls_malformed(ctx, TLS_ERR_SSLV2);
    }
    if (type == TLS_SSL2_CLIENT_HELLO) {
        tls_sslv2_client_hello(ctx, st, &c);
    } else if (type == TLS_SSL2_SERVER_HELLO) {
        tls_sslv2_server_hello(ctx, st, &c);
    }
    return (int)(hdr + rlen);
}

/* ---- records ---- */

/* A record passed over unread: its header and as much of it as is here. */
static int tls_record_skip(struct tls_dir *d, size_t rlen, size_t len)
{
    size_t avail = len - TLS_RECORD_HDR;

    if (avail >= rlen) {
        return (int)(TLS_RECORD_HDR + rlen);
    }
    d->rec_skip = (uint32_t)(rlen - avail);
    return (int)len;
}

/* A whole record in clear. Returns TLS_OK or an error. */
static int tls_record(const struct proto_ctx *ctx, struct tls_state *st, uint8_t type,
                      uint16_t version, const uint8_t *body, size_t rlen)
{
    int dir = ctx->dir & 1;

    switch (type) {
    case TLS_CT_CCS:
        if (!st->tls13) {
            st->d[dir].enc = true;
        }
        if (st->info != NULL && st->info->have_client && dir != st->client_dir) {
            st->server_ccs = true;
            tls_log(st);
        }
        return TLS_OK;
    case TLS_CT_ALERT:
        tls_log(st);
        return TLS_OK;
    default:
        return tls_hs_feed(ctx, st, body, rlen, version);
    }
}

static int tls_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data, size_t len)
{
    struct tls_state *st = state;
    struct tls_dir *d = &st->d[ctx->dir & 1];
    uint16_t version, rlen;
    uint8_t type;
    int rc;

    st->last = *ctx;
    st->have_last = true;
    if (d->rec_skip > 0) {
        size_t n = d->rec_skip < len ? d->rec_skip : len;

        d->rec_skip -= (uint32_t)n;
        return (int)n;
    }
    if (len == 0) {
        return PROTO_NEED_MORE;
    }
    if ((d->sslv2 && d->enc) || ((data[0] & 0x80) && !d->seen_record)) {
        return tls_sslv2_record(ctx, st, data, len);
    }
    if (len < TLS_RECORD_HDR) {
        return PROTO_NEED_MORE;
    }
    type = data[0];
    version = (uint16_t)((data[1] << 8) | data[2]);
    rlen = (uint16_t)((data[3] << 8) | data[4]);
    if (type < TLS_CT_CCS || type > TLS_CT_HEARTBEAT) {
        return tls_malformed(ctx, TLS_ERR_RECORD_TYPE);
    }
    if ((version >> 8) != 3 || (version & 0xff) > 4) {
        return tls_malformed(ctx, TLS_ERR_RECORD_VERSION);
    }
    if (rlen > TLS_RECORD_MAX) {
        return tls_malformed(ctx, TLS_ERR_RECORD_LENGTH);
    }
    d->seen_record = true;
    if (type == TLS_CT_APPDATA || type == TLS_CT_HEARTBEAT || (d->enc && type != TLS_CT_CCS)) {
        if (type == TLS_CT_APPDATA && st->info != NULL && st->info->have_server) {
            tls_log(st); /* not on TLS 1.3 early data, which comes before the ServerHello */
        }
        if (type == TLS_CT_APPDATA && (st->logged || st->info == NULL)) {
            /* Written out, or picked up mid-session: the rest is application data. */
            proto_finished(ctx);
        }
        return tls_record_skip(d, rlen, len);
    }
    if (len - TLS_RECORD_HDR < rlen) {
        return PROTO_NEED_MORE;
    }
    rc = tls_record(ctx, st, type, version, data + TLS_RECORD_HDR, rlen);
    return rc != TLS_OK ? tls_malformed(ctx, rc) : (int)(TLS_RECORD_HDR + rlen);
}

/*
 * First bytes of a flow: a record of SSL 3.0 to TLS 1.3 (a handshake, or
 * any other type when the capture began mid-connection), or an SSL 2.0
 * CLIENT-HELLO.
 */
static bool tls_probe(const uint8_t *data, size_t len, int dir)
{
    (void)dir;
    if (len >= 3 && data[0] >= TLS_CT_CCS && data[0] <= TLS_CT_APPDATA && data[1] == 3 &&
        data[2] <= 4) {
        return true;
    }
    return len >= 4 && (data[0] & 0x80) && data[2] == TLS_SSL2_CLIENT_HELLO &&
           (data[3] == 0 || data[3] == 3);
}

/*
 * Releases a flow's state. A handshake not yet written out (the server
 * never answered, or the capture ends) is written now: the flow and eve
 * writer of the last call are still there, as the proto layer releases
 * state when the flow ends, before the flow goes.
 */
static void tls_state_free(void *state)
{
    struct tls_state *st = state;

    tls_log(st);
    tls_info_free(st);
    for (int i = 0; i < 2; i++) {
        free(st->d[i].body);
        st->d[i].body = NULL;
    }
}

const struct proto_parser proto_tls_parser = {
    .name = "tls",
    .proto = APP_TLS,
    .ip_proto = 6,
    /* HTTPS and its alternate, MQTT, IMAP, POP3, SMTP submission, LDAP, DICOM (PS3.15 B.1),
     * SIP, syslog (RFC 5425), DNS (RFC 7858), and OpenSSL's test servers */
    .ports = {443, 8443, 8883, 993, 995, 465, 636, 2762, 5061, 6514, 853, 4433},
    .probe = tls_probe,
    .state_size = sizeof(struct tls_state),
    .parse = tls_parse,
    .state_free = tls_state_free,
};
