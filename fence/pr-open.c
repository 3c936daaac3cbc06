/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dispatcher: a device string, parsed once, picks its transport. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "tandem/devspec.h"
#include "tandem/scsi-exec.h"
#include "tandem/util.h"

int pr_dev_open(const char *spec, const struct pr_open_args *a, struct pr_dev **ret, char **ret_reason) {
        struct devspec ds;
        const char *why = NULL;
        int r;

        if (!spec || !a || !ret)
                return -EINVAL;
        r = devspec_parse(spec, &ds, &why);
        if (r < 0) {
                set_reason(ret_reason, "%s", why ? why : "not a device string");
                return r;
        }
        if (ds.kind == DEVSPEC_ISCSI) {
                r = isc_open(&ds, spec, a, ret, ret_reason);
                devspec_done(&ds);
                return r;
        }
        devspec_done(&ds);
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
