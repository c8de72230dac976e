#include "store/mfile.h"

#include "util/err.h"
#include "util/log.h"
#include "util/os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void rmq_offset_name(char *out, int64_t off) { snprintf(out, 21, "%020lld", (long long)off); }

static struct rmq_mfile *mfile_open(const char *path, int64_t start, size_t size, bool create,
                                    bool dir_later, bool *was_short, int *rc, char *err)
{
    int dummy;
    if (!rc)
        rc = &dummy;
    int fd = rmq_os_open(path, O_RDWR | (create ? O_CREAT | O_EXCL : 0), 0644);
    if (fd < 0) {
        *rc = rmq_seterr(err, -errno, "cannot open segment '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        goto fail_errno;
    if ((size_t)st.st_size > size) {
        *rc = rmq_seterr(err, RMQ_ECORRUPT, "segment '%s' is %lld bytes, larger than the configured %zu",
                   path, (long long)st.st_size, size);
        goto fail;
    }
    if (was_short)
        *was_short = !create && (size_t)st.st_size < size;
    /* preallocate: page faults on the mapping can then never need new blocks */
    if ((size_t)st.st_size < size || create)
        if (rmq_os_fallocate(fd, 0, (off_t)size) < 0)
            goto fail_errno;
    uint8_t *base = rmq_os_mmap(fd, size);
    if (!base)
        goto fail_errno;
    struct rmq_mfile *f = calloc(1, sizeof *f);
    if (!f) {
        munmap(base, size);
        errno = ENOMEM;
        goto fail_errno;
    }
    f->start = start;
    f->size = size;
    f->fd = fd;
    f->base = base;
    atomic_init(&f->refs, 1);
    snprintf(f->path, sizeof f->path, "%s", path);
    if (create && dir_later)
        atomic_store(&f->dir_pending, true);
    else if (create)
        rmq_os_fsync_dir(path);
    return f;

fail_errno:
    *rc = rmq_seterr(err, -errno, "cannot prepare segment '%s' (%zu bytes): %s", path, size,
               strerror(errno));
fail:
    close(fd);
    if (create)
        unlink(path);   /* a half-made segment must not be loaded as data next time */
    return NULL;
}

struct rmq_mfile *rmq_mfile_open(const char *path, int64_t start, size_t size, bool create,
                                 bool *was_short, int *rc, char *err)
{
    return mfile_open(path, start, size, create, false, was_short, rc, err);
}

struct rmq_mfile *rmq_mfile_create(const char *path, int64_t start, size_t size,
                                   bool create_dir_later, int *rc, char *err)
{
    return mfile_open(path, start, size, true, create_dir_later, NULL, rc, err);
}

void rmq_mfile_advise_small_faults(struct rmq_mfile *f) { madvise(f->base, f->size, MADV_RANDOM); }

void rmq_mfile_ref(struct rmq_mfile *f) { atomic_fetch_add(&f->refs, 1); }

void rmq_mfile_unref(struct rmq_mfile *f)
{
    if (!f || atomic_fetch_sub(&f->refs, 1) != 1)
        return;
    munmap(f->base, f->size);
    close(f->fd);
    if (f->unlink_on_close && unlink(f->path) < 0 && errno != ENOENT)
        rmq_warn("store: cannot delete '%s': %s", f->path, strerror(errno));
    free(f);
}

int rmq_mfile_sync(struct rmq_mfile *f) { return rmq_os_fdatasync(f->fd) < 0 ? -errno : 0; }

/* Writeback of a large range is started in pieces before the fdatasync that waits for it:
 * each piece is one system call, and its return a point where a woken thread gets the CPU
 * back. On PREEMPT_NONE kernels one fdatasync of ASYNC_FLUSH's 500 ms backlog held a core
 * in the kernel for 1-2 ms, and a consumer woken there waited that long (e2e p999). */
#define WRITEBACK_STEP (256 << 10)

static int sync_part(struct rmq_mfile *f, int64_t from, int64_t to)
{
    int64_t lo = from > f->start ? from - f->start : 0;
    int64_t hi = to - f->start < (int64_t)f->size ? to - f->start : (int64_t)f->size;
    for (int64_t at = lo; hi - lo > WRITEBACK_STEP && at < hi; at += WRITEBACK_STEP)
        rmq_os_start_writeback(f->fd, at, hi - at < WRITEBACK_STEP ? hi - at : WRITEBACK_STEP);
    return rmq_mfile_sync(f);
}

static int parse_name(const char *name, int64_t *off)
{
    if (strlen(name) != 20)
        return -1;
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        v = v * 10 + (name[i] - '0');
    }
    *off = v;
    return 0;
}

static int push(struct rmq_mqueue *mq, struct rmq_mfile *f)
{
    int rc = 0;
    /* realloc under the lock: the flush thread may be walking the old array */
    pthread_mutex_lock(&mq->lock);
    if (mq->nfiles == mq->cap) {
        int cap = mq->cap ? mq->cap * 2 : 8;
        struct rmq_mfile **n = realloc(mq->files, (size_t)cap * sizeof *n);
        if (n) {
            mq->files = n;
            mq->cap = cap;
        } else {
            rc = -ENOMEM;
        }
    }
    if (!rc)
        mq->files[mq->nfiles++] = f;
    pthread_mutex_unlock(&mq->lock);
    return rc;
}

/* Lists the segment names in dir in ascending order (20-digit names sort numerically).
 * Other names are counted in *ignored. Returns the count, or -errno. */
static int list_segments(const char *dir, int64_t **starts, int *ignored)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort), k = 0;
    if (n < 0)
        return -errno;
    *starts = malloc(sizeof **starts * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        int64_t start;
        if (names[i]->d_name[0] != '.') {
            if (parse_name(names[i]->d_name, &start) == 0 && *starts)
                (*starts)[k++] = start;
            else if (!strstr(names[i]->d_name, ".corrupt"))
                (*ignored)++;
        }
        free(names[i]);
    }
    free(names);
    return *starts ? k : -ENOMEM;
}

/* Whether segments from..n-1 hold nothing: empty files, or files starting with zeros. */
static bool empty_after(const char *dir, const int64_t *starts, int from, int n)
{
    for (int i = from; i < n; i++) {
        char path[PATH_MAX + 32];
        uint8_t head[8] = {0};
        snprintf(path, sizeof path, "%s/%020lld", dir, (long long)starts[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return false;
        ssize_t r = pread(fd, head, sizeof head, 0);
        close(fd);
        static const uint8_t zero[8];
        if (r < 0 || memcmp(head, zero, sizeof head) != 0)
            return false;
    }
    return true;
}

int rmq_mq_open(struct rmq_mqueue *mq, const char *dir, size_t file_size, bool rebuildable,
                struct rmq_mq_damage *dmg, char *err)
{
    struct rmq_mq_damage local;
    if (!dmg)
        dmg = &local;
    dmg->short_start = dmg->gap_start = -1;
    dmg->nignored = 0;
    memset(mq, 0, sizeof *mq);
    snprintf(mq->dir, sizeof mq->dir, "%s", dir);
    mq->file_size = file_size;
    mq->durable_create = !rebuildable;
    pthread_mutex_init(&mq->lock, NULL);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return rmq_seterr(err, -errno, "cannot create directory '%s': %s", dir, strerror(errno));
    int64_t *starts = NULL;
    int n = list_segments(dir, &starts, &dmg->nignored);
    if (n < 0)
        return rmq_seterr(err, n, "cannot list '%s': %s", dir, strerror(-n));

    /* Check every name and size before touching anything: a store written with another
     * segment size must be refused, not "repaired" into the new size. */
    int rc = 0;
    char path[PATH_MAX + 32];
    for (int i = 0; i < n && rc == 0; i++) {
        snprintf(path, sizeof path, "%s/%020lld", dir, (long long)starts[i]);
        if (starts[i] % (int64_t)file_size != 0)
            rc = rmq_seterr(err, RMQ_ECONFIG, "segment '%s' does not start at a multiple of the "
                            "configured segment size %zu: was the store written with another size?",
                            path, file_size);
    }
    for (int i = 0; i < n && rc == 0; i++) {
        struct stat st;
        snprintf(path, sizeof path, "%s/%020lld", dir, (long long)starts[i]);
        if (stat(path, &st) < 0)
            rc = rmq_seterr(err, -errno, "cannot stat '%s': %s", path, strerror(errno));
        else if ((size_t)st.st_size > file_size ||
                 ((size_t)st.st_size < file_size && !rebuildable && !empty_after(dir, starts, i + 1, n)))
            rc = rmq_seterr(err, RMQ_ECORRUPT, "segment '%s' is %lld bytes, not the configured %zu: "
                            "another segment size, or a damaged segment (see rmq store verify)",
                            path, (long long)st.st_size, file_size);
    }
    /* a short segment with nothing after it is what a power cut can leave of the end of
     * the log: it is extended back, and recovery checks what it holds */
    for (int i = 0; i < n && rc == 0; i++) {
        bool was_short = false;
        snprintf(path, sizeof path, "%s/%020lld", dir, (long long)starts[i]);
        struct rmq_mfile *f = rmq_mfile_open(path, starts[i], file_size, false, &was_short, &rc, err);
        if (f && push(mq, f) < 0) {
            rc = rmq_seterr(err, -ENOMEM, "out of memory");
            rmq_mfile_unref(f);
        }
        if (was_short && dmg->short_start < 0)
            dmg->short_start = starts[i];
    }
    free(starts);
    if (rc) {
        rmq_mq_close(mq);
        return rc;
    }
    for (int i = 1; i < mq->nfiles; i++) {
        if (mq->files[i]->start == mq->files[i - 1]->start + (int64_t)file_size)
            continue;
        dmg->gap_start = mq->files[i - 1]->start + (int64_t)file_size;
        if (!rebuildable) {
            rmq_seterr(err, RMQ_ECORRUPT, "segment %020lld is missing in '%s' (segments after it exist)",
                       (long long)dmg->gap_start, dir);
            rmq_mq_close(mq);
            return RMQ_ECORRUPT;
        }
        /* the caller rebuilds what these held; set them aside rather than delete them */
        for (int j = i; j < mq->nfiles; j++) {
            char aside[PATH_MAX + 16];
            snprintf(aside, sizeof aside, "%s.corrupt", mq->files[j]->path);
            rename(mq->files[j]->path, aside);
            rmq_mfile_unref(mq->files[j]);
        }
        mq->nfiles = i;
        break;
    }
    return 0;
}

void rmq_mq_close(struct rmq_mqueue *mq)
{
    for (int i = 0; i < mq->nfiles; i++)
        rmq_mfile_unref(mq->files[i]);
    free(mq->files);
    mq->files = NULL;
    mq->nfiles = mq->cap = 0;
    pthread_mutex_destroy(&mq->lock);
}

struct rmq_mfile *rmq_mq_find(const struct rmq_mqueue *mq, int64_t off)
{
    if (mq->nfiles == 0 || off < mq->files[0]->start)
        return NULL;
    /* contiguous run: the index is arithmetic */
    int64_t i = (off - mq->files[0]->start) / (int64_t)mq->file_size;
    return i < mq->nfiles ? mq->files[i] : NULL;
}

struct rmq_mfile *rmq_mq_make(const struct rmq_mqueue *mq, int64_t start, int *rc, char *err)
{
    char path[PATH_MAX + 32], name[21];
    rmq_offset_name(name, start);
    snprintf(path, sizeof path, "%s/%s", mq->dir, name);
    /* rebuildable runs (queues) leave the directory sync to the flusher: a lost entry is
     * rebuilt from the log, and the loop thread does not wait for the disk */
    struct rmq_mfile *f = rmq_mfile_create(path, start, mq->file_size, !mq->durable_create, rc, err);
    if (!f)
        return NULL;
    if (mq->small_faults)
        rmq_mfile_advise_small_faults(f);
    /* make the preallocated size durable now, so a power cut cannot leave a short segment
     * in the middle of the log (only rebuildable runs skip this) */
    if (mq->durable_create && (*rc = rmq_mfile_sync(f)) < 0) {
        rmq_seterr(err, *rc, "cannot sync new segment '%s': %s", path, strerror(-*rc));
        f->unlink_on_close = true;
        rmq_mfile_unref(f);
        return NULL;
    }
    return f;
}

int rmq_mq_adopt(struct rmq_mqueue *mq, struct rmq_mfile *f)
{
    return push(mq, f);
}

struct rmq_mfile *rmq_mq_add(struct rmq_mqueue *mq, int64_t start, int *rc, char *err)
{
    struct rmq_mfile *f = rmq_mq_make(mq, start, rc, err);
    if (!f)
        return NULL;
    if ((*rc = push(mq, f)) < 0) {
        rmq_seterr(err, *rc, "out of memory adding segment '%s'", f->path);
        f->unlink_on_close = true;
        rmq_mfile_unref(f);
        return NULL;
    }
    return f;
}

int rmq_mq_truncate(struct rmq_mqueue *mq, int64_t off, char *err)
{
    while (mq->nfiles > 0 && mq->files[mq->nfiles - 1]->start > off) {
        pthread_mutex_lock(&mq->lock);
        struct rmq_mfile *f = mq->files[--mq->nfiles];
        pthread_mutex_unlock(&mq->lock);
        f->unlink_on_close = true;
        rmq_mfile_unref(f);
    }
    struct rmq_mfile *f = rmq_mq_find(mq, off);
    if (!f)
        return 0;
    off_t pos = (off_t)(off - f->start);
    if (pos < (off_t)f->size && rmq_os_zero_range(f->fd, pos, (off_t)f->size - pos) < 0)
        return rmq_seterr(err, -errno, "cannot zero '%s' from %lld: %s", f->path,
                          (long long)pos, strerror(errno));
    return 0;
}

void rmq_mq_delete_first(struct rmq_mqueue *mq)
{
    if (mq->nfiles == 0)
        return;
    pthread_mutex_lock(&mq->lock);
    struct rmq_mfile *f = mq->files[0];
    memmove(mq->files, mq->files + 1, (size_t)(mq->nfiles - 1) * sizeof *mq->files);
    mq->nfiles--;
    pthread_mutex_unlock(&mq->lock);
    f->unlink_on_close = true;
    rmq_mfile_unref(f);
}

int rmq_mq_sync_range(struct rmq_mqueue *mq, int64_t from, int64_t to)
{
    int rc = 0;
    while (from < to) {
        struct rmq_mfile *pick[16];
        int n = 0;
        pthread_mutex_lock(&mq->lock);
        for (int i = 0; i < mq->nfiles && n < 16; i++) {
            struct rmq_mfile *f = mq->files[i];
            if (f->start + (int64_t)f->size > from && f->start < to) {
                rmq_mfile_ref(f);
                pick[n++] = f;
            }
        }
        pthread_mutex_unlock(&mq->lock);
        if (n == 0)
            break;
        /* sync outside the lock: the loop thread may roll to a new segment meanwhile */
        for (int i = 0; i < n; i++) {
            int r = sync_part(pick[i], from, to);
            if (r && !rc)
                rc = r;
            from = pick[i]->start + (int64_t)pick[i]->size;
            rmq_mfile_unref(pick[i]);
        }
    }
    return rc;
}

void rmq_dirty_init(struct rmq_dirty *d)
{
    memset(d, 0, sizeof *d);
    pthread_mutex_init(&d->lock, NULL);
}

void rmq_dirty_note(struct rmq_dirty *d, struct rmq_mfile *f)
{
    if (!rmq_mfile_mark_dirty(f))
        return;
    rmq_mfile_ref(f);
    pthread_mutex_lock(&d->lock);
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 64;
        struct rmq_mfile **v = realloc(d->v, (size_t)cap * sizeof *v);
        if (!v)
            rmq_panic("out of memory queueing a segment for sync");
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = f;
    pthread_mutex_unlock(&d->lock);
}

int rmq_dirty_sync(struct rmq_dirty *d)
{
    pthread_mutex_lock(&d->lock);
    struct rmq_mfile **v = d->v;
    int n = d->n;
    d->v = NULL;
    d->n = d->cap = 0;
    pthread_mutex_unlock(&d->lock);
    int rc = 0;
    /* All files' writeback first, then the fdatasyncs: the first one commits the journal for
     * every file whose writes have completed by then (new queue pages are unwritten extents),
     * and the others only wait for theirs. One sync after another took ~0.7 ms per queue
     * file (eight per second under the bench), now ~0.1 ms after the first; the flusher
     * does this once a second and SYNC_FLUSH senders wait meanwhile. */
    for (int i = 0; i < n; i++)
        rmq_os_start_writeback(v[i]->fd, 0, 0);
    for (int i = 0; i < n; i++) {
        atomic_store(&v[i]->dirty, 0);
        int r = rmq_mfile_sync(v[i]);
        if (r == 0 && atomic_exchange(&v[i]->dir_pending, false) && rmq_os_fsync_dir(v[i]->path) < 0) {
            r = -errno;
            atomic_store(&v[i]->dir_pending, true);
        }
        if (r) {
            rc = rc ? rc : r;
            rmq_dirty_note(d, v[i]);   /* try again next time */
        }
        rmq_mfile_unref(v[i]);
    }
    free(v);
    return rc;
}

void rmq_dirty_destroy(struct rmq_dirty *d)
{
    for (int i = 0; i < d->n; i++)
        rmq_mfile_unref(d->v[i]);
    free(d->v);
    pthread_mutex_destroy(&d->lock);
}
