/*
 * sync-floor.c — the fastest SYNC_FLUSH group commit this machine allows, without rmq.
 *
 * `rmq bench store --scenario sync-64` has 64 appenders with one message each in flight:
 * every fdatasync can cover at most 64 records. This program does only what any store must
 * do for that pattern, in the store's most favourable case, and nothing else: a writer
 * thread pwrite()s APPENDERS records of RECORD bytes at the end of a log file whose space
 * was written with zeros and synced beforehand (so an fdatasync is a plain overwrite: no
 * extent conversion, no journal commit), a flush thread fdatasyncs them, the writer waits
 * for that and starts the next group. "inline" does the same with the writer calling
 * fdatasync itself (no hand-off between threads). No records are encoded, no CRCs, no
 * queues or index, and the zeros are written before the clock starts, not meanwhile.
 *
 *   cc -O2 -pthread -o /tmp/sync-floor contrib/bench/sync-floor.c
 *   /tmp/sync-floor DIR [APPENDERS=64] [RECORD=1172] [SECONDS=3]
 *
 * Each mode runs for SECONDS or until its 1 GiB log is full (about 2 s here), after
 * zeroing that log (a second or two more).
 *
 * RECORD 1172 is the size of a 1 KiB-body record of `rmq bench store` (header, topic and
 * a Java producer's properties). Compare the MB/s printed here with the fdatasync-per-MiB
 * ceiling that `rmq bench store` prints in the same session.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_BYTES (1L << 30)

static int fd;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t to_flusher = PTHREAD_COND_INITIALIZER, to_writer = PTHREAD_COND_INITIALIZER;
static long written, flushed;   /* under lock */
static int stopping;
static double sync_us_total;
static long syncs;

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void timed_fdatasync(void)
{
    double t0 = now_us();
    if (fdatasync(fd) < 0) {
        perror("fdatasync");
        exit(1);
    }
    sync_us_total += now_us() - t0;
    syncs++;
}

static void *flusher(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (written == flushed && !stopping)
            pthread_cond_wait(&to_flusher, &lock);
        if (stopping)
            break;
        long target = written;
        pthread_mutex_unlock(&lock);
        timed_fdatasync();
        pthread_mutex_lock(&lock);
        flushed = target;
        pthread_cond_signal(&to_writer);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void run(const char *mode, int appenders, long record, double seconds)
{
    static char group[1 << 20];
    long group_bytes = appenders * record;
    if (group_bytes > (long)sizeof group) {
        fprintf(stderr, "sync-floor: APPENDERS x RECORD must be at most 1 MiB\n");
        exit(2);
    }
    memset(group, 'r', (size_t)group_bytes);
    bool handoff = strcmp(mode, "handoff") == 0;
    pthread_t t;
    written = flushed = 0;
    stopping = 0;
    sync_us_total = 0;
    syncs = 0;
    if (handoff)
        pthread_create(&t, NULL, flusher, NULL);
    long pos = 0, groups = 0;
    double t0 = now_us(), end = t0 + seconds * 1e6;
    while (now_us() < end && pos + group_bytes <= LOG_BYTES) {
        if (pwrite(fd, group, (size_t)group_bytes, pos) != group_bytes) {
            perror("pwrite");
            exit(1);
        }
        pos += group_bytes;
        groups++;
        if (!handoff) {
            timed_fdatasync();
            continue;
        }
        pthread_mutex_lock(&lock);
        written = pos;
        pthread_cond_signal(&to_flusher);
        while (flushed < pos)
            pthread_cond_wait(&to_writer, &lock);
        pthread_mutex_unlock(&lock);
    }
    double secs = (now_us() - t0) / 1e6;
    if (handoff) {
        pthread_mutex_lock(&lock);
        stopping = 1;
        pthread_cond_signal(&to_flusher);
        pthread_mutex_unlock(&lock);
        pthread_join(t, NULL);
    }
    printf("%-8s %d appenders x %ld B: %8.0f records/s %7.1f MB/s, group every %.1f us, "
           "fdatasync %.1f us (mean of %ld)\n", mode, appenders, record, groups * appenders / secs,
           pos / secs / 1e6, secs * 1e6 / groups, sync_us_total / syncs, syncs);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sync-floor DIR [APPENDERS=64] [RECORD=1172] [SECONDS=3]\n");
        return 2;
    }
    int appenders = argc > 2 ? atoi(argv[2]) : 64;
    long record = argc > 3 ? atol(argv[3]) : 1172;
    double seconds = argc > 4 ? atof(argv[4]) : 3;
    if (appenders < 1 || record < 1 || seconds <= 0) {
        fprintf(stderr, "sync-floor: counts and sizes must be positive\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/sync-floor.tmp", argv[1]);
    const char *modes[] = {"handoff", "inline"};
    for (int i = 0; i < 2; i++) {
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || fallocate(fd, 0, 0, LOG_BYTES) < 0) {
            perror(path);
            return 1;
        }
        static char zeros[1 << 20];
        for (long at = 0; at < LOG_BYTES; at += sizeof zeros)
            if (pwrite(fd, zeros, sizeof zeros, at) != (ssize_t)sizeof zeros) {
                perror("pwrite");
                return 1;
            }
        if (fdatasync(fd) < 0) {
            perror("fdatasync");
            return 1;
        }
        run(modes[i], appenders, record, seconds);
        close(fd);
        unlink(path);
    }
    return 0;
}
