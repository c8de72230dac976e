/*
 * producer.c — pipelined SEND_MESSAGE_V2 with retries.
 *
 * A message lives in exactly one place until its result is reported: the `ready` FIFO
 * (waiting for room in the window), in flight (its rpc call pending), or the `later` list
 * (waiting out a retry backoff, re-armed by one timer at the earliest due time).
 */
#include "client/producer.h"

#include "client/compress.h"
#include "client/fault.h"
#include "client/msgid.h"
#include "client/props.h"
#include "proto/codes.h"
#include "proto/msg.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* room left in a frame for header and properties next to a body */
#define FRAME_SLACK (64u * 1024)

struct pmsg {
    struct pmsg *next, *prev;       /* ready / later list, or the in-flight list */
    struct rmq_producer *p;
    struct rmq_rpc_call call;
    uint64_t id;
    uint8_t *body;
    size_t body_len;
    char *props;
    size_t props_len;
    uint32_t sys_flag;
    int32_t flag;
    int64_t born_ts;
    int64_t due_us;                 /* when waiting to retry */
    int64_t sent_us;                /* when the attempt in flight left */
    int attempts;
    bool sharded;                   /* queue chosen by shard_hash, not round robin */
    int32_t shard_hash;             /* Java hashCode() of the sharding key */
    struct rmq_mq mq;               /* queue of the current (or last) attempt */
    char uniq[RMQ_UNIQ_LEN + 1];
};

struct list {
    struct pmsg *head, *tail;
};

struct rmq_producer {
    struct rmq_qset *qs;
    struct rmq_faults faults;
    struct ev_loop *loop;
    struct rmq_producer_opts o;
    char *group, *topic;
    struct list ready, later, flying;
    size_t inflight, outstanding;
    unsigned next_queue;
    ev_timer retry_timer;
    struct rmq_uniq_gen uniq;
    bool pumping;
};

static void push(struct list *l, struct pmsg *m)
{
    m->next = NULL;
    m->prev = l->tail;
    if (l->tail)
        l->tail->next = m;
    else
        l->head = m;
    l->tail = m;
}

static void unlink_msg(struct list *l, struct pmsg *m)
{
    if (m->prev)
        m->prev->next = m->next;
    else
        l->head = m->next;
    if (m->next)
        m->next->prev = m->prev;
    else
        l->tail = m->prev;
    m->next = m->prev = NULL;
}

const char *rmq_send_status_name(enum rmq_send_status s)
{
    switch (s) {
    case RMQ_SEND_OK: return "SEND_OK";
    case RMQ_SEND_FLUSH_DISK_TIMEOUT: return "FLUSH_DISK_TIMEOUT";
    case RMQ_SEND_FLUSH_SLAVE_TIMEOUT: return "FLUSH_SLAVE_TIMEOUT";
    case RMQ_SEND_SLAVE_NOT_AVAILABLE: return "SLAVE_NOT_AVAILABLE";
    default: return "FAILED";
    }
}

static void free_msg(struct pmsg *m)
{
    free(m->body);
    free(m->props);
    free(m);
}

static void pump(struct rmq_producer *p);
static void arm_retry(struct rmq_producer *p);

static void report(struct pmsg *m, const struct rmq_send_result *r)
{
    struct rmq_producer *p = m->p;
    p->outstanding--;
    uint64_t id = m->id;
    if (p->o.on_result)
        p->o.on_result(p->o.arg, id, r);
    free_msg(m);
}

static void final_failure(struct pmsg *m, int code, const char *why)
{
    struct rmq_send_result r = {
        .status = RMQ_SEND_FAILED, .code = code, .error = why, .msg_id = m->uniq,
        .offset_msg_id = "", .broker = m->mq.broker, .queue_id = -1, .queue_offset = -1, .attempts = m->attempts,
    };
    report(m, &r);
}

/* A failed attempt: retry later, or report the failure. */
static void attempt_failed(struct pmsg *m, int code, const char *why, bool retryable)
{
    struct rmq_producer *p = m->p;
    if (!retryable || m->attempts > p->o.retries) {
        char text[RMQ_ERRLEN + 64];
        if (retryable && m->attempts > 1)
            snprintf(text, sizeof text, "%s (after %d attempts)", why, m->attempts);
        else
            snprintf(text, sizeof text, "%s", why);
        final_failure(m, code, text);
        return;
    }
    rmq_debug("producer: message %llu attempt %d failed (%s); retrying", (unsigned long long)m->id,
              m->attempts, why);
    m->due_us = rmq_mono_us() + p->o.retry_backoff_ms * 1000 * m->attempts;
    push(&p->later, m);
    arm_retry(p);
}

static bool retryable_code(int code)
{
    if (code == RMQ_RESP_HEADER_FIELD_MISSING || code == RMQ_RESP_HEADER_FIELD_INVALID)
        return false;   /* our request is wrong: the same bytes would fail again */
    switch (rmq_response_compat(code)) {
    case RMQ_RESP_SYSTEM_ERROR:
    case RMQ_RESP_SYSTEM_BUSY:
    case RMQ_RESP_SERVICE_NOT_AVAILABLE:
    case RMQ_RESP_NO_PERMISSION:
    case RMQ_RESP_TOPIC_NOT_EXIST:
    case RMQ_RESP_NO_BUYER_ID:
    case RMQ_RESP_NOT_IN_CURRENT_UNIT:
    case RMQ_RESP_GO_AWAY:
        return true;
    default:
        return false;
    }
}

static void on_reply(void *ctx, int status, const struct rmq_cmd *resp, const char *why)
{
    struct pmsg *m = ctx;
    struct rmq_producer *p = m->p;
    unlink_msg(&p->flying, m);
    p->inflight--;
    int64_t now = rmq_mono_us();
    rmq_fault_update(&p->faults, m->mq.broker, (now - m->sent_us) / 1000, status == 0, now / 1000);
    if (status) {
        char text[RMQ_ERRLEN];
        snprintf(text, sizeof text, "broker %s: %s", m->mq.broker, why ? why : rmq_strerror(status));
        rmq_qset_refresh_soon(p->qs);
        attempt_failed(m, status, text, true);
        pump(p);
        return;
    }
    enum rmq_send_status st;
    switch (resp->code) {
    case RMQ_RESP_SUCCESS: st = RMQ_SEND_OK; break;
    case RMQ_RESP_FLUSH_DISK_TIMEOUT: st = RMQ_SEND_FLUSH_DISK_TIMEOUT; break;
    case RMQ_RESP_FLUSH_SLAVE_TIMEOUT: st = RMQ_SEND_FLUSH_SLAVE_TIMEOUT; break;
    case RMQ_RESP_SLAVE_NOT_AVAILABLE: st = RMQ_SEND_SLAVE_NOT_AVAILABLE; break;
    default: {
        char text[RMQ_ERRLEN], refusal[RMQ_ERRLEN];
        rmq_rpc_expect(resp, NULL, 0, refusal);
        snprintf(text, sizeof text, "broker %s refused: %s", m->mq.broker, refusal);
        attempt_failed(m, resp->code, text, retryable_code(resp->code));
        pump(p);
        return;
    }
    }
    int64_t qid = m->mq.qid, qoff = -1;
    rmq_cmd_ext_int(resp, "queueId", INT32_MIN, INT32_MAX, &qid, NULL);
    rmq_cmd_ext_int(resp, "queueOffset", INT64_MIN, INT64_MAX, &qoff, NULL);
    const char *off_id = rmq_cmd_ext(resp, "msgId");
    struct rmq_send_result r = {
        .status = st, .msg_id = m->uniq, .offset_msg_id = off_id ? off_id : "", .broker = m->mq.broker,
        .queue_id = (int32_t)qid, .queue_offset = qoff, .attempts = m->attempts,
    };
    report(m, &r);
    pump(p);
}

/* Sends one attempt of m, to its sharding key's queue, or else to the queue fault.h picks
 * (another broker than the last attempt's when there is one). */
static void transmit(struct rmq_producer *p, struct pmsg *m)
{
    size_t n = rmq_qset_count(p->qs);
    if (n == 0) {
        final_failure(m, RMQ_ENOTFOUND, "no writable queue");
        return;
    }
    char last[RMQ_NAME_MAX];
    snprintf(last, sizeof last, "%s", m->mq.broker);
    const struct rmq_mq *qv = rmq_qset_queues(p->qs);
    m->sent_us = rmq_mono_us();
    if (m->sharded)
        m->mq = qv[rmq_queue_by_hash(m->shard_hash, n)];
    else
        m->mq = qv[rmq_fault_pick(&p->faults, qv, n, &p->next_queue, *last ? last : NULL, m->sent_us / 1000)];
    struct rmq_rpc *rpc = rmq_qset_rpc(p->qs, m->mq.broker);
    if (!rpc) {
        m->attempts++;
        attempt_failed(m, RMQ_ENOTFOUND, "no address known for the broker", true);
        return;
    }
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_SEND_MESSAGE_V2, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "a", p->group);
    rmq_cmd_set_ext(&req, "b", p->topic);
    rmq_cmd_set_ext(&req, "c", "TBW102");
    rmq_cmd_set_ext_int(&req, "d", RMQ_DEFAULT_TOPIC_QUEUE_NUMS);
    rmq_cmd_set_ext_int(&req, "e", m->mq.qid);
    rmq_cmd_set_ext_int(&req, "f", m->sys_flag);
    rmq_cmd_set_ext_int(&req, "g", m->born_ts);
    rmq_cmd_set_ext_int(&req, "h", m->flag);
    rmq_cmd_set_extn(&req, "i", 1, m->props, m->props_len);
    rmq_cmd_set_ext_int(&req, "j", 0);
    rmq_cmd_set_ext_bool(&req, "k", false);
    rmq_cmd_set_ext_bool(&req, "m", false);
    req.body = m->body;
    req.body_len = m->body_len;
    m->attempts++;
    m->call.cb = on_reply;
    m->call.ctx = m;
    char err[RMQ_ERRLEN];
    int rc = rmq_rpc_call(rpc, &req, p->o.timeout_ms, &m->call, err);
    rmq_cmd_free(&req);
    if (rc) {
        rmq_fault_update(&p->faults, m->mq.broker, 0, false, m->sent_us / 1000);
        attempt_failed(m, rc, err, rc != RMQ_EINVAL);
        return;
    }
    push(&p->flying, m);
    p->inflight++;
}

static void pump(struct rmq_producer *p)
{
    if (p->pumping)
        return;
    p->pumping = true;
    while (p->ready.head && p->inflight < (size_t)p->o.window) {
        struct pmsg *m = p->ready.head;
        unlink_msg(&p->ready, m);
        transmit(p, m);
    }
    p->pumping = false;
}

static void arm_retry(struct rmq_producer *p)
{
    if (!p->later.head) {
        ev_timer_stop(p->loop, &p->retry_timer);
        return;
    }
    int64_t first = p->later.head->due_us;
    for (struct pmsg *m = p->later.head; m; m = m->next)
        if (m->due_us < first)
            first = m->due_us;
    int64_t wait = first - rmq_mono_us();
    ev_timer_stop(p->loop, &p->retry_timer);
    ev_timer_set(&p->retry_timer, wait > 0 ? (double)wait / 1e6 : 0., 0.);
    ev_timer_start(p->loop, &p->retry_timer);
}

static void on_retry_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rmq_producer *p = w->data;
    int64_t now = rmq_mono_us();
    for (struct pmsg *m = p->later.head, *next; m; m = next) {
        next = m->next;
        if (m->due_us <= now) {
            unlink_msg(&p->later, m);
            push(&p->ready, m);
        }
    }
    arm_retry(p);
    pump(p);
}

struct rmq_producer *rmq_producer_new(struct rmq_qset *qs, const struct rmq_producer_opts *o)
{
    struct rmq_producer *p = calloc(1, sizeof *p);
    if (!p)
        rmq_panic("out of memory");
    p->qs = qs;
    p->loop = rmq_qset_loop(qs);
    p->o = *o;
    p->group = strdup(o->group ? o->group : "rmq_producer");
    p->topic = strdup(o->topic);
    if (!p->group || !p->topic)
        rmq_panic("out of memory");
    if (p->o.window <= 0)
        p->o.window = 256;
    if (p->o.retries < 0)
        p->o.retries = 2;
    if (p->o.timeout_ms <= 0)
        p->o.timeout_ms = RMQ_RPC_TIMEOUT_MS;
    if (p->o.retry_backoff_ms <= 0)
        p->o.retry_backoff_ms = 100;
    if (p->o.compress_over == 0)
        p->o.compress_over = RMQ_COMPRESS_OVER;
    ev_timer_init(&p->retry_timer, on_retry_timer, 0., 0.);
    p->retry_timer.data = p;
    rmq_uniq_init_local(&p->uniq);
    /* start at a random queue, as Java's ThreadLocalIndex does, so that many short-lived
     * producers do not all fill queue 0 */
    p->next_queue = (unsigned)(rmq_mono_us() ^ (p->uniq.fixed[19] * 7919));
    return p;
}

/* The encoded properties of m (plus UNIQ_KEY uniq) into b. */
static int build_props(struct rmq_buf *b, const struct rmq_message *m, const char *uniq, char *err)
{
    int rc;
    if (m->keys && (rc = rmq_props_check(RMQ_PROP_KEYS, m->keys, strlen(m->keys), false, err)))
        return rc;
    if (m->tags && (rc = rmq_props_check(RMQ_PROP_TAGS, m->tags, strlen(m->tags), false, err)))
        return rc;
    if (m->keys && *m->keys)
        rmq_props_add(b, RMQ_PROP_KEYS, m->keys, strlen(m->keys));
    if (m->tags && *m->tags)
        rmq_props_add(b, RMQ_PROP_TAGS, m->tags, strlen(m->tags));
    rmq_props_add(b, RMQ_PROP_WAIT, "true", 4);
    if (m->delay_level > 0) {
        char lv[16];
        int n = snprintf(lv, sizeof lv, "%d", m->delay_level);
        rmq_props_add(b, RMQ_PROP_DELAY, lv, (size_t)n);
    }
    if (m->props_len) {
        rmq_buf_add(b, "\002", 1);
        rmq_buf_add(b, m->props, m->props_len);
    }
    rmq_props_add(b, RMQ_PROP_UNIQ_KEY, uniq, RMQ_UNIQ_LEN);
    if (b->len > RMQ_MAX_PROPS_LEN)
        return rmq_seterr(err, RMQ_ETOOBIG, "properties of %zu bytes are over RocketMQ's limit of %d",
                          b->len, RMQ_MAX_PROPS_LEN);
    return 0;
}

int rmq_producer_send(struct rmq_producer *p, const struct rmq_message *msg, uint64_t id, char *err)
{
    struct pmsg *m = calloc(1, sizeof *m);
    if (!m)
        rmq_panic("out of memory");
    m->p = p;
    m->id = id;
    m->flag = msg->flag;
    if (msg->sharding_key) {
        m->sharded = true;
        m->shard_hash = rmq_java_hash(msg->sharding_key, msg->sharding_key_len);
    }
    m->born_ts = rmq_now_ms();
    rmq_uniq_next(&p->uniq, m->born_ts, m->uniq);
    struct rmq_buf b = {0};
    int rc = build_props(&b, msg, m->uniq, err);
    if (rc) {
        rmq_buf_free(&b);
        free(m);
        return rc;
    }
    m->props = (char *)b.data;
    m->props_len = b.len;

    struct rmq_buf body = {0};
    if (msg->body_len > p->o.compress_over && rmq_lz4_compress(msg->body, msg->body_len, &body, NULL) == 0 &&
        body.len < msg->body_len) {
        m->sys_flag |= RMQ_SYSFLAG_LZ4;
    } else {
        rmq_buf_reset(&body);
        rmq_buf_add(&body, msg->body, msg->body_len);
    }
    m->body = body.data;
    m->body_len = body.len;
    if (m->body_len > RMQ_FRAME_MAX_DEFAULT - FRAME_SLACK) {
        rc = rmq_seterr(err, RMQ_ETOOBIG, "body of %zu bytes%s is over the %u bytes a request can carry",
                        m->body_len, m->sys_flag ? " (compressed)" : "", RMQ_FRAME_MAX_DEFAULT - FRAME_SLACK);
        free_msg(m);
        return rc;
    }
    p->outstanding++;
    push(&p->ready, m);
    pump(p);
    return 0;
}

size_t rmq_producer_outstanding(const struct rmq_producer *p) { return p->outstanding; }
int rmq_producer_window(const struct rmq_producer *p) { return p->o.window; }

static void drop_all(struct list *l, bool cancel)
{
    while (l->head) {
        struct pmsg *m = l->head;
        unlink_msg(l, m);
        if (cancel)
            rmq_rpc_cancel(&m->call);
        free_msg(m);
    }
}

void rmq_producer_free(struct rmq_producer *p)
{
    if (!p)
        return;
    ev_timer_stop(p->loop, &p->retry_timer);
    drop_all(&p->ready, false);
    drop_all(&p->later, false);
    drop_all(&p->flying, true);
    rmq_faults_free(&p->faults);
    free(p->group);
    free(p->topic);
    free(p);
}
