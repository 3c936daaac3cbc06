/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The config parser: one case per validation rule, each checking the line,
 * the key and the reason of the error it must produce. */
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

#include "tandem/config.h"
#include "tandem/key.h"
#include "tandem/volspec.h"

#define BASE "[cluster]\nname = erp\nnode = db1\npeer = db2\n"

static const char full[] =
        "[cluster]\n"
        "name = erp                 # cluster name\n"
        "node = db1\n"
        "peer = db2\n"
        "peer_address = db2.example\n"
        "\n"
        "[fence]\n"
        "devices = /dev/disk/by-id/wwn-0x6001405a1b2c3d4e iscsi://10.0.0.5:3260/iqn.2026-01.com.example:san/1\n"
        "type = exclusive-access-registrants-only\n"
        "key = auto\n"
        "peer_key = 0x00000000000000ff\n"
        "initiator = iqn.2026-01.com.example:db1\n"
        "aptpl = yes\n"
        "timeout = 1m30s\n"
        "watch_interval = 500ms\n"
        "\n"
        "[raid]\n"
        "devices = /dev/md/dbdata\n"
        "  /dev/mapper/mirror0\n"
        "on_degraded = refuse\n"
        "\n"
        "[volume]\n"
        "device = LABEL=dbdata\n"
        "fstype = xfs\n"
        "mountpoint = /var/lib/postgresql\n"
        "options = noatime,logbsize=256k\n"
        "fsck = never\n"
        "stop_timeout = 45s\n"
        "\n"
        "[service]\n"
        "unit = postgresql@15-main.service\n"
        "address = fd00::100/64\n"
        "interface = eth0\n";

static void test_full(void **state) {
        struct cfg_group g = {};
        (void) state;

        assert_int_equal(cfg_parse_string(full, "t.conf", "ignored", &g), 0);
        assert_int_equal(g.n_errors, 0);
        assert_string_equal(g.cluster.name, "erp");
        assert_string_equal(g.cluster.node, "db1");
        assert_int_equal(g.cluster.node_source, CFG_SOURCE_FILE);
        assert_string_equal(g.cluster.peer_address, "db2.example");
        assert_true(g.fence.present);
        assert_int_equal(g.fence.n_devices, 2);
        assert_string_equal(g.fence.devices[1], "iscsi://10.0.0.5:3260/iqn.2026-01.com.example:san/1");
        assert_null(g.fence.devices[2]);
        assert_int_equal(g.fence.type, 6); /* SPC-4 type code */
        assert_int_equal(g.fence.key_source, CFG_SOURCE_DERIVED);
        assert_true(g.fence.key == key_derive("erp", "db1"));
        assert_true(g.fence.peer_key == 0xff);
        assert_int_equal(g.fence.peer_key_source, CFG_SOURCE_FILE);
        assert_true(g.fence.aptpl);
        assert_true(g.fence.timeout == 90 * USEC_PER_SEC);
        assert_true(g.fence.watch_interval == 500 * USEC_PER_MSEC);
        assert_int_equal(g.raid.n_devices, 2);
        assert_string_equal(g.raid.devices[1], "/dev/mapper/mirror0");
        assert_int_equal(g.raid.on_degraded, CFG_ON_DEGRADED_REFUSE);
        assert_string_equal(g.volume.device, "LABEL=dbdata");
        assert_string_equal(g.volume.options, "noatime,logbsize=256k");
        assert_int_equal(g.volume.fsck, CFG_FSCK_NEVER);
        assert_true(g.volume.stop_timeout == 45 * USEC_PER_SEC);
        assert_int_equal(g.service.address_parsed.family, 10 /* AF_INET6 */);
        assert_int_equal(g.service.address_parsed.prefixlen, 64);
        assert_int_equal(g.service.address_parsed.addr[0], 0xfd);
        assert_int_equal(g.service.address_parsed.addr[15], 0x00);
        assert_int_equal(g.service.address_parsed.addr[14], 0x01);
        cfg_group_done(&g);
}

static void test_defaults(void **state) {
        struct cfg_group g = {};
        (void) state;

        assert_int_equal(cfg_parse_string("[cluster]\nname=erp\npeer=b\n[fence]\ndevices=/dev/sda\n"
                                          "[volume]\ndevice=UUID=ab-12\nfstype=ext4\nmountpoint=/srv/db\n",
                                          "t.conf", "hostA", &g),
                         0);
        assert_string_equal(g.cluster.node, "hostA");
        assert_int_equal(g.cluster.node_source, CFG_SOURCE_DEFAULT);
        assert_string_equal(g.cluster.peer_address, "b");
        assert_int_equal(g.fence.type, 5);
        assert_true(g.fence.key == key_derive("erp", "hostA"));
        assert_true(g.fence.peer_key == key_derive("erp", "b"));
        assert_false(g.fence.aptpl);
        assert_true(g.fence.timeout == 10 * USEC_PER_SEC);
        assert_true(g.fence.watch_interval == 2 * USEC_PER_SEC);
        assert_false(g.raid.present);
        assert_string_equal(g.volume.options, "defaults");
        assert_int_equal(g.volume.fsck, CFG_FSCK_AUTO);
        assert_true(g.volume.stop_timeout == 30 * USEC_PER_SEC);
        assert_false(g.service.present);
        cfg_group_done(&g);
}

static void test_unfenced(void **state) {
        struct cfg_group g = {};
        (void) state;
        assert_int_equal(cfg_parse_string(BASE, "t.conf", NULL, &g), 0);
        assert_false(g.fence.present);
        cfg_group_done(&g);
}

struct bad_case {
        const char *text;
        unsigned line;
        const char *key;   /* NULL: the error has no key */
        const char *reason; /* a substring of the message */
};

static const struct bad_case bad[] = {
        /* syntax */
        { "name = x\n" BASE, 1, "name", "outside any section" },
        { BASE "junk line\n", 5, NULL, "not a 'key = value' line" },
        { BASE "[fence\n", 5, NULL, "without ']'" },
        { BASE "[bogus]\nx = 1\n", 5, NULL, "unknown section [bogus]" },
        { BASE "[cluster]\n", 5, NULL, "section [cluster] given twice (first on line 1)" },
        { BASE "color = red\n", 5, "cluster.color", "unknown key in [cluster]; known keys: name, node" },
        { BASE "peer = db3\n", 5, "cluster.peer", "given twice (first on line 4)" },
        { BASE "peer_address =\n", 5, "cluster.peer_address", "empty value" },
        { BASE "[fence]\ndevices = /dev/" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
          6, NULL, "line longer than" },
        /* [cluster] */
        { "[fence]\ndevices=/dev/sda\n", 0, "[cluster]", "section missing" },
        { "[cluster]\nnode = a\n", 1, "cluster.name", "required in [cluster]" },
        { "[cluster]\nname = erp!\n", 2, "cluster.name", "must be 1-64 of" },
        { "[cluster]\nname = -erp\n", 2, "cluster.name", "not start with" },
        { "[cluster]\nname = erp\nnode = a b\n", 3, "cluster.node", "host name or an IP" },
        { "[cluster]\nname = erp\nnode = a\npeer = a\n", 4, "cluster.peer", "same as node" },
        /* [fence] */
        { BASE "[fence]\ntype = write-exclusive\n", 5, "fence.devices", "required in [fence]" },
        { BASE "[fence]\ndevices = sda\n", 6, "fence.devices", "/dev path or an iscsi://" },
        { BASE "[fence]\ndevices = /dev/sda /dev/sda\n", 6, "fence.devices", "same device twice" },
        { BASE "[fence]\ndevices = /dev/../etc/passwd\n", 6, "fence.devices", "'..'" },
        { BASE "[fence]\ndevices = /etc/passwd\n", 6, "fence.devices", "under /dev/" },
        { BASE "[fence]\ndevices = iscsi://h/iqn.2026-01.com.x:t/1\n", 5, "fence.initiator",
          "required when a fence device is iscsi://" },
        { BASE "[fence]\ndevices = iscsi://u%p@h/iqn.2026-01.com.x:t/1\n", 6, "fence.devices", "credentials" },
        { BASE "[fence]\ndevices = iscsi://h:99999/iqn.2026-01.com.x:t/1\n", 6, "fence.devices", "port must be" },
        { BASE "[fence]\ndevices = iscsi://h/iqn.2026-01.com.x:t\n", 6, "fence.devices", "target name and a LUN" },
        { BASE "[fence]\ndevices = iscsi://h/IQN.x/1\n", 6, "fence.devices", "not a valid iSCSI name" },
        { BASE "[fence]\ndevices = iscsi://h/iqn.2026-01.com.x:t/x1\n", 6, "fence.devices", "LUN must be" },
        { BASE "[fence]\ndevices = /dev/sda\ntype = exclusive\n", 7, "fence.type", "must be write-exclusive-registrants-only" },
        { BASE "[fence]\ndevices = /dev/sda\nkey = 0x0\n", 7, "fence.key", "must not be zero" },
        { BASE "[fence]\ndevices = /dev/sda\nkey = 1234\n", 7, "fence.key", "0x followed by 1-16 hex digits" },
        { BASE "[fence]\ndevices = /dev/sda\nkey = 0x12345678901234567\n", 7, "fence.key", "1-16 hex digits" },
        { BASE "[fence]\ndevices = /dev/sda\nkey = 0x5\npeer_key = 0x5\n", 8, "fence.peer_key", "same as this node's key" },
        { BASE "[fence]\ndevices = /dev/sda\ninitiator = iqn.26-01.x\n", 7, "fence.initiator", "must be an iSCSI name" },
        { BASE "[fence]\ndevices = /dev/sda\naptpl = maybe\n", 7, "fence.aptpl", "yes or no" },
        { BASE "[fence]\ndevices = /dev/sda\ntimeout = 10x\n", 7, "fence.timeout", "must be a duration" },
        { BASE "[fence]\ndevices = /dev/sda\ntimeout = 50ms\n", 7, "fence.timeout", "between 100ms and 10m" },
        { BASE "[fence]\ndevices = /dev/sda\nwatch_interval = 2h\n", 7, "fence.watch_interval", "between 100ms and 1h" },
        /* [raid] */
        { BASE "[raid]\non_degraded = allow\n", 5, "raid.devices", "required in [raid]" },
        { BASE "[raid]\ndevices = iscsi://h/iqn.2026-01.com.x:t/1\n", 6, "raid.devices", "must be a /dev path" },
        { BASE "[raid]\ndevices = /dev/md0\non_degraded = maybe\n", 7, "raid.on_degraded", "allow or refuse" },
        /* [volume] */
        { BASE "[volume]\nfstype = ext4\nmountpoint = /srv\n", 5, "volume.device", "required in [volume]" },
        { BASE "[volume]\ndevice = /dev/sdb\nmountpoint = /srv\n", 5, "volume.fstype", "required in [volume]" },
        { BASE "[volume]\ndevice = /dev/sdb\nfstype = ext4\n", 5, "volume.mountpoint", "required in [volume]" },
        { BASE "[volume]\ndevice = ID=5\n", 6, "volume.device", "UUID=, LABEL= or PARTUUID=" },
        { BASE "[volume]\ndevice = UUID=xyz\n", 6, "volume.device", "hex digits and dashes" },
        { BASE "[volume]\ndevice = LABEL=\n", 6, "volume.device", "must be UUID=" },
        { BASE "[volume]\ndevice = /srv/disk\n", 6, "volume.device", "under /dev/" },
        { BASE "[volume]\ndevice = /dev/../etc/x\n", 6, "volume.device", "'..'" },
        { BASE "[volume]\ndevice = /dev/disk/by-label/a b\n", 6, "volume.device", "spaces" },
        { BASE "[volume]\nfstype = auto\n", 6, "volume.fstype", "not auto" },
        { BASE "[volume]\nfstype = Ext4\n", 6, "volume.fstype", "filesystem type" },
        { BASE "[volume]\nmountpoint = /\n", 6, "volume.mountpoint", "other than /" },
        { BASE "[volume]\nmountpoint = srv\n", 6, "volume.mountpoint", "absolute path" },
        { BASE "[volume]\nmountpoint = /srv/../etc\n", 6, "volume.mountpoint", "normalised" },
        { BASE "[volume]\noptions = noatime,,sync\n", 6, "volume.options", "empty option" },
        { BASE "[volume]\noptions = noatime,\n", 6, "volume.options", "empty option" },
        { BASE "[volume]\nfsck = sometimes\n", 6, "volume.fsck", "auto, always or never" },
        { BASE "[volume]\nstop_timeout = 2h\n", 6, "volume.stop_timeout", "at most 1h" },
        /* [service] */
        { BASE "[service]\ninterface = eth0\naddress = 10.0.0.1/24\n", 5, "service.unit", "required in [service]" },
        { BASE "[service]\nunit = postgresql\n", 6, "service.unit", "ending in .service or .target" },
        { BASE "[service]\nunit = a.service\naddress = 10.0.0.1\ninterface = e\n", 7, "service.address", "prefix length" },
        { BASE "[service]\nunit = a.service\naddress = 10.0.0.1/33\ninterface = e\n", 7, "service.address", "1-32 for IPv4" },
        { BASE "[service]\nunit = a.service\naddress = 10.0.0.300/24\ninterface = e\n", 7, "service.address", "not an IPv4 or IPv6" },
        { BASE "[service]\nunit = a.service\naddress = 10.0.0.1/24\n", 5, "service.interface", "required when address" },
        { BASE "[service]\nunit = a.service\ninterface = eth0\n", 5, "service.address", "required when interface" },
        { BASE "[service]\nunit = a.service\ninterface = a-very-long-interface\n", 7, "service.interface", "1-15 characters" },
};

static void test_bad(void **state) {
        (void) state;
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                const struct bad_case *b = &bad[i];
                struct cfg_group g = {};
                bool found = false;

                assert_int_equal(cfg_parse_string(b->text, "t.conf", "hostA", &g), -EINVAL);
                for (size_t j = 0; j < g.n_errors; j++) {
                        const struct cfg_error *e = &g.errors[j];
                        if (e->line == b->line && ((!b->key && !e->key) || (b->key && e->key && strcmp(b->key, e->key) == 0)) &&
                            strstr(e->message, b->reason))
                                found = true;
                }
                if (!found) {
                        fprintf(stderr, "case %zu: wanted line %u key %s reason '%s'; got:\n", i, b->line,
                                b->key ? b->key : "(none)", b->reason);
                        cfg_print_errors(&g, stderr);
                }
                assert_true(found);
                cfg_group_done(&g);
        }
}

static unsigned hook_calls;

static bool has_error(const struct cfg_group *g, const char *key, const char *text) {
        for (size_t i = 0; i < g->n_errors; i++)
                if (g->errors[i].key && strcmp(g->errors[i].key, key) == 0 && strstr(g->errors[i].message, text))
                        return true;
        return false;
}

static int refuse_all(const char *value, const char **ret_reason) {
        (void) value;
        hook_calls++;
        *ret_reason = "refused by the hook";
        return -EINVAL;
}

/* [volume] options: the text checks always; libmount's parser only through
 * the caller's check_options hook, which a program that never mounts leaves
 * NULL (and so never loads libmount). */
static void test_options_hook(void **state) {
        static const char remount[] = BASE "[volume]\ndevice = /dev/sdb\nfstype = ext4\nmountpoint = /srv\n"
                                      "options = remount,rw\n";
        struct cfg_group g = {};
        (void) state;

        /* without a hook: text checks only */
        assert_int_equal(cfg_parse_string(remount, "t.conf", NULL, &g), 0);
        assert_string_equal(g.volume.options, "remount,rw");
        cfg_group_done(&g);

        /* libmount's check, as tandem-volume and `tandem config` set it */
        g = (struct cfg_group) { .check_options = volspec_check_options };
        assert_int_equal(cfg_parse_string(remount, "t.conf", NULL, &g), -EINVAL);
        assert_int_equal(g.n_errors, 1);
        assert_int_equal(g.errors[0].line, 9);
        assert_string_equal(g.errors[0].key, "volume.options");
        assert_non_null(strstr(g.errors[0].message, "'remount,rw': bind, rbind, move, remount and loop are not"));
        cfg_group_done(&g);
        g = (struct cfg_group) { .check_options = volspec_check_options };
        assert_int_equal(cfg_parse_string(BASE "[volume]\ndevice = /dev/sdb\nfstype = ext4\nmountpoint = /srv\n"
                                               "options = noatime,context=\"a,b\"\n",
                                          "t.conf", NULL, &g),
                         0);
        assert_string_equal(g.volume.options, "noatime,context=\"a,b\"");
        cfg_group_done(&g);

        /* the hook's reason is the error's; it is not asked when the text is bad */
        hook_calls = 0;
        g = (struct cfg_group) { .check_options = refuse_all };
        assert_int_equal(cfg_parse_string(BASE "[volume]\noptions = noatime\n", "t.conf", NULL, &g), -EINVAL);
        assert_int_equal(hook_calls, 1);
        assert_true(has_error(&g, "volume.options", "'noatime': refused by the hook"));
        cfg_group_done(&g);
        g = (struct cfg_group) { .check_options = refuse_all };
        assert_int_equal(cfg_parse_string(BASE "[volume]\noptions = a,,b\n", "t.conf", NULL, &g), -EINVAL);
        assert_int_equal(hook_calls, 1);
        assert_true(has_error(&g, "volume.options", "empty option"));
        cfg_group_done(&g);
}

/* Every error in a file is reported, not only the first. */
static void test_all_errors(void **state) {
        struct cfg_group g = {};
        (void) state;
        assert_int_equal(cfg_parse_string(BASE "[fence]\ndevices = sda\ntype = x\nkey = 0x0\n", "t.conf", NULL, &g),
                         -EINVAL);
        assert_int_equal(g.n_errors, 3);
        assert_int_equal(g.errors[0].line, 6);
        assert_int_equal(g.errors[1].line, 7);
        assert_int_equal(g.errors[2].line, 8);
        cfg_group_done(&g);
}

/* Continuation lines extend device lists; comments with # and ; after white space. */
static void test_lists_and_comments(void **state) {
        struct cfg_group g = {};
        (void) state;
        assert_int_equal(cfg_parse_string(BASE "; comment\n# comment\n[fence]   # trailing\n"
                                                "devices = /dev/sda   ; one\n\t/dev/sdb /dev/sdc\n  /dev/sdd # four\n",
                                          "t.conf", NULL, &g),
                         0);
        assert_int_equal(g.fence.n_devices, 4);
        assert_string_equal(g.fence.devices[0], "/dev/sda");
        assert_string_equal(g.fence.devices[3], "/dev/sdd");
        cfg_group_done(&g);
}

static void test_duration(void **state) {
        usec_t u;
        (void) state;
        assert_int_equal(cfg_parse_duration("10s", &u), 0);
        assert_true(u == 10 * USEC_PER_SEC);
        assert_int_equal(cfg_parse_duration("500ms", &u), 0);
        assert_true(u == 500 * USEC_PER_MSEC);
        assert_int_equal(cfg_parse_duration("2m", &u), 0);
        assert_true(u == 120 * USEC_PER_SEC);
        assert_int_equal(cfg_parse_duration("1h2m3s4ms", &u), 0);
        assert_true(u == 3723 * USEC_PER_SEC + 4 * USEC_PER_MSEC);
        assert_int_equal(cfg_parse_duration("7", &u), 0);
        assert_true(u == 7 * USEC_PER_SEC);
        assert_int_equal(cfg_parse_duration("", &u), -EINVAL);
        assert_int_equal(cfg_parse_duration("s", &u), -EINVAL);
        assert_int_equal(cfg_parse_duration("10 s", &u), -EINVAL);
        assert_int_equal(cfg_parse_duration("1m5", &u), -EINVAL);
        assert_int_equal(cfg_parse_duration("-1s", &u), -EINVAL);
        assert_int_equal(cfg_parse_duration("5msec", &u), -EINVAL);
        assert_int_equal(cfg_parse_duration("99999999999999999999s", &u), -ERANGE);
        assert_int_equal(cfg_parse_duration("18446744073709h", &u), -ERANGE);
}

static void test_group_path(void **state) {
        char *p = NULL;
        (void) state;
        assert_int_equal(cfg_group_path("db", &p), 0);
        assert_string_equal(p, "/etc/tandem/db.conf");
        free(p);
        assert_int_equal(cfg_group_path("../etc/x", &p), -EINVAL);
        assert_int_equal(cfg_group_path(".hidden", &p), -EINVAL);
        assert_int_equal(cfg_group_path("", &p), -EINVAL);
        assert_int_equal(cfg_group_path("a/b", &p), -EINVAL);
}

/* StrictModes: root-owned, not group/other-writable, file and directory. */
static void test_load_modes(void **state) {
        char dir[] = "/tmp/tandem-cfg-XXXXXX", path[64];
        struct cfg_group g = {};
        FILE *f;
        (void) state;

        if (geteuid() != 0)
                skip();
        assert_non_null(mkdtemp(dir));
        assert_int_equal(chmod(dir, 0755), 0);
        snprintf(path, sizeof path, "%s/db.conf", dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(BASE, f);
        fclose(f);

        assert_int_equal(chmod(path, 0640), 0);
        assert_int_equal(cfg_load(path, "h", 0, &g), 0);
        cfg_group_done(&g);

        assert_int_equal(chmod(path, 0664), 0);
        assert_int_equal(cfg_load(path, "h", 0, &g), -EPERM);
        assert_non_null(strstr(g.errors[0].message, "writable by group or others (mode 0664); fix with: chmod go-w"));
        cfg_group_done(&g);
        /* Relaxed only when asked. */
        assert_int_equal(cfg_load(path, "h", CFG_LOAD_INSECURE, &g), 0);
        cfg_group_done(&g);

        assert_int_equal(chmod(path, 0600), 0);
        assert_int_equal(chown(path, 1, 0), 0);
        assert_int_equal(cfg_load(path, "h", 0, &g), -EPERM);
        assert_non_null(strstr(g.errors[0].message, "owned by uid 1, not root; fix with: chown root"));
        cfg_group_done(&g);
        assert_int_equal(chown(path, 0, 0), 0);

        assert_int_equal(chmod(dir, 0777), 0);
        assert_int_equal(cfg_load(path, "h", 0, &g), -EPERM);
        assert_non_null(strstr(g.errors[0].message, "directory"));
        cfg_group_done(&g);
        assert_int_equal(chmod(dir, 0755), 0);

        f = fopen(path, "w");
        fwrite("[cluster]\nname=a\0b\n", 1, 19, f);
        fclose(f);
        assert_int_equal(cfg_load(path, "h", 0, &g), -EINVAL);
        assert_non_null(strstr(g.errors[0].message, "NUL byte"));
        cfg_group_done(&g);

        assert_int_equal(cfg_load(dir, "h", 0, &g), -EINVAL);
        assert_non_null(strstr(g.errors[0].message, "not a regular file"));
        cfg_group_done(&g);

        unlink(path);
        assert_int_equal(cfg_load(path, "h", 0, &g), -ENOENT);
        cfg_group_done(&g);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_unfenced),
                cmocka_unit_test(test_bad),
                cmocka_unit_test(test_options_hook),
                cmocka_unit_test(test_all_errors),
                cmocka_unit_test(test_lists_and_comments),
                cmocka_unit_test(test_duration),
                cmocka_unit_test(test_group_path),
                cmocka_unit_test(test_load_modes),
        };
        return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
