/* SPDX-License-Identifier: MIT */
/* log: five levels; the level is tested before anything is formatted. */
#ifndef WW_UTIL_LOG_H
#define WW_UTIL_LOG_H

enum ww_log_level {
    WW_LOG_ERROR = 0,
    WW_LOG_WARNING,
    WW_LOG_NOTICE,
    WW_LOG_INFO,
    WW_LOG_DEBUG,
};

extern enum ww_log_level ww_log_threshold;

void ww_log_write(enum ww_log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define WW_LOG(level, ...)                                                   \
    do {                                                                     \
        if ((level) <= ww_log_threshold) {                                   \
            ww_log_write((level), __FILE__, __LINE__, __VA_ARGS__);          \
        }                                                                    \
    } while (0)

#define ww_error(...) WW_LOG(WW_LOG_ERROR, __VA_ARGS__)
#define ww_warning(...) WW_LOG(WW_LOG_WARNING, __VA_ARGS__)
#define ww_notice(...) WW_LOG(WW_LOG_NOTICE, __VA_ARGS__)
#define ww_info(...) WW_LOG(WW_LOG_INFO, __VA_ARGS__)

/* Debug logs exist only in builds made with -DWW_DEBUG. */
#ifdef WW_DEBUG
#define ww_debug(...) WW_LOG(WW_LOG_DEBUG, __VA_ARGS__)
#else
#define ww_debug(...) ((void)0)
#endif

#endif
