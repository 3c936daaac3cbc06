/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floating address's messages, byte for byte: the ARP announcement from
 * RFC 826's packet layout and RFC 5227 2.3 (an ARP request with SPA = TPA,
 * THA zero), and the rtnetlink request from rtnetlink(7): nlmsghdr, then
 * struct ifaddrmsg, then IFA_LOCAL and IFA_ADDRESS attributes. */
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tandem/netaddr.h"

static void test_arp_announce(void **state) {
        static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
        static const uint8_t ip[4] = { 10, 0, 0, 100 };
        static const uint8_t want[28] = {
                0x00, 0x01,                         /* HTYPE Ethernet */
                0x08, 0x00,                         /* PTYPE IPv4 */
                6, 4,                               /* HLEN, PLEN */
                0x00, 0x01,                         /* OPER request */
                0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* SHA */
                10, 0, 0, 100,                      /* SPA */
                0, 0, 0, 0, 0, 0,                   /* THA */
                10, 0, 0, 100,                      /* TPA = SPA */
        };
        uint8_t pkt[28];
        (void) state;
        arp_announce_build(pkt, mac, ip);
        assert_memory_equal(pkt, want, 28);
}

static void test_addr_msg(void **state) {
        uint8_t buf[256];
        struct cfg_address a = { .family = AF_INET, .addr = { 10, 0, 0, 100 }, .prefixlen = 24 };
        (void) state;

        int n = addr_msg_build(buf, sizeof buf, true, 7, 3, &a);
        /* 16 (nlmsghdr) + 8 (ifaddrmsg) + 2 x (4 + 4) attributes */
        assert_int_equal(n, 40);
        const struct nlmsghdr *h = (const void *) buf;
        assert_int_equal(h->nlmsg_len, 40);
        assert_int_equal(h->nlmsg_type, RTM_NEWADDR);
        assert_int_equal(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
        assert_int_equal(h->nlmsg_seq, 7);
        static const uint8_t ifa[8] = { AF_INET, 24, 0, RT_SCOPE_UNIVERSE, 3, 0, 0, 0 }; /* index little-endian */
        assert_memory_equal(buf + 16, ifa, 8);
        static const uint8_t attrs[16] = { 8, 0, IFA_LOCAL, 0, 10, 0, 0, 100, 8, 0, IFA_ADDRESS, 0, 10, 0, 0, 100 };
        assert_memory_equal(buf + 24, attrs, 16);

        n = addr_msg_build(buf, sizeof buf, false, 8, 3, &a);
        assert_int_equal(h->nlmsg_type, RTM_DELADDR);
        assert_int_equal(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
        assert_int_equal(addr_msg_build(buf, 10, true, 1, 3, &a), -ENOBUFS);
        assert_int_equal(addr_msg_build(buf, sizeof buf, true, 1, 0, &a), -EINVAL);
}

/* A dump entry as the kernel sends it for 10.0.0.100/24 on ifindex 3. */
static void test_dump_match(void **state) {
        uint8_t buf[256];
        struct cfg_address a = { .family = AF_INET, .addr = { 10, 0, 0, 100 }, .prefixlen = 24 };
        struct cfg_address other = a;
        bool m, same;
        (void) state;

        int n = addr_msg_build(buf, sizeof buf, true, 1, 3, &a);
        ((struct nlmsghdr *) buf)->nlmsg_type = RTM_NEWADDR;
        assert_int_equal(addr_dump_match(buf, (size_t) n, 3, &a, &m, &same), 0);
        assert_true(m);
        assert_true(same);
        other.prefixlen = 25;
        assert_int_equal(addr_dump_match(buf, (size_t) n, 3, &other, &m, &same), 0);
        assert_true(m);
        assert_false(same);
        other = a;
        other.addr[3] = 101;
        assert_int_equal(addr_dump_match(buf, (size_t) n, 3, &other, &m, &same), 0);
        assert_false(m);
        assert_int_equal(addr_dump_match(buf, (size_t) n, 4, &a, &m, &same), 0);
        assert_false(m);
        /* An attribute shorter than an IPv4 address. */
        buf[24] = 6;
        assert_int_equal(addr_dump_match(buf, (size_t) n, 3, &a, &m, &same), -EBADMSG);
        /* A length field past the buffer. */
        assert_int_equal(addr_dump_match(buf, 20, 3, &a, &m, &same), -EBADMSG);
        /* A length of 2^31 or more, which libmnl's mnl_nlmsg_ok() lets through. */
        ((struct nlmsghdr *) buf)->nlmsg_len = 0xfffffff0;
        assert_int_equal(addr_dump_match(buf, (size_t) n, 3, &a, &m, &same), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_arp_announce),
                cmocka_unit_test(test_addr_msg),
                cmocka_unit_test(test_dump_match),
        };
        return cmocka_run_group_tests_name("netaddr", tests, NULL, NULL);
}
