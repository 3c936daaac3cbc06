/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tandem-fence: SCSI-3 persistent-reservation fencing of a group's devices.
 * A thin main over fence/fence.c. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>


#include "tandem/fence-report.h"
#include "tandem/cli.h"
#include "tandem/msgid.h"
#include "tandem/fence.h"
#include "tandem/group.h"
#include "tandem/key.h"
#include "tandem/sd-lazy.h"
#include "tandem/util.h"

/* Exit codes beyond the shared ones (documented in tandem-fence(8)). */
enum {
        EXIT_NOT_HELD = 3,      /* status: not ours everywhere; takeover: lost the race */
        EXIT_FENCED = 4,        /* takeover: our key is gone: this node is fenced */
};


struct opts {
        struct cli_common common;
        char **devices;
        size_t n_devices;
        const char *key;
        const char *peer_key;
        const char *initiator;
        bool force;
};

static void usage(FILE *f) {
        fputs("Usage: tandem-fence [OPTIONS] COMMAND [ARG]\n"
              "\n"
              "SCSI-3 persistent-reservation fencing of a tandem group's devices.\n"
              "\n"
              "Commands:\n"
              "  unfence           register this node's key on every device\n"
              "  takeover          fence the peer if it holds the reservation, else reserve;\n"
              "                    then verify on every device\n"
              "  release           release our reservation, keeping our key registered; refused\n"
              "                    while the group's volume is mounted here (I5)\n"
              "  preempt NODE|KEY  fence a node by name or key (not ourselves without --force)\n"
              "  unregister        remove our key\n"
              "  clear --force     remove every key and the reservation\n"
              "  status            keys, holder, type and generation on every device\n"
              "  check             whether each device supports PR and the configured type\n"
              "  watch             every watch_interval, renew the heartbeat (REGISTER with our\n"
              "                    key) on every device; when our key is gone, stop\n"
              "                    tandem-active@GROUP.target and exit 4\n"
              "\n"
              "Options:\n"
              "  -d, --device DEV        a fence device (repeatable; replaces the config's list)\n"
              "  -k, --key KEY           this node's key (0x...; default: the config's)\n"
              "      --peer-key KEY      the peer's key (default: the config's)\n"
              "  -i, --initiator IQN     iSCSI initiator name for iscsi:// devices\n"
              "  -f, --force             takeover: fence a holding peer without watching its\n"
              "                          heartbeat first; allow preempting our own key, clear,\n"
              "                          and a release\n"
              "                          while the volume is mounted\n" CLI_COMMON_HELP
              "\n"
              "Exit status: 0 done (status: we hold it everywhere), 1 failed, 2 usage,\n"
              "3 not held (takeover: lost the race), 4 this node is fenced.\n"
              "See tandem-fence(8).\n",
              f);
}

#ifdef TANDEM_TEST_HOOKS
/* Only in the test build (build/rig/tandem-fence-test, for the rig's race
 * test; never in the installed program): with TANDEM_TEST_TAKEOVER_BARRIER=DIR:N,
 * a takeover that has read its starting state waits (up to 10 s) until N
 * takeovers have, so that "simultaneous" means it: every one of them began
 * before any changed anything. Unset, nothing happens. */
static void test_barrier(void *userdata) {
        const char *spec = userdata;
        char dir[256], path[300];
        unsigned n;

        if (!spec || sscanf(spec, "%255[^:]:%u", dir, &n) != 2 || n == 0)
                return;
        snprintf(path, sizeof path, "%s/%d", dir, (int) getpid());
        FILE *f = fopen(path, "we");
        if (!f)
                return;
        fclose(f);
        for (int i = 0; i < 1000; i++) {
                unsigned have = 0;
                DIR *d = opendir(dir);
                if (!d)
                        return;
                for (struct dirent *e; (e = readdir(d));)
                        have += e->d_name[0] != '.';
                closedir(d);
                if (have >= n)
                        return;
                sleep_usec(10 * USEC_PER_MSEC);
        }
}
#endif

/* Names a key for people: "0x… (db1, this node)". */
static int cmd_status(struct fence *f, const struct cfg_group *g, uint64_t peer, bool json) {
        struct fence_dev_status *st = calloc(f->n ? f->n : 1, sizeof *st);
        if (!st)
                return log_error_errno(ENOMEM, "status");
        int r = fence_status(f, st);
        if (json) {
                struct json_object *o = json_object_new_object(), *a = json_object_new_array();
                for (size_t i = 0; i < f->n; i++)
                        json_object_array_add(a, fence_dev_json(st[i].device, st[i].identity, st[i].error, NULL,
                                                                &st[i].keys, &st[i].res, st[i].registered,
                                                                st[i].holder, g, f->key, peer));
                json_object_object_add(o, "devices", a);
                json_object_object_add(o, "held_everywhere", json_object_new_boolean(r == 0));
                (void) out_json_print(o);
                json_object_put(o);
        } else
                fence_status_print(stdout, f, st, r, g, peer);
        fence_dev_status_done(st, f->n);
        free(st);
        return r < 0 ? EXIT_FAILED : r > 0 ? EXIT_NOT_HELD : EXIT_OK;
}

static int cmd_check(struct fence *f, bool json) {
        struct json_object *a = json ? json_object_new_array() : NULL;
        int ret = EXIT_OK;
        for (size_t i = 0; i < f->n; i++) {
                struct pr_dev *d = f->devs[i];
                char verdict[256];
                bool ok = fence_check_device(d, f->type, verdict, sizeof verdict);
                if (!ok)
                        ret = EXIT_FAILED;
                if (json) {
                        struct json_object *x = json_object_new_object();
                        json_object_object_add(x, "device", json_object_new_string(d->name));
                        json_object_object_add(x, "identity", json_object_new_string(d->identity));
                        json_object_object_add(x, "ok", json_object_new_boolean(ok));
                        json_object_object_add(x, "verdict", json_object_new_string(verdict));
                        json_object_array_add(a, x);
                } else
                        printf("%-7s %s: %s\n", ok ? "ok" : "FAILED", d->name, verdict);
        }
        if (json) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "devices", a);
                (void) out_json_print(o);
                json_object_put(o);
        }
        return ret;
}

/* The group whose target a lost key stops: -g, or the config file's name
 * (/etc/tandem/db.conf → db). NULL without a config. Returns a new string. */
static char *watch_target(const struct cli_common *c, const char *path) {
        char *t = NULL;
        const char *base;
        if (c->group) {
                if (asprintf(&t, "tandem-active@%s.target", c->group) < 0)
                        return NULL;
                return t;
        }
        if (!path)
                return NULL;
        base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t n = strlen(base);
        if (n > 5 && strcmp(base + n - 5, ".conf") == 0)
                n -= 5;
        if (asprintf(&t, "tandem-active@%.*s.target", (int) n, base) < 0)
                return NULL;
        return t;
}

/* Asks systemd to stop unit (StopUnit, mode "replace"). Returns 0 or -errno (logged). */
static int stop_unit(const char *unit) {
        _cleanup_free_ char *err = NULL;
        int r = sdl_stop_unit(unit, &err);
        if (r < 0)
                log_error_errno(r, "cannot stop %s%s%s", unit, err ? ": " : "", err ? err : "");
        return r;
}

/* The self-fence loop (I4) behind tandem-watch@.service. Our key must be on
 * ALL devices. A read error is retried within the interval; one that lasts
 * the whole interval counts as a loss. */
static usec_t mono(void) {
        return now(CLOCK_MONOTONIC);
}

/* on_fenced = reboot: reboot the node at once, with no clean shutdown (which
 * could hang on the same dead storage) and no sync (the storage refuses our
 * writes anyway). Returns only when the kernel refused. */
static int reboot_now(void) {
        log_struct(LOG_EMERG, 0, MSGID_KEY_LOST, NULL, 0, "on_fenced=reboot: rebooting this node now");
        if (reboot(RB_AUTOBOOT) < 0)
                return log_error_errno(errno, "reboot refused; stopping the group instead");
        return 0;
}

static int cmd_watch(struct fence *f, const struct pr_open_args *oa, usec_t interval, usec_t grace,
                     enum cfg_on_fenced on_fenced, char *target) {
        char kb[KEY_STRING_MAX];
        unsigned rounds = 0;
        bool ready = false;
        int ret = EXIT_OK;

        _cleanup_free_ usec_t *since = calloc(f->n ? f->n : 1, sizeof *since);
        if (!since)
                return log_error_errno(ENOMEM, "watch"), EXIT_FAILED;
        /* A round sends one command per device, so it lasts at most one
         * command timeout per device; the watchdog is sized from that
         * (M3), whatever the unit's WatchdogSec= says. */
        usec_t round_max = interval + (usec_t) f->n * oa->timeout;
        (void) sdl_notifyf("WATCHDOG_USEC=%llu", 2 * round_max + 5 * USEC_PER_SEC);
        log_info("watching key %s on %zu device%s every %llums (heartbeat; unreadable devices tolerated for "
                 "%llums)%s%s", key_format(f->key, kb), f->n, f->n == 1 ? "" : "s", interval / USEC_PER_MSEC,
                 grace / USEC_PER_MSEC, target ? "; on loss: stop " : "", target ? target : "");
        for (;; rounds++) {
                const struct fence_watch_opts wo = {
                        .sleep = sleep_usec, .reopen = oa, .heartbeat = true,
                        .last_ok = since, .grace = grace, .now = mono,
                };
                struct fence_watch_result res;
                const char *lost_why = NULL;
                size_t lost_dev = 0;
                int lost_err = 0;

                int r = fence_watch_round(f, &wo, &res);
                if (r == 0 && res.unreadable > 0)
                        log_warning("%s: the heartbeat failed (%s); tolerated for %llums from the first failure",
                                    f->devs[res.device]->name, strerror(-res.error), grace / USEC_PER_MSEC);
                if (r == 1) {
                        lost_why = res.reservation_lost ? "the reservation is not ours any more (our key stays)"
                                                        : "our key is gone";
                        lost_dev = res.device;
                } else if (r < 0) {
                        lost_why = "the device has not answered for longer than grace";
                        lost_dev = res.device;
                        lost_err = r;
                }
                if (!lost_why)
                        log_debug("round %u: key %s present on all %zu devices", rounds + 1, key_format(f->key, kb),
                                  f->n);
                if (lost_why) {
                        const struct log_field fields[] = {
                                { "TANDEM_DEVICE", f->devs[lost_dev]->name },
                                { "TANDEM_KEY", key_format(f->key, kb) },
                                { "TANDEM_TARGET", target },
                        };
                        log_struct(LOG_CRIT, lost_err, MSGID_KEY_LOST, fields, target ? 3 : 2,
                                   "round %u: %s: %s: this node must stop writing%s%s", rounds + 1,
                                   f->devs[lost_dev]->name, lost_why, target ? "; stopping " : "",
                                   target ? target : "");
                        (void) sdl_notifyf("STATUS=%s on %s; self-fencing", lost_why, f->devs[lost_dev]->name);
                        if (on_fenced == CFG_ON_FENCED_REBOOT)
                                (void) reboot_now();
                        if (target)
                                (void) stop_unit(target);
                        ret = lost_err ? EXIT_FAILED : EXIT_FENCED;
                        break;
                }
                /* READY only once every device has answered: the chain must
                 * not start on a watch that could not vouch for our key. */
                bool all = res.unreadable == 0;
                (void) sdl_notifyf("%sWATCHDOG=1\nSTATUS=key %s present on %s%zu devices (round %u)",
                                   all && !ready ? "READY=1\n" : "", key_format(f->key, kb),
                                   all ? "all " : "the answering ones of ", f->n, rounds + 1);
                if (all && !ready)
                        log_info("key %s present on all %zu devices", key_format(f->key, kb), f->n);
                ready = ready || all;
                sleep_usec(interval);
        }
        free(target);
        return ret;
}

/* A group without [fence] runs unfenced (DESIGN.md): what the units run for
 * every group (unfence, takeover, release, watch) succeeds with a warning,
 * so the group can start; the watch has nothing to watch but still answers
 * its unit's watchdog. What reads or changes devices is an error. */
static int unfenced(const struct cfg_group *g, const char *cmd) {
        static const char *const noop[] = { "unfence", "takeover", "release", "unregister" };
        for (size_t i = 0; i < ELEMENTSOF(noop); i++)
                if (strcmp(cmd, noop[i]) == 0) {
                        log_warning("%s has no [fence] section: this group runs UNFENCED; %s has nothing to do",
                                    g->path, cmd);
                        return EXIT_OK;
                }
        if (strcmp(cmd, "watch") == 0) {
                log_warning("%s has no [fence] section: this group runs UNFENCED; nothing to watch", g->path);
                (void) sdl_notify("READY=1\nSTATUS=unfenced: no fence devices to watch");
                for (;;) {
                        (void) sdl_notify("WATCHDOG=1");
                        sleep_usec(g->fence.watch_interval);
                }
        }
        log_error("%s has no [fence] section: this group runs unfenced; %s needs fence devices", g->path, cmd);
        return EXIT_FAILED;
}

static int parse_key_arg(const char *what, const char *s, uint64_t *ret) {
        int r = key_parse(s, ret);
        if (r == -ERANGE)
                log_error("%s: a key must not be zero", what);
        else if (r < 0)
                log_error("%s: '%s' is not a key (0x followed by 1-16 hex digits)", what, s);
        return r;
}

/* I5: the release waits until the group's volume is confirmed unmounted on
 * this node, so that nobody mounts over a live filesystem; --force skips
 * that, with a warning. Returns what fence_release() does, or -EBUSY. */
static int release(struct fence *f, const struct cfg_group *g, bool force) {
        _cleanup_free_ char *why = NULL;
        if (g && group_volume_unmounted(g, &why) < 0) {
                if (!force) {
                        log_error("%s: NOT releasing the reservation (I5): nobody may mount over a live filesystem; "
                                  "unmount it first (tandem-volume umount), or --force",
                                  why ? why : "the volume's state is unknown");
                        return -EBUSY;
                }
                log_warning("--force: releasing although %s", why ? why : "the volume's state is unknown");
        }
        return fence_release(f);
}

int main(int argc, char **argv) {
        enum { OPT_PEER_KEY = _CLI_OPT_NEXT };
        static const struct option longopts[] = {
                CLI_COMMON_LONGOPTS,
                { "device", required_argument, NULL, 'd' },
                { "key", required_argument, NULL, 'k' },
                { "peer-key", required_argument, NULL, OPT_PEER_KEY },
                { "initiator", required_argument, NULL, 'i' },
                { "force", no_argument, NULL, 'f' },
                {},
        };
        struct opts o = {};
        struct cfg_group g = {};
        bool have_cfg = false;
        int opt, r;

        cli_common_init(&o.common);
        while ((opt = getopt_long(argc, argv, CLI_COMMON_SHORTOPTS "d:k:i:f", longopts, NULL)) != -1) {
                switch (opt) {
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                case 'V':
                        printf("tandem-fence %s\n", TANDEM_VERSION);
                        return EXIT_OK;
                case 'd': {
                        char **n = realloc(o.devices, (o.n_devices + 1) * sizeof *n);
                        if (!n)
                                return EXIT_FAILED;
                        o.devices = n;
                        o.devices[o.n_devices++] = optarg;
                        break;
                }
                case 'k':
                        o.key = optarg;
                        break;
                case OPT_PEER_KEY:
                        o.peer_key = optarg;
                        break;
                case 'i':
                        o.initiator = optarg;
                        break;
                case 'f':
                        o.force = true;
                        break;
                default:
                        r = cli_common_opt(&o.common, opt, optarg);
                        if (r <= 0) {
                                if (r == 0)
                                        usage(stderr);
                                return EXIT_USAGE;
                        }
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "tandem-fence: no command given; see tandem-fence --help\n");
                return EXIT_USAGE;
        }
        const char *cmd = argv[optind];
        const char *arg = optind + 1 < argc ? argv[optind + 1] : NULL;
        static const char *const cmds[] = { "unfence", "takeover", "release", "preempt",
                                            "unregister", "clear", "status", "check", "watch" };
        bool known = false;
        for (size_t i = 0; i < ELEMENTSOF(cmds); i++)
                known = known || strcmp(cmd, cmds[i]) == 0;
        if (!known) {
                fprintf(stderr, "tandem-fence: unknown command '%s'; see tandem-fence --help\n", cmd);
                return EXIT_USAGE;
        }
        if ((strcmp(cmd, "preempt") == 0) != (arg != NULL) || optind + 2 < argc) {
                fprintf(stderr, "tandem-fence: %s %s\n", cmd,
                        strcmp(cmd, "preempt") == 0 ? "needs one NODE or KEY" : "takes no argument");
                return EXIT_USAGE;
        }
        if (strcmp(cmd, "clear") == 0 && !o.force) {
                fprintf(stderr, "tandem-fence: clear removes every node's key and the reservation; "
                                "add --force if that is what you want\n");
                return EXIT_USAGE;
        }
        cli_common_apply(&o.common, "tandem-fence");

        /* The config, unless devices and key all come from the command line. */
        if (o.common.config || o.common.group || o.n_devices == 0 || !o.key) {
                if (cli_load_group(&o.common, &g) < 0) {
                        cfg_group_done(&g);
                        return EXIT_FAILED;
                }
                have_cfg = true;
                if (!g.fence.present && o.n_devices == 0) {
                        r = unfenced(&g, cmd);
                        cfg_group_done(&g);
                        return r;
                }
        }
        uint64_t key = have_cfg ? g.fence.key : 0, peer = have_cfg ? g.fence.peer_key : 0;
        if (o.key && parse_key_arg("--key", o.key, &key) < 0)
                return EXIT_USAGE;
        if (o.peer_key && parse_key_arg("--peer-key", o.peer_key, &peer) < 0)
                return EXIT_USAGE;
        uint64_t victim = 0;
        if (arg) {
                if (strncmp(arg, "0x", 2) == 0) {
                        if (parse_key_arg("preempt", arg, &victim) < 0)
                                return EXIT_USAGE;
                } else if (have_cfg && g.cluster.name)
                        victim = key_derive(g.cluster.name, arg);
                else {
                        log_error("preempt %s: naming a node needs the config (its cluster name); give a key instead", arg);
                        return EXIT_USAGE;
                }
                if (victim == key && !o.force) {
                        log_error("preempt: %s is this node's own key; add --force to fence ourselves", arg);
                        return EXIT_USAGE;
                }
        }

        struct pr_open_args oa = {
                .initiator = o.initiator ? o.initiator : have_cfg ? g.fence.initiator : NULL,
                .timeout = have_cfg ? g.fence.timeout : 10 * USEC_PER_SEC,
                .ua_retries = 5,
        };
        char *const *specs = o.n_devices ? o.devices : g.fence.devices;
        size_t n = o.n_devices ? o.n_devices : g.fence.n_devices;
        int ret = EXIT_OK;
        struct fence f;
        r = fence_open(&f, specs, n, &oa, key, have_cfg ? g.fence.type : PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY,
                       have_cfg && g.fence.aptpl ? PR_FLAG_APTPL : 0);
        if (r < 0) {
                fence_report_print(&f, cmd, r, o.common.json);
                fence_done(&f);
                cfg_group_done(&g);
                free(o.devices);
                return EXIT_FAILED;
        }
        f.drain = have_cfg ? g.fence.drain : 5 * USEC_PER_SEC;

        if (strcmp(cmd, "status") == 0)
                ret = cmd_status(&f, have_cfg ? &g : NULL, peer, o.common.json);
        else if (strcmp(cmd, "watch") == 0)
                ret = cmd_watch(&f, &oa, have_cfg ? g.fence.watch_interval : 2 * USEC_PER_SEC,
                                have_cfg ? g.fence.grace : 2 * 2 * USEC_PER_SEC + oa.timeout,
                                have_cfg ? g.fence.on_fenced : CFG_ON_FENCED_STOP,
                                watch_target(&o.common, have_cfg ? g.path : NULL));
        else if (strcmp(cmd, "check") == 0)
                ret = cmd_check(&f, o.common.json);
        else {
                _cleanup_free_ char *why = NULL;
                if (strcmp(cmd, "unfence") == 0 && group_unfence_allowed(have_cfg ? &g : NULL, &why) < 0) {
                        log_error("%s", why);
                        r = -EBUSY;
                } else if (strcmp(cmd, "unfence") == 0)
                        r = fence_unfence(&f);
                else if (strcmp(cmd, "takeover") == 0)
                {
                        usec_t interval = have_cfg ? g.fence.watch_interval : 2 * USEC_PER_SEC,
                               timeout = have_cfg ? g.fence.timeout : 10 * USEC_PER_SEC;
                        struct fence_takeover_opts to = {
                                .settle = timeout,
                                /* I3: a holder is fenced only once its heartbeat has
                                 * been still for two watch intervals and a command
                                 * timeout; --force (an admin who knows) skips that. */
                                .peer_wait = o.force ? 0 : have_cfg ? g.fence.takeover_wait : 2 * interval + 2 * timeout,
                                .peer_poll = interval / 2,
                                .sleep = sleep_usec,
#ifdef TANDEM_TEST_HOOKS
                                .after_snapshot = test_barrier,
                                .userdata = getenv("TANDEM_TEST_TAKEOVER_BARRIER"),
#endif
                        };
                        r = fence_takeover(&f, peer, &to);
                }
                else if (strcmp(cmd, "release") == 0)
                        r = release(&f, have_cfg ? &g : NULL, o.force);
                else if (strcmp(cmd, "preempt") == 0)
                        r = fence_preempt(&f, victim);
                else if (strcmp(cmd, "unregister") == 0)
                        r = fence_unregister(&f);
                else
                        r = fence_clear(&f);
                fence_report_print(&f, cmd, r, o.common.json);
                fence_report_log(&f, cmd, NULL, 0, false);
                if (r < 0 && !o.common.json)
                        log_error("%s failed: %s", cmd,
                                  r == -EPERM      ? "this node is fenced (its key is gone)"
                                  : r == -EALREADY ? "the peer won the race, or it is alive (see above)"
                                  : r == -EBADE    ? "the result did not verify"
                                                   : strerror(-r));
                ret = r == 0 ? EXIT_OK : r == -EALREADY ? EXIT_NOT_HELD : r == -EPERM ? EXIT_FENCED : EXIT_FAILED;
        }
        fence_done(&f);
        cfg_group_done(&g);
        free(o.devices);
        return ret;
}
