/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "tandem/macro.h"
#include "tandem/util.h"

void safe_close(int fd) {
        if (fd < 0)
                return;
        int saved = errno;
        (void) close(fd);
        errno = saved;
}

void set_reason(char **ret_reason, const char *fmt, ...) {
        va_list ap;

        if (!ret_reason)
                return;
        va_start(ap, fmt);
        char *s = strvprintf(fmt, ap);
        va_end(ap);
        free(*ret_reason);
        *ret_reason = s;
}

usec_t now(clockid_t c) {
        struct timespec ts;
        clock_gettime(c, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

int sleep_usec(usec_t u) {
        struct timespec ts = { .tv_sec = (time_t) (u / USEC_PER_SEC), .tv_nsec = (long) (u % USEC_PER_SEC) * 1000 };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
        return 0;
}

void strv_free(char **v) {
        for (char **p = v; p && *p; p++)
                free(*p);
        free(v);
}

void strv_free_n(char **v, size_t n) {
        for (size_t i = 0; v && i < n; i++)
                free(v[i]);
        free(v);
}

char *strvprintf(const char *fmt, va_list ap) {
        char *s = NULL;
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        return s;
}

char *strprintf(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *s = strvprintf(fmt, ap);
        va_end(ap);
        return s;
}

char *strdup_null(const char *s) {
        return s ? strdup(s) : NULL;
}
