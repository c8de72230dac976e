/*
 * produce.c — `rmq produce`: messages from stdin lines, NUL-separated records, the whole
 * of stdin, or the arguments, sent pipelined over the brokers of the topic's route, or to
 * one broker with -b (core/client/producer.h, qset.h).
 *
 * Input is read on the loop (an ev_io on stdin) only while the producer has room, so a
 * large input streams through a bounded amount of memory. Results are printed in input
 * order, whatever order the replies come in: a small ring holds finished results until
 * every earlier one is known.
 */
#include "cmd.h"

#include "client/admin.h"
#include "client/format.h"
#include "client/producer.h"
#include "client/props.h"
#include "client/rpc.h"
#include "proto/codes.h"
#include "util/buf.h"
#include "util/err.h"

#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: rmq produce [-n ADDR[;ADDR]|-b ADDR] [options] TOPIC [MESSAGE...]\n"
    "\n"
    "Sends one message per line of standard input (or per MESSAGE argument) to TOPIC,\n"
    "round-robin over the writable queues of all its brokers.\n"
    "\n"
    "  -n, --namesrv ADDRS   name servers, host:port or unix:/path, ';'-separated (default\n"
    "                        $NAMESRV_ADDR, else the local standalone name server, else\n"
    "                        127.0.0.1:9876)\n"
    "  -b, --broker ADDR     send to this one broker, without name servers (default\n"
    "                        $RMQ_BROKER when set)\n"
    "  -z, --null            records are separated by NUL bytes instead of newlines\n"
    "      --whole           the whole of standard input is one message\n"
    "  -t, --tag TAG         tag every message with TAG\n"
    "  -k, --key KEY         add a key (repeatable; indexed by the broker)\n"
    "  -p, --property K=V    add a user property (repeatable)\n"
    "      --delay LEVEL     deliver after the broker's delay LEVEL (its messageDelayLevel:\n"
    "                        1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h\n"
    "                        by default); 0: at once. A level past the broker's last is\n"
    "                        clamped to the last by the broker, as RocketMQ brokers do\n"
    "      --sharding-key KEY\n"
    "                        send every message to the queue of KEY (RocketMQ's\n"
    "                        SelectMessageQueueByHash), so they keep their order\n"
    "      --sharding-key-sep SEP\n"
    "                        each record is KEY SEP BODY: its own sharding key\n"
    "  -g, --group GROUP     producer group (default rmq_producer)\n"
    "      --json            print one JSON line per message: n, status, msgId,\n"
    "                        offsetMsgId, brokerName, queueId, queueOffset (or error)\n"
    "      --sendresult      print one line per message as Java's SendResult prints\n"
    "      --window N        requests in flight (default 256)\n"
    "      --retries N       further attempts for a failed message (default 2)\n"
    "      --timeout MS      per-request timeout (default 3000)\n"
    "  -h, --help            this text\n"
    "\n"
    "Empty records are skipped (RocketMQ refuses empty bodies); n counts them anyway, so\n"
    "it is the line number. Bodies over 4 KiB are LZ4-compressed. Every message is a request\n"
    "of its own (never a batch, which RocketMQ could not delay). With a sharding key the\n"
    "order of a key's messages holds in its queue unless one needed a retry (--retries 0\n"
    "or --window 1 rule that out). Exit status: 0 every message was acknowledged, 1 some\n"
    "were not (each named on stderr), 2 usage error.\n";

enum { O_WHOLE = 256, O_DELAY, O_JSON, O_WINDOW, O_RETRIES, O_TIMEOUT, O_SHARD, O_SHARD_SEP, O_SENDRESULT };

static const struct option longopts[] = {
    {"broker", required_argument, NULL, 'b'}, {"namesrv", required_argument, NULL, 'n'},
    {"null", no_argument, NULL, 'z'},
    {"whole", no_argument, NULL, O_WHOLE},    {"tag", required_argument, NULL, 't'},
    {"key", required_argument, NULL, 'k'},    {"property", required_argument, NULL, 'p'},
    {"delay", required_argument, NULL, O_DELAY}, {"group", required_argument, NULL, 'g'},
    {"json", no_argument, NULL, O_JSON},      {"window", required_argument, NULL, O_WINDOW},
    {"retries", required_argument, NULL, O_RETRIES}, {"timeout", required_argument, NULL, O_TIMEOUT},
    {"sharding-key", required_argument, NULL, O_SHARD},
    {"sharding-key-sep", required_argument, NULL, O_SHARD_SEP},
    {"sendresult", no_argument, NULL, O_SENDRESULT},
    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
};

/* A result waiting to be printed in input order. */
struct slot {
    bool used, done;
    uint64_t n;
    enum rmq_send_status status;
    char *error;
    char msg_id[40];
    char offset_id[64];
    char broker[RMQ_NAME_MAX];
    int32_t qid;
    int64_t qoff;
};

struct prod {
    struct ev_loop *loop;
    struct rmq_producer *p;
    struct rmq_message tmpl;      /* tags, keys, properties for every message */
    const char *topic;
    const char *shard_sep;        /* each record is KEY shard_sep BODY, or NULL */
    bool json, whole, sendresult;
    char sep;
    char **args;                  /* MESSAGE arguments, or NULL: stdin */
    int nargs, argi;
    ev_io in;
    bool eof;
    struct rmq_buf inbuf;
    size_t scan;                  /* inbuf bytes already searched for a separator */
    uint64_t records;             /* input records seen (n of the last one) */
    uint64_t seq, printed;        /* messages submitted / printed, in submission order */
    struct slot *ring;
    size_t ring_cap;
    int failed;
    bool input_error;
    bool feeding;                 /* inside feed(): a result reported meanwhile needs no new feed */
};

static struct slot *slot_of(struct prod *pr, uint64_t seq) { return &pr->ring[seq % pr->ring_cap]; }

static bool has_room(struct prod *pr)
{
    return rmq_producer_outstanding(pr->p) < (size_t)rmq_producer_window(pr->p) &&
           pr->seq - pr->printed < pr->ring_cap;
}

static void print_ready(struct prod *pr)
{
    struct rmq_buf line = {0};
    while (pr->printed < pr->seq && slot_of(pr, pr->printed)->done) {
        struct slot *s = slot_of(pr, pr->printed);
        rmq_buf_reset(&line);
        if (s->status == RMQ_SEND_FAILED) {
            fprintf(stderr, "rmq produce: message %llu not sent: %s\n", (unsigned long long)s->n, s->error);
            if (pr->json) {
                rmq_buf_printf(&line, "{\"n\":%llu,\"status\":\"FAILED\",\"msgId\":\"%s\",\"error\":",
                               (unsigned long long)s->n, s->msg_id);
                rmq_json_string(&line, s->error, strlen(s->error));
                rmq_buf_addstr(&line, "}\n");
            }
        } else if (pr->sendresult) {
            rmq_format_sendresult(&line, rmq_send_status_name(s->status), s->msg_id, s->offset_id, pr->topic,
                                  s->broker, s->qid, s->qoff);
        } else if (pr->json) {
            rmq_buf_printf(&line, "{\"n\":%llu,\"status\":\"%s\",\"msgId\":\"%s\",\"offsetMsgId\":\"%s\","
                           "\"brokerName\":", (unsigned long long)s->n, rmq_send_status_name(s->status), s->msg_id,
                           s->offset_id);
            rmq_json_string(&line, s->broker, strlen(s->broker));
            rmq_buf_printf(&line, ",\"queueId\":%d,\"queueOffset\":%lld}\n", (int)s->qid, (long long)s->qoff);
        }
        if (line.len)
            fwrite(line.data, 1, line.len, stdout);
        free(s->error);
        memset(s, 0, sizeof *s);
        pr->printed++;
    }
    rmq_buf_free(&line);
}

static void feed(struct prod *pr);

static void on_result(void *arg, uint64_t seq, const struct rmq_send_result *r)
{
    struct prod *pr = arg;
    struct slot *s = slot_of(pr, seq);
    s->done = true;
    s->status = r->status;
    snprintf(s->msg_id, sizeof s->msg_id, "%s", r->msg_id);
    snprintf(s->offset_id, sizeof s->offset_id, "%s", r->offset_msg_id);
    snprintf(s->broker, sizeof s->broker, "%s", r->broker ? r->broker : "");
    s->qid = r->queue_id;
    s->qoff = r->queue_offset;
    if (r->status == RMQ_SEND_FAILED) {
        pr->failed++;
        s->error = strdup(r->error ? r->error : "failed");
    }
    print_ready(pr);
    if (!pr->feeding)
        feed(pr);
}

/* --sharding-key-sep: the record's key is what comes before the first separator, the body
 * what follows. A record without one is an error (RMQ_EINVAL) rather than a message that
 * would silently lose its order. */
static int split_sharding_key(struct prod *pr, struct rmq_message *m, char *err)
{
    if (!pr->shard_sep)
        return 0;
    size_t sl = strlen(pr->shard_sep);
    const char *b = m->body, *at = sl <= m->body_len ? memmem(b, m->body_len, pr->shard_sep, sl) : NULL;
    if (!at)
        return rmq_seterr(err, RMQ_EINVAL, "no sharding key: the record has no '%s'", pr->shard_sep);
    m->sharding_key = b;
    m->sharding_key_len = (size_t)(at - b);
    m->body = at + sl;
    m->body_len -= m->sharding_key_len + sl;
    if (m->body_len == 0)
        return rmq_seterr(err, RMQ_EINVAL, "empty body after the sharding key");
    return 0;
}

/* Submits one record (n = its input position). */
static void submit(struct prod *pr, const void *body, size_t len)
{
    uint64_t n = ++pr->records;
    if (len == 0)
        return;
    uint64_t seq = pr->seq++;
    struct slot *s = slot_of(pr, seq);
    s->used = true;
    s->n = n;
    struct rmq_message m = pr->tmpl;
    m.body = body;
    m.body_len = len;
    char err[RMQ_ERRLEN];
    int rc = split_sharding_key(pr, &m, err);
    if (rc == 0)
        rc = rmq_producer_send(pr->p, &m, seq, err);
    if (rc) {
        s->done = true;
        s->status = RMQ_SEND_FAILED;
        s->error = strdup(err);
        pr->failed++;
        print_ready(pr);
    }
}

static void finish_if_done(struct prod *pr)
{
    if (pr->eof && rmq_producer_outstanding(pr->p) == 0 && pr->printed == pr->seq)
        ev_break(pr->loop, EVBREAK_ALL);
}

static void feed_once(struct prod *pr);

/* Sends what the input holds while there is room; reads more when it runs dry. A result
 * can be reported from inside rmq_producer_send() (a message that fails at once): the
 * flag keeps that from feeding recursively, one stack frame per input line. */
static void feed(struct prod *pr)
{
    pr->feeding = true;
    feed_once(pr);
    pr->feeding = false;
}

static void feed_once(struct prod *pr)
{
    if (pr->args) {
        while (pr->argi < pr->nargs && has_room(pr)) {
            const char *a = pr->args[pr->argi++];
            submit(pr, a, strlen(a));
        }
        pr->eof = pr->argi == pr->nargs;
        finish_if_done(pr);
        return;
    }
    size_t start = 0;
    if (!pr->whole) {
        while (has_room(pr) && start < pr->inbuf.len) {
            uint8_t *p = pr->inbuf.data + start;
            uint8_t *sep = memchr(p + pr->scan, pr->sep, pr->inbuf.len - start - pr->scan);
            if (!sep) {
                pr->scan = pr->inbuf.len - start;
                break;
            }
            submit(pr, p, (size_t)(sep - p));
            start += (size_t)(sep - p) + 1;
            pr->scan = 0;
        }
        if (start) {
            memmove(pr->inbuf.data, pr->inbuf.data + start, pr->inbuf.len - start);
            pr->inbuf.len -= start;
        }
    }
    bool pending = !pr->whole && pr->inbuf.len && memchr(pr->inbuf.data, pr->sep, pr->inbuf.len);
    if (pr->eof) {
        if (pr->inbuf.len && has_room(pr) && !pending) {   /* the last record, unterminated */
            submit(pr, pr->inbuf.data, pr->inbuf.len);
            pr->inbuf.len = 0;
        }
        if (!pr->inbuf.len)
            finish_if_done(pr);
        return;
    }
    if (has_room(pr) && !pending)
        ev_io_start(pr->loop, &pr->in);
    else
        ev_io_stop(pr->loop, &pr->in);
}

static void on_stdin(struct ev_loop *loop, ev_io *w, int revents)
{
    struct prod *pr = w->data;
    rmq_buf_reserve(&pr->inbuf, 256 * 1024);
    ssize_t n = read(0, pr->inbuf.data + pr->inbuf.len, pr->inbuf.cap - pr->inbuf.len);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return;
        fprintf(stderr, "rmq produce: cannot read standard input: %s\n", strerror(errno));
        pr->input_error = true;
        n = 0;
    }
    if (n == 0) {
        pr->eof = true;
        ev_io_stop(loop, w);
    }
    pr->inbuf.len += (size_t)n;
    if (pr->eof && pr->whole) {
        submit(pr, pr->inbuf.data, pr->inbuf.len);
        pr->inbuf.len = 0;
    }
    feed(pr);
}

int cmd_produce(int argc, char **argv)
{
    struct cmd_target tg = {0};
    struct prod pr = {.sep = '\n'};
    struct rmq_producer_opts po = {.retries = -1};
    struct rmq_buf keys = {0}, props = {0};
    char err[RMQ_ERRLEN];
    long v;
    int opt, rc = 0;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "b:n:zt:k:p:g:h", longopts, NULL)) != -1) {
        const char *name, *val;
        size_t nlen;
        switch (opt) {
        case 'b': tg.broker = optarg; break;
        case 'n': tg.namesrv = optarg; break;
        case 'z': pr.sep = '\0'; break;
        case O_WHOLE: pr.whole = true; break;
        case 't': pr.tmpl.tags = optarg; break;
        case 'k':
            if (keys.len)
                rmq_buf_add(&keys, " ", 1);
            rmq_buf_addstr(&keys, optarg);
            break;
        case 'p': {
            char nm[256];
            if (rmq_props_split(optarg, &name, &nlen, &val, err) || nlen >= sizeof nm)
                return cmd_usage_error(usage, "produce", "--property %s: expected NAME=VALUE", optarg);
            snprintf(nm, sizeof nm, "%.*s", (int)nlen, name);
            if (rmq_props_check(nm, val, strlen(val), true, err))
                return cmd_usage_error(usage, "produce", "--property: %s", err);
            rmq_props_add(&props, nm, val, strlen(val));
            break;
        }
        case O_DELAY:
            if (cmd_parse_long(optarg, 0, INT32_MAX, &v))
                return cmd_usage_error(usage, "produce", "--delay must be a level: 0 (none), 1, 2, ...");
            pr.tmpl.delay_level = (int)v;
            break;
        case 'g': po.group = optarg; break;
        case O_JSON: pr.json = true; break;
        case O_SENDRESULT: pr.sendresult = true; break;
        case O_SHARD:
            pr.tmpl.sharding_key = optarg;
            pr.tmpl.sharding_key_len = strlen(optarg);
            break;
        case O_SHARD_SEP:
            if (!*optarg)
                return cmd_usage_error(usage, "produce", "--sharding-key-sep must not be empty");
            pr.shard_sep = optarg;
            break;
        case O_WINDOW:
            if (cmd_parse_long(optarg, 1, 65536, &v))
                return cmd_usage_error(usage, "produce", "--window must be from 1 to 65536");
            po.window = (int)v;
            break;
        case O_RETRIES:
            if (cmd_parse_long(optarg, 0, 1000, &v))
                return cmd_usage_error(usage, "produce", "--retries must be from 0 to 1000");
            po.retries = (int)v;
            break;
        case O_TIMEOUT:
            if (cmd_parse_long(optarg, 1, 3600000, &v))
                return cmd_usage_error(usage, "produce", "--timeout must be from 1 to 3600000 ms");
            po.timeout_ms = v;
            break;
        case 'h': fputs(usage, stdout); return 0;
        default:
            return cmd_usage_error(usage, "produce", "bad option or missing argument: '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cmd_usage_error(usage, "produce", "missing TOPIC");
    po.topic = pr.topic = argv[optind++];
    if (pr.json && pr.sendresult)
        return cmd_usage_error(usage, "produce", "--json and --sendresult are two outputs: choose one");
    if (pr.shard_sep && pr.tmpl.sharding_key)
        return cmd_usage_error(usage, "produce", "--sharding-key and --sharding-key-sep: choose one");
    if (optind < argc) {
        if (pr.whole || pr.sep == '\0')
            return cmd_usage_error(usage, "produce", "MESSAGE arguments cannot be combined with --whole or -z");
        pr.args = argv + optind;
        pr.nargs = argc - optind;
    }
    pr.loop = EV_DEFAULT;
    if ((rc = cmd_target_init(&tg, pr.loop, "produce", usage)))
        return rc;
    if (keys.len) {
        rmq_buf_add(&keys, "", 1);
        pr.tmpl.keys = (const char *)keys.data;
    }
    pr.tmpl.props = (const char *)props.data;
    pr.tmpl.props_len = props.len;

    /* the topic's writable queues over its brokers (or TBW102's, for auto-creation) */
    struct rmq_qset *qs = cmd_target_qset(&tg, po.topic, RMQ_QSET_PUBLISH);
    if ((rc = rmq_qset_load(qs, err))) {
        rmq_qset_free(qs);
        cmd_target_free(&tg);
        rmq_buf_free(&keys);
        rmq_buf_free(&props);
        return cmd_fail("produce", "%s", err);
    }
    rmq_qset_watch(qs, NULL, NULL);
    po.on_result = on_result;
    po.arg = &pr;
    pr.p = rmq_producer_new(qs, &po);
    pr.ring_cap = 2 * (size_t)rmq_producer_window(pr.p) + 16;
    pr.ring = calloc(pr.ring_cap, sizeof *pr.ring);
    if (!pr.ring)
        return cmd_fail("produce", "out of memory");
    ev_io_init(&pr.in, on_stdin, 0, EV_READ);
    pr.in.data = &pr;
    if (pr.args)
        feed(&pr);
    else
        ev_io_start(pr.loop, &pr.in);
    if (!(pr.eof && pr.printed == pr.seq && rmq_producer_outstanding(pr.p) == 0))
        ev_run(pr.loop, 0);
    print_ready(&pr);

    ev_io_stop(pr.loop, &pr.in);
    rmq_producer_free(pr.p);
    rmq_qset_free(qs);
    cmd_target_free(&tg);
    free(pr.ring);
    rmq_buf_free(&pr.inbuf);
    rmq_buf_free(&keys);
    rmq_buf_free(&props);
    if (pr.failed || pr.input_error)
        rc = 1;
    return rc;
}
