/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: every md sysfs parser on arbitrary file contents, and
 * md_verdict() on what they accept. The first byte picks the parser (and,
 * in its high bits, the baseline status the value goes into). No input may
 * crash them, read past the buffer, or give a verdict out of range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/md.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        uint8_t which = data[0];
        /* A copy of exactly the right size, so ASan catches any overread. */
        size_t len = size - 1;
        char *buf = malloc(len ? len : 1);
        if (!buf)
                return 0;
        memcpy(buf, data + 1, len);

        struct md_member members[2] = {
                { .name = "sda", .flags = MD_DEV_IN_SYNC, .slot = 0 },
                { .name = "sdb", .flags = MD_DEV_IN_SYNC, .slot = 1 },
        };
        struct md_status s = {
                .name = "md0",
                .level = MD_LEVEL_RAID1,
                .raid_disks = 2,
                .array_state = MD_ARRAY_CLEAN,
                .sync_action = MD_SYNC_IDLE,
                .members = members,
                .n_members = 2,
        };
        /* High bits: a few other baselines, so the verdict sees mixes. */
        if (which & 0x10)
                s.level = MD_LEVEL_RAID5, s.raid_disks = 3;
        if (which & 0x20)
                s.err[MD_FILE_MISMATCH_CNT] = -ENOENT;
        if (which & 0x40)
                s.n_members = 1;
        if (which & 0x80)
                members[1].flags = MD_DEV_FAULTY, members[1].slot = MD_SLOT_NONE;

        int r;
        switch ((which & 0x0f) % 10) {
        case 0:
                r = md_parse_level(buf, len, &s.level);
                break;
        case 1: {
                unsigned old = 0;
                r = md_parse_raid_disks(buf, len, &s.raid_disks, &old);
                break;
        }
        case 2:
                r = md_parse_array_state(buf, len, &s.array_state);
                break;
        case 3:
                r = md_parse_degraded(buf, len, &s.degraded);
                break;
        case 4:
                r = md_parse_sync_action(buf, len, &s.sync_action);
                break;
        case 5:
                r = md_parse_sync_completed(buf, len, &s.sync_completed);
                if (r == 0 && s.sync_completed.kind == MD_PROGRESS_RUNNING) {
                        int pct = md_progress_percent(&s.sync_completed);
                        if (pct < 0 || pct > 100)
                                abort();
                }
                break;
        case 6:
                r = md_parse_mismatch_cnt(buf, len, &s.mismatch_cnt);
                break;
        case 7:
                r = md_parse_dev_state(buf, len, &members[0].flags);
                break;
        case 8:
                r = md_parse_dev_slot(buf, len, &members[0].slot);
                break;
        default:
                /* the sync action and its progress from one input */
                s.sync_action = (enum md_sync_action) (len % _MD_SYNC_ACTION_MAX);
                r = md_parse_sync_completed(buf, len, &s.sync_completed);
                break;
        }
        if (r != 0 && r != -EBADMSG)
                abort();

        char reason[96];
        enum health h = md_verdict(&s, reason, sizeof reason);
        if (h < 0 || h >= _HEALTH_MAX || !memchr(reason, '\0', sizeof reason))
                abort();
        /* and into a buffer too small for anything */
        h = md_verdict(&s, reason, 1);
        if (h < 0 || h >= _HEALTH_MAX || reason[0] != '\0')
                abort();
        free(buf);
        return 0;
}
