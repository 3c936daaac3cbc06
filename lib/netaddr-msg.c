/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtnetlink address messages and ARP announcements. Pure: no I/O here. */
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

void arp_announce_build(uint8_t pkt[static ARP_PACKET_LEN], const uint8_t mac[static 6], const uint8_t ip[static 4]) {
        memset(pkt, 0, ARP_PACKET_LEN);
        pkt[0] = 0x00; /* HTYPE 1: Ethernet */
        pkt[1] = ARPHRD_ETHER;
        pkt[2] = ETH_P_IP >> 8; /* PTYPE 0x0800 */
        pkt[3] = ETH_P_IP & 0xff;
        pkt[4] = ETH_ALEN; /* HLEN */
        pkt[5] = 4;        /* PLEN */
        pkt[6] = 0x00;     /* OPER 1: request */
        pkt[7] = ARPOP_REQUEST;
        memcpy(pkt + 8, mac, 6);  /* SHA */
        memcpy(pkt + 14, ip, 4);  /* SPA */
        /* THA (18-23) stays zero */
        memcpy(pkt + 24, ip, 4);  /* TPA = SPA: an announcement */
}
