/* SPDX-License-Identifier: MIT */
/*
 * mouse: mouse events (the Balabit Mouse Dynamics Challenge's CSV, or JSON
 * lines), cut into actions, and each action's features. Raw coordinates
 * live only in the action being built and are wiped when it ends: what
 * is kept is the features.
 *
 * Actions (after Ahmed and Traore's taxonomy as the Balabit papers use it):
 *   move          movements with no button, ended by a pause
 *   point-click   movements ended by a press and release of a button
 *   drag-drop     a press, drags, and the release
 * A pause of more than pause_s seconds between two events ends the action
 * under way. Scroll-wheel events are passed over.
 *
 * Features, with their units: duration (s), distance travelled (px),
 * straightness (end-to-end distance / distance travelled, 0 to 1), mean
 * and largest speed (px/s), mean absolute acceleration (px/s^2), mean
 * absolute jerk (px/s^3), mean absolute angle change between successive
 * segments (rad), curvature (total absolute angle change / distance,
 * rad/px), end-to-end direction (rad, -pi to pi, y growing downwards as
 * on screen), click hold time (s, press to release; 0 for a move).
 */
#ifndef WW_AUTH_MOUSE_H
#define WW_AUTH_MOUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MOUSE_WHY_LEN 160
#define MOUSE_POINTS_MAX 4096 /* points of one action; a longer one is cut there */
#define MOUSE_PAUSE_S 1.0     /* default: a longer gap between events ends an action */
#define MOUSE_USER_LEN 64
#define MOUSE_SESSION_LEN 128

enum mouse_button { MOUSE_NO_BUTTON, MOUSE_LEFT, MOUSE_RIGHT, MOUSE_MIDDLE, MOUSE_SCROLL };
enum mouse_state { MOUSE_MOVE, MOUSE_PRESSED, MOUSE_RELEASED, MOUSE_DRAG, MOUSE_WHEEL };

struct mouse_event {
    double t; /* seconds */
    double x, y;
    enum mouse_button button;
    enum mouse_state state;
};

/*
 * One row of the Balabit CSV: "record timestamp,client timestamp,button,
 * state,x,y" (the client timestamp is the one used). Returns 1 with ev, 0
 * for the header row, -1 with the reason in why (MOUSE_WHY_LEN bytes).
 */
int mouse_parse_csv(const char *line, size_t len, struct mouse_event *ev, char *why);

/*
 * One JSON line: {"user", "session", "t", "x", "y", "button", "state"},
 * button "none", "left", "right", "middle" or "scroll", state "move",
 * "pressed", "released", "drag" or "wheel". user and session (of at most
 * MOUSE_USER_LEN and MOUSE_SESSION_LEN bytes) go to the buffers given.
 * Returns 1 with ev, -1 with why.
 */
int mouse_parse_json(const char *line, size_t len, struct mouse_event *ev, char *user,
                     char *session, char *why);

enum mouse_action_type { MOUSE_ACTION_MOVE, MOUSE_ACTION_POINT_CLICK, MOUSE_ACTION_DRAG_DROP };

struct mouse_action {
    enum mouse_action_type type;
    uint32_t n_points;
    double t_start;
    double duration_s, distance_px, straightness;
    double mean_speed, max_speed;        /* px/s */
    double mean_accel;                   /* px/s^2, absolute */
    double mean_jerk;                    /* px/s^3, absolute */
    double mean_angle_change;            /* rad, absolute */
    double curvature;                    /* rad/px */
    double direction;                    /* rad */
    double click_hold_s;
};

struct mouse_point {
    double t, x, y;
};

struct mouse_segmenter {
    double pause_s;
    struct mouse_point points[MOUSE_POINTS_MAX];
    size_t n;
    bool pressed, dragged;
    double press_t;
    double last_t;
    bool any;
};

void mouse_segmenter_init(struct mouse_segmenter *s, double pause_s);

/*
 * Takes the next event (in time order). Returns the number of actions it
 * ended (0, 1 or 2: a pause ends the one under way, a release the one it
 * completes) written to out[0..].
 */
int mouse_segmenter_feed(struct mouse_segmenter *s, const struct mouse_event *ev,
                         struct mouse_action out[2]);

/* Ends the action under way, if there is one worth a feature: 1 with out, else 0. */
int mouse_segmenter_flush(struct mouse_segmenter *s, struct mouse_action *out);

/* The features of n points (n >= 2) into a (type and click hold time are the caller's). */
void mouse_features(const struct mouse_point *p, size_t n, struct mouse_action *a);

#endif
