/*
 * target.c — where a client command sends its requests: -b (one broker, directly) or the
 * name servers (-n, NAMESRV_ADDR, the standalone socket, 127.0.0.1:9876; nsclient.h).
 */
#include "cmd.h"

#include "client/route.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

int cmd_target_init(struct cmd_target *t, struct ev_loop *loop, const char *cmd, const char *usage)
{
    char err[RMQ_ERRLEN];
    if (t->broker && t->namesrv)
        return cmd_usage_error(usage, cmd, "-b and -n exclude each other: one broker, or the name servers");
    if (!t->broker && !t->namesrv && !t->ns_only) {
        const char *env = getenv("RMQ_BROKER");
        if (env && *env)
            t->broker = env;
    }
    if (t->broker) {
        if (rmq_addr_parse(t->broker, &t->baddr, err))
            return cmd_usage_error(usage, cmd, "--broker: %s", err);
        t->direct = true;
        t->loop = loop;
        return 0;
    }
    struct rmq_addr *v;
    size_t n;
    if (rmq_ns_addrs_pick(t->namesrv, &v, &n, NULL, err))
        return cmd_usage_error(usage, cmd, "%s", err);
    t->ns = rmq_ns_new(loop, v, n);
    t->loop = loop;
    free(v);
    return 0;
}

struct rmq_qset *cmd_target_qset(struct cmd_target *t, const char *topic, enum rmq_qset_use use)
{
    return t->direct ? rmq_qset_new_direct(t->loop, &t->baddr, topic, use) : rmq_qset_new_ns(t->ns, topic, use);
}

int cmd_target_each_master(struct cmd_target *t, const char *cmd, const char *cluster,
                           int (*fn)(void *arg, struct rmq_rpc *rpc, const char *broker), void *arg)
{
    char err[RMQ_ERRLEN];
    if (t->direct) {
        struct rmq_rpc *rpc = rmq_rpc_new(t->loop, &t->baddr);
        int rc = rmq_rpc_connect_wait(rpc, err) ? cmd_fail(cmd, "%s", err) : fn(arg, rpc, rmq_rpc_peer(rpc));
        rmq_rpc_free(rpc);
        return rc ? 1 : 0;
    }
    struct rmq_cluster_info ci;
    if (rmq_ns_cluster_wait(t->ns, &ci, err))
        return cmd_fail(cmd, "%s", err);
    int done = 0, failed = 0;
    for (size_t i = 0; i < ci.nbrokers; i++) {
        const struct rmq_broker_data *b = &ci.brokers[i];
        const char *m = rmq_route_master(b);
        struct rmq_addr a;
        if ((cluster && strcmp(b->cluster, cluster)) || !*m)
            continue;
        if (rmq_addr_parse(m, &a, err)) {
            cmd_fail(cmd, "broker %s: bad address '%s'", b->broker_name, m);
            failed++;
            continue;
        }
        struct rmq_rpc *rpc = rmq_rpc_new(t->loop, &a);
        if (fn(arg, rpc, b->broker_name))
            failed++;
        else
            done++;
        rmq_rpc_free(rpc);
    }
    rmq_cluster_info_free(&ci);
    if (!done && !failed)
        return cmd_fail(cmd, "no master broker%s%s%s registered with the name servers (%s)",
                        cluster ? " of cluster '" : "", cluster ? cluster : "", cluster ? "'" : "",
                        rmq_ns_text(t->ns));
    return failed ? 1 : 0;
}

void cmd_target_free(struct cmd_target *t)
{
    rmq_ns_free(t->ns);
    t->ns = NULL;
}
