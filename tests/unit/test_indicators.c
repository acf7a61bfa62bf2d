/* SPDX-License-Identifier: MIT */
/*
 * test_indicators: the list's lines (and its errors, by line number), and
 * matches on flow addresses (IPv4, IPv6, networks) and on names (a listed
 * domain and the names under it), each once per device.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect/indicators.h"
#include "eve_tmp.h"

static char list_path[EVE_TMP_PATH_LEN + 16];

static void write_list(const char *text)
{
    assert_int_equal(tmp_file_write("list", text, list_path, sizeof(list_path)), 0);
}

static void expect_error(const char *text, const char *want)
{
    char err[INDICATORS_ERROR_LEN], full[INDICATORS_ERROR_LEN + 64];

    write_list(text);
    assert_null(indicators_load(list_path, NULL, err));
    snprintf(full, sizeof(full), "%s %s", list_path, want);
    assert_string_equal(err, full);
}

static void bad_lines_named(void **state)
{
    (void)state;
    expect_error("# ok\nip 10.0.0.1\nip 10.0.0.300\n", "line 3: not an IPv4 or IPv6 address");
    expect_error("net 10.0.0.0/33\n",
                 "line 1: the prefix length is not a number from 0 to 32 (IPv4) or 128 (IPv6)");
    expect_error("net 10.0.0.0\n", "line 1: a network is ADDRESS/BITS");
    expect_error("\n\nurl http://x\n", "line 3: the kind is not ip, net or domain");
    expect_error("domain bad/name\n",
                 "line 1: a domain name holds letters, digits, '-', '_' and '.' only");
    expect_error("ip\n", "line 1: expected `ip ADDRESS`, `net ADDRESS/BITS` or `domain NAME`");
    unlink(list_path);
}

static void make_flow(struct ww_flow *f, uint8_t family, const uint8_t *a, const uint8_t *b)
{
    memset(f, 0, sizeof(*f));
    f->key.family = family;
    f->key.proto = 6;
    memcpy(f->key.addr[0], a, family == 6 ? 16 : 4);
    memcpy(f->key.addr[1], b, family == 6 ? 16 : 4);
    f->key.port[0] = 40000;
    f->key.port[1] = 443;
    f->first_us = f->last_us = 1700000000000000ull;
}

static void matches_once_per_device(void **state)
{
    static const uint8_t host[4] = {10, 0, 0, 5}, other[4] = {10, 0, 0, 6};
    static const uint8_t c2[4] = {203, 0, 113, 66}, in_net[4] = {198, 51, 100, 77};
    static const uint8_t clean[4] = {198, 51, 101, 1};
    uint8_t host6[16] = {0xfd, 0}, bad6[16] = {0x20, 0x01, 0x0d, 0xb8};
    char err[INDICATORS_ERROR_LEN];
    struct eve_writer *eve = eve_open(file_path);
    struct indicators *ind;
    struct ww_flow f;

    (void)state;
    host6[15] = 5;
    bad6[15] = 0x99;
    write_list("ip 203.0.113.66 feed A\nnet 198.51.100.0/25\nip 2001:db8::99\n"
               "domain Evil.Example.\n");
    ind = indicators_load(list_path, eve, err);
    assert_non_null(ind);
    assert_int_equal(indicators_count(ind), 4);
    make_flow(&f, 4, host, c2);
    indicators_flow(ind, &f);
    indicators_flow(ind, &f); /* the same device and indicator: once */
    make_flow(&f, 4, other, c2);
    indicators_flow(ind, &f); /* another device: again */
    make_flow(&f, 4, in_net, host); /* the listed side may be either */
    indicators_flow(ind, &f);
    make_flow(&f, 4, host, clean);
    indicators_flow(ind, &f);
    make_flow(&f, 6, host6, bad6);
    indicators_flow(ind, &f);
    assert_int_equal(indicators_alerts(ind), 4);

    make_flow(&f, 4, host, clean);
    struct proto_evidence sni = {0, NULL, 4, clean, "tls.sni", "a.b.EVIL.example", 16, &f, 1};
    struct proto_evidence near_miss = {0, NULL, 4, clean, "tls.sni", "notevil.example", 15, &f, 1};
    struct proto_evidence other_kind = {0, NULL, 4, clean, "http.server", "evil.example", 12,
                                        &f, 1};
    indicators_evidence(ind, &near_miss);
    indicators_evidence(ind, &other_kind);
    indicators_evidence(ind, &sni);
    assert_int_equal(indicators_alerts(ind), 5);
    indicators_free(ind);
    assert_int_equal(eve_close(eve), 0);
    unlink(list_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_lines_named),
        cmocka_unit_test(matches_once_per_device),
    };

    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
