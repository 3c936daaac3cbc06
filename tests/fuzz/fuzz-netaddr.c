/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: rtnetlink address dump entries as a kernel (or a
 * hostile netlink peer) might send them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tandem/netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const struct cfg_address v4 = { .family = AF_INET, .addr = { 10, 0, 0, 100 }, .prefixlen = 24 };
        static const struct cfg_address v6 = { .family = AF_INET6, .addr = { 0xfd, 0x77 }, .prefixlen = 64 };
        /* An exact-size, aligned copy, so ASan sees any overread. */
        uint32_t *buf = malloc(size / 4 * 4 + 4);
        bool m, same;
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        (void) addr_dump_match(buf, size, 3, &v4, &m, &same);
        (void) addr_dump_match(buf, size, 3, &v6, &m, &same);
        free(buf);
        return 0;
}
