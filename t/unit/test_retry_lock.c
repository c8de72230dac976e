/* Unit tests for core/client/retry.h (CONSUMER_SEND_MSG_BACK and the %RETRY% copy a
 * consumer sends when a message failed) and core/client/qlock.h (LOCK_BATCH_MQ bodies).
 * The round trips against a broker are in t/5500-retry-orderly.bats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "client/qlock.h"
#include "client/retry.h"
#include "proto/codes.h"
#include "proto/msg.h"
#include "proto/remoting.h"
#include "util/buf.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *prop(const struct rmq_buf *b, const char *key)
{
    static char v[256];
    size_t n;
    const char *p = rmq_props_get((const char *)b->data, b->len, key, &n);
    if (!p)
        return NULL;
    snprintf(v, sizeof v, "%.*s", (int)n, p);
    return v;
}

static void origin_topic_of_retry_messages(void **state)
{
    struct rmq_buf props = {0};
    rmq_props_add(&props, "RETRY_TOPIC", "TopicA", 6);
    struct rmq_msg m = {.topic = "%RETRY%g", .topic_len = 8, .props = (const char *)props.data,
                        .props_len = (uint16_t)props.len};
    size_t n;
    const char *t = rmq_origin_topic(&m, &n);
    assert_int_equal(n, 6);
    assert_memory_equal(t, "TopicA", 6);
    /* an ordinary topic keeps its name even if a producer set RETRY_TOPIC */
    m.topic = "TopicB";
    m.topic_len = 6;
    t = rmq_origin_topic(&m, &n);
    assert_memory_equal(t, "TopicB", 6);
    rmq_buf_free(&props);
}

static void sendback_header(void **state)
{
    struct rmq_buf props = {0};
    rmq_props_add(&props, "UNIQ_KEY", "U1", 2);
    struct rmq_msg m = {.topic = "TopicA", .topic_len = 6, .props = (const char *)props.data,
                        .props_len = (uint16_t)props.len, .phys_offset = 4242};
    struct rmq_sendback sb = {.group = "G", .m = &m, .msg_id = "U1", .delay_level = 0, .max_reconsume = 16};
    struct rmq_cmd req;
    rmq_sendback_req(&req, &sb);
    assert_int_equal(req.code, RMQ_REQ_CONSUMER_SEND_MSG_BACK);
    assert_string_equal(rmq_cmd_ext(&req, "offset"), "4242");
    assert_string_equal(rmq_cmd_ext(&req, "group"), "G");
    assert_string_equal(rmq_cmd_ext(&req, "delayLevel"), "0");
    assert_string_equal(rmq_cmd_ext(&req, "originMsgId"), "U1");
    assert_string_equal(rmq_cmd_ext(&req, "originTopic"), "TopicA");
    assert_string_equal(rmq_cmd_ext(&req, "maxReconsumeTimes"), "16");
    rmq_cmd_free(&req);
    /* a retry copy: the first id and topic, and -1 straight to the DLQ */
    rmq_buf_reset(&props);
    rmq_props_add(&props, "RETRY_TOPIC", "TopicA", 6);
    rmq_props_add(&props, "ORIGIN_MESSAGE_ID", "FIRST", 5);
    m.topic = "%RETRY%G";
    m.topic_len = 8;
    m.props = (const char *)props.data;
    m.props_len = (uint16_t)props.len;
    sb.delay_level = -1;
    rmq_sendback_req(&req, &sb);
    assert_string_equal(rmq_cmd_ext(&req, "originMsgId"), "FIRST");
    assert_string_equal(rmq_cmd_ext(&req, "originTopic"), "TopicA");
    assert_string_equal(rmq_cmd_ext(&req, "delayLevel"), "-1");
    rmq_cmd_free(&req);
    rmq_buf_free(&props);
}

static void retry_copy(void **state)
{
    struct rmq_buf in = {0}, props = {0};
    rmq_props_add(&in, "TAGS", "T", 1);
    rmq_props_add(&in, "DELAY", "2", 1);
    rmq_props_add(&in, "RECONSUME_TIME", "9", 1);
    struct rmq_msg m = {.topic = "TopicA", .topic_len = 6, .props = (const char *)in.data,
                        .props_len = (uint16_t)in.len, .flag = 7, .sys_flag = RMQ_SYSFLAG_COMPRESSED};
    struct rmq_sendback sb = {.group = "G", .m = &m, .msg_id = "U1", .delay_level = 4, .max_reconsume = 3};
    struct rmq_cmd req;
    rmq_retry_copy_req(&req, &props, &sb, "body", 4, 2);
    assert_int_equal(req.code, RMQ_REQ_SEND_MESSAGE_V2);
    assert_string_equal(rmq_cmd_ext(&req, "b"), "%RETRY%G");
    assert_string_equal(rmq_cmd_ext(&req, "e"), "0");
    assert_string_equal(rmq_cmd_ext(&req, "f"), "0");   /* the body sent is the plain one */
    assert_string_equal(rmq_cmd_ext(&req, "h"), "7");
    assert_string_equal(rmq_cmd_ext(&req, "j"), "2");
    assert_string_equal(rmq_cmd_ext(&req, "l"), "3");
    assert_int_equal(req.body_len, 4);
    assert_string_equal(prop(&props, "TAGS"), "T");
    assert_string_equal(prop(&props, "RETRY_TOPIC"), "TopicA");
    assert_string_equal(prop(&props, "ORIGIN_MESSAGE_ID"), "U1");
    assert_string_equal(prop(&props, "RECONSUME_TIME"), "2");   /* replaced, not doubled */
    assert_string_equal(prop(&props, "MAX_RECONSUME_TIMES"), "3");
    assert_string_equal(prop(&props, "DELAY"), "4");
    assert_null(memmem(props.data, props.len, "RECONSUME_TIME\0019", 16));
    const char *i = rmq_cmd_ext(&req, "i");
    assert_memory_equal(i, props.data, props.len);
    rmq_cmd_free(&req);
    rmq_buf_free(&in);
    rmq_buf_free(&props);
}

static void lock_body_and_reply(void **state)
{
    struct rmq_mq mqs[3] = {{.broker = "b", .qid = 0}, {.broker = "b", .qid = 1}, {.broker = "c", .qid = 1}};
    struct rmq_buf b = {0};
    rmq_lock_body(&b, "G", "ip@1", "T", mqs, 3);
    json_error_t je;
    json_t *o = json_loadb((const char *)b.data, b.len, 0, &je);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "consumerGroup")), "G");
    assert_string_equal(json_string_value(json_object_get(o, "clientId")), "ip@1");
    assert_true(json_is_false(json_object_get(o, "onlyThisBroker")));
    json_t *set = json_object_get(o, "mqSet");
    assert_int_equal(json_array_size(set), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(set, 2), "brokerName")), "c");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(set, 2), "queueId")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(set, 2), "topic")), "T");
    json_decref(o);
    rmq_buf_free(&b);

    bool locked[3];
    const char *reply = "{\"lockOKMQSet\":[{\"brokerName\":\"c\",\"queueId\":1,\"topic\":\"T\"},"
                        "{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"Other\"}]}";
    assert_int_equal(rmq_lock_reply_parse(reply, strlen(reply), "T", mqs, 3, locked, NULL), 0);
    assert_false(locked[0]);   /* another topic's queue 0 */
    assert_false(locked[1]);
    assert_true(locked[2]);
    assert_int_equal(rmq_lock_reply_parse("{}", 2, "T", mqs, 3, locked, NULL), RMQ_EINVAL);
    assert_int_equal(rmq_lock_reply_parse("not json", 8, "T", mqs, 3, locked, NULL), RMQ_EINVAL);
    assert_int_equal(rmq_lock_reply_parse(NULL, 0, "T", mqs, 3, locked, NULL), RMQ_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(origin_topic_of_retry_messages),
        cmocka_unit_test(sendback_header),
        cmocka_unit_test(retry_copy),
        cmocka_unit_test(lock_body_and_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
