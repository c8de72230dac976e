#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

int rmq_log_level = RMQ_LOG_INFO;

void rmq_log_init_from_env(void)
{
    const char *v = getenv("RMQ_LOG");
    if (!v)
        return;
    static const char *const names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i <= RMQ_LOG_OFF; i++)
        if (strcmp(v, names[i]) == 0)
            rmq_log_level = i;
}

static void vlog(int level, const char *fmt, va_list ap)
{
    struct timeval tv;
    struct tm tm;
    char line[1024];
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    int n = (int)strftime(line, sizeof line, "%Y-%m-%d %H:%M:%S", &tm);
    n += snprintf(line + n, sizeof line - n, ".%03d %c ", (int)(tv.tv_usec / 1000), "DIWEO"[level]);
    vsnprintf(line + n, sizeof line - n, fmt, ap);
    /* one write per line, so lines from threads do not interleave */
    fprintf(stderr, "%s\n", line);
}

void rmq_log(int level, const char *fmt, ...)
{
    if (level < rmq_log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

void rmq_panic_at(const char *file, int line, const char *func, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    rmq_log(RMQ_LOG_ERROR, "panic at %s:%d %s: %s", file, line, func, msg);
    abort();
}

void rmq_warn_to(void (*to)(void *arg, const char *text), void *arg, const char *who, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (to)
        to(arg, text);
    else if (who)
        rmq_warn("%s: %s", who, text);
}
