/* SPDX-License-Identifier: MIT */
/*
 * transport: the upper-layer dispatch, UDP (RFC 768), ICMP (RFC 792),
 * ICMPv6 (RFC 4443) and the SCTP common header (RFC 9260 section 3.1).
 *
 *   UDP:  sport(16) dport(16) length(16) checksum(16)
 *   ICMP: type(8) code(8) checksum(16) rest of header(32)
 *   SCTP: sport(16) dport(16) verification tag(32) checksum(32) chunks
 */
#include "decode/decode_int.h"

#define UDP_HDR_LEN 8
#define ICMP_HDR_MIN 4
#define SCTP_HDR_LEN 12

static enum decode_event decode_udp(struct decode_stats *s, struct ww_packet *p,
                                    struct ww_cursor *c)
{
    const uint8_t *h = c->pos;
    uint16_t len;

    if (cursor_skip(c, UDP_HDR_LEN) < 0) {
        return DECODE_EV_UDP_TRUNCATED;
    }
    s->layer[DECODE_LAYER_UDP]++;
    p->sport = (uint16_t)((h[0] << 8) | h[1]);
    p->dport = (uint16_t)((h[2] << 8) | h[3]);
    p->flags |= PKT_HAS_L4;

    /* The UDP length covers the header; a first fragment may be shorter. */
    len = (uint16_t)((h[4] << 8) | h[5]);
    if (len < UDP_HDR_LEN) {
        return DECODE_EV_UDP_LEN_BAD;
    }
    if (cursor_left(c) >= (size_t)len - UDP_HDR_LEN) {
        cursor_limit(c, (size_t)len - UDP_HDR_LEN);
    } else if (!(p->flags & (PKT_SNAPPED | PKT_FRAGMENT))) {
        return DECODE_EV_UDP_LEN_BAD;
    }
    p->payload = c->pos;
    p->payload_len = (uint32_t)cursor_left(c);
    return DECODE_EV_MAX;
}

static enum decode_event decode_icmp(struct decode_stats *s, struct ww_packet *p,
                                     struct ww_cursor *c, bool v6)
{
    if (cursor_left(c) < ICMP_HDR_MIN) {
        return v6 ? DECODE_EV_ICMPV6_TRUNCATED : DECODE_EV_ICMPV4_TRUNCATED;
    }
    s->layer[v6 ? DECODE_LAYER_ICMPV6 : DECODE_LAYER_ICMPV4]++;
    p->icmp_type = c->pos[0];
    p->icmp_code = c->pos[1];
    p->flags |= PKT_HAS_L4;
    cursor_skip(c, ICMP_HDR_MIN);
    p->payload = c->pos;
    p->payload_len = (uint32_t)cursor_left(c);
    return DECODE_EV_MAX;
}

/* Ports only: the chunks are not read. */
static enum decode_event decode_sctp(struct decode_stats *s, struct ww_packet *p,
                                     struct ww_cursor *c)
{
    const uint8_t *h = c->pos;

    if (cursor_skip(c, SCTP_HDR_LEN) < 0) {
        return DECODE_EV_SCTP_TRUNCATED;
    }
    s->layer[DECODE_LAYER_SCTP]++;
    p->sport = (uint16_t)((h[0] << 8) | h[1]);
    p->dport = (uint16_t)((h[2] << 8) | h[3]);
    p->flags |= PKT_HAS_L4;
    p->payload = c->pos;
    p->payload_len = (uint32_t)cursor_left(c);
    return DECODE_EV_MAX;
}

enum decode_event decode_l4(struct decode_stats *s, struct ww_packet *p, struct ww_cursor *c)
{
    switch (p->ip_proto) {
    case IPPROTO_NUM_TCP:
        return decode_tcp(s, p, c);
    case IPPROTO_NUM_UDP:
        return decode_udp(s, p, c);
    case IPPROTO_NUM_ICMP:
        return decode_icmp(s, p, c, false);
    case IPPROTO_NUM_ICMPV6:
        return decode_icmp(s, p, c, true);
    case IPPROTO_NUM_SCTP:
        return decode_sctp(s, p, c);
    default:
        s->layer[DECODE_LAYER_OTHER_L4]++;
        return DECODE_EV_MAX;
    }
}
