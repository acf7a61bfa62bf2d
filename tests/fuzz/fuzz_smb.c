/* SPDX-License-Identifier: MIT */
/*
 * fuzz_smb: libFuzzer target for the SMB negotiation reader.
 * Byte 0 and 1 pick a split point, byte 2 how much of the rest is the
 * client's stream (the remainder is the server's). Each stream is fed whole
 * and in two pieces the way proto.c feeds it: both runs must return only
 * bytes within range, NEED_MORE or MALFORMED, and write the same events.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/eve.h"
#include "proto/proto.h"

#define FUZZ_HDR 3

extern const struct proto_parser proto_smb_parser;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_dir {
    uint8_t buf[PROTO_BUF_MAX];
    size_t len;
    int rc;
};

static void feed(const struct proto_ctx *ctx, void *st, struct fuzz_dir *d, const uint8_t *data,
                 size_t len)
{
    size_t done = 0;

    if (d->rc != 0) {
        return;
    }
    if (d->len + len > PROTO_BUF_MAX) {
        d->rc = -3; /* proto.c stops the flow: an overflow */
        return;
    }
    memcpy(d->buf + d->len, data, len);
    d->len += len;
    while (done < d->len) {
        int rc = proto_smb_parser.parse(ctx, st, d->buf + done, d->len - done);

        if (rc == PROTO_NEED_MORE) {
            break;
        }
        if (rc == PROTO_MALFORMED) {
            d->rc = rc;
            return;
        }
        if (rc <= 0 || (size_t)rc > d->len - done) {
            abort();
        }
        done += (size_t)rc;
    }
    memmove(d->buf, d->buf + done, d->len - done);
    d->len -= done;
}

static uint64_t run(struct eve_writer *w, const uint8_t *c, size_t c_len, const uint8_t *s,
                    size_t s_len, size_t cut, int rc[2])
{
    static struct fuzz_dir dirs[2];
    struct ww_flow flow;
    struct proto_ctx ctx[2] = {{w, &flow, FLOW_TOSERVER, 1700000000000000ull, NULL},
                               {w, &flow, FLOW_TOCLIENT, 1700000000000000ull, NULL}};
    void *st = calloc(1, proto_smb_parser.state_size);
    uint64_t before = eve_writer_stats(w)->events;
    size_t c_cut = cut < c_len ? cut : c_len, s_cut = cut < s_len ? cut : s_len;

    if (st == NULL) {
        abort();
    }
    memset(&flow, 0, sizeof(flow));
    memset(dirs, 0, sizeof(dirs));
    flow.key.family = 4;
    flow.key.proto = 6;
    flow.app_proto = APP_SMB;
    feed(&ctx[1], st, &dirs[1], s, s_cut);
    feed(&ctx[1], st, &dirs[1], s + s_cut, s_len - s_cut);
    feed(&ctx[0], st, &dirs[0], c, c_cut);
    feed(&ctx[0], st, &dirs[0], c + c_cut, c_len - c_cut);
    rc[0] = dirs[0].rc;
    rc[1] = dirs[1].rc;
    free(st);
    return eve_writer_stats(w)->events - before;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct eve_writer *w;
    size_t cut, len, c_len;
    int rc_whole[2], rc_split[2];

    if (w == NULL) {
        w = eve_open("/dev/null");
        if (w == NULL) {
            abort();
        }
    }
    if (size < FUZZ_HDR) {
        return 0;
    }
    len = size - FUZZ_HDR;
    cut = ((size_t)data[0] | ((size_t)data[1] << 8)) % (len + 1);
    c_len = len * data[2] / 255;
    data += FUZZ_HDR;
    if (run(w, data, c_len, data + c_len, len - c_len, len, rc_whole) !=
            run(w, data, c_len, data + c_len, len - c_len, cut, rc_split) ||
        rc_whole[0] != rc_split[0] || rc_whole[1] != rc_split[1]) {
        abort();
    }
    return 0;
}
