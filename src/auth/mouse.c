/* SPDX-License-Identifier: MIT */
/* mouse: mouse events, actions and their features (mouse.h). */
#include "auth/mouse.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_FIELDS 6
#define CSV_FIELD_MAX 64

static const char *const button_names[] = {"none", "left", "right", "middle", "scroll"};
static const char *const state_names[] = {"move", "pressed", "released", "drag", "wheel"};

/* ---- parsing ------------------------------------------------------------- */

static bool parse_number(const char *s, double *out)
{
    char *end;

    *out = strtod(s, &end);
    return end != s && *end == '\0' && isfinite(*out);
}

/* The Balabit buttons: NoButton, Left, Right, Middle, Scroll. */
static bool csv_button(const char *s, enum mouse_button *b)
{
    static const char *const names[] = {"NoButton", "Left", "Right", "Middle", "Scroll"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i]) == 0) {
            *b = (enum mouse_button)i;
            return true;
        }
    }
    return false;
}

/* The Balabit states: Move, Pressed, Released, Drag, and Down and Up of the wheel. */
static bool csv_state(const char *s, enum mouse_state *st)
{
    static const struct {
        const char *name;
        enum mouse_state state;
    } names[] = {{"Move", MOUSE_MOVE},     {"Pressed", MOUSE_PRESSED}, {"Released", MOUSE_RELEASED},
                 {"Drag", MOUSE_DRAG},     {"Down", MOUSE_WHEEL},      {"Up", MOUSE_WHEEL}};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *st = names[i].state;
            return true;
        }
    }
    return false;
}

/* Cuts a CSV line of len bytes into at most CSV_FIELDS fields; returns how many there were. */
static int csv_fields(const char *line, size_t len, char f[CSV_FIELDS][CSV_FIELD_MAX])
{
    int n = 0;
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != ',') {
            continue;
        }
        if (n < CSV_FIELDS) {
            size_t w = i - start < CSV_FIELD_MAX - 1 ? i - start : CSV_FIELD_MAX - 1;

            memcpy(f[n], line + start, w);
            f[n][w] = '\0';
        }
        n++;
        start = i + 1;
    }
    return n;
}

int mouse_parse_csv(const char *line, size_t len, struct mouse_event *ev, char *why)
{
    char f[CSV_FIELDS][CSV_FIELD_MAX];
    int n;

    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n')) {
        len--;
    }
    n = csv_fields(line, len, f);
    if (n != CSV_FIELDS) {
        snprintf(why, MOUSE_WHY_LEN, "%d fields, want %d: record timestamp, client timestamp, "
                                     "button, state, x, y", n, CSV_FIELDS);
        return -1;
    }
    if (strcmp(f[0], "record timestamp") == 0) {
        return 0;
    }
    if (!parse_number(f[1], &ev->t) || ev->t < 0) {
        snprintf(why, MOUSE_WHY_LEN, "client timestamp \"%s\" is not a time", f[1]);
        return -1;
    }
    if (!csv_button(f[2], &ev->button) || !csv_state(f[3], &ev->state)) {
        snprintf(why, MOUSE_WHY_LEN, "unknown button \"%s\" or state \"%s\"", f[2], f[3]);
        return -1;
    }
    if (!parse_number(f[4], &ev->x) || !parse_number(f[5], &ev->y)) {
        snprintf(why, MOUSE_WHY_LEN, "position \"%.40s\", \"%.40s\" is not two numbers", f[4],
                 f[5]);
        return -1;
    }
    return 1;
}

/* The index of s in names, or -1. */
static int name_index(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static bool json_text(json_t *o, const char *key, char *out, size_t cap)
{
    const char *s = json_string_value(json_object_get(o, key));

    if (s == NULL || *s == '\0' || strlen(s) >= cap) {
        return false;
    }
    memcpy(out, s, strlen(s) + 1);
    return true;
}

int mouse_parse_json(const char *line, size_t len, struct mouse_event *ev, char *user,
                     char *session, char *why)
{
    json_error_t err;
    json_t *o = json_loadb(line, len, 0, &err);
    int b, s, rc = -1;

    if (!json_is_object(o)) {
        snprintf(why, MOUSE_WHY_LEN, "not a JSON object: %.100s", o == NULL ? err.text : "");
    } else if (!json_text(o, "user", user, MOUSE_USER_LEN + 1) ||
               !json_text(o, "session", session, MOUSE_SESSION_LEN + 1)) {
        snprintf(why, MOUSE_WHY_LEN, "user and session must be strings of 1 to %d and %d bytes",
                 MOUSE_USER_LEN, MOUSE_SESSION_LEN);
    } else if (!json_is_number(json_object_get(o, "t")) ||
               !json_is_number(json_object_get(o, "x")) ||
               !json_is_number(json_object_get(o, "y"))) {
        snprintf(why, MOUSE_WHY_LEN, "t, x and y must be numbers");
    } else if ((b = name_index(json_string_value(json_object_get(o, "button")), button_names,
                               sizeof(button_names) / sizeof(button_names[0]))) < 0 ||
               (s = name_index(json_string_value(json_object_get(o, "state")), state_names,
                               sizeof(state_names) / sizeof(state_names[0]))) < 0) {
        snprintf(why, MOUSE_WHY_LEN, "button must be none, left, right, middle or scroll; "
                                     "state move, pressed, released, drag or wheel");
    } else {
        ev->t = json_number_value(json_object_get(o, "t"));
        ev->x = json_number_value(json_object_get(o, "x"));
        ev->y = json_number_value(json_object_get(o, "y"));
        ev->button = (enum mouse_button)b;
        ev->state = (enum mouse_state)s;
        rc = isfinite(ev->t) && ev->t >= 0 ? 1 : -1;
        if (rc < 0) {
            snprintf(why, MOUSE_WHY_LEN, "t must be a time in seconds");
        }
    }
    json_decref(o);
    return rc;
}

/* ---- features ------------------------------------------------------------ */

/* An angle difference brought into (-pi, pi]. */
static double wrap(double a)
{
    while (a > M_PI) {
        a -= 2 * M_PI;
    }
    while (a <= -M_PI) {
        a += 2 * M_PI;
    }
    return a;
}

/* Speeds of the segments (px/s), 0 where time did not move on; returns the distance. */
static double speeds(const struct mouse_point *p, size_t n, double *v, double *max_v)
{
    double distance = 0;

    *max_v = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        double d = hypot(p[i + 1].x - p[i].x, p[i + 1].y - p[i].y), dt = p[i + 1].t - p[i].t;

        distance += d;
        v[i] = dt > 0 ? d / dt : 0;
        *max_v = v[i] > *max_v ? v[i] : *max_v;
    }
    return distance;
}

/*
 * Mean absolute acceleration and jerk. Speed i holds at the middle of
 * segment i, so acceleration i (between speeds i and i + 1) holds at point
 * i + 1 and jerk i (between accelerations i and i + 1) spans segment i + 1.
 */
static void accel_jerk(const struct mouse_point *p, size_t n, const double *v, double *accel,
                       double *jerk)
{
    double sum_a = 0, sum_j = 0, prev_a = 0;
    size_t n_a = 0, n_j = 0;

    for (size_t i = 0; i + 2 < n; i++) {
        double span = (p[i + 2].t - p[i].t) / 2, a;

        if (span <= 0) {
            continue;
        }
        a = (v[i + 1] - v[i]) / span;
        sum_a += fabs(a);
        if (n_a > 0 && p[i + 2].t - p[i + 1].t > 0) {
            sum_j += fabs(a - prev_a) / (p[i + 2].t - p[i + 1].t);
            n_j++;
        }
        prev_a = a;
        n_a++;
    }
    *accel = n_a > 0 ? sum_a / (double)n_a : 0;
    *jerk = n_j > 0 ? sum_j / (double)n_j : 0;
}

/* Total and mean absolute turn between successive moving segments. */
static void turns(const struct mouse_point *p, size_t n, double *total, double *mean)
{
    double prev = 0, sum = 0;
    size_t k = 0;
    bool have = false;

    for (size_t i = 0; i + 1 < n; i++) {
        double dx = p[i + 1].x - p[i].x, dy = p[i + 1].y - p[i].y, th;

        if (dx == 0 && dy == 0) {
            continue;
        }
        th = atan2(dy, dx);
        if (have) {
            sum += fabs(wrap(th - prev));
            k++;
        }
        prev = th;
        have = true;
    }
    *total = sum;
    *mean = k > 0 ? sum / (double)k : 0;
}

void mouse_features(const struct mouse_point *p, size_t n, struct mouse_action *a)
{
    double v[MOUSE_POINTS_MAX]; /* 32 KiB: the speeds of one action's segments */
    double ex = p[n - 1].x - p[0].x, ey = p[n - 1].y - p[0].y, total_turn;

    a->n_points = (uint32_t)n;
    a->t_start = p[0].t;
    a->duration_s = p[n - 1].t - p[0].t;
    a->distance_px = speeds(p, n, v, &a->max_speed);
    a->mean_speed = a->duration_s > 0 ? a->distance_px / a->duration_s : 0;
    a->straightness = a->distance_px > 0 ? hypot(ex, ey) / a->distance_px : 0;
    a->direction = atan2(ey, ex);
    accel_jerk(p, n, v, &a->mean_accel, &a->mean_jerk);
    turns(p, n, &total_turn, &a->mean_angle_change);
    a->curvature = a->distance_px > 0 ? total_turn / a->distance_px : 0;
}

/* ---- segmentation -------------------------------------------------------- */

void mouse_segmenter_init(struct mouse_segmenter *s, double pause_s)
{
    memset(s, 0, sizeof(*s));
    s->pause_s = pause_s;
}

/* Forgets the points of the action that ended: coordinates are not kept past it. */
static void wipe_points(struct mouse_segmenter *s)
{
    memset(s->points, 0, s->n * sizeof(s->points[0]));
    s->n = 0;
}

static void add_point(struct mouse_segmenter *s, const struct mouse_event *ev)
{
    if (s->n > 0 && s->points[s->n - 1].t == ev->t) {
        s->points[s->n - 1].x = ev->x; /* the same instant: the latest position stands */
        s->points[s->n - 1].y = ev->y;
        return;
    }
    if (s->n < MOUSE_POINTS_MAX) {
        s->points[s->n++] = (struct mouse_point){ev->t, ev->x, ev->y};
    }
}

/* Ends the action under way as type; returns 1 with out when it had a movement or a click. */
static int end_action(struct mouse_segmenter *s, enum mouse_action_type type, double hold,
                      struct mouse_action *out)
{
    int made = 0;

    if (s->n >= 2) {
        memset(out, 0, sizeof(*out));
        mouse_features(s->points, s->n, out);
        out->type = type;
        out->click_hold_s = hold;
        made = 1;
    }
    wipe_points(s);
    return made;
}

int mouse_segmenter_feed(struct mouse_segmenter *s, const struct mouse_event *ev,
                         struct mouse_action out[2])
{
    int n = 0;

    if (s->any && ev->t - s->last_t > s->pause_s && !s->pressed) {
        n += end_action(s, MOUSE_ACTION_MOVE, 0, &out[n]);
    }
    s->any = true;
    s->last_t = ev->t;
    switch (ev->state) {
    case MOUSE_WHEEL:
        break;
    case MOUSE_MOVE:
        add_point(s, ev);
        break;
    case MOUSE_DRAG:
        add_point(s, ev);
        s->dragged = s->dragged || s->pressed;
        break;
    case MOUSE_PRESSED:
        add_point(s, ev);
        s->pressed = true;
        s->dragged = false;
        s->press_t = ev->t;
        break;
    case MOUSE_RELEASED:
        add_point(s, ev);
        if (s->pressed) {
            enum mouse_action_type type =
                s->dragged ? MOUSE_ACTION_DRAG_DROP : MOUSE_ACTION_POINT_CLICK;

            if (s->n == 1) { /* a click where the pointer stood: the press and release */
                s->points[s->n++] = (struct mouse_point){ev->t, ev->x, ev->y};
                s->points[0].t = s->press_t;
            }
            n += end_action(s, type, ev->t - s->press_t, &out[n]);
        }
        s->pressed = false;
        s->dragged = false;
        break;
    }
    return n;
}

int mouse_segmenter_flush(struct mouse_segmenter *s, struct mouse_action *out)
{
    int n = end_action(s, s->pressed && s->dragged ? MOUSE_ACTION_DRAG_DROP : MOUSE_ACTION_MOVE,
                       0, out);

    s->pressed = s->dragged = false;
    return n;
}
