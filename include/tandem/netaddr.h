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

/* Duplicate-address detection before an IPv4 address is added (RFC 5227
 * 2.1.1), with shorter timings than the RFC's. The RFC's (PROBE_WAIT 1 s,
 * PROBE_NUM 3, PROBE_MIN 1 s, PROBE_MAX 2 s, ANNOUNCE_WAIT 2 s) are made for
 * hosts configuring themselves after a power cut, and would add 4-9 s to
 * every failover, all of it client outage. Here the start is ordered by the
 * cluster (one node brings the address up, after the takeover), so the
 * initial random PROBE_WAIT is left out; a holder on the LAN answers a probe
 * within milliseconds (its kernel replies to a probe at once, unicast), so
 * PROBE_NUM probes 100-200 ms apart (random, as PROBE_MIN..PROBE_MAX), and
 * 500 ms of listening after the last, still give a slow or lossy holder
 * three chances and at least 700 ms to answer the first. About 0.7-0.9 s in
 * all; it ends at the first conflict. */
#define ARP_PROBE_NUM 3
#define ARP_PROBE_MIN_MS 100
#define ARP_PROBE_MAX_MS 200
#define ARP_PROBE_LISTEN_MS 500

/* What an ARP frame seen while probing says about the address. */
enum arp_verdict {
        ARP_UNRELATED,       /* not about the address, or our own frame */
        ARP_CONFLICT_SENDER, /* another host uses it: its sender IP is the address (a reply, an announcement) */
        ARP_CONFLICT_PROBE,  /* another host probes for it at the same time */
        _ARP_VERDICT_MAX,
        _ARP_VERDICT_INVALID = -EINVAL,
};

/* A conflict found by arp_probe(). */
struct arp_conflict {
        enum arp_verdict verdict; /* ARP_UNRELATED: nobody answered */
        uint8_t mac[6];           /* who: the frame's sender hardware address */
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

/* What addr_up() did. */
enum addr_up_result {
        ADDR_UP_ADDED,   /* nobody else had it (probed, for IPv4 with ARP): added */
        ADDR_UP_ALREADY, /* already on the interface: ours, so not probed */
        ADDR_UP_IN_USE,  /* another host has it, or wants it now: nothing added */
        _ADDR_UP_RESULT_MAX,
        _ADDR_UP_RESULT_INVALID = -EINVAL,
};

struct addr_up_report {
        enum addr_up_result result;
        bool probed;                  /* ARP probes were sent */
        bool noarp;                   /* IPv4 on an interface without ARP: added unprobed */
        bool probe_failed;            /* the error came from the probe: nothing added */
        struct arp_conflict conflict; /* ADDR_UP_IN_USE: who */
};

/* I/O. Each returns 0 or -errno. */
/* Brings a up on the interface, with duplicate-address detection (RFC 5227
 * 2.1.1) for IPv4: an address already there is ours (ADDR_UP_ALREADY, no
 * probe); else it is probed for (arp_probe(); not on an interface without
 * ARP), and added only when nobody answered. Returns 0 with *ret filled
 * (look at ret->result), -EEXIST when the address is there with another
 * prefix length, or the -errno of the lookup, the probe (ret->probe_failed)
 * or the add; nothing is added on any error. */
int addr_up(const char *ifname, const struct cfg_address *a, struct addr_up_report *ret);
/* Adds a to the interface, with no duplicate-address probe (bringing the
 * service address up is addr_up()); an address already there is success
 * (*ret_added false); the same address there with another prefix length is
 * -EEXIST. */
int addr_add(const char *ifname, const struct cfg_address *a, bool *ret_added);
/* Removes a from the interface; an address not there is success (*ret_removed false). */
int addr_del(const char *ifname, const struct cfg_address *a, bool *ret_removed);
/* Sets *ret_present to whether a is on the interface. */
int addr_present(const char *ifname, const struct cfg_address *a, bool *ret_present);
/* Probes for an IPv4 address on the interface before it is added (RFC 5227
 * 2.1.1, with the ARP_PROBE_* timings): sends ARP_PROBE_NUM probes and
 * listens until ARP_PROBE_LISTEN_MS after the last, stopping at the first
 * conflict. Fills *ret: verdict ARP_UNRELATED when nobody answered, else the
 * conflict and who. -EOPNOTSUPP for an interface that does no ARP (NOARP:
 * nobody on it would answer), -EPROTONOSUPPORT for one whose hardware is not
 * Ethernet, -ENETDOWN for one that is down. */
int arp_probe(const char *ifname, const struct cfg_address *a, struct arp_conflict *ret);
/* Sends count ARP announcements for an IPv4 address, interval_ms apart. With
 * background, it returns once the first is sent, and a child process sends
 * the rest, so that the caller does not wait; the child stops early when the
 * address is no longer on the interface, and exits when done. The caller
 * does not reap it: for short-lived callers (tandem-address). */
int arp_announce(const char *ifname, const struct cfg_address *a, unsigned count, unsigned interval_ms,
                 bool background);
