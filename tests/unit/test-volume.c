/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The volume module's pure parts on literal strings (proc(5) maps lines,
 * fsck(8) exit codes, device strings and options), and the /proc readers
 * on fake trees (tests/fixtures/proc/, see each SOURCE). Run from the repo
 * root. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "tandem/ocf.h"
#include "tandem/volume.h"

#define HOLDERS "tests/fixtures/proc/holders"
#define MOUNTS "tests/fixtures/proc/mounts"

#define S(lit) lit, sizeof(lit) - 1

static void test_spec(void **state) {
        struct volspec s = { .tag = _VOLSPEC_TAG_INVALID };
        const char *why = NULL;
        (void) state;

        assert_int_equal(volspec_parse("UUID=3f1c0d2e-aa01-4b5e-9c1d-0123456789ab", &s, &why), 0);
        assert_int_equal(s.tag, VOLSPEC_UUID);
        assert_string_equal(s.value, "3f1c0d2e-aa01-4b5e-9c1d-0123456789ab");
        assert_int_equal(volspec_parse("LABEL=db data", &s, &why), 0);
        assert_int_equal(s.tag, VOLSPEC_LABEL);
        assert_string_equal(s.value, "db data");
        assert_int_equal(volspec_parse("PARTUUID=0a1b2c3d-01", &s, &why), 0);
        assert_int_equal(s.tag, VOLSPEC_PARTUUID);
        assert_int_equal(volspec_parse("/dev/disk/by-id/wwn-0x6001", &s, &why), 0);
        assert_int_equal(s.tag, VOLSPEC_PATH);
        assert_string_equal(volspec_tag_to_string(VOLSPEC_LABEL), "LABEL");

        s.tag = VOLSPEC_LABEL;
        why = NULL;
        assert_int_equal(volspec_parse("LABEL=", &s, &why), -EINVAL);
        assert_non_null(why);
        assert_int_equal(volspec_parse("TYPE=ext4", &s, &why), -EINVAL);
        assert_int_equal(volspec_parse("UUID=not-hex!", &s, &why), -EINVAL);
        assert_int_equal(volspec_parse("/etc/passwd", &s, &why), -EINVAL);
        assert_int_equal(volspec_parse("/dev/", &s, &why), -EINVAL);
        assert_int_equal(volspec_parse("/dev/../etc/x", &s, &why), -EINVAL);
        assert_int_equal(volspec_parse("LABEL=a\nb", &s, &why), -EINVAL);
        assert_int_equal(volspec_parse("sdb1", &s, &why), -EINVAL);
        /* a path by the rules of every device path (devspec_parse()) */
        assert_int_equal(volspec_parse("/dev/disk/by-label/db data", &s, &why), -EINVAL);
        assert_non_null(strstr(why, "spaces"));
        assert_int_equal(volspec_parse("/dev/sdb/..", &s, &why), -EINVAL);
        assert_int_equal(volspec_parse("/dev/sdb/", &s, &why), -EINVAL);
        assert_int_equal(volspec_parse("/etc/passwd", &s, &why), -EINVAL);
        assert_non_null(strstr(why, "under /dev/"));
        char longpath[5000];
        memset(longpath, 'a', sizeof longpath - 1);
        longpath[sizeof longpath - 1] = '\0';
        memcpy(longpath, "/dev/", 5);
        assert_int_equal(volspec_parse(longpath, &s, &why), -EINVAL);
        assert_int_equal(s.tag, VOLSPEC_LABEL); /* untouched */
}

/* Each of good passes check; each of bad is refused with a reason. */
static void want_checked(int (*check)(const char *, const char **), const char *const *good,
                         const char *const *bad) {
        for (; *good; good++)
                if (check(*good, NULL) != 0)
                        fail_msg("'%s' refused", *good);
        for (; *bad; bad++) {
                const char *why = NULL;
                if (check(*bad, &why) != -EINVAL || !why)
                        fail_msg("'%s' not refused with a reason", *bad);
        }
}

static void test_checks(void **state) {
        (void) state;

        want_checked(volspec_check_fstype, (const char *const[]) { "ext4", "xfs", "fuse.sshfs", NULL },
                     (const char *const[]) { "auto", "", "ext4,xfs", "EXT4", NULL });
        want_checked(volspec_check_mountpoint, (const char *const[]) { "/srv/db", "/srv/.db", NULL },
                     (const char *const[]) { "/", "srv/db", "/srv/db/", "/srv//db", "/srv/../db", "/srv/db/..",
                                             "/srv/./db", "/srv/\tdb", NULL });
        /* as text: empty options and control characters, nothing else */
        want_checked(volspec_check_options_text, (const char *const[]) { "defaults", "remount,ro", "\"a,b", NULL },
                     (const char *const[]) { "", ",ro", "ro,", "noatime,,ro", "a\tb", NULL });
        /* fully: libmount's parser, and bind, rbind, move, remount and loop refused */
        want_checked(volspec_check_options,
                     (const char *const[]) { "defaults", "noatime,data=ordered", "ro", "bindx",
                                             "context=\"system_u:object_r:tmp_t:s0\",noatime", "context=\"a,bind\"",
                                             NULL },
                     (const char *const[]) { "noatime,bind", "remount,ro", "loop", "rbind", "move", "noatime,,ro",
                                             ",ro", "ro,", "", "a\tb", NULL });
}

static void test_fsck_classify(void **state) {
        char buf[160];
        (void) state;

        /* fsck(8) EXIT STATUS: the sum of these */
        assert_int_equal(vol_fsck_classify(0), VOL_FSCK_CLEAN);
        assert_int_equal(vol_fsck_classify(1), VOL_FSCK_CORRECTED);
        assert_int_equal(vol_fsck_classify(2), VOL_FSCK_REBOOT);
        assert_int_equal(vol_fsck_classify(3), VOL_FSCK_REBOOT);
        assert_int_equal(vol_fsck_classify(4), VOL_FSCK_UNCORRECTED);
        assert_int_equal(vol_fsck_classify(5), VOL_FSCK_UNCORRECTED);
        assert_int_equal(vol_fsck_classify(8), VOL_FSCK_FAILED);
        assert_int_equal(vol_fsck_classify(12), VOL_FSCK_FAILED);
        assert_int_equal(vol_fsck_classify(16), VOL_FSCK_FAILED);
        assert_int_equal(vol_fsck_classify(32), VOL_FSCK_FAILED);
        assert_int_equal(vol_fsck_classify(128), VOL_FSCK_FAILED);
        assert_int_equal(vol_fsck_classify(-9), VOL_FSCK_FAILED);   /* SIGKILL */
        assert_int_equal(vol_fsck_classify(256), VOL_FSCK_FAILED);

        assert_true(vol_fsck_mountable(VOL_FSCK_CLEAN));
        assert_true(vol_fsck_mountable(VOL_FSCK_CORRECTED));
        assert_true(vol_fsck_mountable(VOL_FSCK_REBOOT));
        assert_false(vol_fsck_mountable(VOL_FSCK_UNCORRECTED));
        assert_false(vol_fsck_mountable(VOL_FSCK_FAILED));
        assert_string_equal(vol_fsck_verdict_to_string(VOL_FSCK_UNCORRECTED), "uncorrected");
        assert_null(vol_fsck_verdict_to_string(_VOL_FSCK_VERDICT_MAX));

        assert_string_equal(vol_fsck_describe(0, buf, sizeof buf), "0 (no errors)");
        assert_string_equal(vol_fsck_describe(1, buf, sizeof buf), "1 (errors corrected)");
        assert_string_equal(vol_fsck_describe(3, buf, sizeof buf), "3 (errors corrected, reboot wanted)");
        assert_string_equal(vol_fsck_describe(12, buf, sizeof buf), "12 (errors left uncorrected, operational error)");
        assert_string_equal(vol_fsck_describe(-15, buf, sizeof buf), "killed by signal 15");
        /* truncated, always terminated */
        assert_string_equal(vol_fsck_describe(1, buf, 6), "1 (er");
        assert_string_equal(vol_fsck_describe(1, buf, 1), "");
}

static void test_fsck_command(void **state) {
        const char *argv[VOL_FSCK_ARGV_MAX];
        (void) state;

        assert_int_equal(vol_fsck_command(CFG_FSCK_AUTO, "ext4", "/dev/sdb1", argv), 1);
        assert_string_equal(argv[0], "e2fsck");
        assert_string_equal(argv[1], "-p");
        assert_string_equal(argv[2], "/dev/sdb1");
        assert_null(argv[3]);
        assert_int_equal(vol_fsck_command(CFG_FSCK_AUTO, "ext2", "/dev/sdb1", argv), 1);
        assert_int_equal(vol_fsck_command(CFG_FSCK_AUTO, "xfs", "/dev/sdb1", argv), 0);
        assert_int_equal(vol_fsck_command(CFG_FSCK_NEVER, "ext4", "/dev/sdb1", argv), 0);
        assert_int_equal(vol_fsck_command(CFG_FSCK_ALWAYS, "ext3", "/dev/sdb1", argv), 1);
        assert_string_equal(argv[0], "e2fsck");
        assert_string_equal(argv[1], "-f");
        assert_string_equal(argv[2], "-p");
        assert_string_equal(argv[3], "/dev/sdb1");
        assert_null(argv[4]);
        assert_int_equal(vol_fsck_command(CFG_FSCK_ALWAYS, "xfs", "/dev/sdb1", argv), 1);
        assert_string_equal(argv[0], "fsck.xfs");
        assert_string_equal(argv[1], "-f");
        assert_int_equal(vol_fsck_command(CFG_FSCK_ALWAYS, "btrfs", "/dev/sdb1", argv), -EOPNOTSUPP);
        assert_int_equal(vol_fsck_command(CFG_FSCK_AUTO, "auto", "/dev/sdb1", argv), -EINVAL);
        assert_int_equal(vol_fsck_command(_CFG_FSCK_MAX, "ext4", "/dev/sdb1", argv), -EINVAL);
}

static void test_maps_line(void **state) {
        struct vol_maps_entry e = {};
        (void) state;

        assert_int_equal(vol_parse_maps_line(S("7f3a2c000000-7f3a2c001000 r--s 00000000 08:11 12                         /srv/db/data/f1"), &e), 0);
        assert_int_equal(e.major, 8);
        assert_int_equal(e.minor, 0x11);
        assert_int_equal(e.inode, 12);
        assert_int_equal(e.path_len, strlen("/srv/db/data/f1"));
        assert_memory_equal(e.path, "/srv/db/data/f1", e.path_len);
        /* a 12-bit major and 20-bit minor, in hex (show_map_vma()) */
        assert_int_equal(vol_parse_maps_line(S("00400000-00452000 r-xp 00000000 103:1a2b3 2883584 /usr/bin/x"), &e), 0);
        assert_int_equal(e.major, 0x103);
        assert_int_equal(e.minor, 0x1a2b3);
        /* anonymous: no path */
        assert_int_equal(vol_parse_maps_line(S("7ffd4b7e5000-7ffd4b806000 rw-p 00000000 00:00 0 "), &e), 0);
        assert_int_equal(e.inode, 0);
        assert_null(e.path);
        assert_int_equal(vol_parse_maps_line(S("7ffd4b7e5000-7ffd4b806000 rw-p 00000000 00:00 0"), &e), 0);
        /* a path with spaces, and "(deleted)" */
        assert_int_equal(vol_parse_maps_line(S("7f00-8f00 r--s 00001000 fd:02 77 /srv/db/a b (deleted)"), &e), 0);
        assert_int_equal(e.path_len, strlen("/srv/db/a b (deleted)"));

        e.major = 99;
        assert_int_equal(vol_parse_maps_line(S(""), &e), -EBADMSG);
        assert_int_equal(vol_parse_maps_line(S("7f00-7e00 r--s 0 08:11 12 /x"), &e), -EBADMSG);  /* end < start */
        assert_int_equal(vol_parse_maps_line(S("7f00-8f00 rw-q 0 08:11 12 /x"), &e), -EBADMSG);
        assert_int_equal(vol_parse_maps_line(S("7f00-8f00 r--s 0 08-11 12 /x"), &e), -EBADMSG);
        assert_int_equal(vol_parse_maps_line(S("7f00-8f00 r--s 0 1000:11 12 /x"), &e), -EBADMSG); /* major > 12 bits */
        assert_int_equal(vol_parse_maps_line(S("7f00-8f00 r--s 0 08:11 x12 /x"), &e), -EBADMSG);
        assert_int_equal(vol_parse_maps_line(S("7f00-8f00 r--s 0 08:11"), &e), -EBADMSG);
        assert_int_equal(vol_parse_maps_line(S("7f00-8f00 r--s 0 08:11 12x"), &e), -EBADMSG);
        assert_int_equal(vol_parse_maps_line(S("11111111111111111-8f00 r--s 0 08:11 12 /x"), &e), -EBADMSG);
        assert_int_equal(e.major, 99); /* untouched */
}

static void test_maps_uses_dev(void **state) {
        static const char maps[] =
                "55d0c0a00000-55d0c0a02000 r--p 00000000 fd:01 1311234 /usr/bin/mapper\n"
                "55d0c1f3e000-55d0c1f5f000 rw-p 00000000 00:00 0 [heap]\n"
                "7f3a2c000000-7f3a2c001000 r--s 00000000 08:12 12 /srv/db2/data/f1\n"
                "7f3a2c001000-7f3a2c002000 r--s 00000000 08:13 14 /srv/db/bind/f2\n"
                "7f3a2c002000-7f3a2c003000 rw-p 00000000 08:11 0 \n";
        bool found = true;
        (void) state;

        /* the volume is 08:11: the look-alike /srv/db2 (08:12) and the bind
         * mount of another filesystem at /srv/db/bind (08:13) do not count,
         * and neither does inode 0 on 08:11 */
        assert_int_equal(vol_maps_uses_dev(S(maps), 8, 0x11, &found), 0);
        assert_false(found);
        assert_int_equal(vol_maps_uses_dev(S(maps), 8, 0x12, &found), 0);
        assert_true(found);
        assert_int_equal(vol_maps_uses_dev(S(maps), 0xfd, 1, &found), 0);
        assert_true(found);
        /* the last line without its newline */
        assert_int_equal(vol_maps_uses_dev(S("7f00-8f00 r--s 0 08:11 12 /srv/x"), 8, 0x11, &found), 0);
        assert_true(found);
        assert_int_equal(vol_maps_uses_dev(S(""), 8, 0x11, &found), 0);
        assert_false(found);
        found = true;
        assert_int_equal(vol_maps_uses_dev(S("7f00-8f00 r--s 0 08:11 12 /x\ngarbage\n"), 8, 0x11, &found), -EBADMSG);
        assert_true(found); /* untouched */
}

static void test_pid(void **state) {
        pid_t p = 7;
        (void) state;
        assert_int_equal(vol_parse_pid("1", &p), 0);
        assert_int_equal(p, 1);
        assert_int_equal(vol_parse_pid("4194304", &p), 0);
        assert_int_equal(p, 4194304);
        p = 7;
        assert_int_equal(vol_parse_pid("0", &p), -EINVAL);
        assert_int_equal(vol_parse_pid("01", &p), -EINVAL);
        assert_int_equal(vol_parse_pid("-1", &p), -EINVAL);
        assert_int_equal(vol_parse_pid("+1", &p), -EINVAL);
        assert_int_equal(vol_parse_pid("self", &p), -EINVAL);
        assert_int_equal(vol_parse_pid("12a", &p), -EINVAL);
        assert_int_equal(vol_parse_pid("", &p), -EINVAL);
        assert_int_equal(vol_parse_pid("99999999999", &p), -EINVAL);
        assert_int_equal(p, 7);
}

static void test_held_describe(void **state) {
        char buf[64];
        (void) state;
        assert_string_equal(vol_held_describe(VOL_HELD_CWD, buf, sizeof buf), "cwd");
        assert_string_equal(vol_held_describe(VOL_HELD_FD | VOL_HELD_MAP, buf, sizeof buf), "open file, memory map");
        assert_string_equal(vol_held_describe(0, buf, sizeof buf), "");
        assert_string_equal(vol_held_describe(VOL_HELD_CWD | VOL_HELD_ROOT, buf, 6), "cwd, ");
        assert_string_equal(vol_ended_to_string(VOL_ENDED_KILL), "KILL");
}

static const struct vol_holder *find(const struct vol_holder *h, size_t n, pid_t pid) {
        for (size_t i = 0; i < n; i++)
                if (h[i].pid == pid)
                        return &h[i];
        return NULL;
}

/* The fake tree, with the volume as the filesystem the tree is on. */
static void test_holders_links(void **state) {
        struct vol_holder *h = NULL;
        size_t n = 0;
        struct stat vol, other;
        (void) state;

        assert_int_equal(stat(HOLDERS "/srv/db", &vol), 0);
        /* the tree's premise: /proc and /dev are other filesystems */
        assert_int_equal(stat("/proc/sys", &other), 0);
        assert_true(other.st_dev != vol.st_dev);
        assert_int_equal(stat("/dev/null", &other), 0);
        assert_true(other.st_dev != vol.st_dev);

        int fd = open(HOLDERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(vol_find_holders(fd, vol.st_dev, 4242, 0, &h, &n), 0);
        close(fd);

        const struct vol_holder *x;
        assert_non_null(x = find(h, n, 1));
        assert_int_equal(x->why, VOL_HELD_CWD);
        assert_true(x->spared);
        assert_string_equal(x->comm, "systemd");
        assert_non_null(x = find(h, n, 100));
        assert_int_equal(x->why, VOL_HELD_CWD);
        assert_false(x->spared);
        assert_string_equal(x->comm, "sleep");
        assert_int_equal(x->ended, VOL_ENDED_NO);
        assert_non_null(x = find(h, n, 101));
        assert_int_equal(x->why, VOL_HELD_FD);
        assert_string_equal(x->comm, "tail");
        assert_non_null(x = find(h, n, 102));
        assert_int_equal(x->why, VOL_HELD_ROOT);
        assert_non_null(x = find(h, n, 103));
        assert_int_equal(x->why, VOL_HELD_EXE);
        assert_non_null(x = find(h, n, 4242));
        assert_true(x->spared);
        /* maps on 08:11 is not this filesystem; look-alikes and the "bind
         * mount" of another filesystem never count; a kernel thread neither */
        assert_null(find(h, n, 104));
        assert_null(find(h, n, 105));
        assert_null(find(h, n, 106));
        assert_null(find(h, n, 107));
        /* every thread is read (M6): 108's main thread exited, 114's other thread has its own cwd */
        assert_non_null(x = find(h, n, 108));
        assert_int_equal(x->why, VOL_HELD_FD);
        assert_string_equal(x->comm, "python3");
        assert_non_null(x = find(h, n, 114));
        assert_int_equal(x->why, VOL_HELD_CWD);
        /* in other mount namespaces, holding nothing of this filesystem */
        for (pid_t p = 110; p <= 113; p++)
                assert_null(find(h, n, p));
        assert_int_equal(n, 8);
        for (size_t i = 1; i < n; i++)
                assert_true(h[i - 1].pid < h[i].pid);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(h[i].pidfd, -1);
        vol_holders_free(h, n);
}

/* The thread walk on its own (M6): a process is found through any of its
 * tasks, the group leader's directory alone (old readers) finds nothing. */
static void test_holders_threads(void **state) {
        struct vol_holder *h = NULL;
        size_t n = 0;
        struct stat vol, st;
        (void) state;

        assert_int_equal(stat(HOLDERS "/srv/db", &vol), 0);
        /* the premise: the leader of 108 shows no fd, the thread does */
        assert_int_equal(stat(HOLDERS "/108/fd", &st), -1);
        assert_int_equal(stat(HOLDERS "/108/task/109/fd/3", &st), 0);
        assert_true(st.st_dev == vol.st_dev);
        int fd = open(HOLDERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        /* VOL_FIND_PIDFD: each holder with the /proc/PID directory it was read through */
        assert_int_equal(vol_find_holders(fd, vol.st_dev, 4242, VOL_FIND_PIDFD, &h, &n), 0);
        close(fd);
        const struct vol_holder *x = find(h, n, 108);
        assert_non_null(x);
        assert_true(x->pidfd >= 0);
        struct stat a, b;
        assert_int_equal(fstat(x->pidfd, &a), 0);
        assert_int_equal(stat(HOLDERS "/108", &b), 0);
        assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
        assert_non_null(x = find(h, n, 114));
        assert_true(x->pidfd >= 0);
        vol_holders_free(h, n);
}

/* Mount namespaces: 110 and 111 are in one whose mountinfo still lists
 * 8:33; 113 is in PID 1's, which lists it too but never counts; 112's
 * does not list it. */
static void test_holders_ns(void **state) {
        struct vol_holder *h = NULL;
        struct vol_ns_mount *m = NULL;
        size_t n = 0;
        (void) state;

        int fd = open(HOLDERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        /* without VOL_FIND_NAMESPACES: nobody holds 8:33 */
        assert_int_equal(vol_find_holders(fd, makedev(8, 33), 4242, 0, &h, &n), 0);
        assert_int_equal(n, 0);
        vol_holders_free(h, n);
        assert_int_equal(vol_find_holders(fd, makedev(8, 33), 4242, VOL_FIND_NAMESPACES, &h, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(h[0].pid, 110);
        assert_int_equal(h[0].why, VOL_HELD_NS);
        assert_false(h[0].spared);
        assert_string_equal(h[0].comm, "sleep");
        assert_int_equal(h[1].pid, 111);
        assert_int_equal(h[1].why, VOL_HELD_NS);
        vol_holders_free(h, n);
        char buf[64];
        assert_string_equal(vol_held_describe(VOL_HELD_NS | VOL_HELD_CWD, buf, sizeof buf), "cwd, mount namespace");

        /* the namespaces that have it: the private one, and ours (PID 1's) */
        assert_int_equal(vol_find_ns_mounts(fd, makedev(8, 33), &m, &n), 0);
        assert_int_equal(n, 2);
        const struct vol_ns_mount *priv = m[0].ours ? &m[1] : &m[0], *host = m[0].ours ? &m[0] : &m[1];
        assert_false(priv->ours);
        assert_false(priv->init);
        assert_true(priv->pid == 110 || priv->pid == 111);
        assert_string_equal(priv->where, "/data");
        assert_true(host->ours);
        assert_true(host->init);
        assert_int_equal(host->pid, 113);
        assert_string_equal(host->where, "/srv/db");
        vol_ns_mounts_free(m, n);
        assert_int_equal(vol_find_ns_mounts(fd, makedev(8, 34), &m, &n), 0);
        assert_int_equal(n, 0);
        vol_ns_mounts_free(m, n);
        close(fd);

        /* a root where our own namespace cannot be told: refused, not guessed */
        fd = open(MOUNTS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        h = (void *) 1;
        assert_int_equal(vol_find_holders(fd, makedev(8, 33), 4242, VOL_FIND_NAMESPACES, &h, &n), -ENOENT);
        assert_ptr_equal(h, (void *) 1);
        assert_int_equal(vol_find_ns_mounts(fd, makedev(8, 33), &m, &n), -ENOENT);
        close(fd);
}

/* The same tree, with the volume as device 08:11: only the map counts. */
static void test_holders_maps(void **state) {
        struct vol_holder *h = NULL;
        size_t n = 0;
        struct stat st;
        (void) state;

        assert_int_equal(stat(HOLDERS "/srv/db", &st), 0);
        assert_true(st.st_dev != makedev(8, 0x11));
        int fd = open(HOLDERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(vol_find_holders(fd, makedev(8, 0x11), 4242, 0, &h, &n), 0);
        close(fd);
        assert_int_equal(n, 1);
        assert_int_equal(h[0].pid, 104);
        assert_int_equal(h[0].why, VOL_HELD_MAP);
        assert_string_equal(h[0].comm, "mapper");
        vol_holders_free(h, n);

        /* 08:12 and 08:13 are the look-alike's: they find 105, never 104 */
        fd = open(HOLDERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_int_equal(vol_find_holders(fd, makedev(8, 0x13), 4242, 0, &h, &n), 0);
        close(fd);
        assert_int_equal(n, 1);
        assert_int_equal(h[0].pid, 105);
        vol_holders_free(h, n);
}

static void test_holders_errors(void **state) {
        struct vol_holder *h = (void *) 1;
        size_t n = 99;
        (void) state;
        assert_int_equal(vol_find_holders(-1, 0, 0, 0, &h, &n), -EINVAL);
        int fd = open(HOLDERS "/SOURCE", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(vol_find_holders(fd, 0, 0, 0, &h, &n), -ENOTDIR);
        close(fd);
        assert_ptr_equal(h, (void *) 1);
        assert_int_equal(n, 99);
}

static struct libmnt_table *table(const char *text) {
        FILE *f = fmemopen((void *) text, strlen(text), "r");
        struct libmnt_table *tb = mnt_new_table();
        assert_non_null(f);
        assert_non_null(tb);
        assert_int_equal(mnt_table_parse_stream(tb, f, "test"), 0);
        fclose(f);
        return tb;
}

static void test_mount_match(void **state) {
        struct vol_mount_match m;
        (void) state;
        struct libmnt_table *tb = table("22 1 254:0 / / rw - ext4 /dev/vda1 rw\n"
                                        "41 22 8:17 / /srv/db rw,noatime - ext4 /dev/sdb1 rw\n"
                                        "42 22 8:33 / /srv/db2 rw - xfs /dev/sdc1 rw\n"
                                        "43 22 8:49 / /srv/ro ro,relatime - ext4 /dev/sdd1 ro\n");

        assert_int_equal(vol_mount_match(tb, makedev(8, 17), "/srv/db", &m), 0);
        assert_int_equal(m.state, VOL_MOUNT_OK);
        assert_false(m.read_only);
        assert_int_equal(m.mount_id, 41);
        /* the look-alike path holds another device */
        assert_int_equal(vol_mount_match(tb, makedev(8, 17), "/srv/db2", &m), 0);
        assert_int_equal(m.state, VOL_MOUNT_OTHER);
        assert_string_equal(m.where, "/dev/sdc1");
        assert_int_equal(vol_mount_match(tb, makedev(8, 17), "/srv/new", &m), 0);
        assert_int_equal(m.state, VOL_MOUNT_ELSEWHERE);
        assert_string_equal(m.where, "/srv/db");
        assert_int_equal(vol_mount_match(tb, makedev(8, 33), "/srv/db", &m), 0);
        assert_int_equal(m.state, VOL_MOUNT_OTHER);
        assert_string_equal(m.where, "/dev/sdb1");
        assert_int_equal(vol_mount_match(tb, makedev(8, 49), "/srv/ro", &m), 0);
        assert_int_equal(m.state, VOL_MOUNT_OK);
        assert_true(m.read_only);
        assert_int_equal(vol_mount_match(tb, makedev(8, 65), "/srv/new", &m), 0);
        assert_int_equal(m.state, VOL_MOUNT_NONE);
        /* a prefix of a mount point is not the mount point */
        assert_int_equal(vol_mount_match(tb, makedev(8, 65), "/srv/d", &m), 0);
        assert_int_equal(m.state, VOL_MOUNT_NONE);
        assert_int_equal(vol_mount_match(NULL, makedev(8, 65), "/srv/d", &m), -EINVAL);
        mnt_unref_table(tb);
}

/* vol_mount_state() through a movable /proc root. */
static void test_mount_state_fixture(void **state) {
        struct vol_mount_match m;
        char *where = NULL;
        (void) state;
        int fd = open(MOUNTS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);

        assert_int_equal(vol_mount_state(fd, makedev(8, 17), "/srv/db", &m, &where), 0);
        assert_int_equal(m.state, VOL_MOUNT_OK);
        assert_null(where);
        /* "/srv/db\040bind" is "/srv/db bind": another device, not ours */
        assert_int_equal(vol_mount_state(fd, makedev(8, 17), "/srv/db bind", &m, &where), 0);
        assert_int_equal(m.state, VOL_MOUNT_OTHER);
        assert_string_equal(where, "/dev/sdc1");
        free(where);
        where = NULL;
        assert_int_equal(vol_mount_state(fd, makedev(8, 49), "/srv/ro", &m, &where), 0);
        assert_int_equal(m.state, VOL_MOUNT_OK);
        assert_true(m.read_only);
        /* a subdirectory of the filesystem, not its root */
        assert_int_equal(vol_mount_state(fd, makedev(8, 65), "/srv/sub", &m, &where), 0);
        assert_int_equal(m.state, VOL_MOUNT_OTHER);
        free(where);
        where = NULL;
        /* covered by a tmpfs: what is on top counts */
        assert_int_equal(vol_mount_state(fd, makedev(8, 81), "/srv/stack", &m, &where), 0);
        assert_int_equal(m.state, VOL_MOUNT_OTHER);
        assert_string_equal(where, "tmpfs");
        free(where);
        where = NULL;
        assert_int_equal(vol_mount_state(fd, makedev(8, 97), "/srv/none", &m, &where), 0);
        assert_int_equal(m.state, VOL_MOUNT_NONE);
        close(fd);

        /* a root without self/mountinfo */
        fd = open(HOLDERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        m.state = VOL_MOUNT_ELSEWHERE;
        assert_int_equal(vol_mount_state(fd, makedev(8, 17), "/srv/db", &m, &where), -ENOENT);
        assert_int_equal(m.state, VOL_MOUNT_ELSEWHERE);
        close(fd);
}

/* vol_mount_top() on literal mountinfo lines (proc(5); show_mountinfo() in
 * fs/proc_namespace.c): what is on top of a path, from the table alone. */
static void test_mount_top(void **state) {
        struct vol_mount_top t;
        (void) state;
        struct libmnt_table *tb = table(
                "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
                "30 22 0:26 / /srv rw,relatime shared:5 - tmpfs tmpfs rw\n"
                /* the volume, with two optional fields */
                "41 30 8:17 / /srv/db rw,noatime shared:20 master:3 - ext4 /dev/sdb1 rw\n"
                /* a mount below the mount point does not cover it */
                "48 41 0:41 / /srv/db/run rw - tmpfs tmpfs rw\n"
                /* no optional fields; read-only per mount, rw superblock */
                "44 30 8:49 / /srv/ro ro,relatime - ext4 /dev/sdd1 rw\n"
                /* a subdirectory of a filesystem, bind-mounted */
                "45 30 8:65 /sub /srv/sub rw,relatime shared:23 - ext4 /dev/sde1 rw\n"
                /* the volume, then a tmpfs over it, then the volume again on top */
                "46 30 8:81 / /srv/stack rw,relatime shared:24 - ext4 /dev/sdf1 rw\n"
                "47 46 0:40 / /srv/stack rw,relatime shared:25 - tmpfs tmpfs rw\n"
                "49 47 8:81 / /srv/stack ro,relatime shared:24 - ext4 /dev/sdf1 rw\n"
                /* octal escapes in the mount point and the source */
                "50 30 8:33 / /srv/db\\040two rw - xfs /dev/disk/by-label/a\\040b rw\n");

        assert_int_equal(vol_mount_top(tb, "/srv/db", &t), 1);
        assert_int_equal(t.devno, makedev(8, 17));
        assert_string_equal(t.source, "/dev/sdb1");
        assert_string_equal(t.fstype, "ext4");
        assert_true(t.whole);
        assert_false(t.read_only);
        assert_int_equal(t.mount_id, 41);

        assert_int_equal(vol_mount_top(tb, "/srv/ro", &t), 1);
        assert_true(t.read_only);
        assert_int_equal(t.devno, makedev(8, 49));

        assert_int_equal(vol_mount_top(tb, "/srv/sub", &t), 1);
        assert_false(t.whole);
        assert_int_equal(t.devno, makedev(8, 65));

        /* the last one listed is on top */
        assert_int_equal(vol_mount_top(tb, "/srv/stack", &t), 1);
        assert_int_equal(t.mount_id, 49);
        assert_int_equal(t.devno, makedev(8, 81));
        assert_true(t.read_only);

        assert_int_equal(vol_mount_top(tb, "/srv/db two", &t), 1);
        assert_int_equal(t.devno, makedev(8, 33));
        assert_string_equal(t.source, "/dev/disk/by-label/a b");
        assert_string_equal(t.fstype, "xfs");

        /* nothing there: a prefix, a path below, a look-alike; *ret untouched */
        t.mount_id = 4242;
        assert_int_equal(vol_mount_top(tb, "/srv/d", &t), 0);
        assert_int_equal(vol_mount_top(tb, "/srv/db/data", &t), 0);
        assert_int_equal(vol_mount_top(tb, "/srv/db2", &t), 0);
        assert_int_equal(vol_mount_top(tb, "/srv/db\\040two", &t), 0);
        assert_int_equal(t.mount_id, 4242);
        /* the path below the mount point has its own mount */
        assert_int_equal(vol_mount_top(tb, "/srv/db/run", &t), 1);
        assert_int_equal(t.devno, makedev(0, 41));

        assert_int_equal(vol_mount_top(NULL, "/srv/db", &t), -EINVAL);
        assert_int_equal(vol_mount_top(tb, NULL, &t), -EINVAL);
        assert_int_equal(vol_mount_top(tb, "/srv/db", NULL), -EINVAL);

        /* vol_mount_match() agrees: the volume mounted again on top is OK */
        struct vol_mount_match m;
        assert_int_equal(vol_mount_match(tb, makedev(8, 81), "/srv/stack", &m), 0);
        assert_int_equal(m.state, VOL_MOUNT_OK);
        assert_true(m.read_only);
        assert_int_equal(vol_mount_match(tb, makedev(8, 65), "/srv/sub", &m), 0);
        assert_int_equal(m.state, VOL_MOUNT_OTHER);
        assert_string_equal(m.where, "/dev/sde1");
        mnt_unref_table(tb);
}

static void test_device_has_tag(void **state) {
        struct vol_device d = { .fstype = (char *) "ext4", .uuid = (char *) "3f1c0d2e-aa01-4b5e-9c1d-0123456789ab",
                                .label = (char *) "dbdata", .partuuid = (char *) "0a1b2c3d-01" };
        struct volspec s;
        (void) state;

        assert_int_equal(volspec_parse("LABEL=dbdata", &s, NULL), 0);
        assert_true(vol_device_has_tag(&s, &d));
        assert_int_equal(volspec_parse("LABEL=dbdat", &s, NULL), 0);
        assert_false(vol_device_has_tag(&s, &d));
        assert_int_equal(volspec_parse("LABEL=DBDATA", &s, NULL), 0);
        assert_false(vol_device_has_tag(&s, &d));   /* exact, as blkid's tag search */
        assert_int_equal(volspec_parse("UUID=3f1c0d2e-aa01-4b5e-9c1d-0123456789ab", &s, NULL), 0);
        assert_true(vol_device_has_tag(&s, &d));
        assert_int_equal(volspec_parse("PARTUUID=0a1b2c3d-01", &s, NULL), 0);
        assert_true(vol_device_has_tag(&s, &d));
        /* a PARTUUID is not a filesystem UUID, nor the other way round */
        assert_int_equal(volspec_parse("PARTUUID=3f1c0d2e-aa01-4b5e-9c1d-0123456789ab", &s, NULL), 0);
        assert_false(vol_device_has_tag(&s, &d));
        assert_int_equal(volspec_parse("UUID=0a1b2c3d-01", &s, NULL), 0);
        assert_false(vol_device_has_tag(&s, &d));
        /* a path names no tag */
        assert_int_equal(volspec_parse("/dev/sdb1", &s, NULL), 0);
        assert_false(vol_device_has_tag(&s, &d));
        /* a filesystem without a label */
        d.label = NULL;
        assert_int_equal(volspec_parse("LABEL=dbdata", &s, NULL), 0);
        assert_false(vol_device_has_tag(&s, &d));
        assert_false(vol_device_has_tag(NULL, &d));
        assert_false(vol_device_has_tag(&s, NULL));
}

/* /sys/dev/block/MAJ:MIN/uevent as the kernel writes it (show_uevent(),
 * part_uevent() in block/partitions/core.c). */
static void test_uevent_devname(void **state) {
        const char *v = NULL;
        size_t n = 0;
        (void) state;

        assert_int_equal(vol_uevent_devname(S("MAJOR=7\nMINOR=1\nDEVNAME=loop1\nDEVTYPE=disk\nDISKSEQ=9\n"), &v, &n), 0);
        assert_int_equal(n, 5);
        assert_memory_equal(v, "loop1", 5);
        assert_int_equal(vol_uevent_devname(S("MAJOR=8\nMINOR=17\nDEVNAME=sdb1\nDEVTYPE=partition\nDISKSEQ=2\n"
                                               "PARTN=1\nPARTNAME=data"),
                                             &v, &n),
                         0);
        assert_int_equal(n, 4);
        assert_memory_equal(v, "sdb1", 4);
        /* last line without a newline; a name in a subdirectory */
        assert_int_equal(vol_uevent_devname(S("MAJOR=9\nDEVNAME=md/dbdata"), &v, &n), 0);
        assert_int_equal(n, 9);
        assert_memory_equal(v, "md/dbdata", 9);
        /* a name of another key is not DEVNAME */
        v = NULL;
        assert_int_equal(vol_uevent_devname(S("MAJOR=7\nXDEVNAME=loop1\nPARTNAME=DEVNAME=x\n"), &v, &n), -ENOENT);
        assert_int_equal(vol_uevent_devname(S(""), &v, &n), -ENOENT);
        assert_null(v);
        assert_int_equal(vol_uevent_devname(S("DEVNAME=\n"), &v, &n), -EBADMSG);
        assert_int_equal(vol_uevent_devname(S("DEVNAME=/etc/passwd\n"), &v, &n), -EBADMSG);
        assert_int_equal(vol_uevent_devname(S("DEVNAME=../etc/passwd\n"), &v, &n), -EBADMSG);
        assert_int_equal(vol_uevent_devname(S("DEVNAME=md/../../etc\n"), &v, &n), -EBADMSG);
        assert_int_equal(vol_uevent_devname(S("DEVNAME=md/..\n"), &v, &n), -EBADMSG);
        assert_int_equal(vol_uevent_devname(S("DEVNAME=a\tb\n"), &v, &n), -EBADMSG);
        assert_null(v);
        /* dots inside a name are fine */
        assert_int_equal(vol_uevent_devname(S("DEVNAME=x..y\n"), &v, &n), 0);
        assert_int_equal(vol_uevent_devname(S("DEVNAME=..x\n"), &v, &n), 0);
        assert_int_equal(vol_uevent_devname(NULL, 0, &v, &n), -ENOENT);
        assert_int_equal(vol_uevent_devname(NULL, 3, &v, &n), -EINVAL);
}

/* A /proc root made from literal mountinfo lines, in a temporary folder. */
struct fake_proc {
        char dir[64];
        int fd;
};

static void fake_proc(struct fake_proc *p, const char *mountinfo) {
        char path[128];
        strcpy(p->dir, "/tmp/tandem-test-volume.XXXXXX");
        assert_non_null(mkdtemp(p->dir));
        snprintf(path, sizeof path, "%s/self", p->dir);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof path, "%s/self/mountinfo", p->dir);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        assert_int_equal(fputs(mountinfo, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
        p->fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(p->fd >= 0);
}

static void fake_proc_done(struct fake_proc *p) {
        char path[128];
        close(p->fd);
        snprintf(path, sizeof path, "%s/self/mountinfo", p->dir);
        assert_int_equal(unlink(path), 0);
        snprintf(path, sizeof path, "%s/self", p->dir);
        assert_int_equal(rmdir(path), 0);
        assert_int_equal(rmdir(p->dir), 0);
}

/* vol_mounted() where the mount table alone decides, or a device number
 * no machine has (4095:1048575, the largest the kernel makes): no real
 * disk is probed. */
static void test_mounted(void **state) {
        struct vol_mounted m;
        struct fake_proc p;
        (void) state;

        fake_proc(&p, "22 1 0:30 / / rw,relatime shared:1 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w\n"
                      "23 22 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
                      "30 22 0:26 / /srv rw,relatime shared:5 - tmpfs tmpfs rw\n"
                      "31 30 0:40 / /srv/tmp rw,relatime shared:6 - tmpfs tandem-tmp rw\n"
                      "32 30 4095:1048575 / /srv/gone rw,relatime shared:7 - ext4 /dev/tandem-unit-gone rw\n"
                      "33 30 4095:1048575 /data /srv/sub rw,relatime shared:7 - ext4 /dev/tandem-unit-gone rw\n");

        /* nothing there, and no block device in the table to look at */
        assert_int_equal(vol_mounted(p.fd, "LABEL=dbdata", "ext4", "/srv/db", &m), 0);
        assert_int_equal(m.state, VOL_MOUNT_NONE);
        assert_null(m.where);
        assert_null(m.dev.devname);
        vol_mounted_done(&m);

        /* a tmpfs on the mount point: another filesystem, no device probed */
        assert_int_equal(vol_mounted(p.fd, "LABEL=dbdata", "ext4", "/srv/tmp", &m), 0);
        assert_int_equal(m.state, VOL_MOUNT_OTHER);
        assert_string_equal(m.where, "tandem-tmp");
        assert_non_null(m.reason);
        assert_non_null(strstr(m.reason, "not on a block device"));
        vol_mounted_done(&m);
        assert_null(m.where);

        /* a subdirectory of a filesystem: not the volume, whatever it is on */
        assert_int_equal(vol_mounted(p.fd, "LABEL=dbdata", "ext4", "/srv/sub", &m), 0);
        assert_int_equal(m.state, VOL_MOUNT_OTHER);
        assert_string_equal(m.where, "/dev/tandem-unit-gone");
        assert_non_null(strstr(m.reason, "subdirectory"));
        vol_mounted_done(&m);

        /* a block device the mount table lists but that has no node: gone */
        assert_int_equal(vol_mounted(p.fd, "LABEL=dbdata", "ext4", "/srv/gone", &m), -ENODEV);
        assert_non_null(m.reason);
        assert_non_null(strstr(m.reason, "gone"));
        vol_mounted_done(&m);

        /* a path spec names the device by its node: another node, another device */
        assert_int_equal(vol_mounted(p.fd, "/dev/tandem-unit-none", "ext4", "/srv/gone", &m), 0);
        assert_int_equal(m.state, VOL_MOUNT_OTHER);
        vol_mounted_done(&m);
        assert_int_equal(vol_mounted(p.fd, "/dev/null", "ext4", "/srv/gone", &m), -ENOTBLK);
        vol_mounted_done(&m);

        assert_int_equal(vol_mounted(p.fd, "sdb1", "ext4", "/srv/gone", &m), -EINVAL);
        vol_mounted_done(&m);
        assert_int_equal(vol_mounted(-1, "LABEL=dbdata", "ext4", "/srv/db", &m), -EINVAL);
        fake_proc_done(&p);

        /* a root without self/mountinfo */
        int fd = open(HOLDERS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(vol_mounted(fd, "LABEL=dbdata", "ext4", "/srv/db", &m), -ENOENT);
        assert_non_null(strstr(m.reason, "mount table"));
        vol_mounted_done(&m);
        close(fd);
}

/* vol_identify() without a device: the checks before any probe. */
static void test_identify_no_device(void **state) {
        struct vol_device d = { .devname = (char *) "untouched" };
        char *why = NULL;
        (void) state;

        assert_int_equal(vol_identify("LABEL=dbdata", "ext4", makedev(0, 40), "tmpfs", &d, &why), -ENXIO);
        assert_non_null(why);
        free(why);
        why = NULL;
        assert_int_equal(vol_identify("LABEL=dbdata", "ext4", makedev(4095, 1048575), "/dev/null", &d, &why), -ENODEV);
        free(why);
        why = NULL;
        assert_int_equal(vol_identify("/dev/null", "ext4", makedev(4095, 1048575), NULL, &d, &why), -ENOTBLK);
        free(why);
        why = NULL;
        assert_int_equal(vol_identify("TYPE=ext4", "ext4", makedev(8, 17), NULL, &d, &why), -EINVAL);
        free(why);
        assert_int_equal(vol_identify("LABEL=dbdata", NULL, makedev(8, 17), NULL, &d, NULL), -EINVAL);
        assert_string_equal(d.devname, "untouched");
}

/* vol_mountpoint_open() on a temporary tree: the mount point held open,
 * the directories above it checked (H3). */
static void test_mountpoint_open(void **state) {
        char dir[] = "/tmp/tandem-test-mpo.XXXXXX", p[256], q[256];
        char *canon = NULL, *why = NULL;
        int fd = -1;
        struct stat a, b;
        (void) state;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(chmod(dir, 0755), 0);
#define P(...) (snprintf(p, sizeof p, __VA_ARGS__), p)
        assert_int_equal(mkdir(P("%s/srv", dir), 0755), 0);
        assert_int_equal(mkdir(P("%s/srv/db", dir), 0700), 0);
        assert_int_equal(vol_mountpoint_open(P("%s/srv/db", dir), &fd, &canon, &why), 0);
        assert_string_equal(canon, p);
        assert_null(why);
        /* held: O_PATH, the directory itself */
        assert_int_equal(fstat(fd, &a), 0);
        assert_int_equal(stat(p, &b), 0);
        assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
        assert_int_equal(fcntl(fd, F_GETFL) & O_PATH, O_PATH);
        close(fd);
        free(canon);
        canon = NULL;

        /* "." and "..", and a root-owned symlink on the way, resolve */
        assert_int_equal(symlink("srv", P("%s/link", dir)), 0);
        assert_int_equal(vol_mountpoint_open(P("%s/link/./db/../db", dir), &fd, &canon, &why), 0);
        snprintf(q, sizeof q, "%s/srv/db", dir);
        assert_string_equal(canon, q);
        close(fd);
        free(canon);
        canon = NULL;

        /* refusals: the mount point a symlink, not a directory, missing */
        fd = 4242;
        assert_int_equal(symlink("srv/db", P("%s/dblink", dir)), 0);
        assert_int_equal(vol_mountpoint_open(p, &fd, &canon, &why), -ELOOP);
        assert_int_equal(vol_mountpoint_open(P("%s/link/../dblink", dir), &fd, &canon, &why), -ELOOP);
        int f = open(P("%s/srv/file", dir), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(f >= 0);
        close(f);
        assert_int_equal(vol_mountpoint_open(p, &fd, &canon, &why), -ENOTDIR);
        assert_int_equal(vol_mountpoint_open(P("%s/srv/none", dir), &fd, &canon, &why), -ENOENT);
        assert_int_equal(vol_mountpoint_open(P("%s/srv/file/x", dir), &fd, &canon, &why), -ENOTDIR);
        assert_int_equal(vol_mountpoint_open("srv/db", &fd, &canon, &why), -EINVAL);
        assert_int_equal(vol_mountpoint_open("/", &fd, &canon, &why), -EINVAL);
        assert_int_equal(fd, 4242);
        assert_null(canon);
        assert_null(why);

        /* an ancestor writable by its group, or others, without the sticky bit */
        assert_int_equal(chmod(P("%s/srv", dir), 0775), 0);
        assert_int_equal(vol_mountpoint_open(P("%s/srv/db", dir), &fd, &canon, &why), -EPERM);
        assert_non_null(why);
        P("%s/srv, above the mount point, is writable by its group or others (mode 0775)", dir);
        if (strncmp(why, p, strlen(p)) != 0)
                fail_msg("\"%s\", want \"%s...\"", why, p);
        free(why);
        why = NULL;
        /* ... with the sticky bit (as /tmp): fine */
        assert_int_equal(chmod(P("%s/srv", dir), 01777), 0);
        assert_int_equal(vol_mountpoint_open(P("%s/srv/db", dir), &fd, &canon, &why), 0);
        close(fd);
        free(canon);
        canon = NULL;
        assert_int_equal(chmod(P("%s/srv", dir), 0755), 0);

        /* an ancestor owned by another user (postgres owns /var/lib/postgresql),
         * and a symlink on the way owned by another user */
        if (geteuid() == 0) {
                assert_int_equal(chown(P("%s/srv", dir), 1000, 1000), 0);
                assert_int_equal(vol_mountpoint_open(P("%s/srv/db", dir), &fd, &canon, &why), -EPERM);
                P("%s/srv, above the mount point, is owned by uid 1000, not root", dir);
                if (!why || strncmp(why, p, strlen(p)) != 0)
                        fail_msg("\"%s\", want \"%s...\"", why, p);
                free(why);
                why = NULL;
                /* the mount point itself may be anyone's */
                assert_int_equal(chown(P("%s/srv", dir), 0, 0), 0);
                assert_int_equal(chown(P("%s/srv/db", dir), 1000, 1000), 0);
                assert_int_equal(vol_mountpoint_open(P("%s/srv/db", dir), &fd, &canon, &why), 0);
                close(fd);
                free(canon);
                canon = NULL;
                assert_int_equal(lchown(P("%s/link", dir), 1000, 1000), 0);
                assert_int_equal(vol_mountpoint_open(P("%s/link/db", dir), &fd, &canon, &why), -EPERM);
                assert_non_null(strstr(why, "is a symbolic link owned by uid 1000, not root"));
                free(why);
                why = NULL;
        } else
                print_message("not root: the owner checks are skipped\n");
#undef P
        snprintf(p, sizeof p, "rm -rf '%s'", dir);
        assert_int_equal(system(p), 0);
}

/* ---------------------------------------------------- the commands' library */

static void test_settle(void **state) {
        struct vol_settings s = { .device = "untouched" };
        struct vol_overrides o = { .device = "LABEL=db", .fstype = "ext4", .mountpoint = "/srv/db" };
        char *why = NULL;
        int depth = -1;
        (void) state;

        assert_int_equal(vol_settle(NULL, &o, false, &s, &why), OCF_SUCCESS);
        assert_null(why);
        assert_string_equal(s.device, "LABEL=db");
        assert_string_equal(s.options, "defaults");
        assert_int_equal(s.fsck, CFG_FSCK_AUTO);
        assert_true(s.stop_timeout == 30 * USEC_PER_SEC);
        assert_false(s.force);

        /* the group's [volume], and the overrides over it */
        struct cfg_group g = { .volume = { .present = true, .device = "UUID=0a1b", .fstype = "xfs",
                                           .mountpoint = "/srv/x", .options = "noatime", .fsck = CFG_FSCK_NEVER,
                                           .stop_timeout = 5 * USEC_PER_SEC } };
        struct vol_overrides none = {};
        assert_int_equal(vol_settle(&g, &none, false, &s, &why), OCF_SUCCESS);
        assert_string_equal(s.device, "UUID=0a1b");
        assert_string_equal(s.options, "noatime");
        assert_int_equal(s.fsck, CFG_FSCK_NEVER);
        assert_true(s.stop_timeout == 5 * USEC_PER_SEC);
        struct vol_overrides some = { .fstype = "ext4", .fsck = "always", .stop_timeout = "1m", .force = true };
        assert_int_equal(vol_settle(&g, &some, false, &s, &why), OCF_SUCCESS);
        assert_string_equal(s.fstype, "ext4");
        assert_int_equal(s.fsck, CFG_FSCK_ALWAYS);
        assert_true(s.stop_timeout == 60 * USEC_PER_SEC);
        assert_true(s.force);

        /* refusals name the setting; *ret stays as it was */
        static const struct {
                struct vol_overrides o;
                bool ocf;
                const char *why;
        } bad[] = {
                { { .fstype = "ext4", .mountpoint = "/srv/db" }, false,
                  "the volume needs a device, an fstype and a mountpoint ([volume] or --device, --fstype, --mountpoint)" },
                { { .fstype = "ext4", .mountpoint = "/srv/db" }, true,
                  "the volume needs a device, an fstype and a mountpoint (OCF_RESKEY_device, fstype, mountpoint)" },
                { { .device = "UUID=xyz", .fstype = "ext4", .mountpoint = "/srv/db" }, false, "device 'UUID=xyz': a UUID is hex digits and dashes" },
                { { .device = "/dev/a b", .fstype = "ext4", .mountpoint = "/srv/db" }, false, "device '/dev/a b': a device path must not contain spaces" },
                { { .device = "LABEL=db", .fstype = "auto", .mountpoint = "/srv/db" }, false, "fstype 'auto': must be a filesystem type" },
                { { .device = "LABEL=db", .fstype = "ext4", .mountpoint = "/srv/" }, false, "mountpoint '/srv/': must be a normalised path" },
                { { .device = "LABEL=db", .fstype = "ext4", .mountpoint = "/srv/db", .options = "noatime,remount" }, false,
                  "options 'noatime,remount': bind, rbind, move, remount and loop are not filesystem options" },
                { { .device = "LABEL=db", .fstype = "ext4", .mountpoint = "/srv/db", .fsck = "sometimes" }, false,
                  "fsck 'sometimes': must be auto, always or never" },
                { { .device = "LABEL=db", .fstype = "ext4", .mountpoint = "/srv/db", .stop_timeout = "2h" }, false,
                  "stop_timeout '2h': must be a duration up to 1h, e.g. 30s" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                s.device = "untouched";
                assert_int_equal(vol_settle(NULL, &bad[i].o, bad[i].ocf, &s, &why), OCF_ERR_CONFIGURED);
                if (!why || strncmp(why, bad[i].why, strlen(bad[i].why)) != 0)
                        fail_msg("case %zu: \"%s\", want \"%s...\"", i, why, bad[i].why);
                assert_string_equal(s.device, "untouched");
                free(why);
                why = NULL;
        }

        assert_int_equal(vol_parse_depth("20", &depth), 0);
        assert_int_equal(depth, 20);
        assert_int_equal(vol_parse_depth("5", &depth), -EINVAL);
        assert_int_equal(vol_parse_depth("010", &depth), -EINVAL);
        assert_int_equal(depth, 20);
}

/* The commands where the mount point and the mount table decide: no real
 * disk is probed, and no device of that label exists. */
static void test_commands_no_device(void **state) {
        char dir[] = "/tmp/tandem-test-vcmd.XXXXXX", mp[64], link[64], none[64], info[512];
        struct vol_mount_job mj;
        struct vol_unmount_job uj;
        struct vol_status st;
        struct vol_monitor mon;
        struct fake_proc p;
        (void) state;

        assert_non_null(mkdtemp(dir));
        snprintf(mp, sizeof mp, "%s/mp", dir);
        snprintf(link, sizeof link, "%s/link", dir);
        snprintf(none, sizeof none, "%s/none", dir);
        assert_int_equal(mkdir(mp, 0755), 0);
        assert_int_equal(symlink(mp, link), 0);
        fake_proc(&p, "22 1 0:30 / / rw,relatime shared:1 - overlay overlay rw\n");
        struct vol_settings s = { .device = "LABEL=tandem-unit-none", .fstype = "ext4", .options = "defaults" };

        /* no mount point: nothing can be mounted there */
        s.mountpoint = none;
        assert_int_equal(vol_unmount(&s, p.fd, NULL, &uj), OCF_SUCCESS);
        assert_true(uj.no_mountpoint);
        assert_null(uj.error);
        vol_unmount_job_done(&uj);
        assert_int_equal(vol_status(&s, p.fd, getpid(), &st), OCF_NOT_RUNNING);
        assert_true(st.known);
        assert_int_equal(st.state, VOL_MOUNT_NONE);
        vol_status_done(&st);
        assert_int_equal(vol_monitor(&s, p.fd, 0, &mon), OCF_NOT_RUNNING);
        vol_monitor_done(&mon);
        assert_int_equal(vol_mount_prepare(&s, p.fd, &mj), OCF_ERR_INSTALLED);
        assert_non_null(strstr(mj.error, "does not exist; create it on both nodes"));
        vol_mount_job_done(&mj);

        /* a symlink is refused by every command */
        s.mountpoint = link;
        assert_int_equal(vol_mount_prepare(&s, p.fd, &mj), OCF_ERR_CONFIGURED);
        assert_non_null(strstr(mj.error, "is a symbolic link"));
        vol_mount_job_done(&mj);
        assert_int_equal(vol_unmount(&s, p.fd, NULL, &uj), OCF_ERR_CONFIGURED);
        vol_unmount_job_done(&uj);
        assert_int_equal(vol_status(&s, p.fd, getpid(), &st), OCF_ERR_CONFIGURED);
        assert_false(st.known);
        vol_status_done(&st);
        assert_int_equal(vol_monitor(&s, p.fd, 0, &mon), OCF_ERR_CONFIGURED);
        vol_monitor_done(&mon);

        /* no such device, nothing mounted: stop and status succeed, saying why */
        s.mountpoint = mp;
        assert_int_equal(vol_mount_prepare(&s, p.fd, &mj), OCF_ERR_INSTALLED);
        assert_non_null(mj.error);
        vol_mount_job_done(&mj);
        assert_int_equal(vol_unmount(&s, p.fd, NULL, &uj), OCF_SUCCESS);
        assert_true(uj.nothing_mounted);
        assert_non_null(uj.error);
        assert_false(uj.have_report);
        vol_unmount_job_done(&uj);
        assert_int_equal(vol_status(&s, p.fd, getpid(), &st), OCF_NOT_RUNNING);
        assert_true(st.known);
        assert_non_null(st.error);
        assert_null(st.dev.devname);
        vol_status_done(&st);
        fake_proc_done(&p);

        /* another filesystem on the mount point */
        snprintf(info, sizeof info,
                 "22 1 0:30 / / rw,relatime shared:1 - overlay overlay rw\n"
                 "31 22 0:40 / %s rw,relatime shared:6 - tmpfs tandem-tmp rw\n", mp);
        fake_proc(&p, info);
        assert_int_equal(vol_monitor(&s, p.fd, 20, &mon), OCF_ERR_GENERIC);
        assert_non_null(strstr(mon.error, "another filesystem (tandem-tmp) is mounted at"));
        vol_monitor_done(&mon);
        assert_int_equal(vol_unmount(&s, p.fd, NULL, &uj), OCF_ERR_GENERIC);
        assert_false(uj.nothing_mounted);
        assert_non_null(uj.error);
        vol_unmount_job_done(&uj);
        fake_proc_done(&p);

        assert_int_equal(unlink(link), 0);
        assert_int_equal(rmdir(mp), 0);
        assert_int_equal(rmdir(dir), 0);
}

static const char *jstr(struct json_object *o, const char *k) {
        struct json_object *v = NULL;
        if (!json_object_object_get_ex(o, k, &v))
                fail_msg("no \"%s\" in %s", k, json_object_to_json_string(o));
        return v ? json_object_get_string(v) : NULL;
}

static void test_command_json(void **state) {
        struct vol_holder h[] = {
                { .pid = 42, .comm = "postgres", .why = VOL_HELD_CWD | VOL_HELD_FD, .ended = VOL_ENDED_TERM },
                { .pid = 1, .comm = "systemd", .why = VOL_HELD_MAP, .spared = true },
        };
        struct vol_umount_report rep = { .holders = h, .n_holders = 2, .reason = "busy" };
        (void) state;

        struct json_object *o = vol_umount_report_to_json(&rep, false);
        assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                            "{\"command\":\"umount\",\"ok\":false,\"unmounted\":false,\"error\":\"busy\",\"holders\":["
                            "{\"pid\":42,\"comm\":\"postgres\",\"held_by\":\"cwd, open file\",\"spared\":false,\"ended\":\"TERM\"},"
                            "{\"pid\":1,\"comm\":\"systemd\",\"held_by\":\"memory map\",\"spared\":true,\"ended\":\"no\"}]}");
        json_object_put(o);

        const struct vol_settings s = { .device = "LABEL=db", .mountpoint = "/srv/db" };
        struct vol_status st = { .known = true, .state = VOL_MOUNT_ELSEWHERE, .where = "/mnt",
                                 .dev = { .devname = "/dev/loop3", .fstype = "ext4" } };
        o = vol_status_to_json(&s, &st);
        assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                            "{\"device\":\"LABEL=db\",\"devname\":\"/dev/loop3\",\"fstype\":\"ext4\","
                            "\"mountpoint\":\"/srv/db\",\"state\":\"elsewhere\",\"mounted\":false,"
                            "\"read_only\":false,\"where\":\"/mnt\",\"holders\":0}");
        json_object_put(o);
        st = (struct vol_status) { .known = true, .state = VOL_MOUNT_NONE };
        o = vol_status_to_json(&s, &st);
        assert_null(jstr(o, "devname"));
        assert_string_equal(jstr(o, "state"), "not-mounted");
        json_object_put(o);

        struct vol_monitor mon = { .depth = 20, .note = "skipped", .m = { .read_only = true } };
        o = vol_monitor_to_json(&mon);
        assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
                            "{\"ok\":true,\"depth\":20,\"read_only\":true,\"write_test\":\"skipped-read-only\"}");
        json_object_put(o);
        mon = (struct vol_monitor) { .depth = 10 };
        o = vol_monitor_to_json(&mon);
        assert_string_equal(jstr(o, "write_test"), "not-run");
        json_object_put(o);

        char *m = vol_agent_metadata("9.9");
        assert_non_null(strstr(m, "<resource-agent name=\"volume\" version=\"9.9\">"));
        assert_non_null(strstr(m, "<parameter name=\"device\" unique=\"1\" required=\"1\">"));
        free(m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_spec),
                cmocka_unit_test(test_checks),
                cmocka_unit_test(test_fsck_classify),
                cmocka_unit_test(test_fsck_command),
                cmocka_unit_test(test_maps_line),
                cmocka_unit_test(test_maps_uses_dev),
                cmocka_unit_test(test_pid),
                cmocka_unit_test(test_held_describe),
                cmocka_unit_test(test_holders_links),
                cmocka_unit_test(test_holders_threads),
                cmocka_unit_test(test_holders_ns),
                cmocka_unit_test(test_holders_maps),
                cmocka_unit_test(test_holders_errors),
                cmocka_unit_test(test_mount_match),
                cmocka_unit_test(test_mount_state_fixture),
                cmocka_unit_test(test_mount_top),
                cmocka_unit_test(test_device_has_tag),
                cmocka_unit_test(test_uevent_devname),
                cmocka_unit_test(test_mounted),
                cmocka_unit_test(test_identify_no_device),
                cmocka_unit_test(test_mountpoint_open),
                cmocka_unit_test(test_settle),
                cmocka_unit_test(test_commands_no_device),
                cmocka_unit_test(test_command_json),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
