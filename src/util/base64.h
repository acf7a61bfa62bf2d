/* SPDX-License-Identifier: MIT */
/* base64: standard alphabet with padding (RFC 4648 section 4). */
#ifndef WW_UTIL_BASE64_H
#define WW_UTIL_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Output length for n input bytes, not counting the terminating NUL. */
#define BASE64_LEN(n) ((((n) + 2) / 3) * 4)

/*
 * Encodes len bytes into out, which must hold BASE64_LEN(len) + 1 bytes.
 * Returns the number of characters written, not counting the NUL.
 */
size_t base64_encode(const uint8_t *in, size_t len, char *out);

/* The 6-bit value of a character of the alphabet, or -1 for any other byte. */
int base64_value(uint8_t c);

#endif
