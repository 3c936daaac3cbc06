/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Takeover and move as steps (see include/tandem/group-run.h). Every call
 * to systemd and to the fence devices goes through run->sd and run->fence,
 * so unit tests drive each branch with scripted ones. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/group-run.h"
#include "tandem/key.h"
#include "tandem/util.h"

static double secs(usec_t u) {
        return (double) u / USEC_PER_SEC;
}

static void event(const struct group_run *run, const struct group_event *e) {
        if (run->event)
                run->event(run->userdata, e);
}

static void note(const struct group_run *run, const char *fmt, ...) _printf_(2, 3);
static void note(const struct group_run *run, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *s = strvprintf(fmt, ap);
        va_end(ap);
        if (s)
                event(run, &(struct group_event) { .kind = GROUP_EVENT_NOTE, .text = s });
}

static void step(const struct group_run *run, const char *what, usec_t start, int error, const char *outcome) {
        event(run, &(struct group_event) { .kind = GROUP_EVENT_STEP,
                                           .what = what,
                                           .took = run->sd->now() - start,
                                           .error = error,
                                           .outcome = outcome });
}

/* Sets r->error to a new formatted string (replacing what was there). */
static void fail(struct group_report *r, enum group_result res, const char *fmt, ...) _printf_(3, 4);
static void fail(struct group_report *r, enum group_result res, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *s = strvprintf(fmt, ap);
        va_end(ap);
        free(r->error);
        r->error = s;
        r->result = res;
}

void group_units_names(const struct cfg_group *g, const char *grp, struct group_units *u) {
        *u = (struct group_units) {};
        snprintf(u->name[u->n++], sizeof u->name[0], "tandem-takeover@%s.service", grp);
        snprintf(u->name[u->n++], sizeof u->name[0], "tandem-watch@%s.service", grp);
        snprintf(u->name[u->n++], sizeof u->name[0], "tandem-raid@%s.service", grp);
        snprintf(u->name[u->n++], sizeof u->name[0], "tandem-volume@%s.service", grp);
        snprintf(u->name[u->n++], sizeof u->name[0], "tandem-address@%s.service", grp);
        if (g->service.present && g->service.unit)
                snprintf(u->name[u->n++], sizeof u->name[0], "%s", g->service.unit);
        snprintf(u->name[u->n++], sizeof u->name[0], "tandem-active@%s.target", grp);
}

void group_units_done(struct group_units *u) {
        for (size_t i = 0; i < u->n; i++)
                free(u->t[i].active_state);
        u->n = 0;
}

size_t group_units_order(const usec_t *at, size_t n, usec_t from, size_t ord[static GROUP_UNITS_MAX]) {
        size_t k = 0;
        for (size_t i = 0; i < n && i < GROUP_UNITS_MAX; i++) {
                if (at[i] == 0 || at[i] < from)
                        continue;
                size_t j = k++;
                for (; j > 0 && at[ord[j - 1]] > at[i]; j--)
                        ord[j] = ord[j - 1];
                ord[j] = i;
        }
        return k;
}

static void units_read(const struct group_run *run, void *sd, struct group_units *u) {
        group_units_names(run->g, run->group, u);
        for (size_t i = 0; i < u->n; i++)
                if (run->sd->unit_times(sd, u->name[i], &u->t[i]) < 0)
                        u->t[i] = (struct gs_unit_times) {};
}

void group_report_done(struct group_report *r) {
        if (!r)
                return;
        free(r->error);
        group_units_done(&r->units);
        free(r->start_node);
        free(r->failed_step);
        free(r->left_behind);
        free(r->still_holds);
        *r = (struct group_report) {};
}

/* Says which unit of the group failed (the first in start order), why when
 * this host's journal knows (local), and what the job left behind. */
static void left_behind(const struct group_run *run, struct group_report *r, const char *node, bool local,
                        usec_t since) {
        const struct group_units *u = &r->units;
        char active[2048] = "", failed[1024] = "", down[1024] = "";
        for (size_t i = 0; i < u->n; i++) {
                const char *st = u->t[i].active_state ?: "unknown";
                char *buf = strcmp(st, "active") == 0 ? active : strcmp(st, "failed") == 0 ? failed : down;
                size_t sz = buf == active ? sizeof active : buf == failed ? sizeof failed : sizeof down;
                snprintf(buf + strlen(buf), sz - strlen(buf), "%s%s%s%s", *buf ? ", " : "", u->name[i],
                         buf == down && strcmp(st, "inactive") != 0 ? " " : "",
                         buf == down && strcmp(st, "inactive") != 0 ? st : "");
        }
        for (size_t i = 0; i < u->n; i++)
                if (u->t[i].active_state && strcmp(u->t[i].active_state, "failed") == 0) {
                        _cleanup_free_ char *why = local ? run->sd->last_error(u->name[i], since) : NULL;
                        r->failed_step = strprintf("the step that failed on %s: %s%s%s", node, u->name[i],
                                                   why ? ": " : "", why ?: (local ? "" : " (see its journal there)"));
                        break;
                }
        r->left_behind = strprintf("left behind on %s: active: %s; failed: %s; not running: %s", node,
                                   *active ? active : "none", *failed ? failed : "none", *down ? down : "none");
        if (u->n > 0 && u->t[0].active_state && strcmp(u->t[0].active_state, "active") == 0)
                r->still_holds = strprintf("%s still holds the fence reservation (tandem-takeover is active): stop "
                                           "the group there to release it, or fix the cause and start it again",
                                           node);
}

/* Runs a start or stop job and tells its step. Returns 0 when the job
 * finished with "done", or -errno (-ETIME: timed out), with *why. */
static int run_job(const struct group_run *run, void *sd, const char *method, const char *unit, const char *where,
                   char *why, size_t nwhy) {
        _cleanup_free_ char *result = NULL, *err = NULL;
        char what[200];
        usec_t t0 = run->sd->now();
        snprintf(what, sizeof what, "%s %s on %s", strcmp(method, "StartUnit") == 0 ? "start" : "stop", unit, where);
        int r = run->sd->job(sd, method, unit, run->timeout, &result, &err);
        if (r == -ETIME)
                snprintf(why, nwhy, "the job did not finish within %.0fs (it is still queued in systemd)",
                         secs(run->timeout));
        else if (r < 0)
                snprintf(why, nwhy, "%s", err ? err : strerror(-r));
        else if (!result || strcmp(result, "done") != 0) {
                snprintf(why, nwhy, "the job ended with result '%s'", result ? result : "(none)");
                r = -EIO;
        }
        step(run, what, t0, r, r == 0 ? "done" : why);
        return r;
}

/* Does key hold the reservation on a fence device of the group? Returns 1
 * yes, 0 no, -errno when a device cannot be read. */
static int key_holds(const struct group_run *run, uint64_t key) {
        _cleanup_free_ char *why = NULL;
        struct fence f;
        int r = run->fence->open(run->g, &f, &why);
        if (r < 0)
                return r;
        struct fence_dev_status *st = calloc(f.n ? f.n : 1, sizeof *st);
        if (!st) {
                fence_done(&f);
                return -ENOMEM;
        }
        r = fence_status(&f, st);
        int ret = r < 0 ? r : 0;
        for (size_t i = 0; r >= 0 && i < f.n; i++)
                if (st[i].res.held && st[i].res.key == key)
                        ret = 1;
        fence_dev_status_done(st, f.n);
        free(st);
        fence_done(&f);
        return ret;
}

/* Stops tandem-takeover@GROUP.service on node (its stop releases the
 * reservation) and checks that it released: the unit ends inactive, or, when
 * it is failed (I5 keeps the reservation after a failed unmount; or an
 * earlier start failed), node's key holds no reservation, read from the
 * devices. Returns 0 or -errno with *why. */
static int stop_released(const struct group_run *run, void *sd, const char *node, uint64_t key, char *why,
                         size_t nwhy) {
        const struct cfg_group *g = run->g;
        _cleanup_free_ char *unit = NULL, *state = NULL, *err = NULL;
        if (asprintf(&unit, "tandem-takeover@%s.service", run->group) < 0)
                return -ENOMEM;
        int r = run_job(run, sd, "StopUnit", unit, node, why, nwhy);
        if (r < 0)
                return r;
        r = run->sd->active_state(sd, unit, &state, &err);
        if (r < 0) {
                snprintf(why, nwhy, "cannot read %s's state: %s", unit, err ? err : strerror(-r));
                return r;
        }
        if (strcmp(state, "inactive") == 0)
                return 0;
        r = g->fence.present && key != 0 ? key_holds(run, key) : 1;
        if (r == 0) {
                note(run, "%s on %s is %s, but %s holds no reservation: going on", unit, node, state, node);
                return 0;
        }
        snprintf(why, nwhy, "%s is %s and %s: the reservation was not released (I5; see its journal there)", unit,
                 state,
                 r > 0 ? (g->fence.present ? "its key still holds the reservation" : "the group is unfenced")
                       : "the fence devices cannot be read");
        return -EBUSY;
}

/* Words for a failed fence_peer(). */
static const char *fence_failure_words(int r) {
        return r == -EALREADY ? "the peer is alive: it holds the reservation and its heartbeat moves. Nothing was "
                                "fenced; `tandem move` moves the group here, and --force fences a peer you know "
                                "is dead"
             : r == -EBADE ? "the peer's key could not be removed on every device"
             : r == -EPERM ? "this node's own key is gone: this node is fenced"
                           : strerror(-r);
}

/* Fences the peer before a takeover: preempts its key on every device (its
 * key may be registered without holding the reservation, and a registrant
 * may write under a registrants-only type). A peer whose key is not there
 * is fine. Returns 0 or -errno. */
static int fence_peer(const struct group_run *run, bool watch) {
        const struct cfg_group *g = run->g;
        _cleanup_free_ char *why = NULL;
        struct fence f;
        char what[200], kb[KEY_STRING_MAX];
        usec_t t0 = run->sd->now();
        snprintf(what, sizeof what, "fence %s (preempt %s)", g->cluster.peer, key_format(g->fence.peer_key, kb));
        int r = run->fence->open(g, &f, &why);
        if (r >= 0 && watch && run->peer_wait > 0) {
                /* I3: a peer that holds the reservation is fenced only once
                 * its heartbeat has been still for peer_wait. */
                const struct fence_takeover_opts o = {
                        .peer_wait = run->peer_wait,
                        .peer_poll = g->fence.watch_interval / 2,
                        .sleep = run->sleep,
                };
                int alive = fence_peer_alive(&f, g->fence.peer_key, &o);
                if (alive != 0) {
                        event(run, &(struct group_event) { .kind = GROUP_EVENT_FENCE, .fence = &f, .fence_r = alive < 0 ? alive : -EALREADY });
                        fence_done(&f);
                        step(run, what, t0, alive < 0 ? alive : -EALREADY, alive < 0 ? "FAILED" : "refused: the peer is alive");
                        return alive < 0 ? alive : -EALREADY;
                }
        }
        if (r >= 0) {
                r = fence_preempt(&f, g->fence.peer_key);
                event(run, &(struct group_event) { .kind = GROUP_EVENT_FENCE, .fence = &f, .fence_r = r });
                fence_done(&f);
        } else
                note(run, "cannot use the fence devices: %s", why ? why : strerror(-r));
        step(run, what, t0, r, r < 0 ? "FAILED" : "done");
        return r;
}

/* Starts the group's target on node over sd, and reads its units for the
 * timeline (from base; 0: the earliest). Returns 0 or -errno (the report
 * says why). */
static int start_group(const struct group_run *run, void *sd, const char *target, const char *node, bool local,
                       usec_t base, const char *failed_words, struct group_report *ret) {
        char why[512];
        usec_t rt0 = run->sd->realtime();
        int r = run_job(run, sd, "StartUnit", target, node, why, sizeof why);
        units_read(run, sd, &ret->units);
        ret->started = true;
        ret->units_base = base;
        ret->start_node = strdup_null(node);
        if (r < 0) {
                fail(ret, GROUP_FAILED, "%s failed at: start %s on %s: %s", failed_words, target, node, why);
                left_behind(run, ret, node, local, rt0);
        }
        return r;
}

int group_takeover(const struct group_run *run, struct group_report *ret) {
        const struct cfg_group *g = run->g;
        _cleanup_free_ char *target = NULL, *err = NULL;
        void *sd = NULL;
        int r;

        *ret = (struct group_report) { .result = GROUP_FAILED };
        if (asprintf(&target, "tandem-active@%s.target", run->group) < 0)
                return -ENOMEM;
        r = run->sd->open_local(run->timeout, &sd, &err);
        if (r < 0) {
                fail(ret, GROUP_NO_SYSTEMD, "tandem takeover needs systemd as PID 1: cannot reach systemd on the "
                     "system bus: %s", err ? err : strerror(-r));
                return 0;
        }
        note(run, "takeover of group %s on %s (the peer %s is taken to be dead and is fenced)", run->group,
             g->cluster.node, g->cluster.peer ? g->cluster.peer : "(none)");
        /* 1. Fence the peer, so that it can write no more, whatever it holds. */
        if (g->fence.present && g->cluster.peer && g->fence.peer_key != 0) {
                r = fence_peer(run, !run->force);
                if (r < 0) {
                        fail(ret, r == -EALREADY ? GROUP_NOT_STOPPED : GROUP_FAILED,
                             "takeover failed at: fence %s: %s. Nothing was started here.",
                             g->cluster.peer, fence_failure_words(r));
                        goto out;
                }
        } else
                note(run, "%s: no peer to fence (%s)", g->cluster.node,
                     g->fence.present ? "[cluster] peer is not set" : "the group runs unfenced");
        /* 2. Start the group here. */
        r = start_group(run, sd, target, g->cluster.node, true, run->sd->now(), "takeover", ret);
        if (r == 0)
                ret->result = GROUP_OK;
out:
        run->sd->close(sd);
        return 0;
}

int group_move(const struct group_run *run, struct group_report *ret) {
        const struct cfg_group *g = run->g;
        _cleanup_free_ char *target = NULL, *remote = NULL, *state = NULL, *err = NULL;
        void *local = NULL, *peer = NULL;
        char why[512] = "";
        bool forced = false;
        int r;

        *ret = (struct group_report) { .result = GROUP_FAILED };
        if (!g->cluster.peer) {
                fail(ret, GROUP_FAILED, "move: %s names no peer ([cluster] peer)", g->path);
                return 0;
        }
        bool here = !run->to || strcmp(run->to, g->cluster.node) == 0;
        if (!here && strcmp(run->to, g->cluster.peer) != 0) {
                fail(ret, GROUP_USAGE, "move --to %s: the group's nodes are %s (this node) and %s", run->to,
                     g->cluster.node, g->cluster.peer);
                return 0;
        }
        const char *pa = g->cluster.peer_address ? g->cluster.peer_address : g->cluster.peer;
        if (asprintf(&target, "tandem-active@%s.target", run->group) < 0 || asprintf(&remote, "root@%s", pa) < 0)
                return -ENOMEM;
        r = run->sd->open_local(run->timeout, &local, &err);
        if (r < 0) {
                fail(ret, GROUP_NO_SYSTEMD, "tandem move needs systemd as PID 1: cannot reach systemd on the "
                     "system bus: %s", err ? err : strerror(-r));
                return 0;
        }
        const char *src = here ? g->cluster.peer : g->cluster.node, *dst = here ? g->cluster.node : g->cluster.peer;
        note(run, "move group %s from %s to %s", run->group, src, dst);

        /* 0. Here is the destination: check what its start needs before
         * touching the peer. */
        if (here) {
                _cleanup_free_ char *reason = NULL;
                usec_t p0 = run->sd->now();
                char what[200];
                r = run->fence->preflight(g, &reason);
                snprintf(what, sizeof what, "preflight on %s (fence key, volume)", g->cluster.node);
                step(run, what, p0, r, r < 0 ? (reason ? reason : strerror(-r)) : "ok");
                if (r < 0) {
                        fail(ret, GROUP_NOT_STOPPED, "move refused: %s. Nothing was stopped or started; the group "
                             "is where it was", reason ? reason : strerror(-r));
                        goto out;
                }
        }

        /* 1. Reach the peer's systemd over SSH, as systemctl -H does. */
        usec_t t0 = run->sd->now();
        free(err);
        err = NULL;
        r = run->sd->open_peer(pa, run->peer_connect_timeout, run->timeout, &peer, &err);
        if (r >= 0) {
                free(err);
                err = NULL;
                r = run->sd->active_state(peer, target, &state, &err);
        }
        snprintf(why, sizeof why, "%s", r < 0 ? (err ? err : strerror(-r)) : "");
        char what[200];
        snprintf(what, sizeof what, "reach systemd on %s over SSH (%s)", g->cluster.peer, remote);
        step(run, what, t0, r, r < 0 ? why : state);
        if (r < 0) {
                if (!here || !run->force) {
                        fail(ret, GROUP_NOT_STOPPED, "move failed at: reach %s: %s. Nothing was stopped or started; "
                             "the group is where it was.%s", g->cluster.peer, why,
                             here ? " If the peer is dead, `tandem takeover` (or move --force) fences it." : "");
                        goto out;
                }
                note(run, "%s cannot be reached; --force: taking over, which fences it", g->cluster.peer);
                forced = true;
        } else {
                /* 2. Stop the group where it runs. The target's own stop job
                 * ends before the chain under it has stopped; the release in
                 * tandem-takeover@'s stop is the chain's last step, so wait
                 * for that too, and check it released (I5: a failed unmount
                 * leaves it failed, holding the reservation). */
                void *ssd = here ? peer : local;
                _cleanup_free_ char *src_state = NULL;
                (void) run->sd->active_state(ssd, target, &src_state, NULL);
                r = run_job(run, ssd, "StopUnit", target, src, why, sizeof why);
                if (r == 0)
                        r = stop_released(run, ssd, src, here ? g->fence.peer_key : g->fence.key, why, sizeof why);
                if (r == 0 && src_state && strcmp(src_state, "active") == 0) {
                        struct group_units su;
                        units_read(run, ssd, &su);
                        event(run, &(struct group_event) { .kind = GROUP_EVENT_STOPPED, .units = &su, .node = src });
                        group_units_done(&su);
                }
                if (r < 0) {
                        if (!here || !run->force) {
                                fail(ret, GROUP_NOT_STOPPED, "move failed at: stop %s on %s: %s. Nothing was started "
                                     "on %s; the group on %s may be partly stopped: see `tandem status` there.%s",
                                     target, src, why, dst, src,
                                     here ? " --force takes over anyway, fencing the peer." : "");
                                goto out;
                        }
                        note(run, "%s did not stop; --force: taking over, which fences it", src);
                        forced = true;
                }
        }
        /* 3. Forced: fence the peer first (here is the destination). */
        if (forced && g->fence.present && g->fence.peer_key != 0) {
                r = fence_peer(run, true);
                if (r < 0) {
                        fail(ret, r == -EALREADY ? GROUP_NOT_STOPPED : GROUP_FAILED,
                             "move --force failed at: fence %s: %s. Nothing was started here.",
                             g->cluster.peer, fence_failure_words(r));
                        goto out;
                }
        }
        /* 4. Start it on the destination. */
        r = start_group(run, here ? local : peer, target, dst, here, here ? run->sd->now() : 0, "move", ret);
        if (r < 0) {
                _cleanup_free_ char *e = TAKE_PTR(ret->error);
                fail(ret, GROUP_FAILED, "%s. The group is stopped on %s", e ? e : "move failed", src);
                goto out;
        }
        ret->result = GROUP_OK;
out:
        if (peer)
                run->sd->close(peer);
        run->sd->close(local);
        return 0;
}
