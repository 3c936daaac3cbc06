/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers every module shares: cleanup attributes, TAKE_*, sizes.
 * Modelled on systemd's src/basic/macro.h and fd-util.h. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _pure_ __attribute__((pure))
#define _warn_unused_result_ __attribute__((warn_unused_result))

/* Destructors accept NULL and negative fds. They keep errno intact so a
 * cleanup on an error path does not clobber the error being reported. */
static inline void freep(void *p) {
        int saved = errno;
        free(*(void **) p);
        errno = saved;
}

void safe_close(int fd);
static inline void closep(int *fd) {
        safe_close(*fd);
}

static inline void fclosep(FILE **f) {
        if (*f) {
                int saved = errno;
                fclose(*f);
                errno = saved;
        }
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hand ownership out of a cleanup variable. */
#define TAKE_PTR(p)                              \
        ({                                       \
                __typeof__(p) _take_tmp_ = (p);  \
                (p) = NULL;                      \
                _take_tmp_;                      \
        })
#define TAKE_FD(fd)                              \
        ({                                       \
                int _take_fd_ = (fd);            \
                (fd) = -1;                       \
                _take_fd_;                       \
        })

/* Define a NULL-accepting pointer destructor `namep` for a `name_free`. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func) \
        static inline void func##p(type *p) {   \
                if (*p)                         \
                        func(*p);               \
        }

/* Time, in microseconds, as systemd counts it. */
typedef unsigned long long usec_t;
#define USEC_PER_MSEC 1000ULL
#define USEC_PER_SEC 1000000ULL
#define USEC_INFINITY ((usec_t) -1)
