/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The volume's I/O: the mount point, fsck (posix_spawn), mount and unmount
 * through libmount, ending holders, and the monitor probes. No logging:
 * what was done comes back in reports and reasons. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

int vol_mount(const struct vol_device *d, const char *target, const char *fstype, const char *options,
              char **ret_reason) {
        struct libmnt_context *cxt;
        int rc;

        if (!d || !d->devname || !target || !fstype)
                return -EINVAL;
        cxt = mnt_new_context();
        if (!cxt)
                return -ENOMEM;
        if (mnt_context_set_source(cxt, d->devname) < 0 || mnt_context_set_target(cxt, target) < 0 ||
            mnt_context_set_fstype(cxt, fstype) < 0 ||
            mnt_context_set_options(cxt, options && options[0] ? options : "defaults") < 0) {
                mnt_free_context(cxt);
                return -ENOMEM;
        }
        /* Only what we were given: no fstab, no swapping source and target. */
        mnt_context_set_optsmode(cxt, MNT_OMODE_NOTAB);
        mnt_context_disable_swapmatch(cxt, 1);
        rc = mnt_context_mount(cxt);
        if (rc != 0 || mnt_context_get_status(cxt) != 1) {
                int r = excode_errno(cxt, rc, ret_reason);
                mnt_free_context(cxt);
                return r < 0 ? r : -EIO;
        }
        mnt_free_context(cxt);
        return 0;
}

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

void vol_umount_report_done(struct vol_umount_report *r) {
        if (!r)
                return;
        free(r->holders);
        free(r->reason);
        *r = (struct vol_umount_report) {};
}

struct victim {
        size_t idx;     /* into the report's holders */
        int pidfd;      /* -1: could not open (gone) */
};

static bool still_holds(const struct vol_holder *list, size_t n, pid_t pid) {
        for (size_t i = 0; i < n; i++)
                if (list[i].pid == pid)
                        return true;
        return false;
}

/* Adds the holders of a scan that the report does not list yet; returns how many, or -ENOMEM. */
static int merge(struct vol_umount_report *rep, const struct vol_holder *h, size_t n) {
        int added = 0;
        for (size_t i = 0; i < n; i++) {
                if (still_holds(rep->holders, rep->n_holders, h[i].pid))
                        continue;
                struct vol_holder *nh = realloc(rep->holders, (rep->n_holders + 1) * sizeof *nh);
                if (!nh)
                        return -ENOMEM;
                rep->holders = nh;
                rep->holders[rep->n_holders++] = h[i];
                added++;
        }
        return added;
}

/* Sends sig to every victim still holding; TERM and KILL go through pidfds,
 * so a recycled PID is never hit. */
static void signal_victims(struct victim *v, size_t n, int sig) {
        for (size_t i = 0; i < n; i++)
                if (v[i].pidfd >= 0)
                        (void) pidfd_send_signal(v[i].pidfd, sig, NULL, 0);
}

/* Waits until no victim holds the filesystem or deadline passes; marks the ones that let go with how. */
static int wait_victims(int proc_fd, dev_t dev, pid_t self, struct vol_umount_report *rep, struct victim *v,
                        size_t nv, enum vol_ended how, usec_t deadline, int (*sleep_fn)(usec_t)) {
        for (;;) {
                struct vol_holder *cur = NULL;
                size_t n = 0, left = 0;
                int r = vol_find_holders(proc_fd, dev, self, &cur, &n);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < nv; i++) {
                        struct vol_holder *h = &rep->holders[v[i].idx];
                        if (h->ended != VOL_ENDED_NO)
                                continue;
                        if (still_holds(cur, n, h->pid))
                                left++;
                        else
                                h->ended = how;
                }
                free(cur);
                if (left == 0 || now(CLOCK_MONOTONIC) >= deadline)
                        return (int) left;
                sleep_fn(100 * USEC_PER_MSEC);
        }
}

int vol_umount(int proc_fd, const char *target, dev_t dev, usec_t stop_timeout, int (*sleep_fn)(usec_t),
               struct vol_umount_report *ret) {
        struct vol_umount_report rep = {};
        struct vol_mount_match m;
        _cleanup_free_ char *where = NULL;
        pid_t self = getpid();
        int r;

        if (proc_fd < 0 || !target || !sleep_fn || !ret)
                return -EINVAL;
        r = vol_mount_state(proc_fd, dev, target, &m, &where);
        if (r < 0) {
                set_reason(&rep.reason, "cannot read the mount table: %s", strerror(-r));
                goto out;
        }
        if (m.state == VOL_MOUNT_NONE)
                goto out; /* nothing to do (I6) */
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

        /* 1. sync */
        {
                _cleanup_close_ int fd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0 || syncfs(fd) < 0) {
                        r = -errno;
                        set_reason(&rep.reason, "syncfs %s: %s", target, strerror(-r));
                        goto out;
                }
        }

        /* 2. holders: TERM, wait, KILL; a few rounds for ones that appear meanwhile */
        for (int round = 0; round < 3; round++) {
                struct vol_holder *h = NULL;
                size_t n = 0, first = rep.n_holders;
                r = vol_find_holders(proc_fd, dev, self, &h, &n);
                if (r < 0) {
                        set_reason(&rep.reason, "cannot list the processes using %s: %s", target, strerror(-r));
                        goto out;
                }
                r = merge(&rep, h, n);
                if (r < 0) {
                        free(h);
                        goto out;
                }
                /* ones already listed that hold it again are not signalled twice */
                free(h);
                if (rep.n_holders == first)
                        break;
                struct victim *v = calloc(rep.n_holders - first, sizeof *v);
                size_t nv = 0;
                if (!v) {
                        r = -ENOMEM;
                        goto out;
                }
                for (size_t i = first; i < rep.n_holders; i++) {
                        if (rep.holders[i].spared)
                                continue;
                        int fd = pidfd_open(rep.holders[i].pid, 0);
                        if (fd < 0) {
                                rep.holders[i].ended = VOL_ENDED_GONE;
                                continue;
                        }
                        v[nv++] = (struct victim) { .idx = i, .pidfd = fd };
                }
                signal_victims(v, nv, SIGTERM);
                r = wait_victims(proc_fd, dev, self, &rep, v, nv, VOL_ENDED_TERM, now(CLOCK_MONOTONIC) + stop_timeout, sleep_fn);
                if (r > 0) {
                        signal_victims(v, nv, SIGKILL);
                        /* The kernel needs a moment to release a killed process's files;
                         * a process that ignores KILL is stuck in the kernel (D state). */
                        r = wait_victims(proc_fd, dev, self, &rep, v, nv, VOL_ENDED_KILL,
                                         now(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC, sleep_fn);
                }
                for (size_t i = 0; i < nv; i++)
                        safe_close(v[i].pidfd);
                free(v);
                if (r < 0) {
                        set_reason(&rep.reason, "cannot list the processes using %s: %s", target, strerror(-r));
                        goto out;
                }
                if (r > 0) {
                        set_reason(&rep.reason, "%d process(es) still hold %s after SIGKILL", r, target);
                        r = -EBUSY;
                        goto out;
                }
        }
        for (size_t i = 0; i < rep.n_holders; i++)
                if (rep.holders[i].spared) {
                        set_reason(&rep.reason, "PID %d (%s) holds %s and is never signalled", rep.holders[i].pid,
                                   rep.holders[i].comm, target);
                        r = -EBUSY;
                        goto out;
                }

        /* 3. unmount */
        r = do_umount(target, &rep.reason);
        if (r == 0)
                rep.unmounted = true;
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
