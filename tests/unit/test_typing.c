/* SPDX-License-Identifier: MIT */
/* test_typing: digraph extraction, Welford, profile JSON, scoring and the window, by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/keyevents.h"
#include "auth/typing.h"

#define EPS 1e-9 /* sums of a few doubles: exact to rounding */
#define SEED 12345u

static struct keyev key(const char *k, bool down, double ts)
{
    struct keyev ev;

    memset(&ev, 0, sizeof(ev));
    snprintf(ev.user, sizeof(ev.user), "alice");
    snprintf(ev.session, sizeof(ev.session), "s1");
    snprintf(ev.key, sizeof(ev.key), "%s", k);
    ev.down = down;
    ev.ts = ts;
    return ev;
}

static int feed(struct typing_stream *st, const char *k, bool down, double ts,
                struct typing_obs *out)
{
    struct keyev ev = key(k, down, ts);
    char why[KEYEV_WHY_LEN];

    return typing_stream_feed(st, &ev, out, why);
}

static void assert_obs(const struct typing_obs *o, enum typing_kind kind, const char *name,
                       double value)
{
    assert_int_equal(o->kind, kind);
    assert_string_equal(o->name, name);
    assert_float_equal(o->value_s, value, EPS);
}

/*
 * A down 0.000, up 0.100; B down 0.250; C down 0.400 (B still held);
 * B up 0.450; C up 0.500; A down 3.000 (after a 2.6 s pause); A down
 * 3.050 (auto-repeat); A up 3.200; Z up 3.300 (never went down).
 */
static void test_stream_digraphs(void **state)
{
    struct typing_stream st;
    struct typing_obs o[TYPING_OBS_MAX];
    char why[KEYEV_WHY_LEN];
    struct keyev back = key("B", true, 2.9);

    (void)state;
    typing_stream_init(&st);
    assert_int_equal(feed(&st, "A", true, 0.000, o), 0);
    assert_int_equal(feed(&st, "A", false, 0.100, o), 1);
    assert_obs(&o[0], TYPING_HOLD, "A", 0.100);
    assert_int_equal(feed(&st, "B", true, 0.250, o), 2);
    assert_obs(&o[0], TYPING_DD, "A B", 0.250);
    assert_obs(&o[1], TYPING_UD, "A B", 0.150);
    assert_int_equal(feed(&st, "C", true, 0.400, o), 1);
    assert_obs(&o[0], TYPING_DD, "B C", 0.150);
    assert_int_equal(feed(&st, "B", false, 0.450, o), 2);
    assert_obs(&o[0], TYPING_HOLD, "B", 0.200);
    assert_obs(&o[1], TYPING_UD, "B C", -0.050);
    assert_int_equal(feed(&st, "C", false, 0.500, o), 1);
    assert_obs(&o[0], TYPING_HOLD, "C", 0.100);
    assert_int_equal(feed(&st, "A", true, 3.000, o), 0);
    assert_int_equal(feed(&st, "A", true, 3.050, o), 0);
    assert_int_equal(feed(&st, "A", false, 3.200, o), 1);
    assert_obs(&o[0], TYPING_HOLD, "A", 0.200);
    assert_int_equal(feed(&st, "Z", false, 3.300, o), 0);
    assert_int_equal(st.n_downs, 4);
    assert_int_equal(st.n_held, 0);

    assert_int_equal(typing_stream_feed(&st, &back, o, why), -1);
    assert_non_null(strstr(why, "before the session's last event"));
}

/* More keys held than TYPING_HELD_MAX: the oldest is dropped, nothing overflows. */
static void test_stream_held_cap(void **state)
{
    struct typing_stream st;
    struct typing_obs o[TYPING_OBS_MAX];
    char k[16];

    (void)state;
    typing_stream_init(&st);
    for (int i = 0; i < TYPING_HELD_MAX + 3; i++) {
        snprintf(k, sizeof(k), "%d", i);
        feed(&st, k, true, 0.01 * i, o);
    }
    assert_int_equal(st.n_held, TYPING_HELD_MAX);
    assert_int_equal(st.n_held_dropped, 3);
    assert_int_equal(feed(&st, "0", false, 1.0, o), 0); /* dropped: no hold */
}

/* 1..5: mean 3, m2 10, var 2.5; and a seeded sequence against two passes. */
static void test_welford(void **state)
{
    struct typing_stat s = {0};
    double xs[1000], sum = 0, ss = 0, mean;
    uint32_t r = SEED;

    (void)state;
    for (int i = 1; i <= 5; i++) {
        typing_stat_add(&s, i);
    }
    assert_float_equal(s.mean, 3.0, EPS);
    assert_float_equal(s.m2, 10.0, EPS);
    assert_float_equal(typing_stat_var(&s), 2.5, EPS);

    memset(&s, 0, sizeof(s));
    typing_stat_add(&s, 4.0);
    assert_float_equal(typing_stat_var(&s), 0.0, EPS);
    memset(&s, 0, sizeof(s));
    for (int i = 0; i < 1000; i++) {
        r = r * 1664525u + 1013904223u;
        xs[i] = -2.0 + (double)(r >> 8) / (double)(1u << 24);
        typing_stat_add(&s, xs[i]);
        sum += xs[i];
    }
    mean = sum / 1000;
    for (int i = 0; i < 1000; i++) {
        ss += (xs[i] - mean) * (xs[i] - mean);
    }
    assert_float_equal(s.mean, mean, 1e-12);
    assert_float_equal(s.m2, ss, 1e-9);
}

static void test_transform(void **state)
{
    (void)state;
    assert_float_equal(typing_transform(TYPING_HOLD, 0.1), log(0.1), EPS);
    assert_float_equal(typing_transform(TYPING_DD, 0.25), log(0.25), EPS);
    assert_float_equal(typing_transform(TYPING_UD, -0.05), log(0.05), EPS);
    assert_float_equal(typing_transform(TYPING_UD, -0.5), log(TYPING_TIME_FLOOR_S), EPS);
    assert_float_equal(typing_untransform(TYPING_UD, log(0.05)), -0.05, EPS);
}

static struct typing_obs hold_obs(const char *k, double value_s)
{
    struct typing_obs o;

    memset(&o, 0, sizeof(o));
    o.kind = TYPING_HOLD;
    snprintf(o.name, sizeof(o.name), "%s", k);
    o.value_s = value_s;
    return o;
}

/*
 * ln holds -2, -2.1, -1.9, -2, -2: mean -2, m2 0.02. Shrunk variance
 * (0.02 + 2 * 0.2^2) / (4 + 2) = 1/60, sd 0.12909944. exp(-1.7) is
 * 0.3 / sd = 2.3237900 sd away; exp(-2.2) 1.5491933; exp(0) capped at 8.
 */
static void test_score_by_hand(void **state)
{
    static const double ys[] = {-2.0, -2.1, -1.9, -2.0, -2.0};
    struct typing_profile p;
    struct typing_obs o;
    const struct typing_feat *f = NULL;
    double z = -1;

    (void)state;
    assert_int_equal(typing_profile_init(&p), 0);
    for (int i = 0; i < 5; i++) {
        o = hold_obs("65", exp(ys[i]));
        if (i == 4) {
            assert_int_equal(typing_score(&p, &o, &z, &f), 0); /* 4 of 5 needed */
        }
        assert_int_equal(typing_profile_learn(&p, &o, TYPING_Z_INSIDE_DEFAULT), 0);
    }
    assert_int_equal(p.n_scored, 0);
    o = hold_obs("65", exp(-1.7));
    assert_int_equal(typing_score(&p, &o, &z, &f), 1);
    assert_float_equal(z, 2.3237900, 1e-6);
    assert_string_equal(f->name, "65");
    assert_float_equal(f->st.mean, -2.0, EPS);
    assert_float_equal(f->st.m2, 0.02, EPS);
    o = hold_obs("65", exp(-2.2));
    typing_score(&p, &o, &z, NULL);
    assert_float_equal(z, 1.5491933, 1e-6);
    o = hold_obs("65", 1.0);
    typing_score(&p, &o, &z, NULL);
    assert_float_equal(z, TYPING_Z_CAP, EPS);
    o = hold_obs("66", 0.1);
    assert_int_equal(typing_score(&p, &o, &z, NULL), 0);

    /* Learning exp(-1.7) scores it first: 1 scored, 0 inside; g = 18 / 21. */
    o = hold_obs("65", exp(-1.7));
    typing_profile_learn(&p, &o, TYPING_Z_INSIDE_DEFAULT);
    assert_int_equal(p.n_scored, 1);
    assert_int_equal(p.n_inside, 0);
    assert_float_equal(typing_genuine_rate(&p), 18.0 / 21.0, EPS);
    typing_profile_free(&p);
}

/* Many features: the table grows, everything is still found with its own statistics. */
static void test_profile_round_trip(void **state)
{
    struct typing_profile p, q;
    struct typing_obs o;
    char why[256];
    char *text;
    uint32_t r = SEED;

    (void)state;
    assert_int_equal(typing_profile_init(&p), 0);
    for (int i = 0; i < 3000; i++) {
        r = r * 1664525u + 1013904223u;
        memset(&o, 0, sizeof(o));
        o.kind = (enum typing_kind)(i % 3);
        snprintf(o.name, sizeof(o.name), o.kind == TYPING_HOLD ? "%u" : "%u h%u",
                 (r >> 8) % 40, (r >> 16) % 40);
        o.value_s = 0.05 + (double)(r % 1000) / 2000.0;
        typing_profile_learn(&p, &o, TYPING_Z_INSIDE_DEFAULT);
    }
    p.n_keys = 1234;
    text = typing_profile_to_json(&p);
    assert_non_null(text);
    assert_null(strstr(text, "\"text\""));
    assert_int_equal(typing_profile_init(&q), 0);
    assert_int_equal(typing_profile_from_json(&q, text, why, sizeof(why)), 0);
    assert_int_equal(q.n_feats, p.n_feats);
    assert_int_equal(q.n_keys, 1234);
    assert_int_equal(q.n_scored, p.n_scored);
    assert_int_equal(q.n_inside, p.n_inside);
    for (size_t i = 0; i < p.n_slots; i++) {
        const struct typing_feat *a = &p.slots[i], *b;

        if (!a->used) {
            continue;
        }
        b = typing_profile_find(&q, (enum typing_kind)a->kind, a->name);
        assert_non_null(b);
        assert_int_equal(b->st.n, a->st.n);
        assert_true(b->st.mean == a->st.mean); /* %.17g round-trips exactly */
        assert_true(b->st.m2 == a->st.m2);
    }
    free(text);
    typing_profile_free(&q);
    typing_profile_free(&p);
}

static void expect_bad_profile(const char *text, const char *words)
{
    struct typing_profile p;
    char why[256];

    assert_int_equal(typing_profile_init(&p), 0);
    assert_int_equal(typing_profile_from_json(&p, text, why, sizeof(why)), -1);
    if (strstr(why, words) == NULL) {
        fail_msg("'%s' gave '%s', expected it to say '%s'", text, why, words);
    }
    typing_profile_free(&p);
}

static void test_profile_bad_json(void **state)
{
    (void)state;
    expect_bad_profile("{", "not JSON");
    expect_bad_profile("{\"version\":1}", "lacks");
    expect_bad_profile("{\"version\":2,\"keys\":0,\"scored\":0,\"inside\":0,\"features\":[]}",
                       "version 2");
    expect_bad_profile("{\"version\":1,\"keys\":0,\"scored\":1,\"inside\":2,\"features\":[]}",
                       "counts");
    expect_bad_profile("{\"version\":1,\"keys\":0,\"scored\":0,\"inside\":0,"
                       "\"features\":[[\"hold\",\"65\",3,-2.0]]}", "feature 0");
    expect_bad_profile("{\"version\":1,\"keys\":0,\"scored\":0,\"inside\":0,"
                       "\"features\":[[\"xx\",\"65\",3,-2.0,0.1]]}", "bad kind");
    expect_bad_profile("{\"version\":1,\"keys\":0,\"scored\":0,\"inside\":0,"
                       "\"features\":[[\"hold\",\"65 66\",3,-2.0,0.1]]}", "bad kind");
    expect_bad_profile("{\"version\":1,\"keys\":0,\"scored\":0,\"inside\":0,"
                       "\"features\":[[\"dd\",\"65 66\",3,-2.0,-0.1]]}", "bad kind");
    expect_bad_profile("{\"version\":1,\"keys\":0,\"scored\":0,\"inside\":0,\"features\":["
                       "[\"dd\",\"65 66\",3,-2.0,0.1],[\"dd\",\"65 66\",3,-2.0,0.1]]}",
                       "duplicate");
}

/*
 * Window of 4, inside means z <= 2: z 1 3 0.5 2.5 -> 2/4; push 1.5 (1
 * leaves) -> 2/4; push 0.1 (3 leaves) -> 3/4. The top two of the last
 * four (0.5 2.5 1.5 0.1) are 2.5 then 1.5.
 */
static void test_window_by_hand(void **state)
{
    struct typing_feat f[6];
    struct typing_window w;
    struct typing_wobs top[TYPING_TOP_MAX];
    static const double zs[] = {1.0, 3.0, 0.5, 2.5};

    (void)state;
    memset(f, 0, sizeof(f));
    assert_int_equal(typing_window_init(&w, 4), 0);
    assert_true(isnan(typing_window_rate(&w)));
    for (int i = 0; i < 4; i++) {
        typing_window_push(&w, &f[i], zs[i], 0.1, 2.0);
    }
    assert_float_equal(typing_window_rate(&w), 0.5, EPS);
    typing_window_push(&w, &f[4], 1.5, 0.1, 2.0);
    assert_float_equal(typing_window_rate(&w), 0.5, EPS);
    typing_window_push(&w, &f[5], 0.1, 0.1, 2.0);
    assert_float_equal(typing_window_rate(&w), 0.75, EPS);
    assert_int_equal(typing_window_top(&w, top, 2), 2);
    assert_ptr_equal(top[0].feat, &f[3]);
    assert_ptr_equal(top[1].feat, &f[4]);

    /* The same feature twice is named once, at its worst. */
    typing_window_push(&w, &f[4], 3.5, 0.1, 2.0);
    assert_int_equal(typing_window_top(&w, top, 3), 3);
    assert_ptr_equal(top[0].feat, &f[4]);
    assert_float_equal(top[0].z, 3.5, 1e-6);
    assert_ptr_equal(top[1].feat, &f[3]);
    assert_ptr_equal(top[2].feat, &f[5]);
    typing_window_free(&w);
}

/* g 0.9, margin 0.1, span 0.2: r 0.8 -> 0, 0.9 -> 0.5, 1 -> 1, 0.7 -> -0.5, 0.5 -> -1. */
static void test_evidence_by_hand(void **state)
{
    struct typing_config c;

    (void)state;
    typing_config_default(&c);
    c.margin = 0.1;
    c.span = 0.2;
    assert_float_equal(typing_evidence(0.8, 0.9, &c), 0.0, EPS);
    assert_float_equal(typing_evidence(0.9, 0.9, &c), 0.5, EPS);
    assert_float_equal(typing_evidence(1.0, 0.9, &c), 1.0, EPS);
    assert_float_equal(typing_evidence(0.7, 0.9, &c), -0.5, EPS);
    assert_float_equal(typing_evidence(0.5, 0.9, &c), -1.0, EPS);
    assert_true(isnan(typing_evidence(NAN, 0.9, &c)));
}

/*
 * A profile of one typist pressing key 1 every 0.3 s for 0.1 s (hold 0.1,
 * dd 0.3, ud 0.2, n 10, no spread). Window 10, start 100, penalty 2,
 * threshold 50, g 0.9. An impostor pressing every 0.6 s for 0.3 s is
 * outside on every feature (z 8, 8 and 3.37): evidence -1 from the 10th
 * scored feature, so the 35th (10 + 25 steps of -2: 100 -> 48) brings the
 * fall. Features come 1 (first up) then 3 per keystroke: the 35th is the
 * dd of the 13th keystroke's down. The genuine typist keeps 100.
 */
static void load_typist_profile(struct typing_profile *p)
{
    char text[512], why[256];

    snprintf(text, sizeof(text),
             "{\"version\":1,\"keys\":30,\"scored\":0,\"inside\":0,\"features\":["
             "[\"hold\",\"1\",10,%.17g,0],[\"dd\",\"1 1\",10,%.17g,0],"
             "[\"ud\",\"1 1\",10,%.17g,0]]}",
             log(0.1), log(0.3), log(0.2 + TYPING_UD_OFFSET_S));
    assert_int_equal(typing_profile_init(p), 0);
    assert_int_equal(typing_profile_from_json(p, text, why, sizeof(why)), 0);
}

/* Feeds n keystrokes every period s held for hold s; returns the keystroke of the fall. */
static uint64_t run_typist(struct typing_session *s, const struct typing_profile *p,
                           const struct typing_config *c, double period, double hold)
{
    char why[KEYEV_WHY_LEN];
    uint64_t fell_at = 0;

    for (int i = 0; i < 20; i++) {
        struct keyev down = key("1", true, 100.0 + period * i);
        struct keyev up = key("1", false, 100.0 + period * i + hold);

        if (typing_session_feed(s, p, c, &down, why) == TRUST_FELL) {
            fell_at = s->stream.n_downs;
        }
        assert_int_not_equal(typing_session_feed(s, p, c, &up, why), TRUST_FELL);
    }
    return fell_at;
}

static void test_session_by_hand(void **state)
{
    struct typing_profile p;
    struct typing_config c;
    struct typing_session s;
    struct typing_report r;

    (void)state;
    load_typist_profile(&p);
    typing_config_default(&c);
    c.window = 10;
    c.margin = 0.1;
    c.span = 0.2;
    c.trust.start = 100;
    c.trust.threshold = 50;
    c.trust.penalty = 2;

    assert_int_equal(typing_session_init(&s, &c), 0);
    assert_int_equal(run_typist(&s, &p, &c, 0.3, 0.1), 0);
    assert_float_equal(s.trust.trust, 100.0, EPS);
    assert_int_equal(s.n_scored, 1 + 3 * 19);
    typing_session_free(&s);

    assert_int_equal(typing_session_init(&s, &c), 0);
    assert_int_equal(run_typist(&s, &p, &c, 0.6, 0.3), 13);
    assert_int_equal(s.alert_keys, 13);
    assert_int_equal(s.trust.first_alert_obs, 26);
    typing_session_report(&s, &p, &c, &r);
    assert_int_equal(r.n_keys, 20);
    assert_int_equal(r.window_len, 10);
    assert_float_equal(r.inside_rate, 0.0, EPS);
    assert_float_equal(r.genuine_rate, 0.9, EPS);
    assert_int_equal(r.n_top, 3);
    assert_float_equal(r.top[0].z, TYPING_Z_CAP, 1e-6);
    for (unsigned i = 0; i < r.n_top; i++) {
        if (r.top[i].kind == TYPING_HOLD) {
            assert_float_equal(r.top[i].expected_s, 0.1, 1e-9);
            assert_float_equal(r.top[i].observed_s, 0.3, 1e-6);
        }
    }
    typing_session_free(&s);
    typing_profile_free(&p);
}

static void expect_bad_line(const char *line, const char *words)
{
    struct keyev ev;
    char why[KEYEV_WHY_LEN];

    assert_int_equal(keyev_parse(line, strlen(line), &ev, why), -1);
    if (strstr(why, words) == NULL) {
        fail_msg("'%s' gave '%s', expected it to say '%s'", line, why, words);
    }
}

static void test_keyev_parse(void **state)
{
    struct keyev ev;
    char why[KEYEV_WHY_LEN];
    static const char ok1[] =
        "{\"user\":\"alice\",\"session\":\"ws12\",\"key\":65,\"type\":\"down\","
        "\"ts\":1733230000.25,\"host\":\"x\"}";
    static const char ok2[] =
        "{\"user\":\"bob\",\"session\":\"s\",\"key\":\"k:9f3a+/=\",\"type\":\"up\","
        "\"ts\":5}";

    (void)state;
    assert_int_equal(keyev_parse(ok1, strlen(ok1), &ev, why), 0);
    assert_string_equal(ev.user, "alice");
    assert_string_equal(ev.session, "ws12");
    assert_string_equal(ev.key, "65");
    assert_true(ev.down);
    assert_float_equal(ev.ts, 1733230000.25, EPS);
    assert_int_equal(keyev_parse(ok2, strlen(ok2), &ev, why), 0);
    assert_string_equal(ev.key, "k:9f3a+/=");
    assert_false(ev.down);

    expect_bad_line("{\"user\":\"a\"", "not JSON");
    expect_bad_line("[1]", "not a JSON object");
    expect_bad_line("{\"session\":\"s\",\"key\":1,\"type\":\"up\",\"ts\":1}", "\"user\"");
    expect_bad_line("{\"user\":\"a\\u0001\",\"session\":\"s\",\"key\":1,\"type\":\"up\","
                    "\"ts\":1}", "control");
    expect_bad_line("{\"user\":\"a\",\"session\":\"s\",\"key\":70000,\"type\":\"up\","
                    "\"ts\":1}", "outside 0..65535");
    expect_bad_line("{\"user\":\"a\",\"session\":\"s\",\"key\":\"a b\",\"type\":\"up\","
                    "\"ts\":1}", "may hold only");
    expect_bad_line("{\"user\":\"a\",\"session\":\"s\",\"key\":1,\"type\":\"press\","
                    "\"ts\":1}", "\"type\"");
    expect_bad_line("{\"user\":\"a\",\"session\":\"s\",\"key\":1,\"type\":\"up\","
                    "\"ts\":-1}", "\"ts\"");
    expect_bad_line("{\"user\":\"a\",\"user\":\"b\",\"session\":\"s\",\"key\":1,"
                    "\"type\":\"up\",\"ts\":1}", "not JSON");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_digraphs),
        cmocka_unit_test(test_stream_held_cap),
        cmocka_unit_test(test_welford),
        cmocka_unit_test(test_transform),
        cmocka_unit_test(test_score_by_hand),
        cmocka_unit_test(test_profile_round_trip),
        cmocka_unit_test(test_profile_bad_json),
        cmocka_unit_test(test_window_by_hand),
        cmocka_unit_test(test_evidence_by_hand),
        cmocka_unit_test(test_session_by_hand),
        cmocka_unit_test(test_keyev_parse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
