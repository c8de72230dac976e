/*
 * msgid.h — the producer's message id, RocketMQ's UNIQ_KEY property (PROTOCOL §5.2).
 *
 * Java's layout (MessageClientIDSetter), 16 bytes written as 32 upper-case hex digits:
 *
 *   ip 4 | pid 2 | class-loader hash 4 | ms since the start of this month 4 | counter 2
 *
 * The first 10 bytes are fixed per process (computed once, as Java's FIX_STRING); the
 * time is local time, as Java's Calendar, and the counter wraps at 16 bits. rmq fills
 * "class-loader hash" with a random per-generator value, which Java also treats as an
 * opaque per-process constant. Java tools decode the time part (getNearlyTimeFromID), so
 * the layout is kept exactly; brokers treat the whole id as an opaque string.
 *
 * Not thread-safe: one generator per thread.
 */
#ifndef RMQ_CLIENT_MSGID_H
#define RMQ_CLIENT_MSGID_H

#include <stdint.h>

#define RMQ_UNIQ_LEN 32   /* hex digits; buffers need RMQ_UNIQ_LEN + 1 */

struct rmq_uniq_gen {
    char fixed[21];          /* hex of ip, pid, hash */
    int64_t month_start_ms;  /* start of the current month, local time */
    int64_t next_month_ms;
    uint16_t counter;
};

/* The first non-loopback IPv4 address of the host, 127.0.0.1 when there is none (what
 * message ids and client ids carry). */
void rmq_local_ipv4(uint8_t ip[4]);

/* A generator with the given fixed parts (for tests and for callers that know their IP). */
void rmq_uniq_init(struct rmq_uniq_gen *g, const uint8_t ip[4], uint32_t pid, uint32_t hash);
/* A generator for this process: the first non-loopback IPv4 address of the host (127.0.0.1
 * when there is none), getpid(), and a random hash. */
void rmq_uniq_init_local(struct rmq_uniq_gen *g);
/* The next id at wall time now_ms into out (RMQ_UNIQ_LEN + 1 bytes, NUL-terminated). */
void rmq_uniq_next(struct rmq_uniq_gen *g, int64_t now_ms, char *out);

#endif
