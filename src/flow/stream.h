/* SPDX-License-Identifier: MIT */
/* stream: TCP payload put back in order per direction, with capped buffering. */
#ifndef WW_FLOW_STREAM_H
#define WW_FLOW_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STREAM_SEG_DATA 1448          /* bytes one buffered block holds */
#define STREAM_OOO_MAX_DEFAULT 65536  /* buffered bytes per direction */
#define STREAM_MEMCAP_DEFAULT (32u << 20)

/* Flags handed with stream data. */
#define STREAM_DATA 0x0 /* in-order bytes */
#define STREAM_GAP 0x1  /* len bytes are missing here; data is NULL */
#define STREAM_END 0x2  /* the direction ended; no data */

struct stream_config {
    uint32_t ooo_max; /* out-of-order bytes buffered per direction */
    size_t memcap;    /* bytes for all buffered segments */
};

/* Per direction. */
struct stream_dir {
    uint32_t next_seq; /* sequence number of the next byte to deliver */
    uint32_t ooo_head; /* first buffered block, 0 = none */
    uint32_t ooo_bytes;
    uint32_t fin_seq; /* sequence number the FIN occupies */
    bool seq_known;
    bool fin_seen;
    bool gap; /* at least one gap was flagged */
    bool ended;
};

struct stream_stats {
    uint64_t bytes_delivered;
    uint64_t gaps;
    uint64_t gap_bytes;
    uint64_t retransmitted_bytes; /* bytes seen again after delivery */
    uint64_t ooo_segments;        /* segments buffered out of order */
    uint64_t ooo_overflows;       /* buffer full: gap declared early */
    uint64_t memcap_hits;         /* segment pool empty */
};

struct ww_flow;

/*
 * Receives stream data: in-order bytes (STREAM_DATA), a gap of len missing
 * bytes (STREAM_GAP, data NULL) or the end of a direction (STREAM_END).
 * data is valid only during the call.
 */
typedef void (*stream_data_fn)(void *ctx, struct ww_flow *f, int dir, const uint8_t *data,
                               uint32_t len, unsigned flags);

struct stream_pool;

/* Returns NULL when memory cannot be had. */
struct stream_pool *stream_pool_new(const struct stream_config *cfg);
void stream_pool_free(struct stream_pool *pool);
const struct stream_stats *stream_pool_stats(const struct stream_pool *pool);

/* Hands a TCP segment of direction dir to the reassembler. */
struct stream_segment {
    uint32_t seq;
    uint32_t ack;
    uint8_t flags; /* TCP header flags */
    const uint8_t *data;
    uint32_t len;
};

void stream_segment(struct stream_pool *pool, struct ww_flow *f, int dir,
                    const struct stream_segment *seg, stream_data_fn fn, void *ctx);

/* Delivers what is buffered (after a gap) and ends both directions. */
void stream_flow_end(struct stream_pool *pool, struct ww_flow *f, stream_data_fn fn, void *ctx);

#endif
