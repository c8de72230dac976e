/*
 * consume.c — `rmq consume`: print a topic's messages for a consumer group, and commit
 * the group's offsets so that the next run continues where this one stopped.
 *
 * What counts as consumed is what reached standard output. Messages are formatted into a
 * buffer, written with write(2) after each pull's batch, and only then acknowledged to the
 * consumer (core/client/consumer.h), which commits acknowledged offsets. When stdout is a
 * pipe whose reader goes away (`| head -3`), the bytes still sitting unread in the pipe
 * (FIONREAD) are not counted either: a small history of (queue, offset, output position)
 * reaching back one pipe buffer lets the acknowledgements be wound back to the last
 * message the reader actually took. (What the reader took and then dropped, such as the
 * rest of head's buffer, cannot be known from here.)
 *
 * The queues are those of every broker of the topic's route (name servers), or of the one
 * broker of -b (core/client/qset.h). Without --exit-at-end the consumer joins its group:
 * the group's members share the topic's queues over all its brokers
 * (core/client/rebalance.h), a change of the route (queues added or removed, a broker
 * gone or back) rebalances too, and this file only glues the rebalance's take/release to
 * the consumer and to its own acknowledgement history. --broadcast makes every member
 * take every queue, with offsets in a local file (core/client/local_offsets.h). With
 * --exit-at-end it reads every queue to its end without joining, as it always did.
 */
#include "cmd.h"

#include "client/admin.h"
#include "client/consumer.h"
#include "client/format.h"
#include "client/local_offsets.h"
#include "client/membership.h"
#include "client/qset.h"
#include "client/rebalance.h"
#include "client/rpc.h"
#include "proto/codes.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: rmq consume -g GROUP [-n ADDR[;ADDR]|-b ADDR] [options] TOPIC\n"
    "\n"
    "Prints TOPIC's messages, from every queue of every broker of its route, one body per\n"
    "line, and commits GROUP's offsets (each queue's to its broker) so that the next run\n"
    "with the same group continues after the last message printed.\n"
    "\n"
    "  -n, --namesrv ADDRS   name servers, host:port or unix:/path, ';'-separated (default\n"
    "                        $NAMESRV_ADDR, else the local standalone name server, else\n"
    "                        127.0.0.1:9876)\n"
    "  -b, --broker ADDR     read from this one broker, without name servers (default\n"
    "                        $RMQ_BROKER when set)\n"
    "  -g, --group GROUP     consumer group (required)\n"
    "  -f, --format FMT      print each message as FMT (default '%b\\n'):\n"
    "                        %b body  %t topic  %k keys  %q queue id  %r broker name\n"
    "                        %o queue offset  %i msg id  %T tag  %O offset msg id\n"
    "                        %s body size  %B born time  %S store time (ms)\n"
    "                        %% percent; escapes \\n \\t \\r \\0 \\\\\n"
    "      --json            print each message as one JSON line\n"
    "      --messageext      print each message as the Java quick-start consumer does:\n"
    "                        ConsumeMessageThread_GROUP_N Receive New Messages: [MessageExt [...]]\n"
    "  -c, --count N         stop after N messages\n"
    "  -e, --exit-at-end     read every queue to its end, then stop; does not join the\n"
    "                        group (else: join it, share its queues, wait for more)\n"
    "      --broadcast       every member of the group gets every message; offsets are\n"
    "                        kept locally, not on the brokers\n"
    "      --offsets-file F  broadcast offsets file (default $RMQ_HOME/offsets/GROUP.json,\n"
    "                        else ~/.rmq/offsets/GROUP.json)\n"
    "      --from WHERE      start at 'first', 'last', or a TIME: milliseconds since the\n"
    "                        epoch, YYYY-MM-DD[THH:MM[:SS]][Z] (local time unless Z), or\n"
    "                        -N{s,m,h,d} ago; overrides the group's committed offsets\n"
    "                        (default: the committed offsets, else the first message);\n"
    "                        queues taken over later from other members start at the\n"
    "                        group's committed offsets\n"
    "      --tag EXPR        only messages tagged so: 'TagA' or 'TagA || TagB'\n"
    "      --batch N         messages per pull request (default 32)\n"
    "  -v, --verbose         say on stderr which queues this member consumes, whenever\n"
    "                        that changes\n"
    "  -h, --help            this text\n"
    "\n"
    "SIGINT and SIGTERM stop it after committing (exit 0). A closed output pipe stops it\n"
    "quietly, committing only what was read. Exit status: 0 ok, 1 error, 2 usage error.\n";

enum { O_JSON = 256, O_FROM, O_TAG, O_BATCH, O_BROADCAST, O_OFFSETS_FILE, O_MESSAGEEXT };

static const struct option longopts[] = {
    {"broker", required_argument, NULL, 'b'}, {"namesrv", required_argument, NULL, 'n'},
    {"group", required_argument, NULL, 'g'},
    {"format", required_argument, NULL, 'f'}, {"json", no_argument, NULL, O_JSON},
    {"count", required_argument, NULL, 'c'},  {"exit-at-end", no_argument, NULL, 'e'},
    {"from", required_argument, NULL, O_FROM}, {"tag", required_argument, NULL, O_TAG},
    {"batch", required_argument, NULL, O_BATCH}, {"help", no_argument, NULL, 'h'},
    {"verbose", no_argument, NULL, 'v'}, {"broadcast", no_argument, NULL, O_BROADCAST}, {"offsets-file", required_argument, NULL, O_OFFSETS_FILE},
    {"messageext", no_argument, NULL, O_MESSAGEEXT},
    {NULL, 0, NULL, 0},
};

/* An acknowledgement waiting for its bytes to be known read: queue index qi is done up to
 * off once the output stream has passed position end. */
struct ack {
    int qi;
    int64_t off;
    uint64_t end;
};

struct cons {
    struct ev_loop *loop;
    struct rmq_consumer *c;
    struct rmq_format fmt;
    bool json;
    const char *messageext_group;   /* --messageext: the group its lines name */
    uint64_t messageext_n;          /* ... and how many it printed */
    long count, printed;
    struct rmq_buf out;
    uint64_t out_pos;          /* stream position of out.data[0] */
    uint64_t written;          /* bytes write(2) took */
    struct ack *hist;          /* acknowledgements not yet surely read, in stream order */
    size_t nhist, hist_cap;
    int64_t *base;             /* per queue index: acknowledged and surely read */
    int nq;                    /* queue indexes base has room for (the consumer's grow) */
    bool fifo, pipe_closed, interrupted, failed;
    bool stop;                 /* leave the loop (survives nested loops' ev_run resets) */
    size_t pipe_size;
    ev_signal sigint, sigterm;
    ev_io hup;
    /* the group's share (rebalance) */
    const char *topic;
    enum rmq_from from;
    int64_t ts;
    bool from_given, broadcast, verbose;
    struct rmq_qset *qs;
    struct rmq_rebalance *rb;
    struct rmq_local_offsets *lo;
    ev_timer save_timer;
};

static void finish(struct cons *s)
{
    s->stop = true;
    ev_break(s->loop, EVBREAK_ALL);
}

static void remember(struct cons *s, int qi, int64_t off)
{
    if (s->nhist == s->hist_cap) {
        s->hist_cap = s->hist_cap ? 2 * s->hist_cap : 256;
        s->hist = realloc(s->hist, s->hist_cap * sizeof *s->hist);
        if (!s->hist) {
            fprintf(stderr, "rmq consume: out of memory\n");
            exit(1);
        }
    }
    s->hist[s->nhist++] = (struct ack){qi, off, s->out_pos + s->out.len};
}

/* Acknowledges what has been read by now: everything written, less what a pipe still
 * holds. Entries that are surely read (a whole pipe buffer behind) are retired. */
static void acknowledge(struct cons *s, uint64_t read_upto)
{
    int64_t *ack = malloc((size_t)s->nq * sizeof *ack);
    if (!ack)
        exit(1);
    memcpy(ack, s->base, (size_t)s->nq * sizeof *ack);
    size_t keep = 0;
    for (size_t i = 0; i < s->nhist; i++) {
        struct ack *a = &s->hist[i];
        if (a->end <= read_upto)
            ack[a->qi] = a->off;
        if (a->end + s->pipe_size <= s->written && keep == i)
            s->base[a->qi] = a->off, keep = i + 1;   /* retired */
    }
    if (keep) {
        memmove(s->hist, s->hist + keep, (s->nhist - keep) * sizeof *s->hist);
        s->nhist -= keep;
    }
    for (int q = 0; q < s->nq; q++)
        rmq_consumer_ack(s->c, q, ack[q]);
    free(ack);
}

/* The reader of our pipe is gone: stop, counting only what it read. */
static void pipe_gone(struct cons *s)
{
    int unread = 0;
    if (!s->fifo || ioctl(1, FIONREAD, &unread) != 0 || unread < 0)
        unread = 0;
    s->pipe_closed = true;
    acknowledge(s, s->written - ((uint64_t)unread < s->written ? (uint64_t)unread : s->written));
    rmq_consumer_stop(s->c);
    finish(s);
}

/* Writes the buffered output; acknowledges what it carried. */
static void flush_out(struct cons *s)
{
    size_t done = 0;
    while (done < s->out.len && !s->pipe_closed) {
        ssize_t n = write(1, s->out.data + done, s->out.len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            if (errno == EPIPE) {
                pipe_gone(s);
                return;
            }
            fprintf(stderr, "rmq consume: cannot write to standard output: %s\n", strerror(errno));
            s->failed = true;
            rmq_consumer_stop(s->c);
            finish(s);
            return;
        }
        done += (size_t)n;
        s->written += (size_t)n;
    }
    s->out_pos += s->out.len;
    rmq_buf_reset(&s->out);
    if (s->out.cap > (4u << 20))
        rmq_buf_free(&s->out);
    acknowledge(s, s->written);
}

static int on_message(void *arg, int qi, const struct rmq_consumed *c)
{
    struct cons *s = arg;
    if (s->messageext_group)
        rmq_format_quickstart_receive(&s->out, s->messageext_group, ++s->messageext_n, c);
    else if (s->json)
        rmq_format_json(&s->out, c);
    else
        rmq_format_render(&s->out, &s->fmt, c);
    remember(s, qi, c->m->queue_offset + 1);
    if (s->count && ++s->printed >= s->count) {
        finish(s);
        return 1;
    }
    return 0;
}

static void on_batch_end(void *arg, int qi, int64_t next)
{
    struct cons *s = arg;
    remember(s, qi, next);
    flush_out(s);
}

static void on_end(void *arg)
{
    struct cons *s = arg;
    finish(s);
}

static void on_warning(void *arg, const char *text)
{
    fprintf(stderr, "rmq consume: warning: %s\n", text);
}

static void on_error(void *arg, int code, const char *text)
{
    struct cons *s = arg;
    fprintf(stderr, "rmq consume: %s\n", text);
    s->failed = true;
    finish(s);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
    struct cons *s = w->data;
    s->interrupted = true;
    finish(s);
}

static void on_hup(struct ev_loop *loop, ev_io *w, int revents)
{
    pipe_gone(w->data);
}

/* --from TIME → ms since the epoch. */
static int parse_time(const char *t, int64_t *out)
{
    char *end;
    if (t[0] == '-' && t[1]) {
        long long n = strtoll(t + 1, &end, 10);
        long long unit = *end == 's' ? 1000 : *end == 'm' ? 60000 : *end == 'h' ? 3600000 : *end == 'd' ? 86400000 : 0;
        if (end == t + 1 || !unit || end[1] || n < 0)
            return -1;
        *out = rmq_now_ms() - n * unit;
        return 0;
    }
    if (strspn(t, "0123456789") == strlen(t) && *t) {
        *out = strtoll(t, NULL, 10);
        return 0;
    }
    static const char *const forms[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
                                        "%Y-%m-%d %H:%M", "%Y-%m-%d"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        struct tm tm = {0};
        const char *rest = strptime(t, forms[i], &tm);
        if (!rest || (*rest && strcmp(rest, "Z") != 0))
            continue;
        tm.tm_isdst = -1;
        time_t secs = *rest == 'Z' ? timegm(&tm) : mktime(&tm);
        *out = (int64_t)secs * 1000;
        return 0;
    }
    return -1;
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents) {}

/* The topic's queues. Without --exit-at-end a topic that does not exist yet is waited for
 * (it appears with the first message sent to it), as a Java consumer keeps looking. */
static int wait_for_topic(struct cons *s, struct rmq_qset *qs, const struct rmq_consumer_opts *co, char *err)
{
    bool said = false;
    for (;;) {
        int rc = rmq_qset_load(qs, err);
        if (rc != RMQ_RESP_TOPIC_NOT_EXIST || co->stop_at_end || s->interrupted)
            return rc == RMQ_RESP_TOPIC_NOT_EXIST && s->interrupted ? 0 : rc;
        if (!said)
            fprintf(stderr, "rmq consume: %s; waiting for it\n", err);
        said = true;
        ev_timer tick;
        ev_timer_init(&tick, on_tick, 1., 0.);
        ev_timer_start(s->loop, &tick);
        while (ev_is_active(&tick) && !s->interrupted)
            ev_run(s->loop, EVRUN_ONCE);
        ev_timer_stop(s->loop, &tick);
    }
}

/* ---- the group's share: rebalance.h's take and release, local offsets ---- */

/* Drops the acknowledgement history of queue index qi: it starts afresh (taken) or is
 * another member's now (released). */
static void forget_queue(struct cons *s, int qi)
{
    size_t k = 0;
    for (size_t i = 0; i < s->nhist; i++)
        if (s->hist[i].qi != qi)
            s->hist[k++] = s->hist[i];
    s->nhist = k;
}

/* base has room for every queue index the consumer has (taking adds new ones). */
static void grow_base(struct cons *s)
{
    int n = rmq_consumer_count(s->c);
    if (n <= s->nq)
        return;
    s->base = realloc(s->base, (size_t)n * sizeof *s->base);
    if (!s->base) {
        fprintf(stderr, "rmq consume: out of memory\n");
        exit(1);
    }
    for (int q = s->nq; q < n; q++)
        s->base[q] = -1;
    s->nq = n;
}

static void keep_local(struct cons *s, bool save)
{
    if (!s->lo)
        return;
    for (int q = 0; q < s->nq; q++) {
        const struct rmq_mq *mq = rmq_consumer_queue(s->c, q);
        if (rmq_consumer_active(s->c, q) && rmq_consumer_acked(s->c, q) >= 0)
            rmq_local_offsets_set(s->lo, s->topic, mq->broker, mq->qid, rmq_consumer_acked(s->c, q));
    }
    char err[RMQ_ERRLEN];
    if (save && rmq_local_offsets_save(s->lo, err))
        fprintf(stderr, "rmq consume: warning: %s\n", err);
}

static int take(void *arg, const struct rmq_mq *mq, bool first, char *err)
{
    struct cons *s = arg;
    int qi = rmq_consumer_index(s->c, mq), rc;
    if (qi >= 0)
        forget_queue(s, qi);
    if (s->lo && !(first && s->from_given)) {
        int64_t off = rmq_local_offsets_get(s->lo, s->topic, mq->broker, mq->qid);
        rc = off >= 0 ? rmq_consumer_take_at(s->c, mq, off, err) : rmq_consumer_take(s->c, mq, RMQ_FROM_FIRST, 0, err);
    } else {
        rc = rmq_consumer_take(s->c, mq, first ? s->from : RMQ_FROM_COMMITTED, s->ts, err);
    }
    grow_base(s);
    qi = rmq_consumer_index(s->c, mq);
    if (rc == 0)
        s->base[qi] = rmq_consumer_acked(s->c, qi);
    return rc;
}

static int release(void *arg, const struct rmq_mq *mq, char *err)
{
    struct cons *s = arg;
    if (s->out.len && !s->pipe_closed && !s->failed)
        flush_out(s);   /* acknowledges what was printed of it */
    keep_local(s, false);
    int rc = rmq_consumer_release(s->c, mq, err);
    int qi = rmq_consumer_index(s->c, mq);
    if (qi >= 0)
        forget_queue(s, qi);
    if (s->lo)
        keep_local(s, true);
    return rc;
}

/* -v: "broker-a:0,broker-a:1,broker-b:0" whenever this member's share changes. */
static void on_assigned(void *arg, const struct rmq_mq *mine, int n)
{
    struct cons *s = arg;
    static char last[4096] = "-";
    char now[4096] = "";
    size_t len = 0;
    for (int i = 0; i < n && len + RMQ_NAME_MAX + 16 < sizeof now; i++)
        len += (size_t)snprintf(now + len, sizeof now - len, "%s%s:%d", i ? "," : "", mine[i].broker, mine[i].qid);
    if (!s->verbose || !strcmp(now, last))
        return;
    snprintf(last, sizeof last, "%s", now);
    fprintf(stderr, "rmq consume: %s: consuming %d queue(s) of %s: %s\n", s->broadcast ? "broadcast" : "rebalanced", n,
            s->topic, n ? now : "none");
}

static void on_rebalance_warning(void *arg, const char *text)
{
    fprintf(stderr, "rmq consume: warning: %s\n", text);
}

static void on_save_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    keep_local(w->data, true);
}

/* The route changed (a refresh: queues added or removed, a broker gone or back). */
static void on_route_change(void *arg)
{
    struct cons *s = arg;
    rmq_rebalance_soon(s->rb);
}

static int run(struct cons *s, struct rmq_consumer_opts *co, const char *group)
{
    char err[RMQ_ERRLEN];
    ev_signal_init(&s->sigint, on_signal, SIGINT);
    ev_signal_init(&s->sigterm, on_signal, SIGTERM);
    s->sigint.data = s->sigterm.data = s;
    ev_signal_start(s->loop, &s->sigint);
    ev_signal_start(s->loop, &s->sigterm);
    int rc = wait_for_topic(s, s->qs, co, err);
    if (rc || s->interrupted) {
        ev_signal_stop(s->loop, &s->sigint);
        ev_signal_stop(s->loop, &s->sigterm);
        return rc ? cmd_fail("consume", "%s", err) : 0;
    }
    co->assigned_only = true;
    co->local_offsets = s->broadcast;
    if (!(s->c = rmq_consumer_new(s->qs, co, err)))
        return cmd_fail("consume", "%s", err);
    grow_base(s);

    struct stat st;
    s->fifo = fstat(1, &st) == 0 && S_ISFIFO(st.st_mode);
    if (s->fifo) {
        int sz = fcntl(1, F_GETPIPE_SZ);
        s->pipe_size = sz > 0 ? (size_t)sz : 65536;
        ev_io_init(&s->hup, on_hup, 1, EV_READ);   /* a write end turns readable only on error */
        s->hup.data = s;
        ev_io_start(s->loop, &s->hup);
    }
    if (s->lo) {
        ev_timer_init(&s->save_timer, on_save_timer, 5., 5.);
        s->save_timer.data = s;
        ev_timer_start(s->loop, &s->save_timer);
    }
    rmq_consumer_start(s->c);
    char client_id[RMQ_CLIENT_ID_MAX];
    rmq_client_id(client_id, sizeof client_id, NULL);
    if (co->stop_at_end) {
        /* every queue of every broker, no membership: as rmq consume always did */
        size_t n = rmq_qset_count(s->qs);
        struct rmq_mq *mqs = malloc((n ? n : 1) * sizeof *mqs);
        if (!mqs)
            return cmd_fail("consume", "out of memory");
        memcpy(mqs, rmq_qset_queues(s->qs), n * sizeof *mqs);
        for (size_t i = 0; i < n && !s->stop && rc == 0; i++)
            if ((rc = take(s, &mqs[i], true, err)))
                fprintf(stderr, "rmq consume: cannot find where to start: %s\n", err);
        free(mqs);
    } else {
        struct rmq_rebalance_opts ro = {
            .member = {.client_id = client_id, .group = group, .topic = s->topic,
                       .subscription = co->subscription, .broadcast = s->broadcast, .sub_version = rmq_now_ms()},
            .qs = s->qs,
            .take = take, .release = release, .on_warning = on_rebalance_warning, .on_assigned = on_assigned,
            .arg = s,
        };
        /* a knob for tests: with a long interval only notifications can trigger a rebalance */
        const char *iv = getenv("RMQ_REBALANCE_INTERVAL_MS");
        if (iv && atoll(iv) > 0)
            ro.rebalance_interval_ms = atoll(iv);
        s->rb = rmq_rebalance_new(&ro);
        if ((rc = rmq_rebalance_start(s->rb, err)))
            fprintf(stderr, "rmq consume: cannot join group %s: %s\n", group, err);
        else
            rmq_qset_watch(s->qs, on_route_change, s);
    }
    while (rc == 0 && !s->stop && !s->failed && !s->interrupted)
        ev_run(s->loop, EVRUN_ONCE);
    if (s->rb)
        rmq_qset_watch(s->qs, NULL, NULL);   /* nothing to rebalance any more */
    rmq_rebalance_stop(s->rb);
    rmq_consumer_stop(s->c);
    if (s->fifo)
        ev_io_stop(s->loop, &s->hup);
    if (s->lo)
        ev_timer_stop(s->loop, &s->save_timer);
    ev_signal_stop(s->loop, &s->sigint);
    ev_signal_stop(s->loop, &s->sigterm);
    if (!s->pipe_closed && !s->failed)
        flush_out(s);   /* what --count stopped in the middle of a batch */
    int crc = rmq_consumer_commit(s->c, err);
    if (crc)
        fprintf(stderr, "rmq consume: %s\n", err);
    keep_local(s, true);
    /* only after the commit: the members that take our queues over must find it */
    if (s->rb && rmq_rebalance_leave(s->rb, err))
        fprintf(stderr, "rmq consume: warning: %s\n", err);
    return rc || crc || s->failed ? 1 : 0;
}

int cmd_consume(int argc, char **argv)
{
    const char *format = "%b\\n", *offsets_file = NULL;
    struct cmd_target tg = {0};
    struct rmq_consumer_opts co = {0};
    struct cons s = {.from = RMQ_FROM_COMMITTED};
    char err[RMQ_ERRLEN], *end;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "b:n:g:f:c:evh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'b': tg.broker = optarg; break;
        case 'n': tg.namesrv = optarg; break;
        case 'g': co.group = optarg; break;
        case 'f': format = optarg; break;
        case O_JSON: s.json = true; break;
        case O_MESSAGEEXT: s.messageext_group = ""; break;   /* named after -g, below */
        case 'c':
            s.count = strtol(optarg, &end, 10);
            if (*end || end == optarg || s.count < 1)
                return cmd_usage_error(usage, "consume", "--count must be a positive number");
            break;
        case 'e': co.stop_at_end = true; break;
        case O_FROM:
            s.from_given = true;
            if (!strcmp(optarg, "first"))
                s.from = RMQ_FROM_FIRST;
            else if (!strcmp(optarg, "last"))
                s.from = RMQ_FROM_LAST;
            else if (parse_time(optarg, &s.ts) == 0)
                s.from = RMQ_FROM_TIME;
            else
                return cmd_usage_error(usage, "consume", "--from '%s': expected first, last or a time", optarg);
            break;
        case O_TAG: co.subscription = optarg; break;
        case O_BROADCAST: s.broadcast = true; break;
        case 'v': s.verbose = true; break;
        case O_OFFSETS_FILE: offsets_file = optarg; break;
        case O_BATCH:
            co.batch = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || co.batch < 1 || co.batch > 1024)
                return cmd_usage_error(usage, "consume", "--batch must be from 1 to 1024");
            break;
        case 'h': fputs(usage, stdout); return 0;
        default:
            return cmd_usage_error(usage, "consume", "bad option or missing argument: '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return cmd_usage_error(usage, "consume", optind >= argc ? "missing TOPIC" : "too many arguments");
    co.topic = argv[optind];
    if (!co.group)
        return cmd_usage_error(usage, "consume", "missing -g GROUP");
    if (s.messageext_group)
        s.messageext_group = co.group;
    if (offsets_file && !s.broadcast)
        return cmd_usage_error(usage, "consume", "--offsets-file goes with --broadcast");
    s.topic = co.topic;
    if (!s.json && rmq_format_parse(&s.fmt, format, err))
        return cmd_usage_error(usage, "consume", "--format: %s", err);
    s.loop = EV_DEFAULT;
    int rc = cmd_target_init(&tg, s.loop, "consume", usage);
    if (rc) {
        rmq_format_free(&s.fmt);
        return rc;
    }
    co.on_message = on_message;
    co.on_batch_end = on_batch_end;
    co.on_end = on_end;
    co.on_warning = on_warning;
    co.on_error = on_error;
    co.arg = &s;
    if (s.broadcast) {
        char path[4096];
        if (!offsets_file)
            rmq_local_offsets_default_path(path, sizeof path, co.group);
        if (!(s.lo = rmq_local_offsets_open(offsets_file ? offsets_file : path, co.group, err))) {
            rmq_format_free(&s.fmt);
            cmd_target_free(&tg);
            return cmd_fail("consume", "%s", err);
        }
    }
    s.qs = cmd_target_qset(&tg, co.topic, RMQ_QSET_SUBSCRIBE);
    rc = run(&s, &co, co.group);
    rmq_rebalance_free(s.rb);
    rmq_consumer_free(s.c);
    rmq_local_offsets_free(s.lo);
    rmq_qset_free(s.qs);
    cmd_target_free(&tg);
    rmq_format_free(&s.fmt);
    rmq_buf_free(&s.out);
    free(s.hist);
    free(s.base);
    return rc;
}
