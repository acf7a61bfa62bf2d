/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ssdp: libFuzzer target for the SSDP parser (src/proto/ssdp.c). Any
 * bytes, as one datagram, must be probed and parsed without reading out of
 * bounds, and parse must return the whole length or PROTO_MALFORMED.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

extern const struct proto_parser proto_ssdp_parser;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct eve_writer *eve;
    static struct ww_flow flow;
    struct proto_ctx ctx;
    uint8_t *copy;
    int rc;

    if (eve == NULL) {
        eve = eve_open("/dev/null");
        if (eve == NULL) {
            abort();
        }
        flow.key.family = 4;
        flow.key.proto = 17;
        flow.key.port[0] = 1900;
        flow.key.port[1] = 50000;
        flow.app_proto = APP_SSDP;
    }

    /* An exact-size copy, so a read past the end is caught. */
    copy = malloc(size > 0 ? size : 1);
    if (copy == NULL) {
        return 0;
    }
    if (size > 0) {
        memcpy(copy, data, size);
    }
    ctx = (struct proto_ctx){eve, &flow, FLOW_TOSERVER, 1764547200000000ull, NULL};
    (void)proto_ssdp_parser.probe(copy, size, ctx.dir);
    rc = proto_ssdp_parser.parse(&ctx, NULL, copy, size);
    if (rc != PROTO_MALFORMED && rc != (int)size) {
        abort();
    }
    free(copy);
    return 0;
}
