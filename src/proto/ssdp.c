/* SPDX-License-Identifier: MIT */
/*
 * ssdp: SSDP datagrams, the discovery step of UPnP (UPnP Device
 * Architecture 2.0, section 1; HTTP/1.1 message syntax of RFC 7230 3 sent
 * over UDP 1900), one "ssdp" event each.
 *
 *   NOTIFY * HTTP/1.1          a device announces itself (NTS ssdp:alive,
 *   HOST: 239.255.255.250:1900  ssdp:byebye or ssdp:update) to the group
 *   NT: urn:schemas-upnp-org:device:MediaServer:1
 *   USN: uuid:...::urn:schemas-upnp-org:device:MediaServer:1
 *   LOCATION: http://10.0.0.5:8080/desc.xml
 *   SERVER: OS/version UPnP/2.0 product/version
 *   (empty line)
 *
 * A control point searches with "M-SEARCH * HTTP/1.1" (MAN, MX, ST,
 * USER-AGENT) and devices answer to it directly with "HTTP/1.1 200 OK"
 * (ST, USN, LOCATION, SERVER). Header names are matched without case.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proto/proto.h"
#include "util/cursor.h"

#define SSDP_PORT 1900
#define SSDP_HEADERS_MAX 64     /* header lines read per message; more are ignored */
#define SSDP_VALUE_LOG_MAX 1024 /* bytes of a header value written to the event */
#define SSDP_TOKEN_MAX 32       /* bytes of a method name */
#define SSDP_STATUS_DIGITS 3

/* The headers kept, by the event key they are written under. */
enum ssdp_hdr {
    H_HOST,
    H_SERVER,
    H_USN,
    H_NT,
    H_NTS,
    H_ST,
    H_LOCATION,
    H_USER_AGENT,
    H_MAN,
    H_MX,
    H_CACHE_CONTROL,
    H_MAX
};

static const struct {
    const char *name; /* lower case, as matched */
    const char *key;
} ssdp_headers[H_MAX] = {
    [H_HOST] = {"host", "host"},
    [H_SERVER] = {"server", "server"},
    [H_USN] = {"usn", "usn"},
    [H_NT] = {"nt", "nt"},
    [H_NTS] = {"nts", "nts"},
    [H_ST] = {"st", "st"},
    [H_LOCATION] = {"location", "location"},
    [H_USER_AGENT] = {"user-agent", "user_agent"},
    [H_MAN] = {"man", "man"},
    [H_MX] = {"mx", "mx"},
    [H_CACHE_CONTROL] = {"cache-control", "cache_control"},
};

struct ssdp_span {
    const uint8_t *p;
    size_t len;
};

/* One message as read; spans point into the datagram. */
struct ssdp_msg {
    struct ssdp_span method, uri, version, reason;
    bool response;
    unsigned status;
    struct ssdp_span hdr[H_MAX];
    unsigned n_headers;
    const char *anomaly;
};

/* The next line, without its CR LF or LF. Returns -1 at the end of the data. */
static int ssdp_line(struct ww_cursor *c, struct ssdp_span *line)
{
    size_t n = 0;
    uint8_t ch;

    if (cursor_left(c) == 0) {
        return -1;
    }
    while (cursor_peek_u8(c, n, &ch) == 0 && ch != '\n') {
        n++;
    }
    cursor_bytes(c, n, &line->p);
    line->len = n;
    cursor_skip(c, 1); /* the LF, when there is one */
    if (line->len > 0 && line->p[line->len - 1] == '\r') {
        line->len--;
    }
    return 0;
}

/* Splits off the text up to the next space of line into out. Returns -1 when empty. */
static int ssdp_word(struct ssdp_span *line, struct ssdp_span *out)
{
    size_t n = 0;

    while (n < line->len && line->p[n] != ' ') {
        n++;
    }
    out->p = line->p;
    out->len = n;
    line->p += n;
    line->len -= n;
    if (line->len > 0) {
        line->p++;
        line->len--;
    }
    return n > 0 ? 0 : -1;
}

static bool ssdp_is_version(const struct ssdp_span *s)
{
    return s->len == 8 && memcmp(s->p, "HTTP/", 5) == 0 && s->p[5] >= '0' && s->p[5] <= '9' &&
           s->p[6] == '.' && s->p[7] >= '0' && s->p[7] <= '9';
}

static bool ssdp_is_token(const struct ssdp_span *s)
{
    if (s->len == 0 || s->len > SSDP_TOKEN_MAX) {
        return false;
    }
    for (size_t i = 0; i < s->len; i++) {
        uint8_t ch = s->p[i];

        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '-' || ch == '_')) {
            return false;
        }
    }
    return true;
}

/* "METHOD uri HTTP/1.1" or "HTTP/1.1 200 OK". Returns 0, or -1 when it is neither. */
static int ssdp_start_line(struct ssdp_msg *m, struct ssdp_span line)
{
    struct ssdp_span first, second;

    if (ssdp_word(&line, &first) < 0 || ssdp_word(&line, &second) < 0) {
        return -1;
    }
    if (ssdp_is_version(&first)) {
        if (second.len != SSDP_STATUS_DIGITS) {
            return -1;
        }
        for (size_t i = 0; i < SSDP_STATUS_DIGITS; i++) {
            if (second.p[i] < '0' || second.p[i] > '9') {
                return -1;
            }
            m->status = m->status * 10 + (unsigned)(second.p[i] - '0');
        }
        m->response = true;
        m->version = first;
        m->reason = line;
        return 0;
    }
    if (!ssdp_is_token(&first) || ssdp_word(&line, &m->version) < 0 ||
        !ssdp_is_version(&m->version) || line.len != 0) {
        return -1;
    }
    m->method = first;
    m->uri = second;
    return 0;
}

static bool ssdp_name_is(const struct ssdp_span *name, const char *want)
{
    size_t len = strlen(want);

    if (name->len != len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t ch = name->p[i];

        if ((ch >= 'A' && ch <= 'Z' ? ch + 32 : ch) != (uint8_t)want[i]) {
            return false;
        }
    }
    return true;
}

static void ssdp_trim(struct ssdp_span *s)
{
    while (s->len > 0 && (s->p[0] == ' ' || s->p[0] == '\t')) {
        s->p++;
        s->len--;
    }
    while (s->len > 0 && (s->p[s->len - 1] == ' ' || s->p[s->len - 1] == '\t')) {
        s->len--;
    }
}

/* "Name: value"; keeps the first of each header this parser knows. */
static int ssdp_header(struct ssdp_msg *m, struct ssdp_span line)
{
    struct ssdp_span name = {line.p, 0}, value;

    while (name.len < line.len && line.p[name.len] != ':') {
        name.len++;
    }
    if (name.len == 0 || name.len == line.len) {
        return -1;
    }
    value.p = line.p + name.len + 1;
    value.len = line.len - name.len - 1;
    ssdp_trim(&name);
    ssdp_trim(&value);
    for (int h = 0; h < H_MAX; h++) {
        if (m->hdr[h].p == NULL && ssdp_name_is(&name, ssdp_headers[h].name)) {
            m->hdr[h] = value;
            break;
        }
    }
    return 0;
}

/*
 * Reads a datagram. Returns 0, or -1 with m->anomaly set when the start
 * line is not HTTP's (a header line without a colon is flagged, and the
 * headers before it kept). The blank line ending the headers is optional:
 * the datagram ends the message.
 */
static int ssdp_read(struct ssdp_msg *m, const uint8_t *data, size_t len)
{
    struct ww_cursor c;
    struct ssdp_span line;

    memset(m, 0, sizeof(*m));
    cursor_init(&c, data, len);
    if (ssdp_line(&c, &line) < 0 || ssdp_start_line(m, line) < 0) {
        m->anomaly = "bad_start_line";
        return -1;
    }
    while (ssdp_line(&c, &line) == 0 && line.len > 0) {
        if (++m->n_headers > SSDP_HEADERS_MAX) {
            m->anomaly = "too_many_headers";
            break;
        }
        if (ssdp_header(m, line) < 0) {
            m->anomaly = "bad_header";
            break;
        }
    }
    return 0;
}

static void ssdp_put(struct jbuf *jb, const char *key, const struct ssdp_span *s)
{
    if (s->p != NULL) {
        jb_strn(jb, key, s->p, s->len < SSDP_VALUE_LOG_MAX ? s->len : SSDP_VALUE_LOG_MAX);
    }
}

static void ssdp_log(const struct proto_ctx *ctx, const struct ssdp_msg *m)
{
    struct jbuf *jb = proto_event_begin(ctx, "ssdp");

    jb_object_open(jb, "ssdp");
    if (m->response) {
        jb_str(jb, "type", "response");
        jb_u64(jb, "status", m->status);
        ssdp_put(jb, "reason", &m->reason);
    } else {
        jb_str(jb, "type", "request");
        ssdp_put(jb, "method", &m->method);
        ssdp_put(jb, "uri", &m->uri);
    }
    ssdp_put(jb, "protocol", &m->version);
    for (int h = 0; h < H_MAX; h++) {
        ssdp_put(jb, ssdp_headers[h].key, &m->hdr[h]);
    }
    jb_object_close(jb);
    eve_commit(ctx->eve);
}

/* Whether s holds ":device:", as a UPnP device type URN does. */
static bool ssdp_names_device(const struct ssdp_span *s)
{
    static const char needle[] = ":device:";
    size_t n = sizeof(needle) - 1;

    for (size_t i = 0; s->p != NULL && i + n <= s->len; i++) {
        if (memcmp(s->p + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

static void ssdp_give(const struct proto_ctx *ctx, const char *kind, const struct ssdp_span *s)
{
    if (s->p != NULL) {
        proto_evidence(ctx, PROTO_SENDER, kind, (const char *)s->p, s->len);
    }
}

/* What the sender says about itself: a device in NOTIFY and 200 OK, a control point in M-SEARCH. */
static void ssdp_evidence(const struct proto_ctx *ctx, const struct ssdp_msg *m)
{
    bool search = !m->response && ssdp_name_is(&m->method, "m-search");
    const struct ssdp_span *type = m->response ? &m->hdr[H_ST] : &m->hdr[H_NT];

    if (search) {
        ssdp_give(ctx, "ssdp.user_agent", &m->hdr[H_USER_AGENT]);
        return;
    }
    ssdp_give(ctx, "ssdp.server", &m->hdr[H_SERVER]);
    ssdp_give(ctx, "ssdp.usn", &m->hdr[H_USN]);
    if (ssdp_names_device(type)) {
        ssdp_give(ctx, "ssdp.device_type", type);
    }
}

/* Whether a datagram starts like an SSDP message: a method or HTTP/ and a space. */
static bool ssdp_probe(const uint8_t *data, size_t len, int dir)
{
    struct ssdp_msg m;

    (void)dir;
    return ssdp_read(&m, data, len) == 0;
}

/*
 * Parses one datagram. Returns len, or PROTO_MALFORMED when the start line
 * is not HTTP's (no ssdp event then) or a header line is broken (the event
 * holds the headers before it).
 */
static int ssdp_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data, size_t len)
{
    struct ssdp_msg m;

    (void)state;
    if (ssdp_read(&m, data, len) < 0) {
        proto_log_anomaly(ctx, m.anomaly, NULL);
        return PROTO_MALFORMED;
    }
    ssdp_log(ctx, &m);
    ssdp_evidence(ctx, &m);
    if (m.anomaly != NULL) {
        proto_log_anomaly(ctx, m.anomaly, m.response ? "response" : "request");
        return PROTO_MALFORMED;
    }
    return (int)len;
}

const struct proto_parser proto_ssdp_parser = {
    .name = "ssdp",
    .proto = APP_SSDP,
    .ip_proto = 17,
    .ports = {SSDP_PORT},
    .probe = ssdp_probe,
    .state_size = 0,
    .parse = ssdp_parse,
    .state_free = NULL,
};
