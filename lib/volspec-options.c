/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The full check of a volume's mount options, with libmount's own option
 * parser (not a hand-written splitter). Its own object, so that only the
 * programs that reference it (those that mount, and the config checker)
 * load libmount; lib/config.c calls it only through the check_options hook
 * of struct cfg_group. Pure: libmount's iterator does no I/O. */
#include <libmount.h>
#include <string.h>

#include "tandem/macro.h"
#include "tandem/volspec.h"

int volspec_check_options(const char *s, const char **ret_reason) {
        static const char *const refused[] = { "bind", "rbind", "move", "remount", "loop" };
        char *name, *val;
        size_t namesz, valsz;
        int r = volspec_check_options_text(s, ret_reason);

        if (r < 0)
                return r;
        /* libmount's option-string iterator; it does not write to the string. */
        char *optstr = (char *) s;
        while ((r = mnt_optstr_next_option(&optstr, &name, &namesz, &val, &valsz)) == 0)
                for (size_t i = 0; i < ELEMENTSOF(refused); i++)
                        if (namesz == strlen(refused[i]) && strncmp(name, refused[i], namesz) == 0) {
                                if (ret_reason)
                                        *ret_reason = "bind, rbind, move, remount and loop are not filesystem "
                                                      "options; tandem mounts the device itself";
                                return -EINVAL;
                        }
        if (r < 0) {
                if (ret_reason)
                        *ret_reason = "is not a valid mount option string (comma-separated, e.g. noatime,data=ordered)";
                return -EINVAL;
        }
        return 0;
}
