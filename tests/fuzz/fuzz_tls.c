/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tls: libFuzzer target for the TLS parser (src/proto/tls.c) and the
 * certificate reader (src/proto/x509.c). The input is read three ways: as
 * one DER certificate; whole, as one direction's stream straight through
 * the parser, which must never claim more bytes than it was given, and
 * whose state is released (writing any pending event); then as a TCP
 * conversation through the proto layer (probe, buffering of incomplete
 * records), cut into chunks: a header byte (bit 7: direction, bits 0-6:
 * length) and then that many bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "output/eve.h"
#include "proto/proto.h"
#include "proto/x509.h"

extern const struct proto_parser proto_tls_parser;

static struct eve_writer *eve;

static void fuzz_whole(const struct ww_flow *f, const uint8_t *data, size_t size)
{
    struct proto_ctx ctx = {eve, f, FLOW_TOSERVER, 1000000, NULL};
    void *state = calloc(1, proto_tls_parser.state_size);
    size_t done = 0;

    if (state == NULL) {
        return;
    }
    while (done < size) {
        int rc = proto_tls_parser.parse(&ctx, state, data + done, size - done);

        if (rc == PROTO_NEED_MORE || rc == PROTO_MALFORMED) {
            break;
        }
        if (rc <= 0 || (size_t)rc > size - done) {
            abort();
        }
        done += (size_t)rc;
    }
    proto_tls_parser.state_free(state);
    free(state);
}

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
    static struct x509_cert cert;

    if (eve == NULL) {
        eve = eve_open("/dev/null");
        if (eve == NULL) {
            abort();
        }
    }
    (void)x509_parse(data, size, &cert);
    memset(&f, 0, sizeof(f));
    f.key.family = 4;
    f.key.proto = 6;
    f.key.addr[0][0] = 10;
    f.key.addr[1][0] = 10;
    f.key.addr[1][3] = 2;
    f.key.port[0] = 40000;
    f.key.port[1] = 443;
    fuzz_whole(&f, data, size);
    fuzz_chunks(&f, data, size);
    return 0;
}
