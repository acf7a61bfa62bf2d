/* SPDX-License-Identifier: MIT */
/*
 * hl7_common: what the testbed's HL7 sender and engine share: the clock,
 * HL7 timestamps, the check on names they put into messages, and the
 * usage error. A program defines PROG, its name, before including it.
 */
#ifndef TB_HL7_COMMON_H
#define TB_HL7_COMMON_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TS_LEN 15 /* YYYYMMDDHHMMSS and its NUL */

/* Seconds on the monotonic clock. */
static inline double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The wall clock as an HL7 timestamp, YYYYMMDDHHMMSS, local time. */
static inline void hl7_timestamp(char out[TS_LEN])
{
    time_t t = time(NULL);
    struct tm tm;

    localtime_r(&t, &tm);
    if (strftime(out, TS_LEN, "%Y%m%d%H%M%S", &tm) == 0) {
        out[0] = '\0';
    }
}

/* Whether s is 1 to max bytes free of HL7 delimiters and control characters. */
static inline bool hl7_plain_text(const char *s, size_t max)
{
    size_t len = strlen(s);

    if (len == 0 || len > max) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7F || strchr("|^~\\&", c) != NULL) {
            return false;
        }
    }
    return true;
}

/* Says what was wrong with the command line, in one line, and exits 1. */
static inline void usage_error(const char *what, const char *arg)
{
    fprintf(stderr, PROG ": %s%s%s (try --help)\n", what, arg ? ": " : "", arg ? arg : "");
    exit(1);
}

#endif
