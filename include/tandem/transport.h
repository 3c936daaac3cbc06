/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fence devices and their transports (STYLE.md rule 3). A device string
 * picks a transport; each fills one ops table. SCSI transports (sg, iscsi,
 * mock) provide exec(); the PR operations over them are shared
 * (fence/scsi-pr.c). exec() returns -errno only for an OS or transport
 * failure; SCSI status and sense come back in the reply. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "tandem/macro.h"
#include "tandem/pr.h"

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

struct pr_dev;

struct pr_dev_ops {
        const char *name;       /* "sg", "iscsi", "mock" */
        /* A registration belongs to this login session only (tgtd ties it
         * to the session, and each run of a tool is a new session), so the
         * node's key must be registered again in each session before
         * commands that need it. */
        bool session_bound_registration;
        /* Runs one command within d->timeout. Returns 0 when the device
         * answered (status, sense in *reply), or -errno: -ETIMEDOUT,
         * -ECONNRESET, -EIO, ... */
        int (*exec)(struct pr_dev *d, const struct scsi_cmd *c, struct scsi_reply *reply);
        /* Frees the transport's state in d->priv. */
        void (*close)(struct pr_dev *d);
};

struct pr_dev {
        const struct pr_dev_ops *ops;
        char *name;             /* as configured, for messages */
        char *identity;         /* LU identity (naa.…, eui.…, serial.…), for the fixed order */
        usec_t timeout;         /* per command */
        unsigned ua_retries;    /* retries after a UNIT ATTENTION */
        void *priv;             /* the transport's */
};

/* What a PR operation ended with, for messages and the fence logic. */
struct pr_status {
        enum pr_outcome outcome;
        uint8_t status;
        struct sense sense;
        bool has_sense;
        unsigned unit_attentions;       /* retried before the final answer */
};

struct pr_open_args {
        const char *initiator;  /* iSCSI initiator name */
        usec_t timeout;
        unsigned ua_retries;
};

/* Opens a fence device by its string (see devspec.h) and reads its LU
 * identity. Returns 0 with *ret set, or -errno; *ret_reason explains a
 * failure in words when set. */
int pr_dev_open(const char *spec, const struct pr_open_args *a, struct pr_dev **ret, char **ret_reason);
/* Closes d and frees it; accepts NULL. */
void pr_dev_close(struct pr_dev *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct pr_dev *, pr_dev_close);

/* Runs c on d, retrying up to d->ua_retries times after a UNIT ATTENTION.
 * Returns 0 for GOOD, -EBADE for RESERVATION CONFLICT, -EOPNOTSUPP for
 * ILLEGAL REQUEST (invalid field or unsupported command), -EAGAIN for a
 * UNIT ATTENTION that outlasted the retries, -EBUSY, -EIO for anything
 * else, or the transport's -errno. *st says what happened. */
int pr_dev_exec(struct pr_dev *d, struct scsi_cmd *c, struct pr_status *st);

/* The PR operations (SPC-4 6.16/6.17), each returning as pr_dev_exec(). */
int pr_register(struct pr_dev *d, uint64_t old_key, uint64_t new_key, bool ignore_existing, unsigned flags,
                struct pr_status *st);
int pr_reserve(struct pr_dev *d, uint64_t key, enum pr_type type, struct pr_status *st);
int pr_release(struct pr_dev *d, uint64_t key, enum pr_type type, struct pr_status *st);
int pr_preempt(struct pr_dev *d, uint64_t key, uint64_t victim, enum pr_type type, bool abort,
               struct pr_status *st);
int pr_clear(struct pr_dev *d, uint64_t key, struct pr_status *st);
int pr_read_keys(struct pr_dev *d, struct pr_keys *ret, struct pr_status *st);
int pr_read_reservation(struct pr_dev *d, struct pr_reservation *ret, struct pr_status *st);
int pr_report_capabilities(struct pr_dev *d, struct pr_capabilities *ret, struct pr_status *st);
/* Reads the LU identity through INQUIRY VPD 0x83 (else 0x80) into a new string. */
int pr_read_identity(struct pr_dev *d, char **ret, struct pr_status *st);

/* Maps a Linux SCSI host byte (DID_*, include/scsi/scsi_status.h) to 0
 * (DID_OK) or the -errno a transport returns for it. */
int scsi_host_byte_errno(unsigned host_byte);

/* Describes *st in words ("reservation conflict", "illegal request:
 * invalid field (24/00)") into buf; returns buf. */
char *pr_status_describe(const struct pr_status *st, int r, char *buf, size_t n);

/* Opens a device node read-only for PR use (never read-write: udev would
 * rescan its partitions on close), and checks it is a block device, or a
 * character device where allow_char. Returns the fd, or -errno with
 * *ret_reason set. */
int pr_node_open(const char *path, bool allow_char, struct stat *ret_st, char **ret_reason);

/* Transports. Each returns 0 and a ready device, or -errno. */
int sg_open(const char *path, const struct pr_open_args *a, struct pr_dev **ret, char **ret_reason);
int isc_open(const char *url, const struct pr_open_args *a, struct pr_dev **ret, char **ret_reason);
/* The kernel PR ioctls (IOC_PR_*) on a block device with pr_ops, such as a
 * dm-multipath map; PR IN and INQUIRY go through SG_IO on one of its paths. */
int blkpr_open(const char *path, const struct pr_open_args *a, struct pr_dev **ret, char **ret_reason);

/* The mock transport, for unit tests: replies come from a script of
 * expected CDBs and canned answers, in order. */
struct mock_step {
        uint8_t opcode, sa;     /* what the command must be (cdb[0], cdb[1] & 0x1f) */
        int ret;                /* transport result; 0: the device answered */
        uint8_t status;
        const uint8_t *sense;
        size_t sense_len;
        const uint8_t *data;    /* data-in to return */
        size_t data_len;
};
int mock_open(const char *name, const char *identity, const struct mock_step *steps, size_t n,
              bool session_bound, struct pr_dev **ret);
/* Returns how many script steps d has used. */
size_t mock_steps_used(const struct pr_dev *d);
/* The last PR OUT parameter list the mock received (24 bytes), or NULL. */
const uint8_t *mock_last_params(const struct pr_dev *d);
