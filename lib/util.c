/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <unistd.h>

#include "tandem/macro.h"

void safe_close(int fd) {
        if (fd < 0)
                return;
        int saved = errno;
        (void) close(fd);
        errno = saved;
}
