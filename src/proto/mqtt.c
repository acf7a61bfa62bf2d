/* SPDX-License-Identifier: MIT */
/*
 * mqtt: MQTT control packets as EVE events, one event per packet.
 *
 * Follows MQTT V3.1 (IBM and Eurotech, 2010; protocol name "MQIsdp", level
 * 3), MQTT Version 3.1.1 (OASIS Standard, 2014; "MQTT", level 4) and MQTT
 * Version 5.0 (OASIS Standard, 2019; "MQTT", level 5). Every control packet
 * starts with a fixed header (section 2.2 of 3.1.1, 2.1 of 5.0):
 *
 *   bit     7   6   5   4   3   2   1   0
 *         +---------------+---------------+
 *  byte 1 |  packet type  |  flags        |  PUBLISH flags: DUP, QoS (2 bits), RETAIN
 *         +---------------+---------------+
 *  byte 2 |  remaining length, 1 to 4 bytes of 7 bits, least significant
 *   ...   |  group first; bit 7 set means another byte follows
 *         +-------------------------------+
 *         |  variable header and payload: remaining length bytes
 *
 * Strings are a big-endian u16 length and that many bytes. MQTT 5 adds a
 * property block (variable byte integer length, then id/value pairs) to
 * most packets. Passwords, will messages, PUBLISH payloads and MQTT 5
 * authentication data, correlation data and user properties never reach an
 * event: only that they were there, or their length.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/proto.h"
#include "util/cursor.h"

#define MQTT_PORT 1883
#define MQTT_VARINT_MAX 4 /* bytes of a variable byte integer */
#define MQTT_FIXED_MAX (1 + MQTT_VARINT_MAX)
#define MQTT_REMAINING_MAX (16u << 20) /* longest packet body accepted, bytes */
/* Longest body of a packet other than PUBLISH, and of a PUBLISH's variable
 * header: it must fit the bytes the proto layer holds for us. */
#define MQTT_BODY_MAX (PROTO_BUF_MAX - MQTT_FIXED_MAX)
#define MQTT_TOPICS_MAX 64 /* topics listed in one event; more are not */
#define MQTT_CODES_MAX 64  /* return or reason codes listed in one event */

enum mqtt_type {
    MQTT_CONNECT = 1,
    MQTT_CONNACK,
    MQTT_PUBLISH,
    MQTT_PUBACK,
    MQTT_PUBREC,
    MQTT_PUBREL,
    MQTT_PUBCOMP,
    MQTT_SUBSCRIBE,
    MQTT_SUBACK,
    MQTT_UNSUBSCRIBE,
    MQTT_UNSUBACK,
    MQTT_PINGREQ,
    MQTT_PINGRESP,
    MQTT_DISCONNECT,
    MQTT_AUTH,
};

/* CONNECT flags (3.1.1 section 3.1.2.3). */
#define MQTT_CF_USERNAME 0x80
#define MQTT_CF_PASSWORD 0x40
#define MQTT_CF_WILL_RETAIN 0x20
#define MQTT_CF_WILL 0x04
#define MQTT_CF_CLEAN 0x02

/* What a step of parsing found; the errors are the anomaly events' names. */
enum mqtt_rc {
    MQTT_OK = 0,
    MQTT_NEED_MORE,
    MQTT_ERR_TRUNCATED, /* a field runs past the end of its packet */
    MQTT_ERR_VARINT,    /* a variable byte integer longer than 4 bytes */
    MQTT_ERR_TOO_LONG,  /* remaining length above its cap */
    MQTT_ERR_PROTOCOL,  /* CONNECT with an unknown protocol name or level */
    MQTT_ERR_QOS,       /* QoS 3 */
    MQTT_ERR_TYPE,      /* packet type 0, or AUTH before MQTT 5 */
    MQTT_ERR_PROPERTY,  /* an MQTT 5 property id the standard does not define */
    MQTT_ERR_NO_TOPICS, /* SUBSCRIBE or UNSUBSCRIBE without a topic filter */
    MQTT_RC_MAX
};

static const char *const mqtt_rc_names[MQTT_RC_MAX] = {
    "",
    "",
    "truncated_field",
    "invalid_varint",
    "packet_too_long",
    "unknown_protocol",
    "invalid_qos_level",
    "unassigned_msg_type",
    "invalid_property",
    "missing_topics",
};

/* Member names of the event object per packet type, as Suricata's EVE. */
static const char *const mqtt_type_names[16] = {
    "reserved", "connect",  "connack",    "publish", "puback",      "pubrec",
    "pubrel",   "pubcomp",  "subscribe",  "suback",  "unsubscribe", "unsuback",
    "pingreq",  "pingresp", "disconnect", "auth",
};

/* Per flow. */
enum mqtt_login { MQTT_LOGIN_NONE = 0, MQTT_LOGIN_CREDENTIALS, MQTT_LOGIN_ANONYMOUS };

struct mqtt_state {
    uint8_t version;  /* protocol level of the last CONNECT: 3, 4, 5; 0 before one */
    uint8_t login;    /* what the last CONNECT offered, for its CONNACK's evidence */
    uint32_t skip[2]; /* PUBLISH payload bytes still to pass over, per direction */
};

struct mqtt_hdr {
    uint8_t type, flags;
    uint32_t rem;   /* remaining length, bytes */
    size_t hdr_len; /* bytes of the fixed header */
};

/* A run of packet bytes; data stays in the caller's buffer. */
struct mqtt_span {
    const uint8_t *p;
    size_t len;
};

typedef int (*mqtt_handler)(const struct proto_ctx *ctx, struct mqtt_state *st,
                            const struct mqtt_hdr *h, struct ww_cursor *c);

/* Reads a variable byte integer. Returns MQTT_OK, MQTT_NEED_MORE or MQTT_ERR_VARINT. */
static int mqtt_varint(struct ww_cursor *c, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < MQTT_VARINT_MAX; i++) {
        uint8_t b;

        if (cursor_u8(c, &b) < 0) {
            return MQTT_NEED_MORE;
        }
        v |= (uint32_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            *out = v;
            return MQTT_OK;
        }
    }
    return MQTT_ERR_VARINT;
}

/* Reads a u16-length-prefixed string or binary field. */
static int mqtt_str(struct ww_cursor *c, struct mqtt_span *s)
{
    uint16_t n;

    if (cursor_be16(c, &n) < 0 || cursor_bytes(c, n, &s->p) < 0) {
        return MQTT_ERR_TRUNCATED;
    }
    s->len = n;
    return MQTT_OK;
}

static bool mqtt_span_is(const struct mqtt_span *s, const char *lit)
{
    size_t n = strlen(lit);

    return s->len == n && memcmp(s->p, lit, n) == 0;
}

/* ---- MQTT 5 properties (5.0 section 2.2.2.2) ---- */

enum mqtt_ptype { PT_BYTE, PT_U16, PT_U32, PT_VARINT, PT_STR, PT_BIN, PT_PAIR };

struct mqtt_prop_def {
    uint8_t id;
    uint8_t type;     /* enum mqtt_ptype */
    const char *name; /* member name in events; NULL: never reported */
};

static const struct mqtt_prop_def mqtt_prop_defs[] = {
    {0x01, PT_BYTE, "payload_format_indicator"},
    {0x02, PT_U32, "message_expiry_interval"},
    {0x03, PT_STR, "content_type"},
    {0x08, PT_STR, "response_topic"},
    {0x09, PT_BIN, NULL}, /* correlation data: the application's own bytes */
    {0x0b, PT_VARINT, "subscription_identifier"},
    {0x11, PT_U32, "session_expiry_interval"},
    {0x12, PT_STR, "assigned_client_identifier"},
    {0x13, PT_U16, "server_keep_alive"},
    {0x15, PT_STR, "authentication_method"},
    {0x16, PT_BIN, NULL}, /* authentication data: a credential */
    {0x17, PT_BYTE, "request_problem_information"},
    {0x18, PT_U32, "will_delay_interval"},
    {0x19, PT_BYTE, "request_response_information"},
    {0x1a, PT_STR, "response_information"},
    {0x1c, PT_STR, "server_reference"},
    {0x1f, PT_STR, "reason_string"},
    {0x21, PT_U16, "receive_maximum"},
    {0x22, PT_U16, "topic_alias_maximum"},
    {0x23, PT_U16, "topic_alias"},
    {0x24, PT_BYTE, "maximum_qos"},
    {0x25, PT_BYTE, "retain_available"},
    {0x26, PT_PAIR, NULL}, /* user property: free-form, may carry anything */
    {0x27, PT_U32, "maximum_packet_size"},
    {0x28, PT_BYTE, "wildcard_subscription_available"},
    {0x29, PT_BYTE, "subscription_identifier_available"},
    {0x2a, PT_BYTE, "shared_subscription_available"},
};

#define MQTT_N_PROPS (sizeof(mqtt_prop_defs) / sizeof(mqtt_prop_defs[0]))

static const struct mqtt_prop_def *mqtt_prop_find(uint8_t id)
{
    for (size_t i = 0; i < MQTT_N_PROPS; i++) {
        if (mqtt_prop_defs[i].id == id) {
            return &mqtt_prop_defs[i];
        }
    }
    return NULL;
}

/* Reads one property's value; writes it to jb when jb is not NULL and it is reportable. */
static int mqtt_prop_value(struct ww_cursor *c, const struct mqtt_prop_def *d, struct jbuf *jb)
{
    struct mqtt_span s, v;
    uint32_t n = 0;
    uint16_t w;
    uint8_t b;
    bool ok;

    switch (d->type) {
    case PT_BYTE:
        ok = cursor_u8(c, &b) == 0;
        n = b;
        break;
    case PT_U16:
        ok = cursor_be16(c, &w) == 0;
        n = w;
        break;
    case PT_U32:
        ok = cursor_be32(c, &n) == 0;
        break;
    case PT_VARINT:
        ok = mqtt_varint(c, &n) == MQTT_OK;
        break;
    case PT_PAIR:
        ok = mqtt_str(c, &s) == MQTT_OK && mqtt_str(c, &v) == MQTT_OK;
        return ok ? MQTT_OK : MQTT_ERR_TRUNCATED;
    default: /* PT_STR, PT_BIN */
        if (mqtt_str(c, &s) != MQTT_OK) {
            return MQTT_ERR_TRUNCATED;
        }
        if (jb != NULL && d->name != NULL) {
            jb_strn(jb, d->name, s.p, s.len);
        }
        return MQTT_OK;
    }
    if (!ok) {
        return MQTT_ERR_TRUNCATED;
    }
    if (jb != NULL && d->name != NULL) {
        jb_u64(jb, d->name, n);
    }
    return MQTT_OK;
}

/*
 * Walks the properties in c. Without jb it only checks them; with jb it
 * writes the first of each reportable id (a repeated id would repeat a key).
 */
static int mqtt_props_walk(struct ww_cursor *c, struct jbuf *jb)
{
    uint64_t seen = 0; /* bit per id already written; every defined id is below 64 */

    while (cursor_left(c) > 0) {
        const struct mqtt_prop_def *d;
        uint8_t id;
        int rc;

        (void)cursor_u8(c, &id);
        d = mqtt_prop_find(id);
        if (d == NULL) {
            return MQTT_ERR_PROPERTY;
        }
        rc = mqtt_prop_value(c, d, (seen >> id) & 1 ? NULL : jb);
        if (rc != MQTT_OK) {
            return rc;
        }
        seen |= 1ull << id;
    }
    return MQTT_OK;
}

/* Reads and checks a property block; *out spans its properties. */
static int mqtt_props_read(struct ww_cursor *c, struct mqtt_span *out)
{
    struct ww_cursor pc;
    uint32_t n;
    int rc = mqtt_varint(c, &n);

    if (rc != MQTT_OK) {
        return rc == MQTT_NEED_MORE ? MQTT_ERR_TRUNCATED : rc;
    }
    if (cursor_bytes(c, n, &out->p) < 0) {
        return MQTT_ERR_TRUNCATED;
    }
    out->len = n;
    cursor_init(&pc, out->p, n);
    return mqtt_props_walk(&pc, NULL);
}

/* The same when present is true; otherwise *out is empty. */
static int mqtt_props_if(struct ww_cursor *c, bool present, struct mqtt_span *out)
{
    *out = (struct mqtt_span){NULL, 0};
    return present ? mqtt_props_read(c, out) : MQTT_OK;
}

#define MQTT_PROP_AUTH_METHOD 0x15

/* Whether checked properties hold one of this id. */
static bool mqtt_props_has(const struct mqtt_span *s, uint8_t want)
{
    struct ww_cursor c;
    uint8_t id;

    cursor_init(&c, s->p, s->len);
    while (s->len > 0 && cursor_u8(&c, &id) == 0) {
        const struct mqtt_prop_def *d = mqtt_prop_find(id);

        if (id == want) {
            return true;
        }
        if (d == NULL || mqtt_prop_value(&c, d, NULL) != MQTT_OK) {
            return false;
        }
    }
    return false;
}

/* Writes the reportable members of checked properties as object "properties". */
static void mqtt_props_write(struct jbuf *jb, const struct mqtt_span *s)
{
    struct ww_cursor c;

    if (s->len == 0) {
        return;
    }
    cursor_init(&c, s->p, s->len);
    jb_object_open(jb, "properties");
    (void)mqtt_props_walk(&c, jb);
    jb_object_close(jb);
}

/* ---- events ---- */

/* Starts an event with the object mqtt.<packet type> and the fixed header's flags. */
static struct jbuf *mqtt_event_open(const struct proto_ctx *ctx, const struct mqtt_hdr *h)
{
    struct jbuf *jb = proto_event_begin(ctx, "mqtt");

    jb_object_open(jb, "mqtt");
    jb_object_open(jb, mqtt_type_names[h->type & 15]);
    jb_u64(jb, "qos", (h->flags >> 1) & 3);
    jb_bool(jb, "retain", (h->flags & 1) != 0);
    jb_bool(jb, "dup", (h->flags & 8) != 0);
    return jb;
}

static void mqtt_event_close(const struct proto_ctx *ctx, struct jbuf *jb)
{
    jb_object_close(jb);
    jb_object_close(jb);
    eve_commit(ctx->eve);
}

/* A malformed packet: an anomaly event. Returns PROTO_MALFORMED for the caller to pass on. */
static int mqtt_malformed(const struct proto_ctx *ctx, int rc, uint8_t type)
{
    proto_log_anomaly(ctx, mqtt_rc_names[rc < MQTT_RC_MAX ? rc : MQTT_ERR_TRUNCATED],
                      mqtt_type_names[type & 15]);
    return PROTO_MALFORMED;
}

/* ---- CONNECT (3.1.1 section 3.1, 5.0 section 3.1) ---- */

struct mqtt_connect {
    struct mqtt_span name, client_id, will_topic, username, password, props, will_props;
    uint8_t level, flags;
    uint16_t keep_alive;
    size_t will_len; /* bytes of the will message, never kept */
};

/* Known protocol name and level pairs; bit 7 of the level marks a bridge. */
static bool mqtt_protocol_known(const struct mqtt_span *name, uint8_t level)
{
    uint8_t v = level & 0x7f;

    return (v == 3 && mqtt_span_is(name, "MQIsdp")) ||
           ((v == 4 || v == 5) && mqtt_span_is(name, "MQTT"));
}

/* The will: MQTT 5 properties, topic, message (3.1.3.2 to 3.1.3.4). */
static int mqtt_connect_will(struct ww_cursor *c, struct mqtt_connect *m)
{
    struct mqtt_span msg;
    int rc;

    if ((m->level & 0x7f) == 5) {
        rc = mqtt_props_read(c, &m->will_props);
        if (rc != MQTT_OK) {
            return rc;
        }
    }
    if (mqtt_str(c, &m->will_topic) != MQTT_OK || mqtt_str(c, &msg) != MQTT_OK) {
        return MQTT_ERR_TRUNCATED;
    }
    m->will_len = msg.len;
    return MQTT_OK;
}

static int mqtt_connect_read(struct ww_cursor *c, struct mqtt_connect *m)
{
    int rc;

    memset(m, 0, sizeof(*m));
    if (mqtt_str(c, &m->name) != MQTT_OK || cursor_u8(c, &m->level) < 0 ||
        cursor_u8(c, &m->flags) < 0 || cursor_be16(c, &m->keep_alive) < 0) {
        return MQTT_ERR_TRUNCATED;
    }
    if (!mqtt_protocol_known(&m->name, m->level)) {
        return MQTT_ERR_PROTOCOL;
    }
    rc = mqtt_props_if(c, (m->level & 0x7f) == 5, &m->props);
    if (rc != MQTT_OK) {
        return rc;
    }
    if (mqtt_str(c, &m->client_id) != MQTT_OK) {
        return MQTT_ERR_TRUNCATED;
    }
    rc = (m->flags & MQTT_CF_WILL) ? mqtt_connect_will(c, m) : MQTT_OK;
    if (rc != MQTT_OK) {
        return rc;
    }
    if ((m->flags & MQTT_CF_USERNAME) && mqtt_str(c, &m->username) != MQTT_OK) {
        return MQTT_ERR_TRUNCATED;
    }
    /* The password stays in the packet: it is handed to the credential listener only. */
    if ((m->flags & MQTT_CF_PASSWORD) && mqtt_str(c, &m->password) != MQTT_OK) {
        return MQTT_ERR_TRUNCATED;
    }
    return MQTT_OK;
}

static void mqtt_connect_flags(struct jbuf *jb, uint8_t flags)
{
    jb_object_open(jb, "flags");
    jb_bool(jb, "username", (flags & MQTT_CF_USERNAME) != 0);
    jb_bool(jb, "password", (flags & MQTT_CF_PASSWORD) != 0);
    jb_bool(jb, "will_retain", (flags & MQTT_CF_WILL_RETAIN) != 0);
    jb_bool(jb, "will", (flags & MQTT_CF_WILL) != 0);
    jb_bool(jb, "clean_session", (flags & MQTT_CF_CLEAN) != 0);
    jb_object_close(jb);
}

static int mqtt_connect(const struct proto_ctx *ctx, struct mqtt_state *st,
                        const struct mqtt_hdr *h, struct ww_cursor *c)
{
    struct mqtt_connect m;
    struct jbuf *jb;
    int rc = mqtt_connect_read(c, &m);

    if (rc != MQTT_OK) {
        return rc;
    }
    st->version = m.level & 0x7f;
    /* MQTT 5 enhanced authentication (an authentication method) is neither */
    st->login = (m.flags & (MQTT_CF_USERNAME | MQTT_CF_PASSWORD))
                    ? MQTT_LOGIN_CREDENTIALS
                : mqtt_props_has(&m.props, MQTT_PROP_AUTH_METHOD) ? MQTT_LOGIN_NONE
                                                                  : MQTT_LOGIN_ANONYMOUS;
    if (st->login == MQTT_LOGIN_CREDENTIALS) {
        proto_credential(ctx, "mqtt", m.username.p, m.username.len, m.password.p,
                         m.password.len);
    }
    jb = mqtt_event_open(ctx, h);
    jb_strn(jb, "protocol_string", m.name.p, m.name.len);
    jb_u64(jb, "protocol_version", st->version);
    mqtt_connect_flags(jb, m.flags);
    jb_strn(jb, "client_id", m.client_id.p, m.client_id.len);
    proto_evidence(ctx, PROTO_SENDER, "mqtt.client_id", (const char *)m.client_id.p,
                   m.client_id.len);
    if (m.flags & MQTT_CF_USERNAME) {
        jb_strn(jb, "username", m.username.p, m.username.len);
    }
    jb_bool(jb, "password_seen", (m.flags & MQTT_CF_PASSWORD) != 0);
    jb_u64(jb, "keep_alive", m.keep_alive);
    if (m.flags & MQTT_CF_WILL) {
        jb_object_open(jb, "will");
        jb_strn(jb, "topic", m.will_topic.p, m.will_topic.len);
        jb_u64(jb, "qos", (m.flags >> 3) & 3);
        jb_u64(jb, "message_len", m.will_len);
        mqtt_props_write(jb, &m.will_props);
        jb_object_close(jb);
    }
    mqtt_props_write(jb, &m.props);
    mqtt_event_close(ctx, jb);
    return MQTT_OK;
}

/* ---- CONNACK (3.2) ---- */

/*
 * The broker's answer to the last CONNECT, as evidence about the broker: a
 * login in clear and its outcome, or a client let in without credentials.
 */
static void mqtt_login_evidence(const struct proto_ctx *ctx, struct mqtt_state *st, uint8_t code)
{
    if (st->login == MQTT_LOGIN_CREDENTIALS) {
        proto_evidence_str(ctx, PROTO_SENDER, "login.mqtt", code == 0 ? "success" : "failure");
    } else if (st->login == MQTT_LOGIN_ANONYMOUS && code == 0) {
        proto_evidence_str(ctx, PROTO_SENDER, "mqtt.anonymous", "accepted");
    }
    st->login = MQTT_LOGIN_NONE;
}

static int mqtt_connack(const struct proto_ctx *ctx, struct mqtt_state *st,
                        const struct mqtt_hdr *h, struct ww_cursor *c)
{
    struct mqtt_span props = {NULL, 0};
    uint8_t ack_flags, code;
    struct jbuf *jb;
    int rc;

    if (cursor_u8(c, &ack_flags) < 0 || cursor_u8(c, &code) < 0) {
        return MQTT_ERR_TRUNCATED;
    }
    /* A server refusing the version may answer an MQTT 5 CONNECT the 3.1.1 way. */
    rc = mqtt_props_if(c, st->version == 5 && cursor_left(c) > 0, &props);
    if (rc != MQTT_OK) {
        return rc;
    }
    jb = mqtt_event_open(ctx, h);
    jb_bool(jb, "session_present", (ack_flags & 1) != 0);
    jb_u64(jb, "return_code", code);
    mqtt_props_write(jb, &props);
    mqtt_event_close(ctx, jb);
    mqtt_login_evidence(ctx, st, code);
    return MQTT_OK;
}

/* ---- PUBLISH (3.3) ---- */

struct mqtt_publish {
    struct mqtt_span topic, props;
    uint16_t message_id;
    size_t var_len; /* bytes of the variable header; the payload is the rest */
};

static int mqtt_publish_read(struct ww_cursor *c, uint8_t version, const struct mqtt_hdr *h,
                             struct mqtt_publish *m)
{
    const uint8_t *start = c->pos;
    uint8_t qos = (h->flags >> 1) & 3;
    int rc;

    memset(m, 0, sizeof(*m));
    if (qos == 3) {
        return MQTT_ERR_QOS;
    }
    if (mqtt_str(c, &m->topic) != MQTT_OK) {
        return MQTT_ERR_TRUNCATED;
    }
    if (qos > 0 && cursor_be16(c, &m->message_id) < 0) {
        return MQTT_ERR_TRUNCATED;
    }
    rc = mqtt_props_if(c, version == 5, &m->props);
    if (rc != MQTT_OK) {
        return rc;
    }
    m->var_len = (size_t)(c->pos - start);
    return MQTT_OK;
}

/* The event of a PUBLISH whose variable header was read: the payload only by its length. */
static void mqtt_publish_event(const struct proto_ctx *ctx, const struct mqtt_hdr *h,
                               const struct mqtt_publish *m)
{
    struct jbuf *jb = mqtt_event_open(ctx, h);

    jb_strn(jb, "topic", m->topic.p, m->topic.len);
    if (((h->flags >> 1) & 3) > 0) {
        jb_u64(jb, "message_id", m->message_id);
    }
    jb_u64(jb, "payload_len", h->rem - m->var_len);
    mqtt_props_write(jb, &m->props);
    mqtt_event_close(ctx, jb);
}

static int mqtt_publish(const struct proto_ctx *ctx, struct mqtt_state *st,
                        const struct mqtt_hdr *h, struct ww_cursor *c)
{
    struct mqtt_publish m;
    int rc = mqtt_publish_read(c, st->version, h, &m);

    if (rc == MQTT_OK) {
        mqtt_publish_event(ctx, h, &m);
    }
    return rc;
}

/*
 * A PUBLISH longer than the bytes at hand: once its variable header is in,
 * the event is written and the payload is passed over as it comes, so a
 * large payload is never held. Returns bytes consumed, NEED_MORE or MALFORMED.
 */
static int mqtt_publish_partial(const struct proto_ctx *ctx, struct mqtt_state *st,
                                const struct mqtt_hdr *h, struct ww_cursor *c, size_t len)
{
    struct mqtt_publish m;
    int rc = mqtt_publish_read(c, st->version, h, &m);

    if (rc == MQTT_ERR_TRUNCATED && len < MQTT_BODY_MAX) {
        return PROTO_NEED_MORE;
    }
    if (rc == MQTT_ERR_TRUNCATED) {
        rc = MQTT_ERR_TOO_LONG; /* a variable header that cannot be held */
    }
    if (rc != MQTT_OK) {
        return mqtt_malformed(ctx, rc, h->type);
    }
    mqtt_publish_event(ctx, h, &m);
    st->skip[ctx->dir & 1] = (uint32_t)(h->hdr_len + h->rem - len);
    return (int)len;
}

/* ---- PUBACK, PUBREC, PUBREL, PUBCOMP (3.4 to 3.7) ---- */

static int mqtt_ack(const struct proto_ctx *ctx, struct mqtt_state *st, const struct mqtt_hdr *h,
                    struct ww_cursor *c)
{
    struct mqtt_span props = {NULL, 0};
    uint8_t reason = 0; /* MQTT 5: left out means 0, Success */
    uint16_t id;
    struct jbuf *jb;
    int rc;

    if (cursor_be16(c, &id) < 0) {
        return MQTT_ERR_TRUNCATED;
    }
    if (st->version == 5 && cursor_left(c) > 0) {
        (void)cursor_u8(c, &reason);
        rc = mqtt_props_if(c, cursor_left(c) > 0, &props);
        if (rc != MQTT_OK) {
            return rc;
        }
    }
    jb = mqtt_event_open(ctx, h);
    jb_u64(jb, "message_id", id);
    if (st->version == 5) {
        jb_u64(jb, "reason_code", reason);
    }
    mqtt_props_write(jb, &props);
    mqtt_event_close(ctx, jb);
    return MQTT_OK;
}

/* ---- SUBSCRIBE, UNSUBSCRIBE (3.8, 3.10) ---- */

/*
 * Walks a topic filter list: a string, then for SUBSCRIBE an options byte.
 * Without jb it checks the list; with jb it writes "topics". Returns the
 * result and sets *n to the number of filters.
 */
static int mqtt_topics_walk(struct ww_cursor *c, bool sub, struct jbuf *jb, size_t *n)
{
    *n = 0;
    while (cursor_left(c) > 0) {
        struct mqtt_span t;
        uint8_t opts = 0;

        if (mqtt_str(c, &t) != MQTT_OK || (sub && cursor_u8(c, &opts) < 0)) {
            return MQTT_ERR_TRUNCATED;
        }
        if ((opts & 3) == 3) {
            return MQTT_ERR_QOS;
        }
        if (jb != NULL && *n < MQTT_TOPICS_MAX && sub) {
            jb_object_open(jb, NULL);
            jb_strn(jb, "topic", t.p, t.len);
            jb_u64(jb, "qos", opts & 3);
            jb_object_close(jb);
        } else if (jb != NULL && *n < MQTT_TOPICS_MAX) {
            jb_strn(jb, NULL, t.p, t.len);
        }
        (*n)++;
    }
    return *n == 0 ? MQTT_ERR_NO_TOPICS : MQTT_OK;
}

static int mqtt_subscribe(const struct proto_ctx *ctx, struct mqtt_state *st,
                          const struct mqtt_hdr *h, struct ww_cursor *c)
{
    bool sub = h->type == MQTT_SUBSCRIBE;
    struct mqtt_span props = {NULL, 0};
    struct ww_cursor list;
    struct jbuf *jb;
    uint16_t id;
    size_t n;
    int rc;

    if (cursor_be16(c, &id) < 0) {
        return MQTT_ERR_TRUNCATED;
    }
    rc = mqtt_props_if(c, st->version == 5, &props);
    if (rc != MQTT_OK) {
        return rc;
    }
    list = *c;
    rc = mqtt_topics_walk(c, sub, NULL, &n);
    if (rc != MQTT_OK) {
        return rc;
    }
    jb = mqtt_event_open(ctx, h);
    jb_u64(jb, "message_id", id);
    jb_array_open(jb, "topics");
    (void)mqtt_topics_walk(&list, sub, jb, &n);
    jb_array_close(jb);
    if (n > MQTT_TOPICS_MAX) {
        jb_u64(jb, "topics_total", n);
    }
    mqtt_props_write(jb, &props);
    mqtt_event_close(ctx, jb);
    return MQTT_OK;
}

/* ---- SUBACK, UNSUBACK (3.9, 3.11) ---- */

static int mqtt_suback(const struct proto_ctx *ctx, struct mqtt_state *st, const struct mqtt_hdr *h,
                       struct ww_cursor *c)
{
    bool codes = h->type == MQTT_SUBACK || st->version == 5; /* 3.x UNSUBACK has none */
    struct mqtt_span props = {NULL, 0};
    struct jbuf *jb;
    uint16_t id;
    int rc;

    if (cursor_be16(c, &id) < 0) {
        return MQTT_ERR_TRUNCATED;
    }
    rc = mqtt_props_if(c, st->version == 5, &props);
    if (rc != MQTT_OK) {
        return rc;
    }
    jb = mqtt_event_open(ctx, h);
    jb_u64(jb, "message_id", id);
    if (codes) {
        size_t n = cursor_left(c);

        jb_array_open(jb, h->type == MQTT_SUBACK ? "qos_granted" : "reason_codes");
        for (size_t i = 0; i < n && i < MQTT_CODES_MAX; i++) {
            jb_u64(jb, NULL, c->pos[i]);
        }
        jb_array_close(jb);
    }
    mqtt_props_write(jb, &props);
    mqtt_event_close(ctx, jb);
    return MQTT_OK;
}

/* ---- PINGREQ, PINGRESP (3.12, 3.13); DISCONNECT, AUTH (3.14, 3.15) ---- */

static int mqtt_empty(const struct proto_ctx *ctx, struct mqtt_state *st, const struct mqtt_hdr *h,
                      struct ww_cursor *c)
{
    (void)st;
    (void)c;
    mqtt_event_close(ctx, mqtt_event_open(ctx, h));
    return MQTT_OK;
}

static int mqtt_disconnect(const struct proto_ctx *ctx, struct mqtt_state *st,
                           const struct mqtt_hdr *h, struct ww_cursor *c)
{
    struct mqtt_span props = {NULL, 0};
    uint8_t reason = 0; /* left out means 0 */
    struct jbuf *jb;
    int rc;

    if (st->version == 5 && cursor_left(c) > 0) {
        (void)cursor_u8(c, &reason);
        rc = mqtt_props_if(c, cursor_left(c) > 0, &props);
        if (rc != MQTT_OK) {
            return rc;
        }
    }
    jb = mqtt_event_open(ctx, h);
    if (st->version == 5) {
        jb_u64(jb, "reason_code", reason);
    }
    mqtt_props_write(jb, &props);
    mqtt_event_close(ctx, jb);
    return MQTT_OK;
}

static const mqtt_handler mqtt_handlers[16] = {
    [MQTT_CONNECT] = mqtt_connect, [MQTT_CONNACK] = mqtt_connack,
    [MQTT_PUBLISH] = mqtt_publish, [MQTT_PUBACK] = mqtt_ack,
    [MQTT_PUBREC] = mqtt_ack,      [MQTT_PUBREL] = mqtt_ack,
    [MQTT_PUBCOMP] = mqtt_ack,     [MQTT_SUBSCRIBE] = mqtt_subscribe,
    [MQTT_SUBACK] = mqtt_suback,   [MQTT_UNSUBSCRIBE] = mqtt_subscribe,
    [MQTT_UNSUBACK] = mqtt_suback, [MQTT_PINGREQ] = mqtt_empty,
    [MQTT_PINGRESP] = mqtt_empty,  [MQTT_DISCONNECT] = mqtt_disconnect,
    [MQTT_AUTH] = mqtt_disconnect,
};

/* ---- the parser ---- */

/* Reads the fixed header and checks the remaining length against its caps. */
static int mqtt_fixed_header(struct ww_cursor *c, struct mqtt_hdr *h)
{
    const uint8_t *start = c->pos;
    uint8_t b;
    int rc;

    if (cursor_u8(c, &b) < 0) {
        return MQTT_NEED_MORE;
    }
    h->type = b >> 4;
    h->flags = b & 15;
    rc = mqtt_varint(c, &h->rem);
    if (rc != MQTT_OK) {
        return rc;
    }
    h->hdr_len = (size_t)(c->pos - start);
    if (h->rem > MQTT_REMAINING_MAX || (h->type != MQTT_PUBLISH && h->rem > MQTT_BODY_MAX)) {
        return MQTT_ERR_TOO_LONG;
    }
    return MQTT_OK;
}

/* Passes over the rest of a PUBLISH payload. Returns bytes consumed. */
static int mqtt_skip(struct mqtt_state *st, int dir, size_t len)
{
    uint32_t n = st->skip[dir] < len ? st->skip[dir] : (uint32_t)len;

    st->skip[dir] -= n;
    return (int)n;
}

static int mqtt_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data, size_t len)
{
    struct mqtt_state *st = state;
    int dir = ctx->dir & 1;
    struct ww_cursor c;
    struct mqtt_hdr h = {0};
    int rc;

    if (st->skip[dir] > 0) {
        return mqtt_skip(st, dir, len);
    }
    cursor_init(&c, data, len);
    rc = mqtt_fixed_header(&c, &h);
    if (rc == MQTT_NEED_MORE) {
        return PROTO_NEED_MORE;
    }
    if (rc == MQTT_OK && (h.type == 0 || (h.type == MQTT_AUTH && st->version != 5))) {
        rc = MQTT_ERR_TYPE;
    }
    if (rc != MQTT_OK) {
        return mqtt_malformed(ctx, rc, h.type);
    }
    if (cursor_left(&c) < h.rem) {
        return h.type == MQTT_PUBLISH ? mqtt_publish_partial(ctx, st, &h, &c, len)
                                      : PROTO_NEED_MORE;
    }
    (void)cursor_limit(&c, h.rem);
    rc = mqtt_handlers[h.type](ctx, st, &h, &c);
    if (rc != MQTT_OK) {
        return mqtt_malformed(ctx, rc, h.type);
    }
    return (int)(h.hdr_len + h.rem);
}

/* First bytes of a flow: a CONNECT to the server naming MQTT or MQIsdp. */
static bool mqtt_probe(const uint8_t *data, size_t len, int dir)
{
    struct ww_cursor c;
    struct mqtt_span name;
    uint32_t rem;
    uint8_t b;

    if (dir != FLOW_TOSERVER) {
        return false;
    }
    cursor_init(&c, data, len);
    if (cursor_u8(&c, &b) < 0 || b != (MQTT_CONNECT << 4) || mqtt_varint(&c, &rem) != MQTT_OK ||
        rem > MQTT_BODY_MAX || mqtt_str(&c, &name) != MQTT_OK) {
        return false;
    }
    return mqtt_span_is(&name, "MQTT") || mqtt_span_is(&name, "MQIsdp");
}

const struct proto_parser proto_mqtt_parser = {
    .name = "mqtt",
    .proto = APP_MQTT,
    .ip_proto = 6,
    .ports = {MQTT_PORT},
    .probe = mqtt_probe,
    .state_size = sizeof(struct mqtt_state),
    .parse = mqtt_parse,
    .state_free = NULL,
};
