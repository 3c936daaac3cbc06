/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dm status verdicts on literal kernel status lines. Each line marked
 * "fixture" is tests/fixtures/dm/<name>.status, captured from Debian's
 * 6.1 kernel in the QEMU rig (tests/fixtures/dm/SOURCE says how); the
 * others are the examples in the kernel's dm-raid.rst and dm-multipath
 * docs. Expected values are read off those lines and docs, by hand.
 *
 * With TANDEM_DM_LIVE=NAME set (the rig does), one more test asks the
 * running kernel about map NAME through dmh_query(). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "tandem/dm-health.h"
#include "tandem/macro.h"

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

static void assert_reason_has(const struct dmh_status *s, const char *word) {
        if (!strstr(s->reason, word))
                fail_msg("reason \"%s\" does not say \"%s\"", s->reason, word);
}

/* Each leg's state character, as a string, for one assert. */
static const char *leg_states(const struct dmh_status *s) {
        static char buf[64];
        size_t i;
        for (i = 0; i < s->n_legs && i < sizeof buf - 1; i++)
                buf[i] = s->legs[i].state;
        buf[i] = 0;
        return buf;
}

/* ------------------------------------------------------------------ raid */

static void test_raid_clean(void **state) {
        struct dmh_status s;
        uint64_t start, len;
        (void) state;

        /* fixture raid1-clean */
        assert_int_equal(dmh_status_line("0 65536 raid raid1 2 AA 65536/65536 idle 0 0 -", &start, &len, &s), 0);
        assert_int_equal(start, 0);
        assert_int_equal(len, 65536);
        assert_int_equal(s.kind, DMH_RAID);
        assert_int_equal(s.health, HEALTH_OK);
        assert_string_equal(s.level, "raid1");
        assert_string_equal(leg_states(&s), "AA");
        assert_int_equal(s.n_dead, 0);
        assert_int_equal(s.sync_done, 65536);
        assert_int_equal(s.sync_total, 65536);
        assert_int_equal(s.sync_percent, 100);
        assert_string_equal(s.sync_action, "idle");
        assert_int_equal(s.mismatches, 0);
        assert_reason_has(&s, "2 of 2 legs in sync");
        dmh_status_done(&s);

        /* fixture raid5-clean: the ratio counts sectors per leg */
        assert_int_equal(dmh_raid_status("raid5_ls 3 AAA 32768/32768 idle 0 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_OK);
        assert_string_equal(s.level, "raid5_ls");
        assert_string_equal(leg_states(&s), "AAA");
        dmh_status_done(&s);

        /* STYLE.md / libdevmapper's own example */
        assert_int_equal(dmh_raid_status("raid1 2 AA 2048/2048 idle 0 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_OK);
        dmh_status_done(&s);

        /* dm-raid 1.5 form (6 fields, no data_offset) */
        assert_int_equal(dmh_raid_status("raid1 2 AA 2048/2048 idle 0", &s), 0);
        assert_int_equal(s.health, HEALTH_OK);
        dmh_status_done(&s);
}

static void test_raid_sync(void **state) {
        struct dmh_status s;
        (void) state;

        /* fixture raid1-resync: initial sync, both legs 'a' */
        assert_int_equal(dmh_raid_status("raid1 2 aa 8448/65536 resync 0 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        assert_string_equal(leg_states(&s), "aa"); /* the kernel's, not libdevmapper's "Aa" */
        assert_int_equal(s.n_dead, 0);
        assert_int_equal(s.sync_done, 8448);
        assert_int_equal(s.sync_total, 65536);
        assert_int_equal(s.sync_percent, 12); /* 8448 / 65536 = 12.9% */
        assert_string_equal(s.sync_action, "resync");
        assert_reason_has(&s, "resync 12%");
        assert_reason_has(&s, "2 of 2 legs not in sync");
        dmh_status_done(&s);

        /* dm-raid.rst: "raid4 5 AAAAA 2/490221568 init 0", initial recovery */
        assert_int_equal(dmh_raid_status("raid4 5 AAAAA 2/490221568 init 0", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        assert_int_equal(s.sync_percent, 0);
        assert_reason_has(&s, "init 0%");
        dmh_status_done(&s);

        /* fixture raid1-check: a check is a scrub, not lost redundancy */
        assert_int_equal(dmh_raid_status("raid1 2 AA 0/65536 check 0 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_OK);
        assert_string_equal(s.sync_action, "check");
        assert_reason_has(&s, "check 0%");
        dmh_status_done(&s);

        /* after a check that found mismatches: still OK, but said */
        assert_int_equal(dmh_raid_status("raid1 2 AA 65536/65536 idle 128 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_OK);
        assert_int_equal(s.mismatches, 128);
        assert_reason_has(&s, "128 mismatches");
        dmh_status_done(&s);

        /* fixture raid1-recover: leg 1 back from the dead, being rebuilt */
        assert_int_equal(dmh_raid_status("raid1 2 Aa 8448/65536 recover 0 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        assert_string_equal(leg_states(&s), "Aa");
        assert_int_equal(s.n_dead, 0);
        assert_int_equal(s.sync_percent, 12);
        assert_reason_has(&s, "recover 12%");
        assert_reason_has(&s, "1 of 2 legs not in sync");
        dmh_status_done(&s);
}

static void test_raid_dead(void **state) {
        struct dmh_status s;
        (void) state;

        /* fixture raid1-leg-dead */
        assert_int_equal(dmh_raid_status("raid1 2 AD 65536/65536 idle 0 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        assert_string_equal(leg_states(&s), "AD");
        assert_false(s.legs[0].dead);
        assert_true(s.legs[1].dead);
        assert_int_equal(s.n_dead, 1);
        assert_reason_has(&s, "1 of 2 legs dead: 1 (D)");
        dmh_status_done(&s);

        /* fixture raid5-one-dead */
        assert_int_equal(dmh_raid_status("raid5_ls 3 AAD 32768/32768 idle 0 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        assert_int_equal(s.n_dead, 1);
        assert_reason_has(&s, "1 of 3 legs dead: 2 (D)");
        dmh_status_done(&s);

        /* fixture raid5-two-dead: one more than raid5 survives */
        assert_int_equal(dmh_raid_status("raid5_ls 3 DAD 32768/32768 idle 0 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_FAILED);
        assert_string_equal(leg_states(&s), "DAD");
        assert_int_equal(s.n_dead, 2);
        assert_reason_has(&s, "2 of 3 legs dead: 0 (D), 2 (D)");
        assert_reason_has(&s, "more than the 1 raid5_ls survives");
        dmh_status_done(&s);

        /* raid6 survives two; raid1 of three survives two */
        assert_int_equal(dmh_raid_status("raid6_zr 4 DADA 100/100 idle 0 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        dmh_status_done(&s);
        assert_int_equal(dmh_raid_status("raid1 3 DDA 100/100 idle 0 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        dmh_status_done(&s);
        /* every leg dead */
        assert_int_equal(dmh_raid_status("raid1 2 DD 100/100 idle 0 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_FAILED);
        dmh_status_done(&s);
        /* '-': no device in that slot, counted as dead; raid0 survives none */
        assert_int_equal(dmh_raid_status("raid0 2 A- 100/100 idle 0 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_FAILED);
        dmh_status_done(&s);
        /* raid10 past one dead leg: depends on the layout */
        assert_int_equal(dmh_raid_status("raid10 4 DADA 100/100 idle 0 0 -", &s), 0);
        assert_int_equal(s.health, HEALTH_UNKNOWN);
        assert_reason_has(&s, "layout");
        dmh_status_done(&s);
}

static void test_raid_malformed(void **state) {
        static const char *const bad[] = {
                "",
                " ",
                "raid1",
                "raid1 2 AA 2048/2048",              /* pre-1.5 form: refused (libdevmapper crashes on it with 'a') */
                "raid1 2 aA 2048/2048",
                "raid1 2 A 2048/2048 idle 0",        /* count says 2, one health char */
                "raid1 3 AA 2048/2048 idle 0",
                "raid1 1 AA 2048/2048 idle 0",
                "raid1 0  2048/2048 idle 0",
                "raid1 -2 AA 2048/2048 idle 0",
                "raid1 x AA 2048/2048 idle 0",
                "raid1 2 AA 2049/2048 idle 0",       /* more in sync than there is */
                "raid1 2 AA 2048 idle 0",
                "raid1 2 AA 2048/ idle 0",
                "raid1 2 AA /2048 idle 0",
                "raid1 2 AA 2048/2048/1 idle 0",
                "raid1 2 AA 18446744073709551616/18446744073709551616 idle 0",
                "raid1 2 AA 2048/2048 idle -1",
                "raid1 2 AA 2048/2048 IDLE 0",
                "raid1 2 AA 2048/2048 idle 0 x",
                "raid1 2 AA 2048/2048 idle 0 0 AA",
                "raid1 2 AA 2048/2048 idle 0 0 - extra",
                "raid1 2 AA\t2048/2048 idle 0",
                "linear 2 AA 2048/2048 idle 0",
                "raid1 999 AA 2048/2048 idle 0",
        };
        struct dmh_status s;
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (dmh_raid_status(bad[i], &s) != -EBADMSG)
                        fail_msg("accepted \"%s\"", bad[i]);
        assert_int_equal(dmh_raid_status(NULL, &s), -EINVAL);
}

/* ---------------------------------------------------------------- mirror */

static void test_mirror(void **state) {
        struct dmh_status s;
        (void) state;

        /* fixture mirror-clean */
        assert_int_equal(dmh_status_line("0 65536 mirror 2 253:11 253:12 64/64 1 AA 3 disk 253:10 A\n", NULL, NULL,
                                         &s),
                         0);
        assert_int_equal(s.kind, DMH_MIRROR);
        assert_int_equal(s.health, HEALTH_OK);
        assert_int_equal(s.n_legs, 2);
        assert_string_equal(s.legs[0].dev, "253:11");
        assert_string_equal(s.legs[1].dev, "253:12");
        assert_string_equal(leg_states(&s), "AA");
        assert_int_equal(s.sync_done, 64);
        assert_int_equal(s.sync_total, 64);
        assert_string_equal(s.log_type, "disk");
        assert_string_equal(s.log_dev, "253:10");
        assert_int_equal(s.log_state, 'A');
        assert_reason_has(&s, "all 2 legs alive");
        dmh_status_done(&s);

        /* fixture mirror-sync: initial copy under way */
        assert_int_equal(dmh_mirror_status("2 253:11 253:12 6/64 1 AA 3 disk 253:10 A", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        assert_int_equal(s.n_dead, 0);
        assert_int_equal(s.sync_percent, 9); /* 6/64 = 9.4% */
        assert_reason_has(&s, "out of sync: 6 of 64 regions in sync (9%)");
        dmh_status_done(&s);

        /* fixture mirror-leg-failed: a write failed on leg 1 (the same
         * line after the held write was released, and after the log device
         * was swapped for error too: the kernel did not mark the log, as
         * nothing reached it) */
        assert_int_equal(dmh_mirror_status("2 253:11 253:12 63/64 1 AD 3 disk 253:10 A", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        assert_string_equal(leg_states(&s), "AD");
        assert_false(s.legs[0].dead);
        assert_true(s.legs[1].dead);
        assert_string_equal(s.legs[1].dev, "253:12");
        assert_int_equal(s.log_state, 'A');
        assert_reason_has(&s, "1 of 2 legs failed: 1 (D)");
        assert_reason_has(&s, "out of sync: 63 of 64 regions");
        dmh_status_done(&s);

        /* fixture mirror-core-clean and mirror-core-leg-failed: three legs, core log */
        assert_int_equal(dmh_mirror_status("3 253:13 253:14 253:15 16/16 1 AAA 1 core", &s), 0);
        assert_int_equal(s.health, HEALTH_OK);
        assert_int_equal(s.n_legs, 3);
        assert_string_equal(s.log_type, "core");
        assert_reason_has(&s, "all 3 legs alive, 16 of 16 regions in sync");
        dmh_status_done(&s);
        assert_int_equal(dmh_mirror_status("3 253:13 253:14 253:15 15/16 1 DAA 1 core", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        assert_string_equal(leg_states(&s), "DAA");
        assert_string_equal(s.legs[0].dev, "253:13");
        assert_reason_has(&s, "1 of 3 legs failed: 0 (D)");
        dmh_status_done(&s);

        /* the dm-raid1 example: core log */
        assert_int_equal(dmh_mirror_status("2 253:1 253:2 1024/1024 1 AA 1 core", &s), 0);
        assert_int_equal(s.health, HEALTH_OK);
        assert_string_equal(s.log_type, "core");
        assert_int_equal(s.log_state, 0);
        dmh_status_done(&s);

        /* a write failure on one leg, regions out of sync */
        assert_int_equal(dmh_mirror_status("2 253:1 253:2 1000/1024 1 AD 3 disk 253:0 A", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        assert_true(s.legs[1].dead);
        assert_reason_has(&s, "1 of 2 legs failed: 1 (D)");
        assert_reason_has(&s, "out of sync");
        dmh_status_done(&s);

        /* every leg failed */
        assert_int_equal(dmh_mirror_status("2 253:1 253:2 1000/1024 1 DS 1 core", &s), 0);
        assert_int_equal(s.health, HEALTH_FAILED);
        dmh_status_done(&s);

        /* failed log device */
        assert_int_equal(dmh_mirror_status("2 253:1 253:2 1024/1024 1 AA 3 disk 253:0 D", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        assert_reason_has(&s, "disk log 253:0 failed (D)");
        dmh_status_done(&s);
}

static void test_mirror_malformed(void **state) {
        static const char *const bad[] = {
                "",
                "2",
                "2 253:1 253:2 1024/1024 1 A 3 disk 253:0 A",   /* libdevmapper would read past the end */
                "2 253:1 253:2 1024/1024 1 A",
                "2 253:1 253:2 1024/1024 1 ",
                "3 253:1 253:2 1024/1024 1 AAA 1 core",          /* count says 3 legs, 2 devices */
                "2 253:1 253:2 1024/1024 1 AA",                  /* no log */
                "2 253:1 253:2 1024/1024 1 AA 3 disk 253:0",     /* log count says 3, 2 follow */
                "2 253:1 253:2 1024/1024 1 AA 1 core extra",
                "2 253:1 253:2 1024/1024 1 AA 0",
                "2 253:1 253:2 1024/1024 2 AA 1 core",
                "2 253:1 253:2 1024/1024 1 AX 1 core",           /* no such health char */
                "2 253:1 2532 1024/1024 1 AA 1 core",
                "2 253:1 253: 1024/1024 1 AA 1 core",
                "2 253:1 253:2 1025/1024 1 AA 1 core",
                "2 253:1 253:2 1024 1 AA 1 core",
                "9 253:1 253:2 253:3 253:4 253:5 253:6 253:7 253:8 253:9 1/1 1 AAAAAAAAA 1 core",
                "0 1/1 1  1 core",
                "-1 253:1 1/1 1 A 1 core",
                "2 253:1 253:2 1024/1024 1 AA 3 disk 253:0 AA",
                "2 253:1 253:2 1024/1024 1 AA 3 disk x A",
                "4294967297 253:1 1/1 1 A 1 core",
        };
        struct dmh_status s;
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (dmh_mirror_status(bad[i], &s) != -EBADMSG)
                        fail_msg("accepted \"%s\"", bad[i]);
}

/* ------------------------------------------------------------- multipath */

static void test_multipath(void **state) {
        struct dmh_status s;
        (void) state;

        /* fixture mp-rr-active: one group, round-robin, both paths; no
         * I/O yet, so no group is current ('E') and the queue flag is 1 */
        assert_int_equal(dmh_status_line("0 131072 multipath 2 1 0 0 1 1 E 0 2 0 8:0 A 0 8:16 A 0", NULL, NULL, &s),
                         0);
        assert_int_equal(s.kind, DMH_MULTIPATH);
        assert_int_equal(s.health, HEALTH_OK);
        assert_true(s.queueing);
        assert_int_equal(s.n_groups, 1);
        assert_int_equal(s.active_group, 1);
        assert_int_equal(s.groups[0].state, 'E');
        assert_int_equal(s.groups[0].n_paths, 2);
        assert_int_equal(s.n_paths, 2);
        assert_string_equal(s.paths[0].dev, "8:0");
        assert_true(s.paths[0].active);
        assert_string_equal(s.paths[1].dev, "8:16");
        assert_true(s.paths[1].active);
        assert_reason_has(&s, "2 of 2 paths active");
        assert_null(strstr(s.reason, "queued"));
        dmh_status_done(&s);

        /* what dmsetup really prints ends in a space (the fixtures were
         * captured before capture.sh kept it) */
        assert_int_equal(dmh_multipath_status("2 1 0 0 1 1 E 0 2 0 8:0 F 1 8:16 A 0 ", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        dmh_status_done(&s);

        /* fixture mp-rr-one-failed: fail_path 8:0 */
        assert_int_equal(dmh_multipath_status("2 1 0 0 1 1 E 0 2 0 8:0 F 1 8:16 A 0", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        assert_false(s.paths[0].active);
        assert_int_equal(s.paths[0].fail_count, 1);
        assert_true(s.paths[1].active);
        assert_int_equal(s.paths[1].fail_count, 0);
        assert_int_equal(s.n_active_paths, 1);
        assert_int_equal(s.groups[0].n_active, 1);
        assert_reason_has(&s, "1 of 2 paths failed");
        assert_reason_has(&s, "failed: 8:0");
        dmh_status_done(&s);

        /* fixture mp-rr-all-failed */
        assert_int_equal(dmh_multipath_status("2 1 0 0 1 1 E 0 2 0 8:0 F 1 8:16 F 1", &s), 0);
        assert_int_equal(s.health, HEALTH_FAILED);
        assert_int_equal(s.n_active_paths, 0);
        assert_reason_has(&s, "all 2 paths failed");
        assert_reason_has(&s, "failed: 8:0, 8:16");
        assert_reason_has(&s, "I/O is being queued");
        dmh_status_done(&s);

        /* fixture mp-st-groups: two groups, service-time, two selector
         * args per path (in-flight size, relative throughput) */
        assert_int_equal(dmh_multipath_status("2 0 0 0 2 1 A 0 1 2 8:0 A 0 0 1 E 0 1 2 8:16 A 0 0 1", &s), 0);
        assert_int_equal(s.health, HEALTH_OK);
        assert_false(s.queueing);
        assert_int_equal(s.n_groups, 2);
        assert_int_equal(s.active_group, 1);
        assert_int_equal(s.groups[0].state, 'A');
        assert_int_equal(s.groups[1].state, 'E');
        assert_int_equal(s.paths[0].group, 1);
        assert_int_equal(s.paths[1].group, 2);
        dmh_status_done(&s);

        /* fixture mp-st-group1-failed: I/O moved to group 2 */
        assert_int_equal(dmh_multipath_status("2 0 0 0 2 2 E 0 1 2 8:0 F 1 0 1 A 0 1 2 8:16 A 0 0 1", &s), 0);
        assert_int_equal(s.health, HEALTH_DEGRADED);
        assert_int_equal(s.active_group, 2);
        assert_int_equal(s.groups[0].n_active, 0);
        assert_int_equal(s.groups[1].state, 'A');
        assert_reason_has(&s, "failed: 8:0");
        dmh_status_done(&s);

        /* fixture mp-st-group2-disabled: paths fine, a group bypassed */
        assert_int_equal(dmh_multipath_status("2 0 0 0 2 1 E 0 1 2 8:0 A 1 0 1 D 0 1 2 8:16 A 0 0 1", &s), 0);
        assert_int_equal(s.health, HEALTH_OK);
        assert_int_equal(s.groups[1].state, 'D');
        assert_int_equal(s.paths[0].fail_count, 1);
        assert_reason_has(&s, "path group 2 disabled");
        dmh_status_done(&s);

        /* fixture mp-st-all-failed-queueing */
        assert_int_equal(dmh_multipath_status("2 0 0 0 2 1 E 0 1 2 8:0 F 2 0 1 D 0 1 2 8:16 F 1 0 1", &s), 0);
        assert_int_equal(s.health, HEALTH_FAILED);
        assert_int_equal(s.paths[0].fail_count, 2);
        assert_reason_has(&s, "all 2 paths failed");
        dmh_status_done(&s);

        /* no path groups at all */
        assert_int_equal(dmh_multipath_status("2 0 0 0 0 0", &s), 0);
        assert_int_equal(s.health, HEALTH_FAILED);
        assert_reason_has(&s, "no paths");
        dmh_status_done(&s);
}

static void test_multipath_malformed(void **state) {
        static const char *const bad[] = {
                "",
                "2 0 0",
                "2 0 0 0",
                "2 0 0 0 1",
                "9 0 0 0 1 1 A 0 1 0 8:0 A 0",                 /* 9 features: not there */
                "2 0 0 7 1 1 A 0 1 0 8:0 A 0",                 /* 7 hw handler args */
                "2 0 0 0 2 1 A 0 1 0 8:0 A 0",                 /* 2 groups, 1 there */
                "2 0 0 0 1 1 A 0 2 0 8:0 A 0",                 /* 2 paths, 1 there */
                "2 0 0 0 1 1 A 0 1 2 8:0 A 0",                 /* 2 selector args per path, none there */
                "2 0 0 0 1 1 A 5 1 0 8:0 A 0",                 /* 5 group selector args */
                "2 0 0 0 1 1 A 0 4294967295 4294967295 8:0 A 0",
                "2 0 0 0 1 1 A 0 1 4294967295 8:0 A 0",
                "2 0 0 0 4294967295 1 A 0 1 0 8:0 A 0",
                "2 0 0 0 1 2 A 0 1 0 8:0 A 0",                 /* active group 2 of 1 */
                "2 0 0 0 1 0 A 0 1 0 8:0 A 0",
                "2 0 0 0 1 1 X 0 1 0 8:0 A 0",                 /* group state */
                "2 0 0 0 1 1 A 0 1 0 8:0 X 0",                 /* path state */
                "2 0 0 0 1 1 A 0 1 0 8:0 A x",
                "2 0 0 0 1 1 A 0 1 0 sda A 0",
                "2 0 0 0 1 1 A 0 1 0 8:0 A 0 extra",
                "2 0 0 0 1 1 A 0 1 0 8:0 A -1",
                "x 0 0 0 1 1 A 0 1 0 8:0 A 0",
                "2 0 0 0 1 1 AA 0 1 0 8:0 A 0",
        };
        struct dmh_status s;
        (void) state;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (dmh_multipath_status(bad[i], &s) != -EBADMSG)
                        fail_msg("accepted \"%s\"", bad[i]);
}

/* ---------------------------------------------------------- the others */

static void test_dispatch_and_json(void **state) {
        struct dmh_status s;
        (void) state;

        assert_int_equal(dmh_status_line("0 2048 linear 8:0 0", NULL, NULL, &s), -EOPNOTSUPP);
        assert_int_equal(dmh_target_status("striped", "x", &s), -EOPNOTSUPP);
        assert_int_equal(dmh_status_line("0 2048", NULL, NULL, &s), -EBADMSG);
        assert_int_equal(dmh_status_line("x 2048 raid raid1 2 AA 1/1 idle 0", NULL, NULL, &s), -EBADMSG);
        assert_int_equal(dmh_kind_from_target("multipath"), DMH_MULTIPATH);
        assert_string_equal(dmh_kind_to_string(DMH_MIRROR), "mirror");
        assert_null(dmh_kind_to_string(_DMH_KIND_MAX));

        assert_int_equal(dmh_multipath_status("2 1 0 0 1 1 E 0 2 0 8:0 F 1 8:16 A 0", &s), 0);
        struct json_object *o = dmh_status_to_json(&s), *v, *g, *p;
        assert_non_null(o);
        assert_true(json_object_object_get_ex(o, "health", &v));
        assert_string_equal(json_object_get_string(v), "degraded");
        assert_true(json_object_object_get_ex(o, "groups", &g));
        assert_int_equal(json_object_array_length(g), 1);
        assert_true(json_object_object_get_ex(json_object_array_get_idx(g, 0), "paths", &p));
        assert_int_equal(json_object_array_length(p), 2);
        assert_true(json_object_object_get_ex(json_object_array_get_idx(p, 0), "state", &v));
        assert_string_equal(json_object_get_string(v), "failed");
        json_object_put(o);
        dmh_status_done(&s);
        dmh_status_done(NULL);
}

/* Every captured fixture line parses, to one of our verdicts. */
static void test_fixture_files(void **state) {
        const char *dir = getenv("TANDEM_DM_FIXTURES") ?: "tests/fixtures/dm";
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        unsigned n = 0;
        (void) state;

        d = opendir(dir);
        if (!d)
                skip();
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len < 8 || strcmp(de->d_name + len - 7, ".status") != 0)
                        continue;
                char path[4096], line[4096];
                snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
                _cleanup_fclose_ FILE *f = fopen(path, "re");
                assert_non_null(f);
                assert_non_null(fgets(line, sizeof line, f));
                struct dmh_status s;
                int r = dmh_status_line(line, NULL, NULL, &s);
                if (r < 0)
                        fail_msg("%s: %s", de->d_name, strerror(-r));
                assert_true(s.health >= 0 && s.health < _HEALTH_MAX);
                dmh_status_done(&s);
                n++;
        }
        assert_true(n > 0);
}

/* In the rig: ask the kernel about map TANDEM_DM_LIVE, by name, by
 * /dev/mapper path, and among all devices. Skipped elsewhere. */
static void test_live_query(void **state) {
        const char *name = getenv("TANDEM_DM_LIVE");
        struct dmh_device *d = NULL;
        size_t n = 0;
        char path[256];
        (void) state;

        if (!name)
                skip();
        assert_int_equal(dmh_query(name, &d, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(d[0].name, name);
        assert_true(d[0].n_targets >= 1);
        assert_true(d[0].targets[0].judged);
        assert_int_equal(d[0].targets[0].error, 0);
        printf("live %s: %s %s: %s\n", d[0].name, d[0].targets[0].type, health_to_string(d[0].health),
               d[0].targets[0].status.reason);
        dmh_devices_free(d, n);

        snprintf(path, sizeof path, "/dev/mapper/%s", name);
        assert_int_equal(dmh_query(path, &d, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(d[0].name, name);
        dmh_devices_free(d, n);

        assert_int_equal(dmh_query(NULL, &d, &n), 0);
        bool found = false;
        for (size_t i = 0; i < n; i++)
                found = found || strcmp(d[i].name, name) == 0;
        assert_true(found);
        dmh_devices_free(d, n);

        assert_int_equal(dmh_query("no-such-map-here", &d, &n), -ENODEV);
        assert_int_equal(dmh_query("/dev/null", &d, &n), -ENODEV);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_raid_clean),
                cmocka_unit_test(test_raid_sync),
                cmocka_unit_test(test_raid_dead),
                cmocka_unit_test(test_raid_malformed),
                cmocka_unit_test(test_mirror),
                cmocka_unit_test(test_mirror_malformed),
                cmocka_unit_test(test_multipath),
                cmocka_unit_test(test_multipath_malformed),
                cmocka_unit_test(test_dispatch_and_json),
                cmocka_unit_test(test_fixture_files),
                cmocka_unit_test(test_live_query),
        };
        return cmocka_run_group_tests_name("dm", tests, NULL, NULL);
}
