/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mdadm command lines, the presence of an array, and mdadm's messages
 * (include/tandem/md.h, "assembling and stopping arrays with mdadm").
 * Pure: no I/O here; md-mdadm.c runs the commands. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tandem/macro.h"
#include "tandem/md.h"

enum md_presence md_presence_of(const struct md_status *s) {
        if (!s)
                return MD_ABSENT;
        if (s->err[MD_FILE_ARRAY_STATE] != 0)
                return MD_PRESENCE_UNKNOWN;
        switch (s->array_state) {
        case MD_ARRAY_CLEAR:
                return MD_ABSENT;
        case MD_ARRAY_INACTIVE:
                return MD_INACTIVE;
        default:
                return MD_RUNNING;
        }
}

const char *md_presence_to_string(enum md_presence p) {
        static const char *const t[_MD_PRESENCE_MAX] = {
                [MD_ABSENT] = "absent",
                [MD_INACTIVE] = "inactive",
                [MD_RUNNING] = "running",
                [MD_PRESENCE_UNKNOWN] = "unknown",
        };
        return p >= 0 && p < _MD_PRESENCE_MAX ? t[p] : NULL;
}

/* One path component: not empty, "." or "..", no '/', no control character or space. */
static bool component_ok(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (const char *c = s; *c; c++)
                if (*c == '/' || (unsigned char) *c <= ' ' || *c == 0x7f)
                        return false;
        return true;
}

int md_mdadm_devname(const char *dev, char *buf, size_t n) {
        const char *name;
        int k;

        if (!dev || !buf)
                return -EINVAL;
        if (strncmp(dev, "/dev/md/", 8) == 0)
                name = dev + 8;
        else if (strncmp(dev, "/dev/md", 7) == 0)
                name = dev + 5;         /* "/dev/mdN": the kernel name after /dev/ */
        else if (strncmp(dev, "md", 2) == 0)
                name = dev;
        else
                return -EINVAL;
        if (!component_ok(name) || name[0] == '-')
                return -EINVAL;
        if (name == dev)
                k = snprintf(buf, n, "/dev/%s", dev);
        else
                k = snprintf(buf, n, "%s", dev);
        return k < 0 || (size_t) k >= n ? -ENAMETOOLONG : 0;
}

/* A device argument: "/dev/..." (so mdadm never reads it as an option). */
static bool dev_arg_ok(const char *dev) {
        return dev && strncmp(dev, "/dev/", 5) == 0 && dev[5] && !strstr(dev, "/../");
}

int md_mdadm_assemble_argv(const char *conf, const char *dev, const char *argv[static MD_MDADM_ARGV_MAX]) {
        if (!conf || conf[0] != '/' || !dev_arg_ok(dev))
                return -EINVAL;
        size_t i = 0;
        argv[i++] = "mdadm";
        argv[i++] = "--assemble";
        argv[i++] = "--run";
        argv[i++] = "--config";
        argv[i++] = conf;
        argv[i++] = dev;
        argv[i] = NULL;
        return 0;
}

int md_mdadm_stop_argv(const char *dev, const char *argv[static MD_MDADM_ARGV_MAX]) {
        if (!dev_arg_ok(dev))
                return -EINVAL;
        argv[0] = "mdadm";
        argv[1] = "--stop";
        argv[2] = dev;
        argv[3] = NULL;
        return 0;
}

/* Copies s[0..len) into buf, control characters as spaces, trimmed. */
static void copy_line(const char *s, size_t len, char *buf, size_t n) {
        while (len > 0 && (s[0] == ' ' || s[0] == '\t')) {
                s++;
                len--;
        }
        while (len > 0 && ((unsigned char) s[len - 1] <= ' ' || s[len - 1] == 0x7f))
                len--;
        size_t k = len < n - 1 ? len : n - 1;
        for (size_t i = 0; i < k; i++)
                buf[i] = (unsigned char) s[i] < ' ' || s[i] == 0x7f ? ' ' : s[i];
        buf[k] = '\0';
}

/* A last line shorter than this ("giving up.") gets the one before it. */
#define SHORT_LINE 24

char *md_mdadm_message(const char *out, size_t len, char *buf, size_t n) {
        const char *said = NULL, *last = NULL, *before = NULL;
        size_t said_len = 0, last_len = 0, before_len = 0;

        if (!buf || n == 0)
                return buf;
        buf[0] = '\0';
        if (!out)
                return buf;
        for (size_t i = 0; i < len;) {
                const char *e = memchr(out + i, '\n', len - i);
                size_t l = e ? (size_t) (e - (out + i)) : len - i;
                const char *line = out + i;
                size_t k = l;
                while (k > 0 && ((unsigned char) line[k - 1] <= ' '))
                        k--;
                if (k > 0) {
                        last = line;
                        last_len = l;
                }
                if (l > 7 && memcmp(line, "mdadm: ", 7) == 0 && k > 7) {
                        before = said;
                        before_len = said_len;
                        said = line + 7;
                        said_len = l - 7;
                }
                i += l + 1;
        }
        if (said && before && said_len < SHORT_LINE) {
                /* "giving up." says little: the line before says why */
                char a[MD_MDADM_OUT_MAX], b[SHORT_LINE + 1];
                copy_line(before, before_len, a, sizeof a);
                copy_line(said, said_len, b, sizeof b);
                snprintf(buf, n, "%s; %s", a, b);
        } else if (said)
                copy_line(said, said_len, buf, n);
        else if (last)
                copy_line(last, last_len, buf, n);
        return buf;
}
