#!/bin/bash
# Duplicate-address detection of the floating address (M7, RFC 5227) in the
# two-node cluster rig (tests/rig/cluster/, set up by group.sh
# --no-postgres): before tandem-address@db adds 10.77.0.100/24 on db1's
# eth0, it probes for it, and refuses when another host answers.
#   1. A second holder on the client namespace's bridge (br0, the LAN side):
#      starting the group on db1 fails at tandem-address@db, whose journal
#      names the address, eth0 and br0's MAC; the address is not on db1 and
#      the service did not start. Once the holder is gone, the group starts,
#      and the client reaches the address at db1's MAC.
#   2. The peer, db2, holds it by hand (a leftover): `tandem move` on db1
#      fails the same way, naming db2's MAC, and leaves db2's address alone;
#      once db2 drops it, the move brings the group up on db1.
# Every address and frame stays in the rig's namespaces, never the host's.
# Exit 0 pass, 77 skip (with the reason), anything else fail.
# shellcheck disable=SC2317 # helpers run through check and the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
# shellcheck source=tests/rig/cluster/cluster.sh
. tests/rig/cluster/cluster.sh
# shellcheck source=tests/rig/tgtd.sh
. tests/rig/tgtd.sh
# shellcheck source=tests/rig/cluster/group.sh
. tests/rig/cluster/group.sh
why=$(group_can_run --no-postgres) || skip "${why#*: skip: }"
at_exit group_rig_stop

t0=$SECONDS
group_rig_start --no-postgres || die "the group rig did not start"
ADDR=$GROUP_ADDR/$GROUP_PREFIX
UA=tandem-address@$GROUP.service
echo "cluster up in $((SECONDS - t0))s; shared disk $CLUSTER_DISK; fence LUN $GROUP_LUN"
check "host: mkfs.ext4 -L tandemdb $CLUSTER_DISK" mkfs.ext4 -q -F -L tandemdb "$CLUSTER_DISK"

mac_of() { sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
MAC_BR=$(cluster_client ip -o link show br0 | mac_of)
MAC_DB1=$(on db1 ip -o link show "$CLUSTER_IFACE" | mac_of)
MAC_DB2=$(on db2 ip -o link show "$CLUSTER_IFACE" | mac_of)
check "the MACs are known (br0 $MAC_BR, db1 $MAC_DB1, db2 $MAC_DB2)" test -n "$MAC_BR" -a -n "$MAC_DB1" -a -n "$MAC_DB2"
journal_tail() { on "$1" journalctl -b -q -o cat -u 'tandem-*' | tail -n 15 | sed 's/^/     | /'; }
stop_group() { # stop_group NODE: stop and wait for the release; forget failures
	on "$1" systemctl stop "tandem-active@$GROUP.target" "tandem-takeover@$GROUP.service"
	on "$1" systemctl reset-failed
}
refused() { # refused WHAT MAC: the group's start on db1 failed at the address, naming MAC
	local what=$1 mac=$2
	check "$what: $UA failed" eq failed "$(unit_state db1 "$UA")"
	check "$what: its journal says the address is in use on $CLUSTER_IFACE, by $mac" \
		journal_has db1 "$UA" "$CLUSTER_IFACE: $ADDR is in use by $mac, which answered our ARP probe" ||
		journal_tail db1
	check "$what: the journal entry carries TANDEM_CONFLICT_MAC=$mac" \
		eval "on db1 journalctl -b -q -o verbose -u $UA | grep -qx ' *TANDEM_CONFLICT_MAC=$mac'"
	check "$what: $ADDR is not on db1" not addr_up db1
	check "$what: the service did not start" test "$(unit_state db1 "$GROUP_SVC")" != active
	on db1 journalctl -b -q -o cat -u "$UA" | grep -F "is in use by" | tail -n 1 | sed 's/^/     | /'
}

# --- 1. a second holder on the LAN side (the client namespace's bridge) -------
check "client: $ADDR on br0 (the second holder)" cluster_client ip addr add "$ADDR" dev br0
check "db1: systemctl start tandem-active@$GROUP.target fails" not on db1 systemctl start "tandem-active@$GROUP.target"
refused "br0 holds it" "$MAC_BR"
stop_group db1
check "client: the second holder drops $ADDR" cluster_client ip addr del "$ADDR" dev br0
check "db1: now the group starts" on db1 systemctl start "tandem-active@$GROUP.target" || journal_tail db1
check "db1: $UA is active" eq active "$(unit_state db1 "$UA")"
check "db1: $ADDR is on $CLUSTER_IFACE" addr_up db1
check "db1: $UA probed first, and nobody answered" journal_has db1 "$UA" "nobody answered 3 ARP probes for $ADDR"
# How long the probe took: the unit's start, from the exec to active.
st=$(( $(on db1 systemctl show -P ActiveEnterTimestampMonotonic "$UA") -
       $(on db1 systemctl show -P ExecMainStartTimestampMonotonic "$UA") ))
echo "     $UA start: $((st / 1000)) ms (probes and the add)"
check "db1: the service runs" eq active "$(unit_state db1 "$GROUP_SVC")"
# A TCP connection to db1's sshd through the address: the client resolves
# it with ARP, and must get db1's MAC.
check "client: reaches db1's sshd at $GROUP_ADDR" \
	cluster_client timeout 5 bash -c "exec 3<>/dev/tcp/$GROUP_ADDR/22 && head -c 4 <&3 | grep -q SSH-"
check "client: $GROUP_ADDR is at db1's MAC" \
	eq "$MAC_DB1" "$(cluster_client ip neigh show "$GROUP_ADDR" dev br0 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')"
stop_group db1
check "db1: stopped: $ADDR gone" not addr_up db1

# --- 2. the peer holds it by hand; tandem move on db1 -------------------------
check "db2: $ADDR on $CLUSTER_IFACE by hand (not the group)" on db2 ip addr add "$ADDR" dev "$CLUSTER_IFACE"
t_run on db1 tandem -g "$GROUP" move
check "db1: tandem move fails (exit $T_RC)" test "$T_RC" -ne 0 || _t_show "$T_OUT" "$T_ERR"
printf '%s\n' "$T_OUT" "$T_ERR" | grep -iE 'address|fail' | head -n 5 | sed 's/^/     | /'
refused "db2 holds it" "$MAC_DB2"
check "db2: its address was left alone" addr_up db2
stop_group db1
check "db2: drops $ADDR" on db2 ip addr del "$ADDR" dev "$CLUSTER_IFACE"
t_run on db1 tandem -g "$GROUP" move
check "db1: now tandem move brings the group up" eq 0 "$T_RC" || _t_show "$T_OUT" "$T_ERR"
check "db1: $UA is active" eq active "$(unit_state db1 "$UA")"
check "db1: $ADDR is on $CLUSTER_IFACE" addr_up db1
check "db2: $ADDR is not" not addr_up db2
stop_group db1

echo "total $((SECONDS - t0))s"
finish
