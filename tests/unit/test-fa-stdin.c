/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fence-agent input parser (fence/fa-stdin.c) on literal inputs: what
 * pacemaker-fenced writes on stdin, and what people type as options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tandem/fa-stdin.h"

static int parse(const char *text, struct fa_request *req) {
        *req = (struct fa_request) {};
        return fa_parse_stdin(text, strlen(text), req);
}

/* Returns true if some error at line contains s. */
static bool has_error(const struct fa_request *req, unsigned line, const char *s) {
        for (size_t i = 0; i < req->n_errors; i++)
                if (req->errors[i].line == line && strstr(req->errors[i].text, s))
                        return true;
        return false;
}

/* What pacemaker-fenced sends for an off, with its extra keys. */
static void test_pacemaker_input(void **state) {
        struct fa_request req;
        (void) state;
        assert_int_equal(parse("action=off\n"
                               "port=db1\n"
                               "nodename=db2\n"
                               "devices=/dev/disk/by-id/wwn-0x6001405a1b2c3d4e,iscsi://10.0.0.5:3260/iqn.2026-01.com.example:san/1\n"
                               "cluster=erp\n"
                               "initiator=iqn.2026-01.com.example:db2\n"
                               "pcmk_host_list=db1 db2\n"
                               "CRM_meta_timeout=20000\n"
                               "io_timeout=5\n",
                               &req),
                         0);
        assert_int_equal(req.action, FA_ACTION_OFF);
        assert_string_equal(req.plug, "db1");
        assert_string_equal(req.nodename, "db2");
        assert_int_equal(req.n_devices, 2);
        assert_string_equal(req.devices[0], "/dev/disk/by-id/wwn-0x6001405a1b2c3d4e");
        assert_string_equal(req.devices[1], "iscsi://10.0.0.5:3260/iqn.2026-01.com.example:san/1");
        assert_null(req.devices[2]);
        assert_string_equal(req.cluster, "erp");
        assert_string_equal(req.initiator, "iqn.2026-01.com.example:db2");
        assert_true(req.timeout == 5 * USEC_PER_SEC);
        /* unknown keys are ignored, and listed with their lines */
        assert_int_equal(req.n_ignored, 2);
        assert_int_equal(req.ignored[0].line, 7);
        assert_string_equal(req.ignored[0].text, "pcmk_host_list");
        assert_int_equal(req.ignored[1].line, 8);
        assert_string_equal(req.ignored[1].text, "CRM_meta_timeout");
        assert_int_equal(req.n_errors, 0);
        assert_int_equal(fa_request_check(&req), 0);
        fa_request_done(&req);
        assert_null(req.plug);
}

static void test_defaults_and_comments(void **state) {
        struct fa_request req;
        (void) state;
        /* comments, blank lines, CRLF, spaces round name and value, quotes */
        assert_int_equal(parse("# Pacemaker never sends this, people do\n"
                               "\n"
                               "   \t\n"
                               "  # indented comment\n"
                               "plug = \"db1\"\r\n"
                               "key=0xD53F5E4E178DB2F1\n"
                               "devices=/dev/sda /dev/sdb\t/dev/sdc",     /* no final newline */
                               &req),
                         0);
        assert_int_equal(req.action, FA_ACTION_OFF); /* the default, as fence-agents */
        assert_string_equal(req.plug, "db1");
        assert_true(req.key == UINT64_C(0xd53f5e4e178db2f1));
        assert_int_equal(req.n_devices, 3);
        assert_string_equal(req.devices[2], "/dev/sdc");
        assert_int_equal(req.n_ignored, 0);
        fa_request_done(&req);
}

static void test_names_dash_underscore_and_bools(void **state) {
        struct fa_request req;
        (void) state;
        assert_int_equal(parse("action=validate-all\npower-wait=2\ndebug-file=/tmp/x\nverbose=YES\naptpl=off\n"
                               "type=exclusive-access-registrants-only\ndelay=500ms\n",
                               &req),
                         0);
        assert_int_equal(req.action, FA_ACTION_VALIDATE_ALL);
        assert_true(req.power_wait == 2 * USEC_PER_SEC);
        assert_true(req.delay == 500 * USEC_PER_MSEC);
        assert_string_equal(req.debug_file, "/tmp/x");
        assert_true(req.verbose);
        assert_true(req.aptpl_set);
        assert_false(req.aptpl);
        assert_true(req.type_set);
        assert_int_equal(req.type, PR_TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY);
        fa_request_done(&req);

        /* help and version are command-line only: ignored on stdin */
        assert_int_equal(parse("help=1\nversion=1\n", &req), 0);
        assert_false(req.help);
        assert_false(req.version);
        assert_int_equal(req.n_ignored, 2);
        fa_request_done(&req);
}

static void test_bad_lines(void **state) {
        struct fa_request req;
        (void) state;
        assert_int_equal(parse("action=off\n"
                               "plug\n"                 /* 2: no '=' */
                               "=db1\n"                 /* 3: no name */
                               "action=reboot\n"        /* 4 */
                               "action=fry\n"           /* 5 */
                               "key=0x0\n"              /* 6 */
                               "key=12\n"               /* 7 */
                               "devices=/dev/sda,relative\n" /* 8 */
                               "devices=/dev/sda,/dev/sda\n" /* 9 */
                               "verbose=maybe\n"        /* 10 */
                               "io_timeout=0\n"         /* 11 */
                               "plug=-rf\n"             /* 12 */
                               "cluster=a b\n"          /* 13 */
                               "group=../etc\n"         /* 14 */
                               "initiator=db2\n"        /* 15 */
                               "plug=\n"                /* 16 */
                               "unknown=\x01\n"         /* 17: unknown, so ignored even with a bad value */
                               "devices=,\n",           /* 18 */
                               &req),
                         -EINVAL);
        assert_true(has_error(&req, 2, "line 2: 'plug': not name=value"));
        assert_true(has_error(&req, 3, "line 3: '': not a parameter name"));
        assert_true(has_error(&req, 4, "line 4: action: 'reboot' is not supported"));
        assert_true(has_error(&req, 5, "line 5: action: 'fry' is not one of on, off"));
        assert_true(has_error(&req, 6, "line 6: key: '0x0': a key must not be zero"));
        assert_true(has_error(&req, 7, "line 7: key: '12' is not a key"));
        assert_true(has_error(&req, 8, "line 8: devices: 'relative': "));
        assert_true(has_error(&req, 9, "line 9: devices: '/dev/sda' is listed twice"));
        assert_true(has_error(&req, 10, "line 10: verbose: 'maybe' is not a boolean"));
        assert_true(has_error(&req, 11, "line 11: io_timeout: '0' is less than 1s"));
        assert_true(has_error(&req, 12, "line 12: plug: '-rf' is not a node name"));
        assert_true(has_error(&req, 13, "line 13: cluster: 'a b' is not a cluster name"));
        assert_true(has_error(&req, 14, "line 14: group: '../etc' is not a group name"));
        assert_true(has_error(&req, 15, "line 15: initiator: 'db2' is not an iSCSI name"));
        assert_true(has_error(&req, 16, "line 16: plug: empty value"));
        assert_true(has_error(&req, 18, "line 18: devices: no device given"));
        assert_int_equal(req.n_errors, 16);
        assert_int_equal(req.n_ignored, 1);
        /* a bad value leaves the earlier good one */
        assert_int_equal(req.action, FA_ACTION_OFF);
        assert_true(req.key == 0);
        fa_request_done(&req);
}

static void test_nul_and_overlong(void **state) {
        struct fa_request req = {};
        static const char nul[] = "action=on\nplug=d\0b1\nport=db2\n";
        (void) state;
        assert_int_equal(fa_parse_stdin(nul, sizeof nul - 1, &req), -EINVAL);
        assert_true(has_error(&req, 2, "line 2: contains a NUL byte"));
        assert_string_equal(req.plug, "db2"); /* line 3 still read */
        fa_request_done(&req);

        /* a line of FA_LINE_MAX bytes is fine, one more is not */
        size_t n = FA_LINE_MAX + 200;
        char *t = malloc(3 * n);
        assert_non_null(t);
        size_t off = 0;
        off += (size_t) sprintf(t + off, "x=");
        memset(t + off, 'a', FA_LINE_MAX - 2);
        off += FA_LINE_MAX - 2;
        t[off++] = '\n';
        off += (size_t) sprintf(t + off, "plug=");
        memset(t + off, 'b', FA_LINE_MAX - 4);
        off += FA_LINE_MAX - 4;
        t[off++] = '\n';
        off += (size_t) sprintf(t + off, "action=status\n");
        assert_int_equal(fa_parse_stdin(t, off, &req), -EINVAL);
        assert_int_equal(req.n_errors, 1);
        assert_true(has_error(&req, 2, "line 2: longer than 4096 bytes"));
        assert_int_equal(req.action, FA_ACTION_STATUS);
        assert_int_equal(req.n_ignored, 1); /* line 1: x */
        fa_request_done(&req);

        /* the whole input is bounded too */
        assert_int_equal(fa_parse_stdin(t, FA_INPUT_MAX + 1, &req), -EINVAL);
        assert_true(has_error(&req, 0, "input: more than"));
        fa_request_done(&req);
        free(t);

        assert_int_equal(fa_parse_stdin("", 0, &req), 0);
        assert_int_equal(fa_parse_stdin(NULL, 0, &req), 0);
        fa_request_done(&req);
}

static void test_plug_port_conflict_and_key_plug(void **state) {
        struct fa_request req;
        (void) state;
        assert_int_equal(parse("plug=db1\nport=db1\n", &req), 0);
        fa_request_done(&req);
        assert_int_equal(parse("plug=db1\nport=db2\n", &req), -EINVAL);
        assert_true(has_error(&req, 2, "line 2: port: 'db2' conflicts with 'db1'"));
        fa_request_done(&req);
        assert_int_equal(parse("plug=0xd53f5e4e178db2f1\n", &req), 0);
        assert_string_equal(req.plug, "0xd53f5e4e178db2f1");
        fa_request_done(&req);
        assert_int_equal(parse("plug=0xnope\n", &req), -EINVAL);
        assert_true(has_error(&req, 1, "is not a key"));
        fa_request_done(&req);
}

static int argv_parse(struct fa_request *req, ...) {
        char *argv[32] = { (char *) "fence_tandem" };
        int argc = 1;
        va_list ap;
        va_start(ap, req);
        for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
                argv[argc++] = a;
        va_end(ap);
        *req = (struct fa_request) {};
        return fa_parse_argv(argc, argv, req);
}

static void test_argv(void **state) {
        struct fa_request req;
        (void) state;
        assert_int_equal(argv_parse(&req, "-o", "status", "-n", "db1", "--devices=/dev/sda,/dev/sdb", "--cluster",
                                    "erp", "-vk0x1", "--io-timeout=7", "--power_wait", "1", NULL),
                         0);
        assert_int_equal(req.action, FA_ACTION_STATUS);
        assert_string_equal(req.plug, "db1");
        assert_int_equal(req.n_devices, 2);
        assert_string_equal(req.cluster, "erp");
        assert_true(req.verbose);
        assert_true(req.key == 1);
        assert_true(req.timeout == 7 * USEC_PER_SEC);
        assert_true(req.power_wait == USEC_PER_SEC);
        fa_request_done(&req);

        assert_int_equal(argv_parse(&req, "--action=metadata", NULL), 0);
        assert_int_equal(req.action, FA_ACTION_METADATA);
        fa_request_done(&req);
        assert_int_equal(argv_parse(&req, "-ooff", "--port=db2", "--verbose=no", NULL), 0);
        assert_string_equal(req.plug, "db2");
        assert_false(req.verbose);
        fa_request_done(&req);
        assert_int_equal(argv_parse(&req, "-h", NULL), 0);
        assert_true(req.help);
        fa_request_done(&req);
        assert_int_equal(argv_parse(&req, "--version", NULL), 0);
        assert_true(req.version);
        fa_request_done(&req);

        /* on the command line, unknown options are errors */
        assert_int_equal(argv_parse(&req, "--pcmk-host-list=x", "-x", "stray", "--plug", NULL), -EINVAL);
        assert_true(has_error(&req, 0, "unknown option '--pcmk-host-list'"));
        assert_true(has_error(&req, 0, "unknown option '-x'"));
        assert_true(has_error(&req, 0, "unexpected argument 'stray'"));
        assert_true(has_error(&req, 0, "--plug: needs a value"));
        fa_request_done(&req);
        assert_int_equal(argv_parse(&req, "-o", NULL), -EINVAL);
        assert_true(has_error(&req, 0, "--action: needs a value"));
        fa_request_done(&req);
        assert_int_equal(argv_parse(&req, "--", "-o", NULL), -EINVAL);
        assert_true(has_error(&req, 0, "unexpected argument '-o'"));
        fa_request_done(&req);
}

static void test_check(void **state) {
        struct fa_request req;
        (void) state;
        /* off needs plug, devices (or a group), and a cluster to derive keys */
        assert_int_equal(parse("action=off\n", &req), 0);
        assert_int_equal(fa_request_check(&req), -EINVAL);
        assert_true(has_error(&req, 0, "plug: required for action off"));
        assert_true(has_error(&req, 0, "devices: required for action off"));
        assert_true(has_error(&req, 0, "cluster: required for action off"));
        fa_request_done(&req);
        /* a group gives devices and the cluster */
        assert_int_equal(parse("action=off\nplug=db1\ngroup=db\n", &req), 0);
        assert_int_equal(fa_request_check(&req), 0);
        fa_request_done(&req);
        assert_int_equal(parse("group=db\nconfig=/etc/tandem/db.conf\naction=monitor\n", &req), 0);
        assert_int_equal(fa_request_check(&req), -EINVAL);
        assert_true(has_error(&req, 0, "group and config exclude each other"));
        fa_request_done(&req);
        /* status by key needs no cluster; monitor and list need no plug */
        assert_int_equal(parse("action=status\nplug=0x1\ndevices=/dev/sda\n", &req), 0);
        assert_int_equal(fa_request_check(&req), 0);
        fa_request_done(&req);
        assert_int_equal(parse("action=list\ndevices=/dev/sda\n", &req), 0);
        assert_int_equal(fa_request_check(&req), 0);
        fa_request_done(&req);
        assert_int_equal(parse("action=metadata\n", &req), 0);
        assert_int_equal(fa_request_check(&req), 0);
        fa_request_done(&req);
        /* off by key with our key given: no cluster needed */
        assert_int_equal(parse("plug=0x1\nkey=0x2\ndevices=/dev/sda\n", &req), 0);
        assert_int_equal(fa_request_check(&req), 0);
        fa_request_done(&req);
}

static void test_actions(void **state) {
        (void) state;
        for (int a = 0; a < _FA_ACTION_MAX; a++) {
                assert_non_null(fa_action_to_string(a));
                assert_int_equal(fa_action_from_string(fa_action_to_string(a)), a);
        }
        assert_string_equal(fa_action_to_string(FA_ACTION_VALIDATE_ALL), "validate-all");
        assert_null(fa_action_to_string(_FA_ACTION_MAX));
        assert_int_equal(fa_action_from_string("reboot"), _FA_ACTION_INVALID);
        assert_int_equal(fa_action_from_string(NULL), _FA_ACTION_INVALID);
        assert_true(fa_action_needs_plug(FA_ACTION_ON));
        assert_false(fa_action_needs_plug(FA_ACTION_MONITOR));
        assert_false(fa_action_needs_devices(FA_ACTION_METADATA));
        fa_request_done(NULL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pacemaker_input),
                cmocka_unit_test(test_defaults_and_comments),
                cmocka_unit_test(test_names_dash_underscore_and_bools),
                cmocka_unit_test(test_bad_lines),
                cmocka_unit_test(test_nul_and_overlong),
                cmocka_unit_test(test_plug_port_conflict_and_key_plug),
                cmocka_unit_test(test_argv),
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_actions),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
