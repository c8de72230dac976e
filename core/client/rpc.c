/*
 * rpc.c — calls to one server over a lazily (re)connected request client.
 */
#include "client/rpc.h"

#include "net/client.h"
#include "proto/codes.h"
#include "util/buf.h"
#include "util/bytes.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rmq_rpc {
    struct ev_loop *loop;
    struct rmq_client *cl;
    struct rmq_addr addr;
    char peer[RMQ_ADDR_TEXTLEN];
    struct rmq_buf out;         /* scratch for encoding a request */
    rmq_rpc_request_fn on_request;
    void *request_arg;
    /* retired (rmq_rpc_retire): closed for good, calls fail at once with why */
    bool retired;
    char retired_why[RMQ_ERRLEN];
    /* connect_wait state */
    bool connect_done;
    int connect_status;
    char connect_why[RMQ_ERRLEN];
};

/* Waits running the loop on this thread (rmq_rpc_waiting). */
static _Thread_local int waiting;

bool rmq_rpc_waiting(void) { return waiting > 0; }

void rmq_rpc_run_once(struct ev_loop *loop)
{
    waiting++;
    ev_run(loop, EVRUN_ONCE);
    waiting--;
}

int rmq_frame_opaque(const uint8_t *f, size_t len, int32_t *opaque, bool *is_response)
{
    if (len < RMQ_FRAME_MIN)
        return RMQ_EINVAL;
    uint32_t word = rd32(f + 4);
    size_t hlen = word & 0xFFFFFF;
    if ((word >> 24) == RMQ_SER_ROCKETMQ) {
        /* code 2 | language 1 | version 2 | opaque 4 | flag 4 (PROTOCOL §1.4) */
        if (hlen < RMQ_BINARY_HEADER_FIXED || hlen > len - 8)
            return RMQ_EINVAL;
        *opaque = (int32_t)rd32(f + 8 + 5);
        *is_response = rd32(f + 8 + 9) & RMQ_FLAG_RESPONSE;
        return 0;
    }
    /* JSON: only servers that ignore our form would answer so; decode the whole header */
    struct rmq_cmd c = {0};
    int rc = rmq_cmd_decode(f, len, &c, NULL);
    if (rc == 0) {
        *opaque = c.opaque;
        *is_response = rmq_cmd_is_response(&c);
    }
    rmq_cmd_free(&c);
    return rc;
}

static void on_connect(void *arg, struct rmq_client *cl, int status, const char *why)
{
    struct rmq_rpc *r = arg;
    r->connect_done = true;
    r->connect_status = status;
    snprintf(r->connect_why, sizeof r->connect_why, "%s", why ? why : "");
    if (status)
        rmq_debug("client: connect to %s failed: %s", r->peer, why ? why : rmq_strerror(status));
}

static void on_close(void *arg, struct rmq_client *cl, int reason, const char *why)
{
    struct rmq_rpc *r = arg;
    rmq_debug("client: connection to %s closed: %s", r->peer, why ? why : "");
}

/* A request from the server: hand it to the handler, answer unless it is oneway. */
static void on_server_request(void *arg, struct rmq_client *cl, const uint8_t *frame, size_t len)
{
    struct rmq_rpc *r = arg;
    struct rmq_cmd req = {0};
    char err[RMQ_ERRLEN];
    if (rmq_cmd_decode(frame, len, &req, err)) {
        rmq_debug("client: undecodable request from %s dropped: %s", r->peer, err);
        rmq_cmd_free(&req);
        return;
    }
    int code = r->on_request ? r->on_request(r->request_arg, r, &req) : -1;
    if (!rmq_cmd_is_oneway(&req)) {
        struct rmq_cmd resp;
        rmq_cmd_init_response(&resp, &req, code >= 0 ? code : RMQ_RESP_REQUEST_CODE_NOT_SUPPORTED, NULL);
        if (code < 0)
            rmq_cmd_set_remark(&resp, "request type %d not supported", (int)req.code);
        struct rmq_buf out = {0};
        if (rmq_cmd_encode(&resp, &out) == 0)
            rmq_client_send(cl, out.data, out.len);
        rmq_buf_free(&out);
        rmq_cmd_free(&resp);
    }
    rmq_cmd_free(&req);
}

void rmq_rpc_on_request(struct rmq_rpc *r, rmq_rpc_request_fn fn, void *arg)
{
    r->on_request = fn;
    r->request_arg = arg;
}

struct rmq_rpc *rmq_rpc_new(struct ev_loop *loop, const struct rmq_addr *a)
{
    struct rmq_rpc *r = calloc(1, sizeof *r);
    if (!r)
        rmq_panic("out of memory");
    r->loop = loop;
    r->addr = *a;
    rmq_addr_format(a, r->peer, sizeof r->peer);
    struct rmq_client_opts o = {
        .frame_opaque = rmq_frame_opaque,
        .on_connect = on_connect,
        .on_close = on_close,
        .on_request = on_server_request,
        .arg = r,
    };
    r->cl = rmq_client_new(loop, &o);
    return r;
}

void rmq_rpc_free(struct rmq_rpc *r)
{
    if (!r)
        return;
    rmq_client_free(r->cl);
    rmq_buf_free(&r->out);
    free(r);
}

void rmq_rpc_retire(struct rmq_rpc *r, const char *why)
{
    if (r->retired)
        return;
    r->retired = true;
    snprintf(r->retired_why, sizeof r->retired_why, "%s", why ? why : "closed for good");
    rmq_client_close(r->cl);   /* pending calls fail with RMQ_ECLOSED; r stays valid */
}

struct ev_loop *rmq_rpc_loop(const struct rmq_rpc *r) { return r->loop; }
const char *rmq_rpc_peer(const struct rmq_rpc *r) { return r->peer; }
size_t rmq_rpc_pending(const struct rmq_rpc *r) { return rmq_client_pending(r->cl); }

/* Starts a connect when idle. 0 or the error that kept it from starting. */
static int ensure_connect(struct rmq_rpc *r, char *err)
{
    if (r->retired)
        return rmq_seterr(err, RMQ_ECLOSED, "connection to %s closed: %s", r->peer, r->retired_why);
    if (rmq_client_is_open(r->cl) || rmq_client_is_connecting(r->cl))
        return 0;
    char why[RMQ_ERRLEN] = "";
    r->connect_done = false;
    int rc = rmq_client_connect(r->cl, &r->addr, why);
    if (rc && why[0])
        return rmq_seterr(err, rc, "%s", why);   /* the client's text names the address */
    if (rc)
        return rmq_seterr(err, rc, "cannot connect to %s: %s", r->peer, rmq_strerror(rc));
    return 0;
}

int rmq_rpc_connect_wait(struct rmq_rpc *r, char *err)
{
    if (rmq_client_is_open(r->cl))
        return 0;
    int rc = ensure_connect(r, err);
    if (rc)
        return rc;
    while (!r->connect_done)
        rmq_rpc_run_once(r->loop);
    if (r->connect_status && r->connect_why[0])
        return rmq_seterr(err, r->connect_status, "%s", r->connect_why);
    if (r->connect_status)
        return rmq_seterr(err, r->connect_status, "cannot connect to %s: %s", r->peer,
                          rmq_strerror(r->connect_status));
    return 0;
}

static void on_reply(void *ctx, int status, const uint8_t *frame, size_t len, const char *why)
{
    struct rmq_rpc_call *call = ctx;
    call->rpc_ = NULL;
    if (status) {
        call->cb(call->ctx, status, NULL, why);
        return;
    }
    struct rmq_cmd resp = {0};
    char err[RMQ_ERRLEN];
    int rc = rmq_cmd_decode(frame, len, &resp, err);
    if (rc) {
        char text[RMQ_ERRLEN + 64];
        snprintf(text, sizeof text, "undecodable response: %s", err);
        call->cb(call->ctx, rc, NULL, text);
    } else {
        call->cb(call->ctx, 0, &resp, NULL);
    }
    rmq_cmd_free(&resp);
}

int rmq_rpc_call(struct rmq_rpc *r, struct rmq_cmd *req, int64_t timeout_ms,
                 struct rmq_rpc_call *call, char *err)
{
    int rc = ensure_connect(r, err);
    if (rc)
        return rc;
    req->opaque = rmq_client_next_opaque(r->cl);
    rmq_buf_reset(&r->out);
    rc = rmq_cmd_encode(req, &r->out);
    if (rc)
        return rmq_seterr(err, rc, "cannot encode request %d: %s", req->code, rmq_strerror(rc));
    rc = rmq_client_request(r->cl, req->opaque, r->out.data, r->out.len,
                            timeout_ms > 0 ? timeout_ms : RMQ_RPC_TIMEOUT_MS, on_reply, call);
    if (r->out.cap > (1u << 20)) /* do not keep a large body's buffer around */
        rmq_buf_free(&r->out);
    if (rc)
        return rmq_seterr(err, rc, "cannot send to %s: %s", r->peer, rmq_strerror(rc));
    call->rpc_ = r;
    call->opaque_ = req->opaque;
    return 0;
}

void rmq_rpc_cancel(struct rmq_rpc_call *call)
{
    if (call->rpc_)
        rmq_client_cancel(call->rpc_->cl, call->opaque_);
    call->rpc_ = NULL;
}

void rmq_rpc_reply_free(struct rmq_rpc_reply *rep)
{
    rmq_cmd_free(&rep->cmd);
    free(rep->frame);
    memset(rep, 0, sizeof *rep);
}

struct waiter {
    bool done;
    int status;
    char why[RMQ_ERRLEN];
    struct rmq_rpc_reply *rep;
};

static void on_wait_reply(void *ctx, int status, const uint8_t *frame, size_t len, const char *why)
{
    struct waiter *w = ctx;
    w->done = true;
    w->status = status;
    if (status) {
        snprintf(w->why, sizeof w->why, "%s", why ? why : rmq_strerror(status));
        return;
    }
    w->rep->frame = malloc(len ? len : 1);
    if (!w->rep->frame)
        rmq_panic("out of memory");
    memcpy(w->rep->frame, frame, len);
    w->rep->len = len;
    w->status = rmq_cmd_decode(w->rep->frame, len, &w->rep->cmd, w->why);
}

int rmq_rpc_call_wait(struct rmq_rpc *r, struct rmq_cmd *req, int64_t timeout_ms,
                      struct rmq_rpc_reply *rep, char *err)
{
    memset(rep, 0, sizeof *rep);
    struct waiter w = {.rep = rep};
    int rc = ensure_connect(r, err);
    if (rc)
        return rc;
    req->opaque = rmq_client_next_opaque(r->cl);
    rmq_buf_reset(&r->out);
    if ((rc = rmq_cmd_encode(req, &r->out)))
        return rmq_seterr(err, rc, "cannot encode request %d: %s", req->code, rmq_strerror(rc));
    rc = rmq_client_request(r->cl, req->opaque, r->out.data, r->out.len,
                            timeout_ms > 0 ? timeout_ms : RMQ_RPC_TIMEOUT_MS, on_wait_reply, &w);
    if (rc)
        return rmq_seterr(err, rc, "cannot send to %s: %s", r->peer, rmq_strerror(rc));
    /* the loop may run anything: r is only read again when the reply is there (an owner
     * that replaces r meanwhile retires it, and frees it only outside waits) */
    char peer[sizeof r->peer];
    memcpy(peer, r->peer, sizeof peer);
    while (!w.done)
        rmq_rpc_run_once(r->loop);
    if (w.status) {
        rmq_rpc_reply_free(rep);
        const char *name = rmq_request_name(req->code);
        return rmq_seterr(err, w.status, "%s to %s: %s", name ? name : "request", peer, w.why);
    }
    return 0;
}

int rmq_rpc_expect(const struct rmq_cmd *resp, const int *ok, int n, char *err)
{
    if (n == 0 && resp->code == RMQ_RESP_SUCCESS)
        return 0;
    for (int i = 0; i < n; i++)
        if (resp->code == ok[i])
            return 0;
    const char *name = rmq_response_name(resp->code);
    char num[16];
    snprintf(num, sizeof num, "code %d", (int)resp->code);
    rmq_seterr(err, 0, "%s: %s", name ? name : num, resp->remark ? resp->remark : "(no remark)");
    return resp->code > 0 ? resp->code : RMQ_EINVAL;
}
