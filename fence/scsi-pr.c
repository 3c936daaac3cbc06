/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PR operations over any SCSI transport's exec(): build the CDB and
 * parameter list with the codec, run it, retry unit attentions a bounded
 * number of times, and turn the outcome into 0 or -errno. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "tandem/devspec.h"
#include "tandem/transport.h"
#include "tandem/vpd.h"

#define PR_IN_ALLOC 8192

static int outcome_errno(enum pr_outcome o) {
        switch (o) {
        case PR_OUTCOME_OK:
                return 0;
        case PR_OUTCOME_RESERVATION_CONFLICT:
                return -EBADE;
        case PR_OUTCOME_INVALID_FIELD:
        case PR_OUTCOME_UNSUPPORTED:
        case PR_OUTCOME_ILLEGAL_REQUEST:
                return -EOPNOTSUPP;
        case PR_OUTCOME_BUSY:
                return -EBUSY;
        default:
                return pr_outcome_is_unit_attention(o) ? -EAGAIN : -EIO;
        }
}

int pr_dev_exec(struct pr_dev *d, struct scsi_cmd *c, struct pr_status *st) {
        struct pr_status s = {};
        int r;

        if (!d || !c)
                return -EINVAL;
        for (unsigned attempt = 0;; attempt++) {
                struct scsi_reply reply = {};
                r = d->ops->exec(d, c, &reply);
                if (r < 0) {
                        s.outcome = PR_OUTCOME_OTHER;
                        break;
                }
                s.status = reply.status;
                s.outcome = pr_classify(reply.status, reply.sense, reply.sense_len);
                s.has_sense = reply.sense_len > 0 && sense_decode(reply.sense, reply.sense_len, &s.sense) == 0;
                r = outcome_errno(s.outcome);
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
        return pr_dev_exec(d, &c, st);
}

int pr_register(struct pr_dev *d, uint64_t old_key, uint64_t new_key, bool ignore_existing, unsigned flags,
                struct pr_status *st) {
        return pr_out(d, ignore_existing ? PR_OUT_REGISTER_AND_IGNORE : PR_OUT_REGISTER, 0,
                      ignore_existing ? 0 : old_key, new_key, flags, st);
}

int pr_reserve(struct pr_dev *d, uint64_t key, enum pr_type type, struct pr_status *st) {
        return pr_out(d, PR_OUT_RESERVE, type, key, 0, 0, st);
}

int pr_release(struct pr_dev *d, uint64_t key, enum pr_type type, struct pr_status *st) {
        return pr_out(d, PR_OUT_RELEASE, type, key, 0, 0, st);
}

int pr_preempt(struct pr_dev *d, uint64_t key, uint64_t victim, enum pr_type type, bool abort,
               struct pr_status *st) {
        return pr_out(d, abort ? PR_OUT_PREEMPT_AND_ABORT : PR_OUT_PREEMPT, type, key, victim, 0, st);
}

int pr_clear(struct pr_dev *d, uint64_t key, struct pr_status *st) {
        return pr_out(d, PR_OUT_CLEAR, 0, key, 0, 0, st);
}

static int pr_in(struct pr_dev *d, enum pr_in_sa sa, uint8_t *buf, size_t len, struct pr_status *st) {
        struct scsi_cmd c = { .cdb_len = PR_CDB_LEN, .dir = SCSI_DIR_IN, .buf = buf, .len = len };
        int r = pr_in_cdb(c.cdb, sa, (uint16_t) len);
        if (r < 0)
                return r;
        return pr_dev_exec(d, &c, st);
}

int pr_read_keys(struct pr_dev *d, struct pr_keys *ret, struct pr_status *st) {
        _cleanup_free_ uint8_t *buf = malloc(PR_IN_ALLOC);
        if (!buf)
                return -ENOMEM;
        int r = pr_in(d, PR_IN_READ_KEYS, buf, PR_IN_ALLOC, st);
        if (r < 0)
                return r;
        return pr_decode_read_keys(buf, PR_IN_ALLOC, ret);
}

int pr_read_reservation(struct pr_dev *d, struct pr_reservation *ret, struct pr_status *st) {
        uint8_t buf[24];
        int r = pr_in(d, PR_IN_READ_RESERVATION, buf, sizeof buf, st);
        if (r < 0)
                return r;
        return pr_decode_read_reservation(buf, sizeof buf, ret);
}

int pr_report_capabilities(struct pr_dev *d, struct pr_capabilities *ret, struct pr_status *st) {
        uint8_t buf[8];
        int r = pr_in(d, PR_IN_REPORT_CAPABILITIES, buf, sizeof buf, st);
        if (r < 0)
                return r;
        return pr_decode_report_capabilities(buf, sizeof buf, ret);
}

static int inquiry(struct pr_dev *d, uint8_t page, uint8_t *buf, size_t len, struct pr_status *st) {
        struct scsi_cmd c = { .cdb_len = 6, .dir = SCSI_DIR_IN, .buf = buf, .len = len };
        inquiry_vpd_cdb(c.cdb, page, (uint16_t) len);
        return pr_dev_exec(d, &c, st);
}

int pr_read_identity(struct pr_dev *d, char **ret, struct pr_status *st) {
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

int scsi_host_byte_errno(unsigned host_byte) {
        switch (host_byte) {
        case 0x00: /* DID_OK */
                return 0;
        case 0x03: /* DID_TIME_OUT */
                return -ETIMEDOUT;
        case 0x01: /* DID_NO_CONNECT */
        case 0x04: /* DID_BAD_TARGET */
                return -ENOTCONN;
        case 0x02: /* DID_BUS_BUSY */
                return -EBUSY;
        case 0x0e: /* DID_TRANSPORT_DISRUPTED */
        case 0x0f: /* DID_TRANSPORT_FAILFAST */
        case 0x14: /* DID_TRANSPORT_MARGINAL */
                return -ECONNRESET;
        default:
                return -EIO;
        }
}

char *pr_status_describe(const struct pr_status *st, int r, char *buf, size_t n) {
        if (r == 0)
                snprintf(buf, n, "good");
        else if (st && st->outcome != PR_OUTCOME_OTHER && st->has_sense)
                snprintf(buf, n, "%s (sense key %x, %02x/%02x)", pr_outcome_to_string(st->outcome), st->sense.key,
                         st->sense.asc, st->sense.ascq);
        else if (st && st->outcome != PR_OUTCOME_OTHER)
                snprintf(buf, n, "%s", pr_outcome_to_string(st->outcome));
        else if (st && st->status != 0)
                snprintf(buf, n, "SCSI status 0x%02x", st->status);
        else
                snprintf(buf, n, "%s", strerror(r < 0 ? -r : r));
        return buf;
}

int pr_dev_open(const char *spec, const struct pr_open_args *a, struct pr_dev **ret, char **ret_reason) {
        struct devspec ds;
        const char *why = NULL;
        int r;

        if (!spec || !a || !ret)
                return -EINVAL;
        r = devspec_parse(spec, &ds, &why);
        if (r < 0) {
                if (why && ret_reason)
                        *ret_reason = strdup(why);
                return r;
        }
        bool iscsi = ds.kind == DEVSPEC_ISCSI;
        devspec_done(&ds);
        if (iscsi)
                return isc_open(spec, a, ret, ret_reason);
        /* A device-mapper device (a multipath map above all) gets the kernel
         * PR ioctls, which reach every path; SG_IO through the map would
         * reach only one. Anything else: SG_IO. */
        struct stat st;
        char dm[64];
        if (stat(spec, &st) == 0 && S_ISBLK(st.st_mode)) {
                snprintf(dm, sizeof dm, "/sys/dev/block/%u:%u/dm", major(st.st_rdev), minor(st.st_rdev));
                if (stat(dm, &st) == 0)
                        return blkpr_open(spec, a, ret, ret_reason);
        }
        return sg_open(spec, a, ret, ret_reason);
}

void pr_dev_close(struct pr_dev *d) {
        if (!d)
                return;
        if (d->ops && d->ops->close)
                d->ops->close(d);
        free(d->name);
        free(d->identity);
        free(d);
}
