/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging for the programs (library code does not log, STYLE.md rule 8).
 * People get plain lines on stderr; the journal gets structured entries. */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "tandem/macro.h"

enum log_target {
        LOG_TARGET_AUTO,    /* TTY: console. Under systemd (JOURNAL_STREAM): journal.
                             * Otherwise (a pipe, a file): console and journal. */
        LOG_TARGET_CONSOLE,
        LOG_TARGET_JOURNAL,
        _LOG_TARGET_MAX,
        _LOG_TARGET_INVALID = -EINVAL,
};

/* One structured journal field, "NAME" and its value. */
struct log_field {
        const char *name;
        const char *value;
};

/* Sets the program name, the most verbose level shown (LOG_DEBUG..LOG_ERR)
 * and the target. Call once from main(). */
void log_setup(const char *ident, int max_level, enum log_target target);
/* Returns the target for a name (auto, console, journal), or _LOG_TARGET_INVALID. */
enum log_target log_target_from_string(const char *s);
/* Returns true if a message at level would be shown. */
bool log_enabled(int level);

/* Logs one message; error is an errno value (either sign) appended as
 * ": <strerror>", or 0. Returns -abs(error), so callers can
 * `return log_error_errno(r, "...")`. */
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);
/* The same, with structured journal fields and an optional MESSAGE_ID
 * (32 hex digits, or NULL). Fields are not shown on the console. */
int log_struct(int level, int error, const char *message_id, const struct log_field *fields,
               size_t n_fields, const char *fmt, ...) _printf_(6, 7);

/* The same, to the journal only, when the journal is a target: for records
 * of what was done that the program has already shown people. */
int log_journal(int level, int error, const char *message_id, const struct log_field *fields, size_t n_fields,
                const char *fmt, ...) _printf_(6, 7);

#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_internal(LOG_ERR, (e), __VA_ARGS__)
