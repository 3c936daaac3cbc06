/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers shared by every module: reasons, time, string vectors. */
#pragma once

#include <stdarg.h>
#include <time.h>

#include "tandem/macro.h"

/* Replaces *ret_reason (freed first; must be NULL or malloc'd) with a
 * formatted explanation for a caller; does nothing when ret_reason is NULL.
 * Out of memory leaves *ret_reason NULL. */
void set_reason(char **ret_reason, const char *fmt, ...) _printf_(2, 3);

/* Returns clock c (CLOCK_MONOTONIC, CLOCK_REALTIME, ...) in usec. */
usec_t now(clockid_t c);
/* Sleeps u usec, resuming after signals. Returns 0. */
int sleep_usec(usec_t u);

/* Frees a NULL-terminated vector of strings and the vector; accepts NULL. */
void strv_free(char **v);
/* Frees the n strings of v and v; accepts NULL. */
void strv_free_n(char **v, size_t n);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);

/* Returns a new formatted string, or NULL on ENOMEM. */
char *strprintf(const char *fmt, ...) _printf_(1, 2);
/* The same with a va_list. */
char *strvprintf(const char *fmt, va_list ap) _printf_(1, 0);
/* Returns strdup(s), or NULL when s is NULL or on ENOMEM. */
char *strdup_null(const char *s);
