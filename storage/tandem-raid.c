/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tandem-raid: RAID health of a group's md arrays and dm raid, mirror and
 * multipath devices; `check` once, `watch` for a Type=notify unit, and `ocf`
 * for the OCF resource agent units/ocf/raid. A thin main over storage/raid.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "tandem/cli.h"
#include "tandem/ocf.h"
#include "tandem/raid.h"

/* Exit codes beyond the shared ones (documented in tandem-raid(8)); the same
 * numbers as tandem-fence's where the meaning is alike. */
enum {
        EXIT_DEGRADED = 3,      /* some device degraded, none failed */
        EXIT_RAID_FAILED = 4,   /* some device failed */
};

/* journal MESSAGE_IDs */
#define MSGID_RAID_CHANGED "8832c682cdff43759770fe9cfb6447cf" /* a device's verdict changed (watch) */
#define MSGID_RAID_ERROR "6ae86c52e9b94a9b8607f709a20b2973"   /* a check could not run (watch) */

#define RUN_DIR "/run/tandem"

struct opts {
        struct cli_common common;
        const char *sysroot;
        usec_t interval;        /* 0: not given */
};

static void usage(FILE *f) {
        fputs("Usage: tandem-raid [OPTIONS] check [DEV...]\n"
              "       tandem-raid [OPTIONS] watch [DEV...]\n"
              "       tandem-raid ocf ACTION\n"
              "\n"
              "RAID health of md arrays and dm raid, mirror and multipath devices.\n"
              "DEV is mdN, /dev/mdN, /dev/md/NAME, /dev/dm-N, /dev/mapper/NAME or a /dev link\n"
              "to one (/dev/disk/by-id/...). Without DEV: the config's [raid] devices; without\n"
              "those: every md array and every dm raid, mirror and multipath device.\n"
              "\n"
              "Commands:\n"
              "  check             judge each device once: ok, degraded, failed or unknown\n"
              "  watch             check every interval, log each change once (Type=notify)\n"
              "  ocf ACTION        the OCF resource agent (start, stop, monitor, meta-data,\n"
              "                    validate-all), configured by OCF_RESKEY_* variables\n"
              "\n"
              "Options:\n"
              "      --sysroot DIR       read sysfs and /dev links under DIR (md only)\n"
              "      --interval TIME     watch: time between checks (default: the config's\n"
              "                          fence watch_interval, else 2s)\n" CLI_COMMON_HELP
              "\n"
              "Exit status: 0 all ok, 1 error or unknown, 2 usage, 3 degraded (none failed),\n"
              "4 failed. See tandem-raid(8).\n",
              f);
}

static const char *health_word(enum health h) {
        switch (h) {
        case HEALTH_OK:
                return "ok";
        case HEALTH_DEGRADED:
                return "DEGRADED";
        case HEALTH_FAILED:
                return "FAILED";
        default:
                return "UNKNOWN";
        }
}

static int health_level(enum health h) {
        return h == HEALTH_OK ? LOG_NOTICE : h == HEALTH_DEGRADED ? LOG_WARNING : LOG_ERR;
}

/* What every command needs: the sysroot and the names to check. */
struct setup {
        int sysroot_fd;
        bool live;
        struct cfg_group g;
        bool have_cfg;
        char *const *devs;
        size_t n_devs;
};

static void setup_done(struct setup *s) {
        safe_close(s->sysroot_fd);
        s->sysroot_fd = -1;
        cfg_group_done(&s->g);
}

static int open_sysroot(const char *dir, int *ret_fd, bool *ret_live) {
        struct stat a, b;
        int fd = open(dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &a) < 0 || stat("/", &b) < 0) {
                int r = -errno;
                safe_close(fd);
                return r;
        }
        *ret_fd = fd;
        *ret_live = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        return 0;
}

/* Loads the config when -g/-c says so, or when no DEV is given and the
 * default group's file exists. Returns 0 or -errno (already reported). */
static int load_config(const struct cli_common *c, bool need_devices, struct setup *s) {
        if (!c->group && !c->config) {
                _cleanup_free_ char *path = NULL;
                if (!need_devices)
                        return 0;
                if (cfg_group_path(CFG_DEFAULT_GROUP, &path) < 0 || access(path, F_OK) < 0)
                        return 0;
        }
        int r = cli_load_group(c, &s->g);
        if (r < 0)
                return r;
        s->have_cfg = true;
        return 0;
}

static int setup_init(const struct opts *o, const char *sysroot, char *const *args, size_t n_args, struct setup *s) {
        int r;
        *s = (struct setup) { .sysroot_fd = -1 };
        r = open_sysroot(sysroot, &s->sysroot_fd, &s->live);
        if (r < 0)
                return log_error_errno(r, "--sysroot %s", sysroot);
        r = load_config(&o->common, n_args == 0, s);
        if (r < 0)
                return r;
        if (n_args > 0) {
                s->devs = args;
                s->n_devs = n_args;
        } else if (s->have_cfg && s->g.raid.present) {
                s->devs = s->g.raid.devices;
                s->n_devs = s->g.raid.n_devices;
        }
        return 0;
}

static int run_check(const struct setup *s, struct raid_report *ret) {
        const struct raid_ctx ctx = {
                .sysroot_fd = s->sysroot_fd,
                .live = s->live,
                .dm_query = dmh_query,
        };
        return raid_check(&ctx, s->devs, s->n_devs, ret);
}

static void print_text(const struct raid_report *rep) {
        for (size_t i = 0; i < rep->n; i++) {
                const struct raid_result *x = &rep->results[i];
                printf("%-8s %s (%s): %s\n", health_word(x->health), x->device, raid_kind_to_string(x->kind),
                       x->reason);
        }
}

static int print_json(const struct raid_report *rep, bool pretty) {
        struct json_object *o = raid_report_to_json(rep);
        int r;
        if (!o)
                return -ENOMEM;
        if (pretty)
                r = out_json_print(o);
        else {
                const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
                r = t && puts(t) >= 0 && fflush(stdout) == 0 ? 0 : -EIO;
        }
        json_object_put(o);
        return r;
}

static const char *nothing_to_check = "nothing to check: no md arrays and no dm raid, mirror or multipath devices";

static int cmd_check(const struct opts *o, char *const *args, size_t n_args) {
        struct setup s;
        struct raid_report rep = {};
        int r = setup_init(o, o->sysroot, args, n_args, &s);
        if (r < 0) {
                setup_done(&s);
                return EXIT_FAILED;
        }
        r = run_check(&s, &rep);
        setup_done(&s);
        if (r < 0)
                return log_error_errno(r, "cannot check"), EXIT_FAILED;
        if (o->common.json)
                r = print_json(&rep, true);
        else
                print_text(&rep);
        if (rep.n == 0)
                log_error("%s", nothing_to_check);
        enum health h = raid_report_health(&rep);
        raid_report_done(&rep);
        if (r < 0)
                return log_error_errno(r, "cannot print"), EXIT_FAILED;
        return raid_health_exit_status(h);
}

/* ------------------------------------------------------------------ watch */

/* "degraded: /dev/md0 degraded (…); 2 devices" for sd_notify STATUS=. */
static void status_line(const struct raid_report *rep, char *buf, size_t n) {
        enum health worst = raid_report_health(rep);
        size_t len = (size_t) snprintf(buf, n, "%s: %zu device%s", rep->n ? health_to_string(worst) : "nothing to check",
                                       rep->n, rep->n == 1 ? "" : "s");
        for (size_t i = 0; i < rep->n && len < n; i++) {
                const struct raid_result *x = &rep->results[i];
                if (x->health != HEALTH_OK)
                        len += (size_t) snprintf(buf + len, n - len, "; %s %s (%s)", x->device,
                                                 health_to_string(x->health), x->reason);
        }
}

static void log_transitions(const struct raid_report *prev, const struct raid_report *cur, bool first) {
        for (size_t i = 0; i < cur->n; i++) {
                const struct raid_result *x = &cur->results[i];
                enum health before;
                if (!raid_health_changed(first ? NULL : prev, x, &before))
                        continue;
                const char *now = health_to_string(x->health);
                const char *was = before >= 0 ? health_to_string(before) : "none";
                const struct log_field fields[] = {
                        { "TANDEM_DEVICE", x->device },
                        { "TANDEM_RAID_KIND", raid_kind_to_string(x->kind) },
                        { "TANDEM_HEALTH", now },
                        { "TANDEM_HEALTH_BEFORE", was },
                };
                if (before < 0)
                        log_struct(health_level(x->health), 0, MSGID_RAID_CHANGED, fields, ELEMENTSOF(fields),
                                   "%s: %s: %s", x->device, now, x->reason);
                else
                        log_struct(health_level(x->health), 0, MSGID_RAID_CHANGED, fields, ELEMENTSOF(fields),
                                   "%s: %s -> %s: %s", x->device, was, now, x->reason);
        }
        for (size_t i = 0; !first && i < prev->n; i++) {
                const struct raid_result *x = &prev->results[i];
                if (raid_report_find(cur, x->device))
                        continue;
                const struct log_field fields[] = {
                        { "TANDEM_DEVICE", x->device },
                        { "TANDEM_RAID_KIND", raid_kind_to_string(x->kind) },
                        { "TANDEM_HEALTH", "gone" },
                        { "TANDEM_HEALTH_BEFORE", health_to_string(x->health) },
                };
                log_struct(LOG_WARNING, 0, MSGID_RAID_CHANGED, fields, ELEMENTSOF(fields),
                           "%s: %s -> gone: no longer found", x->device, health_to_string(x->health));
        }
}

static int cmd_watch(const struct opts *o, char *const *args, size_t n_args) {
        struct setup s;
        struct raid_report prev = {};
        sigset_t mask;
        int r, sig = 0, last_error = 0;
        char status[1024];

        r = setup_init(o, o->sysroot, args, n_args, &s);
        if (r < 0) {
                setup_done(&s);
                return EXIT_FAILED;
        }
        usec_t interval = o->interval ? o->interval : s.have_cfg ? s.g.fence.watch_interval : 2 * USEC_PER_SEC;
        if (interval == 0)
                interval = 2 * USEC_PER_SEC;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
                setup_done(&s);
                return log_error_errno(errno, "cannot block signals"), EXIT_FAILED;
        }
        char ib[32];
        log_info("watching %s every %s", s.n_devs ? "the named devices" : "every md and dm RAID device",
                 cfg_format_duration(interval, ib, sizeof ib));

        for (unsigned round = 1;; round++) {
                struct raid_report cur = {};
                r = run_check(&s, &cur);
                if (r < 0) {
                        if (r != last_error) {
                                const struct log_field f[] = { { "TANDEM_ERRNO", strerror(-r) } };
                                log_struct(LOG_ERR, r, MSGID_RAID_ERROR, f, ELEMENTSOF(f), "cannot check");
                        }
                        last_error = r;
                        snprintf(status, sizeof status, "cannot check: %s", strerror(-r));
                } else {
                        if (last_error != 0)
                                log_notice("checking again");
                        log_transitions(&prev, &cur, round == 1 || last_error != 0);
                        if (cur.n == 0 && (round == 1 || prev.n > 0 || last_error))
                                log_warning("%s", nothing_to_check);
                        last_error = 0;
                        status_line(&cur, status, sizeof status);
                        if (o->common.json) {
                                bool changed = round == 1 || cur.n != prev.n;
                                for (size_t i = 0; i < cur.n && !changed; i++)
                                        changed = raid_health_changed(&prev, &cur.results[i], NULL);
                                if (changed)
                                        (void) print_json(&cur, false);
                        }
                        raid_report_done(&prev);
                        prev = cur;
                }
                log_debug("round %u: %s", round, status);
                (void) sd_notifyf(0, "%sWATCHDOG=1\nSTATUS=%s", round == 1 ? "READY=1\n" : "", status);

                struct timespec ts = { .tv_sec = (time_t) (interval / USEC_PER_SEC),
                                       .tv_nsec = (long) (interval % USEC_PER_SEC) * 1000 };
                for (;;) {
                        sig = sigtimedwait(&mask, NULL, &ts);
                        if (sig >= 0 || errno == EAGAIN)
                                break;
                        if (errno != EINTR) {
                                log_error_errno(errno, "sigtimedwait");
                                sig = SIGTERM;
                                break;
                        }
                }
                if (sig > 0)
                        break;
        }
        (void) sd_notify(0, "STOPPING=1\nSTATUS=stopping");
        log_info("%s received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        raid_report_done(&prev);
        setup_done(&s);
        return EXIT_OK;
}

/* -------------------------------------------------------------------- ocf */

static void ocf_meta_data(void) {
        printf("<?xml version=\"1.0\"?>\n"
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
               TANDEM_VERSION);
}

struct ocf {
        struct setup s;
        char **devs;            /* from OCF_RESKEY_devices */
        size_t n_devs;
        enum cfg_on_degraded on_degraded;
        char marker[512];
};

static void ocf_done(struct ocf *x) {
        setup_done(&x->s);
        for (size_t i = 0; i < x->n_devs; i++)
                free(x->devs[i]);
        free(x->devs);
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
                        for (size_t i = 0; i < n; i++)
                                free(d[i]);
                        free(d);
                        return -ENOMEM;
                }
                n++;
                p += k;
        }
        *ret = d;
        *ret_n = n;
        return 0;
}

/* Reads the OCF_RESKEY_* parameters and the config. Returns an OCF code. */
static int ocf_init(struct opts *o, struct ocf *x) {
        *x = (struct ocf) { .s = { .sysroot_fd = -1 } };
        /* The state marker: one per resource instance ("name:0" for a clone). */
        char inst[128];
        snprintf(inst, sizeof inst, "%s", ocf_getenv("OCF_RESOURCE_INSTANCE") ?: "default");
        for (char *p = inst; *p; p++)
                if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.", *p))
                        *p = '_';
        if (inst[0] == '.')
                inst[0] = '_';
        snprintf(x->marker, sizeof x->marker, "%s/raid-%s.started", ocf_getenv("TANDEM_RUN_DIR") ?: RUN_DIR, inst);
        o->common.group = ocf_getenv("OCF_RESKEY_group");
        o->common.config = ocf_getenv("OCF_RESKEY_config");
        if (o->common.group && o->common.config)
                return ocf_exit_reason(OCF_ERR_CONFIGURED, "give group or config, not both");
        if (split_devices(ocf_getenv("OCF_RESKEY_devices"), &x->devs, &x->n_devs) < 0)
                return ocf_exit_reason(OCF_ERR_GENERIC, "out of memory");
        for (size_t i = 0; i < x->n_devs; i++) {
                struct raid_name nm;
                if (raid_classify(x->devs[i], &nm) == -EINVAL)
                        return ocf_exit_reason(OCF_ERR_CONFIGURED, "devices: '%s' is not a device name", x->devs[i]);
        }
        const char *sysroot = ocf_getenv("OCF_RESKEY_sysroot");
        struct stat st;
        if (sysroot && (stat(sysroot, &st) < 0 || !S_ISDIR(st.st_mode)))
                return ocf_exit_reason(OCF_ERR_CONFIGURED, "sysroot: %s is not a directory", sysroot);
        /* Only a named group or config is loaded: the agent does not guess. */
        if (o->common.group || o->common.config) {
                if (cli_load_group(&o->common, &x->s.g) < 0)
                        return ocf_exit_reason(OCF_ERR_CONFIGURED, "cannot load the tandem config (%s)",
                                          o->common.config ? o->common.config : o->common.group);
                x->s.have_cfg = true;
        }
        int r = open_sysroot(sysroot, &x->s.sysroot_fd, &x->s.live);
        if (r < 0)
                return ocf_exit_reason(OCF_ERR_CONFIGURED, "sysroot: %s: %s", sysroot ? sysroot : "/", strerror(-r));
        if (x->n_devs > 0) {
                x->s.devs = x->devs;
                x->s.n_devs = x->n_devs;
        } else if (x->s.have_cfg && x->s.g.raid.present) {
                x->s.devs = x->s.g.raid.devices;
                x->s.n_devs = x->s.g.raid.n_devices;
        }
        x->on_degraded = x->s.have_cfg ? x->s.g.raid.on_degraded : CFG_ON_DEGRADED_ALLOW;
        const char *od = ocf_getenv("OCF_RESKEY_on_degraded");
        if (od) {
                if (strcmp(od, "allow") == 0)
                        x->on_degraded = CFG_ON_DEGRADED_ALLOW;
                else if (strcmp(od, "refuse") == 0)
                        x->on_degraded = CFG_ON_DEGRADED_REFUSE;
                else
                        return ocf_exit_reason(OCF_ERR_CONFIGURED, "on_degraded: '%s' is not allow or refuse", od);
        }

        return OCF_SUCCESS;
}

static bool marker_exists(const struct ocf *x) {
        return access(x->marker, F_OK) == 0;
}

/* The reasons of every device that is not ok, for ocf-exit-reason. */
static void bad_reasons(const struct raid_report *rep, char *buf, size_t n) {
        size_t len = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < rep->n && len < n; i++) {
                const struct raid_result *r = &rep->results[i];
                if (r->health != HEALTH_OK)
                        len += (size_t) snprintf(buf + len, n - len, "%s%s %s: %s", len ? "; " : "", r->device,
                                                 health_to_string(r->health), r->reason);
        }
}

/* Runs the check; returns the verdict and the words, or HEALTH_UNKNOWN. */
static enum health ocf_check(const struct ocf *x, char *why, size_t n) {
        struct raid_report rep = {};
        int r = run_check(&x->s, &rep);
        if (r < 0) {
                snprintf(why, n, "cannot check: %s", strerror(-r));
                return HEALTH_UNKNOWN;
        }
        if (rep.n == 0) {
                snprintf(why, n, "%s", nothing_to_check);
                return HEALTH_UNKNOWN;
        }
        for (size_t i = 0; i < rep.n; i++)
                log_info("%s %s: %s", rep.results[i].device, health_to_string(rep.results[i].health),
                         rep.results[i].reason);
        enum health h = raid_report_health(&rep);
        bad_reasons(&rep, why, n);
        raid_report_done(&rep);
        return h;
}

static int ocf_start(const struct ocf *x) {
        char why[2048];
        enum health h = ocf_check(x, why, sizeof why);
        if (h == HEALTH_DEGRADED && x->on_degraded == CFG_ON_DEGRADED_REFUSE)
                return ocf_exit_reason(OCF_ERR_GENERIC, "degraded and on_degraded=refuse: %s", why);
        if (h != HEALTH_OK && h != HEALTH_DEGRADED)
                return ocf_exit_reason(OCF_ERR_GENERIC, "%s", why);
        if (h == HEALTH_DEGRADED)
                log_warning("starting degraded: %s", why);
        _cleanup_free_ char *dir = strdup(x->marker);
        if (!dir)
                return ocf_exit_reason(OCF_ERR_GENERIC, "out of memory");
        *strrchr(dir, '/') = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return ocf_exit_reason(OCF_ERR_GENERIC, "cannot create %s: %s", dir, strerror(errno));
        int fd = open(x->marker, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return ocf_exit_reason(OCF_ERR_GENERIC, "cannot create %s: %s", x->marker, strerror(errno));
        safe_close(fd);
        return OCF_SUCCESS;
}

static int ocf_stop(const struct ocf *x) {
        if (unlink(x->marker) < 0 && errno != ENOENT)
                return ocf_exit_reason(OCF_ERR_GENERIC, "cannot remove %s: %s", x->marker, strerror(errno));
        return OCF_SUCCESS;
}

static int ocf_monitor(const struct ocf *x) {
        char why[2048];
        if (!marker_exists(x))
                return OCF_NOT_RUNNING;
        enum health h = ocf_check(x, why, sizeof why);
        if (h == HEALTH_OK)
                return OCF_SUCCESS;
        if (h == HEALTH_DEGRADED)
                return ocf_exit_reason(OCF_DEGRADED, "%s", why);
        return ocf_exit_reason(OCF_ERR_GENERIC, "%s", why);
}

static int cmd_ocf(struct opts *o, const char *action) {
        struct ocf x;
        int rc;

        if (!action) {
                fprintf(stderr, "usage: tandem-raid ocf {start|stop|monitor|meta-data|validate-all}\n");
                return OCF_ERR_ARGS;
        }
        enum ocf_action act = ocf_action_from_string(action);
        if (act == OCF_ACTION_META_DATA) {
                ocf_meta_data();
                return OCF_SUCCESS;
        }
        if (act < 0)
                return OCF_ERR_UNIMPLEMENTED;
        rc = ocf_init(o, &x);
        if (rc == OCF_SUCCESS) {
                if (act == OCF_ACTION_START)
                        rc = ocf_start(&x);
                else if (act == OCF_ACTION_STOP)
                        rc = ocf_stop(&x);
                else if (act == OCF_ACTION_VALIDATE_ALL)
                        rc = OCF_SUCCESS;
                else
                        rc = ocf_monitor(&x);
        } else if (act == OCF_ACTION_STOP && rc == OCF_ERR_CONFIGURED) {
                /* a stop must not fail on a config that changed meanwhile */
                rc = ocf_stop(&x);
        } else if (act == OCF_ACTION_MONITOR) {
                if (x.marker[0] && !marker_exists(&x))
                        rc = OCF_NOT_RUNNING;
        }
        ocf_done(&x);
        return rc;
}

enum { OPT_SYSROOT = _CLI_OPT_NEXT, OPT_INTERVAL };

/* Handles one option. Returns -1 to go on, or an exit status. */
static int handle_opt(struct opts *o, int opt, const char *arg) {
        int r;
        switch (opt) {
        case 'h':
                usage(stdout);
                return EXIT_OK;
        case 'V':
                printf("tandem-raid %s\n", TANDEM_VERSION);
                return EXIT_OK;
        case OPT_SYSROOT:
                o->sysroot = arg;
                return -1;
        case OPT_INTERVAL:
                if (cfg_parse_duration(arg, &o->interval) < 0 || o->interval == 0) {
                        fprintf(stderr, "tandem-raid: --interval: '%s' is not a duration like 2s or 500ms\n", arg);
                        return EXIT_USAGE;
                }
                return -1;
        default:
                r = cli_common_opt(&o->common, opt, arg);
                if (r > 0)
                        return -1;
                if (r == 0)
                        usage(stderr);
                return EXIT_USAGE;
        }
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                CLI_COMMON_LONGOPTS,
                { "sysroot", required_argument, NULL, OPT_SYSROOT },
                { "interval", required_argument, NULL, OPT_INTERVAL },
                {},
        };
        struct opts o = {};
        int opt, r;

        /* The OCF agent: no options, the action, and parameters in the environment. */
        if (argc >= 2 && strcmp(argv[1], "ocf") == 0) {
                cli_common_init(&o.common);
                cli_common_apply(&o.common, "tandem-raid");
                if (argc > 3) {
                        fprintf(stderr, "usage: tandem-raid ocf ACTION\n");
                        return OCF_ERR_ARGS;
                }
                return cmd_ocf(&o, argc == 3 ? argv[2] : NULL);
        }

        cli_common_init(&o.common);
        /* "+": options end at the command; DEVs are operands */
        while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1)
                if ((r = handle_opt(&o, opt, optarg)) >= 0)
                        return r;
        if (optind >= argc) {
                fprintf(stderr, "tandem-raid: no command given; see tandem-raid --help\n");
                return EXIT_USAGE;
        }
        const char *cmd = argv[optind++];
        /* options may also follow the command, before the devices */
        while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1)
                if ((r = handle_opt(&o, opt, optarg)) >= 0)
                        return r;
        char *const *args = argv + optind;
        size_t n_args = (size_t) (argc - optind);
        if (strcmp(cmd, "check") != 0 && strcmp(cmd, "watch") != 0) {
                fprintf(stderr, "tandem-raid: unknown command '%s'; see tandem-raid --help\n", cmd);
                return EXIT_USAGE;
        }
        if (o.interval && strcmp(cmd, "watch") != 0) {
                fprintf(stderr, "tandem-raid: --interval is for watch\n");
                return EXIT_USAGE;
        }
        cli_common_apply(&o.common, "tandem-raid");
        if (strcmp(cmd, "check") == 0)
                return cmd_check(&o, args, n_args);
        return cmd_watch(&o, args, n_args);
}
