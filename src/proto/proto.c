/* SPDX-License-Identifier: MIT */
/*
 * proto: picks a parser for each flow (by port, confirmed by a probe of the
 * first bytes where the parser has one), keeps the bytes of an incomplete
 * message per direction, and hands parsers whole runs of in-order bytes.
 */
#include "proto/proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode_int.h"

extern const struct proto_parser proto_mqtt_parser;
extern const struct proto_parser proto_hl7_parser;
extern const struct proto_parser proto_dhcp_parser;
extern const struct proto_parser proto_dns_udp_parser;
extern const struct proto_parser proto_dns_tcp_parser;
extern const struct proto_parser proto_mdns_parser;
extern const struct proto_parser proto_ssdp_parser;
extern const struct proto_parser proto_http_parser;
extern const struct proto_parser proto_tls_parser;
extern const struct proto_parser proto_dicom_parser;
extern const struct proto_parser proto_ftp_parser;
extern const struct proto_parser proto_telnet_parser;
extern const struct proto_parser proto_ssh_parser;
extern const struct proto_parser proto_smb_parser;

static const struct proto_parser *const parsers[] = {
    &proto_mqtt_parser,   &proto_hl7_parser,  &proto_dhcp_parser,   &proto_dns_udp_parser,
    &proto_dns_tcp_parser, &proto_mdns_parser, &proto_ssdp_parser,  &proto_http_parser,
    &proto_tls_parser,    &proto_dicom_parser, &proto_ftp_parser,   &proto_telnet_parser,
    &proto_ssh_parser,    &proto_smb_parser,
};

#define N_PARSERS (sizeof(parsers) / sizeof(parsers[0]))
#define EVIDENCE_SEEN_MAX 16 /* distinct pieces of evidence remembered per flow */

/* Bytes of one direction waiting for the rest of their message. */
struct proto_buf {
    uint8_t *data;
    size_t len, cap;
};

/* Application state of one flow, hung on ww_flow.app. */
struct app_flow {
    const struct proto_parser *parser;
    struct proto_buf pending[2];
    bool stopped; /* malformed, gap or overflow: no more parsing */
    bool resync[2]; /* a direction lost bytes: its next bytes must start a message */
    bool finished;  /* the parser wants no more bytes (proto_finished) */
    /* evidence this flow reported already, by hash: a repeat is not passed on */
    uint32_t evidence_seen[EVIDENCE_SEEN_MAX];
    uint8_t n_evidence_seen, next_evidence_seen; /* slots in use; the next to replace */
    void *state;
};

#define PORT_BITS 65536
#define EVIDENCE_QUEUE 128         /* pieces of evidence one parser call may report */
#define EVIDENCE_BYTES 16384       /* bytes of their values */
#define EVIDENCE_KIND_MAX 48

/* Evidence a parser reported, held until it returns. */
struct queued_evidence {
    uint64_t ts_us;
    const struct ww_flow *flow;
    int side; /* 0 the client, 1 the server */
    bool own_mac; /* about the device with mac, not the flow side's */
    uint8_t mac[6];
    char kind[EVIDENCE_KIND_MAX];
    uint16_t off, len;
};

struct proto_layer {
    struct eve_writer *eve;
    proto_evidence_fn evidence;
    void *evidence_arg;
    proto_credential_fn credential;
    void *credential_arg;
    struct queued_evidence queue[EVIDENCE_QUEUE];
    uint32_t n_queued, queued_bytes;
    char values[EVIDENCE_BYTES];
    struct proto_stats stats;
    uint8_t tcp_ports[PORT_BITS / 8]; /* bit set: a TCP parser listens there */
    uint8_t udp_ports[PORT_BITS / 8];
};

struct proto_layer *proto_layer_new(struct eve_writer *eve)
{
    struct proto_layer *pl = calloc(1, sizeof(*pl));

    if (pl == NULL) {
        return NULL;
    }
    pl->eve = eve;
    for (size_t i = 0; i < N_PARSERS; i++) {
        const struct proto_parser *p = parsers[i];
        uint8_t *bits;

        bits = p->ip_proto == IPPROTO_NUM_TCP ? pl->tcp_ports : pl->udp_ports;
        for (int k = 0; k < PROTO_PORTS_MAX && p->ports[k] != 0; k++) {
            bits[p->ports[k] / 8] |= (uint8_t)(1u << (p->ports[k] % 8));
        }
    }
    return pl;
}

bool proto_port_wanted(const struct proto_layer *pl, uint8_t ip_proto, uint16_t sport,
                       uint16_t dport)
{
    const uint8_t *bits;

    if (ip_proto == IPPROTO_NUM_TCP) {
        bits = pl->tcp_ports;
    } else if (ip_proto == IPPROTO_NUM_UDP) {
        bits = pl->udp_ports;
    } else {
        return false;
    }
    return (bits[sport / 8] & (1u << (sport % 8))) || (bits[dport / 8] & (1u << (dport % 8)));
}

void proto_flow_skip(struct ww_flow *f)
{
    f->app_proto = APP_FAILED;
    f->stream_off = true;
}

void proto_layer_free(struct proto_layer *pl)
{
    free(pl);
}

void proto_layer_set_evidence(struct proto_layer *pl, proto_evidence_fn fn, void *arg)
{
    pl->evidence = fn;
    pl->evidence_arg = arg;
}

void proto_layer_set_credentials(struct proto_layer *pl, proto_credential_fn fn, void *arg)
{
    pl->credential = fn;
    pl->credential_arg = arg;
}

void proto_credential(const struct proto_ctx *ctx, const char *service, const uint8_t *user,
                      size_t user_len, const uint8_t *secret, size_t secret_len)
{
    struct proto_layer *pl = ctx->layer;
    struct proto_credential c = {ctx->ts_us, ctx->flow, service, user, secret,
                                 user_len, secret_len};

    if (pl != NULL && pl->credential != NULL) {
        pl->credential(pl->credential_arg, &c);
    }
}

/*
 * Whether this flow reported the same evidence before: a parser reports
 * what each message says (an HL7 sending application per message), the
 * inventory needs it once per flow. Remembers it if not.
 */
static bool evidence_repeated(const struct proto_ctx *ctx, int side, const uint8_t *mac,
                              const char *kind, const char *value, size_t len)
{
    struct app_flow *app = ctx->flow->app;
    uint32_t h = 2166136261u ^ (uint32_t)side;

    if (app == NULL) {
        return false;
    }
    for (int i = 0; mac != NULL && i < 6; i++) {
        h = (h ^ mac[i]) * 16777619u;
    }
    for (const char *c = kind; *c != '\0'; c++) {
        h = (h ^ (uint8_t)*c) * 16777619u;
    }
    for (size_t i = 0; i < len; i++) {
        h = (h ^ (uint8_t)value[i]) * 16777619u;
    }
    for (uint8_t i = 0; i < app->n_evidence_seen; i++) {
        if (app->evidence_seen[i] == h) {
            return true;
        }
    }
    if (app->n_evidence_seen < EVIDENCE_SEEN_MAX) {
        app->evidence_seen[app->n_evidence_seen++] = h;
    } else {
        app->evidence_seen[app->next_evidence_seen] = h; /* the oldest makes room */
        app->next_evidence_seen = (uint8_t)((app->next_evidence_seen + 1) % EVIDENCE_SEEN_MAX);
    }
    return false;
}

/* Queues evidence about a flow side, or about the device with mac when not NULL. */
static void queue_evidence(const struct proto_ctx *ctx, int side, const uint8_t *mac,
                           const char *kind, const char *value, size_t len)
{
    struct proto_layer *pl = ctx->layer;
    struct queued_evidence *q;
    size_t kind_len;

    if (pl == NULL || pl->evidence == NULL || len == 0) {
        return;
    }
    if (evidence_repeated(ctx, side, mac, kind, value, len)) {
        return;
    }
    if (len > EVIDENCE_BYTES - pl->queued_bytes || pl->n_queued == EVIDENCE_QUEUE) {
        pl->stats.evidence_dropped++;
        return;
    }
    q = &pl->queue[pl->n_queued++];
    q->ts_us = ctx->ts_us;
    q->flow = ctx->flow;
    q->side = side;
    q->own_mac = mac != NULL;
    if (mac != NULL) {
        memcpy(q->mac, mac, 6);
    }
    kind_len = strnlen(kind, sizeof(q->kind) - 1);
    memcpy(q->kind, kind, kind_len);
    q->kind[kind_len] = '\0';
    q->off = (uint16_t)pl->queued_bytes;
    q->len = (uint16_t)len;
    memcpy(pl->values + pl->queued_bytes, value, len);
    pl->queued_bytes += (uint32_t)len;
}

void proto_evidence(const struct proto_ctx *ctx, int who, const char *kind, const char *value,
                    size_t len)
{
    int side = (ctx->dir == FLOW_TOSERVER ? 0 : 1) ^ (who == PROTO_RECEIVER);

    queue_evidence(ctx, side, NULL, kind, value, len);
}

void proto_evidence_mac(const struct proto_ctx *ctx, const uint8_t mac[6], const char *kind,
                        const char *value, size_t len)
{
    queue_evidence(ctx, ctx->dir == FLOW_TOSERVER ? 0 : 1, mac, kind, value, len);
}

void proto_finished(const struct proto_ctx *ctx)
{
    struct app_flow *app = ctx->flow->app;

    if (app != NULL) {
        app->finished = true;
    }
}

/* Hands the queued evidence to the listener, once the parser has returned. */
static void evidence_flush(struct proto_layer *pl)
{
    static const uint8_t no_mac[6];

    for (uint32_t i = 0; i < pl->n_queued; i++) {
        const struct queued_evidence *q = &pl->queue[i];
        const struct ww_flow *f = q->flow;
        const uint8_t *mac = q->own_mac ? q->mac : q->side == 0 ? f->client_mac : f->server_mac;
        struct proto_evidence ev = {
            .ts_us = q->ts_us,
            .mac = memcmp(mac, no_mac, 6) != 0 ? mac : NULL,
            .family = f->key.family,
            .addr = flow_side_addr(f, q->side),
            .kind = q->kind,
            .value = pl->values + q->off,
            .value_len = q->len,
            .flow = f,
            .side = q->side,
        };

        pl->evidence(pl->evidence_arg, &ev);
    }
    pl->n_queued = 0;
    pl->queued_bytes = 0;
}

void proto_evidence_str(const struct proto_ctx *ctx, int who, const char *kind,
                        const char *value)
{
    if (value != NULL) {
        proto_evidence(ctx, who, kind, value, strlen(value));
    }
}

const struct proto_stats *proto_layer_stats(const struct proto_layer *pl)
{
    return &pl->stats;
}

const char *proto_name(enum app_proto proto)
{
    static const char *const names[APP_MAX] = {
        "",     "failed", "mqtt", "hl7", "dhcp", "dns",    "mdns",
        "ssdp", "http",   "tls",  "dicom", "ftp", "telnet", "ssh",    "smb",
    };

    return proto < APP_MAX ? names[proto] : "";
}

static bool port_matches(const struct proto_parser *p, const struct ww_flow *f)
{
    uint16_t server = flow_side_port(f, 1);

    for (int i = 0; i < PROTO_PORTS_MAX && p->ports[i] != 0; i++) {
        if (p->ports[i] == server || p->ports[i] == flow_side_port(f, 0)) {
            return true;
        }
    }
    return false;
}

/* The parser for a flow's first payload: a port match its probe accepts. */
static const struct proto_parser *pick(const struct ww_flow *f, int dir, const uint8_t *data,
                                       size_t len)
{
    for (size_t i = 0; i < N_PARSERS; i++) {
        const struct proto_parser *p = parsers[i];

        if (p->ip_proto != f->key.proto || !port_matches(p, f)) {
            continue;
        }
        if (p->probe == NULL || p->probe(data, len, dir)) {
            return p;
        }
    }
    return NULL;
}

/* Gives a flow its application state, or marks it failed. Returns NULL then. */
static struct app_flow *app_attach(struct proto_layer *pl, struct ww_flow *f, int dir,
                                   const uint8_t *data, size_t len)
{
    const struct proto_parser *p = pick(f, dir, data, len);
    struct app_flow *app;

    if (p == NULL) {
        pl->stats.flows[APP_FAILED]++; /* on a parser's port, but not its protocol */
        proto_flow_skip(f);
        return NULL;
    }
    app = calloc(1, sizeof(*app));
    if (app != NULL && p->state_size > 0) {
        app->state = calloc(1, p->state_size);
    }
    if (app == NULL || (p->state_size > 0 && app->state == NULL)) {
        free(app);
        f->stream_off = true;
        return NULL;
    }
    app->parser = p;
    f->app = app;
    f->app_proto = (uint8_t)p->proto;
    pl->stats.flows[p->proto]++;
    return app;
}

static void app_stop(struct ww_flow *f, struct app_flow *app)
{
    app->stopped = true;
    f->stream_off = true;
    for (int d = 0; d < 2; d++) {
        free(app->pending[d].data);
        app->pending[d] = (struct proto_buf){0};
    }
}

/* Runs the parser over data until it needs more. Returns bytes consumed, or -1 if stopped. */
static long run_parser(struct proto_layer *pl, struct ww_flow *f, struct app_flow *app,
                       const struct proto_ctx *ctx, const uint8_t *data, size_t len)
{
    size_t done = 0;

    while (done < len) {
        int rc = app->parser->parse(ctx, app->state, data + done, len - done);

        evidence_flush(pl);
        if (rc == PROTO_NEED_MORE) {
            break;
        }
        if (rc < 0 || rc == 0) {
            pl->stats.malformed[app->parser->proto]++;
            app_stop(f, app);
            return -1;
        }
        done += (size_t)rc;
        if (app->finished) {
            pl->stats.finished++;
            app_stop(f, app);
            return -1;
        }
    }
    return (long)done;
}

/* Gives a direction its buffer, of PROTO_BUF_MAX bytes, once. Returns 0 or -1. */
static int buf_reserve(struct proto_buf *b)
{
    if (b->data == NULL) {
        b->data = malloc(PROTO_BUF_MAX);
        if (b->data == NULL) {
            return -1;
        }
        b->cap = PROTO_BUF_MAX;
    }
    return 0;
}

/*
 * Parses what is buffered followed by data: bytes are parsed in place when
 * nothing is buffered, and only an incomplete tail is kept for later.
 */
static void feed(struct proto_layer *pl, struct ww_flow *f, struct app_flow *app,
                 const struct proto_ctx *ctx, const uint8_t *data, size_t len)
{
    struct proto_buf *b = &app->pending[ctx->dir];
    bool was_empty = b->len == 0;
    long used;

    if (was_empty) {
        used = run_parser(pl, f, app, ctx, data, len);
        if (used < 0 || (size_t)used == len) {
            return;
        }
        data += used;
        len -= (size_t)used;
    }
    if (b->len + len > PROTO_BUF_MAX || buf_reserve(b) < 0) {
        pl->stats.overflows++;
        app_stop(f, app);
        return;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    if (was_empty) {
        return; /* the parser has just said this tail is incomplete */
    }
    used = run_parser(pl, f, app, ctx, b->data, b->len);
    if (used > 0) {
        memmove(b->data, b->data + used, b->len - (size_t)used);
        b->len -= (size_t)used;
    }
}

/* After a gap: the parser stops, or waits for a message start if it can. */
static void gap(struct ww_flow *f, struct app_flow *app, int dir)
{
    if (!app->parser->resync_after_gap || app->parser->probe == NULL) {
        app_stop(f, app);
        return;
    }
    app->pending[dir].len = 0;
    app->resync[dir] = true;
}

void proto_stream(void *ctx, struct ww_flow *f, int dir, const uint8_t *data, uint32_t len,
                  unsigned flags)
{
    struct proto_layer *pl = ctx;
    struct app_flow *app = f->app;
    struct proto_ctx pc = {pl->eve, f, dir, f->last_us, pl};

    if (flags & STREAM_END) {
        return;
    }
    if (flags & STREAM_GAP) {
        /* Bytes are missing: most parsers cannot know where the next message starts. */
        if (app != NULL && !app->stopped) {
            pl->stats.gaps++;
            gap(f, app, dir);
        }
        return;
    }
    if (app != NULL && !app->stopped && app->resync[dir]) {
        app->resync[dir] = false;
        if (!app->parser->probe(data, len, dir)) {
            app_stop(f, app);
            return;
        }
    }
    if (app == NULL && f->app_proto == APP_NONE) {
        app = app_attach(pl, f, dir, data, len);
    }
    if (app != NULL && !app->stopped) {
        feed(pl, f, app, &pc, data, len);
    }
}

void proto_datagram(struct proto_layer *pl, struct ww_flow *f, int dir, uint64_t ts_us,
                    const uint8_t *data, uint32_t len, bool fragmented)
{
    struct app_flow *app = f->app;
    struct proto_ctx pc = {pl->eve, f, dir, ts_us, pl};

    if (len == 0 || f->app_proto == APP_FAILED) {
        return;
    }
    if (fragmented) {
        pl->stats.fragmented++;
        return;
    }
    if (app == NULL) {
        app = app_attach(pl, f, dir, data, len);
    }
    if (app != NULL && !app->stopped && app->parser->parse(&pc, app->state, data, len) < 0) {
        pl->stats.malformed[app->parser->proto]++;
    }
    evidence_flush(pl);
}

void proto_flow_end(struct proto_layer *pl, struct ww_flow *f)
{
    struct app_flow *app = f->app;

    if (app == NULL) {
        return;
    }
    if (app->parser->flush_at_end && !app->stopped) {
        struct proto_ctx pc = {pl->eve, f, FLOW_TOSERVER, f->last_us, pl};

        (void)app->parser->parse(&pc, app->state, NULL, 0);
        evidence_flush(pl);
    }
    if (app->parser->state_free != NULL) {
        app->parser->state_free(app->state);
        evidence_flush(pl); /* a parser may report what it held back to the end */
    }
    for (int d = 0; d < 2; d++) {
        free(app->pending[d].data);
    }
    free(app->state);
    free(app);
    f->app = NULL;
}

struct jbuf *proto_event_begin(const struct proto_ctx *ctx, const char *type)
{
    const struct ww_flow *f = ctx->flow;
    int src = ctx->dir == FLOW_TOSERVER ? 0 : 1;
    struct jbuf *jb = eve_begin(ctx->eve, ctx->ts_us, type);
    char cid[FLOW_COMMUNITY_ID_LEN + 1];

    jb_u64(jb, "flow_id", f->id);
    jb_ip(jb, "src_ip", f->key.family, flow_side_addr(f, src));
    jb_u64(jb, "src_port", flow_side_port(f, src));
    jb_ip(jb, "dest_ip", f->key.family, flow_side_addr(f, !src));
    jb_u64(jb, "dest_port", flow_side_port(f, !src));
    jb_str(jb, "proto", f->key.proto == IPPROTO_NUM_TCP ? "TCP" : "UDP");
    jb_str(jb, "app_proto", proto_name((enum app_proto)f->app_proto));
    flow_community_id(f, cid);
    jb_str(jb, "community_id", cid);
    return jb;
}

void proto_log_anomaly(const struct proto_ctx *ctx, const char *event, const char *message_type)
{
    struct jbuf *jb = proto_event_begin(ctx, "anomaly");

    jb_object_open(jb, "anomaly");
    jb_str(jb, "type", "applayer");
    jb_str(jb, "app_proto", proto_name((enum app_proto)ctx->flow->app_proto));
    jb_str(jb, "event", event);
    jb_str(jb, "layer", "proto_parser");
    if (message_type != NULL) {
        jb_str(jb, "message_type", message_type);
    }
    jb_object_close(jb);
    eve_commit(ctx->eve);
}
