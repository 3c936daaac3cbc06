/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The real ops of group-run.h: systemd over sd-bus (this node's system
 * bus, or the peer's over SSH as systemctl -H does), this node's journal,
 * and the group's fence devices. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>

#include "tandem/group-run.h"
#include "tandem/group.h"
#include "tandem/util.h"

static int bus_open_local(usec_t timeout, void **ret, char **ret_error) {
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r >= 0) {
                /* The socket may exist with nobody behind it: ask once. */
                sd_bus_error e = SD_BUS_ERROR_NULL;
                r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.DBus.Peer", "Ping", &e, NULL, NULL);
                sd_bus_error_free(&e);
        }
        if (r < 0) {
                sd_bus_flush_close_unref(bus);
                set_reason(ret_error, "%s", strerror(-r));
                return r;
        }
        (void) sd_bus_set_method_call_timeout(bus, timeout);
        *ret = bus;
        return 0;
}

/* ssh to a dead host can take a minute to give up (SYN retries while the
 * neighbour entry ages); a TCP connect to its port 22 first, bounded, says
 * so in seconds. Refused: the host is up, ssh may use another port; go on. */
static int bus_open_peer(const char *address, usec_t connect_timeout, usec_t timeout, void **ret,
                         char **ret_error) {
        _cleanup_free_ char *remote = NULL;
        usec_t rtt = 0;
        sd_bus *bus = NULL;
        int r = gs_tcp_probe(address, 22, connect_timeout, &rtt);
        if (r < 0 && r != -ECONNREFUSED) {
                set_reason(ret_error, "no TCP connection to %s port 22 within %.0fs: %s", address,
                           (double) connect_timeout / USEC_PER_SEC, r == -ETIMEDOUT ? "timed out" : strerror(-r));
                return r;
        }
        if (asprintf(&remote, "root@%s", address) < 0)
                return -ENOMEM;
        r = sd_bus_open_system_remote(&bus, remote);
        if (r < 0) {
                set_reason(ret_error, "%s", strerror(-r));
                return r;
        }
        (void) sd_bus_set_method_call_timeout(bus, timeout);
        *ret = bus;
        return 0;
}

static void bus_close(void *sd) {
        sd_bus_flush_close_unref(sd);
}

static int bus_job(void *sd, const char *method, const char *unit, usec_t timeout, char **ret_result,
                   char **ret_error) {
        return gs_unit_job(sd, method, unit, timeout, ret_result, ret_error);
}

static int bus_active_state(void *sd, const char *unit, char **ret, char **ret_error) {
        return gs_unit_active_state(sd, unit, ret, ret_error);
}

static int bus_unit_times(void *sd, const char *unit, struct gs_unit_times *ret) {
        int r = gs_unit_times(sd, unit, ret);
        if (r < 0)
                *ret = (struct gs_unit_times) {};
        return r;
}

/* The last error-level journal message of unit since the realtime 'since',
 * on this host. Returns a new string or NULL. */
static char *journal_last_error(const char *unit, usec_t since) {
        sd_journal *j = NULL;
        char match[400], match2[400], *out = NULL;
        if (sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM) < 0)
                return NULL;
        /* tandem's programs name their unit in OBJECT_SYSTEMD_UNIT too (see
         * log.c); _UID=0, so that no local user can plant a reason. */
        snprintf(match, sizeof match, "_SYSTEMD_UNIT=%s", unit);
        snprintf(match2, sizeof match2, "OBJECT_SYSTEMD_UNIT=%s", unit);
        if (sd_journal_add_match(j, match, 0) >= 0 && sd_journal_add_disjunction(j) >= 0 &&
            sd_journal_add_match(j, match2, 0) >= 0 && sd_journal_add_match(j, "_UID=0", 0) >= 0 &&
            sd_journal_seek_tail(j) >= 0)
                for (int k = 0; k < 50 && sd_journal_previous(j) > 0; k++) {
                        uint64_t t;
                        const void *d;
                        size_t l;
                        if (sd_journal_get_realtime_usec(j, &t) < 0 || t < since)
                                break;
                        /* An error, or an OCF agent's exit reason (on stderr, so at info). */
                        bool error = sd_journal_get_data(j, "PRIORITY", &d, &l) >= 0 && l == 10 &&
                                     ((const char *) d)[9] <= '3';
                        if (sd_journal_get_data(j, "MESSAGE", &d, &l) < 0 || l <= 8)
                                continue;
                        const char *m = (const char *) d + 8;
                        size_t ml = l - 8;
                        const char *ocf = "ocf-exit-reason:";
                        if (ml > strlen(ocf) && strncmp(m, ocf, strlen(ocf)) == 0) {
                                out = strndup(m + strlen(ocf), ml - strlen(ocf));
                                break;
                        }
                        if (error) {
                                out = strndup(m, ml);
                                break;
                        }
                }
        sd_journal_close(j);
        return out;
}

static usec_t mono(void) {
        return now(CLOCK_MONOTONIC);
}

static usec_t real(void) {
        return now(CLOCK_REALTIME);
}

const struct group_systemd_ops group_systemd_bus = {
        .open_local = bus_open_local,
        .open_peer = bus_open_peer,
        .close = bus_close,
        .job = bus_job,
        .active_state = bus_active_state,
        .unit_times = bus_unit_times,
        .last_error = journal_last_error,
        .now = mono,
        .realtime = real,
};

const struct group_fence_ops group_fence_real = {
        .open = group_fence_open,
        .preflight = group_preflight,
};
