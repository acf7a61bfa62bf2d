/* SPDX-License-Identifier: MIT */
/*
 * stream: TCP payload handed on in sequence order per direction (RFC 9293
 * section 3.4 sequence numbers, compared modulo 2^32).
 *
 * In-order bytes go straight to the handler without a copy. Bytes ahead of
 * the next expected one are copied into blocks from a pool with a fixed
 * memory cap and handed on once the hole before them fills. A hole is given
 * up on, and flagged as a gap, when the other side acknowledges past it
 * (the capture missed bytes the peer received), when a direction buffers
 * more than its cap, when the pool is empty, or when the flow ends.
 */
#include "flow/stream.h"

#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "flow/flow.h"

struct stream_block {
    uint32_t seq;
    uint32_t len;
    uint32_t next; /* index of the next block in sequence order, 0 = none */
    uint8_t data[STREAM_SEG_DATA];
};

struct stream_pool {
    struct stream_block *blocks; /* index 0 is never handed out */
    uint32_t n_blocks;
    uint32_t n_touched; /* blocks handed out at least once */
    uint32_t free_head;
    uint32_t n_free_listed; /* blocks on the free list */
    struct stream_config cfg;
    struct stream_stats stats;
};

struct stream_call {
    struct stream_pool *pool;
    struct ww_flow *f;
    int dir;
    stream_data_fn fn;
    void *ctx;
};

/* Distance from b to a in sequence space: negative when a is before b. */
static int32_t seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

struct stream_pool *stream_pool_new(const struct stream_config *cfg)
{
    struct stream_pool *pool = calloc(1, sizeof(*pool));

    if (pool == NULL) {
        return NULL;
    }
    pool->cfg = *cfg;
    pool->n_blocks = (uint32_t)(cfg->memcap / sizeof(struct stream_block));
    if (pool->n_blocks < 2) {
        pool->n_blocks = 2;
    }
    /* calloc leaves untouched pages unmapped: memory grows with use. */
    pool->blocks = calloc(pool->n_blocks, sizeof(struct stream_block));
    if (pool->blocks == NULL) {
        free(pool);
        return NULL;
    }
    pool->n_touched = 1;
    return pool;
}

void stream_pool_free(struct stream_pool *pool)
{
    if (pool == NULL) {
        return;
    }
    free(pool->blocks);
    free(pool);
}

const struct stream_stats *stream_pool_stats(const struct stream_pool *pool)
{
    return &pool->stats;
}

static uint32_t block_get(struct stream_pool *pool)
{
    uint32_t i = pool->free_head;

    if (i != 0) {
        pool->free_head = pool->blocks[i].next;
        pool->n_free_listed--;
        return i;
    }
    if (pool->n_touched < pool->n_blocks) {
        return pool->n_touched++;
    }
    return 0;
}

static void block_put(struct stream_pool *pool, uint32_t i)
{
    pool->blocks[i].next = pool->free_head;
    pool->free_head = i;
    pool->n_free_listed++;
}

static uint32_t blocks_available(const struct stream_pool *pool)
{
    return pool->n_free_listed + (pool->n_blocks - pool->n_touched);
}

static struct stream_dir *call_dir(const struct stream_call *c)
{
    return &c->f->stream[c->dir];
}

static void deliver(const struct stream_call *c, const uint8_t *data, uint32_t len)
{
    struct stream_dir *d = call_dir(c);

    d->next_seq += len;
    c->pool->stats.bytes_delivered += len;
    if (!c->f->stream_off) {
        c->fn(c->ctx, c->f, c->dir, data, len, STREAM_DATA);
    }
}

/* Gives up on the bytes up to target: flags a gap and moves past it. */
static void gap_to(const struct stream_call *c, uint32_t target)
{
    struct stream_dir *d = call_dir(c);
    uint32_t len = target - d->next_seq;

    c->pool->stats.gaps++;
    c->pool->stats.gap_bytes += len;
    d->gap = true;
    d->next_seq = target;
    if (!c->f->stream_off) {
        c->fn(c->ctx, c->f, c->dir, NULL, len, STREAM_GAP);
    }
}

/* Hands on buffered blocks that the next expected byte has reached. */
static void drain(const struct stream_call *c)
{
    struct stream_dir *d = call_dir(c);
    struct stream_pool *pool = c->pool;

    while (d->ooo_head != 0) {
        uint32_t i = d->ooo_head;
        struct stream_block *b = &pool->blocks[i];
        int32_t behind = seq_diff(d->next_seq, b->seq);

        if (behind < 0) {
            break;
        }
        d->ooo_head = b->next;
        d->ooo_bytes -= b->len;
        if ((uint32_t)behind < b->len) {
            pool->stats.retransmitted_bytes += (uint32_t)behind;
            deliver(c, b->data + behind, b->len - (uint32_t)behind);
        } else {
            pool->stats.retransmitted_bytes += b->len;
        }
        block_put(pool, i);
    }
}

/* When every byte before the FIN is delivered, the FIN ends the direction. */
static void check_fin(const struct stream_call *c)
{
    struct stream_dir *d = call_dir(c);

    if (d->fin_seen && !d->ended && d->next_seq == d->fin_seq) {
        d->next_seq++;
        d->ended = true;
        if (!c->f->stream_off) {
            c->fn(c->ctx, c->f, c->dir, NULL, 0, STREAM_END);
        }
    }
}

/* Moves past the hole before the first buffered block and drains. */
static void skip_to_buffered(const struct stream_call *c)
{
    struct stream_dir *d = call_dir(c);
    const struct stream_block *b = &c->pool->blocks[d->ooo_head];

    if (seq_diff(b->seq, d->next_seq) > 0) {
        gap_to(c, b->seq);
    }
    drain(c);
}

/*
 * Copies a segment into blocks in sequence order. Returns -1, having kept
 * nothing, when the pool has too few blocks for all of it.
 */
static int buffer_segment(const struct stream_call *c, uint32_t seq, const uint8_t *data,
                          uint32_t len)
{
    struct stream_dir *d = call_dir(c);
    struct stream_pool *pool = c->pool;

    if (blocks_available(pool) < (len + STREAM_SEG_DATA - 1) / STREAM_SEG_DATA) {
        pool->stats.memcap_hits++;
        return -1;
    }
    while (len > 0) {
        uint32_t take = len < STREAM_SEG_DATA ? len : STREAM_SEG_DATA;
        uint32_t i = block_get(pool);
        uint32_t *link = &d->ooo_head;

        pool->blocks[i].seq = seq;
        pool->blocks[i].len = take;
        memcpy(pool->blocks[i].data, data, take);
        while (*link != 0 && seq_diff(pool->blocks[*link].seq, seq) <= 0) {
            link = &pool->blocks[*link].next;
        }
        pool->blocks[i].next = *link;
        *link = i;
        d->ooo_bytes += take;
        seq += take;
        data += take;
        len -= take;
    }
    pool->stats.ooo_segments++;
    return 0;
}

/* Takes a segment's payload that starts at seq. */
static void stream_data(const struct stream_call *c, uint32_t seq, const uint8_t *data,
                        uint32_t len)
{
    struct stream_dir *d = call_dir(c);
    int32_t ahead = seq_diff(seq, d->next_seq);

    if (ahead < 0) {
        uint32_t dup = (uint32_t)-ahead;

        if (dup >= len) {
            c->pool->stats.retransmitted_bytes += len;
            return;
        }
        c->pool->stats.retransmitted_bytes += dup;
        data += dup;
        len -= dup;
        ahead = 0;
    }
    if (ahead == 0) {
        deliver(c, data, len);
        drain(c);
        return;
    }

    /* Out of order: make room by giving up on holes, oldest first. */
    while (d->ooo_head != 0 && d->ooo_bytes + len > c->pool->cfg.ooo_max) {
        c->pool->stats.ooo_overflows++;
        skip_to_buffered(c);
    }
    if (seq_diff(seq, d->next_seq) <= 0) {
        stream_data(c, seq, data, len);
        return;
    }
    if (len > c->pool->cfg.ooo_max || buffer_segment(c, seq, data, len) < 0) {
        /* Nowhere to keep it: the hole before it is given up. */
        if (d->ooo_head != 0) {
            skip_to_buffered(c);
        }
        if (seq_diff(seq, d->next_seq) > 0) {
            gap_to(c, seq);
        }
        stream_data(c, seq, data, len);
    }
}

/* The peer acknowledged up to ack: bytes before it that never came are lost. */
static void stream_ack(const struct stream_call *c, uint32_t ack)
{
    struct stream_dir *d = call_dir(c);

    if (!d->seq_known || d->ended) {
        return;
    }
    if (d->fin_seen && seq_diff(ack, d->fin_seq) > 0) {
        ack = d->fin_seq;
    }
    while (seq_diff(ack, d->next_seq) > 0) {
        if (d->ooo_head != 0 && seq_diff(c->pool->blocks[d->ooo_head].seq, ack) < 0) {
            skip_to_buffered(c);
        } else {
            gap_to(c, ack);
            drain(c);
        }
    }
    check_fin(c);
}

void stream_segment(struct stream_pool *pool, struct ww_flow *f, int dir,
                    const struct stream_segment *seg, stream_data_fn fn, void *ctx)
{
    struct stream_call c = {pool, f, dir, fn, ctx};
    struct stream_call peer = {pool, f, !dir, fn, ctx};
    struct stream_dir *d = call_dir(&c);
    uint32_t seq = seg->seq;

    if (seg->flags & TCP_RST) {
        return;
    }
    if (seg->flags & TCP_SYN) {
        /* The SYN takes one sequence number; data, if any, follows it. */
        seq++;
        if (!d->seq_known) {
            d->next_seq = seq;
            d->seq_known = true;
        }
    } else if (!d->seq_known) {
        d->next_seq = seq;
        d->seq_known = true;
    }
    if (!d->ended) {
        if (seg->len > 0) {
            stream_data(&c, seq, seg->data, seg->len);
        }
        if ((seg->flags & TCP_FIN) && !d->fin_seen) {
            d->fin_seen = true;
            d->fin_seq = seq + seg->len;
        }
        check_fin(&c);
    }
    if (seg->flags & TCP_ACK) {
        stream_ack(&peer, seg->ack);
    }
}

static void end_direction(const struct stream_call *c)
{
    struct stream_dir *d = call_dir(c);

    while (d->ooo_head != 0) {
        skip_to_buffered(c);
    }
    if (d->seq_known && !d->ended) {
        d->ended = true;
        if (!c->f->stream_off) {
            c->fn(c->ctx, c->f, c->dir, NULL, 0, STREAM_END);
        }
    }
}

void stream_flow_end(struct stream_pool *pool, struct ww_flow *f, stream_data_fn fn, void *ctx)
{
    for (int dir = 0; dir < 2; dir++) {
        struct stream_call c = {pool, f, dir, fn, ctx};

        end_direction(&c);
    }
}
