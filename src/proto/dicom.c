/* SPDX-License-Identifier: MIT */
/*
 * dicom: the DICOM upper layer over TCP, one `dicom` event per association
 * PDU and per DIMSE command.
 *
 * Follows DICOM PS3.8 section 9.3 (PDU structure), PS3.7 section 9.3 and
 * annex E (the command set and its fields), PS3.5 section 7.1.3 (the
 * implicit VR little endian encoding of command elements) and PS3.6 annex A
 * (UID names, in dicom_uids.c).
 *
 *   PDU:  type(1) reserved(1) length(4, big endian) | body
 *   A-ASSOCIATE-RQ/AC body: version(2) reserved(2) called AE(16) calling AE(16)
 *         reserved(32) | items: type(1) reserved(1) length(2) value
 *         0x10 application context, 0x20/0x21 presentation context (RQ/AC)
 *         with 0x30 abstract and 0x40 transfer syntax sub-items, 0x50 user
 *         information with 0x51 max length, 0x52 implementation class UID,
 *         0x55 implementation version name, 0x58/0x59 user identity
 *   P-DATA-TF body: PDV items: length(4) context id(1) control header(1)
 *         fragment; control bit 0 set: command, bit 1 set: last fragment
 *   command element: group(2) element(2) length(4), little endian, value
 *
 * Association PDUs are parsed whole (at most DICOM_ASSOC_PDU_MAX bytes, so
 * they fit proto.c's buffer). A P-DATA-TF PDU is streamed: PDV headers are
 * read one at a time, command fragments are gathered (up to DICOM_CMD_MAX
 * bytes) until the last one, and data set fragments, which carry the
 * images and patient attributes, are skipped by length without being kept
 * or read. Only the command set's own fields are reported.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "output/eve.h"
#include "output/json.h"
#include "proto/dicom_uids.h"
#include "proto/proto.h"
#include "util/cursor.h"

#define DICOM_PDU_HDR_LEN 6
#define DICOM_PDV_HDR_LEN 6 /* item length(4), context id, control header */
#define DICOM_PDV_LEN_MIN 2 /* an item length covers the id and the header */
#define DICOM_ASSOC_FIXED_LEN 68 /* version .. reserved, before the items */
#define DICOM_ASSOC_PDU_MAX (PROTO_BUF_MAX - DICOM_PDU_HDR_LEN)
#define DICOM_SHORT_PDU_LEN 4 /* RJ, release and abort bodies */
#define DICOM_AE_LEN 16
#define DICOM_VALUE_MAX 64     /* bytes of a UID or name reported; more is cut */
#define DICOM_CMD_MAX 4096     /* command set bytes kept; commands are ~200 */
#define DICOM_PCS_MAX 128      /* presentation contexts kept per PDU */
#define DICOM_TS_LISTED_MAX 16 /* transfer syntaxes listed per context */
#define DICOM_N_PC_IDS 256
#define DICOM_EVENT_BUDGET (48u << 10) /* stop listing contexts past this */
/* Distinct SOP classes reported as evidence per RQ: proto.c queues 32 pieces per call. */
#define DICOM_SOP_REPORTED_MAX 24

#define DICOM_RETURN 1 /* a step's result: consumed, and the call should return */

#define DICOM_MCH_COMMAND 0x01
#define DICOM_MCH_LAST 0x02
#define DICOM_NO_DATA_SET 0x0101 /* CommandDataSetType: none follows */
#define DICOM_CMD_GROUP 0x0000

enum dicom_pdu_type {
    PDU_ASSOC_RQ = 0x01,
    PDU_ASSOC_AC = 0x02,
    PDU_ASSOC_RJ = 0x03,
    PDU_DATA = 0x04,
    PDU_RELEASE_RQ = 0x05,
    PDU_RELEASE_RP = 0x06,
    PDU_ABORT = 0x07,
};

enum dicom_item_type {
    ITEM_APP_CONTEXT = 0x10,
    ITEM_PC_RQ = 0x20,
    ITEM_PC_AC = 0x21,
    ITEM_ABSTRACT_SYNTAX = 0x30,
    ITEM_TRANSFER_SYNTAX = 0x40,
    ITEM_USER_INFO = 0x50,
    SUB_MAX_LENGTH = 0x51,
    SUB_IMPL_CLASS_UID = 0x52,
    SUB_IMPL_VERSION = 0x55,
    SUB_USER_IDENTITY_RQ = 0x58,
    SUB_USER_IDENTITY_AC = 0x59,
};

enum dicom_phase {
    PH_PDU = 0,  /* a PDU header is next */
    PH_PDV_HDR,  /* inside a P-DATA-TF: a PDV header is next */
    PH_PDV_BODY, /* inside a PDV's fragment */
};

/* One direction's place in the stream and its command being gathered. */
struct dicom_dir {
    uint8_t phase;    /* enum dicom_phase */
    uint32_t pdu_left; /* P-DATA-TF body bytes not yet read */
    uint32_t pdv_left; /* fragment bytes not yet read */
    uint8_t mch;       /* control header of the current PDV */
    uint8_t pc_id;     /* presentation context of the current PDV */
    bool cmd_open;     /* command fragments seen, not the last yet */
    uint8_t cmd_pc_id;
    uint32_t cmd_len; /* bytes of the command so far; those past DICOM_CMD_MAX are not kept */
    uint8_t cmd[DICOM_CMD_MAX];
};

struct dicom_state {
    struct dicom_dir dir[2]; /* FLOW_TOSERVER, FLOW_TOCLIENT */
    uint16_t pc_abstract[DICOM_N_PC_IDS]; /* from the RQ: UID table entry per context id */
    bool sop_reported;                    /* dicom.sop_class evidence sent */
};

/* A value inside the PDU being parsed (valid during the call only). */
struct dicom_val {
    const uint8_t *p;
    size_t len;
};

struct dicom_pc {
    uint8_t id;
    uint8_t result; /* AC only */
    struct dicom_val abstract;
    struct dicom_val subs; /* the sub-items, walked again for transfer syntaxes */
};

/* What an A-ASSOCIATE-RQ or -AC holds. */
struct dicom_assoc {
    uint8_t type;
    uint16_t version;
    struct dicom_val called, calling, app_ctx, impl_uid, impl_version, username;
    struct dicom_pc pcs[DICOM_PCS_MAX];
    uint32_t n_pcs; /* all of them; at most DICOM_PCS_MAX kept */
    bool has_max_len;
    uint32_t max_len;
    bool has_identity, identity_rsp_wanted, passcode_seen, has_identity_rsp;
    uint8_t identity_type;
    uint16_t identity_rsp_len;
};

/* The fields of a command set that are reported. */
struct dicom_cmd {
    bool has_field, has_msg_id, has_resp_to, has_status, has_priority, has_ds_type;
    uint16_t field, msg_id, resp_to, status, priority, ds_type;
    struct dicom_val affected, requested, move_dest;
    bool truncated;
};

static const char *const dicom_pdu_names[] = {
    "", "A-ASSOCIATE-RQ", "A-ASSOCIATE-AC", "A-ASSOCIATE-RJ",
    "P-DATA-TF", "A-RELEASE-RQ", "A-RELEASE-RP", "A-ABORT",
};

static const char *dicom_pdu_name(uint8_t type)
{
    return type >= PDU_ASSOC_RQ && type <= PDU_ABORT ? dicom_pdu_names[type] : NULL;
}

/* A-ASSOCIATE-AC presentation context results (PS3.8 table 9-18). */
static const char *dicom_pc_result_name(uint8_t r)
{
    static const char *const names[] = {
        "acceptance", "user-rejection", "no-reason", "abstract-syntax-not-supported",
        "transfer-syntaxes-not-supported",
    };

    return r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

/* The value without leading and trailing spaces and NULs (AE titles, padded UIDs). */
static struct dicom_val dicom_trim(const uint8_t *p, size_t len)
{
    while (len > 0 && (p[0] == ' ' || p[0] == '\0')) {
        p++;
        len--;
    }
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\0')) {
        len--;
    }
    return (struct dicom_val){p, len};
}

/* Writes a value, cut at DICOM_VALUE_MAX bytes. Nothing when it is empty. */
static void dicom_put(struct jbuf *jb, const char *key, struct dicom_val v)
{
    if (v.len > 0) {
        jb_strn(jb, key, v.p, v.len < DICOM_VALUE_MAX ? v.len : DICOM_VALUE_MAX);
    }
}

/* Writes a UID as key and its name as name_key, when the table knows it. */
static void dicom_put_uid(struct jbuf *jb, const char *key, const char *name_key,
                          struct dicom_val v)
{
    const char *name = dicom_uid_name(dicom_uid_find(v.p, v.len));

    dicom_put(jb, key, v);
    if (name != NULL) {
        jb_str(jb, name_key, name);
    }
}

/* Reads an item header (type, reserved, 16-bit length) and hands out its value. */
static int dicom_item(struct ww_cursor *c, uint8_t *type, struct dicom_val *val)
{
    uint8_t reserved;
    uint16_t len;

    if (cursor_u8(c, type) < 0 || cursor_u8(c, &reserved) < 0 || cursor_be16(c, &len) < 0 ||
        cursor_bytes(c, len, &val->p) < 0) {
        return -1;
    }
    val->len = len;
    return 0;
}

/* Presentation context item of an RQ (0x20) or AC (0x21). Returns 0, or -1 if broken. */
static int dicom_read_pc(struct dicom_assoc *a, uint8_t type, struct dicom_val v)
{
    struct ww_cursor c;
    struct dicom_pc pc = {0};
    uint8_t skip;

    cursor_init(&c, v.p, v.len);
    if (cursor_u8(&c, &pc.id) < 0 || cursor_u8(&c, &skip) < 0 || cursor_u8(&c, &pc.result) < 0 ||
        cursor_u8(&c, &skip) < 0) {
        return -1;
    }
    if (type == ITEM_PC_RQ) {
        pc.result = 0;
    }
    pc.subs = (struct dicom_val){c.pos, cursor_left(&c)};
    while (cursor_left(&c) > 0) {
        uint8_t st;
        struct dicom_val sv;

        if (dicom_item(&c, &st, &sv) < 0) {
            return -1;
        }
        if (st == ITEM_ABSTRACT_SYNTAX && pc.abstract.p == NULL) {
            pc.abstract = dicom_trim(sv.p, sv.len);
        }
    }
    if (a->n_pcs < DICOM_PCS_MAX) {
        a->pcs[a->n_pcs] = pc;
    }
    a->n_pcs++;
    return 0;
}

/* User identity negotiation (PS3.7 D.3.3.7): the type and a username, never a secret. */
static int dicom_read_identity(struct dicom_assoc *a, struct dicom_val v)
{
    struct ww_cursor c;
    uint8_t rsp;
    uint16_t len1, len2 = 0;
    const uint8_t *p1, *p2;

    cursor_init(&c, v.p, v.len);
    if (cursor_u8(&c, &a->identity_type) < 0 || cursor_u8(&c, &rsp) < 0 ||
        cursor_be16(&c, &len1) < 0 || cursor_bytes(&c, len1, &p1) < 0) {
        return -1;
    }
    /* The secondary field (a passcode) is there only for type 2. */
    if (cursor_left(&c) > 0 &&
        (cursor_be16(&c, &len2) < 0 || cursor_bytes(&c, len2, &p2) < 0)) {
        return -1;
    }
    a->has_identity = true;
    a->identity_rsp_wanted = rsp == 1;
    a->passcode_seen = len2 > 0;
    /* Types 1 and 2 carry a username; 3 to 5 a Kerberos, SAML or JWT token: a secret. */
    if (a->identity_type == 1 || a->identity_type == 2) {
        a->username = dicom_trim(p1, len1);
    }
    return 0;
}

/* User information item (0x50) and its sub-items. Returns 0, or -1 if broken. */
static int dicom_read_user_info(struct dicom_assoc *a, struct dicom_val v)
{
    struct ww_cursor c, s;
    uint8_t type;
    struct dicom_val sv;
    uint16_t len;

    cursor_init(&c, v.p, v.len);
    while (cursor_left(&c) > 0) {
        if (dicom_item(&c, &type, &sv) < 0) {
            return -1;
        }
        cursor_init(&s, sv.p, sv.len);
        if (type == SUB_MAX_LENGTH) {
            if (sv.len != 4 || cursor_be32(&s, &a->max_len) < 0) {
                return -1;
            }
            a->has_max_len = true;
        } else if (type == SUB_IMPL_CLASS_UID) {
            a->impl_uid = dicom_trim(sv.p, sv.len);
        } else if (type == SUB_IMPL_VERSION) {
            a->impl_version = dicom_trim(sv.p, sv.len);
        } else if (type == SUB_USER_IDENTITY_RQ && a->type == PDU_ASSOC_RQ) {
            if (dicom_read_identity(a, sv) < 0) {
                return -1;
            }
        } else if (type == SUB_USER_IDENTITY_AC && a->type == PDU_ASSOC_AC) {
            if (cursor_be16(&s, &len) < 0 || cursor_skip(&s, len) < 0) {
                return -1;
            }
            a->has_identity_rsp = true;
            a->identity_rsp_len = len;
        }
    }
    return 0;
}

/*
 * Reads an A-ASSOCIATE-RQ or -AC body into a. Returns NULL, or the name of
 * what is wrong with it.
 */
static const char *dicom_read_assoc(struct dicom_assoc *a, const uint8_t *body, size_t len)
{
    struct ww_cursor c;
    const uint8_t *called, *calling;
    uint8_t type;
    struct dicom_val v;

    cursor_init(&c, body, len);
    if (cursor_be16(&c, &a->version) < 0 || cursor_skip(&c, 2) < 0 ||
        cursor_bytes(&c, DICOM_AE_LEN, &called) < 0 ||
        cursor_bytes(&c, DICOM_AE_LEN, &calling) < 0 || cursor_skip(&c, 32) < 0) {
        return "associate_too_short";
    }
    a->called = dicom_trim(called, DICOM_AE_LEN);
    a->calling = dicom_trim(calling, DICOM_AE_LEN);
    while (cursor_left(&c) > 0) {
        if (dicom_item(&c, &type, &v) < 0) {
            return "item_overflow";
        }
        if (type == ITEM_APP_CONTEXT) {
            a->app_ctx = dicom_trim(v.p, v.len);
        } else if (type == (a->type == PDU_ASSOC_RQ ? ITEM_PC_RQ : ITEM_PC_AC)) {
            if (dicom_read_pc(a, type, v) < 0) {
                return "invalid_presentation_context";
            }
        } else if (type == ITEM_USER_INFO) {
            if (dicom_read_user_info(a, v) < 0) {
                return "invalid_user_information";
            }
        }
    }
    return NULL;
}

/* The transfer syntax sub-items of one presentation context, as {uid, name} objects. */
static void dicom_emit_ts_list(struct jbuf *jb, struct dicom_val subs, bool *truncated)
{
    struct ww_cursor c;
    uint8_t type;
    struct dicom_val v;
    unsigned n = 0;

    cursor_init(&c, subs.p, subs.len);
    jb_array_open(jb, "transfer_syntaxes");
    while (dicom_item(&c, &type, &v) == 0) {
        if (type != ITEM_TRANSFER_SYNTAX) {
            continue;
        }
        if (n++ >= DICOM_TS_LISTED_MAX) {
            *truncated = true;
            continue;
        }
        jb_object_open(jb, NULL);
        dicom_put_uid(jb, "uid", "name", dicom_trim(v.p, v.len));
        jb_object_close(jb);
    }
    jb_array_close(jb);
}

/* The first transfer syntax sub-item of an AC's presentation context. */
static struct dicom_val dicom_first_ts(struct dicom_val subs)
{
    struct ww_cursor c;
    uint8_t type;
    struct dicom_val v;

    cursor_init(&c, subs.p, subs.len);
    while (dicom_item(&c, &type, &v) == 0) {
        if (type == ITEM_TRANSFER_SYNTAX) {
            return dicom_trim(v.p, v.len);
        }
    }
    return (struct dicom_val){NULL, 0};
}

static void dicom_emit_pc(struct jbuf *jb, const struct dicom_state *st,
                          const struct dicom_assoc *a, const struct dicom_pc *pc, bool *truncated)
{
    jb_object_open(jb, NULL);
    jb_u64(jb, "id", pc->id);
    if (a->type == PDU_ASSOC_RQ) {
        dicom_put_uid(jb, "abstract_syntax", "abstract_syntax_name", pc->abstract);
        dicom_emit_ts_list(jb, pc->subs, truncated);
    } else {
        const char *name = dicom_uid_name(st->pc_abstract[pc->id]);

        /* The AC does not repeat the abstract syntax: it is the RQ's for this id. */
        if (name != NULL) {
            jb_str(jb, "abstract_syntax_name", name);
        }
        jb_u64(jb, "result", pc->result);
        jb_str(jb, "result_name", dicom_pc_result_name(pc->result));
        if (pc->result == 0) {
            dicom_put_uid(jb, "transfer_syntax", "transfer_syntax_name", dicom_first_ts(pc->subs));
        }
    }
    jb_object_close(jb);
}

static void dicom_emit_identity(struct jbuf *jb, const struct dicom_assoc *a)
{
    static const char *const types[] = {
        "", "username", "username_and_passcode", "kerberos", "saml", "jwt",
    };

    if (a->has_identity) {
        jb_object_open(jb, "user_identity");
        jb_u64(jb, "type", a->identity_type);
        if (a->identity_type < sizeof(types) / sizeof(types[0]) && a->identity_type > 0) {
            jb_str(jb, "type_name", types[a->identity_type]);
        }
        dicom_put(jb, "username", a->username);
        jb_bool(jb, "passcode_seen", a->passcode_seen);
        jb_bool(jb, "positive_response_requested", a->identity_rsp_wanted);
        jb_object_close(jb);
    }
    if (a->has_identity_rsp) {
        jb_object_open(jb, "user_identity");
        jb_u64(jb, "server_response_len", a->identity_rsp_len);
        jb_object_close(jb);
    }
}

/* One dicom event for an A-ASSOCIATE-RQ or -AC. */
static void dicom_emit_assoc(const struct proto_ctx *ctx, const struct dicom_state *st,
                             const struct dicom_assoc *a, uint32_t pdu_len)
{
    struct jbuf *jb = proto_event_begin(ctx, "dicom");
    uint32_t n_kept = a->n_pcs < DICOM_PCS_MAX ? a->n_pcs : DICOM_PCS_MAX;
    bool truncated = a->n_pcs > DICOM_PCS_MAX;

    jb_object_open(jb, "dicom");
    jb_str(jb, "pdu_type", dicom_pdu_name(a->type));
    jb_u64(jb, "pdu_length", pdu_len);
    jb_u64(jb, "protocol_version", a->version);
    dicom_put(jb, "called_ae_title", a->called);
    dicom_put(jb, "calling_ae_title", a->calling);
    dicom_put_uid(jb, "application_context", "application_context_name", a->app_ctx);
    jb_u64(jb, "presentation_context_count", a->n_pcs);
    jb_array_open(jb, "presentation_contexts");
    for (uint32_t i = 0; i < n_kept; i++) {
        if (jb->len > DICOM_EVENT_BUDGET) {
            truncated = true;
            break;
        }
        dicom_emit_pc(jb, st, a, &a->pcs[i], &truncated);
    }
    jb_array_close(jb);
    if (a->has_max_len) {
        jb_u64(jb, "max_pdu_length", a->max_len);
    }
    dicom_put(jb, "implementation_class_uid", a->impl_uid);
    dicom_put(jb, "implementation_version", a->impl_version);
    dicom_emit_identity(jb, a);
    if (truncated) {
        jb_bool(jb, "truncated", true);
    }
    jb_object_close(jb);
    eve_commit(ctx->eve);
}

/* Whether pcs[0, i) already holds an abstract syntax equal to pcs[i]'s. */
static bool dicom_pc_seen_before(const struct dicom_assoc *a, uint32_t i)
{
    const struct dicom_val *v = &a->pcs[i].abstract;

    for (uint32_t k = 0; k < i; k++) {
        const struct dicom_val *w = &a->pcs[k].abstract;

        if (w->len == v->len && memcmp(w->p, v->p, v->len) == 0) {
            return true;
        }
    }
    return false;
}

/* Remembers the RQ's abstract syntaxes and reports them, once per flow, as evidence. */
static void dicom_note_rq(const struct proto_ctx *ctx, struct dicom_state *st,
                          const struct dicom_assoc *a)
{
    uint32_t n_kept = a->n_pcs < DICOM_PCS_MAX ? a->n_pcs : DICOM_PCS_MAX;
    unsigned n_reported = 0;

    for (uint32_t i = 0; i < n_kept; i++) {
        const struct dicom_pc *pc = &a->pcs[i];
        uint16_t idx = dicom_uid_find(pc->abstract.p, pc->abstract.len);
        const char *name = dicom_uid_name(idx);

        st->pc_abstract[pc->id] = idx;
        if (st->sop_reported || pc->abstract.len == 0 || dicom_pc_seen_before(a, i) ||
            n_reported >= DICOM_SOP_REPORTED_MAX) {
            continue;
        }
        n_reported++;
        if (name != NULL) {
            proto_evidence_str(ctx, PROTO_SENDER, "dicom.sop_class", name);
        } else {
            proto_evidence(ctx, PROTO_SENDER, "dicom.sop_class", (const char *)pc->abstract.p,
                           pc->abstract.len < DICOM_VALUE_MAX ? pc->abstract.len
                                                              : DICOM_VALUE_MAX);
        }
    }
    st->sop_reported = true;
}

static void dicom_evidence(const struct proto_ctx *ctx, int who, const char *kind,
                           struct dicom_val v)
{
    proto_evidence(ctx, who, kind, (const char *)v.p, v.len < DICOM_VALUE_MAX ? v.len
                                                                              : DICOM_VALUE_MAX);
}

/* An A-ASSOCIATE-RQ or -AC, whole. Returns 0 or PROTO_MALFORMED. */
static int dicom_do_assoc(const struct proto_ctx *ctx, struct dicom_state *st, uint8_t type,
                          const uint8_t *body, uint32_t len)
{
    struct dicom_assoc a;
    const char *err;

    memset(&a, 0, sizeof(a));
    a.type = type;
    err = dicom_read_assoc(&a, body, len);
    if (err != NULL) {
        proto_log_anomaly(ctx, err, dicom_pdu_name(type));
        return PROTO_MALFORMED;
    }
    if (type == PDU_ASSOC_RQ) {
        dicom_note_rq(ctx, st, &a);
        dicom_evidence(ctx, PROTO_SENDER, "dicom.ae_title", a.calling);
        dicom_evidence(ctx, PROTO_RECEIVER, "dicom.ae_title", a.called);
    }
    dicom_evidence(ctx, PROTO_SENDER, "dicom.implementation_class_uid", a.impl_uid);
    dicom_evidence(ctx, PROTO_SENDER, "dicom.implementation_version", a.impl_version);
    dicom_emit_assoc(ctx, st, &a, len);
    return 0;
}

/* A-ASSOCIATE-RJ reason names by source (PS3.8 table 9-21). */
static const char *dicom_rj_reason_name(uint8_t source, uint8_t reason)
{
    static const char *const user[] = {
        NULL, "no-reason-given", "application-context-name-not-supported",
        "calling-ae-title-not-recognized", NULL, NULL, NULL, "called-ae-title-not-recognized",
    };
    static const char *const acse[] = {NULL, "no-reason-given", "protocol-version-not-supported"};
    static const char *const pres[] = {NULL, "temporary-congestion", "local-limit-exceeded"};

    if (source == 1 && reason < sizeof(user) / sizeof(user[0])) {
        return user[reason];
    }
    if (source == 2 && reason < sizeof(acse) / sizeof(acse[0])) {
        return acse[reason];
    }
    if (source == 3 && reason < sizeof(pres) / sizeof(pres[0])) {
        return pres[reason];
    }
    return NULL;
}

/* A-ABORT reason names when the provider aborts (PS3.8 table 9-26). */
static const char *dicom_abort_reason_name(uint8_t source, uint8_t reason)
{
    static const char *const names[] = {
        "reason-not-specified", "unrecognized-pdu", "unexpected-pdu", NULL,
        "unrecognized-pdu-parameter", "unexpected-pdu-parameter", "invalid-pdu-parameter-value",
    };

    if (source != 2) {
        return NULL;
    }
    return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : NULL;
}

/* A-ASSOCIATE-RJ, A-RELEASE-RQ/RP or A-ABORT: a 4-byte body. */
static void dicom_do_short(const struct proto_ctx *ctx, uint8_t type, const uint8_t *body)
{
    static const char *const rj_sources[] = {NULL, "service-user", "service-provider-acse",
                                             "service-provider-presentation"};
    static const char *const abort_sources[] = {"service-user", NULL, "service-provider"};
    struct jbuf *jb = proto_event_begin(ctx, "dicom");
    const char *s = NULL, *r = NULL;

    jb_object_open(jb, "dicom");
    jb_str(jb, "pdu_type", dicom_pdu_name(type));
    if (type == PDU_ASSOC_RJ) {
        jb_u64(jb, "result", body[1]);
        jb_str(jb, "result_name", body[1] == 1   ? "rejected-permanent"
                                  : body[1] == 2 ? "rejected-transient"
                                                 : "unknown");
        s = body[2] < 4 ? rj_sources[body[2]] : NULL;
        r = dicom_rj_reason_name(body[2], body[3]);
    } else if (type == PDU_ABORT) {
        s = body[2] < 3 ? abort_sources[body[2]] : NULL;
        r = dicom_abort_reason_name(body[2], body[3]);
    }
    if (type == PDU_ASSOC_RJ || type == PDU_ABORT) {
        jb_u64(jb, "source", body[2]);
        jb_str(jb, "source_name", s != NULL ? s : "unknown");
        jb_u64(jb, "reason", body[3]);
        if (r != NULL) {
            jb_str(jb, "reason_name", r);
        }
    }
    jb_object_close(jb);
    eve_commit(ctx->eve);
}

/* DIMSE command names by CommandField (PS3.7 section 9.3 and 10.3). */
static const char *dicom_command_name(uint16_t field)
{
    static const struct {
        uint16_t field;
        const char *name;
    } cmds[] = {
        {0x0001, "C-STORE-RQ"},        {0x8001, "C-STORE-RSP"},
        {0x0010, "C-GET-RQ"},          {0x8010, "C-GET-RSP"},
        {0x0020, "C-FIND-RQ"},         {0x8020, "C-FIND-RSP"},
        {0x0021, "C-MOVE-RQ"},         {0x8021, "C-MOVE-RSP"},
        {0x0030, "C-ECHO-RQ"},         {0x8030, "C-ECHO-RSP"},
        {0x0100, "N-EVENT-REPORT-RQ"}, {0x8100, "N-EVENT-REPORT-RSP"},
        {0x0110, "N-GET-RQ"},          {0x8110, "N-GET-RSP"},
        {0x0120, "N-SET-RQ"},          {0x8120, "N-SET-RSP"},
        {0x0130, "N-ACTION-RQ"},       {0x8130, "N-ACTION-RSP"},
        {0x0140, "N-CREATE-RQ"},       {0x8140, "N-CREATE-RSP"},
        {0x0150, "N-DELETE-RQ"},       {0x8150, "N-DELETE-RSP"},
        {0x0FFF, "C-CANCEL-RQ"},
    };

    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (cmds[i].field == field) {
            return cmds[i].name;
        }
    }
    return NULL;
}

/* The class of a DIMSE status (PS3.7 annex C). */
static const char *dicom_status_name(uint16_t s)
{
    if (s == 0x0000) {
        return "success";
    }
    if (s == 0xFF00 || s == 0xFF01) {
        return "pending";
    }
    if (s == 0xFE00) {
        return "cancel";
    }
    if (s == 0x0001 || s == 0x0107 || s == 0x0116 || (s >= 0xB000 && s <= 0xBFFF)) {
        return "warning";
    }
    return "failure";
}

/* Stores one US element (length 2) of the command set. Returns 0 or -1. */
static int dicom_cmd_us(const struct dicom_val *v, bool *has, uint16_t *out)
{
    struct ww_cursor c;

    cursor_init(&c, v->p, v->len);
    if (v->len != 2 || cursor_le16(&c, out) < 0) {
        return -1;
    }
    *has = true;
    return 0;
}

/* Files one element (group 0000) of a command set. Returns 0 or -1 for a bad length. */
static int dicom_cmd_element(struct dicom_cmd *cmd, uint16_t elem, struct dicom_val v)
{
    switch (elem) {
    case 0x0002:
        cmd->affected = dicom_trim(v.p, v.len);
        return 0;
    case 0x0003:
        cmd->requested = dicom_trim(v.p, v.len);
        return 0;
    case 0x0100:
        return dicom_cmd_us(&v, &cmd->has_field, &cmd->field);
    case 0x0110:
        return dicom_cmd_us(&v, &cmd->has_msg_id, &cmd->msg_id);
    case 0x0120:
        return dicom_cmd_us(&v, &cmd->has_resp_to, &cmd->resp_to);
    case 0x0600:
        cmd->move_dest = dicom_trim(v.p, v.len);
        return 0;
    case 0x0700:
        return dicom_cmd_us(&v, &cmd->has_priority, &cmd->priority);
    case 0x0800:
        return dicom_cmd_us(&v, &cmd->has_ds_type, &cmd->ds_type);
    case 0x0900:
        return dicom_cmd_us(&v, &cmd->has_status, &cmd->status);
    default:
        return 0; /* instance UIDs, comments, counts: not reported */
    }
}

/*
 * Reads the command set gathered in d (implicit VR little endian). Returns
 * NULL, or the name of what is wrong with it.
 */
static const char *dicom_read_cmd(const struct dicom_dir *d, struct dicom_cmd *cmd)
{
    struct ww_cursor c;
    bool cut = d->cmd_len > DICOM_CMD_MAX;

    cursor_init(&c, d->cmd, cut ? DICOM_CMD_MAX : d->cmd_len);
    memset(cmd, 0, sizeof(*cmd));
    cmd->truncated = cut;
    while (cursor_left(&c) > 0) {
        uint16_t group, elem;
        uint32_t len;
        struct dicom_val v;

        if (cursor_le16(&c, &group) < 0 || cursor_le16(&c, &elem) < 0 ||
            cursor_le32(&c, &len) < 0 || cursor_bytes(&c, len, &v.p) < 0) {
            if (cut) {
                break; /* the rest of the element was not kept */
            }
            return "command_element_overflow";
        }
        v.len = len;
        if (group == DICOM_CMD_GROUP && dicom_cmd_element(cmd, elem, v) < 0) {
            return "invalid_command_element";
        }
    }
    return cmd->has_field ? NULL : "command_field_missing";
}

#define DICOM_C_STORE_RQ 0x0001

static void dicom_emit_cmd(const struct proto_ctx *ctx, const struct dicom_dir *d,
                           const struct dicom_cmd *cmd)
{
    static const char *const priorities[] = {"medium", "high", "low"};
    struct jbuf *jb = proto_event_begin(ctx, "dicom");
    const char *name = dicom_command_name(cmd->field);

    jb_object_open(jb, "dicom");
    jb_str(jb, "pdu_type", dicom_pdu_name(PDU_DATA));
    jb_u64(jb, "presentation_context_id", d->cmd_pc_id);
    jb_str(jb, "command", name != NULL ? name : "unknown");
    jb_u64(jb, "command_field", cmd->field);
    dicom_put_uid(jb, "affected_sop_class", "affected_sop_class_name", cmd->affected);
    dicom_put_uid(jb, "requested_sop_class", "requested_sop_class_name", cmd->requested);
    if (cmd->has_msg_id) {
        jb_u64(jb, "message_id", cmd->msg_id);
    }
    if (cmd->has_resp_to) {
        jb_u64(jb, "message_id_responded_to", cmd->resp_to);
    }
    if (cmd->has_priority && cmd->priority < 3) {
        jb_str(jb, "priority", priorities[cmd->priority]);
    }
    dicom_put(jb, "move_destination", cmd->move_dest);
    if (cmd->has_status) {
        jb_u64(jb, "status", cmd->status);
        jb_str(jb, "status_name", dicom_status_name(cmd->status));
    }
    if (cmd->has_ds_type) {
        jb_bool(jb, "data_set", cmd->ds_type != DICOM_NO_DATA_SET);
    }
    jb_u64(jb, "command_len", d->cmd_len);
    if (cmd->truncated) {
        jb_bool(jb, "truncated", true);
    }
    jb_object_close(jb);
    eve_commit(ctx->eve);
}

/* A C-STORE request: images or reports sent over this plain association, as evidence. */
static void dicom_store_evidence(const struct proto_ctx *ctx, const struct dicom_cmd *cmd)
{
    const char *name = dicom_uid_name(dicom_uid_find(cmd->affected.p, cmd->affected.len));
    size_t len = cmd->affected.len;

    if (cmd->field != DICOM_C_STORE_RQ) {
        return;
    }
    while (len > 0 && (cmd->affected.p[len - 1] == '\0' || cmd->affected.p[len - 1] == ' ')) {
        len--;
    }
    if (name != NULL) {
        proto_evidence_str(ctx, PROTO_SENDER, "dicom.c_store", name);
    } else {
        proto_evidence(ctx, PROTO_SENDER, "dicom.c_store", (const char *)cmd->affected.p,
                       len < DICOM_VALUE_MAX ? len : DICOM_VALUE_MAX);
    }
}

/* Reports the command gathered in d. Returns 0 or PROTO_MALFORMED. */
static int dicom_do_cmd(const struct proto_ctx *ctx, struct dicom_dir *d)
{
    struct dicom_cmd cmd;
    const char *err = dicom_read_cmd(d, &cmd);

    d->cmd_open = false;
    if (err != NULL) {
        proto_log_anomaly(ctx, err, dicom_pdu_name(PDU_DATA));
        return PROTO_MALFORMED;
    }
    dicom_emit_cmd(ctx, d, &cmd);
    dicom_store_evidence(ctx, &cmd);
    return 0;
}

static void dicom_malformed(const struct proto_ctx *ctx, const char *event, uint8_t type)
{
    proto_log_anomaly(ctx, event, dicom_pdu_name(type));
}

/*
 * A PDU header at the cursor. Association PDUs are read whole; a P-DATA-TF
 * has only its header consumed. Returns 0 after consuming (DICOM_RETURN
 * after an association PDU), PROTO_NEED_MORE (nothing consumed) or
 * PROTO_MALFORMED.
 */
static int dicom_pdu_start(const struct proto_ctx *ctx, struct dicom_state *st,
                           struct dicom_dir *d, struct ww_cursor *c)
{
    struct ww_cursor h = *c;
    uint8_t type, reserved;
    uint32_t len;
    const uint8_t *body;

    if (cursor_u8(&h, &type) < 0 || cursor_u8(&h, &reserved) < 0 || cursor_be32(&h, &len) < 0) {
        return PROTO_NEED_MORE;
    }
    if (dicom_pdu_name(type) == NULL) {
        proto_log_anomaly(ctx, "invalid_pdu_type", NULL);
        return PROTO_MALFORMED;
    }
    if (type == PDU_DATA) {
        if (len < DICOM_PDV_HDR_LEN) {
            dicom_malformed(ctx, "invalid_pdu_length", type);
            return PROTO_MALFORMED;
        }
        *c = h;
        d->pdu_left = len;
        d->phase = PH_PDV_HDR;
        return 0;
    }
    if (type == PDU_ASSOC_RQ || type == PDU_ASSOC_AC) {
        if (len < DICOM_ASSOC_FIXED_LEN || len > DICOM_ASSOC_PDU_MAX) {
            dicom_malformed(ctx, len < DICOM_ASSOC_FIXED_LEN ? "associate_too_short"
                                                             : "associate_too_long", type);
            return PROTO_MALFORMED;
        }
    } else if (len != DICOM_SHORT_PDU_LEN) {
        dicom_malformed(ctx, "invalid_pdu_length", type);
        return PROTO_MALFORMED;
    }
    if (cursor_bytes(&h, len, &body) < 0) {
        return PROTO_NEED_MORE;
    }
    *c = h;
    if (type == PDU_ASSOC_RQ || type == PDU_ASSOC_AC) {
        int rc = dicom_do_assoc(ctx, st, type, body, len);

        /* Return now, so that proto.c hands on this PDU's evidence before the next. */
        return rc == 0 ? DICOM_RETURN : rc;
    }
    dicom_do_short(ctx, type, body);
    return 0;
}

/* Where a fragment ends: the command is reported after its last fragment. */
static int dicom_fragment_end(const struct proto_ctx *ctx, struct dicom_dir *d)
{
    d->phase = d->pdu_left > 0 ? PH_PDV_HDR : PH_PDU;
    if ((d->mch & DICOM_MCH_COMMAND) && (d->mch & DICOM_MCH_LAST)) {
        return dicom_do_cmd(ctx, d);
    }
    return 0;
}

/* A PDV header inside a P-DATA-TF. Returns 0, PROTO_NEED_MORE or PROTO_MALFORMED. */
static int dicom_pdv_start(const struct proto_ctx *ctx, struct dicom_dir *d, struct ww_cursor *c)
{
    struct ww_cursor h = *c;
    uint32_t item_len;

    if (d->pdu_left < DICOM_PDV_HDR_LEN) {
        dicom_malformed(ctx, "pdv_overflow", PDU_DATA);
        return PROTO_MALFORMED;
    }
    if (cursor_be32(&h, &item_len) < 0 || cursor_u8(&h, &d->pc_id) < 0 ||
        cursor_u8(&h, &d->mch) < 0) {
        return PROTO_NEED_MORE;
    }
    if (item_len < DICOM_PDV_LEN_MIN || item_len - DICOM_PDV_LEN_MIN > d->pdu_left -
                                                                          DICOM_PDV_HDR_LEN) {
        dicom_malformed(ctx, item_len < DICOM_PDV_LEN_MIN ? "invalid_pdv_length" : "pdv_overflow",
                        PDU_DATA);
        return PROTO_MALFORMED;
    }
    if (d->mch & DICOM_MCH_COMMAND) {
        if (!d->cmd_open) {
            d->cmd_open = true;
            d->cmd_len = 0;
            d->cmd_pc_id = d->pc_id;
        }
    } else if (d->cmd_open) {
        dicom_malformed(ctx, "data_inside_command", PDU_DATA);
        return PROTO_MALFORMED;
    }
    *c = h;
    d->pdu_left -= DICOM_PDV_HDR_LEN;
    d->pdv_left = item_len - DICOM_PDV_LEN_MIN;
    d->phase = PH_PDV_BODY;
    return d->pdv_left == 0 ? dicom_fragment_end(ctx, d) : 0;
}

/* Fragment bytes: a command's are kept (to DICOM_CMD_MAX), a data set's skipped. */
static int dicom_pdv_body(const struct proto_ctx *ctx, struct dicom_dir *d, struct ww_cursor *c)
{
    size_t n = cursor_left(c) < d->pdv_left ? cursor_left(c) : d->pdv_left;
    const uint8_t *p;

    if (cursor_bytes(c, n, &p) < 0) {
        return PROTO_NEED_MORE;
    }
    if (d->mch & DICOM_MCH_COMMAND) {
        if (d->cmd_len < DICOM_CMD_MAX) {
            size_t room = DICOM_CMD_MAX - d->cmd_len;

            memcpy(d->cmd + d->cmd_len, p, n < room ? n : room);
        }
        d->cmd_len = n > UINT32_MAX - d->cmd_len ? UINT32_MAX : d->cmd_len + (uint32_t)n;
    }
    d->pdv_left -= (uint32_t)n;
    d->pdu_left -= (uint32_t)n;
    return d->pdv_left == 0 ? dicom_fragment_end(ctx, d) : 0;
}

/*
 * Reads whole association PDUs and any part of a P-DATA-TF. Returns the
 * bytes consumed, PROTO_NEED_MORE when not even a header is complete, or
 * PROTO_MALFORMED after an anomaly event.
 */
static int dicom_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data, size_t len)
{
    struct dicom_state *st = state;
    struct dicom_dir *d = &st->dir[ctx->dir == FLOW_TOCLIENT ? 1 : 0];
    struct ww_cursor cur;
    int rc = 0;

    /* Returns fit an int: stop at INT32_MAX bytes, the caller hands the rest back. */
    cursor_init(&cur, data, len < (size_t)INT32_MAX ? len : (size_t)INT32_MAX);
    while (cursor_left(&cur) > 0 && rc == 0) {
        if (d->phase == PH_PDU) {
            rc = dicom_pdu_start(ctx, st, d, &cur);
        } else if (d->phase == PH_PDV_HDR) {
            rc = dicom_pdv_start(ctx, d, &cur);
        } else {
            rc = dicom_pdv_body(ctx, d, &cur);
        }
    }
    if (rc == PROTO_MALFORMED) {
        return PROTO_MALFORMED;
    }
    return cur.pos > data ? (int)(cur.pos - data) : PROTO_NEED_MORE;
}

/*
 * A flow is DICOM when it starts with a PDU header of a known type whose
 * length fits it; an A-ASSOCIATE-RQ (how an association opens) must also
 * carry protocol version 1 when that much has arrived.
 */
static bool dicom_probe(const uint8_t *data, size_t len, int dir)
{
    struct ww_cursor c;
    uint8_t type, reserved;
    uint32_t pdu_len;
    uint16_t version;

    (void)dir;
    cursor_init(&c, data, len);
    if (cursor_u8(&c, &type) < 0 || dicom_pdu_name(type) == NULL) {
        return false;
    }
    if (cursor_u8(&c, &reserved) < 0 || cursor_be32(&c, &pdu_len) < 0) {
        return true; /* what there is fits */
    }
    if (type == PDU_ASSOC_RQ || type == PDU_ASSOC_AC) {
        if (pdu_len < DICOM_ASSOC_FIXED_LEN || pdu_len > DICOM_ASSOC_PDU_MAX) {
            return false;
        }
        return cursor_be16(&c, &version) < 0 || (version & 0x0001) != 0;
    }
    if (type == PDU_DATA) {
        return pdu_len >= DICOM_PDV_HDR_LEN;
    }
    return pdu_len == DICOM_SHORT_PDU_LEN;
}

const struct proto_parser proto_dicom_parser = {
    .name = "dicom",
    .proto = APP_DICOM,
    .ip_proto = 6,
    /* 104 is IANA's; 11112 is registered for DICOM too; 4242 is Orthanc's default. */
    .ports = {104, 11112, 4242},
    .probe = dicom_probe,
    .state_size = sizeof(struct dicom_state),
    .parse = dicom_parse,
    .state_free = NULL,
};
