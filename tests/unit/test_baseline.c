/* SPDX-License-Identifier: MIT */
/*
 * test_baseline: per-device baselines. A small site learns for LEARN_S,
 * then each kind of departure must give exactly the anomaly events it
 * should, and what was learned must give none.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "decode/decode_int.h"
#include "detect/baseline.h"
#include "eve_tmp.h"

#define T0 1700000000000000ull
#define S 1000000ull
#define LEARN_S 100

/* STRANGER is silent while the site learns. */
enum { MONITOR, ENGINE, BILLING, LAPTOP, STRANGER, N_HOSTS, OUTSIDE = N_HOSTS };

static const uint8_t macs[N_HOSTS][6] = {{0x02, 0, 0, 0, 0, 1}, {0x02, 0, 0, 0, 0, 2},
                                         {0x02, 0, 0, 0, 0, 3}, {0x02, 0, 0, 0, 0, 4},
                                         {0x02, 0, 0, 0, 0, 5}};
static const uint8_t ips[N_HOSTS + 1][4] = {{10, 0, 0, 1}, {10, 0, 0, 2}, {10, 0, 0, 3},
                                            {10, 0, 0, 4}, {10, 0, 0, 5}, {203, 0, 113, 5}};
static const uint8_t router_mac[6] = {0x02, 0, 0, 0, 0, 0xfe};
static const uint8_t router_ip[4] = {10, 0, 0, 254};

static const char *const test_rules =
    "class patient_monitor high medical Patient monitor\n"
    "class hl7_interface_engine high clinical HL7 engine\n"
    "class server medium it Server\n"
    "rule patient_monitor 0.9 dhcp.hostname ^mon\n"
    "rule hl7_interface_engine 0.9 dhcp.hostname ^engine\n"
    "rule server 0.9 dhcp.hostname ^billing\n";

struct site {
    struct rules rules;
    struct eve_writer *eve;
    struct inventory *inv;
    struct alerts *alerts;
    struct baseline *bl;
};

static json_t *alert_events; /* the alert events of the last site closed */
static uint64_t learn_s = LEARN_S; /* the learning period of the next site opened */

static void site_open(struct site *s)
{
    static const char *const names[N_HOSTS] = {"mon-bed-1", "engine", "billing", NULL, NULL};
    char path[EVE_TMP_PATH_LEN + 32], err[RULES_ERROR_LEN];

    assert_int_equal(tmp_file_write("rules.conf", test_rules, path, sizeof(path)), 0);
    memset(&s->rules, 0, sizeof(s->rules));
    assert_int_equal(rules_load(&s->rules, path, err), 0);
    unlink(path);
    s->eve = eve_open(file_path);
    assert_non_null(s->eve);
    s->inv = inventory_new(&(struct inv_config){&s->rules, NULL, s->eve});
    assert_non_null(s->inv);
    s->alerts = alerts_new(s->inv, s->eve);
    assert_non_null(s->alerts);
    s->bl = baseline_new(&(struct baseline_config){learn_s * S, s->inv, s->eve, s->alerts});
    assert_non_null(s->bl);
    for (int h = 0; h < N_HOSTS; h++) {
        if (names[h] != NULL) {
            struct proto_evidence ev = {T0, macs[h], 4, ips[h], "dhcp.hostname", names[h],
                                        strlen(names[h]), NULL, 0};

            inventory_evidence(s->inv, &ev);
        }
    }
    /* The router shows its own address first: outside addresses behind it are not its own. */
    inventory_arp(s->inv, T0, router_mac, router_ip);
}

/* Closes the site; returns the anomaly events written, as one JSON array. */
static json_t *site_close(struct site *s)
{
    json_t *all = json_array();
    char line[8192];

    json_decref(alert_events);
    alert_events = json_array();
    FILE *f;

    alerts_finish(s->alerts);
    baseline_free(s->bl);
    alerts_free(s->alerts);
    inventory_free(s->inv);
    assert_int_equal(eve_close(s->eve), 0);
    rules_free(&s->rules);
    f = fopen(file_path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        json_t *ev = json_loads(line, 0, NULL);

        assert_non_null(ev);
        if (strcmp(json_string_value(json_object_get(ev, "event_type")), "anomaly") == 0) {
            json_array_append(all, ev);
        }
        if (strcmp(json_string_value(json_object_get(ev, "event_type")), "alert") == 0) {
            json_array_append(alert_events, ev);
        }
        json_decref(ev);
    }
    fclose(f);
    return all;
}

/* A TCP flow from host c to host srv (or OUTSIDE, behind the router) on port, at t seconds. */
static void make_flow(struct ww_flow *f, int c, int srv, uint16_t port, uint64_t t)
{
    memset(f, 0, sizeof(*f));
    f->key.family = 4;
    f->key.proto = IPPROTO_NUM_TCP;
    memcpy(f->key.addr[0], ips[c], 4);
    memcpy(f->key.addr[1], ips[srv], 4);
    f->key.port[0] = 40000;
    f->key.port[1] = port;
    memcpy(f->client_mac, macs[c], 6);
    memcpy(f->server_mac, srv == OUTSIDE ? router_mac : macs[srv], 6);
    f->first_us = f->last_us = T0 + t * S;
    f->dir[FLOW_TOSERVER].pkts = 1;
}

/* A flow begins; when answered, its server replies with a SYN-ACK (else a RST). */
static void flow(struct site *s, int c, int srv, uint16_t port, uint64_t t, bool answered)
{
    struct ww_flow f;
    uint32_t ids[2];

    make_flow(&f, c, srv, port, t);
    inventory_flow_start(s->inv, &f, ids);
    baseline_flow_start(s->bl, &f, ids);
    f.dir[FLOW_TOCLIENT].pkts = 1;
    f.dir[FLOW_TOCLIENT].tcp_flags = answered ? TCP_SYN | TCP_ACK : TCP_RST | TCP_ACK;
    inventory_flow_ids(s->inv, &f, f.first_us, ids);
    baseline_flow_reply(s->bl, &f, ids, f.first_us);
}

/*
 * A flow from c to srv on port at t seconds in which the client sends
 * `sent` bytes in packets of PACKET bytes, a packet per millisecond, with
 * the checkpoints and the end the engine would give. Returns its ids.
 */
#define PACKET 1000
static void sending_flow(struct site *s, int c, int srv, uint16_t port, uint64_t t,
                         uint64_t sent)
{
    struct ww_flow f;
    uint32_t ids[2];

    make_flow(&f, c, srv, port, t);
    inventory_flow_start(s->inv, &f, ids);
    baseline_flow_start(s->bl, &f, ids);
    f.dir[FLOW_TOCLIENT].pkts = 1;
    f.dir[FLOW_TOCLIENT].tcp_flags = TCP_SYN | TCP_ACK;
    baseline_flow_reply(s->bl, &f, ids, f.first_us);
    for (uint64_t done = 0; done < sent; done += PACKET) {
        uint32_t len = sent - done < PACKET ? (uint32_t)(sent - done) : PACKET;

        f.dir[FLOW_TOSERVER].bytes += len;
        f.last_us = f.first_us + done / PACKET * 1000;
        if (baseline_checkpoint(f.dir[FLOW_TOSERVER].bytes, len)) {
            baseline_flow_checkpoint(s->bl, &f, ids, FLOW_TOSERVER, len, f.last_us);
        }
    }
    baseline_flow_end(s->bl, &f, ids);
}

/*
 * The normal day: every 10 s the monitor sends to the engine, the engine
 * 2000 bytes to the outside (12 kB in its busiest 60 s), the laptop to
 * billing.
 */
static void learn(struct site *s)
{
    for (uint64_t t = 0; t < LEARN_S; t += 10) {
        flow(s, MONITOR, ENGINE, 2575, t, true);
        sending_flow(s, ENGINE, OUTSIDE, 443, t + 1, 2000);
        flow(s, LAPTOP, BILLING, 443, t + 2, true);
    }
}

static void open_learned(struct site *s)
{
    site_open(s);
    learn(s);
}

static const char *field(json_t *ev, const char *obj, const char *key)
{
    json_t *a = json_object_get(ev, "anomaly");
    json_t *o = obj != NULL ? json_object_get(a, obj) : a;

    return json_string_value(json_object_get(o, key));
}

/* The n anomalies must be of kind, about these device addresses, in order. */
static void expect(json_t *all, const char *kind, const char *const *device_ips, size_t n)
{
    size_t got = 0;

    for (size_t i = 0; i < json_array_size(all); i++) {
        json_t *ev = json_array_get(all, i);

        if (strcmp(field(ev, NULL, "kind"), kind) != 0) {
            continue;
        }
        assert_true(got < n);
        assert_string_equal(field(ev, "device", "ip"), device_ips[got]);
        assert_string_equal(field(ev, NULL, "type"), "behaviour");
        got++;
    }
    assert_int_equal(got, n);
}

static void learned_traffic_is_quiet(void **state)
{
    struct site s;
    json_t *all;

    (void)state;
    open_learned(&s);
    for (uint64_t t = LEARN_S; t < 3 * LEARN_S; t += 10) {
        flow(&s, MONITOR, ENGINE, 2575, t, true);
        sending_flow(&s, ENGINE, OUTSIDE, 443, t + 1, 2000);
    }
    assert_false(baseline_stats(s.bl)->learning);
    assert_int_equal(baseline_stats(s.bl)->devices_learned, 4);
    all = site_close(&s);
    assert_int_equal(json_array_size(all), 0);
    json_decref(all);
}

static void monitor_reaching_billing(void **state)
{
    static const char *const who[] = {"10.0.0.1", "10.0.0.3"};
    struct site s;
    json_t *all, *ev;

    (void)state;
    open_learned(&s);
    for (int i = 0; i < 5; i++) { /* one departure, reported once */
        flow(&s, MONITOR, BILLING, 443, 200 + i, true);
    }
    assert_int_equal(baseline_stats(s.bl)->repeats, 8);
    all = site_close(&s);
    expect(all, "new_peer_class", who, 2);
    ev = json_array_get(all, 0);
    assert_string_equal(field(ev, NULL, "severity"), "high");
    assert_non_null(strstr(field(ev, NULL, "reason"),
                           "patient monitor mon-bed-1 (10.0.0.1) opened TCP/443 to server billing "
                           "(10.0.0.3), a peer class (server) it never contacted"));
    assert_string_equal(field(ev, "peer", "class"), "server");
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(ev, "anomaly"), "expected"), 0)),
                        "opened to hl7_interface_engine on TCP/2575");
    json_decref(all);
}

/*
 * Every departure counts in its device's alert: the monitor's 5 flows to
 * billing make one alert written at counts 1, 2 and 4, then 5 at the end;
 * billing's own departures make another. Severity from criticality:
 * the monitor (high) 1, billing (medium) 2.
 */
static void anomalies_merge_into_alerts(void **state)
{
    struct site s;
    json_t *all;
    int64_t counts[8];
    size_t n_monitor = 0;

    (void)state;
    open_learned(&s);
    for (int i = 0; i < 5; i++) {
        flow(&s, MONITOR, BILLING, 443, 200 + i, true);
    }
    all = site_close(&s);
    for (size_t i = 0; i < json_array_size(alert_events); i++) {
        json_t *ev = json_array_get(alert_events, i);
        json_t *al = json_object_get(ev, "alert");
        const char *ip = json_string_value(json_object_get(ev, "src_ip"));

        if (strcmp(ip, "10.0.0.1") == 0) {
            assert_int_equal(json_integer_value(json_object_get(al, "severity")), 1);
            counts[n_monitor++] = json_integer_value(json_object_get(al, "count"));
        } else {
            assert_string_equal(ip, "10.0.0.3");
            assert_int_equal(json_integer_value(json_object_get(al, "severity")), 2);
        }
    }
    assert_int_equal(n_monitor, 4);
    assert_int_equal(counts[0], 1);
    assert_int_equal(counts[1], 2);
    assert_int_equal(counts[2], 4);
    assert_int_equal(counts[3], 5);
    json_decref(all);
}

static void first_outside_contact(void **state)
{
    static const char *const monitor[] = {"10.0.0.1"};
    static const char *const engine[] = {"10.0.0.2"};
    struct site s;
    json_t *all;

    (void)state;
    open_learned(&s);
    flow(&s, MONITOR, OUTSIDE, 104, 200, true); /* never outside before */
    flow(&s, ENGINE, OUTSIDE, 443, 201, true);  /* as learned */
    flow(&s, ENGINE, OUTSIDE, 22, 202, true);   /* outside, but a new service */
    all = site_close(&s);
    expect(all, "first_outside", monitor, 1);
    expect(all, "new_peer_class", engine, 1);
    assert_non_null(strstr(field(json_array_get(all, 0), NULL, "reason"),
                           "opened TCP/104 to outside address 203.0.113.5; it had no traffic "
                           "with outside addresses"));
    json_decref(all);
}

static void new_service_answered(void **state)
{
    static const char *const engine[] = {"10.0.0.2"};
    struct site s;
    json_t *all;

    (void)state;
    open_learned(&s);
    flow(&s, MONITOR, ENGINE, 23, 200, false); /* refused: no service */
    flow(&s, MONITOR, ENGINE, 23, 201, true);  /* answered: a new service */
    flow(&s, MONITOR, ENGINE, 2575, 202, true);
    all = site_close(&s);
    expect(all, "new_service", engine, 1);
    json_decref(all);
}

static void arp_rebind(void **state)
{
    static const char *const laptop[] = {"10.0.0.4"};
    struct site s;
    json_t *all;
    uint32_t id;

    (void)state;
    site_open(&s);
    id = inventory_arp(s.inv, T0, macs[MONITOR], ips[MONITOR]);
    baseline_arp(s.bl, T0, macs[MONITOR], ips[MONITOR], id);
    learn(&s);
    id = inventory_arp(s.inv, T0 + 200 * S, macs[LAPTOP], ips[MONITOR]); /* the spoof */
    baseline_arp(s.bl, T0 + 200 * S, macs[LAPTOP], ips[MONITOR], id);
    id = inventory_arp(s.inv, T0 + 201 * S, macs[MONITOR], ips[MONITOR]);
    baseline_arp(s.bl, T0 + 201 * S, macs[MONITOR], ips[MONITOR], id);
    id = inventory_arp(s.inv, T0 + 202 * S, macs[STRANGER], ips[STRANGER]); /* never seen */
    baseline_arp(s.bl, T0 + 202 * S, macs[STRANGER], ips[STRANGER], id);
    all = site_close(&s);
    expect(all, "arp_rebind", laptop, 1);
    assert_int_equal(json_array_size(all), 1);
    json_decref(all);
}

static void new_device(void **state)
{
    static const char *const stranger[] = {"10.0.0.5"};
    struct site s;
    json_t *all;

    (void)state;
    open_learned(&s);
    flow(&s, STRANGER, ENGINE, 2575, 200, true);
    flow(&s, STRANGER, BILLING, 443, 201, true); /* the same device: reported once */
    all = site_close(&s);
    expect(all, "new_device", stranger, 1);
    assert_non_null(strstr(field(json_array_get(all, 0), NULL, "reason"),
                           "device (10.0.0.5) appeared after learning: it was not seen in 100 s "
                           "of learning; its first flow opened TCP/2575 to hl7 interface engine "
                           "engine (10.0.0.2)"));
    /*
     * The engine never had a peer without a class on TCP/2575: an anomaly.
     * Billing had one on TCP/443 (the laptop): none.
     */
    assert_int_equal(json_array_size(all), 2);
    assert_string_equal(field(json_array_get(all, 1), NULL, "kind"), "new_peer_class");
    assert_string_equal(field(json_array_get(all, 1), "device", "ip"), "10.0.0.2");
    json_decref(all);
}

static void flow_rate(void **state)
{
    static const char *const laptop[] = {"10.0.0.4"};
    struct site s;
    json_t *all;

    (void)state;
    open_learned(&s);
    /* 40 flows within 20 s where it opened one per 10 s: past the floor of 30. */
    for (int i = 0; i < 40; i++) {
        flow(&s, LAPTOP, BILLING, 443, 200 + i / 2, true);
    }
    all = site_close(&s);
    expect(all, "flow_rate", laptop, 1);
    assert_non_null(strstr(field(json_array_get(all, 0), NULL, "reason"),
                           "opened more than 30 flows within 60 s; the most it opened in any "
                           "60 s of learning was 6"));
    json_decref(all);
}

static void reply_seen_first_is_turned_round(void **state)
{
    struct site s;
    struct ww_flow f;
    uint32_t ids[2];
    json_t *all;

    (void)state;
    open_learned(&s);
    /* A UDP answer from the engine's port 53 seen before its question. */
    make_flow(&f, ENGINE, MONITOR, 41000, 200);
    f.key.proto = IPPROTO_NUM_UDP;
    f.key.port[0] = 53;
    inventory_flow_start(s.inv, &f, ids);
    baseline_flow_start(s.bl, &f, ids);
    all = site_close(&s);
    /* Read the right way round: the monitor asked the engine on UDP/53, which is new. */
    assert_int_equal(json_array_size(all), 2);
    assert_non_null(strstr(field(json_array_get(all, 0), NULL, "reason"), "UDP/53"));
    json_decref(all);
}

/*
 * 40 kB within a window is inside 4 times the learned 12 kB, but past it:
 * the band drifts an eighth of the way, to 15.5 kB. The next window's
 * 200 kB is far past: at the checkpoint of 65 536 bytes it is reported.
 */
static void volume_far_past_band(void **state)
{
    static const char *const engine[] = {"10.0.0.2"};
    struct site s;
    json_t *all;

    (void)state;
    open_learned(&s);
    sending_flow(&s, ENGINE, OUTSIDE, 443, 200, 40000);
    sending_flow(&s, ENGINE, OUTSIDE, 443, 270, 200000);
    all = site_close(&s);
    expect(all, "volume", engine, 1);
    assert_int_equal(json_array_size(all), 1);
    assert_non_null(strstr(field(json_array_get(all, 0), NULL, "reason"),
                           "engine (10.0.0.2) sent 65.5 kB to outside addresses on TCP/443 within "
                           "60 s; the most it sent to them on that service in any 60 s of "
                           "learning was 15.5 kB"));
    assert_non_null(strstr(field(json_array_get(all, 0), NULL, "departure"), ":1700000270:65536"));
    json_decref(all);
}

/*
 * A device sending to a peer class it never sent to starts from a band of
 * 0 bytes: 8000 bytes are under the floor (and drift the band to 1000),
 * 20 000 bytes are reported at the checkpoint of 16 384.
 */
static void volume_to_new_class(void **state)
{
    struct site s;
    json_t *all;
    int n_volume = 0;

    (void)state;
    open_learned(&s);
    sending_flow(&s, MONITOR, BILLING, 443, 200, 8000);  /* under the floor */
    sending_flow(&s, MONITOR, BILLING, 443, 300, 20000); /* over it */
    all = site_close(&s);
    for (size_t i = 0; i < json_array_size(all); i++) {
        if (strcmp(field(json_array_get(all, i), NULL, "kind"), "volume") == 0) {
            assert_non_null(strstr(field(json_array_get(all, i), NULL, "reason"),
                                   "sent 16.4 kB to server billing (10.0.0.3) on TCP/443 within "
                                   "60 s; the most it sent to a peer of that class on that "
                                   "service in any 60 s of learning was 1000 bytes"));
            n_volume++;
        }
    }
    assert_int_equal(n_volume, 1);
    json_decref(all);
}

/* Seconds from T0 (22:13:20 UTC) to the given time of day on day 0 or 1. */
static uint64_t at_hour(int day, int hour)
{
    return 6400 + (uint64_t)day * 86400 + (uint64_t)hour * 3600;
}

/* 40 flows from the laptop to billing within 20 s, from t. */
static void laptop_burst(struct site *s, uint64_t t)
{
    for (int i = 0; i < 40; i++) {
        flow(s, LAPTOP, BILLING, 443, t + i / 2, true);
    }
}

/*
 * A day of learning: the laptop bursts at 09:00 and opens one flow at
 * 02:00. The next day its burst at 09:00 is normal; the same at 02:00 is
 * an anomaly, judged by the hours around 02:00 alone.
 */
static void flow_rate_by_hour_of_day(void **state)
{
    static const char *const laptop[] = {"10.0.0.4"};
    struct site s;
    json_t *all;

    (void)state;
    learn_s = at_hour(1, 0);
    open_learned(&s);
    flow(&s, LAPTOP, BILLING, 443, at_hour(0, 2), true);
    laptop_burst(&s, at_hour(0, 9));
    laptop_burst(&s, at_hour(1, 2));
    laptop_burst(&s, at_hour(1, 9));
    learn_s = LEARN_S;
    all = site_close(&s);
    expect(all, "flow_rate", laptop, 1);
    assert_non_null(strstr(field(json_array_get(all, 0), NULL, "reason"),
                           "opened more than 30 flows within 60 s; the most it opened in any "
                           "60 s of learning around this hour of the day was 1"));
    json_decref(all);
}

/* The departures of a run in which the monitor reaches billing and the engine sends much. */
static json_t *departing_run(const char *const *accept, size_t n_accept)
{
    struct site s;

    open_learned(&s);
    for (size_t i = 0; i < n_accept; i++) {
        assert_int_equal(baseline_accept(s.bl, accept[i]), 0);
    }
    flow(&s, MONITOR, BILLING, 443, 200, true);
    sending_flow(&s, ENGINE, OUTSIDE, 443, 201, 200000);
    return site_close(&s);
}

/*
 * An analyst accepts every departure of a run (the event's "departure");
 * the same run again, with the verdicts given after learning, is quiet.
 */
static void accepted_departures_widen(void **state)
{
    json_t *all = departing_run(NULL, 0), *again;
    const char *departures[8];
    size_t n = json_array_size(all);
    struct site s;

    (void)state;
    assert_int_equal(n, 3); /* the monitor's and billing's new peer class, the engine's volume */
    for (size_t i = 0; i < n; i++) {
        departures[i] = field(json_array_get(all, i), NULL, "departure");
    }
    again = departing_run(departures, n);
    assert_int_equal(json_array_size(again), 0);
    json_decref(again);
    json_decref(all);

    open_learned(&s);
    assert_int_equal(baseline_accept(s.bl, "no_such_kind:1"), -1);
    assert_int_equal(baseline_accept(s.bl, "volume:2"), -1);
    assert_int_equal(baseline_accept(s.bl, "new_device:99999999"), -1);
    assert_int_equal(baseline_accept(s.bl, "volume:2:0:443:0:1"), -1); /* no such record */
    assert_int_equal(baseline_accept(s.bl, ""), -1);
    json_decref(site_close(&s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(learned_traffic_is_quiet),
        cmocka_unit_test(monitor_reaching_billing),
        cmocka_unit_test(anomalies_merge_into_alerts),
        cmocka_unit_test(first_outside_contact),
        cmocka_unit_test(new_service_answered),
        cmocka_unit_test(arp_rebind),
        cmocka_unit_test(new_device),
        cmocka_unit_test(flow_rate),
        cmocka_unit_test(reply_seen_first_is_turned_round),
        cmocka_unit_test(volume_far_past_band),
        cmocka_unit_test(volume_to_new_class),
        cmocka_unit_test(flow_rate_by_hour_of_day),
        cmocka_unit_test(accepted_departures_widen),
    };

    int rc = cmocka_run_group_tests(tests, make_dir, remove_dir);

    json_decref(alert_events);
    return rc;
}
