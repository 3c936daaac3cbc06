/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* md sysfs: the parsers on literal kernel strings (drivers/md/md.c *_show()
 * formats, Documentation/admin-guide/md.rst), and md_read() + md_verdict()
 * on trees the kernel wrote in the QEMU rig (tests/fixtures/md/, see each
 * SOURCE). Expected values are what the kernel wrote there. Run from the
 * repo root. */
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tandem/md.h"
#include "tandem/util.h"

#define FIXTURES "tests/fixtures/md/"

/* A string literal without its NUL, as read() returns it. */
#define S(lit) lit, sizeof(lit) - 1

static void test_level(void **state) {
        enum md_level l = _MD_LEVEL_INVALID;
        (void) state;

        assert_int_equal(md_parse_level(S("raid1\n"), &l), 0);
        assert_int_equal(l, MD_LEVEL_RAID1);
        assert_int_equal(md_parse_level(S("raid10\n"), &l), 0);
        assert_int_equal(l, MD_LEVEL_RAID10);
        assert_int_equal(md_parse_level(S("raid6"), &l), 0); /* no newline */
        assert_int_equal(l, MD_LEVEL_RAID6);
        assert_int_equal(md_parse_level(S("linear\n"), &l), 0);
        assert_int_equal(l, MD_LEVEL_LINEAR);
        assert_int_equal(md_parse_level(S("raid0\n"), &l), 0);
        assert_int_equal(l, MD_LEVEL_RAID0);
        assert_int_equal(md_parse_level(S("raid4\n"), &l), 0);
        assert_int_equal(l, MD_LEVEL_RAID4);
        assert_int_equal(md_parse_level(S("raid5\n"), &l), 0);
        assert_int_equal(l, MD_LEVEL_RAID5);
        assert_int_equal(md_parse_level(S("multipath\n"), &l), 0);
        assert_int_equal(l, MD_LEVEL_MULTIPATH);
        /* no personality: level_show() prints "" or mddev->level as %d */
        assert_int_equal(md_parse_level(S("\n"), &l), 0);
        assert_int_equal(l, MD_LEVEL_NONE);
        assert_int_equal(md_parse_level(S("-1\n"), &l), 0);
        assert_int_equal(l, MD_LEVEL_LINEAR);
        assert_int_equal(md_parse_level(S("5\n"), &l), 0);
        assert_int_equal(l, MD_LEVEL_RAID5);

        l = MD_LEVEL_RAID1;
        assert_int_equal(md_parse_level(S("raid7\n"), &l), -EBADMSG);
        assert_int_equal(md_parse_level(S("RAID1\n"), &l), -EBADMSG);
        assert_int_equal(md_parse_level(S(" raid1\n"), &l), -EBADMSG);
        assert_int_equal(md_parse_level(S("raid1\n\n"), &l), -EBADMSG);
        assert_int_equal(md_parse_level(S("raid1\0"), &l), -EBADMSG);
        assert_int_equal(md_parse_level(S("raid"), &l), -EBADMSG);
        assert_int_equal(md_parse_level(S("7\n"), &l), -EBADMSG);
        assert_int_equal(l, MD_LEVEL_RAID1); /* untouched */
        /* the length is honoured: "raid10" cut to 5 bytes is raid1 */
        assert_int_equal(md_parse_level("raid10", 5, &l), 0);
        assert_int_equal(l, MD_LEVEL_RAID1);
        assert_int_equal(md_parse_level(NULL, 0, &l), 0);
        assert_int_equal(l, MD_LEVEL_NONE);
}

static void test_raid_disks(void **state) {
        unsigned n = 0, old = 0;
        (void) state;

        assert_int_equal(md_parse_raid_disks(S("2\n"), &n, &old), 0);
        assert_int_equal(n, 2);
        assert_int_equal(old, 2);
        /* raid_disks_show() during a reshape: "%d (%d)" new, old */
        assert_int_equal(md_parse_raid_disks(S("4 (3)\n"), &n, &old), 0);
        assert_int_equal(n, 4);
        assert_int_equal(old, 3);
        assert_int_equal(md_parse_raid_disks(S("0\n"), &n, NULL), 0);
        assert_int_equal(n, 0);

        n = 7;
        assert_int_equal(md_parse_raid_disks(S("\n"), &n, NULL), -EBADMSG);
        assert_int_equal(md_parse_raid_disks(S("-2\n"), &n, NULL), -EBADMSG);
        assert_int_equal(md_parse_raid_disks(S("2 \n"), &n, NULL), -EBADMSG);
        assert_int_equal(md_parse_raid_disks(S("4 (3\n"), &n, NULL), -EBADMSG);
        assert_int_equal(md_parse_raid_disks(S("4 ()\n"), &n, NULL), -EBADMSG);
        assert_int_equal(md_parse_raid_disks(S("4 (x)\n"), &n, NULL), -EBADMSG);
        assert_int_equal(md_parse_raid_disks(S("4(3)\n"), &n, NULL), -EBADMSG);
        assert_int_equal(md_parse_raid_disks(S("99999999999\n"), &n, NULL), -EBADMSG);
        assert_int_equal(md_parse_raid_disks(S("0x2\n"), &n, NULL), -EBADMSG);
        assert_int_equal(n, 7);
}

static void test_array_state(void **state) {
        static const struct {
                const char *s;
                enum md_array_state want;
        } t[] = {
                { "clear\n", MD_ARRAY_CLEAR },         { "inactive\n", MD_ARRAY_INACTIVE },
                { "suspended\n", MD_ARRAY_SUSPENDED }, { "readonly\n", MD_ARRAY_READONLY },
                { "read-auto\n", MD_ARRAY_READ_AUTO }, { "clean\n", MD_ARRAY_CLEAN },
                { "active\n", MD_ARRAY_ACTIVE },       { "write-pending\n", MD_ARRAY_WRITE_PENDING },
                { "active-idle\n", MD_ARRAY_ACTIVE_IDLE }, { "broken\n", MD_ARRAY_BROKEN },
        };
        enum md_array_state a;
        (void) state;

        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
                a = _MD_ARRAY_STATE_INVALID;
                assert_int_equal(md_parse_array_state(t[i].s, strlen(t[i].s), &a), 0);
                assert_int_equal(a, t[i].want);
        }
        a = MD_ARRAY_CLEAN;
        assert_int_equal(md_parse_array_state(S("read_auto\n"), &a), -EBADMSG);
        assert_int_equal(md_parse_array_state(S("clean\r\n"), &a), -EBADMSG);
        assert_int_equal(md_parse_array_state(S("\n"), &a), -EBADMSG);
        assert_int_equal(md_parse_array_state(S(""), &a), -EBADMSG);
        assert_int_equal(md_parse_array_state(S("active idle\n"), &a), -EBADMSG);
        assert_int_equal(md_parse_array_state(S("cleaner\n"), &a), -EBADMSG);
        assert_int_equal(md_parse_array_state("clean\n", 3, &a), -EBADMSG); /* "cle" */
        assert_int_equal(a, MD_ARRAY_CLEAN);
}

static void test_degraded_mismatch(void **state) {
        unsigned d = 9;
        uint64_t m = 9;
        (void) state;

        assert_int_equal(md_parse_degraded(S("0\n"), &d), 0);
        assert_int_equal(d, 0);
        assert_int_equal(md_parse_degraded(S("1\n"), &d), 0);
        assert_int_equal(d, 1);
        assert_int_equal(md_parse_degraded(S("1 \n"), &d), -EBADMSG);
        assert_int_equal(md_parse_degraded(S("+1\n"), &d), -EBADMSG);
        assert_int_equal(md_parse_degraded(S("\n"), &d), -EBADMSG);
        assert_int_equal(d, 1);

        assert_int_equal(md_parse_mismatch_cnt(S("0\n"), &m), 0);
        assert_int_equal(m, 0);
        assert_int_equal(md_parse_mismatch_cnt(S("14336\n"), &m), 0);
        assert_int_equal(m, 14336);
        assert_int_equal(md_parse_mismatch_cnt(S("18446744073709551615\n"), &m), 0);
        assert_int_equal(m, UINT64_MAX);
        assert_int_equal(md_parse_mismatch_cnt(S("18446744073709551616\n"), &m), -EBADMSG);
        assert_int_equal(md_parse_mismatch_cnt(S("12a\n"), &m), -EBADMSG);
        assert_int_equal(md_parse_mismatch_cnt(S("none\n"), &m), -EBADMSG);
        assert_int_equal(m, UINT64_MAX);
}

static void test_sync_action(void **state) {
        static const char *const words[] = { "idle", "resync", "recover", "check", "repair", "reshape", "frozen" };
        static const enum md_sync_action want[] = {
                MD_SYNC_IDLE, MD_SYNC_RESYNC, MD_SYNC_RECOVER, MD_SYNC_CHECK,
                MD_SYNC_REPAIR, MD_SYNC_RESHAPE, MD_SYNC_FROZEN,
        };
        enum md_sync_action a;
        char buf[32];
        (void) state;

        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
                int k = snprintf(buf, sizeof buf, "%s\n", words[i]);
                a = _MD_SYNC_ACTION_INVALID;
                assert_int_equal(md_parse_sync_action(buf, (size_t) k, &a), 0);
                assert_int_equal(a, want[i]);
                assert_string_equal(md_sync_action_to_string(a), words[i]);
        }
        a = MD_SYNC_IDLE;
        assert_int_equal(md_parse_sync_action(S("recovery\n"), &a), -EBADMSG); /* that is last_sync_action's word */
        assert_int_equal(md_parse_sync_action(S("none\n"), &a), -EBADMSG);
        assert_int_equal(md_parse_sync_action(S("idle\nidle\n"), &a), -EBADMSG);
        assert_int_equal(a, MD_SYNC_IDLE);
}

static void test_sync_completed(void **state) {
        struct md_progress p;
        (void) state;

        assert_int_equal(md_parse_sync_completed(S("none\n"), &p), 0);
        assert_int_equal(p.kind, MD_PROGRESS_NONE);
        assert_int_equal(md_progress_percent(&p), -EINVAL);
        assert_int_equal(md_parse_sync_completed(S("delayed\n"), &p), 0);
        assert_int_equal(p.kind, MD_PROGRESS_DELAYED);
        /* from tests/fixtures/md/recovering */
        assert_int_equal(md_parse_sync_completed(S("65536 / 1046528\n"), &p), 0);
        assert_int_equal(p.kind, MD_PROGRESS_RUNNING);
        assert_int_equal(p.done, 65536);
        assert_int_equal(p.total, 1046528);
        assert_int_equal(md_progress_percent(&p), 6);
        assert_int_equal(md_parse_sync_completed(S("0 / 129024\n"), &p), 0);
        assert_int_equal(md_progress_percent(&p), 0);
        assert_int_equal(md_parse_sync_completed(S("387072 / 1046528"), &p), 0);
        assert_int_equal(md_progress_percent(&p), 36);
        assert_int_equal(md_parse_sync_completed(S("1046528 / 1046528\n"), &p), 0);
        assert_int_equal(md_progress_percent(&p), 100);
        assert_int_equal(md_parse_sync_completed(S("18446744073709551615 / 18446744073709551615\n"), &p), 0);
        assert_int_equal(md_progress_percent(&p), 100);

        p = (struct md_progress) { .kind = MD_PROGRESS_RUNNING, .done = 1, .total = 2 };
        assert_int_equal(md_parse_sync_completed(S("65536/1046528\n"), &p), -EBADMSG);
        assert_int_equal(md_parse_sync_completed(S("65536 /1046528\n"), &p), -EBADMSG);
        assert_int_equal(md_parse_sync_completed(S("65536 / \n"), &p), -EBADMSG);
        assert_int_equal(md_parse_sync_completed(S("65536 / 1046528 \n"), &p), -EBADMSG);
        assert_int_equal(md_parse_sync_completed(S(" / 1046528\n"), &p), -EBADMSG);
        assert_int_equal(md_parse_sync_completed(S("5 / 0\n"), &p), -EBADMSG);
        assert_int_equal(md_parse_sync_completed(S("6 / 5\n"), &p), -EBADMSG);
        assert_int_equal(md_parse_sync_completed(S("Delayed\n"), &p), -EBADMSG);
        assert_int_equal(md_parse_sync_completed(S("65536 / 1046528"), &p) == 0, true);
        assert_int_equal(md_parse_sync_completed("65536 / 1046528", 9, &p), -EBADMSG); /* "65536 / 1" cut short */
        assert_int_equal(md_parse_sync_completed(S(""), &p), -EBADMSG);
}

static void test_dev_state(void **state) {
        unsigned f = 0;
        (void) state;

        assert_int_equal(md_parse_dev_state(S("in_sync\n"), &f), 0);
        assert_int_equal(f, MD_DEV_IN_SYNC);
        assert_int_equal(md_parse_dev_state(S("faulty\n"), &f), 0);
        assert_int_equal(f, MD_DEV_FAULTY);
        assert_int_equal(md_parse_dev_state(S("spare\n"), &f), 0);
        assert_int_equal(f, MD_DEV_SPARE);
        /* state_show() order: faulty in_sync journal write_mostly blocked
         * spare write_error want_replacement replacement external_bbl failfast */
        assert_int_equal(md_parse_dev_state(S("faulty,write_mostly,write_error\n"), &f), 0);
        assert_int_equal(f, MD_DEV_FAULTY | MD_DEV_WRITE_MOSTLY | MD_DEV_WRITE_ERROR);
        assert_int_equal(md_parse_dev_state(S("in_sync,blocked,want_replacement,failfast\n"), &f), 0);
        assert_int_equal(f, MD_DEV_IN_SYNC | MD_DEV_BLOCKED | MD_DEV_WANT_REPLACEMENT | MD_DEV_FAILFAST);
        assert_int_equal(md_parse_dev_state(S("spare,replacement,external_bbl\n"), &f), 0);
        assert_int_equal(f, MD_DEV_SPARE | MD_DEV_REPLACEMENT | MD_DEV_EXTERNAL_BBL);
        assert_int_equal(md_parse_dev_state(S("journal\n"), &f), 0);
        assert_int_equal(f, MD_DEV_JOURNAL);
        assert_int_equal(md_parse_dev_state(S("in_sync,writemostly\n"), &f), 0);
        assert_int_equal(f, MD_DEV_IN_SYNC | MD_DEV_WRITE_MOSTLY);
        /* no flags at all: the kernel prints just the newline */
        assert_int_equal(md_parse_dev_state(S("\n"), &f), 0);
        assert_int_equal(f, 0);

        f = MD_DEV_SPARE;
        assert_int_equal(md_parse_dev_state(S("in_sync,\n"), &f), -EBADMSG);
        assert_int_equal(md_parse_dev_state(S(",in_sync\n"), &f), -EBADMSG);
        assert_int_equal(md_parse_dev_state(S("in_sync,,faulty\n"), &f), -EBADMSG);
        assert_int_equal(md_parse_dev_state(S("in_sync, faulty\n"), &f), -EBADMSG);
        assert_int_equal(md_parse_dev_state(S("in-sync\n"), &f), -EBADMSG);
        assert_int_equal(md_parse_dev_state(S("-faulty\n"), &f), -EBADMSG); /* a store word, never shown */
        assert_int_equal(md_parse_dev_state(S("in_sync\0faulty\n"), &f), -EBADMSG);
        assert_int_equal(md_parse_dev_state("in_sync,faulty", 9, &f), -EBADMSG); /* "in_sync,f" */
        assert_int_equal(f, MD_DEV_SPARE);
}

static void test_dev_slot(void **state) {
        int s = 5;
        (void) state;

        assert_int_equal(md_parse_dev_slot(S("0\n"), &s), 0);
        assert_int_equal(s, 0);
        assert_int_equal(md_parse_dev_slot(S("1\n"), &s), 0);
        assert_int_equal(s, 1);
        assert_int_equal(md_parse_dev_slot(S("none\n"), &s), 0);
        assert_int_equal(s, MD_SLOT_NONE);
        assert_int_equal(md_parse_dev_slot(S("journal\n"), &s), 0);
        assert_int_equal(s, MD_SLOT_JOURNAL);
        s = 3;
        assert_int_equal(md_parse_dev_slot(S("-1\n"), &s), -EBADMSG);
        assert_int_equal(md_parse_dev_slot(S("\n"), &s), -EBADMSG);
        assert_int_equal(md_parse_dev_slot(S("1 \n"), &s), -EBADMSG);
        assert_int_equal(md_parse_dev_slot(S("2147483648\n"), &s), -EBADMSG);
        assert_int_equal(s, 3);
}

/* ---- fixtures captured from the kernel ---- */

static int open_root(const char *dir) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

/* Reads dev under the fixture root and checks the verdict and that the
 * reason holds each of the NULL-terminated words. */
static void expect(const char *fixture, const char *dev, enum health want, ...) {
        char root[256], reason[256];
        struct md_status s;
        snprintf(root, sizeof root, FIXTURES "%s", fixture);
        int fd = open_root(root);
        assert_int_equal(md_read(fd, dev, &s), 0);
        close(fd);
        enum health h = md_verdict(&s, reason, sizeof reason);
        printf("# %s: %s: %s\n", fixture, health_to_string(h), reason);
        assert_int_equal(h, want);
        va_list ap;
        va_start(ap, want);
        for (const char *w; (w = va_arg(ap, const char *));)
                if (!strstr(reason, w))
                        fail_msg("%s: reason \"%s\" lacks \"%s\"", fixture, reason, w);
        va_end(ap);
        md_status_done(&s);
}

static void test_fixture_clean(void **state) {
        struct md_status s;
        (void) state;

        int fd = open_root(FIXTURES "clean-raid1");
        assert_int_equal(md_read(fd, "md0", &s), 0);
        close(fd);
        assert_string_equal(s.name, "md0");
        for (int f = 0; f < _MD_FILE_MAX; f++)
                assert_int_equal(s.err[f], 0);
        assert_int_equal(s.level, MD_LEVEL_RAID1);
        assert_int_equal(s.raid_disks, 2);
        assert_int_equal(s.array_state, MD_ARRAY_CLEAN);
        assert_int_equal(s.degraded, 0);
        assert_int_equal(s.sync_action, MD_SYNC_IDLE);
        assert_int_equal(s.sync_completed.kind, MD_PROGRESS_NONE);
        assert_int_equal(s.mismatch_cnt, 0);
        assert_int_equal(s.members_err, 0);
        assert_int_equal(s.n_members, 2);
        assert_string_equal(s.members[0].name, "loop0");
        assert_int_equal(s.members[0].flags, MD_DEV_IN_SYNC);
        assert_int_equal(s.members[0].slot, 0);
        assert_string_equal(s.members[1].name, "loop1");
        assert_int_equal(s.members[1].flags, MD_DEV_IN_SYNC);
        assert_int_equal(s.members[1].slot, 1);
        md_status_done(&s);
        assert_null(s.members);
        md_status_done(NULL);

        expect("clean-raid1", "md0", HEALTH_OK, "raid1 clean", "2 of 2 in sync", NULL);
}

static void test_fixture_degraded(void **state) {
        (void) state;
        /* created with "missing": one member, degraded 1 */
        expect("degraded", "md0", HEALTH_DEGRADED, "1 of 2 in sync", "degraded (1 missing)", NULL);
}

static void test_fixture_faulty(void **state) {
        (void) state;
        /* mdadm --fail: dev-loop1/state "faulty", slot "none" */
        expect("faulty", "/dev/md0", HEALTH_DEGRADED, "member loop1 faulty", "1 of 2 in sync",
               "degraded (1 missing)", NULL);
}

static void test_fixture_recovering(void **state) {
        (void) state;
        /* sync_action recover, sync_completed "65536 / 1046528", the new
         * member "spare" in slot 1 */
        expect("recovering", "md0", HEALTH_DEGRADED, "1 of 2 in sync", "recovery 6%", NULL);
}

static void test_fixture_resync(void **state) {
        (void) state;
        /* both members in_sync while the initial resync runs */
        expect("resync", "md0", HEALTH_DEGRADED, "2 of 2 in sync", "resync 6%", NULL);
}

static void test_fixture_check(void **state) {
        (void) state;
        /* a check found mismatches (mismatch_cnt 1792) before sync_completed
         * moved off "0 / 129024"; once done, mismatch_cnt stays */
        expect("check-mismatch", "md0", HEALTH_OK, "2 of 2 in sync", "check 0%", "mismatch_cnt 1792 so far", NULL);
        expect("checked-mismatch", "md0", HEALTH_OK, "mismatch_cnt 14336", NULL);
}

static void test_fixture_inactive(void **state) {
        struct md_status s;
        (void) state;

        /* echo inactive > array_state: level and raid_disks stay, the
         * redundancy files (degraded, sync_*, mismatch_cnt) are gone */
        int fd = open_root(FIXTURES "inactive");
        assert_int_equal(md_read(fd, "md0", &s), 0);
        close(fd);
        assert_int_equal(s.array_state, MD_ARRAY_INACTIVE);
        assert_int_equal(s.level, MD_LEVEL_RAID1);
        assert_int_equal(s.err[MD_FILE_DEGRADED], -ENOENT);
        assert_int_equal(s.err[MD_FILE_SYNC_ACTION], -ENOENT);
        assert_int_equal(s.n_members, 2);
        md_status_done(&s);
        expect("inactive", "md0", HEALTH_FAILED, "inactive", NULL);

        /* mdadm --assemble with one of two and no --run: no md0 at all */
        fd = open_root(FIXTURES "assemble-incomplete");
        assert_int_equal(md_read(fd, "md0", &s), -ENOENT);
        close(fd);
}

static void test_fixture_readonly(void **state) {
        (void) state;
        expect("readonly", "md0", HEALTH_FAILED, "read-only", "2 of 2 in sync", NULL);
        expect("read-auto", "md0", HEALTH_OK, "read-auto", "2 of 2 in sync", NULL);
}

/* ---- names and roots ---- */

static void test_names(void **state) {
        struct md_status s = { .raid_disks = 99 };
        char link[256];
        (void) state;

        /* mdadm made /dev/md/db itself (no udev in the rig) */
        int fd = open_root(FIXTURES "named");
        ssize_t k = readlinkat(fd, "dev/md/db", link, sizeof link - 1);
        assert_true(k > 0);
        link[k] = '\0';
        const char *kname = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
        assert_int_equal(md_read(fd, "/dev/md/db", &s), 0);
        assert_string_equal(s.name, kname);
        assert_int_equal(md_verdict(&s, NULL, 0), HEALTH_OK);
        md_status_done(&s);
        assert_int_equal(md_read(fd, kname, &s), 0);
        md_status_done(&s);
        assert_int_equal(md_read(fd, "/dev/md/nosuch", &s), -ENOENT);
        close(fd);

        fd = open_root(FIXTURES "clean-raid1");
        s.raid_disks = 99;
        assert_int_equal(md_read(fd, "../md0", &s), -EINVAL);
        assert_int_equal(md_read(fd, "/dev/../md0", &s), -EINVAL);
        assert_int_equal(md_read(fd, "/dev/md/..", &s), -EINVAL);
        assert_int_equal(md_read(fd, "/dev/md/../md0", &s), -EINVAL);
        assert_int_equal(md_read(fd, "..", &s), -EINVAL);
        assert_int_equal(md_read(fd, "", &s), -EINVAL);
        assert_int_equal(md_read(fd, "/dev/", &s), -EINVAL);
        assert_int_equal(md_read(fd, "md0/", &s), -EINVAL);
        assert_int_equal(md_read(fd, "md1", &s), -ENOENT);
        assert_int_equal(md_read(fd, "/dev/md/db", &s), -ENOENT); /* no dev/md here */
        assert_int_equal(md_read(-1, "md0", &s), -EINVAL);
        assert_int_equal(s.raid_disks, 99); /* untouched */
        close(fd);
}

/* A scratch root under /tmp, removed with rm -rf by the caller. */
static void put(const char *root, const char *path, const char *content) {
        char p[512], cmd[600];
        snprintf(p, sizeof p, "%s/%s", root, path);
        snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", p);
        assert_int_equal(system(cmd), 0);
        FILE *f = fopen(p, "we");
        assert_non_null(f);
        fputs(content, f);
        fclose(f);
}

/* The clean raid1 values as the kernel wrote them in tests/fixtures/md/clean-raid1. */
static void put_clean(const char *root) {
        put(root, "sys/block/md0/md/level", "raid1\n");
        put(root, "sys/block/md0/md/raid_disks", "2\n");
        put(root, "sys/block/md0/md/array_state", "clean\n");
        put(root, "sys/block/md0/md/degraded", "0\n");
        put(root, "sys/block/md0/md/sync_action", "idle\n");
        put(root, "sys/block/md0/md/sync_completed", "none\n");
        put(root, "sys/block/md0/md/mismatch_cnt", "0\n");
        put(root, "sys/block/md0/md/dev-loop0/state", "in_sync\n");
        put(root, "sys/block/md0/md/dev-loop0/slot", "0\n");
        put(root, "sys/block/md0/md/dev-loop1/state", "in_sync\n");
        put(root, "sys/block/md0/md/dev-loop1/slot", "1\n");
}

static void rm_rf(const char *dir) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
}

static void test_links_stay_in_root(void **state) {
        char root[] = "/tmp/test-md.XXXXXX", reason[256], p[512];
        struct md_status s;
        (void) state;

        assert_non_null(mkdtemp(root));
        put_clean(root);
        int fd = open_root(root);
        assert_int_equal(mkdirat(fd, "dev", 0755), 0);
        assert_int_equal(mkdirat(fd, "dev/md", 0755), 0);
        /* udev's form, an absolute form, one that climbs out, one that is a file */
        assert_int_equal(symlinkat("../md0", fd, "dev/md/db"), 0);
        assert_int_equal(symlinkat("/dev/md0", fd, "dev/md/abs"), 0);
        assert_int_equal(symlinkat("../../../../../etc", fd, "dev/md/out"), 0);
        put(root, "dev/md/file", "md0\n");
        assert_int_equal(md_read(fd, "/dev/md/db", &s), 0);
        assert_string_equal(s.name, "md0");
        md_status_done(&s);
        assert_int_equal(md_read(fd, "/dev/md/abs", &s), 0);
        assert_string_equal(s.name, "md0");
        md_status_done(&s);
        assert_int_equal(md_read(fd, "/dev/md/out", &s), -ENOENT);
        assert_int_equal(md_read(fd, "/dev/md/file", &s), -ENOENT);

        /* sys/block/md1 links to an array outside the root: not followed there */
        snprintf(p, sizeof p, "%s/" FIXTURES "clean-raid1/sys/block/md0", getcwd(reason, sizeof reason));
        assert_int_equal(symlinkat(p, fd, "sys/block/md1"), 0);
        assert_int_equal(md_read(fd, "md1", &s), -ENOENT);

        /* a missing file: unknown, and the reason names it */
        assert_int_equal(unlinkat(fd, "sys/block/md0/md/degraded", 0), 0);
        assert_int_equal(md_read(fd, "md0", &s), 0);
        assert_int_equal(s.err[MD_FILE_DEGRADED], -ENOENT);
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_UNKNOWN);
        assert_string_equal(reason, "degraded missing");
        md_status_done(&s);
        put(root, "sys/block/md0/md/degraded", "0\n");

        /* a member's state the parser does not know: unknown */
        put(root, "sys/block/md0/md/dev-loop1/state", "in_sync,frobbed\n");
        assert_int_equal(md_read(fd, "md0", &s), 0);
        assert_int_equal(s.members[1].state_err, -EBADMSG);
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_UNKNOWN);
        assert_string_equal(reason, "member loop1: state not understood");
        md_status_done(&s);
        put(root, "sys/block/md0/md/dev-loop1/state", "in_sync\n");

        /* a file beyond the 4 KiB bound */
        char big[5000];
        memset(big, '0', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        put(root, "sys/block/md0/md/mismatch_cnt", big);
        assert_int_equal(md_read(fd, "md0", &s), 0);
        assert_int_equal(s.err[MD_FILE_MISMATCH_CNT], -EFBIG);
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_UNKNOWN);
        md_status_done(&s);
        put(root, "sys/block/md0/md/mismatch_cnt", "0\n");

        /* a leaf that is a symlink is not followed */
        assert_int_equal(unlinkat(fd, "sys/block/md0/md/array_state", 0), 0);
        assert_int_equal(symlinkat("level", fd, "sys/block/md0/md/array_state"), 0);
        assert_int_equal(md_read(fd, "md0", &s), 0);
        assert_int_equal(s.err[MD_FILE_ARRAY_STATE], -ELOOP);
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_UNKNOWN);
        md_status_done(&s);

        close(fd);
        rm_rf(root);
}

/* ---- the verdict on hand-made states (the rules in md.h) ---- */

static struct md_status status(enum md_level level, unsigned raid_disks, struct md_member *m, size_t n) {
        return (struct md_status) {
                .name = "md9", .level = level, .raid_disks = raid_disks,
                .array_state = MD_ARRAY_ACTIVE, .sync_action = MD_SYNC_IDLE,
                .members = m, .n_members = n,
        };
}

static void test_verdict_rules(void **state) {
        char reason[256];
        (void) state;
        struct md_member m[4] = {
                { .name = "sda", .flags = MD_DEV_IN_SYNC, .slot = 0 },
                { .name = "sdb", .flags = MD_DEV_IN_SYNC, .slot = 1 },
                { .name = "sdc", .flags = MD_DEV_IN_SYNC, .slot = 2 },
                { .name = "sdd", .flags = MD_DEV_SPARE, .slot = MD_SLOT_NONE },
        };

        struct md_status s = status(MD_LEVEL_RAID5, 3, m, 4);
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_OK);
        assert_string_equal(reason, "raid5 active, 3 of 3 in sync; 1 spare");

        m[1] = (struct md_member) { .name = "sdb", .flags = MD_DEV_FAULTY, .slot = MD_SLOT_NONE };
        s.degraded = 1;
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_DEGRADED);
        assert_string_equal(reason, "member sdb faulty; raid5 active, 2 of 3 in sync; degraded (1 missing); 1 spare");

        m[2].flags = MD_DEV_FAULTY;
        m[2].slot = MD_SLOT_NONE;
        s.degraded = 2;
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_FAILED);
        assert_non_null(strstr(reason, "1 of 3 in sync; raid5 needs 2"));

        /* raid0 and linear: no redundancy files, every member needed */
        struct md_member r0[2] = {
                { .name = "sda", .flags = MD_DEV_IN_SYNC, .slot = 0 },
                { .name = "sdb", .flags = MD_DEV_IN_SYNC, .slot = 1 },
        };
        s = status(MD_LEVEL_RAID0, 2, r0, 2);
        for (int f = MD_FILE_DEGRADED; f < _MD_FILE_MAX; f++)
                s.err[f] = -ENOENT;
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_OK);
        s.array_state = MD_ARRAY_BROKEN;
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_FAILED);
        assert_string_equal(reason, "array broken: a member is missing");
        s.array_state = MD_ARRAY_CLEAN;
        s.n_members = 1;
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_FAILED);

        /* raid1: a repair is noted, not a verdict; a reshape degrades */
        s = status(MD_LEVEL_RAID1, 2, r0, 2);
        s.sync_action = MD_SYNC_REPAIR;
        s.sync_completed = (struct md_progress) { MD_PROGRESS_RUNNING, 50, 100 };
        s.mismatch_cnt = 8;
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_OK);
        assert_string_equal(reason, "raid1 active, 2 of 2 in sync; repair 50%; mismatch_cnt 8 so far");
        s.sync_action = MD_SYNC_RESHAPE;
        s.mismatch_cnt = 0;
        s.sync_completed.kind = MD_PROGRESS_DELAYED;
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_DEGRADED);
        assert_string_equal(reason, "raid1 active, 2 of 2 in sync; reshape delayed");
        s.sync_action = MD_SYNC_FROZEN;
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_OK);
        assert_string_equal(reason, "raid1 active, 2 of 2 in sync; sync frozen");

        /* clear, suspended; an unknown level; a container */
        s.array_state = MD_ARRAY_CLEAR;
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_FAILED);
        s.array_state = MD_ARRAY_SUSPENDED;
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_FAILED);
        s.array_state = MD_ARRAY_ACTIVE;
        s.err[MD_FILE_LEVEL] = -EBADMSG;
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_UNKNOWN);
        assert_string_equal(reason, "level not understood");
        s.err[MD_FILE_LEVEL] = 0;
        s.level = MD_LEVEL_CONTAINER;
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_UNKNOWN);
        s.array_state = (enum md_array_state) 42;
        assert_int_equal(md_verdict(&s, reason, sizeof reason), HEALTH_UNKNOWN);

        /* the reason is cut to fit, always terminated */
        s = status(MD_LEVEL_RAID1, 2, r0, 2);
        assert_int_equal(md_verdict(&s, reason, 8), HEALTH_OK);
        assert_string_equal(reason, "raid1 a");
        assert_int_equal(md_verdict(&s, reason, 1), HEALTH_OK);
        assert_string_equal(reason, "");
        assert_int_equal(md_verdict(NULL, reason, sizeof reason), HEALTH_UNKNOWN);
}

/* ----------------------------------------------------- mdadm (md-cmd.c) */

static void test_presence(void **state) {
        (void) state;
        struct md_status s = {};
        assert_int_equal(md_presence_of(NULL), MD_ABSENT);
        s.array_state = MD_ARRAY_CLEAR; /* an md device with nothing in it */
        assert_int_equal(md_presence_of(&s), MD_ABSENT);
        s.array_state = MD_ARRAY_INACTIVE;
        assert_int_equal(md_presence_of(&s), MD_INACTIVE);
        const enum md_array_state running[] = { MD_ARRAY_SUSPENDED, MD_ARRAY_READONLY, MD_ARRAY_READ_AUTO,
                                                MD_ARRAY_CLEAN, MD_ARRAY_ACTIVE, MD_ARRAY_WRITE_PENDING,
                                                MD_ARRAY_ACTIVE_IDLE, MD_ARRAY_BROKEN };
        for (size_t i = 0; i < ELEMENTSOF(running); i++) {
                s.array_state = running[i];
                assert_int_equal(md_presence_of(&s), MD_RUNNING);
        }
        s.err[MD_FILE_ARRAY_STATE] = -EBADMSG;
        assert_int_equal(md_presence_of(&s), MD_PRESENCE_UNKNOWN);
        assert_string_equal(md_presence_to_string(MD_INACTIVE), "inactive");
        assert_null(md_presence_to_string(_MD_PRESENCE_MAX));

        /* the trees the kernel wrote: an inactive array, a clean one, none */
        int fd = open(FIXTURES "inactive", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(md_read(fd, "md0", &s), 0);
        assert_int_equal(md_presence_of(&s), MD_INACTIVE);
        md_status_done(&s);
        close(fd);
        fd = open(FIXTURES "clean-raid1", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(md_read(fd, "md0", &s), 0);
        assert_int_equal(md_presence_of(&s), MD_RUNNING);
        md_status_done(&s);
        close(fd);
        fd = open(FIXTURES "assemble-incomplete", O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(md_read(fd, "md0", &s), -ENOENT);
        close(fd);
}

static void want_argv(const char *const *got, const char *const *want) {
        size_t i = 0;
        for (; want[i]; i++) {
                if (!got[i] || strcmp(got[i], want[i]) != 0)
                        fail_msg("argv[%zu] = \"%s\", want \"%s\"", i, got[i] ? got[i] : "(null)", want[i]);
        }
        if (got[i])
                fail_msg("argv[%zu] = \"%s\", want the end", i, got[i]);
}

static void test_mdadm_argv(void **state) {
        (void) state;
        const char *argv[MD_MDADM_ARGV_MAX];
        char dev[MD_DEVNAME_MAX], small[10];

        /* the names mdadm is given */
        assert_int_equal(md_mdadm_devname("md0", dev, sizeof dev), 0);
        assert_string_equal(dev, "/dev/md0");
        assert_int_equal(md_mdadm_devname("/dev/md127", dev, sizeof dev), 0);
        assert_string_equal(dev, "/dev/md127");
        assert_int_equal(md_mdadm_devname("/dev/md/dbdata", dev, sizeof dev), 0);
        assert_string_equal(dev, "/dev/md/dbdata");
        assert_int_equal(md_mdadm_devname("/dev/disk/by-id/md-uuid-1", dev, sizeof dev), -EINVAL);
        assert_int_equal(md_mdadm_devname("/dev/mapper/mpatha", dev, sizeof dev), -EINVAL);
        assert_int_equal(md_mdadm_devname("/dev/md/..", dev, sizeof dev), -EINVAL);
        assert_int_equal(md_mdadm_devname("/dev/md/a/b", dev, sizeof dev), -EINVAL);
        assert_int_equal(md_mdadm_devname("/dev/md/", dev, sizeof dev), -EINVAL);
        assert_int_equal(md_mdadm_devname("/dev/md/a b", dev, sizeof dev), -EINVAL);
        assert_int_equal(md_mdadm_devname("/dev/md/-run", dev, sizeof dev), -EINVAL);
        assert_int_equal(md_mdadm_devname("dm-0", dev, sizeof dev), -EINVAL);
        assert_int_equal(md_mdadm_devname("/dev/md/dbdata", small, sizeof small), -ENAMETOOLONG);

        /* mdadm --assemble --run --config CONF DEV; mdadm --stop DEV */
        assert_int_equal(md_mdadm_assemble_argv("/etc/tandem/db.mdadm.conf", "/dev/md/dbdata", argv), 0);
        want_argv(argv, (const char *const[]) { "mdadm", "--assemble", "--run", "--config",
                                                "/etc/tandem/db.mdadm.conf", "/dev/md/dbdata", NULL });
        assert_int_equal(md_mdadm_stop_argv("/dev/md127", argv), 0);
        want_argv(argv, (const char *const[]) { "mdadm", "--stop", "/dev/md127", NULL });
        assert_int_equal(md_mdadm_assemble_argv("db.mdadm.conf", "/dev/md/dbdata", argv), -EINVAL);
        assert_int_equal(md_mdadm_assemble_argv("/etc/x", "--scan", argv), -EINVAL);
        assert_int_equal(md_mdadm_assemble_argv(NULL, "/dev/md0", argv), -EINVAL);
        assert_int_equal(md_mdadm_stop_argv("md0", argv), -EINVAL);
        assert_int_equal(md_mdadm_stop_argv("/dev/", argv), -EINVAL);
        assert_int_equal(md_mdadm_stop_argv("/dev/md/../sda", argv), -EINVAL);
}

static void test_mdadm_message(void **state) {
        (void) state;
        char b[256];
        /* what mdadm 4.2 wrote in the QEMU rig */
        static const char busy[] = "mdadm: Cannot get exclusive access to /dev/md/dbdata:Perhaps a running process, "
                                   "mounted filesystem or active volume group?\n";
        assert_string_equal(md_mdadm_message(busy, sizeof busy - 1, b, sizeof b),
                            "Cannot get exclusive access to /dev/md/dbdata:Perhaps a running process, mounted "
                            "filesystem or active volume group?");
        static const char two[] = "mdadm: /dev/sda is busy - skipping\nmdadm: /dev/sdb is busy - skipping\n";
        assert_string_equal(md_mdadm_message(two, sizeof two - 1, b, sizeof b), "/dev/sdb is busy - skipping");
        assert_string_equal(md_mdadm_message(two, sizeof two - 1, b, 12), "/dev/sdb is");
        static const char noid[] = "mdadm: /dev/md/dbdata not identified in config file.\n";
        assert_string_equal(md_mdadm_message(noid, sizeof noid - 1, b, sizeof b),
                            "/dev/md/dbdata not identified in config file.");
        static const char gaveup[] = "mdadm: Found some drive for an array that is already active: /dev/md/dbdata\n"
                                     "mdadm: giving up.\n";
        assert_string_equal(md_mdadm_message(gaveup, sizeof gaveup - 1, b, sizeof b),
                            "Found some drive for an array that is already active: /dev/md/dbdata; giving up.");
        /* the last "mdadm: " line wins over later lines that are not mdadm's */
        static const char mixed[] = "mdadm: first line, long enough\nmdadm: second line, long enough\n  trailing\n\n";
        assert_string_equal(md_mdadm_message(mixed, sizeof mixed - 1, b, sizeof b), "second line, long enough");
        static const char plain[] = "no prefix here\r\n\n";
        assert_string_equal(md_mdadm_message(plain, sizeof plain - 1, b, sizeof b), "no prefix here");
        static const char ctl[] = "mdadm: a\tb\x1b[0m";
        assert_string_equal(md_mdadm_message(ctl, sizeof ctl - 1, b, sizeof b), "a b [0m");
        assert_string_equal(md_mdadm_message("", 0, b, sizeof b), "");
        assert_string_equal(md_mdadm_message("mdadm: \n", 8, b, sizeof b), "mdadm:");
        assert_string_equal(md_mdadm_message(NULL, 0, b, sizeof b), "");
        assert_string_equal(md_mdadm_message(noid, sizeof noid - 1, b, 6), "/dev/");
        /* the length is the end: nothing past it is read */
        assert_string_equal(md_mdadm_message("mdadm: cut here", 10, b, sizeof b), "cut");
}

/* md_mdadm_run() on sh: it finds programs in the system's PATH only. */
static void test_mdadm_run(void **state) {
        (void) state;
        struct md_mdadm_result r = { .status = 99 };

        const char *const ok[] = { "sh", "-c", "echo out; echo 'mdadm: said on stderr' >&2; exit 3", NULL };
        assert_int_equal(md_mdadm_run(ok, 10 * USEC_PER_SEC, &r), 0);
        assert_int_equal(r.status, 3);
        assert_false(r.timed_out);
        assert_string_equal(r.out, "out\nmdadm: said on stderr\n");
        assert_int_equal(r.out_len, strlen(r.out));

        /* stdin is /dev/null */
        const char *const in[] = { "sh", "-c", "cat; echo done", NULL };
        assert_int_equal(md_mdadm_run(in, 10 * USEC_PER_SEC, &r), 0);
        assert_int_equal(r.status, 0);
        assert_string_equal(r.out, "done\n");

        /* a long output keeps its end */
        const char *const lots[] = { "sh", "-c", "i=0; while [ $i -lt 400 ]; do echo line$i; i=$((i+1)); done", NULL };
        assert_int_equal(md_mdadm_run(lots, 10 * USEC_PER_SEC, &r), 0);
        assert_int_equal(r.out_len, MD_MDADM_OUT_MAX - 1);
        assert_non_null(strstr(r.out, "line399\n"));
        assert_null(strstr(r.out, "line0\n"));

        /* bounded: killed after the timeout */
        usec_t t0 = now(CLOCK_MONOTONIC);
        const char *const slow[] = { "sh", "-c", "echo started; exec sleep 30", NULL };
        assert_int_equal(md_mdadm_run(slow, 300 * USEC_PER_MSEC, &r), 0);
        assert_true(r.timed_out);
        assert_int_equal(r.status, -SIGKILL);
        assert_string_equal(r.out, "started\n");
        assert_true(now(CLOCK_MONOTONIC) - t0 < 5 * USEC_PER_SEC);

        /* a child that keeps the output open does not hold us up */
        const char *const bg[] = { "sh", "-c", "sleep 4 & echo parent", NULL };
        t0 = now(CLOCK_MONOTONIC);
        assert_int_equal(md_mdadm_run(bg, 10 * USEC_PER_SEC, &r), 0);
        assert_int_equal(r.status, 0);
        assert_false(r.timed_out);
        assert_true(now(CLOCK_MONOTONIC) - t0 < 3 * USEC_PER_SEC);

        /* no such program; no path names */
        r.status = 42;
        const char *const none[] = { "no-such-program-tandem", NULL };
        assert_int_equal(md_mdadm_run(none, USEC_PER_SEC, &r), -ENOENT);
        assert_int_equal(r.status, 42);
        const char *const path[] = { "/bin/sh", "-c", "true", NULL };
        assert_int_equal(md_mdadm_run(path, USEC_PER_SEC, &r), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_level),
                cmocka_unit_test(test_raid_disks),
                cmocka_unit_test(test_array_state),
                cmocka_unit_test(test_degraded_mismatch),
                cmocka_unit_test(test_sync_action),
                cmocka_unit_test(test_sync_completed),
                cmocka_unit_test(test_dev_state),
                cmocka_unit_test(test_dev_slot),
                cmocka_unit_test(test_fixture_clean),
                cmocka_unit_test(test_fixture_degraded),
                cmocka_unit_test(test_fixture_faulty),
                cmocka_unit_test(test_fixture_recovering),
                cmocka_unit_test(test_fixture_resync),
                cmocka_unit_test(test_fixture_check),
                cmocka_unit_test(test_fixture_inactive),
                cmocka_unit_test(test_fixture_readonly),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_links_stay_in_root),
                cmocka_unit_test(test_verdict_rules),
                cmocka_unit_test(test_presence),
                cmocka_unit_test(test_mdadm_argv),
                cmocka_unit_test(test_mdadm_message),
                cmocka_unit_test(test_mdadm_run),
        };
        return cmocka_run_group_tests_name("md", tests, NULL, NULL);
}
