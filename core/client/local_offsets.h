/*
 * local_offsets.h — a broadcasting consumer's offsets, kept in a local file instead of on
 * the broker (RocketMQ's LocalFileOffsetStore keeps them in
 * ~/.rocketmq_offsets/<clientId>/<group>/offsets.json).
 *
 * The file is JSON, one entry per queue, entries of other topics kept as they are:
 *   {"group":"G","offsets":[{"topic":"T","brokerName":"broker-a","queueId":0,"offset":12},…]}
 * `offset` is the next offset to consume. Saved atomically (util/fsutil.h: a temporary
 * file, fsync, rename), so a crash leaves the previous or the new table, never a mix; the
 * directory is created when missing.
 */
#ifndef RMQ_CLIENT_LOCAL_OFFSETS_H
#define RMQ_CLIENT_LOCAL_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rmq_local_offsets;

/* The default file of a group: $RMQ_HOME/offsets/<group>.json when RMQ_HOME is set, else
 * ~/.rmq/offsets/<group>.json ('/' in the group becomes '_'). */
void rmq_local_offsets_default_path(char *out, size_t n, const char *group);

/* Loads path (a missing file is an empty table). NULL with err when it cannot be read or
 * is not such a table. */
struct rmq_local_offsets *rmq_local_offsets_open(const char *path, const char *group, char *err);

/* The stored offset of a queue, or -1. */
int64_t rmq_local_offsets_get(const struct rmq_local_offsets *lo, const char *topic, const char *broker,
                              int qid);
void rmq_local_offsets_set(struct rmq_local_offsets *lo, const char *topic, const char *broker, int qid,
                           int64_t offset);

/* Writes the table when something changed since the last save. 0 or an error. */
int rmq_local_offsets_save(struct rmq_local_offsets *lo, char *err);

const char *rmq_local_offsets_path(const struct rmq_local_offsets *lo);
void rmq_local_offsets_free(struct rmq_local_offsets *lo);

#endif
