/*
 * config.c — `rmq config`: check a configuration file the way a daemon will read it
 * (like `nginx -t`), and print the table of keys with their defaults.
 *
 * Output: results (-p, defaults) on stdout; messages on stderr, including the final
 * "rmq config: FILE: ok", so `rmq config check -p FILE > effective.conf` stays clean.
 */
#include "cmd.h"

#include "conf/conf.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: rmq config check [--namesrv] [-p | -m] [-o KEY=VALUE]... FILE\n"
    "       rmq config defaults [--namesrv]\n"
    "\n"
    "check     read FILE as `rmq broker -c FILE` (or `rmq namesrv -c FILE`) would, report every\n"
    "          problem on stderr as FILE:LINE: ..., and end with \"rmq config: FILE: ok\" (stderr)\n"
    "defaults  print every key with its help and default as a commented configuration file\n"
    "\n"
    "  --namesrv          FILE is a name server configuration (default: broker)\n"
    "  -p, --print        print the effective configuration, key=value, on stdout\n"
    "  -m, --important    like -p, only the important keys\n"
    "  -o, --set K=V      set key K after reading FILE, as a command-line override would\n"
    "  -h, --help         this text\n"
    "\n"
    "Unknown keys are warnings; bad values are errors. Exit status: 0 the file loads\n"
    "(warnings allowed), 1 it does not, 2 usage error.\n";

static const struct option longopts[] = {
    {"namesrv", no_argument, NULL, 'N'},
    {"print", no_argument, NULL, 'p'},
    {"important", no_argument, NULL, 'm'},
    {"set", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct tally {
    int errors;
};

static void report(void *arg, enum rmq_conf_level level, const char *text)
{
    struct tally *t = arg;
    if (level == RMQ_CONF_ERROR) {
        t->errors++;
        fprintf(stderr, "rmq config: %s\n", text);
    } else {
        fprintf(stderr, "rmq config: warning: %s\n", text);
    }
}

/* Applies "-o KEY=VALUE"; a bad one counts as an error like a bad line in the file. */
static void apply_override(struct rmq_conf *c, const char *kv, struct tally *t)
{
    char err[RMQ_ERRLEN], key[256];
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof key) {
        fprintf(stderr, "rmq config: -o %s: expected KEY=VALUE\n", kv);
        t->errors++;
        return;
    }
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = 0;
    if (rmq_conf_set(c, key, eq + 1, err) != 0) {
        fprintf(stderr, "rmq config: -o %s: %s\n", kv, err);
        t->errors++;
    }
}

static int check(enum rmq_daemon d, const char *file, int print, char **sets, int nsets)
{
    struct rmq_conf c;
    struct tally t = {0};
    char err[RMQ_ERRLEN];
    if (rmq_conf_init(&c, d) != 0)
        return cmd_fail("config", "out of memory");
    rmq_conf_set_reporter(&c, report, &t);
    int rc = rmq_conf_load(&c, file, err);
    if (rc != 0 && rc != RMQ_ECONFIG) {
        rmq_conf_free(&c);
        return cmd_fail("config", "%s", err);
    }
    for (int i = 0; i < nsets; i++)
        apply_override(&c, sets[i], &t);
    rmq_conf_finish(&c, err);   /* its problems went through report() */
    if (t.errors) {
        fprintf(stderr, "rmq config: %s: %d error%s\n", file, t.errors, t.errors == 1 ? "" : "s");
        rmq_conf_free(&c);
        return 1;
    }
    if (print)
        rmq_conf_print(&c, stdout, print == 'm' ? RMQ_CONF_PRINT_IMPORTANT : 0);
    fprintf(stderr, "rmq config: %s: ok\n", file);
    rmq_conf_free(&c);
    return 0;
}

int cmd_daemon_conf(struct rmq_conf *conf, int d, const char *cmd, const char *usage_text,
                    const char *file, const char *namesrv, const char *const *sets, int nsets)
{
    char err[RMQ_ERRLEN];
    if (rmq_conf_init(conf, (enum rmq_daemon)d) < 0)
        return cmd_fail(cmd, "out of memory");
    rmq_conf_set_reporter(conf, cmd_conf_report, (void *)cmd);
    int rc = file ? rmq_conf_load(conf, file, err) : 0;
    if (rc == 0 && namesrv)
        rc = rmq_conf_set(conf, "namesrvAddr", namesrv, err);
    for (int i = 0; rc == 0 && i < nsets; i++) {
        char key[256];
        const char *eq = strchr(sets[i], '=');
        if (!eq || eq == sets[i] || (size_t)(eq - sets[i]) >= sizeof key) {
            rmq_conf_free(conf);
            return cmd_usage_error(usage_text, cmd, "-o wants KEY=VALUE, not '%s'", sets[i]);
        }
        snprintf(key, sizeof key, "%.*s", (int)(eq - sets[i]), sets[i]);
        if ((rc = rmq_conf_set(conf, key, eq + 1, err))) {   /* named as `config check` does */
            rmq_conf_free(conf);
            return cmd_fail(cmd, "-o %s: %s", sets[i], err);
        }
    }
    if (rc == 0)
        rc = rmq_conf_finish(conf, err);
    if (rc) {
        rmq_conf_free(conf);
        return cmd_fail(cmd, "%s", err);
    }
    return 0;
}

int cmd_config(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 2)
        return cmd_usage_error(usage, "config", "missing subcommand");
    const char *sub = argv[1];
    int is_check = strcmp(sub, "check") == 0;
    if (!is_check && strcmp(sub, "defaults") != 0)
        return cmd_usage_error(usage, "config", "unknown subcommand '%s'", sub);

    enum rmq_daemon d = RMQ_DAEMON_BROKER;
    int print = 0, nsets = 0, opt;
    char **sets = calloc((size_t)argc, sizeof *sets);
    if (!sets)
        return cmd_fail("config", "out of memory");
    optind = 1;
    opterr = 0;   /* we print our own message */
    /* GNU getopt permutes, so options may follow FILE (`check FILE -p`) */
    while ((opt = getopt_long(argc - 1, argv + 1, "pmo:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'N': d = RMQ_DAEMON_NAMESRV; break;
        case 'p': print = 'p'; break;
        case 'm': print = 'm'; break;
        case 'o': sets[nsets++] = optarg; break;
        default:
            free(sets);
            return cmd_usage_error(usage, "config", "bad option or missing argument: '%s'",
                                   argv[optind]);   /* argv + 1 is what getopt saw */
        }
    }
    int rest = argc - 1 - optind, rc;
    if (!is_check) {
        if (rest != 0 || print || nsets) {
            free(sets);
            return cmd_usage_error(usage, "config", "defaults takes only --namesrv");
        }
        rc = rmq_conf_print_defaults(d, stdout) ? 1 : 0;
    } else if (rest != 1) {
        free(sets);
        return cmd_usage_error(usage, "config", rest ? "check takes one FILE" : "missing FILE");
    } else {
        rc = check(d, argv[1 + optind], print, sets, nsets);
    }
    free(sets);
    return rc;
}
