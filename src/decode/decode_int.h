/* SPDX-License-Identifier: MIT */
/* decode_int: what the decoder's files share among themselves. */
#ifndef WW_DECODE_INT_H
#define WW_DECODE_INT_H

#include "decode/decode.h"
#include "util/cursor.h"

/* EtherTypes (IEEE 802.3 / IANA). */
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_QINQ_OLD 0x9100
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_PPPOE_SESSION 0x8864

/* IP protocol numbers (IANA). */
#define IPPROTO_NUM_HOPOPTS 0
#define IPPROTO_NUM_ICMP 1
#define IPPROTO_NUM_TCP 6
#define IPPROTO_NUM_UDP 17
#define IPPROTO_NUM_ROUTING 43
#define IPPROTO_NUM_FRAGMENT 44
#define IPPROTO_NUM_ESP 50
#define IPPROTO_NUM_AH 51
#define IPPROTO_NUM_ICMPV6 58
#define IPPROTO_NUM_NONE 59
#define IPPROTO_NUM_DSTOPTS 60
#define IPPROTO_NUM_MOBILITY 135
#define IPPROTO_NUM_SCTP 132

/* Each returns DECODE_EV_MAX on success or the event that stopped it. */
enum decode_event decode_ethertype(struct decode_stats *s, struct ww_packet *p,
                                   struct ww_cursor *c, uint16_t ethertype);
enum decode_event decode_arp(struct decode_stats *s, struct ww_packet *p, struct ww_cursor *c);
enum decode_event decode_ipv4(struct decode_stats *s, struct ww_packet *p, struct ww_cursor *c);
enum decode_event decode_ipv6(struct decode_stats *s, struct ww_packet *p, struct ww_cursor *c);
enum decode_event decode_l4(struct decode_stats *s, struct ww_packet *p, struct ww_cursor *c);
enum decode_event decode_tcp(struct decode_stats *s, struct ww_packet *p, struct ww_cursor *c);

#endif
