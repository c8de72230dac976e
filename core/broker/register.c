/*
 * register.c — REGISTER_BROKER / UNREGISTER_BROKER to every name server (register.h).
 */
#include "broker/broker_int.h"
#include "broker/register.h"

#include "client/rpc.h"
#include "net/addr.h"
#include "proto/body.h"
#include "proto/codes.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define UNREGISTER_WAIT 3.0   /* seconds a clean stop waits for the name servers' answers */

struct rmq_ns_link {
    struct rmq_broker *b;
    struct rmq_rpc *rpc;
    struct rmq_rpc_call call;    /* the registration in flight */
    struct rmq_rpc_call unreg;
    bool busy, again;
    int state;                   /* 0 not tried yet, 1 registered, -1 failing */
};

int rmq_register_open(struct rmq_broker *b, char *err)
{
    struct rmq_registrar *r = &b->reg;
    r->b = b;
    const char *list = b->conf->broker.namesrv_addr;
    if (!list || !*list)
        return 0;
    struct rmq_addr *v;
    size_t n;
    int rc = rmq_addr_list_parse(list, &v, &n, err);
    if (rc)
        return rc;
    r->links = calloc(n, sizeof *r->links);
    if (!r->links) {
        free(v);
        return rmq_seterr(err, -ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        r->links[i].b = b;
        r->links[i].rpc = rmq_rpc_new(b->loop, &v[i]);
        r->links[i].call.ctx = r->links[i].unreg.ctx = &r->links[i];
    }
    r->n = n;
    free(v);
    r->sent_counter = -1;
    return 0;
}

/* The header fields both requests carry. */
static void identify(struct rmq_broker *b, struct rmq_cmd *req)
{
    const struct rmq_conf *c = b->conf;
    char addr[RMQ_ADDR_TEXTLEN];
    snprintf(addr, sizeof addr, "%s:%d", c->broker.ip1, c->net.listen_port);
    rmq_cmd_set_ext(req, "brokerName", c->broker.name);
    rmq_cmd_set_ext(req, "brokerAddr", addr);
    rmq_cmd_set_ext(req, "clusterName", c->broker.cluster_name);
    rmq_cmd_set_ext_int(req, "brokerId", c->broker.id < 0 ? 0 : c->broker.id);
}

static void set_state(struct rmq_ns_link *l, int state, const char *why)
{
    if (state == l->state)
        return;
    if (state > 0)
        rmq_info("broker: registered with name server %s", rmq_rpc_peer(l->rpc));
    else
        rmq_warn("broker: cannot register with name server %s: %s (retrying every %d s)", rmq_rpc_peer(l->rpc), why,
                 l->b->conf->broker.register_period_ms / 1000);
    l->state = state;
}

static void send_register(struct rmq_ns_link *l);

static void on_registered(void *ctx, int status, const struct rmq_cmd *resp, const char *why)
{
    struct rmq_ns_link *l = ctx;
    char err[RMQ_ERRLEN];
    l->busy = false;
    if (status < 0)
        set_state(l, -1, why);
    else if (rmq_rpc_expect(resp, NULL, 0, err))
        set_state(l, -1, err);
    else
        set_state(l, 1, NULL);
    if (l->again && !l->b->reg.stopping) {
        l->again = false;
        send_register(l);
    }
}

static void send_register(struct rmq_ns_link *l)
{
    struct rmq_broker *b = l->b;
    const struct rmq_conf *c = b->conf;
    if (l->busy) {
        l->again = true;
        return;
    }
    struct rmq_buf body = {0};
    rmq_register_body_open(&body, rmq_topic_table_version(b->topics.table));
    int perm = c->broker.permission, mask = (perm & RMQ_PERM_READ) && (perm & RMQ_PERM_WRITE) ? 7 : perm;
    size_t n = rmq_topic_table_count(b->topics.table);
    for (size_t i = 0; i < n; i++)
        rmq_register_body_topic(&body, rmq_topic_table_at(b->topics.table, i), mask);
    rmq_register_body_close(&body);

    struct rmq_cmd req;
    char ha[RMQ_ADDR_TEXTLEN], err[RMQ_ERRLEN];
    rmq_cmd_init_request(&req, RMQ_REQ_REGISTER_BROKER, RMQ_SER_ROCKETMQ);
    identify(b, &req);
    snprintf(ha, sizeof ha, "%s:%d", c->broker.ip2, c->ha.listen_port);
    rmq_cmd_set_ext(&req, "haServerAddr", ha);
    rmq_cmd_set_ext_bool(&req, "compressed", false);
    rmq_cmd_set_ext_int(&req, "bodyCrc32", rmq_body_crc(body.data, body.len));
    req.body = body.data;
    req.body_len = body.len;
    l->call.cb = on_registered;
    if (rmq_rpc_call(l->rpc, &req, c->broker.register_timeout_ms, &l->call, err) == 0)
        l->busy = true;
    else
        set_state(l, -1, err);
    rmq_cmd_free(&req);
    rmq_buf_free(&body);
}

void rmq_register_all(struct rmq_broker *b)
{
    struct rmq_registrar *r = &b->reg;
    const struct rmq_data_version *v = rmq_topic_table_version(b->topics.table);
    r->sent_counter = v->counter;
    r->sent_ts = v->timestamp;
    r->next_ms = rmq_now_ms() + b->conf->broker.register_period_ms;
    for (size_t i = 0; i < r->n && !r->stopping; i++)
        send_register(&r->links[i]);
}

void rmq_register_tick(struct rmq_broker *b, int64_t now_ms)
{
    struct rmq_registrar *r = &b->reg;
    if (!r->n || r->stopping)
        return;
    const struct rmq_data_version *v = rmq_topic_table_version(b->topics.table);
    if (now_ms >= r->next_ms || v->counter != r->sent_counter || v->timestamp != r->sent_ts)
        rmq_register_all(b);
}

static void stop_done(struct rmq_registrar *r)
{
    ev_timer_stop(r->b->loop, &r->unreg_timeout);
    void (*done)(struct rmq_broker *) = r->stopped;
    r->stopped = NULL;
    if (done)
        done(r->b);
}

static void on_unregistered(void *ctx, int status, const struct rmq_cmd *resp, const char *why)
{
    struct rmq_ns_link *l = ctx;
    struct rmq_registrar *r = &l->b->reg;
    char err[RMQ_ERRLEN];
    if (status < 0)
        rmq_warn("broker: cannot unregister from name server %s: %s", rmq_rpc_peer(l->rpc), why);
    else if (rmq_rpc_expect(resp, NULL, 0, err))
        rmq_warn("broker: name server %s refused to unregister us: %s", rmq_rpc_peer(l->rpc), err);
    else
        rmq_info("broker: unregistered from name server %s", rmq_rpc_peer(l->rpc));
    if (--r->unreg_pending == 0)
        stop_done(r);
}

static void on_unreg_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rmq_registrar *r = w->data;
    rmq_warn("broker: %zu name server%s did not answer UNREGISTER_BROKER within %.0f s", r->unreg_pending,
             r->unreg_pending == 1 ? "" : "s", UNREGISTER_WAIT);
    for (size_t i = 0; i < r->n; i++)
        rmq_rpc_cancel(&r->links[i].unreg);
    r->unreg_pending = 0;
    stop_done(r);
}

void rmq_register_stop(struct rmq_broker *b, void (*done)(struct rmq_broker *b))
{
    struct rmq_registrar *r = &b->reg;
    r->stopping = true;
    r->stopped = done;
    ev_timer_init(&r->unreg_timeout, on_unreg_timeout, UNREGISTER_WAIT, 0);
    r->unreg_timeout.data = r;
    for (size_t i = 0; i < r->n; i++) {
        struct rmq_ns_link *l = &r->links[i];
        rmq_rpc_cancel(&l->call);
        l->busy = l->again = false;
        if (l->state < 0)
            continue;   /* it is not answering anyway; do not wait for it */
        struct rmq_cmd req;
        char err[RMQ_ERRLEN];
        rmq_cmd_init_request(&req, RMQ_REQ_UNREGISTER_BROKER, RMQ_SER_ROCKETMQ);
        identify(b, &req);
        l->unreg.cb = on_unregistered;
        if (rmq_rpc_call(l->rpc, &req, (int64_t)(UNREGISTER_WAIT * 1000), &l->unreg, err) == 0)
            r->unreg_pending++;
        rmq_cmd_free(&req);
    }
    if (r->unreg_pending == 0)
        stop_done(r);
    else
        ev_timer_start(b->loop, &r->unreg_timeout);
}

void rmq_register_close(struct rmq_broker *b)
{
    struct rmq_registrar *r = &b->reg;
    for (size_t i = 0; i < r->n; i++) {
        rmq_rpc_cancel(&r->links[i].call);
        rmq_rpc_cancel(&r->links[i].unreg);
        rmq_rpc_free(r->links[i].rpc);
    }
    free(r->links);
    r->links = NULL;
    r->n = 0;
}
