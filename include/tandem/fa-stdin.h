/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fence-agent input protocol, for fence_tandem (DESIGN.md, Pacemaker).
 * Pacemaker writes "name=value" lines on the agent's stdin; people give the
 * same as long options (--action=off, --plug db1) or fence-agents' short
 * ones (-o off, -n db1). Both land in one struct fa_request. Pure: no I/O.
 *
 * Stdin, as fence-agents' fencing.py reads it: each line is trimmed of
 * surrounding white space; empty lines and lines starting with '#' are
 * skipped; the name is what comes before the first '=', with '-' and '_'
 * alike; a value in double quotes loses them. Unknown names are ignored
 * (Pacemaker passes many keys an agent does not know) and listed in
 * ->ignored. A line longer than FA_LINE_MAX, a line without '=', an empty or
 * ill-formed name, a NUL byte, or a bad value of a known parameter is an
 * error that names the line and the parameter. On the command line an
 * unknown option is an error. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tandem/macro.h"
#include "tandem/pr-type.h"

#define FA_LINE_MAX 4096               /* bytes in one stdin line, without its newline */
#define FA_INPUT_MAX (256 * 1024)      /* bytes of stdin in all */

enum fa_action {
        FA_ACTION_OFF,
        FA_ACTION_ON,
        FA_ACTION_STATUS,
        FA_ACTION_MONITOR,
        FA_ACTION_LIST,
        FA_ACTION_METADATA,
        FA_ACTION_VALIDATE_ALL,
        _FA_ACTION_MAX,
        _FA_ACTION_INVALID = -EINVAL,
};

/* One message tied to where it came from: a stdin line (line >= 1) or the
 * command line (line 0). */
struct fa_note {
        unsigned line;
        char *text;
};

struct fa_request {
        enum fa_action action;          /* default: off, as fence-agents */
        char *plug;                     /* the node to act on (plug or port): a node name, or a 0x key */
        char **devices;                 /* NULL terminated; comma or white-space separated in the input */
        size_t n_devices;
        char *group;                    /* a tandem group name */
        char *config;                   /* a tandem config file */
        uint64_t key;                   /* this node's key; 0: not given */
        char *cluster;
        char *initiator;
        char *nodename;                 /* Pacemaker's name of the node the agent runs on */
        enum pr_type type;              /* valid when type_set */
        bool type_set;
        bool aptpl, aptpl_set;
        usec_t timeout;                 /* io_timeout: per device command; 0: not given */
        usec_t delay;                   /* before off */
        usec_t power_wait;              /* after on and off */
        bool verbose;
        char *debug_file;
        bool help, version;             /* command line only */

        struct fa_note *ignored;        /* unknown names, as "name" */
        size_t n_ignored;
        struct fa_note *errors;         /* every problem found, in input order */
        size_t n_errors;
};

/* Parses len bytes of stdin text into *req (zeroed, or fresh from
 * fa_request_done). Returns 0 when there are no errors, -EINVAL when there
 * are (req->errors says which), -ENOMEM. */
int fa_parse_stdin(const char *text, size_t len, struct fa_request *req);
/* Parses argv[1..argc-1] (long options, with "=VALUE" or the next word, and
 * -o -n -d -k -g -c -i -v -h -V) into *req. Returns as fa_parse_stdin(). */
int fa_parse_argv(int argc, char *const *argv, struct fa_request *req);
/* Checks what the parameters say together, before any config is read:
 * a plug where the action needs one, -g and -c not both, devices or a
 * group where the action touches devices. Adds to req->errors. Returns 0 or
 * -EINVAL. */
int fa_request_check(struct fa_request *req);
/* Frees everything in req and zeroes it; accepts NULL. */
void fa_request_done(struct fa_request *req);

/* Returns the protocol name of an action ("validate-all"), or NULL. */
const char *fa_action_to_string(enum fa_action a);
/* Returns the action for a name, or _FA_ACTION_INVALID. */
enum fa_action fa_action_from_string(const char *s);
/* Returns true if a needs the node named by plug. */
bool fa_action_needs_plug(enum fa_action a);
/* Returns true if a works on the fence devices. */
bool fa_action_needs_devices(enum fa_action a);
