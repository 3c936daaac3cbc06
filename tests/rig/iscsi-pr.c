/*
 * iscsi-pr: an independent SCSI-3 Persistent Reservation checker for the
 * tgtd rig. It uses only libiscsi (its PR OUT/IN commands, CDB builders and
 * data-in unmarshalling), never tandem code, so rig tests can compare what
 * tandem did against what a second, unrelated client sees.
 *
 * Usage:
 *   iscsi-pr [-i INITIATOR_IQN] [-t TIMEOUT_S] [-r N] [-a] URL COMMAND [ARGS]
 *   iscsi-pr [-i INITIATOR_IQN] [-t TIMEOUT_S] [-r N] [-a] URL session
 *
 *   URL is iscsi://host:port/target-iqn/lun.
 *   -i  initiator name (default iqn.2026-11.org.tandem.test:checker)
 *   -t  per-command timeout in seconds, also used for login (default 10)
 *   -r  rerun a command up to N times while it gets UNIT ATTENTION
 *       (default 0: report the UNIT ATTENTION, exit 7). tgtd answers the
 *       first command of a preempted I_T nexus with UNIT ATTENTION 0x2a03
 *       (RESERVATIONS PREEMPTED) before any RESERVATION CONFLICT.
 *   -a  set APTPL in PR OUT parameter lists
 *
 * Commands (KEY, VICTIM, LBA: hex with 0x prefix, or decimal;
 *           TYPE: 1 3 5 6 7 8, or we ea wero earo wear eaar):
 *   register KEY                 REGISTER AND IGNORE EXISTING KEY to KEY
 *   register-replace OLD NEW     REGISTER (service action 0): OLD -> NEW
 *   unregister KEY               REGISTER with reservation key KEY, new key 0
 *   reserve KEY TYPE             RESERVE
 *   release KEY TYPE             RELEASE
 *   clear KEY                    CLEAR
 *   preempt KEY VICTIM TYPE      PREEMPT
 *   preempt-abort KEY VICTIM TYPE  PREEMPT AND ABORT
 *   read-keys                    prints "generation 0x%08x", then one
 *                                "key 0x%016llx" line per registered key
 *   read-reservation             prints "none" or "holder 0x%016llx type N"
 *   report-capabilities          prints "capabilities crh N sip_c N atp_c N
 *                                ptpl_c N tmv N allow N ptpl_a N types 0x%04x"
 *   write10 LBA [TAG]            writes one block: the text
 *                                "tandem-rig lba=LBA tag=TAG\n" repeated;
 *                                TAG defaults to the initiator name;
 *                                prints "written lba=LBA"
 *   read10 LBA                   prints "pattern lba=L tag=T" (a whole block
 *                                as write10 writes it), "zero", or
 *                                "data <first 16 bytes in hex>"
 *   inquiry-serial               VPD 0x80: prints "serial <text>"
 *   inquiry-devid                VPD 0x83: one line per designator:
 *                                "devid assoc=A type=T <hex or text>"
 *   tur                          TEST UNIT READY
 *   session                      one login; commands, one per line, from
 *                                stdin; see below
 *
 * Output: successful commands with nothing to print print "ok". Every
 * failure prints a sentence on stderr ("iscsi-pr: COMMAND: reason") and,
 * except for one-shot usage errors, one status line on stdout (see the exit
 * codes).
 *
 * session: logs in once, then reads commands (same syntax) from stdin and
 * prints exactly ONE line per command on stdout, flushed: the one-shot
 * output with its newlines joined by spaces, for example
 *   "generation 0x00000004 key 0x0000000000001111 key 0x0000000000002222".
 * Extra session commands: "lun N" switches the LUN used by later commands
 * (and, as login does for the URL's LUN, first clears that LUN's pending
 * UNIT ATTENTIONs with TEST UNIT READY),
 * "quit" (or end of input) logs out. Blank lines and lines starting with
 * '#' are ignored and print nothing. A bad line prints "usage-error". The
 * session keeps going after any failed command (check each reply line); it
 * exits 0 at "quit" or end of input, 5 if the login failed (nothing is
 * printed on stdout then).
 *
 * Exit codes (one-shot commands):
 *   0  success
 *   1  any other failure (other CHECK CONDITION, other SCSI status,
 *      malformed or short data-in)
 *   2  usage error (bad option, command or argument)
 *   3  RESERVATION CONFLICT              stdout: "reservation-conflict"
 *   4  CHECK CONDITION, ILLEGAL REQUEST  stdout: "illegal-request 0xASCQ"
 *   5  cannot connect or log in, or the connection was lost
 *                                        stdout: "connection-failed"
 *   6  the command timed out             stdout: "timeout"
 *   7  CHECK CONDITION, UNIT ATTENTION   stdout: "unit-attention 0xASCQ"
 *   (exit 1 prints "error ..." on stdout)
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>

#define DEFAULT_INITIATOR "iqn.2026-11.org.tandem.test:checker"
#define DEFAULT_TIMEOUT   10
#define MAX_ARGS          6
#define PR_IN_XFERLEN     8192
#define PATTERN_MAX_TAG   200

enum pr_exit {
        EXIT_OK         = 0,
        EXIT_FAIL       = 1,
        EXIT_USAGE      = 2,
        EXIT_CONFLICT   = 3,
        EXIT_ILLEGAL    = 4,
        EXIT_CONNECTION = 5,
        EXIT_TIMEOUT    = 6,
        EXIT_UA         = 7,
};

struct pr_ctx {
        struct iscsi_context *iscsi;
        const char *initiator;
        int lun;
        int aptpl;
        unsigned ua_retries;     /* -r: reruns of a command that got UNIT ATTENTION */
        uint32_t block_size;     /* 0 until READ CAPACITY(10) ran on this LUN */
        FILE *out;               /* the command's result text */
        const char *cmd;         /* the command name, for messages */
};

typedef int (*cmd_fn)(struct pr_ctx *ctx, char **argv);

struct cmd {
        const char *name;
        int nargs_min;
        int nargs_max;
        cmd_fn fn;
        const char *args;
};

static void cleanup_task(struct scsi_task **t) {
        if (*t)
                scsi_free_scsi_task(*t);
}
#define _cleanup_task_ __attribute__((cleanup(cleanup_task)))

static void cleanup_free(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ __attribute__((cleanup(cleanup_free)))

/* Parses a KEY/LBA: "0x" hex or decimal, whole string. Returns 0 or -EINVAL/-ERANGE. */
static int parse_u64(const char *s, uint64_t *ret) {
        char *end;
        int base = 10;
        unsigned long long v;

        if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char) *s))
                return -EINVAL;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
                base = 16;
                s += 2;
                if (!*s)
                        return -EINVAL;
        }
        errno = 0;
        v = strtoull(s, &end, base);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno || *end)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Parses a PR TYPE by number or short name. Returns 0 or -EINVAL. */
static int parse_type(const char *s, int *ret) {
        static const struct { const char *name; int type; } names[] = {
                { "we", 1 }, { "ea", 3 }, { "wero", 5 }, { "earo", 6 },
                { "wear", 7 }, { "eaar", 8 },
        };
        uint64_t v;

        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcmp(s, names[i].name) == 0) {
                        *ret = names[i].type;
                        return 0;
                }
        if (parse_u64(s, &v) < 0)
                return -EINVAL;
        switch (v) {
        case 1: case 3: case 5: case 6: case 7: case 8:
                *ret = (int) v;
                return 0;
        default:
                return -EINVAL;
        }
}

static int usage_arg(struct pr_ctx *ctx, const char *what, const char *value) {
        fprintf(stderr, "iscsi-pr: %s: invalid %s '%s'\n", ctx->cmd, what, value);
        fprintf(ctx->out, "usage-error\n");
        return EXIT_USAGE;
}

static int arg_key(struct pr_ctx *ctx, const char *s, uint64_t *ret) {
        if (parse_u64(s, ret) < 0)
                return usage_arg(ctx, "key (want 0x... hex or decimal)", s);
        return 0;
}

static int arg_type(struct pr_ctx *ctx, const char *s, int *ret) {
        if (parse_type(s, ret) < 0)
                return usage_arg(ctx, "type (want 1 3 5 6 7 8 or we ea wero earo wear eaar)", s);
        return 0;
}

static int arg_lba(struct pr_ctx *ctx, const char *s, uint32_t *ret) {
        uint64_t v;

        if (parse_u64(s, &v) < 0 || v > UINT32_MAX)
                return usage_arg(ctx, "LBA", s);
        *ret = (uint32_t) v;
        return 0;
}

static const char *str_or(const char *s, const char *dflt) {
        return s ? s : dflt;
}

/* ASC/ASCQ text, with names for the PR ones libiscsi 1.19 leaves out. */
static const char *ascq_str(int ascq) {
        switch (ascq) {
        case 0x2a03: return "RESERVATIONS_PREEMPTED";
        case 0x2a04: return "RESERVATIONS_RELEASED";
        case 0x2a05: return "REGISTRATIONS_PREEMPTED";
        default:     return str_or(scsi_sense_ascq_str(ascq), "?");
        }
}

/* Prints libiscsi's last error message without its trailing newlines. */
static void print_iscsi_error(struct pr_ctx *ctx) {
        const char *e = str_or(iscsi_get_error(ctx->iscsi), "");
        size_t len = strlen(e);

        while (len > 0 && (e[len - 1] == '\n' || e[len - 1] == ' '))
                len--;
        fprintf(stderr, "%.*s", (int) len, e);
}

/* For a command that got no SCSI status. */
static void print_transport_failure(struct pr_ctx *ctx, const char *what) {
        fprintf(stderr, "iscsi-pr: %s: %s (last libiscsi error: ", ctx->cmd, what);
        print_iscsi_error(ctx);
        fprintf(stderr, ")\n");
}

/*
 * Turns a finished (or NULL) task into an exit code, printing the status
 * word on ctx->out and the reason on stderr when it is not GOOD.
 */
static int task_result(struct pr_ctx *ctx, struct scsi_task *task) {
        if (!task) {
                print_transport_failure(ctx, "no result: connection lost");
                fprintf(ctx->out, "connection-failed\n");
                return EXIT_CONNECTION;
        }
        switch (task->status) {
        case SCSI_STATUS_GOOD:
                return EXIT_OK;
        case SCSI_STATUS_RESERVATION_CONFLICT:
                fprintf(stderr, "iscsi-pr: %s: RESERVATION CONFLICT\n", ctx->cmd);
                fprintf(ctx->out, "reservation-conflict\n");
                return EXIT_CONFLICT;
        case SCSI_STATUS_CHECK_CONDITION:
                fprintf(stderr, "iscsi-pr: %s: CHECK CONDITION, sense key %s (0x%x), asc/ascq 0x%04x (%s)\n",
                        ctx->cmd, str_or(scsi_sense_key_str(task->sense.key), "?"), (unsigned) task->sense.key,
                        (unsigned) task->sense.ascq, ascq_str(task->sense.ascq));
                if (task->sense.key == SCSI_SENSE_ILLEGAL_REQUEST) {
                        fprintf(ctx->out, "illegal-request 0x%04x\n", (unsigned) task->sense.ascq);
                        return EXIT_ILLEGAL;
                }
                if (task->sense.key == SCSI_SENSE_UNIT_ATTENTION) {
                        fprintf(ctx->out, "unit-attention 0x%04x\n", (unsigned) task->sense.ascq);
                        return EXIT_UA;
                }
                fprintf(ctx->out, "error check-condition key 0x%x ascq 0x%04x\n",
                        (unsigned) task->sense.key, (unsigned) task->sense.ascq);
                return EXIT_FAIL;
        case SCSI_STATUS_TIMEOUT:
                print_transport_failure(ctx, "timed out");
                fprintf(ctx->out, "timeout\n");
                return EXIT_TIMEOUT;
        case SCSI_STATUS_CANCELLED:
        case SCSI_STATUS_ERROR:
                print_transport_failure(ctx, "no SCSI status: connection lost or command cancelled");
                fprintf(ctx->out, "connection-failed\n");
                return EXIT_CONNECTION;
        default:
                fprintf(stderr, "iscsi-pr: %s: SCSI status 0x%x\n", ctx->cmd, (unsigned) task->status);
                fprintf(ctx->out, "error status 0x%x\n", (unsigned) task->status);
                return EXIT_FAIL;
        }
}

static int bad_data(struct pr_ctx *ctx, const char *what) {
        fprintf(stderr, "iscsi-pr: %s: cannot decode %s\n", ctx->cmd, what);
        fprintf(ctx->out, "error bad-data\n");
        return EXIT_FAIL;
}

static int pr_out(struct pr_ctx *ctx, int sa, int type, uint64_t key, uint64_t sa_key) {
        struct scsi_persistent_reserve_out_basic params = {
                .reservation_key = key,
                .service_action_reservation_key = sa_key,
                .aptpl = (uint8_t) ctx->aptpl,
        };
        _cleanup_task_ struct scsi_task *task = NULL;
        int r;

        task = iscsi_persistent_reserve_out_sync(ctx->iscsi, ctx->lun, sa,
                                                 SCSI_PERSISTENT_RESERVE_SCOPE_LU, type, &params);
        r = task_result(ctx, task);
        if (r == EXIT_OK)
                fprintf(ctx->out, "ok\n");
        return r;
}

static int cmd_register(struct pr_ctx *ctx, char **argv) {
        uint64_t key;
        int r;

        if ((r = arg_key(ctx, argv[0], &key)))
                return r;
        return pr_out(ctx, SCSI_PERSISTENT_RESERVE_REGISTER_AND_IGNORE_EXISTING_KEY, 0, 0, key);
}

static int cmd_register_replace(struct pr_ctx *ctx, char **argv) {
        uint64_t old, new;
        int r;

        if ((r = arg_key(ctx, argv[0], &old)) || (r = arg_key(ctx, argv[1], &new)))
                return r;
        return pr_out(ctx, SCSI_PERSISTENT_RESERVE_REGISTER, 0, old, new);
}

static int cmd_unregister(struct pr_ctx *ctx, char **argv) {
        uint64_t key;
        int r;

        if ((r = arg_key(ctx, argv[0], &key)))
                return r;
        return pr_out(ctx, SCSI_PERSISTENT_RESERVE_REGISTER, 0, key, 0);
}

static int key_type_cmd(struct pr_ctx *ctx, char **argv, int sa) {
        uint64_t key;
        int type, r;

        if ((r = arg_key(ctx, argv[0], &key)) || (r = arg_type(ctx, argv[1], &type)))
                return r;
        return pr_out(ctx, sa, type, key, 0);
}

static int cmd_reserve(struct pr_ctx *ctx, char **argv) {
        return key_type_cmd(ctx, argv, SCSI_PERSISTENT_RESERVE_RESERVE);
}

static int cmd_release(struct pr_ctx *ctx, char **argv) {
        return key_type_cmd(ctx, argv, SCSI_PERSISTENT_RESERVE_RELEASE);
}

static int cmd_clear(struct pr_ctx *ctx, char **argv) {
        uint64_t key;
        int r;

        if ((r = arg_key(ctx, argv[0], &key)))
                return r;
        return pr_out(ctx, SCSI_PERSISTENT_RESERVE_CLEAR, 0, key, 0);
}

static int preempt_cmd(struct pr_ctx *ctx, char **argv, int sa) {
        uint64_t key, victim;
        int type, r;

        if ((r = arg_key(ctx, argv[0], &key)) || (r = arg_key(ctx, argv[1], &victim)) ||
            (r = arg_type(ctx, argv[2], &type)))
                return r;
        return pr_out(ctx, sa, type, key, victim);
}

static int cmd_preempt(struct pr_ctx *ctx, char **argv) {
        return preempt_cmd(ctx, argv, SCSI_PERSISTENT_RESERVE_PREEMPT);
}

static int cmd_preempt_abort(struct pr_ctx *ctx, char **argv) {
        return preempt_cmd(ctx, argv, SCSI_PERSISTENT_RESERVE_PREEMPT_AND_ABORT);
}

static int cmd_read_keys(struct pr_ctx *ctx, char **argv) {
        _cleanup_task_ struct scsi_task *task = NULL;
        struct scsi_persistent_reserve_in_read_keys *rk;
        int r;

        (void) argv;
        task = iscsi_persistent_reserve_in_sync(ctx->iscsi, ctx->lun,
                                                SCSI_PERSISTENT_RESERVE_READ_KEYS, PR_IN_XFERLEN);
        if ((r = task_result(ctx, task)))
                return r;
        rk = scsi_datain_unmarshall(task);
        if (!rk)
                return bad_data(ctx, "READ KEYS data");
        if (rk->additional_length % 8 != 0 || (uint32_t) rk->num_keys * 8 != rk->additional_length) {
                fprintf(stderr, "iscsi-pr: %s: ADDITIONAL LENGTH %" PRIu32 " does not match %d keys\n",
                        ctx->cmd, rk->additional_length, rk->num_keys);
                return bad_data(ctx, "READ KEYS data");
        }
        fprintf(ctx->out, "generation 0x%08" PRIx32 "\n", rk->prgeneration);
        for (int i = 0; i < rk->num_keys; i++)
                fprintf(ctx->out, "key 0x%016llx\n", (unsigned long long) rk->keys[i]);
        return EXIT_OK;
}

static int cmd_read_reservation(struct pr_ctx *ctx, char **argv) {
        _cleanup_task_ struct scsi_task *task = NULL;
        struct scsi_persistent_reserve_in_read_reservation *rr;
        int r;

        (void) argv;
        task = iscsi_persistent_reserve_in_sync(ctx->iscsi, ctx->lun,
                                                SCSI_PERSISTENT_RESERVE_READ_RESERVATION, PR_IN_XFERLEN);
        if ((r = task_result(ctx, task)))
                return r;
        rr = scsi_datain_unmarshall(task);
        if (!rr)
                return bad_data(ctx, "READ RESERVATION data");
        if (rr->reserved)
                fprintf(ctx->out, "holder 0x%016llx type %u\n",
                        (unsigned long long) rr->reservation_key, (unsigned) rr->pr_type);
        else
                fprintf(ctx->out, "none\n");
        return EXIT_OK;
}

static int cmd_report_capabilities(struct pr_ctx *ctx, char **argv) {
        _cleanup_task_ struct scsi_task *task = NULL;
        struct scsi_persistent_reserve_in_report_capabilities *rc;
        int r;

        (void) argv;
        task = iscsi_persistent_reserve_in_sync(ctx->iscsi, ctx->lun,
                                                SCSI_PERSISTENT_RESERVE_REPORT_CAPABILITIES, PR_IN_XFERLEN);
        if ((r = task_result(ctx, task)))
                return r;
        rc = scsi_datain_unmarshall(task);
        if (!rc)
                return bad_data(ctx, "REPORT CAPABILITIES data");
        fprintf(ctx->out, "capabilities crh %u sip_c %u atp_c %u ptpl_c %u tmv %u allow %u ptpl_a %u types 0x%04x\n",
                rc->crh, rc->sip_c, rc->atp_c, rc->ptpl_c, rc->tmv, rc->allow_commands, rc->ptpl_a,
                rc->persistent_reservation_type_mask);
        return EXIT_OK;
}

static int block_size(struct pr_ctx *ctx) {
        _cleanup_task_ struct scsi_task *task = NULL;
        struct scsi_readcapacity10 *rc;
        int r;

        if (ctx->block_size)
                return EXIT_OK;
        task = iscsi_readcapacity10_sync(ctx->iscsi, ctx->lun, 0, 0);
        if ((r = task_result(ctx, task)))
                return r;
        rc = scsi_datain_unmarshall(task);
        if (!rc || rc->block_size == 0 || rc->block_size > 65536)
                return bad_data(ctx, "READ CAPACITY(10) data");
        ctx->block_size = rc->block_size;
        return EXIT_OK;
}

/* Fills buf with "tandem-rig lba=LBA tag=TAG\n" repeated (the last copy cut off). */
static void fill_pattern(unsigned char *buf, size_t len, uint32_t lba, const char *tag) {
        char unit[64 + PATTERN_MAX_TAG];
        int n = snprintf(unit, sizeof unit, "tandem-rig lba=%" PRIu32 " tag=%s\n", lba, tag);

        if (n <= 0 || (size_t) n >= sizeof unit)      /* callers cap the tag; stay safe anyway */
                n = (int) strlen(unit);
        for (size_t off = 0; off < len; off += (size_t) n)
                memcpy(buf + off, unit, len - off < (size_t) n ? len - off : (size_t) n);
}

static int cmd_write10(struct pr_ctx *ctx, char **argv) {
        _cleanup_task_ struct scsi_task *task = NULL;
        _cleanup_free_ unsigned char *buf = NULL;
        const char *tag = argv[1] ? argv[1] : ctx->initiator;
        uint32_t lba;
        int r;

        if ((r = arg_lba(ctx, argv[0], &lba)))
                return r;
        if (strlen(tag) > PATTERN_MAX_TAG)
                return usage_arg(ctx, "tag (too long)", tag);
        if ((r = block_size(ctx)))
                return r;
        buf = malloc(ctx->block_size);
        if (!buf) {
                fprintf(stderr, "iscsi-pr: %s: out of memory\n", ctx->cmd);
                fprintf(ctx->out, "error out-of-memory\n");
                return EXIT_FAIL;
        }
        fill_pattern(buf, ctx->block_size, lba, tag);
        task = iscsi_write10_sync(ctx->iscsi, ctx->lun, lba, buf, ctx->block_size,
                                  (int) ctx->block_size, 0, 0, 1, 0, 0);
        if ((r = task_result(ctx, task)))
                return r;
        fprintf(ctx->out, "written lba=%" PRIu32 "\n", lba);
        return EXIT_OK;
}

static int cmd_read10(struct pr_ctx *ctx, char **argv) {
        _cleanup_task_ struct scsi_task *task = NULL;
        _cleanup_free_ unsigned char *want = NULL;
        const unsigned char *data;
        uint32_t lba, plba;
        char tag[PATTERN_MAX_TAG + 1];
        int r;

        if ((r = arg_lba(ctx, argv[0], &lba)))
                return r;
        if ((r = block_size(ctx)))
                return r;
        task = iscsi_read10_sync(ctx->iscsi, ctx->lun, lba, ctx->block_size,
                                 (int) ctx->block_size, 0, 0, 0, 0, 0);
        if ((r = task_result(ctx, task)))
                return r;
        if (task->datain.size < 0 || (uint32_t) task->datain.size != ctx->block_size)
                return bad_data(ctx, "READ(10) data (short read)");
        data = task->datain.data;

        /* sscanf needs a string: the block is not NUL-terminated */
        char head[64 + PATTERN_MAX_TAG];
        size_t hlen = ctx->block_size < sizeof head - 1 ? ctx->block_size : sizeof head - 1;
        memcpy(head, data, hlen);
        head[hlen] = '\0';
        if (sscanf(head, "tandem-rig lba=%" SCNu32 " tag=%200[^\n]", &plba, tag) == 2) {
                want = malloc(ctx->block_size);
                if (want) {
                        fill_pattern(want, ctx->block_size, plba, tag);
                        if (memcmp(want, data, ctx->block_size) == 0) {
                                fprintf(ctx->out, "pattern lba=%" PRIu32 " tag=%s\n", plba, tag);
                                return EXIT_OK;
                        }
                }
        }
        bool zero = true;
        for (uint32_t i = 0; i < ctx->block_size; i++)
                if (data[i]) {
                        zero = false;
                        break;
                }
        if (zero) {
                fprintf(ctx->out, "zero\n");
                return EXIT_OK;
        }
        fprintf(ctx->out, "data ");
        for (int i = 0; i < 16; i++)
                fprintf(ctx->out, "%02x", data[i]);
        fprintf(ctx->out, "\n");
        return EXIT_OK;
}

static int cmd_inquiry_serial(struct pr_ctx *ctx, char **argv) {
        _cleanup_task_ struct scsi_task *task = NULL;
        struct scsi_inquiry_unit_serial_number *usn;
        int r;

        (void) argv;
        task = iscsi_inquiry_sync(ctx->iscsi, ctx->lun, 1, SCSI_INQUIRY_PAGECODE_UNIT_SERIAL_NUMBER, 255);
        if ((r = task_result(ctx, task)))
                return r;
        usn = scsi_datain_unmarshall(task);
        if (!usn || !usn->usn)
                return bad_data(ctx, "VPD page 0x80");
        /* the field is space padded (tgtd right-justifies it); print it trimmed */
        const char *sn = usn->usn;
        size_t len;
        while (*sn == ' ')
                sn++;
        len = strlen(sn);
        while (len > 0 && sn[len - 1] == ' ')
                len--;
        if (len == 0)
                return bad_data(ctx, "VPD page 0x80 (empty serial)");
        fprintf(ctx->out, "serial %.*s\n", (int) len, sn);
        return EXIT_OK;
}

static int cmd_inquiry_devid(struct pr_ctx *ctx, char **argv) {
        _cleanup_task_ struct scsi_task *task = NULL;
        struct scsi_inquiry_device_identification *di;
        int r, n = 0;

        (void) argv;
        task = iscsi_inquiry_sync(ctx->iscsi, ctx->lun, 1, SCSI_INQUIRY_PAGECODE_DEVICE_IDENTIFICATION, 255);
        if ((r = task_result(ctx, task)))
                return r;
        di = scsi_datain_unmarshall(task);
        if (!di)
                return bad_data(ctx, "VPD page 0x83");
        for (struct scsi_inquiry_device_designator *d = di->designators; d; d = d->next) {
                fprintf(ctx->out, "devid assoc=%d type=%d ", (int) d->association, (int) d->designator_type);
                if (d->code_set == SCSI_CODESET_BINARY) {
                        fprintf(ctx->out, "0x");
                        for (int i = 0; i < d->designator_length; i++)
                                fprintf(ctx->out, "%02x", (unsigned char) d->designator[i]);
                } else {
                        for (int i = 0; i < d->designator_length; i++) {
                                unsigned char c = (unsigned char) d->designator[i];
                                if (c == 0)
                                        break;
                                fputc(isgraph(c) ? c : '_', ctx->out);
                        }
                }
                fputc('\n', ctx->out);
                n++;
        }
        if (n == 0)
                return bad_data(ctx, "VPD page 0x83 (no designators)");
        return EXIT_OK;
}

static int cmd_tur(struct pr_ctx *ctx, char **argv) {
        _cleanup_task_ struct scsi_task *task = NULL;
        int r;

        (void) argv;
        task = iscsi_testunitready_sync(ctx->iscsi, ctx->lun);
        if ((r = task_result(ctx, task)))
                return r;
        fprintf(ctx->out, "ok\n");
        return EXIT_OK;
}

static const struct cmd commands[] = {
        { "register",            1, 1, cmd_register,            "KEY" },
        { "register-replace",    2, 2, cmd_register_replace,    "OLD NEW" },
        { "unregister",          1, 1, cmd_unregister,          "KEY" },
        { "reserve",             2, 2, cmd_reserve,             "KEY TYPE" },
        { "release",             2, 2, cmd_release,             "KEY TYPE" },
        { "clear",               1, 1, cmd_clear,               "KEY" },
        { "preempt",             3, 3, cmd_preempt,             "KEY VICTIM TYPE" },
        { "preempt-abort",       3, 3, cmd_preempt_abort,       "KEY VICTIM TYPE" },
        { "read-keys",           0, 0, cmd_read_keys,           "" },
        { "read-reservation",    0, 0, cmd_read_reservation,    "" },
        { "report-capabilities", 0, 0, cmd_report_capabilities, "" },
        { "write10",             1, 2, cmd_write10,             "LBA [TAG]" },
        { "read10",              1, 1, cmd_read10,              "LBA" },
        { "inquiry-serial",      0, 0, cmd_inquiry_serial,      "" },
        { "inquiry-devid",       0, 0, cmd_inquiry_devid,       "" },
        { "tur",                 0, 0, cmd_tur,                 "" },
};

/*
 * Checks a command's arguments against the names in its usage string, so
 * that a bad argument is a usage error before any login. Returns 0 or
 * EXIT_USAGE after printing why.
 */
static int check_args(const struct cmd *c, char **argv, int nargs) {
        char spec[64];
        char *save = NULL;
        int i = 0;

        snprintf(spec, sizeof spec, "%s", c->args);
        for (char *w = strtok_r(spec, " []", &save); w && i < nargs; w = strtok_r(NULL, " []", &save), i++) {
                uint64_t v;
                int t;
                bool ok;

                if (strcmp(w, "TYPE") == 0)
                        ok = parse_type(argv[i], &t) == 0;
                else if (strcmp(w, "LBA") == 0)
                        ok = parse_u64(argv[i], &v) == 0 && v <= UINT32_MAX;
                else if (strcmp(w, "TAG") == 0)
                        ok = strlen(argv[i]) <= PATTERN_MAX_TAG;
                else    /* KEY OLD NEW VICTIM */
                        ok = parse_u64(argv[i], &v) == 0;
                if (!ok) {
                        fprintf(stderr, "iscsi-pr: %s: invalid %s '%s'%s\n", c->name, w, argv[i],
                                strcmp(w, "TYPE") == 0 ? " (want 1 3 5 6 7 8 or we ea wero earo wear eaar)" :
                                strcmp(w, "TAG") == 0 ? " (too long)" :
                                strcmp(w, "LBA") == 0 ? " (want a 32-bit number, 0x... hex or decimal)" :
                                " (want a 64-bit number, 0x... hex or decimal)");
                        return EXIT_USAGE;
                }
        }
        return 0;
}

static const struct cmd *find_cmd(const char *name) {
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

/* Checks a command's name and arguments. Returns the command, or NULL after printing why. */
static const struct cmd *check_cmd(const char *name, char **argv, int nargs) {
        const struct cmd *c = find_cmd(name);

        if (!c) {
                fprintf(stderr, "iscsi-pr: unknown command '%s'\n", name);
                return NULL;
        }
        if (nargs < c->nargs_min || nargs > c->nargs_max) {
                fprintf(stderr, "iscsi-pr: %s: wrong number of arguments (usage: %s%s%s)\n",
                        name, name, *c->args ? " " : "", c->args);
                return NULL;
        }
        if (check_args(c, argv, nargs))
                return NULL;
        return c;
}

/* Runs one command, its text collected and written to stdout. Returns an exit code. */
static int run_cmd(struct pr_ctx *ctx, const struct cmd *c, char **argv, bool one_line) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        char *args[MAX_ARGS + 1] = { NULL };
        int r;

        for (int i = 0; i < MAX_ARGS && argv[i]; i++)
                args[i] = argv[i];
        ctx->cmd = c->name;
        for (unsigned attempt = 0;; attempt++) {
                free(text);
                text = NULL;
                ctx->out = open_memstream(&text, &len);
                if (!ctx->out) {
                        fprintf(stderr, "iscsi-pr: %s: open_memstream: %m\n", c->name);
                        return EXIT_FAIL;
                }
                r = c->fn(ctx, args);
                if (fclose(ctx->out) != 0 || !text) {
                        ctx->out = NULL;
                        fprintf(stderr, "iscsi-pr: %s: cannot collect output\n", c->name);
                        return EXIT_FAIL;
                }
                ctx->out = NULL;
                if (r != EXIT_UA || attempt >= ctx->ua_retries)
                        break;
                fprintf(stderr, "iscsi-pr: %s: retrying after UNIT ATTENTION (%u of %u)\n",
                        c->name, attempt + 1, ctx->ua_retries);
        }
        while (len > 0 && text[len - 1] == '\n')
                text[--len] = '\0';
        if (one_line)
                for (char *p = text; *p; p++)
                        if (*p == '\n')
                                *p = ' ';
        printf("%s\n", text);
        fflush(stdout);
        return r;
}

/*
 * "lun N" in a session: like libiscsi's login does for the URL's LUN, send
 * TEST UNIT READY until the LUN stops reporting UNIT ATTENTION (the power-on
 * 0x2900 that tgtd gives each new I_T nexus on each LUN), so that the first
 * real command sees the LUN as a fresh login would. Prints "ok" or why not.
 */
static int switch_lun(struct pr_ctx *ctx) {
        int r = EXIT_UA;

        ctx->cmd = "lun";
        for (int i = 0; i < 10 && r == EXIT_UA; i++) {
                _cleanup_task_ struct scsi_task *task = NULL;

                task = iscsi_testunitready_sync(ctx->iscsi, ctx->lun);
                if (task && task->status == SCSI_STATUS_CHECK_CONDITION &&
                    task->sense.key == SCSI_SENSE_UNIT_ATTENTION)
                        continue;
                ctx->out = stdout;
                r = task_result(ctx, task);
                ctx->out = NULL;
        }
        if (r == EXIT_UA) {
                fprintf(stderr, "iscsi-pr: lun: LUN %d still reports UNIT ATTENTION\n", ctx->lun);
                printf("unit-attention\n");
        } else if (r == EXIT_OK)
                printf("ok\n");
        return r;
}

static int run_session(struct pr_ctx *ctx) {
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;

        for (;;) {
                char *words[MAX_ARGS + 2] = { NULL };
                int n = 0;
                char *save = NULL;
                ssize_t got = getline(&line, &cap, stdin);

                if (got < 0)
                        return EXIT_OK;
                for (char *w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
                        if (n == MAX_ARGS + 1) {
                                n++;
                                break;
                        }
                        words[n++] = w;
                }
                if (n == 0 || words[0][0] == '#')
                        continue;
                if (strcmp(words[0], "quit") == 0 || strcmp(words[0], "exit") == 0)
                        return EXIT_OK;
                if (n > MAX_ARGS + 1) {
                        fprintf(stderr, "iscsi-pr: %s: too many arguments\n", words[0]);
                        printf("usage-error\n");
                        fflush(stdout);
                        continue;
                }
                if (strcmp(words[0], "lun") == 0) {
                        uint64_t v;
                        if (n != 2 || parse_u64(words[1], &v) < 0 || v > 16383) {
                                fprintf(stderr, "iscsi-pr: lun: want one LUN number 0-16383\n");
                                printf("usage-error\n");
                        } else {
                                ctx->lun = (int) v;
                                ctx->block_size = 0;
                                (void) switch_lun(ctx);
                        }
                        fflush(stdout);
                        continue;
                }
                const struct cmd *c = check_cmd(words[0], words + 1, n - 1);
                if (!c) {
                        printf("usage-error\n");
                        fflush(stdout);
                        continue;
                }
                (void) run_cmd(ctx, c, words + 1, true);
        }
}

static void usage(FILE *f) {
        fprintf(f,
                "Usage: iscsi-pr [-i INITIATOR_IQN] [-t TIMEOUT_S] [-r N] [-a] iscsi://HOST:PORT/IQN/LUN COMMAND [ARGS]\n"
                "\n"
                "Commands:\n");
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                fprintf(f, "  %s %s\n", commands[i].name, commands[i].args);
        fprintf(f,
                "  session                (commands from stdin, one result line each)\n"
                "\n"
                "Options:\n"
                "  -i IQN   initiator name (default " DEFAULT_INITIATOR ")\n"
                "  -t SECS  per-command and login timeout (default %d)\n"
                "  -r N     rerun a command up to N times while it gets UNIT ATTENTION (default 0)\n"
                "  -a       set APTPL in PR OUT parameter lists\n"
                "  -h       show this help\n"
                "\n"
                "Exit: 0 ok, 1 other failure, 2 usage, 3 reservation conflict, 4 illegal request,\n"
                "      5 connection/login failure, 6 timeout, 7 unit attention\n",
                DEFAULT_TIMEOUT);
}

int main(int argc, char **argv) {
        struct pr_ctx ctx = { .initiator = DEFAULT_INITIATOR };
        struct iscsi_url *url = NULL;
        const struct cmd *c = NULL;
        uint64_t timeout = DEFAULT_TIMEOUT;
        bool session;
        int opt, r;

        while ((opt = getopt(argc, argv, "+i:t:r:ah")) != -1) {
                switch (opt) {
                case 'i':
                        ctx.initiator = optarg;
                        break;
                case 't':
                        if (parse_u64(optarg, &timeout) < 0 || timeout == 0 || timeout > 3600) {
                                fprintf(stderr, "iscsi-pr: invalid timeout '%s' (want 1-3600 seconds)\n", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case 'r': {
                        uint64_t v;
                        if (parse_u64(optarg, &v) < 0 || v > 100) {
                                fprintf(stderr, "iscsi-pr: invalid retry count '%s' (want 0-100)\n", optarg);
                                return EXIT_USAGE;
                        }
                        ctx.ua_retries = (unsigned) v;
                        break;
                }
                case 'a':
                        ctx.aptpl = 1;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (argc - optind < 2) {
                usage(stderr);
                return EXIT_USAGE;
        }
        const char *url_s = argv[optind];
        const char *name = argv[optind + 1];
        char **cargs = argv + optind + 2;
        int nargs = argc - optind - 2;

        session = strcmp(name, "session") == 0;
        if (session ? nargs != 0 : !(c = check_cmd(name, cargs, nargs)))
                return EXIT_USAGE;

        setvbuf(stdout, NULL, _IOLBF, 0);
        ctx.iscsi = iscsi_create_context(ctx.initiator);
        if (!ctx.iscsi) {
                fprintf(stderr, "iscsi-pr: %s: cannot create iSCSI context for initiator '%s'\n",
                        name, ctx.initiator);
                return EXIT_FAIL;
        }
        url = iscsi_parse_full_url(ctx.iscsi, url_s);
        if (!url) {
                fprintf(stderr, "iscsi-pr: %s: bad URL '%s' (want iscsi://HOST:PORT/IQN/LUN): ", name, url_s);
                print_iscsi_error(&ctx);
                fprintf(stderr, "\n");
                iscsi_destroy_context(ctx.iscsi);
                return EXIT_USAGE;
        }
        ctx.lun = url->lun;
        iscsi_set_noautoreconnect(ctx.iscsi, 1);
        iscsi_set_timeout(ctx.iscsi, (int) timeout);
        iscsi_set_session_type(ctx.iscsi, ISCSI_SESSION_NORMAL);
        iscsi_set_header_digest(ctx.iscsi, ISCSI_HEADER_DIGEST_NONE_CRC32C);
        if (iscsi_set_targetname(ctx.iscsi, url->target) < 0 ||
            iscsi_full_connect_sync(ctx.iscsi, url->portal, url->lun) < 0) {
                fprintf(stderr, "iscsi-pr: %s: cannot log in to %s at %s as %s: ", name, url->target,
                        url->portal, ctx.initiator);
                print_iscsi_error(&ctx);
                fprintf(stderr, "\n");
                if (!session)
                        printf("connection-failed\n");
                iscsi_destroy_url(url);
                iscsi_destroy_context(ctx.iscsi);
                return EXIT_CONNECTION;
        }
        iscsi_destroy_url(url);

        if (session)
                r = run_session(&ctx);
        else
                r = run_cmd(&ctx, c, cargs, false);

        (void) iscsi_logout_sync(ctx.iscsi);
        iscsi_destroy_context(ctx.iscsi);
        return r;
}
