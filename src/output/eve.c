/* SPDX-License-Identifier: MIT */
/*
 * eve: events as JSON lines in the shape of Suricata's EVE log. Events are
 * built in place at the end of one large buffer. When it fills, a writer
 * thread takes it to the file in one write(2) while the packet path goes
 * on filling a second buffer, so neither allocates nor waits on the disk
 * (unless the disk is slower than the events, when the path waits for the
 * thread). Without a thread (it could not be started) the writes are made
 * in place.
 */
#include "output/eve.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct eve_writer {
    int fd;
    char *buf;   /* being filled */
    char *spare; /* the other buffer: with the writer thread, or idle */
    size_t len;  /* committed bytes in buf */
    struct jbuf jb;
    int error; /* first write error, as -errno */
    struct eve_stats stats;

    /* the writer thread; the members below are under mu */
    bool threaded;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const char *out; /* a buffer to write, NULL when the thread is idle */
    size_t out_len;
    int out_error;        /* the thread's first write error, as -errno */
    uint64_t out_failures; /* its failed writes */
    bool quit;
};

/* Writes len bytes of buf to fd. Returns 0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = write(fd, buf + done, len - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? -errno : -EIO;
        }
        done += (size_t)n;
    }
    return 0;
}

static void *writer_main(void *arg)
{
    struct eve_writer *w = arg;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->out == NULL && !w->quit) {
            pthread_cond_wait(&w->cv, &w->mu);
        }
        if (w->out == NULL) {
            break; /* quit, nothing left */
        }
        const char *out = w->out;
        size_t len = w->out_len;
        bool failed_before = w->out_error != 0;

        pthread_mutex_unlock(&w->mu);
        int rc = failed_before ? 0 : write_all(w->fd, out, len);
        pthread_mutex_lock(&w->mu);
        if (rc != 0) {
            w->out_error = rc;
            w->out_failures++;
        }
        w->out = NULL;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Waits until the thread is idle and takes over its errors. Call with mu held. */
static void wait_idle(struct eve_writer *w)
{
    while (w->out != NULL) {
        pthread_cond_wait(&w->cv, &w->mu);
    }
    if (w->error == 0) {
        w->error = w->out_error;
    }
    w->stats.write_errors += w->out_failures;
    w->out_failures = 0;
}

/* Gives the filled buffer to the thread and goes on with the other one. */
static void hand_off(struct eve_writer *w)
{
    char *full = w->buf;

    pthread_mutex_lock(&w->mu);
    wait_idle(w);
    w->out = full;
    w->out_len = w->len;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    w->buf = w->spare;
    w->spare = full;
    w->len = 0;
}

static void write_in_place(struct eve_writer *w)
{
    int rc = w->error == 0 ? write_all(w->fd, w->buf, w->len) : 0;

    if (rc != 0) {
        w->error = rc;
        w->stats.write_errors++;
    }
    w->len = 0;
}

static void start_thread(struct eve_writer *w)
{
    if (pthread_mutex_init(&w->mu, NULL) != 0) {
        return;
    }
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        return;
    }
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        return;
    }
    w->threaded = true;
}

struct eve_writer *eve_open(const char *path)
{
    struct eve_writer *w = calloc(1, sizeof(*w));

    if (w == NULL) {
        return NULL;
    }
    w->buf = malloc(EVE_BUFFER_LEN);
    w->spare = malloc(EVE_BUFFER_LEN);
    w->fd = w->buf != NULL && w->spare != NULL
                ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
                : (errno = ENOMEM, -1);
    if (w->fd < 0) {
        int saved = errno;

        free(w->buf);
        free(w->spare);
        free(w);
        errno = saved;
        return NULL;
    }
    start_thread(w);
    return w;
}

int eve_flush(struct eve_writer *w)
{
    if (!w->threaded) {
        write_in_place(w);
        return w->error;
    }
    if (w->len > 0) {
        hand_off(w);
    }
    pthread_mutex_lock(&w->mu);
    wait_idle(w);
    pthread_mutex_unlock(&w->mu);
    return w->error;
}

int eve_close(struct eve_writer *w)
{
    int rc;

    if (w == NULL) {
        return 0;
    }
    rc = eve_flush(w);
    if (w->threaded) {
        pthread_mutex_lock(&w->mu);
        w->quit = true;
        pthread_cond_signal(&w->cv);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
    }
    if (close(w->fd) < 0 && rc == 0) {
        rc = -errno;
    }
    free(w->buf);
    free(w->spare);
    free(w);
    return rc;
}

struct jbuf *eve_begin(struct eve_writer *w, uint64_t ts_us, const char *event_type)
{
    if (EVE_BUFFER_LEN - w->len < EVE_EVENT_MAX + 1) {
        if (w->threaded) {
            hand_off(w);
        } else {
            write_in_place(w);
        }
    }
    jb_init(&w->jb, w->buf + w->len, EVE_EVENT_MAX);
    jb_object_open(&w->jb, NULL);
    jb_time(&w->jb, "timestamp", ts_us);
    jb_str(&w->jb, "event_type", event_type);
    return &w->jb;
}

void eve_commit(struct eve_writer *w)
{
    struct jbuf *jb = &w->jb;

    jb_object_close(jb);
    if (jb->overflow || jb->depth != 0 || jb->len >= jb->cap) {
        w->stats.dropped_oversize++;
        return;
    }
    jb->buf[jb->len++] = '\n';
    w->len += jb->len;
    w->stats.events++;
    w->stats.bytes += jb->len;
}

const struct eve_stats *eve_writer_stats(const struct eve_writer *w)
{
    return &w->stats;
}
