/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device strings, as they appear in the config and on the command line:
 * a path under /dev, or iscsi://host[:port]/target-iqn/lun. Pure. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

enum devspec_kind {
        DEVSPEC_PATH,
        DEVSPEC_ISCSI,
        _DEVSPEC_KIND_MAX,
        _DEVSPEC_KIND_INVALID = -EINVAL,
};

struct devspec {
        enum devspec_kind kind;
        char *path;   /* DEVSPEC_PATH */
        char *host;   /* DEVSPEC_ISCSI: name, IPv4, or IPv6 without brackets */
        uint16_t port;
        char *target; /* the target's IQN */
        uint32_t lun;
};

/* Parses s into *ret. Returns 0, -EINVAL (with *ret_reason set to a static
 * explanation), or -ENOMEM. *ret is untouched on failure. */
int devspec_parse(const char *s, struct devspec *ret, const char **ret_reason);
/* Frees the strings inside d (not d itself); accepts NULL. */
void devspec_done(struct devspec *d);
/* Returns true if s is a well-formed iSCSI name (iqn., eui. or naa.). */
bool iscsi_name_valid(const char *s);
