/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OCF resource agent raid (include/tandem/raid.h; tandem-raid(8), OCF
 * AGENT): a gate on the health of the group's RAID. With an mdadm_conf,
 * start first assembles the group's md arrays and stop stops them (DESIGN.md,
 * Storage: host RAID over shared LUNs only on the active node). start checks
 * and, unless it refuses, leaves a state marker under the run directory
 * (naming the arrays it assembles); monitor says 7 without the marker, else
 * 0, 190 (degraded) or 1; stop stops the arrays and removes the marker.
 * `tandem-raid ocf` reads the parameters and the config, and prints and
 * logs what comes back; nothing here logs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tandem/md.h"
#include "tandem/raid.h"
#include "tandem/util.h"

void raid_agent_done(struct raid_agent *a) {
        if (!a)
                return;
        safe_close(a->ctx.sysroot_fd);
        strv_free_n(a->devs, a->n_devs);
        free(a->mdadm_conf);
        *a = (struct raid_agent) { .ctx.sysroot_fd = -1 };
}

void raid_agent_result_done(struct raid_agent_result *r) {
        if (!r)
                return;
        raid_report_done(&r->report);
        raid_steps_done(&r->steps);
        free(r->degraded);
        free(r->reason);
        *r = (struct raid_agent_result) {};
}

/* Splits on spaces and commas. Returns 0 or -ENOMEM. */
static int split_devices(const char *v, char ***ret, size_t *ret_n) {
        char **d = NULL;
        size_t n = 0;
        for (const char *p = v; p && *p;) {
                p += strspn(p, " \t\n,");
                size_t k = strcspn(p, " \t\n,");
                if (k == 0)
                        break;
                char **nd = realloc(d, (n + 1) * sizeof *nd);
                if (nd)
                        d = nd;
                if (!nd || !(d[n] = strndup(p, k))) {
                        strv_free_n(d, n);
                        return -ENOMEM;
                }
                n++;
                p += k;
        }
        *ret = d;
        *ret_n = n;
        return 0;
}

/* <run dir>/raid-<instance>.started, the instance name made safe for a file name. */
static void set_marker(struct raid_agent *a, const struct raid_agent_params *p) {
        char inst[128];
        snprintf(inst, sizeof inst, "%s", p->instance ? p->instance : "default");
        for (char *c = inst; *c; c++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", *c))
                        *c = '_';
        if (inst[0] == '.')
                inst[0] = '_';
        snprintf(a->marker, sizeof a->marker, "%s/raid-%s.started", p->run_dir ? p->run_dir : RAID_RUN_DIR, inst);
}

int raid_agent_init(struct raid_agent *a, const struct raid_agent_params *p, char **ret_reason) {
        struct stat st;

        *a = (struct raid_agent) { .ctx = { .sysroot_fd = -1, .dm_query = dmh_query } };
        set_marker(a, p);
        if (p->group && p->config)
                return set_reason(ret_reason, "give group or config, not both"), OCF_ERR_CONFIGURED;
        if (split_devices(p->devices, &a->devs, &a->n_devs) < 0)
                return set_reason(ret_reason, "out of memory"), OCF_ERR_GENERIC;
        for (size_t i = 0; i < a->n_devs; i++) {
                struct raid_name nm;
                if (raid_classify(a->devs[i], &nm) == -EINVAL)
                        return set_reason(ret_reason, "devices: '%s' is not a device name", a->devs[i]),
                               OCF_ERR_CONFIGURED;
        }
        if (p->sysroot && (stat(p->sysroot, &st) < 0 || !S_ISDIR(st.st_mode)))
                return set_reason(ret_reason, "sysroot: %s is not a directory", p->sysroot), OCF_ERR_CONFIGURED;
        return OCF_SUCCESS;
}

int raid_agent_mdadm_conf_default(const char *group, const char *config, char **ret) {
        _cleanup_free_ char *path = NULL;
        if (!ret)
                return -EINVAL;
        if (config) {
                if (!(path = strdup(config)))
                        return -ENOMEM;
        } else if (group) {
                int r = cfg_group_path(group, &path);
                if (r < 0)
                        return r;
        } else {
                *ret = NULL;
                return 0;
        }
        size_t n = strlen(path);
        if (n > 5 && strcmp(path + n - 5, ".conf") == 0)
                path[n - 5] = '\0';
        char *c = strprintf("%s.mdadm.conf", path);
        if (!c)
                return -ENOMEM;
        *ret = c;
        return 0;
}

/* Checks the mdadm_conf file: it decides which disks get written, so it is
 * held to the group file's rule (root's, or ours in tests; nobody else may
 * write it). A default that does not exist means no assembly. */
static int settle_mdadm_conf(struct raid_agent *a, const char *path, bool given, char **ret_reason) {
        struct stat st;
        if (path[0] != '/')
                return set_reason(ret_reason, "mdadm_conf: '%s' is not an absolute path", path), OCF_ERR_CONFIGURED;
        if (stat(path, &st) < 0) {
                if (errno == ENOENT && !given)
                        return OCF_SUCCESS;
                return set_reason(ret_reason, "mdadm_conf: %s: %s", path, strerror(errno)), OCF_ERR_CONFIGURED;
        }
        if (!S_ISREG(st.st_mode))
                return set_reason(ret_reason, "mdadm_conf: %s is not a regular file", path), OCF_ERR_CONFIGURED;
        if (st.st_uid != 0 && st.st_uid != geteuid())
                return set_reason(ret_reason, "mdadm_conf: %s is owned by uid %u, not root", path,
                                  (unsigned) st.st_uid),
                       OCF_ERR_CONFIGURED;
        if (st.st_mode & (S_IWGRP | S_IWOTH))
                return set_reason(ret_reason, "mdadm_conf: %s is writable by group or others (mode %04o)", path,
                                  (unsigned) (st.st_mode & 07777)),
                       OCF_ERR_CONFIGURED;
        if (raid_count_md(a->check, a->n_check) == 0)
                return set_reason(ret_reason,
                                  "mdadm_conf %s: no md array to assemble among the devices; name them "
                                  "(/dev/md/NAME, nested arrays after their members) in [raid] devices or the "
                                  "devices parameter",
                                  path),
                       OCF_ERR_CONFIGURED;
        if (!(a->mdadm_conf = strdup(path)))
                return set_reason(ret_reason, "out of memory"), OCF_ERR_GENERIC;
        return OCF_SUCCESS;
}

int raid_agent_settle(struct raid_agent *a, const struct raid_agent_params *p, const struct cfg_group *g,
                      char **ret_reason) {
        int r = raid_sysroot_open(p->sysroot, &a->ctx.sysroot_fd, &a->ctx.live);
        if (r < 0)
                return set_reason(ret_reason, "sysroot: %s: %s", p->sysroot ? p->sysroot : "/", strerror(-r)),
                       OCF_ERR_CONFIGURED;
        /* mdadm acts on the running system: only where sysfs is read from it */
        a->ctx.mdadm = a->ctx.live ? md_mdadm_run : NULL;
        if (a->n_devs > 0) {
                a->check = a->devs;
                a->n_check = a->n_devs;
        } else if (g && g->raid.present) {
                a->check = g->raid.devices;
                a->n_check = g->raid.n_devices;
        }
        a->on_degraded = g ? g->raid.on_degraded : CFG_ON_DEGRADED_ALLOW;
        if (p->on_degraded) {
                if (strcmp(p->on_degraded, "allow") == 0)
                        a->on_degraded = CFG_ON_DEGRADED_ALLOW;
                else if (strcmp(p->on_degraded, "refuse") == 0)
                        a->on_degraded = CFG_ON_DEGRADED_REFUSE;
                else
                        return set_reason(ret_reason, "on_degraded: '%s' is not allow or refuse", p->on_degraded),
                               OCF_ERR_CONFIGURED;
        }
        if (p->mdadm_conf)
                return settle_mdadm_conf(a, p->mdadm_conf, true, ret_reason);
        _cleanup_free_ char *dflt = NULL;
        r = raid_agent_mdadm_conf_default(p->group, p->config, &dflt);
        if (r < 0)
                return set_reason(ret_reason, "mdadm_conf: %s", strerror(-r)), OCF_ERR_CONFIGURED;
        return dflt ? settle_mdadm_conf(a, dflt, false, ret_reason) : OCF_SUCCESS;
}

/* ----------------------------------------------------------------- marker */

char *raid_agent_marker_format(char *const *devs, size_t n) {
        size_t len = sizeof RAID_MARKER_HEADER + 1;
        for (size_t i = 0; i < n; i++)
                if (raid_is_md_name(devs[i]))
                        len += strlen(devs[i]) + 1;
        char *t = malloc(len), *p = t;
        if (!t)
                return NULL;
        p = stpcpy(p, RAID_MARKER_HEADER "\n");
        for (size_t i = 0; i < n; i++)
                if (raid_is_md_name(devs[i])) {
                        p = stpcpy(p, devs[i]);
                        *p++ = '\n';
                }
        *p = '\0';
        return t;
}

int raid_agent_marker_parse(const char *text, size_t len, char ***ret, size_t *ret_n) {
        char **d = NULL;
        size_t n = 0;
        for (size_t i = 0; text && i < len;) {
                const char *e = memchr(text + i, '\n', len - i);
                size_t l = e ? (size_t) (e - (text + i)) : len - i;
                _cleanup_free_ char *line = strndup(text + i, l);
                i += l + 1;
                if (!line) {
                        strv_free_n(d, n);
                        return -ENOMEM;
                }
                if (line[0] == '#' || !raid_is_md_name(line))
                        continue;
                char **nd = realloc(d, (n + 1) * sizeof *nd);
                if (!nd) {
                        strv_free_n(d, n);
                        return -ENOMEM;
                }
                d = nd;
                d[n++] = TAKE_PTR(line);
        }
        *ret = d;
        *ret_n = n;
        return 0;
}

static bool marker_exists(const struct raid_agent *a) {
        return access(a->marker, F_OK) == 0;
}

/* The md arrays the marker names (none when there is no marker). */
static int marker_read(const struct raid_agent *a, char ***ret, size_t *ret_n) {
        char buf[8192];
        _cleanup_close_ int fd = open(a->marker, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        size_t len = 0;
        for (;;) {
                ssize_t k = read(fd, buf + len, sizeof buf - len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len == sizeof buf)
                        return -EFBIG;
        }
        return raid_agent_marker_parse(buf, len, ret, ret_n);
}

/* Writes the marker, naming the md arrays among devs, whole or not at all. */
static int marker_write(const struct raid_agent *a, char *const *devs, size_t n, char **ret_reason) {
        _cleanup_free_ char *dir = strdup(a->marker), *text = raid_agent_marker_format(devs, n), *tmp = NULL;
        if (!dir || !text || !(tmp = strprintf("%s.tmp", a->marker)))
                return set_reason(ret_reason, "out of memory"), OCF_ERR_GENERIC;
        *strrchr(dir, '/') = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return set_reason(ret_reason, "cannot create %s: %s", dir, strerror(errno)), OCF_ERR_GENERIC;
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return set_reason(ret_reason, "cannot create %s: %s", tmp, strerror(errno)), OCF_ERR_GENERIC;
        size_t len = strlen(text);
        if (write(fd, text, len) != (ssize_t) len || fsync(fd) < 0 || rename(tmp, a->marker) < 0) {
                int e = errno ? errno : EIO;
                (void) unlink(tmp);
                return set_reason(ret_reason, "cannot write %s: %s", a->marker, strerror(e)), OCF_ERR_GENERIC;
        }
        return OCF_SUCCESS;
}

/* ------------------------------------------------------------------ check */

/* Runs the check; returns the verdict, and in ret->reason the problems
 * found (HEALTH_UNKNOWN when it could not run or found nothing). */
static enum health check(const struct raid_agent *a, struct raid_agent_result *ret) {
        char why[2048];
        int r = raid_check(&a->ctx, a->check, a->n_check, &ret->report);
        if (r < 0) {
                set_reason(&ret->reason, "cannot check: %s", strerror(-r));
                return HEALTH_UNKNOWN;
        }
        if (ret->report.n == 0) {
                set_reason(&ret->reason, "%s", RAID_NOTHING_TO_CHECK);
                return HEALTH_UNKNOWN;
        }
        enum health h = raid_report_health(&ret->report);
        if (h != HEALTH_OK)
                set_reason(&ret->reason, "%s", raid_report_problems(&ret->report, why, sizeof why));
        return h;
}

/* The gate: OCF_SUCCESS when the check lets the start go on (ok, or
 * degraded with on_degraded=allow: ret->degraded says why), else
 * OCF_ERR_GENERIC with ret->reason. */
static int gate(const struct raid_agent *a, struct raid_agent_result *ret) {
        enum health h = check(a, ret);
        if (h == HEALTH_DEGRADED && a->on_degraded == CFG_ON_DEGRADED_REFUSE) {
                _cleanup_free_ char *why = TAKE_PTR(ret->reason);
                set_reason(&ret->reason, "degraded and on_degraded=refuse: %s", why);
                return OCF_ERR_GENERIC;
        }
        if (h != HEALTH_OK && h != HEALTH_DEGRADED)
                return OCF_ERR_GENERIC;
        if (h == HEALTH_DEGRADED)
                ret->degraded = TAKE_PTR(ret->reason);
        return OCF_SUCCESS;
}

/* ------------------------------------------------------------ stop, start */

/* Adds the strings of from that are not in *to. Returns 0 or -ENOMEM. */
static int list_merge(char ***to, size_t *n, char *const *from, size_t m) {
        for (size_t i = 0; i < m; i++) {
                bool have = false;
                for (size_t j = 0; j < *n && !have; j++)
                        have = strcmp((*to)[j], from[i]) == 0;
                if (have || !raid_is_md_name(from[i]))
                        continue;
                char **nt = realloc(*to, (*n + 1) * sizeof *nt);
                if (!nt)
                        return -ENOMEM;
                *to = nt;
                if (!(nt[*n] = strdup(from[i])))
                        return -ENOMEM;
                (*n)++;
        }
        return 0;
}

/* Stops the arrays this resource answers for, in the reverse order: the
 * configured ones (when it assembles) and the ones its marker names (a
 * config changed since the start must not leave an array behind); then
 * removes the marker. An array that cannot be stopped keeps the marker and
 * fails the stop: the reservation must then stay held (I5). */
static int stop(const struct raid_agent *a, struct raid_agent_result *ret) {
        char **list = NULL, **marked = NULL;
        size_t n = 0, n_marked = 0;
        int r, rc = OCF_SUCCESS;

        r = marker_read(a, &marked, &n_marked);
        if (r < 0)
                return set_reason(&ret->reason, "cannot read %s: %s", a->marker, strerror(-r)), OCF_ERR_GENERIC;
        if ((a->mdadm_conf && list_merge(&list, &n, a->check, a->n_check) < 0) ||
            list_merge(&list, &n, marked, n_marked) < 0) {
                rc = OCF_ERR_GENERIC;
                set_reason(&ret->reason, "out of memory");
                goto out;
        }
        if (n > 0) {
                struct raid_ctx ctx = a->ctx;
                _cleanup_close_ int root = -1;
                if (ctx.sysroot_fd < 0) {
                        /* not configured: the marker's arrays were assembled on the running system */
                        if ((r = raid_sysroot_open(NULL, &root, &ctx.live)) < 0) {
                                rc = OCF_ERR_GENERIC;
                                set_reason(&ret->reason, "cannot open /: %s", strerror(-r));
                                goto out;
                        }
                        ctx.sysroot_fd = root;
                        ctx.mdadm = md_mdadm_run;
                }
                if (!ctx.mdadm) {
                        rc = OCF_ERR_GENERIC;
                        set_reason(&ret->reason, "cannot stop %s under a moved sysroot", list[0]);
                        goto out;
                }
                size_t first = ret->steps.n; /* a start that rolls back has its own steps before */
                r = raid_md_stop(&ctx, list, n, &ret->steps);
                if (r < 0) {
                        const struct raid_steps mine = { ret->steps.steps + first, ret->steps.n - first };
                        const struct raid_step *f = raid_steps_failed(&mine);
                        rc = OCF_ERR_GENERIC;
                        set_reason(&ret->reason,
                                   "cannot stop %s: %s; it stays assembled here, so the reservation must stay held",
                                   f ? f->device : list[0], f ? f->reason : strerror(-r));
                        goto out;
                }
        }
        if (unlink(a->marker) < 0 && errno != ENOENT) {
                rc = OCF_ERR_GENERIC;
                set_reason(&ret->reason, "cannot remove %s: %s", a->marker, strerror(errno));
        }
out:
        strv_free_n(list, n);
        strv_free_n(marked, n_marked);
        return rc;
}

/* A start that failed after it began to assemble: stop again what it
 * assembled, so that a failed start leaves nothing assembled (systemd runs
 * no ExecStop= after a failed ExecStart=). Appends to the reason when an
 * array cannot be stopped (the marker then stays, for the stop). */
static void roll_back(const struct raid_agent *a, struct raid_agent_result *ret) {
        _cleanup_free_ char *why = TAKE_PTR(ret->reason);
        int rc = stop(a, ret);
        if (rc == OCF_SUCCESS) {
                ret->reason = TAKE_PTR(why);
                return;
        }
        _cleanup_free_ char *also = TAKE_PTR(ret->reason);
        set_reason(&ret->reason, "%s; and then %s", why ? why : "start failed", also ? also : "the stop failed");
}

static int start_assembling(const struct raid_agent *a, struct raid_agent_result *ret) {
        if (!a->ctx.mdadm)
                return set_reason(&ret->reason, "mdadm_conf %s: cannot assemble under a moved sysroot", a->mdadm_conf),
                       OCF_ERR_CONFIGURED;
        ret->was_started = marker_exists(a);
        /* the marker first: whatever happens next, the stop knows what to stop */
        int rc = marker_write(a, a->check, a->n_check, &ret->reason);
        if (rc != OCF_SUCCESS)
                return rc;
        int r = raid_md_assemble(&a->ctx, a->mdadm_conf, a->check, a->n_check, &ret->steps);
        if (r < 0) {
                const struct raid_step *f = raid_steps_failed(&ret->steps);
                set_reason(&ret->reason, "cannot assemble %s: %s", f ? f->device : "the arrays",
                           f ? f->reason : strerror(-r));
                rc = r == -ENOENT ? OCF_ERR_INSTALLED : OCF_ERR_GENERIC;
        } else
                rc = gate(a, ret);
        if (rc != OCF_SUCCESS && !ret->was_started)
                roll_back(a, ret);
        return rc;
}

static int start(const struct raid_agent *a, struct raid_agent_result *ret) {
        if (a->mdadm_conf)
                return start_assembling(a, ret);
        int rc = gate(a, ret);
        if (rc != OCF_SUCCESS)
                return rc;
        return marker_write(a, NULL, 0, &ret->reason);
}

int raid_agent_run(const struct raid_agent *a, enum ocf_action act, struct raid_agent_result *ret) {
        *ret = (struct raid_agent_result) {};
        switch (act) {
        case OCF_ACTION_START:
                return start(a, ret);
        case OCF_ACTION_STOP:
                return stop(a, ret);
        case OCF_ACTION_MONITOR:
                if (!marker_exists(a))
                        return OCF_NOT_RUNNING;
                return raid_health_ocf_status(check(a, ret));
        case OCF_ACTION_VALIDATE_ALL:
                if (a->mdadm_conf && !a->ctx.mdadm)
                        return set_reason(&ret->reason, "mdadm_conf %s: cannot assemble under a moved sysroot",
                                          a->mdadm_conf),
                               OCF_ERR_CONFIGURED;
                return OCF_SUCCESS;
        default:
                return OCF_ERR_UNIMPLEMENTED;
        }
}

int raid_agent_unconfigured(const struct raid_agent *a, enum ocf_action act, int rc, struct raid_agent_result *ret) {
        *ret = (struct raid_agent_result) {};
        /* a stop must not fail on a config that changed meanwhile */
        if (act == OCF_ACTION_STOP && rc == OCF_ERR_CONFIGURED)
                return stop(a, ret);
        if (act == OCF_ACTION_MONITOR && a->marker[0] && !marker_exists(a))
                return OCF_NOT_RUNNING;
        return rc;
}

char *raid_agent_metadata(const char *version) {
        return strprintf(
                "<?xml version=\"1.0\"?>\n"
                "<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"
                "<resource-agent name=\"raid\" version=\"%s\">\n"
                "<version>1.1</version>\n"
                "<longdesc lang=\"en\">\n"
                "Gates a group on the health of its RAID: md arrays (read from sysfs) and\n"
                "device-mapper raid, mirror and multipath devices (read through libdevmapper).\n"
                "With an mdadm_conf, start first assembles the md arrays among the devices (host\n"
                "RAID over shared LUNs is assembled only on the active node, after the fence\n"
                "reservation is held), and stop stops them again (before the release).\n"
                "start checks the devices and fails when one has failed (or, with\n"
                "on_degraded=refuse, is degraded), stopping what it assembled; monitor checks\n"
                "them again and returns 0 when all are ok, 190 (OCF_DEGRADED) when one is\n"
                "degraded, and 1 when one has failed or cannot be judged. The verdict is\n"
                "tandem-raid(8)'s. Order this resource after the fence and before the volume.\n"
                "</longdesc>\n"
                "<shortdesc lang=\"en\">RAID health gate (md, dm-raid, dm-mirror, dm-multipath)</shortdesc>\n"
                "<parameters>\n"
                "<parameter name=\"devices\" unique=\"0\" required=\"0\">\n"
                "<longdesc lang=\"en\">The devices to check, separated by spaces: mdN, /dev/mdN,\n"
                "/dev/md/NAME, /dev/dm-N, /dev/mapper/NAME or a /dev link to one. Default: the\n"
                "group's [raid] devices; without a group, every md array and dm RAID device.</longdesc>\n"
                "<shortdesc lang=\"en\">devices to check</shortdesc>\n"
                "<content type=\"string\" default=\"\"/>\n"
                "</parameter>\n"
                "<parameter name=\"group\" unique=\"0\" required=\"0\">\n"
                "<longdesc lang=\"en\">The tandem group: /etc/tandem/GROUP.conf gives the devices\n"
                "and on_degraded.</longdesc>\n"
                "<shortdesc lang=\"en\">tandem group</shortdesc>\n"
                "<content type=\"string\" default=\"\"/>\n"
                "</parameter>\n"
                "<parameter name=\"config\" unique=\"0\" required=\"0\">\n"
                "<longdesc lang=\"en\">A tandem config file, instead of group.</longdesc>\n"
                "<shortdesc lang=\"en\">tandem config file</shortdesc>\n"
                "<content type=\"string\" default=\"\"/>\n"
                "</parameter>\n"
                "<parameter name=\"on_degraded\" unique=\"0\" required=\"0\">\n"
                "<longdesc lang=\"en\">allow: start on a degraded device (monitor then says 190);\n"
                "refuse: start fails. Default: the config's, else allow.</longdesc>\n"
                "<shortdesc lang=\"en\">allow or refuse a degraded start</shortdesc>\n"
                "<content type=\"string\" default=\"\"/>\n"
                "</parameter>\n"
                "<parameter name=\"mdadm_conf\" unique=\"0\" required=\"0\">\n"
                "<longdesc lang=\"en\">An mdadm.conf(5) file, apart from /etc/mdadm/mdadm.conf, that\n"
                "identifies the md arrays among the devices: DEVICE lines naming their members,\n"
                "an ARRAY line with UUID= for each. start assembles each md device in the order\n"
                "given (nested arrays after their members) with mdadm --assemble --run --config,\n"
                "and stop stops them in the reverse order. Default: the group file with .conf\n"
                "replaced by .mdadm.conf (/etc/tandem/GROUP.mdadm.conf) when it exists; else\n"
                "nothing is assembled or stopped.</longdesc>\n"
                "<shortdesc lang=\"en\">mdadm.conf of the arrays to assemble</shortdesc>\n"
                "<content type=\"string\" default=\"\"/>\n"
                "</parameter>\n"
                "<parameter name=\"sysroot\" unique=\"0\" required=\"0\">\n"
                "<longdesc lang=\"en\">Read md sysfs and /dev links under this directory (for\n"
                "tests on captured trees); dm devices cannot be read then.</longdesc>\n"
                "<shortdesc lang=\"en\">root for sysfs</shortdesc>\n"
                "<content type=\"string\" default=\"/\"/>\n"
                "</parameter>\n"
                "</parameters>\n"
                "<actions>\n"
                "<action name=\"start\" timeout=\"120s\"/>\n"
                "<action name=\"stop\" timeout=\"120s\"/>\n"
                "<action name=\"monitor\" timeout=\"20s\" interval=\"10s\" depth=\"0\"/>\n"
                "<action name=\"meta-data\" timeout=\"5s\"/>\n"
                "<action name=\"validate-all\" timeout=\"20s\"/>\n"
                "</actions>\n"
                "</resource-agent>\n",
                version ? version : "");
}
