/*
 * log.h — daemon and tool logging to stderr (never stdout: stdout belongs to command output).
 *
 * Lines look like "2026-11-25 10:11:18.123 I store: recovered 12 records in 3 ms".
 * The level is set once at start (rmq_log_level); RMQ_LOG=debug|info|warn|error overrides.
 * rmq_panic() is for broken internal invariants only: it logs file:line and aborts.
 */
#ifndef RMQ_UTIL_LOG_H
#define RMQ_UTIL_LOG_H

enum rmq_log_level { RMQ_LOG_DEBUG, RMQ_LOG_INFO, RMQ_LOG_WARN, RMQ_LOG_ERROR, RMQ_LOG_OFF };

extern int rmq_log_level;

void rmq_log_init_from_env(void);
void rmq_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void rmq_panic_at(const char *file, int line, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define rmq_debug(...) do { if (rmq_log_level <= RMQ_LOG_DEBUG) rmq_log(RMQ_LOG_DEBUG, __VA_ARGS__); } while (0)
#define rmq_info(...)  rmq_log(RMQ_LOG_INFO, __VA_ARGS__)
#define rmq_warn(...)  rmq_log(RMQ_LOG_WARN, __VA_ARGS__)
#define rmq_error(...) rmq_log(RMQ_LOG_ERROR, __VA_ARGS__)

/* A warning for a library user who may want it: formatted, then handed to to(arg, text)
 * when set, else logged as "who: text" (client objects' on_warning callbacks). */
void rmq_warn_to(void (*to)(void *arg, const char *text), void *arg, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define rmq_panic(...) rmq_panic_at(__FILE__, __LINE__, __func__, __VA_ARGS__)

#endif
