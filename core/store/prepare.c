/*
 * prepare.c — the preparer thread: faults in the commitlog pages ahead of the writer.
 *
 * The first write to each page of a fresh segment costs the writer a page fault in which
 * the kernel allocates and zeroes the page; measured here, that was two thirds of the
 * append path. MADV_POPULATE_WRITE does the same work on the other core, ahead of time,
 * without touching the contents, so it cannot race with the writer. Populated pages are
 * dirty zeros: under SYNC_FLUSH the next fdatasync writes them out, after which data
 * syncs there are plain overwrites (no extent conversion). RocketMQ's warmMappedFile
 * serves the same purpose by writing zeros.
 */
#include "store/store_int.h"

#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define PREP_AHEAD (32 << 20)   /* keep this much populated past the append position */
#define PREP_LOW (16 << 20)     /* and ask for more when less than this is left */

/* Populates [from, to) within one segment at most; returns where it got to. */
static int64_t populate(struct rmq_store *s, int64_t from, int64_t to)
{
    struct rmq_mfile *f = NULL;
    pthread_mutex_lock(&s->cl.mq.lock);
    for (int i = 0; i < s->cl.mq.nfiles; i++) {
        struct rmq_mfile *c = s->cl.mq.files[i];
        if (from >= c->start && from < c->start + (int64_t)c->size) {
            f = c;
            rmq_mfile_ref(f);
            break;
        }
    }
    pthread_mutex_unlock(&s->cl.mq.lock);
    if (!f)
        return from;   /* the next segment does not exist yet: asked again after the roll */
    int64_t end = f->start + (int64_t)f->size;
    if (to < end)
        end = to;
    /* page-aligned start: madvise wants it, and the page holding `from` is mapped already */
    int64_t pos = (from - f->start) & ~(int64_t)4095;
    if (madvise(f->base + pos, (size_t)(end - f->start - pos), MADV_POPULATE_WRITE) < 0 &&
        errno != EINTR) {
        rmq_debug("store: cannot populate the commitlog ahead (%s); writers fault pages in",
                  strerror(errno));
        s->prep_broken = true;
    }
    rmq_mfile_unref(f);
    return end;
}

static void *preparer_main(void *arg)
{
    struct rmq_store *s = arg;
    int64_t done = 0;
    pthread_mutex_lock(&s->prep_lock);
    while (!s->prep_stop) {
        if (s->prep_want <= done || s->prep_broken) {
            pthread_cond_wait(&s->prep_cond, &s->prep_lock);
            continue;
        }
        int64_t want = s->prep_want;
        pthread_mutex_unlock(&s->prep_lock);
        int64_t written = atomic_load(&s->cl.written);
        if (done < written)
            done = written;   /* never behind the writer: that work is done already */
        while (done < want && !s->prep_broken) {
            int64_t next = populate(s, done, want);
            if (next == done)
                break;
            done = next;
        }
        pthread_mutex_lock(&s->prep_lock);
        if (done < want && s->prep_want == want)
            s->prep_want = done;   /* could not get there yet: wait to be asked again */
    }
    pthread_mutex_unlock(&s->prep_lock);
    return NULL;
}

void rmq_preparer_kick(struct rmq_store *s)
{
    if (s->prep_broken || s->cl.wrote + PREP_LOW <= s->prep_asked)
        return;
    s->prep_asked = s->cl.wrote + PREP_AHEAD;
    pthread_mutex_lock(&s->prep_lock);
    s->prep_want = s->prep_asked;
    pthread_cond_signal(&s->prep_cond);
    pthread_mutex_unlock(&s->prep_lock);
}

int rmq_preparer_start(struct rmq_store *s, char *err)
{
    pthread_mutex_init(&s->prep_lock, NULL);
    pthread_cond_init(&s->prep_cond, NULL);
    int rc = pthread_create(&s->preparer, NULL, preparer_main, s);
    if (rc)
        return rmq_seterr(err, -rc, "cannot start the preparer thread: %s", strerror(rc));
    s->preparer_running = true;
    return 0;
}

void rmq_preparer_stop(struct rmq_store *s)
{
    if (!s->preparer_running)
        return;
    pthread_mutex_lock(&s->prep_lock);
    s->prep_stop = true;
    pthread_cond_signal(&s->prep_cond);
    pthread_mutex_unlock(&s->prep_lock);
    pthread_join(s->preparer, NULL);
    s->preparer_running = false;
    pthread_mutex_destroy(&s->prep_lock);
    pthread_cond_destroy(&s->prep_cond);
}
