/* SPDX-License-Identifier: MIT */
/* decode: link, network and transport headers into one packet record. */
#ifndef WW_DECODE_DECODE_H
#define WW_DECODE_DECODE_H

#include <stdbool.h>
#include <stdint.h>

/* Link types wardwatch reads (values as libpcap's DLT_* on Linux). */
#define LINK_NULL 0       /* BSD loopback, host-order address family */
#define LINK_EN10MB 1     /* Ethernet II */
#define LINK_RAW 12       /* raw IP, version from the first nibble */
#define LINK_RAW_ALT 101  /* LINKTYPE_RAW as written in some files */
#define LINK_LOOP 108     /* OpenBSD loopback, network-order family */
#define LINK_LINUX_SLL 113
#define LINK_IPV4 228
#define LINK_IPV6 229
#define LINK_LINUX_SLL2 276

#define DECODE_VLAN_MAX 2       /* VLAN ids kept in the flow key */
#define DECODE_VLAN_LAYERS_MAX 8 /* stacked tags walked before giving up */
#define DECODE_IPV6_EXT_MAX 8   /* extension headers walked before giving up */

/* Malformations, each a named counter and a `decoder` event kind. */
#define DECODE_EVENTS(X)                                   \
    X(LINK_UNSUPPORTED, "link.unsupported")                \
    X(LINK_TRUNCATED, "link.pkt_too_small")                \
    X(ETH_TRUNCATED, "ethernet.pkt_too_small")             \
    X(VLAN_TRUNCATED, "vlan.header_too_small")             \
    X(VLAN_TOO_MANY, "vlan.too_many_layers")               \
    X(PPPOE_TRUNCATED, "pppoe.pkt_too_small")              \
    X(PPPOE_MALFORMED, "pppoe.wrong_type")                 \
    X(ARP_TRUNCATED, "arp.pkt_too_small")                  \
    X(ARP_MALFORMED, "arp.invalid")                        \
    X(IPV4_TRUNCATED, "ipv4.pkt_too_small")                \
    X(IPV4_BAD_VERSION, "ipv4.wrong_ip_version")           \
    X(IPV4_HLEN_TOO_SMALL, "ipv4.hlen_too_small")          \
    X(IPV4_IPLEN_BAD, "ipv4.iplen_smaller_than_hlen")      \
    X(IPV4_TRUNC_PKT, "ipv4.trunc_pkt")                    \
    X(IPV4_OPT_INVALID, "ipv4.opt_invalid_len")            \
    X(IPV4_FRAG_BAD, "ipv4.frag_invalid")                  \
    X(IPV6_TRUNCATED, "ipv6.pkt_too_small")                \
    X(IPV6_BAD_VERSION, "ipv6.wrong_ip_version")           \
    X(IPV6_TRUNC_PKT, "ipv6.trunc_pkt")                    \
    X(IPV6_EXTHDR_TRUNC, "ipv6.trunc_exthdr")              \
    X(IPV6_EXTHDR_TOO_MANY, "ipv6.exthdr_too_many")        \
    X(TCP_TRUNCATED, "tcp.pkt_too_small")                  \
    X(TCP_HLEN_BAD, "tcp.hlen_too_small")                  \
    X(TCP_OPT_INVALID, "tcp.opt_invalid_len")              \
    X(UDP_TRUNCATED, "udp.pkt_too_small")                  \
    X(UDP_LEN_BAD, "udp.hlen_invalid")                     \
    X(SCTP_TRUNCATED, "sctp.pkt_too_small")                \
    X(ICMPV4_TRUNCATED, "icmpv4.pkt_too_small")            \
    X(ICMPV6_TRUNCATED, "icmpv6.pkt_too_small")            \
    X(ICMPV6_ON_IPV4, "icmpv6.ipv4_proto")

enum decode_event {
#define DECODE_EVENT_ENUM(id, name) DECODE_EV_##id,
    DECODE_EVENTS(DECODE_EVENT_ENUM)
#undef DECODE_EVENT_ENUM
    DECODE_EV_MAX
};

/* Packets seen per protocol layer, as in Suricata's decoder.* counters. */
#define DECODE_LAYERS(X)         \
    X(ETHERNET, "ethernet")      \
    X(VLAN, "vlan")              \
    X(VLAN_QINQ, "vlan_qinq")    \
    X(PPPOE, "pppoe")            \
    X(SLL, "sll")                \
    X(NULL_LOOP, "null")         \
    X(RAW, "raw")                \
    X(ARP, "arp")                \
    X(IPV4, "ipv4")              \
    X(IPV6, "ipv6")              \
    X(TCP, "tcp")                \
    X(UDP, "udp")                \
    X(SCTP, "sctp")              \
    X(ICMPV4, "icmpv4")          \
    X(ICMPV6, "icmpv6")          \
    X(IPV4_FRAG, "ipv4_frag")    \
    X(IPV6_FRAG, "ipv6_frag")    \
    X(OTHER_L3, "other_l3")      \
    X(OTHER_L4, "other_l4")

enum decode_layer {
#define DECODE_LAYER_ENUM(id, name) DECODE_LAYER_##id,
    DECODE_LAYERS(DECODE_LAYER_ENUM)
#undef DECODE_LAYER_ENUM
    DECODE_LAYER_MAX
};

struct decode_stats {
    uint64_t pkts;
    uint64_t bytes; /* wire length */
    uint64_t invalid;
    uint64_t layer[DECODE_LAYER_MAX];
    uint64_t event[DECODE_EV_MAX];
};

/* Packet flags. */
#define PKT_IPV4_OPTS (1u << 0)     /* IPv4 header carried options */
#define PKT_IPV4_SRCROUTE (1u << 1) /* loose or strict source route option */
#define PKT_FRAGMENT (1u << 2)      /* part of a fragmented datagram */
#define PKT_FRAG_LATER (1u << 3)    /* a fragment after the first: no L4 header */
#define PKT_SNAPPED (1u << 4)       /* capture cut the packet short (snaplen) */
#define PKT_HAS_L4 (1u << 5)        /* ports or ICMP type are valid */
#define PKT_IPV6_EXT (1u << 6)      /* IPv6 extension headers walked */
#define PKT_ARP (1u << 7)           /* ARP fields are valid */
#define PKT_APP_PORT (1u << 8)      /* a port some application parser listens on */

/* TCP header flags (RFC 9293 section 3.1). */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* TCP options seen (bits of tcp_opts). */
#define TCP_OPT_MSS_SEEN (1u << 0)
#define TCP_OPT_WSCALE_SEEN (1u << 1)
#define TCP_OPT_SACKOK_SEEN (1u << 2)
#define TCP_OPT_SACK_SEEN (1u << 3)
#define TCP_OPT_TS_SEEN (1u << 4)

struct arp_info {
    uint16_t op; /* 1 request, 2 reply */
    uint8_t sender_mac[6];
    uint8_t sender_ip[4];
    uint8_t target_mac[6];
    uint8_t target_ip[4];
};

/*
 * One captured packet. The capture stage fills the first block; decode
 * fills the rest. Pointers point into the capture's buffer, valid until the
 * next packet is read.
 */
struct ww_packet {
    /* from capture */
    uint64_t ts_us; /* capture time, microseconds since the epoch */
    const uint8_t *data;
    uint32_t caplen;  /* bytes captured */
    uint32_t wirelen; /* bytes on the wire */
    int linktype;
    uint32_t file_index; /* which input file */
    uint64_t file_pkt;   /* 1-based packet number within that file */

    /* from decode */
    uint32_t flags;
    uint8_t n_vlan;
    uint16_t vlan[DECODE_VLAN_MAX];
    bool has_eth;
    uint8_t src_mac[6];
    uint8_t dst_mac[6];
    uint8_t family; /* 4, 6, or 0 when there is no IP layer */
    uint8_t ip_proto;
    uint8_t ttl; /* IPv4 TTL or IPv6 hop limit */
    uint8_t src_ip[16]; /* IPv4 in the first 4 bytes, the rest zero */
    uint8_t dst_ip[16];
    uint32_t ip_len; /* IP datagram length: header, options and payload */
    uint16_t sport, dport;
    uint8_t tcp_flags;
    uint8_t tcp_opts;
    uint8_t tcp_wscale;
    uint16_t tcp_mss;
    uint16_t tcp_win;
    uint32_t tcp_seq, tcp_ack;
    uint8_t icmp_type, icmp_code;
    struct arp_info arp;
    /* a problem that was counted but did not stop decoding, or DECODE_EV_MAX */
    enum decode_event anomaly;
    const uint8_t *payload; /* L4 payload, or NULL */
    uint32_t payload_len;   /* bytes of payload present in the capture */
};

/* Names of a decoder event kind and of a layer counter. */
const char *decode_event_name(enum decode_event ev);
const char *decode_layer_name(enum decode_layer layer);

/* True when wardwatch can decode this link type. */
bool decode_link_supported(int linktype);

/*
 * Decodes p->data as link type p->linktype into p. Returns DECODE_EV_MAX
 * when the packet decoded (possibly only down to some layer: a protocol it
 * does not know is not an error), or the decoder event that stopped it. A
 * problem that a receiving host would let pass (a malformed TCP option, as
 * RFC 9293 section 3.1 has receivers skip) is counted and left in
 * p->anomaly while decoding goes on, so that it cannot hide a packet.
 */
enum decode_event decode_packet(struct decode_stats *stats, struct ww_packet *p);

#endif
