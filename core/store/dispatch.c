/*
 * dispatch.c — turning commitlog records into consume-queue and index entries.
 *
 * Dispatch reads records back from the mapped commitlog (they are in the page cache) rather
 * than remembering what put() wrote: the same code then serves normal operation and
 * recovery, and it runs only up to the visible watermark (DESIGN §3).
 */
#include "store/store_int.h"

#include "util/err.h"
#include "util/hash.h"
#include "util/log.h"

#include <string.h>

/* The properties dispatch needs, found in one pass over the record's properties. */
enum { P_TAGS, P_UNIQ_KEY, P_KEYS, NPROPS };

static int64_t tag_code(const struct rmq_store *s, const struct rmq_msg *m, const char *tags, size_t n)
{
    if (m->topic_len == strlen(RMQ_SCHEDULE_TOPIC) && !memcmp(m->topic, RMQ_SCHEDULE_TOPIC, m->topic_len)) {
        int level = rmq_msg_delay_level(m->props, m->props_len, s->o.delay_levels);
        return m->store_ts + (level > 0 ? s->o.delay_level_ms[level - 1] : 0);
    }
    return tags ? (int64_t)rmq_java_hash(tags, n) : 0;
}

static void index_keys(struct rmq_store *s, const struct rmq_msg *m, const char *const *vals,
                       const size_t *lens)
{
    int rc = 0;
    if (vals[P_UNIQ_KEY])
        rc = rmq_index_put(s->index, m->topic, m->topic_len, vals[P_UNIQ_KEY], lens[P_UNIQ_KEY],
                           m->phys_offset, m->store_ts);
    const char *v = vals[P_KEYS];
    for (const char *end = v + lens[P_KEYS]; v && v < end && rc == 0;) {
        const char *sp = memchr(v, ' ', (size_t)(end - v));
        size_t k = sp ? (size_t)(sp - v) : (size_t)(end - v);
        if (k)
            rc = rmq_index_put(s->index, m->topic, m->topic_len, v, k, m->phys_offset, m->store_ts);
        v += k + 1;
    }
    if (rc)   /* the index is a lookup aid; a missing entry must not stop the queue */
        rmq_warn("store: cannot index record at %lld: %s", (long long)m->phys_offset, rmq_strerror(rc));
}

static int dispatch_one(struct rmq_store *s, const struct rmq_msg *m, int64_t index_from, char *err)
{
    static const char *const names[NPROPS] = {RMQ_PROP_TAGS, RMQ_PROP_UNIQ_KEY, RMQ_PROP_KEYS};
    const char *vals[NPROPS];
    size_t lens[NPROPS];
    rmq_props_pick(m->props, m->props_len, names, NPROPS, vals, lens);
    uint32_t tx = m->sys_flag & RMQ_SYSFLAG_TX_MASK;
    if (tx != RMQ_SYSFLAG_TX_PREPARED && tx != RMQ_SYSFLAG_TX_ROLLBACK) {
        struct rmq_cq *cq = rmq_store_cq_get(s, m->topic, m->topic_len, m->queue_id, true, err);
        if (!cq)
            return RMQ_EINVAL;
        int rc;
        if (m->queue_offset < cq->min_offset && s->recovering) {
            /* the queue's first segments were lost: rebuild it from scratch, this record
             * being the first of it still in the log */
            rmq_warn("store: consume queue %s/%d lost entries below %lld; rebuilding it",
                     cq->topic, cq->queue_id, (long long)cq->min_offset);
            s->entries_total -= cq->max_offset - cq->min_offset;
            if ((rc = rmq_cq_truncate(cq, 0, err)))
                return rc;
        }
        int64_t before = cq->max_offset - cq->min_offset;
        if (m->queue_offset > cq->max_offset)
            s->gap_seen = true;
        struct rmq_cq_entry e = {m->phys_offset, (int32_t)m->total_size, tag_code(s, m, vals[P_TAGS], lens[P_TAGS])};
        if ((rc = rmq_cq_put(cq, m->queue_offset, &e, &s->dirty, err)))
            return rc;
        s->entries_total += cq->max_offset - cq->min_offset - before;
    }
    if (s->index && tx != RMQ_SYSFLAG_TX_ROLLBACK && m->phys_offset >= index_from)
        index_keys(s, m, vals, lens);
    return 0;
}

int rmq_store_dispatch_range(struct rmq_store *s, int64_t from, int64_t to, char *err)
{
    int64_t index_from = s->index ? rmq_index_end_phys(s->index) : 0;
    int64_t off = from;
    int count = 0;
    while (off < to) {
        size_t avail;
        const uint8_t *p = rmq_cl_at_staged(&s->cl, off, &avail);
        if (!p) {
            rmq_seterr(err, RMQ_ECORRUPT, "dispatch: offset %lld is not in the commitlog", (long long)off);
            break;
        }
        struct rmq_msg m;
        int n = rmq_msg_decode(p, avail, &m, RMQ_MSG_CHECK_NONE, err);
        if (n == 0) {   /* blank marker: the next record starts the next segment */
            off += m.total_size;
            continue;
        }
        if (n < 0 || dispatch_one(s, &m, index_from, err) < 0) {
            /* only a bug or memory corruption gets here: our own records decode */
            rmq_error("store: dispatch stopped at %lld: %s", (long long)off, err);
            s->dispatched = off;
            return n < 0 ? n : RMQ_ECORRUPT;
        }
        off += n;
        count++;
    }
    s->dispatched = off;
    return count;
}

void rmq_store_publish_marks(struct rmq_store *s)
{
    pthread_mutex_lock(&s->mark_lock);
    s->mark_dispatched = s->dispatched;
    s->mark_entries = s->entries_total;
    s->mark_store_ts = s->last_store_ts;
    pthread_mutex_unlock(&s->mark_lock);
}

int rmq_store_dispatch(struct rmq_store *s)
{
    return rmq_store_dispatch_to(s, s->o.sync_flush ? rmq_store_flushed(s) : rmq_store_written(s));
}

int rmq_store_dispatch_to(struct rmq_store *s, int64_t to)
{
    if (to <= s->dispatched)
        return 0;
    char err[RMQ_ERRLEN];
    int n = rmq_store_dispatch_range(s, s->dispatched, to, err);
    rmq_store_publish_marks(s);
    return n;
}
