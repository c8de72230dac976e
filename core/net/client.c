#include "net/client.h"

#include "net/conn_int.h"
#include "net/pending.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct rmq_client {
    struct ev_loop *loop;
    struct rmq_client_opts o;
    struct rmq_netq q;
    struct rmq_conn *c;        /* connecting or open; NULL when idle */
    struct rmq_ptable t;          /* pending requests */
    ev_timer req_timer;        /* at the nearest request deadline */
    ev_timer conn_timer;       /* connect timeout */
    int32_t next_opaque;
    uint64_t seq;
    int depth;                 /* callbacks of ours on the stack */
    bool dead;                 /* rmq_client_free() called; freed when depth reaches 0 */
    char peer[RMQ_ADDR_TEXTLEN];
};

/* ---- lifetime of the client ------------------------------------------------------------ */

static void final_free(void *arg)
{
    struct rmq_client *cl = arg;
    ev_timer_stop(cl->loop, &cl->req_timer);
    ev_timer_stop(cl->loop, &cl->conn_timer);
    rmq_netq_fini(&cl->q);
    rmq_ptable_free(&cl->t);
    free(cl);
}

static void enter(struct rmq_client *cl)
{
    cl->depth++;
}

/* Leaves a callback of ours; a free requested inside is finished here, or at the end of the
 * flush pass when we are inside it (the netq is part of the client). */
static void leave(struct rmq_client *cl)
{
    if (--cl->depth > 0 || !cl->dead)
        return;
    if (cl->q.busy) {
        cl->q.deferred = final_free;
        cl->q.deferred_arg = cl;
    } else {
        final_free(cl);
    }
}

static void arm(struct rmq_client *cl)
{
    ev_timer_stop(cl->loop, &cl->req_timer);
    const struct rmq_pend *m = rmq_ptable_min(&cl->t);
    if (!m)
        return;
    ev_tstamp after = m->deadline - ev_now(cl->loop);
    ev_timer_set(&cl->req_timer, after > 0 ? after : 0, 0);
    ev_timer_start(cl->loop, &cl->req_timer);
}

static void req_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rmq_client *cl =
        (struct rmq_client *)((char *)w - offsetof(struct rmq_client, req_timer));
    enter(cl);
    ev_tstamp now = ev_now(loop);
    const struct rmq_pend *m;
    while ((m = rmq_ptable_min(&cl->t)) && m->deadline <= now + 1e-6) {
        struct rmq_pend p;
        rmq_ptable_take(&cl->t, m->opaque, &p);
        char why[RMQ_ERRLEN];
        snprintf(why, sizeof why, "request %d to %s timed out after %lld ms", p.opaque,
                 cl->peer, (long long)p.timeout_ms);
        p.cb(p.ctx, RMQ_ETIMEOUT, NULL, 0, why);
    }
    if (!cl->dead)
        arm(cl);
    leave(cl);
}

/* ---- connection callbacks -------------------------------------------------------------- */

static void conn_frame(void *owner, struct rmq_conn *c, const uint8_t *f, size_t n)
{
    struct rmq_client *cl = owner;
    int32_t op = 0;
    bool resp = false;
    if (cl->o.frame_opaque(f, n, &op, &resp) < 0) {
        rmq_warn("net: closing %s: cannot read the header of a %zu-byte frame", c->peer, n);
        rmq_conn_abort(c, RMQ_EINVAL, "undecodable %zu-byte frame", n);
        return;
    }
    enter(cl);
    if (resp) {
        struct rmq_pend p;
        if (!rmq_ptable_take(&cl->t, op, &p)) {
            rmq_debug("net: %s: dropped a response to opaque %d nobody waits for", c->peer, op);
        } else {
            if (!rmq_ptable_count(&cl->t))  /* else left to fire late: no re-arm per reply */
                ev_timer_stop(cl->loop, &cl->req_timer);
            p.cb(p.ctx, 0, f, n, NULL);
        }
    } else if (cl->o.on_request) {
        cl->o.on_request(cl->o.arg, cl, f, n);
    } else {
        rmq_debug("net: %s: dropped a request (opaque %d): no handler", c->peer, op);
    }
    leave(cl);
}

static void conn_connected(void *owner, struct rmq_conn *c)
{
    struct rmq_client *cl = owner;
    ev_timer_stop(cl->loop, &cl->conn_timer);
    rmq_debug("net: connected to %s", cl->peer);
    if (cl->o.on_connect) {
        enter(cl);
        cl->o.on_connect(cl->o.arg, cl, 0, NULL);
        leave(cl);
    }
}

static void conn_closed(void *owner, struct rmq_conn *c)
{
    struct rmq_client *cl = owner;
    enter(cl);
    bool connecting = c->connecting;
    int reason = c->reason;
    char why[RMQ_ERRLEN];
    ev_timer_stop(cl->loop, &cl->conn_timer);
    ev_timer_stop(cl->loop, &cl->req_timer);
    cl->c = NULL;
    if (connecting && reason == RMQ_ETIMEOUT)
        snprintf(why, sizeof why, "connect to %s timed out after %lld ms", cl->peer,
                 (long long)cl->o.connect_timeout_ms);
    else if (connecting && reason == RMQ_ECLOSED)
        snprintf(why, sizeof why, "connect to %s cancelled", cl->peer);
    else if (connecting)
        snprintf(why, sizeof why, "cannot connect to %s: %s", cl->peer, rmq_strerror(reason));
    else if (reason == 0)
        snprintf(why, sizeof why, "connection to %s closed by peer", cl->peer);
    else if (reason == RMQ_ECLOSED)
        snprintf(why, sizeof why, "connection to %s closed locally", cl->peer);
    else if (reason == RMQ_EINVAL)
        snprintf(why, sizeof why, "connection to %s closed: %s", cl->peer, c->why);
    else
        snprintf(why, sizeof why, "connection to %s lost: %s", cl->peer, rmq_strerror(reason));
    /* detach the table first: callbacks may reconnect and send new requests */
    struct rmq_ptable old = cl->t;
    rmq_ptable_init(&cl->t);
    /* pending requests: the connect error, else "closed" (why says how) */
    int status = connecting && reason < 0 ? reason : RMQ_ECLOSED;
    if (rmq_ptable_count(&old)) {
        char pwhy[RMQ_ERRLEN + 32];
        snprintf(pwhy, sizeof pwhy, "%s before the reply", why);
        const struct rmq_pend *m;
        while ((m = rmq_ptable_min(&old))) {
            struct rmq_pend p;
            rmq_ptable_take(&old, m->opaque, &p);
            p.cb(p.ctx, status, NULL, 0, pwhy);
        }
    }
    rmq_ptable_free(&old);
    if (connecting && cl->o.on_connect)
        cl->o.on_connect(cl->o.arg, cl, status, why);
    else if (!connecting && cl->o.on_close)
        cl->o.on_close(cl->o.arg, cl, reason, why);
    rmq_conn_unref(c);
    leave(cl);
}

static const struct rmq_conn_ops client_ops = {conn_frame, conn_closed, conn_connected};

static void connect_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rmq_client *cl =
        (struct rmq_client *)((char *)w - offsetof(struct rmq_client, conn_timer));
    if (cl->c)
        rmq_conn_abort(cl->c, RMQ_ETIMEOUT, "connect timed out");
}

/* ---- public ---------------------------------------------------------------------------- */

struct rmq_client *rmq_client_new(struct ev_loop *loop, const struct rmq_client_opts *o)
{
    struct rmq_client *cl = calloc(1, sizeof *cl);
    if (!cl)
        rmq_panic("out of memory for a client");
    cl->loop = loop;
    cl->o = *o;
    if (!cl->o.max_frame)
        cl->o.max_frame = RMQ_NET_MAX_FRAME;
    if (cl->o.max_frame < 8)
        cl->o.max_frame = 8;
    if (cl->o.max_frame > (size_t)INT32_MAX + 4)
        cl->o.max_frame = (size_t)INT32_MAX + 4;
    if (cl->o.connect_timeout_ms <= 0)
        cl->o.connect_timeout_ms = 3000;
    rmq_ptable_init(&cl->t);
    rmq_netq_init(&cl->q, loop);
    ev_timer_init(&cl->req_timer, req_timeout, 1, 0);
    ev_timer_init(&cl->conn_timer, connect_timeout, 1, 0);
    return cl;
}

int rmq_client_connect(struct rmq_client *cl, const struct rmq_addr *a, char *err)
{
    if (cl->dead)
        return rmq_seterr(err, RMQ_ECLOSED, "client is being freed");
    if (cl->c)
        return rmq_seterr(err, RMQ_EINVAL, "already connected or connecting to %s", cl->peer);
    rmq_addr_format(a, cl->peer, sizeof cl->peer);
    struct sockaddr_storage ss;
    socklen_t sl;
    int rc = rmq_addr_resolve(a, false, &ss, &sl, err);
    if (rc < 0)
        return rc;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return rmq_seterr(err, -errno, "cannot connect to %s: socket: %s", cl->peer,
                          strerror(errno));
    if (a->kind == RMQ_ADDR_TCP) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        if (e == EAGAIN)  /* a unix listener whose backlog is full */
            return rmq_seterr(err, -e, "cannot connect to %s: its backlog is full", cl->peer);
        return rmq_seterr(err, -e, "cannot connect to %s: %s", cl->peer, strerror(e));
    }
    /* the reply path never pauses: a client must always read its responses */
    cl->c = rmq_conn_new(&cl->q, fd, true, &client_ops, cl, cl->o.max_frame, SIZE_MAX,
                         cl->peer, a->kind == RMQ_ADDR_UNIX);
    ev_timer_set(&cl->conn_timer, (double)cl->o.connect_timeout_ms / 1000, 0);
    ev_timer_start(cl->loop, &cl->conn_timer);
    return 0;
}

int rmq_client_expect(struct rmq_client *cl, int32_t opaque, int64_t timeout_ms,
                      rmq_reply_fn cb, void *ctx)
{
    if (!cl->c)
        return RMQ_ECLOSED;
    if (timeout_ms <= 0)
        timeout_ms = 1;
    struct rmq_pend *p = rmq_ptable_add(&cl->t, opaque,
                                        ev_now(cl->loop) + (double)timeout_ms / 1000, cl->seq++);
    if (!p)   /* that opaque is already waiting */
        return RMQ_EINVAL;
    p->timeout_ms = timeout_ms;
    p->cb = cb;
    p->ctx = ctx;
    if (rmq_ptable_min(&cl->t) == p)  /* the nearest deadline changed */
        arm(cl);
    return 0;
}

int rmq_client_request(struct rmq_client *cl, int32_t opaque, const void *frame, size_t len,
                       int64_t timeout_ms, rmq_reply_fn cb, void *ctx)
{
    int rc = rmq_client_expect(cl, opaque, timeout_ms, cb, ctx);
    if (rc < 0)
        return rc;
    return rmq_conn_send(cl->c, frame, len);
}

int rmq_client_cancel(struct rmq_client *cl, int32_t opaque)
{
    if (!rmq_ptable_take(&cl->t, opaque, NULL))
        return RMQ_ENOTFOUND;
    if (!rmq_ptable_count(&cl->t))
        ev_timer_stop(cl->loop, &cl->req_timer);
    return 0;
}

int rmq_client_send(struct rmq_client *cl, const void *frame, size_t len)
{
    if (!cl->c)
        return RMQ_ECLOSED;
    return rmq_conn_send(cl->c, frame, len);
}

struct rmq_conn *rmq_client_conn(struct rmq_client *cl)
{
    return cl->c;
}

int32_t rmq_client_next_opaque(struct rmq_client *cl)
{
    int32_t op;
    do
        op = cl->next_opaque = (int32_t)((uint32_t)cl->next_opaque + 1);
    while (rmq_ptable_has(&cl->t, op));
    return op;
}

size_t rmq_client_pending(const struct rmq_client *cl) { return rmq_ptable_count(&cl->t); }
bool rmq_client_is_open(const struct rmq_client *cl) { return cl->c && !cl->c->connecting; }
bool rmq_client_is_connecting(const struct rmq_client *cl) { return cl->c && cl->c->connecting; }
const char *rmq_client_peer(const struct rmq_client *cl) { return cl->peer; }

void rmq_client_close(struct rmq_client *cl)
{
    if (cl->c)
        rmq_conn_abort(cl->c, RMQ_ECLOSED, "closed locally");
}

void rmq_client_free(struct rmq_client *cl)
{
    if (!cl || cl->dead)
        return;
    enter(cl);
    cl->dead = true;
    rmq_client_close(cl);
    leave(cl);
}
