/*
 * client.h — a request/response client over one framed connection on a libev loop.
 *
 * RocketMQ matches a response to its request by the header's `opaque` alone, and responses
 * may come back in any order (a suspended pull is answered long after requests sent behind
 * it; PROTOCOL §1.5). The client keeps an opaque → callback table, one timer at the nearest
 * request deadline (a deadline-ordered list; no timer per request), and fails every pending
 * request when the connection closes.
 *
 * The client does not know the header format: the user supplies frame_opaque(), which reads
 * a frame's opaque and response flag (proto/ provides it). Frames that are requests from the
 * other side (CHECK_TRANSACTION_STATE, NOTIFY_CONSUMER_IDS_CHANGED, …) go to on_request.
 * A frame frame_opaque() rejects closes the connection; a response nobody waits for (it
 * timed out, or was cancelled) is dropped with a debug log line, as Java does.
 *
 * States: idle (new, or after a close) → connecting → open → idle. rmq_client_connect()
 * starts a non-blocking connect (TCP or unix) bounded by connect_timeout_ms; frames sent and
 * requests made while connecting are queued and leave when it completes. A client may
 * connect again after a close. on_connect always runs later from the loop, never inside
 * rmq_client_connect().
 *
 * Callbacks may call any function here, including rmq_client_free() on their own client
 * (the free is finished when the callback returns).
 *
 * Errors: callbacks get status 0 or a negative code and a human why ("connection to
 * 127.0.0.1:10911 closed by peer before the reply", "request 42 to … timed out after 3000
 * ms"):
 *   RMQ_ETIMEOUT   the request's timeout, or the connect timeout, passed
 *   RMQ_ECLOSED    the connection closed (by the peer, rmq_client_close() or free), or the
 *                  client was not connected
 *   -errno         the connect failed (-ECONNREFUSED, -EHOSTUNREACH …)
 * on_close's reason is rmq_conn_reason()'s: 0 closed by the peer, -errno lost, RMQ_EINVAL
 * the peer sent a frame too long or undecodable, RMQ_ECLOSED closed here.
 *
 * SIGPIPE: never raised (sends use MSG_NOSIGNAL). Threading: the loop thread only.
 */
#ifndef RMQ_NET_CLIENT_H
#define RMQ_NET_CLIENT_H

#include "net/addr.h"
#include "net/conn.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct rmq_client;

/* Reads the opaque and the response flag of a whole frame (length prefix included).
 * 0, or negative when the frame is malformed. Must not keep the pointer. */
typedef int (*rmq_frame_opaque_fn)(const uint8_t *frame, size_t len, int32_t *opaque,
                                   bool *is_response);

/* The reply to a request: status 0 and the whole response frame (valid only during the
 * call), or status < 0, frame NULL, len 0 and why saying what happened. Called exactly once
 * per accepted request, never from inside the call that made it. */
typedef void (*rmq_reply_fn)(void *ctx, int status, const uint8_t *frame, size_t len,
                             const char *why);

struct rmq_client_opts {
    rmq_frame_opaque_fn frame_opaque;  /* required                                       */
    size_t max_frame;                  /* largest frame accepted; 0: RMQ_NET_MAX_FRAME  */
    int64_t connect_timeout_ms;        /* 0: 3000 (RocketMQ's connectTimeoutMillis)     */
    /* The connect finished: status 0, or the error (then the client is idle again). */
    void (*on_connect)(void *arg, struct rmq_client *cl, int status, const char *why);
    /* A request frame from the peer (response flag clear). NULL: dropped. */
    void (*on_request)(void *arg, struct rmq_client *cl, const uint8_t *frame, size_t len);
    /* An open connection closed (after pending requests were failed). Optional. */
    void (*on_close)(void *arg, struct rmq_client *cl, int reason, const char *why);
    void *arg;
};

/* A client on loop, idle. Options are copied. Never NULL (allocation failure is fatal). */
struct rmq_client *rmq_client_new(struct ev_loop *loop, const struct rmq_client_opts *o);

/* Starts connecting to a. 0, or an error before anything started, with err set and no
 * callback: the address does not resolve (RMQ_ENOTFOUND); connect() failed at once (-errno:
 * -ENOENT or -ECONNREFUSED for a unix path nobody listens on, -EAGAIN for a unix listener
 * with a full backlog); already connecting or open (RMQ_EINVAL). Errors after that arrive
 * through on_connect. Host names resolve with getaddrinfo, which
 * may block. */
int rmq_client_connect(struct rmq_client *cl, const struct rmq_addr *a, char *err);

/* Sends a request: copies frame[0..len), whose header carries `opaque`, and arranges for
 * cb(ctx, …) to run once with the response or an error after timeout_ms (> 0). 0, or
 *   RMQ_ECLOSED  not connecting or open (cb is NOT called)
 *   RMQ_EINVAL   opaque is already pending (cb is NOT called)           */
int rmq_client_request(struct rmq_client *cl, int32_t opaque, const void *frame, size_t len,
                       int64_t timeout_ms, rmq_reply_fn cb, void *ctx);

/* The request half without the send, for frames written in pieces (a header copied and a
 * body borrowed): register, then queue the bytes on rmq_client_conn(). Same results. */
int rmq_client_expect(struct rmq_client *cl, int32_t opaque, int64_t timeout_ms,
                      rmq_reply_fn cb, void *ctx);

/* Forgets a pending request without calling its callback (its response will be dropped).
 * 0 or RMQ_ENOTFOUND. */
int rmq_client_cancel(struct rmq_client *cl, int32_t opaque);

/* Sends a frame expecting no answer (a oneway request, or a response to on_request): a
 * copy. 0 or RMQ_ECLOSED. */
int rmq_client_send(struct rmq_client *cl, const void *frame, size_t len);

/* The connection while connecting or open, for rmq_conn_send*() of frame pieces; NULL when
 * idle. Borrowed: valid until the connection closes unless the caller takes a reference. */
struct rmq_conn *rmq_client_conn(struct rmq_client *cl);

/* An opaque not pending on this client: a counter that wraps and skips pending values. */
int32_t rmq_client_next_opaque(struct rmq_client *cl);

size_t rmq_client_pending(const struct rmq_client *cl);
bool rmq_client_is_open(const struct rmq_client *cl);        /* connected */
bool rmq_client_is_connecting(const struct rmq_client *cl);
/* The address last connected to, as text ("" before the first connect). */
const char *rmq_client_peer(const struct rmq_client *cl);

/* Closes the connection, if any: pending requests fail with RMQ_ECLOSED, then on_close
 * (or on_connect with RMQ_ECLOSED when still connecting) runs. The client stays usable. */
void rmq_client_close(struct rmq_client *cl);

/* Closes as above, then frees the client. NULL is fine. */
void rmq_client_free(struct rmq_client *cl);

#endif
