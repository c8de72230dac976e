#include "broker/groups.h"

#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int save(struct rmq_groups *g, char *err)
{
    return rmq_group_table_save(g->table, g->path, err);
}

/* The groups a Java broker's SubscriptionGroupManager starts with, so tools that use them
 * work on a broker that never auto-creates. */
static const char *const builtin_groups[] = {
    "TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PULL", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER", "CID_SYS_RMQ_TRANS",
};

int rmq_groups_open(struct rmq_groups *g, const struct rmq_conf *conf, const char *config_dir,
                    char *err)
{
    memset(g, 0, sizeof *g);
    g->conf = conf;
    snprintf(g->path, sizeof g->path, "%s/%s", config_dir, RMQ_META_GROUPS_FILE);
    int rc = rmq_group_table_load(&g->table, g->path, err);
    if (rc < 0)
        return rc;
    bool changed = false;
    for (size_t i = 0; i < sizeof builtin_groups / sizeof *builtin_groups; i++) {
        if (rmq_group_table_get(g->table, builtin_groups[i]))
            continue;   /* an operator may have changed it: keep theirs */
        struct rmq_group_conf c;
        rmq_group_conf_init(&c, builtin_groups[i]);
        if (rmq_group_table_put(g->table, &c) > 0)
            changed = true;
    }
    return changed ? save(g, err) : 0;
}

void rmq_groups_close(struct rmq_groups *g)
{
    rmq_group_table_free(g->table);
    g->table = NULL;
}

const struct rmq_group_conf *rmq_groups_find(struct rmq_groups *g, const char *name, char *err)
{
    const struct rmq_group_conf *c = rmq_group_table_get(g->table, name);
    if (c)
        return c;
    if (!g->conf->broker.auto_create_group) {
        rmq_seterr(err, RMQ_ENOTFOUND, "subscription group %s does not exist", name);
        return NULL;
    }
    struct rmq_group_conf fresh;
    rmq_group_conf_init(&fresh, name);
    if (rmq_groups_put(g, &fresh, err) < 0)
        return NULL;
    rmq_info("broker: subscription group %s created", name);
    return rmq_group_table_get(g->table, name);
}

int rmq_groups_put(struct rmq_groups *g, const struct rmq_group_conf *c, char *err)
{
    if (!rmq_meta_name_ok(c->name, strlen(c->name)))
        return rmq_seterr(err, RMQ_EINVAL, "invalid group name '%s'", c->name);
    if (c->retry_queue_nums < 0 || c->retry_max_times < -1)
        return rmq_seterr(err, RMQ_EINVAL, "group %s: retryQueueNums and retryMaxTimes must not be negative",
                          c->name);
    int rc = rmq_group_table_put(g->table, c);
    if (rc == -ENOMEM)
        return rmq_seterr(err, rc, "out of memory");
    if (rc == RMQ_EINVAL)
        return rmq_seterr(err, rc, "invalid group name '%s'", c->name);
    if (rc > 0) {
        int src = save(g, err);
        if (src)
            return src;
    }
    return rc;
}

int rmq_groups_delete(struct rmq_groups *g, const char *name, char *err)
{
    if (rmq_group_table_delete(g->table, name) != 0)
        return rmq_seterr(err, RMQ_ENOTFOUND, "subscription group %s does not exist", name);
    return save(g, err);
}
