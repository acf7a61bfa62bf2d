/* SPDX-License-Identifier: MIT */
/*
 * fuzz_fingerprint: libFuzzer target for the fingerprint collector
 * (src/inventory/fingerprint.c), which reads DHCP, DNS, SSDP, HTTP and TLS
 * bytes of every packet on its own. The input is one Ethernet frame; it is
 * decoded and, when it decodes, collected into a collector that keeps
 * token text (as training does) and lives across FUZZ_RESET inputs, so
 * tables grow, then starts afresh (so memory stays bounded).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "inventory/fingerprint.h"

#define FUZZ_RESET 20000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fp_collector *c;
    static struct decode_stats stats;
    static unsigned n_inputs;
    struct ww_packet p = {0};
    uint8_t *copy;

    if (c != NULL && ++n_inputs % FUZZ_RESET == 0) {
        fp_collector_free(c);
        c = NULL;
    }
    if (c == NULL) {
        c = fp_collector_new();
        if (c == NULL) {
            abort();
        }
        fp_collector_keep_text(c);
    }
    /* An exact-size copy, so a read past the end is caught. */
    copy = malloc(size > 0 ? size : 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);
    p.linktype = LINK_EN10MB;
    p.data = copy;
    p.caplen = (uint32_t)size;
    p.wirelen = (uint32_t)size;
    p.ts_us = 1700000000000000ull;
    if (decode_packet(&stats, &p) == DECODE_EV_MAX) {
        fp_collector_packet(c, &p);
    }
    free(copy);
    return 0;
}
