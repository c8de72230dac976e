/*
 * target.c — where a client command sends its requests: -b (one broker, directly) or the
 * name servers (-n, NAMESRV_ADDR, the standalone socket, 127.0.0.1:9876; nsclient.h).
 */
#include "cmd.h"

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

void cmd_target_free(struct cmd_target *t)
{
    rmq_ns_free(t->ns);
    t->ns = NULL;
}
