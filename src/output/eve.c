/* SPDX-License-Identifier: MIT */
/*
 * eve: events as JSON lines in the shape of Suricata's EVE log. Events are
 * built in place at the end of one large buffer, which goes to the file in
 * a single write(2) when it fills, so the packet path never allocates.
 */
#include "output/eve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

struct eve_writer {
    int fd;
    char *buf;
    size_t len; /* committed bytes in buf */
    struct jbuf jb;
    int error; /* first write error, as -errno */
    struct eve_stats stats;
};

struct eve_writer *eve_open(const char *path)
{
    struct eve_writer *w = calloc(1, sizeof(*w));

    if (w == NULL) {
        return NULL;
    }
    w->buf = malloc(EVE_BUFFER_LEN);
    if (w->buf == NULL) {
        free(w);
        errno = ENOMEM;
        return NULL;
    }
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int saved = errno;

        free(w->buf);
        free(w);
        errno = saved;
        return NULL;
    }
    return w;
}

int eve_flush(struct eve_writer *w)
{
    size_t done = 0;

    while (done < w->len && w->error == 0) {
        ssize_t n = write(w->fd, w->buf + done, w->len - done);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            w->error = n < 0 ? -errno : -EIO;
            w->stats.write_errors++;
            break;
        }
        done += (size_t)n;
    }
    w->len = 0;
    return w->error;
}

int eve_close(struct eve_writer *w)
{
    int rc;

    if (w == NULL) {
        return 0;
    }
    rc = eve_flush(w);
    if (close(w->fd) < 0 && rc == 0) {
        rc = -errno;
    }
    free(w->buf);
    free(w);
    return rc;
}

struct jbuf *eve_begin(struct eve_writer *w, uint64_t ts_us, const char *event_type)
{
    if (EVE_BUFFER_LEN - w->len < EVE_EVENT_MAX + 1) {
        eve_flush(w);
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
