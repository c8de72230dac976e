/*
 * namesrv.c — the name server's loop: listeners, the request table, the broker-expiry scan
 * and a clean stop. Handlers are in handlers.c and kv.c; the table itself in routes.c.
 */
#include "namesrv/namesrv_int.h"

#include "proto/codes.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* The one table of requests a name server serves; every other code gets
 * REQUEST_CODE_NOT_SUPPORTED. */
static const struct {
    int code;
    ns_handler fn;
} handlers[] = {
    {RMQ_REQ_REGISTER_BROKER, ns_register},
    {RMQ_REQ_UNREGISTER_BROKER, ns_unregister},
    {RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, ns_route},
    {RMQ_REQ_GET_BROKER_CLUSTER_INFO, ns_cluster_info},
    {RMQ_REQ_GET_ALL_TOPIC_LIST_FROM_NAMESERVER, ns_all_topics},
    {RMQ_REQ_GET_TOPICS_BY_CLUSTER, ns_cluster_topics},
    {RMQ_REQ_DELETE_TOPIC_IN_NAMESRV, ns_delete_topic},
    {RMQ_REQ_WIPE_WRITE_PERM_OF_BROKER, ns_wipe_write_perm},
    {RMQ_REQ_ADD_WRITE_PERM_OF_BROKER, ns_add_write_perm},
    {RMQ_REQ_QUERY_DATA_VERSION, ns_data_version},
    {RMQ_REQ_PUT_KV_CONFIG, ns_kv_put},
    {RMQ_REQ_GET_KV_CONFIG, ns_kv_get},
    {RMQ_REQ_DELETE_KV_CONFIG, ns_kv_delete},
    {RMQ_REQ_GET_KVLIST_BY_NAMESPACE, ns_kv_list},
    {RMQ_REQ_RMQ_SHUTDOWN, ns_shutdown},
};

static void on_frame(void *arg, struct rmq_conn *c, const uint8_t *frame, size_t len)
{
    struct rmq_namesrv *ns = arg;
    struct rmq_cmd req;
    if (!rmq_serve_decode("namesrv", c, frame, len, &req))
        return;
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
        if (handlers[i].code == req.code) {
            handlers[i].fn(ns, c, &req);
            rmq_cmd_free(&req);
            return;
        }
    }
    rmq_reply_unsupported(c, &req, " by the name server");
    rmq_cmd_free(&req);
}

/* A broker's registering connection closed: its addresses go at once (Java's
 * onChannelDestroy), so clients stop routing to a dead broker before the 120 s expiry. */
static void on_close(void *arg, struct rmq_conn *c)
{
    struct rmq_namesrv *ns = arg;
    rmq_routes_drop_conn(ns->routes, rmq_conn_id(c));
}

static void on_scan(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rmq_namesrv *ns = w->data;
    rmq_routes_expire(ns->routes, rmq_now_ms(), RMQ_BROKER_EXPIRY_MS);
}

static void on_stop(struct ev_loop *loop, ev_async *w, int revents) { ev_break(loop, EVBREAK_ALL); }

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    rmq_info("namesrv: signal %d: shutting down", w->signum);
    ev_break(loop, EVBREAK_ALL);
}

void rmq_namesrv_free(struct rmq_namesrv *ns)
{
    if (!ns)
        return;
    if (ns->server)
        rmq_server_free(ns->server);
    if (ns->loop) {
        ev_timer_stop(ns->loop, &ns->scan);
        ev_async_stop(ns->loop, &ns->stop);
        ev_signal_stop(ns->loop, &ns->sigint);
        ev_signal_stop(ns->loop, &ns->sigterm);
    }
    rmq_routes_free(ns->routes);
    ns_kv_free(ns);
    if (ns->own_loop && ns->loop)
        ev_loop_destroy(ns->loop);
    free(ns);
}

int rmq_namesrv_open(struct rmq_namesrv **out, const struct rmq_conf *conf, struct ev_loop *loop, char *err)
{
    struct rmq_namesrv *ns = calloc(1, sizeof *ns);
    if (!ns)
        return rmq_seterr(err, -ENOMEM, "out of memory");
    ns->conf = conf;
    ns->own_loop = loop == NULL;
    ns->loop = loop ? loop : ev_loop_new(EVFLAG_AUTO);
    ns->routes = rmq_routes_new();
    ev_timer_init(&ns->scan, on_scan, 0, 0);   /* initialised before anything can fail */
    ev_async_init(&ns->stop, on_stop);
    ev_signal_init(&ns->sigint, on_signal, SIGINT);
    ev_signal_init(&ns->sigterm, on_signal, SIGTERM);
    struct rmq_server_opts o = {.max_frame = (size_t)conf->net.max_frame_size, .on_frame = on_frame,
                              .on_close = on_close, .arg = ns};
    ns->server = rmq_server_new(ns->loop, &o);
    int rc = rmq_server_listen_std(ns->server, conf->net.listen_port, conf->net.unix_socket_path, &ns->port, err);
    if (rc) {
        rmq_namesrv_free(ns);
        return rc < 0 ? rc : RMQ_EINVAL;
    }
    double scan = (double)(conf->namesrv.scan_not_active_ms > 0 ? conf->namesrv.scan_not_active_ms : 5000) / 1000;
    ev_timer_set(&ns->scan, scan, scan);
    ns->scan.data = ns->stop.data = ns;
    ev_timer_start(ns->loop, &ns->scan);
    ev_async_start(ns->loop, &ns->stop);
    if (ns->own_loop) {
        ev_signal_start(ns->loop, &ns->sigint);
        ev_signal_start(ns->loop, &ns->sigterm);
    }
    *out = ns;
    return 0;
}

int rmq_namesrv_port(const struct rmq_namesrv *ns) { return ns->port; }

void rmq_namesrv_log_ready(const struct rmq_namesrv *ns)
{
    const char *path = ns->conf->net.unix_socket_path;
    bool sock = path && *path;
    rmq_info("namesrv: ready on port %d%s%s", ns->port, sock ? " and " : "", sock ? path : "");
}

int rmq_namesrv_run(struct rmq_namesrv *ns)
{
    rmq_namesrv_log_ready(ns);
    ev_run(ns->loop, 0);
    rmq_namesrv_free(ns);
    rmq_info("namesrv: stopped");
    return 0;
}

void rmq_namesrv_stop(struct rmq_namesrv *ns) { ev_async_send(ns->loop, &ns->stop); }
