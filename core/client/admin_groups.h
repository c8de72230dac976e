/*
 * admin_groups.h — a broker's subscription groups for `rmq group` (and completion): the
 * requests mqadmin's updateSubGroup, deleteSubGroup and the group listing use. Results as in
 * admin.h: 0, a negative transport code, or the broker's response code with err set.
 */
#ifndef RMQ_CLIENT_ADMIN_GROUPS_H
#define RMQ_CLIENT_ADMIN_GROUPS_H

#include "client/rpc.h"
#include "store/meta.h"

#include <stdbool.h>

/* GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201): the broker's table (free with
 * rmq_group_table_free). */
int rmq_admin_groups_get(struct rmq_rpc *r, struct rmq_group_table **out, char *err);

/* UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200) with g as the SubscriptionGroupConfig body. */
int rmq_admin_group_update(struct rmq_rpc *r, const struct rmq_group_conf *g, char *err);

/* DELETE_SUBSCRIPTIONGROUP (207); clean_offset also drops the group's committed offsets. */
int rmq_admin_group_delete(struct rmq_rpc *r, const char *group, bool clean_offset, char *err);

#endif
