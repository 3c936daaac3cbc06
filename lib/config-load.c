/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a group file: the StrictModes-style ownership checks and the I/O
 * around the pure parser in config.c. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tandem/config.h"

#define CFG_MAX_SIZE (1024 * 1024)

static int file_error(struct cfg_group *g, int err, const char *fmt, ...) _printf_(3, 4);
static int file_error(struct cfg_group *g, int err, const char *fmt, ...) {
        struct cfg_error *n = realloc(g->errors, (g->n_errors + 1) * sizeof *n);
        char *msg = NULL;
        va_list ap;

        if (!n)
                return -ENOMEM;
        g->errors = n;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (!msg)
                return -ENOMEM;
        g->errors[g->n_errors++] = (struct cfg_error) { .message = msg };
        return err;
}

/* sshd's StrictModes rule: root owns it and only root may write it. */
static int check_mode(struct cfg_group *g, const char *what, const char *path, const struct stat *st) {
        if (st->st_uid != 0)
                return file_error(g, -EPERM, "%s %s is owned by uid %u, not root; fix with: chown root %s",
                                  what, path, (unsigned) st->st_uid, path);
        if (st->st_mode & (S_IWGRP | S_IWOTH))
                return file_error(g, -EPERM,
                                  "%s %s is writable by group or others (mode %04o); fix with: chmod go-w %s",
                                  what, path, (unsigned) (st->st_mode & 07777), path);
        return 0;
}

int cfg_load(const char *path, const char *hostname, unsigned flags, struct cfg_group *g) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL, *real = NULL;
        struct stat st;
        ssize_t n;
        size_t len = 0;
        int r;

        if (!path || !g)
                return -EINVAL;
        if (!(g->path = strdup(path)))
                return -ENOMEM;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                r = -errno;
                return file_error(g, r, "cannot open: %s%s", strerror(-r),
                                  r == -ENOENT ? " (create it, or pick another with -c FILE or -g GROUP)" : "");
        }
        if (fstat(fd, &st) < 0)
                return file_error(g, -errno, "cannot stat: %s", strerror(errno));
        if (!S_ISREG(st.st_mode))
                return file_error(g, -EINVAL, "not a regular file");
        if (st.st_size > CFG_MAX_SIZE)
                return file_error(g, -EFBIG, "larger than %d bytes; this is not a tandem config", CFG_MAX_SIZE);

        if (!(flags & CFG_LOAD_INSECURE)) {
                struct stat dst;
                r = check_mode(g, "config file", path, &st);
                if (r < 0)
                        return r;
                real = realpath(path, NULL);
                if (!real)
                        return file_error(g, -errno, "cannot resolve path: %s", strerror(errno));
                char *dir = dirname(real);
                if (stat(dir, &dst) < 0)
                        return file_error(g, -errno, "cannot stat directory %s: %s", dir, strerror(errno));
                r = check_mode(g, "directory", dir, &dst);
                if (r < 0)
                        return r;
                /* Every directory above it too, as sshd walks the path: whoever
                 * may write one of them can swap the config's directory. A
                 * root-owned sticky directory (/tmp) is fine higher up: in it,
                 * nobody else may rename or remove root's entries. */
                while (strcmp(dir, "/") != 0) {
                        dir = dirname(dir);
                        if (stat(dir, &dst) < 0)
                                return file_error(g, -errno, "cannot stat directory %s: %s", dir, strerror(errno));
                        if (dst.st_uid == 0 && (dst.st_mode & S_ISVTX))
                                continue;
                        r = check_mode(g, "directory", dir, &dst);
                        if (r < 0)
                                return r;
                }
        }

        text = malloc((size_t) st.st_size + 1);
        if (!text)
                return -ENOMEM;
        while ((size_t) len < (size_t) st.st_size &&
               (n = read(fd, text + len, (size_t) st.st_size - len)) != 0) {
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return file_error(g, -errno, "cannot read: %s", strerror(errno));
                }
                len += (size_t) n;
        }
        text[len] = '\0';
        if (memchr(text, '\0', len))
                return file_error(g, -EINVAL, "contains a NUL byte; this is not a text file");

        free(g->path);
        g->path = NULL;
        return cfg_parse_string(text, path, hostname, g);
}
