/*
 * topic.c — `rmq topic create|update|delete|list|status`: a broker's topic table, printed
 * the way mqadmin's updateTopic, deleteTopic, topicList and topicStatus print it
 * (PROTOCOL §11.4, §11.5, §11.7).
 */
#include "cmd.h"

#include "client/admin.h"
#include "client/admin_tools.h"
#include "client/format.h"
#include "client/rpc.h"
#include "proto/codes.h"
#include "util/buf.h"
#include "util/err.h"

#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: rmq topic create TOPIC [-b ADDR] [-r READ] [-w WRITE] [-p PERM] [--order]\n"
    "       rmq topic update TOPIC [-b ADDR] [-r READ] [-w WRITE] [-p PERM] [--order]\n"
    "       rmq topic delete TOPIC [-b ADDR]\n"
    "       rmq topic list [-b ADDR] [--json]\n"
    "       rmq topic status TOPIC [-b ADDR] [--json]\n"
    "\n"
    "Creates, changes, deletes, lists and shows the topics of one broker.\n"
    "\n"
    "  -b, --broker ADDR     broker address, host:port or unix:/path\n"
    "                        (default $RMQ_BROKER, else 127.0.0.1:10911)\n"
    "  -r, --read N          read queues (create/update; default 8)\n"
    "  -w, --write N         write queues (create/update; default 8)\n"
    "  -p, --perm PERM       permission: 2 (W), 4 (R), 6 (RW, the default), 0..7\n"
    "      --order           mark the topic ordered\n"
    "      --json            list and status: JSON instead of a table\n"
    "  -h, --help            this text\n"
    "\n"
    "list prints one topic name per line (as mqadmin topicList); status prints each queue's\n"
    "min and max offsets and the store time of its last message (as mqadmin topicStatus).\n"
    "Exit status: 0 done, 1 the broker refused or could not be reached, 2 usage error.\n";

enum { O_ORDER = 256, O_JSON };

static const struct option longopts[] = {
    {"broker", required_argument, NULL, 'b'}, {"read", required_argument, NULL, 'r'},
    {"write", required_argument, NULL, 'w'},  {"perm", required_argument, NULL, 'p'},
    {"order", no_argument, NULL, O_ORDER},    {"json", no_argument, NULL, O_JSON},
    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
};

/* yyyy-MM-dd HH:mm:ss,SSS in local time, or "" for 0. */
static void time_str(int64_t ms, char *out, size_t n)
{
    if (ms <= 0) {
        *out = '\0';
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    char b[32];
    strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, n, "%s,%03d", b, (int)(ms % 1000));
}

static int do_update(struct rmq_rpc *rpc, const char *sub, const char *topic, int rq, int wq, int perm, bool order)
{
    char err[RMQ_ERRLEN];
    int rc = rmq_admin_tools_update_topic(rpc, topic, rq, wq, perm, order, err);
    if (rc)
        return cmd_fail("topic", "%s topic '%s' on %s: %s", sub, topic, rmq_rpc_peer(rpc), err);
    char p[4];
    rmq_perm_str(perm, p);
    printf("create topic to %s success.\n", rmq_rpc_peer(rpc));
    printf("TopicConfig [topicName=%s, readQueueNums=%d, writeQueueNums=%d, perm=%s, "
           "topicFilterType=SINGLE_TAG, topicSysFlag=0, order=%s]\n",
           topic, rq, wq, p, order ? "true" : "false");
    return 0;
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

static int do_list(struct rmq_rpc *rpc, bool json)
{
    char err[RMQ_ERRLEN];
    char **names;
    size_t n;
    int rc = rmq_admin_tools_topic_names(rpc, &names, &n, err);
    if (rc)
        return cmd_fail("topic", "%s", err);
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

static int do_status(struct rmq_rpc *rpc, const char *topic, bool json)
{
    char err[RMQ_ERRLEN];
    struct rmq_queue_stat *qs;
    size_t n;
    int rc = rmq_admin_tools_topic_stats(rpc, topic, &qs, &n, err);
    if (rc)
        return cmd_fail("topic", "status of '%s': %s", topic, err);
    struct rmq_buf out = {0};
    if (json)
        rmq_buf_addstr(&out, "[");
    else
        rmq_buf_printf(&out, "%-32s  %-4s  %-20s  %-20s    %s\n", "#Broker Name", "#QID", "#Min Offset",
                       "#Max Offset", "#Last Updated");
    for (size_t i = 0; i < n; i++) {
        char ts[40];
        time_str(qs[i].last_ts, ts, sizeof ts);
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
    free(qs);
    fwrite(out.data, 1, out.len, stdout);
    rmq_buf_free(&out);
    return 0;
}

int cmd_topic(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--list-opts") == 0) {
        printf("create\nupdate\ndelete\nlist\nstatus\n--broker\n--read\n--write\n--perm\n--order\n--json\n--help\n");
        return 0;
    }
    if (cmd_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 2)
        return cmd_usage_error(usage, "topic", "missing subcommand");
    const char *sub = argv[1];
    bool upd = !strcmp(sub, "create") || !strcmp(sub, "update");
    if (!upd && strcmp(sub, "delete") && strcmp(sub, "list") && strcmp(sub, "status"))
        return cmd_usage_error(usage, "topic", "unknown subcommand '%s'", sub);
    const char *addr_text = getenv("RMQ_BROKER");
    long rq = 8, wq = 8, perm = 6;
    bool order = false, json = false, queue_opt = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "b:r:w:p:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': addr_text = optarg; break;
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
    if (json && strcmp(sub, "list") && strcmp(sub, "status"))
        return cmd_usage_error(usage, "topic", "--json is for list and status");
    const char *topic = list ? NULL : args[0];
    char err[RMQ_ERRLEN];
    if (topic && (!*topic || strlen(topic) > 127))
        return cmd_usage_error(usage, "topic", "a topic name has 1 to 127 characters");
    struct rmq_addr addr;
    if (rmq_addr_parse(addr_text ? addr_text : "127.0.0.1:10911", &addr, err))
        return cmd_usage_error(usage, "topic", "--broker: %s", err);
    struct rmq_rpc *rpc = rmq_rpc_new(EV_DEFAULT, &addr);
    int rc;
    if (rmq_rpc_connect_wait(rpc, err))
        rc = cmd_fail("topic", "%s", err);
    else if (upd)
        rc = do_update(rpc, sub, topic, (int)rq, (int)wq, (int)perm, order);
    else if (!strcmp(sub, "delete"))
        rc = do_delete(rpc, topic);
    else if (list)
        rc = do_list(rpc, json);
    else
        rc = do_status(rpc, topic, json);
    rmq_rpc_free(rpc);
    return rc;
}
