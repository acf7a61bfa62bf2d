/* SPDX-License-Identifier: MIT */
/*
 * ipv4: Internet Protocol version 4 (RFC 791), options checked for form
 * (RFC 791 section 3.1); fragments flagged, not reassembled.
 *
 *   ver(4) ihl(4) tos(8) total length(16)
 *   id(16) flags(3) fragment offset(13)
 *   ttl(8) protocol(8) checksum(16)
 *   source(32) destination(32) [options] payload
 */
#include "decode/decode_int.h"

#include <string.h>

#define IPV4_HDR_MIN 20
#define IPV4_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff

#define IPV4_OPT_EOL 0
#define IPV4_OPT_NOP 1
#define IPV4_OPT_LSRR 131
#define IPV4_OPT_SSRR 137

/*
 * Stores an IPv4 address zero-padded to 16 bytes in one write, so that the
 * flow table's 8-byte reads of it right after are served from the store.
 */
static void ipv4_store(uint8_t *dst, const uint8_t *addr)
{
    uint8_t tmp[16] = {0};

    memcpy(tmp, addr, 4);
    memcpy(dst, tmp, sizeof(tmp));
}

/* Checks each option's length byte; notes source routing. */
static enum decode_event ipv4_options(struct ww_packet *p, const uint8_t *opt, size_t len)
{
    size_t i = 0;

    p->flags |= PKT_IPV4_OPTS;
    while (i < len) {
        uint8_t type = opt[i];

        if (type == IPV4_OPT_EOL) {
            break;
        }
        if (type == IPV4_OPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= len || opt[i + 1] < 2 || opt[i + 1] > len - i) {
            return DECODE_EV_IPV4_OPT_INVALID;
        }
        if (type == IPV4_OPT_LSRR || type == IPV4_OPT_SSRR) {
            p->flags |= PKT_IPV4_SRCROUTE;
        }
        i += opt[i + 1];
    }
    return DECODE_EV_MAX;
}

/*
 * Limits the cursor to the datagram: the total length, unless the capture
 * was cut short by its snap length.
 */
static enum decode_event ipv4_bound(struct ww_packet *p, struct ww_cursor *c, uint16_t total,
                                    unsigned hlen)
{
    if (total < hlen) {
        return DECODE_EV_IPV4_IPLEN_BAD;
    }
    if (cursor_left(c) < (size_t)total - hlen) {
        if (!(p->flags & PKT_SNAPPED)) {
            return DECODE_EV_IPV4_TRUNC_PKT;
        }
        return DECODE_EV_MAX;
    }
    cursor_limit(c, (size_t)total - hlen);
    return DECODE_EV_MAX;
}

enum decode_event decode_ipv4(struct decode_stats *s, struct ww_packet *p, struct ww_cursor *c)
{
    const uint8_t *h;
    unsigned hlen;
    uint16_t total, frag;
    enum decode_event ev;

    if (cursor_left(c) < IPV4_HDR_MIN) {
        return DECODE_EV_IPV4_TRUNCATED;
    }
    h = c->pos;
    if ((h[0] >> 4) != 4) {
        return DECODE_EV_IPV4_BAD_VERSION;
    }
    hlen = (unsigned)(h[0] & 0x0f) * 4;
    if (hlen < IPV4_HDR_MIN) {
        return DECODE_EV_IPV4_HLEN_TOO_SMALL;
    }
    if (cursor_skip(c, hlen) < 0) {
        return DECODE_EV_IPV4_TRUNCATED;
    }
    s->layer[DECODE_LAYER_IPV4]++;

    total = (uint16_t)((h[2] << 8) | h[3]);
    ev = ipv4_bound(p, c, total, hlen);
    if (ev != DECODE_EV_MAX) {
        return ev;
    }
    if (hlen > IPV4_HDR_MIN) {
        ev = ipv4_options(p, h + IPV4_HDR_MIN, hlen - IPV4_HDR_MIN);
        if (ev != DECODE_EV_MAX) {
            return ev;
        }
    }

    p->family = 4;
    p->ip_len = total;
    p->ttl = h[8];
    p->ip_proto = h[9];
    ipv4_store(p->src_ip, h + 12);
    ipv4_store(p->dst_ip, h + 16);

    frag = (uint16_t)((h[6] << 8) | h[7]);
    if (frag & (IPV4_MF | IPV4_OFFSET_MASK)) {
        p->flags |= PKT_FRAGMENT;
        s->layer[DECODE_LAYER_IPV4_FRAG]++;
        if (frag & IPV4_OFFSET_MASK) {
            /* Only the first fragment has a transport header to read. */
            p->flags |= PKT_FRAG_LATER;
            if ((size_t)(frag & IPV4_OFFSET_MASK) * 8 + ((size_t)total - hlen) > 65535) {
                return DECODE_EV_IPV4_FRAG_BAD;
            }
            return DECODE_EV_MAX;
        }
    }
    if (p->ip_proto == IPPROTO_NUM_ICMPV6) {
        return DECODE_EV_ICMPV6_ON_IPV4;
    }
    return decode_l4(s, p, c);
}
