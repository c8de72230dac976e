/* The store through its API: appends, rolls, reads, recovery, faults, retention. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/store.h"
#include "store/store_int.h"   /* the commitlog's staging, for one test */
#include "store/waitq.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SEG (64 * 1024)

struct fx {
    char root[256];
    struct rmq_store_opts o;
    struct rmq_store *s;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->root, sizeof f->root, "/tmp/rmq-unit-XXXXXX");
    if (!mkdtemp(f->root))
        return -1;
    rmq_store_opts_default(&f->o, f->root);
    f->o.cl_file_size = SEG;
    f->o.cq_file_size = 100 * RMQ_CQ_UNIT;
    f->o.index_slots = 1000;
    f->o.index_max = 4000;
    rmq_log_level = RMQ_LOG_ERROR;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    for (int op = 0; op < RMQ_OS_NOPS; op++)   /* a failed test must not leave its fault on */
        rmq_os_inject(op, 0, 0);
    rmq_os_fake_disk_used(-1);
    rmq_remove_tree(f->root);
    free(f);
    return 0;
}

static void open_store(struct fx *f)
{
    char err[RMQ_ERRLEN];
    int rc = rmq_store_open(&f->s, &f->o, err);
    if (rc)
        fail_msg("open: %s", err);
}

static int put(struct fx *f, const char *topic, int qid, int n, struct rmq_put_result *r)
{
    char body[64], props[128];
    snprintf(body, sizeof body, "message %d of %s/%d", n, topic, qid);
    int pl = snprintf(props, sizeof props, "UNIQ_KEY\001U%08d\002KEYS\001k%d order\002TAGS\001Tag%c",
                      n, n, 'A' + n % 3);
    struct rmq_msg_in in = {
        .topic = topic, .topic_len = strlen(topic), .queue_id = qid, .born_ts = rmq_now_ms(),
        .born_host = {{127, 0, 0, 1}, 4, 1234}, .store_host = {{127, 0, 0, 1}, 4, 10911},
        .body = body, .body_len = strlen(body), .props = props, .props_len = (size_t)pl,
    };
    char err[RMQ_ERRLEN];
    struct rmq_put_result local;
    return rmq_store_put(f->s, &in, r ? r : &local, err);
}

static void put_many(struct fx *f, int n, int queues)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(put(f, "TopicTest", i % queues, i, NULL), 0);
    rmq_store_commit(f->s);
}

static void expect_body(struct fx *f, int qid, int64_t qoff, int n)
{
    struct rmq_msg m;
    char err[RMQ_ERRLEN], want[64];
    int rc = rmq_store_get(f->s, "TopicTest", qid, qoff, &m, err);
    if (rc)
        fail_msg("get %d/%lld: %s", qid, (long long)qoff, err);
    snprintf(want, sizeof want, "message %d of TopicTest/%d", n, qid);
    assert_int_equal(m.body_len, strlen(want));
    assert_memory_equal(m.body, want, m.body_len);
    assert_int_equal(m.queue_offset, qoff);
}

static int64_t qmax(struct fx *f, int qid)
{
    const struct rmq_cq *cq = rmq_store_queue(f->s, "TopicTest", qid);
    return cq ? cq->max_offset : 0;
}

static void put_get_across_segments(void **state)
{
    struct fx *f = *state;
    open_store(f);
    put_many(f, 3000, 4);   /* ~ 400 KB: several 64 KiB segments with blank markers */
    for (int q = 0; q < 4; q++) {
        assert_int_equal(qmax(f, q), 750);
        expect_body(f, q, 0, q);
        expect_body(f, q, 749, 2996 + q);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/commitlog/00000000000000065536", f->root);
    assert_int_equal(access(path, F_OK), 0);
    /* lookups */
    int64_t phys[8];
    assert_int_equal(rmq_store_query_key(f->s, "TopicTest", "k1234", 0, INT64_MAX, 8, phys), 1);
    assert_int_equal(rmq_store_query_key(f->s, "TopicTest", "U00000007", 0, INT64_MAX, 8, phys), 1);
    assert_int_equal(rmq_store_query_key(f->s, "TopicTest", "order", 0, INT64_MAX, 8, phys), 8);
    assert_int_equal(rmq_store_query_key(f->s, "Other", "k1", 0, INT64_MAX, 8, phys), 0);
    assert_int_equal(rmq_store_offset_by_time(f->s, "TopicTest", 0, 0), 0);
    assert_int_equal(rmq_store_offset_by_time(f->s, "TopicTest", 0, INT64_MAX), 750);
    /* a second opener is refused while this one holds the store */
    struct rmq_store *other;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_store_open(&other, &f->o, err), RMQ_ELOCKED);
    assert_int_equal(rmq_store_close(f->s), 0);
}

static void clean_restart_reads_nothing(void **state)
{
    struct fx *f = *state;
    open_store(f);
    put_many(f, 1000, 2);
    assert_int_equal(rmq_store_close(f->s), 0);
    open_store(f);
    const struct rmq_store_stats *st = rmq_store_stats(f->s);
    assert_false(st->abnormal);
    assert_int_equal(st->scan_from, st->scan_to);   /* nothing past the clean end */
    assert_int_equal(st->redispatched, 0);
    assert_int_equal(qmax(f, 0), 500);
    assert_int_equal(put(f, "TopicTest", 0, 1000, NULL), 0);
    rmq_store_commit(f->s);
    assert_int_equal(qmax(f, 0), 501);
    expect_body(f, 0, 500, 1000);
    assert_int_equal(rmq_store_close(f->s), 0);
}

static void crash_keeps_committed_records(void **state)
{
    struct fx *f = *state;
    f->o.flush_cq_interval_ms = 3600 * 1000;   /* no checkpoint: all of it is the tail */
    open_store(f);
    put_many(f, 2000, 4);
    rmq_store_abandon(f->s);
    f->o.flush_cq_interval_ms = 1000;
    open_store(f);
    const struct rmq_store_stats *st = rmq_store_stats(f->s);
    assert_true(st->abnormal);
    assert_int_equal(st->truncated_at, -1);
    for (int q = 0; q < 4; q++) {
        assert_int_equal(qmax(f, q), 500);
        expect_body(f, q, 499, 1996 + q);
    }
    assert_int_equal(rmq_store_close(f->s), 0);
}

/* Bytes [off, off + n) of the commitlog as the file holds them (pread, not the mapping). */
static void file_bytes(struct fx *f, int64_t off, void *out, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/commitlog/%020lld", f->root, (long long)(off / SEG * SEG));
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, out, n, (off_t)(off % SEG)), (ssize_t)n);
    close(fd);
}

/* Appends are staged and reach the file with one pwrite per commit: before the commit the
 * record is neither readable nor in the file, after it both, byte for byte. */
static void staged_appends_reach_the_file_at_commit(void **state)
{
    struct fx *f = *state;
    open_store(f);
    struct rmq_put_result r;
    assert_int_equal(put(f, "TopicTest", 0, 7, &r), 0);
    size_t avail;
    assert_null(rmq_store_raw(f->s, r.phys, &avail));
    /* dispatch alone reads it, from the staging buffer */
    struct rmq_msg m;
    char err[RMQ_ERRLEN];
    const uint8_t *staged = rmq_cl_at_staged(&f->s->cl, r.phys, &avail);
    assert_non_null(staged);
    assert_int_equal(rmq_msg_decode(staged, avail, &m, RMQ_MSG_CHECK_CRC, err), (int)r.size);
    assert_int_equal(m.phys_offset, r.phys);
    uint8_t before[256], after[256];
    assert_true(r.size <= sizeof before);
    file_bytes(f, r.phys, before, r.size);
    for (size_t i = 0; i < r.size; i++)
        assert_int_equal(before[i], 0);
    rmq_store_commit(f->s);
    const uint8_t *p = rmq_store_raw(f->s, r.phys, &avail);
    assert_non_null(p);
    file_bytes(f, r.phys, after, r.size);
    assert_memory_equal(after, p, r.size);
    expect_body(f, 0, 0, 7);
    assert_int_equal(rmq_store_close(f->s), 0);
}

/* A failing pwrite at commit loses nothing: the records go through the mapping, stay
 * readable, survive a restart, and appends after the fault clears are written as usual. */
static void failed_pwrite_falls_back_to_the_mapping(void **state)
{
    struct fx *f = *state;
    open_store(f);
    rmq_os_inject(RMQ_OS_PWRITE, EIO, 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(put(f, "TopicTest", 0, i, NULL), 0);
    rmq_store_commit(f->s);
    expect_body(f, 0, 99, 99);
    rmq_os_inject(RMQ_OS_PWRITE, 0, 0);
    for (int i = 100; i < 200; i++)
        assert_int_equal(put(f, "TopicTest", 0, i, NULL), 0);
    rmq_store_commit(f->s);
    assert_int_equal(rmq_store_close(f->s), 0);
    open_store(f);
    assert_int_equal(qmax(f, 0), 200);
    for (int i = 0; i < 200; i += 37)
        expect_body(f, 0, i, i);
    assert_int_equal(rmq_store_close(f->s), 0);
}

/* Cuts the last record in half on disk, as a crash during its write would. */
static void torn_tail_is_cut(void **state)
{
    struct fx *f = *state;
    f->o.flush_cq_interval_ms = 3600 * 1000;
    open_store(f);
    put_many(f, 100, 1);
    struct rmq_put_result r;
    assert_int_equal(put(f, "TopicTest", 0, 100, &r), 0);
    rmq_store_commit(f->s);
    rmq_store_abandon(f->s);
    char path[512];
    snprintf(path, sizeof path, "%s/commitlog/%020lld", f->root, (long long)(r.phys / SEG * SEG));
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    /* zero the second half of the record, like pages that never reached the disk */
    static char zero[256];
    assert_int_equal(pwrite(fd, zero, r.size / 2, (off_t)(r.phys % SEG + r.size / 2)), (ssize_t)(r.size / 2));
    close(fd);
    open_store(f);
    const struct rmq_store_stats *st = rmq_store_stats(f->s);
    assert_int_equal(st->truncated_at, r.phys);
    assert_int_equal(rmq_store_written(f->s), r.phys);
    assert_int_equal(qmax(f, 0), 100);
    expect_body(f, 0, 99, 99);
    /* the queue offset of the lost record is handed out again */
    assert_int_equal(put(f, "TopicTest", 0, 500, &r), 0);
    assert_int_equal(r.queue_offset, 100);
    rmq_store_commit(f->s);
    expect_body(f, 0, 100, 500);
    assert_int_equal(rmq_store_close(f->s), 0);
}

static bool all_zero_file(const char *path, off_t want_size)
{
    struct stat st;
    if (stat(path, &st) < 0 || st.st_size != want_size)
        return false;
    FILE *fp = fopen(path, "rb");
    int c, nonzero = 0;
    while (fp && (c = fgetc(fp)) != EOF)
        nonzero |= c;
    if (fp)
        fclose(fp);
    return fp && !nonzero;
}

/* Fills most of segment 0 and waits for the preparer to make segment 1 ahead. */
static void fill_until_spare(struct fx *f, int *i, char *spare_path, size_t n)
{
    snprintf(spare_path, n, "%s/commitlog/%020d", f->root, SEG);
    while (rmq_store_written(f->s) < SEG / 2) {
        assert_int_equal(put(f, "TopicTest", 0, (*i)++, NULL), 0);
        rmq_store_commit(f->s);
    }
    for (int t = 0; t < 500 && access(spare_path, F_OK) != 0; t++) {
        struct timespec ms = {0, 10 * 1000000L};
        nanosleep(&ms, NULL);
        rmq_store_commit(f->s);
    }
    assert_int_equal(access(spare_path, F_OK), 0);
    assert_true(rmq_store_written(f->s) < SEG);   /* nobody has written into it */
}

/* The next segment is made ahead; a crash leaves it on disk, all zeros, and the store
 * recovers: every record back, and appends roll into segments 1 and 2 as usual. */
static void spare_segment_survives_crash(void **state)
{
    struct fx *f = *state;
    f->o.flush_cq_interval_ms = 3600 * 1000;
    open_store(f);
    int i = 0;
    char spare[512];
    fill_until_spare(f, &i, spare, sizeof spare);
    rmq_store_abandon(f->s);   /* kill -9 */
    assert_true(all_zero_file(spare, SEG));
    open_store(f);
    assert_true(rmq_store_stats(f->s)->abnormal);
    assert_int_equal(rmq_store_stats(f->s)->truncated_at, -1);
    assert_int_equal(qmax(f, 0), i);
    expect_body(f, 0, i - 1, i - 1);
    int first = i;
    while (rmq_store_written(f->s) < 2 * SEG + 100) {
        assert_int_equal(put(f, "TopicTest", 0, i++, NULL), 0);
        rmq_store_commit(f->s);
    }
    for (int k = 0; k < i; k += 37)
        expect_body(f, 0, k, k);
    expect_body(f, 0, first, first);
    assert_int_equal(rmq_store_close(f->s), 0);
    open_store(f);   /* and once more after a clean shutdown */
    assert_int_equal(qmax(f, 0), i);
    expect_body(f, 0, i - 1, i - 1);
    assert_int_equal(rmq_store_close(f->s), 0);
}

/* A clean shutdown deletes an unused spare; an all-zero segment left after the last one
 * anyway (by an older run, or a copy) is taken as the next segment when the log rolls. */
static void clean_close_drops_spare_and_leftover_is_adopted(void **state)
{
    struct fx *f = *state;
    open_store(f);
    int i = 0;
    char spare[512];
    fill_until_spare(f, &i, spare, sizeof spare);
    assert_int_equal(rmq_store_close(f->s), 0);
    assert_int_equal(access(spare, F_OK), -1);
    int fd = open(spare, O_WRONLY | O_CREAT | O_EXCL, 0644);   /* the leftover */
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, SEG), 0);
    close(fd);
    f->o.make_segments_ahead = false;   /* the writer's roll must find it by itself */
    open_store(f);
    assert_false(rmq_store_stats(f->s)->abnormal);
    while (rmq_store_written(f->s) < SEG + 100) {
        assert_int_equal(put(f, "TopicTest", 0, i++, NULL), 0);
        rmq_store_commit(f->s);
    }
    expect_body(f, 0, i - 1, i - 1);
    expect_body(f, 0, 0, 0);
    assert_int_equal(rmq_store_close(f->s), 0);
}

static int count_index_files(struct fx *f)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls %s/index 2>/dev/null | grep -c '^[0-9]*$'", f->root);
    FILE *p = popen(cmd, "r");
    int n = 0;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = 0;
        pclose(p);
    }
    return n;
}

static void wait_index_files(struct fx *f, int n)
{
    for (int t = 0; t < 500 && count_index_files(f) < n; t++) {
        struct timespec ms = {0, 10 * 1000000L};
        nanosleep(&ms, NULL);
        rmq_store_commit(f->s);
    }
    assert_int_equal(count_index_files(f), n);
}

/* The index's first file is made ahead at open, the next one when the newest is three
 * quarters full; a crash leaves that spare on disk as the newest file, and lookups of keys
 * in the older file still work after recovery, and after the roll into the spare. */
static void index_spare_survives_crash(void **state)
{
    struct fx *f = *state;
    f->o.flush_cq_interval_ms = 20;
    f->o.flush_interval_ms = 20;   /* the ASYNC flusher wakes, and checkpoints, that often */
    open_store(f);
    wait_index_files(f, 1);    /* before any message */
    put_many(f, 1000, 2);      /* 3 keys each: 3000 of 4000 entries */
    wait_index_files(f, 2);
    int64_t phys[8];
    assert_int_equal(rmq_store_query_key(f->s, "TopicTest", "k777", 0, INT64_MAX, 8, phys), 1);
    /* a checkpoint that covers the keys: recovery trusts the index below it */
    struct rmq_checkpoint cp = {0};
    char path[512], err[RMQ_ERRLEN];
    snprintf(path, sizeof path, "%s/checkpoint", f->root);
    for (int i = 0; i < 300 && !(cp.valid && cp.logics_safe >= rmq_store_written(f->s)); i++) {
        usleep(10000);
        assert_int_equal(rmq_checkpoint_read(path, &cp, err), 0);
    }
    assert_true(cp.valid && cp.logics_safe >= rmq_store_written(f->s));
    rmq_store_abandon(f->s);
    open_store(f);
    assert_int_equal(count_index_files(f), 2);
    /* from 1 ms: a begin time after the empty file's zero begin timestamp */
    assert_int_equal(rmq_store_query_key(f->s, "TopicTest", "k777", 1, INT64_MAX, 8, phys), 1);
    for (int i = 1000; i < 1600; i++)   /* rolls into the spare */
        assert_int_equal(put(f, "TopicTest", 0, i, NULL), 0);
    rmq_store_commit(f->s);
    assert_int_equal(rmq_store_query_key(f->s, "TopicTest", "k1555", 0, INT64_MAX, 8, phys), 1);
    assert_int_equal(rmq_store_query_key(f->s, "TopicTest", "k777", 0, INT64_MAX, 8, phys), 1);
    assert_int_equal(rmq_store_close(f->s), 0);
}

static void enospc_on_roll_leaves_nothing_visible(void **state)
{
    struct fx *f = *state;
    f->o.make_segments_ahead = false;   /* the writer's own roll is what fails here */
    open_store(f);
    int i = 0;
    /* fill the first segment nearly to its end, then make the next segment fail */
    while (rmq_store_written(f->s) < SEG - 200) {
        assert_int_equal(put(f, "TopicTest", 0, i++, NULL), 0);
        rmq_store_commit(f->s);
    }
    int64_t before = rmq_store_written(f->s), qbefore = qmax(f, 0);
    rmq_os_inject(RMQ_OS_FALLOCATE, ENOSPC, 0);
    int rc = RMQ_EFULL, attempts = 0;
    while (attempts < 10 && (rc = put(f, "TopicTest", 0, i, NULL)) == 0) {
        i++;   /* records still fitting the current segment go in */
        attempts++;
    }
    rmq_store_commit(f->s);
    rmq_os_inject(RMQ_OS_FALLOCATE, 0, 0);
    assert_int_equal(rc, RMQ_EFULL);
    assert_true(rmq_store_written(f->s) < SEG);   /* no blank marker, no new segment */
    int64_t q = qmax(f, 0);
    assert_int_equal(q, qbefore + attempts);
    (void)before;
    /* after the fault clears the next put rolls and everything reads back */
    struct rmq_put_result r;
    assert_int_equal(put(f, "TopicTest", 0, i, &r), 0);
    rmq_store_commit(f->s);
    assert_int_equal(r.phys, SEG);
    assert_int_equal(r.queue_offset, q);
    expect_body(f, 0, q, i);
    expect_body(f, 0, 0, 0);
    assert_int_equal(rmq_store_close(f->s), 0);
    open_store(f);
    expect_body(f, 0, q, i);
    assert_int_equal(rmq_store_close(f->s), 0);
}

static void sync_flush_visible_only_when_flushed(void **state)
{
    struct fx *f = *state;
    f->o.sync_flush = true;
    /* nothing but the flusher's own retry can notice the disk is back: it must not wait
     * for this interval (the test allows 3 s, under sanitizers on a slow machine too) */
    f->o.flush_cq_interval_ms = 60 * 1000;
    open_store(f);
    assert_int_equal(put(f, "TopicTest", 0, 0, NULL), 0);
    rmq_store_commit(f->s);
    for (int i = 0; i < 300 && rmq_store_flushed(f->s) < rmq_store_written(f->s); i++)
        usleep(10000);
    rmq_store_dispatch(f->s);
    assert_int_equal(qmax(f, 0), 1);
    rmq_os_inject(RMQ_OS_FDATASYNC, EIO, 0);   /* the disk stops syncing */
    assert_int_equal(put(f, "TopicTest", 0, 1, NULL), 0);
    rmq_store_commit(f->s);
    for (int i = 0; i < 300 && rmq_store_writable(f->s) == 0; i++)
        usleep(10000);
    assert_int_equal(rmq_store_writable(f->s), -EIO);      /* writes refused, with the cause */
    assert_true(rmq_store_flushed(f->s) < rmq_store_written(f->s));
    rmq_store_dispatch(f->s);
    assert_int_equal(qmax(f, 0), 1);                        /* not visible: not durable */
    assert_int_equal(put(f, "TopicTest", 0, 2, NULL), -EIO);
    rmq_os_inject(RMQ_OS_FDATASYNC, 0, 0);
    for (int i = 0; i < 300 && rmq_store_flushed(f->s) < rmq_store_written(f->s); i++)
        usleep(10000);
    assert_int_equal(rmq_store_flushed(f->s), rmq_store_written(f->s));
    assert_int_equal(rmq_store_writable(f->s), 0);
    rmq_store_dispatch(f->s);
    assert_int_equal(qmax(f, 0), 2);
    expect_body(f, 0, 1, 1);
    assert_int_equal(rmq_store_close(f->s), 0);
}

/* Under SYNC_FLUSH the preparer writes zeros ahead of the writer, through the file: it
 * must never land on a record. 40 MB through 64 MiB segments as fast as the writer goes,
 * every record read back with its CRCs checked. (Without the fence this fails.) */
static void write_sync_and_read_back(struct fx *f, bool cold_memory)
{
    f->o.sync_flush = true;
    f->o.cl_file_size = 64 << 20;
    open_store(f);
    atomic_store(&f->s->zero_cold, cold_memory);
    static char body[1000];
    memset(body, 'z', sizeof body);
    int n = 100000;
    int64_t *phys = malloc(sizeof *phys * (size_t)n);
    char err[RMQ_ERRLEN];
    for (int i = 0; i < n; i++) {
        struct rmq_msg_in in = {.topic = "TopicTest", .topic_len = 9, .queue_id = i % 4,
                                .body = body, .body_len = sizeof body,
                                .born_host = {{127, 0, 0, 1}, 4, 1}, .store_host = {{127, 0, 0, 1}, 4, 2}};
        struct rmq_put_result r;
        assert_int_equal(rmq_store_put(f->s, &in, &r, err), 0);
        phys[i] = r.phys;
        if (i % 64 == 63)   /* commit without waiting: the writer runs into the zeroing */
            rmq_store_commit(f->s);
    }
    rmq_store_commit(f->s);
    for (int i = 0; i < n; i++) {
        struct rmq_msg m;
        if (rmq_store_read(f->s, phys[i], &m, RMQ_MSG_CHECK_CRC, err) <= 0)
            fail_msg("record %d at %lld: %s", i, (long long)phys[i], err);
    }
    free(phys);
    assert_int_equal(rmq_store_close(f->s), 0);
}

static void sync_preparer_never_overwrites_records(void **state)
{
    write_sync_and_read_back(*state, false);
}

/* The same where fresh memory is slow: the preparer allocates each chunk's pages by read
 * faults before it claims the chunk and writes its zeros. */
static void sync_preparer_populating_first_never_overwrites_records(void **state)
{
    write_sync_and_read_back(*state, true);
}

static void lost_queue_files_are_rebuilt(void **state)
{
    struct fx *f = *state;
    open_store(f);
    put_many(f, 1200, 3);   /* 400 per queue: 4 consume-queue segments of 100 entries */
    assert_int_equal(rmq_store_close(f->s), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/consumequeue/TopicTest/1", f->root);
    assert_int_equal(rmq_remove_tree(path), 0);               /* a whole queue */
    snprintf(path, sizeof path, "%s/consumequeue/TopicTest/2/00000000000000004000", f->root);
    assert_int_equal(truncate(path, 0), 0);                   /* a middle segment */
    open_store(f);
    assert_true(rmq_store_stats(f->s)->full_rebuild);
    for (int q = 0; q < 3; q++) {
        assert_int_equal(qmax(f, q), 400);
        expect_body(f, q, 0, q);
        expect_body(f, q, 250, 750 + q);
        expect_body(f, q, 399, 1197 + q);
    }
    assert_int_equal(rmq_store_close(f->s), 0);
}

/* The first consume-queue segment gone, after a clean shutdown and after a crash. */
static void lost_first_queue_segment_is_rebuilt(void **state)
{
    struct fx *f = *state;
    for (int crash = 0; crash < 2; crash++) {
        char path[512];
        rmq_remove_tree(f->root);
        open_store(f);
        put_many(f, 600, 2);   /* 300 per queue: 3 segments of 100 entries */
        if (crash)
            rmq_store_abandon(f->s);
        else
            assert_int_equal(rmq_store_close(f->s), 0);
        snprintf(path, sizeof path, "%s/consumequeue/TopicTest/0/00000000000000000000", f->root);
        assert_int_equal(unlink(path), 0);
        open_store(f);
        assert_true(rmq_store_stats(f->s)->full_rebuild);
        const struct rmq_cq *cq = rmq_store_queue(f->s, "TopicTest", 0);
        assert_int_equal(cq->min_offset, 0);
        assert_int_equal(cq->max_offset, 300);
        expect_body(f, 0, 0, 0);
        expect_body(f, 0, 99, 198);
        expect_body(f, 0, 299, 598);
        expect_body(f, 1, 299, 599);
        assert_int_equal(rmq_store_close(f->s), 0);
    }
}

/* A store written with one segment size is refused, untouched, under another. */
static void other_segment_size_is_refused(void **state)
{
    struct fx *f = *state;
    open_store(f);
    put_many(f, 2000, 1);   /* several 64 KiB segments */
    assert_int_equal(rmq_store_close(f->s), 0);
    char path[512], err[RMQ_ERRLEN];
    struct stat before, after;
    snprintf(path, sizeof path, "%s/commitlog/00000000000000000000", f->root);
    assert_int_equal(stat(path, &before), 0);
    f->o.cl_file_size = 4 * SEG;
    assert_int_equal(rmq_store_open(&f->s, &f->o, err), RMQ_ECONFIG);
    assert_non_null(strstr(err, "another size"));
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_size, before.st_size);
    f->o.cl_file_size = SEG;
    open_store(f);
    assert_int_equal(qmax(f, 0), 2000);
    assert_int_equal(rmq_store_close(f->s), 0);
}

/* deleteWhen for retention run at the returned time (ms): that time's hour, so a test
 * started at hh:59:59 does not ask at the next hour */
static int64_t this_hour(char *hour, size_t n)
{
    int64_t at = rmq_now_ms() + 1000;
    time_t t = (time_t)(at / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    snprintf(hour, n, "%02d", tm.tm_hour);
    return at;
}

/* ASYNC_FLUSH: nothing kicks the flusher; it syncs every flushIntervalCommitLog (500 ms) */
static void wait_flushed(struct fx *f)
{
    for (int i = 0; i < 1000 && rmq_store_flushed(f->s) < rmq_store_written(f->s); i++)
        usleep(10000);
    assert_int_equal(rmq_store_flushed(f->s), rmq_store_written(f->s));
}

static void retention_deletes_old_segments(void **state)
{
    struct fx *f = *state;
    char hour[8];
    int64_t at = this_hour(hour, sizeof hour);
    f->o.delete_when = hour;
    f->o.file_reserved_hours = 0;
    open_store(f);
    put_many(f, 3000, 2);
    /* retention only takes what is flushed and dispatched */
    wait_flushed(f);
    int nseg = (int)(rmq_store_written(f->s) / SEG) + 1;
    int deleted = 0, d;
    while ((d = rmq_store_retention(f->s, at)) > 0)
        deleted += d;
    assert_int_equal(deleted, nseg - 1);                  /* never the segment being written */
    assert_int_equal(rmq_store_min_phys(f->s), (int64_t)(nseg - 1) * SEG);
    const struct rmq_cq *cq = rmq_store_queue(f->s, "TopicTest", 0);
    assert_true(cq->min_offset > 0);
    assert_int_equal(cq->max_offset, 1500);
    struct rmq_msg m;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_store_get(f->s, "TopicTest", 0, 0, &m, err), RMQ_ENOTFOUND);
    assert_int_equal(rmq_store_get(f->s, "TopicTest", 0, cq->min_offset, &m, err), 0);
    assert_int_equal(put(f, "TopicTest", 0, 9999, NULL), 0);
    rmq_store_commit(f->s);
    assert_int_equal(rmq_store_close(f->s), 0);
    open_store(f);   /* reopens with the first segments gone */
    cq = rmq_store_queue(f->s, "TopicTest", 0);
    assert_int_equal(cq->max_offset, 1501);
    assert_int_equal(rmq_store_get(f->s, "TopicTest", 0, cq->min_offset, &m, err), 0);
    assert_int_equal(rmq_store_close(f->s), 0);
}

/* A pinned record stays readable after retention deleted its segment (pull replies are
 * sent from the mapping, and the socket may take its time); the file goes with the pin. */
static void pinned_record_outlives_retention(void **state)
{
    struct fx *f = *state;
    char hour[8];
    int64_t at = this_hour(hour, sizeof hour);
    f->o.delete_when = hour;
    f->o.file_reserved_hours = 0;
    open_store(f);
    put_many(f, 3000, 1);
    wait_flushed(f);
    size_t avail = 0;
    void *pin = NULL;
    const uint8_t *p = rmq_store_pin(f->s, 0, &avail, &pin);   /* message 0, segment 0 */
    assert_non_null(p);
    assert_non_null(pin);
    while (rmq_store_retention(f->s, at) > 0)
        ;
    assert_true(rmq_store_min_phys(f->s) > 0);
    char path[512];
    snprintf(path, sizeof path, "%s/commitlog/%020d", f->root, 0);
    struct rmq_msg m;
    char err[RMQ_ERRLEN];
    assert_true(rmq_msg_decode(p, avail, &m, RMQ_MSG_CHECK_CRC, err) > 0);
    assert_int_equal(m.phys_offset, 0);
    assert_int_equal(m.body_len, strlen("message 0 of TopicTest/0"));
    assert_memory_equal(m.body, "message 0 of TopicTest/0", m.body_len);
    rmq_store_unpin(pin);
    assert_int_equal(access(path, F_OK), -1);
    assert_null(rmq_store_pin(f->s, 0, &avail, &pin));   /* and nothing to pin now */
    assert_int_equal(rmq_store_close(f->s), 0);
}

static void full_disk_refuses_writes_until_space_returns(void **state)
{
    struct fx *f = *state;
    open_store(f);
    put_many(f, 10, 1);
    rmq_os_fake_disk_used(95);
    rmq_store_retention(f->s, rmq_now_ms());
    assert_int_equal(rmq_store_writable(f->s), RMQ_EFULL);
    char err[RMQ_ERRLEN];
    struct rmq_put_result r;
    struct rmq_msg_in in = {.topic = "TopicTest", .topic_len = 9, .body = "x", .body_len = 1,
                            .born_host = {{0}, 4, 0}, .store_host = {{0}, 4, 0}};
    assert_int_equal(rmq_store_put(f->s, &in, &r, err), RMQ_EFULL);
    assert_non_null(strstr(err, "disk full"));
    expect_body(f, 0, 9, 9);                 /* reads go on */
    rmq_os_fake_disk_used(50);
    rmq_store_retention(f->s, rmq_now_ms());
    rmq_os_fake_disk_used(-1);
    assert_int_equal(rmq_store_writable(f->s), 0);
    assert_int_equal(rmq_store_put(f->s, &in, &r, err), 0);
    assert_int_equal(r.queue_offset, 10);
    assert_int_equal(rmq_store_close(f->s), 0);
}

static void bad_input_is_refused(void **state)
{
    struct fx *f = *state;
    open_store(f);
    char err[RMQ_ERRLEN];
    struct rmq_put_result r;
    struct rmq_msg_in in = {.topic = "bad topic", .topic_len = 9, .body = "x", .body_len = 1,
                            .born_host = {{0}, 4, 0}, .store_host = {{0}, 4, 0}};
    assert_int_equal(rmq_store_put(f->s, &in, &r, err), RMQ_EINVAL);
    in.topic = "T";
    in.topic_len = 1;
    in.queue_id = -1;
    assert_int_equal(rmq_store_put(f->s, &in, &r, err), RMQ_EINVAL);
    in.queue_id = 0;
    in.body_len = f->o.max_message_size + 1;
    assert_int_equal(rmq_store_put(f->s, &in, &r, err), RMQ_ETOOBIG);
    in.body_len = SEG;   /* fits maxMessageSize, not a segment */
    char *big = calloc(1, SEG);
    in.body = big;
    assert_int_equal(rmq_store_put(f->s, &in, &r, err), RMQ_ETOOBIG);
    free(big);
    assert_int_equal(rmq_store_written(f->s), 0);
    assert_int_equal(rmq_store_close(f->s), 0);
}

/* SCHEDULE_TOPIC_XXXX entries carry their due time as tag code (RocketMQ's layout), also
 * when recovery re-makes them. */
static void schedule_entries_carry_due_time(void **state)
{
    struct fx *f = *state;
    static const int64_t levels[] = {1000, 5000, 10000};
    f->o.delay_level_ms = levels;
    f->o.delay_levels = 3;
    open_store(f);
    const char *props = "DELAY\0012\002REAL_TOPIC\001T\002REAL_QID\0010";
    struct rmq_msg_in in = {
        .topic = "SCHEDULE_TOPIC_XXXX", .topic_len = 19, .queue_id = 1, .born_ts = 1,
        .born_host = {{127, 0, 0, 1}, 4, 1}, .body = "x", .body_len = 1,
        .props = props, .props_len = strlen(props),
    };
    char err[RMQ_ERRLEN];
    struct rmq_put_result r;
    assert_int_equal(rmq_store_put(f->s, &in, &r, err), 0);
    rmq_store_commit(f->s);
    struct rmq_cq_entry e;
    assert_int_equal(rmq_cq_get(rmq_store_queue(f->s, "SCHEDULE_TOPIC_XXXX", 1), 0, &e), 0);
    assert_int_equal(e.tag, r.store_ts + 5000);
    assert_int_equal(rmq_store_close(f->s), 0);
    char path[512];   /* the queue lost: recovery re-makes the entry from the log */
    snprintf(path, sizeof path, "%s/consumequeue/SCHEDULE_TOPIC_XXXX", f->root);
    assert_int_equal(rmq_remove_tree(path), 0);
    open_store(f);
    assert_int_equal(rmq_cq_get(rmq_store_queue(f->s, "SCHEDULE_TOPIC_XXXX", 1), 0, &e), 0);
    assert_int_equal(e.tag, r.store_ts + 5000);
    assert_int_equal(rmq_store_close(f->s), 0);
}

static void done_cb(void *arg, void *cookie, int status)
{
    int *log = arg;
    log[log[0]++ + 1] = (int)(intptr_t)cookie * (status ? -1 : 1);
}

static void waitq_completes_in_order(void **state)
{
    struct rmq_waitq q = {0};
    int log[1000] = {0};
    for (int i = 1; i <= 300; i++)   /* grows past its first allocation */
        rmq_waitq_push(&q, i * 10, i * 100, (void *)(intptr_t)i);
    assert_int_equal(rmq_waitq_complete(&q, 25, done_cb, log), 2);
    assert_int_equal(log[1], 1);
    assert_int_equal(log[2], 2);
    assert_int_equal(rmq_waitq_expire(&q, 400, done_cb, log), 2);   /* 3 and 4 time out */
    assert_int_equal(log[3], -3);
    assert_int_equal(rmq_waitq_complete(&q, 3000, done_cb, log), 296);
    assert_int_equal(rmq_waitq_len(&q), 0);
    rmq_waitq_free(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(put_get_across_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(clean_restart_reads_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(crash_keeps_committed_records, setup, teardown),
        cmocka_unit_test_setup_teardown(staged_appends_reach_the_file_at_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_pwrite_falls_back_to_the_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(torn_tail_is_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(enospc_on_roll_leaves_nothing_visible, setup, teardown),
        cmocka_unit_test_setup_teardown(spare_segment_survives_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(index_spare_survives_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(clean_close_drops_spare_and_leftover_is_adopted, setup, teardown),
        cmocka_unit_test_setup_teardown(sync_flush_visible_only_when_flushed, setup, teardown),
        cmocka_unit_test_setup_teardown(sync_preparer_never_overwrites_records, setup, teardown),
        cmocka_unit_test_setup_teardown(sync_preparer_populating_first_never_overwrites_records, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(lost_queue_files_are_rebuilt, setup, teardown),
        cmocka_unit_test_setup_teardown(lost_first_queue_segment_is_rebuilt, setup, teardown),
        cmocka_unit_test_setup_teardown(other_segment_size_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(retention_deletes_old_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(pinned_record_outlives_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(full_disk_refuses_writes_until_space_returns, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_input_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(schedule_entries_carry_due_time, setup, teardown),
        cmocka_unit_test(waitq_completes_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
