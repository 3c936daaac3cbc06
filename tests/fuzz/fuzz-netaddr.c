/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: rtnetlink address dump entries as a kernel (or a
 * hostile netlink peer) might send them, and ARP packets as any host on the
 * link may send them while we probe (arp_probe_check). The same bytes go
 * to both parsers; the corpus has seeds for each (newaddr-*, arp-*). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tandem/netaddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const struct cfg_address v4 = { .family = AF_INET, .addr = { 10, 0, 0, 100 }, .prefixlen = 24 };
        static const struct cfg_address v6 = { .family = AF_INET6, .addr = { 0xfd, 0x77 }, .prefixlen = 64 };
        static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
        /* An exact-size, aligned copy, so ASan sees any overread. */
        uint32_t *buf = malloc(size / 4 * 4 + 4);
        uint8_t *pkt = malloc(size ? size : 1);
        uint8_t who[6];
        bool m, same;
        if (!buf || !pkt) {
                free(buf);
                free(pkt);
                return 0;
        }
        memcpy(buf, data, size);
        memcpy(pkt, data, size);
        (void) addr_dump_match(buf, size, 3, &v4, &m, &same);
        (void) addr_dump_match(buf, size, 3, &v6, &m, &same);
        int r = arp_probe_check(pkt, size, mac, v4.addr, who);
        if (r < -4095 || r >= _ARP_VERDICT_MAX)
                abort();
        free(buf);
        free(pkt);
        return 0;
}
