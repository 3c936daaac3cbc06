/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The few libsystemd calls that every program may make (journal, notify,
 * stopping a unit), loaded with dlopen() on first use, as systemd loads its
 * optional libraries. libsystemd maps seven shared objects (with libgcrypt,
 * liblzma, libzstd, liblz4, libcap); a quiet run (a monitor that finds all
 * well, a status, a check) then never maps them. The programs that speak
 * sd-bus throughout (tandem) link libsystemd as usual. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "tandem/macro.h"

/* Whether libsystemd could be loaded (loads it). */
bool sdl_available(void);
/* sd_journal_sendv(3). Returns its result, or -ELIBACC without libsystemd. */
int sdl_journal_sendv(const struct iovec *iov, int n);
/* sd_pid_get_unit(3). Returns its result, or -ELIBACC. */
int sdl_pid_get_unit(pid_t pid, char **ret_unit);
/* sd_notify(3), when $NOTIFY_SOCKET is set (else nothing is loaded).
 * Returns its result, 0 without a socket, or -ELIBACC. */
int sdl_notify(const char *state);
int sdl_notifyf(const char *fmt, ...) _printf_(1, 2);
/* Stops unit on this node's systemd (StopUnit, mode "replace") over the
 * system bus. Returns 0 or -errno; *ret_error (may be NULL) gets the D-Bus
 * error message. */
int sdl_stop_unit(const char *unit, char **ret_error);
