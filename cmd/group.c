/*
 * group.c — `rmq group list|update|delete`: the subscription groups of one broker (-b) or
 * of every master the name servers know, as mqadmin's updateSubGroup (-c cluster) and
 * deleteSubGroup change them.
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
    "usage: rmq group list [-n ADDR | -b ADDR] [-c CLUSTER] [--json]\n"
    "       rmq group update GROUP [-n ADDR | -b ADDR] [-c CLUSTER] [--retry-queues N]\n"
    "                              [--retry-max N] [--consume on|off] [--broadcast on|off]\n"
    "       rmq group delete GROUP [-n ADDR | -b ADDR] [-c CLUSTER] [--clean-offset]\n"
    "\n"
    "Lists, creates or changes, and deletes the subscription groups of every master broker\n"
    "the name servers know (or of the one broker -b names). A broker makes a group by\n"
    "itself the first time a consumer of it shows up, unless autoCreateSubscriptionGroup=false;\n"
    "then groups must be made with update.\n"
    "\n"
    "  -n, --namesrv ADDR    name servers, host:port[;host:port] (default $NAMESRV_ADDR, the\n"
    "                        standalone socket, else 127.0.0.1:9876)\n"
    "  -b, --broker ADDR     one broker instead, host:port or unix:/path ($RMQ_BROKER)\n"
    "  -c, --cluster NAME    only the masters of this cluster\n"
    "      --retry-queues N  queues of the group's %RETRY% topic (retryQueueNums, default 1)\n"
    "      --retry-max N     deliveries before a message goes to %DLQ% (retryMaxTimes, 16)\n"
    "      --consume on|off  whether the group may pull (consumeEnable)\n"
    "      --broadcast on|off whether broadcasting consumers may use it (consumeBroadcastEnable)\n"
    "      --clean-offset    delete: also drop the group's committed offsets\n"
    "      --json            list: every group's whole configuration as JSON lines, with\n"
    "                        the broker it is on\n"
    "  -h, --help            this text\n"
    "\n"
    "update keeps the fields it is not given. Exit status: 0 done, 1 the broker refused or\n"
    "could not be reached, 2 usage error.\n";

enum { O_RETRY_QUEUES = 256, O_RETRY_MAX, O_CONSUME, O_BROADCAST, O_CLEAN, O_JSON };

static const struct option longopts[] = {
    {"broker", required_argument, NULL, 'b'},
    {"namesrv", required_argument, NULL, 'n'},
    {"cluster", required_argument, NULL, 'c'},
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

/* What one broker is asked; the per-broker callbacks below share it. */
struct job {
    bool json, clean;
    const char *name;
    const struct changes *ch;
    char **names;      /* list without --json: every group name seen, for one sorted list */
    size_t n;
};

static int list_one(void *arg, struct rmq_rpc *rpc, const char *broker)
{
    struct job *j = arg;
    char err[RMQ_ERRLEN];
    struct rmq_group_table *t;
    if (rmq_admin_groups_get(rpc, &t, err))
        return cmd_fail("group", "broker %s: %s", broker, err);
    struct rmq_buf out = {0};
    for (size_t i = 0; i < rmq_group_table_count(t); i++) {
        const struct rmq_group_conf *g = rmq_group_table_at(t, i);
        if (j->json) {
            put_group_json(&out, g);
            out.len -= 2;   /* "}\n": the broker goes inside */
            rmq_buf_addstr(&out, ",\"brokerName\":");
            rmq_json_string(&out, broker, strlen(broker));
            rmq_buf_addstr(&out, "}\n");
        } else {
            char **v = realloc(j->names, (j->n + 1) * sizeof *v);
            if (!v || !(v[j->n] = strdup(g->name))) {
                j->names = v ? v : j->names;
                rmq_group_table_free(t);
                return cmd_fail("group", "out of memory");
            }
            j->names = v;
            j->n++;
        }
    }
    rmq_group_table_free(t);
    fwrite(out.data ? (const char *)out.data : "", 1, out.len, stdout);
    rmq_buf_free(&out);
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line per group name, each once, sorted: the union over the brokers. */
static void print_names(struct job *j)
{
    qsort(j->names, j->n, sizeof *j->names, cmp_names);
    for (size_t i = 0; i < j->n; i++) {
        if (i == 0 || strcmp(j->names[i], j->names[i - 1]))
            printf("%s\n", j->names[i]);
    }
    for (size_t i = 0; i < j->n; i++)
        free(j->names[i]);
    free(j->names);
}

static int update_one(void *arg, struct rmq_rpc *rpc, const char *broker)
{
    struct job *j = arg;
    const struct changes *ch = j->ch;
    char err[RMQ_ERRLEN];
    struct rmq_group_table *t;
    struct rmq_group_conf g;
    if (rmq_admin_groups_get(rpc, &t, err))
        return cmd_fail("group", "broker %s: %s", broker, err);
    const struct rmq_group_conf *cur = rmq_group_table_get(t, j->name);
    if (cur)
        g = *cur;
    else
        rmq_group_conf_init(&g, j->name);
    rmq_group_table_free(t);
    if (ch->retry_queues >= 0)
        g.retry_queue_nums = (int32_t)ch->retry_queues;
    if (ch->retry_max >= 0)
        g.retry_max_times = (int32_t)ch->retry_max;
    if (ch->consume >= 0)
        g.consume_enable = ch->consume;
    if (ch->broadcast >= 0)
        g.consume_broadcast_enable = ch->broadcast;
    if (rmq_admin_group_update(rpc, &g, err))
        return cmd_fail("group", "update '%s' on %s: %s", j->name, broker, err);
    printf("create subscription group to %s success.\n", rmq_rpc_peer(rpc));
    struct rmq_buf out = {0};
    put_group_json(&out, &g);
    fwrite(out.data, 1, out.len, stdout);
    rmq_buf_free(&out);
    return 0;
}

static int delete_one(void *arg, struct rmq_rpc *rpc, const char *broker)
{
    struct job *j = arg;
    char err[RMQ_ERRLEN];
    if (rmq_admin_group_delete(rpc, j->name, j->clean, err))
        return cmd_fail("group", "delete '%s' on %s: %s", j->name, broker, err);
    printf("delete subscription group [%s] from broker [%s] success.\n", j->name, rmq_rpc_peer(rpc));
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
    struct cmd_target target = {0};
    const char *cluster = NULL;
    struct changes ch = {-1, -1, -1, -1};
    bool json = false, clean = false, changing = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "b:n:c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': target.broker = optarg; break;
        case 'n': target.namesrv = optarg; break;
        case 'c': cluster = optarg; break;
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
    int rc = cmd_target_init(&target, EV_DEFAULT, "group", usage);
    if (rc)
        return rc;
    struct job j = {.json = json, .clean = clean, .name = name, .ch = &ch};
    rc = cmd_target_each_master(&target, "group", cluster, list ? list_one : update ? update_one : delete_one, &j);
    if (list && !json)
        print_names(&j);
    cmd_target_free(&target);
    return rc;
}
