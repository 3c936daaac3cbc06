/* blkio: read or write whole blocks of a block device with O_DIRECT.
 *
 * The QEMU rig needs I/O that really reaches the device, bypassing the page
 * cache: busybox `dd oflag=direct` silently buffers, so a write through one
 * path and a read through the other would compare cached data. This helper
 * opens the device with O_DIRECT, uses an aligned buffer, and reports the
 * errno of a failed read or write (a fenced node's write fails with EIO
 * or EBADE, and tests need to see that).
 *
 *   blkio [-b SIZE] read  DEVICE BLOCK [COUNT]   blocks to stdout
 *   blkio [-b SIZE] write DEVICE BLOCK [COUNT]   blocks from stdin, then fsync
 *
 * BLOCK and COUNT are in units of SIZE bytes (default 4096, a multiple of
 * every logical block size the rig uses). Exit: 0 done, 1 I/O failed,
 * 2 usage error. Self-contained: no tandem library code. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
        fputs("usage: blkio [-b SIZE] read|write DEVICE BLOCK [COUNT]\n"
              "  read:  COUNT blocks of SIZE bytes from block BLOCK to stdout\n"
              "  write: COUNT blocks of SIZE bytes from stdin to block BLOCK, then fsync\n"
              "  I/O uses O_DIRECT; SIZE defaults to 4096.\n", f);
}

/* Parses a non-negative decimal number; returns 0 or -EINVAL. */
static int parse_u64(const char *s, unsigned long long *ret)
{
        char *end;
        unsigned long long v;

        if (!s || !*s || *s == '-')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Reads exactly n bytes from fd unless EOF comes first; returns bytes read or -errno. */
static ssize_t read_full(int fd, void *buf, size_t n)
{
        size_t done = 0;

        while (done < n) {
                ssize_t r = read(fd, (char *) buf + done, n - done);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        break;
                done += (size_t) r;
        }
        return (ssize_t) done;
}

/* Writes all n bytes to fd; returns 0 or -errno. */
static int write_full(int fd, const void *buf, size_t n)
{
        size_t done = 0;

        while (done < n) {
                ssize_t r = write(fd, (const char *) buf + done, n - done);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                done += (size_t) r;
        }
        return 0;
}

int main(int argc, char **argv)
{
        unsigned long long bs = 4096, block, count = 1, i;
        const char *op, *dev;
        void *buf = NULL;
        int opt, fd, writing, r;

        while ((opt = getopt(argc, argv, "b:h")) != -1) {
                switch (opt) {
                case 'b':
                        if (parse_u64(optarg, &bs) < 0 || bs < 512 || bs > (1ULL << 24) ||
                            (bs & (bs - 1))) {
                                fprintf(stderr, "blkio: bad block size '%s' (power of two, 512..16M)\n", optarg);
                                return 2;
                        }
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (argc - optind < 3 || argc - optind > 4) {
                usage(stderr);
                return 2;
        }
        op = argv[optind];
        dev = argv[optind + 1];
        if (strcmp(op, "read") == 0)
                writing = 0;
        else if (strcmp(op, "write") == 0)
                writing = 1;
        else {
                usage(stderr);
                return 2;
        }
        if (parse_u64(argv[optind + 2], &block) < 0 ||
            (argc - optind == 4 && (parse_u64(argv[optind + 3], &count) < 0 || count == 0))) {
                fprintf(stderr, "blkio: BLOCK and COUNT must be numbers (COUNT > 0)\n");
                return 2;
        }
        if (block > (unsigned long long) INT64_MAX / bs) {
                fprintf(stderr, "blkio: block %llu is out of range\n", block);
                return 2;
        }

        r = posix_memalign(&buf, (size_t) bs, (size_t) bs);
        if (r != 0) {
                fprintf(stderr, "blkio: cannot allocate %llu bytes: %s\n", bs, strerror(r));
                return 1;
        }
        fd = open(dev, (writing ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "blkio: cannot open %s: %s\n", dev, strerror(errno));
                free(buf);
                return 1;
        }
        for (i = 0; i < count; i++) {
                off_t off = (off_t) ((block + i) * bs);
                ssize_t n;

                if (writing) {
                        n = read_full(STDIN_FILENO, buf, (size_t) bs);
                        if (n < 0 || (unsigned long long) n != bs) {
                                fprintf(stderr, "blkio: stdin gave %s for block %llu (need %llu bytes)\n",
                                        n < 0 ? strerror((int) -n) : "too few bytes", block + i, bs);
                                goto fail;
                        }
                        n = pwrite(fd, buf, (size_t) bs, off);
                } else
                        n = pread(fd, buf, (size_t) bs, off);
                if (n < 0) {
                        fprintf(stderr, "blkio: %s %s block %llu: %s\n", op, dev, block + i, strerror(errno));
                        goto fail;
                }
                if ((unsigned long long) n != bs) {
                        fprintf(stderr, "blkio: %s %s block %llu: short transfer (%zd of %llu bytes)\n",
                                op, dev, block + i, n, bs);
                        goto fail;
                }
                if (!writing) {
                        r = write_full(STDOUT_FILENO, buf, (size_t) bs);
                        if (r < 0) {
                                fprintf(stderr, "blkio: writing stdout: %s\n", strerror(-r));
                                goto fail;
                        }
                }
        }
        if (writing && fsync(fd) < 0) {
                fprintf(stderr, "blkio: fsync %s: %s\n", dev, strerror(errno));
                goto fail;
        }
        if (close(fd) < 0 && writing) {
                fprintf(stderr, "blkio: close %s: %s\n", dev, strerror(errno));
                free(buf);
                return 1;
        }
        free(buf);
        return 0;
fail:
        close(fd);
        free(buf);
        return 1;
}
