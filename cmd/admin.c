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
#include "client/rpc.h"
#include "proto/codes.h"
#include "util/buf.h"
#include "util/err.h"

#include <ev.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: rmq admin msg id MSGID [-b ADDR] [-t TOPIC] [-g GROUP] [--json]\n"
    "       rmq admin msg key TOPIC KEY [-b ADDR] [-g GROUP] [--max N] [--json]\n"
    "\n"
    "Finds stored messages and prints them as mqadmin queryMsgById does.\n"
    "\n"
    "  msg id MSGID      an offset message id (the broker and the commit-log offset are in it;\n"
    "                    SendResult's offsetMsgId) or, with -t, a message id (UNIQ_KEY,\n"
    "                    SendResult's msgId) looked up in the topic's index\n"
    "  msg key TOPIC KEY the messages of TOPIC whose keys hold KEY (newest first)\n"
    "\n"
    "  -b, --broker ADDR broker to ask, host:port or unix:/path (default: for an offset id the\n"
    "                    broker it names, else $RMQ_BROKER, else 127.0.0.1:10911)\n"
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
    {"broker", required_argument, NULL, 'b'}, {"topic", required_argument, NULL, 't'},
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

static int run_query(struct rmq_rpc *rpc, const struct query *q, const char *what, int rc,
                     struct rmq_rpc_reply *rep, const char *err)
{
    if (rc == RMQ_RESP_QUERY_NOT_FOUND || (rc == RMQ_RESP_SYSTEM_ERROR && strstr(err, "can not find")))
        return cmd_fail("admin", "%s: no such message on %s", what, rmq_rpc_peer(rpc));
    if (rc)
        return cmd_fail("admin", "%s: %s", what, err);
    struct rmq_buf out = {0};
    int n = print_records(rpc, q, rep->cmd.body, rep->cmd.body_len, &out);
    rmq_rpc_reply_free(rep);
    fwrite(out.data ? (const char *)out.data : "", 1, out.len, stdout);
    rmq_buf_free(&out);
    return n > 0 ? 0 : cmd_fail("admin", "%s: no message in the reply", what);
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
    const char *broker = NULL, *topic = NULL;
    struct query q = {0};
    long max = 32;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 2, argv + 2, "b:t:g:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': broker = optarg; break;
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
    struct rmq_rpc_reply rep;
    int64_t phys = -1;
    if (by_id && !topic && rmq_offset_id_decode(args[0], named, sizeof named, &phys, err))
        return cmd_fail("admin", "%s; give the topic with -t to look up a message id (UNIQ_KEY)", err);
    if (!broker)
        broker = phys >= 0 ? named : getenv("RMQ_BROKER") ? getenv("RMQ_BROKER") : "127.0.0.1:10911";
    struct rmq_rpc *rpc = open_rpc(broker, err);
    if (!rpc)
        return cmd_fail("admin", "%s", err);
    int rc;
    if (phys >= 0)
        rc = run_query(rpc, &q, args[0], rmq_lookup_offset(rpc, phys, &rep, err), &rep, err);
    else if (by_id)
        rc = run_query(rpc, &q, args[0], rmq_lookup_key(rpc, topic, args[0], true, 1, &rep, err), &rep, err);
    else
        rc = run_query(rpc, &q, args[1], rmq_lookup_key(rpc, args[0], args[1], false, (int)max, &rep, err), &rep,
                       err);
    rmq_rpc_free(rpc);
    return rc;
}
