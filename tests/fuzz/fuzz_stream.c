/* SPDX-License-Identifier: MIT */
/*
 * fuzz_stream: libFuzzer target for TCP reassembly. The input is a list of
 * segments of one connection: direction, flags, sequence and ack offsets,
 * length, then that many payload bytes. The handler checks that delivered
 * bytes never exceed what was sent and that gaps are reported with data NULL.
 */
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "flow/flow.h"

#define SEG_HDR_LEN 8

static uint64_t delivered;

static void on_data(void *ctx, struct ww_flow *f, int dir, const uint8_t *data, uint32_t len,
                    unsigned flags)
{
    (void)ctx;
    (void)f;
    (void)dir;
    if (flags == STREAM_DATA) {
        if (data == NULL && len > 0) {
            abort();
        }
        delivered += len;
    } else if ((flags & STREAM_GAP) && data != NULL) {
        abort();
    }
}

static void on_end(void *ctx, const struct ww_flow *f, enum flow_end_reason why)
{
    (void)ctx;
    (void)f;
    (void)why;
}

static void set_packet(struct ww_packet *p, int dir, const uint8_t *h)
{
    static const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};

    memset(p, 0, sizeof(*p));
    p->family = 4;
    p->ip_proto = 6;
    memcpy(p->src_ip, dir ? b : a, 4);
    memcpy(p->dst_ip, dir ? a : b, 4);
    p->sport = dir ? 80 : 40000;
    p->dport = dir ? 40000 : 80;
    p->flags = PKT_HAS_L4;
    p->tcp_flags = h[1];
    /* Offsets near a small base make overlaps and holes likely; the high
     * bit of the seq offset wraps the sequence space. */
    p->tcp_seq = (h[2] & 0x80 ? 0xfffff000u : 1000u) + (uint32_t)(((h[2] & 0x7f) << 8) | h[3]);
    p->tcp_ack = 5000u + (uint32_t)((h[4] << 8) | h[5]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct flow_config cfg;
    struct flow_table *t;
    uint64_t sent = 0;
    uint64_t ts = 1000000;

    flow_config_default(&cfg);
    cfg.memcap = FLOW_MEMCAP_MIN;
    cfg.stream.ooo_max = 4096;
    cfg.stream.memcap = 64 * 1024;
    t = flow_table_new(&cfg, on_end, NULL);
    if (t == NULL) {
        return 0;
    }
    flow_table_set_stream_handler(t, on_data, NULL);
    delivered = 0;
    while (size >= SEG_HDR_LEN) {
        struct ww_packet p;
        uint32_t len = (uint32_t)((data[6] << 8) | data[7]);
        int dir;

        if (len > size - SEG_HDR_LEN) {
            len = (uint32_t)(size - SEG_HDR_LEN);
        }
        set_packet(&p, data[0] & 1, data);
        p.payload = data + SEG_HDR_LEN;
        p.payload_len = len;
        p.ts_us = ts++;
        p.wirelen = p.caplen = len + 54;
        flow_table_packet(t, &p, &dir);
        sent += len;
        data += SEG_HDR_LEN + len;
        size -= SEG_HDR_LEN + len;
    }
    flow_table_flush(t);
    if (delivered > sent) {
        abort();
    }
    flow_table_free(t);
    return 0;
}
