#!/bin/bash
# tandem-address for real, inside two network namespaces this test creates
# (nothing is configured or sent in the host's own namespace): node A and a
# client B joined by a veth pair. Up adds the address through rtnetlink and
# announces it: B, which accepts gratuitous ARP, must learn A's MAC for it.
# Up and down are idempotent; status says up (0) or not up here (7).
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
at_exit 'ip netns del "$NB" 2>/dev/null'
at_exit 'ip netns del "$NA" 2>/dev/null'

ip netns add "$NA" && ip netns add "$NB" || skip "cannot create network namespaces"
ip -n "$NA" link add vA type veth peer name vB netns "$NB"
ip -n "$NA" link set lo up
ip -n "$NB" link set lo up
ip -n "$NA" addr add 10.77.1.1/24 dev vA
ip -n "$NB" addr add 10.77.1.2/24 dev vB
ip netns exec "$NB" sysctl -q -w net.ipv4.conf.vB.arp_accept=1
# No IPv6 chatter on the link: B's received-packet count then counts ARPs.
ip netns exec "$NA" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec "$NB" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$NA" link set vA up
ip -n "$NB" link set vB up
MAC_A=$(ip -n "$NA" -o link show vA | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
A() { ip netns exec "$NA" "$T" --log-target console "$@"; }

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
	seen=$(ip -n "$NB" neigh show 10.77.1.100 dev vB | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2)
	[ -n "$seen" ] && break
	sleep 0.1
done
[ "$seen" = "$MAC_A" ] && pass "the client learnt 10.77.1.100 is at A's MAC $MAC_A" ||
	fail "client's neighbour entry for 10.77.1.100: '${seen:-none}', wanted $MAC_A"
# The other two come from a background child, 200 ms apart.
for ((i = 0; i < 30; i++)); do
	[ $(( $(rx) - rx0 )) -ge 3 ] && break
	sleep 0.1
done
[ $(( $(rx) - rx0 )) -ge 3 ] && pass "B received all three announcements" ||
	fail "B received $(( $(rx) - rx0 )) packets, wanted the 3 announcements"
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
