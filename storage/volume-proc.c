/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who holds a filesystem, read through a /proc root directory fd (proc(5)),
 * so tests replay fake trees (tests/fixtures/proc/). Identity only: a link
 * counts when stat() through it lands on the filesystem's st_dev, and a
 * file mapping when its maps device field is the filesystem's device. Path
 * strings are never compared, so a look-alike path (/srv/db2 beside
 * /srv/db) or a bind mount of another filesystem never counts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tandem/volume.h"

/* Reads a whole small file relative to dir_fd into a new buffer. */
static int read_all(int dir_fd, const char *name, char **ret, size_t *ret_n) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *buf = NULL;
        size_t n = 0, cap = 0;

        if (fd < 0)
                return -errno;
        for (;;) {
                if (cap - n < 4096) {
                        if (cap > 64u << 20)
                                return -EFBIG;
                        char *b = realloc(buf, cap = cap ? cap * 2 : 8192);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                ssize_t k = read(fd, buf + n, cap - n - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_n = n;
        return 0;
}

static bool link_on(int dir_fd, const char *name, dev_t dev) {
        struct stat st;
        /* Follows the magic link to the object itself. */
        return fstatat(dir_fd, name, &st, 0) == 0 && st.st_dev == dev;
}

static bool fds_on(int pid_fd, dev_t dev) {
        int fd = openat(pid_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;
        bool found = false;
        if (fd < 0)
                return false;
        DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return false;
        }
        while (!found && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        found = link_on(dirfd(d), de->d_name, dev);
        closedir(d);
        return found;
}

static bool maps_on(int pid_fd, dev_t dev) {
        _cleanup_free_ char *buf = NULL;
        size_t n;
        bool found = false;
        if (read_all(pid_fd, "maps", &buf, &n) < 0)
                return false;
        if (vol_maps_uses_dev(buf, n, major(dev), minor(dev), &found) < 0)
                return false;
        return found;
}

static int cmp_holder(const void *a, const void *b) {
        const struct vol_holder *x = a, *y = b;
        return (x->pid > y->pid) - (x->pid < y->pid);
}

int vol_find_holders(int proc_fd, dev_t dev, pid_t self, struct vol_holder **ret, size_t *ret_n) {
        struct vol_holder *h = NULL;
        size_t n = 0;
        struct dirent *de;
        int fd, r = 0;

        if (proc_fd < 0 || !ret || !ret_n)
                return -EINVAL;
        fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                r = -errno;
                safe_close(fd);
                return r;
        }
        while ((errno = 0, de = readdir(d))) {
                pid_t pid;
                if (vol_parse_pid(de->d_name, &pid) < 0)
                        continue;
                _cleanup_close_ int pid_fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (pid_fd < 0)
                        continue; /* gone already */
                unsigned why = 0;
                if (link_on(pid_fd, "cwd", dev))
                        why |= VOL_HELD_CWD;
                if (link_on(pid_fd, "root", dev))
                        why |= VOL_HELD_ROOT;
                if (link_on(pid_fd, "exe", dev))
                        why |= VOL_HELD_EXE;
                if (fds_on(pid_fd, dev))
                        why |= VOL_HELD_FD;
                if (maps_on(pid_fd, dev))
                        why |= VOL_HELD_MAP;
                if (!why)
                        continue;
                struct vol_holder *nh = realloc(h, (n + 1) * sizeof *nh);
                if (!nh) {
                        r = -ENOMEM;
                        break;
                }
                h = nh;
                h[n] = (struct vol_holder) { .pid = pid, .why = why, .spared = pid == 1 || pid == self };
                _cleanup_free_ char *comm = NULL;
                size_t cn;
                if (read_all(pid_fd, "comm", &comm, &cn) == 0) {
                        if (cn > 0 && comm[cn - 1] == '\n')
                                comm[--cn] = '\0';
                        strncpy(h[n].comm, comm, sizeof h[n].comm - 1);
                }
                n++;
        }
        if (r == 0 && errno != 0)
                r = -errno;
        closedir(d);
        if (r < 0) {
                free(h);
                return r;
        }
        if (n > 1)
                qsort(h, n, sizeof *h, cmp_holder);
        *ret = h;
        *ret_n = n;
        return 0;
}

#define MOUNTINFO_BUF (64 * 1024)

int vol_read_mounts(int proc_fd, struct libmnt_table **ret) {
        int fd = openat(proc_fd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
        struct libmnt_table *tb;
        int r;

        if (fd < 0)
                return -errno;
        /* freed after f is closed (cleanups run in reverse order) */
        _cleanup_free_ char *buf = malloc(MOUNTINFO_BUF);
        _cleanup_fclose_ FILE *f = fdopen(fd, "re");
        if (!f) {
                r = -errno;
                safe_close(fd);
                return r;
        }
        /* stdio would read in st_blksize pieces, 1024 bytes for /proc: a
         * host with thousands of mounts would take a read each 1024 bytes */
        if (buf)
                (void) setvbuf(f, buf, _IOFBF, MOUNTINFO_BUF);
        tb = mnt_new_table();
        if (!tb)
                return -ENOMEM;
        r = mnt_table_parse_stream(tb, f, "mountinfo");
        if (r < 0) {
                mnt_unref_table(tb);
                return r;
        }
        *ret = tb;
        return 0;
}

int vol_mount_state(int proc_fd, dev_t dev, const char *target, struct vol_mount_match *ret, char **ret_where) {
        struct libmnt_table *tb = NULL;
        struct vol_mount_match m;
        char *where = NULL;
        int r = vol_read_mounts(proc_fd, &tb);
        if (r < 0)
                return r;
        r = vol_mount_match(tb, dev, target, &m);
        if (r == 0 && m.where && ret_where && !(where = strdup(m.where)))
                r = -ENOMEM;
        mnt_unref_table(tb);
        if (r < 0)
                return r;
        m.where = NULL;
        *ret = m;
        if (ret_where)
                *ret_where = where;
        return 0;
}
