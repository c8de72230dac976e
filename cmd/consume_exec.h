/*
 * consume_exec.h — `rmq consume --exec CMD`: CMD runs once per message (/bin/sh -c), body
 * on stdin, fields in RMQ_* environment variables; its exit status says whether the
 * message was consumed. A failed message goes back to the broker as RocketMQ's push
 * consumers send it back (core/client/retry.h), or, --orderly, is retried in place.
 *
 * Messages of one queue run one at a time, in queue order; different queues (and the
 * retry topic's queue) run side by side. Each queue's backlog is one pull's batch: the
 * caller holds the queue's pulls while work is left (exec_busy) and lets them go in
 * on_idle. What is finished is reported in queue order through on_done, so the caller
 * acknowledges (and commits) only offsets whose messages all finished.
 *
 * Failure handling (what RocketMQ clients do):
 *   clustering   CONSUMER_SEND_MSG_BACK (delayLevel 0: the broker's next level) to the
 *                message's broker; if that fails, a copy to %RETRY%group by SEND_MESSAGE_V2
 *                with RECONSUME_TIME+1 and delay level 3 + reconsumeTimes; if that fails
 *                too, the message runs again here after 5 s with reconsumeTimes + 1 (and
 *                nothing after it in its queue is acknowledged meanwhile). A sent-back
 *                message counts as consumed.
 *   orderly      the queue stops and the message runs again after 1 s
 *                (SUSPEND_CURRENT_QUEUE_A_MOMENT) with reconsumeTimes + 1; once it has
 *                failed with reconsumeTimes >= max it goes to %DLQ%group
 *                (CONSUMER_SEND_MSG_BACK with delayLevel -1; if that fails the Java
 *                orderly consumer's copy to %RETRY%group whose counts send it to the DLQ;
 *                if that fails too it stays and is tried again).
 *   broadcast    a warning, and the message counts as consumed (RocketMQ drops it).
 */
#ifndef RMQ_CMD_CONSUME_EXEC_H
#define RMQ_CMD_CONSUME_EXEC_H

#include "client/consumer.h"
#include "client/qset.h"

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

enum exec_mode { EXEC_CLUSTERING, EXEC_ORDERLY, EXEC_BROADCAST };

struct exec_opts {
    struct ev_loop *loop;          /* must be the default loop (child watchers) */
    const char *cmd;
    const char *group;
    enum exec_mode mode;
    int max_reconsume;
    /* Every message of (c, qi) before off is finished (ran, or was sent back); n of them
     * were messages (0 for a range a filter skipped). */
    void (*on_done)(void *arg, struct rmq_consumer *c, int qi, int64_t off, int n);
    /* (c, qi) has nothing left to run: its pulls may go on. */
    void (*on_idle)(void *arg, struct rmq_consumer *c, int qi);
    void (*on_warning)(void *arg, const char *text);
    void *arg;
};

struct exec;

struct exec *exec_new(const struct exec_opts *o);
void exec_free(struct exec *x);

/* Queues a delivered message of (c, qi); qs gives its broker's connection. */
void exec_message(struct exec *x, struct rmq_consumer *c, struct rmq_qset *qs, int qi,
                  const struct rmq_consumed *m);
/* A pull's batch of (c, qi) ended at next (filtered messages before it count as done). */
void exec_batch_end(struct exec *x, struct rmq_consumer *c, int qi, int64_t next);
/* Work left for (c, qi)? */
bool exec_busy(const struct exec *x, struct rmq_consumer *c, int qi);
/* (c, qi) is released: what has not started is forgotten; a message running or being sent
 * back is waited for (runs the loop), and reported through on_done as usual. */
void exec_release(struct exec *x, struct rmq_consumer *c, int qi);
/* Stopping: nothing new starts; waits (runs the loop) for what runs or is being sent back. */
void exec_drain(struct exec *x);

#endif
