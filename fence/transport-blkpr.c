/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The blkpr transport: the kernel's persistent-reservation ioctls
 * (IOC_PR_*, <linux/pr.h>) on a block device with pr_ops, above all a
 * dm-multipath map, which passes a registration to every path (every I_T
 * nexus) and a reservation to one of them.
 *
 * It implements the operations directly, each as the matching ioctl. What
 * the ioctls cannot carry is refused (-EOPNOTSUPP): a flag other than
 * APTPL. Two things the kernel decides for us:
 *   - sd sets APTPL in every REGISTER it sends, whatever was asked;
 *   - the command timeout and retries are the kernel's (sd: 30 s, 5
 *     retries), not d->timeout.
 * An ioctl returns no sense data: a CHECK CONDITION comes back as status
 * 0x02 with nothing to classify it by (the kernel logs the sense); see
 * blkpr_out() for what that means for UNIT ATTENTIONs.
 *
 * PR IN and INQUIRY go through SG_IO on one path of the map (the first in
 * /sys/block/dm-N/slaves/, sorted, that takes SG_IO), opened with the sg
 * transport. Where <linux/pr.h> has IOC_PR_READ_KEYS and
 * IOC_PR_READ_RESERVATION, those answer READ KEYS and READ RESERVATION
 * instead, unless the running kernel turns them down.
 *
 * Everything is opened read-only: opening a disk read-write makes udev
 * rescan its partitions on close (a known fence_scsi bug). As root
 * (CAP_SYS_ADMIN) the kernel accepts the PR ioctls on a read-only fd. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* <linux/pr.h> names an enum pr_type and a struct pr_reservation (and, in
 * newer kernels, an enum pr_status), as tandem's headers do. Here tandem's
 * go under other names, so that IOC_PR_RESERVE and IOC_PR_RELEASE, which
 * say sizeof(struct pr_reservation), mean the kernel's struct. This file
 * uses tandem's three only through the PR_TYPE_* values. */
#define pr_type tandem_pr_type
#define pr_reservation tandem_pr_reservation
#define pr_status tandem_pr_status
#include "tandem/scsi-exec.h"
#include "tandem/util.h"
#undef pr_type
#undef pr_reservation
#undef pr_status

#include <linux/pr.h>

_Static_assert(sizeof(struct pr_reservation) == 16 && _IOC_SIZE(IOC_PR_RESERVE) == 16 &&
                       _IOC_SIZE(IOC_PR_RELEASE) == 16,
               "IOC_PR_RESERVE must carry the kernel's struct pr_reservation");

#define SLAVES_DEPTH_MAX 8      /* dm over dm over ... */

struct blkpr {
        int fd;                 /* the device the ioctls go to */
        struct pr_dev *path;    /* sg on one path: PR IN, INQUIRY */
        bool no_read_ioctls;    /* the running kernel lacks IOC_PR_READ_* */
};

/* SPC-4 TYPE code to the kernel's enum pr_type; 0 when it has none. */
static uint32_t type_to_linux(uint8_t t) {
        switch (t) {
        case PR_TYPE_WRITE_EXCLUSIVE:
                return PR_WRITE_EXCLUSIVE;
        case PR_TYPE_EXCLUSIVE_ACCESS:
                return PR_EXCLUSIVE_ACCESS;
        case PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY:
                return PR_WRITE_EXCLUSIVE_REG_ONLY;
        case PR_TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY:
                return PR_EXCLUSIVE_ACCESS_REG_ONLY;
        case PR_TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS:
                return PR_WRITE_EXCLUSIVE_ALL_REGS;
        case PR_TYPE_EXCLUSIVE_ACCESS_ALL_REGISTRANTS:
                return PR_EXCLUSIVE_ACCESS_ALL_REGS;
        default:
                return 0;
        }
}

/* Makes one PR ioctl. Returns 0 when the device answered (its SCSI status
 * in *ret_status), or -errno. A positive ioctl return is what the device
 * said: the SCSI result (SAM status in bits 0-7, host byte in 16-23), or
 * on newer kernels a PR_STS_* code laid out the same way. */
static int pr_ioctl(int fd, unsigned long req, void *arg, uint8_t *ret_status) {
        int r = ioctl(fd, req, arg);
        if (r < 0)
                return -errno;
        /* The host byte (DID_*) comes in bits 16-23 of a positive result. */
        int e = scsi_host_byte_errno((unsigned) (r >> 16) & 0xff);
        if (e < 0)
                return e;
        if (r != 0 && (r & 0xff) == 0)
                return -EIO;    /* neither GOOD nor a SCSI status */
        *ret_status = (uint8_t) (r & 0xff);
        return 0;
}

/* One PR OUT ioctl, with its outcome in *st.
 *
 * A CHECK CONDITION from a PR ioctl comes without its sense, so a UNIT
 * ATTENTION cannot be told from anything else. Yet through a map it is
 * common: dm sends RELEASE to every path, and the target has just queued
 * RESERVATIONS RELEASED (2A/04) for the other paths' nexuses, so the
 * RELEASE on the second path meets that UNIT ATTENTION (seen with LIO on
 * 6.1); after a peer's PREEMPT our paths hold 2A/03 and a REGISTER on them
 * fails the same way (and dm then unregisters every path). A command
 * answered with CHECK CONDITION was not carried out on that path, and each
 * PR OUT the ioctls do may be repeated (REGISTER AND IGNORE, RESERVE,
 * RELEASE, CLEAR; dm stops a PREEMPT at the first path that takes it), and
 * a UNIT ATTENTION is reported once per nexus. So repeat it, as many times
 * as the SCSI adapter would for a UNIT ATTENTION; a CHECK CONDITION that
 * outlasts that is returned as it is. */
static int blkpr_out(struct pr_dev *d, unsigned long req, void *arg, struct tandem_pr_status *st) {
        struct blkpr *b = d->priv;
        struct tandem_pr_status s = {};
        int r;

        for (unsigned attempt = 0;; attempt++) {
                uint8_t status = 0;
                r = pr_ioctl(b->fd, req, arg, &status);
                if (r < 0) {
                        s.outcome = PR_OUTCOME_OTHER;
                        break;
                }
                s.status = status;
                s.outcome = pr_classify(status, NULL, 0);
                r = pr_outcome_errno(s.outcome);
                if (status != SAM_STAT_CHECK_CONDITION || attempt >= d->ua_retries)
                        break;
                s.unit_attentions++;
        }
        if (st)
                *st = s;
        return r;
}

static int blkpr_register(struct pr_dev *d, uint64_t old_key, uint64_t new_key, bool ignore_existing,
                          unsigned flags, struct tandem_pr_status *st) {
        /* APTPL passes: sd sets it on every REGISTER anyway. ALL_TG_PT and
         * SPEC_I_PT cannot be said through the ioctls. */
        if (flags & ~PR_FLAG_APTPL)
                return -EOPNOTSUPP;
        struct pr_registration reg = {
                .old_key = ignore_existing ? 0 : old_key,
                .new_key = new_key,
                .flags = ignore_existing ? PR_FL_IGNORE_KEY : 0,
        };
        return blkpr_out(d, IOC_PR_REGISTER, &reg, st);
}

static int blkpr_reserve(struct pr_dev *d, uint64_t key, enum tandem_pr_type type, struct tandem_pr_status *st) {
        struct pr_reservation rsv = { .key = key, .type = type_to_linux((uint8_t) type) };
        if (rsv.type == 0)
                return -EINVAL;
        return blkpr_out(d, IOC_PR_RESERVE, &rsv, st);
}

static int blkpr_release(struct pr_dev *d, uint64_t key, enum tandem_pr_type type, struct tandem_pr_status *st) {
        struct pr_reservation rsv = { .key = key, .type = type_to_linux((uint8_t) type) };
        if (rsv.type == 0)
                return -EINVAL;
        return blkpr_out(d, IOC_PR_RELEASE, &rsv, st);
}

static int blkpr_preempt(struct pr_dev *d, uint64_t key, uint64_t victim, enum tandem_pr_type type, bool abort,
                         struct tandem_pr_status *st) {
        struct pr_preempt p = { .old_key = key, .new_key = victim, .type = type_to_linux((uint8_t) type) };
        if (p.type == 0)
                return -EINVAL;
        return blkpr_out(d, abort ? IOC_PR_PREEMPT_ABORT : IOC_PR_PREEMPT, &p, st);
}

static int blkpr_clear(struct pr_dev *d, uint64_t key, struct tandem_pr_status *st) {
        struct pr_clear cl = { .key = key };
        return blkpr_out(d, IOC_PR_CLEAR, &cl, st);
}

#if defined(IOC_PR_READ_KEYS) && defined(IOC_PR_READ_RESERVATION)
/* The kernel's enum pr_type back to the SPC-4 TYPE code; 0 when unknown. */
static uint8_t type_from_linux(uint32_t t) {
        if (t == 0)
                return 0;
        for (uint8_t s = 1; s < _PR_TYPE_MAX; s++)
                if (type_to_linux(s) == t)
                        return s;
        return 0;
}

/* Whether a PR read ioctl's failure means the running kernel lacks it
 * (built against newer headers), so the path must answer instead. */
static bool read_ioctl_missing(int r) {
        return r == -ENOTTY || r == -EOPNOTSUPP || r == -EINVAL;
}

/* READ KEYS through IOC_PR_READ_KEYS (Linux 6.19), asking again with room
 * for every key when the first answer did not fit. */
static int blkpr_read_keys_ioctl(struct pr_dev *d, struct pr_keys *ret, struct tandem_pr_status *st) {
        uint32_t cap = 64;

        for (int pass = 0; pass < 4; pass++) {
                _cleanup_free_ uint64_t *keys = calloc(cap, sizeof *keys);
                if (!keys)
                        return -ENOMEM;
                struct pr_read_keys rk = { .num_keys = cap, .keys_ptr = (uintptr_t) keys };
                int r = blkpr_out(d, IOC_PR_READ_KEYS, &rk, st);
                if (r < 0)
                        return r;
                if (rk.num_keys > cap) {
                        cap = rk.num_keys;
                        continue;
                }
                *ret = (struct pr_keys) { .generation = rk.generation, .n_keys = rk.num_keys,
                                          .n_keys_total = rk.num_keys, .keys = TAKE_PTR(keys) };
                return 0;
        }
        return -EAGAIN; /* the list kept growing */
}

static int blkpr_read_reservation_ioctl(struct pr_dev *d, struct tandem_pr_reservation *ret,
                                        struct tandem_pr_status *st) {
        struct pr_read_reservation rr = {};
        int r = blkpr_out(d, IOC_PR_READ_RESERVATION, &rr, st);
        if (r < 0)
                return r;
        *ret = (struct tandem_pr_reservation) {
                .generation = rr.generation,
                .held = rr.key != 0,
                .key = rr.key,
                .type = type_from_linux(rr.type),
        };
        return 0;
}
#endif

static int blkpr_read_keys(struct pr_dev *d, struct pr_keys *ret, struct tandem_pr_status *st) {
        struct blkpr *b = d->priv;
#if defined(IOC_PR_READ_KEYS) && defined(IOC_PR_READ_RESERVATION)
        if (!b->no_read_ioctls) {
                int r = blkpr_read_keys_ioctl(d, ret, st);
                if (!read_ioctl_missing(r))
                        return r;
                b->no_read_ioctls = true;
        }
#endif
        return pr_read_keys(b->path, ret, st);
}

static int blkpr_read_reservation(struct pr_dev *d, struct tandem_pr_reservation *ret,
                                  struct tandem_pr_status *st) {
        struct blkpr *b = d->priv;
#if defined(IOC_PR_READ_KEYS) && defined(IOC_PR_READ_RESERVATION)
        if (!b->no_read_ioctls) {
                int r = blkpr_read_reservation_ioctl(d, ret, st);
                if (!read_ioctl_missing(r))
                        return r;
                b->no_read_ioctls = true;
        }
#endif
        return pr_read_reservation(b->path, ret, st);
}

static int blkpr_report_capabilities(struct pr_dev *d, struct pr_capabilities *ret, struct tandem_pr_status *st) {
        struct blkpr *b = d->priv;
        return pr_report_capabilities(b->path, ret, st);
}

static int blkpr_identity(struct pr_dev *d, char **ret, struct tandem_pr_status *st) {
        struct blkpr *b = d->priv;
        (void) st;
        char *s = strdup(b->path->identity);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static void blkpr_close(struct pr_dev *d) {
        struct blkpr *b = d->priv;
        if (!b)
                return;
        safe_close(b->fd);
        pr_dev_close(b->path);
        free(b);
}

static const struct pr_dev_ops blkpr_ops = {
        .name = "blkpr",
        .register_key = blkpr_register,
        .reserve = blkpr_reserve,
        .release = blkpr_release,
        .preempt = blkpr_preempt,
        .clear = blkpr_clear,
        .read_keys = blkpr_read_keys,
        .read_reservation = blkpr_read_reservation,
        .report_capabilities = blkpr_report_capabilities,
        .identity = blkpr_identity,
        .close = blkpr_close,
};

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The names in DIR/slaves (relative to sys_fd), sorted. Returns 0 (n may
 * be 0: no slaves, or no slaves directory) or -errno. */
static int list_slaves(int sys_fd, const char *dir, char ***ret, size_t *ret_n) {
        char p[PATH_MAX];
        char **v = NULL;
        size_t n = 0;

        snprintf(p, sizeof p, "%s/slaves", dir);
        int fd = openat(sys_fd, p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        DIR *dh = fdopendir(fd);
        if (!dh) {
                safe_close(fd);
                return -errno;
        }
        struct dirent *de;
        while ((de = readdir(dh))) {
                if (de->d_name[0] == '.')
                        continue;
                char **nv = realloc(v, (n + 1) * sizeof *nv);
                if (!nv || !(nv[n] = strdup(de->d_name))) {
                        if (nv)
                                v = nv;
                        strv_free_n(v, n);
                        closedir(dh);
                        return -ENOMEM;
                }
                v = nv;
                n++;
        }
        closedir(dh);
        if (n > 1)
                qsort(v, n, sizeof *v, cmp_str);
        *ret = v;
        *ret_n = n;
        return 0;
}

/* Reads DIR/dev ("MAJ:MIN") relative to sys_fd. */
static int read_devnum(int sys_fd, const char *dir, dev_t *ret) {
        char p[PATH_MAX];
        unsigned ma, mi;

        snprintf(p, sizeof p, "%s/dev", dir);
        int fd = openat(sys_fd, p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        FILE *f = fdopen(fd, "r");
        if (!f) {
                safe_close(fd);
                return -errno;
        }
        int k = fscanf(f, "%u:%u", &ma, &mi);
        fclose(f);
        if (k != 2)
                return -EBADMSG;
        *ret = makedev(ma, mi);
        return 0;
}

/* Opens the sg transport on the first path under the block device whose
 * sysfs directory is dir (relative to sys_fd), descending through stacked
 * dm devices. top_path is dir's own /dev node when dir is the device the
 * user named, else NULL. Returns 0, -ENOENT when no path takes SG_IO, or
 * -errno. */
static int open_path(int sys_fd, const char *dir, const char *top_path, unsigned depth,
                     const struct pr_open_args *a, struct pr_dev **ret) {
        char **slaves = NULL;
        size_t n = 0;
        int r;

        if (depth > SLAVES_DEPTH_MAX)
                return -ELOOP;
        r = list_slaves(sys_fd, dir, &slaves, &n);
        if (r < 0)
                return r;
        if (n == 0) {
                /* A path itself: a whole disk with SG_IO. */
                char dev[PATH_MAX];
                struct stat st;
                dev_t want = 0;
                const char *name = strrchr(dir, '/');
                if (top_path)
                        return sg_open(top_path, a, ret, NULL);
                r = read_devnum(sys_fd, dir, &want);
                if (r < 0)
                        return r;
                snprintf(dev, sizeof dev, "/dev/%s", name ? name + 1 : dir);
                if (stat(dev, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != want)
                        return -ENOENT; /* no node, or not this device */
                return sg_open(dev, a, ret, NULL);
        }
        r = -ENOENT;
        for (size_t i = 0; i < n; i++) {
                char sub[PATH_MAX];
                snprintf(sub, sizeof sub, "class/block/%s", slaves[i]);
                r = open_path(sys_fd, sub, NULL, depth + 1, a, ret);
                if (r == 0)
                        break;
        }
        strv_free_n(slaves, n);
        return r;
}

int blkpr_open(const char *path, const struct pr_open_args *a, struct pr_dev **ret, char **ret_reason) {
        _cleanup_(pr_dev_closep) struct pr_dev *d = NULL;
        _cleanup_(pr_dev_closep) struct pr_dev *p = NULL;
        _cleanup_close_ int fd = -1, sys_fd = -1;
        struct stat st;
        char dir[64];
        int r;

        if (!path || !a || !ret)
                return -EINVAL;
        fd = pr_node_open(path, false, &st, ret_reason);
        if (fd < 0)
                return fd;
        sys_fd = open("/sys", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sys_fd < 0) {
                r = -errno;
                set_reason(ret_reason, "cannot open /sys");
                return r;
        }
        snprintf(dir, sizeof dir, "dev/block/%u:%u", major(st.st_rdev), minor(st.st_rdev));
        r = open_path(sys_fd, dir, path, 0, a, &p);
        if (r < 0) {
                set_reason(ret_reason, "no path under it takes SCSI commands (SG_IO), so its keys cannot be read");
                return r;
        }

        struct blkpr *b = calloc(1, sizeof *b);
        d = pr_dev_new(&blkpr_ops, path, a);
        if (!b || !d || !(d->identity = strdup(p->identity))) {
                free(b);
                return -ENOMEM;
        }
        b->fd = TAKE_FD(fd);
        b->path = TAKE_PTR(p);
        d->priv = b;
        *ret = TAKE_PTR(d);
        return 0;
}
