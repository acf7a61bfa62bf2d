/* SPDX-License-Identifier: MIT */
/* keyevents: key-event JSON lines (one key down or up per line), parsed and read by line. */
#ifndef WW_AUTH_KEYEVENTS_H
#define WW_AUTH_KEYEVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The format (wardwatch's own; docs in README "Key events"), one JSON
 * object per line, UTF-8:
 *
 *   {"user":"alice","session":"ws12-0930","key":65,"type":"down","ts":1733230000.123456}
 *
 *   user     string, 1..KEYEV_USER_LEN bytes, no control characters
 *   session  string, 1..KEYEV_SESSION_LEN bytes, no control characters
 *   key      an integer key code 0..KEYEV_KEYCODE_MAX, or a string of
 *            1..KEYEV_KEY_LEN bytes from [A-Za-z0-9._:+/=-] (meant to be a
 *            salted hash of the key code, made by the sender); a string of
 *            digits names the same key as that integer
 *   type     "down" or "up"
 *   ts       seconds since the epoch (number, fractions allowed)
 *
 * Other members are ignored. Blank lines are skipped silently.
 */
#define KEYEV_LINE_MAX 1024 /* longest line in bytes, newline excluded */
#define KEYEV_USER_LEN 64
#define KEYEV_SESSION_LEN 128
#define KEYEV_KEY_LEN 64
#define KEYEV_KEYCODE_MAX 65535
#define KEYEV_TS_MAX 1e11 /* seconds since the epoch; year 5138 */
#define KEYEV_WHY_LEN 160
#define KEYEV_REPORT_MAX 20 /* bad lines reported one by one per file; the rest are counted */

struct keyev {
    char user[KEYEV_USER_LEN + 1];
    char session[KEYEV_SESSION_LEN + 1];
    char key[KEYEV_KEY_LEN + 1]; /* the key as text: decimal code or the hash string */
    bool down;
    double ts; /* seconds since the epoch */
};

/*
 * Parses one line of len bytes (no newline). Returns 0 and fills ev, or -1
 * with the reason in why (KEYEV_WHY_LEN bytes); ev is then undefined.
 */
int keyev_parse(const char *line, size_t len, struct keyev *ev, char *why);

/* Reads key events from a file or stdin line by line. */
struct keyev_reader {
    FILE *f;
    const char *name; /* for messages: the path, or "(stdin)" */
    const char *prog; /* message prefix, such as "wardwatch keystroke verify" */
    uint64_t line;    /* number of the line last read, from 1 */
    uint64_t n_events;
    uint64_t n_bad;
    int read_error;   /* errno of a failed read, or 0 */
    char buf[KEYEV_LINE_MAX + 1];
};

/*
 * Opens path ("-" for stdin). Returns 0, or -1 with errno set. Messages go
 * to stderr prefixed by prog, which must outlive the reader.
 */
int keyev_reader_open(struct keyev_reader *r, const char *path, const char *prog);

/*
 * Reads the next good event into ev. A bad line is reported on stderr as
 * "prog: FILE:LINE: why" (the first KEYEV_REPORT_MAX of them), counted in
 * n_bad and skipped. Returns 1 with an event, 0 at the end, -1 on a read
 * error (read_error says which).
 */
int keyev_next(struct keyev_reader *r, struct keyev *ev);

/* Reports the line last read as bad for a reason found after parsing, and counts it. */
void keyev_reader_bad(struct keyev_reader *r, const char *why);

/* Says how many bad lines went unreported, if any, and closes (stdin stays open). */
void keyev_reader_close(struct keyev_reader *r);

#endif
