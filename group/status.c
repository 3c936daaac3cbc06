/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A node's view of its service group, and the systemd jobs of takeover and
 * move. See include/tandem/group-status.h. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "tandem/dm-health.h"
#include "tandem/fence.h"
#include "tandem/group-status.h"
#include "tandem/key.h"
#include "tandem/netaddr.h"
#include "tandem/raid.h"
#include "tandem/util.h"
#include "tandem/volume.h"

static const char *const role_names[_GS_ROLE_MAX] = {
        [GS_ROLE_ACTIVE] = "active",     [GS_ROLE_RESERVED] = "reserved", [GS_ROLE_PASSIVE] = "passive",
        [GS_ROLE_FENCED] = "fenced",     [GS_ROLE_UNFENCED] = "unfenced", [GS_ROLE_UNKNOWN] = "unknown",
};

const char *gs_role_to_string(enum gs_role r) {
        if (r < 0 || r >= _GS_ROLE_MAX)
                return NULL;
        return role_names[r];
}

/* Drops trailing white space (libiscsi's messages end in a newline). */
static char *chomp(char *s) {
        size_t n = s ? strlen(s) : 0;
        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
                s[--n] = '\0';
        return s;
}

enum gs_role gs_role(bool fenced, const struct gs_fence_dev *devs, size_t n, bool volume_present,
                     bool volume_mounted_rw, char **ret_reason) {
        size_t unreadable = 0, holding = 0, registered = 0;
        const char *gone = NULL, *bad = NULL;

        if (!fenced) {
                *ret_reason = strprintf("the group has no [fence] section: nothing stops two writers");
                return GS_ROLE_UNFENCED;
        }
        for (size_t i = 0; i < n; i++) {
                if (devs[i].error < 0) {
                        unreadable++;
                        bad = bad ? bad : devs[i].device;
                        continue;
                }
                if (!devs[i].registered)
                        gone = gone ? gone : devs[i].device;
                else
                        registered++;
                holding += devs[i].holder;
        }
        /* Evidence beats ignorance: a key seen gone is fenced even when
         * another device cannot be read. */
        if (gone) {
                *ret_reason = strprintf("our key is not registered on %s", gone);
                return GS_ROLE_FENCED;
        }
        if (n == 0) {
                *ret_reason = strprintf("no fence devices");
                return GS_ROLE_UNKNOWN;
        }
        if (unreadable > 0) {
                *ret_reason = strprintf("%zu of %zu fence device%s could not be read (first: %s)", unreadable, n,
                                  n == 1 ? "" : "s", bad);
                return GS_ROLE_UNKNOWN;
        }
        if (holding == n) {
                if (!volume_present) {
                        *ret_reason = strprintf("holds the reservation on every fence device (no [volume])");
                        return GS_ROLE_ACTIVE;
                }
                if (volume_mounted_rw) {
                        *ret_reason = strprintf("holds the reservation on every fence device; the volume is mounted read-write");
                        return GS_ROLE_ACTIVE;
                }
                *ret_reason = strprintf("holds the reservation on every fence device, but the volume is not mounted "
                                  "read-write (starting, stopping, or a failed start)");
                return GS_ROLE_RESERVED;
        }
        if (holding == 0) {
                *ret_reason = strprintf("registered on every fence device; the reservation is not ours");
                return GS_ROLE_PASSIVE;
        }
        *ret_reason = strprintf("holds the reservation on %zu of %zu fence devices", holding, n);
        return GS_ROLE_UNKNOWN;
}

int gs_tcp_probe(const char *host, unsigned port, usec_t timeout, usec_t *ret_elapsed) {
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG }, *ai = NULL;
        char ps[16];
        usec_t start = gs_now();
        int r;

        snprintf(ps, sizeof ps, "%u", port);
        r = getaddrinfo(host, ps, &hints, &ai);
        if (r != 0)
                return r == EAI_SYSTEM ? -errno : r == EAI_MEMORY ? -ENOMEM : -EHOSTUNREACH;
        r = -EHOSTUNREACH;
        for (struct addrinfo *a = ai; a; a = a->ai_next) {
                usec_t now = gs_now();
                if (now - start >= timeout) {
                        r = -ETIMEDOUT;
                        break;
                }
                int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
                if (fd < 0) {
                        r = -errno;
                        continue;
                }
                if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
                        r = 0;
                else if (errno != EINPROGRESS)
                        r = -errno;
                else {
                        struct pollfd p = { .fd = fd, .events = POLLOUT };
                        int left = (int) ((timeout - (now - start)) / USEC_PER_MSEC) + 1;
                        int n = poll(&p, 1, left);
                        if (n == 0)
                                r = -ETIMEDOUT;
                        else if (n < 0)
                                r = -errno;
                        else {
                                int err = 0;
                                socklen_t l = sizeof err;
                                r = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0 ? -errno : -err;
                        }
                }
                close(fd);
                if (r == 0)
                        break;
        }
        freeaddrinfo(ai);
        if (r == 0 && ret_elapsed)
                *ret_elapsed = gs_now() - start;
        return r;
}

usec_t gs_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

char *gs_group_of(const char *path) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t n = strlen(base);
        if (n > 5 && strcmp(base + n - 5, ".conf") == 0)
                n -= 5;
        return strndup(base, n);
}

char *gs_target_for(const char *path) {
        _cleanup_free_ char *grp = gs_group_of(path);
        return grp ? strprintf("tandem-active@%s.target", grp) : NULL;
}

/* --------------------------------------------------------------- reading */

static void read_fence(const struct cfg_group *g, struct gs_status *s) {
        struct pr_open_args oa = { .initiator = g->fence.initiator, .timeout = g->fence.timeout, .ua_retries = 5 };
        size_t n = g->fence.n_devices, n_open = 0;
        struct pr_dev **devs = calloc(n ? n : 1, sizeof *devs);
        size_t *where = calloc(n ? n : 1, sizeof *where);

        s->fence = calloc(n ? n : 1, sizeof *s->fence);
        if (!s->fence || !devs || !where) {
                free(devs);
                free(where);
                return;
        }
        s->n_fence = n;
        for (size_t i = 0; i < n; i++) {
                char *why = NULL;
                s->fence[i].device = strdup_null(g->fence.devices[i]);
                int r = pr_dev_open(g->fence.devices[i], &oa, &devs[n_open], &why);
                if (r < 0) {
                        s->fence[i].error = r;
                        s->fence[i].reason = chomp(why);
                        continue;
                }
                free(why);
                where[n_open++] = i;
        }
        if (n_open == 0) {
                free(devs);
                free(where);
                return;
        }
        /* fence_init() sorts the devices: keep which entry each one is by name. */
        struct pr_dev **copy = calloc(n_open, sizeof *copy);
        if (!copy) {
                for (size_t j = 0; j < n_open; j++)
                        pr_dev_close(devs[j]);
                free(devs);
                free(where);
                return;
        }
        memcpy(copy, devs, n_open * sizeof *copy);
        struct fence f;
        int r = fence_init(&f, copy, n_open, g->fence.key, g->fence.type, 0);
        if (r < 0) {
                for (size_t j = 0; j < n_open; j++) {
                        s->fence[where[j]].error = r;
                        s->fence[where[j]].reason =
                                strprintf("%s", f.report.n > 0 && f.report.steps[0].action ? f.report.steps[0].action
                                                                                    : "cannot use the devices together");
                }
                fence_done(&f);
                free(devs);
                free(where);
                return;
        }
        struct fence_dev_status *st = calloc(n_open, sizeof *st);
        if (st) {
                (void) fence_status(&f, st);
                for (size_t k = 0; k < f.n; k++) {
                        size_t j;
                        for (j = 0; j < n_open && devs[j] != f.devs[k]; j++)
                                ;
                        if (j == n_open)
                                continue;
                        struct gs_fence_dev *d = &s->fence[where[j]];
                        d->identity = strdup_null(st[k].identity);
                        d->error = st[k].error;
                        if (st[k].error < 0) {
                                d->reason = strprintf("cannot read the keys or the reservation: %s", strerror(-st[k].error));
                                continue;
                        }
                        d->keys = st[k].keys;
                        st[k].keys = (struct pr_keys) {};
                        d->res = st[k].res;
                        d->registered = st[k].registered;
                        d->holder = st[k].holder;
                }
                fence_dev_status_done(st, n_open);
                free(st);
        }
        fence_done(&f);
        free(devs);
        free(where);
}

static void read_raid(const struct cfg_group *g, struct gs_status *s) {
        struct raid_report rep = {};
        int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                s->raid_error = -errno;
                s->raid_health = HEALTH_UNKNOWN;
                return;
        }
        struct raid_ctx ctx = { .sysroot_fd = fd, .live = true, .dm_query = dmh_query };
        int r = raid_check(&ctx, g->raid.devices, g->raid.n_devices, &rep);
        close(fd);
        if (r < 0) {
                s->raid_error = r;
                s->raid_health = HEALTH_UNKNOWN;
                return;
        }
        s->raid_health = raid_report_health(&rep);
        s->raid = calloc(rep.n ? rep.n : 1, sizeof *s->raid);
        if (s->raid) {
                s->n_raid = rep.n;
                for (size_t i = 0; i < rep.n; i++) {
                        s->raid[i].device = strdup_null(rep.results[i].device);
                        s->raid[i].health = rep.results[i].health;
                        s->raid[i].reason = strdup_null(rep.results[i].reason);
                }
        }
        raid_report_done(&rep);
}

static char *bus_error_message(const sd_bus_error *e, int r) {
        return strprintf("%s", e && e->message ? e->message : strerror(-r));
}

/* The object path of unit, loading it if need be. */
static int unit_path(sd_bus *bus, const char *unit, char **ret, char **ret_error) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *p;
        int r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                   "org.freedesktop.systemd1.Manager", "LoadUnit", &e, &reply, "s", unit);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &p);
        if (r >= 0 && !(*ret = strdup(p)))
                r = -ENOMEM;
        if (r < 0 && ret_error)
                *ret_error = bus_error_message(&e, r);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        return r < 0 ? r : 0;
}

int gs_unit_active_state(sd_bus *bus, const char *unit, char **ret, char **ret_error) {
        _cleanup_free_ char *path = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *v = NULL;
        int r = unit_path(bus, unit, &path, ret_error);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(bus, "org.freedesktop.systemd1", path, "org.freedesktop.systemd1.Unit",
                                       "ActiveState", &e, &v);
        if (r < 0) {
                if (ret_error)
                        *ret_error = bus_error_message(&e, r);
                sd_bus_error_free(&e);
                return r;
        }
        *ret = v;
        return 0;
}

int gs_unit_times(sd_bus *bus, const char *unit, struct gs_unit_times *ret) {
        _cleanup_free_ char *path = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        struct gs_unit_times t = {};
        static const char *const stamps[] = {
                "ActiveEnterTimestampMonotonic", "ActiveExitTimestampMonotonic",
                "InactiveEnterTimestampMonotonic", "InactiveExitTimestampMonotonic",
        };
        usec_t *dest[] = { &t.active_enter, &t.active_exit, &t.inactive_enter, &t.inactive_exit };
        /* One LoadUnit and one GetAll: over SSH each round trip counts. */
        int r = unit_path(bus, unit, &path, NULL);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", path, "org.freedesktop.DBus.Properties", "GetAll",
                               &e, &reply, "s", "org.freedesktop.systemd1.Unit");
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name, *v;
                size_t k = ELEMENTSOF(stamps);
                r = sd_bus_message_read(reply, "s", &name);
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(stamps); i++)
                        if (strcmp(name, stamps[i]) == 0)
                                k = i;
                if (r < 0)
                        break;
                if (k < ELEMENTSOF(stamps))
                        r = sd_bus_message_read(reply, "v", "t", dest[k]);
                else if (strcmp(name, "ActiveState") == 0) {
                        r = sd_bus_message_read(reply, "v", "s", &v);
                        if (r >= 0 && !(t.active_state = strdup(v)))
                                r = -ENOMEM;
                } else
                        r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0 && !t.active_state)
                r = -EBADMSG;
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        if (r < 0) {
                free(t.active_state);
                return r;
        }
        *ret = t;
        return 0;
}

struct job_wait {
        const char *path;       /* the job we wait for */
        char *result;
        bool done;
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *err) {
        struct job_wait *w = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        (void) err;
        if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
                return 0;
        if (w->path && strcmp(path, w->path) == 0) {
                w->done = true;
                w->result = strdup(result);
        }
        return 0;
}

int gs_unit_job(sd_bus *bus, const char *method, const char *unit, usec_t timeout, char **ret_result,
                char **ret_error) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        sd_bus_slot *slot = NULL;
        struct job_wait w = {};
        const char *job;
        _cleanup_free_ char *jobpath = NULL;
        usec_t deadline = gs_now() + timeout;
        int r;

        /* Subscribe first, so a job that ends at once is not missed. */
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", "Subscribe", &e, NULL, NULL);
        /* A second job on the same connection finds it subscribed already. */
        if (r < 0 && sd_bus_error_has_name(&e, "org.freedesktop.systemd1.AlreadySubscribed")) {
                sd_bus_error_free(&e);
                r = 0;
        }
        if (r < 0)
                goto fail;
        r = sd_bus_match_signal(bus, &slot, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                "org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed, &w);
        if (r < 0)
                goto fail;
        r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                               "org.freedesktop.systemd1.Manager", method, &e, &reply, "ss", unit, "replace");
        if (r < 0)
                goto fail;
        r = sd_bus_message_read(reply, "o", &job);
        if (r < 0)
                goto fail;
        if (!(jobpath = strdup(job))) {
                r = -ENOMEM;
                goto fail;
        }
        w.path = jobpath;
        while (!w.done) {
                usec_t now = gs_now();
                if (now >= deadline) {
                        r = -ETIME;
                        goto fail;
                }
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        goto fail;
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, deadline - now);
                if (r < 0)
                        goto fail;
        }
        if (!w.result) {
                r = -ENOMEM;
                goto fail;
        }
        *ret_result = TAKE_PTR(w.result);
        r = 0;
fail:
        if (r < 0 && r != -ETIME && ret_error)
                *ret_error = bus_error_message(&e, r);
        free(w.result);
        sd_bus_slot_unref(slot);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        return r;
}

static void read_service(const struct cfg_group *g, struct gs_status *s) {
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r >= 0) {
                /* A bus socket that exists but has nobody behind it fails on the first call. */
                (void) sd_bus_set_method_call_timeout(bus, 5 * USEC_PER_SEC);
                r = gs_unit_active_state(bus, g->service.unit, &s->service_state, &s->service_reason);
        } else
                s->service_reason = strprintf("no system bus (is systemd running?): %s", strerror(-r));
        sd_bus_flush_close_unref(bus);
}

static void read_address(const struct cfg_group *g, struct gs_status *s) {
        bool up = false;
        if (!g->service.interface) {
                s->address_up = GS_UNKNOWN;
                s->address_error = -EINVAL;
                return;
        }
        int r = addr_present(g->service.interface, &g->service.address_parsed, &up);
        if (r < 0) {
                s->address_up = GS_UNKNOWN;
                s->address_error = r;
        } else
                s->address_up = up ? GS_YES : GS_NO;
}

int gs_read(const struct cfg_group *g, const struct gs_read_opts *o, struct gs_status *ret) {
        struct gs_status *s = ret;
        *s = (struct gs_status) {};

        s->fenced = g->fence.present;
        if (s->fenced)
                read_fence(g, s);
        s->raid_present = g->raid.present;
        if (s->raid_present)
                read_raid(g, s);
        s->volume_present = g->volume.present;
        if (s->volume_present)
                gs_read_volume(g, s);
        s->address_present = g->service.present && g->service.address;
        if (s->address_present)
                read_address(g, s);
        s->service_present = g->service.present && g->service.unit;
        if (s->service_present)
                read_service(g, s);
        const char *peer = g->cluster.peer_address ? g->cluster.peer_address : g->cluster.peer;
        s->peer_present = peer != NULL;
        if (peer) {
                int r = gs_tcp_probe(peer, o ? o->peer_port : 22, o ? o->peer_timeout : 2 * USEC_PER_SEC,
                                     &s->peer_rtt);
                s->peer_reachable = r == 0 ? GS_YES : GS_NO;
                s->peer_error = r;
        }
        s->role = gs_role(s->fenced, s->fence, s->n_fence, s->volume_present,
                          s->volume_mounted && !s->volume_read_only, &s->role_reason);
        if (s->fenced && (!s->fence && g->fence.n_devices > 0))
                return -ENOMEM;
        return 0;
}

void gs_status_done(struct gs_status *s) {
        if (!s)
                return;
        free(s->role_reason);
        for (size_t i = 0; i < s->n_fence; i++) {
                free(s->fence[i].device);
                free(s->fence[i].identity);
                free(s->fence[i].reason);
                pr_keys_done(&s->fence[i].keys);
        }
        free(s->fence);
        for (size_t i = 0; i < s->n_raid; i++) {
                free(s->raid[i].device);
                free(s->raid[i].reason);
        }
        free(s->raid);
        free(s->volume_reason);
        free(s->volume_devname);
        free(s->volume_state);
        free(s->volume_where);
        free(s->service_state);
        free(s->service_reason);
        *s = (struct gs_status) {};
}
