/*
 * retention.c — deleting old data (RocketMQ's CleanCommitLogService, DESIGN §3).
 *
 * A commitlog segment is expired when its last write (file mtime) is older than
 * fileReservedTime hours. Expired segments are deleted, oldest first, at a deleteWhen hour
 * or at any hour while the disk is fuller than diskMaxUsedSpaceRatio; over
 * diskSpaceCleanForciblyRatio unexpired segments go too. The segment being written, and
 * any segment not yet flushed and dispatched, are never deleted. Consume queues and index
 * files then drop what points below the new start of the log.
 * Over diskSpaceWarningLevelRatio the store refuses writes (rmq_store_writable) until
 * usage falls below it again: a full disk is a state, not a crash.
 */
#include "store/store_int.h"

#include "util/log.h"
#include "util/os.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DELETE_BATCH_MAX 10   /* segments per run, as RocketMQ's deleteCommitLogFilesInterval batch */

static bool hour_matches(const char *when, int hour)
{
    const char *p = when;
    while (*p) {
        char *end;
        long h = strtol(p, &end, 10);
        if (end == p)
            return false;
        if (h == hour)
            return true;
        p = *end == ';' ? end + 1 : end;
        if (*end != ';')
            break;
    }
    return false;
}

struct trim {
    struct rmq_store *s;
    int64_t min_phys;
};

static void trim_queue(void *arg, const struct rmq_cq *cq)
{
    struct trim *t = arg;
    int64_t before = cq->max_offset - cq->min_offset;
    rmq_cq_delete_before((struct rmq_cq *)cq, t->min_phys);
    t->s->entries_total -= before - (cq->max_offset - cq->min_offset);
}

int rmq_store_retention(struct rmq_store *s, int64_t now_ms)
{
    int used = rmq_os_disk_used(s->cl_dir);
    int was_full = atomic_load(&s->disk_full);
    int full = used >= s->o.disk_warning_ratio;
    if (full != was_full) {
        atomic_store(&s->disk_full, full);
        if (full)
            rmq_error("store: disk %d%% full (diskSpaceWarningLevelRatio %d%%): refusing writes",
                      used, s->o.disk_warning_ratio);
        else
            rmq_info("store: disk %d%% full: accepting writes again", used);
    }
    time_t now = (time_t)(now_ms / 1000);
    struct tm tm;
    localtime_r(&now, &tm);
    bool at_hour = hour_matches(s->o.delete_when, tm.tm_hour);
    bool space = used >= s->o.disk_max_used_ratio;
    bool forcibly = used >= s->o.disk_clean_forcibly_ratio;
    if (!at_hour && !space)
        return 0;

    int64_t safe = atomic_load(&s->cl.flushed);
    if (safe > s->dispatched)
        safe = s->dispatched;
    int deleted = 0;
    while (s->cl.mq.nfiles > 1 && deleted < DELETE_BATCH_MAX) {
        struct rmq_mfile *f = s->cl.mq.files[0];
        if (f->start + (int64_t)f->size > safe)
            break;
        struct stat st;
        bool expired = fstat(f->fd, &st) == 0 &&
                       (int64_t)st.st_mtime * 1000 + (int64_t)s->o.file_reserved_hours * 3600000 <= now_ms;
        if (!expired && !forcibly)
            break;
        rmq_info("store: deleting commitlog segment %s (%s)", f->path,
                 expired ? "expired" : "disk over diskSpaceCleanForciblyRatio");
        rmq_mq_delete_first(&s->cl.mq);
        deleted++;
    }
    if (deleted) {
        struct trim t = {s, rmq_store_min_phys(s)};
        rmq_store_foreach_queue(s, trim_queue, &t);
        if (s->index)
            rmq_index_delete_before(s->index, t.min_phys);
        rmq_store_publish_marks(s);
    }
    return deleted;
}
