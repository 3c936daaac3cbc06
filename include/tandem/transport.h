/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fence devices and their transports (DESIGN.md "Transports", STYLE.md
 * rule 3). A device string picks a transport (pr_dev_open(), which parses it
 * once); each transport fills one operation-level ops table, shaped like
 * the kernel's struct pr_ops. The transports that carry CDBs (sg, iscsi,
 * the mock) share one SCSI adapter (fence/scsi-pr.c, see scsi-exec.h);
 * blkpr implements the operations directly.
 *
 * Layers, bottom up, with no call going up:
 *   fence/pr-dev.c      struct pr_dev, the operation calls, status words
 *   fence/scsi-pr.c     the SCSI adapter: operations as CDBs over an exec
 *   fence/transport-*.c sg, iscsi, mock (over the adapter), blkpr (direct)
 *   fence/pr-open.c     the dispatcher: device string -> transport
 * Operations return -errno only for an OS or transport failure, or the
 * outcome as 0 / -EBADE (reservation conflict) / -EOPNOTSUPP / -EAGAIN /
 * -EBUSY / -EIO; what the device said is in *st for messages. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "tandem/macro.h"
#include "tandem/pr.h"

struct pr_dev;
struct scsi_exec_ops;

/* What a PR operation ended with, for messages and the fence logic. */
struct pr_status {
        enum pr_outcome outcome;
        uint8_t status;
        struct sense sense;
        bool has_sense;
        unsigned unit_attentions;       /* retried before the final answer */
        size_t transferred;             /* data-in bytes the device actually sent */
};

/* The operations every transport provides. Each returns as described at
 * the top of this file. */
struct pr_dev_ops {
        const char *name;       /* "scsi" (the adapter), "blkpr", ... */
        /* REGISTER (old_key -> new_key) or, with ignore_existing, REGISTER
         * AND IGNORE EXISTING KEY; flags: PR_FLAG_APTPL. */
        int (*register_key)(struct pr_dev *d, uint64_t old_key, uint64_t new_key, bool ignore_existing,
                            unsigned flags, struct pr_status *st);
        int (*reserve)(struct pr_dev *d, uint64_t key, enum pr_type type, struct pr_status *st);
        int (*release)(struct pr_dev *d, uint64_t key, enum pr_type type, struct pr_status *st);
        int (*preempt)(struct pr_dev *d, uint64_t key, uint64_t victim, enum pr_type type, bool abort,
                       struct pr_status *st);
        int (*clear)(struct pr_dev *d, uint64_t key, struct pr_status *st);
        int (*read_keys)(struct pr_dev *d, struct pr_keys *ret, struct pr_status *st);
        int (*read_reservation)(struct pr_dev *d, struct pr_reservation *ret, struct pr_status *st);
        /* Which reservation types the device supports. */
        int (*report_capabilities)(struct pr_dev *d, struct pr_capabilities *ret, struct pr_status *st);
        /* The LU identity (naa.…, eui.…, serial.…), a new string. */
        int (*identity)(struct pr_dev *d, char **ret, struct pr_status *st);
        /* Frees the transport's state. */
        void (*close)(struct pr_dev *d);
};

struct pr_dev {
        const struct pr_dev_ops *ops;
        const struct scsi_exec_ops *scsi;       /* the CDB transport under the SCSI adapter, or NULL */
        char *name;             /* as configured, for messages */
        char *identity;         /* LU identity, for the fixed order (I3) */
        usec_t timeout;         /* per command */
        unsigned ua_retries;    /* retries after a UNIT ATTENTION */
        /* A registration belongs to this login session only (tgtd ties it
         * to the session, and each run of a tool is a new session), so the
         * node's key must be registered again in each session before
         * commands that need it. */
        bool session_bound;
        void *priv;             /* the transport's */
};

struct pr_open_args {
        const char *initiator;  /* iSCSI initiator name */
        usec_t timeout;
        unsigned ua_retries;
};

/* Opens a fence device by its string (see devspec.h), parsed once here,
 * and reads its LU identity. Returns 0 with *ret set, or -errno;
 * *ret_reason explains a failure in words when set. */
int pr_dev_open(const char *spec, const struct pr_open_args *a, struct pr_dev **ret, char **ret_reason);
/* Allocates a device named name with ops and the timeouts of a; the
 * transport then sets priv (and scsi). Returns NULL on ENOMEM. */
struct pr_dev *pr_dev_new(const struct pr_dev_ops *ops, const char *name, const struct pr_open_args *a);
/* Closes d and frees it; accepts NULL. */
void pr_dev_close(struct pr_dev *d);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct pr_dev *, pr_dev_close);

/* The PR operations (SPC-4 6.16/6.17; their NVMe counterparts), through
 * d's ops. Each returns as described at the top of this file. */
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
/* Reads the LU identity into a new string. */
int pr_read_identity(struct pr_dev *d, char **ret, struct pr_status *st);

/* Maps a pr_outcome to the -errno an operation returns for it (0 for OK). */
int pr_outcome_errno(enum pr_outcome o);
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

/* The mock transport, for unit tests: a CDB transport under the SCSI
 * adapter whose replies come from a script of expected CDBs and canned
 * answers, in order. */
struct mock_step {
        uint8_t opcode, sa;     /* what the command must be (cdb[0], cdb[1] & 0x1f) */
        int ret;                /* transport result; 0: the device answered */
        uint8_t status;
        const uint8_t *sense;
        size_t sense_len;
        const uint8_t *data;    /* data-in to return */
        size_t data_len;
};
/* Returns 0 and a device that answers from steps[n], or -ENOMEM. */
int mock_open(const char *name, const char *identity, const struct mock_step *steps, size_t n,
              bool session_bound, struct pr_dev **ret);
/* Returns how many script steps d has used. */
size_t mock_steps_used(const struct pr_dev *d);
/* The last PR OUT parameter list the mock received (24 bytes), or NULL. */
const uint8_t *mock_last_params(const struct pr_dev *d);
