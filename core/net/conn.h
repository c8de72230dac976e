/*
 * conn.h — one framed stream connection on a libev loop: the part the server (server.h) and
 * the request client (client.h) share. The transport never interprets a frame beyond its
 * length; proto/ decodes headers.
 *
 * Frames (PROTOCOL §1.1): a 4-byte big-endian length of what follows, then that many bytes.
 * A length below 4 (there is always a header-length word), a negative one, or one making the
 * whole frame (prefix included) larger than the connection's max_frame closes that connection
 * alone, with a warning naming the peer. Whole frames are handed to the owner's callback with
 * their length prefix; the pointer is valid only during the call.
 *
 * Reading is level-triggered, one read() per readiness, into a buffer that grows with the
 * bytes actually received (not with the length a peer announces) and is given back when it
 * empties, so idle connections hold no buffer.
 *
 * Writing: rmq_conn_send*() only queue. Everything queued during one loop iteration goes out
 * in one sendmsg() (writev semantics, with MSG_NOSIGNAL so a closed peer gives EPIPE rather
 * than SIGPIPE; the process need not ignore SIGPIPE) from an ev_prepare watcher of the lowest
 * priority, i.e. after every other prepare callback: responses written by a group-commit
 * prepare hook still leave in the same iteration. What the kernel does not take is sent when
 * the socket becomes writable. Three ways to queue bytes:
 *   copy       rmq_conn_send(), or rmq_conn_reserve()+rmq_conn_commit() to encode in place;
 *              small copies are packed into shared chunks
 *   owned      rmq_conn_send_owned(): a malloc'd buffer, free()d once sent
 *   borrowed   rmq_conn_send_ref(): any memory (a mapped commitlog range) that stays valid
 *              until release(ctx) is called, once, when the bytes are sent or dropped
 * Pieces of one frame may use different ways; order is kept.
 *
 * Backpressure: after each frame the reader checks the unsent output; over out_high bytes it
 * stops reading that connection (frames already buffered wait too) and resumes when the
 * output drains to out_high/2. Memory per connection stays near out_high plus one response.
 *
 * Lifetime: a connection is reference counted. Its owner (server or client) holds one
 * reference while it is open. A user that answers later (a suspended pull) takes its own with
 * rmq_conn_ref() and drops it with rmq_conn_unref(); the struct stays valid until then even
 * after the connection closes, and every send on a closed connection is a no-op that releases
 * the buffer and returns RMQ_ECLOSED. Closing happens once: the socket is closed, unsent
 * output dropped (borrowed buffers released) and the owner's close callback runs.
 *
 * Threading: everything here runs on the loop thread. Another thread that wants to write
 * must hand its data to the loop (ev_async) first.
 *
 * Re-entrancy: frame, close and release callbacks may call any function in this header on
 * any connection. A client may be freed from its own callbacks (client.h); a server may not
 * be freed from any callback that runs for it, release callbacks included.
 */
#ifndef RMQ_NET_CONN_H
#define RMQ_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMQ_NET_MAX_FRAME (16u << 20)  /* default max frame, length prefix included (16 MiB) */
#define RMQ_NET_OUT_HIGH (4u << 20)    /* default unsent-output bound before reading stops  */

struct rmq_conn;

/* Called once when a borrowed buffer is no longer needed (sent, or dropped on close). */
typedef void (*rmq_release_fn)(void *ctx);

/* Queue a copy of p[0..n). 0, or RMQ_ECLOSED when the connection is closed (nothing queued).
 * Allocation failure is fatal (rmq_panic), as in util/buf.h. */
int rmq_conn_send(struct rmq_conn *c, const void *p, size_t n);

/* Queue a malloc'd buffer, which the connection owns from now on and free()s when sent or
 * dropped (also at once when closed: RMQ_ECLOSED). */
int rmq_conn_send_owned(struct rmq_conn *c, void *p, size_t n);

/* Queue borrowed bytes: p[0..n) must stay valid and unchanged until release(ctx) (may be
 * NULL) is called, exactly once, when the bytes are sent or dropped — at once, before this
 * returns RMQ_ECLOSED, when the connection is closed. release may call any function here. */
int rmq_conn_send_ref(struct rmq_conn *c, const void *p, size_t n, rmq_release_fn release,
                      void *ctx);

/* Space for n bytes at the end of the output, to encode into directly; make them part of the
 * output with rmq_conn_commit(c, m), m <= n, before any other call on c. NULL when closed. */
void *rmq_conn_reserve(struct rmq_conn *c, size_t n);
void rmq_conn_commit(struct rmq_conn *c, size_t m);

/* Close now: queued output is dropped. Safe inside any callback, repeatedly, and on a
 * closed connection. The owner's close callback sees reason RMQ_ECLOSED. */
void rmq_conn_close(struct rmq_conn *c);

/* Stop reading and close once the queued output is sent (a last error reply); frames still
 * buffered are not delivered. Reason seen by the close callback: RMQ_ECLOSED. */
void rmq_conn_close_after_flush(struct rmq_conn *c);

void rmq_conn_ref(struct rmq_conn *c);
/* Drops a reference; the last one frees the struct (the connection is closed by then). */
void rmq_conn_unref(struct rmq_conn *c);

bool rmq_conn_is_closed(const struct rmq_conn *c);
/* The peer as text: "127.0.0.1:54321", "[::1]:54321", or for a unix socket
 * "unix:/path#PID" (the listening path and the peer's pid) — stable for the connection's
 * life, also after it closed. */
const char *rmq_conn_peer(const struct rmq_conn *c);
/* A process-unique number for the connection (logs, maps). */
uint64_t rmq_conn_id(const struct rmq_conn *c);
bool rmq_conn_is_unix(const struct rmq_conn *c);
/* The socket (for getsockopt/SO_PEERCRED); -1 once closed. Do not read, write or close it. */
int rmq_conn_fd(const struct rmq_conn *c);
/* User data: one pointer, NULL at first, never touched by the transport. */
void rmq_conn_set_data(struct rmq_conn *c, void *data);
void *rmq_conn_data(const struct rmq_conn *c);
/* Bytes queued and not yet taken by the kernel. */
size_t rmq_conn_unsent(const struct rmq_conn *c);
/* True while reading is stopped by backpressure. */
bool rmq_conn_read_paused(const struct rmq_conn *c);
/* Why the connection closed: 0 for an orderly close by the peer, else a negative code
 * (-errno from the socket, RMQ_EINVAL bad frame, RMQ_ETIMEOUT idle, RMQ_ECLOSED closed
 * here); 1 while open. rmq_conn_why() is the matching text ("" while open). */
int rmq_conn_reason(const struct rmq_conn *c);
const char *rmq_conn_why(const struct rmq_conn *c);

#endif
