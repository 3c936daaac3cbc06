/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tandem: the admin command. A thin main over library calls. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "tandem/fence-report.h"
#include "tandem/cli.h"
#include "tandem/config-show.h"
#include "tandem/config.h"
#include "tandem/fence.h"
#include "tandem/group-run.h"
#include "tandem/group-status.h"
#include "tandem/group.h"
#include "tandem/key.h"
#include "tandem/msgid.h"
#include "tandem/util.h"
#include "tandem/volspec.h"
#include "tandem/volume.h"

static void usage(FILE *f) {
        fputs("Usage: tandem [OPTIONS] COMMAND\n"
              "\n"
              "Administer a tandem service group: two nodes, shared storage, one writer.\n"
              "\n"
              "Commands:\n"
              "  config                  check the group's config and print it as tandem\n"
              "                          reads it, with defaults and derived keys; exit 1\n"
              "                          and list every error if it is invalid\n"
              "  status                  this node's role, the fence devices' keys and\n"
              "                          holder, RAID, volume, address, service, peer\n"
              "  unfence                 register this node's key on every fence device\n"
              "  fence NODE|KEY          fence a node: preempt its key on every device and\n"
              "                          verify (not ourselves without --force)\n"
              "  takeover                fence the dead peer, then start\n"
              "                          tandem-active@GROUP.target here; a peer that holds\n"
              "                          the reservation and renews its heartbeat is alive:\n"
              "                          nothing is done (exit 3)\n"
              "  move [--to NODE]        stop the group on the peer (over SSH), then start\n"
              "                          it here; --to PEER moves it the other way\n"
              "\n"
              "Command options:\n"
              "  -f, --force             fence: allow fencing ourselves; move: take over\n"
              "                          (fencing the peer) when it cannot be stopped;\n"
              "                          takeover: do not watch the peer's heartbeat first\n"
              "      --timeout T         takeover, move: how long each systemd job may take\n"
              "                          (default 120s)\n"
              "      --to NODE           move: where the group goes (default: this node)\n"
              "\n"
              "Options:\n" CLI_COMMON_HELP
              "\n"
              "Exit status: 0 done (status: it could be read), 1 failed, 2 usage,\n"
              "3 move: nothing was started (refused by the preflight, or the peer was not\n"
              "reached or did not stop), 4 this node is fenced,\n"
              "5 takeover, move: systemd is needed (no system bus).\n"
              "See tandem(8) and tandem.conf(5).\n",
              f);
}

/* Exit codes beyond the shared ones (documented in tandem(8)). */
enum {
        EXIT_NOT_STOPPED = 3,   /* move: preflight refused, or the peer was not reached or did not stop; nothing started */
        EXIT_FENCED = 4,        /* this node is fenced (its key is gone) */
        EXIT_NO_SYSTEMD = 5,    /* takeover, move: no system bus */
};

/* move: how long the TCP connect to the peer's SSH port may take. */
#define PEER_CONNECT_TIMEOUT (5 * USEC_PER_SEC)

/* What the commands take besides the shared options. */
struct admin {
        struct cli_common common;
        bool force;
        usec_t timeout;
        const char *to;
        bool timeout_set;
};

/* Refuses command options a command does not take. */
static int only_opts(const struct admin *a, const char *cmd, bool force, bool timeout, bool to) {
        const char *bad = !force && a->force ? "--force" : !timeout && a->timeout_set ? "--timeout" : !to && a->to ? "--to" : NULL;
        if (bad) {
                fprintf(stderr, "tandem %s: %s does not apply to this command\n", cmd, bad);
                return -EINVAL;
        }
        return 0;
}

/* ------------------------------------------------------------ tandem config */

static int cmd_config(const struct admin *a, int argc, char **argv) {
        const struct cli_common *c = &a->common;
        /* The checker checks the volume's mount options with libmount too. */
        struct cfg_group g = { .check_options = volspec_check_options };
        int r;

        if (only_opts(a, "config", false, false, false) < 0)
                return EXIT_USAGE;

        if (argc > 0) {
                fprintf(stderr, "tandem config: unexpected argument '%s'\n", argv[0]);
                return EXIT_USAGE;
        }
        r = cli_load_group(c, &g);
        if (r == -ENOMEM) {
                cfg_group_done(&g);
                return EXIT_FAILED;
        }
        if (c->json) {
                struct json_object *o = cfg_group_json(&g, r == 0);
                if (!o || out_json_print(o) < 0)
                        r = log_error_errno(EIO, "cannot print JSON");
                json_object_put(o);
        } else if (r == 0)
                cfg_group_print(stdout, &g);
        else if (g.n_errors > 0)
                fprintf(stderr, "%s: %zu error%s\n", g.path ? g.path : "config", g.n_errors,
                        g.n_errors == 1 ? "" : "s");
        cfg_group_done(&g);
        return r == 0 ? EXIT_OK : EXIT_FAILED;
}

/* ------------------------------------------------------ the other commands */

static double secs(usec_t u) {
        return (double) u / (double) USEC_PER_SEC;
}

/* Names a key for people and JSON: the node it belongs to, or NULL. */

static int no_operands(const char *cmd, int argc, char **argv) {
        if (argc > 0) {
                fprintf(stderr, "tandem %s: unexpected argument '%s'\n", cmd, argv[0]);
                return -EINVAL;
        }
        return 0;
}

static int cmd_status(const struct admin *a, int argc, char **argv) {
        struct cfg_group g = {};
        struct gs_status s;
        struct gs_read_opts ro = { .peer_timeout = 2 * USEC_PER_SEC, .peer_port = 22 };
        int r;

        if (no_operands("status", argc, argv) < 0 || only_opts(a, "status", false, false, false) < 0)
                return EXIT_USAGE;
        r = cli_load_group(&a->common, &g);
        if (r < 0) {
                cfg_group_done(&g);
                return EXIT_FAILED;
        }
        r = gs_read(&g, &ro, &s);
        if (r < 0) {
                log_error_errno(r, "cannot read the status");
                gs_status_done(&s);
                cfg_group_done(&g);
                return EXIT_FAILED;
        }
        if (a->common.json) {
                struct json_object *o = gs_status_json(&g, &s);
                if (!o || out_json_print(o) < 0)
                        r = log_error_errno(EIO, "cannot print JSON");
                json_object_put(o);
        } else
                gs_status_print(stdout, &g, &s);
        gs_status_done(&s);
        cfg_group_done(&g);
        return r < 0 ? EXIT_FAILED : EXIT_OK;
}

/* Opens every fence device of the group into *f. Returns 0 or -errno (logged). */
static int open_fence(const struct cfg_group *g, struct fence *f) {
        _cleanup_free_ char *why = NULL;
        int r = group_fence_open(g, f, &why);
        if (r == -ENODATA)
                return log_error_errno(EINVAL, "%s", why);
        if (r < 0) {
                log_error("%s", why ? why : strerror(-r));
                return log_error_errno(r, "cannot use the fence devices");
        }
        return 0;
}

/* Shows what the fence operation did, on stdout (text or JSON) and in the journal. */
static void fence_report_out(const struct fence *f, const char *cmd, int r, bool json) {
        fence_report_print(f, cmd, r, json);
        fence_report_log(f, cmd, NULL, 0, false);
}

static int fence_exit(const char *cmd, int r, bool json) {
        if (r < 0 && !json)
                log_error("%s failed: %s", cmd,
                          r == -EPERM   ? "this node is fenced (its key is gone)"
                          : r == -EBADE ? "the result did not verify"
                                        : strerror(-r));
        return r == 0 ? EXIT_OK : r == -EPERM ? EXIT_FENCED : EXIT_FAILED;
}

static int cmd_unfence(const struct admin *a, int argc, char **argv) {
        struct cfg_group g = {};
        struct fence f;
        int r, ret;

        if (no_operands("unfence", argc, argv) < 0 || only_opts(a, "unfence", false, false, false) < 0)
                return EXIT_USAGE;
        if (cli_load_group(&a->common, &g) < 0) {
                cfg_group_done(&g);
                return EXIT_FAILED;
        }
        _cleanup_free_ char *why = NULL;
        if (group_unfence_allowed(&g, &why) < 0) {
                log_error("%s", why);
                cfg_group_done(&g);
                return EXIT_FAILED;
        }
        if (open_fence(&g, &f) < 0) {
                cfg_group_done(&g);
                return EXIT_FAILED;
        }
        r = fence_unfence(&f);
        fence_report_out(&f, "unfence", r, a->common.json);
        ret = fence_exit("unfence", r, a->common.json);
        fence_done(&f);
        cfg_group_done(&g);
        return ret;
}

static int cmd_fence(const struct admin *a, int argc, char **argv) {
        struct cfg_group g = {};
        char kb[KEY_STRING_MAX];
        uint64_t victim;
        struct fence f;
        int r, ret;

        if (argc != 1) {
                fprintf(stderr, "tandem fence: needs one NODE or KEY\n");
                return EXIT_USAGE;
        }
        if (only_opts(a, "fence", true, false, false) < 0)
                return EXIT_USAGE;
        if (cli_load_group(&a->common, &g) < 0) {
                cfg_group_done(&g);
                return EXIT_FAILED;
        }
        if (strncmp(argv[0], "0x", 2) == 0) {
                r = key_parse(argv[0], &victim);
                if (r < 0) {
                        log_error("fence: '%s' is not a key (0x followed by 1-16 hex digits, not zero)", argv[0]);
                        cfg_group_done(&g);
                        return EXIT_USAGE;
                }
        } else
                victim = key_derive(g.cluster.name, argv[0]);
        if (victim == g.fence.key && !a->force) {
                log_error("fence: %s (%s) is this node's own key; add --force to fence ourselves", argv[0],
                          key_format(victim, kb));
                cfg_group_done(&g);
                return EXIT_USAGE;
        }
        if (open_fence(&g, &f) < 0) {
                cfg_group_done(&g);
                return EXIT_FAILED;
        }
        r = fence_preempt(&f, victim);
        fence_report_out(&f, "fence", r, a->common.json);
        ret = fence_exit("fence", r, a->common.json);
        fence_done(&f);
        cfg_group_done(&g);
        return ret;
}

/* ----------------------------------------------- takeover and move: systemd */

/* Prints when each unit of the group entered the active state, relative to
 * base (a monotonic time of the host the bus speaks to; 0: the earliest
 * entry), then the units that did not, with their state. */
static void unit_timeline(const struct group_units *u, usec_t base) {
        usec_t at[GROUP_UNITS_MAX];
        size_t ord[GROUP_UNITS_MAX];
        bool shown[GROUP_UNITS_MAX] = {};
        for (size_t i = 0; i < u->n; i++)
                at[i] = u->t[i].active_enter;
        if (base == 0)
                for (size_t i = 0; i < u->n; i++)
                        if (at[i] > 0 && (base == 0 || at[i] < base))
                                base = at[i];
        printf("\nunits entering active (from the start of the job):\n");
        usec_t prev = base;
        size_t k = group_units_order(at, u->n, base, ord);
        for (size_t j = 0; j < k; j++) {
                size_t i = ord[j];
                shown[i] = true;
                printf("  +%8.3fs  (+%.3fs)  %s\n", secs(at[i] - base), secs(at[i] - prev), u->name[i]);
                prev = at[i];
        }
        for (size_t i = 0; i < u->n; i++) {
                if (shown[i])
                        continue;
                const char *st = u->t[i].active_state ?: "unknown";
                printf("  %-22s %s\n",
                       strcmp(st, "active") == 0 ? "active before the job" :
                       strcmp(st, "failed") == 0 ? "FAILED" :
                       strcmp(st, "inactive") == 0 ? "not started" : st,
                       u->name[i]);
        }
}

/* Prints how the group's units stopped on node, in the order they ended:
 * when each stop began and ended, from the first stop. */
static void stop_timeline(const struct group_units *u, const char *node) {
        usec_t base = 0, gone[GROUP_UNITS_MAX];
        size_t ord[GROUP_UNITS_MAX];
        for (size_t i = 0; i < u->n; i++) {
                const struct gs_unit_times *t = &u->t[i];
                bool stopped = t->active_exit > 0 && t->inactive_enter >= t->active_exit;
                gone[i] = stopped ? t->inactive_enter : 0;
                if (stopped && (base == 0 || t->active_exit < base))
                        base = t->active_exit;
        }
        if (base == 0)
                return;
        printf("\nunits stopping on %s (from the first stop: began .. ended, took):\n", node);
        size_t k = group_units_order(gone, u->n, base, ord);
        for (size_t j = 0; j < k; j++) {
                const struct gs_unit_times *t = &u->t[ord[j]];
                printf("  +%8.3fs .. +%8.3fs  (%.3fs)  %s\n", secs(t->active_exit - base), secs(t->inactive_enter - base),
                       secs(t->inactive_enter - t->active_exit), u->name[ord[j]]);
        }
        printf("\n");
}

/* Prints each step of a takeover or a move as it ends. */
static void on_event(void *userdata, const struct group_event *e) {
        (void) userdata;
        switch (e->kind) {
        case GROUP_EVENT_STEP:
                printf("%-52s %8.3fs  %s\n", e->what, secs(e->took), e->outcome);
                break;
        case GROUP_EVENT_NOTE:
                printf("%s\n", e->text);
                break;
        case GROUP_EVENT_FENCE:
                fence_report_log(e->fence, "fence", NULL, 0, false);
                fence_report_print(e->fence, "fence", e->fence_r, false);
                break;
        case GROUP_EVENT_STOPPED:
                stop_timeline(e->units, e->node);
                break;
        }
        fflush(stdout);
}

/* Runs a takeover or a move and prints its timeline and, on failure, what
 * failed and what it left. Returns the exit code. */
static int run_group(const struct admin *a, const char *cmd, int (*fn)(const struct group_run *, struct group_report *)) {
        _cleanup_free_ char *grp = NULL;
        struct cfg_group g = {};
        struct group_report rep = {};
        int ret = EXIT_FAILED;

        if (cli_load_group(&a->common, &g) < 0)
                goto out;
        grp = a->common.group ? strdup(a->common.group) : gs_group_of(g.path);
        if (!grp)
                goto out;
        const struct group_run run = {
                .g = &g,
                .group = grp,
                .timeout = a->timeout,
                .peer_connect_timeout = PEER_CONNECT_TIMEOUT,
                .force = a->force,
                .to = a->to,
                .sd = &group_systemd_bus,
                .fence = &group_fence_real,
                .event = on_event,
                /* I3: the holder's heartbeat is watched for two watch
                 * intervals and a command timeout before it is fenced. */
                .peer_wait = g.fence.takeover_wait,
                .sleep = sleep_usec,
        };
        if (fn(&run, &rep) < 0) {
                log_error("%s: out of memory", cmd);
                goto out;
        }
        if (rep.started)
                unit_timeline(&rep.units, rep.units_base);
        if (rep.error)
                log_error("%s", rep.error);
        if (rep.failed_step)
                log_error("%s", rep.failed_step);
        if (rep.left_behind)
                log_error("%s", rep.left_behind);
        if (rep.still_holds)
                log_error("%s", rep.still_holds);
        ret = rep.result == GROUP_OK          ? EXIT_OK
            : rep.result == GROUP_NOT_STOPPED ? EXIT_NOT_STOPPED
            : rep.result == GROUP_NO_SYSTEMD  ? EXIT_NO_SYSTEMD
            : rep.result == GROUP_USAGE       ? EXIT_USAGE
                                              : EXIT_FAILED;
out:
        group_report_done(&rep);
        cfg_group_done(&g);
        return ret;
}

static int cmd_takeover(const struct admin *a, int argc, char **argv) {
        if (no_operands("takeover", argc, argv) < 0 || only_opts(a, "takeover", true, true, false) < 0)
                return EXIT_USAGE;
        return run_group(a, "takeover", group_takeover);
}

static int cmd_move(const struct admin *a, int argc, char **argv) {
        if (no_operands("move", argc, argv) < 0 || only_opts(a, "move", true, true, true) < 0)
                return EXIT_USAGE;
        return run_group(a, "move", group_move);
}

/* ------------------------------------------------------------------- main */

static const struct {
        const char *name;
        /* argc/argv: the command's operands, options already taken out. */
        int (*run)(const struct admin *a, int argc, char **argv);
} commands[] = {
        { "config", cmd_config },     { "status", cmd_status },     { "unfence", cmd_unfence },
        { "fence", cmd_fence },       { "takeover", cmd_takeover }, { "move", cmd_move },
};

int main(int argc, char **argv) {
        enum { OPT_TIMEOUT = _CLI_OPT_NEXT, OPT_TO };
        static const struct option longopts[] = { CLI_COMMON_LONGOPTS, {} };
        static const struct option cmdopts[] = {
                CLI_COMMON_LONGOPTS,
                { "force", no_argument, NULL, 'f' },
                { "timeout", required_argument, NULL, OPT_TIMEOUT },
                { "to", required_argument, NULL, OPT_TO },
                {},
        };
        struct admin a = { .timeout = 120 * USEC_PER_SEC };
        int opt, r;

        cli_common_init(&a.common);
        /* '+': stop at the command, so its own options follow it. */
        while ((opt = getopt_long(argc, argv, "+" CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
                if (opt == 'h') {
                        usage(stdout);
                        return EXIT_OK;
                }
                if (opt == 'V') {
                        printf("tandem %s\n", TANDEM_VERSION);
                        return EXIT_OK;
                }
                r = cli_common_opt(&a.common, opt, optarg);
                if (r < 0)
                        return EXIT_USAGE;
                if (r == 0) {
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "tandem: no command given\n\n");
                usage(stderr);
                return EXIT_USAGE;
        }
        /* Options may also follow the command: tandem config --json. */
        int cargc = argc - optind;
        char **cargv = argv + optind;
        optind = 1;
        while ((opt = getopt_long(cargc, cargv, CLI_COMMON_SHORTOPTS "f", cmdopts, NULL)) != -1) {
                switch (opt) {
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                case 'f':
                        a.force = true;
                        continue;
                case OPT_TIMEOUT:
                        if (cfg_parse_duration(optarg, &a.timeout) < 0 || a.timeout == 0) {
                                fprintf(stderr, "tandem: --timeout '%s' is not a duration (120s, 2min, 500ms)\n", optarg);
                                return EXIT_USAGE;
                        }
                        a.timeout_set = true;
                        continue;
                case OPT_TO:
                        a.to = optarg;
                        continue;
                }
                r = cli_common_opt(&a.common, opt, optarg);
                if (r <= 0) {
                        if (r == 0)
                                usage(stderr);
                        return EXIT_USAGE;
                }
        }
        cli_common_apply(&a.common, "tandem");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(cargv[0], commands[i].name) == 0)
                        return commands[i].run(&a, cargc - optind, cargv + optind);
        fprintf(stderr, "tandem: unknown command '%s'; see tandem --help\n", cargv[0]);
        return EXIT_USAGE;
}
