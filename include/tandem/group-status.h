/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A node's view of its service group, for `tandem status`, and the systemd
 * jobs `tandem takeover` and `tandem move` run (DESIGN.md, Orchestration).
 *
 * gs_role() is pure: it judges the role from what was read. gs_read() reads
 * the fence devices, the RAID, the volume, the address, the service unit and
 * the peer, and records a failure per part (never fails as a whole, except
 * for -ENOMEM). The gs_unit_* and gs_job_* calls speak to systemd over
 * sd-bus; a missing system bus is an error the caller reports, never a
 * crash. Nothing here logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tandem/config.h"
#include "tandem/health.h"
#include "tandem/macro.h"
#include "tandem/pr.h"

typedef struct sd_bus sd_bus;

enum gs_role {
        GS_ROLE_ACTIVE,         /* holds the reservation everywhere; the volume (if any) mounted rw */
        GS_ROLE_RESERVED,       /* holds the reservation everywhere; the volume is not mounted rw */
        GS_ROLE_PASSIVE,        /* registered everywhere, holds nothing */
        GS_ROLE_FENCED,         /* our key is gone from a device */
        GS_ROLE_UNFENCED,       /* the group has no [fence] */
        GS_ROLE_UNKNOWN,        /* a device could not be read, or the devices disagree */
        _GS_ROLE_MAX,
        _GS_ROLE_INVALID = -EINVAL,
};

/* One fence device as read. */
struct gs_fence_dev {
        char *device;           /* as configured */
        char *identity;         /* NULL when it could not be opened */
        int error;              /* 0 or -errno */
        char *reason;           /* words for error, or NULL */
        struct pr_keys keys;
        struct pr_reservation res;
        bool registered;        /* our key is there */
        bool holder;            /* we hold the reservation */
};

struct gs_raid_dev {
        char *device;
        enum health health;
        char *reason;
};

enum gs_tri {
        GS_NO,
        GS_YES,
        GS_UNKNOWN,
};

struct gs_status {
        enum gs_role role;
        char *role_reason;              /* in words */

        bool fenced;                    /* the group has [fence] */
        struct gs_fence_dev *fence;
        size_t n_fence;

        bool raid_present;
        enum health raid_health;        /* worst of the devices */
        struct gs_raid_dev *raid;
        size_t n_raid;
        int raid_error;                 /* reading failed as a whole */

        bool volume_present;
        int volume_error;               /* 0 or -errno */
        char *volume_reason;
        char *volume_devname;           /* what the device string found */
        char *volume_state;             /* "mounted", "not-mounted", "elsewhere", "other" (vol_mount_state_to_string); NULL on error */
        char *volume_where;             /* elsewhere: where; other: the other source */
        bool volume_mounted;            /* the device's root is on the mount point */
        bool volume_read_only;

        bool address_present;           /* [service] address configured */
        enum gs_tri address_up;
        int address_error;

        bool service_present;           /* [service] unit configured */
        char *service_state;            /* ActiveState, or NULL when unknown */
        char *service_reason;           /* why unknown */

        bool peer_present;              /* a peer is configured */
        enum gs_tri peer_reachable;
        int peer_error;
        usec_t peer_rtt;                /* connect time when reachable */
};

/* How gs_read() probes the peer. */
struct gs_read_opts {
        usec_t peer_timeout;            /* the TCP connect to peer_address:peer_port */
        unsigned peer_port;             /* 22 */
};

/* Reads everything the config names into *ret (zeroed first). A part that
 * cannot be read records its error; the rest go on. Returns 0 or -ENOMEM. */
int gs_read(const struct cfg_group *g, const struct gs_read_opts *o, struct gs_status *ret);
/* Reads only the volume part of *s (volume_*). Never fails as a whole. */
void gs_read_volume(const struct cfg_group *g, struct gs_status *s);
/* Frees what s holds and zeroes it; accepts NULL. */
void gs_status_done(struct gs_status *s);

struct json_object;
/* Prints s on out for people: role, fence devices and keys, RAID, volume,
 * address, service, peer. */
void gs_status_print(FILE *out, const struct cfg_group *g, const struct gs_status *s);
/* Returns s as a new JSON object, or NULL on ENOMEM. */
struct json_object *gs_status_json(const struct cfg_group *g, const struct gs_status *s);

/* Judges the role from the fence devices and the volume (pure).
 * *ret_reason gets a new string in words (NULL on ENOMEM). Returns the role. */
enum gs_role gs_role(bool fenced, const struct gs_fence_dev *devs, size_t n, bool volume_present,
                     bool volume_mounted_rw, char **ret_reason);
/* Returns "active", "reserved", "passive", "fenced", "unfenced", "unknown"; NULL for a bad value. */
const char *gs_role_to_string(enum gs_role r);

/* Connects to host:port over TCP within timeout. Returns 0 (*ret_elapsed set),
 * -ETIMEDOUT, -EHOSTUNREACH for a name that does not resolve, or -errno. */
int gs_tcp_probe(const char *host, unsigned port, usec_t timeout, usec_t *ret_elapsed);

/* Reads the ActiveState of unit over bus into a new string. Returns 0 or
 * -errno; *ret_error (may be NULL) gets a copy of the D-Bus error message. */
int gs_unit_active_state(sd_bus *bus, const char *unit, char **ret, char **ret_error);
/* A unit's state and the monotonic times (usec; 0: never) of its last
 * transitions: a start runs from inactive_exit to active_enter, a stop from
 * active_exit to inactive_enter. */
struct gs_unit_times {
        char *active_state;
        usec_t active_enter, active_exit, inactive_enter, inactive_exit;
};
/* Reads them in two calls (LoadUnit, GetAll). Returns 0 or -errno;
 * ret->active_state is the caller's to free. */
int gs_unit_times(sd_bus *bus, const char *unit, struct gs_unit_times *ret);

/* Runs method ("StartUnit" or "StopUnit") on unit with mode "replace", and
 * waits until the job is removed or timeout passes. *ret_result gets the
 * job's result ("done", "failed", "timeout", "canceled", "dependency",
 * "skipped"), a new string. *ret_error (may be NULL) gets a D-Bus error
 * message. Returns 0 when the job ran (look at *ret_result), -ETIME when it
 * did not finish in time (the job stays queued in systemd), or -errno. */
int gs_unit_job(sd_bus *bus, const char *method, const char *unit, usec_t timeout, char **ret_result,
                char **ret_error);

/* Returns CLOCK_MONOTONIC in usec, as systemd's *TimestampMonotonic. */
usec_t gs_now(void);
/* Returns "tandem-active@GROUP.target" for the group of path (basename
 * without ".conf"), a new string, or NULL (ENOMEM). */
char *gs_target_for(const char *path);
/* Returns the group name of path (basename without ".conf"), a new string, or NULL. */
char *gs_group_of(const char *path);
