/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fence logic (I2, I3) over the scripted mock transport: every command
 * a device receives is named in the script, in order, so a test fails on
 * any command the logic should not have sent. PR IN data is written out in
 * the SPC-4 layouts (READ KEYS: generation, length, keys; READ RESERVATION:
 * generation, length 16, key, type at byte 21). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tandem/fence.h"

#define US 0x1111111111111111ULL
#define PEER 0x2222222222222222ULL
#define OUT 0x5f
#define IN 0x5e

/* READ KEYS with our key and the peer's, and with the peer's only. */
static const uint8_t keys_both[] = { 0, 0, 0, 2, 0, 0, 0, 16,
                                     0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                     0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
/* Our key on one more nexus (this session's registration) and the peer's. */
static const uint8_t keys_both_g3[] = { 0, 0, 0, 3, 0, 0, 0, 24,
                                        0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                        0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                        0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
/* Our key on two nexuses (an earlier session and a data path) and the
 * peer's; then, after a preempt and our new session's REGISTER, ours once. */
static const uint8_t keys_us_twice[] = { 0, 0, 0, 2, 0, 0, 0, 24,
                                         0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                         0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                         0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
static const uint8_t keys_us_peer[] = { 0, 0, 0, 4, 0, 0, 0, 16,
                                        0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                        0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
static const uint8_t keys_us[] = { 0, 0, 0, 3, 0, 0, 0, 8, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
static const uint8_t keys_peer[] = { 0, 0, 0, 3, 0, 0, 0, 8, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
/* READ RESERVATION: none; held by us (type 5); held by the peer (type 5). */
static const uint8_t res_none[] = { 0, 0, 0, 2, 0, 0, 0, 0 };
static const uint8_t res_us[] = { 0, 0, 0, 2, 0, 0, 0, 16, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                  0, 0, 0, 0, 0, 0x05, 0, 0 };
static const uint8_t res_peer[] = { 0, 0, 0, 2, 0, 0, 0, 16, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                    0, 0, 0, 0, 0, 0x05, 0, 0 };
/* Sense: ILLEGAL REQUEST, INVALID FIELD IN CDB (what tgtd answers to PREEMPT
 * AND ABORT); UNIT ATTENTION, POWER ON OR RESET; NOT READY. */
static const uint8_t sense_invalid[] = { 0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0x00, 0, 0, 0, 0 };
static const uint8_t sense_reset[] = { 0x72, 0x06, 0x29, 0x00, 0, 0, 0, 0 };
static const uint8_t sense_not_ready[] = { 0x72, 0x02, 0x04, 0x03, 0, 0, 0, 0 };

#define GOOD_IN(sa, d) { IN, sa, 0, 0, NULL, 0, d, sizeof d }
#define GOOD_OUT(sa) { OUT, sa, 0, 0, NULL, 0, NULL, 0 }
#define CHECK(op, sa, s) { op, sa, 0, 0x02, s, sizeof s, NULL, 0 }
#define CONFLICT(op, sa) { op, sa, 0, 0x18, NULL, 0, NULL, 0 }

static struct fence f;

static void setup_one(const struct mock_step *steps, size_t n, bool session_bound) {
        struct pr_dev **devs = calloc(1, sizeof *devs);
        assert_non_null(devs);
        assert_int_equal(mock_open("dev0", "naa.1", steps, n, session_bound, &devs[0]), 0);
        assert_int_equal(fence_init(&f, devs, 1, US, PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0), 0);
}

static bool report_has(const char *needle, bool warning) {
        for (size_t i = 0; i < f.report.n; i++)
                if (f.report.steps[i].action && strstr(f.report.steps[i].action, needle) &&
                    f.report.steps[i].warning == warning)
                        return true;
        return false;
}

static void test_takeover_reserve(void **state) {
        static const struct mock_step s[] = {
                GOOD_IN(0, keys_both), GOOD_IN(1, res_none),  /* when we began */
                GOOD_IN(1, res_none), GOOD_OUT(1),            /* act: RESERVE */
                GOOD_IN(0, keys_both), GOOD_IN(1, res_us),    /* verify */
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(fence_takeover(&f, PEER, NULL), 0);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(s));
        /* RESERVE carried our key in the RESERVATION KEY field (bytes 0-7). */
        static const uint8_t want[24] = { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
        assert_memory_equal(mock_last_params(f.devs[0]), want, 24);
        assert_true(report_has("reserved", false));
        assert_true(report_has("verified", false));
        fence_done(&f);
}

static void test_takeover_preempt_fallback(void **state) {
        static const struct mock_step s[] = {
                GOOD_IN(0, keys_both), GOOD_IN(1, res_peer),
                GOOD_IN(1, res_peer),
                CHECK(OUT, 5, sense_invalid), /* PREEMPT AND ABORT refused */
                GOOD_OUT(4),                  /* PREEMPT */
                GOOD_IN(0, keys_us), GOOD_IN(1, res_us),
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(fence_takeover(&f, PEER, NULL), 0);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(s));
        /* PREEMPT: our key, then the victim's in SERVICE ACTION RESERVATION KEY. */
        static const uint8_t want[24] = { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
        assert_memory_equal(mock_last_params(f.devs[0]), want, 24);
        assert_true(report_has("with PREEMPT: the target refused PREEMPT AND ABORT", true));
        fence_done(&f);
}

static void test_takeover_preempt_abort(void **state) {
        static const struct mock_step s[] = {
                GOOD_IN(0, keys_both), GOOD_IN(1, res_peer), GOOD_IN(1, res_peer), GOOD_OUT(5),
                GOOD_IN(0, keys_us), GOOD_IN(1, res_us),
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(fence_takeover(&f, PEER, NULL), 0);
        assert_true(report_has("with PREEMPT AND ABORT", false));
        fence_done(&f);
}

/* Nobody held it when we began; the peer reserved first: stop, touch nothing. */
static void test_race_lost_on_reserve(void **state) {
        static const struct mock_step s[] = {
                GOOD_IN(0, keys_both), GOOD_IN(1, res_none), GOOD_IN(1, res_none),
                CONFLICT(OUT, 1), GOOD_IN(1, res_peer),
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(fence_takeover(&f, PEER, NULL), -EALREADY);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(s));
        assert_true(report_has("lost the race", false));
        fence_done(&f);
}

static void test_race_lost_before_reserve(void **state) {
        static const struct mock_step s[] = {
                GOOD_IN(0, keys_both), GOOD_IN(1, res_none), GOOD_IN(1, res_peer),
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(fence_takeover(&f, PEER, NULL), -EALREADY);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(s)); /* no PREEMPT, no RESERVE */
        fence_done(&f);
}

/* Our key gone on the first device: we are fenced; nothing is sent after the reads. */
static void test_own_key_gone(void **state) {
        static const struct mock_step s[] = { GOOD_IN(0, keys_peer), GOOD_IN(1, res_peer) };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(fence_takeover(&f, PEER, NULL), -EPERM);
        assert_int_equal(mock_steps_used(f.devs[0]), 2);
        assert_true(report_has("fenced", false));
        fence_done(&f);
}

/* UNIT ATTENTION is retried (the mock allows 3), then the command goes through. */
static void test_unit_attention_retried(void **state) {
        static const struct mock_step s[] = {
                CHECK(IN, 0, sense_reset), CHECK(IN, 0, sense_reset), GOOD_IN(0, keys_both),
                GOOD_IN(1, res_us), GOOD_IN(1, res_us), GOOD_IN(0, keys_both), GOOD_IN(1, res_us),
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(fence_takeover(&f, PEER, NULL), 0);
        assert_true(report_has("already held by us", false));
        fence_done(&f);
}

static void test_unit_attention_exhausted(void **state) {
        static const struct mock_step s[] = {
                CHECK(IN, 0, sense_reset), CHECK(IN, 0, sense_reset), CHECK(IN, 0, sense_reset),
                CHECK(IN, 0, sense_reset),
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(fence_takeover(&f, PEER, NULL), -EAGAIN);
        assert_true(report_has("unit attention: power on or reset", false));
        fence_done(&f);
}

static void test_timeout(void **state) {
        static const struct mock_step s[] = { { IN, 0, -ETIMEDOUT, 0, NULL, 0, NULL, 0 } };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(fence_takeover(&f, PEER, NULL), -ETIMEDOUT);
        assert_true(report_has("timed out", false));
        fence_done(&f);
}

/* Two devices given in the wrong order: worked by identity; the second fails. */
static void test_order_and_partial_failure(void **state) {
        static const struct mock_step a[] = {
                GOOD_IN(0, keys_both), GOOD_IN(1, res_none), GOOD_IN(1, res_none), GOOD_OUT(1),
        };
        static const struct mock_step b[] = {
                GOOD_IN(0, keys_both), GOOD_IN(1, res_none), GOOD_IN(1, res_none), CHECK(OUT, 1, sense_not_ready),
        };
        struct pr_dev **devs = calloc(2, sizeof *devs);
        (void) state;
        assert_int_equal(mock_open("second", "naa.2", b, ELEMENTSOF(b), false, &devs[0]), 0);
        assert_int_equal(mock_open("first", "naa.1", a, ELEMENTSOF(a), false, &devs[1]), 0);
        assert_int_equal(fence_init(&f, devs, 2, US, PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0), 0);
        assert_string_equal(f.devs[0]->name, "first");
        assert_int_equal(fence_takeover(&f, PEER, NULL), -EIO);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(a));
        assert_int_equal(mock_steps_used(f.devs[1]), ELEMENTSOF(b));
        assert_true(report_has("RESERVE: not ready", false));
        fence_done(&f);
}

static void test_same_lu_twice(void **state) {
        struct pr_dev **devs = calloc(2, sizeof *devs);
        (void) state;
        assert_int_equal(mock_open("a", "naa.1", NULL, 0, false, &devs[0]), 0);
        assert_int_equal(mock_open("b", "naa.1", NULL, 0, false, &devs[1]), 0);
        assert_int_equal(fence_init(&f, devs, 2, US, PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0), -EINVAL);
        assert_true(report_has("is the same LU", false));
        fence_done(&f);
}

/* Verification (I2) fails when the reservation is not ours afterwards. */
static void test_verify_fails(void **state) {
        static const struct mock_step s[] = {
                GOOD_IN(0, keys_both), GOOD_IN(1, res_none), GOOD_IN(1, res_none), GOOD_OUT(1),
                GOOD_IN(0, keys_both), GOOD_IN(1, res_peer),
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(fence_takeover(&f, PEER, NULL), -EBADE);
        assert_true(report_has("verify: the reservation is", false));
        fence_done(&f);
}

/* A session-bound transport re-registers this session before acting, and
 * a fenced node does not re-register. */
static void test_session_rebind(void **state) {
        static const struct mock_step s[] = {
                GOOD_IN(0, keys_both), GOOD_IN(1, res_none),
                CONFLICT(OUT, 0),                   /* this session is not registered yet: */
                GOOD_IN(0, keys_both), GOOD_OUT(6), /* it registers too, */
                GOOD_IN(0, keys_both_g3),           /* and nothing else happened meanwhile */
                GOOD_IN(1, res_none), GOOD_OUT(1),
                GOOD_IN(0, keys_both), GOOD_IN(1, res_us),
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), true);
        assert_int_equal(fence_takeover(&f, PEER, NULL), 0);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(s));
        fence_done(&f);

        static const struct mock_step fenced[] = { CONFLICT(OUT, 0), GOOD_IN(0, keys_peer) };
        setup_one(fenced, ELEMENTSOF(fenced), true);
        assert_int_equal(fence_release(&f), -EPERM);
        assert_int_equal(mock_steps_used(f.devs[0]), 2); /* no REGISTER AND IGNORE */
        fence_done(&f);
}

/* I7 in a new session: the peer preempts us between our READ KEYS and our
 * REGISTER. The PR generation then moves by two (the preempt and our
 * registration), not one, so this session's registration, which it knows
 * it just made, is taken back (REGISTER AND IGNORE with key 0), and the
 * next look finds our key gone: fenced, nothing done. Before, the REGISTER
 * alone brought the fenced node back. */
static void test_session_rebind_preempted_meanwhile(void **state) {
        static const struct mock_step s[] = {
                CONFLICT(OUT, 0),                       /* this session is not registered */
                GOOD_IN(0, keys_us_twice), GOOD_OUT(6),
                GOOD_IN(0, keys_us_peer),               /* the generation moved by 2: a preempt came: undo */
                GOOD_OUT(6),
                CONFLICT(OUT, 0), GOOD_IN(0, keys_peer), /* our key is gone: fenced */
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), true);
        assert_int_equal(fence_release(&f), -EPERM);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(s));   /* the undo was sent */
        assert_true(report_has("this node is fenced", false));
        fence_done(&f);
}

/* unregister reads back that our key is gone; on a session-bound device it
 * first preempts our own key (removing our other sessions' registrations),
 * and a key still there afterwards is a failure, never "unregistered". */
static void test_unregister_reads_back(void **state) {
        static const struct mock_step plain[] = { GOOD_OUT(6), GOOD_IN(0, keys_peer) };
        static const struct mock_step left[] = { GOOD_OUT(6), GOOD_IN(0, keys_both) };
        static const struct mock_step session[] = {
                CONFLICT(OUT, 0), GOOD_IN(0, keys_both), GOOD_OUT(6), GOOD_IN(0, keys_both_g3),  /* rebind */
                GOOD_OUT(4),                                                     /* PREEMPT our own key */
                GOOD_OUT(6), GOOD_IN(0, keys_peer),
        };
        (void) state;
        setup_one(plain, ELEMENTSOF(plain), false);
        assert_int_equal(fence_unregister(&f), 0);
        assert_true(report_has("our key is gone", false));
        fence_done(&f);
        setup_one(left, ELEMENTSOF(left), false);
        assert_int_equal(fence_unregister(&f), -EBADE);
        assert_true(report_has("still registered", false));
        fence_done(&f);
        setup_one(session, ELEMENTSOF(session), true);
        assert_int_equal(fence_unregister(&f), 0);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(session));
        fence_done(&f);
}

/* A key list longer than the buffer (8192 bytes: 1023 keys) is read again
 * with room for all of it, so our key, the 1100th, is found. */
static uint8_t many_keys[8 + 1100 * 8];
static void test_read_keys_longer_than_the_buffer(void **state) {
        (void) state;
        many_keys[3] = 9;                                               /* PRGENERATION */
        many_keys[6] = (1100 * 8) >> 8, many_keys[7] = (1100 * 8) & 0xff; /* ADDITIONAL LENGTH */
        for (size_t i = 0; i < 1100; i++) {
                uint8_t *k = many_keys + 8 + 8 * i;
                k[0] = 0x33, k[6] = (uint8_t) (i >> 8), k[7] = (uint8_t) i;
        }
        memset(many_keys + 8 + 1099 * 8, 0x11, 8);                      /* ours, last */
        const struct mock_step s[] = {
                { IN, 0, 0, 0, NULL, 0, many_keys, sizeof many_keys },  /* cut at 8192 by the buffer */
                { IN, 0, 0, 0, NULL, 0, many_keys, sizeof many_keys },  /* again, all of it */
        };
        struct pr_keys keys = {};
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(pr_read_keys(f.devs[0], &keys, NULL), 0);
        assert_int_equal(mock_steps_used(f.devs[0]), 2);
        assert_int_equal(keys.n_keys, 1100);
        assert_true(pr_keys_contain(&keys, US));
        pr_keys_done(&keys);
        fence_done(&f);
}

/* From the review (h-break). On a target that keeps one I_T nexus per
 * initiator and ISID across sessions (LIO), a new session's nexus is
 * already registered: the plain REGISTER of our key to itself succeeds, and
 * nothing is registered or undone. Before, rebind() registered again, saw
 * the count of our key unchanged, undid, and so unregistered the node's
 * only registration: every takeover on a healthy node ended "fenced". */
static void test_rebind_on_an_already_registered_nexus(void **state) {
        static const struct mock_step s[] = {
                GOOD_IN(0, keys_both), GOOD_IN(1, res_none),    /* snapshot */
                GOOD_OUT(0),                                    /* REGISTER us -> us: this nexus is ours */
                GOOD_IN(1, res_none), GOOD_OUT(1),              /* reserve */
                GOOD_IN(0, keys_both), GOOD_IN(1, res_us),      /* verify */
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), true);
        assert_int_equal(fence_takeover(&f, PEER, NULL), 0);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(s));
        fence_done(&f);
}

/* From the review: two of this node's processes rebind across the peer's
 * PREEMPT (both read our key once; the preempt removes it; both register:
 * twice, "one more than before" for each). The generation moved by three,
 * not one: this session's registration is taken back, and the next look
 * finds our key gone. Before (a count check), both kept their registrations
 * and the fenced node was a registrant again. This is one process's view. */
static void test_rebind_two_of_ours_across_a_preempt(void **state) {
        static const uint8_t before[] = { 0, 0, 0, 10, 0, 0, 0, 16, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
        static const uint8_t after[] = { 0, 0, 0, 13, 0, 0, 0, 24, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                         0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                         0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
        static const uint8_t gone[] = { 0, 0, 0, 15, 0, 0, 0, 8, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
        static const struct mock_step s[] = {
                CONFLICT(OUT, 0), GOOD_IN(0, before), GOOD_OUT(6), GOOD_IN(0, after),
                GOOD_OUT(6),                                    /* undo this nexus's registration */
                CONFLICT(OUT, 0), GOOD_IN(0, gone),             /* fenced */
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), true);
        assert_int_equal(fence_bind_device(&f, 0), -EPERM);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(s));
        fence_done(&f);
}

/* From the review, I2 on a short data-in: ADDITIONAL LENGTH says two keys,
 * the target sends the header and one. The part that never came must not be
 * read as "no key": the preempt is never reported verified. */
static void test_preempt_verify_short_transfer(void **state) {
        static const uint8_t keys_short[] = { 0, 0, 0, 5, 0, 0, 0, 16, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
        static const uint8_t res_us5[] = { 0, 0, 0, 5, 0, 0, 0, 16, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                           0, 0, 0, 0, 0, 0x05, 0, 0 };
        static const struct mock_step s[] = {
                GOOD_OUT(5), GOOD_IN(0, keys_short), GOOD_IN(1, res_us5),
                GOOD_OUT(5), GOOD_IN(0, keys_short), GOOD_IN(1, res_us5),
                GOOD_OUT(5), GOOD_IN(0, keys_short), GOOD_IN(1, res_us5),
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_not_equal(fence_preempt(&f, PEER), 0);
        assert_false(report_has("verified", false));
        fence_done(&f);
}

/* RELEASE from a new session leaves a reservation held through an earlier
 * one (tgtd): PREEMPT of our own key moves it here, then RELEASE. */
static void test_release_other_session(void **state) {
        static const struct mock_step s[] = {
                CONFLICT(OUT, 0), GOOD_IN(0, keys_both), GOOD_OUT(6),   /* rebind */
                GOOD_IN(0, keys_both_g3),
                GOOD_OUT(2), GOOD_IN(1, res_us),        /* RELEASE did nothing */
                GOOD_OUT(4), GOOD_OUT(2), GOOD_IN(1, res_none),
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), true);
        assert_int_equal(fence_release(&f), 0);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(s));
        static const uint8_t want[24] = { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
        assert_memory_equal(mock_last_params(f.devs[0]), want, 24); /* RELEASE with our key */
        assert_true(report_has("released; our key stays registered", false));
        fence_done(&f);
}

/* REPORT CAPABILITIES data (SPC-4 table 168): LENGTH 8, TMV set, type mask
 * with WR_EX_RO (byte 4 bit 5), and one with WR_EX (bit 1) only. */
static const uint8_t caps_type5[] = { 0x00, 0x08, 0x00, 0x80, 0x20, 0x00, 0, 0 };
static const uint8_t caps_type1[] = { 0x00, 0x08, 0x00, 0x80, 0x02, 0x00, 0, 0 };
static const uint8_t sense_opcode[] = { 0x72, 0x05, 0x20, 0x00, 0, 0, 0, 0 };

static void test_unfence_no_pr(void **state) {
        static const struct mock_step wrong_type[] = { GOOD_IN(2, caps_type1) };
        static const struct mock_step no_pr[] = { CHECK(IN, 2, sense_opcode), CHECK(OUT, 6, sense_opcode) };
        (void) state;
        setup_one(wrong_type, ELEMENTSOF(wrong_type), false);
        assert_int_equal(fence_unfence(&f), -EOPNOTSUPP);
        assert_true(report_has("does not support reservation type write-exclusive-registrants-only", false));
        fence_done(&f);
        setup_one(no_pr, ELEMENTSOF(no_pr), false);
        assert_int_equal(fence_unfence(&f), -EOPNOTSUPP);
        assert_true(report_has("does not support persistent reservations", false));
        fence_done(&f);
}

static void test_unfence(void **state) {
        static const struct mock_step s[] = { GOOD_IN(2, caps_type5), GOOD_OUT(6), GOOD_IN(0, keys_us) };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(fence_unfence(&f), 0);
        static const uint8_t want[24] = { 0, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
        assert_memory_equal(mock_last_params(f.devs[0]), want, 24);
        fence_done(&f);
}

/* The peer's key is still there after PREEMPT: preempted again (it may be a
 * new session of the peer's that registered in the same moment), three
 * times in all, then a failure. */
static void test_preempt_verified(void **state) {
        static const struct mock_step s[] = {
                GOOD_OUT(5), GOOD_IN(0, keys_peer), GOOD_IN(1, res_none),
                GOOD_OUT(5), GOOD_IN(0, keys_peer), GOOD_IN(1, res_none),
                GOOD_OUT(5), GOOD_IN(0, keys_peer), GOOD_IN(1, res_none),
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(fence_preempt(&f, PEER), -EBADE); /* the peer's key is still there */
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(s));
        assert_true(report_has("still registered", false));
        fence_done(&f);
}

/* M5: a PREEMPT without abort (PREEMPT AND ABORT refused) is followed by the
 * drain before the preempt reports success; with PREEMPT AND ABORT, none. */
static usec_t drained;
static int drain_sleep(usec_t u) {
        drained += u;
        return 0;
}

static void test_preempt_drains_after_preempt_without_abort(void **state) {
        static const struct mock_step fallback[] = {
                CHECK(OUT, 5, sense_invalid), GOOD_OUT(4), GOOD_IN(0, keys_us), GOOD_IN(1, res_us),
        };
        static const struct mock_step aborted[] = { GOOD_OUT(5), GOOD_IN(0, keys_us), GOOD_IN(1, res_us) };
        (void) state;
        setup_one(fallback, ELEMENTSOF(fallback), false);
        f.drain = 5 * USEC_PER_SEC;
        f.sleep = drain_sleep;
        drained = 0;
        assert_int_equal(fence_preempt(&f, PEER), 0);
        assert_int_equal(drained, 5 * USEC_PER_SEC);
        assert_true(report_has("(drain)", true));
        fence_done(&f);
        setup_one(aborted, ELEMENTSOF(aborted), false);
        f.drain = 5 * USEC_PER_SEC;
        f.sleep = drain_sleep;
        drained = 0;
        assert_int_equal(fence_preempt(&f, PEER), 0);
        assert_int_equal(drained, 0);
        fence_done(&f);
}

/* I3 for preempt: in a fence race over two LUNs, the node whose PREEMPT
 * meets RESERVATION CONFLICT on the first device (the other node fenced it
 * first) stops there; the second device's script is empty, so any command
 * to it would fail the test. Before, it went on and could take LUN 2. */
static void test_preempt_first_device_decides(void **state) {
        static const struct mock_step first[] = {
                CONFLICT(OUT, 5), GOOD_IN(0, keys_peer), GOOD_IN(1, res_peer), /* we are the fenced one */
        };
        struct pr_dev **devs = calloc(2, sizeof *devs);
        (void) state;
        assert_non_null(devs);
        assert_int_equal(mock_open("lun1", "naa.1", first, ELEMENTSOF(first), false, &devs[0]), 0);
        assert_int_equal(mock_open("lun2", "naa.2", NULL, 0, false, &devs[1]), 0);
        assert_int_equal(fence_init(&f, devs, 2, US, PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0), 0);
        assert_int_equal(fence_preempt(&f, PEER), -EBADE);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(first));
        assert_int_equal(mock_steps_used(f.devs[1]), 0);
        for (size_t i = 0; i < f.report.n; i++)
                assert_string_not_equal(f.report.steps[i].device, "lun2");     /* nothing was sent to it */
        assert_true(report_has("the first device decides", false));
        fence_done(&f);
}

/* A manual preempt where nobody held the reservation reserves it (I2: a
 * fenced node's writes are rejected only while one is held). */
static void test_preempt_reserves(void **state) {
        static const struct mock_step s[] = {
                GOOD_OUT(5), GOOD_IN(0, keys_us), GOOD_IN(1, res_none), GOOD_OUT(1), GOOD_IN(1, res_us),
        };
        (void) state;
        setup_one(s, ELEMENTSOF(s), false);
        assert_int_equal(fence_preempt(&f, PEER), 0);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(s));
        assert_true(report_has("nobody held the reservation: reserved it", false));
        fence_done(&f);
}

/* Fencing a node whose key is already gone: the target answers the PREEMPT
 * with RESERVATION CONFLICT (no I_T nexus has that key); the keys, read only
 * then, show the victim gone, and that is success: fencing is idempotent.
 * Where nobody holds the reservation, it is still reserved. A conflict while
 * the victim is still registered stays a failure. */
static void test_preempt_already_gone(void **state) {
        static const struct mock_step held[] = {
                CONFLICT(OUT, 5), GOOD_IN(0, keys_us), GOOD_IN(1, res_us),     /* the victim is gone */
                GOOD_IN(0, keys_us), GOOD_IN(1, res_us),                        /* verify */
        };
        static const struct mock_step free_[] = {
                CONFLICT(OUT, 5), GOOD_IN(0, keys_us), GOOD_IN(1, res_none),
                GOOD_IN(0, keys_us), GOOD_IN(1, res_none), GOOD_OUT(1), GOOD_IN(1, res_us),
        };
        static const struct mock_step fallback[] = {   /* PREEMPT AND ABORT refused (tgtd), then PREEMPT */
                CHECK(OUT, 5, sense_invalid), CONFLICT(OUT, 4), GOOD_IN(0, keys_us), GOOD_IN(1, res_us),
                GOOD_IN(0, keys_us), GOOD_IN(1, res_us),
        };
        static const struct mock_step there[] = {
                CONFLICT(OUT, 5), GOOD_IN(0, keys_peer), GOOD_IN(1, res_none), /* we are the fenced one */
        };
        (void) state;
        setup_one(held, ELEMENTSOF(held), false);
        assert_int_equal(fence_preempt(&f, PEER), 0);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(held));
        assert_true(report_has("is not registered: nothing to preempt", false));
        fence_done(&f);
        setup_one(free_, ELEMENTSOF(free_), false);
        assert_int_equal(fence_preempt(&f, PEER), 0);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(free_));
        assert_true(report_has("nobody held the reservation: reserved it", false));
        fence_done(&f);
        setup_one(fallback, ELEMENTSOF(fallback), false);
        assert_int_equal(fence_preempt(&f, PEER), 0);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(fallback));
        assert_true(report_has("is not registered: nothing to preempt", false));
        fence_done(&f);
        setup_one(there, ELEMENTSOF(there), false);
        assert_int_equal(fence_preempt(&f, PEER), -EBADE);
        assert_int_equal(mock_steps_used(f.devs[0]), ELEMENTSOF(there));
        fence_done(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_takeover_reserve),
                cmocka_unit_test(test_takeover_preempt_fallback),
                cmocka_unit_test(test_takeover_preempt_abort),
                cmocka_unit_test(test_race_lost_on_reserve),
                cmocka_unit_test(test_race_lost_before_reserve),
                cmocka_unit_test(test_own_key_gone),
                cmocka_unit_test(test_unit_attention_retried),
                cmocka_unit_test(test_unit_attention_exhausted),
                cmocka_unit_test(test_timeout),
                cmocka_unit_test(test_order_and_partial_failure),
                cmocka_unit_test(test_same_lu_twice),
                cmocka_unit_test(test_verify_fails),
                cmocka_unit_test(test_session_rebind),
                cmocka_unit_test(test_rebind_on_an_already_registered_nexus),
                cmocka_unit_test(test_rebind_two_of_ours_across_a_preempt),
                cmocka_unit_test(test_preempt_verify_short_transfer),
                cmocka_unit_test(test_unregister_reads_back),
                cmocka_unit_test(test_read_keys_longer_than_the_buffer),
                cmocka_unit_test(test_session_rebind_preempted_meanwhile),
                cmocka_unit_test(test_preempt_first_device_decides),
                cmocka_unit_test(test_preempt_drains_after_preempt_without_abort),
                cmocka_unit_test(test_release_other_session),
                cmocka_unit_test(test_unfence),
                cmocka_unit_test(test_unfence_no_pr),
                cmocka_unit_test(test_preempt_verified),
                cmocka_unit_test(test_preempt_reserves),
                cmocka_unit_test(test_preempt_already_gone),
        };
        return cmocka_run_group_tests_name("fence", tests, NULL, NULL);
}
