/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The programs' logger. State lives here, set once by main() through
 * log_setup(); the library never calls it except at debug level. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tandem/log.h"
#include "tandem/sd-lazy.h"

static const char *log_ident = "tandem";
static int log_max_level = LOG_INFO;
static bool log_to_console = true, log_to_journal = false;

/* Is stderr the stream systemd connected to the journal? (sd_journal_stream_fd(3)) */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(const char *ident, int max_level, enum log_target target) {
        if (ident)
                log_ident = ident;
        log_max_level = max_level;
        switch (target) {
        case LOG_TARGET_CONSOLE:
                log_to_console = true;
                log_to_journal = false;
                break;
        case LOG_TARGET_JOURNAL:
                log_to_console = false;
                log_to_journal = true;
                break;
        default:
                if (isatty(STDERR_FILENO)) {
                        log_to_console = true;
                        log_to_journal = false;
                } else if (stderr_is_journal()) {
                        log_to_console = false;
                        log_to_journal = true;
                } else {
                        log_to_console = true;
                        log_to_journal = access("/run/systemd/journal/socket", W_OK) == 0;
                }
        }
}

enum log_target log_target_from_string(const char *s) {
        static const char *const names[_LOG_TARGET_MAX] = { "auto", "console", "journal" };
        for (int i = 0; i < _LOG_TARGET_MAX; i++)
                if (s && strcmp(s, names[i]) == 0)
                        return i;
        return _LOG_TARGET_INVALID;
}

bool log_enabled(int level) {
        return level <= log_max_level;
}

#define LOG_FIELDS_MAX 16

/* The unit this process runs in, or NULL; looked up once, while we live.
 * journald takes _SYSTEMD_UNIT from /proc when it reads an entry, and a
 * short-lived process (tandem-volume umount) may be gone by then: its entry
 * then has no unit, and `journalctl -u` misses it. OBJECT_SYSTEMD_UNIT from
 * a root process is matched by `journalctl -u` too. */
static const char *own_unit(void) {
        static bool looked;
        static char *unit;
        if (!looked) {
                looked = true;
                if (sdl_pid_get_unit(0, &unit) < 0)
                        unit = NULL;
        }
        return unit;
}

/* One journal entry: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, ERRNO, MESSAGE_ID,
 * OBJECT_SYSTEMD_UNIT (our own unit) and the caller's fields. A field that
 * cannot be formatted is dropped. */
static void journal_send(int level, int err, const char *message_id, const struct log_field *fields,
                         size_t n_fields, const char *msg) {
        char *strs[6 + LOG_FIELDS_MAX] = {};
        struct iovec iov[ELEMENTSOF(strs)];
        size_t n = 0;

        if (asprintf(&strs[n], "MESSAGE=%s", msg) >= 0)
                n++;
        if (asprintf(&strs[n], "PRIORITY=%d", level) >= 0)
                n++;
        if (asprintf(&strs[n], "SYSLOG_IDENTIFIER=%s", log_ident) >= 0)
                n++;
        if (err != 0 && asprintf(&strs[n], "ERRNO=%d", err) >= 0)
                n++;
        if (message_id && asprintf(&strs[n], "MESSAGE_ID=%s", message_id) >= 0)
                n++;
        if (own_unit() && asprintf(&strs[n], "OBJECT_SYSTEMD_UNIT=%s", own_unit()) >= 0)
                n++;
        for (size_t i = 0; i < n_fields && i < LOG_FIELDS_MAX; i++)
                if (fields[i].name && fields[i].value &&
                    asprintf(&strs[n], "%s=%s", fields[i].name, fields[i].value) >= 0)
                        n++;
        for (size_t i = 0; i < n; i++)
                iov[i] = (struct iovec) { .iov_base = strs[i], .iov_len = strlen(strs[i]) };
        (void) sdl_journal_sendv(iov, (int) n);
        for (size_t i = 0; i < n; i++)
                free(strs[i]);
}

static int log_dispatch(int level, int error, const char *message_id, const struct log_field *fields,
                        size_t n_fields, const char *fmt, va_list ap) _printf_(6, 0);
static int log_dispatch(int level, int error, const char *message_id, const struct log_field *fields,
                        size_t n_fields, const char *fmt, va_list ap) {
        int err = error < 0 ? -error : error;
        char msg[2048];

        if (!log_enabled(level))
                return -err;
        vsnprintf(msg, sizeof msg, fmt, ap);
        if (err != 0) {
                size_t l = strlen(msg);
                snprintf(msg + l, sizeof msg - l, ": %s", strerror(err));
        }
        if (log_to_console) {
                const char *prefix = level <= LOG_ERR ? "error: " : level == LOG_WARNING ? "warning: " : "";
                fprintf(stderr, "%s: %s%s\n", log_ident, prefix, msg);
        }
        if (log_to_journal)
                journal_send(level, err, message_id, fields, n_fields, msg);
        return -err;
}

int log_internal(int level, int error, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = log_dispatch(level, error, NULL, NULL, 0, fmt, ap);
        va_end(ap);
        return r;
}

int log_journal(int level, int error, const char *message_id, const struct log_field *fields, size_t n_fields,
                const char *fmt, ...) {
        int err = error < 0 ? -error : error;
        char msg[2048];
        va_list ap;

        if (!log_to_journal)
                return -err;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        journal_send(level, err, message_id, fields, n_fields, msg);
        return -err;
}

int log_struct(int level, int error, const char *message_id, const struct log_field *fields,
               size_t n_fields, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = log_dispatch(level, error, message_id, fields, n_fields, fmt, ap);
        va_end(ap);
        return r;
}
