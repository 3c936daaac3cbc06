/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floating address's I/O: an rtnetlink socket through libmnl (no `ip`
 * subprocess), and ARP probes and announcements on a packet socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tandem/netaddr.h"
#include "tandem/util.h"

static void mnl_closep(struct mnl_socket **s) {
        if (*s)
                mnl_socket_close(*s);
}

static int ifindex_of(const char *ifname) {
        unsigned i = if_nametoindex(ifname);
        return i == 0 ? -ENODEV : (int) i;
}

/* Sends one request and waits for its ACK. Returns 0 or the kernel's -errno. */
static int request(struct mnl_socket *nl, void *buf, size_t len, uint32_t seq) {
        uint32_t portid = mnl_socket_get_portid(nl);
        if (mnl_socket_sendto(nl, buf, len) < 0)
                return -errno;
        char rbuf[MNL_SOCKET_BUFFER_SIZE];
        ssize_t n = mnl_socket_recvfrom(nl, rbuf, sizeof rbuf);
        if (n < 0)
                return -errno;
        if (mnl_cb_run(rbuf, (size_t) n, seq, portid, NULL, NULL) < 0)
                return -errno;
        return 0;
}

static int open_route(struct mnl_socket **ret) {
        struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
        if (!nl)
                return -errno;
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                int r = -errno;
                mnl_socket_close(nl);
                return r;
        }
        *ret = nl;
        return 0;
}

static int lookup(const char *ifname, const struct cfg_address *a, bool *ret_present, bool *ret_other);

static int change(const char *ifname, const struct cfg_address *a, bool add, bool *ret_changed) {
        _cleanup_(mnl_closep) struct mnl_socket *nl = NULL;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        uint32_t seq = (uint32_t) time(NULL);
        int ifindex = ifindex_of(ifname), r;

        if (ifindex < 0)
                return ifindex;
        if (add) {
                /* The kernel would add 10.0.0.1/25 beside 10.0.0.1/24: look first. */
                bool present = false, other = false;
                r = lookup(ifname, a, &present, &other);
                if (r < 0)
                        return r;
                if (other)
                        return -EEXIST;
                if (present) {
                        *ret_changed = false;
                        return 0;
                }
        }
        r = addr_msg_build(buf, sizeof buf, add, seq, ifindex, a);
        if (r < 0)
                return r;
        int len = r;
        r = open_route(&nl);
        if (r < 0)
                return r;
        r = request(nl, buf, (size_t) len, seq);
        if (add && r == -EEXIST) {
                /* Added by somebody else since we looked. */
                *ret_changed = false;
                return 0;
        }
        if (!add && (r == -EADDRNOTAVAIL || r == -ENOENT || r == -ESRCH)) {
                *ret_changed = false;
                return 0;
        }
        if (r < 0)
                return r;
        *ret_changed = true;
        return 0;
}

int addr_add(const char *ifname, const struct cfg_address *a, bool *ret_added) {
        return change(ifname, a, true, ret_added);
}

int addr_del(const char *ifname, const struct cfg_address *a, bool *ret_removed) {
        return change(ifname, a, false, ret_removed);
}

struct dump {
        int ifindex;
        const struct cfg_address *a;
        bool found, found_other_prefix;
        int err;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data) {
        struct dump *d = data;
        bool m = false, same = false;
        if (addr_dump_match(nlh, nlh->nlmsg_len, d->ifindex, d->a, &m, &same) < 0) {
                d->err = -EBADMSG;
                return MNL_CB_ERROR;
        }
        d->found = d->found || (m && same);
        d->found_other_prefix = d->found_other_prefix || (m && !same);
        return MNL_CB_OK;
}

/* Reads the interface's addresses: is a there, and is a's address there
 * with another prefix length? */
static int lookup(const char *ifname, const struct cfg_address *a, bool *ret_present, bool *ret_other) {
        _cleanup_(mnl_closep) struct mnl_socket *nl = NULL;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        uint32_t seq = (uint32_t) time(NULL);
        struct dump d = { .ifindex = ifindex_of(ifname), .a = a };
        int r;

        if (d.ifindex < 0)
                return d.ifindex;
        r = addr_dump_build(buf, sizeof buf, seq, a->family);
        if (r < 0)
                return r;
        int len = r;
        r = open_route(&nl);
        if (r < 0)
                return r;
        if (mnl_socket_sendto(nl, buf, (size_t) len) < 0)
                return -errno;
        uint32_t portid = mnl_socket_get_portid(nl);
        for (;;) {
                ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof buf);
                if (n < 0)
                        return -errno;
                r = mnl_cb_run(buf, (size_t) n, seq, portid, dump_cb, &d);
                if (r < 0)
                        return d.err ? d.err : -errno;
                if (r == MNL_CB_STOP)
                        break;
        }
        *ret_present = d.found;
        *ret_other = d.found_other_prefix;
        return 0;
}

int addr_present(const char *ifname, const struct cfg_address *a, bool *ret_present) {
        bool other;
        return lookup(ifname, a, ret_present, &other);
}

/* The interface's Ethernet address, hardware type and flags, through fd. */
static int if_hw(int fd, const char *ifname, uint8_t ret_mac[static 6], unsigned short *ret_type, short *ret_flags) {
        struct ifreq ifr = {};

        if (strlen(ifname) >= sizeof ifr.ifr_name)
                return -EINVAL;
        strcpy(ifr.ifr_name, ifname);
        if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
                return -errno;
        memcpy(ret_mac, ifr.ifr_hwaddr.sa_data, 6);
        *ret_type = ifr.ifr_hwaddr.sa_family;
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        *ret_flags = ifr.ifr_flags;
        return 0;
}

/* A random gap between probes, ARP_PROBE_MIN_MS..ARP_PROBE_MAX_MS (RFC
 * 5227's PROBE_MIN..PROBE_MAX, shortened), so that two hosts that start
 * together do not probe in step; the midpoint without randomness. */
static usec_t probe_gap(void) {
        uint32_t x;
        unsigned span = ARP_PROBE_MAX_MS - ARP_PROBE_MIN_MS + 1;
        if (getrandom(&x, sizeof x, GRND_NONBLOCK) != (ssize_t) sizeof x)
                x = span / 2;
        return (usec_t) (ARP_PROBE_MIN_MS + x % span) * 1000;
}

int arp_probe(const char *ifname, const struct cfg_address *a, struct arp_conflict *ret) {
        _cleanup_close_ int fd = -1;
        uint8_t mac[6], pkt[ARP_PACKET_LEN];
        unsigned short hwtype = 0;
        short flags = 0;
        int ifindex = ifindex_of(ifname), r;

        if (a->family != AF_INET)
                return -EAFNOSUPPORT;
        if (memcmp(a->addr, (const uint8_t[4]) {}, 4) == 0)
                return -EINVAL;
        if (ifindex < 0)
                return ifindex;
        /* Protocol 0 until bound: no frame of another interface gets queued
         * in between. */
        fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        r = if_hw(fd, ifname, mac, &hwtype, &flags);
        if (r < 0)
                return r;
        if (flags & IFF_NOARP)
                return -EOPNOTSUPP;
        if (hwtype != ARPHRD_ETHER)
                return -EPROTONOSUPPORT;
        if (!(flags & IFF_UP))
                return -ENETDOWN;
        struct sockaddr_ll me = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_ARP),
                .sll_ifindex = ifindex,
        };
        if (bind(fd, (struct sockaddr *) &me, sizeof me) < 0)
                return -errno;
        arp_probe_build(pkt, mac, a->addr);
        struct sockaddr_ll to = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_ARP),
                .sll_ifindex = ifindex,
                .sll_halen = ETH_ALEN,
                .sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
        };

        unsigned sent = 0;
        usec_t next = now(CLOCK_MONOTONIC), end = 0;
        for (;;) {
                usec_t t = now(CLOCK_MONOTONIC);
                if (sent < ARP_PROBE_NUM && t >= next) {
                        if (sendto(fd, pkt, sizeof pkt, 0, (struct sockaddr *) &to, sizeof to) < 0)
                                return -errno;
                        sent++;
                        if (sent < ARP_PROBE_NUM)
                                next = t + probe_gap();
                        else
                                end = t + (usec_t) ARP_PROBE_LISTEN_MS * 1000;
                        continue;
                }
                if (sent == ARP_PROBE_NUM && t >= end)
                        break;
                usec_t until = sent < ARP_PROBE_NUM ? next : end;
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                int n = poll(&pfd, 1, (int) ((until - t + 999) / 1000));
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n <= 0)
                        continue;
                /* Every frame queued, before the next timer. */
                for (;;) {
                        uint8_t buf[256];
                        struct sockaddr_ll from;
                        socklen_t fl = sizeof from;
                        ssize_t k = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *) &from, &fl);
                        if (k < 0) {
                                if (errno == EAGAIN || errno == EINTR)
                                        break;
                                return -errno;
                        }
                        if (from.sll_pkttype == PACKET_OUTGOING)
                                continue; /* our own probe, looped back to packet sockets */
                        uint8_t who[6];
                        r = arp_probe_check(buf, (size_t) k, mac, a->addr, who);
                        if (r == ARP_CONFLICT_SENDER || r == ARP_CONFLICT_PROBE) {
                                ret->verdict = (enum arp_verdict) r;
                                memcpy(ret->mac, who, 6);
                                return 0;
                        }
                        /* Unrelated, or garbage (-EBADMSG): not ours to act on. */
                }
        }
        *ret = (struct arp_conflict) { .verdict = ARP_UNRELATED };
        return 0;
}

int addr_up(const char *ifname, const struct cfg_address *a, struct addr_up_report *ret) {
        struct addr_up_report rep = { .result = ADDR_UP_ADDED };
        bool present = false, other = false, added = false;
        int r;

        r = lookup(ifname, a, &present, &other);
        if (r < 0)
                return r;
        if (other)
                return -EEXIST;
        if (present) {
                *ret = (struct addr_up_report) { .result = ADDR_UP_ALREADY };
                return 0;
        }
        if (a->family == AF_INET) {
                r = arp_probe(ifname, a, &rep.conflict);
                if (r == -EOPNOTSUPP)
                        rep.noarp = true;
                else if (r < 0) {
                        *ret = (struct addr_up_report) { .probe_failed = true };
                        return r;
                } else {
                        rep.probed = true;
                        if (rep.conflict.verdict != ARP_UNRELATED) {
                                rep.result = ADDR_UP_IN_USE;
                                *ret = rep;
                                return 0;
                        }
                }
        }
        r = change(ifname, a, true, &added);
        if (r < 0)
                return r;
        /* Not added: it appeared here since we looked (another up of ours). */
        if (!added)
                rep.result = ADDR_UP_ALREADY;
        *ret = rep;
        return 0;
}

int arp_announce(const char *ifname, const struct cfg_address *a, unsigned count, unsigned interval_ms,
                 bool background) {
        _cleanup_close_ int fd = -1;
        struct ifreq ifr = {};
        uint8_t pkt[ARP_PACKET_LEN];
        int ifindex = ifindex_of(ifname);

        if (a->family != AF_INET)
                return -EAFNOSUPPORT;
        if (ifindex < 0)
                return ifindex;
        fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
        if (fd < 0)
                return -errno;
        if (strlen(ifname) >= sizeof ifr.ifr_name)
                return -EINVAL;
        strcpy(ifr.ifr_name, ifname);
        if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
                return -errno;
        arp_announce_build(pkt, (const uint8_t *) ifr.ifr_hwaddr.sa_data, a->addr);
        struct sockaddr_ll to = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_ARP),
                .sll_ifindex = ifindex,
                .sll_halen = ETH_ALEN,
                .sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
        };
        for (unsigned i = 0; i < count; i++) {
                if (i == 1 && background) {
                        /* The first is out: the caller goes on, a child sends the rest. */
                        pid_t pid = fork();
                        if (pid < 0)
                                return -errno;
                        if (pid > 0)
                                return 0;
                        for (; i < count; i++) {
                                struct timespec ts = { .tv_sec = interval_ms / 1000,
                                                       .tv_nsec = (long) (interval_ms % 1000) * 1000000L };
                                bool up = false;
                                nanosleep(&ts, NULL);
                                /* Taken down meanwhile (a quick stop): announce no more. */
                                if (addr_present(ifname, a, &up) < 0 || !up)
                                        _exit(0);
                                if (sendto(fd, pkt, sizeof pkt, 0, (struct sockaddr *) &to, sizeof to) < 0)
                                        _exit(1);
                        }
                        _exit(0);
                }
                if (i > 0) {
                        struct timespec ts = { .tv_sec = interval_ms / 1000, .tv_nsec = (long) (interval_ms % 1000) * 1000000L };
                        nanosleep(&ts, NULL);
                }
                if (sendto(fd, pkt, sizeof pkt, 0, (struct sockaddr *) &to, sizeof to) < 0)
                        return -errno;
        }
        return 0;
}
