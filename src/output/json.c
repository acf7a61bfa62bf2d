/* SPDX-License-Identifier: MIT */
/* json: a JSON writer (RFC 8259) into a fixed buffer, strings always valid. */
#include "output/json.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void jb_init(struct jbuf *jb, char *buf, size_t cap)
{
    jb->buf = buf;
    jb->len = 0;
    jb->cap = cap;
    jb->overflow = false;
    jb->depth = 0;
    jb->need_comma[0] = false;
}

static void put(struct jbuf *jb, const char *s, size_t n)
{
    if (jb->overflow || jb->cap - jb->len < n) {
        jb->overflow = true;
        return;
    }
    memcpy(jb->buf + jb->len, s, n);
    jb->len += n;
}

static void put_char(struct jbuf *jb, char ch)
{
    if (jb->overflow || jb->len >= jb->cap) {
        jb->overflow = true;
        return;
    }
    jb->buf[jb->len++] = ch;
}

static const char hex_digits[] = "0123456789abcdef";

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629 section 4: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or 0 if there is
 * none there.
 */
static size_t utf8_sequence_len(const uint8_t *s, size_t left)
{
    uint8_t ch = s[0];
    size_t n = 0;

    if (ch >= 0xc2 && ch <= 0xdf) {
        n = 2;
    } else if (ch >= 0xe0 && ch <= 0xef) {
        n = 3;
    } else if (ch >= 0xf0 && ch <= 0xf4) {
        n = 4;
    }
    if (n == 0 || n > left) {
        return 0;
    }
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xc0) != 0x80) {
            return 0;
        }
    }
    if ((ch == 0xe0 && s[1] < 0xa0) || (ch == 0xed && s[1] >= 0xa0) ||
        (ch == 0xf0 && s[1] < 0x90) || (ch == 0xf4 && s[1] >= 0x90)) {
        return 0;
    }
    return n;
}

static void put_escaped_byte(struct jbuf *jb, uint8_t ch)
{
    switch (ch) {
    case '"':
        put(jb, "\\\"", 2);
        break;
    case '\\':
        put(jb, "\\\\", 2);
        break;
    case '\n':
        put(jb, "\\n", 2);
        break;
    case '\r':
        put(jb, "\\r", 2);
        break;
    case '\t':
        put(jb, "\\t", 2);
        break;
    default: {
        char esc[6] = {'\\', 'u', '0', '0', hex_digits[ch >> 4], hex_digits[ch & 15]};

        put(jb, esc, sizeof(esc));
        break;
    }
    }
}

/*
 * Writes bytes that need no escaping in runs, whole valid UTF-8 sequences
 * as they are, and everything else escaped.
 */
static void put_escaped(struct jbuf *jb, const uint8_t *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t run = i;
        size_t n;

        while (run < len && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\') {
            run++;
        }
        put(jb, (const char *)s + i, run - i);
        i = run;
        if (i >= len) {
            break;
        }
        n = s[i] >= 0x80 ? utf8_sequence_len(s + i, len - i) : 0;
        if (n > 0) {
            put(jb, (const char *)s + i, n);
            i += n;
        } else {
            put_escaped_byte(jb, s[i]);
            i++;
        }
    }
}

/* Comma and key before a value. */
static void member(struct jbuf *jb, const char *key)
{
    if (jb->need_comma[jb->depth]) {
        put_char(jb, ',');
    }
    jb->need_comma[jb->depth] = true;
    if (key != NULL) {
        /* Keys are the program's own literals, never packet data: no escaping. */
        put_char(jb, '"');
        put(jb, key, strlen(key));
        put(jb, "\":", 2);
    }
}

static void open_nested(struct jbuf *jb, const char *key, char ch)
{
    member(jb, key);
    if (jb->depth >= JB_DEPTH_MAX) {
        jb->overflow = true;
        return;
    }
    put_char(jb, ch);
    jb->need_comma[++jb->depth] = false;
}

static void close_nested(struct jbuf *jb, char ch)
{
    if (jb->depth == 0) {
        jb->overflow = true;
        return;
    }
    jb->depth--;
    put_char(jb, ch);
}

void jb_object_open(struct jbuf *jb, const char *key)
{
    open_nested(jb, key, '{');
}

void jb_object_close(struct jbuf *jb)
{
    close_nested(jb, '}');
}

void jb_array_open(struct jbuf *jb, const char *key)
{
    open_nested(jb, key, '[');
}

void jb_array_close(struct jbuf *jb)
{
    close_nested(jb, ']');
}

void jb_strn(struct jbuf *jb, const char *key, const uint8_t *s, size_t len)
{
    member(jb, key);
    put_char(jb, '"');
    put_escaped(jb, s, len);
    put_char(jb, '"');
}

void jb_str(struct jbuf *jb, const char *key, const char *s)
{
    jb_strn(jb, key, (const uint8_t *)s, strlen(s));
}

/* Decimal digits of v, written backwards from end; returns the first. */
static char *u64_digits(uint64_t v, char *end)
{
    char *p = end;

    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    return p;
}

void jb_u64(struct jbuf *jb, const char *key, uint64_t v)
{
    char tmp[24];
    char *p = u64_digits(v, tmp + sizeof(tmp));

    member(jb, key);
    put(jb, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jb_i64(struct jbuf *jb, const char *key, int64_t v)
{
    char tmp[24];
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char *p = u64_digits(mag, tmp + sizeof(tmp));

    if (v < 0) {
        *--p = '-';
    }
    member(jb, key);
    put(jb, p, (size_t)(tmp + sizeof(tmp) - p));
}

void jb_bool(struct jbuf *jb, const char *key, bool v)
{
    member(jb, key);
    if (v) {
        put(jb, "true", 4);
    } else {
        put(jb, "false", 5);
    }
}

void jb_null(struct jbuf *jb, const char *key)
{
    member(jb, key);
    put(jb, "null", 4);
}

void jb_double(struct jbuf *jb, const char *key, double v)
{
    char tmp[32];
    int n;

    if (!isfinite(v)) {
        jb_null(jb, key);
        return;
    }
    /* The shortest of 15 or 17 digits that reads back as the same number. */
    n = snprintf(tmp, sizeof(tmp), "%.15g", v);
    if (strtod(tmp, NULL) != v) {
        n = snprintf(tmp, sizeof(tmp), "%.17g", v);
    }
    member(jb, key);
    put(jb, tmp, (size_t)n);
}

/* Dotted quad without the C library's formatted printing, which is slow. */
static size_t format_ipv4(const uint8_t *addr, char *out)
{
    size_t n = 0;

    for (int i = 0; i < 4; i++) {
        unsigned v = addr[i];

        if (v >= 100) {
            out[n++] = (char)('0' + v / 100);
        }
        if (v >= 10) {
            out[n++] = (char)('0' + v / 10 % 10);
        }
        out[n++] = (char)('0' + v % 10);
        if (i < 3) {
            out[n++] = '.';
        }
    }
    return n;
}

void jb_ip(struct jbuf *jb, const char *key, uint8_t family, const uint8_t *addr)
{
    char tmp[INET6_ADDRSTRLEN];
    size_t n;

    if (family == 4) {
        n = format_ipv4(addr, tmp);
    } else if (inet_ntop(AF_INET6, addr, tmp, sizeof(tmp)) != NULL) {
        n = strlen(tmp);
    } else {
        jb_null(jb, key);
        return;
    }
    member(jb, key);
    put_char(jb, '"');
    put(jb, tmp, n);
    put_char(jb, '"');
}

void jb_mac(struct jbuf *jb, const char *key, const uint8_t *mac)
{
    char tmp[17];

    for (int i = 0; i < 6; i++) {
        tmp[3 * i] = hex_digits[mac[i] >> 4];
        tmp[3 * i + 1] = hex_digits[mac[i] & 15];
        if (i < 5) {
            tmp[3 * i + 2] = ':';
        }
    }
    member(jb, key);
    put_char(jb, '"');
    put(jb, tmp, sizeof(tmp));
    put_char(jb, '"');
}

static void two_digits(char *out, unsigned v)
{
    out[0] = (char)('0' + v / 10 % 10);
    out[1] = (char)('0' + v % 10);
}

/* Writes "YYYY-MM-DD" for the day holding secs into out (10 bytes). */
static void format_day(time_t secs, char *out)
{
    struct tm tm;
    unsigned year;

    gmtime_r(&secs, &tm);
    year = (unsigned)tm.tm_year + 1900;
    two_digits(out, year / 100);
    two_digits(out + 2, year % 100);
    out[4] = '-';
    two_digits(out + 5, (unsigned)tm.tm_mon + 1);
    out[7] = '-';
    two_digits(out + 8, (unsigned)tm.tm_mday);
}

size_t jb_format_time(uint64_t ts_us, char *out)
{
    /* UTC days have 86400 seconds: only the date needs the calendar. */
    static _Thread_local uint64_t cached_day = UINT64_MAX;
    static _Thread_local char cached[10];
    uint64_t secs = ts_us / 1000000;
    unsigned in_day = (unsigned)(secs % 86400);
    unsigned usec = (unsigned)(ts_us % 1000000);

    if (secs / 86400 != cached_day) {
        cached_day = secs / 86400;
        format_day((time_t)secs, cached);
    }
    memcpy(out, cached, sizeof(cached));
    out[10] = 'T';
    two_digits(out + 11, in_day / 3600);
    out[13] = ':';
    two_digits(out + 14, in_day / 60 % 60);
    out[16] = ':';
    two_digits(out + 17, in_day % 60);
    out[19] = '.';
    for (int i = 25; i >= 20; i--) {
        out[i] = (char)('0' + usec % 10);
        usec /= 10;
    }
    memcpy(out + 26, "+0000", 5);
    out[JB_TIME_LEN] = '\0';
    return JB_TIME_LEN;
}

void jb_time(struct jbuf *jb, const char *key, uint64_t ts_us)
{
    char tmp[JB_TIME_LEN + 1];

    jb_format_time(ts_us, tmp);
    member(jb, key);
    put_char(jb, '"');
    put(jb, tmp, JB_TIME_LEN);
    put_char(jb, '"');
}
