/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who holds a filesystem, read through a /proc root directory fd (proc(5)),
 * so tests replay fake trees (tests/fixtures/proc/). Identity only: a link
 * counts when stat() through it lands on the filesystem's st_dev, and a
 * file mapping when its maps device field is the filesystem's device. Path
 * strings are never compared, so a look-alike path (/srv/db2 beside
 * /srv/db) or a bind mount of another filesystem never counts. Every
 * thread is read (task/TID), and a process is read, and later signalled,
 * through its /proc/PID directory fd, opened first: a pidfd. A mount
 * namespace is told by the identity of ns/mnt, and whether it has the
 * filesystem by the device numbers of its mountinfo. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
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

static bool fds_on(int task_fd, dev_t dev) {
        int fd = openat(task_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

static bool maps_on(int task_fd, dev_t dev) {
        _cleanup_free_ char *buf = NULL;
        size_t n;
        bool found = false;
        if (read_all(task_fd, "maps", &buf, &n) < 0)
                return false;
        if (vol_maps_uses_dev(buf, n, major(dev), minor(dev), &found) < 0)
                return false;
        return found;
}

#define MOUNTINFO_BUF (64 * 1024)

/* Reads the mountinfo file name under dir_fd with libmount. */
static int read_mountinfo_at(int dir_fd, const char *name, struct libmnt_table **ret);

/* --- mount namespaces ----------------------------------------------------- */

/* The mount namespaces seen in one scan, each with whether its mountinfo lists the device. */
struct ns_entry {
        dev_t sdev;             /* nsfs: st_dev and st_ino of ns/mnt */
        ino_t ino;
        bool known;             /* its mountinfo was read */
        bool has;               /* ... and lists the device */
        bool ours, init;
        pid_t pid;              /* the process it was read through */
        char comm[17];
        char *where;            /* has: the first mount point there */
};

struct ns_set {
        struct ns_entry *e;
        size_t n;
        dev_t dev;
        struct stat ours, init; /* ns/mnt of self and of PID 1 */
};

static void ns_set_done(struct ns_set *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->e[i].where);
        free(s->e);
        *s = (struct ns_set) {};
}

static int ns_set_init(struct ns_set *s, int proc_fd, dev_t dev) {
        *s = (struct ns_set) { .dev = dev };
        if (fstatat(proc_fd, "self/ns/mnt", &s->ours, 0) < 0)
                return -errno;
        /* PID 1's, where it may be read (a sandbox may deny it; tandem-volume
         * runs in PID 1's namespace anyway, or its mounts would reach nobody) */
        if (fstatat(proc_fd, "1/ns/mnt", &s->init, 0) < 0)
                s->init = s->ours;
        return 0;
}

static void copy_comm(int pid_fd, char comm[static 17]) {
        _cleanup_free_ char *c = NULL;
        size_t cn;
        if (read_all(pid_fd, "comm", &c, &cn) < 0)
                return;
        if (cn > 0 && c[cn - 1] == '\n')
                c[--cn] = '\0';
        strncpy(comm, c, 16);
        comm[16] = '\0';
}

/* The entry of the mount namespace of task task_fd (of process pid_fd),
 * its mountinfo read when it is new; NULL when it cannot be told (ns/mnt
 * or mountinfo unreadable: a process on its way out). */
static struct ns_entry *ns_of(struct ns_set *s, int pid_fd, int task_fd, pid_t pid, int *ret_error) {
        struct stat st;
        struct ns_entry *e = NULL;

        *ret_error = 0;
        if (fstatat(task_fd, "ns/mnt", &st, 0) < 0)
                return NULL;
        for (size_t i = 0; i < s->n && !e; i++)
                if (s->e[i].sdev == st.st_dev && s->e[i].ino == st.st_ino)
                        e = &s->e[i];
        if (!e) {
                struct ns_entry *ne = realloc(s->e, (s->n + 1) * sizeof *ne);
                if (!ne) {
                        *ret_error = -ENOMEM;
                        return NULL;
                }
                s->e = ne;
                e = &s->e[s->n++];
                *e = (struct ns_entry) {
                        .sdev = st.st_dev,
                        .ino = st.st_ino,
                        .ours = st.st_dev == s->ours.st_dev && st.st_ino == s->ours.st_ino,
                        .init = st.st_dev == s->init.st_dev && st.st_ino == s->init.st_ino,
                };
        }
        if (e->known)
                return e;
        struct libmnt_table *tb = NULL;
        if (read_mountinfo_at(task_fd, "mountinfo", &tb) < 0)
                return NULL; /* try the next process of this namespace */
        struct libmnt_fs *fs = mnt_table_find_devno(tb, s->dev, MNT_ITER_FORWARD);
        e->known = true;
        e->has = fs != NULL;
        e->pid = pid;
        copy_comm(pid_fd, e->comm);
        if (fs && !(e->where = strdup(mnt_fs_get_target(fs) ? mnt_fs_get_target(fs) : "?")))
                *ret_error = -ENOMEM;
        mnt_unref_table(tb);
        return e;
}

/* --- processes ------------------------------------------------------------ */

/* What one task (<proc>/PID/task/TID, or <proc>/PID) holds; skip: reasons
 * already known for its process, or tables already read. */
static unsigned task_holds(int task_fd, dev_t dev, unsigned skip) {
        unsigned why = 0;
        if (link_on(task_fd, "cwd", dev))
                why |= VOL_HELD_CWD;
        if (link_on(task_fd, "root", dev))
                why |= VOL_HELD_ROOT;
        if (link_on(task_fd, "exe", dev))
                why |= VOL_HELD_EXE;
        if (!(skip & VOL_HELD_FD) && fds_on(task_fd, dev))
                why |= VOL_HELD_FD;
        if (!(skip & VOL_HELD_MAP) && maps_on(task_fd, dev))
                why |= VOL_HELD_MAP;
        return why;
}

#define SHARED_MAX 8

/* Threads share their fd table and memory map unless they unshared them:
 * on a real /proc, kcmp(2) tells, so a process with a thousand threads is
 * read once, not a thousand times. Elsewhere (a fake tree) every task is read. */
static bool shares(const pid_t *done, size_t n, pid_t tid, int type) {
        for (size_t i = 0; i < n; i++)
                if (syscall(SYS_kcmp, done[i], tid, type, 0, 0) == 0)
                        return true;
        return false;
}

/* What process pid_fd holds, over all its threads: a process whose main
 * thread has exited shows nothing in <proc>/PID/fd while another thread
 * still has files open. */
static int process_holds(int pid_fd, pid_t pid, dev_t dev, bool real_proc, struct ns_set *ns, unsigned *ret) {
        pid_t files[SHARED_MAX], vm[SHARED_MAX];
        size_t n_files = 0, n_vm = 0;
        unsigned why = 0;
        struct dirent *de;
        int r = 0;

        int tfd = openat(pid_fd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0) {
                /* no task/: read the process directory itself */
                why = task_holds(pid_fd, dev, 0);
                if (ns) {
                        struct ns_entry *e = ns_of(ns, pid_fd, pid_fd, pid, &r);
                        if (e && e->has && !e->ours && !e->init)
                                why |= VOL_HELD_NS;
                }
                *ret = why;
                return r;
        }
        DIR *d = fdopendir(tfd);
        if (!d) {
                safe_close(tfd);
                return -ENOMEM;
        }
        while (r == 0 && (de = readdir(d))) {
                pid_t tid;
                if (vol_parse_pid(de->d_name, &tid) < 0)
                        continue;
                _cleanup_close_ int t = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (t < 0)
                        continue; /* that thread is gone */
                unsigned skip = why & (VOL_HELD_FD | VOL_HELD_MAP);
                if (real_proc && !(skip & VOL_HELD_FD) && shares(files, n_files, tid, KCMP_FILES))
                        skip |= VOL_HELD_FD;
                if (real_proc && !(skip & VOL_HELD_MAP) && shares(vm, n_vm, tid, KCMP_VM))
                        skip |= VOL_HELD_MAP;
                why |= task_holds(t, dev, skip);
                if (!(skip & VOL_HELD_FD) && n_files < SHARED_MAX)
                        files[n_files++] = tid;
                if (!(skip & VOL_HELD_MAP) && n_vm < SHARED_MAX)
                        vm[n_vm++] = tid;
                if (ns && !(why & VOL_HELD_NS)) {
                        struct ns_entry *e = ns_of(ns, pid_fd, t, pid, &r);
                        if (e && e->has && !e->ours && !e->init)
                                why |= VOL_HELD_NS;
                }
        }
        closedir(d);
        *ret = why;
        return r;
}

static int cmp_holder(const void *a, const void *b) {
        const struct vol_holder *x = a, *y = b;
        return (x->pid > y->pid) - (x->pid < y->pid);
}

void vol_holders_free(struct vol_holder *h, size_t n) {
        for (size_t i = 0; h && i < n; i++)
                safe_close(h[i].pidfd);
        free(h);
}

static bool is_real_proc(int proc_fd) {
        struct statfs sf;
        return fstatfs(proc_fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

/* Calls fn for every PID directory under proc_fd, opened: the directory
 * fd is the process's pidfd from then on, so whatever is read through it
 * and signalled through it is that process, never one that took its PID
 * over. fn returns <0 to stop. */
static int each_pid(int proc_fd, int (*fn)(int pid_fd, pid_t pid, void *userdata), void *userdata) {
        struct dirent *de;
        int r = 0;
        int fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                r = -errno;
                safe_close(fd);
                return r;
        }
        while (r == 0 && (errno = 0, de = readdir(d))) {
                pid_t pid;
                if (vol_parse_pid(de->d_name, &pid) < 0)
                        continue;
                int pid_fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (pid_fd < 0)
                        continue; /* gone already */
                r = fn(pid_fd, pid, userdata); /* takes pid_fd */
        }
        if (r == 0 && errno != 0)
                r = -errno;
        closedir(d);
        return r;
}

struct holders_scan {
        dev_t dev;
        pid_t self;
        unsigned flags;
        bool real_proc;
        struct ns_set *ns;
        struct vol_holder *h;
        size_t n;
};

static int scan_one(int pid_fd, pid_t pid, void *userdata) {
        _cleanup_close_ int fd = pid_fd;
        struct holders_scan *sc = userdata;
        unsigned why = 0;
        int r = process_holds(fd, pid, sc->dev, sc->real_proc, sc->ns, &why);
        if (r < 0)
                return r;
        if (!why)
                return 0;
        struct vol_holder *nh = realloc(sc->h, (sc->n + 1) * sizeof *nh);
        if (!nh)
                return -ENOMEM;
        sc->h = nh;
        struct vol_holder *x = &sc->h[sc->n++];
        *x = (struct vol_holder) { .pid = pid, .why = why, .spared = pid == 1 || pid == sc->self, .pidfd = -1 };
        copy_comm(fd, x->comm);
        if (sc->flags & VOL_FIND_PIDFD)
                x->pidfd = TAKE_FD(fd);
        return 0;
}

int vol_find_holders(int proc_fd, dev_t dev, pid_t self, unsigned flags, struct vol_holder **ret, size_t *ret_n) {
        struct ns_set ns = {};
        int r;

        if (proc_fd < 0 || !ret || !ret_n)
                return -EINVAL;
        struct holders_scan sc = { .dev = dev, .self = self, .flags = flags, .real_proc = is_real_proc(proc_fd) };
        if (flags & VOL_FIND_NAMESPACES) {
                r = ns_set_init(&ns, proc_fd, dev);
                if (r < 0)
                        return r;
                sc.ns = &ns;
        }
        r = each_pid(proc_fd, scan_one, &sc);
        ns_set_done(&ns);
        if (r < 0) {
                vol_holders_free(sc.h, sc.n);
                return r;
        }
        if (sc.n > 1)
                qsort(sc.h, sc.n, sizeof *sc.h, cmp_holder);
        *ret = sc.h;
        *ret_n = sc.n;
        return 0;
}

static int ns_one(int pid_fd, pid_t pid, void *userdata) {
        _cleanup_close_ int fd = pid_fd;
        struct ns_set *ns = userdata;
        int r = 0;
        _cleanup_close_ int tfd = openat(fd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0) {
                (void) ns_of(ns, fd, fd, pid, &r);
                return r;
        }
        DIR *d = fdopendir(tfd);
        if (!d)
                return -ENOMEM;
        tfd = -1;
        struct dirent *de;
        while (r == 0 && (de = readdir(d))) {
                pid_t tid;
                if (vol_parse_pid(de->d_name, &tid) < 0)
                        continue;
                _cleanup_close_ int t = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (t >= 0)
                        (void) ns_of(ns, fd, t, pid, &r);
        }
        closedir(d);
        return r;
}

void vol_ns_mounts_free(struct vol_ns_mount *m, size_t n) {
        for (size_t i = 0; m && i < n; i++)
                free(m[i].where);
        free(m);
}

int vol_find_ns_mounts(int proc_fd, dev_t dev, struct vol_ns_mount **ret, size_t *ret_n) {
        struct ns_set ns;
        struct vol_ns_mount *m = NULL;
        size_t n = 0;

        if (proc_fd < 0 || !ret || !ret_n)
                return -EINVAL;
        int r = ns_set_init(&ns, proc_fd, dev);
        if (r < 0)
                return r;
        r = each_pid(proc_fd, ns_one, &ns);
        for (size_t i = 0; r == 0 && i < ns.n; i++) {
                struct ns_entry *e = &ns.e[i];
                if (!e->has)
                        continue;
                struct vol_ns_mount *nm = realloc(m, (n + 1) * sizeof *nm);
                if (!nm) {
                        r = -ENOMEM;
                        break;
                }
                m = nm;
                m[n] = (struct vol_ns_mount) { .pid = e->pid, .where = TAKE_PTR(e->where), .ours = e->ours,
                                               .init = e->init };
                memcpy(m[n].comm, e->comm, sizeof m[n].comm);
                n++;
        }
        ns_set_done(&ns);
        if (r < 0) {
                vol_ns_mounts_free(m, n);
                return r;
        }
        *ret = m;
        *ret_n = n;
        return 0;
}

static int read_mountinfo_at(int dir_fd, const char *name, struct libmnt_table **ret) {
        int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
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

int vol_read_mounts(int proc_fd, struct libmnt_table **ret) {
        return read_mountinfo_at(proc_fd, "self/mountinfo", ret);
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
