/* SPDX-License-Identifier: MIT */
/*
 * fuzz_decode: libFuzzer target for the decoders and the flow table. The
 * first input byte picks the link type; the rest is one packet, decoded
 * and, when it decodes, accounted to a flow table that lives across inputs
 * with a small memcap so that eviction and expiry run too.
 */
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/flow.h"

static const int linktypes[] = {LINK_EN10MB, LINK_RAW,        LINK_LINUX_SLL, LINK_LINUX_SLL2,
                                LINK_NULL,   LINK_LOOP,       LINK_IPV4,      LINK_IPV6,
                                LINK_RAW_ALT, 9999};

static void on_end(void *ctx, const struct ww_flow *f, enum flow_end_reason why)
{
    char cid[FLOW_COMMUNITY_ID_LEN + 1];

    (void)ctx;
    (void)why;
    flow_community_id(f, cid);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct flow_table *table;
    static struct decode_stats stats;
    static uint64_t now_us = 1000000;
    struct ww_packet p = {0};
    int dir;

    if (table == NULL) {
        struct flow_config cfg;

        flow_config_default(&cfg);
        cfg.memcap = FLOW_MEMCAP_MIN;
        table = flow_table_new(&cfg, on_end, NULL);
    }
    if (size < 1) {
        return 0;
    }
    p.linktype = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
    p.data = data + 1;
    p.caplen = (uint32_t)(size - 1);
    p.wirelen = p.caplen + (data[0] >> 7) * 100; /* sometimes snapped */
    now_us += 7000000;
    p.ts_us = now_us;
    if (decode_packet(&stats, &p) == DECODE_EV_MAX && p.family != 0) {
        flow_table_packet(table, &p, &dir);
    }
    flow_table_expire(table, now_us);
    return 0;
}
