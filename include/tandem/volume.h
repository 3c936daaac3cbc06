/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shared volume (DESIGN.md, Storage -> Volume; invariants I1, I5, I6):
 * find it with libblkid, check it, mount it with libmount, end the
 * processes that hold it, unmount it, and monitor it.
 *
 * The device string and the checks of fstype, mount point and options are
 * include/tandem/volspec.h's (lib/), which the config parser uses too.
 * Pure parts (storage/volume.c, no I/O): fsck exit codes, /proc/PID/maps
 * lines, PID names, sysfs uevent names, and matching a parsed mount table
 * against the volume. The I/O parts: lookup,
 * and identifying one mounted device for the depth-0 monitor (storage/
 * volume-blkid.c), holders and the mount table through a movable /proc
 * root (storage/volume-proc.c), fsck, mount, unmount and the deeper
 * monitor probes (storage/volume-ops.c).
 * Nothing here logs: failures come back as -errno, with a reason in words
 * where one helps. ret_* outputs are untouched on failure. */
#pragma once

#include <libmount/libmount.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tandem/config.h"
#include "tandem/macro.h"
#include "tandem/volspec.h"

/* What an fsck exit status means (fsck(8): a sum of 1 corrected, 2 reboot,
 * 4 uncorrected, 8 operational error, 16 usage, 32 cancelled, 128 shared
 * library error). The worst bit decides. */
enum vol_fsck_verdict {
        VOL_FSCK_CLEAN,         /* 0 */
        VOL_FSCK_CORRECTED,     /* 1: errors corrected; mountable */
        VOL_FSCK_REBOOT,        /* 2 (+1): corrected, "reboot" (only matters for /); mountable */
        VOL_FSCK_UNCORRECTED,   /* 4: errors left; not mountable */
        VOL_FSCK_FAILED,        /* 8, 16, 32, 128, a signal, or no valid status; not mountable */
        _VOL_FSCK_VERDICT_MAX,
        _VOL_FSCK_VERDICT_INVALID = -EINVAL,
};

/* Classifies an fsck exit status (0..255; negative: killed by a signal). Returns the verdict. */
enum vol_fsck_verdict vol_fsck_classify(int status);
/* Returns true when a filesystem with this verdict may be mounted. */
bool vol_fsck_mountable(enum vol_fsck_verdict v);
/* Returns a short word for a verdict ("corrected"), or NULL. */
const char *vol_fsck_verdict_to_string(enum vol_fsck_verdict v);
/* Writes every meaning in an fsck exit status into buf ("1 (errors corrected)"); returns buf. */
char *vol_fsck_describe(int status, char *buf, size_t n);

#define VOL_FSCK_ARGV_MAX 6
/* Fills argv (NULL-terminated) with the fsck command the policy asks for:
 * auto: "e2fsck -p DEV" for ext2/3/4, none for xfs and others; always:
 * "e2fsck -f -p DEV" for ext2/3/4, "fsck.xfs -f DEV" for xfs (which runs
 * xfs_repair and maps its codes to fsck's), "fsck.TYPE -a DEV" otherwise;
 * never: none. Returns 1 and a command, 0 when none is wanted, -EINVAL. */
int vol_fsck_command(enum cfg_fsck policy, const char *fstype, const char *device,
                     const char *argv[static VOL_FSCK_ARGV_MAX]);

/* One line of /proc/PID/maps: "start-end perms offset MAJ:MIN inode [path]" (hex device numbers). */
struct vol_maps_entry {
        unsigned major, minor;
        uint64_t inode;
        const char *path;       /* into the line; NULL for an anonymous mapping */
        size_t path_len;
};

/* Parses one maps line (without its newline). Returns 0 or -EBADMSG. */
int vol_parse_maps_line(const char *s, size_t n, struct vol_maps_entry *ret);
/* Looks through the whole text of a maps file for a file mapping on device
 * major:minor (inode != 0). Sets *ret. Returns 0 or -EBADMSG (a line that is
 * not a maps line). */
int vol_maps_uses_dev(const char *s, size_t n, unsigned major, unsigned minor, bool *ret);
/* Parses a /proc directory name as a PID (decimal, > 0, no sign or leading 0). Returns 0 or -EINVAL. */
int vol_parse_pid(const char *s, pid_t *ret);

/* Why a process holds the filesystem (any of its threads). */
enum {
        VOL_HELD_CWD = 1 << 0,
        VOL_HELD_ROOT = 1 << 1,
        VOL_HELD_EXE = 1 << 2,
        VOL_HELD_FD = 1 << 3,
        VOL_HELD_MAP = 1 << 4,
        VOL_HELD_NS = 1 << 5,   /* its mount namespace (not ours, not PID 1's) has the filesystem mounted */
};

/* Writes the reasons as words ("cwd, open file") into buf; returns buf. */
char *vol_held_describe(unsigned why, char *buf, size_t n);

enum vol_ended {
        VOL_ENDED_NO,           /* still there (or never signalled) */
        VOL_ENDED_GONE,         /* gone, or let go, before any signal */
        VOL_ENDED_TERM,         /* ended after SIGTERM */
        VOL_ENDED_KILL,         /* ended after SIGKILL */
        _VOL_ENDED_MAX,
        _VOL_ENDED_INVALID = -EINVAL,
};

/* Returns a word for how a holder ended ("TERM"), or NULL. */
const char *vol_ended_to_string(enum vol_ended e);

struct vol_holder {
        pid_t pid;
        char comm[17];
        unsigned why;           /* VOL_HELD_* */
        bool spared;            /* PID 1 or ourselves: never signalled */
        enum vol_ended ended;
        int pidfd;              /* VOL_FIND_PIDFD: its /proc/PID directory, opened before anything of it
                                 * was read (a pidfd for pidfd_send_signal()); else -1 */
};

/* Where the volume stands in a mount table. */
enum vol_mount_state {
        VOL_MOUNT_NONE,         /* the device is not mounted, nothing is on the mount point */
        VOL_MOUNT_OK,           /* the device's root is mounted on the mount point (on top) */
        VOL_MOUNT_ELSEWHERE,    /* the device is mounted, but not on the mount point; where says where */
        VOL_MOUNT_OTHER,        /* another filesystem is on the mount point; where names its source */
        VOL_MOUNT_HELD,         /* not from a table (vol_device_state()): the device is in use all the
                                 * same, mounted in another mount namespace, on a mount point another
                                 * mount covers, or held open; where says how (I1) */
        _VOL_MOUNT_STATE_MAX,
        _VOL_MOUNT_STATE_INVALID = -EINVAL,
};

struct vol_mount_match {
        enum vol_mount_state state;
        const char *where;      /* into the table; see above */
        bool read_only;         /* VOL_MOUNT_OK: mounted ro */
        int mount_id;           /* VOL_MOUNT_OK */
};

/* Matches a mount table (as libmount parses /proc/self/mountinfo) against
 * device dev and the canonical mount point target. The topmost mount on
 * target counts (vol_mount_top()). Returns 0 with *ret set, or -EINVAL. */
int vol_mount_match(struct libmnt_table *tb, dev_t dev, const char *target, struct vol_mount_match *ret);

/* The topmost mount on a path, as a mount table lists it. */
struct vol_mount_top {
        dev_t devno;            /* mountinfo's major:minor: st_dev of the mounted filesystem */
        const char *source;     /* into the table; may be NULL */
        const char *fstype;     /* into the table; the kernel's name for it */
        bool whole;             /* the filesystem's root is mounted there, not a subdirectory */
        bool read_only;
        int mount_id;
};

/* Finds the topmost mount on the canonical mount point target in tb: the
 * last one mountinfo lists there. Returns 1 with *ret set, 0 when nothing
 * is mounted there, or -EINVAL. */
int vol_mount_top(struct libmnt_table *tb, const char *target, struct vol_mount_top *ret);
/* Returns a word for a mount state ("elsewhere"), or NULL. */
const char *vol_mount_state_to_string(enum vol_mount_state s);

/* --- I/O ------------------------------------------------------------------ */

struct vol_device {
        char *devname;          /* /dev/loop3 */
        dev_t devno;
        char *fstype;           /* what blkid found on it */
        char *uuid, *label;     /* NULL when the filesystem has none */
        char *partuuid;         /* the partition entry's UUID; read only for a PARTUUID= spec, by vol_identify() */
};

/* Returns true when d carries the tag spec names (UUID, LABEL or PARTUUID,
 * compared exactly); false for a path spec, which names a node, not a tag. */
bool vol_device_has_tag(const struct volspec *spec, const struct vol_device *d);
/* Finds DEVNAME= in the text of a sysfs uevent file (s[0..n), NUL not
 * needed): the device's node under /dev. Returns 0 with *ret pointing into
 * s and *ret_len; -ENOENT when there is none; -EBADMSG for a name that is
 * empty, absolute, or has a .. component. */
int vol_uevent_devname(const char *s, size_t n, const char **ret, size_t *ret_len);

/* Finds the device for spec with libblkid. A tag is looked for over every
 * block device, so two devices with one LABEL are found as two. Then probes
 * the device afresh and, when fstype is not NULL, checks its type. Returns
 * 0; -ENOENT when nothing matches; -ENOTUNIQ when several do; -ENOTBLK
 * for a path that is not a block device; -EMEDIUMTYPE when the type
 * differs (or none is found); -EINVAL for a bad spec; another -errno.
 * *ret_reason (may be NULL) gets a message in words on failure. */
int vol_lookup(const char *spec, const char *fstype, struct vol_device *ret, char **ret_reason);
/* Frees the strings in d and zeroes it; accepts NULL. */
void vol_device_done(struct vol_device *d);
/* Checks that the block device devno, which the mount table lists with
 * source (may be NULL), is the volume spec names, of type fstype, and that
 * it is present. Probes that one device and no other disk: its node is the
 * spec's path, or source, or /dev/block/MAJ:MIN, or /dev/NAME from sysfs,
 * whichever has that number; it is opened and its superblock read with
 * only fstype's prober (all of them only to say what else it holds).
 * Returns 0 with *ret; -ENXIO when it is not the volume (another tag or
 * node, or no block device at all); -ENODEV when it has no node any more
 * (gone); -EMEDIUMTYPE when it is the volume but holds another type, or
 * several signatures; -ENOTBLK for a path spec that is not a block device;
 * -EIO when its superblock cannot be read; -EINVAL; another -errno.
 * *ret_reason (may be NULL) gets a message in words on failure. */
int vol_identify(const char *spec, const char *fstype, dev_t devno, const char *source, struct vol_device *ret,
                 char **ret_reason);

/* Reads <proc>/self/mountinfo with libmount. Returns 0 with a new table, or -errno. */
int vol_read_mounts(int proc_fd, struct libmnt_table **ret);
/* vol_read_mounts() and vol_mount_match() in one; *ret_where gets a copy of
 * where (or NULL). Returns 0 or -errno. */
int vol_mount_state(int proc_fd, dev_t dev, const char *target, struct vol_mount_match *ret, char **ret_where);

/* Checks that path is a directory and not a symlink, and writes its
 * canonical path. Returns 0; -ENOENT; -ELOOP for a symlink; -ENOTDIR;
 * another -errno. */
int vol_mountpoint_resolve(const char *path, char **ret_canonical);
/* The mount point, for a mount (DESIGN.md "Check and mount"): walks the
 * absolute path from / one component at a time, each opened with O_PATH |
 * O_NOFOLLOW, and holds the last one open. Every directory above the mount
 * point must be owned by root and not writable by its group or others,
 * unless sticky, and a symlink on the way must be root's: else whoever
 * may write there could swap the mount point for a symlink between the
 * check and the mount. The mount point itself must be a directory, not a
 * symlink. Returns 0 with *ret_fd (O_PATH) and *ret_canonical; -ENOENT;
 * -ELOOP (a symlink as the mount point, or too many); -ENOTDIR; -EPERM
 * (an unsafe ancestor, named in *ret_reason); another -errno. */
int vol_mountpoint_open(const char *path, int *ret_fd, char **ret_canonical, char **ret_reason);

/* Runs argv (a vol_fsck_command()) with posix_spawn, its stdout sent to
 * our stderr, and waits. *ret_status gets the exit status, or -SIGNUM.
 * Returns 0 or -errno (e.g. -ENOENT: no such program). */
int vol_fsck_run(const char *const *argv, int *ret_status);

/* Mounts d onto the directory target_fd (vol_mountpoint_open()) with the
 * kernel's mount API: fsopen(), fsconfig() with the options libmount
 * splits (VFS flags become mount attributes, the rest filesystem
 * parameters; userspace ones are left out), fsmount(), and move_mount()
 * onto target_fd itself, never onto a path. Returns 0 with *ret_mount_fd,
 * the new mount (vol_unmount_fd() undoes it), or -errno; *ret_reason (may
 * be NULL) gets the kernel's message on failure. */
int vol_mount(const struct vol_device *d, int target_fd, const char *fstype, const char *options, int *ret_mount_fd,
              char **ret_reason);
/* Undoes a mount of d that vol_mount() just made: detaches the mount
 * mount_fd refers to (it holds it busy itself), closes mount_fd, and waits
 * a moment for d to be free. Returns 0 once d can be opened exclusively,
 * -EBUSY when something that got in meanwhile keeps the filesystem alive,
 * or another -errno. */
int vol_unmount_fd(int mount_fd, const struct vol_device *d);

enum {
        VOL_FIND_NAMESPACES = 1 << 0,   /* also the processes whose mount namespace has the filesystem */
        VOL_FIND_PIDFD = 1 << 1,        /* keep each holder's /proc/PID directory in pidfd */
};

/* Lists the processes under <proc> that hold the filesystem with st_dev
 * dev, through every thread (<proc>/PID/task/TID, or <proc>/PID where
 * there is no task/): by cwd, root, exe, open fds (stat through the magic
 * link) and file maps (device field of maps); with VOL_FIND_NAMESPACES
 * also by mount namespace: a process in a mount namespace other than ours
 * and PID 1's (where that can be read) whose mountinfo lists dev.
 * Identity, never path strings.
 * PID 1 and self are listed with spared set. Processes that vanish while
 * being read are skipped. Returns 0 with a new array (sorted by PID; free
 * it with vol_holders_free()), or -errno. */
int vol_find_holders(int proc_fd, dev_t dev, pid_t self, unsigned flags, struct vol_holder **ret, size_t *ret_n);
/* Closes the pidfds in h[0..n) and frees h; accepts NULL. */
void vol_holders_free(struct vol_holder *h, size_t n);

/* A mount namespace that has a filesystem mounted. */
struct vol_ns_mount {
        pid_t pid;              /* a process in it */
        char comm[17];
        char *where;            /* the mount point there, as that namespace's mountinfo lists it */
        bool ours;              /* our own mount namespace */
        bool init;              /* PID 1's (ours when PID 1's cannot be read) */
};
/* Lists the mount namespaces of the processes under <proc> whose
 * mountinfo lists device dev, ours and PID 1's included (flagged).
 * Returns 0 with a new array (free it with vol_ns_mounts_free()), or -errno. */
int vol_find_ns_mounts(int proc_fd, dev_t dev, struct vol_ns_mount **ret, size_t *ret_n);
/* Frees m[0..n) and m; accepts NULL. */
void vol_ns_mounts_free(struct vol_ns_mount *m, size_t n);

/* Opens d's node read-only with O_EXCL and closes it again: it succeeds
 * only when nothing has the device mounted (in any mount namespace) or
 * claimed. Returns 0; -EBUSY when it is in use; -ENXIO when the node is
 * no longer d's device; another -errno. */
int vol_device_exclusive(const struct vol_device *d);
enum {
        /* "not mounted" needs the exclusive open: nothing in this kernel may
         * have the device. Without it, a device that will not open
         * exclusively is held only when a process under <proc> has it
         * mounted in its mount namespace (a peer sharing our kernel, as the
         * cluster rig's nodes do, is not this node). */
        VOL_STATE_EXCLUSIVE = 1 << 0,
};
/* Where the volume's device d stands on this node, by the device rather
 * than the mount point's path: vol_mount_state() on <proc>/self/mountinfo
 * against target (canonical, or as configured when it does not resolve),
 * then VOL_MOUNT_OK only while target, looked at, is the volume (else
 * HELD: another mount covers it), and VOL_MOUNT_NONE only while d can be
 * opened exclusively, or, without VOL_STATE_EXCLUSIVE in flags, while no
 * process we can see has it mounted (else HELD: it is mounted in another
 * mount namespace, or in use). *ret_where (may be NULL) gets where, or for
 * HELD how, in words. Returns 0 or -errno. */
int vol_device_state(int proc_fd, const struct vol_device *d, const char *target, unsigned flags,
                     struct vol_mount_match *ret, char **ret_where);

struct vol_umount_report {
        struct vol_holder *holders;     /* as first found, with how each ended */
        size_t n_holders;
        bool unmounted;                 /* false: it was not mounted (nothing done) */
        char *reason;                   /* in words, on failure */
};

/* Stops using the filesystem on device d mounted at target: syncfs,
 * holders get TERM, then KILL once stop_timeout has passed, then a normal
 * unmount (never lazy). Done only when d can be opened exclusively (I1):
 * while it cannot, the processes whose mount namespace still has the
 * filesystem (VOL_FIND_NAMESPACES) are ended the same way. Holders are
 * signalled through the pidfds they were read through. Sleeps through
 * sleep_fn between looks. Returns 0, or -EBUSY (a holder would not go, a
 * spared process holds it, target is covered by another mount, or the
 * device stays in use), or another -errno; the report says what was done
 * either way. */
int vol_umount(int proc_fd, const char *target, const struct vol_device *d, usec_t stop_timeout,
               int (*sleep_fn)(usec_t), struct vol_umount_report *ret);
/* Frees what a report holds and zeroes it; accepts NULL. */
void vol_umount_report_done(struct vol_umount_report *r);

/* Where the volume stands, seen from the mount table and the mounted
 * device alone (monitor depth 0). */
struct vol_mounted {
        enum vol_mount_state state;
        bool read_only;                 /* VOL_MOUNT_OK: mounted ro */
        char *where;                    /* ELSEWHERE: the mount point it is at; OTHER: the source on target */
        struct vol_device dev;          /* OK, ELSEWHERE: the volume's device, as vol_identify() found it */
        char *reason;                   /* OTHER, and on failure: in words */
};

/* Monitor depth 0 without a scan: reads <proc>/self/mountinfo, takes the
 * topmost mount on the canonical mount point target, and checks its device
 * with vol_identify(): OK when it is the volume and the filesystem's root
 * is mounted there, OTHER when another filesystem (or a subdirectory) is.
 * When nothing is on target, only the block devices the table lists are
 * probed (for the configured type only), to tell ELSEWHERE from NONE.
 * Returns 0; -ENODEV when the device on target is gone; -EMEDIUMTYPE,
 * -ENOTBLK, -EIO as vol_identify(); -EINVAL; another -errno (the table
 * cannot be read). *ret is filled either way (the reason on failure). */
int vol_mounted(int proc_fd, const char *spec, const char *fstype, const char *target, struct vol_mounted *ret);
/* Frees what m holds and zeroes it; accepts NULL. */
void vol_mounted_done(struct vol_mounted *m);

/* Monitor depth 10: reads the first logical block of devname with
 * O_DIRECT into an aligned buffer. Returns 0 or -errno. */
int vol_read_block(const char *devname);
/* Monitor depth 20: writes, fsyncs, reads back (O_DIRECT where the
 * filesystem allows) and removes a probe file in <target>/.tandem-monitor/.
 * Returns 0; -EROFS when the mount is read-only (nothing written); -EIO
 * when the read-back differs; another -errno. */
int vol_write_probe(const char *target);

#define VOL_PROBE_DIR ".tandem-monitor"

/* --- the commands of tandem-volume and of the OCF agent volume ------------
 * (storage/volume-cmd.c). Each returns an OCF 1.1 code (include/tandem/
 * ocf.h; the plain command maps it to its exit status) and fills a job
 * struct with what it found, error the failure in words. The program logs
 * and prints from it; the fence interlock (I1), which needs group/, runs
 * in the program between vol_mount_prepare() and the rest of the mount. */

struct json_object;

/* What the command line or the OCF parameters give; NULL: not given. */
struct vol_overrides {
        const char *device, *fstype, *mountpoint, *options;
        const char *fsck;               /* auto, always or never */
        const char *stop_timeout;       /* a duration up to 1h */
        bool force;
};

/* What a command works on: the overrides over the group's [volume]. */
struct vol_settings {
        const char *device, *fstype, *mountpoint, *options; /* into the config or the overrides */
        enum cfg_fsck fsck;
        usec_t stop_timeout;
        bool force;                     /* mount without the reservation */
};

/* Fills *ret from the overrides over the group's [volume] (g may be NULL;
 * defaults otherwise) and checks it all, libmount's option parser
 * included; ocf names the OCF parameters in the reason. Returns
 * OCF_SUCCESS, or OCF_ERR_CONFIGURED with *ret_reason. */
int vol_settle(const struct cfg_group *g, const struct vol_overrides *o, bool ocf, struct vol_settings *ret,
               char **ret_reason);
/* Parses a monitor depth, "0", "10" or "20". Returns 0 or -EINVAL. */
int vol_parse_depth(const char *s, int *ret);

/* A mount, in steps: prepare, (the interlock), fsck_plan, fsck, complete. */
struct vol_mount_job {
        char *target;                   /* the canonical mount point */
        int target_fd;                  /* the mount point, held open (O_PATH) since it was checked; -1 */
        struct vol_device dev;
        enum vol_mount_state state;     /* before the mount; VOL_MOUNT_OK: already mounted, nothing to do */
        const char *fsck_argv[VOL_FSCK_ARGV_MAX]; /* the check the policy asks for; [0] NULL: none */
        enum vol_fsck_verdict fsck_verdict;
        char fsck_desc[256];            /* the fsck exit status in words */
        bool read_only;                 /* mounted read-only */
        char *error;                    /* why it failed, in words */
};

/* Opens and checks the mount point (vol_mountpoint_open(): held until the
 * mount), finds the device and reads where it stands (vol_device_state()).
 * Returns OCF_SUCCESS (j->state VOL_MOUNT_OK: already mounted there), or a
 * failure (elsewhere, another filesystem there, the device in use:
 * OCF_ERR_GENERIC; an unsafe mount point: OCF_ERR_PERM) with j->error. */
int vol_mount_prepare(const struct vol_settings *s, int proc_fd, struct vol_mount_job *j);
/* Fills j->fsck_argv by the fsck policy. Returns OCF_SUCCESS, or OCF_ERR_CONFIGURED (no checker for the type) or OCF_ERR_GENERIC with j->error. */
int vol_mount_fsck_plan(const struct vol_settings *s, struct vol_mount_job *j);
/* Runs j->fsck_argv and judges its exit. Returns OCF_SUCCESS (mountable), OCF_ERR_INSTALLED (no such program) or OCF_ERR_GENERIC with j->error. */
int vol_mount_fsck(struct vol_mount_job *j);
/* Mounts the device onto j->target_fd and checks that the mount table shows
 * that mount on j->target; if not (the directory was moved meanwhile, say),
 * unmounts it again. Returns OCF_SUCCESS or OCF_ERR_GENERIC with j->error. */
int vol_mount_complete(const struct vol_settings *s, int proc_fd, struct vol_mount_job *j);
/* Frees what the job holds and zeroes it; accepts NULL. */
void vol_mount_job_done(struct vol_mount_job *j);

/* An unmount (vol_umount()), and what it found. */
struct vol_unmount_job {
        char *target;                   /* the canonical mount point, once resolved (else as configured) */
        struct vol_device dev;
        bool no_mountpoint;             /* the mount point does not resolve (missing, or covered) */
        bool nothing_mounted;           /* the device is not found, and nothing is mounted on the mount point */
        bool have_report;               /* vol_umount() ran: rep says what it did */
        struct vol_umount_report rep;
        char *error;                    /* a failure in words; with nothing_mounted the lookup's, on a success */
};

/* Stops using the volume and unmounts it (idempotent). Returns OCF_SUCCESS
 * (also when it was not mounted), or a failure with j->error. */
int vol_unmount(const struct vol_settings *s, int proc_fd, int (*sleep_fn)(usec_t), struct vol_unmount_job *j);
/* Frees what the job holds and zeroes it; accepts NULL. */
void vol_unmount_job_done(struct vol_unmount_job *j);
/* Returns a new {"command":"umount","ok",...,"holders":[...]} object for an unmount's report, or NULL on ENOMEM. */
struct json_object *vol_umount_report_to_json(const struct vol_umount_report *rep, bool ok);

/* Where the volume stands, for `tandem-volume status`. */
struct vol_status {
        bool known;                     /* the state below was found (print it), whatever the code */
        char *target;
        struct vol_device dev;          /* the device, when found */
        enum vol_mount_state state;
        bool read_only;
        char *where;                    /* ELSEWHERE: its mount point; OTHER: the source on target; HELD: how */
        size_t n_holders;               /* mounted, held: the processes that hold it */
        int holders_error;              /* they could not be listed: -errno */
        char *error;                    /* a failure in words (the device not found, also with known set) */
};

/* Finds the volume by its device and its state (vol_device_state(): a
 * missing or covered mount point does not make it "not mounted"), and when
 * mounted or held its holders (self spared). Returns OCF_SUCCESS (mounted),
 * OCF_NOT_RUNNING (not mounted, and the device is free), or a failure
 * (OCF_ERR_GENERIC when it is elsewhere, held, or something else is there). */
int vol_status(const struct vol_settings *s, int proc_fd, pid_t self, struct vol_status *st);
/* Frees what the status holds and zeroes it; accepts NULL. */
void vol_status_done(struct vol_status *st);
/* Returns a new object with the status's fields (device, devname, fstype, mountpoint, state, ...), or NULL on ENOMEM. */
struct json_object *vol_status_to_json(const struct vol_settings *s, const struct vol_status *st);

/* A monitor at depth 0, 10 or 20, and what it found. */
struct vol_monitor {
        int depth;
        char *target;
        struct vol_mounted m;
        const char *note;               /* static: what was skipped (depth 20 on a read-only mount) */
        char *error;                    /* why it failed, in words */
};

/* Checks the volume: mounted at the mount point from the right device
 * (without probing other disks), then by depth a block read with O_DIRECT
 * (10) and a probe file written and read back (20). Returns OCF_SUCCESS,
 * OCF_NOT_RUNNING, or a failure with mon->error. */
int vol_monitor(const struct vol_settings *s, int proc_fd, int depth, struct vol_monitor *mon);
/* Frees what the monitor holds and zeroes it; accepts NULL. */
void vol_monitor_done(struct vol_monitor *mon);
/* Returns a new {"ok":true,"depth",...,"write_test"} object for a monitor that passed, or NULL on ENOMEM. */
struct json_object *vol_monitor_to_json(const struct vol_monitor *mon);

/* Returns the OCF 1.1 metadata (XML) of the agent volume, with version, as a new string; NULL on ENOMEM. */
char *vol_agent_metadata(const char *version);
