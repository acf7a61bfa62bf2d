/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dicom: libFuzzer target for the DICOM upper-layer parser
 * (src/proto/dicom.c). The first two bytes pick a split point; the rest is
 * a stream. It is fed to one direction whole and in two pieces, keeping an
 * incomplete tail the way proto.c does: both runs must return only bytes
 * within range, NEED_MORE or MALFORMED, and write the same events. A third
 * run goes through the proto layer (probe, buffering, evidence handed on):
 * the first piece toward the server and the second back, so an
 * A-ASSOCIATE-AC meets the RQ before it. Evidence values are checked for
 * their length cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/eve.h"
#include "proto/proto.h"

#define FUZZ_SPLIT_HDR 2
#define FUZZ_VALUE_MAX 64 /* DICOM_VALUE_MAX in dicom.c */

extern const struct proto_parser proto_dicom_parser;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One direction's tail, as proto.c keeps it between calls. */
struct pending {
    uint8_t *buf;
    size_t len;
};

static void on_evidence(void *arg, const struct proto_evidence *ev)
{
    volatile uint8_t sink = 0;

    (void)arg;
    if (ev->value_len == 0 || ev->value_len > FUZZ_VALUE_MAX) {
        abort();
    }
    for (size_t i = 0; i < ev->value_len; i++) {
        sink ^= (uint8_t)ev->value[i];
    }
    (void)sink;
}

/* Appends data to p and parses until NEED_MORE. Returns 0 or PROTO_MALFORMED. */
static int feed(const struct proto_ctx *ctx, void *st, struct pending *p, const uint8_t *data,
                size_t len)
{
    size_t done = 0;

    if (len > 0) {
        memcpy(p->buf + p->len, data, len);
        p->len += len;
    }
    while (done < p->len) {
        int rc = proto_dicom_parser.parse(ctx, st, p->buf + done, p->len - done);

        if (rc == PROTO_MALFORMED) {
            return rc;
        }
        if (rc == PROTO_NEED_MORE) {
            break;
        }
        if (rc <= 0 || (size_t)rc > p->len - done) {
            abort();
        }
        done += (size_t)rc;
    }
    memmove(p->buf, p->buf + done, p->len - done);
    p->len -= done;
    return 0;
}

/* Runs [0, cut) then [cut, len) toward the server. Returns events written. */
static uint64_t run(struct eve_writer *w, const uint8_t *data, size_t len, size_t cut, int *rc)
{
    struct ww_flow flow;
    struct proto_ctx ctx = {w, &flow, FLOW_TOSERVER, 1700000000000000ull, NULL};
    struct pending p;
    void *st = calloc(1, proto_dicom_parser.state_size);
    uint64_t before = eve_writer_stats(w)->events;

    p.buf = malloc(len + 1);
    if (st == NULL || p.buf == NULL) {
        abort();
    }
    p.len = 0;
    memset(&flow, 0, sizeof(flow));
    flow.key.family = 4;
    flow.key.proto = 6;
    flow.app_proto = APP_DICOM;
    *rc = feed(&ctx, st, &p, data, cut);
    if (*rc == 0) {
        *rc = feed(&ctx, st, &p, data + cut, len - cut);
    }
    free(p.buf);
    free(st);
    return eve_writer_stats(w)->events - before;
}

/* The conversation through the proto layer on port 104: [0, cut) to the server, the rest back. */
static void run_layer(struct proto_layer *pl, const uint8_t *data, size_t len, size_t cut)
{
    struct ww_flow flow;

    memset(&flow, 0, sizeof(flow));
    flow.key.family = 4;
    flow.key.proto = 6;
    flow.key.addr[0][0] = 10;
    flow.key.addr[1][0] = 20;
    flow.key.port[0] = 40000;
    flow.key.port[1] = 104;
    if (cut > 0) {
        proto_stream(pl, &flow, FLOW_TOSERVER, data, (uint32_t)cut, 0);
    }
    if (len > cut) {
        proto_stream(pl, &flow, FLOW_TOCLIENT, data + cut, (uint32_t)(len - cut), 0);
    }
    proto_flow_end(pl, &flow);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct eve_writer *w;
    static struct proto_layer *pl;
    size_t cut, len;
    uint64_t n_whole, n_split;
    int rc_whole, rc_split;

    if (w == NULL) {
        w = eve_open("/dev/null");
        pl = w != NULL ? proto_layer_new(w) : NULL;
        if (pl == NULL) {
            abort();
        }
        proto_layer_set_evidence(pl, on_evidence, NULL);
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
    run_layer(pl, data, len, cut);
    return 0;
}
