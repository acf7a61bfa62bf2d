/* SPDX-License-Identifier: MIT */
/* pktbuild: builds Ethernet frames for tests and generated captures. */
#ifndef WW_TOOLS_PKTBUILD_H
#define WW_TOOLS_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_FRAME_MAX 65600

/*
 * What a frame carries. Zeroed fields take defaults: TTL 64, window 65535.
 * For IPv6, ext/ext_len is a ready-made extension header chain whose first
 * header is ext_first; the caller sets the next-header bytes inside it.
 */
struct pkt_spec {
    uint8_t src_mac[6], dst_mac[6];
    uint16_t vlan[4];
    int n_vlan;
    int family; /* 4 or 6 */
    uint8_t src_ip[16], dst_ip[16];
    uint8_t proto;
    uint8_t ttl;
    uint16_t sport, dport;
    uint8_t tcp_flags;
    uint32_t seq, ack;
    uint16_t win;
    uint8_t icmp_type, icmp_code;
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *ip_opts; /* IPv4 options, a multiple of 4 bytes */
    size_t ip_opts_len;
    const uint8_t *tcp_opts; /* TCP options, a multiple of 4 bytes */
    size_t tcp_opts_len;
    uint16_t frag_offset; /* IPv4, in 8-byte units */
    bool more_fragments;
    uint16_t ip_id;
    bool no_l4_header; /* payload is the whole IP payload (later fragments) */
    const uint8_t *ext;
    size_t ext_len;
    uint8_t ext_first;
};

/*
 * Writes the frame into out (cap bytes) with correct lengths and
 * checksums. Returns the frame length, or 0 if it does not fit.
 */
size_t pkt_build(const struct pkt_spec *s, uint8_t *out, size_t cap);

/* Sets a 4-byte IPv4 address from a dotted string; 0 or -1. */
int pkt_ip4(uint8_t *addr, const char *text);
/* Sets a 16-byte IPv6 address from text; 0 or -1. */
int pkt_ip6(uint8_t *addr, const char *text);

#endif
