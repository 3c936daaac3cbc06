/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How the programs show what a fence operation did: one place for
 * tandem-fence, tandem and fence_tandem. */
#pragma once

#include <stdbool.h>

#include "tandem/fence.h"
#include "tandem/log.h"

/* Prints the report on stdout: a line per step (ok, WARNING, FAILED), or
 * with json one object {command, ok, error, steps[]}. */
void fence_report_print(const struct fence *f, const char *cmd, int r, bool json);
/* Logs each step with MESSAGE_ID and the fields TANDEM_COMMAND,
 * TANDEM_DEVICE, TANDEM_KEY plus extra: to the journal only, or, with
 * console, wherever the log goes (for fence_tandem, whose stdout is not for
 * people). */
void fence_report_log(const struct fence *f, const char *cmd, const struct log_field *extra, size_t n_extra,
                      bool console);
