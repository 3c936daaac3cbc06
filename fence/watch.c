/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One round of the self-fence watch (I4): the decision, apart from the
 * loop, the notifications and the stop, which belong to the program. */
#include <errno.h>
#include <stdlib.h>

#include "tandem/fence.h"

/* Reads the keys of device i, reopening it once when its session broke
 * (an iSCSI target restarted): the new session's registration is not made
 * here, so a fenced node cannot come back this way (I7). Returns 1 when our
 * key is there, 0 when not, or -errno. */
static int read_one(struct fence *f, size_t i, const struct pr_open_args *reopen, struct pr_status *st) {
        struct pr_keys keys = {};
        int r = pr_read_keys(f->devs[i], &keys, st);
        if (reopen && (r == -ENOTCONN || r == -ECONNRESET || r == -ETIMEDOUT)) {
                struct pr_dev *n = NULL;
                char *why = NULL;
                if (pr_dev_open(f->devs[i]->name, reopen, &n, &why) == 0) {
                        pr_dev_close(f->devs[i]);
                        f->devs[i] = n;
                        r = pr_read_keys(f->devs[i], &keys, st);
                }
                free(why);
        }
        if (r < 0)
                return r;
        r = pr_keys_contain(&keys, f->key);
        pr_keys_done(&keys);
        return r;
}

int fence_watch_round(struct fence *f, const struct fence_watch_opts *o, struct fence_watch_result *ret) {
        unsigned tries = o && o->tries ? o->tries : 3;
        struct fence_watch_result res = {};

        for (size_t i = 0; i < f->n; i++) {
                struct pr_status st = {};
                int r = -EIO;
                for (unsigned attempt = 0; attempt < tries; attempt++) {
                        r = read_one(f, i, o ? o->reopen : NULL, &st);
                        if (r >= 0)
                                break;
                        res.error = r;
                        res.device = i;
                        if (attempt + 1 < tries) {
                                res.retries++;
                                if (o && o->sleep)
                                        o->sleep(o->retry_wait);
                        }
                }
                if (r <= 0) {
                        res.device = i;
                        if (ret)
                                *ret = res;
                        return r == 0 ? 1 : r;
                }
        }
        if (ret)
                *ret = res;
        return 0;
}
