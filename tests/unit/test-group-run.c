/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Takeover and move planning over a scripted systemd and the mock fence
 * transport: which jobs run, on which node, in which order, and what the
 * report says when a step fails. The scripted systemd records every call
 * ("local:StopUnit tandem-active@db.target"); a unit's state and a job's
 * result come from small tables each test sets. PR IN data is written out
 * in the SPC-4 layouts (READ KEYS: generation, additional length, keys;
 * READ RESERVATION: generation, additional length 16, key, type at byte 21). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tandem/group-run.h"

#define US 0x1111111111111111ULL
#define PEER 0x2222222222222222ULL
#define OUT 0x5f
#define IN 0x5e

static const uint8_t keys_us[] = { 0, 0, 0, 3, 0, 0, 0, 8, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
static const uint8_t keys_peer[] = { 0, 0, 0, 3, 0, 0, 0, 8, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
static const uint8_t res_none[] = { 0, 0, 0, 2, 0, 0, 0, 0 };
static const uint8_t res_us[] = { 0, 0, 0, 2, 0, 0, 0, 16, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                  0, 0, 0, 0, 0, 0x05, 0, 0 };
static const uint8_t res_peer[] = { 0, 0, 0, 2, 0, 0, 0, 16, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
                                    0, 0, 0, 0, 0, 0x05, 0, 0 };

#define GOOD_IN(sa, d) { IN, sa, 0, 0, NULL, 0, d, sizeof d }
#define GOOD_OUT(sa) { OUT, sa, 0, 0, NULL, 0, NULL, 0 }

/* PREEMPT AND ABORT of the peer, its key gone, nobody holding: reserve. */
static const struct mock_step preempt_ok[] = {
        GOOD_OUT(5), GOOD_IN(0, keys_us), GOOD_IN(1, res_none), GOOD_OUT(1), GOOD_IN(1, res_us),
};
/* PREEMPT AND ABORT answered GOOD, but the peer's key is still there, each
 * of the three times the fence tries. */
static const struct mock_step preempt_bad[] = {
        GOOD_OUT(5), GOOD_IN(0, keys_peer), GOOD_IN(1, res_none),
        GOOD_OUT(5), GOOD_IN(0, keys_peer), GOOD_IN(1, res_none),
        GOOD_OUT(5), GOOD_IN(0, keys_peer), GOOD_IN(1, res_none),
};
/* A read of the devices: the peer still holds the reservation. */
static const struct mock_step peer_holds[] = { GOOD_IN(0, keys_peer), GOOD_IN(1, res_peer) };

/* ------------------------------------------------------ scripted systemd */

struct fake_unit {
        const char *node, *unit, *state;        /* the state active_state answers */
        const char *result;                     /* what a job on it ends with (NULL: "done") */
        int ret;                                /* what a job on it returns (0) */
};

static struct {
        char log[4096];
        const struct fake_unit *units;
        size_t n_units;
        int local_ret, peer_ret;                /* open_local, open_peer */
        const char *last_error;
        const struct mock_step *fence_script;
        size_t fence_n;
        unsigned fence_opens;
        int preflight_ret;
        usec_t clock;
        char events[4096];
} fx;

static void logf_(char *buf, size_t n, const char *fmt, ...) {
        va_list ap;
        size_t l = strlen(buf);
        va_start(ap, fmt);
        vsnprintf(buf + l, n - l, fmt, ap);
        va_end(ap);
}

static const char LOCAL[] = "local", REMOTE[] = "peer";

static const struct fake_unit *find(const char *node, const char *unit) {
        for (size_t i = 0; i < fx.n_units; i++)
                if (strcmp(fx.units[i].node, node) == 0 && strcmp(fx.units[i].unit, unit) == 0)
                        return &fx.units[i];
        return NULL;
}

static int f_open_local(usec_t timeout, void **ret, char **ret_error) {
        (void) timeout;
        logf_(fx.log, sizeof fx.log, "open local;");
        if (fx.local_ret < 0) {
                *ret_error = strdup("no bus");
                return fx.local_ret;
        }
        *ret = (void *) LOCAL;
        return 0;
}

static int f_open_peer(const char *address, usec_t ct, usec_t timeout, void **ret, char **ret_error) {
        (void) ct;
        (void) timeout;
        logf_(fx.log, sizeof fx.log, "open peer %s;", address);
        if (fx.peer_ret < 0) {
                *ret_error = strdup("no TCP connection to db2 port 22 within 5s: timed out");
                return fx.peer_ret;
        }
        *ret = (void *) REMOTE;
        return 0;
}

static void f_close(void *sd) {
        (void) sd;
}

static int f_job(void *sd, const char *method, const char *unit, usec_t timeout, char **ret_result, char **ret_error) {
        (void) timeout;
        (void) ret_error;
        logf_(fx.log, sizeof fx.log, "%s:%s %s;", (const char *) sd, method, unit);
        fx.clock += 100;
        const struct fake_unit *u = find(sd, unit);
        if (u && u->ret < 0)
                return u->ret;
        *ret_result = strdup(u && u->result ? u->result : "done");
        return 0;
}

static int f_active_state(void *sd, const char *unit, char **ret, char **ret_error) {
        (void) ret_error;
        const struct fake_unit *u = find(sd, unit);
        *ret = strdup(u && u->state ? u->state : "inactive");
        return 0;
}

static int f_unit_times(void *sd, const char *unit, struct gs_unit_times *ret) {
        const struct fake_unit *u = find(sd, unit);
        *ret = (struct gs_unit_times) { .active_state = strdup(u && u->state ? u->state : "inactive") };
        return 0;
}

static char *f_last_error(const char *unit, usec_t since) {
        (void) since;
        return fx.last_error && strstr(unit, "volume") ? strdup(fx.last_error) : NULL;
}

static usec_t f_now(void) {
        return ++fx.clock;
}

static const struct group_systemd_ops fake_sd = {
        .open_local = f_open_local,
        .open_peer = f_open_peer,
        .close = f_close,
        .job = f_job,
        .active_state = f_active_state,
        .unit_times = f_unit_times,
        .last_error = f_last_error,
        .now = f_now,
        .realtime = f_now,
};

static int f_fence_open(const struct cfg_group *g, struct fence *f, char **ret_reason) {
        struct pr_dev **devs = calloc(1, sizeof *devs);
        (void) ret_reason;
        assert_non_null(devs);
        logf_(fx.log, sizeof fx.log, "fence open;");
        fx.fence_opens++;
        assert_int_equal(mock_open("lun0", "naa.1", fx.fence_script, fx.fence_n, false, &devs[0]), 0);
        return fence_init(f, devs, 1, g->fence.key, PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 0);
}

static int f_preflight(const struct cfg_group *g, char **ret_reason) {
        (void) g;
        logf_(fx.log, sizeof fx.log, "preflight;");
        if (fx.preflight_ret < 0)
                *ret_reason = strdup("this node's key is not registered on lun0: this node is fenced");
        return fx.preflight_ret;
}

static const struct group_fence_ops fake_fence = { .open = f_fence_open, .preflight = f_preflight };

static void on_event(void *userdata, const struct group_event *e) {
        (void) userdata;
        switch (e->kind) {
        case GROUP_EVENT_STEP:
                logf_(fx.events, sizeof fx.events, "step[%s|%s];", e->what, e->outcome);
                break;
        case GROUP_EVENT_NOTE:
                logf_(fx.events, sizeof fx.events, "note[%s];", e->text);
                break;
        case GROUP_EVENT_FENCE:
                logf_(fx.events, sizeof fx.events, "fence[%d];", e->fence_r);
                break;
        case GROUP_EVENT_STOPPED:
                logf_(fx.events, sizeof fx.events, "stopped[%s];", e->node);
                break;
        }
}

static struct cfg_group g;

static struct group_run setup(const struct fake_unit *units, size_t n) {
        memset(&fx, 0, sizeof fx);
        fx.units = units;
        fx.n_units = n;
        g = (struct cfg_group) { .path = (char *) "/etc/tandem/db.conf" };
        g.cluster.name = (char *) "erp";
        g.cluster.node = (char *) "db1";
        g.cluster.peer = (char *) "db2";
        g.fence.present = true;
        g.fence.key = US;
        g.fence.peer_key = PEER;
        return (struct group_run) {
                .g = &g, .group = "db", .timeout = 1000, .peer_connect_timeout = 10,
                .sd = &fake_sd, .fence = &fake_fence, .event = on_event,
        };
}

static void assert_has(const char *hay, const char *needle) {
        if (!hay || !strstr(hay, needle))
                fail_msg("'%s' not in '%s'", needle, hay ? hay : "(null)");
}

/* ------------------------------------------------------------- takeover */

static void test_takeover_fences_then_starts(void **state) {
        struct group_report rep;
        (void) state;
        struct group_run run = setup(NULL, 0);
        fx.fence_script = preempt_ok;
        fx.fence_n = ELEMENTSOF(preempt_ok);
        assert_int_equal(group_takeover(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_OK);
        assert_string_equal(fx.log, "open local;fence open;local:StartUnit tandem-active@db.target;");
        /* The fence came first and was told, then its step, then the start. */
        assert_has(fx.events, "fence[0];step[fence db2 (preempt 0x2222222222222222)|done];"
                              "step[start tandem-active@db.target on db1|done];");
        assert_true(rep.started);
        assert_int_equal(rep.units.n, 6);       /* takeover, watch, raid, volume, address, target */
        assert_null(rep.error);
        group_report_done(&rep);
}

static void test_takeover_fence_fails_starts_nothing(void **state) {
        struct group_report rep;
        (void) state;
        struct group_run run = setup(NULL, 0);
        fx.fence_script = preempt_bad;
        fx.fence_n = ELEMENTSOF(preempt_bad);
        assert_int_equal(group_takeover(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_FAILED);
        assert_null(strstr(fx.log, "StartUnit"));
        assert_has(rep.error, "takeover failed at: fence db2: the peer's key could not be removed on every device. "
                              "Nothing was started here.");
        assert_false(rep.started);
        group_report_done(&rep);
}

static void test_takeover_failed_start_reports_the_step(void **state) {
        static const struct fake_unit units[] = {
                { "local", "tandem-active@db.target", "inactive", "failed", 0 },
                { "local", "tandem-takeover@db.service", "active", NULL, 0 },
                { "local", "tandem-watch@db.service", "active", NULL, 0 },
                { "local", "tandem-raid@db.service", "active", NULL, 0 },
                { "local", "tandem-volume@db.service", "failed", NULL, 0 },
        };
        struct group_report rep;
        (void) state;
        struct group_run run = setup(units, ELEMENTSOF(units));
        fx.fence_script = preempt_ok;
        fx.fence_n = ELEMENTSOF(preempt_ok);
        fx.last_error = "no block device has it";
        assert_int_equal(group_takeover(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_FAILED);
        assert_has(rep.error, "takeover failed at: start tandem-active@db.target on db1: the job ended with result 'failed'");
        assert_has(rep.failed_step, "the step that failed on db1: tandem-volume@db.service: no block device has it");
        assert_has(rep.left_behind, "active: tandem-takeover@db.service, tandem-watch@db.service, tandem-raid@db.service;");
        assert_has(rep.left_behind, "failed: tandem-volume@db.service;");
        assert_has(rep.still_holds, "db1 still holds the fence reservation");
        group_report_done(&rep);
}

/* I3 in `tandem takeover`: the peer holds the reservation, and one look
 * later the PR generation has moved (its heartbeat): it lives. Nothing is
 * preempted and nothing started; exit 3's result. When the generation
 * stays, the peer is fenced and the group starts. */
static const uint8_t keys_both_g2[] = { 0, 0, 0, 2, 0, 0, 0, 16, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                        0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
static const uint8_t keys_both_g3[] = { 0, 0, 0, 3, 0, 0, 0, 16, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                        0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
static void test_takeover_live_peer_is_not_fenced(void **state) {
        static const struct mock_step alive[] = {
                GOOD_IN(0, keys_both_g2), GOOD_IN(1, res_peer),         /* the peer holds */
                GOOD_IN(0, keys_both_g3), GOOD_IN(1, res_peer),         /* its heartbeat moved */
        };
        static const struct mock_step dead[] = {
                GOOD_IN(0, keys_both_g2), GOOD_IN(1, res_peer),
                GOOD_IN(0, keys_both_g2), GOOD_IN(1, res_peer),         /* still */
                GOOD_OUT(5), GOOD_IN(0, keys_us), GOOD_IN(1, res_none), GOOD_OUT(1), GOOD_IN(1, res_us),
        };
        struct group_report rep;
        (void) state;
        struct group_run run = setup(NULL, 0);
        run.peer_wait = 1000;
        fx.fence_script = alive;
        fx.fence_n = ELEMENTSOF(alive);
        assert_int_equal(group_takeover(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_NOT_STOPPED);
        assert_null(strstr(fx.log, "StartUnit"));
        assert_has(rep.error, "the peer is alive");
        assert_has(rep.error, "`tandem move`");
        group_report_done(&rep);

        run = setup(NULL, 0);
        run.peer_wait = 1000;
        fx.fence_script = dead;
        fx.fence_n = ELEMENTSOF(dead);
        assert_int_equal(group_takeover(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_OK);
        assert_has(fx.log, "local:StartUnit tandem-active@db.target;");
        group_report_done(&rep);
}

static void test_takeover_without_systemd(void **state) {
        struct group_report rep;
        (void) state;
        struct group_run run = setup(NULL, 0);
        fx.local_ret = -ENOENT;
        assert_int_equal(group_takeover(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_NO_SYSTEMD);
        assert_int_equal(fx.fence_opens, 0);
        assert_has(rep.error, "needs systemd as PID 1");
        group_report_done(&rep);
}

/* ----------------------------------------------------------------- move */

static void test_move_here_stops_peer_then_starts_here(void **state) {
        static const struct fake_unit units[] = {
                { "peer", "tandem-active@db.target", "active", NULL, 0 },
        };
        struct group_report rep;
        (void) state;
        struct group_run run = setup(units, ELEMENTSOF(units));
        assert_int_equal(group_move(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_OK);
        assert_string_equal(fx.log, "open local;preflight;open peer db2;"
                                    "peer:StopUnit tandem-active@db.target;"
                                    "peer:StopUnit tandem-takeover@db.service;"
                                    "local:StartUnit tandem-active@db.target;");
        assert_int_equal(fx.fence_opens, 0);    /* a move fences nobody */
        assert_has(fx.events, "note[move group db from db2 to db1];step[preflight on db1 (fence key, volume)|ok];");
        assert_has(fx.events, "step[reach systemd on db2 over SSH (root@db2)|active];");
        assert_has(fx.events, "stopped[db2];");
        assert_string_equal(rep.start_node, "db1");
        group_report_done(&rep);
}

static void test_move_to_peer_stops_here_then_starts_there(void **state) {
        struct group_report rep;
        (void) state;
        struct group_run run = setup(NULL, 0);
        run.to = "db2";
        assert_int_equal(group_move(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_OK);
        /* No preflight here: the destination is the peer. */
        assert_string_equal(fx.log, "open local;open peer db2;"
                                    "local:StopUnit tandem-active@db.target;"
                                    "local:StopUnit tandem-takeover@db.service;"
                                    "peer:StartUnit tandem-active@db.target;");
        assert_string_equal(rep.start_node, "db2");
        assert_int_equal(rep.units_base, 0);    /* the peer's clock: from its earliest unit */
        group_report_done(&rep);
}

static void test_move_preflight_refuses_touches_nothing(void **state) {
        struct group_report rep;
        (void) state;
        struct group_run run = setup(NULL, 0);
        fx.preflight_ret = -EPERM;
        assert_int_equal(group_move(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_NOT_STOPPED);
        assert_string_equal(fx.log, "open local;preflight;");
        assert_has(rep.error, "move refused: this node's key is not registered on lun0: this node is fenced. "
                              "Nothing was stopped or started");
        group_report_done(&rep);
}

static void test_move_dead_peer(void **state) {
        struct group_report rep;
        (void) state;
        struct group_run run = setup(NULL, 0);
        fx.peer_ret = -ETIMEDOUT;
        assert_int_equal(group_move(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_NOT_STOPPED);
        assert_null(strstr(fx.log, "Unit"));
        assert_has(rep.error, "move failed at: reach db2: no TCP connection to db2 port 22 within 5s: timed out. "
                              "Nothing was stopped or started");
        assert_has(rep.error, "`tandem takeover` (or move --force) fences it");
        group_report_done(&rep);

        /* --force: fence it, then start here. */
        run = setup(NULL, 0);
        run.force = true;
        fx.peer_ret = -ETIMEDOUT;
        fx.fence_script = preempt_ok;
        fx.fence_n = ELEMENTSOF(preempt_ok);
        assert_int_equal(group_move(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_OK);
        assert_string_equal(fx.log, "open local;preflight;open peer db2;fence open;local:StartUnit tandem-active@db.target;");
        assert_has(fx.events, "note[db2 cannot be reached; --force: taking over, which fences it];");
        group_report_done(&rep);
}

static void test_move_peer_keeps_reservation(void **state) {
        /* I5 on the peer: its unmount failed, tandem-takeover@ ends failed,
         * and the devices show its key still holding: start nothing. */
        static const struct fake_unit units[] = {
                { "peer", "tandem-active@db.target", "active", NULL, 0 },
                { "peer", "tandem-takeover@db.service", "failed", NULL, 0 },
        };
        struct group_report rep;
        (void) state;
        struct group_run run = setup(units, ELEMENTSOF(units));
        fx.fence_script = peer_holds;
        fx.fence_n = ELEMENTSOF(peer_holds);
        assert_int_equal(group_move(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_NOT_STOPPED);
        assert_null(strstr(fx.log, "StartUnit"));
        assert_has(rep.error, "tandem-takeover@db.service is failed and its key still holds the reservation: "
                              "the reservation was not released (I5");
        group_report_done(&rep);

        /* The same, but the devices show the peer holds nothing: go on. */
        static const struct mock_step released[] = { GOOD_IN(0, keys_us), GOOD_IN(1, res_none) };
        run = setup(units, ELEMENTSOF(units));
        fx.fence_script = released;
        fx.fence_n = ELEMENTSOF(released);
        assert_int_equal(group_move(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_OK);
        assert_has(fx.events, "note[tandem-takeover@db.service on db2 is failed, but db2 holds no reservation: going on];");
        group_report_done(&rep);
}

static void test_move_bad_destination(void **state) {
        struct group_report rep;
        (void) state;
        struct group_run run = setup(NULL, 0);
        run.to = "db3";
        assert_int_equal(group_move(&run, &rep), 0);
        assert_int_equal(rep.result, GROUP_USAGE);
        assert_string_equal(fx.log, "");
        group_report_done(&rep);
}

static void test_units_order(void **state) {
        const usec_t at[] = { 30, 0, 10, 20, 5 };
        size_t ord[GROUP_UNITS_MAX];
        (void) state;
        assert_int_equal(group_units_order(at, 5, 10, ord), 3);
        assert_int_equal(ord[0], 2);
        assert_int_equal(ord[1], 3);
        assert_int_equal(ord[2], 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_takeover_fences_then_starts),
                cmocka_unit_test(test_takeover_fence_fails_starts_nothing),
                cmocka_unit_test(test_takeover_failed_start_reports_the_step),
                cmocka_unit_test(test_takeover_live_peer_is_not_fenced),
                cmocka_unit_test(test_takeover_without_systemd),
                cmocka_unit_test(test_move_here_stops_peer_then_starts_here),
                cmocka_unit_test(test_move_to_peer_stops_here_then_starts_there),
                cmocka_unit_test(test_move_preflight_refuses_touches_nothing),
                cmocka_unit_test(test_move_dead_peer),
                cmocka_unit_test(test_move_peer_keeps_reservation),
                cmocka_unit_test(test_move_bad_destination),
                cmocka_unit_test(test_units_order),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
