#include "util/os.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <libgen.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Per-op fault: fail with `err` once `left` reaches 0. Atomics because the flush thread
 * also calls through here. */
static struct { _Atomic int err; _Atomic long left; } faults[RMQ_OS_NOPS];

static int fault(enum rmq_os_op op)
{
    int e = atomic_load_explicit(&faults[op].err, memory_order_relaxed);
    if (!e)
        return 0;
    if (atomic_fetch_sub(&faults[op].left, 1) > 0)
        return 0;
    atomic_store(&faults[op].left, 0);
    errno = e;
    return 1;
}

void rmq_os_inject(enum rmq_os_op op, int err, long after)
{
    atomic_store(&faults[op].left, after);
    atomic_store(&faults[op].err, err);
}

void rmq_os_inject_from_env(void)
{
    static const char *const ops[] = {"open", "write", "pwrite", "fsync", "fdatasync",
                                      "fallocate", "ftruncate", "rename", "mmap", "msync"};
    const char *v = getenv("RMQ_FAULT");
    char op[32], en[32];
    long after = 0;
    if (!v || sscanf(v, "%31[a-z]:%31[A-Z]:%ld", op, en, &after) < 2)
        return;
    int err = strcmp(en, "ENOSPC") == 0 ? ENOSPC : strcmp(en, "EIO") == 0 ? EIO : 0;
    for (int i = 0; i < RMQ_OS_NOPS; i++)
        if (strcmp(op, ops[i]) == 0)
            rmq_os_inject(i, err, after);
}

int rmq_os_open(const char *path, int flags, mode_t mode)
{
    if (fault(RMQ_OS_OPEN))
        return -1;
    return open(path, flags | O_CLOEXEC, mode);
}

/* write (off < 0) or pwrite until all of buf is written, through short writes and EINTR */
static ssize_t write_all(int fd, const void *buf, size_t n, off_t off)
{
    const char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t w = off < 0 ? write(fd, p + done, n - done)
                            : pwrite(fd, p + done, n - done, off + (off_t)done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        done += (size_t)w;
    }
    return (ssize_t)done;
}

ssize_t rmq_os_write(int fd, const void *buf, size_t n)
{
    return fault(RMQ_OS_WRITE) ? -1 : write_all(fd, buf, n, -1);
}

ssize_t rmq_os_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return fault(RMQ_OS_PWRITE) ? -1 : write_all(fd, buf, n, off);
}

int rmq_os_fsync(int fd) { return fault(RMQ_OS_FSYNC) ? -1 : fsync(fd); }
int rmq_os_fdatasync(int fd) { return fault(RMQ_OS_FDATASYNC) ? -1 : fdatasync(fd); }
void rmq_os_start_writeback(int fd, off_t off, off_t len) { sync_file_range(fd, off, len, SYNC_FILE_RANGE_WRITE); }
int rmq_os_ftruncate(int fd, off_t len) { return fault(RMQ_OS_FTRUNCATE) ? -1 : ftruncate(fd, len); }
int rmq_os_rename(const char *a, const char *b) { return fault(RMQ_OS_RENAME) ? -1 : rename(a, b); }

int rmq_os_fallocate(int fd, off_t off, off_t len)
{
    if (fault(RMQ_OS_FALLOCATE))
        return -1;
    int rc = posix_fallocate(fd, off, len);
    if (rc) {
        errno = rc;
        return -1;
    }
    return 0;
}

int rmq_os_zero_range(int fd, off_t off, off_t len)
{
    if (fault(RMQ_OS_FALLOCATE))
        return -1;
    if (fallocate(fd, FALLOC_FL_ZERO_RANGE, off, len) == 0)
        return 0;
    if (errno != EOPNOTSUPP && errno != ENOSYS)
        return -1;
    static const char zeros[65536];
    while (len > 0) {
        size_t n = len > (off_t)sizeof zeros ? sizeof zeros : (size_t)len;
        if (rmq_os_pwrite(fd, zeros, n, off) < 0)
            return -1;
        off += (off_t)n;
        len -= (off_t)n;
    }
    return 0;
}

void *rmq_os_mmap(int fd, size_t len)
{
    if (fault(RMQ_OS_MMAP))
        return NULL;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

int rmq_os_msync(void *addr, size_t len) { return fault(RMQ_OS_MSYNC) ? -1 : msync(addr, len, MS_SYNC); }

static _Atomic int fake_disk_used = -1;

void rmq_os_fake_disk_used(int pct) { atomic_store(&fake_disk_used, pct); }

int rmq_os_disk_used(const char *dir)
{
    int fake = atomic_load(&fake_disk_used);
    if (fake >= 0)
        return fake;
    struct statvfs v;
    if (statvfs(dir, &v) < 0 || v.f_blocks == 0)
        return 0;
    /* like df: used / (used + available to unprivileged users) */
    double used = (double)(v.f_blocks - v.f_bfree);
    double usable = used + (double)v.f_bavail;
    return usable > 0 ? (int)(100.0 * used / usable) : 0;
}

int rmq_os_fsync_dir(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    int fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = rmq_os_fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}
