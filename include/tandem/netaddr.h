/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floating service address: rtnetlink messages (through libmnl), the
 * ARP probes that check nobody else has the address (RFC 5227 2.1), and the
 * gratuitous ARP that tells the network the address has moved. The message
 * building and parsing is pure (netaddr-msg.c); netaddr.c does the I/O. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tandem/config.h"

#define ARP_PACKET_LEN 28

/* What an ARP frame seen while probing says about the address. */
enum arp_verdict {
        ARP_UNRELATED,       /* not about the address, or our own frame */
        ARP_CONFLICT_SENDER, /* another host uses it: its sender IP is the address (a reply, an announcement) */
        ARP_CONFLICT_PROBE,  /* another host probes for it at the same time */
        _ARP_VERDICT_MAX,
        _ARP_VERDICT_INVALID = -EINVAL,
};

/* Builds an RTM_NEWADDR (add) or RTM_DELADDR (del) request for a on the
 * interface ifindex into buf (len bytes, at least MNL_SOCKET_BUFFER_SIZE is
 * plenty). Returns the message length, or -EINVAL / -ENOBUFS. */
int addr_msg_build(void *buf, size_t len, bool add, uint32_t seq, int ifindex, const struct cfg_address *a);
/* Builds an RTM_GETADDR dump request for family into buf. Returns its length or -ENOBUFS. */
int addr_dump_build(void *buf, size_t len, uint32_t seq, int family);
/* Checks one RTM_NEWADDR message of a dump: sets *ret_match when it carries
 * address a on ifindex, and *ret_prefix_same when its prefix length is a's
 * too. Returns 0, or -EBADMSG for a message whose lengths or attributes do
 * not add up. */
int addr_dump_match(const void *nlh, size_t len, int ifindex, const struct cfg_address *a, bool *ret_match,
                    bool *ret_prefix_same);
/* Fills an ARP announcement (RFC 5227 2.3, RFC 826 layout): a REQUEST whose
 * sender and target protocol address are both ip, target hardware address
 * zero. */
void arp_announce_build(uint8_t pkt[static ARP_PACKET_LEN], const uint8_t mac[static 6], const uint8_t ip[static 4]);
/* Fills an ARP probe (RFC 5227 2.1.1, RFC 826 layout): a REQUEST with sender
 * hardware address mac, sender protocol address 0.0.0.0, target hardware
 * address zero and target protocol address ip. */
void arp_probe_build(uint8_t pkt[static ARP_PACKET_LEN], const uint8_t mac[static 6], const uint8_t ip[static 4]);
/* Classifies one received ARP packet (from the ARP header on, as a
 * SOCK_DGRAM packet socket gives it; Ethernet padding after it is allowed)
 * while we probe for ip from mac, by RFC 5227 2.1.1: a request or reply
 * whose sender IP is ip, or a probe for ip from another MAC, is a conflict,
 * and its sender MAC goes to ret_mac; our own frames (sender MAC mac),
 * other hardware or protocol types and other operations are unrelated.
 * Returns an enum arp_verdict, -EBADMSG for a packet too short for its
 * header or its addresses, or -EINVAL for ip 0.0.0.0. */
int arp_probe_check(const void *pkt, size_t len, const uint8_t mac[static 6], const uint8_t ip[static 4],
                    uint8_t ret_mac[static 6]);

/* I/O. Each returns 0 or -errno. */
/* Adds a to the interface; an address already there is success (*ret_added
 * false); the same address there with another prefix length is -EEXIST. */
int addr_add(const char *ifname, const struct cfg_address *a, bool *ret_added);
/* Removes a from the interface; an address not there is success (*ret_removed false). */
int addr_del(const char *ifname, const struct cfg_address *a, bool *ret_removed);
/* Sets *ret_present to whether a is on the interface. */
int addr_present(const char *ifname, const struct cfg_address *a, bool *ret_present);
/* Sends count ARP announcements for an IPv4 address, interval_ms apart. With
 * background, it returns once the first is sent, and a child process sends
 * the rest, so that the caller does not wait; the child stops early when the
 * address is no longer on the interface, and exits when done. The caller
 * does not reap it: for short-lived callers (tandem-address). */
int arp_announce(const char *ifname, const struct cfg_address *a, unsigned count, unsigned interval_ms,
                 bool background);
