/*
 * standalone.c — `rmq standalone`: a name server and a broker in one process, on one loop,
 * with defaults for trying rmq on one machine (the quickstart; `make run`).
 */
#include "cmd.h"

#include "broker/broker.h"
#include "conf/conf.h"
#include "namesrv/namesrv.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <errno.h>
#include <ev.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: rmq standalone [-d DIR] [-P PORT] [-o KEY=VALUE]...\n"
    "\n"
    "Runs a name server and a broker (broker-a of DefaultCluster) in one process, in the\n"
    "foreground: the quickstart. Data goes under DIR (default ./rmq-data): the store, the\n"
    "broker's socket DIR/rmq.sock and the name server's socket DIR/namesrv.sock. The name\n"
    "server listens on 9876, the broker on 10911; the broker registers with the name server.\n"
    "\n"
    "  -d, --dir DIR        data directory (default ./rmq-data)\n"
    "  -P, --namesrv-port PORT  name server TCP port (default 9876)\n"
    "  -o, --set KEY=VALUE  set a broker configuration key (listenPort=10921, ...)\n"
    "  -h, --help           this text\n"
    "\n"
    "SIGTERM or SIGINT stops both cleanly.\n";

int cmd_standalone(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, 'd'}, {"namesrv-port", required_argument, NULL, 'P'},
        {"set", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir_arg = "rmq-data", *sets[64], *ns_port = "9876";
    int nsets = 0, ch;
    long port;
    while ((ch = getopt_long(argc, argv, "d:P:o:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd': dir_arg = optarg; break;
        case 'P':
            if (cmd_parse_long(optarg, 0, 65535, &port))
                return cmd_usage_error(usage, "standalone", "-P wants a port number, not '%s'", optarg);
            ns_port = optarg;
            break;
        case 'o':
            if (nsets == 64)
                return cmd_usage_error(usage, "standalone", "too many -o options");
            sets[nsets++] = optarg;
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: return cmd_usage_error(usage, "standalone", NULL);
        }
    }
    if (optind < argc)
        return cmd_usage_error(usage, "standalone", "unexpected argument '%s'", argv[optind]);

    char dir[PATH_MAX], path[PATH_MAX + 32], err[RMQ_ERRLEN];
    int rc = rmq_mkdir_p(dir_arg, 0755);
    if (rc < 0 || !realpath(dir_arg, dir))
        return cmd_fail("standalone", "cannot create the data directory '%s': %s", dir_arg,
                        strerror(rc < 0 ? -rc : errno));

    struct rmq_conf nsc, bc;
    if (rmq_conf_init(&nsc, RMQ_DAEMON_NAMESRV) < 0 || rmq_conf_init(&bc, RMQ_DAEMON_BROKER) < 0)
        return cmd_fail("standalone", "out of memory");
    rmq_conf_set_reporter(&nsc, cmd_conf_report, "standalone");
    rmq_conf_set_reporter(&bc, cmd_conf_report, "standalone");
    snprintf(path, sizeof path, "%s/namesrv.sock", dir);
    rc = rmq_conf_set(&nsc, "unixSocketPath", path, err);
    if (rc == 0)
        rc = rmq_conf_set(&nsc, "listenPort", ns_port, err);
    if (rc == 0)
        rc = rmq_conf_finish(&nsc, err);
    /* the broker registers over the name server's socket: no port to get wrong */
    char ns_addr[PATH_MAX + 40];
    snprintf(ns_addr, sizeof ns_addr, "unix:%s", path);
    if (rc == 0)
        rc = rmq_conf_set(&bc, "storePathRootDir", dir, err);
    if (rc == 0)
        rc = rmq_conf_set(&bc, "brokerName", "broker-a", err);
    if (rc == 0)
        rc = rmq_conf_set(&bc, "namesrvAddr", ns_addr, err);
    for (int i = 0; rc == 0 && i < nsets; i++) {
        char key[256];
        const char *eq = strchr(sets[i], '=');
        if (!eq || eq == sets[i] || (size_t)(eq - sets[i]) >= sizeof key) {
            rmq_conf_free(&nsc);
            rmq_conf_free(&bc);
            return cmd_usage_error(usage, "standalone", "-o wants KEY=VALUE, not '%s'", sets[i]);
        }
        snprintf(key, sizeof key, "%.*s", (int)(eq - sets[i]), sets[i]);
        rc = rmq_conf_set(&bc, key, eq + 1, err);
    }
    if (rc == 0)
        rc = rmq_conf_finish(&bc, err);
    if (rc) {
        rmq_conf_free(&nsc);
        rmq_conf_free(&bc);
        return cmd_fail("standalone", "%s", err);
    }

    struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
    struct rmq_namesrv *ns = NULL;
    struct rmq_broker *b = NULL;
    if ((rc = rmq_namesrv_open(&ns, &nsc, loop, err))) {
        cmd_fail("standalone", "cannot start the name server: %s", err);
    } else if ((rc = rmq_broker_open_on(&b, &bc, loop, err))) {
        cmd_fail("standalone", "cannot start the broker: %s", err);
    } else {
        rmq_namesrv_log_ready(ns);
        /* clients find a name server on 127.0.0.1:9876 by themselves; another port they
         * must be told */
        char ns_hint[96] = "";
        if (rmq_namesrv_port(ns) != 9876)
            snprintf(ns_hint, sizeof ns_hint, "  export NAMESRV_ADDR=127.0.0.1:%d\n", rmq_namesrv_port(ns));
        printf("rmq standalone: name server on port %d and unix:%s\n"
               "                broker %s of %s on port %d and unix:%s\n"
               "                data in %s\n"
               "\n"
               "Try, in another terminal:\n"
               "%s"
               "  echo hi | rmq produce TopicTest\n"
               "  rmq consume -g g TopicTest\n"
               "  rmq cluster list\n"
               "\n"
               "Ctrl-C stops both.\n",
               rmq_namesrv_port(ns), nsc.net.unix_socket_path, bc.broker.name, bc.broker.cluster_name,
               bc.net.listen_port, bc.net.unix_socket_path, dir, ns_hint);
        fflush(stdout);
        rc = rmq_broker_run(b);   /* runs the shared loop; frees the broker */
    }
    rmq_namesrv_free(ns);
    ev_loop_destroy(loop);
    rmq_conf_free(&nsc);
    rmq_conf_free(&bc);
    return rc ? 1 : 0;
}
