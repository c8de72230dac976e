/*
 * group.c — `rmq group list|update|delete`: a broker's subscription groups, as mqadmin's
 * updateSubGroup and deleteSubGroup change them.
 */
#include "cmd.h"

#include "client/admin_groups.h"
#include "client/format.h"
#include "client/rpc.h"
#include "util/buf.h"
#include "util/err.h"

#include <ev.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: rmq group list [-b ADDR] [--json]\n"
    "       rmq group update GROUP [-b ADDR] [--retry-queues N] [--retry-max N]\n"
    "                              [--consume on|off] [--broadcast on|off]\n"
    "       rmq group delete GROUP [-b ADDR] [--clean-offset]\n"
    "\n"
    "Lists, creates or changes, and deletes the subscription groups of one broker.\n"
    "A broker makes a group by itself the first time a consumer of it shows up, unless\n"
    "autoCreateSubscriptionGroup=false; then groups must be made with update.\n"
    "\n"
    "  -b, --broker ADDR     broker address, host:port or unix:/path\n"
    "                        (default $RMQ_BROKER, else 127.0.0.1:10911)\n"
    "      --retry-queues N  queues of the group's %RETRY% topic (retryQueueNums, default 1)\n"
    "      --retry-max N     deliveries before a message goes to %DLQ% (retryMaxTimes, 16)\n"
    "      --consume on|off  whether the group may pull (consumeEnable)\n"
    "      --broadcast on|off whether broadcasting consumers may use it (consumeBroadcastEnable)\n"
    "      --clean-offset    delete: also drop the group's committed offsets\n"
    "      --json            list: every group's whole configuration as JSON lines\n"
    "  -h, --help            this text\n"
    "\n"
    "update keeps the fields it is not given. Exit status: 0 done, 1 the broker refused or\n"
    "could not be reached, 2 usage error.\n";

enum { O_RETRY_QUEUES = 256, O_RETRY_MAX, O_CONSUME, O_BROADCAST, O_CLEAN, O_JSON };

static const struct option longopts[] = {
    {"broker", required_argument, NULL, 'b'},
    {"retry-queues", required_argument, NULL, O_RETRY_QUEUES},
    {"retry-max", required_argument, NULL, O_RETRY_MAX},
    {"consume", required_argument, NULL, O_CONSUME},
    {"broadcast", required_argument, NULL, O_BROADCAST},
    {"clean-offset", no_argument, NULL, O_CLEAN},
    {"json", no_argument, NULL, O_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What update was asked to change; -1 = keep. */
struct changes {
    long retry_queues, retry_max;
    int consume, broadcast;
};

static int on_off(const char *s)
{
    return !strcmp(s, "on") || !strcmp(s, "true") ? 1 : !strcmp(s, "off") || !strcmp(s, "false") ? 0 : -1;
}

static void put_group_json(struct rmq_buf *out, const struct rmq_group_conf *g)
{
    rmq_buf_addstr(out, "{\"groupName\":");
    rmq_json_string(out, g->name, strlen(g->name));
    rmq_buf_printf(out,
                   ",\"consumeEnable\":%s,\"consumeBroadcastEnable\":%s,\"consumeFromMinEnable\":%s,"
                   "\"retryQueueNums\":%d,\"retryMaxTimes\":%d,\"brokerId\":%lld,"
                   "\"whichBrokerWhenConsumeSlowly\":%lld,\"notifyConsumerIdsChangedEnable\":%s}\n",
                   g->consume_enable ? "true" : "false", g->consume_broadcast_enable ? "true" : "false",
                   g->consume_from_min_enable ? "true" : "false", g->retry_queue_nums, g->retry_max_times,
                   (long long)g->broker_id, (long long)g->which_broker_when_consume_slowly,
                   g->notify_consumer_ids_changed_enable ? "true" : "false");
}

static int do_list(struct rmq_rpc *rpc, bool json)
{
    char err[RMQ_ERRLEN];
    struct rmq_group_table *t;
    int rc = rmq_admin_groups_get(rpc, &t, err);
    if (rc)
        return cmd_fail("group", "%s", err);
    struct rmq_buf out = {0};
    for (size_t i = 0; i < rmq_group_table_count(t); i++) {
        const struct rmq_group_conf *g = rmq_group_table_at(t, i);
        if (json)
            put_group_json(&out, g);
        else
            rmq_buf_printf(&out, "%s\n", g->name);
    }
    rmq_group_table_free(t);
    if (out.len)
        fwrite(out.data, 1, out.len, stdout);
    rmq_buf_free(&out);
    return 0;
}

static int do_update(struct rmq_rpc *rpc, const char *name, const struct changes *ch)
{
    char err[RMQ_ERRLEN];
    struct rmq_group_table *t;
    struct rmq_group_conf g;
    int rc = rmq_admin_groups_get(rpc, &t, err);
    if (rc)
        return cmd_fail("group", "%s", err);
    const struct rmq_group_conf *cur = rmq_group_table_get(t, name);
    if (cur)
        g = *cur;
    else
        rmq_group_conf_init(&g, name);
    rmq_group_table_free(t);
    if (ch->retry_queues >= 0)
        g.retry_queue_nums = (int32_t)ch->retry_queues;
    if (ch->retry_max >= 0)
        g.retry_max_times = (int32_t)ch->retry_max;
    if (ch->consume >= 0)
        g.consume_enable = ch->consume;
    if (ch->broadcast >= 0)
        g.consume_broadcast_enable = ch->broadcast;
    if ((rc = rmq_admin_group_update(rpc, &g, err)))
        return cmd_fail("group", "update '%s' on %s: %s", name, rmq_rpc_peer(rpc), err);
    printf("create subscription group to %s success.\n", rmq_rpc_peer(rpc));
    struct rmq_buf out = {0};
    put_group_json(&out, &g);
    fwrite(out.data, 1, out.len, stdout);
    rmq_buf_free(&out);
    return 0;
}

static int do_delete(struct rmq_rpc *rpc, const char *name, bool clean)
{
    char err[RMQ_ERRLEN];
    if (rmq_admin_group_delete(rpc, name, clean, err))
        return cmd_fail("group", "delete '%s' on %s: %s", name, rmq_rpc_peer(rpc), err);
    printf("delete subscription group [%s] from broker [%s] success.\n", name, rmq_rpc_peer(rpc));
    return 0;
}

int cmd_group(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 2)
        return cmd_usage_error(usage, "group", "missing subcommand");
    const char *sub = argv[1];
    bool list = !strcmp(sub, "list"), update = !strcmp(sub, "update"), del = !strcmp(sub, "delete");
    if (!list && !update && !del)
        return cmd_usage_error(usage, "group", "unknown subcommand '%s'", sub);
    const char *addr_text = getenv("RMQ_BROKER");
    struct changes ch = {-1, -1, -1, -1};
    bool json = false, clean = false, changing = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "b:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': addr_text = optarg; break;
        case O_RETRY_QUEUES:
            if (cmd_parse_long(optarg, 0, 1024, &ch.retry_queues))
                return cmd_usage_error(usage, "group", "--retry-queues must be from 0 to 1024");
            changing = true;
            break;
        case O_RETRY_MAX:
            if (cmd_parse_long(optarg, -1, 1000, &ch.retry_max))
                return cmd_usage_error(usage, "group", "--retry-max must be from -1 to 1000");
            changing = true;
            break;
        case O_CONSUME:
        case O_BROADCAST: {
            int v = on_off(optarg);
            if (v < 0)
                return cmd_usage_error(usage, "group", "--%s takes on or off", c == O_CONSUME ? "consume" : "broadcast");
            *(c == O_CONSUME ? &ch.consume : &ch.broadcast) = v;
            changing = true;
            break;
        }
        case O_CLEAN: clean = true; break;
        case O_JSON: json = true; break;
        default:
            return cmd_usage_error(usage, "group", "bad option or missing argument: '%s'", argv[optind]);
        }
    }
    int nargs = argc - 1 - optind;
    char **args = argv + 1 + optind;
    if (!list && nargs < 1)
        return cmd_usage_error(usage, "group", "%s: missing GROUP", sub);
    if (nargs > (list ? 0 : 1))
        return cmd_usage_error(usage, "group", "%s: unexpected argument '%s'", sub, args[list ? 0 : 1]);
    if (changing && !update)
        return cmd_usage_error(usage, "group", "--retry-queues, --retry-max, --consume and --broadcast are for update");
    if (json && !list)
        return cmd_usage_error(usage, "group", "--json is for list");
    if (clean && !del)
        return cmd_usage_error(usage, "group", "--clean-offset is for delete");
    const char *name = list ? NULL : args[0];
    if (name && !rmq_meta_name_ok(name, strlen(name)))
        return cmd_usage_error(usage, "group", "invalid group name '%s'", name);
    char err[RMQ_ERRLEN];
    struct rmq_addr addr;
    if (rmq_addr_parse(addr_text ? addr_text : "127.0.0.1:10911", &addr, err))
        return cmd_usage_error(usage, "group", "--broker: %s", err);
    struct rmq_rpc *rpc = rmq_rpc_new(EV_DEFAULT, &addr);
    int rc;
    if (rmq_rpc_connect_wait(rpc, err))
        rc = cmd_fail("group", "%s", err);
    else if (list)
        rc = do_list(rpc, json);
    else if (update)
        rc = do_update(rpc, name, &ch);
    else
        rc = do_delete(rpc, name, clean);
    rmq_rpc_free(rpc);
    return rc;
}
