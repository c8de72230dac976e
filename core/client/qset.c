/*
 * qset.c — a topic's queues over its brokers, from the name servers or one broker.
 */
#include "client/qset.h"

#include "client/admin.h"
#include "client/admin_tools.h"
#include "proto/codes.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SOON_MIN_MS 1000

struct qbroker {
    char name[RMQ_NAME_MAX];
    char addr[RMQ_ADDR_TEXTLEN];
    struct rmq_rpc *rpc;
};

struct rmq_qset {
    struct ev_loop *loop;
    struct rmq_ns *ns;            /* NULL: direct */
    char *topic;
    enum rmq_qset_use use;
    struct rmq_mq *mqs;
    size_t n;
    struct qbroker *brokers;
    size_t nb;
    /* rpcs of brokers that moved: retired, freed outside waits (a waiting call or its
     * caller may hold one; rpc.h rmq_rpc_waiting) */
    struct rmq_rpc **retired;
    size_t nretired;
    bool from_default;
    /* refresh */
    bool watching;
    int64_t refresh_ms;           /* RMQ_QSET_REFRESH_MS, or $RMQ_QSET_REFRESH_MS (tests) */
    ev_timer timer;
    struct rmq_ns_op op;
    int64_t last_us;
    void (*on_change)(void *arg);
    void *arg;
    rmq_rpc_request_fn on_request;   /* set on every broker's rpc, present and future */
    void *request_arg;
};

static struct rmq_qset *qset_new(struct ev_loop *loop, const char *topic, enum rmq_qset_use use)
{
    struct rmq_qset *qs = calloc(1, sizeof *qs);
    if (!qs || !(qs->topic = strdup(topic)))
        rmq_panic("out of memory");
    qs->loop = loop;
    qs->use = use;
    return qs;
}

struct rmq_qset *rmq_qset_new_ns(struct rmq_ns *ns, const char *topic, enum rmq_qset_use use)
{
    struct rmq_qset *qs = qset_new(rmq_ns_loop(ns), topic, use);
    qs->ns = ns;
    return qs;
}

/* Takes rpc out of use: its pending calls fail with RMQ_ECLOSED now, and it is freed by
 * free_retired. This may run inside a wait on that very rpc (a route refresh from a
 * nested loop), so it must not be freed here. */
static void retire(struct rmq_qset *qs, struct rmq_rpc *rpc, const char *why)
{
    struct rmq_rpc **v = realloc(qs->retired, (qs->nretired + 1) * sizeof *v);
    if (!v)
        rmq_panic("out of memory");
    qs->retired = v;
    qs->retired[qs->nretired++] = rpc;
    rmq_rpc_retire(rpc, why);
}

static void free_retired(struct rmq_qset *qs)
{
    for (size_t i = 0; i < qs->nretired; i++)
        rmq_rpc_free(qs->retired[i]);
    free(qs->retired);
    qs->retired = NULL;
    qs->nretired = 0;
}

/* The broker entry called name with master addr (made, or its rpc replaced when the
 * address changed). */
static void set_broker(struct rmq_qset *qs, const char *name, const char *addr_text, const struct rmq_addr *addr)
{
    struct qbroker *b = NULL;
    for (size_t i = 0; i < qs->nb; i++)
        if (strcmp(qs->brokers[i].name, name) == 0)
            b = &qs->brokers[i];
    if (b && strcmp(b->addr, addr_text) == 0)
        return;
    struct rmq_rpc *old = b ? b->rpc : NULL;
    if (!b) {
        qs->brokers = realloc(qs->brokers, (qs->nb + 1) * sizeof *qs->brokers);
        if (!qs->brokers)
            rmq_panic("out of memory");
        b = &qs->brokers[qs->nb++];
        memset(b, 0, sizeof *b);
        snprintf(b->name, sizeof b->name, "%s", name);
    } else {
        rmq_info("broker %s moved from %s to %s", name, b->addr, addr_text);
    }
    snprintf(b->addr, sizeof b->addr, "%s", addr_text);
    b->rpc = rmq_rpc_new(qs->loop, addr);
    if (qs->on_request)
        rmq_rpc_on_request(b->rpc, qs->on_request, qs->request_arg);
    if (old) {   /* last: the callbacks of its failing calls find the new rpc by name */
        char why[RMQ_ERRLEN];
        snprintf(why, sizeof why, "broker %s moved to %s", name, addr_text);
        retire(qs, old, why);
    }
}

void rmq_qset_on_request(struct rmq_qset *qs, rmq_rpc_request_fn fn, void *arg)
{
    qs->on_request = fn;
    qs->request_arg = arg;
    for (size_t i = 0; i < qs->nb; i++)
        rmq_rpc_on_request(qs->brokers[i].rpc, fn, arg);
}

struct rmq_qset *rmq_qset_new_direct(struct ev_loop *loop, const struct rmq_addr *addr, const char *topic,
                                     enum rmq_qset_use use)
{
    struct rmq_qset *qs = qset_new(loop, topic, use);
    char text[RMQ_ADDR_TEXTLEN];
    rmq_addr_format(addr, text, sizeof text);
    set_broker(qs, text, text, addr);
    return qs;
}

void rmq_qset_free(struct rmq_qset *qs)
{
    if (!qs)
        return;
    if (qs->watching)
        ev_timer_stop(qs->loop, &qs->timer);
    rmq_ns_op_cancel(&qs->op);
    for (size_t i = 0; i < qs->nb; i++)
        rmq_rpc_free(qs->brokers[i].rpc);
    free_retired(qs);
    free(qs->brokers);
    free(qs->mqs);
    free(qs->topic);
    free(qs);
}

size_t rmq_qset_count(const struct rmq_qset *qs) { return qs->n; }
const struct rmq_mq *rmq_qset_queues(const struct rmq_qset *qs) { return qs->mqs; }
bool rmq_qset_from_default(const struct rmq_qset *qs) { return qs->from_default; }
struct ev_loop *rmq_qset_loop(const struct rmq_qset *qs) { return qs->loop; }
const char *rmq_qset_topic(const struct rmq_qset *qs) { return qs->topic; }

size_t rmq_qset_brokers(const struct rmq_qset *qs, const char **names, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < qs->n; i++) {
        if (k > 0 && strcmp(names[k - 1], qs->mqs[i].broker) == 0)
            continue;   /* the queues are sorted by broker name */
        if (k == max)
            return k;
        names[k++] = qs->mqs[i].broker;
    }
    return k;
}

struct rmq_rpc *rmq_qset_rpc(struct rmq_qset *qs, const char *broker)
{
    for (size_t i = 0; i < qs->nb; i++)
        if (strcmp(qs->brokers[i].name, broker) == 0)
            return qs->brokers[i].rpc;
    return NULL;
}

/* Replaces the queue list (takes mqs); true when it differs from the old one. */
static bool set_queues(struct rmq_qset *qs, struct rmq_mq *mqs, size_t n)
{
    bool changed = n != qs->n || (n && memcmp(mqs, qs->mqs, n * sizeof *mqs) != 0);
    free(qs->mqs);
    qs->mqs = mqs;
    qs->n = n;
    return changed;
}

/* The queues of route r (def: it is TBW102's), with its brokers' masters known. */
static int from_route(struct rmq_qset *qs, const struct rmq_topic_route *r, bool def, struct rmq_mq **mqs, size_t *n,
                      char *err)
{
    if (qs->use == RMQ_QSET_PUBLISH)
        rmq_route_write_queues(r, def ? RMQ_DEFAULT_TOPIC_QUEUE_NUMS : 0, mqs, n);
    else
        rmq_route_read_queues(r, mqs, n);
    if (*n == 0) {
        char brokers[512] = "";
        size_t off = 0;
        for (size_t i = 0; i < r->nqueues && off < sizeof brokers; i++) {
            char p[4];
            snprintf(p, sizeof p, "%c%c%c", r->queues[i].perm & 4 ? 'R' : '-', r->queues[i].perm & 2 ? 'W' : '-',
                     r->queues[i].perm & 1 ? 'X' : '-');
            off += (size_t)snprintf(brokers + off, sizeof brokers - off, "%s%s %s, %d/%d queues%s", i ? "; " : "",
                                    r->queues[i].broker_name, p, r->queues[i].read_queue_nums, r->queues[i].write_queue_nums,
                                    *rmq_route_master(rmq_topic_route_broker(r, r->queues[i].broker_name)) ? "" : ", no master");
        }
        free(*mqs);
        *mqs = NULL;
        return rmq_seterr(err, RMQ_ENOTFOUND, "topic '%s'%s has no %s queue (%s)", qs->topic,
                          def ? " (auto-created from TBW102)" : "",
                          qs->use == RMQ_QSET_PUBLISH ? "writable" : "readable", *brokers ? brokers : "no brokers");
    }
    for (size_t i = 0; i < r->nbrokers; i++) {
        const char *m = rmq_route_master(&r->brokers[i]);
        struct rmq_addr a;
        if (!*m)
            continue;
        if (rmq_addr_parse(m, &a, NULL)) {
            rmq_warn("broker %s: master address '%s' does not parse; skipped", r->brokers[i].broker_name, m);
            continue;
        }
        set_broker(qs, r->brokers[i].broker_name, m, &a);
    }
    return 0;
}

static int load_ns(struct rmq_qset *qs, char *err)
{
    struct rmq_topic_route r;
    struct rmq_mq *mqs;
    size_t n;
    bool def = false;
    int rc = rmq_ns_route_wait(qs->ns, qs->topic, &r, err);
    if (rc == RMQ_RESP_TOPIC_NOT_EXIST && qs->use == RMQ_QSET_PUBLISH) {
        char err2[RMQ_ERRLEN];
        rc = rmq_ns_route_wait(qs->ns, RMQ_TBW102, &r, err2);
        if (rc == RMQ_RESP_TOPIC_NOT_EXIST)
            return rmq_seterr(err, rc, "topic '%s' unknown to the name servers (%s), and no broker offers "
                              "auto-creation (TBW102 unknown too)", qs->topic, rmq_ns_text(qs->ns));
        if (rc)
            return rmq_seterr(err, rc, "%s", err2);
        def = true;
    }
    if (rc)
        return rc;
    rc = from_route(qs, &r, def, &mqs, &n, err);
    rmq_topic_route_free(&r);
    if (rc)
        return rc;
    set_queues(qs, mqs, n);
    qs->from_default = def;
    return 0;
}

/* A direct subscribe set names its broker as the broker names itself (its topic stats say),
 * as a route would: consumers of one group that reach the broker by different addresses
 * (unix:/…, 127.0.0.1:…) then see the same queues, and locally kept offsets are filed
 * under the broker's name. The address stays the name when the broker does not say. */
static void learn_name(struct rmq_qset *qs, struct qbroker *b)
{
    struct rmq_queue_stat *rows = NULL;
    size_t n = 0;
    char err[RMQ_ERRLEN];
    if (rmq_admin_tools_topic_stats(b->rpc, qs->topic, &rows, &n, err) == 0 && n > 0 && rows[0].broker[0])
        snprintf(b->name, sizeof b->name, "%s", rows[0].broker);
    free(rows);
}

static int load_direct(struct rmq_qset *qs, char *err)
{
    struct qbroker *b = &qs->brokers[0];
    struct rmq_topic_info ti, tbw;
    int count, perm = 6;
    int rc = rmq_admin_topic(b->rpc, qs->topic, &ti, &tbw, err);
    qs->from_default = false;
    if (rc == 0) {
        count = qs->use == RMQ_QSET_PUBLISH ? ti.write_queues : ti.read_queues;
        perm = ti.perm;
    } else if (rc == RMQ_RESP_TOPIC_NOT_EXIST && qs->use == RMQ_QSET_PUBLISH) {
        /* the broker creates it on the first send, with at most 4 queues */
        count = tbw.write_queues > 0 && tbw.write_queues < RMQ_DEFAULT_TOPIC_QUEUE_NUMS ? tbw.write_queues
                                                                                    : RMQ_DEFAULT_TOPIC_QUEUE_NUMS;
        qs->from_default = true;
    } else if (rc > 0 && rc != RMQ_RESP_TOPIC_NOT_EXIST && qs->use == RMQ_QSET_PUBLISH) {
        count = RMQ_DEFAULT_TOPIC_QUEUE_NUMS;   /* a broker that does not list topics */
    } else {
        return rc;
    }
    if (qs->use == RMQ_QSET_SUBSCRIBE)
        learn_name(qs, b);
    if (count < 1)
        return rmq_seterr(err, RMQ_ENOTFOUND, "topic '%s' has no %s queues on %s", qs->topic,
                          qs->use == RMQ_QSET_PUBLISH ? "write" : "read", b->name);
    struct rmq_mq *mqs = calloc((size_t)count, sizeof *mqs);
    if (!mqs)
        rmq_panic("out of memory");
    for (int i = 0; i < count; i++) {
        snprintf(mqs[i].broker, sizeof mqs[i].broker, "%s", b->name);
        mqs[i].qid = i;
        mqs[i].perm = perm;
    }
    set_queues(qs, mqs, (size_t)count);
    return 0;
}

int rmq_qset_load(struct rmq_qset *qs, char *err)
{
    qs->last_us = rmq_mono_us();
    return qs->ns ? load_ns(qs, err) : load_direct(qs, err);
}

/* ---- periodic refresh ---- */

static void arm(struct rmq_qset *qs, int64_t ms)
{
    ev_timer_stop(qs->loop, &qs->timer);
    ev_timer_set(&qs->timer, (double)ms / 1000., 0.);
    ev_timer_start(qs->loop, &qs->timer);
}

static void on_route(void *arg, int rc, const struct rmq_topic_route *r, const char *err)
{
    struct rmq_qset *qs = arg;
    arm(qs, qs->refresh_ms);
    if (rc) {
        /* a topic still waiting for auto-creation is not an error; the rest is kept quiet
         * too (debug): the last list stays and sends say what fails */
        rmq_debug("route of %s not refreshed: %s", qs->topic, err);
        return;
    }
    struct rmq_mq *mqs;
    size_t n;
    char why[RMQ_ERRLEN];
    if (from_route(qs, r, false, &mqs, &n, why)) {
        rmq_debug("route of %s not used: %s", qs->topic, why);
        return;
    }
    bool was_default = qs->from_default;
    qs->from_default = false;
    if (set_queues(qs, mqs, n) || was_default) {
        rmq_debug("route of %s changed: %zu queues", qs->topic, n);
        if (qs->on_change)
            qs->on_change(qs->arg);
    }
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rmq_qset *qs = w->data;
    if (!rmq_rpc_waiting())   /* else nobody can say who holds them: a later tick */
        free_retired(qs);
    qs->last_us = rmq_mono_us();
    if (!rmq_ns_route_async(qs->ns, qs->topic, &qs->op, on_route, qs))
        arm(qs, qs->refresh_ms);
}

void rmq_qset_watch(struct rmq_qset *qs, void (*on_change)(void *arg), void *arg)
{
    qs->on_change = on_change;
    qs->arg = arg;
    if (!qs->ns || qs->watching)
        return;
    qs->watching = true;
    const char *env = getenv("RMQ_QSET_REFRESH_MS");
    qs->refresh_ms = env && atoll(env) > 0 ? atoll(env) : RMQ_QSET_REFRESH_MS;
    ev_timer_init(&qs->timer, on_timer, 0., 0.);
    qs->timer.data = qs;
    arm(qs, qs->refresh_ms);
}

void rmq_qset_refresh_soon(struct rmq_qset *qs)
{
    if (!qs->watching || qs->op.busy_)
        return;
    int64_t since = (rmq_mono_us() - qs->last_us) / 1000;
    int64_t wait = since >= SOON_MIN_MS ? 0 : SOON_MIN_MS - since;
    double remaining = ev_timer_remaining(qs->loop, &qs->timer);
    if (ev_is_active(&qs->timer) && remaining * 1000. <= (double)wait)
        return;
    arm(qs, wait);
}
