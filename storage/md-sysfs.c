/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* md_read(): the md sysfs files of one array, read relative to a root
 * directory fd (like lsblk --sysroot), handed to the pure parsers in md.c.
 * Paths are resolved inside the root (openat2 RESOLVE_IN_ROOT where the
 * kernel has it); names with ".." are refused; leaf files are opened with
 * O_NOFOLLOW; each read is bounded. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tandem/macro.h"
#include "tandem/md.h"

#define MD_READ_MAX 4096
#define MD_MEMBERS_MAX 4096

static void closedirp(DIR **d) {
        if (*d) {
                int saved = errno;
                closedir(*d);
                errno = saved;
        }
}

/* Opens path (relative) under root as if root were "/": symlinks cannot
 * leave it. Falls back to plain openat() where openat2 is missing; the
 * callers have already refused "..". */
static int open_in_root(int root_fd, const char *path, int flags) {
#ifdef SYS_openat2
        struct open_how how = {
                .flags = (uint64_t) (flags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int) syscall(SYS_openat2, root_fd, path, &how, sizeof how);
        if (fd >= 0)
                return fd;
        if (errno != ENOSYS && errno != EPERM)
                return -errno;
#endif
        int fd2 = openat(root_fd, path, flags | O_CLOEXEC);
        return fd2 < 0 ? -errno : fd2;
}

/* One path component a name may be: not empty, "." or "..", no '/'. */
static bool component_ok(const char *s, size_t n) {
        if (n == 0 || n >= MD_NAME_MAX || memchr(s, '/', n) || memchr(s, '\0', n))
                return false;
        return !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.');
}

/* The kernel name of the md device named by /dev/md/<link>: reads the link
 * (never follows it) and accepts "../mdX", "/dev/mdX" or "mdX"-style targets
 * whose last part is one component. */
static int resolve_md_link(int root_fd, const char *link, char ret[static MD_NAME_MAX]) {
        _cleanup_close_ int dir = open_in_root(root_fd, "dev/md", O_RDONLY | O_DIRECTORY);
        if (dir < 0)
                return dir == -ENOTDIR ? -ENOENT : dir;
        char target[256];
        ssize_t k = readlinkat(dir, link, target, sizeof target - 1);
        if (k < 0)
                return errno == EINVAL ? -ENOENT : -errno; /* EINVAL: not a symlink */
        target[k] = '\0';
        const char *base = target;
        if (strncmp(target, "../", 3) == 0)
                base = target + 3;
        else if (strncmp(target, "/dev/", 5) == 0)
                base = target + 5;
        if (!component_ok(base, strlen(base)))
                return -ENOENT;
        strcpy(ret, base);
        return 0;
}

/* dev ("md0", "/dev/md0", "/dev/md/NAME") to a kernel name. */
static int resolve_name(int root_fd, const char *dev, char ret[static MD_NAME_MAX]) {
        const char *name = dev;
        if (strncmp(dev, "/dev/md/", 8) == 0) {
                if (!component_ok(dev + 8, strlen(dev + 8)))
                        return -EINVAL;
                return resolve_md_link(root_fd, dev + 8, ret);
        }
        if (strncmp(dev, "/dev/", 5) == 0)
                name = dev + 5;
        if (!component_ok(name, strlen(name)))
                return -EINVAL;
        strcpy(ret, name);
        return 0;
}

/* Reads a file under dir_fd, at most MD_READ_MAX bytes; -EFBIG beyond. */
static int read_value(int dir_fd, const char *name, char buf[static MD_READ_MAX], size_t *ret_len) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        size_t len = 0;
        for (;;) {
                if (len == MD_READ_MAX) {
                        char c;
                        ssize_t k = read(fd, &c, 1);
                        if (k < 0)
                                return errno == EINTR ? -EINTR : -errno;
                        if (k > 0)
                                return -EFBIG;
                        break;
                }
                ssize_t k = read(fd, buf + len, MD_READ_MAX - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        *ret_len = len;
        return 0;
}

static int read_array_file(int md_fd, enum md_file f, struct md_status *s) {
        char buf[MD_READ_MAX];
        size_t n;
        int r = read_value(md_fd, md_file_to_string(f), buf, &n);
        if (r < 0)
                return r;
        switch (f) {
        case MD_FILE_LEVEL:
                return md_parse_level(buf, n, &s->level);
        case MD_FILE_RAID_DISKS:
                return md_parse_raid_disks(buf, n, &s->raid_disks, NULL);
        case MD_FILE_ARRAY_STATE:
                return md_parse_array_state(buf, n, &s->array_state);
        case MD_FILE_DEGRADED:
                return md_parse_degraded(buf, n, &s->degraded);
        case MD_FILE_SYNC_ACTION:
                return md_parse_sync_action(buf, n, &s->sync_action);
        case MD_FILE_SYNC_COMPLETED:
                return md_parse_sync_completed(buf, n, &s->sync_completed);
        case MD_FILE_MISMATCH_CNT:
                return md_parse_mismatch_cnt(buf, n, &s->mismatch_cnt);
        default:
                return -EINVAL;
        }
}

static void read_member(int md_fd, const char *entry, struct md_member *m) {
        char buf[MD_READ_MAX];
        size_t n;
        int r;

        *m = (struct md_member) { .slot = MD_SLOT_NONE };
        snprintf(m->name, sizeof m->name, "%s", entry + 4); /* after "dev-" */
        _cleanup_close_ int fd = openat(md_fd, entry, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                m->state_err = m->slot_err = -errno;
                return;
        }
        r = read_value(fd, "state", buf, &n);
        m->state_err = r < 0 ? r : md_parse_dev_state(buf, n, &m->flags);
        r = read_value(fd, "slot", buf, &n);
        m->slot_err = r < 0 ? r : md_parse_dev_slot(buf, n, &m->slot);
}

static int member_cmp(const void *a, const void *b) {
        return strcmp(((const struct md_member *) a)->name, ((const struct md_member *) b)->name);
}

/* Fills s->members from the dev-* directories; -errno for the listing. */
static int read_members(int md_fd, struct md_status *s) {
        int fd = openat(md_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        _cleanup_(closedirp) DIR *d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        for (;;) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return -errno;
                        break;
                }
                if (strncmp(de->d_name, "dev-", 4) != 0)
                        continue;
                size_t len = strlen(de->d_name);
                if (!component_ok(de->d_name + 4, len - 4))
                        return -EBADMSG;
                if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
                        continue;
                if (s->n_members >= MD_MEMBERS_MAX)
                        return -E2BIG;
                struct md_member *p = realloc(s->members, (s->n_members + 1) * sizeof *p);
                if (!p)
                        return -ENOMEM;
                s->members = p;
                read_member(md_fd, de->d_name, s->members + s->n_members);
                s->n_members++;
        }
        if (s->n_members > 1)
                qsort(s->members, s->n_members, sizeof *s->members, member_cmp);
        return 0;
}

int md_read(int sysroot_fd, const char *dev, struct md_status *ret) {
        char name[MD_NAME_MAX], path[sizeof "sys/block//md" + MD_NAME_MAX];
        int r;

        if (sysroot_fd < 0 || !dev || !ret)
                return -EINVAL;
        r = resolve_name(sysroot_fd, dev, name);
        if (r < 0)
                return r;
        snprintf(path, sizeof path, "sys/block/%s/md", name);
        _cleanup_close_ int md_fd = open_in_root(sysroot_fd, path, O_RDONLY | O_DIRECTORY);
        if (md_fd < 0)
                return md_fd == -ENOTDIR ? -ENOENT : md_fd;

        struct md_status s = {};
        snprintf(s.name, sizeof s.name, "%s", name);
        for (enum md_file f = 0; f < _MD_FILE_MAX; f++)
                s.err[f] = read_array_file(md_fd, f, &s);
        r = read_members(md_fd, &s);
        if (r == -ENOMEM) {
                md_status_done(&s);
                return r;
        }
        s.members_err = r;
        *ret = s;
        return 0;
}
