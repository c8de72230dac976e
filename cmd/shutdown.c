/*
 * shutdown.c — `rmq shutdown broker|namesrv`: asks a broker or a name server to stop
 * (RMQ_SHUTDOWN, 7001) and waits until it no longer accepts connections, like mqshutdown.
 */
#include "cmd.h"

#include "client/admin_tools.h"
#include "client/rpc.h"
#include "util/err.h"

#include <ev.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: rmq shutdown broker [-b ADDR] [--timeout SEC]\n"
    "       rmq shutdown namesrv [-n ADDR] [--timeout SEC]\n"
    "\n"
    "Asks the broker or name server at ADDR to shut down and waits until it is gone (its\n"
    "address refuses connections). A broker unregisters from its name servers first.\n"
    "\n"
    "  -b, --broker ADDR     broker address, host:port or unix:/path\n"
    "                        (default $RMQ_BROKER, else 127.0.0.1:10911)\n"
    "  -n, --namesrv ADDR    name server address (default the first of $NAMESRV_ADDR,\n"
    "                        else 127.0.0.1:9876)\n"
    "      --timeout SEC     how long to wait for it to go away (default 10)\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 it has gone, 1 it could not be reached, refused, or was still\n"
    "there after the timeout, 2 usage error.\n";

enum { O_TIMEOUT = 256 };

static const struct option longopts[] = {
    {"broker", required_argument, NULL, 'b'}, {"timeout", required_argument, NULL, O_TIMEOUT},
    {"namesrv", required_argument, NULL, 'n'},
    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int cmd_shutdown(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 2)
        return cmd_usage_error(usage, "shutdown", "missing what to shut down (broker or namesrv)");
    bool is_ns = strcmp(argv[1], "namesrv") == 0;
    if (!is_ns && strcmp(argv[1], "broker"))
        return cmd_usage_error(usage, "shutdown", "cannot shut down '%s': only 'broker' and 'namesrv' are", argv[1]);
    const char *what = is_ns ? "namesrv" : "broker";
    const char *addr_text = getenv("RMQ_BROKER"), *ns_text = NULL;
    char ns_first[RMQ_ADDR_TEXTLEN];
    const char *env_ns = getenv("NAMESRV_ADDR");
    if (env_ns && *env_ns) {   /* the first of a ';' list */
        snprintf(ns_first, sizeof ns_first, "%.*s", (int)strcspn(env_ns, ";"), env_ns);
        ns_text = ns_first;
    }
    long timeout = 10;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc - 1, argv + 1, "b:n:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': addr_text = optarg; break;
        case 'n': ns_text = optarg; break;
        case O_TIMEOUT: {
            char *end;
            timeout = strtol(optarg, &end, 10);
            if (end == optarg || *end || timeout < 1 || timeout > 3600)
                return cmd_usage_error(usage, "shutdown", "--timeout must be from 1 to 3600 seconds");
            break;
        }
        default:
            return cmd_usage_error(usage, "shutdown", "bad option or missing argument: '%s'", argv[optind]);
        }
    }
    if (optind < argc - 1)
        return cmd_usage_error(usage, "shutdown", "unexpected argument '%s'", argv[1 + optind]);
    char err[RMQ_ERRLEN];
    struct rmq_addr addr;
    if (is_ns) {
        if (rmq_addr_parse(ns_text ? ns_text : "127.0.0.1:9876", &addr, err))
            return cmd_usage_error(usage, "shutdown", "--namesrv: %s", err);
    } else if (rmq_addr_parse(addr_text ? addr_text : "127.0.0.1:10911", &addr, err)) {
        return cmd_usage_error(usage, "shutdown", "--broker: %s", err);
    }
    struct rmq_rpc *rpc = rmq_rpc_new(EV_DEFAULT, &addr);
    if (rmq_rpc_connect_wait(rpc, err)) {
        rmq_rpc_free(rpc);
        return cmd_fail("shutdown", "cannot reach the %s: %s", is_ns ? "name server" : "broker", err);
    }
    char peer[300];
    snprintf(peer, sizeof peer, "%s", rmq_rpc_peer(rpc));
    int rc = rmq_admin_tools_shutdown(rpc, err);
    rmq_rpc_free(rpc);
    if (rc && rc != RMQ_ECLOSED)   /* closed before the answer: it is going anyway */
        return cmd_fail("shutdown", "%s %s: %s", what, peer, err);
    double deadline = now_s() + (double)timeout;
    for (;;) {
        struct rmq_rpc *probe = rmq_rpc_new(EV_DEFAULT, &addr);
        int gone = rmq_rpc_connect_wait(probe, err) != 0;
        rmq_rpc_free(probe);
        if (gone)
            break;
        if (now_s() > deadline)
            return cmd_fail("shutdown", "%s %s still accepts connections after %ld s", what, peer, timeout);
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    printf("shutdown %s %s success.\n", what, peer);
    return 0;
}
