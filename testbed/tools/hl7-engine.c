/* SPDX-License-Identifier: MIT */
/*
 * hl7-engine: a testbed interface engine (or EHR) that takes HL7 v2 over MLLP.
 *
 * It accepts many MLLP connections, answers every message with an HL7 v2.5
 * chapter 2 acknowledgement (MSH, MSA|AA with the message's control id, or
 * MSA|AR when there is no MSH) and, with --forward, passes each accepted
 * message on to one downstream peer with MSH-3/4 naming the engine and
 * MSH-5/6 naming "EHR". Framing is the Minimal Lower Layer Protocol of
 * HL7 v2.5 Appendix C "Lower Layer Protocols":
 *
 *   0x0B | MSH|^~\&|app|fac|app|fac|time||type|ctl|P|2.5<CR>...<CR> | 0x1C 0x0D
 *
 * Everything runs in one poll() loop on non-blocking sockets: a slow or dead
 * forward peer never holds up the listener. Every buffer has a cap; a client
 * that overruns one is disconnected. SIGTERM or SIGINT closes everything,
 * writes --count-file and exits 0.
 *
 * Build: cc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -O2 \
 *        -o hl7-engine hl7-engine.c
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define PROG "hl7-engine"
#include "hl7_common.h"

#define MLLP_START 0x0B
#define MLLP_END 0x1C
#define HL7_CR '\r'
#define CONN_MAX 512              /* client connections at once */
#define CONN_IN_MAX (1u << 20)    /* bytes of a client's unfinished frame */
#define CONN_OUT_MAX (1u << 20)   /* bytes of ACKs a client has not read */
#define FWD_OUT_MAX (1u << 20)    /* bytes queued for the forward peer */
#define FWD_FRAMES_MAX 4096       /* frames queued for the forward peer */
#define READ_CHUNK 65536          /* bytes asked of one recv() */
#define ACK_MAX 1024              /* bytes of one ACK message */
#define CONTROL_ID_MAX 200        /* bytes of a copied MSH-10, its NUL included */
#define VALUE_MAX 64              /* bytes of a name option or a copied field */
#define MSH_KEEP 12               /* MSH fields located, MSH-1 to MSH-12 */
#define BACKOFF_FIRST_S 1.0       /* pause after the first failed connect */
#define BACKOFF_MAX_S 10.0        /* longest pause between connects */
#define DROP_WARN_INTERVAL_S 60.0 /* at most one forward warning this often */
#define POLL_MAX_MS 500           /* longest poll(), so signals are seen soon */
#define HOST_MAX 256
#define PORT_MAX 8
#define PEER_MAX 80

struct buf {
    uint8_t *data;
    size_t len, cap;
};

struct conn {
    int fd;
    bool dead; /* closed at the end of this loop turn */
    struct buf in, out;
    char peer[PEER_MAX];
};

enum fwd_state { FWD_OFF, FWD_DOWN, FWD_CONNECTING, FWD_UP };

/* The persistent outgoing connection and its queue of whole frames. */
struct fwd {
    enum fwd_state state;
    char host[HOST_MAX], port[PORT_MAX];
    int fd;
    double next_try_s, backoff_s;
    struct buf out;
    size_t frame_left[FWD_FRAMES_MAX]; /* unwritten bytes of each queued frame */
    size_t head, n_frames;
    double last_warn_s;
    bool warned; /* a warning was printed since the last connect */
    unsigned long n_dropped;
};

struct engine_opts {
    char listen_host[HOST_MAX]; /* empty: every address */
    char listen_port[PORT_MAX];
    const char *app;
    const char *facility;
    const char *count_file;
    bool verbose;
};

struct engine {
    struct engine_opts opts;
    int listen_fd;
    struct conn conns[CONN_MAX];
    size_t n_conns;
    struct fwd fwd;
    unsigned long n_received, n_forwarded, n_acks;
};

/* Where a field lies in a message: byte offset and length. */
struct span {
    size_t off, len;
};

/* The MSH segment of one message. */
struct msh {
    uint8_t fs, cs;              /* field and component separators */
    struct span f[MSH_KEEP + 1]; /* f[k] is MSH-k, k from 2 */
    size_t n;                    /* highest k located */
    size_t seg_end;              /* offset of the CR ending MSH, or the length */
};

static volatile sig_atomic_t engine_stop;

static void engine_on_signal(int sig)
{
    (void)sig;
    engine_stop = 1;
}

static void engine_help(void)
{
    printf("usage: " PROG " --listen [ADDR:]PORT [--forward HOST:PORT] [--app NAME]\n"
           "       [--facility NAME] [--count-file PATH] [-v]\n"
           "Acknowledges HL7 v2 messages over MLLP and optionally forwards them.\n");
}

/* ---- buffers with a cap ---- */

/* Makes room for need bytes in all, up to max; 0 on success. */
static int buf_reserve(struct buf *b, size_t need, size_t max)
{
    size_t cap = b->cap ? b->cap : 4096;
    uint8_t *p;

    if (need > max) {
        return -1;
    }
    if (need <= b->cap) {
        return 0;
    }
    while (cap < need) {
        cap *= 2;
    }
    cap = cap > max ? max : cap;
    p = realloc(b->data, cap);
    if (p == NULL) {
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

static int buf_append(struct buf *b, const void *data, size_t len, size_t max)
{
    if (buf_reserve(b, b->len + len, max) != 0) {
        return -1;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

/* Drops the first n bytes. */
static void buf_consume(struct buf *b, size_t n)
{
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

static void buf_free(struct buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

/* Sends what b holds without blocking; 0 unless the connection failed. */
static int buf_flush(struct buf *b, int fd, size_t *written)
{
    *written = 0;
    while (b->len > *written) {
        ssize_t n = send(fd, b->data + *written, b->len - *written, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        if (n <= 0) {
            return -1;
        }
        *written += (size_t)n;
    }
    buf_consume(b, *written);
    return 0;
}

/* ---- options ---- */

/* Splits [HOST:]PORT (HOST may be [V6ADDR]); a missing host is left empty. */
static void opt_split_addr(const char *name, const char *arg, bool host_needed, char *host,
                           char *port)
{
    const char *colon = strrchr(arg, ':');
    const char *port_text = colon ? colon + 1 : arg;
    size_t host_len = colon ? (size_t)(colon - arg) : 0;
    char *end;
    long n = strtol(port_text, &end, 10);

    if (host_len >= 2 && arg[0] == '[' && arg[host_len - 1] == ']') {
        arg++;
        host_len -= 2;
    }
    if ((host_needed && host_len == 0) || host_len >= HOST_MAX || end == port_text ||
        *end != '\0' || n < 1 || n > 65535) {
        char what[96];

        snprintf(what, sizeof(what), "%s needs %sPORT with a port from 1 to 65535", name,
                 host_needed ? "HOST:" : "[ADDR:]");
        usage_error(what, arg);
    }
    memcpy(host, arg, host_len);
    host[host_len] = '\0';
    snprintf(port, PORT_MAX, "%ld", n);
}

static const char *opt_text(const char *name, const char *arg)
{
    if (!hl7_plain_text(arg, VALUE_MAX)) {
        char what[128];

        snprintf(what, sizeof(what),
                 "%s needs 1 to %d characters without | ^ ~ \\ & or control characters", name,
                 VALUE_MAX);
        usage_error(what, arg);
    }
    return arg;
}

/* Applies one option that takes a value; false if name is not one. */
static bool opt_apply(struct engine *e, const char *name, const char *val)
{
    struct engine_opts *o = &e->opts;

    if (strcmp(name, "--listen") == 0) {
        opt_split_addr(name, val, false, o->listen_host, o->listen_port);
    } else if (strcmp(name, "--forward") == 0) {
        opt_split_addr(name, val, true, e->fwd.host, e->fwd.port);
        e->fwd.state = FWD_DOWN;
    } else if (strcmp(name, "--app") == 0) {
        o->app = opt_text(name, val);
    } else if (strcmp(name, "--facility") == 0) {
        o->facility = opt_text(name, val);
    } else if (strcmp(name, "--count-file") == 0) {
        o->count_file = val;
    } else {
        return false;
    }
    return true;
}

static void opt_parse(struct engine *e, int argc, char **argv)
{
    e->opts.app = "ENGINE";
    e->opts.facility = "HOSPITAL";
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
            e->opts.verbose = true;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            engine_help();
            exit(0);
        } else if (i + 1 >= argc) {
            usage_error("unknown option, or no value after it", arg);
        } else if (opt_apply(e, arg, argv[i + 1])) {
            i++;
        } else {
            usage_error("unknown option", arg);
        }
    }
    if (e->opts.listen_port[0] == '\0') {
        usage_error("--listen [ADDR:]PORT is required", NULL);
    }
}

/* ---- HL7: the MSH segment ---- */

static bool is_alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Locates MSH-2 to MSH-12 of msg; false when msg does not start with MSH. */
static bool msh_parse(const uint8_t *msg, size_t len, struct msh *h)
{
    static const uint8_t bom[] = {0xEF, 0xBB, 0xBF};
    size_t pos = len >= 3 && memcmp(msg, bom, 3) == 0 ? 3 : 0;
    size_t start;

    memset(h, 0, sizeof(*h));
    if (len < pos + 4 || memcmp(msg + pos, "MSH", 3) != 0) {
        return false;
    }
    h->fs = msg[pos + 3];
    if (h->fs <= 0x20 || h->fs >= 0x7F || is_alnum(h->fs)) {
        return false;
    }
    start = pos + 4;
    h->n = 2;
    for (pos = start; pos < len && msg[pos] != HL7_CR && msg[pos] != '\n'; pos++) {
        if (msg[pos] == h->fs && h->n <= MSH_KEEP) {
            h->f[h->n] = (struct span){start, pos - start};
            h->n++;
            start = pos + 1;
        }
    }
    h->seg_end = pos;
    if (h->n <= MSH_KEEP) {
        h->f[h->n] = (struct span){start, pos - start}; /* the last field of the segment */
    } else {
        h->n = MSH_KEEP; /* fields after MSH-12 are not located */
    }
    h->cs = h->f[2].len > 0 ? msg[h->f[2].off] : '^';
    return true;
}

/* Copies MSH-k (component comp from 1, or 0 for all) into out, minus delimiters. */
static void msh_copy(const uint8_t *msg, const struct msh *h, size_t k, int comp, char *out,
                     size_t out_len)
{
    const uint8_t *p;
    const uint8_t *end;
    size_t n = 0;

    out[0] = '\0';
    if (k > h->n || h->f[k].len == 0) {
        return;
    }
    p = msg + h->f[k].off;
    end = p + h->f[k].len;
    for (int c = 1; c < comp && p < end; c++) {
        const uint8_t *next = memchr(p, h->cs, (size_t)(end - p));

        p = next ? next + 1 : end;
    }
    for (; p < end && n + 1 < out_len; p++) {
        if (comp > 0 && *p == h->cs) {
            break;
        }
        if (*p != '|' && *p != HL7_CR && *p != '\n' && *p >= 0x20) {
            out[n++] = (char)*p;
        }
    }
    out[n] = '\0';
}

/* ---- acknowledgements ---- */

/* Writes the ACK of msg into out; returns its length, code "AA" or "AR" in *code. */
static size_t ack_build(struct engine *e, const uint8_t *msg, size_t len, char *out, size_t out_len,
                        const char **code)
{
    struct msh h;
    char ts[TS_LEN], app[VALUE_MAX + 1], fac[VALUE_MAX + 1], trigger[VALUE_MAX + 1];
    char ctl[CONTROL_ID_MAX], proc[VALUE_MAX + 1], ver[VALUE_MAX + 1];
    bool ok = msh_parse(msg, len, &h);
    int n;

    msh_copy(msg, &h, 3, 0, app, sizeof(app));
    msh_copy(msg, &h, 4, 0, fac, sizeof(fac));
    msh_copy(msg, &h, 9, 2, trigger, sizeof(trigger));
    msh_copy(msg, &h, 10, 0, ctl, sizeof(ctl));
    msh_copy(msg, &h, 11, 0, proc, sizeof(proc));
    msh_copy(msg, &h, 12, 1, ver, sizeof(ver));
    hl7_timestamp(ts);
    *code = ok ? "AA" : "AR";
    e->n_acks++;
    n = snprintf(out, out_len, "MSH|^~\\&|%s|%s|%s|%s|%s||ACK%s%s%s|%s-%lu|%s|%s\rMSA|%s|%s%s\r",
                 e->opts.app, e->opts.facility, app, fac, ts, trigger[0] ? "^" : "", trigger,
                 trigger[0] ? "^ACK" : "", e->opts.app, e->n_acks, proc[0] ? proc : "P",
                 ver[0] ? ver : "2.5", *code, ctl, ok ? "" : "|message does not start with MSH");
    return n > 0 && (size_t)n < out_len ? (size_t)n : 0;
}

/* Appends text framed by MLLP to b; 0 on success, -1 when b would pass max. */
static int mllp_append(struct buf *b, const char *text, size_t len, size_t max)
{
    static const uint8_t start = MLLP_START;
    static const uint8_t end[2] = {MLLP_END, HL7_CR};

    if (b->len + len + 3 > max) {
        return -1;
    }
    buf_append(b, &start, 1, max);
    buf_append(b, text, len, max);
    return buf_append(b, end, 2, max);
}

/* ---- the forward peer ---- */

__attribute__((format(printf, 2, 3))) static void fwd_warn(struct fwd *f, const char *fmt, ...)
{
    double now = now_s();
    va_list ap;

    if (f->last_warn_s != 0 && now - f->last_warn_s < DROP_WARN_INTERVAL_S) {
        return;
    }
    f->last_warn_s = now;
    f->warned = true;
    fprintf(stderr, PROG ": forward peer %s:%s: ", f->host, f->port);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (%lu messages dropped so far)\n", f->n_dropped);
}

/* Closes the forward connection, drops what was queued, schedules a retry. */
static void fwd_fail(struct fwd *f, const char *why)
{
    if (f->fd >= 0) {
        close(f->fd);
    }
    f->fd = -1;
    f->n_dropped += f->n_frames;
    f->n_frames = 0;
    f->head = 0;
    f->out.len = 0;
    f->state = FWD_DOWN;
    f->next_try_s = now_s() + f->backoff_s;
    f->backoff_s = f->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : f->backoff_s * 2;
    fwd_warn(f, "%s; dropping messages until it is back", why);
}

static void fwd_connected(struct fwd *f)
{
    f->state = FWD_UP;
    f->backoff_s = BACKOFF_FIRST_S;
    if (f->warned) {
        fprintf(stderr, PROG ": forward peer %s:%s: connected (%lu messages dropped so far)\n",
                f->host, f->port, f->n_dropped);
        f->warned = false;
    }
}

/* Starts a non-blocking connect to the first address of the forward peer. */
static void fwd_connect_start(struct fwd *f)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(f->host, f->port, &hints, &ai);

    if (rc != 0) {
        fwd_fail(f, gai_strerror(rc));
        return;
    }
    f->fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (f->fd < 0 || fcntl(f->fd, F_SETFL, O_NONBLOCK) != 0) {
        freeaddrinfo(ai);
        fwd_fail(f, strerror(errno));
        return;
    }
    rc = connect(f->fd, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (rc == 0) {
        fwd_connected(f);
    } else if (errno == EINPROGRESS) {
        f->state = FWD_CONNECTING;
    } else {
        fwd_fail(f, strerror(errno));
    }
}

/* The connect started earlier has finished: see how. */
static void fwd_connect_done(struct fwd *f)
{
    int err = 0;
    socklen_t err_len = sizeof(err);

    if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) {
        err = errno;
    }
    if (err != 0) {
        fwd_fail(f, strerror(err));
    } else {
        fwd_connected(f);
    }
}

/* Writes queued frames; each one written whole counts as forwarded. */
static void fwd_flush(struct engine *e)
{
    struct fwd *f = &e->fwd;
    size_t written;

    if (buf_flush(&f->out, f->fd, &written) != 0) {
        fwd_fail(f, strerror(errno));
        return;
    }
    while (written > 0 && f->n_frames > 0) {
        size_t take = written < f->frame_left[f->head] ? written : f->frame_left[f->head];

        f->frame_left[f->head] -= take;
        written -= take;
        if (f->frame_left[f->head] == 0) {
            e->n_forwarded++;
            f->head = (f->head + 1) % FWD_FRAMES_MAX;
            f->n_frames--;
        }
    }
}

/* Reads and discards the peer's ACKs; notices when it has gone. */
static void fwd_read(struct fwd *f)
{
    static uint8_t sink[READ_CHUNK];
    ssize_t n = recv(f->fd, sink, sizeof(sink), 0);

    if (n == 0) {
        fwd_fail(f, "closed the connection");
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        fwd_fail(f, strerror(errno));
    }
}

/* Appends p[0..len) to the forward queue (room already checked). */
static void fwd_put(struct fwd *f, const void *p, size_t len)
{
    buf_append(&f->out, p, len, FWD_OUT_MAX);
}

/* Queues msg with MSH-3/4 naming the engine and MSH-5/6 "EHR", then writes. */
static void fwd_message(struct engine *e, const uint8_t *msg, size_t len, const struct msh *h)
{
    struct fwd *f = &e->fwd;
    const char *app = e->opts.app, *fac = e->opts.facility;
    size_t head_len = h->f[2].off + h->f[2].len; /* "MSH|^~\&" */
    size_t rest = h->n >= 7 ? h->f[7].off - 1 : h->seg_end;
    size_t total = 1 + head_len + 4 + strlen(app) + strlen(fac) + 6 + (len - rest) + 2;
    uint8_t fs = h->fs, start = MLLP_START, end[2] = {MLLP_END, HL7_CR};

    if (f->state != FWD_UP || f->n_frames == FWD_FRAMES_MAX ||
        buf_reserve(&f->out, f->out.len + total, FWD_OUT_MAX) != 0) {
        f->n_dropped++;
        fwd_warn(f, "%s", f->state == FWD_UP ? "queue full" : "not connected");
        return;
    }
    fwd_put(f, &start, 1);
    fwd_put(f, msg, head_len);
    fwd_put(f, &fs, 1);
    fwd_put(f, app, strlen(app));
    fwd_put(f, &fs, 1);
    fwd_put(f, fac, strlen(fac));
    fwd_put(f, &fs, 1);
    fwd_put(f, "EHR", 3);
    fwd_put(f, &fs, 1);
    fwd_put(f, "EHR", 3);
    fwd_put(f, msg + rest, len - rest);
    fwd_put(f, end, 2);
    f->frame_left[(f->head + f->n_frames) % FWD_FRAMES_MAX] = total;
    f->n_frames++;
    fwd_flush(e);
}

/* Starts a connect when one is due. Returns ms until the next one, at most max_ms. */
static int fwd_tick(struct fwd *f, int max_ms)
{
    double wait;

    if (f->state != FWD_DOWN) {
        return max_ms;
    }
    wait = f->next_try_s - now_s();
    if (wait <= 0) {
        fwd_connect_start(f);
        return f->state == FWD_DOWN ? 0 : max_ms;
    }
    return wait * 1000 < max_ms ? (int)(wait * 1000) + 1 : max_ms;
}

static short fwd_events(const struct fwd *f)
{
    if (f->state == FWD_CONNECTING) {
        return POLLOUT;
    }
    return f->state == FWD_UP ? (short)(POLLIN | (f->out.len > 0 ? POLLOUT : 0)) : 0;
}

static void fwd_on_poll(struct engine *e, short revents)
{
    struct fwd *f = &e->fwd;

    if (f->state == FWD_CONNECTING && revents != 0) {
        fwd_connect_done(f);
        return;
    }
    if (f->state == FWD_UP && (revents & (POLLIN | POLLHUP | POLLERR))) {
        fwd_read(f);
    }
    if (f->state == FWD_UP && (revents & POLLOUT)) {
        fwd_flush(e);
    }
}

/* ---- client connections ---- */

static void conn_kill(struct conn *c, const char *why)
{
    if (why != NULL) {
        fprintf(stderr, PROG ": %s: %s; connection closed\n", c->peer, why);
    }
    c->dead = true;
}

/* Answers one message and passes it on when it is good. */
static void engine_on_message(struct engine *e, struct conn *c, const uint8_t *msg, size_t len)
{
    char ack[ACK_MAX], type[VALUE_MAX + 1], ctl[CONTROL_ID_MAX];
    const char *code;
    size_t ack_len = ack_build(e, msg, len, ack, sizeof(ack), &code);
    struct msh h;
    bool ok = msh_parse(msg, len, &h);

    e->n_received++;
    if (ack_len == 0 || mllp_append(&c->out, ack, ack_len, CONN_OUT_MAX) != 0) {
        conn_kill(c, "ACKs not read, or an ACK too long");
        return;
    }
    if (e->opts.verbose) {
        msh_copy(msg, &h, 9, 0, type, sizeof(type));
        msh_copy(msg, &h, 10, 0, ctl, sizeof(ctl));
        printf("%s %s %s %s\n", c->peer, ok ? type : "-", ok ? ctl : "-", code);
    }
    if (ok && e->fwd.state != FWD_OFF) {
        fwd_message(e, msg, len, &h);
    }
}

/* Takes every whole frame out of c->in; a frame ends at 0x1C, then CR. */
static void conn_take_frames(struct engine *e, struct conn *c)
{
    uint8_t *data = c->in.data;
    size_t len = c->in.len, pos = 0;

    while (!c->dead && pos < len) {
        uint8_t *start = memchr(data + pos, MLLP_START, len - pos);
        uint8_t *end;
        size_t after;

        if (start == NULL) {
            pos = len; /* bytes outside a frame: nothing to keep */
            break;
        }
        end = memchr(start + 1, MLLP_END, len - (size_t)(start + 1 - data));
        after = end ? (size_t)(end - data) + 1 : len;
        if (end == NULL || after == len) {
            pos = (size_t)(start - data); /* wait for the rest of the frame */
            break;
        }
        engine_on_message(e, c, start + 1, (size_t)(end - start - 1));
        pos = after + (data[after] == HL7_CR ? 1 : 0);
    }
    buf_consume(&c->in, pos);
}

static void conn_read(struct engine *e, struct conn *c)
{
    size_t want = c->in.len + READ_CHUNK > CONN_IN_MAX ? CONN_IN_MAX : c->in.len + READ_CHUNK;
    ssize_t n;

    if (buf_reserve(&c->in, want, CONN_IN_MAX) != 0 || c->in.len == CONN_IN_MAX) {
        conn_kill(c, "frame longer than 1 MiB, or out of memory");
        return;
    }
    n = recv(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len, 0);
    if (n == 0) {
        conn_kill(c, NULL);
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            conn_kill(c, strerror(errno));
        }
        return;
    }
    c->in.len += (size_t)n;
    conn_take_frames(e, c);
    if (!c->dead && c->in.len == CONN_IN_MAX) {
        conn_kill(c, "frame longer than 1 MiB");
    }
}

static void conn_write(struct conn *c)
{
    size_t written;

    if (buf_flush(&c->out, c->fd, &written) != 0) {
        conn_kill(c, NULL);
    }
}

static void conn_on_poll(struct engine *e, struct conn *c, short revents)
{
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        conn_read(e, c);
    }
    if (!c->dead && c->out.len > 0) {
        conn_write(c);
    }
}

/* Closes dead connections and closes the gaps they leave. */
static void conns_compact(struct engine *e)
{
    size_t kept = 0;

    for (size_t i = 0; i < e->n_conns; i++) {
        struct conn *c = &e->conns[i];

        if (c->dead) {
            close(c->fd);
            buf_free(&c->in);
            buf_free(&c->out);
            continue;
        }
        if (kept != i) {
            e->conns[kept] = *c;
        }
        kept++;
    }
    e->n_conns = kept;
}

/* ---- the listener ---- */

static void peer_name(const struct sockaddr_storage *sa, socklen_t len, char *out)
{
    char host[64], port[PORT_MAX];

    if (getnameinfo((const struct sockaddr *)sa, len, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, PEER_MAX, "(unknown peer)");
        return;
    }
    snprintf(out, PEER_MAX, "%s:%s", host, port);
}

/* Accepts every waiting connection. */
static void engine_accept(struct engine *e)
{
    for (;;) {
        struct sockaddr_storage sa;
        socklen_t len = sizeof(sa);
        int fd = accept(e->listen_fd, (struct sockaddr *)&sa, &len);
        struct conn *c;

        if (fd < 0) {
            return;
        }
        if (e->n_conns == CONN_MAX) {
            fprintf(stderr, PROG ": more than %d connections; refusing one\n", CONN_MAX);
            close(fd);
            continue;
        }
        if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
            close(fd);
            continue;
        }
        c = &e->conns[e->n_conns++];
        memset(c, 0, sizeof(*c));
        c->fd = fd;
        peer_name(&sa, len, c->peer);
    }
}

/* Binds the listening socket; exits 1 with a message when it cannot. */
static void engine_listen(struct engine *e)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *list = NULL;
    const char *host = e->opts.listen_host[0] ? e->opts.listen_host : NULL;
    int rc = getaddrinfo(host, e->opts.listen_port, &hints, &list);
    int one = 1;

    e->listen_fd = -1;
    if (rc != 0) {
        fprintf(stderr, PROG ": cannot listen on %s: %s\n", host ? host : "*", gai_strerror(rc));
        exit(1);
    }
    for (const struct addrinfo *ai = list; ai != NULL && e->listen_fd < 0; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);

        if (fd < 0) {
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0 &&
            fcntl(fd, F_SETFL, O_NONBLOCK) == 0) {
            e->listen_fd = fd;
        } else {
            rc = errno;
            close(fd);
        }
    }
    freeaddrinfo(list);
    if (e->listen_fd < 0) {
        fprintf(stderr, PROG ": cannot listen on %s port %s: %s\n", host ? host : "*",
                e->opts.listen_port, strerror(rc));
        exit(1);
    }
}

/* ---- the loop ---- */

static void engine_poll_once(struct engine *e)
{
    static struct pollfd fds[CONN_MAX + 2];
    int timeout = fwd_tick(&e->fwd, POLL_MAX_MS);
    size_t n_conns = e->n_conns;

    fds[0] = (struct pollfd){.fd = e->listen_fd, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = e->fwd.fd, .events = fwd_events(&e->fwd)};
    if (fds[1].events == 0) {
        fds[1].fd = -1;
    }
    for (size_t i = 0; i < n_conns; i++) {
        short out = e->conns[i].out.len > 0 ? POLLOUT : 0;

        fds[i + 2] = (struct pollfd){.fd = e->conns[i].fd, .events = (short)(POLLIN | out)};
    }
    if (poll(fds, (nfds_t)n_conns + 2, timeout) <= 0) {
        return; /* a signal or the timeout: the caller looks at both */
    }
    if (fds[1].fd >= 0) {
        fwd_on_poll(e, fds[1].revents);
    }
    for (size_t i = 0; i < n_conns; i++) {
        conn_on_poll(e, &e->conns[i], fds[i + 2].revents);
    }
    conns_compact(e);
    if (fds[0].revents & POLLIN) {
        engine_accept(e);
    }
}

/* Writes "received N" and "forwarded N" to the count file, if one was named. */
static void engine_write_counts(const struct engine *e)
{
    FILE *fp;

    if (e->opts.count_file == NULL) {
        return;
    }
    fp = fopen(e->opts.count_file, "w");
    if (fp == NULL) {
        fprintf(stderr, PROG ": cannot write %s: %s\n", e->opts.count_file, strerror(errno));
        return;
    }
    fprintf(fp, "received %lu\nforwarded %lu\n", e->n_received, e->n_forwarded);
    if (fclose(fp) != 0) {
        fprintf(stderr, PROG ": cannot write %s: %s\n", e->opts.count_file, strerror(errno));
    }
}

static void engine_shutdown(struct engine *e)
{
    for (size_t i = 0; i < e->n_conns; i++) {
        e->conns[i].dead = true;
    }
    conns_compact(e);
    if (e->fwd.fd >= 0) {
        close(e->fwd.fd);
    }
    buf_free(&e->fwd.out);
    close(e->listen_fd);
    engine_write_counts(e);
}

static void engine_install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = engine_on_signal; /* no SA_RESTART: poll() returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    static struct engine e;

    e.fwd.fd = -1;
    e.fwd.backoff_s = BACKOFF_FIRST_S;
    opt_parse(&e, argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    engine_install_signals();
    engine_listen(&e);
    while (!engine_stop) {
        engine_poll_once(&e);
    }
    engine_shutdown(&e);
    return 0;
}
