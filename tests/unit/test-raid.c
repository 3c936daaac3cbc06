/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* storage/raid.c: device names to md arrays and dm devices (classified by
 * hand-written rules, links followed inside a scratch sysroot), the checks
 * over the md trees captured from a real kernel (tests/fixtures/md/) and
 * over dm devices built from captured status lines (tests/fixtures/dm/,
 * through a stand-in for dmh_query), the JSON, and the transitions.
 * Expected verdicts are the ones test-md.c and test-dm.c establish for the
 * same fixtures; everything else is written out here by hand. */
#include <fcntl.h>
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
#include <json-c/json.h>

#include "tandem/macro.h"
#include "tandem/raid.h"
#include "tandem/util.h"

#define MDFIX "tests/fixtures/md/"
#define DMFIX "tests/fixtures/dm/"

static int open_root(const char *dir) {
        int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                fail_msg("open %s: %m", dir);
        return fd;
}

/* ---------------------------------------------------------------- classify */

static void want_name(const char *dev, enum raid_kind kind, const char *spec) {
        struct raid_name n;
        int r = raid_classify(dev, &n);
        if (r != 0)
                fail_msg("raid_classify(%s) = %d", dev, r);
        if (n.kind != kind || strcmp(n.spec, spec) != 0)
                fail_msg("raid_classify(%s) = %s \"%s\", want %s \"%s\"", dev, raid_kind_to_string(n.kind), n.spec,
                         raid_kind_to_string(kind), spec);
}

static void test_classify(void **state) {
        (void) state;
        struct raid_name n = { .kind = RAID_KIND_MD, .spec = "untouched" };
        char longname[300];

        want_name("md0", RAID_KIND_MD, "md0");
        want_name("md127", RAID_KIND_MD, "md127");
        want_name("/dev/md0", RAID_KIND_MD, "/dev/md0");
        want_name("/dev/md/db", RAID_KIND_MD, "/dev/md/db");
        want_name("/dev/dm-3", RAID_KIND_DM, "/dev/dm-3");
        want_name("dm-12", RAID_KIND_DM, "/dev/dm-12");
        want_name("/dev/mapper/mpatha", RAID_KIND_DM, "mpatha");
        want_name("mpatha", RAID_KIND_DM, "mpatha");
        want_name("dm-x", RAID_KIND_DM, "dm-x"); /* a dm name, not a minor */
        want_name("/dev/mapper/control", RAID_KIND_NONE, "/dev/mapper/control");

        /* links and plain disks: to be followed */
        assert_int_equal(raid_classify("/dev/disk/by-id/md-name-db", &n), -EREMOTE);
        assert_int_equal(raid_classify("/dev/sda", &n), -EREMOTE);
        assert_int_equal(raid_classify("/dev/dm-", &n), -EREMOTE);
        assert_int_equal(raid_classify("/dev/md/a/b", &n), -EREMOTE);

        /* malformed */
        assert_int_equal(raid_classify("", &n), -EINVAL);
        assert_int_equal(raid_classify("/dev/../md0", &n), -EINVAL);
        assert_int_equal(raid_classify("/dev//md0", &n), -EINVAL);
        assert_int_equal(raid_classify("/dev/md0/", &n), -EINVAL);
        assert_int_equal(raid_classify("..", &n), -EINVAL);
        assert_int_equal(raid_classify("a/b", &n), -EINVAL);
        assert_int_equal(raid_classify(NULL, &n), -EINVAL);
        memset(longname, 'x', sizeof longname - 1);
        longname[sizeof longname - 1] = '\0';
        memcpy(longname, "/dev/", 5);
        assert_int_equal(raid_classify(longname, &n), -EINVAL);
        /* failures leave the output alone */
        assert_int_equal(n.kind, RAID_KIND_MD);
        assert_string_equal(n.spec, "untouched");
}

/* --------------------------------------------------------- links, listing */

struct scratch {
        char dir[64];
        int fd;
};

static void mkdirs(const char *root, const char *rel) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", root, rel);
        for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
                *s = '\0';
                (void) mkdir(p, 0755);
                *s = '/';
        }
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                fail_msg("mkdir %s: %m", p);
}

static void mklink(const char *root, const char *rel, const char *target) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", root, rel);
        if (symlink(target, p) < 0)
                fail_msg("symlink %s: %m", p);
}

static void mkfile(const char *root, const char *rel) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", root, rel);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
                fail_msg("create %s: %m", p);
        close(fd);
}

static int scratch_setup(void **state) {
        struct scratch *s = calloc(1, sizeof *s);
        snprintf(s->dir, sizeof s->dir, "/tmp/test-raid.XXXXXX");
        if (!mkdtemp(s->dir))
                return -1;
        mkdirs(s->dir, "dev/disk/by-id");
        mkdirs(s->dir, "dev/md");
        mkfile(s->dir, "dev/sda");
        mklink(s->dir, "dev/disk/by-id/md-name-db", "../../md127");
        mklink(s->dir, "dev/disk/by-id/dm-name-mp", "../../dm-2");
        mklink(s->dir, "dev/disk/by-id/dm-uuid-x", "/dev/mapper/mp");
        mklink(s->dir, "dev/disk/by-id/wwn-0x6001", "../../sda");
        mklink(s->dir, "dev/disk/by-id/chain", "md-name-db");
        mklink(s->dir, "dev/disk/by-id/escape", "../../../../../../dev/md5");
        mklink(s->dir, "dev/disk/by-id/loop", "loop");
        mklink(s->dir, "dev/disk/by-id/dangling", "../../sdz");
        /* sys/block: md1, md2, md10 with md/, md5 without, sda */
        mkdirs(s->dir, "sys/block/md10/md");
        mkdirs(s->dir, "sys/block/md2/md");
        mkdirs(s->dir, "sys/block/md1/md");
        mkdirs(s->dir, "sys/block/md5");
        mkdirs(s->dir, "sys/block/sda");
        s->fd = open_root(s->dir);
        *state = s;
        return 0;
}

static int scratch_teardown(void **state) {
        struct scratch *s = *state;
        char cmd[128];
        close(s->fd);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
        int r = system(cmd);
        free(s);
        return r == 0 ? 0 : -1;
}

static void want_resolved(int fd, const char *dev, enum raid_kind kind, const char *spec) {
        struct raid_name n;
        int r = raid_resolve(fd, dev, &n);
        if (r != 0)
                fail_msg("raid_resolve(%s) = %d", dev, r);
        if (n.kind != kind || strcmp(n.spec, spec) != 0)
                fail_msg("raid_resolve(%s) = %s \"%s\", want %s \"%s\"", dev, raid_kind_to_string(n.kind), n.spec,
                         raid_kind_to_string(kind), spec);
}

static void test_resolve(void **state) {
        struct scratch *s = *state;
        struct raid_name n;

        want_resolved(s->fd, "/dev/md0", RAID_KIND_MD, "/dev/md0"); /* no read needed */
        want_resolved(s->fd, "/dev/disk/by-id/md-name-db", RAID_KIND_MD, "/dev/md127");
        want_resolved(s->fd, "/dev/disk/by-id/dm-name-mp", RAID_KIND_DM, "/dev/dm-2");
        want_resolved(s->fd, "/dev/disk/by-id/dm-uuid-x", RAID_KIND_DM, "mp");
        want_resolved(s->fd, "/dev/disk/by-id/chain", RAID_KIND_MD, "/dev/md127");
        /* ".." stops at the sysroot's "/" */
        want_resolved(s->fd, "/dev/disk/by-id/escape", RAID_KIND_MD, "/dev/md5");
        want_resolved(s->fd, "/dev/disk/by-id/wwn-0x6001", RAID_KIND_NONE, "/dev/sda");
        want_resolved(s->fd, "/dev/sda", RAID_KIND_NONE, "/dev/sda");
        assert_int_equal(raid_resolve(s->fd, "/dev/disk/by-id/loop", &n), -ELOOP);
        assert_int_equal(raid_resolve(s->fd, "/dev/disk/by-id/dangling", &n), -ENOENT);
        assert_int_equal(raid_resolve(s->fd, "/dev/disk/by-id/none", &n), -ENOENT);
        assert_int_equal(raid_resolve(s->fd, "/dev/nodir/x", &n), -ENOENT);
        assert_int_equal(raid_resolve(s->fd, "/dev/../etc", &n), -EINVAL);
        assert_int_equal(raid_resolve(-1, "/dev/md0", &n), -EINVAL);
}

static void test_list_md(void **state) {
        struct scratch *s = *state;
        char **v = NULL;

        assert_int_equal(raid_list_md(s->fd, &v), 0);
        assert_non_null(v);
        assert_string_equal(v[0], "md1");
        assert_string_equal(v[1], "md2");
        assert_string_equal(v[2], "md10");
        assert_null(v[3]);
        for (char **p = v; *p; p++)
                free(*p);
        free(v);

        int fd = open_root(MDFIX "named");
        assert_int_equal(raid_list_md(fd, &v), 0);
        assert_string_equal(v[0], "md127");
        assert_null(v[1]);
        free(v[0]);
        free(v);
        close(fd);

        /* the array that mdadm refused to start is gone from sysfs */
        fd = open_root(MDFIX "assemble-incomplete");
        assert_int_equal(raid_list_md(fd, &v), 0);
        assert_null(v[0]);
        free(v);
        close(fd);
}

/* ------------------------------------------------------ dm stand-in query */

/* Reads a captured status line. */
static char *read_status(const char *name) {
        char p[256], buf[1024];
        snprintf(p, sizeof p, DMFIX "%s.status", name);
        FILE *f = fopen(p, "re");
        if (!f || !fgets(buf, sizeof buf, f))
                fail_msg("cannot read %s", p);
        fclose(f);
        buf[strcspn(buf, "\n")] = '\0';
        return strdup(buf);
}

/* One dm device with the targets from the status lines (fixture names, or
 * "linear" for an unjudged linear target), as dm-query.c builds it. */
static void make_dev(struct dmh_device *d, const char *name, unsigned minor, const char *const *lines, size_t n) {
        *d = (struct dmh_device) { .name = strdup(name), .major = 253, .minor = minor, .health = HEALTH_UNKNOWN };
        d->targets = calloc(n, sizeof *d->targets);
        d->n_targets = n;
        bool any = false;
        enum health h = HEALTH_OK;
        for (size_t i = 0; i < n; i++) {
                struct dmh_target *t = &d->targets[i];
                t->start = i * 1000;
                t->length = 1000;
                if (strcmp(lines[i], "linear") == 0) {
                        t->type = strdup("linear");
                        t->params = strdup("");
                        continue;
                }
                char *line = read_status(lines[i]);
                assert_int_equal(dmh_status_line(line, NULL, NULL, &t->status), 0);
                t->judged = true;
                t->type = strdup(dmh_kind_to_string(t->status.kind));
                t->params = line;
                h = health_worst(h, t->status.health);
                any = true;
        }
        d->health = any ? h : HEALTH_UNKNOWN;
}

static const char *const mp_one_failed[] = { "mp-rr-one-failed" };
static const char *const raid_clean[] = { "raid1-clean" };
static const char *const leg_dead[] = { "raid1-leg-dead" };
static const char *const two[] = { "mirror-clean", "raid1-leg-dead" };
static const char *const lin[] = { "linear" };

/* Stands in for dmh_query(): "mp" (multipath, one path failed), "r1"
 * (dm-raid1 clean), "lv" (linear only); NULL lists mp and r1 as the real
 * query lists only judged devices. */
static int fake_query(const char *spec, struct dmh_device **ret, size_t *ret_n) {
        struct dmh_device *d = calloc(2, sizeof *d);
        if (!spec) {
                make_dev(&d[0], "mp", 2, mp_one_failed, 1);
                make_dev(&d[1], "r1", 3, raid_clean, 1);
                *ret_n = 2;
        } else if (strcmp(spec, "mp") == 0 || strcmp(spec, "/dev/dm-2") == 0) {
                make_dev(&d[0], "mp", 2, mp_one_failed, 1);
                *ret_n = 1;
        } else if (strcmp(spec, "r1") == 0) {
                make_dev(&d[0], "r1", 3, raid_clean, 1);
                *ret_n = 1;
        } else if (strcmp(spec, "lv") == 0) {
                make_dev(&d[0], "lv", 4, lin, 1);
                *ret_n = 1;
        } else {
                free(d);
                return -ENODEV;
        }
        *ret = d;
        return 0;
}

static int no_dm_query(const char *spec, struct dmh_device **ret, size_t *ret_n) {
        (void) spec;
        (void) ret;
        (void) ret_n;
        return -ENOENT;
}

/* ----------------------------------------------------------------- checks */

static struct json_object *field(struct json_object *o, const char *k) {
        struct json_object *v = NULL;
        if (!json_object_object_get_ex(o, k, &v))
                fail_msg("JSON lacks \"%s\": %s", k, json_object_to_json_string(o));
        return v;
}

static const char *sfield(struct json_object *o, const char *k) {
        return json_object_get_string(field(o, k));
}

static void want_result(const struct raid_result *r, const char *device, enum raid_kind kind, enum health h,
                        const char *word) {
        assert_string_equal(r->device, device);
        if (r->kind != kind || r->health != h || !strstr(r->reason, word))
                fail_msg("%s: %s %s \"%s\", want %s %s with \"%s\"", device, raid_kind_to_string(r->kind),
                         health_to_string(r->health), r->reason, raid_kind_to_string(kind), health_to_string(h), word);
}

static void test_check_md_fixtures(void **state) {
        (void) state;
        static const struct {
                const char *fixture, *dev;
                enum health h;
                const char *word;
        } t[] = {
                { "clean-raid1", "md0", HEALTH_OK, "2 of 2 in sync" },
                { "degraded", "/dev/md0", HEALTH_DEGRADED, "degraded (1 missing)" },
                { "faulty", "md0", HEALTH_DEGRADED, "member loop1 faulty" },
                { "recovering", "md0", HEALTH_DEGRADED, "recovery 6%" },
                { "resync", "md0", HEALTH_DEGRADED, "resync 6%" },
                { "inactive", "md0", HEALTH_FAILED, "inactive" },
                { "readonly", "md0", HEALTH_FAILED, "read-only" },
                { "read-auto", "md0", HEALTH_OK, "read-auto" },
                { "named", "/dev/md/db", HEALTH_OK, "2 of 2 in sync" },
                { "checked-mismatch", "md0", HEALTH_OK, "mismatch_cnt 14336" },
                /* stopped: not in sysfs at all */
                { "assemble-incomplete", "/dev/md0", HEALTH_FAILED, "no such md array" },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                char root[128];
                snprintf(root, sizeof root, MDFIX "%s", t[i].fixture);
                struct raid_ctx ctx = { .sysroot_fd = open_root(root), .live = false };
                struct raid_report rep;
                char *devs[] = { (char *) t[i].dev };
                assert_int_equal(raid_check(&ctx, devs, 1, &rep), 0);
                assert_int_equal(rep.n, 1);
                printf("# %s: %s\n", t[i].fixture, rep.results[0].reason);
                want_result(&rep.results[0], t[i].dev, RAID_KIND_MD, t[i].h, t[i].word);
                assert_int_equal(raid_report_health(&rep), t[i].h);
                raid_report_done(&rep);
                close(ctx.sysroot_fd);
        }
}

static void test_check_md_json(void **state) {
        (void) state;
        struct raid_ctx ctx = { .sysroot_fd = open_root(MDFIX "faulty") };
        struct raid_report rep;

        /* no names: every array under the sysroot, named /dev/mdN */
        assert_int_equal(raid_check(&ctx, NULL, 0, &rep), 0);
        assert_int_equal(rep.n, 1);
        struct json_object *o = raid_report_to_json(&rep);
        struct json_object *a = field(o, "devices");
        assert_int_equal(json_object_array_length(a), 1);
        struct json_object *d = json_object_array_get_idx(a, 0);
        assert_string_equal(sfield(d, "device"), "/dev/md0");
        assert_string_equal(sfield(d, "kind"), "md");
        assert_string_equal(sfield(d, "health"), "degraded");
        assert_string_equal(sfield(d, "reason"), rep.results[0].reason);
        assert_string_equal(sfield(d, "level"), "raid1");
        assert_string_equal(sfield(d, "array_state"), "clean");
        assert_int_equal(json_object_get_int(field(d, "degraded")), 1);
        assert_int_equal(json_object_get_int(field(d, "raid_disks")), 2);
        struct json_object *m = field(d, "members");
        assert_int_equal(json_object_array_length(m), 2);
        struct json_object *m1 = json_object_array_get_idx(m, 1);
        assert_string_equal(sfield(m1, "name"), "loop1");
        assert_string_equal(json_object_get_string(json_object_array_get_idx(field(m1, "state"), 0)), "faulty");
        assert_string_equal(sfield(m1, "slot"), "none");
        assert_int_equal(json_object_get_int(field(json_object_array_get_idx(m, 0), "slot")), 0);
        json_object_put(o);
        raid_report_done(&rep);
        close(ctx.sysroot_fd);
}

static void test_check_dm(void **state) {
        struct scratch *s = *state;
        struct raid_ctx ctx = { .sysroot_fd = s->fd, .live = true, .dm_query = fake_query };
        struct raid_report rep;
        char *devs[] = { "/dev/mapper/mp", "r1", "/dev/disk/by-id/dm-name-mp", "/dev/mapper/gone", "lv",
                         "/dev/sda", "/dev/disk/by-id/none", "/dev/md/nosuch" };

        assert_int_equal(raid_check(&ctx, devs, ELEMENTSOF(devs), &rep), 0);
        assert_int_equal(rep.n, ELEMENTSOF(devs));
        want_result(&rep.results[0], "/dev/mapper/mp", RAID_KIND_DM_MULTIPATH, HEALTH_DEGRADED, "");
        want_result(&rep.results[1], "r1", RAID_KIND_DM_RAID, HEALTH_OK, "");
        want_result(&rep.results[2], "/dev/disk/by-id/dm-name-mp", RAID_KIND_DM_MULTIPATH, HEALTH_DEGRADED, "");
        want_result(&rep.results[3], "/dev/mapper/gone", RAID_KIND_DM, HEALTH_FAILED, "no such device-mapper device");
        want_result(&rep.results[4], "lv", RAID_KIND_DM, HEALTH_UNKNOWN,
                    "no raid, mirror or multipath target (targets: linear)");
        want_result(&rep.results[5], "/dev/sda", RAID_KIND_NONE, HEALTH_UNKNOWN,
                    "neither an md array nor a device-mapper device");
        want_result(&rep.results[6], "/dev/disk/by-id/none", RAID_KIND_NONE, HEALTH_FAILED, "no such device");
        want_result(&rep.results[7], "/dev/md/nosuch", RAID_KIND_MD, HEALTH_FAILED, "no such md array");
        /* the worst: failed beats unknown and degraded */
        assert_int_equal(raid_report_health(&rep), HEALTH_FAILED);

        /* multipath JSON: each path group with its paths and their states */
        struct json_object *o = raid_report_to_json(&rep);
        struct json_object *d = json_object_array_get_idx(field(o, "devices"), 0);
        assert_string_equal(sfield(d, "kind"), "dm-multipath");
        assert_string_equal(sfield(d, "dm_name"), "mp");
        assert_string_equal(sfield(d, "devnum"), "253:2");
        assert_string_equal(sfield(d, "health"), "degraded"); /* the device's, not overwritten by the target's */
        assert_int_equal(json_object_get_int(field(d, "active_paths")), 1);
        struct json_object *g = json_object_array_get_idx(field(d, "groups"), 0);
        struct json_object *p = field(g, "paths");
        assert_int_equal(json_object_array_length(p), 2);
        /* "8:0 F 1 8:16 A 0" in mp-rr-one-failed.status */
        assert_string_equal(sfield(json_object_array_get_idx(p, 0), "device"), "8:0");
        assert_string_equal(sfield(json_object_array_get_idx(p, 0), "state"), "failed");
        assert_string_equal(sfield(json_object_array_get_idx(p, 1), "device"), "8:16");
        assert_string_equal(sfield(json_object_array_get_idx(p, 1), "state"), "active");
        json_object_put(o);
        raid_report_done(&rep);

        /* everything: md arrays under the sysroot (none have files here:
         * unknown), then the dm devices the query lists */
        assert_int_equal(raid_check(&ctx, NULL, 0, &rep), 0);
        assert_int_equal(rep.n, 5);
        assert_string_equal(rep.results[0].device, "/dev/md1");
        assert_int_equal(rep.results[0].health, HEALTH_UNKNOWN);
        assert_string_equal(rep.results[2].device, "/dev/md10");
        want_result(&rep.results[3], "/dev/mapper/mp", RAID_KIND_DM_MULTIPATH, HEALTH_DEGRADED, "");
        want_result(&rep.results[4], "/dev/mapper/r1", RAID_KIND_DM_RAID, HEALTH_OK, "");
        raid_report_done(&rep);

        /* not live: dm is not asked */
        ctx.live = false;
        char *one[] = { "/dev/mapper/mp" };
        assert_int_equal(raid_check(&ctx, one, 1, &rep), 0);
        want_result(&rep.results[0], "/dev/mapper/mp", RAID_KIND_DM, HEALTH_UNKNOWN, "not under --sysroot");
        raid_report_done(&rep);

        /* no device-mapper in the kernel: a named dm device cannot be judged,
         * and the listing has none */
        ctx.live = true;
        ctx.dm_query = no_dm_query;
        assert_int_equal(raid_check(&ctx, one, 1, &rep), 0);
        want_result(&rep.results[0], "/dev/mapper/mp", RAID_KIND_DM, HEALTH_UNKNOWN, "no device-mapper here");
        raid_report_done(&rep);
        assert_int_equal(raid_check(&ctx, NULL, 0, &rep), 0);
        assert_int_equal(rep.n, 3); /* md1 md2 md10 */
        raid_report_done(&rep);

        assert_int_equal(raid_check(NULL, NULL, 0, &rep), -EINVAL);
        assert_int_equal(raid_check(&ctx, NULL, 1, &rep), -EINVAL);
}

static void test_dm_two_targets(void **state) {
        (void) state;
        struct dmh_device *d = calloc(1, sizeof *d);
        struct raid_result r;

        make_dev(d, "two", 9, two, 2);
        assert_int_equal(raid_result_from_dm("/dev/mapper/two", d, &r), 0);
        assert_int_equal(r.kind, RAID_KIND_DM_MIRROR); /* the first judged target's */
        assert_int_equal(r.health, HEALTH_DEGRADED);   /* the worst */
        assert_non_null(strstr(r.reason, "target 0 (mirror): "));
        assert_non_null(strstr(r.reason, "; target 1 (raid): "));
        struct json_object *t = field(r.details, "targets");
        assert_int_equal(json_object_array_length(t), 2);
        assert_int_equal(json_object_get_int(field(json_object_array_get_idx(t, 1), "start")), 1000);
        assert_string_equal(sfield(json_object_array_get_idx(t, 1), "health"), "degraded");
        raid_result_done(&r);
        raid_result_done(&r); /* twice is harmless */
        dmh_devices_free(d, 1);

        d = calloc(1, sizeof *d);
        make_dev(d, "dead", 5, leg_dead, 1);
        assert_int_equal(raid_result_from_dm("/dev/dm-5", d, &r), 0);
        assert_int_equal(r.kind, RAID_KIND_DM_RAID);
        assert_int_equal(r.health, HEALTH_DEGRADED);
        assert_int_equal(json_object_get_int(field(r.details, "dead_legs")), 1);
        raid_result_done(&r);
        dmh_devices_free(d, 1);
}

/* ------------------------------------------------------------ transitions */

static void test_transitions(void **state) {
        (void) state;
        struct raid_result a[] = {
                { .device = "/dev/md0", .health = HEALTH_OK },
                { .device = "/dev/mapper/mp", .health = HEALTH_OK },
        };
        struct raid_result b[] = {
                { .device = "/dev/md0", .health = HEALTH_DEGRADED },
                { .device = "/dev/mapper/mp", .health = HEALTH_OK },
                { .device = "/dev/md1", .health = HEALTH_FAILED },
        };
        struct raid_report prev = { a, 2 }, cur = { b, 3 };
        enum health before;

        assert_true(raid_health_changed(&prev, &b[0], &before));
        assert_int_equal(before, HEALTH_OK);
        assert_false(raid_health_changed(&prev, &b[1], &before));
        assert_int_equal(before, HEALTH_OK);
        assert_true(raid_health_changed(&prev, &b[2], &before)); /* new */
        assert_int_equal(before, _HEALTH_INVALID);
        assert_true(raid_health_changed(NULL, &b[1], &before)); /* first round */
        assert_int_equal(before, _HEALTH_INVALID);
        assert_false(raid_health_changed(&cur, &b[0], NULL)); /* same again: no second log */

        assert_int_equal(raid_report_health(&prev), HEALTH_OK);
        assert_int_equal(raid_report_health(&cur), HEALTH_FAILED);
        struct raid_report empty = {};
        assert_int_equal(raid_report_health(&empty), HEALTH_UNKNOWN);
        assert_ptr_equal(raid_report_find(&cur, "/dev/md1"), &b[2]);
        assert_null(raid_report_find(&cur, "/dev/md9"));
}

/* ------------------------------------------------------------------ watch */

static struct raid_ctx fixture_ctx(const char *fixture) {
        char dir[256];
        snprintf(dir, sizeof dir, MDFIX "%s", fixture);
        return (struct raid_ctx) { .sysroot_fd = open_root(dir) };
}

/* One round of `tandem-raid watch` on a fixture; the fixture's fd is closed again. */
static void round_on(struct raid_watch *w, const char *fixture, char *const *devs, size_t n, struct raid_round *rd) {
        struct raid_ctx ctx = fixture ? fixture_ctx(fixture) : (struct raid_ctx) { .sysroot_fd = -1 };
        (void) raid_watch_round(w, &ctx, devs, n, rd);
        if (ctx.sysroot_fd >= 0)
                close(ctx.sysroot_fd);
}

static void test_watch_rounds(void **state) {
        (void) state;
        char *md0[] = { "md0" };
        struct raid_watch w = {};
        struct raid_round rd;

        /* first round: every device is news */
        round_on(&w, "clean-raid1", md0, 1, &rd);
        assert_int_equal(rd.round, 1);
        assert_int_equal(rd.error, 0);
        assert_int_equal(rd.n_changes, 1);
        assert_int_equal(rd.changes[0].before, _HEALTH_INVALID);
        assert_false(rd.changes[0].gone);
        assert_true(rd.changed);
        assert_false(rd.nothing_to_check);
        assert_false(rd.recovered);
        assert_string_equal(rd.status, "ok: 1 device");
        raid_round_done(&rd);

        /* the same again: nothing to say */
        round_on(&w, "clean-raid1", md0, 1, &rd);
        assert_int_equal(rd.n_changes, 0);
        assert_false(rd.changed);
        raid_round_done(&rd);

        /* ok -> degraded, once */
        round_on(&w, "faulty", md0, 1, &rd);
        assert_int_equal(rd.n_changes, 1);
        assert_int_equal(rd.changes[0].before, HEALTH_OK);
        assert_int_equal(rd.changes[0].result->health, HEALTH_DEGRADED);
        assert_true(rd.changed);
        assert_string_equal(rd.status, "degraded: 1 device; md0 degraded (member loop1 faulty; raid1 clean, 1 of 2 "
                                       "in sync; degraded (1 missing))");
        raid_round_done(&rd);
        round_on(&w, "faulty", md0, 1, &rd);
        assert_int_equal(rd.n_changes, 0);
        raid_round_done(&rd);

        /* a check that cannot run: said once, the last report kept */
        round_on(&w, NULL, md0, 1, &rd);
        assert_int_equal(rd.error, -EINVAL);
        assert_true(rd.error_new);
        assert_null(rd.report);
        assert_string_equal(rd.status, "cannot check: Invalid argument");
        raid_round_done(&rd);
        round_on(&w, NULL, md0, 1, &rd);
        assert_false(rd.error_new);
        raid_round_done(&rd);
        assert_int_equal(w.last.n, 1);

        /* back: every device is news again */
        round_on(&w, "faulty", md0, 1, &rd);
        assert_true(rd.recovered);
        assert_int_equal(rd.n_changes, 1);
        assert_int_equal(rd.changes[0].before, _HEALTH_INVALID);
        assert_false(rd.changed); /* the same devices and verdicts as the last report */
        raid_round_done(&rd);

        /* all devices (none named): md127 found, md0 gone */
        round_on(&w, "named", NULL, 0, &rd);
        assert_int_equal(rd.n_changes, 2);
        assert_string_equal(rd.changes[0].result->device, "/dev/md127");
        assert_string_equal(rd.changes[1].result->device, "md0");
        assert_true(rd.changes[1].gone);
        assert_int_equal(rd.changes[1].before, HEALTH_DEGRADED);
        assert_true(rd.changed);
        raid_round_done(&rd);

        /* then nothing at all: said once */
        round_on(&w, "assemble-incomplete", NULL, 0, &rd);
        assert_true(rd.nothing_to_check);
        assert_int_equal(rd.n_changes, 1);
        assert_true(rd.changes[0].gone);
        assert_string_equal(rd.status, "nothing to check: 0 devices");
        raid_round_done(&rd);
        round_on(&w, "assemble-incomplete", NULL, 0, &rd);
        assert_false(rd.nothing_to_check);
        assert_int_equal(rd.n_changes, 0);
        raid_round_done(&rd);
        raid_watch_done(&w);
}

/* ------------------------------------------------------------------ agent */

struct agent_env {
        char run[64];
};

static int agent_setup(void **state) {
        struct agent_env *e = calloc(1, sizeof *e);
        snprintf(e->run, sizeof e->run, "/tmp/test-raid-run.XXXXXX");
        if (!mkdtemp(e->run))
                return -1;
        *state = e;
        return 0;
}

static int agent_teardown(void **state) {
        struct agent_env *e = *state;
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->run);
        int r = system(cmd);
        free(e);
        return r == 0 ? 0 : -1;
}

/* Sets up the agent on a fixture; returns the code of init and settle. */
static int agent_on(struct raid_agent *a, const struct agent_env *e, const char *fixture, const char *devices,
                    const char *on_degraded, const struct cfg_group *g, char **why) {
        char root[256];
        snprintf(root, sizeof root, MDFIX "%s", fixture);
        const struct raid_agent_params p = {
                .instance = "r1", .run_dir = e->run, .devices = devices, .sysroot = root,
                .on_degraded = on_degraded,
        };
        int rc = raid_agent_init(a, &p, why);
        return rc != OCF_SUCCESS ? rc : raid_agent_settle(a, &p, g, why);
}

/* Runs one action; returns its code, *ret_reason the reason (or NULL). */
static int agent_act(const struct agent_env *e, const char *fixture, const char *on_degraded, enum ocf_action act,
                     char **ret_reason, bool *ret_degraded) {
        struct raid_agent a;
        struct raid_agent_result res;
        char *why = NULL;
        assert_int_equal(agent_on(&a, e, fixture, "md0", on_degraded, NULL, &why), OCF_SUCCESS);
        assert_null(why);
        int rc = raid_agent_run(&a, act, &res);
        if (ret_degraded)
                *ret_degraded = res.degraded != NULL;
        *ret_reason = TAKE_PTR(res.reason);
        raid_agent_result_done(&res);
        raid_agent_done(&a);
        return rc;
}

static bool marker(const struct agent_env *e) {
        char p[128];
        snprintf(p, sizeof p, "%s/raid-r1.started", e->run);
        return access(p, F_OK) == 0;
}

static void test_agent_actions(void **state) {
        const struct agent_env *e = *state;
        char *why = NULL;
        bool degraded = false;

        assert_int_equal(agent_act(e, "clean-raid1", NULL, OCF_ACTION_MONITOR, &why, NULL), OCF_NOT_RUNNING);
        assert_int_equal(agent_act(e, "clean-raid1", NULL, OCF_ACTION_STOP, &why, NULL), OCF_SUCCESS);
        assert_int_equal(agent_act(e, "clean-raid1", NULL, OCF_ACTION_START, &why, &degraded), OCF_SUCCESS);
        assert_null(why);
        assert_false(degraded);
        assert_true(marker(e));
        assert_int_equal(agent_act(e, "clean-raid1", NULL, OCF_ACTION_START, &why, NULL), OCF_SUCCESS);
        assert_int_equal(agent_act(e, "clean-raid1", NULL, OCF_ACTION_MONITOR, &why, NULL), OCF_SUCCESS);
        assert_int_equal(agent_act(e, "faulty", NULL, OCF_ACTION_MONITOR, &why, NULL), OCF_DEGRADED);
        assert_string_equal(why, "md0 degraded: member loop1 faulty; raid1 clean, 1 of 2 in sync; degraded (1 missing)");
        free(TAKE_PTR(why));
        assert_int_equal(agent_act(e, "inactive", NULL, OCF_ACTION_MONITOR, &why, NULL), OCF_ERR_GENERIC);
        assert_non_null(strstr(why, "md0 failed: array inactive"));
        free(TAKE_PTR(why));
        assert_int_equal(agent_act(e, "clean-raid1", NULL, OCF_ACTION_STOP, &why, NULL), OCF_SUCCESS);
        assert_false(marker(e));

        /* degraded: allowed (and said), or refused without a marker */
        assert_int_equal(agent_act(e, "faulty", "refuse", OCF_ACTION_START, &why, NULL), OCF_ERR_GENERIC);
        assert_non_null(strstr(why, "degraded and on_degraded=refuse: md0 degraded: member loop1 faulty"));
        free(TAKE_PTR(why));
        assert_false(marker(e));
        assert_int_equal(agent_act(e, "faulty", "allow", OCF_ACTION_START, &why, &degraded), OCF_SUCCESS);
        assert_true(degraded);
        assert_true(marker(e));
        assert_int_equal(agent_act(e, "faulty", NULL, OCF_ACTION_STOP, &why, NULL), OCF_SUCCESS);
        assert_int_equal(agent_act(e, "inactive", NULL, OCF_ACTION_START, &why, NULL), OCF_ERR_GENERIC);
        assert_non_null(strstr(why, "array inactive"));
        free(TAKE_PTR(why));
        assert_false(marker(e));
        assert_int_equal(agent_act(e, "assemble-incomplete", NULL, OCF_ACTION_VALIDATE_ALL, &why, NULL), OCF_SUCCESS);
}

static void test_agent_settings(void **state) {
        const struct agent_env *e = *state;
        struct raid_agent a;
        char *why = NULL;

        /* the marker names the instance, made safe; it is set even when the rest fails */
        const struct raid_agent_params clone = { .instance = ".db:0/x", .run_dir = e->run, .group = "g", .config = "c" };
        assert_int_equal(raid_agent_init(&a, &clone, &why), OCF_ERR_CONFIGURED);
        assert_string_equal(why, "give group or config, not both");
        char want[128];
        snprintf(want, sizeof want, "%s/raid-_db_0_x.started", e->run);
        assert_string_equal(a.marker, want);
        /* a stop still stops, a monitor without the marker is not running */
        struct raid_agent_result res;
        assert_int_equal(raid_agent_unconfigured(&a, OCF_ACTION_STOP, OCF_ERR_CONFIGURED, &res), OCF_SUCCESS);
        raid_agent_result_done(&res);
        assert_int_equal(raid_agent_unconfigured(&a, OCF_ACTION_MONITOR, OCF_ERR_CONFIGURED, &res), OCF_NOT_RUNNING);
        raid_agent_result_done(&res);
        assert_int_equal(raid_agent_unconfigured(&a, OCF_ACTION_START, OCF_ERR_CONFIGURED, &res), OCF_ERR_CONFIGURED);
        raid_agent_result_done(&res);
        raid_agent_done(&a);
        free(TAKE_PTR(why));

        const struct raid_agent_params dflt = {};
        assert_int_equal(raid_agent_init(&a, &dflt, &why), OCF_SUCCESS);
        assert_string_equal(a.marker, RAID_RUN_DIR "/raid-default.started");
        raid_agent_done(&a);

        /* devices: spaces and commas; every one must be a device name */
        assert_int_equal(agent_on(&a, e, "clean-raid1", " md0, /dev/md/db\t", NULL, NULL, &why), OCF_SUCCESS);
        assert_int_equal(a.n_check, 2);
        assert_string_equal(a.check[1], "/dev/md/db");
        assert_int_equal(a.on_degraded, CFG_ON_DEGRADED_ALLOW);
        raid_agent_done(&a);
        assert_int_equal(agent_on(&a, e, "clean-raid1", "md0 /dev/../md0", NULL, NULL, &why), OCF_ERR_CONFIGURED);
        assert_string_equal(why, "devices: '/dev/../md0' is not a device name");
        raid_agent_done(&a);
        free(TAKE_PTR(why));
        assert_int_equal(agent_on(&a, e, "nonexistent", "md0", NULL, NULL, &why), OCF_ERR_CONFIGURED);
        assert_string_equal(why, "sysroot: " MDFIX "nonexistent is not a directory");
        raid_agent_done(&a);
        free(TAKE_PTR(why));

        /* the config's devices and on_degraded; the parameter overrides it */
        char *raid[] = { "/dev/md0", NULL };
        struct cfg_group g = { .raid = { .present = true, .devices = raid, .n_devices = 1,
                                         .on_degraded = CFG_ON_DEGRADED_REFUSE } };
        assert_int_equal(agent_on(&a, e, "clean-raid1", NULL, NULL, &g, &why), OCF_SUCCESS);
        assert_int_equal(a.n_check, 1);
        assert_ptr_equal(a.check, raid);
        assert_int_equal(a.on_degraded, CFG_ON_DEGRADED_REFUSE);
        raid_agent_done(&a);
        assert_int_equal(agent_on(&a, e, "clean-raid1", NULL, "allow", &g, &why), OCF_SUCCESS);
        assert_int_equal(a.on_degraded, CFG_ON_DEGRADED_ALLOW);
        raid_agent_done(&a);
        assert_int_equal(agent_on(&a, e, "clean-raid1", NULL, "maybe", &g, &why), OCF_ERR_CONFIGURED);
        assert_string_equal(why, "on_degraded: 'maybe' is not allow or refuse");
        raid_agent_done(&a);
        free(TAKE_PTR(why));

        char *m = raid_agent_metadata("9.9");
        assert_non_null(strstr(m, "<resource-agent name=\"raid\" version=\"9.9\">"));
        assert_non_null(strstr(m, "<version>1.1</version>"));
        free(m);
}

/* ------------------------------------------ host md arrays: a fake mdadm */

/* A stand-in for md_mdadm_run() that does to a scratch sysroot what mdadm
 * does to the kernel: --assemble makes sys/block/<kname> (a copy of a
 * captured fixture) and the /dev/md/NAME link; --stop removes the sysfs
 * directory. What it is asked is recorded. */
struct fake {
        char root[64];
        int fd;
        char conf[128];
        char calls[32][256];
        size_t n_calls;
        const char *fixture;            /* what an assembled array looks like; default clean-raid1 */
        const char *fail_assemble;      /* this device: mdadm says it is not in the config */
        const char *busy;               /* this kernel name: mdadm --stop is refused */
        const char *stays_inactive;     /* this device: assembled, exit 0, but inactive */
        bool hang;                      /* every command times out */
        int err;                        /* every command fails to start with this -errno */
};
static struct fake *fk;

static const char *kname_of(const char *dev) {
        static const struct { const char *dev, *kname; } t[] = {
                { "/dev/md/dbdata", "md127" }, { "/dev/md/r0", "md126" }, { "/dev/md/r1", "md125" },
                { "/dev/md/top", "md124" },    { "/dev/md0", "md0" },     { "md1", "md1" },
                { "/dev/md1", "md1" },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (strcmp(t[i].dev, dev) == 0)
                        return t[i].kname;
        fail_msg("fake mdadm: no kernel name for %s", dev);
        return NULL;
}

static void sh(const char *fmt, ...) _printf_(1, 2);
static void sh(const char *fmt, ...) {
        char cmd[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof cmd, fmt, ap);
        va_end(ap);
        if (system(cmd) != 0)
                fail_msg("%s failed", cmd);
}

/* Makes <root>/sys/block/<kname> from a fixture, and the /dev/md/NAME link. */
static void fake_array(const char *dev, const char *fixture) {
        const char *k = kname_of(dev);
        sh("rm -rf '%s/sys/block/%s' && cp -a '" MDFIX "%s/sys/block/md0' '%s/sys/block/%s'", fk->root, k, fixture,
           fk->root, k);
        if (strncmp(dev, "/dev/md/", 8) == 0) {
                char l[256], t[64];
                snprintf(l, sizeof l, "%s/dev/md/%s", fk->root, dev + 8);
                snprintf(t, sizeof t, "../%s", k);
                (void) unlink(l);
                if (symlink(t, l) < 0)
                        fail_msg("symlink %s: %m", l);
        }
}

static bool fake_there(const char *kname) {
        char p[256];
        snprintf(p, sizeof p, "%s/sys/block/%s/md", fk->root, kname);
        return access(p, F_OK) == 0;
}

static int fake_mdadm(const char *const *argv, usec_t timeout, struct md_mdadm_result *ret) {
        (void) timeout;
        char line[256] = "";
        for (size_t i = 0; argv[i]; i++)
                snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", i ? " " : "", argv[i]);
        assert_true(fk->n_calls < ELEMENTSOF(fk->calls));
        snprintf(fk->calls[fk->n_calls++], sizeof fk->calls[0], "%s", line);
        if (fk->err)
                return fk->err;
        struct md_mdadm_result r = {};
        if (fk->hang) {
                r.timed_out = true;
                r.status = -9;
                *ret = r;
                return 0;
        }
        if (strcmp(argv[1], "--assemble") == 0) {
                const char *dev = argv[5];
                if (fk->fail_assemble && strcmp(fk->fail_assemble, dev) == 0) {
                        r.status = 1;
                        snprintf(r.out, sizeof r.out, "mdadm: %s not identified in config file.\n", dev);
                } else {
                        fake_array(dev, fk->fixture ? fk->fixture : "clean-raid1");
                        if (fk->stays_inactive && strcmp(fk->stays_inactive, dev) == 0)
                                sh("printf 'inactive\\n' >'%s/sys/block/%s/md/array_state'", fk->root, kname_of(dev));
                        snprintf(r.out, sizeof r.out, "mdadm: %s has been started with 2 drives.\n", dev);
                }
        } else if (strcmp(argv[1], "--stop") == 0) {
                const char *k = argv[2] + 5;
                if (fk->busy && strcmp(fk->busy, k) == 0) {
                        r.status = 1;
                        snprintf(r.out, sizeof r.out,
                                 "mdadm: Cannot get exclusive access to %s:Perhaps a running process, mounted "
                                 "filesystem or active volume group?\n",
                                 argv[2]);
                } else {
                        sh("rm -rf '%s/sys/block/%s'", fk->root, k);
                        snprintf(r.out, sizeof r.out, "mdadm: stopped %s\n", argv[2]);
                }
        } else
                fail_msg("fake mdadm: %s", line);
        r.out_len = strlen(r.out);
        *ret = r;
        return 0;
}

static int fake_setup(void **state) {
        fk = calloc(1, sizeof *fk);
        snprintf(fk->root, sizeof fk->root, "/tmp/test-raid-md.XXXXXX");
        if (!mkdtemp(fk->root))
                return -1;
        mkdirs(fk->root, "dev/md");
        mkdirs(fk->root, "sys/block");
        mkdirs(fk->root, "run");
        snprintf(fk->conf, sizeof fk->conf, "%s/db.mdadm.conf", fk->root);
        sh("printf 'DEVICE /dev/disk/by-id/wwn-a /dev/disk/by-id/wwn-b\\n' >'%s' && chmod 0644 '%s'", fk->conf,
           fk->conf);
        fk->fd = open_root(fk->root);
        *state = fk;
        return 0;
}

static int fake_teardown(void **state) {
        (void) state;
        close(fk->fd);
        sh("rm -rf '%s'", fk->root);
        free(fk);
        fk = NULL;
        return 0;
}

static struct raid_ctx fake_ctx(void) {
        return (struct raid_ctx) { .sysroot_fd = fk->fd, .mdadm = fake_mdadm, .settle_timeout = 50 * USEC_PER_MSEC };
}

static void want_calls(const char *const *want) {
        size_t i = 0;
        for (; want[i]; i++) {
                if (i >= fk->n_calls)
                        fail_msg("mdadm call %zu missing, want \"%s\"", i, want[i]);
                if (strcmp(fk->calls[i], want[i]) != 0)
                        fail_msg("mdadm call %zu: \"%s\", want \"%s\"", i, fk->calls[i], want[i]);
        }
        if (fk->n_calls != i)
                fail_msg("mdadm called %zu times, want %zu; then \"%s\"", fk->n_calls, i, fk->calls[i]);
        fk->n_calls = 0;
}

static void want_step(const struct raid_steps *s, size_t i, const char *dev, enum raid_step_action a,
                      enum raid_step_outcome o, const char *kname) {
        assert_true(i < s->n);
        const struct raid_step *st = &s->steps[i];
        if (strcmp(st->device, dev) != 0 || st->action != a || st->outcome != o || strcmp(st->kname, kname) != 0)
                fail_msg("step %zu: %s %s %s (%s), want %s %s %s (%s); reason: %s", i,
                         raid_step_action_to_string(st->action), st->device, raid_step_outcome_to_string(st->outcome),
                         st->kname, raid_step_action_to_string(a), dev, raid_step_outcome_to_string(o), kname,
                         st->reason);
}

static void test_md_assemble_stop(void **state) {
        (void) state;
        const struct raid_ctx ctx = fake_ctx();
        struct raid_steps st = {};
        const char *which = NULL;
        /* nested: raid0 top over raid1 r0 and r1; a dm name in the list is left alone */
        char *devs[] = { "/dev/md/r0", "/dev/md/r1", "/dev/mapper/mpatha", "/dev/md/top" };
        const size_t n = ELEMENTSOF(devs);

        assert_true(raid_is_md_name("md0") && raid_is_md_name("/dev/md1") && raid_is_md_name("/dev/md/db"));
        assert_false(raid_is_md_name("/dev/mapper/mpatha") || raid_is_md_name("/dev/disk/by-id/md-uuid-x") ||
                     raid_is_md_name("/dev/../md0"));
        assert_int_equal(raid_count_md(devs, n), 3);
        assert_int_equal(raid_md_any_assembled(&ctx, devs, n, &which), 0);

        /* bottom-up, in the order given */
        assert_int_equal(raid_md_assemble(&ctx, fk->conf, devs, n, &st), 0);
        char c0[256], c1[256], c2[256];
        snprintf(c0, sizeof c0, "mdadm --assemble --run --config %s /dev/md/r0", fk->conf);
        snprintf(c1, sizeof c1, "mdadm --assemble --run --config %s /dev/md/r1", fk->conf);
        snprintf(c2, sizeof c2, "mdadm --assemble --run --config %s /dev/md/top", fk->conf);
        want_calls((const char *const[]) { c0, c1, c2, NULL });
        assert_int_equal(st.n, 3);
        want_step(&st, 0, "/dev/md/r0", RAID_STEP_ASSEMBLE, RAID_STEP_DONE, "md126");
        want_step(&st, 1, "/dev/md/r1", RAID_STEP_ASSEMBLE, RAID_STEP_DONE, "md125");
        want_step(&st, 2, "/dev/md/top", RAID_STEP_ASSEMBLE, RAID_STEP_DONE, "md124");
        assert_null(raid_steps_failed(&st));
        raid_steps_done(&st);
        assert_int_equal(raid_md_any_assembled(&ctx, devs, n, &which), 1);
        assert_string_equal(which, "/dev/md/r0");

        /* again: running arrays are left alone, mdadm is not asked */
        assert_int_equal(raid_md_assemble(&ctx, fk->conf, devs, n, &st), 0);
        want_calls((const char *const[]) { NULL });
        want_step(&st, 0, "/dev/md/r0", RAID_STEP_ASSEMBLE, RAID_STEP_ALREADY, "md126");
        want_step(&st, 2, "/dev/md/top", RAID_STEP_ASSEMBLE, RAID_STEP_ALREADY, "md124");
        raid_steps_done(&st);

        /* stop: top-down, each by its kernel name */
        assert_int_equal(raid_md_stop(&ctx, devs, n, &st), 0);
        want_calls((const char *const[]) { "mdadm --stop /dev/md124", "mdadm --stop /dev/md125",
                                           "mdadm --stop /dev/md126", NULL });
        want_step(&st, 0, "/dev/md/top", RAID_STEP_STOP, RAID_STEP_DONE, "md124");
        want_step(&st, 2, "/dev/md/r0", RAID_STEP_STOP, RAID_STEP_DONE, "md126");
        raid_steps_done(&st);
        assert_false(fake_there("md124") || fake_there("md125") || fake_there("md126"));
        assert_int_equal(raid_md_any_assembled(&ctx, devs, n, &which), 0);
        /* again: nothing there (the links are left dangling, as without udev) */
        assert_int_equal(raid_md_stop(&ctx, devs, n, &st), 0);
        want_calls((const char *const[]) { NULL });
        assert_int_equal(st.n, 3);
        want_step(&st, 1, "/dev/md/r1", RAID_STEP_STOP, RAID_STEP_ALREADY, "");
        raid_steps_done(&st);

        /* a member array mdadm cannot assemble: stops there, says what mdadm said */
        fk->fail_assemble = "/dev/md/r1";
        assert_int_equal(raid_md_assemble(&ctx, fk->conf, devs, n, &st), -EIO);
        want_calls((const char *const[]) { c0, c1, NULL });
        assert_int_equal(st.n, 2);
        want_step(&st, 1, "/dev/md/r1", RAID_STEP_ASSEMBLE, RAID_STEP_FAILED, "");
        assert_ptr_equal(raid_steps_failed(&st), &st.steps[1]);
        assert_string_equal(st.steps[1].reason,
                            "mdadm --assemble /dev/md/r1 exited 1: /dev/md/r1 not identified in config file.");
        raid_steps_done(&st);
        fk->fail_assemble = NULL;
        assert_int_equal(raid_md_assemble(&ctx, fk->conf, devs, n, &st), 0);
        raid_steps_done(&st);
        fk->n_calls = 0;

        /* a stop refused (r0 held): the others are stopped, the failure said */
        fk->busy = "md126";
        assert_int_equal(raid_md_stop(&ctx, devs, n, &st), -EBUSY);
        want_calls((const char *const[]) { "mdadm --stop /dev/md124", "mdadm --stop /dev/md125",
                                           "mdadm --stop /dev/md126", NULL });
        want_step(&st, 1, "/dev/md/r1", RAID_STEP_STOP, RAID_STEP_DONE, "md125");
        want_step(&st, 2, "/dev/md/r0", RAID_STEP_STOP, RAID_STEP_FAILED, "md126");
        assert_int_equal(st.steps[2].error, -EBUSY);
        assert_string_equal(st.steps[2].reason,
                            "/dev/md/r0 (md126) still running: mdadm --stop exited 1: Cannot get exclusive access "
                            "to /dev/md126:Perhaps a running process, mounted filesystem or active volume group?");
        raid_steps_done(&st);
        assert_int_equal(raid_md_any_assembled(&ctx, devs, n, &which), 1);
        assert_string_equal(which, "/dev/md/r0");
        fk->busy = NULL;
        assert_int_equal(raid_md_stop(&ctx, devs, n, &st), 0);
        raid_steps_done(&st);
        fk->n_calls = 0;
}

static void test_md_assemble_odd(void **state) {
        (void) state;
        struct raid_ctx ctx = fake_ctx();
        struct raid_steps st = {};
        char *one[] = { "/dev/md/dbdata" };
        char c[256];
        snprintf(c, sizeof c, "mdadm --assemble --run --config %s /dev/md/dbdata", fk->conf);

        /* an inactive array (a partial incremental assembly) is stopped first */
        fake_array("/dev/md/dbdata", "inactive");
        assert_int_equal(raid_md_assemble(&ctx, fk->conf, one, 1, &st), 0);
        want_calls((const char *const[]) { "mdadm --stop /dev/md127", c, NULL });
        want_step(&st, 0, "/dev/md/dbdata", RAID_STEP_ASSEMBLE, RAID_STEP_DONE, "md127");
        raid_steps_done(&st);
        assert_int_equal(raid_md_stop(&ctx, one, 1, &st), 0);
        raid_steps_done(&st);
        fk->n_calls = 0;

        /* mdadm says yes, sysfs says inactive: sysfs decides */
        fk->stays_inactive = "/dev/md/dbdata";
        assert_int_equal(raid_md_assemble(&ctx, fk->conf, one, 1, &st), -ENXIO);
        assert_string_equal(st.steps[0].reason, "mdadm --assemble /dev/md/dbdata exited 0, but the array is inactive");
        raid_steps_done(&st);
        fk->stays_inactive = NULL;
        assert_int_equal(raid_md_stop(&ctx, one, 1, &st), 0);
        raid_steps_done(&st);
        fk->n_calls = 0;

        /* a hung mdadm is a timeout */
        fk->hang = true;
        ctx.mdadm_timeout = 2 * USEC_PER_SEC;
        assert_int_equal(raid_md_assemble(&ctx, fk->conf, one, 1, &st), -ETIME);
        assert_string_equal(st.steps[0].reason, "mdadm --assemble /dev/md/dbdata timed out after 2s");
        raid_steps_done(&st);
        fk->hang = false;

        /* no mdadm */
        fk->err = -ENOENT;
        assert_int_equal(raid_md_assemble(&ctx, fk->conf, one, 1, &st), -ENOENT);
        assert_string_equal(st.steps[0].reason, "cannot run mdadm --assemble /dev/md/dbdata: No such file or directory");
        raid_steps_done(&st);
        fk->err = 0;
        fk->n_calls = 0;

        /* md0 and /dev/md1 are given to mdadm as /dev/mdN */
        char *plain[] = { "md1" };
        assert_int_equal(raid_md_assemble(&ctx, fk->conf, plain, 1, &st), 0);
        snprintf(c, sizeof c, "mdadm --assemble --run --config %s /dev/md1", fk->conf);
        want_calls((const char *const[]) { c, NULL });
        raid_steps_done(&st);
        assert_int_equal(raid_md_stop(&ctx, plain, 1, &st), 0);
        want_calls((const char *const[]) { "mdadm --stop /dev/md1", NULL });
        raid_steps_done(&st);

        /* nothing to do without mdadm, or with a relative conf */
        ctx.mdadm = NULL;
        assert_int_equal(raid_md_assemble(&ctx, fk->conf, one, 1, &st), -EINVAL);
        assert_int_equal(raid_md_stop(&ctx, one, 1, &st), -EINVAL);
        ctx.mdadm = fake_mdadm;
        assert_int_equal(raid_md_assemble(&ctx, "db.mdadm.conf", one, 1, &st), -EINVAL);
        assert_int_equal(st.n, 0);
        assert_string_equal(raid_step_outcome_to_string(RAID_STEP_ALREADY), "already");
        assert_null(raid_step_action_to_string(_RAID_STEP_ACTION_MAX));
}

/* The agent on the fake: settled on the scratch sysroot, then given the fake mdadm. */
static int fake_agent(struct raid_agent *a, const char *devices, const char *on_degraded, char **why) {
        char run[128];
        snprintf(run, sizeof run, "%s/run", fk->root);
        const struct raid_agent_params p = {
                .instance = "r1", .run_dir = run, .devices = devices, .sysroot = fk->root,
                .on_degraded = on_degraded, .mdadm_conf = fk->conf,
        };
        int rc = raid_agent_init(a, &p, why);
        if (rc == OCF_SUCCESS)
                rc = raid_agent_settle(a, &p, NULL, why);
        a->ctx.mdadm = fake_mdadm;
        a->ctx.settle_timeout = 50 * USEC_PER_MSEC;
        return rc;
}

static int fake_act(const char *devices, const char *on_degraded, enum ocf_action act, struct raid_agent_result *res) {
        struct raid_agent a;
        char *why = NULL;
        assert_int_equal(fake_agent(&a, devices, on_degraded, &why), OCF_SUCCESS);
        assert_null(why);
        int rc = raid_agent_run(&a, act, res);
        raid_agent_done(&a);
        return rc;
}

static char *marker_text(void) {
        char p[128], *t = NULL;
        snprintf(p, sizeof p, "%s/run/raid-r1.started", fk->root);
        FILE *f = fopen(p, "re");
        if (!f)
                return NULL;
        size_t n = 0;
        if (getdelim(&t, &n, '\0', f) < 0) {
                free(t);
                t = strdup("");
        }
        fclose(f);
        return t;
}

static void test_agent_assembles(void **state) {
        (void) state;
        struct raid_agent_result res;
        const char *nested = "/dev/md/r0 /dev/md/r1 /dev/md/top";
        char *t;

        /* start: assembled in order, checked, the marker names them */
        assert_int_equal(fake_act(nested, NULL, OCF_ACTION_START, &res), OCF_SUCCESS);
        assert_int_equal(res.steps.n, 3);
        want_step(&res.steps, 0, "/dev/md/r0", RAID_STEP_ASSEMBLE, RAID_STEP_DONE, "md126");
        want_step(&res.steps, 2, "/dev/md/top", RAID_STEP_ASSEMBLE, RAID_STEP_DONE, "md124");
        assert_false(res.was_started);
        assert_int_equal(res.report.n, 3);
        assert_int_equal(raid_report_health(&res.report), HEALTH_OK);
        raid_agent_result_done(&res);
        t = marker_text();
        assert_string_equal(t, RAID_MARKER_HEADER "\n/dev/md/r0\n/dev/md/r1\n/dev/md/top\n");
        free(t);
        fk->n_calls = 0;

        /* start again: nothing to assemble; monitor */
        assert_int_equal(fake_act(nested, NULL, OCF_ACTION_START, &res), OCF_SUCCESS);
        assert_true(res.was_started);
        want_step(&res.steps, 1, "/dev/md/r1", RAID_STEP_ASSEMBLE, RAID_STEP_ALREADY, "md125");
        raid_agent_result_done(&res);
        want_calls((const char *const[]) { NULL });
        assert_int_equal(fake_act(nested, NULL, OCF_ACTION_MONITOR, &res), OCF_SUCCESS);
        assert_int_equal(res.steps.n, 0);
        raid_agent_result_done(&res);

        /* a stop that cannot stop r0 fails, keeps the marker, says the reservation must stay */
        fk->busy = "md126";
        assert_int_equal(fake_act(nested, NULL, OCF_ACTION_STOP, &res), OCF_ERR_GENERIC);
        assert_non_null(strstr(res.reason, "cannot stop /dev/md/r0: /dev/md/r0 (md126) still running: mdadm --stop "
                                           "exited 1: Cannot get exclusive access"));
        assert_non_null(strstr(res.reason, "so the reservation must stay held"));
        want_step(&res.steps, 0, "/dev/md/top", RAID_STEP_STOP, RAID_STEP_DONE, "md124");
        want_step(&res.steps, 2, "/dev/md/r0", RAID_STEP_STOP, RAID_STEP_FAILED, "md126");
        raid_agent_result_done(&res);
        assert_non_null(t = marker_text());
        free(t);
        assert_int_equal(fake_act(nested, NULL, OCF_ACTION_MONITOR, &res), OCF_ERR_GENERIC); /* top is gone */
        raid_agent_result_done(&res);
        fk->busy = NULL;

        /* the config changed meanwhile (only r0 named now): the marker's arrays are stopped too */
        assert_int_equal(fake_act(nested, NULL, OCF_ACTION_START, &res), OCF_SUCCESS);
        raid_agent_result_done(&res);
        fk->n_calls = 0;
        assert_int_equal(fake_act("/dev/md/r0", NULL, OCF_ACTION_STOP, &res), OCF_SUCCESS);
        want_calls((const char *const[]) { "mdadm --stop /dev/md124", "mdadm --stop /dev/md125",
                                           "mdadm --stop /dev/md126", NULL });
        raid_agent_result_done(&res);
        assert_null(marker_text());
        assert_false(fake_there("md124") || fake_there("md125") || fake_there("md126"));
        /* stop again: fine */
        assert_int_equal(fake_act(nested, NULL, OCF_ACTION_STOP, &res), OCF_SUCCESS);
        want_calls((const char *const[]) { NULL });
        raid_agent_result_done(&res);

        /* a start the gate refuses stops what it assembled: nothing left, no marker */
        fk->fixture = "faulty";
        assert_int_equal(fake_act(nested, "refuse", OCF_ACTION_START, &res), OCF_ERR_GENERIC);
        assert_non_null(strstr(res.reason, "degraded and on_degraded=refuse: /dev/md/r0 degraded"));
        assert_int_equal(res.steps.n, 6);
        want_step(&res.steps, 2, "/dev/md/top", RAID_STEP_ASSEMBLE, RAID_STEP_DONE, "md124");
        want_step(&res.steps, 3, "/dev/md/top", RAID_STEP_STOP, RAID_STEP_DONE, "md124");
        want_step(&res.steps, 5, "/dev/md/r0", RAID_STEP_STOP, RAID_STEP_DONE, "md126");
        raid_agent_result_done(&res);
        assert_null(marker_text());
        assert_false(fake_there("md124") || fake_there("md125") || fake_there("md126"));
        /* allowed: started degraded */
        assert_int_equal(fake_act(nested, "allow", OCF_ACTION_START, &res), OCF_SUCCESS);
        assert_non_null(res.degraded);
        raid_agent_result_done(&res);
        assert_int_equal(fake_act(nested, NULL, OCF_ACTION_STOP, &res), OCF_SUCCESS);
        raid_agent_result_done(&res);
        fk->fixture = NULL;
        fk->n_calls = 0;

        /* an assembly that fails half way: r0 is stopped again */
        fk->fail_assemble = "/dev/md/r1";
        assert_int_equal(fake_act(nested, NULL, OCF_ACTION_START, &res), OCF_ERR_GENERIC);
        assert_string_equal(res.reason, "cannot assemble /dev/md/r1: mdadm --assemble /dev/md/r1 exited 1: "
                                        "/dev/md/r1 not identified in config file.");
        want_step(&res.steps, 0, "/dev/md/r0", RAID_STEP_ASSEMBLE, RAID_STEP_DONE, "md126");
        want_step(&res.steps, 1, "/dev/md/r1", RAID_STEP_ASSEMBLE, RAID_STEP_FAILED, "");
        want_step(&res.steps, 4, "/dev/md/r0", RAID_STEP_STOP, RAID_STEP_DONE, "md126");
        raid_agent_result_done(&res);
        assert_null(marker_text());
        assert_false(fake_there("md126"));

        /* ... and when that stop fails too, both are said and the marker stays for the stop */
        fk->busy = "md126";
        assert_int_equal(fake_act(nested, NULL, OCF_ACTION_START, &res), OCF_ERR_GENERIC);
        assert_non_null(strstr(res.reason, "cannot assemble /dev/md/r1: "));
        if (!strstr(res.reason, "; and then cannot stop /dev/md/r0: "))
                fail_msg("reason: %s", res.reason);
        raid_agent_result_done(&res);
        assert_non_null(t = marker_text());
        free(t);
        fk->busy = NULL;
        fk->fail_assemble = NULL;
        assert_int_equal(fake_act(nested, NULL, OCF_ACTION_STOP, &res), OCF_SUCCESS);
        raid_agent_result_done(&res);
        assert_null(marker_text());

        /* no mdadm at all: not installed */
        fk->err = -ENOENT;
        assert_int_equal(fake_act(nested, NULL, OCF_ACTION_START, &res), OCF_ERR_INSTALLED);
        raid_agent_result_done(&res);
        fk->err = 0;
        assert_null(marker_text());
}

static void test_agent_mdadm_conf(void **state) {
        (void) state;
        struct raid_agent a;
        struct raid_agent_result res;
        char *why = NULL, *c = NULL;
        char run[128];
        snprintf(run, sizeof run, "%s/run", fk->root);

        /* the default: the group file's sibling */
        assert_int_equal(raid_agent_mdadm_conf_default("db", NULL, &c), 0);
        assert_string_equal(c, "/etc/tandem/db.mdadm.conf");
        free(TAKE_PTR(c));
        assert_int_equal(raid_agent_mdadm_conf_default(NULL, "/srv/g.conf", &c), 0);
        assert_string_equal(c, "/srv/g.mdadm.conf");
        free(TAKE_PTR(c));
        assert_int_equal(raid_agent_mdadm_conf_default(NULL, "/srv/g", &c), 0);
        assert_string_equal(c, "/srv/g.mdadm.conf");
        free(TAKE_PTR(c));
        c = (char *) "untouched";
        assert_int_equal(raid_agent_mdadm_conf_default(NULL, NULL, &c), 0);
        assert_null(c);
        assert_int_equal(raid_agent_mdadm_conf_default("../x", NULL, &c), -EINVAL);

        /* under a moved sysroot nothing can be assembled: validate-all says so */
        char dev[] = "/dev/md/dbdata";
        const struct raid_agent_params p = { .instance = "r1", .run_dir = run, .devices = dev, .sysroot = fk->root,
                                             .mdadm_conf = fk->conf };
        assert_int_equal(raid_agent_init(&a, &p, &why), OCF_SUCCESS);
        assert_int_equal(raid_agent_settle(&a, &p, NULL, &why), OCF_SUCCESS);
        assert_string_equal(a.mdadm_conf, fk->conf);
        assert_null(a.ctx.mdadm);
        assert_int_equal(raid_agent_run(&a, OCF_ACTION_VALIDATE_ALL, &res), OCF_ERR_CONFIGURED);
        assert_non_null(strstr(res.reason, "cannot assemble under a moved sysroot"));
        raid_agent_result_done(&res);
        assert_int_equal(raid_agent_run(&a, OCF_ACTION_START, &res), OCF_ERR_CONFIGURED);
        raid_agent_result_done(&res);
        assert_null(marker_text());
        raid_agent_done(&a);

        /* the conf given must be there, absolute, a file nobody else may write, with md arrays to assemble */
        struct {
                const char *devices, *conf, *want;
        } bad[] = {
                { "/dev/md/dbdata", "db.mdadm.conf", "mdadm_conf: 'db.mdadm.conf' is not an absolute path" },
                { "/dev/md/dbdata", "/nonexistent/x.conf", "mdadm_conf: /nonexistent/x.conf: No such file or directory" },
                { "/dev/md/dbdata", "/tmp", "mdadm_conf: /tmp is not a regular file" },
                { "/dev/mapper/mp", fk->conf, "no md array to assemble among the devices" },
                { NULL, fk->conf, "no md array to assemble among the devices" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const struct raid_agent_params q = { .instance = "r1", .run_dir = run, .devices = bad[i].devices,
                                                     .sysroot = fk->root, .mdadm_conf = bad[i].conf };
                assert_int_equal(raid_agent_init(&a, &q, &why), OCF_SUCCESS);
                assert_int_equal(raid_agent_settle(&a, &q, NULL, &why), OCF_ERR_CONFIGURED);
                if (!strstr(why, bad[i].want))
                        fail_msg("case %zu: \"%s\", want \"%s\"", i, why, bad[i].want);
                free(TAKE_PTR(why));
                raid_agent_done(&a);
        }
        sh("chmod 0664 '%s'", fk->conf);
        assert_int_equal(raid_agent_init(&a, &p, &why), OCF_SUCCESS);
        assert_int_equal(raid_agent_settle(&a, &p, NULL, &why), OCF_ERR_CONFIGURED);
        assert_non_null(strstr(why, "is writable by group or others (mode 0664)"));
        free(TAKE_PTR(why));
        raid_agent_done(&a);
        sh("chmod 0644 '%s'", fk->conf);

        /* a default that does not exist: no assembly, as before */
        char cfg[128];
        snprintf(cfg, sizeof cfg, "%s/g.conf", fk->root);
        const struct raid_agent_params d = { .instance = "r1", .run_dir = run, .devices = dev, .sysroot = fk->root,
                                             .config = cfg };
        assert_int_equal(raid_agent_init(&a, &d, &why), OCF_SUCCESS);
        assert_int_equal(raid_agent_settle(&a, &d, NULL, &why), OCF_SUCCESS);
        assert_null(a.mdadm_conf);
        raid_agent_done(&a);
        /* ... and one that does: taken */
        sh("cp '%s' '%s/g.mdadm.conf'", fk->conf, fk->root);
        assert_int_equal(raid_agent_init(&a, &d, &why), OCF_SUCCESS);
        assert_int_equal(raid_agent_settle(&a, &d, NULL, &why), OCF_SUCCESS);
        assert_non_null(a.mdadm_conf);
        assert_non_null(strstr(a.mdadm_conf, "/g.mdadm.conf"));
        raid_agent_done(&a);
}

static void test_marker_text(void **state) {
        (void) state;
        char *devs[] = { "/dev/md/r0", "/dev/mapper/mp", "md1", "/dev/md/top" };
        char *t = raid_agent_marker_format(devs, ELEMENTSOF(devs));
        assert_string_equal(t, RAID_MARKER_HEADER "\n/dev/md/r0\nmd1\n/dev/md/top\n");
        char **got = NULL;
        size_t n = 0;
        assert_int_equal(raid_agent_marker_parse(t, strlen(t), &got, &n), 0);
        assert_int_equal(n, 3);
        assert_string_equal(got[0], "/dev/md/r0");
        assert_string_equal(got[2], "/dev/md/top");
        strv_free_n(got, n);
        free(t);
        t = raid_agent_marker_format(NULL, 0);
        assert_string_equal(t, RAID_MARKER_HEADER "\n");
        free(t);
        /* an empty marker (the gate alone), junk, no newline at the end */
        assert_int_equal(raid_agent_marker_parse("", 0, &got, &n), 0);
        assert_int_equal(n, 0);
        static const char junk[] = "# comment /dev/md/x\n\n/dev/sda\n../md0\n/dev/md/db";
        assert_int_equal(raid_agent_marker_parse(junk, sizeof junk - 1, &got, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(got[0], "/dev/md/db");
        strv_free_n(got, n);
}

static void test_exit_codes(void **state) {
        (void) state;
        /* tandem-raid(8): 0 ok, 1 unknown, 3 degraded, 4 failed */
        assert_int_equal(raid_health_exit_status(HEALTH_OK), 0);
        assert_int_equal(raid_health_exit_status(HEALTH_UNKNOWN), 1);
        assert_int_equal(raid_health_exit_status(HEALTH_DEGRADED), 3);
        assert_int_equal(raid_health_exit_status(HEALTH_FAILED), 4);
        /* OCF 1.1: OCF_SUCCESS 0, OCF_ERR_GENERIC 1, OCF_DEGRADED 190 */
        assert_int_equal(raid_health_ocf_status(HEALTH_OK), 0);
        assert_int_equal(raid_health_ocf_status(HEALTH_DEGRADED), 190);
        assert_int_equal(raid_health_ocf_status(HEALTH_FAILED), 1);
        assert_int_equal(raid_health_ocf_status(HEALTH_UNKNOWN), 1);
        assert_string_equal(raid_kind_to_string(RAID_KIND_DM_MULTIPATH), "dm-multipath");
        assert_null(raid_kind_to_string(_RAID_KIND_MAX));
        assert_int_equal(raid_kind_from_dmh(DMH_MIRROR), RAID_KIND_DM_MIRROR);
        assert_int_equal(raid_kind_from_dmh(_DMH_KIND_MAX), _RAID_KIND_INVALID);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_classify),
                cmocka_unit_test_setup_teardown(test_resolve, scratch_setup, scratch_teardown),
                cmocka_unit_test_setup_teardown(test_list_md, scratch_setup, scratch_teardown),
                cmocka_unit_test(test_check_md_fixtures),
                cmocka_unit_test(test_check_md_json),
                cmocka_unit_test_setup_teardown(test_check_dm, scratch_setup, scratch_teardown),
                cmocka_unit_test(test_dm_two_targets),
                cmocka_unit_test(test_transitions),
                cmocka_unit_test(test_watch_rounds),
                cmocka_unit_test_setup_teardown(test_agent_actions, agent_setup, agent_teardown),
                cmocka_unit_test_setup_teardown(test_agent_settings, agent_setup, agent_teardown),
                cmocka_unit_test(test_exit_codes),
                cmocka_unit_test_setup_teardown(test_md_assemble_stop, fake_setup, fake_teardown),
                cmocka_unit_test_setup_teardown(test_md_assemble_odd, fake_setup, fake_teardown),
                cmocka_unit_test_setup_teardown(test_agent_assembles, fake_setup, fake_teardown),
                cmocka_unit_test_setup_teardown(test_agent_mdadm_conf, fake_setup, fake_teardown),
                cmocka_unit_test(test_marker_text),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
