#include "net/reply.h"

#include "proto/codes.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

#define REPLY_COPY_MAX (64 << 10)

bool rmq_serve_decode(const char *who, struct rmq_conn *c, const uint8_t *frame, size_t len,
                      struct rmq_cmd *req)
{
    char err[RMQ_ERRLEN];
    if (rmq_cmd_decode(frame, len, req, err) < 0) {
        /* a frame we cannot read: that connection is confused, the others are fine */
        rmq_warn("%s: closing %s: %s", who, rmq_conn_peer(c), err);
        rmq_conn_close(c);
        return false;
    }
    if (rmq_cmd_is_response(req)) {   /* servers send no requests of their own yet */
        rmq_cmd_free(req);
        return false;
    }
    return true;
}

void rmq_reply_unsupported(struct rmq_conn *c, const struct rmq_cmd *req, const char *by)
{
    const char *name = rmq_request_name(req->code);
    rmq_reply_code(c, req, RMQ_RESP_REQUEST_CODE_NOT_SUPPORTED, "request code %d%s%s%s not supported%s",
                   req->code, name ? " (" : "", name ? name : "", name ? ")" : "", by);
}

void rmq_reply(struct rmq_conn *c, struct rmq_cmd *resp)
{
    /* One buffer for every reply: a small reply is copied into the connection's output
     * chunk, so the replies of one loop iteration leave as one run of bytes, not an iovec
     * and a malloc'd buffer each; a large one is handed over. */
    static struct rmq_buf out;
    rmq_buf_reset(&out);
    if (rmq_cmd_encode(resp, &out) == 0) {
        if (out.len <= REPLY_COPY_MAX) {
            rmq_conn_send(c, out.data, out.len);
        } else {
            rmq_conn_send_owned(c, out.data, out.len);   /* takes the buffer */
            out = (struct rmq_buf){0};
        }
    }
    rmq_cmd_free(resp);
}

void rmq_reply_to(struct rmq_conn *c, const struct rmq_cmd *req, struct rmq_cmd *resp)
{
    if (rmq_cmd_is_oneway(req))
        rmq_cmd_free(resp);
    else
        rmq_reply(c, resp);
}

void rmq_reply_body(struct rmq_conn *c, const struct rmq_cmd *req, const void *body, size_t len)
{
    if (rmq_cmd_is_oneway(req))
        return;
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, RMQ_RESP_SUCCESS, NULL);
    resp.body = body;
    resp.body_len = len;
    rmq_reply(c, &resp);
}

void rmq_reply_code(struct rmq_conn *c, const struct rmq_cmd *req, int code, const char *fmt, ...)
{
    if (rmq_cmd_is_oneway(req))
        return;
    struct rmq_cmd resp;
    rmq_cmd_init_response(&resp, req, code, NULL);
    if (fmt) {
        char text[RMQ_ERRLEN];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof text, fmt, ap);
        va_end(ap);
        rmq_cmd_set_remark(&resp, "%s", text);
    }
    rmq_reply(c, &resp);
}

bool rmq_need_str(struct rmq_conn *c, const struct rmq_cmd *req, const char *key, const char **out)
{
    return rmq_need_kv_str(c, req, rmq_cmd_ext_find(req, key), key, out);
}

bool rmq_need_int(struct rmq_conn *c, const struct rmq_cmd *req, const char *key, int64_t min,
                  int64_t max, int64_t *out)
{
    return rmq_need_kv_int(c, req, rmq_cmd_ext_find(req, key), key, min, max, out);
}

bool rmq_need_kv_str(struct rmq_conn *c, const struct rmq_cmd *req, const struct rmq_kv *kv,
                     const char *key, const char **out)
{
    *out = kv ? kv->val : NULL;
    if (*out && **out)
        return true;
    rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "the request header field '%s' is missing", key);
    return false;
}

bool rmq_need_kv_int(struct rmq_conn *c, const struct rmq_cmd *req, const struct rmq_kv *kv,
                     const char *key, int64_t min, int64_t max, int64_t *out)
{
    char err[RMQ_ERRLEN];
    int rc = rmq_kv_int(kv, key, min, max, out, err);
    if (rc == 0)
        return true;
    if (rc == RMQ_ENOTFOUND)
        rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "the request header field '%s' is missing", key);
    else
        rmq_reply_code(c, req, RMQ_RESP_SYSTEM_ERROR, "%s", err);
    return false;
}
