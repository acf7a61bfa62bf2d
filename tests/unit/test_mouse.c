/* SPDX-License-Identifier: MIT */
/*
 * test_mouse: mouse events read from the Balabit CSV and from JSON lines,
 * cut into actions, and every feature against values worked out by hand.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/mouse.h"

#define TOL 1e-9

static void near(double got, double want)
{
    if (fabs(got - want) > TOL * (fabs(want) > 1 ? fabs(want) : 1)) {
        fail_msg("got %.12g, want %.12g", got, want);
    }
}

static struct mouse_action features_of(const struct mouse_point *p, size_t n)
{
    struct mouse_action a = {0};

    mouse_features(p, n, &a);
    return a;
}

/* 5 px every 0.1 s along (3, 4): 50 px/s, no acceleration, no turn. */
static void straight_line(void **state)
{
    static const struct mouse_point p[] = {{0, 0, 0}, {0.1, 3, 4}, {0.2, 6, 8}, {0.3, 9, 12}};
    struct mouse_action a = features_of(p, 4);

    (void)state;
    assert_int_equal(a.n_points, 4);
    near(a.duration_s, 0.3);
    near(a.distance_px, 15);
    near(a.straightness, 1);
    near(a.mean_speed, 50);
    near(a.max_speed, 50);
    near(a.mean_accel, 0);
    near(a.mean_jerk, 0);
    near(a.mean_angle_change, 0);
    near(a.curvature, 0);
    near(a.direction, atan2(12, 9));
}

/*
 * Along x: 1, 2, 3 px in successive seconds: speeds 1, 2, 3 px/s at the
 * segments' middles (0.5, 1.5, 2.5 s), accelerations 1 and 1 px/s^2, jerk
 * 0; then 3, 7 px: speeds 1, 2, 3, 3, 7, accelerations 1, 1, 0, 4,
 * jerks |1-1|/1, |0-1|/1, |4-0|/1 = 0, 1, 4.
 */
static void speeding_up(void **state)
{
    static const struct mouse_point p[] = {{0, 0, 0}, {1, 1, 0}, {2, 3, 0}, {3, 6, 0}};
    static const struct mouse_point q[] = {{0, 0, 0},  {1, 1, 0},  {2, 3, 0},
                                           {3, 6, 0},  {4, 9, 0},  {5, 16, 0}};
    struct mouse_action a = features_of(p, 4), b = features_of(q, 6);

    (void)state;
    near(a.mean_speed, 2);
    near(a.max_speed, 3);
    near(a.mean_accel, 1);
    near(a.mean_jerk, 0);
    near(b.mean_accel, (1 + 1 + 0 + 4) / 4.0);
    near(b.mean_jerk, (0 + 1 + 4) / 3.0);
    near(b.max_speed, 7);
}

/* A right angle: 10 px right, then 10 px down, a second each. */
static void right_angle(void **state)
{
    static const struct mouse_point p[] = {{0, 0, 0}, {1, 10, 0}, {2, 10, 10}};
    struct mouse_action a = features_of(p, 3);

    (void)state;
    near(a.distance_px, 20);
    near(a.straightness, sqrt(200) / 20);
    near(a.mean_angle_change, M_PI / 2);
    near(a.curvature, M_PI / 2 / 20);
    near(a.direction, M_PI / 4);
    near(a.mean_accel, 0); /* 10 px/s both ways */
}

/* A turn back the other way is pi, not -pi: angles are wrapped into (-pi, pi]. */
static void turning_back(void **state)
{
    static const struct mouse_point p[] = {{0, 0, 0}, {1, 10, 0}, {2, 0, 0}};
    struct mouse_action a = features_of(p, 3);

    (void)state;
    near(a.mean_angle_change, M_PI);
    near(a.straightness, 0);
}

static struct mouse_event ev(double t, double x, double y, enum mouse_button b,
                             enum mouse_state s)
{
    return (struct mouse_event){t, x, y, b, s};
}

/* Moves, a pause, moves and a click: a move action, then a point-click with its hold time. */
static void pause_then_click(void **state)
{
    const struct mouse_event evs[] = {
        ev(0.0, 0, 0, MOUSE_NO_BUTTON, MOUSE_MOVE),  ev(0.1, 5, 0, MOUSE_NO_BUTTON, MOUSE_MOVE),
        ev(0.2, 10, 0, MOUSE_NO_BUTTON, MOUSE_MOVE), ev(5.0, 100, 100, MOUSE_NO_BUTTON, MOUSE_MOVE),
        ev(5.1, 100, 110, MOUSE_NO_BUTTON, MOUSE_MOVE),
        ev(5.2, 100, 120, MOUSE_LEFT, MOUSE_PRESSED),
        ev(5.35, 100, 120, MOUSE_LEFT, MOUSE_RELEASED),
    };
    struct mouse_segmenter *s = calloc(1, sizeof(*s));
    struct mouse_action out[2], got[4];
    int n = 0;

    (void)state;
    assert_non_null(s);
    mouse_segmenter_init(s, MOUSE_PAUSE_S);
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
        int k = mouse_segmenter_feed(s, &evs[i], out);

        for (int j = 0; j < k; j++) {
            got[n++] = out[j];
        }
    }
    assert_int_equal(mouse_segmenter_flush(s, out), 0);
    assert_int_equal(n, 2);
    assert_int_equal(got[0].type, MOUSE_ACTION_MOVE);
    assert_int_equal(got[0].n_points, 3);
    near(got[0].distance_px, 10);
    near(got[0].click_hold_s, 0);
    assert_int_equal(got[1].type, MOUSE_ACTION_POINT_CLICK);
    assert_int_equal(got[1].n_points, 4);
    near(got[1].t_start, 5.0);
    near(got[1].duration_s, 0.35);
    near(got[1].distance_px, 20);
    near(got[1].click_hold_s, 0.15);
    /* the action's points are wiped once its features are out */
    for (size_t i = 0; i < MOUSE_POINTS_MAX; i++) {
        assert_true(s->points[i].x == 0 && s->points[i].y == 0);
    }
    free(s);
}

/* A press, drags and the release make a drag-drop; a scroll in the middle changes nothing. */
static void drag_and_drop(void **state)
{
    const struct mouse_event evs[] = {
        ev(1.0, 0, 0, MOUSE_LEFT, MOUSE_PRESSED),   ev(1.1, 0, 30, MOUSE_NO_BUTTON, MOUSE_DRAG),
        ev(1.15, 0, 30, MOUSE_SCROLL, MOUSE_WHEEL), ev(1.2, 40, 30, MOUSE_NO_BUTTON, MOUSE_DRAG),
        ev(1.3, 40, 30, MOUSE_LEFT, MOUSE_RELEASED),
    };
    struct mouse_segmenter *s = calloc(1, sizeof(*s));
    struct mouse_action out[2];
    int total = 0;

    (void)state;
    assert_non_null(s);
    mouse_segmenter_init(s, MOUSE_PAUSE_S);
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
        int k = mouse_segmenter_feed(s, &evs[i], out);

        total += k;
        if (i + 1 < sizeof(evs) / sizeof(evs[0])) {
            assert_int_equal(k, 0);
        }
    }
    assert_int_equal(total, 1);
    assert_int_equal(out[0].type, MOUSE_ACTION_DRAG_DROP);
    near(out[0].distance_px, 70);
    near(out[0].click_hold_s, 0.3);
    near(out[0].straightness, 50.0 / 70);
    free(s);
}

/* Events of the same instant keep the latest position: no segment of zero duration. */
static void same_instant(void **state)
{
    const struct mouse_event evs[] = {
        ev(0.0, 0, 0, MOUSE_NO_BUTTON, MOUSE_MOVE), ev(0.1, 1, 0, MOUSE_NO_BUTTON, MOUSE_MOVE),
        ev(0.1, 2, 0, MOUSE_NO_BUTTON, MOUSE_MOVE), ev(0.2, 4, 0, MOUSE_NO_BUTTON, MOUSE_MOVE),
    };
    struct mouse_segmenter *s = calloc(1, sizeof(*s));
    struct mouse_action out[2];

    (void)state;
    assert_non_null(s);
    mouse_segmenter_init(s, MOUSE_PAUSE_S);
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
        assert_int_equal(mouse_segmenter_feed(s, &evs[i], out), 0);
    }
    assert_int_equal(mouse_segmenter_flush(s, out), 1);
    assert_int_equal(out[0].n_points, 3);
    near(out[0].max_speed, 20);
    near(out[0].distance_px, 4);
    free(s);
}

static void csv_rows(void **state)
{
    struct mouse_event e;
    char why[MOUSE_WHY_LEN];
    const char *good = "0.231999874115,0.0939999999828,Left,Pressed,1019,410\r\n";
    static const struct {
        const char *row, *why;
    } bad[] = {
        {"0.1,0.1,NoButton,Move,5", "5 fields, want 6"},
        {"0.1,soon,NoButton,Move,5,6", "client timestamp \"soon\""},
        {"0.1,0.1,Thumb,Move,5,6", "unknown button \"Thumb\""},
        {"0.1,0.1,NoButton,Hover,5,6", "state \"Hover\""},
        {"0.1,0.1,NoButton,Move,5,x6", "position"},
    };

    (void)state;
    assert_int_equal(mouse_parse_csv("record timestamp,client timestamp,button,state,x,y", 51,
                                     &e, why),
                     0);
    assert_int_equal(mouse_parse_csv(good, strlen(good), &e, why), 1);
    near(e.t, 0.0939999999828);
    assert_int_equal(e.button, MOUSE_LEFT);
    assert_int_equal(e.state, MOUSE_PRESSED);
    near(e.x, 1019);
    near(e.y, 410);
    assert_int_equal(mouse_parse_csv("0,1,Scroll,Down,3,4", 19, &e, why), 1);
    assert_int_equal(e.state, MOUSE_WHEEL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(mouse_parse_csv(bad[i].row, strlen(bad[i].row), &e, why), -1);
        if (strstr(why, bad[i].why) == NULL) {
            fail_msg("row %zu: %s", i, why);
        }
    }
}

static void json_lines(void **state)
{
    struct mouse_event e;
    char why[MOUSE_WHY_LEN], user[MOUSE_USER_LEN + 1], session[MOUSE_SESSION_LEN + 1];
    const char *good = "{\"user\":\"u7\",\"session\":\"s1\",\"t\":12.5,\"x\":3,\"y\":4,"
                       "\"button\":\"right\",\"state\":\"released\"}";
    static const char *const bad[] = {
        "not json",
        "{\"session\":\"s1\",\"t\":1,\"x\":1,\"y\":1,\"button\":\"none\",\"state\":\"move\"}",
        "{\"user\":\"u\",\"session\":\"s\",\"t\":\"1\",\"x\":1,\"y\":1,\"button\":\"none\","
        "\"state\":\"move\"}",
        "{\"user\":\"u\",\"session\":\"s\",\"t\":1,\"x\":1,\"y\":1,\"button\":\"thumb\","
        "\"state\":\"move\"}",
        "{\"user\":\"u\",\"session\":\"s\",\"t\":-1,\"x\":1,\"y\":1,\"button\":\"none\","
        "\"state\":\"move\"}",
    };

    (void)state;
    assert_int_equal(mouse_parse_json(good, strlen(good), &e, user, session, why), 1);
    assert_string_equal(user, "u7");
    assert_string_equal(session, "s1");
    near(e.t, 12.5);
    assert_int_equal(e.button, MOUSE_RIGHT);
    assert_int_equal(e.state, MOUSE_RELEASED);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(mouse_parse_json(bad[i], strlen(bad[i]), &e, user, session, why), -1);
        assert_true(why[0] != '\0');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(straight_line),    cmocka_unit_test(speeding_up),
        cmocka_unit_test(right_angle),      cmocka_unit_test(turning_back),
        cmocka_unit_test(pause_then_click), cmocka_unit_test(drag_and_drop),
        cmocka_unit_test(same_instant),     cmocka_unit_test(csv_rows),
        cmocka_unit_test(json_lines),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
