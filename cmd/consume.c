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
#include "client/qlock.h"
#include "client/qset.h"
#include "client/rebalance.h"
#include "client/retry.h"
#include "client/rpc.h"
#include "consume_exec.h"
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
    "      --exec CMD        run CMD (/bin/sh -c) once per message instead of printing it:\n"
    "                        the body on its stdin; RMQ_TOPIC, RMQ_QUEUE_ID,\n"
    "                        RMQ_QUEUE_OFFSET, RMQ_MSG_ID, RMQ_TAGS, RMQ_KEYS,\n"
    "                        RMQ_RECONSUME_TIMES, RMQ_BROKER and RMQ_GROUP in its\n"
    "                        environment. Exit status 0: consumed; else the message is\n"
    "                        sent back to its broker and comes again later through\n"
    "                        %RETRY%GROUP, until --max-reconsume-times failures send it to\n"
    "                        %DLQ%GROUP. One message at a time per queue, in queue order;\n"
    "                        queues run side by side\n"
    "      --max-reconsume-times N\n"
    "                        redeliveries of a failing message before it goes to the\n"
    "                        dead-letter queue (default 16)\n"
    "      --orderly         consume each queue only while holding its broker lock\n"
    "                        (LOCK_BATCH_MQ, renewed every 20 s), so no two members of the\n"
    "                        group consume one queue at once. With --exec a failing message\n"
    "                        runs again in place after 1 s, up to --max-reconsume-times\n"
    "                        times, then goes to %DLQ%GROUP\n"
    "  -v, --verbose         say on stderr which queues this member consumes, whenever\n"
    "                        that changes\n"
    "  -h, --help            this text\n"
    "\n"
    "SIGINT and SIGTERM stop it after committing (exit 0). A closed output pipe stops it\n"
    "quietly, committing only what was read. Exit status: 0 ok, 1 error, 2 usage error.\n";

enum { O_JSON = 256, O_FROM, O_TAG, O_BATCH, O_BROADCAST, O_OFFSETS_FILE, O_MESSAGEEXT };
enum { O_EXEC = 320, O_MAX_RECONSUME, O_ORDERLY };   /* retries and orderly consumption */

static const struct option longopts[] = {
    {"broker", required_argument, NULL, 'b'}, {"namesrv", required_argument, NULL, 'n'},
    {"group", required_argument, NULL, 'g'},
    {"format", required_argument, NULL, 'f'}, {"json", no_argument, NULL, O_JSON},
    {"count", required_argument, NULL, 'c'},  {"exit-at-end", no_argument, NULL, 'e'},
    {"from", required_argument, NULL, O_FROM}, {"tag", required_argument, NULL, O_TAG},
    {"batch", required_argument, NULL, O_BATCH}, {"help", no_argument, NULL, 'h'},
    {"verbose", no_argument, NULL, 'v'}, {"broadcast", no_argument, NULL, O_BROADCAST}, {"offsets-file", required_argument, NULL, O_OFFSETS_FILE},
    {"messageext", no_argument, NULL, O_MESSAGEEXT},
    {"exec", required_argument, NULL, O_EXEC}, {"max-reconsume-times", required_argument, NULL, O_MAX_RECONSUME},
    {"orderly", no_argument, NULL, O_ORDERLY},
    {NULL, 0, NULL, 0},
};

struct cons;

/* One topic pulled for the group: the topic itself, or, in clustering mode, the group's
 * retry topic %RETRY%GROUP, whose messages come back under their original topic. */
struct stream {
    struct cons *s;
    const char *topic;
    struct rmq_qset *qs;
    struct rmq_consumer *c;
    struct rmq_rebalance *rb;
    int64_t *base;             /* per queue index: acknowledged and surely read */
    bool *unlocked;            /* --orderly, per queue index: its lock was lost */
    int nq;                    /* queue indexes base has room for (the consumer's grow) */
};

/* An acknowledgement waiting for its bytes to be known read: queue index qi is done up to
 * off once the output stream has passed position end. */
struct ack {
    struct stream *st;
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
    struct stream main, retry;  /* retry: pulled once its topic is known (retry_timer) */
    struct rmq_local_offsets *lo;
    ev_timer save_timer;
    /* retries and orderly consumption */
    struct cmd_target *tg;
    const char *group;
    char client_id[RMQ_CLIENT_ID_MAX];
    char retry_topic[RMQ_MAX_TOPIC_LEN + 16];
    struct rmq_consumer_opts retry_co;
    ev_timer retry_timer, lock_timer, relock_timer;
    struct exec *exec;
    bool orderly;
};

static void finish(struct cons *s)
{
    s->stop = true;
    ev_break(s->loop, EVBREAK_ALL);
}

static void remember(struct cons *s, struct stream *st, int qi, int64_t off)
{
    if (s->nhist == s->hist_cap) {
        s->hist_cap = s->hist_cap ? 2 * s->hist_cap : 256;
        s->hist = realloc(s->hist, s->hist_cap * sizeof *s->hist);
        if (!s->hist) {
            fprintf(stderr, "rmq consume: out of memory\n");
            exit(1);
        }
    }
    s->hist[s->nhist++] = (struct ack){st, qi, off, s->out_pos + s->out.len};
}

/* Acknowledges what has been read by now: everything written, less what a pipe still
 * holds. Entries that are surely read (a whole pipe buffer behind) are retired. */
static void acknowledge(struct cons *s, uint64_t read_upto)
{
    struct stream *sts[2] = {&s->main, &s->retry};
    int64_t *ack[2];
    for (int k = 0; k < 2; k++) {
        ack[k] = malloc((size_t)(sts[k]->nq + 1) * sizeof *ack[k]);
        if (!ack[k])
            exit(1);
        if (sts[k]->nq)
            memcpy(ack[k], sts[k]->base, (size_t)sts[k]->nq * sizeof *ack[k]);
    }
    size_t keep = 0;
    for (size_t i = 0; i < s->nhist; i++) {
        struct ack *a = &s->hist[i];
        int k = a->st == &s->retry;
        if (a->end <= read_upto)
            ack[k][a->qi] = a->off;
        if (a->end + s->pipe_size <= s->written && keep == i)
            a->st->base[a->qi] = a->off, keep = i + 1;   /* retired */
    }
    if (keep) {
        memmove(s->hist, s->hist + keep, (s->nhist - keep) * sizeof *s->hist);
        s->nhist -= keep;
    }
    for (int k = 0; k < 2; k++) {
        for (int q = 0; q < sts[k]->nq && sts[k]->c; q++)
            rmq_consumer_ack(sts[k]->c, q, ack[k][q]);
        free(ack[k]);
    }
}

static void stop_consumers(struct cons *s)
{
    if (s->main.c)
        rmq_consumer_stop(s->main.c);
    if (s->retry.c)
        rmq_consumer_stop(s->retry.c);
}

/* The reader of our pipe is gone: stop, counting only what it read. */
static void pipe_gone(struct cons *s)
{
    int unread = 0;
    if (!s->fifo || ioctl(1, FIONREAD, &unread) != 0 || unread < 0)
        unread = 0;
    s->pipe_closed = true;
    acknowledge(s, s->written - ((uint64_t)unread < s->written ? (uint64_t)unread : s->written));
    stop_consumers(s);
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
            stop_consumers(s);
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
    struct stream *st = arg;
    struct cons *s = st->s;
    if (s->exec) {
        exec_message(s->exec, st->c, st->qs, qi, c);
        return 0;
    }
    if (s->messageext_group)
        rmq_format_quickstart_receive(&s->out, s->messageext_group, ++s->messageext_n, c);
    else if (s->json)
        rmq_format_json(&s->out, c);
    else
        rmq_format_render(&s->out, &s->fmt, c);
    remember(s, st, qi, c->m->queue_offset + 1);
    if (s->count && ++s->printed >= s->count) {
        finish(s);
        return 1;
    }
    return 0;
}

static void on_batch_end(void *arg, int qi, int64_t next)
{
    struct stream *st = arg;
    struct cons *s = st->s;
    if (s->exec) {
        exec_batch_end(s->exec, st->c, qi, next);
        if (exec_busy(s->exec, st->c, qi))
            rmq_consumer_hold(st->c, qi, true);   /* one batch at a time per queue */
        return;
    }
    remember(s, st, qi, next);
    flush_out(s);
}

/* --exec: every message of (c, qi) before off has finished. */
static void on_exec_done(void *arg, struct rmq_consumer *c, int qi, int64_t off, int n)
{
    struct cons *s = arg;
    rmq_consumer_ack(c, qi, off);
    if (n && s->count && (s->printed += n) >= s->count)
        finish(s);
}

static struct stream *stream_of(struct cons *s, struct rmq_consumer *c)
{
    return c == s->retry.c ? &s->retry : &s->main;
}

/* --exec: (c, qi) has no work left: pull it again (unless its lock is lost). */
static void on_exec_idle(void *arg, struct rmq_consumer *c, int qi)
{
    struct cons *s = arg;
    struct stream *st = stream_of(s, c);
    if (!s->stop && !(st->unlocked && qi < st->nq && st->unlocked[qi]))
        rmq_consumer_hold(c, qi, false);
}

static void on_end(void *arg)
{
    struct stream *st = arg;
    finish(st->s);
}

static void on_warning(void *arg, const char *text)
{
    fprintf(stderr, "rmq consume: warning: %s\n", text);
}

static void on_error(void *arg, int code, const char *text)
{
    struct cons *s = ((struct stream *)arg)->s;
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
static void forget_queue(struct cons *s, struct stream *st, int qi)
{
    size_t k = 0;
    for (size_t i = 0; i < s->nhist; i++)
        if (s->hist[i].qi != qi || s->hist[i].st != st)
            s->hist[k++] = s->hist[i];
    s->nhist = k;
}

/* base has room for every queue index the consumer has (taking adds new ones). */
static void grow_base(struct stream *st)
{
    int n = rmq_consumer_count(st->c);
    if (n <= st->nq)
        return;
    st->base = realloc(st->base, (size_t)n * sizeof *st->base);
    st->unlocked = realloc(st->unlocked, (size_t)n * sizeof *st->unlocked);
    if (!st->base || !st->unlocked) {
        fprintf(stderr, "rmq consume: out of memory\n");
        exit(1);
    }
    for (int q = st->nq; q < n; q++)
        st->base[q] = -1, st->unlocked[q] = false;
    st->nq = n;
}

static void keep_local(struct cons *s, bool save)
{
    if (!s->lo)
        return;
    for (int q = 0; q < s->main.nq; q++) {
        const struct rmq_mq *mq = rmq_consumer_queue(s->main.c, q);
        if (rmq_consumer_active(s->main.c, q) && rmq_consumer_acked(s->main.c, q) >= 0)
            rmq_local_offsets_set(s->lo, s->topic, mq->broker, mq->qid, rmq_consumer_acked(s->main.c, q));
    }
    char err[RMQ_ERRLEN];
    if (save && rmq_local_offsets_save(s->lo, err))
        fprintf(stderr, "rmq consume: warning: %s\n", err);
}

/* --orderly: LOCK_BATCH_MQ of one queue to its broker; true when this member holds it. */
static bool lock_queue(struct stream *st, const struct rmq_mq *mq, char *err)
{
    struct cons *s = st->s;
    struct rmq_rpc *rpc = rmq_qset_rpc(st->qs, mq->broker);
    bool locked = false;
    if (!rpc)
        rmq_seterr(err, RMQ_ENOTFOUND, "no address known for broker %s", mq->broker);
    else if (rmq_lock_batch(rpc, s->group, s->client_id, st->topic, mq, 1, &locked, err) == 0 && !locked)
        rmq_seterr(err, RMQ_EINVAL, "its lock is held by another member of group %s", s->group);
    return locked;
}

static void unlock_queue(struct stream *st, const struct rmq_mq *mq)
{
    struct cons *s = st->s;
    char err[RMQ_ERRLEN];
    struct rmq_rpc *rpc = rmq_qset_rpc(st->qs, mq->broker);
    if (rpc && rmq_unlock_batch(rpc, s->group, s->client_id, st->topic, mq, 1, err))
        fprintf(stderr, "rmq consume: warning: unlocking %s queue %d of broker %s: %s\n", st->topic, mq->qid,
                mq->broker, err);
}

static int take(void *arg, const struct rmq_mq *mq, bool first, char *err)
{
    struct stream *st = arg;
    struct cons *s = st->s;
    int qi = rmq_consumer_index(st->c, mq), rc;
    if (qi >= 0)
        forget_queue(s, st, qi);
    /* orderly: the queue is ours only once the broker says so; the offset is read after
     * the lock, so it is what the previous holder committed before unlocking */
    if (s->orderly && !lock_queue(st, mq, err)) {
        if (!ev_is_active(&s->lock_timer)) {   /* ask again soon, not in 20 s */
            ev_timer_set(&s->lock_timer, 1., 0.);   /* (a fired one-shot keeps no delay) */
            ev_timer_start(s->loop, &s->lock_timer);
        }
        return RMQ_EINVAL;
    }
    if (s->lo && !(first && s->from_given)) {
        int64_t off = rmq_local_offsets_get(s->lo, s->topic, mq->broker, mq->qid);
        rc = off >= 0 ? rmq_consumer_take_at(st->c, mq, off, err) : rmq_consumer_take(st->c, mq, RMQ_FROM_FIRST, 0, err);
    } else {
        /* the retry topic always starts at the group's offsets (else its first message) */
        rc = rmq_consumer_take(st->c, mq, first && st == &s->main ? s->from : RMQ_FROM_COMMITTED, s->ts, err);
    }
    grow_base(st);
    qi = rmq_consumer_index(st->c, mq);
    if (rc == 0) {
        st->base[qi] = rmq_consumer_acked(st->c, qi);
        st->unlocked[qi] = false;
        rmq_consumer_hold(st->c, qi, false);
    } else if (s->orderly) {
        unlock_queue(st, mq);
    }
    return rc;
}

static int release(void *arg, const struct rmq_mq *mq, char *err)
{
    struct stream *st = arg;
    struct cons *s = st->s;
    int qi = rmq_consumer_index(st->c, mq);
    if (s->exec && qi >= 0)
        exec_release(s->exec, st->c, qi);   /* waits for the message running, if any */
    if (s->out.len && !s->pipe_closed && !s->failed)
        flush_out(s);   /* acknowledges what was printed of it */
    keep_local(s, false);
    int rc = rmq_consumer_release(st->c, mq, err);
    if (qi >= 0)
        forget_queue(s, st, qi);
    if (s->lo)
        keep_local(s, true);
    if (s->orderly)   /* only after the commit: the next holder starts from it */
        unlock_queue(st, mq);
    return rc;
}

/* -v: "broker-a:0,broker-a:1,broker-b:0" whenever this member's share changes. */
static void on_assigned(void *arg, const struct rmq_mq *mine, int n)
{
    struct cons *s = ((struct stream *)arg)->s;
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
    struct stream *st = arg;
    rmq_rebalance_soon(st->rb);
}

/* --orderly: a queue's lock was refused; the rebalance asks again for what it lacks. */
static void on_lock_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct cons *s = w->data;
    if (s->main.rb)
        rmq_rebalance_run(s->main.rb);
    if (s->retry.rb)
        rmq_rebalance_run(s->retry.rb);
}

/* --orderly, every 20 s: renew the locks of the queues taken. A queue whose lock is lost
 * (it expired on the broker) is not pulled until a renewal gets it back. */
static void relock(struct stream *st)
{
    struct cons *s = st->s;
    for (int qi = 0; st->c && qi < st->nq; qi++) {
        if (!rmq_consumer_active(st->c, qi))
            continue;
        char err[RMQ_ERRLEN];
        const struct rmq_mq *mq = rmq_consumer_queue(st->c, qi);
        bool locked = lock_queue(st, mq, err);
        if (!locked && !st->unlocked[qi])
            fprintf(stderr, "rmq consume: warning: lost the lock of %s queue %d of broker %s (%s); not consuming it\n",
                    st->topic, mq->qid, mq->broker, err);
        st->unlocked[qi] = !locked;
        if (!locked)
            rmq_consumer_hold(st->c, qi, true);
        else if (!(s->exec && exec_busy(s->exec, st->c, qi)))
            rmq_consumer_hold(st->c, qi, false);
    }
}

static void on_relock_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct cons *s = w->data;
    relock(&s->main);
    relock(&s->retry);
}

static void unlock_all(struct stream *st)
{
    for (int qi = 0; st->c && qi < st->nq; qi++)
        if (rmq_consumer_active(st->c, qi) && !st->unlocked[qi])
            unlock_queue(st, rmq_consumer_queue(st->c, qi));
}

static struct rmq_rebalance *new_rebalance(struct stream *st, const char *subscription, bool passive)
{
    struct cons *s = st->s;
    struct rmq_rebalance_opts ro = {
        .member = {.client_id = s->client_id, .group = s->group, .topic = st->topic,
                   .subscription = subscription, .broadcast = s->broadcast, .sub_version = rmq_now_ms()},
        .qs = st->qs,
        .passive = passive,
        .take = take, .release = release, .on_warning = on_rebalance_warning,
        .on_assigned = st == &s->main ? on_assigned : NULL,
        .arg = st,
    };
    /* a knob for tests: with a long interval only notifications can trigger a rebalance */
    const char *iv = getenv("RMQ_REBALANCE_INTERVAL_MS");
    if (iv && atoll(iv) > 0)
        ro.rebalance_interval_ms = atoll(iv);
    return rmq_rebalance_new(&ro);
}

/* Clustering: the group's retry topic, consumed as Java's push consumers consume it. It
 * exists once a broker has had our heartbeat; until it is known this runs every 2 s. */
static void on_retry_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct cons *s = w->data;
    struct stream *st = &s->retry;
    char err[RMQ_ERRLEN];
    if (s->stop)
        return;
    if (!st->qs)
        st->qs = cmd_target_qset(s->tg, s->retry_topic, RMQ_QSET_SUBSCRIBE);
    if (rmq_qset_load(st->qs, err) || s->stop) {
        ev_timer_set(w, 2., 0.);
        ev_timer_start(loop, w);
        return;
    }
    if (!(st->c = rmq_consumer_new(st->qs, &s->retry_co, err))) {
        fprintf(stderr, "rmq consume: warning: not consuming %s: %s\n", s->retry_topic, err);
        return;
    }
    grow_base(st);
    rmq_consumer_start(st->c);
    st->rb = new_rebalance(st, "*", true);
    if (rmq_rebalance_start(st->rb, err))
        fprintf(stderr, "rmq consume: warning: %s: %s\n", s->retry_topic, err);
    else
        rmq_qset_watch(st->qs, on_route_change, st);
}

static int run(struct cons *s, struct rmq_consumer_opts *co, const char *group)
{
    char err[RMQ_ERRLEN];
    struct stream *ms = &s->main;
    ev_signal_init(&s->sigint, on_signal, SIGINT);
    ev_signal_init(&s->sigterm, on_signal, SIGTERM);
    s->sigint.data = s->sigterm.data = s;
    ev_signal_start(s->loop, &s->sigint);
    ev_signal_start(s->loop, &s->sigterm);
    int rc = wait_for_topic(s, ms->qs, co, err);
    if (rc || s->interrupted) {
        ev_signal_stop(s->loop, &s->sigint);
        ev_signal_stop(s->loop, &s->sigterm);
        return rc ? cmd_fail("consume", "%s", err) : 0;
    }
    co->assigned_only = true;
    co->local_offsets = s->broadcast;
    if (!(ms->c = rmq_consumer_new(ms->qs, co, err)))
        return cmd_fail("consume", "%s", err);
    grow_base(ms);

    struct stat sb;
    s->fifo = fstat(1, &sb) == 0 && S_ISFIFO(sb.st_mode);
    if (s->fifo && !s->exec) {
        int sz = fcntl(1, F_GETPIPE_SZ);
        s->pipe_size = sz > 0 ? (size_t)sz : 65536;
        ev_io_init(&s->hup, on_hup, 1, EV_READ);   /* a write end turns readable only on error */
        s->hup.data = s;
        ev_io_start(s->loop, &s->hup);
    } else {
        s->fifo = false;   /* --exec: the commands write there, not us */
    }
    if (s->lo) {
        ev_timer_init(&s->save_timer, on_save_timer, 5., 5.);
        s->save_timer.data = s;
        ev_timer_start(s->loop, &s->save_timer);
    }
    ev_timer_init(&s->retry_timer, on_retry_timer, 0., 0.);
    ev_timer_init(&s->lock_timer, on_lock_timer, 1., 0.);
    double li = RMQ_LOCK_INTERVAL_MS / 1000.;
    const char *liv = getenv("RMQ_LOCK_INTERVAL_MS");   /* a knob for tests */
    if (liv && atoll(liv) > 0)
        li = (double)atoll(liv) / 1000.;
    ev_timer_init(&s->relock_timer, on_relock_timer, li, li);
    s->retry_timer.data = s->lock_timer.data = s->relock_timer.data = s;
    rmq_consumer_start(ms->c);
    rmq_client_id(s->client_id, sizeof s->client_id, NULL);
    s->group = group;
    if (co->stop_at_end) {
        /* every queue of every broker, no membership: as rmq consume always did */
        size_t n = rmq_qset_count(ms->qs);
        struct rmq_mq *mqs = malloc((n ? n : 1) * sizeof *mqs);
        if (!mqs)
            return cmd_fail("consume", "out of memory");
        memcpy(mqs, rmq_qset_queues(ms->qs), n * sizeof *mqs);
        for (size_t i = 0; i < n && !s->stop && rc == 0; i++)
            if ((rc = take(ms, &mqs[i], true, err)))
                fprintf(stderr, "rmq consume: cannot find where to start: %s\n", err);
        free(mqs);
    } else {
        ms->rb = new_rebalance(ms, co->subscription, false);
        if ((rc = rmq_rebalance_start(ms->rb, err))) {
            fprintf(stderr, "rmq consume: cannot join group %s: %s\n", group, err);
        } else {
            rmq_qset_watch(ms->qs, on_route_change, ms);
            if (s->orderly)
                ev_timer_start(s->loop, &s->relock_timer);
            if (!s->broadcast) {   /* our heartbeats made the retry topic: consume it too */
                rmq_retry_topic_name(s->retry_topic, sizeof s->retry_topic, group);
                s->retry.topic = s->retry_topic;
                s->retry_co = *co;
                s->retry_co.topic = s->retry_topic;
                s->retry_co.subscription = NULL;
                s->retry_co.restore_topic = true;
                s->retry_co.arg = &s->retry;
                ev_timer_start(s->loop, &s->retry_timer);
            }
        }
    }
    while (rc == 0 && !s->stop && !s->failed && !s->interrupted)
        ev_run(s->loop, EVRUN_ONCE);
    struct stream *sts[2] = {&s->main, &s->retry};
    for (int k = 0; k < 2; k++) {
        if (sts[k]->rb)
            rmq_qset_watch(sts[k]->qs, NULL, NULL);   /* nothing to rebalance any more */
        rmq_rebalance_stop(sts[k]->rb);
    }
    ev_timer_stop(s->loop, &s->retry_timer);
    ev_timer_stop(s->loop, &s->lock_timer);
    ev_timer_stop(s->loop, &s->relock_timer);
    stop_consumers(s);
    if (s->exec)
        exec_drain(s->exec);   /* what runs finishes (and is acknowledged) first */
    if (s->fifo)
        ev_io_stop(s->loop, &s->hup);
    if (s->lo)
        ev_timer_stop(s->loop, &s->save_timer);
    ev_signal_stop(s->loop, &s->sigint);
    ev_signal_stop(s->loop, &s->sigterm);
    if (!s->pipe_closed && !s->failed && !s->exec)
        flush_out(s);   /* what --count stopped in the middle of a batch */
    int crc = 0;
    for (int k = 0; k < 2; k++) {
        if (sts[k]->c && rmq_consumer_commit(sts[k]->c, err)) {
            fprintf(stderr, "rmq consume: %s\n", err);
            crc = 1;
        }
        if (s->orderly)   /* after the commit: the next holder starts from it */
            unlock_all(sts[k]);
    }
    keep_local(s, true);
    /* only after the commit: the members that take our queues over must find it */
    for (int k = 0; k < 2; k++)
        if (sts[k]->rb && rmq_rebalance_leave(sts[k]->rb, err))
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
    const char *exec_cmd = NULL;
    long max_reconsume = RMQ_MAX_RECONSUME_TIMES;
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
        case O_EXEC: exec_cmd = optarg; break;
        case O_MAX_RECONSUME:
            if (cmd_parse_long(optarg, 0, 10000, &max_reconsume))
                return cmd_usage_error(usage, "consume", "--max-reconsume-times must be from 0 to 10000");
            break;
        case O_ORDERLY: s.orderly = true; break;
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
    s.main.s = s.retry.s = &s;
    s.main.topic = co.topic;
    s.tg = &tg;
    co.arg = &s.main;
    if (exec_cmd) {
        struct exec_opts xo = {.loop = s.loop, .cmd = exec_cmd, .group = co.group,
                               .mode = s.broadcast ? EXEC_BROADCAST : s.orderly ? EXEC_ORDERLY : EXEC_CLUSTERING,
                               .max_reconsume = (int)max_reconsume, .on_done = on_exec_done,
                               .on_idle = on_exec_idle, .on_warning = on_warning, .arg = &s};
        s.exec = exec_new(&xo);
    }
    /* locks are a clustering group's: broadcast and -e only keep each queue in order */
    s.orderly = s.orderly && !s.broadcast && !co.stop_at_end;
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
    s.main.qs = cmd_target_qset(&tg, co.topic, RMQ_QSET_SUBSCRIBE);
    rc = run(&s, &co, co.group);
    exec_free(s.exec);
    struct stream *sts[2] = {&s.main, &s.retry};
    for (int k = 0; k < 2; k++) {
        rmq_rebalance_free(sts[k]->rb);
        rmq_consumer_free(sts[k]->c);
        rmq_qset_free(sts[k]->qs);
        free(sts[k]->base);
        free(sts[k]->unlocked);
    }
    rmq_local_offsets_free(s.lo);
    cmd_target_free(&tg);
    rmq_format_free(&s.fmt);
    rmq_buf_free(&s.out);
    free(s.hist);
    return rc;
}
