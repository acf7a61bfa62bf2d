/* SPDX-License-Identifier: MIT */
/*
 * test_hl7: the HL7 v2 / MLLP parser on hand-built frames: event fields of
 * ORU, ADT and ACK messages, every split point, several messages at once,
 * malformed frames, caps, and that patient data never reaches eve.json.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "eve_tmp.h"
#include <jansson.h>

#include "output/eve.h"
#include "proto/proto.h"

extern const struct proto_parser proto_hl7_parser;

#define FRAME_MAX (1u << 20)
#define EVENTS_MAX 16


/* An ORU^R01 from a monitor: OBX-18 names the device in two repetitions. */
static const char oru_msg[] =
    "MSH|^~\\&|GATEWAY^1.2.3^ISO|ICU-EAST|EMR|MERCY|20240501120000||ORU^R01^ORU_R01|CTL0001|P|"
    "2.6\r"
    "PID|1||MRN55501^^^MERCY^MR||DOE^JANE^Q||19700101|F\r"
    "PV1|1|I|ICU^12^A\r"
    "OBR|1|||69837-4^Vital signs^LN\r"
    "OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||97|%|||||F|||||||"
    "MON-7^^0123456789ABCDEF^EUI-64~PUMP-3^VENDOR\r"
    "OBX|2|NM|8867-4^Heart rate^LN||72|/min|||||F|||||||MON-7^^0123456789ABCDEF^EUI-64\r";

/* An ADT^A01 with LF segment ends and a CRLF, as some senders write. */
static const char adt_msg[] =
    "MSH|^~\\&|REG|MERCY|LAB|MERCY|20240501120500||ADT^A01|CTL0002|P|2.5.1\n"
    "EVN|A01|20240501120500\r\n"
    "PID|1||MRN55502^^^MERCY^MR||ROE^RICHARD||19800202|M\n"
    "NK1|1|ROE^RITA|SPO\n"
    "PV1|1|I|WARD^3^B\n";

static const char ack_msg[] = "MSH|^~\\&|EMR|MERCY|GATEWAY|ICU-EAST|20240501120001||ACK^R01^ACK|"
                              "ACK0001|P|2.6\r"
                              "MSA|AA|CTL0001\r";

/* Wraps msg in MLLP framing at out + *len. Returns the new length. */
static size_t frame_add(uint8_t *out, size_t len, const char *msg)
{
    size_t n = strlen(msg);

    assert_true(len + n + 3 <= FRAME_MAX);
    out[len] = 0x0B;
    memcpy(out + len + 1, msg, n);
    out[len + 1 + n] = 0x1C;
    out[len + 2 + n] = 0x0D;
    return len + n + 3;
}

/* A parser run: an eve file, a flow, the parser's state. */
struct run {
    struct eve_writer *eve;
    struct ww_flow flow;
    void *state;
    uint8_t pending[2][FRAME_MAX]; /* an incomplete tail, as proto.c keeps it */
    size_t n_pending[2];
};

static struct run *run_new(void)
{
    struct run *r = calloc(1, sizeof(*r));

    assert_non_null(r);
    r->eve = eve_open(file_path);
    assert_non_null(r->eve);
    r->flow.key.family = 4;
    r->flow.key.proto = 6;
    r->flow.app_proto = APP_HL7;
    r->state = calloc(1, proto_hl7_parser.state_size);
    assert_non_null(r->state);
    return r;
}

/*
 * Feeds one chunk of direction dir the way proto.c does: pending bytes
 * first, then parse until NEED_MORE. Returns the last parse result that was
 * not bytes consumed (PROTO_NEED_MORE or PROTO_MALFORMED), or 0.
 */
static int run_feed(struct run *r, int dir, const uint8_t *data, size_t len)
{
    struct proto_ctx ctx = {r->eve, &r->flow, dir, 1700000000000000ull, NULL};
    uint8_t *buf = r->pending[dir];
    size_t n = r->n_pending[dir], done = 0;

    assert_true(n + len <= FRAME_MAX);
    memcpy(buf + n, data, len);
    n += len;
    while (done < n) {
        int rc = proto_hl7_parser.parse(&ctx, r->state, buf + done, n - done);

        if (rc < 0) {
            memmove(buf, buf + done, n - done);
            r->n_pending[dir] = n - done;
            return rc;
        }
        assert_true(rc > 0);
        done += (size_t)rc;
    }
    r->n_pending[dir] = 0;
    return 0;
}

/* Closes the run and reads its events back. Returns how many, in ev[]. */
static const char *hl7_str(json_t *ev, const char *key);

static size_t run_end(struct run *r, json_t **ev)
{
    FILE *f;
    char line[1 << 16];
    size_t n = 0;

    assert_int_equal(eve_close(r->eve), 0);
    free(r->state);
    free(r);
    f = fopen(file_path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        json_error_t err;

        assert_true(n < EVENTS_MAX);
        ev[n] = json_loads(line, 0, &err);
        assert_non_null(ev[n]);
        if (strcmp(json_string_value(json_object_get(ev[n], "event_type")), "anomaly") == 0) {
            /* A malformed message also gets an anomaly event, after its hl7 event. */
            json_t *an = json_object_get(ev[n], "anomaly");

            assert_true(n > 0);
            assert_string_equal(json_string_value(json_object_get(an, "event")),
                                hl7_str(ev[n - 1], "malformed"));
            json_decref(ev[n]);
            continue;
        }
        assert_string_equal(json_string_value(json_object_get(ev[n], "event_type")), "hl7");
        n++;
    }
    fclose(f);
    return n;
}

static void free_events(json_t **ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(ev[i]);
    }
}

/* The string at hl7.<key>, or NULL. */
static const char *hl7_str(json_t *ev, const char *key)
{
    return json_string_value(json_object_get(json_object_get(ev, "hl7"), key));
}

static json_t *hl7_get(json_t *ev, const char *key)
{
    return json_object_get(json_object_get(ev, "hl7"), key);
}

/* Asserts a JSON array of strings equals want (n entries). */
static void assert_strings(json_t *arr, const char *const *want, size_t n)
{
    assert_non_null(arr);
    assert_int_equal(json_array_size(arr), n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(json_string_value(json_array_get(arr, i)), want[i]);
    }
}

/* Reads the whole eve file into a NUL-terminated heap buffer. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    data = malloc((size_t)n + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    data[n] = '\0';
    fclose(f);
    return data;
}

static void test_oru_fields(void **state)
{
    static uint8_t buf[FRAME_MAX];
    static const char *const segs[] = {"MSH", "PID", "PV1", "OBR", "OBX", "OBX"};
    static const char *const obs[] = {"150456", "8867-4"};
    static const char *const equip[] = {"MON-7^^0123456789ABCDEF^EUI-64", "PUMP-3^VENDOR"};
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t len = frame_add(buf, 0, oru_msg);
    size_t n;

    (void)state;
    assert_int_equal(run_feed(r, FLOW_TOSERVER, buf, len), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(json_string_value(json_object_get(ev[0], "app_proto")), "hl7");
    assert_string_equal(hl7_str(ev[0], "sending_application"), "GATEWAY^1.2.3^ISO");
    assert_string_equal(hl7_str(ev[0], "sending_facility"), "ICU-EAST");
    assert_string_equal(hl7_str(ev[0], "receiving_application"), "EMR");
    assert_string_equal(hl7_str(ev[0], "receiving_facility"), "MERCY");
    assert_string_equal(hl7_str(ev[0], "message_type"), "ORU");
    assert_string_equal(hl7_str(ev[0], "trigger_event"), "R01");
    assert_string_equal(hl7_str(ev[0], "message_structure"), "ORU_R01");
    assert_string_equal(hl7_str(ev[0], "control_id"), "CTL0001");
    assert_string_equal(hl7_str(ev[0], "processing_id"), "P");
    assert_string_equal(hl7_str(ev[0], "version"), "2.6");
    assert_strings(hl7_get(ev[0], "segments"), segs, 6);
    assert_int_equal(json_integer_value(hl7_get(ev[0], "segment_count")), 6);
    assert_true(json_is_true(hl7_get(ev[0], "pid_present")));
    assert_int_equal(json_integer_value(hl7_get(ev[0], "obx_count")), 2);
    assert_strings(hl7_get(ev[0], "observation_ids"), obs, 2);
    assert_strings(hl7_get(ev[0], "equipment_ids"), equip, 2);
    assert_int_equal(json_integer_value(hl7_get(ev[0], "message_len")), strlen(oru_msg));
    assert_null(hl7_get(ev[0], "ack_code"));
    assert_null(hl7_get(ev[0], "malformed"));
    assert_null(hl7_get(ev[0], "truncated"));
    free_events(ev, n);
}

static void test_adt_lf_fields(void **state)
{
    static uint8_t buf[FRAME_MAX];
    static const char *const segs[] = {"MSH", "EVN", "PID", "NK1", "PV1"};
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t len = frame_add(buf, 0, adt_msg);
    size_t n;

    (void)state;
    assert_int_equal(run_feed(r, FLOW_TOSERVER, buf, len), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(hl7_str(ev[0], "message_type"), "ADT");
    assert_string_equal(hl7_str(ev[0], "trigger_event"), "A01");
    assert_null(hl7_str(ev[0], "message_structure"));
    assert_string_equal(hl7_str(ev[0], "version"), "2.5.1");
    assert_string_equal(hl7_str(ev[0], "control_id"), "CTL0002");
    assert_strings(hl7_get(ev[0], "segments"), segs, 5);
    assert_true(json_is_true(hl7_get(ev[0], "pid_present")));
    assert_int_equal(json_integer_value(hl7_get(ev[0], "obx_count")), 0);
    assert_null(hl7_get(ev[0], "observation_ids"));
    assert_null(hl7_get(ev[0], "equipment_ids"));
    free_events(ev, n);
}

/* An ACK each way code, answered on the client side; pid_present false. */
static void test_ack_codes(void **state)
{
    static const char *const codes[] = {"AA", "AE", "AR", "CA", "CE", "CR"};
    static uint8_t buf[FRAME_MAX];
    char msg[256];
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t len = 0, n;

    (void)state;
    for (size_t i = 0; i < 6; i++) {
        snprintf(msg, sizeof(msg),
                 "MSH|^~\\&|EMR|MERCY|GW|ICU|2024||ACK|A%zu|P|2.3\rMSA|%s|C%zu|x\r", i, codes[i],
                 i);
        len = frame_add(buf, len, msg);
    }
    assert_int_equal(run_feed(r, FLOW_TOCLIENT, buf, len), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < 6; i++) {
        char want[16];

        assert_string_equal(hl7_str(ev[i], "message_type"), "ACK");
        assert_null(hl7_str(ev[i], "trigger_event"));
        assert_string_equal(hl7_str(ev[i], "ack_code"), codes[i]);
        snprintf(want, sizeof(want), "C%zu", i);
        assert_string_equal(hl7_str(ev[i], "ack_control_id"), want);
        assert_false(json_is_true(hl7_get(ev[i], "pid_present")));
    }
    free_events(ev, n);
}

/* Runs buf in two pieces split at cut and returns the eve file's text. */
static char *split_run(const uint8_t *buf, size_t len, size_t cut)
{
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    assert_int_equal(run_feed(r, FLOW_TOSERVER, buf, cut), 0);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, buf + cut, len - cut), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 3);
    free_events(ev, n);
    return slurp(file_path);
}

/* Every split point of three messages gives the same events as one piece. */
static void test_every_split(void **state)
{
    static uint8_t buf[FRAME_MAX];
    size_t len = 0;
    char *whole;

    (void)state;
    len = frame_add(buf, len, oru_msg);
    buf[len++] = '\r'; /* a stray CR between frames is allowed */
    len = frame_add(buf, len, adt_msg);
    len = frame_add(buf, len, ack_msg);
    whole = split_run(buf, len, len);
    for (size_t cut = 0; cut < len; cut++) {
        char *got = split_run(buf, len, cut);

        assert_string_equal(got, whole);
        free(got);
    }
    free(whole);
}

/* One byte at a time, and each call's return is never 0. */
static void test_byte_at_a_time(void **state)
{
    static uint8_t buf[FRAME_MAX];
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t len = frame_add(buf, 0, oru_msg), n;

    (void)state;
    len = frame_add(buf, len, ack_msg);
    for (size_t i = 0; i < len; i++) {
        assert_int_equal(run_feed(r, FLOW_TOSERVER, buf + i, 1), 0);
    }
    n = run_end(r, ev);
    assert_int_equal(n, 2);
    assert_string_equal(hl7_str(ev[0], "message_type"), "ORU");
    assert_string_equal(hl7_str(ev[1], "ack_code"), "AA");
    free_events(ev, n);
}

/* Several messages in one call: each parse returns one message's bytes. */
static void test_multiple_in_one(void **state)
{
    static uint8_t buf[FRAME_MAX];
    struct run *r = run_new();
    struct proto_ctx ctx = {r->eve, &r->flow, FLOW_TOSERVER, 1, NULL};
    size_t one = frame_add(buf, 0, ack_msg);
    size_t len = frame_add(buf, frame_add(buf, one, adt_msg), oru_msg);
    json_t *ev[EVENTS_MAX];
    int rc;
    size_t n;

    (void)state;
    rc = proto_hl7_parser.parse(&ctx, r->state, buf, len);
    assert_int_equal(rc, (int)one);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, buf + one, len - one), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 3);
    assert_string_equal(hl7_str(ev[0], "message_type"), "ACK");
    assert_string_equal(hl7_str(ev[1], "message_type"), "ADT");
    assert_string_equal(hl7_str(ev[2], "message_type"), "ORU");
    free_events(ev, n);
}

/* The two directions keep apart: a request half sent, the answer whole. */
static void test_directions_apart(void **state)
{
    static uint8_t req[FRAME_MAX], ans[FRAME_MAX];
    struct run *r = run_new();
    size_t req_len = frame_add(req, 0, oru_msg), ans_len = frame_add(ans, 0, ack_msg);
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    assert_int_equal(run_feed(r, FLOW_TOSERVER, req, 100), 0);
    assert_int_equal(run_feed(r, FLOW_TOCLIENT, ans, ans_len), 0);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, req + 100, req_len - 100), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 2);
    assert_string_equal(hl7_str(ev[0], "message_type"), "ACK");
    assert_string_equal(hl7_str(ev[1], "message_type"), "ORU");
    assert_string_equal(hl7_str(ev[1], "control_id"), "CTL0001");
    free_events(ev, n);
}

/* A string literal and its length without the NUL. */
#define S(lit) lit, sizeof(lit) - 1

/* Each input, fed whole, is malformed with an event naming why. */
static void test_malformed(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        const char *why;
    } cases[] = {
        {S("MSH|^~\\&|A|B\r\x1c\r"), "data outside an MLLP frame"},
        {S("\x0bPID|1||X\r\x1c\r"), "message does not start with MSH"},
        {S("\x0bMSHA^~\\&|x\r\x1c\r"), "bad field separator"},
        {S("\x0bMSH\r\x1c\r"), "bad field separator"},
        {S("\x0bMSH|^^\\&|x\r\x1c\r"), "bad encoding characters"},
        {S("\x0bMSH||x\r\x1c\r"), "bad encoding characters"},
        {S("\x0bMSH|^~\\&X|x\r\x1c\r"), "bad encoding characters"},
        {S("\x0bMSH|^~\\&!$|x\r\x1c\r"), "bad encoding characters"},
        {S("\x0bMSH|^~\\&\r\x1c\r"), "bad encoding characters"},
        {S("\x0bMSH|^~\\&|x\rpid|1\r\x1c\r"), "bad segment id"},
        {S("\x0bMSH|^~\\&|x\rPI\r\x1c\r"), "bad segment id"},
        {S("\x0bMSH|^~\\&|x\rPID!1\r\x1c\r"), "bad field separator"},
        {S("\x0bMSH|^~\\&|x\r\x0bMSH\x1c\r"), "MLLP start block inside a message"},
        {S("\x0bMSH|^~\\&|x\r\x1cX"), "MLLP end block not followed by CR"},
        {S("\x0b\x1c\r"), "empty message"},
        {S("\x0b\r\n\x1c\r"), "empty message"},
        {S("\x0b\xef\xbbMSH|^~\\&|x\r\x1c\r"), "bad segment id"},
        {S("\x0bMSH|^~\\&|x\r\x1c\r \x0b"), "data outside an MLLP frame"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct run *r = run_new();
        json_t *ev[EVENTS_MAX];
        size_t n;
        int rc = run_feed(r, FLOW_TOSERVER, (const uint8_t *)cases[i].in, cases[i].len);

        if (rc != PROTO_MALFORMED) {
            fail_msg("case %zu: %d, not malformed", i, rc);
        }
        n = run_end(r, ev);
        assert_true(n >= 1);
        assert_string_equal(hl7_str(ev[n - 1], "malformed"), cases[i].why);
        /* Nothing of an earlier message is reported with an error between frames. */
        if (strcmp(cases[i].why, "data outside an MLLP frame") == 0) {
            assert_null(hl7_str(ev[n - 1], "sending_application"));
        }
        free_events(ev, n);
    }
}

/* A UTF-8 byte order mark before MSH, as files saved on Windows carry, is skipped. */
static void test_bom_skipped(void **state)
{
    static const uint8_t in[] = "\x0b\xef\xbb\xbfMSH|^~\\&|A|B|C|D|1||ADT^A04|X1|P|2.3\r\x1c\r";
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t n;

    (void)state;
    assert_true(proto_hl7_parser.probe(in, sizeof(in) - 1, FLOW_TOSERVER));
    assert_int_equal(run_feed(r, FLOW_TOSERVER, in, sizeof(in) - 1), 0);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(hl7_str(ev[0], "trigger_event"), "A04");
    free_events(ev, n);
}

static void test_probe(void **state)
{
    const struct proto_parser *p = &proto_hl7_parser;

    (void)state;
    assert_string_equal(p->name, "hl7");
    assert_int_equal(p->proto, APP_HL7);
    assert_int_equal(p->ip_proto, 6);
    assert_int_equal(p->ports[0], 2575);
    assert_true(p->probe((const uint8_t *)"\x0bMSH|^~\\&|", 10, FLOW_TOSERVER));
    assert_true(p->probe((const uint8_t *)"\x0bMS", 3, FLOW_TOSERVER));
    assert_true(p->probe((const uint8_t *)"\x0b", 1, FLOW_TOSERVER));
    assert_false(p->probe((const uint8_t *)"MSH|^~\\&|", 9, FLOW_TOSERVER));
    assert_false(p->probe((const uint8_t *)"\x0bPID|", 5, FLOW_TOSERVER));
    assert_false(p->probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, FLOW_TOSERVER));
    assert_false(p->probe((const uint8_t *)"", 0, FLOW_TOSERVER));
}

/* Builds an ORU with n_obx OBX segments, each OBX-5 `value_len` bytes of 'V'. */
static char *big_oru(size_t n_obx, size_t value_len, size_t *len)
{
    size_t cap = 256 + n_obx * (value_len + 128), off;
    char *m = malloc(cap);

    assert_non_null(m);
    off = (size_t)snprintf(m, cap, "MSH|^~\\&|%0100d|F|R|G|2024||ORU^R01|C|P|2.6\r", 7);
    for (size_t i = 0; i < n_obx; i++) {
        off += (size_t)snprintf(m + off, cap - off, "OBX|%zu|ED|CODE%zu^x^LN||", i + 1, i);
        memset(m + off, 'V', value_len);
        off += value_len;
        off += (size_t)snprintf(m + off, cap - off, "|||||||||||||DEV%zu^EUI-64\r", i % 10);
    }
    *len = off;
    return m;
}

/* Lists and values stop at their caps; a 200 kB OBX-5 streams through. */
static void test_caps_and_streaming(void **state)
{
    static uint8_t buf[FRAME_MAX];
    struct run *r = run_new();
    size_t mlen, n, len;
    char *m = big_oru(40, 5000, &mlen);
    json_t *ev[EVENTS_MAX];

    (void)state;
    buf[0] = 0x0B;
    memcpy(buf + 1, m, mlen);
    buf[mlen + 1] = 0x1C;
    buf[mlen + 2] = 0x0D;
    len = mlen + 3;
    assert_true(len > PROTO_BUF_MAX);
    /* In 1000-byte pieces, as TCP segments would bring it. */
    for (size_t off = 0; off < len; off += 1000) {
        assert_int_equal(run_feed(r, FLOW_TOSERVER, buf + off, len - off < 1000 ? len - off : 1000),
                         0);
    }
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_int_equal(strlen(hl7_str(ev[0], "sending_application")), 64);
    assert_int_equal(json_array_size(hl7_get(ev[0], "segments")), 32);
    assert_int_equal(json_integer_value(hl7_get(ev[0], "segment_count")), 41);
    assert_int_equal(json_integer_value(hl7_get(ev[0], "obx_count")), 40);
    assert_int_equal(json_array_size(hl7_get(ev[0], "observation_ids")), 16);
    assert_int_equal(json_array_size(hl7_get(ev[0], "equipment_ids")), 8);
    assert_string_equal(json_string_value(json_array_get(hl7_get(ev[0], "equipment_ids"), 0)),
                        "DEV0^EUI-64");
    assert_true(json_is_true(hl7_get(ev[0], "truncated")));
    assert_int_equal(json_integer_value(hl7_get(ev[0], "message_len")), mlen);
    free_events(ev, n);
    free(m);
}

/* A frame that never ends is malformed once it passes 16 MiB, not buffered. */
static void test_too_long(void **state)
{
    static uint8_t chunk[1 << 16];
    static const char head[] = "\x0bMSH|^~\\&|A|B|C|D|1||ORU^R01|X|P|2.6\rOBX|1|ED|C||";
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    int rc = 0;
    size_t n;

    (void)state;
    memset(chunk, 'A', sizeof(chunk));
    assert_int_equal(run_feed(r, FLOW_TOSERVER, (const uint8_t *)head, strlen(head)), 0);
    for (int i = 0; i < 300 && rc == 0; i++) {
        rc = run_feed(r, FLOW_TOSERVER, chunk, sizeof(chunk));
    }
    assert_int_equal(rc, PROTO_MALFORMED);
    n = run_end(r, ev);
    assert_int_equal(n, 1);
    assert_string_equal(hl7_str(ev[0], "malformed"), "message longer than HL7_MSG_MAX");
    assert_string_equal(hl7_str(ev[0], "message_type"), "ORU");
    free_events(ev, n);
}

/* Names, record numbers, birth dates and results must never reach eve.json. */
static void test_no_patient_data(void **state)
{
    static const char msg[] =
        "MSH|^~\\&|GW|ICU|EMR|H|2024||ORU^R01|C9|P|2.6\r"
        "PID|1|XQPATID777|XQMRN4242^^^H^MR~XQSSN1234^^^SS||XQFAMILYNAME^XQGIVENNAME^Z||"
        "19121231|F|||XQSTREET 1^^XQCITY||555-0199-XQ\r"
        "NK1|1|XQKINNAME^XQKINGIVEN|MTH\r"
        "PV1|1|I|XQROOM^1|||||XQDOCTOR^XQDOCGIVEN\r"
        "OBX|1|NM|8310-5^Body temperature^LN||39.1234567|Cel|XQRANGE|H|||F|||202405011200|"
        "|XQRESPONSIBLE|||MON-9^EUI-64\r"
        "OBX|2|ST|XQ-NOTE^note^L||XQRESULTTEXT|||||F\r";
    static const char *const secrets[] = {
        "XQPATID777", "XQMRN4242",  "XQSSN1234", "XQFAMILYNAME",  "XQGIVENNAME",  "19121231",
        "XQSTREET",   "XQCITY",     "555-0199",  "XQKINNAME",     "XQKINGIVEN",   "XQROOM",
        "XQDOCTOR",   "39.1234567", "XQRANGE",   "XQRESPONSIBLE", "XQRESULTTEXT",
    };
    static const char tail[] = "\x0bMSH|^~\\&|A\rPID|1||XQTAILMRN||XQTAILNAME\rpid";
    static uint8_t buf[FRAME_MAX];
    struct run *r = run_new();
    json_t *ev[EVENTS_MAX];
    size_t len = frame_add(buf, 0, msg), n;
    char *text;

    (void)state;
    /* A malformed tail too: the event it makes must hold no more. */
    memcpy(buf + len, tail, sizeof(tail) - 1);
    assert_int_equal(run_feed(r, FLOW_TOSERVER, buf, len + sizeof(tail) - 1), PROTO_MALFORMED);
    n = run_end(r, ev);
    assert_int_equal(n, 2);
    assert_true(json_is_true(hl7_get(ev[0], "pid_present")));
    assert_string_equal(json_string_value(json_array_get(hl7_get(ev[0], "observation_ids"), 1)),
                        "XQ-NOTE");
    free_events(ev, n);
    text = slurp(file_path);
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        assert_null(strstr(text, secrets[i]));
    }
    assert_null(strstr(text, "XQTAIL"));
    free(text);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, make_dir, remove_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_oru_fields),         T(test_adt_lf_fields),
        T(test_ack_codes),          T(test_every_split),
        T(test_byte_at_a_time),     T(test_multiple_in_one),
        T(test_directions_apart),   T(test_malformed),
        T(test_bom_skipped),        T(test_probe),
        T(test_caps_and_streaming), T(test_too_long),
        T(test_no_patient_data),
    };

    return cmocka_run_group_tests_name("test_hl7", tests, NULL, NULL);
}
