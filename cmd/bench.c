/*
 * bench.c — `rmq bench store`: the store's speed against this machine's ceilings.
 *
 * Scenarios (each in its own store under --dir, left there to inspect and verify):
 *   ceiling       sequential write() of 1 MiB blocks (page-cache bandwidth) and the same
 *                 with an fdatasync per MiB
 *   async-128, async-1k   appends under ASYNC_FLUSH to one topic with 8 queues, committed
 *                 in batches of --batch (one batch = one loop iteration of the broker)
 *   sync-1, sync-8, sync-64   SYNC_FLUSH with N appenders, each with one message in flight
 *                 and waiting for its flush (group commit); reports messages per fdatasync
 *   recover       --recover-mb of unflushed data, a simulated crash, and the time to open
 *
 * Memory regime: on a VM that hands free memory back to its host (free page reporting), the
 * first write into memory the guest has not used for a few seconds costs a host fault, so
 * page-cache writes run at ~1 GB/s into such "cold" memory and at memcpy speed (~6 GB/s)
 * into memory freed moments ago ("warm"; what a machine whose page cache is full reuses, and
 * what bare metal always has). A ceiling and a scenario measured in different regimes differ
 * by 6x for reasons unrelated to the store, so every measured run, the ceilings' included,
 * starts from the same regime (--memory, ready_memory()).
 * `rmq bench produce|consume|e2e` (against a broker) are in bench-net.c.
 */
#include "cmd.h"

#include "store/store.h"
#include "store/waitq.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: rmq bench store --dir DIR [options]\n"
    "       rmq bench produce|consume|e2e -b ADDR [options]   (see rmq bench produce -h)\n"
    "\n"
    "Measures the store in this process (no broker, no network) and prints msgs/s, MB/s and\n"
    "the ratio to this machine's ceilings measured in the same run. DIR gets one store per\n"
    "scenario (DIR/async-1k, DIR/sync-64, ...), left in place for `rmq store verify`.\n"
    "\n"
    "  --dir DIR            where to write (required; its stores are replaced)\n"
    "  --scenario LIST      comma-separated: ceiling,async-128,async-1k,sync-1,sync-8,sync-64,\n"
    "                       recover, or all (default all)\n"
    "  --count N            messages per async scenario (default 1000000; 4x for 128 B)\n"
    "  --sync-seconds S     duration of each sync scenario (default 3)\n"
    "  --batch N            messages per commit in async scenarios (default 64)\n"
    "  --recover-mb N       unflushed data for the recovery scenario (default 256)\n"
    "  --segment-mb N       commitlog segment size (default 1024, RocketMQ's)\n"
    "  --ceiling-mb N       data per ceiling run, best of 3 (default 1024; 0 skips them)\n"
    "  --memory warm|cold   what every run (ceilings too) writes into: memory freed just\n"
    "                       before it (warm, default: a scratch file of the run's size is\n"
    "                       written and deleted first) or memory left unused for --settle\n"
    "                       seconds, which a VM may have handed back to its host (cold)\n"
    "  --settle S           idle seconds before each cold run (default 6)\n"
    "  --json               one JSON object: the async-1k figures at the top level\n"
    "                       (msgs_per_sec, mb_per_sec, ceiling_mb_per_sec, ratio) and every\n"
    "                       scenario under \"scenarios\"\n"
    "  -h, --help           this text\n";

struct opts {
    const char *dir;
    char scenarios[256];
    long count, batch, recover_mb, segment_mb, ceiling_mb;
    double sync_seconds, settle;
    bool json, cold;
};

static double ceiling_write = 0, ceiling_sync = 0;   /* MB/s */

static bool wanted(const struct opts *o, const char *name)
{
    if (strcmp(o->scenarios, "all") == 0)
        return true;
    size_t n = strlen(name);
    for (const char *p = o->scenarios; (p = strstr(p, name)); p += n)
        if ((p == o->scenarios || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
            return true;
    return false;
}

/* --- ceilings --- */

/* Writes mb MiB in 1 MiB blocks to dir/name (with an fdatasync after each if sync_each),
 * deletes it, and returns the seconds the writes took, or 0 if the file could not be made. */
static double write_file(const char *dir, const char *name, long mb, bool sync_each)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 0;
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    int64_t t0 = rmq_mono_us();
    for (long i = 0; i < mb; i++) {
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
            break;
        if (sync_each)
            fdatasync(fd);
    }
    double secs = (rmq_mono_us() - t0) / 1e6;
    close(fd);
    unlink(path);
    return secs;
}

static double write_mb_per_sec(const char *dir, bool sync_each, long total_mb)
{
    double secs = write_file(dir, "ceiling.tmp", total_mb, sync_each);
    return secs > 0 ? total_mb / secs * 1.048576 : 0;   /* MiB written → MB (10^6) per second */
}

/* Called before every measured run that will allocate about mb MiB of page cache, once the
 * run's old files are deleted (see the top). */
static void ready_memory(const struct opts *o, long mb)
{
    sync();   /* start from no dirty pages, like every other run */
    if (o->cold) {
        struct timespec idle = {(time_t)o->settle, (long)((o->settle - (time_t)o->settle) * 1e9)};
        nanosleep(&idle, NULL);
    } else {
        write_file(o->dir, "warm.tmp", mb, false);   /* freed unwritten: its pages as they are */
    }
}

/* A ceiling is what the machine can do, and noise only ever lowers a run: the best of three
 * (the fdatasync-per-MiB loop alone reads 557-844 or 1,192-1,418 MB/s run to run here, and
 * a median of three landed on either mode and moved the sync ratios by ten points). */
static double best_of_3(const struct opts *o, bool sync_each)
{
    double best = 0;
    for (int i = 0; i < 3 && o->ceiling_mb > 0; i++) {
        ready_memory(o, o->ceiling_mb);
        double v = write_mb_per_sec(o->dir, sync_each, o->ceiling_mb);
        if (v > best)
            best = v;
    }
    return best;
}

/* --- a store under DIR/name --- */

static int64_t born_ms;   /* one producer clock reading per scenario is enough here */

struct run {
    struct rmq_store *s;
    char root[4096];
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int64_t flushed_seen;
};

static void on_flushed(void *arg)
{
    struct run *r = arg;
    pthread_mutex_lock(&r->lock);
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static int open_run(struct run *r, const struct opts *o, const char *name, long mb, bool sync_flush,
                    int flush_ms, int cp_ms)
{
    snprintf(r->root, sizeof r->root, "%s/%s", o->dir, name);
    born_ms = rmq_now_ms();
    rmq_remove_tree(r->root);
    ready_memory(o, mb);
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    struct rmq_store_opts so;
    rmq_store_opts_default(&so, r->root);
    so.cl_file_size = (size_t)o->segment_mb << 20;
    so.sync_flush = sync_flush;
    so.flush_interval_ms = flush_ms;
    so.flush_cq_interval_ms = cp_ms;
    so.on_flushed = on_flushed;
    so.cb_arg = r;
    char err[RMQ_ERRLEN];
    int rc = rmq_store_open(&r->s, &so, err);
    if (rc)
        return cmd_fail("bench", "cannot open store '%s': %s", r->root, err);
    return 0;
}

/* A realistic message: Java producers always send UNIQ_KEY, TAGS and WAIT. */
struct msgbuf {
    char props[160];
    struct rmq_msg_in in;
};

static void make_msg(struct msgbuf *b, const char *body, size_t size, long seq, int queues)
{
    /* the id's counter is written by hand: printf here would cost more than the append */
    static const char tmpl[] = "UNIQ_KEY\001C0A80001" "00000000" "0000000000000000"
                               "\002TAGS\001TagA\002WAIT\001true";
    _Static_assert(sizeof "C0A80001" "00000000" "0000000000000000" == 33, "32 hex digits");
    int n = (int)sizeof tmpl - 1;
    memcpy(b->props, tmpl, sizeof tmpl);
    for (int i = 0; i < 16; i++)   /* the last 16 digits count messages */
        b->props[9 + 31 - i] = "0123456789ABCDEF"[(seq >> (4 * i)) & 15];
    b->in = (struct rmq_msg_in){
        .topic = "BenchTopic", .topic_len = 10, .queue_id = (int32_t)(seq % queues),
        .born_ts = born_ms, .born_host = {{127, 0, 0, 1}, 4, 40000}, .store_host = {{127, 0, 0, 1}, 4, 10911},
        .body = body, .body_len = size, .props = b->props, .props_len = (size_t)n,
    };
}

static json_t *result(const char *name, long msgs, double secs, int64_t bytes, double ceiling)
{
    double mbps = bytes / secs / 1e6;
    json_t *j = json_pack("{s:s, s:i, s:f, s:f, s:f, s:f}", "scenario", name, "messages",
                          (json_int_t)msgs, "seconds", secs, "msgs_per_sec", msgs / secs,
                          "mb_per_sec", mbps, "ceiling_mb_per_sec", ceiling);
    json_object_set_new(j, "ratio", json_real(ceiling > 0 ? mbps / ceiling : 0));
    return j;
}

static json_t *bench_async(const struct opts *o, const char *name, size_t size, long count)
{
    struct run r;
    /* records (body plus ~200 bytes), queue and index entries, and the index's slot pages */
    if (open_run(&r, o, name, count * ((long)size + 256) / (1 << 20) + 32, false, 500, 1000))
        return NULL;
    char *body = malloc(size);
    memset(body, 'm', size);
    struct msgbuf b;
    struct rmq_put_result res;
    char err[RMQ_ERRLEN];
    int64_t bytes = 0;
    long done = 0;
    int64_t t0 = rmq_mono_us();
    for (; done < count; done++) {
        make_msg(&b, body, size, done, 8);
        if (rmq_store_put(r.s, &b.in, &res, err)) {
            cmd_fail("bench", "put failed: %s", err);
            break;
        }
        bytes += (int64_t)res.size;
        if (done % o->batch == o->batch - 1)
            rmq_store_commit(r.s);
    }
    rmq_store_commit(r.s);
    double secs = (rmq_mono_us() - t0) / 1e6;
    rmq_store_close(r.s);
    free(body);
    json_t *j = result(name, done, secs, bytes, ceiling_write);
    json_object_set_new(j, "body_bytes", json_integer((json_int_t)size));
    return j;
}

/* Sync: `appenders` messages in flight, each re-sent as soon as its flush completes. */
struct sync_ctx {
    long completed, in_flight;
};

static void sync_done(void *arg, void *cookie, int status)
{
    struct sync_ctx *c = arg;
    c->in_flight--;
    if (status == 0)
        c->completed++;
}

static json_t *bench_sync(const struct opts *o, const char *name, int appenders, size_t size)
{
    struct run r;
    /* over what 64 appenders write per second here (~400 MB) */
    if (open_run(&r, o, name, (long)(o->sync_seconds * 512) + 32, true, 500, 1000))
        return NULL;
    char *body = malloc(size);
    memset(body, 's', size);
    struct msgbuf b;
    struct rmq_put_result res;
    struct rmq_waitq q = {0};
    struct sync_ctx c = {0, 0};
    char err[RMQ_ERRLEN];
    int64_t bytes = 0, syncs0 = rmq_store_stats(r.s)->syncs, sync_us0 = rmq_store_stats(r.s)->sync_us;
    long seq = 0;
    int64_t t0 = rmq_mono_us(), stop = t0 + (int64_t)(o->sync_seconds * 1e6);
    while (rmq_mono_us() < stop) {
        while (c.in_flight < appenders) {
            make_msg(&b, body, size, seq++, 8);
            if (rmq_store_put(r.s, &b.in, &res, err)) {
                cmd_fail("bench", "put failed: %s", err);
                goto out;
            }
            bytes += (int64_t)res.size;
            rmq_waitq_push(&q, res.end, INT64_MAX, NULL);
            c.in_flight++;
        }
        rmq_store_commit(r.s);
        pthread_mutex_lock(&r.lock);
        while (rmq_store_flushed(r.s) < rmq_store_written(r.s))
            pthread_cond_wait(&r.cond, &r.lock);
        pthread_mutex_unlock(&r.lock);
        rmq_store_dispatch(r.s);
        rmq_waitq_complete(&q, rmq_store_flushed(r.s), sync_done, &c);
    }
out:;
    double secs = (rmq_mono_us() - t0) / 1e6;
    int64_t syncs = rmq_store_stats(r.s)->syncs - syncs0;
    int64_t sync_us = rmq_store_stats(r.s)->sync_us - sync_us0;
    rmq_store_close(r.s);
    rmq_waitq_free(&q);
    free(body);
    json_t *j = result(name, c.completed, secs, bytes, ceiling_sync);
    json_object_set_new(j, "appenders", json_integer(appenders));
    json_object_set_new(j, "fdatasyncs", json_integer((json_int_t)syncs));
    json_object_set_new(j, "msgs_per_fdatasync", json_real(syncs ? (double)c.completed / syncs : 0));
    json_object_set_new(j, "fdatasync_us", json_real(syncs ? (double)sync_us / syncs : 0));
    return j;
}

static json_t *bench_recover(const struct opts *o)
{
    struct run r;
    /* no flush and no checkpoint during the run: all of it is the unflushed tail */
    if (open_run(&r, o, "recover", o->recover_mb * 9 / 8 + 32, false, 3600 * 1000, 3600 * 1000))
        return NULL;
    size_t size = 1024;
    char *body = malloc(size);
    memset(body, 'r', size);
    struct msgbuf b;
    struct rmq_put_result res;
    char err[RMQ_ERRLEN];
    int64_t bytes = 0, target = (int64_t)o->recover_mb << 20;
    long n = 0;
    for (; bytes < target; n++) {
        make_msg(&b, body, size, n, 8);
        if (rmq_store_put(r.s, &b.in, &res, err)) {
            cmd_fail("bench", "put failed: %s", err);
            break;
        }
        bytes += (int64_t)res.size;
        if (n % 64 == 63)
            rmq_store_commit(r.s);
    }
    rmq_store_commit(r.s);
    rmq_store_abandon(r.s);   /* as kill -9 would leave it: abort file, no checkpoint */

    struct rmq_store_opts so;
    rmq_store_opts_default(&so, r.root);
    so.cl_file_size = (size_t)o->segment_mb << 20;
    int64_t t0 = rmq_mono_us();
    if (rmq_store_open(&r.s, &so, err)) {
        cmd_fail("bench", "recovery failed: %s", err);
        free(body);
        return NULL;
    }
    double secs = (rmq_mono_us() - t0) / 1e6;
    const struct rmq_store_stats *st = rmq_store_stats(r.s);
    json_t *j = json_pack("{s:s, s:i, s:i, s:f, s:i, s:b}", "scenario", "recover", "messages",
                          (json_int_t)n, "unflushed_bytes", (json_int_t)bytes, "seconds", secs,
                          "redispatched", (json_int_t)st->redispatched, "abnormal", st->abnormal);
    json_object_set_new(j, "mb_per_sec", json_real(bytes / secs / 1e6));
    rmq_store_close(r.s);
    free(body);
    return j;
}

static void print_human(json_t *j)
{
    const char *name = json_string_value(json_object_get(j, "scenario"));
    if (strcmp(name, "recover") == 0) {
        printf("%-10s %8.1f MiB unflushed, recovered in %.3f s (%.0f MB/s), %lld records re-dispatched\n",
               name, json_integer_value(json_object_get(j, "unflushed_bytes")) / 1048576.0,
               json_real_value(json_object_get(j, "seconds")),
               json_real_value(json_object_get(j, "mb_per_sec")),
               (long long)json_integer_value(json_object_get(j, "redispatched")));
        return;
    }
    printf("%-10s %10.0f msgs/s %8.1f MB/s  %5.1f%% of %.0f MB/s", name,
           json_real_value(json_object_get(j, "msgs_per_sec")),
           json_real_value(json_object_get(j, "mb_per_sec")),
           100 * json_real_value(json_object_get(j, "ratio")),
           json_real_value(json_object_get(j, "ceiling_mb_per_sec")));
    json_t *per = json_object_get(j, "msgs_per_fdatasync");
    if (per)
        printf("  %.1f msgs/fdatasync of %.0f us", json_real_value(per),
               json_real_value(json_object_get(j, "fdatasync_us")));
    printf("\n");
    fflush(stdout);
}

static int bench_store(struct opts *o)
{
    int rc = rmq_mkdir_p(o->dir, 0755);
    if (rc < 0)
        return cmd_fail("bench", "cannot create '%s': %s", o->dir, strerror(-rc));
    json_t *all = json_array();
    /* ceilings are always measured (three 1 GiB runs each): every ratio needs them */
    ceiling_write = best_of_3(o, false);
    ceiling_sync = best_of_3(o, true);
    const char *memory = o->cold ? "cold" : "warm";
    if (!o->json && o->ceiling_mb)
        printf("ceiling    page cache %.0f MB/s, fdatasync per MiB %.0f MB/s (%s memory)\n",
               ceiling_write, ceiling_sync, memory);
    json_t *primary = NULL;
    struct { const char *name; size_t size; } async[] = {{"async-128", 128}, {"async-1k", 1024}};
    for (int i = 0; i < 2; i++) {
        if (!wanted(o, async[i].name))
            continue;
        json_t *j = bench_async(o, async[i].name, async[i].size, async[i].size == 128 ? o->count * 4 : o->count);
        if (!j)
            return 1;
        if (!o->json)
            print_human(j);
        json_array_append_new(all, j);
        if (async[i].size == 1024 || !primary)
            primary = j;
    }
    int sync_n[] = {1, 8, 64};
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "sync-%d", sync_n[i]);
        if (!wanted(o, name))
            continue;
        json_t *j = bench_sync(o, name, sync_n[i], 1024);
        if (!j)
            return 1;
        if (!o->json)
            print_human(j);
        json_array_append_new(all, j);
        if (!primary)
            primary = j;
    }
    if (wanted(o, "recover")) {
        json_t *j = bench_recover(o);
        if (!j)
            return 1;
        if (!o->json)
            print_human(j);
        json_array_append_new(all, j);
    }
    if (o->json) {
        json_t *top = json_object();
        if (primary)
            json_object_update(top, primary);
        json_object_set_new(top, "ceiling_write_mb_per_sec", json_real(ceiling_write));
        json_object_set_new(top, "ceiling_fdatasync_mb_per_sec", json_real(ceiling_sync));
        json_object_set_new(top, "memory", json_string(memory));
        json_object_set(top, "scenarios", all);
        char *s = json_dumps(top, JSON_COMPACT);
        puts(s);
        free(s);
        json_decref(top);
    }
    json_decref(all);
    return 0;
}

int cmd_bench_net(int argc, char **argv);   /* bench-net.c */

int cmd_bench(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"scenario", required_argument, NULL, 's'},
        {"count", required_argument, NULL, 'n'},
        {"sync-seconds", required_argument, NULL, 'S'},
        {"batch", required_argument, NULL, 'b'},
        {"recover-mb", required_argument, NULL, 'r'},
        {"segment-mb", required_argument, NULL, 'g'},
        {"ceiling-mb", required_argument, NULL, 'c'},
        {"memory", required_argument, NULL, 'm'},
        {"settle", required_argument, NULL, 'T'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc >= 2 && (!strcmp(argv[1], "produce") || !strcmp(argv[1], "consume") ||
                      !strcmp(argv[1], "e2e")))
        return cmd_bench_net(argc, argv);
    if (cmd_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "store") != 0)
        return cmd_usage_error(usage, "bench", argc < 2 ? "missing what to measure" : "unknown benchmark '%s'",
                               argc < 2 ? "" : argv[1]);
    struct opts o = {NULL, "all", 1000000, 64, 256, 1024, 1024, 3.0, 6.0, false, false};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'd': o.dir = optarg; break;
        case 's': snprintf(o.scenarios, sizeof o.scenarios, "%s", optarg); break;
        case 'n': o.count = strtol(optarg, &end, 10); break;
        case 'S': o.sync_seconds = strtod(optarg, &end); break;
        case 'b': o.batch = strtol(optarg, &end, 10); break;
        case 'r': o.recover_mb = strtol(optarg, &end, 10); break;
        case 'g': o.segment_mb = strtol(optarg, &end, 10); break;
        case 'c': o.ceiling_mb = strtol(optarg, &end, 10); break;
        case 'T': o.settle = strtod(optarg, &end); break;
        case 'm':
            if (strcmp(optarg, "warm") != 0 && strcmp(optarg, "cold") != 0)
                return cmd_usage_error(usage, "bench", "--memory is warm or cold, not '%s'", optarg);
            o.cold = optarg[0] == 'c';
            break;
        case 'j': o.json = true; break;
        default: return cmd_usage_error(usage, "bench", NULL);
        }
        if (end && (*end || end == optarg))
            return cmd_usage_error(usage, "bench", "invalid number '%s'", optarg);
    }
    if (!o.dir)
        return cmd_usage_error(usage, "bench", "--dir is required");
    if (o.count < 1 || o.batch < 1 || o.recover_mb < 1 || o.segment_mb < 1 || o.ceiling_mb < 0 ||
        o.sync_seconds <= 0)
        return cmd_usage_error(usage, "bench", "counts and sizes must be positive");
    if (!(o.settle >= 0 && o.settle <= 3600))   /* also refuses nan */
        return cmd_usage_error(usage, "bench", "--settle is 0 to 3600 seconds");
    rmq_log_level = RMQ_LOG_WARN;
    return bench_store(&o);
}
