/* SPDX-License-Identifier: MIT */
/*
 * prefetch: a capture file read ahead by a thread of its own. Reading a
 * large capture spends much of its time in the kernel copying pages into
 * the reader's buffer; with the copy on another core the packet path only
 * parses, and it parses the bytes where they lie, without a second copy.
 *
 * The thread fills a ring of PREFETCH_BLOCKS blocks; the reader is handed
 * pointers into the oldest block, which goes back to the thread when it
 * is used up. Bytes that straddle two blocks are gathered into a staging
 * buffer.
 */
#include "capture/prefetch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct prefetch {
    int fd;
    uint64_t pos; /* bytes handed to the stream's reader */

    /* the bytes being handed out: a ring block, or sync_buf without a thread */
    const uint8_t *cur;
    size_t cur_len, cur_off;
    bool holding; /* cur is the ring's oldest block */
    uint8_t *sync_buf;
    uint8_t *staging; /* bytes that straddle two reads, gathered */
    size_t staging_cap;
    bool threaded, no_thread;

    /* the ring; the members below are under mu once the thread runs */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint8_t *blocks[PREFETCH_BLOCKS];
    size_t block_len[PREFETCH_BLOCKS];
    unsigned head;   /* the oldest filled block */
    unsigned filled; /* blocks filled and not given back */
    bool eof, quit;
    bool thread_waits; /* the thread, for room: woken when half the ring is free */
    bool caller_waits; /* the caller, for bytes */
    int error;         /* the thread's read error, as errno */
};

static atomic_int threads_running;

int prefetch_threads_running(void)
{
    return atomic_load(&threads_running);
}

static bool take_thread_slot(void)
{
    int n = atomic_load(&threads_running);

    while (n < PREFETCH_THREADS_MAX) {
        if (atomic_compare_exchange_weak(&threads_running, &n, n + 1)) {
            return true;
        }
    }
    return false;
}

/* Reads up to len bytes, retrying after signals and short reads. Returns bytes or -errno. */
static ssize_t read_full(int fd, uint8_t *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = read(fd, buf + done, len - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return done > 0 ? (ssize_t)done : -errno;
        }
        if (n == 0) {
            break;
        }
        done += (size_t)n;
    }
    return (ssize_t)done;
}

static void *reader_main(void *arg)
{
    struct prefetch *p = arg;

    pthread_mutex_lock(&p->mu);
    while (!p->quit && !p->eof) {
        if (p->filled == PREFETCH_BLOCKS) {
            /* Waits for half the ring, not one block: fewer wake-ups. */
            p->thread_waits = true;
            while (p->filled > PREFETCH_BLOCKS / 2 && !p->quit) {
                pthread_cond_wait(&p->cv, &p->mu);
            }
            p->thread_waits = false;
            continue;
        }
        unsigned at = (p->head + p->filled) % PREFETCH_BLOCKS;

        pthread_mutex_unlock(&p->mu);
        ssize_t n = read_full(p->fd, p->blocks[at], PREFETCH_BLOCK_LEN);
        pthread_mutex_lock(&p->mu);
        if (n > 0) {
            p->block_len[at] = (size_t)n;
            p->filled++;
        }
        if (n < 0) {
            p->error = (int)-n;
        }
        p->eof = n < (ssize_t)PREFETCH_BLOCK_LEN;
        if (p->caller_waits) {
            pthread_cond_signal(&p->cv);
        }
    }
    pthread_mutex_unlock(&p->mu);
    atomic_fetch_sub(&threads_running, 1);
    return NULL;
}

static void free_blocks(struct prefetch *p)
{
    for (int i = 0; i < PREFETCH_BLOCKS; i++) {
        free(p->blocks[i]);
        p->blocks[i] = NULL;
    }
}

/* Starts the reader thread, which goes on from the file's position. */
static bool start_thread(struct prefetch *p)
{
    for (int i = 0; i < PREFETCH_BLOCKS; i++) {
        p->blocks[i] = malloc(PREFETCH_BLOCK_LEN);
        if (p->blocks[i] == NULL) {
            free_blocks(p);
            return false;
        }
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free_blocks(p);
        return false;
    }
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        free_blocks(p);
        return false;
    }
    if (pthread_create(&p->thread, NULL, reader_main, p) != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free_blocks(p);
        return false;
    }
    p->threaded = true;
    return true;
}

/* Takes the ring's next block. Returns 1, 0 at the end of the file, or -errno. */
static int next_block(struct prefetch *p)
{
    int rc;

    pthread_mutex_lock(&p->mu);
    if (p->holding) {
        p->head = (p->head + 1) % PREFETCH_BLOCKS;
        p->filled--;
        p->holding = false;
        if (p->thread_waits && p->filled <= PREFETCH_BLOCKS / 2) {
            pthread_cond_signal(&p->cv);
        }
    }
    p->caller_waits = true;
    while (p->filled == 0 && !p->eof) {
        pthread_cond_wait(&p->cv, &p->mu);
    }
    p->caller_waits = false;
    if (p->filled > 0) {
        p->cur = p->blocks[p->head];
        p->cur_len = p->block_len[p->head];
        p->holding = true;
        rc = 1;
    } else {
        p->cur_len = 0;
        rc = p->error != 0 ? -p->error : 0;
    }
    pthread_mutex_unlock(&p->mu);
    p->cur_off = 0;
    return rc;
}

/* Reads the next bytes in this thread. Returns 1, 0 at the end of the file, or -errno. */
static int next_sync(struct prefetch *p)
{
    ssize_t n = read_full(p->fd, p->sync_buf, PREFETCH_SYNC_LEN);

    if (n <= 0) {
        p->cur_len = p->cur_off = 0;
        return (int)n;
    }
    p->cur = p->sync_buf;
    p->cur_len = (size_t)n;
    p->cur_off = 0;
    return 1;
}

/*
 * Makes more bytes ready. Returns 1, 0 at the end of the file, or -errno.
 * The first read is made here, in this thread: a file that turns out not
 * to be wanted (not a classic pcap file, or a tiny one) never starts one.
 */
static int refill(struct prefetch *p)
{
    if (p->pos > 0 && !p->threaded && !p->no_thread && take_thread_slot()) {
        if (!start_thread(p)) {
            atomic_fetch_sub(&threads_running, 1);
            p->no_thread = true;
        }
    }
    return p->threaded ? next_block(p) : next_sync(p);
}

/*
 * Gathers n bytes that straddle the end of what is ready into the staging
 * buffer. Returns 1, 0 when the file ends first (*got says how many), or -errno.
 */
static int gather(struct prefetch *p, size_t n, const uint8_t **out, size_t *got)
{
    size_t done = 0;
    int rc = 1;

    if (n > p->staging_cap) {
        uint8_t *bigger = realloc(p->staging, n);

        if (bigger == NULL) {
            return -ENOMEM;
        }
        p->staging = bigger;
        p->staging_cap = n;
    }
    while (done < n) {
        if (p->cur_off == p->cur_len) {
            rc = refill(p);
            if (rc <= 0) {
                break;
            }
        }
        size_t take = p->cur_len - p->cur_off < n - done ? p->cur_len - p->cur_off : n - done;

        memcpy(p->staging + done, p->cur + p->cur_off, take);
        p->cur_off += take;
        done += take;
    }
    p->pos += done;
    *out = p->staging;
    *got = done;
    return done == n ? 1 : rc;
}

int prefetch_read(struct prefetch *p, size_t n, const uint8_t **out, size_t *got)
{
    if (p->cur_len - p->cur_off >= n) {
        *out = p->cur + p->cur_off;
        *got = n;
        p->cur_off += n;
        p->pos += n;
        return 1;
    }
    return gather(p, n, out, got);
}

uint64_t prefetch_position(const struct prefetch *p)
{
    return p->pos;
}

void prefetch_close(struct prefetch *p)
{
    if (p == NULL) {
        return;
    }
    if (p->threaded) {
        pthread_mutex_lock(&p->mu);
        p->quit = true;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free_blocks(p);
    }
    if (p->fd >= 0) {
        close(p->fd);
    }
    free(p->sync_buf);
    free(p->staging);
    free(p);
}

struct prefetch *prefetch_open(const char *path)
{
    struct prefetch *p = calloc(1, sizeof(*p));

    if (p == NULL) {
        return NULL;
    }
    p->fd = open(path, O_RDONLY | O_CLOEXEC);
    p->sync_buf = malloc(PREFETCH_SYNC_LEN);
    if (p->fd < 0 || p->sync_buf == NULL) {
        int err = p->fd < 0 ? errno : ENOMEM;

        prefetch_close(p);
        errno = err;
        return NULL;
    }
    return p;
}
