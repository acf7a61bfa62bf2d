/* SPDX-License-Identifier: MIT */
/* eve: EVE-style JSON lines through one buffered writer. */
#ifndef WW_OUTPUT_EVE_H
#define WW_OUTPUT_EVE_H

#include <stdint.h>

#include "output/json.h"

#define EVE_BUFFER_LEN (1u << 20) /* bytes held before a write(2) */
#define EVE_EVENT_MAX (64u << 10) /* longest event; longer ones are dropped */

struct eve_stats {
    uint64_t events;
    uint64_t bytes;
    uint64_t dropped_oversize; /* events longer than EVE_EVENT_MAX */
    uint64_t write_errors;
};

struct eve_writer;

/*
 * Opens path for writing, truncating it. Returns NULL and sets errno when
 * it cannot be opened. Close with eve_close.
 */
struct eve_writer *eve_open(const char *path);

/* Writes what is buffered, closes the file and frees w. Returns 0 or -errno. */
int eve_close(struct eve_writer *w);

/* Writes what is buffered now, and waits until it is written. Returns 0 or -errno. */
int eve_flush(struct eve_writer *w);

/*
 * Starts an event at capture time ts_us: the returned builder already holds
 * "timestamp" and "event_type"; the caller adds members and hands it back
 * to eve_commit. Only one event is open at a time.
 */
struct jbuf *eve_begin(struct eve_writer *w, uint64_t ts_us, const char *event_type);

/* Closes the event and queues it as one line. */
void eve_commit(struct eve_writer *w);

const struct eve_stats *eve_writer_stats(const struct eve_writer *w);

#endif
