/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One round of the self-fence watch (I4): the decision, apart from the
 * loop, the notifications and the stop, which belong to the program. */
#include <errno.h>
#include <stdlib.h>

#include "tandem/fence.h"

/* Reopens device i after its session broke (an iSCSI target restarted, a
 * path came back), and binds the new session (only while our key is
 * registered: a fenced node cannot come back this way, I7). Returns 0 or
 * -errno; the old device stays on failure. */
static int reopen(struct fence *f, size_t i, const struct pr_open_args *a) {
        struct pr_dev *n = NULL;
        char *why = NULL;
        int r = pr_dev_open(f->devs[i]->name, a, &n, &why);
        free(why);
        if (r < 0)
                return r;
        pr_dev_close(f->devs[i]);
        f->devs[i] = n;
        return fence_bind_device(f, i);
}

static bool session_broke(int r) {
        return r == -ENOTCONN || r == -ECONNRESET || r == -ETIMEDOUT;
}

/* Reads the keys of device i. Returns 1 when our key is there, 0 when not,
 * or -errno. */
static int read_one(struct fence *f, size_t i, const struct pr_open_args *a, struct pr_status *st) {
        struct pr_keys keys = {};
        int r = pr_read_keys(f->devs[i], &keys, st);
        if (a && session_broke(r) && reopen(f, i, a) == 0)
                r = pr_read_keys(f->devs[i], &keys, st);
        if (r < 0)
                return r;
        r = pr_keys_contain(&keys, f->key);
        pr_keys_done(&keys);
        return r;
}

/* The heartbeat on device i: REGISTER with our key as the old and the new
 * key, which a registered nexus may always do and which advances the PR
 * generation (SPC-4 REGISTER; the takeover on the other node watches it).
 * From a preempted nexus it fails with RESERVATION CONFLICT, so it can
 * never register a fenced node again. A session that broke is reopened
 * only when allow_reopen (the grace leaves room for a login). Returns 1
 * when it went through, 0 when our key is gone, or -errno. */
static int beat_one(struct fence *f, size_t i, const struct pr_open_args *a, bool allow_reopen,
                    struct pr_status *st) {
        int r = pr_register(f->devs[i], f->key, f->key, false, f->flags, st);
        if (a && allow_reopen && session_broke(r) && reopen(f, i, a) == 0)
                r = pr_register(f->devs[i], f->key, f->key, false, f->flags, st);
        if (r != -EBADE)
                return r < 0 ? r : 1;
        /* Refused: our key is gone, or (where a registration belongs to a
         * session) only this session is not registered: rebind tells, and
         * never brings a preempted key back (I7). */
        if (f->devs[i]->session_bound) {
                r = fence_bind_device(f, i);
                return r == 0 ? 1 : r == -EPERM ? 0 : r;
        }
        r = read_one(f, i, NULL, st);
        return r == 0 ? 0 : r < 0 ? r : -EBADE;    /* refused although registered: an error */
}

/* Whether we still hold the reservation on device i (the watch checks the
 * first device each round: a reservation lost while our key stays, by a
 * release or a target reset, leaves the peer free to reserve at once).
 * Returns 1, 0, or -errno. */
static int holds(struct fence *f, size_t i, struct pr_status *st) {
        struct pr_reservation res = {};
        int r = pr_read_reservation(f->devs[i], &res, st);
        if (r < 0)
                return r;
        return res.held && res.key == f->key;
}

int fence_watch_round(struct fence *f, const struct fence_watch_opts *o, struct fence_watch_result *ret) {
        bool graced = o && o->last_ok && o->now;
        unsigned tries = graced ? 1 : o && o->tries ? o->tries : 3;
        struct fence_watch_result res = {};
        int verdict = 0;

        for (size_t i = 0; i < f->n; i++) {
                struct pr_status st = {};
                int r = -EIO;
                usec_t t0 = graced ? o->now() : 0;
                if (graced && o->last_ok[i] == 0)
                        o->last_ok[i] = t0;
                /* A reconnect costs a login and a command: only while the
                 * grace leaves room for both. */
                bool room = !graced || !o->reopen ||
                            t0 + 2 * o->reopen->timeout < o->last_ok[i] + o->grace;
                for (unsigned attempt = 0; attempt < tries; attempt++) {
                        r = o && o->heartbeat ? beat_one(f, i, o->reopen, room, &st)
                                              : read_one(f, i, room && o ? o->reopen : NULL, &st);
                        if (r > 0 && i == 0 && o && o->heartbeat) {
                                int h = holds(f, i, &st);
                                if (h == 0) {
                                        res.device = i;
                                        res.reservation_lost = true;
                                        r = 0;
                                } else if (h < 0)
                                        r = h;
                        }
                        if (r >= 0)
                                break;
                        res.error = r;
                        res.device = i;
                        if (attempt + 1 < tries) {
                                res.retries++;
                                if (o && o->sleep)
                                        o->sleep(o->retry_wait);
                        }
                }
                if (r == 0) {           /* our key (or the reservation) is gone: no grace */
                        res.device = i;
                        verdict = 1;
                        break;
                }
                if (r > 0) {
                        if (graced)
                                o->last_ok[i] = o->now();
                        continue;
                }
                if (!graced) {
                        res.device = i;
                        verdict = r;
                        break;
                }
                /* Unreadable: tolerated until grace has passed since the
                 * device last answered, one command per device per round,
                 * so that a round never outlasts the devices' timeouts and
                 * the watchdog holds. */
                res.unreadable++;
                res.device = i;
                if (o->now() - o->last_ok[i] >= o->grace) {
                        verdict = r;
                        break;
                }
        }
        if (ret)
                *ret = res;
        return verdict;
}
