/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fence operations. No I/O of their own: everything goes through the
 * PR operations of fence/scsi-pr.c, so the mock transport can drive every
 * branch in unit tests. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tandem/fence.h"
#include "tandem/key.h"
#include "tandem/util.h"

static void vstep(struct fence *f, const char *device, int error, bool warning, const char *fmt, va_list ap)
        _printf_(5, 0);
static void vstep(struct fence *f, const char *device, int error, bool warning, const char *fmt, va_list ap) {
        struct fence_report *r = &f->report;
        struct fence_step *n = realloc(r->steps, (r->n + 1) * sizeof *n);
        char *a = NULL;

        if (!n)
                return;
        r->steps = n;
        if (vasprintf(&a, fmt, ap) < 0)
                a = NULL;
        r->steps[r->n++] = (struct fence_step) {
                .device = strdup(device ? device : "-"),
                .action = a,
                .error = error,
                .warning = warning,
        };
}

static void step(struct fence *f, const struct pr_dev *d, int error, bool warning, const char *fmt, ...)
        _printf_(5, 6);
static void step(struct fence *f, const struct pr_dev *d, int error, bool warning, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vstep(f, d ? d->name : NULL, error, warning, fmt, ap);
        va_end(ap);
}

static void step_named(struct fence *f, const char *device, int error, const char *fmt, ...) _printf_(4, 5);
static void step_named(struct fence *f, const char *device, int error, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vstep(f, device, error, false, fmt, ap);
        va_end(ap);
}

/* Records a failed device command with the device's own words. */
static int fail(struct fence *f, const struct pr_dev *d, int r, const struct pr_status *st, const char *what) {
        char buf[160];
        step(f, d, r, false, "%s: %s", what, pr_status_describe(st, r, buf, sizeof buf));
        return r;
}

bool pr_keys_contain(const struct pr_keys *keys, uint64_t k) {
        for (uint32_t i = 0; i < keys->n_keys; i++)
                if (keys->keys[i] == k)
                        return true;
        return false;
}

static int cmp_identity(const void *a, const void *b) {
        const struct pr_dev *x = *(struct pr_dev *const *) a, *y = *(struct pr_dev *const *) b;
        return strcmp(x->identity, y->identity);
}

int fence_init(struct fence *f, struct pr_dev **devs, size_t n, uint64_t key, enum pr_type type, unsigned flags) {
        *f = (struct fence) { .devs = devs, .n = n, .key = key, .type = type, .flags = flags };
        if (key == 0) {
                step(f, NULL, -EINVAL, false, "no key for this node (a key is never zero)");
                return -EINVAL;
        }
        qsort(devs, n, sizeof *devs, cmp_identity);
        for (size_t i = 1; i < n; i++)
                if (strcmp(devs[i - 1]->identity, devs[i]->identity) == 0) {
                        step(f, devs[i], -EINVAL, false, "is the same LU (%s) as %s; list each LU once",
                             devs[i]->identity, devs[i - 1]->name);
                        return -EINVAL;
                }
        return 0;
}

int fence_open(struct fence *f, char *const *specs, size_t n, const struct pr_open_args *a, uint64_t key,
               enum pr_type type, unsigned flags) {
        struct pr_dev **devs = calloc(n ? n : 1, sizeof *devs);

        *f = (struct fence) { .key = key, .type = type, .flags = flags };
        if (!devs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *why = NULL;
                int r = pr_dev_open(specs[i], a, &devs[i], &why);
                if (r < 0) {
                        step_named(f, specs[i], r, "cannot open: %s", why ? why : strerror(-r));
                        for (size_t j = 0; j < i; j++)
                                pr_dev_close(devs[j]);
                        free(devs);
                        return r;
                }
        }
        /* fence_init() starts the report afresh; nothing is in it yet. */
        return fence_init(f, devs, n, key, type, flags);
}

void fence_done(struct fence *f) {
        for (size_t i = 0; i < f->n; i++)
                pr_dev_close(f->devs[i]);
        free(f->devs);
        for (size_t i = 0; i < f->report.n; i++) {
                free(f->report.steps[i].device);
                free(f->report.steps[i].action);
        }
        free(f->report.steps);
        *f = (struct fence) {};
}

/* Reads keys and reservation. */
static int snapshot(struct fence *f, struct pr_dev *d, struct pr_keys *keys, struct pr_reservation *res) {
        struct pr_status st;
        int r = pr_read_keys(d, keys, &st);
        if (r < 0)
                return fail(f, d, r, &st, "READ KEYS");
        r = pr_read_reservation(d, res, &st);
        if (r < 0) {
                pr_keys_done(keys);
                return fail(f, d, r, &st, "READ RESERVATION");
        }
        return 0;
}

/* On transports where a registration belongs to one login session (tgtd:
 * each run of a tool is a new I_T nexus), make sure this session is
 * registered with our key, but only while our key is still registered: a
 * node that was fenced must not register itself back (I7).
 *
 * 1. A plain REGISTER with our key as the old and the new key (the
 *    heartbeat's command) succeeds only from a nexus already registered
 *    with our key, one that no preempt has touched: then nothing else is
 *    needed. This is the case on targets that keep one I_T nexus per
 *    initiator and ISID across sessions (LIO), where registering "again"
 *    and undoing would remove the node's only registration.
 * 2. RESERVATION CONFLICT: this nexus is not registered. Read the keys: our
 *    key gone means we are fenced. Else REGISTER AND IGNORE EXISTING KEY
 *    registers this nexus, and the keys are read again: the PR generation
 *    must have moved by exactly that one registration. A preempt in between
 *    (or anything else: we cannot tell) moves it more; then this nexus's
 *    registration, which we know we just made, is undone and we start over,
 *    after a short pause that differs between processes. */
#define REBIND_TRIES 5
static int rebind(struct fence *f, struct pr_dev *d) {
        char kb[KEY_STRING_MAX];
        int r;

        if (!d->session_bound)
                return 0;
        for (unsigned attempt = 0; attempt < REBIND_TRIES; attempt++) {
                struct pr_keys keys = {};
                struct pr_status st;
                if (attempt > 0)
                        (void) sleep_usec((usec_t) (1000 + (now(CLOCK_MONOTONIC) ^ (usec_t) getpid() * 7919) % 20000));
                r = pr_register(d, f->key, f->key, false, f->flags, &st);
                if (r == 0)
                        return 0;               /* this nexus is registered with our key */
                if (r != -EBADE)
                        return fail(f, d, r, &st, "REGISTER (is this session registered?)");
                r = pr_read_keys(d, &keys, &st);
                if (r < 0)
                        return fail(f, d, r, &st, "READ KEYS");
                bool present = pr_keys_contain(&keys, f->key);
                uint32_t gen = keys.generation;
                pr_keys_done(&keys);
                if (!present) {
                        step(f, d, -EPERM, false, "our key %s is not registered: this node is fenced",
                             key_format(f->key, kb));
                        return -EPERM;
                }
                r = pr_register(d, 0, f->key, true, f->flags, &st);
                if (r < 0)
                        return fail(f, d, r, &st, "REGISTER AND IGNORE EXISTING KEY (this session)");
                r = pr_read_keys(d, &keys, &st);
                if (r < 0) {
                        (void) pr_register(d, 0, 0, true, 0, &st);
                        return fail(f, d, r, &st, "READ KEYS (after registering this session)");
                }
                bool once = keys.generation == (uint32_t) (gen + 1) && pr_keys_contain(&keys, f->key);
                pr_keys_done(&keys);
                if (once)
                        return 0;
                /* Something else changed meanwhile, perhaps a preempt of our
                 * key: take back the registration this nexus just made. */
                r = pr_register(d, 0, 0, true, 0, &st);
                if (r < 0)
                        return fail(f, d, r, &st, "REGISTER AND IGNORE EXISTING KEY 0 (undoing this session's "
                                    "registration)");
        }
        step(f, d, -EAGAIN, false, "the registrations kept changing while this session registered; gave up");
        return -EAGAIN;
}

/* Undoes rebind() when we find our reservation taken while we worked: the
 * peer preempted us, perhaps between our READ KEYS and our REGISTER, and
 * this session's registration must not bring a fenced node back. */
static void unbind(struct fence *f, struct pr_dev *d) {
        struct pr_status st;
        if (d->session_bound)
                (void) pr_register(d, 0, 0, true, 0, &st);
        (void) f;
}

int fence_bind_device(struct fence *f, size_t i) {
        if (i >= f->n)
                return -EINVAL;
        return rebind(f, f->devs[i]);
}

int fence_unfence(struct fence *f) {
        char kb[KEY_STRING_MAX];
        int ret = 0;

        for (size_t i = 0; i < f->n; i++) {
                struct pr_dev *d = f->devs[i];
                struct pr_keys keys = {};
                struct pr_capabilities caps;
                struct pr_status st;
                /* Before first use: does the device do PR, and our type?
                 * REPORT CAPABILITIES is optional in SPC-3, so a refusal
                 * only means we learn it from REGISTER. */
                int r = pr_report_capabilities(d, &caps, &st);
                if (r == 0 && !pr_capabilities_has_type(&caps, f->type)) {
                        step(f, d, -EOPNOTSUPP, false, "does not support reservation type %s (REPORT CAPABILITIES)",
                             pr_type_to_string(f->type));
                        ret = ret ?: -EOPNOTSUPP;
                        continue;
                }
                r = pr_register(d, 0, f->key, true, f->flags, &st);
                if (r < 0 && st.outcome == PR_OUTCOME_UNSUPPORTED) {
                        step(f, d, r, false, "does not support persistent reservations "
                             "(PERSISTENT RESERVE OUT is not a command it knows); tandem cannot fence with it");
                        ret = ret ?: r;
                        continue;
                }
                if (r < 0) {
                        ret = ret ?: fail(f, d, r, &st, "REGISTER AND IGNORE EXISTING KEY");
                        continue;
                }
                r = pr_read_keys(d, &keys, &st);
                if (r < 0) {
                        ret = ret ?: fail(f, d, r, &st, "READ KEYS");
                        continue;
                }
                bool ok = pr_keys_contain(&keys, f->key);
                pr_keys_done(&keys);
                if (!ok) {
                        step(f, d, -EIO, false, "registered %s, but READ KEYS does not show it", key_format(f->key, kb));
                        ret = ret ?: -EIO;
                        continue;
                }
                step(f, d, 0, false, "registered %s%s", key_format(f->key, kb),
                     f->flags & PR_FLAG_APTPL ? " (APTPL)" : "");
        }
        return ret;
}

/* I2: our key holds the reservation with our type; the victim's key is gone. */
static int verify(struct fence *f, struct pr_dev *d, uint64_t victim) {
        struct pr_keys keys = {};
        struct pr_reservation res = {};
        char kb[KEY_STRING_MAX], vb[KEY_STRING_MAX];
        int r = snapshot(f, d, &keys, &res);
        if (r < 0)
                return r;
        bool victim_left = victim != 0 && pr_keys_contain(&keys, victim);
        pr_keys_done(&keys);
        if (!res.held || res.key != f->key) {
                step(f, d, -EBADE, false, "verify: the reservation is %s, not ours (%s)",
                     res.held ? key_format(res.key, vb) : "not held", key_format(f->key, kb));
                return -EBADE;
        }
        if (res.type != f->type) {
                step(f, d, -EBADE, false, "verify: reservation type %d, not %s", res.type, pr_type_to_string(f->type));
                return -EBADE;
        }
        if (victim_left) {
                step(f, d, -EBADE, false, "verify: the peer's key %s is still registered", key_format(victim, vb));
                return -EBADE;
        }
        step(f, d, 0, false, "verified: reservation held by %s (%s)%s", key_format(f->key, kb),
             pr_type_to_string(f->type), victim ? ", peer's key gone" : "");
        return 0;
}

/* PREEMPT AND ABORT, or PREEMPT where the target refuses that (tgtd). */
/* Is victim's key registered on d, or the holder? 1 yes, 0 no, or -errno. */
static int registered(struct fence *f, struct pr_dev *d, uint64_t victim) {
        struct pr_keys keys = {};
        struct pr_reservation res = {};
        int r = snapshot(f, d, &keys, &res);
        if (r < 0)
                return r;
        bool there = pr_keys_contain(&keys, victim) || (res.held && res.key == victim);
        pr_keys_done(&keys);
        return there;
}

/* Preempts victim's key on d. With absent_ok, a victim that turns out not to
 * be registered is success: a PREEMPT naming a key that no I_T nexus has
 * ends in RESERVATION CONFLICT (SPC-4, PREEMPT), and fencing a node that is
 * already fenced must succeed (fence agents' "off" is idempotent). The keys
 * are read only then, off the common path. */
static int preempt_one(struct fence *f, struct pr_dev *d, uint64_t victim, bool absent_ok) {
        char vb[KEY_STRING_MAX];
        struct pr_status st;
        bool abort = true;
        int r = pr_preempt(d, f->key, victim, f->type, true, &st);
        /* Refused as invalid; through the kernel's PR ioctls (blkpr) the same
         * refusal comes back as CHECK CONDITION without sense. */
        if (r == -EOPNOTSUPP || (r == -EIO && st.status == SAM_STAT_CHECK_CONDITION && !st.has_sense)) {
                abort = false;
                r = pr_preempt(d, f->key, victim, f->type, false, &st);
        }
        if (r == -EBADE && absent_ok) {
                int q = registered(f, d, victim);
                if (q < 0)
                        return q;
                if (q == 0) {
                        step(f, d, 0, false, "%s is not registered: nothing to preempt", key_format(victim, vb));
                        return 0;
                }
        }
        if (r < 0)
                return fail(f, d, r, &st, abort ? "PREEMPT AND ABORT" : "PREEMPT");
        if (abort)
                step(f, d, 0, false, "preempted %s with PREEMPT AND ABORT", key_format(victim, vb));
        else {
                step(f, d, 0, true, "preempted %s with PREEMPT: the target refused PREEMPT AND ABORT, so "
                     "commands the peer already queued were not aborted", key_format(victim, vb));
                f->unaborted = true;
        }
        return 0;
}

/* Reads what holds each device, in the fixed order. Returns 0, -EPERM when
 * our key is gone on the first device, or -errno. */
static int takeover_snapshot(struct fence *f, struct pr_reservation *start, uint32_t *gens) {
        char kb[KEY_STRING_MAX];
        for (size_t i = 0; i < f->n; i++) {
                struct pr_keys keys = {};
                int r = snapshot(f, f->devs[i], &keys, &start[i]);
                if (r < 0)
                        return r;
                bool ours = pr_keys_contain(&keys, f->key);
                gens[i] = keys.generation;
                pr_keys_done(&keys);
                if (i == 0 && !ours) {
                        step(f, f->devs[0], -EPERM, false,
                             "our key %s is not registered on the first device: this node has been fenced (or "
                             "was never unfenced); stopping",
                             key_format(f->key, kb));
                        return -EPERM;
                }
        }
        return 0;
}

/* M5: after a PREEMPT without abort, wait f->drain before success is
 * reported, so that whatever the victim had queued has landed or failed
 * before the volume is trusted. */
static void drain(struct fence *f) {
        if (!f->unaborted || f->drain == 0)
                return;
        step(f, NULL, 0, true, "waiting %.1fs (drain) before the volume may be trusted: the victim's queued "
             "writes were not aborted", (double) f->drain / USEC_PER_SEC);
        (f->sleep ? f->sleep : sleep_usec)(f->drain);
}

/* Watches the generation and the holder of every device the peer holds for
 * o->peer_wait, polling every o->peer_poll. The peer's watch renews its
 * heartbeat on one device after another, so a slow or dead device of its
 * delays the others: any move on any of them counts. Returns 0 when nothing
 * moved (the peer is taken to be dead), -EALREADY when something did (it
 * lives: the report says so), or -errno. */
static int watch_holder(struct fence *f, uint64_t peer_key, const struct pr_reservation *start,
                        const uint32_t *gens, const struct fence_takeover_opts *o) {
        size_t first = f->n, held = 0;
        char pb[KEY_STRING_MAX];
        for (size_t i = 0; i < f->n; i++)
                if (start[i].held && start[i].key == peer_key) {
                        held++;
                        if (first == f->n)
                                first = i;
                }
        if (held == 0)
                return 0;
        usec_t poll = o->peer_poll ? o->peer_poll : o->peer_wait / 8 + 1;
        usec_t t0 = now(CLOCK_MONOTONIC), deadline = t0 + o->peer_wait;
        step(f, f->devs[first], 0, false, "the peer (%s) holds the reservation: watching its heartbeat on %zu "
             "device%s for %.1fs before taking it to be dead", key_format(peer_key, pb), held, held == 1 ? "" : "s",
             (double) o->peer_wait / USEC_PER_SEC);
        for (;;) {
                usec_t t = now(CLOCK_MONOTONIC);
                if (t >= deadline)
                        break;
                if (o->sleep)
                        o->sleep(deadline - t < poll ? deadline - t : poll);
                for (size_t i = 0; i < f->n; i++) {
                        if (!(start[i].held && start[i].key == peer_key))
                                continue;
                        struct pr_keys keys = {};
                        struct pr_reservation res = {};
                        int r = snapshot(f, f->devs[i], &keys, &res);
                        if (r < 0)
                                return r;
                        uint32_t gen = keys.generation;
                        pr_keys_done(&keys);
                        if (gen != gens[i] || res.held != start[i].held || res.key != start[i].key) {
                                step(f, f->devs[i], -EALREADY, false,
                                     "the peer is alive: the PR generation moved (%u -> %u) %.1fs into the wait, as "
                                     "its heartbeat does; not fencing a live node. To move the group here, run "
                                     "`tandem move`",
                                     gens[i], gen, (double) (now(CLOCK_MONOTONIC) - t0) / USEC_PER_SEC);
                                return -EALREADY;
                        }
                }
                if (!o->sleep)
                        break;  /* no way to wait: one look */
        }
        step(f, f->devs[first], 0, false, "no heartbeat from the peer in %.1fs: taken to be dead",
             (double) o->peer_wait / USEC_PER_SEC);
        return 0;
}

int fence_peer_alive(struct fence *f, uint64_t peer_key, const struct fence_takeover_opts *o) {
        size_t n = f->n ? f->n : 1;
        _cleanup_free_ struct pr_reservation *start = calloc(n, sizeof *start);
        _cleanup_free_ uint32_t *gens = calloc(n, sizeof *gens);
        if (!start || !gens)
                return -ENOMEM;
        int r = takeover_snapshot(f, start, gens);
        if (r < 0)
                return r;
        r = watch_holder(f, peer_key, start, gens, o);
        return r == -EALREADY ? 1 : r;
}

int fence_takeover(struct fence *f, uint64_t peer_key, const struct fence_takeover_opts *o) {
        static const struct fence_takeover_opts defaults = {};
        size_t n = f->n ? f->n : 1;
        struct pr_reservation *start = calloc(n, sizeof *start), *again = calloc(n, sizeof *again);
        uint32_t *gens = calloc(n, sizeof *gens), *gens2 = calloc(n, sizeof *gens2);
        char kb[KEY_STRING_MAX], pb[KEY_STRING_MAX];
        int r;

        if (!start || !again || !gens || !gens2) {
                r = -ENOMEM;
                goto out;
        }
        if (!o)
                o = &defaults;
        /* 1. What held when we began. */
        r = takeover_snapshot(f, start, gens);
        /* A peer holding some devices but not all is in the middle of its own
         * takeover, or died there. Wait; if nothing moved, it is dead. */
        size_t peer_held = 0;
        for (size_t i = 0; r == 0 && i < f->n; i++)
                peer_held += start[i].held && start[i].key == peer_key && peer_key != 0;
        if (r == 0 && peer_held > 0 && peer_held < f->n) {
                step(f, NULL, 0, false, "the peer holds %zu of %zu devices: waiting to see whether its takeover "
                     "is still running", peer_held, f->n);
                if (o->sleep)
                        o->sleep(o->settle);
                r = takeover_snapshot(f, again, gens2);
                for (size_t i = 0; r == 0 && i < f->n; i++)
                        if (gens2[i] != gens[i] || again[i].held != start[i].held || again[i].key != start[i].key) {
                                step(f, f->devs[i], -EALREADY, false,
                                     "lost the race: the peer's takeover is still moving; stopping");
                                r = -EALREADY;
                        }
        }
        /* The peer holds the reservation: it is fenced only once it is known
         * dead (I3). A live holder's watch renews its heartbeat every
         * watch_interval, which moves the PR generation; watch it for
         * o->peer_wait. A move, or any change of the holder, means the peer
         * lives: touch nothing. */
        if (r == 0 && peer_held > 0 && o->peer_wait > 0)
                r = watch_holder(f, peer_key, start, gens, o);
        if (r == 0 && o->after_snapshot)
                o->after_snapshot(o->userdata);
        /* 2. Act, in the same order. */
        for (size_t i = 0; i < f->n && r == 0; i++) {
                struct pr_dev *d = f->devs[i];
                struct pr_reservation now = {};
                struct pr_status st;

                r = rebind(f, d);
                if (r < 0)
                        break;
                r = pr_read_reservation(d, &now, &st);
                if (r < 0) {
                        fail(f, d, r, &st, "READ RESERVATION");
                        break;
                }
                if (now.held && now.key == f->key) {
                        step(f, d, 0, false, "already held by us");
                        continue;
                }
                if (start[i].held && start[i].key == f->key) {
                        /* Ours when we began, not now: we were preempted meanwhile. */
                        unbind(f, d);
                        step(f, d, -EPERM, false, "our reservation was taken while we worked: this node is fenced");
                        r = -EPERM;
                        break;
                }
                if (start[i].held && start[i].key == peer_key && peer_key != 0) {
                        /* The peer held it when we began: it is taken to be dead; fence it. */
                        r = preempt_one(f, d, peer_key, false);
                        continue;
                }
                if (start[i].held) {
                        step(f, d, -EBUSY, false, "held by %s, which is neither us nor the peer (%s); not touching it",
                             key_format(start[i].key, kb), peer_key ? key_format(peer_key, pb) : "unknown");
                        r = -EBUSY;
                        break;
                }
                if (now.held) {
                        /* Nobody held it when we began; now somebody does: lost
                         * the race. The peer reserved, it did not preempt (it
                         * preempts only a holder), so our registration stands. */
                        step(f, d, -EALREADY, false, "lost the race: %s reserved it after we began; stopping",
                             key_format(now.key, kb));
                        r = -EALREADY;
                        break;
                }
                r = pr_reserve(d, f->key, f->type, &st);
                if (r == -EBADE) {
                        struct pr_reservation after = {};
                        if (pr_read_reservation(d, &after, &st) == 0 && after.held && after.key != f->key) {
                                step(f, d, -EALREADY, false, "lost the race: %s reserved it first; stopping",
                                     key_format(after.key, kb));
                                r = -EALREADY;
                        } else
                                fail(f, d, r, &st, "RESERVE");
                        break;
                }
                if (r < 0) {
                        fail(f, d, r, &st, "RESERVE");
                        break;
                }
                step(f, d, 0, false, "reserved (%s)", pr_type_to_string(f->type));
        }
        /* 3. Verify everywhere (I2). */
        for (size_t i = 0; i < f->n && r == 0; i++) {
                bool preempted = start[i].held && start[i].key == peer_key && peer_key != 0;
                r = verify(f, f->devs[i], preempted ? peer_key : 0);
        }
        if (r == 0)
                drain(f);
out:
        free(start);
        free(again);
        free(gens);
        free(gens2);
        return r;
}

/* Runs op on every device, each bound to this session first (rebind),
 * going on past a failing device; returns the first -errno, or 0. With
 * first_decides, a failure on the first device (in identity order) stops
 * there and touches no other (I3: in a fence race over several LUNs, the
 * node that loses the first one must not take the second). */
static int for_each_bound(struct fence *f, int (*op)(struct fence *f, struct pr_dev *d, const void *arg),
                          const void *arg, bool first_decides) {
        int ret = 0;
        for (size_t i = 0; i < f->n; i++) {
                int r = rebind(f, f->devs[i]);
                if (r == 0)
                        r = op(f, f->devs[i], arg);
                if (r < 0 && i == 0 && first_decides && f->n > 1) {
                        step(f, f->devs[0], r, false, "the first device decides: stopped here, the other %zu "
                             "device%s not touched", f->n - 1, f->n == 2 ? " was" : "s were");
                        return r;
                }
                ret = ret ?: r;
        }
        return ret;
}

static int release_one(struct fence *f, struct pr_dev *d, const void *arg) {
        struct pr_reservation res = {};
        struct pr_status st;
        (void) arg;
        int r = pr_release(d, f->key, f->type, &st);
        if (r < 0)
                return fail(f, d, r, &st, "RELEASE");
        r = pr_read_reservation(d, &res, &st);
        if (r < 0)
                return fail(f, d, r, &st, "READ RESERVATION");
        if (res.held && res.key == f->key && d->session_bound) {
                /* Held through another of our sessions (an earlier run):
                 * PREEMPT our own key moves it to this session (SPC-4
                 * 5.12.11.2.3), which can then release it. */
                r = pr_preempt(d, f->key, f->key, f->type, false, &st);
                if (r == 0)
                        r = pr_release(d, f->key, f->type, &st);
                if (r == 0)
                        r = pr_read_reservation(d, &res, &st);
                if (r < 0)
                        return fail(f, d, r, &st, "RELEASE through this session");
        }
        if (res.held && res.key == f->key) {
                step(f, d, -EIO, false, "released, but the reservation is still ours");
                return -EIO;
        }
        step(f, d, 0, false, "released; our key stays registered");
        return 0;
}

int fence_release(struct fence *f) {
        return for_each_bound(f, release_one, NULL, false);
}

/* I2 after a preempt: the victim's key is gone, and a reservation is held,
 * by us where we took it: without one, nothing stops an unregistered node's
 * writes. Where nobody holds one, reserve. */
static int preempt_verify(struct fence *f, struct pr_dev *d, uint64_t victim) {
        struct pr_keys keys = {};
        struct pr_reservation res = {};
        struct pr_status st;
        char vb[KEY_STRING_MAX], kb[KEY_STRING_MAX];
        int r = snapshot(f, d, &keys, &res);
        if (r < 0)
                return r;
        bool left = pr_keys_contain(&keys, victim);
        pr_keys_done(&keys);
        if (left) {
                step(f, d, -EBADE, false, "verify: %s is still registered", key_format(victim, vb));
                return -EEXIST;
        }
        if (!res.held) {
                r = pr_reserve(d, f->key, f->type, &st);
                if (r < 0 && r != -EBADE) /* EBADE: somebody reserved meanwhile; look below */
                        return fail(f, d, r, &st, "RESERVE (nobody held the reservation)");
                if (r == 0)
                        step(f, d, 0, false, "nobody held the reservation: reserved it (%s)", pr_type_to_string(f->type));
                r = pr_read_reservation(d, &res, &st);
                if (r < 0)
                        return fail(f, d, r, &st, "READ RESERVATION");
        }
        if (!res.held || res.key == victim) {
                step(f, d, -EBADE, false, "verify: the reservation is %s", res.held ? "still the victim's" : "not held");
                return -EBADE;
        }
        step(f, d, 0, false, "verified: %s is gone; reservation held by %s", key_format(victim, vb),
             key_format(res.key, kb));
        return 0;
}

/* Preempts victim on d and verifies. A victim seen registered again right
 * after our PREEMPT may be a new session of it that registered in the same
 * moment and takes its registration back once it sees it was fenced (I7,
 * rebind()); it is preempted again, a bounded number of times. */
#define PREEMPT_TRIES 3
static int preempt_verified(struct fence *f, struct pr_dev *d, const void *arg) {
        uint64_t victim = *(const uint64_t *) arg;
        int r = 0;
        for (unsigned attempt = 0; attempt < PREEMPT_TRIES; attempt++) {
                if (attempt > 0)
                        (void) sleep_usec(5 * USEC_PER_MSEC);
                r = preempt_one(f, d, victim, true);
                if (r < 0)
                        return r;
                r = preempt_verify(f, d, victim);
                if (r != -EEXIST)
                        return r;
        }
        return -EBADE;
}

int fence_preempt(struct fence *f, uint64_t victim) {
        int r = for_each_bound(f, preempt_verified, &victim, true);
        if (r == 0)
                drain(f);
        return r;
}

/* Removes our key from every nexus, and reads back that it is gone. Where a
 * registration belongs to a session (tgtd), earlier sessions of ours (an
 * earlier run, a data path) hold it too: PREEMPT of our own key from this
 * session removes those first (SPC-4 5.12.11.2.3), then this one goes. */
static int unregister_one(struct fence *f, struct pr_dev *d, const void *arg) {
        struct pr_keys keys = {};
        struct pr_status st;
        (void) arg;
        int r;
        if (d->session_bound) {
                r = pr_preempt(d, f->key, f->key, f->type, false, &st);
                if (r < 0)
                        return fail(f, d, r, &st, "PREEMPT of our own key (its other sessions)");
        }
        r = pr_register(d, 0, 0, true, 0, &st);
        if (r < 0)
                return fail(f, d, r, &st, "REGISTER AND IGNORE EXISTING KEY 0 (unregister)");
        r = pr_read_keys(d, &keys, &st);
        if (r < 0)
                return fail(f, d, r, &st, "READ KEYS (after unregistering)");
        bool left = pr_keys_contain(&keys, f->key);
        pr_keys_done(&keys);
        if (left) {
                step(f, d, -EBADE, false, "unregistered this session, but our key is still registered on another");
                return -EBADE;
        }
        step(f, d, 0, false, "unregistered; our key is gone");
        return 0;
}

int fence_unregister(struct fence *f) {
        return for_each_bound(f, unregister_one, NULL, false);
}

static int clear_one(struct fence *f, struct pr_dev *d, const void *arg) {
        struct pr_status st;
        (void) arg;
        int r = pr_clear(d, f->key, &st);
        if (r < 0)
                return fail(f, d, r, &st, "CLEAR");
        step(f, d, 0, false, "cleared every registration and the reservation");
        return 0;
}

int fence_clear(struct fence *f) {
        return for_each_bound(f, clear_one, NULL, false);
}

int fence_status(struct fence *f, struct fence_dev_status *ret) {
        int res = 0;
        for (size_t i = 0; i < f->n; i++) {
                struct fence_dev_status *s = &ret[i];
                *s = (struct fence_dev_status) { .device = f->devs[i]->name, .identity = f->devs[i]->identity };
                s->error = snapshot(f, f->devs[i], &s->keys, &s->res);
                if (s->error < 0) {
                        res = res < 0 ? res : s->error;
                        continue;
                }
                s->registered = pr_keys_contain(&s->keys, f->key);
                s->holder = s->res.held && s->res.key == f->key;
                if (!s->holder && res == 0)
                        res = 1;
        }
        return res;
}

void fence_dev_status_done(struct fence_dev_status *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                pr_keys_done(&s[i].keys);
}
