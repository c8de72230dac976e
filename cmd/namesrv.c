/*
 * namesrv.c — `rmq namesrv`: the name server daemon (mqnamesrv).
 */
#include "cmd.h"

#include "conf/conf.h"
#include "namesrv/namesrv.h"
#include "util/err.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: rmq namesrv [-c FILE] [-o KEY=VALUE]... [-p]\n"
    "\n"
    "Runs a name server: brokers register their topics with it, clients ask it for routes.\n"
    "Without -c, RocketMQ's defaults (port 9876) plus a Unix socket at\n"
    "$HOME/namesrv/rmq-namesrv.sock (unixSocketPath; empty for none).\n"
    "\n"
    "  -c, --config FILE    namesrv.properties-style configuration (see etc/namesrv.conf)\n"
    "  -o, --set KEY=VALUE  set any configuration key after reading the file\n"
    "  -p, --print          print the effective configuration and exit (as mqnamesrv -p)\n"
    "  -h, --help           this text\n"
    "\n"
    "SIGTERM or SIGINT (or `rmq shutdown namesrv`) stops it.\n";

int cmd_namesrv(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"set", required_argument, NULL, 'o'},
        {"print", no_argument, NULL, 'p'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL, *sets[64];
    int nsets = 0, ch;
    bool print = false;
    while ((ch = getopt_long(argc, argv, "c:o:ph", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': file = optarg; break;
        case 'o':
            if (nsets == 64)
                return cmd_usage_error(usage, "namesrv", "too many -o options");
            sets[nsets++] = optarg;
            break;
        case 'p': print = true; break;
        case 'h': fputs(usage, stdout); return 0;
        default: return cmd_usage_error(usage, "namesrv", NULL);
        }
    }
    if (optind < argc)
        return cmd_usage_error(usage, "namesrv", "unexpected argument '%s'", argv[optind]);

    struct rmq_conf conf;
    char err[RMQ_ERRLEN];
    int rc = cmd_daemon_conf(&conf, RMQ_DAEMON_NAMESRV, "namesrv", usage, file, NULL, sets, nsets);
    if (rc)
        return rc;
    if (print) {
        rmq_conf_print(&conf, stdout, 0);
        rmq_conf_free(&conf);
        return 0;
    }
    struct rmq_namesrv *ns;
    if ((rc = rmq_namesrv_open(&ns, &conf, NULL, err))) {
        rmq_conf_free(&conf);
        return cmd_fail("namesrv", "cannot start: %s", err);
    }
    /* mqnamesrv's banner, on stdout as Java prints it */
    printf("The Name Server boot success. serializeType=JSON, address 0.0.0.0:%d\n", rmq_namesrv_port(ns));
    fflush(stdout);
    rc = rmq_namesrv_run(ns);
    rmq_conf_free(&conf);
    return rc ? 1 : 0;
}
