/*
 * store.c — opening and closing the store, appends, the queue table and reads.
 * Recovery is in recover.c, the flusher in flush.c, dispatch in dispatch.c, retention in
 * retention.c.
 */
#include "store/store_int.h"

#include "util/clock.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

void rmq_store_opts_default(struct rmq_store_opts *o, const char *root)
{
    memset(o, 0, sizeof *o);
    o->root = root;
    o->cl_file_size = (size_t)1 << 30;
    o->cq_file_size = 300000 * RMQ_CQ_UNIT;
    o->index_slots = 5000000;
    o->index_max = 20000000;
    o->index_enable = true;
    o->flush_interval_ms = 500;
    o->flush_cq_interval_ms = 1000;
    o->max_message_size = 4 * 1024 * 1024;
    o->record_crc = true;
    o->make_segments_ahead = true;
    o->store_host = (struct rmq_host){{127, 0, 0, 1}, 4, 10911};
    o->delete_when = "04";
    o->file_reserved_hours = 72;
    o->disk_max_used_ratio = 75;
    o->disk_clean_forcibly_ratio = 85;
    o->disk_warning_ratio = 90;
}

static void derive(char *out, const char *given, const char *root, const char *leaf)
{
    if (given)
        snprintf(out, PATH_MAX, "%s", given);
    else
        snprintf(out, PATH_MAX, "%s/%s", root, leaf);
}

static int lock_store(struct rmq_store *s, char *err)
{
    char path[PATH_MAX + 8];
    snprintf(path, sizeof path, "%s/lock", s->root);
    s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lock_fd < 0)
        return rmq_seterr(err, -errno, "cannot open '%s': %s", path, strerror(errno));
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0)
        return rmq_seterr(err, RMQ_ELOCKED, "store '%s' is in use by another process", s->root);
    return 0;
}

static int create_abort_file(struct rmq_store *s, char *err)
{
    int fd = rmq_os_open(s->abort_path, O_WRONLY | O_CREAT, 0644);
    if (fd < 0)
        return rmq_seterr(err, -errno, "cannot create '%s': %s", s->abort_path, strerror(errno));
    close(fd);
    rmq_os_fsync_dir(s->abort_path);
    return 0;
}

static void free_store(struct rmq_store *s)
{
    rmq_preparer_stop(s);   /* no-ops unless open failed after starting them */
    rmq_flusher_stop(s);
    for (size_t b = 0; b < s->nbuckets; b++) {
        for (struct rmq_cq *cq = s->buckets[b], *next; cq; cq = next) {
            next = cq->next;
            rmq_cq_close(cq);
            free(cq);
        }
    }
    free(s->buckets);
    if (s->index)
        rmq_index_close(s->index);
    rmq_cl_close(&s->cl);
    rmq_dirty_destroy(&s->dirty);
    if (s->checkpoint_fd >= 0)
        close(s->checkpoint_fd);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    pthread_mutex_destroy(&s->mark_lock);
    pthread_mutex_destroy(&s->flush_lock);
    pthread_cond_destroy(&s->flush_cond);
    free(s);
}

int rmq_store_open(struct rmq_store **out, const struct rmq_store_opts *o, char *err)
{
    struct rmq_store *s = calloc(1, sizeof *s);
    if (!s)
        return rmq_seterr(err, -ENOMEM, "out of memory");
    s->o = *o;
    s->lock_fd = s->checkpoint_fd = -1;
    snprintf(s->root, sizeof s->root, "%s", o->root);
    derive(s->cl_dir, o->commitlog_dir, s->root, "commitlog");
    derive(s->cq_dir, o->cq_dir, s->root, "consumequeue");
    derive(s->index_dir, o->index_dir, s->root, "index");
    derive(s->checkpoint_path, o->checkpoint_path, s->root, "checkpoint");
    derive(s->abort_path, o->abort_path, s->root, "abort");
    snprintf(s->delete_when, sizeof s->delete_when, "%s", o->delete_when ? o->delete_when : "04");
    s->o.delete_when = s->delete_when;
    pthread_mutex_init(&s->mark_lock, NULL);
    pthread_mutex_init(&s->flush_lock, NULL);
    pthread_cond_init(&s->flush_cond, NULL);
    rmq_dirty_init(&s->dirty);
    s->stats.truncated_at = -1;
    rmq_os_inject_from_env();

    int rc;
    if ((rc = rmq_mkdir_p(s->root, 0755)) < 0) {
        rmq_seterr(err, rc, "cannot create store directory '%s': %s", s->root, strerror(-rc));
        goto fail;
    }
    if ((rc = lock_store(s, err)))
        goto fail;
    if ((rc = rmq_mkdir_p(s->cq_dir, 0755)) < 0 || (rc = rmq_mkdir_p(s->cl_dir, 0755)) < 0) {
        rmq_seterr(err, rc, "cannot create store directories under '%s': %s", s->root, strerror(-rc));
        goto fail;
    }
    if ((rc = rmq_store_recover(s, err)))
        goto fail;
    if ((rc = create_abort_file(s, err)))
        goto fail;
    if ((s->checkpoint_fd = rmq_checkpoint_open(s->checkpoint_path, err)) < 0) {
        rc = s->checkpoint_fd;
        goto fail;
    }
    if ((rc = rmq_flusher_start(s, err)) || (rc = rmq_preparer_start(s, err)))
        goto fail;
    *out = s;
    return 0;
fail:
    free_store(s);
    return rc;
}

int rmq_store_close(struct rmq_store *s)
{
    rmq_store_commit(s);
    rmq_store_dispatch(s);
    rmq_preparer_stop(s);
    rmq_cl_drop_spare(&s->cl);   /* a clean store ends with its last written segment */
    if (s->index)
        rmq_index_drop_spare(s->index);
    rmq_flusher_stop(s);
    int rc = rmq_store_checkpoint_now(s, true);
    if (rc == 0 && unlink(s->abort_path) < 0 && errno != ENOENT)
        rc = -errno;
    if (rc)
        rmq_error("store: clean shutdown of '%s' incomplete (%s); next start recovers as after a crash",
                  s->root, rmq_strerror(rc));
    free_store(s);
    return rc;
}

void rmq_store_abandon(struct rmq_store *s)
{
    free_store(s);
}

/* --- the queue table --- */

static size_t bucket_of(const struct rmq_store *s, const char *topic, size_t tlen, int32_t qid)
{
    uint32_t h = (uint32_t)rmq_java_hash(topic, tlen) * 31u + (uint32_t)qid;
    return (h ^ (h >> 16)) & (s->nbuckets - 1);
}

static void grow_table(struct rmq_store *s)
{
    size_t n = s->nbuckets ? s->nbuckets * 2 : 256;
    struct rmq_cq **b = calloc(n, sizeof *b);
    if (!b)
        rmq_panic("out of memory growing the queue table");
    struct rmq_cq **old = s->buckets;
    size_t oldn = s->nbuckets;
    s->buckets = b;
    s->nbuckets = n;
    for (size_t i = 0; i < oldn; i++) {
        for (struct rmq_cq *cq = old[i], *next; cq; cq = next) {
            next = cq->next;
            size_t k = bucket_of(s, cq->topic, strlen(cq->topic), cq->queue_id);
            cq->next = b[k];
            b[k] = cq;
        }
    }
    free(old);
}

static bool valid_topic(const char *t, size_t n)
{
    if (n == 0 || n > RMQ_MAX_TOPIC_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '%' || c == '|' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

struct rmq_cq *rmq_store_cq_get(struct rmq_store *s, const char *topic, size_t tlen, int32_t qid,
                                bool create, char *err)
{
    struct rmq_cq **slot = &s->cq_cache[(uint32_t)qid % (sizeof s->cq_cache / sizeof *s->cq_cache)];
    struct rmq_cq *c = *slot;
    if (c && c->queue_id == qid && tlen <= RMQ_MAX_TOPIC_LEN && c->topic[tlen] == 0 &&
        memcmp(c->topic, topic, tlen) == 0)
        return c;
    if (s->nbuckets) {
        for (c = s->buckets[bucket_of(s, topic, tlen, qid)]; c; c = c->next)
            if (c->queue_id == qid && strncmp(c->topic, topic, tlen) == 0 && c->topic[tlen] == 0)
                return *slot = c;
    }
    if (!create)
        return NULL;
    if (!valid_topic(topic, tlen) || qid < 0 || qid > 65535) {
        rmq_seterr(err, RMQ_EINVAL, "invalid topic '%.*s' or queue id %d", (int)tlen, topic, qid);
        return NULL;
    }
    char name[RMQ_MAX_TOPIC_LEN + 1], dir[PATH_MAX + 160];
    snprintf(name, sizeof name, "%.*s", (int)tlen, topic);
    rmq_cq_dir(dir, sizeof dir, s->cq_dir, name, qid);
    int rc = rmq_mkdir_p(dir, 0755);
    c = calloc(1, sizeof *c);
    if (rc < 0 || !c ||
        (rc = rmq_cq_open(c, dir, name, qid, s->o.cq_file_size, rmq_store_written(s), err)) < 0) {
        if (!c)
            rmq_seterr(err, -ENOMEM, "out of memory");
        else if (rc < 0 && !err[0])
            rmq_seterr(err, rc, "cannot create queue directory '%s': %s", dir, strerror(-rc));
        free(c);
        return NULL;
    }
    if (s->nqueues + 1 > s->nbuckets)
        grow_table(s);
    size_t k = bucket_of(s, c->topic, tlen, qid);
    c->next = s->buckets[k];
    s->buckets[k] = c;
    s->nqueues++;
    s->entries_total += c->max_offset - c->min_offset;
    return *slot = c;
}

/* --- writing --- */

int rmq_store_put(struct rmq_store *s, const struct rmq_msg_in *in, struct rmq_put_result *r,
                  char *err)
{
    int w = rmq_store_writable(s);
    if (w)
        return rmq_seterr(err, w, w == RMQ_EFULL ? "disk full: store '%s' refuses writes until space is freed"
                                                 : "store '%s' refuses writes after a failed disk sync",
                          s->root);
    if (in->body_len > s->o.max_message_size)
        return rmq_seterr(err, RMQ_ETOOBIG, "message body of %zu bytes is over maxMessageSize %zu",
                          in->body_len, s->o.max_message_size);
    if (in->props_len + (s->o.record_crc ? RMQ_MSG_CRC_PROP_LEN : 0) > RMQ_MAX_PROPS_LEN)
        return rmq_seterr(err, RMQ_ETOOBIG, "properties of %zu bytes are over %d", in->props_len,
                          RMQ_MAX_PROPS_LEN);
    err[0] = 0;
    struct rmq_cq *cq = rmq_store_cq_get(s, in->topic, in->topic_len, in->queue_id, true, err);
    if (!cq)
        return err[0] ? RMQ_EINVAL : -ENOMEM;
    /* prepared and rolled-back transaction records get no queue entry (PROTOCOL §4.5) */
    uint32_t tx = in->sys_flag & RMQ_SYSFLAG_TX_MASK;
    bool queued = tx != RMQ_SYSFLAG_TX_PREPARED && tx != RMQ_SYSFLAG_TX_ROLLBACK;
    int64_t qoff = queued ? cq->next_assign : 0;
    /* one clock read per batch: per put it was ~3 % of a broker's 128 B sends */
    if (!s->batch_ts)
        s->batch_ts = rmq_now_ms();
    int64_t now = s->batch_ts;
    struct rmq_msg_in m = *in;
    m.with_record_crc = s->o.record_crc;
    m.store_host = s->o.store_host;   /* the broker's brokerIP1:listenPort, whoever writes */
    int rc = rmq_cl_append(&s->cl, &m, qoff, now, &r->phys, &r->size, err);
    if (rc == -ENOSPC)
        return rmq_seterr(err, RMQ_EFULL, "disk full: cannot create the next commitlog segment in '%s'",
                          s->cl_dir);
    if (rc)
        return rc;
    if (queued)
        cq->next_assign++;
    r->queue_offset = qoff;
    r->store_ts = now;
    r->end = r->phys + (int64_t)r->size;
    s->last_store_ts = now;
    return 0;
}

void rmq_store_commit(struct rmq_store *s)
{
    s->batch_ts = 0;
    if (s->cl.wrote == atomic_load_explicit(&s->cl.written, memory_order_relaxed))
        return;
    if (s->o.sync_flush) {
        rmq_cl_publish(&s->cl);
        pthread_mutex_lock(&s->flush_lock);
        s->kick = true;
        pthread_cond_signal(&s->flush_cond);
        pthread_mutex_unlock(&s->flush_lock);
    } else {
        /* queue entries first, from the staging buffer, then the records into the file:
         * both before anyone else runs on this thread, so no reader sees one without the
         * other; reading the fresh records through the mapping instead made the loop
         * thread fault on them, and those faults read ahead (zeroing fresh pages) */
        rmq_store_dispatch_to(s, s->cl.wrote);
        rmq_cl_publish(&s->cl);
    }
    rmq_preparer_kick(s);   /* after dispatch: it may have filled the index file */
}

int64_t rmq_store_written(const struct rmq_store *s) { return atomic_load(&s->cl.written); }
int64_t rmq_store_flushed(const struct rmq_store *s) { return atomic_load(&s->cl.flushed); }
int64_t rmq_store_min_phys(const struct rmq_store *s)
{
    int64_t m = rmq_mq_min_offset(&s->cl.mq);
    return m < 0 ? s->cl.wrote : m;
}

int rmq_store_writable(const struct rmq_store *s)
{
    if (atomic_load(&s->disk_full))
        return RMQ_EFULL;
    return atomic_load(&s->io_error);
}

const struct rmq_store_stats *rmq_store_stats(const struct rmq_store *s) { return &s->stats; }

/* --- reading --- */

const struct rmq_cq *rmq_store_queue(const struct rmq_store *s, const char *topic, int32_t qid)
{
    return rmq_store_cq_get((struct rmq_store *)s, topic, strlen(topic), qid, false, NULL);
}

const uint8_t *rmq_store_raw(struct rmq_store *s, int64_t phys, size_t *avail)
{
    return rmq_cl_at(&s->cl, phys, avail);
}

const uint8_t *rmq_store_pin(struct rmq_store *s, int64_t phys, size_t *avail, void **pin)
{
    const uint8_t *p = rmq_cl_at(&s->cl, phys, avail);
    if (!p)
        return NULL;
    struct rmq_mfile *f = rmq_mq_find(&s->cl.mq, phys);
    rmq_mfile_ref(f);
    *pin = f;
    return p;
}

void rmq_store_unpin(void *pin) { rmq_mfile_unref(pin); }

int rmq_store_read(struct rmq_store *s, int64_t phys, struct rmq_msg *m, int check, char *err)
{
    int n = rmq_cl_read(&s->cl, phys, m, check, err);
    if (n == 0)
        return rmq_seterr(err, RMQ_ENOTFOUND, "offset %lld is an end-of-segment marker", (long long)phys);
    return n;
}

int rmq_store_get(struct rmq_store *s, const char *topic, int32_t qid, int64_t qoff,
                  struct rmq_msg *m, char *err)
{
    const struct rmq_cq *cq = rmq_store_queue(s, topic, qid);
    struct rmq_cq_entry e;
    if (!cq || rmq_cq_get(cq, qoff, &e) < 0 || e.size == RMQ_CQ_BLANK_SIZE)
        return rmq_seterr(err, RMQ_ENOTFOUND, "no message at %s/%d offset %lld", topic, qid, (long long)qoff);
    int n = rmq_store_read(s, e.phys, m, RMQ_MSG_CHECK_NONE, err);
    return n < 0 ? n : 0;
}

static int64_t entry_time(struct rmq_store *s, const struct rmq_cq *cq, int64_t q)
{
    struct rmq_cq_entry e;
    struct rmq_msg m;
    char err[RMQ_ERRLEN];
    if (rmq_cq_get(cq, q, &e) < 0 || e.size == RMQ_CQ_BLANK_SIZE ||
        rmq_store_read(s, e.phys, &m, RMQ_MSG_CHECK_NONE, err) <= 0)
        return -1;
    return m.store_ts;
}

int64_t rmq_store_offset_by_time(struct rmq_store *s, const char *topic, int32_t qid, int64_t ts_ms)
{
    const struct rmq_cq *cq = rmq_store_queue(s, topic, qid);
    if (!cq)
        return 0;
    /* binary search for the first entry stored at or after ts; unreadable (blank or
     * retired) entries count as older */
    int64_t lo = cq->min_offset, hi = cq->max_offset;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int64_t t = entry_time(s, cq, mid);
        if (t >= ts_ms)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static bool has_key(const struct rmq_msg *m, const char *key)
{
    size_t klen = strlen(key), vlen;
    const char *v = rmq_props_get(m->props, m->props_len, RMQ_PROP_UNIQ_KEY, &vlen);
    if (v && vlen == klen && memcmp(v, key, klen) == 0)
        return true;
    v = rmq_props_get(m->props, m->props_len, RMQ_PROP_KEYS, &vlen);
    for (const char *end = v + vlen; v && v < end;) {
        const char *sp = memchr(v, ' ', (size_t)(end - v));
        size_t n = sp ? (size_t)(sp - v) : (size_t)(end - v);
        if (n == klen && memcmp(v, key, klen) == 0)
            return true;
        v += n + 1;
    }
    return false;
}

int rmq_store_query_key(struct rmq_store *s, const char *topic, const char *key,
                        int64_t begin_ms, int64_t end_ms, int max, int64_t *phys_out)
{
    if (!s->index || max <= 0)
        return 0;
    int64_t cand[256];
    int want = max < 256 ? max : 256;
    int n = rmq_index_query(s->index, topic, strlen(topic), key, strlen(key), begin_ms, end_ms,
                            want, cand);
    int found = 0;
    char err[RMQ_ERRLEN];
    for (int i = 0; i < n && found < max; i++) {
        struct rmq_msg m;
        /* index entries are candidates: hash collisions and retired data are filtered here */
        if (cand[i] < rmq_store_min_phys(s) || cand[i] >= rmq_store_written(s) ||
            rmq_store_read(s, cand[i], &m, RMQ_MSG_CHECK_NONE, err) <= 0)
            continue;
        if (m.topic_len != strlen(topic) || memcmp(m.topic, topic, m.topic_len) != 0 ||
            m.store_ts < begin_ms || m.store_ts > end_ms || !has_key(&m, key))
            continue;
        phys_out[found++] = cand[i];
    }
    return found;
}

void rmq_store_foreach_queue(struct rmq_store *s, void (*fn)(void *arg, const struct rmq_cq *cq),
                             void *arg)
{
    for (size_t b = 0; b < s->nbuckets; b++)
        for (struct rmq_cq *cq = s->buckets[b]; cq; cq = cq->next)
            fn(arg, cq);
}

int rmq_store_delete_topic(struct rmq_store *s, const char *topic)
{
    int n = 0;
    for (size_t b = 0; b < s->nbuckets; b++) {
        for (struct rmq_cq **pp = &s->buckets[b]; *pp;) {
            struct rmq_cq *cq = *pp;
            if (strcmp(cq->topic, topic) != 0) {
                pp = &cq->next;
                continue;
            }
            *pp = cq->next;
            s->entries_total -= cq->max_offset - cq->min_offset;
            for (int i = 0; i < cq->mq.nfiles; i++)
                cq->mq.files[i]->unlink_on_close = true;
            char dir[PATH_MAX];
            snprintf(dir, sizeof dir, "%s", cq->mq.dir);
            rmq_cq_close(cq);
            rmdir(dir);
            free(cq);
            s->nqueues--;
            n++;
        }
    }
    memset(s->cq_cache, 0, sizeof s->cq_cache);
    char dir[PATH_MAX + 160];
    snprintf(dir, sizeof dir, "%s/%s", s->cq_dir, topic);
    rmdir(dir);
    rmq_store_publish_marks(s);
    return n;
}
