/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by the library's modules. */
#pragma once

#include "tandem/macro.h"

/* Replaces *ret_reason (freed first; must be NULL or malloc'd) with a
 * formatted explanation for a caller; does nothing when ret_reason is NULL.
 * Out of memory leaves *ret_reason NULL. */
void set_reason(char **ret_reason, const char *fmt, ...) _printf_(2, 3);
