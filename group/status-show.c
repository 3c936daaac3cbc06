/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A node's view of its group as `tandem status` shows it, in text or JSON
 * (one schema; the fence devices in fence_dev_json()'s). */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "tandem/fence-report.h"
#include "tandem/group-status.h"
#include "tandem/key.h"
#include "tandem/pr-type.h"

static double secs(usec_t u) {
        return (double) u / USEC_PER_SEC;
}

static const char *tri(enum gs_tri t, const char *yes, const char *no) {
        return t == GS_YES ? yes : t == GS_NO ? no : "unknown";
}

void gs_status_print(FILE *out, const struct cfg_group *g, const struct gs_status *s) {
        char kb[KEY_STRING_MAX];

        fprintf(out, "group       %s (%s)\n", g->path, g->cluster.name);
        fprintf(out, "node        %s%s%s\n", g->cluster.node, g->cluster.peer ? ", peer " : "",
               g->cluster.peer ? g->cluster.peer : "");
        fprintf(out, "role        %s: %s\n", gs_role_to_string(s->role), s->role_reason ? s->role_reason : "");
        if (s->fenced)
                fprintf(out, "\nfence       %zu device%s, our key %s\n", s->n_fence, s->n_fence == 1 ? "" : "s",
                       key_format(g->fence.key, kb));
        else
                fprintf(out, "\nfence       unfenced (no [fence] section)\n");
        for (size_t i = 0; i < s->n_fence; i++) {
                const struct gs_fence_dev *d = &s->fence[i];
                fprintf(out, "  %s%s%s%s\n", d->device, d->identity ? " (" : "", d->identity ? d->identity : "",
                       d->identity ? ")" : "");
                if (d->error < 0) {
                        fprintf(out, "    error: %s\n", d->reason ? d->reason : strerror(-d->error));
                        continue;
                }
                if (d->res.held) {
                        const char *who = fence_key_owner(g, g->fence.key, g->fence.peer_key, d->res.key);
                        fprintf(out, "    holder: %s%s%s%s  type %s\n", key_format(d->res.key, kb), who ? " (" : "",
                               who ? who : "", who ? ")" : "", pr_type_to_string(d->res.type) ?: "unknown");
                } else
                        fprintf(out, "    holder: none\n");
                fprintf(out, "    keys:  ");
                if (d->keys.n_keys == 0)
                        fprintf(out, " none");
                for (uint32_t k = 0; k < d->keys.n_keys; k++) {
                        bool dup = false;
                        for (uint32_t j = 0; j < k; j++)
                                dup = dup || d->keys.keys[j] == d->keys.keys[k];
                        if (dup)
                                continue;
                        const char *who = fence_key_owner(g, g->fence.key, g->fence.peer_key, d->keys.keys[k]);
                        fprintf(out, " %s%s%s%s", key_format(d->keys.keys[k], kb), who ? " (" : "", who ? who : "",
                               who ? ")" : "");
                }
                fprintf(out, "\n");
        }
        if (s->raid_present) {
                fprintf(out, "\nraid        %s%s%s\n", health_to_string(s->raid_health), s->raid_error ? ": " : "",
                       s->raid_error ? strerror(-s->raid_error) : "");
                for (size_t i = 0; i < s->n_raid; i++)
                        fprintf(out, "  %s: %s: %s\n", s->raid[i].device, health_to_string(s->raid[i].health),
                               s->raid[i].reason ? s->raid[i].reason : "");
        }
        if (s->volume_present) {
                fprintf(out, "\nvolume      %s on %s: ", g->volume.device, g->volume.mountpoint);
                if (s->volume_error < 0)
                        fprintf(out, "unknown: %s\n", s->volume_reason ? s->volume_reason : strerror(-s->volume_error));
                else if (s->volume_mounted)
                        fprintf(out, "mounted %s%s%s\n", s->volume_read_only ? "read-only" : "read-write",
                               s->volume_devname ? " from " : "", s->volume_devname ? s->volume_devname : "");
                else
                        fprintf(out, "not mounted%s%s%s%s%s\n", s->volume_where ? " (" : "",
                               s->volume_where ? s->volume_state : "", s->volume_where ? ": " : "",
                               s->volume_where ? s->volume_where : "", s->volume_where ? ")" : "");
                if (!s->volume_mounted && s->volume_reason && s->volume_error == 0)
                        fprintf(out, "  %s\n", s->volume_reason);
        }
        if (s->address_present)
                fprintf(out, "address     %s on %s: %s%s%s\n", g->service.address,
                       g->service.interface ? g->service.interface : "?", tri(s->address_up, "up", "down"),
                       s->address_error ? ": " : "", s->address_error ? strerror(-s->address_error) : "");
        if (s->service_present)
                fprintf(out, "service     %s: %s%s%s\n", g->service.unit, s->service_state ? s->service_state : "unknown",
                       s->service_reason ? ": " : "", s->service_reason ? s->service_reason : "");
        if (s->peer_present) {
                const char *pa = g->cluster.peer_address ? g->cluster.peer_address : g->cluster.peer;
                if (s->peer_reachable == GS_YES)
                        fprintf(out, "peer        %s: reachable (TCP port 22 answered in %.3fs)\n", pa, secs(s->peer_rtt));
                else
                        fprintf(out, "peer        %s: not reachable (TCP port 22: %s)\n", pa, strerror(-s->peer_error));
        }
}

static struct json_object *jstr(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

struct json_object *gs_status_json(const struct cfg_group *g, const struct gs_status *s) {
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
                json_object_array_add(a, fence_dev_json(d->device, d->identity, d->error, d->reason, &d->keys, &d->res,
                                                        d->registered, d->holder, g, g->fence.key, g->fence.peer_key));
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

