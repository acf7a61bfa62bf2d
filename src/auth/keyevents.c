/* SPDX-License-Identifier: MIT */
/* keyevents: key-event JSON lines (format in keyevents.h), parsed with jansson, read by line. */
#include "auth/keyevents.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

/* Copies a string member of 1..cap bytes without control characters into out. */
static int get_text(json_t *root, const char *name, char *out, size_t cap, char *why)
{
    json_t *v = json_object_get(root, name);
    const char *s;
    size_t len;

    if (v == NULL) {
        snprintf(why, KEYEV_WHY_LEN, "no \"%s\" member", name);
        return -1;
    }
    if (!json_is_string(v)) {
        snprintf(why, KEYEV_WHY_LEN, "\"%s\" is not a string", name);
        return -1;
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if (len == 0 || len > cap) {
        snprintf(why, KEYEV_WHY_LEN, "\"%s\" must have 1 to %zu bytes, not %zu", name, cap, len);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            snprintf(why, KEYEV_WHY_LEN, "\"%s\" holds a control character", name);
            return -1;
        }
    }
    memcpy(out, s, len);
    out[len] = '\0';
    return 0;
}

static bool key_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("._:+/=-", c) != NULL;
}

/* The key as text: an integer code in decimal, or a hash string as it is. */
static int get_key(json_t *root, char *out, char *why)
{
    json_t *v = json_object_get(root, "key");

    if (v == NULL) {
        snprintf(why, KEYEV_WHY_LEN, "no \"key\" member");
        return -1;
    }
    if (json_is_integer(v)) {
        json_int_t code = json_integer_value(v);

        if (code < 0 || code > KEYEV_KEYCODE_MAX) {
            snprintf(why, KEYEV_WHY_LEN, "key code %lld is outside 0..%d", (long long)code,
                     KEYEV_KEYCODE_MAX);
            return -1;
        }
        snprintf(out, KEYEV_KEY_LEN + 1, "%lld", (long long)code);
        return 0;
    }
    if (!json_is_string(v)) {
        snprintf(why, KEYEV_WHY_LEN, "\"key\" is neither a key code nor a hash string");
        return -1;
    }
    if (get_text(root, "key", out, KEYEV_KEY_LEN, why) < 0) {
        return -1;
    }
    for (const char *c = out; *c != '\0'; c++) {
        if (!key_char_ok(*c)) {
            snprintf(why, KEYEV_WHY_LEN, "\"key\" may hold only A-Z a-z 0-9 . _ : + / = -");
            return -1;
        }
    }
    return 0;
}

static int get_type_ts(json_t *root, struct keyev *ev, char *why)
{
    json_t *type = json_object_get(root, "type");
    json_t *ts = json_object_get(root, "ts");

    if (!json_is_string(type) ||
        (strcmp(json_string_value(type), "down") != 0 &&
         strcmp(json_string_value(type), "up") != 0)) {
        snprintf(why, KEYEV_WHY_LEN, "\"type\" must be \"down\" or \"up\"");
        return -1;
    }
    ev->down = strcmp(json_string_value(type), "down") == 0;
    if (!json_is_number(ts)) {
        snprintf(why, KEYEV_WHY_LEN, "\"ts\" must be a number of seconds since the epoch");
        return -1;
    }
    ev->ts = json_number_value(ts);
    if (!isfinite(ev->ts) || ev->ts < 0 || ev->ts > KEYEV_TS_MAX) {
        snprintf(why, KEYEV_WHY_LEN, "\"ts\" %g is outside 0..%g seconds", ev->ts,
                 KEYEV_TS_MAX);
        return -1;
    }
    return 0;
}

int keyev_parse(const char *line, size_t len, struct keyev *ev, char *why)
{
    json_error_t err;
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
    int rc = -1;

    if (root == NULL) {
        snprintf(why, KEYEV_WHY_LEN, "not JSON: %.100s (column %d)", err.text, err.column);
        return -1;
    }
    if (!json_is_object(root)) {
        snprintf(why, KEYEV_WHY_LEN, "not a JSON object");
        goto out;
    }
    if (get_text(root, "user", ev->user, KEYEV_USER_LEN, why) < 0 ||
        get_text(root, "session", ev->session, KEYEV_SESSION_LEN, why) < 0 ||
        get_key(root, ev->key, why) < 0 || get_type_ts(root, ev, why) < 0) {
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    return rc;
}

int keyev_reader_open(struct keyev_reader *r, const char *path, const char *prog)
{
    memset(r, 0, sizeof(*r));
    r->prog = prog;
    if (strcmp(path, "-") == 0) {
        r->f = stdin;
        r->name = "(stdin)";
        return 0;
    }
    r->f = fopen(path, "r");
    if (r->f == NULL) {
        return -1;
    }
    r->name = path;
    return 0;
}

void keyev_reader_bad(struct keyev_reader *r, const char *why)
{
    r->n_bad++;
    if (r->n_bad <= KEYEV_REPORT_MAX) {
        fprintf(stderr, "%s: %s:%llu: %s; line skipped\n", r->prog, r->name,
                (unsigned long long)r->line, why);
    }
    if (r->n_bad == KEYEV_REPORT_MAX) {
        fprintf(stderr, "%s: %s: further bad lines are counted, not shown\n", r->prog,
                r->name);
    }
}

/*
 * Reads one line into r->buf without its newline. Returns its length, -1
 * at the end, -2 on a read error, -3 when the line was longer than
 * KEYEV_LINE_MAX (the rest of it is consumed).
 */
static long read_line(struct keyev_reader *r)
{
    size_t len = 0;
    bool long_line = false;
    int c;

    for (;;) {
        c = getc(r->f);
        if (c == EOF || c == '\n') {
            break;
        }
        if (len < KEYEV_LINE_MAX) {
            r->buf[len++] = (char)c;
        } else {
            long_line = true;
        }
    }
    if (c == EOF && ferror(r->f)) {
        r->read_error = errno != 0 ? errno : EIO;
        return -2;
    }
    if (c == EOF && len == 0 && !long_line) {
        return -1;
    }
    r->line++;
    r->buf[len] = '\0';
    return long_line ? -3 : (long)len;
}

static bool blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
            return false;
        }
    }
    return true;
}

int keyev_next(struct keyev_reader *r, struct keyev *ev)
{
    char why[KEYEV_WHY_LEN];

    for (;;) {
        long n = read_line(r);

        if (n == -1) {
            return 0;
        }
        if (n == -2) {
            return -1;
        }
        if (n == -3) {
            snprintf(why, sizeof(why), "line longer than %d bytes", KEYEV_LINE_MAX);
            keyev_reader_bad(r, why);
            continue;
        }
        if (blank(r->buf, (size_t)n)) {
            continue;
        }
        if (keyev_parse(r->buf, (size_t)n, ev, why) < 0) {
            keyev_reader_bad(r, why);
            continue;
        }
        r->n_events++;
        return 1;
    }
}

void keyev_reader_close(struct keyev_reader *r)
{
    if (r->n_bad > KEYEV_REPORT_MAX) {
        fprintf(stderr, "%s: %s: %llu bad lines skipped in all\n", r->prog, r->name,
                (unsigned long long)r->n_bad);
    }
    if (r->f != NULL && r->f != stdin) {
        fclose(r->f);
    }
    r->f = NULL;
}
