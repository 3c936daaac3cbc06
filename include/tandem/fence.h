/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fence operations over a set of devices (DESIGN.md, Keys and reservation
 * type; invariants I1-I3). Devices are always worked in one fixed order,
 * sorted by LU identity; the first decides. Every operation records what it
 * did on each device in a report, for people and for JSON. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tandem/transport.h"

struct fence_step {
        char *device;
        char *action;   /* what was done or seen, in words */
        int error;      /* 0 or -errno */
        bool warning;   /* done, but not the preferred way (e.g. PREEMPT for PREEMPT AND ABORT) */
};

struct fence_report {
        struct fence_step *steps;
        size_t n;
};

struct fence {
        struct pr_dev **devs;   /* sorted by identity */
        size_t n;
        uint64_t key;           /* ours */
        enum pr_type type;
        unsigned flags;         /* PR_FLAG_APTPL */
        /* After a PREEMPT without abort (the target refused PREEMPT AND
         * ABORT), the victim's queued writes may still land: a takeover or
         * a preempt waits this long before it reports success, so that the
         * volume is trusted only then (M5). Set by the caller; 0: no wait. */
        usec_t drain;
        int (*sleep)(usec_t);   /* for the drain; NULL: lib's sleep_usec */
        bool unaborted;         /* a PREEMPT without abort was used */
        struct fence_report report;
};

/* Takes ownership of devs (n of them), sorts them by identity and refuses
 * two strings that name one LU. Returns 0 or -EINVAL (reported). */
int fence_init(struct fence *f, struct pr_dev **devs, size_t n, uint64_t key, enum pr_type type, unsigned flags);
/* Opens the n device strings with a, then fence_init(). A device that cannot
 * be opened is named in the report with the reason; what was opened is
 * closed and its -errno returned. f is set up either way: fence_done() it. */
int fence_open(struct fence *f, char *const *specs, size_t n, const struct pr_open_args *a, uint64_t key,
               enum pr_type type, unsigned flags);
/* Closes the devices and frees the report. */
void fence_done(struct fence *f);

/* Registers our key on every device (REGISTER AND IGNORE EXISTING KEY) and
 * checks it is there. Returns 0 or the first -errno. */
int fence_unfence(struct fence *f);
/* Takes the reservation (I2, I3): preempts peer_key where the peer held it
 * when we began, reserves where nobody did, and verifies everywhere. When
 * the peer holds only some devices, waits o->settle (through o->sleep) and
 * looks again: if anything moved, its takeover is running and we lost.
 * o may be NULL.
 * Returns 0; -EPERM when our key is gone on the first device (we are
 * fenced); -EALREADY when the peer won the race or is alive (its heartbeat
 * moved; the report says which); -EBADE when the verification fails;
 * other -errno for device errors. */
struct fence_takeover_opts {
        usec_t settle;                          /* how long to watch a peer caught half-way */
        /* A peer that holds the reservation is fenced only when its
         * heartbeat (the PR generation) does not move for peer_wait (I3);
         * 0 skips the wait (--force; fence_tandem off: Pacemaker decided). */
        usec_t peer_wait;
        usec_t peer_poll;                       /* how often to look meanwhile (0: peer_wait / 8) */
        int (*sleep)(usec_t);                   /* NULL: do not wait */
        /* Called once the starting state is read, before anything changes. */
        void (*after_snapshot)(void *userdata);
        void *userdata;
};
int fence_takeover(struct fence *f, uint64_t peer_key, const struct fence_takeover_opts *o);
/* Whether the peer lives, as a takeover judges it (I3): when it holds the
 * reservation, watches its heartbeat for o->peer_wait. Returns 1 when it
 * moved (alive: the report says so), 0 when it did not or the peer holds
 * nothing, -EPERM when our own key is gone on the first device, or -errno. */
int fence_peer_alive(struct fence *f, uint64_t peer_key, const struct fence_takeover_opts *o);
/* Registers this session on device i where registrations belong to a
 * session (tgtd), only while our key is registered, and never bringing a
 * preempted key back (I7). Returns 0, -EPERM when we are fenced, or -errno. */
int fence_bind_device(struct fence *f, size_t i);
/* Releases our reservation, keeping our key registered. */
int fence_release(struct fence *f);
/* Fences victim: PREEMPT AND ABORT (PREEMPT where that is refused), then
 * checks that its key is gone everywhere. */
int fence_preempt(struct fence *f, uint64_t victim);
/* Removes our registration. */
int fence_unregister(struct fence *f);
/* Clears every registration and the reservation. */
int fence_clear(struct fence *f);

/* What a device shows, for status. */
struct fence_dev_status {
        const char *device;
        const char *identity;
        int error;
        struct pr_keys keys;
        struct pr_reservation res;
        bool registered;        /* our key is among the keys */
        bool holder;            /* we hold the reservation */
};

/* Reads every device. Fills ret[f->n]. Returns 0 when we hold the
 * reservation on every device, 1 when we do not somewhere, or -errno when
 * a device could not be read (its entry's error says which). */
int fence_status(struct fence *f, struct fence_dev_status *ret);
void fence_dev_status_done(struct fence_dev_status *s, size_t n);

/* Returns true if keys contains k. */
bool pr_keys_contain(const struct pr_keys *keys, uint64_t k);

/* One round of the self-fence watch (I4). */
struct fence_watch_opts {
        unsigned tries;                 /* reads per device before it counts as unreadable (default 3) */
        usec_t retry_wait;              /* between those reads */
        int (*sleep)(usec_t);           /* NULL: do not wait */
        const struct pr_open_args *reopen; /* reopen a device whose session broke; NULL: never */
        /* Renew the heartbeat (REGISTER, our key as old and new) instead of
         * only reading the keys: what a holder's watch does (I3). */
        bool heartbeat;
        /* With last_ok (f->n entries, zero at first: the first round sets
         * them) and now: one command per device per round, going on past
         * an unreadable device; a device counts as lost once grace has
         * passed since it last answered (I4). tries is then 1. */
        usec_t *last_ok;
        usec_t grace;
        usec_t (*now)(void);
};
struct fence_watch_result {
        size_t device;                  /* the device that decided; on success, the last one retried */
        int error;                      /* the last read error of a retried or unreadable device */
        unsigned retries;               /* failed reads retried in this round */
        unsigned unreadable;            /* devices that did not answer, within grace */
        bool reservation_lost;          /* heartbeat: our key stays, but the reservation is not ours */
};
/* Reads our key on every device (or, with o->heartbeat, renews the
 * heartbeat there), in order, retrying a failed read (or, with
 * o->unreadable_since, tolerating it for o->grace). Returns 0 when our key
 * is on every device that answered, 1 when it is gone from ret->device (we
 * are fenced: stop writing), or -errno when ret->device could not be read
 * in o->tries reads, or for longer than o->grace (also a loss). */
int fence_watch_round(struct fence *f, const struct fence_watch_opts *o, struct fence_watch_result *ret);
