/*
 * store.c — `rmq store verify|stat|dump`: offline tools over a store directory.
 *
 * All three read through core/store/reader.h, which opens every file read-only and never
 * locks, so they are safe on a store left by a crash (before recovery changes it) and do
 * not disturb a broker running on it (they then see a snapshot that may be mid-write).
 *
 *   verify  checks every byte that has a rule: records (magic, size, CRCs, position),
 *           segment ends, consume-queue entries against their records and records against
 *           their entries, index entries against the keys of their records. One line per
 *           problem (capped per area), one summary line per area; exit 1 on any problem.
 *   stat    segments, offsets, checkpoint, abort file, queues: a table or one JSON object.
 *   dump    messages in log order, or a topic's queues in queue order; text or JSON lines.
 *
 * This file holds the usage texts, the option parsing and sub-command table, stat, and the
 * helpers the others share (store-int.h); verify is in store-verify.c, dump in store-dump.c.
 */
#include "cmd.h"
#include "store-int.h"

#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USAGE_VERIFY "usage: rmq store verify DIR [--commitlog DIR] [--index-slots N] [--quiet]\n"
#define USAGE_STAT "usage: rmq store stat DIR [--commitlog DIR] [--index-slots N] [--json]\n"
#define USAGE_DUMP                                                                         \
    "usage: rmq store dump DIR [--commitlog DIR] [--topic T [--queue N]] [--from OFFSET]\n" \
    "                      [--count N] [--json]\n"
#define USAGE_COMMON                                                                       \
    "\n"                                                                                   \
    "  --commitlog DIR    commitlog directory (storePathCommitLog; default DIR/commitlog)\n" \
    "  --index-slots N    index hash slots (default: inferred as RocketMQ's 4 entries/slot)\n" \
    "  -h, --help         this text\n"

static const char usage_all[] =
    "usage: rmq store verify|stat|dump DIR [options]\n"
    "\n"
    "Offline tools over a store directory (storePathRootDir). They only read: safe on a\n"
    "crashed store before recovery, and beside a running broker.\n"
    "\n"
    "  verify   check records, segment ends, consume queues and index; exit 1 on damage\n"
    "  stat     segments, offsets, checkpoint, abort file, queues (--json: one object)\n"
    "  dump     print messages (--json: one object per line)\n"
    "\n" USAGE_VERIFY USAGE_STAT USAGE_DUMP "\n'rmq store SUB -h' shows a subcommand's options.\n";
static const char usage_verify[] =
    USAGE_VERIFY "\n"
    "Checks every record from the first segment (magic, size, body CRC, __CRC32# record CRC,\n"
    "PHYSICALOFFSET), segment end markers and what follows the end of the log, every\n"
    "consume-queue entry against its record and every record against its entry, every index\n"
    "entry against its record's keys. Prints one line per problem (at most 50 per area) and\n"
    "a summary per area. Exit 0 clean, 1 damaged, 2 usage.\n"
    "\n  --quiet            print only problems\n" USAGE_COMMON;
static const char usage_stat[] =
    USAGE_STAT "\n"
    "Segments (first/last record, bytes used), commitlog min/max offset, checkpoint, abort\n"
    "file (present: the last shutdown was unclean, or a broker is running), and per queue\n"
    "min/max offsets and message counts.\n"
    "\n  --json             one JSON object\n" USAGE_COMMON;
static const char usage_dump[] =
    USAGE_DUMP "\n"
    "Prints messages with their offsets, msgId, times, hosts, keys, tags, properties and body\n"
    "(decompressed when compressed with zlib or LZ4; text when it is printable UTF-8, else\n"
    "base64). Without --topic the commitlog is walked in order from --from (a commitlog\n"
    "offset); with --topic its consume queues are, from queue offset --from.\n"
    "\n"
    "  --topic T          only topic T, in queue order\n"
    "  --queue N          only queue N of the topic\n"
    "  --from OFFSET      start offset (commitlog offset, or queue offset with --topic)\n"
    "  --count N          at most N messages\n"
    "  --json             one JSON object per line; the body in \"body\", or in\n"
    "                     \"body_base64\" when it is not valid UTF-8\n" USAGE_COMMON;

/* ---------------------------------------------------------------- shared helpers */

const char *store_seg_name(const struct rmq_reader *r, int seg)
{
    return seg >= 0 && seg < r->nsegs ? r->segs[seg].name : "?";
}

const char *store_plural(long long n, const char *one, const char *many) { return n == 1 ? one : many; }

int store_read_checkpoint(const struct rmq_reader *r, struct rmq_checkpoint *cp, char *err)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/checkpoint", r->root);
    return rmq_checkpoint_read(path, cp, err);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (!len || p[0] > 0xF4 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90))
        return 0;   /* overlong, surrogate, beyond U+10FFFF */
    return len;
}

bool store_utf8_ok(const unsigned char *p, size_t n, bool printable)
{
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (!k || (printable && k == 1 && ((p[i] < 0x20 && !strchr("\t\n\r", p[i])) || p[i] == 0x7F)))
            return false;
        i += k;
    }
    return true;
}

json_t *store_jstr(const char *s, size_t n)
{
    if (store_utf8_ok((const unsigned char *)s, n, false))
        return json_stringn(s, n);
    char *b = malloc(n * 3 + 1);
    size_t k = 0;
    for (size_t i = 0; b && i < n;) {
        size_t l = utf8_seq((const unsigned char *)s + i, n - i);
        if (l) {
            memcpy(b + k, s + i, l);
            k += l;
            i += l;
        } else {
            memcpy(b + k, "\xEF\xBF\xBD", 3);
            k += 3;
            i++;
        }
    }
    json_t *j = b ? json_stringn(b, k) : json_string("");
    free(b);
    return j;
}

void store_put_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    puts(s ? s : "{}");
    free(s);
    json_decref(j);
}

/* ---------------------------------------------------------------- stat */

struct seg_stat {
    int64_t first, last, used;
    long long records;
};

/* What stat reports beyond the reader's own fields. */
struct stat_info {
    struct seg_stat *ss;        /* per segment */
    int64_t max, records;       /* the end of the log; records in it */
    struct rmq_checkpoint cp;
    bool have_cp;               /* cp was read and is valid */
    bool abort_file;
    long long ix_entries;
};

/* Walks the log and reads the checkpoint and abort file: 0, or -1 out of memory. */
static int stat_collect(const struct rmq_reader *r, struct stat_info *si)
{
    struct seg_stat *ss = calloc((size_t)r->nsegs + 1, sizeof *ss);
    if (!ss)
        return -1;
    si->ss = ss;
    for (int i = 0; i < r->nsegs; i++)
        ss[i].first = ss[i].last = -1;
    si->max = rmq_reader_cl_min(r);
    si->records = 0;
    struct rmq_cl_iter it;
    struct rmq_cl_item x;
    rmq_cl_iter_init(&it, r, -1, RMQ_MSG_CHECK_NONE);
    while (rmq_cl_iter_next(&it, &x)) {
        if (x.kind != RMQ_CL_RECORD && !(x.kind == RMQ_CL_BAD && x.decoded))
            continue;
        struct seg_stat *s = &ss[x.seg];
        if (s->first < 0)
            s->first = x.off;
        s->last = x.off;
        s->used = x.next - r->segs[x.seg].start;
        s->records++;
        si->records++;
        si->max = x.next;
    }
    char path[PATH_MAX + 16], err[RMQ_ERRLEN];
    si->have_cp = store_read_checkpoint(r, &si->cp, err) == 0 && si->cp.valid;
    snprintf(path, sizeof path, "%s/abort", r->root);
    si->abort_file = access(path, F_OK) == 0;
    si->ix_entries = 0;
    for (int i = 0; i < r->nindex; i++)
        if (r->index[i].usable)
            si->ix_entries += r->index[i].count - 1;
    return 0;
}

static void stat_json(const struct rmq_reader *r, const struct stat_info *si)
{
    const struct seg_stat *ss = si->ss;
    json_t *segs = json_array(), *topics = json_object();
    for (int i = 0; i < r->nsegs; i++)
        json_array_append_new(segs, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "name", r->segs[i].name,
                                              "first", (json_int_t)ss[i].first, "last", (json_int_t)ss[i].last,
                                              "used", (json_int_t)ss[i].used, "records", (json_int_t)ss[i].records,
                                              "file_size", (json_int_t)r->segs[i].len));
    for (int i = 0; i < r->nqueues; i++) {
        const struct rmq_rqueue *q = &r->queues[i];
        json_t *t = json_object_get(topics, q->topic);
        if (!t) {
            t = json_pack("{s:I, s:[]}", "messages", (json_int_t)0, "queues");
            json_object_set_new(topics, q->topic, t);
        }
        json_object_set_new(t, "messages", json_integer(json_integer_value(json_object_get(t, "messages")) + q->messages));
        json_array_append_new(json_object_get(t, "queues"),
                              json_pack("{s:i, s:I, s:I, s:I}", "queue_id", q->qid, "min", (json_int_t)q->min_offset,
                                        "max", (json_int_t)q->max_offset, "messages", (json_int_t)q->messages));
    }
    json_t *warn = json_array();
    for (int a = 0; a < RMQ_AREA_N; a++)
        for (int i = 0; i < r->notes[a].n; i++)
            json_array_append_new(warn, store_jstr(r->notes[a].v[i], strlen(r->notes[a].v[i])));
    json_t *top = json_pack("{s:o, s:{s:o, s:I, s:I, s:I, s:I, s:o}, s:b, s:o, s:{s:i, s:I}, s:o}",
        "dir", store_jstr(r->root, strlen(r->root)),
        "commitlog", "dir", store_jstr(r->cl_dir, strlen(r->cl_dir)), "segment_size", (json_int_t)r->seg_size,
        "min_offset", (json_int_t)rmq_reader_cl_min(r), "max_offset", (json_int_t)si->max,
        "records", (json_int_t)si->records, "segments", segs,
        "abort_file", si->abort_file, "topics", topics,
        "index", "files", r->nindex, "entries", (json_int_t)si->ix_entries, "warnings", warn);
    const struct rmq_checkpoint *cp = &si->cp;
    if (si->have_cp)
        json_object_set_new(top, "checkpoint", json_pack("{s:b, s:I, s:I, s:b, s:I}", "valid", 1,
            "flushed", (json_int_t)cp->cl_flushed, "safe", (json_int_t)cp->logics_safe, "clean", cp->clean,
            "physic_ts", (json_int_t)cp->physic_ts));
    else
        json_object_set_new(top, "checkpoint", json_pack("{s:b}", "valid", 0));
    store_put_json(top);
}

static void stat_text(const struct rmq_reader *r, const struct stat_info *si)
{
    const struct seg_stat *ss = si->ss;
    printf("store       %s\n", r->root);
    printf("commitlog   %s: %d %s of %zu bytes, offsets %lld..%lld, %lld %s\n", r->cl_dir, r->nsegs,
           store_plural(r->nsegs, "segment", "segments"), r->seg_size, (long long)rmq_reader_cl_min(r),
           (long long)si->max, (long long)si->records, store_plural(si->records, "record", "records"));
    if (r->nsegs)
        printf("  %-22s %10s %14s %14s %12s\n", "SEGMENT", "RECORDS", "FIRST", "LAST", "USED");
    for (int i = 0; i < r->nsegs; i++)
        printf("  %-22s %10lld %14lld %14lld %12lld\n", r->segs[i].name, ss[i].records,
               (long long)ss[i].first, (long long)ss[i].last, (long long)ss[i].used);
    if (si->have_cp)
        printf("checkpoint  flushed %lld, safe %lld, written by a %s\n", (long long)si->cp.cl_flushed,
               (long long)si->cp.logics_safe, si->cp.clean ? "clean shutdown" : "running store");
    else
        printf("checkpoint  none (recovery checks the whole log)\n");
    printf("abort file  %s\n", si->abort_file ? "present: the last shutdown was unclean (or a broker is running)"
                                              : "absent: the last shutdown was clean");
    printf("index       %d %s, %lld %s\n", r->nindex, store_plural(r->nindex, "file", "files"), si->ix_entries,
           store_plural(si->ix_entries, "entry", "entries"));
    long long msgs = 0;
    for (int i = 0; i < r->nqueues; i++)
        msgs += r->queues[i].messages;
    printf("queues      %d %s, %lld %s\n", r->nqueues, store_plural(r->nqueues, "queue", "queues"), msgs,
           store_plural(msgs, "message", "messages"));
    if (r->nqueues)
        printf("  %-40s %6s %14s %14s %12s\n", "TOPIC", "QUEUE", "MIN", "MAX", "MESSAGES");
    for (int i = 0; i < r->nqueues; i++) {
        const struct rmq_rqueue *q = &r->queues[i];
        printf("  %-40s %6d %14lld %14lld %12lld\n", q->topic, q->qid, (long long)q->min_offset,
               (long long)q->max_offset, (long long)q->messages);
    }
}

static int run_stat(const struct sopts *o, struct rmq_reader *r)
{
    struct stat_info si;
    if (stat_collect(r, &si) < 0)
        return cmd_fail("store", "out of memory");
    for (int a = 0; a < RMQ_AREA_N; a++)
        for (int i = 0; i < r->notes[a].n; i++)
            fprintf(stderr, "rmq store: warning: %s\n", r->notes[a].v[i]);
    if (o->json)
        stat_json(r, &si);
    else
        stat_text(r, &si);
    free(si.ss);
    return 0;
}

/* ---------------------------------------------------------------- options */

static int parse(int argc, char **argv, const char *usage, const char *allowed, struct sopts *o)
{
    static const struct option longopts[] = {
        {"commitlog", required_argument, NULL, 'c'}, {"index-slots", required_argument, NULL, 'i'},
        {"quiet", no_argument, NULL, 'q'},          {"json", no_argument, NULL, 'j'},
        {"topic", required_argument, NULL, 't'},    {"queue", required_argument, NULL, 'Q'},
        {"from", required_argument, NULL, 'f'},     {"count", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == '?' || c == ':' || !strchr(allowed, c))
            return cmd_usage_error(usage, "store", "unknown option '%s'", argv[optind - 1]);
        char *end = NULL;
        long long v = strchr("iQfn", c) ? strtoll(optarg, &end, 0) : 0;
        if (end && (*end || end == optarg || v < 0))
            return cmd_usage_error(usage, "store", "invalid number '%s'", optarg);
        switch (c) {
        case 'c': o->cl_dir = optarg; break;
        case 'i':
            if (v < 1 || v > 100000000)
                return cmd_usage_error(usage, "store", "invalid --index-slots '%s'", optarg);
            o->index_slots = (uint32_t)v;
            break;
        case 'q': o->quiet = true; break;
        case 'j': o->json = true; break;
        case 't': o->topic = optarg; break;
        case 'Q': o->queue = v; o->has_queue = true; break;
        case 'f': o->from = v; o->has_from = true; break;
        case 'n': o->count = v; break;
        }
    }
    if (argc - optind != 1)
        return cmd_usage_error(usage, "store", argc - optind ? "too many arguments" : "missing store directory");
    o->dir = argv[optind];
    if (o->has_queue && !o->topic)
        return cmd_usage_error(usage, "store", "--queue needs --topic");
    return 0;
}

int cmd_store(int argc, char **argv)
{
    static const struct {
        const char *name, *usage, *allowed;
        int (*run)(const struct sopts *, struct rmq_reader *);
    } subs[] = {
        {"verify", usage_verify, "ciq", store_verify},
        {"stat", usage_stat, "cij", run_stat},
        {"dump", usage_dump, "cijtQfn", store_dump},
    };
    if (argc < 2 || argv[1][0] == '-') {
        if (cmd_wants_help(argc, argv)) {
            fputs(usage_all, stdout);
            return 0;
        }
        return cmd_usage_error(usage_all, "store", argc < 2 ? "missing subcommand" : "unknown option '%s'", argv[1]);
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (strcmp(argv[1], subs[i].name) != 0)
            continue;
        if (cmd_wants_help(argc - 1, argv + 1)) {
            fputs(subs[i].usage, stdout);
            return 0;
        }
        struct sopts o = {.count = -1};
        int rc = parse(argc - 1, argv + 1, subs[i].usage, subs[i].allowed, &o);
        if (rc)
            return rc;
        struct rmq_reader *r;
        char err[RMQ_ERRLEN];
        struct rmq_reader_opts ro = {o.dir, o.cl_dir, o.index_slots};
        if (rmq_reader_open(&r, &ro, err) < 0)
            return cmd_fail("store", "%s", err);
        rc = subs[i].run(&o, r);
        rmq_reader_close(r);
        return rc;
    }
    return cmd_usage_error(usage_all, "store", "unknown subcommand '%s'", argv[1]);
}
