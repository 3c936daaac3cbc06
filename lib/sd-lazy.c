/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libsystemd on demand: see include/tandem/sd-lazy.h. */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <systemd/sd-login.h>

#include "tandem/sd-lazy.h"

#ifndef LIBSYSTEMD_SONAME
#define LIBSYSTEMD_SONAME "libsystemd.so.0"
#endif

static struct {
        bool tried;
        void *dl;
        __typeof__(sd_journal_sendv) *journal_sendv;
        __typeof__(sd_pid_get_unit) *pid_get_unit;
        __typeof__(sd_notify) *notify;
        __typeof__(sd_bus_open_system) *bus_open_system;
        __typeof__(sd_bus_call_method) *bus_call_method;
        __typeof__(sd_bus_error_free) *bus_error_free;
        __typeof__(sd_bus_flush_close_unref) *bus_flush_close_unref;
} sym;

bool sdl_available(void) {
        if (sym.tried)
                return sym.dl != NULL;
        sym.tried = true;
        void *dl = dlopen(LIBSYSTEMD_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!dl)
                return false;
#define LOAD(field, name)                                                       \
        if (!(sym.field = (__typeof__(sym.field)) dlsym(dl, #name))) {         \
                dlclose(dl);                                                    \
                return false;                                                   \
        }
        LOAD(journal_sendv, sd_journal_sendv);
        LOAD(pid_get_unit, sd_pid_get_unit);
        LOAD(notify, sd_notify);
        LOAD(bus_open_system, sd_bus_open_system);
        LOAD(bus_call_method, sd_bus_call_method);
        LOAD(bus_error_free, sd_bus_error_free);
        LOAD(bus_flush_close_unref, sd_bus_flush_close_unref);
#undef LOAD
        sym.dl = dl;
        return true;
}

int sdl_journal_sendv(const struct iovec *iov, int n) {
        return sdl_available() ? sym.journal_sendv(iov, n) : -ELIBACC;
}

int sdl_pid_get_unit(pid_t pid, char **ret_unit) {
        return sdl_available() ? sym.pid_get_unit(pid, ret_unit) : -ELIBACC;
}

int sdl_notify(const char *state) {
        const char *sock = getenv("NOTIFY_SOCKET");
        if (!sock || !*sock)
                return 0;
        return sdl_available() ? sym.notify(0, state) : -ELIBACC;
}

int sdl_notifyf(const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        if (!getenv("NOTIFY_SOCKET"))
                return 0;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        r = sdl_notify(s);
        free(s);
        return r;
}

int sdl_stop_unit(const char *unit, char **ret_error) {
        if (!sdl_available())
                return -ELIBACC;
        sd_bus *bus = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sym.bus_open_system(&bus);
        if (r >= 0)
                r = sym.bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                        "org.freedesktop.systemd1.Manager", "StopUnit", &e, NULL, "ss", unit,
                                        "replace");
        if (r < 0 && ret_error && e.message)
                *ret_error = strdup(e.message);
        sym.bus_error_free(&e);
        sym.bus_flush_close_unref(bus);
        return r;
}
