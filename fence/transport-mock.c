/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A scripted transport for unit tests of the fence logic. Each command must
 * match the next step's opcode and service action; the step's answer comes
 * back. A command past the end of the script, or one that does not match,
 * answers -EPROTO, so a test sees any unexpected command as a failure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/scsi-exec.h"

struct mock {
        const struct mock_step *steps;
        size_t n, used;
        uint8_t last_params[PR_OUT_PARAM_LEN];
        bool have_params;
};

static int mock_exec(struct pr_dev *d, const struct scsi_cmd *c, struct scsi_reply *reply) {
        struct mock *m = d->priv;
        if (m->used >= m->n)
                return -EPROTO;
        const struct mock_step *s = &m->steps[m->used];
        uint8_t sa = c->cdb[0] == 0x12 ? c->cdb[2] : (uint8_t) (c->cdb[1] & 0x1f);
        if (c->cdb[0] != s->opcode || sa != s->sa)
                return -EPROTO;
        m->used++;
        if (c->cdb[0] == PR_OUT_OPCODE && c->len == PR_OUT_PARAM_LEN) {
                memcpy(m->last_params, c->buf, PR_OUT_PARAM_LEN);
                m->have_params = true;
        }
        if (s->ret < 0)
                return s->ret;
        reply->status = s->status;
        if (s->sense_len > 0) {
                reply->sense_len = s->sense_len < SCSI_SENSE_MAX ? s->sense_len : SCSI_SENSE_MAX;
                memcpy(reply->sense, s->sense, reply->sense_len);
        }
        if (c->dir == SCSI_DIR_IN && s->data) {
                size_t n = s->data_len < c->len ? s->data_len : c->len;
                memcpy(c->buf, s->data, n);
                reply->transferred = n;
        }
        return 0;
}

static void mock_close(struct pr_dev *d) {
        free(d->priv);
}

static const struct scsi_exec_ops mock_ops = {
        .name = "mock",
        .exec = mock_exec,
        .close = mock_close,
};

int mock_open(const char *name, const char *identity, const struct mock_step *steps, size_t n,
              bool session_bound, struct pr_dev **ret) {
        struct pr_dev *d = scsi_dev_new(&mock_ops, name, NULL);
        struct mock *m = calloc(1, sizeof *m);
        if (!d || !m || !(d->identity = strdup(identity))) {
                free(m);
                pr_dev_close(d);
                return -ENOMEM;
        }
        *m = (struct mock) { .steps = steps, .n = n };
        d->priv = m;
        d->session_bound = session_bound;
        *ret = d;
        return 0;
}

size_t mock_steps_used(const struct pr_dev *d) {
        return ((const struct mock *) d->priv)->used;
}

const uint8_t *mock_last_params(const struct pr_dev *d) {
        const struct mock *m = d->priv;
        return m->have_params ? m->last_params : NULL;
}
