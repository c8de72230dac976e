/*
 * broker.c — `rmq broker`: the broker daemon (Step 2: a single master; name servers in
 * Step 3).
 */
#include "cmd.h"

#include "broker/broker.h"
#include "conf/conf.h"
#include "util/err.h"
#include "util/log.h"

#include <getopt.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: rmq broker [-c FILE] [-n ADDR] [-o KEY=VALUE]... [-p | -m]\n"
    "\n"
    "Runs a broker. Without -c, RocketMQ's defaults (store under $HOME/store, port 10911).\n"
    "\n"
    "  -c, --config FILE    broker.properties-style configuration (see etc/broker.conf)\n"
    "  -n, --namesrv ADDR   name server addresses, host:port;host:port (overrides the file)\n"
    "  -o, --set KEY=VALUE  set any configuration key after reading the file\n"
    "  -p, --print          print the effective configuration and exit (as mqbroker -p)\n"
    "  -m, --important      print only the important keys and exit\n"
    "  -h, --help           this text\n"
    "\n"
    "SIGTERM or SIGINT (or `rmq shutdown broker`) stops it cleanly.\n";

int cmd_broker(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"namesrv", required_argument, NULL, 'n'},
        {"set", required_argument, NULL, 'o'},    {"print", no_argument, NULL, 'p'},
        {"important", no_argument, NULL, 'm'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL, *namesrv = NULL, *sets[64];
    int nsets = 0, print = -1, ch;
    while ((ch = getopt_long(argc, argv, "c:n:o:pmh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': file = optarg; break;
        case 'n': namesrv = optarg; break;
        case 'o':
            if (nsets == 64)
                return cmd_usage_error(usage, "broker", "too many -o options");
            sets[nsets++] = optarg;
            break;
        case 'p': print = 0; break;
        case 'm': print = RMQ_CONF_PRINT_IMPORTANT; break;
        case 'h': fputs(usage, stdout); return 0;
        default: return cmd_usage_error(usage, "broker", NULL);
        }
    }
    if (optind < argc)
        return cmd_usage_error(usage, "broker", "unexpected argument '%s'", argv[optind]);

    struct rmq_conf conf;
    char err[RMQ_ERRLEN];
    int rc = cmd_daemon_conf(&conf, RMQ_DAEMON_BROKER, "broker", usage, file, namesrv, sets, nsets);
    if (rc)
        return rc;
    if (print >= 0) {
        rmq_conf_print(&conf, stdout, print);
        rmq_conf_free(&conf);
        return 0;
    }
    /* keep the heap from shrinking and growing with every burst: each brk takes the
     * memory-map lock, which the store's preparer thread holds while populating pages */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, 16 << 20);
    struct rmq_broker *b;
    if ((rc = rmq_broker_open(&b, &conf, err))) {
        rmq_conf_free(&conf);
        return cmd_fail("broker", "cannot start: %s", err);
    }
    rc = rmq_broker_run(b);
    rmq_conf_free(&conf);
    return rc ? 1 : 0;
}
