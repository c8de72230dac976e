/*
 * consumer.h — pulling one topic's queues, over all its brokers, for one consumer group.
 *
 * The queues are those of a queue set (qset.h: the topic's readable queues on every broker
 * of its route, or on the one broker of -b) when the consumer is made, plus any queue
 * taken later (rmq_consumer_take: a queue the set gained in a refresh); each is pulled
 * from and committed to its own broker (rmq_qset_rpc by broker name). Queues are known to
 * the application by their index qi, 0..rmq_consumer_count()-1: first the set's order
 * (broker name, queue id), then queues added later in the order they came. An index
 * never changes or goes away (a queue that left the route is just not active);
 * rmq_consumer_queue() says which {broker, queue id} an index is, rmq_consumer_index()
 * the reverse.
 *
 * One pull loop per queue, on its broker's connection: PULL_MESSAGE (11) with the tag
 * expression in the request (PullSysFlag SUBSCRIPTION, so no heartbeat is needed), the
 * suspend flag for long polling unless the consumer is to stop at the end, and the
 * COMMIT_OFFSET flag carrying the queue's acknowledged offset whenever it moved — so the
 * broker learns the group's progress with every pull, as from Java push consumers.
 * Records are decoded with proto/msg.h (CRCs checked), decompressed (compress.h), filtered
 * by their exact tag (the broker filters by hash only) and handed to on_message in queue
 * order.
 *
 * Offsets, three per queue:
 *   next       where the next pull starts (moves when a pull's reply has been handled);
 *   acked      what the application says it has finished with: the offset after its last
 *              finished message (rmq_consumer_ack). Nothing is acknowledged by itself, so
 *              a tool can acknowledge only what it really wrote out;
 *   committed  what the broker was last told (UPDATE_CONSUMER_OFFSET or a pull's commit
 *              flag). rmq_consumer_commit() sends every acked offset that moved and waits;
 *              a timer sends them every commit_interval_ms meanwhile.
 *
 * Pull results (PROTOCOL §2.5): FOUND → messages, then the pull goes on at nextBeginOffset;
 * PULL_RETRY_IMMEDIATELY (nothing matched the filter) → on at nextBeginOffset at once, and
 * on_batch_end reports the skipped range so it can be acknowledged; PULL_NOT_FOUND → the
 * queue is at its end (with stop_at_end the queue is done; else pull again — after 100 ms
 * if the broker answered at once instead of holding the request); PULL_OFFSET_MOVED → a
 * warning, then on at nextBeginOffset. A broken connection or a timeout: a warning, and
 * the pull is retried after 1 s (the rpc reconnects). Other refusals (TOPIC_NOT_EXIST,
 * NO_PERMISSION, …) are fatal: on_error, and the consumer stops.
 *
 * Threading: the loop thread. Never prints.
 */
#ifndef RMQ_CLIENT_CONSUMER_H
#define RMQ_CLIENT_CONSUMER_H

#include "client/qset.h"
#include "proto/msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A message as delivered: the record and what a consumer wants from it. Valid only during
 * on_message. */
struct rmq_consumed {
    const struct rmq_msg *m;   /* the record as decoded; m->body is the stored (maybe
                                  compressed) body */
    const uint8_t *body;       /* the body, decompressed */
    size_t body_len;
    const char *tags;          /* the TAGS property, or NULL */
    size_t tags_len;
    const char *keys;          /* the KEYS property, or NULL */
    size_t keys_len;
    const char *msg_id;        /* UNIQ_KEY, or the offset message id when there is none */
    size_t msg_id_len;
    const char *broker;        /* the queue's broker name (NULL when not known) */
    const char *topic;         /* the topic to show: m->topic, or with restore_topic the
                                  RETRY_TOPIC of a retry copy (what Java's listener sees) */
    size_t topic_len;
};

/* Fills d from the decoded record m as a consumer hands it out: tags, keys, message id
 * (UNIQ_KEY, else the offset id written into offid[64]) and the body, decompressed into
 * scratch when the record is compressed. 0 or an error with err. */
int rmq_consumed_fill(struct rmq_consumed *d, const struct rmq_msg *m, char *offid, size_t max_body,
                      struct rmq_buf *scratch, char *err);

/* Where a queue starts (rmq_consumer_seek). */
enum rmq_from {
    RMQ_FROM_COMMITTED,   /* the group's committed offset; the first message when none */
    RMQ_FROM_FIRST,       /* the queue's min offset */
    RMQ_FROM_LAST,        /* the queue's max offset: only what arrives from now on */
    RMQ_FROM_TIME,        /* the first message stored at or after a time */
};

struct rmq_consumer_opts {
    const char *group;              /* required */
    const char *topic;              /* required */
    const char *subscription;       /* tag expression ("A || B"); NULL: "*" */
    int batch;                      /* maxMsgNums per pull; 0: 32 */
    int64_t suspend_ms;             /* long-poll hold; 0: 15000 */
    int64_t commit_interval_ms;     /* 0: 5000 */
    bool stop_at_end;               /* a queue is done at its first PULL_NOT_FOUND */
    bool assigned_only;             /* no queue is pulled until rmq_consumer_take*() (a
                                       rebalance decides which; else all are) */
    bool local_offsets;             /* broadcasting: offsets stay with the application; no
                                       UPDATE_CONSUMER_OFFSET, no commit flag on pulls */
    size_t max_body;                /* largest decompressed body; 0: 64 MiB */
    bool restore_topic;             /* the topic is a group's %RETRY% topic pulled for its
                                       consumers: hand messages over under RETRY_TOPIC */
    /* A message of queue index qi, in queue order per queue. Return 0 to go on, non-zero
     * to stop the consumer at once (the rest of this pull's messages are not delivered). */
    int (*on_message)(void *arg, int qi, const struct rmq_consumed *c);
    /* A pull's reply was handled completely: every message before next_offset on queue
     * index qi was delivered or filtered out. The usual place to acknowledge. Optional. */
    void (*on_batch_end)(void *arg, int qi, int64_t next_offset);
    /* stop_at_end: every queue is done. Optional. */
    void (*on_end)(void *arg);
    /* Something went wrong but the consumer carries on. Optional. */
    void (*on_warning)(void *arg, const char *text);
    /* The consumer stopped on an error it cannot get past. Optional. */
    void (*on_error)(void *arg, int code, const char *text);
    void *arg;
};

struct rmq_consumer;

/* A consumer of the queues qs holds now (qs is borrowed: loaded, and outliving the
 * consumer). Nothing is sent yet. NULL with err on a bad subscription or an empty set. */
struct rmq_consumer *rmq_consumer_new(struct rmq_qset *qs, const struct rmq_consumer_opts *o,
                                      char *err);

/* Sets every queue's start (waits for the broker's answers): see enum rmq_from; ts_ms for
 * RMQ_FROM_TIME. acked and committed start there too. 0 or an error (rpc.h convention). */
int rmq_consumer_seek(struct rmq_consumer *c, enum rmq_from from, int64_t ts_ms, char *err);

/* Queues one by one, for rebalancing (rebalance.h; with assigned_only), named by
 * {broker, queue id} — a queue the consumer does not know yet is added (a new index):
 * take      seeks the queue as rmq_consumer_seek does for all, then pulls it (once started);
 * take_at   the same from a known offset (local offsets), nothing asked of the broker;
 * release   stops pulling it: the pull in flight is forgotten (its reply is dropped, so
 *           nothing more is delivered from it), acknowledgements for it are ignored from
 *           now on, and its acknowledged offset is committed to its broker — this waits
 *           for the broker's answer (runs the loop). 0 or the commit's error.
 * A taken queue is a no-op to take again; releasing a queue not taken is a no-op. */
int rmq_consumer_take(struct rmq_consumer *c, const struct rmq_mq *mq, enum rmq_from from, int64_t ts_ms,
                      char *err);
int rmq_consumer_take_at(struct rmq_consumer *c, const struct rmq_mq *mq, int64_t offset, char *err);
int rmq_consumer_release(struct rmq_consumer *c, const struct rmq_mq *mq, char *err);
/* Holds queue index qi: no new pull starts (one in flight still delivers) until it is
 * let go; letting go pulls at once. For an application that works through messages
 * slower than they arrive, and for orderly consumers waiting for a queue lock. */
void rmq_consumer_hold(struct rmq_consumer *c, int qi, bool hold);

/* Whether queue index qi is pulled now. */
bool rmq_consumer_active(const struct rmq_consumer *c, int qi);

/* Starts the pull loops. */
void rmq_consumer_start(struct rmq_consumer *c);

/* Stops pulling: pulls in flight are forgotten (their messages will not be delivered, and
 * nothing about them is acknowledged). Idempotent. */
void rmq_consumer_stop(struct rmq_consumer *c);

/* The application is done with every message of queue index qi before offset (ignored
 * for a queue not taken). */
void rmq_consumer_ack(struct rmq_consumer *c, int qi, int64_t offset);

/* Sends UPDATE_CONSUMER_OFFSET for every queue whose acked offset is not yet committed and
 * waits for the answers (runs the loop). 0 or the first error. */
int rmq_consumer_commit(struct rmq_consumer *c, char *err);

/* Offsets of a queue, for tools and tests. */
int64_t rmq_consumer_next(const struct rmq_consumer *c, int qi);
int64_t rmq_consumer_acked(const struct rmq_consumer *c, int qi);

/* How many queues, and which one an index is. */
int rmq_consumer_count(const struct rmq_consumer *c);
const struct rmq_mq *rmq_consumer_queue(const struct rmq_consumer *c, int qi);
/* The index of {broker, queue id} (perm is not compared), -1 when the consumer has none. */
int rmq_consumer_index(const struct rmq_consumer *c, const struct rmq_mq *mq);

void rmq_consumer_free(struct rmq_consumer *c);

#endif
