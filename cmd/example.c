/*
 * example.c — `rmq example producer|consumer`: RocketMQ's quick-start examples
 * (tools.sh org.apache.rocketmq.example.quickstart.Producer / .Consumer, PROTOCOL §11.2) in
 * one command each, with their group names, topic, tag, bodies and printed output.
 *
 * Each is a fixed command line handed to `rmq produce` or `rmq consume`, whose loops do
 * the work; --sendresult and --messageext there are the Java examples' output shapes.
 */
#include "cmd.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: rmq example producer [-n ADDR[;ADDR]|-b ADDR] [-c COUNT]\n"
    "usage: rmq example consumer [-n ADDR[;ADDR]|-b ADDR] [-c COUNT]\n"
    "\n"
    "RocketMQ's quick-start examples, as the tutorial runs them:\n"
    "  producer  = tools.sh org.apache.rocketmq.example.quickstart.Producer: sends 1,000\n"
    "              messages \"Hello RocketMQ 0\" ... \"Hello RocketMQ 999\" to TopicTest, tag\n"
    "              TagA, producer group please_rename_unique_group_name, and prints each\n"
    "              result as a Java SendResult line\n"
    "  consumer  = tools.sh org.apache.rocketmq.example.quickstart.Consumer: group\n"
    "              please_rename_unique_group_name_4 subscribes to TopicTest \"*\" (from the\n"
    "              first message when the group has no offsets yet), prints\n"
    "              \"Consumer Started.\", then a line per message:\n"
    "              ConsumeMessageThread_please_rename_unique_group_name_4_N Receive New\n"
    "              Messages: [MessageExt [...]] — until SIGINT or SIGTERM, which commit\n"
    "              the group's offsets and exit 0\n"
    "\n"
    "  -n, --namesrv ADDRS   name servers, host:port or unix:/path, ';'-separated (default\n"
    "                        $NAMESRV_ADDR, as for the Java examples, else the local\n"
    "                        standalone name server, else 127.0.0.1:9876)\n"
    "  -b, --broker ADDR     one broker, without name servers\n"
    "  -c, --count N         producer: send N messages instead of 1,000; consumer: stop\n"
    "                        after N messages\n"
    "  -h, --help            this text\n"
    "\n"
    "The same as rmq produce --sendresult and rmq consume --messageext with those names;\n"
    "exit status as theirs.\n";

#define TOPIC "TopicTest"
#define PRODUCER_GROUP "please_rename_unique_group_name"
#define CONSUMER_GROUP "please_rename_unique_group_name_4"
#define MAX_COUNT 1000000

static const struct option longopts[] = {
    {"namesrv", required_argument, NULL, 'n'}, {"broker", required_argument, NULL, 'b'},
    {"count", required_argument, NULL, 'c'},   {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct args {
    char **v;
    int n, cap;
};

static void add(struct args *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? 2 * a->cap : 32;
        a->v = realloc(a->v, (size_t)a->cap * sizeof *a->v);
        if (!a->v) {
            fprintf(stderr, "rmq example: out of memory\n");
            exit(1);
        }
    }
    a->v[a->n++] = (char *)s;
    a->v[a->n] = NULL;
}

static int producer(struct args *a, long count)
{
    add(a, "-g");
    add(a, PRODUCER_GROUP);
    add(a, "-t");
    add(a, "TagA");
    add(a, "--sendresult");
    add(a, TOPIC);
    /* the bodies as arguments, in one block: "Hello RocketMQ " + i */
    size_t each = sizeof "Hello RocketMQ 1000000";
    char *bodies = malloc((size_t)count * each);
    if (!bodies)
        return cmd_fail("example", "out of memory");
    for (long i = 0; i < count; i++) {
        char *b = bodies + (size_t)i * each;
        snprintf(b, each, "Hello RocketMQ %ld", i);
        add(a, b);
    }
    int rc = cmd_produce(a->n, a->v);
    free(bodies);
    return rc;
}

static int consumer(struct args *a, const char *count)
{
    add(a, "-g");
    add(a, CONSUMER_GROUP);
    add(a, "--messageext");
    if (count) {
        add(a, "-c");
        add(a, count);
    }
    add(a, TOPIC);
    printf("Consumer Started.\n");
    fflush(stdout);   /* before rmq consume's own writes to the same descriptor */
    return cmd_consume(a->n, a->v);
}

int cmd_example(int argc, char **argv)
{
    const char *count = NULL;
    long n = 1000;
    struct args a = {0};
    int opt;
    if (cmd_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return 0;
    }
    if (argc < 2)
        return cmd_usage_error(usage, "example", "missing producer or consumer");
    const char *which = argv[1];
    if (strcmp(which, "producer") && strcmp(which, "consumer"))
        return cmd_usage_error(usage, "example", "unknown example '%s' (producer or consumer)", which);
    add(&a, strcmp(which, "producer") ? "consume" : "produce");
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc - 1, argv + 1, "n:b:c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'n': add(&a, "-n"); add(&a, optarg); break;
        case 'b': add(&a, "-b"); add(&a, optarg); break;
        case 'c':
            if (cmd_parse_long(optarg, 1, MAX_COUNT, &n)) {
                free(a.v);
                return cmd_usage_error(usage, "example", "--count must be from 1 to %d", MAX_COUNT);
            }
            count = optarg;
            break;
        default:
            free(a.v);
            return cmd_usage_error(usage, "example", "bad option or missing argument: '%s'", argv[optind]);
        }
    }
    if (optind + 1 < argc) {
        free(a.v);
        return cmd_usage_error(usage, "example", "unexpected argument '%s'", argv[optind + 1]);
    }
    int rc = strcmp(which, "producer") ? consumer(&a, count) : producer(&a, n);
    free(a.v);
    return rc;
}
