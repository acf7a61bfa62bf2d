/* SPDX-License-Identifier: MIT */
/*
 * tcp: Transmission Control Protocol header and options (RFC 9293 section
 * 3.1; window scale and timestamps RFC 7323; SACK RFC 2018).
 *
 *   sport(16) dport(16) seq(32) ack(32)
 *   offset(4) reserved(4) flags(8) window(16) checksum(16) urgent(16)
 *   options: kind(8) [length(8) value]
 */
#include "decode/decode_int.h"

#define TCP_HDR_MIN 20

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WSCALE 3
#define TCPOPT_SACKOK 4
#define TCPOPT_SACK 5
#define TCPOPT_TS 8

/* Length each known option must have, or 0 for "any, at least 2". */
static unsigned tcp_option_len(uint8_t kind)
{
    switch (kind) {
    case TCPOPT_MSS:
        return 4;
    case TCPOPT_WSCALE:
        return 3;
    case TCPOPT_SACKOK:
        return 2;
    case TCPOPT_TS:
        return 10;
    default:
        return 0;
    }
}

static void tcp_option_note(struct ww_packet *p, uint8_t kind, const uint8_t *val)
{
    switch (kind) {
    case TCPOPT_MSS:
        p->tcp_opts |= TCP_OPT_MSS_SEEN;
        p->tcp_mss = (uint16_t)((val[0] << 8) | val[1]);
        break;
    case TCPOPT_WSCALE:
        p->tcp_opts |= TCP_OPT_WSCALE_SEEN;
        p->tcp_wscale = val[0];
        break;
    case TCPOPT_SACKOK:
        p->tcp_opts |= TCP_OPT_SACKOK_SEEN;
        break;
    case TCPOPT_SACK:
        p->tcp_opts |= TCP_OPT_SACK_SEEN;
        break;
    case TCPOPT_TS:
        p->tcp_opts |= TCP_OPT_TS_SEEN;
        break;
    default:
        break;
    }
}

static enum decode_event tcp_options(struct ww_packet *p, const uint8_t *opt, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint8_t kind = opt[i];
        unsigned want;

        if (kind == TCPOPT_EOL) {
            break;
        }
        if (kind == TCPOPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= len || opt[i + 1] < 2 || opt[i + 1] > len - i) {
            return DECODE_EV_TCP_OPT_INVALID;
        }
        want = tcp_option_len(kind);
        if (want != 0 && opt[i + 1] != want) {
            return DECODE_EV_TCP_OPT_INVALID;
        }
        tcp_option_note(p, kind, opt + i + 2);
        i += opt[i + 1];
    }
    return DECODE_EV_MAX;
}

enum decode_event decode_tcp(struct decode_stats *s, struct ww_packet *p, struct ww_cursor *c)
{
    const uint8_t *h = c->pos;
    unsigned hlen;

    if (cursor_left(c) < TCP_HDR_MIN) {
        return DECODE_EV_TCP_TRUNCATED;
    }
    hlen = (unsigned)(h[12] >> 4) * 4;
    if (hlen < TCP_HDR_MIN) {
        return DECODE_EV_TCP_HLEN_BAD;
    }
    if (cursor_skip(c, hlen) < 0) {
        return DECODE_EV_TCP_TRUNCATED;
    }
    s->layer[DECODE_LAYER_TCP]++;
    p->sport = (uint16_t)((h[0] << 8) | h[1]);
    p->dport = (uint16_t)((h[2] << 8) | h[3]);
    p->tcp_seq = ((uint32_t)h[4] << 24) | ((uint32_t)h[5] << 16) | ((uint32_t)h[6] << 8) | h[7];
    p->tcp_ack = ((uint32_t)h[8] << 24) | ((uint32_t)h[9] << 16) | ((uint32_t)h[10] << 8) | h[11];
    p->tcp_flags = h[13];
    p->tcp_win = (uint16_t)((h[14] << 8) | h[15]);
    p->flags |= PKT_HAS_L4;
    if (hlen > TCP_HDR_MIN) {
        p->anomaly = tcp_options(p, h + TCP_HDR_MIN, hlen - TCP_HDR_MIN);
    }
    p->payload = c->pos;
    p->payload_len = (uint32_t)cursor_left(c);
    return DECODE_EV_MAX;
}
