/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* INQUIRY and the identity VPD pages (SPC-4 6.6, 7.8.6, 7.8.15). Pure. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define INQUIRY_OPCODE 0x12
#define VPD_UNIT_SERIAL 0x80
#define VPD_DEVICE_ID 0x83

/* Fills a 6-byte INQUIRY CDB for VPD page `page`. Returns 0. */
int inquiry_vpd_cdb(uint8_t cdb[static 6], uint8_t page, uint16_t alloc_len);
/* Picks the logical unit's best designator from Device Identification data
 * (NAA, then EUI-64, then SCSI name string, then T10 vendor ID) and writes
 * it as "naa.<hex>", "eui.<hex>", "name.<text>" or "t10.<text>" into a new
 * string. Returns 0, -ENOENT when the page has no LU designator, -EBADMSG
 * for data whose lengths do not add up, -ENOMEM. */
int vpd_decode_device_id(const uint8_t *buf, size_t len, char **ret);
/* Decodes Unit Serial Number data into "serial.<text>" (trimmed).
 * Returns 0, -ENOENT for an empty serial, -EBADMSG, -ENOMEM. */
int vpd_decode_serial(const uint8_t *buf, size_t len, char **ret);
