/*
 * qset.h — the set of message queues of one topic, over however many brokers hold it, with
 * a connection (rpc) per broker: what producers send to and consumers pull from.
 *
 * Two sources:
 *   name servers (rmq_qset_new_ns) — the topic's route (route.h) gives the queues and the
 *     master address of each broker name; a route the name servers do not know is, for
 *     publishing, taken from TBW102's (the broker then creates the topic on the first
 *     send, PROTOCOL §7.3). The route is asked again every RMQ_QSET_REFRESH_MS (30 s,
 *     Java's pollNameServerInterval; the environment variable of that name overrides it,
 *     for tests) and soon after a failure (rmq_qset_refresh_soon, at
 *     most once a second); when the queue list changes on_change runs. A refresh that
 *     fails (no name server, topic gone) keeps the last list — a broker that died stays
 *     in it until the name servers drop it, and fault.h steers producers around it;
 *   one broker (rmq_qset_new_direct, the -b option) — the broker's own topic table
 *     (GET_ALL_TOPIC_CONFIG); the broker is named by its address ("127.0.0.1:10911") —
 *     for subscribing by the name it gives in its topic stats when it gives one — and
 *     nothing is refreshed.
 *
 * Queues are {broker name, queue id} (route.h struct rmq_mq), sorted in Java's MessageQueue
 * order; rmq_qset_rpc() gives the connection to a broker name's master. When a refresh
 * sees the broker's master at a new address the old rpc is retired (rpc.h): its calls fail
 * with RMQ_ECLOSED, later ones fail at once, and it stays valid — a refresh may run inside
 * a wait on it — until a refresh tick that runs outside any wait, or the set is freed.
 * Look the rpc up by name for each call rather than keeping the pointer.
 *
 * Errors from rmq_qset_load name the failing step (DESIGN §4): "no name server reachable
 * (tried …)", "topic 'X' unknown to the name servers (…)", "topic 'X' has no writable
 * queue (…)" / "no readable queue", or what the broker (direct) said.
 *
 * Threading: the loop thread; rmq_qset_load runs the loop.
 */
#ifndef RMQ_CLIENT_QSET_H
#define RMQ_CLIENT_QSET_H

#include "client/nsclient.h"
#include "client/route.h"
#include "client/rpc.h"

#include <stdbool.h>
#include <stddef.h>

#define RMQ_QSET_REFRESH_MS 30000

enum rmq_qset_use {
    RMQ_QSET_PUBLISH,     /* writable queues (writeQueueNums); TBW102 fallback */
    RMQ_QSET_SUBSCRIBE,   /* readable queues (readQueueNums) */
};

struct rmq_qset;

/* A set for topic through the name servers ns (borrowed; must outlive the set). */
struct rmq_qset *rmq_qset_new_ns(struct rmq_ns *ns, const char *topic, enum rmq_qset_use use);
/* A set for topic on the one broker at addr (copied). */
struct rmq_qset *rmq_qset_new_direct(struct ev_loop *loop, const struct rmq_addr *addr, const char *topic,
                                     enum rmq_qset_use use);
void rmq_qset_free(struct rmq_qset *qs);

/* Fetches the queue list now and waits. 0, or an error (rpc.h convention: > 0 is a response
 * code, RMQ_RESP_TOPIC_NOT_EXIST for a topic nobody knows) with err naming the step. */
int rmq_qset_load(struct rmq_qset *qs, char *err);

size_t rmq_qset_count(const struct rmq_qset *qs);
const struct rmq_mq *rmq_qset_queues(const struct rmq_qset *qs);
/* The rpc to broker's master, or NULL when the set knows no master for that name. */
struct rmq_rpc *rmq_qset_rpc(struct rmq_qset *qs, const char *broker);
/* The distinct broker names of the queues, in order, into names (room for max; the
 * strings live until the next refresh). Returns how many. */
size_t rmq_qset_brokers(const struct rmq_qset *qs, const char **names, size_t max);
/* True while the queues are TBW102's (the topic does not exist yet). */
bool rmq_qset_from_default(const struct rmq_qset *qs);
struct ev_loop *rmq_qset_loop(const struct rmq_qset *qs);
const char *rmq_qset_topic(const struct rmq_qset *qs);

/* Hands requests from the servers (rpc.h rmq_rpc_on_request) to fn, on the connection to
 * every broker of the set, including those a later refresh adds; fn NULL: no handler. */
void rmq_qset_on_request(struct rmq_qset *qs, rmq_rpc_request_fn fn, void *arg);

/* Starts the periodic refresh (name-server sets only; a no-op for direct ones). on_change
 * (may be NULL) runs from the loop after a refresh changed the queue list. */
void rmq_qset_watch(struct rmq_qset *qs, void (*on_change)(void *arg), void *arg);
/* Asks for a refresh soon (rate-limited to one a second). */
void rmq_qset_refresh_soon(struct rmq_qset *qs);

#endif
