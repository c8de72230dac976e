#include "store/commitlog.h"

#include "util/bytes.h"
#include "util/err.h"
#include "util/log.h"
#include "util/os.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rmq_cl_open(struct rmq_commitlog *cl, const char *dir, size_t file_size,
                struct rmq_mq_damage *dmg, char *err)
{
    memset(cl, 0, sizeof *cl);
    return rmq_mq_open(&cl->mq, dir, file_size, false, dmg, err);
}

void rmq_cl_close(struct rmq_commitlog *cl)
{
    free(cl->stage);   /* staged bytes are dropped, as by a crash: closing commits first */
    rmq_mfile_unref(atomic_exchange(&cl->spare, NULL));
    rmq_mq_close(&cl->mq);
}

void rmq_cl_drop_spare(struct rmq_commitlog *cl)
{
    struct rmq_mfile *f = atomic_exchange(&cl->spare, NULL);
    if (f) {
        f->unlink_on_close = true;
        rmq_mfile_unref(f);
    }
}

struct rmq_mfile *rmq_cl_make_spare(struct rmq_commitlog *cl, char *err)
{
    /* busy before anything else (seq_cst, against the roll's rolling-then-busy): a roll
     * can neither take the spare between our load and our reference, nor race a new one */
    atomic_store(&cl->spare_busy, 1);
    if (atomic_load(&cl->rolling)) {
        atomic_store(&cl->spare_busy, 0);
        return NULL;
    }
    struct rmq_mfile *f = atomic_load(&cl->spare);
    if (f) {
        rmq_mfile_ref(f);
        atomic_store(&cl->spare_busy, 0);
        return f;
    }
    /* the loop thread cannot roll until spare_busy is clear, so the limit holds still */
    pthread_mutex_lock(&cl->mq.lock);
    int64_t next = cl->mq.nfiles ? rmq_mq_limit(&cl->mq) : atomic_load(&cl->written);
    pthread_mutex_unlock(&cl->mq.lock);
    int rc;
    f = rmq_mq_make(&cl->mq, next, &rc, err);
    if (f) {
        rmq_mfile_ref(f);
        atomic_store(&cl->spare, f);
    }
    atomic_store(&cl->spare_busy, 0);
    return f;
}

bool rmq_cl_spare_due(struct rmq_commitlog *cl)
{
    if (atomic_load_explicit(&cl->spare, memory_order_relaxed))
        return false;
    pthread_mutex_lock(&cl->mq.lock);
    struct rmq_mfile *last = rmq_mq_last(&cl->mq);
    bool due = !last || atomic_load(&cl->written) >= last->start + (int64_t)last->size / 2;
    pthread_mutex_unlock(&cl->mq.lock);
    return due;
}

/* The segment starting at next for a roll: one already there (a spare left by an earlier
 * run), the preparer's spare, or a new one made here. */
static struct rmq_mfile *next_segment(struct rmq_commitlog *cl, int64_t next, int *rc, char *err)
{
    struct rmq_mfile *nf = rmq_mq_find(&cl->mq, next);
    if (nf)
        return nf;
    atomic_store(&cl->rolling, 1);
    while (atomic_load(&cl->spare_busy))
        sched_yield();   /* the preparer is making it right now: wait rather than race */
    nf = atomic_exchange(&cl->spare, NULL);
    if (nf && (nf->start != next || rmq_mq_adopt(&cl->mq, nf) < 0)) {
        nf->unlink_on_close = true;
        rmq_mfile_unref(nf);
        nf = NULL;
    }
    if (!nf)
        nf = rmq_mq_add(&cl->mq, next, rc, err);
    atomic_store(&cl->rolling, 0);
    return nf;
}

void rmq_cl_unstage(struct rmq_commitlog *cl)
{
    if (!cl->stage_len)
        return;
    struct rmq_mfile *f = cl->stage_file;
    size_t pos = (size_t)(cl->stage_at - f->start);
    if (rmq_os_pwrite(f->fd, cl->stage, cl->stage_len, (off_t)pos) < 0) {
        /* the space is preallocated, so only an I/O error gets here; the records were
         * accepted already and the mapping cannot fail to take them */
        if (!cl->stage_failed)
            rmq_warn("store: writing the commitlog at %lld failed (%s); writing through the mapping",
                     (long long)cl->stage_at, strerror(errno));
        cl->stage_failed = true;
        memcpy(f->base + pos, cl->stage, cl->stage_len);
    }
    cl->stage_len = 0;
}

/* Where to encode a record of n bytes going to f at wrote: the staging buffer (emptied
 * first when it holds another segment's bytes or has no room), or the mapping. */
static uint8_t *record_slot(struct rmq_commitlog *cl, struct rmq_mfile *f, size_t n)
{
    if (cl->stage_len && (cl->stage_file != f || cl->stage_len + n > RMQ_CL_STAGE_SIZE))
        rmq_cl_unstage(cl);
    if (!cl->stage && n <= RMQ_CL_STAGE_SIZE)
        cl->stage = malloc(RMQ_CL_STAGE_SIZE);   /* at the first append: idle brokers stay small */
    if (!cl->stage || n > RMQ_CL_STAGE_SIZE) {
        rmq_cl_unstage(cl);
        return f->base + (cl->wrote - f->start);
    }
    if (!cl->stage_len) {
        cl->stage_at = cl->wrote;
        cl->stage_file = f;
    }
    uint8_t *p = cl->stage + cl->stage_len;
    cl->stage_len += n;
    return p;
}

int rmq_cl_append(struct rmq_commitlog *cl, const struct rmq_msg_in *in, int64_t queue_offset,
                  int64_t store_ts, int64_t *phys, size_t *size, char *err)
{
    size_t n = rmq_msg_encoded_size(in);
    if (n == 0 || n + RMQ_BLANK_MIN > cl->mq.file_size)
        return rmq_seterr(err, RMQ_ETOOBIG, "record of %zu bytes does not fit a %zu-byte segment",
                          n ? n : in->body_len, cl->mq.file_size);
    struct rmq_mfile *f = rmq_mq_find(&cl->mq, cl->wrote);
    size_t pos = f ? (size_t)(cl->wrote - f->start) : 0;
    bool roll = !f || n + RMQ_BLANK_MIN > f->size - pos;
    int64_t next = f ? f->start + (int64_t)f->size : cl->wrote;
    if (cl->before_write)
        cl->before_write(cl->hook_arg, (roll ? next : cl->wrote) + (int64_t)n);
    if (roll) {
        /* the next segment first: if it cannot be made, nothing changes */
        int rc;
        struct rmq_mfile *nf = next_segment(cl, next, &rc, err);
        if (!nf)
            return rc;
        rmq_cl_unstage(cl);
        if (f && f->size - pos >= RMQ_BLANK_MIN) {
            wr32(f->base + pos, (uint32_t)(f->size - pos));
            wr32(f->base + pos + 4, RMQ_MAGIC_BLANK);
        }
        f = nf;
        pos = 0;
        cl->wrote = next;
    }
    *size = rmq_msg_encode(record_slot(cl, f, n), in, queue_offset, cl->wrote, store_ts);
    *phys = cl->wrote;
    cl->wrote += (int64_t)*size;
    return 0;
}

const uint8_t *rmq_cl_at(const struct rmq_commitlog *cl, int64_t off, size_t *avail)
{
    struct rmq_mfile *f = rmq_mq_find(&cl->mq, off);
    if (!f)
        return NULL;
    int64_t end = f->start + (int64_t)f->size;
    int64_t filed = cl->stage_len ? cl->stage_at : cl->wrote;
    if (end > filed)
        end = filed;
    if (off >= end)
        return NULL;
    *avail = (size_t)(end - off);
    return f->base + (off - f->start);
}

const uint8_t *rmq_cl_at_staged(const struct rmq_commitlog *cl, int64_t off, size_t *avail)
{
    if (cl->stage_len && off >= cl->stage_at && off < cl->stage_at + (int64_t)cl->stage_len) {
        *avail = (size_t)(cl->stage_at + (int64_t)cl->stage_len - off);
        return cl->stage + (off - cl->stage_at);
    }
    return rmq_cl_at(cl, off, avail);
}

int rmq_cl_read(const struct rmq_commitlog *cl, int64_t off, struct rmq_msg *m, int check, char *err)
{
    size_t avail;
    const uint8_t *p = rmq_cl_at(cl, off, &avail);
    if (!p)
        return rmq_seterr(err, RMQ_ENOTFOUND, "offset %lld is not in the commitlog", (long long)off);
    return rmq_msg_decode(p, avail, m, check, err);
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

int64_t rmq_cl_scan(const struct rmq_commitlog *cl, int64_t from, rmq_cl_visit visit, void *arg,
                    char *why)
{
    char err[RMQ_ERRLEN];
    int64_t off = from;
    why[0] = 0;
    for (;;) {
        struct rmq_mfile *f = rmq_mq_find(&cl->mq, off);
        if (!f)
            return off;
        size_t pos = (size_t)(off - f->start), left = f->size - pos;
        const uint8_t *p = f->base + pos;
        if (left < RMQ_BLANK_MIN || all_zero(p, 8)) {
            /* a clean end; the writer zero-fills, so nothing valid can follow */
            if (left >= RMQ_BLANK_MIN)
                return off;
            off = f->start + (int64_t)f->size;
            continue;
        }
        struct rmq_msg m;
        int n = rmq_msg_decode(p, left, &m, RMQ_MSG_CHECK_CRC, err);
        if (n == 0) {
            if (m.total_size != left) {
                snprintf(why, RMQ_ERRLEN, "blank marker at %lld says %u bytes, %zu left in segment",
                         (long long)off, m.total_size, left);
                return off;
            }
            off = f->start + (int64_t)f->size;
            continue;
        }
        if (n < 0) {
            snprintf(why, RMQ_ERRLEN, "record at %lld: %s", (long long)off, err);
            return off;
        }
        if (m.phys_offset != off) {
            snprintf(why, RMQ_ERRLEN, "record at %lld claims offset %lld (stale data)",
                     (long long)off, (long long)m.phys_offset);
            return off;
        }
        if (visit && visit(arg, &m))
            return off;
        off += n;
    }
}

int rmq_cl_truncate(struct rmq_commitlog *cl, int64_t off, char *err)
{
    cl->stage_len = 0;   /* only recovery truncates: nothing is staged then */
    int rc = rmq_mq_truncate(&cl->mq, off, err);
    if (rc)
        return rc;
    cl->wrote = off;
    atomic_store(&cl->written, off);
    atomic_store(&cl->flushed, off);
    return 0;
}
