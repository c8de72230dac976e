/* Unit tests for core/client/qset.h against fake servers: a broker that moves to a new
 * address while a call to its old one is being waited for (the route refresh runs inside
 * that wait) retires the old rpc instead of freeing it under the waiter. Under `make san`
 * the old behaviour is a heap-use-after-free in rmq_rpc_call_wait. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "client/nsclient.h"
#include "client/qset.h"
#include "client/rpc.h"
#include "net/server.h"
#include "proto/codes.h"
#include "proto/remoting.h"
#include "util/buf.h"
#include "util/err.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fake server: a name server answers every request with a route naming broker-a at
 * route_addr; a broker answers SUCCESS, or nothing when silent. */
struct fake {
    struct rmq_server *srv;
    struct rmq_addr addr;
    char text[RMQ_ADDR_TEXTLEN];
    bool namesrv, silent;
    const char *route_addr;
    int requests;
};

static void reply(struct rmq_conn *c, const struct rmq_cmd *req, const char *body)
{
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, RMQ_RESP_SUCCESS, NULL);
    if (body) {
        resp.body = (const uint8_t *)body;
        resp.body_len = strlen(body);
    }
    struct rmq_buf out = {0};
    assert_int_equal(rmq_cmd_encode(&resp, &out), 0);
    rmq_conn_send(c, out.data, out.len);
    rmq_buf_free(&out);
    resp.body = NULL;
    rmq_cmd_free(&resp);
}

static void fake_frame(void *arg, struct rmq_conn *c, const uint8_t *frame, size_t len)
{
    struct fake *f = arg;
    struct rmq_cmd req = {0};
    assert_int_equal(rmq_cmd_decode(frame, len, &req, NULL), 0);
    f->requests++;
    if (f->namesrv) {
        char body[512];
        snprintf(body, sizeof body,
                 "{\"brokerDatas\":[{\"brokerAddrs\":{\"0\":\"%s\"},\"brokerName\":\"broker-a\",\"cluster\":\"c\"}],"
                 "\"queueDatas\":[{\"brokerName\":\"broker-a\",\"perm\":6,\"readQueueNums\":2,\"topicSysFlag\":0,"
                 "\"writeQueueNums\":2}]}",
                 f->route_addr);
        reply(c, &req, body);
    } else if (!f->silent) {
        reply(c, &req, NULL);
    }
    rmq_cmd_free(&req);
}

static void fake_start(struct ev_loop *loop, struct fake *f)
{
    struct rmq_server_opts so = {.on_frame = fake_frame, .arg = f};
    f->srv = rmq_server_new(loop, &so);
    struct rmq_addr a;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_addr_parse("127.0.0.1:0", &a, err), 0);
    assert_int_equal(rmq_server_listen(f->srv, &a, &f->addr, err), 0);
    rmq_addr_format(&f->addr, f->text, sizeof f->text);
}

static int call(struct rmq_rpc *rpc, char *err)
{
    struct rmq_cmd req;
    struct rmq_rpc_reply rep;
    rmq_cmd_init_request(&req, RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "consumerGroup", "G");
    int rc = rmq_rpc_call_wait(rpc, &req, 10000, &rep, err);
    rmq_cmd_free(&req);
    if (rc == 0)
        rmq_rpc_reply_free(&rep);
    return rc;
}

static void give_up(struct ev_loop *loop, ev_timer *w, int revents) { *(bool *)w->data = true; }

static void broker_moves_during_a_wait_on_it(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    struct fake ns = {.namesrv = true}, old = {.silent = true}, moved = {0};
    fake_start(loop, &ns);
    fake_start(loop, &old);
    fake_start(loop, &moved);
    ns.route_addr = old.text;

    char err[RMQ_ERRLEN];
    struct rmq_ns *nsc = rmq_ns_new(loop, &ns.addr, 1);
    struct rmq_qset *qs = rmq_qset_new_ns(nsc, "T", RMQ_QSET_SUBSCRIBE);
    assert_int_equal(rmq_qset_load(qs, err), 0);
    struct rmq_rpc *rpc = rmq_qset_rpc(qs, "broker-a");
    assert_non_null(rpc);
    assert_string_equal(rmq_rpc_peer(rpc), old.text);

    /* the broker moves; the refresh comes while a call to its old address waits there */
    setenv("RMQ_QSET_REFRESH_MS", "50", 1);
    rmq_qset_watch(qs, NULL, NULL);
    unsetenv("RMQ_QSET_REFRESH_MS");
    ns.route_addr = moved.text;
    assert_int_equal(call(rpc, err), RMQ_ECLOSED);
    assert_int_equal(old.requests, 1);
    assert_non_null(strstr(err, old.text));   /* formatted after the wait: the old peer */

    /* the waiter's rpc is still valid (a caller up the stack reads its peer), and closed
     * for good: a call on it fails at once instead of reconnecting to the old address */
    assert_string_equal(rmq_rpc_peer(rpc), old.text);
    assert_int_equal(call(rpc, err), RMQ_ECLOSED);
    assert_non_null(strstr(err, "moved to"));
    assert_non_null(strstr(err, moved.text));
    assert_int_equal(old.requests, 1);

    /* the set uses the new address */
    struct rmq_rpc *now = rmq_qset_rpc(qs, "broker-a");
    assert_non_null(now);
    assert_ptr_not_equal(now, rpc);
    assert_string_equal(rmq_rpc_peer(now), moved.text);
    assert_int_equal(call(now, err), 0);
    assert_int_equal(moved.requests, 1);

    /* refresh ticks from the top-level loop free the retired rpc (LeakSanitizer would see
     * it otherwise only when the set is freed; nothing may touch it from here on) */
    int asked = ns.requests;
    bool over = false;
    ev_timer t;
    ev_timer_init(&t, give_up, 5., 0.);
    t.data = &over;
    ev_timer_start(loop, &t);
    while (ns.requests < asked + 2 && !over)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &t);
    assert_false(over);
    assert_false(rmq_rpc_waiting());

    rmq_qset_free(qs);
    rmq_ns_free(nsc);
    rmq_server_free(ns.srv);
    rmq_server_free(old.srv);
    rmq_server_free(moved.srv);
    ev_loop_destroy(loop);
}

/* rmq_rpc_waiting counts waits on this thread, nested ones too. */
static int depth_seen = -1;
static void probe(struct ev_loop *loop, ev_timer *w, int revents)
{
    depth_seen = rmq_rpc_waiting();
}

static void waiting_is_true_inside_a_wait_only(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    ev_timer t;
    ev_timer_init(&t, probe, 0., 0.);
    ev_timer_start(loop, &t);
    ev_run(loop, EVRUN_ONCE);
    assert_int_equal(depth_seen, 0);
    ev_timer_start(loop, &t);
    depth_seen = -1;
    while (depth_seen < 0)
        rmq_rpc_run_once(loop);
    assert_int_equal(depth_seen, 1);
    assert_false(rmq_rpc_waiting());
    ev_loop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(broker_moves_during_a_wait_on_it),
        cmocka_unit_test(waiting_is_true_inside_a_wait_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
