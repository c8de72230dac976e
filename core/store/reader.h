/*
 * reader.h — a read-only view of a store directory, for offline tools (`rmq store verify`,
 * `stat`, `dump`) and tests.
 *
 * Why not rmq_store_open(): opening a store runs recovery, which cuts torn tails, rebuilds
 * consume queues, extends short files and takes the lock — exactly what a tool looking at a
 * damaged or live store must not do. The reader opens every file O_RDONLY and maps it
 * PROT_READ; it never creates, truncates, renames or locks anything, so it can look at a
 * store a broker is running on (what it sees is then a snapshot that may be mid-write) or
 * at one left by a crash, before recovery touches it.
 *
 * Everything it reads is untrusted: every length and offset is bounds-checked against the
 * mapped file sizes, walks always move forward, and a damaged file ends up as a problem
 * report, never as a crash or a loop. (A file truncated by another process *while* mapped
 * can still raise SIGBUS; tools run on stores at rest.)
 *
 * Geometry. Segment sizes are not stored anywhere; the reader infers them:
 *   commitlog      the distance between consecutive segment names (all must agree), or the
 *                  file size when there is one segment. A shorter file is reported as
 *                  truncated; its missing bytes read as absent, not as zeros.
 *   consume queue  likewise per queue (RocketMQ's 6,000,000-byte files by default).
 *   index          size = 40 + slots*4 + max*20 has two unknowns: given slots, or guessed
 *                  with RocketMQ's default ratio max = 4*slots ((size-40)/84 slots).
 *
 * Problems found while opening (short or oversized files, unreadable files, gaps between
 * segments) are kept as text in `notes` of the area they belong to; walks report the rest.
 * Files whose names are not 20 (index: 17) digits — e.g. the *.corrupt files recovery sets
 * aside — are ignored.
 */
#ifndef RMQ_STORE_READER_H
#define RMQ_STORE_READER_H

#include "proto/msg.h"
#include "store/consumequeue.h"
#include "util/err.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One mapped file (commitlog segment, consume-queue file or index file). */
struct rmq_rfile {
    char name[32];          /* file name within its directory */
    int64_t start;          /* logical offset of byte 0 (from the 20-digit name); 0 for index */
    size_t len;             /* bytes in the file (may be less than the segment size) */
    const uint8_t *map;     /* PROT_READ mapping of len bytes, NULL when len == 0 */
};

/* A list of problem lines, for one area. */
struct rmq_notes {
    char **v;
    int n, cap;
};

struct rmq_rqueue {
    char topic[RMQ_MAX_TOPIC_LEN + 1];
    int32_t qid;
    char rel[RMQ_MAX_TOPIC_LEN + 32];   /* "consumequeue/<topic>/<qid>" for reports */
    struct rmq_rfile *files;
    int nfiles;
    size_t file_size;       /* inferred consume-queue file size (a multiple of 20) */
    int64_t first;          /* queue offset of the first slot present (first file / 20) */
    int64_t min_offset;     /* first non-blank entry (== max_offset when none) */
    int64_t max_offset;     /* first empty (all-zero) slot: the queue's end */
    int64_t messages;       /* non-blank entries in [min_offset, max_offset) */
    int64_t garbage_at;     /* first non-empty slot after max_offset, or -1 */
    int64_t gap_at;         /* queue offset where a file is missing before later ones, -1 */
};

struct rmq_rindex {
    struct rmq_rfile f;
    bool usable;            /* geometry known and header sane: entries may be read */
    uint32_t slots, max;
    int64_t begin_ts, end_ts, begin_phys, end_phys;
    uint32_t slot_count, count;
};

struct rmq_reader_opts {
    const char *root;           /* storePathRootDir */
    const char *commitlog_dir;  /* NULL: <root>/commitlog */
    uint32_t index_slots;       /* 0: infer (see above) */
};

enum { RMQ_AREA_COMMITLOG, RMQ_AREA_CQ, RMQ_AREA_INDEX, RMQ_AREA_N };

struct rmq_reader {
    char root[PATH_MAX], cl_dir[PATH_MAX];
    struct rmq_rfile *segs;     /* commitlog segments, ascending */
    int nsegs;
    int last_data;              /* the last segment that may hold data; the ones after it
                                 * start with zeros: segments a broker made ahead and never
                                 * wrote (see store/commitlog.h), ignored as recovery does */
    size_t seg_size;            /* inferred commitlog segment size */
    struct rmq_rqueue *queues;  /* sorted by topic, then queue id */
    int nqueues;
    struct rmq_rindex *index;   /* index files in name order */
    int nindex;
    struct rmq_notes notes[RMQ_AREA_N];
};

/* Opens the view. Fails (negative code, err set) only when the root or the commitlog
 * directory cannot be read at all; everything odd inside becomes a note. */
int rmq_reader_open(struct rmq_reader **out, const struct rmq_reader_opts *o, char *err);
/* Unmaps and frees everything (NULL is a no-op). */
void rmq_reader_close(struct rmq_reader *r);

/* Appends a formatted line to notes (tools use it for their own reports too). */
void rmq_notes_add(struct rmq_notes *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- commitlog --- */

/* First offset of the log (first segment's name), or -1 without segments. */
int64_t rmq_reader_cl_min(const struct rmq_reader *r);
/* The segment holding off (index into segs), or -1. */
int rmq_reader_seg_of(const struct rmq_reader *r, int64_t off);
/* The bytes at off and how many follow in its file; NULL when off is not in a file. */
const uint8_t *rmq_reader_cl_at(const struct rmq_reader *r, int64_t off, size_t *avail);
/* Decodes the record at off (rmq_msg_decode rules): its size, 0 for a blank marker, or a
 * negative code with err. A record whose PHYSICALOFFSET differs from off is RMQ_ECORRUPT
 * (it is not a record start, or stale data). */
int rmq_reader_read(const struct rmq_reader *r, int64_t off, struct rmq_msg *m, int check,
                    char *err);

/* What a commitlog walk yields, in log order. */
enum rmq_cl_kind {
    RMQ_CL_RECORD,  /* a valid record in m (CRCs checked when the walk checks them) */
    RMQ_CL_BLANK,   /* a valid end-of-segment marker at off */
    RMQ_CL_BAD,     /* damage at off: why says what; m is usable when decoded (a record
                     * whose fields parse but whose CRC or position is wrong) */
    RMQ_CL_END,     /* the data of segment seg ends at off (zeros follow); garbage_at is
                     * the first non-zero byte after it or -1; last: no segment with data
                     * follows (only empty ones made ahead, if any); for RMQ_CL_BLANK,
                     * last means no segment file follows at all */
};

struct rmq_cl_item {
    enum rmq_cl_kind kind;
    int seg;                /* segment index */
    int64_t off;            /* where the item starts */
    int64_t next;           /* where the walk goes on */
    struct rmq_msg m;
    bool decoded;
    bool last;
    int64_t garbage_at;
    char why[RMQ_ERRLEN];
};

struct rmq_cl_iter {
    const struct rmq_reader *r;
    int64_t off;
    int seg;
    int check;              /* RMQ_MSG_CHECK_* */
    bool done;
};

/* Starts a walk at from (a record boundary; -1: the log's first byte). */
void rmq_cl_iter_init(struct rmq_cl_iter *it, const struct rmq_reader *r, int64_t from, int check);
/*
 * Next item: 1, or 0 when the walk is over. Offsets strictly increase, so a walk of any
 * file ends. After damage the walk resumes at the next record boundary it can trust: after
 * a record whose fields parse (CRC or position wrong), at its end; otherwise at the next
 * byte where a record that decodes with its own offset, or a valid blank marker, starts
 * (`next` says where; nothing found: the next segment). A missing segment between two
 * present ones is a BAD item ("missing segment") and the walk continues after it.
 */
int rmq_cl_iter_next(struct rmq_cl_iter *it, struct rmq_cl_item *item);

/* --- consume queues --- */

/* The queue for topic/qid, or NULL. */
const struct rmq_rqueue *rmq_reader_queue(const struct rmq_reader *r, const char *topic,
                                          size_t tlen, int32_t qid);
/* The entry at queue offset qoff: 0, or RMQ_ENOTFOUND when no file holds it. Reads any
 * slot present (also outside [min_offset, max_offset)); *file gets its file when non-NULL. */
int rmq_reader_cq_get(const struct rmq_rqueue *q, int64_t qoff, struct rmq_cq_entry *e,
                      const struct rmq_rfile **file);

/* --- index --- */

/* Entry n (1 <= n < count) of a usable index file. */
struct rmq_rindex_entry {
    uint32_t key_hash;
    int64_t phys;
    int32_t time_diff;
    uint32_t prev;
};
void rmq_reader_index_entry(const struct rmq_rindex *x, uint32_t n, struct rmq_rindex_entry *e);
/* Slot s (< slots) of a usable index file. */
uint32_t rmq_reader_index_slot(const struct rmq_rindex *x, uint32_t s);

#endif
