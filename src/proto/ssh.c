/* SPDX-License-Identifier: MIT */
/*
 * ssh: the SSH identification strings of both ends, one `ssh` event per flow.
 *
 * Follows RFC 4253 section 4.2 (protocol version exchange). Each side
 * first sends
 *
 *   SSH-protoversion-softwareversion SP comments CR LF
 *
 * at most 255 bytes with the CR LF; the comments part and its SP are
 * optional. The server may send other lines first, none starting with
 * "SSH-". A bare LF is accepted as the line end, as implementations do for
 * old peers. Everything after the identification string (key exchange,
 * then encrypted packets) is passed over without being looked at.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "output/eve.h"
#include "output/json.h"
#include "proto/proto.h"
#include "util/cursor.h"

#define SSH_PORT 22
#define SSH_LINE_MAX 255      /* bytes of the identification string with its CR LF */
#define SSH_PRE_LINES_MAX 64  /* lines a server may send before its identification */
#define SSH_PREFIX "SSH-"
#define SSH_PREFIX_LEN 4

enum ssh_error {
    SSH_OK = 0,
    SSH_ERR_LINE_TOO_LONG,
    SSH_ERR_NO_BANNER,
    SSH_ERR_BAD_BANNER,
    SSH_ERR_TOO_MANY_LINES,
};

/* The anomaly events' names, by enum ssh_error. */
static const char *const ssh_error_names[] = {
    "",
    "banner_too_long",
    "invalid_banner",
    "invalid_banner",
    "too_many_lines_before_banner",
};

/* One side's identification string, split into its parts. */
struct ssh_banner {
    uint8_t text[SSH_LINE_MAX];
    uint8_t len;
    uint8_t proto_len;    /* "2.0" */
    uint8_t software_off; /* after "SSH-2.0-" */
    uint8_t software_len;
    uint8_t comments_off; /* 0: none */
    uint8_t comments_len;
    bool seen;
};

struct ssh_state {
    struct ssh_banner side[2]; /* FLOW_TOSERVER: the client's; FLOW_TOCLIENT: the server's */
    uint8_t n_lines[2];        /* lines before the identification string */
    bool logged;
};

/* Printable US-ASCII without SP and '-' (RFC 4253 4.2). */
static bool ssh_is_vchar(uint8_t c)
{
    return c > 0x20 && c < 0x7F && c != '-';
}

/* Splits the identification string (no CR LF) into b. Returns false when it is not one. */
static bool ssh_banner_split(struct ssh_banner *b, const uint8_t *line, size_t len)
{
    size_t i = SSH_PREFIX_LEN, sw;

    memcpy(b->text, line, len);
    b->len = (uint8_t)len;
    while (i < len && ssh_is_vchar(line[i])) {
        i++;
    }
    if (i == SSH_PREFIX_LEN || i == len || line[i] != '-') {
        return false;
    }
    b->proto_len = (uint8_t)(i - SSH_PREFIX_LEN);
    sw = ++i;
    /* softwareversion may hold '-' (e.g. "OpenSSH_9.2p1-hpn"): it runs to SP. */
    while (i < len && line[i] > 0x20 && line[i] < 0x7F) {
        i++;
    }
    if (i == sw || (i < len && line[i] != ' ')) {
        return false;
    }
    b->software_off = (uint8_t)sw;
    b->software_len = (uint8_t)(i - sw);
    if (i + 1 < len) {
        b->comments_off = (uint8_t)(i + 1);
        b->comments_len = (uint8_t)(len - i - 1);
    }
    b->seen = true;
    return true;
}

static void ssh_side_json(struct jbuf *jb, const char *key, const struct ssh_banner *b)
{
    if (!b->seen) {
        return;
    }
    jb_object_open(jb, key);
    jb_strn(jb, "proto_version", b->text + SSH_PREFIX_LEN, b->proto_len);
    jb_strn(jb, "software_version", b->text + b->software_off, b->software_len);
    if (b->comments_off != 0) {
        jb_strn(jb, "comments", b->text + b->comments_off, b->comments_len);
    }
    jb_object_close(jb);
}

/* Writes the event once both sides have identified themselves; src is the client. */
static void ssh_log(const struct proto_ctx *ctx, struct ssh_state *st)
{
    struct proto_ctx c = *ctx;
    struct jbuf *jb;

    if (st->logged || !st->side[FLOW_TOSERVER].seen || !st->side[FLOW_TOCLIENT].seen) {
        return;
    }
    st->logged = true;
    c.dir = FLOW_TOSERVER;
    jb = proto_event_begin(&c, "ssh");
    jb_object_open(jb, "ssh");
    ssh_side_json(jb, "client", &st->side[FLOW_TOSERVER]);
    ssh_side_json(jb, "server", &st->side[FLOW_TOCLIENT]);
    jb_object_close(jb);
    eve_commit(ctx->eve);
}

/* One line (without CR LF) before this side's identification string is known. */
static enum ssh_error ssh_line(const struct proto_ctx *ctx, struct ssh_state *st,
                               const uint8_t *line, size_t len)
{
    struct ssh_banner *b = &st->side[ctx->dir];

    if (len < SSH_PREFIX_LEN || memcmp(line, SSH_PREFIX, SSH_PREFIX_LEN) != 0) {
        /* Only a server may say something first (RFC 4253 4.2). */
        if (ctx->dir == FLOW_TOSERVER) {
            return SSH_ERR_NO_BANNER;
        }
        return ++st->n_lines[ctx->dir] > SSH_PRE_LINES_MAX ? SSH_ERR_TOO_MANY_LINES : SSH_OK;
    }
    if (!ssh_banner_split(b, line, len)) {
        return SSH_ERR_BAD_BANNER;
    }
    proto_evidence(ctx, PROTO_SENDER, "ssh.banner", (const char *)line, len);
    ssh_log(ctx, st);
    return SSH_OK;
}

static int ssh_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data, size_t len)
{
    struct ssh_state *st = state;
    size_t scan = len < SSH_LINE_MAX ? len : SSH_LINE_MAX;
    const uint8_t *window, *lf;
    struct ww_cursor c;
    enum ssh_error err;
    size_t line_len;

    if (st->side[ctx->dir].seen) {
        if (st->logged) {
            proto_finished(ctx); /* both banners are in: the rest is not read */
        }
        return len > INT32_MAX ? INT32_MAX : (int)len; /* the binary protocol: not read */
    }
    cursor_init(&c, data, len);
    if (cursor_bytes(&c, scan, &window) < 0) {
        return PROTO_MALFORMED;
    }
    lf = memchr(window, '\n', scan);
    if (lf == NULL) {
        if (scan < SSH_LINE_MAX) {
            return PROTO_NEED_MORE;
        }
        err = SSH_ERR_LINE_TOO_LONG;
    } else {
        line_len = (size_t)(lf - window);
        if (line_len > 0 && window[line_len - 1] == '\r') {
            line_len--;
        }
        err = ssh_line(ctx, st, window, line_len);
    }
    if (err != SSH_OK) {
        proto_log_anomaly(ctx, ssh_error_names[err], "identification");
        return PROTO_MALFORMED;
    }
    return (int)(lf - window) + 1;
}

/* A client starts with "SSH-"; a server may send other text lines first. */
static bool ssh_probe(const uint8_t *data, size_t len, int dir)
{
    size_t n = len < SSH_PREFIX_LEN ? len : SSH_PREFIX_LEN;

    if (memcmp(data, SSH_PREFIX, n) == 0) {
        return true;
    }
    if (dir == FLOW_TOSERVER) {
        return false;
    }
    for (size_t i = 0; i < len && i < SSH_LINE_MAX; i++) {
        if (data[i] == '\n') {
            return true;
        }
        if ((data[i] < 0x20 || data[i] >= 0x7F) && data[i] != '\r' && data[i] != '\t') {
            return false;
        }
    }
    return true;
}

const struct proto_parser proto_ssh_parser = {
    .name = "ssh",
    .proto = APP_SSH,
    .ip_proto = 6,
    .ports = {SSH_PORT},
    .probe = ssh_probe,
    .state_size = sizeof(struct ssh_state),
    .parse = ssh_parse,
    .state_free = NULL,
};
