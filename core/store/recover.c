/*
 * recover.c — bringing a store back to a consistent state at start-up.
 *
 * 1. Find where to start checking: the checkpoint's logics-safe offset (below it the log,
 *    the queues and the index are all durable), or the start of the log without one.
 *    Damage that reaches below it (a short segment file, no valid record at the safe point)
 *    moves the start back to the damaged segment's beginning.
 * 2. Walk the log from there (rmq_cl_scan: magic, size, CRCs, position) to the first
 *    invalid byte and cut everything after it. The walk covers the unflushed tail plus at
 *    most one checkpoint interval, so recovery time follows the unflushed data, not the
 *    store size.
 * 3. Load the consume queues, dropping entries that point past the new end, and the index.
 * 4. Re-dispatch from the safe point. If the queues hold fewer entries than the checkpoint
 *    recorded, or re-dispatch meets a hole, queue files were lost: re-dispatch the whole
 *    log (existing entries are checked, missing ones written).
 */
#include "store/store_int.h"

#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether off is a place a walk may start: a segment start, the clean end, or a record
 * that checks out. */
static bool valid_start(struct rmq_store *s, int64_t off)
{
    struct rmq_mfile *f = rmq_mq_find(&s->cl.mq, off);
    if (!f || off == f->start)
        return true;
    const uint8_t *p = f->base + (off - f->start);
    size_t left = f->size - (size_t)(off - f->start);
    static const uint8_t zero[8];
    if (left < 8 || memcmp(p, zero, 8) == 0)
        return true;
    struct rmq_msg m;
    int n = rmq_msg_decode(p, left, &m, RMQ_MSG_CHECK_CRC, NULL);
    return n == 0 || (n > 0 && m.phys_offset == off);
}

static int64_t choose_start(struct rmq_store *s, const struct rmq_checkpoint *cp,
                            const struct rmq_mq_damage *dmg)
{
    int64_t min = rmq_mq_min_offset(&s->cl.mq), limit = rmq_mq_limit(&s->cl.mq);
    int64_t from = cp->valid ? cp->logics_safe : min;
    if (!cp->valid)
        rmq_info("store: no valid checkpoint; checking the whole commitlog");
    if (from < min)
        from = min;
    if (from > limit) {
        rmq_warn("store: checkpoint offset %lld is past the last commitlog segment (ends %lld); "
                 "segments are missing", (long long)from, (long long)limit);
        from = rmq_mq_last(&s->cl.mq)->start;
    }
    if (dmg->short_start >= 0 && dmg->short_start < from) {
        rmq_warn("store: commitlog segment %020lld was shorter than its size; checking from its start",
                 (long long)dmg->short_start);
        from = dmg->short_start;
    }
    if (!valid_start(s, from)) {
        int64_t seg = rmq_mq_find(&s->cl.mq, from)->start;
        rmq_warn("store: no valid record at the checkpoint offset %lld; checking from segment %020lld",
                 (long long)from, (long long)seg);
        from = seg;
    }
    return from;
}

static int load_queues(struct rmq_store *s, char *err)
{
    DIR *top = opendir(s->cq_dir);
    if (!top)
        return errno == ENOENT ? 0 : rmq_seterr(err, -errno, "cannot list '%s': %s", s->cq_dir, strerror(errno));
    struct dirent *t;
    int rc = 0;
    while (rc == 0 && (t = readdir(top))) {
        if (t->d_name[0] == '.')
            continue;
        char tdir[PATH_MAX + 300];
        snprintf(tdir, sizeof tdir, "%s/%s", s->cq_dir, t->d_name);
        DIR *qd = opendir(tdir);
        if (!qd)
            continue;
        struct dirent *q;
        while (rc == 0 && (q = readdir(qd))) {
            char *end;
            if (q->d_name[0] == '.')
                continue;
            long qid = strtol(q->d_name, &end, 10);
            if (*end || qid < 0 || qid > 65535) {
                rmq_warn("store: ignoring '%s/%s': not a queue id", tdir, q->d_name);
                continue;
            }
            err[0] = 0;
            struct rmq_cq *cq = rmq_store_cq_get(s, t->d_name, strlen(t->d_name), (int32_t)qid, true, err);
            if (!cq) {
                rmq_warn("store: cannot load consume queue '%s/%s': %s", tdir, q->d_name, err);
                continue;
            }
            int64_t before = cq->max_offset - cq->min_offset;
            rmq_cq_delete_before(cq, rmq_store_min_phys(s));
            s->entries_total -= before - (cq->max_offset - cq->min_offset);
        }
        closedir(qd);
    }
    closedir(top);
    return rc;
}

int rmq_store_recover(struct rmq_store *s, char *err)
{
    int64_t t0 = rmq_mono_us();
    struct rmq_checkpoint cp;
    int rc = rmq_checkpoint_read(s->checkpoint_path, &cp, err);
    if (rc)
        return rc;
    s->stats.abnormal = access(s->abort_path, F_OK) == 0;
    struct rmq_mq_damage dmg;
    if ((rc = rmq_cl_open(&s->cl, s->cl_dir, s->o.cl_file_size, &dmg, err)))
        return rc;
    if (dmg.nignored)
        rmq_warn("store: ignored %d file(s) in '%s' that are not segments of %zu bytes",
                 dmg.nignored, s->cl_dir, s->o.cl_file_size);

    /* 1–2: validate the tail and cut it where it stops being valid */
    int64_t from = 0, end = 0;
    char why[RMQ_ERRLEN] = "";
    if (s->cl.mq.nfiles > 0) {
        from = choose_start(s, &cp, &dmg);
        end = rmq_cl_scan(&s->cl, from, NULL, NULL, why);
    }
    s->stats.scan_from = from;
    s->stats.scan_to = end;
    if (why[0]) {
        s->stats.truncated_at = end;
        snprintf(s->stats.truncate_reason, sizeof s->stats.truncate_reason, "%s", why);
        rmq_warn("store: commitlog ends at %lld: %s; later bytes are cut", (long long)end, why);
    }
    if (why[0] || s->stats.abnormal || dmg.short_start >= 0) {
        if ((rc = rmq_cl_truncate(&s->cl, end, err)))
            return rc;
    } else {
        s->cl.wrote = end;
        atomic_store(&s->cl.written, end);
        atomic_store(&s->cl.flushed, end);
    }

    /* 3: queues and index */
    if ((rc = load_queues(s, err)))
        return rc;
    if (s->o.index_enable) {
        rc = rmq_index_open(&s->index, s->index_dir, s->o.index_slots, s->o.index_max, err);
        if (rc < 0)
            return rc;
        if (rc > 0)
            rmq_warn("store: %s", err);
        if (rmq_index_end_phys(s->index) >= end)
            rmq_index_truncate(s->index, end);
    }

    /* 4: re-dispatch */
    int64_t min = rmq_store_min_phys(s);
    int64_t redo = from;
    if (!cp.valid) {
        redo = min;
        s->stats.full_rebuild = true;
    } else if (s->entries_total < cp.entries_total) {
        rmq_warn("store: consume queues hold %lld entries, the checkpoint recorded %lld: "
                 "rebuilding them from the commitlog", (long long)s->entries_total,
                 (long long)cp.entries_total);
        redo = min;
        s->stats.full_rebuild = true;
    }
    s->recovering = true;
    int n = rmq_store_dispatch_range(s, redo, end, err);
    if (n >= 0 && s->gap_seen && redo > min) {
        rmq_warn("store: a consume queue is missing entries: rebuilding them from the commitlog");
        s->stats.full_rebuild = true;
        n = rmq_store_dispatch_range(s, min, end, err);
    }
    s->recovering = false;
    if (n < 0)
        return n;
    s->gap_seen = false;
    s->stats.redispatched = n;
    rmq_store_publish_marks(s);
    s->stats.recovery_us = rmq_mono_us() - t0;
    if (s->stats.abnormal || why[0] || s->stats.full_rebuild || n > 0)
        rmq_info("store: recovered '%s'%s: checked commitlog %lld..%lld, re-dispatched %d records "
                 "in %.1f ms", s->root, s->stats.abnormal ? " after a crash" : "",
                 (long long)from, (long long)end, n, s->stats.recovery_us / 1000.0);
    return 0;
}
