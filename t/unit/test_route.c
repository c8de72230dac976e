/* Unit tests for the client side of routing: TopicRouteData → message queues (route.h),
 * the latency fault table and queue choice (fault.h), and the name-server address list
 * (nsclient.h). The requests themselves run against real name servers and brokers in
 * t/5100-routing.bats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "client/fault.h"
#include "client/nsclient.h"
#include "client/route.h"
#include "proto/body.h"
#include "util/err.h"
#include "util/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void decode(const char *json, struct rmq_topic_route *r)
{
    char err[RMQ_ERRLEN];
    int rc = rmq_topic_route_decode(json, strlen(json), r, err);
    if (rc)
        fail_msg("route does not decode: %s", err);
}

/* Two brokers, sent in reverse order, bare keys as an old name server writes them. */
static const char two_brokers[] =
    "{\"brokerDatas\":[{\"brokerAddrs\":{0:\"127.0.0.1:20911\",1:\"127.0.0.1:20921\"},\"brokerName\":\"broker-b\","
    "\"cluster\":\"DefaultCluster\"},{\"brokerAddrs\":{0:\"127.0.0.1:10911\"},\"brokerName\":\"broker-a\","
    "\"cluster\":\"DefaultCluster\"}],\"filterServerTable\":{},\"queueDatas\":[{\"brokerName\":\"broker-b\",\"perm\":6,"
    "\"readQueueNums\":4,\"topicSysFlag\":0,\"writeQueueNums\":4},{\"brokerName\":\"broker-a\",\"perm\":6,"
    "\"readQueueNums\":4,\"topicSysFlag\":0,\"writeQueueNums\":4}]}";

static void route_queues_sorted_over_brokers(void **state)
{
    struct rmq_topic_route r;
    decode(two_brokers, &r);
    struct rmq_mq *mq;
    size_t n;
    rmq_route_write_queues(&r, 0, &mq, &n);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_string_equal(mq[i].broker, i < 4 ? "broker-a" : "broker-b");
        assert_int_equal(mq[i].qid, (int)(i % 4));
        assert_int_equal(mq[i].perm, 6);
    }
    free(mq);
    rmq_route_read_queues(&r, &mq, &n);
    assert_int_equal(n, 8);
    assert_string_equal(mq[7].broker, "broker-b");
    free(mq);
    assert_string_equal(rmq_route_master(rmq_topic_route_broker(&r, "broker-b")), "127.0.0.1:20911");
    assert_string_equal(rmq_route_master(NULL), "");
    rmq_topic_route_free(&r);
}

/* Read and write counts differ; perms decide; a broker without master takes no writes. */
static void route_perms_counts_and_masterless(void **state)
{
    static const char json[] =
        "{\"brokerDatas\":[{\"brokerAddrs\":{\"0\":\"10.0.0.1:10911\"},\"brokerName\":\"a\",\"cluster\":\"c\"},"
        "{\"brokerAddrs\":{\"1\":\"10.0.0.2:10911\"},\"brokerName\":\"b\",\"cluster\":\"c\"},"
        "{\"brokerAddrs\":{\"0\":\"10.0.0.3:10911\"},\"brokerName\":\"r\",\"cluster\":\"c\"}],"
        "\"queueDatas\":[{\"brokerName\":\"a\",\"perm\":6,\"readQueueNums\":8,\"writeQueueNums\":2},"
        "{\"brokerName\":\"b\",\"perm\":6,\"readQueueNums\":3,\"writeQueueNums\":3},"
        "{\"brokerName\":\"r\",\"perm\":4,\"readQueueNums\":2,\"writeQueueNums\":2}]}";
    struct rmq_topic_route r;
    decode(json, &r);
    struct rmq_mq *mq;
    size_t n;
    rmq_route_write_queues(&r, 0, &mq, &n);
    assert_int_equal(n, 2);   /* a: 2 write queues; b has no master; r is read-only */
    assert_string_equal(mq[1].broker, "a");
    assert_int_equal(mq[1].qid, 1);
    free(mq);
    rmq_route_read_queues(&r, &mq, &n);
    assert_int_equal(n, 8 + 3 + 2);   /* a slave-only broker can still be read (not by rmq now) */
    assert_string_equal(mq[12].broker, "r");
    free(mq);
    rmq_topic_route_free(&r);
}

/* TBW102's route: min(4, readQueueNums) per broker, as Java's producer does. */
static void route_tbw102_cap(void **state)
{
    static const char json[] =
        "{\"brokerDatas\":[{\"brokerAddrs\":{\"0\":\"10.0.0.1:10911\"},\"brokerName\":\"a\",\"cluster\":\"c\"},"
        "{\"brokerAddrs\":{\"0\":\"10.0.0.2:10911\"},\"brokerName\":\"b\",\"cluster\":\"c\"}],"
        "\"queueDatas\":[{\"brokerName\":\"a\",\"perm\":7,\"readQueueNums\":8,\"writeQueueNums\":8},"
        "{\"brokerName\":\"b\",\"perm\":7,\"readQueueNums\":2,\"writeQueueNums\":8}]}";
    struct rmq_topic_route r;
    decode(json, &r);
    struct rmq_mq *mq;
    size_t n;
    rmq_route_write_queues(&r, RMQ_DEFAULT_TOPIC_QUEUE_NUMS, &mq, &n);
    assert_int_equal(n, 4 + 2);
    free(mq);
    rmq_topic_route_free(&r);
}

/* ---- fault tolerance ---- */

static void fault_durations_follow_the_table(void **state)
{
    assert_int_equal(rmq_fault_duration(0), 0);
    assert_int_equal(rmq_fault_duration(99), 0);
    assert_int_equal(rmq_fault_duration(550), 2000);
    assert_int_equal(rmq_fault_duration(1799), 2000);
    assert_int_equal(rmq_fault_duration(3000), 6000);
    assert_int_equal(rmq_fault_duration(RMQ_FAULT_ISOLATION_MS), 10000);
    assert_int_equal(rmq_fault_duration(60000), 30000);
}

static struct rmq_mq *queues8(void)
{
    static struct rmq_mq v[8];
    for (int i = 0; i < 8; i++) {
        snprintf(v[i].broker, sizeof v[i].broker, "%s", i < 4 ? "broker-a" : "broker-b");
        v[i].qid = i % 4;
    }
    return v;
}

static void pick_round_robin_when_healthy(void **state)
{
    struct rmq_faults f = {0};
    struct rmq_mq *v = queues8();
    unsigned rr = 5, count[8] = {0};
    for (int i = 0; i < 1000; i++)
        count[rmq_fault_pick(&f, v, 8, &rr, NULL, 1000)]++;
    for (int i = 0; i < 8; i++)
        assert_int_equal(count[i], 125);
    /* fast answers do not take a broker out */
    rmq_fault_update(&f, "broker-a", 20, true, 1000);
    assert_true(rmq_fault_available(&f, "broker-a", 1000));
    rmq_faults_free(&f);
}

static void pick_avoids_failed_broker_until_it_expires(void **state)
{
    struct rmq_faults f = {0};
    struct rmq_mq *v = queues8();
    unsigned rr = 0;
    rmq_fault_update(&f, "broker-a", 0, false, 1000);
    assert_false(rmq_fault_available(&f, "broker-a", 1000));
    for (int i = 0; i < 100; i++)
        assert_string_equal(v[rmq_fault_pick(&f, v, 8, &rr, NULL, 5000)].broker, "broker-b");
    /* 10 s later it is tried again */
    assert_true(rmq_fault_available(&f, "broker-a", 1000 + RMQ_FAULT_ISOLATION_MS));
    int a = 0;
    for (int i = 0; i < 8; i++)
        a += !strcmp(v[rmq_fault_pick(&f, v, 8, &rr, NULL, 1000 + RMQ_FAULT_ISOLATION_MS)].broker, "broker-a");
    assert_int_equal(a, 4);
    /* slow (3 s) answers: avoided for 6 s */
    rmq_fault_update(&f, "broker-b", 3000, true, 20000);
    assert_false(rmq_fault_available(&f, "broker-b", 25999));
    assert_true(rmq_fault_available(&f, "broker-b", 26000));
    rmq_faults_free(&f);
}

static void pick_retry_goes_to_another_broker(void **state)
{
    struct rmq_faults f = {0};
    struct rmq_mq *v = queues8();
    unsigned rr = 0;
    for (int i = 0; i < 16; i++)
        assert_string_equal(v[rmq_fault_pick(&f, v, 8, &rr, "broker-a", 0)].broker, "broker-b");
    /* every broker failing: still a queue, preferring not the last one */
    rmq_fault_update(&f, "broker-a", 0, false, 0);
    rmq_fault_update(&f, "broker-b", 0, false, 0);
    assert_string_equal(v[rmq_fault_pick(&f, v, 8, &rr, "broker-b", 1)].broker, "broker-a");
    /* one broker only: a retry must use it again */
    assert_string_equal(v[rmq_fault_pick(&f, v, 4, &rr, "broker-a", 1)].broker, "broker-a");
    rmq_faults_free(&f);
}

/* ---- name-server addresses ---- */

static void ns_addrs_option_env_default(void **state)
{
    struct rmq_addr *v;
    size_t n;
    const char *src;
    char err[RMQ_ERRLEN], sock[256];
    setenv("HOME", "/nonexistent-rmq-test", 1);
    unsetenv("NAMESRV_ADDR");
    assert_int_equal(rmq_ns_addrs_pick("127.0.0.1:1;unix:/tmp/x.sock", &v, &n, &src, err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(src, "-n");
    assert_int_equal(v[1].kind, RMQ_ADDR_UNIX);
    free(v);
    setenv("NAMESRV_ADDR", "10.0.0.1:9876; 10.0.0.2:9876", 1);
    assert_int_equal(rmq_ns_addrs_pick(NULL, &v, &n, &src, err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(src, "NAMESRV_ADDR");
    assert_string_equal(v[1].host, "10.0.0.2");
    free(v);
    unsetenv("NAMESRV_ADDR");
    assert_int_equal(rmq_ns_addrs_pick(NULL, &v, &n, &src, err), 0);
    assert_int_equal(n, 1);   /* no standalone socket there */
    assert_string_equal(src, "default");
    assert_int_equal(v[0].port, 9876);
    free(v);
    rmq_ns_standalone_sock(sock, sizeof sock);
    assert_string_equal(sock, "/nonexistent-rmq-test/namesrv/rmq-namesrv.sock");
    assert_int_equal(rmq_ns_addrs_pick("nonsense", &v, &n, &src, err), RMQ_EINVAL);
    assert_non_null(strstr(err, "name server address"));
}

/* SelectMessageQueueByHash: Java hashCode() % n, negative remainders made positive — the
 * expected values are Java's ("order-1".hashCode() is -1207111310, "polygenelubricants"'s
 * Integer.MIN_VALUE). */
static void queue_by_hash_is_javas(void **state)
{
    assert_int_equal(rmq_java_hash("hello", 5), 99162322);
    assert_int_equal(rmq_queue_by_hash(rmq_java_hash("hello", 5), 8), 2);
    assert_int_equal(rmq_java_hash("order-1", 7), -1207111310);
    assert_int_equal(rmq_queue_by_hash(rmq_java_hash("order-1", 7), 8), 6);
    assert_int_equal(rmq_queue_by_hash(rmq_java_hash("order-2", 7), 8), 5);
    assert_int_equal(rmq_queue_by_hash(rmq_java_hash("customer-42", 11), 6), 1);
    assert_int_equal(rmq_queue_by_hash(INT32_MIN, 8), 0);
    assert_int_equal(rmq_queue_by_hash(INT32_MIN, 7), 2);   /* -2147483648 % 7 = -2 */
    assert_int_equal(rmq_queue_by_hash(INT32_MAX, 1), 0);
    assert_int_equal(rmq_queue_by_hash(-1, 3), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(route_queues_sorted_over_brokers),
        cmocka_unit_test(route_perms_counts_and_masterless),
        cmocka_unit_test(route_tbw102_cap),
        cmocka_unit_test(fault_durations_follow_the_table),
        cmocka_unit_test(pick_round_robin_when_healthy),
        cmocka_unit_test(pick_avoids_failed_broker_until_it_expires),
        cmocka_unit_test(pick_retry_goes_to_another_broker),
        cmocka_unit_test(ns_addrs_option_env_default),
        cmocka_unit_test(queue_by_hash_is_javas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
