/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The group's policy over the mock transport: I1 (mount only while our key
 * holds the reservation on every fence device) and the role a node reads
 * off its devices. PR IN data is written out in the SPC-4 layouts (READ
 * KEYS: generation, additional length, keys; READ RESERVATION: generation,
 * additional length 16, key, type at byte 21). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tandem/group-status.h"
#include "tandem/group.h"

#define US 0x1111111111111111ULL
#define IN 0x5e

static const uint8_t keys_both[] = { 0, 0, 0, 2, 0, 0, 0, 16,
                                     0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                     0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
static const uint8_t keys_peer[] = { 0, 0, 0, 3, 0, 0, 0, 8, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
static const uint8_t res_us[] = { 0, 0, 0, 2, 0, 0, 0, 16, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                  0, 0, 0, 0, 0, 0x05, 0, 0 };
static const uint8_t res_peer[] = { 0, 0, 0, 2, 0, 0, 0, 16, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                    0, 0, 0, 0, 0, 0x05, 0, 0 };
static const uint8_t res_none[] = { 0, 0, 0, 2, 0, 0, 0, 0 };

#define KEYS(d) { IN, 0, 0, 0, NULL, 0, d, sizeof d }
#define RES(d) { IN, 1, 0, 0, NULL, 0, d, sizeof d }
#define DEAD { IN, 0, -ETIMEDOUT, 0, NULL, 0, NULL, 0 }

static struct fence f;

static void setup(const struct mock_step *a, size_t na, const struct mock_step *b, size_t nb) {
        size_t n = b ? 2 : 1;
        struct pr_dev **devs = calloc(n, sizeof *devs);
        assert_non_null(devs);
        assert_int_equal(mock_open("lun0", "naa.1", a, na, false, &devs[0]), 0);
        if (b)
                assert_int_equal(mock_open("lun1", "naa.2", b, nb, false, &devs[1]), 0);
        assert_int_equal(fence_init(&f, devs, n, US, PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0), 0);
}

static void test_i1_held_everywhere(void **state) {
        static const struct mock_step a[] = { KEYS(keys_both), RES(res_us) }, b[] = { KEYS(keys_both), RES(res_us) };
        char *why = NULL;
        (void) state;
        setup(a, 2, b, 2);
        assert_int_equal(group_interlock_fence(&f, &why), 1);
        assert_null(why);
        fence_done(&f);
}

static void test_i1_held_on_one_of_two(void **state) {
        static const struct mock_step a[] = { KEYS(keys_both), RES(res_us) },
                                      b[] = { KEYS(keys_both), RES(res_none) };
        char *why = NULL;
        (void) state;
        setup(a, 2, b, 2);
        assert_int_equal(group_interlock_fence(&f, &why), 0);
        assert_non_null(why);
        assert_non_null(strstr(why, "lun1 (not held by this node)"));
        assert_null(strstr(why, "lun0"));
        free(why);
        fence_done(&f);
}

static void test_i1_peer_holds_and_we_are_fenced(void **state) {
        static const struct mock_step a[] = { KEYS(keys_peer), RES(res_peer) };
        char *why = NULL;
        (void) state;
        setup(a, 2, NULL, 0);
        assert_int_equal(group_interlock_fence(&f, &why), 0);
        assert_non_null(strstr(why, "this node is fenced"));
        free(why);
        fence_done(&f);
}

/* Held by us, but as write exclusive (type 1), not the group's registrants-
 * only type (type 5): the interlock refuses, naming both types. */
static void test_i1_wrong_type_refuses(void **state) {
        static const uint8_t res_us_type1[] = { 0, 0, 0, 2, 0, 0, 0, 16, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                                0, 0, 0, 0, 0, 0x01, 0, 0 };
        static const struct mock_step a[] = { KEYS(keys_both), RES(res_us_type1) };
        char *why = NULL;
        (void) state;
        setup(a, 2, NULL, 0);
        assert_int_equal(group_interlock_fence(&f, &why), 0);
        assert_non_null(strstr(why, "held as write-exclusive, not write-exclusive-registrants-only"));
        free(why);
        fence_done(&f);
}

static void test_i1_unreadable_device_refuses(void **state) {
        static const struct mock_step a[] = { KEYS(keys_both), RES(res_us) }, b[] = { DEAD };
        char *why = NULL;
        (void) state;
        setup(a, 2, b, 1);
        assert_int_equal(group_interlock_fence(&f, &why), 0);
        assert_non_null(strstr(why, "lun1"));
        free(why);
        fence_done(&f);
}

static struct gs_fence_dev dev(const char *name, int error, bool registered, bool holder) {
        return (struct gs_fence_dev) { .device = (char *) name, .error = error, .registered = registered,
                                       .holder = holder };
}

static enum gs_role role(const struct gs_fence_dev *d, size_t n, bool vol, bool rw, const char *want_in_reason) {
        char *why = NULL;
        enum gs_role r = gs_role(true, d, n, vol, rw, &why);
        assert_non_null(why);
        if (want_in_reason && !strstr(why, want_in_reason))
                fail_msg("reason '%s' lacks '%s'", why, want_in_reason);
        free(why);
        return r;
}

static void test_roles(void **state) {
        (void) state;
        struct gs_fence_dev both[2] = { dev("a", 0, true, true), dev("b", 0, true, true) };
        assert_int_equal(role(both, 2, true, true, "mounted read-write"), GS_ROLE_ACTIVE);
        assert_int_equal(role(both, 2, false, false, "no [volume]"), GS_ROLE_ACTIVE);
        assert_int_equal(role(both, 2, true, false, "not mounted"), GS_ROLE_RESERVED);

        struct gs_fence_dev passive[2] = { dev("a", 0, true, false), dev("b", 0, true, false) };
        assert_int_equal(role(passive, 2, true, false, "not ours"), GS_ROLE_PASSIVE);

        /* Evidence beats ignorance: gone on one, unreadable on the other. */
        struct gs_fence_dev gone[2] = { dev("a", -ETIMEDOUT, false, false), dev("b", 0, false, false) };
        assert_int_equal(role(gone, 2, true, false, "not registered on b"), GS_ROLE_FENCED);

        struct gs_fence_dev unreadable[2] = { dev("a", 0, true, true), dev("b", -EIO, false, false) };
        assert_int_equal(role(unreadable, 2, true, true, "1 of 2"), GS_ROLE_UNKNOWN);

        struct gs_fence_dev split[2] = { dev("a", 0, true, true), dev("b", 0, true, false) };
        assert_int_equal(role(split, 2, true, true, "1 of 2"), GS_ROLE_UNKNOWN);

        assert_int_equal(role(NULL, 0, true, true, "no fence devices"), GS_ROLE_UNKNOWN);

        char *why = NULL;
        assert_int_equal(gs_role(false, NULL, 0, true, true, &why), GS_ROLE_UNFENCED);
        free(why);
        assert_string_equal(gs_role_to_string(GS_ROLE_RESERVED), "reserved");
        assert_null(gs_role_to_string(_GS_ROLE_MAX));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_i1_held_everywhere),
                cmocka_unit_test(test_i1_held_on_one_of_two),
                cmocka_unit_test(test_i1_peer_holds_and_we_are_fenced),
                cmocka_unit_test(test_i1_wrong_type_refuses),
                cmocka_unit_test(test_i1_unreadable_device_refuses),
                cmocka_unit_test(test_roles),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
