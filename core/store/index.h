/*
 * index.h — RocketMQ's message-key index (PROTOCOL §6.4), byte-compatible with the Java
 * broker's <storePathRootDir>/index/ files, so a store written by either can be queried by
 * the other (`mqadmin queryMsgByKey`, QUERY_MESSAGE).
 *
 * The index is a set of files, oldest first, each named by its creation time
 * `yyyyMMddHHmmssSSS` (local time) and each a fixed-size on-disk hash table:
 *
 *   0                        header, 40 bytes, big-endian:
 *                              beginTimestamp 8 | endTimestamp 8 | beginPhyOffset 8 |
 *                              endPhyOffset 8 | hashSlotCount 4 | indexCount 4
 *   40                       slot table: `slots` ints; slot value = number of the newest
 *                              entry whose keyHash % slots lands there (0 = empty)
 *   40 + slots*4 + n*20      entry n (n >= 1; entry 0 is never used):
 *                              keyHash 4 | phyOffset 8 | timeDiff 4 | prevIndex 4
 *
 * hashSlotCount counts slots in use (not the slot table size, which is not stored: it is a
 * broker setting, maxHashSlotNum); indexCount is the next entry number (starts at 1).
 * timeDiff is whole seconds since beginTimestamp (clamped to [0, INT_MAX]), so stored times
 * are only known to the second: begin + timeDiff*1000 ("store_ts_approx") <= the real time.
 * prevIndex chains the entries of one slot newest → oldest. Key = "<topic>#<key>";
 * keyHash = |Java String.hashCode(key)| with Integer.MIN_VALUE → 0; a file is full when
 * indexCount >= max_entries and the next put starts a new file.
 *
 * Every hit is a *candidate*: different keys share hashes. Callers read the record at the
 * returned offset and compare topic and key before answering.
 *
 * Damaged files. Headers are validated at open (size, count and offset ranges); a file that
 * fails is renamed to <name>.corrupt and left for inspection. After that the header lives in
 * memory (written through to the map on every put), so every count used for bounds comes
 * from memory, and every slot value, entry number and prevIndex read from the map is
 * range-checked; chains are followed only while entry numbers strictly decrease (true of
 * every file RocketMQ or rmq writes), so a cycle ends a walk instead of looping.
 *
 * Durability. put writes into the shared mapping (page cache: survives kill -9, not a power
 * cut); rmq_index_flush fdatasyncs files written since the last flush and the index
 * directory after a file was created. The index is derived data: after a crash the store
 * re-indexes records past rmq_index_end_phys() and truncates it when the commitlog was cut.
 *
 * Threads. One owner thread (the store's dispatcher on the loop) calls every function but
 * rmq_index_flush, which one or more other threads (the flush thread) may call at any time
 * concurrently with the owner; see rmq_index_flush for how. rmq_index_close must be called
 * after such threads have stopped calling flush.
 */
#ifndef RMQ_STORE_INDEX_H
#define RMQ_STORE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Layout constants (RocketMQ IndexHeader / IndexFile). */
#define RMQ_INDEX_HEADER_SIZE 40
#define RMQ_INDEX_SLOT_SIZE 4
#define RMQ_INDEX_ENTRY_SIZE 20
#define RMQ_INDEX_OFF_BEGIN_TS 0
#define RMQ_INDEX_OFF_END_TS 8
#define RMQ_INDEX_OFF_BEGIN_PHYS 16
#define RMQ_INDEX_OFF_END_PHYS 24
#define RMQ_INDEX_OFF_SLOT_COUNT 32
#define RMQ_INDEX_OFF_INDEX_COUNT 36
/* Entry field offsets, from the start of an entry. */
#define RMQ_INDEX_ENT_HASH 0
#define RMQ_INDEX_ENT_PHYS 4
#define RMQ_INDEX_ENT_TIMEDIFF 12
#define RMQ_INDEX_ENT_PREV 16

/* RocketMQ defaults (maxHashSlotNum, maxIndexNum): 420 000 040-byte files. */
#define RMQ_INDEX_DEFAULT_SLOTS 5000000u
#define RMQ_INDEX_DEFAULT_ENTRIES 20000000u

/* File name: 17 digits of local time, e.g. "20240131235959123". */
#define RMQ_INDEX_NAME_LEN 17

/* Bytes of one index file with the given geometry. */
static inline uint64_t rmq_index_file_size(uint32_t slots, uint32_t max_entries)
{
    return RMQ_INDEX_HEADER_SIZE + (uint64_t)slots * RMQ_INDEX_SLOT_SIZE +
           (uint64_t)max_entries * RMQ_INDEX_ENTRY_SIZE;
}

/* Byte offset of slot s and of entry n in a file with `slots` slots. */
static inline uint64_t rmq_index_slot_pos(uint32_t s)
{
    return RMQ_INDEX_HEADER_SIZE + (uint64_t)s * RMQ_INDEX_SLOT_SIZE;
}
static inline uint64_t rmq_index_entry_pos(uint32_t slots, uint32_t n)
{
    return RMQ_INDEX_HEADER_SIZE + (uint64_t)slots * RMQ_INDEX_SLOT_SIZE +
           (uint64_t)n * RMQ_INDEX_ENTRY_SIZE;
}

/* keyHash of "<topic>#<key>" as RocketMQ stores it: |String.hashCode()|, MIN_VALUE → 0,
 * so always in [0, INT32_MAX]. Keys up to a few hundred bytes are hashed in a stack buffer;
 * longer ones in a malloc'd one. Returns 0 and sets *hash, or -ENOMEM. Thread-safe. */
int rmq_index_key_hash(const char *topic, size_t tlen, const char *key, size_t klen,
                       uint32_t *hash);

struct rmq_index;

/*
 * Opens (creating when missing) the index directory `dir` and loads every file named by 17
 * digits, in name order. `slots` and `max_entries` fix the geometry of new files and are the
 * size every existing file must have (RocketMQ stores neither in the file; a file of
 * another size is treated as damaged). Requirements: slots >= 1, max_entries >= 2, and the
 * file size at most INT32_MAX (Java addresses index files with int arithmetic).
 *
 * A file that cannot be used — wrong size, impossible header — is renamed to
 * "<name>.corrupt", logged, and described in err; opening still succeeds. Returns the number
 * of files set aside (0 normally, err then untouched) or a negative code (-errno, RMQ_EINVAL
 * for bad geometry) with err set; on success *out owns mappings and descriptors until
 * rmq_index_close.
 */
int rmq_index_open(struct rmq_index **out, const char *dir, uint32_t slots,
                   uint32_t max_entries, char *err);

/*
 * Adds the entry ("<topic>#<key>" → phys_offset) stored at store_ts_ms, creating the first
 * file or rolling to a new one when the newest is full (fallocate + mmap of the whole file).
 * Updates the header exactly as RocketMQ does (begin* on the first entry, end* on every
 * entry, hashSlotCount when a slot is first used). Returns 0, -ENOMEM, or -errno / RMQ_EFULL
 * when a new file cannot be created (e.g. -ENOSPC): nothing was added then, and a later put
 * retries the creation. Owner thread only.
 */
int rmq_index_put(struct rmq_index *ix, const char *topic, size_t tlen, const char *key,
                  size_t klen, int64_t phys_offset, int64_t store_ts_ms);

/* phyOffset of the newest entry of the newest non-empty file (its header endPhyOffset), or
 * -1 when nothing is indexed. Entries go in commitlog order, so records at offsets above
 * this one are not indexed yet; the record *at* it may be only partly indexed (a crash
 * between two keys of one record), so the store re-indexes from this offset inclusive and
 * duplicates are harmless (rmq_index_query drops repeated offsets). Owner thread only. */
int64_t rmq_index_end_phys(const struct rmq_index *ix);

/*
 * Finds up to max candidate commitlog offsets for "<topic>#<key>" whose approximate store
 * time lies in [begin_ms, end_ms], newest first, into phys_out. Walks files newest to
 * oldest whose time range overlaps the query (RocketMQ's IndexFile.isTimeMatched) and stops
 * after the first file that begins before begin_ms, as RocketMQ does. A chain stops at its
 * end, at an entry older than begin_ms, or at any damaged link. Repeated offsets are
 * reported once. Returns the count (0..max) or -ENOMEM. Owner thread only.
 */
int rmq_index_query(struct rmq_index *ix, const char *topic, size_t tlen, const char *key,
                    size_t klen, int64_t begin_ms, int64_t end_ms, int max, int64_t *phys_out);

/*
 * Makes durable everything put so far: fdatasync of each file written since its last flush
 * (the mapping is MAP_SHARED, so this covers the stores into it) and of the directory when
 * a file was created. Returns 0 or the first -errno; a file that failed stays dirty and is
 * retried by the next call.
 *
 * Thread-safety: callable from any thread concurrently with the owner's calls. The file
 * list is guarded by a mutex that flush holds only to take a reference on each dirty file
 * (and to drop it afterwards) — never across fdatasync, so a put that rolls to a new file is
 * never blocked behind a slow disk. A file deleted by truncate/delete_before while a flush
 * holds a reference is unlinked at once, and unmapped and closed by whoever drops the last
 * reference. Dirty flags are atomics: a put racing with a flush re-marks the file, so the
 * next flush covers it.
 */
int rmq_index_flush(struct rmq_index *ix);
/* Another thread (the store's preparer) may call these concurrently with the owner:
 * rmq_index_make_spare makes the next file ahead when there is none yet or the newest is
 * three quarters full, so that the owner's roll only adopts it (1 made, 0 not needed,
 * -errno). rmq_index_drop_spare deletes an unused one (clean shutdown, that thread
 * stopped). rmq_index_close leaves an unused spare on disk, as a crash would: an all-zero
 * file loads as an empty one. */
int rmq_index_make_spare(struct rmq_index *ix);
/* Owner: whether rmq_index_make_spare would make one now (cheap, for a per-batch check). */
bool rmq_index_needs_spare(const struct rmq_index *ix);
void rmq_index_drop_spare(struct rmq_index *ix);

/*
 * The commitlog was cut at phys_end: afterwards rmq_index_end_phys() < phys_end.
 * Files whose beginPhyOffset >= phys_end are deleted (and empty files that would be left
 * without entries). In the remaining files, trailing entries at or past phys_end are rolled
 * back — newest first: their slot heads are restored from prevIndex, the entry bytes zeroed,
 * indexCount, hashSlotCount and endPhyOffset/endTimestamp lowered to the last kept entry —
 * so the files look as if those entries were never written. (An entry past phys_end that
 * sits before a kept one cannot occur with in-order dispatch; it would stay, and queries
 * verify candidates.) Returns 0 or -errno (a file that could not be unlinked is still
 * dropped from the set). Owner thread only.
 */
int rmq_index_truncate(struct rmq_index *ix, int64_t phys_end);

/* Retention: deletes whole files, oldest first, while their endPhyOffset < min_phys; never
 * the newest file (RocketMQ IndexService.deleteExpiredFile). Returns the number of files
 * deleted or -errno. Owner thread only. */
int rmq_index_delete_before(struct rmq_index *ix, int64_t min_phys);

/*
 * Calls cb for every entry of every file, oldest file first, entries in order: file name,
 * entry number (>= 1), stored keyHash, phyOffset and beginTimestamp + timeDiff*1000. A
 * non-zero return from cb stops the walk and is returned; otherwise 0. For `rmq store
 * verify`. Owner thread only; cb must not call back into ix.
 */
int rmq_index_foreach(struct rmq_index *ix,
                      int (*cb)(void *arg, const char *file, uint32_t entry_no,
                                uint32_t key_hash, int64_t phys, int64_t store_ts_approx),
                      void *arg);

/* Number of files currently in the set (for tools and tests). Owner thread only. */
size_t rmq_index_file_count(const struct rmq_index *ix);

/* Flushes (fdatasync) every file, unmaps and closes them, and frees ix (NULL is a no-op).
 * Errors are logged: a failed final flush only costs re-indexing at the next start. Call
 * only once no other thread can be inside rmq_index_flush. */
void rmq_index_close(struct rmq_index *ix);

#endif
