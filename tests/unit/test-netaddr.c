/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floating address's messages, byte for byte: the ARP announcement from
 * RFC 826's packet layout and RFC 5227 2.3 (an ARP request with SPA = TPA,
 * THA zero), the ARP probe from RFC 5227 2.1.1 (a request with SPA 0.0.0.0,
 * THA zero, TPA the address), the classification of what answers a probe
 * (RFC 5227 2.1.1's two conflict rules), and the rtnetlink request from
 * rtnetlink(7): nlmsghdr, then struct ifaddrmsg, then IFA_LOCAL and
 * IFA_ADDRESS attributes. */
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

/* RFC 826's layout, filled in as RFC 5227 2.1.1 says a probe is:
 * "ARP Request packet, broadcast on the local link, with an all-zero
 * 'sender IP address'. The 'sender hardware address' MUST contain the
 * hardware address of the interface sending the packet. ... The 'target
 * hardware address' field is ignored and SHOULD be set to all zeroes. The
 * 'target IP address' field MUST be set to the address being probed." */
static void test_arp_probe(void **state) {
        static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
        static const uint8_t ip[4] = { 10, 0, 0, 100 };
        static const uint8_t want[28] = {
                0x00, 0x01,                         /* HTYPE Ethernet */
                0x08, 0x00,                         /* PTYPE IPv4 */
                6, 4,                               /* HLEN, PLEN */
                0x00, 0x01,                         /* OPER request */
                0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* SHA: ours */
                0, 0, 0, 0,                         /* SPA 0.0.0.0 */
                0, 0, 0, 0, 0, 0,                   /* THA zero */
                10, 0, 0, 100,                      /* TPA: the address probed for */
        };
        uint8_t pkt[28];
        (void) state;
        memset(pkt, 0xee, sizeof pkt);
        arp_probe_build(pkt, mac, ip);
        assert_memory_equal(pkt, want, 28);
}

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t probed[4] = { 10, 0, 0, 100 };
static const uint8_t untouched[6] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };

/* Classifies pkt (len bytes) while we probe for 10.0.0.100 from our_mac;
 * checks the MAC reported (want_mac, or untouched when NULL). */
static int check(const uint8_t *pkt, size_t len, const uint8_t *want_mac) {
        uint8_t who[6];
        memset(who, 0xee, sizeof who);
        int r = arp_probe_check(pkt, len, our_mac, probed, who);
        assert_memory_equal(who, want_mac ? want_mac : untouched, 6);
        return r;
}

static void test_arp_check_conflicts(void **state) {
        static const uint8_t holder[6] = { 0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc };
        /* What a Linux holder sends back to our probe (arp_process(): a
         * reply to the prober, sender IP the address, target IP 0.0.0.0). */
        static const uint8_t reply[28] = {
                0x00, 0x01, 0x08, 0x00, 6, 4,
                0x00, 0x02,                         /* OPER reply */
                0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc, /* SHA: the holder */
                10, 0, 0, 100,                      /* SPA: the address */
                0x52, 0x54, 0x00, 0x12, 0x34, 0x56, /* THA: us */
                0, 0, 0, 0,                         /* TPA: our 0.0.0.0 */
        };
        /* The holder announcing it (RFC 5227 2.3: SPA = TPA). */
        static const uint8_t announce[28] = {
                0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
                0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc,
                10, 0, 0, 100,
                0, 0, 0, 0, 0, 0,
                10, 0, 0, 100,
        };
        /* The holder asking for a client: any request whose sender IP is the address. */
        static const uint8_t asks[28] = {
                0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
                0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc,
                10, 0, 0, 100,
                0, 0, 0, 0, 0, 0,
                10, 0, 0, 1,
        };
        /* Another host probing for the same address now. */
        static const uint8_t probe[28] = {
                0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
                0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc,
                0, 0, 0, 0,
                0, 0, 0, 0, 0, 0,
                10, 0, 0, 100,
        };
        uint8_t padded[46];
        (void) state;

        assert_int_equal(check(reply, sizeof reply, holder), ARP_CONFLICT_SENDER);
        assert_int_equal(check(announce, sizeof announce, holder), ARP_CONFLICT_SENDER);
        assert_int_equal(check(asks, sizeof asks, holder), ARP_CONFLICT_SENDER);
        assert_int_equal(check(probe, sizeof probe, holder), ARP_CONFLICT_PROBE);
        /* As it comes off Ethernet: padded to the 46-byte minimum payload. */
        memset(padded, 0, sizeof padded);
        memcpy(padded, reply, sizeof reply);
        assert_int_equal(check(padded, sizeof padded, holder), ARP_CONFLICT_SENDER);
}

static void test_arp_check_unrelated(void **state) {
        /* Our own probe, looped back. */
        static const uint8_t ours[28] = {
                0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
                0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
                0, 0, 0, 0,
                0, 0, 0, 0, 0, 0,
                10, 0, 0, 100,
        };
        /* Our own announcement. */
        static const uint8_t ours_announce[28] = {
                0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
                0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
                10, 0, 0, 100,
                0, 0, 0, 0, 0, 0,
                10, 0, 0, 100,
        };
        /* A client asking who has the address: not a probe (its sender IP is its own). */
        static const uint8_t client_asks[28] = {
                0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
                0x02, 0x11, 0x22, 0x33, 0x44, 0x55,
                10, 0, 0, 1,
                0, 0, 0, 0, 0, 0,
                10, 0, 0, 100,
        };
        /* A reply about another address, and a probe for another address. */
        static const uint8_t other_reply[28] = {
                0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02,
                0x02, 0x11, 0x22, 0x33, 0x44, 0x55,
                10, 0, 0, 101,
                0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
                10, 0, 0, 1,
        };
        static const uint8_t other_probe[28] = {
                0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
                0x02, 0x11, 0x22, 0x33, 0x44, 0x55,
                0, 0, 0, 0,
                0, 0, 0, 0, 0, 0,
                10, 0, 0, 101,
        };
        /* A reply to a probe is no probe: OPER 2 with SPA 0 for the address. */
        static const uint8_t zero_reply[28] = {
                0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02,
                0x02, 0x11, 0x22, 0x33, 0x44, 0x55,
                0, 0, 0, 0,
                0, 0, 0, 0, 0, 0,
                10, 0, 0, 100,
        };
        uint8_t pkt[28];
        (void) state;

        assert_int_equal(check(ours, sizeof ours, NULL), ARP_UNRELATED);
        assert_int_equal(check(ours_announce, sizeof ours_announce, NULL), ARP_UNRELATED);
        assert_int_equal(check(client_asks, sizeof client_asks, NULL), ARP_UNRELATED);
        assert_int_equal(check(other_reply, sizeof other_reply, NULL), ARP_UNRELATED);
        assert_int_equal(check(other_probe, sizeof other_probe, NULL), ARP_UNRELATED);
        assert_int_equal(check(zero_reply, sizeof zero_reply, NULL), ARP_UNRELATED);
        /* A holder's reply, but not Ethernet/IPv4 ARP, or not a request or reply
         * (OPER 8, InARP): not about our address. */
        static const uint8_t reply[28] = {
                0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02,
                0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc,
                10, 0, 0, 100,
                0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
                0, 0, 0, 0,
        };
        memcpy(pkt, reply, 28);
        pkt[1] = 0x06; /* HTYPE 6: IEEE 802 */
        assert_int_equal(check(pkt, 28, NULL), ARP_UNRELATED);
        memcpy(pkt, reply, 28);
        pkt[2] = 0x86, pkt[3] = 0xdd; /* PTYPE IPv6 */
        assert_int_equal(check(pkt, 28, NULL), ARP_UNRELATED);
        memcpy(pkt, reply, 28);
        pkt[7] = 8;
        assert_int_equal(check(pkt, 28, NULL), ARP_UNRELATED);
        memcpy(pkt, reply, 28);
        pkt[4] = 4, pkt[5] = 6; /* HLEN 4, PLEN 6: still 28 bytes, not Ethernet/IPv4 */
        assert_int_equal(check(pkt, 28, NULL), ARP_UNRELATED);
}

static void test_arp_check_garbage(void **state) {
        static const uint8_t reply[28] = {
                0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02,
                0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc,
                10, 0, 0, 100,
                0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
                0, 0, 0, 0,
        };
        uint8_t pkt[8 + 2 * 255 + 2 * 255];
        uint8_t who[6];
        (void) state;

        /* Every truncation of a conflicting reply: rejected, never read past. */
        for (size_t n = 0; n < sizeof reply; n++) {
                uint8_t *cut = malloc(n ? n : 1);
                assert_non_null(cut);
                memcpy(cut, reply, n);
                assert_int_equal(check(cut, n, NULL), -EBADMSG);
                free(cut);
        }
        assert_int_equal(check(NULL, 28, NULL), -EBADMSG);
        /* Lengths in the header that promise more than the packet has. */
        memset(pkt, 0, sizeof pkt);
        memcpy(pkt, reply, sizeof reply);
        pkt[4] = 255, pkt[5] = 255;
        assert_int_equal(check(pkt, sizeof pkt - 1, NULL), -EBADMSG);
        assert_int_equal(check(pkt, sizeof pkt, NULL), ARP_UNRELATED);
        /* Probing for 0.0.0.0 makes no sense: every probe would conflict. */
        assert_int_equal(arp_probe_check(reply, sizeof reply, our_mac, (const uint8_t[4]) {}, who), -EINVAL);
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
                cmocka_unit_test(test_arp_probe),
                cmocka_unit_test(test_arp_check_conflicts),
                cmocka_unit_test(test_arp_check_unrelated),
                cmocka_unit_test(test_arp_check_garbage),
                cmocka_unit_test(test_addr_msg),
                cmocka_unit_test(test_dump_match),
        };
        return cmocka_run_group_tests_name("netaddr", tests, NULL, NULL);
}
