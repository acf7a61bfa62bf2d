/* SPDX-License-Identifier: MIT */
/*
 * streams: the per-packet feature vector of Kitsune (NDSS 2018, table II)
 * from damped statistics (afterimage.h) of the streams a packet belongs
 * to, each over AI_WINDOWS windows:
 *
 *   MI    its source MAC and IP: frame sizes          w, mean, std
 *   H     its source IP: frame sizes                  w, mean, std
 *   HH    its channel (source IP to destination IP): frame sizes,
 *         with the opposite channel                   w, mean, std, magnitude,
 *                                                     radius, covariance, correlation
 *   HHjit its channel: seconds since the channel's previous packet
 *                                                     w, mean, std
 *   HpHp  its socket (addresses and ports): frame sizes,
 *         with the opposite socket                    as HH
 *
 * 23 features per window, 115 in all, laid out window by window. Streams
 * are kept in fixed tables (2^capacity_log2 entries each); when a table is
 * full, the stream updated longest ago gives way, so memory is bounded.
 */
#ifndef WW_DETECT_STREAMS_H
#define WW_DETECT_STREAMS_H

#include <stddef.h>
#include <stdint.h>

#include "detect/afterimage.h"

#define STREAMS_PER_WINDOW 23
#define STREAMS_FEATURES (STREAMS_PER_WINDOW * AI_WINDOWS)
#define STREAMS_CAPACITY_LOG2_DEFAULT 14 /* 16,384 streams of each kind */
#define STREAMS_AHEAD 32                  /* streams_packets: packets looked up ahead */

struct stream_packet {
    double t;              /* seconds */
    uint8_t family;        /* 4 or 6 */
    const uint8_t *src_mac;
    const uint8_t *src_ip, *dst_ip;
    uint16_t sport, dport; /* 0 without ports */
    uint8_t proto;
    uint32_t len;          /* frame bytes */
};

struct streams;

/* Returns NULL when out of memory. */
struct streams *streams_new(unsigned capacity_log2);
void streams_free(struct streams *s);

/* Updates the packet's streams and writes its STREAMS_FEATURES features. */
void streams_packet(struct streams *s, const struct stream_packet *p, float *out);

/*
 * The same for n packets in order, their features at out + i *
 * STREAMS_FEATURES: the results are those of n calls of streams_packet,
 * but faster, as each packet's table memory is fetched while earlier
 * packets are worked on.
 */
void streams_packets(struct streams *s, const struct stream_packet *p, size_t n, float *out);

/* Bytes the tables take. */
size_t streams_memory(const struct streams *s);

#endif
