/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device strings: /dev paths and iscsi:// URLs. Pure: no I/O here. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/devspec.h"
#include "tandem/macro.h"

#define ISCSI_NAME_MAX 223 /* RFC 3720 3.2.6.1 */
#define ISCSI_DEFAULT_PORT 3260

static bool all_hex(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!isxdigit((unsigned char) s[i]))
                        return false;
        return s[n] == '\0';
}

bool iscsi_name_valid(const char *s) {
        if (!s)
                return false;
        size_t len = strlen(s);
        if (len == 0 || len > ISCSI_NAME_MAX)
                return false;
        if (strncmp(s, "eui.", 4) == 0)
                return len == 4 + 16 && all_hex(s + 4, 16);
        if (strncmp(s, "naa.", 4) == 0)
                return (len == 4 + 16 && all_hex(s + 4, 16)) || (len == 4 + 32 && all_hex(s + 4, 32));
        if (strncmp(s, "iqn.", 4) != 0)
                return false;
        /* iqn.YYYY-MM.reversed.domain[:anything] (RFC 3720 3.2.6.3.1) */
        const char *p = s + 4;
        for (int i = 0; i < 7; i++) {
                bool want_dash = i == 4;
                if (want_dash ? p[i] != '-' : !isdigit((unsigned char) p[i]))
                        return false;
        }
        if (p[7] != '.' || p[8] == '\0' || p[8] == ':')
                return false;
        for (const char *c = p + 8; *c; c++)
                if (!(islower((unsigned char) *c) || isdigit((unsigned char) *c) || strchr("-.:", *c)))
                        return false;
        return true;
}

static bool path_valid(const char *s, const char **ret_reason) {
        if (strncmp(s, "/dev/", 5) != 0 || s[5] == '\0') {
                *ret_reason = "a device path must be absolute and under /dev/";
                return false;
        }
        if (strstr(s, "/../") || strstr(s, "/./") || strstr(s, "//")) {
                *ret_reason = "a device path must not contain '..', '.' or '//' components";
                return false;
        }
        size_t n = strlen(s);
        if (s[n - 1] == '/' || (n >= 3 && strcmp(s + n - 3, "/..") == 0) ||
            (n >= 2 && strcmp(s + n - 2, "/.") == 0)) {
                *ret_reason = "a device path must name a device, not a directory";
                return false;
        }
        for (const char *c = s; *c; c++)
                if (isspace((unsigned char) *c) || iscntrl((unsigned char) *c)) {
                        *ret_reason = "a device path must not contain spaces or control characters";
                        return false;
                }
        return true;
}

static int parse_iscsi(const char *s, struct devspec *d, const char **ret_reason) {
        const char *p = s + strlen("iscsi://");
        const char *host_end;
        const char *host = p;

        if (strchr(p, '@')) {
                *ret_reason = "credentials in an iscsi:// URL are not accepted (they would show in logs and ps)";
                return -EINVAL;
        }
        if (*p == '[') { /* [IPv6]:port */
                host = p + 1;
                host_end = strchr(host, ']');
                if (!host_end) {
                        *ret_reason = "iscsi:// URL has '[' without ']'";
                        return -EINVAL;
                }
                p = host_end + 1;
        } else {
                host_end = p + strcspn(p, ":/");
                p = host_end;
        }
        if (host_end == host) {
                *ret_reason = "iscsi:// URL has no host";
                return -EINVAL;
        }
        for (const char *c = host; c < host_end; c++)
                if (!(isalnum((unsigned char) *c) || strchr("-.:", *c))) {
                        *ret_reason = "iscsi:// URL host has a character that is not allowed in a host name or address";
                        return -EINVAL;
                }
        unsigned long port = ISCSI_DEFAULT_PORT;
        if (*p == ':') {
                char *end;
                p++;
                if (!isdigit((unsigned char) *p)) {
                        *ret_reason = "iscsi:// URL port is not a number";
                        return -EINVAL;
                }
                errno = 0;
                port = strtoul(p, &end, 10);
                if (errno != 0 || port == 0 || port > 65535 || end - p > 5) {
                        *ret_reason = "iscsi:// URL port must be 1-65535";
                        return -EINVAL;
                }
                p = end;
        }
        if (*p != '/') {
                *ret_reason = "iscsi:// URL needs the form iscsi://host[:port]/target-iqn/lun";
                return -EINVAL;
        }
        p++;
        const char *slash = strrchr(p, '/');
        if (!slash || slash == p) {
                *ret_reason = "iscsi:// URL needs a target name and a LUN: iscsi://host[:port]/target-iqn/lun";
                return -EINVAL;
        }
        const char *lun_s = slash + 1;
        if (*lun_s == '\0' || strspn(lun_s, "0123456789") != strlen(lun_s) || strlen(lun_s) > 5) {
                *ret_reason = "iscsi:// URL LUN must be a decimal number (0-16383)";
                return -EINVAL;
        }
        unsigned long lun = strtoul(lun_s, NULL, 10);
        if (lun > 16383) {
                *ret_reason = "iscsi:// URL LUN must be a decimal number (0-16383)";
                return -EINVAL;
        }
        _cleanup_free_ char *target = strndup(p, (size_t) (slash - p));
        _cleanup_free_ char *h = strndup(host, (size_t) (host_end - host));
        if (!target || !h)
                return -ENOMEM;
        if (!iscsi_name_valid(target)) {
                *ret_reason = "iscsi:// URL target is not a valid iSCSI name (iqn.YYYY-MM.domain[:id], eui.<16 hex> or naa.<hex>)";
                return -EINVAL;
        }
        d->kind = DEVSPEC_ISCSI;
        d->host = TAKE_PTR(h);
        d->target = TAKE_PTR(target);
        d->port = (uint16_t) port;
        d->lun = (uint32_t) lun;
        return 0;
}

int devspec_parse(const char *s, struct devspec *ret, const char **ret_reason) {
        struct devspec d = {};
        const char *reason = NULL;
        int r;

        if (!s || !ret || !ret_reason)
                return -EINVAL;
        if (*s == '\0') {
                *ret_reason = "empty device string";
                return -EINVAL;
        }
        if (strncmp(s, "iscsi://", 8) == 0) {
                r = parse_iscsi(s, &d, &reason);
                if (r < 0) {
                        if (reason)
                                *ret_reason = reason;
                        return r;
                }
        } else if (s[0] == '/') {
                if (!path_valid(s, &reason)) {
                        *ret_reason = reason;
                        return -EINVAL;
                }
                d.kind = DEVSPEC_PATH;
                d.path = strdup(s);
                if (!d.path)
                        return -ENOMEM;
        } else {
                *ret_reason = "a device must be a /dev path or an iscsi://host[:port]/target-iqn/lun URL";
                return -EINVAL;
        }
        *ret = d;
        return 0;
}

void devspec_done(struct devspec *d) {
        if (!d)
                return;
        free(d->path);
        free(d->host);
        free(d->target);
        *d = (struct devspec) {};
}
