/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tandem-volume: find, check, mount, unmount and monitor a group's shared
 * volume; also the OCF resource agent `volume` (the `ocf` command). A thin
 * main over storage/volume-cmd.c (the commands, in OCF codes) and the fence
 * interlock of group/ (I1), which it runs between the steps of a mount. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tandem/cli.h"
#include "tandem/group.h"
#include "tandem/ocf.h"
#include "tandem/util.h"
#include "tandem/volume.h"

/* tandem-volume's own exit code beyond the shared ones (tandem-volume(8)). */
enum {
        EXIT_NOT_RUNNING = 7,   /* status, monitor: the volume is not mounted (as OCF_NOT_RUNNING) */
};

#define MSGID_VOLUME "5e0c7a2b9d4f4c1e8a6b3d2f1e0c9b8a"

struct ctx {
        struct vol_settings s;          /* what to work on, after the config and the overrides */
        int depth;
        const struct cfg_group *g;      /* NULL: no group configuration */
        const char *procroot;
        int proc_fd;
        bool json, ocf;
};

static void usage(FILE *f) {
        fputs("Usage: tandem-volume [OPTIONS] COMMAND\n"
              "\n"
              "Find, check, mount, unmount and monitor a tandem group's shared volume.\n"
              "\n"
              "Commands:\n"
              "  mount             check the fence reservation, fsck by policy, mount (idempotent)\n"
              "  umount            sync, end the processes that hold it (TERM, then KILL after\n"
              "                    stop_timeout), unmount (idempotent; never lazy)\n"
              "  status            device, type, mount point, mounted, read-only, holders\n"
              "  monitor           check the volume at --depth 0, 10 or 20\n"
              "  ocf ACTION        act as the OCF resource agent `volume` (OCF_RESKEY_*)\n"
              "\n"
              "Options:\n"
              "      --device SPEC       UUID=..., LABEL=..., PARTUUID=... or a /dev path\n"
              "      --mountpoint DIR    where to mount it\n"
              "      --fstype TYPE       the filesystem type it must have (ext4, xfs, ...)\n"
              "      --options OPTS      mount options (default: the config's, or defaults)\n"
              "      --fsck POLICY       auto, always or never (default: the config's, or auto)\n"
              "      --stop-timeout T    how long holders get after TERM before KILL\n"
              "  -f, --force             mount even when this node does not hold the reservation\n"
              "      --depth N           monitor depth: 0 mounted, 10 read a block, 20 write a file\n"
              "      --procroot DIR      read processes and mounts from DIR (default: /proc)\n" CLI_COMMON_HELP
              "\n"
              "Exit status: 0 done (status, monitor: mounted and well), 1 failed, 2 usage,\n"
              "7 not mounted (status, monitor). The ocf command exits with OCF codes.\n"
              "See tandem-volume(8).\n",
              f);
}

/* Logs the failure once; for OCF also the exit reason Pacemaker shows. Returns code. */
static int fail(const struct ctx *c, int code, const char *fmt, ...) _printf_(3, 4);
static int fail(const struct ctx *c, int code, const char *fmt, ...) {
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        log_error("%s", buf);
        if (c->ocf)
                ocf_exit_reason(code, "%s", buf);
        return code;
}

/* I1: mount only while this node's key holds the reservation on every
 * fence device; and a volume already mounted is fine only while it does:
 * a node whose key was preempted must not report its mount as done. */
static int fence_interlock(const struct ctx *c, bool mounted) {
        const struct cfg_group *g = c->g;
        const char *doing = mounted ? "keeping" : "mounting";
        if (!g) {
                log_warning("no group configuration: the fence interlock cannot be checked; %s %s UNFENCED", doing,
                            c->s.device);
                return OCF_SUCCESS;
        }
        if (!g->fence.present) {
                log_warning("%s has no [fence] section: this group runs unfenced; %s %s without a reservation",
                            g->path, doing, c->s.device);
                return OCF_SUCCESS;
        }
        _cleanup_free_ char *held = NULL;
        size_t nd = 0;
        int r = group_interlock(g, NULL, &nd, &held);
        if (r < 0) {
                /* held names the device and why it could not be used. */
                const char *what = held ? held : strerror(-r);
                if (c->s.force) {
                        log_warning("--force: the fence devices cannot be used (%s); %s it anyway", what,
                                    mounted ? "keeping" : "mounting");
                        return OCF_SUCCESS;
                }
                if (mounted)
                        return fail(c, OCF_ERR_GENERIC, "%s is mounted, but the fence devices cannot be used (%s), so "
                                    "the reservation cannot be checked (I1); not reporting the mount as fine",
                                    c->s.device, what);
                return fail(c, OCF_ERR_GENERIC, "refusing to mount: the fence devices cannot be used (%s), so the "
                            "reservation cannot be checked (I1)", what);
        }
        if (r == 1) {
                log_info("this node holds the reservation on all %zu fence device(s)", nd);
                return OCF_SUCCESS;
        }
        if (c->s.force) {
                const struct log_field fields[] = { { "TANDEM_DEVICE", c->s.device } };
                log_struct(LOG_WARNING, 0, MSGID_VOLUME, fields, ELEMENTSOF(fields),
                           "--force: %s %s although this node does not hold the reservation everywhere: %s", doing,
                           c->s.device, held);
                return OCF_SUCCESS;
        }
        if (mounted)
                return fail(c, OCF_ERR_GENERIC,
                            "%s is already mounted, but this node's key does not hold the reservation on every fence "
                            "device: %s; this node must not write to it (I1): unmount it (tandem-volume umount)",
                            c->s.device, held);
        return fail(c, OCF_ERR_GENERIC,
                    "refusing to mount %s: this node's key does not hold the reservation on every fence device: %s "
                    "(run tandem-fence takeover first, or --force)",
                    c->s.device, held);
}

/* fsck by policy, between the interlock and the mount. */
static int run_fsck(const struct ctx *c, struct vol_mount_job *j) {
        int r = vol_mount_fsck_plan(&c->s, j);
        if (r != OCF_SUCCESS)
                return r;
        if (!j->fsck_argv[0]) {
                log_debug("fsck: policy %s, type %s: no check", cfg_fsck_to_string(c->s.fsck), c->s.fstype);
                return OCF_SUCCESS;
        }
        log_info("fsck: running %s %s %s", j->fsck_argv[0], j->fsck_argv[1], j->fsck_argv[2]);
        r = vol_mount_fsck(j);
        if (r == OCF_SUCCESS && j->fsck_verdict == VOL_FSCK_CLEAN)
                log_info("fsck of %s: exit %s", j->dev.devname, j->fsck_desc);
        else if (r == OCF_SUCCESS)
                log_warning("fsck of %s: exit %s; mounting it", j->dev.devname, j->fsck_desc);
        return r;
}

static int cmd_mount(const struct ctx *c) {
        struct vol_mount_job j;
        int r = vol_mount_prepare(&c->s, c->proc_fd, &j);
        if (r == OCF_SUCCESS && j.state == VOL_MOUNT_OK) {
                if ((r = fence_interlock(c, true)) == OCF_SUCCESS)
                        log_info("%s (%s) is already mounted at %s", c->s.device, j.dev.devname, j.target);
        } else if (r == OCF_SUCCESS && (r = fence_interlock(c, false)) == OCF_SUCCESS &&
                   (r = run_fsck(c, &j)) == OCF_SUCCESS && (r = vol_mount_complete(&c->s, c->proc_fd, &j)) == OCF_SUCCESS)
                log_notice("mounted %s (%s, %s) at %s%s", c->s.device, j.dev.devname, c->s.fstype, j.target,
                           j.read_only ? " read-only" : "");
        if (j.error)
                fail(c, r, "%s", j.error);
        vol_mount_job_done(&j);
        return r;
}

static void log_holders(const struct ctx *c, const struct vol_umount_report *rep) {
        char why[96];
        for (size_t i = 0; i < rep->n_holders; i++) {
                const struct vol_holder *h = &rep->holders[i];
                char pid[16];
                snprintf(pid, sizeof pid, "%d", (int) h->pid);
                const struct log_field fields[] = { { "TANDEM_DEVICE", c->s.device }, { "TANDEM_PID", pid } };
                vol_held_describe(h->why, why, sizeof why);
                if (h->ended == VOL_ENDED_TERM || h->ended == VOL_ENDED_KILL)
                        log_struct(LOG_NOTICE, 0, MSGID_VOLUME, fields, ELEMENTSOF(fields),
                                   "ended PID %d (%s), which held %s by %s, with SIG%s", (int) h->pid, h->comm,
                                   c->s.mountpoint, why, vol_ended_to_string(h->ended));
                else if (h->ended == VOL_ENDED_GONE)
                        log_info("PID %d (%s), which held %s by %s, went away by itself", (int) h->pid, h->comm,
                                 c->s.mountpoint, why);
                else
                        log_warning("PID %d (%s) holds %s by %s%s", (int) h->pid, h->comm, c->s.mountpoint, why,
                                    h->spared ? " and is never signalled" : " and did not go");
        }
}

/* Prints o (JSON) and releases it. */
static void print_json(struct json_object *o) {
        if (o)
                (void) out_json_print(o);
        json_object_put(o);
}

static int cmd_umount(const struct ctx *c) {
        struct vol_unmount_job j;
        int r = vol_unmount(&c->s, c->proc_fd, sleep_usec, &j);
        if (j.have_report && c->json && !c->ocf)
                print_json(vol_umount_report_to_json(&j.rep, r == OCF_SUCCESS));
        if (j.have_report)
                log_holders(c, &j.rep);
        if (j.error)
                fail(c, r, "%s", j.error);
        if (j.no_mountpoint && !j.have_report)
                log_info("%s does not exist, and %s is not found, so nothing is mounted there", c->s.mountpoint,
                         c->s.device);
        else if (j.nothing_mounted)
                log_info("nothing is mounted at %s", j.target);
        else if (j.have_report && r == OCF_SUCCESS && j.rep.unmounted)
                log_notice("unmounted %s (%s) from %s", c->s.device, j.dev.devname, j.target);
        else if (j.have_report && r == OCF_SUCCESS)
                log_info("%s (%s) is not mounted", c->s.device, j.dev.devname);
        vol_unmount_job_done(&j);
        return r;
}

static int cmd_status(const struct ctx *c) {
        struct vol_status st;
        int r = vol_status(&c->s, c->proc_fd, getpid(), &st);
        if (st.error)
                fail(c, r, "%s", st.error);
        if (st.holders_error)
                log_warning_errno(st.holders_error, "cannot list the processes using %s", st.target);
        if (st.known && c->json)
                print_json(vol_status_to_json(&c->s, &st));
        else if (st.known) {
                const char *devname = st.dev.devname;
                printf("device      %s%s%s\n", c->s.device, devname ? " -> " : "", devname ? devname : "");
                printf("type        %s\n", st.dev.fstype ? st.dev.fstype : "-");
                printf("mountpoint  %s\n", c->s.mountpoint);
                printf("mounted     %s\n", st.state == VOL_MOUNT_OK ? "yes"
                                           : st.state == VOL_MOUNT_NONE ? "no"
                                           : st.state == VOL_MOUNT_ELSEWHERE ? "elsewhere"
                                           : st.state == VOL_MOUNT_HELD ? "held (the device is still in use)"
                                                                        : "no (another filesystem is there)");
                if (st.where)
                        printf("where       %s\n", st.where);
                printf("read-only   %s\n", st.read_only ? "yes" : "no");
                printf("holders     %zu\n", st.n_holders);
        }
        vol_status_done(&st);
        return r;
}

static int cmd_monitor(const struct ctx *c) {
        struct vol_monitor mon;
        int r = vol_monitor(&c->s, c->proc_fd, c->depth, &mon);
        const struct vol_mounted *m = &mon.m;
        if (mon.error)
                fail(c, r, "%s", mon.error);
        if (r == OCF_NOT_RUNNING && !c->ocf)
                log_info("%s is not mounted at %s", c->s.device, c->s.mountpoint);
        if (r == OCF_SUCCESS && c->json && !c->ocf)
                print_json(vol_monitor_to_json(&mon));
        else if (r == OCF_SUCCESS && !c->ocf)
                printf("ok: %s (%s) mounted at %s%s; depth %d passed%s%s\n", c->s.device, m->dev.devname, mon.target,
                       m->read_only ? " read-only" : "", c->depth, mon.note ? "; " : "", mon.note ? mon.note : "");
        else if (r == OCF_SUCCESS && mon.note)
                log_info("%s", mon.note);
        vol_monitor_done(&mon);
        return r;
}

typedef int (*command_fn)(const struct ctx *c);

/* Loads the group's config (when load), settles what to work on and runs
 * cmd (NULL: only check). Returns an OCF code. */
static int run(struct ctx *c, const struct cli_common *cc, bool load, const struct vol_overrides *o, command_fn cmd) {
        struct cfg_group g = { .check_options = volspec_check_options };
        _cleanup_free_ char *why = NULL;
        int r = OCF_SUCCESS;

        if (load && cli_load_group(cc, &g) < 0)
                r = !c->ocf ? OCF_ERR_GENERIC
                            : fail(c, OCF_ERR_CONFIGURED, "the group configuration %s is not valid",
                                   cc->config ? cc->config : cc->group);
        c->g = load ? &g : NULL;
        if (r == OCF_SUCCESS && (r = vol_settle(c->g, o, c->ocf, &c->s, &why)) != OCF_SUCCESS)
                fail(c, r, "%s", why);
        if (r == OCF_SUCCESS && cmd) {
                c->proc_fd = open(c->procroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = c->proc_fd < 0 ? fail(c, OCF_ERR_GENERIC, "cannot open %s: %m", c->procroot) : cmd(c);
        }
        safe_close(c->proc_fd);
        cfg_group_done(&g);
        return r;
}

/* --- OCF ------------------------------------------------------------------ */

static int run_ocf(int argc, char **argv, const char *procroot) {
        static const command_fn actions[_OCF_ACTION_MAX] = {
                [OCF_ACTION_START] = cmd_mount,
                [OCF_ACTION_STOP] = cmd_umount,
                [OCF_ACTION_MONITOR] = cmd_monitor,
        };
        struct ctx c = { .ocf = true, .procroot = procroot, .proc_fd = -1 };
        struct cli_common cc;

        if (argc != 1)
                return ocf_exit_reason(OCF_ERR_ARGS, "usage: tandem-volume ocf ACTION");
        enum ocf_action action = ocf_action_from_string(argv[0]);
        if (action == OCF_ACTION_META_DATA) {
                _cleanup_free_ char *m = vol_agent_metadata(TANDEM_VERSION);
                return m && fputs(m, stdout) >= 0 ? OCF_SUCCESS : OCF_ERR_GENERIC;
        }
        if (action < 0)
                return ocf_exit_reason(OCF_ERR_UNIMPLEMENTED, "action '%s' is not implemented", argv[0]);
        /* Pacemaker reads stderr; the journal gets the rest. */
        log_setup("tandem-volume", ocf_getenv("OCF_TRACE_RA") ? LOG_DEBUG : LOG_INFO, LOG_TARGET_AUTO);

        struct vol_overrides o = {
                .device = ocf_getenv("OCF_RESKEY_device"),
                .fstype = ocf_getenv("OCF_RESKEY_fstype"),
                .mountpoint = ocf_getenv("OCF_RESKEY_mountpoint"),
                .options = ocf_getenv("OCF_RESKEY_options"),
                .fsck = ocf_getenv("OCF_RESKEY_fsck"),
                .stop_timeout = ocf_getenv("OCF_RESKEY_stop_timeout"),
        };
        const char *force = ocf_getenv("OCF_RESKEY_force");
        if (force && cfg_parse_bool(force, &o.force) < 0)
                return fail(&c, OCF_ERR_CONFIGURED, "force '%s': must be true or false", force);
        const char *level = ocf_getenv("OCF_CHECK_LEVEL");
        if (level && vol_parse_depth(level, &c.depth) < 0)
                return fail(&c, OCF_ERR_ARGS, "OCF_CHECK_LEVEL '%s': must be 0, 10 or 20", level);
        cli_common_init(&cc);
        cc.group = ocf_getenv("OCF_RESKEY_group");
        cc.config = ocf_getenv("OCF_RESKEY_config");
        return run(&c, &cc, cc.group || cc.config, &o, actions[action]);
}

/* The plain command's exit code for a result. */
static int exit_code(int r) {
        return r == OCF_SUCCESS ? EXIT_OK : r == OCF_NOT_RUNNING ? EXIT_NOT_RUNNING : EXIT_FAILED;
}

static int bad_depth(void) {
        fprintf(stderr, "tandem-volume: --depth must be 0, 10 or 20\n");
        return EXIT_USAGE;
}

int main(int argc, char **argv) {
        enum {
                OPT_DEVICE = _CLI_OPT_NEXT,
                OPT_MOUNTPOINT,
                OPT_FSTYPE,
                OPT_OPTIONS,
                OPT_FSCK,
                OPT_STOP_TIMEOUT,
                OPT_DEPTH,
                OPT_PROCROOT,
        };
        static const struct option longopts[] = {
                CLI_COMMON_LONGOPTS,
                { "device", required_argument, NULL, OPT_DEVICE },
                { "mountpoint", required_argument, NULL, OPT_MOUNTPOINT },
                { "fstype", required_argument, NULL, OPT_FSTYPE },
                { "options", required_argument, NULL, OPT_OPTIONS },
                { "fsck", required_argument, NULL, OPT_FSCK },
                { "stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT },
                { "force", no_argument, NULL, 'f' },
                { "depth", required_argument, NULL, OPT_DEPTH },
                { "procroot", required_argument, NULL, OPT_PROCROOT },
                {},
        };
        static const struct {
                const char *name;
                command_fn fn;
        } cmds[] = { { "mount", cmd_mount }, { "umount", cmd_umount }, { "status", cmd_status }, { "monitor", cmd_monitor } };
        struct cli_common common;
        struct vol_overrides o = {};
        struct ctx c = { .procroot = "/proc", .proc_fd = -1 };
        command_fn fn = NULL;
        bool depth_set = false;
        int opt, r;
        /* the overrides, in the order of OPT_DEVICE.. */
        const char **set[] = { &o.device, &o.mountpoint, &o.fstype, &o.options, &o.fsck, &o.stop_timeout };

        cli_common_init(&common);
        /* "+": stop at the command, so `ocf monitor` is not read as options */
        while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORTOPTS "f", longopts, NULL)) != -1) {
                switch (opt) {
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                case 'V':
                        printf("tandem-volume %s\n", TANDEM_VERSION);
                        return EXIT_OK;
                case OPT_DEVICE... OPT_STOP_TIMEOUT:
                        *set[opt - OPT_DEVICE] = optarg;
                        break;
                case 'f':
                        o.force = true;
                        break;
                case OPT_DEPTH:
                        if (vol_parse_depth(optarg, &c.depth) < 0)
                                return bad_depth();
                        depth_set = true;
                        break;
                case OPT_PROCROOT:
                        c.procroot = optarg;
                        break;
                default:
                        r = cli_common_opt(&common, opt, optarg);
                        if (r <= 0) {
                                if (r == 0)
                                        usage(stderr);
                                return EXIT_USAGE;
                        }
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "tandem-volume: no command given; see tandem-volume --help\n");
                return EXIT_USAGE;
        }
        const char *cmd = argv[optind];
        if (strcmp(cmd, "ocf") == 0)
                return run_ocf(argc - optind - 1, argv + optind + 1, c.procroot);
        /* The depth may also follow the command: `monitor --depth 20`. */
        if (strcmp(cmd, "monitor") == 0 && optind + 2 < argc && strcmp(argv[optind + 1], "--depth") == 0 &&
            !depth_set) {
                if (vol_parse_depth(argv[optind + 2], &c.depth) < 0)
                        return bad_depth();
                optind += 2;
        }
        for (size_t i = 0; i < ELEMENTSOF(cmds) && !fn; i++)
                if (strcmp(cmd, cmds[i].name) == 0)
                        fn = cmds[i].fn;
        if (!fn) {
                fprintf(stderr, "tandem-volume: unknown command '%s'; see tandem-volume --help\n", cmd);
                return EXIT_USAGE;
        }
        if (optind + 1 < argc) {
                fprintf(stderr, "tandem-volume: %s takes no argument\n", cmd);
                return EXIT_USAGE;
        }
        cli_common_apply(&common, "tandem-volume");
        c.json = common.json;

        /* The config, unless everything comes from the command line. */
        bool load = common.config || common.group || !o.device || !o.fstype || !o.mountpoint;
        return exit_code(run(&c, &common, load, &o, fn));
}
