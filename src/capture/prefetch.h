/* SPDX-License-Identifier: MIT */
#ifndef WW_CAPTURE_PREFETCH_H
#define WW_CAPTURE_PREFETCH_H

#include <stddef.h>
#include <stdint.h>

#define PREFETCH_THREADS_MAX 4        /* files read ahead by a thread at once */
#define PREFETCH_BLOCK_LEN (1u << 18) /* bytes one read(2) of a reader thread asks for */
#define PREFETCH_BLOCKS 8             /* blocks read ahead per file */
#define PREFETCH_SYNC_LEN (64u << 10) /* bytes one read(2) asks for without a thread */

/*
 * A file read forward by a thread of its own, so that the kernel's copy
 * from the page cache happens off the caller's thread. Its first
 * PREFETCH_SYNC_LEN bytes are read in the caller's thread; after them, at
 * most PREFETCH_THREADS_MAX files have a thread at once, and a file
 * without one is read in the caller's thread until a thread is free.
 */
struct prefetch;

/* Opens path. Returns NULL with errno set on failure. */
struct prefetch *prefetch_open(const char *path);

/*
 * The next n bytes of the file: *out points at them until the next call.
 * Returns 1; 0 when the file ends first (*got bytes were there); -errno on
 * a read error.
 */
int prefetch_read(struct prefetch *p, size_t n, const uint8_t **out, size_t *got);

/* Bytes handed out so far. */
uint64_t prefetch_position(const struct prefetch *p);

/* Stops the thread and closes the file. NULL is ignored. */
void prefetch_close(struct prefetch *p);

/* Files read ahead by a thread right now (for tests). */
int prefetch_threads_running(void);

#endif
