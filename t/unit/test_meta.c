/* Unit tests for core/store/meta*.c: RocketMQ's config JSON files (PROTOCOL §3.5, §6.6). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/meta.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* a string literal and its length */
#define SL(s) s, strlen(s)

static char dir[256];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/rmq-test-meta-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    for (int op = 0; op < RMQ_OS_NOPS; op++)
        rmq_os_inject(op, 0, 0);
    rmq_remove_tree(dir);
    return 0;
}

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/config/%s", dir, name);
}

static void write_text(const char *path, const char *text)
{
    char d[512];
    snprintf(d, sizeof d, "%s", path);
    *strrchr(d, '/') = 0;
    assert_int_equal(rmq_mkdir_p(d, 0755), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    size_t len;
    char *s = rmq_read_file(path, 1 << 20, &len);
    assert_non_null(s);
    return s;
}

/* ------------------------------------------------------------- the quoting pre-pass */

static void test_quote_int_keys(void **state)
{
    static const char *const cases[][2] = {
        {"{0:1}", "{\"0\":1}"},
        {"{\"offsetTable\":{\"T@g\":{0:12,1:40}}}", "{\"offsetTable\":{\"T@g\":{\"0\":12,\"1\":40}}}"},
        {"{ 0 : 1 , -1 :2}", "{ \"0\" : 1 , \"-1\" :2}"},
        {"{\n\t12\n:\n5}", "{\n\t\"12\"\n:\n5}"},
        /* inside strings nothing changes, escapes included */
        {"{\"a\":\"{0:1}\",\"b\":{0:1}}", "{\"a\":\"{0:1}\",\"b\":{\"0\":1}}"},
        {"{\"a\\\"{0:\":{1:2}}", "{\"a\\\"{0:\":{\"1\":2}}"},
        {"{\"x\":\"\\\\\",1:2}", "{\"x\":\"\\\\\",\"1\":2}"},
        {"{\"x\":\"\\\\\\\",1:2\"}", "{\"x\":\"\\\\\\\",1:2\"}"},
        {"{\"k\":[{0:1},{2:3}]}", "{\"k\":[{\"0\":1},{\"2\":3}]}"},
        /* values, array elements and non-keys stay */
        {"[0,1,2]", "[0,1,2]"},
        {"{\"a\":[1,2],\"b\":-3}", "{\"a\":[1,2],\"b\":-3}"},
        {"{\"a\":1,2}", "{\"a\":1,2}"},
        {"{-:1}", "{-:1}"},
        {"{1.5:2}", "{1.5:2}"},
        {"{\"0\":1}", "{\"0\":1}"},
        /* truncated input: copied, left for the parser to reject */
        {"{12", "{12"},
        {"{12 ", "{12 "},
        {"{-", "{-"},
        {"{\"abc", "{\"abc"},
        {"{\"abc\\", "{\"abc\\"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n;
        char *out = rmq_json_quote_int_keys(cases[i][0], strlen(cases[i][0]), &n);
        assert_non_null(out);
        if (strcmp(out, cases[i][1]) != 0)
            fail_msg("case %zu: %s → %s, expected %s", i, cases[i][0], out, cases[i][1]);
        assert_int_equal(n, strlen(cases[i][1]));
        free(out);
    }
    /* length-bounded: bytes past len are never looked at */
    size_t n;
    char *out = rmq_json_quote_int_keys("{0:1}{7:8}", 5, &n);
    assert_string_equal(out, "{\"0\":1}");
    free(out);
    out = rmq_json_quote_int_keys("{12:", 3, &n);   /* the ':' is past len */
    assert_string_equal(out, "{12");
    free(out);
}

static void test_parse_lenient_errors(void **state)
{
    char err[RMQ_ERRLEN];
    json_t *j = rmq_json_parse_lenient(SL("{0:1,\"a\":{5:6}}"), "x", err);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "a"), "5")), 6);
    json_decref(j);
    /* positions refer to the text as given, not to the quoted copy */
    char e1[RMQ_ERRLEN], e2[RMQ_ERRLEN];
    const char *bare = "{0:1,1:2,\n 2:x}", *quoted = "{\"0\":1,\"1\":2,\n \"2\":x}";
    assert_null(rmq_json_parse_lenient(bare, strlen(bare), "f.json", e1));
    assert_null(rmq_json_parse_lenient(quoted, strlen(quoted), "f.json", e2));
    assert_non_null(strstr(e1, "'f.json'"));
    assert_non_null(strstr(e1, "line 2"));
    unsigned l1, c1, l2, c2;
    assert_int_equal(sscanf(strstr(e1, "at line"), "at line %u column %u", &l1, &c1), 2);
    assert_int_equal(sscanf(strstr(e2, "at line"), "at line %u column %u", &l2, &c2), 2);
    assert_int_equal(l1, l2);
    assert_int_equal(c1 + 2, c2);   /* "2" was quoted on that line, before the error */
    assert_null(rmq_json_parse_lenient(SL("[1]"), "arr", err));
    assert_non_null(strstr(err, "not an object"));
}

static void test_lenient_scalars(void **state)
{
    json_t *j = json_loads("{\"i\":6,\"s\":\"6\",\"neg\":\" -7 \",\"r\":2.0,\"rf\":2.5,\"bad\":\"6x\","
                           "\"e\":\"\",\"n\":null,\"big\":3000000000,\"t\":true,\"ts\":\"TRUE\","
                           "\"one\":1,\"fs\":\"false\",\"y\":\"Y\",\"two\":2,\"o\":{}}", 0, NULL);
    assert_non_null(j);
    int64_t x = 42;
    bool b = false;
    assert_int_equal(rmq_json_as_int(json_object_get(j, "i"), INT32_MIN, INT32_MAX, &x), 0);
    assert_int_equal(x, 6);
    assert_int_equal(rmq_json_as_int(json_object_get(j, "s"), INT32_MIN, INT32_MAX, &x), 0);
    assert_int_equal(x, 6);
    assert_int_equal(rmq_json_as_int(json_object_get(j, "neg"), INT32_MIN, INT32_MAX, &x), 0);
    assert_int_equal(x, -7);
    assert_int_equal(rmq_json_as_int(json_object_get(j, "r"), INT32_MIN, INT32_MAX, &x), 0);
    assert_int_equal(x, 2);
    assert_int_equal(rmq_json_as_int(json_object_get(j, "rf"), INT32_MIN, INT32_MAX, &x), RMQ_EINVAL);
    assert_int_equal(rmq_json_as_int(json_object_get(j, "bad"), INT32_MIN, INT32_MAX, &x), RMQ_EINVAL);
    assert_int_equal(rmq_json_as_int(json_object_get(j, "big"), INT32_MIN, INT32_MAX, &x), RMQ_EINVAL);
    assert_int_equal(rmq_json_as_int(json_object_get(j, "big"), INT64_MIN, INT64_MAX, &x), 0);
    assert_int_equal(x, 3000000000LL);
    assert_int_equal(rmq_json_as_int(json_object_get(j, "o"), INT32_MIN, INT32_MAX, &x), RMQ_EINVAL);
    x = 42;
    assert_int_equal(rmq_json_as_int(json_object_get(j, "e"), INT32_MIN, INT32_MAX, &x), 1);
    assert_int_equal(rmq_json_as_int(json_object_get(j, "n"), INT32_MIN, INT32_MAX, &x), 1);
    assert_int_equal(rmq_json_as_int(json_object_get(j, "missing"), INT32_MIN, INT32_MAX, &x), 1);
    assert_int_equal(x, 42);
    assert_int_equal(rmq_json_as_bool(json_object_get(j, "t"), &b), 0);
    assert_true(b);
    b = false;
    assert_int_equal(rmq_json_as_bool(json_object_get(j, "ts"), &b), 0);
    assert_true(b);
    b = false;
    assert_int_equal(rmq_json_as_bool(json_object_get(j, "one"), &b), 0);
    assert_true(b);
    assert_int_equal(rmq_json_as_bool(json_object_get(j, "fs"), &b), 0);
    assert_false(b);
    assert_int_equal(rmq_json_as_bool(json_object_get(j, "y"), &b), 0);
    assert_true(b);
    assert_int_equal(rmq_json_as_bool(json_object_get(j, "two"), &b), RMQ_EINVAL);
    assert_int_equal(rmq_json_as_bool(json_object_get(j, "s"), &b), RMQ_EINVAL);
    assert_int_equal(rmq_json_as_bool(json_object_get(j, "n"), &b), 1);
    json_decref(j);

    struct rmq_buf buf = {0};
    const char *raw = "a\"b\\c\n\x01/é";
    rmq_json_put_str(&buf, raw, strlen(raw));
    rmq_buf_add(&buf, "", 1);
    assert_string_equal((char *)buf.data, "\"a\\\"b\\\\c\\n\\u0001/é\"");
    rmq_buf_free(&buf);

    assert_true(rmq_meta_name_ok("TopicTest", 9));
    assert_true(rmq_meta_name_ok("%RETRY%grp", 10));
    assert_true(rmq_meta_name_ok("t\xc3\xa9", 3));
    assert_false(rmq_meta_name_ok("", 0));
    assert_false(rmq_meta_name_ok("a\nb", 3));
    assert_false(rmq_meta_name_ok("a\xc3", 2));          /* truncated sequence */
    assert_false(rmq_meta_name_ok("\xc0\xaf", 2));       /* overlong '/' */
    assert_false(rmq_meta_name_ok("\xed\xa0\x80", 3));   /* surrogate */
    char big[300];
    memset(big, 'a', sizeof big);
    assert_true(rmq_meta_name_ok(big, RMQ_META_NAME_MAX));
    assert_false(rmq_meta_name_ok(big, RMQ_META_NAME_MAX + 1));
}

/* ------------------------------------------------------------- topics.json */

static const char *const java_topics =
    "{\"dataVersion\":{\"counter\":3,\"timestamp\":1700000000000},\"topicConfigTable\":{"
    "\"%RETRY%group1\":{\"order\":false,\"perm\":6,\"readQueueNums\":1,\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"%RETRY%group1\",\"topicSysFlag\":0,\"writeQueueNums\":1},"
    "\"TBW102\":{\"order\":false,\"perm\":7,\"readQueueNums\":8,\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"TBW102\",\"topicSysFlag\":0,\"writeQueueNums\":8},"
    "\"TopicTest\":{\"order\":false,\"perm\":6,\"readQueueNums\":8,\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"TopicTest\",\"topicSysFlag\":0,\"writeQueueNums\":8},"
    "\"ordered\":{\"order\":true,\"perm\":4,\"readQueueNums\":2,\"topicFilterType\":\"MULTI_TAG\",\"topicName\":\"ordered\",\"topicSysFlag\":1,\"writeQueueNums\":3}}}";

/* 5.x adds members we do not model: they must survive a round trip */
static const char *const java5_topics =
    "{\"dataVersion\":{\"counter\":5,\"stateVersion\":0,\"timestamp\":1700000000001},"
    "\"mappingDataVersion\":{\"counter\":0,\"stateVersion\":0,\"timestamp\":1700000000002},"
    "\"topicConfigTable\":{\"TopicTest\":{\"attributes\":{\"+message.type\":\"NORMAL\"},\"order\":false,\"perm\":6,\"readQueueNums\":4,\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"TopicTest\",\"topicSysFlag\":0,\"writeQueueNums\":4}},"
    "\"topicQueueMappingDetailMap\":{},\"topicQueueMappingInfoMap\":{}}";

static void test_topics_java_form(void **state)
{
    struct rmq_topic_table *t;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_topic_table_parse(&t, java_topics, strlen(java_topics), "topics", err), 0);
    assert_int_equal(rmq_topic_table_count(t), 4);
    assert_int_equal(rmq_topic_table_version(t)->counter, 3);
    assert_int_equal(rmq_topic_table_version(t)->timestamp, 1700000000000LL);
    const struct rmq_topic_conf *c = rmq_topic_table_get(t, "TopicTest");
    assert_non_null(c);
    assert_int_equal(c->read_queue_nums, 8);
    assert_int_equal(c->write_queue_nums, 8);
    assert_int_equal(c->perm, 6);
    c = rmq_topic_table_get(t, "ordered");
    assert_true(c->order);
    assert_int_equal(c->topic_filter_type, RMQ_TOPIC_FILTER_MULTI_TAG);
    assert_int_equal(c->topic_sys_flag, 1);
    assert_int_equal(c->write_queue_nums, 3);
    assert_string_equal(rmq_topic_table_at(t, 0)->name, "%RETRY%group1");
    assert_null(rmq_topic_table_get(t, "nope"));
    size_t len;
    char *s = rmq_topic_table_encode(t, &len);
    assert_string_equal(s, java_topics);   /* byte-identical to fastjson's output */
    assert_int_equal(len, strlen(java_topics));
    free(s);
    rmq_topic_table_free(t);

    assert_int_equal(rmq_topic_table_parse(&t, java5_topics, strlen(java5_topics), "t5", err), 0);
    s = rmq_topic_table_encode(t, &len);
    assert_string_equal(s, java5_topics);
    free(s);
    /* changing a modelled field keeps the unknown ones */
    struct rmq_topic_conf tc = *rmq_topic_table_get(t, "TopicTest");
    tc.write_queue_nums = 5;
    assert_int_equal(rmq_topic_table_put(t, &tc), 1);
    s = rmq_topic_table_encode(t, &len);
    assert_non_null(strstr(s, "\"attributes\":{\"+message.type\":\"NORMAL\"}"));
    assert_non_null(strstr(s, "\"writeQueueNums\":5"));
    assert_non_null(strstr(s, "\"stateVersion\":0"));
    free(s);
    rmq_topic_table_free(t);
}

static void test_topics_lenient_and_api(void **state)
{
    const char *lenient =
        "{\"topicConfigTable\":{\"A\":{\"perm\":\"6\",\"order\":\"true\",\"readQueueNums\":\"4\","
        "\"writeQueueNums\":4.0,\"topicFilterType\":1,\"unknownThing\":[1,2]},"
        "\"B\":{\"topicFilterType\":\"WEIRD\"}},\"somethingNew\":true}";
    struct rmq_topic_table *t;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_topic_table_parse(&t, lenient, strlen(lenient), "l", err), 0);
    const struct rmq_topic_conf *a = rmq_topic_table_get(t, "A");
    assert_int_equal(a->perm, 6);
    assert_true(a->order);
    assert_int_equal(a->read_queue_nums, 4);
    assert_int_equal(a->write_queue_nums, 4);
    assert_int_equal(a->topic_filter_type, RMQ_TOPIC_FILTER_MULTI_TAG);
    const struct rmq_topic_conf *b = rmq_topic_table_get(t, "B");   /* Java class defaults */
    assert_int_equal(b->read_queue_nums, 16);
    assert_int_equal(b->perm, 6);
    assert_int_equal(b->topic_filter_type, RMQ_TOPIC_FILTER_SINGLE_TAG);
    size_t len;
    char *s = rmq_topic_table_encode(t, &len);
    assert_non_null(strstr(s, "\"unknownThing\":[1,2]"));
    assert_non_null(strstr(s, ",\"somethingNew\":true,\"topicConfigTable\""));
    assert_non_null(strstr(s, "{\"dataVersion\":{\"counter\":0,\"timestamp\":0},"));
    free(s);

    /* put / get / delete and dataVersion */
    struct rmq_topic_conf c;
    rmq_topic_conf_init(&c, "New");
    assert_int_equal(rmq_topic_table_put(t, &c), 1);
    assert_int_equal(rmq_topic_table_version(t)->counter, 1);
    assert_true(rmq_topic_table_version(t)->timestamp > 1600000000000LL);
    assert_int_equal(rmq_topic_table_put(t, &c), 0);   /* unchanged: no bump */
    assert_int_equal(rmq_topic_table_version(t)->counter, 1);
    c.perm = 4;
    assert_int_equal(rmq_topic_table_put(t, &c), 1);
    assert_int_equal(rmq_topic_table_version(t)->counter, 2);
    assert_int_equal(rmq_topic_table_get(t, "New")->perm, 4);
    assert_int_equal(rmq_topic_table_count(t), 3);
    assert_string_equal(rmq_topic_table_at(t, 2)->name, "New");   /* "A" "B" "New" */
    assert_null(rmq_topic_table_at(t, 3));
    assert_int_equal(rmq_topic_table_delete(t, "A"), 0);
    assert_int_equal(rmq_topic_table_delete(t, "A"), RMQ_ENOTFOUND);
    assert_int_equal(rmq_topic_table_version(t)->counter, 3);
    assert_int_equal(rmq_topic_table_count(t), 2);
    /* bad names */
    rmq_topic_conf_init(&c, "bad\nname");
    assert_int_equal(rmq_topic_table_put(t, &c), RMQ_EINVAL);
    rmq_topic_conf_init(&c, "bad\xff");
    assert_int_equal(rmq_topic_table_put(t, &c), RMQ_EINVAL);
    rmq_topic_conf_init(&c, "");
    assert_int_equal(rmq_topic_table_put(t, &c), RMQ_EINVAL);
    /* a name needing escapes round-trips */
    rmq_topic_conf_init(&c, "q\"uo\\te");
    assert_int_equal(rmq_topic_table_put(t, &c), 1);
    s = rmq_topic_table_encode(t, &len);
    struct rmq_topic_table *t2;
    assert_int_equal(rmq_topic_table_parse(&t2, s, len, "again", err), 0);
    assert_non_null(rmq_topic_table_get(t2, "q\"uo\\te"));
    size_t len2;
    char *s2 = rmq_topic_table_encode(t2, &len2);
    assert_string_equal(s, s2);
    free(s);
    free(s2);
    rmq_topic_table_free(t2);
    rmq_topic_table_free(t);

    /* wrong types are errors, not silent defaults */
    const char *wrong = "{\"topicConfigTable\":{\"A\":{\"perm\":{}}}}";
    assert_int_equal(rmq_topic_table_parse(&t, wrong, strlen(wrong), "w", err), RMQ_ECORRUPT);
    assert_null(t);
    assert_non_null(strstr(err, "perm"));
    assert_int_equal(rmq_topic_table_parse(&t, SL("{\"topicConfigTable\":[]}"), "w", err), RMQ_ECORRUPT);
}

/* ------------------------------------------------------------- subscriptionGroup.json */

static const char *const java_groups =
    "{\"dataVersion\":{\"counter\":2,\"timestamp\":1700000000000},\"subscriptionGroupTable\":{"
    "\"grp\":{\"brokerId\":0,\"consumeBroadcastEnable\":true,\"consumeEnable\":true,\"consumeFromMinEnable\":true,\"groupName\":\"grp\",\"notifyConsumerIdsChangedEnable\":true,\"retryMaxTimes\":16,\"retryQueueNums\":1,\"whichBrokerWhenConsumeSlowly\":1},"
    "\"slow\":{\"attributes\":{},\"brokerId\":1,\"consumeBroadcastEnable\":false,\"consumeEnable\":false,\"consumeFromMinEnable\":false,\"consumeMessageOrderly\":false,\"consumeTimeoutMinute\":15,\"groupName\":\"slow\",\"groupRetryPolicy\":{\"type\":\"CUSTOMIZED\"},\"groupSysFlag\":0,\"notifyConsumerIdsChangedEnable\":false,\"retryMaxTimes\":3,\"retryQueueNums\":2,\"subscriptionDataSet\":[],\"whichBrokerWhenConsumeSlowly\":2}},"
    "\"forbiddenTable\":{}}";

static void test_groups(void **state)
{
    /* fastjson sorts members: move forbiddenTable to its place for the byte comparison */
    char sorted[2048];
    const char *ft = strstr(java_groups, ",\"forbiddenTable\":{}");
    int head = (int)(strstr(java_groups, ",\"subscriptionGroupTable\"") - java_groups);
    snprintf(sorted, sizeof sorted, "%.*s,\"forbiddenTable\":{}%.*s}", head, java_groups,
             (int)(ft - java_groups - head), java_groups + head);
    struct rmq_group_table *t;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_group_table_parse(&t, java_groups, strlen(java_groups), "g", err), 0);
    assert_int_equal(rmq_group_table_count(t), 2);
    const struct rmq_group_conf *g = rmq_group_table_get(t, "grp");
    assert_true(g->consume_enable && g->consume_broadcast_enable && g->consume_from_min_enable);
    assert_true(g->notify_consumer_ids_changed_enable);
    assert_int_equal(g->retry_max_times, 16);
    assert_int_equal(g->retry_queue_nums, 1);
    assert_int_equal(g->broker_id, 0);
    assert_int_equal(g->which_broker_when_consume_slowly, 1);
    g = rmq_group_table_get(t, "slow");
    assert_false(g->consume_enable || g->consume_broadcast_enable || g->consume_from_min_enable);
    assert_int_equal(g->retry_max_times, 3);
    assert_int_equal(g->broker_id, 1);
    size_t len;
    char *s = rmq_group_table_encode(t, &len);
    assert_string_equal(s, sorted);
    free(s);

    /* defaults of a new group equal Java's, and encode as Java does */
    struct rmq_group_conf c;
    rmq_group_conf_init(&c, "grp");
    assert_int_equal(rmq_group_table_put(t, &c), 0);   /* same as the loaded one */
    assert_int_equal(rmq_group_table_version(t)->counter, 2);
    c.retry_max_times = 5;
    assert_int_equal(rmq_group_table_put(t, &c), 1);
    assert_int_equal(rmq_group_table_version(t)->counter, 3);
    assert_int_equal(rmq_group_table_delete(t, "slow"), 0);
    s = rmq_group_table_encode(t, &len);
    assert_non_null(strstr(s, "\"grp\":{\"brokerId\":0,\"consumeBroadcastEnable\":true,\"consumeEnable\":true,\"consumeFromMinEnable\":true,\"groupName\":\"grp\",\"notifyConsumerIdsChangedEnable\":true,\"retryMaxTimes\":5,\"retryQueueNums\":1,\"whichBrokerWhenConsumeSlowly\":1}"));
    free(s);
    rmq_group_table_free(t);

    const char *lenient = "{\"subscriptionGroupTable\":{\"x\":{\"consumeEnable\":\"false\",\"brokerId\":\"2\",\"retryMaxTimes\":\"7\"}}}";
    assert_int_equal(rmq_group_table_parse(&t, lenient, strlen(lenient), "l", err), 0);
    g = rmq_group_table_get(t, "x");
    assert_false(g->consume_enable);
    assert_true(g->consume_broadcast_enable);
    assert_int_equal(g->broker_id, 2);
    assert_int_equal(g->retry_max_times, 7);
    rmq_group_table_free(t);
}

/* ------------------------------------------------------------- consumerOffset.json */

struct seen { char buf[1024]; };
static int collect(void *arg, const char *topic, const char *group, int32_t qid, int64_t off)
{
    struct seen *s = arg;
    size_t l = strlen(s->buf);
    snprintf(s->buf + l, sizeof s->buf - l, "%s|%s|%d|%lld;", topic, group, qid, (long long)off);
    return 0;
}

/* The body of UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: fastjson-lenient, defaults for what is
 * missing, the name from groupName. */
static void test_group_conf_parse(void **state)
{
    char err[RMQ_ERRLEN];
    struct rmq_group_conf g;
    const char *body = "{\"groupName\":\"g1\",\"consumeEnable\":\"false\",\"retryMaxTimes\":3,"
                       "\"groupSysFlag\":0,\"retryQueueNums\":\"2\"}";
    assert_int_equal(rmq_group_conf_parse(body, strlen(body), &g, err), 0);
    assert_string_equal(g.name, "g1");
    assert_false(g.consume_enable);
    assert_true(g.consume_broadcast_enable);
    assert_int_equal(g.retry_max_times, 3);
    assert_int_equal(g.retry_queue_nums, 2);
    assert_int_equal(g.which_broker_when_consume_slowly, 1);
    const char *bad[] = {"{\"consumeEnable\":true}", "{\"groupName\":\"\"}", "[1]", "{\"groupName\":",
                         "{\"groupName\":\"g\",\"retryMaxTimes\":\"x\"}", "{\"groupName\":7}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(rmq_group_conf_parse(bad[i], strlen(bad[i]), &g, err), RMQ_EINVAL);
}

static void test_offsets(void **state)
{
    /* exactly what a Java broker writes: bare Integer keys */
    const char *java = "{\"offsetTable\":{\"TopicTest@group1\":{0:12,1:40,3:7},\"%RETRY%group1@group1\":{0:0}}}";
    struct rmq_offset_table *t;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_offset_table_parse(&t, java, strlen(java), "o", err), 0);
    assert_int_equal(rmq_offset_table_get(t, "TopicTest", "group1", 0), 12);
    assert_int_equal(rmq_offset_table_get(t, "TopicTest", "group1", 1), 40);
    assert_int_equal(rmq_offset_table_get(t, "TopicTest", "group1", 2), -1);
    assert_int_equal(rmq_offset_table_get(t, "TopicTest", "group1", 3), 7);
    assert_int_equal(rmq_offset_table_get(t, "%RETRY%group1", "group1", 0), 0);
    assert_int_equal(rmq_offset_table_get(t, "TopicTest", "nogroup", 0), -1);
    size_t len;
    char *s = rmq_offset_table_encode(t, &len);
    assert_string_equal(s, "{\"offsetTable\":{\"%RETRY%group1@group1\":{0:0},\"TopicTest@group1\":{0:12,1:40,3:7}}}");
    free(s);

    assert_int_equal(rmq_offset_table_set(t, "TopicTest", "group1", 2, 99), 0);
    assert_int_equal(rmq_offset_table_set(t, "TopicTest", "group2", 0, 5), 0);
    assert_int_equal(rmq_offset_table_set(t, "Other", "group2", 10, 1), 0);
    assert_int_equal(rmq_offset_table_set(t, "Other", "group2", 10, 2), 0);
    assert_int_equal(rmq_offset_table_get(t, "Other", "group2", 10), 2);
    struct seen seen = {""};
    assert_int_equal(rmq_offset_table_foreach(t, collect, &seen), 0);
    assert_string_equal(seen.buf, "%RETRY%group1|group1|0|0;Other|group2|10|2;TopicTest|group1|0|12;"
                                  "TopicTest|group1|1|40;TopicTest|group1|2|99;TopicTest|group1|3|7;"
                                  "TopicTest|group2|0|5;");
    assert_int_equal(rmq_offset_table_delete_group(t, "group2"), 2);
    assert_int_equal(rmq_offset_table_get(t, "Other", "group2", 10), -1);
    assert_int_equal(rmq_offset_table_delete_topic(t, "TopicTest"), 1);
    assert_int_equal(rmq_offset_table_delete(t, "%RETRY%group1", "group1"), 1);
    assert_int_equal(rmq_offset_table_delete(t, "%RETRY%group1", "group1"), 0);
    s = rmq_offset_table_encode(t, &len);
    assert_string_equal(s, "{\"offsetTable\":{}}");
    free(s);
    assert_int_equal(rmq_offset_table_set(t, "a@b", "g", 0, 1), RMQ_EINVAL);
    assert_int_equal(rmq_offset_table_set(t, "t", "", 0, 1), RMQ_EINVAL);
    rmq_offset_table_free(t);

    /* quoted keys, numbers as strings, unknown members kept (5.x) */
    const char *q = "{\"dataVersion\":{\"counter\":1,\"timestamp\":2},\"offsetTable\":{\"T@g\":{\"0\":\"12\", -1 : 3}},"
                    "\"pullOffsetTable\":{\"T@g\":{0:5}}}";
    assert_int_equal(rmq_offset_table_parse(&t, q, strlen(q), "q", err), 0);
    assert_int_equal(rmq_offset_table_get(t, "T", "g", 0), 12);
    assert_int_equal(rmq_offset_table_get(t, "T", "g", -1), 3);
    s = rmq_offset_table_encode(t, &len);
    assert_string_equal(s, "{\"dataVersion\":{\"counter\":1,\"timestamp\":2},\"offsetTable\":{\"T@g\":{-1:3,0:12}},"
                           "\"pullOffsetTable\":{\"T@g\":{\"0\":5}}}");
    struct rmq_offset_table *t2;   /* and our own output loads again */
    assert_int_equal(rmq_offset_table_parse(&t2, s, len, "again", err), 0);
    assert_int_equal(rmq_offset_table_get(t2, "T", "g", -1), 3);
    rmq_offset_table_free(t2);
    free(s);
    rmq_offset_table_free(t);

    /* bad queue ids and offsets fail the load */
    assert_int_equal(rmq_offset_table_parse(&t, SL("{\"offsetTable\":{\"T@g\":{\"x\":1}}}"), "b", err), RMQ_ECORRUPT);
    assert_non_null(strstr(err, "queue id"));
    assert_int_equal(rmq_offset_table_parse(&t, SL("{\"offsetTable\":{\"T@g\":{1:true}}}"), "b", err), RMQ_ECORRUPT);
    assert_int_equal(rmq_offset_table_parse(&t, SL("{\"offsetTable\":{\"T@g\":{99999999999:1}}}"), "b", err), RMQ_ECORRUPT);
}

/* Java's ConfigManager.persist() writes with PrettyFormat (tabs, newlines, and for the
 * Integer-keyed maps a closing brace on its own line): all of it must load. */
static void test_java_pretty_files(void **state)
{
    const char *offsets =
        "{\n\t\"offsetTable\":{\n"
        "\t\t\"%RETRY%please_rename_unique_group_name_4@please_rename_unique_group_name_4\":{0:0\n\t\t},\n"
        "\t\t\"TopicTest@please_rename_unique_group_name_4\":{0:250,1:250,2:250,3:249\n\t\t}\n"
        "\t}\n}";
    const char *topics =
        "{\n\t\"dataVersion\":{\n\t\t\"counter\":2,\n\t\t\"timestamp\":1700000000000\n\t},\n"
        "\t\"topicConfigTable\":{\n\t\t\"TopicTest\":{\n\t\t\t\"order\":false,\n\t\t\t\"perm\":6,\n"
        "\t\t\t\"readQueueNums\":4,\n\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n"
        "\t\t\t\"topicName\":\"TopicTest\",\n\t\t\t\"topicSysFlag\":0,\n\t\t\t\"writeQueueNums\":4\n"
        "\t\t}\n\t}\n}";
    const char *delay = "{\n\t\"offsetTable\":{1:3,2:0\n\t}\n}";
    char err[RMQ_ERRLEN];
    struct rmq_offset_table *o;
    assert_int_equal(rmq_offset_table_parse(&o, SL(offsets), "o", err), 0);
    assert_int_equal(rmq_offset_table_get(o, "TopicTest", "please_rename_unique_group_name_4", 3), 249);
    assert_int_equal(rmq_offset_table_get(o, "%RETRY%please_rename_unique_group_name_4",
                                          "please_rename_unique_group_name_4", 0), 0);
    rmq_offset_table_free(o);
    struct rmq_topic_table *t;
    assert_int_equal(rmq_topic_table_parse(&t, SL(topics), "t", err), 0);
    assert_int_equal(rmq_topic_table_get(t, "TopicTest")->write_queue_nums, 4);
    assert_int_equal(rmq_topic_table_version(t)->counter, 2);
    rmq_topic_table_free(t);
    struct rmq_delay_table *d;
    assert_int_equal(rmq_delay_table_parse(&d, SL(delay), "d", err), 0);
    assert_int_equal(rmq_delay_table_get(d, 1), 3);
    rmq_delay_table_free(d);
}

/* ------------------------------------------------------------- delayOffset.json */

static void test_delay(void **state)
{
    struct rmq_delay_table *t;
    char err[RMQ_ERRLEN];
    const char *v4 = "{\"offsetTable\":{2:5,1:0,18:1000}}";   /* 4.x: no dataVersion */
    assert_int_equal(rmq_delay_table_parse(&t, v4, strlen(v4), "d", err), 0);
    assert_int_equal(rmq_delay_table_count(t), 3);
    assert_int_equal(rmq_delay_table_get(t, 2), 5);
    assert_int_equal(rmq_delay_table_get(t, 18), 1000);
    assert_int_equal(rmq_delay_table_get(t, 3), -1);
    int32_t lv;
    int64_t off;
    assert_int_equal(rmq_delay_table_at(t, 0, &lv, &off), 0);
    assert_int_equal(lv, 1);
    assert_int_equal(rmq_delay_table_at(t, 3, &lv, &off), RMQ_ENOTFOUND);
    size_t len;
    char *s = rmq_delay_table_encode(t, &len);
    assert_string_equal(s, "{\"dataVersion\":{\"counter\":0,\"timestamp\":0},\"offsetTable\":{1:0,2:5,18:1000}}");
    free(s);
    assert_int_equal(rmq_delay_table_set(t, 2, 5), 0);
    assert_int_equal(rmq_delay_table_version(t)->counter, 0);
    assert_int_equal(rmq_delay_table_set(t, 2, 6), 0);
    assert_int_equal(rmq_delay_table_set(t, 3, 1), 0);
    assert_int_equal(rmq_delay_table_version(t)->counter, 2);
    assert_int_equal(rmq_delay_table_get(t, 2), 6);
    rmq_delay_table_free(t);

    const char *v5 = "{\"dataVersion\":{\"counter\":7,\"stateVersion\":0,\"timestamp\":1700000000000},\"offsetTable\":{1:0,2:5}}";
    assert_int_equal(rmq_delay_table_parse(&t, v5, strlen(v5), "d5", err), 0);
    s = rmq_delay_table_encode(t, &len);
    assert_string_equal(s, v5);
    free(s);
    rmq_delay_table_free(t);
}

/* ------------------------------------------------------------- files */

static void test_files_round_trip(void **state)
{
    char p[4][512];
    path_of(p[0], sizeof p[0], RMQ_META_TOPICS_FILE);
    path_of(p[1], sizeof p[1], RMQ_META_GROUPS_FILE);
    path_of(p[2], sizeof p[2], RMQ_META_OFFSETS_FILE);
    path_of(p[3], sizeof p[3], RMQ_META_DELAY_FILE);
    char err[RMQ_ERRLEN];
    /* nothing on disk: empty tables */
    struct rmq_topic_table *tt;
    struct rmq_group_table *gt;
    struct rmq_offset_table *ot;
    struct rmq_delay_table *dt;
    assert_int_equal(rmq_topic_table_load(&tt, p[0], err), 0);
    assert_int_equal(rmq_group_table_load(&gt, p[1], err), 0);
    assert_int_equal(rmq_offset_table_load(&ot, p[2], err), 0);
    assert_int_equal(rmq_delay_table_load(&dt, p[3], err), 0);
    assert_int_equal(rmq_topic_table_count(tt) + rmq_group_table_count(gt) + rmq_delay_table_count(dt), 0);
    struct rmq_topic_conf c;
    rmq_topic_conf_init(&c, "TopicTest");
    c.read_queue_nums = c.write_queue_nums = 8;
    rmq_topic_table_put(tt, &c);
    struct rmq_group_conf g;
    rmq_group_conf_init(&g, "grp");
    rmq_group_table_put(gt, &g);
    rmq_offset_table_set(ot, "TopicTest", "grp", 3, 77);
    rmq_delay_table_set(dt, 4, 44);
    assert_int_equal(rmq_topic_table_save(tt, p[0], err), 0);   /* creates config/ */
    assert_int_equal(rmq_group_table_save(gt, p[1], err), 0);
    assert_int_equal(rmq_offset_table_save(ot, p[2], err), 0);
    assert_int_equal(rmq_delay_table_save(dt, p[3], err), 0);
    size_t l1, l2;
    char *e1 = rmq_topic_table_encode(tt, &l1);
    rmq_topic_table_free(tt);
    rmq_group_table_free(gt);
    rmq_offset_table_free(ot);
    rmq_delay_table_free(dt);

    assert_int_equal(rmq_topic_table_load(&tt, p[0], err), 0);
    char *e2 = rmq_topic_table_encode(tt, &l2);
    assert_string_equal(e1, e2);
    char *disk = read_text(p[0]);
    assert_string_equal(disk, e1);
    free(disk);
    free(e1);
    free(e2);
    assert_int_equal(rmq_topic_table_get(tt, "TopicTest")->read_queue_nums, 8);
    assert_int_equal(rmq_group_table_load(&gt, p[1], err), 0);
    assert_non_null(rmq_group_table_get(gt, "grp"));
    assert_int_equal(rmq_offset_table_load(&ot, p[2], err), 0);
    assert_int_equal(rmq_offset_table_get(ot, "TopicTest", "grp", 3), 77);
    disk = read_text(p[2]);
    assert_string_equal(disk, "{\"offsetTable\":{\"TopicTest@grp\":{3:77}}}");
    free(disk);
    assert_int_equal(rmq_delay_table_load(&dt, p[3], err), 0);
    assert_int_equal(rmq_delay_table_get(dt, 4), 44);
    rmq_topic_table_free(tt);
    rmq_group_table_free(gt);
    rmq_offset_table_free(ot);
    rmq_delay_table_free(dt);
}

static void test_backup_fallback(void **state)
{
    char p[512], bak[600];
    path_of(p, sizeof p, RMQ_META_OFFSETS_FILE);
    snprintf(bak, sizeof bak, "%s.bak", p);
    char err[RMQ_ERRLEN];
    struct rmq_offset_table *t;
    assert_int_equal(rmq_offset_table_new(&t), 0);
    rmq_offset_table_set(t, "T", "g", 0, 1);
    assert_int_equal(rmq_offset_table_save(t, p, err), 0);   /* v1, no .bak yet */
    rmq_offset_table_set(t, "T", "g", 0, 2);
    assert_int_equal(rmq_offset_table_save(t, p, err), 0);   /* v2, .bak = v1 */
    rmq_offset_table_free(t);
    char *b = read_text(bak);
    assert_string_equal(b, "{\"offsetTable\":{\"T@g\":{0:1}}}");
    free(b);

    /* a torn main file: the backup is used */
    write_text(p, "{\"offsetTable\":{\"T@g\":{0:");
    assert_int_equal(rmq_offset_table_load(&t, p, err), 0);
    assert_int_equal(rmq_offset_table_get(t, "T", "g", 0), 1);
    /* saving now must not copy the bad main file over the good backup */
    rmq_offset_table_set(t, "T", "g", 0, 3);
    assert_int_equal(rmq_offset_table_save(t, p, err), 0);
    b = read_text(bak);
    assert_string_equal(b, "{\"offsetTable\":{\"T@g\":{0:1}}}");
    free(b);
    b = read_text(p);
    assert_string_equal(b, "{\"offsetTable\":{\"T@g\":{0:3}}}");
    free(b);
    /* …and from then on the backup follows the main file again */
    assert_int_equal(rmq_offset_table_save(t, p, err), 0);
    b = read_text(bak);
    assert_string_equal(b, "{\"offsetTable\":{\"T@g\":{0:3}}}");
    free(b);
    rmq_offset_table_free(t);

    /* missing or empty main file: the backup is used (ConfigManager.load) */
    unlink(p);
    assert_int_equal(rmq_offset_table_load(&t, p, err), 0);
    assert_int_equal(rmq_offset_table_get(t, "T", "g", 0), 3);
    rmq_offset_table_free(t);
    write_text(p, "");
    assert_int_equal(rmq_offset_table_load(&t, p, err), 0);
    assert_int_equal(rmq_offset_table_get(t, "T", "g", 0), 3);
    rmq_offset_table_free(t);

    /* a main file that parses but does not decode counts as bad too */
    write_text(p, "{\"offsetTable\":{\"T@g\":{0:\"many\"}}}");
    assert_int_equal(rmq_offset_table_load(&t, p, err), 0);
    assert_int_equal(rmq_offset_table_get(t, "T", "g", 0), 3);
    rmq_offset_table_free(t);

    /* bad main file and no backup: an error naming the file and the position */
    unlink(bak);
    write_text(p, "{\"offsetTable\":\n{\"T@g\":{0:1,}}}");
    t = (struct rmq_offset_table *)0x1;
    assert_int_equal(rmq_offset_table_load(&t, p, err), RMQ_ECORRUPT);
    assert_null(t);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, "line 2"));
    assert_non_null(strstr(err, "backup"));
    /* bad main and bad backup */
    write_text(bak, "nonsense");
    assert_int_equal(rmq_offset_table_load(&t, p, err), RMQ_ECORRUPT);
    assert_non_null(strstr(err, p));
    assert_non_null(strstr(err, bak));
    /* missing main and bad backup */
    unlink(p);
    assert_int_equal(rmq_offset_table_load(&t, p, err), RMQ_ECORRUPT);
    assert_non_null(strstr(err, bak));

    /* the same for a jansson-encoded table */
    char tp[512];
    path_of(tp, sizeof tp, RMQ_META_TOPICS_FILE);
    write_text(tp, "{\"topicConfigTable\":{\"A\":{\"perm\":6}}");
    struct rmq_topic_table *tt;
    assert_int_equal(rmq_topic_table_load(&tt, tp, err), RMQ_ECORRUPT);
    assert_non_null(strstr(err, tp));
    assert_non_null(strstr(err, "line 1"));
}

static void test_save_faults(void **state)
{
    char p[512], err[RMQ_ERRLEN];
    path_of(p, sizeof p, RMQ_META_TOPICS_FILE);
    struct rmq_topic_table *t;
    assert_int_equal(rmq_topic_table_new(&t), 0);
    struct rmq_topic_conf c;
    rmq_topic_conf_init(&c, "Old");
    rmq_topic_table_put(t, &c);
    assert_int_equal(rmq_topic_table_save(t, p, err), 0);
    char *v1 = read_text(p);
    rmq_topic_conf_init(&c, "New");
    rmq_topic_table_put(t, &c);
    static const struct { enum rmq_os_op op; int e; } faults[] = {
        {RMQ_OS_RENAME, EIO}, {RMQ_OS_FSYNC, EIO}, {RMQ_OS_WRITE, ENOSPC}, {RMQ_OS_OPEN, EACCES},
    };
    for (size_t i = 0; i < sizeof faults / sizeof *faults; i++) {
        rmq_os_inject(faults[i].op, faults[i].e, 0);
        err[0] = 0;
        assert_int_equal(rmq_topic_table_save(t, p, err), -faults[i].e);
        rmq_os_inject(faults[i].op, 0, 0);
        assert_non_null(strstr(err, p));
        char *now = read_text(p);
        assert_string_equal(now, v1);   /* the old file is intact */
        free(now);
        struct rmq_topic_table *back;
        assert_int_equal(rmq_topic_table_load(&back, p, err), 0);
        assert_non_null(rmq_topic_table_get(back, "Old"));
        assert_null(rmq_topic_table_get(back, "New"));
        rmq_topic_table_free(back);
    }
    /* a failure after the backup copy (second fsync: the temp file) leaves main intact too */
    rmq_os_inject(RMQ_OS_FSYNC, EIO, 1);
    assert_int_equal(rmq_topic_table_save(t, p, err), -EIO);
    rmq_os_inject(RMQ_OS_FSYNC, 0, 0);
    char *now = read_text(p);
    assert_string_equal(now, v1);
    free(now);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", p);
    assert_int_equal(access(tmp, F_OK), -1);   /* no temp file left behind */
    /* and once the disk behaves, the save goes through */
    assert_int_equal(rmq_topic_table_save(t, p, err), 0);
    struct rmq_topic_table *back;
    assert_int_equal(rmq_topic_table_load(&back, p, err), 0);
    assert_non_null(rmq_topic_table_get(back, "New"));
    rmq_topic_table_free(back);
    free(v1);
    rmq_topic_table_free(t);
}

int main(void)
{
    rmq_log_level = RMQ_LOG_ERROR;   /* the fallback warnings are expected here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_int_keys),
        cmocka_unit_test(test_parse_lenient_errors),
        cmocka_unit_test(test_lenient_scalars),
        cmocka_unit_test(test_topics_java_form),
        cmocka_unit_test(test_topics_lenient_and_api),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_group_conf_parse),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_java_pretty_files),
        cmocka_unit_test(test_delay),
        cmocka_unit_test_setup_teardown(test_files_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backup_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_faults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
