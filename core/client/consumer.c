/*
 * consumer.c — per-queue pull loops, offset tracking and commits.
 */
#include "client/consumer.h"

#include "client/admin.h"
#include "client/qset.h"
#include "client/compress.h"
#include "client/props.h"
#include "client/retry.h"
#include "proto/codes.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <ev.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PULL_COMMIT 0x1
#define PULL_SUSPEND 0x2
#define PULL_SUBSCRIPTION 0x4
#define RETRY_MS 1000         /* after a broken connection or a timeout */
#define EMPTY_POLL_MS 100     /* after an immediate "not found" (a broker not holding pulls) */

struct queue {
    struct rmq_consumer *c;
    int qi;                    /* index in c->q: what callbacks and rmq_consumer_ack use */
    struct rmq_mq mq;          /* broker name and queue id on the wire */
    int64_t next, acked, committed;
    bool active;               /* pulled: all queues, or those taken (rebalance.h) */
    bool pulling, done, committing;
    bool held;                 /* rmq_consumer_hold: no new pull */
    bool link_warned;          /* said its broker is unreachable; quiet until it answers */
    int64_t sent_us;
    int64_t pull_commit;       /* offset the pull in flight commits, -1 none */
    int64_t commit_off;        /* offset the commit in flight sends */
    struct rmq_rpc_call pull_call, commit_call;
    ev_timer delay;
};

struct rmq_consumer {
    struct rmq_qset *qs;
    struct ev_loop *loop;
    struct rmq_consumer_opts o;
    char *group, *topic, *sub;
    struct rmq_tag_filter filter;
    struct queue **q;          /* by index; each allocated alone (timers and calls point in) */
    int nq, cap, ndone;
    bool started, stopped, in_commit;
    int commits_flying, commit_rc;
    char commit_err[RMQ_ERRLEN];
    ev_timer commit_timer;
    struct rmq_buf scratch;     /* decompressed bodies */
};

#define warn(c, ...) rmq_warn_to((c)->o.on_warning, (c)->o.arg, "consumer", __VA_ARGS__)

static void fatal(struct rmq_consumer *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fatal(struct rmq_consumer *c, int code, const char *fmt, ...)
{
    char text[RMQ_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    rmq_consumer_stop(c);
    if (c->o.on_error)
        c->o.on_error(c->o.arg, code, text);
}

static void pull(struct queue *q);

static void schedule(struct queue *q, int64_t ms)
{
    if (ms <= 0) {
        pull(q);
        return;
    }
    ev_timer_set(&q->delay, (double)ms / 1000., 0.);
    ev_timer_start(q->c->loop, &q->delay);
}

static void on_delay(struct ev_loop *loop, ev_timer *w, int revents)
{
    pull(w->data);
}

/* Delivers the records of a FOUND reply; false when the consumer stopped meanwhile. */
int rmq_consumed_fill(struct rmq_consumed *d, const struct rmq_msg *m, char *offid, size_t max_body,
                      struct rmq_buf *scratch, char *err)
{
    *d = (struct rmq_consumed){.m = m, .body = m->body, .body_len = m->body_len, .topic = m->topic,
                                .topic_len = m->topic_len};
    d->tags = rmq_props_get(m->props, m->props_len, RMQ_PROP_TAGS, &d->tags_len);
    d->keys = rmq_props_get(m->props, m->props_len, RMQ_PROP_KEYS, &d->keys_len);
    d->msg_id = rmq_props_get(m->props, m->props_len, RMQ_PROP_UNIQ_KEY, &d->msg_id_len);
    if (!d->msg_id) {
        d->msg_id_len = (size_t)rmq_msg_offset_id(offid, &m->store_host, m->phys_offset);
        d->msg_id = offid;
    }
    if (!(m->sys_flag & RMQ_SYSFLAG_COMPRESSED))
        return 0;
    rmq_buf_reset(scratch);
    int rc = rmq_body_decompress(m->sys_flag, m->body, m->body_len, max_body, scratch, err);
    if (rc)
        return rc;
    d->body = scratch->data ? scratch->data : (const uint8_t *)"";
    d->body_len = scratch->len;
    return 0;
}

static bool deliver(struct queue *q, const uint8_t *p, size_t n)
{
    struct rmq_consumer *c = q->c;
    char err[RMQ_ERRLEN], offid[64];
    while (n > 0) {
        struct rmq_msg m;
        int size = rmq_msg_decode(p, n, &m, RMQ_MSG_CHECK_CRC, err);
        if (size <= 0) {
            fatal(c, size < 0 ? size : RMQ_ECORRUPT, "corrupt record in the reply for %s queue %d on %s after offset %lld: %s",
                  c->topic, q->mq.qid, q->mq.broker, (long long)q->next, size < 0 ? err : "blank record");
            return false;
        }
        p += size;
        n -= (size_t)size;
        if (m.queue_offset < q->next)
            continue;   /* already delivered (cannot happen with one pull per queue) */
        size_t tags_len;
        const char *tags = rmq_props_get(m.props, m.props_len, RMQ_PROP_TAGS, &tags_len);
        if (!rmq_tag_filter_match(&c->filter, tags, tags_len))
            continue;   /* the broker filters by tag hash only */
        struct rmq_consumed d;
        int rc = rmq_consumed_fill(&d, &m, offid, c->o.max_body, &c->scratch, err);
        if (rc) {
            fatal(c, rc, "message at %s queue %d on %s offset %lld: %s", c->topic, q->mq.qid, q->mq.broker,
                  (long long)m.queue_offset, err);
            return false;
        }
        d.broker = q->mq.broker;
        if (c->o.restore_topic)
            d.topic = rmq_origin_topic(&m, &d.topic_len);
        if (c->o.on_message(c->o.arg, q->qi, &d) != 0)
            rmq_consumer_stop(c);
        if (c->stopped)
            return false;
    }
    if (c->scratch.cap > (4u << 20))
        rmq_buf_free(&c->scratch);
    return true;
}

static void queue_done(struct queue *q)
{
    struct rmq_consumer *c = q->c;
    if (q->done)
        return;
    q->done = true;
    if (++c->ndone == c->nq && c->o.on_end)
        c->o.on_end(c->o.arg);
}

static void on_pull(void *ctx, int status, const struct rmq_cmd *resp, const char *why)
{
    struct queue *q = ctx;
    struct rmq_consumer *c = q->c;
    q->pulling = false;
    if (c->stopped || !q->active)
        return;
    if (status) {
        if (!q->link_warned)
            warn(c, "pull from broker %s for %s queue %d failed: %s; retrying every %d ms", q->mq.broker,
                 c->topic, q->mq.qid, why ? why : rmq_strerror(status), RETRY_MS);
        q->link_warned = true;
        rmq_qset_refresh_soon(c->qs);
        schedule(q, RETRY_MS);
        return;
    }
    q->link_warned = false;
    int64_t nb = q->next;
    bool has_next = rmq_cmd_ext_int(resp, "nextBeginOffset", 0, INT64_MAX, &nb, NULL) == 0;
    if (q->pull_commit >= 0 && resp->code != RMQ_RESP_TOPIC_NOT_EXIST)
        q->committed = q->pull_commit > q->committed ? q->pull_commit : q->committed;
    switch (resp->code) {
    case RMQ_RESP_SUCCESS:
        if (!deliver(q, resp->body, resp->body_len))
            return;
        /* the reply is handled; go on where the broker says */
        __attribute__((fallthrough));
    case RMQ_RESP_PULL_RETRY_IMMEDIATELY:
        if (has_next && nb > q->next) {
            q->next = nb;
            if (c->o.on_batch_end)
                c->o.on_batch_end(c->o.arg, q->qi, nb);
            if (c->stopped)
                return;
        }
        schedule(q, 0);
        return;
    case RMQ_RESP_PULL_NOT_FOUND:
        if (has_next)
            q->next = nb;
        if (c->o.stop_at_end) {
            queue_done(q);
            return;
        }
        schedule(q, rmq_mono_us() - q->sent_us < EMPTY_POLL_MS * 500 ? EMPTY_POLL_MS : 0);
        return;
    case RMQ_RESP_PULL_OFFSET_MOVED:
        warn(c, "%s queue %d on %s: offset %lld is not available (%s); going on at %lld", c->topic, q->mq.qid, q->mq.broker,
             (long long)q->next, resp->remark ? resp->remark : "moved", (long long)nb);
        q->next = nb;
        if (c->o.on_batch_end)
            c->o.on_batch_end(c->o.arg, q->qi, nb);
        if (!c->stopped)
            schedule(q, 0);
        return;
    default: {
        char text[RMQ_ERRLEN];
        rmq_rpc_expect(resp, NULL, 0, text);
        fatal(c, resp->code, "pull from broker %s for %s queue %d refused: %s", q->mq.broker, c->topic, q->mq.qid, text);
    }
    }
}

static void pull(struct queue *q)
{
    struct rmq_consumer *c = q->c;
    if (c->stopped || q->pulling || q->done || !q->active || q->held)
        return;
    struct rmq_rpc *rpc = rmq_qset_rpc(c->qs, q->mq.broker);
    if (!rpc) {   /* its master left the route: wait for it to come back */
        if (!q->link_warned)
            warn(c, "no address known for broker %s; retrying every %d ms", q->mq.broker, RETRY_MS);
        q->link_warned = true;
        schedule(q, RETRY_MS);
        return;
    }
    int sysflag = PULL_SUBSCRIPTION | (c->o.stop_at_end ? 0 : PULL_SUSPEND);
    q->pull_commit = -1;
    if (!c->o.local_offsets && q->acked >= 0 && q->acked != q->committed && !q->committing) {
        sysflag |= PULL_COMMIT;
        q->pull_commit = q->acked;
    }
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_PULL_MESSAGE, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "consumerGroup", c->group);
    rmq_cmd_set_ext(&req, "topic", c->topic);
    rmq_cmd_set_ext_int(&req, "queueId", q->mq.qid);
    rmq_cmd_set_ext_int(&req, "queueOffset", q->next);
    rmq_cmd_set_ext_int(&req, "maxMsgNums", c->o.batch);
    rmq_cmd_set_ext_int(&req, "sysFlag", sysflag);
    rmq_cmd_set_ext_int(&req, "commitOffset", q->pull_commit >= 0 ? q->pull_commit : 0);
    rmq_cmd_set_ext_int(&req, "suspendTimeoutMillis", c->o.suspend_ms);
    rmq_cmd_set_ext(&req, "subscription", c->sub);
    rmq_cmd_set_ext_int(&req, "subVersion", rmq_now_ms());
    rmq_cmd_set_ext(&req, "expressionType", "TAG");
    q->pull_call.cb = on_pull;
    q->pull_call.ctx = q;
    q->sent_us = rmq_mono_us();
    char err[RMQ_ERRLEN];
    /* a held pull may take the whole suspend time: the request timeout must be longer */
    int64_t timeout = c->o.stop_at_end ? RMQ_RPC_TIMEOUT_MS : c->o.suspend_ms + 15000;
    int rc = rmq_rpc_call(rpc, &req, timeout, &q->pull_call, err);
    rmq_cmd_free(&req);
    if (rc) {
        if (!q->link_warned)
            warn(c, "%s; retrying every %d ms", err, RETRY_MS);
        q->link_warned = true;
        schedule(q, RETRY_MS);
        return;
    }
    q->pulling = true;
}

static void on_commit(void *ctx, int status, const struct rmq_cmd *resp, const char *why)
{
    struct queue *q = ctx;
    struct rmq_consumer *c = q->c;
    q->committing = false;
    c->commits_flying--;
    char text[RMQ_ERRLEN];
    int rc = status ? status : rmq_rpc_expect(resp, NULL, 0, text);
    if (rc == 0) {
        q->committed = q->commit_off;
        return;
    }
    if (status)
        snprintf(text, sizeof text, "%s", why ? why : rmq_strerror(status));
    if (!c->commit_rc) {
        c->commit_rc = rc;
        snprintf(c->commit_err, sizeof c->commit_err, "committing offset %lld of %s queue %d for group %s: %s",
                 (long long)q->commit_off, c->topic, q->mq.qid, c->group, text);
    }
    if (!c->in_commit)
        warn(c, "committing offset of %s queue %d on %s failed: %s", c->topic, q->mq.qid, q->mq.broker, text);
}

static void send_commit(struct queue *q)
{
    struct rmq_consumer *c = q->c;
    struct rmq_cmd req;
    struct rmq_rpc *rpc = rmq_qset_rpc(c->qs, q->mq.broker);
    if (!rpc) {
        if (!c->commit_rc) {
            c->commit_rc = RMQ_ENOTFOUND;
            snprintf(c->commit_err, sizeof c->commit_err, "committing offsets of %s on broker %s: no address known",
                     c->topic, q->mq.broker);
        }
        return;
    }
    rmq_admin_update_offset_req(&req, c->group, c->topic, q->mq.qid, q->acked);
    q->commit_call.cb = on_commit;
    q->commit_call.ctx = q;
    q->commit_off = q->acked;
    char err[RMQ_ERRLEN];
    int rc = rmq_rpc_call(rpc, &req, 0, &q->commit_call, err);
    rmq_cmd_free(&req);
    if (rc) {
        if (!c->commit_rc) {
            c->commit_rc = rc;
            snprintf(c->commit_err, sizeof c->commit_err, "%s", err);
        }
        return;
    }
    q->committing = true;
    c->commits_flying++;
}

static bool needs_commit(const struct queue *q)
{
    return q->active && !q->c->o.local_offsets && q->acked >= 0 && q->acked != q->committed && !q->committing;
}

static void on_commit_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rmq_consumer *c = w->data;
    for (int i = 0; i < c->nq; i++)
        if (needs_commit(c->q[i]))
            send_commit(c->q[i]);
}

int rmq_consumer_commit(struct rmq_consumer *c, char *err)
{
    if (c->o.local_offsets)
        return 0;   /* the application keeps them */
    c->commit_rc = 0;
    c->in_commit = true;
    for (int round = 0; round < 3; round++) {
        bool any = false;
        for (int i = 0; i < c->nq; i++)
            if (needs_commit(c->q[i]))
                send_commit(c->q[i]), any = true;
        while (c->commits_flying > 0)
            rmq_rpc_run_once(c->loop);
        if (!any || c->commit_rc)
            break;
    }
    c->in_commit = false;
    if (c->commit_rc)
        return rmq_seterr(err, c->commit_rc, "%s", c->commit_err);
    return 0;
}

/* A new queue index for mq (not active). */
static struct queue *add_queue(struct rmq_consumer *c, const struct rmq_mq *mq)
{
    if (c->nq == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 8;
        c->q = realloc(c->q, (size_t)c->cap * sizeof *c->q);
        if (!c->q)
            rmq_panic("out of memory");
    }
    struct queue *q = calloc(1, sizeof *q);
    if (!q)
        rmq_panic("out of memory");
    q->c = c;
    q->qi = c->nq;
    q->mq = *mq;
    q->acked = q->committed = q->pull_commit = -1;
    ev_timer_init(&q->delay, on_delay, 0., 0.);
    q->delay.data = q;
    c->q[c->nq++] = q;
    return q;
}

struct rmq_consumer *rmq_consumer_new(struct rmq_qset *qs, const struct rmq_consumer_opts *o, char *err)
{
    size_t nq = rmq_qset_count(qs);
    if (nq < 1) {
        rmq_seterr(err, RMQ_EINVAL, "topic '%s' has no read queues", o->topic);
        return NULL;
    }
    struct rmq_consumer *c = calloc(1, sizeof *c);
    if (!c)
        rmq_panic("out of memory");
    if (rmq_tag_filter_parse(&c->filter, o->subscription, err)) {
        free(c);
        return NULL;
    }
    c->qs = qs;
    c->loop = rmq_qset_loop(qs);
    c->o = *o;
    c->group = strdup(o->group);
    c->topic = strdup(o->topic);
    c->sub = strdup(o->subscription && *o->subscription ? o->subscription : "*");
    if (!c->group || !c->topic || !c->sub)
        rmq_panic("out of memory");
    if (c->o.batch <= 0)
        c->o.batch = 32;
    if (c->o.suspend_ms <= 0)
        c->o.suspend_ms = 15000;
    if (c->o.commit_interval_ms <= 0)
        c->o.commit_interval_ms = 5000;
    if (c->o.max_body == 0)
        c->o.max_body = 64u << 20;
    for (size_t i = 0; i < nq; i++)
        add_queue(c, &rmq_qset_queues(qs)[i])->active = !o->assigned_only;
    ev_timer_init(&c->commit_timer, on_commit_timer, (double)c->o.commit_interval_ms / 1000.,
                  (double)c->o.commit_interval_ms / 1000.);
    c->commit_timer.data = c;
    return c;
}

static int seek_one(struct rmq_consumer *c, struct queue *q, enum rmq_from from, int64_t ts_ms, char *err)
{
    struct rmq_rpc *rpc = rmq_qset_rpc(c->qs, q->mq.broker);
    if (!rpc)
        return rmq_seterr(err, RMQ_ENOTFOUND, "no address known for broker %s", q->mq.broker);
    int64_t off = 0;
    int rc;
    bool committed = false;
    switch (from) {
    case RMQ_FROM_COMMITTED:
        rc = rmq_admin_query_offset(rpc, c->group, c->topic, q->mq.qid, &off, err);
        committed = rc == 0;
        if (rc == RMQ_RESP_QUERY_NOT_FOUND)
            rc = rmq_admin_min_offset(rpc, c->topic, q->mq.qid, &off, err);
        break;
    case RMQ_FROM_FIRST: rc = rmq_admin_min_offset(rpc, c->topic, q->mq.qid, &off, err); break;
    case RMQ_FROM_LAST: rc = rmq_admin_max_offset(rpc, c->topic, q->mq.qid, &off, err); break;
    default: rc = rmq_admin_search_offset(rpc, c->topic, q->mq.qid, ts_ms, &off, err); break;
    }
    if (rc)
        return rc;
    q->next = q->acked = off;
    q->committed = committed ? off : -1;
    return 0;
}

int rmq_consumer_seek(struct rmq_consumer *c, enum rmq_from from, int64_t ts_ms, char *err)
{
    for (int i = 0; i < c->nq; i++) {
        int rc = seek_one(c, c->q[i], from, ts_ms, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- queues taken and released one by one (rebalance.h) ---- */

int rmq_consumer_index(const struct rmq_consumer *c, const struct rmq_mq *mq)
{
    for (int i = 0; i < c->nq; i++)
        if (c->q[i]->mq.qid == mq->qid && strcmp(c->q[i]->mq.broker, mq->broker) == 0)
            return i;
    return -1;
}

static struct queue *queue_of(struct rmq_consumer *c, const struct rmq_mq *mq, bool add)
{
    int qi = rmq_consumer_index(c, mq);
    return qi >= 0 ? c->q[qi] : add ? add_queue(c, mq) : NULL;
}

static void activate(struct rmq_consumer *c, struct queue *q)
{
    if (q->done) {
        q->done = false;
        c->ndone--;
    }
    q->active = true;
    q->link_warned = false;
    if (c->started)
        pull(q);
}

int rmq_consumer_take(struct rmq_consumer *c, const struct rmq_mq *mq, enum rmq_from from, int64_t ts_ms, char *err)
{
    struct queue *q = queue_of(c, mq, true);
    if (q->active)
        return 0;
    int rc = seek_one(c, q, from, ts_ms, err);
    if (rc == 0)
        activate(c, q);
    return rc;
}

int rmq_consumer_take_at(struct rmq_consumer *c, const struct rmq_mq *mq, int64_t offset, char *err)
{
    if (offset < 0)
        return rmq_seterr(err, RMQ_EINVAL, "%s queue %d on %s: offset %lld is negative", c->topic, mq->qid, mq->broker,
                          (long long)offset);
    struct queue *q = queue_of(c, mq, true);
    if (!q->active) {
        q->next = q->acked = offset;
        q->committed = -1;
        activate(c, q);
    }
    return 0;
}

int rmq_consumer_release(struct rmq_consumer *c, const struct rmq_mq *mq, char *err)
{
    struct queue *q = queue_of(c, mq, false);
    if (!q || !q->active)
        return 0;
    q->active = false;
    ev_timer_stop(c->loop, &q->delay);
    if (q->pulling)
        rmq_rpc_cancel(&q->pull_call);   /* its reply, if any, is dropped unread */
    q->pulling = false;
    if (c->o.local_offsets)
        return 0;
    while (q->committing)   /* a periodic commit in flight: let it land first */
        rmq_rpc_run_once(c->loop);
    if (q->acked < 0 || q->acked == q->committed)
        return 0;
    bool was_in_commit = c->in_commit;
    int saved_rc = c->commit_rc;
    c->in_commit = true;   /* the error comes back here, not as a warning */
    c->commit_rc = 0;
    send_commit(q);
    while (q->committing)
        rmq_rpc_run_once(c->loop);
    int rc = c->commit_rc;
    if (rc)
        rmq_seterr(err, rc, "%s", c->commit_err);
    c->commit_rc = saved_rc;
    c->in_commit = was_in_commit;
    return rc;
}

void rmq_consumer_hold(struct rmq_consumer *c, int qi, bool hold)
{
    if (qi < 0 || qi >= c->nq || c->q[qi]->held == hold)
        return;
    c->q[qi]->held = hold;
    if (!hold && c->started && !ev_is_active(&c->q[qi]->delay))
        pull(c->q[qi]);
}

bool rmq_consumer_active(const struct rmq_consumer *c, int qi)
{
    return qi >= 0 && qi < c->nq && c->q[qi]->active;
}

void rmq_consumer_start(struct rmq_consumer *c)
{
    if (c->started || c->stopped)
        return;
    c->started = true;
    ev_timer_start(c->loop, &c->commit_timer);
    for (int i = 0; i < c->nq; i++)
        if (c->q[i]->active && c->q[i]->acked < 0)   /* never seeked: from 0 */
            c->q[i]->acked = 0;
    for (int i = 0; i < c->nq && !c->stopped; i++)
        pull(c->q[i]);
}

void rmq_consumer_stop(struct rmq_consumer *c)
{
    if (c->stopped)
        return;
    c->stopped = true;
    ev_timer_stop(c->loop, &c->commit_timer);
    for (int i = 0; i < c->nq; i++) {
        struct queue *q = c->q[i];
        ev_timer_stop(c->loop, &q->delay);
        if (q->pulling)
            rmq_rpc_cancel(&q->pull_call);
        q->pulling = false;
    }
}

void rmq_consumer_ack(struct rmq_consumer *c, int qi, int64_t offset)
{
    if (qi >= 0 && qi < c->nq && c->q[qi]->active)   /* a released queue is another's now */
        c->q[qi]->acked = offset;
}

int64_t rmq_consumer_next(const struct rmq_consumer *c, int qi) { return c->q[qi]->next; }
int64_t rmq_consumer_acked(const struct rmq_consumer *c, int qi) { return c->q[qi]->acked; }
int rmq_consumer_count(const struct rmq_consumer *c) { return c->nq; }
const struct rmq_mq *rmq_consumer_queue(const struct rmq_consumer *c, int qi) { return &c->q[qi]->mq; }

void rmq_consumer_free(struct rmq_consumer *c)
{
    if (!c)
        return;
    rmq_consumer_stop(c);
    for (int i = 0; i < c->nq; i++) {
        if (c->q[i]->committing)
            rmq_rpc_cancel(&c->q[i]->commit_call);
        free(c->q[i]);
    }
    rmq_tag_filter_free(&c->filter);
    rmq_buf_free(&c->scratch);
    free(c->q);
    free(c->group);
    free(c->topic);
    free(c->sub);
    free(c);
}
