/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Persistent-reservation types, with the SPC-4 TYPE codes (SPC-4 table 171)
 * as values, and their configuration names. */
#pragma once

#include <errno.h>

enum pr_type {
        PR_TYPE_WRITE_EXCLUSIVE = 0x1,
        PR_TYPE_EXCLUSIVE_ACCESS = 0x3,
        PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY = 0x5,
        PR_TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY = 0x6,
        PR_TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS = 0x7,
        PR_TYPE_EXCLUSIVE_ACCESS_ALL_REGISTRANTS = 0x8,
        _PR_TYPE_MAX,
        _PR_TYPE_INVALID = -EINVAL,
};

/* Returns the config name of a type ("write-exclusive-registrants-only"), or NULL. */
const char *pr_type_to_string(enum pr_type t);
/* Returns the type for a config name, or _PR_TYPE_INVALID. */
enum pr_type pr_type_from_string(const char *s);
