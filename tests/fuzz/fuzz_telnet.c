/* SPDX-License-Identifier: MIT */
/*
 * fuzz_telnet: libFuzzer target for the Telnet parser (src/proto/telnet.c). The
 * input is parsed twice: whole, straight through the parser as the
 * client's stream and then as the server's, which must never claim more
 * bytes than it was given, followed by the end-of-flow call (len 0); then
 * as a TCP conversation through the proto layer (probe, buffering of
 * incomplete lines), cut into chunks: a header byte (bit 7: direction,
 * bits 0-6: length) and then that many bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "output/eve.h"
#include "proto/proto.h"

extern const struct proto_parser proto_telnet_parser;

static struct eve_writer *eve;

/* The parser alone over the whole input, as one direction's stream. */
static void fuzz_dir(const struct ww_flow *f, void *state, int dir, const uint8_t *data,
                     size_t size)
{
    struct proto_ctx ctx = {eve, f, dir, 1000000, NULL};
    size_t done = 0;

    while (done < size) {
        int rc = proto_telnet_parser.parse(&ctx, state, data + done, size - done);

        if (rc == PROTO_NEED_MORE || rc == PROTO_MALFORMED) {
            break;
        }
        if (rc <= 0 || (size_t)rc > size - done) {
            abort();
        }
        done += (size_t)rc;
    }
}

static void fuzz_whole(const struct ww_flow *f, const uint8_t *data, size_t size)
{
    struct proto_ctx ctx = {eve, f, FLOW_TOSERVER, 2000000, NULL};
    void *state = calloc(1, proto_telnet_parser.state_size);

    if (state == NULL) {
        return;
    }
    fuzz_dir(f, state, FLOW_TOSERVER, data, size);
    fuzz_dir(f, state, FLOW_TOCLIENT, data, size);
    if (proto_telnet_parser.parse(&ctx, state, data, 0) != 0) {
        abort(); /* the end-of-flow call consumes nothing */
    }
    proto_telnet_parser.state_free(state);
    free(state);
}

/* The same bytes in chunks of both directions through the proto layer. */
static void fuzz_chunks(struct ww_flow *f, const uint8_t *data, size_t size)
{
    struct proto_layer *pl = proto_layer_new(eve);

    if (pl == NULL) {
        return;
    }
    while (size > 1) {
        int dir = data[0] >> 7;
        size_t n = data[0] & 0x7f;

        data++;
        size--;
        n = n < size ? n : size;
        if (n > 0) {
            proto_stream(pl, f, dir, data, (uint32_t)n, STREAM_DATA);
        }
        data += n;
        size -= n;
    }
    proto_flow_end(pl, f);
    proto_layer_free(pl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ww_flow f;

    if (eve == NULL) {
        eve = eve_open("/dev/null");
        if (eve == NULL) {
            abort();
        }
    }
    memset(&f, 0, sizeof(f));
    f.key.family = 4;
    f.key.proto = 6;
    f.key.addr[0][0] = 10;
    f.key.addr[1][0] = 10;
    f.key.addr[1][3] = 2;
    f.key.port[0] = 40000;
    f.key.port[1] = 23;
    fuzz_whole(&f, data, size);
    fuzz_chunks(&f, data, size);
    return 0;
}
