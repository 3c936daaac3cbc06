/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Health of device-mapper raid, mirror and multipath targets (DESIGN.md,
 * Storage). The verdicts are pure: they take what `dmsetup status` prints
 * after "start length type" and say OK, DEGRADED, FAILED or UNKNOWN, with
 * the reason in words and the details per leg, path and path group.
 * dmh_query() is the I/O side: it asks the kernel through libdevmapper.
 * (libdevmapper owns the dm_ prefix, so ours is dmh_.) */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tandem/health.h"

struct json_object;

enum dmh_kind {
        DMH_RAID,               /* dm-raid: "raid" */
        DMH_MIRROR,             /* dm-raid1: "mirror" */
        DMH_MULTIPATH,          /* dm-mpath: "multipath" */
        _DMH_KIND_MAX,
        _DMH_KIND_INVALID = -EINVAL,
};

#define DMH_DEV_MAX 24          /* "major:minor" and then some */
#define DMH_WORD_MAX 24         /* raid type, sync action, log type */
#define DMH_REASON_MAX 256

/* One leg of a raid or mirror set. */
struct dmh_leg {
        /* The kernel's health character. raid (dm-raid.rst): 'A' alive and
         * in sync, 'a' alive but not in sync, 'D' dead, '-' no device.
         * mirror (dm-raid1.c): 'A' alive, 'D' write failed, 'S' sync
         * failed, 'R' read failed, 'F' flush failed, 'U' unclassified. */
        char state;
        bool dead;              /* counts against the redundancy */
        char dev[DMH_DEV_MAX];  /* mirror: "major:minor"; raid: "" (its status names none) */
};

/* One path of a multipath map. */
struct dmh_path {
        char dev[DMH_DEV_MAX];  /* "major:minor" */
        bool active;            /* 'A' active, or 'F' failed */
        unsigned fail_count;
        unsigned group;         /* 1-based path group number */
};

/* One path group (priority group) of a multipath map. */
struct dmh_group {
        char state;             /* 'A' active (in use), 'E' enabled, 'D' disabled */
        unsigned n_paths;
        unsigned n_active;
};

struct dmh_status {
        enum dmh_kind kind;
        enum health health;
        char reason[DMH_REASON_MAX];    /* in words, e.g. "1 of 2 legs dead (leg 1)" */

        /* raid and mirror */
        char level[DMH_WORD_MAX];       /* raid: raid type ("raid1", "raid5_ls"); mirror: "mirror" */
        size_t n_legs;
        struct dmh_leg *legs;           /* malloc'd */
        unsigned n_dead;
        uint64_t sync_done;             /* raid: sectors; mirror: regions in sync */
        uint64_t sync_total;
        unsigned sync_percent;          /* floor(100 * done / total); 100 when total is 0 */

        /* raid */
        char sync_action[DMH_WORD_MAX]; /* idle frozen resync recover check repair reshape */
        uint64_t mismatches;            /* valid after a check */

        /* mirror */
        char log_type[DMH_WORD_MAX];    /* "core", "disk", ... */
        char log_dev[DMH_DEV_MAX];      /* disk log: "major:minor"; else "" */
        char log_state;                 /* disk log: 'A', 'D' or 'F'; else 0 */

        /* multipath */
        bool queueing;                  /* first feature, MPATHF_QUEUE_IO: I/O waits for a path
                                         * (also set on a fresh map before its first I/O) */
        unsigned pg_init_count;
        unsigned active_group;          /* 1-based; 0 when there are no groups */
        size_t n_groups;
        struct dmh_group *groups;       /* malloc'd */
        size_t n_paths;
        struct dmh_path *paths;         /* malloc'd, in the kernel's order */
        unsigned n_active_paths;
};

/* Returns "raid", "mirror" or "multipath"; NULL for a bad value. */
const char *dmh_kind_to_string(enum dmh_kind k);
/* Returns the kind for a dm target type name, or -EOPNOTSUPP for a target we do not judge. */
enum dmh_kind dmh_kind_from_target(const char *target_type);

/* Returns 0 and fills *ret from a dm-raid status (dm_get_status_raid);
 * -EBADMSG when params is malformed, -ENOMEM. */
int dmh_raid_status(const char *params, struct dmh_status *ret);
/* Returns 0 and fills *ret from a dm-mirror status (dm_get_status_mirror);
 * -EBADMSG when params is malformed, -ENOMEM. */
int dmh_mirror_status(const char *params, struct dmh_status *ret);
/* Returns 0 and fills *ret from a dm-multipath status; -EBADMSG when params
 * is malformed (counts are checked, never trusted), -ENOMEM. */
int dmh_multipath_status(const char *params, struct dmh_status *ret);
/* Returns 0 and fills *ret for a target type and its status params;
 * -EOPNOTSUPP for a target type we do not judge, -EBADMSG, -ENOMEM. */
int dmh_target_status(const char *target_type, const char *params, struct dmh_status *ret);
/* Returns 0 and fills *ret from a whole `dmsetup status MAP` line
 * ("start length type params"), with *ret_start and *ret_length when not
 * NULL; -EBADMSG, -EOPNOTSUPP, -ENOMEM as dmh_target_status(). */
int dmh_status_line(const char *line, uint64_t *ret_start, uint64_t *ret_length, struct dmh_status *ret);
/* Frees what a dmh_*_status() call allocated; accepts NULL and a zeroed struct. */
void dmh_status_done(struct dmh_status *s);
/* Returns a new JSON object with the verdict, the reason and the details, or NULL on ENOMEM. */
struct json_object *dmh_status_to_json(const struct dmh_status *s);

/* ------------------------------------------------------------ the kernel */

struct dmh_target {
        uint64_t start, length;         /* sectors */
        char *type;                     /* "raid", "linear", ... */
        char *params;                   /* the status params */
        bool judged;                    /* raid, mirror or multipath: status is filled */
        int error;                      /* 0, or -EBADMSG when params did not parse */
        struct dmh_status status;       /* when judged; health UNKNOWN when error */
};

struct dmh_device {
        char *name;
        unsigned major, minor;
        enum health health;             /* worst of the judged targets; UNKNOWN when none */
        size_t n_targets;
        struct dmh_target *targets;
};

/* Returns 0 and the dm devices with their targets and verdicts in *ret
 * (*ret_n entries). spec is "/dev/dm-N", "/dev/mapper/NAME", "NAME", or NULL
 * for every device that has a raid, mirror or multipath target. Returns
 * -ENODEV when spec names no dm device, -ENOENT when there is no
 * device-mapper (no /dev/mapper/control), other -errno from the ioctl. */
int dmh_query(const char *spec, struct dmh_device **ret, size_t *ret_n);
/* Frees an array from dmh_query(); accepts NULL. */
void dmh_devices_free(struct dmh_device *d, size_t n);
