/*
 * test-store.c — rmq-test-tool write-store and recover: drive the real store API
 * (core/store/store.h) so bats tests can make stores, crash them and recover them.
 *
 * Geometry options must be the same for every run on one store (the store infers none of
 * them): --segment-kb (commitlog segment), --cq-entries (entries per consume-queue file),
 * --index-slots (index hash slots; entries per index file = 4 * slots, RocketMQ's ratio,
 * which `rmq store` also assumes).
 */
#include "test-tool.h"

#include "store/store.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/log.h"

#include <getopt.h>
#include <lz4frame.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static const char write_usage[] =
    "usage: rmq-test-tool write-store DIR N [options]\n"
    "  --size B          body bytes (default 100): \"<topic>-<i>-\" then 'x' up to B\n"
    "  --body TEXT       every body is exactly TEXT\n"
    "  --body-file F     every body is the content of F (any bytes)\n"
    "  --topic T         topic (default TopicTest)\n"
    "  --queues Q        queues, written round-robin (default 4)\n"
    "  --keys            also set KEYS=\"k<i> kb<i>\" (UNIQ_KEY and TAGS are always set)\n"
    "  --lz4 | --zlib    compress bodies (LZ4 frame / zlib) and mark sysFlag as RocketMQ 5 does\n"
    "  --fake-compressed TYPE  mark bodies compressed with type TYPE (0-7) without compressing\n"
    "  --sync            SYNC_FLUSH: commit every --batch messages and wait for the flush\n"
    "  --batch N         messages per commit (default 64)\n"
    "  --unacked M       with --sync: M more messages committed at the end, not waited for\n"
    "  --no-checkpoint   no periodic checkpoint (flush_cq_interval 1 h)\n"
    "  --crash           leave the store as kill -9 would (rmq_store_abandon)\n"
    "  --log FILE        append \"phys size end queue qoff\" per message to FILE\n"
    "  --segment-kb K, --cq-entries N, --index-slots N   geometry (1024, 300000, 20000)\n"
    "Prints written=, flushed= and acked= (end offset of the last acknowledged message).\n";

static const char recover_usage[] =
    "usage: rmq-test-tool recover DIR [--sync] [--segment-kb K] [--cq-entries N] [--index-slots N]\n"
    "Opens DIR (running recovery), prints rmq_store_stats() as key=value lines and one\n"
    "\"queue TOPIC/QID MIN MAX\" line per queue (sorted), then closes it cleanly.\n";

struct geo {
    long segment_kb, cq_entries, index_slots;
    bool sync, no_checkpoint;
};

static void geo_opts(struct rmq_store_opts *so, const char *root, const struct geo *g,
                     void (*cb)(void *), void *arg)
{
    rmq_store_opts_default(so, root);
    so->cl_file_size = (size_t)g->segment_kb << 10;
    so->cq_file_size = (size_t)g->cq_entries * RMQ_CQ_UNIT;
    so->index_slots = (uint32_t)g->index_slots;
    so->index_max = (uint32_t)g->index_slots * 4;
    so->sync_flush = g->sync;
    if (g->no_checkpoint)
        so->flush_cq_interval_ms = 3600 * 1000;
    so->on_flushed = cb;
    so->cb_arg = arg;
}

/* Waiting for the flusher, as a SYNC_FLUSH broker waits before answering. */
struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

static void on_flushed(void *arg)
{
    struct waiter *w = arg;
    pthread_mutex_lock(&w->lock);
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static void wait_flushed(struct rmq_store *s, struct waiter *w, int64_t end)
{
    pthread_mutex_lock(&w->lock);
    while (rmq_store_flushed(s) < end)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
    rmq_store_dispatch(s);
}

/* Compresses src into *out (malloc'd) as RocketMQ 5's producer would; returns the size
 * or 0 on failure. */
static size_t compress_body(const char *src, size_t n, bool lz4, void **out)
{
    if (lz4) {
        size_t cap = LZ4F_compressFrameBound(n, NULL);
        *out = malloc(cap);
        size_t r = *out ? LZ4F_compressFrame(*out, cap, src, n, NULL) : 0;
        return LZ4F_isError(r) ? 0 : r;
    }
    uLongf cap = compressBound((uLong)n);
    *out = malloc(cap);
    if (!*out || compress2(*out, &cap, (const Bytef *)src, (uLong)n, 5) != Z_OK)
        return 0;
    return cap;
}

static int parse_geo_opt(int c, const char *arg, struct geo *g)
{
    long long v;
    if (!tt_number(arg, &v) || v <= 0)
        return -1;
    switch (c) {
    case 'S': g->segment_kb = (long)v; break;
    case 'E': g->cq_entries = (long)v; break;
    case 'I': g->index_slots = (long)v; break;
    default: return -1;
    }
    return 0;
}

#define GEO_LONGOPTS                                   \
    {"segment-kb", required_argument, NULL, 'S'},      \
    {"cq-entries", required_argument, NULL, 'E'},      \
    {"index-slots", required_argument, NULL, 'I'},     \
    {"sync", no_argument, NULL, 'y'}

int tt_write_store(int argc, char **argv)
{
    static const struct option longopts[] = {
        GEO_LONGOPTS,
        {"size", required_argument, NULL, 's'},   {"body", required_argument, NULL, 'b'},
        {"body-file", required_argument, NULL, 'f'}, {"topic", required_argument, NULL, 't'},
        {"queues", required_argument, NULL, 'q'}, {"keys", no_argument, NULL, 'k'},
        {"lz4", no_argument, NULL, '4'},          {"zlib", no_argument, NULL, 'z'},
        {"batch", required_argument, NULL, 'B'},  {"unacked", required_argument, NULL, 'u'},
        {"no-checkpoint", no_argument, NULL, 'n'}, {"crash", no_argument, NULL, 'c'},
        {"log", required_argument, NULL, 'l'},    {"fake-compressed", required_argument, NULL, 'F'},
        {NULL, 0, NULL, 0},
    };
    struct geo g = {1024, 300000, 20000, false, false};
    long long size = 100, queues = 4, batch = 64, unacked = 0, fake = -1, count;
    const char *topic = "TopicTest", *body_text = NULL, *body_file = NULL, *log_path = NULL;
    bool keys = false, lz4 = false, zlib = false, crash = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        long long v = 0;
        bool num = strchr("sqBuF", c) != NULL;
        if (num && (!tt_number(optarg, &v) || v < 0))
            return tt_usage(write_usage, "write-store", "invalid number '%s'", optarg);
        switch (c) {
        case 'S': case 'E': case 'I':
            if (parse_geo_opt(c, optarg, &g))
                return tt_usage(write_usage, "write-store", "invalid number '%s'", optarg);
            break;
        case 'y': g.sync = true; break;
        case 's': size = v; break;
        case 'b': body_text = optarg; break;
        case 'f': body_file = optarg; break;
        case 't': topic = optarg; break;
        case 'q': queues = v; break;
        case 'k': keys = true; break;
        case '4': lz4 = true; break;
        case 'z': zlib = true; break;
        case 'B': batch = v; break;
        case 'u': unacked = v; break;
        case 'n': g.no_checkpoint = true; break;
        case 'c': crash = true; break;
        case 'l': log_path = optarg; break;
        case 'F': fake = v & 7; break;
        default: return tt_usage(write_usage, "write-store", NULL);
        }
    }
    if (argc - optind != 2 || !tt_number(argv[optind + 1], &count) || count < 0)
        return tt_usage(write_usage, "write-store", "need DIR and a message count");
    if (queues < 1 || batch < 1 || (lz4 && zlib))
        return tt_usage(write_usage, "write-store", "bad --queues, --batch or both --lz4 and --zlib");
    const char *root = argv[optind];

    char *fixed = NULL;
    size_t fixed_len = 0;
    if (body_file && !(fixed = rmq_read_file(body_file, 64 << 20, &fixed_len)))
        return tt_fail("write-store", "cannot read '%s'", body_file);
    if (body_text) {
        fixed = strdup(body_text);
        fixed_len = strlen(body_text);
    }
    FILE *log = log_path ? fopen(log_path, "a") : NULL;
    if (log_path && !log) {
        free(fixed);
        return tt_fail("write-store", "cannot open '%s'", log_path);
    }

    struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};
    struct rmq_store_opts so;
    geo_opts(&so, root, &g, on_flushed, &w);
    struct rmq_store *s;
    char err[RMQ_ERRLEN];
    if (rmq_store_open(&s, &so, err)) {
        free(fixed);
        if (log)
            fclose(log);
        return tt_fail("write-store", "cannot open store '%s': %s", root, err);
    }
    char *body = malloc((size_t)size + 64);
    char props[256];
    int rc = 0;
    int64_t acked = 0, last_end = 0;
    unsigned pid = (unsigned)getpid() & 0xFFFF;
    long long total = count + (g.sync ? unacked : 0);
    for (long long i = 0; i < total && rc == 0; i++) {
        const char *b = fixed;
        size_t blen = fixed_len;
        if (!fixed) {
            int n = snprintf(body, (size_t)size + 64, "%s-%lld-", topic, i);
            blen = (size_t)size > (size_t)n ? (size_t)size : (size_t)n;
            memset(body + n, 'x', blen - (size_t)n);
            b = body;
        }
        int pn = snprintf(props, sizeof props, "UNIQ_KEY\001%08X%04X%020lld\002TAGS\001Tag%lld\002WAIT\001true",
                          (unsigned)time(NULL), pid, i, i % 3);
        if (keys)
            pn += snprintf(props + pn, sizeof props - (size_t)pn, "\002KEYS\001k%lld kb%lld", i, i);
        struct rmq_msg_in in = {
            .topic = topic, .topic_len = strlen(topic), .queue_id = (int32_t)(i % queues),
            .born_ts = 1700000000000LL + i, .born_host = {{10, 0, 0, 7}, 4, 50123},
            .store_host = so.store_host, .body = b, .body_len = blen, .props = props,
            .props_len = (size_t)pn,
        };
        void *z = NULL;
        if (lz4 || zlib) {
            size_t zn = compress_body(b, blen, lz4, &z);
            if (!zn) {
                free(z);
                rc = tt_fail("write-store", "cannot compress body %lld", i);
                break;
            }
            in.body = z;
            in.body_len = zn;
            in.sys_flag = RMQ_SYSFLAG_COMPRESSED |
                          (uint32_t)(lz4 ? RMQ_COMPRESS_LZ4 : 3) << RMQ_SYSFLAG_COMPRESS_TYPE_SHIFT;
        }
        if (fake >= 0)
            in.sys_flag = RMQ_SYSFLAG_COMPRESSED | (uint32_t)fake << RMQ_SYSFLAG_COMPRESS_TYPE_SHIFT;
        struct rmq_put_result res;
        if (rmq_store_put(s, &in, &res, err))
            rc = tt_fail("write-store", "put %lld failed: %s", i, err);
        free(z);
        if (rc)
            break;
        last_end = res.end;
        if (log)
            fprintf(log, "%lld %zu %lld %d %lld\n", (long long)res.phys, res.size,
                    (long long)res.end, in.queue_id, (long long)res.queue_offset);
        bool batch_done = (i + 1) % batch == 0 || i + 1 == count;
        if (i < count && batch_done) {
            rmq_store_commit(s);
            if (g.sync)
                wait_flushed(s, &w, res.end);
            acked = res.end;
        }
    }
    rmq_store_commit(s);
    if (log)
        fclose(log);
    printf("written=%lld\nflushed=%lld\nacked=%lld\nlast_end=%lld\n", (long long)rmq_store_written(s),
           (long long)rmq_store_flushed(s), (long long)acked, (long long)last_end);
    if (crash)
        rmq_store_abandon(s);
    else if (rmq_store_close(s) && rc == 0)
        rc = tt_fail("write-store", "clean close of '%s' failed", root);
    free(body);
    free(fixed);
    return rc;
}

struct qline {
    char text[RMQ_MAX_TOPIC_LEN + 64];
};
struct qlist {
    struct qline *v;
    size_t n, cap;
};

static void collect(void *arg, const struct rmq_cq *cq)
{
    struct qlist *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v)
            rmq_panic("out of memory");
    }
    snprintf(l->v[l->n++].text, sizeof l->v[0].text, "queue %s/%d %lld %lld", cq->topic,
             cq->queue_id, (long long)cq->min_offset, (long long)cq->max_offset);
}

static int cmp_line(const void *a, const void *b) { return strcmp(a, b); }

int tt_recover(int argc, char **argv)
{
    static const struct option longopts[] = {GEO_LONGOPTS, {NULL, 0, NULL, 0}};
    struct geo g = {1024, 300000, 20000, false, false};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'y')
            g.sync = true;
        else if (c == '?' || parse_geo_opt(c, optarg, &g))
            return tt_usage(recover_usage, "recover", c == '?' ? NULL : "invalid number '%s'", optarg);
    }
    if (argc - optind != 1)
        return tt_usage(recover_usage, "recover", "need DIR");
    struct rmq_store_opts so;
    geo_opts(&so, argv[optind], &g, NULL, NULL);
    struct rmq_store *s;
    char err[RMQ_ERRLEN];
    if (rmq_store_open(&s, &so, err))
        return tt_fail("recover", "cannot open store '%s': %s", argv[optind], err);
    const struct rmq_store_stats *st = rmq_store_stats(s);
    printf("abnormal=%d\nscan_from=%lld\nscan_to=%lld\ntruncated_at=%lld\ntruncate_reason=%s\n"
           "redispatched=%lld\nfull_rebuild=%d\nrecovery_us=%lld\nwritten=%lld\n",
           st->abnormal, (long long)st->scan_from, (long long)st->scan_to,
           (long long)st->truncated_at, st->truncate_reason, (long long)st->redispatched,
           st->full_rebuild, (long long)st->recovery_us, (long long)rmq_store_written(s));
    struct qlist l = {0};
    rmq_store_foreach_queue(s, collect, &l);
    qsort(l.v, l.n, sizeof *l.v, cmp_line);
    for (size_t i = 0; i < l.n; i++)
        puts(l.v[i].text);
    free(l.v);
    if (rmq_store_close(s))
        return tt_fail("recover", "clean close of '%s' failed", argv[optind]);
    return 0;
}
