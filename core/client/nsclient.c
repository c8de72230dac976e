/*
 * nsclient.c — name-server calls, each address in turn.
 */
#include "client/nsclient.h"

#include "proto/codes.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

struct rmq_ns {
    struct ev_loop *loop;
    struct rmq_addr *addrs;
    struct rmq_rpc **rpcs;      /* made on first use */
    size_t n, cur;              /* cur: the one to ask first */
    char text[1024];
};

void rmq_ns_standalone_sock(char *out, size_t n)
{
    const char *home = getenv("HOME");
    struct passwd *pw = home && *home ? NULL : getpwuid(getuid());
    if (!home || !*home)
        home = pw && pw->pw_dir ? pw->pw_dir : "/";
    snprintf(out, n, "%s/%s", home, RMQ_NAMESRV_STANDALONE_SOCK);
}

int rmq_ns_addrs_pick(const char *opt, struct rmq_addr **v, size_t *n, const char **source, char *err)
{
    const char *env = getenv("NAMESRV_ADDR");
    char text[RMQ_ADDR_PATHMAX + 64];
    const char *src = "-n";
    if (!opt && env && *env) {
        opt = env;
        src = "NAMESRV_ADDR";
    }
    if (!opt) {
        char sock[RMQ_ADDR_PATHMAX + 32];
        struct stat st;
        rmq_ns_standalone_sock(sock, sizeof sock);
        if (stat(sock, &st) == 0 && S_ISSOCK(st.st_mode) && strlen(sock) <= RMQ_ADDR_PATHMAX)
            snprintf(text, sizeof text, "unix:%s;%s", sock, RMQ_NAMESRV_DEFAULT_ADDR);
        else
            snprintf(text, sizeof text, "%s", RMQ_NAMESRV_DEFAULT_ADDR);
        opt = text;
        src = "default";
    }
    if (source)
        *source = src;
    int rc = rmq_addr_list_parse(opt, v, n, err);
    if (rc && err) {
        char inner[RMQ_ERRLEN];
        snprintf(inner, sizeof inner, "%s", err);
        rmq_seterr(err, rc, "name server address%s: %s", strcmp(src, "-n") ? " in NAMESRV_ADDR" : "", inner);
    }
    return rc;
}

struct rmq_ns *rmq_ns_new(struct ev_loop *loop, const struct rmq_addr *v, size_t n)
{
    struct rmq_ns *ns = calloc(1, sizeof *ns);
    if (!ns || !(ns->addrs = calloc(n ? n : 1, sizeof *ns->addrs)) || !(ns->rpcs = calloc(n ? n : 1, sizeof *ns->rpcs)))
        rmq_panic("out of memory");
    ns->loop = loop;
    ns->n = n;
    memcpy(ns->addrs, v, n * sizeof *v);
    rmq_addr_list_format(v, n, ns->text, sizeof ns->text);
    return ns;
}

void rmq_ns_free(struct rmq_ns *ns)
{
    if (!ns)
        return;
    for (size_t i = 0; i < ns->n; i++)
        rmq_rpc_free(ns->rpcs[i]);
    free(ns->rpcs);
    free(ns->addrs);
    free(ns);
}

struct ev_loop *rmq_ns_loop(const struct rmq_ns *ns) { return ns->loop; }
const char *rmq_ns_text(const struct rmq_ns *ns) { return ns->text; }

static struct rmq_rpc *rpc_at(struct rmq_ns *ns, size_t i)
{
    if (!ns->rpcs[i])
        ns->rpcs[i] = rmq_rpc_new(ns->loop, &ns->addrs[i]);
    return ns->rpcs[i];
}

/* appends "addr: why" to the list of what was tried */
static void tried(struct rmq_buf *b, struct rmq_ns *ns, size_t i, int rc)
{
    char a[RMQ_ADDR_TEXTLEN];
    rmq_buf_printf(b, "%s%s: %s", b->len ? "; " : "", rmq_addr_format(&ns->addrs[i], a, sizeof a), rmq_strerror(rc));
}

int rmq_ns_call_wait(struct rmq_ns *ns, struct rmq_cmd *req, struct rmq_rpc_reply *rep, char *err)
{
    struct rmq_buf why = {0};
    int rc = RMQ_ENOTFOUND;
    memset(rep, 0, sizeof *rep);
    for (size_t k = 0; k < ns->n; k++) {
        size_t i = (ns->cur + k) % ns->n;
        rc = rmq_rpc_call_wait(rpc_at(ns, i), req, 0, rep, NULL);
        if (rc == 0) {
            ns->cur = i;
            rmq_cmd_free(req);
            rmq_buf_free(&why);
            if ((rc = rmq_rpc_expect(&rep->cmd, NULL, 0, err)))
                rmq_rpc_reply_free(rep);
            return rc;
        }
        rmq_debug("name server %zu of %zu did not answer: %s", i + 1, ns->n, rmq_strerror(rc));
        tried(&why, ns, i, rc);
    }
    rmq_cmd_free(req);
    rmq_buf_add(&why, "", 1);
    rmq_seterr(err, rc, "no name server reachable (tried %s)", (const char *)why.data);
    rmq_buf_free(&why);
    return rc < 0 ? rc : RMQ_ENOTFOUND;
}

static void route_req(struct rmq_cmd *req, const char *topic)
{
    rmq_cmd_init_request(req, RMQ_REQ_GET_ROUTEINFO_BY_TOPIC, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(req, "topic", topic);
}

/* TOPIC_NOT_EXIST said in our words; other refusals keep the name server's. */
static int unknown_topic(struct rmq_ns *ns, const char *topic, int rc, char *err)
{
    if (rc == RMQ_RESP_TOPIC_NOT_EXIST)
        rmq_seterr(err, rc, "topic '%s' unknown to the name servers (%s)", topic, ns->text);
    return rc;
}

int rmq_ns_route_wait(struct rmq_ns *ns, const char *topic, struct rmq_topic_route *r, char *err)
{
    struct rmq_cmd req;
    struct rmq_rpc_reply rep;
    memset(r, 0, sizeof *r);
    route_req(&req, topic);
    int rc = rmq_ns_call_wait(ns, &req, &rep, err);
    if (rc)
        return unknown_topic(ns, topic, rc, err);
    rc = rmq_topic_route_decode(rep.cmd.body, rep.cmd.body_len, r, err);
    rmq_rpc_reply_free(&rep);
    return rc;
}

int rmq_ns_cluster_wait(struct rmq_ns *ns, struct rmq_cluster_info *ci, char *err)
{
    struct rmq_cmd req;
    struct rmq_rpc_reply rep;
    memset(ci, 0, sizeof *ci);
    rmq_cmd_init_request(&req, RMQ_REQ_GET_BROKER_CLUSTER_INFO, RMQ_SER_ROCKETMQ);
    int rc = rmq_ns_call_wait(ns, &req, &rep, err);
    if (rc)
        return rc;
    rc = rmq_cluster_info_decode(rep.cmd.body, rep.cmd.body_len, ci, err);
    rmq_rpc_reply_free(&rep);
    return rc;
}

int rmq_ns_topics_wait(struct rmq_ns *ns, char ***names, size_t *n, char *err)
{
    struct rmq_cmd req;
    struct rmq_rpc_reply rep;
    *names = NULL;
    *n = 0;
    rmq_cmd_init_request(&req, RMQ_REQ_GET_ALL_TOPIC_LIST_FROM_NAMESERVER, RMQ_SER_ROCKETMQ);
    int rc = rmq_ns_call_wait(ns, &req, &rep, err);
    if (rc)
        return rc;
    rc = rmq_topic_list_decode(rep.cmd.body, rep.cmd.body_len, names, n, err);
    rmq_rpc_reply_free(&rep);
    return rc;
}

/* ---- the asynchronous route request ---- */

static void op_send(struct rmq_ns_op *op);

static void op_done(struct rmq_ns_op *op, int rc, const struct rmq_topic_route *r, const char *err)
{
    op->busy_ = false;
    free(op->topic_);
    op->topic_ = NULL;
    op->cb_(op->arg_, rc, r, err);
}

static void op_reply(void *ctx, int status, const struct rmq_cmd *resp, const char *why)
{
    struct rmq_ns_op *op = ctx;
    struct rmq_ns *ns = op->ns_;
    size_t i = (ns->cur + op->tried_) % ns->n;
    char err[RMQ_ERRLEN];
    if (status) {
        op->tried_++;
        if (op->tried_ < ns->n) {
            op_send(op);
            return;
        }
        rmq_seterr(err, status, "no name server reachable (tried %s): %s", ns->text, why ? why : rmq_strerror(status));
        op_done(op, status, NULL, err);
        return;
    }
    ns->cur = i;
    int rc = rmq_rpc_expect(resp, NULL, 0, err);
    if (rc) {
        unknown_topic(ns, op->topic_, rc, err);
        op_done(op, rc, NULL, err);
        return;
    }
    struct rmq_topic_route r;
    rc = rmq_topic_route_decode(resp->body, resp->body_len, &r, err);
    op_done(op, rc, rc ? NULL : &r, err);
    if (rc == 0)
        rmq_topic_route_free(&r);
}

static void op_send(struct rmq_ns_op *op)
{
    struct rmq_ns *ns = op->ns_;
    for (; op->tried_ < ns->n; op->tried_++) {
        size_t i = (ns->cur + op->tried_) % ns->n;
        struct rmq_cmd req;
        route_req(&req, op->topic_);
        op->call_.cb = op_reply;
        op->call_.ctx = op;
        int rc = rmq_rpc_call(rpc_at(ns, i), &req, 0, &op->call_, NULL);
        rmq_cmd_free(&req);
        if (rc == 0)
            return;
    }
    char err[RMQ_ERRLEN];
    rmq_seterr(err, RMQ_ENOTFOUND, "no name server reachable (tried %s)", ns->text);
    op_done(op, RMQ_ENOTFOUND, NULL, err);
}

bool rmq_ns_route_async(struct rmq_ns *ns, const char *topic, struct rmq_ns_op *op, rmq_ns_route_fn cb, void *arg)
{
    if (op->busy_)
        return false;
    op->ns_ = ns;
    op->topic_ = strdup(topic);
    if (!op->topic_)
        rmq_panic("out of memory");
    op->tried_ = 0;
    op->busy_ = true;
    op->cb_ = cb;
    op->arg_ = arg;
    op_send(op);
    return true;
}

void rmq_ns_op_cancel(struct rmq_ns_op *op)
{
    if (!op->busy_)
        return;
    rmq_rpc_cancel(&op->call_);
    op->busy_ = false;
    free(op->topic_);
    op->topic_ = NULL;
}

int rmq_ns_call_each_wait(struct rmq_ns *ns, struct rmq_cmd *req, char *err)
{
    int first = 0;
    for (size_t i = 0; i < ns->n; i++) {
        struct rmq_rpc_reply rep;
        char e[RMQ_ERRLEN];
        int rc = rmq_rpc_call_wait(rpc_at(ns, i), req, 0, &rep, e);
        if (rc == 0) {
            rc = rmq_rpc_expect(&rep.cmd, NULL, 0, e);
            rmq_rpc_reply_free(&rep);
        }
        if (rc && !first) {
            char a[RMQ_ADDR_TEXTLEN];
            first = rmq_seterr(err, rc, "name server %s: %s", rmq_addr_format(&ns->addrs[i], a, sizeof a), e);
        }
    }
    rmq_cmd_free(req);
    return first;
}
