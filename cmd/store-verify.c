/*
 * store-verify.c — `rmq store verify`: checks every byte of a store that has a rule.
 *
 * Records (magic, size, CRCs, position), segment ends and what follows the end of the log,
 * the checkpoint against the log's end, every consume-queue entry against its record and
 * every record against its entry, every index entry against its record's keys and every
 * hash slot against its chain. One line per problem (at most MAX_LINES per area; a run of
 * entries with the same problem is one line), one summary line per area; exit 1 on any
 * problem.
 */
#include "cmd.h"
#include "store-int.h"

#include "store/index.h"
#include "util/err.h"
#include "util/hash.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES 50

/* Per area: its name and what its summary line counts. */
static const struct {
    const char *name, *file, *files, *item, *items;
} areas[RMQ_AREA_N] = {
    [RMQ_AREA_COMMITLOG] = {"commitlog", "segment", "segments", "record", "records"},
    [RMQ_AREA_CQ] = {"consumequeue", "queue", "queues", "entry", "entries"},
    [RMQ_AREA_INDEX] = {"index", "file", "files", "entry", "entries"},
};

struct area {
    long long errors, hidden;   /* problems (entries), lines not shown */
    struct rmq_notes lines;
};

struct run;

struct vctx {
    const struct rmq_reader *r;
    struct area a[RMQ_AREA_N];
    const struct rmq_rqueue *last_q;
    struct run *missing;        /* open runs of missing queue entries, see check_record_queued */
    int nmissing;
    long long records, entries, index_entries, expired;
};

/* Records a problem worth n errors (a run of n entries is one line). */
static void problem_n(struct vctx *v, int area, long long n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem_n(struct vctx *v, int area, long long n, const char *fmt, ...)
{
    struct area *a = &v->a[area];
    a->errors += n;
    if (a->lines.n >= MAX_LINES) {
        a->hidden++;
        return;
    }
    char line[RMQ_ERRLEN + 512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    rmq_notes_add(&a->lines, "%s", line);
}
#define problem(v, area, ...) problem_n(v, area, 1, __VA_ARGS__)

/*
 * Consecutive entries with the same problem (a lost file, a cut segment) make one line,
 * "WHERE: entries A..B: WHAT (N of them, at PHYS_A..PHYS_B; first: WHY)", not thousands.
 */
struct run {
    char where[RMQ_MAX_TOPIC_LEN + 64];
    const char *what, *unit;
    int area;
    long long first, last;
    int64_t phys_first, phys_last;
    char why[256];
};

static void run_flush(struct vctx *v, struct run *r)
{
    if (!r->what)
        return;
    long long n = r->last - r->first + 1;
    if (n == 1)
        problem(v, r->area, "%s: %s %lld: %s (at %lld%s%s)", r->where, r->unit, r->first, r->what,
                (long long)r->phys_first, r->why[0] ? ": " : "", r->why);
    else
        problem_n(v, r->area, n, "%s: %s %lld..%lld: %s (%lld of them, at %lld..%lld; first: %s)",
                  r->where, strcmp(r->unit, "entry") ? "queue offsets" : "entries", r->first, r->last, r->what, n, (long long)r->phys_first,
                  (long long)r->phys_last, r->why[0] ? r->why : "-");
    r->what = NULL;
}

static void run_add(struct vctx *v, struct run *r, int area, const char *where, const char *unit,
                    const char *what, long long no, int64_t phys, const char *why)
{
    if (r->what && (r->what != what || r->last + 1 != no || strcmp(r->where, where) != 0))
        run_flush(v, r);
    if (!r->what) {
        snprintf(r->where, sizeof r->where, "%s", where);
        snprintf(r->why, sizeof r->why, "%s", why ? why : "");
        r->what = what;
        r->unit = unit;
        r->area = area;
        r->first = no;
        r->phys_first = phys;
    }
    r->last = no;
    r->phys_last = phys;
}

static bool queued_type(uint32_t sys_flag)
{
    uint32_t tx = sys_flag & RMQ_SYSFLAG_TX_MASK;
    return tx != RMQ_SYSFLAG_TX_PREPARED && tx != RMQ_SYSFLAG_TX_ROLLBACK;
}

static int64_t tag_code(const struct rmq_msg *m)
{
    size_t n;
    const char *t = rmq_props_get(m->props, m->props_len, RMQ_PROP_TAGS, &n);
    return t ? (int64_t)rmq_java_hash(t, n) : 0;
}

static const char MISSING[] = "no entry for the record";
static const char NOWHERE[] = "points where no record starts";
static const char NOT_START[] = "phyOffset is not a record start";

/* A record in the log must have its consume-queue entry. */
static void check_record_queued(struct vctx *v, const struct rmq_msg *m)
{
    const struct rmq_rqueue *q = v->last_q;
    if (!q || q->qid != m->queue_id || strlen(q->topic) != m->topic_len ||
        memcmp(q->topic, m->topic, m->topic_len) != 0)
        q = v->last_q = rmq_reader_queue(v->r, m->topic, m->topic_len, m->queue_id);
    struct rmq_cq_entry e;
    const char *what = NULL;
    if (!q)
        what = "its queue does not exist";
    else if (m->queue_offset >= q->max_offset || rmq_reader_cq_get(q, m->queue_offset, &e, NULL) < 0)
        what = "no entry";
    else if (e.size == RMQ_CQ_BLANK_SIZE)
        what = "the entry is blank";
    if (what) {
        char where[RMQ_MAX_TOPIC_LEN + 64];
        snprintf(where, sizeof where, "consumequeue/%.*s/%d", (int)m->topic_len, m->topic, m->queue_id);
        /* records of many queues interleave in the log: one open run per queue */
        struct run *r = NULL;
        for (int i = v->nmissing; i-- > 0 && i >= v->nmissing - 64 && !r;)
            if (strcmp(v->missing[i].where, where) == 0)
                r = &v->missing[i];
        if (!r) {
            struct run *nv = realloc(v->missing, (size_t)(v->nmissing + 1) * sizeof *nv);
            if (!nv)
                return;
            v->missing = nv;
            r = &v->missing[v->nmissing++];
            memset(r, 0, sizeof *r);
        }
        run_add(v, r, RMQ_AREA_CQ, where, "queue offset", MISSING, m->queue_offset,
                m->phys_offset, what);
        return;
    }
    if (e.phys == m->phys_offset)
        return;
    /* the entry points elsewhere: the entry pass reports it unless it is a valid twin */
    struct rmq_msg o;
    if (rmq_reader_read(v->r, e.phys, &o, RMQ_MSG_CHECK_NONE, NULL) > 0 &&
        o.queue_id == m->queue_id && o.queue_offset == m->queue_offset &&
        o.topic_len == m->topic_len && memcmp(o.topic, m->topic, m->topic_len) == 0)
        problem(v, RMQ_AREA_CQ, "consumequeue/%s/%d: queue offset %lld: two records claim it "
                "(at %lld and %lld); the entry points at the first", q->topic, q->qid,
                (long long)m->queue_offset, (long long)e.phys, (long long)m->phys_offset);
}

static int64_t verify_commitlog(struct vctx *v)
{
    const struct rmq_reader *r = v->r;
    struct rmq_cl_iter it;
    struct rmq_cl_item x;
    int64_t log_end = rmq_reader_cl_min(r);
    rmq_cl_iter_init(&it, r, -1, RMQ_MSG_CHECK_CRC);
    while (rmq_cl_iter_next(&it, &x)) {
        const char *sn = store_seg_name(r, x.seg);
        switch (x.kind) {
        case RMQ_CL_RECORD:
            v->records++;
            log_end = x.next;
            /* no writer puts NUL bytes in properties; without __CRC32# nothing else would
             * notice a torn write that zeroed the record's tail */
            if (!x.m.has_record_crc && memchr(x.m.props, 0, x.m.props_len))
                problem(v, RMQ_AREA_COMMITLOG, "commitlog/%s: record at %lld: properties contain zero "
                        "bytes and no __CRC32# record CRC covers them (torn write?)", sn, (long long)x.off);
            if (queued_type(x.m.sys_flag))
                check_record_queued(v, &x.m);
            break;
        case RMQ_CL_BLANK:
            if (x.last)
                problem(v, RMQ_AREA_COMMITLOG, "commitlog/%s: end-of-segment marker at %lld in the "
                        "last segment (the next segment is missing)", sn, (long long)x.off);
            break;
        case RMQ_CL_BAD:
            if (x.decoded)
                v->records++;
            if (!x.decoded && (x.next > x.off + 1 || x.next == x.off))
                problem(v, RMQ_AREA_COMMITLOG, "commitlog/%s: record at %lld: %s; %lld bytes "
                        "skipped to %lld", sn, (long long)x.off, x.why,
                        (long long)(x.next - x.off), (long long)x.next);
            else
                problem(v, RMQ_AREA_COMMITLOG, "commitlog/%s: record at %lld: %s", sn,
                        (long long)x.off, x.why);
            break;
        case RMQ_CL_END:
            if (x.last)
                log_end = x.off;
            else
                problem(v, RMQ_AREA_COMMITLOG, "commitlog/%s: data ends at %lld without an "
                        "end-of-segment marker", sn, (long long)x.off);
            if (x.garbage_at >= 0)
                problem(v, RMQ_AREA_COMMITLOG, "commitlog/%s: garbage after end of %s at %lld", sn,
                        x.last ? "log" : "segment data", (long long)x.garbage_at);
            break;
        }
    }
    return log_end;
}

static void verify_checkpoint(struct vctx *v, int64_t log_end)
{
    char err[RMQ_ERRLEN];
    struct rmq_checkpoint cp;
    if (store_read_checkpoint(v->r, &cp, err) < 0) {
        problem(v, RMQ_AREA_COMMITLOG, "checkpoint: %s", err);
        return;
    }
    if (cp.valid && v->r->nsegs && cp.cl_flushed > log_end)
        problem(v, RMQ_AREA_COMMITLOG, "checkpoint: flushed offset %lld is past the end of the "
                "log at %lld (flushed data was lost)", (long long)cp.cl_flushed, (long long)log_end);
}

/*
 * The record a queue or index entry (number no, at phys) points at, into m: true when there
 * is one to check. An entry below the start of the log is expired (counted, not checked);
 * one where no record starts joins run as `what`, else the open run ends here.
 */
static bool entry_record(struct vctx *v, struct run *run, int area, const char *where,
                         const char *what, long long no, int64_t phys, struct rmq_msg *m)
{
    int64_t cl_min = rmq_reader_cl_min(v->r);
    if (cl_min >= 0 && phys < cl_min) {
        v->expired++;   /* its record aged out of the log */
        return false;
    }
    char err[RMQ_ERRLEN];
    if (rmq_reader_read(v->r, phys, m, RMQ_MSG_CHECK_NONE, err) <= 0) {
        run_add(v, run, area, where, "entry", what, no, phys, err);
        return false;
    }
    run_flush(v, run);
    return true;
}

static void verify_queues(struct vctx *v)
{
    const struct rmq_reader *r = v->r;
    struct run run = {0};
    for (int i = 0; i < r->nqueues; i++) {
        const struct rmq_rqueue *q = &r->queues[i];
        for (int64_t qo = q->first; qo < q->max_offset; qo++) {
            struct rmq_cq_entry e;
            const struct rmq_rfile *f;
            if (rmq_reader_cq_get(q, qo, &e, &f) < 0 || e.size == RMQ_CQ_BLANK_SIZE)
                continue;
            v->entries++;
            struct rmq_msg m;
            if (!entry_record(v, &run, RMQ_AREA_CQ, q->rel, NOWHERE, qo, e.phys, &m))
                continue;
            char bad[512] = "";
            size_t k = 0;
#define BAD(...) (k += (size_t)snprintf(bad + k, k < sizeof bad ? sizeof bad - k : 0, __VA_ARGS__))
            if (m.topic_len != strlen(q->topic) || memcmp(m.topic, q->topic, m.topic_len) != 0)
                BAD(", topic '%.*s'", (int)m.topic_len, m.topic);
            if (m.queue_id != q->qid)
                BAD(", queue id %d", m.queue_id);
            if (m.queue_offset != qo)
                BAD(", queue offset %lld", (long long)m.queue_offset);
            if ((uint32_t)e.size != m.total_size)
                BAD(", size %u (entry says %d)", m.total_size, e.size);
            if (strcmp(q->topic, "SCHEDULE_TOPIC_XXXX") != 0 && e.tag != tag_code(&m))
                BAD(", tag hash %lld (entry says %lld)", (long long)tag_code(&m), (long long)e.tag);
            if (!queued_type(m.sys_flag))
                BAD(", a prepared or rolled-back transaction record");
#undef BAD
            if (k)
                problem(v, RMQ_AREA_CQ, "%s/%s: entry %lld: the record at %lld has%s", q->rel,
                        f->name, (long long)qo, (long long)e.phys, bad + 1);
        }
        run_flush(v, &run);
        if (q->garbage_at >= 0)
            problem(v, RMQ_AREA_CQ, "%s: non-empty entry %lld after the end of the queue at %lld",
                    q->rel, (long long)q->garbage_at, (long long)q->max_offset);
    }
}

/* Whether hash is |hashCode("topic#key")| of one of the record's keys. */
static bool key_matches(const struct rmq_msg *m, uint32_t hash)
{
    const char *keys[2] = {RMQ_PROP_UNIQ_KEY, RMQ_PROP_KEYS};
    for (int i = 0; i < 2; i++) {
        size_t n;
        const char *val = rmq_props_get(m->props, m->props_len, keys[i], &n);
        for (const char *end = val + n; val && val < end;) {
            const char *sp = i ? memchr(val, ' ', (size_t)(end - val)) : NULL;
            size_t k = sp ? (size_t)(sp - val) : (size_t)(end - val);
            uint32_t h;
            if (k && rmq_index_key_hash(m->topic, m->topic_len, val, k, &h) == 0 && h == hash)
                return true;
            val += k + 1;
        }
    }
    return false;
}

static void verify_index(struct vctx *v)
{
    const struct rmq_reader *r = v->r;
    struct run run = {0};
    for (int i = 0; i < r->nindex; i++) {
        const struct rmq_rindex *x = &r->index[i];
        if (!x->usable)
            continue;
        char where[64];
        snprintf(where, sizeof where, "index/%s", x->f.name);
        for (uint32_t n = 1; n < x->count; n++) {
            struct rmq_rindex_entry e, p;
            rmq_reader_index_entry(x, n, &e);
            v->index_entries++;
            if (e.prev >= n) {
                problem(v, RMQ_AREA_INDEX, "index/%s: entry %u: prevIndex %u is not an older entry",
                        x->f.name, n, e.prev);
            } else if (e.prev) {
                rmq_reader_index_entry(x, e.prev, &p);
                if (p.key_hash % x->slots != e.key_hash % x->slots)
                    problem(v, RMQ_AREA_INDEX, "index/%s: entry %u: prevIndex %u is in another hash slot",
                            x->f.name, n, e.prev);
            }
            struct rmq_msg m;
            if (!entry_record(v, &run, RMQ_AREA_INDEX, where, NOT_START, n, e.phys, &m))
                continue;
            if (!key_matches(&m, e.key_hash))
                problem(v, RMQ_AREA_INDEX, "index/%s: entry %u: keyHash %u matches no key of the "
                        "record at %lld", x->f.name, n, e.key_hash, (long long)e.phys);
        }
        run_flush(v, &run);
        for (uint32_t s = 0; s < x->slots; s++) {
            uint32_t head = rmq_reader_index_slot(x, s);
            struct rmq_rindex_entry e;
            if (head == 0)
                continue;
            if (head >= x->count)
                problem(v, RMQ_AREA_INDEX, "index/%s: slot %u: points at entry %u, past indexCount %u",
                        x->f.name, s, head, x->count);
            else if (rmq_reader_index_entry(x, head, &e), e.key_hash % x->slots != s)
                problem(v, RMQ_AREA_INDEX, "index/%s: slot %u: heads entry %u of another slot",
                        x->f.name, s, head);
        }
    }
}

int store_verify(const struct sopts *o, struct rmq_reader *r)
{
    struct vctx v = {.r = r};
    for (int a = 0; a < RMQ_AREA_N; a++)
        for (int i = 0; i < r->notes[a].n; i++)
            problem(&v, a, "%s", r->notes[a].v[i]);
    int64_t log_end = verify_commitlog(&v);
    for (int i = 0; i < v.nmissing; i++)
        run_flush(&v, &v.missing[i]);
    free(v.missing);
    verify_checkpoint(&v, log_end);
    verify_queues(&v);
    verify_index(&v);
    const long long files[RMQ_AREA_N] = {r->nsegs, r->nqueues, r->nindex};
    const long long items[RMQ_AREA_N] = {v.records, v.entries, v.index_entries};
    long long total = 0;
    for (int a = 0; a < RMQ_AREA_N; a++) {
        struct area *ar = &v.a[a];
        for (int i = 0; i < ar->lines.n; i++) {
            printf("%s\n", ar->lines.v[i]);
            free(ar->lines.v[i]);
        }
        free(ar->lines.v);
        if (ar->hidden)
            printf("%s: ... and %lld more problem lines\n", areas[a].name, ar->hidden);
        total += ar->errors;
        if (o->quiet)
            continue;
        printf("%s: %lld %s, %lld %s, %lld %s\n", areas[a].name,
               files[a], store_plural(files[a], areas[a].file, areas[a].files),
               items[a], store_plural(items[a], areas[a].item, areas[a].items),
               ar->errors, store_plural(ar->errors, "error", "errors"));
    }
    if (!o->quiet && v.expired)
        printf("(%lld queue and index entries point below the start of the log: expired, not checked)\n",
               v.expired);
    return total ? 1 : 0;
}
