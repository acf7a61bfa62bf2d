/* SPDX-License-Identifier: MIT */
/*
 * engine: runs each packet through decode and the flow table, and turns
 * what they report into events. Capture time drives every timeout, so a
 * file gives the same events however fast it is read.
 */
#include "engine/engine.h"

#include <stdlib.h>
#include <string.h>

#include "decode/decode_int.h"
#include "output/events.h"
#include "proto/proto.h"

#define US_PER_S 1000000u
#define ENGINE_BATCH 32          /* packets decoded before their flows are looked up */
#define ENGINE_PREFETCH_AHEAD 4  /* packets between a flow prefetch and its use */
#define ENGINE_ARENA_LEN (1u << 20) /* payload bytes queued at most */

/* Decoded packets queued with copies of their payloads, so capture may read on. */
struct engine_batch {
    struct ww_packet pkt[ENGINE_BATCH];
    enum decode_event ev[ENGINE_BATCH];
    struct flow_lookup lk[ENGINE_BATCH];
    uint32_t n;
    uint8_t *arena;
    size_t arena_used;
};

struct engine {
    struct decode_stats dstats;
    struct flow_table *flows;
    struct proto_layer *proto;
    struct inventory *inventory;
    struct fp_collector *fingerprints;
    struct baseline *baseline;
    struct ensemble *ensemble;
    struct indicators *indicators;
    struct assess *assess;
    struct eve_writer *eve;
    const char *const *file_names;
    struct engine_flow_counts flow_counts;
    uint64_t first_us, now_us; /* capture time: first packet, latest packet */
    uint64_t expired_sec;      /* capture second of the last expiry pass */
    /* decoder events: at most one per kind per capture second */
    uint64_t ev_last_sec[DECODE_EV_MAX];
    uint64_t ev_suppressed[DECODE_EV_MAX];
    bool ev_logged[DECODE_EV_MAX];
    struct engine_batch batch;
};

static void on_arp(struct engine *e, const struct ww_packet *p)
{
    uint32_t id = inventory_arp(e->inventory, p->ts_us, p->arp.sender_mac, p->arp.sender_ip);

    if (e->baseline != NULL) {
        baseline_arp(e->baseline, p->ts_us, p->arp.sender_mac, p->arp.sender_ip, id);
    }
}

/* A flow's first packet: the indicators, the inventory, the baselines. */
static void on_flow_start(struct engine *e, const struct ww_flow *f)
{
    uint32_t ids[2];

    if (e->indicators != NULL) {
        indicators_flow(e->indicators, f);
    }
    if (e->inventory != NULL) {
        inventory_flow_start(e->inventory, f, ids);
        if (e->baseline != NULL) {
            baseline_flow_start(e->baseline, f, ids);
        }
    }
}

/* The first packet of a flow's way back: whether a service answered (baselines, findings). */
static void on_first_reply(struct engine *e, const struct ww_flow *f, uint64_t ts_us)
{
    uint32_t ids[2];

    inventory_flow_ids(e->inventory, f, ts_us, ids);
    if (e->baseline != NULL) {
        baseline_flow_reply(e->baseline, f, ids, ts_us);
    }
    if (e->assess != NULL && flow_answered(f, FLOW_TOCLIENT)) {
        assess_flow_reply(e->assess, f, ids, ts_us);
    }
}

/* A flow's way passed a volume checkpoint (baselines). */
static void on_checkpoint(struct engine *e, const struct ww_flow *f, int dir,
                          const struct ww_packet *p)
{
    uint32_t ids[2];

    inventory_flow_ids(e->inventory, f, p->ts_us, ids);
    baseline_flow_checkpoint(e->baseline, f, ids, dir, p->wirelen, p->ts_us);
}

/* The parsers' evidence goes to the inventory, the findings and the indicators. */
static void on_evidence(void *arg, const struct proto_evidence *ev)
{
    struct engine *e = arg;

    if (e->inventory != NULL) {
        inventory_evidence(e->inventory, ev);
    }
    if (e->assess != NULL) {
        assess_evidence(e->assess, ev);
    }
    if (e->indicators != NULL) {
        indicators_evidence(e->indicators, ev);
    }
}

static void on_flow_end(void *ctx, const struct ww_flow *f, enum flow_end_reason why)
{
    struct engine *e = ctx;

    switch (f->key.proto) {
    case IPPROTO_NUM_TCP:
        e->flow_counts.tcp++;
        break;
    case IPPROTO_NUM_UDP:
        e->flow_counts.udp++;
        break;
    case IPPROTO_NUM_ICMP:
    case IPPROTO_NUM_ICMPV6:
        e->flow_counts.icmp++;
        break;
    default:
        e->flow_counts.other++;
        break;
    }
    events_log_flow(e->eve, f, why);
    if (e->baseline != NULL) {
        uint32_t ids[2];

        inventory_flow_ids(e->inventory, f, f->last_us, ids);
        baseline_flow_end(e->baseline, f, ids);
    }
    if (e->inventory != NULL) {
        inventory_flow_end(e->inventory, f);
    }
    proto_flow_end(e->proto, (struct ww_flow *)f);
    if (e->assess != NULL) {
        assess_flow_end(e->assess, f); /* after the parsers' last evidence */
    }
}

struct engine *engine_new(const struct engine_config *cfg, struct eve_writer *eve)
{
    struct engine *e = calloc(1, sizeof(*e));

    if (e == NULL) {
        return NULL;
    }
    e->flows = flow_table_new(&cfg->flow, on_flow_end, e);
    e->proto = proto_layer_new(eve);
    e->batch.arena = malloc(ENGINE_ARENA_LEN);
    if (e->flows == NULL || e->proto == NULL || e->batch.arena == NULL) {
        engine_free(e);
        return NULL;
    }
    flow_table_set_stream_handler(e->flows, proto_stream, e->proto);
    e->inventory = cfg->inventory;
    e->fingerprints = cfg->fingerprints;
    e->baseline = cfg->inventory != NULL ? cfg->baseline : NULL;
    e->ensemble = cfg->ensemble;
    e->indicators = cfg->indicators;
    e->assess = cfg->inventory != NULL ? cfg->assess : NULL;
    if (e->inventory != NULL || e->indicators != NULL) {
        proto_layer_set_evidence(e->proto, on_evidence, e);
    }
    if (e->assess != NULL) {
        proto_layer_set_credentials(e->proto, assess_credential, e->assess);
    }
    e->eve = eve;
    e->file_names = cfg->file_names;
    return e;
}

void engine_free(struct engine *e)
{
    if (e == NULL) {
        return;
    }
    flow_table_free(e->flows);
    proto_layer_free(e->proto);
    free(e->batch.arena);
    free(e);
}

/* Logs a malformed packet unless one of its kind was logged this second. */
static void report_malformed(struct engine *e, const struct ww_packet *p, enum decode_event ev)
{
    uint64_t sec = p->ts_us / US_PER_S;
    struct decoder_report r;

    if (e->ev_logged[ev] && e->ev_last_sec[ev] == sec) {
        e->ev_suppressed[ev]++;
        return;
    }
    r.p = p;
    r.ev = ev;
    r.file = e->file_names != NULL ? e->file_names[p->file_index] : "";
    r.suppressed = e->ev_suppressed[ev];
    events_log_decoder(e->eve, &r);
    e->ev_logged[ev] = true;
    e->ev_last_sec[ev] = sec;
    e->ev_suppressed[ev] = 0;
}

/* Moves capture time forward; once per capture second, ends idle flows. */
static void advance_clock(struct engine *e, uint64_t ts_us)
{
    if (e->first_us == 0 || ts_us < e->first_us) {
        e->first_us = ts_us;
    }
    if (ts_us <= e->now_us) {
        return;
    }
    e->now_us = ts_us;
    if (ts_us / US_PER_S != e->expired_sec) {
        e->expired_sec = ts_us / US_PER_S;
        flow_table_expire(e->flows, ts_us);
    }
}

/* Decodes and accounts one packet whose flow lookup was prepared. */
static void process(struct engine *e, struct ww_packet *p, enum decode_event ev,
                    const struct flow_lookup *lk)
{
    struct ww_flow *f;
    int dir;

    advance_clock(e, p->ts_us);
    if (ev != DECODE_EV_MAX) {
        report_malformed(e, p, ev);
        return;
    }
    if (p->anomaly != DECODE_EV_MAX) {
        report_malformed(e, p, p->anomaly);
    }
    if (p->family == 0) {
        if ((p->flags & PKT_ARP) && e->inventory != NULL) {
            on_arp(e, p);
        }
        return;
    }
    if (e->ensemble != NULL) {
        ensemble_packet(e->ensemble, p);
    }
    f = flow_table_packet_prepared(e->flows, p, lk, &dir);
    if (f == NULL) {
        return;
    }
    if (f->dir[0].pkts + f->dir[1].pkts == 1) {
        on_flow_start(e, f);
    } else if ((e->baseline != NULL || e->assess != NULL) && dir == FLOW_TOCLIENT &&
               f->dir[FLOW_TOCLIENT].pkts == 1) {
        on_first_reply(e, f, p->ts_us);
    }
    if (e->baseline != NULL && baseline_checkpoint(f->dir[dir].bytes, p->wirelen)) {
        on_checkpoint(e, f, dir, p);
    }
    if (f->app_proto == APP_FAILED) {
        return;
    }
    if (!(p->flags & PKT_APP_PORT)) {
        proto_flow_skip(f); /* no parser listens here: no stream to rebuild */
    } else if (p->ip_proto == IPPROTO_NUM_UDP && p->payload_len > 0) {
        proto_datagram(e->proto, f, dir, p->ts_us, p->payload, p->payload_len,
                       (p->flags & PKT_FRAGMENT) != 0);
    }
}

/*
 * Processes the queued packets in order. Each was decoded and its bucket
 * prefetched when it was queued; here, ENGINE_PREFETCH_AHEAD packets ahead
 * of the one being processed, the load of its flow is started, so the
 * cache misses of the flow lookups overlap instead of following each other.
 */
static void run_batch(struct engine *e)
{
    struct engine_batch *b = &e->batch;
    uint32_t n = b->n;

    for (uint32_t i = 0; i < n; i++) {
        uint32_t ahead = i + ENGINE_PREFETCH_AHEAD;

        if (ahead < n && b->ev[ahead] == DECODE_EV_MAX && b->pkt[ahead].family != 0) {
            flow_table_prefetch(e->flows, &b->lk[ahead]);
        }
        process(e, &b->pkt[i], b->ev[i], &b->lk[i]);
    }
    b->n = 0;
    b->arena_used = 0;
}

/*
 * Keeps the payload for stream reassembly, which runs after the capture
 * has moved on. Headers are decoded already and not needed again.
 * Returns false when the arena has no room left for it.
 */
static bool keep_payload(struct engine_batch *b, struct ww_packet *q, bool wanted)
{
    q->data = NULL;
    if (!wanted || q->payload_len == 0) {
        q->payload = NULL;
        q->payload_len = 0;
        return true;
    }
    if (ENGINE_ARENA_LEN - b->arena_used < q->payload_len) {
        return false;
    }
    memcpy(b->arena + b->arena_used, q->payload, q->payload_len);
    q->payload = b->arena + b->arena_used;
    b->arena_used += q->payload_len;
    return true;
}

/*
 * The queue's slot n holds a packet whose payload does not fit the arena:
 * the queue is emptied first, to keep the order, then the packet is taken
 * while its bytes, still in the capture's buffer, last.
 */
static void take_unqueued(struct engine *e, uint32_t n, const uint8_t *data,
                          const uint8_t *payload)
{
    struct engine_batch *b = &e->batch;
    struct ww_packet now = b->pkt[n];
    struct flow_lookup lk = b->lk[n];
    enum decode_event ev = b->ev[n];

    now.data = data;
    now.payload = payload;
    run_batch(e);
    process(e, &now, ev, &lk);
}

void engine_packet(struct engine *e, const struct ww_packet *p)
{
    struct engine_batch *b = &e->batch;
    struct ww_packet *q;
    const uint8_t *payload;

    if (b->n == ENGINE_BATCH) {
        run_batch(e);
    }
    q = &b->pkt[b->n];
    *q = *p;
    b->ev[b->n] = decode_packet(&e->dstats, q);
    if (e->fingerprints != NULL && b->ev[b->n] == DECODE_EV_MAX) {
        fp_collector_packet(e->fingerprints, q); /* while its payload is at hand */
    }
    if (b->ev[b->n] == DECODE_EV_MAX && q->family != 0) {
        flow_table_prepare(e->flows, q, &b->lk[b->n]);
    }
    payload = q->payload;
    if (b->ev[b->n] == DECODE_EV_MAX &&
        proto_port_wanted(e->proto, q->ip_proto, q->sport, q->dport)) {
        q->flags |= PKT_APP_PORT;
    }
    if (keep_payload(b, q, (q->flags & PKT_APP_PORT) && flow_table_wants_payload(e->flows))) {
        b->n++;
    } else {
        take_unqueued(e, b->n, p->data, payload);
    }
}

void engine_finish(struct engine *e)
{
    run_batch(e);
    if (e->ensemble != NULL) {
        ensemble_finish(e->ensemble);
    }
    flow_table_flush(e->flows);
}

static void log_flow_stats(struct jbuf *jb, const struct flow_stats *fs)
{
    jb_object_open(jb, "flow");
    jb_u64(jb, "created", fs->created);
    for (int why = 0; why < FLOW_END_MAX; why++) {
        jb_u64(jb, flow_end_reason_name((enum flow_end_reason)why), fs->ended[why]);
    }
    jb_u64(jb, "active_peak", fs->active_peak);
    jb_u64(jb, "capacity", fs->capacity);
    jb_u64(jb, "untracked_fragments", fs->untracked_fragments);
    jb_object_close(jb);
}

static void log_stream_stats(struct jbuf *jb, const struct stream_stats *ss)
{
    jb_object_open(jb, "stream");
    jb_u64(jb, "bytes_delivered", ss->bytes_delivered);
    jb_u64(jb, "gaps", ss->gaps);
    jb_u64(jb, "gap_bytes", ss->gap_bytes);
    jb_u64(jb, "retransmitted_bytes", ss->retransmitted_bytes);
    jb_u64(jb, "ooo_segments", ss->ooo_segments);
    jb_u64(jb, "ooo_overflows", ss->ooo_overflows);
    jb_u64(jb, "memcap_hits", ss->memcap_hits);
    jb_object_close(jb);
}

/* Suricata's stats.app_layer.flow.<proto>, and our parse problems. */
static void log_app_stats(struct jbuf *jb, const struct proto_stats *ps)
{
    jb_object_open(jb, "app_layer");
    jb_object_open(jb, "flow");
    for (int a = APP_FAILED; a < APP_MAX; a++) {
        jb_u64(jb, proto_name((enum app_proto)a), ps->flows[a]);
    }
    jb_object_close(jb);
    jb_object_open(jb, "malformed");
    for (int a = APP_FAILED + 1; a < APP_MAX; a++) {
        jb_u64(jb, proto_name((enum app_proto)a), ps->malformed[a]);
    }
    jb_object_close(jb);
    jb_u64(jb, "gaps", ps->gaps);
    jb_u64(jb, "finished", ps->finished);
    jb_u64(jb, "overflows", ps->overflows);
    jb_u64(jb, "fragmented", ps->fragmented);
    jb_u64(jb, "evidence_dropped", ps->evidence_dropped);
    jb_object_close(jb);
}

void engine_log_stats(struct engine *e, double wall_s)
{
    struct jbuf *jb = eve_begin(e->eve, e->now_us, "stats");

    jb_object_open(jb, "stats");
    jb_double(jb, "uptime", wall_s);
    jb_object_open(jb, "decoder");
    events_decoder_stats(jb, &e->dstats);
    jb_object_close(jb);
    log_flow_stats(jb, flow_table_stats(e->flows));
    log_stream_stats(jb, flow_table_stream_stats(e->flows));
    log_app_stats(jb, proto_layer_stats(e->proto));
    jb_object_close(jb);
    eve_commit(e->eve);
}

const struct decode_stats *engine_decode_stats(const struct engine *e)
{
    return &e->dstats;
}

const struct flow_stats *engine_flow_stats(const struct engine *e)
{
    return flow_table_stats(e->flows);
}

const struct stream_stats *engine_stream_stats(const struct engine *e)
{
    return flow_table_stream_stats(e->flows);
}

const struct engine_flow_counts *engine_flow_counts(const struct engine *e)
{
    return &e->flow_counts;
}

void engine_time_span(const struct engine *e, uint64_t *first_us, uint64_t *last_us)
{
    *first_us = e->first_us;
    *last_us = e->now_us;
}
