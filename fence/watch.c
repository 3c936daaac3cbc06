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
 * never register a fenced node again. Returns 1 when it went through, 0
 * when our key is gone, or -errno. */
static int beat_one(struct fence *f, size_t i, const struct pr_open_args *a, struct pr_status *st) {
        int r = pr_register(f->devs[i], f->key, f->key, false, f->flags, st);
        if (a && session_broke(r) && reopen(f, i, a) == 0)
                r = pr_register(f->devs[i], f->key, f->key, false, f->flags, st);
        if (r != -EBADE)
                return r < 0 ? r : 1;
        /* Refused: our key is gone, or only this session lost its
         * registration (a new session after a reconnect). */
        r = read_one(f, i, NULL, st);
        if (r <= 0)
                return r;
        r = fence_bind_device(f, i);
        if (r < 0)
                return r == -EPERM ? 0 : r;
        r = pr_register(f->devs[i], f->key, f->key, false, f->flags, st);
        return r == 0 ? 1 : r == -EBADE ? 0 : r;
}

int fence_watch_round(struct fence *f, const struct fence_watch_opts *o, struct fence_watch_result *ret) {
        bool graced = o && o->unreadable_since && o->now;
        unsigned tries = graced ? 1 : o && o->tries ? o->tries : 3;
        struct fence_watch_result res = {};
        int verdict = 0;

        for (size_t i = 0; i < f->n; i++) {
                struct pr_status st = {};
                int r = -EIO;
                for (unsigned attempt = 0; attempt < tries; attempt++) {
                        r = o && o->heartbeat ? beat_one(f, i, o->reopen, &st)
                                              : read_one(f, i, o ? o->reopen : NULL, &st);
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
                if (r == 0) {           /* our key is gone: no grace */
                        res.device = i;
                        verdict = 1;
                        break;
                }
                if (r > 0) {
                        if (graced)
                                o->unreadable_since[i] = 0;
                        continue;
                }
                if (!graced) {
                        res.device = i;
                        verdict = r;
                        break;
                }
                /* Unreadable: tolerated for o->grace from the first failure,
                 * one command per device per round, so that a round never
                 * outlasts the devices' timeouts and the watchdog holds. */
                usec_t t = o->now();
                if (o->unreadable_since[i] == 0)
                        o->unreadable_since[i] = t;
                res.unreadable++;
                res.device = i;
                if (t - o->unreadable_since[i] >= o->grace) {
                        verdict = r;
                        break;
                }
        }
        if (ret)
                *ret = res;
        return verdict;
}
