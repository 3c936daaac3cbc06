/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The commands of tandem-volume and of the OCF agent volume (include/
 * tandem/volume.h): the settings after the config and the overrides, and
 * mount, unmount, status and monitor, each as an OCF code and a job that
 * says what was found. The program logs and prints; nothing here logs. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tandem/ocf.h"
#include "tandem/util.h"
#include "tandem/volume.h"

#define DEFAULT_STOP_TIMEOUT (30 * USEC_PER_SEC)
#define MAX_STOP_TIMEOUT (3600 * USEC_PER_SEC)

/* ---------------------------------------------------------------- settings */

int vol_parse_depth(const char *s, int *ret) {
        if (!s || !ret)
                return -EINVAL;
        if (strcmp(s, "0") == 0)
                *ret = 0;
        else if (strcmp(s, "10") == 0)
                *ret = 10;
        else if (strcmp(s, "20") == 0)
                *ret = 20;
        else
                return -EINVAL;
        return 0;
}

static int check_settings(const struct vol_settings *s, bool ocf, char **ret_reason) {
        const char *why = NULL;
        struct volspec spec;

        if (!s->device || !s->fstype || !s->mountpoint)
                return set_reason(ret_reason, "the volume needs a device, an fstype and a mountpoint%s",
                                  ocf ? " (OCF_RESKEY_device, fstype, mountpoint)"
                                      : " ([volume] or --device, --fstype, --mountpoint)"),
                       OCF_ERR_CONFIGURED;
        if (volspec_parse(s->device, &spec, &why) < 0)
                return set_reason(ret_reason, "device '%s': %s", s->device, why ? why : "out of memory"),
                       OCF_ERR_CONFIGURED;
        if (volspec_check_fstype(s->fstype, &why) < 0)
                return set_reason(ret_reason, "fstype '%s': %s", s->fstype, why), OCF_ERR_CONFIGURED;
        if (volspec_check_mountpoint(s->mountpoint, &why) < 0)
                return set_reason(ret_reason, "mountpoint '%s': %s", s->mountpoint, why), OCF_ERR_CONFIGURED;
        if (volspec_check_options(s->options, &why) < 0)
                return set_reason(ret_reason, "options '%s': %s", s->options, why), OCF_ERR_CONFIGURED;
        return OCF_SUCCESS;
}

int vol_settle(const struct cfg_group *g, const struct vol_overrides *o, bool ocf, struct vol_settings *ret,
               char **ret_reason) {
        bool vol = g && g->volume.present;
        struct vol_settings s = {
                .device = o->device ? o->device : vol ? g->volume.device : NULL,
                .fstype = o->fstype ? o->fstype : vol ? g->volume.fstype : NULL,
                .mountpoint = o->mountpoint ? o->mountpoint : vol ? g->volume.mountpoint : NULL,
                .options = o->options ? o->options : vol && g->volume.options ? g->volume.options : "defaults",
                .fsck = vol ? g->volume.fsck : CFG_FSCK_AUTO,
                .stop_timeout = vol ? g->volume.stop_timeout : DEFAULT_STOP_TIMEOUT,
                .force = o->force,
        };
        if (o->fsck) {
                int i;
                for (i = 0; i < _CFG_FSCK_MAX && strcmp(o->fsck, cfg_fsck_to_string(i)) != 0; i++)
                        ;
                if (i == _CFG_FSCK_MAX)
                        return set_reason(ret_reason, "fsck '%s': must be auto, always or never", o->fsck),
                               OCF_ERR_CONFIGURED;
                s.fsck = (enum cfg_fsck) i;
        }
        if (o->stop_timeout &&
            (cfg_parse_duration(o->stop_timeout, &s.stop_timeout) < 0 || s.stop_timeout > MAX_STOP_TIMEOUT))
                return set_reason(ret_reason, "stop_timeout '%s': must be a duration up to 1h, e.g. 30s",
                                  o->stop_timeout),
                       OCF_ERR_CONFIGURED;
        int rc = check_settings(&s, ocf, ret_reason);
        if (rc == OCF_SUCCESS)
                *ret = s;
        return rc;
}

/* ------------------------------------------------------- device, mount point */

/* Finds the device; maps the failures to OCF codes. */
static int find_device(const struct vol_settings *s, struct vol_device *d, char **ret_error) {
        _cleanup_free_ char *why = NULL;
        int r = vol_lookup(s->device, s->fstype, d, &why);
        if (r == 0)
                return OCF_SUCCESS;
        set_reason(ret_error, "%s", why ? why : strerror(-r));
        return r == -ENOENT ? OCF_ERR_INSTALLED
               : r == -ENOTUNIQ || r == -EMEDIUMTYPE || r == -ENOTBLK || r == -EINVAL ? OCF_ERR_CONFIGURED
                                                                                     : OCF_ERR_GENERIC;
}

/* The code and the words for a mount point vol_mountpoint_resolve() or vol_mountpoint_open() refused with r. */
static int target_failed(const struct vol_settings *s, int r, char **ret_error) {
        if (r == -ELOOP)
                return set_reason(ret_error, "mountpoint %s is a symbolic link; refusing it (name the real directory)",
                                  s->mountpoint),
                       OCF_ERR_CONFIGURED;
        if (r == -ENOTDIR)
                return set_reason(ret_error, "mountpoint %s is not a directory", s->mountpoint), OCF_ERR_CONFIGURED;
        if (r == -ENOENT)
                return set_reason(ret_error, "mountpoint %s does not exist; create it on both nodes", s->mountpoint),
                       OCF_ERR_INSTALLED;
        return set_reason(ret_error, "mountpoint %s: %s", s->mountpoint, strerror(-r)), OCF_ERR_GENERIC;
}

/* The mount point for a mount: walked, its ancestors checked, held open
 * (vol_mountpoint_open()). Returns OCF_SUCCESS, or a failure (missing:
 * OCF_ERR_INSTALLED; an unsafe ancestor: OCF_ERR_PERM). */
static int open_target(const struct vol_settings *s, int *ret_fd, char **ret, char **ret_error) {
        _cleanup_free_ char *why = NULL;
        int r = vol_mountpoint_open(s->mountpoint, ret_fd, ret, &why);
        if (r == -EPERM && why)
                return set_reason(ret_error, "mountpoint %s: %s", s->mountpoint, why), OCF_ERR_PERM;
        return r < 0 ? target_failed(s, r, ret_error) : OCF_SUCCESS;
}

/* The mount point and the device, for what must tell "not mounted" apart
 * from a failure (unmount, status). The device decides, not the path: a
 * mount point that does not resolve (missing, or covered by a mount over
 * a parent) gives its configured path as *ret_target, and
 * *ret_no_mountpoint. Returns OCF_SUCCESS with both; OCF_NOT_RUNNING when
 * nothing can be mounted there: no such device and nothing on the mount
 * point (the lookup's failure in *ret_error, unless the mount point is
 * missing too); else a failure with *ret_error. */
static int find_volume(const struct vol_settings *s, int proc_fd, char **ret_target, struct vol_device *d,
                       bool *ret_no_mountpoint, char **ret_error) {
        struct vol_mount_match m;
        int r = vol_mountpoint_resolve(s->mountpoint, ret_target);
        if (r == -ENOENT) {
                *ret_no_mountpoint = true;
                if (!(*ret_target = strdup(s->mountpoint)))
                        return set_reason(ret_error, "%s", strerror(ENOMEM)), OCF_ERR_GENERIC;
        } else if (r < 0)
                return target_failed(s, r, ret_error);
        int rc = find_device(s, d, ret_error);
        if (rc == OCF_SUCCESS)
                return rc;
        /* Without the device, all that can be told is whether anything is on target. */
        if (vol_mount_state(proc_fd, (dev_t) -1, *ret_target, &m, NULL) == 0 && m.state == VOL_MOUNT_NONE) {
                if (*ret_no_mountpoint) {
                        free(*ret_error);
                        *ret_error = NULL;
                }
                return OCF_NOT_RUNNING;
        }
        return rc == OCF_ERR_INSTALLED ? OCF_ERR_GENERIC : rc;
}

/* ------------------------------------------------------------------- mount */

void vol_mount_job_done(struct vol_mount_job *j) {
        if (!j)
                return;
        free(j->target);
        safe_close(j->target_fd);
        vol_device_done(&j->dev);
        free(j->error);
        *j = (struct vol_mount_job) { .target_fd = -1 };
}

int vol_mount_prepare(const struct vol_settings *s, int proc_fd, struct vol_mount_job *j) {
        _cleanup_free_ char *where = NULL;
        struct vol_mount_match m;
        int rc;

        *j = (struct vol_mount_job) { .state = VOL_MOUNT_NONE, .target_fd = -1 };
        if ((rc = open_target(s, &j->target_fd, &j->target, &j->error)) != OCF_SUCCESS ||
            (rc = find_device(s, &j->dev, &j->error)) != OCF_SUCCESS)
                return rc;
        int r = vol_device_state(proc_fd, &j->dev, j->target, VOL_STATE_EXCLUSIVE, &m, &where);
        if (r < 0)
                return set_reason(&j->error, "cannot tell whether %s is in use: %s", j->dev.devname, strerror(-r)),
                       OCF_ERR_GENERIC;
        j->state = m.state;
        if (m.state == VOL_MOUNT_ELSEWHERE)
                return set_reason(&j->error, "%s (%s) is already mounted at %s, not at %s", s->device, j->dev.devname,
                                  where, j->target),
                       OCF_ERR_GENERIC;
        if (m.state == VOL_MOUNT_OTHER)
                return set_reason(&j->error, "%s already has another filesystem mounted on it (%s)", j->target,
                                  where ? where : "?"),
                       OCF_ERR_GENERIC;
        if (m.state == VOL_MOUNT_HELD)
                return set_reason(&j->error, "not mounting %s: %s", s->device, where ? where : "it is in use"),
                       OCF_ERR_GENERIC;
        return OCF_SUCCESS;
}

int vol_mount_fsck_plan(const struct vol_settings *s, struct vol_mount_job *j) {
        int r = vol_fsck_command(s->fsck, s->fstype, j->dev.devname, j->fsck_argv);
        if (r == -EOPNOTSUPP)
                return set_reason(&j->error, "fsck = always: tandem knows no checker for %s", s->fstype),
                       OCF_ERR_CONFIGURED;
        if (r < 0)
                return set_reason(&j->error, "fsck: %s", strerror(-r)), OCF_ERR_GENERIC;
        if (r == 0)
                j->fsck_argv[0] = NULL;
        return OCF_SUCCESS;
}

int vol_mount_fsck(struct vol_mount_job *j) {
        int status;

        if (!j->fsck_argv[0])
                return OCF_SUCCESS;
        int r = vol_fsck_run(j->fsck_argv, &status);
        if (r == -ENOENT)
                return set_reason(&j->error, "fsck: %s is not installed", j->fsck_argv[0]), OCF_ERR_INSTALLED;
        if (r < 0)
                return set_reason(&j->error, "fsck: cannot run %s: %s", j->fsck_argv[0], strerror(-r)),
                       OCF_ERR_GENERIC;
        j->fsck_verdict = vol_fsck_classify(status);
        vol_fsck_describe(status, j->fsck_desc, sizeof j->fsck_desc);
        if (!vol_fsck_mountable(j->fsck_verdict))
                return set_reason(&j->error, "fsck of %s: exit %s; not mounting it", j->dev.devname, j->fsck_desc),
                       OCF_ERR_GENERIC;
        return OCF_SUCCESS;
}

/* The mount point of the mount with ID id in <proc>/self/mountinfo, a new string; NULL when not listed. */
static char *mount_target(int proc_fd, int id) {
        struct libmnt_table *tb = NULL;
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs;
        char *t = NULL;
        if (it && vol_read_mounts(proc_fd, &tb) == 0)
                while (!t && mnt_table_next_fs(tb, it, &fs) == 0)
                        if (mnt_fs_get_id(fs) == id)
                                t = strdup_null(mnt_fs_get_target(fs));
        mnt_free_iter(it);
        mnt_unref_table(tb);
        return t;
}

int vol_mount_complete(const struct vol_settings *s, int proc_fd, struct vol_mount_job *j) {
        _cleanup_free_ char *why = NULL, *at = NULL;
        _cleanup_close_ int mfd = -1;
        struct vol_mount_match m;
        struct statx sx;

        int r = vol_mount(&j->dev, j->target_fd, s->fstype, s->options, &mfd, &why);
        if (r < 0)
                return set_reason(&j->error, "mount %s on %s: %s", j->dev.devname, j->target, why ? why : strerror(-r)),
                       OCF_ERR_GENERIC;
        /* It went onto the directory that was checked; is that directory
         * still the mount point, and our mount the one on top of it? */
        if (statx(mfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 || !(sx.stx_mask & STATX_MNT_ID))
                r = -EIO;
        else if (!(at = mount_target(proc_fd, (int) sx.stx_mnt_id)))
                r = -ENOENT;
        else if (strcmp(at, j->target) != 0)
                r = -EXDEV;
        else if ((r = vol_mount_state(proc_fd, j->dev.devno, j->target, &m, NULL)) == 0 && m.state != VOL_MOUNT_OK)
                r = -EEXIST;
        if (r < 0) {
                /* If anything fails after the mount, unmount: ours, by its fd, not by a path. */
                int u = vol_unmount_fd(TAKE_FD(mfd), &j->dev);
                if (r == -EXDEV)
                        set_reason(&j->error, "mounted %s on the directory checked as %s, but that directory is %s "
                                   "now (moved, or swapped for another, meanwhile); %s", j->dev.devname, j->target, at,
                                   u < 0 ? "and it is still in use after unmounting it again" : "unmounted it again");
                else
                        set_reason(&j->error, "mounted %s on %s, but the mount table does not show it there; %s",
                                   j->dev.devname, j->target,
                                   u < 0 ? "and it is still in use after unmounting it again" : "unmounted it again");
                return OCF_ERR_GENERIC;
        }
        j->state = VOL_MOUNT_OK;
        j->read_only = m.read_only;
        return OCF_SUCCESS;
}

/* ----------------------------------------------------------------- unmount */

void vol_unmount_job_done(struct vol_unmount_job *j) {
        if (!j)
                return;
        free(j->target);
        vol_device_done(&j->dev);
        vol_umount_report_done(&j->rep);
        free(j->error);
        *j = (struct vol_unmount_job) {};
}

int vol_unmount(const struct vol_settings *s, int proc_fd, int (*sleep_fn)(usec_t), struct vol_unmount_job *j) {
        *j = (struct vol_unmount_job) {};
        int rc = find_volume(s, proc_fd, &j->target, &j->dev, &j->no_mountpoint, &j->error);
        if (rc == OCF_NOT_RUNNING)
                j->nothing_mounted = !j->no_mountpoint;
        if (rc != OCF_SUCCESS)
                return rc == OCF_NOT_RUNNING ? OCF_SUCCESS : rc;
        /* Also with the mount point gone: the device may live on (I1). */
        int r = vol_umount(proc_fd, j->target, &j->dev, s->stop_timeout, sleep_fn, &j->rep);
        j->have_report = true;
        if (r < 0)
                return set_reason(&j->error, "unmounting %s from %s failed: %s; the reservation must stay",
                                  j->dev.devname, j->target, j->rep.reason ? j->rep.reason : strerror(-r)),
                       OCF_ERR_GENERIC;
        return OCF_SUCCESS;
}

static void add_string(struct json_object *o, const char *k, const char *v) {
        json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

struct json_object *vol_umount_report_to_json(const struct vol_umount_report *rep, bool ok) {
        struct json_object *o = json_object_new_object(), *a = json_object_new_array();
        char why[96];

        if (!o || !a) {
                json_object_put(o);
                json_object_put(a);
                return NULL;
        }
        add_string(o, "command", "umount");
        json_object_object_add(o, "ok", json_object_new_boolean(ok));
        json_object_object_add(o, "unmounted", json_object_new_boolean(rep->unmounted));
        if (rep->reason)
                add_string(o, "error", rep->reason);
        for (size_t i = 0; i < rep->n_holders; i++) {
                const struct vol_holder *h = &rep->holders[i];
                struct json_object *x = json_object_new_object();
                if (!x) {
                        json_object_put(a);
                        json_object_put(o);
                        return NULL;
                }
                json_object_object_add(x, "pid", json_object_new_int(h->pid));
                add_string(x, "comm", h->comm);
                add_string(x, "held_by", vol_held_describe(h->why, why, sizeof why));
                json_object_object_add(x, "spared", json_object_new_boolean(h->spared));
                add_string(x, "ended", vol_ended_to_string(h->ended));
                json_object_array_add(a, x);
        }
        json_object_object_add(o, "holders", a);
        return o;
}

/* ------------------------------------------------------------------ status */

void vol_status_done(struct vol_status *st) {
        if (!st)
                return;
        free(st->target);
        vol_device_done(&st->dev);
        free(st->where);
        free(st->error);
        *st = (struct vol_status) {};
}

int vol_status(const struct vol_settings *s, int proc_fd, pid_t self, struct vol_status *st) {
        struct vol_mount_match m;

        bool no_mountpoint = false;

        *st = (struct vol_status) { .state = VOL_MOUNT_NONE };
        int rc = find_volume(s, proc_fd, &st->target, &st->dev, &no_mountpoint, &st->error);
        st->known = rc == OCF_NOT_RUNNING;
        if (rc != OCF_SUCCESS)
                return rc;
        int r = vol_device_state(proc_fd, &st->dev, st->target, VOL_STATE_EXCLUSIVE, &m, &st->where);
        if (r < 0)
                return set_reason(&st->error, "cannot tell whether %s is in use: %s", st->dev.devname, strerror(-r)),
                       OCF_ERR_GENERIC;
        st->known = true;
        st->state = m.state;
        st->read_only = m.state == VOL_MOUNT_OK && m.read_only;
        if (m.state == VOL_MOUNT_OK || m.state == VOL_MOUNT_HELD) {
                struct vol_holder *h = NULL;
                r = vol_find_holders(proc_fd, st->dev.devno, self, m.state == VOL_MOUNT_HELD ? VOL_FIND_NAMESPACES : 0,
                                     &h, &st->n_holders);
                if (r < 0)
                        st->holders_error = r;
                vol_holders_free(h, st->n_holders);
        }
        return m.state == VOL_MOUNT_OK ? OCF_SUCCESS : m.state == VOL_MOUNT_NONE ? OCF_NOT_RUNNING : OCF_ERR_GENERIC;
}

struct json_object *vol_status_to_json(const struct vol_settings *s, const struct vol_status *st) {
        struct json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_string(o, "device", s->device);
        add_string(o, "devname", st->dev.devname);
        add_string(o, "fstype", st->dev.fstype);
        add_string(o, "mountpoint", s->mountpoint);
        add_string(o, "state", vol_mount_state_to_string(st->state));
        json_object_object_add(o, "mounted", json_object_new_boolean(st->state == VOL_MOUNT_OK));
        json_object_object_add(o, "read_only", json_object_new_boolean(st->read_only));
        if (st->where)
                add_string(o, "where", st->where);
        json_object_object_add(o, "holders", json_object_new_int((int) st->n_holders));
        return o;
}

/* ----------------------------------------------------------------- monitor */

void vol_monitor_done(struct vol_monitor *mon) {
        if (!mon)
                return;
        free(mon->target);
        vol_mounted_done(&mon->m);
        free(mon->error);
        *mon = (struct vol_monitor) {};
}

int vol_monitor(const struct vol_settings *s, int proc_fd, int depth, struct vol_monitor *mon) {
        *mon = (struct vol_monitor) { .depth = depth, .m.state = VOL_MOUNT_NONE };
        int r = vol_mountpoint_resolve(s->mountpoint, &mon->target);
        if (r == -ENOENT)
                return OCF_NOT_RUNNING;
        if (r < 0)
                return target_failed(s, r, &mon->error);
        /* where the volume stands, from the mount table and the mounted device alone */
        r = vol_mounted(proc_fd, s->device, s->fstype, mon->target, &mon->m);
        if (r < 0) {
                set_reason(&mon->error, "%s", mon->m.reason ? mon->m.reason : strerror(-r));
                /* as find_device(): the volume with the wrong type is a configuration error */
                return r == -EMEDIUMTYPE || r == -ENOTBLK || r == -EINVAL ? OCF_ERR_CONFIGURED : OCF_ERR_GENERIC;
        }
        const struct vol_mounted *m = &mon->m;
        if (m->state == VOL_MOUNT_NONE)
                return OCF_NOT_RUNNING;
        if (m->state == VOL_MOUNT_ELSEWHERE)
                return set_reason(&mon->error, "%s (%s) is mounted at %s, not at %s", s->device, m->dev.devname, m->where,
                                  mon->target),
                       OCF_ERR_GENERIC;
        if (m->state == VOL_MOUNT_OTHER)
                return set_reason(&mon->error, "another filesystem (%s) is mounted at %s%s%s", m->where ? m->where : "?",
                                  mon->target, m->reason ? ": " : "", m->reason ? m->reason : ""),
                       OCF_ERR_GENERIC;
        if (depth >= 10 && (r = vol_read_block(m->dev.devname)) < 0)
                return set_reason(&mon->error, "depth 10: reading a block of %s with O_DIRECT failed: %s",
                                  m->dev.devname, strerror(-r)),
                       OCF_ERR_GENERIC;
        if (depth >= 20) {
                r = vol_write_probe(mon->target);
                if (r == -EROFS)
                        mon->note = "read-only mount: the depth-20 write test was skipped (as resource-agents' "
                                    "Filesystem does)";
                else if (r < 0)
                        return set_reason(&mon->error, "depth 20: the probe file in %s/%s failed: %s", mon->target,
                                          VOL_PROBE_DIR, strerror(-r)),
                               OCF_ERR_GENERIC;
        }
        return OCF_SUCCESS;
}

struct json_object *vol_monitor_to_json(const struct vol_monitor *mon) {
        struct json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "ok", json_object_new_boolean(true));
        json_object_object_add(o, "depth", json_object_new_int(mon->depth));
        json_object_object_add(o, "read_only", json_object_new_boolean(mon->m.read_only));
        add_string(o, "write_test", mon->depth < 20 ? "not-run" : mon->note ? "skipped-read-only" : "passed");
        return o;
}

char *vol_agent_metadata(const char *version) {
        return strprintf(
                "<?xml version=\"1.0\"?>\n"
                "<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"
                "<resource-agent name=\"volume\" version=\"%s\">\n"
                "<version>1.1</version>\n"
                "<longdesc lang=\"en\">\n"
                "The shared volume of a tandem group: found with libblkid by UUID, LABEL, PARTUUID or path,\n"
                "checked by the fsck policy and mounted onto the mount point held open since it was checked.\n"
                "When the group configuration has fence devices, start refuses to mount (or to call a mounted\n"
                "volume started) unless this node's key holds the reservation on all of them.\n"
                "stop syncs, ends the processes that hold the filesystem, in any thread or mount namespace\n"
                "(TERM, then KILL after stop_timeout), and unmounts it, never lazily, until its device can be\n"
                "opened exclusively; a failed stop leaves the reservation alone.\n"
                "monitor depth 0: mounted at the right place from the right device; 10: reads a block with\n"
                "O_DIRECT; 20: writes, fsyncs, reads back and removes a probe file in .tandem-monitor/\n"
                "(skipped on a read-only mount). All logic is in tandem-volume(8).\n"
                "</longdesc>\n"
                "<shortdesc lang=\"en\">tandem shared volume</shortdesc>\n"
                "<parameters>\n"
                "<parameter name=\"device\" unique=\"1\" required=\"1\">\n"
                "<longdesc lang=\"en\">The device: UUID=..., LABEL=..., PARTUUID=... or a /dev path. A tag that\n"
                "matches two devices is refused.</longdesc>\n"
                "<shortdesc lang=\"en\">device</shortdesc>\n"
                "<content type=\"string\"/>\n"
                "</parameter>\n"
                "<parameter name=\"fstype\" required=\"1\">\n"
                "<longdesc lang=\"en\">The filesystem type the device must have (ext4, xfs, ...).</longdesc>\n"
                "<shortdesc lang=\"en\">filesystem type</shortdesc>\n"
                "<content type=\"string\"/>\n"
                "</parameter>\n"
                "<parameter name=\"mountpoint\" unique=\"1\" required=\"1\">\n"
                "<longdesc lang=\"en\">Where to mount it: an existing directory, not a symbolic link.</longdesc>\n"
                "<shortdesc lang=\"en\">mount point</shortdesc>\n"
                "<content type=\"string\"/>\n"
                "</parameter>\n"
                "<parameter name=\"options\">\n"
                "<longdesc lang=\"en\">Mount options, comma-separated.</longdesc>\n"
                "<shortdesc lang=\"en\">mount options</shortdesc>\n"
                "<content type=\"string\" default=\"defaults\"/>\n"
                "</parameter>\n"
                "<parameter name=\"fsck\">\n"
                "<longdesc lang=\"en\">auto: e2fsck -p for ext2/3/4, nothing for xfs; always; never.</longdesc>\n"
                "<shortdesc lang=\"en\">fsck policy</shortdesc>\n"
                "<content type=\"string\" default=\"auto\"/>\n"
                "</parameter>\n"
                "<parameter name=\"stop_timeout\">\n"
                "<longdesc lang=\"en\">How long the processes holding the filesystem get after SIGTERM before\n"
                "SIGKILL, e.g. 30s.</longdesc>\n"
                "<shortdesc lang=\"en\">holder stop timeout</shortdesc>\n"
                "<content type=\"string\" default=\"30s\"/>\n"
                "</parameter>\n"
                "<parameter name=\"group\">\n"
                "<longdesc lang=\"en\">A tandem group: /etc/tandem/GROUP.conf supplies the fence devices for the\n"
                "interlock and defaults for the volume keys.</longdesc>\n"
                "<shortdesc lang=\"en\">tandem group</shortdesc>\n"
                "<content type=\"string\"/>\n"
                "</parameter>\n"
                "<parameter name=\"config\">\n"
                "<longdesc lang=\"en\">A group configuration file, instead of group.</longdesc>\n"
                "<shortdesc lang=\"en\">configuration file</shortdesc>\n"
                "<content type=\"string\"/>\n"
                "</parameter>\n"
                "<parameter name=\"force\">\n"
                "<longdesc lang=\"en\">Mount even when this node does not hold the reservation (logged).</longdesc>\n"
                "<shortdesc lang=\"en\">override the fence interlock</shortdesc>\n"
                "<content type=\"boolean\" default=\"false\"/>\n"
                "</parameter>\n"
                "</parameters>\n"
                "<actions>\n"
                "<action name=\"start\" timeout=\"120s\"/>\n"
                "<action name=\"stop\" timeout=\"120s\"/>\n"
                "<action name=\"monitor\" timeout=\"40s\" interval=\"20s\" depth=\"0\"/>\n"
                "<action name=\"monitor\" timeout=\"40s\" interval=\"60s\" depth=\"10\"/>\n"
                "<action name=\"monitor\" timeout=\"40s\" interval=\"120s\" depth=\"20\"/>\n"
                "<action name=\"meta-data\" timeout=\"5s\"/>\n"
                "<action name=\"validate-all\" timeout=\"20s\"/>\n"
                "</actions>\n"
                "</resource-agent>\n",
                version ? version : "");
}
