/* SPDX-License-Identifier: MIT */
/*
 * telnet: Telnet sessions as `telnet` events: the banner, the options
 * negotiated and each login attempt with its outcome.
 *
 * Follows RFC 854 (Telnet protocol: NVT, IAC commands, CR LF and CR NUL),
 * RFC 855 (option negotiation, subnegotiation) and RFC 1091 (terminal
 * type). In both directions data is NVT text with commands escaped by IAC:
 *
 *   IAC WILL|WONT|DO|DONT opt     negotiation (3 bytes)
 *   IAC SB opt ... IAC SE         subnegotiation; IAC IAC inside is a 255 byte
 *   IAC IAC                       a data byte 255
 *   IAC other                     a one-byte command (NOP, DM, IP, AYT, ...)
 *
 * The commands are stripped and the text is cut into lines. Telnet has no
 * login messages: the login is read from the text as a person sees it. The
 * server's lines before its first prompt are the banner. A server line
 * ending in "login:" or "username:" is a login prompt, the client's next
 * line the user name (the client's bytes, so a server's character echo does
 * not matter); a line with "password" ending in ':' is a password prompt,
 * the client's next line the password, which is handed to
 * telnet_password_seen and wiped. The attempt failed when the server then
 * says "incorrect", "failed", "denied" or "invalid", or asks for a login or
 * password again; it succeeded when the server prints anything else after
 * the password (a shell prompt, "Last login", a message of the day).
 * docs/events.md lists the limits of this heuristic.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "output/eve.h"
#include "output/json.h"
#include "proto/proto.h"
#include "util/cursor.h"
#include "util/wipe.h"

#define TELNET_PORT 23
#define TELNET_LINE_MAX 256        /* bytes of a line kept; the rest is cut */
#define TELNET_BANNER_MAX 512      /* bytes of banner kept */
#define TELNET_BANNER_LINES_MAX 16 /* banner lines; the banner ends at this many */
#define TELNET_USER_MAX 64         /* bytes of a user name kept */
#define TELNET_TTYPE_MAX 40        /* bytes of a terminal type kept (RFC 1091: 40) */
#define TELNET_N_OPTIONS 256
#define TELNET_OPT_BYTES (TELNET_N_OPTIONS / 8)
#define TELNET_PROBE_MAX 64 /* bytes the probe looks at */

/* RFC 854 command codes. */
#define TN_SE 240
#define TN_SB 250
#define TN_WILL 251
#define TN_WONT 252
#define TN_DO 253
#define TN_DONT 254
#define TN_IAC 255
#define TN_OPT_TTYPE 24 /* RFC 1091 */
#define TN_TTYPE_IS 0

#define TN_CR 0x0D
#define TN_LF 0x0A
#define TN_BS 0x08
#define TN_DEL 0x7F
#define TN_ESC 0x1B
#define TN_BEL 0x07

enum tn_phase {
    TN_DATA = 0,
    TN_GOT_IAC,  /* after IAC */
    TN_GOT_VERB, /* after IAC WILL/WONT/DO/DONT: the option follows */
    TN_SB_OPT,   /* after IAC SB: the option follows */
    TN_SB_DATA,  /* inside a subnegotiation */
    TN_SB_IAC,   /* IAC inside a subnegotiation */
};

/* ANSI escapes in text: ESC [ ... final byte (CSI), ESC ] ... BEL (OSC, a window title). */
enum tn_esc { TN_ESC_NONE = 0, TN_ESC_START, TN_ESC_CSI, TN_ESC_OSC };

/* Where a login attempt stands. */
enum tn_attempt {
    TN_ATT_NONE = 0,
    TN_ATT_USER,      /* a user name was typed at a login prompt */
    TN_ATT_PW_PROMPT, /* the server asked for the password */
    TN_ATT_PW,        /* the password was typed: the server's answer decides */
};

enum tn_verdict { TN_UNKNOWN = 0, TN_SUCCESS, TN_FAILURE };

/* What a server line is, for the login heuristic. */
enum tn_line_kind {
    TN_L_EMPTY = 0,
    TN_L_TEXT,
    TN_L_LOGIN,    /* asks for a user name */
    TN_L_PASSWORD, /* asks for a password */
    TN_L_FAILURE,  /* says a login failed */
    TN_L_SHELL,    /* ends like a shell prompt */
};

struct tn_line {
    uint8_t buf[TELNET_LINE_MAX];
    uint16_t len;
    bool cut;
};

/* One direction. */
struct tn_dir {
    uint8_t phase; /* enum tn_phase */
    uint8_t verb;  /* the WILL/WONT/DO/DONT awaiting its option */
    uint8_t sb_opt;
    uint16_t sb_len;
    uint8_t esc; /* enum tn_esc */
    bool after_cr;
    struct tn_line line;
    uint8_t will[TELNET_OPT_BYTES]; /* options this side says it will do */
    uint8_t do_[TELNET_OPT_BYTES];  /* options this side asks the other to do */
};

struct telnet_state {
    struct tn_dir dir[2]; /* FLOW_TOSERVER (the client's bytes), FLOW_TOCLIENT */
    /* options each side agreed to perform at some point: 0 client, 1 server */
    uint8_t agreed[2][TELNET_OPT_BYTES];
    uint8_t ttype[TELNET_TTYPE_MAX];
    uint8_t ttype_len;
    bool login_prompt; /* the server asks for a user name now */
    bool line_taken;   /* the server's current line was already read as a prompt */
    bool banner_done;
    uint8_t banner[TELNET_BANNER_MAX];
    uint16_t banner_len;
    uint8_t banner_lines;
    uint8_t attempt; /* enum tn_attempt */
    uint32_t n_attempts;
    uint8_t user[TELNET_USER_MAX];
    uint8_t user_len;
    bool user_set, user_cut, pw_sent;
    bool pw_prompted; /* this attempt has seen its password prompt */
};

/* Option names as registered by IANA ("Telnet Options"), by code. */
static const char *const tn_option_names[] = {
    "binary",           "echo",
    "reconnection",     "suppress_go_ahead",
    "message_size",     "status",
    "timing_mark",      "rcte",
    "line_width",       "page_size",
    "naocrd",           "naohts",
    "naohtd",           "naoffd",
    "naovts",           "naovtd",
    "naolfd",           "extend_ascii",
    "logout",           "byte_macro",
    "data_entry",       "supdup",
    "supdup_output",    "send_location",
    "terminal_type",    "end_of_record",
    "tacacs_user_id",   "output_marking",
    "ttyloc",           "3270_regime",
    "x3_pad",           "naws",
    "terminal_speed",   "remote_flow_control",
    "linemode",         "x_display_location",
    "environ",          "authentication",
    "encrypt",          "new_environ",
    "tn3270e",          "xauth",
    "charset",          "rsp",
    "com_port_control", "suppress_local_echo",
    "start_tls",        "kermit",
    "send_url",         "forward_x",
};

#define TN_N_NAMED (sizeof(tn_option_names) / sizeof(tn_option_names[0]))

static bool tn_bit(const uint8_t *set, uint8_t opt)
{
    return (set[opt / 8] >> (opt % 8)) & 1;
}

static void tn_set_bit(uint8_t *set, uint8_t opt, bool on)
{
    if (on) {
        set[opt / 8] |= (uint8_t)(1u << (opt % 8));
    } else {
        set[opt / 8] &= (uint8_t) ~(1u << (opt % 8));
    }
}

static uint8_t tn_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c - 'A' + 'a') : c;
}

/*
 * A password typed in clear: noted as sent, and handed with the user name
 * to the credential listener (default credentials). The bytes live in the
 * client's line buffer, which the caller wipes right after.
 */
static void telnet_password_seen(const struct proto_ctx *ctx, struct telnet_state *st,
                                 const uint8_t *pw, size_t len)
{
    proto_credential(ctx, "telnet", st->user, st->user_set ? st->user_len : 0, pw, len);
    st->pw_sent = true;
}

/* The outcome of a login in clear, as evidence about the server: "success", "failure"... */
static void tn_login_evidence(const struct proto_ctx *ctx, const struct telnet_state *st,
                              int verdict)
{
    const char *outcome = verdict == TN_SUCCESS   ? "success"
                          : verdict == TN_FAILURE ? "failure"
                                                  : "unknown";

    if (st->user_set || st->pw_sent) {
        proto_evidence_str(ctx, ctx->dir == FLOW_TOCLIENT ? PROTO_SENDER : PROTO_RECEIVER,
                           "login.telnet", outcome);
    }
}

static void tn_write_options(struct jbuf *jb, const struct telnet_state *st)
{
    static const char *const sides[2] = {"client", "server"};

    jb_object_open(jb, "options");
    for (int s = 0; s < 2; s++) {
        jb_array_open(jb, sides[s]);
        for (unsigned o = 0; o < TELNET_N_OPTIONS; o++) {
            char num[4];

            if (!tn_bit(st->agreed[s], (uint8_t)o)) {
                continue;
            }
            if (o < TN_N_NAMED) {
                jb_str(jb, NULL, tn_option_names[o]);
            } else {
                num[0] = (char)('0' + o / 100);
                num[1] = (char)('0' + o / 10 % 10);
                num[2] = (char)('0' + o % 10);
                num[3] = '\0';
                jb_str(jb, NULL, num + (o < 100) + (o < 10));
            }
        }
        jb_array_close(jb);
    }
    jb_object_close(jb);
    if (st->ttype_len > 0) {
        jb_strn(jb, "terminal_type", st->ttype, st->ttype_len);
    }
}

/* Starts a `telnet` event with the client as src; the caller closes it. */
static struct jbuf *tn_event_begin(const struct proto_ctx *ctx)
{
    struct proto_ctx c = *ctx;
    struct jbuf *jb;

    c.dir = FLOW_TOSERVER;
    jb = proto_event_begin(&c, "telnet");
    jb_object_open(jb, "telnet");
    return jb;
}

/* The banner is complete: log it with the options so far, once. */
static void tn_banner_done(const struct proto_ctx *ctx, struct telnet_state *st)
{
    struct jbuf *jb;
    bool any_option = false;

    if (st->banner_done) {
        return;
    }
    st->banner_done = true;
    for (int i = 0; i < TELNET_OPT_BYTES; i++) {
        any_option |= (st->agreed[0][i] | st->agreed[1][i]) != 0;
    }
    if (st->banner_len == 0 && !any_option) {
        return;
    }
    jb = tn_event_begin(ctx);
    if (st->banner_len > 0) {
        jb_strn(jb, "banner", st->banner, st->banner_len);
    }
    tn_write_options(jb, st);
    jb_object_close(jb);
    eve_commit(ctx->eve);
    proto_evidence(ctx, ctx->dir == FLOW_TOCLIENT ? PROTO_SENDER : PROTO_RECEIVER, "telnet.banner",
                   (const char *)st->banner, st->banner_len);
}

/* Logs the attempt in progress with its verdict and starts afresh. */
static void tn_conclude(const struct proto_ctx *ctx, struct telnet_state *st, int verdict)
{
    struct jbuf *jb;

    if (st->attempt == TN_ATT_NONE) {
        return;
    }
    jb = tn_event_begin(ctx);
    jb_object_open(jb, "login");
    jb_u64(jb, "attempt", st->n_attempts);
    if (st->user_set) {
        jb_strn(jb, "user", st->user, st->user_len);
        if (st->user_cut) {
            jb_bool(jb, "user_truncated", true);
        }
    }
    jb_bool(jb, "password_sent", st->pw_sent);
    if (verdict != TN_UNKNOWN) {
        jb_bool(jb, "success", verdict == TN_SUCCESS);
    }
    jb_object_close(jb);
    tn_write_options(jb, st);
    jb_object_close(jb);
    eve_commit(ctx->eve);
    tn_login_evidence(ctx, st, verdict);
    st->attempt = TN_ATT_NONE;
    st->user_set = st->user_cut = st->pw_sent = st->pw_prompted = false;
    st->user_len = 0;
}

/* Starts an attempt; an unfinished one before it is logged undecided. */
static void tn_attempt_start(const struct proto_ctx *ctx, struct telnet_state *st, int phase)
{
    tn_conclude(ctx, st, TN_UNKNOWN);
    st->attempt = (uint8_t)phase;
    st->n_attempts++;
}

/* Whether the lower-cased line ends with word. */
static bool tn_ends_with(const uint8_t *low, size_t len, const char *word)
{
    size_t n = strlen(word);

    return len >= n && memcmp(low + len - n, word, n) == 0;
}

/* Whether the lower-cased line holds word. */
static bool tn_contains(const uint8_t *low, size_t len, const char *word)
{
    size_t n = strlen(word);

    for (size_t i = 0; n <= len && i <= len - n; i++) {
        if (memcmp(low + i, word, n) == 0) {
            return true;
        }
    }
    return false;
}

/* What a server line (or the start of one) is, after trailing blanks. */
static int tn_classify(const struct tn_line *line)
{
    static const char *const fail_words[] = {"incorrect", "failed", "denied", "invalid"};
    static const char *const login_ends[] = {"login:", "username:", "user name:", "user:"};
    uint8_t low[TELNET_LINE_MAX];
    size_t n = line->len;
    struct ww_cursor c;

    while (n > 0 && (line->buf[n - 1] == ' ' || line->buf[n - 1] == '\t')) {
        n--;
    }
    if (n == 0) {
        return TN_L_EMPTY;
    }
    cursor_init(&c, line->buf, n);
    for (size_t i = 0; i < n && cursor_u8(&c, &low[i]) == 0; i++) {
        low[i] = tn_lower(low[i]);
    }
    for (size_t i = 0; i < sizeof(fail_words) / sizeof(fail_words[0]); i++) {
        if (tn_contains(low, n, fail_words[i])) {
            return TN_L_FAILURE;
        }
    }
    if (low[n - 1] == ':' && (tn_contains(low, n, "password") || tn_contains(low, n, "passcode"))) {
        return TN_L_PASSWORD;
    }
    for (size_t i = 0; i < sizeof(login_ends) / sizeof(login_ends[0]); i++) {
        if (tn_ends_with(low, n, login_ends[i]) && !tn_contains(low, n, "last login")) {
            return TN_L_LOGIN;
        }
    }
    if (low[n - 1] == '$' || low[n - 1] == '#' || low[n - 1] == '>' || low[n - 1] == '%') {
        return TN_L_SHELL;
    }
    return TN_L_TEXT;
}

/* What a server line means to the login in progress. */
static void tn_server_says(const struct proto_ctx *ctx, struct telnet_state *st, int kind)
{
    bool pending = st->attempt != TN_ATT_NONE;

    if (kind == TN_L_LOGIN || kind == TN_L_PASSWORD) {
        tn_banner_done(ctx, st);
    }
    if (kind == TN_L_LOGIN) {
        if (pending) {
            tn_conclude(ctx, st, TN_FAILURE); /* asked again: the last one failed */
        }
        st->login_prompt = true;
    } else if (kind == TN_L_PASSWORD) {
        if (st->attempt == TN_ATT_PW && !st->pw_prompted) {
            st->pw_prompted = true; /* the prompt for a password typed ahead of it */
            return;
        }
        if (st->attempt == TN_ATT_PW) {
            tn_conclude(ctx, st, TN_FAILURE); /* asked again: the last one failed */
        }
        if (st->attempt == TN_ATT_NONE) {
            tn_attempt_start(ctx, st, TN_ATT_PW_PROMPT); /* a password-only login */
        }
        st->attempt = TN_ATT_PW_PROMPT;
        st->pw_prompted = true;
    } else if (kind == TN_L_FAILURE && pending) {
        tn_conclude(ctx, st, TN_FAILURE);
    } else if ((kind == TN_L_TEXT || kind == TN_L_SHELL) && st->attempt == TN_ATT_PW) {
        tn_conclude(ctx, st, TN_SUCCESS);
    }
}

static void tn_banner_add(const struct proto_ctx *ctx, struct telnet_state *st,
                          const struct tn_line *line)
{
    size_t room, n;

    if (st->banner_done || line->len == 0) {
        return;
    }
    if (st->banner_len > 0 && st->banner_len < TELNET_BANNER_MAX) {
        st->banner[st->banner_len++] = '\n';
    }
    room = TELNET_BANNER_MAX - st->banner_len;
    n = line->len < room ? line->len : room;
    memcpy(st->banner + st->banner_len, line->buf, n);
    st->banner_len = (uint16_t)(st->banner_len + n);
    if (++st->banner_lines >= TELNET_BANNER_LINES_MAX || st->banner_len >= TELNET_BANNER_MAX) {
        tn_banner_done(ctx, st);
    }
}

/* A complete line from the server. */
static void tn_server_line(const struct proto_ctx *ctx, struct telnet_state *st)
{
    struct tn_line *line = &st->dir[1].line;
    int kind = tn_classify(line);

    if (!st->line_taken) {
        if (kind != TN_L_LOGIN && kind != TN_L_PASSWORD && kind != TN_L_EMPTY) {
            tn_banner_add(ctx, st, line);
            st->login_prompt = false;
        }
        tn_server_says(ctx, st, kind);
    }
    st->line_taken = false;
    line->len = 0;
    line->cut = false;
}

/* What the server has shown of a line it has not ended: prompts do not end. */
static void tn_server_partial(const struct proto_ctx *ctx, struct telnet_state *st)
{
    int kind;

    if (st->line_taken || st->dir[1].line.len == 0) {
        return;
    }
    kind = tn_classify(&st->dir[1].line);
    if (kind == TN_L_LOGIN || kind == TN_L_PASSWORD || kind == TN_L_SHELL) {
        st->line_taken = true;
        tn_server_says(ctx, st, kind);
    }
}

/* A complete line from the client: a user name, a password, or anything else. */
static void tn_client_line(const struct proto_ctx *ctx, struct telnet_state *st)
{
    struct tn_line *line = &st->dir[0].line;

    tn_banner_done(ctx, st);
    if (st->login_prompt && line->len > 0) {
        tn_attempt_start(ctx, st, TN_ATT_USER);
        st->user_set = true;
        st->user_cut = line->cut || line->len > TELNET_USER_MAX;
        st->user_len = (uint8_t)(line->len < TELNET_USER_MAX ? line->len : TELNET_USER_MAX);
        memcpy(st->user, line->buf, st->user_len);
        st->login_prompt = false;
    } else if (st->attempt == TN_ATT_USER || st->attempt == TN_ATT_PW_PROMPT) {
        /* The line after a user name is the password, prompt seen or typed ahead. */
        telnet_password_seen(ctx, st, line->buf, line->len);
        st->attempt = TN_ATT_PW;
    }
    wipe_secret(line->buf, line->len);
    line->len = 0;
    line->cut = false;
}

/* Negotiation: records what each side offers and what both agreed. */
static void tn_negotiate(struct telnet_state *st, int side, uint8_t verb, uint8_t opt)
{
    struct tn_dir *me = &st->dir[side];
    const struct tn_dir *peer = &st->dir[!side];

    if (verb == TN_WILL || verb == TN_WONT) {
        tn_set_bit(me->will, opt, verb == TN_WILL);
    } else {
        tn_set_bit(me->do_, opt, verb == TN_DO);
    }
    /* An option is on for a side when it said WILL and the other DO. */
    if (tn_bit(me->will, opt) && tn_bit(peer->do_, opt)) {
        tn_set_bit(st->agreed[side], opt, true);
    }
    if (tn_bit(me->do_, opt) && tn_bit(peer->will, opt)) {
        tn_set_bit(st->agreed[!side], opt, true);
    }
}

/* A subnegotiation byte: only the client's terminal type is kept (RFC 1091). */
static void tn_sb_byte(struct telnet_state *st, int side, uint8_t b)
{
    struct tn_dir *d = &st->dir[side];

    if (side == 0 && d->sb_opt == TN_OPT_TTYPE) {
        if (d->sb_len == 0 && b == TN_TTYPE_IS) {
            st->ttype_len = 0;
        } else if (d->sb_len > 0 && st->ttype_len < TELNET_TTYPE_MAX && b >= 0x20 && b < 0x7f) {
            st->ttype[st->ttype_len++] = b;
        }
    }
    if (d->sb_len < UINT16_MAX) {
        d->sb_len++;
    }
}

/* Adds a text byte to a line, dropping control bytes and ANSI escapes. */
static void tn_text_byte(struct tn_dir *d, int side, uint8_t b)
{
    struct tn_line *line = &d->line;

    if (d->esc == TN_ESC_START) {
        d->esc = b == '[' ? TN_ESC_CSI : b == ']' ? TN_ESC_OSC : TN_ESC_NONE;
        return;
    }
    if (d->esc == TN_ESC_CSI) {
        d->esc = (b >= 0x40 && b <= 0x7e) ? TN_ESC_NONE : TN_ESC_CSI;
        return;
    }
    if (d->esc == TN_ESC_OSC) {
        d->esc = b == TN_BEL ? TN_ESC_NONE : b == TN_ESC ? TN_ESC_START : TN_ESC_OSC;
        return;
    }
    if (b == TN_ESC) {
        d->esc = TN_ESC_START;
    } else if (side == 0 && (b == TN_BS || b == TN_DEL)) {
        if (line->len > 0) {
            line->buf[--line->len] = 0; /* a typing correction */
        }
    } else if (b >= 0x20 || b == '\t') {
        if (line->len < TELNET_LINE_MAX) {
            line->buf[line->len++] = b;
        } else {
            line->cut = true;
        }
    }
}

/* A data byte (commands already stripped): CR LF, CR NUL and LF end lines. */
static void tn_data_byte(const struct proto_ctx *ctx, struct telnet_state *st, int side, uint8_t b)
{
    struct tn_dir *d = &st->dir[side];
    bool after_cr = d->after_cr;

    d->after_cr = b == TN_CR;
    if (after_cr && (b == TN_LF || b == 0)) {
        return;
    }
    if (b == TN_CR || b == TN_LF) {
        d->esc = TN_ESC_NONE;
        if (side == 0) {
            tn_client_line(ctx, st);
        } else {
            tn_server_line(ctx, st);
        }
        return;
    }
    tn_text_byte(d, side, b);
}

/* Moves one byte through the IAC state machine of its direction. */
static void tn_byte(const struct proto_ctx *ctx, struct telnet_state *st, int side, uint8_t b)
{
    struct tn_dir *d = &st->dir[side];

    switch (d->phase) {
    case TN_DATA:
        if (b == TN_IAC) {
            d->phase = TN_GOT_IAC;
        } else {
            tn_data_byte(ctx, st, side, b);
        }
        break;
    case TN_GOT_IAC:
        d->phase = TN_DATA;
        if (b == TN_IAC) {
            tn_data_byte(ctx, st, side, b);
        } else if (b >= TN_WILL) {
            d->verb = b;
            d->phase = TN_GOT_VERB;
        } else if (b == TN_SB) {
            d->phase = TN_SB_OPT;
        }
        break; /* other commands (NOP, DM, IP, AYT, EC, EL, GA, SE) carry no data */
    case TN_GOT_VERB:
        tn_negotiate(st, side, d->verb, b);
        d->phase = TN_DATA;
        break;
    case TN_SB_OPT:
        d->sb_opt = b;
        d->sb_len = 0;
        d->phase = TN_SB_DATA;
        break;
    case TN_SB_DATA:
        if (b == TN_IAC) {
            d->phase = TN_SB_IAC;
        } else {
            tn_sb_byte(st, side, b);
        }
        break;
    default: /* TN_SB_IAC */
        d->phase = b == TN_IAC ? TN_SB_DATA : TN_DATA;
        if (b == TN_IAC) {
            tn_sb_byte(st, side, b);
        } else if (b != TN_SE) {
            d->phase = TN_GOT_IAC; /* a command ends an unterminated subnegotiation */
            tn_byte(ctx, st, side, b);
        }
        break;
    }
}

/*
 * Parses ctx->dir's bytes: all are consumed, state carries across calls, so
 * a command or a line may be split anywhere. A call with len 0 means the
 * flow ended: an undecided attempt and an unlogged banner are logged.
 */
static int telnet_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data, size_t len)
{
    struct telnet_state *st = state;
    int side = ctx->dir == FLOW_TOSERVER ? 0 : 1;
    struct ww_cursor c;
    uint8_t b;

    if (len == 0) {
        tn_banner_done(ctx, st);
        tn_conclude(ctx, st, TN_UNKNOWN);
        return 0;
    }
    cursor_init(&c, data, len);
    while (cursor_u8(&c, &b) == 0) {
        tn_byte(ctx, st, side, b);
    }
    if (side == 1) {
        tn_server_partial(ctx, st);
    }
    return (int)(len > INT32_MAX ? INT32_MAX : len);
}

/* Whether the first bytes look like Telnet: a command, or text. */
static bool telnet_probe(const uint8_t *data, size_t len, int dir)
{
    struct ww_cursor c;
    uint8_t b;

    (void)dir;
    cursor_init(&c, data, len < TELNET_PROBE_MAX ? len : TELNET_PROBE_MAX);
    if (cursor_u8(&c, &b) < 0) {
        return false;
    }
    if (b == TN_IAC) {
        return cursor_u8(&c, &b) < 0 || b >= TN_SE;
    }
    do {
        bool text = b >= 0x20 || b == TN_CR || b == TN_LF || b == '\t' || b == TN_ESC ||
                    b == TN_BEL || b == 0 || b == TN_IAC;

        if (!text) {
            return false;
        }
    } while (cursor_u8(&c, &b) == 0);
    return true;
}

static void telnet_state_free(void *state)
{
    struct telnet_state *st = state;

    wipe_secret(st->dir[0].line.buf, sizeof(st->dir[0].line.buf)); /* may hold a password */
}

const struct proto_parser proto_telnet_parser = {
    .name = "telnet",
    .proto = APP_TELNET,
    .ip_proto = 6,
    .ports = {TELNET_PORT},
    .probe = telnet_probe,
    .state_size = sizeof(struct telnet_state),
    .parse = telnet_parse,
    .state_free = telnet_state_free,
    .flush_at_end = true,
};
