/*
 * rebalance.c — average allocation, and the member side of a group's rebalancing.
 */
#include "client/rebalance.h"

#include "proto/codes.h"
#include "util/err.h"
#include "util/log.h"

#include <ev.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rmq_mq_cmp(const void *a, const void *b)
{
    const struct rmq_mq *x = a, *y = b;
    int c = strcmp(x->broker, y->broker);
    return c ? c : (x->qid > y->qid) - (x->qid < y->qid);
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int rmq_allocate_averagely(const char *me, const char *const *ids, int nids, const struct rmq_mq *mqs,
                           int nmq, struct rmq_mq *out)
{
    if (nids <= 0 || nmq <= 0 || !me)
        return 0;
    const char **cid = malloc((size_t)nids * sizeof *cid);
    struct rmq_mq *mq = malloc((size_t)nmq * sizeof *mq);
    if (!cid || !mq)
        rmq_panic("out of memory");
    memcpy(cid, ids, (size_t)nids * sizeof *cid);
    memcpy(mq, mqs, (size_t)nmq * sizeof *mq);
    qsort(cid, (size_t)nids, sizeof *cid, str_cmp);
    qsort(mq, (size_t)nmq, sizeof *mq, rmq_mq_cmp);
    int index = -1;
    for (int i = 0; i < nids && index < 0; i++)
        if (!strcmp(cid[i], me))
            index = i;
    int n = 0;
    if (index >= 0) {
        /* Java's AllocateMessageQueueAveragely, step for step */
        int mod = nmq % nids;
        int avg = nmq <= nids ? 1 : (mod > 0 && index < mod ? nmq / nids + 1 : nmq / nids);
        int start = mod > 0 && index < mod ? index * avg : index * avg + mod;
        int range = avg < nmq - start ? avg : nmq - start;
        for (int i = 0; i < range; i++)
            out[n++] = mq[start + i];
    }
    free(cid);
    free(mq);
    return n;
}

struct rmq_rebalance {
    struct rmq_rebalance_opts o;
    struct ev_loop *loop;
    char *client_id, *group, *topic, *sub;
    struct rmq_mq *all, *mine, *next;   /* the topic's queues; ours; scratch */
    int nmine;
    bool started, running, again, first_done;
    ev_timer periodic, soon, beat;
};

static void warn(struct rmq_rebalance *rb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct rmq_rebalance *rb, const char *fmt, ...)
{
    char text[RMQ_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (rb->o.on_warning)
        rb->o.on_warning(rb->o.arg, text);
    else
        rmq_warn("rebalance: %s", text);
}

/* Heartbeats to every broker: 0 when at least one took it. */
static int heartbeat_all(struct rmq_rebalance *rb, char *err)
{
    int ok = 0, first_rc = 0;
    for (int i = 0; i < rb->o.nbrokers; i++) {
        char e[RMQ_ERRLEN];
        int rc = rmq_heartbeat(rb->o.brokers[i], &rb->o.member, e);
        if (rc == 0) {
            ok++;
            continue;
        }
        if (!first_rc) {
            first_rc = rc;
            rmq_seterr(err, rc, "heartbeat to %s: %s", rmq_rpc_peer(rb->o.brokers[i]), e);
        }
        if (rb->started)
            warn(rb, "heartbeat to %s: %s", rmq_rpc_peer(rb->o.brokers[i]), e);
    }
    return ok || !rb->o.nbrokers ? 0 : first_rc;
}

/* The member list from the first broker that answers. */
static int members(struct rmq_rebalance *rb, char ***ids, int *n, char *err)
{
    int rc = RMQ_ENOTFOUND;
    for (int i = 0; i < rb->o.nbrokers; i++)
        if ((rc = rmq_consumer_list(rb->o.brokers[i], rb->group, ids, n, err)) == 0)
            return 0;
    return rc;
}

static bool contains(const struct rmq_mq *v, int n, const struct rmq_mq *mq)
{
    return bsearch(mq, v, (size_t)n, sizeof *v, rmq_mq_cmp) != NULL;
}

/* Our share by the current member list, into rb->next; -1 when it cannot be known now. */
static int compute(struct rmq_rebalance *rb)
{
    if (rb->o.member.broadcast) {
        memcpy(rb->next, rb->all, (size_t)rb->o.nmq * sizeof *rb->next);
        return rb->o.nmq;
    }
    char err[RMQ_ERRLEN], **ids = NULL;
    int n = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (members(rb, &ids, &n, err)) {
            warn(rb, "cannot get the members of group %s: %s; keeping %d queue(s)", rb->group, err, rb->nmine);
            return -1;
        }
        bool in = false;
        for (int i = 0; i < n && !in; i++)
            in = !strcmp(ids[i], rb->client_id);
        if (in || attempt)
            break;
        /* the broker forgot us (restarted, or our connection was lost): register again */
        free(ids);
        ids = NULL;
        if (heartbeat_all(rb, err)) {
            warn(rb, "%s", err);
            return -1;
        }
    }
    int k = rmq_allocate_averagely(rb->client_id, (const char *const *)ids, n, rb->all, rb->o.nmq, rb->next);
    free(ids);
    return k;
}

void rmq_rebalance_run(struct rmq_rebalance *rb)
{
    if (rb->running) {
        rb->again = true;
        return;
    }
    rb->running = true;
    do {
        rb->again = false;
        int k = compute(rb);
        if (k < 0)
            break;
        char err[RMQ_ERRLEN];
        /* release before taking: a queue we give up is committed before anything else */
        for (int i = 0; i < rb->nmine;) {
            if (contains(rb->next, k, &rb->mine[i])) {
                i++;
                continue;
            }
            struct rmq_mq mq = rb->mine[i];
            memmove(&rb->mine[i], &rb->mine[i + 1], (size_t)(rb->nmine - i - 1) * sizeof mq);
            rb->nmine--;
            if (rb->o.release(rb->o.arg, &mq, err))
                warn(rb, "releasing %s queue %d: %s", mq.broker, mq.qid, err);
        }
        for (int i = 0; i < k; i++) {
            if (contains(rb->mine, rb->nmine, &rb->next[i]))
                continue;
            if (rb->o.take(rb->o.arg, &rb->next[i], !rb->first_done, err)) {
                warn(rb, "taking %s queue %d: %s; trying again at the next rebalance", rb->next[i].broker,
                     rb->next[i].qid, err);
                continue;
            }
            rb->mine[rb->nmine++] = rb->next[i];
            qsort(rb->mine, (size_t)rb->nmine, sizeof *rb->mine, rmq_mq_cmp);
        }
        rb->first_done = true;
        if (rb->o.on_assigned)
            rb->o.on_assigned(rb->o.arg, rb->mine, rb->nmine);
    } while (rb->again && rb->started);
    rb->running = false;
}

static void on_periodic(struct ev_loop *loop, ev_timer *w, int revents)
{
    rmq_rebalance_run(w->data);
}

static void on_beat(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rmq_rebalance *rb = w->data;
    char err[RMQ_ERRLEN];
    heartbeat_all(rb, err);   /* failures are warned about one by one */
}

/* NOTIFY_CONSUMER_IDS_CHANGED arrives on a connection's read callback, where nothing may
 * wait: the rebalance runs from a timer right after. */
static int on_server_request(void *arg, struct rmq_rpc *r, const struct rmq_cmd *req)
{
    struct rmq_rebalance *rb = arg;
    if (req->code != RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED)
        return -1;
    const char *g = rmq_cmd_ext(req, "consumerGroup");
    if (rb->started && (!g || !strcmp(g, rb->group))) {
        rmq_debug("rebalance: members of %s changed (told by %s)", rb->group, rmq_rpc_peer(r));
        if (rb->running)
            rb->again = true;
        else if (!ev_is_active(&rb->soon))
            ev_timer_start(rb->loop, &rb->soon);
    }
    return RMQ_RESP_SUCCESS;
}

static char *dup_or_empty(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        rmq_panic("out of memory");
    return d;
}

struct rmq_rebalance *rmq_rebalance_new(const struct rmq_rebalance_opts *o)
{
    struct rmq_rebalance *rb = calloc(1, sizeof *rb);
    if (!rb)
        rmq_panic("out of memory");
    rb->o = *o;
    rb->client_id = dup_or_empty(o->member.client_id);
    rb->group = dup_or_empty(o->member.group);
    rb->topic = dup_or_empty(o->member.topic);
    rb->sub = dup_or_empty(o->member.subscription);
    rb->o.member.client_id = rb->client_id;
    rb->o.member.group = rb->group;
    rb->o.member.topic = rb->topic;
    rb->o.member.subscription = rb->sub;
    size_t n = o->nmq > 0 ? (size_t)o->nmq : 1;
    rb->all = calloc(n, sizeof *rb->all);
    rb->mine = calloc(n, sizeof *rb->mine);
    rb->next = calloc(n, sizeof *rb->next);
    if (!rb->all || !rb->mine || !rb->next)
        rmq_panic("out of memory");
    if (o->nmq > 0)
        memcpy(rb->all, o->mqs, (size_t)o->nmq * sizeof *rb->all);
    qsort(rb->all, n, sizeof *rb->all, rmq_mq_cmp);
    if (rb->o.rebalance_interval_ms <= 0)
        rb->o.rebalance_interval_ms = RMQ_REBALANCE_INTERVAL_MS;
    if (rb->o.heartbeat_interval_ms <= 0)
        rb->o.heartbeat_interval_ms = RMQ_HEARTBEAT_INTERVAL_MS;
    rb->loop = o->nbrokers > 0 ? rmq_rpc_loop(o->brokers[0]) : EV_DEFAULT;
    double ri = (double)rb->o.rebalance_interval_ms / 1000., hi = (double)rb->o.heartbeat_interval_ms / 1000.;
    ev_timer_init(&rb->periodic, on_periodic, ri, ri);
    ev_timer_init(&rb->soon, on_periodic, 0., 0.);
    ev_timer_init(&rb->beat, on_beat, hi, hi);
    rb->periodic.data = rb->soon.data = rb->beat.data = rb;
    return rb;
}

int rmq_rebalance_start(struct rmq_rebalance *rb, char *err)
{
    if (rb->started)
        return 0;
    int rc = heartbeat_all(rb, err);
    if (rc)
        return rc;
    for (int i = 0; i < rb->o.nbrokers; i++)
        rmq_rpc_on_request(rb->o.brokers[i], on_server_request, rb);
    rb->started = true;
    rmq_rebalance_run(rb);
    ev_timer_start(rb->loop, &rb->periodic);
    ev_timer_start(rb->loop, &rb->beat);
    return 0;
}

void rmq_rebalance_stop(struct rmq_rebalance *rb)
{
    if (!rb || !rb->started)
        return;
    rb->started = false;
    ev_timer_stop(rb->loop, &rb->periodic);
    ev_timer_stop(rb->loop, &rb->soon);
    ev_timer_stop(rb->loop, &rb->beat);
    for (int i = 0; i < rb->o.nbrokers; i++)
        rmq_rpc_on_request(rb->o.brokers[i], NULL, NULL);
}

int rmq_rebalance_leave(struct rmq_rebalance *rb, char *err)
{
    rmq_rebalance_stop(rb);
    int first = 0;
    for (int i = 0; i < rb->o.nbrokers; i++) {
        char e[RMQ_ERRLEN];
        int rc = rmq_unregister(rb->o.brokers[i], rb->client_id, rb->group, e);
        if (rc && !first) {
            first = rc;
            rmq_seterr(err, rc, "unregistering from %s: %s", rmq_rpc_peer(rb->o.brokers[i]), e);
        }
    }
    return first;
}

const struct rmq_mq *rmq_rebalance_mine(const struct rmq_rebalance *rb, int *n)
{
    *n = rb->nmine;
    return rb->mine;
}

void rmq_rebalance_free(struct rmq_rebalance *rb)
{
    if (!rb)
        return;
    rmq_rebalance_stop(rb);
    free(rb->all);
    free(rb->mine);
    free(rb->next);
    free(rb->client_id);
    free(rb->group);
    free(rb->topic);
    free(rb->sub);
    free(rb);
}
