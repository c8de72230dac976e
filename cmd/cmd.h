/*
 * cmd.h — the subcommands of the rmq multitool.
 *
 * Each subcommand lives in cmd/NAME.c and exports int cmd_NAME(int argc, char **argv),
 * where argv[0] is the subcommand's name. Exit codes: 0 success, 1 failure, 2 usage error.
 * Errors go to stderr as "rmq NAME: message"; results go to stdout.
 *
 * Adding a subcommand touches, in order:
 *   1. cmd/NAME.c with cmd_NAME() and a usage text that starts with "usage: rmq NAME";
 *      -h/--help prints it to stdout and exits 0;
 *   2. the prototype below and one row in commands[] in cmd/rmq.c;
 *   3. share/man/rmq-NAME.1;
 *   4. completions read `rmq --list-cmds` and `rmq NAME -h` (sub-commands from its "usage:
 *      rmq NAME SUB" lines, options from the --long names): keep the usage text complete;
 *   5. a t/NNNN-NAME-*.bats test (t/0001-cli.bats checks -h for every row automatically).
 * The GNUmakefile picks up new .c files by itself.
 */
#ifndef RMQ_CMD_H
#define RMQ_CMD_H

#include "client/nsclient.h"
#include "conf/conf.h"
#include "client/qset.h"

#include <stdbool.h>
#include <stdio.h>

int cmd_broker(int argc, char **argv);
int cmd_produce(int argc, char **argv);
int cmd_consume(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_topic(int argc, char **argv);
int cmd_offsets(int argc, char **argv);
int cmd_group(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_cluster(int argc, char **argv);
int cmd_namesrv(int argc, char **argv);
int cmd_standalone(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_example(int argc, char **argv);

#define RMQ_VERSION "0.1.0"

/* "rmq NAME: message" on stderr; returns 1 so callers can `return cmd_fail(...)`. */
int cmd_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Usage error: message (if any) and the usage text on stderr; returns 2. */
int cmd_usage_error(const char *usage, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A whole decimal number in [min, max] into *out: 0, or -1 when malformed or out of range. */
int cmd_parse_long(const char *s, long min, long max, long *out);
/* True when argv holds -h or --help before any "--". */
int cmd_wants_help(int argc, char **argv);
/* A configuration reporter (conf.h) for daemons: "rmq CMD: [warning: ]text" on stderr,
 * arg being the command name. */
void cmd_conf_report(void *arg, enum rmq_conf_level level, const char *text);
/* A daemon's configuration as `rmq broker` and `rmq namesrv` take it (cmd/config.c): the
 * defaults of d, then FILE (may be NULL), namesrv as namesrvAddr (may be NULL), each of
 * sets[0..nsets) as KEY=VALUE, and rmq_conf_finish's checks. 0, or an exit status after
 * saying why (conf is then freed). */
struct rmq_conf;
int cmd_daemon_conf(struct rmq_conf *conf, int d, const char *cmd, const char *usage_text,
                    const char *file, const char *namesrv, const char *const *sets, int nsets);
/* Flush stdout at exit; a write error other than EPIPE turns exit 0 into 1. */
int cmd_finish_stdout(int rc, const char *cmd);

/* Where a client command's requests go (cmd/target.c). Set broker (-b) or namesrv (-n)
 * from the options, then cmd_target_init: -b and -n together are a usage error; neither
 * means $RMQ_BROKER when set, else the name servers of $NAMESRV_ADDR, the standalone
 * socket or 127.0.0.1:9876 (nsclient.h). */
struct cmd_target {
    const char *broker, *namesrv;   /* the options, or NULL */
    bool ns_only;                   /* a name-server command: $RMQ_BROKER does not apply */
    bool direct;                    /* one broker: baddr */
    struct rmq_addr baddr;
    struct rmq_ns *ns;              /* else the name servers */
    struct ev_loop *loop;
};
/* 0, or a usage error reported (returns 2). */
int cmd_target_init(struct cmd_target *t, struct ev_loop *loop, const char *cmd, const char *usage);
/* A queue set for topic from the target (not loaded yet). */
struct rmq_qset *cmd_target_qset(struct cmd_target *t, const char *topic, enum rmq_qset_use use);
void cmd_target_free(struct cmd_target *t);
/* Calls fn(arg, rpc, broker) for each master broker of the target: the one -b names
 * (broker is its address then), or every master the name servers know, of cluster when
 * cluster is non-NULL. fn returns 0 or non-zero for a failure it reported. Returns 0 when
 * every call succeeded, 1 when some failed or none could be made (reported as "rmq CMD: …"). */
int cmd_target_each_master(struct cmd_target *t, const char *cmd, const char *cluster,
                           int (*fn)(void *arg, struct rmq_rpc *rpc, const char *broker), void *arg);

#endif
