/* SPDX-License-Identifier: MIT */
/* Logging: journald-friendly "<N>" prefixes under systemd, plain text on a
 * terminal, syslog(3) once daemonized. */
#ifndef GWD_LOG_H
#define GWD_LOG_H

#include <stdarg.h>

enum log_target {
        LOG_TARGET_STDERR,    /* plain "gatewayd: level: message" */
        LOG_TARGET_JOURNAL,   /* "<N>message" on stderr, read by journald */
        LOG_TARGET_SYSLOG,
};

void log_setup(enum log_target target);
/* Picks JOURNAL when stderr is the stream systemd gave us (JOURNAL_STREAM). */
enum log_target log_target_detect(void);
void log_set_max_level(int level);
int log_get_max_level(void);
/* Parse "err", "warning", "notice", "info", "debug"; -EINVAL otherwise. */
int log_level_from_string(const char *s);

void log_msgv(int level, const char *prefix, const char *fmt, va_list ap);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(3, __VA_ARGS__)
#define log_warning(...) log_msg(4, __VA_ARGS__)
#define log_notice(...) log_msg(5, __VA_ARGS__)
#define log_info(...) log_msg(6, __VA_ARGS__)
#define log_debug(...) log_msg(7, __VA_ARGS__)

#endif
