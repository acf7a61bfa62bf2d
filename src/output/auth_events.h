/* SPDX-License-Identifier: MIT */
/* auth_events: `keystroke` events and identity alerts from continuous authentication. */
#ifndef WW_OUTPUT_AUTH_EVENTS_H
#define WW_OUTPUT_AUTH_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/typing.h"
#include "output/eve.h"

#define AUTH_ALERT_GID 1
#define AUTH_SID_TYPING 9100001  /* wardwatch's own range, 9100000..9199999 */
#define AUTH_SEVERITY_IDENTITY 2 /* Suricata's scale: 1 high, 2 medium, 3 low */
#define AUTH_REASON_LEN 1024
#define AUTH_SIGNATURE_LEN 160

/* Who and what an event is about. */
struct auth_typing_event {
    const char *user;
    const char *session;
    const struct typing_report *r;
    bool profiled; /* the user has a profile; without one nothing was scored */
    bool final;    /* the session's last event */
};

/*
 * A `keystroke` event at time ts_us (microseconds since the epoch): user,
 * session, trust, keystrokes and features scored, the window's share
 * inside against the user's, and its most atypical key pairs as key
 * codes or hashes. Never typed text.
 */
void auth_events_keystroke(struct eve_writer *w, uint64_t ts_us,
                           const struct auth_typing_event *ev);

/*
 * An `alert` event (category "identity") for a session whose trust fell
 * below the threshold, with the reason in words in alert.reason, and the
 * same `keystroke` object as above.
 */
void auth_events_typing_alert(struct eve_writer *w, uint64_t ts_us,
                              const struct auth_typing_event *ev);

/* The reason text of an alert into out (AUTH_REASON_LEN bytes). */
void auth_typing_reason(const struct auth_typing_event *ev, char *out);

#endif
