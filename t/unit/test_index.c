/* Unit tests for core/store/index.c: RocketMQ index files (PROTOCOL §6.4). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/index.h"
#include "util/bytes.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SLOTS 64
#define MAXE 100                         /* 99 usable entries per file (entry 0 unused) */
#define BASE_TS 1700000000000LL          /* whole seconds: begin + diff*1000 is exact */
#define FILE_LEN (40 + SLOTS * 4 + MAXE * 20)

static char dir[256];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/rmq-test-index-XXXXXX");
    assert_non_null(mkdtemp(dir));
    strcat(dir, "/index");
    /* a hung chain walk must fail the test, not the CI job */
    alarm(60);
    return 0;
}

static int teardown(void **state)
{
    alarm(0);
    for (int op = 0; op < RMQ_OS_NOPS; op++)
        rmq_os_inject(op, 0, 0);
    char *slash = strrchr(dir, '/');
    *slash = 0;
    rmq_remove_tree(dir);
    return 0;
}

/* Sorted names of the 17-digit files in d; returns their count. */
static int list_files(const char *d, char names[][32], int max)
{
    DIR *dd = opendir(d);
    assert_non_null(dd);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dd)))
        if (strlen(de->d_name) == RMQ_INDEX_NAME_LEN && strspn(de->d_name, "0123456789") == 17 &&
            n < max)
            snprintf(names[n++], 32, "%s", de->d_name);
    closedir(dd);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[i], names[j]) > 0) {
                char t[32];
                memcpy(t, names[i], 32);
                memcpy(names[i], names[j], 32);
                memcpy(names[j], t, 32);
            }
    return n;
}

static uint8_t *read_index_file(const char *d, const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", d, name);
    uint8_t *b = (uint8_t *)rmq_read_file(path, 1 << 20, len);
    assert_non_null(b);
    return b;
}

static struct rmq_index *open_ix(const char *d)
{
    struct rmq_index *ix;
    char err[RMQ_ERRLEN] = "";
    int rc = rmq_index_open(&ix, d, SLOTS, MAXE, err);
    if (rc != 0)
        fail_msg("open: %d %s", rc, err);
    return ix;
}

static int put(struct rmq_index *ix, const char *key, int64_t phys, int64_t ts)
{
    return rmq_index_put(ix, "TopicTest", 9, key, strlen(key), phys, ts);
}

static int query(struct rmq_index *ix, const char *key, int64_t b, int64_t e, int max,
                 int64_t *out)
{
    return rmq_index_query(ix, "TopicTest", 9, key, strlen(key), b, e, max, out);
}

static int has(const int64_t *v, int n, int64_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

/* Java String.hashCode("TopicTest#k1"), h = 31*h + c, by hand:
 *   'T' 84 → 84;  'o' 111 → 84*31+111 = 2715;  'p' 112 → 84277;  'i' 105 → 2612692;
 *   'c' 99 → 80993551;  'T' 84 → 2510800165 (wraps: -1784167131);  'e' 101 → 525393888;
 *   's' 115 → 3402308755 (-892658541);  't' 116 → 2392356417 (-1902610879);
 *   '#' 35 → 1148604930;  'k' 107 → 1247014569;  '1' 49 → 2746024 (mod 2^32)
 * so keyHash = 2746024 = 0x0029E6A8 and slot = 2746024 % 64 = 40.
 * "TopicTest#key1" hashes to -1655984460 → keyHash 1655984460 (abs).
 * "TopicTest#1L:G@>H" hashes to Integer.MIN_VALUE (constructed) → keyHash 0. */
static void test_key_hash(void **state)
{
    uint32_t h;
    assert_int_equal(rmq_index_key_hash("TopicTest", 9, "k1", 2, &h), 0);
    assert_int_equal(h, 2746024u);
    assert_int_equal(rmq_index_key_hash("TopicTest", 9, "key1", 4, &h), 0);
    assert_int_equal(h, 1655984460u);
    assert_int_equal(rmq_java_hash("TopicTest#1L:G@>H", 17), INT32_MIN);
    assert_int_equal(rmq_index_key_hash("TopicTest", 9, "1L:G@>H", 7, &h), 0);
    assert_int_equal(h, 0u);
    /* a key past the stack buffer hashes the same as the concatenation */
    char big[3000], cat[3100];
    memset(big, 'x', sizeof big);
    snprintf(cat, sizeof cat, "T#%.*s", (int)sizeof big, big);
    int32_t j = rmq_java_hash(cat, strlen(cat));
    assert_int_equal(rmq_index_key_hash("T", 1, big, sizeof big, &h), 0);
    assert_int_equal(h, j == INT32_MIN ? 0u : (uint32_t)(j < 0 ? -j : j));
}

static void test_byte_exact(void **state)
{
    struct rmq_index *ix = open_ix(dir);
    assert_int_equal(rmq_index_end_phys(ix), -1);
    assert_int_equal(put(ix, "k1", 1234, 1700000000123LL), 0);
    assert_int_equal(put(ix, "k1", 5678, 1700000005623LL), 0);  /* 5.5 s later → diff 5 */
    assert_int_equal(rmq_index_end_phys(ix), 5678);
    char names[4][32];
    assert_int_equal(list_files(dir, names, 4), 1);
    size_t len;
    uint8_t *b = read_index_file(dir, names[0], &len);   /* read(2) sees the shared map */
    assert_int_equal(len, FILE_LEN);
    static const uint8_t hdr[40] = {
        0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b,   /* beginTimestamp 1700000000123 */
        0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x7d, 0xf7,   /* endTimestamp 1700000005623 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xd2,   /* beginPhyOffset 1234 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x16, 0x2e,   /* endPhyOffset 5678 */
        0x00, 0x00, 0x00, 0x01,                           /* hashSlotCount 1 */
        0x00, 0x00, 0x00, 0x03,                           /* indexCount 3 */
    };
    assert_memory_equal(b, hdr, 40);
    /* slot 40 (at 40 + 40*4 = 200) holds entry 2, the newest */
    static const uint8_t slot[4] = {0, 0, 0, 2};
    assert_memory_equal(b + 200, slot, 4);
    for (int s = 0; s < SLOTS; s++)
        if (s != 40)
            assert_int_equal(rd32(b + 40 + s * 4), 0);
    /* entry 1 at 40 + 64*4 + 1*20 = 316, entry 2 at 336 */
    static const uint8_t ent[40] = {
        0x00, 0x29, 0xe6, 0xa8,                           /* keyHash 2746024 */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xd2,   /* phyOffset 1234 */
        0x00, 0x00, 0x00, 0x00,                           /* timeDiff 0 */
        0x00, 0x00, 0x00, 0x00,                           /* prevIndex 0 */
        0x00, 0x29, 0xe6, 0xa8,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x16, 0x2e,   /* phyOffset 5678 */
        0x00, 0x00, 0x00, 0x05,                           /* timeDiff 5 s */
        0x00, 0x00, 0x00, 0x01,                           /* prevIndex 1 */
    };
    assert_memory_equal(b + 316, ent, 40);
    assert_memory_equal(b + 296, (uint8_t[20]){0}, 20);   /* entry 0 unused */
    free(b);
    int64_t out[8];
    assert_int_equal(query(ix, "k1", 0, INT64_MAX, 8, out), 2);
    assert_int_equal(out[0], 5678);
    assert_int_equal(out[1], 1234);
    rmq_index_close(ix);
}

/* 250 keys one second apart: three files (99 + 99 + 52), many slot collisions. */
static void fill(struct rmq_index *ix, int from, int to)
{
    char k[32];
    for (int i = from; i < to; i++) {
        snprintf(k, sizeof k, "k%d", i);
        assert_int_equal(put(ix, k, (int64_t)i * 100, BASE_TS + (int64_t)i * 1000), 0);
    }
}

static void check_all(struct rmq_index *ix, int from, int to, int present)
{
    char k[32];
    int64_t out[16];
    for (int i = from; i < to; i++) {
        snprintf(k, sizeof k, "k%d", i);
        int n = query(ix, k, 0, INT64_MAX, 16, out);
        assert_true(n >= 0);
        if (present != has(out, n, (int64_t)i * 100))
            fail_msg("key %s: present=%d expected %d", k, !present, present);
    }
}

static void test_roundtrip_roll_reopen(void **state)
{
    struct rmq_index *ix = open_ix(dir);
    fill(ix, 0, 250);
    assert_int_equal(rmq_index_file_count(ix), 3);
    assert_int_equal(rmq_index_end_phys(ix), 24900);
    check_all(ix, 0, 250, 1);
    /* a key never put: only collisions (with equal full hash) could show, none here */
    int64_t out[300];
    assert_int_equal(query(ix, "nope", 0, INT64_MAX, 16, out), 0);

    /* one key in every file: newest first, across files */
    assert_int_equal(put(ix, "dup", 25000, BASE_TS + 250000), 0);
    int n = query(ix, "dup", 0, INT64_MAX, 16, out);
    assert_int_equal(n, 1);
    for (int i = 0; i < 60; i++)
        assert_int_equal(put(ix, "dup", 25100 + i * 100, BASE_TS + 251000 + i * 1000), 0);
    assert_int_equal(rmq_index_file_count(ix), 4);
    n = query(ix, "dup", 0, INT64_MAX, 300, out);
    assert_int_equal(n, 61);
    for (int i = 0; i < 60; i++)
        assert_int_equal(out[i], 25100 + (59 - i) * 100);
    assert_int_equal(out[60], 25000);
    /* max is honoured */
    assert_int_equal(query(ix, "dup", 0, INT64_MAX, 5, out), 5);
    assert_int_equal(out[0], 25100 + 59 * 100);
    /* duplicate offsets (a record re-indexed after a crash) are reported once */
    assert_int_equal(put(ix, "dup", 25100 + 59 * 100, BASE_TS + 310000), 0);
    assert_int_equal(query(ix, "dup", 0, INT64_MAX, 300, out), 61);

    /* time range: entries of "dup" at BASE+251 s … BASE+310 s; ask for [260 s, 270 s] */
    n = query(ix, "dup", BASE_TS + 260000, BASE_TS + 270000, 300, out);
    assert_int_equal(n, 11);
    for (int i = 0; i < n; i++)
        assert_true(out[i] >= 25100 + 9 * 100 && out[i] <= 25100 + 19 * 100);
    /* a range before everything, and after everything */
    assert_int_equal(query(ix, "dup", 0, BASE_TS - 1, 300, out), 0);
    assert_int_equal(query(ix, "k5", BASE_TS + 400000, INT64_MAX, 300, out), 0);
    /* k5 at exactly BASE+5 s, inclusive bounds */
    assert_int_equal(query(ix, "k5", BASE_TS + 5000, BASE_TS + 5000, 4, out), 1);
    assert_int_equal(out[0], 500);

    int64_t before[300];
    int nb = query(ix, "dup", 0, INT64_MAX, 300, before);
    int64_t end = rmq_index_end_phys(ix);
    assert_int_equal(rmq_index_flush(ix), 0);
    rmq_index_close(ix);

    ix = open_ix(dir);
    assert_int_equal(rmq_index_file_count(ix), 4);
    assert_int_equal(rmq_index_end_phys(ix), end);
    check_all(ix, 0, 250, 1);
    n = query(ix, "dup", 0, INT64_MAX, 300, out);
    assert_int_equal(n, nb);
    assert_memory_equal(out, before, sizeof(int64_t) * (size_t)n);
    /* appending continues in the newest file */
    assert_int_equal(put(ix, "after", 40000, BASE_TS + 400000), 0);
    assert_int_equal(query(ix, "after", 0, INT64_MAX, 4, out), 1);
    assert_int_equal(rmq_index_file_count(ix), 4);
    rmq_index_close(ix);
}

struct cnt { int n; int64_t last_phys; uint32_t last_no; };
static int count_cb(void *arg, const char *file, uint32_t no, uint32_t kh, int64_t phys, int64_t ts)
{
    struct cnt *c = arg;
    c->n++;
    c->last_phys = phys;
    c->last_no = no;
    return 0;
}

static void test_foreach(void **state)
{
    struct rmq_index *ix = open_ix(dir);
    fill(ix, 0, 150);
    struct cnt c = {0};
    assert_int_equal(rmq_index_foreach(ix, count_cb, &c), 0);
    assert_int_equal(c.n, 150);
    assert_int_equal(c.last_phys, 14900);
    assert_int_equal(c.last_no, 51);   /* second file: entries 1..51 */
    rmq_index_close(ix);
}

/* Truncating must leave the files as if the cut entries had never been put: compare with
 * an index built from the kept entries only. */
static void test_truncate(void **state)
{
    char dir2[300];
    snprintf(dir2, sizeof dir2, "%s2", dir);
    struct rmq_index *ix = open_ix(dir), *ref = open_ix(dir2);
    fill(ix, 0, 250);
    fill(ref, 0, 130);
    assert_int_equal(rmq_index_truncate(ix, 130 * 100), 0);   /* keeps k0..k129 */
    assert_true(rmq_index_end_phys(ix) < 13000);
    assert_int_equal(rmq_index_end_phys(ix), 12900);
    assert_int_equal(rmq_index_file_count(ix), 2);
    check_all(ix, 0, 130, 1);
    check_all(ix, 130, 250, 0);
    char a[8][32], b[8][32];
    assert_int_equal(list_files(dir, a, 8), 2);
    assert_int_equal(list_files(dir2, b, 8), 2);
    for (int i = 0; i < 2; i++) {
        size_t la, lb;
        uint8_t *fa = read_index_file(dir, a[i], &la), *fb = read_index_file(dir2, b[i], &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(fa, fb, la);
        free(fa);
        free(fb);
    }
    /* new entries after the cut reuse offsets, and land in the kept file */
    fill(ix, 130, 140);
    check_all(ix, 0, 140, 1);
    /* a cut at the start of a file's first entry deletes the file */
    assert_int_equal(rmq_index_truncate(ix, 99 * 100), 0);
    assert_int_equal(rmq_index_file_count(ix), 1);
    assert_int_equal(rmq_index_end_phys(ix), 9800);
    /* cut below everything: nothing left */
    assert_int_equal(rmq_index_truncate(ix, 0), 0);
    assert_int_equal(rmq_index_file_count(ix), 0);
    assert_int_equal(rmq_index_end_phys(ix), -1);
    fill(ix, 0, 10);
    check_all(ix, 0, 10, 1);
    rmq_index_close(ix);
    ix = open_ix(dir);
    check_all(ix, 0, 10, 1);
    check_all(ix, 10, 250, 0);
    rmq_index_close(ix);
    rmq_index_close(ref);
    rmq_remove_tree(dir2);
}

static void test_delete_before(void **state)
{
    struct rmq_index *ix = open_ix(dir);
    fill(ix, 0, 250);   /* files end at 9800, 19700, 24900 */
    assert_int_equal(rmq_index_delete_before(ix, 9800), 0);     /* not strictly below */
    assert_int_equal(rmq_index_delete_before(ix, 9801), 1);
    assert_int_equal(rmq_index_file_count(ix), 2);
    check_all(ix, 0, 99, 0);
    check_all(ix, 99, 250, 1);
    assert_int_equal(rmq_index_delete_before(ix, INT64_MAX), 1);   /* never the newest */
    assert_int_equal(rmq_index_file_count(ix), 1);
    check_all(ix, 198, 250, 1);
    assert_int_equal(rmq_index_end_phys(ix), 24900);
    char names[8][32];
    assert_int_equal(list_files(dir, names, 8), 1);
    rmq_index_close(ix);
}

static void test_enospc_on_roll(void **state)
{
    struct rmq_index *ix = open_ix(dir);
    fill(ix, 0, 99);   /* first file full */
    rmq_os_inject(RMQ_OS_FALLOCATE, ENOSPC, 0);
    assert_int_equal(put(ix, "k99", 9900, BASE_TS + 99000), -ENOSPC);
    assert_int_equal(put(ix, "k99", 9900, BASE_TS + 99000), -ENOSPC);
    assert_int_equal(rmq_index_file_count(ix), 1);
    char names[8][32];
    assert_int_equal(list_files(dir, names, 8), 1);   /* no half-made file left behind */
    assert_int_equal(rmq_index_end_phys(ix), 9800);
    rmq_os_inject(RMQ_OS_FALLOCATE, 0, 0);
    fill(ix, 99, 120);
    assert_int_equal(rmq_index_file_count(ix), 2);
    check_all(ix, 0, 120, 1);
    /* mmap failing on roll is handled the same way */
    fill(ix, 120, 198);
    rmq_os_inject(RMQ_OS_MMAP, ENOMEM, 0);
    assert_int_equal(put(ix, "x", 1, 1), -ENOMEM);
    rmq_os_inject(RMQ_OS_MMAP, 0, 0);
    assert_int_equal(put(ix, "x", 19800, BASE_TS + 198000), 0);
    assert_int_equal(rmq_index_file_count(ix), 3);
    rmq_index_close(ix);
}

static void test_flush_faults(void **state)
{
    struct rmq_index *ix = open_ix(dir);
    fill(ix, 0, 10);
    assert_int_equal(rmq_index_flush(ix), 0);
    /* nothing written since: no fdatasync is even attempted */
    rmq_os_inject(RMQ_OS_FDATASYNC, EIO, 0);
    rmq_os_inject(RMQ_OS_FSYNC, EIO, 0);
    assert_int_equal(rmq_index_flush(ix), 0);
    fill(ix, 10, 11);
    assert_int_equal(rmq_index_flush(ix), -EIO);
    assert_int_equal(rmq_index_flush(ix), -EIO);   /* still dirty: retried */
    rmq_os_inject(RMQ_OS_FDATASYNC, 0, 0);
    rmq_os_inject(RMQ_OS_FSYNC, 0, 0);
    assert_int_equal(rmq_index_flush(ix), 0);
    rmq_os_inject(RMQ_OS_FDATASYNC, EIO, 0);
    assert_int_equal(rmq_index_flush(ix), 0);
    rmq_os_inject(RMQ_OS_FDATASYNC, 0, 0);
    rmq_index_close(ix);
}

/* The flush thread runs against puts, rolls, truncation and deletion (ASan/TSan food). */
struct flusher { struct rmq_index *ix; atomic_int stop; int calls; };
static void *flush_loop(void *arg)
{
    struct flusher *fl = arg;
    while (!atomic_load(&fl->stop)) {
        int rc = rmq_index_flush(fl->ix);
        if (rc)
            fprintf(stderr, "flush: %d\n", rc);
        fl->calls++;
    }
    return NULL;
}

static void test_concurrent_flush(void **state)
{
    struct flusher fl = {.ix = open_ix(dir)};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, flush_loop, &fl), 0);
    for (int round = 0; round < 30; round++) {
        fill(fl.ix, 0, 400);
        assert_int_equal(rmq_index_delete_before(fl.ix, 10000) >= 0, 1);
        assert_int_equal(rmq_index_truncate(fl.ix, 20000), 0);
        assert_int_equal(rmq_index_truncate(fl.ix, 0), 0);
    }
    atomic_store(&fl.stop, 1);
    pthread_join(th, NULL);
    assert_true(fl.calls > 0);
    rmq_index_close(fl.ix);
}

/* ------------------------------------------------------------- damaged files */

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

static void pwrite_at(const char *path, off_t off, const void *p, size_t n)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, p, n, off), (ssize_t)n);
    close(fd);
}

/* Queries, puts, foreach, truncate over whatever is there: must end, must not crash. */
static void exercise(struct rmq_index *ix)
{
    char k[32];
    int64_t out[64];
    for (int i = 0; i < 260; i++) {
        snprintf(k, sizeof k, "k%d", i);
        int n = query(ix, k, 0, INT64_MAX, 64, out);
        assert_true(n >= 0 && n <= 64);
        n = query(ix, k, BASE_TS + 10000, BASE_TS + 90000, 64, out);
        assert_true(n >= 0 && n <= 64);
    }
    struct cnt c = {0};
    rmq_index_foreach(ix, count_cb, &c);
    for (int i = 0; i < 30; i++) {
        snprintf(k, sizeof k, "n%d", i);
        assert_int_equal(put(ix, k, 30000 + i, BASE_TS + 300000 + i), 0);
    }
    for (int i = 0; i < 30; i++) {
        snprintf(k, sizeof k, "n%d", i);
        assert_true(query(ix, k, 0, INT64_MAX, 64, out) >= 1);
    }
    assert_int_equal(rmq_index_truncate(ix, 30010), 0);
    assert_true(rmq_index_end_phys(ix) < 30010);
}

static void test_corrupt_chains(void **state)
{
    struct rmq_index *ix = open_ix(dir);
    fill(ix, 0, 150);
    rmq_index_close(ix);
    char names[4][32], path[512];
    assert_int_equal(list_files(dir, names, 4), 2);
    snprintf(path, sizeof path, "%s/%s", dir, names[1]);
    size_t len;
    uint8_t *pristine = read_index_file(dir, names[1], &len);

    /* hand-made damage: a self loop, a forward link (cycle 3 → 40 → 3), slot values past
     * the count and negative, a negative timeDiff */
    uint8_t v[4];
    wr32(v, 5);
    pwrite_at(path, (off_t)rmq_index_entry_pos(SLOTS, 5) + RMQ_INDEX_ENT_PREV, v, 4);
    wr32(v, 40);
    pwrite_at(path, (off_t)rmq_index_entry_pos(SLOTS, 3) + RMQ_INDEX_ENT_PREV, v, 4);
    wr32(v, 3);
    pwrite_at(path, (off_t)rmq_index_entry_pos(SLOTS, 40) + RMQ_INDEX_ENT_PREV, v, 4);
    for (int s = 0; s < SLOTS; s += 7) {
        wr32(v, s % 2 ? 0xFFFFFFFFu : 1000 + (uint32_t)s);
        pwrite_at(path, (off_t)rmq_index_slot_pos((uint32_t)s), v, 4);
    }
    wr32(v, 0x80000000u);
    pwrite_at(path, (off_t)rmq_index_entry_pos(SLOTS, 10) + RMQ_INDEX_ENT_TIMEDIFF, v, 4);
    ix = open_ix(dir);
    exercise(ix);
    rmq_index_close(ix);

    /* random bytes over slots and entries, many rounds, each on a pristine copy; and the
     * same damage done while the file is open (through the shared mapping) */
    for (int round = 0; round < 200; round++) {
        pwrite_at(path, 0, pristine, len);
        struct rmq_index *live = round % 2 ? open_ix(dir) : NULL;
        int nbytes = 1 + (int)(rnd() % 200);
        for (int i = 0; i < nbytes; i++) {
            uint8_t byte = (uint8_t)rnd();
            off_t off = 40 + (off_t)(rnd() % (len - 40));
            pwrite_at(path, off, &byte, 1);
        }
        if (round % 5 == 0) {   /* whole runs of garbage, including prev links */
            uint8_t junk[64];
            for (size_t i = 0; i < sizeof junk; i++)
                junk[i] = (uint8_t)rnd();
            pwrite_at(path, 40 + (off_t)(rnd() % (len - 40 - sizeof junk)), junk, sizeof junk);
        }
        ix = live ? live : open_ix(dir);
        exercise(ix);
        rmq_index_close(ix);
        /* exercise() may have rolled/truncated: restore two files for the next round */
        char now[8][32];
        int nf = list_files(dir, now, 8);
        for (int i = 2; i < nf; i++) {
            char p[512];
            snprintf(p, sizeof p, "%s/%s", dir, now[i]);
            unlink(p);
        }
    }
    free(pristine);
}

static void test_bad_headers(void **state)
{
    struct rmq_index *ix = open_ix(dir);
    fill(ix, 0, 250);
    rmq_index_close(ix);
    char names[4][32], path[3][512];
    assert_int_equal(list_files(dir, names, 4), 3);
    for (int i = 0; i < 3; i++)
        snprintf(path[i], sizeof path[i], "%s/%s", dir, names[i]);
    /* file 0: indexCount over the maximum; file 1: wrong size; file 2 stays good */
    uint8_t v[8];
    wr32(v, MAXE + 1);
    pwrite_at(path[0], RMQ_INDEX_OFF_INDEX_COUNT, v, 4);
    assert_int_equal(truncate(path[1], FILE_LEN - 20), 0);
    char err[RMQ_ERRLEN] = "";
    int rc = rmq_index_open(&ix, dir, SLOTS, MAXE, err);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, names[0]));
    assert_non_null(strstr(err, "indexCount"));
    assert_non_null(strstr(err, "2 files set aside"));
    assert_int_equal(rmq_index_file_count(ix), 1);
    check_all(ix, 198, 250, 1);
    check_all(ix, 0, 198, 0);
    rmq_index_close(ix);
    char p2[600];
    struct stat st;
    snprintf(p2, sizeof p2, "%s.corrupt", path[0]);
    assert_int_equal(stat(p2, &st), 0);
    snprintf(p2, sizeof p2, "%s.corrupt", path[1]);
    assert_int_equal(stat(p2, &st), 0);

    /* negative timestamps / offsets, and hashSlotCount above the count */
    static const int offs[] = {RMQ_INDEX_OFF_BEGIN_TS, RMQ_INDEX_OFF_END_PHYS, RMQ_INDEX_OFF_SLOT_COUNT};
    for (int i = 0; i < 3; i++) {
        ix = open_ix(dir);
        fill(ix, 0, 10);
        rmq_index_close(ix);
        assert_int_equal(list_files(dir, names, 4), 1);
        snprintf(path[0], sizeof path[0], "%s/%s", dir, names[0]);
        wr64(v, 0xFFFFFFFFFFFFFF00ull);
        if (offs[i] == RMQ_INDEX_OFF_SLOT_COUNT)
            wr32(v, 50);
        pwrite_at(path[0], offs[i], v, offs[i] == RMQ_INDEX_OFF_SLOT_COUNT ? 4 : 8);
        err[0] = 0;
        assert_int_equal(rmq_index_open(&ix, dir, SLOTS, MAXE, err), 1);
        assert_non_null(strstr(err, names[0]));
        assert_int_equal(rmq_index_file_count(ix), 0);
        assert_int_equal(rmq_index_end_phys(ix), -1);
        rmq_index_close(ix);
    }

    /* an all-zero header (a Java file whose header was never flushed) is an empty file */
    ix = open_ix(dir);
    fill(ix, 0, 10);
    rmq_index_close(ix);
    assert_int_equal(list_files(dir, names, 4), 1);
    snprintf(path[0], sizeof path[0], "%s/%s", dir, names[0]);
    pwrite_at(path[0], 0, (uint8_t[40]){0}, 40);
    ix = open_ix(dir);
    assert_int_equal(rmq_index_file_count(ix), 1);
    assert_int_equal(rmq_index_end_phys(ix), -1);
    check_all(ix, 0, 10, 0);
    fill(ix, 100, 110);
    check_all(ix, 100, 110, 1);
    rmq_index_close(ix);

    /* random headers never crash */
    for (int round = 0; round < 100; round++) {
        uint8_t h[40];
        for (int i = 0; i < 40; i++)
            h[i] = (uint8_t)rnd();
        if (round % 2)
            memset(h, 0, 32);   /* plausible offsets, random counts */
        pwrite_at(path[0], 0, h, 40);
        err[0] = 0;
        rc = rmq_index_open(&ix, dir, SLOTS, MAXE, err);
        assert_true(rc == 0 || rc == 1);
        exercise(ix);
        rmq_index_close(ix);
        assert_true(list_files(dir, names, 4) >= 1);
        snprintf(path[0], sizeof path[0], "%s/%s", dir, names[0]);
    }
}

static void test_bad_geometry(void **state)
{
    struct rmq_index *ix = NULL;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_index_open(&ix, dir, 0, 100, err), RMQ_EINVAL);
    assert_int_equal(rmq_index_open(&ix, dir, 64, 1, err), RMQ_EINVAL);
    assert_int_equal(rmq_index_open(&ix, dir, 5000000, 200000000, err), RMQ_EINVAL);
    assert_null(ix);
    assert_int_equal(rmq_index_file_size(RMQ_INDEX_DEFAULT_SLOTS, RMQ_INDEX_DEFAULT_ENTRIES),
                     420000040u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_hash),
        cmocka_unit_test_setup_teardown(test_byte_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roundtrip_roll_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_before, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enospc_on_roll, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_faults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_chains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_geometry, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
