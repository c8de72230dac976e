#include "store/checkpoint.h"

#include "util/bytes.h"
#include "util/err.h"
#include "util/os.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define BLOCK 64
#define BLOCK_LEN 36
#define MAGIC 0x524D5143u   /* "RMQC" */

int rmq_checkpoint_read(const char *path, struct rmq_checkpoint *cp, char *err)
{
    memset(cp, 0, sizeof *cp);
    uint8_t b[RMQ_CHECKPOINT_SIZE];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : rmq_seterr(err, -errno, "cannot open '%s': %s", path, strerror(errno));
    ssize_t n = pread(fd, b, sizeof b, 0);
    close(fd);
    if (n < BLOCK + BLOCK_LEN + 4)
        return 0;
    cp->physic_ts = (int64_t)rd64(b);
    cp->logics_ts = (int64_t)rd64(b + 8);
    cp->index_ts = (int64_t)rd64(b + 16);
    cp->master_flushed = (int64_t)rd64(b + 24);
    cp->confirm_phy = (int64_t)rd64(b + 32);
    const uint8_t *r = b + BLOCK;
    if (rd32(r) != MAGIC || rd32(r + 4) != 1 ||
        rd32(r + BLOCK_LEN) != (uint32_t)crc32(0, r, BLOCK_LEN))
        return 0;
    cp->cl_flushed = (int64_t)rd64(r + 8);
    cp->logics_safe = (int64_t)rd64(r + 16);
    cp->entries_total = (int64_t)rd64(r + 24);
    cp->clean = rd32(r + 32) != 0;
    cp->valid = cp->cl_flushed >= 0 && cp->logics_safe >= 0 && cp->logics_safe <= cp->cl_flushed;
    return 0;
}

int rmq_checkpoint_open(const char *path, char *err)
{
    int fd = rmq_os_open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0)
        return rmq_seterr(err, -errno, "cannot open checkpoint '%s': %s", path, strerror(errno));
    return fd;
}

int rmq_checkpoint_write(int fd, const struct rmq_checkpoint *cp)
{
    uint8_t b[RMQ_CHECKPOINT_SIZE] = {0};
    wr64(b, (uint64_t)cp->physic_ts);
    wr64(b + 8, (uint64_t)cp->logics_ts);
    wr64(b + 16, (uint64_t)cp->index_ts);
    wr64(b + 24, (uint64_t)cp->master_flushed);
    wr64(b + 32, (uint64_t)cp->confirm_phy);
    uint8_t *r = b + BLOCK;
    wr32(r, MAGIC);
    wr32(r + 4, 1);
    wr64(r + 8, (uint64_t)cp->cl_flushed);
    wr64(r + 16, (uint64_t)cp->logics_safe);
    wr64(r + 24, (uint64_t)cp->entries_total);
    wr32(r + 32, cp->clean ? 1 : 0);
    wr32(r + BLOCK_LEN, (uint32_t)crc32(0, r, BLOCK_LEN));
    if (rmq_os_pwrite(fd, b, sizeof b, 0) < 0 || rmq_os_fdatasync(fd) < 0)
        return -errno;
    return 0;
}
