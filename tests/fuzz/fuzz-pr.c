/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: every PR IN decoder, the sense decoder and the VPD
 * identity decoders on what a
 * device might send back. The first byte picks the decoder. No input may
 * crash them, read past the buffer, or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tandem/pr.h"
#include "tandem/vpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        uint8_t which = data[0];
        /* A copy of exactly the right size, so ASan catches any overread. */
        size_t len = size - 1;
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf)
                return 0;
        memcpy(buf, data + 1, len);

        switch (which % 7) {
        case 0: {
                struct pr_keys k;
                if (pr_decode_read_keys(buf, len, &k) == 0) {
                        if (k.n_keys > k.n_keys_total || (size_t) k.n_keys * 8 > len)
                                abort();
                        pr_keys_done(&k);
                }
                break;
        }
        case 1: {
                struct pr_reservation r;
                (void) pr_decode_read_reservation(buf, len, &r);
                break;
        }
        case 2: {
                struct pr_capabilities c;
                if (pr_decode_report_capabilities(buf, len, &c) == 0)
                        (void) pr_capabilities_has_type(&c, PR_TYPE_WRITE_EXCLUSIVE_REGISTRANTS_ONLY);
                break;
        }
        case 3: {
                struct pr_full_status s;
                if (pr_decode_read_full_status(buf, len, &s) == 0) {
                        if (s.n * 24 > len)
                                abort();
                        pr_full_status_done(&s);
                }
                break;
        }
        case 4: {
                struct sense s;
                (void) sense_decode(buf, len, &s);
                (void) pr_classify(0x02, buf, len);
                break;
        }
        case 5:
        case 6: {
                char *id = NULL;
                int r = which % 7 == 5 ? vpd_decode_device_id(buf, len, &id) : vpd_decode_serial(buf, len, &id);
                if ((r == 0) != (id != NULL))
                        abort();
                free(id);
                break;
        }
        }
        free(buf);
        return 0;
}
