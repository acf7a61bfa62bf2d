/* SPDX-License-Identifier: MIT */
/* test_inventory: vendor registries, rules files, devices, classification and their store. */
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

#include "eve_tmp.h"
#include "inventory/inventory.h"
#include "inventory/oui.h"
#include "inventory/rules.h"
#include "store/devices.h"

#define T0 1700000000000000ull

static void write_file(const char *name, const char *text)
{
    char path[EVE_TMP_PATH_LEN + 32];

    assert_int_equal(tmp_file_write(name, text, path, sizeof(path)), 0);
}

static void remove_file(const char *name)
{
    char path[EVE_TMP_PATH_LEN + 32];

    snprintf(path, sizeof(path), "%s/%s", dir_path, name);
    unlink(path);
}

static int cleanup(void **state)
{
    static const char *const names[] = {"oui.csv",        "mam.csv",        "rules.conf",
                                        "wardwatch.db",   "wardwatch.db-wal", "wardwatch.db-shm"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        remove_file(names[i]);
    }
    return remove_dir(state);
}

/* ---- oui ---- */

static void oui_longest_prefix_and_quoted_lines(void **state)
{
    static const uint8_t baxter[6] = {0x58, 0x46, 0xe1, 1, 2, 3};
    static const uint8_t in_mam[6] = {0x74, 0x1a, 0xe0, 0x9f, 0, 1};
    static const uint8_t rest_of_block[6] = {0x74, 0x1a, 0xe0, 0x10, 0, 1};
    static const uint8_t after_quote[6] = {0xe0, 0xca, 0x3c, 0, 0, 1};
    static const uint8_t local[6] = {0x5a, 0x46, 0xe1, 1, 2, 3};
    char err[OUI_ERROR_LEN];
    struct oui_table *t;

    (void)state;
    write_file("oui.csv", "Registry,Assignment,Organization Name,Organization Address\n"
                          "MA-L,5846E1,Baxter International Inc,One Baxter Parkway\n"
                          "MA-L,C404D8,Aviva Links Inc.,\"160 E Tasman Dr\n"
                          "STE 102 SAN JOSE CA US 95134 \"\n"
                          "MA-L,E0CA3C,\"Hikvision, Ltd.\",No.555 Qianmo Road\n"
                          "MA-L,741AE0,IEEE Registration Authority,somewhere\n");
    write_file("mam.csv", "Registry,Assignment,Organization Name,Organization Address\n"
                          "MA-M,741AE09,Small Maker,\n");
    t = oui_load(dir_path, err);
    assert_non_null(t);
    assert_int_equal(oui_count(t), 5);
    assert_string_equal(oui_lookup(t, baxter), "Baxter International Inc");
    assert_string_equal(oui_lookup(t, in_mam), "Small Maker");
    assert_string_equal(oui_lookup(t, rest_of_block), "IEEE Registration Authority");
    assert_string_equal(oui_lookup(t, after_quote), "Hikvision, Ltd.");
    assert_null(oui_lookup(t, local));
    oui_free(t);
}

static void oui_bad_line_named(void **state)
{
    char err[OUI_ERROR_LEN];

    (void)state;
    write_file("oui.csv", "Registry,Assignment,Organization Name,Organization Address\n"
                          "MA-L,5846E1,Baxter,x\n"
                          "MA-L,58XYE1,Broken,x\n");
    assert_null(oui_load(dir_path, err));
    assert_non_null(strstr(err, "oui.csv line 3"));
    remove_file("oui.csv");
    assert_null(oui_load(dir_path, err));
    assert_non_null(strstr(err, "ieee-data"));
}

/* ---- rules ---- */

static const char *const test_rules =
    "# a comment\n"
    "class infusion_pump life-sustaining medical Infusion pump\n"
    "class printer low it Printer\n"
    "rule infusion_pump 0.6 dhcp.vendor_class ^Alaris\n"
    "rule infusion_pump 0.6 mqtt.client_id pump\n"
    "rule printer 0.55 mdns.service ^_ipp\\._tcp\n"
    "vendor \"BD\" dhcp.vendor_class Alaris\n";

static void load_test_rules(struct rules *r)
{
    char path[EVE_TMP_PATH_LEN + 32], err[RULES_ERROR_LEN];

    write_file("rules.conf", test_rules);
    snprintf(path, sizeof(path), "%s/rules.conf", dir_path);
    memset(r, 0, sizeof(*r));
    assert_int_equal(rules_load(r, path, err), 0);
}

static void rules_read(void **state)
{
    struct rules r;

    (void)state;
    load_test_rules(&r);
    assert_int_equal(r.n_classes, 2);
    assert_int_equal(r.n_rules, 3);
    assert_int_equal(r.n_vendors, 1);
    assert_int_equal(r.classes[0].criticality, CRIT_LIFE_SUSTAINING);
    assert_string_equal(r.classes[0].description, "Infusion pump");
    assert_int_equal(r.rules[1].lineno, 5);
    assert_true(rules_match(&r.rules[0].re, "ALARIS PC", 9));
    assert_false(rules_match(&r.rules[0].re, "not Alaris", 10));
    rules_free(&r);
}

static void expect_rules_error(const char *text, const char *want)
{
    char path[EVE_TMP_PATH_LEN + 32], err[RULES_ERROR_LEN];
    struct rules r = {0};

    write_file("rules.conf", text);
    snprintf(path, sizeof(path), "%s/rules.conf", dir_path);
    assert_int_equal(rules_load(&r, path, err), -1);
    if (strstr(err, want) == NULL) {
        fail_msg("error '%s' does not say '%s'", err, want);
    }
    rules_free(&r);
}

static void rules_errors_name_the_line(void **state)
{
    (void)state;
    expect_rules_error("class a low it A\nrule b 0.5 k x\n", "line 2: unknown class 'b'");
    expect_rules_error("class a low it A\n\nrule a 1.5 k x\n", "line 3: weight");
    expect_rules_error("class a urgent it A\n", "line 1: criticality");
    expect_rules_error("class a low it A\nrule a 0.5 k (unclosed\n", "line 2: bad regular");
    expect_rules_error("klass a low it A\n", "line 1: unknown directive 'klass'");
    expect_rules_error("class a low it A\nvendor NoQuotes k x\n", "line 2: quoted vendor name");
}

/* ---- inventory ---- */

struct fixture {
    struct rules rules;
    struct eve_writer *eve;
    struct inventory *inv;
};

static void fixture_open(struct fixture *fx)
{
    struct inv_config ic;

    load_test_rules(&fx->rules);
    fx->eve = eve_open(file_path);
    assert_non_null(fx->eve);
    ic = (struct inv_config){&fx->rules, NULL, fx->eve};
    fx->inv = inventory_new(&ic);
    assert_non_null(fx->inv);
}

static void fixture_close(struct fixture *fx)
{
    inventory_free(fx->inv);
    if (fx->eve != NULL) {
        eve_close(fx->eve);
    }
    rules_free(&fx->rules);
}

static void evidence(struct inventory *inv, const uint8_t *mac, const uint8_t ip[4],
                     const char *kind, const char *value)
{
    struct proto_evidence ev = {T0, mac, 4, ip, kind, value, strlen(value), NULL, 0};

    inventory_evidence(inv, &ev);
}

static const struct inv_device *only_device(const struct inventory *inv)
{
    assert_int_equal(inventory_count(inv), 1);
    return inventory_device(inv, 0);
}

static void independent_rules_add_up(void **state)
{
    static const uint8_t mac[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
    static const uint8_t ip[4] = {10, 1, 2, 3};
    struct fixture fx;
    const struct inv_device *d;

    (void)state;
    fixture_open(&fx);
    evidence(fx.inv, mac, ip, "dhcp.vendor_class", "Alaris PC 8015");
    d = only_device(fx.inv);
    assert_string_equal(inventory_class_name(fx.inv, d), "infusion_pump");
    assert_float_equal(d->confidence, 0.6, 1e-9);
    evidence(fx.inv, mac, ip, "mqtt.client_id", "pump-17");
    assert_float_equal(d->confidence, 1 - 0.4 * 0.4, 1e-9);
    assert_int_equal(inventory_criticality(fx.inv, d), CRIT_LIFE_SUSTAINING);
    assert_string_equal(d->vendor, "BD");
    assert_string_equal(d->vendor_source, "dhcp.vendor_class");
    assert_string_equal(d->software, "Alaris PC 8015");
    assert_int_equal(d->n_addrs, 1);

    /* The same evidence again is counted, not added. */
    evidence(fx.inv, mac, ip, "mqtt.client_id", "pump-17");
    assert_int_equal(d->n_evidence, 2);
    assert_int_equal(d->evidence[1].count, 2);
    fixture_close(&fx);
}

static void weak_evidence_stays_unknown(void **state)
{
    static const uint8_t mac[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x66};
    static const uint8_t ip[4] = {10, 1, 2, 4};
    char path[EVE_TMP_PATH_LEN + 32], err[RULES_ERROR_LEN];
    struct fixture fx;
    const struct inv_device *d;

    (void)state;
    fixture_open(&fx);
    /* A user's file adds a weak rule: alone it does not decide. */
    write_file("rules.conf", "rule printer 0.3 http.server Printer\n");
    snprintf(path, sizeof(path), "%s/rules.conf", dir_path);
    assert_int_equal(rules_load(&fx.rules, path, err), 0);
    evidence(fx.inv, mac, ip, "http.server", "Printer Web 1.0");
    d = only_device(fx.inv);
    assert_string_equal(inventory_class_name(fx.inv, d), "unknown");
    assert_float_equal(d->confidence, 0.3, 1e-9);
    evidence(fx.inv, mac, ip, "mdns.service", "_ipp._tcp");
    assert_string_equal(inventory_class_name(fx.inv, d), "printer");
    assert_float_equal(d->confidence, 1 - 0.7 * 0.45, 1e-9);
    fixture_close(&fx);
}

static void device_events_written(void **state)
{
    static const uint8_t mac[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x77};
    static const uint8_t ip[4] = {10, 1, 2, 5};
    struct fixture fx;
    json_error_t jerr;
    FILE *f;
    json_t *first, *second;

    (void)state;
    fixture_open(&fx);
    evidence(fx.inv, mac, ip, "dhcp.vendor_class", "Alaris PC");
    eve_close(fx.eve);
    fx.eve = NULL;
    f = fopen(file_path, "r");
    assert_non_null(f);
    first = json_loadf(f, JSON_DISABLE_EOF_CHECK, &jerr);
    second = json_loadf(f, JSON_DISABLE_EOF_CHECK, &jerr);
    fclose(f);
    assert_non_null(first);
    assert_non_null(second);
    assert_string_equal(json_string_value(json_object_get(first, "event_type")), "device");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(first, "device"), "change")), "new");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(first, "device"), "class")), "unknown");
    json_t *dev = json_object_get(second, "device");
    assert_string_equal(json_string_value(json_object_get(dev, "change")), "identity");
    assert_string_equal(json_string_value(json_object_get(dev, "class")), "infusion_pump");
    assert_string_equal(json_string_value(json_object_get(dev, "previous_class")), "unknown");
    assert_string_equal(json_string_value(json_object_get(dev, "mac")), "00:11:22:33:44:77");
    assert_string_equal(json_string_value(json_object_get(dev, "ip")), "10.1.2.5");
    json_t *ev0 = json_array_get(json_object_get(dev, "evidence"), 0);
    assert_string_equal(json_string_value(json_object_get(ev0, "kind")), "dhcp.vendor_class");
    assert_int_equal(json_integer_value(json_object_get(ev0, "rule_line")), 4);
    json_decref(first);
    json_decref(second);
    fixture_close(&fx);
}

static void router_mac_becomes_gateway(void **state)
{
    static const uint8_t router[6] = {0x00, 0xaa, 0, 0, 0, 1};
    static const uint8_t own[4] = {10, 0, 0, 1};
    static const uint8_t internet[4] = {203, 0, 113, 9};
    static const uint8_t other_site[4] = {10, 20, 0, 7};
    struct fixture fx;
    const struct inv_device *r, *behind;

    (void)state;
    fixture_open(&fx);
    /* Seen first through a public server's traffic, then with its own address. */
    evidence(fx.inv, router, internet, "mqtt.client_id", "pump-remote");
    evidence(fx.inv, router, own, "http.server", "router-web");
    r = only_device(fx.inv);
    assert_true(r->gateway);
    assert_int_equal(r->n_addrs, 1);
    assert_memory_equal(r->addrs[0].addr, own, 4);
    /* The public server's evidence was taken back. */
    for (uint32_t i = 0; i < r->n_evidence; i++) {
        assert_string_not_equal(r->evidence[i].kind, "mqtt.client_id");
    }
    assert_string_equal(inventory_class_name(fx.inv, r), "unknown");
    /* A site address behind it is a device of its own; public ones are not devices. */
    evidence(fx.inv, router, other_site, "mqtt.client_id", "pump-9");
    evidence(fx.inv, router, internet, "http.server", "cdn");
    assert_int_equal(inventory_count(fx.inv), 2);
    behind = inventory_device(fx.inv, 1);
    assert_false(behind->has_mac);
    assert_memory_equal(behind->addr, other_site, 4);
    assert_string_equal(inventory_class_name(fx.inv, behind), "infusion_pump");
    fixture_close(&fx);
}

static void broadcast_and_multicast_are_not_devices(void **state)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t mcast_ip[4] = {239, 255, 255, 250};
    struct fixture fx;

    (void)state;
    fixture_open(&fx);
    evidence(fx.inv, bcast, mcast_ip, "mdns.service", "_ipp._tcp");
    evidence(fx.inv, NULL, mcast_ip, "mdns.service", "_ipp._tcp");
    assert_int_equal(inventory_count(fx.inv), 0);
    fixture_close(&fx);
}


/* ---- services, from flows ---- */

static void make_flow(struct ww_flow *f, uint16_t sport, enum app_proto app)
{
    static const uint8_t cmac[6] = {0x00, 0x11, 0x22, 0x00, 0x00, 0x01};
    static const uint8_t smac[6] = {0x00, 0x11, 0x22, 0x00, 0x00, 0x02};
    static const uint8_t cip[4] = {10, 0, 0, 1}, sip[4] = {10, 0, 0, 2};

    memset(f, 0, sizeof(*f));
    f->key.family = 4;
    f->key.proto = 6;
    memcpy(f->key.addr[0], cip, 4);
    memcpy(f->key.addr[1], sip, 4);
    f->key.port[0] = 40000;
    f->key.port[1] = sport;
    f->client = 0;
    memcpy(f->client_mac, cmac, 6);
    memcpy(f->server_mac, smac, 6);
    f->first_us = f->last_us = T0;
    f->dir[FLOW_TOSERVER].pkts = 3;
    f->dir[FLOW_TOCLIENT].pkts = 2;
    f->app_proto = (uint8_t)app;
}

static const struct inv_evidence *evidence_of(const struct inv_device *d, const char *kind,
                                              const char *value)
{
    for (uint32_t i = 0; i < d->n_evidence; i++) {
        if (strcmp(d->evidence[i].kind, kind) == 0 && strcmp(d->evidence[i].value, value) == 0) {
            return &d->evidence[i];
        }
    }
    fail_msg("no %s = %s", kind, value);
    return NULL;
}

static void services_counted_per_flow(void **state)
{
    static const struct {
        uint16_t port;
        enum app_proto app;
    } flows[] = {{104, APP_DICOM}, {104, APP_DICOM}, {2575, APP_HL7}, {104, APP_DICOM},
                 {50000, APP_NONE}};
    struct fixture fx;
    const struct inv_device *client, *server;

    (void)state;
    fixture_open(&fx);
    for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
        struct ww_flow f;
        uint32_t start_ids[2], ids[2];

        make_flow(&f, flows[i].port, flows[i].app);
        inventory_flow_start(fx.inv, &f, start_ids);
        inventory_flow_end(fx.inv, &f);
        inventory_flow_ids(fx.inv, &f, f.last_us, ids);
        assert_int_equal(start_ids[0], 1); /* the client came first */
        assert_int_equal(start_ids[1], 2);
        assert_memory_equal(start_ids, ids, sizeof(ids));
    }
    assert_int_equal(inventory_count(fx.inv), 2);
    client = inventory_device(fx.inv, 0);
    server = inventory_device(fx.inv, 1);
    assert_int_equal(evidence_of(server, "service.offered", "tcp/104")->count, 3);
    assert_int_equal(evidence_of(server, "app.offered", "dicom")->count, 3);
    assert_int_equal(evidence_of(server, "service.offered", "tcp/2575")->count, 1);
    assert_int_equal(evidence_of(client, "app.used", "dicom")->count, 3);
    assert_int_equal(evidence_of(client, "app.used", "hl7")->count, 1);
    /* An ephemeral server port is not a service. */
    for (uint32_t i = 0; i < server->n_evidence; i++) {
        assert_string_not_equal(server->evidence[i].value, "tcp/50000");
    }
    assert_int_equal(server->flows, 5);
    fixture_close(&fx);
}

/* ---- store ---- */

static void store_round_trip_and_merge(void **state)
{
    static const uint8_t mac[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x88};
    static const uint8_t ip[4] = {10, 1, 2, 6};
    char db[EVE_TMP_PATH_LEN + 32], err[STORE_ERROR_LEN];
    struct fixture fx;
    struct ww_store *st;
    json_t *devs, *d;

    (void)state;
    fixture_open(&fx);
    evidence(fx.inv, mac, ip, "dhcp.vendor_class", "Alaris PC");
    snprintf(db, sizeof(db), "%s/wardwatch.db", dir_path);
    assert_int_equal(store_open(db, &st, err), 0);
    assert_int_equal(store_save_devices(st, fx.inv, err), 1);
    inventory_mark_saved(fx.inv);
    assert_int_equal(store_save_devices(st, fx.inv, err), 0); /* nothing changed */
    devs = store_load_devices(st, 1, err);
    assert_non_null(devs);
    assert_int_equal(json_array_size(devs), 1);
    d = json_array_get(devs, 0);
    assert_string_equal(json_string_value(json_object_get(d, "class")), "infusion_pump");
    assert_string_equal(json_string_value(json_object_get(d, "criticality")), "life-sustaining");
    assert_string_equal(json_string_value(json_object_get(d, "mac")), "00:11:22:33:44:88");
    assert_string_equal(json_string_value(json_object_get(d, "vendor")), "BD");
    assert_int_equal(json_array_size(json_object_get(d, "decided_by")), 1);
    assert_int_equal(json_array_size(json_object_get(d, "evidence")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(d, "addresses"), 0), "address")),
                        "10.1.2.6");
    json_decref(devs);
    store_close(st);
    fixture_close(&fx);

    /* A second run with the same device merges into the same row. */
    fixture_open(&fx);
    evidence(fx.inv, mac, ip, "mqtt.client_id", "pump-3");
    assert_int_equal(store_open(db, &st, err), 0);
    assert_int_equal(store_save_devices(st, fx.inv, err), 1);
    devs = store_load_devices(st, 1, err);
    assert_int_equal(json_array_size(devs), 1);
    assert_int_equal(json_array_size(json_object_get(json_array_get(devs, 0), "evidence")), 2);
    json_decref(devs);
    store_close(st);
    fixture_close(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(oui_longest_prefix_and_quoted_lines, make_dir, cleanup),
        cmocka_unit_test_setup_teardown(oui_bad_line_named, make_dir, cleanup),
        cmocka_unit_test_setup_teardown(rules_read, make_dir, cleanup),
        cmocka_unit_test_setup_teardown(rules_errors_name_the_line, make_dir, cleanup),
        cmocka_unit_test_setup_teardown(independent_rules_add_up, make_dir, cleanup),
        cmocka_unit_test_setup_teardown(weak_evidence_stays_unknown, make_dir, cleanup),
        cmocka_unit_test_setup_teardown(device_events_written, make_dir, cleanup),
        cmocka_unit_test_setup_teardown(router_mac_becomes_gateway, make_dir, cleanup),
        cmocka_unit_test_setup_teardown(broadcast_and_multicast_are_not_devices, make_dir,
                                        cleanup),
        cmocka_unit_test_setup_teardown(services_counted_per_flow, make_dir, cleanup),
        cmocka_unit_test_setup_teardown(store_round_trip_and_merge, make_dir, cleanup),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
