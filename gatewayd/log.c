/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static enum log_target log_target = LOG_TARGET_STDERR;
static int log_max_level = 6;

static const char *const level_names[8] = {
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

void log_setup(enum log_target target)
{
        if (log_target == LOG_TARGET_SYSLOG && target != LOG_TARGET_SYSLOG)
                closelog();
        log_target = target;
        if (target == LOG_TARGET_SYSLOG)
                openlog("gatewayd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

enum log_target log_target_detect(void)
{
        /* JOURNAL_STREAM is "device:inode" of the stream systemd connected
         * to stdout/stderr; only trust it if stderr really is that stream. */
        const char *js = getenv("JOURNAL_STREAM");
        struct stat st;
        unsigned long long dev, ino;

        if (js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
            fstat(STDERR_FILENO, &st) == 0 &&
            (unsigned long long)st.st_dev == dev &&
            (unsigned long long)st.st_ino == ino)
                return LOG_TARGET_JOURNAL;
        return LOG_TARGET_STDERR;
}

void log_set_max_level(int level)
{
        if (level >= 0 && level <= 7)
                log_max_level = level;
}

int log_get_max_level(void)
{
        return log_max_level;
}

int log_level_from_string(const char *s)
{
        for (int i = 3; i < 8; i++)
                if (strcmp(s, level_names[i]) == 0)
                        return i;
        return -EINVAL;
}

void log_msgv(int level, const char *prefix, const char *fmt, va_list ap)
{
        char msg[2048];
        int saved_errno = errno;

        if (level < 0)
                level = 0;
        if (level > 7)
                level = 7;
        if (level > log_max_level)
                return;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        /* One message is one line: never let a newline from a remote string
         * forge another log record. */
        for (char *p = msg; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';

        switch (log_target) {
        case LOG_TARGET_SYSLOG:
                syslog(level, "%s%s%s", prefix ? prefix : "", prefix ? ": " : "", msg);
                break;
        case LOG_TARGET_JOURNAL:
                fprintf(stderr, "<%d>%s%s%s\n", level, prefix ? prefix : "",
                        prefix ? ": " : "", msg);
                break;
        case LOG_TARGET_STDERR:
        default:
                fprintf(stderr, "gatewayd: %s%s%s: %s\n", prefix ? prefix : "",
                        prefix ? ": " : "", level_names[level], msg);
                break;
        }
        errno = saved_errno;
}

void log_msg(int level, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_msgv(level, NULL, fmt, ap);
        va_end(ap);
}
