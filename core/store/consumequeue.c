#include "store/consumequeue.h"

#include "util/bytes.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

void rmq_cq_dir(char *out, size_t n, const char *cq_root, const char *topic, int32_t queue_id)
{
    snprintf(out, n, "%s/%s/%d", cq_root, topic, queue_id);
}

static uint8_t *slot(const struct rmq_cq *cq, int64_t qoff, struct rmq_mfile **fp)
{
    int64_t pos = qoff * RMQ_CQ_UNIT;
    struct rmq_mfile *f = rmq_mq_find(&cq->mq, pos);
    if (fp)
        *fp = f;
    return f ? f->base + (pos - f->start) : NULL;
}

static void read_entry(const uint8_t *p, struct rmq_cq_entry *e)
{
    e->phys = (int64_t)rd64(p);
    e->size = (int32_t)rd32(p + 8);
    e->tag = (int64_t)rd64(p + 12);
}

static bool is_empty(const uint8_t *p)
{
    static const uint8_t zero[RMQ_CQ_UNIT];
    return memcmp(p, zero, RMQ_CQ_UNIT) == 0;
}

/* Sets covered from the last real (non-blank) entry below max_offset. */
static void find_covered(struct rmq_cq *cq)
{
    cq->covered = -1;
    for (int64_t q = cq->max_offset - 1; q >= cq->min_offset; q--) {
        struct rmq_cq_entry e;
        read_entry(slot(cq, q, NULL), &e);
        if (e.size != RMQ_CQ_BLANK_SIZE) {
            cq->covered = e.phys + e.size;
            return;
        }
    }
}

int rmq_cq_open(struct rmq_cq *cq, const char *dir, const char *topic, int32_t queue_id,
                size_t file_size, int64_t log_end, char *err)
{
    memset(cq, 0, sizeof *cq);
    snprintf(cq->topic, sizeof cq->topic, "%s", topic);
    cq->queue_id = queue_id;
    file_size -= file_size % RMQ_CQ_UNIT;
    struct rmq_mq_damage dmg;
    int rc = rmq_mq_open(&cq->mq, dir, file_size, true, &dmg, err);
    if (rc)
        return rc;
    /* 20-byte entries: a fault must not zero megabytes of folios on the loop thread */
    cq->mq.small_faults = true;
    for (int i = 0; i < cq->mq.nfiles; i++)
        rmq_mfile_advise_small_faults(cq->mq.files[i]);
    if (dmg.gap_start >= 0)
        rmq_warn("store: consume queue %s/%d lost segment %020lld; later entries set aside and rebuilt",
                 topic, queue_id, (long long)dmg.gap_start);
    if (cq->mq.nfiles == 0)
        return 0;
    /* entries begin at the first non-blank one: leading blanks were filled before the
     * queue's first real offset, or retention already moved past them */
    int64_t first = rmq_mq_min_offset(&cq->mq) / RMQ_CQ_UNIT;
    int64_t limit = rmq_mq_limit(&cq->mq) / RMQ_CQ_UNIT;
    int64_t q = first;
    for (; q < limit; q++) {
        const uint8_t *p = slot(cq, q, NULL);
        struct rmq_cq_entry e;
        read_entry(p, &e);
        if (is_empty(p))
            break;
        if (e.size != RMQ_CQ_BLANK_SIZE && (e.size <= 0 || e.phys < 0 || e.phys + e.size > log_end)) {
            rmq_warn("store: consume queue %s/%d entry %lld points past the commitlog end %lld; "
                     "dropping it and what follows", topic, queue_id, (long long)q, (long long)log_end);
            break;
        }
    }
    cq->min_offset = first;
    cq->max_offset = q;
    cq->next_assign = q;
    for (int64_t b = first; b < q; b++) {     /* skip the leading blanks */
        struct rmq_cq_entry e;
        read_entry(slot(cq, b, NULL), &e);
        if (e.size != RMQ_CQ_BLANK_SIZE)
            break;
        cq->min_offset = b + 1;
    }
    if (cq->min_offset > q)
        cq->min_offset = q;
    rc = rmq_cq_truncate(cq, q, err);
    find_covered(cq);
    return rc;
}

void rmq_cq_close(struct rmq_cq *cq) { rmq_mq_close(&cq->mq); }

static int ensure_segment(struct rmq_cq *cq, int64_t qoff, char *err)
{
    int64_t pos = qoff * RMQ_CQ_UNIT;
    while (!rmq_mq_find(&cq->mq, pos)) {
        int rc;
        int64_t start = cq->mq.nfiles ? rmq_mq_limit(&cq->mq)
                                      : pos - pos % (int64_t)cq->mq.file_size;
        if (cq->mq.nfiles && start > pos)
            return rmq_seterr(err, RMQ_EINVAL, "queue offset %lld is below the queue's first segment",
                              (long long)qoff);
        if (!rmq_mq_add(&cq->mq, start, &rc, err))
            return rc;
        if (cq->mq.nfiles == 1) {
            cq->min_offset = cq->max_offset = start / RMQ_CQ_UNIT;
            if (cq->next_assign < cq->max_offset)
                cq->next_assign = cq->max_offset;
        }
    }
    return 0;
}

static void write_entry(uint8_t *p, const struct rmq_cq_entry *e)
{
    wr64(p, (uint64_t)e->phys);
    wr32(p + 8, (uint32_t)e->size);
    wr64(p + 12, (uint64_t)e->tag);
}

int rmq_cq_put(struct rmq_cq *cq, int64_t qoff, const struct rmq_cq_entry *e,
               struct rmq_dirty *dirty, char *err)
{
    if (qoff < cq->max_offset) {
        struct rmq_cq_entry old;
        if (rmq_cq_get(cq, qoff, &old) == 0 && old.phys == e->phys && old.size == e->size &&
            old.tag == e->tag)
            return 0;
        if (qoff < cq->min_offset)
            return rmq_seterr(err, RMQ_EINVAL, "queue offset %lld is below the queue minimum %lld",
                              (long long)qoff, (long long)cq->min_offset);
        rmq_warn("store: consume queue %s/%d entry %lld differs from the commitlog; rewriting from it",
                 cq->topic, cq->queue_id, (long long)qoff);
        int rc = rmq_cq_truncate(cq, qoff, err);
        if (rc)
            return rc;
    }
    int rc = ensure_segment(cq, qoff, err);
    if (rc)
        return rc;
    if (qoff > cq->max_offset) {
        if (cq->max_offset > cq->min_offset || qoff * RMQ_CQ_UNIT % (int64_t)cq->mq.file_size)
            rmq_debug("store: consume queue %s/%d fills %lld blank entries before %lld", cq->topic,
                      cq->queue_id, (long long)(qoff - cq->max_offset), (long long)qoff);
        struct rmq_cq_entry blank = {0, RMQ_CQ_BLANK_SIZE, 0};
        for (int64_t q = cq->max_offset; q < qoff; q++) {
            struct rmq_mfile *f;
            if ((rc = ensure_segment(cq, q, err)))
                return rc;
            write_entry(slot(cq, q, &f), &blank);
            if (dirty)
                rmq_dirty_note(dirty, f);
        }
        if (cq->max_offset == cq->min_offset)
            cq->min_offset = qoff;
    }
    struct rmq_mfile *f;
    write_entry(slot(cq, qoff, &f), e);
    if (dirty)
        rmq_dirty_note(dirty, f);
    cq->max_offset = qoff + 1;
    if (cq->next_assign < cq->max_offset)
        cq->next_assign = cq->max_offset;
    cq->covered = e->phys + e->size;
    return 0;
}

int rmq_cq_get(const struct rmq_cq *cq, int64_t qoff, struct rmq_cq_entry *e)
{
    if (qoff < cq->min_offset || qoff >= cq->max_offset)
        return RMQ_ENOTFOUND;
    const uint8_t *p = slot(cq, qoff, NULL);
    if (!p)
        return RMQ_ENOTFOUND;
    read_entry(p, e);
    return 0;
}

int rmq_cq_truncate(struct rmq_cq *cq, int64_t qoff, char *err)
{
    int rc = rmq_mq_truncate(&cq->mq, qoff * RMQ_CQ_UNIT, err);
    if (rc)
        return rc;
    if (cq->max_offset > qoff)
        cq->max_offset = qoff;
    if (cq->min_offset > qoff)
        cq->min_offset = qoff;
    cq->next_assign = cq->max_offset;
    find_covered(cq);
    return 0;
}

int rmq_cq_delete_before(struct rmq_cq *cq, int64_t min_phys)
{
    int deleted = 0;
    while (cq->mq.nfiles > 1) {
        struct rmq_mfile *f = cq->mq.files[0];
        /* the segment's last entry decides: entries grow with the log */
        int64_t last_q = (f->start + (int64_t)f->size) / RMQ_CQ_UNIT - 1;
        struct rmq_cq_entry e;
        read_entry(f->base + f->size - RMQ_CQ_UNIT, &e);
        if (last_q >= cq->max_offset || (e.size != RMQ_CQ_BLANK_SIZE && e.phys + e.size > min_phys))
            break;
        rmq_mq_delete_first(&cq->mq);
        deleted++;
    }
    int64_t q = rmq_mq_min_offset(&cq->mq) / RMQ_CQ_UNIT;
    if (q < cq->min_offset)
        q = cq->min_offset;
    for (; q < cq->max_offset; q++) {
        struct rmq_cq_entry e;
        read_entry(slot(cq, q, NULL), &e);
        if (e.size != RMQ_CQ_BLANK_SIZE && e.phys >= min_phys)
            break;
    }
    cq->min_offset = q;
    return deleted;
}
