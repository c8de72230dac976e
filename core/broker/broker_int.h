/*
 * broker_int.h — the broker's state and its request handlers; private to core/broker/.
 */
#ifndef RMQ_BROKER_INT_H
#define RMQ_BROKER_INT_H

#include "broker/broker.h"
#include "broker/clients.h"
#include "broker/groups.h"
#include "broker/locks.h"
#include "broker/register.h"
#include "net/reply.h"
#include "broker/stats.h"
#include "broker/topics.h"
#include "net/conn.h"
#include "net/server.h"
#include "proto/remoting.h"
#include "store/meta.h"
#include "store/store.h"
#include "store/waitq.h"

#include <ev.h>
#include <limits.h>

/* A pull parked by long polling (PROTOCOL §2.5), answered when its queue grows or at its
 * deadline. */
struct rmq_parked_pull {
    struct rmq_conn *conn;        /* referenced */
    struct rmq_cmd req;           /* the original request (owns its extFields) */
    char topic[RMQ_MAX_TOPIC_LEN + 1];
    int32_t queue_id;
    int64_t offset;
    int64_t deadline_ms;
    struct rmq_parked_pull *next;
};

struct rmq_broker {
    const struct rmq_conf *conf;
    struct ev_loop *loop;
    struct rmq_store *store;
    struct rmq_topics topics;
    struct rmq_groups groups;
    struct rmq_stats stats;       /* message counters for runtime info */
    struct rmq_locks locks;       /* orderly consumers' queue locks */
    struct rmq_offset_table *offsets;
    bool offsets_dirty;
    char offsets_path[PATH_MAX];
    struct rmq_server *server;
    struct rmq_clients clients;
    int64_t next_client_scan;
    int64_t boot_ms;
    struct rmq_host store_host;   /* brokerIP1:listenPort, for offset message ids */

    ev_prepare commit;            /* one store commit per loop iteration: group commit */
    ev_async flushed;             /* the flusher made more durable (SYNC_FLUSH) */
    ev_timer cron;                /* housekeeping, every 100 ms */
    ev_signal sigint, sigterm;
    ev_async stop;
    int64_t next_offsets_save, next_retention;

    struct rmq_delay_table *delay_offsets;   /* delay level → next offset to deliver */
    char delay_path[PATH_MAX];
    bool delay_dirty;
    uint64_t delay_stuck;         /* bit L-1: level L's head could not be delivered (logged once) */

    struct rmq_waitq flush_waits; /* SYNC_FLUSH sends waiting for the flushed watermark */
    struct rmq_parked_pull *parked;
    int stop_status;
    bool own_loop;                /* false when embedded (rmq standalone) */
    bool stopping;                /* unregistering from the name servers before the loop ends */
    struct rmq_registrar reg;     /* name-server registration (register.c) */
};

/* A handler answers req on c (now, or later by keeping a reference on c). */
typedef void (*rmq_handler)(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);

/* send.c */
void rmq_handle_send(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_broker_flush_done(struct rmq_broker *b);
void rmq_broker_expire_waits(struct rmq_broker *b, int64_t now_us);
/* pull.c */
void rmq_handle_pull(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_broker_wake_pulls(struct rmq_broker *b, bool expire_only);
void rmq_broker_drop_pulls(struct rmq_broker *b);
/* admin.c */
void rmq_handle_query_offset(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_update_offset(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_max_offset(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_min_offset(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_search_offset(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_earliest_time(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_create_topic(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_delete_topic(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_all_topics(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_view_message(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_query_message(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_heartbeat(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_topic_stats(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_consume_stats(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_runtime_info(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_unregister(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_consumer_list(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
/* clients: the members of group changed; tell the remaining ones (NOTIFY_CONSUMER_IDS_CHANGED) */
void rmq_broker_group_changed(void *arg, const char *group);
/* admin_groups.c */
void rmq_handle_update_group(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_all_groups(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_delete_group(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
/* The pulling group exists (made if allowed) and may consume; else answers and returns false. */
bool rmq_broker_group_may_consume(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
/* schedule.c: delay levels */
int rmq_schedule_open(struct rmq_broker *b, const char *config_dir, char *err);
/* When in carries a DELAY level (and is not a transaction half), points it at
 * SCHEDULE_TOPIC_XXXX queue level−1 with REAL_TOPIC/REAL_QID added (props holds the new
 * properties; free it after the put). Returns whether it did. */
bool rmq_schedule_redirect(struct rmq_broker *b, struct rmq_msg_in *in, struct rmq_buf *props);
/* Stores a copy of the record m in topic/qid with new properties and reconsume count,
 * through the delay levels when props carry DELAY. */
int rmq_broker_put_copy(struct rmq_broker *b, const struct rmq_msg *m, const char *topic, int32_t qid,
                        const char *props, size_t plen, int32_t reconsume, struct rmq_put_result *r, char *err);
void rmq_schedule_tick(struct rmq_broker *b, int64_t now_ms);
void rmq_schedule_save(struct rmq_broker *b);
/* admin_locks.c */
void rmq_handle_lock_batch(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_unlock_batch(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
/* sendback.c */
void rmq_handle_send_back(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);
void rmq_handle_shutdown(struct rmq_broker *b, struct rmq_conn *c, const struct rmq_cmd *req);

#endif
