/*
 * reader_queues.c — the consume queues and index files of the read-only store view (see
 * reader.h): loading and scanning them when the view opens, and reading their entries.
 */
#include "store/reader.h"
#include "store/reader_int.h"

#include "store/index.h"
#include "util/bytes.h"
#include "util/err.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- consume queues --- */

static bool slot_empty(const uint8_t *p)
{
    static const uint8_t zero[RMQ_CQ_UNIT];
    return memcmp(p, zero, RMQ_CQ_UNIT) == 0;
}

static void scan_queue(struct rmq_rqueue *q, struct rmq_notes *notes)
{
    q->file_size = rmq_reader_infer_size(q->files, q->nfiles, RMQ_CQ_UNIT);
    rmq_reader_check_sizes(q->files, q->nfiles, q->file_size, q->rel, "queue file", notes);
    q->gap_at = q->garbage_at = -1;
    q->first = q->min_offset = q->max_offset = q->nfiles ? q->files[0].start / RMQ_CQ_UNIT : 0;
    if (q->nfiles == 0 || q->file_size == 0)
        return;
    bool ended = false, have_min = false;
    for (int i = 0; i < q->nfiles; i++) {
        const struct rmq_rfile *f = &q->files[i];
        if (i > 0 && f->start != q->files[i - 1].start + (int64_t)q->file_size && q->gap_at < 0) {
            q->gap_at = (q->files[i - 1].start + (int64_t)q->file_size) / RMQ_CQ_UNIT;
            rmq_notes_add(notes, "%s: file %020lld is missing (later files exist)", q->rel,
                          (long long)(q->gap_at * RMQ_CQ_UNIT));
            ended = true;
        }
        for (size_t pos = 0; pos + RMQ_CQ_UNIT <= f->len; pos += RMQ_CQ_UNIT) {
            const uint8_t *p = f->map + pos;
            int64_t qoff = (f->start + (int64_t)pos) / RMQ_CQ_UNIT;
            if (ended) {
                if (!slot_empty(p) && q->garbage_at < 0 && q->gap_at < 0)
                    q->garbage_at = qoff;
                continue;
            }
            if (slot_empty(p)) {
                ended = true;
                q->max_offset = qoff;
                continue;
            }
            if ((int32_t)rd32(p + 8) != RMQ_CQ_BLANK_SIZE) {
                if (!have_min)
                    q->min_offset = qoff;
                have_min = true;
                q->messages++;
            }
            q->max_offset = qoff + 1;
        }
        /* a short file ends the queue where its bytes end */
        if (f->len < q->file_size)
            ended = true;
    }
    if (!have_min)
        q->min_offset = q->max_offset;
}

static int cmp_queue(const void *a, const void *b)
{
    const struct rmq_rqueue *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->qid > y->qid) - (x->qid < y->qid);
}

void rmq_reader_load_queues(struct rmq_reader *r)
{
    char cq_root[PATH_MAX + 16];
    snprintf(cq_root, sizeof cq_root, "%s/consumequeue", r->root);
    struct rmq_notes *notes = &r->notes[RMQ_AREA_CQ];
    DIR *top = opendir(cq_root);
    if (!top)
        return;   /* no queues: verify reports the records that lack entries */
    int cap = 0;
    struct dirent *t;
    while ((t = readdir(top))) {
        if (t->d_name[0] == '.' || strlen(t->d_name) > RMQ_MAX_TOPIC_LEN)
            continue;
        char tdir[PATH_MAX + 160];
        snprintf(tdir, sizeof tdir, "%s/%s", cq_root, t->d_name);
        DIR *qd = opendir(tdir);
        if (!qd)
            continue;
        struct dirent *d;
        while ((d = readdir(qd))) {
            char *end;
            long qid = strtol(d->d_name, &end, 10);
            if (d->d_name[0] < '0' || d->d_name[0] > '9' || *end || qid > 65535)
                continue;
            if (r->nqueues == cap) {
                cap = cap ? cap * 2 : 16;
                struct rmq_rqueue *v = realloc(r->queues, (size_t)cap * sizeof *v);
                if (!v)
                    break;
                r->queues = v;
            }
            struct rmq_rqueue *q = &r->queues[r->nqueues];
            memset(q, 0, sizeof *q);
            snprintf(q->topic, sizeof q->topic, "%s", t->d_name);
            q->qid = (int32_t)qid;
            snprintf(q->rel, sizeof q->rel, "consumequeue/%s/%ld", q->topic, qid);
            char qdir[PATH_MAX + 240];
            snprintf(qdir, sizeof qdir, "%s/%s", tdir, d->d_name);
            int n = rmq_reader_load_dir(qdir, 20, &q->files, q->rel, notes);
            if (n < 0)
                continue;
            q->nfiles = n;
            r->nqueues++;
            scan_queue(q, notes);
        }
        closedir(qd);
    }
    closedir(top);
    if (r->nqueues)
        qsort(r->queues, (size_t)r->nqueues, sizeof *r->queues, cmp_queue);
}

const struct rmq_rqueue *rmq_reader_queue(const struct rmq_reader *r, const char *topic,
                                          size_t tlen, int32_t qid)
{
    struct rmq_rqueue key;
    if (tlen > RMQ_MAX_TOPIC_LEN)
        return NULL;
    memcpy(key.topic, topic, tlen);
    key.topic[tlen] = 0;
    key.qid = qid;
    if (!r->nqueues)
        return NULL;
    return bsearch(&key, r->queues, (size_t)r->nqueues, sizeof key, cmp_queue);
}

int rmq_reader_cq_get(const struct rmq_rqueue *q, int64_t qoff, struct rmq_cq_entry *e,
                      const struct rmq_rfile **file)
{
    if (qoff < 0 || q->file_size == 0 || qoff > INT64_MAX / RMQ_CQ_UNIT)
        return RMQ_ENOTFOUND;
    int64_t pos = qoff * RMQ_CQ_UNIT;
    int i = rmq_reader_find_file(q->files, q->nfiles, q->file_size, pos);
    if (i < 0)
        return RMQ_ENOTFOUND;
    const struct rmq_rfile *f = &q->files[i];
    size_t at = (size_t)(pos - f->start);
    if (at + RMQ_CQ_UNIT > f->len)
        return RMQ_ENOTFOUND;
    const uint8_t *p = f->map + at;
    e->phys = (int64_t)rd64(p);
    e->size = (int32_t)rd32(p + 8);
    e->tag = (int64_t)rd64(p + 12);
    if (file)
        *file = f;
    return 0;
}

/* --- index --- */

void rmq_reader_load_index(struct rmq_reader *r, uint32_t want_slots)
{
    char dir[PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/index", r->root);
    struct rmq_notes *notes = &r->notes[RMQ_AREA_INDEX];
    struct rmq_rfile *files = NULL;
    int n = rmq_reader_load_dir(dir, RMQ_INDEX_NAME_LEN, &files, "index", notes);
    if (n <= 0) {
        free(files);
        return;
    }
    r->index = calloc((size_t)n, sizeof *r->index);
    if (!r->index) {
        rmq_reader_free_files(files, n);
        return;
    }
    r->nindex = n;
    for (int i = 0; i < n; i++) {
        struct rmq_rindex *x = &r->index[i];
        x->f = files[i];
        uint64_t body = x->f.len > RMQ_INDEX_HEADER_SIZE ? x->f.len - RMQ_INDEX_HEADER_SIZE : 0;
        if (want_slots) {
            uint64_t rest = body >= (uint64_t)want_slots * 4 ? body - (uint64_t)want_slots * 4 : 0;
            if (rest % RMQ_INDEX_ENTRY_SIZE == 0 && rest / RMQ_INDEX_ENTRY_SIZE >= 2) {
                x->slots = want_slots;
                x->max = (uint32_t)(rest / RMQ_INDEX_ENTRY_SIZE);
            }
        } else if (body > 0 && body % 84 == 0 && body / 84 <= UINT32_MAX / 4) {
            x->slots = (uint32_t)(body / 84);   /* RocketMQ's maxIndexNum = 4 * slots */
            x->max = 4 * x->slots;
        }
        if (!x->slots) {
            rmq_notes_add(notes, "index/%s: %zu bytes fit no index geometry%s; not checked",
                          x->f.name, x->f.len, want_slots ? " with the given slot count"
                                                           : " with maxIndexNum = 4*slots (give --index-slots)");
            continue;
        }
        const uint8_t *h = x->f.map;
        x->begin_ts = (int64_t)rd64(h + RMQ_INDEX_OFF_BEGIN_TS);
        x->end_ts = (int64_t)rd64(h + RMQ_INDEX_OFF_END_TS);
        x->begin_phys = (int64_t)rd64(h + RMQ_INDEX_OFF_BEGIN_PHYS);
        x->end_phys = (int64_t)rd64(h + RMQ_INDEX_OFF_END_PHYS);
        x->slot_count = rd32(h + RMQ_INDEX_OFF_SLOT_COUNT);
        x->count = rd32(h + RMQ_INDEX_OFF_INDEX_COUNT);
        if (x->count == 0 && x->slot_count == 0)
            x->count = 1;   /* header never written: an empty file (as the store reads it) */
        if (x->count == 0 || x->count > x->max)
            rmq_notes_add(notes, "index/%s: header indexCount %u out of range [1, %u]",
                          x->f.name, x->count, x->max);
        else if (x->slot_count > x->slots)
            rmq_notes_add(notes, "index/%s: header hashSlotCount %u over the %u slots",
                          x->f.name, x->slot_count, x->slots);
        else
            x->usable = true;
    }
    free(files);
}

void rmq_reader_index_entry(const struct rmq_rindex *x, uint32_t n, struct rmq_rindex_entry *e)
{
    const uint8_t *p = x->f.map + rmq_index_entry_pos(x->slots, n);
    e->key_hash = rd32(p + RMQ_INDEX_ENT_HASH);
    e->phys = (int64_t)rd64(p + RMQ_INDEX_ENT_PHYS);
    e->time_diff = (int32_t)rd32(p + RMQ_INDEX_ENT_TIMEDIFF);
    e->prev = rd32(p + RMQ_INDEX_ENT_PREV);
}

uint32_t rmq_reader_index_slot(const struct rmq_rindex *x, uint32_t s)
{
    return rd32(x->f.map + rmq_index_slot_pos(s));
}
