/* SPDX-License-Identifier: MIT */
/*
 * smb: SMB on TCP 445 (direct) and 139 (NetBIOS session service, RFC
 * 1002), read just far enough to learn which dialect a server speaks:
 * the client's NEGOTIATE and the server's answer. Then the flow is left
 * alone (proto_finished): the rest is file traffic, often encrypted, and
 * is passed over.
 *
 *   | type (1) | length (3, big-endian) | SMB message: length bytes |
 *
 * type 0x00 carries a message; 0x81 (session request), 0x82, 0x83 and
 * 0x85 (keep-alive) are passed over. A message starts with its protocol:
 * 0xFF "SMB" is SMB1 (MS-CIFS; command at 4, flags at 9 with 0x80 on a
 * reply, NEGOTIATE 0x72; a request lists dialects as 0x02 and a
 * NUL-terminated name, the reply gives the chosen one's index, 0xFFFF for
 * none), 0xFE "SMB" SMB2/3 (MS-SMB2; command at 12, flags at 16 with 0x1
 * on a reply, NEGOTIATE 0; the reply's body at 64 holds the dialect at
 * 68), 0xFD "SMB" an encrypted SMB3 message.
 *
 * One `smb` event per NEGOTIATE answer: the version (1, 2 or 3) and the
 * dialect; evidence "smb.dialect" about the server ("SMB1 NT LM 0.12",
 * "SMB 3.1.1").
 */
#include <stdio.h>
#include <string.h>

#include "output/json.h"
#include "proto/proto.h"

#define SMB_PORT 445
#define NBSS_PORT 139
#define NBSS_HDR 4
#define NBSS_REQUEST_LEN 68 /* a session request: two encoded NetBIOS names */
#define SMB_MSG_MAX 65536  /* a NEGOTIATE is far smaller; larger messages are not read */
#define SMB1_HDR 32
#define SMB2_HDR 64
#define SMB1_NEGOTIATE 0x72
#define SMB1_FLAGS_REPLY 0x80
#define SMB2_NEGOTIATE 0
#define SMB2_FLAGS_REPLY 0x1
#define SMB_DIALECTS_MAX 16
#define SMB_DIALECT_LEN 32

struct smb_state {
    char dialects[SMB_DIALECTS_MAX][SMB_DIALECT_LEN]; /* the SMB1 client's, in order */
    int n_dialects;
    bool done; /* negotiated, encrypted or past it: the rest is passed over */
};

static bool smb_magic(const uint8_t *p, uint8_t first)
{
    return p[0] == first && p[1] == 'S' && p[2] == 'M' && p[3] == 'B';
}

/* Reads the dialect names of an SMB1 NEGOTIATE request (after the header). */
static void smb1_request_dialects(struct smb_state *st, const uint8_t *msg, size_t len)
{
    size_t i = SMB1_HDR + 3; /* word count (0), byte count (2) */

    st->n_dialects = 0;
    while (i < len && msg[i] == 0x02 && st->n_dialects < SMB_DIALECTS_MAX) {
        const uint8_t *name = msg + i + 1, *nul = memchr(name, 0, len - i - 1);
        size_t n;

        if (nul == NULL) {
            return;
        }
        n = (size_t)(nul - name);
        snprintf(st->dialects[st->n_dialects++], SMB_DIALECT_LEN, "%.*s",
                 (int)(n < SMB_DIALECT_LEN - 1 ? n : SMB_DIALECT_LEN - 1), (const char *)name);
        i += n + 2;
    }
}

static void smb_log(const struct proto_ctx *ctx, struct smb_state *st, int version,
                    const char *dialect)
{
    struct jbuf *jb = proto_event_begin(ctx, "smb");
    char evidence[64];

    jb_object_open(jb, "smb");
    jb_str(jb, "command", "negotiate");
    jb_u64(jb, "version", (uint64_t)version);
    jb_str(jb, "dialect", dialect);
    jb_object_close(jb);
    eve_commit(ctx->eve);
    snprintf(evidence, sizeof(evidence), "%s %s", version == 1 ? "SMB1" : "SMB", dialect);
    proto_evidence_str(ctx, PROTO_SENDER, "smb.dialect", evidence);
    st->done = true;
}

/* An SMB1 message: a NEGOTIATE request's dialects, or the answer's choice. */
static int smb1_message(const struct proto_ctx *ctx, struct smb_state *st, const uint8_t *msg,
                        size_t len)
{
    bool reply;
    uint16_t index;
    char dialect[SMB_DIALECT_LEN + 16];

    if (len < SMB1_HDR || msg[4] != SMB1_NEGOTIATE) {
        return 0;
    }
    reply = (msg[9] & SMB1_FLAGS_REPLY) != 0;
    if (!reply) {
        smb1_request_dialects(st, msg, len);
        return 0;
    }
    if (len < SMB1_HDR + 3 || msg[SMB1_HDR] == 0) {
        return -1; /* an answer without the chosen index */
    }
    index = (uint16_t)(msg[SMB1_HDR + 1] | msg[SMB1_HDR + 2] << 8);
    if (index == 0xFFFF) {
        smb_log(ctx, st, 1, "none");
        return 0;
    }
    snprintf(dialect, sizeof(dialect), "%s",
             index < st->n_dialects ? st->dialects[index] : "unknown");
    smb_log(ctx, st, 1, dialect);
    return 0;
}

/* An SMB2 message: the NEGOTIATE answer's dialect revision. */
static int smb2_message(const struct proto_ctx *ctx, struct smb_state *st, const uint8_t *msg,
                        size_t len)
{
    uint16_t command, revision;
    char dialect[16];

    if (len < SMB2_HDR) {
        return -1;
    }
    command = (uint16_t)(msg[12] | msg[13] << 8);
    if (command != SMB2_NEGOTIATE || !(msg[16] & SMB2_FLAGS_REPLY)) {
        return 0;
    }
    if (len < SMB2_HDR + 6) {
        return -1;
    }
    revision = (uint16_t)(msg[SMB2_HDR + 4] | msg[SMB2_HDR + 5] << 8);
    if (revision == 0x02FF) {
        snprintf(dialect, sizeof(dialect), "2.???"); /* the wildcard: SMB2 will follow */
    } else if ((revision & 0xf) != 0) {
        snprintf(dialect, sizeof(dialect), "%u.%u.%u", revision >> 8u, (revision >> 4u) & 0xfu,
                 revision & 0xfu);
    } else {
        snprintf(dialect, sizeof(dialect), "%u.%u", revision >> 8u, (revision >> 4u) & 0xfu);
    }
    smb_log(ctx, st, revision >= 0x0300 ? 3 : 2, dialect);
    return 0;
}

static int smb_parse(const struct proto_ctx *ctx, void *state, const uint8_t *data, size_t len)
{
    struct smb_state *st = state;
    size_t used = 0;

    while (!st->done && len - used >= NBSS_HDR) {
        const uint8_t *h = data + used;
        size_t msg_len = (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        int rc = 0;

        if (h[0] != 0x00 && h[0] != 0x81 && h[0] != 0x82 && h[0] != 0x83 && h[0] != 0x85) {
            proto_log_anomaly(ctx, "invalid_nbss_type", NULL);
            return PROTO_MALFORMED;
        }
        if (h[0] == 0x00 && msg_len > SMB_MSG_MAX) {
            st->done = true; /* a large transfer: past the negotiation */
            break;
        }
        if (len - used < NBSS_HDR + msg_len) {
            return used > 0 ? (int)used : PROTO_NEED_MORE;
        }
        if (h[0] == 0x00 && msg_len >= 4) {
            const uint8_t *msg = h + NBSS_HDR;

            if (smb_magic(msg, 0xFF)) {
                rc = smb1_message(ctx, st, msg, msg_len);
            } else if (smb_magic(msg, 0xFE)) {
                rc = smb2_message(ctx, st, msg, msg_len);
            } else if (smb_magic(msg, 0xFD)) {
                st->done = true; /* encrypted from here on */
            } else {
                rc = -1;
            }
        }
        if (rc < 0) {
            proto_log_anomaly(ctx, "invalid_smb_message", NULL);
            return PROTO_MALFORMED;
        }
        used += NBSS_HDR + msg_len;
    }
    if (st->done) {
        proto_finished(ctx);
        return len > INT32_MAX ? INT32_MAX : (int)len; /* the rest is not read */
    }
    return used > 0 ? (int)used : PROTO_NEED_MORE;
}

/* Whether the bytes there are a prefix of one of the SMB protocol ids. */
static bool smb_magic_prefix(const uint8_t *p, size_t n)
{
    static const uint8_t firsts[] = {0xFF, 0xFE, 0xFD};

    for (size_t i = 0; i < sizeof(firsts); i++) {
        uint8_t id[4] = {firsts[i], 'S', 'M', 'B'};

        if (memcmp(p, id, n < 4 ? n : 4) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * A NetBIOS session request (type 0x81, 68 bytes of names) or keep-alive
 * (0x85, empty), or a session message whose SMB protocol id follows; as
 * far as the first bytes go, so a segment cut short is not refused.
 */
static bool smb_probe(const uint8_t *data, size_t len, int dir)
{
    size_t msg_len;

    (void)dir;
    if (len == 0 || (data[0] != 0x00 && data[0] != 0x81 && data[0] != 0x85)) {
        return false;
    }
    if (len < NBSS_HDR) {
        return true;
    }
    msg_len = (size_t)data[1] << 16 | (size_t)data[2] << 8 | data[3];
    if (data[0] != 0x00) {
        return msg_len == (data[0] == 0x81 ? NBSS_REQUEST_LEN : 0);
    }
    return smb_magic_prefix(data + NBSS_HDR, len - NBSS_HDR);
}

const struct proto_parser proto_smb_parser = {
    .name = "smb",
    .proto = APP_SMB,
    .ip_proto = 6,
    .ports = {SMB_PORT, NBSS_PORT},
    .probe = smb_probe,
    .state_size = sizeof(struct smb_state),
    .parse = smb_parse,
    .state_free = NULL,
};
