/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PR codec, byte for byte against SPC-4. Every expected byte array is
 * written out by hand from the SPC-4 tables named beside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tandem/pr.h"
#include "tandem/vpd.h"

/* SPC-4 PERSISTENT RESERVE OUT command (6.17.1): byte 0 opcode 5Fh, byte 1
 * SERVICE ACTION (bits 4-0), byte 2 SCOPE (7-4) | TYPE (3-0), bytes 5-8
 * PARAMETER LIST LENGTH, byte 9 CONTROL. Service actions from table 175. */
static void test_pr_out_cdb(void **state) {
        uint8_t cdb[10];
        (void) state;

        static const uint8_t register_ignore[10] = { 0x5f, 0x06, 0, 0, 0, 0, 0, 0, 24, 0 };
        assert_int_equal(pr_out_cdb(cdb, PR_OUT_REGISTER_AND_IGNORE, 0, 24), 0);
        assert_memory_equal(cdb, register_ignore, 10);

        /* TYPE is ignored for REGISTER: sent as 0 even when given. */
        static const uint8_t reg[10] = { 0x5f, 0x00, 0x00, 0, 0, 0, 0, 0, 24, 0 };
        assert_int_equal(pr_out_cdb(cdb, PR_OUT_REGISTER, PR_TYPE_WRITE_EXCLUSIVE, 24), 0);
        assert_memory_equal(cdb, reg, 10);

        static const uint8_t reserve_we_ro[10] = { 0x5f, 0x01, 0x05, 0, 0, 0, 0, 0, 24, 0 };
        assert_int_equal(pr_out_cdb(cdb, PR_OUT_RESERVE, PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY, 24), 0);
        assert_memory_equal(cdb, reserve_we_ro, 10);

        static const uint8_t release_ea_ro[10] = { 0x5f, 0x02, 0x06, 0, 0, 0, 0, 0, 24, 0 };
        assert_int_equal(pr_out_cdb(cdb, PR_OUT_RELEASE, PR_TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY, 24), 0);
        assert_memory_equal(cdb, release_ea_ro, 10);

        static const uint8_t clear[10] = { 0x5f, 0x03, 0x00, 0, 0, 0, 0, 0, 24, 0 };
        assert_int_equal(pr_out_cdb(cdb, PR_OUT_CLEAR, 0, 24), 0);
        assert_memory_equal(cdb, clear, 10);

        static const uint8_t preempt_we[10] = { 0x5f, 0x04, 0x01, 0, 0, 0, 0, 0, 24, 0 };
        assert_int_equal(pr_out_cdb(cdb, PR_OUT_PREEMPT, PR_TYPE_WRITE_EXCLUSIVE, 24), 0);
        assert_memory_equal(cdb, preempt_we, 10);

        static const uint8_t preempt_abort_ea[10] = { 0x5f, 0x05, 0x03, 0, 0, 0, 0, 0, 24, 0 };
        assert_int_equal(pr_out_cdb(cdb, PR_OUT_PREEMPT_AND_ABORT, PR_TYPE_EXCLUSIVE_ACCESS, 24), 0);
        assert_memory_equal(cdb, preempt_abort_ea, 10);

        /* PARAMETER LIST LENGTH is big-endian over bytes 5-8. */
        static const uint8_t long_len[10] = { 0x5f, 0x00, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0 };
        assert_int_equal(pr_out_cdb(cdb, PR_OUT_REGISTER, 0, 0x01020304), 0);
        assert_memory_equal(cdb, long_len, 10);

        assert_int_equal(pr_out_cdb(cdb, PR_OUT_RESERVE, 0, 24), -EINVAL);
        assert_int_equal(pr_out_cdb(cdb, PR_OUT_RESERVE, 2, 24), -EINVAL); /* type 2 is obsolete */
        assert_int_equal(pr_out_cdb(cdb, 0x07, 0, 24), -EINVAL); /* REGISTER AND MOVE: not ours */
}

/* SPC-4 table 176, basic PERSISTENT RESERVE OUT parameter list: bytes 0-7
 * RESERVATION KEY, 8-15 SERVICE ACTION RESERVATION KEY, 16-19 obsolete,
 * byte 20 SPEC_I_PT (bit 3) ALL_TG_PT (bit 2) APTPL (bit 0), 21-23. */
static void test_pr_out_params(void **state) {
        uint8_t p[24];
        (void) state;

        static const uint8_t plain[24] = {
                0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
                0, 0, 0, 0, 0x00, 0, 0, 0,
        };
        assert_int_equal(pr_out_params(p, 0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0), 0);
        assert_memory_equal(p, plain, 24);

        static const uint8_t aptpl[24] = {
                0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0, 0, 0, 0x07,
                0, 0, 0, 0, 0x01, 0, 0, 0,
        };
        assert_int_equal(pr_out_params(p, 0, 7, PR_FLAG_APTPL), 0);
        assert_memory_equal(p, aptpl, 24);

        static const uint8_t all_tg_pt[24] = {
                0, 0, 0, 0, 0, 0, 0, 0x01,
                0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0x05, 0, 0, 0,
        };
        assert_int_equal(pr_out_params(p, 1, 0, PR_FLAG_APTPL | PR_FLAG_ALL_TG_PT), 0);
        assert_memory_equal(p, all_tg_pt, 24);

        assert_int_equal(pr_out_params(p, 1, 0, 1 << 3), -EINVAL); /* SPEC_I_PT needs a TransportID list */
}

/* SPC-4 table 162, PERSISTENT RESERVE IN command: byte 0 5Eh, byte 1 SERVICE
 * ACTION, bytes 7-8 ALLOCATION LENGTH. Service actions from table 163. */
static void test_pr_in_cdb(void **state) {
        uint8_t cdb[10];
        (void) state;

        static const uint8_t read_keys[10] = { 0x5e, 0x00, 0, 0, 0, 0, 0, 0x10, 0x00, 0 };
        assert_int_equal(pr_in_cdb(cdb, PR_IN_READ_KEYS, 4096), 0);
        assert_memory_equal(cdb, read_keys, 10);
        static const uint8_t read_res[10] = { 0x5e, 0x01, 0, 0, 0, 0, 0, 0x00, 0x18, 0 };
        assert_int_equal(pr_in_cdb(cdb, PR_IN_READ_RESERVATION, 24), 0);
        assert_memory_equal(cdb, read_res, 10);
        static const uint8_t caps[10] = { 0x5e, 0x02, 0, 0, 0, 0, 0, 0x00, 0x08, 0 };
        assert_int_equal(pr_in_cdb(cdb, PR_IN_REPORT_CAPABILITIES, 8), 0);
        assert_memory_equal(cdb, caps, 10);
        static const uint8_t full[10] = { 0x5e, 0x03, 0, 0, 0, 0, 0, 0xff, 0xff, 0 };
        assert_int_equal(pr_in_cdb(cdb, PR_IN_READ_FULL_STATUS, 0xffff), 0);
        assert_memory_equal(cdb, full, 10);
        assert_int_equal(pr_in_cdb(cdb, 4, 8), -EINVAL);
}

/* SPC-4 table 164, READ KEYS parameter data: PRGENERATION (0-3), ADDITIONAL
 * LENGTH (4-7) = 8 x keys, then the keys. */
static void test_read_keys(void **state) {
        struct pr_keys k = { .generation = 99 };
        (void) state;

        static const uint8_t two[24] = {
                0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x10,
                0xd5, 0x3f, 0x5e, 0x4e, 0x17, 0x8d, 0xb2, 0xf1,
                0xa8, 0x20, 0x85, 0xfa, 0xde, 0xd0, 0xa3, 0xac,
        };
        assert_int_equal(pr_decode_read_keys(two, sizeof two, &k), 0);
        assert_int_equal(k.generation, 0x102);
        assert_int_equal(k.n_keys, 2);
        assert_int_equal(k.n_keys_total, 2);
        assert_true(k.keys[0] == 0xd53f5e4e178db2f1ULL);
        assert_true(k.keys[1] == 0xa82085faded0a3acULL);
        pr_keys_done(&k);

        static const uint8_t none[8] = { 0, 0, 0, 7, 0, 0, 0, 0 };
        assert_int_equal(pr_decode_read_keys(none, sizeof none, &k), 0);
        assert_int_equal(k.n_keys, 0);
        assert_null(k.keys);

        /* The device has 3 keys but the buffer holds 2: truncated, not an overread. */
        uint8_t trunc[24];
        memcpy(trunc, two, 24);
        trunc[7] = 0x18;
        assert_int_equal(pr_decode_read_keys(trunc, sizeof trunc, &k), 0);
        assert_int_equal(k.n_keys, 2);
        assert_int_equal(k.n_keys_total, 3);
        pr_keys_done(&k);

        /* A target lying about ADDITIONAL LENGTH: 0xffffffff is not whole keys. */
        uint8_t lie[8] = { 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff };
        k.generation = 42;
        assert_int_equal(pr_decode_read_keys(lie, sizeof lie, &k), -EBADMSG);
        assert_int_equal(k.generation, 42); /* untouched */
        /* 0xfffffff8 says 536870911 keys; only what is in the buffer is read. */
        lie[7] = 0xf8;
        assert_int_equal(pr_decode_read_keys(lie, sizeof lie, &k), 0);
        assert_int_equal(k.n_keys, 0);
        assert_int_equal(k.n_keys_total, 0x1fffffff);
        assert_int_equal(pr_decode_read_keys(two, 7, &k), -EBADMSG);
}

/* SPC-4 tables 165/166, READ RESERVATION: ADDITIONAL LENGTH 0 (none) or
 * 10h; key at 8-15, SCOPE/TYPE at byte 21. */
static void test_read_reservation(void **state) {
        struct pr_reservation r;
        (void) state;

        static const uint8_t none[8] = { 0, 0, 0, 5, 0, 0, 0, 0 };
        assert_int_equal(pr_decode_read_reservation(none, sizeof none, &r), 0);
        assert_false(r.held);
        assert_int_equal(r.generation, 5);

        static const uint8_t held[24] = {
                0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x10,
                0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                0, 0, 0, 0, 0, 0x05, 0, 0,
        };
        assert_int_equal(pr_decode_read_reservation(held, sizeof held, &r), 0);
        assert_true(r.held);
        assert_true(r.key == 0x1122334455667788ULL);
        assert_int_equal(r.type, PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
        assert_int_equal(r.scope, 0);

        assert_int_equal(pr_decode_read_reservation(held, 23, &r), -EBADMSG);
        uint8_t odd[24];
        memcpy(odd, held, 24);
        odd[7] = 0x0c;
        assert_int_equal(pr_decode_read_reservation(odd, sizeof odd, &r), -EBADMSG);
        assert_int_equal(pr_decode_read_reservation(held, 4, &r), -EBADMSG);
}

/* SPC-4 tables 167-169, REPORT CAPABILITIES: LENGTH (0-1) = 8, byte 2 CRH
 * SIP_C ATP_C PTPL_C, byte 3 TMV ALLOW COMMANDS PTPL_A, bytes 4-5 the type mask. */
static void test_report_capabilities(void **state) {
        struct pr_capabilities c;
        (void) state;

        /* What LIO reports: ATP_C, PTPL_C, TMV, ALLOW COMMANDS 1, mask
         * WR_EX_AR EX_AC_RO WR_EX_RO EX_AC WR_EX + EX_AC_AR. */
        static const uint8_t lio[8] = { 0x00, 0x08, 0x05, 0x90, 0xea, 0x01, 0, 0 };
        assert_int_equal(pr_decode_report_capabilities(lio, sizeof lio, &c), 0);
        assert_true(c.atp_c);
        assert_true(c.ptpl_c);
        assert_false(c.crh);
        assert_false(c.sip_c);
        assert_true(c.tmv);
        assert_int_equal(c.allow_commands, 1);
        assert_false(c.ptpl_a);
        for (int t = 1; t <= 8; t++)
                assert_int_equal(pr_capabilities_has_type(&c, t), t != 2 && t != 4);

        /* Only WR_EX (byte 4 bit 1): type 5 is missing. */
        static const uint8_t only_we[8] = { 0x00, 0x08, 0x00, 0x80, 0x02, 0x00, 0, 0 };
        assert_int_equal(pr_decode_report_capabilities(only_we, sizeof only_we, &c), 0);
        assert_true(pr_capabilities_has_type(&c, PR_TYPE_WRITE_EXCLUSIVE));
        assert_false(pr_capabilities_has_type(&c, PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY));

        /* TMV 0: the mask means nothing, so nothing is ruled out. */
        static const uint8_t no_tmv[8] = { 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0, 0 };
        assert_int_equal(pr_decode_report_capabilities(no_tmv, sizeof no_tmv, &c), 0);
        assert_true(pr_capabilities_has_type(&c, PR_TYPE_EXCLUSIVE_ACCESS_REGISTRANTS_ONLY));

        static const uint8_t short_len[8] = { 0x00, 0x04, 0, 0, 0, 0, 0, 0 };
        assert_int_equal(pr_decode_report_capabilities(short_len, sizeof short_len, &c), -EBADMSG);
        assert_int_equal(pr_decode_report_capabilities(lio, 7, &c), -EBADMSG);
}

/* SPC-4 tables 170/171, READ FULL STATUS: descriptors of 24 bytes: key 0-7,
 * byte 12 ALL_TG_PT (bit 1) R_HOLDER (bit 0), byte 13 SCOPE/TYPE, 18-19
 * RELATIVE TARGET PORT IDENTIFIER, 20-23 ADDITIONAL DESCRIPTOR LENGTH. */
static void test_read_full_status(void **state) {
        struct pr_full_status s;
        (void) state;

        static const uint8_t two[8 + 24 + 4 + 24] = {
                0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 52,
                /* holder, with a 4-byte TransportID */
                0, 0, 0, 0, 0, 0, 0, 0xaa, 0, 0, 0, 0, 0x01, 0x05, 0, 0, 0, 0, 0x00, 0x01, 0, 0, 0, 4,
                0xde, 0xad, 0xbe, 0xef,
                /* registrant, all target ports */
                0, 0, 0, 0, 0, 0, 0, 0xbb, 0, 0, 0, 0, 0x02, 0x00, 0, 0, 0, 0, 0x00, 0x02, 0, 0, 0, 0,
        };
        assert_int_equal(pr_decode_read_full_status(two, sizeof two, &s), 0);
        assert_int_equal(s.generation, 3);
        assert_int_equal(s.n, 2);
        assert_false(s.truncated);
        assert_true(s.e[0].key == 0xaa);
        assert_true(s.e[0].holder);
        assert_int_equal(s.e[0].type, 5);
        assert_int_equal(s.e[0].rel_tgt_port, 1);
        assert_int_equal(s.e[0].transport_id_len, 4);
        assert_true(s.e[1].key == 0xbb);
        assert_false(s.e[1].holder);
        assert_true(s.e[1].all_tg_pt);
        pr_full_status_done(&s);

        /* A descriptor whose TransportID runs past ADDITIONAL LENGTH. */
        uint8_t lie[sizeof two];
        memcpy(lie, two, sizeof two);
        lie[8 + 23] = 200;
        assert_int_equal(pr_decode_read_full_status(lie, sizeof lie, &s), -EBADMSG);
        /* ADDITIONAL LENGTH cutting a descriptor in half. */
        memcpy(lie, two, sizeof two);
        lie[7] = 40;
        assert_int_equal(pr_decode_read_full_status(lie, sizeof lie, &s), -EBADMSG);
        /* A short buffer: the first descriptor only, marked truncated. */
        assert_int_equal(pr_decode_read_full_status(two, 8 + 24 + 4 + 10, &s), 0);
        assert_int_equal(s.n, 1);
        assert_true(s.truncated);
        pr_full_status_done(&s);
}

/* SPC-4 4.5.3 (descriptor) and 4.5.3 (fixed) sense data, and the ASC/ASCQ
 * codes of annex D: 29/00 POWER ON, RESET, OR BUS DEVICE RESET OCCURRED,
 * 2A/03 RESERVATIONS PREEMPTED, 2A/04 RESERVATIONS RELEASED, 2A/05
 * REGISTRATIONS PREEMPTED, 24/00 INVALID FIELD IN CDB, 26/00 INVALID FIELD
 * IN PARAMETER LIST, 20/00 INVALID COMMAND OPERATION CODE, 04/xx NOT READY. */
static void test_sense(void **state) {
        struct sense s;
        (void) state;

        static const uint8_t fixed_ua[18] = { 0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x2a, 0x05, 0, 0, 0, 0 };
        assert_int_equal(sense_decode(fixed_ua, sizeof fixed_ua, &s), 0);
        assert_false(s.descriptor);
        assert_int_equal(s.key, 6);
        assert_int_equal(s.asc, 0x2a);
        assert_int_equal(s.ascq, 0x05);
        assert_int_equal(pr_classify(0x02, fixed_ua, sizeof fixed_ua), PR_OUTCOME_UA_REGISTRATIONS_PREEMPTED);

        static const uint8_t desc_ill[8] = { 0x72, 0x05, 0x24, 0x00, 0, 0, 0, 0 };
        assert_int_equal(sense_decode(desc_ill, sizeof desc_ill, &s), 0);
        assert_true(s.descriptor);
        assert_int_equal(pr_classify(0x02, desc_ill, sizeof desc_ill), PR_OUTCOME_INVALID_FIELD);

        static const uint8_t desc_param[8] = { 0x72, 0x05, 0x26, 0x00, 0, 0, 0, 0 };
        assert_int_equal(pr_classify(0x02, desc_param, sizeof desc_param), PR_OUTCOME_INVALID_FIELD);
        static const uint8_t fixed_opcode[18] = { 0xf0, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x20, 0x00, 0, 0, 0, 0 };
        assert_int_equal(pr_classify(0x02, fixed_opcode, sizeof fixed_opcode), PR_OUTCOME_UNSUPPORTED);
        static const uint8_t fixed_lba[18] = { 0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x21, 0x00, 0, 0, 0, 0 };
        assert_int_equal(pr_classify(0x02, fixed_lba, sizeof fixed_lba), PR_OUTCOME_ILLEGAL_REQUEST);
        static const uint8_t reset[8] = { 0x72, 0x06, 0x29, 0x00, 0, 0, 0, 0 };
        assert_int_equal(pr_classify(0x02, reset, sizeof reset), PR_OUTCOME_UA_RESET);
        static const uint8_t res_pre[8] = { 0x72, 0x06, 0x2a, 0x03, 0, 0, 0, 0 };
        assert_int_equal(pr_classify(0x02, res_pre, sizeof res_pre), PR_OUTCOME_UA_RESERVATIONS_PREEMPTED);
        static const uint8_t res_rel[8] = { 0x72, 0x06, 0x2a, 0x04, 0, 0, 0, 0 };
        assert_int_equal(pr_classify(0x02, res_rel, sizeof res_rel), PR_OUTCOME_UA_RESERVATIONS_RELEASED);
        static const uint8_t luns[8] = { 0x72, 0x06, 0x3f, 0x0e, 0, 0, 0, 0 };
        assert_int_equal(pr_classify(0x02, luns, sizeof luns), PR_OUTCOME_UA_OTHER);
        assert_true(pr_outcome_is_unit_attention(PR_OUTCOME_UA_OTHER));
        assert_false(pr_outcome_is_unit_attention(PR_OUTCOME_NOT_READY));
        static const uint8_t not_ready[18] = { 0x70, 0, 0x02, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x04, 0x03, 0, 0, 0, 0 };
        assert_int_equal(pr_classify(0x02, not_ready, sizeof not_ready), PR_OUTCOME_NOT_READY);

        /* Status alone. */
        assert_int_equal(pr_classify(0x18, NULL, 0), PR_OUTCOME_RESERVATION_CONFLICT);
        assert_int_equal(pr_classify(0x00, NULL, 0), PR_OUTCOME_OK);
        assert_int_equal(pr_classify(0x08, NULL, 0), PR_OUTCOME_BUSY);
        assert_int_equal(pr_classify(0x28, NULL, 0), PR_OUTCOME_BUSY);
        assert_int_equal(pr_classify(0x02, NULL, 0), PR_OUTCOME_OTHER);

        /* Fixed format whose ADDITIONAL SENSE LENGTH stops before ASC: key only. */
        static const uint8_t short_fixed[8] = { 0x70, 0, 0x06, 0, 0, 0, 0, 0 };
        assert_int_equal(sense_decode(short_fixed, sizeof short_fixed, &s), 0);
        assert_int_equal(s.key, 6);
        assert_int_equal(s.asc, 0);
        /* ADDITIONAL SENSE LENGTH larger than the buffer: no overread. */
        static const uint8_t lying[13] = { 0x70, 0, 0x06, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0x2a };
        assert_int_equal(sense_decode(lying, sizeof lying, &s), 0);
        assert_int_equal(s.asc, 0x2a);
        assert_int_equal(s.ascq, 0);
        static const uint8_t bad_code[8] = { 0x7f, 0x06, 0x29, 0, 0, 0, 0, 0 };
        assert_int_equal(sense_decode(bad_code, sizeof bad_code, &s), -EBADMSG);
        assert_int_equal(sense_decode(desc_ill, 3, &s), -EBADMSG);
        assert_int_equal(sense_decode(fixed_ua, 2, &s), -EBADMSG);
        assert_int_equal(sense_decode(fixed_ua, 0, &s), -EBADMSG);
}

/* SPC-4 7.8.6 Device Identification VPD page: byte 1 page code 83h, bytes
 * 2-3 PAGE LENGTH, then designation descriptors: byte 0 PROTOCOL IDENTIFIER
 * and CODE SET, byte 1 PIV, ASSOCIATION (bits 5-4) and DESIGNATOR TYPE
 * (3-0), byte 3 DESIGNATOR LENGTH. 7.8.15 Unit Serial Number: 80h. */
static void test_vpd(void **state) {
        char *id = NULL;
        uint8_t cdb[6];
        (void) state;

        static const uint8_t inq[6] = { 0x12, 0x01, 0x83, 0x02, 0x00, 0x00 };
        inquiry_vpd_cdb(cdb, 0x83, 512);
        assert_memory_equal(cdb, inq, 6);

        /* A T10 vendor ID (type 1, ASCII) first, then an NAA (type 3, binary) for
         * the LU, then an NAA for the target port (association 1): the LU's NAA wins. */
        static const uint8_t page[] = {
                0x00, 0x83, 0x00, 0x24,
                0x02, 0x01, 0x00, 0x08, 'L', 'I', 'O', '-', 'O', 'R', 'G', ' ',
                0x01, 0x03, 0x00, 0x08, 0x60, 0x01, 0x40, 0x50, 0x00, 0x15, 0xee, 0xd0,
                0x01, 0x13, 0x00, 0x08, 0x50, 0x01, 0x40, 0x50, 0x00, 0x00, 0x00, 0x01,
        };
        assert_int_equal(vpd_decode_device_id(page, sizeof page, &id), 0);
        assert_string_equal(id, "naa.600140500015eed0");
        free(id);

        /* Only the T10 vendor ID: used, trimmed. */
        assert_int_equal(vpd_decode_device_id(page, 16, &id), 0);
        assert_string_equal(id, "t10.LIO-ORG");
        free(id);

        /* A descriptor claiming more than the page holds. */
        uint8_t lie[sizeof page];
        memcpy(lie, page, sizeof page);
        lie[7] = 0x40;
        assert_int_equal(vpd_decode_device_id(lie, sizeof lie, &id), -EBADMSG);
        /* No LU designator at all. */
        static const uint8_t port_only[] = { 0x00, 0x83, 0x00, 0x0c, 0x01, 0x13, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8 };
        assert_int_equal(vpd_decode_device_id(port_only, sizeof port_only, &id), -ENOENT);
        /* The wrong page. */
        assert_int_equal(vpd_decode_device_id(port_only, 3, &id), -EBADMSG);

        static const uint8_t serial[] = { 0x00, 0x80, 0x00, 0x0e, ' ', 'T', 'A', 'N', 'D', 'E', 'M', '2', '4', '7', '0', '8', ' ', ' ' };
        assert_int_equal(vpd_decode_serial(serial, sizeof serial, &id), 0);
        assert_string_equal(id, "serial.TANDEM24708");
        free(id);
        static const uint8_t blank[] = { 0x00, 0x80, 0x00, 0x02, ' ', ' ' };
        assert_int_equal(vpd_decode_serial(blank, sizeof blank, &id), -ENOENT);
        assert_int_equal(vpd_decode_serial(page, sizeof page, &id), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pr_out_cdb),
                cmocka_unit_test(test_pr_out_params),
                cmocka_unit_test(test_pr_in_cdb),
                cmocka_unit_test(test_read_keys),
                cmocka_unit_test(test_read_reservation),
                cmocka_unit_test(test_report_capabilities),
                cmocka_unit_test(test_read_full_status),
                cmocka_unit_test(test_sense),
                cmocka_unit_test(test_vpd),
        };
        return cmocka_run_group_tests_name("pr", tests, NULL, NULL);
}
