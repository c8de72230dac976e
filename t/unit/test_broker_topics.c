/* The broker's topic table: built-ins, auto-creation on send (TBW102), retry topics. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "broker/topics.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fx {
    char dir[128];
    struct rmq_conf conf;
    struct rmq_topics t;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/rmq-topics-XXXXXX");
    if (!mkdtemp(f->dir) || rmq_conf_init(&f->conf, RMQ_DAEMON_BROKER))
        return -1;
    rmq_log_level = RMQ_LOG_ERROR;
    char err[RMQ_ERRLEN], text[256];
    snprintf(text, sizeof text, "brokerName=broker-a\nstorePathRootDir=%s\n", f->dir);
    if (rmq_conf_load_string(&f->conf, "test.conf", text, err) || rmq_conf_finish(&f->conf, err))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    rmq_topics_close(&f->t);
    rmq_conf_free(&f->conf);
    rmq_remove_tree(f->dir);
    free(f);
    return 0;
}

static void builtins_and_persistence(void **state)
{
    struct fx *f = *state;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_topics_open(&f->t, &f->conf, f->dir, err), 0);
    const struct rmq_topic_conf *c = rmq_topics_get(&f->t, "TBW102");
    assert_non_null(c);
    assert_int_equal(c->write_queue_nums, 8);
    assert_int_equal(c->perm, 7);
    assert_non_null(rmq_topics_get(&f->t, "DefaultCluster"));
    assert_non_null(rmq_topics_get(&f->t, "broker-a"));
    assert_non_null(rmq_topics_get(&f->t, "SCHEDULE_TOPIC_XXXX"));
    struct rmq_topic_conf n;
    rmq_topic_conf_init(&n, "TopicTest");
    n.read_queue_nums = n.write_queue_nums = 4;
    assert_int_equal(rmq_topics_put(&f->t, &n, err), 1);
    assert_int_equal(rmq_topics_put(&f->t, &n, err), 0);           /* unchanged */
    rmq_topic_conf_init(&n, "bad topic");
    assert_int_equal(rmq_topics_put(&f->t, &n, err), RMQ_EINVAL);
    rmq_topics_close(&f->t);
    assert_int_equal(rmq_topics_open(&f->t, &f->conf, f->dir, err), 0);   /* reload */
    c = rmq_topics_get(&f->t, "TopicTest");
    assert_non_null(c);
    assert_int_equal(c->read_queue_nums, 4);
    assert_int_equal(rmq_topics_delete(&f->t, "TopicTest", err), 0);
    assert_int_equal(rmq_topics_delete(&f->t, "TopicTest", err), RMQ_ENOTFOUND);
}

static void auto_creation_on_send(void **state)
{
    struct fx *f = *state;
    char err[RMQ_ERRLEN];
    bool created;
    assert_int_equal(rmq_topics_open(&f->t, &f->conf, f->dir, err), 0);
    /* a Java producer sends defaultTopicQueueNums 4: min(4, TBW102's 8) queues, perm 6 */
    const struct rmq_topic_conf *c = rmq_topics_for_send(&f->t, "NewTopic", "TBW102", 4, &created, err);
    assert_non_null(c);
    assert_true(created);
    assert_int_equal(c->write_queue_nums, 4);
    assert_int_equal(c->perm, 6);
    c = rmq_topics_for_send(&f->t, "NewTopic", "TBW102", 4, &created, err);
    assert_false(created);
    assert_null(rmq_topics_for_send(&f->t, "Other", "NoSuchDefault", 4, &created, err));
    assert_non_null(strstr(err, "default topic does not exist"));
    /* with autoCreateTopicEnable=false nothing is created */
    f->conf.broker.auto_create_topic = false;
    assert_null(rmq_topics_for_send(&f->t, "Other", "TBW102", 4, &created, err));
    assert_non_null(strstr(err, "autoCreateTopicEnable is false"));
    c = rmq_topics_retry(&f->t, "group1", 1, err);
    assert_non_null(c);
    assert_string_equal(c->name, "%RETRY%group1");
    assert_int_equal(c->perm, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(builtins_and_persistence, setup, teardown),
        cmocka_unit_test_setup_teardown(auto_creation_on_send, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
