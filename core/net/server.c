#include "net/server.h"

#include "net/conn_int.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define ACCEPT_BATCH 64        /* connections taken per readiness of a listener */
#define ACCEPT_PAUSE 0.1       /* seconds without accepting after EMFILE and the like */

struct listener {
    ev_io io;
    struct rmq_server *s;
    bool is_unix;
    dev_t dev;                 /* the socket file we made, removed at close if still ours */
    ino_t ino;
    struct rmq_addr addr;
    char text[RMQ_ADDR_TEXTLEN];
};

struct rmq_server {
    struct ev_loop *loop;
    struct rmq_server_opts o;
    struct rmq_netq q;
    struct listener **ls;
    size_t nls;
    bool accept_paused;
    ev_timer accept_retry;
    ev_timer idle;             /* at the nearest idle deadline of any connection */
    struct rmq_conn *head;     /* open connections */
    size_t nconns;
};

static void conn_frame(void *owner, struct rmq_conn *c, const uint8_t *f, size_t n)
{
    struct rmq_server *s = owner;
    s->o.on_frame(s->o.arg, c, f, n);
}

static void conn_closed(void *owner, struct rmq_conn *c)
{
    struct rmq_server *s = owner;
    if (c->lprev)
        c->lprev->lnext = c->lnext;
    else
        s->head = c->lnext;
    if (c->lnext)
        c->lnext->lprev = c->lprev;
    c->lprev = c->lnext = NULL;
    s->nconns--;
    if (s->o.on_close)
        s->o.on_close(s->o.arg, c);
    rmq_conn_unref(c);
}

static const struct rmq_conn_ops server_ops = {conn_frame, conn_closed, NULL};

/* ---- idle connections ------------------------------------------------------------------ */

static void idle_arm(struct rmq_server *s, ev_tstamp after)
{
    double idle = (double)s->o.idle_ms / 1000;
    if (after < idle / 64)  /* staggered deadlines: scan at most 64 times per period */
        after = idle / 64;
    ev_timer_stop(s->loop, &s->idle);
    ev_timer_set(&s->idle, after, 0);
    ev_timer_start(s->loop, &s->idle);
}

static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rmq_server *s = (struct rmq_server *)((char *)w - offsetof(struct rmq_server, idle));
    ev_tstamp now = ev_now(loop), idle = (double)s->o.idle_ms / 1000;
    /* collect first: closing runs user callbacks, which may close other connections */
    size_t n = 0, cap = 0;
    struct rmq_conn **expired = NULL;
    for (struct rmq_conn *c = s->head; c; c = c->lnext) {
        if (c->last_active + idle > now)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            expired = realloc(expired, cap * sizeof *expired);
            if (!expired)
                rmq_panic("out of memory for the idle scan");
        }
        rmq_conn_ref(c);
        expired[n++] = c;
    }
    for (size_t i = 0; i < n; i++) {
        long long ms = (long long)((now - expired[i]->last_active) * 1000);
        if (!expired[i]->closed)
            rmq_info("net: closing %s: idle for %lld ms", expired[i]->peer, ms);
        rmq_conn_abort(expired[i], RMQ_ETIMEOUT, "idle for %lld ms", ms);
        rmq_conn_unref(expired[i]);
    }
    free(expired);
    ev_tstamp next = 0;
    for (struct rmq_conn *c = s->head; c; c = c->lnext)
        if (next == 0 || c->last_active + idle < next)
            next = c->last_active + idle;
    if (next)
        idle_arm(s, next - now);
}

/* ---- accepting ------------------------------------------------------------------------- */

static void accept_resume(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rmq_server *s =
        (struct rmq_server *)((char *)w - offsetof(struct rmq_server, accept_retry));
    s->accept_paused = false;
    for (size_t i = 0; i < s->nls; i++)
        ev_io_start(loop, &s->ls[i]->io);
}

static void accept_pause(struct rmq_server *s, const char *text, int e)
{
    if (s->accept_paused)
        return;
    rmq_warn("net: cannot accept on %s: %s; pausing accepts for %d ms", text, strerror(e),
             (int)(ACCEPT_PAUSE * 1000));
    s->accept_paused = true;
    for (size_t i = 0; i < s->nls; i++)
        ev_io_stop(s->loop, &s->ls[i]->io);
    ev_timer_set(&s->accept_retry, ACCEPT_PAUSE, 0);
    ev_timer_start(s->loop, &s->accept_retry);
}

static void add_conn(struct rmq_server *s, struct listener *l, int fd,
                     const struct sockaddr_storage *ss, socklen_t sl)
{
    char peer[RMQ_ADDR_TEXTLEN + 16];
    if (l->is_unix) {
        struct ucred cr;
        socklen_t crl = sizeof cr;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crl) == 0)
            snprintf(peer, sizeof peer, "%s#%d", l->text, (int)cr.pid);
        else
            snprintf(peer, sizeof peer, "%s", l->text);
    } else {
        struct rmq_addr a;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (rmq_addr_from_sockaddr((const struct sockaddr *)ss, sl, &a) == 0)
            rmq_addr_format(&a, peer, sizeof peer);
        else
            snprintf(peer, sizeof peer, "fd %d", fd);
    }
    struct rmq_conn *c = rmq_conn_new(&s->q, fd, false, &server_ops, s, s->o.max_frame,
                                      s->o.out_high, peer, l->is_unix);
    c->lnext = s->head;
    if (s->head)
        s->head->lprev = c;
    s->head = c;
    s->nconns++;
    rmq_debug("net: %s connected on %s", peer, l->text);
    if (s->o.idle_ms > 0 && !ev_is_active(&s->idle))
        idle_arm(s, (double)s->o.idle_ms / 1000);
    if (s->o.on_open)
        s->o.on_open(s->o.arg, c);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    struct listener *l = (struct listener *)w;
    struct rmq_server *s = l->s;
    for (int i = 0; i < ACCEPT_BATCH && !s->accept_paused; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(w->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            add_conn(s, l, fd, &ss, sl);
            continue;
        }
        int e = errno;
        switch (e) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            return;
        case EINTR:
        case ECONNABORTED:  /* the peer gave up while waiting in the backlog */
        case EPROTO:
        case EPERM:         /* a firewall refused it */
            continue;
        default:            /* EMFILE, ENFILE, ENOBUFS, ENOMEM and the unexpected */
            accept_pause(s, l->text, e);
            return;
        }
    }
}

/* ---- listeners ------------------------------------------------------------------------- */

/* An existing file at a unix path: remove it only if it is a socket nobody answers on. */
static int unix_stale(const char *path, const struct sockaddr_storage *ss, socklen_t sl,
                      char *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : rmq_seterr(err, -errno, "cannot stat '%s': %s", path,
                                                strerror(errno));
    if (!S_ISSOCK(st.st_mode))
        return rmq_seterr(err, RMQ_EINVAL, "cannot listen on '%s': it exists and is not a socket",
                          path);
    int p = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p < 0)
        return rmq_seterr(err, -errno, "cannot probe '%s': %s", path, strerror(errno));
    int rc = connect(p, (const struct sockaddr *)ss, sl) == 0 ? 0 : errno;
    close(p);
    if (rc == ECONNREFUSED) {
        if (unlink(path) < 0 && errno != ENOENT)
            return rmq_seterr(err, -errno, "cannot remove stale socket '%s': %s", path,
                              strerror(errno));
        rmq_info("net: removed stale socket '%s'", path);
        return 0;
    }
    if (rc == 0 || rc == EAGAIN)  /* EAGAIN: alive, its backlog is full */
        return rmq_seterr(err, -EADDRINUSE, "cannot listen on '%s': another process listens there",
                          path);
    return rmq_seterr(err, -rc, "cannot probe '%s': %s", path, strerror(rc));
}

int rmq_server_listen(struct rmq_server *s, const struct rmq_addr *a, struct rmq_addr *bound,
                      char *err)
{
    char text[RMQ_ADDR_TEXTLEN];
    rmq_addr_format(a, text, sizeof text);
    struct sockaddr_storage ss;
    socklen_t sl;
    int rc = rmq_addr_resolve(a, true, &ss, &sl, err);
    if (rc < 0)
        return rc;
    bool is_unix = a->kind == RMQ_ADDR_UNIX;
    if (is_unix && (rc = unix_stale(a->path, &ss, sl, err)) < 0)
        return rc;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return rmq_seterr(err, -errno, "cannot listen on %s: socket: %s", text, strerror(errno));
    int one = 1;
    if (!is_unix)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct stat st = {0};
    const char *step = "bind";
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
        goto fail;
    step = "chmod";
    if (is_unix && (chmod(a->path, 0660) < 0 || stat(a->path, &st) < 0))
        goto fail_unlink;
    step = "listen";
    if (listen(fd, s->o.backlog) < 0)
        goto fail_unlink;
    struct listener *l = calloc(1, sizeof *l);
    struct listener **ls = realloc(s->ls, (s->nls + 1) * sizeof *ls);
    if (!l || !ls)
        rmq_panic("out of memory for a listener");
    s->ls = ls;
    l->s = s;
    l->is_unix = is_unix;
    l->dev = st.st_dev;
    l->ino = st.st_ino;
    struct sockaddr_storage bs;
    socklen_t bl = sizeof bs;
    if (!is_unix && getsockname(fd, (struct sockaddr *)&bs, &bl) == 0)
        rmq_addr_from_sockaddr((struct sockaddr *)&bs, bl, &l->addr);
    else
        l->addr = *a;
    rmq_addr_format(&l->addr, l->text, sizeof l->text);
    if (bound)
        *bound = l->addr;
    ev_io_init(&l->io, accept_cb, fd, EV_READ);
    if (!s->accept_paused)
        ev_io_start(s->loop, &l->io);
    s->ls[s->nls++] = l;
    rmq_debug("net: listening on %s", l->text);
    return 0;
fail_unlink:
    rc = -errno;
    if (is_unix)
        unlink(a->path);
    close(fd);
    return rmq_seterr(err, rc, "cannot listen on %s: %s: %s", text, step, strerror(-rc));
fail:
    rc = -errno;
    close(fd);
    if (rc == -EADDRINUSE)
        return rmq_seterr(err, rc, "cannot listen on %s: address already in use", text);
    return rmq_seterr(err, rc, "cannot listen on %s: %s: %s", text, step, strerror(-rc));
}

void rmq_server_stop_listening(struct rmq_server *s)
{
    for (size_t i = 0; i < s->nls; i++) {
        struct listener *l = s->ls[i];
        struct stat st;
        ev_io_stop(s->loop, &l->io);
        close(l->io.fd);
        if (l->is_unix && stat(l->addr.path, &st) == 0 && st.st_dev == l->dev &&
            st.st_ino == l->ino)
            unlink(l->addr.path);
        free(l);
    }
    free(s->ls);
    s->ls = NULL;
    s->nls = 0;
    ev_timer_stop(s->loop, &s->accept_retry);
    s->accept_paused = false;
}

/* ---- the server ------------------------------------------------------------------------ */

struct rmq_server *rmq_server_new(struct ev_loop *loop, const struct rmq_server_opts *o)
{
    struct rmq_server *s = calloc(1, sizeof *s);
    if (!s)
        rmq_panic("out of memory for a server");
    s->loop = loop;
    s->o = *o;
    if (!s->o.max_frame)
        s->o.max_frame = RMQ_NET_MAX_FRAME;
    if (s->o.max_frame < 8)
        s->o.max_frame = 8;
    if (s->o.max_frame > (size_t)INT32_MAX + 4)
        s->o.max_frame = (size_t)INT32_MAX + 4;
    if (!s->o.out_high)
        s->o.out_high = RMQ_NET_OUT_HIGH;
    if (!s->o.idle_ms)
        s->o.idle_ms = 120000;
    if (s->o.backlog <= 0)
        s->o.backlog = 1024;
    rmq_netq_init(&s->q, loop);
    ev_timer_init(&s->accept_retry, accept_resume, ACCEPT_PAUSE, 0);
    ev_timer_init(&s->idle, idle_cb, 1, 0);
    return s;
}

size_t rmq_server_nconns(const struct rmq_server *s)
{
    return s->nconns;
}

void rmq_server_free(struct rmq_server *s)
{
    if (!s)
        return;
    rmq_server_stop_listening(s);
    while (s->head)
        rmq_conn_abort(s->head, RMQ_ECLOSED, "server shut down");
    ev_timer_stop(s->loop, &s->idle);
    rmq_netq_fini(&s->q);
    free(s);
}
