#!/bin/bash
# shellcheck disable=SC2016,SC2089,SC2090 # scripts in variables, run by bash -c in the nodes
# The failover in the two-node cluster rig (tests/rig/cluster/group.sh:
# PostgreSQL 15 on the shared volume, a tgtd LUN as the fence device, a client
# writing rows through 10.77.0.100 the whole time), broken down by step.
#   1. MOVES planned moves (`tandem move`, alternating db1 <-> db2; default 7);
#   2. CRASHES crash failovers (the active node's container killed, then
#      `tandem takeover` on the other; default 5; the killed node boots again
#      and unfences before the next round);
#   3. in the same run, on the same nodes, volume and address, the
#      alternative for the steps tandem does besides fencing: resource-agents'
#      Filesystem and IPaddr2 agents (start and stop, RUNS rounds, default 7)
#      against tandem-volume and tandem-address run the same way.
# Step durations come from systemd in the nodes (each unit's
# InactiveExit->ActiveEnter on start, ActiveExit->InactiveEnter on stop);
# the totals are the wall time of the tandem command, measured inside the
# node. tandem's share is the total less the database's own stop and start.
# Medians, in ms. Needs root. Not a test: it checks only that each step
# worked, and prints figures.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
export BUILD
MOVES=${MOVES:-7}
CRASHES=${CRASHES:-5}
RUNS=${RUNS:-7}
for v in MOVES CRASHES RUNS; do
	[ "${!v}" -ge 5 ] 2>/dev/null || { echo "$v must be at least 5"; exit 2; }
done
. tests/rig/cluster/cluster.sh
. tests/rig/tgtd.sh
. tests/rig/cluster/group.sh
why=$(group_can_run) || { echo "skip: ${why#*: skip: }"; exit 77; }

work=$(mktemp -d /tmp/tandem-bench-failover.XXXXXX)
cleanup() {
	group_rig_stop
	rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

die() { echo "bench: $*" >&2; exit 1; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# rec NAME VALUE: one sample of NAME (ms).
rec() { echo "$2" >>"$work/s.$1"; }
med() { median <"$work/s.$1" 2>/dev/null; }

UNITS=("tandem-takeover@$GROUP.service" "tandem-watch@$GROUP.service" "tandem-raid@$GROUP.service"
       "tandem-volume@$GROUP.service" "tandem-address@$GROUP.service" "$GROUP_SVC")
SHORT=(takeover watch raid volume address service)
# unit_times NODE start|stop PREFIX: record each unit's last start or stop
# duration under PREFIX.SHORTNAME.
unit_times() {
	local n=$1 what=$2 pre=$3 i
	local -a d
	mapfile -t d < <(on "$n" systemctl show -p InactiveExitTimestampMonotonic -p ActiveEnterTimestampMonotonic \
			-p ActiveExitTimestampMonotonic -p InactiveEnterTimestampMonotonic "${UNITS[@]}" |
		awk -F= -v what="$what" '
			{ v[$1] = $2 }
			/^InactiveEnterTimestampMonotonic=/ {
				if (what == "start") printf "%.1f\n", (v["ActiveEnterTimestampMonotonic"] - v["InactiveExitTimestampMonotonic"]) / 1000
				else printf "%.1f\n", (v["InactiveEnterTimestampMonotonic"] - v["ActiveExitTimestampMonotonic"]) / 1000
			}')
	[ "${#d[@]}" -eq "${#UNITS[@]}" ] || die "cannot read the units' timestamps on $n"
	for i in "${!SHORT[@]}"; do
		rec "$pre.${SHORT[i]}" "${d[i]}"
	done
}
# timed NODE OUT CMD...: run CMD in NODE, print its wall time in ms (measured
# inside the node), its output to OUT.
timed() {
	local n=$1 out=$2
	shift 2
	on "$n" bash -c 't=$EPOCHREALTIME; "$@" >/tmp/bench.out 2>&1; rc=$?; e=$EPOCHREALTIME
		cat /tmp/bench.out >&2; echo "$rc $(( (${e/./} - ${t/./}) / 1000 ))"' _ "$@" 2>"$out"
}
other() { [ "$1" = db1 ] && echo db2 || echo db1; }

echo "starting the rig (PostgreSQL, tgtd, two nodes)..."
group_rig_start || die "the rig did not start"
read -r rc ms < <(timed db1 "$work/start" tandem -g "$GROUP" move)
[ "$rc" = 0 ] || { cat "$work/start"; die "the first start failed"; }
client_sql db1 "CREATE TABLE rows (n integer PRIMARY KEY, node text NOT NULL)" || die "no table"
client_start "$work/client"
client_wait_rows 20 || die "the client does not write"

# --- 1. planned moves ---------------------------------------------------------------
active=db1
for ((i = 1; i <= MOVES; i++)); do
	dst=$(other "$active")
	client_stop
	client_start "$work/client"
	client_wait_rows 10 || die "move $i: the client does not write before"
	read -r rc ms < <(timed "$dst" "$work/move" tandem -g "$GROUP" move)
	[ "$rc" = 0 ] || { cat "$work/move"; die "move $i ($active -> $dst) failed"; }
	mounted "$dst" && ! mounted "$active" || die "move $i: the volume is not where it should be"
	client_wait_rows 10 || die "move $i: the client does not write after"
	rec move.total "$ms"
	rec move.preflight "$(awk 'match($0, /^preflight on .* ([0-9]+\.[0-9]+)s  /, m) { print m[1] * 1000 }' "$work/move")"
	rec move.ssh "$(awk 'match($0, /^reach systemd on .* ([0-9]+\.[0-9]+)s  /, m) { print m[1] * 1000 }' "$work/move")"
	rec move.gap "$(awk -v g="$(client_gap)" 'BEGIN { print g * 1000 }')"
	unit_times "$active" stop move.stop
	unit_times "$dst" start move.start
	printf '  move %d: %s -> %s  %s ms\n' "$i" "$active" "$dst" "$ms"
	active=$dst
done
client_stop
client_tally "$active" >"$work/tally.move" || { cat "$work/tally.move"; die "rows lost in the moves"; }

# --- 2. crash failovers ------------------------------------------------------------------
for ((i = 1; i <= CRASHES; i++)); do
	dst=$(other "$active")
	client_start "$work/client"
	client_wait_rows 10 || die "crash $i: the client does not write before"
	cluster_kill "$active" || die "crash $i: cannot kill $active"
	read -r rc ms < <(timed "$dst" "$work/takeover" tandem -g "$GROUP" takeover)
	[ "$rc" = 0 ] || { cat "$work/takeover"; die "crash $i: takeover on $dst failed"; }
	client_wait_rows 10 || die "crash $i: the client does not write after"
	client_stop
	rec crash.total "$ms"
	rec crash.gap "$(awk -v g="$(client_gap)" 'BEGIN { print g * 1000 }')"
	rec crash.fence "$(awk '/^fence / { sub(/s$/, "", $(NF - 1)); print $(NF - 1) * 1000 }' "$work/takeover")"
	unit_times "$dst" start crash.start
	printf '  crash %d: %s killed, takeover on %s  %s ms\n' "$i" "$active" "$dst" "$ms"
	cluster_boot "$active" >/dev/null 2>&1 || die "crash $i: $active does not boot again"
	active=$dst
done
client_tally "$active" >"$work/tally.crash" || { cat "$work/tally.crash"; die "rows lost in the crashes"; }

# --- 3. the alternative: resource-agents' Filesystem and IPaddr2, on the same node -----
on "$active" systemctl stop "tandem-active@$GROUP.target" "tandem-takeover@$GROUP.service" ||
	die "cannot stop the group on $active"
# One round on NODE: the four agent operations, then tandem's four, each
# timed in the node; tandem-volume mounts only under the reservation (I1), so
# tandem-fence takeover and release run around it (timed apart).
# shellcheck disable=SC2016 # expanded in the node
common='
set -u
ms() { echo $(( (${2/./} - ${1/./}) / 1000 )); }
run() { local t=$EPOCHREALTIME; "$@" >/dev/null 2>/tmp/bench.err || { echo "FAILED: $*" >&2; cat /tmp/bench.err >&2; exit 1; }; ms "$t" "$EPOCHREALTIME"; }
'
ra='
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=bench
FS="env OCF_RESKEY_device=$DEV OCF_RESKEY_directory=$MNT OCF_RESKEY_fstype=ext4 /usr/lib/ocf/resource.d/heartbeat/Filesystem"
IP="env OCF_RESKEY_ip=$ADDR OCF_RESKEY_cidr_netmask=$PFX OCF_RESKEY_nic=$NIC /usr/lib/ocf/resource.d/heartbeat/IPaddr2"
a=$(run $FS start); findmnt -n "$MNT" >/dev/null || { echo "FAILED: Filesystem did not mount" >&2; exit 1; }
b=$(run $IP start); ip -o addr show dev "$NIC" | grep -qF " $ADDR/$PFX " || { echo "FAILED: IPaddr2 did not add" >&2; exit 1; }
c=$(run $IP stop)
d=$(run $FS stop); ! findmnt -n "$MNT" >/dev/null || { echo "FAILED: Filesystem did not unmount" >&2; exit 1; }
echo "$a $b $c $d"'
tdm='
e=$(run tandem-fence -q -g "$G" takeover)
f=$(run tandem-volume -q -g "$G" mount)
g=$(run tandem-address -q -g "$G" up)
h=$(run tandem-address -q -g "$G" down)
i=$(run tandem-volume -q -g "$G" umount); ! findmnt -n "$MNT" >/dev/null || { echo "FAILED: tandem-volume did not unmount" >&2; exit 1; }
j=$(run tandem-fence -q -g "$G" release)
echo "$e $f $g $h $i $j"'
# in_node SCRIPT: run common+SCRIPT in the active node, in a mount
# namespace of its own.
in_node() {
	on "$active" env DEV="$CLUSTER_DISK" MNT="$GROUP_MNT" ADDR="$GROUP_ADDR" PFX="$GROUP_PREFIX" \
		NIC="$CLUSTER_IFACE" G="$GROUP" unshare -m --propagation private bash -c "$common$1" 2>"$work/round.err"
}
for ((i = 1; i <= RUNS; i++)); do
	a='' k=''
	# Which goes first alternates.
	if [ $((i % 2)) = 1 ]; then
		read -r a b c d < <(in_node "$ra")
		read -r e f g h j k < <(in_node "$tdm")
	else
		read -r e f g h j k < <(in_node "$tdm")
		read -r a b c d < <(in_node "$ra")
	fi
	[ -n "$a" ] && [ -n "$k" ] || { cat "$work/round.err"; die "alternative round $i failed"; }
	rec ra.fs_start "$a"; rec ra.ip_start "$b"; rec ra.ip_stop "$c"; rec ra.fs_stop "$d"
	rec t.takeover "$e"; rec t.mount "$f"; rec t.up "$g"; rec t.down "$h"; rec t.umount "$j"; rec t.release "$k"
done

# --- the figures -------------------------------------------------------------------------------
share() { awk -v t="$1" -v a="$2" -v b="$3" 'BEGIN { s = t - a - b; printf "%.0f ms (%.0f%% of the total)", s, 100 * s / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }
row() { printf '  %-52s %8s\n' "$1" "$2"; }
echo
echo "planned move, tandem move (medians of $MOVES, ms; the client writing throughout)"
row "preflight on the destination (its key, the volume)" "$(med move.preflight)"
row "stop the service (PostgreSQL, on the source)" "$(med move.stop.service)"
row "address down" "$(med move.stop.address)"
row "unmount" "$(med move.stop.volume)"
row "RAID gate and watch stop" "$(awk -v a="$(med move.stop.raid)" -v b="$(med move.stop.watch)" 'BEGIN { print a + b }')"
row "release the reservation" "$(med move.stop.takeover)"
row "take over the reservation (on the destination)" "$(med move.start.takeover)"
row "watch and RAID gate start" "$(awk -v a="$(med move.start.raid)" -v b="$(med move.start.watch)" 'BEGIN { print a + b }')"
row "mount" "$(med move.start.volume)"
row "address up (and the first gratuitous ARP)" "$(med move.start.address)"
row "start the service (PostgreSQL)" "$(med move.start.service)"
row "reach the peer's systemd over SSH" "$(med move.ssh)"
row "total: tandem move, wall" "$(med move.total)"
echo "  tandem's share (the total less the database's own stop and start):"
echo "    $(share "$(med move.total)" "$(med move.stop.service)" "$(med move.start.service)"); the rest of it is"
echo "    systemd's job handling between the steps, and the SSH connection"
row "the client's longest wait for a commit" "$(med move.gap)"
echo
echo "crash failover, tandem takeover after the active node is killed (medians of $CRASHES, ms)"
row "fence the dead peer (preempt its key, verify)" "$(med crash.fence)"
row "take over the reservation" "$(med crash.start.takeover)"
row "watch and RAID gate start" "$(awk -v a="$(med crash.start.raid)" -v b="$(med crash.start.watch)" 'BEGIN { print a + b }')"
row "mount (after the crash: ext4 journal replay)" "$(med crash.start.volume)"
row "address up" "$(med crash.start.address)"
row "start the service (PostgreSQL, with crash recovery)" "$(med crash.start.service)"
row "total: tandem takeover, wall" "$(med crash.total)"
echo "  tandem's share (the total less the database's own start):"
echo "    $(share "$(med crash.total)" 0 "$(med crash.start.service)")"
row "the client's longest wait for a commit" "$(med crash.gap)"
echo
echo "the same work without fencing, on one node, against resource-agents (medians of $RUNS, ms)"
printf '  %-30s %12s %12s %8s\n' step resource-agents tandem ratio
for p in "mount|fs_start|mount" "address up|ip_start|up" "address down|ip_stop|down" "unmount|fs_stop|umount"; do
	IFS='|' read -r name ra t <<<"$p"
	printf '  %-30s %12s %12s %8s\n' "$name" "$(med ra.$ra)" "$(med t.$t)" "$(ratio "$(med ra.$ra)" "$(med t.$t)")"
done
ra_sum=$(awk -v a="$(med ra.fs_start)" -v b="$(med ra.ip_start)" -v c="$(med ra.ip_stop)" -v d="$(med ra.fs_stop)" 'BEGIN { print a + b + c + d }')
t_sum=$(awk -v a="$(med t.mount)" -v b="$(med t.up)" -v c="$(med t.down)" -v d="$(med t.umount)" 'BEGIN { print a + b + c + d }')
printf '  %-30s %12s %12s %8s\n' "the four together" "$ra_sum" "$t_sum" "$(ratio "$ra_sum" "$t_sum")"
printf '  %-30s %12s %12s\n' "tandem-fence takeover, release" "-" "$(med t.takeover), $(med t.release)"
echo "  (fence_scsi cannot run here: the nodes have no SCSI devices, only the iSCSI"
echo "  LUN that tandem reaches through libiscsi; bench-fence-tgtd.sh and"
echo "  bench-fence-qemu.sh compare the fencing itself.)"
echo
echo "rows: moves $(head -n 1 "$work/tally.move"); crashes $(head -n 1 "$work/tally.crash")"
