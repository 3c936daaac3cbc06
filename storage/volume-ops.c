/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The volume's I/O: the mount point (walked and held open), fsck
 * (posix_spawn), mount (the kernel's mount API, onto the held directory)
 * and unmount (libmount), ending holders, the exclusive-open check, and the
 * monitor probes. No logging: what was done comes back in reports and
 * reasons. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tandem/util.h"
#include "tandem/volume.h"

#define SBIN_PATH "/usr/sbin:/usr/bin:/sbin:/bin"


int vol_mountpoint_resolve(const char *path, char **ret_canonical) {
        struct stat st;
        if (!path || !ret_canonical)
                return -EINVAL;
        if (lstat(path, &st) < 0)
                return -errno;
        if (S_ISLNK(st.st_mode))
                return -ELOOP;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        char *c = realpath(path, NULL);
        if (!c)
                return -errno;
        *ret_canonical = c;
        return 0;
}

/* Whether a directory on the way to the mount point is safe: only root may
 * change what its entries are (st: its fstat). */
static bool safe_ancestor(const struct stat *st) {
        return st->st_uid == 0 && (!(st->st_mode & (S_IWGRP | S_IWOTH)) || (st->st_mode & S_ISVTX));
}

static int unsafe_ancestor(const char *path, const struct stat *st, char **ret_reason) {
        if (st->st_uid != 0)
                set_reason(ret_reason, "%s, above the mount point, is owned by uid %u, not root: whoever owns it could "
                           "swap the mount point for a symbolic link; refusing it", path[0] ? path : "/",
                           (unsigned) st->st_uid);
        else
                set_reason(ret_reason, "%s, above the mount point, is writable by its group or others (mode %04o) and "
                           "not sticky: they could swap the mount point for a symbolic link; refusing it",
                           path[0] ? path : "/", (unsigned) (st->st_mode & 07777));
        return -EPERM;
}

#define MOUNTPOINT_MAX_LINKS 32

int vol_mountpoint_open(const char *path, int *ret_fd, char **ret_canonical, char **ret_reason) {
        _cleanup_free_ char *todo = NULL, *done = NULL;
        _cleanup_close_ int fd = -1;
        unsigned links = 0;
        struct stat st;

        if (!path || path[0] != '/' || !ret_fd || !ret_canonical)
                return -EINVAL;
        if (!(todo = strdup(path)) || !(done = strdup("")))
                return -ENOMEM;
        fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (!safe_ancestor(&st))
                return unsafe_ancestor("/", &st, ret_reason);
        /* done: the canonical path so far ("" for /); todo: what is left */
        for (;;) {
                char *p = todo;
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                size_t len = strcspn(p, "/");
                char *rest = p + len;
                while (*rest == '/')
                        rest++;
                bool last = !*rest;
                _cleanup_free_ char *comp = strndup(p, len);
                if (!comp)
                        return -ENOMEM;
                memmove(todo, rest, strlen(rest) + 1);
                if (strcmp(comp, ".") == 0)
                        continue;
                if (strcmp(comp, "..") == 0) {
                        /* up again: that directory was checked on the way down */
                        char *slash = strrchr(done, '/');
                        if (!slash)
                                continue; /* .. of / is / */
                        int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (up < 0)
                                return -errno;
                        safe_close(fd);
                        fd = up;
                        *slash = '\0';
                        continue;
                }
                _cleanup_close_ int child = openat(fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0)
                        return -errno;
                if (fstat(child, &st) < 0)
                        return -errno;
                if (S_ISLNK(st.st_mode)) {
                        if (last)
                                return -ELOOP; /* the mount point itself */
                        if (++links > MOUNTPOINT_MAX_LINKS)
                                return -ELOOP;
                        if (st.st_uid != 0) {
                                set_reason(ret_reason, "%s/%s, on the way to the mount point, is a symbolic link owned "
                                           "by uid %u, not root; refusing it", done, comp, (unsigned) st.st_uid);
                                return -EPERM;
                        }
                        char target[PATH_MAX];
                        ssize_t k = readlinkat(child, "", target, sizeof target - 1);
                        if (k < 0)
                                return -errno;
                        if (k == 0)
                                return -ENOENT;
                        target[k] = '\0';
                        char *nt = NULL;
                        if (asprintf(&nt, "%s/%s", target, todo) < 0)
                                return -ENOMEM;
                        free(todo);
                        todo = nt;
                        if (target[0] == '/') {
                                safe_close(fd);
                                fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                                if (fd < 0)
                                        return -errno;
                                done[0] = '\0';
                        }
                        continue;
                }
                if (!S_ISDIR(st.st_mode))
                        return -ENOTDIR;
                char *nd = NULL;
                if (asprintf(&nd, "%s/%s", done, comp) < 0)
                        return -ENOMEM;
                free(done);
                done = nd;
                /* an ancestor: anything on the way to the mount point but the
                 * last component (a symlink's target may add components) */
                bool ancestor = todo[strspn(todo, "/")] != '\0';
                if (ancestor && !safe_ancestor(&st))
                        return unsafe_ancestor(done, &st, ret_reason);
                safe_close(fd);
                fd = TAKE_FD(child);
        }
        if (!done[0])
                return -EINVAL; /* / itself */
        *ret_fd = TAKE_FD(fd);
        *ret_canonical = TAKE_PTR(done);
        return 0;
}

/* Finds prog in SBIN_PATH; writes a new string. */
static int find_program(const char *prog, char **ret) {
        _cleanup_free_ char *p = strdup(SBIN_PATH);
        char *save = NULL;
        if (!p)
                return -ENOMEM;
        for (char *dir = strtok_r(p, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char *full;
                if (asprintf(&full, "%s/%s", dir, prog) < 0)
                        return -ENOMEM;
                if (access(full, X_OK) == 0) {
                        *ret = full;
                        return 0;
                }
                free(full);
        }
        return -ENOENT;
}

int vol_fsck_run(const char *const *argv, int *ret_status) {
        _cleanup_free_ char *prog = NULL;
        posix_spawn_file_actions_t fa;
        char *const envp[] = { (char *) "PATH=" SBIN_PATH, (char *) "LC_ALL=C", NULL };
        pid_t pid;
        int r, st;

        if (!argv || !argv[0] || !ret_status)
                return -EINVAL;
        r = find_program(argv[0], &prog);
        if (r < 0)
                return r;
        if ((r = posix_spawn_file_actions_init(&fa)) != 0)
                return -r;
        /* Its stdout goes to our stderr: ours may carry JSON. Its stdin is /dev/null. */
        if ((r = posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO)) != 0 ||
            (r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) != 0) {
                posix_spawn_file_actions_destroy(&fa);
                return -r;
        }
        r = posix_spawn(&pid, prog, &fa, NULL, (char *const *) argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(st))
                *ret_status = WEXITSTATUS(st);
        else if (WIFSIGNALED(st))
                *ret_status = -WTERMSIG(st);
        else
                *ret_status = -1;
        return 0;
}

static int excode_errno(struct libmnt_context *cxt, int rc, char **ret_reason) {
        char buf[BUFSIZ] = "";
        int ex = mnt_context_get_excode(cxt, rc, buf, sizeof buf);
        int e = mnt_context_syscall_called(cxt) ? mnt_context_get_syscall_errno(cxt) : 0;
        set_reason(ret_reason, "%s", buf[0] ? buf : "libmount failed");
        if (e > 0)
                return -e;
        if (rc < 0)
                return rc;
        return ex == MNT_EX_USAGE ? -EINVAL : -EIO;
}

/* --- mount ---------------------------------------------------------------- */

/* The kernel's own words from a filesystem context (fsopen(2): "e ..."
 * lines), else strerror; returns -err. */
static int fs_failed(int fsfd, int err, const char *what, char **ret_reason) {
        char buf[512];
        ssize_t k = fsfd >= 0 ? read(fsfd, buf, sizeof buf - 1) : -1;
        if (k > 2) {
                buf[k] = '\0';
                buf[strcspn(buf, "\n")] = '\0';
                set_reason(ret_reason, "%s: %s", what, buf + 2);
        } else
                set_reason(ret_reason, "%s: %s", what, strerror(err));
        return -err;
}

static const struct {
        unsigned long ms;
        const char *sb_flag;            /* a superblock flag, by fsconfig(FSCONFIG_SET_FLAG) */
        uint64_t attr;                  /* or a mount attribute, for fsmount() */
} vfs_flags[] = {
        { MS_RDONLY, "ro", MOUNT_ATTR_RDONLY },
        { MS_NOSUID, NULL, MOUNT_ATTR_NOSUID },
        { MS_NODEV, NULL, MOUNT_ATTR_NODEV },
        { MS_NOEXEC, NULL, MOUNT_ATTR_NOEXEC },
        { MS_NOATIME, NULL, MOUNT_ATTR_NOATIME },
        { MS_STRICTATIME, NULL, MOUNT_ATTR_STRICTATIME },
        { MS_NODIRATIME, NULL, MOUNT_ATTR_NODIRATIME },
        { MS_NOSYMFOLLOW, NULL, MOUNT_ATTR_NOSYMFOLLOW },
        { MS_RELATIME, NULL, 0 },       /* the default */
        { MS_SYNCHRONOUS, "sync", 0 },
        { MS_DIRSYNC, "dirsync", 0 },
        { MS_LAZYTIME, "lazytime", 0 },
        { MS_MANDLOCK, "mand", 0 },
        { MS_SILENT, "silent", 0 },
        { MS_I_VERSION, "iversion", 0 },
};

#ifndef MS_PROPAGATION
#define MS_PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)
#endif

/* Gives fsfd the options: VFS ones as superblock flags or, in *ret_attr and
 * *ret_propagation, mount attributes; filesystem ones as parameters. */
static int fs_options(int fsfd, const char *options, uint64_t *ret_attr, unsigned long *ret_propagation,
                      char **ret_reason) {
        _cleanup_free_ char *user = NULL, *vfs = NULL, *fs = NULL;
        unsigned long flags = 0;
        uint64_t attr = 0;

        if (mnt_split_optstr(options, &user, &vfs, &fs, 0, 0) < 0)
                return set_reason(ret_reason, "options '%s' cannot be parsed", options), -EINVAL;
        if (vfs && mnt_optstr_get_flags(vfs, &flags, mnt_get_builtin_optmap(MNT_LINUX_MAP)) < 0)
                return set_reason(ret_reason, "options '%s' cannot be parsed", vfs), -EINVAL;
        if (flags & ~(MS_PROPAGATION | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                      MS_STRICTATIME | MS_NODIRATIME | MS_NOSYMFOLLOW | MS_RELATIME | MS_SYNCHRONOUS | MS_DIRSYNC |
                      MS_LAZYTIME | MS_MANDLOCK | MS_SILENT | MS_I_VERSION))
                return set_reason(ret_reason, "options '%s': not for mounting a filesystem", vfs), -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(vfs_flags); i++) {
                if (!(flags & vfs_flags[i].ms))
                        continue;
                if (vfs_flags[i].sb_flag && fsconfig(fsfd, FSCONFIG_SET_FLAG, vfs_flags[i].sb_flag, NULL, 0) < 0)
                        return fs_failed(fsfd, errno, vfs_flags[i].sb_flag, ret_reason);
                attr |= vfs_flags[i].attr;
        }
        /* name[=value] pairs; a value in double quotes (context="a,b") loses them */
        char *p = fs, *name, *value;
        size_t nsz, vsz;
        while (p && *p) {
                int r = mnt_optstr_next_option(&p, &name, &nsz, &value, &vsz);
                if (r == 1)
                        break;
                if (r < 0)
                        return set_reason(ret_reason, "options '%s' cannot be parsed", fs), -EINVAL;
                _cleanup_free_ char *k = strndup(name, nsz), *v = NULL;
                if (value) {
                        if (vsz >= 2 && value[0] == '"' && value[vsz - 1] == '"')
                                v = strndup(value + 1, vsz - 2);
                        else
                                v = strndup(value, vsz);
                }
                if (!k || (value && !v))
                        return -ENOMEM;
                if (fsconfig(fsfd, v ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, k, v, 0) < 0)
                        return fs_failed(fsfd, errno, k, ret_reason);
        }
        *ret_attr = attr;
        *ret_propagation = flags & MS_PROPAGATION;
        return 0;
}

int vol_mount(const struct vol_device *d, int target_fd, const char *fstype, const char *options, int *ret_mount_fd,
              char **ret_reason) {
        _cleanup_close_ int fsfd = -1, mfd = -1;
        unsigned long propagation = 0;
        uint64_t attr = 0;
        int r;

        if (!d || !d->devname || target_fd < 0 || !fstype || !ret_mount_fd)
                return -EINVAL;
        fsfd = fsopen(fstype, FSOPEN_CLOEXEC);
        if (fsfd < 0)
                return set_reason(ret_reason, "fsopen %s: %s", fstype, strerror(errno)), -errno;
        if (fsconfig(fsfd, FSCONFIG_SET_STRING, "source", d->devname, 0) < 0)
                return fs_failed(fsfd, errno, d->devname, ret_reason);
        r = fs_options(fsfd, options && options[0] ? options : "defaults", &attr, &propagation, ret_reason);
        if (r < 0)
                return r;
        if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return fs_failed(fsfd, errno, d->devname, ret_reason);
        mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, (unsigned) attr);
        if (mfd < 0)
                return fs_failed(fsfd, errno, d->devname, ret_reason);
        /* Onto the directory that was checked, held open since: not a path
         * that may have become a symlink meanwhile (until here the mount is
         * detached, and closing mfd would undo it all). */
        if (move_mount(mfd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return set_reason(ret_reason, "move_mount: %s", strerror(errno)), -errno;
        if (propagation) {
                struct mount_attr ma = { .propagation = propagation & MS_PROPAGATION };
                if (mount_setattr(mfd, "", AT_EMPTY_PATH, &ma, sizeof ma) < 0) {
                        r = -errno;
                        set_reason(ret_reason, "mount_setattr (propagation): %s", strerror(-r));
                        (void) vol_unmount_fd(TAKE_FD(mfd), d);
                        return r;
                }
        }
        *ret_mount_fd = TAKE_FD(mfd);
        return 0;
}

int vol_unmount_fd(int mount_fd, const struct vol_device *d) {
        char path[64];
        if (mount_fd < 0 || !d)
                return -EINVAL;
        /* The magic link lands on the mount's root: that mount, whatever its
         * path is now. Detached, as mount_fd itself holds it busy; then
         * closed, and only when the device can be opened exclusively again
         * is it gone (someone who got in meanwhile would keep it alive). */
        snprintf(path, sizeof path, "/proc/self/fd/%d", mount_fd);
        int r = umount2(path, MNT_DETACH) < 0 ? -errno : 0;
        safe_close(mount_fd);
        if (r < 0)
                return r;
        for (int i = 0; i < 20; i++) {
                r = vol_device_exclusive(d);
                if (r != -EBUSY)
                        return r;
                (void) usleep(50 * 1000);
        }
        return r;
}

/* --- unmount -------------------------------------------------------------- */

static int do_umount(const char *target, char **ret_reason) {
        struct libmnt_context *cxt = mnt_new_context();
        int rc;
        if (!cxt)
                return -ENOMEM;
        if (mnt_context_set_target(cxt, target) < 0) {
                mnt_free_context(cxt);
                return -ENOMEM;
        }
        /* Never lazy (no MNT_DETACH) and never forced: a busy filesystem
         * must fail here, so that the reservation stays (I5). */
        mnt_context_enable_lazy(cxt, 0);
        mnt_context_enable_force(cxt, 0);
        rc = mnt_context_umount(cxt);
        if (rc != 0 || mnt_context_get_status(cxt) != 1) {
                int r = excode_errno(cxt, rc, ret_reason);
                mnt_free_context(cxt);
                return r < 0 ? r : -EIO;
        }
        mnt_free_context(cxt);
        return 0;
}

int vol_device_exclusive(const struct vol_device *d) {
        struct stat st;
        int r = 0;

        if (!d || !d->devname)
                return -EINVAL;
        /* open(2): O_EXCL without O_CREAT on a block device fails with EBUSY
         * while it is mounted (in any mount namespace) or claimed. */
        int fd = open(d->devname, O_RDONLY | O_EXCL | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                r = -errno;
        else if (!S_ISBLK(st.st_mode) || st.st_rdev != d->devno)
                r = -ENXIO;
        safe_close(fd);
        return r;
}

/* Why d cannot be opened exclusively though this mount table does not
 * list it, in words (a new string, or NULL on ENOMEM). */
/* Why d cannot be opened exclusively, in words, into *ret; and whether a
 * process under proc_fd has it mounted in a mount namespace not ours (a
 * holder this node can see). Returns 0 or -ENOMEM. */
static int busy_why(int proc_fd, const struct vol_device *d, bool *ret_seen, char **ret) {
        struct vol_ns_mount *m = NULL;
        size_t n = 0, others = 0;
        const struct vol_ns_mount *first = NULL;

        if (vol_find_ns_mounts(proc_fd, d->devno, &m, &n) == 0)
                for (size_t i = 0; i < n; i++)
                        if (!m[i].ours) {
                                others++;
                                first = first ? first : &m[i];
                        }
        char *s;
        if (first)
                s = strprintf("%s is still mounted in the mount namespace of PID %d (%s)%s, at %s%s", d->devname,
                              (int) first->pid, first->comm, first->init ? ", PID 1's" : "", first->where,
                              others > 1 ? " (and in other mount namespaces)" : "");
        else
                s = strprintf("%s is in use: it cannot be opened exclusively (mounted in a mount namespace no "
                              "process is in, or claimed by another device or program)", d->devname);
        vol_ns_mounts_free(m, n);
        if (!s)
                return -ENOMEM;
        *ret_seen = first != NULL;
        *ret = s;
        return 0;
}

int vol_device_state(int proc_fd, const struct vol_device *d, const char *target, unsigned flags,
                     struct vol_mount_match *ret, char **ret_where) {
        struct vol_mount_match m;
        _cleanup_free_ char *where = NULL;
        struct stat st;

        if (proc_fd < 0 || !d || !d->devname || !target || !ret)
                return -EINVAL;
        int r = vol_mount_state(proc_fd, d->devno, target, &m, &where);
        if (r < 0)
                return r;
        if (m.state == VOL_MOUNT_OK && (lstat(target, &st) < 0 || st.st_dev != d->devno)) {
                /* the table has it there, but the path leads elsewhere: a mount over it or over a parent */
                m.state = VOL_MOUNT_HELD;
                free(where);
                where = strprintf("%s is mounted at %s, but another mount covers it there (the mount point is "
                                  "shadowed)", d->devname, target);
                if (!where)
                        return -ENOMEM;
        } else if (m.state == VOL_MOUNT_NONE) {
                r = vol_device_exclusive(d);
                if (r == -EBUSY) {
                        bool seen = false;
                        r = busy_why(proc_fd, d, &seen, &where);
                        if (r < 0)
                                return r;
                        if (seen || (flags & VOL_STATE_EXCLUSIVE))
                                m.state = VOL_MOUNT_HELD;
                        else {
                                free(where);    /* busy, but not through anything on this node */
                                where = NULL;
                        }
                } else if (r < 0)
                        return r;
        }
        *ret = m;
        ret->where = NULL;
        if (ret_where)
                *ret_where = TAKE_PTR(where);
        return 0;
}

void vol_umount_report_done(struct vol_umount_report *r) {
        if (!r)
                return;
        free(r->holders);
        free(r->reason);
        *r = (struct vol_umount_report) {};
}

struct victim {
        size_t idx;     /* into the report's holders */
        int pidfd;      /* the /proc/PID directory it was found through */
};

static bool lists(const struct vol_holder *list, size_t n, pid_t pid) {
        for (size_t i = 0; i < n; i++)
                if (list[i].pid == pid)
                        return true;
        return false;
}

/* Whether the process a victim's pidfd refers to is still there. */
static bool alive(const struct victim *v) {
        return pidfd_send_signal(v->pidfd, 0, NULL, 0) == 0 || errno == EPERM;
}

/* Sends sig to every victim: through the pidfd it was read through, so a
 * process that took a PID over is never hit. */
static void signal_victims(struct victim *v, size_t n, int sig) {
        for (size_t i = 0; i < n; i++)
                (void) pidfd_send_signal(v[i].pidfd, sig, NULL, 0);
}

/* Waits until no victim holds the filesystem or deadline passes; marks the ones that let go with how. */
static int wait_victims(int proc_fd, dev_t dev, pid_t self, unsigned flags, struct vol_umount_report *rep,
                        struct victim *v, size_t nv, enum vol_ended how, usec_t deadline, int (*sleep_fn)(usec_t)) {
        for (;;) {
                struct vol_holder *cur = NULL;
                size_t n = 0, left = 0;
                int r = vol_find_holders(proc_fd, dev, self, flags, &cur, &n);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < nv; i++) {
                        struct vol_holder *h = &rep->holders[v[i].idx];
                        if (h->ended != VOL_ENDED_NO)
                                continue;
                        if (alive(&v[i]) && lists(cur, n, h->pid))
                                left++;
                        else
                                h->ended = how;
                }
                vol_holders_free(cur, n);
                if (left == 0 || now(CLOCK_MONOTONIC) >= deadline)
                        return (int) left;
                sleep_fn(100 * USEC_PER_MSEC);
        }
}

/* Ends the holders a scan with flags finds: TERM, wait stop_timeout, KILL;
 * a few rounds for ones that appear meanwhile. Returns 0, -EBUSY (one would
 * not go, or a spared one holds it) or -errno, with rep->reason. */
static int end_holders(int proc_fd, const char *target, dev_t dev, pid_t self, unsigned flags, usec_t stop_timeout,
                       int (*sleep_fn)(usec_t), struct vol_umount_report *rep) {
        int r = 0;
        for (int round = 0; round < 3; round++) {
                struct vol_holder *h = NULL;
                size_t n = 0, first = rep->n_holders, nv = 0;
                r = vol_find_holders(proc_fd, dev, self, flags | VOL_FIND_PIDFD, &h, &n);
                if (r < 0)
                        return set_reason(&rep->reason, "cannot list the processes using %s: %s", target, strerror(-r)),
                               r;
                /* ones already listed that hold it again are not signalled twice */
                struct victim *v = calloc(n ? n : 1, sizeof *v);
                if (!v) {
                        vol_holders_free(h, n);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < n; i++) {
                        if (lists(rep->holders, rep->n_holders, h[i].pid))
                                continue;
                        struct vol_holder *nh = realloc(rep->holders, (rep->n_holders + 1) * sizeof *nh);
                        if (!nh) {
                                r = -ENOMEM;
                                break;
                        }
                        rep->holders = nh;
                        nh[rep->n_holders] = h[i];
                        nh[rep->n_holders].pidfd = -1; /* the report holds no fds */
                        if (!h[i].spared) {
                                v[nv++] = (struct victim) { .idx = rep->n_holders, .pidfd = h[i].pidfd };
                                h[i].pidfd = -1; /* the victim's now */
                        }
                        rep->n_holders++;
                }
                vol_holders_free(h, n);
                if (r == 0 && nv > 0) {
                        signal_victims(v, nv, SIGTERM);
                        r = wait_victims(proc_fd, dev, self, flags, rep, v, nv, VOL_ENDED_TERM,
                                         now(CLOCK_MONOTONIC) + stop_timeout, sleep_fn);
                        if (r > 0) {
                                signal_victims(v, nv, SIGKILL);
                                /* The kernel needs a moment to release a killed process's files;
                                 * a process that ignores KILL is stuck in the kernel (D state). */
                                r = wait_victims(proc_fd, dev, self, flags, rep, v, nv, VOL_ENDED_KILL,
                                                 now(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC, sleep_fn);
                        }
                }
                for (size_t i = 0; i < nv; i++)
                        safe_close(v[i].pidfd);
                free(v);
                if (r < 0)
                        return set_reason(&rep->reason, "cannot list the processes using %s: %s", target, strerror(-r)),
                               r;
                if (r > 0)
                        return set_reason(&rep->reason, "%d process(es) still hold %s after SIGKILL", r, target),
                               -EBUSY;
                if (rep->n_holders == first)
                        break;
        }
        for (size_t i = 0; i < rep->n_holders; i++)
                if (rep->holders[i].spared)
                        return set_reason(&rep->reason, "PID %d (%s) holds %s and is never signalled",
                                          rep->holders[i].pid, rep->holders[i].comm, target),
                               -EBUSY;
        return 0;
}

/* Waits up to deadline until d can be opened exclusively. Returns 0, -EBUSY, or -errno. */
static int wait_exclusive(const struct vol_device *d, usec_t deadline, int (*sleep_fn)(usec_t)) {
        for (;;) {
                int r = vol_device_exclusive(d);
                if (r != -EBUSY || now(CLOCK_MONOTONIC) >= deadline)
                        return r;
                sleep_fn(100 * USEC_PER_MSEC);
        }
}

int vol_umount(int proc_fd, const char *target, const struct vol_device *d, usec_t stop_timeout,
               int (*sleep_fn)(usec_t), struct vol_umount_report *ret) {
        struct vol_umount_report rep = {};
        struct vol_mount_match m;
        _cleanup_free_ char *where = NULL;
        pid_t self = getpid();
        struct stat st;
        int r;

        if (proc_fd < 0 || !target || !d || !d->devname || !sleep_fn || !ret)
                return -EINVAL;
        r = vol_mount_state(proc_fd, d->devno, target, &m, &where);
        if (r < 0) {
                set_reason(&rep.reason, "cannot read the mount table: %s", strerror(-r));
                goto out;
        }
        if (m.state == VOL_MOUNT_ELSEWHERE) {
                set_reason(&rep.reason, "the device is mounted at %s, not at %s; leaving it alone", where, target);
                r = -EBUSY;
                goto out;
        }
        if (m.state == VOL_MOUNT_OTHER) {
                set_reason(&rep.reason, "%s is mounted on %s, not the volume's device; leaving it alone",
                           where ? where : "another filesystem", target);
                r = -EEXIST;
                goto out;
        }
        if (m.state == VOL_MOUNT_OK) {
                if (lstat(target, &st) < 0 || st.st_dev != d->devno) {
                        set_reason(&rep.reason, "%s is mounted at %s, but another mount covers it there (the mount "
                                   "point is shadowed); unmount what covers it first", d->devname, target);
                        r = -EBUSY;
                        goto out;
                }
                /* 1. sync */
                {
                        _cleanup_close_ int fd = open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0 || syncfs(fd) < 0) {
                                r = -errno;
                                set_reason(&rep.reason, "syncfs %s: %s", target, strerror(-r));
                                goto out;
                        }
                }
                /* 2. holders, in any mount namespace, through their files */
                r = end_holders(proc_fd, target, d->devno, self, 0, stop_timeout, sleep_fn, &rep);
                if (r < 0)
                        goto out;
                /* 3. unmount */
                r = do_umount(target, &rep.reason);
                if (r < 0)
                        goto out;
                rep.unmounted = true;
        }
        /* 4. Done only when the device can be opened exclusively (I1). A
         * mount namespace that does not receive our unmount (private
         * propagation: unshare -m, a container's rprivate bind mount) keeps
         * the filesystem alive, writable: its processes are holders too.
         * (Not before the unmount: every namespace a service got from
         * systemd has it then, and loses it with our unmount.) */
        r = vol_device_exclusive(d);
        if (r == -EBUSY) {
                r = end_holders(proc_fd, target, d->devno, self, VOL_FIND_NAMESPACES, stop_timeout, sleep_fn, &rep);
                if (r < 0)
                        goto out;
                /* a namespace goes with its last process */
                r = wait_exclusive(d, now(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC, sleep_fn);
                if (r == -EBUSY) {
                        _cleanup_free_ char *why = NULL;
                        bool seen;
                        (void) busy_why(proc_fd, d, &seen, &why);
                        set_reason(&rep.reason, "%s%s", rep.unmounted ? "unmounted, but " : "",
                                   why ? why : "the device is still in use");
                }
        }
        if (r < 0 && r != -EBUSY && !rep.reason)
                set_reason(&rep.reason, "%s: %s", d->devname, strerror(-r));
out:
        *ret = rep;
        return r < 0 ? r : 0;
}

int vol_read_block(const char *devname) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ void *buf = NULL;
        int lbs = 512;

        if (!devname)
                return -EINVAL;
        fd = open(devname, O_RDONLY | O_DIRECT | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (ioctl(fd, BLKSSZGET, &lbs) < 0 || lbs <= 0 || lbs > 65536)
                lbs = 4096;
        int r = posix_memalign(&buf, (size_t) (lbs > 4096 ? lbs : 4096), (size_t) lbs);
        if (r != 0)
                return -r;
        for (;;) {
                ssize_t k = pread(fd, buf, (size_t) lbs, 0);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                return k == lbs ? 0 : -EIO;
        }
}

#define PROBE_SIZE 4096

int vol_write_probe(const char *target) {
        _cleanup_close_ int tfd = -1, dfd = -1, fd = -1;
        _cleanup_free_ void *out = NULL, *in = NULL;
        struct statvfs sv;
        char name[64];
        int r;

        if (!target)
                return -EINVAL;
        tfd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (tfd < 0)
                return -errno;
        if (fstatvfs(tfd, &sv) < 0)
                return -errno;
        if (sv.f_flag & ST_RDONLY)
                return -EROFS;
        if (mkdirat(tfd, VOL_PROBE_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;
        dfd = openat(tfd, VOL_PROBE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
                return -errno;
        if ((r = posix_memalign(&out, 4096, PROBE_SIZE)) != 0 || (r = posix_memalign(&in, 4096, PROBE_SIZE)) != 0)
                return -r;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int hl = snprintf(out, PROBE_SIZE, "tandem monitor probe pid %d at %lld.%09ld\n", (int) getpid(),
                          (long long) ts.tv_sec, ts.tv_nsec);
        for (size_t i = (size_t) hl; i < PROBE_SIZE; i++)
                ((unsigned char *) out)[i] = (unsigned char) (i * 31 + (size_t) ts.tv_nsec);
        snprintf(name, sizeof name, "probe-%d", (int) getpid());
        (void) unlinkat(dfd, name, 0);

        fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        ssize_t k = write(fd, out, PROBE_SIZE);
        if (k != PROBE_SIZE) {
                r = k < 0 ? -errno : -EIO;
                goto cleanup;
        }
        if (fsync(fd) < 0) {
                r = -errno;
                goto cleanup;
        }
        safe_close(TAKE_FD(fd));
        /* Read it back past the page cache where the filesystem allows it. */
        fd = openat(dfd, name, O_RDONLY | O_DIRECT | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == EINVAL)
                fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                goto cleanup;
        }
        k = pread(fd, in, PROBE_SIZE, 0);
        if (k < 0 && errno == EINVAL) {
                safe_close(TAKE_FD(fd));
                fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                k = fd < 0 ? -1 : pread(fd, in, PROBE_SIZE, 0);
        }
        if (k < 0)
                r = -errno;
        else
                r = k == PROBE_SIZE && memcmp(in, out, PROBE_SIZE) == 0 ? 0 : -EIO;
cleanup:
        if (unlinkat(dfd, name, 0) < 0 && r == 0)
                r = -errno;
        (void) fsync(dfd);
        (void) unlinkat(tfd, VOL_PROBE_DIR, AT_REMOVEDIR);
        return r;
}
