/* SPDX-License-Identifier: MIT */
/*
 * test_fingerprint: device tokens from hand-built frames (DHCP options,
 * DNS names with compression, TCP server ports, serial numbers masked),
 * training and identification on made-up device types, the model file's
 * round trip and its errors, and the labels CSV's errors by line.
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

#include "decode/decode.h"
#include "inventory/fingerprint.h"
#include "pktbuild.h"

#define FRAME_CAP 2048
#define MSG_MAX 1024
#define ERR_LEN 512
#define PATH_LEN 128
#define TRAIN_PER_TYPE 6

static const uint8_t MAC_DEV[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t MAC_GW[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};

/* Builds, decodes and feeds one frame to the collector. */
static void feed(struct fp_collector *c, struct pkt_spec *s)
{
    static uint8_t frame[FRAME_CAP];
    struct decode_stats ds;
    struct ww_packet p;
    size_t n = pkt_build(s, frame, sizeof(frame));

    assert_true(n > 0);
    memset(&p, 0, sizeof(p));
    memset(&ds, 0, sizeof(ds));
    p.data = frame;
    p.caplen = (uint32_t)n;
    p.wirelen = (uint32_t)n;
    p.linktype = LINK_EN10MB;
    assert_int_equal(decode_packet(&ds, &p), DECODE_EV_MAX);
    fp_collector_packet(c, &p);
}

/* A UDP datagram from the device (or to it when rx) with this payload. */
static void udp(struct fp_collector *c, bool rx, uint16_t sport, uint16_t dport,
                const uint8_t *payload, size_t len)
{
    struct pkt_spec s;

    memset(&s, 0, sizeof(s));
    memcpy(rx ? s.dst_mac : s.src_mac, MAC_DEV, 6);
    memcpy(rx ? s.src_mac : s.dst_mac, MAC_GW, 6);
    s.family = 4;
    pkt_ip4(rx ? s.dst_ip : s.src_ip, "10.0.0.20");
    pkt_ip4(rx ? s.src_ip : s.dst_ip, "10.0.0.1");
    s.proto = 17;
    s.sport = sport;
    s.dport = dport;
    s.payload = payload;
    s.payload_len = len;
    feed(c, &s);
}

static void tcp(struct fp_collector *c, bool rx, uint16_t sport, uint16_t dport, uint8_t flags)
{
    struct pkt_spec s;

    memset(&s, 0, sizeof(s));
    memcpy(rx ? s.dst_mac : s.src_mac, MAC_DEV, 6);
    memcpy(rx ? s.src_mac : s.dst_mac, MAC_GW, 6);
    s.family = 4;
    pkt_ip4(rx ? s.dst_ip : s.src_ip, "10.0.0.20");
    pkt_ip4(rx ? s.src_ip : s.dst_ip, "93.184.216.34");
    s.proto = 6;
    s.sport = sport;
    s.dport = dport;
    s.tcp_flags = flags;
    feed(c, &s);
}

/* A DHCPDISCOVER with a client id, host name, vendor class and request list. */
static size_t dhcp_discover(uint8_t *b, const char *host, const char *vendor)
{
    static const uint8_t prl[] = {1, 3, 6, 15, 28};
    size_t n = 240, hl = strlen(host), vl = strlen(vendor);

    memset(b, 0, MSG_MAX);
    b[0] = 1;
    b[1] = 1;
    b[2] = 6;
    memcpy(b + 28, MAC_DEV, 6);
    b[236] = 99;
    b[237] = 130;
    b[238] = 83;
    b[239] = 99;
    b[n++] = 53, b[n++] = 1, b[n++] = 1;
    b[n++] = 61, b[n++] = 7, b[n++] = 1;
    memcpy(b + n, MAC_DEV, 6);
    n += 6;
    b[n++] = 12, b[n++] = (uint8_t)hl;
    memcpy(b + n, host, hl);
    n += hl;
    b[n++] = 60, b[n++] = (uint8_t)vl;
    memcpy(b + n, vendor, vl);
    n += vl;
    b[n++] = 55, b[n++] = sizeof(prl);
    memcpy(b + n, prl, sizeof(prl));
    n += sizeof(prl);
    b[n++] = 255;
    return n;
}

static bool has_token(const struct fp_collector *c, const struct fp_device *d, const char *tok)
{
    for (uint32_t i = 0; i < fp_device_n_tokens(d); i++) {
        const char *t = fp_device_token_text(c, d, i);

        if (t != NULL && strcmp(t, tok) == 0) {
            return true;
        }
    }
    return false;
}

static bool any_token_has(const struct fp_collector *c, const struct fp_device *d,
                          const char *part)
{
    for (uint32_t i = 0; i < fp_device_n_tokens(d); i++) {
        const char *t = fp_device_token_text(c, d, i);

        if (t != NULL && strstr(t, part) != NULL) {
            return true;
        }
    }
    return false;
}

static struct fp_collector *collector(void)
{
    struct fp_collector *c = fp_collector_new();

    assert_non_null(c);
    fp_collector_keep_text(c);
    return c;
}

static void test_dhcp_tokens(void **state)
{
    uint8_t msg[MSG_MAX];
    struct fp_collector *c = collector();
    const struct fp_device *d;
    size_t n = dhcp_discover(msg, "Plug-A1B2C3", "udhcp 1.2.3");

    (void)state;
    udp(c, false, 68, 67, msg, n);
    d = fp_collector_find(c, MAC_DEV);
    assert_non_null(d);
    assert_int_equal(fp_device_packets(d), 1);
    assert_true(has_token(c, d, "dhcp.type:1"));
    assert_true(has_token(c, d, "dhcp.prl:1,3,6,15,28"));
    assert_true(has_token(c, d, "dhcp.options:53,61,12,60,55"));
    assert_true(has_token(c, d, "dhcp.vendor:udhcp 1.2.3"));
    assert_true(has_token(c, d, "dhcp.clientid:type1"));
    /* the serial-looking suffix names one unit, not the type */
    assert_true(has_token(c, d, "dhcp.host:Plug-#"));
    assert_false(any_token_has(c, d, "A1B2C3"));
    assert_true(has_token(c, d, "tx.udp:67"));
    assert_true(has_token(c, d, "tx.dst:udp:private"));
    assert_true(has_token(c, d, "tx.ttl4:64"));
    /* the gateway only received: not a device that was seen sending */
    assert_null(fp_collector_find(c, MAC_GW));
    fp_collector_free(c);
}

static void test_dhcp_truncated(void **state)
{
    uint8_t msg[MSG_MAX];
    struct fp_collector *c = collector();
    const struct fp_device *d;
    size_t n = dhcp_discover(msg, "cam", "v");

    (void)state;
    /* cut inside the vendor class option: the options before it still count */
    udp(c, false, 68, 67, msg, n - 9);
    d = fp_collector_find(c, MAC_DEV);
    assert_non_null(d);
    assert_true(has_token(c, d, "dhcp.host:cam"));
    assert_false(any_token_has(c, d, "dhcp.vendor:"));
    assert_false(any_token_has(c, d, "dhcp.prl:"));
    fp_collector_free(c);
}

/* An mDNS answer whose owner name points back at the question's name. */
static void test_mdns_compression(void **state)
{
    static const uint8_t m[] = {
        0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0,
        5, '_', 'h', 'a', 'p', 'X', 4, '_', 't', 'c', 'p', 5, 'l', 'o', 'c', 'a', 'l', 0,
        0, 12, 0, 1,
        0xc0, 12, 0, 12, 0, 1, 0, 0, 0, 120, 0, 2, 0xc0, 12,
    };
    struct fp_collector *c = collector();
    const struct fp_device *d;

    (void)state;
    udp(c, false, 5353, 5353, m, sizeof(m));
    d = fp_collector_find(c, MAC_DEV);
    assert_non_null(d);
    assert_true(has_token(c, d, "tx.mdns.qd:_hapx._tcp.local.:12"));
    assert_true(has_token(c, d, "tx.mdns.an:_hapx._tcp.local.:12"));
    fp_collector_free(c);
}

/* A name that points at itself must end, without a token. */
static void test_dns_pointer_loop(void **state)
{
    static const uint8_t m[] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
    struct fp_collector *c = collector();
    const struct fp_device *d;

    (void)state;
    udp(c, false, 40000, 53, m, sizeof(m));
    d = fp_collector_find(c, MAC_DEV);
    assert_non_null(d);
    assert_false(any_token_has(c, d, "tx.dns.qd:"));
    fp_collector_free(c);
}

/* The server end of a TCP connection is the port the SYN went to, even a high one. */
static void test_tcp_server_port(void **state)
{
    struct fp_collector *c = collector();
    const struct fp_device *d;

    (void)state;
    tcp(c, false, 3000, 45000, 0x02);
    tcp(c, true, 45000, 3000, 0x12);
    tcp(c, false, 3000, 45000, 0x10);
    d = fp_collector_find(c, MAC_DEV);
    assert_non_null(d);
    assert_true(has_token(c, d, "tx.tcp:45000"));
    assert_true(has_token(c, d, "rx.tcp:45000"));
    assert_false(has_token(c, d, "tx.tcp:3000"));
    assert_true(any_token_has(c, d, "tx.syn:w65535,"));
    assert_int_equal(fp_device_packets(d), 2);
    fp_collector_free(c);
}

/* A made-up device of type k: its own host name, vendor class and cloud port. */
static void device_traffic(struct fp_collector *c, int k, int run)
{
    static const char *const host[] = {"alpha", "bravo", "charlie"};
    static const char *const vendor[] = {"udhcp 0.9", "udhcp 1.1", "dhcpcd 9"};
    uint8_t msg[MSG_MAX];
    size_t n = dhcp_discover(msg, host[k], vendor[k]);

    udp(c, false, 68, 67, msg, n);
    udp(c, false, 68, 67, msg, n);
    tcp(c, false, (uint16_t)(40000 + run), (uint16_t)(8000 + k), 0x02);
    tcp(c, true, (uint16_t)(8000 + k), (uint16_t)(40000 + run), 0x12);
    for (int i = 0; i < 4 + k; i++) {
        udp(c, false, (uint16_t)(41000 + run), 123, msg, 48);
    }
    if (run % 2 == 0) {
        udp(c, false, (uint16_t)(42000 + run), 1900, (const uint8_t *)"M-SEARCH * HTTP/1.1\r\n"
            "ST: ssdp:all\r\n\r\n", 37);
    }
}

static struct fp_model *train_three(struct fp_train_report *rep)
{
    struct fp_trainer *t = fp_trainer_new();
    static const char *const label[] = {"TypeA", "TypeB", "TypeC"};
    char err[ERR_LEN];
    struct fp_model *m;

    assert_non_null(t);
    for (int k = 0; k < 3; k++) {
        for (int run = 0; run < TRAIN_PER_TYPE; run++) {
            struct fp_collector *c = collector();

            device_traffic(c, k, run);
            assert_int_equal(fp_trainer_add(t, label[k], c, fp_collector_find(c, MAC_DEV)), 0);
            fp_collector_free(c);
        }
    }
    m = fp_trainer_finish(t, rep, err, sizeof(err));
    fp_trainer_free(t);
    assert_non_null(m);
    return m;
}

static void identify_new(const struct fp_model *m, int k, struct fp_result *r, bool *known)
{
    struct fp_collector *c = fp_collector_new();

    assert_non_null(c);
    device_traffic(c, k, 99);
    *known = fp_model_identify(m, fp_collector_find(c, MAC_DEV), r);
    fp_collector_free(c);
}

static void test_train_identify(void **state)
{
    struct fp_train_report rep;
    struct fp_model *m = train_three(&rep);
    struct fp_result r;
    bool known;

    (void)state;
    assert_int_equal(rep.n_docs, 3 * TRAIN_PER_TYPE);
    assert_int_equal(rep.n_labels, 3);
    assert_true(rep.loo_accuracy == 1.0);
    assert_true(rep.threshold > 0 && rep.threshold <= 1);
    for (int k = 0; k < 3; k++) {
        identify_new(m, k, &r, &known);
        assert_true(known);
        assert_string_equal(r.label, fp_model_label(m, k));
        assert_true(r.confidence >= fp_model_threshold(m));
        assert_true(r.n_evidence >= 1);
    }
    /* type C's host name tells it from the runner-up, and evidence says so */
    identify_new(m, 2, &r, &known);
    bool host_named = false;
    for (int i = 0; i < r.n_evidence; i++) {
        host_named = host_named || strstr(r.evidence[i], "dhcp.host:charlie in 6 of 6 TypeC") !=
                                       NULL;
    }
    assert_true(host_named);
    fp_model_free(m);
}

static void test_too_little_is_unknown(void **state)
{
    struct fp_train_report rep;
    struct fp_model *m = train_three(&rep);
    struct fp_collector *c = fp_collector_new();
    struct fp_result r;

    (void)state;
    assert_non_null(c);
    tcp(c, false, 40000, 8000, 0x02);
    assert_false(fp_model_identify(m, fp_collector_find(c, MAC_DEV), &r));
    assert_string_equal(r.label, "unknown");
    fp_collector_free(c);
    fp_model_free(m);
}

static void tmp_path(char *out, const char *name)
{
    snprintf(out, PATH_LEN, "/tmp/ww-test-fp-%d-%s", (int)getpid(), name);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

static void test_model_round_trip(void **state)
{
    struct fp_train_report rep;
    struct fp_model *m = train_three(&rep), *back;
    char p1[PATH_LEN], p2[PATH_LEN], err[ERR_LEN];
    struct fp_result r1, r2;
    bool k1, k2;
    char *a, *b;

    (void)state;
    tmp_path(p1, "model1");
    tmp_path(p2, "model2");
    assert_int_equal(fp_model_save(m, p1, err, sizeof(err)), 0);
    back = fp_model_load(p1, err, sizeof(err));
    assert_non_null(back);
    assert_int_equal(fp_model_n_labels(back), 3);
    assert_true(fp_model_threshold(back) == fp_model_threshold(m));
    identify_new(m, 1, &r1, &k1);
    identify_new(back, 1, &r2, &k2);
    assert_int_equal(k1, k2);
    assert_string_equal(r1.label, r2.label);
    assert_true(r1.confidence == r2.confidence);
    assert_int_equal(fp_model_save(back, p2, err, sizeof(err)), 0);
    a = slurp(p1);
    b = slurp(p2);
    assert_string_equal(a, b);
    free(a);
    free(b);
    unlink(p1);
    unlink(p2);
    fp_model_free(back);
    fp_model_free(m);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Loads text as a model; it must fail with "PATH:LINE:" and the reason. */
static void load_fails(const char *text, int line, const char *reason)
{
    char path[PATH_LEN], err[ERR_LEN], want[PATH_LEN + 16];

    tmp_path(path, "bad-model");
    write_file(path, text);
    assert_null(fp_model_load(path, err, sizeof(err)));
    snprintf(want, sizeof(want), "%s:%d:", path, line);
    if (strstr(err, want) == NULL || strstr(err, reason) == NULL) {
        fail_msg("error '%s' should have '%s' and '%s'", err, want, reason);
    }
    unlink(path);
}

static void test_model_errors(void **state)
{
    static const char head[] = "wardwatch-fingerprint-model 1\nalpha 0.1\ntemperature 5\n"
                               "threshold 0.5\nlabels 2\nlabel 3 A\nlabel 2 B\n";
    char text[1024];

    (void)state;
    load_fails("wardwatch-fingerprint-model 2\nalpha 0.1\n", 1, "version");
    load_fails("hello\n", 1, "not a wardwatch fingerprint model");
    load_fails("wardwatch-fingerprint-model 1\nalpha x\n", 2, "number");
    snprintf(text, sizeof(text), "%stokens 2\n0:3 tok one\n1:9 tok two\nend\n", head);
    load_fails(text, 10, "count");
    snprintf(text, sizeof(text), "%stokens 2\n0:3 tok one\n7:1 tok two\nend\n", head);
    load_fails(text, 10, "counts");
    snprintf(text, sizeof(text), "%stokens 2\n0:3 tok one\n0:1 tok one\nend\n", head);
    load_fails(text, 10, "repeated");
    snprintf(text, sizeof(text), "%stokens 2\n0:3 tok one\n", head);
    load_fails(text, 10, "ends early");
    snprintf(text, sizeof(text), "%stokens 1\n0:3,1:1 tok one\nnot end\n", head);
    load_fails(text, 10, "'end'");
}

static void test_labels_csv(void **state)
{
    char path[PATH_LEN], err[ERR_LEN];
    struct fp_label_row *rows;
    size_t n;

    (void)state;
    tmp_path(path, "labels.csv");
    write_file(path, "path,mac,label\na.pcap,00:11:22:33:44:55,Cam\n\n/x/b.pcap,"
                     "00-11-22-33-44-66,Plug\n");
    assert_int_equal(fp_labels_read(path, &rows, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].path, "/tmp/a.pcap");
    assert_string_equal(rows[1].path, "/x/b.pcap");
    assert_int_equal(rows[1].mac[5], 0x66);
    assert_string_equal(rows[1].label, "Plug");
    assert_int_equal(rows[1].line, 4);
    fp_labels_free(rows, n);

    write_file(path, "path,mac,label\na.pcap,00:11:22:33:44:55,Cam\nb.pcap,00:11:22:33:44,Cam\n");
    assert_int_equal(fp_labels_read(path, &rows, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":3: bad MAC"));
    write_file(path, "path,mac,label\na.pcap,00:11:22:33:44:55\n");
    assert_int_equal(fp_labels_read(path, &rows, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":2: expected 3 fields"));
    write_file(path, "path,mac,label\na.pcap,00:11:22:33:44:55,Cam,extra\n");
    assert_int_equal(fp_labels_read(path, &rows, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":2: expected 3 fields"));
    write_file(path, "path,mac,label\na.pcap,00:11:22:33:44:55,\n");
    assert_int_equal(fp_labels_read(path, &rows, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":2: label empty"));
    write_file(path, "file,mac,type\n");
    assert_int_equal(fp_labels_read(path, &rows, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, ":1: the header"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dhcp_tokens),      cmocka_unit_test(test_dhcp_truncated),
        cmocka_unit_test(test_mdns_compression), cmocka_unit_test(test_dns_pointer_loop),
        cmocka_unit_test(test_tcp_server_port),  cmocka_unit_test(test_train_identify),
        cmocka_unit_test(test_too_little_is_unknown),
        cmocka_unit_test(test_model_round_trip), cmocka_unit_test(test_model_errors),
        cmocka_unit_test(test_labels_csv),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
