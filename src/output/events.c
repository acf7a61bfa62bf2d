/* SPDX-License-Identifier: MIT */
/* events: the flow, decoder and stats events, in Suricata's EVE field names. */
#include "output/events.h"

#include <stdio.h>
#include <string.h>

#include "decode/decode_int.h"
#include "proto/proto.h"

const char *events_proto_name(uint8_t proto, char *buf, size_t len)
{
    switch (proto) {
    case IPPROTO_NUM_ICMP:
        return "ICMP";
    case 2:
        return "IGMP";
    case IPPROTO_NUM_TCP:
        return "TCP";
    case IPPROTO_NUM_UDP:
        return "UDP";
    case 41:
        return "IPv6";
    case 47:
        return "GRE";
    case IPPROTO_NUM_ESP:
        return "ESP";
    case IPPROTO_NUM_AH:
        return "AH";
    case IPPROTO_NUM_ICMPV6:
        return "IPv6-ICMP";
    case IPPROTO_NUM_SCTP:
        return "SCTP";
    default:
        snprintf(buf, len, "%u", proto);
        return buf;
    }
}

/* TCP flags as two hex digits, as Suricata writes tcp_flags. */
static void tcp_flags_hex(struct jbuf *jb, const char *key, uint8_t flags)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[3] = {hex[flags >> 4], hex[flags & 15], '\0'};

    jb_str(jb, key, tmp);
}

static void log_tcp(struct jbuf *jb, const struct ww_flow *f)
{
    uint8_t all = f->dir[0].tcp_flags | f->dir[1].tcp_flags;
    static const struct {
        uint8_t bit;
        const char *name;
    } names[] = {{TCP_SYN, "syn"}, {TCP_FIN, "fin"}, {TCP_RST, "rst"}, {TCP_PSH, "psh"},
                 {TCP_ACK, "ack"}, {TCP_URG, "urg"}, {TCP_ECE, "ecn"}, {TCP_CWR, "cwr"}};

    jb_object_open(jb, "tcp");
    tcp_flags_hex(jb, "tcp_flags", all);
    tcp_flags_hex(jb, "tcp_flags_ts", f->dir[FLOW_TOSERVER].tcp_flags);
    tcp_flags_hex(jb, "tcp_flags_tc", f->dir[FLOW_TOCLIENT].tcp_flags);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (all & names[i].bit) {
            jb_bool(jb, names[i].name, true);
        }
    }
    jb_str(jb, "state", flow_tcp_state_name(f->tcp_state));
    if (f->midstream) {
        jb_bool(jb, "midstream", true);
    }
    if (f->stream[0].gap || f->stream[1].gap) {
        jb_bool(jb, "gap", true);
    }
    jb_object_close(jb);
}

static const char *flow_state_word(const struct ww_flow *f)
{
    if (f->key.proto == IPPROTO_NUM_TCP && f->tcp_state == FLOW_TCP_CLOSED) {
        return "closed";
    }
    return f->dir[FLOW_TOCLIENT].pkts > 0 ? "established" : "new";
}

static void log_flow_body(struct jbuf *jb, const struct ww_flow *f, enum flow_end_reason why)
{
    static const char *const start_keys[2] = {"start_toserver", "start_toclient"};
    static const char *const end_keys[2] = {"end_toserver", "end_toclient"};

    jb_object_open(jb, "flow");
    jb_u64(jb, "pkts_toserver", f->dir[FLOW_TOSERVER].pkts);
    jb_u64(jb, "pkts_toclient", f->dir[FLOW_TOCLIENT].pkts);
    jb_u64(jb, "bytes_toserver", f->dir[FLOW_TOSERVER].bytes);
    jb_u64(jb, "bytes_toclient", f->dir[FLOW_TOCLIENT].bytes);
    jb_time(jb, "start", f->first_us);
    jb_time(jb, "end", f->last_us);
    for (int d = 0; d < 2; d++) {
        if (f->dir[d].pkts == 0) {
            continue;
        }
        jb_time(jb, start_keys[d], f->dir[d].first_us);
        jb_time(jb, end_keys[d], f->dir[d].last_us);
    }
    jb_u64(jb, "age", (f->last_us - f->first_us) / 1000000u);
    jb_str(jb, "state", flow_state_word(f));
    jb_str(jb, "reason", flow_end_reason_name(why));
    jb_object_close(jb);
}

void events_flow_fields(struct jbuf *jb, const struct ww_flow *f)
{
    char proto[8];

    jb_u64(jb, "flow_id", f->id);
    jb_ip(jb, "src_ip", f->key.family, flow_side_addr(f, 0));
    jb_u64(jb, "src_port", flow_side_port(f, 0));
    jb_ip(jb, "dest_ip", f->key.family, flow_side_addr(f, 1));
    jb_u64(jb, "dest_port", flow_side_port(f, 1));
    jb_str(jb, "proto", events_proto_name(f->key.proto, proto, sizeof(proto)));
}

void events_log_flow(struct eve_writer *w, const struct ww_flow *f, enum flow_end_reason why)
{
    struct jbuf *jb = eve_begin(w, f->last_us, "flow");
    char cid[FLOW_COMMUNITY_ID_LEN + 1];
    static const uint8_t zero_mac[6];

    events_flow_fields(jb, f);
    if (f->app_proto != APP_NONE) {
        jb_str(jb, "app_proto", proto_name((enum app_proto)f->app_proto));
    }
    if (f->key.vlan[0] != 0) {
        jb_array_open(jb, "vlan");
        jb_u64(jb, NULL, f->key.vlan[0]);
        if (f->key.vlan[1] != 0) {
            jb_u64(jb, NULL, f->key.vlan[1]);
        }
        jb_array_close(jb);
    }
    if (f->key.proto == IPPROTO_NUM_ICMP || f->key.proto == IPPROTO_NUM_ICMPV6) {
        jb_u64(jb, "icmp_type", f->icmp_type);
        jb_u64(jb, "icmp_code", f->icmp_code);
    }
    flow_community_id(f, cid);
    jb_str(jb, "community_id", cid);
    if (memcmp(f->client_mac, zero_mac, 6) != 0 || memcmp(f->server_mac, zero_mac, 6) != 0) {
        jb_object_open(jb, "ether");
        jb_mac(jb, "src_mac", f->client_mac);
        jb_mac(jb, "dest_mac", f->server_mac);
        jb_object_close(jb);
    }
    log_flow_body(jb, f, why);
    if (f->key.proto == IPPROTO_NUM_TCP) {
        log_tcp(jb, f);
    }
    eve_commit(w);
}

void events_log_decoder(struct eve_writer *w, const struct decoder_report *r)
{
    const struct ww_packet *p = r->p;
    struct jbuf *jb = eve_begin(w, p->ts_us, "decoder");

    if (p->family != 0) {
        jb_ip(jb, "src_ip", p->family, p->src_ip);
        jb_ip(jb, "dest_ip", p->family, p->dst_ip);
    }
    jb_object_open(jb, "decoder");
    jb_str(jb, "event", decode_event_name(r->ev));
    jb_str(jb, "file", r->file);
    jb_u64(jb, "packet", p->file_pkt);
    jb_i64(jb, "linktype", p->linktype);
    jb_u64(jb, "caplen", p->caplen);
    jb_u64(jb, "len", p->wirelen);
    jb_u64(jb, "suppressed", r->suppressed);
    jb_object_close(jb);
    eve_commit(w);
}

/* "ipv4.trunc_pkt" goes in as event.ipv4.trunc_pkt, grouped by layer. */
static void decoder_event_counts(struct jbuf *jb, const struct decode_stats *s)
{
    char layer[24] = "";

    jb_object_open(jb, "event");
    for (int ev = 0; ev < DECODE_EV_MAX; ev++) {
        const char *name = decode_event_name((enum decode_event)ev);
        const char *dot = strchr(name, '.');
        size_t n = (size_t)(dot - name);

        if (strlen(layer) != n || strncmp(layer, name, n) != 0) {
            if (layer[0] != '\0') {
                jb_object_close(jb);
            }
            snprintf(layer, sizeof(layer), "%.*s", (int)n, name);
            jb_object_open(jb, layer);
        }
        jb_u64(jb, dot + 1, s->event[ev]);
    }
    if (layer[0] != '\0') {
        jb_object_close(jb);
    }
    jb_object_close(jb);
}

void events_decoder_stats(struct jbuf *jb, const struct decode_stats *s)
{
    jb_u64(jb, "pkts", s->pkts);
    jb_u64(jb, "bytes", s->bytes);
    jb_u64(jb, "invalid", s->invalid);
    for (int l = 0; l < DECODE_LAYER_MAX; l++) {
        jb_u64(jb, decode_layer_name((enum decode_layer)l), s->layer[l]);
    }
    decoder_event_counts(jb, s);
}
