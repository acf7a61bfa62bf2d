/* SPDX-License-Identifier: MIT */
/*
 * link: the layers under IP. Ethernet II (IEEE 802.3 clause 3), stacked
 * 802.1Q/802.1ad tags (IEEE 802.1Q clause 9), PPPoE sessions (RFC 2516
 * section 4, PPP protocol numbers RFC 1661), Linux cooked capture v1 and v2
 * (tcpdump.org LINKTYPE_LINUX_SLL/SLL2), BSD loopback and raw IP.
 *
 *   Ethernet II:  dst(6) src(6) type(2) payload
 *   802.1Q tag:   TCI(2: pcp 3, dei 1, vid 12) type(2)
 *   PPPoE:        ver/type(1) code(1) session(2) length(2) PPP protocol(2)
 */
#include "decode/decode_int.h"

#include <string.h>

#define VLAN_TAG_LEN 4
#define PPP_PROTO_IPV4 0x0021
#define PPP_PROTO_IPV6 0x0057
#define SLL_HDR_LEN 16
#define SLL2_HDR_LEN 20

/* BSD address families that mean IPv4 or IPv6 in loopback headers. */
#define BSD_AF_INET 2
#define BSD_AF_INET6_BSD 24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

static const char *const event_names[] = {
#define DECODE_EVENT_NAME(id, name) name,
    DECODE_EVENTS(DECODE_EVENT_NAME)
#undef DECODE_EVENT_NAME
};

static const char *const layer_names[] = {
#define DECODE_LAYER_NAME(id, name) name,
    DECODE_LAYERS(DECODE_LAYER_NAME)
#undef DECODE_LAYER_NAME
};

const char *decode_event_name(enum decode_event ev)
{
    return ev < DECODE_EV_MAX ? event_names[ev] : "none";
}

const char *decode_layer_name(enum decode_layer layer)
{
    return layer < DECODE_LAYER_MAX ? layer_names[layer] : "none";
}

bool decode_link_supported(int linktype)
{
    switch (linktype) {
    case LINK_NULL:
    case LINK_EN10MB:
    case LINK_RAW:
    case LINK_RAW_ALT:
    case LINK_LOOP:
    case LINK_LINUX_SLL:
    case LINK_IPV4:
    case LINK_IPV6:
    case LINK_LINUX_SLL2:
        return true;
    default:
        return false;
    }
}

/* Walks stacked VLAN tags, keeping the outer DECODE_VLAN_MAX ids. */
static enum decode_event decode_vlan(struct decode_stats *s, struct ww_packet *p,
                                     struct ww_cursor *c, uint16_t ethertype)
{
    unsigned layers = 0;

    while (ethertype == ETHERTYPE_VLAN || ethertype == ETHERTYPE_QINQ ||
           ethertype == ETHERTYPE_QINQ_OLD) {
        uint16_t tci;

        if (++layers > DECODE_VLAN_LAYERS_MAX) {
            return DECODE_EV_VLAN_TOO_MANY;
        }
        if (cursor_be16(c, &tci) < 0 || cursor_be16(c, &ethertype) < 0) {
            return DECODE_EV_VLAN_TRUNCATED;
        }
        if (p->n_vlan < DECODE_VLAN_MAX) {
            p->vlan[p->n_vlan++] = tci & 0x0fff;
        }
    }
    s->layer[layers > 1 ? DECODE_LAYER_VLAN_QINQ : DECODE_LAYER_VLAN]++;
    return decode_ethertype(s, p, c, ethertype);
}

/* A PPPoE session frame: IPv4 and IPv6 inside are decoded, PPP control is not. */
static enum decode_event decode_pppoe(struct decode_stats *s, struct ww_packet *p,
                                      struct ww_cursor *c)
{
    uint8_t ver_type;
    uint16_t len, proto;

    if (cursor_u8(c, &ver_type) < 0 || cursor_skip(c, 3) < 0 || cursor_be16(c, &len) < 0 ||
        cursor_be16(c, &proto) < 0) {
        return DECODE_EV_PPPOE_TRUNCATED;
    }
    if (ver_type != 0x11 || len < 2) {
        return DECODE_EV_PPPOE_MALFORMED;
    }
    s->layer[DECODE_LAYER_PPPOE]++;
    switch (proto) {
    case PPP_PROTO_IPV4:
        return decode_ipv4(s, p, c);
    case PPP_PROTO_IPV6:
        return decode_ipv6(s, p, c);
    default:
        s->layer[DECODE_LAYER_OTHER_L3]++;
        return DECODE_EV_MAX;
    }
}

enum decode_event decode_ethertype(struct decode_stats *s, struct ww_packet *p,
                                   struct ww_cursor *c, uint16_t ethertype)
{
    switch (ethertype) {
    case ETHERTYPE_IPV4:
        return decode_ipv4(s, p, c);
    case ETHERTYPE_IPV6:
        return decode_ipv6(s, p, c);
    case ETHERTYPE_ARP:
        return decode_arp(s, p, c);
    case ETHERTYPE_PPPOE_SESSION:
        return decode_pppoe(s, p, c);
    case ETHERTYPE_VLAN:
    case ETHERTYPE_QINQ:
    case ETHERTYPE_QINQ_OLD:
        return decode_vlan(s, p, c, ethertype);
    default:
        s->layer[DECODE_LAYER_OTHER_L3]++;
        return DECODE_EV_MAX;
    }
}

static enum decode_event decode_ethernet(struct decode_stats *s, struct ww_packet *p,
                                         struct ww_cursor *c)
{
    uint16_t ethertype;

    if (cursor_copy(c, p->dst_mac, 6) < 0 || cursor_copy(c, p->src_mac, 6) < 0 ||
        cursor_be16(c, &ethertype) < 0) {
        return DECODE_EV_ETH_TRUNCATED;
    }
    s->layer[DECODE_LAYER_ETHERNET]++;
    p->has_eth = true;
    return decode_ethertype(s, p, c, ethertype);
}

/* Picks IPv4 or IPv6 from the version nibble of a raw IP packet. */
static enum decode_event decode_raw_ip(struct decode_stats *s, struct ww_packet *p,
                                       struct ww_cursor *c)
{
    uint8_t first;

    if (cursor_peek_u8(c, 0, &first) < 0) {
        return DECODE_EV_LINK_TRUNCATED;
    }
    s->layer[DECODE_LAYER_RAW]++;
    if ((first >> 4) == 6) {
        return decode_ipv6(s, p, c);
    }
    return decode_ipv4(s, p, c);
}

/* Linux cooked v1: the protocol is the last 2 bytes of a 16-byte header. */
static enum decode_event decode_sll(struct decode_stats *s, struct ww_packet *p,
                                    struct ww_cursor *c)
{
    uint16_t ethertype;

    if (cursor_skip(c, SLL_HDR_LEN - 2) < 0 || cursor_be16(c, &ethertype) < 0) {
        return DECODE_EV_LINK_TRUNCATED;
    }
    s->layer[DECODE_LAYER_SLL]++;
    return decode_ethertype(s, p, c, ethertype);
}

/* Linux cooked v2: the protocol is the first 2 bytes of a 20-byte header. */
static enum decode_event decode_sll2(struct decode_stats *s, struct ww_packet *p,
                                     struct ww_cursor *c)
{
    uint16_t ethertype;

    if (cursor_be16(c, &ethertype) < 0 || cursor_skip(c, SLL2_HDR_LEN - 2) < 0) {
        return DECODE_EV_LINK_TRUNCATED;
    }
    s->layer[DECODE_LAYER_SLL]++;
    return decode_ethertype(s, p, c, ethertype);
}

/* BSD loopback: a 4-byte address family, host order (NULL) or network (LOOP). */
static enum decode_event decode_null(struct decode_stats *s, struct ww_packet *p,
                                     struct ww_cursor *c, bool network_order)
{
    uint32_t family_le;
    uint32_t family;

    if (cursor_le32(c, &family_le) < 0) {
        return DECODE_EV_LINK_TRUNCATED;
    }
    /* NULL is in the writer's byte order: a value over 0xffff was swapped. */
    family = network_order || family_le > 0xffff ? __builtin_bswap32(family_le) : family_le;
    s->layer[DECODE_LAYER_NULL_LOOP]++;
    switch (family) {
    case BSD_AF_INET:
        return decode_ipv4(s, p, c);
    case BSD_AF_INET6_BSD:
    case BSD_AF_INET6_FREEBSD:
    case BSD_AF_INET6_DARWIN:
        return decode_ipv6(s, p, c);
    default:
        s->layer[DECODE_LAYER_OTHER_L3]++;
        return DECODE_EV_MAX;
    }
}

static void packet_reset(struct ww_packet *p)
{
    p->flags = 0;
    p->n_vlan = 0;
    p->vlan[0] = 0;
    p->vlan[1] = 0;
    p->has_eth = false;
    p->family = 0;
    p->ip_proto = 0;
    p->sport = 0;
    p->dport = 0;
    p->tcp_flags = 0;
    p->tcp_opts = 0;
    p->payload = NULL;
    p->payload_len = 0;
    p->anomaly = DECODE_EV_MAX;
}

enum decode_event decode_packet(struct decode_stats *s, struct ww_packet *p)
{
    struct ww_cursor c;
    enum decode_event ev;

    packet_reset(p);
    cursor_init(&c, p->data, p->caplen);
    if (p->caplen < p->wirelen) {
        p->flags |= PKT_SNAPPED;
    }
    s->pkts++;
    s->bytes += p->wirelen;

    switch (p->linktype) {
    case LINK_EN10MB:
        ev = decode_ethernet(s, p, &c);
        break;
    case LINK_RAW:
    case LINK_RAW_ALT:
        ev = decode_raw_ip(s, p, &c);
        break;
    case LINK_IPV4:
        ev = decode_ipv4(s, p, &c);
        break;
    case LINK_IPV6:
        ev = decode_ipv6(s, p, &c);
        break;
    case LINK_LINUX_SLL:
        ev = decode_sll(s, p, &c);
        break;
    case LINK_LINUX_SLL2:
        ev = decode_sll2(s, p, &c);
        break;
    case LINK_NULL:
        ev = decode_null(s, p, &c, false);
        break;
    case LINK_LOOP:
        ev = decode_null(s, p, &c, true);
        break;
    default:
        ev = DECODE_EV_LINK_UNSUPPORTED;
        break;
    }
    if (ev != DECODE_EV_MAX) {
        s->event[ev]++;
        s->invalid++;
    } else if (p->anomaly != DECODE_EV_MAX) {
        s->event[p->anomaly]++;
    }
    return ev;
}
