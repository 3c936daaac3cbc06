/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SCSI adapter: the PR operations as CDBs over a CDB transport's exec()
 * (sg, iscsi, the mock). It builds the CDB and parameter list with the
 * codec, runs it, retries unit attentions a bounded number of times, and
 * decodes the answer. It calls the transport only through d->scsi. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/scsi-exec.h"
#include "tandem/unaligned.h"
#include "tandem/util.h"
#include "tandem/vpd.h"

#define PR_IN_ALLOC 8192

int scsi_exec(struct pr_dev *d, struct scsi_cmd *c, struct pr_status *st) {
        struct pr_status s = {};
        int r;

        if (!d || !c || !d->scsi)
                return -EINVAL;
        for (unsigned attempt = 0;; attempt++) {
                struct scsi_reply reply = {};
                r = d->scsi->exec(d, c, &reply);
                if (r < 0) {
                        s.outcome = PR_OUTCOME_OTHER;
                        break;
                }
                s.status = reply.status;
                s.outcome = pr_classify(reply.status, reply.sense, reply.sense_len);
                s.has_sense = reply.sense_len > 0 && sense_decode(reply.sense, reply.sense_len, &s.sense) == 0;
                r = pr_outcome_errno(s.outcome);
                s.transferred = reply.transferred;
                if (c->dir == SCSI_DIR_IN && r == 0 && reply.transferred < c->len)
                        memset(c->buf + reply.transferred, 0, c->len - reply.transferred);
                if (!pr_outcome_is_unit_attention(s.outcome) || attempt >= d->ua_retries)
                        break;
                s.unit_attentions++;
        }
        if (st)
                *st = s;
        return r;
}

static int pr_out(struct pr_dev *d, enum pr_out_sa sa, enum pr_type type, uint64_t key, uint64_t sa_key,
                  unsigned flags, struct pr_status *st) {
        uint8_t params[PR_OUT_PARAM_LEN];
        struct scsi_cmd c = { .cdb_len = PR_CDB_LEN, .dir = SCSI_DIR_OUT, .buf = params, .len = sizeof params };
        int r;

        r = pr_out_cdb(c.cdb, sa, type, PR_OUT_PARAM_LEN);
        if (r < 0)
                return r;
        r = pr_out_params(params, key, sa_key, flags);
        if (r < 0)
                return r;
        return scsi_exec(d, &c, st);
}

static int scsi_register(struct pr_dev *d, uint64_t old_key, uint64_t new_key, bool ignore_existing,
                         unsigned flags, struct pr_status *st) {
        return pr_out(d, ignore_existing ? PR_OUT_REGISTER_AND_IGNORE : PR_OUT_REGISTER, 0,
                      ignore_existing ? 0 : old_key, new_key, flags, st);
}

static int scsi_reserve(struct pr_dev *d, uint64_t key, enum pr_type type, struct pr_status *st) {
        return pr_out(d, PR_OUT_RESERVE, type, key, 0, 0, st);
}

static int scsi_release(struct pr_dev *d, uint64_t key, enum pr_type type, struct pr_status *st) {
        return pr_out(d, PR_OUT_RELEASE, type, key, 0, 0, st);
}

static int scsi_preempt(struct pr_dev *d, uint64_t key, uint64_t victim, enum pr_type type, bool abort,
                        struct pr_status *st) {
        return pr_out(d, abort ? PR_OUT_PREEMPT_AND_ABORT : PR_OUT_PREEMPT, type, key, victim, 0, st);
}

static int scsi_clear(struct pr_dev *d, uint64_t key, struct pr_status *st) {
        return pr_out(d, PR_OUT_CLEAR, 0, key, 0, 0, st);
}

static int pr_in(struct pr_dev *d, enum pr_in_sa sa, uint8_t *buf, size_t len, struct pr_status *st) {
        struct scsi_cmd c = { .cdb_len = PR_CDB_LEN, .dir = SCSI_DIR_IN, .buf = buf, .len = len };
        int r = pr_in_cdb(c.cdb, sa, (uint16_t) len);
        if (r < 0)
                return r;
        return scsi_exec(d, &c, st);
}

/* READ KEYS. A key list longer than the buffer is never taken as complete:
 * it is read again with room for every key the ADDITIONAL LENGTH names (up
 * to the 16-bit ALLOCATION LENGTH's 65535 bytes, 8190 keys), and a list
 * that outgrows even that is an error (I2: a victim's key could be in the
 * part not read). */
#define PR_IN_ALLOC_MAX 65535
static int scsi_read_keys(struct pr_dev *d, struct pr_keys *ret, struct pr_status *st) {
        size_t len = PR_IN_ALLOC;
        for (int pass = 0; pass < 3; pass++) {
                _cleanup_free_ uint8_t *buf = malloc(len);
                struct pr_keys keys = {};
                if (!buf)
                        return -ENOMEM;
                struct pr_status ist = {};
                int r = pr_in(d, PR_IN_READ_KEYS, buf, len, &ist);
                if (st)
                        *st = ist;
                if (r < 0)
                        return r;
                /* Only what the device sent counts: a list that says it is
                 * longer than what arrived (short of the buffer) is not
                 * read as ending in zero keys (I2). */
                size_t got = ist.transferred < len ? ist.transferred : len;
                if (got >= 8 && got < len && got < 8 + (size_t) get_be32(buf + 4))
                        return -EBADMSG;
                r = pr_decode_read_keys(buf, len, &keys);
                if (r < 0)
                        return r;
                if (keys.n_keys >= keys.n_keys_total) {
                        *ret = keys;
                        return 0;
                }
                size_t want = 8 + (size_t) keys.n_keys_total * 8;
                pr_keys_done(&keys);
                if (len >= PR_IN_ALLOC_MAX)
                        return -E2BIG;
                len = want > PR_IN_ALLOC_MAX ? PR_IN_ALLOC_MAX : want;
        }
        return -E2BIG;
}

static int scsi_read_reservation(struct pr_dev *d, struct pr_reservation *ret, struct pr_status *st) {
        uint8_t buf[24];
        int r = pr_in(d, PR_IN_READ_RESERVATION, buf, sizeof buf, st);
        if (r < 0)
                return r;
        return pr_decode_read_reservation(buf, sizeof buf, ret);
}

static int scsi_report_capabilities(struct pr_dev *d, struct pr_capabilities *ret, struct pr_status *st) {
        uint8_t buf[8];
        int r = pr_in(d, PR_IN_REPORT_CAPABILITIES, buf, sizeof buf, st);
        if (r < 0)
                return r;
        return pr_decode_report_capabilities(buf, sizeof buf, ret);
}

static int inquiry(struct pr_dev *d, uint8_t page, uint8_t *buf, size_t len, struct pr_status *st) {
        struct scsi_cmd c = { .cdb_len = 6, .dir = SCSI_DIR_IN, .buf = buf, .len = len };
        inquiry_vpd_cdb(c.cdb, page, (uint16_t) len);
        return scsi_exec(d, &c, st);
}

static int scsi_identity(struct pr_dev *d, char **ret, struct pr_status *st) {
        uint8_t buf[512];
        int r = inquiry(d, VPD_DEVICE_ID, buf, sizeof buf, st);
        if (r == 0) {
                r = vpd_decode_device_id(buf, sizeof buf, ret);
                if (r != -ENOENT && r != -EBADMSG)
                        return r;
        }
        r = inquiry(d, VPD_UNIT_SERIAL, buf, sizeof buf, st);
        if (r < 0)
                return r;
        return vpd_decode_serial(buf, sizeof buf, ret);
}

static void scsi_close(struct pr_dev *d) {
        if (d->scsi && d->scsi->close)
                d->scsi->close(d);
}

static const struct pr_dev_ops scsi_ops = {
        .name = "scsi",
        .register_key = scsi_register,
        .reserve = scsi_reserve,
        .release = scsi_release,
        .preempt = scsi_preempt,
        .clear = scsi_clear,
        .read_keys = scsi_read_keys,
        .read_reservation = scsi_read_reservation,
        .report_capabilities = scsi_report_capabilities,
        .identity = scsi_identity,
        .close = scsi_close,
};

struct pr_dev *scsi_dev_new(const struct scsi_exec_ops *x, const char *name, const struct pr_open_args *a) {
        struct pr_dev *d = pr_dev_new(&scsi_ops, name, a);
        if (d)
                d->scsi = x;
        return d;
}

int scsi_dev_ready(struct pr_dev *d, char **ret_reason) {
        struct pr_status st;
        int r = scsi_identity(d, &d->identity, &st);
        if (r < 0)
                set_reason(ret_reason, "cannot read the LU identity (INQUIRY VPD 0x83/0x80)");
        return r;
}
