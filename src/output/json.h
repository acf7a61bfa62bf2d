/* SPDX-License-Identifier: MIT */
/* json: builds one JSON document into a caller's fixed buffer, no allocation. */
#ifndef WW_OUTPUT_JSON_H
#define WW_OUTPUT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JB_DEPTH_MAX 16

/*
 * A builder over buf[0, cap). Writing past cap or nesting deeper than
 * JB_DEPTH_MAX sets `overflow` and makes every later call do nothing, so a
 * caller builds a whole document and checks once at the end. `key` is the
 * member name inside an object and NULL inside an array or at the root; it
 * is written as it is, so it must be a literal of the program, never data.
 */
struct jbuf {
    char *buf;
    size_t len;
    size_t cap;
    bool overflow;
    unsigned depth;
    bool need_comma[JB_DEPTH_MAX + 1];
};

void jb_init(struct jbuf *jb, char *buf, size_t cap);

void jb_object_open(struct jbuf *jb, const char *key);
void jb_object_close(struct jbuf *jb);
void jb_array_open(struct jbuf *jb, const char *key);
void jb_array_close(struct jbuf *jb);

/* A NUL-terminated string, escaped. */
void jb_str(struct jbuf *jb, const char *key, const char *s);
/*
 * len bytes of possibly hostile data: quotes, backslashes and control
 * characters are escaped, and bytes that are not valid UTF-8 become
 * \u00XX, so the output is always valid JSON.
 */
void jb_strn(struct jbuf *jb, const char *key, const uint8_t *s, size_t len);
void jb_u64(struct jbuf *jb, const char *key, uint64_t v);
void jb_i64(struct jbuf *jb, const char *key, int64_t v);
void jb_bool(struct jbuf *jb, const char *key, bool v);
/* Non-finite numbers are written as null, which JSON can hold. */
void jb_double(struct jbuf *jb, const char *key, double v);
void jb_null(struct jbuf *jb, const char *key);

/* An IPv4 (family 4) or IPv6 (family 6) address in its text form. */
void jb_ip(struct jbuf *jb, const char *key, uint8_t family, const uint8_t *addr);
/* A MAC address as six colon-separated hex pairs. */
void jb_mac(struct jbuf *jb, const char *key, const uint8_t *mac);
/* A time in microseconds since the epoch, ISO 8601 UTC with microseconds. */
void jb_time(struct jbuf *jb, const char *key, uint64_t ts_us);

/*
 * Writes ts_us as "YYYY-MM-DDTHH:MM:SS.uuuuuu+0000" into out, which must
 * hold JB_TIME_LEN + 1 bytes. Returns JB_TIME_LEN.
 */
#define JB_TIME_LEN 31
size_t jb_format_time(uint64_t ts_us, char *out);

#endif
