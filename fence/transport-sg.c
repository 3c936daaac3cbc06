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

#include "tandem/scsi-exec.h"
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

static const struct scsi_exec_ops sg_ops = {
        .name = "sg",
        .exec = sg_exec,
        .close = sg_close,
};

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
        d = scsi_dev_new(&sg_ops, path, a);
        if (!s || !d) {
                free(s);
                return -ENOMEM;
        }
        s->fd = TAKE_FD(fd);
        d->priv = s;
        r = scsi_dev_ready(d, ret_reason);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}
