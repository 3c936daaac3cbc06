/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tandem-volume: find, check, mount, unmount and monitor a group's shared
 * volume; also the OCF resource agent `volume` (the `ocf` command). A thin
 * main over storage/volume*.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tandem/cli.h"
#include "tandem/group.h"
#include "tandem/ocf.h"
#include "tandem/util.h"
#include "tandem/volume.h"

/* tandem-volume's own exit code beyond the shared ones (tandem-volume(8)). */
enum {
        EXIT_NOT_RUNNING = 7,   /* status, monitor: the volume is not mounted (as OCF_NOT_RUNNING) */
};

#define MSGID_VOLUME "5e0c7a2b9d4f4c1e8a6b3d2f1e0c9b8a"

struct ctx {
        /* what to work on, after the config and the overrides */
        const char *device, *fstype, *mountpoint, *options;
        enum cfg_fsck fsck;
        usec_t stop_timeout;
        bool force;
        int depth;
        const struct cfg_group *g;      /* NULL: no group configuration */
        const char *procroot;
        int proc_fd;
        bool json, ocf;
};

static void usage(FILE *f) {
        fputs("Usage: tandem-volume [OPTIONS] COMMAND\n"
              "\n"
              "Find, check, mount, unmount and monitor a tandem group's shared volume.\n"
              "\n"
              "Commands:\n"
              "  mount             check the fence reservation, fsck by policy, mount (idempotent)\n"
              "  umount            sync, end the processes that hold it (TERM, then KILL after\n"
              "                    stop_timeout), unmount (idempotent; never lazy)\n"
              "  status            device, type, mount point, mounted, read-only, holders\n"
              "  monitor           check the volume at --depth 0, 10 or 20\n"
              "  ocf ACTION        act as the OCF resource agent `volume` (OCF_RESKEY_*)\n"
              "\n"
              "Options:\n"
              "      --device SPEC       UUID=..., LABEL=..., PARTUUID=... or a /dev path\n"
              "      --mountpoint DIR    where to mount it\n"
              "      --fstype TYPE       the filesystem type it must have (ext4, xfs, ...)\n"
              "      --options OPTS      mount options (default: the config's, or defaults)\n"
              "      --fsck POLICY       auto, always or never (default: the config's, or auto)\n"
              "      --stop-timeout T    how long holders get after TERM before KILL\n"
              "  -f, --force             mount even when this node does not hold the reservation\n"
              "      --depth N           monitor depth: 0 mounted, 10 read a block, 20 write a file\n"
              "      --procroot DIR      read processes and mounts from DIR (default: /proc)\n" CLI_COMMON_HELP
              "\n"
              "Exit status: 0 done (status, monitor: mounted and well), 1 failed, 2 usage,\n"
              "7 not mounted (status, monitor). The ocf command exits with OCF codes.\n"
              "See tandem-volume(8).\n",
              f);
}

/* Logs the failure once; for OCF also the exit reason Pacemaker shows. Returns code. */
static int fail(const struct ctx *c, int code, const char *fmt, ...) _printf_(3, 4);
static int fail(const struct ctx *c, int code, const char *fmt, ...) {
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        log_error("%s", buf);
        if (c->ocf)
                ocf_exit_reason(code, "%s", buf);
        return code;
}

/* Checks what the config and the overrides give. Returns OCF_SUCCESS or OCF_ERR_CONFIGURED. */
static int check_settings(const struct ctx *c) {
        const char *why = NULL;
        struct volspec s;
        if (!c->device || !c->fstype || !c->mountpoint)
                return fail(c, OCF_ERR_CONFIGURED, "the volume needs a device, an fstype and a mountpoint%s",
                            c->ocf ? " (OCF_RESKEY_device, fstype, mountpoint)" : " ([volume] or --device, --fstype, --mountpoint)");
        if (volspec_parse(c->device, &s, &why) < 0)
                return fail(c, OCF_ERR_CONFIGURED, "device '%s': %s", c->device, why);
        if (volspec_check_fstype(c->fstype, &why) < 0)
                return fail(c, OCF_ERR_CONFIGURED, "fstype '%s': %s", c->fstype, why);
        if (volspec_check_mountpoint(c->mountpoint, &why) < 0)
                return fail(c, OCF_ERR_CONFIGURED, "mountpoint '%s': %s", c->mountpoint, why);
        if (volspec_check_options(c->options, &why) < 0)
                return fail(c, OCF_ERR_CONFIGURED, "options '%s': %s", c->options, why);
        return OCF_SUCCESS;
}

/* Finds the device; maps the failures to results. */
static int lookup(const struct ctx *c, struct vol_device *d) {
        _cleanup_free_ char *why = NULL;
        int r = vol_lookup(c->device, c->fstype, d, &why);
        if (r == 0)
                return OCF_SUCCESS;
        int code = r == -ENOENT ? OCF_ERR_INSTALLED
                   : r == -ENOTUNIQ || r == -EMEDIUMTYPE || r == -ENOTBLK || r == -EINVAL ? OCF_ERR_CONFIGURED
                                                                                         : OCF_ERR_GENERIC;
        return fail(c, code, "%s", why ? why : strerror(-r));
}

/* The mount point, canonical. Returns OCF_SUCCESS, or a failure (missing: OCF_ERR_INSTALLED). */
static int mountpoint(const struct ctx *c, char **ret) {
        int r = vol_mountpoint_resolve(c->mountpoint, ret);
        if (r == -ELOOP)
                return fail(c, OCF_ERR_CONFIGURED, "mountpoint %s is a symbolic link; refusing it (name the real directory)",
                            c->mountpoint);
        if (r == -ENOTDIR)
                return fail(c, OCF_ERR_CONFIGURED, "mountpoint %s is not a directory", c->mountpoint);
        if (r == -ENOENT)
                return fail(c, OCF_ERR_INSTALLED, "mountpoint %s does not exist; create it on both nodes", c->mountpoint);
        if (r < 0)
                return fail(c, OCF_ERR_GENERIC, "mountpoint %s: %s", c->mountpoint, strerror(-r));
        return OCF_SUCCESS;
}

/* I1: mount only while this node's key holds the reservation on every fence device. */
static int fence_interlock(const struct ctx *c) {
        const struct cfg_group *g = c->g;
        if (!g) {
                log_warning("no group configuration: the fence interlock cannot be checked; mounting %s UNFENCED",
                            c->device);
                return OCF_SUCCESS;
        }
        if (!g->fence.present) {
                log_warning("%s has no [fence] section: this group runs unfenced; mounting %s without a reservation",
                            g->path, c->device);
                return OCF_SUCCESS;
        }
        _cleanup_free_ char *held = NULL;
        size_t nd = 0;
        int r = group_interlock(g, NULL, &nd, &held);
        if (r < 0) {
                /* held names the device and why it could not be used. */
                const char *what = held ? held : strerror(-r);
                if (c->force) {
                        log_warning("--force: the fence devices cannot be used (%s); mounting anyway", what);
                        return OCF_SUCCESS;
                }
                return fail(c, OCF_ERR_GENERIC, "refusing to mount: the fence devices cannot be used (%s), so the "
                            "reservation cannot be checked (I1)", what);
        }
        if (r == 1) {
                log_info("this node holds the reservation on all %zu fence device(s)", nd);
                return OCF_SUCCESS;
        }
        if (c->force) {
                const struct log_field fields[] = { { "TANDEM_DEVICE", c->device } };
                log_struct(LOG_WARNING, 0, MSGID_VOLUME, fields, ELEMENTSOF(fields),
                           "--force: mounting %s although this node does not hold the reservation everywhere: %s",
                           c->device, held);
                return OCF_SUCCESS;
        }
        return fail(c, OCF_ERR_GENERIC,
                    "refusing to mount %s: this node's key does not hold the reservation on every fence device: %s "
                    "(run tandem-fence takeover first, or --force)",
                    c->device, held);
}

static int run_fsck(const struct ctx *c, const struct vol_device *d) {
        const char *argv[VOL_FSCK_ARGV_MAX];
        char desc[256];
        int r = vol_fsck_command(c->fsck, c->fstype, d->devname, argv);
        if (r == -EOPNOTSUPP)
                return fail(c, OCF_ERR_CONFIGURED, "fsck = always: tandem knows no checker for %s", c->fstype);
        if (r < 0)
                return fail(c, OCF_ERR_GENERIC, "fsck: %s", strerror(-r));
        if (r == 0) {
                log_debug("fsck: policy %s, type %s: no check", cfg_fsck_to_string(c->fsck), c->fstype);
                return OCF_SUCCESS;
        }
        int status;
        log_info("fsck: running %s %s %s", argv[0], argv[1], argv[2]);
        r = vol_fsck_run(argv, &status);
        if (r == -ENOENT)
                return fail(c, OCF_ERR_INSTALLED, "fsck: %s is not installed", argv[0]);
        if (r < 0)
                return fail(c, OCF_ERR_GENERIC, "fsck: cannot run %s: %s", argv[0], strerror(-r));
        enum vol_fsck_verdict v = vol_fsck_classify(status);
        vol_fsck_describe(status, desc, sizeof desc);
        if (!vol_fsck_mountable(v))
                return fail(c, OCF_ERR_GENERIC, "fsck of %s: exit %s; not mounting it", d->devname, desc);
        if (v == VOL_FSCK_CLEAN)
                log_info("fsck of %s: exit %s", d->devname, desc);
        else
                log_warning("fsck of %s: exit %s; mounting it", d->devname, desc);
        return OCF_SUCCESS;
}

static int cmd_mount(const struct ctx *c) {
        struct vol_device d = {};
        _cleanup_free_ char *target = NULL, *where = NULL, *why = NULL;
        struct vol_mount_match m;
        int r;

        if ((r = mountpoint(c, &target)) != OCF_SUCCESS || (r = lookup(c, &d)) != OCF_SUCCESS)
                return r;
        r = vol_mount_state(c->proc_fd, d.devno, target, &m, &where);
        if (r < 0) {
                r = fail(c, OCF_ERR_GENERIC, "cannot read the mount table: %s", strerror(-r));
                goto out;
        }
        if (m.state == VOL_MOUNT_OK) {
                log_info("%s (%s) is already mounted at %s", c->device, d.devname, target);
                r = OCF_SUCCESS;
                goto out;
        }
        if (m.state == VOL_MOUNT_ELSEWHERE) {
                r = fail(c, OCF_ERR_GENERIC, "%s (%s) is already mounted at %s, not at %s", c->device, d.devname, where, target);
                goto out;
        }
        if (m.state == VOL_MOUNT_OTHER) {
                r = fail(c, OCF_ERR_GENERIC, "%s already has another filesystem mounted on it (%s)", target,
                         where ? where : "?");
                goto out;
        }
        if ((r = fence_interlock(c)) != OCF_SUCCESS || (r = run_fsck(c, &d)) != OCF_SUCCESS)
                goto out;
        r = vol_mount(&d, target, c->fstype, c->options, &why);
        if (r < 0) {
                r = fail(c, OCF_ERR_GENERIC, "mount %s on %s: %s", d.devname, target, why ? why : strerror(-r));
                goto out;
        }
        r = vol_mount_state(c->proc_fd, d.devno, target, &m, NULL);
        if (r < 0 || m.state != VOL_MOUNT_OK) {
                r = fail(c, OCF_ERR_GENERIC, "mounted %s on %s, but the mount table does not show it there", d.devname, target);
                goto out;
        }
        log_notice("mounted %s (%s, %s) at %s%s", c->device, d.devname, c->fstype, target,
                   m.read_only ? " read-only" : "");
        r = OCF_SUCCESS;
out:
        vol_device_done(&d);
        return r;
}

static void print_umount_report(const struct ctx *c, const struct vol_umount_report *rep, int rc) {
        char why[96];
        if (c->json && !c->ocf) {
                struct json_object *o = json_object_new_object(), *a = json_object_new_array();
                json_object_object_add(o, "command", json_object_new_string("umount"));
                json_object_object_add(o, "ok", json_object_new_boolean(rc == OCF_SUCCESS));
                json_object_object_add(o, "unmounted", json_object_new_boolean(rep->unmounted));
                if (rep->reason)
                        json_object_object_add(o, "error", json_object_new_string(rep->reason));
                for (size_t i = 0; i < rep->n_holders; i++) {
                        const struct vol_holder *h = &rep->holders[i];
                        struct json_object *x = json_object_new_object();
                        json_object_object_add(x, "pid", json_object_new_int(h->pid));
                        json_object_object_add(x, "comm", json_object_new_string(h->comm));
                        json_object_object_add(x, "held_by", json_object_new_string(vol_held_describe(h->why, why, sizeof why)));
                        json_object_object_add(x, "spared", json_object_new_boolean(h->spared));
                        json_object_object_add(x, "ended", json_object_new_string(vol_ended_to_string(h->ended)));
                        json_object_array_add(a, x);
                }
                json_object_object_add(o, "holders", a);
                (void) out_json_print(o);
                json_object_put(o);
        }
        for (size_t i = 0; i < rep->n_holders; i++) {
                const struct vol_holder *h = &rep->holders[i];
                char pid[16];
                snprintf(pid, sizeof pid, "%d", (int) h->pid);
                const struct log_field fields[] = { { "TANDEM_DEVICE", c->device }, { "TANDEM_PID", pid } };
                vol_held_describe(h->why, why, sizeof why);
                if (h->ended == VOL_ENDED_TERM || h->ended == VOL_ENDED_KILL)
                        log_struct(LOG_NOTICE, 0, MSGID_VOLUME, fields, ELEMENTSOF(fields),
                                   "ended PID %d (%s), which held %s by %s, with SIG%s", (int) h->pid, h->comm,
                                   c->mountpoint, why, vol_ended_to_string(h->ended));
                else if (h->ended == VOL_ENDED_GONE)
                        log_info("PID %d (%s), which held %s by %s, went away by itself", (int) h->pid, h->comm,
                                 c->mountpoint, why);
                else
                        log_warning("PID %d (%s) holds %s by %s%s", (int) h->pid, h->comm, c->mountpoint, why,
                                    h->spared ? " and is never signalled" : " and did not go");
        }
}

static int cmd_umount(const struct ctx *c) {
        struct vol_device d = {};
        _cleanup_free_ char *target = NULL;
        struct vol_umount_report rep = {};
        int r;

        r = vol_mountpoint_resolve(c->mountpoint, &target);
        if (r == -ENOENT) {
                log_info("%s does not exist, so nothing is mounted there", c->mountpoint);
                return OCF_SUCCESS;
        }
        if (r < 0 && (r = mountpoint(c, &target)) != OCF_SUCCESS)
                return r;
        r = lookup(c, &d);
        if (r != OCF_SUCCESS) {
                /* Without the device we cannot tell what is mounted there. */
                struct vol_mount_match m;
                if (vol_mount_state(c->proc_fd, (dev_t) -1, target, &m, NULL) == 0 && m.state == VOL_MOUNT_NONE) {
                        log_info("nothing is mounted at %s", target);
                        return OCF_SUCCESS;
                }
                return r == OCF_ERR_INSTALLED ? OCF_ERR_GENERIC : r;
        }
        r = vol_umount(c->proc_fd, target, d.devno, c->stop_timeout, sleep_usec, &rep);
        int rc = r == 0 ? OCF_SUCCESS : OCF_ERR_GENERIC;
        print_umount_report(c, &rep, rc);
        if (r < 0)
                fail(c, OCF_ERR_GENERIC, "unmounting %s from %s failed: %s; the reservation must stay", d.devname, target,
                     rep.reason ? rep.reason : strerror(-r));
        else if (rep.unmounted)
                log_notice("unmounted %s (%s) from %s", c->device, d.devname, target);
        else
                log_info("%s (%s) is not mounted", c->device, d.devname);
        vol_umount_report_done(&rep);
        vol_device_done(&d);
        return rc;
}

/* status and monitor: the state of the volume. Fills *ret_m and *ret_d. */
static int inspect(const struct ctx *c, char **target, struct vol_device *d, struct vol_mount_match *m, char **where) {
        int r = vol_mountpoint_resolve(c->mountpoint, target);
        if (r == -ENOENT) {
                *m = (struct vol_mount_match) { .state = VOL_MOUNT_NONE };
                return OCF_NOT_RUNNING;
        }
        if (r < 0 && (r = mountpoint(c, target)) != OCF_SUCCESS)
                return r;
        r = lookup(c, d);
        if (r != OCF_SUCCESS) {
                struct vol_mount_match mm;
                if (vol_mount_state(c->proc_fd, (dev_t) -1, *target, &mm, NULL) == 0 && mm.state == VOL_MOUNT_NONE) {
                        *m = mm;
                        return OCF_NOT_RUNNING;
                }
                return r == OCF_ERR_INSTALLED ? OCF_ERR_GENERIC : r;
        }
        r = vol_mount_state(c->proc_fd, d->devno, *target, m, where);
        if (r < 0)
                return fail(c, OCF_ERR_GENERIC, "cannot read the mount table: %s", strerror(-r));
        return OCF_SUCCESS;
}

static int cmd_status(const struct ctx *c) {
        _cleanup_free_ char *target = NULL, *where = NULL;
        struct vol_device d = {};
        struct vol_mount_match m = { .state = VOL_MOUNT_NONE };
        struct vol_holder *h = NULL;
        size_t nh = 0;
        int r = inspect(c, &target, &d, &m, &where);
        if (r != OCF_SUCCESS && r != OCF_NOT_RUNNING) {
                vol_device_done(&d);
                return r;
        }
        if (m.state == VOL_MOUNT_OK) {
                r = vol_find_holders(c->proc_fd, d.devno, getpid(), &h, &nh);
                if (r < 0)
                        log_warning_errno(r, "cannot list the processes using %s", target);
        }
        int rc = m.state == VOL_MOUNT_OK ? OCF_SUCCESS : m.state == VOL_MOUNT_NONE ? OCF_NOT_RUNNING : OCF_ERR_GENERIC;
        if (c->json) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "device", json_object_new_string(c->device));
                json_object_object_add(o, "devname", d.devname ? json_object_new_string(d.devname) : NULL);
                json_object_object_add(o, "fstype", d.fstype ? json_object_new_string(d.fstype) : NULL);
                json_object_object_add(o, "mountpoint", json_object_new_string(c->mountpoint));
                json_object_object_add(o, "state", json_object_new_string(vol_mount_state_to_string(m.state)));
                json_object_object_add(o, "mounted", json_object_new_boolean(m.state == VOL_MOUNT_OK));
                json_object_object_add(o, "read_only", json_object_new_boolean(m.state == VOL_MOUNT_OK && m.read_only));
                if (where)
                        json_object_object_add(o, "where", json_object_new_string(where));
                json_object_object_add(o, "holders", json_object_new_int((int) nh));
                (void) out_json_print(o);
                json_object_put(o);
        } else {
                printf("device      %s%s%s\n", c->device, d.devname ? " -> " : "", d.devname ? d.devname : "");
                printf("type        %s\n", d.fstype ? d.fstype : "-");
                printf("mountpoint  %s\n", c->mountpoint);
                printf("mounted     %s\n", m.state == VOL_MOUNT_OK ? "yes"
                                           : m.state == VOL_MOUNT_NONE ? "no"
                                           : m.state == VOL_MOUNT_ELSEWHERE ? "elsewhere"
                                                                            : "no (another filesystem is there)");
                if (where)
                        printf("where       %s\n", where);
                printf("read-only   %s\n", m.state == VOL_MOUNT_OK && m.read_only ? "yes" : "no");
                printf("holders     %zu\n", nh);
        }
        free(h);
        vol_device_done(&d);
        return rc;
}

/* monitor: where the volume stands, from the mount table and the mounted
 * device alone; no other disk is probed (vol_mounted()). */
static int watch(const struct ctx *c, char **target, struct vol_mounted *m) {
        int r = vol_mountpoint_resolve(c->mountpoint, target);
        if (r == -ENOENT) {
                m->state = VOL_MOUNT_NONE;
                return OCF_NOT_RUNNING;
        }
        if (r < 0 && (r = mountpoint(c, target)) != OCF_SUCCESS)
                return r;
        r = vol_mounted(c->proc_fd, c->device, c->fstype, *target, m);
        if (r == 0)
                return OCF_SUCCESS;
        /* as lookup(): the volume with the wrong type is a configuration error */
        int code = r == -EMEDIUMTYPE || r == -ENOTBLK || r == -EINVAL ? OCF_ERR_CONFIGURED : OCF_ERR_GENERIC;
        return fail(c, code, "%s", m->reason ? m->reason : strerror(-r));
}

static int cmd_monitor(const struct ctx *c) {
        _cleanup_free_ char *target = NULL;
        struct vol_mounted m = { .state = VOL_MOUNT_NONE };
        const struct vol_device *d = &m.dev;
        const char *note = NULL;
        int r = watch(c, &target, &m);
        if (r == OCF_NOT_RUNNING || (r == OCF_SUCCESS && m.state == VOL_MOUNT_NONE)) {
                if (!c->ocf)
                        log_info("%s is not mounted at %s", c->device, c->mountpoint);
                r = OCF_NOT_RUNNING;
                goto out;
        }
        if (r != OCF_SUCCESS)
                goto out;
        if (m.state == VOL_MOUNT_ELSEWHERE) {
                r = fail(c, OCF_ERR_GENERIC, "%s (%s) is mounted at %s, not at %s", c->device, d->devname, m.where, target);
                goto out;
        }
        if (m.state == VOL_MOUNT_OTHER) {
                r = fail(c, OCF_ERR_GENERIC, "another filesystem (%s) is mounted at %s%s%s", m.where ? m.where : "?", target,
                         m.reason ? ": " : "", m.reason ? m.reason : "");
                goto out;
        }
        if (c->depth >= 10) {
                r = vol_read_block(d->devname);
                if (r < 0) {
                        r = fail(c, OCF_ERR_GENERIC, "depth 10: reading a block of %s with O_DIRECT failed: %s", d->devname,
                                 strerror(-r));
                        goto out;
                }
        }
        if (c->depth >= 20) {
                r = vol_write_probe(target);
                if (r == -EROFS)
                        note = "read-only mount: the depth-20 write test was skipped (as resource-agents' Filesystem does)";
                else if (r < 0) {
                        r = fail(c, OCF_ERR_GENERIC, "depth 20: the probe file in %s/%s failed: %s", target, VOL_PROBE_DIR,
                                 strerror(-r));
                        goto out;
                }
        }
        r = OCF_SUCCESS;
        if (c->json && !c->ocf) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "ok", json_object_new_boolean(true));
                json_object_object_add(o, "depth", json_object_new_int(c->depth));
                json_object_object_add(o, "read_only", json_object_new_boolean(m.read_only));
                json_object_object_add(o, "write_test", json_object_new_string(c->depth < 20 ? "not-run" : note ? "skipped-read-only" : "passed"));
                (void) out_json_print(o);
                json_object_put(o);
        } else if (!c->ocf)
                printf("ok: %s (%s) mounted at %s%s; depth %d passed%s%s\n", c->device, d->devname, target,
                       m.read_only ? " read-only" : "", c->depth, note ? "; " : "", note ? note : "");
        else if (note)
                log_info("%s", note);
out:
        vol_mounted_done(&m);
        return r;
}

/* --- OCF ------------------------------------------------------------------ */

static const char ocf_metadata[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"
        "<resource-agent name=\"volume\" version=\"" TANDEM_VERSION "\">\n"
        "<version>1.1</version>\n"
        "<longdesc lang=\"en\">\n"
        "The shared volume of a tandem group: found with libblkid by UUID, LABEL, PARTUUID or path,\n"
        "checked by the fsck policy and mounted with libmount. When the group configuration has fence\n"
        "devices, start refuses to mount unless this node's key holds the reservation on all of them.\n"
        "stop syncs, ends the processes that hold the filesystem (TERM, then KILL after stop_timeout)\n"
        "and unmounts it, never lazily; a failed stop leaves the reservation alone.\n"
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
        "</resource-agent>\n";

static int parse_depth(const char *s, int *ret) {
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

struct overrides {
        const char *device, *fstype, *mountpoint, *options, *fsck, *stop_timeout;
        bool force;
};

/* Fills c from the group (may be NULL) and the overrides. Returns OCF_SUCCESS or OCF_ERR_CONFIGURED. */
static int settle(struct ctx *c, const struct cfg_group *g, const struct overrides *o) {
        bool vol = g && g->volume.present;
        c->g = g;
        c->device = o->device ? o->device : vol ? g->volume.device : NULL;
        c->fstype = o->fstype ? o->fstype : vol ? g->volume.fstype : NULL;
        c->mountpoint = o->mountpoint ? o->mountpoint : vol ? g->volume.mountpoint : NULL;
        c->options = o->options ? o->options : vol && g->volume.options ? g->volume.options : "defaults";
        c->fsck = vol ? g->volume.fsck : CFG_FSCK_AUTO;
        c->stop_timeout = vol ? g->volume.stop_timeout : 30 * USEC_PER_SEC;
        c->force = o->force;
        if (o->fsck) {
                int i;
                for (i = 0; i < _CFG_FSCK_MAX && strcmp(o->fsck, cfg_fsck_to_string(i)) != 0; i++)
                        ;
                if (i == _CFG_FSCK_MAX)
                        return fail(c, OCF_ERR_CONFIGURED, "fsck '%s': must be auto, always or never", o->fsck);
                c->fsck = (enum cfg_fsck) i;
        }
        if (o->stop_timeout && (cfg_parse_duration(o->stop_timeout, &c->stop_timeout) < 0 ||
                                c->stop_timeout > 3600 * USEC_PER_SEC))
                return fail(c, OCF_ERR_CONFIGURED, "stop_timeout '%s': must be a duration up to 1h, e.g. 30s",
                            o->stop_timeout);
        return check_settings(c);
}

static int open_proc(struct ctx *c) {
        c->proc_fd = open(c->procroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c->proc_fd < 0)
                return fail(c, OCF_ERR_GENERIC, "cannot open %s: %m", c->procroot);
        return OCF_SUCCESS;
}

static int run_ocf(int argc, char **argv, const char *procroot) {
        struct ctx c = { .ocf = true, .procroot = procroot, .proc_fd = -1 };
        struct cfg_group g = { .check_options = volspec_check_options };
        bool have_cfg = false;
        int r;

        if (argc != 1) {
                return ocf_exit_reason(OCF_ERR_ARGS, "usage: tandem-volume ocf ACTION");
        }
        enum ocf_action action = ocf_action_from_string(argv[0]);
        if (action == OCF_ACTION_META_DATA) {
                fputs(ocf_metadata, stdout);
                return OCF_SUCCESS;
        }
        if (action < 0)
                return ocf_exit_reason(OCF_ERR_UNIMPLEMENTED, "action '%s' is not implemented", argv[0]);
        /* Pacemaker reads stderr; the journal gets the rest. */
        log_setup("tandem-volume", ocf_getenv("OCF_TRACE_RA") ? LOG_DEBUG : LOG_INFO, LOG_TARGET_AUTO);

        struct overrides o = {
                .device = ocf_getenv("OCF_RESKEY_device"),
                .fstype = ocf_getenv("OCF_RESKEY_fstype"),
                .mountpoint = ocf_getenv("OCF_RESKEY_mountpoint"),
                .options = ocf_getenv("OCF_RESKEY_options"),
                .fsck = ocf_getenv("OCF_RESKEY_fsck"),
                .stop_timeout = ocf_getenv("OCF_RESKEY_stop_timeout"),
        };
        const char *force = ocf_getenv("OCF_RESKEY_force");
        if (force && cfg_parse_bool(force, &o.force) < 0)
                return fail(&c, OCF_ERR_CONFIGURED, "force '%s': must be true or false", force);
        const char *level = ocf_getenv("OCF_CHECK_LEVEL");
        if (level && parse_depth(level, &c.depth) < 0)
                return fail(&c, OCF_ERR_ARGS, "OCF_CHECK_LEVEL '%s': must be 0, 10 or 20", level);

        const char *group = ocf_getenv("OCF_RESKEY_group"), *config = ocf_getenv("OCF_RESKEY_config");
        if (group || config) {
                struct cli_common cc;
                cli_common_init(&cc);
                cc.group = group;
                cc.config = config;
                if (cli_load_group(&cc, &g) < 0) {
                        cfg_group_done(&g);
                        return fail(&c, OCF_ERR_CONFIGURED, "the group configuration %s is not valid",
                                    config ? config : group);
                }
                have_cfg = true;
        }
        r = settle(&c, have_cfg ? &g : NULL, &o);
        if (r == OCF_SUCCESS && action != OCF_ACTION_VALIDATE_ALL)
                r = open_proc(&c);
        if (r == OCF_SUCCESS) {
                if (action == OCF_ACTION_START)
                        r = cmd_mount(&c);
                else if (action == OCF_ACTION_STOP)
                        r = cmd_umount(&c);
                else if (action == OCF_ACTION_MONITOR)
                        r = cmd_monitor(&c);
        }
        safe_close(c.proc_fd);
        cfg_group_done(&g);
        return r;
}

/* The plain command's exit code for a result. */
static int exit_code(int r) {
        return r == OCF_SUCCESS ? EXIT_OK : r == OCF_NOT_RUNNING ? EXIT_NOT_RUNNING : EXIT_FAILED;
}

int main(int argc, char **argv) {
        enum {
                OPT_DEVICE = _CLI_OPT_NEXT,
                OPT_MOUNTPOINT,
                OPT_FSTYPE,
                OPT_OPTIONS,
                OPT_FSCK,
                OPT_STOP_TIMEOUT,
                OPT_DEPTH,
                OPT_PROCROOT,
        };
        static const struct option longopts[] = {
                CLI_COMMON_LONGOPTS,
                { "device", required_argument, NULL, OPT_DEVICE },
                { "mountpoint", required_argument, NULL, OPT_MOUNTPOINT },
                { "fstype", required_argument, NULL, OPT_FSTYPE },
                { "options", required_argument, NULL, OPT_OPTIONS },
                { "fsck", required_argument, NULL, OPT_FSCK },
                { "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
                { "force", no_argument, NULL, 'f' },
                { "depth", required_argument, NULL, OPT_DEPTH },
                { "procroot", required_argument, NULL, OPT_PROCROOT },
                {},
        };
        struct cli_common common;
        struct overrides o = {};
        struct ctx c = { .procroot = "/proc", .proc_fd = -1 };
        struct cfg_group g = { .check_options = volspec_check_options };
        bool have_cfg = false, depth_set = false;
        int opt, r;

        cli_common_init(&common);
        /* "+": stop at the command, so `ocf monitor` is not read as options */
        while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORTOPTS "f", longopts, NULL)) != -1) {
                switch (opt) {
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                case 'V':
                        printf("tandem-volume %s\n", TANDEM_VERSION);
                        return EXIT_OK;
                case OPT_DEVICE:
                        o.device = optarg;
                        break;
                case OPT_MOUNTPOINT:
                        o.mountpoint = optarg;
                        break;
                case OPT_FSTYPE:
                        o.fstype = optarg;
                        break;
                case OPT_OPTIONS:
                        o.options = optarg;
                        break;
                case OPT_FSCK:
                        o.fsck = optarg;
                        break;
                case OPT_STOP_TIMEOUT:
                        o.stop_timeout = optarg;
                        break;
                case 'f':
                        o.force = true;
                        break;
                case OPT_DEPTH:
                        if (parse_depth(optarg, &c.depth) < 0) {
                                fprintf(stderr, "tandem-volume: --depth must be 0, 10 or 20\n");
                                return EXIT_USAGE;
                        }
                        depth_set = true;
                        break;
                case OPT_PROCROOT:
                        c.procroot = optarg;
                        break;
                default:
                        r = cli_common_opt(&common, opt, optarg);
                        if (r <= 0) {
                                if (r == 0)
                                        usage(stderr);
                                return EXIT_USAGE;
                        }
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "tandem-volume: no command given; see tandem-volume --help\n");
                return EXIT_USAGE;
        }
        const char *cmd = argv[optind];
        if (strcmp(cmd, "ocf") == 0)
                return run_ocf(argc - optind - 1, argv + optind + 1, c.procroot);
        /* The depth may also follow the command: `monitor --depth 20`. */
        if (strcmp(cmd, "monitor") == 0 && optind + 2 < argc && strcmp(argv[optind + 1], "--depth") == 0 &&
            !depth_set) {
                if (parse_depth(argv[optind + 2], &c.depth) < 0) {
                        fprintf(stderr, "tandem-volume: --depth must be 0, 10 or 20\n");
                        return EXIT_USAGE;
                }
                optind += 2;
        }
        static const char *const cmds[] = { "mount", "umount", "status", "monitor" };
        bool known = false;
        for (size_t i = 0; i < ELEMENTSOF(cmds); i++)
                known = known || strcmp(cmd, cmds[i]) == 0;
        if (!known) {
                fprintf(stderr, "tandem-volume: unknown command '%s'; see tandem-volume --help\n", cmd);
                return EXIT_USAGE;
        }
        if (optind + 1 < argc) {
                fprintf(stderr, "tandem-volume: %s takes no argument\n", cmd);
                return EXIT_USAGE;
        }
        cli_common_apply(&common, "tandem-volume");
        c.json = common.json;

        /* The config, unless everything comes from the command line. */
        if (common.config || common.group || !o.device || !o.fstype || !o.mountpoint) {
                if (cli_load_group(&common, &g) < 0) {
                        cfg_group_done(&g);
                        return EXIT_FAILED;
                }
                have_cfg = true;
        }
        r = settle(&c, have_cfg ? &g : NULL, &o);
        if (r == OCF_SUCCESS)
                r = open_proc(&c);
        if (r == OCF_SUCCESS) {
                if (strcmp(cmd, "mount") == 0)
                        r = cmd_mount(&c);
                else if (strcmp(cmd, "umount") == 0)
                        r = cmd_umount(&c);
                else if (strcmp(cmd, "status") == 0)
                        r = cmd_status(&c);
                else
                        r = cmd_monitor(&c);
        }
        safe_close(c.proc_fd);
        cfg_group_done(&g);
        return exit_code(r);
}
