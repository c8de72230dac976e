/*
 * test_conf.c — core/conf: defaults, every value type, aliases, the exact file:line
 * messages for bad input, overrides and the environment, derived values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "conf/conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a reporter that keeps messages for assertions ---- */

#define MAXMSG 32
struct msgs {
    int n, errors, warnings;
    char text[MAXMSG][600];
};

static void collect(void *arg, enum rmq_conf_level level, const char *text)
{
    struct msgs *m = arg;
    if (level == RMQ_CONF_ERROR)
        m->errors++;
    else
        m->warnings++;
    if (m->n < MAXMSG)
        snprintf(m->text[m->n++], sizeof m->text[0], "%s%s",
                 level == RMQ_CONF_ERROR ? "E " : "W ", text);
}

static struct rmq_conf conf;
static struct msgs msgs;
static char err[RMQ_ERRLEN];

static int setup(void **state)
{
    setenv("HOME", "/home/t", 1);
    unsetenv("NAMESRV_ADDR");
    memset(&msgs, 0, sizeof msgs);
    err[0] = 0;
    return 0;
}

static int teardown(void **state)
{
    rmq_conf_free(&conf);
    return 0;
}

/* init + load text as "b.conf"; returns load's result. */
static int load_as(enum rmq_daemon d, const char *text)
{
    assert_int_equal(rmq_conf_init(&conf, d), 0);
    rmq_conf_set_reporter(&conf, collect, &msgs);
    return rmq_conf_load_string(&conf, "b.conf", text, err);
}

static int load(const char *text)
{
    return load_as(RMQ_DAEMON_BROKER, text);
}

/* ---- defaults ---- */

static void test_broker_defaults(void **state)
{
    assert_int_equal(load(""), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), 0);
    assert_int_equal(msgs.n, 0);
    assert_string_equal(conf.broker.cluster_name, "DefaultCluster");
    assert_non_null(conf.broker.name);              /* host name */
    assert_int_equal(conf.broker.id, 0);
    assert_null(conf.broker.namesrv_addr);
    assert_non_null(conf.broker.ip1);
    assert_string_equal(conf.broker.ip2, conf.broker.ip1);
    assert_int_equal(conf.net.listen_port, 10911);
    assert_int_equal(conf.ha.listen_port, 10912);
    assert_string_equal(conf.net.unix_socket_path, "/home/t/store/rmq.sock");
    assert_string_equal(conf.store.root_dir, "/home/t/store");
    assert_string_equal(conf.store.commitlog_dir, "/home/t/store/commitlog");
    assert_string_equal(conf.store.consumequeue_dir, "/home/t/store/consumequeue");
    assert_string_equal(conf.store.index_dir, "/home/t/store/index");
    assert_string_equal(conf.store.checkpoint_path, "/home/t/store/checkpoint");
    assert_string_equal(conf.store.abort_path, "/home/t/store/abort");
    assert_int_equal(conf.store.commitlog_file_size, 1073741824);
    assert_int_equal(conf.store.cq_file_size, 6000000);
    assert_int_equal(conf.store.role, RMQ_ROLE_ASYNC_MASTER);
    assert_int_equal(conf.store.flush_disk_type, RMQ_FLUSH_ASYNC);
    assert_string_equal(conf.store.delete_when, "04");
    assert_int_equal(conf.store.delete_hours, 1u << 4);
    assert_int_equal(conf.store.file_reserved_hours, 72);
    assert_int_equal(conf.store.disk_max_used_ratio, 75);
    assert_int_equal(conf.store.max_message_size, 4194304);
    assert_int_equal(conf.store.flush_interval_ms, 500);
    assert_int_equal(conf.store.flush_least_pages, 4);
    assert_int_equal(conf.store.sync_flush_timeout_ms, 5000);
    assert_int_equal(conf.store.delay_levels, 18);
    assert_int_equal(conf.store.delay_level_ms[0], 1000);
    assert_int_equal(conf.store.delay_level_ms[4], 60000);
    assert_int_equal(conf.store.delay_level_ms[17], 7200000);
    assert_true(conf.broker.auto_create_topic);
    assert_int_equal(conf.broker.default_topic_queue_nums, 8);
    assert_int_equal(conf.broker.permission, 6);
    assert_true(conf.broker.send_threads >= 1 && conf.broker.send_threads <= 4);
    assert_false(conf.ha.dledger);
    assert_string_equal(conf.ha.dledger_group, conf.broker.name);
    assert_null(conf.ha.dledger_peers);
}

static void test_namesrv_defaults(void **state)
{
    assert_int_equal(load_as(RMQ_DAEMON_NAMESRV, ""), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), 0);
    assert_int_equal(conf.net.listen_port, 9876);
    assert_string_equal(conf.net.unix_socket_path, "/home/t/namesrv/rmq-namesrv.sock");
    assert_string_equal(conf.namesrv.kv_config_path, "/home/t/namesrv/kvConfig.json");
    assert_true(conf.namesrv.all_topic_list);
    assert_int_equal(conf.namesrv.wait_seconds, 45);
}

/* Every row is sane, and every default can be set back through rmq_conf_set. */
static void test_table(void **state)
{
    size_t n;
    const struct rmq_conf_key *k = rmq_conf_keys(&n);
    assert_true(n >= 70);
    assert_int_equal(rmq_conf_init(&conf, RMQ_DAEMON_BROKER), 0);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(k[i].help);
        assert_true(k[i].flags & (RMQ_DAEMON_BROKER | RMQ_DAEMON_NAMESRV));
        assert_true(k[i].def || k[i].def_doc);
        assert_ptr_equal(rmq_conf_find(k[i].name), &k[i]);
        if (k[i].alias)
            assert_ptr_equal(rmq_conf_find(k[i].alias), &k[i]);
        if (k[i].type == RMQ_CONF_ENUM)
            assert_non_null(k[i].values);
        const char *def = rmq_conf_key_default(&k[i], RMQ_DAEMON_BROKER);
        if (def && (k[i].flags & RMQ_DAEMON_BROKER) && strncmp(def, "$HOME", 5) != 0) {
            if (rmq_conf_set(&conf, k[i].name, def, err) != 0)
                fail_msg("default of %s: %s", k[i].name, err);
        }
    }
}

/* ---- every type, every syntax ---- */

static void test_types(void **state)
{
    int rc = load("brokerName=broker-a\n"
                  "listenPort=20911\n"                         /* int */
                  "brokerId=3\n"                               /* long */
                  "brokerRole=SLAVE\n"                         /* enum */
                  "flushDiskType=SYNC_FLUSH\n"
                  "autoCreateTopicEnable=FALSE\n"              /* bool, any case */
                  "slaveReadEnable=True\n"
                  "storePathRootDir=/data/store\n"             /* string */
                  "namesrvAddr=10.0.0.1:9876;10.0.0.2:9876\n"  /* address list */
                  "deleteWhen=04;16\n"
                  "messageDelayLevel=1s 2m 3h 1d\n"
                  "mappedFileSizeConsumeQueue=30\n");
    assert_int_equal(rc, 0);
    assert_int_equal(msgs.n, 0);
    assert_int_equal(rmq_conf_finish(&conf, err), 0);
    assert_string_equal(conf.broker.name, "broker-a");
    assert_int_equal(conf.net.listen_port, 20911);
    assert_int_equal(conf.broker.id, 3);
    assert_int_equal(conf.store.role, RMQ_ROLE_SLAVE);
    assert_int_equal(conf.store.flush_disk_type, RMQ_FLUSH_SYNC);
    assert_false(conf.broker.auto_create_topic);
    assert_true(conf.broker.slave_read);
    assert_string_equal(conf.store.root_dir, "/data/store");
    assert_string_equal(conf.broker.namesrv_addr, "10.0.0.1:9876;10.0.0.2:9876");
    assert_int_equal(conf.store.delete_hours, (1u << 4) | (1u << 16));
    assert_int_equal(conf.store.delay_levels, 4);
    assert_int_equal(conf.store.delay_level_ms[1], 120000);
    assert_int_equal(conf.store.delay_level_ms[2], 3 * 3600000);
    assert_int_equal(conf.store.delay_level_ms[3], 86400000);
    assert_int_equal(conf.store.cq_file_size, 40);     /* rounded up to 20-byte entries */
}

static void test_syntax(void **state)
{
    char longpath[400];
    memset(longpath, 'x', sizeof longpath);
    memcpy(longpath, "/data/", 6);
    longpath[300] = 0;
    char text[2048];
    snprintf(text, sizeof text,
             "\xEF\xBB\xBF# comment\r\n"
             "! another comment\n"
             "[broker]\n"
             "brokerClusterName : Cluster1\n"            /* ':' separator */
             "   brokerName=  spaced  \n"                /* blanks: Java trims */
             "namesrvAddr = 10.0.0.1:9876 ; 10.0.0.2:9876\n"  /* inih would cut at ' ;' */
             "messageDelayLevel=1s \\\n"
             "    5s 10s\n"                              /* continuation */
             "storePathRootDir=%s\n"                     /* longer than inih's buffer */
             "dLegerGroup=a#b\n"                         /* '#' inside a value stays */
             "listenPort=10921",                         /* no final newline */
             longpath);
    assert_int_equal(load(text), 0);
    assert_int_equal(msgs.n, 0);
    assert_string_equal(conf.broker.cluster_name, "Cluster1");
    assert_string_equal(conf.broker.name, "spaced");
    assert_string_equal(conf.broker.namesrv_addr, "10.0.0.1:9876;10.0.0.2:9876");
    assert_string_equal(conf.store.message_delay_level, "1s 5s 10s");
    assert_string_equal(conf.store.root_dir, longpath);
    assert_string_equal(conf.ha.dledger_group, "a#b");
    assert_int_equal(conf.net.listen_port, 10921);
}

static void test_aliases(void **state)
{
    assert_int_equal(load("mapedFileSizeCommitLog=65536\n"
                          "mapedFileSizeConsumeQueue=6000\n"
                          "haSlaveFallbehindMax=1024\n"), 0);
    assert_int_equal(msgs.n, 0);
    assert_int_equal(conf.store.commitlog_file_size, 65536);
    assert_int_equal(conf.store.cq_file_size, 6000);
    assert_int_equal(conf.ha.max_gap_not_in_sync, 1024);
    char v[64];
    assert_int_equal(rmq_conf_get(&conf, "mapedFileSizeCommitLog", v, sizeof v), 0);
    assert_string_equal(v, "65536");
}

/* ---- bad input: exact messages, all of them ---- */

static void test_bad_values(void **state)
{
    int rc = load("brokerClusterName=c\n"
                  "brokerRole=MASTERX\n"
                  "listenPort=abc\n"
                  "mappedFileSizeCommitLog=-1\n"
                  "listenPort=70000\n"
                  "autoCreateTopicEnable=yes\n"
                  "brokerName=\n"
                  "namesrvAddr=localhost\n"
                  "deleteWhen=25\n"
                  "justakey\n"
                  "listenPort=10911 \n"       /* trailing blank: fine (Java would ignore the key) */
                  "messageDelayLevel=1x\n");
    assert_int_equal(rc, RMQ_ECONFIG);
    assert_string_equal(err, "b.conf: 10 errors");
    assert_int_equal(msgs.errors, 10);
    assert_int_equal(msgs.warnings, 0);
    assert_string_equal(msgs.text[0], "E b.conf:2: brokerRole: invalid value 'MASTERX' "
                                      "(expected ASYNC_MASTER, SYNC_MASTER or SLAVE)");
    assert_string_equal(msgs.text[1], "E b.conf:3: listenPort: invalid value 'abc' "
                                      "(expected an integer from 0 to 65535)");
    assert_string_equal(msgs.text[2], "E b.conf:4: mappedFileSizeCommitLog: value '-1' out of "
                                      "range (expected an integer from 4096 to 2147483647)");
    assert_string_equal(msgs.text[3], "E b.conf:5: listenPort: value '70000' out of range "
                                      "(expected an integer from 0 to 65535)");
    assert_string_equal(msgs.text[4], "E b.conf:6: autoCreateTopicEnable: invalid value 'yes' "
                                      "(expected true or false)");
    assert_string_equal(msgs.text[5], "E b.conf:7: brokerName: empty value "
                                      "(expected a non-empty value)");
    assert_string_equal(msgs.text[6], "E b.conf:8: namesrvAddr: invalid value 'localhost' "
                                      "(expected host:port list separated by ';')");
    assert_string_equal(msgs.text[7], "E b.conf:9: deleteWhen: invalid value '25' "
                                      "(expected hours 0-23 separated by ';', e.g. 04 or 04;16)");
    assert_string_equal(msgs.text[8], "E b.conf:10: expected 'key=value', got 'justakey'");
    assert_string_equal(msgs.text[9], "E b.conf:12: messageDelayLevel: invalid value '1x' "
                                      "(expected durations like 1s 5m 2h 1d separated by spaces)");
    /* bad values leave the previous value in place */
    assert_int_equal(conf.store.role, RMQ_ROLE_ASYNC_MASTER);
    assert_int_equal(conf.net.listen_port, 10911);
}

static void test_warnings(void **state)
{
    assert_int_equal(load("foo=bar\n"
                          "listenPort=1\n"
                          "listenPort=2\n"
                          "kvConfigPath=/x\n"
                          "diskMaxUsedSpaceRatio=99\n"
                          "registerNameServerPeriod=1000\n"), 0);
    assert_int_equal(msgs.errors, 0);
    assert_int_equal(msgs.warnings, 5);
    assert_string_equal(msgs.text[0], "W b.conf:1: unknown key 'foo'");
    assert_string_equal(msgs.text[1], "W b.conf:3: 'listenPort' also set on line 2; this line wins");
    assert_string_equal(msgs.text[2], "W b.conf:4: 'kvConfigPath' is a name server key; ignored");
    assert_string_equal(msgs.text[3], "W b.conf:5: diskMaxUsedSpaceRatio: 99 is above 95; "
                                      "using 95 as RocketMQ does");
    assert_string_equal(msgs.text[4], "W b.conf:6: registerNameServerPeriod: 1000 is below 10000; "
                                      "using 10000 as RocketMQ does");
    assert_int_equal(conf.net.listen_port, 2);
    assert_int_equal(conf.store.disk_max_used_ratio, 95);
    assert_int_equal(conf.broker.register_period_ms, 10000);
}

static void test_namesrv_ignores_broker_keys(void **state)
{
    assert_int_equal(load_as(RMQ_DAEMON_NAMESRV, "brokerRole=SLAVE\nlistenPort=9877\n"), 0);
    assert_int_equal(msgs.n, 1);
    assert_string_equal(msgs.text[0], "W b.conf:1: 'brokerRole' is a broker key; ignored");
    assert_int_equal(conf.net.listen_port, 9877);
}

static void test_missing_file(void **state)
{
    assert_int_equal(rmq_conf_init(&conf, RMQ_DAEMON_BROKER), 0);
    assert_int_equal(rmq_conf_load(&conf, "/nonexistent/b.conf", err), -ENOENT);
    assert_string_equal(err, "cannot open '/nonexistent/b.conf': No such file or directory");
}

/* ---- overrides and the environment ---- */

static void test_overrides(void **state)
{
    setenv("NAMESRV_ADDR", "10.9.9.9:9876", 1);
    assert_int_equal(load("listenPort=20911\n"), 0);
    assert_int_equal(rmq_conf_set(&conf, "listenPort", "30911", err), 0);
    assert_int_equal(rmq_conf_set(&conf, "nosuchkey", "1", err), RMQ_ENOTFOUND);
    assert_string_equal(err, "unknown key 'nosuchkey'");
    assert_int_equal(rmq_conf_set(&conf, "kvConfigPath", "/x", err), RMQ_ENOTFOUND);
    assert_string_equal(err, "'kvConfigPath' is not a broker key");
    assert_int_equal(rmq_conf_set(&conf, "brokerRole", "MASTER", err), RMQ_EINVAL);
    assert_string_equal(err, "brokerRole: invalid value 'MASTER' "
                             "(expected ASYNC_MASTER, SYNC_MASTER or SLAVE)");
    assert_int_equal(rmq_conf_finish(&conf, err), 0);
    assert_int_equal(conf.net.listen_port, 30911);
    assert_int_equal(conf.ha.listen_port, 30912);
    assert_string_equal(conf.broker.namesrv_addr, "10.9.9.9:9876");   /* from the environment */
}

static void test_file_beats_env_and_option_beats_file(void **state)
{
    setenv("NAMESRV_ADDR", "10.9.9.9:9876", 1);
    assert_int_equal(load("namesrvAddr=10.0.0.1:9876\n"), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), 0);
    assert_string_equal(conf.broker.namesrv_addr, "10.0.0.1:9876");
    rmq_conf_free(&conf);
    assert_int_equal(load("namesrvAddr=10.0.0.1:9876\n"), 0);
    assert_int_equal(rmq_conf_set(&conf, "namesrvAddr", "unix:/tmp/ns.sock", err), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), 0);
    assert_string_equal(conf.broker.namesrv_addr, "unix:/tmp/ns.sock");
}

static void test_bad_env(void **state)
{
    setenv("NAMESRV_ADDR", "nonsense", 1);
    assert_int_equal(load(""), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), RMQ_ECONFIG);
    assert_string_equal(msgs.text[0], "E NAMESRV_ADDR: invalid value 'nonsense' "
                                      "(expected host:port list separated by ';')");
}

/* ---- derived values and start-up rules ---- */

static void test_derived_paths(void **state)
{
    assert_int_equal(load("storePathRootDir=/r\nstorePathIndex=/elsewhere/idx\n"), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), 0);
    assert_string_equal(conf.store.commitlog_dir, "/r/commitlog");
    assert_string_equal(conf.store.consumequeue_dir, "/r/consumequeue");
    assert_string_equal(conf.store.index_dir, "/elsewhere/idx");
    assert_string_equal(conf.store.checkpoint_path, "/r/checkpoint");
    assert_string_equal(conf.store.abort_path, "/r/abort");
    assert_string_equal(conf.net.unix_socket_path, "/r/rmq.sock");
    rmq_conf_free(&conf);
    assert_int_equal(load("storePathRootDir=/r\nstorePathCommitLog=/fast/cl\n"), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), 0);
    assert_string_equal(conf.store.commitlog_dir, "/fast/cl");
}

static void test_ha_port(void **state)
{
    assert_int_equal(load("listenPort=20911\n"), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), 0);
    assert_int_equal(conf.ha.listen_port, 20912);
    rmq_conf_free(&conf);
    assert_int_equal(load("listenPort=20911\nhaListenPort=30000\n"), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), 0);
    assert_int_equal(conf.ha.listen_port, 30000);
    rmq_conf_free(&conf);
    assert_int_equal(load("listenPort=65535\n"), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), RMQ_ECONFIG);
    assert_string_equal(msgs.text[0], "E b.conf:1: listenPort: 65535 leaves no port for "
                                      "haListenPort (listenPort + 1); set haListenPort");
}

static void test_role_rules(void **state)
{
    assert_int_equal(load("brokerRole=SLAVE\n"), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), RMQ_ECONFIG);
    assert_string_equal(err, "1 error");
    assert_string_equal(msgs.text[0], "E b.conf:1: brokerRole: a SLAVE needs brokerId > 0 "
                                      "(brokerId is 0)");
    rmq_conf_free(&conf);
    memset(&msgs, 0, sizeof msgs);
    assert_int_equal(load("brokerId=2\n"), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), 0);
    assert_string_equal(msgs.text[0], "W b.conf:1: brokerId: 2 ignored: a master's brokerId is 0");
    assert_int_equal(conf.broker.id, 0);
}

static void test_dledger(void **state)
{
    assert_int_equal(load("brokerName=RaftNode00\n"
                          "enableDLegerCommitLog=true\n"
                          "dLegerPeers=n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913\n"
                          "dLegerSelfId=n1\n"), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), 0);
    assert_int_equal(conf.broker.id, -1);
    assert_string_equal(conf.ha.dledger_group, "RaftNode00");
    rmq_conf_free(&conf);
    assert_int_equal(load("enableDLegerCommitLog=true\n"
                          "dLegerPeers=n0-127.0.0.1:40911;n1-127.0.0.1:40912\n"
                          "dLegerSelfId=n5\n"), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), RMQ_ECONFIG);
    assert_string_equal(msgs.text[0], "E b.conf:3: dLegerSelfId: 'n5' is not one of the ids "
                                      "in dLegerPeers");
    rmq_conf_free(&conf);
    memset(&msgs, 0, sizeof msgs);
    assert_int_equal(load("dLegerPeers=n0-127.0.0.1:40911;n0-127.0.0.1:40912\n"), RMQ_ECONFIG);
    assert_int_equal(msgs.errors, 1);     /* duplicate peer id */
    rmq_conf_free(&conf);
    memset(&msgs, 0, sizeof msgs);
    assert_int_equal(load("enableDLegerCommitLog=true\n"), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), RMQ_ECONFIG);
    assert_int_equal(msgs.errors, 2);     /* no peers, no self id: both reported */
}

static void test_socket_path_too_long(void **state)
{
    char text[400];
    snprintf(text, sizeof text, "storePathRootDir=/%0120d\n", 0);
    assert_int_equal(load(text), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), RMQ_ECONFIG);
    assert_non_null(strstr(msgs.text[0], "E unixSocketPath: '/000"));
    assert_non_null(strstr(msgs.text[0], "set a shorter unixSocketPath"));
}

/* ---- printing ---- */

static void test_print(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    assert_int_equal(load("storePathRootDir=/r\nbrokerName=b\nbrokerIP1=10.1.1.1\n"), 0);
    assert_int_equal(rmq_conf_finish(&conf, err), 0);
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(rmq_conf_print(&conf, f, 0), 0);
    fclose(f);
    assert_non_null(strstr(buf, "\nlistenPort=10911\n"));
    assert_non_null(strstr(buf, "\nstorePathCommitLog=/r/commitlog\n"));
    assert_non_null(strstr(buf, "\nbrokerIP1=10.1.1.1\n"));
    assert_non_null(strstr(buf, "\nbrokerRole=ASYNC_MASTER\n"));
    assert_non_null(strstr(buf, "\nautoCreateTopicEnable=true\n"));
    assert_non_null(strstr(buf, "\nnamesrvAddr=\n"));
    assert_null(strstr(buf, "kvConfigPath"));          /* name server key */
    free(buf);
    buf = NULL;
    f = open_memstream(&buf, &len);
    assert_int_equal(rmq_conf_print(&conf, f, RMQ_CONF_PRINT_IMPORTANT), 0);
    fclose(f);
    assert_non_null(strstr(buf, "brokerName=b\n"));
    assert_null(strstr(buf, "maxFrameSize"));
    free(buf);
}

static void test_print_defaults(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(rmq_conf_print_defaults(RMQ_DAEMON_BROKER, f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "\n#listenPort=10911\n"));
    assert_non_null(strstr(buf, "\n#storePathRootDir=$HOME/store\n"));
    assert_non_null(strstr(buf, "#   also spelled mapedFileSizeCommitLog\n"));
    assert_non_null(strstr(buf, "#   default: <storePathRootDir>/commitlog\n#storePathCommitLog=\n"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_broker_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_namesrv_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aliases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_namesrv_ignores_broker_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_beats_env_and_option_beats_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_derived_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ha_port, setup, teardown),
        cmocka_unit_test_setup_teardown(test_role_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dledger, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_path_too_long, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_defaults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
