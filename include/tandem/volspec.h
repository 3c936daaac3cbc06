/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What names a shared volume, as the config's [volume] section and
 * tandem-volume's options give it: the device string (UUID=, LABEL=,
 * PARTUUID= or a /dev path), the filesystem type, the mount point and the
 * mount options. One set of rules for lib/config.c and for storage/.
 *
 * Everything here is pure and needs no library but libc, except
 * volspec_check_options() (lib/volspec-options.c), which runs libmount's
 * option parser: only the programs that reference it load libmount. */
#pragma once

#include <errno.h>

/* How a device string names the device. */
enum volspec_tag {
        VOLSPEC_PATH,           /* /dev/... */
        VOLSPEC_UUID,
        VOLSPEC_LABEL,
        VOLSPEC_PARTUUID,
        _VOLSPEC_TAG_MAX,
        _VOLSPEC_TAG_INVALID = -EINVAL,
};

struct volspec {
        enum volspec_tag tag;
        const char *value;      /* points into the parsed string: the path, or what follows "TAG=" */
};

/* Splits a device string (UUID=, LABEL=, PARTUUID= or a /dev path, checked as devspec_parse() checks one) into *ret. Returns 0, -EINVAL with *ret_reason set, or -ENOMEM. */
int volspec_parse(const char *s, struct volspec *ret, const char **ret_reason);
/* Returns the blkid tag name of a tag ("UUID"), "path" for a path, or NULL. */
const char *volspec_tag_to_string(enum volspec_tag t);
/* Checks a filesystem type (lower case, not "auto": tandem checks the type). Returns 0 or -EINVAL with *ret_reason set. */
int volspec_check_fstype(const char *s, const char **ret_reason);
/* Checks a mount point: absolute, normalised, not "/". Returns 0 or -EINVAL with *ret_reason set. */
int volspec_check_mountpoint(const char *s, const char **ret_reason);
/* Checks a mount option string as text, without libmount: not empty, no empty option, no control characters. Returns 0 or -EINVAL with *ret_reason set. */
int volspec_check_options_text(const char *s, const char **ret_reason);
/* Checks a mount option string fully: as text, then with libmount's parser; refuses bind, rbind, move, remount, loop. Returns 0 or -EINVAL with *ret_reason set. */
int volspec_check_options(const char *s, const char **ret_reason);
