/*
 * clients.h — the producers and consumers connected to this broker, learned from their
 * HEART_BEAT bodies (PROTOCOL §2.8, §3.6). A client is its connection: it is forgotten
 * when the connection closes or after 120 s without a heartbeat (channelExpiredTimeout),
 * and when a consumer group's membership changes the remaining members get
 * NOTIFY_CONSUMER_IDS_CHANGED, so they rebalance. Loop thread only.
 */
#ifndef RMQ_BROKER_CLIENTS_H
#define RMQ_BROKER_CLIENTS_H

#include "net/conn.h"

#include <stdbool.h>
#include <stdint.h>

#define RMQ_CLIENT_EXPIRY_MS 120000

struct rmq_client_entry {
    struct rmq_conn *conn;            /* referenced */
    char client_id[256];
    int language, version;
    int64_t last_seen_ms;
    char **consumer_groups;           /* groups this client consumes in */
    bool *broadcast;                  /* per group: BROADCASTING message model */
    int nconsumer;
    char **producer_groups;
    int nproducer;
    struct rmq_client_entry *next;
};

struct rmq_clients {
    struct rmq_client_entry *head;
};

/* What a HEART_BEAT body (PROTOCOL §3.6) says about its client. */
struct rmq_heartbeat {
    char client_id[256];
    char **consumer_groups;
    bool *broadcast;                  /* per consumer group */
    int nconsumer;
    char **producer_groups;
    int nproducer;
};
/* Decodes a heartbeat body (fastjson-lenient): 0, or RMQ_EINVAL with err and nothing to
 * free. Free a decoded one with rmq_heartbeat_free. */
int rmq_heartbeat_parse(const uint8_t *body, size_t len, struct rmq_heartbeat *hb, char *err);
void rmq_heartbeat_free(struct rmq_heartbeat *hb);

/* Records a heartbeat body from c. Returns 0 or RMQ_EINVAL (err says what is wrong with
 * the body). The groups whose membership changed are passed to changed(arg, group). */
int rmq_clients_heartbeat(struct rmq_clients *t, struct rmq_conn *c, int language, int version,
                          const uint8_t *body, size_t len, void (*changed)(void *arg, const char *group),
                          void *arg, char *err);
/* Forgets c (closed, or UNREGISTER_CLIENT); changed() as above. */
void rmq_clients_forget(struct rmq_clients *t, struct rmq_conn *c,
                        void (*changed)(void *arg, const char *group), void *arg);
/* Forgets clients silent for RMQ_CLIENT_EXPIRY_MS. */
void rmq_clients_expire(struct rmq_clients *t, int64_t now_ms,
                        void (*changed)(void *arg, const char *group), void *arg);
/* Calls fn for every live consumer of group, in no particular order. */
void rmq_clients_of_group(const struct rmq_clients *t, const char *group,
                          void (*fn)(void *arg, const struct rmq_client_entry *e), void *arg);
void rmq_clients_free(struct rmq_clients *t);

#endif
