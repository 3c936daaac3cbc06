/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

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
