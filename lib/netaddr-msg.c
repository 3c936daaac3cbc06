/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtnetlink address messages, ARP announcements and probes, and the
 * classification of ARP packets seen while probing. Pure: no I/O here. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "tandem/netaddr.h"

static size_t addr_len(int family) {
        return family == AF_INET ? 4 : 16;
}

int addr_msg_build(void *buf, size_t len, bool add, uint32_t seq, int ifindex, const struct cfg_address *a) {
        if (!buf || !a || ifindex <= 0 || (a->family != AF_INET && a->family != AF_INET6))
                return -EINVAL;
        if (len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct ifaddrmsg)) + 3 * MNL_ATTR_HDRLEN + 48)
                return -ENOBUFS;
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
        /* EXCL: an address that is already there is not ours to claim twice. */
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
        nlh->nlmsg_seq = seq;
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        ifa->ifa_family = (uint8_t) a->family;
        ifa->ifa_prefixlen = (uint8_t) a->prefixlen;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = (uint32_t) ifindex;
        mnl_attr_put(nlh, IFA_LOCAL, addr_len(a->family), a->addr);
        mnl_attr_put(nlh, IFA_ADDRESS, addr_len(a->family), a->addr);
        return (int) nlh->nlmsg_len;
}

int addr_dump_build(void *buf, size_t len, uint32_t seq, int family) {
        if (len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct ifaddrmsg)))
                return -ENOBUFS;
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_GETADDR;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        nlh->nlmsg_seq = seq;
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        ifa->ifa_family = (uint8_t) family;
        return (int) nlh->nlmsg_len;
}

struct match {
        const struct cfg_address *a;
        bool local, address;
        bool bad;
};

static int attr_cb(const struct nlattr *attr, void *data) {
        struct match *m = data;
        uint16_t type = mnl_attr_get_type(attr);
        size_t need = addr_len(m->a->family);

        if (type != IFA_LOCAL && type != IFA_ADDRESS)
                return MNL_CB_OK;
        if (mnl_attr_validate2(attr, MNL_TYPE_BINARY, need) < 0) {
                m->bad = true;
                return MNL_CB_ERROR;
        }
        bool same = memcmp(mnl_attr_get_payload(attr), m->a->addr, need) == 0;
        if (type == IFA_LOCAL)
                m->local = same;
        else
                m->address = same;
        return MNL_CB_OK;
}

int addr_dump_match(const void *msg, size_t len, int ifindex, const struct cfg_address *a, bool *ret_match,
                    bool *ret_prefix_same) {
        const struct nlmsghdr *nlh = msg;
        struct match m = { .a = a };

        if (!msg || !a || !ret_match || !ret_prefix_same || len < sizeof *nlh)
                return -EBADMSG;
        /* Not mnl_nlmsg_ok() alone: it compares the length as a signed int,
         * so a length of 2^31 or more passes it (found by fuzz-netaddr). */
        if (nlh->nlmsg_len < sizeof *nlh || nlh->nlmsg_len > len || len > INT32_MAX)
                return -EBADMSG;
        if (nlh->nlmsg_type != RTM_NEWADDR) {
                *ret_match = false;
                return 0;
        }
        if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct ifaddrmsg))
                return -EBADMSG;
        const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
        if (ifa->ifa_family != a->family || (int) ifa->ifa_index != ifindex) {
                *ret_match = false;
                return 0;
        }
        if (mnl_attr_parse(nlh, sizeof *ifa, attr_cb, &m) < 0 || m.bad)
                return -EBADMSG;
        /* IPv4 reports the address as IFA_LOCAL (IFA_ADDRESS is the peer on
         * point-to-point links); IPv6 reports only IFA_ADDRESS. */
        *ret_match = a->family == AF_INET ? m.local : m.address;
        *ret_prefix_same = ifa->ifa_prefixlen == a->prefixlen;
        return 0;
}

/* One Ethernet/IPv4 ARP packet, RFC 826's layout: HTYPE, PTYPE, HLEN,
 * PLEN, OPER (big-endian), then SHA, SPA, THA, TPA. */
static void arp_build(uint8_t pkt[static ARP_PACKET_LEN], uint16_t oper, const uint8_t sha[static 6],
                      const uint8_t spa[static 4], const uint8_t tpa[static 4]) {
        memset(pkt, 0, ARP_PACKET_LEN);
        pkt[0] = 0x00; /* HTYPE 1: Ethernet */
        pkt[1] = ARPHRD_ETHER;
        pkt[2] = ETH_P_IP >> 8; /* PTYPE 0x0800 */
        pkt[3] = ETH_P_IP & 0xff;
        pkt[4] = ETH_ALEN; /* HLEN */
        pkt[5] = 4;        /* PLEN */
        pkt[6] = (uint8_t) (oper >> 8);
        pkt[7] = (uint8_t) (oper & 0xff);
        memcpy(pkt + 8, sha, 6);  /* SHA */
        memcpy(pkt + 14, spa, 4); /* SPA */
        /* THA (18-23) stays zero */
        memcpy(pkt + 24, tpa, 4); /* TPA */
}

static const uint8_t ip_zero[4];

void arp_announce_build(uint8_t pkt[static ARP_PACKET_LEN], const uint8_t mac[static 6], const uint8_t ip[static 4]) {
        arp_build(pkt, ARPOP_REQUEST, mac, ip, ip); /* TPA = SPA: an announcement */
}

void arp_probe_build(uint8_t pkt[static ARP_PACKET_LEN], const uint8_t mac[static 6], const uint8_t ip[static 4]) {
        /* SPA 0.0.0.0: a probe must not pollute other hosts' ARP caches
         * with an address it does not have yet (RFC 5227 2.1.1). */
        arp_build(pkt, ARPOP_REQUEST, mac, ip_zero, ip);
}

int arp_probe_check(const void *pkt, size_t len, const uint8_t mac[static 6], const uint8_t ip[static 4],
                    uint8_t ret_mac[static 6]) {
        const uint8_t *p = pkt;

        if (memcmp(ip, ip_zero, 4) == 0)
                return _ARP_VERDICT_INVALID; /* every probe would look like a conflict */
        if (!p || len < 8)
                return -EBADMSG;
        uint16_t htype = (uint16_t) (p[0] << 8 | p[1]), ptype = (uint16_t) (p[2] << 8 | p[3]);
        uint16_t oper = (uint16_t) (p[6] << 8 | p[7]);
        uint8_t hlen = p[4], plen = p[5];
        /* The header's own lengths say how long the packet is at least. */
        if (len < 8 + 2 * (size_t) hlen + 2 * (size_t) plen)
                return -EBADMSG;
        if (htype != ARPHRD_ETHER || ptype != ETH_P_IP || hlen != ETH_ALEN || plen != 4)
                return ARP_UNRELATED;
        if (oper != ARPOP_REQUEST && oper != ARPOP_REPLY)
                return ARP_UNRELATED;
        const uint8_t *sha = p + 8, *spa = p + 14, *tpa = p + 24;
        /* Our own probes (a packet socket sees outgoing frames too), and
         * anything else sent with our MAC. */
        if (memcmp(sha, mac, 6) == 0)
                return ARP_UNRELATED;
        /* "any ARP packet (Request or Reply) ... where the packet's 'sender
         * IP address' is the address being probed for": a holder's reply
         * to our probe, its announcement, or its own request for another
         * host. */
        if (memcmp(spa, ip, 4) == 0) {
                memcpy(ret_mac, sha, 6);
                return ARP_CONFLICT_SENDER;
        }
        /* "any ARP Probe where the packet's 'target IP address' is the
         * address being probed for, and the packet's 'sender hardware
         * address' is not the hardware address of any of the host's
         * interfaces": somebody else wants it now. A request from a client
         * that asks for the address (sender IP its own) is no conflict. */
        if (oper == ARPOP_REQUEST && memcmp(spa, ip_zero, 4) == 0 && memcmp(tpa, ip, 4) == 0) {
                memcpy(ret_mac, sha, 6);
                return ARP_CONFLICT_PROBE;
        }
        return ARP_UNRELATED;
}
