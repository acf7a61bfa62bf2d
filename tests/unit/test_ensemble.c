/* SPDX-License-Identifier: MIT */
/*
 * test_ensemble: layer two on a made-up ward. Two monitors report to a
 * server every 40 ms (a request of 200 to 260 bytes, a reply of 60) for
 * the learning period; afterwards the routine goes on, and a laptop sends
 * a burst of small SYN-sized packets to one port after another. The
 * laptop must be reported (kind "ensemble", at most once per window), and
 * the routine must stay nearly quiet. Then the model is saved, loaded and
 * scores the same way.
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

#include "detect/ensemble.h"
#include "eve_tmp.h"

#define T0 1700000000000000ull
#define LEARN_S 600 /* five half-lives of the slowest window (100 s): its weights settle */
#define STEP_US 40000ull

static const uint8_t mac[4][6] = {
    {2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, {2, 0, 0, 0, 0, 3}, {2, 0, 0, 0, 0, 4}};
static const uint8_t ip[4][4] = {{10, 0, 0, 1}, {10, 0, 0, 2}, {10, 0, 0, 3}, {10, 0, 0, 66}};
enum { MON_A, MON_B, SERVER, LAPTOP };

static void send_packet(struct ensemble *e, uint64_t ts, int from, int to, uint16_t sport,
                        uint16_t dport, uint32_t len)
{
    struct ww_packet p;

    memset(&p, 0, sizeof(p));
    p.ts_us = ts;
    p.family = 4;
    memcpy(p.src_mac, mac[from], 6);
    memcpy(p.dst_mac, mac[to], 6);
    memcpy(p.src_ip, ip[from], 4);
    memcpy(p.dst_ip, ip[to], 4);
    p.ip_proto = 6;
    p.sport = sport;
    p.dport = dport;
    p.wirelen = p.caplen = len;
    ensemble_packet(e, &p);
}

/* The routine from t0 for seconds: each monitor asks, the server answers, every 40 ms. */
static void routine(struct ensemble *e, uint64_t t0, uint64_t seconds)
{
    for (uint64_t k = 0; k < seconds * 1000000 / STEP_US; k++) {
        uint64_t t = t0 + k * STEP_US;

        for (int m = MON_A; m <= MON_B; m++) {
            send_packet(e, t + (uint64_t)m * 10000, m, SERVER, 40000, 2575,
                        200 + (uint32_t)((k * 7 + (uint64_t)m * 13) % 61));
            send_packet(e, t + (uint64_t)m * 10000 + 2000, SERVER, m, 2575, 40000, 60);
        }
    }
}

static void burst(struct ensemble *e, uint64_t t0)
{
    for (uint16_t port = 1; port <= 1000; port++) {
        send_packet(e, t0 + port * 200ull, LAPTOP, SERVER, 55555, port, 54);
    }
}

/* Anomaly events about each source address. */
static void count_reports(int *by_host)
{
    char line[8192];
    FILE *f = fopen(file_path, "r");

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        json_t *ev = json_loads(line, 0, NULL);
        json_t *a = json_object_get(ev, "anomaly");
        const char *src = json_string_value(json_object_get(ev, "src_ip"));

        assert_non_null(ev);
        assert_string_equal(json_string_value(json_object_get(a, "kind")), "ensemble");
        assert_true(json_array_size(json_object_get(a, "groups")) > 0);
        by_host[src[strlen(src) - 1] == '6' ? LAPTOP : src[strlen(src) - 1] - '1']++;
        json_decref(ev);
    }
    fclose(f);
}

static void run(const char *model, const char *save, int *by_host)
{
    char err[256];
    struct eve_writer *eve = eve_open(file_path);
    struct ensemble *e;
    uint64_t after = T0 + LEARN_S * 1000000ull;

    assert_non_null(eve);
    e = ensemble_new(&(struct ensemble_config){LEARN_S * 1000000ull, model, eve}, err,
                     sizeof(err));
    assert_non_null(e);
    routine(e, T0, LEARN_S + 60);
    burst(e, after + 30 * 1000000ull);
    ensemble_finish(e);
    assert_int_equal(ensemble_stats(e).phase, KITNET_SCORING);
    assert_true(ensemble_stats(e).scored >= 60 * 100 + 1000);
    if (save != NULL) {
        assert_int_equal(ensemble_save(e, save), 0);
    }
    ensemble_free(e);
    assert_int_equal(eve_close(eve), 0);
    memset(by_host, 0, 4 * sizeof(int));
    count_reports(by_host);
}

static void laptop_burst_reported(void **state)
{
    char model[EVE_TMP_PATH_LEN + 16];
    int learned[4], loaded[4];

    (void)state;
    snprintf(model, sizeof(model), "%s/model", dir_path);
    run(NULL, model, learned);
    /* The burst lasts 0.2 s: one window, one report. */
    assert_int_equal(learned[LAPTOP], 1);
    /* The routine: no host reported. */
    for (int h = MON_A; h <= SERVER; h++) {
        assert_int_equal(learned[h], 0);
    }
    /* A saved model scores as it did (the routine restarts from the beginning, unlearned). */
    run(model, NULL, loaded);
    assert_int_equal(loaded[LAPTOP], 1);
    unlink(model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(laptop_burst_reported),
    };

    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
