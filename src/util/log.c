/* SPDX-License-Identifier: MIT */
/* log: writes messages a user can act on to stderr. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

enum ww_log_level ww_log_threshold = WW_LOG_NOTICE;

static const char *const level_names[] = {"error", "warning", "notice", "info", "debug"};

/*
 * Errors, warnings and notices read as "wardwatch: <level>: message"; info
 * and debug add the source position for developers.
 */
void ww_log_write(enum ww_log_level level, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    if (level > WW_LOG_DEBUG) {
        level = WW_LOG_DEBUG;
    }
    if (level >= WW_LOG_INFO) {
        fprintf(stderr, "wardwatch: %s: %s:%d: ", level_names[level], file, line);
    } else {
        fprintf(stderr, "wardwatch: %s: ", level_names[level]);
    }
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
