/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The group configuration, /etc/tandem/<group>.conf (DESIGN.md, Configuration).
 * cfg_parse_string() is pure; cfg_load() adds the file checks and I/O. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tandem/macro.h"
#include "tandem/pr-type.h"

#define CFG_DIR "/etc/tandem"
#define CFG_DEFAULT_GROUP "db"

enum cfg_fsck {
        CFG_FSCK_AUTO,
        CFG_FSCK_ALWAYS,
        CFG_FSCK_NEVER,
        _CFG_FSCK_MAX,
        _CFG_FSCK_INVALID = -EINVAL,
};

enum cfg_on_degraded {
        CFG_ON_DEGRADED_ALLOW,
        CFG_ON_DEGRADED_REFUSE,
        _CFG_ON_DEGRADED_MAX,
        _CFG_ON_DEGRADED_INVALID = -EINVAL,
};

/* What the watch does when this node's key is gone (I4). */
enum cfg_on_fenced {
        CFG_ON_FENCED_STOP,     /* stop the group (systemd mode) */
        CFG_ON_FENCED_REBOOT,   /* reboot the node at once (Pacemaker mode) */
        _CFG_ON_FENCED_MAX,
        _CFG_ON_FENCED_INVALID = -EINVAL,
};

/* Where a value came from, for `tandem config`. */
enum cfg_source {
        CFG_SOURCE_DEFAULT,
        CFG_SOURCE_FILE,
        CFG_SOURCE_DERIVED,
        CFG_SOURCE_COMMAND_LINE,
        _CFG_SOURCE_MAX,
        _CFG_SOURCE_INVALID = -EINVAL,
};

struct cfg_error {
        unsigned line;   /* 0: the file as a whole */
        char *key;       /* "section.key", "[section]", or NULL */
        char *message;
};

struct cfg_address {
        int family;      /* AF_INET or AF_INET6 */
        uint8_t addr[16];
        unsigned prefixlen;
};

/* A check of one value beyond the parser's own, given by the caller.
 * Returns 0, or -EINVAL with *ret_reason set to a static explanation. */
typedef int (*cfg_check_fn)(const char *value, const char **ret_reason);

struct cfg_group {
        /* Set by the caller before parsing, or NULL; the parser only reads
         * it. [volume] options are checked as text here (no empty option,
         * no control characters); a program that mounts, or that checks
         * configs, sets volspec_check_options (libmount's parser; it also
         * refuses bind, remount, ...). Every other program links no libmount. */
        cfg_check_fn check_options;

        char *path;

        struct {
                char *name;
                char *node;
                char *peer;
                char *peer_address;
                enum cfg_source node_source, peer_address_source;
        } cluster;

        struct {
                bool present;
                char **devices;
                size_t n_devices;
                enum pr_type type;
                uint64_t key, peer_key;         /* peer_key 0: unknown (no peer) */
                enum cfg_source key_source, peer_key_source;
                char *initiator;
                bool aptpl;
                usec_t timeout;
                usec_t watch_interval;
                /* How long a takeover watches a holding peer's heartbeat
                 * (I3), and how long the watch tolerates a device that does
                 * not answer (I4); auto: 2 x watch_interval + 2 x
                 * timeout, and 2 x watch_interval + timeout. */
                usec_t takeover_wait, grace;
                enum cfg_source takeover_wait_source, grace_source;
                usec_t drain;                   /* wait after a PREEMPT without abort */
                enum cfg_on_fenced on_fenced;
        } fence;

        struct {
                bool present;
                char **devices;
                size_t n_devices;
                enum cfg_on_degraded on_degraded;
        } raid;

        struct {
                bool present;
                char *device;
                char *fstype;
                char *mountpoint;
                char *options;
                enum cfg_fsck fsck;
                usec_t stop_timeout;
        } volume;

        struct {
                bool present;
                char *unit;
                char *address;                  /* as written, e.g. 10.0.0.100/24 */
                struct cfg_address address_parsed;
                char *interface;
        } service;

        /* Every problem found, in file order. */
        struct cfg_error *errors;
        size_t n_errors;
};

enum {
        /* Skip the owner/mode checks; for tests, and said in a warning by callers. */
        CFG_LOAD_INSECURE = 1 << 0,
};

/* Parses the text of one group file. path names it in errors; hostname is the
 * default for cluster.node. Fills *g (which must be zeroed or fresh from
 * cfg_group_done(), but for check_options) with what it can and records
 * every problem in g->errors. Returns 0 when there are no errors, -EINVAL
 * when there are, -ENOMEM. */
int cfg_parse_string(const char *text, const char *path, const char *hostname, struct cfg_group *g);

/* Opens, checks (owner root, not writable by group or others, like sshd's
 * StrictModes, for the file and its directory), reads and parses path.
 * Problems with the file itself become errors in g as well. Returns as
 * cfg_parse_string(), or -errno when the file cannot be read at all (then
 * g->errors says why). */
int cfg_load(const char *path, const char *hostname, unsigned flags, struct cfg_group *g);

/* Writes "/etc/tandem/<group>.conf" into a new string at *ret_path. Returns 0,
 * -EINVAL for a group name that is not [A-Za-z0-9_.-]{1,64} (or starts with
 * '.'), -ENOMEM. */
int cfg_group_path(const char *group, char **ret_path);

/* Frees everything in g and zeroes it; accepts NULL. */
void cfg_group_done(struct cfg_group *g);

/* Parses a duration: one or more <number><unit> (unit ms, s, m, h; a bare
 * number is seconds), e.g. "10s", "500ms", "1m30s". Returns 0, -EINVAL,
 * -ERANGE. */
int cfg_parse_duration(const char *s, usec_t *ret);
/* Formats a duration the way cfg_parse_duration reads it ("1m30s", "500ms"). */
char *cfg_format_duration(usec_t u, char *buf, size_t n);
/* Parses "ADDRESS/PREFIX" (IPv4 or IPv6) into *ret. Returns 0, or -EINVAL
 * with *reason set to a static explanation. */
int cfg_parse_address(const char *s, struct cfg_address *ret, const char **reason);
/* Parses yes/no/true/false/on/off/1/0. Returns 0 or -EINVAL. */
int cfg_parse_bool(const char *s, bool *ret);

/* Returns the config name of an enum value, or NULL. */
const char *cfg_fsck_to_string(enum cfg_fsck f);
const char *cfg_on_degraded_to_string(enum cfg_on_degraded d);
/* Returns "stop" or "reboot", or NULL for a bad value. */
const char *cfg_on_fenced_to_string(enum cfg_on_fenced f);
const char *cfg_source_to_string(enum cfg_source s);

/* Prints all of g->errors, one per line, as "path:line: key: message". */
void cfg_print_errors(const struct cfg_group *g, FILE *f);
