/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The blkpr transport: the kernel's persistent-reservation ioctls
 * (IOC_PR_*, <linux/pr.h>) on a block device with pr_ops, above all a
 * dm-multipath map, which passes a registration to every path (every I_T
 * nexus) and a reservation to one of them.
 *
 * The ops table is SCSI-shaped, so exec() takes the codec's PR OUT CDB and
 * parameter list apart and makes the matching ioctl. What the ioctls cannot
 * carry is refused (-EOPNOTSUPP): ALL_TG_PT, SPEC_I_PT, a scope other than
 * LU, REGISTER AND MOVE. Two things the kernel decides for us:
 *   - sd sets APTPL in every REGISTER it sends, whatever was asked;
 *   - the command timeout and retries are the kernel's (sd: 30 s, 5
 *     retries), not d->timeout.
 * An ioctl returns no sense data: a CHECK CONDITION comes back as status
 * 0x02 with nothing to classify it by (the kernel logs the sense); see
 * blkpr_pr_out() for what that means for UNIT ATTENTIONs.
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
#include "tandem/transport.h"
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
};

static uint64_t get_be64(const uint8_t *p) {
        uint64_t v = 0;
        for (int i = 0; i < 8; i++)
                v = v << 8 | p[i];
        return v;
}

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

/* Makes one PR ioctl and puts its outcome in *reply. Returns 0 when the
 * device answered, or -errno. A positive return is what the device said:
 * the SCSI result (SAM status in bits 0-7, host byte in 16-23), or on
 * newer kernels a PR_STS_* code laid out the same way. */
static int pr_ioctl(int fd, unsigned long req, void *arg, struct scsi_reply *reply) {
        int r = ioctl(fd, req, arg);
        if (r < 0)
                return -errno;
        /* The host byte (DID_*) comes in bits 16-23 of a positive result. */
        int e = scsi_host_byte_errno((unsigned) (r >> 16) & 0xff);
        if (e < 0)
                return e;
        if (r != 0 && (r & 0xff) == 0)
                return -EIO;    /* neither GOOD nor a SCSI status */
        reply->status = (uint8_t) (r & 0xff);
        return 0;
}

/* PR OUT, as the ioctl that does the same. */
static int blkpr_pr_out_once(struct blkpr *b, const struct scsi_cmd *c, struct scsi_reply *reply) {
        if (c->cdb_len < PR_CDB_LEN || c->dir != SCSI_DIR_OUT || !c->buf || c->len < PR_OUT_PARAM_LEN)
                return -EINVAL;
        uint32_t plen = (uint32_t) c->cdb[5] << 24 | (uint32_t) c->cdb[6] << 16 | (uint32_t) c->cdb[7] << 8 | c->cdb[8];
        if (plen != PR_OUT_PARAM_LEN)
                return -EOPNOTSUPP;     /* only the basic parameter list */
        uint8_t sa = c->cdb[1] & 0x1f, scope = c->cdb[2] >> 4, type = c->cdb[2] & 0x0f;
        uint64_t key = get_be64(c->buf), sa_key = get_be64(c->buf + 8);
        uint8_t flags = c->buf[20];
        uint32_t ltype = type_to_linux(type);
        int r;

        if (scope != 0)
                return -EOPNOTSUPP;     /* the ioctls know only LU scope */
        /* APTPL passes: sd sets it on every REGISTER anyway. ALL_TG_PT and
         * SPEC_I_PT cannot be said through the ioctls. */
        if (flags & ~PR_FLAG_APTPL)
                return -EOPNOTSUPP;

        switch (sa) {
        case PR_OUT_REGISTER:
        case PR_OUT_REGISTER_AND_IGNORE: {
                struct pr_registration reg = {
                        .old_key = sa == PR_OUT_REGISTER ? key : 0,
                        .new_key = sa_key,
                        .flags = sa == PR_OUT_REGISTER_AND_IGNORE ? PR_FL_IGNORE_KEY : 0,
                };
                r = pr_ioctl(b->fd, IOC_PR_REGISTER, &reg, reply);
                break;
        }
        case PR_OUT_RESERVE:
        case PR_OUT_RELEASE: {
                if (ltype == 0)
                        return -EINVAL;
                struct pr_reservation rsv = { .key = key, .type = ltype };
                r = pr_ioctl(b->fd, sa == PR_OUT_RESERVE ? IOC_PR_RESERVE : IOC_PR_RELEASE, &rsv, reply);
                break;
        }
        case PR_OUT_PREEMPT:
        case PR_OUT_PREEMPT_AND_ABORT: {
                if (ltype == 0)
                        return -EINVAL;
                struct pr_preempt p = { .old_key = key, .new_key = sa_key, .type = ltype };
                r = pr_ioctl(b->fd, sa == PR_OUT_PREEMPT ? IOC_PR_PREEMPT : IOC_PR_PREEMPT_ABORT, &p, reply);
                break;
        }
        case PR_OUT_CLEAR: {
                struct pr_clear cl = { .key = key };
                r = pr_ioctl(b->fd, IOC_PR_CLEAR, &cl, reply);
                break;
        }
        default:
                return -EOPNOTSUPP;     /* REGISTER AND MOVE, REPLACE LOST RESERVATION */
        }
        if (r == 0 && reply->status == SAM_STAT_GOOD)
                reply->transferred = c->len;
        return r;
}

/* A CHECK CONDITION from a PR ioctl comes without its sense, so a UNIT
 * ATTENTION cannot be told from anything else, and pr_dev_exec() cannot
 * retry it. Yet through a map it is common: dm sends RELEASE to every path,
 * and the target has just queued RESERVATIONS RELEASED (2A/04) for the
 * other paths' nexuses, so the RELEASE on the second path meets that UNIT
 * ATTENTION (seen with LIO on 6.1); after a peer's PREEMPT our paths hold
 * 2A/03 and a REGISTER on them fails the same way (and dm then unregisters
 * every path). A command answered with CHECK CONDITION was not carried out
 * on that path, and each PR OUT the ioctls do may be repeated (REGISTER AND
 * IGNORE, RESERVE, RELEASE, CLEAR; dm stops a PREEMPT at the first path
 * that takes it), and a UNIT ATTENTION is reported once per nexus. So
 * repeat it, as many times as pr_dev_exec() would for a UNIT ATTENTION; a
 * CHECK CONDITION that outlasts that is returned as it is. */
static int blkpr_pr_out(struct pr_dev *d, const struct scsi_cmd *c, struct scsi_reply *reply) {
        for (unsigned attempt = 0;; attempt++) {
                int r = blkpr_pr_out_once(d->priv, c, reply);
                if (r < 0 || reply->status != SAM_STAT_CHECK_CONDITION || attempt >= d->ua_retries)
                        return r;
                *reply = (struct scsi_reply) {};
        }
}

#if defined(IOC_PR_READ_KEYS) && defined(IOC_PR_READ_RESERVATION)
static void put_be32(uint8_t *p, uint32_t v) {
        for (int i = 3; i >= 0; i--, v >>= 8)
                p[i] = (uint8_t) v;
}

static void put_be64(uint8_t *p, uint64_t v) {
        for (int i = 7; i >= 0; i--, v >>= 8)
                p[i] = (uint8_t) v;
}

/* The kernel's enum pr_type back to the SPC-4 TYPE code; 0 when unknown. */
static uint8_t type_from_linux(uint32_t t) {
        if (t == 0)
                return 0;
        for (uint8_t s = 1; s < _PR_TYPE_MAX; s++)
                if (type_to_linux(s) == t)
                        return s;
        return 0;
}

/* READ KEYS and READ RESERVATION through the read ioctls, answered as the
 * device would (SPC-4 6.16.2, 6.16.3). Returns -ENOTTY when the running
 * kernel does not know them (built against newer headers). */
static int blkpr_pr_in(struct blkpr *b, const struct scsi_cmd *c, struct scsi_reply *reply) {
        uint8_t sa = c->cdb[1] & 0x1f;
        int r;

        if (sa == PR_IN_READ_KEYS) {
                if (c->len < 8)
                        return -EINVAL;
                uint32_t cap = (uint32_t) ((c->len - 8) / 8);
                _cleanup_free_ uint64_t *keys = calloc(cap ? cap : 1, sizeof *keys);
                if (!keys)
                        return -ENOMEM;
                struct pr_read_keys rk = { .num_keys = cap, .keys_ptr = (uintptr_t) keys };
                r = pr_ioctl(b->fd, IOC_PR_READ_KEYS, &rk, reply);
                if (r < 0 || reply->status != SAM_STAT_GOOD)
                        return r;
                uint32_t n = rk.num_keys < cap ? rk.num_keys : cap;
                put_be32(c->buf, rk.generation);
                put_be32(c->buf + 4, rk.num_keys * 8);
                for (uint32_t i = 0; i < n; i++)
                        put_be64(c->buf + 8 + 8 * i, keys[i]);
                reply->transferred = 8 + (size_t) n * 8;
                return 0;
        }
        /* PR_IN_READ_RESERVATION */
        if (c->len < 24)
                return -EINVAL;
        struct pr_read_reservation rr = {};
        r = pr_ioctl(b->fd, IOC_PR_READ_RESERVATION, &rr, reply);
        if (r < 0 || reply->status != SAM_STAT_GOOD)
                return r;
        memset(c->buf, 0, 24);
        put_be32(c->buf, rr.generation);
        if (rr.key == 0) {
                reply->transferred = 8;
                return 0;
        }
        put_be32(c->buf + 4, 16);
        put_be64(c->buf + 8, rr.key);
        c->buf[21] = type_from_linux(rr.type);  /* scope 0: LU */
        reply->transferred = 24;
        return 0;
}
#endif

static int blkpr_exec(struct pr_dev *d, const struct scsi_cmd *c, struct scsi_reply *reply) {
        struct blkpr *b = d->priv;

        if (c->cdb_len == 0)
                return -EINVAL;
        if (c->cdb[0] == PR_OUT_OPCODE)
                return blkpr_pr_out(d, c, reply);
#if defined(IOC_PR_READ_KEYS) && defined(IOC_PR_READ_RESERVATION)
        if (c->cdb[0] == PR_IN_OPCODE && c->cdb_len >= PR_CDB_LEN && c->dir == SCSI_DIR_IN && c->buf &&
            ((c->cdb[1] & 0x1f) == PR_IN_READ_KEYS || (c->cdb[1] & 0x1f) == PR_IN_READ_RESERVATION)) {
                struct scsi_reply rep = {};
                int r = blkpr_pr_in(b, c, &rep);
                /* A kernel older than the headers: read through the path. */
                if (r != -ENOTTY && r != -EOPNOTSUPP && r != -EINVAL) {
                        *reply = rep;
                        return r;
                }
        }
#endif
        /* PR IN, INQUIRY and the rest: SG_IO on the path. */
        return b->path->ops->exec(b->path, c, reply);
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
        .exec = blkpr_exec,
        .close = blkpr_close,
};

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void strv_free(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
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
                        strv_free(v, n);
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
        strv_free(slaves, n);
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
        d = calloc(1, sizeof *d);
        if (!b || !d || !(d->name = strdup(path)) || !(d->identity = strdup(p->identity))) {
                free(b);
                return -ENOMEM;
        }
        b->fd = TAKE_FD(fd);
        b->path = TAKE_PTR(p);
        d->ops = &blkpr_ops;
        d->priv = b;
        d->timeout = a->timeout;
        d->ua_retries = a->ua_retries;
        *ret = TAKE_PTR(d);
        return 0;
}
