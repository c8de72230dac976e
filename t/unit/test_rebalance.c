/* Unit tests for core/client/rebalance.h's average allocation (against what RocketMQ's
 * AllocateMessageQueueAveragely gives), membership.h's bodies and local_offsets.h. The
 * rebalancing itself runs against a real broker in t/5200-consumer-group.bats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "client/local_offsets.h"
#include "client/membership.h"
#include "client/rebalance.h"
#include "net/server.h"
#include "proto/codes.h"
#include "proto/remoting.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <ev.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void mqs_of(struct rmq_mq *v, int n, const char *broker)
{
    for (int i = 0; i < n; i++) {
        snprintf(v[i].broker, sizeof v[i].broker, "%s", broker);
        v[i].qid = i;
    }
}

/* The queue ids given to me, as "0,1,2". */
static const char *share(const char *me, const char *const *ids, int nids, const struct rmq_mq *mqs, int nmq)
{
    static char text[512];
    struct rmq_mq out[64];
    int n = rmq_allocate_averagely(me, ids, nids, mqs, nmq, out);
    size_t len = 0;
    text[0] = 0;
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%s:%d", i ? "," : "", out[i].broker, out[i].qid);
    return text;
}

static void eight_queues_three_consumers(void **state)
{
    struct rmq_mq mqs[8];
    mqs_of(mqs, 8, "b");
    const char *ids[] = {"c", "a", "b"};   /* sorted: a b c */
    assert_string_equal(share("a", ids, 3, mqs, 8), "b:0,b:1,b:2");
    assert_string_equal(share("b", ids, 3, mqs, 8), "b:3,b:4,b:5");
    assert_string_equal(share("c", ids, 3, mqs, 8), "b:6,b:7");
}

static void even_split_and_single(void **state)
{
    struct rmq_mq mqs[8];
    mqs_of(mqs, 8, "b");
    const char *two[] = {"x@2", "x@1"};
    assert_string_equal(share("x@1", two, 2, mqs, 8), "b:0,b:1,b:2,b:3");
    assert_string_equal(share("x@2", two, 2, mqs, 8), "b:4,b:5,b:6,b:7");
    const char *one[] = {"x@1"};
    assert_string_equal(share("x@1", one, 1, mqs, 8), "b:0,b:1,b:2,b:3,b:4,b:5,b:6,b:7");
    /* 10 queues over 4: 3,3,2,2 */
    struct rmq_mq ten[10];
    mqs_of(ten, 10, "b");
    const char *four[] = {"d", "c", "b", "a"};
    assert_string_equal(share("a", four, 4, ten, 10), "b:0,b:1,b:2");
    assert_string_equal(share("b", four, 4, ten, 10), "b:3,b:4,b:5");
    assert_string_equal(share("c", four, 4, ten, 10), "b:6,b:7");
    assert_string_equal(share("d", four, 4, ten, 10), "b:8,b:9");
}

static void more_consumers_than_queues(void **state)
{
    struct rmq_mq mqs[3];
    mqs_of(mqs, 3, "b");
    const char *ids[] = {"e", "d", "c", "b", "a"};
    assert_string_equal(share("a", ids, 5, mqs, 3), "b:0");
    assert_string_equal(share("b", ids, 5, mqs, 3), "b:1");
    assert_string_equal(share("c", ids, 5, mqs, 3), "b:2");
    assert_string_equal(share("d", ids, 5, mqs, 3), "");
    assert_string_equal(share("e", ids, 5, mqs, 3), "");
}

static void not_a_member_gets_nothing(void **state)
{
    struct rmq_mq mqs[4];
    mqs_of(mqs, 4, "b");
    const char *ids[] = {"a", "b"};
    assert_string_equal(share("z", ids, 2, mqs, 4), "");
    assert_string_equal(share("a", ids, 0, mqs, 4), "");
    assert_string_equal(share("a", ids, 2, mqs, 0), "");
}

/* Queues of several brokers sort by broker name, then queue id (Java's MessageQueue). */
static void queues_sort_by_broker_then_id(void **state)
{
    struct rmq_mq mqs[8];
    for (int i = 0; i < 8; i++) {
        snprintf(mqs[i].broker, sizeof mqs[i].broker, "%s", i % 2 ? "broker-a" : "broker-b");
        mqs[i].qid = 3 - i / 2;   /* given out of order */
    }
    const char *ids[] = {"2", "1"};
    assert_string_equal(share("1", ids, 2, mqs, 8), "broker-a:0,broker-a:1,broker-a:2,broker-a:3");
    assert_string_equal(share("2", ids, 2, mqs, 8), "broker-b:0,broker-b:1,broker-b:2,broker-b:3");
    /* three members: a run may cross from one broker to the next */
    const char *three[] = {"3", "2", "1"};
    assert_string_equal(share("1", three, 3, mqs, 8), "broker-a:0,broker-a:1,broker-a:2");
    assert_string_equal(share("2", three, 3, mqs, 8), "broker-a:3,broker-b:0,broker-b:1");
    assert_string_equal(share("3", three, 3, mqs, 8), "broker-b:2,broker-b:3");
    /* the inputs are left as they were */
    assert_string_equal(mqs[0].broker, "broker-b");
    assert_int_equal(mqs[0].qid, 3);
}

/* Every queue to exactly one member, whatever the counts. */
static void partition_is_exact(void **state)
{
    char names[20][8];
    const char *ids[20];
    for (int i = 0; i < 20; i++) {
        snprintf(names[i], sizeof names[i], "c%02d", 19 - i);
        ids[i] = names[i];
    }
    for (int nmq = 1; nmq <= 40; nmq++) {
        struct rmq_mq mqs[40], out[40];
        mqs_of(mqs, nmq, "b");
        for (int k = 1; k <= 20; k++) {
            int seen[40] = {0}, total = 0, prev_end = -1;
            for (int m = 0; m < k; m++) {
                /* members in sorted order: c(20-k) … c19 are ids[0..k-1] sorted */
                char me[8];
                snprintf(me, sizeof me, "c%02d", 20 - k + m);
                int n = rmq_allocate_averagely(me, ids, k, mqs, nmq, out);
                int want = nmq <= k ? (m < nmq) : nmq / k + (m < nmq % k);
                assert_int_equal(n, want);
                for (int i = 0; i < n; i++) {
                    assert_int_equal(out[i].qid, prev_end + 1);   /* contiguous, in order */
                    prev_end = out[i].qid;
                    seen[out[i].qid]++;
                    total++;
                }
            }
            assert_int_equal(total, nmq);
            for (int q = 0; q < nmq; q++)
                assert_int_equal(seen[q], 1);
        }
    }
}

static void heartbeat_body_clustering_and_broadcast(void **state)
{
    struct rmq_buf b = {0};
    char err[RMQ_ERRLEN];
    struct rmq_member m = {.client_id = "10.0.0.1@42", .group = "G", .topic = "T", .subscription = "TagA || TagB",
                           .sub_version = 1700000000000};
    assert_int_equal(rmq_heartbeat_body(&b, &m, err), 0);
    json_error_t je;
    json_t *root = json_loadb((const char *)b.data, b.len, 0, &je);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "clientID")), "10.0.0.1@42");
    json_t *c = json_array_get(json_object_get(root, "consumerDataSet"), 0);
    assert_string_equal(json_string_value(json_object_get(c, "groupName")), "G");
    assert_string_equal(json_string_value(json_object_get(c, "messageModel")), "CLUSTERING");
    assert_string_equal(json_string_value(json_object_get(c, "consumeType")), "CONSUME_PASSIVELY");
    json_t *subs = json_object_get(c, "subscriptionDataSet");
    assert_int_equal(json_array_size(subs), 2);
    json_t *s0 = json_array_get(subs, 0);
    assert_string_equal(json_string_value(json_object_get(s0, "topic")), "T");
    assert_int_equal(json_array_size(json_object_get(s0, "tagsSet")), 2);
    /* Java "TagA".hashCode() */
    assert_int_equal(json_integer_value(json_array_get(json_object_get(s0, "codeSet"), 0)), 2598919);
    assert_string_equal(json_string_value(json_object_get(json_array_get(subs, 1), "topic")), "%RETRY%G");
    assert_int_equal(json_array_size(json_object_get(root, "producerDataSet")), 0);
    json_decref(root);

    rmq_buf_reset(&b);
    m.broadcast = true;
    m.subscription = NULL;
    assert_int_equal(rmq_heartbeat_body(&b, &m, err), 0);
    root = json_loadb((const char *)b.data, b.len, 0, &je);
    c = json_array_get(json_object_get(root, "consumerDataSet"), 0);
    assert_string_equal(json_string_value(json_object_get(c, "messageModel")), "BROADCASTING");
    subs = json_object_get(c, "subscriptionDataSet");
    assert_int_equal(json_array_size(subs), 1);   /* no retry topic when broadcasting */
    assert_string_equal(json_string_value(json_object_get(json_array_get(subs, 0), "subString")), "*");
    json_decref(root);
    rmq_buf_free(&b);
}

static void consumer_list_parse(void **state)
{
    char **ids, err[RMQ_ERRLEN];
    int n;
    const char ok[] = "{\"consumerIdList\":[\"1.2.3.4@7\",\"1.2.3.4@8\"]}";
    assert_int_equal(rmq_consumer_list_parse(ok, strlen(ok), &ids, &n, err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ids[0], "1.2.3.4@7");
    assert_string_equal(ids[1], "1.2.3.4@8");
    free(ids);
    const char *bad[] = {"", "{}", "{\"consumerIdList\":[1]}", "{\"consumerIdList\":\"x\"}", "[", "null"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rmq_consumer_list_parse(bad[i], strlen(bad[i]), &ids, &n, err), RMQ_EINVAL);
}

static void client_id_form(void **state)
{
    char id[RMQ_CLIENT_ID_MAX], want[32];
    rmq_client_id(id, sizeof id, NULL);
    snprintf(want, sizeof want, "@%ld", (long)getpid());
    assert_non_null(strchr(id, '@'));
    assert_string_equal(strchr(id, '@'), want);
    rmq_client_id(id, sizeof id, "inst");
    assert_string_equal(strchr(id, '@'), "@inst");
}

static void local_offsets_round_trip(void **state)
{
    char dir[] = "/tmp/rmq-lo.XXXXXX", path[256], err[RMQ_ERRLEN];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/sub/G.json", dir);
    struct rmq_local_offsets *lo = rmq_local_offsets_open(path, "G", err);
    assert_non_null(lo);
    assert_int_equal(rmq_local_offsets_get(lo, "T", "broker-a", 0), -1);
    rmq_local_offsets_set(lo, "T", "broker-a", 0, 12);
    rmq_local_offsets_set(lo, "T", "broker-b", 0, 5);
    rmq_local_offsets_set(lo, "U", "broker-a", 3, 7);
    rmq_local_offsets_set(lo, "T", "broker-a", 0, 13);
    assert_int_equal(rmq_local_offsets_save(lo, err), 0);   /* creates sub/ */
    rmq_local_offsets_free(lo);
    lo = rmq_local_offsets_open(path, "G", err);
    assert_non_null(lo);
    assert_int_equal(rmq_local_offsets_get(lo, "T", "broker-a", 0), 13);
    assert_int_equal(rmq_local_offsets_get(lo, "T", "broker-b", 0), 5);
    assert_int_equal(rmq_local_offsets_get(lo, "U", "broker-a", 3), 7);
    assert_int_equal(rmq_local_offsets_get(lo, "U", "broker-a", 4), -1);
    rmq_local_offsets_free(lo);
    /* a damaged file is an error, not an empty table */
    FILE *f = fopen(path, "w");
    fputs("{\"offsets\":[{\"topic\":1}]}", f);
    fclose(f);
    assert_null(rmq_local_offsets_open(path, "G", err));
    assert_non_null(strstr(err, path));
    rmq_remove_tree(dir);

    setenv("RMQ_HOME", "/x/home", 1);
    rmq_local_offsets_default_path(path, sizeof path, "a/b");
    assert_string_equal(path, "/x/home/offsets/a_b.json");
    unsetenv("RMQ_HOME");
    setenv("HOME", "/h", 1);
    rmq_local_offsets_default_path(path, sizeof path, "G");
    assert_string_equal(path, "/h/.rmq/offsets/G.json");
}

/* ---- requests from the server reach the rpc's handler and are answered (rpc.h) ---- */

struct fake_broker {
    int responses[8], nresp;
    int32_t resp_opaque[8];
};

static void send_request(struct rmq_conn *c, int code, int32_t opaque, bool oneway)
{
    struct rmq_cmd r;
    rmq_cmd_init_request(&r, code, RMQ_SER_JSON);   /* the broker sends 40 as JSON */
    r.opaque = opaque;
    if (oneway)
        r.flag = RMQ_FLAG_ONEWAY;
    rmq_cmd_set_ext(&r, "consumerGroup", "G");
    struct rmq_buf out = {0};
    assert_int_equal(rmq_cmd_encode(&r, &out), 0);
    rmq_conn_send(c, out.data, out.len);
    rmq_buf_free(&out);
    rmq_cmd_free(&r);
}

static void fake_frame(void *arg, struct rmq_conn *c, const uint8_t *frame, size_t len)
{
    struct fake_broker *fb = arg;
    struct rmq_cmd cmd = {0};
    assert_int_equal(rmq_cmd_decode(frame, len, &cmd, NULL), 0);
    if (rmq_cmd_is_response(&cmd)) {
        fb->resp_opaque[fb->nresp] = cmd.opaque;
        fb->responses[fb->nresp++] = cmd.code;
    } else {
        /* answer the client's request, then ask it three things of our own */
        struct rmq_cmd resp;
        rmq_cmd_init_response(&resp, &cmd, RMQ_RESP_SUCCESS, NULL);
        struct rmq_buf out = {0};
        rmq_cmd_encode(&resp, &out);
        rmq_conn_send(c, out.data, out.len);
        rmq_buf_free(&out);
        rmq_cmd_free(&resp);
        send_request(c, RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED, 100, true);
        send_request(c, RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED, 101, false);
        send_request(c, 9999, 102, false);
    }
    rmq_cmd_free(&cmd);
}

static int notified;
static int on_notify(void *arg, struct rmq_rpc *r, const struct rmq_cmd *req)
{
    if (req->code != RMQ_REQ_NOTIFY_CONSUMER_IDS_CHANGED)
        return -1;
    assert_string_equal(rmq_cmd_ext(req, "consumerGroup"), "G");
    notified++;
    return RMQ_RESP_SUCCESS;
}

static void give_up(struct ev_loop *loop, ev_timer *w, int revents) { *(bool *)w->data = true; }

static void rpc_answers_server_requests(void **state)
{
    struct ev_loop *loop = ev_loop_new(0);
    struct fake_broker fb = {0};
    struct rmq_server_opts so = {.on_frame = fake_frame, .arg = &fb};
    struct rmq_server *srv = rmq_server_new(loop, &so);
    struct rmq_addr a, bound;
    char err[RMQ_ERRLEN];
    assert_int_equal(rmq_addr_parse("127.0.0.1:0", &a, err), 0);
    assert_int_equal(rmq_server_listen(srv, &a, &bound, err), 0);
    struct rmq_rpc *rpc = rmq_rpc_new(loop, &bound);
    rmq_rpc_on_request(rpc, on_notify, NULL);
    struct rmq_cmd req;
    rmq_cmd_init_request(&req, RMQ_REQ_HEART_BEAT, RMQ_SER_ROCKETMQ);
    struct rmq_rpc_reply rep;
    assert_int_equal(rmq_rpc_call_wait(rpc, &req, 0, &rep, err), 0);
    rmq_rpc_reply_free(&rep);
    rmq_cmd_free(&req);
    bool late = false;
    ev_timer t;
    ev_timer_init(&t, give_up, 5., 0.);
    t.data = &late;
    ev_timer_start(loop, &t);
    while (fb.nresp < 2 && !late)
        ev_run(loop, EVRUN_ONCE);
    ev_timer_stop(loop, &t);
    /* the oneway notification got no answer, the other SUCCESS, the unknown code a refusal */
    assert_int_equal(notified, 2);
    assert_int_equal(fb.nresp, 2);
    assert_int_equal(fb.resp_opaque[0], 101);
    assert_int_equal(fb.responses[0], RMQ_RESP_SUCCESS);
    assert_int_equal(fb.resp_opaque[1], 102);
    assert_int_equal(fb.responses[1], RMQ_RESP_REQUEST_CODE_NOT_SUPPORTED);
    rmq_rpc_free(rpc);
    rmq_server_free(srv);
    ev_loop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eight_queues_three_consumers),
        cmocka_unit_test(even_split_and_single),
        cmocka_unit_test(more_consumers_than_queues),
        cmocka_unit_test(not_a_member_gets_nothing),
        cmocka_unit_test(queues_sort_by_broker_then_id),
        cmocka_unit_test(partition_is_exact),
        cmocka_unit_test(heartbeat_body_clustering_and_broadcast),
        cmocka_unit_test(consumer_list_parse),
        cmocka_unit_test(client_id_form),
        cmocka_unit_test(local_offsets_round_trip),
        cmocka_unit_test(rpc_answers_server_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
