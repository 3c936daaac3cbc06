/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the transports implement, for the transports and the dispatcher
 * (fence/pr-open.c) only; everything above speaks the operations of
 * transport.h. The CDB level under the SCSI adapter (fence/scsi-pr.c) is
 * what sg, iscsi and the mock implement. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tandem/devspec.h"
#include "tandem/transport.h"

enum scsi_dir {
        SCSI_DIR_NONE,
        SCSI_DIR_IN,    /* device to host */
        SCSI_DIR_OUT,   /* host to device */
};

struct scsi_cmd {
        uint8_t cdb[16];
        size_t cdb_len;
        enum scsi_dir dir;
        uint8_t *buf;
        size_t len;
};

#define SCSI_SENSE_MAX 252

struct scsi_reply {
        uint8_t status;
        uint8_t sense[SCSI_SENSE_MAX];
        size_t sense_len;
        size_t transferred;     /* bytes of data actually moved */
};

struct scsi_exec_ops {
        const char *name;       /* "sg", "iscsi", "mock" */
        /* Runs one command within d->timeout. Returns 0 when the device
         * answered (status, sense in *reply), or -errno: -ETIMEDOUT,
         * -ECONNRESET, -EIO, ... */
        int (*exec)(struct pr_dev *d, const struct scsi_cmd *c, struct scsi_reply *reply);
        /* Frees the transport's state in d->priv. */
        void (*close)(struct pr_dev *d);
};

/* Allocates a device for a CDB transport: the SCSI adapter's operations
 * over x. The caller sets priv, then calls scsi_dev_ready(). Returns NULL
 * on ENOMEM. */
struct pr_dev *scsi_dev_new(const struct scsi_exec_ops *x, const char *name, const struct pr_open_args *a);
/* Reads d's LU identity (INQUIRY VPD 0x83, else 0x80). Returns 0 or -errno
 * with *ret_reason set. */
int scsi_dev_ready(struct pr_dev *d, char **ret_reason);

/* Runs c on d, retrying up to d->ua_retries times after a UNIT ATTENTION.
 * Returns as the operations do; *st says what happened. */
int scsi_exec(struct pr_dev *d, struct scsi_cmd *c, struct pr_status *st);

/* The CDB transports. Each returns 0 and a ready device, or -errno. */
int sg_open(const char *path, const struct pr_open_args *a, struct pr_dev **ret, char **ret_reason);
/* ds is the parsed iscsi:// string, name the string itself. */
int isc_open(const struct devspec *ds, const char *name, const struct pr_open_args *a, struct pr_dev **ret,
             char **ret_reason);
/* The kernel PR ioctls (IOC_PR_*) on a block device with pr_ops, such as a
 * dm-multipath map; reads go through SG_IO on one of its paths where the
 * kernel has no PR read ioctls. */
int blkpr_open(const char *path, const struct pr_open_args *a, struct pr_dev **ret, char **ret_reason);
