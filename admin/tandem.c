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
#include "tandem/config.h"
#include "tandem/fence.h"
#include "tandem/group-status.h"
#include "tandem/group.h"
#include "tandem/key.h"
#include "tandem/msgid.h"
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
              "  takeover                start tandem-active@GROUP.target here through\n"
              "                          systemd; its takeover fences a peer that holds\n"
              "                          the reservation. For when the peer is dead\n"
              "  move [--to NODE]        stop the group on the peer (over SSH), then start\n"
              "                          it here; --to PEER moves it the other way\n"
              "\n"
              "Command options:\n"
              "  -f, --force             fence: allow fencing ourselves; move: take over\n"
              "                          (fencing the peer) when it cannot be stopped\n"
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

static int cmd_config(const struct admin *a, int argc, char **argv) {
        const struct cli_common *c = &a->common;
        struct cfg_group g = {};
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

/* ------------------------------------------------------ the other commands */

static double secs(usec_t u) {
        return (double) u / (double) USEC_PER_SEC;
}

/* Names a key for people and JSON: the node it belongs to, or NULL. */
static const char *key_owner(const struct cfg_group *g, uint64_t k) {
        if (k == g->fence.key)
                return g->cluster.node;
        if (g->fence.peer_key && k == g->fence.peer_key)
                return g->cluster.peer;
        return NULL;
}

static const char *tri(enum gs_tri t, const char *yes, const char *no) {
        return t == GS_YES ? yes : t == GS_NO ? no : "unknown";
}

static void status_text(const struct cfg_group *g, const struct gs_status *s) {
        char kb[KEY_STRING_MAX];

        printf("group       %s (%s)\n", g->path, g->cluster.name);
        printf("node        %s%s%s\n", g->cluster.node, g->cluster.peer ? ", peer " : "",
               g->cluster.peer ? g->cluster.peer : "");
        printf("role        %s: %s\n", gs_role_to_string(s->role), s->role_reason ? s->role_reason : "");
        if (s->fenced)
                printf("\nfence       %zu device%s, our key %s\n", s->n_fence, s->n_fence == 1 ? "" : "s",
                       key_format(g->fence.key, kb));
        else
                printf("\nfence       unfenced (no [fence] section)\n");
        for (size_t i = 0; i < s->n_fence; i++) {
                const struct gs_fence_dev *d = &s->fence[i];
                printf("  %s%s%s%s\n", d->device, d->identity ? " (" : "", d->identity ? d->identity : "",
                       d->identity ? ")" : "");
                if (d->error < 0) {
                        printf("    error: %s\n", d->reason ? d->reason : strerror(-d->error));
                        continue;
                }
                if (d->res.held) {
                        const char *who = key_owner(g, d->res.key);
                        printf("    holder: %s%s%s%s  type %s\n", key_format(d->res.key, kb), who ? " (" : "",
                               who ? who : "", who ? ")" : "", pr_type_to_string(d->res.type) ?: "unknown");
                } else
                        printf("    holder: none\n");
                printf("    keys:  ");
                if (d->keys.n_keys == 0)
                        printf(" none");
                for (uint32_t k = 0; k < d->keys.n_keys; k++) {
                        bool dup = false;
                        for (uint32_t j = 0; j < k; j++)
                                dup = dup || d->keys.keys[j] == d->keys.keys[k];
                        if (dup)
                                continue;
                        const char *who = key_owner(g, d->keys.keys[k]);
                        printf(" %s%s%s%s", key_format(d->keys.keys[k], kb), who ? " (" : "", who ? who : "",
                               who ? ")" : "");
                }
                printf("\n");
        }
        if (s->raid_present) {
                printf("\nraid        %s%s%s\n", health_to_string(s->raid_health), s->raid_error ? ": " : "",
                       s->raid_error ? strerror(-s->raid_error) : "");
                for (size_t i = 0; i < s->n_raid; i++)
                        printf("  %s: %s: %s\n", s->raid[i].device, health_to_string(s->raid[i].health),
                               s->raid[i].reason ? s->raid[i].reason : "");
        }
        if (s->volume_present) {
                printf("\nvolume      %s on %s: ", g->volume.device, g->volume.mountpoint);
                if (s->volume_error < 0)
                        printf("unknown: %s\n", s->volume_reason ? s->volume_reason : strerror(-s->volume_error));
                else if (s->volume_mounted)
                        printf("mounted %s%s%s\n", s->volume_read_only ? "read-only" : "read-write",
                               s->volume_devname ? " from " : "", s->volume_devname ? s->volume_devname : "");
                else
                        printf("not mounted%s%s%s%s%s\n", s->volume_where ? " (" : "",
                               s->volume_where ? s->volume_state : "", s->volume_where ? ": " : "",
                               s->volume_where ? s->volume_where : "", s->volume_where ? ")" : "");
                if (!s->volume_mounted && s->volume_reason && s->volume_error == 0)
                        printf("  %s\n", s->volume_reason);
        }
        if (s->address_present)
                printf("address     %s on %s: %s%s%s\n", g->service.address,
                       g->service.interface ? g->service.interface : "?", tri(s->address_up, "up", "down"),
                       s->address_error ? ": " : "", s->address_error ? strerror(-s->address_error) : "");
        if (s->service_present)
                printf("service     %s: %s%s%s\n", g->service.unit, s->service_state ? s->service_state : "unknown",
                       s->service_reason ? ": " : "", s->service_reason ? s->service_reason : "");
        if (s->peer_present) {
                const char *pa = g->cluster.peer_address ? g->cluster.peer_address : g->cluster.peer;
                if (s->peer_reachable == GS_YES)
                        printf("peer        %s: reachable (TCP port 22 answered in %.3fs)\n", pa, secs(s->peer_rtt));
                else
                        printf("peer        %s: not reachable (TCP port 22: %s)\n", pa, strerror(-s->peer_error));
        }
}

static struct json_object *jstr(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static struct json_object *status_json(const struct cfg_group *g, const struct gs_status *s) {
        struct json_object *o = json_object_new_object(), *x;
        char kb[KEY_STRING_MAX];

        json_object_object_add(o, "group", jstr(g->path));
        json_object_object_add(o, "cluster", jstr(g->cluster.name));
        json_object_object_add(o, "node", jstr(g->cluster.node));
        json_object_object_add(o, "role", jstr(gs_role_to_string(s->role)));
        json_object_object_add(o, "role_reason", jstr(s->role_reason));

        x = json_object_new_object();
        json_object_object_add(x, "mode", jstr(s->fenced ? "reservations" : "unfenced"));
        json_object_object_add(x, "key", s->fenced ? jstr(key_format(g->fence.key, kb)) : NULL);
        struct json_object *a = json_object_new_array();
        for (size_t i = 0; i < s->n_fence; i++) {
                const struct gs_fence_dev *d = &s->fence[i];
                struct json_object *y = json_object_new_object(), *ks = json_object_new_array();
                json_object_object_add(y, "device", jstr(d->device));
                json_object_object_add(y, "identity", jstr(d->identity));
                json_object_object_add(y, "error", d->error < 0 ? jstr(d->reason ? d->reason : strerror(-d->error)) : NULL);
                if (d->error == 0) {
                        for (uint32_t k = 0; k < d->keys.n_keys; k++) {
                                bool dup = false;
                                for (uint32_t j = 0; j < k; j++)
                                        dup = dup || d->keys.keys[j] == d->keys.keys[k];
                                if (dup)
                                        continue;
                                struct json_object *z = json_object_new_object();
                                json_object_object_add(z, "key", jstr(key_format(d->keys.keys[k], kb)));
                                json_object_object_add(z, "node", jstr(key_owner(g, d->keys.keys[k])));
                                json_object_array_add(ks, z);
                        }
                        json_object_object_add(y, "keys", ks);
                        json_object_object_add(y, "holder", d->res.held ? jstr(key_format(d->res.key, kb)) : NULL);
                        json_object_object_add(y, "holder_node", d->res.held ? jstr(key_owner(g, d->res.key)) : NULL);
                        json_object_object_add(y, "type", d->res.held ? jstr(pr_type_to_string(d->res.type) ?: "unknown") : NULL);
                        json_object_object_add(y, "registered", json_object_new_boolean(d->registered));
                        json_object_object_add(y, "we_hold", json_object_new_boolean(d->holder));
                } else
                        json_object_put(ks);
                json_object_array_add(a, y);
        }
        json_object_object_add(x, "devices", a);
        json_object_object_add(o, "fence", x);

        if (s->raid_present) {
                x = json_object_new_object();
                json_object_object_add(x, "health", jstr(health_to_string(s->raid_health)));
                json_object_object_add(x, "error", s->raid_error ? jstr(strerror(-s->raid_error)) : NULL);
                a = json_object_new_array();
                for (size_t i = 0; i < s->n_raid; i++) {
                        struct json_object *y = json_object_new_object();
                        json_object_object_add(y, "device", jstr(s->raid[i].device));
                        json_object_object_add(y, "health", jstr(health_to_string(s->raid[i].health)));
                        json_object_object_add(y, "reason", jstr(s->raid[i].reason));
                        json_object_array_add(a, y);
                }
                json_object_object_add(x, "devices", a);
        } else
                x = NULL;
        json_object_object_add(o, "raid", x);

        if (s->volume_present) {
                x = json_object_new_object();
                json_object_object_add(x, "device", jstr(g->volume.device));
                json_object_object_add(x, "devname", jstr(s->volume_devname));
                json_object_object_add(x, "mountpoint", jstr(g->volume.mountpoint));
                json_object_object_add(x, "state", s->volume_error < 0 ? jstr("unknown") : jstr(s->volume_state));
                json_object_object_add(x, "mounted", json_object_new_boolean(s->volume_mounted));
                json_object_object_add(x, "read_only", json_object_new_boolean(s->volume_read_only));
                json_object_object_add(x, "where", jstr(s->volume_where));
                json_object_object_add(x, "reason", jstr(s->volume_reason));
        } else
                x = NULL;
        json_object_object_add(o, "volume", x);

        if (s->address_present) {
                x = json_object_new_object();
                json_object_object_add(x, "address", jstr(g->service.address));
                json_object_object_add(x, "interface", jstr(g->service.interface));
                json_object_object_add(x, "up", s->address_up == GS_UNKNOWN ? NULL : json_object_new_boolean(s->address_up == GS_YES));
                json_object_object_add(x, "error", s->address_error ? jstr(strerror(-s->address_error)) : NULL);
        } else
                x = NULL;
        json_object_object_add(o, "address", x);

        if (s->service_present) {
                x = json_object_new_object();
                json_object_object_add(x, "unit", jstr(g->service.unit));
                json_object_object_add(x, "active_state", jstr(s->service_state ? s->service_state : "unknown"));
                json_object_object_add(x, "reason", jstr(s->service_reason));
        } else
                x = NULL;
        json_object_object_add(o, "service", x);

        if (s->peer_present) {
                x = json_object_new_object();
                json_object_object_add(x, "node", jstr(g->cluster.peer));
                json_object_object_add(x, "address", jstr(g->cluster.peer_address ? g->cluster.peer_address : g->cluster.peer));
                json_object_object_add(x, "probe", jstr("tcp:22"));
                json_object_object_add(x, "reachable", json_object_new_boolean(s->peer_reachable == GS_YES));
                json_object_object_add(x, "error", s->peer_reachable == GS_YES ? NULL : jstr(strerror(-s->peer_error)));
                json_object_object_add(x, "connect_ms", s->peer_reachable == GS_YES ? json_object_new_int64((int64_t) (s->peer_rtt / USEC_PER_MSEC)) : NULL);
        } else
                x = NULL;
        json_object_object_add(o, "peer", x);
        return o;
}

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
                struct json_object *o = status_json(&g, &s);
                if (!o || out_json_print(o) < 0)
                        r = log_error_errno(EIO, "cannot print JSON");
                json_object_put(o);
        } else
                status_text(&g, &s);
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
        if (cli_load_group(&a->common, &g) < 0 || open_fence(&g, &f) < 0) {
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

/* Prints one step of the timeline: its name, how long it took, its outcome. */
static void step(const char *what, usec_t start, const char *outcome) {
        printf("%-52s %8.3fs  %s\n", what, secs(gs_now() - start), outcome);
        fflush(stdout);
}

/* The group's units, in start order, as systemd reports them. */
struct group_units {
        char name[7][300];
        struct gs_unit_times t[7];      /* active_state NULL: unknown */
        size_t n;
};

static void group_units_read(sd_bus *bus, const struct cfg_group *g, const char *grp, struct group_units *u) {
        *u = (struct group_units) {};
        snprintf(u->name[u->n++], sizeof u->name[0], "tandem-takeover@%s.service", grp);
        snprintf(u->name[u->n++], sizeof u->name[0], "tandem-watch@%s.service", grp);
        snprintf(u->name[u->n++], sizeof u->name[0], "tandem-raid@%s.service", grp);
        snprintf(u->name[u->n++], sizeof u->name[0], "tandem-volume@%s.service", grp);
        snprintf(u->name[u->n++], sizeof u->name[0], "tandem-address@%s.service", grp);
        if (g->service.present && g->service.unit)
                snprintf(u->name[u->n++], sizeof u->name[0], "%s", g->service.unit);
        snprintf(u->name[u->n++], sizeof u->name[0], "tandem-active@%s.target", grp);
        for (size_t i = 0; i < u->n; i++)
                if (gs_unit_times(bus, u->name[i], &u->t[i]) < 0)
                        u->t[i] = (struct gs_unit_times) {};
}

static void group_units_done(struct group_units *u) {
        for (size_t i = 0; i < u->n; i++)
                free(u->t[i].active_state);
}

/* The order in which units reached a moment: ord[] gets the indexes of the
 * units with from <= at[i] (and at[i] > 0), by at[]; returns their number. */
static size_t order_by(const usec_t *at, size_t n, usec_t from, size_t ord[static 7]) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (at[i] == 0 || at[i] < from)
                        continue;
                size_t j = k++;
                for (; j > 0 && at[ord[j - 1]] > at[i]; j--)
                        ord[j] = ord[j - 1];
                ord[j] = i;
        }
        return k;
}

/* Prints when each unit of the group entered the active state, relative to
 * base (a monotonic time of the host the bus speaks to; 0: the earliest
 * entry), then the units that did not, with their state. */
static void unit_timeline(const struct group_units *u, usec_t base) {
        usec_t at[7];
        size_t ord[7];
        bool shown[7] = {};
        for (size_t i = 0; i < u->n; i++)
                at[i] = u->t[i].active_enter;
        if (base == 0)
                for (size_t i = 0; i < u->n; i++)
                        if (at[i] > 0 && (base == 0 || at[i] < base))
                                base = at[i];
        printf("\nunits entering active (from the start of the job):\n");
        usec_t prev = base;
        size_t k = order_by(at, u->n, base, ord);
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
 * when each stop began and ended, from the first stop (their last stops:
 * call it only after a stop of the whole group). */
static void stop_timeline(const struct group_units *u, const char *node) {
        usec_t base = 0, gone[7];
        size_t ord[7];
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
        size_t k = order_by(gone, u->n, base, ord);
        for (size_t j = 0; j < k; j++) {
                const struct gs_unit_times *t = &u->t[ord[j]];
                printf("  +%8.3fs .. +%8.3fs  (%.3fs)  %s\n", secs(t->active_exit - base), secs(t->inactive_enter - base),
                       secs(t->inactive_enter - t->active_exit), u->name[ord[j]]);
        }
        printf("\n");
}

/* The last error-level journal message of unit since the realtime 'since',
 * on this host. Returns a new string or NULL. */
static char *unit_last_error(const char *unit, usec_t since) {
        sd_journal *j = NULL;
        char match[400], *out = NULL;
        if (sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM) < 0)
                return NULL;
        char match2[400];
        /* tandem's programs name their unit in OBJECT_SYSTEMD_UNIT too (see log.c). */
        snprintf(match, sizeof match, "_SYSTEMD_UNIT=%s", unit);
        snprintf(match2, sizeof match2, "OBJECT_SYSTEMD_UNIT=%s", unit);
        if (sd_journal_add_match(j, match, 0) >= 0 && sd_journal_add_disjunction(j) >= 0 &&
            sd_journal_add_match(j, match2, 0) >= 0 && sd_journal_add_match(j, "_UID=0", 0) >= 0 &&
            sd_journal_seek_tail(j) >= 0)
                for (int k = 0; k < 50 && sd_journal_previous(j) > 0; k++) {
                        uint64_t t;
                        const void *d;
                        size_t l;
                        if (sd_journal_get_realtime_usec(j, &t) < 0 || t < since)
                                break;
                        /* An error, or an OCF agent's exit reason (on stderr, so at info). */
                        bool error = sd_journal_get_data(j, "PRIORITY", &d, &l) >= 0 && l == 10 &&
                                     ((const char *) d)[9] <= '3';
                        if (sd_journal_get_data(j, "MESSAGE", &d, &l) < 0 || l <= 8)
                                continue;
                        const char *m = (const char *) d + 8;
                        size_t ml = l - 8;
                        const char *ocf = "ocf-exit-reason:";
                        if (ml > strlen(ocf) && strncmp(m, ocf, strlen(ocf)) == 0) {
                                out = strndup(m + strlen(ocf), ml - strlen(ocf));
                                break;
                        }
                        if (error) {
                                out = strndup(m, ml);
                                break;
                        }
                }
        sd_journal_close(j);
        return out;
}

/* Says which unit of the group failed (the first in start order), why when
 * this host's journal knows (local), and what the job left behind. */
static void report_left_behind(const struct group_units *u, const char *node, bool local, usec_t since) {
        char active[2048] = "", failed[1024] = "", down[1024] = "";
        for (size_t i = 0; i < u->n; i++) {
                const char *st = u->t[i].active_state ?: "unknown";
                char *buf = strcmp(st, "active") == 0 ? active : strcmp(st, "failed") == 0 ? failed : down;
                size_t sz = buf == active ? sizeof active : buf == failed ? sizeof failed : sizeof down;
                snprintf(buf + strlen(buf), sz - strlen(buf), "%s%s%s%s", *buf ? ", " : "", u->name[i],
                         buf == down && strcmp(st, "inactive") != 0 ? " " : "",
                         buf == down && strcmp(st, "inactive") != 0 ? st : "");
        }
        for (size_t i = 0; i < u->n; i++)
                if (u->t[i].active_state && strcmp(u->t[i].active_state, "failed") == 0) {
                        _cleanup_free_ char *why = local ? unit_last_error(u->name[i], since) : NULL;
                        log_error("the step that failed on %s: %s%s%s", node, u->name[i], why ? ": " : "",
                                  why ?: (local ? "" : " (see its journal there)"));
                        break;
                }
        log_error("left behind on %s: active: %s; failed: %s; not running: %s", node, *active ? active : "none",
                  *failed ? failed : "none", *down ? down : "none");
        if (u->t[0].active_state && strcmp(u->t[0].active_state, "active") == 0)
                log_error("%s still holds the fence reservation (tandem-takeover is active): stop the group there "
                          "to release it, or fix the cause and start it again",
                          node);
}

/* Opens the local system bus; says that systemd is needed when there is none. */
static int open_local_bus(const char *cmd, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r >= 0) {
                /* The socket may exist with nobody behind it: ask once. */
                sd_bus_error e = SD_BUS_ERROR_NULL;
                r = sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.DBus.Peer", "Ping", &e, NULL, NULL);
                sd_bus_error_free(&e);
        }
        if (r < 0) {
                sd_bus_flush_close_unref(bus);
                log_error_errno(r, "tandem %s needs systemd as PID 1: cannot reach systemd on the system bus", cmd);
                return r;
        }
        *ret = bus;
        return 0;
}

/* Runs a start or stop job and prints its line of the timeline. Returns 0
 * when the job finished with "done", or -errno (-ETIME: timed out). *ret_why
 * gets words for a failure. */
static int run_job(sd_bus *bus, const char *method, const char *unit, const char *where, usec_t timeout,
                   char *why, size_t nwhy) {
        _cleanup_free_ char *result = NULL, *err = NULL;
        char what[200];
        usec_t t0 = gs_now();
        snprintf(what, sizeof what, "%s %s on %s", strcmp(method, "StartUnit") == 0 ? "start" : "stop", unit, where);
        int r = gs_unit_job(bus, method, unit, timeout, &result, &err);
        if (r == -ETIME)
                snprintf(why, nwhy, "the job did not finish within %.0fs (it is still queued in systemd)", secs(timeout));
        else if (r < 0)
                snprintf(why, nwhy, "%s", err ? err : strerror(-r));
        else if (strcmp(result, "done") != 0) {
                snprintf(why, nwhy, "the job ended with result '%s'", result);
                r = -EIO;
        }
        step(what, t0, r == 0 ? "done" : why);
        return r;
}

/* Every fence device of the group, opened and read; failures are logged. */
static int fence_read(const struct cfg_group *g, struct group_fence_read *fr) {
        _cleanup_free_ char *why = NULL;
        int r = group_fence_read(g, fr, &why);
        if (r < 0 && !fr->st)
                log_error("cannot use the fence devices: %s", why ? why : strerror(-r));
        return r;
}

/* Does key hold the reservation on a fence device of the group? Returns 1
 * yes, 0 no, -errno when a device cannot be read. */
static int key_holds(const struct cfg_group *g, uint64_t key) {
        struct group_fence_read fr;
        int r = fence_read(g, &fr);
        int ret = r < 0 ? r : 0;
        for (size_t i = 0; r >= 0 && i < fr.f.n; i++)
                if (fr.st[i].res.held && fr.st[i].res.key == key)
                        ret = 1;
        group_fence_read_done(&fr);
        return ret;
}

/* Stops tandem-takeover@GROUP.service on node (its stop releases the
 * reservation) and checks that it released: the unit ends inactive, or, when
 * it is failed (I5 keeps the reservation after a failed unmount; or an
 * earlier start failed), node's key holds no reservation, read from the
 * devices. Returns 0 or -errno with *why. */
static int stop_released(sd_bus *bus, const struct cfg_group *g, const char *grp, const char *node, uint64_t key,
                         usec_t timeout, char *why, size_t nwhy) {
        _cleanup_free_ char *unit = NULL, *state = NULL, *err = NULL;
        if (asprintf(&unit, "tandem-takeover@%s.service", grp) < 0)
                return -ENOMEM;
        int r = run_job(bus, "StopUnit", unit, node, timeout, why, nwhy);
        if (r < 0)
                return r;
        r = gs_unit_active_state(bus, unit, &state, &err);
        if (r < 0) {
                snprintf(why, nwhy, "cannot read %s's state: %s", unit, err ? err : strerror(-r));
                return r;
        }
        if (strcmp(state, "inactive") == 0)
                return 0;
        r = g->fence.present && key != 0 ? key_holds(g, key) : 1;
        if (r == 0) {
                printf("%s on %s is %s, but %s holds no reservation: going on\n", unit, node, state, node);
                return 0;
        }
        snprintf(why, nwhy, "%s is %s and %s: the reservation was not released (I5; see its journal there)", unit,
                 state,
                 r > 0 ? (g->fence.present ? "its key still holds the reservation" : "the group is unfenced")
                       : "the fence devices cannot be read");
        return -EBUSY;
}

static usec_t realtime_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

/* Fences the peer before a takeover: preempts its key on every device (its
 * key may be registered without holding the reservation, and a registrant
 * may write under a registrants-only type). A peer whose key is not there
 * is fine. Returns 0 or -errno. */
/* Words for a failed fence_peer(). */
static const char *fence_failure_words(int r) {
        return r == -EBADE ? "the peer's key could not be removed on every device"
             : r == -EPERM ? "this node's own key is gone: this node is fenced"
                           : strerror(-r);
}

static int fence_peer(const struct cfg_group *g) {
        struct fence f;
        char what[200], kb[KEY_STRING_MAX];
        usec_t t0 = gs_now();
        snprintf(what, sizeof what, "fence %s (preempt %s)", g->cluster.peer, key_format(g->fence.peer_key, kb));
        int r = open_fence(g, &f);
        if (r >= 0) {
                r = fence_preempt(&f, g->fence.peer_key);
                fence_report_log(&f, "fence", NULL, 0, false);
                fence_report_print(&f, "fence", r, false);
                fence_done(&f);
        }
        step(what, t0, r < 0 ? "FAILED" : "done");
        return r;
}

static int cmd_takeover(const struct admin *a, int argc, char **argv) {
        _cleanup_free_ char *grp = NULL, *target = NULL;
        struct cfg_group g = {};
        sd_bus *bus = NULL;
        char why[512];
        int r, ret = EXIT_FAILED;

        if (no_operands("takeover", argc, argv) < 0 || only_opts(a, "takeover", false, true, false) < 0)
                return EXIT_USAGE;
        if (cli_load_group(&a->common, &g) < 0)
                goto out;
        grp = a->common.group ? strdup(a->common.group) : gs_group_of(g.path);
        target = grp ? gs_target_for(grp) : NULL;
        if (!target)
                goto out;
        if (open_local_bus("takeover", &bus) < 0) {
                ret = EXIT_NO_SYSTEMD;
                goto out;
        }
        (void) sd_bus_set_method_call_timeout(bus, a->timeout);
        printf("takeover of group %s on %s (the peer %s is taken to be dead and is fenced)\n", grp,
               g.cluster.node, g.cluster.peer ? g.cluster.peer : "(none)");
        /* 1. Fence the peer, so that it can write no more, whatever it holds. */
        if (g.fence.present && g.cluster.peer && g.fence.peer_key != 0) {
                r = fence_peer(&g);
                if (r < 0) {
                        log_error("takeover failed at: fence %s: %s. Nothing was started here.", g.cluster.peer,
                                  fence_failure_words(r));
                        goto out;
                }
        } else
                printf("%s: no peer to fence (%s)\n", g.cluster.node,
                       g.fence.present ? "[cluster] peer is not set" : "the group runs unfenced");
        /* 2. Start the group here. */
        usec_t t0 = gs_now(), rt0 = realtime_now();
        r = run_job(bus, "StartUnit", target, g.cluster.node, a->timeout, why, sizeof why);
        struct group_units u;
        group_units_read(bus, &g, grp, &u);
        unit_timeline(&u, t0);
        if (r < 0) {
                log_error("takeover failed at: start %s on %s: %s", target, g.cluster.node, why);
                report_left_behind(&u, g.cluster.node, true, rt0);
        } else
                ret = EXIT_OK;
        group_units_done(&u);
out:
        sd_bus_flush_close_unref(bus);
        cfg_group_done(&g);
        return ret;
}

/* What this node's start of the group needs (group_preflight()), in *why. */
static int preflight(const struct cfg_group *g, char *why, size_t nwhy) {
        _cleanup_free_ char *reason = NULL;
        int r = group_preflight(g, &reason);
        if (r < 0)
                snprintf(why, nwhy, "%s", reason ? reason : strerror(-r));
        return r;
}

static int cmd_move(const struct admin *a, int argc, char **argv) {
        _cleanup_free_ char *grp = NULL, *target = NULL, *remote = NULL, *state = NULL, *err = NULL;
        struct cfg_group g = {};
        sd_bus *local = NULL, *peer = NULL;
        char why[512];
        int r, ret = EXIT_FAILED;
        bool forced = false;

        if (no_operands("move", argc, argv) < 0 || only_opts(a, "move", true, true, true) < 0)
                return EXIT_USAGE;
        if (cli_load_group(&a->common, &g) < 0)
                goto out;
        if (!g.cluster.peer) {
                log_error("move: %s names no peer ([cluster] peer)", g.path);
                goto out;
        }
        bool here = !a->to || strcmp(a->to, g.cluster.node) == 0;
        if (!here && strcmp(a->to, g.cluster.peer) != 0) {
                log_error("move --to %s: the group's nodes are %s (this node) and %s", a->to, g.cluster.node, g.cluster.peer);
                ret = EXIT_USAGE;
                goto out;
        }
        const char *pa = g.cluster.peer_address ? g.cluster.peer_address : g.cluster.peer;
        grp = a->common.group ? strdup(a->common.group) : gs_group_of(g.path);
        target = grp ? gs_target_for(grp) : NULL;
        if (!target || asprintf(&remote, "root@%s", pa) < 0)
                goto out;
        if (open_local_bus("move", &local) < 0) {
                ret = EXIT_NO_SYSTEMD;
                goto out;
        }
        (void) sd_bus_set_method_call_timeout(local, a->timeout);
        const char *src = here ? g.cluster.peer : g.cluster.node, *dst = here ? g.cluster.node : g.cluster.peer;
        printf("move group %s from %s to %s\n", grp, src, dst);

        /* 0. Here is the destination: check what its start needs before
         * touching the peer. */
        if (here) {
                usec_t p0 = gs_now();
                why[0] = '\0';
                r = preflight(&g, why, sizeof why);
                char what[200];
                snprintf(what, sizeof what, "preflight on %s (fence key, volume)", g.cluster.node);
                step(what, p0, r < 0 ? why : "ok");
                if (r < 0) {
                        log_error("move refused: %s. Nothing was stopped or started; the group is where it was", why);
                        ret = EXIT_NOT_STOPPED;
                        goto out;
                }
        }

        /* 1. Reach the peer's systemd over SSH, as systemctl -H does. ssh
         * to a dead host can take a minute to give up (SYN retries while the
         * neighbour entry ages); a TCP connect to its port 22 first, bounded,
         * says so in seconds. Refused: the host is up, ssh may use another
         * port; go on. */
        usec_t t0 = gs_now(), rtt = 0;
        r = gs_tcp_probe(pa, 22, PEER_CONNECT_TIMEOUT, &rtt);
        if (r < 0 && r != -ECONNREFUSED)
                snprintf(why, sizeof why, "no TCP connection to %s port 22 within %.0fs: %s", pa,
                         secs(PEER_CONNECT_TIMEOUT), r == -ETIMEDOUT ? "timed out" : strerror(-r));
        else {
                r = sd_bus_open_system_remote(&peer, remote);
                if (r >= 0) {
                        (void) sd_bus_set_method_call_timeout(peer, a->timeout);
                        r = gs_unit_active_state(peer, target, &state, &err);
                }
                snprintf(why, sizeof why, "%s", r < 0 ? (err ? err : strerror(-r)) : "");
        }
        char what[200];
        snprintf(what, sizeof what, "reach systemd on %s over SSH (%s)", g.cluster.peer, remote);
        step(what, t0, r < 0 ? why : state);
        if (r < 0) {
                if (!here || !a->force) {
                        log_error("move failed at: reach %s: %s. Nothing was stopped or started; the group is where "
                                  "it was.%s",
                                  g.cluster.peer, why, here ? " If the peer is dead, `tandem takeover` (or move --force) fences it." : "");
                        ret = EXIT_NOT_STOPPED;
                        goto out;
                }
                printf("%s cannot be reached; --force: taking over, which fences it\n", g.cluster.peer);
                forced = true;
        } else {
                /* 2. Stop the group where it runs. The target's own stop job
                 * ends before the chain under it has stopped; the release in
                 * tandem-takeover@'s stop is the chain's last step, so wait
                 * for that too, and check it released (I5: a failed unmount
                 * leaves it failed, holding the reservation). */
                _cleanup_free_ char *src_state = NULL;
                (void) gs_unit_active_state(here ? peer : local, target, &src_state, NULL);
                r = run_job(here ? peer : local, "StopUnit", target, src, a->timeout, why, sizeof why);
                if (r == 0)
                        r = stop_released(here ? peer : local, &g, grp, src, here ? g.fence.peer_key : g.fence.key,
                                          a->timeout, why, sizeof why);
                if (r == 0 && src_state && strcmp(src_state, "active") == 0) {
                        struct group_units su;
                        group_units_read(here ? peer : local, &g, grp, &su);
                        stop_timeline(&su, src);
                        group_units_done(&su);
                }
                if (r < 0) {
                        if (!here || !a->force) {
                                log_error("move failed at: stop %s on %s: %s. Nothing was started on %s; the group on %s "
                                          "may be partly stopped: see `tandem status` there.%s",
                                          target, src, why, dst, src,
                                          here ? " --force takes over anyway, fencing the peer." : "");
                                ret = EXIT_NOT_STOPPED;
                                goto out;
                        }
                        printf("%s did not stop; --force: taking over, which fences it\n", src);
                        forced = true;
                }
        }
        /* 3. Forced: fence the peer first (here is the destination). */
        if (forced && g.fence.present && g.fence.peer_key != 0) {
                r = fence_peer(&g);
                if (r < 0) {
                        log_error("move --force failed at: fence %s: %s. Nothing was started here.", g.cluster.peer,
                                  fence_failure_words(r));
                        goto out;
                }
        }
        /* 4. Start it on the destination. */
        t0 = gs_now();
        usec_t rt0 = realtime_now();
        r = run_job(here ? local : peer, "StartUnit", target, dst, a->timeout, why, sizeof why);
        struct group_units u;
        group_units_read(here ? local : peer, &g, grp, &u);
        unit_timeline(&u, here ? t0 : 0);
        if (r < 0) {
                log_error("move failed at: start %s on %s: %s. The group is stopped on %s", target, dst, why, src);
                report_left_behind(&u, dst, here, rt0);
                group_units_done(&u);
                goto out;
        }
        group_units_done(&u);
        ret = EXIT_OK;
out:
        sd_bus_flush_close_unref(peer);
        sd_bus_flush_close_unref(local);
        cfg_group_done(&g);
        return ret;
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
