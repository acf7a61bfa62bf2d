/* SPDX-License-Identifier: MIT */
/*
 * ftp: the FTP control channel as `ftp` events, one per command with its replies.
 *
 * Follows RFC 959 (File Transfer Protocol) sections 4 and 5, RFC 2428
 * (EPRT, EPSV) and RFC 4217 (AUTH TLS). The control channel is lines of
 * text ending in CRLF:
 *
 *   client  VERB [SP argument] CRLF          "USER alice", "PORT 10,0,0,5,4,1"
 *   server  ddd SP text CRLF                 a one-line reply
 *           ddd-text CRLF                    a multi-line reply (4.2): any lines,
 *           ...                              up to one starting with the same
 *           ddd SP text CRLF                 code and a space
 *
 * Replies answer commands in order. A 1yz reply is preliminary: the command
 * waits for its final reply (150 then 226 for RETR). A reply that no command
 * asked for (the 220 greeting) is an event without a command. The argument
 * of PASS and ACCT never leaves the parser: the event says password_sent;
 * USER names are reported, and each login attempt's outcome (230 or 202
 * against 530) goes in a `login` object. Once AUTH TLS is accepted (234)
 * the channel is encrypted and is no longer read.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/eve.h"
#include "output/json.h"
#include "proto/proto.h"
#include "util/cursor.h"

#define FTP_PORT 21
#define FTP_LINE_MAX 4096      /* bytes of a line kept; the rest is cut (as Suricata) */
#define FTP_VERB_MAX 16        /* bytes of a command verb; longer is not FTP */
#define FTP_PENDING_MAX 8      /* commands awaiting a reply; more log the oldest unanswered */
#define FTP_CODES_MAX 8        /* reply codes kept per command */
#define FTP_REPLY_LINES_MAX 32 /* reply lines kept per command; more are counted */
#define FTP_REPLY_TEXT_MAX (16u << 10) /* bytes of reply text kept per command */
#define FTP_USER_MAX 64                /* bytes of a USER name kept */
#define FTP_BANNER_MAX 256             /* bytes of the greeting given as identity evidence */
#define FTP_CODE_LEN 3
#define FTP_PROBE_MAX 16  /* bytes the probe looks at */
#define FTP_IAC 0xFF      /* Telnet "interpret as command", before ABOR (4.1.3) */
#define FTP_PORT_FIELDS 6 /* h1,h2,h3,h4,p1,p2 of PORT and the 227 reply */

/* What a command means to the parser. */
enum ftp_kind {
    FTP_K_OTHER = 0,
    FTP_K_USER,
    FTP_K_PASS, /* secret argument */
    FTP_K_ACCT, /* secret argument */
    FTP_K_PORT,
    FTP_K_EPRT,
    FTP_K_PASV,
    FTP_K_EPSV,
    FTP_K_AUTH,
};

enum ftp_mode { FTP_MODE_NONE = 0, FTP_MODE_ACTIVE, FTP_MODE_PASSIVE };
enum ftp_login { FTP_LOGIN_NONE = 0, FTP_LOGIN_OK, FTP_LOGIN_FAILED };

/* One command and its replies, or a reply no command asked for (verb_len 0). */
struct ftp_tx {
    uint8_t verb[FTP_VERB_MAX];
    uint8_t verb_len;
    uint8_t kind;  /* enum ftp_kind */
    uint8_t mode;  /* enum ftp_mode */
    uint8_t login; /* enum ftp_login: the outcome this reply gave a login */
    bool has_arg;  /* the command had an argument, kept or not */
    bool cmd_truncated, reply_truncated, password_sent;
    uint8_t *arg; /* command_data; NULL when absent or secret */
    size_t arg_len;
    uint8_t *text; /* reply lines, '\n' between them (a line never holds LF) */
    size_t text_len;
    uint8_t n_lines;
    uint32_t lines_dropped;
    uint16_t codes[FTP_CODES_MAX];
    uint8_t n_codes;
    uint16_t dyn_port; /* 0: none */
};

/* Per flow. */
struct ftp_state {
    struct ftp_tx q[FTP_PENDING_MAX]; /* commands awaiting their final reply, oldest first */
    uint8_t q_head, q_len;
    struct ftp_tx unsol; /* a reply arriving when no command waits */
    bool discard[2];     /* skipping the rest of an over-long line, per direction */
    bool multi;          /* inside a multi-line reply */
    uint16_t multi_code;
    bool greeted;    /* the first reply has been seen */
    bool tls;        /* AUTH accepted: the rest of the flow is encrypted */
    bool odd_logged; /* an anomaly for a text line that is not FTP was written */
    /* the login attempt in progress */
    uint8_t user[FTP_USER_MAX];
    uint8_t user_len;
    bool user_set, user_cut, pass_sent;
};

static const struct ftp_verb {
    const char *name;
    uint8_t kind;
} ftp_verbs[] = {
    {"USER", FTP_K_USER}, {"PASS", FTP_K_PASS}, {"ACCT", FTP_K_ACCT}, {"PORT", FTP_K_PORT},
    {"EPRT", FTP_K_EPRT}, {"PASV", FTP_K_PASV}, {"EPSV", FTP_K_EPSV}, {"AUTH", FTP_K_AUTH},
};

#define FTP_N_VERBS (sizeof(ftp_verbs) / sizeof(ftp_verbs[0]))

static bool ftp_is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static bool ftp_is_alpha(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static uint8_t ftp_upper(uint8_t c)
{
    return (c >= 'a' && c <= 'z') ? (uint8_t)(c - 'a' + 'A') : c;
}

static void ftp_tx_reset(struct ftp_tx *tx)
{
    free(tx->arg);
    free(tx->text);
    memset(tx, 0, sizeof(*tx));
}

/*
 * A password sent in clear: noted as sent, and handed with the user name to
 * the credential listener (default credentials). The bytes are valid only
 * during the call; nothing of them is kept.
 */
static void ftp_password_seen(const struct proto_ctx *ctx, struct ftp_state *st,
                              struct ftp_tx *tx, const uint8_t *pw, size_t len)
{
    proto_credential(ctx, "ftp", st->user, st->user_set ? st->user_len : 0, pw, len);
    st->pass_sent = true;
    tx->password_sent = true;
}

/* Reads a decimal number of at most max_digits digits. Returns 0, or -1 when none. */
static int ftp_number(struct ww_cursor *c, unsigned max_digits, uint32_t *out)
{
    uint32_t v = 0;
    unsigned n = 0;
    uint8_t b;

    while (n < max_digits && cursor_peek_u8(c, 0, &b) == 0 && ftp_is_digit(b)) {
        v = v * 10 + (uint32_t)(b - '0');
        cursor_skip(c, 1);
        n++;
    }
    *out = v;
    return n > 0 ? 0 : -1;
}

/* "h1,h2,h3,h4,p1,p2" at the cursor (RFC 959 4.1.2). Returns the port, or -1. */
static int32_t ftp_port_fields(struct ww_cursor *c)
{
    uint32_t v[FTP_PORT_FIELDS];
    uint8_t b;

    for (int i = 0; i < FTP_PORT_FIELDS; i++) {
        if (i > 0 && (cursor_u8(c, &b) < 0 || b != ',')) {
            return -1;
        }
        while (cursor_peek_u8(c, 0, &b) == 0 && b == ' ') {
            cursor_skip(c, 1);
        }
        if (ftp_number(c, 3, &v[i]) < 0 || v[i] > 255) {
            return -1;
        }
    }
    return (int32_t)(v[4] * 256 + v[5]);
}

/* The port of a 227 reply: the first place six comma-separated numbers start; or -1. */
static int32_t ftp_pasv_port(const uint8_t *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        struct ww_cursor c;
        uint8_t b;
        int32_t port;

        cursor_init(&c, text, len);
        cursor_skip(&c, i);
        if (cursor_peek_u8(&c, 0, &b) < 0 || !ftp_is_digit(b)) {
            continue;
        }
        port = ftp_port_fields(&c);
        if (port >= 0) {
            return port;
        }
    }
    return -1;
}

/*
 * The port of "<d>proto<d>addr<d>port<d>" (RFC 2428 section 2, EPRT) or of
 * "<d><d><d>port<d>" (section 3, the 229 reply): after the delimiter, two
 * fields (empty in the 229 form) come before the port. Returns it, or -1.
 */
static int32_t ftp_ext_port(struct ww_cursor *c)
{
    uint8_t d, b;
    uint32_t port;

    if (cursor_u8(c, &d) < 0 || d < 33 || d > 126) {
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        do {
            if (cursor_u8(c, &b) < 0) {
                return -1;
            }
        } while (b != d);
    }
    if (ftp_number(c, 5, &port) < 0 || port > 65535 || cursor_u8(c, &b) < 0 || b != d) {
        return -1;
    }
    return (int32_t)port;
}

/* The port of a 229 reply: "(|||port|)". */
static int32_t ftp_epsv_port(const uint8_t *text, size_t len)
{
    struct ww_cursor c;
    uint8_t b;

    cursor_init(&c, text, len);
    while (cursor_u8(&c, &b) == 0) {
        if (b == '(') {
            return ftp_ext_port(&c);
        }
    }
    return -1;
}

/* Keeps a port that parsed (0 to 65535, else -1) as the data channel's. */
static void ftp_set_port(struct ftp_tx *tx, int32_t port, uint8_t mode)
{
    if (port > 0 && port <= UINT16_MAX) {
        tx->dyn_port = (uint16_t)port;
        tx->mode = mode;
    }
}

/* Appends one reply line's text to tx, within the caps. */
static void ftp_tx_add_line(struct ftp_tx *tx, const uint8_t *text, size_t len)
{
    size_t need = tx->text_len + (tx->n_lines > 0) + len;
    uint8_t *p;

    if (tx->n_lines >= FTP_REPLY_LINES_MAX || need > FTP_REPLY_TEXT_MAX) {
        tx->lines_dropped++;
        return;
    }
    p = realloc(tx->text, need > 0 ? need : 1);
    if (p == NULL) {
        tx->lines_dropped++;
        return;
    }
    tx->text = p;
    if (tx->n_lines > 0) {
        p[tx->text_len++] = '\n';
    }
    if (len > 0) {
        memcpy(p + tx->text_len, text, len);
    }
    tx->text_len += len;
    tx->n_lines++;
}

static void ftp_write_login(struct jbuf *jb, const struct ftp_state *st, const struct ftp_tx *tx)
{
    jb_object_open(jb, "login");
    if (st->user_set) {
        jb_strn(jb, "user", st->user, st->user_len);
        if (st->user_cut) {
            jb_bool(jb, "user_truncated", true);
        }
    }
    jb_bool(jb, "password_sent", st->pass_sent);
    jb_bool(jb, "success", tx->login == FTP_LOGIN_OK);
    jb_object_close(jb);
}

static void ftp_write_reply(struct jbuf *jb, const struct ftp_tx *tx)
{
    size_t start = 0;

    if (tx->n_codes > 0) {
        jb_array_open(jb, "completion_code");
        for (int i = 0; i < tx->n_codes; i++) {
            char code[FTP_CODE_LEN + 1] = {(char)('0' + tx->codes[i] / 100),
                                           (char)('0' + tx->codes[i] / 10 % 10),
                                           (char)('0' + tx->codes[i] % 10), '\0'};

            jb_str(jb, NULL, code);
        }
        jb_array_close(jb);
    }
    jb_array_open(jb, "reply");
    for (size_t i = 0; tx->n_lines > 0 && i <= tx->text_len; i++) {
        if (i == tx->text_len || tx->text[i] == '\n') {
            jb_strn(jb, NULL, tx->text + start, i - start);
            start = i + 1;
        }
    }
    jb_array_close(jb);
}

/* Writes tx as an `ftp` event, client as src as Suricata does, and clears it. */
static void ftp_tx_log(const struct proto_ctx *ctx, const struct ftp_state *st, struct ftp_tx *tx)
{
    struct proto_ctx c = *ctx;
    struct jbuf *jb;

    c.dir = FLOW_TOSERVER;
    jb = proto_event_begin(&c, "ftp");
    jb_object_open(jb, "ftp");
    if (tx->verb_len > 0) {
        jb_strn(jb, "command", tx->verb, tx->verb_len);
        if (tx->arg != NULL) {
            jb_strn(jb, "command_data", tx->arg, tx->arg_len);
        }
        if (tx->has_arg) {
            jb_bool(jb, "command_truncated", tx->cmd_truncated);
        }
    }
    ftp_write_reply(jb, tx);
    if (tx->dyn_port > 0) {
        jb_u64(jb, "dynamic_port", tx->dyn_port);
        jb_str(jb, "mode", tx->mode == FTP_MODE_ACTIVE ? "active" : "passive");
    }
    jb_str(jb, "reply_received", tx->n_codes > 0 ? "yes" : "no");
    jb_bool(jb, "reply_truncated", tx->reply_truncated);
    if (tx->lines_dropped > 0) {
        jb_u64(jb, "reply_lines_dropped", tx->lines_dropped);
    }
    if (tx->password_sent) {
        jb_bool(jb, "password_sent", true);
    }
    if (tx->login != FTP_LOGIN_NONE) {
        ftp_write_login(jb, st, tx);
    }
    jb_object_close(jb);
    eve_commit(ctx->eve);
    ftp_tx_reset(tx);
}

/* Logs and drops the oldest waiting command. */
static void ftp_pop(const struct proto_ctx *ctx, struct ftp_state *st)
{
    ftp_tx_log(ctx, st, &st->q[st->q_head]);
    st->q_head = (uint8_t)((st->q_head + 1) % FTP_PENDING_MAX);
    st->q_len--;
}

/* What a command's final reply means: a login outcome, a passive port, TLS. */
static void ftp_apply_reply(struct ftp_state *st, struct ftp_tx *tx, uint16_t code,
                            const uint8_t *text, size_t len)
{
    bool login_cmd = tx->kind == FTP_K_USER || tx->kind == FTP_K_PASS || tx->kind == FTP_K_ACCT;

    if (login_cmd && (code == 230 || (code == 202 && tx->kind != FTP_K_USER))) {
        tx->login = FTP_LOGIN_OK;
    } else if (login_cmd && code == 530) {
        tx->login = FTP_LOGIN_FAILED;
    } else if (tx->kind == FTP_K_PASV && code == 227) {
        ftp_set_port(tx, ftp_pasv_port(text, len), FTP_MODE_PASSIVE);
    } else if (tx->kind == FTP_K_EPSV && code == 229) {
        ftp_set_port(tx, ftp_epsv_port(text, len), FTP_MODE_PASSIVE);
    } else if (tx->kind == FTP_K_AUTH && code == 234) {
        st->tls = true;
    }
}

/* Ends the attempt a logged login outcome concluded; USER starts the next. */
static void ftp_login_done(struct ftp_state *st)
{
    st->pass_sent = false;
    st->user_set = false;
    st->user_cut = false;
    st->user_len = 0;
}

/* A reply with this code is complete: file it with its command, log when final. */
static void ftp_reply_done(const struct proto_ctx *ctx, struct ftp_state *st, uint16_t code,
                           const uint8_t *text, size_t len)
{
    struct ftp_tx *tx = st->q_len > 0 ? &st->q[st->q_head] : &st->unsol;
    bool concluded;

    if (tx->n_codes < FTP_CODES_MAX) {
        tx->codes[tx->n_codes++] = code;
    }
    if (tx->verb_len == 0) {
        if (!st->greeted && code == 220) {
            size_t n = tx->text_len < FTP_BANNER_MAX ? tx->text_len : FTP_BANNER_MAX;

            proto_evidence(ctx, PROTO_SENDER, "ftp.banner", (const char *)tx->text, n);
        }
        st->greeted = true;
        ftp_tx_log(ctx, st, tx);
        return;
    }
    st->greeted = true;
    if (code / 100 == 1) {
        return; /* preliminary: the final reply is still to come */
    }
    ftp_apply_reply(st, tx, code, text, len);
    concluded = tx->login != FTP_LOGIN_NONE;
    if (concluded) {
        proto_evidence_str(ctx, PROTO_SENDER, "login.ftp",
                           tx->login == FTP_LOGIN_OK ? "success" : "failure");
    }
    ftp_pop(ctx, st);
    if (concluded) {
        ftp_login_done(st);
    }
}

/* The text of a reply line after "ddd" and its separator. */
static void ftp_line_text(struct ww_cursor *c)
{
    if (cursor_left(c) >= FTP_CODE_LEN + 1) {
        cursor_skip(c, FTP_CODE_LEN + 1);
    } else {
        cursor_skip(c, cursor_left(c));
    }
}

/* Reads "ddd" at the start of a line. Returns 0 and the code, or -1. */
static int ftp_reply_code(const struct ww_cursor *line, uint16_t *code)
{
    uint8_t b[FTP_CODE_LEN];

    for (int i = 0; i < FTP_CODE_LEN; i++) {
        if (cursor_peek_u8(line, (size_t)i, &b[i]) < 0 || !ftp_is_digit(b[i])) {
            return -1;
        }
    }
    *code = (uint16_t)((b[0] - '0') * 100 + (b[1] - '0') * 10 + (b[2] - '0'));
    return 0;
}

/* Whether a line is text: no control byte but tab. Binary on the control channel is not FTP. */
static bool ftp_is_text(const struct ww_cursor *line)
{
    uint8_t b;

    for (size_t i = 0; cursor_peek_u8(line, i, &b) == 0; i++) {
        if ((b < 0x20 && b != '\t' && b != '\r') || b == 0x7f) {
            return false;
        }
    }
    return true;
}

/*
 * A line that is not a command (client) or a reply (server) where one is
 * due. Text is skipped, with an anomaly the first time; anything else ends
 * the parse. Returns 0 or PROTO_MALFORMED.
 */
static int ftp_odd_line(const struct proto_ctx *ctx, struct ftp_state *st,
                        const struct ww_cursor *line, const char *event)
{
    if (!ftp_is_text(line)) {
        proto_log_anomaly(ctx, event, NULL);
        return PROTO_MALFORMED;
    }
    if (!st->odd_logged) {
        st->odd_logged = true;
        proto_log_anomaly(ctx, event, NULL);
    }
    return 0;
}

/* One line from the server. Returns 0, or PROTO_MALFORMED. */
static int ftp_server_line(const struct proto_ctx *ctx, struct ftp_state *st,
                           struct ww_cursor *line, bool truncated)
{
    struct ftp_tx *tx = st->q_len > 0 ? &st->q[st->q_head] : &st->unsol;
    uint16_t code = 0;
    uint8_t sep = ' ';
    bool coded = ftp_reply_code(line, &code) == 0;

    cursor_peek_u8(line, FTP_CODE_LEN, &sep); /* stays ' ' when the line is only the code */
    tx->reply_truncated |= truncated;
    if (st->multi) {
        bool last = coded && code == st->multi_code && sep == ' ';

        if (coded && code == st->multi_code) {
            ftp_line_text(line);
        }
        ftp_tx_add_line(tx, line->pos, cursor_left(line));
        if (last) {
            st->multi = false;
            ftp_reply_done(ctx, st, code, line->pos, cursor_left(line));
        }
        return 0;
    }
    if (cursor_left(line) == 0) {
        return 0; /* a stray empty line between replies */
    }
    if (!coded) {
        return ftp_odd_line(ctx, st, line, "invalid_reply");
    }
    ftp_line_text(line);
    ftp_tx_add_line(tx, line->pos, cursor_left(line));
    if (sep == '-') {
        st->multi = true;
        st->multi_code = code;
        return 0;
    }
    ftp_reply_done(ctx, st, code, line->pos, cursor_left(line));
    return 0;
}

/* The verb at the start of a command line, upper-cased. Returns its length, or -1. */
static int ftp_read_verb(struct ww_cursor *line, struct ftp_tx *tx)
{
    uint8_t b;

    while (cursor_peek_u8(line, 0, &b) == 0 && b != ' ') {
        bool ok = ftp_is_alpha(b) || (tx->verb_len > 0 && ftp_is_digit(b));

        if (!ok || tx->verb_len >= FTP_VERB_MAX) {
            return -1;
        }
        tx->verb[tx->verb_len++] = ftp_upper(b);
        cursor_skip(line, 1);
    }
    if (tx->verb_len == 0) {
        return -1;
    }
    cursor_skip(line, 1); /* the space, when there is one */
    for (size_t i = 0; i < FTP_N_VERBS; i++) {
        const char *n = ftp_verbs[i].name;

        if (strlen(n) == tx->verb_len && memcmp(n, tx->verb, tx->verb_len) == 0) {
            tx->kind = ftp_verbs[i].kind;
        }
    }
    return tx->verb_len;
}

/* What a command means as it is sent: a login step or an active-mode port. */
static void ftp_apply_command(const struct proto_ctx *ctx, struct ftp_state *st,
                              struct ftp_tx *tx, struct ww_cursor *arg)
{
    size_t len = cursor_left(arg);
    struct ww_cursor c = *arg;

    switch (tx->kind) {
    case FTP_K_USER:
        ftp_login_done(st);
        st->user_set = true;
        st->user_cut = len > FTP_USER_MAX;
        st->user_len = (uint8_t)(len < FTP_USER_MAX ? len : FTP_USER_MAX);
        cursor_copy(&c, st->user, st->user_len);
        break;
    case FTP_K_PASS:
        ftp_password_seen(ctx, st, tx, arg->pos, len);
        break;
    case FTP_K_PORT:
        ftp_set_port(tx, ftp_port_fields(&c), FTP_MODE_ACTIVE);
        break;
    case FTP_K_EPRT:
        ftp_set_port(tx, ftp_ext_port(&c), FTP_MODE_ACTIVE);
        break;
    default:
        break;
    }
}

/* One line from the client. Returns 0, or PROTO_MALFORMED. */
static int ftp_client_line(const struct proto_ctx *ctx, struct ftp_state *st,
                           struct ww_cursor *line, bool truncated)
{
    struct ftp_tx verb = {0};
    struct ftp_tx *tx;
    struct ww_cursor whole;
    uint8_t b;

    /* Telnet IP and Synch (IAC 244, IAC 242) may come before ABOR (RFC 959 4.1.3). */
    while (cursor_peek_u8(line, 0, &b) == 0 && b == FTP_IAC && cursor_skip(line, 2) == 0) {
    }
    if (cursor_left(line) == 0) {
        return 0;
    }
    whole = *line;
    if (ftp_read_verb(line, &verb) < 0) {
        return ftp_odd_line(ctx, st, &whole, "invalid_command");
    }
    if (st->q_len == FTP_PENDING_MAX) {
        ftp_pop(ctx, st); /* the oldest is logged as unanswered */
    }
    tx = &st->q[(st->q_head + st->q_len) % FTP_PENDING_MAX];
    ftp_tx_reset(tx);
    memcpy(tx->verb, verb.verb, sizeof(tx->verb));
    tx->verb_len = verb.verb_len;
    tx->kind = verb.kind;
    st->q_len++;
    tx->cmd_truncated = truncated;
    tx->has_arg = cursor_left(line) > 0;
    ftp_apply_command(ctx, st, tx, line);
    if (tx->kind != FTP_K_PASS && tx->kind != FTP_K_ACCT && cursor_left(line) > 0) {
        tx->arg = malloc(cursor_left(line));
        if (tx->arg != NULL) {
            tx->arg_len = cursor_left(line);
            cursor_copy(line, tx->arg, tx->arg_len);
        }
    }
    return 0;
}

/* Offset of the first LF among the first `max` bytes, or -1. */
static long ftp_find_lf(const struct ww_cursor *c, size_t max)
{
    uint8_t b;

    for (size_t i = 0; i < max && cursor_peek_u8(c, i, &b) == 0; i++) {
        if (b == '\n') {
            return (long)i;
        }
    }
    return -1;
}

/* Logs every command still waiting: the flow ended before their replies. */
static void ftp_flush(const struct proto_ctx *ctx, struct ftp_state *st)
{
    while (st->q_len > 0) {
        ftp_pop(ctx, st);
    }
}

/*
 * Parses one line of ctx->dir's bytes. Returns bytes consumed,
 * PROTO_NEED_MORE or PROTO_MALFORMED. A call with len 0 means the flow
 * ended: commands still waiting are logged without a reply.
 */
static int ftp_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data, size_t len)
{
    struct ftp_state *st = state;
    struct ww_cursor c, line;
    bool *discard = &st->discard[ctx->dir == FLOW_TOSERVER ? 0 : 1];
    long lf;
    size_t line_len, used;
    uint8_t last;

    if (len == 0) {
        ftp_flush(ctx, st);
        return 0;
    }
    if (st->tls) {
        return (int)(len > INT32_MAX ? INT32_MAX : len);
    }
    cursor_init(&c, data, len);
    lf = ftp_find_lf(&c, *discard ? len : FTP_LINE_MAX + 2);
    if (*discard) {
        *discard = lf < 0;
        return lf < 0 ? (int)(len > INT32_MAX ? INT32_MAX : len) : (int)lf + 1;
    }
    if (lf < 0 && len < FTP_LINE_MAX + 2) {
        return PROTO_NEED_MORE;
    }
    /* The line, without its CRLF, cut at FTP_LINE_MAX. */
    line_len = lf >= 0 ? (size_t)lf : FTP_LINE_MAX;
    used = lf >= 0 ? (size_t)lf + 1 : FTP_LINE_MAX;
    if (line_len > 0 && cursor_peek_u8(&c, line_len - 1, &last) == 0 && last == '\r') {
        line_len--;
    }
    *discard = lf < 0;
    line = c;
    cursor_limit(&line, line_len < FTP_LINE_MAX ? line_len : FTP_LINE_MAX);
    if (ctx->dir == FLOW_TOSERVER) {
        if (ftp_client_line(ctx, st, &line, line_len > FTP_LINE_MAX || lf < 0) < 0) {
            return PROTO_MALFORMED;
        }
    } else if (ftp_server_line(ctx, st, &line, line_len > FTP_LINE_MAX || lf < 0) < 0) {
        return PROTO_MALFORMED;
    }
    return (int)used;
}

/* Whether the first bytes look like a reply (server) or a command (client). */
static bool ftp_probe(const uint8_t *data, size_t len, int dir)
{
    struct ww_cursor c;
    size_t n = len < FTP_PROBE_MAX ? len : FTP_PROBE_MAX;
    uint8_t b;

    cursor_init(&c, data, n);
    if (dir == FLOW_TOCLIENT) {
        for (size_t i = 0; i < FTP_CODE_LEN + 1 && cursor_u8(&c, &b) == 0; i++) {
            bool ok = i < FTP_CODE_LEN ? ftp_is_digit(b) : (b == ' ' || b == '-' || b == '\r');

            if (!ok) {
                return false;
            }
        }
        return true;
    }
    for (size_t i = 0; cursor_u8(&c, &b) == 0; i++) {
        if (b == ' ' || b == '\r' || b == '\n') {
            return i > 0;
        }
        if (!ftp_is_alpha(b) || i >= FTP_VERB_MAX) {
            return false;
        }
    }
    return true;
}

static void ftp_state_free(void *state)
{
    struct ftp_state *st = state;

    for (int i = 0; i < FTP_PENDING_MAX; i++) {
        ftp_tx_reset(&st->q[i]);
    }
    ftp_tx_reset(&st->unsol);
}

const struct proto_parser proto_ftp_parser = {
    .name = "ftp",
    .proto = APP_FTP,
    .ip_proto = 6,
    .ports = {FTP_PORT},
    .probe = ftp_probe,
    .state_size = sizeof(struct ftp_state),
    .parse = ftp_parse,
    .state_free = ftp_state_free,
    .flush_at_end = true,
};
