/* SPDX-License-Identifier: MIT */
/*
 * ipv6: Internet Protocol version 6 (RFC 8200) and its extension headers
 * (hop-by-hop, routing, fragment, destination options: RFC 8200 section 4;
 * AH: RFC 4302; mobility: RFC 6275). Fragments flagged, not reassembled.
 *
 *   ver(4) class(8) flow label(20) payload length(16) next(8) hop limit(8)
 *   source(128) destination(128)
 *   extension header: next(8) length in 8-octet units past the first 8 (8) ...
 */
#include "decode/decode_int.h"

#include <string.h>

#define IPV6_HDR_LEN 40
#define IPV6_FRAG_HDR_LEN 8
#define IPV6_FRAG_OFFSET_MASK 0xfff8
#define IPV6_FRAG_MORE 0x0001

/* Limits the cursor to the payload length unless the capture was snapped. */
static enum decode_event ipv6_bound(struct ww_packet *p, struct ww_cursor *c, uint16_t plen)
{
    if (cursor_left(c) < plen) {
        if (!(p->flags & PKT_SNAPPED)) {
            return DECODE_EV_IPV6_TRUNC_PKT;
        }
        return DECODE_EV_MAX;
    }
    cursor_limit(c, plen);
    return DECODE_EV_MAX;
}

static enum decode_event ipv6_fragment(struct decode_stats *s, struct ww_packet *p,
                                       struct ww_cursor *c, uint8_t *next)
{
    uint16_t off_flags;

    if (cursor_left(c) < IPV6_FRAG_HDR_LEN) {
        return DECODE_EV_IPV6_EXTHDR_TRUNC;
    }
    *next = c->pos[0];
    off_flags = (uint16_t)((c->pos[2] << 8) | c->pos[3]);
    cursor_skip(c, IPV6_FRAG_HDR_LEN);
    p->flags |= PKT_FRAGMENT;
    s->layer[DECODE_LAYER_IPV6_FRAG]++;
    if (off_flags & IPV6_FRAG_OFFSET_MASK) {
        p->flags |= PKT_FRAG_LATER;
    }
    return DECODE_EV_MAX;
}

/*
 * Walks the extension header chain, leaving the cursor at the upper-layer
 * header and *next naming it.
 */
static enum decode_event ipv6_ext_headers(struct decode_stats *s, struct ww_packet *p,
                                          struct ww_cursor *c, uint8_t *next)
{
    for (unsigned n = 0;; n++) {
        size_t len;
        enum decode_event ev;

        switch (*next) {
        case IPPROTO_NUM_HOPOPTS:
        case IPPROTO_NUM_ROUTING:
        case IPPROTO_NUM_DSTOPTS:
        case IPPROTO_NUM_MOBILITY:
        case IPPROTO_NUM_AH:
        case IPPROTO_NUM_FRAGMENT:
            break;
        default:
            return DECODE_EV_MAX;
        }
        if (n >= DECODE_IPV6_EXT_MAX) {
            return DECODE_EV_IPV6_EXTHDR_TOO_MANY;
        }
        p->flags |= PKT_IPV6_EXT;
        if (*next == IPPROTO_NUM_FRAGMENT) {
            ev = ipv6_fragment(s, p, c, next);
            if (ev != DECODE_EV_MAX || (p->flags & PKT_FRAG_LATER)) {
                return ev;
            }
            continue;
        }
        if (cursor_left(c) < 2) {
            return DECODE_EV_IPV6_EXTHDR_TRUNC;
        }
        /* AH counts its length in 4-octet units less two (RFC 4302 2.2). */
        if (*next == IPPROTO_NUM_AH) {
            len = ((size_t)c->pos[1] + 2) * 4;
        } else {
            len = ((size_t)c->pos[1] + 1) * 8;
        }
        *next = c->pos[0];
        if (cursor_skip(c, len) < 0) {
            return DECODE_EV_IPV6_EXTHDR_TRUNC;
        }
    }
}

enum decode_event decode_ipv6(struct decode_stats *s, struct ww_packet *p, struct ww_cursor *c)
{
    const uint8_t *h;
    uint16_t plen;
    uint8_t next;
    enum decode_event ev;

    if (cursor_left(c) < IPV6_HDR_LEN) {
        return DECODE_EV_IPV6_TRUNCATED;
    }
    h = c->pos;
    if ((h[0] >> 4) != 6) {
        return DECODE_EV_IPV6_BAD_VERSION;
    }
    cursor_skip(c, IPV6_HDR_LEN);
    s->layer[DECODE_LAYER_IPV6]++;

    plen = (uint16_t)((h[4] << 8) | h[5]);
    ev = ipv6_bound(p, c, plen);
    if (ev != DECODE_EV_MAX) {
        return ev;
    }
    p->family = 6;
    p->ip_len = (uint32_t)plen + IPV6_HDR_LEN;
    p->ttl = h[7];
    memcpy(p->src_ip, h + 8, 16);
    memcpy(p->dst_ip, h + 24, 16);

    next = h[6];
    ev = ipv6_ext_headers(s, p, c, &next);
    p->ip_proto = next;
    if (ev != DECODE_EV_MAX || (p->flags & PKT_FRAG_LATER)) {
        return ev;
    }
    return decode_l4(s, p, c);
}
