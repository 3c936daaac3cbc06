#!/bin/bash
# tandem-address for real, inside three network namespaces this test creates
# (nothing is configured or sent in the host's own namespace): node A and a
# client B joined by a veth pair, and a second host C on a bridge in B (A,
# B and C share one link). Up probes for the address (RFC 5227), adds it
# through rtnetlink and announces it: B, which accepts gratuitous ARP, must
# learn A's MAC for it. Up and down are idempotent; status says up (0) or not
# up here (7). Duplicate-address detection: while C holds the address, up
# refuses (exit 1), names C's MAC and adds nothing; once C drops it, up
# works; an address already on A is A's (no probe); a host probing for the
# address at the same time (C, from python3) makes up refuse as well; a
# NOARP interface is not probed, and one that is down cannot be: refused.
# Exit: 0 pass, 77 skip (reason printed), 1 fail.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
BUILD=${BUILD:-build}
T=$(pwd)/$BUILD/tandem-address
need_built "$T"
need_root "network namespaces"
need_cmd ip "iproute2; run tools/deps.sh"

NA=tandem-addr-a-$$
NB=tandem-addr-b-$$
NC=tandem-addr-c-$$
at_exit 'ip netns del "$NC" 2>/dev/null'
at_exit 'ip netns del "$NB" 2>/dev/null'
at_exit 'ip netns del "$NA" 2>/dev/null'

ip netns add "$NA" && ip netns add "$NB" && ip netns add "$NC" || skip "cannot create network namespaces"
ip -n "$NA" link add vA type veth peer name vB netns "$NB"
ip -n "$NC" link add vC type veth peer name vBC netns "$NB"
ip -n "$NB" link add br0 type bridge forward_delay 0
ip -n "$NB" link set vB master br0
ip -n "$NB" link set vBC master br0
for ns in "$NA" "$NB" "$NC"; do ip -n "$ns" link set lo up; done
ip -n "$NA" addr add 10.77.1.1/24 dev vA
ip -n "$NB" addr add 10.77.1.2/24 dev br0
ip -n "$NC" addr add 10.77.1.3/24 dev vC
ip netns exec "$NB" sysctl -q -w net.ipv4.conf.br0.arp_accept=1
# No IPv6 chatter on the link: B's received-packet count then counts ARPs.
for ns in "$NA" "$NB" "$NC"; do
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$NA" link set vA up
ip -n "$NB" link set vB up
ip -n "$NB" link set vBC up
ip -n "$NB" link set br0 up
ip -n "$NC" link set vC up
MAC_A=$(ip -n "$NA" -o link show vA | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
MAC_C=$(ip -n "$NC" -o link show vC | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
A() { ip netns exec "$NA" "$T" --log-target console "$@"; }
on_a() { ip -n "$NA" -4 -o addr show dev vA | grep -q "inet $1 "; }

rx() { ip -n "$NB" -s -j link show vB | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }
rx0=$(rx)
out=$(A --address 10.77.1.100/24 --interface vA up 2>&1)
rc=$?
[ "$rc" -eq 0 ] && pass "up exits 0" || fail "up: exit $rc: $out"
ip -n "$NA" -4 -o addr show dev vA | grep -q 'inet 10.77.1.100/24' && pass "10.77.1.100/24 is on vA" ||
	fail "address not on vA: $(ip -n "$NA" -4 -o addr show dev vA)"
grep -q "announced 10.77.1.100/24 on vA (a gratuitous ARP now, 2 more" <<<"$out" && pass "announced with gratuitous ARP" ||
	fail "no announcement: $out"
seen=""
for ((i = 0; i < 30; i++)); do
	seen=$(ip -n "$NB" neigh show 10.77.1.100 dev br0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2)
	[ -n "$seen" ] && break
	sleep 0.1
done
[ "$seen" = "$MAC_A" ] && pass "the client learnt 10.77.1.100 is at A's MAC $MAC_A" ||
	fail "client's neighbour entry for 10.77.1.100: '${seen:-none}', wanted $MAC_A"
grep -q "nobody answered 3 ARP probes for 10.77.1.100/24" <<<"$out" && pass "probed first (RFC 5227): nobody answered" ||
	fail "no probe: $out"
# The 3 probes, then the announcements: the last two come from a
# background child, 200 ms apart.
for ((i = 0; i < 30; i++)); do
	[ $(( $(rx) - rx0 )) -ge 6 ] && break
	sleep 0.1
done
[ $(( $(rx) - rx0 )) -ge 6 ] && pass "B received the 3 probes and all three announcements" ||
	fail "B received $(( $(rx) - rx0 )) packets, wanted 3 probes and 3 announcements"
for ns in "$NA" "$NB"; do
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
done
ip netns exec "$NA" sysctl -q -w net.ipv6.conf.vA.disable_ipv6=0
ip netns exec "$NB" sysctl -q -w net.ipv6.conf.vB.disable_ipv6=0
out=$(A --address 10.77.1.100/24 --interface vA up 2>&1)
rc=$?
[ "$rc" -eq 0 ] && grep -q "was already up" <<<"$out" && pass "up again: idempotent" || fail "up again: exit $rc: $out"
A --address 10.77.1.100/24 --interface vA status >/dev/null
rc=$?
[ "$rc" -eq 0 ] && pass "status: up (exit 0)" || fail "status: exit $rc"
A --address 10.77.1.100/24 --interface vA --json status | grep -q '"up": true' && pass "status --json: up" ||
	fail "status --json"
out=$(A --address 10.77.1.100/25 --interface vA up 2>&1)
rc=$?
[ "$rc" -eq 1 ] && grep -q "another prefix" <<<"$out" && pass "the same address with another prefix is refused" ||
	fail "other prefix: exit $rc: $out"
A --address 10.77.1.100/24 --interface vA down >/dev/null 2>&1 && pass "down exits 0" || fail "down"
ip -n "$NA" -4 -o addr show dev vA | grep -q '10.77.1.100' && fail "address still on vA" || pass "address gone from vA"
ip -n "$NA" -4 -o addr show dev vA | grep -q 'inet 10.77.1.1/24' && pass "vA's own address untouched" ||
	fail "vA lost its own address"
A --address 10.77.1.100/24 --interface vA status >/dev/null
rc=$?
[ "$rc" -eq 7 ] && pass "status: not up here (exit 7)" || fail "status after down: exit $rc"
out=$(A --address 10.77.1.100/24 --interface vA down 2>&1)
rc=$?
[ "$rc" -eq 0 ] && grep -q "was not up" <<<"$out" && pass "down again: idempotent" || fail "down again: exit $rc: $out"

# --- Duplicate-address detection (RFC 5227 2.1.1) -----------------------------
# C holds the address: its kernel answers A's probes.
ip -n "$NC" addr add 10.77.1.100/24 dev vC
out=$(A --address 10.77.1.100/24 --interface vA up 2>&1)
rc=$?
[ "$rc" -eq 1 ] && pass "dad: up refuses (exit 1) while C holds 10.77.1.100" || fail "dad: up with C holding it: exit $rc: $out"
grep -q "vA: 10.77.1.100/24 is in use by $MAC_C" <<<"$out" &&
	pass "dad: the refusal names the address, the interface and C's MAC $MAC_C" || fail "dad: refusal: $out"
on_a 10.77.1.100/24 && fail "dad: the address was added to vA anyway" || pass "dad: nothing added to vA"
A --address 10.77.1.100/24 --interface vA status >/dev/null
rc=$?
[ "$rc" -eq 7 ] && pass "dad: status: not up here (exit 7)" || fail "dad: status: exit $rc"
ip -n "$NC" addr del 10.77.1.100/24 dev vC
out=$(A --address 10.77.1.100/24 --interface vA up 2>&1)
rc=$?
[ "$rc" -eq 0 ] && on_a 10.77.1.100/24 && pass "dad: once C dropped it, up adds it" || fail "dad: up after C dropped it: exit $rc: $out"
# Already on A: it is A's, and up does not probe (C, holding it too now,
# would answer a probe).
ip -n "$NC" addr add 10.77.1.100/24 dev vC
out=$(A --address 10.77.1.100/24 --interface vA up 2>&1)
rc=$?
[ "$rc" -eq 0 ] && grep -q "was already up" <<<"$out" && ! grep -q "probe" <<<"$out" &&
	pass "dad: an address already on vA is ours: up succeeds without a probe" || fail "dad: up when already up: exit $rc: $out"
ip -n "$NC" addr del 10.77.1.100/24 dev vC
A --address 10.77.1.100/24 --interface vA down >/dev/null 2>&1
# A host that probes for the same address at the same time (RFC 5227's
# second rule): C answers A's first probe with a probe of its own.
if command -v python3 >/dev/null; then
	t_tmpdir tandem-addr-dad
	ip netns exec "$NC" timeout 20 python3 -c '
import socket, sys
mac, ready = bytes.fromhex(sys.argv[1].replace(":", "")), sys.argv[2]
ip = bytes([10, 77, 1, 100])
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0806))
s.bind(("vC", 0x0806))
open(ready, "w").close()
while True:
    p = s.recv(128)
    # A probe (RFC 5227: request, sender IP 0.0.0.0) for the address, not ours.
    if len(p) >= 28 and p[6:8] == b"\0\1" and p[14:18] == bytes(4) and p[24:28] == ip and p[8:14] != mac:
        break
s.sendto(p[:8] + mac + bytes(10) + ip, ("vC", 0x0806, 0, 0, b"\xff" * 6))
' "$MAC_C" "$T_TMP/ready" &
	prober=$!
	for ((i = 0; i < 50; i++)); do [ -e "$T_TMP/ready" ] && break; sleep 0.1; done
	out=$(A --address 10.77.1.100/24 --interface vA up 2>&1)
	rc=$?
	t_kill "$prober"
	[ "$rc" -eq 1 ] && grep -q "vA: another host, $MAC_C, is probing for 10.77.1.100/24" <<<"$out" &&
		pass "dad: a host probing for it at the same time: up refuses, naming its MAC" ||
		fail "dad: simultaneous probe: exit $rc: $out"
	on_a 10.77.1.100/24 && fail "dad: added despite the other prober" || pass "dad: nothing added despite the other prober"
else
	echo "(no python3: the simultaneous-probe check is left out)"
fi
# An interface without ARP (NOARP): nobody could answer, so no probe, and a
# notice says so. One that is down cannot be probed: refused. (veth pairs
# inside A: the kernel may have no dummy driver.)
ip -n "$NA" link add d0 type veth peer name d0p && ip -n "$NA" link set d0 arp off up && ip -n "$NA" link set d0p up
out=$(A --address 10.77.9.100/24 --interface d0 up 2>&1)
rc=$?
[ "$rc" -eq 0 ] && grep -q "d0 has no ARP (NOARP): 10.77.9.100/24 added without a duplicate-address probe" <<<"$out" &&
	pass "dad: a NOARP interface: added unprobed, and said so" || fail "dad: NOARP: exit $rc: $out"
ip -n "$NA" link add d1 type veth peer name d1p
out=$(A --address 10.77.8.100/24 --interface d1 up 2>&1)
rc=$?
[ "$rc" -eq 1 ] && grep -q "d1: cannot probe for 10.77.8.100/24 .*: Network is down" <<<"$out" &&
	! ip -n "$NA" -4 -o addr show dev d1 | grep -q 10.77.8.100 &&
	pass "dad: an interface that is down cannot be probed: refused, nothing added" || fail "dad: down interface: exit $rc: $out"

out=$(A --address fd77::100/64 --interface vA up 2>&1)
rc=$?
[ "$rc" -eq 0 ] && ip -n "$NA" -6 -o addr show dev vA | grep -q 'inet6 fd77::100/64' && pass "IPv6 up" ||
	fail "IPv6 up: exit $rc: $out"
A --address fd77::100/64 --interface vA down >/dev/null 2>&1 && ! ip -n "$NA" -6 -o addr show dev vA | grep -q fd77::100 &&
	pass "IPv6 down" || fail "IPv6 down"

out=$(A --address 10.77.1.100 --interface vA up 2>&1)
rc=$?
[ "$rc" -eq 2 ] && grep -q "prefix length" <<<"$out" && pass "an address without a prefix: usage error naming the reason" ||
	fail "no prefix: exit $rc: $out"
out=$(A --address 10.77.1.100/24 --interface nosuch0 up 2>&1)
rc=$?
[ "$rc" -eq 1 ] && grep -q "nosuch0" <<<"$out" && pass "a missing interface: a clear error" || fail "missing interface: exit $rc: $out"

finish
