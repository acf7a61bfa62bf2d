/* SPDX-License-Identifier: MIT */
/*
 * test_risk: scores and attack paths on a small site worked out by hand
 * from the weights in src/assess/risk.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "assess/risk.h"

enum { LAPTOP, PUMP, MONITOR, PRINTER, N };

static struct risk_device devices[N] = {
    {1, "laptop", "10.0.0.1", "workstation", CRIT_LOW},
    {2, "pump", "10.0.0.2", "infusion_pump", CRIT_LIFE_SUSTAINING},
    {3, "monitor", "10.0.0.3", "patient_monitor", CRIT_HIGH},
    {4, "printer", "10.0.0.4", "printer", CRIT_LOW},
};

static struct risk_finding findings[] = {
    {PUMP, FIND_DEFAULT_CREDENTIALS, "telnet:admin", 0, false, 0},
    {PUMP, FIND_VULNERABILITY, "CVE-2020-0001", 9.8, true, VULN_HIGH},
    {PUMP, FIND_VULNERABILITY, "CVE-2020-0002", 5.0, false, VULN_HIGH},
    {MONITOR, FIND_VULNERABILITY, "CVE-2020-0003", 8.0, false, VULN_MEDIUM},
    {MONITOR, FIND_CLEARTEXT_LOGIN, "telnet", 0, false, 0},
};

static struct risk_alert alerts[] = {{LAPTOP, 2, 57, "laptop opened TCP/23 to a pump"}};

static struct risk_link links[] = {
    {LAPTOP, PRINTER, "tcp/9100"},
    {PRINTER, PUMP, "tcp/23"},
    {LAPTOP, MONITOR, "tcp/443"},
    {MONITOR, LAPTOP, "tcp/22"},
};

static const struct risk_input site = {devices, N, findings, 5, alerts, 1, links, 4};

static void scores_by_hand(void **state)
{
    struct risk_score s[N];
    struct risk_path p[8];
    size_t order[N];

    (void)state;
    assert_int_equal(risk_compute(&site, s, p, 8), 3);
    /* pump: 1 - (1 - 0.6)(1 - 0.98) = 0.992, impact 1.0 */
    assert_float_equal(s[PUMP].likelihood, 0.992, 1e-9);
    assert_int_equal(s[PUMP].score, 99);
    assert_int_equal(s[PUMP].n_factors, 2);
    assert_string_equal(s[PUMP].factors[0].name, "vulnerability"); /* strongest first */
    assert_non_null(strstr(s[PUMP].factors[0].text, "CVE-2020-0001 (CVSS 9.8, known exploited"));
    assert_non_null(strstr(s[PUMP].factors[0].text, "and 1 more"));
    /* monitor: 8.0/10 x 0.6 x 0.5 = 0.24 and 0.25: 1 - 0.76 x 0.75 = 0.43, x 0.8 */
    assert_float_equal(s[MONITOR].likelihood, 0.43, 1e-9);
    assert_int_equal(s[MONITOR].score, 34);
    assert_non_null(strstr(s[MONITOR].factors[1].text, "medium-confidence match"));
    /* laptop: alerts 0.4 x 0.3 */
    assert_int_equal(s[LAPTOP].score, 12);
    assert_non_null(strstr(s[LAPTOP].factors[0].text, "2 alerts (57 anomalies)"));
    assert_int_equal(s[PRINTER].score, 0);
    risk_rank(&site, s, order);
    assert_int_equal(order[0], PUMP);
    assert_int_equal(order[1], MONITOR);
    assert_int_equal(order[2], LAPTOP);
    assert_int_equal(order[3], PRINTER);
}

static void paths_by_hand(void **state)
{
    struct risk_score s[N];
    struct risk_path p[8];

    (void)state;
    /* the pump and the monitor are entries and targets themselves: no path of their own */
    assert_int_equal(risk_compute(&site, s, p, 8), 3);
    /* laptop -> monitor: 0.8 x 0.4 / 2 */
    assert_int_equal(p[0].n_hops, 2);
    assert_int_equal(p[0].hops[0].device, LAPTOP);
    assert_int_equal(p[0].hops[1].device, MONITOR);
    assert_string_equal(p[0].hops[1].service, "tcp/443");
    assert_float_equal(p[0].rank, 0.16, 1e-9);
    assert_non_null(strstr(p[0].hops[0].why, "entry: 2 alerts"));
    /* laptop -> printer -> pump, the shortest way: 1.0 x 0.4 / 3 */
    assert_int_equal(p[1].n_hops, 3);
    assert_int_equal(p[1].hops[1].device, PRINTER);
    assert_string_equal(p[1].hops[2].service, "tcp/23");
    assert_float_equal(p[1].rank, 0.4 / 3, 1e-9);
    assert_non_null(strstr(p[1].hops[2].why, "CVE-2020-0001"));
    /* monitor (logins in clear) -> laptop -> printer -> pump: 1.0 x 0.25 / 4 */
    assert_int_equal(p[2].n_hops, 4);
    assert_int_equal(p[2].hops[0].device, MONITOR);
    assert_float_equal(p[2].rank, 0.0625, 1e-9);
    /* only the best two kept when asked for two */
    assert_int_equal(risk_compute(&site, s, p, 2), 2);
    assert_float_equal(p[1].rank, 0.4 / 3, 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scores_by_hand),
        cmocka_unit_test(paths_by_hand),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
