/* SPDX-License-Identifier: MIT */
/* proto: the application layer: which parser a flow gets, and feeding it bytes. */
#ifndef WW_PROTO_PROTO_H
#define WW_PROTO_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"
#include "output/eve.h"

/* Parsers return bytes consumed (>= 0), or one of these. */
#define PROTO_NEED_MORE (-1) /* the message is not complete yet: call again with more */
#define PROTO_MALFORMED (-2) /* not this protocol, or broken: stop parsing the flow */

#define PROTO_BUF_MAX (64u << 10) /* bytes held per direction for an incomplete message */
#define PROTO_PORTS_MAX 12

enum app_proto {
    APP_NONE = 0, /* not yet known */
    APP_FAILED,   /* no parser took it */
    APP_MQTT,
    APP_HL7,
    APP_DHCP,
    APP_DNS,
    APP_MDNS,
    APP_SSDP,
    APP_HTTP,
    APP_TLS,
    APP_DICOM,
    APP_FTP,
    APP_TELNET,
    APP_SSH,
    APP_SMB,
    APP_MAX
};

struct proto_layer;

/* What a parser is handed with each piece of input. */
struct proto_ctx {
    struct eve_writer *eve;
    const struct ww_flow *flow;
    int dir;        /* FLOW_TOSERVER or FLOW_TOCLIENT */
    uint64_t ts_us; /* capture time of the data */
    struct proto_layer *layer; /* where evidence goes; NULL: nowhere */
};

/*
 * Identity evidence: something a parser learned about one end of a flow
 * (a DHCP hostname, an HTTP User-Agent, a DICOM AE title), handed on to
 * whoever listens (the inventory). kind names it as events do, e.g.
 * "dhcp.hostname"; value is bytes, not NUL-terminated. The pointers are
 * valid only during the call.
 */
struct proto_evidence {
    uint64_t ts_us;
    const uint8_t *mac; /* the device's Ethernet address, or NULL when unknown */
    uint8_t family;     /* 4 or 6 */
    const uint8_t *addr;
    const char *kind;
    const char *value;
    size_t value_len;
    const struct ww_flow *flow; /* the flow it came from */
    int side;                   /* which of its ends: 0 the client, 1 the server */
};

typedef void (*proto_evidence_fn)(void *arg, const struct proto_evidence *ev);

/*
 * A login's secret seen in clear (a telnet or FTP password, HTTP Basic
 * credentials, an MQTT CONNECT's password), handed over at once, never
 * queued: the listener may hash it to match published default credentials
 * and must keep nothing of it. The parser wipes the bytes after the call.
 * Its outcome follows as evidence ("login.telnet" and the like).
 */
struct proto_credential {
    uint64_t ts_us;
    const struct ww_flow *flow;
    const char *service; /* "telnet", "ftp", "http", "mqtt" */
    const uint8_t *user, *secret;
    size_t user_len, secret_len;
};

typedef void (*proto_credential_fn)(void *arg, const struct proto_credential *c);

#define PROTO_SENDER 0   /* the end that sent ctx->dir's data */
#define PROTO_RECEIVER 1 /* the end it was sent to */

/*
 * A parser. A stream parser (TCP) is handed the bytes of one direction in
 * order, starting where its last call stopped, and returns how many it
 * consumed (whole messages), PROTO_NEED_MORE, or PROTO_MALFORMED. A
 * datagram parser (UDP) is handed one payload at a time. State of
 * state_size bytes per flow is zeroed before the first call and released
 * with state_free (may be NULL) when the flow ends, while the flow still
 * exists: a parser may write there what it held back (an unanswered
 * handshake) through a proto_ctx it kept, and report evidence.
 */
struct proto_parser {
    const char *name; /* as in events: app_proto and the event type */
    enum app_proto proto;
    uint8_t ip_proto; /* 6 TCP or 17 UDP */
    uint16_t ports[PROTO_PORTS_MAX];
    /* Whether the first bytes of a flow look like this protocol; NULL: ports only. */
    bool (*probe)(const uint8_t *data, size_t len, int dir);
    size_t state_size;
    int (*parse)(const struct proto_ctx *ctx, void *state, const uint8_t *data, size_t len);
    void (*state_free)(void *state);
    /*
     * Whether parsing may go on after a stream gap: the parser keeps no
     * state between messages, and the first bytes after the gap are taken
     * as a message start when its probe accepts them (else the flow stops).
     */
    bool resync_after_gap;
    /*
     * Whether parse is called once more, with data NULL and len 0, when
     * the flow ends (unless parsing stopped): to log what still waits for
     * an answer. Its return is ignored.
     */
    bool flush_at_end;
};

struct proto_stats {
    uint64_t flows[APP_MAX]; /* flows given to each protocol */
    uint64_t malformed[APP_MAX];
    uint64_t gaps;           /* flows whose parser stopped at a stream gap */
    uint64_t finished;       /* flows whose parser said it wanted no more */
    uint64_t overflows;      /* messages longer than PROTO_BUF_MAX */
    uint64_t fragmented;     /* datagrams not parsed: IP fragments, not reassembled */
    uint64_t evidence_dropped; /* identity evidence past what one parser call may queue */
};

/* Returns NULL when out of memory. eve is borrowed. */
struct proto_layer *proto_layer_new(struct eve_writer *eve);
void proto_layer_free(struct proto_layer *pl);

/* Sends every piece of identity evidence the parsers find to fn(arg, ...). */
void proto_layer_set_evidence(struct proto_layer *pl, proto_evidence_fn fn, void *arg);

/* Sends every login secret the parsers see to fn(arg, ...), at once. */
void proto_layer_set_credentials(struct proto_layer *pl, proto_credential_fn fn, void *arg);

/* A parser saw a login's secret in clear on ctx's flow: see struct proto_credential. */
void proto_credential(const struct proto_ctx *ctx, const char *service, const uint8_t *user,
                      size_t user_len, const uint8_t *secret, size_t secret_len);

/*
 * Reports evidence about one end of ctx's flow: who is PROTO_SENDER or
 * PROTO_RECEIVER. A value of len 0 is ignored. Does nothing when ctx has
 * no layer or the layer no listener. The evidence is queued and handed on
 * when the parser returns, so a parser may report it while an event of
 * its own is open (the listener may write events too). Evidence a flow
 * reported already (the last 16 distinct pieces) is not passed on again.
 */
void proto_evidence(const struct proto_ctx *ctx, int who, const char *kind, const char *value,
                    size_t len);

/*
 * Reports evidence about the device with Ethernet address mac, which the
 * message names itself (a DHCP client's chaddr): on a flow many devices
 * share, such as DHCP's broadcasts, the flow's own sides would be wrong.
 */
void proto_evidence_mac(const struct proto_ctx *ctx, const uint8_t mac[6], const char *kind,
                        const char *value, size_t len);

/*
 * Tells the layer the parser wants no more of ctx's flow (a TLS session
 * now encrypted, SSH past its banners): once the parser returns, the
 * flow's bytes are no longer reassembled nor handed over. Its state stays
 * until the flow ends.
 */
void proto_finished(const struct proto_ctx *ctx);

/* The same, for a NUL-terminated value. */
void proto_evidence_str(const struct proto_ctx *ctx, int who, const char *kind,
                        const char *value);

/* Stream data of a TCP flow (a stream_data_fn; ctx is the proto_layer). */
void proto_stream(void *ctx, struct ww_flow *f, int dir, const uint8_t *data, uint32_t len,
                  unsigned flags);

/*
 * The payload of one UDP packet of flow f, sent in direction dir. A
 * datagram cut in IP fragments (fragmented true) is counted, not parsed.
 */
void proto_datagram(struct proto_layer *pl, struct ww_flow *f, int dir, uint64_t ts_us,
                    const uint8_t *data, uint32_t len, bool fragmented);

/*
 * Whether some parser listens on one of these ports for this transport
 * (6 or 17): only such packets need their payload kept.
 */
bool proto_port_wanted(const struct proto_layer *pl, uint8_t ip_proto, uint16_t sport,
                       uint16_t dport);

/* Marks a flow no parser will take, so its stream is not reassembled. */
void proto_flow_skip(struct ww_flow *f);

/* Releases the application state of a flow that ends. */
void proto_flow_end(struct proto_layer *pl, struct ww_flow *f);

const struct proto_stats *proto_layer_stats(const struct proto_layer *pl);
const char *proto_name(enum app_proto proto);

/*
 * Starts an event of type `type` about ctx's flow, with the fields every
 * application event carries (flow_id, addresses and ports of the sender of
 * ctx->dir's data as src, proto, app_proto, community_id). The caller adds
 * its object and calls eve_commit.
 */
struct jbuf *proto_event_begin(const struct proto_ctx *ctx, const char *type);

/*
 * Writes an `anomaly` event in the shape of Suricata's application-layer
 * ones (anomaly.type "applayer", layer "proto_parser"): `event` names the
 * problem, message_type (may be NULL) the message it was found in.
 */
void proto_log_anomaly(const struct proto_ctx *ctx, const char *event, const char *message_type);

#endif
