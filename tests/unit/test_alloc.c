/* SPDX-License-Identifier: MIT */
/*
 * test_alloc: the packet path allocates nothing in steady state. The test
 * binary is linked with --wrap for malloc, calloc, realloc and
 * aligned_alloc, so every allocation wardwatch's own code makes is counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/engine.h"
#include "pktbuild.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t align, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_aligned_alloc(size_t align, size_t n);

static unsigned long n_allocs;

void *__wrap_malloc(size_t n)
{
    n_allocs++;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    n_allocs++;
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    n_allocs++;
    return __real_realloc(p, n);
}

void *__wrap_aligned_alloc(size_t align, size_t n)
{
    n_allocs++;
    return __real_aligned_alloc(align, n);
}

#define N_CONVERSATIONS 200
#define US 1000000ull

/* Packet k of a steady mix: 200 TCP and UDP conversations taking turns. */
static size_t make_frame(unsigned k, uint8_t *frame)
{
    static const uint8_t payload[300] = {0};
    struct pkt_spec s = {0};
    unsigned conv = k % N_CONVERSATIONS;
    int back = (k / N_CONVERSATIONS) % 2;

    s.family = 4;
    pkt_ip4(back ? s.dst_ip : s.src_ip, "10.9.0.1");
    pkt_ip4(back ? s.src_ip : s.dst_ip, "10.9.1.1");
    (back ? s.dst_ip : s.src_ip)[3] = (uint8_t)(1 + conv % 200);
    s.proto = conv % 2 ? 17 : 6;
    s.sport = back ? 443 : (uint16_t)(30000 + conv);
    s.dport = back ? (uint16_t)(30000 + conv) : 443;
    s.tcp_flags = 0x18;
    s.seq = k;
    s.ack = k;
    s.payload = payload;
    s.payload_len = 40 + k % 200;
    return pkt_build(&s, frame, PKT_FRAME_MAX);
}

static void feed(struct engine *e, unsigned from, unsigned to)
{
    static uint8_t frame[PKT_FRAME_MAX];
    struct ww_packet p = {0};

    for (unsigned k = from; k < to; k++) {
        p.caplen = p.wirelen = (uint32_t)make_frame(k, frame);
        p.data = frame;
        p.linktype = LINK_EN10MB;
        p.ts_us = 1700000000 * US + k * 1000ull; /* 1 ms apart: timeouts never fire */
        engine_packet(e, &p);
    }
}

static void test_steady_state_allocates_nothing(void **state)
{
    char path[] = "/tmp/ww-test-alloc-XXXXXX";
    int fd = mkstemp(path);
    struct engine_config cfg = {0};
    struct eve_writer *eve;
    struct engine *e;
    unsigned long before;

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    eve = eve_open(path);
    assert_non_null(eve);
    flow_config_default(&cfg.flow);
    e = engine_new(&cfg, eve);
    assert_non_null(e);

    /* Warm up: every conversation seen both ways, every table in place. */
    feed(e, 0, 4 * N_CONVERSATIONS);
    before = n_allocs;
    assert_true(before > 0); /* the wrapping counts: setting up allocated */
    feed(e, 4 * N_CONVERSATIONS, 200 * N_CONVERSATIONS);
    assert_int_equal(n_allocs - before, 0);
    assert_int_equal(engine_decode_stats(e)->pkts, 200 * N_CONVERSATIONS);
    assert_int_equal(engine_flow_stats(e)->created, N_CONVERSATIONS);

    engine_finish(e);
    engine_free(e);
    assert_int_equal(eve_close(eve), 0);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_state_allocates_nothing),
    };

    return cmocka_run_group_tests_name("test_alloc", tests, NULL, NULL);
}
