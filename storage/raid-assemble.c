/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host md arrays assembled at start and stopped at stop (include/tandem/
 * raid.h; DESIGN.md, Storage). Each array is looked at through md_read()
 * under the sysroot before and after mdadm (ctx->mdadm) acts on it, so what
 * a step reports is what sysfs shows, whatever mdadm's exit status said.
 * Library code: no logging; the steps say what was done. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tandem/md.h"
#include "tandem/raid.h"
#include "tandem/util.h"

#define POLL_INTERVAL (100 * USEC_PER_MSEC)

const char *raid_step_action_to_string(enum raid_step_action a) {
        static const char *const t[_RAID_STEP_ACTION_MAX] = {
                [RAID_STEP_ASSEMBLE] = "assemble",
                [RAID_STEP_STOP] = "stop",
        };
        return a >= 0 && a < _RAID_STEP_ACTION_MAX ? t[a] : NULL;
}

const char *raid_step_outcome_to_string(enum raid_step_outcome o) {
        static const char *const t[_RAID_STEP_OUTCOME_MAX] = {
                [RAID_STEP_DONE] = "done",
                [RAID_STEP_ALREADY] = "already",
                [RAID_STEP_FAILED] = "failed",
        };
        return o >= 0 && o < _RAID_STEP_OUTCOME_MAX ? t[o] : NULL;
}

bool raid_is_md_name(const char *dev) {
        struct raid_name nm;
        return raid_classify(dev, &nm) == 0 && nm.kind == RAID_KIND_MD;
}

size_t raid_count_md(char *const *devs, size_t n) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                k += raid_is_md_name(devs[i]);
        return k;
}

void raid_steps_done(struct raid_steps *s) {
        if (!s)
                return;
        free(s->steps);
        *s = (struct raid_steps) {};
}

const struct raid_step *raid_steps_failed(const struct raid_steps *s) {
        for (size_t i = 0; s && i < s->n; i++)
                if (s->steps[i].outcome == RAID_STEP_FAILED)
                        return &s->steps[i];
        return NULL;
}

static struct raid_step *step_add(struct raid_steps *s, const char *dev, enum raid_step_action a) {
        struct raid_step *p = realloc(s->steps, (s->n + 1) * sizeof *p);
        if (!p)
                return NULL;
        s->steps = p;
        p += s->n++;
        *p = (struct raid_step) { .action = a, .outcome = RAID_STEP_FAILED };
        snprintf(p->device, sizeof p->device, "%s", dev);
        return p;
}

static int step_fail(struct raid_step *st, int err, const char *fmt, ...) _printf_(3, 4);
static int step_fail(struct raid_step *st, int err, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->reason, sizeof st->reason, fmt, ap);
        va_end(ap);
        st->outcome = RAID_STEP_FAILED;
        st->error = err;
        return err;
}

/* Where the array dev is now; kname gets its kernel name ("" when absent). */
static int probe(const struct raid_ctx *ctx, const char *dev, enum md_presence *ret, char kname[static MD_NAME_MAX]) {
        struct md_status s;
        int r = md_read(ctx->sysroot_fd, dev, &s);
        if (r == -ENOENT) {
                *ret = MD_ABSENT;
                kname[0] = '\0';
                return 0;
        }
        if (r < 0)
                return r;
        *ret = md_presence_of(&s);
        snprintf(kname, MD_NAME_MAX, "%s", s.name);
        md_status_done(&s);
        return 0;
}

/* Polls until the array is running (want_running) or gone, or the settle
 * time is over. Returns 0 with the last presence in *ret, or -errno. */
static int settle(const struct raid_ctx *ctx, const char *dev, bool want_running, enum md_presence *ret,
                  char kname[static MD_NAME_MAX]) {
        usec_t limit = ctx->settle_timeout ? ctx->settle_timeout : RAID_SETTLE_TIMEOUT;
        usec_t deadline = now(CLOCK_MONOTONIC) + limit;
        for (;;) {
                int r = probe(ctx, dev, ret, kname);
                if (r < 0)
                        return r;
                if (want_running ? *ret == MD_RUNNING : *ret == MD_ABSENT)
                        return 0;
                if (now(CLOCK_MONOTONIC) >= deadline)
                        return 0;
                sleep_usec(POLL_INTERVAL);
        }
}

static usec_t mdadm_timeout(const struct raid_ctx *ctx) {
        return ctx->mdadm_timeout ? ctx->mdadm_timeout : MD_MDADM_TIMEOUT;
}

/* "exited 1: <what mdadm said>", "timed out after 30s: ...", or a hint
 * when it said nothing. */
static void describe_run(const struct md_mdadm_result *res, usec_t timeout, const char *hint, char *buf, size_t n) {
        char said[RAID_REASON_MAX / 2], t[32];
        md_mdadm_message(res->out, res->out_len, said, sizeof said);
        if (res->timed_out)
                snprintf(buf, n, "timed out after %s%s%s", cfg_format_duration(timeout, t, sizeof t),
                         said[0] ? ": " : "", said);
        else if (res->status < 0)
                snprintf(buf, n, "killed by signal %d%s%s", -res->status, said[0] ? ": " : "", said);
        else if (said[0])
                snprintf(buf, n, "exited %d: %s", res->status, said);
        else
                snprintf(buf, n, "exited %d, saying nothing%s", res->status, hint ? hint : "");
}

/* Stops the array whose kernel name is kname; fills st on failure. */
static int stop_kname(const struct raid_ctx *ctx, const char *dev, const char *kname, struct raid_step *st,
                      const char *why) {
        char devname[MD_DEVNAME_MAX], run[RAID_REASON_MAX / 2 + 64];
        const char *argv[MD_MDADM_ARGV_MAX];
        struct md_mdadm_result res;
        enum md_presence p;
        char kn[MD_NAME_MAX];
        int r;

        snprintf(devname, sizeof devname, "/dev/%s", kname);
        r = md_mdadm_stop_argv(devname, argv);
        if (r < 0)
                return step_fail(st, r, "%s%s: bad kernel name %s", why, dev, kname);
        r = ctx->mdadm(argv, mdadm_timeout(ctx), &res);
        if (r < 0)
                return step_fail(st, r, "%scannot run mdadm --stop %s: %s", why, devname, strerror(-r));
        /* sysfs decides: a stop that mdadm reports done must also show */
        r = res.status == 0 && !res.timed_out ? settle(ctx, dev, false, &p, kn) : probe(ctx, dev, &p, kn);
        if (r < 0)
                return step_fail(st, r, "%scannot read %s after mdadm --stop: %s", why, dev, strerror(-r));
        if (p == MD_ABSENT)
                return 0;
        describe_run(&res, mdadm_timeout(ctx), NULL, run, sizeof run);
        return step_fail(st, res.timed_out ? -ETIME : -EBUSY, "%s%s (%s) still %s: mdadm --stop %s", why, dev,
                         kname, md_presence_to_string(p), run);
}

static int assemble_one(const struct raid_ctx *ctx, const char *conf, const char *dev, struct raid_step *st) {
        char devname[MD_DEVNAME_MAX], run[RAID_REASON_MAX / 2 + 64], hint[RAID_PATH_MAX + 64];
        const char *argv[MD_MDADM_ARGV_MAX];
        struct md_mdadm_result res;
        enum md_presence p;
        int r;

        r = md_mdadm_devname(dev, devname, sizeof devname);
        if (r < 0)
                return step_fail(st, -EINVAL, "%s is not a name mdadm assembles (mdN, /dev/mdN, /dev/md/NAME)", dev);
        r = probe(ctx, dev, &p, st->kname);
        if (r < 0)
                return step_fail(st, r, "cannot read %s: %s", dev, strerror(-r));
        if (p == MD_RUNNING || p == MD_PRESENCE_UNKNOWN) {
                st->outcome = RAID_STEP_ALREADY; /* the health check judges it */
                return 0;
        }
        if (p == MD_INACTIVE) {
                /* a partial assembly (an incremental one, say) holds members: start over */
                r = stop_kname(ctx, dev, st->kname, st, "inactive, and stopping it failed: ");
                if (r < 0)
                        return r;
        }
        r = md_mdadm_assemble_argv(conf, devname, argv);
        if (r < 0)
                return step_fail(st, r, "mdadm_conf %s is not an absolute path", conf);
        r = ctx->mdadm(argv, mdadm_timeout(ctx), &res);
        if (r < 0)
                return step_fail(st, r, "cannot run mdadm --assemble %s: %s", devname, strerror(-r));
        r = res.status == 0 && !res.timed_out ? settle(ctx, dev, true, &p, st->kname) : probe(ctx, dev, &p, st->kname);
        if (r < 0)
                return step_fail(st, r, "cannot read %s after mdadm --assemble: %s", dev, strerror(-r));
        if (p == MD_RUNNING) {
                st->outcome = RAID_STEP_DONE;
                return 0;
        }
        snprintf(hint, sizeof hint, " (do the DEVICE lines of %s name its members?)", conf);
        describe_run(&res, mdadm_timeout(ctx), hint, run, sizeof run);
        if (res.status == 0 && !res.timed_out)
                return step_fail(st, -ENXIO, "mdadm --assemble %s exited 0, but the array is %s", devname,
                                 md_presence_to_string(p));
        return step_fail(st, res.timed_out ? -ETIME : -EIO, "mdadm --assemble %s %s", devname, run);
}

int raid_md_assemble(const struct raid_ctx *ctx, const char *conf, char *const *devs, size_t n,
                     struct raid_steps *steps) {
        if (!ctx || !ctx->mdadm || !conf || conf[0] != '/' || !steps || (n > 0 && !devs))
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (!raid_is_md_name(devs[i]))
                        continue;
                struct raid_step *st = step_add(steps, devs[i], RAID_STEP_ASSEMBLE);
                if (!st)
                        return -ENOMEM;
                int r = assemble_one(ctx, conf, devs[i], st);
                if (r < 0)
                        return r;
        }
        return 0;
}

int raid_md_stop(const struct raid_ctx *ctx, char *const *devs, size_t n, struct raid_steps *steps) {
        int first = 0;
        if (!ctx || !ctx->mdadm || !steps || (n > 0 && !devs))
                return -EINVAL;
        for (size_t i = n; i-- > 0;) {
                if (!raid_is_md_name(devs[i]))
                        continue;
                struct raid_step *st = step_add(steps, devs[i], RAID_STEP_STOP);
                if (!st)
                        return -ENOMEM;
                enum md_presence p;
                int r = probe(ctx, devs[i], &p, st->kname);
                if (r < 0)
                        r = step_fail(st, r, "cannot read %s: %s", devs[i], strerror(-r));
                else if (p == MD_ABSENT)
                        st->outcome = RAID_STEP_ALREADY;
                else if ((r = stop_kname(ctx, devs[i], st->kname, st, "")) == 0)
                        st->outcome = RAID_STEP_DONE;
                if (r < 0 && first == 0)
                        first = r;
        }
        return first;
}

int raid_md_any_assembled(const struct raid_ctx *ctx, char *const *devs, size_t n, const char **ret_dev) {
        if (!ctx || !ret_dev || (n > 0 && !devs))
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (!raid_is_md_name(devs[i]))
                        continue;
                enum md_presence p;
                char kname[MD_NAME_MAX];
                /* an array that cannot be read counts as there: the release waits */
                if (probe(ctx, devs[i], &p, kname) < 0 || p != MD_ABSENT) {
                        *ret_dev = devs[i];
                        return 1;
                }
        }
        return 0;
}
