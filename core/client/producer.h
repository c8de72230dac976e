/*
 * producer.h — sending messages to one topic over all its brokers, pipelined.
 *
 * Each message is one SEND_MESSAGE_V2 (310) request with the short header names of
 * PROTOCOL §2.4, the ROCKETMQ binary header, and a window of requests in flight over the
 * brokers' connections: the next message leaves without waiting for the previous reply,
 * and replies are matched by opaque. The queues come from a queue set (qset.h: the topic's
 * writable queues on every broker of its route, or of one broker with -b); each message
 * takes the next one round-robin, steering around brokers that failed or were slow
 * (fault.h, RocketMQ's latency fault tolerance). Requests name TBW102 and
 * defaultTopicQueueNums 4, so a broker creates a topic it does not have yet on the first
 * send, as for Java producers.
 *
 * What each message carries, as a Java producer would send it:
 *   properties  UNIQ_KEY (msgid.h, generated here, kept across retries), TAGS and KEYS
 *               when given, WAIT=true, DELAY when a delay level is given, then the
 *               caller's own properties (already encoded, see props.h);
 *   body        as given, or LZ4-compressed (compress.h) when longer than compress_over
 *               and the result is smaller; sysFlag then says COMPRESSED | LZ4 << 8.
 *
 * Queues for a sharding key: a message with one goes to the queue RocketMQ's
 * SelectMessageQueueByHash picks (fault.h rmq_queue_by_hash over the set's writable queues
 * in order), retries included, whatever fault.h thinks of its broker — as Java's
 * send(msg, selector, key) does. Messages of one key then keep their order in that queue,
 * as long as none of them needed a retry (see below) and the queue list does not change.
 *
 * Retries: a message whose request fails — the connection broke or timed out, or the
 * broker answered with a code Java producers retry on (SYSTEM_ERROR, SYSTEM_BUSY,
 * SERVICE_NOT_AVAILABLE, NO_PERMISSION, TOPIC_NOT_EXIST, NOT_IN_CURRENT_UNIT,
 * NO_BUYER_ID, GO_AWAY, and rmq's refinements of them) — is sent again, to a queue on
 * another broker when there is one (later messages avoid the failed broker for a while
 * too, fault.h), after retry_backoff_ms × attempts, at most `retries` more times; failing
 * to reach a broker also asks the queue set for a fresh route. Other refusals
 * (MESSAGE_ILLEGAL, INVALID_PARAMETER, …) are final at once. A retried message may
 * overtake later ones: order within a queue holds only for messages that never failed.
 *
 * Results: on_result runs exactly once per accepted message, in completion order (not
 * submission order), with a status:
 *   SEND_OK                 stored (and flushed/replicated as the broker's mode requires)
 *   FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE
 *                           stored, but the broker could not confirm the durability its
 *                           mode promises (Java's SendStatus values: not retried)
 *   FAILED                  not acknowledged: code and error say why.
 *
 * Threading: the loop thread. The producer never prints; the caller decides.
 */
#ifndef RMQ_CLIENT_PRODUCER_H
#define RMQ_CLIENT_PRODUCER_H

#include "client/qset.h"

#include <stddef.h>
#include <stdint.h>

enum rmq_send_status {
    RMQ_SEND_OK,
    RMQ_SEND_FLUSH_DISK_TIMEOUT,
    RMQ_SEND_FLUSH_SLAVE_TIMEOUT,
    RMQ_SEND_SLAVE_NOT_AVAILABLE,
    RMQ_SEND_FAILED,
};

/* "SEND_OK", "FLUSH_DISK_TIMEOUT", …, "FAILED". */
const char *rmq_send_status_name(enum rmq_send_status s);

struct rmq_send_result {
    enum rmq_send_status status;
    int code;                 /* FAILED: the broker's response code (> 0) or a negative
                                 local code (RMQ_ETIMEOUT, RMQ_ECLOSED, …) */
    const char *error;        /* FAILED: why, for a person; else NULL */
    const char *msg_id;       /* the UNIQ_KEY (Java SendResult.msgId) */
    const char *offset_msg_id;/* the broker's offset message id (PROTOCOL §5.1), "" if FAILED */
    const char *broker;       /* broker name (with -b: its address) of the queue used;
                                 FAILED: of the last attempt, "" if none */
    int32_t queue_id;         /* queue used; -1 if FAILED */
    int64_t queue_offset;     /* -1 if FAILED */
    int attempts;             /* requests sent for this message */
};

/* One message to send. Everything is copied by rmq_producer_send(). */
struct rmq_message {
    const void *body;
    size_t body_len;
    const char *tags;         /* NULL: none */
    const char *keys;         /* NULL: none; several keys separated by one space */
    const char *props;        /* further encoded properties (props.h), NULL: none */
    size_t props_len;
    int32_t flag;             /* the user flag stored with the message */
    int delay_level;          /* 0: none; else a level of the broker's messageDelayLevel
                                 (1..18 by default; higher ones the broker clamps) */
    const char *sharding_key; /* NULL: round robin; else the queue of this key
                                 (fault.h rmq_queue_by_hash), on every attempt */
    size_t sharding_key_len;
};

struct rmq_producer_opts {
    const char *group;        /* producer group; NULL: "rmq_producer" */
    const char *topic;        /* required */
    int window;               /* requests in flight; 0: 256 */
    int retries;              /* further attempts after a failed one; < 0: 2 (Java's) */
    int64_t timeout_ms;       /* per request; 0: 3000 */
    int64_t retry_backoff_ms; /* 0: 100 */
    size_t compress_over;     /* 0: RMQ_COMPRESS_OVER (4 KiB); SIZE_MAX: never */
    void (*on_result)(void *arg, uint64_t id, const struct rmq_send_result *r);
    void *arg;
};

struct rmq_producer;

/* A producer sending to the queues of qs (borrowed: loaded, and outliving the producer). */
struct rmq_producer *rmq_producer_new(struct rmq_qset *qs, const struct rmq_producer_opts *o);

/* Queues a copy of m; it leaves as soon as the window allows. id comes back with its
 * result. 0, or an error for a message that can never be sent (no callback then):
 * RMQ_EINVAL bad tags/keys/properties, RMQ_ETOOBIG properties over 32767 bytes or a body
 * over what a frame can carry; err says which. The caller bounds memory by looking at
 * rmq_producer_outstanding() before adding more. */
int rmq_producer_send(struct rmq_producer *p, const struct rmq_message *m, uint64_t id, char *err);

/* Messages accepted and not yet reported (waiting, in flight, or waiting to retry). */
size_t rmq_producer_outstanding(const struct rmq_producer *p);

/* The window size in use (opts.window or its default). */
int rmq_producer_window(const struct rmq_producer *p);

/* Frees the producer; outstanding messages are dropped without callbacks and their
 * replies ignored. */
void rmq_producer_free(struct rmq_producer *p);

#endif
