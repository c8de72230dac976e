/*
 * consumer.c — per-queue pull loops, offset tracking and commits.
 */
#include "client/consumer.h"

#include "client/admin.h"
#include "client/compress.h"
#include "client/props.h"
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
    int qid;
    int64_t next, acked, committed;
    bool active;               /* pulled: all queues, or those taken (rebalance.h) */
    bool pulling, done, committing;
    int64_t sent_us;
    int64_t pull_commit;       /* offset the pull in flight commits, -1 none */
    int64_t commit_off;        /* offset the commit in flight sends */
    struct rmq_rpc_call pull_call, commit_call;
    ev_timer delay;
};

struct rmq_consumer {
    struct rmq_rpc *rpc;
    struct ev_loop *loop;
    struct rmq_consumer_opts o;
    char *group, *topic, *sub;
    struct rmq_tag_filter filter;
    struct queue *q;
    int nq, ndone;
    bool started, stopped, in_commit;
    bool link_warned;           /* said the broker is unreachable; quiet until it answers */
    int commits_flying, commit_rc;
    char commit_err[RMQ_ERRLEN];
    ev_timer commit_timer;
    struct rmq_buf scratch;     /* decompressed bodies */
};

static void warn(struct rmq_consumer *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct rmq_consumer *c, const char *fmt, ...)
{
    char text[RMQ_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (c->o.on_warning)
        c->o.on_warning(c->o.arg, text);
    else
        rmq_warn("consumer: %s", text);
}

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
static bool deliver(struct queue *q, const uint8_t *p, size_t n)
{
    struct rmq_consumer *c = q->c;
    char err[RMQ_ERRLEN], offid[64];
    while (n > 0) {
        struct rmq_msg m;
        int size = rmq_msg_decode(p, n, &m, RMQ_MSG_CHECK_CRC, err);
        if (size <= 0) {
            fatal(c, size < 0 ? size : RMQ_ECORRUPT, "corrupt record in the reply for %s queue %d after offset %lld: %s",
                  c->topic, q->qid, (long long)q->next, size < 0 ? err : "blank record");
            return false;
        }
        p += size;
        n -= (size_t)size;
        if (m.queue_offset < q->next)
            continue;   /* already delivered (cannot happen with one pull per queue) */
        struct rmq_consumed d = {.m = &m, .body = m.body, .body_len = m.body_len};
        d.tags = rmq_props_get(m.props, m.props_len, RMQ_PROP_TAGS, &d.tags_len);
        if (!rmq_tag_filter_match(&c->filter, d.tags, d.tags_len))
            continue;   /* the broker filters by tag hash only */
        d.keys = rmq_props_get(m.props, m.props_len, RMQ_PROP_KEYS, &d.keys_len);
        d.msg_id = rmq_props_get(m.props, m.props_len, RMQ_PROP_UNIQ_KEY, &d.msg_id_len);
        if (!d.msg_id) {
            d.msg_id_len = (size_t)rmq_msg_offset_id(offid, &m.store_host, m.phys_offset);
            d.msg_id = offid;
        }
        if (m.sys_flag & RMQ_SYSFLAG_COMPRESSED) {
            rmq_buf_reset(&c->scratch);
            int rc = rmq_body_decompress(m.sys_flag, m.body, m.body_len, c->o.max_body, &c->scratch, err);
            if (rc) {
                fatal(c, rc, "message at %s queue %d offset %lld: %s", c->topic, q->qid,
                      (long long)m.queue_offset, err);
                return false;
            }
            d.body = c->scratch.data ? c->scratch.data : (const uint8_t *)"";
            d.body_len = c->scratch.len;
        }
        if (c->o.on_message(c->o.arg, q->qid, &d) != 0)
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
        if (!c->link_warned)
            warn(c, "pull from %s for %s queue %d failed: %s; retrying every %d ms", rmq_rpc_peer(c->rpc),
                 c->topic, q->qid, why ? why : rmq_strerror(status), RETRY_MS);
        c->link_warned = true;
        schedule(q, RETRY_MS);
        return;
    }
    c->link_warned = false;
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
                c->o.on_batch_end(c->o.arg, q->qid, nb);
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
        warn(c, "%s queue %d: offset %lld is not available (%s); going on at %lld", c->topic, q->qid,
             (long long)q->next, resp->remark ? resp->remark : "moved", (long long)nb);
        q->next = nb;
        if (c->o.on_batch_end)
            c->o.on_batch_end(c->o.arg, q->qid, nb);
        if (!c->stopped)
            schedule(q, 0);
        return;
    default: {
        char text[RMQ_ERRLEN];
        rmq_rpc_expect(resp, NULL, 0, text);
        fatal(c, resp->code, "pull from %s for %s queue %d refused: %s", rmq_rpc_peer(c->rpc), c->topic, q->qid, text);
    }
    }
}

static void pull(struct queue *q)
{
    struct rmq_consumer *c = q->c;
    if (c->stopped || q->pulling || q->done || !q->active)
        return;
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
    rmq_cmd_set_ext_int(&req, "queueId", q->qid);
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
    int rc = rmq_rpc_call(c->rpc, &req, timeout, &q->pull_call, err);
    rmq_cmd_free(&req);
    if (rc) {
        if (!c->link_warned)
            warn(c, "%s; retrying every %d ms", err, RETRY_MS);
        c->link_warned = true;
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
                 (long long)q->commit_off, c->topic, q->qid, c->group, text);
    }
    if (!c->in_commit)
        warn(c, "committing offset of %s queue %d failed: %s", c->topic, q->qid, text);
}

static void send_commit(struct queue *q)
{
    struct rmq_consumer *c = q->c;
    struct rmq_cmd req;
    rmq_admin_update_offset_req(&req, c->group, c->topic, q->qid, q->acked);
    q->commit_call.cb = on_commit;
    q->commit_call.ctx = q;
    q->commit_off = q->acked;
    char err[RMQ_ERRLEN];
    int rc = rmq_rpc_call(c->rpc, &req, 0, &q->commit_call, err);
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
        if (needs_commit(&c->q[i]))
            send_commit(&c->q[i]);
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
            if (needs_commit(&c->q[i]))
                send_commit(&c->q[i]), any = true;
        while (c->commits_flying > 0)
            ev_run(c->loop, EVRUN_ONCE);
        if (!any || c->commit_rc)
            break;
    }
    c->in_commit = false;
    if (c->commit_rc)
        return rmq_seterr(err, c->commit_rc, "%s", c->commit_err);
    return 0;
}

struct rmq_consumer *rmq_consumer_new(struct rmq_rpc *rpc, const struct rmq_consumer_opts *o, char *err)
{
    if (o->queues < 1) {
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
    c->rpc = rpc;
    c->loop = rmq_rpc_loop(rpc);
    c->o = *o;
    c->group = strdup(o->group);
    c->topic = strdup(o->topic);
    c->sub = strdup(o->subscription && *o->subscription ? o->subscription : "*");
    c->q = calloc((size_t)o->queues, sizeof *c->q);
    if (!c->group || !c->topic || !c->sub || !c->q)
        rmq_panic("out of memory");
    c->nq = o->queues;
    if (c->o.batch <= 0)
        c->o.batch = 32;
    if (c->o.suspend_ms <= 0)
        c->o.suspend_ms = 15000;
    if (c->o.commit_interval_ms <= 0)
        c->o.commit_interval_ms = 5000;
    if (c->o.max_body == 0)
        c->o.max_body = 64u << 20;
    for (int i = 0; i < c->nq; i++) {
        struct queue *q = &c->q[i];
        q->c = c;
        q->qid = i;
        q->acked = q->committed = q->pull_commit = -1;
        q->active = !o->assigned_only;
        ev_timer_init(&q->delay, on_delay, 0., 0.);
        q->delay.data = q;
    }
    ev_timer_init(&c->commit_timer, on_commit_timer, (double)c->o.commit_interval_ms / 1000.,
                  (double)c->o.commit_interval_ms / 1000.);
    c->commit_timer.data = c;
    return c;
}

static int seek_one(struct rmq_consumer *c, struct queue *q, enum rmq_from from, int64_t ts_ms, char *err)
{
    int64_t off = 0;
    int rc;
    bool committed = false;
    switch (from) {
    case RMQ_FROM_COMMITTED:
        rc = rmq_admin_query_offset(c->rpc, c->group, c->topic, q->qid, &off, err);
        committed = rc == 0;
        if (rc == RMQ_RESP_QUERY_NOT_FOUND)
            rc = rmq_admin_min_offset(c->rpc, c->topic, q->qid, &off, err);
        break;
    case RMQ_FROM_FIRST: rc = rmq_admin_min_offset(c->rpc, c->topic, q->qid, &off, err); break;
    case RMQ_FROM_LAST: rc = rmq_admin_max_offset(c->rpc, c->topic, q->qid, &off, err); break;
    default: rc = rmq_admin_search_offset(c->rpc, c->topic, q->qid, ts_ms, &off, err); break;
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
        int rc = seek_one(c, &c->q[i], from, ts_ms, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- queues taken and released one by one (rebalance.h) ---- */

static struct queue *queue_of(struct rmq_consumer *c, int qid)
{
    return qid >= 0 && qid < c->nq ? &c->q[qid] : NULL;
}

static void activate(struct rmq_consumer *c, struct queue *q)
{
    if (q->done) {
        q->done = false;
        c->ndone--;
    }
    q->active = true;
    if (c->started)
        pull(q);
}

int rmq_consumer_take(struct rmq_consumer *c, int qid, enum rmq_from from, int64_t ts_ms, char *err)
{
    struct queue *q = queue_of(c, qid);
    if (!q)
        return rmq_seterr(err, RMQ_EINVAL, "%s has no queue %d", c->topic, qid);
    if (q->active)
        return 0;
    int rc = seek_one(c, q, from, ts_ms, err);
    if (rc == 0)
        activate(c, q);
    return rc;
}

int rmq_consumer_take_at(struct rmq_consumer *c, int qid, int64_t offset, char *err)
{
    struct queue *q = queue_of(c, qid);
    if (!q || offset < 0)
        return rmq_seterr(err, RMQ_EINVAL, "%s has no queue %d or offset %lld is negative", c->topic, qid,
                          (long long)offset);
    if (!q->active) {
        q->next = q->acked = offset;
        q->committed = -1;
        activate(c, q);
    }
    return 0;
}

int rmq_consumer_release(struct rmq_consumer *c, int qid, char *err)
{
    struct queue *q = queue_of(c, qid);
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
        ev_run(c->loop, EVRUN_ONCE);
    if (q->acked < 0 || q->acked == q->committed)
        return 0;
    bool was_in_commit = c->in_commit;
    int saved_rc = c->commit_rc;
    c->in_commit = true;   /* the error comes back here, not as a warning */
    c->commit_rc = 0;
    send_commit(q);
    while (q->committing)
        ev_run(c->loop, EVRUN_ONCE);
    int rc = c->commit_rc;
    if (rc)
        rmq_seterr(err, rc, "%s", c->commit_err);
    c->commit_rc = saved_rc;
    c->in_commit = was_in_commit;
    return rc;
}

bool rmq_consumer_active(const struct rmq_consumer *c, int qid)
{
    return qid >= 0 && qid < c->nq && c->q[qid].active;
}

void rmq_consumer_start(struct rmq_consumer *c)
{
    if (c->started || c->stopped)
        return;
    c->started = true;
    ev_timer_start(c->loop, &c->commit_timer);
    for (int i = 0; i < c->nq; i++)
        if (c->q[i].active && c->q[i].acked < 0)   /* never seeked: from 0 */
            c->q[i].acked = 0;
    for (int i = 0; i < c->nq && !c->stopped; i++)
        pull(&c->q[i]);
}

void rmq_consumer_stop(struct rmq_consumer *c)
{
    if (c->stopped)
        return;
    c->stopped = true;
    ev_timer_stop(c->loop, &c->commit_timer);
    for (int i = 0; i < c->nq; i++) {
        ev_timer_stop(c->loop, &c->q[i].delay);
        if (c->q[i].pulling)
            rmq_rpc_cancel(&c->q[i].pull_call);
        c->q[i].pulling = false;
    }
}

void rmq_consumer_ack(struct rmq_consumer *c, int qid, int64_t offset)
{
    if (qid >= 0 && qid < c->nq && c->q[qid].active)   /* a released queue is another's now */
        c->q[qid].acked = offset;
}

int64_t rmq_consumer_next(const struct rmq_consumer *c, int qid) { return c->q[qid].next; }
int64_t rmq_consumer_acked(const struct rmq_consumer *c, int qid) { return c->q[qid].acked; }

void rmq_consumer_free(struct rmq_consumer *c)
{
    if (!c)
        return;
    rmq_consumer_stop(c);
    for (int i = 0; i < c->nq; i++)
        if (c->q[i].committing)
            rmq_rpc_cancel(&c->q[i].commit_call);
    rmq_tag_filter_free(&c->filter);
    rmq_buf_free(&c->scratch);
    free(c->q);
    free(c->group);
    free(c->topic);
    free(c->sub);
    free(c);
}
