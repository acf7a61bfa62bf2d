/* SPDX-License-Identifier: MIT */
/*
 * pktbuild: Ethernet II / 802.1Q / IPv4 / IPv6 / TCP / UDP / ICMP frames
 * with valid lengths and checksums (RFC 1071), for tests and generators.
 */
#include "pktbuild.h"

#include <arpa/inet.h>
#include <string.h>

#define ETH_LEN 14
#define VLAN_LEN 4
#define IPV4_LEN 20
#define IPV6_LEN 40
#define TCP_LEN 20
#define UDP_LEN 8
#define ICMP_LEN 8

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint32_t sum_bytes(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    }
    if (len & 1) {
        sum += (uint32_t)p[len - 1] << 8;
    }
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

/* Checksum over the pseudo-header and the transport segment. */
static uint16_t l4_checksum(const struct pkt_spec *s, const uint8_t *seg, size_t len)
{
    size_t alen = s->family == 4 ? 4 : 16;
    uint32_t sum = 0;

    sum = sum_bytes(sum, s->src_ip, alen);
    sum = sum_bytes(sum, s->dst_ip, alen);
    sum += s->proto;
    sum += (uint32_t)len;
    sum = sum_bytes(sum, seg, len);
    return fold(sum);
}

static size_t build_l4(const struct pkt_spec *s, uint8_t *p, size_t cap)
{
    size_t hlen, len;
    int ck;

    switch (s->no_l4_header ? 0 : s->proto) {
    case 6:
        hlen = TCP_LEN + s->tcp_opts_len;
        break;
    case 17:
        hlen = UDP_LEN;
        break;
    case 1:
    case 58:
        hlen = ICMP_LEN;
        break;
    default:
        hlen = 0;
        break;
    }
    len = hlen + s->payload_len;
    if (len > cap) {
        return 0;
    }
    memset(p, 0, hlen);
    if (hlen == 0) {
        ck = -1;
    } else if (s->proto == 6) {
        put16(p, s->sport);
        put16(p + 2, s->dport);
        put32(p + 4, s->seq);
        put32(p + 8, s->ack);
        p[12] = (uint8_t)((hlen / 4) << 4);
        p[13] = s->tcp_flags;
        put16(p + 14, s->win != 0 ? s->win : 65535);
        if (s->tcp_opts_len > 0) {
            memcpy(p + TCP_LEN, s->tcp_opts, s->tcp_opts_len);
        }
        ck = 16;
    } else if (s->proto == 17) {
        put16(p, s->sport);
        put16(p + 2, s->dport);
        put16(p + 4, (uint16_t)len);
        ck = 6;
    } else if (hlen == ICMP_LEN) {
        p[0] = s->icmp_type;
        p[1] = s->icmp_code;
        ck = 2;
    } else {
        ck = -1;
    }
    if (s->payload_len > 0) {
        memcpy(p + hlen, s->payload, s->payload_len);
    }
    if (ck >= 0) {
        uint16_t v = (s->proto == 1) ? fold(sum_bytes(0, p, len)) : l4_checksum(s, p, len);

        if (s->proto == 17 && v == 0) {
            v = 0xffff;
        }
        put16(p + ck, v);
    }
    return len;
}

static size_t build_ipv4(const struct pkt_spec *s, uint8_t *p, size_t cap)
{
    size_t hlen = IPV4_LEN + s->ip_opts_len;
    size_t l4;
    uint16_t frag = (uint16_t)(s->frag_offset & 0x1fff);

    if (hlen > cap || (l4 = build_l4(s, p + hlen, cap - hlen)) == 0) {
        return 0;
    }
    p[0] = (uint8_t)(0x40 | (hlen / 4));
    p[1] = 0;
    put16(p + 2, (uint16_t)(hlen + l4));
    put16(p + 4, s->ip_id);
    if (s->more_fragments) {
        frag |= 0x2000;
    }
    put16(p + 6, frag);
    p[8] = s->ttl != 0 ? s->ttl : 64;
    p[9] = s->proto;
    put16(p + 10, 0);
    memcpy(p + 12, s->src_ip, 4);
    memcpy(p + 16, s->dst_ip, 4);
    if (s->ip_opts_len > 0) {
        memcpy(p + IPV4_LEN, s->ip_opts, s->ip_opts_len);
    }
    put16(p + 10, fold(sum_bytes(0, p, hlen)));
    return hlen + l4;
}

static size_t build_ipv6(const struct pkt_spec *s, uint8_t *p, size_t cap)
{
    size_t hlen = IPV6_LEN + s->ext_len;
    size_t l4;

    if (hlen > cap || (l4 = build_l4(s, p + hlen, cap - hlen)) == 0) {
        return 0;
    }
    memset(p, 0, IPV6_LEN);
    p[0] = 0x60;
    put16(p + 4, (uint16_t)(s->ext_len + l4));
    p[6] = s->ext_len > 0 ? s->ext_first : s->proto;
    p[7] = s->ttl != 0 ? s->ttl : 64;
    memcpy(p + 8, s->src_ip, 16);
    memcpy(p + 24, s->dst_ip, 16);
    if (s->ext_len > 0) {
        memcpy(p + IPV6_LEN, s->ext, s->ext_len);
    }
    return hlen + l4;
}

size_t pkt_build(const struct pkt_spec *s, uint8_t *out, size_t cap)
{
    size_t off = 12;
    size_t l3;

    if (cap < ETH_LEN + (size_t)s->n_vlan * VLAN_LEN) {
        return 0;
    }
    memcpy(out, s->dst_mac, 6);
    memcpy(out + 6, s->src_mac, 6);
    for (int i = 0; i < s->n_vlan; i++) {
        put16(out + off, i == 0 && s->n_vlan > 1 ? 0x88a8 : 0x8100);
        put16(out + off + 2, s->vlan[i]);
        off += VLAN_LEN;
    }
    put16(out + off, s->family == 6 ? 0x86dd : 0x0800);
    off += 2;
    l3 = s->family == 6 ? build_ipv6(s, out + off, cap - off) : build_ipv4(s, out + off, cap - off);
    if (l3 == 0) {
        return 0;
    }
    return off + l3;
}

int pkt_ip4(uint8_t *addr, const char *text)
{
    memset(addr, 0, 16);
    return inet_pton(AF_INET, text, addr) == 1 ? 0 : -1;
}

int pkt_ip6(uint8_t *addr, const char *text)
{
    return inet_pton(AF_INET6, text, addr) == 1 ? 0 : -1;
}
