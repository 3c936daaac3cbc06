/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The group's fence devices, I1 and I5. See include/tandem/group.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tandem/group-status.h"
#include "tandem/group.h"
#include "tandem/util.h"
#include "tandem/volume.h"

int group_fence_open(const struct cfg_group *g, struct fence *f, char **ret_reason) {
        struct pr_open_args oa = { .initiator = g->fence.initiator, .timeout = g->fence.timeout, .ua_retries = 5 };
        int r;

        *f = (struct fence) {};
        if (!g->fence.present) {
                set_reason(ret_reason, "%s has no [fence] section: this group runs unfenced", g->path);
                return -ENODATA;
        }
        r = fence_open(f, g->fence.devices, g->fence.n_devices, &oa, g->fence.key, g->fence.type,
                       g->fence.aptpl ? PR_FLAG_APTPL : 0);
        f->drain = g->fence.drain;
        if (r < 0) {
                /* The report names the device and why it could not be used. */
                const struct fence_step *s0 = f->report.n > 0 ? &f->report.steps[0] : NULL;
                set_reason(ret_reason, "%s: %s", s0 ? s0->device : "fence devices",
                           s0 && s0->action ? s0->action : strerror(-r));
                fence_done(f);
        }
        return r;
}

int group_fence_read(const struct cfg_group *g, struct group_fence_read *ret, char **ret_reason) {
        *ret = (struct group_fence_read) {};
        int r = group_fence_open(g, &ret->f, ret_reason);
        if (r < 0)
                return r;
        ret->st = calloc(ret->f.n ? ret->f.n : 1, sizeof *ret->st);
        if (!ret->st)
                return -ENOMEM;
        return fence_status(&ret->f, ret->st);
}

void group_fence_read_done(struct group_fence_read *fr) {
        if (fr->st)
                fence_dev_status_done(fr->st, fr->f.n);
        free(fr->st);
        fence_done(&fr->f);
        *fr = (struct group_fence_read) {};
}

int group_interlock_fence(struct fence *f, char **ret_reason) {
        char held[1024] = "";
        struct fence_dev_status *st = calloc(f->n ? f->n : 1, sizeof *st);
        if (!st)
                return -ENOMEM;
        int r = fence_status(f, st);
        bool wrong_type = false;
        for (size_t i = 0; i < f->n; i++) {
                char why[160];
                if (st[i].error < 0)
                        snprintf(why, sizeof why, "%s", strerror(-st[i].error));
                else if (!st[i].registered)
                        snprintf(why, sizeof why, "our key is not registered: this node is fenced");
                else if (!st[i].holder)
                        snprintf(why, sizeof why, "not held by this node");
                else if (st[i].res.type != f->type) {
                        /* Held, but of another type than the group's: under
                         * write exclusive (type 1), say, the peer's writes
                         * are not rejected at all. */
                        snprintf(why, sizeof why, "held as %s, not %s",
                                 pr_type_to_string(st[i].res.type) ?: "an unknown type", pr_type_to_string(f->type));
                        wrong_type = true;
                } else
                        continue;
                size_t len = strlen(held);
                snprintf(held + len, sizeof held - len, "%s%s (%s)", len ? ", " : "", st[i].device, why);
        }
        fence_dev_status_done(st, f->n);
        free(st);
        if (r == 0 && f->n > 0 && !wrong_type)
                return 1;
        set_reason(ret_reason, "%s", f->n > 0 ? held : "no fence devices");
        return 0;
}

int group_interlock(const struct cfg_group *g, bool *ret_unfenced, size_t *ret_n_devices, char **ret_reason) {
        struct fence f;

        if (ret_unfenced)
                *ret_unfenced = !g->fence.present;
        if (!g->fence.present)
                return 1;
        int r = group_fence_open(g, &f, ret_reason);
        if (r < 0)
                return r;
        if (ret_n_devices)
                *ret_n_devices = f.n;
        r = group_interlock_fence(&f, ret_reason);
        fence_done(&f);
        return r;
}

/* Where the volume stands on this node, by its device (I1): a mount point
 * that is missing or covered by another mount does not make it "not
 * mounted", and neither does a mount table without it while the device
 * cannot be opened exclusively (mounted in another mount namespace). */
/* exclusive: "not mounted" also needs the device to open exclusively (the
 * release, I5: nothing may have the filesystem, anywhere in this kernel);
 * otherwise a process we can see must have it mounted (VOL_STATE_EXCLUSIVE
 * in vol_device_state()). */
static void read_volume(const struct cfg_group *g, struct gs_status *s, bool exclusive) {
        _cleanup_free_ char *target = NULL;
        struct vol_device d = {};
        struct vol_mount_match m = { .state = VOL_MOUNT_NONE };
        bool missing = false;
        char *why = NULL;
        int procfd, r;

        r = vol_mountpoint_resolve(g->volume.mountpoint, &target);
        if (r == -ENOENT) {
                /* missing, or shadowed: look for the device all the same, against the configured path */
                missing = true;
                if (!(target = strdup(g->volume.mountpoint))) {
                        s->volume_error = -ENOMEM;
                        return;
                }
        } else if (r < 0) {
                s->volume_error = r;
                s->volume_reason = strprintf("mount point %s: %s", g->volume.mountpoint, strerror(-r));
                return;
        }
        procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (procfd < 0) {
                s->volume_error = -errno;
                s->volume_reason = strprintf("/proc: %s", strerror(errno));
                return;
        }
        r = vol_lookup(g->volume.device, g->volume.fstype, &d, &why);
        if (r < 0) {
                /* No device: it cannot be mounted, but the mount point may hold another filesystem. */
                if (missing)
                        s->volume_reason = strprintf("the mount point %s does not exist, and %s", g->volume.mountpoint,
                                                     why ? why : strerror(-r));
                else
                        s->volume_reason = strprintf("%s", why ? why : strerror(-r));
                free(why);
                if (vol_mount_state(procfd, (dev_t) -1, target, &m, NULL) == 0 && m.state == VOL_MOUNT_NONE)
                        s->volume_state = strdup_null(vol_mount_state_to_string(VOL_MOUNT_NONE));
                else
                        s->volume_error = r;
                close(procfd);
                return;
        }
        s->volume_devname = strdup_null(d.devname);
        r = vol_device_state(procfd, &d, target, exclusive ? VOL_STATE_EXCLUSIVE : 0, &m, &s->volume_where);
        close(procfd);
        vol_device_done(&d);
        if (r < 0) {
                s->volume_error = r;
                s->volume_reason = strprintf("cannot tell whether the volume is in use: %s", strerror(-r));
                return;
        }
        s->volume_state = strdup_null(vol_mount_state_to_string(m.state));
        s->volume_mounted = m.state == VOL_MOUNT_OK;
        s->volume_read_only = m.state == VOL_MOUNT_OK && m.read_only;
        if (m.state == VOL_MOUNT_NONE && missing)
                s->volume_reason = strprintf("the mount point %s does not exist", g->volume.mountpoint);
}

void gs_read_volume(const struct cfg_group *g, struct gs_status *s) {
        read_volume(g, s, false);
}

static int volume_unmounted(const struct cfg_group *g, bool exclusive, char **ret_reason);

int group_volume_unmounted(const struct cfg_group *g, char **ret_reason) {
        return volume_unmounted(g, true, ret_reason);
}

static int volume_unmounted(const struct cfg_group *g, bool exclusive, char **ret_reason) {
        struct gs_status s = {};
        int r = 0;

        if (!g->volume.present)
                return 0;
        read_volume(g, &s, exclusive);
        if (s.volume_error < 0 || !s.volume_state) {
                set_reason(ret_reason, "the volume's state cannot be read (%s)",
                           s.volume_reason ? s.volume_reason : strerror(s.volume_error < 0 ? -s.volume_error : ENOMEM));
                r = -EBUSY;
        } else if (strcmp(s.volume_state, vol_mount_state_to_string(VOL_MOUNT_HELD)) == 0) {
                /* not in our mount table, or not reachable there, but the kernel still has it */
                set_reason(ret_reason, "the volume is still in use on this node: %s",
                           s.volume_where ? s.volume_where : "its device cannot be opened exclusively");
                r = -EBUSY;
        } else if (strcmp(s.volume_state, vol_mount_state_to_string(VOL_MOUNT_NONE)) != 0) {
                set_reason(ret_reason, "the volume is %s%s%s", strcmp(s.volume_state, "mounted") == 0 ? "still " : "",
                           s.volume_state, s.volume_where ? " " : "");
                if (s.volume_where) {
                        _cleanup_free_ char *w = NULL;
                        if (asprintf(&w, "%s(%s)", *ret_reason ? *ret_reason : "", s.volume_where) >= 0 && ret_reason) {
                                free(*ret_reason);
                                *ret_reason = TAKE_PTR(w);
                        }
                }
                r = -EBUSY;
        }
        free(s.volume_reason);
        free(s.volume_devname);
        free(s.volume_state);
        free(s.volume_where);
        return r;
}

int group_preflight(const struct cfg_group *g, char **ret_reason) {
        if (g->fence.present) {
                struct group_fence_read fr;
                int r = group_fence_read(g, &fr, ret_reason);
                if (r < 0 && !fr.st) {
                        if (!ret_reason || !*ret_reason)
                                set_reason(ret_reason, "cannot use the fence devices: %s", strerror(-r));
                        else {
                                _cleanup_free_ char *w = TAKE_PTR(*ret_reason);
                                set_reason(ret_reason, "cannot use the fence devices: %s", w);
                        }
                        group_fence_read_done(&fr);
                        return r;
                }
                r = 0;
                for (size_t i = 0; i < fr.f.n; i++) {
                        const struct fence_dev_status *d = &fr.st[i];
                        if (d->error < 0) {
                                set_reason(ret_reason, "fence device %s cannot be read: %s", d->device,
                                           strerror(-d->error));
                                r = d->error;
                                break;
                        }
                        if (!d->registered) {
                                set_reason(ret_reason, "this node's key is not registered on %s: this node is "
                                           "fenced (`tandem unfence` registers it again)", d->device);
                                r = -EPERM;
                                break;
                        }
                }
                group_fence_read_done(&fr);
                if (r < 0)
                        return r;
        }
        if (g->volume.present) {
                struct vol_device d = {};
                _cleanup_free_ char *why = NULL;
                int r = vol_lookup(g->volume.device, g->volume.fstype, &d, &why);
                vol_device_done(&d);
                if (r < 0) {
                        set_reason(ret_reason, "the volume: %s", why ? why : strerror(-r));
                        return r;
                }
        }
        return 0;
}

int group_unfence_allowed(const struct cfg_group *g, char **ret_reason) {
        _cleanup_free_ char *why = NULL;
        if (!g || volume_unmounted(g, false, &why) == 0)
                return 0;
        set_reason(ret_reason, "refusing to unfence (I7): %s on this node; a fenced node must not become a writer "
                   "again with its filesystem mounted. Unmount it first (tandem-volume umount)",
                   why ? why : "the volume's state is unknown");
        return -EBUSY;
}
