/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tandem-raid: RAID health of a group's md arrays and dm raid, mirror and
 * multipath devices; `check` once, `watch` for a Type=notify unit, and `ocf`
 * for the OCF resource agent units/ocf/raid. A thin main over storage/raid.c,
 * raid-watch.c (a round of the watch) and raid-agent.c (the OCF actions). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tandem/cli.h"
#include "tandem/ocf.h"
#include "tandem/raid.h"
#include "tandem/sd-lazy.h"

/* Exit codes beyond the shared ones (documented in tandem-raid(8)); the same
 * numbers as tandem-fence's where the meaning is alike. */
enum {
        EXIT_DEGRADED = 3,      /* some device degraded, none failed */
        EXIT_RAID_FAILED = 4,   /* some device failed */
};

/* journal MESSAGE_IDs */
#define MSGID_RAID_CHANGED "8832c682cdff43759770fe9cfb6447cf" /* a device's verdict changed (watch) */
#define MSGID_RAID_ERROR "6ae86c52e9b94a9b8607f709a20b2973"   /* a check could not run (watch) */
#define MSGID_RAID_HOST "90d2f561c60c414c8426f638d324f458"    /* a host md array assembled or stopped (ocf) */
#define MSGID_RAID_STOP_FAILED "6ca42b602a5c40b1a85c1fa99aac9827" /* a host md array could not be stopped (ocf) */

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
        r = raid_sysroot_open(sysroot, &s->sysroot_fd, &s->live);
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

static struct raid_ctx setup_ctx(const struct setup *s) {
        return (struct raid_ctx) { .sysroot_fd = s->sysroot_fd, .live = s->live, .dm_query = dmh_query };
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

static int cmd_check(const struct opts *o, char *const *args, size_t n_args) {
        struct setup s;
        struct raid_report rep = {};
        int r = setup_init(o, o->sysroot, args, n_args, &s);
        if (r < 0) {
                setup_done(&s);
                return EXIT_FAILED;
        }
        const struct raid_ctx ctx = setup_ctx(&s);
        r = raid_check(&ctx, s.devs, s.n_devs, &rep);
        setup_done(&s);
        if (r < 0)
                return log_error_errno(r, "cannot check"), EXIT_FAILED;
        if (o->common.json)
                r = print_json(&rep, true);
        else
                print_text(&rep);
        if (rep.n == 0)
                log_error("%s", RAID_NOTHING_TO_CHECK);
        enum health h = raid_report_health(&rep);
        raid_report_done(&rep);
        if (r < 0)
                return log_error_errno(r, "cannot print"), EXIT_FAILED;
        return raid_health_exit_status(h);
}

/* ------------------------------------------------------------------ watch */

/* Logs what one round of the watch found. */
static void log_round(const struct raid_round *rd) {
        if (rd->error) {
                if (rd->error_new) {
                        const struct log_field f[] = { { "TANDEM_ERRNO", strerror(-rd->error) } };
                        log_struct(LOG_ERR, rd->error, MSGID_RAID_ERROR, f, ELEMENTSOF(f), "cannot check");
                }
                return;
        }
        if (rd->recovered)
                log_notice("checking again");
        for (size_t i = 0; i < rd->n_changes; i++) {
                const struct raid_change *c = &rd->changes[i];
                const struct raid_result *x = c->result;
                const char *now = c->gone ? "gone" : health_to_string(x->health);
                const char *was = c->before >= 0 ? health_to_string(c->before) : "none";
                const struct log_field fields[] = {
                        { "TANDEM_DEVICE", x->device },
                        { "TANDEM_RAID_KIND", raid_kind_to_string(x->kind) },
                        { "TANDEM_HEALTH", now },
                        { "TANDEM_HEALTH_BEFORE", was },
                };
                if (c->gone)
                        log_struct(LOG_WARNING, 0, MSGID_RAID_CHANGED, fields, ELEMENTSOF(fields),
                                   "%s: %s -> gone: no longer found", x->device, was);
                else if (c->before < 0)
                        log_struct(health_level(x->health), 0, MSGID_RAID_CHANGED, fields, ELEMENTSOF(fields),
                                   "%s: %s: %s", x->device, now, x->reason);
                else
                        log_struct(health_level(x->health), 0, MSGID_RAID_CHANGED, fields, ELEMENTSOF(fields),
                                   "%s: %s -> %s: %s", x->device, was, now, x->reason);
        }
        if (rd->nothing_to_check)
                log_warning("%s", RAID_NOTHING_TO_CHECK);
}

static int cmd_watch(const struct opts *o, char *const *args, size_t n_args) {
        struct setup s;
        struct raid_watch w = {};
        sigset_t mask;
        int r, sig = 0;

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
        const struct raid_ctx ctx = setup_ctx(&s);

        for (;;) {
                struct raid_round rd;
                (void) raid_watch_round(&w, &ctx, s.devs, s.n_devs, &rd);
                log_round(&rd);
                if (!rd.error && o->common.json && rd.changed)
                        (void) print_json(rd.report, false);
                log_debug("round %u: %s", rd.round, rd.status);
                (void) sdl_notifyf("%sWATCHDOG=1\nSTATUS=%s", rd.round == 1 ? "READY=1\n" : "", rd.status);
                raid_round_done(&rd);

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
        (void) sdl_notify("STOPPING=1\nSTATUS=stopping");
        log_info("%s received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        raid_watch_done(&w);
        setup_done(&s);
        return EXIT_OK;
}

/* -------------------------------------------------------------------- ocf */

/* Logs one array assembled or stopped (or not). */
static void log_step(const struct raid_step *st, bool was_started) {
        const char *action = raid_step_action_to_string(st->action);
        const struct log_field f[] = {
                { "TANDEM_DEVICE", st->device },
                { "TANDEM_MD", st->kname },
                { "TANDEM_RAID_ACTION", action },
                { "TANDEM_RAID_OUTCOME", raid_step_outcome_to_string(st->outcome) },
        };
        const char *k = st->kname[0] ? st->kname : "-";
        switch (st->outcome) {
        case RAID_STEP_DONE:
                log_struct(LOG_NOTICE, 0, MSGID_RAID_HOST, f, ELEMENTSOF(f), "%s %s (%s)",
                           st->action == RAID_STEP_ASSEMBLE ? "assembled" : "stopped", st->device, k);
                break;
        case RAID_STEP_ALREADY:
                if (st->action == RAID_STEP_STOP)
                        log_info("%s: not assembled", st->device);
                else if (was_started)
                        log_info("%s (%s): assembled already", st->device, k);
                else
                        /* assembled before the takeover: by udev or the boot, which on
                         * the passive node would have assembled it too (H2) */
                        log_struct(LOG_WARNING, 0, MSGID_RAID_HOST, f, ELEMENTSOF(f),
                                   "%s (%s) was assembled before this start, not by tandem: if udev or the boot "
                                   "assembles it, the passive node has it assembled as well; keep it out of "
                                   "auto-assembly (ARRAY <ignore> in /etc/mdadm/mdadm.conf, tandem-raid(8))",
                                   st->device, k);
                break;
        default:
                if (st->action == RAID_STEP_STOP)
                        log_struct(LOG_ERR, 0, MSGID_RAID_STOP_FAILED, f, ELEMENTSOF(f),
                                   "cannot stop %s: %s; the reservation must stay held while it is assembled",
                                   st->device, st->reason);
                else
                        log_struct(LOG_ERR, 0, MSGID_RAID_HOST, f, ELEMENTSOF(f), "cannot assemble %s: %s",
                                   st->device, st->reason);
        }
}

/* Logs and prints what an action found. Returns rc. */
static int ocf_report(int rc, const struct raid_agent_result *res) {
        for (size_t i = 0; i < res->steps.n; i++)
                log_step(&res->steps.steps[i], res->was_started);
        for (size_t i = 0; i < res->report.n; i++) {
                const struct raid_result *x = &res->report.results[i];
                log_info("%s %s: %s", x->device, health_to_string(x->health), x->reason);
        }
        if (res->degraded)
                log_warning("starting degraded: %s", res->degraded);
        if (rc != OCF_SUCCESS && res->reason)
                ocf_exit_reason(rc, "%s", res->reason);
        return rc;
}

static int cmd_ocf(struct opts *o, const char *action) {
        struct raid_agent a;
        struct cfg_group g = {};
        _cleanup_free_ char *why = NULL;

        if (!action) {
                fprintf(stderr, "usage: tandem-raid ocf {start|stop|monitor|meta-data|validate-all}\n");
                return OCF_ERR_ARGS;
        }
        enum ocf_action act = ocf_action_from_string(action);
        if (act == OCF_ACTION_META_DATA) {
                _cleanup_free_ char *m = raid_agent_metadata(TANDEM_VERSION);
                return m && fputs(m, stdout) >= 0 ? OCF_SUCCESS : OCF_ERR_GENERIC;
        }
        if (act < 0)
                return OCF_ERR_UNIMPLEMENTED;
        const struct raid_agent_params p = {
                .instance = ocf_getenv("OCF_RESOURCE_INSTANCE"),
                .run_dir = ocf_getenv("TANDEM_RUN_DIR"),
                .devices = ocf_getenv("OCF_RESKEY_devices"),
                .group = ocf_getenv("OCF_RESKEY_group"),
                .config = ocf_getenv("OCF_RESKEY_config"),
                .sysroot = ocf_getenv("OCF_RESKEY_sysroot"),
                .on_degraded = ocf_getenv("OCF_RESKEY_on_degraded"),
                .mdadm_conf = ocf_getenv("OCF_RESKEY_mdadm_conf"),
        };
        int rc = raid_agent_init(&a, &p, &why);
        bool have_cfg = false;
        /* Only a named group or config is loaded: the agent does not guess. */
        if (rc == OCF_SUCCESS && (p.group || p.config)) {
                o->common.group = p.group;
                o->common.config = p.config;
                if (cli_load_group(&o->common, &g) < 0)
                        rc = ocf_exit_reason(OCF_ERR_CONFIGURED, "cannot load the tandem config (%s)",
                                             p.config ? p.config : p.group);
                have_cfg = rc == OCF_SUCCESS;
        }
        if (rc == OCF_SUCCESS)
                rc = raid_agent_settle(&a, &p, have_cfg ? &g : NULL, &why);
        if (rc == OCF_SUCCESS) {
                struct raid_agent_result res;
                rc = ocf_report(raid_agent_run(&a, act, &res), &res);
                raid_agent_result_done(&res);
        } else {
                struct raid_agent_result res;
                if (why)
                        ocf_exit_reason(rc, "%s", why);
                rc = ocf_report(raid_agent_unconfigured(&a, act, rc, &res), &res);
                raid_agent_result_done(&res);
        }
        raid_agent_done(&a);
        cfg_group_done(&g);
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
