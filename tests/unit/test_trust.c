/* SPDX-License-Identifier: MIT */
/* test_trust: the shared trust model on sequences worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "auth/trust.h"

#define EPS 1e-9 /* trust is sums of small multiples of the steps: exact to rounding */

static void test_trust_defaults(void **state)
{
    struct trust_params p;
    struct trust_state s;
    char why[128];

    (void)state;
    trust_params_default(&p);
    assert_int_equal(trust_params_check(&p, why, sizeof(why)), 0);
    trust_init(&s, &p);
    assert_float_equal(s.trust, 100.0, EPS);
    assert_float_equal(p.threshold, 50.0, EPS);
    assert_int_equal(s.n_obs, 0);
    assert_int_equal(s.n_alerts, 0);
}

/*
 * start 60, threshold 50, rearm 10, reward 1, penalty 2:
 * -1 -1 -0.5 -1 -1 -> 58 56 55 53 51; -1 -> 49 fell (obs 6); -1 -> 47;
 * then +1 twelve times: 48 ... 59 same, the 13th +1 -> 60 rearmed.
 */
static void test_trust_fall_and_rearm(void **state)
{
    struct trust_params p = {60.0, 50.0, 10.0, 1.0, 2.0};
    struct trust_state s;
    static const double ev[] = {-1, -1, -0.5, -1, -1};
    static const double after[] = {58, 56, 55, 53, 51};

    (void)state;
    trust_init(&s, &p);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(trust_update(&s, &p, ev[i]), TRUST_SAME);
        assert_float_equal(s.trust, after[i], EPS);
    }
    assert_int_equal(trust_update(&s, &p, -1), TRUST_FELL);
    assert_float_equal(s.trust, 49.0, EPS);
    assert_int_equal(s.first_alert_obs, 6);
    assert_int_equal(trust_update(&s, &p, -1), TRUST_SAME);
    assert_float_equal(s.trust, 47.0, EPS);
    assert_float_equal(s.lowest, 47.0, EPS);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(trust_update(&s, &p, 1), TRUST_SAME);
    }
    assert_float_equal(s.trust, 59.0, EPS);
    assert_int_equal(trust_update(&s, &p, 1), TRUST_REARMED);
    assert_float_equal(s.trust, 60.0, EPS);

    /* A second fall is a second alert; the first one's position is kept. */
    for (int i = 0; i < 5; i++) {
        trust_update(&s, &p, -1);
    }
    assert_float_equal(s.trust, 50.0, EPS);
    assert_int_equal(trust_update(&s, &p, -1), TRUST_FELL);
    assert_int_equal(s.n_alerts, 2);
    assert_int_equal(s.first_alert_obs, 6);
    assert_int_equal(s.n_obs, 26);
}

/* Evidence is clamped to [-1, 1], NaN ignored, trust bounded to [0, 100]. */
static void test_trust_bounds(void **state)
{
    struct trust_params p = {99.5, 50.0, 20.0, 1.0, 2.0};
    struct trust_state s;

    (void)state;
    trust_init(&s, &p);
    trust_update(&s, &p, 7.0);
    assert_float_equal(s.trust, 100.0, EPS);
    assert_int_equal(trust_update(&s, &p, NAN), TRUST_SAME);
    assert_int_equal(s.n_obs, 1);
    trust_update(&s, &p, -3.0);
    assert_float_equal(s.trust, 98.0, EPS);
    for (int i = 0; i < 60; i++) {
        trust_update(&s, &p, -1.0);
    }
    assert_float_equal(s.trust, 0.0, EPS);
    assert_int_equal(s.n_alerts, 1);
    trust_update(&s, &p, 0.25);
    assert_float_equal(s.trust, 0.25, EPS);
}

/* A rearm level above 100 is met at 100; two modalities' evidence adds up. */
static void test_trust_rearm_cap_and_sum(void **state)
{
    struct trust_params p = {96.0, 95.0, 20.0, 1.0, 2.0};
    struct trust_state s;

    (void)state;
    trust_init(&s, &p);
    assert_int_equal(trust_update(&s, &p, -1.0), TRUST_FELL);
    assert_int_equal(trust_update(&s, &p, 1.0), TRUST_SAME); /* 95 */
    assert_int_equal(trust_update(&s, &p, 1.0), TRUST_SAME); /* 96 */
    assert_int_equal(trust_update(&s, &p, 1.0), TRUST_SAME);
    assert_int_equal(trust_update(&s, &p, 1.0), TRUST_SAME);
    assert_int_equal(trust_update(&s, &p, 1.0), TRUST_SAME);    /* 99 */
    assert_int_equal(trust_update(&s, &p, 1.0), TRUST_REARMED); /* 100 */

    /* typing -0.5 (costs 1), then mouse -0.25 (costs 0.5): 98.5 */
    trust_update(&s, &p, -0.5);
    trust_update(&s, &p, -0.25);
    assert_float_equal(s.trust, 98.5, EPS);
}

static void test_trust_params_check(void **state)
{
    struct trust_params p;
    char why[128];

    (void)state;
    trust_params_default(&p);
    p.threshold = 101;
    assert_int_equal(trust_params_check(&p, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "threshold"));
    trust_params_default(&p);
    p.penalty = NAN;
    assert_int_equal(trust_params_check(&p, why, sizeof(why)), -1);
    trust_params_default(&p);
    p.start = -1;
    assert_int_equal(trust_params_check(&p, why, sizeof(why)), -1);
    trust_params_default(&p);
    p.rearm = -5;
    assert_int_equal(trust_params_check(&p, why, sizeof(why)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trust_defaults),
        cmocka_unit_test(test_trust_fall_and_rearm),
        cmocka_unit_test(test_trust_bounds),
        cmocka_unit_test(test_trust_rearm_cap_and_sum),
        cmocka_unit_test(test_trust_params_check),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
