/*
 * rpc.h — remoting calls to one server (a broker today; name servers in Step 3) over one
 * connection: the layer the producer, the consumer and the admin helpers share.
 *
 * A struct rmq_rpc owns a request client (net/client.h) and speaks the ROCKETMQ binary
 * header, which the broker answers in kind and which is cheaper to read than JSON: the
 * opaque of a response is peeked at a fixed place (rmq_frame_opaque), and only the frames
 * somebody waits for are decoded.
 *
 * The connection is made lazily and again after it was lost: a call on an idle rpc starts
 * a connect, and the request leaves when the connect completes (or fails with the connect
 * error). So a broker restart costs the calls in flight, which fail with RMQ_ECLOSED, and
 * nothing else; what to retry is the caller's choice.
 *
 * Two ways to call:
 *   - asynchronous, rmq_rpc_call(): the callback runs later from the loop with the decoded
 *     response (valid only during the callback) or an error; the caller provides the
 *     struct rmq_rpc_call it is tracked in (embedded in its own per-request struct, so no
 *     allocation per call) and keeps it alive until the callback ran or it cancelled;
 *   - waiting, rmq_rpc_call_wait(): runs the loop until the reply is there, for command-line
 *     tools and set-up steps. It may run other watchers' callbacks meanwhile (it is
 *     ev_run), and must not be used inside the broker daemon.
 *
 * Errors: 0, a negative code (util/err.h: RMQ_ETIMEOUT, RMQ_ECLOSED, -ECONNREFUSED …) for
 * what happened here or on the way, or — from the helpers that read a response code, see
 * rmq_rpc_expect() — the broker's response code (> 0) when it refused, with its name and
 * remark in err ("TOPIC_NOT_EXIST: topic[X] not exist, apply first please!").
 *
 * Threading: the loop thread only. Nothing here prints or exits.
 */
#ifndef RMQ_CLIENT_RPC_H
#define RMQ_CLIENT_RPC_H

#include "net/addr.h"
#include "proto/remoting.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct rmq_rpc;

#define RMQ_RPC_TIMEOUT_MS 3000   /* RocketMQ's default request timeout */

/* The reply callback: status 0 with resp decoded (resp->code is the response code; its
 * body points into a frame valid only during the call), or status < 0, resp NULL and why
 * saying what happened. */
typedef void (*rmq_rpc_fn)(void *ctx, int status, const struct rmq_cmd *resp, const char *why);

/* One call in flight. Set cb and ctx; the rest is private. */
struct rmq_rpc_call {
    rmq_rpc_fn cb;
    void *ctx;
    struct rmq_rpc *rpc_;   /* private: set while pending */
    int32_t opaque_;        /* private */
};

/* A request the server sent on our connection (NOTIFY_CONSUMER_IDS_CHANGED …), decoded.
 * Returns the response code to answer with when the request is not oneway (Java's client
 * answers what it handles with SUCCESS). Runs from the connection's read callback: it must
 * not wait for replies (schedule the work instead). */
typedef int (*rmq_rpc_request_fn)(void *arg, struct rmq_rpc *r, const struct rmq_cmd *req);

/* Reads the opaque and the response flag of a whole frame (length prefix included): the
 * ROCKETMQ form at its fixed offsets, the JSON form by decoding the header. 0 or
 * RMQ_EINVAL. This is the frame_opaque function net/client.h wants. */
int rmq_frame_opaque(const uint8_t *frame, size_t len, int32_t *opaque, bool *is_response);

/* A new rpc to address a on loop, idle (no connection yet). The address is copied. */
struct rmq_rpc *rmq_rpc_new(struct ev_loop *loop, const struct rmq_addr *a);
/* Closes the connection (pending calls fail with RMQ_ECLOSED, their callbacks run) and
 * frees. NULL is fine. Not while a wait (rmq_rpc_call_wait, rmq_rpc_connect_wait) may run
 * on r or a caller up the stack may still hold r: an owner that replaces an rpc from a
 * callback or timer retires it instead, and frees it later when !rmq_rpc_waiting(). */
void rmq_rpc_free(struct rmq_rpc *r);

/* Closes the connection for good (pending calls fail with RMQ_ECLOSED now, their callbacks
 * run; later calls fail at once with RMQ_ECLOSED and "connection to X closed: why"), and
 * keeps r valid until rmq_rpc_free. */
void rmq_rpc_retire(struct rmq_rpc *r, const char *why);

/* True while a wait runs the loop on this thread (rmq_rpc_call_wait, rmq_rpc_connect_wait,
 * rmq_rpc_run_once): some caller up the stack may hold an rpc pointer across it, so no rpc
 * may be freed now. False in a callback run from the top-level loop. */
bool rmq_rpc_waiting(void);
/* One iteration of the loop (ev_run EVRUN_ONCE) counted as a wait, for code that waits for
 * its own callbacks by running the loop. */
void rmq_rpc_run_once(struct ev_loop *loop);

/* Handles requests from the server. Without a handler (or fn NULL) they are dropped, and
 * answered REQUEST_CODE_NOT_SUPPORTED unless oneway. */
void rmq_rpc_on_request(struct rmq_rpc *r, rmq_rpc_request_fn fn, void *arg);

struct ev_loop *rmq_rpc_loop(const struct rmq_rpc *r);
/* The server as text ("127.0.0.1:10911", "unix:/run/rmq.sock"), for messages. */
const char *rmq_rpc_peer(const struct rmq_rpc *r);
/* Calls pending on this rpc. */
size_t rmq_rpc_pending(const struct rmq_rpc *r);

/* Connects now and waits for it (bounded by the request client's connect timeout, 3 s).
 * 0 or the connect error, with err naming the address. Optional: calls connect by
 * themselves; this only lets a tool report an unreachable server before anything else. */
int rmq_rpc_connect_wait(struct rmq_rpc *r, char *err);

/* Sends req (its opaque is assigned here; serialize form as req says — use
 * RMQ_SER_ROCKETMQ) and arranges for call->cb to run once with the reply or an error
 * after timeout_ms (0: RMQ_RPC_TIMEOUT_MS). req may be freed when this returns.
 * 0, or an error before anything was sent, with err set and no callback: the connect
 * could not even start (-ENOENT for a missing unix socket, RMQ_ENOTFOUND for a name that
 * does not resolve), or the frame could not be encoded. */
int rmq_rpc_call(struct rmq_rpc *r, struct rmq_cmd *req, int64_t timeout_ms,
                 struct rmq_rpc_call *call, char *err);

/* Forgets a pending call without running its callback. Safe on a call that is not pending. */
void rmq_rpc_cancel(struct rmq_rpc_call *call);

/* A reply kept after the callback: the frame copied, the command decoded from the copy. */
struct rmq_rpc_reply {
    struct rmq_cmd cmd;
    uint8_t *frame;
    size_t len;
};
void rmq_rpc_reply_free(struct rmq_rpc_reply *rep);

/* Sends req and runs the loop until its reply is there. 0 with *rep filled (free it with
 * rmq_rpc_reply_free; on error it holds nothing to free), or a negative code with err. */
int rmq_rpc_call_wait(struct rmq_rpc *r, struct rmq_cmd *req, int64_t timeout_ms,
                      struct rmq_rpc_reply *rep, char *err);

/* Turns a reply's code into the result convention above: 0 when resp->code is one of the
 * `n` codes in ok[] (SUCCESS when n is 0), else resp->code with "NAME: remark" in err. */
int rmq_rpc_expect(const struct rmq_cmd *resp, const int *ok, int n, char *err);

#endif
