#!/bin/bash
# tandem's systemd units in the two-node cluster rig (tests/rig/cluster/):
# systemd as PID 1 in db1 and db2, one shared loop disk. The units from
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
B=${BUILD:-build}
for p in tandem-fence tandem-raid tandem-volume tandem-address rig/iscsi-pr; do
	[ -x "$B/$p" ] || skip "skip: $B/$p is not built (make)"
done
why=$(cluster_can_run) || skip "$why"
why=$(tgtd_can_run) || skip "${why#tgtd rig: skip: }"

t_tmpdir tandem-units-cluster
extra=$T_TMP
at_exit 'tgtd_stop >/dev/null'
at_exit cluster_stop    # first: the nodes release and log out while tgtd runs

on() { cluster_exec "$@"; }

G=db
ADDR=10.77.0.100/24
SVC=tandem-rig-db.service
CHAIN=("tandem-takeover@$G.service" "tandem-watch@$G.service" "tandem-raid@$G.service"
       "tandem-volume@$G.service" "tandem-address@$G.service" "$SVC")

# --- what the nodes get -----------------------------------------------------
cat >"$extra/$SVC" <<'EOF'
[Unit]
Description=tandem rig: the group's database (a sleep on the volume)
[Service]
WorkingDirectory=/srv/db
ExecStart=/bin/sleep infinity
EOF
cat >"$extra/raid-sysroot.conf" <<'EOF'
[Service]
Environment=OCF_RESKEY_sysroot=/opt/tandem-fixtures/md/clean-raid1
EOF
binds=(--bind-ro "$PWD/tests/fixtures/md:/opt/tandem-fixtures/md"
       --bind-ro "$extra/$SVC:/etc/systemd/system/$SVC"
       --bind-ro "$PWD/units/examples/postgresql-tandem.conf:/etc/systemd/system/$SVC.d/tandem.conf"
       --bind-ro "$extra/raid-sysroot.conf:/etc/systemd/system/tandem-raid@$G.service.d/rig.conf")
for p in tandem-fence tandem-raid tandem-volume tandem-address; do
	binds+=(--bind-ro "$PWD/$B/$p:/usr/sbin/$p")
done
for f in units/*.service units/*.target; do
	binds+=(--bind-ro "$PWD/$f:/etc/systemd/system/${f#units/}")
done

# Services in the nodes need CAP_NET_ADMIN (and CAP_NET_RAW for the
# gratuitous ARP) for tandem-address; nspawn's default set lacks them.
export CLUSTER_NSPAWN_ARGS="${CLUSTER_NSPAWN_ARGS:-} --capability=CAP_NET_ADMIN,CAP_NET_RAW"
t0=$SECONDS
cluster_start "${binds[@]}" || die "cluster_start"
TGTD_NETNS=$CLUSTER_NETNS TGTD_ADDR=$CLUSTER_ADDR_CLIENT tgtd_start 1 >/dev/null ||
	die "tgtd in $CLUSTER_NETNS"
LUN=$TGTD_URL/1
echo "cluster up in $((SECONDS - t0))s; shared disk $CLUSTER_DISK; fence LUN $LUN"
pr() { ip netns exec "$CLUSTER_NETNS" "$PWD/$B/rig/iscsi-pr" -r 3 "$LUN" "$@"; }
holder() { pr read-reservation | sed -n 's/^holder \(0x[0-9a-f]*\).*/\1/p'; }
key() { local v=K_$1; echo "${!v}"; }
check "host: mkfs.ext4 -L tandemdb $CLUSTER_DISK" mkfs.ext4 -q -F -L tandemdb "$CLUSTER_DISK"

conf() { # conf NODE PEER [on_degraded]
	cat <<EOF
[cluster]
name = rig
node = $1
peer = $2

[fence]
devices = $LUN
initiator = iqn.2026-11.org.tandem.rig:$1
timeout = 3s
watch_interval = 1s

[raid]
devices = /dev/md0
on_degraded = ${3:-allow}

[volume]
device = LABEL=tandemdb
fstype = ext4
mountpoint = /srv/db
stop_timeout = 5s

[service]
unit = $SVC
address = $ADDR
interface = $CLUSTER_IFACE
EOF
}
for n in db1 db2; do
	peer=db2; [ $n = db2 ] && peer=db1
	conf $n $peer | on $n sh -c "umask 077 && mkdir -p /etc/tandem /srv/db && chmod 0755 /etc/tandem && cat >/etc/tandem/$G.conf"
	on $n systemctl add-wants tandem-active@$G.target $SVC >/dev/null 2>&1
	on $n systemctl daemon-reload
	check "$n: units load (tandem-active@$G.target: $(on $n systemctl show -P LoadState tandem-active@$G.target))" \
		eq loaded "$(on $n systemctl show -P LoadState tandem-active@$G.target)"
	check "$n: the example drop-in binds $SVC to the group" \
		eq "tandem-active@$G.target" "$(on $n systemctl show -P PartOf $SVC)"
	check "$n: tandem-unfence@$G" on $n systemctl start tandem-unfence@$G.service
	printf -v "K_$n" '%s' "$(on $n tandem-fence -g $G status | sed -n "s/.*\(0x[0-9a-f]\{16\}\) ($n, this node).*/\1/p" | head -n 1)"
	check "$n: its key is known ($(key $n))" test -n "$(key $n)"
done

state() { on "$1" systemctl show -P ActiveState "$2"; }
stamp() { on "$1" systemctl show -P "$2" "$3"; }
mounted() { on "$1" findmnt -n -o SOURCE /srv/db >/dev/null; }
addr_up() { on "$1" ip -o addr show dev "$CLUSTER_IFACE" | grep -qF " $ADDR "; }
ascending() { # ascending N1 N2...: strictly increasing, non-zero
	local prev=0 x
	for x in "$@"; do
		[ "$x" -gt "$prev" ] || { echo "     not ascending: $*"; return 1; }
		prev=$x
	done
}
journal_has() { # journal_has NODE UNIT REGEX
	on "$1" journalctl -b -q -u "$2" | grep -qE -- "$3"
}

start_group() { # start_group NODE: start, check everything up and in order
	local n=$1 u st=()
	check "$n: systemctl start tandem-active@$G.target" on "$n" systemctl start tandem-active@$G.target ||
		on "$n" journalctl -b -q -o cat -u 'tandem-*' | tail -n 20 | sed 's/^/     /'
	for u in "${CHAIN[@]}" tandem-active@$G.target; do
		check "$n: $u is active" eq active "$(state "$n" "$u")"
	done
	check "$n: /srv/db is mounted from $CLUSTER_DISK" eq "$CLUSTER_DISK" "$(on "$n" findmnt -n -o SOURCE /srv/db)"
	check "$n: $ADDR is on $CLUSTER_IFACE" addr_up "$n"
	check "$n holds the reservation, read independently" eq "$(key "$n")" "$(holder)"
	for u in "${CHAIN[@]}"; do st+=("$(stamp "$n" ActiveEnterTimestampMonotonic "$u")"); done
	check "$n: start order takeover < watch < raid < volume < address < service" ascending "${st[@]}"
}
stop_group() { # stop_group NODE: stop, check everything down, in reverse
	local n=$1 u st=() i
	# systemctl waits only for the jobs it queued; the target's own stop job
	# ends first (it is ordered after the chain), so name the takeover too:
	# its stop (the release) ends last.
	check "$n: systemctl stop tandem-active@$G.target tandem-takeover@$G.service" \
		on "$n" systemctl stop tandem-active@$G.target tandem-takeover@$G.service
	for u in "${CHAIN[@]}"; do
		check "$n: $u is inactive" eq inactive "$(state "$n" "$u")"
	done
	check "$n: /srv/db is unmounted" not mounted "$n"
	check "$n: $ADDR is gone" not addr_up "$n"
	for ((i = ${#CHAIN[@]} - 1; i >= 0; i--)); do
		st+=("$(stamp "$n" InactiveEnterTimestampMonotonic "${CHAIN[i]}")")
	done
	check "$n: stop order service < address < volume < raid < watch < takeover" ascending "${st[@]}"
	check "$n: released: nobody holds the reservation, read independently" eq "" "$(holder)"
}

# --- start, stop, start on the other node ------------------------------------
start_group db1
on db1 sh -c 'echo "written on db1" >/srv/db/probe'
check "db1: the service runs in /srv/db" eq /srv/db "$(on db1 readlink /proc/"$(on db1 systemctl show -P MainPID $SVC)"/cwd)"
stop_group db1
start_group db2
check "db2: reads db1's file on the volume" eq "written on db1" "$(on db2 cat /srv/db/probe)"
check "db2: systemctl start again (I6: idempotent)" on db2 systemctl start tandem-active@$G.target
stop_group db2

# --- I5: a failed unmount keeps the reservation -------------------------------
# A filesystem mounted on the volume makes its unmount fail (EBUSY; a
# non-lazy umount never detaches a parent of a live mount).
start_group db1
on db1 sh -c 'mkdir -p /srv/db/sub && mount -t tmpfs rigblock /srv/db/sub'
on db1 systemctl stop tandem-active@$G.target tandem-takeover@$G.service
check "I5 db1: tandem-volume@$G failed (unmount refused)" eq failed "$(state db1 tandem-volume@$G.service)"
check "I5 db1: the volume is still mounted" mounted db1
check "I5 db1: no release: db1 still holds the reservation" eq "$(key db1)" "$(holder)"
check "I5 db1: tandem-takeover@$G failed and says why" \
	journal_has db1 tandem-takeover@$G.service 'NOT releasing the reservation \(I5\)'
check "I5 db1: the service and the address are down" \
	eq "inactive inactive" "$(state db1 $SVC) $(state db1 tandem-address@$G.service)"
on db1 umount /srv/db/sub
on db1 systemctl reset-failed
# The admin removes the cause, starts the group again (I6: the volume is
# still mounted, the start takes it as it is), and stops it: now it
# unmounts and releases.
check "I5 db1: after the fix, the group starts again on the mounted volume" \
	on db1 systemctl start tandem-active@$G.target
on db1 systemctl stop tandem-active@$G.target tandem-takeover@$G.service
check "I5 db1: after the fix, unmounted" not mounted db1
check "I5 db1: after the fix, released" eq "" "$(holder)"
check "I5 db1: after the fix, takeover inactive (not failed)" eq inactive "$(state db1 tandem-takeover@$G.service)"

# --- I4: a lost key stops the group -------------------------------------------
start_group db1
check "I4: db2 preempts db1's key" on db2 tandem-fence -q -g $G preempt db1
for _ in $(seq 1 30); do
	[ "$(state db1 tandem-volume@$G.service)" = inactive ] && [ "$(state db1 tandem-takeover@$G.service)" != active ] && break
	sleep 0.5
done
check "I4 db1: watch exited 4" eq 4 "$(stamp db1 ExecMainStatus tandem-watch@$G.service)"
check "I4 db1: group stopped: volume unmounted" not mounted db1
check "I4 db1: group stopped: address gone" not addr_up db1
check "I4 db1: group stopped: service, volume down" \
	eq "inactive inactive" "$(state db1 $SVC) $(state db1 tandem-volume@$G.service)"
# Its release fails (a fenced node's key is gone): failed, not active.
check "I4 db1: takeover no longer active ($(state db1 tandem-takeover@$G.service))" \
	not eq active "$(state db1 tandem-takeover@$G.service)"
on db1 systemctl reset-failed
check "I4: db1 unfences again; db2 releases what its preempt took" on db1 tandem-fence -q -g $G unfence
on db2 tandem-fence -q -g $G release

# --- RAID gate: on_degraded ----------------------------------------------------
on db1 mkdir -p /run/systemd/system/tandem-raid@$G.service.d
on db1 sh -c "printf '[Service]\nEnvironment=OCF_RESKEY_sysroot=/opt/tandem-fixtures/md/degraded\n' >/run/systemd/system/tandem-raid@$G.service.d/zz-degraded.conf"
on db1 systemctl daemon-reload
conf db1 db2 refuse | on db1 sh -c "cat >/etc/tandem/$G.conf"
check "raid db1: degraded + on_degraded=refuse: start fails" not on db1 systemctl start tandem-active@$G.target
check "raid db1: refuse: tandem-raid@$G failed" eq failed "$(state db1 tandem-raid@$G.service)"
check "raid db1: refuse: the volume was not mounted" not mounted db1
check "raid db1: refuse: the journal says why" \
	journal_has db1 tandem-raid@$G.service 'on_degraded=refuse'
on db1 systemctl stop tandem-active@$G.target tandem-takeover@$G.service
on db1 systemctl reset-failed
conf db1 db2 allow | on db1 sh -c "cat >/etc/tandem/$G.conf"
check "raid db1: degraded + on_degraded=allow: start works" on db1 systemctl start tandem-active@$G.target
check "raid db1: allow: mounted" mounted db1
on db1 systemctl stop tandem-active@$G.target tandem-takeover@$G.service
check "raid db1: allow: stopped, unmounted" not mounted db1
check "raid db1: allow: released" eq "" "$(holder)"

echo "total $((SECONDS - t0))s"
finish
