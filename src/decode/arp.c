/* SPDX-License-Identifier: MIT */
/*
 * arp: Address Resolution Protocol over Ethernet for IPv4 (RFC 826).
 *
 *   htype(2)=1 ptype(2)=0x0800 hlen(1)=6 plen(1)=4 op(2)
 *   sender mac(6) sender ip(4) target mac(6) target ip(4)
 */
#include "decode/decode_int.h"

#define ARP_HTYPE_ETHERNET 1
#define ARP_ETH_IPV4_BODY_LEN 20

enum decode_event decode_arp(struct decode_stats *s, struct ww_packet *p, struct ww_cursor *c)
{
    uint16_t htype, ptype, op;
    uint8_t hlen, plen;

    if (cursor_be16(c, &htype) < 0 || cursor_be16(c, &ptype) < 0 || cursor_u8(c, &hlen) < 0 ||
        cursor_u8(c, &plen) < 0 || cursor_be16(c, &op) < 0) {
        return DECODE_EV_ARP_TRUNCATED;
    }
    s->layer[DECODE_LAYER_ARP]++;

    /* Other hardware or protocol types are legal but not ours to read. */
    if (htype != ARP_HTYPE_ETHERNET || ptype != ETHERTYPE_IPV4) {
        return DECODE_EV_MAX;
    }
    if (hlen != 6 || plen != 4 || op == 0) {
        return DECODE_EV_ARP_MALFORMED;
    }
    if (cursor_left(c) < ARP_ETH_IPV4_BODY_LEN) {
        return DECODE_EV_ARP_TRUNCATED;
    }
    p->arp.op = op;
    cursor_copy(c, p->arp.sender_mac, 6);
    cursor_copy(c, p->arp.sender_ip, 4);
    cursor_copy(c, p->arp.target_mac, 6);
    cursor_copy(c, p->arp.target_ip, 4);
    p->flags |= PKT_ARP;
    return DECODE_EV_MAX;
}
