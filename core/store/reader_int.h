/*
 * reader_int.h — what the two halves of the read-only store view share: reader.c (files,
 * open/close, the commitlog) and reader_queues.c (consume queues and index files).
 * Not for use outside core/store/reader*.c; the interface is reader.h.
 */
#ifndef RMQ_STORE_READER_INT_H
#define RMQ_STORE_READER_INT_H

#include "store/reader.h"

/* --- reader.c: mapped files --- */

/* Loads the files of dir whose names are `ndig` digits, in name order, into *files (each
 * mapped PROT_READ; start from the name when ndig is 20, else 0). Files that cannot be
 * mapped become notes, prefixed with rel. Returns the count or a negative code when dir
 * cannot be listed (-ENOENT when it does not exist); *files is then untouched. */
int rmq_reader_load_dir(const char *dir, size_t ndig, struct rmq_rfile **files, const char *rel,
                        struct rmq_notes *notes);
/* Unmaps one file (idempotent). */
void rmq_reader_unmap(struct rmq_rfile *f);
/* Unmaps n files and frees the array (from rmq_reader_load_dir). */
void rmq_reader_free_files(struct rmq_rfile *f, int n);

/* The segment size of a run of files named by offsets: the smallest distance between
 * names (a missing file makes a larger one), or the largest file when that divides it;
 * a lone file's own size. `unit` rounds it down (20 for consume queues). */
size_t rmq_reader_infer_size(const struct rmq_rfile *f, int n, size_t unit);
/* Notes files whose size disagrees with the run's segment size (`what` names it in the
 * note); a larger file's len is cut to size, so what lies beyond is never read. */
void rmq_reader_check_sizes(struct rmq_rfile *f, int n, size_t size, const char *rel,
                            const char *what, struct rmq_notes *notes);
/* The file of a run (ascending, `size` bytes apart at most) whose range
 * [start, start + size) holds the logical offset pos: its index, or -1. */
int rmq_reader_find_file(const struct rmq_rfile *f, int n, size_t size, int64_t pos);

/* --- reader_queues.c: called by rmq_reader_open --- */

/* Loads and scans <root>/consumequeue into r->queues (sorted); problems go to the
 * consume-queue notes. A missing directory is no queues. */
void rmq_reader_load_queues(struct rmq_reader *r);
/* Loads <root>/index into r->index, inferring each file's geometry (want_slots: 0, or the
 * slot count to assume) and reading its header; problems go to the index notes. */
void rmq_reader_load_index(struct rmq_reader *r, uint32_t want_slots);

#endif
