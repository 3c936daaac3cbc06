/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One round of the self-fence watch (I4) over the scripted mock: our key on
 * every device, gone from the second, a device that answers only after a
 * retry, and one that never answers. READ KEYS data is written out in the
 * SPC-4 layout (generation, additional length, keys). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tandem/fence.h"

#define US 0x1111111111111111ULL
#define IN 0x5e

static const uint8_t keys_us[] = { 0, 0, 0, 3, 0, 0, 0, 8, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
static const uint8_t keys_peer[] = { 0, 0, 0, 4, 0, 0, 0, 8, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
/* NOT READY, LOGICAL UNIT NOT ACCESSIBLE (04/03), descriptor format. */
static const uint8_t sense_not_ready[] = { 0x72, 0x02, 0x04, 0x03, 0, 0, 0, 0 };

#define KEYS(d) { IN, 0, 0, 0, NULL, 0, d, sizeof d }
#define NOT_READY { IN, 0, 0, 0x02, sense_not_ready, sizeof sense_not_ready, NULL, 0 }
#define DEAD { IN, 0, -ETIMEDOUT, 0, NULL, 0, NULL, 0 }

static struct fence f;
static unsigned slept;

static int count_sleep(usec_t u) {
        (void) u;
        slept++;
        return 0;
}

static void setup_two(const struct mock_step *a, size_t na, const struct mock_step *b, size_t nb) {
        struct pr_dev **devs = calloc(2, sizeof *devs);
        assert_non_null(devs);
        assert_int_equal(mock_open("dev0", "naa.1", a, na, false, &devs[0]), 0);
        assert_int_equal(mock_open("dev1", "naa.2", b, nb, false, &devs[1]), 0);
        assert_int_equal(fence_init(&f, devs, 2, US, PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0), 0);
        slept = 0;
}

static const struct fence_watch_opts opts = { .tries = 3, .retry_wait = 1, .sleep = count_sleep };

static void test_key_everywhere(void **state) {
        static const struct mock_step a[] = { KEYS(keys_us) }, b[] = { KEYS(keys_us) };
        struct fence_watch_result res;
        (void) state;
        setup_two(a, 1, b, 1);
        assert_int_equal(fence_watch_round(&f, &opts, &res), 0);
        assert_int_equal(res.retries, 0);
        assert_int_equal(mock_steps_used(f.devs[0]), 1);
        assert_int_equal(mock_steps_used(f.devs[1]), 1);
        fence_done(&f);
}

static void test_key_gone_on_second(void **state) {
        static const struct mock_step a[] = { KEYS(keys_us) }, b[] = { KEYS(keys_peer) };
        struct fence_watch_result res;
        (void) state;
        setup_two(a, 1, b, 1);
        assert_int_equal(fence_watch_round(&f, &opts, &res), 1);
        assert_int_equal(res.device, 1);
        fence_done(&f);
}

static void test_key_gone_on_first_stops_there(void **state) {
        /* The second device is never asked: the script would answer -EPROTO. */
        static const struct mock_step a[] = { KEYS(keys_peer) }, b[] = { KEYS(keys_us) };
        struct fence_watch_result res;
        (void) state;
        setup_two(a, 1, b, 1);
        assert_int_equal(fence_watch_round(&f, &opts, &res), 1);
        assert_int_equal(res.device, 0);
        assert_int_equal(mock_steps_used(f.devs[1]), 0);
        fence_done(&f);
}

static void test_retry_then_present(void **state) {
        static const struct mock_step a[] = { NOT_READY, KEYS(keys_us) }, b[] = { KEYS(keys_us) };
        struct fence_watch_result res;
        (void) state;
        setup_two(a, 2, b, 1);
        assert_int_equal(fence_watch_round(&f, &opts, &res), 0);
        assert_int_equal(res.retries, 1);
        assert_int_equal(res.device, 0);
        assert_int_equal(slept, 1);
        fence_done(&f);
}

static void test_unreadable(void **state) {
        static const struct mock_step a[] = { KEYS(keys_us) }, b[] = { DEAD, DEAD, DEAD };
        struct fence_watch_result res;
        (void) state;
        setup_two(a, 1, b, 3);
        assert_int_equal(fence_watch_round(&f, &opts, &res), -ETIMEDOUT);
        assert_int_equal(res.device, 1);
        assert_int_equal(mock_steps_used(f.devs[1]), 3);
        assert_int_equal(slept, 2);     /* between the three reads, not after the last */
        fence_done(&f);
}

/* I4 with grace: one command per device per round (never a round that
 * outlasts the devices' timeouts), an unreadable device tolerated until
 * grace has passed since it last answered, and a device that answers again
 * starts afresh. The clock is the test's. */
static usec_t clock_now;
static usec_t fake_now(void) {
        return clock_now;
}

static void test_grace(void **state) {
        static const struct mock_step a[] = { KEYS(keys_us), KEYS(keys_us), KEYS(keys_us), KEYS(keys_us) },
                                      b[] = { DEAD, KEYS(keys_us), DEAD, DEAD };
        usec_t since[2] = { 0, 0 };
        struct fence_watch_opts o = { .last_ok = since, .grace = 10, .now = fake_now };
        struct fence_watch_result res;
        (void) state;
        setup_two(a, ELEMENTSOF(a), b, ELEMENTSOF(b));
        clock_now = 100;
        assert_int_equal(fence_watch_round(&f, &o, &res), 0);   /* unreadable, within grace */
        assert_int_equal(res.unreadable, 1);
        assert_int_equal(mock_steps_used(f.devs[1]), 1);         /* one command, no retry */
        clock_now = 105;
        assert_int_equal(fence_watch_round(&f, &o, &res), 0);   /* answers again: afresh */
        assert_int_equal(since[1], 105);
        clock_now = 106;
        assert_int_equal(fence_watch_round(&f, &o, &res), 0);   /* unreadable; last answer at 105 */
        clock_now = 115;
        assert_int_equal(fence_watch_round(&f, &o, &res), -ETIMEDOUT); /* 10 since 105: lost */
        assert_int_equal(res.device, 1);
        fence_done(&f);
}

static void test_grace_never_for_a_gone_key(void **state) {
        static const struct mock_step a[] = { KEYS(keys_peer) }, b[] = { KEYS(keys_us) };
        usec_t since[2] = { 0, 0 };
        struct fence_watch_opts o = { .last_ok = since, .grace = 1000, .now = fake_now };
        (void) state;
        setup_two(a, 1, b, 1);
        clock_now = 1;
        assert_int_equal(fence_watch_round(&f, &o, NULL), 1);
        fence_done(&f);
}

/* The heartbeat: REGISTER (our key as old and new) on every device, and a
 * look at the first device's reservation. A reservation that is not ours
 * any more (our key still registered: a release, a target reset) is a loss
 * too: the peer may now reserve without waiting. A REGISTER refused on a
 * plain (not session-bound) device, with our key gone, is a fenced node. */
#define OUT 0x5f
static void test_heartbeat(void **state) {
        static const uint8_t res_us[] = { 0, 0, 0, 2, 0, 0, 0, 16, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0, 0, 0, 0, 0, 0x05, 0, 0 };
        static const uint8_t res_none[] = { 0, 0, 0, 2, 0, 0, 0, 0 };
        static const struct mock_step ok_a[] = { { OUT, 0, 0, 0, NULL, 0, NULL, 0 }, { IN, 1, 0, 0, NULL, 0, res_us, sizeof res_us } },
                                      ok_b[] = { { OUT, 0, 0, 0, NULL, 0, NULL, 0 } };
        static const struct mock_step lost_a[] = { { OUT, 0, 0, 0, NULL, 0, NULL, 0 }, { IN, 1, 0, 0, NULL, 0, res_none, sizeof res_none } },
                                      none_b[] = { { 0 } };
        static const struct mock_step gone_a[] = { { OUT, 0, 0, 0x18, NULL, 0, NULL, 0 }, KEYS(keys_peer) };
        const struct fence_watch_opts o = { .tries = 1, .heartbeat = true };
        struct fence_watch_result res;
        (void) state;
        setup_two(ok_a, 2, ok_b, 1);
        assert_int_equal(fence_watch_round(&f, &o, &res), 0);
        static const uint8_t beat[24] = { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
        assert_memory_equal(mock_last_params(f.devs[1]), beat, 24);     /* key and service action key: ours */
        fence_done(&f);
        setup_two(lost_a, 2, none_b, 0);
        assert_int_equal(fence_watch_round(&f, &o, &res), 1);
        assert_true(res.reservation_lost);
        fence_done(&f);
        setup_two(gone_a, 2, none_b, 0);
        assert_int_equal(fence_watch_round(&f, &o, &res), 1);
        assert_false(res.reservation_lost);
        fence_done(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_key_everywhere),
                cmocka_unit_test(test_key_gone_on_second),
                cmocka_unit_test(test_key_gone_on_first_stops_there),
                cmocka_unit_test(test_retry_then_present),
                cmocka_unit_test(test_unreadable),
                cmocka_unit_test(test_grace),
                cmocka_unit_test(test_heartbeat),
                cmocka_unit_test(test_grace_never_for_a_gone_key),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
