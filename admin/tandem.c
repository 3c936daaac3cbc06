/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tandem: the admin command. A thin main over library calls. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "tandem/cli.h"
#include "tandem/config.h"
#include "tandem/key.h"

static void usage(FILE *f) {
        fputs("Usage: tandem [OPTIONS] COMMAND\n"
              "\n"
              "Administer a tandem service group: two nodes, shared storage, one writer.\n"
              "\n"
              "Commands:\n"
              "  config                  check the group's config and print it as tandem\n"
              "                          reads it, with defaults and derived keys; exit 1\n"
              "                          and list every error if it is invalid\n"
              "\n"
              "Options:\n" CLI_COMMON_HELP
              "\n"
              "See tandem(8) and tandem.conf(5).\n",
              f);
}

/* ------------------------------------------------------------ tandem config */

static const char *src_note(enum cfg_source s, const char *what) {
        switch (s) {
        case CFG_SOURCE_DEFAULT:
                return what;
        default:
                return NULL;
        }
}

static void print_kv(const char *k, const char *v, const char *note) {
        if (!v)
                return;
        if (note)
                printf("%-15s= %-34s # %s\n", k, v, note);
        else
                printf("%-15s= %s\n", k, v);
}

static void print_list(const char *k, char *const *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                printf("%-15s%s %s\n", i == 0 ? k : "", i == 0 ? "=" : " ", v[i]);
}

static void print_text(const struct cfg_group *g) {
        char buf[64], kb[KEY_STRING_MAX], note[256];

        printf("# %s: valid\n", g->path);
        printf("[cluster]\n");
        print_kv("name", g->cluster.name, NULL);
        print_kv("node", g->cluster.node, src_note(g->cluster.node_source, "default: the host name"));
        print_kv("peer", g->cluster.peer, NULL);
        if (!g->cluster.peer)
                printf("# peer is not set: takeover and move need it\n");
        print_kv("peer_address", g->cluster.peer_address,
                 src_note(g->cluster.peer_address_source, "default: the peer's name"));

        printf("\n");
        if (!g->fence.present) {
                printf("# no [fence] section: this group runs UNFENCED.\n"
                       "# Nothing stops both nodes from writing; the volume mounts with a warning.\n");
        } else {
                printf("[fence]\n");
                print_list("devices", g->fence.devices, g->fence.n_devices);
                print_kv("type", pr_type_to_string(g->fence.type), NULL);
                snprintf(note, sizeof note, "derived from (%s, %s)", g->cluster.name, g->cluster.node);
                print_kv("key", key_format(g->fence.key, kb),
                         g->fence.key_source == CFG_SOURCE_DERIVED ? note : NULL);
                if (g->fence.peer_key != 0) {
                        snprintf(note, sizeof note, "derived from (%s, %s)", g->cluster.name, g->cluster.peer);
                        print_kv("peer_key", key_format(g->fence.peer_key, kb),
                                 g->fence.peer_key_source == CFG_SOURCE_DERIVED ? note : NULL);
                } else
                        printf("# peer_key unknown: no peer is set\n");
                print_kv("initiator", g->fence.initiator, NULL);
                print_kv("aptpl", g->fence.aptpl ? "yes" : "no", NULL);
                print_kv("timeout", cfg_format_duration(g->fence.timeout, buf, sizeof buf), NULL);
                print_kv("watch_interval", cfg_format_duration(g->fence.watch_interval, buf, sizeof buf), NULL);
        }
        if (g->raid.present) {
                printf("\n[raid]\n");
                print_list("devices", g->raid.devices, g->raid.n_devices);
                print_kv("on_degraded", cfg_on_degraded_to_string(g->raid.on_degraded), NULL);
        }
        if (g->volume.present) {
                printf("\n[volume]\n");
                print_kv("device", g->volume.device, NULL);
                print_kv("fstype", g->volume.fstype, NULL);
                print_kv("mountpoint", g->volume.mountpoint, NULL);
                print_kv("options", g->volume.options, NULL);
                print_kv("fsck", cfg_fsck_to_string(g->volume.fsck), NULL);
                print_kv("stop_timeout", cfg_format_duration(g->volume.stop_timeout, buf, sizeof buf), NULL);
        }
        if (g->service.present) {
                printf("\n[service]\n");
                print_kv("unit", g->service.unit, NULL);
                print_kv("address", g->service.address, NULL);
                print_kv("interface", g->service.interface, NULL);
        }
}

static struct json_object *json_strv(char *const *v, size_t n) {
        struct json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < n; i++)
                json_object_array_add(a, json_object_new_string(v[i]));
        return a;
}

static void add_str(struct json_object *o, const char *k, const char *v) {
        json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static void add_duration(struct json_object *o, const char *k, usec_t u) {
        char buf[64];
        add_str(o, k, cfg_format_duration(u, buf, sizeof buf));
        char ms[80];
        snprintf(ms, sizeof ms, "%s_ms", k);
        json_object_object_add(o, ms, json_object_new_int64((int64_t) (u / USEC_PER_MSEC)));
}

static struct json_object *config_json(const struct cfg_group *g, bool valid) {
        struct json_object *o = json_object_new_object(), *s, *e;
        char kb[KEY_STRING_MAX];

        add_str(o, "file", g->path);
        json_object_object_add(o, "valid", json_object_new_boolean(valid));
        e = json_object_new_array();
        for (size_t i = 0; i < g->n_errors; i++) {
                struct json_object *x = json_object_new_object();
                add_str(x, "file", g->path);
                json_object_object_add(x, "line", json_object_new_int((int) g->errors[i].line));
                add_str(x, "key", g->errors[i].key);
                add_str(x, "message", g->errors[i].message);
                json_object_array_add(e, x);
        }
        json_object_object_add(o, "errors", e);
        if (!valid)
                return o;

        s = json_object_new_object();
        add_str(s, "name", g->cluster.name);
        add_str(s, "node", g->cluster.node);
        add_str(s, "node_source", cfg_source_to_string(g->cluster.node_source));
        add_str(s, "peer", g->cluster.peer);
        add_str(s, "peer_address", g->cluster.peer_address);
        json_object_object_add(o, "cluster", s);

        json_object_object_add(o, "fenced", json_object_new_boolean(g->fence.present));
        if (g->fence.present) {
                s = json_object_new_object();
                json_object_object_add(s, "devices", json_strv(g->fence.devices, g->fence.n_devices));
                add_str(s, "type", pr_type_to_string(g->fence.type));
                add_str(s, "key", key_format(g->fence.key, kb));
                add_str(s, "key_source", cfg_source_to_string(g->fence.key_source));
                add_str(s, "peer_key", g->fence.peer_key ? key_format(g->fence.peer_key, kb) : NULL);
                add_str(s, "peer_key_source", cfg_source_to_string(g->fence.peer_key_source));
                add_str(s, "initiator", g->fence.initiator);
                json_object_object_add(s, "aptpl", json_object_new_boolean(g->fence.aptpl));
                add_duration(s, "timeout", g->fence.timeout);
                add_duration(s, "watch_interval", g->fence.watch_interval);
                json_object_object_add(o, "fence", s);
        }
        if (g->raid.present) {
                s = json_object_new_object();
                json_object_object_add(s, "devices", json_strv(g->raid.devices, g->raid.n_devices));
                add_str(s, "on_degraded", cfg_on_degraded_to_string(g->raid.on_degraded));
                json_object_object_add(o, "raid", s);
        }
        if (g->volume.present) {
                s = json_object_new_object();
                add_str(s, "device", g->volume.device);
                add_str(s, "fstype", g->volume.fstype);
                add_str(s, "mountpoint", g->volume.mountpoint);
                add_str(s, "options", g->volume.options);
                add_str(s, "fsck", cfg_fsck_to_string(g->volume.fsck));
                add_duration(s, "stop_timeout", g->volume.stop_timeout);
                json_object_object_add(o, "volume", s);
        }
        if (g->service.present) {
                s = json_object_new_object();
                add_str(s, "unit", g->service.unit);
                add_str(s, "address", g->service.address);
                add_str(s, "interface", g->service.interface);
                json_object_object_add(o, "service", s);
        }
        return o;
}

static int cmd_config(const struct cli_common *c, int argc, char **argv) {
        struct cfg_group g = {};
        int r;

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
                struct json_object *o = config_json(&g, r == 0);
                if (!o || out_json_print(o) < 0)
                        r = log_error_errno(EIO, "cannot print JSON");
                json_object_put(o);
        } else if (r == 0)
                print_text(&g);
        else if (g.n_errors > 0)
                fprintf(stderr, "%s: %zu error%s\n", g.path ? g.path : "config", g.n_errors,
                        g.n_errors == 1 ? "" : "s");
        cfg_group_done(&g);
        return r == 0 ? EXIT_OK : EXIT_FAILED;
}

/* ------------------------------------------------------------------- main */

static const struct {
        const char *name;
        /* argc/argv: the command's operands, options already taken out. */
        int (*run)(const struct cli_common *c, int argc, char **argv);
} commands[] = {
        { "config", cmd_config },
};

int main(int argc, char **argv) {
        static const struct option longopts[] = { CLI_COMMON_LONGOPTS, {} };
        struct cli_common c;
        int opt, r;

        cli_common_init(&c);
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
                r = cli_common_opt(&c, opt, optarg);
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
        while ((opt = getopt_long(cargc, cargv, CLI_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
                if (opt == 'h') {
                        usage(stdout);
                        return EXIT_OK;
                }
                r = cli_common_opt(&c, opt, optarg);
                if (r <= 0) {
                        if (r == 0)
                                usage(stderr);
                        return EXIT_USAGE;
                }
        }
        cli_common_apply(&c, "tandem");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (strcmp(cargv[0], commands[i].name) == 0)
                        return commands[i].run(&c, cargc - optind, cargv + optind);
        fprintf(stderr, "tandem: unknown command '%s'; see tandem --help\n", cargv[0]);
        return EXIT_USAGE;
}
