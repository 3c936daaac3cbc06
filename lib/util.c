/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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
        char *s = NULL;

        if (!ret_reason)
                return;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        free(*ret_reason);
        *ret_reason = s;
}
