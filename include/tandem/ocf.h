/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OCF resource-agent API (OCF 1.1) that tandem's agents share: exit
 * codes, action names, parameters from the environment, and the exit
 * reason Pacemaker shows (DESIGN.md, Orchestration -> Pacemaker agents). */
#pragma once

#include "tandem/macro.h"

/* OCF 1.1 exit codes. */
enum {
        OCF_SUCCESS = 0,
        OCF_ERR_GENERIC = 1,
        OCF_ERR_ARGS = 2,
        OCF_ERR_UNIMPLEMENTED = 3,
        OCF_ERR_PERM = 4,
        OCF_ERR_INSTALLED = 5,
        OCF_ERR_CONFIGURED = 6,
        OCF_NOT_RUNNING = 7,
        OCF_RUNNING_PROMOTED = 8,
        OCF_FAILED_PROMOTED = 9,
        OCF_DEGRADED = 190,
        OCF_DEGRADED_PROMOTED = 191,
};

/* How much of an exit reason Pacemaker keeps; say the reason first. */
#define OCF_EXIT_REASON_MAX 128

/* The actions tandem's agents implement; "status" is read as monitor. */
enum ocf_action {
        OCF_ACTION_START,
        OCF_ACTION_STOP,
        OCF_ACTION_MONITOR,
        OCF_ACTION_VALIDATE_ALL,
        OCF_ACTION_META_DATA,
        _OCF_ACTION_MAX,
        _OCF_ACTION_INVALID = -EINVAL,
};

/* Returns the action for a name ("status" gives OCF_ACTION_MONITOR), or _OCF_ACTION_INVALID. */
enum ocf_action ocf_action_from_string(const char *s);
/* Returns the value of environment variable name, or NULL when it is unset or empty. */
const char *ocf_getenv(const char *name);
/* Prints "ocf-exit-reason:" and the formatted reason as one line on stderr (newlines become spaces); returns rc. */
int ocf_exit_reason(int rc, const char *fmt, ...) _printf_(2, 3);
