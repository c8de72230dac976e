/*
 * conn_int.h — what server.c and client.c see of a connection (not for other modules).
 *
 * A connection belongs to an owner (a server or a client) that supplies callbacks in a
 * struct rmq_conn_ops and a struct rmq_netq: the per-owner flush list drained by one ev_prepare
 * watcher, plus a few spare I/O chunks so busy connections do not malloc per read.
 */
#ifndef RMQ_NET_CONN_INT_H
#define RMQ_NET_CONN_INT_H

#include "net/conn.h"

#include <ev.h>

#define RMQ_NET_CHUNK (64u << 10)  /* read buffer and output chunk size */
#define RMQ_NET_SPARES 16          /* chunks a netq keeps for reuse      */

struct rmq_netq {
    struct ev_loop *loop;
    ev_prepare prep;                 /* EV_MINPRI, unref'd: runs last, keeps no loop alive */
    struct rmq_conn *head;           /* connections with output to send, each holding a ref */
    void *spare[RMQ_NET_SPARES];
    int nspare;
    bool busy;                       /* inside the prepare callback */
    /* Set by an owner that must be freed while busy: called as the prepare callback's last
     * act (it may free the struct holding this netq). */
    void (*deferred)(void *arg);
    void *deferred_arg;
};

void rmq_netq_init(struct rmq_netq *q, struct ev_loop *loop);
/* Drops the flush list (its connections must be closed by now) and the spares. */
void rmq_netq_fini(struct rmq_netq *q);

struct rmq_conn_ops {
    /* a whole frame, prefix included; valid during the call */
    void (*frame)(void *owner, struct rmq_conn *c, const uint8_t *f, size_t n);
    /* the connection closed (reason and why are set); the owner drops its reference */
    void (*closed)(void *owner, struct rmq_conn *c);
    /* a non-blocking connect completed (client only; may be NULL otherwise) */
    void (*connected)(void *owner, struct rmq_conn *c);
};

/* One queued piece of output. cap > 0: a copy chunk (appendable while it is the tail);
 * cap == 0 with chunk: an owned buffer to free(); release: a borrowed buffer. */
struct rmq_wseg {
    const uint8_t *p;
    size_t len;
    uint8_t *chunk;
    size_t cap;
    rmq_release_fn release;
    void *ctx;
};

struct rmq_conn {
    ev_io rio, wio;
    struct ev_loop *loop;
    struct rmq_netq *q;
    const struct rmq_conn_ops *ops;
    void *owner;
    int fd;
    int refs;
    int dispatching;                 /* depth of frame callbacks using rbuf */
    unsigned closed : 1, connecting : 1, rpaused : 1, in_flush : 1, draining : 1, is_unix : 1;
    uint64_t id;
    size_t max_frame, out_high;
    ev_tstamp last_active;           /* last read or write progress (server idle scan) */
    struct rmq_conn *fnext;          /* netq flush list */
    struct rmq_conn *lprev, *lnext;  /* owner's list of open connections */
    uint8_t *rbuf;                   /* input: bytes [roff, roff+rlen) of rcap */
    size_t rcap, roff, rlen;
    struct rmq_wseg *wq;             /* output ring: wcount segments from whead, wcap = 2^k */
    size_t whead, wcount, wcap, unsent;
    void *data;
    int reason;
    char why[160];
    char peer[288];
};

/* A connection on fd (non-blocking, owned from now on). Reads at once, or when connecting
 * waits for the connect to finish and then calls ops->connected. One reference (the
 * owner's). */
struct rmq_conn *rmq_conn_new(struct rmq_netq *q, int fd, bool connecting,
                              const struct rmq_conn_ops *ops, void *owner, size_t max_frame,
                              size_t out_high, const char *peer, bool is_unix);

/* Closes with a reason (see rmq_conn_reason) and a why text; logs; calls ops->closed. From
 * then on the connection never touches its owner or netq again (c->q is NULL), so the owner
 * may be freed from inside ops->closed or later. */
void rmq_conn_abort(struct rmq_conn *c, int reason, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
