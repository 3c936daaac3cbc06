/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* md RAID health from sysfs (DESIGN.md, Storage; the kernel's
 * Documentation/admin-guide/md.rst). The md_parse_*() functions and
 * md_verdict() are pure (storage/md.c); md_read() does the reads, relative to
 * a root directory fd that stands for "/" (storage/md-sysfs.c).
 *
 * Parsers take the bytes of one sysfs file as read (not NUL-terminated; one
 * trailing newline tolerated), read nothing past s[n-1], and return 0, or
 * -EBADMSG for anything the kernel would not have written. Outputs are left
 * untouched on failure.
 *
 * The verdict, md_verdict():
 *   failed    array_state clear, inactive, suspended or broken; fewer working
 *             (in_sync, not faulty) members than the level needs (raid0 and
 *             linear: all; raid1: 1; raid4/5: all but 1; raid6: all but 2;
 *             raid10: half, rounded up, which assumes 2 copies); and
 *             array_state readonly: the data can be read, but a database
 *             volume cannot be written, so a read-only array counts as failed
 *             (for writing). The reason says "read-only" either way.
 *             read-auto is not failed: the first write makes it read-write;
 *             the reason notes it.
 *   degraded  degraded > 0, a faulty member, or a resync, recovery or
 *             reshape running (sync_action resync/recover/reshape).
 *   ok        clean, active, active-idle or write-pending, all members in
 *             sync and nothing rebuilding. A running check or repair, a
 *             frozen sync, spares and a non-zero mismatch_cnt are noted in
 *             the reason but do not change the verdict.
 *   unknown   a value that could not be read or parsed (the reason names
 *             the file), unless array_state alone already says failed. The
 *             redundancy files (degraded, sync_action, sync_completed,
 *             mismatch_cnt) are only required for redundant levels: the
 *             kernel has none for raid0 and linear. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tandem/health.h"
#include "tandem/macro.h"

/* md/level. The kernel writes the personality's name, or for an array with
 * none yet the configured level (a name or a number), or "". */
enum md_level {
        MD_LEVEL_NONE,          /* "" */
        MD_LEVEL_LINEAR,
        MD_LEVEL_RAID0,
        MD_LEVEL_RAID1,
        MD_LEVEL_RAID4,
        MD_LEVEL_RAID5,
        MD_LEVEL_RAID6,
        MD_LEVEL_RAID10,
        MD_LEVEL_MULTIPATH,
        MD_LEVEL_FAULTY,
        MD_LEVEL_CONTAINER,     /* external metadata container */
        _MD_LEVEL_MAX,
        _MD_LEVEL_INVALID = -EINVAL,
};

/* md/array_state. */
enum md_array_state {
        MD_ARRAY_CLEAR,
        MD_ARRAY_INACTIVE,
        MD_ARRAY_SUSPENDED,
        MD_ARRAY_READONLY,
        MD_ARRAY_READ_AUTO,
        MD_ARRAY_CLEAN,
        MD_ARRAY_ACTIVE,
        MD_ARRAY_WRITE_PENDING,
        MD_ARRAY_ACTIVE_IDLE,
        MD_ARRAY_BROKEN,
        _MD_ARRAY_STATE_MAX,
        _MD_ARRAY_STATE_INVALID = -EINVAL,
};

/* md/sync_action. */
enum md_sync_action {
        MD_SYNC_IDLE,
        MD_SYNC_RESYNC,
        MD_SYNC_RECOVER,
        MD_SYNC_CHECK,
        MD_SYNC_REPAIR,
        MD_SYNC_RESHAPE,
        MD_SYNC_FROZEN,
        _MD_SYNC_ACTION_MAX,
        _MD_SYNC_ACTION_INVALID = -EINVAL,
};

/* md/sync_completed: "none", "delayed", or "done / total" in sectors. */
enum md_progress_kind {
        MD_PROGRESS_NONE,
        MD_PROGRESS_DELAYED,
        MD_PROGRESS_RUNNING,
        _MD_PROGRESS_KIND_MAX,
        _MD_PROGRESS_KIND_INVALID = -EINVAL,
};

struct md_progress {
        enum md_progress_kind kind;
        uint64_t done, total;   /* sectors; MD_PROGRESS_RUNNING only, total > 0 */
};

/* md/dev-XXX/state: a comma-separated list of these (possibly empty). */
enum {
        MD_DEV_FAULTY           = 1u << 0,
        MD_DEV_IN_SYNC          = 1u << 1,
        MD_DEV_JOURNAL          = 1u << 2,
        MD_DEV_WRITE_MOSTLY     = 1u << 3,      /* "write_mostly", also "writemostly" */
        MD_DEV_BLOCKED          = 1u << 4,
        MD_DEV_SPARE            = 1u << 5,
        MD_DEV_WRITE_ERROR      = 1u << 6,
        MD_DEV_WANT_REPLACEMENT = 1u << 7,
        MD_DEV_REPLACEMENT      = 1u << 8,
        MD_DEV_EXTERNAL_BBL     = 1u << 9,
        MD_DEV_FAILFAST         = 1u << 10,
};

/* md/dev-XXX/slot: a number, "none" or "journal". */
#define MD_SLOT_NONE    (-1)
#define MD_SLOT_JOURNAL (-2)

/* The array files md_read() reads, in md_status.err[]. */
enum md_file {
        MD_FILE_LEVEL,
        MD_FILE_RAID_DISKS,
        MD_FILE_ARRAY_STATE,
        MD_FILE_DEGRADED,
        MD_FILE_SYNC_ACTION,
        MD_FILE_SYNC_COMPLETED,
        MD_FILE_MISMATCH_CNT,
        _MD_FILE_MAX,
        _MD_FILE_INVALID = -EINVAL,
};

#define MD_NAME_MAX 64

struct md_member {
        char name[MD_NAME_MAX];         /* "sdb" for md/dev-sdb */
        unsigned flags;                 /* MD_DEV_* */
        int slot;                       /* >= 0, MD_SLOT_NONE or MD_SLOT_JOURNAL */
        int state_err, slot_err;        /* 0, or -errno / -EBADMSG for that file */
};

struct md_status {
        char name[MD_NAME_MAX];         /* kernel name, "md0" */
        enum md_level level;
        unsigned raid_disks;
        enum md_array_state array_state;
        unsigned degraded;
        enum md_sync_action sync_action;
        struct md_progress sync_completed;
        uint64_t mismatch_cnt;
        /* 0 when the file was read and parsed, else -errno (-ENOENT: absent)
         * or -EBADMSG; the value above is then meaningless. */
        int err[_MD_FILE_MAX];
        struct md_member *members;      /* sorted by name */
        size_t n_members;
        int members_err;                /* 0, or -errno listing dev-* */
};

/* Parses md/level. Returns 0 or -EBADMSG. */
int md_parse_level(const char *s, size_t n, enum md_level *ret);
/* Parses md/raid_disks, "N" or while reshaping "N (OLD)"; ret_old may be NULL
 * and gets N when there is no reshape. Returns 0 or -EBADMSG. */
int md_parse_raid_disks(const char *s, size_t n, unsigned *ret, unsigned *ret_old);
/* Parses md/array_state. Returns 0 or -EBADMSG. */
int md_parse_array_state(const char *s, size_t n, enum md_array_state *ret);
/* Parses md/degraded (missing or failed slots). Returns 0 or -EBADMSG. */
int md_parse_degraded(const char *s, size_t n, unsigned *ret);
/* Parses md/sync_action. Returns 0 or -EBADMSG. */
int md_parse_sync_action(const char *s, size_t n, enum md_sync_action *ret);
/* Parses md/sync_completed; "N / 0" and N > total are -EBADMSG. Returns 0 or -EBADMSG. */
int md_parse_sync_completed(const char *s, size_t n, struct md_progress *ret);
/* Parses md/mismatch_cnt (sectors). Returns 0 or -EBADMSG. */
int md_parse_mismatch_cnt(const char *s, size_t n, uint64_t *ret);
/* Parses md/dev-XXX/state into MD_DEV_* flags; an unknown flag is -EBADMSG. Returns 0 or -EBADMSG. */
int md_parse_dev_state(const char *s, size_t n, unsigned *ret);
/* Parses md/dev-XXX/slot into a slot, MD_SLOT_NONE or MD_SLOT_JOURNAL. Returns 0 or -EBADMSG. */
int md_parse_dev_slot(const char *s, size_t n, int *ret);

/* Returns the percentage done of a running sync (0..100, rounded down), or -EINVAL when none runs. */
int md_progress_percent(const struct md_progress *p);
/* Returns the smallest number of working members an array of this level needs, or -EINVAL when it has none (container, no level). */
int md_level_min_working(enum md_level level, unsigned raid_disks);
/* Returns true for the levels with redundancy files (degraded, sync_action, ...). */
bool md_level_is_redundant(enum md_level level);

/* Returns the kernel's word for a level ("raid1", "" for none), or NULL. */
const char *md_level_to_string(enum md_level l);
/* Returns the kernel's word for an array state ("read-auto"), or NULL. */
const char *md_array_state_to_string(enum md_array_state a);
/* Returns the kernel's word for a sync action ("recover"), or NULL. */
const char *md_sync_action_to_string(enum md_sync_action a);
/* Returns the file name of an array file ("sync_completed"), or NULL. */
const char *md_file_to_string(enum md_file f);

/* Judges s (rules at the top of this file) and writes the reason in words into
 * reason (n bytes, truncated, always terminated when n > 0; may be NULL).
 * Returns the verdict; HEALTH_UNKNOWN for a NULL s. */
enum health md_verdict(const struct md_status *s, char *reason, size_t n);

/* Reads the array dev ("md0", "/dev/md0" or "/dev/md/NAME", the last through
 * the <root>/dev/md/NAME symlink) from <root>/sys/block/<name>/md, where
 * sysroot_fd is the root directory ("/" on a live system). Per-file read and
 * parse errors go into ret->err[] and the members, for md_verdict(). Returns
 * 0; -EINVAL for a bad name (empty, "..", extra slashes); -ENOENT when there
 * is no such md array (or /dev/md/NAME is not a link to one); -ENOMEM; or
 * another -errno from opening the array directory. ret is untouched on
 * failure; on success release it with md_status_done(). */
int md_read(int sysroot_fd, const char *dev, struct md_status *ret);

/* Frees what md_read() allocated in s and zeroes it; accepts NULL. */
void md_status_done(struct md_status *s);

/* --- assembling and stopping arrays with mdadm --------------------------
 * DESIGN.md, Storage: host RAID over shared LUNs is assembled only on the
 * active node, and stopped before the release. The command lines, the
 * presence of an array and mdadm's messages are pure (storage/md-cmd.c);
 * md_mdadm_run() spawns mdadm (storage/md-mdadm.c). */

#define MD_MDADM_ARGV_MAX 8
#define MD_MDADM_OUT_MAX 2048
#define MD_DEVNAME_MAX 256
/* How long one mdadm command may take (a dead SAN path can hang a read of
 * the superblocks for a SCSI timeout or two). */
#define MD_MDADM_TIMEOUT (30 * USEC_PER_SEC)

/* Whether an array is there, from its md_read() status. */
enum md_presence {
        MD_ABSENT,              /* no such array in sysfs, or array_state clear (an empty md device) */
        MD_INACTIVE,            /* array_state inactive: members bound, not started */
        MD_RUNNING,             /* any other state: started (healthy or not) */
        MD_PRESENCE_UNKNOWN,    /* array_state could not be read: something is there */
        _MD_PRESENCE_MAX,
        _MD_PRESENCE_INVALID = -EINVAL,
};

/* What one mdadm command did. */
struct md_mdadm_result {
        int status;                     /* exit status 0..255; -N: killed by signal N */
        bool timed_out;                 /* killed after the timeout (status is then the signal) */
        char out[MD_MDADM_OUT_MAX];     /* its stdout and stderr, the last bytes when longer; NUL-terminated */
        size_t out_len;
};

/* Returns the presence an md_read() status shows (NULL: MD_ABSENT). */
enum md_presence md_presence_of(const struct md_status *s);
/* Returns "absent", "inactive", "running" or "unknown"; NULL for a bad value. */
const char *md_presence_to_string(enum md_presence p);

/* Writes the name mdadm is given for an md name into buf (n bytes): "md0"
 * gives "/dev/md0"; "/dev/md0" and "/dev/md/NAME" stay as they are.
 * Returns 0; -EINVAL for anything else (a /dev/disk/by-id link, a dm name,
 * "..", a name starting with '-'); -ENAMETOOLONG when it does not fit. */
int md_mdadm_devname(const char *dev, char *buf, size_t n);

/* Fills argv with "mdadm --assemble --run --config CONF DEV": the array
 * named DEV (an md_mdadm_devname()) assembled from the ARRAY line for it in
 * CONF (an absolute path), and started even when a member is missing (the
 * health gate then decides on a degraded array). The strings point into
 * conf and dev. Returns 0, or -EINVAL for a conf that is not absolute or a
 * dev that is not a /dev name. */
int md_mdadm_assemble_argv(const char *conf, const char *dev, const char *argv[static MD_MDADM_ARGV_MAX]);
/* Fills argv with "mdadm --stop DEV". Returns 0 or -EINVAL as above. */
int md_mdadm_stop_argv(const char *dev, const char *argv[static MD_MDADM_ARGV_MAX]);

/* Writes what mdadm said last into buf (n bytes, always terminated when
 * n > 0): the text of its last "mdadm: ..." line (after the one before it,
 * "WHY; LAST", when the last is short, such as "giving up."), else its last
 * non-empty line, else "". Control characters become spaces. Returns buf. */
char *md_mdadm_message(const char *out, size_t len, char *buf, size_t n);

/* Runs argv (argv[0] "mdadm", found in /usr/sbin:/usr/bin:/sbin:/bin) with
 * stdin /dev/null and its stdout and stderr collected in ret->out, for at
 * most timeout (then it is killed: ret->timed_out). Returns 0 with *ret
 * filled; -ENOENT when there is no such program; -errno when it could not
 * be started. */
int md_mdadm_run(const char *const *argv, usec_t timeout, struct md_mdadm_result *ret);
