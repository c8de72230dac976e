/*
 * bench-net.c — `rmq bench produce|consume|e2e`: a broker's speed over the wire.
 *
 * One process, one libev loop, N connections (net/client.h directly, for a tight loop).
 *
 * produce  SEND_MESSAGE_V2 (310) — or SEND_BATCH_MESSAGE (320, PROTOCOL §4.7) with --batch —
 *          from frames encoded once per queue (ROCKETMQ binary header): per request only the
 *          opaque (and, for latency stamps, the body's first 8 bytes) are patched. Queues are
 *          taken round-robin. Up to --window requests in flight per connection.
 *          Latency of a message = reply time − its send time; with --rate R the send time is
 *          the *intended* one (start + i/R), so a stall is charged to every message it delays
 *          (no coordinated omission).
 * consume  PULL_MESSAGE (11) loops, one per queue, all on one connection per --connections
 *          share of queues, from offset 0 (or --from last) until every queue is at its end
 *          (or --count / --duration). With --e2e: long-polling pulls from the end, and the
 *          latency of each message is now − the stamp its producer put in the body
 *          (CLOCK_REALTIME ns at the moment it was sent, as ../shared/bench/peers does).
 * e2e      both in one process: a consumer from the end on its own thread and connection,
 *          and a paced producer that waits for each acknowledgement (as the peers harness).
 * Percentiles come from a log-linear histogram (64 sub-buckets per power of two: < 1.6 %).
 */
#include "cmd.h"

#include "client/admin.h"
#include "client/rpc.h"
#include "net/addr.h"
#include "net/client.h"
#include "proto/msg.h"
#include "proto/remoting.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <ev.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/timerfd.h>
#include <unistd.h>

int cmd_bench_net(int argc, char **argv);

static const char usage[] =
    "usage: rmq bench produce|consume|e2e -b ADDR [options]\n"
    "\n"
    "Measures a running broker over the wire: msgs/s, MB/s and latency p50/p99/p999.\n"
    "  produce   pipelined sends (SEND_MESSAGE_V2, or SEND_BATCH_MESSAGE with --batch)\n"
    "  consume   pulls the topic's queues from offset 0 (or --from last) to the end;\n"
    "            with --e2e, long-polls and reports now - send stamp of each message\n"
    "  e2e       a paced producer (window 1 unless --window) and a long-polling\n"
    "            consumer on its own thread and connection, in one process\n"
    "\n"
    "  -b, --broker ADDR    host:port or unix:/path (default 127.0.0.1:10911)\n"
    "  --topic T            topic (default BenchTopic; created with 8 queues if missing)\n"
    "  --connections N      connections (default 1)\n"
    "  --window N           requests in flight per connection (default 1000)\n"
    "  --size B             message body bytes (default 1024; >= 8 with stamps)\n"
    "  --batch N            messages per SEND_BATCH_MESSAGE (0/1: single sends)\n"
    "  --duration S         run for S seconds (default 10 unless --count)\n"
    "  --count N            stop after N messages\n"
    "  --rate R             messages/s, latency measured from the intended send time\n"
    "                       (0: as fast as possible; e2e default 10000)\n"
    "  --from first|last    consume: where to start (default first)\n"
    "  --e2e                consume: end-to-end latency from the body's stamp\n"
    "  --pull-batch N       consume: maxMsgNums per pull (default 1024; the broker caps\n"
    "                       a pull at 256 KiB)\n"
    "  --warmup S           e2e: send for S more seconds first, left out of the latency\n"
    "                       figures (default 1, as the peers harness's -W; with --count\n"
    "                       they are part of the N)\n"
    "  --slow-us N          print each latency over N us to stderr with its time since\n"
    "                       the start (to line tails up with broker-side traces)\n"
    "  --json               one JSON object (msgs_per_sec, mb_per_sec, p50_us, p90_us,\n"
    "                       p99_us, p999_us, max_us, errors, ...)\n"
    "  -h, --help           this text\n";

#define E2E_DRAIN_S 0.5   /* e2e: the consumer's time for the last messages to arrive */

/* --- histogram ---------------------------------------------------------------------------- */

#define H_SUB 64
#define H_N (128 + 58 * H_SUB)
struct hist {
    uint64_t c[H_N];
    uint64_t total;
    int64_t max;
};

static int h_idx(int64_t v)
{
    if (v < 0)
        v = 0;
    if (v < 128)
        return (int)v;
    int k = 63 - __builtin_clzll((uint64_t)v);
    int i = 128 + (k - 7) * H_SUB + (int)((v >> (k - 6)) & (H_SUB - 1));
    return i < H_N ? i : H_N - 1;
}

static double h_val(int i)
{
    if (i < 128)
        return i;
    int k = (i - 128) / H_SUB + 7, s = (i - 128) % H_SUB;
    return ((double)(H_SUB + s) + 0.5) * (double)(1LL << (k - 6));
}

static void h_add(struct hist *h, int64_t v, uint64_t n)
{
    h->c[h_idx(v)] += n;
    h->total += n;
    if (v > h->max)
        h->max = v;
}

static double h_pct_us(const struct hist *h, double p)   /* values in ns */
{
    if (!h->total)
        return 0;
    uint64_t rank = (uint64_t)ceil(p * (double)h->total), seen = 0;
    if (rank < 1)
        rank = 1;
    for (int i = 0; i < H_N; i++) {
        seen += h->c[i];
        if (seen >= rank) {
            double v = h_val(i);
            return (v > (double)h->max ? (double)h->max : v) / 1000.0;
        }
    }
    return (double)h->max / 1000.0;
}

/* --- state --------------------------------------------------------------------------------- */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct opts {
    const char *broker, *topic, *from;
    long connections, window, size, batch, count, pull_batch;
    double duration, rate, slow_us, warmup;
    bool json, e2e, stamp;
};

struct bench;

struct conn {
    struct bench *b;
    struct rmq_client *cl;
    long inflight;
    bool dead;
};

struct sreq {             /* one send request in flight */
    struct conn *c;
    int64_t t0;           /* mono ns: intended (paced) or actual send time */
    struct sreq *next;    /* free list */
};

struct tmpl {             /* a pre-encoded send frame for one queue */
    struct rmq_buf f;
    size_t body_off;      /* where the body starts in f */
};

struct pq {               /* one queue's pull loop */
    struct bench *b;
    struct conn *c;
    int qid;
    int64_t next;
    bool done, inflight;
};

struct bench {
    struct ev_loop *loop;
    struct opts o;
    struct rmq_addr addr;
    int queues;
    /* produce */
    struct conn *pc;
    struct tmpl *tm;
    struct sreq *slots, *free_slots;
    long per_req;         /* messages per request */
    uint64_t sent_msgs, acked_msgs;
    long rr_q, rr_c;
    bool sending;
    int64_t start_mono, start_real, end_mono, last_ack;
    ev_timer pace, stop;
    ev_io tick;           /* paced sends: a timerfd (libev's own timers wait in whole ms,
                             too coarse at 10,000 msgs/s; spinning starves the broker) */
    int tfd;
    struct hist send_h;
    /* consume */
    struct conn *cc;
    struct pq *pqs;
    long ncc;
    bool consuming;
    uint64_t recv_msgs, recv_bytes;
    int64_t c_start, c_last;
    struct hist e2e_h;
    _Atomic int64_t warm_until;   /* e2e: real ns; messages stamped earlier are not measured */
    uint64_t warm_msgs;
    /* both */
    _Atomic bool started;   /* drive() has begun (e2e: the consumer's pulls are out) */
    uint64_t errors;
    char why[RMQ_ERRLEN];
    bool producing;
};

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void be64(uint8_t *p, uint64_t v)
{
    be32(p, (uint32_t)(v >> 32));
    be32(p + 4, (uint32_t)v);
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void note_error(struct bench *b, const char *fmt, const char *s)
{
    b->errors++;
    if (!b->why[0])
        snprintf(b->why, sizeof b->why, fmt, s);
}

static void maybe_done(struct bench *b)
{
    bool p_done = true;
    if (b->producing) {
        if (b->sending)
            p_done = false;
        for (long i = 0; b->pc && i < b->o.connections; i++)
            if (b->pc[i].inflight && !b->pc[i].dead)
                p_done = false;
    }
    if (p_done && !b->consuming)
        ev_break(b->loop, EVBREAK_ALL);
}

/* --- produce ------------------------------------------------------------------------------- */

static void build_templates(struct bench *b)
{
    size_t size = (size_t)b->o.size;
    uint8_t *body = malloc(size ? size : 1);
    for (size_t i = 0; i < size; i++)
        body[i] = (uint8_t)('a' + i % 26);
    struct rmq_buf batch = {0};
    bool is_batch = b->per_req > 1;
    if (is_batch) {
        /* PROTOCOL §4.7: TOTALSIZE MAGIC BODYCRC FLAG BODYLEN BODY PROPLEN PROPS */
        for (long k = 0; k < b->per_req; k++) {
            uint8_t h[20];
            be32(h, (uint32_t)(20 + size + 2));
            be32(h + 4, 0), be32(h + 8, 0), be32(h + 12, 0), be32(h + 16, (uint32_t)size);
            rmq_buf_add(&batch, h, 20);
            rmq_buf_add(&batch, body, size);
            uint8_t z[2] = {0, 0};
            rmq_buf_add(&batch, z, 2);
        }
    }
    b->tm = calloc((size_t)b->queues, sizeof *b->tm);
    for (int q = 0; q < b->queues; q++) {
        struct rmq_cmd c;
        rmq_cmd_init_request(&c, is_batch ? RMQ_REQ_SEND_BATCH_MESSAGE : RMQ_REQ_SEND_MESSAGE_V2,
                             RMQ_SER_ROCKETMQ);
        rmq_cmd_set_ext(&c, "a", "rmq_bench");
        rmq_cmd_set_ext(&c, "b", b->o.topic);
        rmq_cmd_set_ext(&c, "c", "TBW102");
        rmq_cmd_set_ext_int(&c, "d", 8);
        rmq_cmd_set_ext_int(&c, "e", q);
        rmq_cmd_set_ext_int(&c, "f", 0);
        rmq_cmd_set_ext_int(&c, "g", rmq_now_ms());
        rmq_cmd_set_ext_int(&c, "h", 0);
        if (is_batch) {
            rmq_cmd_set_ext(&c, "m", "true");
            c.body = batch.data, c.body_len = batch.len;
        } else {
            rmq_cmd_set_ext(&c, "i", "WAIT\001true\002");
            c.body = body, c.body_len = size;
        }
        if (rmq_cmd_encode(&c, &b->tm[q].f))
            rmq_panic("bench: cannot encode the send template");
        b->tm[q].body_off = b->tm[q].f.len - c.body_len;
        rmq_cmd_free(&c);
    }
    rmq_buf_free(&batch);
    free(body);
}

static void on_send_reply(void *ctx, int status, const uint8_t *frame, size_t len, const char *why);

/* Sends one request stamped t0 (mono) / stamp (real). false when it could not leave. */
static bool send_one(struct bench *b, int64_t t0, int64_t stamp)
{
    struct sreq *s = b->free_slots;
    if (!s)
        return false;
    /* the next live connection with room */
    struct conn *c = NULL;
    for (long i = 0; i < b->o.connections; i++) {
        struct conn *x = &b->pc[(b->rr_c + i) % b->o.connections];
        if (!x->dead && x->inflight < b->o.window) {
            c = x;
            b->rr_c = (b->rr_c + i + 1) % b->o.connections;
            break;
        }
    }
    if (!c)
        return false;
    struct tmpl *t = &b->tm[b->rr_q++ % b->queues];
    int32_t opaque = rmq_client_next_opaque(c->cl);
    be32(t->f.data + 13, (uint32_t)opaque);   /* 4 length, 4 header word, code 2, lang 1, ver 2 */
    if (b->o.stamp) {
        if (b->per_req > 1) {
            size_t rec = 20 + (size_t)b->o.size + 2;
            for (long k = 0; k < b->per_req; k++)
                be64(t->f.data + t->body_off + (size_t)k * rec + 20, (uint64_t)stamp);
        } else {
            be64(t->f.data + t->body_off, (uint64_t)stamp);
        }
    }
    s->c = c;
    s->t0 = t0;
    if (rmq_client_request(c->cl, opaque, t->f.data, t->f.len, 10000, on_send_reply, s)) {
        c->dead = true;
        note_error(b, "%s", "connection closed");
        return false;
    }
    b->free_slots = s->next;
    c->inflight++;
    b->sent_msgs += (uint64_t)b->per_req;
    return true;
}

static bool may_send(struct bench *b, int64_t now)
{
    if (!b->sending)
        return false;
    if ((b->o.count && b->sent_msgs >= (uint64_t)b->o.count) || (b->end_mono && now >= b->end_mono)) {
        b->sending = false;
        ev_timer_stop(b->loop, &b->pace);
        ev_io_stop(b->loop, &b->tick);
        return false;
    }
    return true;
}

/* now: the caller's clock reading (a reply's arrival), one read per message is enough */
static void fill_unpaced(struct bench *b, int64_t now)
{
    while (may_send(b, now) && send_one(b, now, 0))
        ;
}

static void on_pace(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    struct bench *b = w->data;
    int64_t now = mono_ns();
    double per_ns = 1e9 / b->o.rate * (double)b->per_req;
    for (;;) {
        if (!may_send(b, now))
            return;
        int64_t off = (int64_t)((double)(b->sent_msgs / (uint64_t)b->per_req) * per_ns);
        int64_t due = b->start_mono + off;
        if (due > now && b->o.connections == 1 && b->o.window == 1) {
            /* one request at a time (e2e): wait for its reply (which calls us again), then
             * sleep until the next send is due, as the peers harness paces. Through a
             * timerfd this thread ran behind its schedule and sent into its consumer's turn
             * on a shared CPU (pinned e2e p99 ~120 -> ~84 us; BENCHMARKS.md) */
            if (b->pc[0].inflight)
                return;
            struct timespec ts = {due / 1000000000, due % 1000000000};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
            now = mono_ns();
            continue;
        }
        if (due > now) {
            struct itimerspec it = {{0, 0}, {due / 1000000000, due % 1000000000}};
            timerfd_settime(b->tfd, TFD_TIMER_ABSTIME, &it, NULL);
            ev_io_start(b->loop, &b->tick);
            return;
        }
        /* the body's stamp is the real send time, as the peers harness stamps it: the end-
         * to-end figure then leaves out how late this process's timer woke it (20-40 us on
         * this VM), which the send latency above still counts from the intended time */
        if (!send_one(b, due, real_ns())) {
            /* window full: retry when a reply frees a slot (on_send_reply calls us) */
            return;
        }
    }
}

static void on_tick(struct ev_loop *loop, ev_io *w, int revents)
{
    (void)revents;
    struct bench *b = w->data;
    uint64_t n;
    if (read(b->tfd, &n, sizeof n) < 0) { /* EAGAIN: nothing expired */ }
    ev_io_stop(loop, w);
    on_pace(loop, &b->pace, 0);
}

static void on_send_reply(void *ctx, int status, const uint8_t *frame, size_t len, const char *why)
{
    struct sreq *s = ctx;
    struct conn *c = s->c;
    struct bench *b = c->b;
    int64_t now = mono_ns();
    c->inflight--;
    s->next = b->free_slots;
    b->free_slots = s;
    int code = -1;
    if (status == 0) {
        if (len >= 10 && frame[4] == RMQ_SER_ROCKETMQ) {
            code = (int16_t)(frame[8] << 8 | frame[9]);
        } else {
            struct rmq_cmd r;
            if (rmq_cmd_decode(frame, len, &r, NULL) == 0)
                code = r.code;
            rmq_cmd_free(&r);
        }
    }
    if (status == 0 && code == RMQ_RESP_SUCCESS) {
        b->acked_msgs += (uint64_t)b->per_req;
        h_add(&b->send_h, now - s->t0, (uint64_t)b->per_req);
        if (b->o.slow_us > 0 && now - s->t0 > (int64_t)(b->o.slow_us * 1e3))
            fprintf(stderr, "slow send at %.4f s: %.0f us\n",
                    (double)(now - b->start_mono) / 1e9, (double)(now - s->t0) / 1e3);
        b->last_ack = now;
    } else if (status) {
        note_error(b, "%s", why ? why : "request failed");
        if (status == RMQ_ECLOSED)
            c->dead = true;
    } else {
        char t[64];
        snprintf(t, sizeof t, "%d (%s)", code, rmq_response_name(code) ? rmq_response_name(code) : "?");
        note_error(b, "the broker answered %s", t);
    }
    if (b->o.rate > 0) {
        if (b->sending && !ev_is_active(&b->tick))
            on_pace(b->loop, &b->pace, 0);
    } else {
        fill_unpaced(b, now);
    }
    maybe_done(b);
}

static void on_stop(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void)loop, (void)revents;
    struct bench *b = w->data;
    b->sending = false;
    ev_timer_stop(b->loop, &b->pace);
    ev_io_stop(b->loop, &b->tick);
    b->consuming = false;   /* consumers: stop and let pulls in flight be dropped */
    maybe_done(b);
}

static void on_connect(void *arg, struct rmq_client *cl, int status, const char *why)
{
    (void)cl;
    struct conn *c = arg;
    if (status) {
        c->dead = true;
        note_error(c->b, "connect: %s", why);
        c->b->sending = false;
        c->b->consuming = false;
        ev_break(c->b->loop, EVBREAK_ALL);
    }
}

static int open_conn(struct bench *b, struct conn *c, char *err)
{
    struct rmq_client_opts co = {.frame_opaque = rmq_frame_opaque, .on_connect = on_connect, .arg = c};
    c->b = b;
    c->cl = rmq_client_new(b->loop, &co);
    return rmq_client_connect(c->cl, &b->addr, err);
}

/* --- consume ------------------------------------------------------------------------------- */

static void pull(struct pq *q);

static void on_pull_reply(void *ctx, int status, const uint8_t *frame, size_t len, const char *why)
{
    struct pq *q = ctx;
    struct bench *b = q->b;
    int64_t now = mono_ns(), rnow = b->o.e2e ? real_ns() : 0;   /* the reply's arrival */
    q->inflight = false;
    if (status) {
        if (b->consuming)
            note_error(b, "%s", why ? why : "pull failed");
        q->done = true;
        goto out;
    }
    struct rmq_cmd r;
    char err[RMQ_ERRLEN];
    if (rmq_cmd_decode(frame, len, &r, err)) {
        note_error(b, "bad pull reply: %s", err);
        q->done = true;
        goto out;
    }
    int64_t nb = -1;
    rmq_cmd_ext_int(&r, "nextBeginOffset", 0, INT64_MAX, &nb, NULL);
    switch (r.code) {
    case RMQ_RESP_SUCCESS: {
        const uint8_t *p = r.body;
        size_t n = r.body_len;
        while (n > 0) {
            struct rmq_msg m;
            int sz = rmq_msg_decode(p, n, &m, RMQ_MSG_CHECK_NONE, err);
            if (sz <= 0) {
                note_error(b, "bad record in a pull reply: %s", sz ? err : "blank");
                break;
            }
            b->recv_msgs++;
            b->recv_bytes += m.body_len;
            int64_t stamp = b->o.e2e && m.body_len >= 8 ? (int64_t)rd64(m.body) : 0;
            if (stamp && stamp < atomic_load_explicit(&b->warm_until, memory_order_relaxed)) {
                b->warm_msgs++;
            } else if (stamp) {
                int64_t lat = rnow - stamp;
                h_add(&b->e2e_h, lat, 1);
                if (b->o.slow_us > 0 && lat > (int64_t)(b->o.slow_us * 1e3))
                    fprintf(stderr, "slow e2e at %.4f s: %.0f us (queue %d, mono %.6f)\n",
                            (double)(rnow - b->start_real) / 1e9, (double)lat / 1e3, q->qid,
                            (double)now / 1e9);
            }
            p += sz, n -= (size_t)sz;
        }
        b->c_last = now;
        break;
    }
    case RMQ_RESP_PULL_NOT_FOUND:
        if (!b->o.e2e && !b->producing)
            q->done = true;
        break;
    case RMQ_RESP_PULL_RETRY_IMMEDIATELY:
    case RMQ_RESP_PULL_OFFSET_MOVED:
        break;
    default: {
        char t[64];
        snprintf(t, sizeof t, "%d (%s)", r.code, r.remark ? r.remark : "");
        note_error(b, "pull answered %s", t);
        q->done = true;
    }
    }
    if (nb >= 0)
        q->next = nb;
    rmq_cmd_free(&r);
    if (b->o.count && b->recv_msgs >= (uint64_t)b->o.count && !b->producing)
        b->consuming = false;
    if (b->end_mono && now >= b->end_mono && !b->producing)
        b->consuming = false;
out:
    if (b->consuming && !q->done) {
        pull(q);
        return;
    }
    bool all = true;
    for (int i = 0; i < b->queues; i++)
        if (!b->pqs[i].done && b->consuming)
            all = false;
    if (all)
        b->consuming = false;
    maybe_done(b);
}

static void pull(struct pq *q)
{
    struct bench *b = q->b;
    bool lp = b->o.e2e || b->producing;
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_PULL_MESSAGE, RMQ_SER_ROCKETMQ);
    rmq_cmd_set_ext(&req, "consumerGroup", "rmq_bench");
    rmq_cmd_set_ext(&req, "topic", b->o.topic);
    rmq_cmd_set_ext_int(&req, "queueId", q->qid);
    rmq_cmd_set_ext_int(&req, "queueOffset", q->next);
    rmq_cmd_set_ext_int(&req, "maxMsgNums", b->o.pull_batch);
    rmq_cmd_set_ext_int(&req, "sysFlag", 0x4 | (lp ? 0x2 : 0));
    rmq_cmd_set_ext_int(&req, "commitOffset", 0);
    rmq_cmd_set_ext_int(&req, "suspendTimeoutMillis", lp ? 1000 : 0);
    rmq_cmd_set_ext(&req, "subscription", "*");
    rmq_cmd_set_ext_int(&req, "subVersion", 0);
    rmq_cmd_set_ext(&req, "expressionType", "TAG");
    struct rmq_buf f = {0};
    int32_t opaque = rmq_client_next_opaque(q->c->cl);
    req.opaque = opaque;
    if (rmq_cmd_encode(&req, &f) ||
        rmq_client_request(q->c->cl, opaque, f.data, f.len, lp ? 5000 : 10000, on_pull_reply, q)) {
        note_error(b, "%s", "cannot send a pull");
        q->done = true;
    } else {
        q->inflight = true;
    }
    rmq_buf_free(&f);
    rmq_cmd_free(&req);
}

/* --- set-up and report ---------------------------------------------------------------------- */

static int topic_setup(struct bench *b, bool from_last, int64_t *starts, char *err)
{
    struct rmq_rpc *rpc = rmq_rpc_new(b->loop, &b->addr);
    int rc = rmq_rpc_connect_wait(rpc, err);
    struct rmq_topic_info ti, tbw;
    if (!rc) {
        rc = rmq_admin_topic(rpc, b->o.topic, &ti, &tbw, err);
        if (rc == RMQ_RESP_TOPIC_NOT_EXIST) {
            rc = rmq_admin_create_topic(rpc, b->o.topic, 8, err);
            ti.read_queues = ti.write_queues = 8;
        }
    }
    if (!rc) {
        b->queues = ti.write_queues < ti.read_queues ? ti.write_queues : ti.read_queues;
        if (b->queues < 1)
            b->queues = 1;
        for (int q = 0; starts && q < b->queues && !rc; q++) {
            starts[q] = 0;
            if (from_last)
                rc = rmq_admin_max_offset(rpc, b->o.topic, q, &starts[q], err);
        }
    }
    rmq_rpc_free(rpc);
    return rc;
}

static json_t *report(struct bench *b, const char *what, uint64_t msgs, double secs,
                      const struct hist *h)
{
    double mps = secs > 0 ? (double)msgs / secs : 0;
    json_t *j = json_object();
    json_object_set_new(j, "bench", json_string(what));
    json_object_set_new(j, "broker", json_string(b->o.broker));
    json_object_set_new(j, "topic", json_string(b->o.topic));
    json_object_set_new(j, "connections", json_integer(b->o.connections));
    json_object_set_new(j, "window", json_integer(b->o.window));
    json_object_set_new(j, "size", json_integer(b->o.size));
    json_object_set_new(j, "batch", json_integer(b->per_req));
    json_object_set_new(j, "rate", json_real(b->o.rate));
    json_object_set_new(j, "messages", json_integer((json_int_t)msgs));
    json_object_set_new(j, "seconds", json_real(secs));
    json_object_set_new(j, "msgs_per_sec", json_real(mps));
    json_object_set_new(j, "mb_per_sec", json_real(mps * (double)b->o.size / 1e6));
    json_object_set_new(j, "p50_us", json_real(h_pct_us(h, 0.50)));
    json_object_set_new(j, "p90_us", json_real(h_pct_us(h, 0.90)));
    json_object_set_new(j, "p99_us", json_real(h_pct_us(h, 0.99)));
    json_object_set_new(j, "p999_us", json_real(h_pct_us(h, 0.999)));
    json_object_set_new(j, "max_us", json_real((double)h->max / 1000.0));
    json_object_set_new(j, "errors", json_integer((json_int_t)b->errors));
    return j;
}

static void print_human(const char *what, json_t *j, const char *latname)
{
    printf("%s: %lld msgs in %.2f s: %.0f msgs/s, %.1f MB/s\n", what,
           (long long)json_integer_value(json_object_get(j, "messages")),
           json_real_value(json_object_get(j, "seconds")),
           json_real_value(json_object_get(j, "msgs_per_sec")),
           json_real_value(json_object_get(j, "mb_per_sec")));
    if (latname)
        printf("%s latency: p50 %.1f us, p99 %.1f us, p999 %.1f us, max %.1f us\n", latname,
               json_real_value(json_object_get(j, "p50_us")),
               json_real_value(json_object_get(j, "p99_us")),
               json_real_value(json_object_get(j, "p999_us")),
               json_real_value(json_object_get(j, "max_us")));
    printf("errors: %lld\n", (long long)json_integer_value(json_object_get(j, "errors")));
}

/* Connections, queues and send templates for a producing and/or consuming run. */
static int setup(struct bench *b, bool produce, bool consume, char *err)
{
    b->producing = produce;
    int64_t *starts = calloc(1024, sizeof *starts);
    bool from_last = (b->o.from && !strcmp(b->o.from, "last")) || (b->o.e2e && !b->o.from);
    int rc = topic_setup(b, from_last, consume ? starts : NULL, err);
    if (rc) {
        free(starts);
        return rc;
    }
    if (b->queues > 1024)
        b->queues = 1024;
    ev_timer_init(&b->pace, on_pace, 0., 0.);
    b->pace.data = b;
    b->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (b->tfd < 0) {
        free(starts);
        return rmq_seterr(err, -errno, "timerfd_create: %s", strerror(errno));
    }
    ev_io_init(&b->tick, on_tick, b->tfd, EV_READ);
    b->tick.data = b;
    ev_timer_init(&b->stop, on_stop, 0., 0.);
    b->stop.data = b;
    if (consume) {
        b->ncc = b->o.connections;
        if (b->ncc > b->queues)
            b->ncc = b->queues;
        b->cc = calloc((size_t)b->ncc, sizeof *b->cc);
        for (long i = 0; i < b->ncc && !rc; i++)
            rc = open_conn(b, &b->cc[i], err);
        b->pqs = calloc((size_t)b->queues, sizeof *b->pqs);
        for (int q = 0; q < b->queues; q++)
            b->pqs[q] = (struct pq){b, &b->cc[q % b->ncc], q, starts[q], false, false};
    }
    free(starts);
    if (produce && !rc) {
        b->pc = calloc((size_t)b->o.connections, sizeof *b->pc);
        for (long i = 0; i < b->o.connections && !rc; i++)
            rc = open_conn(b, &b->pc[i], err);
        build_templates(b);
        long nslots = b->o.connections * b->o.window;
        b->slots = calloc((size_t)nslots, sizeof *b->slots);
        for (long i = 0; i < nslots; i++) {
            b->slots[i].next = b->free_slots;
            b->free_slots = &b->slots[i];
        }
    }
    return rc;
}

/* Runs the loop until the run is over; consumers stop at the deadline plus `drain`. */
static void drive(struct bench *b, bool produce, bool consume, double drain)
{
    ev_now_update(b->loop);   /* the stop timer counts from the loop's time: not a stale one */
    b->start_mono = mono_ns();
    b->start_real = real_ns();
    b->c_start = b->start_mono;
    if (b->o.duration > 0)
        b->end_mono = b->start_mono + (int64_t)((b->o.duration + drain) * 1e9);
    if (consume) {
        b->consuming = true;
        for (int q = 0; q < b->queues; q++)
            pull(&b->pqs[q]);
    }
    atomic_store(&b->started, true);
    if (produce) {
        b->sending = true;
        if (b->o.rate > 0)
            on_pace(b->loop, &b->pace, 0);
        else
            fill_unpaced(b, mono_ns());
    }
    if (b->o.duration > 0) {
        ev_timer_set(&b->stop, b->o.duration + drain, 0.);
        ev_timer_start(b->loop, &b->stop);
    }
    ev_run(b->loop, 0);
    ev_timer_stop(b->loop, &b->stop);
    ev_timer_stop(b->loop, &b->pace);
    ev_io_stop(b->loop, &b->tick);
}

static void release(struct bench *b)
{
    if (b->tfd >= 0)
        close(b->tfd);
    for (long i = 0; b->pc && i < b->o.connections; i++)
        rmq_client_free(b->pc[i].cl);
    for (long i = 0; b->cc && i < b->ncc; i++)
        rmq_client_free(b->cc[i].cl);
    for (int q = 0; b->tm && q < b->queues; q++)
        rmq_buf_free(&b->tm[q].f);
    free(b->tm), free(b->pc), free(b->cc), free(b->pqs), free(b->slots);
}

/* Prints the result (JSON or human); the command's exit status. */
static int emit(struct bench *b, const char *what, json_t *j, const char *latname)
{
    if (b->why[0])
        json_object_set_new(j, "first_error", json_string(b->why));
    if (b->o.json) {
        char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(10));
        puts(s);
        free(s);
    } else {
        print_human(what, j, latname);
        if (b->why[0])
            printf("first error: %s\n", b->why);
    }
    json_decref(j);
    return cmd_finish_stdout(b->errors > 0 ? 1 : 0, "bench");
}

static int run(struct bench *b, const char *what)
{
    char err[RMQ_ERRLEN];
    bool produce = !strcmp(what, "produce");
    if (setup(b, produce, !produce, err)) {
        release(b);
        return cmd_fail("bench", "%s: %s", b->o.broker, err);
    }
    drive(b, produce, !produce, 0.);
    json_t *j;
    const char *lat;
    if (produce) {
        double secs = (double)((b->last_ack ? b->last_ack : mono_ns()) - b->start_mono) / 1e9;
        j = report(b, what, b->acked_msgs, secs, &b->send_h);
        lat = b->o.rate > 0 ? "send (from intended send time)" : "send";
    } else {
        double secs = (double)((b->c_last ? b->c_last : mono_ns()) - b->c_start) / 1e9;
        j = report(b, what, b->recv_msgs, secs, &b->e2e_h);
        lat = b->o.e2e ? "end-to-end" : NULL;
    }
    int rc = emit(b, what, j, lat);
    release(b);
    return rc;
}

static void *e2e_consumer(void *arg)
{
    drive(arg, false, true, E2E_DRAIN_S);
    return NULL;
}

/* e2e, measured as the peers harness measures Redis: the consumer long-polls on a thread
 * and connection of its own, and the paced producer waits for each acknowledgement before
 * the next send (--window 1 unless given). With one thread doing both, a pull's answer
 * waited behind the producer's own work (p99 55-280 us; 87-95 us this way, 2026-11-25). */
static int run_e2e(struct bench *b)
{
    char err[RMQ_ERRLEN];
    struct bench *c = calloc(1, sizeof *c);
    c->tfd = -1;   /* none yet (0 is a valid descriptor when stdin is closed) */
    if (b->o.duration > 0)
        b->o.duration += b->o.warmup;   /* both run the warm-up first (--count: part of N) */
    c->o = b->o;
    c->addr = b->addr;
    c->loop = ev_loop_new(EVFLAG_AUTO);
    pthread_t th;
    int rc = !c->loop ? rmq_seterr(err, -ENOMEM, "cannot make an event loop") : setup(c, false, true, err);
    if (!rc)
        rc = setup(b, true, false, err);
    if (!rc && (rc = pthread_create(&th, NULL, e2e_consumer, c)))
        rmq_seterr(err, -rc, "cannot start the consumer thread: %s", strerror(rc));
    if (rc) {
        release(c), release(b);
        if (c->loop)
            ev_loop_destroy(c->loop);
        free(c);
        return cmd_fail("bench", "%s: %s", b->o.broker, err);
    }
    while (!atomic_load(&c->started))
        sched_yield();
    struct timespec settle = {0, 50 * 1000000};   /* the first pulls reach the broker */
    nanosleep(&settle, NULL);
    atomic_store(&c->warm_until, real_ns() + (int64_t)(b->o.warmup * 1e9));
    drive(b, true, false, 0.);
    pthread_join(th, NULL);
    double secs = (double)((c->c_last ? c->c_last : mono_ns()) - b->start_mono) / 1e9;
    json_t *j = report(c, "e2e", c->recv_msgs, secs, &c->e2e_h);
    json_object_set_new(j, "sent_msgs", json_integer((json_int_t)b->acked_msgs));
    json_object_set_new(j, "warmup_s", json_real(b->o.warmup));
    json_object_set_new(j, "warmup_msgs", json_integer((json_int_t)c->warm_msgs));
    json_object_set_new(j, "send_p99_us", json_real(h_pct_us(&b->send_h, 0.99)));
    c->errors += b->errors;
    if (!c->why[0] && b->why[0])
        snprintf(c->why, sizeof c->why, "%s", b->why);
    rc = emit(c, "e2e", j, "end-to-end");
    release(c), release(b);
    ev_loop_destroy(c->loop);
    free(c);
    return rc;
}

int cmd_bench_net(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"broker", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"connections", required_argument, NULL, 'C'},
        {"window", required_argument, NULL, 'w'},
        {"size", required_argument, NULL, 's'},
        {"batch", required_argument, NULL, 'B'},
        {"duration", required_argument, NULL, 'd'},
        {"count", required_argument, NULL, 'n'},
        {"rate", required_argument, NULL, 'r'},
        {"from", required_argument, NULL, 'f'},
        {"e2e", no_argument, NULL, 'e'},
        {"pull-batch", required_argument, NULL, 'P'},
        {"json", no_argument, NULL, 'j'},
        {"slow-us", required_argument, NULL, 'S'},
        {"warmup", required_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *what = argv[1];
    if (cmd_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    struct bench *b = calloc(1, sizeof *b);
    b->tfd = -1;
    b->o = (struct opts){.broker = "127.0.0.1:10911", .topic = "BenchTopic", .connections = 1,
                         .window = 1000, .size = 1024, .pull_batch = 1024};
    bool e2e_cmd = !strcmp(what, "e2e");
    if (e2e_cmd) {
        b->o.rate = 10000;
        b->o.e2e = true;
        b->o.window = 1;
        b->o.warmup = 1;
    }
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "b:h", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'b': b->o.broker = optarg; break;
        case 't': b->o.topic = optarg; break;
        case 'C': b->o.connections = strtol(optarg, &end, 10); break;
        case 'w': b->o.window = strtol(optarg, &end, 10); break;
        case 's': b->o.size = strtol(optarg, &end, 10); break;
        case 'B': b->o.batch = strtol(optarg, &end, 10); break;
        case 'd': b->o.duration = strtod(optarg, &end); break;
        case 'n': b->o.count = strtol(optarg, &end, 10); break;
        case 'r': b->o.rate = strtod(optarg, &end); break;
        case 'f': b->o.from = optarg; break;
        case 'e': b->o.e2e = true; break;
        case 'P': b->o.pull_batch = strtol(optarg, &end, 10); break;
        case 'j': b->o.json = true; break;
        case 'S': b->o.slow_us = strtod(optarg, &end); break;
        case 'W': b->o.warmup = strtod(optarg, &end); break;
        default: free(b); return cmd_usage_error(usage, "bench", NULL);
        }
        if (end && (*end || end == optarg)) {
            free(b);
            return cmd_usage_error(usage, "bench", "invalid number '%s'", optarg);
        }
    }
    if (optind < argc || b->o.connections < 1 || b->o.window < 1 || b->o.size < 0 ||
        b->o.batch < 0 || b->o.count < 0 || b->o.duration < 0 || b->o.rate < 0 || b->o.warmup < 0 ||
        b->o.pull_batch < 1 || b->o.connections > 1024) {
        free(b);
        return cmd_usage_error(usage, "bench", "bad arguments (counts and sizes must be positive)");
    }
    if (!e2e_cmd && b->o.warmup > 0) {
        free(b);
        return cmd_usage_error(usage, "bench", "--warmup is for e2e");
    }
    if (b->o.from && strcmp(b->o.from, "first") && strcmp(b->o.from, "last")) {
        free(b);
        return cmd_usage_error(usage, "bench", "--from must be first or last");
    }
    if (!b->o.count && b->o.duration == 0)
        b->o.duration = 10;
    b->per_req = b->o.batch > 1 ? b->o.batch : 1;
    b->o.stamp = e2e_cmd || b->o.rate > 0;
    if (b->o.stamp && b->o.size < 8) {
        free(b);
        return cmd_usage_error(usage, "bench", "--size must be at least 8 with --rate (the stamp)");
    }
    char err[RMQ_ERRLEN];
    if (rmq_addr_parse(b->o.broker, &b->addr, err)) {
        free(b);
        return cmd_usage_error(usage, "bench", "--broker: %s", err);
    }
    rmq_log_level = RMQ_LOG_WARN;
    b->loop = EV_DEFAULT;
    int rc = e2e_cmd ? run_e2e(b) : run(b, what);
    free(b);
    return rc;
}
