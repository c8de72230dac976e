/*
 * lookup.h — finding stored messages again (PROTOCOL §2.10, §5.1): by offset message id
 * (which names the broker and the commit-log offset), by key or by UNIQ_KEY through a
 * broker's index (rmq_consumed_fill in consumer.h turns a found record into what tools print).
 * Results follow admin.h: 0, a negative transport code, or the broker's response code.
 */
#ifndef RMQ_CLIENT_LOOKUP_H
#define RMQ_CLIENT_LOOKUP_H

#include "client/consumer.h"
#include "client/rpc.h"
#include "net/addr.h"
#include "proto/msg.h"

#include <stdbool.h>
#include <stdint.h>

/* Decodes an offset message id (32 hex digits for IPv4, 56 for IPv6) into the broker's
 * "ip:port" (text, at least 64 bytes) and the commit-log offset. 0 or RMQ_EINVAL. */
int rmq_offset_id_decode(const char *id, char *broker, size_t broker_len, int64_t *phys, char *err);

/* VIEW_MESSAGE_BY_ID (33): the record at phys; rep holds it (rep->cmd.body). */
int rmq_lookup_offset(struct rmq_rpc *r, int64_t phys, struct rmq_rpc_reply *rep, char *err);

/* QUERY_MESSAGE (12): up to max records of topic whose KEYS (or, with uniq, UNIQ_KEY) hold
 * key, concatenated in rep->cmd.body. RMQ_RESP_QUERY_NOT_FOUND when there are none. */
int rmq_lookup_key(struct rmq_rpc *r, const char *topic, const char *key, bool uniq, int max,
                   struct rmq_rpc_reply *rep, char *err);

#endif
