/*
 * offsets.c — `rmq offsets show|reset`: a consumer group's committed offsets over the
 * brokers the name servers know (or on one broker with -b), shown as mqadmin
 * consumerProgress shows them (PROTOCOL §11.6, 4.9.8 columns: #Diff is the lag), and set
 * back or forward per queue with UPDATE_CONSUMER_OFFSET to each queue's broker.
 */
#include "cmd.h"

#include "client/admin.h"
#include "client/admin_tools.h"
#include "client/format.h"
#include "client/nsclient.h"
#include "client/qset.h"
#include "client/route.h"
#include "client/rpc.h"
#include "proto/codes.h"
#include "util/buf.h"
#include "util/err.h"

#include <ctype.h>
#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: rmq offsets show -g GROUP [-n ADDRS|-b ADDR] [--json] [TOPIC]\n"
    "       rmq offsets reset -g GROUP [-n ADDRS|-b ADDR] [--json] TOPIC --to earliest|latest|TIME\n"
    "\n"
    "Shows or sets a consumer group's committed offsets on every broker the name servers\n"
    "know (the brokers of TOPIC's route, or of the group's %RETRY% topic, or all masters),\n"
    "or on one broker with -b.\n"
    "\n"
    "  -n, --namesrv ADDRS   name servers, host:port or unix:/path, ';'-separated (default\n"
    "                        $NAMESRV_ADDR, else the local standalone name server, else\n"
    "                        127.0.0.1:9876)\n"
    "  -b, --broker ADDR     this one broker, without name servers (default $RMQ_BROKER\n"
    "                        when set)\n"
    "  -g, --group GROUP     the consumer group (required)\n"
    "      --to WHERE        reset: earliest (each queue's min offset), latest (its max\n"
    "                        offset), or a time: milliseconds since the epoch or ISO-8601\n"
    "                        (2024-01-01T12:00:00[.123][Z|+01:00]; no zone: local time),\n"
    "                        meaning the first message stored at or after it\n"
    "      --json            JSON instead of a table\n"
    "  -h, --help            this text\n"
    "\n"
    "show prints, per queue, the broker's max offset, the group's committed offset, the\n"
    "difference (the lag) and the store time of the last consumed message, then the total\n"
    "lag (as mqadmin consumerProgress; --json: one object per queue with \"diff\").\n"
    "reset prints each queue's old and new offset. Running consumers of the group may commit\n"
    "over a reset; stop them first. Exit status: 0 done, 1 failure, 2 usage error.\n";

enum { O_TO = 256, O_JSON };

static const struct option longopts[] = {
    {"broker", required_argument, NULL, 'b'}, {"namesrv", required_argument, NULL, 'n'},
    {"group", required_argument, NULL, 'g'},
    {"to", required_argument, NULL, O_TO},    {"json", no_argument, NULL, O_JSON},
    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
};

/* Milliseconds since the epoch, or ISO-8601 date-time; -1 when it is neither. */
static int64_t parse_time(const char *s)
{
    const char *p = s;
    while (isdigit((unsigned char)*p))
        p++;
    if (p != s && !*p && p - s <= 15)
        return strtoll(s, NULL, 10);
    struct tm tm = {0};
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
        return -1;
    p = s + n;
    int ms = 0;
    if (*p == 'T' || *p == ' ') {
        int m = 0;
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &m) != 3 || m != 8)
            return -1;
        p += 1 + m;
        if (*p == '.' || *p == ',') {
            int digits = 0;
            for (p++; isdigit((unsigned char)*p); p++, digits++)
                if (digits < 3)
                    ms = ms * 10 + (*p - '0');
            if (!digits)
                return -1;
            for (; digits < 3; digits++)
                ms *= 10;
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t;
    if (*p == '\0') {
        tm.tm_isdst = -1;
        t = mktime(&tm);
    } else {
        long off = 0;
        if (*p == 'Z' && p[1] == '\0') {
            off = 0;
        } else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2])) {
            int oh = (p[1] - '0') * 10 + (p[2] - '0'), om = 0;
            const char *q = p + 3;
            if (*q == ':')
                q++;
            if (isdigit((unsigned char)q[0]) && isdigit((unsigned char)q[1])) {
                om = (q[0] - '0') * 10 + (q[1] - '0');
                q += 2;
            }
            if (*q)
                return -1;
            off = (oh * 60L + om) * 60L * (*p == '-' ? -1 : 1);
        } else {
            return -1;
        }
        t = timegm(&tm) - off;
    }
    if (t == (time_t)-1)
        return -1;
    return (int64_t)t * 1000 + ms;
}

/* yyyy-MM-dd HH:mm:ss local time, or N/A for 0. */
static void time_str(int64_t ms, char *out, size_t n)
{
    if (ms <= 0) {
        snprintf(out, n, "N/A");
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static void print_show(struct rmq_queue_stat *qs, size_t n, bool json)
{
    struct rmq_buf out = {0};
    long long total = 0;
    if (json)
        rmq_buf_addstr(&out, "[");
    else
        rmq_buf_printf(&out, "%-64s  %-32s  %-4s  %-20s  %-20s  %-20s  %s\n", "#Topic", "#Broker Name", "#QID",
                       "#Broker Offset", "#Consumer Offset", "#Diff", "#LastTime");
    for (size_t i = 0; i < n; i++) {
        long long diff = (long long)(qs[i].broker_off - qs[i].consumer_off);
        total += diff;
        if (json) {
            rmq_buf_addstr(&out, i ? ",{\"topic\":" : "{\"topic\":");
            rmq_json_string(&out, qs[i].topic, strlen(qs[i].topic));
            rmq_buf_addstr(&out, ",\"brokerName\":");
            rmq_json_string(&out, qs[i].broker, strlen(qs[i].broker));
            rmq_buf_printf(&out, ",\"queueId\":%d,\"brokerOffset\":%lld,\"consumerOffset\":%lld,\"diff\":%lld,"
                           "\"lastTimestamp\":%lld}", qs[i].qid, (long long)qs[i].broker_off,
                           (long long)qs[i].consumer_off, diff, (long long)qs[i].last_ts);
        } else {
            char ts[32];
            time_str(qs[i].last_ts, ts, sizeof ts);
            rmq_buf_printf(&out, "%-64.64s  %-32.32s  %-4d  %-20lld  %-20lld  %-20lld  %s\n", qs[i].topic,
                           qs[i].broker, qs[i].qid, (long long)qs[i].broker_off, (long long)qs[i].consumer_off,
                           diff, ts);
        }
    }
    if (json)
        rmq_buf_addstr(&out, "]\n");
    else
        rmq_buf_printf(&out, "\nConsume TPS: %.2f\nDiff Total: %lld\n", 0.0, total);
    fwrite(out.data, 1, out.len, stdout);
    rmq_buf_free(&out);
}

static int do_show(struct rmq_rpc *rpc, const char *group, const char *topic, bool json)
{
    char err[RMQ_ERRLEN];
    struct rmq_queue_stat *qs;
    size_t n;
    if (topic) {
        struct rmq_topic_info ti;
        if (rmq_admin_topic(rpc, topic, &ti, NULL, err))
            return cmd_fail("offsets", "%s", err);
    }
    int rc = rmq_admin_tools_consume_stats(rpc, group, topic, &qs, &n, err);
    if (rc)
        return cmd_fail("offsets", "%s", err);
    if (n == 0) {
        free(qs);
        return cmd_fail("offsets", "group '%s' has no committed offsets on %s", group, rmq_rpc_peer(rpc));
    }
    print_show(qs, n, json);
    free(qs);
    return 0;
}

static int cmp_rows(const void *a, const void *b)
{
    const struct rmq_queue_stat *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (!c)
        c = strcmp(x->broker, y->broker);
    return c ? c : (x->qid > y->qid) - (x->qid < y->qid);
}

/* The master brokers to ask: TOPIC's route, else %RETRY%GROUP's (as mqadmin), else every
 * master the name servers know (rmq consume keeps no retry topic). */
static int show_brokers(struct rmq_ns *ns, const char *group, const char *topic, struct rmq_broker_data **bv,
                        size_t *nb, char *err)
{
    char retry[300];
    snprintf(retry, sizeof retry, "%%RETRY%%%s", group);
    struct rmq_topic_route r;
    int rc = rmq_ns_route_wait(ns, topic ? topic : retry, &r, err);
    if (rc == RMQ_RESP_TOPIC_NOT_EXIST && !topic) {
        struct rmq_cluster_info ci;
        if ((rc = rmq_ns_cluster_wait(ns, &ci, err)))
            return rc;
        *bv = ci.brokers;   /* hand the broker list over */
        *nb = ci.nbrokers;
        ci.brokers = NULL;
        ci.nbrokers = 0;
        rmq_cluster_info_free(&ci);
        return 0;
    }
    if (rc)
        return rc;
    *bv = r.brokers;   /* hand the broker list over */
    *nb = r.nbrokers;
    r.brokers = NULL;
    r.nbrokers = 0;
    rmq_topic_route_free(&r);
    return 0;
}

static int ns_show(struct rmq_ns *ns, const char *group, const char *topic, bool json)
{
    char err[RMQ_ERRLEN];
    struct rmq_broker_data *bv;
    size_t nb;
    int rc = show_brokers(ns, group, topic, &bv, &nb, err);
    if (rc)
        return cmd_fail("offsets", "%s", err);
    struct rmq_queue_stat *all = NULL;
    size_t n = 0;
    int failed = 0;
    for (size_t i = 0; i < nb; i++) {
        const char *m = rmq_route_master(&bv[i]);
        struct rmq_addr a;
        if (!*m || rmq_addr_parse(m, &a, NULL))
            continue;
        struct rmq_rpc *rpc = rmq_rpc_new(EV_DEFAULT, &a);
        struct rmq_queue_stat *qs;
        size_t k;
        rc = rmq_admin_tools_consume_stats(rpc, group, topic, &qs, &k, err);
        rmq_rpc_free(rpc);
        if (rc < 0) {   /* unreachable: say so; a refusal means the group is not there */
            cmd_fail("offsets", "broker %s: %s", bv[i].broker_name, err);
            failed++;
            continue;
        }
        if (rc)
            continue;
        all = realloc(all, (n + k + 1) * sizeof *all);
        if (!all)
            exit(1);
        memcpy(all + n, qs, k * sizeof *qs);
        n += k;
        free(qs);
    }
    for (size_t i = 0; i < nb; i++)
        rmq_broker_data_free(&bv[i]);
    free(bv);
    if (n == 0) {
        free(all);
        if (failed)
            return 1;
        return cmd_fail("offsets", "group '%s' has no committed offsets%s%s on the brokers of %s", group,
                        topic ? " for " : "", topic ? topic : "", rmq_ns_text(ns));
    }
    qsort(all, n, sizeof *all, cmp_rows);
    print_show(all, n, json);
    free(all);
    return failed ? 1 : 0;
}

/* Every readable queue of the topic's route (or of the one broker), each on its broker. */
static int do_reset(struct rmq_qset *qset, const char *group, const char *topic, const char *to, int64_t ts, bool json)
{
    char err[RMQ_ERRLEN];
    int rc = rmq_qset_load(qset, err);
    if (rc)
        return cmd_fail("offsets", "%s", err);
    int failed = 0;
    for (size_t i = 0; i < rmq_qset_count(qset); i++) {
        const struct rmq_mq *mq = &rmq_qset_queues(qset)[i];
        struct rmq_rpc *rpc = rmq_qset_rpc(qset, mq->broker);
        int q = mq->qid;
        int64_t old = -1, nw;
        if (!rpc) {
            cmd_fail("offsets", "broker %s: no address known", mq->broker);
            failed++;
            continue;
        }
        rc = rmq_admin_query_offset(rpc, group, topic, q, &old, err);
        if (rc == RMQ_RESP_QUERY_NOT_FOUND)
            old = -1;
        else if (rc) {
            cmd_fail("offsets", "%s queue %d: %s", mq->broker, q, err);
            failed++;
            continue;
        }
        if (!strcmp(to, "earliest"))
            rc = rmq_admin_min_offset(rpc, topic, q, &nw, err);
        else if (!strcmp(to, "latest"))
            rc = rmq_admin_max_offset(rpc, topic, q, &nw, err);
        else
            rc = rmq_admin_search_offset(rpc, topic, q, ts, &nw, err);
        if (rc == 0)
            rc = rmq_admin_update_offset(rpc, group, topic, q, nw, err);
        if (rc) {
            cmd_fail("offsets", "%s queue %d: %s", mq->broker, q, err);
            failed++;
            continue;
        }
        if (json) {
            struct rmq_buf line = {0};
            rmq_buf_addstr(&line, "{\"topic\":");
            rmq_json_string(&line, topic, strlen(topic));
            rmq_buf_addstr(&line, ",\"brokerName\":");
            rmq_json_string(&line, mq->broker, strlen(mq->broker));
            rmq_buf_printf(&line, ",\"queueId\":%d,\"oldOffset\":%lld,\"newOffset\":%lld}\n", q, (long long)old,
                           (long long)nw);
            fwrite(line.data, 1, line.len, stdout);
            rmq_buf_free(&line);
        } else if (old < 0) {
            printf("%s queue %d: - -> %lld\n", topic, q, (long long)nw);
        } else {
            printf("%s queue %d: %lld -> %lld\n", topic, q, (long long)old, (long long)nw);
        }
    }
    return failed ? 1 : 0;
}

int cmd_offsets(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 2)
        return cmd_usage_error(usage, "offsets", "missing subcommand");
    const char *sub = argv[1];
    bool reset = !strcmp(sub, "reset");
    if (!reset && strcmp(sub, "show"))
        return cmd_usage_error(usage, "offsets", "unknown subcommand '%s'", sub);
    struct cmd_target tg = {0};
    const char *group = NULL, *to = NULL;
    bool json = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "b:n:g:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': tg.broker = optarg; break;
        case 'n': tg.namesrv = optarg; break;
        case 'g': group = optarg; break;
        case O_TO: to = optarg; break;
        case O_JSON: json = true; break;
        default:
            return cmd_usage_error(usage, "offsets", "bad option or missing argument: '%s'", argv[optind]);
        }
    }
    int nargs = argc - 1 - optind;
    char **args = argv + 1 + optind;
    if (!group || !*group)
        return cmd_usage_error(usage, "offsets", "missing -g GROUP");
    if (reset && nargs < 1)
        return cmd_usage_error(usage, "offsets", "reset: missing TOPIC");
    if (nargs > 1)
        return cmd_usage_error(usage, "offsets", "unexpected argument '%s'", args[1]);
    int64_t ts = 0;
    if (reset) {
        if (!to)
            return cmd_usage_error(usage, "offsets", "reset: missing --to earliest|latest|TIME");
        if (strcmp(to, "earliest") && strcmp(to, "latest") && (ts = parse_time(to)) < 0)
            return cmd_usage_error(usage, "offsets", "--to %s: expected earliest, latest, milliseconds or ISO-8601", to);
    } else if (to) {
        return cmd_usage_error(usage, "offsets", "--to is for reset");
    }
    char err[RMQ_ERRLEN];
    int rc = cmd_target_init(&tg, EV_DEFAULT, "offsets", usage);
    if (rc)
        return rc;
    if (reset) {
        struct rmq_qset *qs = cmd_target_qset(&tg, args[0], RMQ_QSET_SUBSCRIBE);
        rc = do_reset(qs, group, args[0], to, ts, json);
        rmq_qset_free(qs);
    } else if (!tg.direct) {
        rc = ns_show(tg.ns, group, nargs ? args[0] : NULL, json);
    } else {
        struct rmq_rpc *rpc = rmq_rpc_new(EV_DEFAULT, &tg.baddr);
        if (rmq_rpc_connect_wait(rpc, err))
            rc = cmd_fail("offsets", "%s", err);
        else
            rc = do_show(rpc, group, nargs ? args[0] : NULL, json);
        rmq_rpc_free(rpc);
    }
    cmd_target_free(&tg);
    return rc;
}
