/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dns: libFuzzer target for the DNS and mDNS parsers (src/proto/dns.c).
 * The input is parsed three ways: whole, as one UDP DNS datagram and as one
 * mDNS datagram (each must return its length or PROTO_MALFORMED); then as a
 * DNS-over-TCP conversation through the proto layer (probe, buffering of
 * incomplete messages), cut into chunks: a header byte (bit 7: direction,
 * bits 0-6: length) and then that many bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "flow/flow.h"
#include "output/eve.h"
#include "proto/proto.h"

extern const struct proto_parser proto_dns_udp_parser;
extern const struct proto_parser proto_dns_tcp_parser;
extern const struct proto_parser proto_mdns_parser;

static struct eve_writer *eve;

static void flow_setup(struct ww_flow *f, uint8_t ip_proto, uint16_t port, uint8_t app)
{
    memset(f, 0, sizeof(*f));
    f->key.family = 4;
    f->key.proto = ip_proto;
    f->key.addr[0][0] = 10;
    f->key.addr[1][0] = 10;
    f->key.addr[1][3] = 2;
    f->key.port[0] = 40000;
    f->key.port[1] = port;
    f->app_proto = app;
}

/* One datagram parser over an exact-size copy, so a read past the end is caught. */
static void fuzz_datagram(const struct proto_parser *p, const uint8_t *data, size_t size)
{
    struct ww_flow f;
    struct proto_ctx ctx;
    uint8_t *copy = malloc(size > 0 ? size : 1);
    int rc;

    if (copy == NULL) {
        return;
    }
    if (size > 0) {
        memcpy(copy, data, size);
    }
    flow_setup(&f, 17, p->ports[0], (uint8_t)p->proto);
    ctx = (struct proto_ctx){eve, &f, size > 0 && (data[0] & 1) ? FLOW_TOCLIENT : FLOW_TOSERVER,
                             1000000, NULL};
    (void)p->probe(copy, size, ctx.dir);
    rc = p->parse(&ctx, NULL, copy, size);
    if (rc != PROTO_MALFORMED && rc != (int)size) {
        abort();
    }
    free(copy);
}

/* The same bytes in chunks of both directions of a TCP flow to port 53. */
static void fuzz_tcp(const uint8_t *data, size_t size)
{
    struct proto_layer *pl = proto_layer_new(eve);
    struct ww_flow f;

    if (pl == NULL) {
        return;
    }
    flow_setup(&f, 6, 53, APP_NONE);
    while (size > 1) {
        int dir = data[0] >> 7;
        size_t n = data[0] & 0x7f;

        data++;
        size--;
        n = n < size ? n : size;
        if (n > 0) {
            proto_stream(pl, &f, dir, data, (uint32_t)n, STREAM_DATA);
        }
        data += n;
        size -= n;
    }
    proto_flow_end(pl, &f);
    proto_layer_free(pl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (eve == NULL) {
        eve = eve_open("/dev/null");
        if (eve == NULL) {
            abort();
        }
    }
    fuzz_datagram(&proto_dns_udp_parser, data, size);
    fuzz_datagram(&proto_mdns_parser, data, size);
    fuzz_tcp(data, size);
    return 0;
}
