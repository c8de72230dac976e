/*
 * consume_exec.c — one child process per message, queue by queue, and what happens to a
 * message whose command failed (consume_exec.h).
 */
#include "consume_exec.h"

#include "client/retry.h"
#include "client/route.h"
#include "client/rpc.h"
#include "proto/codes.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define ORDERLY_SUSPEND_S 1.   /* suspendCurrentQueueTimeMillis */
#define LOCAL_RETRY_S 5.       /* consumeMessageLater after a failed send-back */

/* A delivered message (copied: the pull's buffer is gone when it runs), or the end of a
 * pull's batch (marker: every offset before off is delivered or filtered out). */
struct item {
    struct item *next;
    bool marker;
    int64_t off;               /* marker: the next offset; message: its queue offset */
    char *topic, *real_topic, *msg_id, *tags, *keys;
    char *props;
    size_t props_len;
    uint8_t *body;
    size_t body_len;
    int64_t phys;
    int32_t flag, queue_id;
    int reconsume;
};

enum lane_state { IDLE, RUNNING, SENDING, WAITING };

/* One queue's work. */
struct lane {
    struct lane *next;
    struct exec *x;
    struct rmq_consumer *c;
    struct rmq_qset *qs;
    int qi;
    char broker[RMQ_NAME_MAX];
    struct item *head, *tail;
    enum lane_state state;
    int step;                  /* SENDING: 0 CONSUMER_SEND_MSG_BACK, 1 the %RETRY% copy */
    ev_child child;
    ev_timer later;
    struct rmq_rpc_call call;
    struct rmq_buf props;
};

struct exec {
    struct exec_opts o;
    struct lane *lanes;
    bool draining;
};

#define warn(x, ...) rmq_warn_to((x)->o.on_warning, (x)->o.arg, NULL, __VA_ARGS__)

static char *dupn(const void *p, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) {
        fprintf(stderr, "rmq consume: out of memory\n");
        exit(1);
    }
    if (n)
        memcpy(d, p, n);
    d[n] = 0;
    return d;
}

static void item_free(struct item *it)
{
    if (!it)
        return;
    free(it->topic);
    free(it->real_topic);
    free(it->msg_id);
    free(it->tags);
    free(it->keys);
    free(it->props);
    free(it->body);
    free(it);
}

static void on_later(struct ev_loop *loop, ev_timer *w, int revents);

static struct lane *lane_of(struct exec *x, struct rmq_consumer *c, int qi, struct rmq_qset *qs)
{
    for (struct lane *l = x->lanes; l; l = l->next)
        if (l->c == c && l->qi == qi)
            return l;
    if (!qs)
        return NULL;
    struct lane *l = calloc(1, sizeof *l);
    if (!l) {
        fprintf(stderr, "rmq consume: out of memory\n");
        exit(1);
    }
    l->x = x;
    l->c = c;
    l->qs = qs;
    l->qi = qi;
    ev_timer_init(&l->later, on_later, 0., 0.);
    l->later.data = l;
    snprintf(l->broker, sizeof l->broker, "%s", rmq_consumer_queue(c, qi)->broker);
    l->next = x->lanes;
    x->lanes = l;
    return l;
}

static void push(struct lane *l, struct item *it)
{
    if (l->tail)
        l->tail->next = it;
    else
        l->head = it;
    l->tail = it;
}

static struct item *pop(struct lane *l)
{
    struct item *it = l->head;
    if (it && !(l->head = it->next))
        l->tail = NULL;
    return it;
}

static void advance(struct lane *l);

/* The head message is finished (consumed, or handed back to the broker). */
static void finished(struct lane *l)
{
    struct item *it = pop(l);
    l->state = IDLE;
    if (it && l->x->o.on_done)
        l->x->o.on_done(l->x->o.arg, l->c, l->qi, it->off + 1, 1);
    item_free(it);
    advance(l);
}

/* ---- running the command ---- */

static void on_child(struct ev_loop *loop, ev_child *w, int revents);

static void set_env(const char *name, const char *value)
{
    setenv(name, value ? value : "", 1);
}

static int body_fd(const struct item *it)
{
    int fd = memfd_create("rmq-body", MFD_CLOEXEC);
    if (fd < 0) {
        FILE *f = tmpfile();
        if (!f)
            return -1;
        fd = dup(fileno(f));
        fclose(f);
        if (fd < 0)
            return -1;
    }
    size_t done = 0;
    while (done < it->body_len) {
        ssize_t n = write(fd, it->body + done, it->body_len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void start(struct lane *l)
{
    struct exec *x = l->x;
    struct item *it = l->head;
    int fd = body_fd(it);
    pid_t pid = fd < 0 ? -1 : fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);   /* the loop may block signals it watches */
        signal(SIGPIPE, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        dup2(fd, 0);
        char num[32];
        set_env("RMQ_TOPIC", it->topic);
        snprintf(num, sizeof num, "%d", (int)it->queue_id);
        set_env("RMQ_QUEUE_ID", num);
        snprintf(num, sizeof num, "%lld", (long long)it->off);
        set_env("RMQ_QUEUE_OFFSET", num);
        set_env("RMQ_MSG_ID", it->msg_id);
        set_env("RMQ_TAGS", it->tags);
        set_env("RMQ_KEYS", it->keys);
        snprintf(num, sizeof num, "%d", it->reconsume);
        set_env("RMQ_RECONSUME_TIMES", num);
        set_env("RMQ_BROKER", l->broker);
        set_env("RMQ_GROUP", x->o.group);
        execl("/bin/sh", "sh", "-c", x->o.cmd, (char *)NULL);
        _exit(127);
    }
    if (fd >= 0)
        close(fd);
    if (pid < 0) {
        warn(x, "cannot run '%s': %s; trying again in %g s", x->o.cmd, strerror(errno), LOCAL_RETRY_S);
        l->state = WAITING;
        ev_timer_set(&l->later, LOCAL_RETRY_S, 0.);
        ev_timer_start(x->o.loop, &l->later);
        return;
    }
    l->state = RUNNING;
    ev_child_init(&l->child, on_child, pid, 0);
    l->child.data = l;
    ev_child_start(x->o.loop, &l->child);
}

static void on_later(struct ev_loop *loop, ev_timer *w, int revents)
{
    struct lane *l = w->data;
    l->state = IDLE;
    if (l->head && !l->x->draining)
        start(l);
}

static void wait_then_rerun(struct lane *l, double secs)
{
    l->state = WAITING;
    ev_timer_set(&l->later, secs, 0.);
    ev_timer_start(l->x->o.loop, &l->later);
}

/* ---- failed messages ---- */

static void send_back(struct lane *l);

static void on_sent(void *ctx, int status, const struct rmq_cmd *resp, const char *why)
{
    struct lane *l = ctx;
    struct exec *x = l->x;
    struct item *it = l->head;
    char text[RMQ_ERRLEN];
    int rc = status ? status : rmq_rpc_expect(resp, NULL, 0, text);
    rmq_buf_free(&l->props);
    if (rc == 0) {
        finished(l);
        return;
    }
    if (status)
        snprintf(text, sizeof text, "%s", why ? why : rmq_strerror(status));
    warn(x, "%s of %s queue %d offset %lld to broker %s failed: %s", l->step ? "sending a copy to the retry topic" : "sending back",
         it->topic, (int)it->queue_id, (long long)it->off, l->broker, text);
    if (l->step == 0) {
        l->step = 1;
        send_back(l);
        return;
    }
    /* neither got through: keep it here and run it again (it is not acknowledged) */
    it->reconsume++;
    wait_then_rerun(l, x->o.mode == EXEC_ORDERLY ? ORDERLY_SUSPEND_S : LOCAL_RETRY_S);
}

/* Step 0: CONSUMER_SEND_MSG_BACK; step 1: the %RETRY% copy. */
static void send_back(struct lane *l)
{
    struct exec *x = l->x;
    struct item *it = l->head;
    struct rmq_msg m = {.topic = it->real_topic, .topic_len = (uint16_t)strlen(it->real_topic),
                        .props = it->props, .props_len = (uint16_t)it->props_len, .phys_offset = it->phys,
                        .flag = it->flag, .queue_id = it->queue_id, .queue_offset = it->off,
                        .reconsume_times = it->reconsume};
    bool orderly = x->o.mode == EXEC_ORDERLY;
    struct rmq_sendback sb = {.group = x->o.group, .m = &m, .msg_id = it->msg_id,
                              .delay_level = orderly ? -1 : 0, .max_reconsume = x->o.max_reconsume};
    struct rmq_cmd req;
    if (l->step == 0) {
        rmq_sendback_req(&req, &sb);
    } else {
        /* Java: the concurrent consumer's copy counts this delivery, the orderly one's
         * already counted it; both wait 3 + reconsumeTimes levels */
        sb.delay_level = 3 + it->reconsume;
        rmq_retry_copy_req(&req, &l->props, &sb, it->body, it->body_len, orderly ? it->reconsume : it->reconsume + 1);
    }
    l->state = SENDING;
    l->call.cb = on_sent;
    l->call.ctx = l;
    char err[RMQ_ERRLEN];
    struct rmq_rpc *rpc = rmq_qset_rpc(l->qs, l->broker);
    int rc = rpc ? rmq_rpc_call(rpc, &req, 0, &l->call, err)
                 : rmq_seterr(err, RMQ_ENOTFOUND, "no address known for broker %s", l->broker);
    rmq_cmd_free(&req);
    if (rc)
        on_sent(l, rc, NULL, err);
}

static void failed(struct lane *l, const char *how)
{
    struct exec *x = l->x;
    struct item *it = l->head;
    switch (x->o.mode) {
    case EXEC_BROADCAST:
        warn(x, "%s for %s queue %d offset %lld (%s); broadcast messages are not retried", how, it->topic,
             (int)it->queue_id, (long long)it->off, it->msg_id);
        finished(l);
        return;
    case EXEC_ORDERLY:
        if (it->reconsume < x->o.max_reconsume) {
            it->reconsume++;   /* suspended a moment, then again in place */
            wait_then_rerun(l, ORDERLY_SUSPEND_S);
            return;
        }
        l->step = 0;   /* too often: to the dead-letter queue */
        send_back(l);
        return;
    case EXEC_CLUSTERING:
        l->step = 0;
        send_back(l);
        return;
    }
}

static void on_child(struct ev_loop *loop, ev_child *w, int revents)
{
    struct lane *l = w->data;
    ev_child_stop(loop, w);
    int st = w->rstatus;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
        finished(l);
        return;
    }
    char how[64];
    if (WIFSIGNALED(st))
        snprintf(how, sizeof how, "the command was killed by signal %d", WTERMSIG(st));
    else
        snprintf(how, sizeof how, "the command exited with %d", WEXITSTATUS(st));
    failed(l, how);
}

/* Starts the head message, or reports markers and idleness. */
static void advance(struct lane *l)
{
    struct exec *x = l->x;
    while (l->state == IDLE && l->head && l->head->marker) {
        struct item *it = pop(l);
        if (x->o.on_done)
            x->o.on_done(x->o.arg, l->c, l->qi, it->off, 0);
        item_free(it);
    }
    if (l->state != IDLE || x->draining)
        return;
    if (l->head)
        start(l);
    else if (x->o.on_idle)
        x->o.on_idle(x->o.arg, l->c, l->qi);
}

/* ---- the interface ---- */

struct exec *exec_new(const struct exec_opts *o)
{
    struct exec *x = calloc(1, sizeof *x);
    if (!x) {
        fprintf(stderr, "rmq consume: out of memory\n");
        exit(1);
    }
    x->o = *o;
    return x;
}

void exec_message(struct exec *x, struct rmq_consumer *c, struct rmq_qset *qs, int qi, const struct rmq_consumed *m)
{
    struct lane *l = lane_of(x, c, qi, qs);
    struct item *it = calloc(1, sizeof *it);
    if (!it) {
        fprintf(stderr, "rmq consume: out of memory\n");
        exit(1);
    }
    it->off = m->m->queue_offset;
    it->topic = dupn(m->topic ? m->topic : m->m->topic, m->topic ? m->topic_len : m->m->topic_len);
    it->real_topic = dupn(m->m->topic, m->m->topic_len);
    it->msg_id = dupn(m->msg_id, m->msg_id_len);
    it->tags = m->tags ? dupn(m->tags, m->tags_len) : NULL;
    it->keys = m->keys ? dupn(m->keys, m->keys_len) : NULL;
    it->props = dupn(m->m->props, m->m->props_len);
    it->props_len = m->m->props_len;
    it->body = (uint8_t *)dupn(m->body, m->body_len);
    it->body_len = m->body_len;
    it->phys = m->m->phys_offset;
    it->flag = m->m->flag;
    it->queue_id = m->m->queue_id;
    it->reconsume = m->m->reconsume_times;
    push(l, it);
    advance(l);
}

void exec_batch_end(struct exec *x, struct rmq_consumer *c, int qi, int64_t next)
{
    struct lane *l = lane_of(x, c, qi, NULL);
    if (!l) {   /* nothing delivered from it yet: a filtered range, done at once */
        if (x->o.on_done)
            x->o.on_done(x->o.arg, c, qi, next, 0);
        return;
    }
    struct item *it = calloc(1, sizeof *it);
    if (!it) {
        fprintf(stderr, "rmq consume: out of memory\n");
        exit(1);
    }
    it->marker = true;
    it->off = next;
    push(l, it);
    advance(l);
}

bool exec_busy(const struct exec *x, struct rmq_consumer *c, int qi)
{
    for (const struct lane *l = x->lanes; l; l = l->next)
        if (l->c == c && l->qi == qi)
            return l->head || l->state != IDLE;
    return false;
}

static bool in_flight(const struct lane *l)
{
    return l->state == RUNNING || l->state == SENDING;
}

void exec_release(struct exec *x, struct rmq_consumer *c, int qi)
{
    struct lane *l = lane_of(x, c, qi, NULL);
    if (!l)
        return;
    if (l->state == WAITING) {
        ev_timer_stop(x->o.loop, &l->later);
        l->state = IDLE;
    }
    /* what has not started is the next owner's */
    struct item *keep = in_flight(l) ? pop(l) : NULL;
    while (l->head)
        item_free(pop(l));
    if (keep)
        push(l, keep);
    bool was = x->draining;
    x->draining = true;   /* finishing it must not start anything */
    while (in_flight(l))
        ev_run(x->o.loop, EVRUN_ONCE);
    x->draining = was;
    if (l->state == WAITING) {   /* it failed and waits for another run: not ours any more */
        ev_timer_stop(x->o.loop, &l->later);
        l->state = IDLE;
    }
    while (l->head)
        item_free(pop(l));
}

void exec_drain(struct exec *x)
{
    x->draining = true;
    for (;;) {
        bool busy = false;
        for (struct lane *l = x->lanes; l; l = l->next) {
            if (l->state == WAITING) {
                ev_timer_stop(x->o.loop, &l->later);
                l->state = IDLE;
            }
            busy |= in_flight(l);
        }
        if (!busy)
            break;
        ev_run(x->o.loop, EVRUN_ONCE);
    }
}

void exec_free(struct exec *x)
{
    if (!x)
        return;
    for (struct lane *l = x->lanes, *n; l; l = n) {
        n = l->next;
        if (l->state == SENDING)
            rmq_rpc_cancel(&l->call);
        if (l->state == RUNNING)
            ev_child_stop(x->o.loop, &l->child);
        ev_timer_stop(x->o.loop, &l->later);
        while (l->head)
            item_free(pop(l));
        rmq_buf_free(&l->props);
        free(l);
    }
    free(x);
}
