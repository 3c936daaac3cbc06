/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LU identity from INQUIRY VPD pages 0x83 and 0x80. Pure: no I/O here. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/macro.h"
#include "tandem/vpd.h"

int inquiry_vpd_cdb(uint8_t cdb[static 6], uint8_t page, uint16_t alloc_len) {
        memset(cdb, 0, 6);
        cdb[0] = INQUIRY_OPCODE;
        cdb[1] = 0x01; /* EVPD */
        cdb[2] = page;
        cdb[3] = (uint8_t) (alloc_len >> 8);
        cdb[4] = (uint8_t) alloc_len;
        return 0;
}

static int hex_string(const char *prefix, const uint8_t *p, size_t n, char **ret) {
        size_t pl = strlen(prefix);
        char *s = malloc(pl + 2 * n + 1);
        if (!s)
                return -ENOMEM;
        memcpy(s, prefix, pl);
        for (size_t i = 0; i < n; i++)
                snprintf(s + pl + 2 * i, 3, "%02x", p[i]);
        s[pl + 2 * n] = '\0';
        *ret = s;
        return 0;
}

/* Printable text, trimmed, white space inside turned into '_'. */
static int text_string(const char *prefix, const uint8_t *p, size_t n, char **ret) {
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\0'))
                n--;
        while (n > 0 && p[0] == ' ') {
                p++;
                n--;
        }
        if (n == 0)
                return -ENOENT;
        size_t pl = strlen(prefix);
        char *s = malloc(pl + n + 1);
        if (!s)
                return -ENOMEM;
        memcpy(s, prefix, pl);
        for (size_t i = 0; i < n; i++)
                s[pl + i] = isgraph(p[i]) ? (char) p[i] : '_';
        s[pl + n] = '\0';
        *ret = s;
        return 0;
}

int vpd_decode_device_id(const uint8_t *buf, size_t len, char **ret) {
        /* Preference among designator types (SPC-4 table 590): NAA 3,
         * EUI-64 2, SCSI name string 8, T10 vendor ID 1. */
        static const uint8_t pref[] = { 3, 2, 8, 1 };
        const uint8_t *best = NULL;
        size_t best_rank = ELEMENTSOF(pref);

        if (!buf || !ret || len < 4 || buf[1] != VPD_DEVICE_ID)
                return -EBADMSG;
        size_t end = 4 + (size_t) (buf[2] << 8 | buf[3]);
        if (end > len)
                end = len; /* a short buffer: use the descriptors that fit */
        for (size_t off = 4; off < end;) {
                if (end - off < 4)
                        return -EBADMSG;
                const uint8_t *d = buf + off;
                size_t dl = d[3];
                if (dl > end - off - 4)
                        return -EBADMSG;
                uint8_t assoc = (d[1] >> 4) & 0x3, type = d[1] & 0x0f;
                if (assoc == 0 && dl > 0)
                        for (size_t r = 0; r < best_rank; r++)
                                if (pref[r] == type) {
                                        best = d;
                                        best_rank = r;
                                        break;
                                }
                off += 4 + dl;
        }
        if (!best)
                return -ENOENT;
        const uint8_t *v = best + 4;
        size_t vl = best[3];
        switch (best[1] & 0x0f) {
        case 3:
                return hex_string("naa.", v, vl, ret);
        case 2:
                return hex_string("eui.", v, vl, ret);
        case 8:
                return text_string("name.", v, strnlen((const char *) v, vl), ret);
        default:
                return text_string("t10.", v, vl, ret);
        }
}

int vpd_decode_serial(const uint8_t *buf, size_t len, char **ret) {
        if (!buf || !ret || len < 4 || buf[1] != VPD_UNIT_SERIAL)
                return -EBADMSG;
        size_t n = (size_t) (buf[2] << 8 | buf[3]);
        if (n > len - 4)
                n = len - 4;
        return text_string("serial.", buf + 4, n, ret);
}
