/*
 * nsclient.h — asking a set of name servers, in turn.
 *
 * Where the list comes from (rmq_ns_addrs_pick), as RocketMQ clients and the issue want it:
 *   1. the -n option ("a;b;c");
 *   2. the NAMESRV_ADDR environment variable;
 *   3. the local standalone name server's Unix socket, when that socket file exists
 *      (rmq_ns_standalone_sock), followed by 127.0.0.1:9876;
 *   4. 127.0.0.1:9876.
 *
 * A request goes to the name server that answered last (the first at start); when that one
 * cannot be reached or times out, the next is tried, and so on once round the list. A
 * name server that *answers* — even with an error code — ends the search: name servers are
 * independent and equal, and a refusal is the answer. When none answers, the result is the
 * last transport code (negative) and err names every address tried and why:
 * "no name server reachable (tried 127.0.0.1:9876: connection refused; unix:/x.sock: …)".
 *
 * Errors follow rpc.h: 0, a negative transport code, or the name server's response code
 * (> 0) with "NAME: remark" in err. rmq_ns_route_wait turns TOPIC_NOT_EXIST into the
 * message "topic 'X' unknown to the name servers (a;b)".
 *
 * Threading: the loop thread. The _wait calls run the loop (see rpc.h).
 */
#ifndef RMQ_CLIENT_NSCLIENT_H
#define RMQ_CLIENT_NSCLIENT_H

#include "client/route.h"
#include "client/rpc.h"

#include <stdbool.h>
#include <stddef.h>

#define RMQ_NAMESRV_DEFAULT_ADDR "127.0.0.1:9876"
/* The local name server's socket, relative to $HOME: the default unixSocketPath of
 * `rmq namesrv` (and so of `rmq standalone`), core/conf/conf_finish.c. Keep the two in step. */
#define RMQ_NAMESRV_STANDALONE_SOCK "namesrv/rmq-namesrv.sock"

struct rmq_ns;

/* The local (standalone) name server's default socket path into out (n bytes). */
void rmq_ns_standalone_sock(char *out, size_t n);

/* The name-server list as described above; opt is -n's value or NULL. *v is malloc'd (free
 * it); *source says where it came from ("-n", "NAMESRV_ADDR", "default"). 0 or RMQ_EINVAL
 * with err naming the bad entry. */
int rmq_ns_addrs_pick(const char *opt, struct rmq_addr **v, size_t *n, const char **source, char *err);

/* A client for the n name servers in v (copied). */
struct rmq_ns *rmq_ns_new(struct ev_loop *loop, const struct rmq_addr *v, size_t n);
void rmq_ns_free(struct rmq_ns *ns);
struct ev_loop *rmq_ns_loop(const struct rmq_ns *ns);
/* "a;b" as text, for messages. */
const char *rmq_ns_text(const struct rmq_ns *ns);

/* Sends req to the name servers in turn and waits; req is freed here. On 0 *rep holds the
 * successful reply (rmq_rpc_reply_free). */
int rmq_ns_call_wait(struct rmq_ns *ns, struct rmq_cmd *req, struct rmq_rpc_reply *rep, char *err);

/* Sends req to every name server (not in turn: each one; e.g. DELETE_TOPIC_IN_NAMESRV,
 * since name servers do not share state) and waits; req is freed here. 0, or the first
 * failure with err naming its name server. */
int rmq_ns_call_each_wait(struct rmq_ns *ns, struct rmq_cmd *req, char *err);

/* GET_ROUTEINFO_BY_TOPIC, parsed. RMQ_RESP_TOPIC_NOT_EXIST (> 0) for an unknown topic. */
int rmq_ns_route_wait(struct rmq_ns *ns, const char *topic, struct rmq_topic_route *r, char *err);
/* GET_BROKER_CLUSTER_INFO, decoded (free *ci with rmq_cluster_info_free). */
int rmq_ns_cluster_wait(struct rmq_ns *ns, struct rmq_cluster_info *ci, char *err);
/* GET_ALL_TOPIC_LIST_FROM_NAMESERVER, decoded (free with rmq_topic_list_free). */
int rmq_ns_topics_wait(struct rmq_ns *ns, char ***names, size_t *n, char *err);

/* An asynchronous route request (for periodic refreshes): the callback runs once from the
 * loop with rc and, on 0, the parsed route (valid during the call only). The caller owns
 * the struct and keeps it alive until the callback ran or it cancelled. */
struct rmq_ns_op;
typedef void (*rmq_ns_route_fn)(void *arg, int rc, const struct rmq_topic_route *r, const char *err);
struct rmq_ns_op {
    struct rmq_ns *ns_;          /* private from here on */
    char *topic_;
    size_t tried_;
    bool busy_;
    struct rmq_rpc_call call_;
    rmq_ns_route_fn cb_;
    void *arg_;
};
/* Starts the request; false when one is already under way on op. When no request can even
 * be sent the callback runs before this returns. */
bool rmq_ns_route_async(struct rmq_ns *ns, const char *topic, struct rmq_ns_op *op, rmq_ns_route_fn cb, void *arg);
/* Forgets it (no callback). Safe when idle. */
void rmq_ns_op_cancel(struct rmq_ns_op *op);

#endif
