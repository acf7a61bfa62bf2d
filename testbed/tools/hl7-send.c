/* SPDX-License-Identifier: MIT */
/*
 * hl7-send: a testbed device that sends HL7 v2 messages over MLLP.
 *
 * It plays a bedside patient monitor (ORU^R01 vital signs) or a registration
 * desk (ADT^A01, A08, A03 in turn) in the virtual hospital. Messages follow
 * HL7 v2.5 chapter 2 (MSH, MSA) with synthetic patients only; framing is the
 * Minimal Lower Layer Protocol of HL7 v2.5 Appendix C "Lower Layer
 * Protocols":
 *
 *   0x0B | MSH|^~\&|...<CR>PID|...<CR>...<CR> | 0x1C 0x0D
 *   start block  segments, each ended by CR      end block, CR
 *
 * One TCP connection is kept open; after each message the sender waits up to
 * ACK_TIMEOUT_MS for an acknowledgement (MSA|AA or MSA|CA with the message's
 * control id). A lost peer is reconnected with a growing pause; network
 * errors are never fatal. SIGTERM or SIGINT closes the connection and exits 0.
 *
 * Build: cc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -O2 \
 *        -o hl7-send hl7-send.c
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
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define PROG "hl7-send"
#include "hl7_common.h"

#define MLLP_START 0x0B
#define MLLP_END 0x1C
#define HL7_CR '\r'
#define MSG_MAX 4096            /* bytes of one message, framing excluded */
#define ACK_BUF_MAX 65536       /* bytes read while waiting for one ACK */
#define ACK_TIMEOUT_MS 5000     /* an ACK later than this is reported missing */
#define CONNECT_TIMEOUT_MS 3000 /* one connection attempt */
#define SEND_TIMEOUT_S 5        /* a blocked send gives up after this */
#define BACKOFF_FIRST_S 1.0     /* pause after the first failed connect */
#define BACKOFF_MAX_S 10.0      /* longest pause between connects */
#define VALUE_MAX 64            /* bytes of an app, facility or equipment name */
#define BED_MAX 16              /* bytes of a bed label */
#define VERSION_MAX 8           /* bytes of an HL7 version such as 2.5.1 */
#define CONTROL_ID_MAX 96
#define HOST_MAX 256
#define PORT_MAX 8

enum send_kind { KIND_ORU, KIND_ADT };

struct send_opts {
    char host[HOST_MAX];
    char port[PORT_MAX];
    enum send_kind kind;
    bool kind_set;
    const char *app;
    const char *facility;
    const char *bed;
    const char *equipment; /* NULL: OBX-18 left empty */
    const char *version;
    double interval_s;
    double jitter;       /* fraction of the interval, either way */
    unsigned long count; /* 0: forever */
    uint64_t seed;
    bool seed_set;
    bool verbose;
};

/* One vital sign on a random walk around its patient's baseline. */
struct vital {
    const char *obs_id; /* OBX-3: LOINC code^text^LN */
    const char *units;  /* OBX-6: UCUM code^text^UCUM */
    int decimals;
    double lo, hi; /* clamped to this range */
    double base, value, step;
};

enum vital_index { V_HR, V_SPO2, V_SYS, V_DIA, V_RR, V_TEMP, V_COUNT };

struct sender {
    struct send_opts opts;
    uint64_t rng;
    struct vital vitals[V_COUNT];
    unsigned long n_sent;
    int fd; /* -1 while disconnected */
    double backoff_s;
    bool down_reported; /* a connection failure was printed since the last success */
};

struct msg {
    char type[32]; /* MSH-9, for -v */
    char text[MSG_MAX];
    size_t len;
    bool overflow;
};

static volatile sig_atomic_t send_stop;

static void send_on_signal(int sig)
{
    (void)sig;
    send_stop = 1;
}

static void send_help(void)
{
    printf("usage: " PROG " --to HOST:PORT --type oru|adt --app NAME --facility NAME --bed BED\n"
           "       [--interval SECONDS] [--count N] [--seed N] [--jitter FRACTION]\n"
           "       [--equipment ID] [--version V] [-v]\n"
           "Sends HL7 v2 ORU^R01 vitals or ADT messages over MLLP, one per interval.\n");
}

/* ---- random numbers: splitmix64, seeded, so a run can be repeated ---- */

static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(uint64_t *state)
{
    return (double)(rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* Roughly normal with mean 0 and deviation 1 (sum of four uniforms). */
static double rng_normal(uint64_t *state)
{
    double sum = 0.0;

    for (int i = 0; i < 4; i++) {
        sum += rng_unit(state);
    }
    return (sum - 2.0) * 1.7320508075688772;
}

/* ---- time ---- */

/* Sleeps seconds, waking early on SIGTERM or SIGINT. */
static void sleep_s(double seconds)
{
    double end = now_s() + seconds;

    while (!send_stop) {
        double left = end - now_s();
        struct timespec ts;

        if (left <= 0) {
            return;
        }
        ts.tv_sec = (time_t)left;
        ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
        nanosleep(&ts, NULL);
    }
}

/* ---- options ---- */

/* Splits HOST:PORT (or [V6ADDR]:PORT) into o->host and o->port. */
static void opt_parse_to(struct send_opts *o, const char *arg)
{
    const char *colon = strrchr(arg, ':');
    size_t host_len;
    char *end;
    long port;

    if (colon == NULL || colon == arg) {
        usage_error("--to needs HOST:PORT", arg);
    }
    host_len = (size_t)(colon - arg);
    if (arg[0] == '[' && host_len >= 2 && arg[host_len - 1] == ']') {
        arg++;
        host_len -= 2;
    }
    port = strtol(colon + 1, &end, 10);
    if (host_len == 0 || host_len >= HOST_MAX || *end != '\0' || port < 1 || port > 65535) {
        usage_error("--to needs HOST:PORT with a port from 1 to 65535", colon + 1);
    }
    memcpy(o->host, arg, host_len);
    o->host[host_len] = '\0';
    snprintf(o->port, sizeof(o->port), "%ld", port);
}

static double opt_parse_double(const char *name, const char *arg, double lo, double hi)
{
    char *end;
    double v = strtod(arg, &end);

    if (end == arg || *end != '\0' || !(v >= lo && v <= hi)) {
        char what[96];

        snprintf(what, sizeof(what), "%s needs a number from %g to %g", name, lo, hi);
        usage_error(what, arg);
    }
    return v;
}

static unsigned long long opt_parse_unsigned(const char *name, const char *arg)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(arg, &end, 10);
    if (end == arg || *end != '\0' || errno != 0 || arg[0] == '-') {
        char what[64];

        snprintf(what, sizeof(what), "%s needs a whole number", name);
        usage_error(what, arg);
    }
    return v;
}

static const char *opt_parse_text(const char *name, const char *arg, size_t max)
{
    if (!hl7_plain_text(arg, max)) {
        char what[128];

        snprintf(what, sizeof(what),
                 "%s needs 1 to %zu characters without | ^ ~ \\ & or control characters", name,
                 max);
        usage_error(what, arg);
    }
    return arg;
}

static void opt_parse_version(struct send_opts *o, const char *arg)
{
    size_t len = strlen(arg);

    if (len == 0 || len > VERSION_MAX || strspn(arg, "0123456789.") != len) {
        usage_error("--version needs an HL7 version such as 2.5", arg);
    }
    o->version = arg;
}

static void opt_parse_type(struct send_opts *o, const char *arg)
{
    if (strcmp(arg, "oru") == 0) {
        o->kind = KIND_ORU;
    } else if (strcmp(arg, "adt") == 0) {
        o->kind = KIND_ADT;
    } else {
        usage_error("--type must be oru or adt", arg);
    }
    o->kind_set = true;
}

/* Applies one option that takes a value; false if name is not one. */
static bool opt_apply(struct send_opts *o, const char *name, const char *val)
{
    if (strcmp(name, "--to") == 0) {
        opt_parse_to(o, val);
    } else if (strcmp(name, "--type") == 0) {
        opt_parse_type(o, val);
    } else if (strcmp(name, "--app") == 0) {
        o->app = opt_parse_text(name, val, VALUE_MAX);
    } else if (strcmp(name, "--facility") == 0) {
        o->facility = opt_parse_text(name, val, VALUE_MAX);
    } else if (strcmp(name, "--bed") == 0) {
        o->bed = opt_parse_text(name, val, BED_MAX);
    } else if (strcmp(name, "--equipment") == 0) {
        o->equipment = opt_parse_text(name, val, VALUE_MAX);
    } else if (strcmp(name, "--version") == 0) {
        opt_parse_version(o, val);
    } else if (strcmp(name, "--interval") == 0) {
        o->interval_s = opt_parse_double(name, val, 0.001, 86400.0);
    } else if (strcmp(name, "--jitter") == 0) {
        o->jitter = opt_parse_double(name, val, 0.0, 0.99);
    } else if (strcmp(name, "--count") == 0) {
        o->count = (unsigned long)opt_parse_unsigned(name, val);
    } else if (strcmp(name, "--seed") == 0) {
        o->seed = (uint64_t)opt_parse_unsigned(name, val);
        o->seed_set = true;
    } else {
        return false;
    }
    return true;
}

static void opt_check_required(const struct send_opts *o)
{
    if (o->host[0] == '\0') {
        usage_error("--to HOST:PORT is required", NULL);
    }
    if (!o->kind_set) {
        usage_error("--type oru|adt is required", NULL);
    }
    if (o->app == NULL || o->facility == NULL || o->bed == NULL) {
        usage_error("--app, --facility and --bed are required", NULL);
    }
}

static void opt_parse(struct send_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->interval_s = 5.0;
    o->jitter = 0.2;
    o->version = "2.5";
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];

        if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
            o->verbose = true;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            send_help();
            exit(0);
        } else if (i + 1 >= argc) {
            usage_error("unknown option, or no value after it", arg);
        } else if (opt_apply(o, arg, argv[i + 1])) {
            i++;
        } else {
            usage_error("unknown option", arg);
        }
    }
    opt_check_required(o);
}

/* ---- vital signs ---- */

static void vital_init(struct vital *v, uint64_t *rng, const char *obs_id, const char *units,
                       double base_lo, double base_hi, double step)
{
    v->obs_id = obs_id;
    v->units = units;
    v->base = base_lo + (base_hi - base_lo) * rng_unit(rng);
    v->value = v->base;
    v->step = step;
}

/* Baselines differ by seed; limits keep every value physiologically plausible. */
static void vitals_init(struct vital *vs, uint64_t *rng)
{
    vital_init(&vs[V_HR], rng, "8867-4^Heart rate^LN", "/min^/min^UCUM", 62, 92, 1.5);
    vital_init(&vs[V_SPO2], rng, "59408-5^Oxygen saturation^LN", "%^%^UCUM", 95, 99, 0.4);
    vital_init(&vs[V_SYS], rng, "8480-6^Systolic blood pressure^LN", "mm[Hg]^mmHg^UCUM", 108, 136,
               2.0);
    vital_init(&vs[V_DIA], rng, "8462-4^Diastolic blood pressure^LN", "mm[Hg]^mmHg^UCUM", 64, 84,
               1.5);
    vital_init(&vs[V_RR], rng, "9279-1^Respiratory rate^LN", "/min^/min^UCUM", 12, 19, 0.5);
    vital_init(&vs[V_TEMP], rng, "8310-5^Body temperature^LN", "Cel^degC^UCUM", 36.4, 37.2, 0.05);
    vs[V_HR].lo = 45, vs[V_HR].hi = 130;
    vs[V_SPO2].lo = 88, vs[V_SPO2].hi = 100;
    vs[V_SYS].lo = 90, vs[V_SYS].hi = 170;
    vs[V_DIA].lo = 50, vs[V_DIA].hi = 100;
    vs[V_RR].lo = 8, vs[V_RR].hi = 28;
    vs[V_TEMP].lo = 35.5, vs[V_TEMP].hi = 38.5;
    vs[V_TEMP].decimals = 1;
}

/* One step of each walk: a little noise and a pull back toward the baseline. */
static void vitals_step(struct vital *vs, uint64_t *rng)
{
    for (int i = 0; i < V_COUNT; i++) {
        struct vital *v = &vs[i];

        v->value += 0.1 * (v->base - v->value) + v->step * rng_normal(rng);
        if (v->value < v->lo) {
            v->value = v->lo;
        }
        if (v->value > v->hi) {
            v->value = v->hi;
        }
    }
    if (vs[V_DIA].value > vs[V_SYS].value - 25) {
        vs[V_DIA].value = vs[V_SYS].value - 25;
    }
}

/* ---- message building ---- */

__attribute__((format(printf, 2, 3))) static void msg_add(struct msg *m, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (m->overflow) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(m->text + m->len, sizeof(m->text) - m->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(m->text) - m->len) {
        m->overflow = true;
        return;
    }
    m->len += (size_t)n;
}

static void msg_add_msh(struct msg *m, const struct send_opts *o, const char *ts, const char *type,
                        const char *ctl_id)
{
    msg_add(m, "MSH|^~\\&|%s|%s|ENGINE|HOSPITAL|%s||%s|%s|P|%s\r", o->app, o->facility, ts, type,
            ctl_id, o->version);
}

/* A patient made up from the bed label: nothing in it is about a real person. */
static void msg_add_pid(struct msg *m, const struct send_opts *o)
{
    msg_add(m, "PID|1||TEST%s^^^HOSP^MR||TESTPATIENT^BED%s||19700101|U\r", o->bed, o->bed);
}

/* PV1-2 class I (inpatient), PV1-3 location ward^room^bed, PV1-19 visit number. */
static void msg_add_pv1(struct msg *m, const struct send_opts *o, unsigned long visit)
{
    msg_add(m, "PV1|1|I|WARD^^%s||||||||||||||||V%s-%lu\r", o->bed, o->bed, visit);
}

/* OBX-3 identifier, 5 value, 6 units, 11 status F, 14 time, 18 equipment. */
static void msg_add_obx(struct msg *m, int set_id, const struct vital *v, const char *ts,
                        const char *equipment)
{
    msg_add(m, "OBX|%d|NM|%s||%.*f|%s|||||F|||%s", set_id, v->obs_id, v->decimals, v->value,
            v->units, ts);
    if (equipment != NULL) {
        msg_add(m, "||||%s", equipment);
    }
    msg_add(m, "\r");
}

static void msg_build_oru(struct sender *s, struct msg *m, const char *ts, const char *ctl_id)
{
    const struct send_opts *o = &s->opts;

    vitals_step(s->vitals, &s->rng);
    snprintf(m->type, sizeof(m->type), "ORU^R01^ORU_R01");
    msg_add_msh(m, o, ts, m->type, ctl_id);
    msg_add_pid(m, o);
    msg_add_pv1(m, o, 1);
    msg_add(m, "OBR|1||%s|VITALS^Vital signs^L|||%s\r", ctl_id, ts);
    for (int i = 0; i < V_COUNT; i++) {
        msg_add_obx(m, i + 1, &s->vitals[i], ts, o->equipment);
    }
}

/* Admit, update, discharge, then a new visit: message n (from 0) is event n % 3. */
static void msg_build_adt(struct sender *s, struct msg *m, const char *ts, const char *ctl_id)
{
    static const char *const events[] = {"A01", "A08", "A03"};
    static const char *const structures[] = {"ADT_A01", "ADT_A01", "ADT_A03"};
    unsigned long step = s->n_sent % 3;
    unsigned long visit = s->n_sent / 3 + 1;

    snprintf(m->type, sizeof(m->type), "ADT^%s^%s", events[step], structures[step]);
    msg_add_msh(m, &s->opts, ts, m->type, ctl_id);
    msg_add(m, "EVN|%s|%s\r", events[step], ts);
    msg_add_pid(m, &s->opts);
    msg_add_pv1(m, &s->opts, visit);
}

/* Builds message number s->n_sent + 1 into m; its control id goes to ctl_id. */
static void msg_build(struct sender *s, struct msg *m, char ctl_id[CONTROL_ID_MAX])
{
    char ts[TS_LEN];

    memset(m, 0, sizeof(*m));
    hl7_timestamp(ts);
    snprintf(ctl_id, CONTROL_ID_MAX, "%s-%lu", s->opts.app, s->n_sent + 1);
    if (s->opts.kind == KIND_ORU) {
        msg_build_oru(s, m, ts, ctl_id);
    } else {
        msg_build_adt(s, m, ts, ctl_id);
    }
}

/* ---- connection ---- */

/* Waits for a non-blocking connect on fd; 0 once connected. */
static int net_connect_wait(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t err_len = sizeof(err);
    int rc = poll(&p, 1, CONNECT_TIMEOUT_MS);

    if (rc <= 0) {
        errno = rc == 0 ? ETIMEDOUT : errno;
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0) {
        errno = err != 0 ? err : errno;
        return -1;
    }
    return 0;
}

/* One connection attempt to one address; returns a blocking socket or -1. */
static int net_connect_one(const struct addrinfo *ai)
{
    struct timeval send_timeout = {.tv_sec = SEND_TIMEOUT_S};
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    int flags;

    if (fd < 0) {
        return -1;
    }
    flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 &&
        (errno != EINPROGRESS || net_connect_wait(fd) != 0)) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    fcntl(fd, F_SETFL, flags);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
    return fd;
}

/* Tries each address of host:port once; returns a socket or -1 with why set. */
static int net_connect(const struct send_opts *o, char *why, size_t why_len)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list = NULL;
    int rc = getaddrinfo(o->host, o->port, &hints, &list);
    int fd = -1;

    if (rc != 0) {
        snprintf(why, why_len, "%s", gai_strerror(rc));
        return -1;
    }
    snprintf(why, why_len, "no address");
    for (const struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = net_connect_one(ai);
        if (fd < 0) {
            snprintf(why, why_len, "%s", strerror(errno));
        }
    }
    freeaddrinfo(list);
    return fd;
}

/* Connects, pausing 1, 2, 4 .. 10 s between failures, until connected or stopped. */
static void sender_connect(struct sender *s)
{
    char why[128];

    while (s->fd < 0 && !send_stop) {
        s->fd = net_connect(&s->opts, why, sizeof(why));
        if (s->fd >= 0) {
            break;
        }
        if (!s->down_reported) {
            fprintf(stderr, PROG ": cannot connect to %s:%s (%s); retrying every %g s at most\n",
                    s->opts.host, s->opts.port, why, BACKOFF_MAX_S);
            s->down_reported = true;
        }
        sleep_s(s->backoff_s);
        s->backoff_s = s->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : s->backoff_s * 2;
    }
    if (s->fd >= 0) {
        if (s->down_reported) {
            fprintf(stderr, PROG ": connected to %s:%s\n", s->opts.host, s->opts.port);
        }
        s->down_reported = false;
        s->backoff_s = BACKOFF_FIRST_S;
    }
}

static void sender_disconnect(struct sender *s)
{
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

/* Writes all of buf; 0 on success, -1 when the connection failed. */
static int net_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR && !send_stop) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Sends m framed by MLLP; 0 on success. */
static int mllp_send(int fd, const struct msg *m)
{
    static char frame[MSG_MAX + 3];

    frame[0] = MLLP_START;
    memcpy(frame + 1, m->text, m->len);
    frame[m->len + 1] = MLLP_END;
    frame[m->len + 2] = HL7_CR;
    return net_write_all(fd, frame, m->len + 3);
}

/* ---- acknowledgements ---- */

enum ack_result { ACK_GOOD, ACK_BAD, ACK_TIMEOUT, ACK_LOST, ACK_STOPPED };

/* Copies field n (1 = the one after the id) of the segment at seg into out. */
static void seg_field(const char *seg, const char *end, int n, char *out, size_t out_len)
{
    const char *p = seg;
    size_t len;

    for (int i = 0; i < n && p < end; i++) {
        p = memchr(p, '|', (size_t)(end - p));
        p = p != NULL ? p + 1 : end;
    }
    len = strcspn(p, "|\r");
    len = len < (size_t)(end - p) ? len : (size_t)(end - p);
    len = len < out_len - 1 ? len : out_len - 1;
    memcpy(out, p, len);
    out[len] = '\0';
}

/* Checks an ACK message (NUL-terminated, framing removed) for AA/CA and ctl_id. */
static enum ack_result ack_check(const char *text, size_t len, const char *ctl_id, char *why,
                                 size_t why_len)
{
    const char *end = text + len;
    const char *msa = strstr(text, "\rMSA|");
    char code[8], acked[CONTROL_ID_MAX];

    if (strncmp(text, "MSH", 3) != 0 || msa == NULL) {
        snprintf(why, why_len, "reply without MSH and MSA segments");
        return ACK_BAD;
    }
    seg_field(msa + 1, end, 1, code, sizeof(code));
    seg_field(msa + 1, end, 2, acked, sizeof(acked));
    if (strcmp(code, "AA") != 0 && strcmp(code, "CA") != 0) {
        snprintf(why, why_len, "acknowledgement code %s", code[0] ? code : "(empty)");
        return ACK_BAD;
    }
    if (strcmp(acked, ctl_id) != 0) {
        snprintf(why, why_len, "ACK for control id %s", acked);
        return ACK_BAD;
    }
    return ACK_GOOD;
}

/* Looks for one whole frame in buf; its text is NUL-terminated in place. */
static bool ack_find_frame(char *buf, size_t len, char **text, size_t *text_len)
{
    char *start = memchr(buf, MLLP_START, len);
    char *stop;

    if (start == NULL) {
        return false;
    }
    stop = memchr(start, MLLP_END, len - (size_t)(start - buf));
    if (stop == NULL) {
        return false;
    }
    *stop = '\0';
    *text = start + 1;
    *text_len = (size_t)(stop - start - 1);
    return true;
}

/* Reads one MLLP frame from fd within ACK_TIMEOUT_MS and checks it. */
static enum ack_result ack_await(int fd, const char *ctl_id, char *why, size_t why_len)
{
    static char buf[ACK_BUF_MAX + 1];
    size_t len = 0;
    double deadline = now_s() + ACK_TIMEOUT_MS / 1000.0;

    while (!send_stop) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int wait_ms = (int)((deadline - now_s()) * 1000.0);
        char *text;
        size_t text_len;
        ssize_t n;

        if (wait_ms <= 0) {
            snprintf(why, why_len, "no ACK within %d s", ACK_TIMEOUT_MS / 1000);
            return ACK_TIMEOUT;
        }
        if (poll(&p, 1, wait_ms) <= 0) {
            continue; /* a signal, or time is up: the loop checks both */
        }
        n = recv(fd, buf + len, ACK_BUF_MAX - len, 0);
        if (n <= 0) {
            snprintf(why, why_len, "connection closed while waiting for the ACK");
            return n < 0 && errno == EINTR ? ACK_STOPPED : ACK_LOST;
        }
        len += (size_t)n;
        buf[len] = '\0';
        if (ack_find_frame(buf, len, &text, &text_len)) {
            return ack_check(text, text_len, ctl_id, why, why_len);
        }
        if (len == ACK_BUF_MAX) {
            snprintf(why, why_len, "reply longer than %d bytes without an MLLP end", ACK_BUF_MAX);
            return ACK_LOST;
        }
    }
    return ACK_STOPPED;
}

/* ---- the send loop ---- */

/*
 * Whether the idle connection fd is still open. A peer that went away while
 * the sender slept has sent a FIN; writing into that would lose the message.
 * Stray bytes (nothing is owed to us) are read and dropped.
 */
static bool net_still_open(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char sink[4096];

    for (int i = 0; i < 16 && poll(&p, 1, 0) > 0; i++) {
        ssize_t n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);

        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            return false;
        }
        if (n < 0) {
            return true;
        }
    }
    return true;
}

/* Sends m, reconnecting until it is written; false if stopped first. */
static bool sender_deliver(struct sender *s, const struct msg *m)
{
    while (!send_stop) {
        if (s->fd >= 0 && !net_still_open(s->fd)) {
            fprintf(stderr, PROG ": %s:%s closed the connection; reconnecting\n", s->opts.host,
                    s->opts.port);
            sender_disconnect(s);
        }
        sender_connect(s);
        if (s->fd < 0) {
            return false;
        }
        if (mllp_send(s->fd, m) == 0) {
            return true;
        }
        if (!send_stop) {
            fprintf(stderr, PROG ": lost connection to %s:%s (%s); reconnecting\n", s->opts.host,
                    s->opts.port, strerror(errno));
        }
        sender_disconnect(s);
    }
    return false;
}

/* Waits for the ACK of ctl_id; a warning if it is bad or missing. True if good. */
static bool sender_check_ack(struct sender *s, const char *ctl_id)
{
    char why[160];
    enum ack_result r = ack_await(s->fd, ctl_id, why, sizeof(why));

    if (r == ACK_GOOD || r == ACK_STOPPED) {
        return r == ACK_GOOD;
    }
    fprintf(stderr, PROG ": message %s to %s:%s: %s\n", ctl_id, s->opts.host, s->opts.port, why);
    /* A late ACK would be taken for the next message's: start afresh. */
    if (r != ACK_BAD) {
        sender_disconnect(s);
    }
    return false;
}

/* The pause before the next message: the interval, give or take the jitter. */
static double sender_pause_s(struct sender *s)
{
    double u = 2.0 * rng_unit(&s->rng) - 1.0;

    return s->opts.interval_s * (1.0 + s->opts.jitter * u);
}

static void sender_run(struct sender *s)
{
    struct msg m;
    char ctl_id[CONTROL_ID_MAX];
    bool acked;

    while (!send_stop && (s->opts.count == 0 || s->n_sent < s->opts.count)) {
        msg_build(s, &m, ctl_id);
        if (m.overflow) {
            fprintf(stderr, PROG ": message longer than %d bytes; not sent\n", MSG_MAX);
            return;
        }
        if (!sender_deliver(s, &m)) {
            return;
        }
        s->n_sent++;
        acked = sender_check_ack(s, ctl_id);
        if (s->opts.verbose) {
            printf("%s %s to %s:%s: %s\n", m.type, ctl_id, s->opts.host, s->opts.port,
                   acked ? "acknowledged" : "no good ACK");
        }
        if (s->opts.count == 0 || s->n_sent < s->opts.count) {
            sleep_s(sender_pause_s(s));
        }
    }
}

static void send_install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = send_on_signal; /* no SA_RESTART: blocking calls return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    static struct sender s;

    opt_parse(&s.opts, argc, argv);
    s.rng = s.opts.seed_set ? s.opts.seed : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
    vitals_init(s.vitals, &s.rng);
    s.fd = -1;
    s.backoff_s = BACKOFF_FIRST_S;
    setvbuf(stdout, NULL, _IOLBF, 0);
    send_install_signals();
    sender_run(&s);
    sender_disconnect(&s);
    return 0;
}
