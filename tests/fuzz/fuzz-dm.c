/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the dm status verdicts on arbitrary text. The first
 * byte picks the parser (raid, mirror, multipath, or a whole "start length
 * type params" line); the rest is the status. No input may crash them,
 * read past the string, leak, or give an answer that contradicts itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "tandem/dm-health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct dmh_status *s) {
        if (s->health < 0 || s->health >= _HEALTH_MAX || !memchr(s->reason, 0, sizeof s->reason))
                abort();
        if (s->n_dead > s->n_legs || s->n_active_paths > s->n_paths || s->sync_done > s->sync_total ||
            s->sync_percent > 100)
                abort();
        for (size_t i = 0; i < s->n_paths; i++)
                if (s->paths[i].group < 1 || s->paths[i].group > s->n_groups)
                        abort();
        struct json_object *o = dmh_status_to_json(s);
        if (!o)
                abort();
        json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        /* A NUL-terminated copy of exactly the right size, so ASan sees overreads. */
        size_t len = size - 1;
        char *text = malloc(len + 1);
        if (!text)
                return 0;
        memcpy(text, data + 1, len);
        text[len] = 0;

        struct dmh_status s = {};
        int r;
        switch (data[0] % 4) {
        case 0:
                r = dmh_raid_status(text, &s);
                break;
        case 1:
                r = dmh_mirror_status(text, &s);
                break;
        case 2:
                r = dmh_multipath_status(text, &s);
                break;
        default:
                r = dmh_status_line(text, NULL, NULL, &s);
                break;
        }
        if (r == 0) {
                check(&s);
                dmh_status_done(&s);
        } else if (r != -EBADMSG && r != -EOPNOTSUPP && r != -ENOMEM) {
                abort();
        }
        free(text);
        return 0;
}
