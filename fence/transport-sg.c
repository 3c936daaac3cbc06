/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sg transport: SG_IO (the v3 sg_io_hdr interface) on sd and sg nodes,
 * and on /dev/disk/by-* links to them. The device is always opened
 * read-only: opening a disk read-write makes udev rescan its partitions on
 * close, which breaks mounts running at the same moment (a known
 * fence_scsi bug). As root, SG_IO sends PR OUT through a read-only fd. */
#include <errno.h>
#include <fcntl.h>
#include <scsi/sg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tandem/transport.h"
#include "tandem/util.h"

#define DRIVER_TIMEOUT 0x06 /* driver_status (include/scsi/scsi.h) */

struct sgdev {
        int fd;
};

static int sg_exec(struct pr_dev *d, const struct scsi_cmd *c, struct scsi_reply *reply) {
        struct sgdev *s = d->priv;
        uint8_t cdb[16];
        sg_io_hdr_t h = {
                .interface_id = 'S',
                .dxfer_direction = c->dir == SCSI_DIR_IN    ? SG_DXFER_FROM_DEV
                                   : c->dir == SCSI_DIR_OUT ? SG_DXFER_TO_DEV
                                                            : SG_DXFER_NONE,
                .cmd_len = (unsigned char) c->cdb_len,
                .mx_sb_len = sizeof reply->sense,
                .dxfer_len = (unsigned) c->len,
                .dxferp = c->buf,
                .cmdp = cdb,
                .sbp = reply->sense,
                .timeout = (unsigned) (d->timeout / USEC_PER_MSEC),
        };

        memcpy(cdb, c->cdb, c->cdb_len);
        if (ioctl(s->fd, SG_IO, &h) < 0)
                return -errno;
        int r = scsi_host_byte_errno(h.host_status);
        if (r < 0)
                return r;
        if ((h.driver_status & 0x0f) == DRIVER_TIMEOUT)
                return -ETIMEDOUT;
        reply->status = h.status;
        reply->sense_len = h.sb_len_wr;
        reply->transferred = c->len >= (size_t) h.resid && h.resid >= 0 ? c->len - (size_t) h.resid : 0;
        return 0;
}

static void sg_close(struct pr_dev *d) {
        struct sgdev *s = d->priv;
        if (!s)
                return;
        safe_close(s->fd);
        free(s);
}

static const struct pr_dev_ops sg_ops = {
        .name = "sg",
        .exec = sg_exec,
        .close = sg_close,
};

int pr_node_open(const char *path, bool allow_char, struct stat *ret_st, char **ret_reason) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int r = -errno;
                set_reason(ret_reason, "cannot open: %s", strerror(-r));
                return r;
        }
        if (fstat(fd, ret_st) < 0)
                return -errno;
        if (!S_ISBLK(ret_st->st_mode) && !(allow_char && S_ISCHR(ret_st->st_mode))) {
                set_reason(ret_reason, allow_char ? "not a block or SCSI generic device" : "not a block device");
                return -ENOTBLK;
        }
        return TAKE_FD(fd);
}

int sg_open(const char *path, const struct pr_open_args *a, struct pr_dev **ret, char **ret_reason) {
        _cleanup_(pr_dev_closep) struct pr_dev *d = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r, v;

        fd = pr_node_open(path, true, &st, ret_reason);
        if (fd < 0)
                return fd;
        /* SG_GET_VERSION_NUM answers on sd and sg nodes alike. */
        if (ioctl(fd, SG_GET_VERSION_NUM, &v) < 0 || v < 30000) {
                if (ret_reason)
                        *ret_reason = strdup("does not take SCSI commands (no SG_IO)");
                return -ENOTTY;
        }
        struct sgdev *s = calloc(1, sizeof *s);
        d = calloc(1, sizeof *d);
        if (!s || !d || !(d->name = strdup(path))) {
                free(s);
                return -ENOMEM;
        }
        s->fd = TAKE_FD(fd);
        d->ops = &sg_ops;
        d->priv = s;
        d->timeout = a->timeout;
        d->ua_retries = a->ua_retries;

        struct pr_status pst;
        r = pr_read_identity(d, &d->identity, &pst);
        if (r < 0) {
                if (ret_reason)
                        *ret_reason = strdup("cannot read the LU identity (INQUIRY VPD 0x83/0x80)");
                return r;
        }
        *ret = TAKE_PTR(d);
        return 0;
}
