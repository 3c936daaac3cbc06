/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The iscsi transport: libiscsi, straight from user space to an iSCSI target.
 * Everything runs through libiscsi's async API under our own poll loop with a
 * deadline, so no command and no login can hang past the device's timeout,
 * even when the target stops answering. Auto-reconnect is off: a lost
 * session is an error the caller sees, never a silent new I_T nexus.
 *
 * libiscsi (and the RDMA and netlink libraries it pulls in) is loaded with
 * dlopen() when the first iscsi:// device is opened, as systemd loads its
 * optional libraries: a node whose fence devices are /dev paths never maps
 * it, and every tool starts faster. */
#include <dlfcn.h>
#include <errno.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tandem/devspec.h"
#include "tandem/key.h"
#include "tandem/scsi-exec.h"
#include "tandem/util.h"

#ifndef LIBISCSI_SONAME
#define LIBISCSI_SONAME "libiscsi.so.7"
#endif

struct iscsi_syms {
        void *dl;
        __typeof__(iscsi_create_context) *iscsi_create_context;
        __typeof__(iscsi_destroy_context) *iscsi_destroy_context;
        __typeof__(iscsi_full_connect_async) *iscsi_full_connect_async;
        __typeof__(iscsi_get_error) *iscsi_get_error;
        __typeof__(iscsi_get_fd) *iscsi_get_fd;
        __typeof__(iscsi_is_logged_in) *iscsi_is_logged_in;
        __typeof__(iscsi_logout_async) *iscsi_logout_async;
        __typeof__(iscsi_scsi_command_async) *iscsi_scsi_command_async;
        __typeof__(iscsi_service) *iscsi_service;
        __typeof__(iscsi_set_header_digest) *iscsi_set_header_digest;
        __typeof__(iscsi_set_isid_random) *iscsi_set_isid_random;
        __typeof__(iscsi_set_noautoreconnect) *iscsi_set_noautoreconnect;
        __typeof__(iscsi_set_session_type) *iscsi_set_session_type;
        __typeof__(iscsi_set_targetname) *iscsi_set_targetname;
        __typeof__(iscsi_set_timeout) *iscsi_set_timeout;
        __typeof__(iscsi_which_events) *iscsi_which_events;
        __typeof__(scsi_create_task) *scsi_create_task;
        __typeof__(scsi_free_scsi_task) *scsi_free_scsi_task;
};
static struct iscsi_syms isym;

/* Loads libiscsi once. Returns 0, or -ELIBACC with *ret_reason set. */
static int iscsi_load(char **ret_reason) {
        if (isym.dl)
                return 0;
        void *dl = dlopen(LIBISCSI_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                set_reason(ret_reason, "iscsi:// devices need libiscsi (%s): %s", LIBISCSI_SONAME, dlerror());
                return -ELIBACC;
        }
        struct iscsi_syms t = { .dl = dl };
#define LOAD(name)                                                                              \
        if (!(t.name = (__typeof__(t.name)) dlsym(dl, #name))) {                               \
                set_reason(ret_reason, "%s lacks %s", LIBISCSI_SONAME, #name);                  \
                dlclose(dl);                                                                    \
                return -ELIBACC;                                                                \
        }
        LOAD(iscsi_create_context);
        LOAD(iscsi_destroy_context);
        LOAD(iscsi_full_connect_async);
        LOAD(iscsi_get_error);
        LOAD(iscsi_get_fd);
        LOAD(iscsi_is_logged_in);
        LOAD(iscsi_logout_async);
        LOAD(iscsi_scsi_command_async);
        LOAD(iscsi_service);
        LOAD(iscsi_set_header_digest);
        LOAD(iscsi_set_isid_random);
        LOAD(iscsi_set_noautoreconnect);
        LOAD(iscsi_set_session_type);
        LOAD(iscsi_set_targetname);
        LOAD(iscsi_set_timeout);
        LOAD(iscsi_which_events);
        LOAD(scsi_create_task);
        LOAD(scsi_free_scsi_task);
#undef LOAD
        isym = t;
        return 0;
}

/* From here on, each libiscsi call goes through the loaded table. */
#define iscsi_create_context (*isym.iscsi_create_context)
#define iscsi_destroy_context (*isym.iscsi_destroy_context)
#define iscsi_full_connect_async (*isym.iscsi_full_connect_async)
#define iscsi_get_error (*isym.iscsi_get_error)
#define iscsi_get_fd (*isym.iscsi_get_fd)
#define iscsi_is_logged_in (*isym.iscsi_is_logged_in)
#define iscsi_logout_async (*isym.iscsi_logout_async)
#define iscsi_scsi_command_async (*isym.iscsi_scsi_command_async)
#define iscsi_service (*isym.iscsi_service)
#define iscsi_set_header_digest (*isym.iscsi_set_header_digest)
#define iscsi_set_isid_random (*isym.iscsi_set_isid_random)
#define iscsi_set_noautoreconnect (*isym.iscsi_set_noautoreconnect)
#define iscsi_set_session_type (*isym.iscsi_set_session_type)
#define iscsi_set_targetname (*isym.iscsi_set_targetname)
#define iscsi_set_timeout (*isym.iscsi_set_timeout)
#define iscsi_which_events (*isym.iscsi_which_events)
#define scsi_create_task (*isym.scsi_create_task)
#define scsi_free_scsi_task (*isym.scsi_free_scsi_task)

struct wait {
        bool done;
        int status;
};

struct isc {
        struct iscsi_context *ctx;
        int lun;
        bool broken;    /* the session failed or timed out: no more commands */
        /* What libiscsi calls back into. It lives as long as the context,
         * so a command given up on can still be cancelled into it. */
        struct wait cur;
        struct scsi_task *cur_task;
};

static void wait_cb(struct iscsi_context *ctx, int status, void *data, void *priv) {
        struct wait *w = priv;
        (void) ctx;
        (void) data;
        w->done = true;
        w->status = status;
}

/* Services the context until w->done or the deadline. Returns 0, or
 * -ETIMEDOUT / -ECONNRESET / -EIO. */
static int run_until(struct iscsi_context *ctx, struct wait *w, usec_t deadline) {
        while (!w->done) {
                usec_t t = now(CLOCK_MONOTONIC);
                if (t >= deadline)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = iscsi_get_fd(ctx), .events = (short) iscsi_which_events(ctx) };
                if (p.fd < 0)
                        return -ECONNRESET;
                usec_t left = deadline - t;
                int ms = (int) (left / USEC_PER_MSEC) + 1;
                int n = poll(&p, 1, ms > 1000 ? 1000 : ms);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                /* iscsi_service(…, 0) also lets libiscsi expire its own tasks. */
                if (iscsi_service(ctx, n > 0 ? p.revents : 0) < 0)
                        return -ECONNRESET;
        }
        return 0;
}

static int isc_exec(struct pr_dev *d, const struct scsi_cmd *c, struct scsi_reply *reply) {
        struct isc *s = d->priv;
        struct iscsi_data out = { .size = c->len, .data = c->buf };
        int dir = c->dir == SCSI_DIR_IN ? SCSI_XFER_READ : c->dir == SCSI_DIR_OUT ? SCSI_XFER_WRITE : SCSI_XFER_NONE;
        int r;

        if (s->broken)
                return -ENOTCONN;
        struct scsi_task *t = scsi_create_task((int) c->cdb_len, (unsigned char *) c->cdb, dir, (int) c->len);
        if (!t)
                return -ENOMEM;
        s->cur = (struct wait) {};
        if (iscsi_scsi_command_async(s->ctx, s->lun, t, wait_cb, c->dir == SCSI_DIR_OUT ? &out : NULL, &s->cur) < 0) {
                scsi_free_scsi_task(t);
                s->broken = true;
                return -ECONNRESET;
        }
        r = run_until(s->ctx, &s->cur, now(CLOCK_MONOTONIC) + d->timeout);
        if (r < 0) {
                /* Give up on the session. The task stays with the context
                 * until isc_close() cancels it. */
                s->broken = true;
                s->cur_task = t;
                return r;
        }
        if (s->cur.status == SCSI_STATUS_CANCELLED || s->cur.status == SCSI_STATUS_ERROR ||
            s->cur.status == SCSI_STATUS_TIMEOUT) {
                s->broken = true;
                scsi_free_scsi_task(t);
                return s->cur.status == SCSI_STATUS_TIMEOUT ? -ETIMEDOUT : -ECONNRESET;
        }
        reply->status = (uint8_t) t->status;
        if (t->status == SCSI_STATUS_CHECK_CONDITION && t->datain.data && t->datain.size > 2) {
                /* libiscsi keeps the raw sense after a 2-byte SENSE LENGTH. */
                size_t sl = (size_t) (t->datain.data[0] << 8 | t->datain.data[1]);
                size_t have = (size_t) t->datain.size - 2;
                if (sl > have)
                        sl = have;
                if (sl > SCSI_SENSE_MAX)
                        sl = SCSI_SENSE_MAX;
                memcpy(reply->sense, t->datain.data + 2, sl);
                reply->sense_len = sl;
        } else if (t->status == SCSI_STATUS_GOOD && c->dir == SCSI_DIR_IN && t->datain.data) {
                size_t n = (size_t) t->datain.size < c->len ? (size_t) t->datain.size : c->len;
                memcpy(c->buf, t->datain.data, n);
                reply->transferred = n;
        } else if (t->status == SCSI_STATUS_GOOD && c->dir == SCSI_DIR_OUT)
                reply->transferred = c->len;
        scsi_free_scsi_task(t);
        return 0;
}

static void isc_close(struct pr_dev *d) {
        struct isc *s = d->priv;
        if (!s)
                return;
        if (s->ctx) {
                /* A polite logout, bounded like everything else. */
                if (!s->broken && iscsi_is_logged_in(s->ctx)) {
                        s->cur = (struct wait) {};
                        if (iscsi_logout_async(s->ctx, wait_cb, &s->cur) == 0)
                                (void) run_until(s->ctx, &s->cur, now(CLOCK_MONOTONIC) + d->timeout);
                }
                /* Cancels what is still queued, calling back into s->cur. */
                iscsi_destroy_context(s->ctx);
        }
        if (s->cur_task)
                scsi_free_scsi_task(s->cur_task);
        free(s);
}

static const struct scsi_exec_ops isc_ops = {
        .name = "iscsi",
        .exec = isc_exec,
        .close = isc_close,
};

/* One login: a new context for initiator, connected to the LU of ds through
 * portal by deadline. Returns 0, -ENOMEM, -ETIMEDOUT, or another -errno (the
 * context then stays, for its error text, marked broken). */
static int isc_login(struct isc *s, const char *initiator, const struct devspec *ds, const char *portal,
                     usec_t timeout, usec_t deadline) {
        s->ctx = iscsi_create_context(initiator);
        if (!s->ctx)
                return -ENOMEM;
        /* A fixed ISID per (initiator, target) makes every session of this
         * node the same I_T nexus, so a registration made by one tandem run
         * is this node's in the next, and no stale registrations pile up. */
        uint64_t h = fnv1a64(FNV1A64_OFFSET, initiator, strlen(initiator));
        h = fnv1a64(h, ds->target, strlen(ds->target));
        (void) iscsi_set_isid_random(s->ctx, (uint32_t) (h & 0xffffff), (uint32_t) ((h >> 24) & 0xffff));
        (void) iscsi_set_targetname(s->ctx, ds->target);
        (void) iscsi_set_session_type(s->ctx, ISCSI_SESSION_NORMAL);
        (void) iscsi_set_header_digest(s->ctx, ISCSI_HEADER_DIGEST_NONE_CRC32C);
        (void) iscsi_set_noautoreconnect(s->ctx, 1);
        (void) iscsi_set_timeout(s->ctx, (int) ((timeout + USEC_PER_SEC - 1) / USEC_PER_SEC));
        s->cur = (struct wait) {};
        if (iscsi_full_connect_async(s->ctx, portal, s->lun, wait_cb, &s->cur) < 0) {
                s->broken = true;
                return -ECONNREFUSED;
        }
        int r = run_until(s->ctx, &s->cur, deadline);
        if (r < 0 || s->cur.status != SCSI_STATUS_GOOD) {
                s->broken = true;
                return r < 0 ? r : -ECONNREFUSED;
        }
        return 0;
}

int isc_open(const struct devspec *ds, const char *name, const struct pr_open_args *a, struct pr_dev **ret,
             char **ret_reason) {
        _cleanup_(pr_dev_closep) struct pr_dev *d = NULL;
        char portal[300];
        struct isc *s;
        int r;

        if (!a->initiator) {
                set_reason(ret_reason, "no iSCSI initiator name (set [fence] initiator, or --initiator)");
                return -EINVAL;
        }
        if (!ds || ds->kind != DEVSPEC_ISCSI || !name || !ret)
                return -EINVAL;
        r = iscsi_load(ret_reason);
        if (r < 0)
                return r;
        if (strchr(ds->host, ':'))
                snprintf(portal, sizeof portal, "[%s]:%u", ds->host, ds->port);
        else
                snprintf(portal, sizeof portal, "%s:%u", ds->host, ds->port);

        d = scsi_dev_new(&isc_ops, name, a);
        s = calloc(1, sizeof *s);
        if (!d || !s) {
                free(s);
                return -ENOMEM;
        }
        d->priv = s;
        d->session_bound = true;
        s->lun = (int) ds->lun;

        /* A target may drop the first login of a node that crashed while
         * logged in (tgtd reinstates the old session, with this same ISID,
         * and closes the new connection): a login that fails, not one that
         * times out, is tried again, up to three times within the timeout. */
        usec_t deadline = now(CLOCK_MONOTONIC) + a->timeout;
        for (int attempt = 1;; attempt++) {
                r = isc_login(s, a->initiator, ds, portal, a->timeout, deadline);
                if (r == 0)
                        break;
                if (r == -ENOMEM)
                        return r;
                if (r != -ETIMEDOUT && attempt < 3 && now(CLOCK_MONOTONIC) + 250 * USEC_PER_MSEC < deadline) {
                        iscsi_destroy_context(s->ctx);
                        s->ctx = NULL;
                        s->broken = false;
                        (void) usleep(250 * 1000);
                        continue;
                }
                if (r == -ETIMEDOUT)
                        set_reason(ret_reason, "login to %s timed out", portal);
                else
                        set_reason(ret_reason, "login to %s failed (%d attempt%s): %s", portal, attempt,
                                   attempt > 1 ? "s" : "", iscsi_get_error(s->ctx));
                return r;
        }
        r = scsi_dev_ready(d, ret_reason);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}
