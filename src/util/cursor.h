/* SPDX-License-Identifier: MIT */
/* cursor: bounds-checked, endian-explicit reads over a byte range. */
#ifndef WW_UTIL_CURSOR_H
#define WW_UTIL_CURSOR_H

#include <stddef.h>
#include <stdint.h>

/*
 * A cursor walks forward over [pos, end). Every read checks that the bytes
 * are there first; a read that would pass `end` returns -1 and leaves the
 * cursor where it was, so a caller can tell "too short" from a value.
 */
struct ww_cursor {
    const uint8_t *pos;
    const uint8_t *end;
};

static inline void cursor_init(struct ww_cursor *c, const uint8_t *buf, size_t len)
{
    c->pos = buf;
    c->end = buf + len;
}

/* Bytes left between the read position and the end. */
static inline size_t cursor_left(const struct ww_cursor *c)
{
    return (size_t)(c->end - c->pos);
}

static inline int cursor_skip(struct ww_cursor *c, size_t n)
{
    if (cursor_left(c) < n) {
        return -1;
    }
    c->pos += n;
    return 0;
}

static inline int cursor_u8(struct ww_cursor *c, uint8_t *out)
{
    if (cursor_left(c) < 1) {
        return -1;
    }
    *out = c->pos[0];
    c->pos += 1;
    return 0;
}

static inline int cursor_be16(struct ww_cursor *c, uint16_t *out)
{
    if (cursor_left(c) < 2) {
        return -1;
    }
    *out = (uint16_t)((c->pos[0] << 8) | c->pos[1]);
    c->pos += 2;
    return 0;
}

static inline int cursor_be32(struct ww_cursor *c, uint32_t *out)
{
    if (cursor_left(c) < 4) {
        return -1;
    }
    *out = ((uint32_t)c->pos[0] << 24) | ((uint32_t)c->pos[1] << 16) |
           ((uint32_t)c->pos[2] << 8) | (uint32_t)c->pos[3];
    c->pos += 4;
    return 0;
}

static inline int cursor_le16(struct ww_cursor *c, uint16_t *out)
{
    if (cursor_left(c) < 2) {
        return -1;
    }
    *out = (uint16_t)(c->pos[0] | (c->pos[1] << 8));
    c->pos += 2;
    return 0;
}

static inline int cursor_le32(struct ww_cursor *c, uint32_t *out)
{
    if (cursor_left(c) < 4) {
        return -1;
    }
    *out = (uint32_t)c->pos[0] | ((uint32_t)c->pos[1] << 8) |
           ((uint32_t)c->pos[2] << 16) | ((uint32_t)c->pos[3] << 24);
    c->pos += 4;
    return 0;
}

/* Hands out a pointer to the next n bytes (no copy) and moves past them. */
static inline int cursor_bytes(struct ww_cursor *c, size_t n, const uint8_t **out)
{
    if (cursor_left(c) < n) {
        return -1;
    }
    *out = c->pos;
    c->pos += n;
    return 0;
}

/* Copies the next n bytes into dst and moves past them. */
static inline int cursor_copy(struct ww_cursor *c, void *dst, size_t n)
{
    const uint8_t *src;
    uint8_t *d = dst;

    if (cursor_bytes(c, n, &src) < 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        d[i] = src[i];
    }
    return 0;
}

/* Looks at the byte `off` past the read position without moving. */
static inline int cursor_peek_u8(const struct ww_cursor *c, size_t off, uint8_t *out)
{
    if (cursor_left(c) <= off) {
        return -1;
    }
    *out = c->pos[off];
    return 0;
}

/* Shortens the readable range to n bytes from the read position. */
static inline int cursor_limit(struct ww_cursor *c, size_t n)
{
    if (cursor_left(c) < n) {
        return -1;
    }
    c->end = c->pos + n;
    return 0;
}

#endif
