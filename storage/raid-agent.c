/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The OCF resource agent raid (include/tandem/raid.h; tandem-raid(8), OCF
 * AGENT): a gate on the health of the group's RAID. start checks and, unless
 * it refuses, leaves a state marker under the run directory; monitor says
 * 7 without the marker, else 0, 190 (degraded) or 1; stop removes the
 * marker. `tandem-raid ocf` reads the parameters and the config, and prints
 * and logs what comes back; nothing here logs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tandem/raid.h"
#include "tandem/util.h"

void raid_agent_done(struct raid_agent *a) {
        if (!a)
                return;
        safe_close(a->ctx.sysroot_fd);
        strv_free_n(a->devs, a->n_devs);
        *a = (struct raid_agent) { .ctx.sysroot_fd = -1 };
}

void raid_agent_result_done(struct raid_agent_result *r) {
        if (!r)
                return;
        raid_report_done(&r->report);
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

int raid_agent_settle(struct raid_agent *a, const struct raid_agent_params *p, const struct cfg_group *g,
                      char **ret_reason) {
        int r = raid_sysroot_open(p->sysroot, &a->ctx.sysroot_fd, &a->ctx.live);
        if (r < 0)
                return set_reason(ret_reason, "sysroot: %s: %s", p->sysroot ? p->sysroot : "/", strerror(-r)),
                       OCF_ERR_CONFIGURED;
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
        return OCF_SUCCESS;
}

static bool marker_exists(const struct raid_agent *a) {
        return access(a->marker, F_OK) == 0;
}

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

static int stop(const struct raid_agent *a, char **ret_reason) {
        if (unlink(a->marker) < 0 && errno != ENOENT)
                return set_reason(ret_reason, "cannot remove %s: %s", a->marker, strerror(errno)), OCF_ERR_GENERIC;
        return OCF_SUCCESS;
}

static int start(const struct raid_agent *a, struct raid_agent_result *ret) {
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
        _cleanup_free_ char *dir = strdup(a->marker);
        if (!dir)
                return set_reason(&ret->reason, "out of memory"), OCF_ERR_GENERIC;
        *strrchr(dir, '/') = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return set_reason(&ret->reason, "cannot create %s: %s", dir, strerror(errno)), OCF_ERR_GENERIC;
        int fd = open(a->marker, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return set_reason(&ret->reason, "cannot create %s: %s", a->marker, strerror(errno)), OCF_ERR_GENERIC;
        safe_close(fd);
        return OCF_SUCCESS;
}

int raid_agent_run(const struct raid_agent *a, enum ocf_action act, struct raid_agent_result *ret) {
        *ret = (struct raid_agent_result) {};
        switch (act) {
        case OCF_ACTION_START:
                return start(a, ret);
        case OCF_ACTION_STOP:
                return stop(a, &ret->reason);
        case OCF_ACTION_MONITOR:
                if (!marker_exists(a))
                        return OCF_NOT_RUNNING;
                return raid_health_ocf_status(check(a, ret));
        case OCF_ACTION_VALIDATE_ALL:
                return OCF_SUCCESS;
        default:
                return OCF_ERR_UNIMPLEMENTED;
        }
}

int raid_agent_unconfigured(const struct raid_agent *a, enum ocf_action act, int rc, char **ret_reason) {
        /* a stop must not fail on a config that changed meanwhile */
        if (act == OCF_ACTION_STOP && rc == OCF_ERR_CONFIGURED)
                return stop(a, ret_reason);
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
                "start checks the devices and fails when one has failed (or, with\n"
                "on_degraded=refuse, is degraded); monitor checks them again and returns 0 when\n"
                "all are ok, 190 (OCF_DEGRADED) when one is degraded, and 1 when one has failed\n"
                "or cannot be judged. The verdict is tandem-raid(8)'s.\n"
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
                "<parameter name=\"sysroot\" unique=\"0\" required=\"0\">\n"
                "<longdesc lang=\"en\">Read md sysfs and /dev links under this directory (for\n"
                "tests on captured trees); dm devices cannot be read then.</longdesc>\n"
                "<shortdesc lang=\"en\">root for sysfs</shortdesc>\n"
                "<content type=\"string\" default=\"/\"/>\n"
                "</parameter>\n"
                "</parameters>\n"
                "<actions>\n"
                "<action name=\"start\" timeout=\"20s\"/>\n"
                "<action name=\"stop\" timeout=\"20s\"/>\n"
                "<action name=\"monitor\" timeout=\"20s\" interval=\"10s\" depth=\"0\"/>\n"
                "<action name=\"meta-data\" timeout=\"5s\"/>\n"
                "<action name=\"validate-all\" timeout=\"20s\"/>\n"
                "</actions>\n"
                "</resource-agent>\n",
                version ? version : "");
}
