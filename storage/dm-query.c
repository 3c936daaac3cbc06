/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The I/O side of dm health: ask the kernel, through libdevmapper's
 * DM_DEVICE_LIST and DM_DEVICE_STATUS ioctls, for each device's targets and
 * status lines, and hand them to the pure verdicts in dm-health.c.
 *
 * Status queries create no device nodes, so they need no udev
 * (DM_DISABLE_UDEV=1 in the rig changes nothing here). libdevmapper logs
 * to stderr by default; library code must not, so its logging is switched
 * off while we call it and set back to its default afterwards. */
#include <errno.h>
#include <libdevmapper.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "tandem/dm-health.h"
#include "tandem/macro.h"

static void dm_task_destroyp(struct dm_task **t) {
        if (*t)
                dm_task_destroy(*t);
}

static void quiet_log(int level, const char *file, int line, int dm_errno_or_class, const char *f, ...)
        _printf_(5, 6);
static void quiet_log(int level, const char *file, int line, int dm_errno_or_class, const char *f, ...) {
        (void) level;
        (void) file;
        (void) line;
        (void) dm_errno_or_class;
        (void) f;
}

static int task_errno(struct dm_task *t) {
        int e = dm_task_get_errno(t);
        return e > 0 ? -e : -EIO;
}

static void target_done(struct dmh_target *t) {
        free(t->type);
        free(t->params);
        dmh_status_done(&t->status);
}

static void device_done(struct dmh_device *d) {
        for (size_t i = 0; i < d->n_targets; i++)
                target_done(&d->targets[i]);
        free(d->targets);
        free(d->name);
}

void dmh_devices_free(struct dmh_device *d, size_t n) {
        if (!d)
                return;
        for (size_t i = 0; i < n; i++)
                device_done(&d[i]);
        free(d);
}

/* Fills one target from its type and params; a status that does not parse
 * is kept, with an UNKNOWN verdict, rather than failing the query. */
static int target_fill(struct dmh_target *t, uint64_t start, uint64_t length, const char *type, const char *params) {
        *t = (struct dmh_target) { .start = start, .length = length };
        t->type = strdup(type ?: "");
        t->params = strdup(params ?: "");
        if (!t->type || !t->params)
                return -ENOMEM;
        int r = dmh_target_status(t->type, t->params, &t->status);
        if (r == -EOPNOTSUPP)
                return 0;
        if (r == -ENOMEM)
                return r;
        t->judged = true;
        if (r < 0) {
                enum dmh_kind k = dmh_kind_from_target(t->type);
                t->error = r;
                t->status = (struct dmh_status) { .kind = k, .health = HEALTH_UNKNOWN };
                snprintf(t->status.reason, sizeof t->status.reason, "%s status did not parse: %s", t->type,
                         t->params);
        }
        return 0;
}

/* DM_DEVICE_STATUS of one device, by name or by device number. Returns 0
 * and fills *d; -ENODEV when there is no such device. */
static int device_status(const char *name, const dev_t *devnum, struct dmh_device *d) {
        _cleanup_(dm_task_destroyp) struct dm_task *t = NULL;
        struct dm_info info;
        void *next = NULL;
        size_t n = 0, cap = 0;

        *d = (struct dmh_device) { .health = HEALTH_UNKNOWN };
        t = dm_task_create(DM_DEVICE_STATUS);
        if (!t)
                return -ENOMEM;
        if (name ? !dm_task_set_name(t, name)
                 : !dm_task_set_major_minor(t, (int) major(*devnum), (int) minor(*devnum), 0))
                return -EINVAL;
        (void) dm_task_no_open_count(t);
        if (!dm_task_run(t)) {
                int r = task_errno(t);
                return r == -ENXIO ? -ENODEV : r;
        }
        if (!dm_task_get_info(t, &info))
                return -EIO;
        if (!info.exists)
                return -ENODEV;
        d->name = strdup(dm_task_get_name(t) ?: "");
        if (!d->name)
                return -ENOMEM;
        d->major = info.major;
        d->minor = info.minor;

        do {
                uint64_t start = 0, length = 0;
                char *type = NULL, *params = NULL;
                next = dm_get_next_target(t, next, &start, &length, &type, &params);
                if (!type)
                        break; /* no table loaded */
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 4;
                        struct dmh_target *nt = realloc(d->targets, ncap * sizeof *nt);
                        if (!nt)
                                goto oom;
                        d->targets = nt;
                        cap = ncap;
                }
                d->n_targets = n + 1;
                if (target_fill(&d->targets[n++], start, length, type, params) < 0)
                        goto oom;
        } while (next);

        bool any = false;
        enum health h = HEALTH_OK;
        for (size_t i = 0; i < d->n_targets; i++)
                if (d->targets[i].judged) {
                        h = health_worst(h, d->targets[i].status.health);
                        any = true;
                }
        d->health = any ? h : HEALTH_UNKNOWN;
        return 0;
oom:
        device_done(d);
        *d = (struct dmh_device) {};
        return -ENOMEM;
}

static bool device_judged(const struct dmh_device *d) {
        for (size_t i = 0; i < d->n_targets; i++)
                if (d->targets[i].judged)
                        return true;
        return false;
}

/* Every dm device with a raid, mirror or multipath target. */
static int query_all(struct dmh_device **ret, size_t *ret_n) {
        _cleanup_(dm_task_destroyp) struct dm_task *t = NULL;
        struct dmh_device *v = NULL;
        size_t n = 0, cap = 0;
        struct dm_names *names;
        int r = 0;

        t = dm_task_create(DM_DEVICE_LIST);
        if (!t)
                return -ENOMEM;
        if (!dm_task_run(t))
                return task_errno(t);
        names = dm_task_get_names(t);
        if (names && names->dev) {
                for (;;) {
                        struct dmh_device d;
                        r = device_status(names->name, NULL, &d);
                        if (r == -ENODEV) {
                                r = 0; /* removed since the list was taken */
                        } else if (r < 0) {
                                break;
                        } else if (!device_judged(&d)) {
                                device_done(&d);
                        } else {
                                if (n == cap) {
                                        size_t ncap = cap ? cap * 2 : 8;
                                        struct dmh_device *nv = realloc(v, ncap * sizeof *nv);
                                        if (!nv) {
                                                device_done(&d);
                                                r = -ENOMEM;
                                                break;
                                        }
                                        v = nv;
                                        cap = ncap;
                                }
                                v[n++] = d;
                        }
                        if (!names->next)
                                break;
                        names = (struct dm_names *) ((char *) names + names->next);
                }
        }
        if (r < 0) {
                dmh_devices_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

/* One device: /dev/dm-N or /dev/mapper/NAME by its device number, else by name. */
static int query_one(const char *spec, struct dmh_device **ret, size_t *ret_n) {
        struct dmh_device *d;
        struct stat st;
        int r;

        if (!spec[0])
                return -EINVAL;
        d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        if (spec[0] == '/') {
                if (stat(spec, &st) < 0) {
                        r = errno == ENOENT ? -ENODEV : -errno;
                        free(d);
                        return r;
                }
                if (!S_ISBLK(st.st_mode) || !dm_is_dm_major(major(st.st_rdev))) {
                        free(d);
                        return -ENODEV;
                }
                r = device_status(NULL, &st.st_rdev, d);
        } else {
                r = device_status(spec, NULL, d);
        }
        if (r < 0) {
                free(d);
                return r;
        }
        *ret = d;
        *ret_n = 1;
        return 0;
}

int dmh_query(const char *spec, struct dmh_device **ret, size_t *ret_n) {
        struct stat st;
        int r;

        if (!ret || !ret_n)
                return -EINVAL;
        /* Without the control node libdevmapper would try to create it. */
        if (stat("/dev/mapper/control", &st) < 0)
                return errno == ENOENT ? -ENOENT : -errno;
        dm_log_with_errno_init(quiet_log);
        r = spec ? query_one(spec, ret, ret_n) : query_all(ret, ret_n);
        dm_lib_release();
        dm_log_with_errno_init(NULL);
        return r;
}
