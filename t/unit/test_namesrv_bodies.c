/* Unit tests for core/proto/body_*.c (TopicRouteData, ClusterInfo, TopicList,
 * RegisterBrokerBody: PROTOCOL §3.1–§3.4) and core/namesrv/routes.c (the route table). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "namesrv/routes.h"
#include "proto/body.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

#define SL(s) s, strlen(s)

static char *text(struct rmq_buf *b)
{
    rmq_buf_add(b, "", 1);
    return (char *)b->data;
}

/* The example of PROTOCOL §3.1, as a 4.9.8 name server sends it to an old client. */
static const char java_route[] =
    "{\"brokerDatas\":[{\"brokerAddrs\":{0:\"192.168.1.10:10911\"},\"brokerName\":\"broker-a\",\"cluster\":"
    "\"DefaultCluster\",\"enableActingMaster\":false}],\"filterServerTable\":{},\"queueDatas\":[{\"brokerName\":"
    "\"broker-a\",\"perm\":6,\"readQueueNums\":4,\"topicSysFlag\":0,\"writeQueueNums\":4}]}";

static void route_decodes_java_and_reencodes_identically(void **state)
{
    struct rmq_topic_route r;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_topic_route_decode(SL(java_route), &r, err), 0);
    assert_int_equal(r.nqueues, 1);
    assert_int_equal(r.nbrokers, 1);
    assert_string_equal(r.queues[0].broker_name, "broker-a");
    assert_int_equal(r.queues[0].write_queue_nums, 4);
    assert_int_equal(r.queues[0].perm, 6);
    assert_string_equal(r.brokers[0].cluster, "DefaultCluster");
    assert_string_equal(rmq_broker_data_addr(&r.brokers[0], 0), "192.168.1.10:10911");
    assert_null(rmq_broker_data_addr(&r.brokers[0], 1));
    assert_non_null(rmq_topic_route_broker(&r, "broker-a"));
    assert_null(rmq_topic_route_broker(&r, "broker-b"));

    struct rmq_buf b = {0};
    rmq_topic_route_encode(&r, RMQ_KEYS_BARE, &b);
    assert_string_equal(text(&b), java_route);
    rmq_buf_reset(&b);
    rmq_topic_route_encode(&r, RMQ_KEYS_QUOTED, &b);
    assert_non_null(strstr(text(&b), "\"brokerAddrs\":{\"0\":\"192.168.1.10:10911\"}"));
    /* the quoted form is standard JSON and decodes to the same thing */
    json_error_t je;
    json_t *j = json_loadb((const char *)b.data, b.len - 1, 0, &je);
    assert_non_null(j);
    json_decref(j);
    struct rmq_topic_route r2;
    assert_int_equal(rmq_topic_route_decode(b.data, b.len - 1, &r2, err), 0);
    assert_string_equal(rmq_broker_data_addr(&r2.brokers[0], 0), "192.168.1.10:10911");
    rmq_topic_route_free(&r2);
    rmq_buf_free(&b);
    rmq_topic_route_free(&r);
}

static void route_reads_old_spellings_and_strings(void **state)
{
    static const char old[] = "{\"queueDatas\":[{\"brokerName\":\"b\",\"perm\":\"6\",\"readQueueNums\":\"8\","
                              "\"topicSynFlag\":3,\"writeQueueNums\":8}],\"brokerDatas\":[{\"brokerName\":\"b\","
                              "\"brokerAddrs\":{1:\"h:2\",0:\"h:1\"}}],\"orderTopicConf\":\"b:8\"}";
    struct rmq_topic_route r;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_topic_route_decode(SL(old), &r, err), 0);
    assert_int_equal(r.queues[0].topic_sys_flag, 3);
    assert_int_equal(r.queues[0].read_queue_nums, 8);
    assert_int_equal(r.queues[0].perm, 6);
    assert_int_equal(r.brokers[0].naddrs, 2);
    assert_int_equal(r.brokers[0].addrs[0].id, 0);   /* sorted by id */
    assert_string_equal(r.brokers[0].addrs[1].addr, "h:2");
    assert_string_equal(r.order_topic_conf, "b:8");
    rmq_topic_route_free(&r);
}

static void route_refuses_bad_input(void **state)
{
    static const char *const bad[] = {
        "", "[]", "{", "{\"queueDatas\":{}}", "{\"queueDatas\":[{\"perm\":6}]}",
        "{\"queueDatas\":[{\"brokerName\":\"b\",\"perm\":\"x\"}]}",
        "{\"brokerDatas\":[{\"brokerName\":\"b\",\"brokerAddrs\":{\"x\":\"h:1\"}}]}",
        "{\"brokerDatas\":[{\"brokerName\":\"b\",\"brokerAddrs\":{0:5}}]}",
        "{\"queueDatas\":[{\"brokerName\":\"b\",\"readQueueNums\":-1}]}",
        "{\"queueDatas\":[{\"brokerName\":\"b\",\"readQueueNums\":99999999999}]}",
    };
    char err[RMQ_ERRLEN];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rmq_topic_route r;
        err[0] = 0;
        assert_int_not_equal(rmq_topic_route_decode(SL(bad[i]), &r, err), 0);
        assert_true(err[0] != 0);
        assert_null(r.queues);
        rmq_topic_route_free(&r);   /* safe after an error */
    }
    char longname[600];
    memset(longname, 'a', sizeof longname);
    snprintf(longname, sizeof longname, "{\"queueDatas\":[{\"brokerName\":\"%0300d\"}]}", 1);
    struct rmq_topic_route r;
    assert_int_equal(rmq_topic_route_decode(SL(longname), &r, err), RMQ_EINVAL);
}

/* PROTOCOL §3.2's example: always fastjson's bare keys from a Java name server. */
static const char java_cluster[] =
    "{\"brokerAddrTable\":{\"broker-a\":{\"brokerAddrs\":{0:\"192.168.1.10:10911\",1:\"192.168.1.11:10911\"},"
    "\"brokerName\":\"broker-a\",\"cluster\":\"DefaultCluster\",\"enableActingMaster\":false}},"
    "\"clusterAddrTable\":{\"DefaultCluster\":[\"broker-a\"]}}";

static void cluster_info_round_trip(void **state)
{
    struct rmq_cluster_info ci;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_cluster_info_decode(SL(java_cluster), &ci, err), 0);
    assert_int_equal(ci.nbrokers, 1);
    assert_int_equal(ci.nclusters, 1);
    assert_string_equal(ci.clusters[0].name, "DefaultCluster");
    assert_int_equal(ci.clusters[0].nbrokers, 1);
    assert_string_equal(ci.clusters[0].brokers[0], "broker-a");
    const struct rmq_broker_data *bd = rmq_cluster_info_broker(&ci, "broker-a");
    assert_non_null(bd);
    assert_string_equal(rmq_broker_data_addr(bd, 1), "192.168.1.11:10911");
    struct rmq_buf b = {0};
    rmq_cluster_info_encode(&ci, RMQ_KEYS_BARE, &b);
    assert_string_equal(text(&b), java_cluster);
    rmq_buf_free(&b);
    rmq_cluster_info_free(&ci);
    /* a BrokerData without brokerName takes its key */
    assert_int_equal(rmq_cluster_info_decode(SL("{\"brokerAddrTable\":{\"x\":{\"brokerAddrs\":{\"0\":\"h:1\"}}}}"), &ci,
                                             err), 0);
    assert_string_equal(ci.brokers[0].broker_name, "x");
    rmq_cluster_info_free(&ci);
    assert_int_not_equal(rmq_cluster_info_decode(SL("{\"clusterAddrTable\":{\"c\":[1]}}"), &ci, err), 0);
    assert_int_not_equal(rmq_cluster_info_decode(SL("{\"clusterAddrTable\":{\"c\":\"b\"}}"), &ci, err), 0);
}

static void topic_list_round_trip(void **state)
{
    const char *names[] = {"TopicTest", "TBW102", "a\"b"};
    struct rmq_buf b = {0};
    rmq_topic_list_encode(names, 3, &b);
    assert_string_equal(text(&b), "{\"topicList\":[\"TopicTest\",\"TBW102\",\"a\\\"b\"]}");
    char **got;
    size_t n;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_topic_list_decode(b.data, b.len - 1, &got, &n, err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(got[2], "a\"b");
    rmq_topic_list_free(got, n);
    rmq_buf_free(&b);
    assert_int_not_equal(rmq_topic_list_decode(SL("{\"topicList\":[1]}"), &got, &n, err), 0);
    assert_int_equal(rmq_topic_list_decode(SL("{\"topicList\":[],\"brokerAddr\":\"x\"}"), &got, &n, err), 0);
    assert_int_equal(n, 0);
    rmq_topic_list_free(got, n);
}

/* PROTOCOL §3.4's example (4.9.8 shape) */
static const char java_register[] =
    "{\"filterServerList\":[],\"topicConfigSerializeWrapper\":{\"dataVersion\":{\"counter\":3,\"timestamp\":"
    "1700000000000},\"topicConfigTable\":{\"TopicTest\":{\"order\":false,\"perm\":6,\"readQueueNums\":4,"
    "\"topicFilterType\":\"SINGLE_TAG\",\"topicName\":\"TopicTest\",\"topicSysFlag\":0,\"writeQueueNums\":4}}}}";

static void register_body_round_trip(void **state)
{
    struct rmq_register_body rb;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_register_body_decode(SL(java_register), &rb, err), 0);
    assert_int_equal(rb.version.counter, 3);
    assert_int_equal(rb.ntopics, 1);
    assert_string_equal(rb.topics[0].name, "TopicTest");
    assert_int_equal(rb.topics[0].write_queue_nums, 4);
    struct rmq_buf b = {0};
    rmq_register_body_open(&b, &rb.version);
    rmq_register_body_topic(&b, &rb.topics[0], 7);
    rmq_register_body_close(&b);
    assert_string_equal(text(&b), java_register);
    rmq_buf_reset(&b);
    /* two topics, perm masked by a read-only broker */
    rmq_register_body_open(&b, &rb.version);
    rmq_register_body_topic(&b, &rb.topics[0], 4);
    struct rmq_topic_conf t2;
    rmq_topic_conf_init(&t2, "T2");
    t2.topic_filter_type = RMQ_TOPIC_FILTER_MULTI_TAG;
    rmq_register_body_topic(&b, &t2, 4);
    rmq_register_body_close(&b);
    struct rmq_register_body rb2;
    assert_int_equal(rmq_register_body_decode(b.data, b.len, &rb2, err), 0);
    assert_int_equal(rb2.ntopics, 2);
    assert_int_equal(rb2.topics[0].perm, 4);
    assert_int_equal(rb2.topics[1].topic_filter_type, RMQ_TOPIC_FILTER_MULTI_TAG);
    assert_int_equal(rb2.topics[1].read_queue_nums, 16);
    rmq_register_body_free(&rb2);
    rmq_buf_free(&b);
    rmq_register_body_free(&rb);
    /* 5.x extras are ignored; a missing topicName comes from the key; no wrapper is no topics */
    assert_int_equal(rmq_register_body_decode(SL("{\"topicConfigSerializeWrapper\":{\"mappingDataVersion\":{},"
                                                 "\"topicConfigTable\":{\"K\":{\"attributes\":{}}}}}"), &rb, err), 0);
    assert_string_equal(rb.topics[0].name, "K");
    rmq_register_body_free(&rb);
    assert_int_equal(rmq_register_body_decode(SL("{\"filterServerList\":[]}"), &rb, err), 0);
    assert_int_equal(rb.ntopics, 0);
    rmq_register_body_free(&rb);
    /* compressed bodies and garbage are refused with a reason */
    assert_int_equal(rmq_register_body_decode(SL("\x78\xda\x01\x02"), &rb, err), RMQ_EINVAL);
    assert_non_null(strstr(err, "compressedRegister"));
    assert_int_not_equal(rmq_register_body_decode(SL("{\"topicConfigSerializeWrapper\":{\"topicConfigTable\":"
                                                     "{\"T\":{\"topicFilterType\":\"X\"}}}}"), &rb, err), 0);
    assert_int_not_equal(rmq_register_body_decode(SL("{\"topicConfigSerializeWrapper\":{\"topicConfigTable\":"
                                                     "{\"T\":{\"writeQueueNums\":70000}}}}"), &rb, err), 0);
}

/* ------------------------------------------------------------------ the route table */

static struct rmq_register_body body_of(const char *topic, int queues)
{
    struct rmq_register_body rb = {0};
    rb.topics = calloc(1, sizeof *rb.topics);
    rmq_topic_conf_init(&rb.topics[0], topic);
    rb.topics[0].read_queue_nums = rb.topics[0].write_queue_nums = queues;
    rb.ntopics = 1;
    return rb;
}

static void reg(struct rmq_routes *rt, const char *cluster, const char *name, const char *addr, int64_t id,
                uint64_t conn, int64_t now, const char *topic, int queues)
{
    struct rmq_broker_reg r = {.cluster = cluster, .name = name, .addr = addr, .id = id, .conn_id = conn,
                               .now_ms = now};
    struct rmq_register_body rb = body_of(topic, queues);
    char m[RMQ_BODY_ADDR_MAX + 1], mh[RMQ_BODY_ADDR_MAX + 1], err[RMQ_ERRLEN];
    assert_int_equal(rmq_routes_register(rt, &r, &rb, false, m, mh, err), 0);
    rmq_register_body_free(&rb);
}

static void routes_two_brokers_and_liveness(void **state)
{
    struct rmq_routes *rt = rmq_routes_new();
    reg(rt, "C", "broker-a", "h:1", 0, 11, 1000, "T", 4);
    reg(rt, "C", "broker-b", "h:2", 0, 12, 1000, "T", 8);
    reg(rt, "D", "broker-c", "h:3", 0, 13, 1000, "U", 1);
    struct rmq_topic_route r;
    assert_int_equal(rmq_routes_topic(rt, "T", &r), 0);
    assert_int_equal(r.nqueues, 2);
    assert_int_equal(r.nbrokers, 2);
    assert_string_equal(rmq_broker_data_addr(rmq_topic_route_broker(&r, "broker-b"), 0), "h:2");
    rmq_topic_route_free(&r);
    assert_int_equal(rmq_routes_topic(rt, "nope", &r), RMQ_ENOTFOUND);

    struct rmq_cluster_info ci;
    rmq_routes_cluster_info(rt, &ci);
    assert_int_equal(ci.nclusters, 2);
    assert_string_equal(ci.clusters[0].name, "C");
    assert_int_equal(ci.clusters[0].nbrokers, 2);
    assert_string_equal(ci.clusters[0].brokers[1], "broker-b");
    rmq_cluster_info_free(&ci);

    const char **names;
    size_t n;
    rmq_routes_topic_names(rt, "D", &names, &n);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "U");
    free(names);

    /* wipe / add write permission */
    assert_int_equal(rmq_routes_set_write_perm(rt, "broker-a", false), 1);
    assert_int_equal(rmq_routes_set_write_perm(rt, "broker-a", false), 0);
    assert_int_equal(rmq_routes_topic(rt, "T", &r), 0);
    assert_int_equal(r.queues[0].perm, 4);
    rmq_topic_route_free(&r);
    assert_int_equal(rmq_routes_set_write_perm(rt, "broker-a", true), 1);

    /* a closed connection drops its broker at once; its topic queues go with it */
    assert_int_equal(rmq_routes_drop_conn(rt, 13), 1);
    assert_int_equal(rmq_routes_topic(rt, "U", &r), RMQ_ENOTFOUND);
    assert_int_equal(rmq_routes_drop_conn(rt, 99), 0);
    /* expiry: broker-a registers again later, broker-b does not */
    reg(rt, "C", "broker-a", "h:1", 0, 11, 100000, "T", 4);
    assert_int_equal(rmq_routes_expire(rt, 121500, RMQ_BROKER_EXPIRY_MS), 1);
    assert_int_equal(rmq_routes_broker_count(rt), 1);
    assert_int_equal(rmq_routes_topic(rt, "T", &r), 0);
    assert_int_equal(r.nqueues, 1);
    rmq_topic_route_free(&r);
    /* unregister, then the table is empty */
    assert_int_equal(rmq_routes_unregister(rt, "broker-a", "h:9", 0), RMQ_ENOTFOUND);
    assert_int_equal(rmq_routes_unregister(rt, "broker-a", "h:1", 0), 0);
    assert_int_equal(rmq_routes_topic_count(rt), 0);
    assert_int_equal(rmq_routes_broker_count(rt), 0);
    rmq_routes_free(rt);
}

static void routes_slaves_and_deletes(void **state)
{
    struct rmq_routes *rt = rmq_routes_new();
    reg(rt, "C", "broker-a", "h:1", 0, 1, 1000, "T", 4);
    struct rmq_broker_reg r = {.cluster = "C", .name = "broker-a", .addr = "h:5", .ha_addr = "h:6", .id = 1,
                               .conn_id = 2, .now_ms = 1000};
    struct rmq_register_body rb = body_of("SlaveOnly", 2);
    char m[RMQ_BODY_ADDR_MAX + 1], mh[RMQ_BODY_ADDR_MAX + 1], err[RMQ_ERRLEN];
    assert_int_equal(rmq_routes_register(rt, &r, &rb, false, m, mh, err), 0);
    rmq_register_body_free(&rb);
    assert_string_equal(m, "h:1");                      /* the slave learns its master */
    struct rmq_topic_route tr;
    assert_int_equal(rmq_routes_topic(rt, "SlaveOnly", &tr), RMQ_ENOTFOUND);   /* masters only */
    assert_int_equal(rmq_routes_topic(rt, "T", &tr), 0);
    assert_int_equal(tr.brokers[0].naddrs, 2);
    rmq_topic_route_free(&tr);
    /* the master going leaves the slave and the queue data */
    assert_int_equal(rmq_routes_drop_conn(rt, 1), 1);
    assert_int_equal(rmq_routes_topic(rt, "T", &tr), 0);
    rmq_topic_route_free(&tr);
    /* the slave's address registering as master replaces its id-1 entry */
    reg(rt, "C", "broker-a", "h:5", 0, 3, 1000, "T", 4);
    assert_int_equal(rmq_routes_broker_count(rt), 1);
    /* delete_absent: a full registration without T removes T */
    reg(rt, "C", "broker-a", "h:5", 0, 3, 1000, "V", 1);
    r = (struct rmq_broker_reg){.cluster = "C", .name = "broker-a", .addr = "h:5", .id = 0, .conn_id = 3, .now_ms = 2};
    rb = body_of("V", 1);
    assert_int_equal(rmq_routes_register(rt, &r, &rb, true, m, mh, err), 0);
    rmq_register_body_free(&rb);
    assert_int_equal(rmq_routes_topic(rt, "T", &tr), RMQ_ENOTFOUND);
    assert_int_equal(rmq_routes_delete_topic(rt, "V", "other-cluster"), 0);
    assert_int_equal(rmq_routes_delete_topic(rt, "V", NULL), 1);
    assert_int_equal(rmq_routes_topic_count(rt), 0);
    /* bad names */
    r.name = "";
    assert_int_equal(rmq_routes_register(rt, &r, NULL, false, m, mh, err), RMQ_EINVAL);
    rmq_routes_free(rt);
}

/* A body listing "t%06d" for from <= i < to step `step`, highest first (the order that made
 * every insertion move the whole array), with i % 7 + 1 + extra read queues. */
static struct rmq_register_body body_range(int from, int to, int step, int extra)
{
    struct rmq_register_body rb = {0};
    rb.topics = calloc((size_t)((to - from) / step + 4), sizeof *rb.topics);   /* room for 3 more */
    for (int i = to - 1; i >= from; i--) {
        if ((i - from) % step)
            continue;
        char name[16];
        snprintf(name, sizeof name, "t%06d", i);
        struct rmq_topic_conf *tc = &rb.topics[rb.ntopics++];
        rmq_topic_conf_init(tc, name);
        tc->read_queue_nums = tc->write_queue_nums = i % 7 + 1 + extra;
    }
    return rb;
}

static void reg_body(struct rmq_routes *rt, const char *name, uint64_t conn, struct rmq_register_body *rb,
                     bool delete_absent)
{
    struct rmq_broker_reg r = {.cluster = "C", .name = name, .addr = name, .id = 0, .conn_id = conn, .now_ms = 1};
    char m[RMQ_BODY_ADDR_MAX + 1], mh[RMQ_BODY_ADDR_MAX + 1], err[RMQ_ERRLEN];
    assert_int_equal(rmq_routes_register(rt, &r, rb, delete_absent, m, mh, err), 0);
    rmq_register_body_free(rb);
}

/* The table holds exactly the topics i < end for which want(i) is nonzero, sorted, each with
 * the read queues of broker-a (want bit 1: i % 7 + 1 + a_extra) and broker-b (bit 2: i % 7 + 9). */
static void expect_table(const struct rmq_routes *rt, int end, int (*want)(int), int a_extra)
{
    const char **names;
    size_t n, k = 0;
    rmq_routes_topic_names(rt, NULL, &names, &n);
    for (int i = 0; i < end; i++) {
        int w = want(i);
        if (!w)
            continue;
        char name[16];
        snprintf(name, sizeof name, "t%06d", i);
        assert_true(k < n);
        assert_string_equal(names[k++], name);
        struct rmq_topic_route r;
        assert_int_equal(rmq_routes_topic(rt, name, &r), 0);
        assert_int_equal(r.nqueues, (w & 1) + (w >> 1));
        for (size_t j = 0; j < r.nqueues; j++) {
            bool a = strcmp(r.queues[j].broker_name, "broker-a") == 0;
            assert_true(a ? (w & 1) : (w & 2) && strcmp(r.queues[j].broker_name, "broker-b") == 0);
            assert_int_equal(r.queues[j].read_queue_nums, i % 7 + 1 + (a ? a_extra : 8));
        }
        rmq_topic_route_free(&r);
    }
    assert_int_equal(k, n);
    assert_int_equal(rmq_routes_topic_count(rt), n);
    free(names);
}

/* broker-b: every third topic below 60000; broker-a: every topic below 50000, or after
 * its full registration with delete_absent only the even ones. */
static int b_only(int i) { return i % 3 == 0 ? 2 : 0; }
static int a_and_b(int i) { return (i < 50000) | b_only(i); }
static int even_a_and_b(int i) { return (i < 50000 && i % 2 == 0) | b_only(i); }
static int even_a(int i) { return i < 50000 && i % 2 == 0; }

static void routes_many_topics_in_descending_order(void **state)
{
    struct rmq_routes *rt = rmq_routes_new();
    struct rmq_register_body rb = body_range(0, 60000, 3, 8);
    reg_body(rt, "broker-b", 2, &rb, false);
    expect_table(rt, 60000, b_only, 0);
    /* 50,000 topics, a third of them known already, merged into the table */
    rb = body_range(0, 50000, 1, 0);
    reg_body(rt, "broker-a", 1, &rb, false);
    expect_table(rt, 60000, a_and_b, 0);
    /* a topic listed twice takes its last entry, whether it is known or new */
    rb = body_range(0, 50000, 1, 100);
    rb.topics[rb.ntopics - 1].read_queue_nums = 55;     /* t000000, listed again below */
    rb.topics[rb.ntopics] = rb.topics[rb.ntopics - 1];
    rb.topics[rb.ntopics++].read_queue_nums = 101;      /* 0 % 7 + 1 + 100 */
    rmq_topic_conf_init(&rb.topics[rb.ntopics], "t999999");
    rb.topics[rb.ntopics++].read_queue_nums = 5;
    rmq_topic_conf_init(&rb.topics[rb.ntopics], "t999999");
    rb.topics[rb.ntopics++].read_queue_nums = 6;
    reg_body(rt, "broker-a", 1, &rb, false);
    struct rmq_topic_route r;
    assert_int_equal(rmq_routes_topic(rt, "t999999", &r), 0);
    assert_int_equal(r.nqueues, 1);
    assert_int_equal(r.queues[0].read_queue_nums, 6);
    rmq_topic_route_free(&r);
    assert_int_equal(rmq_routes_delete_topic(rt, "t999999", NULL), 1);
    expect_table(rt, 60000, a_and_b, 100);
    /* a full registration with delete_absent: the odd topics leave broker-a */
    rb = body_range(0, 50000, 2, 0);
    reg_body(rt, "broker-a", 1, &rb, true);
    expect_table(rt, 60000, even_a_and_b, 0);
    /* broker-b's connection closes: its queues go, and the topics only it had */
    assert_int_equal(rmq_routes_drop_conn(rt, 2), 1);
    expect_table(rt, 60000, even_a, 0);
    assert_int_equal(rmq_routes_drop_conn(rt, 1), 1);
    assert_int_equal(rmq_routes_topic_count(rt), 0);
    rmq_routes_free(rt);
}

int main(void)
{
    rmq_log_level = RMQ_LOG_ERROR;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(route_decodes_java_and_reencodes_identically),
        cmocka_unit_test(route_reads_old_spellings_and_strings),
        cmocka_unit_test(route_refuses_bad_input),
        cmocka_unit_test(cluster_info_round_trip),
        cmocka_unit_test(topic_list_round_trip),
        cmocka_unit_test(register_body_round_trip),
        cmocka_unit_test(routes_two_brokers_and_liveness),
        cmocka_unit_test(routes_slaves_and_deletes),
        cmocka_unit_test(routes_many_topics_in_descending_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
