/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A group's config as `tandem config` shows it: every key with its value,
 * defaults and derived keys marked, in text or JSON. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "tandem/config-show.h"
#include "tandem/key.h"
#include "tandem/pr-type.h"

static const char *src_note(enum cfg_source s, const char *what) {
        switch (s) {
        case CFG_SOURCE_DEFAULT:
                return what;
        default:
                return NULL;
        }
}

static void print_kv(FILE *out, const char *k, const char *v, const char *note) {
        if (!v)
                return;
        if (note)
                fprintf(out, "%-15s= %-34s # %s\n", k, v, note);
        else
                fprintf(out, "%-15s= %s\n", k, v);
}

static void print_list(FILE *out, const char *k, char *const *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                fprintf(out, "%-15s%s %s\n", i == 0 ? k : "", i == 0 ? "=" : " ", v[i]);
}

void cfg_group_print(FILE *out, const struct cfg_group *g) {
        char buf[64], kb[KEY_STRING_MAX], note[256];

        fprintf(out, "# %s: valid\n", g->path);
        fprintf(out, "[cluster]\n");
        print_kv(out, "name", g->cluster.name, NULL);
        print_kv(out, "node", g->cluster.node, src_note(g->cluster.node_source, "default: the host name"));
        print_kv(out, "peer", g->cluster.peer, NULL);
        if (!g->cluster.peer)
                fprintf(out, "# peer is not set: takeover and move need it\n");
        print_kv(out, "peer_address", g->cluster.peer_address,
                 src_note(g->cluster.peer_address_source, "default: the peer's name"));

        fprintf(out, "\n");
        if (!g->fence.present) {
                fprintf(out, "# no [fence] section: this group runs UNFENCED.\n"
                       "# Nothing stops both nodes from writing; the volume mounts with a warning.\n");
        } else {
                fprintf(out, "[fence]\n");
                print_list(out, "devices", g->fence.devices, g->fence.n_devices);
                print_kv(out, "type", pr_type_to_string(g->fence.type), NULL);
                snprintf(note, sizeof note, "derived from (%s, %s)", g->cluster.name, g->cluster.node);
                print_kv(out, "key", key_format(g->fence.key, kb),
                         g->fence.key_source == CFG_SOURCE_DERIVED ? note : NULL);
                if (g->fence.peer_key != 0) {
                        snprintf(note, sizeof note, "derived from (%s, %s)", g->cluster.name, g->cluster.peer);
                        print_kv(out, "peer_key", key_format(g->fence.peer_key, kb),
                                 g->fence.peer_key_source == CFG_SOURCE_DERIVED ? note : NULL);
                } else
                        fprintf(out, "# peer_key unknown: no peer is set\n");
                print_kv(out, "initiator", g->fence.initiator, NULL);
                print_kv(out, "aptpl", g->fence.aptpl ? "yes" : "no", NULL);
                print_kv(out, "timeout", cfg_format_duration(g->fence.timeout, buf, sizeof buf), NULL);
                print_kv(out, "watch_interval", cfg_format_duration(g->fence.watch_interval, buf, sizeof buf), NULL);
                print_kv(out, "takeover_wait", cfg_format_duration(g->fence.takeover_wait, buf, sizeof buf),
                         src_note(g->fence.takeover_wait_source == CFG_SOURCE_DERIVED ? CFG_SOURCE_DEFAULT : CFG_SOURCE_FILE,
                                  "auto: 2 x watch_interval + 2 x timeout"));
                print_kv(out, "grace", cfg_format_duration(g->fence.grace, buf, sizeof buf),
                         src_note(g->fence.grace_source == CFG_SOURCE_DERIVED ? CFG_SOURCE_DEFAULT : CFG_SOURCE_FILE,
                                  "auto: 2 x watch_interval + timeout"));
                print_kv(out, "drain", cfg_format_duration(g->fence.drain, buf, sizeof buf), NULL);
                print_kv(out, "on_fenced", cfg_on_fenced_to_string(g->fence.on_fenced), NULL);
        }
        if (g->raid.present) {
                fprintf(out, "\n[raid]\n");
                print_list(out, "devices", g->raid.devices, g->raid.n_devices);
                print_kv(out, "on_degraded", cfg_on_degraded_to_string(g->raid.on_degraded), NULL);
        }
        if (g->volume.present) {
                fprintf(out, "\n[volume]\n");
                print_kv(out, "device", g->volume.device, NULL);
                print_kv(out, "fstype", g->volume.fstype, NULL);
                print_kv(out, "mountpoint", g->volume.mountpoint, NULL);
                print_kv(out, "options", g->volume.options, NULL);
                print_kv(out, "fsck", cfg_fsck_to_string(g->volume.fsck), NULL);
                print_kv(out, "stop_timeout", cfg_format_duration(g->volume.stop_timeout, buf, sizeof buf), NULL);
        }
        if (g->service.present) {
                fprintf(out, "\n[service]\n");
                print_kv(out, "unit", g->service.unit, NULL);
                print_kv(out, "address", g->service.address, NULL);
                print_kv(out, "interface", g->service.interface, NULL);
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

struct json_object *cfg_group_json(const struct cfg_group *g, bool valid) {
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
                add_duration(s, "takeover_wait", g->fence.takeover_wait);
                add_duration(s, "grace", g->fence.grace);
                add_duration(s, "drain", g->fence.drain);
                add_str(s, "on_fenced", cfg_on_fenced_to_string(g->fence.on_fenced));
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

