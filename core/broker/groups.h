/*
 * groups.h — the broker's subscription groups: which consumer groups exist and how they may
 * consume (consumeEnable, broadcast allowed, retry queues, retryMaxTimes), persisted as
 * <root>/config/subscriptionGroup.json (RocketMQ's shape, PROTOCOL §3.10, §6.6). Groups are
 * made on first use when autoCreateSubscriptionGroup is true (the default), by
 * UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200), and removed by DELETE_SUBSCRIPTIONGROUP (207).
 * Loop thread only. Every change is saved at once (atomically, with a .bak).
 */
#ifndef RMQ_BROKER_GROUPS_H
#define RMQ_BROKER_GROUPS_H

#include "conf/conf.h"
#include "store/meta.h"

#include <limits.h>

struct rmq_groups {
    struct rmq_group_table *table;
    char path[PATH_MAX];
    const struct rmq_conf *conf;
};

/* Loads <config_dir>/subscriptionGroup.json and adds RocketMQ's built-in groups that are
 * missing (TOOLS_CONSUMER, SELF_TEST_C_GROUP, …). 0 or a negative code with err. */
int rmq_groups_open(struct rmq_groups *g, const struct rmq_conf *conf, const char *config_dir,
                    char *err);
void rmq_groups_close(struct rmq_groups *g);

/* The group's config, made (and saved) when missing and the broker auto-creates groups.
 * NULL with err set when there is none (RocketMQ's SUBSCRIPTION_GROUP_NOT_EXIST). */
const struct rmq_group_conf *rmq_groups_find(struct rmq_groups *g, const char *name, char *err);

/* Creates or changes a group: 1 changed, 0 unchanged, RMQ_EINVAL (bad name) or a save
 * error, with err set. */
int rmq_groups_put(struct rmq_groups *g, const struct rmq_group_conf *c, char *err);
/* Removes a group: 0, RMQ_ENOTFOUND or a save error, with err set. */
int rmq_groups_delete(struct rmq_groups *g, const char *name, char *err);

#endif
