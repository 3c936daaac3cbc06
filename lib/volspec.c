/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The volume's names (include/tandem/volspec.h): device strings, fstype,
 * mount point, and the text checks of mount options. Pure: no I/O, and no
 * library but libc, since lib/config.c, which every program links, uses it. */
#include <string.h>

#include "tandem/devspec.h"
#include "tandem/macro.h"
#include "tandem/volspec.h"

#define VOLSPEC_PATH_MAX 4095

static const char *const tag_table[_VOLSPEC_TAG_MAX] = {
        [VOLSPEC_PATH] = "path",
        [VOLSPEC_UUID] = "UUID",
        [VOLSPEC_LABEL] = "LABEL",
        [VOLSPEC_PARTUUID] = "PARTUUID",
};

const char *volspec_tag_to_string(enum volspec_tag t) {
        return t >= 0 && t < _VOLSPEC_TAG_MAX ? tag_table[t] : NULL;
}

static bool has_ctrl(const char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return true;
        return false;
}

static int refuse(const char *reason, const char **ret_reason) {
        if (ret_reason)
                *ret_reason = reason;
        return -EINVAL;
}

/* A path, by the rules of every device path tandem takes (devspec_parse()). */
static int check_path(const char *s, const char **ret_reason) {
        const char *reason = NULL;
        struct devspec d;

        if (strlen(s) > VOLSPEC_PATH_MAX)
                return refuse("a device path must be at most 4095 characters", ret_reason);
        int r = devspec_parse(s, &d, &reason);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(reason ? reason : "is not a device path", ret_reason);
        devspec_done(&d);
        return 0;
}

int volspec_parse(const char *s, struct volspec *ret, const char **ret_reason) {
        struct volspec v = {};

        if (!s || !ret)
                return -EINVAL;
        if (s[0] == '/') {
                int r = check_path(s, ret_reason);
                if (r < 0)
                        return r;
                *ret = (struct volspec) { VOLSPEC_PATH, s };
                return 0;
        }
        const char *eq = strchr(s, '=');
        size_t tl = eq ? (size_t) (eq - s) : 0;
        if (!eq || eq[1] == '\0')
                return refuse("must be UUID=..., LABEL=..., PARTUUID=... or a /dev path", ret_reason);
        if (tl == 4 && strncmp(s, "UUID", 4) == 0)
                v = (struct volspec) { VOLSPEC_UUID, eq + 1 };
        else if (tl == 8 && strncmp(s, "PARTUUID", 8) == 0)
                v = (struct volspec) { VOLSPEC_PARTUUID, eq + 1 };
        else if (tl == 5 && strncmp(s, "LABEL", 5) == 0)
                v = (struct volspec) { VOLSPEC_LABEL, eq + 1 };
        else
                return refuse("the tag must be UUID=, LABEL= or PARTUUID=", ret_reason);
        if ((v.tag == VOLSPEC_UUID || v.tag == VOLSPEC_PARTUUID) &&
            (strspn(v.value, "0123456789abcdefABCDEF-") != strlen(v.value) || strlen(v.value) > 64))
                return refuse("a UUID is hex digits and dashes", ret_reason);
        if (v.tag == VOLSPEC_LABEL && (strlen(v.value) > 255 || has_ctrl(v.value)))
                return refuse("a LABEL is at most 255 printable characters", ret_reason);
        *ret = v;
        return 0;
}

int volspec_check_fstype(const char *s, const char **ret_reason) {
        if (!s || s[0] == '\0' || strlen(s) > 32 || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._") != strlen(s) ||
            strcmp(s, "auto") == 0)
                return refuse("must be a filesystem type such as ext4 or xfs (not auto: tandem checks the type)",
                              ret_reason);
        return 0;
}

int volspec_check_mountpoint(const char *s, const char **ret_reason) {
        size_t n = s ? strlen(s) : 0;

        if (!s || s[0] != '/' || n < 2)
                return refuse("must be an absolute path other than /", ret_reason);
        if (s[n - 1] == '/' || strstr(s, "//") || strstr(s, "/./") || strstr(s, "/../") ||
            strcmp(s + n - 2, "/.") == 0 || (n >= 3 && strcmp(s + n - 3, "/..") == 0))
                return refuse("must be a normalised path: no trailing /, no //, . or .. components", ret_reason);
        if (has_ctrl(s) || n > VOLSPEC_PATH_MAX)
                return refuse("must not contain control characters", ret_reason);
        return 0;
}

int volspec_check_options_text(const char *s, const char **ret_reason) {
        size_t len = s ? strlen(s) : 0;

        if (len == 0)
                return refuse("is empty (use defaults)", ret_reason);
        if (s[0] == ',' || s[len - 1] == ',' || strstr(s, ",,"))
                return refuse("has an empty option (two commas, or a comma at either end)", ret_reason);
        if (has_ctrl(s))
                return refuse("is not a valid mount option string (comma-separated, e.g. noatime,data=ordered)",
                              ret_reason);
        return 0;
}
