/*
 * reader.c — the read-only store view (see reader.h): mapping files, open/close, and the
 * commitlog (lookups and the walk). Consume queues and index files are in reader_queues.c.
 * Nothing here opens a file for writing; every map is PROT_READ.
 */
#include "store/reader.h"
#include "store/reader_int.h"

#include "util/bytes.h"
#include "util/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void rmq_notes_add(struct rmq_notes *n, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    int rc = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return;
    if (n->n == n->cap) {
        int cap = n->cap ? n->cap * 2 : 16;
        char **v = realloc(n->v, (size_t)cap * sizeof *v);
        if (!v) {
            free(s);
            return;
        }
        n->v = v;
        n->cap = cap;
    }
    n->v[n->n++] = s;
}

static void notes_free(struct rmq_notes *n)
{
    for (int i = 0; i < n->n; i++)
        free(n->v[i]);
    free(n->v);
}

static bool digits(const char *s, size_t want)
{
    if (strlen(s) != want)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* Maps dir/name read-only. 0, or -errno with err. */
static int map_file(const char *dir, const char *name, struct rmq_rfile *f, char *err)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return rmq_seterr(err, -e, "cannot open '%s': %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return rmq_seterr(err, RMQ_EINVAL, "'%s' is not a regular file", path);
    }
    f->len = (size_t)st.st_size;
    if (f->len > 0) {
        void *p = mmap(NULL, f->len, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            return rmq_seterr(err, -e, "cannot map '%s': %s", path, strerror(e));
        }
        f->map = p;
    }
    close(fd);   /* the mapping keeps the file */
    return 0;
}

void rmq_reader_unmap(struct rmq_rfile *f)
{
    if (f->map)
        munmap((void *)f->map, f->len);
    f->map = NULL;
}

void rmq_reader_free_files(struct rmq_rfile *f, int n)
{
    for (int i = 0; i < n; i++)
        rmq_reader_unmap(&f[i]);
    free(f);
}

int rmq_reader_load_dir(const char *dir, size_t ndig, struct rmq_rfile **files, const char *rel,
                        struct rmq_notes *notes)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        return -errno;
    struct rmq_rfile *v = calloc((size_t)n + 1, sizeof *v);
    int k = 0;
    for (int i = 0; i < n; i++) {
        char err[RMQ_ERRLEN];
        /* offsets past 2^60 cannot be real, and would overflow start + size */
        if (v && digits(names[i]->d_name, ndig) && ndig == 20 &&
            strtoull(names[i]->d_name, NULL, 10) > (1ULL << 60)) {
            rmq_notes_add(notes, "%s/%s: offset out of range, ignored", rel, names[i]->d_name);
        } else if (v && digits(names[i]->d_name, ndig)) {
            if (map_file(dir, names[i]->d_name, &v[k], err) == 0) {
                v[k].start = ndig == 20 ? strtoll(names[i]->d_name, NULL, 10) : 0;
                k++;
            } else {
                rmq_notes_add(notes, "%s/%s: %s", rel, names[i]->d_name, err);
            }
        }
        free(names[i]);
    }
    free(names);
    if (!v)
        return -ENOMEM;
    *files = v;
    return k;
}

size_t rmq_reader_infer_size(const struct rmq_rfile *f, int n, size_t unit)
{
    size_t maxlen = 0, mind = 0;
    for (int i = 0; i < n; i++) {
        if (f[i].len > maxlen)
            maxlen = f[i].len;
        if (i > 0) {
            size_t d = (size_t)(f[i].start - f[i - 1].start);
            if (d > 0 && (mind == 0 || d < mind))
                mind = d;
        }
    }
    size_t s = mind ? mind : maxlen;
    if (mind && maxlen && maxlen < mind && mind % maxlen == 0)
        s = maxlen;
    return s - s % unit;
}

void rmq_reader_check_sizes(struct rmq_rfile *f, int n, size_t size, const char *rel,
                            const char *what, struct rmq_notes *notes)
{
    for (int i = 0; i < n; i++) {
        if (f[i].len < size)
            rmq_notes_add(notes, "%s/%s: file is %zu bytes, %s size is %zu (truncated)", rel,
                          f[i].name, f[i].len, what, size);
        else if (f[i].len > size) {
            rmq_notes_add(notes, "%s/%s: file is %zu bytes, larger than the %s size %zu; "
                          "the rest is ignored", rel, f[i].name, f[i].len, what, size);
            f[i].len = size;
        }
        if (size && f[i].start % (int64_t)size)
            rmq_notes_add(notes, "%s/%s: name is not a multiple of the %s size %zu", rel,
                          f[i].name, what, size);
    }
}

int rmq_reader_find_file(const struct rmq_rfile *f, int n, size_t size, int64_t pos)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (pos < f[mid].start)
            hi = mid - 1;
        else if (pos >= f[mid].start + (int64_t)size)
            lo = mid + 1;
        else
            return mid;
    }
    return -1;
}

/* --- open / close --- */

int rmq_reader_open(struct rmq_reader **out, const struct rmq_reader_opts *o, char *err)
{
    struct rmq_reader *r = calloc(1, sizeof *r);
    if (!r)
        return rmq_seterr(err, -ENOMEM, "out of memory");
    snprintf(r->root, sizeof r->root, "%s", o->root);
    if (o->commitlog_dir)
        snprintf(r->cl_dir, sizeof r->cl_dir, "%s", o->commitlog_dir);
    else
        snprintf(r->cl_dir, sizeof r->cl_dir, "%s/commitlog", o->root);
    struct stat st;
    int rc = stat(r->root, &st) < 0 ? -errno : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
    if (rc) {
        rmq_seterr(err, rc, "cannot read store directory '%s': %s", r->root, strerror(-rc));
        free(r);
        return rc;
    }
    int n = rmq_reader_load_dir(r->cl_dir, 20, &r->segs, "commitlog", &r->notes[RMQ_AREA_COMMITLOG]);
    if (n < 0) {
        rc = rmq_seterr(err, n, "cannot read commitlog directory '%s': %s", r->cl_dir,
                            strerror(-n));
        rmq_reader_close(r);
        return rc;
    }
    r->nsegs = n;
    r->last_data = n - 1;
    static const uint8_t zero[8];
    while (r->last_data > 0) {
        const struct rmq_rfile *f = &r->segs[r->last_data];
        if (f->map && f->len >= 8 && memcmp(f->map, zero, 8) != 0)
            break;
        r->last_data--;
    }
    r->seg_size = rmq_reader_infer_size(r->segs, n, 1);
    rmq_reader_check_sizes(r->segs, n, r->seg_size, "commitlog", "segment",
                           &r->notes[RMQ_AREA_COMMITLOG]);
    rmq_reader_load_queues(r);
    rmq_reader_load_index(r, o->index_slots);
    *out = r;
    return 0;
}

void rmq_reader_close(struct rmq_reader *r)
{
    if (!r)
        return;
    rmq_reader_free_files(r->segs, r->nsegs);
    for (int i = 0; i < r->nqueues; i++)
        rmq_reader_free_files(r->queues[i].files, r->queues[i].nfiles);
    free(r->queues);
    for (int i = 0; i < r->nindex; i++)
        rmq_reader_unmap(&r->index[i].f);
    free(r->index);
    for (int a = 0; a < RMQ_AREA_N; a++)
        notes_free(&r->notes[a]);
    free(r);
}

/* --- commitlog --- */

int64_t rmq_reader_cl_min(const struct rmq_reader *r) { return r->nsegs ? r->segs[0].start : -1; }

int rmq_reader_seg_of(const struct rmq_reader *r, int64_t off)
{
    return rmq_reader_find_file(r->segs, r->nsegs, r->seg_size, off);
}

const uint8_t *rmq_reader_cl_at(const struct rmq_reader *r, int64_t off, size_t *avail)
{
    int s = rmq_reader_seg_of(r, off);
    if (s < 0)
        return NULL;
    size_t pos = (size_t)(off - r->segs[s].start);
    if (pos >= r->segs[s].len)
        return NULL;
    *avail = r->segs[s].len - pos;
    return r->segs[s].map + pos;
}

int rmq_reader_read(const struct rmq_reader *r, int64_t off, struct rmq_msg *m, int check,
                    char *err)
{
    size_t avail;
    const uint8_t *p = rmq_reader_cl_at(r, off, &avail);
    if (!p)
        return rmq_seterr(err, RMQ_ENOTFOUND, "offset %lld is not in the commitlog", (long long)off);
    int n = rmq_msg_decode(p, avail, m, check, err);
    if (n > 0 && m->phys_offset != off)
        return rmq_seterr(err, RMQ_ECORRUPT, "record claims offset %lld", (long long)m->phys_offset);
    return n;
}

void rmq_cl_iter_init(struct rmq_cl_iter *it, const struct rmq_reader *r, int64_t from, int check)
{
    memset(it, 0, sizeof *it);
    it->r = r;
    it->check = check;
    it->off = from < 0 ? rmq_reader_cl_min(r) : from;
    it->seg = from < 0 ? 0 : rmq_reader_seg_of(r, from);
    if (it->seg < 0 || r->nsegs == 0)
        it->done = true;
}

static int64_t first_nonzero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return (int64_t)i;
    return -1;
}

/* Next trustworthy boundary at or after off in segment s: a record that decodes with its
 * own offset, or a blank marker that reaches the segment end; else the segment end. */
static int64_t resync(const struct rmq_cl_iter *it, int s, int64_t off)
{
    const struct rmq_rfile *f = &it->r->segs[s];
    int64_t segend = f->start + (int64_t)it->r->seg_size;
    for (size_t pos = (size_t)(off - f->start); pos + 36 <= f->len; pos++) {
        const uint8_t *p = f->map + pos;
        uint32_t magic = rd32(p + 4);
        int64_t abs = f->start + (int64_t)pos;
        if (magic == RMQ_MAGIC_BLANK && rd32(p) == it->r->seg_size - pos)
            return abs;
        if ((magic != RMQ_MAGIC_V1 && magic != RMQ_MAGIC_V2) || (int64_t)rd64(p + 28) != abs)
            continue;
        struct rmq_msg m;
        if (rmq_msg_decode(p, f->len - pos, &m, it->check, NULL) > 0)
            return abs;
    }
    return segend;
}

int rmq_cl_iter_next(struct rmq_cl_iter *it, struct rmq_cl_item *item)
{
    const struct rmq_reader *r = it->r;
    memset(item, 0, offsetof(struct rmq_cl_item, why));
    item->why[0] = 0;
    item->garbage_at = -1;
    for (;;) {
        if (it->done || it->seg >= r->nsegs)
            return 0;
        const struct rmq_rfile *f = &r->segs[it->seg];
        int64_t segend = f->start + (int64_t)r->seg_size;
        if (it->off < f->start)
            it->off = f->start;
        if (it->off >= segend || segend - it->off < RMQ_BLANK_MIN) {
            it->seg++;
            if (it->seg < r->nsegs && r->segs[it->seg].start != segend) {
                item->kind = RMQ_CL_BAD;
                item->seg = it->seg - 1;
                item->off = segend;
                item->next = r->segs[it->seg].start;
                snprintf(item->why, sizeof item->why, "missing segment(s): %lld..%lld",
                         (long long)segend, (long long)r->segs[it->seg].start);
                it->off = item->next;
                return 1;
            }
            continue;
        }
        size_t pos = (size_t)(it->off - f->start);
        size_t left = pos < f->len ? f->len - pos : 0;
        const uint8_t *p = f->map ? f->map + pos : NULL;
        item->seg = it->seg;
        item->off = it->off;
        item->last = it->seg >= r->last_data;
        static const uint8_t zero[8];
        if (left == 0 || (left >= 8 && memcmp(p, zero, 8) == 0)) {
            item->kind = RMQ_CL_END;
            int64_t g = left ? first_nonzero(p + 8, left - 8) : -1;
            item->garbage_at = g < 0 ? -1 : it->off + 8 + g;
            item->next = segend;
            it->off = segend;
            if (item->last)
                it->done = true;
            return 1;
        }
        char err[RMQ_ERRLEN];
        int n = rmq_msg_decode(p, left, &item->m, it->check, err);
        item->kind = RMQ_CL_BAD;
        if (n == 0 && item->m.total_size == (uint64_t)(segend - it->off)) {
            item->kind = RMQ_CL_BLANK;
            item->last = it->seg == r->nsegs - 1;   /* an empty next segment is the live one */
            item->next = segend;
        } else if (n == 0) {
            snprintf(item->why, sizeof item->why, "blank marker says %u bytes, %lld left in segment",
                     item->m.total_size, (long long)(segend - it->off));
            item->next = resync(it, it->seg, it->off + 1);
        } else if (n > 0) {
            item->decoded = true;
            item->next = it->off + n;
            if (item->m.phys_offset == it->off)
                item->kind = RMQ_CL_RECORD;
            else
                snprintf(item->why, sizeof item->why, "record claims offset %lld (stale or misplaced data)",
                         (long long)item->m.phys_offset);
        } else {
            snprintf(item->why, sizeof item->why, "%s", err);
            /* fields that parse give a trustworthy size even when a CRC fails */
            int n2 = rmq_msg_decode(p, left, &item->m, RMQ_MSG_CHECK_NONE, NULL);
            if (n2 > 0) {
                item->decoded = true;
                item->next = it->off + n2;
            } else {
                item->next = resync(it, it->seg, it->off + 1);
            }
        }
        it->off = item->next;
        return 1;
    }
}
