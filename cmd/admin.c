/*
 * admin.c — `rmq admin`: the mqadmin commands that have no everyday command of their own.
 * Today: `rmq admin msg id MSGID` and `rmq admin msg key TOPIC KEY` (mqadmin queryMsgById,
 * queryMsgByUniqueKey and queryMsgByKey), printing each message found and, with -g, whether
 * that group has consumed it.
 */
#include "cmd.h"

#include "client/admin.h"
#include "client/format.h"
#include "client/lookup.h"
#include "client/route.h"
#include "client/rpc.h"
#include "proto/codes.h"
#include "util/buf.h"
#include "util/err.h"

#include <ev.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: rmq admin msg id MSGID [-n ADDR | -b ADDR] [-t TOPIC] [-g GROUP] [--json]\n"
    "       rmq admin msg key TOPIC KEY [-n ADDR | -b ADDR] [-g GROUP] [--max N] [--json]\n"
    "\n"
    "Finds stored messages and prints them as mqadmin queryMsgById does.\n"
    "\n"
    "  msg id MSGID      an offset message id (the broker and the commit-log offset are in it;\n"
    "                    SendResult's offsetMsgId) or, with -t, a message id (UNIQ_KEY,\n"
    "                    SendResult's msgId) looked up in the topic's index\n"
    "  msg key TOPIC KEY the messages of TOPIC whose keys hold KEY (newest first)\n"
    "\n"
    "  -n, --namesrv ADDR name servers: keys and message ids are looked up on every master\n"
    "                    broker of the topic's route (default $NAMESRV_ADDR, the local name\n"
    "                    server's socket, else 127.0.0.1:9876)\n"
    "  -b, --broker ADDR one broker to ask instead, host:port or unix:/path (default for an\n"
    "                    offset id: the broker it names; else $RMQ_BROKER when set)\n"
    "  -t, --topic TOPIC the topic of a message id (UNIQ_KEY)\n"
    "  -g, --group GROUP also tell whether GROUP has consumed each message\n"
    "      --max N       at most N messages for a key (default 32)\n"
    "      --json        one JSON line per message (rmq consume --json's form), with\n"
    "                    \"consumed\" when -g is given\n"
    "  -h, --help        this text\n"
    "\n"
    "Exit status: 0 found, 1 not found or the broker could not be asked, 2 usage error.\n";

enum { O_JSON = 256, O_MAX };

static const struct option longopts[] = {
    {"broker", required_argument, NULL, 'b'}, {"namesrv", required_argument, NULL, 'n'},
    {"topic", required_argument, NULL, 't'},
    {"group", required_argument, NULL, 'g'},  {"max", required_argument, NULL, O_MAX},
    {"json", no_argument, NULL, O_JSON},      {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct query {
    const char *group;
    bool json;
};

/* RocketMQ's TrackType for one message and group: CONSUMED when the group's committed
 * offset of that queue is past the message, NOT_CONSUME_YET otherwise. */
static const char *track(struct rmq_rpc *rpc, const char *group, const struct rmq_msg *m, char *err)
{
    char topic[RMQ_MAX_TOPIC_LEN + 1];
    snprintf(topic, sizeof topic, "%.*s", (int)m->topic_len, m->topic);
    int64_t committed;
    int rc = rmq_admin_query_offset(rpc, group, topic, m->queue_id, &committed, err);
    if (rc == RMQ_RESP_QUERY_NOT_FOUND)
        return "NOT_CONSUME_YET";
    if (rc)
        return "UNKNOWN";
    return committed > m->queue_offset ? "CONSUMED" : "NOT_CONSUME_YET";
}

/* Prints every record in body[0..len); returns how many. */
static int print_records(struct rmq_rpc *rpc, const struct query *q, const uint8_t *body, size_t len,
                         struct rmq_buf *out)
{
    char err[RMQ_ERRLEN], offid[64];
    struct rmq_buf scratch = {0};
    int count = 0;
    while (len > 0) {
        struct rmq_msg m;
        struct rmq_consumed d;
        int size = rmq_msg_decode(body, len, &m, RMQ_MSG_CHECK_CRC, err);
        if (size <= 0) {
            cmd_fail("admin", "the broker's reply holds a bad record: %s", size < 0 ? err : "blank record");
            break;
        }
        body += size;
        len -= (size_t)size;
        if (rmq_consumed_fill(&d, &m, offid, 64u << 20, &scratch, err)) {
            cmd_fail("admin", "%s", err);
            continue;
        }
        const char *t = q->group ? track(rpc, q->group, &m, err) : NULL;
        if (q->json) {
            rmq_format_json(out, &d);
            if (t) {   /* "consumed" goes inside the object */
                out->len--;   /* the newline */
                out->len--;   /* the closing brace */
                rmq_buf_printf(out, ",\"consumed\":%s}\n", strcmp(t, "CONSUMED") ? "false" : "true");
            }
        } else {
            if (count)
                rmq_buf_addstr(out, "\n");
            rmq_format_details(out, &d);
            if (t)
                rmq_buf_printf(out, "\n#%-32s #%-32s\n%-33s %-33s\n", "ConsumerGroup", "TrackType", q->group, t);
        }
        count++;
    }
    rmq_buf_free(&scratch);
    return count;
}

/* The answer of one broker: prints what it found and returns how many (0 for none), or -1
 * after reporting an error. */
static int print_answer(struct rmq_rpc *rpc, const struct query *q, const char *what, int rc,
                        struct rmq_rpc_reply *rep, const char *err)
{
    if (rc == RMQ_RESP_QUERY_NOT_FOUND || (rc == RMQ_RESP_SYSTEM_ERROR && strstr(err, "can not find")))
        return 0;
    if (rc) {
        cmd_fail("admin", "%s on %s: %s", what, rmq_rpc_peer(rpc), err);
        return -1;
    }
    struct rmq_buf out = {0};
    int n = print_records(rpc, q, rep->cmd.body, rep->cmd.body_len, &out);
    rmq_rpc_reply_free(rep);
    fwrite(out.data ? (const char *)out.data : "", 1, out.len, stdout);
    rmq_buf_free(&out);
    return n;
}

/* A key or message-id lookup on one broker. */
static int ask_key(struct rmq_rpc *rpc, const struct query *q, const char *topic, const char *key, bool uniq,
                   int max)
{
    char err[RMQ_ERRLEN];
    struct rmq_rpc_reply rep;
    return print_answer(rpc, q, key, rmq_lookup_key(rpc, topic, key, uniq, max, &rep, err), &rep, err);
}

/* The same lookup on every master broker of the topic's route (keys are indexed by the
 * broker that stored the message). Total found, or -1 when none could be asked. */
static int ask_route(struct cmd_target *t, const struct query *q, const char *topic, const char *key, bool uniq,
                     int max)
{
    char err[RMQ_ERRLEN];
    struct rmq_topic_route r;
    if (rmq_ns_route_wait(t->ns, topic, &r, err)) {
        cmd_fail("admin", "%s", err);
        return -1;
    }
    int found = 0, asked = 0;
    for (size_t i = 0; i < r.nbrokers; i++) {
        struct rmq_addr a;
        const char *m = rmq_route_master(&r.brokers[i]);
        if (!*m || rmq_addr_parse(m, &a, err))
            continue;
        struct rmq_rpc *rpc = rmq_rpc_new(t->loop, &a);
        int n = ask_key(rpc, q, topic, key, uniq, max);
        rmq_rpc_free(rpc);
        if (n >= 0) {
            found += n;
            asked++;
        }
    }
    rmq_topic_route_free(&r);
    return asked ? found : -1;
}

static struct rmq_rpc *open_rpc(const char *text, char *err)
{
    struct rmq_addr addr;
    if (rmq_addr_parse(text, &addr, err))
        return NULL;
    struct rmq_rpc *rpc = rmq_rpc_new(EV_DEFAULT, &addr);
    if (rmq_rpc_connect_wait(rpc, err)) {
        rmq_rpc_free(rpc);
        return NULL;
    }
    return rpc;
}

int cmd_admin(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "msg") || (strcmp(argv[2], "id") && strcmp(argv[2], "key")))
        return cmd_usage_error(usage, "admin", argc < 2 ? "missing subcommand" : "unknown subcommand");
    bool by_id = !strcmp(argv[2], "id");
    struct cmd_target target = {0};
    const char *topic = NULL;
    struct query q = {0};
    long max = 32;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 2, argv + 2, "b:n:t:g:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': target.broker = optarg; break;
        case 'n': target.namesrv = optarg; break;
        case 't': topic = optarg; break;
        case 'g': q.group = optarg; break;
        case O_MAX:
            if (cmd_parse_long(optarg, 1, 64, &max))
                return cmd_usage_error(usage, "admin", "--max must be from 1 to 64");
            break;
        case O_JSON: q.json = true; break;
        default:
            return cmd_usage_error(usage, "admin", "bad option or missing argument: '%s'", argv[optind + 1]);
        }
    }
    int nargs = argc - 2 - optind;
    char **args = argv + 2 + optind;
    if (nargs != (by_id ? 1 : 2))
        return cmd_usage_error(usage, "admin", by_id ? "msg id takes one MSGID" : "msg key takes TOPIC and KEY");
    if (!by_id && topic)
        return cmd_usage_error(usage, "admin", "-t is for msg id; msg key names its topic");
    char err[RMQ_ERRLEN], named[96];
    int64_t phys = -1;
    if (by_id && !topic && rmq_offset_id_decode(args[0], named, sizeof named, &phys, err))
        return cmd_fail("admin", "%s; give the topic with -t to look up a message id (UNIQ_KEY)", err);
    if (phys >= 0 && !target.broker && !target.namesrv)
        target.broker = named;   /* an offset id names its broker */
    int rc = cmd_target_init(&target, EV_DEFAULT, "admin", usage);
    if (rc)
        return rc;
    const char *what = by_id ? args[0] : args[1];
    int found;
    if (target.direct) {
        struct rmq_rpc *rpc = open_rpc(target.broker, err);
        if (!rpc) {
            cmd_target_free(&target);
            return cmd_fail("admin", "%s", err);
        }
        struct rmq_rpc_reply rep;
        if (phys >= 0)
            found = print_answer(rpc, &q, what, rmq_lookup_offset(rpc, phys, &rep, err), &rep, err);
        else
            found = ask_key(rpc, &q, by_id ? topic : args[0], what, by_id, by_id ? 1 : (int)max);
        rmq_rpc_free(rpc);
    } else if (phys >= 0) {
        cmd_target_free(&target);
        return cmd_usage_error(usage, "admin", "an offset id names its broker: -n is for ids with -t and for keys");
    } else {
        found = ask_route(&target, &q, by_id ? topic : args[0], what, by_id, by_id ? 1 : (int)max);
    }
    cmd_target_free(&target);
    if (found < 0)
        return 1;
    return found ? 0 : cmd_fail("admin", "%s: no such message", what);
}
