#include "broker/topics.h"

#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>

bool rmq_topic_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 127)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '%' || c == '|' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int save(struct rmq_topics *t, char *err)
{
    return rmq_topic_table_save(t->table, t->path, err);
}

/* Adds a built-in topic unless a topic of that name exists (an operator may have changed
 * its queues or permissions: those stay). */
static void builtin(struct rmq_topics *t, const char *name, int queues, int perm, bool *changed)
{
    if (rmq_topic_table_get(t->table, name))
        return;
    struct rmq_topic_conf c;
    rmq_topic_conf_init(&c, name);
    c.read_queue_nums = c.write_queue_nums = queues;
    c.perm = perm;
    if (rmq_topic_table_put(t->table, &c) > 0)
        *changed = true;
}

int rmq_topics_open(struct rmq_topics *t, const struct rmq_conf *conf, const char *config_dir,
                    char *err)
{
    memset(t, 0, sizeof *t);
    t->conf = conf;
    snprintf(t->path, sizeof t->path, "%s/%s", config_dir, RMQ_META_TOPICS_FILE);
    int rc = rmq_topic_table_load(&t->table, t->path, err);
    if (rc < 0)
        return rc;
    const struct rmq_conf_broker *b = &conf->broker;
    bool changed = false;
    builtin(t, "SELF_TEST_TOPIC", 1, 6, &changed);
    if (b->auto_create_topic)
        builtin(t, RMQ_TOPIC_TBW102, b->default_topic_queue_nums, 7, &changed);
    builtin(t, "BenchmarkTest", 1024, 6, &changed);
    builtin(t, b->cluster_name, 16, b->cluster_topic_enable ? 7 : 1, &changed);
    builtin(t, b->name, 1, b->broker_topic_enable ? 7 : 1, &changed);
    builtin(t, "OFFSET_MOVED_EVENT", 1, 6, &changed);
    builtin(t, "SCHEDULE_TOPIC_XXXX", 18, 6, &changed);
    if (b->trace_topic_enable)
        builtin(t, b->trace_topic_name, 1, 6, &changed);
    return changed ? save(t, err) : 0;
}

void rmq_topics_close(struct rmq_topics *t)
{
    rmq_topic_table_free(t->table);
    t->table = NULL;
}

const struct rmq_topic_conf *rmq_topics_get(const struct rmq_topics *t, const char *name)
{
    return rmq_topic_table_get(t->table, name);
}

int rmq_topics_put(struct rmq_topics *t, const struct rmq_topic_conf *c, char *err)
{
    if (!rmq_topic_name_valid(c->name))
        return rmq_seterr(err, RMQ_EINVAL, "invalid topic name '%s' (1 to 127 of a-z A-Z 0-9 %% | _ -)",
                          c->name);
    if (c->perm < 0 || c->perm > 7)
        return rmq_seterr(err, RMQ_EINVAL, "invalid perm %d for topic '%s' (0 to 7)", c->perm, c->name);
    if (c->read_queue_nums < 0 || c->write_queue_nums < 0 || c->read_queue_nums > 65535 ||
        c->write_queue_nums > 65535)
        return rmq_seterr(err, RMQ_EINVAL, "invalid queue numbers %d/%d for topic '%s'",
                          c->read_queue_nums, c->write_queue_nums, c->name);
    int rc = rmq_topic_table_put(t->table, c);
    if (rc <= 0)
        return rc;
    int s = save(t, err);
    return s ? s : 1;
}

int rmq_topics_delete(struct rmq_topics *t, const char *name, char *err)
{
    int rc = rmq_topic_table_delete(t->table, name);
    if (rc)
        return rmq_seterr(err, rc, "topic '%s' does not exist", name);
    return save(t, err);
}

const struct rmq_topic_conf *rmq_topics_for_send(struct rmq_topics *t, const char *name,
                                                 const char *default_topic, int queue_nums,
                                                 bool *created, char *err)
{
    *created = false;
    const struct rmq_topic_conf *c = rmq_topic_table_get(t->table, name);
    if (c)
        return c;
    if (!rmq_topic_name_valid(name)) {
        rmq_seterr(err, RMQ_EINVAL, "invalid topic name '%s' (1 to 127 of a-z A-Z 0-9 %% | _ -)", name);
        return NULL;
    }
    const struct rmq_topic_conf *def = default_topic ? rmq_topic_table_get(t->table, default_topic) : NULL;
    if (!t->conf->broker.auto_create_topic || !def || !(def->perm & RMQ_PERM_INHERIT)) {
        rmq_seterr(err, RMQ_ENOTFOUND, "topic '%s' does not exist on this broker and %s", name,
                   !t->conf->broker.auto_create_topic ? "autoCreateTopicEnable is false"
                   : !def ? "its default topic does not exist"
                          : "its default topic does not allow inheriting");
        return NULL;
    }
    struct rmq_topic_conf n;
    rmq_topic_conf_init(&n, name);
    int q = queue_nums > 0 && queue_nums < def->write_queue_nums ? queue_nums : def->write_queue_nums;
    n.read_queue_nums = n.write_queue_nums = q;
    n.perm = def->perm & ~RMQ_PERM_INHERIT;
    n.topic_filter_type = def->topic_filter_type;
    if (rmq_topics_put(t, &n, err) < 0)
        return NULL;
    rmq_info("broker: created topic '%s' with %d queues on first send", name, q);
    *created = true;
    return rmq_topic_table_get(t->table, name);
}

/* prefix+group with queue_nums queues, read-write, made if missing. */
static const struct rmq_topic_conf *group_topic(struct rmq_topics *t, const char *prefix, const char *group,
                                                int queue_nums, char *err)
{
    char name[RMQ_META_NAME_MAX + 1];
    if (snprintf(name, sizeof name, "%s%s", prefix, group) >= (int)sizeof name) {
        rmq_seterr(err, RMQ_EINVAL, "consumer group name '%s' is too long", group);
        return NULL;
    }
    const struct rmq_topic_conf *c = rmq_topic_table_get(t->table, name);
    if (c)
        return c;
    struct rmq_topic_conf n;
    rmq_topic_conf_init(&n, name);
    n.read_queue_nums = n.write_queue_nums = queue_nums > 0 ? queue_nums : 1;
    n.perm = RMQ_PERM_READ | RMQ_PERM_WRITE;
    if (rmq_topics_put(t, &n, err) < 0)
        return NULL;
    return rmq_topic_table_get(t->table, name);
}

const struct rmq_topic_conf *rmq_topics_retry(struct rmq_topics *t, const char *group,
                                              int queue_nums, char *err)
{
    return group_topic(t, RMQ_RETRY_PREFIX, group, queue_nums, err);
}

const struct rmq_topic_conf *rmq_topics_dlq(struct rmq_topics *t, const char *group, char *err)
{
    return group_topic(t, RMQ_DLQ_PREFIX, group, 1, err);
}
