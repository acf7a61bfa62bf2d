/* SPDX-License-Identifier: MIT */
/*
 * test_assess: the findings. A small site (a monitor, an HL7 engine, a
 * legacy pump, a workstation, an address outside) is fed the evidence,
 * credentials and flows the engine would give; each case must raise
 * exactly the findings it should, and the default-credentials catalog
 * must read, match and refuse what it should.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "assess/assess.h"
#include "decode/decode_int.h"
#include "eve_tmp.h"

#define T0 1700000000000000ull /* 2023-11-14 */
#define S 1000000ull

enum { MONITOR, ENGINE, PUMP, LAPTOP, N_HOSTS, OUTSIDE = N_HOSTS };

static const uint8_t macs[N_HOSTS][6] = {{0x02, 0, 0, 0, 0, 1}, {0x02, 0, 0, 0, 0, 2},
                                         {0x00, 0x80, 0xa3, 0, 0, 3}, {0x02, 0, 0, 0, 0, 4}};
static const uint8_t ips[N_HOSTS + 1][4] = {{10, 0, 0, 1}, {10, 0, 0, 2}, {10, 0, 0, 3},
                                            {10, 0, 0, 4}, {203, 0, 113, 5}};
static const uint8_t router_mac[6] = {0x02, 0, 0, 0, 0, 0xfe};
static const uint8_t router_ip[4] = {10, 0, 0, 254};

static const char *const test_rules =
    "class patient_monitor high medical Patient monitor\n"
    "class hl7_interface_engine high clinical-it HL7 engine\n"
    "class infusion_pump life-sustaining medical Infusion pump\n"
    "class workstation low it Workstation\n"
    "rule patient_monitor 0.9 dhcp.hostname ^mon\n"
    "rule hl7_interface_engine 0.9 dhcp.hostname ^engine\n"
    "rule infusion_pump 0.9 dhcp.hostname ^pump\n"
    "rule workstation 0.9 dhcp.hostname ^laptop\n"
    "vendor \"Lantronix\" dhcp.hostname ^pump\n";

static const char *const test_catalog =
    "# a comment, then a blank line\n"
    "\n"
    "Lantronix | SLC console manager | telnet,http | sysadmin | PASS | Lantronix SLC guide\n"
    "MikroTik  | RouterOS            | any         | admin    | (none) | RouterOS manual\n"
    "Acme      | Widget              | ftp         | sysadmin | PASS | Acme manual\n";

static const char *const test_vulns =
    "CVE-2020-0001 | Lantronix | Pump 7 | device | pump-7 | all | 5.0/3.1 | no | ICSMA-1 | "
    "takeover\n"
    "CVE-2020-0002 | BusyBox | BusyBox | software | udhcp | <=1.35.0 | 8.8/3.1 | no | NVD | "
    "applet flaw\n"
    "CVE-2020-0003 | Philips | Monitor | device | mon-bed | all | 9.8/3.1 | yes | ICSMA-3 | "
    "another maker's product\n";

static const char *const test_lifecycle =
    "# software | match | versions | ended | source\n"
    "Windows 8.1 and older | windows nt ([0-9]+)\\.([0-9]+) | <10.0 | 2023-01-10 | lifecycle\n"
    "Windows CE | windows ce | all | 2023-10-10 | lifecycle\n";

struct site {
    struct rules rules;
    struct eve_writer *eve;
    struct inventory *inv;
    struct cred_catalog *creds;
    struct vuln_catalog *vulns;
    struct lifecycle *eol;
    struct assess *as;
};

static void site_open(struct site *s)
{
    static const char *const names[N_HOSTS] = {"mon-bed-1", "engine", "pump-7", "laptop"};
    char path[EVE_TMP_PATH_LEN + 32], err[RULES_ERROR_LEN];

    assert_int_equal(tmp_file_write("rules.conf", test_rules, path, sizeof(path)), 0);
    memset(&s->rules, 0, sizeof(s->rules));
    assert_int_equal(rules_load(&s->rules, path, err), 0);
    assert_int_equal(tmp_file_write("creds.conf", test_catalog, path, sizeof(path)), 0);
    s->creds = cred_load(path, err);
    assert_non_null(s->creds);
    assert_int_equal(tmp_file_write("vulns.conf", test_vulns, path, sizeof(path)), 0);
    s->vulns = vuln_load(path, err);
    assert_non_null(s->vulns);
    assert_int_equal(tmp_file_write("eol.conf", test_lifecycle, path, sizeof(path)), 0);
    s->eol = lifecycle_load(path, err);
    assert_non_null(s->eol);
    s->eve = eve_open(file_path);
    assert_non_null(s->eve);
    s->inv = inventory_new(&(struct inv_config){&s->rules, NULL, s->eve});
    assert_non_null(s->inv);
    s->as = assess_new(&(struct assess_config){s->inv, s->eve, s->creds, s->vulns, s->eol});
    assert_non_null(s->as);
    for (int h = 0; h < N_HOSTS; h++) {
        struct proto_evidence ev = {T0, macs[h], 4, ips[h], "dhcp.hostname", names[h],
                                    strlen(names[h]), NULL, 0};

        inventory_evidence(s->inv, &ev);
    }
    inventory_arp(s->inv, T0, router_mac, router_ip);
}

static void site_close(struct site *s)
{
    assess_free(s->as);
    cred_free(s->creds);
    vuln_free(s->vulns);
    lifecycle_free(s->eol);
    inventory_free(s->inv);
    assert_int_equal(eve_close(s->eve), 0);
    rules_free(&s->rules);
}

/* A TCP flow from c to srv (OUTSIDE: behind the router) on port at t seconds, answered. */
static void open_flow(struct site *s, struct ww_flow *f, int c, int srv, uint16_t port,
                      uint64_t t)
{
    uint32_t ids[2];

    memset(f, 0, sizeof(*f));
    f->key.family = 4;
    f->key.proto = IPPROTO_NUM_TCP;
    memcpy(f->key.addr[0], ips[c], 4);
    memcpy(f->key.addr[1], ips[srv], 4);
    f->key.port[0] = 40000;
    f->key.port[1] = port;
    memcpy(f->client_mac, c == OUTSIDE ? router_mac : macs[c], 6);
    memcpy(f->server_mac, srv == OUTSIDE ? router_mac : macs[srv], 6);
    f->first_us = f->last_us = T0 + t * S;
    f->dir[FLOW_TOSERVER].pkts = 1;
    inventory_flow_start(s->inv, f, ids);
    f->dir[FLOW_TOCLIENT].pkts = 1;
    f->dir[FLOW_TOCLIENT].tcp_flags = TCP_SYN | TCP_ACK;
    inventory_flow_ids(s->inv, f, f->first_us, ids);
    assess_flow_reply(s->as, f, ids, f->first_us);
}

/* Evidence about one side (0 client, 1 server) of f. */
static void evidence(struct site *s, const struct ww_flow *f, int side, const char *kind,
                     const char *value)
{
    struct proto_evidence ev = {f->first_us, side == 0 ? f->client_mac : f->server_mac, 4,
                                f->key.addr[side], kind, value, strlen(value), f, side};

    inventory_evidence(s->inv, &ev);
    assess_evidence(s->as, &ev);
}

static void credential(struct site *s, const struct ww_flow *f, const char *service,
                       const char *user, const char *secret)
{
    struct proto_credential c = {f->first_us, f, service, (const uint8_t *)user,
                                 (const uint8_t *)secret, strlen(user), strlen(secret)};

    assess_credential(s->as, &c);
}

/* The one finding of kind on host h (by its inventory id), or NULL; fails on two. */
static const struct finding *found(const struct site *s, enum finding_kind kind, int h)
{
    const struct finding *hit = NULL;

    for (size_t i = 0; i < assess_count(s->as); i++) {
        const struct finding *f = assess_finding(s->as, i);
        const struct inv_device *d = inventory_device_by_id(s->inv, f->device);

        if (f->kind == kind && d != NULL && memcmp(d->mac, macs[h], 6) == 0) {
            assert_null(hit);
            hit = f;
        }
    }
    return hit;
}

/* ---- the catalog --------------------------------------------------------- */

static void catalog_reads_and_matches(void **state)
{
    struct site s;
    size_t from = 0;
    const struct cred_entry *e;

    (void)state;
    site_open(&s);
    assert_int_equal(cred_count(s.creds), 3);
    e = cred_match(s.creds, "telnet", (const uint8_t *)"sysadmin", 8, (const uint8_t *)"PASS", 4,
                   &from);
    assert_non_null(e);
    assert_string_equal(e->vendor, "Lantronix");
    assert_int_equal(e->line, 3);
    /* the same pair on the Acme line is for FTP only */
    assert_null(cred_match(s.creds, "telnet", (const uint8_t *)"sysadmin", 8,
                           (const uint8_t *)"PASS", 4, &from));
    from = 0;
    e = cred_match(s.creds, "ftp", (const uint8_t *)"sysadmin", 8, (const uint8_t *)"PASS", 4,
                   &from);
    assert_non_null(e);
    assert_string_equal(e->vendor, "Acme");
    from = 0;
    assert_null(cred_match(s.creds, "telnet", (const uint8_t *)"sysadmin", 8,
                           (const uint8_t *)"pass", 4, &from));
    from = 0;
    e = cred_match(s.creds, "mqtt", (const uint8_t *)"admin", 5, (const uint8_t *)"", 0, &from);
    assert_non_null(e); /* "(none)": an empty password, on any service */
    assert_string_equal(e->vendor, "MikroTik");
    assert_true(cred_vendor_matches(e, "MikroTik SIA"));
    assert_true(cred_vendor_matches(e, "Routers by mikrotik"));
    assert_false(cred_vendor_matches(e, "NotMikroTik Ltd"));
    assert_false(cred_vendor_matches(e, ""));
    site_close(&s);
}

static void catalog_bad_line_named(void **state)
{
    char path[EVE_TMP_PATH_LEN + 32], err[CRED_ERROR_LEN];

    (void)state;
    assert_int_equal(tmp_file_write("bad.conf",
                                    "# ok\nA | B | telnet | u | p | src\nA | B | telnet | u\n",
                                    path, sizeof(path)),
                     0);
    assert_null(cred_load(path, err));
    assert_non_null(strstr(err, "bad.conf:3: 4 fields, want 6"));
    assert_int_equal(tmp_file_write("bad2.conf", "A | B |  | u | p | src\n", path,
                                    sizeof(path)),
                     0);
    assert_null(cred_load(path, err));
    assert_non_null(strstr(err, "bad2.conf:1: the vendor, services and source"));
    assert_null(cred_load("/nonexistent/creds.conf", err));
    assert_non_null(strstr(err, "/nonexistent/creds.conf: "));
}

/* ---- logins -------------------------------------------------------------- */

static void default_password_login(void **state)
{
    struct site s;
    struct ww_flow f;
    const struct finding *d, *c, *l;

    (void)state;
    site_open(&s);
    open_flow(&s, &f, LAPTOP, PUMP, 23, 10);
    credential(&s, &f, "telnet", "sysadmin", "wrong");
    evidence(&s, &f, 1, "login.telnet", "failure");
    assert_null(found(&s, FIND_DEFAULT_CREDENTIALS, PUMP));
    credential(&s, &f, "telnet", "sysadmin", "PASS");
    evidence(&s, &f, 1, "login.telnet", "success");
    d = found(&s, FIND_DEFAULT_CREDENTIALS, PUMP);
    c = found(&s, FIND_CLEARTEXT_LOGIN, PUMP);
    l = found(&s, FIND_LEGACY_SERVICE, PUMP);
    assert_non_null(d);
    assert_non_null(c);
    assert_non_null(l);
    assert_int_equal(d->severity, FIND_HIGH);
    assert_int_equal(c->count, 2); /* the failure and the success */
    assert_int_equal(l->severity, FIND_HIGH); /* medium, one up on a life-sustaining pump */
    assert_string_equal(l->detail, "tcp/23");
    assert_non_null(strstr(d->evidence, "\"sysadmin\""));
    assert_non_null(strstr(d->evidence, "Lantronix SLC console manager"));
    assert_null(strstr(d->evidence, "the device's maker is not")); /* the rules name it */
    assert_null(strstr(d->evidence, "PASS"));                       /* never the password */
    assert_int_equal(assess_count(s.as), 3);
    site_close(&s);
}

/* A login that fails, or succeeds with another password, is in clear and nothing more. */
static void other_logins_in_clear_only(void **state)
{
    struct site s;
    struct ww_flow f, g;

    (void)state;
    site_open(&s);
    open_flow(&s, &f, LAPTOP, ENGINE, 8080, 10);
    credential(&s, &f, "http", "sysadmin", "PASS"); /* a default, but not accepted */
    evidence(&s, &f, 1, "login.http_basic", "failure");
    open_flow(&s, &g, LAPTOP, ENGINE, 8080, 11);
    credential(&s, &g, "http", "sysadmin", "Secret-1");
    evidence(&s, &g, 1, "login.http_basic", "success");
    assert_null(found(&s, FIND_DEFAULT_CREDENTIALS, ENGINE));
    assert_non_null(found(&s, FIND_CLEARTEXT_LOGIN, ENGINE));
    assert_int_equal(assess_count(s.as), 1);
    site_close(&s);
}

/* A default of another maker's product is still reported, and says so. */
static void default_of_another_maker(void **state)
{
    struct site s;
    struct ww_flow f;
    const struct finding *d;

    (void)state;
    site_open(&s);
    open_flow(&s, &f, LAPTOP, ENGINE, 8080, 10);
    credential(&s, &f, "http", "admin", "");
    evidence(&s, &f, 1, "login.http_basic", "success");
    d = found(&s, FIND_DEFAULT_CREDENTIALS, ENGINE);
    assert_non_null(d);
    assert_non_null(strstr(d->evidence, "MikroTik RouterOS"));
    assert_non_null(strstr(d->evidence, "the device's maker is not that vendor"));
    site_close(&s);
}

static void mqtt_without_credentials(void **state)
{
    struct site s;
    struct ww_flow f;
    const struct finding *m;

    (void)state;
    site_open(&s);
    open_flow(&s, &f, MONITOR, ENGINE, 1883, 10);
    evidence(&s, &f, 1, "mqtt.anonymous", "accepted");
    m = found(&s, FIND_MQTT_ANONYMOUS, ENGINE);
    assert_non_null(m);
    assert_int_equal(m->severity, FIND_HIGH); /* medium, one up on a high-criticality engine */
    assert_int_equal(assess_count(s.as), 1);
    site_close(&s);
}

/* ---- patient data -------------------------------------------------------- */

static void patient_data_in_clear(void **state)
{
    struct site s;
    struct ww_flow f, g;
    const struct finding *h, *d;

    (void)state;
    site_open(&s);
    open_flow(&s, &f, MONITOR, ENGINE, 2575, 10);
    evidence(&s, &f, 0, "hl7.pid", "sent in clear");
    evidence(&s, &f, 0, "hl7.pid", "sent in clear");
    open_flow(&s, &g, MONITOR, OUTSIDE, 104, 20);
    evidence(&s, &g, 0, "dicom.c_store", "CT Image Storage");
    h = found(&s, FIND_PHI_HL7_CLEAR, MONITOR);
    d = found(&s, FIND_DICOM_STORE_CLEAR, MONITOR);
    assert_non_null(h);
    assert_non_null(d);
    assert_int_equal(h->count, 2);
    assert_string_equal(h->detail, "to:10.0.0.2");
    assert_int_not_equal(h->peer, 0);
    assert_non_null(strstr(h->evidence, "engine (10.0.0.2)"));
    assert_non_null(strstr(d->evidence, "CT Image Storage to 203.0.113.5"));
    assert_null(found(&s, FIND_PHI_HL7_CLEAR, ENGINE)); /* the sender's, not the receiver's */
    site_close(&s);
}

/* ---- transport security -------------------------------------------------- */

static void weak_tls_on_the_server(void **state)
{
    struct site s;
    struct ww_flow f;

    (void)state;
    site_open(&s);
    open_flow(&s, &f, LAPTOP, ENGINE, 443, 10);
    evidence(&s, &f, 1, "tls.version", "TLS 1.2");
    evidence(&s, &f, 1, "tls.cipher", "0xc02f");
    evidence(&s, &f, 1, "tls.cert_not_after", "2030-01-01T00:00:00");
    assert_int_equal(assess_count(s.as), 0);
    evidence(&s, &f, 0, "tls.cert_self_signed", "issuer is subject"); /* a client's own */
    assert_int_equal(assess_count(s.as), 0);
    evidence(&s, &f, 1, "tls.version", "TLSv1");
    evidence(&s, &f, 1, "tls.cipher", "0x0005");
    evidence(&s, &f, 1, "tls.cert_not_after", "2020-01-01T00:00:00");
    evidence(&s, &f, 1, "tls.cert_self_signed", "issuer is subject");
    assert_non_null(found(&s, FIND_OBSOLETE_TLS, ENGINE));
    assert_non_null(strstr(found(&s, FIND_WEAK_CIPHER, ENGINE)->evidence, "(RC4)"));
    assert_non_null(found(&s, FIND_EXPIRED_CERT, ENGINE));
    assert_int_equal(found(&s, FIND_SELF_SIGNED_CERT, ENGINE)->severity, FIND_MEDIUM);
    assert_int_equal(assess_count(s.as), 4);
    site_close(&s);
}

/* ---- exposure ------------------------------------------------------------ */

static void internet_exposure_and_contact(void **state)
{
    struct site s;
    struct ww_flow f;
    const struct finding *c;

    (void)state;
    site_open(&s);
    open_flow(&s, &f, OUTSIDE, ENGINE, 443, 10);
    open_flow(&s, &f, MONITOR, OUTSIDE, 443, 20);
    open_flow(&s, &f, MONITOR, OUTSIDE, 443, 30);
    open_flow(&s, &f, LAPTOP, OUTSIDE, 443, 40); /* a workstation's browsing: no finding */
    assert_non_null(found(&s, FIND_INTERNET_EXPOSED, ENGINE));
    assert_null(found(&s, FIND_INTERNET_CONTACT, MONITOR)); /* judged at the end */
    assess_finish(s.as);
    c = found(&s, FIND_INTERNET_CONTACT, MONITOR);
    assert_non_null(c);
    assert_int_equal(c->count, 2);
    assert_non_null(strstr(c->evidence, "opened 2 flows to internet addresses, the first to "
                                        "203.0.113.5 on tcp/443"));
    assert_null(found(&s, FIND_INTERNET_CONTACT, LAPTOP));
    assert_non_null(found(&s, FIND_VULNERABILITY, PUMP)); /* the catalog's, at the end too */
    assert_int_equal(assess_count(s.as), 3);
    site_close(&s);
}

/* At the end, every device against the catalog: maker and product, or software and version. */
static void known_vulnerabilities(void **state)
{
    struct site s;
    struct ww_flow f;
    const struct finding *v;

    (void)state;
    site_open(&s);
    open_flow(&s, &f, MONITOR, ENGINE, 2575, 10);
    evidence(&s, &f, 0, "dhcp.vendor_class", "udhcp 1.36.1"); /* a version not affected */
    evidence(&s, &f, 1, "dhcp.vendor_class", "udhcp 1.35.0");
    assess_finish(s.as);
    v = found(&s, FIND_VULNERABILITY, PUMP);
    assert_non_null(v);
    assert_string_equal(v->detail, "CVE-2020-0001");
    assert_int_equal(v->severity, FIND_HIGH); /* CVSS 5.0 is medium, one up on the pump */
    assert_non_null(strstr(v->evidence, "Matched on dhcp.hostname \"pump-7\" and the maker"));
    assert_non_null(strstr(v->evidence, "confidence high"));
    v = found(&s, FIND_VULNERABILITY, ENGINE);
    assert_non_null(v);
    assert_string_equal(v->detail, "CVE-2020-0002");
    assert_non_null(strstr(v->evidence, "version 1.35.0"));
    /* the monitor's udhcp 1.36.1 is not affected; its hostname names a Philips product,
     * but its maker is not Philips */
    assert_null(found(&s, FIND_VULNERABILITY, MONITOR));
    assert_int_equal(assess_count(s.as), 2);
    site_close(&s);
}

/* Software the traffic names in a version out of support; a supported one is not. */
static void software_out_of_support(void **state)
{
    struct site s;
    struct ww_flow f;
    const struct finding *o;
    char path[EVE_TMP_PATH_LEN + 32], err[LIFECYCLE_ERROR_LEN];

    (void)state;
    site_open(&s);
    open_flow(&s, &f, MONITOR, ENGINE, 80, 10);
    evidence(&s, &f, 0, "http.user_agent", "Mozilla/5.0 (Windows NT 6.1; Win64; x64)");
    open_flow(&s, &f, LAPTOP, ENGINE, 80, 11);
    evidence(&s, &f, 0, "http.user_agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)");
    assess_finish(s.as);
    o = found(&s, FIND_OUTDATED_SOFTWARE, MONITOR);
    assert_non_null(o);
    assert_string_equal(o->detail, "Windows 8.1 and older");
    assert_non_null(strstr(o->evidence, "version 6.1"));
    assert_non_null(strstr(o->evidence, "out of support since 2023-01-10"));
    assert_int_equal(o->severity, FIND_HIGH); /* medium, one up on a high-criticality monitor */
    assert_null(found(&s, FIND_OUTDATED_SOFTWARE, LAPTOP));
    site_close(&s);
    assert_int_equal(tmp_file_write("bad-eol.conf", "X | x | all | 2020-01-01 | s\n"
                                                    "Y | y | >1.0 | 2020-01-01 | s\n",
                                    path, sizeof(path)),
                     0);
    assert_null(lifecycle_load(path, err));
    assert_non_null(strstr(err, "bad-eol.conf:2: versions \">1.0\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(catalog_reads_and_matches),
        cmocka_unit_test(catalog_bad_line_named),
        cmocka_unit_test(default_password_login),
        cmocka_unit_test(other_logins_in_clear_only),
        cmocka_unit_test(default_of_another_maker),
        cmocka_unit_test(mqtt_without_credentials),
        cmocka_unit_test(patient_data_in_clear),
        cmocka_unit_test(weak_tls_on_the_server),
        cmocka_unit_test(internet_exposure_and_contact),
        cmocka_unit_test(known_vulnerabilities),
        cmocka_unit_test(software_out_of_support),
    };

    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
