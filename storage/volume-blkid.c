/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding the volume's device with libblkid. A tag is matched over every
 * block device the kernel lists (blkid_probe_all + blkid_dev_iterate with
 * a tag filter), not with blkid_evaluate_tag(), which returns only one:
 * two devices with one LABEL must be refused, not picked between. */
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
        *d = (struct vol_device) {};
}

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
        struct vol_spec s;
        const char *why = NULL;
        _cleanup_free_ char *name = NULL;
        struct stat st;
        int r;

        if (!ret)
                return -EINVAL;
        r = vol_spec_parse(spec, &s, &why);
        if (r < 0) {
                set_reason(ret_reason, "device '%s': %s", spec ? spec : "", why);
                return r;
        }
        if (s.tag == VOL_TAG_PATH) {
                if (!(name = strdup(s.value)))
                        return -ENOMEM;
        } else {
                char **names = NULL;
                size_t n = 0;
                r = find_tagged(vol_tag_to_string(s.tag), s.value, &names, &n);
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
        const char *have = s.tag == VOL_TAG_UUID ? d.uuid : s.tag == VOL_TAG_LABEL ? d.label : NULL;
        if ((s.tag == VOL_TAG_UUID || s.tag == VOL_TAG_LABEL) && (!have || strcmp(have, s.value) != 0)) {
                set_reason(ret_reason, "%s: %s no longer carries %s", spec, name, vol_tag_to_string(s.tag));
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
