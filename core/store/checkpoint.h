/*
 * checkpoint.h — the store's `checkpoint` file (PROTOCOL §6.5): 4 KiB, big-endian longs
 * at 0 physicMsgTimestamp, 8 logicsMsgTimestamp, 16 indexMsgTimestamp, 24
 * masterFlushedOffset, 32 confirmPhyOffset — RocketMQ's fields, kept so Java tools read it.
 *
 * rmq adds its own block at byte 64, which Java ignores:
 *   64 magic "RMQC" | 68 version (1) | 72 flushed commitlog offset | 80 logics safe offset
 *   (everything below it is durable in the commitlog AND in the consume queues and index)
 *   | 88 consume-queue entries present at the safe offset (sum over queues of max - min offset) | 96 clean-shutdown flag (4)
 *   | 100 CRC-32 of bytes 64..99
 * The CRC tells a torn write from a real checkpoint; a bad block means "no checkpoint",
 * and recovery then starts from the beginning of the log.
 *
 * Changing the block: bump the version, keep reading version 1 (read_v1), and write the
 * new layout only; add a unit test with a version-1 byte vector.
 */
#ifndef RMQ_STORE_CHECKPOINT_H
#define RMQ_STORE_CHECKPOINT_H

#include <stdbool.h>
#include <stdint.h>

#define RMQ_CHECKPOINT_SIZE 4096

struct rmq_checkpoint {
    int64_t physic_ts, logics_ts, index_ts, master_flushed, confirm_phy;
    bool valid;             /* the rmq block was present and intact */
    int64_t cl_flushed;
    int64_t logics_safe;
    int64_t entries_total;
    bool clean;             /* written by a clean shutdown */
};

/* Reads path; a missing or short file gives valid=false and returns 0. */
int rmq_checkpoint_read(const char *path, struct rmq_checkpoint *cp, char *err);
/* Writes and fdatasyncs the whole 4 KiB in place (fd opened by rmq_checkpoint_open). */
int rmq_checkpoint_write(int fd, const struct rmq_checkpoint *cp);
/* Opens (creating) the checkpoint file for writing; fd or negative error. */
int rmq_checkpoint_open(const char *path, char *err);

#endif
