/*
 * os.h — the one seam through which store code does file I/O that can fail.
 *
 * Every write, pwrite, fsync, fdatasync, fallocate, ftruncate, rename, open and mmap that
 * the store (and the atomic JSON writer) performs goes through rmq_os_*. Tests make these
 * fail on purpose with rmq_os_inject() (in process) or the environment variable
 *   RMQ_FAULT=op:errno[:after]      e.g. RMQ_FAULT=fallocate:ENOSPC:3
 * (the op fails with errno on every call after the first `after` successful ones), so
 * disk-full and I/O-error paths are exercised without a full disk.
 *
 * Functions return what the libc call returns and leave errno set, exactly like libc.
 */
#ifndef RMQ_UTIL_OS_H
#define RMQ_UTIL_OS_H

#include <stddef.h>
#include <sys/types.h>

enum rmq_os_op {
    RMQ_OS_OPEN, RMQ_OS_WRITE, RMQ_OS_PWRITE, RMQ_OS_FSYNC, RMQ_OS_FDATASYNC,
    RMQ_OS_FALLOCATE, RMQ_OS_FTRUNCATE, RMQ_OS_RENAME, RMQ_OS_MMAP, RMQ_OS_MSYNC,
    RMQ_OS_NOPS
};

int rmq_os_open(const char *path, int flags, mode_t mode);
ssize_t rmq_os_write(int fd, const void *buf, size_t n);     /* loops over short writes */
ssize_t rmq_os_pwrite(int fd, const void *buf, size_t n, off_t off); /* loops too */
int rmq_os_fsync(int fd);
int rmq_os_fdatasync(int fd);
/* Start writeback of [off, off+len) without waiting (sync_file_range WRITE): no durability,
 * so no fault injection and no error; the fdatasync after it reports what failed. */
void rmq_os_start_writeback(int fd, off_t off, off_t len);
/* Reserve [off, off+len) on disk (posix_fallocate semantics; falls back to writing zeros
 * where the file system cannot). Returns 0 or -1 with errno. */
int rmq_os_fallocate(int fd, off_t off, off_t len);
int rmq_os_ftruncate(int fd, off_t len);
/* Zero [off, off+len) keeping the space allocated (FALLOC_FL_ZERO_RANGE, else writes zeros).
 * Injected faults: the RMQ_OS_FALLOCATE op. */
int rmq_os_zero_range(int fd, off_t off, off_t len);
int rmq_os_rename(const char *from, const char *to);
/* mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0); NULL (not MAP_FAILED) on error. */
void *rmq_os_mmap(int fd, size_t len);
int rmq_os_msync(void *addr, size_t len);

/* Used space of the file system holding dir, in percent of what is usable (statvfs), or 0
 * when unknown; rmq_os_fake_disk_used(pct) makes it answer pct instead (-1: the truth). */
int rmq_os_disk_used(const char *dir);
void rmq_os_fake_disk_used(int pct);

/* Make op fail with err on every call after `after` more successful calls; err 0 clears. */
void rmq_os_inject(enum rmq_os_op op, int err, long after);
/* Parse RMQ_FAULT from the environment (called by the store on open). */
void rmq_os_inject_from_env(void);
/* fsync the directory holding path (after create or rename). */
int rmq_os_fsync_dir(const char *path);

#endif
