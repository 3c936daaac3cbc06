/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding the volume's device with libblkid. A tag is matched over every
 * block device the kernel lists (blkid_probe_all + blkid_dev_iterate with
 * a tag filter), not with blkid_evaluate_tag(), which returns only one:
 * two devices with one LABEL must be refused, not picked between.
 * Identifying a device already mounted (the monitor) is the other way
 * round: that one device is probed, by its number, and no other. */
#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tandem/util.h"
#include "tandem/volume.h"


void vol_device_done(struct vol_device *d) {
        if (!d)
                return;
        free(d->devname);
        free(d->fstype);
        free(d->uuid);
        free(d->label);
        free(d->partuuid);
        *d = (struct vol_device) {};
}

DEFINE_TRIVIAL_CLEANUP_FUNC(blkid_probe, blkid_free_probe);

/* True when another block device is stacked on devno (a multipath path, an
 * md member): such a device shows the same filesystem as the device on top. */
static bool has_holders(dev_t devno) {
        char path[96];
        snprintf(path, sizeof path, "/sys/dev/block/%u:%u/holders", major(devno), minor(devno));
        DIR *d = opendir(path);
        struct dirent *de;
        bool any = false;
        if (!d)
                return false;
        while (!any && (de = readdir(d)))
                any = de->d_name[0] != '.';
        closedir(d);
        return any;
}

/* Probes name afresh; fills the strings of *ret (devname not set). */
static int probe(const char *name, struct vol_device *ret, char **ret_reason) {
        blkid_probe pr = blkid_new_probe_from_filename(name);
        const char *v;
        int r;

        if (!pr) {
                r = errno > 0 ? -errno : -EIO;
                set_reason(ret_reason, "%s: cannot probe: %s", name, strerror(-r));
                return r;
        }
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE);
        blkid_probe_enable_partitions(pr, 1);
        blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
        r = blkid_do_safeprobe(pr);
        if (r == -2) {
                set_reason(ret_reason, "%s: more than one filesystem signature; refusing to guess", name);
                blkid_free_probe(pr);
                return -EMEDIUMTYPE;
        }
        if (r < 0) {
                set_reason(ret_reason, "%s: probing failed", name);
                blkid_free_probe(pr);
                return -EIO;
        }
        struct vol_device d = {};
        if (r == 0 && blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0 && !(d.fstype = strdup(v)))
                goto oom;
        if (r == 0 && blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0 && !(d.uuid = strdup(v)))
                goto oom;
        if (r == 0 && blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0 && !(d.label = strdup(v)))
                goto oom;
        blkid_free_probe(pr);
        *ret = d;
        return 0;
oom:
        blkid_free_probe(pr);
        vol_device_done(&d);
        return -ENOMEM;
}

/* Every device the kernel lists whose tag matches, deduplicated by devno. */
static int find_tagged(const char *tag, const char *value, char ***ret, size_t *ret_n) {
        blkid_cache cache = NULL;
        blkid_dev_iterate it;
        blkid_dev dev;
        char **names = NULL;
        dev_t *nos = NULL;
        size_t n = 0;
        int r = 0;

        /* "/dev/null": no cache file; every device is probed now. */
        if (blkid_get_cache(&cache, "/dev/null") < 0)
                return -ENOMEM;
        if (blkid_probe_all(cache) < 0) {
                blkid_put_cache(cache);
                return -EIO;
        }
        it = blkid_dev_iterate_begin(cache);
        if (!it || blkid_dev_set_search(it, tag, value) < 0) {
                r = -ENOMEM;
                goto out;
        }
        while (blkid_dev_next(it, &dev) == 0) {
                const char *name = blkid_dev_devname(dev);
                struct stat st;
                bool dup = false;
                if (!name || stat(name, &st) < 0 || !S_ISBLK(st.st_mode))
                        continue;
                for (size_t i = 0; i < n; i++)
                        dup = dup || nos[i] == st.st_rdev;
                if (dup)
                        continue;
                char **nn = realloc(names, (n + 1) * sizeof *nn);
                if (nn)
                        names = nn;
                dev_t *no = realloc(nos, (n + 1) * sizeof *no);
                if (no)
                        nos = no;
                if (!nn || !no || !(names[n] = strdup(name))) {
                        r = -ENOMEM;
                        goto out;
                }
                nos[n++] = st.st_rdev;
        }
        /* Several: drop the ones something is stacked on (multipath paths,
         * md members), as blkid's own priorities would. */
        if (n > 1) {
                size_t k = 0;
                for (size_t i = 0; i < n; i++) {
                        if (has_holders(nos[i])) {
                                free(names[i]);
                                continue;
                        }
                        names[k] = names[i];
                        nos[k++] = nos[i];
                }
                n = k;
        }
out:
        if (it)
                blkid_dev_iterate_end(it);
        blkid_put_cache(cache);
        free(nos);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(names[i]);
                free(names);
                return r;
        }
        *ret = names;
        *ret_n = n;
        return 0;
}

int vol_lookup(const char *spec, const char *fstype, struct vol_device *ret, char **ret_reason) {
        struct volspec s;
        const char *why = NULL;
        _cleanup_free_ char *name = NULL;
        struct stat st;
        int r;

        if (!ret)
                return -EINVAL;
        r = volspec_parse(spec, &s, &why);
        if (r < 0) {
                set_reason(ret_reason, "device '%s': %s", spec ? spec : "", why ? why : strerror(-r));
                return r;
        }
        if (s.tag == VOLSPEC_PATH) {
                if (!(name = strdup(s.value)))
                        return -ENOMEM;
        } else {
                char **names = NULL;
                size_t n = 0;
                r = find_tagged(volspec_tag_to_string(s.tag), s.value, &names, &n);
                if (r < 0) {
                        set_reason(ret_reason, "%s: looking through the block devices failed: %s", spec, strerror(-r));
                        return r;
                }
                if (n == 0) {
                        free(names);
                        set_reason(ret_reason, "%s: no block device has it", spec);
                        return -ENOENT;
                }
                if (n > 1) {
                        size_t len = 1;
                        for (size_t i = 0; i < n; i++)
                                len += strlen(names[i]) + 2;
                        _cleanup_free_ char *list = calloc(1, len);
                        for (size_t i = 0; list && i < n; i++) {
                                if (i)
                                        strcat(list, ", ");
                                strcat(list, names[i]);
                        }
                        set_reason(ret_reason, "%s is ambiguous: %zu devices have it (%s); refusing to pick one", spec,
                                   n, list ? list : "?");
                        for (size_t i = 0; i < n; i++)
                                free(names[i]);
                        free(names);
                        return -ENOTUNIQ;
                }
                name = names[0];
                free(names);
        }
        if (stat(name, &st) < 0) {
                r = -errno;
                set_reason(ret_reason, "%s: %s", name, strerror(-r));
                return r;
        }
        if (!S_ISBLK(st.st_mode)) {
                set_reason(ret_reason, "%s is not a block device", name);
                return -ENOTBLK;
        }

        struct vol_device d = {};
        r = probe(name, &d, ret_reason);
        if (r < 0)
                return r;
        /* The tag was read from the cache a moment ago; check it on the device itself. */
        const char *have = s.tag == VOLSPEC_UUID ? d.uuid : s.tag == VOLSPEC_LABEL ? d.label : NULL;
        if ((s.tag == VOLSPEC_UUID || s.tag == VOLSPEC_LABEL) && (!have || strcmp(have, s.value) != 0)) {
                set_reason(ret_reason, "%s: %s no longer carries %s", spec, name, volspec_tag_to_string(s.tag));
                vol_device_done(&d);
                return -ENOENT;
        }
        if (fstype && (!d.fstype || strcmp(d.fstype, fstype) != 0)) {
                set_reason(ret_reason, "%s (%s) holds %s%s, not the configured %s; refusing it", name, spec,
                           d.fstype ? "a filesystem of type " : "no filesystem blkid knows",
                           d.fstype ? d.fstype : "", fstype);
                vol_device_done(&d);
                return -EMEDIUMTYPE;
        }
        d.devname = TAKE_PTR(name);
        d.devno = st.st_rdev;
        *ret = d;
        return 0;
}

/* --- one mounted device, by its number ------------------------------------ */

/* Opens path when it is the block device node of devno (stat first: a
 * mount's source may name any file, and opening some has effects). Returns
 * an fd, or -1. */
static int open_node(const char *path, dev_t devno) {
        struct stat st;
        if (!path || strncmp(path, "/dev/", 5) != 0 || stat(path, &st) < 0 || !S_ISBLK(st.st_mode) ||
            st.st_rdev != devno)
                return -1;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return -1;
        /* the node may have been replaced in between */
        if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || st.st_rdev != devno) {
                safe_close(fd);
                return -1;
        }
        return fd;
}

/* The node sysfs names for devno: /dev/ + DEVNAME= of its uevent. */
static char *sysfs_node(dev_t devno) {
        char path[96], buf[1024];
        const char *name;
        size_t len;
        snprintf(path, sizeof path, "/sys/dev/block/%u:%u/uevent", major(devno), minor(devno));
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return NULL;
        ssize_t k = read(fd, buf, sizeof buf);
        if (k <= 0 || vol_uevent_devname(buf, (size_t) k, &name, &len) < 0)
                return NULL;
        char *node = NULL;
        if (asprintf(&node, "/dev/%.*s", (int) len, name) < 0)
                return NULL;
        return node;
}

/* Opens the node of devno: hint, /dev/block/MAJ:MIN (udev), or the one
 * sysfs names. Returns an fd with *ret_name, or -ENODEV (no node has that
 * number), or -ENOMEM. */
static int open_devno(dev_t devno, const char *hint, char **ret_name) {
        char link[64];
        _cleanup_free_ char *node = NULL;
        int fd;

        snprintf(link, sizeof link, "/dev/block/%u:%u", major(devno), minor(devno));
        if ((fd = open_node(hint, devno)) >= 0)
                node = strdup(hint);
        else if ((fd = open_node(link, devno)) >= 0)
                node = strdup(link);
        else {
                node = sysfs_node(devno);
                fd = open_node(node, devno);
        }
        if (fd < 0)
                return -ENODEV;
        if (!node) {
                safe_close(fd);
                return -ENOMEM;
        }
        *ret_name = TAKE_PTR(node);
        return fd;
}

static int dup_value(blkid_probe pr, const char *name, char **ret) {
        const char *v;
        if (blkid_probe_lookup_value(pr, name, &v, NULL) < 0)
                return 0;
        return (*ret = strdup(v)) ? 0 : -ENOMEM;
}

/* Probes the open device fd: superblocks (only only_type's prober, when
 * not NULL), and the partition entry when partuuid. Fills the strings of
 * *ret. Returns 0; 1 when nothing (of only_type) is on it; -EMEDIUMTYPE
 * for several signatures; -EIO; -ENOMEM. */
static int probe_fd(int fd, const char *only_type, bool partuuid, struct vol_device *ret) {
        _cleanup_(blkid_free_probep) blkid_probe pr = blkid_new_probe();
        char *types[] = { (char *) only_type, NULL };
        struct vol_device d = {};
        int r;

        if (!pr)
                return -ENOMEM;
        if (blkid_probe_set_device(pr, fd, 0, 0) < 0)
                return -EIO;
        blkid_probe_enable_superblocks(pr, 1);
        blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE);
        if (only_type && blkid_probe_filter_superblocks_type(pr, BLKID_FLTR_ONLYIN, types) < 0)
                return -ENOMEM;
        blkid_probe_enable_partitions(pr, partuuid);
        if (partuuid)
                blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
        r = blkid_do_safeprobe(pr);
        if (r == -2)
                return -EMEDIUMTYPE;
        if (r < 0)
                return -EIO;
        if ((r = dup_value(pr, "TYPE", &d.fstype)) < 0 || (r = dup_value(pr, "UUID", &d.uuid)) < 0 ||
            (r = dup_value(pr, "LABEL", &d.label)) < 0 || (r = dup_value(pr, "PART_ENTRY_UUID", &d.partuuid)) < 0) {
                vol_device_done(&d);
                return r;
        }
        if (!d.fstype) {
                vol_device_done(&d);
                return 1;
        }
        *ret = d;
        return 0;
}

/* What a device holds, in words: "ext4 LABEL=db" */
static void describe(const struct vol_device *d, char *buf, size_t n) {
        snprintf(buf, n, "%s%s%s%s%s%s%s", d->fstype ? d->fstype : "no filesystem blkid knows",
                 d->label ? " LABEL=" : "", d->label ? d->label : "", d->uuid ? " UUID=" : "", d->uuid ? d->uuid : "",
                 d->partuuid ? " PARTUUID=" : "", d->partuuid ? d->partuuid : "");
}

/* vol_identify(); diagnose: on a miss, probe with every prober to tell
 * "the volume, of another type" (-EMEDIUMTYPE) from "another filesystem"
 * (-ENXIO). Without it, a miss is -ENXIO at once. */
static int identify(const char *spec, const char *fstype, dev_t devno, const char *source, bool diagnose,
                    struct vol_device *ret, char **ret_reason) {
        struct volspec s;
        const char *why = NULL;
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int fd = -1;
        struct vol_device d = {};
        char what[512];
        int r;

        if (!ret || !fstype)
                return -EINVAL;
        r = volspec_parse(spec, &s, &why);
        if (r < 0) {
                set_reason(ret_reason, "device '%s': %s", spec ? spec : "", why ? why : strerror(-r));
                return r;
        }
        if (major(devno) == 0) {
                /* tmpfs, overlay, ...: st_dev is an anonymous number */
                set_reason(ret_reason, "it is not on a block device (%u:%u)", major(devno), minor(devno));
                return -ENXIO;
        }
        if (s.tag == VOLSPEC_PATH) {
                struct stat st;
                if (stat(s.value, &st) < 0) {
                        r = -errno;
                        set_reason(ret_reason, "%s: %s", s.value, strerror(-r));
                        return r == -ENOENT ? -ENXIO : r;
                }
                if (!S_ISBLK(st.st_mode)) {
                        set_reason(ret_reason, "%s is not a block device", s.value);
                        return -ENOTBLK;
                }
                if (st.st_rdev != devno) {
                        set_reason(ret_reason, "it is device %u:%u, and %s is %u:%u", major(devno), minor(devno),
                                   s.value, major(st.st_rdev), minor(st.st_rdev));
                        return -ENXIO;
                }
        }
        fd = open_devno(devno, s.tag == VOLSPEC_PATH ? s.value : source, &name);
        if (fd == -ENOMEM)
                return -ENOMEM;
        if (fd < 0) {
                set_reason(ret_reason, "device %u:%u (%s) has no device node any more: the device is gone", major(devno),
                           minor(devno), source ? source : "?");
                return -ENODEV;
        }
        bool partuuid = s.tag == VOLSPEC_PARTUUID;
        r = probe_fd(fd, fstype, partuuid, &d);
        if (r == 0 && (s.tag == VOLSPEC_PATH || vol_device_has_tag(&s, &d))) {
                d.devname = TAKE_PTR(name);
                d.devno = devno;
                *ret = d;
                return 0;
        }
        if (r == -EIO) {
                set_reason(ret_reason, "%s: its superblock cannot be read", name);
                return r;
        }
        if (r < 0 && r != -EMEDIUMTYPE)
                return r;
        if (r == 0) {
                /* the right type, another tag */
                describe(&d, what, sizeof what);
                set_reason(ret_reason, "%s holds %s, not %s", name, what, spec);
                vol_device_done(&d);
                return -ENXIO;
        }
        if (!diagnose) {
                set_reason(ret_reason, "%s holds no %s filesystem", name, fstype);
                return -ENXIO;
        }
        /* Nothing of the configured type: what is it, then? */
        r = probe_fd(fd, NULL, partuuid, &d);
        if (r == -EMEDIUMTYPE) {
                set_reason(ret_reason, "%s: more than one filesystem signature; refusing to guess", name);
                return r;
        }
        if (r == -EIO) {
                set_reason(ret_reason, "%s: its superblock cannot be read", name);
                return r;
        }
        if (r < 0)
                return r;
        if (r == 0 && (s.tag == VOLSPEC_PATH || vol_device_has_tag(&s, &d))) {
                set_reason(ret_reason, "%s (%s) holds a filesystem of type %s, not the configured %s; refusing it", name,
                           spec, d.fstype, fstype);
                vol_device_done(&d);
                return -EMEDIUMTYPE;
        }
        if (s.tag == VOLSPEC_PATH) {
                set_reason(ret_reason, "%s holds no filesystem blkid knows, not the configured %s; refusing it", name,
                           fstype);
                return -EMEDIUMTYPE;
        }
        describe(&d, what, sizeof what);
        set_reason(ret_reason, "%s holds %s, not %s", name, what, spec);
        vol_device_done(&d);
        return -ENXIO;
}

int vol_identify(const char *spec, const char *fstype, dev_t devno, const char *source, struct vol_device *ret,
                 char **ret_reason) {
        return identify(spec, fstype, devno, source, true, ret, ret_reason);
}

/* --- the monitor at depth 0 ----------------------------------------------- */

DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_table *, mnt_unref_table);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct libmnt_iter *, mnt_free_iter);

void vol_mounted_done(struct vol_mounted *m) {
        if (!m)
                return;
        free(m->where);
        free(m->reason);
        vol_device_done(&m->dev);
        *m = (struct vol_mounted) {};
}

/* Nothing is on target: is the volume mounted elsewhere? Looks only at the
 * block devices the table lists, each once, with the configured type's
 * prober only; a device that cannot be probed is not the volume. */
static int find_elsewhere(struct libmnt_table *tb, const char *spec, const char *fstype, struct vol_mounted *m) {
        _cleanup_(mnt_free_iterp) struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        _cleanup_free_ dev_t *seen = NULL;
        size_t n = 0;
        struct libmnt_fs *fs;

        if (!it)
                return -ENOMEM;
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                dev_t devno = mnt_fs_get_devno(fs);
                bool dup = false;
                if (major(devno) == 0)
                        continue;
                for (size_t i = 0; i < n && !dup; i++)
                        dup = seen[i] == devno;
                if (dup)
                        continue;
                dev_t *ns = realloc(seen, (n + 1) * sizeof *ns);
                if (!ns)
                        return -ENOMEM;
                seen = ns;
                seen[n++] = devno;
                /* the first mount of a device is where vol_mount_match() says it is */
                int r = identify(spec, fstype, devno, mnt_fs_get_source(fs), false, &m->dev, NULL);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;
                m->state = VOL_MOUNT_ELSEWHERE;
                if (!(m->where = strdup(mnt_fs_get_target(fs) ? mnt_fs_get_target(fs) : "?")))
                        return -ENOMEM;
                return 0;
        }
        return 0;
}

int vol_mounted(int proc_fd, const char *spec, const char *fstype, const char *target, struct vol_mounted *ret) {
        _cleanup_(mnt_unref_tablep) struct libmnt_table *tb = NULL;
        struct vol_mounted m = { .state = VOL_MOUNT_NONE };
        struct vol_mount_top top;
        int r;

        if (proc_fd < 0 || !spec || !fstype || !target || !ret)
                return -EINVAL;
        r = vol_read_mounts(proc_fd, &tb);
        if (r < 0) {
                set_reason(&m.reason, "cannot read the mount table: %s", strerror(-r));
                goto out;
        }
        r = vol_mount_top(tb, target, &top);
        if (r < 0)
                goto out;
        if (r == 0) {
                r = find_elsewhere(tb, spec, fstype, &m);
                goto out;
        }
        m.read_only = top.read_only;
        if (!top.whole) {
                /* a bind mount of a subdirectory: not the volume, whichever device it is on */
                m.state = VOL_MOUNT_OTHER;
                set_reason(&m.reason, "a subdirectory of %s is mounted there, not a filesystem's root",
                           top.source ? top.source : "a filesystem");
                r = 0;
        } else {
                r = vol_identify(spec, fstype, top.devno, top.source, &m.dev, &m.reason);
                if (r == 0)
                        m.state = VOL_MOUNT_OK;
                else if (r == -ENXIO) {
                        m.state = VOL_MOUNT_OTHER;
                        r = 0;
                }
        }
        if (m.state == VOL_MOUNT_OTHER && !(m.where = strdup(top.source ? top.source : "?")))
                r = -ENOMEM;
out:
        *ret = m;
        return r;
}
