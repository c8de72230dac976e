/*
 * rmq.c — the multitool's entry point: one table of subcommands, and dispatch.
 */
#include "cmd.h"

#include "conf/conf.h"

#include "util/log.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"broker", cmd_broker, "run a broker (store + RocketMQ remoting protocol)"},
    {"namesrv", cmd_namesrv, "run a name server (broker registry and topic routes)"},
    {"standalone", cmd_standalone, "run a name server and a broker in one process (quickstart)"},
    {"produce", cmd_produce, "send messages from standard input or arguments to a topic"},
    {"consume", cmd_consume, "print a topic's messages for a consumer group"},
    {"config", cmd_config, "check a broker or name server configuration file"},
    {"store", cmd_store, "verify, inspect and dump a store directory offline"},
    {"bench", cmd_bench, "measure the store (and later the broker)"},
    {"topic", cmd_topic, "create, update, delete, list, route and show topics across brokers"},
    {"group", cmd_group, "list, create, change and delete a broker's subscription groups"},
    {"offsets", cmd_offsets, "show or reset a consumer group's offsets"},
    {"cluster", cmd_cluster, "list the brokers of every cluster the name servers know"},
    {"admin", cmd_admin, "mqadmin's other commands: find messages by id or key"},
    {"example", cmd_example, "the tutorial's quick-start Producer and Consumer, one command each"},
    {"shutdown", cmd_shutdown, "ask a broker or name server to shut down and wait until it has"},
    {"version", cmd_version, "print the version"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void list_commands(FILE *out)
{
    fprintf(out, "usage: rmq <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'rmq help <command>' or 'rmq <command> -h' shows a command's options.\n");
}

static void say(const char *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "rmq %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cmd_conf_report(void *arg, enum rmq_conf_level level, const char *text)
{
    fprintf(stderr, "rmq %s: %s%s\n", (const char *)arg, level == RMQ_CONF_ERROR ? "" : "warning: ", text);
}

int cmd_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(cmd, fmt, ap);
    va_end(ap);
    return 1;
}

int cmd_usage_error(const char *usage, const char *cmd, const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        say(cmd, fmt, ap);
        va_end(ap);
    }
    fputs(usage, stderr);
    return 2;
}

int cmd_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int cmd_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

int cmd_finish_stdout(int rc, const char *cmd)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno == EPIPE)
            return rc;
        cmd_fail(cmd, "cannot write to standard output: %s", strerror(errno));
        return rc ? rc : 1;
    }
    return rc;
}

int cmd_version(int argc, char **argv)
{
    static const char usage[] = "usage: rmq version\n\nPrints the version of rmq.\n";
    if (cmd_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc > 1)
        return cmd_usage_error(usage, "version", "unexpected argument '%s'", argv[1]);
    printf("rmq %s\n", RMQ_VERSION);
    return 0;
}

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    /* a closed pipe is an ordinary end of output (rmq … | head), not a crash */
    signal(SIGPIPE, SIG_IGN);
    rmq_log_init_from_env();

    if (argc < 2) {
        list_commands(stdout);
        return 0;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        list_commands(stdout);
        return 0;
    }
    if (strcmp(name, "--version") == 0)
        return cmd_version(1, argv);
    if (strcmp(name, "--list-cmds") == 0) {
        for (size_t i = 0; i < NCOMMANDS; i++)
            printf("%s\n", commands[i].name);
        return cmd_finish_stdout(0, "--list-cmds");
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            list_commands(stdout);
            return 0;
        }
        const struct command *c = find(argv[2]);
        if (!c)
            return cmd_fail("help", "unknown command '%s'", argv[2]);
        char *hv[] = {argv[2], "--help", NULL};
        return c->fn(2, hv);
    }
    const struct command *c = find(name);
    if (!c) {
        fprintf(stderr, "rmq: '%s' is not an rmq command; see 'rmq --help'\n", name);
        return 2;
    }
    return cmd_finish_stdout(c->fn(argc - 1, argv + 1), name);
}
