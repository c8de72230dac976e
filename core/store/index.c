#include "store/index.h"

#include "util/bytes.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct ix_file {
    char name[RMQ_INDEX_NAME_LEN + 1];
    int fd;
    uint8_t *map;
    size_t len;
    int refs;            /* under ix->mu: 1 while in the list + 1 per flush holding it */
    atomic_int dirty;    /* written since the last fdatasync */
    /* The header, authoritative in memory (owner thread), written through to the map. */
    int64_t begin_ts, end_ts, begin_phys, end_phys;
    uint32_t slot_count, count;
};

struct rmq_index {
    char dir[PATH_MAX - 32];
    uint32_t slots, max;
    size_t file_len;
    pthread_mutex_t mu;        /* guards files/n/cap against the flush thread, and refs */
    struct ix_file **files;    /* oldest first; changed only by the owner, under mu */
    size_t n, cap;
    atomic_int dir_dirty;      /* a file was created or renamed since the last flush */
    int64_t end_phys;          /* cached rmq_index_end_phys() */
    int last_roll_err;         /* to log a failing roll once, not on every put */
    /* the next file, made ahead by another thread (rmq_index_make_spare): creating and
     * preallocating a 420 MB file took milliseconds on the owner's thread */
    _Atomic(struct ix_file *) spare;
    _Atomic uint32_t newest_count;   /* newest file's count, for the spare maker */
};

static void file_path(const struct rmq_index *ix, const char *name, const char *suffix,
                      char *out, size_t n)
{
    snprintf(out, n, "%s/%s%s", ix->dir, name, suffix);
}

static void hdr_store(struct ix_file *f)
{
    wr64(f->map + RMQ_INDEX_OFF_BEGIN_TS, (uint64_t)f->begin_ts);
    wr64(f->map + RMQ_INDEX_OFF_END_TS, (uint64_t)f->end_ts);
    wr64(f->map + RMQ_INDEX_OFF_BEGIN_PHYS, (uint64_t)f->begin_phys);
    wr64(f->map + RMQ_INDEX_OFF_END_PHYS, (uint64_t)f->end_phys);
    wr32(f->map + RMQ_INDEX_OFF_SLOT_COUNT, f->slot_count);
    wr32(f->map + RMQ_INDEX_OFF_INDEX_COUNT, f->count);
}

static void hdr_load(struct ix_file *f)
{
    f->begin_ts = (int64_t)rd64(f->map + RMQ_INDEX_OFF_BEGIN_TS);
    f->end_ts = (int64_t)rd64(f->map + RMQ_INDEX_OFF_END_TS);
    f->begin_phys = (int64_t)rd64(f->map + RMQ_INDEX_OFF_BEGIN_PHYS);
    f->end_phys = (int64_t)rd64(f->map + RMQ_INDEX_OFF_END_PHYS);
    f->slot_count = rd32(f->map + RMQ_INDEX_OFF_SLOT_COUNT);
    f->count = rd32(f->map + RMQ_INDEX_OFF_INDEX_COUNT);
}

/* Release-store on every put (not test-and-set): it makes the put's writes to the map
 * happen-before a flush that consumes this flag, so no write can slip between a flush's
 * exchange and its fdatasync unnoticed. */
static void mark_dirty(struct ix_file *f)
{
    atomic_store_explicit(&f->dirty, 1, memory_order_release);
}

static uint8_t *slot_at(const struct rmq_index *ix, const struct ix_file *f, uint32_t s)
{
    return f->map + rmq_index_slot_pos(s);
}

static uint8_t *entry_at(const struct rmq_index *ix, const struct ix_file *f, uint32_t n)
{
    return f->map + rmq_index_entry_pos(ix->slots, n);
}

/* Slots are hit at random and entries are appended: a fault must bring in one page, not
 * a readahead window of large folios (a 2 MiB folio zeroed in one fault stalled the
 * broker's loop thread for up to 20 ms on this kernel; see store/mfile.c). */
static void advise_random(struct ix_file *f)
{
    madvise(f->map, f->len, MADV_RANDOM);
}

static void file_free(struct ix_file *f)
{
    if (f->map)
        munmap(f->map, f->len);
    if (f->fd >= 0)
        close(f->fd);
    free(f);
}

/* Caller holds ix->mu. */
static void file_unref_locked(struct ix_file *f)
{
    if (--f->refs == 0)
        file_free(f);
}

int rmq_index_key_hash(const char *topic, size_t tlen, const char *key, size_t klen,
                       uint32_t *hash)
{
    int32_t h = rmq_java_hash_more(rmq_java_hash_more(rmq_java_hash(topic, tlen), "#", 1), key, klen);
    /* Java: Math.abs(Integer.MIN_VALUE) is still negative, which IndexFile maps to 0 */
    *hash = h == INT32_MIN ? 0 : (uint32_t)(h < 0 ? -h : h);
    return 0;
}

/* ---------------------------------------------------------------- open / load */

static bool name_ok(const char *s)
{
    if (strlen(s) != RMQ_INDEX_NAME_LEN)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *check_header(struct ix_file *f, uint32_t slots, uint32_t max)
{
    /* An all-zero header is a file whose header never reached the disk (Java writes it only
     * on flush): treat it as empty rather than damaged. */
    if (f->count == 0 && f->slot_count == 0)
        f->count = 1;
    if (f->count == 0 || f->count > max)
        return "indexCount out of range";
    if (f->slot_count > slots || f->slot_count > f->count - 1)
        return "hashSlotCount out of range";
    if (f->begin_ts < 0 || f->end_ts < 0)
        return "negative timestamp";
    if (f->begin_phys < 0 || f->end_phys < 0)
        return "negative phyOffset";
    if (f->count > 1 && f->end_phys < f->begin_phys)
        return "endPhyOffset before beginPhyOffset";
    return NULL;
}

/* The newest file takes new entries: slot values it holds that point at or past its count
 * (left by a crash before the header was updated, or by damage) would link new entries into
 * foreign chains, so clear them now, and recount the slots in use. */
static void sanitize_slots(struct rmq_index *ix, struct ix_file *f)
{
    uint32_t used = 0;
    bool changed = false;
    for (uint32_t s = 0; s < ix->slots; s++) {
        uint8_t *p = slot_at(ix, f, s);
        uint32_t v = rd32(p);
        if (v == 0)
            continue;
        if (v >= f->count) {
            wr32(p, 0);
            changed = true;
        } else {
            used++;
        }
    }
    if (used != f->slot_count) {
        f->slot_count = used;
        changed = true;
    }
    if (changed) {
        hdr_store(f);
        mark_dirty(f);
    }
}

/* Maps an existing file. Returns 0, 1 when the file is unusable (why in err; the caller
 * sets it aside), or -errno for an I/O failure (the open fails, nothing is renamed). */
static int load_file(struct rmq_index *ix, const char *name, struct ix_file **out, char *err)
{
    char path[PATH_MAX];
    file_path(ix, name, "", path, sizeof path);
    struct ix_file *f = calloc(1, sizeof *f);
    if (!f)
        return rmq_seterr(err, -ENOMEM, "cannot load index file '%s': out of memory", path);
    snprintf(f->name, sizeof f->name, "%s", name);
    f->refs = 1;
    f->fd = rmq_os_open(path, O_RDWR, 0);
    struct stat st;
    if (f->fd < 0 || fstat(f->fd, &st) < 0) {
        int e = errno;
        file_free(f);
        return rmq_seterr(err, -e, "cannot open index file '%s': %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != ix->file_len) {
        file_free(f);
        return rmq_seterr(err, 1, "index file '%s' has %lld bytes, expected %zu", path,
                          (long long)st.st_size, ix->file_len);
    }
    f->len = ix->file_len;
    f->map = rmq_os_mmap(f->fd, f->len);
    if (!f->map) {
        int e = errno;
        file_free(f);
        return rmq_seterr(err, -e, "cannot map index file '%s': %s", path, strerror(e));
    }
    advise_random(f);
    hdr_load(f);
    const char *why = check_header(f, ix->slots, ix->max);
    if (why) {
        file_free(f);
        return rmq_seterr(err, 1, "index file '%s' has a damaged header: %s", path, why);
    }
    *out = f;
    return 0;
}

static int list_push(struct rmq_index *ix, struct ix_file *f)
{
    pthread_mutex_lock(&ix->mu);
    if (ix->n == ix->cap) {
        size_t cap = ix->cap ? ix->cap * 2 : 8;
        struct ix_file **a = realloc(ix->files, cap * sizeof *a);
        if (!a) {
            pthread_mutex_unlock(&ix->mu);
            return -ENOMEM;
        }
        ix->files = a;
        ix->cap = cap;
    }
    ix->files[ix->n++] = f;
    pthread_mutex_unlock(&ix->mu);
    return 0;
}

static void recompute_end(struct rmq_index *ix)
{
    ix->end_phys = -1;
    for (size_t i = ix->n; i-- > 0;)
        if (ix->files[i]->count > 1) {
            ix->end_phys = ix->files[i]->end_phys;
            return;
        }
}

static int set_aside(struct rmq_index *ix, const char *name, const char *why, int nbad,
                     char *err)
{
    char from[PATH_MAX], to[PATH_MAX];
    file_path(ix, name, "", from, sizeof from);
    file_path(ix, name, ".corrupt", to, sizeof to);
    int renamed = rmq_os_rename(from, to) == 0;
    if (renamed)
        atomic_store(&ix->dir_dirty, 1);
    rmq_warn("index: %s; %s", why, renamed ? "renamed to *.corrupt" : "skipped (rename failed)");
    if (nbad == 0 && err)
        snprintf(err, RMQ_ERRLEN, "%s", why);
    return nbad + 1;
}

int rmq_index_open(struct rmq_index **out, const char *dir, uint32_t slots,
                   uint32_t max_entries, char *err)
{
    *out = NULL;
    uint64_t flen = rmq_index_file_size(slots, max_entries);
    if (slots < 1 || max_entries < 2 || flen > INT32_MAX)
        return rmq_seterr(err, RMQ_EINVAL, "bad index geometry: %u slots, %u entries", slots,
                          max_entries);
    struct rmq_index *ix = calloc(1, sizeof *ix);
    if (!ix)
        return rmq_seterr(err, -ENOMEM, "cannot open index '%s': out of memory", dir);
    if (snprintf(ix->dir, sizeof ix->dir, "%s", dir) >= (int)sizeof ix->dir) {
        free(ix);
        return rmq_seterr(err, -ENAMETOOLONG, "index directory name too long '%s'", dir);
    }
    ix->slots = slots;
    ix->max = max_entries;
    ix->file_len = (size_t)flen;
    ix->end_phys = -1;
    pthread_mutex_init(&ix->mu, NULL);
    int rc = rmq_mkdir_p(dir, 0755);
    if (rc) {
        rmq_index_close(ix);
        return rmq_seterr(err, rc, "cannot create index directory '%s': %s", dir,
                          strerror(-rc));
    }
    DIR *d = opendir(dir);
    if (!d) {
        rc = -errno;
        rmq_index_close(ix);
        return rmq_seterr(err, rc, "cannot read index directory '%s': %s", dir,
                          strerror(-rc));
    }
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *de;
    rc = 0;
    while ((de = readdir(d))) {
        if (!name_ok(de->d_name))
            continue;
        if (nn == cap) {
            cap = cap ? cap * 2 : 16;
            char **a = realloc(names, cap * sizeof *a);
            if (!a) {
                rc = -ENOMEM;
                break;
            }
            names = a;
        }
        if (!(names[nn] = strdup(de->d_name))) {
            rc = -ENOMEM;
            break;
        }
        nn++;
    }
    closedir(d);
    if (rc)
        rmq_seterr(err, rc, "cannot read index directory '%s': out of memory", dir);
    else if (nn)
        qsort(names, nn, sizeof *names, cmp_name);
    int nbad = 0;
    for (size_t i = 0; i < nn && !rc; i++) {
        struct ix_file *f = NULL;
        char why[RMQ_ERRLEN];
        int r = load_file(ix, names[i], &f, why);
        if (r == 1)
            nbad = set_aside(ix, names[i], why, nbad, err);
        else if (r < 0)
            rc = rmq_seterr(err, r, "%s", why);
        else if ((r = list_push(ix, f)) < 0) {
            file_free(f);
            rc = rmq_seterr(err, r, "cannot open index '%s': out of memory", dir);
        }
    }
    for (size_t i = 0; i < nn; i++)
        free(names[i]);
    free(names);
    if (rc) {
        rmq_index_close(ix);
        return rc;
    }
    if (ix->n) {
        sanitize_slots(ix, ix->files[ix->n - 1]);
        atomic_store(&ix->newest_count, ix->files[ix->n - 1]->count);
    }
    if (nbad > 1 && err) {
        size_t l = strlen(err);
        snprintf(err + l, RMQ_ERRLEN - l, " (%d files set aside)", nbad);
    }
    recompute_end(ix);
    *out = ix;
    return nbad;
}

/* ---------------------------------------------------------------- writing */

/* Adds one to a 17-digit decimal name. */
static void name_inc(char *name)
{
    for (int i = RMQ_INDEX_NAME_LEN - 1; i >= 0; i--) {
        if (name[i] != '9') {
            name[i]++;
            return;
        }
        name[i] = '0';
    }
}

/* Next file name: local time now, or — when that does not sort after the newest file (two
 * rolls in one millisecond, a clock stepped back) — the newest name plus one as a 17-digit
 * decimal, which keeps name order equal to creation order (RocketMQ sorts by name). */
static void next_name(const struct rmq_index *ix, char *name, size_t n)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    char buf[64];
    snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d%03ld", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (long)(ts.tv_nsec / 1000000));
    const char *last = ix->n ? ix->files[ix->n - 1]->name : NULL;
    if (strlen(buf) != RMQ_INDEX_NAME_LEN || (last && strcmp(buf, last) <= 0)) {
        snprintf(buf, sizeof buf, "%s", last ? last : "00000000000000000");
        name_inc(buf);
    }
    snprintf(name, n, "%s", buf);
}

/* Creates, preallocates and maps a new file named after the newest one (see next_name).
 * Any thread: reads the file list under mu. Returns 0 or -errno (path says which). */
static int make_file(struct rmq_index *ix, struct ix_file **out, char *path, size_t plen)
{
    struct ix_file *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->refs = 1;
    f->fd = -1;
    int rc = 0;
    pthread_mutex_lock(&ix->mu);
    next_name(ix, f->name, sizeof f->name);
    pthread_mutex_unlock(&ix->mu);
    /* O_EXCL: never adopt a stray file of the same name; bump the name and retry */
    for (int tries = 0; tries < 8 && f->fd < 0; tries++) {
        if (tries > 0)
            name_inc(f->name);
        file_path(ix, f->name, "", path, plen);
        f->fd = rmq_os_open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
        if (f->fd < 0 && errno != EEXIST)
            break;
    }
    if (f->fd < 0) {
        rc = -errno;
        file_free(f);
        return rc;
    }
    f->len = ix->file_len;
    if (rmq_os_fallocate(f->fd, 0, (off_t)f->len) < 0 || !(f->map = rmq_os_mmap(f->fd, f->len))) {
        rc = -errno;
        unlink(path);
        file_free(f);
        return rc;
    }
    advise_random(f);
    *out = f;
    return 0;
}

/* The spare if it still sorts after the newest file (a roll without it may have made a
 * later one meanwhile), else NULL (an unusable spare is deleted). */
static struct ix_file *take_spare(struct rmq_index *ix)
{
    struct ix_file *f = atomic_exchange(&ix->spare, NULL);
    if (f && ix->n && strcmp(f->name, ix->files[ix->n - 1]->name) <= 0) {
        char path[PATH_MAX];
        file_path(ix, f->name, "", path, sizeof path);
        unlink(path);
        file_free(f);
        f = NULL;
    }
    return f;
}

static int roll(struct rmq_index *ix, struct ix_file **out)
{
    struct ix_file *prev = ix->n ? ix->files[ix->n - 1] : NULL;
    char path[PATH_MAX] = "";
    int rc = 0;
    struct ix_file *f = take_spare(ix);
    if (f)
        file_path(ix, f->name, "", path, sizeof path);
    else if ((rc = make_file(ix, &f, path, sizeof path)) < 0)
        goto fail;
    /* As RocketMQ: a new file starts where the previous one ended, until its first entry. */
    if (prev) {
        f->begin_ts = f->end_ts = prev->end_ts;
        f->begin_phys = f->end_phys = prev->end_phys;
    }
    f->count = 1;
    hdr_store(f);
    if ((rc = list_push(ix, f)) < 0) {
        unlink(path);
        file_free(f);
        goto fail;
    }
    mark_dirty(f);
    atomic_store(&ix->dir_dirty, 1);
    atomic_store_explicit(&ix->newest_count, 1, memory_order_relaxed);
    ix->last_roll_err = 0;
    *out = f;
    return 0;
fail:
    if (rc != ix->last_roll_err)
        rmq_warn("index: cannot create index file '%s': %s", path, rmq_strerror(rc));
    ix->last_roll_err = rc;
    return rc;
}

int rmq_index_make_spare(struct rmq_index *ix)
{
    if (atomic_load(&ix->spare))
        return 0;
    /* when there is no file yet, or the newest is three quarters full */
    uint32_t count = atomic_load_explicit(&ix->newest_count, memory_order_relaxed);
    pthread_mutex_lock(&ix->mu);
    bool first = ix->n == 0, want = first || count >= ix->max / 4 * 3;
    pthread_mutex_unlock(&ix->mu);
    if (!want)
        return 0;
    struct ix_file *f;
    char path[PATH_MAX];
    int rc = make_file(ix, &f, path, sizeof path);
    if (rc < 0)
        return rc;
    /* the slot table and the first entries: page cache pages now, so that the owner's
     * first writes only mark them dirty (MADV_POPULATE_READ: they stay clean until then).
     * Not for a store's first file, made at open: an idle broker need not hold 20 MiB of
     * slots; its first writes fault single pages (MADV_RANDOM) */
    size_t head = rmq_index_entry_pos(ix->slots, 0) + (1 << 20);
    if (!first)
        madvise(f->map, head < f->len ? head : f->len, MADV_POPULATE_READ);
    atomic_store(&ix->spare, f);
    return 1;
}

bool rmq_index_needs_spare(const struct rmq_index *ix)
{
    return !atomic_load_explicit(&ix->spare, memory_order_relaxed) &&
           (ix->n == 0 || ix->files[ix->n - 1]->count >= ix->max / 4 * 3);
}

void rmq_index_drop_spare(struct rmq_index *ix)
{
    struct ix_file *f = atomic_exchange(&ix->spare, NULL);
    if (!f)
        return;
    char path[PATH_MAX];
    file_path(ix, f->name, "", path, sizeof path);
    unlink(path);
    file_free(f);
}

int rmq_index_put(struct rmq_index *ix, const char *topic, size_t tlen, const char *key,
                  size_t klen, int64_t phys_offset, int64_t store_ts_ms)
{
    uint32_t h;
    int rc = rmq_index_key_hash(topic, tlen, key, klen, &h);
    if (rc)
        return rc;
    if (phys_offset < 0)
        return RMQ_EINVAL;
    struct ix_file *f = ix->n ? ix->files[ix->n - 1] : NULL;
    if (!f || f->count >= ix->max)
        if ((rc = roll(ix, &f)) < 0)
            return rc;
    uint8_t *sp = slot_at(ix, f, h % ix->slots);
    uint32_t prev = rd32(sp);
    if (prev >= f->count)   /* also catches negative ints read as uint32 */
        prev = 0;
    if (f->count <= 1) {
        f->begin_phys = phys_offset;
        f->begin_ts = store_ts_ms;
    }
    int64_t diff = f->begin_ts <= 0 ? 0 : (store_ts_ms - f->begin_ts) / 1000;
    if (diff < 0)
        diff = 0;
    else if (diff > INT32_MAX)
        diff = INT32_MAX;
    uint8_t *e = entry_at(ix, f, f->count);
    wr32(e + RMQ_INDEX_ENT_HASH, h);
    wr64(e + RMQ_INDEX_ENT_PHYS, (uint64_t)phys_offset);
    wr32(e + RMQ_INDEX_ENT_TIMEDIFF, (uint32_t)diff);
    wr32(e + RMQ_INDEX_ENT_PREV, prev);
    wr32(sp, f->count);
    if (prev == 0)
        f->slot_count++;
    f->count++;
    f->end_phys = phys_offset;
    f->end_ts = store_ts_ms;
    hdr_store(f);
    mark_dirty(f);
    ix->end_phys = phys_offset;
    atomic_store_explicit(&ix->newest_count, f->count, memory_order_relaxed);
    return 0;
}

int64_t rmq_index_end_phys(const struct rmq_index *ix)
{
    return ix->end_phys;
}

size_t rmq_index_file_count(const struct rmq_index *ix)
{
    return ix->n;
}

/* ---------------------------------------------------------------- reading */

static bool time_matched(const struct ix_file *f, int64_t begin, int64_t end)
{
    return (begin < f->begin_ts && end > f->end_ts) ||
           (begin >= f->begin_ts && begin <= f->end_ts) ||
           (end >= f->begin_ts && end <= f->end_ts);
}

static int select_file(struct rmq_index *ix, struct ix_file *f, uint32_t h, int64_t begin,
                       int64_t end, int max, int64_t *out, int got)
{
    uint32_t cur = rd32(slot_at(ix, f, h % ix->slots));
    if (cur == 0 || cur >= f->count)
        return got;
    /* cur strictly decreases along the walk, so at most count steps: cycles cannot loop */
    while (got < max) {
        const uint8_t *e = entry_at(ix, f, cur);
        uint32_t kh = rd32(e + RMQ_INDEX_ENT_HASH);
        int64_t phys = (int64_t)rd64(e + RMQ_INDEX_ENT_PHYS);
        int32_t diff = (int32_t)rd32(e + RMQ_INDEX_ENT_TIMEDIFF);
        uint32_t prev = rd32(e + RMQ_INDEX_ENT_PREV);
        if (diff < 0)
            break;
        int64_t t = f->begin_ts + (int64_t)diff * 1000;
        if (kh == h && t >= begin && t <= end && phys >= 0) {
            int dup = 0;
            for (int i = 0; i < got && !dup; i++)
                dup = out[i] == phys;
            if (!dup)
                out[got++] = phys;
        }
        if (prev == 0 || prev >= cur || t < begin)
            break;
        cur = prev;
    }
    return got;
}

int rmq_index_query(struct rmq_index *ix, const char *topic, size_t tlen, const char *key,
                    size_t klen, int64_t begin_ms, int64_t end_ms, int max, int64_t *phys_out)
{
    uint32_t h;
    int rc = rmq_index_key_hash(topic, tlen, key, klen, &h);
    if (rc)
        return rc;
    int got = 0;
    for (size_t i = ix->n; i-- > 0 && got < max;) {
        struct ix_file *f = ix->files[i];
        if (f->count <= 1)
            continue;   /* an empty newest file (made ahead, or all zeros after a crash)
                         * says nothing about the time range of the ones before it */
        if (time_matched(f, begin_ms, end_ms))
            got = select_file(ix, f, h, begin_ms, end_ms, max, phys_out, got);
        if (f->begin_ts < begin_ms)
            break;
    }
    return got;
}

int rmq_index_foreach(struct rmq_index *ix,
                      int (*cb)(void *arg, const char *file, uint32_t entry_no,
                                uint32_t key_hash, int64_t phys, int64_t store_ts_approx),
                      void *arg)
{
    for (size_t i = 0; i < ix->n; i++) {
        struct ix_file *f = ix->files[i];
        for (uint32_t n = 1; n < f->count; n++) {
            const uint8_t *e = entry_at(ix, f, n);
            int64_t ts = f->begin_ts + (int64_t)(int32_t)rd32(e + RMQ_INDEX_ENT_TIMEDIFF) * 1000;
            int r = cb(arg, f->name, n, rd32(e + RMQ_INDEX_ENT_HASH),
                       (int64_t)rd64(e + RMQ_INDEX_ENT_PHYS), ts);
            if (r)
                return r;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- flush */

int rmq_index_flush(struct rmq_index *ix)
{
    pthread_mutex_lock(&ix->mu);
    struct ix_file **todo = ix->n ? malloc(ix->n * sizeof *todo) : NULL;
    if (ix->n && !todo) {
        pthread_mutex_unlock(&ix->mu);
        return -ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < ix->n; i++) {
        struct ix_file *f = ix->files[i];
        if (atomic_exchange_explicit(&f->dirty, 0, memory_order_acquire)) {
            f->refs++;
            todo[k++] = f;
        }
    }
    int dir = atomic_exchange(&ix->dir_dirty, 0);
    pthread_mutex_unlock(&ix->mu);

    /* No lock from here: the references keep fds and maps alive even if the owner deletes
     * the files meanwhile. */
    int rc = 0;
    for (size_t i = 0; i < k; i++)   /* all at once, as rmq_dirty_sync does */
        rmq_os_start_writeback(todo[i]->fd, 0, 0);
    for (size_t i = 0; i < k; i++)
        if (rmq_os_fdatasync(todo[i]->fd) < 0) {
            if (!rc)
                rc = -errno;
            atomic_store(&todo[i]->dirty, 1);
        }
    if (dir) {
        int dfd = rmq_os_open(ix->dir, O_RDONLY | O_DIRECTORY, 0);
        if (dfd < 0 || rmq_os_fsync(dfd) < 0) {
            if (!rc)
                rc = -errno;
            atomic_store(&ix->dir_dirty, 1);
        }
        if (dfd >= 0)
            close(dfd);
    }

    pthread_mutex_lock(&ix->mu);
    for (size_t i = 0; i < k; i++)
        file_unref_locked(todo[i]);
    pthread_mutex_unlock(&ix->mu);
    free(todo);
    return rc;
}

/* ---------------------------------------------------------------- deleting */

/* Drops files[i] from the set and unlinks it; the mapping goes with the last reference. */
static int delete_at(struct rmq_index *ix, size_t i)
{
    struct ix_file *f = ix->files[i];
    char path[PATH_MAX];
    file_path(ix, f->name, "", path, sizeof path);
    int rc = unlink(path) < 0 && errno != ENOENT ? -errno : 0;
    if (rc)
        rmq_warn("index: cannot delete '%s': %s", path, strerror(-rc));
    pthread_mutex_lock(&ix->mu);
    memmove(ix->files + i, ix->files + i + 1, (ix->n - i - 1) * sizeof *ix->files);
    ix->n--;
    file_unref_locked(f);
    pthread_mutex_unlock(&ix->mu);
    atomic_store(&ix->dir_dirty, 1);
    return rc;
}

/* Undoes the newest entry of f (count > 1), restoring its slot head from prevIndex. */
static void undo_last(struct rmq_index *ix, struct ix_file *f)
{
    uint32_t n = f->count - 1;
    uint8_t *e = entry_at(ix, f, n);
    uint8_t *sp = slot_at(ix, f, rd32(e + RMQ_INDEX_ENT_HASH) % ix->slots);
    if (rd32(sp) == n) {
        uint32_t prev = rd32(e + RMQ_INDEX_ENT_PREV);
        if (prev >= n)
            prev = 0;
        wr32(sp, prev);
        if (prev == 0 && f->slot_count > 0)
            f->slot_count--;
    }
    memset(e, 0, RMQ_INDEX_ENTRY_SIZE);
    f->count = n;
}

int rmq_index_truncate(struct rmq_index *ix, int64_t phys_end)
{
    int rc = 0, r;
    for (size_t i = ix->n; i-- > 0;) {
        struct ix_file *f = ix->files[i];
        if (f->begin_phys >= phys_end) {
            if ((r = delete_at(ix, i)) && !rc)
                rc = r;
            continue;
        }
        bool cut = false;
        while (f->count > 1 &&
               (int64_t)rd64(entry_at(ix, f, f->count - 1) + RMQ_INDEX_ENT_PHYS) >= phys_end) {
            undo_last(ix, f);
            cut = true;
        }
        if (!cut)
            continue;
        if (f->count <= 1) {   /* every entry was past the cut */
            if ((r = delete_at(ix, i)) && !rc)
                rc = r;
            continue;
        }
        const uint8_t *e = entry_at(ix, f, f->count - 1);
        int32_t diff = (int32_t)rd32(e + RMQ_INDEX_ENT_TIMEDIFF);
        f->end_phys = (int64_t)rd64(e + RMQ_INDEX_ENT_PHYS);
        f->end_ts = f->begin_ts + (diff > 0 ? (int64_t)diff * 1000 : 0);
        hdr_store(f);
        mark_dirty(f);
    }
    recompute_end(ix);
    return rc;
}

int rmq_index_delete_before(struct rmq_index *ix, int64_t min_phys)
{
    int deleted = 0, rc = 0;
    while (ix->n > 1 && ix->files[0]->end_phys < min_phys) {
        int r = delete_at(ix, 0);
        if (r && !rc)
            rc = r;
        deleted++;
    }
    recompute_end(ix);
    return rc ? rc : deleted;
}

void rmq_index_close(struct rmq_index *ix)
{
    if (!ix)
        return;
    struct ix_file *spare = atomic_exchange(&ix->spare, NULL);
    if (spare)
        file_free(spare);   /* left on disk, all zeros: loaded as an empty file next time */
    for (size_t i = 0; i < ix->n; i++) {
        struct ix_file *f = ix->files[i];
        hdr_store(f);
        if (atomic_load(&f->dirty) && rmq_os_fdatasync(f->fd) < 0)
            rmq_warn("index: cannot flush '%s/%s': %s", ix->dir, f->name, strerror(errno));
        file_free(f);
    }
    if (atomic_load(&ix->dir_dirty)) {
        int dfd = rmq_os_open(ix->dir, O_RDONLY | O_DIRECTORY, 0);
        if (dfd >= 0) {
            rmq_os_fsync(dfd);
            close(dfd);
        }
    }
    free(ix->files);
    pthread_mutex_destroy(&ix->mu);
    free(ix);
}
