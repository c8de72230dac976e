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
    int nall, nmine, cap;
    bool started, running, again, first_done, beat_first;
    ev_timer periodic, soon, beat;
};

/* The topic's broker names, in order, copied (heartbeats and member lists run the loop, and
 * a route refresh meanwhile may replace the set's queue list). *names: free(). */
static size_t broker_names(struct rmq_rebalance *rb, char (**names)[RMQ_NAME_MAX])
{
    size_t max = rmq_qset_count(rb->o.qs);
    const char **v = malloc((max ? max : 1) * sizeof *v);
    *names = malloc((max ? max : 1) * sizeof **names);
    if (!v || !*names)
        rmq_panic("out of memory");
    size_t n = rmq_qset_brokers(rb->o.qs, v, max);
    for (size_t i = 0; i < n; i++)
        snprintf((*names)[i], sizeof (*names)[i], "%s", v[i]);
    free(v);
    return n;
}

#define warn(rb, ...) rmq_warn_to((rb)->o.on_warning, (rb)->o.arg, "rebalance", __VA_ARGS__)

/* Heartbeats to every broker of the topic: 0 when at least one took it. */
static int heartbeat_all(struct rmq_rebalance *rb, char *err)
{
    if (rb->o.passive)
        return 0;
    char (*names)[RMQ_NAME_MAX];
    size_t nb = broker_names(rb, &names);
    int ok = 0, first_rc = 0;
    for (size_t i = 0; i < nb; i++) {
        char e[RMQ_ERRLEN];
        struct rmq_rpc *rpc = rmq_qset_rpc(rb->o.qs, names[i]);
        int rc = rpc ? rmq_heartbeat(rpc, &rb->o.member, e) : rmq_seterr(e, RMQ_ENOTFOUND, "no address known");
        if (rc == 0) {
            ok++;
            continue;
        }
        if (!first_rc) {
            first_rc = rc;
            rmq_seterr(err, rc, "heartbeat to broker %s (%s): %s", names[i], rpc ? rmq_rpc_peer(rpc) : "-", e);
        }
        if (rb->started)
            warn(rb, "heartbeat to broker %s (%s): %s", names[i], rpc ? rmq_rpc_peer(rpc) : "-", e);
    }
    if (!nb)
        rmq_seterr(err, RMQ_ENOTFOUND, "topic %s has no broker to heartbeat to", rb->topic);
    free(names);
    return ok ? 0 : nb ? first_rc : RMQ_ENOTFOUND;
}

/* The member list from the first broker of the topic, by name, that answers. */
static int members(struct rmq_rebalance *rb, char ***ids, int *n, char *err)
{
    char (*names)[RMQ_NAME_MAX];
    size_t nb = broker_names(rb, &names);
    int rc = rmq_seterr(err, RMQ_ENOTFOUND, "topic %s has no broker", rb->topic);
    for (size_t i = 0; i < nb; i++) {
        struct rmq_rpc *rpc = rmq_qset_rpc(rb->o.qs, names[i]);
        if (rpc && (rc = rmq_consumer_list(rpc, rb->group, ids, n, err)) == 0)
            break;
    }
    free(names);
    return rc;
}

/* Room for the topic's queues as the set has them now, and ours besides. */
static void load_queues(struct rmq_rebalance *rb)
{
    int n = (int)rmq_qset_count(rb->o.qs);
    if (n + rb->nmine > rb->cap) {
        rb->cap = n + rb->nmine;
        rb->all = realloc(rb->all, (size_t)rb->cap * sizeof *rb->all);
        rb->mine = realloc(rb->mine, (size_t)rb->cap * sizeof *rb->mine);
        rb->next = realloc(rb->next, (size_t)rb->cap * sizeof *rb->next);
        if (!rb->all || !rb->mine || !rb->next)
            rmq_panic("out of memory");
    }
    if (n > 0)
        memcpy(rb->all, rmq_qset_queues(rb->o.qs), (size_t)n * sizeof *rb->all);
    rb->nall = n;
    qsort(rb->all, (size_t)n, sizeof *rb->all, rmq_mq_cmp);
}

static bool contains(const struct rmq_mq *v, int n, const struct rmq_mq *mq)
{
    return bsearch(mq, v, (size_t)n, sizeof *v, rmq_mq_cmp) != NULL;
}

/* Our share by the current member list, into rb->next; -1 when it cannot be known now. */
static int compute(struct rmq_rebalance *rb)
{
    load_queues(rb);
    if (rb->o.member.broadcast) {
        memcpy(rb->next, rb->all, (size_t)rb->nall * sizeof *rb->next);
        return rb->nall;
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
        if (in || attempt || rb->o.passive)
            break;
        /* the broker forgot us (restarted, or our connection was lost): register again */
        free(ids);
        ids = NULL;
        if (heartbeat_all(rb, err)) {
            warn(rb, "%s", err);
            return -1;
        }
    }
    int k = rmq_allocate_averagely(rb->client_id, (const char *const *)ids, n, rb->all, rb->nall, rb->next);
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
        if (rb->beat_first) {
            char err[RMQ_ERRLEN];
            rb->beat_first = false;
            heartbeat_all(rb, err);   /* failures are warned about one by one */
        }
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
                warn(rb, "releasing queue %d of broker %s: %s", mq.qid, mq.broker, err);
        }
        for (int i = 0; i < k; i++) {
            if (contains(rb->mine, rb->nmine, &rb->next[i]))
                continue;
            if (rb->o.take(rb->o.arg, &rb->next[i], !rb->first_done, err)) {
                warn(rb, "taking queue %d of broker %s: %s; trying again at the next rebalance", rb->next[i].qid,
                     rb->next[i].broker, err);
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

void rmq_rebalance_soon(struct rmq_rebalance *rb)
{
    if (!rb || !rb->started)
        return;
    rb->beat_first = true;
    if (rb->running)
        rb->again = true;
    else if (!ev_is_active(&rb->soon))
        ev_timer_start(rb->loop, &rb->soon);
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
    if (rb->o.rebalance_interval_ms <= 0)
        rb->o.rebalance_interval_ms = RMQ_REBALANCE_INTERVAL_MS;
    if (rb->o.heartbeat_interval_ms <= 0)
        rb->o.heartbeat_interval_ms = RMQ_HEARTBEAT_INTERVAL_MS;
    rb->loop = rmq_qset_loop(o->qs);
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
    rmq_qset_on_request(rb->o.qs, on_server_request, rb);
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
    rmq_qset_on_request(rb->o.qs, NULL, NULL);
}

int rmq_rebalance_leave(struct rmq_rebalance *rb, char *err)
{
    rmq_rebalance_stop(rb);
    if (rb->o.passive)
        return 0;
    int first = 0;
    char (*names)[RMQ_NAME_MAX];
    size_t nb = broker_names(rb, &names);
    for (size_t i = 0; i < nb; i++) {
        char e[RMQ_ERRLEN];
        struct rmq_rpc *rpc = rmq_qset_rpc(rb->o.qs, names[i]);
        int rc = rpc ? rmq_unregister(rpc, rb->client_id, rb->group, e) : 0;
        if (rc && !first) {
            first = rc;
            rmq_seterr(err, rc, "unregistering from broker %s (%s): %s", names[i], rmq_rpc_peer(rpc), e);
        }
    }
    free(names);
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
