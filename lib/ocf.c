/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OCF resource-agent conventions both of tandem's agents follow
 * (include/tandem/ocf.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/ocf.h"

enum ocf_action ocf_action_from_string(const char *s) {
        static const char *const t[_OCF_ACTION_MAX] = {
                [OCF_ACTION_START] = "start",
                [OCF_ACTION_STOP] = "stop",
                [OCF_ACTION_MONITOR] = "monitor",
                [OCF_ACTION_VALIDATE_ALL] = "validate-all",
                [OCF_ACTION_META_DATA] = "meta-data",
        };
        if (!s)
                return _OCF_ACTION_INVALID;
        if (strcmp(s, "status") == 0)
                return OCF_ACTION_MONITOR;
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (strcmp(s, t[i]) == 0)
                        return (enum ocf_action) i;
        return _OCF_ACTION_INVALID;
}

const char *ocf_getenv(const char *name) {
        const char *v = getenv(name);
        return v && v[0] ? v : NULL;
}

int ocf_exit_reason(int rc, const char *fmt, ...) {
        _cleanup_free_ char *buf = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&buf, fmt, ap) < 0)
                buf = NULL;
        va_end(ap);
        /* Pacemaker reads the reason from one line. */
        for (char *p = buf; p && (p = strchr(p, '\n'));)
                *p = ' ';
        fprintf(stderr, "ocf-exit-reason:%s\n", buf ? buf : "out of memory");
        return rc;
}
