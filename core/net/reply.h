/*
 * reply.h — answering requests on the server side (broker and name server alike): frames
 * decoded for a server, replies encoded and queued, error replies with a remark, and the
 * required header fields whose absence is answered for the handler.
 */
#ifndef RMQ_NET_REPLY_H
#define RMQ_NET_REPLY_H

#include "net/conn.h"
#include "proto/remoting.h"

#include <stdbool.h>
#include <stdint.h>

/* Decodes a frame a server received into req. False when there is nothing to handle: an
 * undecodable frame (logged under `who`; that connection alone is closed) or a response. */
bool rmq_serve_decode(const char *who, struct rmq_conn *c, const uint8_t *frame, size_t len,
                      struct rmq_cmd *req);
/* REQUEST_CODE_NOT_SUPPORTED naming the code, and `by` after it ("" or " by the …"). */
void rmq_reply_unsupported(struct rmq_conn *c, const struct rmq_cmd *req, const char *by);

/* Encodes resp and queues it on c; frees resp's arena. Loop thread only (one buffer). */
void rmq_reply(struct rmq_conn *c, struct rmq_cmd *resp);
/* The same, or only the freeing when req was oneway. */
void rmq_reply_to(struct rmq_conn *c, const struct rmq_cmd *req, struct rmq_cmd *resp);
/* A SUCCESS reply carrying body[0..len) (copied before this returns); nothing for oneway. */
void rmq_reply_body(struct rmq_conn *c, const struct rmq_cmd *req, const void *body, size_t len);
/* A reply with a code and a printf remark (fmt NULL: none); nothing for oneway. */
void rmq_reply_code(struct rmq_conn *c, const struct rmq_cmd *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A required extField, or a SYSTEM_ERROR reply naming it (or the bad value) and false. */
bool rmq_need_str(struct rmq_conn *c, const struct rmq_cmd *req, const char *key, const char **out);
bool rmq_need_int(struct rmq_conn *c, const struct rmq_cmd *req, const char *key, int64_t min,
                  int64_t max, int64_t *out);
/* The same for an entry picked by rmq_cmd_ext_pick (NULL: absent) named key. */
bool rmq_need_kv_str(struct rmq_conn *c, const struct rmq_cmd *req, const struct rmq_kv *kv,
                     const char *key, const char **out);
bool rmq_need_kv_int(struct rmq_conn *c, const struct rmq_cmd *req, const struct rmq_kv *kv,
                     const char *key, int64_t min, int64_t max, int64_t *out);

#endif
