/*
 * server.h — accept framed connections on TCP and Unix sockets on one libev loop.
 *
 * A server has one set of callbacks and options and any number of listeners: a broker
 * listens on listenPort, on the VIP port listenPort-2 and on unixSocketPath (PROTOCOL §1.6,
 * DESIGN §4). Every accepted connection is a struct rmq_conn (conn.h): frames go to on_frame,
 * replies are queued with rmq_conn_send*(), backpressure and the frame-length checks are
 * done per connection. The server never looks inside a frame.
 *
 * Unix listeners: the socket file is created with mode 0660. An existing file at the path is
 * removed only when it is a socket nobody listens on (a leftover of a crash); a live socket
 * or any other kind of file is an error. The file is removed again by rmq_server_free() if it
 * is still the one we made.
 *
 * Idle connections (no byte read or written for idle_ms; RocketMQ's
 * serverChannelMaxIdleTimeSeconds, 120 s) are closed with reason RMQ_ETIMEOUT. One timer per
 * server, set to the nearest deadline; activity only stores a timestamp.
 *
 * When accept() runs out of descriptors (EMFILE, ENFILE) or memory, accepting pauses for
 * 100 ms with a warning and then resumes; the connections waiting in the backlog are kept.
 *
 * SIGPIPE: the transport sends with MSG_NOSIGNAL and never raises it; nothing to ignore.
 *
 * Threading: one loop thread. The server and its connections may only be used from it.
 */
#ifndef RMQ_NET_SERVER_H
#define RMQ_NET_SERVER_H

#include "net/addr.h"
#include "net/conn.h"

#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct rmq_server;

struct rmq_server_opts {
    size_t max_frame;    /* largest frame, length prefix included; 0: RMQ_NET_MAX_FRAME  */
    size_t out_high;     /* unsent bytes that stop reading a connection; 0: RMQ_NET_OUT_HIGH */
    int64_t idle_ms;     /* close connections idle this long; 0: 120000; < 0: never       */
    int backlog;         /* listen() backlog; 0: 1024 (RocketMQ's serverSocketBacklog)      */
    /* A new connection (optional). It may set user data or close it. */
    void (*on_open)(void *arg, struct rmq_conn *c);
    /* One whole frame, length prefix included; the bytes are valid only during the call.
     * It may queue replies, take a reference, close the connection. Required. */
    void (*on_frame)(void *arg, struct rmq_conn *c, const uint8_t *frame, size_t len);
    /* The connection closed, for any reason (rmq_conn_reason/rmq_conn_why tell which); called
     * once for every connection on_open saw, already closed (sends are no-ops). Optional. */
    void (*on_close)(void *arg, struct rmq_conn *c);
    void *arg;
};

/* A server on loop with no listener yet. The options are copied. Never NULL (allocation
 * failure is fatal). */
struct rmq_server *rmq_server_new(struct ev_loop *loop, const struct rmq_server_opts *o);

/* Starts listening on a (TCP host:port, port 0 picks a free one; or unix:/path). When bound
 * is not NULL it receives the address actually bound (the picked port). Host names resolve
 * with getaddrinfo, which may block. 0 or a negative code with err set:
 *   -EADDRINUSE  the port is taken, or a live process listens on the unix path
 *   RMQ_EINVAL   the unix path exists and is not a socket
 *   RMQ_ETOOBIG  the unix path is too long for sun_path
 *   -errno       socket/bind/listen/chmod failed (-EACCES, …)   */
int rmq_server_listen(struct rmq_server *s, const struct rmq_addr *a, struct rmq_addr *bound,
                      char *err);

/* A daemon's usual listeners (listen.c): TCP on 0.0.0.0:port (0 picks a free port, whose
 * number goes to *bound_port when not NULL) and, when unix_path is neither NULL nor "", the
 * Unix socket unix_path, its directory created first (mode 0755). 0 or the first error
 * (as rmq_server_listen), err naming the address. */
int rmq_server_listen_std(struct rmq_server *s, int port, const char *unix_path, int *bound_port,
                          char *err);

/* Closes every listener (removing unix socket files); open connections keep going. */
void rmq_server_stop_listening(struct rmq_server *s);

/* Open connections right now. */
size_t rmq_server_nconns(const struct rmq_server *s);

/* Closes the listeners and every connection (on_close runs for each, reason RMQ_ECLOSED),
 * then frees the server. Connections users still hold stay valid, closed, until unref'd.
 * Not from inside one of this server's callbacks: break the loop first. */
void rmq_server_free(struct rmq_server *s);

#endif
