/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SCSI persistent reservations: CDBs, parameter lists, PR IN data and sense
 * data (SPC-4 6.16 PERSISTENT RESERVE IN, 6.17 PERSISTENT RESERVE OUT, 4.5
 * sense data). Pure: no I/O here. Every length a device sends is checked
 * against the buffer before anything is read. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/macro.h"
#include "tandem/pr.h"
#include "tandem/unaligned.h"

static bool type_valid(enum pr_type t) {
        return t == PR_TYPE_WRITE_EXCLUSIVE || t == PR_TYPE_EXCLUSIVE_ACCESS ||
               t == PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY || t == PR_TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY ||
               t == PR_TYPE_WRITE_EXCLUSIVE_ALL_REGISTRANTS || t == PR_TYPE_EXCLUSIVE_ACCESS_ALL_REGISTRANTS;
}

int pr_out_cdb(uint8_t cdb[static PR_CDB_LEN], enum pr_out_sa sa, enum pr_type type, uint32_t param_len) {
        bool uses_type;

        switch (sa) {
        case PR_OUT_REGISTER:
        case PR_OUT_REGISTER_AND_IGNORE:
        case PR_OUT_CLEAR:
                uses_type = false; /* SPC-4 6.17.1: TYPE is ignored; send 0 */
                break;
        case PR_OUT_RESERVE:
        case PR_OUT_RELEASE:
        case PR_OUT_PREEMPT:
        case PR_OUT_PREEMPT_AND_ABORT:
                uses_type = true;
                break;
        default:
                return -EINVAL;
        }
        if (uses_type && !type_valid(type))
                return -EINVAL;
        memset(cdb, 0, PR_CDB_LEN);
        cdb[0] = PR_OUT_OPCODE;
        cdb[1] = (uint8_t) sa & 0x1f;
        cdb[2] = uses_type ? (uint8_t) type & 0x0f : 0; /* SCOPE 0: LU_SCOPE */
        put_be32(cdb + 5, param_len);
        return 0;
}

int pr_out_params(uint8_t p[static PR_OUT_PARAM_LEN], uint64_t key, uint64_t sa_key, unsigned flags) {
        if (flags & ~(unsigned) (PR_FLAG_APTPL | PR_FLAG_ALL_TG_PT))
                return -EINVAL;
        memset(p, 0, PR_OUT_PARAM_LEN);
        put_be64(p, key);
        put_be64(p + 8, sa_key);
        p[20] = (uint8_t) flags;
        return 0;
}

int pr_in_cdb(uint8_t cdb[static PR_CDB_LEN], enum pr_in_sa sa, uint16_t alloc_len) {
        if (sa < 0 || sa >= _PR_IN_SA_MAX)
                return -EINVAL;
        memset(cdb, 0, PR_CDB_LEN);
        cdb[0] = PR_IN_OPCODE;
        cdb[1] = (uint8_t) sa & 0x1f;
        put_be16(cdb + 7, alloc_len);
        return 0;
}

/* PR IN READ KEYS (SPC-4 6.16.2): generation, ADDITIONAL LENGTH, keys. */
int pr_decode_read_keys(const uint8_t *buf, size_t len, struct pr_keys *ret) {
        if (!buf || !ret || len < 8)
                return -EBADMSG;
        uint32_t gen = get_be32(buf), add = get_be32(buf + 4);
        if (add % 8 != 0)
                return -EBADMSG; /* a key list is whole 8-byte keys */
        size_t avail = (len - 8) / 8, total = add / 8;
        size_t n = total < avail ? total : avail;
        uint64_t *keys = NULL;
        if (n > 0) {
                keys = calloc(n, sizeof *keys);
                if (!keys)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++)
                        keys[i] = get_be64(buf + 8 + 8 * i);
        }
        *ret = (struct pr_keys) {
                .generation = gen,
                .n_keys = (uint32_t) n,
                .n_keys_total = (uint32_t) total,
                .keys = keys,
        };
        return 0;
}

/* PR IN READ RESERVATION (SPC-4 6.16.3): ADDITIONAL LENGTH is 0 or 16. */
int pr_decode_read_reservation(const uint8_t *buf, size_t len, struct pr_reservation *ret) {
        if (!buf || !ret || len < 8)
                return -EBADMSG;
        uint32_t gen = get_be32(buf), add = get_be32(buf + 4);
        struct pr_reservation r = { .generation = gen };
        if (add == 0) {
                *ret = r;
                return 0;
        }
        if (add != 16 || len < 24)
                return -EBADMSG;
        r.held = true;
        r.key = get_be64(buf + 8);
        r.scope = buf[21] >> 4;
        r.type = (enum pr_type) (buf[21] & 0x0f);
        *ret = r;
        return 0;
}

/* PR IN REPORT CAPABILITIES (SPC-4 6.16.4): LENGTH is 8. */
int pr_decode_report_capabilities(const uint8_t *buf, size_t len, struct pr_capabilities *ret) {
        if (!buf || !ret || len < 8 || get_be16(buf) < 8)
                return -EBADMSG;
        *ret = (struct pr_capabilities) {
                .crh = buf[2] & 0x10,
                .sip_c = buf[2] & 0x08,
                .atp_c = buf[2] & 0x04,
                .ptpl_c = buf[2] & 0x01,
                .tmv = buf[3] & 0x80,
                .allow_commands = (buf[3] >> 4) & 0x07,
                .ptpl_a = buf[3] & 0x01,
                /* SPC-4 table 169: byte 4 bit 7 WR_EX_AR (type 7), bit 6
                 * EX_AC_RO (6), bit 5 WR_EX_RO (5), bit 3 EX_AC (3), bit 1
                 * WR_EX (1); byte 5 bit 0 EX_AC_AR (8). */
                .type_mask = (uint16_t) ((buf[4] & 0x80 ? 1u << 7 : 0) | (buf[4] & 0x40 ? 1u << 6 : 0) |
                                         (buf[4] & 0x20 ? 1u << 5 : 0) | (buf[4] & 0x08 ? 1u << 3 : 0) |
                                         (buf[4] & 0x02 ? 1u << 1 : 0) | (buf[5] & 0x01 ? 1u << 8 : 0)),
        };
        return 0;
}

bool pr_capabilities_has_type(const struct pr_capabilities *c, enum pr_type t) {
        if (!c->tmv)
                return true;
        return t > 0 && t < 16 && (c->type_mask & (1u << t));
}

/* PR IN READ FULL STATUS (SPC-4 6.16.5): descriptors of 24 bytes plus a
 * TransportID of ADDITIONAL DESCRIPTOR LENGTH bytes each. */
int pr_decode_read_full_status(const uint8_t *buf, size_t len, struct pr_full_status *ret) {
        if (!buf || !ret || len < 8)
                return -EBADMSG;
        uint32_t gen = get_be32(buf), add = get_be32(buf + 4);
        size_t end = (size_t) add + 8 < len ? (size_t) add + 8 : len;
        bool truncated = (size_t) add + 8 > len;
        struct pr_full_status_entry *e = NULL;
        size_t n = 0, off = 8;

        while (off < end) {
                if (end - off < 24) {
                        if (!truncated)
                                goto bad; /* the device's own length cuts a descriptor */
                        break;
                }
                const uint8_t *d = buf + off;
                uint32_t tid = get_be32(d + 20);
                if (tid > end - off - 24) {
                        if (!truncated || tid > add)
                                goto bad;
                        break;
                }
                struct pr_full_status_entry *ne = realloc(e, (n + 1) * sizeof *e);
                if (!ne) {
                        free(e);
                        return -ENOMEM;
                }
                e = ne;
                e[n++] = (struct pr_full_status_entry) {
                        .key = get_be64(d),
                        .all_tg_pt = d[12] & 0x02,
                        .holder = d[12] & 0x01,
                        .scope = d[13] >> 4,
                        .type = d[13] & 0x0f,
                        .rel_tgt_port = get_be16(d + 18),
                        .transport_id_len = tid,
                };
                off += 24 + (size_t) tid;
        }
        *ret = (struct pr_full_status) { .generation = gen, .n = n, .truncated = truncated, .e = e };
        return 0;
bad:
        free(e);
        return -EBADMSG;
}

void pr_keys_done(struct pr_keys *k) {
        if (!k)
                return;
        free(k->keys);
        *k = (struct pr_keys) {};
}

void pr_full_status_done(struct pr_full_status *s) {
        if (!s)
                return;
        free(s->e);
        *s = (struct pr_full_status) {};
}

/* ---------------------------------------------------------------- sense */

/* SPC-4 4.5: fixed format 70h/71h (key in byte 2, ADDITIONAL SENSE LENGTH
 * in byte 7, ASC/ASCQ in bytes 12/13); descriptor format 72h/73h (key,
 * ASC, ASCQ in bytes 1-3). */
int sense_decode(const uint8_t *buf, size_t len, struct sense *ret) {
        if (!buf || !ret || len < 1)
                return -EBADMSG;
        uint8_t code = buf[0] & 0x7f;
        struct sense s = { .deferred = code == 0x71 || code == 0x73 };

        switch (code) {
        case 0x70:
        case 0x71:
                if (len < 3)
                        return -EBADMSG;
                s.key = buf[2] & 0x0f;
                if (len >= 8) {
                        size_t have = 8 + (size_t) buf[7];
                        if (have > len)
                                have = len;
                        if (have >= 14) {
                                s.asc = buf[12];
                                s.ascq = buf[13];
                        } else if (have >= 13)
                                s.asc = buf[12];
                }
                break;
        case 0x72:
        case 0x73:
                if (len < 4)
                        return -EBADMSG;
                s.descriptor = true;
                s.key = buf[1] & 0x0f;
                s.asc = buf[2];
                s.ascq = buf[3];
                break;
        default:
                return -EBADMSG;
        }
        *ret = s;
        return 0;
}

enum pr_outcome pr_classify(uint8_t status, const uint8_t *sense, size_t sense_len) {
        struct sense s;

        switch (status) {
        case SAM_STAT_GOOD:
                return PR_OUTCOME_OK;
        case SAM_STAT_RESERVATION_CONFLICT:
                return PR_OUTCOME_RESERVATION_CONFLICT;
        case SAM_STAT_BUSY:
        case SAM_STAT_TASK_SET_FULL:
                return PR_OUTCOME_BUSY;
        case SAM_STAT_CHECK_CONDITION:
                break;
        default:
                return PR_OUTCOME_OTHER;
        }
        if (!sense || sense_decode(sense, sense_len, &s) < 0)
                return PR_OUTCOME_OTHER;
        switch (s.key) {
        case SENSE_UNIT_ATTENTION:
                if (s.asc == 0x29)
                        return PR_OUTCOME_UA_RESET;
                if (s.asc == 0x2a && s.ascq == 0x03)
                        return PR_OUTCOME_UA_RESERVATIONS_PREEMPTED;
                if (s.asc == 0x2a && s.ascq == 0x04)
                        return PR_OUTCOME_UA_RESERVATIONS_RELEASED;
                if (s.asc == 0x2a && s.ascq == 0x05)
                        return PR_OUTCOME_UA_REGISTRATIONS_PREEMPTED;
                return PR_OUTCOME_UA_OTHER;
        case SENSE_NOT_READY:
                return PR_OUTCOME_NOT_READY;
        case SENSE_ILLEGAL_REQUEST:
                if ((s.asc == 0x24 || s.asc == 0x26) && s.ascq == 0x00)
                        return PR_OUTCOME_INVALID_FIELD;
                if (s.asc == 0x20 && s.ascq == 0x00)
                        return PR_OUTCOME_UNSUPPORTED;
                return PR_OUTCOME_ILLEGAL_REQUEST;
        default:
                return PR_OUTCOME_OTHER;
        }
}

bool pr_outcome_is_unit_attention(enum pr_outcome o) {
        return o == PR_OUTCOME_UA_RESET || o == PR_OUTCOME_UA_RESERVATIONS_PREEMPTED ||
               o == PR_OUTCOME_UA_RESERVATIONS_RELEASED || o == PR_OUTCOME_UA_REGISTRATIONS_PREEMPTED ||
               o == PR_OUTCOME_UA_OTHER;
}

const char *pr_outcome_to_string(enum pr_outcome o) {
        static const char *const t[_PR_OUTCOME_MAX] = {
                [PR_OUTCOME_OK] = "good",
                [PR_OUTCOME_RESERVATION_CONFLICT] = "reservation conflict",
                [PR_OUTCOME_UA_RESET] = "unit attention: power on or reset",
                [PR_OUTCOME_UA_RESERVATIONS_PREEMPTED] = "unit attention: reservations preempted",
                [PR_OUTCOME_UA_RESERVATIONS_RELEASED] = "unit attention: reservations released",
                [PR_OUTCOME_UA_REGISTRATIONS_PREEMPTED] = "unit attention: registrations preempted",
                [PR_OUTCOME_UA_OTHER] = "unit attention",
                [PR_OUTCOME_NOT_READY] = "not ready",
                [PR_OUTCOME_INVALID_FIELD] = "illegal request: invalid field",
                [PR_OUTCOME_UNSUPPORTED] = "illegal request: command not supported",
                [PR_OUTCOME_ILLEGAL_REQUEST] = "illegal request",
                [PR_OUTCOME_BUSY] = "busy",
                [PR_OUTCOME_OTHER] = "error",
        };
        return o >= 0 && o < _PR_OUTCOME_MAX ? t[o] : NULL;
}

const char *pr_out_sa_to_string(enum pr_out_sa sa) {
        static const char *const t[_PR_OUT_SA_MAX] = {
                [PR_OUT_REGISTER] = "REGISTER",
                [PR_OUT_RESERVE] = "RESERVE",
                [PR_OUT_RELEASE] = "RELEASE",
                [PR_OUT_CLEAR] = "CLEAR",
                [PR_OUT_PREEMPT] = "PREEMPT",
                [PR_OUT_PREEMPT_AND_ABORT] = "PREEMPT AND ABORT",
                [PR_OUT_REGISTER_AND_IGNORE] = "REGISTER AND IGNORE EXISTING KEY",
        };
        return sa >= 0 && sa < _PR_OUT_SA_MAX ? t[sa] : NULL;
}
