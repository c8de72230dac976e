/*
 * topics.h — the broker's topic table: what topics exist, with how many queues and which
 * permissions, persisted as <root>/config/topics.json (RocketMQ's shape, PROTOCOL §3.5)
 * and changed by admin requests, by auto-creation on send (TBW102, PROTOCOL §7.3), and
 * by consumers' retry topics. Loop thread only.
 *
 * Every change is saved at once (atomically, with a .bak) and bumps the table's
 * dataVersion, so a name-server registration can tell (Step 3).
 */
#ifndef RMQ_BROKER_TOPICS_H
#define RMQ_BROKER_TOPICS_H

#include "conf/conf.h"
#include "store/meta.h"

#include <limits.h>

#define RMQ_PERM_INHERIT 1
#define RMQ_PERM_WRITE 2
#define RMQ_PERM_READ 4
#define RMQ_TOPIC_TBW102 "TBW102"
#define RMQ_RETRY_PREFIX "%RETRY%"
#define RMQ_DLQ_PREFIX "%DLQ%"

struct rmq_topics {
    struct rmq_topic_table *table;
    char path[PATH_MAX];
    const struct rmq_conf *conf;
};

/* Loads <config_dir>/topics.json and adds the built-in topics of PROTOCOL §7.4 that are
 * missing (SELF_TEST_TOPIC, TBW102 when autoCreateTopicEnable, BenchmarkTest, the
 * cluster's and the broker's own topics, OFFSET_MOVED_EVENT, SCHEDULE_TOPIC_XXXX, the
 * trace topic when enabled). 0 or a negative code with err. */
int rmq_topics_open(struct rmq_topics *t, const struct rmq_conf *conf, const char *config_dir,
                    char *err);
void rmq_topics_close(struct rmq_topics *t);

const struct rmq_topic_conf *rmq_topics_get(const struct rmq_topics *t, const char *name);

/* Creates or changes a topic (UPDATE_AND_CREATE_TOPIC): name and perm validated, saved.
 * Returns 1 changed, 0 unchanged, or RMQ_EINVAL (err says why) / a save error. */
int rmq_topics_put(struct rmq_topics *t, const struct rmq_topic_conf *c, char *err);
/* Deletes a topic; RMQ_ENOTFOUND when there is none. */
int rmq_topics_delete(struct rmq_topics *t, const char *name, char *err);

/* The topic a send to `name` goes to: the existing one, or — when the broker may
 * auto-create and `default_topic` (TBW102) exists with the inherit bit — a new topic with
 * min(queue_nums, default's write queues) queues and the default's perm without inherit.
 * NULL with err set (RMQ_ENOTFOUND: no such topic and no auto-creation). *created tells
 * whether it was made now. */
const struct rmq_topic_conf *rmq_topics_for_send(struct rmq_topics *t, const char *name,
                                                 const char *default_topic, int queue_nums,
                                                 bool *created, char *err);

/* The retry topic of a consumer group (%RETRY%group, queue_nums queues, perm RW), made
 * if missing. NULL with err on failure. */
const struct rmq_topic_conf *rmq_topics_retry(struct rmq_topics *t, const char *group,
                                              int queue_nums, char *err);

/* The dead-letter topic of a consumer group (%DLQ%group, 1 queue, perm RW), made if missing. */
const struct rmq_topic_conf *rmq_topics_dlq(struct rmq_topics *t, const char *group, char *err);

/* A topic name as RocketMQ accepts it: 1..127 of [%|a-zA-Z0-9_-]. */
bool rmq_topic_name_valid(const char *name);

#endif
