/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure parts of the volume module: fsck exit codes (fsck(8),
 * e2fsck(8)), /proc/PID/maps lines (proc(5)), PID names, sysfs uevent
 * names, and matching a mount table. No I/O here. Device strings and the
 * checks of fstype, mount point and options are lib/volspec.c's. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "tandem/volume.h"

/* --- fsck ----------------------------------------------------------------- */

static const char *const fsck_verdict_table[_VOL_FSCK_VERDICT_MAX] = {
        [VOL_FSCK_CLEAN] = "clean",
        [VOL_FSCK_CORRECTED] = "corrected",
        [VOL_FSCK_REBOOT] = "corrected-reboot",
        [VOL_FSCK_UNCORRECTED] = "uncorrected",
        [VOL_FSCK_FAILED] = "failed",
};

const char *vol_fsck_verdict_to_string(enum vol_fsck_verdict v) {
        return v >= 0 && v < _VOL_FSCK_VERDICT_MAX ? fsck_verdict_table[v] : NULL;
}

enum vol_fsck_verdict vol_fsck_classify(int status) {
        if (status < 0 || status > 255)
                return VOL_FSCK_FAILED;
        if (status & (8 | 16 | 32 | 128))
                return VOL_FSCK_FAILED;
        if (status & 64)        /* not assigned by fsck(8) */
                return VOL_FSCK_FAILED;
        if (status & 4)
                return VOL_FSCK_UNCORRECTED;
        if (status & 2)
                return VOL_FSCK_REBOOT;
        if (status & 1)
                return VOL_FSCK_CORRECTED;
        return VOL_FSCK_CLEAN;
}

bool vol_fsck_mountable(enum vol_fsck_verdict v) {
        return v == VOL_FSCK_CLEAN || v == VOL_FSCK_CORRECTED || v == VOL_FSCK_REBOOT;
}

/* Appends to buf[n] at *off, truncating; buf stays terminated. */
static void append(char *buf, size_t n, size_t *off, const char *fmt, ...) _printf_(4, 5);
static void append(char *buf, size_t n, size_t *off, const char *fmt, ...) {
        va_list ap;
        if (*off + 1 >= n)
                return;
        va_start(ap, fmt);
        int w = vsnprintf(buf + *off, n - *off, fmt, ap);
        va_end(ap);
        if (w > 0)
                *off = *off + (size_t) w < n ? *off + (size_t) w : n - 1;
}

char *vol_fsck_describe(int status, char *buf, size_t n) {
        static const struct {
                int bit;
                const char *what;
        } bits[] = {
                { 1, "errors corrected" },
                { 2, "reboot wanted" },
                { 4, "errors left uncorrected" },
                { 8, "operational error" },
                { 16, "usage or syntax error" },
                { 32, "cancelled by user request" },
                { 64, "unknown bit 64" },
                { 128, "shared-library error" },
        };
        size_t off = 0;

        if (!buf || n == 0)
                return buf;
        buf[0] = '\0';
        if (status < 0) {
                append(buf, n, &off, "killed by signal %d", -status);
                return buf;
        }
        if (status > 255) {
                append(buf, n, &off, "%d (not an exit status)", status);
                return buf;
        }
        append(buf, n, &off, "%d (", status);
        if (status == 0)
                append(buf, n, &off, "no errors");
        for (size_t i = 0, first = 1; i < ELEMENTSOF(bits); i++)
                if (status & bits[i].bit) {
                        append(buf, n, &off, "%s%s", first ? "" : ", ", bits[i].what);
                        first = 0;
                }
        append(buf, n, &off, ")");
        return buf;
}

static bool is_ext(const char *fstype) {
        return strcmp(fstype, "ext2") == 0 || strcmp(fstype, "ext3") == 0 || strcmp(fstype, "ext4") == 0;
}

int vol_fsck_command(enum cfg_fsck policy, const char *fstype, const char *device,
                     const char *argv[static VOL_FSCK_ARGV_MAX]) {
        if (!fstype || !device || volspec_check_fstype(fstype, NULL) < 0 || policy < 0 || policy >= _CFG_FSCK_MAX)
                return -EINVAL;
        size_t i = 0;
        switch (policy) {
        case CFG_FSCK_NEVER:
                return 0;
        case CFG_FSCK_AUTO:
                if (!is_ext(fstype))
                        return 0;
                argv[i++] = "e2fsck";
                argv[i++] = "-p";
                break;
        case CFG_FSCK_ALWAYS:
                if (is_ext(fstype)) {
                        argv[i++] = "e2fsck";
                        argv[i++] = "-f";
                        argv[i++] = "-p";
                } else if (strcmp(fstype, "xfs") == 0) {
                        argv[i++] = "fsck.xfs";
                        argv[i++] = "-f";
                } else {
                        /* fsck.<type>; the caller finds it on the path. */
                        return -EOPNOTSUPP;
                }
                break;
        default:
                return -EINVAL;
        }
        argv[i++] = device;
        argv[i] = NULL;
        return 1;
}

/* --- /proc ---------------------------------------------------------------- */

/* Reads hex digits from s[*i..n) up to stop; returns false on none or overflow. */
static bool hex_field(const char *s, size_t n, size_t *i, char stop, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;
        size_t start = *i;
        for (; *i < n && s[*i] != stop; (*i)++) {
                char c = s[*i];
                unsigned d;
                if (c >= '0' && c <= '9')
                        d = (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        d = (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        d = (unsigned) (c - 'A' + 10);
                else
                        return false;
                if (v > (max - d) / 16)
                        return false;
                v = v * 16 + d;
        }
        if (*i == start || *i - start > 16)
                return false;
        *ret = v;
        return true;
}

static bool dec_field(const char *s, size_t n, size_t *i, uint64_t *ret) {
        uint64_t v = 0;
        size_t start = *i;
        for (; *i < n && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
                unsigned d = (unsigned) (s[*i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        if (*i == start)
                return false;
        *ret = v;
        return true;
}

static bool expect(const char *s, size_t n, size_t *i, char c) {
        if (*i >= n || s[*i] != c)
                return false;
        (*i)++;
        return true;
}

int vol_parse_maps_line(const char *s, size_t n, struct vol_maps_entry *ret) {
        uint64_t start, end, off, maj, min, ino;
        size_t i = 0;

        if (!s || !ret)
                return -EINVAL;
        /* start-end */
        if (!hex_field(s, n, &i, '-', UINT64_MAX, &start) || !expect(s, n, &i, '-') ||
            !hex_field(s, n, &i, ' ', UINT64_MAX, &end) || !expect(s, n, &i, ' ') || end < start)
                return -EBADMSG;
        /* perms: 4 characters, rwxp/s */
        if (i + 4 > n || !strchr("r-", s[i]) || !strchr("w-", s[i + 1]) || !strchr("x-", s[i + 2]) ||
            !strchr("ps", s[i + 3]))
                return -EBADMSG;
        i += 4;
        if (!expect(s, n, &i, ' ') || !hex_field(s, n, &i, ' ', UINT64_MAX, &off) || !expect(s, n, &i, ' '))
                return -EBADMSG;
        /* MAJ:MIN, hex (show_map_vma(): "%02x:%02x") */
        if (!hex_field(s, n, &i, ':', 0xfff, &maj) || !expect(s, n, &i, ':') ||
            !hex_field(s, n, &i, ' ', 0xfffff, &min) || !expect(s, n, &i, ' '))
                return -EBADMSG;
        if (!dec_field(s, n, &i, &ino))
                return -EBADMSG;
        /* then spaces and an optional path, or the end */
        const char *path = NULL;
        size_t plen = 0;
        if (i < n) {
                if (s[i] != ' ')
                        return -EBADMSG;
                while (i < n && s[i] == ' ')
                        i++;
                if (i < n) {
                        path = s + i;
                        plen = n - i;
                        if (memchr(path, '\n', plen) || memchr(path, '\0', plen))
                                return -EBADMSG;
                }
        }
        (void) off;
        *ret = (struct vol_maps_entry) {
                .major = (unsigned) maj,
                .minor = (unsigned) min,
                .inode = ino,
                .path = path,
                .path_len = plen,
        };
        return 0;
}

int vol_maps_uses_dev(const char *s, size_t n, unsigned major, unsigned minor, bool *ret) {
        bool found = false;
        size_t i = 0;

        if ((!s && n > 0) || !ret)
                return -EINVAL;
        while (i < n) {
                const char *nl = memchr(s + i, '\n', n - i);
                size_t len = nl ? (size_t) (nl - (s + i)) : n - i;
                struct vol_maps_entry e;
                if (len > 0) {
                        if (vol_parse_maps_line(s + i, len, &e) < 0)
                                return -EBADMSG;
                        /* inode 0: anonymous memory, [heap], [stack], ... */
                        if (e.inode != 0 && e.major == major && e.minor == minor)
                                found = true;
                }
                i += len + (nl ? 1 : 0);
        }
        *ret = found;
        return 0;
}

int vol_parse_pid(const char *s, pid_t *ret) {
        uint64_t v;
        size_t i = 0, n;

        if (!s || !ret)
                return -EINVAL;
        n = strlen(s);
        if (n == 0 || n > 10 || s[0] == '0' || !dec_field(s, n, &i, &v) || i != n || v > INT32_MAX)
                return -EINVAL;
        *ret = (pid_t) v;
        return 0;
}

char *vol_held_describe(unsigned why, char *buf, size_t n) {
        static const struct {
                unsigned bit;
                const char *what;
        } words[] = {
                { VOL_HELD_CWD, "cwd" },
                { VOL_HELD_ROOT, "root" },
                { VOL_HELD_EXE, "exe" },
                { VOL_HELD_FD, "open file" },
                { VOL_HELD_MAP, "memory map" },
                { VOL_HELD_NS, "mount namespace" },
        };
        size_t off = 0;
        if (!buf || n == 0)
                return buf;
        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (why & words[i].bit) {
                        append(buf, n, &off, "%s%s", off ? ", " : "", words[i].what);
                }
        return buf;
}

static const char *const ended_table[_VOL_ENDED_MAX] = {
        [VOL_ENDED_NO] = "no",
        [VOL_ENDED_GONE] = "gone",
        [VOL_ENDED_TERM] = "TERM",
        [VOL_ENDED_KILL] = "KILL",
};

const char *vol_ended_to_string(enum vol_ended e) {
        return e >= 0 && e < _VOL_ENDED_MAX ? ended_table[e] : NULL;
}

/* --- mount table ---------------------------------------------------------- */

static const char *const mount_state_table[_VOL_MOUNT_STATE_MAX] = {
        [VOL_MOUNT_NONE] = "not-mounted",
        [VOL_MOUNT_OK] = "mounted",
        [VOL_MOUNT_ELSEWHERE] = "elsewhere",
        [VOL_MOUNT_OTHER] = "other",
        [VOL_MOUNT_HELD] = "held",
};

const char *vol_mount_state_to_string(enum vol_mount_state s) {
        return s >= 0 && s < _VOL_MOUNT_STATE_MAX ? mount_state_table[s] : NULL;
}

int vol_mount_top(struct libmnt_table *tb, const char *target, struct vol_mount_top *ret) {
        struct libmnt_iter *it;
        struct libmnt_fs *fs, *top = NULL;

        if (!tb || !target || !ret)
                return -EINVAL;
        it = mnt_new_iter(MNT_ITER_BACKWARD);
        if (!it)
                return -ENOMEM;
        /* mountinfo lists mounts in the order they were made: the last one
         * on a path is the one on top. */
        while (!top && mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *t = mnt_fs_get_target(fs);
                if (t && strcmp(t, target) == 0)
                        top = fs;
        }
        mnt_free_iter(it);
        if (!top)
                return 0;
        const char *root = mnt_fs_get_root(top), *vfs = mnt_fs_get_vfs_options(top);
        *ret = (struct vol_mount_top) {
                .devno = mnt_fs_get_devno(top),
                .source = mnt_fs_get_source(top),
                .fstype = mnt_fs_get_fstype(top),
                .whole = !root || strcmp(root, "/") == 0,
                .read_only = vfs && mnt_optstr_get_option(vfs, "ro", NULL, NULL) == 0,
                .mount_id = mnt_fs_get_id(top),
        };
        return 1;
}

int vol_mount_match(struct libmnt_table *tb, dev_t dev, const char *target, struct vol_mount_match *ret) {
        struct libmnt_iter *it;
        struct libmnt_fs *fs, *elsewhere = NULL;
        struct vol_mount_top top;
        struct vol_mount_match m = { .state = VOL_MOUNT_NONE };

        if (!ret)
                return -EINVAL;
        int r = vol_mount_top(tb, target, &top);
        if (r < 0)
                return r;
        if (r > 0) {
                if (top.devno == dev && top.whole) {
                        m.state = VOL_MOUNT_OK;
                        m.read_only = top.read_only;
                        m.mount_id = top.mount_id;
                } else {
                        m.state = VOL_MOUNT_OTHER;
                        m.where = top.source;
                }
                *ret = m;
                return 0;
        }
        /* Nothing on target: the first mount of the device elsewhere, if any. */
        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!it)
                return -ENOMEM;
        while (!elsewhere && mnt_table_next_fs(tb, it, &fs) == 0)
                if (mnt_fs_get_devno(fs) == dev)
                        elsewhere = fs;
        mnt_free_iter(it);
        if (elsewhere) {
                m.state = VOL_MOUNT_ELSEWHERE;
                m.where = mnt_fs_get_target(elsewhere);
        }
        *ret = m;
        return 0;
}

/* --- identifying a device ------------------------------------------------- */

bool vol_device_has_tag(const struct volspec *spec, const struct vol_device *d) {
        const char *have;

        if (!spec || !d || !spec->value)
                return false;
        switch (spec->tag) {
        case VOLSPEC_UUID:
                have = d->uuid;
                break;
        case VOLSPEC_LABEL:
                have = d->label;
                break;
        case VOLSPEC_PARTUUID:
                have = d->partuuid;
                break;
        default:
                return false;
        }
        return have && strcmp(have, spec->value) == 0;
}

int vol_uevent_devname(const char *s, size_t n, const char **ret, size_t *ret_len) {
        static const char key[] = "DEVNAME=";
        size_t i = 0;

        if ((!s && n > 0) || !ret || !ret_len)
                return -EINVAL;
        /* uevent: KEY=value lines (kobject_uevent_env(), show_uevent()) */
        while (i < n) {
                const char *nl = memchr(s + i, '\n', n - i);
                size_t len = nl ? (size_t) (nl - (s + i)) : n - i;
                if (len >= sizeof key - 1 && memcmp(s + i, key, sizeof key - 1) == 0) {
                        const char *v = s + i + sizeof key - 1;
                        size_t vl = len - (sizeof key - 1);
                        if (vl == 0 || vl > 255 || v[0] == '/' || memchr(v, '\0', vl))
                                return -EBADMSG;
                        /* no .. component */
                        for (size_t k = 0; k < vl; k++)
                                if ((k == 0 || v[k - 1] == '/') && k + 1 < vl && v[k] == '.' && v[k + 1] == '.' &&
                                    (k + 2 == vl || v[k + 2] == '/'))
                                        return -EBADMSG;
                        for (size_t k = 0; k < vl; k++)
                                if ((unsigned char) v[k] < 0x20 || v[k] == 0x7f)
                                        return -EBADMSG;
                        *ret = v;
                        *ret_len = vl;
                        return 0;
                }
                i += len + (nl ? 1 : 0);
        }
        return -ENOENT;
}
