/* SPDX-License-Identifier: MIT */
/*
 * test_dicom: the DICOM upper-layer parser on PDUs built by hand from the
 * DICOM PS3.8 layouts and PS3.7 command sets: association RQ/AC/RJ fields
 * and identity evidence, release and abort, DIMSE commands, command
 * fragments, every split point, a large data set streamed without being
 * buffered, malformed lengths, and that data set bytes never reach eve.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "eve_tmp.h"
#include <jansson.h>

#include "output/eve.h"
#include "proto/dicom_uids.h"
#include "proto/proto.h"

extern const struct proto_parser proto_dicom_parser;

#define BB_MAX (1u << 16)
#define EVENTS_MAX 64
#define EVIDENCE_MAX 256
#define STREAM_MAX (1u << 17)

#define CT_STORAGE "1.2.840.10008.5.1.4.1.1.2"
#define MR_STORAGE "1.2.840.10008.5.1.4.1.1.4"
#define VERIFICATION "1.2.840.10008.1.1"
#define EXPLICIT_LE "1.2.840.10008.1.2.1"
#define IMPLICIT_LE "1.2.840.10008.1.2"
#define APP_CONTEXT "1.2.840.10008.3.1.1.1"
#define PRIVATE_SOP "1.2.3.4.5.6.7.8.9"

/* A byte buffer being built. */
struct bb {
    uint8_t d[BB_MAX];
    size_t len;
};

static void bb_bytes(struct bb *b, const void *p, size_t n)
{
    assert_true(b->len + n <= BB_MAX);
    memcpy(b->d + b->len, p, n);
    b->len += n;
}

static void bb_u8(struct bb *b, uint8_t v)
{
    bb_bytes(b, &v, 1);
}

static void bb_be16(struct bb *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};

    bb_bytes(b, x, 2);
}

static void bb_be32(struct bb *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

    bb_bytes(b, x, 4);
}

static void bb_le16(struct bb *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

    bb_bytes(b, x, 2);
}

static void bb_le32(struct bb *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

    bb_bytes(b, x, 4);
}

/* An item: type, reserved, 16-bit length, value (PS3.8 9.3.2). */
static void bb_item(struct bb *b, uint8_t type, const void *v, size_t n)
{
    bb_u8(b, type);
    bb_u8(b, 0);
    bb_be16(b, (uint16_t)n);
    bb_bytes(b, v, n);
}

static void bb_item_str(struct bb *b, uint8_t type, const char *s)
{
    bb_item(b, type, s, strlen(s));
}

/* A PDU: type, reserved, 32-bit length, body. */
static void bb_pdu(struct bb *out, uint8_t type, const struct bb *body)
{
    bb_u8(out, type);
    bb_u8(out, 0);
    bb_be32(out, (uint32_t)body->len);
    bb_bytes(out, body->d, body->len);
}

/* A PDU header of any type and length, without its body. */
static void bb_hdr(struct bb *b, uint8_t type, uint32_t len)
{
    bb_u8(b, type);
    bb_u8(b, 0);
    bb_be32(b, len);
}

/* A release or abort PDU: a 4-byte body. */
static void bb_short(struct bb *b, uint8_t type, const uint8_t *body)
{
    bb_hdr(b, type, 4);
    bb_bytes(b, body, 4);
}

/* Whether needle occurs in hay. */
static bool has_bytes(const uint8_t *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);

    for (size_t i = 0; i + k <= n; i++) {
        if (memcmp(hay + i, needle, k) == 0) {
            return true;
        }
    }
    return false;
}

/* A 16-byte AE title field, padded with spaces. */
static void bb_ae(struct bb *b, const char *ae)
{
    uint8_t f[16];

    memset(f, ' ', sizeof(f));
    memcpy(f, ae, strlen(ae));
    bb_bytes(b, f, sizeof(f));
}

struct pc_spec {
    uint8_t id;
    const char *abstract; /* RQ */
    const char *ts[3];    /* RQ: proposed; AC: ts[0] accepted */
    uint8_t result;       /* AC */
};

/* User information: max length, implementation class UID and version, then extra. */
static void bb_user_info(struct bb *b, const char *impl_uid, const char *impl_ver,
                         const struct bb *extra)
{
    static struct bb ui;
    uint8_t maxlen[4] = {0, 0, 0x40, 0}; /* 16384 */

    ui.len = 0;
    bb_item(&ui, 0x51, maxlen, 4);
    bb_item_str(&ui, 0x52, impl_uid);
    bb_item_str(&ui, 0x55, impl_ver);
    if (extra != NULL) {
        bb_bytes(&ui, extra->d, extra->len);
    }
    bb_item(b, 0x50, ui.d, ui.len);
}

/* An A-ASSOCIATE-RQ (ac false) or -AC body (PS3.8 9.3.2 and 9.3.3). */
static void bb_assoc(struct bb *b, bool ac, const char *called, const char *calling,
                     const struct pc_spec *pcs, size_t n_pcs, const struct bb *user_extra)
{
    static struct bb pc;
    uint8_t zeros[32] = {0};

    bb_be16(b, 1);
    bb_be16(b, 0);
    bb_ae(b, called);
    bb_ae(b, calling);
    bb_bytes(b, zeros, 32);
    bb_item_str(b, 0x10, APP_CONTEXT);
    for (size_t i = 0; i < n_pcs; i++) {
        pc.len = 0;
        bb_u8(&pc, pcs[i].id);
        bb_u8(&pc, 0);
        bb_u8(&pc, ac ? pcs[i].result : 0);
        bb_u8(&pc, 0);
        if (!ac) {
            bb_item_str(&pc, 0x30, pcs[i].abstract);
        }
        for (size_t k = 0; k < 3 && pcs[i].ts[k] != NULL; k++) {
            bb_item_str(&pc, 0x40, pcs[i].ts[k]);
        }
        bb_item(b, ac ? 0x21 : 0x20, pc.d, pc.len);
    }
    bb_user_info(b, ac ? "1.2.826.0.1.3680043.2.1" : "1.2.826.0.1.3680043.9.1",
                 ac ? "SCP_IMPL_22" : "SCU_IMPL_11", user_extra);
}

/* One command set element: US when s is NULL, else a UI or AE string. */
struct el {
    uint16_t elem;
    uint16_t us;
    const char *s;
    char pad; /* '\0' for UI, ' ' for AE */
};

/* A command set in implicit VR little endian, group length first (PS3.7 6.3.1). */
static void bb_command(struct bb *b, const struct el *els, size_t n)
{
    static struct bb body;

    body.len = 0;
    for (size_t i = 0; i < n; i++) {
        bb_le16(&body, 0x0000);
        bb_le16(&body, els[i].elem);
        if (els[i].s == NULL) {
            bb_le32(&body, 2);
            bb_le16(&body, els[i].us);
        } else {
            size_t len = strlen(els[i].s);

            bb_le32(&body, (uint32_t)(len + (len & 1)));
            bb_bytes(&body, els[i].s, len);
            if (len & 1) {
                bb_u8(&body, (uint8_t)els[i].pad);
            }
        }
    }
    bb_le16(b, 0x0000);
    bb_le16(b, 0x0000);
    bb_le32(b, 4);
    bb_le32(b, (uint32_t)body.len);
    bb_bytes(b, body.d, body.len);
}

/* A PDV item: length, context id, control header, fragment. */
static void bb_pdv(struct bb *b, uint8_t pc, uint8_t mch, const uint8_t *frag, size_t n)
{
    bb_be32(b, (uint32_t)(n + 2));
    bb_u8(b, pc);
    bb_u8(b, mch);
    bb_bytes(b, frag, n);
}

/* A P-DATA-TF holding one PDV. */
static void bb_pdata(struct bb *out, uint8_t pc, uint8_t mch, const uint8_t *frag, size_t n)
{
    static struct bb body;

    body.len = 0;
    bb_pdv(&body, pc, mch, frag, n);
    bb_pdu(out, 0x04, &body);
}

/* A whole command (last, command) in one P-DATA-TF. */
static void bb_cmd_pdu(struct bb *out, uint8_t pc, const struct el *els, size_t n)
{
    static struct bb cmd;

    cmd.len = 0;
    bb_command(&cmd, els, n);
    bb_pdata(out, pc, 0x03, cmd.d, cmd.len);
}

/* Identity evidence seen, with the side (0 client, 1 server) it was about. */
struct evidence {
    int side;
    char kind[64];
    char value[128];
};

static struct evidence evidence[EVIDENCE_MAX];
static size_t n_evidence;

static void on_evidence(void *arg, const struct proto_evidence *ev)
{
    struct evidence *e;

    (void)arg;
    assert_true(n_evidence < EVIDENCE_MAX);
    e = &evidence[n_evidence++];
    e->side = ev->addr[0] == 10 ? 0 : 1;
    snprintf(e->kind, sizeof(e->kind), "%s", ev->kind);
    assert_true(ev->value_len < sizeof(e->value));
    memcpy(e->value, ev->value, ev->value_len);
    e->value[ev->value_len] = '\0';
}

/* How many pieces of evidence of kind with value were about side. */
static size_t evidence_count(int side, const char *kind, const char *value)
{
    size_t n = 0;

    for (size_t i = 0; i < n_evidence; i++) {
        if (evidence[i].side == side && strcmp(evidence[i].kind, kind) == 0 &&
            (value == NULL || strcmp(evidence[i].value, value) == 0)) {
            n++;
        }
    }
    return n;
}

/* A parser run: an eve file, a layer for evidence, a flow, the parser's state. */
struct run {
    struct eve_writer *eve;
    struct proto_layer *pl;
    struct ww_flow flow;
    void *state;
    uint8_t pending[2][PROTO_BUF_MAX]; /* an incomplete tail, as proto.c keeps it */
    size_t n_pending[2];
    size_t max_pending;
};

static struct run *run_new(void)
{
    struct run *r = calloc(1, sizeof(*r));

    assert_non_null(r);
    r->eve = eve_open(file_path);
    assert_non_null(r->eve);
    r->pl = proto_layer_new(r->eve);
    assert_non_null(r->pl);
    proto_layer_set_evidence(r->pl, on_evidence, NULL);
    n_evidence = 0;
    r->flow.key.family = 4;
    r->flow.key.proto = 6;
    r->flow.key.addr[0][0] = 10; /* the client */
    r->flow.key.addr[1][0] = 20;
    r->flow.key.port[0] = 40000;
    r->flow.key.port[1] = 104;
    r->flow.app_proto = APP_DICOM;
    r->state = calloc(1, proto_dicom_parser.state_size);
    assert_non_null(r->state);
    return r;
}

/*
 * Feeds one chunk of direction dir the way proto.c does: pending bytes
 * first, then parse until NEED_MORE; the tail it leaves is kept (at most
 * PROTO_BUF_MAX bytes). Returns PROTO_NEED_MORE, PROTO_MALFORMED or 0.
 */
static int run_feed(struct run *r, int dir, const uint8_t *data, size_t len)
{
    struct proto_ctx ctx = {r->eve, &r->flow, dir, 1700000000000000ull, r->pl};
    uint8_t *buf = r->pending[dir];
    size_t n = r->n_pending[dir], done = 0;
    int rc = 0;

    assert_true(n + len <= PROTO_BUF_MAX);
    memcpy(buf + n, data, len);
    n += len;
    while (done < n) {
        rc = proto_dicom_parser.parse(&ctx, r->state, buf + done, n - done);
        if (rc < 0) {
            break;
        }
        assert_true(rc > 0 && (size_t)rc <= n - done);
        done += (size_t)rc;
        rc = 0;
    }
    memmove(buf, buf + done, n - done);
    r->n_pending[dir] = n - done;
    if (r->n_pending[dir] > r->max_pending) {
        r->max_pending = r->n_pending[dir];
    }
    return rc;
}

/*
 * Feeds a chunk through the proto layer itself (parser chosen by port 104
 * and probe, buffering, evidence handed on after each parser call).
 */
static void stream_feed(struct run *r, int dir, const struct bb *b)
{
    if (r->flow.app == NULL) {
        r->flow.app_proto = APP_NONE; /* the layer picks the parser */
    }
    proto_stream(r->pl, &r->flow, dir, b->d, (uint32_t)b->len, 0);
    assert_int_equal(r->flow.app_proto, APP_DICOM);
}

/* Feeds in pieces of at most step bytes; returns the first non-zero, non-NEED_MORE result. */
static int run_feed_steps(struct run *r, int dir, const uint8_t *data, size_t len, size_t step)
{
    for (size_t off = 0; off < len; off += step) {
        int rc = run_feed(r, dir, data + off, len - off < step ? len - off : step);

        if (rc == PROTO_MALFORMED) {
            return rc;
        }
    }
    return 0;
}

/* Closes the run and reads its events back (anomaly events too). Returns how many. */
static size_t run_end(struct run *r, json_t **ev)
{
    FILE *f;
    static char line[1 << 17];
    size_t n = 0;

    proto_flow_end(r->pl, &r->flow);
    proto_layer_free(r->pl);
    assert_int_equal(eve_close(r->eve), 0);
    free(r->state);
    free(r);
    f = fopen(file_path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        json_error_t err;

        assert_true(n < EVENTS_MAX);
        ev[n] = json_loads(line, 0, &err);
        assert_non_null(ev[n]);
        n++;
    }
    fclose(f);
    return n;
}

static void free_events(json_t **ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(ev[i]);
    }
}

static json_t *dget(json_t *ev, const char *key)
{
    return json_object_get(json_object_get(ev, "dicom"), key);
}

static const char *dstr(json_t *ev, const char *key)
{
    return json_string_value(dget(ev, key));
}

static long long dint(json_t *ev, const char *key)
{
    json_t *v = dget(ev, key);

    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static const char *event_type(json_t *ev)
{
    return json_string_value(json_object_get(ev, "event_type"));
}

static const char *anomaly_event(json_t *ev)
{
    return json_string_value(json_object_get(json_object_get(ev, "anomaly"), "event"));
}

static const char *sget(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Reads the whole eve file into a NUL-terminated heap buffer. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    data = malloc((size_t)n + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    data[n] = '\0';
    fclose(f);
    return data;
}

static const struct pc_spec rq_pcs[] = {
    {1, VERIFICATION, {IMPLICIT_LE, NULL, NULL}, 0},
    {3, CT_STORAGE, {EXPLICIT_LE, IMPLICIT_LE, NULL}, 0},
    {5, CT_STORAGE, {"1.2.840.10008.1.2.4.70", NULL, NULL}, 0},
    {7, MR_STORAGE, {IMPLICIT_LE, NULL, NULL}, 0},
    {9, PRIVATE_SOP, {IMPLICIT_LE, NULL, NULL}, 0},
};

static const struct pc_spec ac_pcs[] = {
    {1, NULL, {IMPLICIT_LE, NULL, NULL}, 0},
    {3, NULL, {EXPLICIT_LE, NULL, NULL}, 0},
    {5, NULL, {IMPLICIT_LE, NULL, NULL}, 4},
    {7, NULL, {IMPLICIT_LE, NULL, NULL}, 3},
    {9, NULL, {IMPLICIT_LE, NULL, NULL}, 1},
};

static void build_rq(struct bb *out)
{
    static struct bb body;

    body.len = 0;
    bb_assoc(&body, false, "PACS_MAIN", "CT_SCANNER_3", rq_pcs, 5, NULL);
    bb_pdu(out, 0x01, &body);
}

static void build_ac(struct bb *out)
{
    static struct bb body;

    body.len = 0;
    bb_assoc(&body, true, "PACS_MAIN", "CT_SCANNER_3", ac_pcs, 5, NULL);
    bb_pdu(out, 0x02, &body);
}

static void test_assoc_rq(void **state)
{
    static struct bb rq;
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX], *pcs, *pc, *ts;
    size_t n;

    (void)state;
    rq.len = 0;
    build_rq(&rq);
    stream_feed(r, FLOW_TOSERVER, &rq);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(event_type(ev[0]), "dicom");
    assert_string_equal(dstr(ev[0], "pdu_type"), "A-ASSOCIATE-RQ");
    assert_int_equal(dint(ev[0], "pdu_length"), rq.len - 6);
    assert_int_equal(dint(ev[0], "protocol_version"), 1);
    assert_string_equal(dstr(ev[0], "called_ae_title"), "PACS_MAIN");
    assert_string_equal(dstr(ev[0], "calling_ae_title"), "CT_SCANNER_3");
    assert_string_equal(dstr(ev[0], "application_context"), APP_CONTEXT);
    assert_string_equal(dstr(ev[0], "application_context_name"),
                        "DICOM Application Context Name");
    assert_int_equal(dint(ev[0], "presentation_context_count"), 5);
    pcs = dget(ev[0], "presentation_contexts");
    assert_int_equal(json_array_size(pcs), 5);
    pc = json_array_get(pcs, 1);
    assert_int_equal(json_integer_value(json_object_get(pc, "id")), 3);
    assert_string_equal(sget(pc, "abstract_syntax"), CT_STORAGE);
    assert_string_equal(sget(pc, "abstract_syntax_name"), "CT Image Storage");
    ts = json_object_get(pc, "transfer_syntaxes");
    assert_int_equal(json_array_size(ts), 2);
    assert_string_equal(sget(json_array_get(ts, 0), "uid"), EXPLICIT_LE);
    assert_string_equal(sget(json_array_get(ts, 0), "name"), "Explicit VR Little Endian");
    assert_string_equal(sget(json_array_get(ts, 1), "name"), "Implicit VR Little Endian");
    assert_null(json_object_get(pc, "result"));
    pc = json_array_get(pcs, 0);
    assert_string_equal(sget(pc, "abstract_syntax_name"), "Verification SOP Class");
    pc = json_array_get(pcs, 4);
    assert_string_equal(sget(pc, "abstract_syntax"), PRIVATE_SOP);
    assert_null(json_object_get(pc, "abstract_syntax_name"));
    assert_int_equal(dint(ev[0], "max_pdu_length"), 16384);
    assert_string_equal(dstr(ev[0], "implementation_class_uid"), "1.2.826.0.1.3680043.9.1");
    assert_string_equal(dstr(ev[0], "implementation_version"), "SCU_IMPL_11");
    assert_null(dget(ev[0], "truncated"));
    assert_null(dget(ev[0], "user_identity"));
    free_events(ev, n);

    /* Evidence: the calling AE is the client's, the called AE the server's. */
    assert_int_equal(evidence_count(0, "dicom.ae_title", "CT_SCANNER_3"), 1);
    assert_int_equal(evidence_count(1, "dicom.ae_title", "PACS_MAIN"), 1);
    assert_int_equal(evidence_count(1, "dicom.ae_title", NULL), 1);
    assert_int_equal(evidence_count(0, "dicom.implementation_class_uid",
                                    "1.2.826.0.1.3680043.9.1"), 1);
    assert_int_equal(evidence_count(0, "dicom.implementation_version", "SCU_IMPL_11"), 1);
    /* Each SOP class once, by name; an unknown one by UID. */
    assert_int_equal(evidence_count(0, "dicom.sop_class", "CT Image Storage"), 1);
    assert_int_equal(evidence_count(0, "dicom.sop_class", "Verification SOP Class"), 1);
    assert_int_equal(evidence_count(0, "dicom.sop_class", "MR Image Storage"), 1);
    assert_int_equal(evidence_count(0, "dicom.sop_class", PRIVATE_SOP), 1);
    assert_int_equal(evidence_count(0, "dicom.sop_class", NULL), 4);
    assert_int_equal(evidence_count(1, "dicom.sop_class", NULL), 0);
}

/* A second RQ on the flow (not expected, but possible) reports no SOP classes again. */
static void test_sop_classes_once(void **state)
{
    static struct bb rq;
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];

    (void)state;
    rq.len = 0;
    build_rq(&rq);
    stream_feed(r, FLOW_TOSERVER, &rq);
    stream_feed(r, FLOW_TOSERVER, &rq);
    assert_int_equal(run_end(r, ev), 2);
    free_events(ev, 2);
    assert_int_equal(evidence_count(0, "dicom.sop_class", NULL), 4);
    /* The layer passes on what one flow repeats once. */
    assert_int_equal(evidence_count(0, "dicom.ae_title", "CT_SCANNER_3"), 1);
}

static void test_assoc_ac(void **state)
{
    static struct bb rq, ac;
    static const char *const results[] = {
        "acceptance", "acceptance", "transfer-syntaxes-not-supported",
        "abstract-syntax-not-supported", "user-rejection",
    };
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX], *pcs;
    size_t n;

    (void)state;
    rq.len = ac.len = 0;
    build_rq(&rq);
    build_ac(&ac);
    stream_feed(r, FLOW_TOSERVER, &rq);
    stream_feed(r, FLOW_TOCLIENT, &ac);
    n = run_end(r, ev);
    assert_int_equal(n, 2);
    assert_string_equal(dstr(ev[1], "pdu_type"), "A-ASSOCIATE-AC");
    assert_int_equal(json_integer_value(json_object_get(ev[1], "src_port")), 104);
    pcs = dget(ev[1], "presentation_contexts");
    assert_int_equal(json_array_size(pcs), 5);
    for (size_t i = 0; i < 5; i++) {
        json_t *pc = json_array_get(pcs, i);

        assert_int_equal(json_integer_value(json_object_get(pc, "result")), ac_pcs[i].result);
        assert_string_equal(sget(pc, "result_name"), results[i]);
        /* The transfer syntax only of accepted contexts. */
        assert_int_equal(json_object_get(pc, "transfer_syntax") != NULL, ac_pcs[i].result == 0);
    }
    /* The abstract syntax comes from the RQ's context of the same id. */
    assert_string_equal(sget(json_array_get(pcs, 1), "abstract_syntax_name"), "CT Image Storage");
    assert_string_equal(sget(json_array_get(pcs, 1), "transfer_syntax"), EXPLICIT_LE);
    assert_string_equal(sget(json_array_get(pcs, 1), "transfer_syntax_name"),
                        "Explicit VR Little Endian");
    assert_string_equal(sget(json_array_get(pcs, 3), "abstract_syntax_name"), "MR Image Storage");
    assert_null(json_object_get(json_array_get(pcs, 4), "abstract_syntax_name"));
    assert_string_equal(dstr(ev[1], "implementation_version"), "SCP_IMPL_22");
    free_events(ev, n);

    /* The AC's sender is the server: its own implementation, and no AE or SOP evidence. */
    assert_int_equal(evidence_count(1, "dicom.implementation_version", "SCP_IMPL_22"), 1);
    assert_int_equal(evidence_count(1, "dicom.implementation_class_uid",
                                    "1.2.826.0.1.3680043.2.1"), 1);
    assert_int_equal(evidence_count(0, "dicom.implementation_version", "SCP_IMPL_22"), 0);
    assert_int_equal(evidence_count(1, "dicom.ae_title", NULL), 1);
    assert_int_equal(evidence_count(0, "dicom.ae_title", NULL), 1);
}

/* An AC without an RQ seen names no abstract syntax. */
static void test_ac_without_rq(void **state)
{
    static struct bb ac;
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    ac.len = 0;
    build_ac(&ac);
    assert_int_equal(run_feed(r, FLOW_TOCLIENT, ac.d, ac.len), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_null(json_object_get(json_array_get(dget(ev[0], "presentation_contexts"), 1),
                                "abstract_syntax_name"));
    free_events(ev, n);
}

/* User identity: the type and username, never the passcode. */
static void test_user_identity(void **state)
{
    static struct bb body, pdu, extra, id;
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX], *ui;
    size_t n;
    char *text;

    (void)state;
    id.len = 0;
    bb_u8(&id, 2);
    bb_u8(&id, 1);
    bb_be16(&id, 8);
    bb_bytes(&id, "radtech1", 8);
    bb_be16(&id, 14);
    bb_bytes(&id, "XQSECRETPASS99", 14);
    extra.len = 0;
    bb_item(&extra, 0x58, id.d, id.len);
    body.len = pdu.len = 0;
    bb_assoc(&body, false, "PACS", "US_CART", rq_pcs, 1, &extra);
    bb_pdu(&pdu, 0x01, &body);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, pdu.d, pdu.len), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    ui = dget(ev[0], "user_identity");
    assert_non_null(ui);
    assert_int_equal(json_integer_value(json_object_get(ui, "type")), 2);
    assert_string_equal(sget(ui, "type_name"), "username_and_passcode");
    assert_string_equal(sget(ui, "username"), "radtech1");
    assert_true(json_is_true(json_object_get(ui, "passcode_seen")));
    assert_true(json_is_true(json_object_get(ui, "positive_response_requested")));
    free_events(ev, n);
    text = slurp(file_path);
    assert_non_null(strstr(text, "radtech1"));
    assert_null(strstr(text, "XQSECRETPASS99"));
    free(text);
}

static void test_assoc_rj(void **state)
{
    static const struct {
        uint8_t result, source, reason;
        const char *result_name, *source_name, *reason_name;
    } cases[] = {
        {1, 1, 7, "rejected-permanent", "service-user", "called-ae-title-not-recognized"},
        {1, 1, 3, "rejected-permanent", "service-user", "calling-ae-title-not-recognized"},
        {2, 3, 1, "rejected-transient", "service-provider-presentation", "temporary-congestion"},
        {1, 2, 2, "rejected-permanent", "service-provider-acse",
         "protocol-version-not-supported"},
        {2, 3, 2, "rejected-transient", "service-provider-presentation", "local-limit-exceeded"},
        {1, 1, 5, "rejected-permanent", "service-user", NULL},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        static struct bb body, pdu;
        struct run *r = run_new();
        json_t *ev[EVENTS_MAX];
        size_t n;

        body.len = pdu.len = 0;
        bb_u8(&body, 0);
        bb_u8(&body, cases[i].result);
        bb_u8(&body, cases[i].source);
        bb_u8(&body, cases[i].reason);
        bb_pdu(&pdu, 0x03, &body);
        assert_int_equal(run_feed(r, FLOW_TOCLIENT, pdu.d, pdu.len), 0);
        n = run_end(r, ev);
        assert_int_equal(n, 1);
        assert_string_equal(dstr(ev[0], "pdu_type"), "A-ASSOCIATE-RJ");
        assert_int_equal(dint(ev[0], "result"), cases[i].result);
        assert_string_equal(dstr(ev[0], "result_name"), cases[i].result_name);
        assert_int_equal(dint(ev[0], "source"), cases[i].source);
        assert_string_equal(dstr(ev[0], "source_name"), cases[i].source_name);
        assert_int_equal(dint(ev[0], "reason"), cases[i].reason);
        if (cases[i].reason_name != NULL) {
            assert_string_equal(dstr(ev[0], "reason_name"), cases[i].reason_name);
        } else {
            assert_null(dget(ev[0], "reason_name"));
        }
        free_events(ev, n);
    }
}

static void test_release_abort(void **state)
{
    static struct bb s;
    static const uint8_t four[4] = {0, 0, 0, 0};
    static const uint8_t abort_provider[4] = {0, 0, 2, 2};
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    s.len = 0;
    bb_short(&s, 0x05, four);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, s.d, s.len), 0);
    s.len = 0;
    bb_short(&s, 0x06, four);
    bb_short(&s, 0x07, abort_provider);
    bb_short(&s, 0x07, four);
    assert_int_equal(run_feed(r, FLOW_TOCLIENT, s.d, s.len), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 4);
    assert_string_equal(dstr(ev[0], "pdu_type"), "A-RELEASE-RQ");
    assert_string_equal(dstr(ev[1], "pdu_type"), "A-RELEASE-RP");
    assert_string_equal(dstr(ev[2], "pdu_type"), "A-ABORT");
    assert_string_equal(dstr(ev[2], "source_name"), "service-provider");
    assert_string_equal(dstr(ev[2], "reason_name"), "unexpected-pdu");
    assert_int_equal(dint(ev[2], "reason"), 2);
    assert_string_equal(dstr(ev[3], "source_name"), "service-user");
    assert_null(dget(ev[3], "reason_name"));
    free_events(ev, n);
}

/* C-ECHO, C-STORE, C-FIND, C-MOVE and N-ACTION requests and responses. */
static void test_commands(void **state)
{
    static struct bb s, c;
    const struct el echo_rq[] = {{0x0002, 0, VERIFICATION, 0}, {0x0100, 0x0030, NULL, 0},
                                 {0x0110, 7, NULL, 0},         {0x0800, 0x0101, NULL, 0}};
    const struct el echo_rsp[] = {{0x0002, 0, VERIFICATION, 0}, {0x0100, 0x8030, NULL, 0},
                                  {0x0120, 7, NULL, 0},         {0x0800, 0x0101, NULL, 0},
                                  {0x0900, 0x0000, NULL, 0}};
    const struct el store_rsp[] = {{0x0002, 0, CT_STORAGE, 0}, {0x0100, 0x8001, NULL, 0},
                                   {0x0120, 9, NULL, 0},       {0x0800, 0x0101, NULL, 0},
                                   {0x0900, 0xA700, NULL, 0},  {0x1000, 0, "1.2.3.4", 0}};
    const struct el find_rsp[] = {{0x0002, 0, "1.2.840.10008.5.1.4.1.2.2.1", 0},
                                  {0x0100, 0x8020, NULL, 0}, {0x0120, 3, NULL, 0},
                                  {0x0800, 0x0000, NULL, 0}, {0x0900, 0xFF00, NULL, 0}};
    const struct el move_rq[] = {{0x0002, 0, "1.2.840.10008.5.1.4.1.2.2.2", 0},
                                 {0x0100, 0x0021, NULL, 0}, {0x0110, 4, NULL, 0},
                                 {0x0600, 0, "WORKSTATION7", ' '}, {0x0700, 1, NULL, 0},
                                 {0x0800, 0x0000, NULL, 0}};
    const struct el action_rq[] = {{0x0003, 0, "1.2.840.10008.1.20.1", 0},
                                   {0x0100, 0x0130, NULL, 0}, {0x0110, 5, NULL, 0},
                                   {0x0800, 0x0000, NULL, 0},
                                   {0x1001, 0, "1.2.840.10008.1.20.1.1", 0}};
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    s.len = c.len = 0;
    bb_cmd_pdu(&s, 1, echo_rq, 4);
    bb_cmd_pdu(&s, 5, move_rq, 6);
    bb_cmd_pdu(&s, 7, action_rq, 5);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, s.d, s.len), 0);
    bb_cmd_pdu(&c, 1, echo_rsp, 5);
    bb_cmd_pdu(&c, 3, store_rsp, 6);
    bb_cmd_pdu(&c, 9, find_rsp, 5);
    assert_int_equal(run_feed(r, FLOW_TOCLIENT, c.d, c.len), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 6);

    assert_string_equal(dstr(ev[0], "pdu_type"), "P-DATA-TF");
    assert_string_equal(dstr(ev[0], "command"), "C-ECHO-RQ");
    assert_int_equal(dint(ev[0], "command_field"), 0x30);
    assert_int_equal(dint(ev[0], "presentation_context_id"), 1);
    assert_string_equal(dstr(ev[0], "affected_sop_class"), VERIFICATION);
    assert_string_equal(dstr(ev[0], "affected_sop_class_name"), "Verification SOP Class");
    assert_int_equal(dint(ev[0], "message_id"), 7);
    assert_false(json_is_true(dget(ev[0], "data_set")));
    assert_null(dget(ev[0], "status"));

    assert_string_equal(dstr(ev[1], "command"), "C-MOVE-RQ");
    assert_string_equal(dstr(ev[1], "affected_sop_class_name"),
                        "Study Root Query/Retrieve Information Model - MOVE");
    assert_string_equal(dstr(ev[1], "move_destination"), "WORKSTATION7");
    assert_string_equal(dstr(ev[1], "priority"), "high");
    assert_true(json_is_true(dget(ev[1], "data_set")));

    assert_string_equal(dstr(ev[2], "command"), "N-ACTION-RQ");
    assert_null(dget(ev[2], "affected_sop_class"));
    assert_string_equal(dstr(ev[2], "requested_sop_class_name"),
                        "Storage Commitment Push Model SOP Class");

    assert_string_equal(dstr(ev[3], "command"), "C-ECHO-RSP");
    assert_int_equal(dint(ev[3], "message_id_responded_to"), 7);
    assert_int_equal(dint(ev[3], "status"), 0);
    assert_string_equal(dstr(ev[3], "status_name"), "success");
    assert_null(dget(ev[3], "message_id"));

    assert_string_equal(dstr(ev[4], "command"), "C-STORE-RSP");
    assert_int_equal(dint(ev[4], "status"), 0xA700);
    assert_string_equal(dstr(ev[4], "status_name"), "failure");
    assert_string_equal(dstr(ev[4], "affected_sop_class_name"), "CT Image Storage");
    assert_int_equal(dint(ev[4], "presentation_context_id"), 3);

    assert_string_equal(dstr(ev[5], "command"), "C-FIND-RSP");
    assert_string_equal(dstr(ev[5], "status_name"), "pending");
    assert_true(json_is_true(dget(ev[5], "data_set")));
    free_events(ev, n);
}

/*
 * A session toward the server: RQ; a C-STORE-RQ command in two fragments
 * in separate PDUs; its data set in three fragments over two PDUs, the
 * first PDU also holding the command's end; a C-ECHO-RQ; a release.
 */
static size_t build_session(struct bb *s, const uint8_t *secret, size_t secret_len)
{
    static struct bb cmd, body, data;
    const struct el store_rq[] = {{0x0002, 0, CT_STORAGE, 0},   {0x0100, 0x0001, NULL, 0},
                                  {0x0110, 9, NULL, 0},         {0x0700, 0, NULL, 0},
                                  {0x0800, 0x0000, NULL, 0},    {0x1000, 0, "1.2.3.4.5", 0}};
    const struct el echo_rq[] = {{0x0002, 0, VERIFICATION, 0}, {0x0100, 0x0030, NULL, 0},
                                 {0x0110, 10, NULL, 0},        {0x0800, 0x0101, NULL, 0}};
    static const uint8_t four[4] = {0};
    size_t half;

    s->len = cmd.len = data.len = 0;
    build_rq(s);
    bb_command(&cmd, store_rq, 6);
    half = cmd.len / 2;
    bb_pdata(s, 3, 0x01, cmd.d, half);
    /* One PDU: the command's last fragment, then the data set's first. */
    for (size_t i = 0; i < 300; i++) {
        bb_u8(&data, (uint8_t)(i * 7));
    }
    bb_bytes(&data, secret, secret_len);
    body.len = 0;
    bb_pdv(&body, 3, 0x03, cmd.d + half, cmd.len - half);
    bb_pdv(&body, 3, 0x00, data.d, 100);
    bb_pdu(s, 0x04, &body);
    /* Another: the data set's middle and last fragments. */
    body.len = 0;
    bb_pdv(&body, 3, 0x00, data.d + 100, 150);
    bb_pdv(&body, 3, 0x02, data.d + 250, data.len - 250);
    bb_pdu(s, 0x04, &body);
    bb_cmd_pdu(s, 1, echo_rq, 4);
    bb_short(s, 0x05, four);
    return s->len;
}

/* Runs s in two pieces split at cut and returns the eve file's text. */
static char *split_run(const struct bb *s, size_t cut)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    assert_int_not_equal(run_feed(r, FLOW_TOSERVER, s->d, cut), PROTO_MALFORMED);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, s->d + cut, s->len - cut), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 4);
    free_events(ev, n);
    return slurp(file_path);
}

static void test_fragments(void **state)
{
    static struct bb s;
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    build_session(&s, (const uint8_t *)"XQPATIENTNAME", 13);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, s.d, s.len), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 4);
    assert_string_equal(dstr(ev[1], "command"), "C-STORE-RQ");
    assert_int_equal(dint(ev[1], "message_id"), 9);
    assert_string_equal(dstr(ev[1], "affected_sop_class_name"), "CT Image Storage");
    assert_string_equal(dstr(ev[1], "priority"), "medium");
    assert_true(json_is_true(dget(ev[1], "data_set")));
    assert_string_equal(dstr(ev[2], "command"), "C-ECHO-RQ");
    assert_int_equal(dint(ev[2], "message_id"), 10);
    assert_string_equal(dstr(ev[3], "pdu_type"), "A-RELEASE-RQ");
    free_events(ev, n);
}

/* Every split point gives the same events as one piece; so does one byte at a time. */
static void test_every_split(void **state)
{
    static struct bb s;
    struct run *r;
    json_t *ev[EVENTS_MAX];
    char *whole, *bytewise;
    static struct bb rq;
    size_t rq_len;

    (void)state;
    rq.len = 0;
    build_rq(&rq);
    rq_len = rq.len;
    build_session(&s, (const uint8_t *)"XQPATIENTNAME", 13);
    whole = split_run(&s, s.len);
    for (size_t cut = 0; cut < s.len; cut++) {
        char *got = split_run(&s, cut);

        if (strcmp(got, whole) != 0) {
            fail_msg("split at %zu differs", cut);
        }
        free(got);
    }
    r = run_new();
    assert_int_equal(run_feed_steps(r, FLOW_TOSERVER, s.d, s.len, 1), 0);
    /* Only an association PDU is ever held whole: the RQ, the first one. */
    assert_int_equal(r->max_pending, rq_len - 1);
    free_events(ev, run_end(r, ev));
    bytewise = slurp(file_path);
    assert_string_equal(bytewise, whole);
    free(bytewise);
    free(whole);
}

/* A 3 MiB data set in one P-DATA-TF PDU streams through; nothing of it is held. */
static void test_large_data_streamed(void **state)
{
    static struct bb hdr, tail;
    static uint8_t chunk[1400];
    const struct el store_rq[] = {{0x0002, 0, CT_STORAGE, 0}, {0x0100, 0x0001, NULL, 0},
                                  {0x0110, 1, NULL, 0},       {0x0800, 0x0000, NULL, 0}};
    const struct el echo_rq[] = {{0x0100, 0x0030, NULL, 0}, {0x0110, 2, NULL, 0}};
    const size_t data_len = 3u << 20;
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n, sent = 0;

    (void)state;
    hdr.len = tail.len = 0;
    bb_cmd_pdu(&hdr, 1, store_rq, 4);
    /* P-DATA-TF header and PDV header of the data set; its bytes follow in chunks. */
    bb_u8(&hdr, 0x04);
    bb_u8(&hdr, 0);
    bb_be32(&hdr, (uint32_t)(data_len + 6));
    bb_be32(&hdr, (uint32_t)(data_len + 2));
    bb_u8(&hdr, 1);
    bb_u8(&hdr, 0x02);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, hdr.d, hdr.len), 0);
    memset(chunk, 'P', sizeof(chunk));
    while (sent < data_len) {
        size_t k = data_len - sent < sizeof(chunk) ? data_len - sent : sizeof(chunk);

        assert_int_equal(run_feed(r, FLOW_TOSERVER, chunk, k), 0);
        sent += k;
    }
    bb_cmd_pdu(&tail, 1, echo_rq, 2);
    assert_int_equal(run_feed_steps(r, FLOW_TOSERVER, tail.d, tail.len, 7), 0);
    assert_true(r->max_pending < 6); /* at most a PDU or PDV header waits */
    n = run_end(r, ev);
    assert_int_equal(n, 2);
    assert_string_equal(dstr(ev[0], "command"), "C-STORE-RQ");
    assert_string_equal(dstr(ev[1], "command"), "C-ECHO-RQ");
    assert_int_equal(dint(ev[1], "message_id"), 2);
    free_events(ev, n);
}

/* A command sent one byte per PDV, alternately in one PDU and in PDUs of their own. */
static void test_command_byte_fragments(void **state)
{
    static struct bb cmd, s, body;
    static const char long_uid[] =
        "1.2.826.0.1.3680043.9.999.1234567890.1234567890.1234567890.12345";
    const struct el els[] = {{0x0002, 0, long_uid, 0}, {0x0100, 0x0001, NULL, 0},
                             {0x0110, 77, NULL, 0},    {0x0700, 2, NULL, 0},
                             {0x0800, 0x0000, NULL, 0}};
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    cmd.len = s.len = body.len = 0;
    bb_command(&cmd, els, 5);
    assert_true(cmd.len > 120);
    for (size_t i = 0; i < cmd.len; i++) {
        uint8_t mch = i + 1 == cmd.len ? 0x03 : 0x01;

        if (i % 2 == 0) {
            bb_pdata(&s, 5, mch, cmd.d + i, 1);
        } else {
            bb_pdv(&body, 5, mch, cmd.d + i, 1);
        }
        if (i % 2 == 1 || i + 1 == cmd.len) {
            if (body.len > 0) {
                bb_pdu(&s, 0x04, &body);
            }
            body.len = 0;
        }
    }
    assert_int_equal(run_feed(r, FLOW_TOSERVER, s.d, s.len), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(dstr(ev[0], "command"), "C-STORE-RQ");
    assert_string_equal(dstr(ev[0], "affected_sop_class"), long_uid);
    assert_null(dget(ev[0], "affected_sop_class_name"));
    assert_int_equal(dint(ev[0], "message_id"), 77);
    assert_string_equal(dstr(ev[0], "priority"), "low");
    assert_true(json_is_true(dget(ev[0], "data_set")));
    assert_int_equal(dint(ev[0], "command_len"), cmd.len);
    assert_int_equal(dint(ev[0], "presentation_context_id"), 5);
    free_events(ev, n);
}

/* A command set past the kept bytes is reported from what was kept, marked truncated. */
static void test_command_cap(void **state)
{
    static struct bb cmd, s;
    static char big[6001];
    const struct el els[] = {{0x0100, 0x0001, NULL, 0}, {0x0110, 3, NULL, 0},
                             {0x0002, 0, CT_STORAGE, 0}, {0x0902, 0, big, ' '}};
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    memset(big, 'c', sizeof(big) - 1);
    cmd.len = s.len = 0;
    bb_command(&cmd, els, 4);
    bb_pdata(&s, 1, 0x01, cmd.d, 3000);
    bb_pdata(&s, 1, 0x03, cmd.d + 3000, cmd.len - 3000);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, s.d, s.len), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(dstr(ev[0], "command"), "C-STORE-RQ");
    assert_string_equal(dstr(ev[0], "affected_sop_class_name"), "CT Image Storage");
    assert_true(json_is_true(dget(ev[0], "truncated")));
    assert_int_equal(dint(ev[0], "command_len"), cmd.len);
    free_events(ev, n);
}

/*
 * The most presentation contexts an RQ can carry (ids 1 to 255), each of
 * another SOP class: all listed; evidence names the first
 * DICOM_SOP_REPORTED_MAX (24) classes and nothing is dropped by the layer.
 */
static void test_many_contexts(void **state)
{
    static struct pc_spec pcs[128];
    static struct bb body, pdu;
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    assert_true(dicom_uid_count() >= 128);
    for (size_t i = 0; i < 128; i++) {
        pcs[i] = (struct pc_spec){(uint8_t)(2 * i + 1), dicom_uid_string((uint16_t)(i + 1)),
                                  {EXPLICIT_LE, IMPLICIT_LE, "1.2.840.10008.1.2.2"}, 0};
    }
    body.len = pdu.len = 0;
    bb_assoc(&body, false, "A", "B", pcs, 128, NULL);
    bb_pdu(&pdu, 0x01, &body);
    stream_feed(r, FLOW_TOSERVER, &pdu);
    assert_int_equal(proto_layer_stats(r->pl)->evidence_dropped, 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_int_equal(dint(ev[0], "presentation_context_count"), 128);
    assert_int_equal(json_array_size(dget(ev[0], "presentation_contexts")), 128);
    assert_string_equal(sget(json_array_get(dget(ev[0], "presentation_contexts"), 127),
                             "abstract_syntax_name"), dicom_uid_name(128));
    assert_null(dget(ev[0], "truncated"));
    free_events(ev, n);
    assert_int_equal(evidence_count(0, "dicom.sop_class", NULL), 24);
    assert_int_equal(evidence_count(0, "dicom.sop_class", dicom_uid_name(24)), 1);
    assert_int_equal(evidence_count(0, "dicom.ae_title", "B"), 1);
    assert_int_equal(evidence_count(1, "dicom.ae_title", "A"), 1);
    assert_int_equal(evidence_count(0, "dicom.implementation_version", "SCU_IMPL_11"), 1);
}

/* Each input is malformed, with an anomaly event naming why. */
static void test_malformed(void **state)
{
    static struct bb s, body, cmd;
    struct run *r;
    json_t *ev[EVENTS_MAX];
    const struct el no_field[] = {{0x0110, 1, NULL, 0}};
    const struct el echo[] = {{0x0100, 0x0030, NULL, 0}};
    static const uint8_t four[4] = {0};
    size_t n;

    (void)state;
    for (int k = 0; k < 16; k++) {
        const char *why = NULL;

        s.len = body.len = cmd.len = 0;
        switch (k) {
        case 0: /* a PDU type that does not exist */
            bb_hdr(&s, 0x08, 4), bb_bytes(&s, four, 4), why = "invalid_pdu_type";
            break;
        case 1: /* an RQ shorter than its fixed fields */
            bb_hdr(&s, 0x01, 60), why = "associate_too_short";
            break;
        case 2: /* an RQ larger than can be held */
            bb_hdr(&s, 0x01, PROTO_BUF_MAX), why = "associate_too_long";
            break;
        case 3: /* a release with a 5-byte body */
            bb_hdr(&s, 0x05, 5), why = "invalid_pdu_length";
            break;
        case 4: /* a P-DATA-TF too short for a PDV */
            bb_hdr(&s, 0x04, 3), why = "invalid_pdu_length";
            break;
        case 5: /* a PDV length of 1 */
            bb_hdr(&s, 0x04, 6), bb_be32(&s, 1), bb_u8(&s, 1), bb_u8(&s, 3);
            why = "invalid_pdv_length";
            break;
        case 6: /* a PDV longer than its PDU */
            bb_hdr(&s, 0x04, 10), bb_be32(&s, 7), bb_u8(&s, 1), bb_u8(&s, 3);
            why = "pdv_overflow";
            break;
        case 7: /* a PDU whose body ends with part of a PDV header */
            bb_hdr(&s, 0x04, 12), bb_pdv(&s, 1, 0, four, 4), bb_u8(&s, 0), bb_u8(&s, 0);
            bb_hdr(&s, 0x05, 4);
            why = "pdv_overflow";
            break;
        case 8: /* an RQ item running past the PDU */
            bb_assoc(&body, false, "A", "B", rq_pcs, 1, NULL);
            bb_u8(&body, 0x60), bb_u8(&body, 0), bb_be16(&body, 100);
            bb_pdu(&s, 0x01, &body);
            why = "item_overflow";
            break;
        case 9: /* a maximum length sub-item of 3 bytes */
            bb_item(&cmd, 0x51, four, 3);
            bb_assoc(&body, false, "A", "B", rq_pcs, 1, &cmd);
            bb_pdu(&s, 0x01, &body);
            why = "invalid_user_information";
            break;
        case 10: /* a presentation context item of 2 bytes */
            bb_assoc(&body, false, "A", "B", NULL, 0, NULL);
            bb_item(&body, 0x20, four, 2);
            bb_pdu(&s, 0x01, &body);
            why = "invalid_presentation_context";
            break;
        case 11: /* a command set without CommandField */
            bb_cmd_pdu(&s, 1, no_field, 1), why = "command_field_missing";
            break;
        case 12: /* a command element running past the command set */
            bb_command(&cmd, echo, 1);
            cmd.d[cmd.len - 6] = 0x40;
            bb_pdata(&s, 1, 0x03, cmd.d, cmd.len);
            why = "command_element_overflow";
            break;
        case 13: /* CommandField of 4 bytes */
            bb_le16(&cmd, 0), bb_le16(&cmd, 0x0100), bb_le32(&cmd, 4), bb_le32(&cmd, 0x30);
            bb_pdata(&s, 1, 0x03, cmd.d, cmd.len);
            why = "invalid_command_element";
            break;
        case 14: /* a data fragment before the command's last */
            bb_command(&cmd, echo, 1);
            bb_pdv(&body, 1, 0x01, cmd.d, 4);
            bb_pdv(&body, 1, 0x00, four, 4);
            bb_pdu(&s, 0x04, &body);
            why = "data_inside_command";
            break;
        default: /* HTTP on a DICOM port */
            bb_bytes(&s, "GET / HTTP/1.1\r\n\r\n", 18), why = "invalid_pdu_type";
            break;
        }
        r = run_new();
        if (run_feed(r, FLOW_TOSERVER, s.d, s.len) != PROTO_MALFORMED) {
            fail_msg("case %d: not malformed", k);
        }
        n = run_end(r, ev);
        assert_true(n >= 1);
        assert_string_equal(event_type(ev[n - 1]), "anomaly");
        if (strcmp(anomaly_event(ev[n - 1]), why) != 0) {
            fail_msg("case %d: %s, expected %s", k, anomaly_event(ev[n - 1]), why);
        }
        free_events(ev, n);
    }
}

/* Data set bytes (patient attributes) never reach eve.json; the capture had them. */
static void test_no_patient_data(void **state)
{
    static struct bb s;
    static const char secret[] = "\x10\x00\x10\x00\x0e\x00\x00\x00XQDOE^XQJANE^";
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    char *text;

    (void)state;
    build_session(&s, (const uint8_t *)secret, sizeof(secret) - 1);
    assert_true(has_bytes(s.d, s.len, "XQDOE"));
    assert_int_equal(run_feed(r, FLOW_TOSERVER, s.d, s.len), 0);
    free_events(ev, run_end(r, ev));
    text = slurp(file_path);
    assert_non_null(strstr(text, "C-STORE-RQ"));
    assert_null(strstr(text, "XQDOE"));
    assert_null(strstr(text, "XQJANE"));
    assert_null(strstr(text, "1.2.3.4.5\"")); /* nor the SOP instance UID */
    free(text);
}

static void test_probe(void **state)
{
    static struct bb rq;
    const struct proto_parser *p = &proto_dicom_parser;

    (void)state;
    rq.len = 0;
    build_rq(&rq);
    assert_string_equal(p->name, "dicom");
    assert_int_equal(p->proto, APP_DICOM);
    assert_int_equal(p->ip_proto, 6);
    assert_int_equal(p->ports[0], 104);
    assert_int_equal(p->ports[1], 11112);
    assert_int_equal(p->ports[2], 4242);
    assert_true(p->probe(rq.d, rq.len, FLOW_TOSERVER));
    assert_true(p->probe(rq.d, 1, FLOW_TOSERVER));
    assert_true(p->probe(rq.d, 7, FLOW_TOSERVER));
    rq.d[7] = 0; /* protocol version 0 */
    assert_false(p->probe(rq.d, rq.len, FLOW_TOSERVER));
    assert_true(p->probe((const uint8_t *)"\x05\x00\x00\x00\x00\x04\0\0\0\0", 10, 0));
    assert_false(p->probe((const uint8_t *)"\x05\x00\x00\x00\x00\x05", 6, 0));
    assert_false(p->probe((const uint8_t *)"\x01\x00\x00\x00\x00\x10", 6, 0));
    assert_false(p->probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, FLOW_TOSERVER));
    assert_false(p->probe((const uint8_t *)"\x16\x03\x01\x00", 4, FLOW_TOSERVER));
    assert_false(p->probe((const uint8_t *)"", 0, FLOW_TOSERVER));
}

static void test_uid_table(void **state)
{
    static const char *const wanted[][2] = {
        {CT_STORAGE, "CT Image Storage"},
        {"1.2.840.10008.5.1.4.1.1.4", "MR Image Storage"},
        {"1.2.840.10008.5.1.4.1.1.1", "Computed Radiography Image Storage"},
        {"1.2.840.10008.5.1.4.1.1.1.1", "Digital X-Ray Image Storage - For Presentation"},
        {"1.2.840.10008.5.1.4.1.1.6.1", "Ultrasound Image Storage"},
        {"1.2.840.10008.5.1.4.1.1.20", "Nuclear Medicine Image Storage"},
        {"1.2.840.10008.5.1.4.1.1.128", "Positron Emission Tomography Image Storage"},
        {"1.2.840.10008.5.1.4.1.1.7", "Secondary Capture Image Storage"},
        {"1.2.840.10008.5.1.4.1.1.481.1", "RT Image Storage"},
        {"1.2.840.10008.5.1.4.1.1.2.1", "Enhanced CT Image Storage"},
        {"1.2.840.10008.5.1.4.1.1.4.1", "Enhanced MR Image Storage"},
        {"1.2.840.10008.5.1.4.1.1.104.1", "Encapsulated PDF Storage"},
        {"1.2.840.10008.5.1.4.1.2.1.1", "Patient Root Query/Retrieve Information Model - FIND"},
        {"1.2.840.10008.5.1.4.1.2.2.3", "Study Root Query/Retrieve Information Model - GET"},
        {"1.2.840.10008.5.1.4.31", "Modality Worklist Information Model - FIND"},
        {"1.2.840.10008.1.20.1", "Storage Commitment Push Model SOP Class"},
        {"1.2.840.10008.3.1.2.3.3", "Modality Performed Procedure Step SOP Class"},
        {"1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)"},
        {"1.2.840.10008.1.2.5", "RLE Lossless"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        uint16_t idx = dicom_uid_find((const uint8_t *)wanted[i][0], strlen(wanted[i][0]));

        assert_int_not_equal(idx, DICOM_UID_NONE);
        assert_string_equal(dicom_uid_name(idx), wanted[i][1]);
        assert_string_equal(dicom_uid_string(idx), wanted[i][0]);
    }
    /* A prefix of a UID is not that UID. */
    assert_int_equal(dicom_uid_find((const uint8_t *)CT_STORAGE, strlen(CT_STORAGE) - 1),
                     DICOM_UID_NONE);
    assert_null(dicom_uid_name(DICOM_UID_NONE));
    assert_null(dicom_uid_name((uint16_t)(dicom_uid_count() + 1)));
    /* Every UID is listed once. */
    for (size_t i = 1; i <= dicom_uid_count(); i++) {
        const char *u = dicom_uid_string((uint16_t)i);

        assert_int_equal(dicom_uid_find((const uint8_t *)u, strlen(u)), i);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_assoc_rq, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_sop_classes_once, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_assoc_ac, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_ac_without_rq, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_user_identity, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_assoc_rj, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_release_abort, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_commands, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_fragments, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_every_split, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_large_data_streamed, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_command_byte_fragments, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_command_cap, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_many_contexts, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_malformed, make_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_no_patient_data, make_dir, remove_dir),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_uid_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
