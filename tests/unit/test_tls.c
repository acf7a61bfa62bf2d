/* SPDX-License-Identifier: MIT */
/*
 * test_tls: the TLS parser (src/proto/tls.c) on hand-built records: JA3,
 * JA3S and JA4 against values worked out apart (the JA4 specification's own
 * example, and tests/pcap/tls-openssl12/ja_ref.py), GREASE, a ClientHello
 * cut across records and TCP segments, certificate fields against what
 * `openssl x509` says of the same certificate, TLS 1.3, resumption,
 * opaque records passed over unbuffered, identity evidence, malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "eve_tmp.h"
#include "flow/flow.h"
#include "output/eve.h"
#include "proto/proto.h"

extern const struct proto_parser proto_tls_parser;

#define REC_MAX 4096
#define DRIVE_BUF_LEN 16384
#define EVENTS_MAX 32
#define EVIDENCE_MAX 16
#define VALUE_MAX 128
#define TS_US 1700000000000000ull

/* From ja_ref.py hello: its Python JA3 of client_hello below. */
#define HELLO_JA3                                                                              \
    "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"         \
    "27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0"
#define HELLO_JA3_HASH "c000e2caf3a25423f9de6c8a4b12a975"
/* The JA4 specification's example (technical_details/JA4.md): same lists, plus GREASE. */
#define HELLO_JA4 "t13d1516h2_8daaf6152771_e5627efa2ab1"

/* 280 bytes, made by tests/pcap/tls-openssl12/ja_ref.py hello */
static const uint8_t client_hello[] = {
    0x01, 0x00, 0x01, 0x14, 0x03, 0x03, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
    0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
    0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,
    0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x00, 0x20, 0x3a, 0x3a, 0x13, 0x01, 0x13, 0x02, 0x13,
    0x03, 0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0x2c, 0xc0, 0x30, 0xcc, 0xa9, 0xcc, 0xa8, 0xc0, 0x13, 0xc0,
    0x14, 0x00, 0x9c, 0x00, 0x9d, 0x00, 0x2f, 0x00, 0x35, 0x01, 0x00, 0x00, 0xab, 0x0a, 0x0a, 0x00,
    0x00, 0x00, 0x1b, 0x00, 0x03, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x16, 0x00, 0x14, 0x00, 0x00,
    0x11, 0x70, 0x61, 0x63, 0x73, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x74, 0x65,
    0x73, 0x74, 0x00, 0x33, 0x00, 0x02, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 0x68,
    0x32, 0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, 0x44, 0x69, 0x00, 0x05, 0x00, 0x03,
    0x02, 0x68, 0x32, 0x00, 0x17, 0x00, 0x00, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x0d, 0x00,
    0x12, 0x00, 0x10, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03, 0x08, 0x05, 0x05, 0x01, 0x08,
    0x06, 0x06, 0x01, 0x00, 0x05, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x23, 0x00, 0x00,
    0x00, 0x12, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x07, 0x06, 0x5a, 0x5a, 0x03, 0x04, 0x03, 0x03, 0xff,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x0a, 0x00, 0x0a, 0x00, 0x08,
    0x6a, 0x6a, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18, 0x00, 0x15, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x1a, 0x1a, 0x00, 0x01, 0x00,
};

/*
 * An RSA self-signed certificate made with openssl req -x509 (subject
 * /C=US/ST=Ward 3/O=Example Hospital/CN=pacs.example.test, serial
 * 0x1f2e3d4c5b6a, subjectAltName DNS:pacs.example.test, DNS:pacs2.example.test).
 */
static const uint8_t cert_der[] = {
    0x30, 0x82, 0x02, 0xac, 0x30, 0x82, 0x02, 0x15, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x06, 0x1f,
    0x2e, 0x3d, 0x4c, 0x5b, 0x6a, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
    0x01, 0x0b, 0x05, 0x00, 0x30, 0x55, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13,
    0x02, 0x55, 0x53, 0x31, 0x0f, 0x30, 0x0d, 0x06, 0x03, 0x55, 0x04, 0x08, 0x0c, 0x06, 0x57, 0x61,
    0x72, 0x64, 0x20, 0x33, 0x31, 0x19, 0x30, 0x17, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x10, 0x45,
    0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x20, 0x48, 0x6f, 0x73, 0x70, 0x69, 0x74, 0x61, 0x6c, 0x31,
    0x1a, 0x30, 0x18, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x11, 0x70, 0x61, 0x63, 0x73, 0x2e, 0x65,
    0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x74, 0x65, 0x73, 0x74, 0x30, 0x1e, 0x17, 0x0d, 0x32,
    0x36, 0x31, 0x32, 0x30, 0x33, 0x31, 0x39, 0x33, 0x31, 0x34, 0x38, 0x5a, 0x17, 0x0d, 0x33, 0x36,
    0x31, 0x31, 0x33, 0x30, 0x31, 0x39, 0x33, 0x31, 0x34, 0x38, 0x5a, 0x30, 0x55, 0x31, 0x0b, 0x30,
    0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 0x55, 0x53, 0x31, 0x0f, 0x30, 0x0d, 0x06, 0x03,
    0x55, 0x04, 0x08, 0x0c, 0x06, 0x57, 0x61, 0x72, 0x64, 0x20, 0x33, 0x31, 0x19, 0x30, 0x17, 0x06,
    0x03, 0x55, 0x04, 0x0a, 0x0c, 0x10, 0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x20, 0x48, 0x6f,
    0x73, 0x70, 0x69, 0x74, 0x61, 0x6c, 0x31, 0x1a, 0x30, 0x18, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c,
    0x11, 0x70, 0x61, 0x63, 0x73, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x74, 0x65,
    0x73, 0x74, 0x30, 0x81, 0x9f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01,
    0x01, 0x01, 0x05, 0x00, 0x03, 0x81, 0x8d, 0x00, 0x30, 0x81, 0x89, 0x02, 0x81, 0x81, 0x00, 0xd2,
    0xb8, 0x37, 0x12, 0x0f, 0xae, 0xd0, 0x6b, 0x21, 0x56, 0x9b, 0x7d, 0x54, 0xb6, 0xdb, 0x89, 0xb3,
    0x14, 0x56, 0x5b, 0xfe, 0x4d, 0xe4, 0xd1, 0x24, 0x16, 0xa8, 0xeb, 0x04, 0xfa, 0x6b, 0xce, 0x50,
    0xee, 0x23, 0x21, 0xa4, 0x2d, 0x52, 0x24, 0x95, 0xd2, 0x8d, 0xcf, 0x4e, 0xc8, 0xeb, 0x52, 0xdc,
    0x01, 0x43, 0x17, 0x1e, 0x28, 0xe4, 0x6a, 0xfe, 0xb2, 0xaf, 0x1f, 0x0d, 0xf4, 0xc7, 0xae, 0xc2,
    0xfe, 0x41, 0xc2, 0x32, 0xb2, 0xfe, 0xdf, 0xe6, 0xef, 0x7e, 0xff, 0x9a, 0xaf, 0xc5, 0xbc, 0xa7,
    0x74, 0x50, 0x1f, 0xd9, 0x21, 0xce, 0x9a, 0x60, 0x24, 0xf8, 0x05, 0xd5, 0x24, 0xe8, 0xef, 0xd6,
    0x3a, 0xdf, 0x41, 0x1b, 0x14, 0x89, 0x64, 0x2f, 0x28, 0x7e, 0xbb, 0x79, 0x49, 0x7b, 0x20, 0x77,
    0xbe, 0xda, 0x55, 0xa0, 0x3f, 0xd0, 0x52, 0x70, 0xc6, 0x1e, 0x8c, 0xe4, 0x6f, 0x3e, 0xf7, 0x02,
    0x03, 0x01, 0x00, 0x01, 0xa3, 0x81, 0x86, 0x30, 0x81, 0x83, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d,
    0x0e, 0x04, 0x16, 0x04, 0x14, 0x35, 0x0d, 0x4b, 0xa1, 0xd7, 0x73, 0xf4, 0xa2, 0xb2, 0xb3, 0xd0,
    0x13, 0xc3, 0x7e, 0xbb, 0x46, 0x9b, 0x5a, 0xe1, 0x40, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23,
    0x04, 0x18, 0x30, 0x16, 0x80, 0x14, 0x35, 0x0d, 0x4b, 0xa1, 0xd7, 0x73, 0xf4, 0xa2, 0xb2, 0xb3,
    0xd0, 0x13, 0xc3, 0x7e, 0xbb, 0x46, 0x9b, 0x5a, 0xe1, 0x40, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d,
    0x13, 0x01, 0x01, 0xff, 0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x30, 0x06, 0x03, 0x55,
    0x1d, 0x11, 0x04, 0x29, 0x30, 0x27, 0x82, 0x11, 0x70, 0x61, 0x63, 0x73, 0x2e, 0x65, 0x78, 0x61,
    0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x74, 0x65, 0x73, 0x74, 0x82, 0x12, 0x70, 0x61, 0x63, 0x73, 0x32,
    0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x74, 0x65, 0x73, 0x74, 0x30, 0x0d, 0x06,
    0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00, 0x03, 0x81, 0x81, 0x00,
    0x39, 0x3a, 0x6b, 0xf2, 0xee, 0xc6, 0x91, 0x42, 0x1a, 0x91, 0x6a, 0xb6, 0xca, 0xc0, 0xdb, 0x4f,
    0xa0, 0x9a, 0xa8, 0xfd, 0xa0, 0xbe, 0x03, 0xa5, 0xde, 0xb9, 0x47, 0x89, 0xaa, 0xde, 0xf6, 0x05,
    0xa0, 0xd3, 0x52, 0x2b, 0x4a, 0xf4, 0xef, 0x6f, 0x90, 0xb6, 0x42, 0x24, 0xf3, 0x3f, 0x2b, 0xc2,
    0xe3, 0x76, 0xd4, 0x70, 0xd9, 0xc4, 0x27, 0x54, 0xaa, 0xe8, 0x00, 0x54, 0x97, 0x37, 0xfa, 0x5a,
    0x79, 0x93, 0x66, 0xbb, 0x0e, 0x82, 0x19, 0x39, 0xc9, 0xe2, 0x32, 0x1f, 0x68, 0x64, 0xc0, 0x5a,
    0x74, 0xdc, 0x3c, 0x90, 0xf1, 0xaa, 0xbe, 0x01, 0x88, 0x19, 0xb3, 0x57, 0x44, 0x1c, 0x88, 0x7d,
    0x31, 0x77, 0x36, 0xd6, 0x8f, 0x1b, 0x9f, 0xa3, 0x76, 0x80, 0xab, 0x45, 0x56, 0xf3, 0x5b, 0x84,
    0xa7, 0x38, 0xa7, 0x17, 0xc4, 0x5c, 0xf1, 0x63, 0x56, 0x9a, 0xa7, 0x6f, 0x7e, 0x63, 0x72, 0xec,
};

/* ---- building records ---- */

struct rec {
    uint8_t b[REC_MAX];
    size_t len;
};

static void put(struct rec *r, const void *p, size_t n)
{
    assert_true(r->len + n <= sizeof(r->b));
    memcpy(r->b + r->len, p, n);
    r->len += n;
}

static void put_u8(struct rec *r, unsigned v)
{
    uint8_t b = (uint8_t)v;

    put(r, &b, 1);
}

static void put_u16(struct rec *r, unsigned v)
{
    put_u8(r, v >> 8);
    put_u8(r, v & 0xff);
}

static void put_u24(struct rec *r, size_t v)
{
    put_u8(r, (unsigned)(v >> 16));
    put_u16(r, (unsigned)(v & 0xffff));
}

/* One record of content type `type` holding n bytes of p. */
static void put_record(struct rec *r, unsigned type, const uint8_t *p, size_t n)
{
    put_u8(r, type);
    put_u16(r, 0x0303);
    put_u16(r, (unsigned)n);
    put(r, p, n);
}

/* A ServerHello message: TLS 1.2 (ALPN http/1.1) or, with tls13, supported_versions 1.3. */
static void server_hello(struct rec *m, bool tls13)
{
    struct rec body = {{0}, 0};
    static const uint8_t alpn[] = {0, 9, 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

    put_u16(&body, 0x0303);
    for (int i = 0; i < 32; i++) {
        put_u8(&body, 0x40 + i);
    }
    put_u8(&body, 0);
    put_u16(&body, tls13 ? 0x1301 : 0xc030);
    put_u8(&body, 0);
    if (tls13) {
        put_u16(&body, 6);
        put_u16(&body, 43); /* supported_versions: 0x0304 */
        put_u16(&body, 2);
        put_u16(&body, 0x0304);
    } else {
        put_u16(&body, 5 + 4 + sizeof(alpn));
        put_u16(&body, 0xff01); /* renegotiation_info, empty */
        put_u16(&body, 1);
        put_u8(&body, 0);
        put_u16(&body, 16);
        put_u16(&body, sizeof(alpn));
        put(&body, alpn, sizeof(alpn));
    }
    put_u8(m, 2);
    put_u24(m, body.len);
    put(m, body.b, body.len);
}

/* Certificate (cert_der alone) and ServerHelloDone messages. */
static void certificate_done(struct rec *m)
{
    put_u8(m, 11);
    put_u24(m, sizeof(cert_der) + 6);
    put_u24(m, sizeof(cert_der) + 3);
    put_u24(m, sizeof(cert_der));
    put(m, cert_der, sizeof(cert_der));
    put_u8(m, 14);
    put_u24(m, 0);
}

/* ---- harness: one flow's parser with proto.c's buffering ---- */

struct drive {
    struct ww_flow flow;
    struct eve_writer *eve;
    void *state;
    uint8_t buf[2][DRIVE_BUF_LEN];
    size_t len[2];
    int last_rc;
    bool stopped;
};

static void drive_open(struct drive *d)
{
    memset(d, 0, sizeof(*d));
    d->flow.key.family = 4;
    d->flow.key.proto = 6;
    d->flow.key.addr[0][0] = 10;
    d->flow.key.addr[1][0] = 10;
    d->flow.key.addr[1][3] = 2;
    d->flow.key.port[0] = 40000;
    d->flow.key.port[1] = 443;
    d->flow.id = 1;
    d->flow.app_proto = APP_TLS;
    d->eve = eve_open(file_path);
    assert_non_null(d->eve);
    d->state = calloc(1, proto_tls_parser.state_size);
    assert_non_null(d->state);
}

static void drive_feed(struct drive *d, int dir, const uint8_t *data, size_t len)
{
    struct proto_ctx ctx = {d->eve, &d->flow, dir, TS_US, NULL};
    size_t done = 0;

    if (d->stopped) {
        return;
    }
    assert_true(d->len[dir] + len <= DRIVE_BUF_LEN);
    memcpy(d->buf[dir] + d->len[dir], data, len);
    d->len[dir] += len;
    while (done < d->len[dir]) {
        int rc = proto_tls_parser.parse(&ctx, d->state, d->buf[dir] + done, d->len[dir] - done);

        d->last_rc = rc;
        if (rc == PROTO_NEED_MORE) {
            break;
        }
        if (rc <= 0) {
            d->stopped = true;
            return;
        }
        assert_true((size_t)rc <= d->len[dir] - done);
        done += (size_t)rc;
    }
    memmove(d->buf[dir], d->buf[dir] + done, d->len[dir] - done);
    d->len[dir] -= done;
}

/* Ends the flow (the parser may write its event now) and closes eve.json. */
static void drive_close(struct drive *d)
{
    proto_tls_parser.state_free(d->state);
    free(d->state);
    eve_close(d->eve);
}

/* Reads back the events of one type. Returns how many; the caller decrefs. */
static size_t read_events(const char *type, json_t **out)
{
    FILE *fp = fopen(file_path, "r");
    char line[65536];
    size_t n = 0;

    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp) != NULL && n < EVENTS_MAX) {
        json_t *ev = json_loads(line, 0, NULL);

        assert_non_null(ev);
        if (strcmp(json_string_value(json_object_get(ev, "event_type")), type) == 0) {
            out[n++] = ev;
        } else {
            json_decref(ev);
        }
    }
    fclose(fp);
    return n;
}

static void free_events(json_t **ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(ev[i]);
    }
}

/* The string at a dotted path such as "tls.ja3.hash"; NULL when absent. */
static const char *str_at(json_t *ev, const char *path)
{
    char key[64];
    const char *p = path;
    json_t *cur = ev;

    while (cur != NULL && *p != '\0') {
        size_t n = strcspn(p, ".");

        assert_true(n < sizeof(key));
        memcpy(key, p, n);
        key[n] = '\0';
        cur = json_object_get(cur, key);
        p += n + (p[n] == '.');
    }
    return json_string_value(cur);
}

static json_t *at(json_t *ev, const char *a, const char *b)
{
    return json_object_get(json_object_get(ev, a), b);
}

/* The ClientHello, ServerHello (TLS 1.2), Certificate and ServerHelloDone in one record each. */
static void feed_full_handshake(struct drive *d)
{
    struct rec r = {{0}, 0}, m = {{0}, 0};

    put_record(&r, 22, client_hello, sizeof(client_hello));
    drive_feed(d, FLOW_TOSERVER, r.b, r.len);
    r.len = 0;
    server_hello(&m, false);
    put_record(&r, 22, m.b, m.len);
    m.len = 0;
    certificate_done(&m);
    put_record(&r, 22, m.b, m.len);
    drive_feed(d, FLOW_TOCLIENT, r.b, r.len);
}

/* ---- tests ---- */

static void test_client_hello_fingerprints(void **state)
{
    struct drive d;
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    drive_open(&d);
    feed_full_handshake(&d);
    assert_false(d.stopped);
    drive_close(&d);
    n = read_events("tls", ev);
    assert_int_equal(n, 1);
    assert_string_equal(str_at(ev[0], "src_ip"), "10.0.0.0");
    assert_string_equal(str_at(ev[0], "tls.sni"), "pacs.example.test");
    assert_string_equal(str_at(ev[0], "tls.ja3.string"), HELLO_JA3);
    assert_string_equal(str_at(ev[0], "tls.ja3.hash"), HELLO_JA3_HASH);
    assert_string_equal(str_at(ev[0], "tls.ja4"), HELLO_JA4);
    assert_int_equal(json_array_size(at(ev[0], "tls", "client_alpns")), 2);
    assert_string_equal(json_string_value(json_array_get(at(ev[0], "tls", "client_alpns"), 1)),
                        "http/1.1");
    /* GREASE stays in the lists as sent, and only there */
    assert_int_equal(json_integer_value(json_array_get(
                         json_object_get(at(ev[0], "tls", "client_handshake"), "ciphers"), 0)),
                     0x3a3a);
    assert_null(strstr(str_at(ev[0], "tls.ja3.string"), "14906"));
    free_events(ev, n);
}

static void test_server_flight(void **state)
{
    struct drive d;
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    drive_open(&d);
    feed_full_handshake(&d);
    drive_close(&d);
    n = read_events("tls", ev);
    assert_int_equal(n, 1);
    assert_string_equal(str_at(ev[0], "tls.version"), "TLS 1.2");
    assert_string_equal(str_at(ev[0], "tls.ja3s.string"), "771,49200,65281-16");
    /* printf "771,49200,65281-16" | md5sum */
    assert_string_equal(str_at(ev[0], "tls.ja3s.hash"), "410b9bedaf65dd26c6fe547154d60db4");
    free_events(ev, n);
}

/* What `openssl x509 -noout -subject -issuer -serial -dates -fingerprint -sha1` says. */
static void test_certificate_fields(void **state)
{
    struct drive d;
    json_t *ev[EVENTS_MAX];
    json_t *san;
    size_t n;

    (void)state;
    drive_open(&d);
    feed_full_handshake(&d);
    drive_close(&d);
    n = read_events("tls", ev);
    assert_int_equal(n, 1);
    assert_string_equal(str_at(ev[0], "tls.subject"),
                        "C=US, ST=Ward 3, O=Example Hospital, CN=pacs.example.test");
    assert_string_equal(str_at(ev[0], "tls.issuerdn"),
                        "C=US, ST=Ward 3, O=Example Hospital, CN=pacs.example.test");
    assert_string_equal(str_at(ev[0], "tls.serial"), "1F:2E:3D:4C:5B:6A");
    assert_string_equal(str_at(ev[0], "tls.notbefore"), "2026-12-03T19:31:48");
    assert_string_equal(str_at(ev[0], "tls.notafter"), "2036-11-30T19:31:48");
    assert_string_equal(str_at(ev[0], "tls.fingerprint"),
                        "3e:c2:4d:5b:8b:70:a6:c5:44:87:a3:69:55:6c:a0:86:b0:08:b5:a2");
    assert_true(json_is_true(at(ev[0], "tls", "issuer_equals_subject")));
    san = at(ev[0], "tls", "subjectaltname");
    assert_int_equal(json_array_size(san), 2);
    assert_string_equal(json_string_value(json_array_get(san, 1)), "pacs2.example.test");
    free_events(ev, n);
}

/* The ClientHello cut in three records, then every byte handed over alone. */
static void test_split_records_and_segments(void **state)
{
    static const size_t cuts[] = {0, 1, 100, sizeof(client_hello)};
    struct rec r = {{0}, 0};
    struct drive d;
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    for (size_t i = 0; i + 1 < sizeof(cuts) / sizeof(cuts[0]); i++) {
        put_record(&r, 22, client_hello + cuts[i], cuts[i + 1] - cuts[i]);
    }
    drive_open(&d);
    for (size_t i = 0; i < r.len; i++) {
        drive_feed(&d, FLOW_TOSERVER, r.b + i, 1);
    }
    assert_false(d.stopped);
    drive_close(&d); /* no server: written when the flow ends */
    n = read_events("tls", ev);
    assert_int_equal(n, 1);
    assert_string_equal(str_at(ev[0], "tls.ja3.hash"), HELLO_JA3_HASH);
    assert_string_equal(str_at(ev[0], "tls.ja4"), HELLO_JA4);
    assert_string_equal(str_at(ev[0], "tls.sni"), "pacs.example.test");
    assert_null(str_at(ev[0], "tls.version"));
    free_events(ev, n);
}

/* TLS 1.3: written at the ServerHello; application data passed over as it comes. */
static void test_tls13_and_opaque_records(void **state)
{
    struct rec r = {{0}, 0}, m = {{0}, 0};
    uint8_t part[100] = {23, 3, 3, 0x3e, 0x80}; /* application_data of 16000 bytes */
    struct proto_ctx ctx;
    struct drive d;
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    drive_open(&d);
    put_record(&r, 22, client_hello, sizeof(client_hello));
    drive_feed(&d, FLOW_TOSERVER, r.b, r.len);
    r.len = 0;
    server_hello(&m, true);
    put_record(&r, 22, m.b, m.len);
    drive_feed(&d, FLOW_TOCLIENT, r.b, r.len);
    ctx = (struct proto_ctx){d.eve, &d.flow, FLOW_TOCLIENT, TS_US, NULL};
    assert_int_equal(proto_tls_parser.parse(&ctx, d.state, part, sizeof(part)), sizeof(part));
    for (int i = 0; i < 160; i++) {
        assert_int_equal(proto_tls_parser.parse(&ctx, d.state, part, sizeof(part)),
                         i < 159 ? 100 : 5);
    }
    drive_close(&d);
    n = read_events("tls", ev);
    assert_int_equal(n, 1);
    assert_string_equal(str_at(ev[0], "tls.version"), "TLS 1.3");
    assert_string_equal(str_at(ev[0], "tls.ja3s.string"), "771,4865,43");
    assert_null(str_at(ev[0], "tls.subject"));
    free_events(ev, n);
}

/* A ServerHello and the server's ChangeCipherSpec, no certificate: a resumed session. */
static void test_resumed(void **state)
{
    static const uint8_t ccs[] = {1};
    struct rec r = {{0}, 0}, m = {{0}, 0};
    struct drive d;
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    drive_open(&d);
    put_record(&r, 22, client_hello, sizeof(client_hello));
    drive_feed(&d, FLOW_TOSERVER, r.b, r.len);
    r.len = 0;
    server_hello(&m, false);
    put_record(&r, 22, m.b, m.len);
    put_record(&r, 20, ccs, sizeof(ccs));
    put_record(&r, 22, (const uint8_t *)"encrypted finished", 18); /* opaque now */
    drive_feed(&d, FLOW_TOCLIENT, r.b, r.len);
    assert_false(d.stopped);
    drive_close(&d);
    n = read_events("tls", ev);
    assert_int_equal(n, 1);
    assert_true(json_is_true(at(ev[0], "tls", "session_resumed")));
    free_events(ev, n);
}

static void expect_anomaly(const uint8_t *data, size_t len, const char *name)
{
    struct drive d;
    json_t *ev[EVENTS_MAX];
    size_t n;

    drive_open(&d);
    drive_feed(&d, FLOW_TOSERVER, data, len);
    assert_int_equal(d.last_rc, PROTO_MALFORMED);
    drive_close(&d);
    n = read_events("anomaly", ev);
    assert_int_equal(n, 1);
    assert_string_equal(str_at(ev[0], "anomaly.event"), name);
    free_events(ev, n);
}

static void test_malformed(void **state)
{
    static const uint8_t bad_type[] = {99, 3, 3, 0, 1, 0};
    static const uint8_t bad_version[] = {22, 9, 1, 0, 1, 0};
    static const uint8_t too_long[] = {22, 3, 3, 0x48, 0x01};
    static const uint8_t bad_hs_type[] = {22, 3, 3, 0, 4, 99, 0, 0, 0};
    uint8_t odd[sizeof(client_hello)];
    struct rec r = {{0}, 0};

    (void)state;
    expect_anomaly(bad_type, sizeof(bad_type), "invalid_record_type");
    expect_anomaly(bad_version, sizeof(bad_version), "invalid_record_version");
    expect_anomaly(too_long, sizeof(too_long), "invalid_record_length");
    expect_anomaly(bad_hs_type, sizeof(bad_hs_type), "invalid_handshake_message");
    /* cipher_suites length made odd (offset 4 + 2 + 32 + 1 + 32: its low byte) */
    memcpy(odd, client_hello, sizeof(odd));
    odd[4 + 2 + 32 + 1 + 32 + 1] ^= 1;
    put_record(&r, 22, odd, sizeof(odd));
    expect_anomaly(r.b, r.len, "invalid_client_hello");
}

/* ---- evidence, through the proto layer ---- */

struct seen {
    char kind[EVIDENCE_MAX][32];
    char value[EVIDENCE_MAX][VALUE_MAX];
    uint8_t addr_last[EVIDENCE_MAX]; /* last byte of the address it is about */
    size_t n;
};

static void on_evidence(void *arg, const struct proto_evidence *e)
{
    struct seen *s = arg;
    size_t len = e->value_len < VALUE_MAX - 1 ? e->value_len : VALUE_MAX - 1;

    assert_true(s->n < EVIDENCE_MAX);
    snprintf(s->kind[s->n], sizeof(s->kind[0]), "%s", e->kind);
    memcpy(s->value[s->n], e->value, len);
    s->value[s->n][len] = '\0';
    s->addr_last[s->n] = e->addr[3];
    s->n++;
}

static const char *seen_get(const struct seen *s, const char *kind, uint8_t *addr_last)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->kind[i], kind) == 0) {
            *addr_last = s->addr_last[i];
            return s->value[i];
        }
    }
    return NULL;
}

static void test_evidence(void **state)
{
    struct eve_writer *eve = eve_open(file_path);
    struct proto_layer *pl = proto_layer_new(eve);
    struct rec c = {{0}, 0}, s = {{0}, 0}, m = {{0}, 0};
    struct seen seen = {0};
    struct ww_flow f;
    uint8_t who = 0xff;

    (void)state;
    assert_non_null(pl);
    proto_layer_set_evidence(pl, on_evidence, &seen);
    memset(&f, 0, sizeof(f));
    f.key.family = 4;
    f.key.proto = 6;
    f.key.addr[0][3] = 1; /* the client: 0.0.0.1 */
    f.key.addr[1][3] = 2; /* the server: 0.0.0.2 */
    f.key.port[0] = 40000;
    f.key.port[1] = 443;
    put_record(&c, 22, client_hello, sizeof(client_hello));
    server_hello(&m, false);
    certificate_done(&m);
    put_record(&s, 22, m.b, m.len);
    proto_stream(pl, &f, FLOW_TOSERVER, c.b, (uint32_t)c.len, STREAM_DATA);
    proto_stream(pl, &f, FLOW_TOCLIENT, s.b, (uint32_t)s.len, STREAM_DATA);
    proto_flow_end(pl, &f);
    assert_string_equal(seen_get(&seen, "tls.ja3", &who), HELLO_JA3_HASH);
    assert_int_equal(who, 1);
    assert_string_equal(seen_get(&seen, "tls.ja4", &who), HELLO_JA4);
    assert_int_equal(who, 1);
    assert_string_equal(seen_get(&seen, "tls.sni", &who), "pacs.example.test");
    assert_int_equal(who, 2);
    assert_string_equal(seen_get(&seen, "tls.version", &who), "TLS 1.2");
    assert_int_equal(who, 2);
    assert_non_null(seen_get(&seen, "tls.ja3s", &who));
    assert_int_equal(who, 2);
    assert_string_equal(seen_get(&seen, "tls.cert_subject", &who),
                        "C=US, ST=Ward 3, O=Example Hospital, CN=pacs.example.test");
    assert_int_equal(who, 2);
    assert_non_null(seen_get(&seen, "tls.cert_issuer", &who));
    proto_layer_free(pl);
    eve_close(eve);
}

static void test_probe(void **state)
{
    static const uint8_t tls[] = {22, 3, 1, 0, 200};
    static const uint8_t ssl2[] = {0x80, 0x2e, 1, 3, 1};
    static const uint8_t http[] = {'G', 'E', 'T', ' ', '/'};
    static const uint8_t appdata[] = {23, 3, 3, 0, 20};  /* picked up mid-connection */
    static const uint8_t heartbeat[] = {24, 3, 3, 0, 20};
    static const uint8_t not_tls3[] = {23, 2, 0, 0, 20};

    (void)state;
    assert_true(proto_tls_parser.probe(tls, sizeof(tls), FLOW_TOSERVER));
    assert_true(proto_tls_parser.probe(ssl2, sizeof(ssl2), FLOW_TOSERVER));
    assert_false(proto_tls_parser.probe(http, sizeof(http), FLOW_TOSERVER));
    assert_true(proto_tls_parser.probe(appdata, sizeof(appdata), FLOW_TOCLIENT));
    assert_false(proto_tls_parser.probe(heartbeat, sizeof(heartbeat), FLOW_TOSERVER));
    assert_false(proto_tls_parser.probe(not_tls3, sizeof(not_tls3), FLOW_TOSERVER));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_client_hello_fingerprints, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_server_flight, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_certificate_fields, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_split_records_and_segments, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_tls13_and_opaque_records, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_resumed, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_malformed, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_evidence, make_dir, remove_dir),
        cmocka_unit_test(test_probe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
