/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: every pure parser of the volume module, and of the
 * volume's names (lib/volspec.c), on arbitrary bytes. The first byte picks
 * one (modulo 12): 0 a /proc/PID/maps file, 1 one maps line, 2 a mountinfo
 * text (parsed by libmount) matched by vol_mount_match() and read by
 * vol_mount_top(), 3 a device string, 4 an option string (with libmount's
 * parser), 5 a mount point, 6 an fstype, 7 a PID name, 8 fsck exit codes,
 * 9 a sysfs uevent file (vol_uevent_devname()), 10 a mount point on the
 * first line and a mountinfo text after it (vol_mount_top()), 11 an option
 * string checked as text, and as fully, 12 tandem-volume's settings
 * (vol_settle(): device, fstype, mount point, options, fsck, stop_timeout,
 * one a line). No input may crash them, read past the buffer, or give an
 * answer out of range. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "tandem/ocf.h"
#include "tandem/volume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parses n bytes of mountinfo with libmount; NULL when it refuses them. */
static struct libmnt_table *parse_table(char *buf, size_t n) {
        if (n == 0)
                return NULL;
        FILE *f = fmemopen(buf, n, "r");
        struct libmnt_table *tb = mnt_new_table();
        if (!f || !tb || mnt_table_parse_stream(tb, f, "fuzz") != 0) {
                mnt_unref_table(tb);
                tb = NULL;
        }
        if (f)
                fclose(f);
        return tb;
}

/* vol_mount_top(), and what it says checked against the table. */
static int check_top(struct libmnt_table *tb, const char *target, struct vol_mount_top *ret) {
        *ret = (struct vol_mount_top) { .devno = (dev_t) -1 };
        int r = vol_mount_top(tb, target, ret);
        if (r != 0 && r != 1)
                abort();
        if (r == 0)
                return 0;
        /* it is the last mount the table lists on target, to the letter */
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs, *last = NULL;
        if (!it)
                abort();
        while (mnt_table_next_fs(tb, it, &fs) == 0)
                if (mnt_fs_get_target(fs) && strcmp(mnt_fs_get_target(fs), target) == 0)
                        last = fs;
        mnt_free_iter(it);
        if (!last || mnt_fs_get_devno(last) != ret->devno || mnt_fs_get_source(last) != ret->source ||
            mnt_fs_get_fstype(last) != ret->fstype || mnt_fs_get_id(last) != ret->mount_id)
                abort();
        return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        uint8_t which = data[0];
        size_t len = size - 1;
        /* Exactly the right size, so ASan catches an overread... */
        char *buf = malloc(len ? len : 1);
        /* ...and a NUL-terminated copy for the string parsers. */
        char *str = malloc(len + 1);
        if (!buf || !str) {
                free(buf);
                free(str);
                return 0;
        }
        memcpy(buf, data + 1, len);
        memcpy(str, data + 1, len);
        str[len] = '\0';

        const char *why = NULL;
        int r;
        switch (which % 13) {
        case 0: {
                bool found = false;
                r = vol_maps_uses_dev(buf, len, 8, 0x11, &found);
                if (r != 0 && r != -EBADMSG)
                        abort();
                break;
        }
        case 1: {
                struct vol_maps_entry e;
                r = vol_parse_maps_line(buf, len, &e);
                if (r != 0 && r != -EBADMSG)
                        abort();
                if (r == 0 && e.path && (e.path < buf || e.path + e.path_len > buf + len))
                        abort();
                if (r == 0 && (e.major > 0xfff || e.minor > 0xfffff))
                        abort();
                break;
        }
        case 2: {
                struct libmnt_table *tb = parse_table(buf, len);
                if (tb) {
                        struct vol_mount_match m;
                        r = vol_mount_match(tb, makedev(8, 17), "/srv/db", &m);
                        if (r != 0 || m.state < 0 || m.state >= _VOL_MOUNT_STATE_MAX)
                                abort();
                        if ((m.state == VOL_MOUNT_NONE || m.state == VOL_MOUNT_OK) && m.where)
                                abort();
                        /* HELD comes from the device (vol_device_state()), never from a table */
                        if (m.state == VOL_MOUNT_HELD || !vol_mount_state_to_string(m.state))
                                abort();
                        /* the match follows the top mount */
                        struct vol_mount_top top;
                        r = check_top(tb, "/srv/db", &top);
                        if ((r == 1) != (m.state == VOL_MOUNT_OK || m.state == VOL_MOUNT_OTHER))
                                abort();
                        if (r == 1 && (m.state == VOL_MOUNT_OK) != (top.devno == makedev(8, 17) && top.whole))
                                abort();
                        (void) check_top(tb, "/", &top);
                }
                mnt_unref_table(tb);
                break;
        }
        case 3: {
                struct volspec s;
                r = volspec_parse(str, &s, &why);
                if (r == 0 && (s.tag < 0 || s.tag >= _VOLSPEC_TAG_MAX || s.value < str || s.value > str + len))
                        abort();
                if (r < 0 && r != -ENOMEM && (r != -EINVAL || !why))
                        abort();
                break;
        }
        case 4:
                r = volspec_check_options(str, &why);
                if (r != 0 && (r != -EINVAL || !why))
                        abort();
                break;
        case 5:
                r = volspec_check_mountpoint(str, &why);
                if (r != 0 && (r != -EINVAL || !why))
                        abort();
                break;
        case 6: {
                const char *argv[VOL_FSCK_ARGV_MAX];
                r = volspec_check_fstype(str, &why);
                if (r != 0 && r != -EINVAL)
                        abort();
                r = vol_fsck_command((enum cfg_fsck) (which % 4), str, "/dev/x", argv);
                if (r == 1 && (!argv[0] || strcmp(argv[0], "e2fsck") != 0) && strcmp(argv[0], "fsck.xfs") != 0)
                        abort();
                break;
        }
        case 7: {
                pid_t p = -1;
                r = vol_parse_pid(str, &p);
                if (r == 0 && p <= 0)
                        abort();
                break;
        }
        case 9: {
                const char *name = NULL;
                size_t nl = 0;
                r = vol_uevent_devname(buf, len, &name, &nl);
                if (r != 0 && r != -ENOENT && r != -EBADMSG)
                        abort();
                if (r == 0) {
                        /* a value of a DEVNAME= line, inside the buffer, relative, printable, no .. */
                        if (name < buf + 8 || name + nl > buf + len || nl == 0 || nl > 255 || name[0] == '/')
                                abort();
                        if (memcmp(name - 8, "DEVNAME=", 8) != 0 || (name - 8 > buf && name[-9] != '\n'))
                                abort();
                        if (memchr(name, '\n', nl))
                                abort();
                        for (size_t k = 0; k < nl; k++)
                                if ((unsigned char) name[k] < 0x20 || name[k] == 0x7f ||
                                    ((k == 0 || name[k - 1] == '/') && k + 1 < nl && name[k] == '.' &&
                                     name[k + 1] == '.' && (k + 2 == nl || name[k + 2] == '/')))
                                        abort();
                }
                break;
        }
        case 10: {
                /* "TARGET\nMOUNTINFO..." */
                const char *nl = memchr(str, '\n', len);
                if (!nl)
                        break;
                char *target = strndup(str, (size_t) (nl - str));
                size_t off = (size_t) (nl - str) + 1;
                struct libmnt_table *tb = target ? parse_table(buf + off, len - off) : NULL;
                struct vol_mount_top top;
                if (tb) {
                        r = check_top(tb, target, &top);
                        struct vol_mount_match m;
                        if (vol_mount_match(tb, top.devno, target, &m) != 0)
                                abort();
                        if (r == 1 && m.state != (top.whole ? VOL_MOUNT_OK : VOL_MOUNT_OTHER))
                                abort();
                }
                mnt_unref_table(tb);
                free(target);
                break;
        }
        case 11: {
                int rt = volspec_check_options_text(str, &why);
                if (rt != 0 && (rt != -EINVAL || !why))
                        abort();
                r = volspec_check_options(str, &why);
                if (r != 0 && (r != -EINVAL || !why))
                        abort();
                if (rt < 0 && r == 0) /* the full check includes the text check */
                        abort();
                break;
        }
        case 12: {
                const char *f[6] = {};
                char *save = NULL;
                size_t k = 0;
                for (char *w = strtok_r(str, "\n", &save); w && k < ELEMENTSOF(f); w = strtok_r(NULL, "\n", &save))
                        f[k++] = w[0] == '-' ? NULL : w; /* "-": not given */
                const struct vol_overrides o = { f[0], f[1], f[2], f[3], f[4], f[5], which & 0x80 };
                struct vol_settings st = {};
                char *reason = NULL;
                r = vol_settle(NULL, &o, which & 0x40, &st, &reason);
                if (r != OCF_SUCCESS && (r != OCF_ERR_CONFIGURED || !reason))
                        abort();
                if (r == OCF_SUCCESS && (reason || !st.device || volspec_check_options(st.options, NULL) < 0 ||
                                         st.stop_timeout > 3600 * USEC_PER_SEC))
                        abort();
                free(reason);
                break;
        }
        default: {
                char d[64];
                int status = len >= 2 ? (int) (int16_t) (data[1] | data[2] << 8) : (int) which;
                enum vol_fsck_verdict v = vol_fsck_classify(status);
                if (v < 0 || v >= _VOL_FSCK_VERDICT_MAX)
                        abort();
                if (status >= 4 && status < 256 && vol_fsck_mountable(v))
                        abort();
                vol_fsck_describe(status, d, sizeof d);
                if (!memchr(d, '\0', sizeof d))
                        abort();
                vol_fsck_describe(status, d, 1);
                if (d[0] != '\0')
                        abort();
                char h[16];
                vol_held_describe(which, h, sizeof h);
                if (!memchr(h, '\0', sizeof h))
                        abort();
                break;
        }
        }
        free(buf);
        free(str);
        return 0;
}
