/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: every pure parser of the volume module on arbitrary
 * bytes. The first byte picks one: a /proc/PID/maps file, one maps line, a
 * mountinfo text (parsed by libmount) matched by vol_mount_match(), a
 * device string, an option string, a mount point, an fstype, a PID name,
 * and fsck exit codes. No input may crash them, read past the buffer, or
 * give an answer out of range. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "tandem/volume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
        switch (which % 9) {
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
                FILE *f = fmemopen(buf, len ? len : 1, "r");
                struct libmnt_table *tb = mnt_new_table();
                if (f && tb && len > 0 && mnt_table_parse_stream(tb, f, "fuzz") == 0) {
                        struct vol_mount_match m;
                        r = vol_mount_match(tb, makedev(8, 17), "/srv/db", &m);
                        if (r != 0 || m.state < 0 || m.state >= _VOL_MOUNT_STATE_MAX)
                                abort();
                        if ((m.state == VOL_MOUNT_NONE || m.state == VOL_MOUNT_OK) && m.where)
                                abort();
                }
                if (f)
                        fclose(f);
                mnt_unref_table(tb);
                break;
        }
        case 3: {
                struct volspec s;
                r = volspec_parse(str, &s, &why);
                if (r == 0 && (s.tag < 0 || s.tag >= _VOLSPEC_TAG_MAX || s.value < str || s.value > str + len))
                        abort();
                if (r < 0 && (r != -EINVAL || !why))
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
