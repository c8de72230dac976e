/*
 * cluster.c — `rmq cluster list`: every broker of every cluster the name servers know, with
 * the figures of its runtime info, in mqadmin clusterList's columns (PROTOCOL §11.3, the
 * 5.x form) or as JSON.
 */
#include "cmd.h"

#include "client/admin.h"
#include "client/format.h"
#include "client/nsclient.h"
#include "client/route.h"
#include "client/rpc.h"
#include "proto/codes.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"

#include <ev.h>
#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: rmq cluster list [-n ADDR[;ADDR]] [-c CLUSTER] [--json]\n"
    "\n"
    "Lists every broker (masters and slaves) of every cluster registered with the name\n"
    "servers, with its version, load and disk figures (as mqadmin clusterList).\n"
    "\n"
    "  -n, --namesrv ADDRS   name servers, host:port or unix:/path, ';'-separated (default\n"
    "                        $NAMESRV_ADDR, else the local standalone name server, else\n"
    "                        127.0.0.1:9876)\n"
    "  -c, --cluster NAME    only this cluster\n"
    "      --json            a JSON array instead of a table: cluster, brokerName,\n"
    "                        brokerId, addr and the broker's runtime table (or error)\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 done, 1 no name server answered or a broker did not (its row is then\n"
    "printed with empty figures and the reason on stderr), 2 usage error.\n";

enum { O_JSON = 256 };

static const struct option longopts[] = {
    {"namesrv", required_argument, NULL, 'n'}, {"cluster", required_argument, NULL, 'c'},
    {"json", no_argument, NULL, O_JSON},       {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* GET_BROKER_RUNTIME_INFO's table, or NULL with err. */
static json_t *runtime_info(struct ev_loop *loop, const char *addr_text, char *err)
{
    struct rmq_addr a;
    if (rmq_addr_parse(addr_text, &a, err))
        return NULL;
    struct rmq_rpc *rpc = rmq_rpc_new(loop, &a);
    struct rmq_cmd req;
    struct rmq_rpc_reply rep;
    rmq_cmd_init_request(&req, RMQ_REQ_GET_BROKER_RUNTIME_INFO, RMQ_SER_ROCKETMQ);
    json_t *table = NULL;
    if (rmq_admin_call(rpc, &req, &rep, err) == 0) {
        json_error_t je;
        json_t *root = json_loadb((const char *)rep.cmd.body, rep.cmd.body_len, 0, &je);
        table = json_object_get(root, "table");
        if (json_is_object(table))
            json_incref(table);
        else
            table = NULL, rmq_seterr(err, RMQ_EINVAL, "runtime info from %s does not parse", addr_text);
        json_decref(root);
        rmq_rpc_reply_free(&rep);
    }
    rmq_rpc_free(rpc);
    return table;
}

static const char *kv(json_t *t, const char *k, const char *dflt)
{
    const char *v = json_string_value(json_object_get(t, k));
    return v ? v : dflt;
}

/* the first of the space-separated numbers of a *Tps value */
static double first_num(const char *s) { return s ? strtod(s, NULL) : 0.; }

static void row(struct rmq_buf *out, const char *cluster, const struct rmq_broker_data *b,
                const struct rmq_broker_addr *a, json_t *t)
{
    char bid[24], in[64], outs[96], timer[96], hour[32], space[32];
    snprintf(bid, sizeof bid, "%lld", (long long)a->id);
    snprintf(in, sizeof in, "%9.2f(%s,%sms)", first_num(kv(t, "putTps", NULL)), kv(t, "sendThreadPoolQueueSize", "0"),
             kv(t, "sendThreadPoolQueueHeadWaitTimeMills", "0"));
    const char *get = kv(t, "getTransferredTps", kv(t, "getTransferedTps", NULL));
    snprintf(outs, sizeof outs, "%9.2f(%s,%sms|%s,%sms)", first_num(get), kv(t, "pullThreadPoolQueueSize", "0"),
             kv(t, "pullThreadPoolQueueHeadWaitTimeMills", "0"), kv(t, "ackThreadPoolQueueSize", "N"),
             kv(t, "ackThreadPoolQueueHeadWaitTimeMills", "N"));
    snprintf(timer, sizeof timer, "%s-%s(%.1fw, %.1f, %.1f)", kv(t, "timerReadBehind", "0"), kv(t, "timerOffsetBehind", "0"),
             first_num(kv(t, "timerCongestNum", "0")) / 10000., first_num(kv(t, "timerEnqueueTps", "0")),
             first_num(kv(t, "timerDequeueTps", "0")));
    const char *earliest = kv(t, "earliestMessageTimeStamp", NULL);
    snprintf(hour, sizeof hour, "%2.2f", earliest ? (double)(rmq_now_ms() - strtoll(earliest, NULL, 10)) / 3600000. : 0.);
    snprintf(space, sizeof space, "%.4f", first_num(kv(t, "commitLogDiskRatio", "0")));
    rmq_buf_printf(out, "%-22s  %-22s  %-4s  %-22s %-16s  %16s  %30s  %-22s  %11s  %-12s  %-8s  %10s\n", cluster,
                   b->broker_name, bid, a->addr, kv(t, "brokerVersionDesc", ""), in, outs, timer,
                   kv(t, "pageCacheLockTimeMills", "0"), hour, space, kv(t, "brokerActive", "false"));
}

static int do_list(struct rmq_ns *ns, const char *only, bool json)
{
    char err[RMQ_ERRLEN];
    struct rmq_cluster_info ci;
    int rc = rmq_ns_cluster_wait(ns, &ci, err);
    if (rc)
        return cmd_fail("cluster", "%s", err);
    struct rmq_buf out = {0};
    json_t *arr = json_array();
    if (!json)
        rmq_buf_printf(&out, "%-22s  %-22s  %-4s  %-22s %-16s  %16s  %30s  %-22s  %-11s  %-12s  %-8s  %-10s\n",
                       "#Cluster Name", "#Broker Name", "#BID", "#Addr", "#Version", "#InTPS(LOAD)", "#OutTPS(LOAD)",
                       "#Timer(Progress)", "#PCWait(ms)", "#Hour", "#SPACE", "#ACTIVATED");
    int failed = 0;
    /* clusters by name, their brokers by name (Java's TreeSet), addresses by id */
    for (size_t i = 0; i < ci.nclusters; i++)
    for (size_t j = 0; j < ci.clusters[i].nbrokers; j++) {
        const struct rmq_cluster *cl = &ci.clusters[i];
        const struct rmq_broker_data *b = rmq_cluster_info_broker(&ci, cl->brokers[j]);
        if (!b || (only && strcmp(cl->name, only) != 0))
            continue;
        for (size_t k = 0; k < b->naddrs; k++) {
            const struct rmq_broker_addr *a = &b->addrs[k];
            json_t *t = runtime_info(rmq_ns_loop(ns), a->addr, err);
            if (!t) {
                fprintf(stderr, "rmq cluster: %s (%s, id %lld): %s\n", b->broker_name, a->addr, (long long)a->id, err);
                failed++;
            }
            if (json) {
                json_t *o = json_pack("{s:s, s:s, s:I, s:s}", "cluster", cl->name, "brokerName", b->broker_name,
                                      "brokerId", (json_int_t)a->id, "addr", a->addr);
                if (t)
                    json_object_set(o, "runtime", t);
                else
                    json_object_set_new(o, "error", json_string(err));
                json_array_append_new(arr, o);
            } else {
                row(&out, cl->name, b, a, t);
            }
            json_decref(t);
        }
    }
    if (json) {
        char *text = json_dumps(arr, JSON_COMPACT);
        rmq_buf_printf(&out, "%s\n", text);
        free(text);
    }
    json_decref(arr);
    rmq_cluster_info_free(&ci);
    fwrite(out.data, 1, out.len, stdout);
    rmq_buf_free(&out);
    return failed ? 1 : 0;
}

int cmd_cluster(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 2)
        return cmd_usage_error(usage, "cluster", "missing subcommand");
    if (strcmp(argv[1], "list"))
        return cmd_usage_error(usage, "cluster", "unknown subcommand '%s'", argv[1]);
    struct cmd_target tg = {0};
    const char *only = NULL;
    bool json = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "n:c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n': tg.namesrv = optarg; break;
        case 'c': only = optarg; break;
        case O_JSON: json = true; break;
        default:
            return cmd_usage_error(usage, "cluster", "bad option or missing argument: '%s'", argv[optind]);
        }
    }
    if (optind < argc - 1)
        return cmd_usage_error(usage, "cluster", "unexpected argument '%s'", argv[1 + optind]);
    tg.ns_only = true;   /* cluster info is the name servers' */
    int rc = cmd_target_init(&tg, EV_DEFAULT, "cluster", usage);
    if (rc)
        return rc;
    rc = do_list(tg.ns, only, json);
    cmd_target_free(&tg);
    return rc;
}
