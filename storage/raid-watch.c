/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `tandem-raid watch`, one round at a time (include/tandem/raid.h): the
 * check, and what of it is worth saying, against the round before. The
 * program logs, prints and notifies systemd; the decisions are here, where
 * unit tests reach them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/raid.h"

void raid_round_done(struct raid_round *r) {
        if (!r)
                return;
        free(r->changes);
        raid_report_done(&r->previous);
        *r = (struct raid_round) {};
}

void raid_watch_done(struct raid_watch *w) {
        if (!w)
                return;
        raid_report_done(&w->last);
        *w = (struct raid_watch) {};
}

/* The devices to log: every one when first (nothing known before), else
 * the changed ones and those that are gone. */
static int find_changes(const struct raid_report *prev, const struct raid_report *cur, bool first,
                        struct raid_round *ret) {
        struct raid_change *v = calloc(cur->n + (first ? 0 : prev->n) + 1, sizeof *v);
        size_t n = 0;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < cur->n; i++) {
                enum health before;
                if (raid_health_changed(first ? NULL : prev, &cur->results[i], &before))
                        v[n++] = (struct raid_change) { .result = &cur->results[i], .before = before };
        }
        for (size_t i = 0; !first && i < prev->n; i++)
                if (!raid_report_find(cur, prev->results[i].device))
                        v[n++] = (struct raid_change) {
                                .result = &prev->results[i], .before = prev->results[i].health, .gone = true,
                        };
        ret->changes = v;
        ret->n_changes = n;
        return 0;
}

int raid_watch_round(struct raid_watch *w, const struct raid_ctx *ctx, char *const *devs, size_t n,
                     struct raid_round *ret) {
        struct raid_report cur = {};
        struct raid_round rd = { .round = ++w->round };

        int r = raid_check(ctx, devs, n, &cur);
        bool first = rd.round == 1 || w->last_error != 0;
        if (r == 0 && (r = find_changes(&w->last, &cur, first, &rd)) < 0)
                raid_report_done(&cur);
        if (r < 0) {
                rd.error = r;
                rd.error_new = r != w->last_error;
                w->last_error = r;
                snprintf(rd.status, sizeof rd.status, "cannot check: %s", strerror(-r));
                *ret = rd;
                return r;
        }
        rd.recovered = w->last_error != 0;
        rd.nothing_to_check = cur.n == 0 && (rd.round == 1 || w->last.n > 0 || w->last_error != 0);
        rd.changed = rd.round == 1 || cur.n != w->last.n;
        for (size_t i = 0; i < cur.n && !rd.changed; i++)
                rd.changed = raid_health_changed(&w->last, &cur.results[i], NULL);
        w->last_error = 0;
        raid_report_status(&cur, rd.status, sizeof rd.status);
        rd.previous = w->last;
        w->last = cur;
        rd.report = &w->last;
        *ret = rd;
        return 0;
}
