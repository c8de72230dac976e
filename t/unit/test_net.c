/* Unit tests for core/net/: addresses, the framed server and the request client, over real
 * sockets (127.0.0.1 port 0 and a Unix socket in a private temp dir) with the loop run in
 * the test until a condition holds or a deadline passes — never a sleep. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/addr.h"
#include "net/client.h"
#include "net/conn.h"
#include "net/pending.h"
#include "net/server.h"
#include "util/bytes.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* ---- harness --------------------------------------------------------------------------- */

static struct ev_loop *loop;
static char dir[256];
static ev_timer tick;

static void tick_cb(struct ev_loop *l, ev_timer *w, int revents) {}

static void tick_start(void)
{
    ev_timer_init(&tick, tick_cb, 0.002, 0.002);
    ev_timer_start(loop, &tick);
}

static void tick_stop(void)
{
    ev_timer_stop(loop, &tick);
}

/* Runs the loop until expr holds or ms pass (a ticker keeps EVRUN_ONCE from blocking). */
#define RUN_UNTIL(expr, ms)                                                                  \
    do {                                                                                     \
        int64_t end_ = rmq_mono_us() + (int64_t)(ms) * 1000;                                 \
        tick_start();                                                                        \
        while (!(expr) && rmq_mono_us() < end_)                                              \
            ev_run(loop, EVRUN_ONCE);                                                        \
        tick_stop();                                                                         \
    } while (0)
#define ASSERT_SOON(expr, ms)                                                                \
    do {                                                                                     \
        RUN_UNTIL(expr, ms);                                                                 \
        assert_true(expr);                                                                   \
    } while (0)
/* Runs the loop for ms whatever happens (to show that something does NOT happen). */
#define RUN_FOR(ms) RUN_UNTIL(0, ms)

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/rmq-test-net-XXXXXX");
    assert_non_null(mkdtemp(dir));
    loop = ev_loop_new(EVFLAG_AUTO);
    assert_non_null(loop);
    return 0;
}

static int teardown(void **state)
{
    /* every watcher of ours must be gone: a leftover active one would keep the loop alive */
    ev_run(loop, EVRUN_NOWAIT);
    ev_loop_destroy(loop);
    rmq_remove_tree(dir);
    return 0;
}

/* Test frames: length | opaque 4 | flag 1 | payload. Bit 0 of flag: response. */
#define HDR 9

static size_t mkframe(uint8_t *out, int32_t opaque, uint8_t flag, const void *p, size_t n)
{
    wr32(out, (uint32_t)(5 + n));
    wr32(out + 4, (uint32_t)opaque);
    out[8] = flag;
    if (n)
        memcpy(out + HDR, p, n);
    return HDR + n;
}

static int frame_opaque(const uint8_t *f, size_t len, int32_t *opaque, bool *resp)
{
    if (len < HDR)
        return RMQ_EINVAL;
    *opaque = (int32_t)rd32(f + 4);
    *resp = f[8] & 1;
    return 0;
}

/* ---- a test server --------------------------------------------------------------------- */

enum { ECHO, HOLD, BIG, PRESSURE, SILENT };

struct held {
    struct rmq_conn *c;
    uint8_t *f;
    size_t n;
};

struct srv {
    struct rmq_server *s;
    struct rmq_addr bound;
    int mode;
    int opens, closes, frames;
    int close_at;              /* close the connection on this frame number (1-based) */
    int last_reason;
    struct rmq_conn *last;     /* last opened; valid while open */
    struct held held[64];
    int nheld;
    size_t peak_unsent;
    size_t big;                /* BIG: reply size */
    bool big_close;            /* BIG: close after flush */
    int sndbuf;                /* set SO_SNDBUF on new connections */
};

static int released;
static uint8_t block[32 << 10];
static void count_release(void *ctx) { released++; }

static void s_open(void *arg, struct rmq_conn *c)
{
    struct srv *s = arg;
    s->opens++;
    s->last = c;
    if (s->sndbuf)
        setsockopt(rmq_conn_fd(c), SOL_SOCKET, SO_SNDBUF, &s->sndbuf, sizeof s->sndbuf);
}

static void s_close(void *arg, struct rmq_conn *c)
{
    struct srv *s = arg;
    assert_true(rmq_conn_is_closed(c));
    s->closes++;
    s->last_reason = rmq_conn_reason(c);
}

static void s_frame(void *arg, struct rmq_conn *c, const uint8_t *f, size_t n)
{
    struct srv *s = arg;
    s->frames++;
    assert_int_equal(rd32(f) + 4, n);
    if (s->close_at && s->frames == s->close_at) {
        rmq_conn_close(c);
        return;
    }
    if (n == HDR + 4 && memcmp(f + HDR, "push", 4) == 0) {
        /* a request from the server to the client, on the client's connection */
        uint8_t req[HDR + 3];
        rmq_conn_send(c, req, mkframe(req, 777, 0, "hey", 3));
    }
    if (s->mode == ECHO) {
        uint8_t *d = rmq_conn_reserve(c, n);
        assert_non_null(d);
        memcpy(d, f, n);
        d[8] |= 1;
        rmq_conn_commit(c, n);
    } else if (s->mode == HOLD) {
        assert_true(s->nheld < 64);
        struct held *h = &s->held[s->nheld++];
        rmq_conn_ref(c);
        h->c = c;
        h->f = malloc(n);
        memcpy(h->f, f, n);
        h->n = n;
    } else if (s->mode == BIG || s->mode == PRESSURE) {
        /* header copied, body borrowed */
        size_t body = s->mode == BIG ? s->big : sizeof block;
        uint8_t h[HDR];
        wr32(h, (uint32_t)(5 + body));
        memcpy(h + 4, f + 4, 4);
        h[8] = 1;
        assert_int_equal(rmq_conn_send(c, h, HDR), 0);
        if (s->mode == BIG) {
            uint8_t *p = malloc(body);
            memset(p, 'x', body);
            assert_int_equal(rmq_conn_send_owned(c, p, body), 0);
            if (s->big_close)
                rmq_conn_close_after_flush(c);
        } else {
            assert_int_equal(rmq_conn_send_ref(c, block, body, count_release, NULL), 0);
        }
        if (rmq_conn_unsent(c) > s->peak_unsent)
            s->peak_unsent = rmq_conn_unsent(c);
    }
}

/* Answers (and drops) held frames in the order given by idx (NULL: reverse). */
static void answer_held(struct srv *s, const int *idx)
{
    for (int k = 0; k < s->nheld; k++) {
        struct held *h = &s->held[idx ? idx[k] : s->nheld - 1 - k];
        h->f[8] |= 1;
        rmq_conn_send(h->c, h->f, h->n);
    }
    for (int k = 0; k < s->nheld; k++) {
        rmq_conn_unref(s->held[k].c);
        free(s->held[k].f);
    }
    s->nheld = 0;
}

static void srv_start(struct srv *s, const char *addr, struct rmq_server_opts *o)
{
    struct rmq_server_opts d = {0};
    if (!o)
        o = &d;
    o->on_open = s_open;
    o->on_frame = s_frame;
    o->on_close = s_close;
    o->arg = s;
    s->s = rmq_server_new(loop, o);
    struct rmq_addr a;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_addr_parse(addr, &a, err), 0);
    int rc = rmq_server_listen(s->s, &a, &s->bound, err);
    if (rc)
        fail_msg("listen: %s", err);
}

static void srv_stop(struct srv *s)
{
    answer_held(s, NULL);
    rmq_server_free(s->s);
    s->s = NULL;
}

static void unix_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "unix:%s/%s", dir, name);
}

/* ---- raw sockets ----------------------------------------------------------------------- */

static int raw_connect(const struct rmq_addr *a, int rcvbuf)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    assert_int_equal(rmq_addr_resolve(a, false, &ss, &sl, NULL), 0);
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (a->kind == RMQ_ADDR_TCP) {  /* no Nagle: a 1-byte write leaves at once */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    /* completes in the kernel's backlog, without the loop running */
    assert_int_equal(connect(fd, (struct sockaddr *)&ss, sl), 0);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void raw_write(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EAGAIN) {
            RUN_FOR(1);
            continue;
        }
        assert_true(w > 0);
        b += w;
        n -= (size_t)w;
    }
}

/* Reads exactly n bytes (running the loop meanwhile); false on EOF, error or deadline. */
static bool raw_read(int fd, void *p, size_t n, int ms)
{
    uint8_t *b = p;
    size_t got = 0;
    int64_t end = rmq_mono_us() + (int64_t)ms * 1000;
    tick_start();
    while (got < n && rmq_mono_us() < end) {
        ssize_t r = recv(fd, b + got, n - got, MSG_DONTWAIT);
        if (r > 0)
            got += (size_t)r;
        else if (r == 0 || (errno != EAGAIN && errno != EINTR))
            break;
        else
            ev_run(loop, EVRUN_ONCE);
    }
    tick_stop();
    return got == n;
}

/* True when the peer closed (EOF or reset) within ms; data before the close is skipped. */
static bool raw_eof(int fd, int ms)
{
    int64_t end = rmq_mono_us() + (int64_t)ms * 1000;
    bool eof = false;
    tick_start();
    while (!eof && rmq_mono_us() < end) {
        uint8_t b[4096];
        ssize_t r = recv(fd, b, sizeof b, MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
            eof = true;
        else if (r < 0)
            ev_run(loop, EVRUN_ONCE);
    }
    tick_stop();
    return eof;
}

/* One echo round trip on a raw socket. */
static void raw_echo(int fd, int32_t op, const char *text)
{
    uint8_t f[256], g[256];
    size_t n = mkframe(f, op, 0, text, strlen(text));
    raw_write(fd, f, n);
    assert_true(raw_read(fd, g, n, 2000));
    f[8] |= 1;
    assert_memory_equal(f, g, n);
}

/* ---- a test client --------------------------------------------------------------------- */

struct cli {
    struct rmq_client *c;
    int connects, connect_status, closes, close_reason, requests;
    char why[RMQ_ERRLEN];
};

struct call {
    int done, status;
    int order;                 /* completion rank */
    uint8_t *want;             /* expected payload */
    size_t wn;
    char why[RMQ_ERRLEN];
};

static int completed;

static void c_connect(void *arg, struct rmq_client *cl, int status, const char *why)
{
    struct cli *c = arg;
    c->connects++;
    c->connect_status = status;
    snprintf(c->why, sizeof c->why, "%s", why ? why : "");
}

static void c_close(void *arg, struct rmq_client *cl, int reason, const char *why)
{
    struct cli *c = arg;
    c->closes++;
    c->close_reason = reason;
    snprintf(c->why, sizeof c->why, "%s", why);
}

static void c_request(void *arg, struct rmq_client *cl, const uint8_t *f, size_t n)
{
    struct cli *c = arg;
    c->requests++;
    assert_int_equal(n, HDR + 3);
    assert_memory_equal(f + HDR, "hey", 3);
}

static void on_reply(void *ctx, int status, const uint8_t *f, size_t n, const char *why)
{
    struct call *k = ctx;
    assert_int_equal(k->done, 0);  /* exactly once */
    k->done = 1;
    k->status = status;
    k->order = ++completed;
    snprintf(k->why, sizeof k->why, "%s", why ? why : "");
    if (status == 0) {
        assert_non_null(f);
        assert_int_equal(n, HDR + k->wn);
        assert_true(f[8] & 1);
        if (k->wn)
            assert_memory_equal(f + HDR, k->want, k->wn);
    } else {
        assert_null(f);
        assert_non_null(why);
    }
}

static void cli_start(struct cli *c, const struct rmq_addr *a)
{
    struct rmq_client_opts o = {.frame_opaque = frame_opaque, .on_connect = c_connect,
                                .on_close = c_close, .on_request = c_request, .arg = c};
    c->c = rmq_client_new(loop, &o);
    char err[RMQ_ERRLEN];
    int rc = rmq_client_connect(c->c, a, err);
    if (rc)
        fail_msg("connect: %s", err);
}

/* Sends payload p[0..n) as a request and registers k for the reply. */
static int cli_call(struct cli *c, struct call *k, const void *p, size_t n, int64_t ms)
{
    int32_t op = rmq_client_next_opaque(c->c);
    uint8_t *f = malloc(HDR + n);
    size_t fn = mkframe(f, op, 0, p, n);
    memset(k, 0, sizeof *k);
    k->want = (uint8_t *)p;
    k->wn = n;
    int rc = rmq_client_request(c->c, op, f, fn, ms, on_reply, k);
    free(f);
    return rc;
}

/* ---- addresses ------------------------------------------------------------------------- */

static void test_addr_parse(void **state)
{
    struct rmq_addr a;
    char err[RMQ_ERRLEN], t[RMQ_ADDR_TEXTLEN];

    assert_int_equal(rmq_addr_parse("127.0.0.1:10911", &a, err), 0);
    assert_int_equal(a.kind, RMQ_ADDR_TCP);
    assert_string_equal(a.host, "127.0.0.1");
    assert_int_equal(a.port, 10911);
    assert_string_equal(rmq_addr_format(&a, t, sizeof t), "127.0.0.1:10911");

    assert_int_equal(rmq_addr_parse("  [::1]:9876 ", &a, err), 0);
    assert_string_equal(a.host, "::1");
    assert_int_equal(a.port, 9876);
    assert_string_equal(rmq_addr_format(&a, t, sizeof t), "[::1]:9876");

    assert_int_equal(rmq_addr_parse("[fe80::1%lo]:1", &a, err), 0);
    assert_string_equal(a.host, "fe80::1%lo");

    assert_int_equal(rmq_addr_parse("broker-a.example_x:0", &a, err), 0);
    assert_string_equal(a.host, "broker-a.example_x");
    assert_int_equal(a.port, 0);

    assert_int_equal(rmq_addr_parse("unix:/run/rmq.sock", &a, err), 0);
    assert_int_equal(a.kind, RMQ_ADDR_UNIX);
    assert_string_equal(a.path, "/run/rmq.sock");
    assert_string_equal(rmq_addr_format(&a, t, sizeof t), "unix:/run/rmq.sock");

    /* a round trip through the text form */
    struct rmq_addr b;
    assert_int_equal(rmq_addr_parse(t, &b, err), 0);
    assert_true(rmq_addr_equal(&a, &b));

    static const struct {
        const char *text;
        int rc;
        const char *msg;
    } bad[] = {
        {"", RMQ_EINVAL, "empty address"},
        {"localhost", RMQ_EINVAL, "missing port"},
        {"localhost:", RMQ_EINVAL, "port must be"},
        {":80", RMQ_EINVAL, "missing host"},
        {"h:65536", RMQ_EINVAL, "port must be"},
        {"h:12a", RMQ_EINVAL, "port must be"},
        {"h:-1", RMQ_EINVAL, "port must be"},
        {"::1:9876", RMQ_EINVAL, "needs brackets"},
        {"[::1]", RMQ_EINVAL, "missing port"},
        {"[::1:80", RMQ_EINVAL, "missing ']'"},
        {"[zz]:80", RMQ_EINVAL, "bad IPv6"},
        {"[::1]x80", RMQ_EINVAL, "expected ':'"},
        {"a b:80", RMQ_EINVAL, "bad character ' '"},
        {"unix:", RMQ_EINVAL, "empty unix socket path"},
        {"unix:/" "0123456789012345678901234567890123456789012345678901234567890123456789"
         "01234567890123456789012345678901234567890123456789", RMQ_ETOOBIG, "the limit is 107"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = 0;
        int rc = rmq_addr_parse(bad[i].text, &a, err);
        if (rc != bad[i].rc || !strstr(err, bad[i].msg))
            fail_msg("'%s': got %d '%s', want %d '%s'", bad[i].text, rc, err, bad[i].rc,
                     bad[i].msg);
    }
}

static void test_addr_list(void **state)
{
    struct rmq_addr *v;
    size_t n;
    char err[RMQ_ERRLEN], t[4 * RMQ_ADDR_TEXTLEN];
    assert_int_equal(rmq_addr_list_parse(" 10.0.0.1:9876 ; [::1]:9877;unix:/a b;; ", &v, &n, err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].host, "10.0.0.1");
    assert_string_equal(v[1].host, "::1");
    assert_string_equal(v[2].path, "/a b");
    assert_string_equal(rmq_addr_list_format(v, n, t, sizeof t),
                        "10.0.0.1:9876;[::1]:9877;unix:/a b");
    free(v);
    assert_int_equal(rmq_addr_list_parse("h:1", &v, &n, err), 0);
    assert_int_equal(n, 1);
    free(v);
    assert_int_equal(rmq_addr_list_parse(" ; ;", &v, &n, err), RMQ_EINVAL);
    assert_non_null(strstr(err, "empty address list"));
    assert_null(v);
    assert_int_equal(rmq_addr_list_parse("h:1;h2", &v, &n, err), RMQ_EINVAL);
    assert_non_null(strstr(err, "'h2'"));
    assert_null(v);
    assert_int_equal(n, 0);
}

static void test_addr_resolve(void **state)
{
    struct rmq_addr a, b;
    struct sockaddr_storage ss;
    socklen_t sl;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_addr_parse("localhost:80", &a, err), 0);
    assert_int_equal(rmq_addr_resolve(&a, false, &ss, &sl, err), 0);
    assert_int_equal(ss.ss_family, AF_INET);  /* IPv4 first, as Java */
    assert_int_equal(rmq_addr_from_sockaddr((struct sockaddr *)&ss, sl, &b), 0);
    assert_string_equal(b.host, "127.0.0.1");
    assert_int_equal(b.port, 80);
    assert_int_equal(rmq_addr_parse("[::ffff:1.2.3.4]:5", &a, err), 0);
    assert_int_equal(rmq_addr_resolve(&a, false, &ss, &sl, err), 0);
    assert_int_equal(rmq_addr_from_sockaddr((struct sockaddr *)&ss, sl, &b), 0);
    assert_string_equal(b.host, "1.2.3.4");  /* IPv4-mapped shown as IPv4 */
    assert_int_equal(rmq_addr_parse("no-such-host.invalid:1", &a, err), 0);
    assert_int_equal(rmq_addr_resolve(&a, false, &ss, &sl, err), RMQ_ENOTFOUND);
    assert_non_null(strstr(err, "cannot resolve 'no-such-host.invalid:1'"));
}

/* The pending table against a brute-force model: random adds and takes (opaques chosen to
 * collide in the hash), the minimum always the nearest deadline, oldest first on ties. */
static void test_pending_table(void **state)
{
    enum { M = 3000 };
    struct rmq_ptable t;
    rmq_ptable_init(&t);
    static bool live[M];
    static double dl[M];
    static uint64_t sq[M];
    memset(live, 0, sizeof live);
    uint64_t seq = 0;
    unsigned rnd = 12345;
    for (int step = 0; step < 200000; step++) {
        rnd = rnd * 1103515245u + 12345u;
        int i = (int)((rnd >> 8) % M);
        int32_t op = (int32_t)((uint32_t)i * 65536u);  /* spread keys, clustered hashes */
        if (live[i]) {
            struct rmq_pend p;
            assert_null(rmq_ptable_add(&t, op, 0, seq));   /* present: refused, unchanged */
            assert_true(rmq_ptable_take(&t, op, &p));
            assert_int_equal(p.opaque, op);
            assert_true(p.ctx == &live[i]);
            live[i] = false;
        } else {
            assert_false(rmq_ptable_has(&t, op));
            dl[i] = (double)((rnd >> 4) % 50);
            sq[i] = seq;
            struct rmq_pend *p = rmq_ptable_add(&t, op, dl[i], seq++);
            p->ctx = &live[i];
            live[i] = true;
        }
        if (step % 97 == 0) {
            int best = -1;
            uint32_t n = 0;
            for (int j = 0; j < M; j++) {
                if (!live[j])
                    continue;
                n++;
                assert_true(rmq_ptable_has(&t, (int32_t)((uint32_t)j * 65536u)));
                if (best < 0 || dl[j] < dl[best] || (dl[j] == dl[best] && sq[j] < sq[best]))
                    best = j;
            }
            assert_int_equal(rmq_ptable_count(&t), n);
            const struct rmq_pend *m = rmq_ptable_min(&t);
            if (best < 0)
                assert_null(m);
            else
                assert_int_equal(m->opaque, (int32_t)((uint32_t)best * 65536u));
        }
    }
    assert_false(rmq_ptable_take(&t, 7, NULL));
    rmq_ptable_free(&t);
    assert_null(rmq_ptable_min(&t));
}

/* ---- server and client ----------------------------------------------------------------- */

static void echo_roundtrips(const char *addr)
{
    struct srv s = {.mode = ECHO};
    srv_start(&s, addr, NULL);
    struct cli c = {0};
    cli_start(&c, &s.bound);
    assert_true(rmq_client_is_connecting(c.c));
    ASSERT_SOON(c.connects == 1, 2000);
    assert_int_equal(c.connect_status, 0);
    assert_true(rmq_client_is_open(c.c));

    /* sizes around the 64 KiB chunk and a frame that must grow the read buffer */
    static const size_t sizes[] = {0, 1, 100, 65536 - HDR, 65536, 70000, 300000};
    enum { N = sizeof sizes / sizeof sizes[0] };
    struct call k[N];
    uint8_t *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = malloc(sizes[i] + 1);
        for (size_t j = 0; j < sizes[i]; j++)
            p[i][j] = (uint8_t)(j * 7 + i);
        assert_int_equal(cli_call(&c, &k[i], p[i], sizes[i], 5000), 0);
    }
    assert_int_equal(rmq_client_pending(c.c), N);
    ASSERT_SOON(completed == N, 5000);
    for (int i = 0; i < N; i++) {
        assert_int_equal(k[i].status, 0);
        free(p[i]);
    }
    assert_int_equal(rmq_client_pending(c.c), 0);

    /* a request in pieces: header copied, body borrowed */
    struct call kb;
    static const char body[] = "borrowed body";
    int32_t op = rmq_client_next_opaque(c.c);
    uint8_t h[HDR];
    mkframe(h, op, 0, NULL, 0);
    wr32(h, 5 + sizeof body);
    memset(&kb, 0, sizeof kb);
    kb.want = (uint8_t *)body;
    kb.wn = sizeof body;
    released = 0;
    assert_int_equal(rmq_client_expect(c.c, op, 5000, on_reply, &kb), 0);
    assert_int_equal(rmq_client_expect(c.c, op, 5000, on_reply, &kb), RMQ_EINVAL);
    assert_int_equal(rmq_conn_send(rmq_client_conn(c.c), h, HDR), 0);
    assert_int_equal(rmq_conn_send_ref(rmq_client_conn(c.c), body, sizeof body, count_release,
                                       NULL), 0);
    ASSERT_SOON(kb.done, 2000);
    assert_int_equal(kb.status, 0);
    assert_int_equal(released, 1);

    /* oneway, and a request from the server answered through on_request */
    uint8_t f[64];
    int frames = s.frames;
    assert_int_equal(rmq_client_send(c.c, f, mkframe(f, 5, 2, "push", 4)), 0);
    ASSERT_SOON(c.requests == 1 && s.frames == frames + 1, 2000);

    /* the peer as text */
    assert_non_null(s.last);
    const char *peer = rmq_conn_peer(s.last);
    if (s.bound.kind == RMQ_ADDR_UNIX) {
        char want[300];
        snprintf(want, sizeof want, "unix:%s#%d", s.bound.path, (int)getpid());
        assert_string_equal(peer, want);
        assert_true(rmq_conn_is_unix(s.last));
        /* both ends asked for a larger send buffer than the default (see conn.c) */
        long dflt = 0;
        FILE *wf = fopen("/proc/sys/net/core/wmem_default", "r");
        if (wf) {
            assert_int_equal(fscanf(wf, "%ld", &dflt), 1);
            fclose(wf);
        }
        const struct rmq_conn *ends[] = {s.last, rmq_client_conn(c.c)};
        for (int i = 0; i < 2; i++) {
            int size = 0;
            socklen_t sl = sizeof size;
            assert_int_equal(getsockopt(rmq_conn_fd(ends[i]), SOL_SOCKET, SO_SNDBUF, &size, &sl), 0);
            assert_true(size > dflt);
        }
    } else {
        assert_true(strncmp(peer, "127.0.0.1:", 10) == 0);
        assert_false(rmq_conn_is_unix(s.last));
    }

    rmq_client_free(c.c);
    ASSERT_SOON(rmq_server_nconns(s.s) == 0, 2000);
    assert_int_equal(c.closes, 1);
    assert_int_equal(c.close_reason, RMQ_ECLOSED);
    assert_int_equal(s.closes, 1);
    assert_int_equal(s.last_reason, 0);  /* the server saw an orderly close */
    srv_stop(&s);
}

static void test_echo_tcp(void **state)
{
    completed = 0;
    echo_roundtrips("127.0.0.1:0");
}

static void test_echo_unix(void **state)
{
    char a[300];
    unix_path(a, sizeof a, "echo.sock");
    completed = 0;
    echo_roundtrips(a);
    struct stat st;
    assert_int_equal(stat(a + 5, &st), -1);  /* removed by rmq_server_free */
}

static void test_unix_socket_file(void **state)
{
    char a[300], err[RMQ_ERRLEN];
    unix_path(a, sizeof a, "s.sock");
    const char *path = a + 5;
    struct rmq_addr addr;
    assert_int_equal(rmq_addr_parse(a, &addr, err), 0);

    /* a stale socket file (its process died) is replaced */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof un.sun_path, "%s", path);
    assert_int_equal(bind(fd, (struct sockaddr *)&un, sizeof un), 0);
    close(fd);
    struct srv s = {.mode = ECHO};
    srv_start(&s, a, NULL);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0660);
    int r = raw_connect(&s.bound, 0);
    raw_echo(r, 1, "after stale");
    close(r);

    /* a live one is not */
    struct rmq_server_opts o = {.on_frame = s_frame, .arg = &s};
    struct rmq_server *s2 = rmq_server_new(loop, &o);
    assert_int_equal(rmq_server_listen(s2, &addr, NULL, err), -EADDRINUSE);
    assert_non_null(strstr(err, "another process listens there"));
    assert_int_equal(stat(path, &st), 0);

    /* nor is anything that is not a socket */
    char f[300];
    snprintf(f, sizeof f, "unix:%s/regular", dir);
    FILE *fp = fopen(f + 5, "w");
    fputs("keep me", fp);
    fclose(fp);
    struct rmq_addr fa;
    assert_int_equal(rmq_addr_parse(f, &fa, err), 0);
    assert_int_equal(rmq_server_listen(s2, &fa, NULL, err), RMQ_EINVAL);
    assert_non_null(strstr(err, "is not a socket"));
    assert_int_equal(stat(f + 5, &st), 0);
    assert_true(S_ISREG(st.st_mode));

    /* too long for sun_path */
    struct rmq_addr la = {.kind = RMQ_ADDR_UNIX};
    memset(la.path, 'x', RMQ_ADDR_PATHMAX);
    memcpy(la.path, "/no-such-dir/", 13);
    assert_int_equal(rmq_server_listen(s2, &la, NULL, err), -ENOENT);  /* 107 bytes fit */
    rmq_server_free(s2);

    /* a TCP port in use */
    struct srv t = {.mode = ECHO};
    srv_start(&t, "127.0.0.1:0", NULL);
    struct rmq_server *s3 = rmq_server_new(loop, &o);
    assert_int_equal(rmq_server_listen(s3, &t.bound, NULL, err), -EADDRINUSE);
    assert_non_null(strstr(err, "address already in use"));
    rmq_server_free(s3);
    srv_stop(&t);

    srv_stop(&s);
    assert_int_equal(stat(path, &st), -1);
}

/* Frames fed one byte at a time: each byte is a separate read on the server. */
static void split_bytes(const char *addr)
{
    struct srv s = {.mode = ECHO};
    srv_start(&s, addr, NULL);
    int r = raw_connect(&s.bound, 0);
    ASSERT_SOON(s.opens == 1, 2000);
    int sfd = rmq_conn_fd(s.last);

    uint8_t in[1024], out[1024], big[300];
    memset(big, 'b', sizeof big);
    size_t n = 0, ends[3];
    n += mkframe(in + n, 1, 0, NULL, 0);
    ends[0] = n;
    n += mkframe(in + n, 2, 0, "twenty bytes here!!", 19);
    ends[1] = n;
    n += mkframe(in + n, 3, 0, big, sizeof big);
    ends[2] = n;
    int e = 0;
    for (size_t i = 0; i < n; i++) {
        raw_write(r, in + i, 1);
        /* wait until the byte left the client (TCP) and the server read it */
        int unsent = 0, avail = 1;
        if (s.bound.kind == RMQ_ADDR_TCP)
            RUN_UNTIL(ioctl(r, SIOCOUTQNSD, &unsent) == 0 && unsent == 0, 2000);
        assert_int_equal(unsent, 0);
        RUN_UNTIL(ioctl(sfd, FIONREAD, &avail) == 0 && avail == 0, 2000);
        assert_int_equal(avail, 0);
        if (i + 1 == ends[e])
            e++;
        if (s.frames != e)
            fail_msg("after byte %zu: %d frames, want %d", i + 1, s.frames, e);
    }
    assert_true(raw_read(r, out, n, 2000));
    for (int k = 0; k < 3; k++)
        in[(k ? ends[k - 1] : 0) + 8] |= 1;
    assert_memory_equal(in, out, n);
    close(r);
    ASSERT_SOON(s.closes == 1, 2000);
    srv_stop(&s);
}

static void test_split_tcp(void **state) { split_bytes("127.0.0.1:0"); }

static void test_split_unix(void **state)
{
    char a[300];
    unix_path(a, sizeof a, "split.sock");
    split_bytes(a);
}

/* A pipelining peer's queued requests are taken in one wake-up, not one 64 KiB buffer's
 * worth per loop iteration: the commit, file write and reply send of an iteration then cover
 * them all. 150 frames of 1 KiB are queued before the server first reads. */
static void test_reads_until_drained(void **state)
{
    char a[300];
    unix_path(a, sizeof a, "drain.sock");
    struct srv s = {.mode = SILENT};
    srv_start(&s, a, NULL);
    int fd = raw_connect(&s.bound, 0);
    enum { N = 150, BODY = 1024 };
    static uint8_t frames[N * (HDR + BODY)], body[BODY];
    size_t len = 0;
    for (int i = 0; i < N; i++)
        len += mkframe(frames + len, i, 0, body, BODY);
    ssize_t w = write(fd, frames, len);
    if (w != (ssize_t)len)
        fail_msg("queued %zd of %zu bytes: the socket buffer is too small for this test", w, len);
    RUN_UNTIL(s.frames > 0, 2000);
    assert_int_equal(s.frames, N);
    close(fd);
    ASSERT_SOON(s.closes == 1, 2000);
    srv_stop(&s);
}

/* Bad lengths close that connection only. */
static void bad_frames(const char *addr)
{
    struct rmq_server_opts o = {.max_frame = 1024};
    struct srv s = {.mode = ECHO};
    srv_start(&s, addr, &o);
    int good = raw_connect(&s.bound, 0);
    raw_echo(good, 1, "before");

    static const struct {
        const char *name;
        uint8_t b[16];
        size_t n;
    } bad[] = {
        {"2 GiB - 1", {0x7F, 0xFF, 0xFF, 0xFF}, 4},
        {"2 GiB (negative)", {0x80, 0x00, 0x00, 0x00}, 4},
        {"-1", {0xFF, 0xFF, 0xFF, 0xFF}, 4},
        {"0", {0, 0, 0, 0}, 4},
        {"3", {0, 0, 0, 3, 1, 2, 3}, 7},
        {"one over the max", {0x00, 0x00, 0x03, 0xFD}, 4},  /* 1021 + 4 = 1025 */
        {"garbage", "GET / HTTP/1.1\r\n", 16},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int closes = s.closes;
        int b = raw_connect(&s.bound, 0);
        raw_write(b, bad[i].b, bad[i].n);
        if (!raw_eof(b, 2000))
            fail_msg("%s: connection not closed", bad[i].name);
        close(b);
        ASSERT_SOON(s.closes == closes + 1, 2000);
        assert_int_equal(s.last_reason, RMQ_EINVAL);
        raw_echo(good, (int32_t)i + 10, bad[i].name);  /* the other connection goes on */
    }

    /* exactly the max is fine */
    uint8_t *f = malloc(1024), *g = malloc(1024);
    uint8_t body[1024 - HDR];
    memset(body, 'm', sizeof body);
    size_t n = mkframe(f, 99, 0, body, sizeof body);
    assert_int_equal(n, 1024);
    raw_write(good, f, n);
    assert_true(raw_read(good, g, n, 2000));
    assert_int_equal(g[8], 1);
    free(f);
    free(g);
    assert_int_equal(rmq_server_nconns(s.s), 1);
    close(good);
    srv_stop(&s);
}

static void test_bad_frames_tcp(void **state) { bad_frames("127.0.0.1:0"); }

static void test_bad_frames_unix(void **state)
{
    char a[300];
    unix_path(a, sizeof a, "bad.sock");
    bad_frames(a);
}

/* A client that does not read: the server stops reading it, memory stays bounded, and
 * everything flows once the client reads. */
static void test_backpressure(void **state)
{
    enum { N = 2000, HIGH = 64 << 10 };
    struct rmq_server_opts o = {.out_high = HIGH};
    struct srv s = {.mode = PRESSURE, .sndbuf = 4096};
    srv_start(&s, "127.0.0.1:0", &o);
    int r = raw_connect(&s.bound, 4096);
    ASSERT_SOON(s.opens == 1, 2000);
    struct rmq_conn *c = s.last;
    rmq_conn_ref(c);
    uint8_t *reqs = malloc(N * HDR);
    for (int i = 0; i < N; i++)
        mkframe(reqs + i * HDR, i, 0, NULL, 0);
    released = 0;
    raw_write(r, reqs, N * HDR);
    ASSERT_SOON(rmq_conn_read_paused(c), 5000);
    RUN_FOR(100);  /* and it stays that way */
    assert_true(rmq_conn_read_paused(c));
    assert_true(s.frames < N / 4);
    size_t reply = HDR + sizeof block;
    assert_true(s.peak_unsent <= HIGH + reply);
    assert_true(rmq_conn_unsent(c) > HIGH / 2);

    /* the client reads everything; each reply is header + the borrowed block */
    size_t total = (size_t)N * reply, got = 0;
    uint8_t *buf = malloc(1 << 20);
    int64_t end = rmq_mono_us() + 20 * 1000000LL;
    tick_start();
    while (got < total && rmq_mono_us() < end) {
        ssize_t k = recv(r, buf, 1 << 20, MSG_DONTWAIT);
        if (k > 0)
            got += (size_t)k;
        else
            ev_run(loop, EVRUN_ONCE);
    }
    tick_stop();
    assert_int_equal(got, total);
    assert_int_equal(s.frames, N);
    assert_int_equal(released, N);
    assert_int_equal(rmq_conn_unsent(c), 0);
    assert_false(rmq_conn_read_paused(c));
    assert_true(s.peak_unsent <= HIGH + reply);
    free(buf);
    free(reqs);
    rmq_conn_unref(c);
    close(r);
    srv_stop(&s);
}

static void test_client_out_of_order(void **state)
{
    enum { N = 10 };
    struct srv s = {.mode = HOLD};
    srv_start(&s, "127.0.0.1:0", NULL);
    struct cli c = {0};
    cli_start(&c, &s.bound);
    struct call k[N];
    char text[N][16];
    completed = 0;
    for (int i = 0; i < N; i++) {  /* queued while still connecting */
        snprintf(text[i], sizeof text[i], "req-%d", i);
        assert_int_equal(cli_call(&c, &k[i], text[i], strlen(text[i]), 5000), 0);
    }
    ASSERT_SOON(s.nheld == N, 2000);
    static const int order[N] = {7, 2, 9, 0, 5, 3, 8, 1, 6, 4};
    answer_held(&s, order);
    ASSERT_SOON(completed == N, 2000);
    for (int i = 0; i < N; i++) {
        assert_int_equal(k[order[i]].status, 0);
        assert_int_equal(k[order[i]].order, i + 1);
    }
    /* a response nobody waits for is dropped */
    assert_int_equal(cli_call(&c, &k[0], "x", 1, 5000), 0);
    ASSERT_SOON(s.nheld == 1, 2000);
    assert_int_equal(rmq_client_cancel(c.c, (int32_t)rd32(s.held[0].f + 4)), 0);
    assert_int_equal(rmq_client_cancel(c.c, 12345), RMQ_ENOTFOUND);
    answer_held(&s, NULL);
    assert_int_equal(cli_call(&c, &k[1], "y", 1, 5000), 0);
    ASSERT_SOON(s.nheld == 1, 2000);
    answer_held(&s, NULL);
    ASSERT_SOON(k[1].done, 2000);
    assert_int_equal(k[0].done, 0);
    assert_int_equal(c.closes, 0);
    rmq_client_free(c.c);
    srv_stop(&s);
}

static void test_client_timeouts(void **state)
{
    struct srv s = {.mode = HOLD};
    srv_start(&s, "127.0.0.1:0", NULL);
    struct cli c = {0};
    cli_start(&c, &s.bound);
    ASSERT_SOON(c.connects == 1, 2000);
    struct call a, b, d, late;
    completed = 0;
    int64_t t0 = rmq_mono_us();
    ev_now_update(loop);
    assert_int_equal(cli_call(&c, &a, "a", 1, 80), 0);
    assert_int_equal(cli_call(&c, &b, "b", 1, 30), 0);
    assert_int_equal(cli_call(&c, &d, "d", 1, 150), 0);
    assert_int_equal(cli_call(&c, &late, "late", 4, 10000), 0);
    ASSERT_SOON(b.done, 2000);
    assert_true(rmq_mono_us() - t0 >= 29000);
    ASSERT_SOON(d.done, 2000);
    assert_true(rmq_mono_us() - t0 >= 149000);
    assert_int_equal(b.order, 1);
    assert_int_equal(a.order, 2);
    assert_int_equal(d.order, 3);
    assert_int_equal(a.status, RMQ_ETIMEOUT);
    assert_non_null(strstr(a.why, "timed out after 80 ms"));
    assert_int_equal(late.done, 0);
    assert_int_equal(rmq_client_pending(c.c), 1);
    /* answers for the expired ones are dropped; the live one completes */
    ASSERT_SOON(s.nheld == 4, 2000);
    answer_held(&s, NULL);
    ASSERT_SOON(late.done, 2000);
    assert_int_equal(late.status, 0);
    assert_int_equal(completed, 4);
    assert_int_equal(rmq_client_pending(c.c), 0);
    assert_int_equal(c.closes, 0);
    rmq_client_free(c.c);
    srv_stop(&s);
}

static void test_connect_timeout(void **state)
{
    /* a listener whose accept queue is full drops further SYNs: the connect hangs */
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sin;
    assert_int_equal(bind(l, (struct sockaddr *)&sin, sl), 0);
    assert_int_equal(listen(l, 0), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&sin, &sl), 0);
    int fill[3];
    for (int i = 0; i < 3; i++) {
        fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        connect(fill[i], (struct sockaddr *)&sin, sl);
    }
    struct rmq_addr a;
    assert_int_equal(rmq_addr_from_sockaddr((struct sockaddr *)&sin, sl, &a), 0);
    struct cli c = {0};
    struct rmq_client_opts o = {.frame_opaque = frame_opaque, .on_connect = c_connect,
                                .connect_timeout_ms = 100, .arg = &c};
    c.c = rmq_client_new(loop, &o);
    assert_int_equal(rmq_client_connect(c.c, &a, NULL), 0);
    struct call k;
    completed = 0;
    assert_int_equal(cli_call(&c, &k, "q", 1, 10000), 0);
    ASSERT_SOON(c.connects == 1, 3000);
    assert_int_equal(c.connect_status, RMQ_ETIMEOUT);
    assert_non_null(strstr(c.why, "timed out after 100 ms"));
    assert_int_equal(k.status, RMQ_ETIMEOUT);  /* a request queued meanwhile fails too */
    assert_non_null(strstr(k.why, "before the reply"));
    assert_false(rmq_client_is_open(c.c));
    assert_int_equal(cli_call(&c, &k, "q", 1, 100), RMQ_ECLOSED);
    rmq_client_free(c.c);
    for (int i = 0; i < 3; i++)
        close(fill[i]);
    close(l);
}

static void test_connect_refused(void **state)
{
    /* a port bound without listen() refuses connections and cannot be taken meanwhile */
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sin;
    assert_int_equal(bind(l, (struct sockaddr *)&sin, sl), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&sin, &sl), 0);
    struct rmq_addr a;
    assert_int_equal(rmq_addr_from_sockaddr((struct sockaddr *)&sin, sl, &a), 0);
    struct cli c = {0};
    struct rmq_client_opts o = {.frame_opaque = frame_opaque, .on_connect = c_connect, .arg = &c};
    c.c = rmq_client_new(loop, &o);
    char err[RMQ_ERRLEN];
    int rc = rmq_client_connect(c.c, &a, err);
    if (rc == 0) {  /* usually reported later */
        ASSERT_SOON(c.connects == 1, 2000);
        assert_int_equal(c.connect_status, -ECONNREFUSED);
        assert_non_null(strstr(c.why, "cannot connect to 127.0.0.1:"));
    } else {
        assert_int_equal(rc, -ECONNREFUSED);
    }
    /* a unix path nobody listens on fails at once */
    char p[300];
    unix_path(p, sizeof p, "nobody.sock");
    assert_int_equal(rmq_addr_parse(p, &a, err), 0);
    assert_int_equal(rmq_client_connect(c.c, &a, err), -ENOENT);
    assert_non_null(strstr(err, "cannot connect to unix:"));
    rmq_client_free(c.c);
    close(l);
}

static void free_in_reply(void *ctx, int status, const uint8_t *f, size_t n, const char *why)
{
    struct cli *c = ctx;
    c->requests++;
    rmq_client_free(c->c);  /* from inside its own callback */
}

static void test_close_fails_pending(void **state)
{
    struct srv s = {.mode = HOLD, .close_at = 3};
    srv_start(&s, "127.0.0.1:0", NULL);
    struct cli c = {0};
    cli_start(&c, &s.bound);
    struct call k[3];
    completed = 0;
    for (int i = 0; i < 3; i++)
        assert_int_equal(cli_call(&c, &k[i], "p", 1, 10000), 0);
    ASSERT_SOON(completed == 3, 2000);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(k[i].status, RMQ_ECLOSED);
        assert_non_null(strstr(k[i].why, "closed by peer before the reply"));
    }
    ASSERT_SOON(c.closes == 1, 2000);
    assert_int_equal(c.close_reason, 0);
    assert_non_null(strstr(c.why, "closed by peer"));
    assert_int_equal(cli_call(&c, &k[0], "p", 1, 100), RMQ_ECLOSED);
    answer_held(&s, NULL);  /* writes to the closed connection are no-ops */

    /* the same client connects again */
    s.mode = ECHO;
    s.close_at = 0;
    assert_int_equal(rmq_client_connect(c.c, &s.bound, NULL), 0);
    assert_int_equal(rmq_client_connect(c.c, &s.bound, NULL), RMQ_EINVAL);
    completed = 0;
    assert_int_equal(cli_call(&c, &k[0], "again", 5, 2000), 0);
    ASSERT_SOON(k[0].done, 2000);
    assert_int_equal(k[0].status, 0);

    /* closing here fails what is pending, with a different why */
    s.mode = HOLD;
    assert_int_equal(cli_call(&c, &k[1], "x", 1, 10000), 0);
    ASSERT_SOON(s.nheld == 1, 2000);
    rmq_client_close(c.c);
    assert_int_equal(k[1].status, RMQ_ECLOSED);
    assert_non_null(strstr(k[1].why, "closed locally before the reply"));
    assert_int_equal(c.closes, 2);
    assert_int_equal(c.close_reason, RMQ_ECLOSED);

    /* a bad frame from the server closes the client's connection */
    assert_int_equal(rmq_client_connect(c.c, &s.bound, NULL), 0);
    assert_int_equal(cli_call(&c, &k[2], "y", 1, 10000), 0);
    ASSERT_SOON(s.nheld == 2, 2000);
    uint8_t shortf[8] = {0, 0, 0, 4, 0, 0, 0, 0};  /* valid length, no opaque */
    rmq_conn_send(s.held[1].c, shortf, sizeof shortf);
    ASSERT_SOON(c.closes == 3, 2000);
    assert_int_equal(c.close_reason, RMQ_EINVAL);
    assert_int_equal(k[2].status, RMQ_ECLOSED);

    /* freeing the client from inside a reply callback */
    assert_int_equal(rmq_client_connect(c.c, &s.bound, NULL), 0);
    int32_t op = rmq_client_next_opaque(c.c);
    uint8_t f[32];
    c.requests = 0;
    assert_int_equal(rmq_client_request(c.c, op, f, mkframe(f, op, 0, "z", 1), 10000,
                                         free_in_reply, &c), 0);
    ASSERT_SOON(s.nheld == 3, 2000);
    answer_held(&s, NULL);
    ASSERT_SOON(c.requests == 1, 2000);
    ASSERT_SOON(rmq_server_nconns(s.s) == 0, 2000);
    srv_stop(&s);
}

static void test_client_free_pending(void **state)
{
    struct srv s = {.mode = HOLD};
    srv_start(&s, "127.0.0.1:0", NULL);
    struct cli c = {0};
    cli_start(&c, &s.bound);
    struct call k[2];
    completed = 0;
    assert_int_equal(cli_call(&c, &k[0], "a", 1, 10000), 0);
    assert_int_equal(cli_call(&c, &k[1], "b", 1, 10000), 0);
    ASSERT_SOON(s.nheld == 2, 2000);
    rmq_client_free(c.c);
    assert_int_equal(completed, 2);
    assert_int_equal(k[0].status, RMQ_ECLOSED);
    assert_int_equal(k[0].order, 1);  /* failed in the order they were made */
    srv_stop(&s);
}

static void test_next_opaque(void **state)
{
    struct srv s = {.mode = HOLD};
    srv_start(&s, "127.0.0.1:0", NULL);
    struct cli c = {0};
    cli_start(&c, &s.bound);
    /* opaques 1..3 pending: the counter skips them */
    struct call k[3];
    uint8_t f[16];
    for (int i = 0; i < 3; i++)
        assert_int_equal(rmq_client_request(c.c, i + 1, f, mkframe(f, i + 1, 0, NULL, 0), 10000,
                                            on_reply, &k[i]), 0);
    memset(k, 0, sizeof k);
    assert_int_equal(rmq_client_next_opaque(c.c), 4);
    rmq_client_free(c.c);
    srv_stop(&s);
}

static void test_many_connections(void **state)
{
    enum { N = 300, R = 4 };
    struct srv s = {.mode = ECHO};
    srv_start(&s, "127.0.0.1:0", NULL);
    struct cli *c = calloc(N, sizeof *c);
    struct call *k = calloc(N * R, sizeof *k);
    completed = 0;
    for (int i = 0; i < N; i++) {
        cli_start(&c[i], &s.bound);
        for (int j = 0; j < R; j++)
            assert_int_equal(cli_call(&c[i], &k[i * R + j], "many", 4, 10000), 0);
    }
    ASSERT_SOON(completed == N * R, 10000);
    assert_int_equal(rmq_server_nconns(s.s), N);
    for (int i = 0; i < N * R; i++)
        assert_int_equal(k[i].status, 0);
    for (int i = 0; i < N; i++)
        rmq_client_free(c[i].c);
    ASSERT_SOON(rmq_server_nconns(s.s) == 0, 5000);
    assert_int_equal(s.closes, N);
    free(c);
    free(k);
    srv_stop(&s);
}

static void test_accept_emfile(void **state)
{
    enum { N = 5 };
    struct srv s = {.mode = ECHO};
    srv_start(&s, "127.0.0.1:0", NULL);
    int r[N];
    for (int i = 0; i < N; i++)
        r[i] = raw_connect(&s.bound, 0);  /* waiting in the backlog */
    struct rlimit old, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    int next = dup(0);  /* the lowest free descriptor */
    close(next);
    low = old;
    low.rlim_cur = (rlim_t)next + 2;  /* room for two accepted connections */
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    ASSERT_SOON(rmq_server_nconns(s.s) == 2, 2000);
    RUN_FOR(250);  /* accepting fails, pauses, retries, without spinning or dying */
    assert_int_equal(rmq_server_nconns(s.s), 2);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    ASSERT_SOON(rmq_server_nconns(s.s) == N, 2000);
    for (int i = 0; i < N; i++) {
        raw_echo(r[i], i, "after emfile");
        close(r[i]);
    }
    ASSERT_SOON(rmq_server_nconns(s.s) == 0, 2000);
    srv_stop(&s);
}

static int active_fd;
static void keep_busy(struct ev_loop *l, ev_timer *w, int revents)
{
    uint8_t f[16];
    send(active_fd, f, mkframe(f, 1, 2, NULL, 0), MSG_NOSIGNAL);
}

static void test_idle_timeout(void **state)
{
    /* pinged every 20 ms, the busy connection is closed only if this process stalls
     * for most of idle_ms (ASan on a loaded 2-core machine: tens of ms) */
    struct rmq_server_opts o = {.idle_ms = 300};
    struct srv s = {.mode = HOLD};
    srv_start(&s, "127.0.0.1:0", &o);
    int64_t t0 = rmq_mono_us();
    int idle = raw_connect(&s.bound, 0);
    active_fd = raw_connect(&s.bound, 0);
    ev_timer busy;
    ev_timer_init(&busy, keep_busy, 0.02, 0.02);
    ev_timer_start(loop, &busy);
    ASSERT_SOON(s.closes == 1, 3000);
    assert_true(rmq_mono_us() - t0 >= 270000);
    assert_int_equal(s.last_reason, RMQ_ETIMEOUT);
    assert_true(raw_eof(idle, 1000));
    RUN_FOR(500);  /* the busy one lives on */
    assert_int_equal(s.closes, 1);
    assert_int_equal(rmq_server_nconns(s.s), 1);
    ev_timer_stop(loop, &busy);
    ASSERT_SOON(s.closes == 2, 3000);
    assert_int_equal(s.last_reason, RMQ_ETIMEOUT);
    close(idle);
    close(active_fd);
    srv_stop(&s);
}

static void test_write_after_close(void **state)
{
    struct srv s = {.mode = HOLD};
    srv_start(&s, "127.0.0.1:0", NULL);
    int r = raw_connect(&s.bound, 0);
    uint8_t f[16];
    raw_write(r, f, mkframe(f, 1, 0, NULL, 0));
    ASSERT_SOON(s.nheld == 1, 2000);
    struct rmq_conn *c = s.held[0].c;  /* referenced by the HOLD server */
    char peer[300];
    snprintf(peer, sizeof peer, "%s", rmq_conn_peer(c));
    close(r);
    ASSERT_SOON(s.closes == 1, 2000);
    assert_true(rmq_conn_is_closed(c));
    assert_int_equal(rmq_conn_fd(c), -1);
    assert_string_equal(rmq_conn_peer(c), peer);
    assert_int_equal(rmq_conn_reason(c), 0);
    assert_string_equal(rmq_conn_why(c), "closed by peer");
    released = 0;
    assert_int_equal(rmq_conn_send(c, "x", 1), RMQ_ECLOSED);
    assert_int_equal(rmq_conn_send_ref(c, block, 10, count_release, NULL), RMQ_ECLOSED);
    assert_int_equal(released, 1);
    assert_int_equal(rmq_conn_send_owned(c, malloc(10), 10), RMQ_ECLOSED);  /* freed */
    assert_null(rmq_conn_reserve(c, 10));
    rmq_conn_close(c);  /* harmless */
    rmq_conn_close_after_flush(c);
    assert_int_equal(rmq_conn_unsent(c), 0);
    rmq_conn_ref(c);
    srv_stop(&s);  /* drops the HOLD reference */
    assert_string_equal(rmq_conn_peer(c), peer);  /* still valid after the server is gone */
    rmq_conn_unref(c);
}

/* A last reply, then the close: the peer reads all of it, then EOF. */
static void test_close_after_flush(void **state)
{
    struct srv s = {.mode = BIG, .big = 3 << 20, .big_close = true};
    srv_start(&s, "127.0.0.1:0", NULL);
    int r = raw_connect(&s.bound, 0);
    uint8_t f[16];
    raw_write(r, f, mkframe(f, 42, 0, NULL, 0));
    raw_write(r, f, mkframe(f, 43, 0, NULL, 0));  /* not delivered: the connection drains */
    size_t n = HDR + s.big;
    uint8_t *buf = malloc(n);
    assert_true(raw_read(r, buf, n, 5000));
    assert_int_equal(rd32(buf), 5 + s.big);
    assert_int_equal(rd32(buf + 4), 42);
    assert_int_equal(buf[n - 1], 'x');
    assert_true(raw_eof(r, 2000));
    ASSERT_SOON(s.closes == 1, 2000);
    assert_int_equal(s.frames, 1);
    assert_int_equal(s.last_reason, RMQ_ECLOSED);
    free(buf);
    close(r);
    srv_stop(&s);
}

/* The server writes to a peer that reset the connection: EPIPE/ECONNRESET, not SIGPIPE. */
static void test_no_sigpipe(void **state)
{
    signal(SIGPIPE, SIG_DFL);
    struct srv s = {.mode = BIG, .big = 8 << 20};
    srv_start(&s, "127.0.0.1:0", NULL);
    int r = raw_connect(&s.bound, 4096);
    uint8_t f[16];
    raw_write(r, f, mkframe(f, 1, 0, NULL, 0));
    ASSERT_SOON(s.frames == 1, 2000);
    RUN_FOR(20);
    assert_true(s.opens == 1 && s.closes == 0);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(r, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(r);  /* RST */
    ASSERT_SOON(s.closes == 1, 3000);
    assert_true(s.last_reason == -EPIPE || s.last_reason == -ECONNRESET);
    srv_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_parse),
        cmocka_unit_test(test_addr_list),
        cmocka_unit_test(test_addr_resolve),
        cmocka_unit_test(test_pending_table),
        cmocka_unit_test_setup_teardown(test_echo_tcp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_echo_unix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unix_socket_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_tcp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_unix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_until_drained, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_frames_tcp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_frames_unix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_timeouts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_fails_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_free_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_next_opaque, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accept_emfile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_after_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_after_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_sigpipe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
