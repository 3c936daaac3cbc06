/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Takeover and move of one service group (DESIGN.md "Orchestration",
 * systemd mode), as steps over two small ops tables: systemd (job control,
 * unit states and times, the journal), and the group's fence devices. The
 * programs pass the real ones (group_systemd_bus, group_fence_real); unit
 * tests script both. Nothing here prints or logs: each step is told to
 * the caller as it ends (struct group_event), and the outcome comes back
 * in a report the caller prints. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "tandem/config.h"
#include "tandem/fence.h"
#include "tandem/group-status.h"

/* systemd, on this node or on the peer. sd is the connection. */
struct group_systemd_ops {
        /* Connects to this node's systemd. Returns 0 or -errno with *ret_error. */
        int (*open_local)(usec_t timeout, void **ret, char **ret_error);
        /* Connects to the peer's systemd at address (SSH, as systemctl -H
         * does), checking first that address answers on port 22 within
         * connect_timeout. Returns 0 or -errno with *ret_error. */
        int (*open_peer)(const char *address, usec_t connect_timeout, usec_t timeout, void **ret,
                         char **ret_error);
        void (*close)(void *sd);
        /* As gs_unit_job(). */
        int (*job)(void *sd, const char *method, const char *unit, usec_t timeout, char **ret_result,
                   char **ret_error);
        /* As gs_unit_active_state(). */
        int (*active_state)(void *sd, const char *unit, char **ret, char **ret_error);
        /* As gs_unit_times(); on failure *ret is zeroed. */
        int (*unit_times)(void *sd, const char *unit, struct gs_unit_times *ret);
        /* The last error, or OCF exit reason, unit logged in this node's
         * journal since the realtime since; a new string or NULL. */
        char *(*last_error)(const char *unit, usec_t since);
        usec_t (*now)(void);            /* CLOCK_MONOTONIC, usec */
        usec_t (*realtime)(void);       /* CLOCK_REALTIME, usec */
};
extern const struct group_systemd_ops group_systemd_bus;

/* The group's fence devices. */
struct group_fence_ops {
        /* As group_fence_open(). */
        int (*open)(const struct cfg_group *g, struct fence *f, char **ret_reason);
        /* As group_preflight(). */
        int (*preflight)(const struct cfg_group *g, char **ret_reason);
};
extern const struct group_fence_ops group_fence_real;

/* The group's units, in start order, as systemd reports them. */
#define GROUP_UNITS_MAX 7
struct group_units {
        char name[GROUP_UNITS_MAX][300];
        struct gs_unit_times t[GROUP_UNITS_MAX];        /* active_state NULL: unknown */
        size_t n;
};
/* Fills u with the names of group grp's units (takeover, watch, raid,
 * volume, address, the service if any, the target); the times are left
 * zero. */
void group_units_names(const struct cfg_group *g, const char *grp, struct group_units *u);
void group_units_done(struct group_units *u);
/* The order in which units reached a moment: ord[] gets the indexes of the
 * units with from <= at[i] (and at[i] > 0), sorted by at[]; returns their
 * number (pure). */
size_t group_units_order(const usec_t *at, size_t n, usec_t from, size_t ord[static GROUP_UNITS_MAX]);

/* What a takeover or a move tells its caller as it goes. */
enum group_event_kind {
        GROUP_EVENT_STEP,       /* a step ended: what, took, outcome (error 0: it went well) */
        GROUP_EVENT_NOTE,       /* a line for people: text */
        GROUP_EVENT_FENCE,      /* the peer was fenced (or not): fence, fence_r */
        GROUP_EVENT_STOPPED,    /* the group stopped on node: units (for the stop timeline) */
};
struct group_event {
        enum group_event_kind kind;
        const char *what;
        usec_t took;
        const char *outcome;
        int error;
        const char *text;
        const struct fence *fence;
        int fence_r;
        const struct group_units *units;
        const char *node;
};

struct group_run {
        const struct cfg_group *g;
        const char *group;              /* the group's name (tandem-active@GROUP.target) */
        usec_t timeout;                 /* each job */
        usec_t peer_connect_timeout;    /* move: the TCP connect to the peer's SSH port */
        bool force;                     /* takeover: fence a holding peer without watching its
                                         * heartbeat; move: fence a peer that cannot be reached
                                         * or stopped */
        usec_t peer_wait;               /* how long a holder's heartbeat is watched (I3) */
        const char *to;                 /* move: the destination (NULL: this node) */
        const struct group_systemd_ops *sd;
        const struct group_fence_ops *fence;
        void (*event)(void *userdata, const struct group_event *e);
        void *userdata;
        int (*sleep)(usec_t);           /* for the heartbeat watch; NULL: one look */
};

enum group_result {
        GROUP_OK,
        GROUP_FAILED,           /* a step failed after something changed, or fencing failed */
        GROUP_NOT_STOPPED,      /* move: refused, or the peer not reached or not stopped; nothing started */
        GROUP_NO_SYSTEMD,       /* no system bus here */
        GROUP_USAGE,            /* move --to names neither node */
        _GROUP_RESULT_MAX,
        _GROUP_RESULT_INVALID = -EINVAL,
};

struct group_report {
        enum group_result result;
        char *error;            /* what failed, and what that means, in words */
        bool started;           /* a start job ran: units is the destination's, from units_base */
        struct group_units units;
        usec_t units_base;      /* 0: from the earliest unit */
        char *start_node;       /* where it ran */
        char *failed_step;      /* the first unit that failed, and why (when a start failed) */
        char *left_behind;      /* what the failed start left active, failed, not running */
        char *still_holds;      /* set when the failed node still holds the reservation */
};
void group_report_done(struct group_report *r);

/* Fences the peer (it is taken to be dead) and starts the group here.
 * Returns 0 when the report was filled (look at ret->result), or -ENOMEM. */
int group_takeover(const struct group_run *run, struct group_report *ret);
/* Moves the group: to this node (stop it on the peer, then start it here),
 * or with run->to the peer (stop here, start there). Returns as
 * group_takeover(). */
int group_move(const struct group_run *run, struct group_report *ret);
