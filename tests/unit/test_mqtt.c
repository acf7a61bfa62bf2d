/* SPDX-License-Identifier: MIT */
/*
 * test_mqtt: the MQTT parser (src/proto/mqtt.c) on hand-built MQTT 3.1,
 * 3.1.1 and 5.0 packets: event fields, secrets kept out of events, the
 * same events whatever way the bytes are split, and malformed input.
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
#include <jansson.h>

#include "flow/flow.h"
#include "output/eve.h"
#include "proto/proto.h"

extern const struct proto_parser proto_mqtt_parser;

#define PATH_LEN 512
#define DRIVE_BUF_LEN 8192
#define EVENTS_MAX 64

static char dir_path[PATH_LEN];
static char eve_path[PATH_LEN + 16];

/* ---- packets (section numbers of 3.1.1 / 5.0) ---- */

/* 3.1 CONNECT: "MQIsdp" level 3, username and password, clean session. */
static const uint8_t connect31[] = {
    0x10, 30,  0,   6, 'M', 'Q', 'I', 's', 'd', 'p', 3,   0xc2, 0,   60,  0,   3,
    'c',  '3', '1', 0, 1,   'u', 0,   8,   's', 'e', 'c', 'r',  'e', 't', 'p', 'w',
};

/* 3.1.1 CONNECT: will (QoS 1, retained) and clean session, keep-alive 30. */
static const uint8_t connect311[] = {
    0x10, 27,  0,   4, 'M', 'Q', 'T', 'T', 4, 0x2e, 0,   30,  0,   4,   'd',
    'e',  'v', '1', 0, 3,   'w', '/', 't', 0, 4,    'b', 'y', 'e', '!',
};

/*
 * 5.0 CONNECT: properties session expiry 120, receive maximum 10, a user
 * property and authentication data; username and password.
 */
static const uint8_t connect5[] = {
    0x10, 63,   0,    4,  'M',  'Q', 'T', 'T', 5,   0xc2, 0,   60,  34,  0x11, 0,   0,   0,
    120,  0x21, 0,    10, 0x26, 0,   1,   'k', 0,   9,    'u', 's', 'e', 'r',  'v', 'a', 'l',
    'u',  'e',  0x16, 0,  8,    'a', 'u', 't', 'h', 't',  'o', 'k', 'n', 0,    2,   'c', '5',
    0,    1,    'n',  0,  9,    'p', 'w', '5', 's', 'e',  'c', 'r', 'e', 't',
};

/* 5.0 CONNACK: session present, code 0, topic alias maximum 10, assigned id. */
static const uint8_t connack5[] = {
    0x20, 14, 1, 0, 11, 0x22, 0, 10, 0x12, 0, 5, 'a', 'u', 't', 'o', '1',
};

/* 5.0 PUBLISH QoS 1 retained, id 7, content type, payload "HR=80". */
static const uint8_t publish5[] = {
    0x33, 22,  0,   3,   'a', '/', 'b', 0,   7,   9,   0x03, 0,
    6,    't', 'e', 'x', 't', '/', 'x', 'H', 'R', '=', '8',  '0',
};

/* 3.1.1 SUBSCRIBE id 3: "x/#" QoS 1, "y" QoS 0. */
static const uint8_t subscribe311[] = {0x82, 12, 0, 3, 0, 3, 'x', '/', '#', 1, 0, 1, 'y', 0};

/* 3.1.1 PUBLISH QoS 0, topic "t", payload "vitals". */
static const uint8_t publish311[] = {0x30, 9, 0, 1, 't', 'v', 'i', 't', 'a', 'l', 's'};
static const uint8_t pingreq[] = {0xc0, 0};
static const uint8_t disconnect311[] = {0xe0, 0};

/* ---- harness ---- */

static int make_dir(void **state)
{
    const char *tmp = getenv("TMPDIR");

    (void)state;
    snprintf(dir_path, sizeof(dir_path), "%s/ww_test_mqtt.XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(dir_path) == NULL) {
        return -1;
    }
    snprintf(eve_path, sizeof(eve_path), "%s/eve.json", dir_path);
    return 0;
}

static int remove_dir(void **state)
{
    (void)state;
    unlink(eve_path);
    rmdir(dir_path);
    return 0;
}

static void flow_init(struct ww_flow *f)
{
    memset(f, 0, sizeof(*f));
    f->key.family = 4;
    f->key.proto = 6;
    f->key.addr[0][0] = 10;
    f->key.addr[1][0] = 10;
    f->key.addr[1][3] = 2;
    f->key.port[0] = 40000;
    f->key.port[1] = 1883;
    f->id = 1;
}

/* One flow's parser with proto.c's buffering of incomplete packets. */
struct drive {
    struct ww_flow flow;
    struct eve_writer *eve;
    void *state;
    uint8_t buf[2][DRIVE_BUF_LEN];
    size_t len[2];
    int last_rc; /* the parser's last answer */
    bool stopped;
};

static void drive_open(struct drive *d)
{
    memset(d, 0, sizeof(*d));
    flow_init(&d->flow);
    d->flow.app_proto = APP_MQTT; /* as the proto layer sets it */
    d->eve = eve_open(eve_path);
    assert_non_null(d->eve);
    d->state = calloc(1, proto_mqtt_parser.state_size);
    assert_non_null(d->state);
}

/* Hands the parser len more bytes of direction dir. */
static void drive_feed(struct drive *d, int dir, const uint8_t *data, size_t len)
{
    struct proto_ctx ctx = {d->eve, &d->flow, dir, 1700000000000000ull, NULL};
    size_t done = 0;

    if (d->stopped) {
        return;
    }
    assert_true(d->len[dir] + len <= DRIVE_BUF_LEN);
    memcpy(d->buf[dir] + d->len[dir], data, len);
    d->len[dir] += len;
    while (done < d->len[dir]) {
        int rc = proto_mqtt_parser.parse(&ctx, d->state, d->buf[dir] + done, d->len[dir] - done);

        d->last_rc = rc;
        if (rc == PROTO_NEED_MORE) {
            break;
        }
        if (rc <= 0) {
            d->stopped = true;
            return;
        }
        assert_true((size_t)rc <= d->len[dir] - done);
        done += (size_t)rc;
    }
    memmove(d->buf[dir], d->buf[dir] + done, d->len[dir] - done);
    d->len[dir] -= done;
}

/* Closes the writer and returns the events written, as a JSON array. */
static json_t *drive_close(struct drive *d)
{
    json_t *events = json_array();
    char line[1 << 16];
    FILE *fh;

    free(d->state);
    assert_int_equal(eve_close(d->eve), 0);
    fh = fopen(eve_path, "r");
    assert_non_null(fh);
    while (fgets(line, sizeof(line), fh) != NULL) {
        json_error_t err;
        json_t *e = json_loads(line, 0, &err);

        assert_non_null(e);
        json_array_append_new(events, e);
    }
    fclose(fh);
    return events;
}

/* Parses packets given whole, one direction each, and returns the events. */
static json_t *parse_all(const uint8_t *const *pkts, const size_t *lens, const int *dirs, size_t n,
                         int *last_rc)
{
    struct drive d;

    drive_open(&d);
    for (size_t i = 0; i < n; i++) {
        drive_feed(&d, dirs[i], pkts[i], lens[i]);
    }
    *last_rc = d.last_rc;
    return drive_close(&d);
}

static json_t *parse_one(const uint8_t *pkt, size_t len, int *rc)
{
    int dir = FLOW_TOSERVER;

    return parse_all(&pkt, &len, &dir, 1, rc);
}

static json_t *get(json_t *events, size_t i, const char *path)
{
    json_t *v = json_array_get(events, i);
    char part[64];

    while (v != NULL && *path != '\0') {
        size_t n = strcspn(path, ".");

        assert_true(n < sizeof(part));
        memcpy(part, path, n);
        part[n] = '\0';
        v = json_object_get(v, part);
        path += n + (path[n] == '.');
    }
    return v;
}

static void expect_str(json_t *ev, size_t i, const char *path, const char *want)
{
    json_t *v = get(ev, i, path);

    if (v == NULL || !json_is_string(v)) {
        fail_msg("%s: not a string", path);
    }
    assert_string_equal(json_string_value(v), want);
}

static void expect_int(json_t *ev, size_t i, const char *path, json_int_t want)
{
    json_t *v = get(ev, i, path);

    if (v == NULL || !json_is_integer(v)) {
        fail_msg("%s: not an integer", path);
    }
    assert_int_equal(json_integer_value(v), want);
}

static void expect_bool(json_t *ev, size_t i, const char *path, bool want)
{
    json_t *v = get(ev, i, path);

    if (v == NULL || !json_is_boolean(v)) {
        fail_msg("%s: not a boolean", path);
    }
    assert_int_equal(json_is_true(v), want);
}

/* No event holds the text anywhere, in any member. */
static void expect_nowhere(json_t *events, const char *text)
{
    char *s = json_dumps(events, JSON_COMPACT);

    assert_non_null(s);
    assert_null(strstr(s, text));
    free(s);
}

/* ---- tests ---- */

static void test_connect_31(void **state)
{
    int rc;
    json_t *ev = parse_one(connect31, sizeof(connect31), &rc);

    (void)state;
    assert_int_equal(rc, (int)sizeof(connect31));
    assert_int_equal(json_array_size(ev), 1);
    expect_str(ev, 0, "event_type", "mqtt");
    expect_str(ev, 0, "app_proto", "mqtt");
    expect_int(ev, 0, "dest_port", 1883);
    expect_str(ev, 0, "mqtt.connect.protocol_string", "MQIsdp");
    expect_int(ev, 0, "mqtt.connect.protocol_version", 3);
    expect_int(ev, 0, "mqtt.connect.qos", 0);
    expect_bool(ev, 0, "mqtt.connect.retain", false);
    expect_bool(ev, 0, "mqtt.connect.dup", false);
    expect_bool(ev, 0, "mqtt.connect.flags.username", true);
    expect_bool(ev, 0, "mqtt.connect.flags.password", true);
    expect_bool(ev, 0, "mqtt.connect.flags.will", false);
    expect_bool(ev, 0, "mqtt.connect.flags.clean_session", true);
    expect_str(ev, 0, "mqtt.connect.client_id", "c31");
    expect_str(ev, 0, "mqtt.connect.username", "u");
    expect_bool(ev, 0, "mqtt.connect.password_seen", true);
    expect_int(ev, 0, "mqtt.connect.keep_alive", 60);
    assert_null(get(ev, 0, "mqtt.connect.password"));
    expect_nowhere(ev, "secretpw");
    json_decref(ev);
}

static void test_connect_311_will(void **state)
{
    int rc;
    json_t *ev = parse_one(connect311, sizeof(connect311), &rc);

    (void)state;
    assert_int_equal(rc, (int)sizeof(connect311));
    expect_int(ev, 0, "mqtt.connect.protocol_version", 4);
    expect_bool(ev, 0, "mqtt.connect.flags.will", true);
    expect_bool(ev, 0, "mqtt.connect.flags.will_retain", true);
    expect_bool(ev, 0, "mqtt.connect.flags.username", false);
    expect_bool(ev, 0, "mqtt.connect.password_seen", false);
    assert_null(get(ev, 0, "mqtt.connect.username"));
    expect_int(ev, 0, "mqtt.connect.keep_alive", 30);
    expect_str(ev, 0, "mqtt.connect.client_id", "dev1");
    expect_str(ev, 0, "mqtt.connect.will.topic", "w/t");
    expect_int(ev, 0, "mqtt.connect.will.qos", 1);
    expect_int(ev, 0, "mqtt.connect.will.message_len", 4);
    assert_null(get(ev, 0, "mqtt.connect.will.message"));
    expect_nowhere(ev, "bye!");
    json_decref(ev);
}

static void test_connect_5_properties(void **state)
{
    int rc;
    json_t *ev = parse_one(connect5, sizeof(connect5), &rc);

    (void)state;
    assert_int_equal(rc, (int)sizeof(connect5));
    expect_int(ev, 0, "mqtt.connect.protocol_version", 5);
    expect_str(ev, 0, "mqtt.connect.client_id", "c5");
    expect_str(ev, 0, "mqtt.connect.username", "n");
    expect_bool(ev, 0, "mqtt.connect.password_seen", true);
    expect_int(ev, 0, "mqtt.connect.properties.session_expiry_interval", 120);
    expect_int(ev, 0, "mqtt.connect.properties.receive_maximum", 10);
    expect_nowhere(ev, "pw5secret");
    expect_nowhere(ev, "authtokn");
    expect_nowhere(ev, "uservalue");
    json_decref(ev);
}

/* A 5.0 session: CONNECT sets the version the other packets are read with. */
static void test_session_5(void **state)
{
    static const uint8_t puback5[] = {0x40, 3, 0, 7, 16};
    static const uint8_t unsuback5[] = {0xb0, 5, 0, 9, 0, 0, 17};
    static const uint8_t disconnect5[] = {0xe0, 2, 4, 0};
    static const uint8_t auth5[] = {0xf0, 0};
    const uint8_t *pkts[] = {connect5, connack5, publish5, puback5, unsuback5, disconnect5, auth5};
    const size_t lens[] = {sizeof(connect5), sizeof(connack5),  sizeof(publish5),
                           sizeof(puback5),  sizeof(unsuback5), sizeof(disconnect5),
                           sizeof(auth5)};
    const int dirs[] = {0, 1, 0, 1, 1, 0, 0};
    int rc;
    json_t *ev = parse_all(pkts, lens, dirs, 7, &rc);

    (void)state;
    assert_int_equal(json_array_size(ev), 7);
    expect_bool(ev, 1, "mqtt.connack.session_present", true);
    expect_int(ev, 1, "mqtt.connack.return_code", 0);
    expect_int(ev, 1, "src_port", 1883);
    expect_int(ev, 1, "mqtt.connack.properties.topic_alias_maximum", 10);
    expect_str(ev, 1, "mqtt.connack.properties.assigned_client_identifier", "auto1");
    expect_int(ev, 2, "mqtt.publish.qos", 1);
    expect_bool(ev, 2, "mqtt.publish.retain", true);
    expect_str(ev, 2, "mqtt.publish.topic", "a/b");
    expect_int(ev, 2, "mqtt.publish.message_id", 7);
    expect_int(ev, 2, "mqtt.publish.payload_len", 5);
    expect_str(ev, 2, "mqtt.publish.properties.content_type", "text/x");
    assert_null(get(ev, 2, "mqtt.publish.message"));
    expect_int(ev, 3, "mqtt.puback.message_id", 7);
    expect_int(ev, 3, "mqtt.puback.reason_code", 16);
    expect_int(ev, 4, "mqtt.unsuback.message_id", 9);
    assert_int_equal(json_array_size(get(ev, 4, "mqtt.unsuback.reason_codes")), 2);
    expect_int(ev, 5, "mqtt.disconnect.reason_code", 4);
    expect_int(ev, 6, "mqtt.auth.reason_code", 0);
    expect_nowhere(ev, "HR=80");
    json_decref(ev);
}

static void test_subscribe_311(void **state)
{
    static const uint8_t suback[] = {0x90, 4, 0, 3, 1, 0x80};
    static const uint8_t unsubscribe[] = {0xa2, 5, 0, 4, 0, 1, 'y'};
    const uint8_t *pkts[] = {connect311, subscribe311, suback, unsubscribe};
    const size_t lens[] = {sizeof(connect311), sizeof(subscribe311), sizeof(suback),
                           sizeof(unsubscribe)};
    const int dirs[] = {0, 0, 1, 0};
    int rc;
    json_t *ev = parse_all(pkts, lens, dirs, 4, &rc);
    json_t *topics;

    (void)state;
    assert_int_equal(json_array_size(ev), 4);
    expect_int(ev, 1, "mqtt.subscribe.qos", 1);
    expect_int(ev, 1, "mqtt.subscribe.message_id", 3);
    topics = get(ev, 1, "mqtt.subscribe.topics");
    assert_int_equal(json_array_size(topics), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(topics, 0), "topic")),
                        "x/#");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(topics, 0), "qos")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(topics, 1), "topic")),
                        "y");
    expect_int(ev, 2, "mqtt.suback.message_id", 3);
    assert_int_equal(json_integer_value(json_array_get(get(ev, 2, "mqtt.suback.qos_granted"), 1)),
                     0x80);
    expect_int(ev, 3, "mqtt.unsubscribe.message_id", 4);
    assert_string_equal(json_string_value(json_array_get(get(ev, 3, "mqtt.unsubscribe.topics"), 0)),
                        "y");
    json_decref(ev);
}

/* A toserver stream of several packets, with a PUBLISH payload larger than a byte. */
static size_t build_stream(uint8_t *out, size_t cap)
{
    static const uint8_t big_hdr[] = {0x32, 0xb2, 0x02, 0, 3, 'b', '/', 'p', 0, 9};
    const uint8_t *parts[] = {connect311, subscribe311, publish311, pingreq, big_hdr};
    const size_t lens[] = {sizeof(connect311), sizeof(subscribe311), sizeof(publish311),
                           sizeof(pingreq), sizeof(big_hdr)};
    size_t n = 0;

    for (size_t i = 0; i < 5; i++) {
        assert_true(n + lens[i] <= cap);
        memcpy(out + n, parts[i], lens[i]);
        n += lens[i];
    }
    /* remaining length 0x132 = 306: 7 bytes of variable header, 299 of payload */
    assert_true(n + 299 + sizeof(disconnect311) <= cap);
    memset(out + n, 'P', 299);
    n += 299;
    memcpy(out + n, disconnect311, sizeof(disconnect311));
    return n + sizeof(disconnect311);
}

/* The events of a run, each without its timestamp, as one string. */
static char *events_text(json_t *ev)
{
    size_t i;
    json_t *e;
    char *s;

    json_array_foreach(ev, i, e)
    {
        json_object_del(e, "timestamp");
    }
    s = json_dumps(ev, JSON_SORT_KEYS | JSON_COMPACT);
    assert_non_null(s);
    return s;
}

static char *split_run(const uint8_t *buf, size_t len, size_t cut, size_t step)
{
    struct drive d;
    json_t *ev;
    char *s;

    drive_open(&d);
    drive_feed(&d, 0, buf, cut);
    for (size_t off = cut; off < len; off += step) {
        drive_feed(&d, 0, buf + off, off + step <= len ? step : len - off);
    }
    assert_false(d.stopped);
    assert_int_equal(d.len[0], 0);
    ev = drive_close(&d);
    assert_int_equal(json_array_size(ev), 6);
    s = events_text(ev);
    json_decref(ev);
    return s;
}

static void test_every_split(void **state)
{
    uint8_t buf[1024];
    size_t len = build_stream(buf, sizeof(buf));
    char *whole = split_run(buf, len, len, len);

    (void)state;
    assert_non_null(strstr(whole, "\"payload_len\":299"));
    assert_null(strstr(whole, "PPPP"));
    for (size_t cut = 0; cut <= len; cut++) {
        char *s = split_run(buf, len, cut, len);

        assert_string_equal(s, whole);
        free(s);
    }
    for (size_t step = 1; step <= 7; step++) {
        char *s = split_run(buf, len, 0, step);

        assert_string_equal(s, whole);
        free(s);
    }
    free(whole);
}

static void test_need_more(void **state)
{
    static const uint8_t partial[][3] = {{0x30}, {0x30, 0x80}, {0x10, 27, 0}};
    static const size_t lens[] = {1, 2, 3};
    struct ww_flow f;
    struct proto_ctx ctx = {NULL, &f, 0, 0, NULL};
    uint8_t st[64] = {0};

    (void)state;
    assert_true(proto_mqtt_parser.state_size <= sizeof(st));
    flow_init(&f);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(proto_mqtt_parser.parse(&ctx, st, partial[i], lens[i]), PROTO_NEED_MORE);
    }
    for (size_t n = 1; n < sizeof(connect5); n++) {
        assert_int_equal(proto_mqtt_parser.parse(&ctx, st, connect5, n), PROTO_NEED_MORE);
    }
}

/* One malformed packet: PROTO_MALFORMED and an anomaly event naming why. */
static void expect_malformed(const uint8_t *pkt, size_t len, const char *why)
{
    int rc;
    json_t *ev = parse_one(pkt, len, &rc);

    assert_int_equal(rc, PROTO_MALFORMED);
    assert_int_equal(json_array_size(ev), 1);
    expect_str(ev, 0, "event_type", "anomaly");
    expect_str(ev, 0, "app_proto", "mqtt");
    expect_str(ev, 0, "anomaly.event", why);
    json_decref(ev);
}

static void test_malformed(void **state)
{
    static const uint8_t varint5[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0x01};
    static const uint8_t over_cap[] = {0x30, 0x81, 0x80, 0x80, 0x08}; /* 16 MiB + 1 */
    static const uint8_t big_sub[] = {0x82, 0x80, 0x80, 0x04};        /* 64 KiB */
    static const uint8_t str_past[] = {0x10, 14, 0, 4,  'M', 'Q',  'T', 'T',
                                       4,    2,  0, 60, 0,   0xff, 'a', 'b'};
    static const uint8_t level6[] = {0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 6, 2, 0, 60, 0, 0};
    static const uint8_t qos3[] = {0x36, 5, 0, 1, 't', 0, 1};
    static const uint8_t type0[] = {0x00, 0};
    static const uint8_t auth311[] = {0xf0, 0};
    static const uint8_t bad_prop[] = {0x10, 15, 0,  4, 'M',  'Q', 'T', 'T', 5,
                                       2,    0,  60, 2, 0x7f, 0,   0,   0};
    static const uint8_t no_topics[] = {0x82, 2, 0, 1};

    (void)state;
    expect_malformed(varint5, sizeof(varint5), "invalid_varint");
    expect_malformed(over_cap, sizeof(over_cap), "packet_too_long");
    expect_malformed(big_sub, sizeof(big_sub), "packet_too_long");
    expect_malformed(str_past, sizeof(str_past), "truncated_field");
    expect_malformed(level6, sizeof(level6), "unknown_protocol");
    expect_malformed(qos3, sizeof(qos3), "invalid_qos_level");
    expect_malformed(type0, sizeof(type0), "unassigned_msg_type");
    expect_malformed(auth311, sizeof(auth311), "unassigned_msg_type");
    expect_malformed(bad_prop, sizeof(bad_prop), "invalid_property");
    expect_malformed(no_topics, sizeof(no_topics), "missing_topics");
}

static void test_probe(void **state)
{
    static const uint8_t http[] = "GET / HTTP/1.1\r\n";
    static const uint8_t mqtx[] = {0x10, 12, 0, 4, 'M', 'Q', 'T', 'X', 4, 2, 0, 60, 0, 0};

    (void)state;
    assert_true(proto_mqtt_parser.probe(connect31, sizeof(connect31), FLOW_TOSERVER));
    assert_true(proto_mqtt_parser.probe(connect311, sizeof(connect311), FLOW_TOSERVER));
    assert_true(proto_mqtt_parser.probe(connect5, 10, FLOW_TOSERVER));
    assert_false(proto_mqtt_parser.probe(connect5, 7, FLOW_TOSERVER));
    assert_false(proto_mqtt_parser.probe(connect311, sizeof(connect311), FLOW_TOCLIENT));
    assert_false(proto_mqtt_parser.probe(http, sizeof(http) - 1, FLOW_TOSERVER));
    assert_false(proto_mqtt_parser.probe(mqtx, sizeof(mqtx), FLOW_TOSERVER));
    assert_false(proto_mqtt_parser.probe(publish311, sizeof(publish311), FLOW_TOSERVER));
    assert_int_equal(proto_mqtt_parser.ports[0], 1883);
    assert_int_equal(proto_mqtt_parser.ip_proto, 6);
}

/* Through the proto layer: port 1883 plus the probe picks MQTT; other bytes fail. */
static void test_proto_layer(void **state)
{
    struct eve_writer *eve = eve_open(eve_path);
    struct proto_layer *pl = proto_layer_new(eve);
    struct ww_flow f, g;

    (void)state;
    assert_non_null(pl);
    flow_init(&f);
    flow_init(&g);
    proto_stream(pl, &f, FLOW_TOSERVER, connect311, sizeof(connect311), STREAM_DATA);
    assert_int_equal(f.app_proto, APP_MQTT);
    proto_stream(pl, &g, FLOW_TOSERVER, (const uint8_t *)"GET / HTTP/1.0\r\n", 16, STREAM_DATA);
    assert_int_equal(g.app_proto, APP_FAILED);
    proto_stream(pl, &f, FLOW_TOSERVER, (const uint8_t *)"\x36\x05\x00", 3, STREAM_DATA);
    assert_int_equal(proto_layer_stats(pl)->malformed[APP_MQTT], 1);
    assert_true(f.stream_off);
    proto_flow_end(pl, &f);
    proto_flow_end(pl, &g);
    proto_layer_free(pl);
    assert_int_equal(eve_close(eve), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_31),
        cmocka_unit_test(test_connect_311_will),
        cmocka_unit_test(test_connect_5_properties),
        cmocka_unit_test(test_session_5),
        cmocka_unit_test(test_subscribe_311),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_need_more),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_proto_layer),
    };

    return cmocka_run_group_tests_name("test_mqtt", tests, make_dir, remove_dir);
}
