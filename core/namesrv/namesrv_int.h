/*
 * namesrv_int.h — the name server's state and request handlers; private to core/namesrv/.
 */
#ifndef RMQ_NAMESRV_INT_H
#define RMQ_NAMESRV_INT_H

#include "namesrv/namesrv.h"
#include "namesrv/routes.h"
#include "net/conn.h"
#include "net/reply.h"
#include "net/server.h"
#include "proto/remoting.h"

#include <ev.h>
#include <stdbool.h>

/* One KV-config entry (PUT_KV_CONFIG). */
struct ns_kv {
    char *ns, *key, *value;
};

struct rmq_namesrv {
    const struct rmq_conf *conf;
    struct ev_loop *loop;
    bool own_loop;
    int port;
    struct rmq_server *server;
    struct rmq_routes *routes;
    struct ns_kv *kv;
    size_t nkv;
    ev_timer scan;               /* broker expiry, every scanNotActiveBrokerInterval */
    ev_signal sigint, sigterm;
    ev_async stop;
};

typedef void (*ns_handler)(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);

/* handlers.c */
void ns_register(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
void ns_unregister(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
void ns_route(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
void ns_cluster_info(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
void ns_all_topics(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
void ns_cluster_topics(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
void ns_delete_topic(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
void ns_wipe_write_perm(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
void ns_add_write_perm(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
void ns_data_version(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
void ns_shutdown(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
/* kv.c */
void ns_kv_put(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
void ns_kv_get(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
void ns_kv_delete(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
void ns_kv_list(struct rmq_namesrv *ns, struct rmq_conn *c, const struct rmq_cmd *req);
/* The value of (namespace, key), or NULL. */
const char *ns_kv_find(const struct rmq_namesrv *ns, const char *nspace, const char *key);
void ns_kv_free(struct rmq_namesrv *ns);

#endif
