/* SPDX-License-Identifier: MIT */
/*
 * fuzz_hl7: libFuzzer target for the HL7 v2 / MLLP parser. The first two
 * bytes pick a split point; the rest is one direction's stream. It is fed
 * whole and in two pieces the way proto.c feeds it: both runs must return
 * only bytes within range, NEED_MORE or MALFORMED, and write the same events.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/eve.h"
#include "proto/proto.h"

#define FUZZ_SPLIT_HDR 2

extern const struct proto_parser proto_hl7_parser;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses data as proto.c would after earlier bytes. Returns 0 or PROTO_MALFORMED. */
static int feed(const struct proto_ctx *ctx, void *st, const uint8_t *data, size_t len)
{
    size_t done = 0;

    while (done < len) {
        int rc = proto_hl7_parser.parse(ctx, st, data + done, len - done);

        if (rc == PROTO_MALFORMED) {
            return rc;
        }
        if (rc == PROTO_NEED_MORE) {
            abort(); /* the parser streams: it never leaves bytes behind */
        }
        if (rc <= 0 || (size_t)rc > len - done) {
            abort();
        }
        done += (size_t)rc;
    }
    return 0;
}

/* Runs the stream in pieces [0, cut) and [cut, len). Returns events written. */
static uint64_t run(struct eve_writer *w, const uint8_t *data, size_t len, size_t cut, int *rc)
{
    struct ww_flow flow;
    struct proto_ctx ctx = {w, &flow, FLOW_TOSERVER, 1700000000000000ull, NULL};
    void *st = calloc(1, proto_hl7_parser.state_size);
    uint64_t before = eve_writer_stats(w)->events;

    if (st == NULL) {
        abort();
    }
    memset(&flow, 0, sizeof(flow));
    flow.key.family = 4;
    flow.key.proto = 6;
    flow.app_proto = APP_HL7;
    *rc = feed(&ctx, st, data, cut);
    if (*rc == 0) {
        *rc = feed(&ctx, st, data + cut, len - cut);
    }
    free(st);
    return eve_writer_stats(w)->events - before;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct eve_writer *w;
    size_t cut, len;
    uint64_t n_whole, n_split;
    int rc_whole, rc_split;

    if (w == NULL) {
        w = eve_open("/dev/null");
        if (w == NULL) {
            abort();
        }
    }
    if (size < FUZZ_SPLIT_HDR) {
        return 0;
    }
    len = size - FUZZ_SPLIT_HDR;
    cut = ((size_t)data[0] | ((size_t)data[1] << 8)) % (len + 1);
    data += FUZZ_SPLIT_HDR;
    n_whole = run(w, data, len, len, &rc_whole);
    n_split = run(w, data, len, cut, &rc_split);
    if (n_whole != n_split || rc_whole != rc_split) {
        abort();
    }
    return 0;
}
