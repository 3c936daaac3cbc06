#!/bin/bash
# tandem's systemd units in the two-node cluster rig (tests/rig/cluster/):
# systemd as PID 1 in db1 and db2, one shared loop disk, set up by
# tests/rig/cluster/group.sh --no-postgres --no-unfence. The units from
# units/ are bound into /etc/systemd/system of both nodes, the built programs
# into /usr/sbin, and group "db" gets /etc/tandem/db.conf (0600 root):
#   - [fence]: one LUN of a tgtd in the client namespace
#     (iscsi://10.77.0.1:PORT/...), reached by both nodes through libiscsi;
#     the real tandem-fence runs in both. The reservation is read
#     independently with tests/rig/iscsi-pr from the client namespace.
#   - [raid]: the nodes' kernel has no md, so tandem-raid@db reads the md
#     sysfs trees captured from a real kernel (tests/fixtures/md), through a
#     drop-in setting OCF_RESKEY_sysroot.
#   - [volume]: ext4 LABEL=tandemdb on $CLUSTER_DISK at /srv/db.
#   - [service]: tandem-rig-db.service (sleep, with its working directory on
#     the volume), joined to the group by units/examples/postgresql-tandem.conf
#     and `systemctl add-wants`; address 10.77.0.100/24 on eth0.
# Checked: start on db1 (everything active, in order takeover < watch < raid <
# volume < address < service, mounted, address up, the reservation ours);
# stop (the exact reverse, release last: nobody holds the reservation,
# unmounted, address down); start on db2; a failed unmount keeps the
# reservation (I5: no release); a lost key (db2 preempts db1's) stops the
# group (I4); a degraded array with on_degraded=refuse blocks the start,
# with allow not.
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
group_rig_start --no-postgres --no-unfence || die "the group rig did not start"
ADDR=$GROUP_ADDR/$GROUP_PREFIX
CHAIN=("tandem-takeover@$GROUP.service" "tandem-watch@$GROUP.service" "tandem-raid@$GROUP.service"
       "tandem-volume@$GROUP.service" "tandem-address@$GROUP.service" "$GROUP_SVC")
echo "cluster up in $((SECONDS - t0))s; shared disk $CLUSTER_DISK; fence LUN $GROUP_LUN"
check "host: mkfs.ext4 -L tandemdb $CLUSTER_DISK" mkfs.ext4 -q -F -L tandemdb "$CLUSTER_DISK"

declare -A K    # the nodes' keys, as their tandem-fence lists them
for n in db1 db2; do
	check "$n: units load (tandem-active@$GROUP.target: $(on $n systemctl show -P LoadState tandem-active@$GROUP.target))" \
		eq loaded "$(on $n systemctl show -P LoadState tandem-active@$GROUP.target)"
	check "$n: the example drop-in ties $GROUP_SVC to the group (PartOf= the target, the volume, the address)" \
		eq "tandem-active@$GROUP.target tandem-address@$GROUP.service tandem-volume@$GROUP.service" \
		"$(on $n systemctl show -P PartOf "$GROUP_SVC" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
	check "$n: ... and Requisite= on the volume and the address (a start alone never pulls the chain in)" \
		eq "tandem-address@$GROUP.service tandem-volume@$GROUP.service" \
		"$(on $n systemctl show -P Requisite "$GROUP_SVC" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
	check "$n: tandem-unfence@$GROUP" on $n systemctl start tandem-unfence@$GROUP.service
	K[$n]=$(registered_key $n)
	check "$n: its key is known (${K[$n]})" test -n "${K[$n]}"
done

stamp() { on "$1" systemctl show -P "$2" "$3"; }
ascending() { # ascending N1 N2...: strictly increasing, non-zero
	local prev=0 x
	for x in "$@"; do
		[ "$x" -gt "$prev" ] || { echo "     not ascending: $*"; return 1; }
		prev=$x
	done
}

start_group() { # start_group NODE: start, check everything up and in order
	local n=$1 u st=()
	check "$n: systemctl start tandem-active@$GROUP.target" on "$n" systemctl start tandem-active@$GROUP.target ||
		on "$n" journalctl -b -q -o cat -u 'tandem-*' | tail -n 20 | sed 's/^/     /'
	for u in "${CHAIN[@]}" tandem-active@$GROUP.target; do
		check "$n: $u is active" eq active "$(unit_state "$n" "$u")"
	done
	check "$n: $GROUP_MNT is mounted from $CLUSTER_DISK" eq "$CLUSTER_DISK" "$(on "$n" findmnt -n -o SOURCE "$GROUP_MNT")"
	check "$n: $ADDR is on $CLUSTER_IFACE" addr_up "$n"
	check "$n holds the reservation, read independently" eq "${K[$n]}" "$(pr_holder)"
	for u in "${CHAIN[@]}"; do st+=("$(stamp "$n" ActiveEnterTimestampMonotonic "$u")"); done
	check "$n: start order takeover < watch < raid < volume < address < service" ascending "${st[@]}"
}
stop_group() { # stop_group NODE: stop, check everything down, in reverse
	local n=$1 u st=() i
	# systemctl waits only for the jobs it queued; the target's own stop job
	# ends first (it is ordered after the chain), so name the takeover too:
	# its stop (the release) ends last.
	check "$n: systemctl stop tandem-active@$GROUP.target tandem-takeover@$GROUP.service" \
		on "$n" systemctl stop tandem-active@$GROUP.target tandem-takeover@$GROUP.service
	for u in "${CHAIN[@]}"; do
		check "$n: $u is inactive" eq inactive "$(unit_state "$n" "$u")"
	done
	check "$n: $GROUP_MNT is unmounted" not mounted "$n"
	check "$n: $ADDR is gone" not addr_up "$n"
	for ((i = ${#CHAIN[@]} - 1; i >= 0; i--)); do
		st+=("$(stamp "$n" InactiveEnterTimestampMonotonic "${CHAIN[i]}")")
	done
	check "$n: stop order service < address < volume < raid < watch < takeover" ascending "${st[@]}"
	check "$n: released: nobody holds the reservation, read independently" eq "" "$(pr_holder)"
}

# --- start, stop, start on the other node ------------------------------------
start_group db1
on db1 sh -c "echo 'written on db1' >$GROUP_MNT/probe"
check "db1: the service runs in $GROUP_MNT" eq "$GROUP_MNT" "$(on db1 readlink /proc/"$(on db1 systemctl show -P MainPID $GROUP_SVC)"/cwd)"
stop_group db1
start_group db2
check "db2: reads db1's file on the volume" eq "written on db1" "$(on db2 cat "$GROUP_MNT/probe")"
check "db2: systemctl start again (I6: idempotent)" on db2 systemctl start tandem-active@$GROUP.target
stop_group db2

# --- I5: a failed unmount keeps the reservation -------------------------------
# A filesystem mounted on the volume makes its unmount fail (EBUSY; a
# non-lazy umount never detaches a parent of a live mount).
start_group db1
on db1 sh -c "mkdir -p $GROUP_MNT/sub && mount -t tmpfs rigblock $GROUP_MNT/sub"
on db1 systemctl stop tandem-active@$GROUP.target tandem-takeover@$GROUP.service
check "I5 db1: tandem-volume@$GROUP failed (unmount refused)" eq failed "$(unit_state db1 tandem-volume@$GROUP.service)"
check "I5 db1: the volume is still mounted" mounted db1
check "I5 db1: no release: db1 still holds the reservation" eq "${K[db1]}" "$(pr_holder)"
check "I5 db1: tandem-takeover@$GROUP failed and says why" \
	journal_has db1 tandem-takeover@$GROUP.service 'NOT releasing the reservation \(I5\)'
check "I5 db1: the service and the address are down" \
	eq "inactive inactive" "$(unit_state db1 $GROUP_SVC) $(unit_state db1 tandem-address@$GROUP.service)"
on db1 umount "$GROUP_MNT/sub"
on db1 systemctl reset-failed
# The admin removes the cause, starts the group again (I6: the volume is
# still mounted, the start takes it as it is), and stops it: now it
# unmounts and releases.
check "I5 db1: after the fix, the group starts again on the mounted volume" \
	on db1 systemctl start tandem-active@$GROUP.target
on db1 systemctl stop tandem-active@$GROUP.target tandem-takeover@$GROUP.service
check "I5 db1: after the fix, unmounted" not mounted db1
check "I5 db1: after the fix, released" eq "" "$(pr_holder)"
check "I5 db1: after the fix, takeover inactive (not failed)" eq inactive "$(unit_state db1 tandem-takeover@$GROUP.service)"

# --- I4: a lost key stops the group -------------------------------------------
start_group db1
check "I4: db2 preempts db1's key" on db2 tandem-fence -q -g $GROUP preempt db1
for _ in $(seq 1 30); do
	[ "$(unit_state db1 tandem-volume@$GROUP.service)" = inactive ] && [ "$(unit_state db1 tandem-takeover@$GROUP.service)" != active ] && break
	sleep 0.5
done
check "I4 db1: watch exited 4" eq 4 "$(stamp db1 ExecMainStatus tandem-watch@$GROUP.service)"
check "I4 db1: group stopped: volume unmounted" not mounted db1
check "I4 db1: group stopped: address gone" not addr_up db1
check "I4 db1: group stopped: service, volume down" \
	eq "inactive inactive" "$(unit_state db1 $GROUP_SVC) $(unit_state db1 tandem-volume@$GROUP.service)"
# Its release fails (a fenced node's key is gone): failed, not active.
check "I4 db1: takeover no longer active ($(unit_state db1 tandem-takeover@$GROUP.service))" \
	not eq active "$(unit_state db1 tandem-takeover@$GROUP.service)"
on db1 systemctl reset-failed
check "I4: db1 unfences again; db2 releases what its preempt took" on db1 tandem-fence -q -g $GROUP unfence
on db2 tandem-fence -q -g $GROUP release

# --- RAID gate: on_degraded ----------------------------------------------------
group_raid_fixture db1 degraded
group_conf db1 raid.on_degraded=refuse
check "raid db1: degraded + on_degraded=refuse: start fails" not on db1 systemctl start tandem-active@$GROUP.target
check "raid db1: refuse: tandem-raid@$GROUP failed" eq failed "$(unit_state db1 tandem-raid@$GROUP.service)"
check "raid db1: refuse: the volume was not mounted" not mounted db1
check "raid db1: refuse: the journal says why" \
	journal_has db1 tandem-raid@$GROUP.service 'on_degraded=refuse'
on db1 systemctl stop tandem-active@$GROUP.target tandem-takeover@$GROUP.service
on db1 systemctl reset-failed
group_conf db1 raid.on_degraded=allow
check "raid db1: degraded + on_degraded=allow: start works" on db1 systemctl start tandem-active@$GROUP.target
check "raid db1: allow: mounted" mounted db1
on db1 systemctl stop tandem-active@$GROUP.target tandem-takeover@$GROUP.service
check "raid db1: allow: stopped, unmounted" not mounted db1
check "raid db1: allow: released" eq "" "$(pr_holder)"

echo "total $((SECONDS - t0))s"
finish
