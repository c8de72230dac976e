/*
 * namesrv.h — the name server daemon (RocketMQ's NamesrvController): brokers register their
 * topics with it, clients ask it for routes (PROTOCOL §2.11, §3.1–§3.4). Several name
 * servers run side by side, each independent; brokers register with all of them.
 *
 * One libev loop, no other thread. Requests served (namesrv.c has the table):
 *   REGISTER_BROKER 103, UNREGISTER_BROKER 104, GET_ROUTEINFO_BY_TOPIC 105 (TOPIC_NOT_EXIST
 *   when unknown), GET_BROKER_CLUSTER_INFO 106, GET_ALL_TOPIC_LIST_FROM_NAMESERVER 206,
 *   DELETE_TOPIC_IN_NAMESRV 216, WIPE_WRITE_PERM_OF_BROKER 205, ADD_WRITE_PERM_OF_BROKER 327,
 *   GET_TOPICS_BY_CLUSTER 224, QUERY_DATA_VERSION 322, the KV-config codes 100/101/102/219
 *   (an in-memory table that starts empty, as a fresh Java name server's does; not saved
 *   to kvConfigPath), and rmq's RMQ_SHUTDOWN 7001. Every other code is answered
 *   REQUEST_CODE_NOT_SUPPORTED with a remark naming it.
 * Liveness: a broker address is dropped when the connection it registered on closes, when
 * it unregisters, or 120 s after its last registration (checked every
 * scanNotActiveBrokerInterval, 5 s).
 *
 * Embedding (rmq standalone): open it on an existing loop; it then installs no signal
 * handlers, the caller runs the loop, and RMQ_SHUTDOWN breaks that loop.
 */
#ifndef RMQ_NAMESRV_NAMESRV_H
#define RMQ_NAMESRV_NAMESRV_H

#include "conf/conf.h"

struct ev_loop;
struct rmq_namesrv;

/* Opens the listeners (listenPort, unixSocketPath) on loop, or on a loop of its own when
 * loop is NULL (then SIGINT/SIGTERM stop it). conf must outlive the name server.
 * 0 or a negative code with err. */
int rmq_namesrv_open(struct rmq_namesrv **out, const struct rmq_conf *conf, struct ev_loop *loop,
                     char *err);
/* The TCP port actually bound (listenPort, or the one picked for 0). */
int rmq_namesrv_port(const struct rmq_namesrv *ns);
/* Own loop only: logs the ready line, runs until a signal, rmq_namesrv_stop() or a
 * shutdown request, then frees ns. Returns 0. */
int rmq_namesrv_run(struct rmq_namesrv *ns);
/* Asks the loop to stop (safe from any thread). */
void rmq_namesrv_stop(struct rmq_namesrv *ns);
/* Closes everything and frees (embedded: after the loop has stopped). NULL is fine. */
void rmq_namesrv_free(struct rmq_namesrv *ns);
/* Logs "namesrv: ready on port N[ and PATH]" — rmq_namesrv_run does it; embedders call it. */
void rmq_namesrv_log_ready(const struct rmq_namesrv *ns);

#endif
