/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The base of the transports: struct pr_dev, the operation calls through
 * its ops, and the words for what a device said. Calls nothing above it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tandem/transport.h"
#include "tandem/util.h"

struct pr_dev *pr_dev_new(const struct pr_dev_ops *ops, const char *name, const struct pr_open_args *a) {
        struct pr_dev *d = calloc(1, sizeof *d);
        if (!d)
                return NULL;
        d->name = strdup(name);
        if (!d->name) {
                free(d);
                return NULL;
        }
        d->ops = ops;
        d->timeout = a ? a->timeout : 10 * USEC_PER_SEC;
        d->ua_retries = a ? a->ua_retries : 3;
        return d;
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

int pr_register(struct pr_dev *d, uint64_t old_key, uint64_t new_key, bool ignore_existing, unsigned flags,
                struct pr_status *st) {
        if (!d)
                return -EINVAL;
        return d->ops->register_key(d, old_key, new_key, ignore_existing, flags, st);
}

int pr_reserve(struct pr_dev *d, uint64_t key, enum pr_type type, struct pr_status *st) {
        if (!d)
                return -EINVAL;
        return d->ops->reserve(d, key, type, st);
}

int pr_release(struct pr_dev *d, uint64_t key, enum pr_type type, struct pr_status *st) {
        if (!d)
                return -EINVAL;
        return d->ops->release(d, key, type, st);
}

int pr_preempt(struct pr_dev *d, uint64_t key, uint64_t victim, enum pr_type type, bool abort,
               struct pr_status *st) {
        if (!d)
                return -EINVAL;
        return d->ops->preempt(d, key, victim, type, abort, st);
}

int pr_clear(struct pr_dev *d, uint64_t key, struct pr_status *st) {
        if (!d)
                return -EINVAL;
        return d->ops->clear(d, key, st);
}

int pr_read_keys(struct pr_dev *d, struct pr_keys *ret, struct pr_status *st) {
        if (!d || !ret)
                return -EINVAL;
        return d->ops->read_keys(d, ret, st);
}

int pr_read_reservation(struct pr_dev *d, struct pr_reservation *ret, struct pr_status *st) {
        if (!d || !ret)
                return -EINVAL;
        return d->ops->read_reservation(d, ret, st);
}

int pr_report_capabilities(struct pr_dev *d, struct pr_capabilities *ret, struct pr_status *st) {
        if (!d || !ret)
                return -EINVAL;
        return d->ops->report_capabilities(d, ret, st);
}

int pr_read_identity(struct pr_dev *d, char **ret, struct pr_status *st) {
        if (!d || !ret)
                return -EINVAL;
        return d->ops->identity(d, ret, st);
}

int pr_outcome_errno(enum pr_outcome o) {
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
