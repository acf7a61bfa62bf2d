/* SPDX-License-Identifier: MIT */
/*
 * hl7: HL7 v2 messages over MLLP, one `hl7` event per message.
 *
 * Follows HL7 v2.x chapter 2 (control: message structure, MSH, MSA,
 * delimiters) and the Minimal Lower Layer Protocol of the HL7 v2
 * Implementation Guide (appendix C, MLLP release 2 framing):
 *
 *   0x0B | MSH|^~\&|app|fac|...|ADT^A01^ADT_A01|ctl|P|2.5 <CR> | PID|... <CR> | 0x1C 0x0D
 *   start  MSH-1 is the byte after "MSH", MSH-2 the        segments end in    end block
 *   block  encoding characters (component, repetition,     CR (LF and CRLF
 *          escape, subcomponent, truncation)               seen in the wild)
 *
 * The parser is a byte-at-a-time state machine per direction: it keeps only
 * the short values it reports, never the message, so a message of any size
 * up to HL7_MSG_MAX streams through without proto.c buffering it (an OBX
 * carrying a base64 PDF is routinely megabytes, far past PROTO_BUF_MAX).
 * It reports where a message came from and went, its type, its segment ids,
 * observation and equipment identifiers and acknowledgement codes. Patient
 * data (PID, NK1, PV1 values, OBX-5 results) is never copied anywhere.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "output/eve.h"
#include "output/json.h"
#include "proto/proto.h"
#include "util/cursor.h"

#define HL7_MLLP_START 0x0B /* VT: opens a frame */
#define HL7_MLLP_END 0x1C   /* FS: closes a frame, then CR */
#define HL7_CR 0x0D
#define HL7_MSG_MAX (16u << 20) /* bytes of one message; longer is malformed */
#define HL7_VALUE_MAX 64        /* bytes kept of one reported value; more is cut */
#define HL7_SEGMENTS_MAX 32     /* segment ids listed per message */
#define HL7_OBS_IDS_MAX 16      /* distinct OBX-3.1 identifiers listed */
#define HL7_EQUIP_IDS_MAX 8     /* distinct OBX-18 repetitions listed */
#define HL7_ENC_MAX 5           /* MSH-2: component, repetition, escape, sub, truncation */
#define HL7_SEG_ID_LEN 3
#define HL7_FIELD_MAX 0xFFFF /* field and component counters stop here */
#define HL7_BOM_LEN 3        /* a UTF-8 byte order mark some senders put before MSH */

static const uint8_t hl7_bom[HL7_BOM_LEN] = {0xEF, 0xBB, 0xBF};

enum hl7_phase {
    HL7_IDLE = 0, /* between frames */
    HL7_IN_FRAME, /* after 0x0B */
    HL7_END_FS,   /* after 0x1C: 0x0D must follow */
};

/* Segments whose fields are read; every other one is only named. */
enum hl7_seg {
    SEG_OTHER = 0,
    SEG_MSH, /* the first segment of a message */
    SEG_MSA,
    SEG_OBX,
};

/* Where the bytes of the current field or component go. */
enum hl7_slot {
    SLOT_NONE = 0,
    SLOT_SEND_APP,
    SLOT_SEND_FAC,
    SLOT_RECV_APP,
    SLOT_RECV_FAC,
    SLOT_MSG_TYPE,
    SLOT_TRIGGER,
    SLOT_STRUCTURE,
    SLOT_CONTROL_ID,
    SLOT_PROCESSING_ID,
    SLOT_VERSION,
    SLOT_ACK_CODE,
    SLOT_ACK_CONTROL_ID,
    SLOT_N_SINGLE,               /* the slots above hold one value each */
    SLOT_OBS_ID = SLOT_N_SINGLE, /* OBX-3.1, appended to a list */
    SLOT_EQUIP_ID,               /* each OBX-18 repetition, appended to a list */
};

enum hl7_error {
    HL7_OK = 0,
    HL7_ERR_OUTSIDE_FRAME,
    HL7_ERR_START_IN_FRAME,
    HL7_ERR_NO_CR_AFTER_END,
    HL7_ERR_NO_MSH,
    HL7_ERR_SEGMENT_ID,
    HL7_ERR_FIELD_SEP,
    HL7_ERR_ENCODING_CHARS,
    HL7_ERR_TOO_LONG,
    HL7_ERR_EMPTY,
};

static const char *const hl7_error_names[] = {
    "",
    "data outside an MLLP frame",
    "MLLP start block inside a message",
    "MLLP end block not followed by CR",
    "message does not start with MSH",
    "bad segment id",
    "bad field separator",
    "bad encoding characters",
    "message longer than HL7_MSG_MAX",
    "empty message",
};

/* Names in the event of the single-valued slots, by enum hl7_slot. */
static const char *const hl7_slot_names[SLOT_N_SINGLE] = {
    "",
    "sending_application",
    "sending_facility",
    "receiving_application",
    "receiving_facility",
    "message_type",
    "trigger_event",
    "message_structure",
    "control_id",
    "processing_id",
    "version",
    "ack_code",
    "ack_control_id",
};

/* Which slot a field (comp 0: the whole field) or one of its components feeds. */
static const struct hl7_where {
    uint8_t seg;
    uint8_t field;
    uint8_t comp;
    uint8_t slot;
} hl7_wheres[] = {
    {SEG_MSH, 3, 0, SLOT_SEND_APP},       {SEG_MSH, 4, 0, SLOT_SEND_FAC},
    {SEG_MSH, 5, 0, SLOT_RECV_APP},       {SEG_MSH, 6, 0, SLOT_RECV_FAC},
    {SEG_MSH, 9, 1, SLOT_MSG_TYPE},       {SEG_MSH, 9, 2, SLOT_TRIGGER},
    {SEG_MSH, 9, 3, SLOT_STRUCTURE},      {SEG_MSH, 10, 0, SLOT_CONTROL_ID},
    {SEG_MSH, 11, 0, SLOT_PROCESSING_ID}, {SEG_MSH, 12, 1, SLOT_VERSION},
    {SEG_MSA, 1, 0, SLOT_ACK_CODE},       {SEG_MSA, 2, 0, SLOT_ACK_CONTROL_ID},
    {SEG_OBX, 3, 1, SLOT_OBS_ID},         {SEG_OBX, 18, 0, SLOT_EQUIP_ID},
};

#define HL7_N_WHERES (sizeof(hl7_wheres) / sizeof(hl7_wheres[0]))

struct hl7_str {
    uint8_t len;
    uint8_t s[HL7_VALUE_MAX];
};

/* What one message has shown so far. */
struct hl7_msg {
    struct hl7_str single[SLOT_N_SINGLE];
    struct hl7_str obs_ids[HL7_OBS_IDS_MAX];
    struct hl7_str equip_ids[HL7_EQUIP_IDS_MAX];
    uint8_t n_obs_ids, n_equip_ids;
    uint8_t seg_ids[HL7_SEGMENTS_MAX][HL7_SEG_ID_LEN];
    uint32_t n_segments;
    uint32_t n_obx;
    uint32_t len; /* bytes between the start and end blocks */
    bool pid_present;
    bool truncated; /* a value, or a list, was cut at its cap */
};

/* One direction: frame phase, delimiters, where the tokenizer stands. */
struct hl7_dir {
    uint8_t phase; /* enum hl7_phase */
    uint8_t fs;    /* MSH-1 field separator */
    uint8_t enc[HL7_ENC_MAX];
    uint8_t n_enc;
    bool msh_seen;
    uint8_t bom_len; /* bytes of a byte order mark read at the start */
    /* the current segment */
    uint8_t seg_id[HL7_SEG_ID_LEN];
    uint8_t seg_id_len;
    uint8_t seg;    /* enum hl7_seg */
    uint16_t field; /* 0 until the separator after the id */
    uint16_t comp, rep;
    uint8_t slot;           /* enum hl7_slot */
    struct hl7_str scratch; /* a list slot's value until its end */
    struct hl7_msg msg;
};

struct hl7_state {
    struct hl7_dir dir[2]; /* FLOW_TOSERVER, FLOW_TOCLIENT */
};

static bool hl7_is_delim_char(uint8_t c)
{
    bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');

    return c > 0x20 && c < 0x7F && !alnum;
}

static bool hl7_is_seg_char(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

/* The component separator (MSH-2.1), or 0 before MSH-2 has been read. */
static uint8_t hl7_comp_sep(const struct hl7_dir *d)
{
    return d->n_enc > 0 ? d->enc[0] : 0;
}

static uint8_t hl7_rep_sep(const struct hl7_dir *d)
{
    return d->n_enc > 1 ? d->enc[1] : 0;
}

static void hl7_str_add(struct hl7_str *v, uint8_t c, bool *truncated)
{
    if (v->len < HL7_VALUE_MAX) {
        v->s[v->len++] = c;
    } else {
        *truncated = true;
    }
}

/* Appends v to list (n entries of cap) unless empty or already there. */
static void hl7_list_add(struct hl7_str *list, uint8_t *n, uint8_t cap, const struct hl7_str *v,
                         bool *truncated)
{
    if (v->len == 0) {
        return;
    }
    for (uint8_t i = 0; i < *n; i++) {
        if (list[i].len == v->len && memcmp(list[i].s, v->s, v->len) == 0) {
            return;
        }
    }
    if (*n >= cap) {
        *truncated = true;
        return;
    }
    list[(*n)++] = *v;
}

/* Ends the value being read: a list slot's scratch value joins its list. */
static void hl7_slot_end(struct hl7_dir *d)
{
    struct hl7_msg *m = &d->msg;

    if (d->slot == SLOT_OBS_ID) {
        hl7_list_add(m->obs_ids, &m->n_obs_ids, HL7_OBS_IDS_MAX, &d->scratch, &m->truncated);
    } else if (d->slot == SLOT_EQUIP_ID) {
        hl7_list_add(m->equip_ids, &m->n_equip_ids, HL7_EQUIP_IDS_MAX, &d->scratch, &m->truncated);
    }
    d->scratch.len = 0;
    d->slot = SLOT_NONE;
}

/* Picks the slot for the current segment, field, component and repetition. */
static void hl7_slot_pick(struct hl7_dir *d)
{
    d->slot = SLOT_NONE;
    for (size_t i = 0; i < HL7_N_WHERES; i++) {
        const struct hl7_where *w = &hl7_wheres[i];

        if (w->seg != d->seg || w->field != d->field) {
            continue;
        }
        if (w->comp != 0 && w->comp != d->comp) {
            continue;
        }
        /* Only OBX-18 lists its repetitions; other slots take the first. */
        if (d->rep > 1 && w->slot != SLOT_EQUIP_ID) {
            continue;
        }
        d->slot = w->slot;
        return;
    }
}

/* True when the current slot takes the whole field, separators included. */
static bool hl7_slot_whole(const struct hl7_dir *d)
{
    for (size_t i = 0; i < HL7_N_WHERES; i++) {
        if (hl7_wheres[i].slot == d->slot) {
            return hl7_wheres[i].comp == 0;
        }
    }
    return false;
}

static void hl7_slot_add(struct hl7_dir *d, uint8_t c)
{
    if (d->slot == SLOT_NONE) {
        return;
    }
    if (d->slot >= SLOT_N_SINGLE) {
        hl7_str_add(&d->scratch, c, &d->msg.truncated);
    } else {
        hl7_str_add(&d->msg.single[d->slot], c, &d->msg.truncated);
    }
}

/* Ends the current segment at a segment terminator or the end block. */
static enum hl7_error hl7_segment_end(struct hl7_dir *d)
{
    if (d->seg_id_len > 0 && d->seg_id_len < HL7_SEG_ID_LEN) {
        return HL7_ERR_SEGMENT_ID;
    }
    /* The first MSH must reach MSH-3: it defines the delimiters. */
    if (d->seg == SEG_MSH && d->field == 0) {
        return HL7_ERR_FIELD_SEP;
    }
    if (d->seg == SEG_MSH && d->field == 2) {
        return HL7_ERR_ENCODING_CHARS;
    }
    hl7_slot_end(d);
    d->seg_id_len = 0;
    d->seg = SEG_OTHER;
    d->field = 0;
    return HL7_OK;
}

/* Records a segment once its id is read and says how its fields are read. */
static enum hl7_error hl7_segment_begin(struct hl7_dir *d)
{
    struct hl7_msg *m = &d->msg;
    const uint8_t *id = d->seg_id;

    if (!d->msh_seen) {
        if (memcmp(id, "MSH", HL7_SEG_ID_LEN) != 0) {
            return HL7_ERR_NO_MSH;
        }
        d->msh_seen = true;
        d->seg = SEG_MSH;
    } else if (memcmp(id, "MSA", HL7_SEG_ID_LEN) == 0) {
        d->seg = SEG_MSA;
    } else if (memcmp(id, "OBX", HL7_SEG_ID_LEN) == 0) {
        d->seg = SEG_OBX;
        m->n_obx++;
    } else if (memcmp(id, "PID", HL7_SEG_ID_LEN) == 0) {
        m->pid_present = true;
    }
    if (m->n_segments < HL7_SEGMENTS_MAX) {
        memcpy(m->seg_ids[m->n_segments], id, HL7_SEG_ID_LEN);
    } else {
        m->truncated = true;
    }
    if (m->n_segments < UINT32_MAX) {
        m->n_segments++;
    }
    return HL7_OK;
}

/* The byte after a segment id: MSH-1 in the first MSH, the separator elsewhere. */
static enum hl7_error hl7_after_id(struct hl7_dir *d, uint8_t c)
{
    if (d->seg == SEG_MSH) {
        if (!hl7_is_delim_char(c)) {
            return HL7_ERR_FIELD_SEP;
        }
        d->fs = c;
        d->n_enc = 0;
        d->field = 2; /* MSH-1 is the separator itself: MSH-2 follows */
        return HL7_OK;
    }
    if (c != d->fs) {
        return HL7_ERR_FIELD_SEP;
    }
    d->field = memcmp(d->seg_id, "MSH", HL7_SEG_ID_LEN) == 0 ? 2 : 1;
    d->comp = 1;
    d->rep = 1;
    hl7_slot_pick(d);
    return HL7_OK;
}

/* A byte of MSH-2: the encoding characters, up to the next field separator. */
static enum hl7_error hl7_msh2_byte(struct hl7_dir *d, uint8_t c)
{
    if (c != d->fs) {
        if (d->n_enc >= HL7_ENC_MAX || !hl7_is_delim_char(c)) {
            return HL7_ERR_ENCODING_CHARS;
        }
        for (uint8_t i = 0; i < d->n_enc; i++) {
            if (d->enc[i] == c) {
                return HL7_ERR_ENCODING_CHARS;
            }
        }
        d->enc[d->n_enc++] = c;
        return HL7_OK;
    }
    if (d->n_enc == 0) {
        return HL7_ERR_ENCODING_CHARS;
    }
    d->field = 3;
    d->comp = 1;
    d->rep = 1;
    hl7_slot_pick(d);
    return HL7_OK;
}

/* A byte inside the fields of a segment. */
static void hl7_field_byte(struct hl7_dir *d, uint8_t c)
{
    if (c == d->fs) {
        hl7_slot_end(d);
        d->field = d->field < HL7_FIELD_MAX ? d->field + 1 : HL7_FIELD_MAX;
        d->comp = 1;
        d->rep = 1;
        hl7_slot_pick(d);
    } else if (c != 0 && c == hl7_rep_sep(d)) {
        hl7_slot_end(d);
        d->rep = d->rep < HL7_FIELD_MAX ? d->rep + 1 : HL7_FIELD_MAX;
        d->comp = 1;
        hl7_slot_pick(d);
    } else if (c != 0 && c == hl7_comp_sep(d) && !hl7_slot_whole(d)) {
        hl7_slot_end(d);
        d->comp = d->comp < HL7_FIELD_MAX ? d->comp + 1 : HL7_FIELD_MAX;
        hl7_slot_pick(d);
    } else {
        hl7_slot_add(d, c);
    }
}

/* A byte between the start and end blocks. */
static enum hl7_error hl7_frame_byte(struct hl7_dir *d, uint8_t c)
{
    if (++d->msg.len > HL7_MSG_MAX) {
        return HL7_ERR_TOO_LONG;
    }
    if (c == HL7_MLLP_START) {
        return HL7_ERR_START_IN_FRAME;
    }
    if (c == HL7_MLLP_END || c == HL7_CR || c == '\n') {
        if (c == HL7_MLLP_END) {
            d->msg.len--; /* the end block is not part of the message */
            d->phase = HL7_END_FS;
        }
        return hl7_segment_end(d);
    }
    if (d->msg.len == (uint32_t)d->bom_len + 1 && d->bom_len < HL7_BOM_LEN &&
        c == hl7_bom[d->bom_len]) {
        d->bom_len++;
        return HL7_OK;
    }
    if (d->seg_id_len < HL7_SEG_ID_LEN) {
        if (!hl7_is_seg_char(c) || (d->bom_len > 0 && d->bom_len < HL7_BOM_LEN)) {
            return HL7_ERR_SEGMENT_ID;
        }
        d->seg_id[d->seg_id_len++] = c;
        return d->seg_id_len == HL7_SEG_ID_LEN ? hl7_segment_begin(d) : HL7_OK;
    }
    if (d->field == 0) {
        return hl7_after_id(d, c);
    }
    if (d->seg == SEG_MSH && d->field == 2) {
        return hl7_msh2_byte(d, c);
    }
    hl7_field_byte(d, c);
    return HL7_OK;
}

/* Starts a frame: a new message with nothing seen. */
static void hl7_frame_begin(struct hl7_dir *d)
{
    memset(d, 0, sizeof(*d));
    d->phase = HL7_IN_FRAME;
}

static void hl7_emit_list(struct jbuf *jb, const char *key, const struct hl7_str *list, size_t n)
{
    if (n == 0) {
        return;
    }
    jb_array_open(jb, key);
    for (size_t i = 0; i < n; i++) {
        jb_strn(jb, NULL, list[i].s, list[i].len);
    }
    jb_array_close(jb);
}

/* What the message says of the applications at both ends, for the inventory. */
static void hl7_evidence(const struct proto_ctx *ctx, const struct hl7_msg *m)
{
    const struct hl7_str *sl = m->single;
    char type[2 * HL7_VALUE_MAX + 2];

    proto_evidence(ctx, PROTO_SENDER, "hl7.sending_application",
                   (const char *)sl[SLOT_SEND_APP].s, sl[SLOT_SEND_APP].len);
    proto_evidence(ctx, PROTO_SENDER, "hl7.sending_facility", (const char *)sl[SLOT_SEND_FAC].s,
                   sl[SLOT_SEND_FAC].len);
    proto_evidence(ctx, PROTO_RECEIVER, "hl7.receiving_application",
                   (const char *)sl[SLOT_RECV_APP].s, sl[SLOT_RECV_APP].len);
    if (sl[SLOT_MSG_TYPE].len > 0) {
        snprintf(type, sizeof(type), "%.*s^%.*s", (int)sl[SLOT_MSG_TYPE].len, sl[SLOT_MSG_TYPE].s,
                 (int)sl[SLOT_TRIGGER].len, sl[SLOT_TRIGGER].s);
        proto_evidence_str(ctx, PROTO_SENDER, "hl7.message_type", type);
    }
    if (m->pid_present) { /* the parser sees only plain TCP: patient identity in clear */
        proto_evidence_str(ctx, PROTO_SENDER, "hl7.pid", "sent in clear");
    }
}

/* One hl7 event for the message of d; err names why parsing stopped, if it did. */
static void hl7_emit(const struct proto_ctx *ctx, const struct hl7_dir *d, enum hl7_error err)
{
    const struct hl7_msg *m = &d->msg;
    struct jbuf *jb = proto_event_begin(ctx, "hl7");
    uint32_t n_listed = m->n_segments < HL7_SEGMENTS_MAX ? m->n_segments : HL7_SEGMENTS_MAX;

    jb_object_open(jb, "hl7");
    for (int s = SLOT_NONE + 1; s < SLOT_N_SINGLE; s++) {
        if (m->single[s].len > 0) {
            jb_strn(jb, hl7_slot_names[s], m->single[s].s, m->single[s].len);
        }
    }
    if (n_listed > 0) {
        jb_array_open(jb, "segments");
        for (uint32_t i = 0; i < n_listed; i++) {
            jb_strn(jb, NULL, m->seg_ids[i], HL7_SEG_ID_LEN);
        }
        jb_array_close(jb);
    }
    jb_u64(jb, "segment_count", m->n_segments);
    jb_bool(jb, "pid_present", m->pid_present);
    jb_u64(jb, "obx_count", m->n_obx);
    hl7_emit_list(jb, "observation_ids", m->obs_ids, m->n_obs_ids);
    hl7_emit_list(jb, "equipment_ids", m->equip_ids, m->n_equip_ids);
    jb_u64(jb, "message_len", m->len);
    if (m->truncated) {
        jb_bool(jb, "truncated", true);
    }
    if (err != HL7_OK) {
        jb_str(jb, "malformed", hl7_error_names[err]);
    }
    jb_object_close(jb);
    eve_commit(ctx->eve);
    hl7_evidence(ctx, m);
    if (err != HL7_OK) {
        proto_log_anomaly(ctx, hl7_error_names[err], NULL);
    }
}

/* One byte of the stream. Sets *done when it ends a message. */
static enum hl7_error hl7_byte(const struct proto_ctx *ctx, struct hl7_dir *d, uint8_t c,
                               bool *done)
{
    switch (d->phase) {
    case HL7_IDLE:
        if (c == HL7_MLLP_START) {
            hl7_frame_begin(d);
            return HL7_OK;
        }
        /* Some senders put a CR or LF between frames. */
        return c == HL7_CR || c == '\n' ? HL7_OK : HL7_ERR_OUTSIDE_FRAME;
    case HL7_IN_FRAME:
        return hl7_frame_byte(d, c);
    default:
        if (c != HL7_CR) {
            return HL7_ERR_NO_CR_AFTER_END;
        }
        if (!d->msh_seen) {
            return HL7_ERR_EMPTY;
        }
        hl7_emit(ctx, d, HL7_OK);
        memset(d, 0, sizeof(*d)); /* idle, and nothing of it left for a later event */
        *done = true;
        return HL7_OK;
    }
}

/*
 * Reads bytes of one direction up to the end of a message or of data.
 * Returns the bytes consumed (a partial message is consumed too: the state
 * remembers it), PROTO_NEED_MORE for no data, or PROTO_MALFORMED after an
 * event that says why.
 */
static int hl7_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data, size_t len)
{
    struct hl7_state *st = state;
    struct hl7_dir *d = &st->dir[ctx->dir == FLOW_TOCLIENT ? 1 : 0];
    struct ww_cursor cur;
    bool done = false;
    uint8_t c;

    if (len == 0) {
        return PROTO_NEED_MORE;
    }
    /* Returns fit an int: stop at INT_MAX bytes, the caller hands the rest back. */
    cursor_init(&cur, data, len < (size_t)INT32_MAX ? len : (size_t)INT32_MAX);
    while (!done && cursor_u8(&cur, &c) == 0) {
        enum hl7_error err = hl7_byte(ctx, d, c, &done);

        if (err != HL7_OK) {
            hl7_emit(ctx, d, err);
            d->phase = HL7_IDLE;
            return PROTO_MALFORMED;
        }
    }
    return (int)(cur.pos - data);
}

/* Whether data begins with start, or with as much of it as data holds. */
static bool hl7_prefix(const uint8_t *data, size_t len, const uint8_t *start, size_t start_len)
{
    size_t n = len < start_len ? len : start_len;

    return n > 0 && memcmp(data, start, n) == 0;
}

/* A flow is HL7 when it starts with the start block and "MSH", a BOM allowed between. */
static bool hl7_probe(const uint8_t *data, size_t len, int dir)
{
    static const uint8_t start[] = {HL7_MLLP_START, 'M', 'S', 'H'};
    static const uint8_t start_bom[] = {HL7_MLLP_START, 0xEF, 0xBB, 0xBF, 'M', 'S', 'H'};

    (void)dir;
    return hl7_prefix(data, len, start, sizeof(start)) ||
           hl7_prefix(data, len, start_bom, sizeof(start_bom));
}

const struct proto_parser proto_hl7_parser = {
    .name = "hl7",
    .proto = APP_HL7,
    .ip_proto = 6,
    /* 2575 is IANA's; interface engines listen on 6660-6662 in common setups. */
    .ports = {2575, 6661, 6660, 6662},
    .probe = hl7_probe,
    .state_size = sizeof(struct hl7_state),
    .parse = hl7_parse,
    .state_free = NULL,
};
