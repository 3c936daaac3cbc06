/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Key derivation, parsing and printing, and device strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tandem/devspec.h"
#include "tandem/key.h"

/* FNV-1a 64 test vectors from the FNV reference code's test suite
 * (draft-eastlake-fnv, and isthe.com/chongo/tech/comp/fnv). */
static void test_fnv1a64_reference(void **state) {
        (void) state;
        assert_true(fnv1a64(FNV1A64_OFFSET, "", 0) == UINT64_C(0xcbf29ce484222325));
        assert_true(fnv1a64(FNV1A64_OFFSET, "a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
        assert_true(fnv1a64(FNV1A64_OFFSET, "foobar", 6) == UINT64_C(0x85944171f73967e8));
}

/* fmix64 is a bijection with fmix64(0) = 0; the other vectors were computed
 * with an independent Python transcription of MurmurHash3's fmix64. */
static void test_fmix64(void **state) {
        (void) state;
        assert_true(fmix64(0) == 0);
        assert_true(fmix64(1) == UINT64_C(0xb456bcfc34c2cb2c));
        assert_true(fmix64(UINT64_C(0xcbf29ce484222325)) == UINT64_C(0xefd01f60ba992926));
}

/* Fixed vectors for the documented scheme, computed outside this code base:
 *   python3: fmix64(fnv1a64(b"tandem-key-v1\0" + cluster + b"\0" + node)) */
static void test_key_derive_vectors(void **state) {
        (void) state;
        assert_true(key_derive("erp", "db1") == UINT64_C(0xd53f5e4e178db2f1));
        assert_true(key_derive("erp", "db2") == UINT64_C(0xa82085faded0a3ac));
        assert_true(key_derive("a", "bc") == UINT64_C(0x8f9de1eb28912704));
        assert_true(key_derive("ab", "c") == UINT64_C(0x6ead050fb2e89170));
        assert_true(key_derive("", "") == UINT64_C(0xd0ee1ff48db49bbd));
        /* stable: the same inputs, the same key */
        assert_true(key_derive("erp", "db1") == key_derive("erp", "db1"));
}

static void test_key_parse(void **state) {
        uint64_t k = 42;
        char buf[KEY_STRING_MAX];
        (void) state;

        assert_int_equal(key_parse("0x1", &k), 0);
        assert_true(k == 1);
        assert_int_equal(key_parse("0XdeadBEEF00000001", &k), 0);
        assert_true(k == UINT64_C(0xdeadbeef00000001));
        assert_int_equal(key_parse("0x0", &k), -ERANGE);
        assert_int_equal(key_parse("0x0000000000000000", &k), -ERANGE);
        assert_true(k == UINT64_C(0xdeadbeef00000001)); /* untouched on failure */
        assert_int_equal(key_parse("0x", &k), -EINVAL);
        assert_int_equal(key_parse("123", &k), -EINVAL);
        assert_int_equal(key_parse("0x12345678901234567", &k), -EINVAL);
        assert_int_equal(key_parse("0xg", &k), -EINVAL);
        assert_int_equal(key_parse(" 0x1", &k), -EINVAL);
        assert_string_equal(key_format(UINT64_C(0xab), buf), "0x00000000000000ab");
        assert_string_equal(key_format(UINT64_C(0xd53f5e4e178db2f1), buf), "0xd53f5e4e178db2f1");
}

static void test_devspec(void **state) {
        struct devspec d;
        const char *why = NULL;
        (void) state;

        assert_int_equal(devspec_parse("/dev/disk/by-id/wwn-0x6001405a1b2c3d4e", &d, &why), 0);
        assert_int_equal(d.kind, DEVSPEC_PATH);
        assert_string_equal(d.path, "/dev/disk/by-id/wwn-0x6001405a1b2c3d4e");
        devspec_done(&d);

        assert_int_equal(devspec_parse("iscsi://10.0.0.5:3261/iqn.2026-01.com.example:san/7", &d, &why), 0);
        assert_int_equal(d.kind, DEVSPEC_ISCSI);
        assert_string_equal(d.host, "10.0.0.5");
        assert_int_equal(d.port, 3261);
        assert_string_equal(d.target, "iqn.2026-01.com.example:san");
        assert_int_equal(d.lun, 7);
        devspec_done(&d);

        assert_int_equal(devspec_parse("iscsi://[fd00::5]/iqn.2026-01.com.example:san/0", &d, &why), 0);
        assert_string_equal(d.host, "fd00::5");
        assert_int_equal(d.port, 3260);
        devspec_done(&d);

        assert_int_equal(devspec_parse("iscsi://san/eui.0123456789ABCDEF/1", &d, &why), 0);
        devspec_done(&d);

        static const char *const bad[] = {
                "", "sda", "/etc/passwd", "/dev/", "/dev/sda/", "/dev/../etc", "/dev/a b",
                "iscsi://", "iscsi:///iqn.2026-01.com.x:t/1", "iscsi://h", "iscsi://h/1",
                "iscsi://h:0/iqn.2026-01.com.x:t/1", "iscsi://h:abc/iqn.2026-01.com.x:t/1",
                "iscsi://h/iqn.2026-01.com.x:t/16384", "iscsi://h/iqn.2026-1.com.x:t/1",
                "iscsi://u@h/iqn.2026-01.com.x:t/1", "iscsi://[fd00::5/iqn.2026-01.com.x:t/1",
                "iscsi://h/naa.123/1", "iscsi://h!/iqn.2026-01.com.x:t/1",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
                why = NULL;
                if (devspec_parse(bad[i], &d, &why) != -EINVAL)
                        fail_msg("accepted '%s'", bad[i]);
                assert_non_null(why);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fnv1a64_reference),
                cmocka_unit_test(test_fmix64),
                cmocka_unit_test(test_key_derive_vectors),
                cmocka_unit_test(test_key_parse),
                cmocka_unit_test(test_devspec),
        };
        return cmocka_run_group_tests_name("key", tests, NULL, NULL);
}
