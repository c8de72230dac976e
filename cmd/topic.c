/*
 * topic.c — `rmq topic create|update|delete|list|route|status`: topics across the brokers
 * the name servers know (or of one broker with -b), printed the way mqadmin's updateTopic,
 * deleteTopic, topicList, topicRoute and topicStatus print them (PROTOCOL §11.4, §11.5,
 * §11.7).
 */
#include "cmd.h"

#include "client/admin.h"
#include "client/admin_tools.h"
#include "client/format.h"
#include "client/nsclient.h"
#include "client/route.h"
#include "client/rpc.h"
#include "proto/codes.h"
#include "util/buf.h"
#include "util/err.h"

#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: rmq topic create TOPIC [-n ADDRS|-b ADDR] [-c CLUSTER] [-r READ] [-w WRITE] [-p PERM] [--order]\n"
    "       rmq topic update TOPIC [-n ADDRS|-b ADDR] [-c CLUSTER] [-r READ] [-w WRITE] [-p PERM] [--order]\n"
    "       rmq topic delete TOPIC [-n ADDRS|-b ADDR]\n"
    "       rmq topic list [-n ADDRS|-b ADDR] [--json]\n"
    "       rmq topic route TOPIC [-n ADDRS] [--json]\n"
    "       rmq topic status TOPIC [-n ADDRS|-b ADDR] [--json]\n"
    "\n"
    "Creates, changes, deletes, lists and shows topics on every master broker the name\n"
    "servers know (create/update: of CLUSTER only with -c), or on one broker with -b.\n"
    "\n"
    "  -n, --namesrv ADDRS   name servers, host:port or unix:/path, ';'-separated (default\n"
    "                        $NAMESRV_ADDR, else the local standalone name server, else\n"
    "                        127.0.0.1:9876)\n"
    "  -b, --broker ADDR     this one broker, without name servers (default $RMQ_BROKER\n"
    "                        when set)\n"
    "  -c, --cluster NAME    create/update: only the masters of this cluster\n"
    "  -r, --read N          read queues (create/update; default 8)\n"
    "  -w, --write N         write queues (create/update; default 8)\n"
    "  -p, --perm PERM       permission: 2 (W), 4 (R), 6 (RW, the default), 0..7\n"
    "      --order           mark the topic ordered\n"
    "      --json            list, route and status: JSON instead of a table\n"
    "  -h, --help            this text\n"
    "\n"
    "list prints one topic name per line (as mqadmin topicList); route prints, per broker,\n"
    "its cluster, master address, read and write queue counts and permission (--json: the\n"
    "TopicRouteData as the name server sent it, keys quoted); status prints each queue's\n"
    "min and max offsets and the store time of its last message (as mqadmin topicStatus).\n"
    "Exit status: 0 done, 1 the broker refused or could not be reached, 2 usage error.\n";

enum { O_ORDER = 256, O_JSON };

static const struct option longopts[] = {
    {"broker", required_argument, NULL, 'b'}, {"namesrv", required_argument, NULL, 'n'},
    {"cluster", required_argument, NULL, 'c'}, {"read", required_argument, NULL, 'r'},
    {"write", required_argument, NULL, 'w'},  {"perm", required_argument, NULL, 'p'},
    {"order", no_argument, NULL, O_ORDER},    {"json", no_argument, NULL, O_JSON},
    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
};

/* create/update asked of one master broker (cmd_target_each_master's callback). */
struct topic_update {
    const char *sub, *topic;
    int rq, wq, perm;
    bool order;
    int done;
};

static int update_one(void *arg, struct rmq_rpc *rpc, const char *broker)
{
    struct topic_update *u = arg;
    char err[RMQ_ERRLEN];
    if (rmq_admin_tools_update_topic(rpc, u->topic, u->rq, u->wq, u->perm, u->order, err))
        return cmd_fail("topic", "%s topic '%s' on broker %s (%s): %s", u->sub, u->topic, broker, rmq_rpc_peer(rpc),
                        err);
    printf("create topic to %s success.\n", rmq_rpc_peer(rpc));
    u->done++;
    return 0;
}

/* create/update on the one broker, or every master (of cluster when given), as mqadmin
 * updateTopic -b / -c: a line per broker, then the TopicConfig once. */
static int update_all(struct cmd_target *tg, const char *cluster, struct topic_update *u)
{
    int rc = cmd_target_each_master(tg, "topic", cluster, update_one, u);
    if (u->done) {
        char p[4];
        rmq_perm_str(u->perm, p);
        printf("TopicConfig [topicName=%s, readQueueNums=%d, writeQueueNums=%d, perm=%s, "
               "topicFilterType=SINGLE_TAG, topicSysFlag=0, order=%s]\n",
               u->topic, u->rq, u->wq, p, u->order ? "true" : "false");
    }
    return rc;
}

static int do_delete(struct rmq_rpc *rpc, const char *topic)
{
    char err[RMQ_ERRLEN];
    struct rmq_topic_info ti;
    int rc = rmq_admin_topic(rpc, topic, &ti, NULL, err);
    if (rc == 0)
        rc = rmq_admin_tools_delete_topic(rpc, topic, err);
    if (rc)
        return cmd_fail("topic", "delete topic '%s': %s", topic, err);
    printf("delete topic [%s] from broker [%s] success.\n", topic, rmq_rpc_peer(rpc));
    return 0;
}

/* One name per line (mqadmin topicList), or a JSON array; frees names. */
static int print_names(char **names, size_t n, bool json)
{
    struct rmq_buf out = {0};
    if (json)
        rmq_buf_addstr(&out, "[");
    for (size_t i = 0; i < n; i++) {
        if (json) {
            if (i)
                rmq_buf_addstr(&out, ",");
            rmq_json_string(&out, names[i], strlen(names[i]));
        } else {
            rmq_buf_printf(&out, "%s\n", names[i]);
        }
        free(names[i]);
    }
    if (json)
        rmq_buf_addstr(&out, "]\n");
    free(names);
    if (out.len)
        fwrite(out.data, 1, out.len, stdout);
    rmq_buf_free(&out);
    return 0;
}

static int do_list(struct rmq_rpc *rpc, bool json)
{
    char err[RMQ_ERRLEN];
    char **names;
    size_t n;
    int rc = rmq_admin_tools_topic_names(rpc, &names, &n, err);
    if (rc)
        return cmd_fail("topic", "%s", err);
    return print_names(names, n, json);
}

static void print_status(struct rmq_queue_stat *qs, size_t n, bool json)
{
    struct rmq_buf out = {0};
    if (json)
        rmq_buf_addstr(&out, "[");
    else
        rmq_buf_printf(&out, "%-32s  %-4s  %-20s  %-20s    %s\n", "#Broker Name", "#QID", "#Min Offset",
                       "#Max Offset", "#Last Updated");
    for (size_t i = 0; i < n; i++) {
        char ts[40];
        rmq_format_time(qs[i].last_ts, ts, sizeof ts);
        if (json) {
            rmq_buf_addstr(&out, i ? ",{\"brokerName\":" : "{\"brokerName\":");
            rmq_json_string(&out, qs[i].broker, strlen(qs[i].broker));
            rmq_buf_addstr(&out, ",\"topic\":");
            rmq_json_string(&out, qs[i].topic, strlen(qs[i].topic));
            rmq_buf_printf(&out, ",\"queueId\":%d,\"minOffset\":%lld,\"maxOffset\":%lld,\"lastUpdateTimestamp\":%lld}",
                           qs[i].qid, (long long)qs[i].min, (long long)qs[i].max, (long long)qs[i].last_ts);
        } else {
            rmq_buf_printf(&out, "%-32.32s  %-4d  %-20lld  %-20lld    %s\n", qs[i].broker, qs[i].qid,
                           (long long)qs[i].min, (long long)qs[i].max, ts);
        }
    }
    if (json)
        rmq_buf_addstr(&out, "]\n");
    fwrite(out.data, 1, out.len, stdout);
    rmq_buf_free(&out);
}

static int do_status(struct rmq_rpc *rpc, const char *topic, bool json)
{
    char err[RMQ_ERRLEN];
    struct rmq_queue_stat *qs;
    size_t n;
    int rc = rmq_admin_tools_topic_stats(rpc, topic, &qs, &n, err);
    if (rc)
        return cmd_fail("topic", "status of '%s': %s", topic, err);
    print_status(qs, n, json);
    free(qs);
    return 0;
}

/* ---- through the name servers ---- */

static struct rmq_rpc *rpc_to(const char *addr_text)
{
    struct rmq_addr a;
    if (rmq_addr_parse(addr_text, &a, NULL))
        return NULL;
    return rmq_rpc_new(EV_DEFAULT, &a);
}

static int cmp_stat_rows(const void *a, const void *b)
{
    const struct rmq_queue_stat *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (!c)
        c = strcmp(x->broker, y->broker);
    return c ? c : (x->qid > y->qid) - (x->qid < y->qid);
}

/* GET_TOPIC_STATS_INFO from every master of the topic's route, merged (mqadmin topicStatus). */
static int ns_status(struct rmq_ns *ns, const char *topic, bool json)
{
    char err[RMQ_ERRLEN];
    struct rmq_topic_route r;
    int rc = rmq_ns_route_wait(ns, topic, &r, err);
    if (rc)
        return cmd_fail("topic", "%s", err);
    struct rmq_queue_stat *all = NULL;
    size_t n = 0;
    int failed = 0;
    for (size_t i = 0; i < r.nqueues; i++) {
        const struct rmq_broker_data *b = rmq_topic_route_broker(&r, r.queues[i].broker_name);
        const char *m = rmq_route_master(b);
        struct rmq_rpc *rpc = *m ? rpc_to(m) : NULL;
        struct rmq_queue_stat *qs;
        size_t k;
        if (!rpc) {
            cmd_fail("topic", "broker %s has no usable master address", r.queues[i].broker_name);
            failed++;
            continue;
        }
        rc = rmq_admin_tools_topic_stats(rpc, topic, &qs, &k, err);
        rmq_rpc_free(rpc);
        if (rc) {
            cmd_fail("topic", "status of '%s' on broker %s: %s", topic, r.queues[i].broker_name, err);
            failed++;
            continue;
        }
        all = realloc(all, (n + k + 1) * sizeof *all);
        if (!all)
            exit(1);
        memcpy(all + n, qs, k * sizeof *qs);
        n += k;
        free(qs);
    }
    rmq_topic_route_free(&r);
    qsort(all, n, sizeof *all, cmp_stat_rows);
    print_status(all, n, json);
    free(all);
    return failed ? 1 : 0;
}

static int ns_list(struct rmq_ns *ns, bool json)
{
    char err[RMQ_ERRLEN], **names;
    size_t n;
    int rc = rmq_ns_topics_wait(ns, &names, &n, err);
    if (rc)
        return cmd_fail("topic", "%s", err);
    return print_names(names, n, json);
}

static int cmp_qd(const void *a, const void *b)
{
    return strcmp(((const struct rmq_queue_data *)a)->broker_name, ((const struct rmq_queue_data *)b)->broker_name);
}

/* The route: one row per broker holding the topic, or its TopicRouteData as JSON. */
static int ns_route(struct rmq_ns *ns, const char *topic, bool json)
{
    char err[RMQ_ERRLEN];
    struct rmq_topic_route r;
    int rc = rmq_ns_route_wait(ns, topic, &r, err);
    if (rc)
        return cmd_fail("topic", "%s", err);
    struct rmq_buf out = {0};
    if (json) {
        rmq_topic_route_encode(&r, RMQ_KEYS_QUOTED, &out);
        rmq_buf_addstr(&out, "\n");
    } else {
        qsort(r.queues, r.nqueues, sizeof *r.queues, cmp_qd);
        rmq_buf_printf(&out, "%-22s  %-22s  %-22s  %-5s  %-6s  %s\n", "#Cluster Name", "#Broker Name", "#Master Addr",
                       "#Read", "#Write", "#Perm");
        for (size_t i = 0; i < r.nqueues; i++) {
            const struct rmq_broker_data *b = rmq_topic_route_broker(&r, r.queues[i].broker_name);
            const char *m = rmq_route_master(b);
            char p[4];
            rmq_perm_str(r.queues[i].perm, p);
            rmq_buf_printf(&out, "%-22s  %-22s  %-22s  %-5d  %-6d  %s\n", b ? b->cluster : "", r.queues[i].broker_name,
                           *m ? m : "-", r.queues[i].read_queue_nums, r.queues[i].write_queue_nums, p);
        }
    }
    rmq_topic_route_free(&r);
    fwrite(out.data, 1, out.len, stdout);
    rmq_buf_free(&out);
    return 0;
}

/* delete on every master holding it, then in every name server (as mqadmin deleteTopic). */
static int ns_delete(struct rmq_ns *ns, const char *topic)
{
    char err[RMQ_ERRLEN];
    struct rmq_topic_route r;
    int rc = rmq_ns_route_wait(ns, topic, &r, err);
    if (rc)
        return cmd_fail("topic", "delete topic '%s': %s", topic, err);
    int failed = 0;
    for (size_t i = 0; i < r.nqueues; i++) {
        const char *m = rmq_route_master(rmq_topic_route_broker(&r, r.queues[i].broker_name));
        struct rmq_rpc *rpc = *m ? rpc_to(m) : NULL;
        rc = rpc ? rmq_admin_tools_delete_topic(rpc, topic, err) : RMQ_EINVAL;
        if (rc) {
            cmd_fail("topic", "delete topic '%s' on broker %s: %s", topic, r.queues[i].broker_name, rpc ? err : "no master");
            failed++;
        } else {
            printf("delete topic [%s] from broker [%s] success.\n", topic, r.queues[i].broker_name);
        }
        rmq_rpc_free(rpc);
    }
    rmq_topic_route_free(&r);
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_DELETE_TOPIC_IN_NAMESRV, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "topic", topic);
    if ((rc = rmq_ns_call_each_wait(ns, &req, err))) {
        cmd_fail("topic", "delete topic '%s': %s", topic, err);
        failed++;
    } else {
        printf("delete topic [%s] from NameServer success.\n", topic);
    }
    return failed ? 1 : 0;
}

int cmd_topic(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 2)
        return cmd_usage_error(usage, "topic", "missing subcommand");
    const char *sub = argv[1];
    bool upd = !strcmp(sub, "create") || !strcmp(sub, "update");
    if (!upd && strcmp(sub, "delete") && strcmp(sub, "list") && strcmp(sub, "status") && strcmp(sub, "route"))
        return cmd_usage_error(usage, "topic", "unknown subcommand '%s'", sub);
    struct cmd_target tg = {0};
    const char *cluster = NULL;
    long rq = 8, wq = 8, perm = 6;
    bool order = false, json = false, queue_opt = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "b:n:c:r:w:p:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': tg.broker = optarg; break;
        case 'n': tg.namesrv = optarg; break;
        case 'c': cluster = optarg; break;
        case 'r':
            if (cmd_parse_long(optarg, 1, 1024, &rq))
                return cmd_usage_error(usage, "topic", "--read must be from 1 to 1024");
            queue_opt = true;
            break;
        case 'w':
            if (cmd_parse_long(optarg, 1, 1024, &wq))
                return cmd_usage_error(usage, "topic", "--write must be from 1 to 1024");
            queue_opt = true;
            break;
        case 'p':
            if (cmd_parse_long(optarg, 0, 7, &perm))
                return cmd_usage_error(usage, "topic", "--perm must be from 0 to 7");
            queue_opt = true;
            break;
        case O_ORDER: order = true; queue_opt = true; break;
        case O_JSON: json = true; break;
        default:
            return cmd_usage_error(usage, "topic", "bad option or missing argument: '%s'", argv[optind]);
        }
    }
    int nargs = argc - 1 - optind;
    char **args = argv + 1 + optind;
    bool list = !strcmp(sub, "list");
    if (!list && nargs < 1)
        return cmd_usage_error(usage, "topic", "%s: missing TOPIC", sub);
    if (nargs > (list ? 0 : 1))
        return cmd_usage_error(usage, "topic", "%s: unexpected argument '%s'", sub, args[list ? 0 : 1]);
    if (queue_opt && !upd)
        return cmd_usage_error(usage, "topic", "-r, -w, -p and --order are for create and update");
    if (json && strcmp(sub, "list") && strcmp(sub, "status") && strcmp(sub, "route"))
        return cmd_usage_error(usage, "topic", "--json is for list, route and status");
    if (cluster && !upd)
        return cmd_usage_error(usage, "topic", "-c is for create and update");
    const char *topic = list ? NULL : args[0];
    char err[RMQ_ERRLEN];
    if (topic && (!*topic || strlen(topic) > 127))
        return cmd_usage_error(usage, "topic", "a topic name has 1 to 127 characters");
    int rc = cmd_target_init(&tg, EV_DEFAULT, "topic", usage);
    if (rc)
        return rc;
    if (tg.direct && cluster)
        return cmd_usage_error(usage, "topic", "-c needs the name servers, not -b");
    if (upd) {
        struct topic_update u = {sub, topic, (int)rq, (int)wq, (int)perm, order, 0};
        rc = update_all(&tg, cluster, &u);
        cmd_target_free(&tg);
        return rc;
    }
    if (!tg.direct) {
        if (!strcmp(sub, "delete"))
            rc = ns_delete(tg.ns, topic);
        else if (list)
            rc = ns_list(tg.ns, json);
        else if (!strcmp(sub, "route"))
            rc = ns_route(tg.ns, topic, json);
        else
            rc = ns_status(tg.ns, topic, json);
        cmd_target_free(&tg);
        return rc;
    }
    if (!strcmp(sub, "route"))
        return cmd_usage_error(usage, "topic", "route needs the name servers, not -b");
    struct rmq_rpc *rpc = rmq_rpc_new(EV_DEFAULT, &tg.baddr);
    if (rmq_rpc_connect_wait(rpc, err))
        rc = cmd_fail("topic", "%s", err);
    else if (!strcmp(sub, "delete"))
        rc = do_delete(rpc, topic);
    else if (list)
        rc = do_list(rpc, json);
    else
        rc = do_status(rpc, topic, json);
    rmq_rpc_free(rpc);
    return rc;
}
