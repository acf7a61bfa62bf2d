/* SPDX-License-Identifier: MIT */
/*
 * http: HTTP/1.0 and HTTP/1.1 messages, one `http` event per transaction.
 *
 * Follows RFC 9112 (HTTP/1.1 message syntax) and RFC 9110 (semantics;
 * RFC 7617 for the Basic authentication scheme). A message is
 *
 *   start-line CRLF          request:  method SP request-target SP HTTP/x.y
 *                            response: HTTP/x.y SP 3DIGIT [SP reason]
 *   *( field-name ":" OWS field-value OWS CRLF )
 *   CRLF
 *   [ body ]                 Content-Length bytes, or chunked:
 *                            *( hex-size [;ext] CRLF data CRLF ) 0 CRLF trailers CRLF,
 *                            or (responses only) everything until the connection closes
 *
 * Lines are parsed one at a time (a bare LF ends a line too, RFC 9112
 * section 2.2), so proto.c holds at most one line; bodies are never held,
 * only counted. Requests queue up (pipelining) until their responses come;
 * the event is written when the response is complete. From an
 * Authorization or Proxy-Authorization header of the Basic scheme only the
 * user name is kept: the base64 credentials are decoded up to the colon and
 * no further, so the password is never decoded, copied or written.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/eve.h"
#include "output/json.h"
#include "proto/proto.h"
#include "util/base64.h"
#include "util/cursor.h"
#include "util/wipe.h"

#define HTTP_LINE_MAX 8192      /* bytes of one line, LF included; longer is malformed */
#define HTTP_FIELDS_MAX 256     /* header or trailer fields per message */
#define HTTP_PIPELINE_MAX 8     /* requests waiting for their responses */
#define HTTP_LENGTH_DIGITS_MAX 18 /* Content-Length digits: fits in 63 bits */
#define HTTP_CHUNK_DIGITS_MAX 15  /* hex digits of a chunk size: fits in 60 bits */
#define HTTP_VERSION_LEN 8        /* "HTTP/1.1" */
#define HTTP_STATUS_DIGITS 3
/* Bytes kept of each reported value; longer values are cut. */
#define HTTP_METHOD_MAX 32
#define HTTP_URI_MAX 2048
#define HTTP_HOST_MAX 256
#define HTTP_UA_MAX 512
#define HTTP_USER_MAX 128
#define HTTP_CRED_MAX 512 /* bytes of Basic credentials decoded (user, colon, password) */
#define HTTP_SERVER_MAX 256
#define HTTP_CTYPE_MAX 128
#define HTTP_PORT_MAX 65535

enum http_phase {
    HTTP_START = 0,   /* before a start line; empty lines are skipped */
    HTTP_FIELDS,      /* header section */
    HTTP_BODY,        /* Content-Length body: `left` bytes to go */
    HTTP_CHUNK_SIZE,  /* a chunk-size line */
    HTTP_CHUNK_DATA,  /* `left` bytes of chunk data */
    HTTP_CHUNK_END,   /* the CRLF after chunk data */
    HTTP_TRAILERS,    /* trailer section after the last chunk */
    HTTP_UNTIL_CLOSE, /* a response body delimited by the end of the connection */
    HTTP_OPAQUE,      /* after an upgrade or CONNECT: not HTTP any more */
};

enum http_error {
    HTTP_OK = 0,
    HTTP_ERR_LINE_TOO_LONG,
    HTTP_ERR_REQUEST_LINE,
    HTTP_ERR_STATUS_LINE,
    HTTP_ERR_FIELD,
    HTTP_ERR_TOO_MANY_FIELDS,
    HTTP_ERR_CONTENT_LENGTH,
    HTTP_ERR_TRANSFER_ENCODING,
    HTTP_ERR_CHUNK_SIZE,
    HTTP_ERR_CHUNK_END,
};

/* The anomaly events' names, by enum http_error. */
static const char *const http_error_names[] = {
    "",
    "line_too_long",
    "invalid_request_line",
    "invalid_status_line",
    "invalid_header_field",
    "too_many_header_fields",
    "invalid_content_length",
    "invalid_transfer_encoding",
    "invalid_chunk_size",
    "invalid_chunk_end",
};

/* One transaction: a request and its response, as far as seen. */
struct http_tx {
    uint8_t method[HTTP_METHOD_MAX], uri[HTTP_URI_MAX], host[HTTP_HOST_MAX];
    uint8_t ua[HTTP_UA_MAX], user[HTTP_USER_MAX], req_proto[HTTP_VERSION_LEN];
    uint8_t server[HTTP_SERVER_MAX], ctype[HTTP_CTYPE_MAX], resp_proto[HTTP_VERSION_LEN];
    uint16_t method_len, uri_len, host_len, ua_len, user_len, server_len, ctype_len;
    uint16_t port; /* from the Host header; 0: none */
    uint16_t status;
    bool has_request, has_response;
    bool host_seen, basic_auth;
    bool connect;     /* a CONNECT request: a 2xx answer makes a tunnel */
    bool upgrade;     /* the request asks for another protocol (Upgrade header) */
    uint64_t length;  /* response body bytes seen */
};

/* One direction: where its current message stands. */
struct http_dir {
    uint8_t phase;  /* enum http_phase */
    bool response;  /* the current message is a response */
    bool chunked;   /* Transfer-Encoding ends in chunked */
    bool te_other;  /* Transfer-Encoding without chunked last */
    bool has_cl;
    uint64_t cl;    /* Content-Length */
    uint64_t left;  /* body or chunk bytes still to pass over */
    uint32_t n_fields;
    struct http_tx *tx; /* owned; NULL when out of memory */
    const struct proto_ctx *ctx; /* of the parse call in progress */
};

struct http_state {
    struct http_dir dir[2]; /* FLOW_TOSERVER, FLOW_TOCLIENT */
    struct http_tx *queue[HTTP_PIPELINE_MAX]; /* requests waiting, oldest first */
    uint8_t q_head, q_len;
};

/* A run of bytes in the caller's buffer. */
struct http_span {
    const uint8_t *p;
    size_t len;
};

static bool http_is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
        return true;
    }
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool http_is_ows(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static uint8_t http_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* Case-insensitive comparison of s with the NUL-terminated lower-case word. */
static bool http_ieq(struct http_span s, const char *word)
{
    size_t n = strlen(word);

    if (s.len != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (http_lower(s.p[i]) != (uint8_t)word[i]) {
            return false;
        }
    }
    return true;
}

static struct http_span http_trim(struct http_span s)
{
    while (s.len > 0 && http_is_ows(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && http_is_ows(s.p[s.len - 1])) {
        s.len--;
    }
    return s;
}

/* Copies up to cap bytes of s into dst; the rest is cut. */
static void http_keep(uint8_t *dst, uint16_t *dst_len, size_t cap, struct http_span s)
{
    size_t n = s.len < cap ? s.len : cap;

    memcpy(dst, s.p, n);
    *dst_len = (uint16_t)n;
}

/* "HTTP/" DIGIT "." DIGIT */
static bool http_is_version(struct http_span s)
{
    return s.len == HTTP_VERSION_LEN && memcmp(s.p, "HTTP/", 5) == 0 && s.p[5] >= '0' &&
           s.p[5] <= '9' && s.p[6] == '.' && s.p[7] >= '0' && s.p[7] <= '9';
}

/* Decimal digits into *out; false for anything else or too many digits. */
static bool http_decimal(struct http_span s, size_t max_digits, uint64_t *out)
{
    uint64_t v = 0;

    if (s.len == 0 || s.len > max_digits) {
        return false;
    }
    for (size_t i = 0; i < s.len; i++) {
        if (s.p[i] < '0' || s.p[i] > '9') {
            return false;
        }
        v = v * 10 + (uint64_t)(s.p[i] - '0');
    }
    *out = v;
    return true;
}

static struct http_tx *http_tx_new(void)
{
    return calloc(1, sizeof(struct http_tx));
}

/*
 * Writes the event of a transaction, about the flow as the request went.
 * with_length: the response body has ended, so its length is known.
 */
/* Basic credentials sent in clear, and the server's answer, as evidence about the server. */
static void http_login_evidence(const struct proto_ctx *c, const struct http_tx *tx)
{
    const char *outcome = !tx->has_response                              ? "unknown"
                          : tx->status == 401 || tx->status == 407 ||
                                    tx->status == 403                    ? "failure"
                          : tx->status / 100 == 2 || tx->status / 100 == 3 ? "success"
                                                                         : "unknown";

    if (tx->basic_auth && tx->has_request) {
        proto_evidence_str(c, c->dir == FLOW_TOCLIENT ? PROTO_SENDER : PROTO_RECEIVER,
                           "login.http_basic", outcome);
    }
}

static void http_log(const struct proto_ctx *ctx, const struct http_tx *tx, int resp_dir,
                     bool with_length)
{
    struct proto_ctx c = *ctx;
    struct jbuf *jb;

    c.dir = tx->has_request ? !resp_dir : resp_dir;
    jb = proto_event_begin(&c, "http");
    jb_object_open(jb, "http");
    if (tx->host_seen) {
        jb_strn(jb, "hostname", tx->host, tx->host_len);
    }
    if (tx->port != 0) {
        jb_u64(jb, "http_port", tx->port);
    }
    if (tx->has_request) {
        jb_strn(jb, "url", tx->uri, tx->uri_len);
    }
    if (tx->ua_len > 0) {
        jb_strn(jb, "http_user_agent", tx->ua, tx->ua_len);
    }
    if (tx->ctype_len > 0) {
        jb_strn(jb, "http_content_type", tx->ctype, tx->ctype_len);
    }
    if (tx->has_request) {
        jb_strn(jb, "http_method", tx->method, tx->method_len);
    }
    jb_strn(jb, "protocol", tx->has_request ? tx->req_proto : tx->resp_proto, HTTP_VERSION_LEN);
    if (tx->has_response) {
        jb_u64(jb, "status", tx->status);
    }
    if (tx->has_response && with_length) {
        jb_u64(jb, "length", tx->length);
    }
    if (tx->server_len > 0) {
        jb_strn(jb, "server", tx->server, tx->server_len);
    }
    if (tx->basic_auth) {
        jb_bool(jb, "basic_auth", true);
        if (tx->user_len > 0) {
            jb_strn(jb, "user", tx->user, tx->user_len);
        }
    }
    http_login_evidence(&c, tx);
    jb_object_close(jb);
    eve_commit(ctx->eve);
}

/* Queues a request whose header section is complete; a full queue logs its oldest alone. */
static void http_queue_push(const struct proto_ctx *ctx, struct http_state *st,
                            struct http_tx *tx)
{
    if (st->q_len == HTTP_PIPELINE_MAX) {
        struct http_tx *old = st->queue[st->q_head];

        http_log(ctx, old, !ctx->dir, false);
        free(old);
        st->q_head = (uint8_t)((st->q_head + 1) % HTTP_PIPELINE_MAX);
        st->q_len--;
    }
    st->queue[(st->q_head + st->q_len) % HTTP_PIPELINE_MAX] = tx;
    st->q_len++;
}

/* The oldest request without a response, or NULL. The caller owns it. */
static struct http_tx *http_queue_pop(struct http_state *st)
{
    struct http_tx *tx;

    if (st->q_len == 0) {
        return NULL;
    }
    tx = st->queue[st->q_head];
    st->q_head = (uint8_t)((st->q_head + 1) % HTTP_PIPELINE_MAX);
    st->q_len--;
    return tx;
}

/*
 * Basic credentials (RFC 7617: base64 of user ":" password): the user is
 * kept for the event; user and password are handed to the credential
 * listener from a buffer on the stack, wiped before returning. Without a
 * colon nothing is kept.
 */
static void http_basic_user(struct http_dir *d, struct http_tx *tx, struct http_span cred)
{
    uint8_t plain[HTTP_CRED_MAX];
    size_t n = 0, colon = 0;
    uint32_t acc = 0;
    int bits = 0;

    tx->basic_auth = true;
    tx->user_len = 0;
    for (size_t i = 0; i < cred.len && n < sizeof(plain); i++) {
        int v = base64_value(cred.p[i]);

        if (v < 0) {
            break;
        }
        acc = ((acc << 6) | (uint32_t)v) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            plain[n++] = (uint8_t)(acc >> bits);
        }
    }
    while (colon < n && plain[colon] != ':') {
        colon++;
    }
    if (colon < n) {
        tx->user_len = (uint8_t)(colon < HTTP_USER_MAX ? colon : HTTP_USER_MAX);
        memcpy(tx->user, plain, tx->user_len);
        proto_credential(d->ctx, "http", plain, colon, plain + colon + 1, n - colon - 1);
    }
    wipe_secret(plain, sizeof(plain));
}

/* Authorization: scheme SP credentials. Only the Basic scheme is read. */
static void http_on_authorization(struct http_dir *d, struct http_tx *tx, struct http_span v)
{
    struct http_span scheme = v, cred;
    size_t i = 0;

    while (i < v.len && !http_is_ows(v.p[i])) {
        i++;
    }
    scheme.len = i;
    if (!http_ieq(scheme, "basic")) {
        return;
    }
    cred.p = v.p + i;
    cred.len = v.len - i;
    http_basic_user(d, tx, http_trim(cred));
}

/* Host: uri-host [ ":" port ]; an IPv6 literal keeps its brackets. */
static void http_on_host(struct http_tx *tx, struct http_span v)
{
    struct http_span name = v, port;
    size_t colon = v.len;
    uint64_t n;

    if (tx->host_seen) {
        return; /* the first one counts */
    }
    for (size_t i = v.len; i > 0; i--) {
        if (v.p[i - 1] == ':') {
            colon = i - 1;
            break;
        }
        if (v.p[i - 1] == ']') {
            break;
        }
    }
    if (colon < v.len) {
        port.p = v.p + colon + 1;
        port.len = v.len - colon - 1;
        if (http_decimal(port, 5, &n) && n > 0 && n <= HTTP_PORT_MAX) {
            tx->port = (uint16_t)n;
        }
        name.len = colon;
    }
    tx->host_seen = true;
    http_keep(tx->host, &tx->host_len, HTTP_HOST_MAX, name);
}

/* Content-Length: 1*DIGIT, or a list of identical values (RFC 9110 8.6). */
static enum http_error http_on_content_length(struct http_dir *d, struct http_span v)
{
    size_t i = 0;

    while (i <= v.len) {
        size_t j = i;
        struct http_span one;
        uint64_t n;

        while (j < v.len && v.p[j] != ',') {
            j++;
        }
        one.p = v.p + i;
        one.len = j - i;
        if (!http_decimal(http_trim(one), HTTP_LENGTH_DIGITS_MAX, &n)) {
            return HTTP_ERR_CONTENT_LENGTH;
        }
        if (d->has_cl && n != d->cl) {
            return HTTP_ERR_CONTENT_LENGTH;
        }
        d->has_cl = true;
        d->cl = n;
        i = j + 1;
    }
    return HTTP_OK;
}

/* Transfer-Encoding: whether the last coding listed is chunked (RFC 9112 6.1). */
static void http_on_transfer_encoding(struct http_dir *d, struct http_span v)
{
    size_t start = v.len;
    struct http_span last;

    while (start > 0 && v.p[start - 1] != ',') {
        start--;
    }
    last.p = v.p + start;
    last.len = v.len - start;
    last = http_trim(last);
    /* A parameter (";q=...") does not belong on chunked; it is compared whole. */
    d->chunked = http_ieq(last, "chunked");
    d->te_other = !d->chunked;
}

/* One header field of a message; the fields not reported are only checked. */
static enum http_error http_on_field(struct http_dir *d, struct http_span name,
                                     struct http_span v)
{
    struct http_tx *tx = d->tx;

    if (http_ieq(name, "content-length")) {
        return http_on_content_length(d, v);
    }
    if (http_ieq(name, "transfer-encoding")) {
        http_on_transfer_encoding(d, v);
        return HTTP_OK;
    }
    if (tx == NULL) {
        return HTTP_OK;
    }
    if (!d->response) {
        if (http_ieq(name, "host")) {
            http_on_host(tx, v);
        } else if (http_ieq(name, "user-agent")) {
            http_keep(tx->ua, &tx->ua_len, HTTP_UA_MAX, v);
        } else if (http_ieq(name, "authorization") || http_ieq(name, "proxy-authorization")) {
            http_on_authorization(d, tx, v);
        } else if (http_ieq(name, "upgrade")) {
            tx->upgrade = true;
        }
    } else if (http_ieq(name, "server")) {
        http_keep(tx->server, &tx->server_len, HTTP_SERVER_MAX, v);
    } else if (http_ieq(name, "content-type")) {
        http_keep(tx->ctype, &tx->ctype_len, HTTP_CTYPE_MAX, v);
    }
    return HTTP_OK;
}

/* field-name ":" OWS field-value OWS; a line starting with OWS continues the last (obs-fold). */
static enum http_error http_field_line(struct http_dir *d, struct http_span line, bool report)
{
    struct http_span name = line, value;
    size_t i = 0;

    if (http_is_ows(line.p[0])) {
        return d->n_fields > 0 ? HTTP_OK : HTTP_ERR_FIELD; /* folded value: ignored */
    }
    if (++d->n_fields > HTTP_FIELDS_MAX) {
        return HTTP_ERR_TOO_MANY_FIELDS;
    }
    while (i < line.len && http_is_tchar(line.p[i])) {
        i++;
    }
    name.len = i;
    /* Whitespace before the colon (not allowed, RFC 9112 5.1, but seen) is passed over. */
    while (i < line.len && http_is_ows(line.p[i])) {
        i++;
    }
    if (name.len == 0 || i == line.len || line.p[i] != ':') {
        return HTTP_ERR_FIELD;
    }
    value.p = line.p + i + 1;
    value.len = line.len - i - 1;
    return report ? http_on_field(d, name, http_trim(value)) : HTTP_OK;
}

/* method SP request-target SP HTTP-version; spaces inside the target are tolerated. */
static enum http_error http_request_line(struct http_dir *d, struct http_span line)
{
    struct http_span method = line, target, version;
    size_t i = 0, j = line.len;
    struct http_tx *tx = d->tx;

    while (i < line.len && http_is_tchar(line.p[i])) {
        i++;
    }
    while (j > i && line.p[j - 1] != ' ') {
        j--;
    }
    if (i == 0 || i == line.len || line.p[i] != ' ' || j <= i + 1) {
        return HTTP_ERR_REQUEST_LINE;
    }
    method.len = i;
    version.p = line.p + j;
    version.len = line.len - j;
    target.p = line.p + i + 1;
    target.len = j - i - 2;
    target = http_trim(target);
    if (!http_is_version(version) || target.len == 0) {
        return HTTP_ERR_REQUEST_LINE;
    }
    if (tx != NULL) {
        tx->has_request = true;
        http_keep(tx->method, &tx->method_len, HTTP_METHOD_MAX, method);
        http_keep(tx->uri, &tx->uri_len, HTTP_URI_MAX, target);
        memcpy(tx->req_proto, version.p, HTTP_VERSION_LEN);
        tx->connect = method.len == 7 && memcmp(method.p, "CONNECT", 7) == 0;
    }
    return HTTP_OK;
}

/* HTTP-version SP 3DIGIT [SP reason-phrase]; a missing SP before no reason is tolerated. */
static enum http_error http_status_line(struct http_dir *d, struct http_span line)
{
    struct http_span version = {line.p, HTTP_VERSION_LEN}, code;
    uint64_t status;

    if (line.len < HTTP_VERSION_LEN + 1 + HTTP_STATUS_DIGITS || !http_is_version(version) ||
        line.p[HTTP_VERSION_LEN] != ' ') {
        return HTTP_ERR_STATUS_LINE;
    }
    code.p = line.p + HTTP_VERSION_LEN + 1;
    code.len = HTTP_STATUS_DIGITS;
    if (!http_decimal(code, HTTP_STATUS_DIGITS, &status) || status < 100) {
        return HTTP_ERR_STATUS_LINE;
    }
    if (line.len > HTTP_VERSION_LEN + 1 + HTTP_STATUS_DIGITS &&
        line.p[HTTP_VERSION_LEN + 1 + HTTP_STATUS_DIGITS] != ' ') {
        return HTTP_ERR_STATUS_LINE;
    }
    if (d->tx != NULL) {
        d->tx->has_response = true;
        d->tx->status = (uint16_t)status;
        memcpy(d->tx->resp_proto, version.p, HTTP_VERSION_LEN);
        d->tx->server_len = 0;
        d->tx->ctype_len = 0;
    }
    return HTTP_OK;
}

/* A start line: a request, or a response that takes the oldest waiting request. */
static enum http_error http_start_line(struct http_state *st, struct http_dir *d,
                                       struct http_span line)
{
    static const char resp_prefix[] = "HTTP/";

    d->response = line.len >= sizeof(resp_prefix) - 1 &&
                  memcmp(line.p, resp_prefix, sizeof(resp_prefix) - 1) == 0;
    if (d->tx == NULL) {
        /* A response after an interim 1xx one keeps its transaction. */
        d->tx = d->response ? http_queue_pop(st) : NULL;
        if (d->tx == NULL) {
            d->tx = http_tx_new();
        }
    }
    d->phase = HTTP_FIELDS;
    d->n_fields = 0;
    d->chunked = d->te_other = d->has_cl = false;
    d->cl = d->left = 0;
    return d->response ? http_status_line(d, line) : http_request_line(d, line);
}

/* The current message is complete: a response's transaction is logged. */
static void http_message_end(const struct proto_ctx *ctx, struct http_dir *d, bool tunnel)
{
    if (d->response && d->tx != NULL) {
        http_log(ctx, d->tx, ctx->dir, true);
        free(d->tx);
    }
    d->tx = NULL;
    d->phase = tunnel ? HTTP_OPAQUE : HTTP_START;
}

/* Where the body of a request goes (RFC 9112 6.3, items 4 to 6). */
static enum http_error http_request_body(const struct proto_ctx *ctx, struct http_state *st,
                                         struct http_dir *d)
{
    struct http_tx *tx = d->tx;
    /* What follows CONNECT or an upgrade request is not known to be HTTP. */
    bool tunnel = tx != NULL && (tx->connect || tx->upgrade);

    if (d->te_other) {
        return HTTP_ERR_TRANSFER_ENCODING; /* a request body of unknown length */
    }
    if (tx != NULL) {
        proto_evidence(ctx, PROTO_SENDER, "http.user_agent", (const char *)tx->ua, tx->ua_len);
        proto_evidence(ctx, PROTO_RECEIVER, "http.host", (const char *)tx->host, tx->host_len);
        http_queue_push(ctx, st, tx);
        d->tx = NULL;
    }
    if (d->chunked) {
        d->phase = HTTP_CHUNK_SIZE;
    } else if (d->has_cl && d->cl > 0) {
        d->phase = HTTP_BODY;
        d->left = d->cl;
    } else {
        http_message_end(ctx, d, tunnel);
    }
    return HTTP_OK;
}

/* Where the body of a response goes (RFC 9112 6.3, items 1 to 3, 5 and 7). */
static enum http_error http_response_body(const struct proto_ctx *ctx, struct http_dir *d)
{
    struct http_tx *tx = d->tx;
    unsigned status = tx != NULL ? tx->status : 0;
    bool head = tx != NULL && tx->has_request && tx->method_len == 4 &&
                memcmp(tx->method, "HEAD", 4) == 0;
    bool tunnel = status == 101 || (tx != NULL && tx->connect && status / 100 == 2);

    if (tx != NULL) {
        proto_evidence(ctx, PROTO_SENDER, "http.server", (const char *)tx->server,
                       tx->server_len);
    }
    if (status >= 100 && status < 200 && status != 101) {
        d->phase = HTTP_START; /* interim: the final response follows */
        return HTTP_OK;
    }
    if (tunnel || head || status == 204 || status == 304 || status / 100 == 1) {
        http_message_end(ctx, d, tunnel);
    } else if (d->chunked) {
        d->phase = HTTP_CHUNK_SIZE;
    } else if (d->te_other || !d->has_cl) {
        /* Ends when the connection does: logged now, without a length. */
        if (tx != NULL) {
            tx->has_response = true;
            http_log(ctx, tx, ctx->dir, false);
            free(tx);
            d->tx = NULL;
        }
        d->phase = HTTP_UNTIL_CLOSE;
    } else if (d->cl > 0) {
        d->phase = HTTP_BODY;
        d->left = d->cl;
    } else {
        http_message_end(ctx, d, false);
    }
    return HTTP_OK;
}

/* One chunk-size line: 1*HEXDIG [ BWS ";" chunk-ext ]. */
static enum http_error http_chunk_size(struct http_dir *d, struct http_span line)
{
    uint64_t n = 0;
    size_t i = 0;

    for (; i < line.len; i++) {
        uint8_t c = http_lower(line.p[i]);

        if (c >= '0' && c <= '9') {
            n = (n << 4) | (uint64_t)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            n = (n << 4) | (uint64_t)(c - 'a' + 10);
        } else {
            break;
        }
    }
    if (i == 0 || i > HTTP_CHUNK_DIGITS_MAX) {
        return HTTP_ERR_CHUNK_SIZE;
    }
    while (i < line.len && http_is_ows(line.p[i])) {
        i++;
    }
    if (i < line.len && line.p[i] != ';') {
        return HTTP_ERR_CHUNK_SIZE;
    }
    if (n == 0) {
        d->phase = HTTP_TRAILERS;
        d->n_fields = 0;
    } else {
        d->phase = HTTP_CHUNK_DATA;
        d->left = n;
    }
    return HTTP_OK;
}

/* One complete line (without its CR LF) in a line-oriented phase. */
static enum http_error http_line(const struct proto_ctx *ctx, struct http_state *st,
                                 struct http_dir *d, struct http_span line)
{
    switch (d->phase) {
    case HTTP_START:
        return line.len == 0 ? HTTP_OK : http_start_line(st, d, line);
    case HTTP_FIELDS:
        if (line.len > 0) {
            return http_field_line(d, line, true);
        }
        return d->response ? http_response_body(ctx, d) : http_request_body(ctx, st, d);
    case HTTP_CHUNK_SIZE:
        return http_chunk_size(d, line);
    case HTTP_CHUNK_END:
        d->phase = HTTP_CHUNK_SIZE;
        return line.len == 0 ? HTTP_OK : HTTP_ERR_CHUNK_END;
    case HTTP_TRAILERS:
        if (line.len > 0) {
            return http_field_line(d, line, false);
        }
        http_message_end(ctx, d, false);
        return HTTP_OK;
    default:
        return HTTP_OK;
    }
}

/* Passes over body bytes, counting a response's. Returns bytes consumed. */
static int http_body(const struct proto_ctx *ctx, struct http_dir *d, size_t len)
{
    size_t n = len;

    if (d->phase != HTTP_OPAQUE && d->phase != HTTP_UNTIL_CLOSE && d->left < n) {
        n = (size_t)d->left;
    }
    if (n > INT32_MAX) {
        n = INT32_MAX;
    }
    if (d->tx != NULL && d->response) {
        d->tx->length += n;
    }
    if (d->phase == HTTP_BODY || d->phase == HTTP_CHUNK_DATA) {
        d->left -= n;
        if (d->left == 0 && d->phase == HTTP_CHUNK_DATA) {
            d->phase = HTTP_CHUNK_END;
        } else if (d->left == 0) {
            http_message_end(ctx, d, false);
        }
    }
    return (int)n;
}

static int http_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data, size_t len)
{
    struct http_state *st = state;
    struct http_dir *d = &st->dir[ctx->dir];
    struct ww_cursor c;
    const uint8_t *lf, *window;
    size_t scan = len < HTTP_LINE_MAX ? len : HTTP_LINE_MAX;
    struct http_span line;
    enum http_error err;

    d->ctx = ctx;
    if (d->phase == HTTP_BODY || d->phase == HTTP_CHUNK_DATA || d->phase == HTTP_UNTIL_CLOSE ||
        d->phase == HTTP_OPAQUE) {
        return http_body(ctx, d, len);
    }
    cursor_init(&c, data, len);
    if (cursor_bytes(&c, scan, &window) < 0) {
        return PROTO_MALFORMED;
    }
    lf = memchr(window, '\n', scan);
    if (lf == NULL) {
        if (scan < HTTP_LINE_MAX) {
            return PROTO_NEED_MORE;
        }
        err = HTTP_ERR_LINE_TOO_LONG;
    } else {
        line.p = window;
        line.len = (size_t)(lf - window);
        if (line.len > 0 && line.p[line.len - 1] == '\r') {
            line.len--;
        }
        err = http_line(ctx, st, d, line);
    }
    if (err != HTTP_OK) {
        proto_log_anomaly(ctx, http_error_names[err], d->response ? "response" : "request");
        return PROTO_MALFORMED;
    }
    return (int)(lf - window) + 1;
}

/* A character of a method name as registered: upper-case letters, '-' and '_'. */
static bool http_is_method_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

/*
 * A request starts with a method and SP, a response with "HTTP/"; empty
 * lines may lead. The probe takes only upper-case method names (any token
 * is valid, RFC 9110 9.1, but "SSH-2.0-x " is not a request).
 */
static bool http_probe(const uint8_t *data, size_t len, int dir)
{
    static const char resp_prefix[] = "HTTP/";
    size_t i = 0, j;

    (void)dir;
    while (i < len && (data[i] == '\r' || data[i] == '\n')) {
        i++;
    }
    for (j = 0; i + j < len && j < sizeof(resp_prefix) - 1; j++) {
        if (data[i + j] != (uint8_t)resp_prefix[j]) {
            break;
        }
    }
    if (i + j == len || j == sizeof(resp_prefix) - 1) {
        return true;
    }
    for (j = i; j < len && j - i <= HTTP_METHOD_MAX && http_is_method_char(data[j]); j++) {
    }
    return j == len || (j > i && j - i <= HTTP_METHOD_MAX && data[j] == ' ');
}

static void http_state_free(void *state)
{
    struct http_state *st = state;

    if (st == NULL) {
        return;
    }
    for (int i = 0; i < 2; i++) {
        free(st->dir[i].tx);
    }
    while (st->q_len > 0) {
        free(http_queue_pop(st));
    }
}

const struct proto_parser proto_http_parser = {
    .name = "http",
    .proto = APP_HTTP,
    .ip_proto = 6,
    /* IANA's 80 and 591, and the alternates web servers, proxies and device consoles use. */
    .ports = {80, 8080, 8000, 8008, 8081, 8888, 3128, 591, 8090, 9080},
    .probe = http_probe,
    .state_size = sizeof(struct http_state),
    .parse = http_parse,
    .state_free = http_state_free,
};
