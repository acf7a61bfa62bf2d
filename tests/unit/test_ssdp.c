/* SPDX-License-Identifier: MIT */
/*
 * test_ssdp: the SSDP parser (UPnP Device Architecture 2.0 section 1) on
 * NOTIFY, M-SEARCH and 200 OK datagrams: header fields and their case,
 * the evidence each kind of sender gives, broken start lines and headers,
 * every truncation, and the probe.
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

#include "proto/proto.h"

extern const struct proto_parser proto_ssdp_parser;

#define TS0 1764547200000000ull
#define N_EVIDENCE_MAX 16
#define EVIDENCE_LEN 300

static const char notify[] = "NOTIFY * HTTP/1.1\r\n"
                             "HOST: 239.255.255.250:1900\r\n"
                             "CACHE-CONTROL: max-age=1800\r\n"
                             "LOCATION: http://10.20.0.14:49152/description.xml\r\n"
                             "NT: urn:schemas-upnp-org:device:InfusionPump:1\r\n"
                             "NTS: ssdp:alive\r\n"
                             "server:   Linux/4.9 UPnP/1.1 PumpOS/2.3  \r\n"
                             "USN: uuid:6f0c-11aa::urn:schemas-upnp-org:device:InfusionPump:1\r\n"
                             "\r\n";

static const char msearch[] = "M-SEARCH * HTTP/1.1\r\n"
                              "HOST: 239.255.255.250:1900\r\n"
                              "MAN: \"ssdp:discover\"\r\n"
                              "MX: 2\r\n"
                              "ST: ssdp:all\r\n"
                              "USER-AGENT: Windows/10.0 UPnP/2.0 ClinicView/5.1\r\n"
                              "\r\n";

/* Bare LF line ends and no blank line at the end, as some devices send. */
static const char reply[] = "HTTP/1.1 200 OK\n"
                            "CACHE-CONTROL: max-age=120\n"
                            "ST: urn:schemas-upnp-org:device:MediaRenderer:1\n"
                            "USN: uuid:abcd::urn:schemas-upnp-org:device:MediaRenderer:1\n"
                            "Location: http://10.20.0.30:8200/rootDesc.xml\n"
                            "Server: Debian/12 DLNADOC/1.50 UPnP/1.0 MiniDLNA/1.3.0\n"
                            "EXT:";

static char evidence[N_EVIDENCE_MAX][EVIDENCE_LEN];
static size_t n_evidence;

static void on_evidence(void *arg, const struct proto_evidence *ev)
{
    (void)arg;
    assert_true(n_evidence < N_EVIDENCE_MAX);
    snprintf(evidence[n_evidence++], EVIDENCE_LEN, "%s=%.*s", ev->kind, (int)ev->value_len,
             ev->value);
}

static bool has_evidence(const char *kind_value)
{
    for (size_t i = 0; i < n_evidence; i++) {
        if (strcmp(evidence[i], kind_value) == 0) {
            return true;
        }
    }
    return false;
}

/* Parses len bytes copied to the heap; returns the events, *rc what parse returned. */
static json_t *run(const char *text, size_t len, int *rc)
{
    struct ww_flow flow;
    struct eve_writer *eve = eve_open(file_path);
    struct proto_layer *pl;
    uint8_t *copy = malloc(len > 0 ? len : 1);
    json_t *events = json_array();
    char line[1 << 16];
    FILE *f;

    assert_non_null(copy);
    memcpy(copy, text, len);
    memset(&flow, 0, sizeof(flow));
    flow.key.family = 4;
    flow.key.proto = 17;
    flow.key.port[0] = 1900;
    flow.key.port[1] = 1900;
    flow.app_proto = APP_SSDP;
    *rc = proto_ssdp_parser.parse(&(struct proto_ctx){eve, &flow, FLOW_TOSERVER, TS0, NULL},
                                  NULL, copy, len);
    assert_int_equal(eve_close(eve), 0);

    /* Evidence is handed on by the proto layer after the parser returns. */
    eve = eve_open("/dev/null");
    pl = proto_layer_new(eve);
    assert_non_null(pl);
    proto_layer_set_evidence(pl, on_evidence, NULL);
    n_evidence = 0;
    flow.app_proto = APP_NONE;
    proto_datagram(pl, &flow, FLOW_TOSERVER, TS0, copy, (uint32_t)len, false);
    proto_flow_end(pl, &flow);
    proto_layer_free(pl);
    assert_int_equal(eve_close(eve), 0);
    free(copy);
    f = fopen(file_path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        json_error_t err;
        json_t *v = json_loads(line, 0, &err);

        assert_non_null(v);
        json_array_append_new(events, v);
    }
    fclose(f);
    return events;
}

static json_t *find(json_t *events, const char *type)
{
    size_t i;
    json_t *e;

    json_array_foreach(events, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "event_type")), type) == 0) {
            return e;
        }
    }
    return NULL;
}

static const char *field(json_t *e, const char *key)
{
    json_t *v = json_object_get(json_object_get(e, "ssdp"), key);

    return json_is_string(v) ? json_string_value(v) : "(absent)";
}

static void test_notify(void **state)
{
    int rc;
    json_t *ev = run(notify, sizeof(notify) - 1, &rc);
    json_t *e = find(ev, "ssdp");

    (void)state;
    assert_int_equal(rc, (int)sizeof(notify) - 1);
    assert_non_null(e);
    assert_null(find(ev, "anomaly"));
    assert_string_equal(json_string_value(json_object_get(e, "app_proto")), "ssdp");
    assert_string_equal(field(e, "type"), "request");
    assert_string_equal(field(e, "method"), "NOTIFY");
    assert_string_equal(field(e, "uri"), "*");
    assert_string_equal(field(e, "protocol"), "HTTP/1.1");
    assert_string_equal(field(e, "host"), "239.255.255.250:1900");
    assert_string_equal(field(e, "nt"), "urn:schemas-upnp-org:device:InfusionPump:1");
    assert_string_equal(field(e, "nts"), "ssdp:alive");
    assert_string_equal(field(e, "server"), "Linux/4.9 UPnP/1.1 PumpOS/2.3");
    assert_string_equal(field(e, "location"), "http://10.20.0.14:49152/description.xml");
    assert_string_equal(field(e, "cache_control"), "max-age=1800");
    assert_string_equal(field(e, "usn"),
                        "uuid:6f0c-11aa::urn:schemas-upnp-org:device:InfusionPump:1");
    assert_string_equal(field(e, "st"), "(absent)");
    assert_int_equal(n_evidence, 3);
    assert_true(has_evidence("ssdp.server=Linux/4.9 UPnP/1.1 PumpOS/2.3"));
    assert_true(
        has_evidence("ssdp.usn=uuid:6f0c-11aa::urn:schemas-upnp-org:device:InfusionPump:1"));
    assert_true(has_evidence("ssdp.device_type=urn:schemas-upnp-org:device:InfusionPump:1"));
    json_decref(ev);
}

static void test_msearch(void **state)
{
    int rc;
    json_t *ev = run(msearch, sizeof(msearch) - 1, &rc);
    json_t *e = find(ev, "ssdp");

    (void)state;
    assert_int_equal(rc, (int)sizeof(msearch) - 1);
    assert_string_equal(field(e, "method"), "M-SEARCH");
    assert_string_equal(field(e, "man"), "\"ssdp:discover\"");
    assert_string_equal(field(e, "mx"), "2");
    assert_string_equal(field(e, "st"), "ssdp:all");
    assert_string_equal(field(e, "user_agent"), "Windows/10.0 UPnP/2.0 ClinicView/5.1");
    assert_int_equal(n_evidence, 1);
    assert_true(has_evidence("ssdp.user_agent=Windows/10.0 UPnP/2.0 ClinicView/5.1"));
    json_decref(ev);
}

static void test_reply(void **state)
{
    int rc;
    json_t *ev = run(reply, sizeof(reply) - 1, &rc);
    json_t *e = find(ev, "ssdp");

    (void)state;
    assert_int_equal(rc, (int)sizeof(reply) - 1);
    assert_null(find(ev, "anomaly"));
    assert_string_equal(field(e, "type"), "response");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(e, "ssdp"), "status")),
                     200);
    assert_string_equal(field(e, "reason"), "OK");
    assert_string_equal(field(e, "method"), "(absent)");
    assert_string_equal(field(e, "location"), "http://10.20.0.30:8200/rootDesc.xml");
    assert_string_equal(field(e, "server"), "Debian/12 DLNADOC/1.50 UPnP/1.0 MiniDLNA/1.3.0");
    assert_true(has_evidence("ssdp.device_type=urn:schemas-upnp-org:device:MediaRenderer:1"));
    assert_true(has_evidence("ssdp.server=Debian/12 DLNADOC/1.50 UPnP/1.0 MiniDLNA/1.3.0"));
    assert_true(has_evidence("ssdp.usn=uuid:abcd::urn:schemas-upnp-org:device:MediaRenderer:1"));
    assert_int_equal(n_evidence, 3);
    json_decref(ev);
}

/* A root-device NOTIFY names no device type; a byebye still names the sender. */
static void test_no_device_type(void **state)
{
    static const char root[] = "NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\n"
                               "NTS: ssdp:byebye\r\nUSN: uuid:1::upnp:rootdevice\r\n\r\n";
    int rc;
    json_t *ev = run(root, sizeof(root) - 1, &rc);

    (void)state;
    assert_int_equal(rc, (int)sizeof(root) - 1);
    assert_int_equal(n_evidence, 1);
    assert_true(has_evidence("ssdp.usn=uuid:1::upnp:rootdevice"));
    json_decref(ev);
}

static void expect_malformed(const char *text, const char *anomaly, bool has_event)
{
    int rc;
    json_t *ev = run(text, strlen(text), &rc);
    json_t *a = find(ev, "anomaly");

    assert_int_equal(rc, PROTO_MALFORMED);
    assert_non_null(a);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(a, "anomaly"), "event")), anomaly);
    assert_int_equal(find(ev, "ssdp") != NULL, has_event);
    json_decref(ev);
}

static void test_malformed(void **state)
{
    (void)state;
    expect_malformed("", "bad_start_line", false);
    expect_malformed("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "bad_start_line", false);
    expect_malformed("NOTIFY *\r\n\r\n", "bad_start_line", false);
    expect_malformed("NOTIFY * HTTP/1.1 extra\r\n\r\n", "bad_start_line", false);
    expect_malformed("HTTP/1.1 2000 OK\r\n\r\n", "bad_start_line", false);
    expect_malformed("NOT<FY * HTTP/1.1\r\n\r\n", "bad_start_line", false);
    expect_malformed("NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\nno colon here\r\n\r\n",
                     "bad_header", true);
    expect_malformed("NOTIFY * HTTP/1.1\r\n: empty name\r\n\r\n", "bad_header", true);
}

/* Every prefix of a NOTIFY parses or is malformed: never a read past the end. */
static void test_prefixes(void **state)
{
    size_t start_line = strlen("NOTIFY * HTTP/1.1");

    (void)state;
    for (size_t len = 0; len < sizeof(notify) - 1; len++) {
        int rc;
        json_t *ev = run(notify, len, &rc);

        if (len < start_line) {
            assert_int_equal(rc, PROTO_MALFORMED);
        } else if (rc != (int)len) {
            assert_int_equal(rc, PROTO_MALFORMED); /* a header cut before its colon */
            assert_non_null(find(ev, "ssdp"));
        }
        json_decref(ev);
    }
}

static void test_header_cap(void **state)
{
    char buf[4096];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "NOTIFY * HTTP/1.1\r\n");
    int rc;
    json_t *ev;

    (void)state;
    for (int i = 0; i < 70; i++) {
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: y\r\n", i);
    }
    ev = run(buf, n, &rc);
    assert_int_equal(rc, PROTO_MALFORMED);
    assert_non_null(find(ev, "ssdp"));
    json_decref(ev);
}

static void test_probe(void **state)
{
    (void)state;
    assert_true(proto_ssdp_parser.probe((const uint8_t *)notify, sizeof(notify) - 1, 0));
    assert_true(proto_ssdp_parser.probe((const uint8_t *)msearch, sizeof(msearch) - 1, 0));
    assert_true(proto_ssdp_parser.probe((const uint8_t *)reply, sizeof(reply) - 1, 1));
    assert_false(proto_ssdp_parser.probe((const uint8_t *)"\x00\x01\x02", 3, 0));
    assert_false(proto_ssdp_parser.probe((const uint8_t *)"", 0, 0));
    assert_int_equal(proto_ssdp_parser.ports[0], 1900);
    assert_int_equal(proto_ssdp_parser.ip_proto, 17);
    assert_int_equal(proto_ssdp_parser.proto, APP_SSDP);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, make_dir, remove_dir)
    const struct CMUnitTest tests[] = {
        T(test_notify),    T(test_msearch),  T(test_reply),      T(test_no_device_type),
        T(test_malformed), T(test_prefixes), T(test_header_cap), cmocka_unit_test(test_probe),
    };
#undef T

    return cmocka_run_group_tests_name("test_ssdp", tests, NULL, NULL);
}
