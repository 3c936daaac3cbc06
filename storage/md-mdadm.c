/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* md_mdadm_run(): one mdadm command (include/tandem/md.h), spawned with
 * posix_spawn, its output collected through a pipe, its end awaited on a
 * pidfd for a bounded time, then killed. No logging: the caller says what
 * happened. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tandem/macro.h"
#include "tandem/md.h"
#include "tandem/util.h"

#define MDADM_PATH "/usr/sbin:/usr/bin:/sbin:/bin"
/* How long a killed mdadm gets to go (it may sit in D state on a dead path). */
#define KILL_WAIT (5 * USEC_PER_SEC)

/* Finds prog in MDADM_PATH; writes the full path into buf. */
static int find_program(const char *prog, char *buf, size_t n) {
        const char *p = MDADM_PATH;
        if (strchr(prog, '/'))
                return -EINVAL;
        while (*p) {
                size_t k = strcspn(p, ":");
                int w = snprintf(buf, n, "%.*s/%s", (int) k, p, prog);
                if (w > 0 && (size_t) w < n && access(buf, X_OK) == 0)
                        return 0;
                p += k;
                if (*p == ':')
                        p++;
        }
        return -ENOENT;
}

#define READ_CHUNK 512
_Static_assert(READ_CHUNK < MD_MDADM_OUT_MAX, "a read fits in the output buffer");

/* Appends k (<= READ_CHUNK) bytes, keeping the last MD_MDADM_OUT_MAX - 1. */
static void out_append(struct md_mdadm_result *r, const char *b, size_t k) {
        const size_t cap = sizeof r->out - 1;
        if (r->out_len + k > cap) {
                size_t drop = r->out_len + k - cap;
                memmove(r->out, r->out + drop, r->out_len - drop);
                r->out_len -= drop;
        }
        memcpy(r->out + r->out_len, b, k);
        r->out_len += k;
        r->out[r->out_len] = '\0';
}

/* Reads what the pipe has now; returns false at EOF or on error. */
static bool drain(int fd, struct md_mdadm_result *r) {
        char b[READ_CHUNK];
        for (;;) {
                ssize_t k = read(fd, b, sizeof b);
                if (k > 0) {
                        out_append(r, b, (size_t) k);
                        continue;
                }
                if (k < 0 && errno == EINTR)
                        continue;
                return k < 0 && errno == EAGAIN;
        }
}

/* Waits until pidfd says the process ended, reading the pipe meanwhile.
 * Returns true when it ended before deadline (CLOCK_MONOTONIC usec). */
static bool wait_end(int pidfd, int *out_fd, usec_t deadline, struct md_mdadm_result *r) {
        for (;;) {
                usec_t t = now(CLOCK_MONOTONIC);
                if (t >= deadline)
                        return false;
                usec_t left = deadline - t;
                struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = *out_fd, .events = POLLIN } };
                int k = poll(p, *out_fd >= 0 ? 2 : 1, (int) ((left + USEC_PER_MSEC - 1) / USEC_PER_MSEC));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return false;
                }
                if (*out_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) && !drain(*out_fd, r)) {
                        safe_close(*out_fd);
                        *out_fd = -1;   /* EOF: every writer is gone */
                }
                if (p[0].revents & POLLIN)
                        return true;
        }
}

int md_mdadm_run(const char *const *argv, usec_t timeout, struct md_mdadm_result *ret) {
        char prog[256];
        char *const envp[] = { (char *) "PATH=" MDADM_PATH, (char *) "LC_ALL=C", NULL };
        posix_spawn_file_actions_t fa;
        int pfd[2], r, st;
        pid_t pid;

        if (!argv || !argv[0] || !ret)
                return -EINVAL;
        r = find_program(argv[0], prog, sizeof prog);
        if (r < 0)
                return r;
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        _cleanup_close_ int out_r = pfd[0];
        _cleanup_close_ int out_w = pfd[1];
        if ((r = posix_spawn_file_actions_init(&fa)) != 0)
                return -r;
        if ((r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0)) != 0 ||
            (r = posix_spawn_file_actions_adddup2(&fa, out_w, STDOUT_FILENO)) != 0 ||
            (r = posix_spawn_file_actions_adddup2(&fa, out_w, STDERR_FILENO)) != 0) {
                posix_spawn_file_actions_destroy(&fa);
                return -r;
        }
        r = posix_spawn(&pid, prog, &fa, NULL, (char *const *) argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        safe_close(TAKE_FD(out_w));
        (void) fcntl(out_r, F_SETFL, O_NONBLOCK);

        struct md_mdadm_result res = {};
        _cleanup_close_ int pidfd = pidfd_open(pid, 0);
        if (pidfd < 0) {
                /* no pidfd (kernel < 5.3): an unbounded wait is the only way left */
                while (waitpid(pid, &st, 0) < 0)
                        if (errno != EINTR)
                                return -errno;
                (void) drain(out_r, &res);
        } else {
                if (!wait_end(pidfd, &out_r, now(CLOCK_MONOTONIC) + timeout, &res)) {
                        res.timed_out = true;
                        (void) pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
                        if (!wait_end(pidfd, &out_r, now(CLOCK_MONOTONIC) + KILL_WAIT, &res)) {
                                /* still there (D state): leave it, say it timed out */
                                res.status = -SIGKILL;
                                *ret = res;
                                return 0;
                        }
                }
                /* it has ended: reap it, and take what it left in the pipe (a
                 * child it started, such as mdmon, may hold the pipe open) */
                while (waitpid(pid, &st, 0) < 0)
                        if (errno != EINTR)
                                return -errno;
                if (out_r >= 0)
                        (void) drain(out_r, &res);
        }
        if (WIFEXITED(st))
                res.status = WEXITSTATUS(st);
        else if (WIFSIGNALED(st))
                res.status = -WTERMSIG(st);
        else
                res.status = -1;
        *ret = res;
        return 0;
}
