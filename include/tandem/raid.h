/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RAID health of a set of devices, for tandem-raid (DESIGN.md, Storage):
 * device names resolved to md arrays or dm devices, each judged by md.c or
 * dm-health.c, the verdicts combined, and the transitions between two
 * checks found for `tandem-raid watch`.
 *
 * Names (raid_classify() is pure; raid_resolve() reads links):
 *   md0, /dev/md0              md array md0, read from <sysroot>/sys/block/md0/md
 *   /dev/md/NAME               md array, through the <sysroot>/dev/md/NAME link
 *   /dev/dm-N                  dm device, by device number
 *   /dev/mapper/NAME           dm device, by name
 *   any other /dev/... link    (/dev/disk/by-id/...) followed inside the
 *                              sysroot, up to 8 links, to one of the above
 * md arrays are read under the sysroot only. dm devices come from the
 * running kernel through libdevmapper, so they are only queried when the
 * sysroot is "/"; under another sysroot a dm name is judged UNKNOWN.
 *
 * Verdicts beyond md_verdict() and the dm verdicts:
 *   failed    the named md array or dm device does not exist (an md array
 *             that was stopped is gone from sysfs: its data is unavailable)
 *   unknown   a name that is neither md nor dm, a dm device with no raid,
 *             mirror or multipath target, dm asked under a moved sysroot,
 *             or another error reading the device (the reason says which) */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "tandem/config.h"
#include "tandem/dm-health.h"
#include "tandem/health.h"
#include "tandem/md.h"
#include "tandem/ocf.h"

struct json_object;

enum raid_kind {
        RAID_KIND_MD,
        RAID_KIND_DM_RAID,
        RAID_KIND_DM_MIRROR,
        RAID_KIND_DM_MULTIPATH,
        RAID_KIND_DM,           /* dm device not (yet) judged: no such target, or not queried */
        RAID_KIND_NONE,         /* the name is neither md nor dm */
        _RAID_KIND_MAX,
        _RAID_KIND_INVALID = -EINVAL,
};

#define RAID_REASON_MAX 512
#define RAID_PATH_MAX 256
#define RAID_STATUS_MAX 1024
/* How long an array may take to appear in sysfs after mdadm assembled it
 * (udev makes the /dev/md/NAME link), or to leave it after a stop. */
#define RAID_SETTLE_TIMEOUT (5 * USEC_PER_SEC)

/* What a check that found no device says. */
#define RAID_NOTHING_TO_CHECK "nothing to check: no md arrays and no dm raid, mirror or multipath devices"

/* What a device name stands for, after raid_classify(). */
struct raid_name {
        enum raid_kind kind;            /* RAID_KIND_MD, RAID_KIND_DM or RAID_KIND_NONE */
        char spec[RAID_PATH_MAX];       /* md: for md_read() ("md0", "/dev/md/db"); dm: for dmh_query() */
};

struct raid_result {
        char *device;                   /* as given, or as found ("/dev/md0", "/dev/mapper/mp") */
        enum raid_kind kind;
        enum health health;
        char reason[RAID_REASON_MAX];   /* in words */
        struct json_object *details;    /* an object; NULL when there are none */
};

struct raid_report {
        struct raid_result *results;
        size_t n;
};

/* The I/O raid_check(), raid_md_assemble() and raid_md_stop() do, so tests
 * can replace the dm side and mdadm. */
struct raid_ctx {
        int sysroot_fd;                 /* the root sysfs and /dev are read under */
        bool live;                      /* the sysroot is "/": dm may be queried */
        /* dmh_query() or a stand-in; NULL: dm devices are judged UNKNOWN */
        int (*dm_query)(const char *spec, struct dmh_device **ret, size_t *ret_n);
        /* md_mdadm_run() or a stand-in that acts on the sysroot; NULL: md
         * arrays cannot be assembled or stopped here (a moved sysroot) */
        int (*mdadm)(const char *const *argv, usec_t timeout, struct md_mdadm_result *ret);
        usec_t mdadm_timeout;           /* per mdadm command; 0: MD_MDADM_TIMEOUT */
        usec_t settle_timeout;          /* how long an array may take to show up or go; 0: RAID_SETTLE_TIMEOUT */
};

/* Returns "md", "dm-raid", "dm-mirror", "dm-multipath", "dm" or "none"; NULL for a bad value. */
const char *raid_kind_to_string(enum raid_kind k);
/* Returns the raid kind for a dm kind, or _RAID_KIND_INVALID. */
enum raid_kind raid_kind_from_dmh(enum dmh_kind k);

/* Classifies an absolute /dev path or a bare md name without reading
 * anything. Returns 0 with *ret filled; -EINVAL for an empty or malformed
 * name ("..", "//", too long); -EREMOTE for a /dev path that is neither md
 * nor dm and may be a link to follow (raid_resolve() does). */
int raid_classify(const char *dev, struct raid_name *ret);

/* Classifies dev, following /dev links (by-id and the like) relative to
 * sysroot_fd. Returns 0 with *ret filled (kind RAID_KIND_NONE when the name
 * leads to a device that is neither md nor dm); -EINVAL for a bad name;
 * -ENOENT when a link does not exist; -ELOOP beyond 8 links. */
int raid_resolve(int sysroot_fd, const char *dev, struct raid_name *ret);

/* Opens dir (NULL: "/") as the root sysfs and /dev are read under: an
 * O_PATH directory fd in *ret_fd, and in *ret_live whether it is the real
 * "/" (dm is only queried then). Returns 0 or -errno. */
int raid_sysroot_open(const char *dir, int *ret_fd, bool *ret_live);

/* Lists the md arrays under <sysroot>/sys/block (entries md* with an md/
 * directory), sorted, as a NULL-terminated array of "mdN" strings in
 * *ret. Returns 0 (also when there are none, or no sys/block); -ENOMEM;
 * -errno listing sys/block. */
int raid_list_md(int sysroot_fd, char ***ret);

/* Fills r from an md status and its verdict (details: level, array_state,
 * members, ...). device is copied. Returns 0 or -ENOMEM. */
int raid_result_from_md(const char *device, const struct md_status *s, struct raid_result *r);
/* Fills r from a dm device as dmh_query() returns it (health: the worst of
 * the judged targets; details: the targets' details, spliced into the object
 * for a single target). device is copied. Returns 0 or -ENOMEM. */
int raid_result_from_dm(const char *device, const struct dmh_device *d, struct raid_result *r);

/* Checks the devices (n names), or with n == 0 every md array under the
 * sysroot and, when live, every dm device with a raid, mirror or multipath
 * target. Every name gets exactly one result, in order; a problem with one
 * device (missing, unreadable, not md or dm) becomes its verdict, never an
 * error. Returns 0 and *ret (release with
 * raid_report_done()), or -ENOMEM, or -errno when listing all devices
 * failed. */
int raid_check(const struct raid_ctx *ctx, char *const *devs, size_t n, struct raid_report *ret);

/* Returns the worst verdict of the report; HEALTH_UNKNOWN when it is empty. */
enum health raid_report_health(const struct raid_report *r);
/* Returns the result for device in r, or NULL. */
const struct raid_result *raid_report_find(const struct raid_report *r, const char *device);
/* Returns true when cur's verdict differs from the one for the same device
 * in prev (or prev has no such device, or prev is NULL); *ret_before gets
 * the old verdict, or _HEALTH_INVALID when there was none. */
bool raid_health_changed(const struct raid_report *prev, const struct raid_result *cur, enum health *ret_before);

/* Returns a new {"devices":[...]} object for the report, or NULL on ENOMEM. */
struct json_object *raid_report_to_json(const struct raid_report *r);
/* Frees what the report holds and zeroes it; accepts NULL. */
void raid_report_done(struct raid_report *r);
/* Frees what one result holds and zeroes it; accepts NULL. */
void raid_result_done(struct raid_result *r);

/* Exit status of `tandem-raid check` for a verdict: 0 ok, 3 degraded, 4 failed, 1 unknown. */
int raid_health_exit_status(enum health h);
/* OCF exit status for a verdict: 0 ok, 190 (OCF_DEGRADED) degraded, 1 (OCF_ERR_GENERIC) failed or unknown. */
int raid_health_ocf_status(enum health h);

/* Writes the reasons of every device that is not ok ("/dev/md0 degraded: ...; ..."), for an exit reason, into buf; returns buf. */
char *raid_report_problems(const struct raid_report *r, char *buf, size_t n);
/* Writes a one-line summary ("degraded: 2 devices; /dev/md0 degraded (...)"), for sd_notify's STATUS=, into buf; returns buf. */
char *raid_report_status(const struct raid_report *r, char *buf, size_t n);

/* --- host md arrays: assembled at start, stopped at stop ------------------
 * (storage/raid-assemble.c; DESIGN.md, Storage: host RAID over shared LUNs
 * is assembled only on the active node, after the reservation is held and
 * before the volume, and stopped before the release.) Only md names
 * (raid_classify() kind md: mdN, /dev/mdN, /dev/md/NAME) are assembled or
 * stopped; other names in the list (dm devices, links) are left alone.
 * Arrays are found through <sysroot>/dev/md/NAME and <sysroot>/sys/block,
 * and mdadm (ctx->mdadm) acts on them. */

enum raid_step_action {
        RAID_STEP_ASSEMBLE,
        RAID_STEP_STOP,
        _RAID_STEP_ACTION_MAX,
        _RAID_STEP_ACTION_INVALID = -EINVAL,
};

enum raid_step_outcome {
        RAID_STEP_DONE,                 /* assembled, or stopped, by this step */
        RAID_STEP_ALREADY,              /* it was running already, or not there already */
        RAID_STEP_FAILED,
        _RAID_STEP_OUTCOME_MAX,
        _RAID_STEP_OUTCOME_INVALID = -EINVAL,
};

/* What was done to one array. */
struct raid_step {
        char device[RAID_PATH_MAX];     /* as given */
        enum raid_step_action action;
        enum raid_step_outcome outcome;
        char kname[MD_NAME_MAX];        /* "md127" once known, else "" */
        int error;                      /* failed: -errno (-ETIME: mdadm timed out; -EBUSY: still there after a stop) */
        char reason[RAID_REASON_MAX];   /* failed: why, with mdadm's last message */
};

struct raid_steps {
        struct raid_step *steps;        /* in the order they were done */
        size_t n;
};

/* Returns true for the names tandem assembles and stops: md names. */
bool raid_is_md_name(const char *dev);
/* Returns the number of md names in devs. */
size_t raid_count_md(char *const *devs, size_t n);

/* Assembles the md arrays among devs, in the order given (nested arrays
 * bottom-up: the arrays an array is built on come first), each with
 * `mdadm --assemble --run --config CONF DEV` and then checked to be running.
 * An array that is running already is left as it is (RAID_STEP_ALREADY); an
 * inactive one (members bound, not started: a partial assembly) is stopped
 * first. Stops at the first failure. Appends a step for each array tried to
 * *steps. Returns 0; the first failure's -errno (its step says why);
 * -EINVAL (no ctx->mdadm, a conf that is not absolute); -ENOMEM. */
int raid_md_assemble(const struct raid_ctx *ctx, const char *conf, char *const *devs, size_t n,
                     struct raid_steps *steps);
/* Stops the md arrays among devs in the reverse order with `mdadm --stop`,
 * each checked gone from sysfs afterwards; an array that is not there is
 * fine (RAID_STEP_ALREADY). Goes on after a failure, so that what can be
 * stopped is. Appends a step for each array to *steps. Returns 0; the first
 * failure's -errno; -EINVAL (no ctx->mdadm); -ENOMEM. */
int raid_md_stop(const struct raid_ctx *ctx, char *const *devs, size_t n, struct raid_steps *steps);
/* For a release that must wait while host RAID is assembled here (I5):
 * returns 1 with *ret_dev pointing at the first md array of devs that is
 * still there (running, inactive or unreadable), 0 when none is, -EINVAL. */
int raid_md_any_assembled(const struct raid_ctx *ctx, char *const *devs, size_t n, const char **ret_dev);

/* Returns the first failed step, or NULL. */
const struct raid_step *raid_steps_failed(const struct raid_steps *s);
/* Frees the steps and zeroes *s; accepts NULL. */
void raid_steps_done(struct raid_steps *s);
/* Returns "assemble" or "stop"; NULL for a bad value. */
const char *raid_step_action_to_string(enum raid_step_action a);
/* Returns "done", "already" or "failed"; NULL for a bad value. */
const char *raid_step_outcome_to_string(enum raid_step_outcome o);

/* --- `tandem-raid watch`, one round at a time (storage/raid-watch.c) ------ */

/* What the watch keeps from one round to the next. */
struct raid_watch {
        unsigned round;                 /* rounds done */
        int last_error;                 /* the last round's check failed: its -errno; else 0 */
        struct raid_report last;        /* the last report a check made */
};

/* A device to log: its verdict is new, or changed, or it is gone. */
struct raid_change {
        const struct raid_result *result; /* this round's; for a device that is gone, its last one */
        enum health before;             /* _HEALTH_INVALID: not seen before (first round, or after an error) */
        bool gone;                      /* no longer found */
};

/* What one round found: what to log, to print, and to tell systemd. */
struct raid_round {
        unsigned round;                 /* 1 for the first */
        int error;                      /* the check failed: -errno; nothing below but status is set */
        bool error_new;                 /* ... and not with the error of the round before: say so */
        bool recovered;                 /* the check works again after errors */
        struct raid_change *changes;    /* in report order, the gone ones last */
        size_t n_changes;
        bool nothing_to_check;          /* no device found, and worth saying (first round, all gone, after an error) */
        bool changed;                   /* the devices or a verdict differ from the last report (--json prints it) */
        const struct raid_report *report; /* this round's report, now w->last */
        struct raid_report previous;    /* the report before, which the gone changes point into */
        char status[RAID_STATUS_MAX];   /* "cannot check: ...", or raid_report_status() */
};

/* Runs one round: raid_check() of the n devices (n == 0: all), judged
 * against the last round. Fills *ret (release with raid_round_done());
 * returns 0, or the -errno of a check that could not be made (ret->error). */
int raid_watch_round(struct raid_watch *w, const struct raid_ctx *ctx, char *const *devs, size_t n,
                     struct raid_round *ret);
/* Frees what a round holds and zeroes it; accepts NULL. */
void raid_round_done(struct raid_round *r);
/* Frees what the watch keeps and zeroes it; accepts NULL. */
void raid_watch_done(struct raid_watch *w);

/* --- the OCF resource agent raid (storage/raid-agent.c) ------------------- */

#define RAID_RUN_DIR "/run/tandem"
#define RAID_MARKER_MAX 512
/* The first line of a state marker. */
#define RAID_MARKER_HEADER "# tandem-raid: started; the md arrays below were assembled by the start, and the stop stops them"

/* The agent's parameters (OCF_RESKEY_*) and environment; NULL: not given. */
struct raid_agent_params {
        const char *instance;           /* OCF_RESOURCE_INSTANCE ("name:0" for a clone) */
        const char *run_dir;            /* TANDEM_RUN_DIR; default RAID_RUN_DIR */
        const char *devices;            /* separated by spaces or commas */
        const char *group, *config;
        const char *sysroot;
        const char *on_degraded;        /* allow or refuse; default the config's, else allow */
        const char *mdadm_conf;         /* the arrays to assemble; default the group file's sibling (below) */
};

/* The agent of one resource instance, set up from its parameters and the config. */
struct raid_agent {
        char marker[RAID_MARKER_MAX];   /* the state file that says the resource is started */
        char **devs;                    /* from the devices parameter */
        size_t n_devs;
        struct raid_ctx ctx;            /* sysroot_fd -1 until raid_agent_settle() */
        char *const *check;             /* what to check: devs, or the config's [raid] devices */
        size_t n_check;                 /* 0: every md and dm RAID device */
        enum cfg_on_degraded on_degraded;
        /* The mdadm.conf(5) file that identifies the md arrays among check;
         * NULL: tandem assembles and stops nothing (the arrays are managed
         * outside tandem). Set: start assembles them in order before the
         * check, stop stops them in reverse order. */
        char *mdadm_conf;
};

/* What an action found. */
struct raid_agent_result {
        struct raid_report report;      /* the check's, when one ran (the program logs each device) */
        struct raid_steps steps;        /* arrays assembled or stopped, in order (the program logs each) */
        bool was_started;               /* start: the resource was started already (its marker was there) */
        char *degraded;                 /* a start that went on although degraded: why it is degraded */
        char *reason;                   /* the problems found, or why the action failed (the OCF exit reason) */
};

/* Writes into *ret the default mdadm_conf of a group file: the group's
 * file (group GROUP: /etc/tandem/GROUP.conf; or config) with ".conf"
 * replaced by ".mdadm.conf" (or that appended), e.g.
 * /etc/tandem/db.mdadm.conf; NULL when neither is given. Returns 0,
 * -EINVAL (a bad group name), -ENOMEM. */
int raid_agent_mdadm_conf_default(const char *group, const char *config, char **ret);
/* Formats a state marker: RAID_MARKER_HEADER, then the md names of devs,
 * one per line. Returns a new string, or NULL on ENOMEM. */
char *raid_agent_marker_format(char *const *devs, size_t n);
/* Parses a state marker: the md names on its lines (comments, blank lines
 * and anything else skipped). Returns 0 with *ret (n strings, free with
 * strv_free_n()) and *ret_n, or -ENOMEM. */
int raid_agent_marker_parse(const char *text, size_t len, char ***ret, size_t *ret_n);

/* Sets up *a from the parameters that need no config: the marker (set even
 * on failure), the devices and the sysroot. Returns OCF_SUCCESS, or
 * OCF_ERR_CONFIGURED or OCF_ERR_GENERIC with *ret_reason. */
int raid_agent_init(struct raid_agent *a, const struct raid_agent_params *p, char **ret_reason);
/* Completes *a with the group's config g (NULL: none was named): opens the
 * sysroot, picks the devices, on_degraded and the mdadm_conf (checked:
 * absolute, a regular file owned by root or us and writable by nobody
 * else, with md arrays among the devices). Returns OCF_SUCCESS, or
 * OCF_ERR_CONFIGURED with *ret_reason. */
int raid_agent_settle(struct raid_agent *a, const struct raid_agent_params *p, const struct cfg_group *g,
                      char **ret_reason);
/* Runs start, stop, monitor or validate-all on a settled agent. Returns the
 * OCF exit code; *ret says what was found and done (release with
 * raid_agent_result_done()). */
int raid_agent_run(const struct raid_agent *a, enum ocf_action act, struct raid_agent_result *ret);
/* Returns the exit code of act when setting up failed with rc: a stop still
 * stops (the arrays its marker names, then the marker) on a bad
 * configuration, a monitor without the marker is OCF_NOT_RUNNING; else rc.
 * *ret says what was done (release with raid_agent_result_done()). */
int raid_agent_unconfigured(const struct raid_agent *a, enum ocf_action act, int rc, struct raid_agent_result *ret);
/* Frees what the agent holds; accepts NULL. */
void raid_agent_done(struct raid_agent *a);
/* Frees what a result holds and zeroes it; accepts NULL. */
void raid_agent_result_done(struct raid_agent_result *r);
/* Returns the agent's OCF 1.1 metadata (XML), with version, as a new string; NULL on ENOMEM. */
char *raid_agent_metadata(const char *version);
