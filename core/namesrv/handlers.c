/*
 * handlers.c — the name server's requests (PROTOCOL §2.11): registration, routes, cluster
 * info, topic lists and the admin codes that change routes.
 */
#include "namesrv/namesrv_int.h"

#include "proto/body.h"
#include "proto/codes.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

/* Java's FAQUrl.suggestTodo(APPLY_TOPIC_URL), appended to TOPIC_NOT_EXIST remarks. */
#define FAQ_SUFFIX "\nSee http://rocketmq.apache.org/docs/faq/ for further details."

static void reply_body(struct rmq_conn *c, const struct rmq_cmd *req, struct rmq_cmd *resp, struct rmq_buf *body)
{
    resp->body = body->data;
    resp->body_len = body->len;
    rmq_reply_to(c, req, resp);
    rmq_buf_free(body);
}

void ns_register(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    struct rmq_broker_reg reg = {.conn_id = rmq_conn_id(c), .now_ms = rmq_now_ms()};
    char err[RMQ_ERRLEN];
    if (!rmq_need_str(c, req, "brokerName", &reg.name) || !rmq_need_str(c, req, "brokerAddr", &reg.addr) ||
        !rmq_need_str(c, req, "clusterName", &reg.cluster))
        return;
    if (rmq_cmd_ext_int(req, "brokerId", 0, INT64_MAX, &reg.id, err)) {
        rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "brokerId: %s", rmq_cmd_ext(req, "brokerId") ? err : "missing");
        return;
    }
    reg.ha_addr = rmq_cmd_ext(req, "haServerAddr");
    int64_t crc = 0;
    if (rmq_cmd_ext_int(req, "bodyCrc32", INT32_MIN, UINT32_MAX, &crc, err) == RMQ_EINVAL) {
        rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "%s", err);
        return;
    }
    if (crc != 0 && (uint32_t)crc != rmq_body_crc(req->body, req->body_len)) {
        rmq_warn("namesrv: registration of '%s' from %s: body CRC does not match", reg.name, rmq_conn_peer(c));
        rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "crc32 not match");
        return;
    }
    struct rmq_register_body body, *bp = NULL;
    if (req->body_len) {
        if (rmq_register_body_decode(req->body, req->body_len, &body, err)) {
            rmq_warn("namesrv: registration of '%s' from %s refused: %s", reg.name, rmq_conn_peer(c), err);
            rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "register broker failed: %s", err);
            return;
        }
        bp = &body;
    }
    char master[RMQ_BODY_ADDR_MAX + 1], master_ha[RMQ_BODY_ADDR_MAX + 1];
    int rc = rmq_routes_register(ns->routes, &reg, bp, ns->conf->namesrv.delete_topic_with_broker, master,
                                 master_ha, err);
    if (bp)
        rmq_register_body_free(bp);
    if (rc) {
        rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "register broker failed: %s", err);
        return;
    }
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, RMQ_RESP_SUCCESS, NULL);
    if (master[0]) {
        rmq_cmd_set_ext(&resp, "masterAddr", master);
        rmq_cmd_set_ext(&resp, "haServerAddr", master_ha);
    }
    rmq_reply_to(c, req, &resp);
}

void ns_unregister(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *name, *addr;
    int64_t id;
    char err[RMQ_ERRLEN];
    if (!rmq_need_str(c, req, "brokerName", &name) || !rmq_need_str(c, req, "brokerAddr", &addr))
        return;
    if (rmq_cmd_ext_int(req, "brokerId", 0, INT64_MAX, &id, err)) {
        rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "brokerId: %s", rmq_cmd_ext(req, "brokerId") ? err : "missing");
        return;
    }
    /* unknown is fine: Java answers SUCCESS either way */
    rmq_routes_unregister(ns->routes, name, addr, id);
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
}

void ns_route(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *topic;
    if (!rmq_need_str(c, req, "topic", &topic))
        return;
    struct rmq_topic_route r;
    if (rmq_routes_topic(ns->routes, topic, &r)) {
        rmq_reply_code(c, req, RMQ_RESP_TOPIC_NOT_EXIST, "No topic route info in name server for the topic: %s" FAQ_SUFFIX,
                       topic);
        return;
    }
    const char *order = ns->conf->namesrv.order_message_enable ? ns_kv_find(ns, "ORDER_TOPIC_CONFIG", topic) : NULL;
    if (order && !(r.order_topic_conf = strdup(order)))
        rmq_panic("out of memory");
    struct rmq_buf body = {0};
    rmq_topic_route_encode(&r, rmq_body_key_style(req), &body);
    rmq_topic_route_free(&r);
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, RMQ_RESP_SUCCESS, NULL);
    reply_body(c, req, &resp, &body);
}

void ns_cluster_info(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    struct rmq_cluster_info ci;
    rmq_routes_cluster_info(ns->routes, &ci);
    struct rmq_buf body = {0};
    rmq_cluster_info_encode(&ci, rmq_body_key_style(req), &body);
    rmq_cluster_info_free(&ci);
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, RMQ_RESP_SUCCESS, NULL);
    reply_body(c, req, &resp, &body);
}

static void reply_topics(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req, const char *cluster)
{
    const char **names;
    size_t n;
    rmq_routes_topic_names(ns->routes, cluster, &names, &n);
    struct rmq_buf body = {0};
    rmq_topic_list_encode(names, n, &body);
    free(names);
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, RMQ_RESP_SUCCESS, NULL);
    reply_body(c, req, &resp, &body);
}

void ns_all_topics(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    if (!ns->conf->namesrv.all_topic_list) {
        rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "disable");
        return;
    }
    reply_topics(ns, c, req, NULL);
}

void ns_cluster_topics(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *cluster;
    if (!ns->conf->namesrv.topic_list) {
        rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "disable");
        return;
    }
    if (rmq_need_str(c, req, "cluster", &cluster))
        reply_topics(ns, c, req, cluster);
}

void ns_delete_topic(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *topic, *cluster = rmq_cmd_ext(req, "clusterName");
    if (!rmq_need_str(c, req, "topic", &topic))
        return;
    size_t n = rmq_routes_delete_topic(ns->routes, topic, cluster && *cluster ? cluster : NULL);
    if (n)
        rmq_info("namesrv: topic '%s' deleted (%zu broker%s) at the request of %s", topic, n, n == 1 ? "" : "s",
                 rmq_conn_peer(c));
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
}

static void write_perm(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req, bool on)
{
    const char *name;
    if (!rmq_need_str(c, req, "brokerName", &name))
        return;
    size_t n = rmq_routes_set_write_perm(ns->routes, name, on);
    rmq_info("namesrv: write permission of broker '%s' %s on %zu topics at the request of %s", name,
             on ? "added" : "wiped", n, rmq_conn_peer(c));
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, RMQ_RESP_SUCCESS, NULL);
    rmq_cmd_set_ext_int(&resp, on ? "addTopicCount" : "wipeTopicCount", (int64_t)n);
    rmq_reply_to(c, req, &resp);
}

void ns_wipe_write_perm(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    write_perm(ns, c, req, false);
}

void ns_add_write_perm(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    write_perm(ns, c, req, true);
}

void ns_data_version(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    const char *addr;
    char err[RMQ_ERRLEN];
    if (!rmq_need_str(c, req, "brokerAddr", &addr))
        return;
    struct rmq_data_version v = {0}, stored;
    if (req->body_len) {
        json_t *root = rmq_json_parse_lenient((const char *)req->body, req->body_len, "DataVersion", err);
        int rc = root ? rmq_data_version_decode(root, &v, err) : RMQ_ECORRUPT;
        json_decref(root);
        if (rc) {
            rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "%s", err);
            return;
        }
    }
    bool changed = rmq_routes_data_version_changed(ns->routes, addr, &v, rmq_now_ms(), &stored);
    struct rmq_buf body = {0};
    rmq_data_version_put(&body, &stored);
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, RMQ_RESP_SUCCESS, NULL);
    rmq_cmd_set_ext_bool(&resp, "changed", changed);
    reply_body(c, req, &resp, &body);
}

void ns_shutdown(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req)
{
    rmq_info("namesrv: shutdown requested by %s", rmq_conn_peer(c));
    rmq_reply_code(c, req, RMQ_RESP_SUCCESS, NULL);
    rmq_namesrv_stop(ns);   /* handled next iteration, after the reply has been written */
}
