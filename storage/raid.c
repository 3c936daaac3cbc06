/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RAID health of a set of devices (include/tandem/raid.h): names to md
 * arrays and dm devices, the verdicts of md.c and dm-health.c per device,
 * the report as JSON, and the transitions `tandem-raid watch` logs.
 * raid_classify() and everything that works on reports is pure; the reads
 * (links under the sysroot, sys/block, md_read, the dm query) are in
 * raid_resolve(), raid_list_md() and raid_check(). Library code: no logging. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tandem/macro.h"
#include "tandem/ocf.h"
#include "tandem/raid.h"
#include "tandem/util.h"

#define RAID_LINKS_MAX 8

const char *raid_kind_to_string(enum raid_kind k) {
        static const char *const t[_RAID_KIND_MAX] = {
                [RAID_KIND_MD] = "md",
                [RAID_KIND_DM_RAID] = "dm-raid",
                [RAID_KIND_DM_MIRROR] = "dm-mirror",
                [RAID_KIND_DM_MULTIPATH] = "dm-multipath",
                [RAID_KIND_DM] = "dm",
                [RAID_KIND_NONE] = "none",
        };
        return k >= 0 && k < _RAID_KIND_MAX ? t[k] : NULL;
}

enum raid_kind raid_kind_from_dmh(enum dmh_kind k) {
        switch (k) {
        case DMH_RAID:
                return RAID_KIND_DM_RAID;
        case DMH_MIRROR:
                return RAID_KIND_DM_MIRROR;
        case DMH_MULTIPATH:
                return RAID_KIND_DM_MULTIPATH;
        default:
                return _RAID_KIND_INVALID;
        }
}

/* ------------------------------------------------------------------ names */

/* A path or name without empty, "." or ".." components (a leading '/' is allowed). */
static bool path_ok(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n >= RAID_PATH_MAX)
                return false;
        const char *p = s[0] == '/' ? s + 1 : s;
        for (;;) {
                const char *e = strchrnul(p, '/');
                size_t k = (size_t) (e - p);
                if (k == 0 || (k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                if (!*e)
                        return true;
                p = e + 1;
        }
}

static int name_set(struct raid_name *ret, enum raid_kind kind, const char *spec) {
        if (strlen(spec) >= sizeof ret->spec)
                return -EINVAL;
        ret->kind = kind;
        strcpy(ret->spec, spec);
        return 0;
}

int raid_classify(const char *dev, struct raid_name *ret) {
        if (!dev || !ret || !path_ok(dev))
                return -EINVAL;
        if (dev[0] != '/') {
                if (strchr(dev, '/'))
                        return -EINVAL;
                if (strncmp(dev, "md", 2) == 0)
                        return name_set(ret, RAID_KIND_MD, dev);
                if (strncmp(dev, "dm-", 3) == 0 && dev[3] && strspn(dev + 3, "0123456789") == strlen(dev + 3)) {
                        char p[RAID_PATH_MAX + 8];
                        snprintf(p, sizeof p, "/dev/%s", dev);
                        return name_set(ret, RAID_KIND_DM, p);
                }
                return name_set(ret, RAID_KIND_DM, dev); /* a dm name, as dmsetup takes it */
        }
        if (strncmp(dev, "/dev/md/", 8) == 0 && !strchr(dev + 8, '/'))
                return name_set(ret, RAID_KIND_MD, dev);
        if (strncmp(dev, "/dev/md", 7) == 0 && !strchr(dev + 5, '/'))
                return name_set(ret, RAID_KIND_MD, dev);
        if (strncmp(dev, "/dev/dm-", 8) == 0 && dev[8] && strspn(dev + 8, "0123456789") == strlen(dev + 8))
                return name_set(ret, RAID_KIND_DM, dev);
        if (strncmp(dev, "/dev/mapper/", 12) == 0 && !strchr(dev + 12, '/')) {
                if (strcmp(dev + 12, "control") == 0)
                        return name_set(ret, RAID_KIND_NONE, dev);
                return name_set(ret, RAID_KIND_DM, dev + 12); /* by name: no device node needed */
        }
        return -EREMOTE;
}

/* Opens path (absolute, inside the root) as an O_PATH directory, resolved
 * as if root_fd were "/". */
static int open_dir_in_root(int root_fd, const char *path) {
        const char *rel = path[0] == '/' ? path + 1 : path;
        if (!*rel)
                rel = ".";
#ifdef SYS_openat2
        struct open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int) syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
        if (fd >= 0)
                return fd;
        if (errno != ENOSYS && errno != EPERM)
                return -errno;
#endif
        int fd2 = openat(root_fd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return fd2 < 0 ? -errno : fd2;
}

/* Joins a link target to the directory of the link and folds "." and ".."
 * lexically (never above "/"). Returns 0 or -EINVAL when it does not fit. */
static int link_join(const char *link, const char *target, char ret[static RAID_PATH_MAX]) {
        char buf[2 * RAID_PATH_MAX + 2];
        if (target[0] == '/')
                snprintf(buf, sizeof buf, "%s", target);
        else {
                const char *slash = strrchr(link, '/');
                int dl = (int) (slash - link);
                snprintf(buf, sizeof buf, "%.*s/%s", dl, link, target);
        }
        size_t len = 0;
        char *save = NULL;
        ret[0] = '\0';
        for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (strcmp(c, ".") == 0)
                        continue;
                if (strcmp(c, "..") == 0) {
                        char *p = strrchr(ret, '/');
                        len = p ? (size_t) (p - ret) : 0;
                        ret[len] = '\0';
                        continue;
                }
                size_t cl = strlen(c);
                if (len + 1 + cl >= RAID_PATH_MAX)
                        return -EINVAL;
                ret[len++] = '/';
                memcpy(ret + len, c, cl + 1);
                len += cl;
        }
        if (len == 0)
                strcpy(ret, "/");
        return 0;
}

int raid_resolve(int sysroot_fd, const char *dev, struct raid_name *ret) {
        char path[RAID_PATH_MAX];
        struct raid_name n;

        if (sysroot_fd < 0 || !dev || !ret)
                return -EINVAL;
        if (strlen(dev) >= sizeof path)
                return -EINVAL;
        strcpy(path, dev);
        for (unsigned hops = 0;; hops++) {
                int r = raid_classify(path, &n);
                if (r == 0) {
                        *ret = n;
                        return 0;
                }
                if (r != -EREMOTE)
                        return r;
                if (hops >= RAID_LINKS_MAX)
                        return -ELOOP;
                /* read the link itself, its directory resolved inside the root */
                char dir[RAID_PATH_MAX], target[RAID_PATH_MAX], next[RAID_PATH_MAX];
                const char *base = strrchr(path, '/') + 1;
                snprintf(dir, sizeof dir, "%.*s", (int) (base - path), path);
                _cleanup_close_ int dfd = open_dir_in_root(sysroot_fd, dir);
                if (dfd < 0)
                        return dfd == -ENOTDIR ? -ENOENT : dfd;
                ssize_t k = readlinkat(dfd, base, target, sizeof target - 1);
                if (k < 0) {
                        if (errno != EINVAL)
                                return -errno;
                        /* there, and not a link: a device that is neither md nor dm */
                        return name_set(ret, RAID_KIND_NONE, path);
                }
                target[k] = '\0';
                r = link_join(path, target, next);
                if (r < 0)
                        return r;
                strcpy(path, next);
        }
}

int raid_sysroot_open(const char *dir, int *ret_fd, bool *ret_live) {
        struct stat a, b;

        if (!ret_fd || !ret_live)
                return -EINVAL;
        _cleanup_close_ int fd = open(dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &a) < 0 || stat("/", &b) < 0)
                return -errno;
        *ret_live = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static void closedirp(DIR **d) {
        if (*d) {
                int saved = errno;
                closedir(*d);
                errno = saved;
        }
}

static int name_cmp(const void *a, const void *b) {
        return strverscmp(*(char *const *) a, *(char *const *) b);
}

int raid_list_md(int sysroot_fd, char ***ret) {
        char **v = NULL;
        size_t n = 0;
        int r = 0;

        if (sysroot_fd < 0 || !ret)
                return -EINVAL;
        int fd = open_dir_in_root(sysroot_fd, "/sys/block");
        if (fd == -ENOENT || fd == -ENOTDIR) {
                v = calloc(1, sizeof *v);
                if (!v)
                        return -ENOMEM;
                *ret = v;
                return 0;
        }
        if (fd < 0)
                return fd;
        /* O_PATH fds cannot be listed: reopen for reading */
        int lfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        safe_close(fd);
        if (lfd < 0)
                return -errno;
        _cleanup_(closedirp) DIR *d = fdopendir(lfd);
        if (!d) {
                r = -errno;
                safe_close(lfd);
                return r;
        }
        v = calloc(1, sizeof *v);
        if (!v)
                return -ENOMEM;
        for (;;) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                r = -errno;
                        break;
                }
                if (strncmp(de->d_name, "md", 2) != 0 || strlen(de->d_name) >= MD_NAME_MAX)
                        continue;
                char p[MD_NAME_MAX + 4];
                struct stat st;
                snprintf(p, sizeof p, "%s/md", de->d_name);
                if (fstatat(dirfd(d), p, &st, 0) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                char **nv = realloc(v, (n + 2) * sizeof *nv);
                if (!nv) {
                        r = -ENOMEM;
                        break;
                }
                v = nv;
                if (!(v[n] = strdup(de->d_name))) {
                        r = -ENOMEM;
                        break;
                }
                v[++n] = NULL;
        }
        if (r < 0) {
                strv_free(v);
                return r;
        }
        qsort(v, n, sizeof *v, name_cmp);
        *ret = v;
        return 0;
}

/* ---------------------------------------------------------------- results */

void raid_result_done(struct raid_result *r) {
        if (!r)
                return;
        free(r->device);
        json_object_put(r->details);
        *r = (struct raid_result) {};
}

void raid_report_done(struct raid_report *r) {
        if (!r)
                return;
        for (size_t i = 0; i < r->n; i++)
                raid_result_done(&r->results[i]);
        free(r->results);
        *r = (struct raid_report) {};
}

static int result_init(struct raid_result *r, const char *device, enum raid_kind kind) {
        *r = (struct raid_result) { .kind = kind, .health = HEALTH_UNKNOWN };
        r->device = strdup(device);
        return r->device ? 0 : -ENOMEM;
}

/* A result with no details: a verdict and its reason. */
static int result_simple(struct raid_result *r, const char *device, enum raid_kind kind, enum health h,
                         const char *fmt, ...) _printf_(5, 6);
static int result_simple(struct raid_result *r, const char *device, enum raid_kind kind, enum health h,
                         const char *fmt, ...) {
        va_list ap;
        int e = result_init(r, device, kind);
        if (e < 0)
                return e;
        r->health = h;
        va_start(ap, fmt);
        vsnprintf(r->reason, sizeof r->reason, fmt, ap);
        va_end(ap);
        return 0;
}

static const char *const md_flag_names[] = {
        "faulty", "in_sync", "journal", "write_mostly", "blocked", "spare",
        "write_error", "want_replacement", "replacement", "external_bbl", "failfast",
};

static void add_str(struct json_object *o, const char *k, const char *v) {
        json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static struct json_object *md_details(const struct md_status *s) {
        struct json_object *o = json_object_new_object(), *a;
        if (!o)
                return NULL;
        add_str(o, "name", s->name);
        if (s->err[MD_FILE_LEVEL] == 0)
                add_str(o, "level", md_level_to_string(s->level));
        if (s->err[MD_FILE_ARRAY_STATE] == 0)
                add_str(o, "array_state", md_array_state_to_string(s->array_state));
        if (s->err[MD_FILE_RAID_DISKS] == 0)
                json_object_object_add(o, "raid_disks", json_object_new_int64(s->raid_disks));
        if (s->err[MD_FILE_DEGRADED] == 0)
                json_object_object_add(o, "degraded", json_object_new_int64(s->degraded));
        if (s->err[MD_FILE_SYNC_ACTION] == 0)
                add_str(o, "sync_action", md_sync_action_to_string(s->sync_action));
        if (s->err[MD_FILE_SYNC_COMPLETED] == 0) {
                const struct md_progress *p = &s->sync_completed;
                if (p->kind == MD_PROGRESS_RUNNING) {
                        json_object_object_add(o, "sync_done", json_object_new_uint64(p->done));
                        json_object_object_add(o, "sync_total", json_object_new_uint64(p->total));
                        json_object_object_add(o, "sync_percent", json_object_new_int(md_progress_percent(p)));
                } else
                        add_str(o, "sync_completed", p->kind == MD_PROGRESS_DELAYED ? "delayed" : "none");
        }
        if (s->err[MD_FILE_MISMATCH_CNT] == 0)
                json_object_object_add(o, "mismatch_cnt", json_object_new_uint64(s->mismatch_cnt));
        a = json_object_new_array();
        for (size_t i = 0; i < s->n_members && a; i++) {
                const struct md_member *m = &s->members[i];
                struct json_object *x = json_object_new_object(), *f;
                if (!x)
                        break;
                add_str(x, "name", m->name);
                if (m->state_err == 0) {
                        f = json_object_new_array();
                        for (size_t b = 0; b < ELEMENTSOF(md_flag_names) && f; b++)
                                if (m->flags & (1u << b))
                                        json_object_array_add(f, json_object_new_string(md_flag_names[b]));
                        json_object_object_add(x, "state", f);
                } else
                        json_object_object_add(x, "state", NULL);
                if (m->slot_err != 0)
                        json_object_object_add(x, "slot", NULL);
                else if (m->slot >= 0)
                        json_object_object_add(x, "slot", json_object_new_int(m->slot));
                else
                        add_str(x, "slot", m->slot == MD_SLOT_JOURNAL ? "journal" : "none");
                json_object_array_add(a, x);
        }
        json_object_object_add(o, "members", a);
        return o;
}

int raid_result_from_md(const char *device, const struct md_status *s, struct raid_result *r) {
        if (!device || !s || !r)
                return -EINVAL;
        int e = result_init(r, device, RAID_KIND_MD);
        if (e < 0)
                return e;
        r->health = md_verdict(s, r->reason, sizeof r->reason);
        r->details = md_details(s);
        if (!r->details) {
                raid_result_done(r);
                return -ENOMEM;
        }
        return 0;
}

/* Copies o's members, but health and reason, into dst. */
static void json_merge(struct json_object *dst, struct json_object *o) {
        json_object_object_foreach(o, k, v) {
                if (strcmp(k, "health") == 0 || strcmp(k, "reason") == 0)
                        continue;
                json_object_object_add(dst, k, json_object_get(v));
        }
}

int raid_result_from_dm(const char *device, const struct dmh_device *d, struct raid_result *r) {
        const struct dmh_target *first = NULL;
        size_t judged = 0;
        char devnum[32];

        if (!device || !d || !r)
                return -EINVAL;
        for (size_t i = 0; i < d->n_targets; i++)
                if (d->targets[i].judged) {
                        if (!first)
                                first = &d->targets[i];
                        judged++;
                }
        int e = result_init(r, device, first ? raid_kind_from_dmh(first->status.kind) : RAID_KIND_DM);
        if (e < 0)
                return e;
        if (r->kind < 0)
                r->kind = RAID_KIND_DM;
        r->health = d->health;
        r->details = json_object_new_object();
        if (!r->details)
                goto oom;
        add_str(r->details, "dm_name", d->name);
        snprintf(devnum, sizeof devnum, "%u:%u", d->major, d->minor);
        add_str(r->details, "devnum", devnum);

        if (judged == 0) {
                r->health = HEALTH_UNKNOWN;
                size_t len = (size_t) snprintf(r->reason, sizeof r->reason,
                                               "no raid, mirror or multipath target (targets:");
                for (size_t i = 0; i < d->n_targets && len < sizeof r->reason; i++)
                        len += (size_t) snprintf(r->reason + len, sizeof r->reason - len, " %s", d->targets[i].type);
                if (d->n_targets == 0 && len < sizeof r->reason)
                        len += (size_t) snprintf(r->reason + len, sizeof r->reason - len, " none, no table");
                if (len < sizeof r->reason)
                        snprintf(r->reason + len, sizeof r->reason - len, ")");
                return 0;
        }
        if (judged == 1) {
                snprintf(r->reason, sizeof r->reason, "%s", first->status.reason);
                struct json_object *t = dmh_status_to_json(&first->status);
                if (!t)
                        goto oom;
                json_merge(r->details, t);
                json_object_put(t);
                return 0;
        }
        struct json_object *a = json_object_new_array();
        if (!a)
                goto oom;
        json_object_object_add(r->details, "targets", a);
        size_t len = 0;
        for (size_t i = 0; i < d->n_targets; i++) {
                const struct dmh_target *t = &d->targets[i];
                if (!t->judged)
                        continue;
                if (len < sizeof r->reason)
                        len += (size_t) snprintf(r->reason + len, sizeof r->reason - len, "%starget %zu (%s): %s",
                                                 len ? "; " : "", i, t->type, t->status.reason);
                struct json_object *x = dmh_status_to_json(&t->status);
                if (!x)
                        goto oom;
                json_object_object_add(x, "start", json_object_new_uint64(t->start));
                json_object_object_add(x, "length", json_object_new_uint64(t->length));
                json_object_array_add(a, x);
        }
        return 0;
oom:
        raid_result_done(r);
        return -ENOMEM;
}

/* ------------------------------------------------------------------ check */

static int report_add(struct raid_report *rep, struct raid_result **ret) {
        struct raid_result *v = realloc(rep->results, (rep->n + 1) * sizeof *v);
        if (!v)
                return -ENOMEM;
        rep->results = v;
        *ret = &v[rep->n];
        **ret = (struct raid_result) {};
        return 0;
}

static int check_md(const struct raid_ctx *ctx, const char *device, const char *spec, struct raid_result *r) {
        struct md_status s;
        int e = md_read(ctx->sysroot_fd, spec, &s);
        if (e == -ENOENT)
                return result_simple(r, device, RAID_KIND_MD, HEALTH_FAILED,
                                     "no such md array in sysfs (never assembled, or stopped)");
        if (e == -EINVAL)
                return result_simple(r, device, RAID_KIND_MD, HEALTH_UNKNOWN, "not a valid md array name");
        if (e == -ENOMEM)
                return e;
        if (e < 0)
                return result_simple(r, device, RAID_KIND_MD, HEALTH_UNKNOWN, "cannot read its sysfs: %s",
                                     strerror(-e));
        e = raid_result_from_md(device, &s, r);
        md_status_done(&s);
        return e;
}

static int check_dm(const struct raid_ctx *ctx, const char *device, const char *spec, struct raid_result *r) {
        struct dmh_device *d = NULL;
        size_t n = 0;

        if (!ctx->live)
                return result_simple(r, device, RAID_KIND_DM, HEALTH_UNKNOWN,
                                     "device-mapper devices are read from the running kernel, not under --sysroot");
        if (!ctx->dm_query)
                return result_simple(r, device, RAID_KIND_DM, HEALTH_UNKNOWN, "device-mapper is not queried");
        int e = ctx->dm_query(spec, &d, &n);
        if (e == -ENODEV)
                return result_simple(r, device, RAID_KIND_DM, HEALTH_FAILED, "no such device-mapper device");
        if (e == -ENOENT)
                return result_simple(r, device, RAID_KIND_DM, HEALTH_UNKNOWN,
                                     "no device-mapper here (no /dev/mapper/control)");
        if (e == -ENOMEM)
                return e;
        if (e < 0)
                return result_simple(r, device, RAID_KIND_DM, HEALTH_UNKNOWN, "device-mapper query failed: %s",
                                     strerror(-e));
        if (n == 0)
                e = result_simple(r, device, RAID_KIND_DM, HEALTH_FAILED, "no such device-mapper device");
        else
                e = raid_result_from_dm(device, &d[0], r);
        dmh_devices_free(d, n);
        return e;
}

static int check_one(const struct raid_ctx *ctx, const char *dev, struct raid_result *r) {
        struct raid_name nm;
        int e = raid_resolve(ctx->sysroot_fd, dev, &nm);
        if (e == -ENOENT)
                return result_simple(r, dev, RAID_KIND_NONE, HEALTH_FAILED, "no such device");
        if (e == -EINVAL)
                return result_simple(r, dev, RAID_KIND_NONE, HEALTH_UNKNOWN,
                                     "not a device name: give mdN, /dev/mdN, /dev/md/NAME, /dev/dm-N, "
                                     "/dev/mapper/NAME or a /dev link to one");
        if (e < 0)
                return result_simple(r, dev, RAID_KIND_NONE, HEALTH_UNKNOWN, "cannot resolve: %s", strerror(-e));
        switch (nm.kind) {
        case RAID_KIND_MD:
                return check_md(ctx, dev, nm.spec, r);
        case RAID_KIND_DM:
                return check_dm(ctx, dev, nm.spec, r);
        default:
                if (strcmp(nm.spec, dev) == 0)
                        return result_simple(r, dev, RAID_KIND_NONE, HEALTH_UNKNOWN,
                                             "neither an md array nor a device-mapper device");
                return result_simple(r, dev, RAID_KIND_NONE, HEALTH_UNKNOWN,
                                     "%s: neither an md array nor a device-mapper device", nm.spec);
        }
}

static int check_all(const struct raid_ctx *ctx, struct raid_report *rep) {
        char **md = NULL;
        struct raid_result *r;
        int e = raid_list_md(ctx->sysroot_fd, &md);
        if (e < 0)
                return e;
        for (char **p = md; *p; p++) {
                char dev[MD_NAME_MAX + 8];
                snprintf(dev, sizeof dev, "/dev/%s", *p);
                if ((e = report_add(rep, &r)) < 0 || (e = check_md(ctx, dev, *p, r)) < 0)
                        break;
                rep->n++;
        }
        strv_free(md);
        if (e < 0)
                return e;
        if (!ctx->live || !ctx->dm_query)
                return 0;
        struct dmh_device *d = NULL;
        size_t n = 0;
        e = ctx->dm_query(NULL, &d, &n);
        if (e == -ENOENT)
                return 0; /* no device-mapper: nothing of that kind */
        if (e < 0)
                return e;
        for (size_t i = 0; i < n; i++) {
                char dev[RAID_PATH_MAX];
                snprintf(dev, sizeof dev, "/dev/mapper/%s", d[i].name);
                if ((e = report_add(rep, &r)) < 0 || (e = raid_result_from_dm(dev, &d[i], r)) < 0)
                        break;
                rep->n++;
        }
        dmh_devices_free(d, n);
        return e;
}

int raid_check(const struct raid_ctx *ctx, char *const *devs, size_t n, struct raid_report *ret) {
        struct raid_report rep = {};
        int e = 0;

        if (!ctx || ctx->sysroot_fd < 0 || !ret || (n > 0 && !devs))
                return -EINVAL;
        if (n == 0)
                e = check_all(ctx, &rep);
        else
                for (size_t i = 0; i < n && e == 0; i++) {
                        struct raid_result *r;
                        if ((e = report_add(&rep, &r)) < 0 || (e = check_one(ctx, devs[i], r)) < 0)
                                break;
                        rep.n++;
                }
        if (e < 0) {
                raid_report_done(&rep);
                return e;
        }
        *ret = rep;
        return 0;
}

/* ----------------------------------------------------------------- report */

enum health raid_report_health(const struct raid_report *r) {
        if (!r || r->n == 0)
                return HEALTH_UNKNOWN;
        enum health h = HEALTH_OK;
        for (size_t i = 0; i < r->n; i++)
                h = health_worst(h, r->results[i].health);
        return h;
}

const struct raid_result *raid_report_find(const struct raid_report *r, const char *device) {
        if (!r || !device)
                return NULL;
        for (size_t i = 0; i < r->n; i++)
                if (r->results[i].device && strcmp(r->results[i].device, device) == 0)
                        return &r->results[i];
        return NULL;
}

bool raid_health_changed(const struct raid_report *prev, const struct raid_result *cur, enum health *ret_before) {
        const struct raid_result *p = cur ? raid_report_find(prev, cur->device) : NULL;
        if (ret_before)
                *ret_before = p ? p->health : _HEALTH_INVALID;
        return !p || !cur || p->health != cur->health;
}

char *raid_report_problems(const struct raid_report *r, char *buf, size_t n) {
        size_t len = 0;

        if (!buf || n == 0)
                return buf;
        buf[0] = '\0';
        for (size_t i = 0; r && i < r->n && len < n; i++) {
                const struct raid_result *x = &r->results[i];
                if (x->health != HEALTH_OK)
                        len += (size_t) snprintf(buf + len, n - len, "%s%s %s: %s", len ? "; " : "", x->device,
                                                 health_to_string(x->health), x->reason);
        }
        return buf;
}

char *raid_report_status(const struct raid_report *r, char *buf, size_t n) {
        size_t nr = r ? r->n : 0;

        if (!buf || n == 0)
                return buf;
        size_t len = (size_t) snprintf(buf, n, "%s: %zu device%s",
                                       nr ? health_to_string(raid_report_health(r)) : "nothing to check", nr,
                                       nr == 1 ? "" : "s");
        for (size_t i = 0; i < nr && len < n; i++) {
                const struct raid_result *x = &r->results[i];
                if (x->health != HEALTH_OK)
                        len += (size_t) snprintf(buf + len, n - len, "; %s %s (%s)", x->device,
                                                 health_to_string(x->health), x->reason);
        }
        return buf;
}

struct json_object *raid_report_to_json(const struct raid_report *r) {
        struct json_object *o = json_object_new_object(), *a = json_object_new_array();
        if (!o || !a) {
                json_object_put(o);
                json_object_put(a);
                return NULL;
        }
        json_object_object_add(o, "devices", a);
        for (size_t i = 0; r && i < r->n; i++) {
                const struct raid_result *x = &r->results[i];
                struct json_object *d = json_object_new_object();
                if (!d) {
                        json_object_put(o);
                        return NULL;
                }
                add_str(d, "device", x->device);
                add_str(d, "kind", raid_kind_to_string(x->kind));
                add_str(d, "health", health_to_string(x->health));
                add_str(d, "reason", x->reason);
                if (x->details)
                        json_merge(d, x->details);
                json_object_array_add(a, d);
        }
        return o;
}

int raid_health_exit_status(enum health h) {
        switch (h) {
        case HEALTH_OK:
                return 0;
        case HEALTH_DEGRADED:
                return 3;
        case HEALTH_FAILED:
                return 4;
        default:
                return 1;
        }
}

int raid_health_ocf_status(enum health h) {
        switch (h) {
        case HEALTH_OK:
                return OCF_SUCCESS;
        case HEALTH_DEGRADED:
                return OCF_DEGRADED;
        default:
                return OCF_ERR_GENERIC;
        }
}
