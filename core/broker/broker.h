/*
 * broker.h — the broker daemon: one libev loop thread owning the store, the topic, group
 * and offset tables and (from net/) the listeners; the store's flusher and preparer threads
 * wake the loop with ev_async only (DESIGN §2).
 *
 * Per loop iteration: requests are decoded and handled, appends go into the store, and one
 * ev_prepare hook commits them all before the loop sleeps (group commit); SYNC_FLUSH sends
 * are answered from the flush wait queue when the flusher's ev_async arrives.
 * Housekeeping runs on one periodic timer: consumer offsets saved every 5 s
 * (flushConsumerOffsetInterval), retention every cleanResourceInterval.
 *
 * Name servers (namesrvAddr): registration at start, every registerNameServerPeriod and on
 * every topic change (register.h).
 *
 * Shutdown (SIGTERM, SIGINT, or rmq_broker_stop): the broker unregisters from its name
 * servers (waiting up to 3 s for their answers; a second signal stops at once), then
 * listeners close, pending waits fail, offsets are saved, the store is closed cleanly
 * (abort file removed).
 */
#ifndef RMQ_BROKER_BROKER_H
#define RMQ_BROKER_BROKER_H

#include "conf/conf.h"

struct rmq_broker;

/* Opens the store (recovering it) and the tables. 0 or a negative code with err. */
int rmq_broker_open(struct rmq_broker **out, const struct rmq_conf *conf, char *err);
/* The same on an existing loop (rmq standalone): the caller destroys the loop after
 * rmq_broker_run() returned; the broker still handles SIGINT/SIGTERM on it. */
struct ev_loop;
int rmq_broker_open_on(struct rmq_broker **out, const struct rmq_conf *conf, struct ev_loop *loop,
                       char *err);
/* Runs the loop until stopped by a signal or rmq_broker_stop(); then shuts down cleanly
 * and frees the broker. 0, or the error that stopped it. */
int rmq_broker_run(struct rmq_broker *b);
/* Asks the loop to stop (safe from any thread). */
void rmq_broker_stop(struct rmq_broker *b);

#endif
