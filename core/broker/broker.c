/*
 * broker.c — the broker's loop: listeners, the request table, group commit, housekeeping
 * and a clean shutdown. Handlers are in send.c, pull.c and admin.c.
 */
#include "broker/broker_int.h"
#include "broker/store_opts.h"

#include "net/addr.h"
#include "proto/codes.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one table of requests the broker serves; every other code gets
 * REQUEST_CODE_NOT_SUPPORTED. Step 2 of the plan adds the rest of issue 3's list. */
static const struct {
    int code;
    rmq_handler fn;
} handlers[] = {
    {RMQ_REQ_SEND_MESSAGE, rmq_handle_send},
    {RMQ_REQ_SEND_MESSAGE_V2, rmq_handle_send},
    {RMQ_REQ_SEND_BATCH_MESSAGE, rmq_handle_send},
    {RMQ_REQ_VIEW_MESSAGE_BY_ID, rmq_handle_view_message},
    {RMQ_REQ_QUERY_MESSAGE, rmq_handle_query_message},
    {RMQ_REQ_UNREGISTER_CLIENT, rmq_handle_unregister},
    {RMQ_REQ_GET_CONSUMER_LIST_BY_GROUP, rmq_handle_consumer_list},
    {RMQ_REQ_GET_TOPIC_STATS_INFO, rmq_handle_topic_stats},
    {RMQ_REQ_GET_CONSUME_STATS, rmq_handle_consume_stats},
    {RMQ_REQ_GET_BROKER_RUNTIME_INFO, rmq_handle_runtime_info},
    {RMQ_REQ_PULL_MESSAGE, rmq_handle_pull},
    {RMQ_REQ_QUERY_CONSUMER_OFFSET, rmq_handle_query_offset},
    {RMQ_REQ_UPDATE_CONSUMER_OFFSET, rmq_handle_update_offset},
    {RMQ_REQ_GET_MAX_OFFSET, rmq_handle_max_offset},
    {RMQ_REQ_GET_MIN_OFFSET, rmq_handle_min_offset},
    {RMQ_REQ_SEARCH_OFFSET_BY_TIMESTAMP, rmq_handle_search_offset},
    {RMQ_REQ_GET_EARLIEST_MSG_STORETIME, rmq_handle_earliest_time},
    {RMQ_REQ_UPDATE_AND_CREATE_TOPIC, rmq_handle_create_topic},
    {RMQ_REQ_DELETE_TOPIC_IN_BROKER, rmq_handle_delete_topic},
    {RMQ_REQ_GET_ALL_TOPIC_CONFIG, rmq_handle_all_topics},
    {RMQ_REQ_HEART_BEAT, rmq_handle_heartbeat},
    {RMQ_REQ_CONSUMER_SEND_MSG_BACK, rmq_handle_send_back},
    {RMQ_REQ_LOCK_BATCH_MQ, rmq_handle_lock_batch},
    {RMQ_REQ_UNLOCK_BATCH_MQ, rmq_handle_unlock_batch},
    {RMQ_REQ_UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, rmq_handle_update_group},
    {RMQ_REQ_GET_ALL_SUBSCRIPTIONGROUP_CONFIG, rmq_handle_all_groups},
    {RMQ_REQ_DELETE_SUBSCRIPTIONGROUP, rmq_handle_delete_group},
    {RMQ_REQ_RMQ_SHUTDOWN, rmq_handle_shutdown},
};

static void on_frame(void *arg, struct rmq_conn *c, const uint8_t *frame, size_t len)
{
    struct rmq_broker *b = arg;
    struct rmq_cmd req;
    if (!rmq_serve_decode("broker", c, frame, len, &req))
        return;
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
        if (handlers[i].code == req.code) {
            handlers[i].fn(b, c, &req);
            rmq_cmd_free(&req);
            return;
        }
    }
    rmq_reply_unsupported(c, &req, "");
    rmq_cmd_free(&req);
}

/* Before the loop sleeps: one commit for everything appended in this iteration. */
static void on_commit(struct ev_loop *loop, ev_prepare *w, int revents)
{
    struct rmq_broker *b = w->data;
    rmq_store_commit(b->store);
    if (b->parked)
        rmq_broker_wake_pulls(b, false);
}

static void on_flushed_async(struct ev_loop *loop, ev_async *w, int revents)
{
    rmq_broker_flush_done(w->data);
}

/* Called on the store's flusher thread. */
static void store_flushed(void *arg)
{
    struct rmq_broker *b = arg;
    ev_async_send(b->loop, &b->flushed);
}

static void save_offsets(struct rmq_broker *b)
{
    char err[RMQ_ERRLEN];
    if (!b->offsets_dirty)
        return;
    if (rmq_offset_table_save(b->offsets, b->offsets_path, err) == 0)
        b->offsets_dirty = false;
    else
        rmq_warn("broker: cannot save consumer offsets: %s", err);
}

static void on_cron(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct rmq_broker *b = w->data;
    int64_t now = rmq_now_ms();
    rmq_broker_expire_waits(b, rmq_mono_us());
    if (b->parked)
        rmq_broker_wake_pulls(b, true);
    rmq_schedule_tick(b, now);
    rmq_stats_tick(&b->stats, now);
    if (now >= b->next_offsets_save) {   /* flushConsumerOffsetInterval */
        save_offsets(b);
        rmq_schedule_save(b);
        b->next_offsets_save = now + 5000;
    }
    if (now >= b->next_client_scan) {   /* channelExpiredTimeout, scanned every 10 s */
        rmq_clients_expire(&b->clients, now, rmq_broker_group_changed, b);
        b->next_client_scan = now + 10000;
    }
    rmq_register_tick(b, now);
    if (now >= b->next_retention) {
        rmq_store_retention(b->store, now);
        b->next_retention = now + b->conf->store.clean_resource_interval_ms;
    }
}

static void on_close(void *arg, struct rmq_conn *c)
{
    struct rmq_broker *b = arg;
    rmq_clients_forget(&b->clients, c, rmq_broker_group_changed, b);
}

static void end_loop(struct rmq_broker *b) { ev_break(b->loop, EVBREAK_ALL); }

/* A clean stop unregisters from the name servers first (asynchronously, on the loop); a
 * second request while that is going on stops at once. */
static void begin_stop(struct rmq_broker *b)
{
    if (b->stopping) {
        end_loop(b);
        return;
    }
    b->stopping = true;
    rmq_register_stop(b, end_loop);
}

static void on_stop(struct ev_loop *loop, ev_async *w, int revents) { begin_stop(w->data); }

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    rmq_info("broker: signal %d: shutting down", w->signum);
    begin_stop(w->data);
}

static int listen_all(struct rmq_broker *b, char *err)
{
    return rmq_server_listen_std(b->server, b->conf->net.listen_port, b->conf->net.unix_socket_path, NULL, err);
}

static void broker_free(struct rmq_broker *b)
{
    rmq_register_close(b);
    if (b->server)
        rmq_server_free(b->server);
    rmq_clients_free(&b->clients);
    if (b->store && rmq_store_close(b->store) != 0)
        b->stop_status = RMQ_ECLOSED;
    rmq_topics_close(&b->topics);
    rmq_groups_close(&b->groups);
    rmq_locks_free(&b->locks);
    rmq_offset_table_free(b->offsets);
    rmq_delay_table_free(b->delay_offsets);
    rmq_waitq_free(&b->flush_waits);
    if (b->loop && b->own_loop) {
        ev_loop_destroy(b->loop);
    } else if (b->loop) {   /* the loop goes on without us: take our watchers off it */
        ev_prepare_stop(b->loop, &b->commit);
        ev_async_stop(b->loop, &b->flushed);
        ev_async_stop(b->loop, &b->stop);
        ev_timer_stop(b->loop, &b->cron);
        ev_signal_stop(b->loop, &b->sigint);
        ev_signal_stop(b->loop, &b->sigterm);
    }
    free(b);
}

int rmq_broker_open(struct rmq_broker **out, const struct rmq_conf *conf, char *err)
{
    return rmq_broker_open_on(out, conf, NULL, err);
}

int rmq_broker_open_on(struct rmq_broker **out, const struct rmq_conf *conf, struct ev_loop *loop, char *err)
{
    struct rmq_broker *b = calloc(1, sizeof *b);
    if (!b)
        return rmq_seterr(err, -ENOMEM, "out of memory");
    b->conf = conf;
    b->boot_ms = rmq_now_ms();
    b->own_loop = loop == NULL;
    b->loop = loop ? loop : ev_loop_new(EVFLAG_AUTO);
    /* initialised first so that broker_free can always stop them */
    ev_prepare_init(&b->commit, on_commit);
    ev_async_init(&b->flushed, on_flushed_async);
    ev_async_init(&b->stop, on_stop);
    ev_timer_init(&b->cron, on_cron, 0.1, 0.1);
    ev_signal_init(&b->sigint, on_signal, SIGINT);
    ev_signal_init(&b->sigterm, on_signal, SIGTERM);
    char config_dir[PATH_MAX];
    snprintf(config_dir, sizeof config_dir, "%s/config", conf->store.root_dir);
    snprintf(b->offsets_path, sizeof b->offsets_path, "%s/%s", config_dir, RMQ_META_OFFSETS_FILE);
    struct rmq_store_opts so;
    int rc = rmq_store_opts_from_conf(&so, conf, err);
    b->store_host = so.store_host;
    so.on_flushed = store_flushed;
    so.cb_arg = b;
    if (rc || (rc = rmq_store_open(&b->store, &so, err)) ||
        (rc = rmq_topics_open(&b->topics, conf, config_dir, err)) ||
        (rc = rmq_groups_open(&b->groups, conf, config_dir, err)) ||
        (rc = rmq_offset_table_load(&b->offsets, b->offsets_path, err)) < 0 ||
        (rc = rmq_schedule_open(b, config_dir, err)) < 0)
        goto fail;
    struct rmq_server_opts o = {.max_frame = (size_t)conf->net.max_frame_size, .on_frame = on_frame,
                              .on_close = on_close, .arg = b};
    b->server = rmq_server_new(b->loop, &o);
    if ((rc = listen_all(b, err)) || (rc = rmq_register_open(b, err)))
        goto fail;
    b->commit.data = b->flushed.data = b->stop.data = b->cron.data = b->sigint.data = b->sigterm.data = b;
    ev_prepare_start(b->loop, &b->commit);
    ev_async_start(b->loop, &b->flushed);
    ev_async_start(b->loop, &b->stop);
    ev_timer_start(b->loop, &b->cron);
    ev_signal_start(b->loop, &b->sigint);
    ev_signal_start(b->loop, &b->sigterm);
    b->next_offsets_save = rmq_now_ms() + 5000;
    b->next_retention = rmq_now_ms() + conf->store.clean_resource_interval_ms;
    *out = b;
    return 0;
fail:
    broker_free(b);
    return rc < 0 ? rc : RMQ_EINVAL;
}

int rmq_broker_run(struct rmq_broker *b)
{
    rmq_info("broker: %s of %s ready on port %d%s%s", b->conf->broker.name, b->conf->broker.cluster_name,
             b->conf->net.listen_port, b->conf->net.unix_socket_path && *b->conf->net.unix_socket_path ? " and " : "",
             b->conf->net.unix_socket_path ? b->conf->net.unix_socket_path : "");
    const char *ns = b->conf->broker.namesrv_addr;
    if (ns && *ns)
        rmq_info("broker: name server is %s (registering every %d s)", ns, b->conf->broker.register_period_ms / 1000);
    rmq_register_all(b);
    ev_run(b->loop, 0);
    rmq_register_close(b);
    rmq_server_stop_listening(b->server);
    rmq_store_commit(b->store);
    rmq_broker_drop_pulls(b);
    /* waiting SYNC_FLUSH sends get what the flusher manages before the store closes */
    rmq_broker_expire_waits(b, INT64_MAX);
    save_offsets(b);
    rmq_schedule_save(b);
    int status = b->stop_status;
    broker_free(b);
    rmq_info("broker: stopped");
    return status;
}

void rmq_broker_stop(struct rmq_broker *b) { ev_async_send(b->loop, &b->stop); }
