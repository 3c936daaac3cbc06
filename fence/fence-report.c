/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "tandem/config.h"
#include "tandem/fence-report.h"
#include "tandem/cli.h"
#include "tandem/key.h"
#include "tandem/msgid.h"

void fence_report_print(const struct fence *f, const char *cmd, int r, bool json) {
        if (!json) {
                for (size_t i = 0; i < f->report.n; i++) {
                        const struct fence_step *s = &f->report.steps[i];
                        printf("%-7s %s: %s\n", s->error ? "FAILED" : s->warning ? "WARNING" : "ok", s->device,
                               s->action ? s->action : "");
                }
                return;
        }
        struct json_object *o = json_object_new_object(), *a = json_object_new_array();
        json_object_object_add(o, "command", json_object_new_string(cmd));
        json_object_object_add(o, "ok", json_object_new_boolean(r == 0));
        if (r < 0)
                json_object_object_add(o, "error", json_object_new_string(strerror(-r)));
        for (size_t i = 0; i < f->report.n; i++) {
                const struct fence_step *s = &f->report.steps[i];
                struct json_object *x = json_object_new_object();
                json_object_object_add(x, "device", json_object_new_string(s->device));
                json_object_object_add(x, "action", json_object_new_string(s->action ? s->action : ""));
                json_object_object_add(x, "ok", json_object_new_boolean(s->error == 0));
                json_object_object_add(x, "warning", json_object_new_boolean(s->warning));
                json_object_array_add(a, x);
        }
        json_object_object_add(o, "steps", a);
        (void) out_json_print(o);
        json_object_put(o);
}

#define EXTRA_MAX 8

void fence_report_log(const struct fence *f, const char *cmd, const struct log_field *extra, size_t n_extra,
                      bool console) {
        char kb[KEY_STRING_MAX];
        struct log_field fields[3 + EXTRA_MAX] = {
                { "TANDEM_COMMAND", cmd },
                { "TANDEM_DEVICE", NULL },
                { "TANDEM_KEY", key_format(f->key, kb) },
        };
        size_t n = 3;
        for (size_t i = 0; i < n_extra && i < EXTRA_MAX; i++)
                fields[n++] = extra[i];
        for (size_t i = 0; i < f->report.n; i++) {
                const struct fence_step *s = &f->report.steps[i];
                int level = s->error ? LOG_ERR : s->warning ? LOG_WARNING : LOG_NOTICE;
                const char *id = s->error ? MSGID_FENCE_FAILED : MSGID_FENCE_ACTION;
                fields[1].value = s->device;
                if (console)
                        log_struct(level, s->error, id, fields, n, "%s %s: %s", cmd, s->device, s->action ?: "");
                else
                        log_journal(level, s->error, id, fields, n, "%s %s: %s", cmd, s->device, s->action ?: "");
        }
}

const char *fence_key_owner(const struct cfg_group *g, uint64_t self, uint64_t peer, uint64_t k) {
        if (k == self)
                return g && g->cluster.node ? g->cluster.node : "this node";
        if (peer != 0 && k == peer)
                return g && g->cluster.peer ? g->cluster.peer : "peer";
        return NULL;
}

char *fence_key_describe(const struct cfg_group *g, uint64_t self, uint64_t peer, uint64_t k, char *buf, size_t n) {
        char kb[KEY_STRING_MAX];
        const char *who = fence_key_owner(g, self, peer, k);
        bool named = who && strcmp(who, "this node") != 0 && strcmp(who, "peer") != 0;
        if (!who)
                snprintf(buf, n, "%s", key_format(k, kb));
        else if (named)
                snprintf(buf, n, "%s (%s, %s)", key_format(k, kb), who, k == self ? "this node" : "peer");
        else
                snprintf(buf, n, "%s (%s)", key_format(k, kb), who);
        return buf;
}

unsigned fence_key_registrations(const struct pr_keys *keys, uint32_t i) {
        unsigned n = 0;
        for (uint32_t j = 0; j < keys->n_keys; j++)
                if (keys->keys[j] == keys->keys[i]) {
                        if (j < i)
                                return 0;
                        n++;
                }
        return n;
}

static struct json_object *jstr(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

struct json_object *fence_dev_json(const char *device, const char *identity, int error, const char *reason,
                                   const struct pr_keys *keys, const struct pr_reservation *res, bool registered,
                                   bool holder, const struct cfg_group *g, uint64_t self, uint64_t peer) {
        struct json_object *x = json_object_new_object();
        char kb[KEY_STRING_MAX];
        if (!x)
                return NULL;
        json_object_object_add(x, "device", jstr(device));
        json_object_object_add(x, "identity", jstr(identity));
        json_object_object_add(x, "error", error < 0 ? jstr(reason ? reason : strerror(-error)) : NULL);
        if (error < 0)
                return x;
        json_object_object_add(x, "generation", json_object_new_int64(keys->generation));
        struct json_object *ks = json_object_new_array();
        for (uint32_t k = 0; k < keys->n_keys; k++) {
                unsigned count = fence_key_registrations(keys, k);
                if (count == 0)
                        continue; /* listed with its first copy */
                struct json_object *y = json_object_new_object();
                json_object_object_add(y, "key", jstr(key_format(keys->keys[k], kb)));
                json_object_object_add(y, "node", jstr(fence_key_owner(g, self, peer, keys->keys[k])));
                json_object_object_add(y, "self", json_object_new_boolean(keys->keys[k] == self));
                json_object_object_add(y, "registrations", json_object_new_int((int) count));
                json_object_array_add(ks, y);
        }
        json_object_object_add(x, "keys", ks);
        json_object_object_add(x, "holder", res->held ? jstr(key_format(res->key, kb)) : NULL);
        json_object_object_add(x, "type", res->held ? jstr(pr_type_to_string(res->type) ?: "unknown") : NULL);
        json_object_object_add(x, "registered", json_object_new_boolean(registered));
        json_object_object_add(x, "we_hold", json_object_new_boolean(holder));
        json_object_object_add(x, "holder_node", res->held ? jstr(fence_key_owner(g, self, peer, res->key)) : NULL);
        return x;
}

void fence_status_print(FILE *out, const struct fence *f, const struct fence_dev_status *st, int r,
                        const struct cfg_group *g, uint64_t peer) {
        char buf[128];
        for (size_t i = 0; i < f->n; i++) {
                fprintf(out, "%s (%s)\n", st[i].device, st[i].identity);
                if (st[i].error < 0) {
                        fprintf(out, "  error: %s\n", strerror(-st[i].error));
                        continue;
                }
                fprintf(out, "  generation  %u\n", st[i].keys.generation);
                fprintf(out, "  keys       ");
                if (st[i].keys.n_keys == 0)
                        fprintf(out, " none");
                for (uint32_t k = 0; k < st[i].keys.n_keys; k++) {
                        unsigned count = fence_key_registrations(&st[i].keys, k);
                        if (count == 0)
                                continue;
                        fprintf(out, " %s", fence_key_describe(g, f->key, peer, st[i].keys.keys[k], buf, sizeof buf));
                        if (count > 1)
                                fprintf(out, " x%u", count);
                }
                fprintf(out, "\n  holder      %s\n",
                       st[i].res.held ? fence_key_describe(g, f->key, peer, st[i].res.key, buf, sizeof buf) : "none");
                if (st[i].res.held)
                        fprintf(out, "  type        %s\n", pr_type_to_string(st[i].res.type) ?: "unknown");
                fprintf(out, "  we hold it  %s\n", st[i].holder ? "yes" : "no");
        }
        for (size_t i = 0; i < f->report.n; i++)
                if (f->report.steps[i].error)
                        fprintf(out, "FAILED %s: %s\n", f->report.steps[i].device, f->report.steps[i].action);
        fprintf(out, "%s\n", r == 0 ? "this node holds the reservation on every device"
                       : r > 0 ? "this node does not hold the reservation on every device"
                               : "some devices could not be read");
}

bool fence_check_device(struct pr_dev *d, enum pr_type type, char *verdict, size_t n) {
        struct pr_capabilities c = {};
        struct pr_status st;
        char buf[160];
        int r = pr_report_capabilities(d, &c, &st);
        if (r == -EOPNOTSUPP)
                snprintf(verdict, n, "no persistent reservations (REPORT CAPABILITIES refused: %s); tandem cannot fence it",
                         pr_status_describe(&st, r, buf, sizeof buf));
        else if (r < 0)
                snprintf(verdict, n, "cannot tell: %s", pr_status_describe(&st, r, buf, sizeof buf));
        else if (!pr_capabilities_has_type(&c, type))
                snprintf(verdict, n, "supports persistent reservations, but not %s", pr_type_to_string(type));
        else {
                snprintf(verdict, n, "supports persistent reservations and %s%s%s", pr_type_to_string(type),
                         c.ptpl_c ? "; can persist through power loss (APTPL)" : "",
                         c.tmv ? "" : " (the device does not list its types)");
                return true;
        }
        return false;
}
