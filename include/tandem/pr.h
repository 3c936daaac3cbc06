/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SCSI persistent reservations: the pure codec (SPC-4 6.16, 6.17, 4.5).
 * CDBs, parameter lists, PR IN data and sense data; no I/O here. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tandem/pr-type.h"

#define PR_OUT_OPCODE 0x5f
#define PR_IN_OPCODE 0x5e
#define PR_CDB_LEN 10
#define PR_OUT_PARAM_LEN 24
#define SAM_STAT_GOOD 0x00
#define SAM_STAT_CHECK_CONDITION 0x02
#define SAM_STAT_BUSY 0x08
#define SAM_STAT_RESERVATION_CONFLICT 0x18
#define SAM_STAT_TASK_SET_FULL 0x28

/* PERSISTENT RESERVE OUT service actions (SPC-4 table 175). */
enum pr_out_sa {
        PR_OUT_REGISTER = 0x00,
        PR_OUT_RESERVE = 0x01,
        PR_OUT_RELEASE = 0x02,
        PR_OUT_CLEAR = 0x03,
        PR_OUT_PREEMPT = 0x04,
        PR_OUT_PREEMPT_AND_ABORT = 0x05,
        PR_OUT_REGISTER_AND_IGNORE = 0x06,
        _PR_OUT_SA_MAX,
        _PR_OUT_SA_INVALID = -EINVAL,
};

/* PERSISTENT RESERVE IN service actions (SPC-4 table 163). */
enum pr_in_sa {
        PR_IN_READ_KEYS = 0x00,
        PR_IN_READ_RESERVATION = 0x01,
        PR_IN_REPORT_CAPABILITIES = 0x02,
        PR_IN_READ_FULL_STATUS = 0x03,
        _PR_IN_SA_MAX,
        _PR_IN_SA_INVALID = -EINVAL,
};

/* Flags of the basic PR OUT parameter list, byte 20 (SPC-4 table 176). */
enum {
        PR_FLAG_APTPL = 1 << 0,
        PR_FLAG_ALL_TG_PT = 1 << 2,
};

/* Returns 0 and fills cdb with a PR OUT CDB; -EINVAL for a bad service
 * action or type (type is ignored, and sent as 0, where SPC-4 says so). */
int pr_out_cdb(uint8_t cdb[static PR_CDB_LEN], enum pr_out_sa sa, enum pr_type type, uint32_t param_len);
/* Returns 0 and fills the 24-byte basic parameter list; -EINVAL for bad flags. */
int pr_out_params(uint8_t p[static PR_OUT_PARAM_LEN], uint64_t key, uint64_t sa_key, unsigned flags);
/* Returns 0 and fills cdb with a PR IN CDB; -EINVAL for a bad service action. */
int pr_in_cdb(uint8_t cdb[static PR_CDB_LEN], enum pr_in_sa sa, uint16_t alloc_len);

struct pr_keys {
        uint32_t generation;
        uint32_t n_keys;        /* keys returned (what fit in the buffer) */
        uint32_t n_keys_total;  /* keys the device has (from ADDITIONAL LENGTH) */
        uint64_t *keys;         /* malloc'd, n_keys entries */
};

struct pr_reservation {
        uint32_t generation;
        bool held;
        uint64_t key;
        enum pr_type type;      /* raw TYPE code when held */
        uint8_t scope;
};

struct pr_capabilities {
        bool crh, sip_c, atp_c, ptpl_c, tmv, ptpl_a;
        uint8_t allow_commands;
        uint16_t type_mask;     /* bit n set: type n supported (when tmv) */
};

struct pr_full_status_entry {
        uint64_t key;
        bool all_tg_pt, holder;
        uint8_t scope, type;
        uint16_t rel_tgt_port;
        uint32_t transport_id_len;
};

struct pr_full_status {
        uint32_t generation;
        size_t n;
        bool truncated;         /* the device has more than fit in the buffer */
        struct pr_full_status_entry *e;
};

/* Decoders: each checks every length field against len and returns 0,
 * -EBADMSG for data that contradicts itself or the standard, or -ENOMEM.
 * A short buffer (the device has more than was asked for) is not an error:
 * what fits is returned and the _total / truncated fields say so.
 * ret is untouched on failure. */
int pr_decode_read_keys(const uint8_t *buf, size_t len, struct pr_keys *ret);
int pr_decode_read_reservation(const uint8_t *buf, size_t len, struct pr_reservation *ret);
int pr_decode_report_capabilities(const uint8_t *buf, size_t len, struct pr_capabilities *ret);
int pr_decode_read_full_status(const uint8_t *buf, size_t len, struct pr_full_status *ret);
/* Returns true if the device can do type t, per REPORT CAPABILITIES. When
 * the device does not report a type mask (TMV 0), returns true. */
bool pr_capabilities_has_type(const struct pr_capabilities *c, enum pr_type t);
/* Frees what the decoders allocated; accept NULL. */
void pr_keys_done(struct pr_keys *k);
void pr_full_status_done(struct pr_full_status *s);

/* ---------------------------------------------------------------- sense */

enum sense_key {
        SENSE_NO_SENSE = 0x0,
        SENSE_RECOVERED_ERROR = 0x1,
        SENSE_NOT_READY = 0x2,
        SENSE_MEDIUM_ERROR = 0x3,
        SENSE_HARDWARE_ERROR = 0x4,
        SENSE_ILLEGAL_REQUEST = 0x5,
        SENSE_UNIT_ATTENTION = 0x6,
        SENSE_DATA_PROTECT = 0x7,
        SENSE_ABORTED_COMMAND = 0xb,
};

struct sense {
        bool descriptor;        /* descriptor format (0x72/0x73), else fixed (0x70/0x71) */
        bool deferred;
        uint8_t key;
        uint8_t asc, ascq;
};

/* Decodes sense data in fixed or descriptor format. Returns 0, or -EBADMSG
 * (unknown response code, or too short for the key). ASC/ASCQ are 0 when
 * the additional length does not reach them. */
int sense_decode(const uint8_t *buf, size_t len, struct sense *ret);

/* What a command's outcome means to the fence logic. */
enum pr_outcome {
        PR_OUTCOME_OK,
        PR_OUTCOME_RESERVATION_CONFLICT,
        PR_OUTCOME_UA_RESET,                   /* power on, reset (29/xx) */
        PR_OUTCOME_UA_RESERVATIONS_PREEMPTED,  /* 2A/03 */
        PR_OUTCOME_UA_RESERVATIONS_RELEASED,   /* 2A/04 */
        PR_OUTCOME_UA_REGISTRATIONS_PREEMPTED, /* 2A/05 */
        PR_OUTCOME_UA_OTHER,
        PR_OUTCOME_NOT_READY,
        PR_OUTCOME_INVALID_FIELD,              /* ILLEGAL REQUEST 24/00 or 26/00 */
        PR_OUTCOME_UNSUPPORTED,                /* ILLEGAL REQUEST 20/00: no such command */
        PR_OUTCOME_ILLEGAL_REQUEST,            /* any other ILLEGAL REQUEST */
        PR_OUTCOME_BUSY,                       /* BUSY or TASK SET FULL */
        PR_OUTCOME_OTHER,
        _PR_OUTCOME_MAX,
        _PR_OUTCOME_INVALID = -EINVAL,
};

/* Classifies a SCSI status and its sense data (may be NULL/0). */
enum pr_outcome pr_classify(uint8_t status, const uint8_t *sense, size_t sense_len);
/* Returns true for the unit attentions worth retrying the command after. */
bool pr_outcome_is_unit_attention(enum pr_outcome o);
/* Returns a short text for an outcome ("reservation conflict"), or NULL. */
const char *pr_outcome_to_string(enum pr_outcome o);
/* Returns the SCSI name of a service action ("PREEMPT AND ABORT"), or NULL. */
const char *pr_out_sa_to_string(enum pr_out_sa sa);
