#!/bin/bash
# Smoke test of the cluster rig (tests/rig/cluster/cluster.sh): two
# systemd-nspawn nodes with systemd as PID 1, their own names and
# machine-ids, a bridge between them and the client namespace, SSH by key,
# one shared loop disk, separate cgroups, PostgreSQL installed but not
# running, a crash and a reboot of one node, and nothing left behind.
# Exit 0 pass, 77 skip (with the reason), anything else fail.
# shellcheck disable=SC2317 # helpers run through check and the trap
set -u
cd "$(dirname "$0")/../../.." || exit 1
. tests/lib.sh
# shellcheck source=tests/rig/cluster/cluster.sh
. tests/rig/cluster/cluster.sh

why=$(cluster_can_run) || skip "$why"

t_tmpdir tandem-cluster-smoke
extra=$T_TMP
echo "bound read-only from the host" >"$extra/probe"
at_exit cluster_stop

# on NODE CMD...: cluster_exec with stderr kept for the log.
on() {
	cluster_exec "$@"
}

t0=$SECONDS
cluster_start --bind-ro "$extra:/opt/tandem" || die "cluster_start"
echo "cluster_start took $((SECONDS - t0))s (image $CLUSTER_ROOTFS)"
echo "nodes: db1 $CLUSTER_ADDR_DB1, db2 $CLUSTER_ADDR_DB2; client $CLUSTER_ADDR_CLIENT in netns $CLUSTER_NETNS; shared disk $CLUSTER_DISK"

# --- systemd as PID 1, identity -------------------------------------------
declare -A mid
for n in db1 db2; do
	check "$n: PID 1 is systemd" eq systemd "$(on "$n" cat /proc/1/comm)"
	check "$n: PID 1 runs /usr/lib/systemd/systemd" \
		eq /usr/lib/systemd/systemd "$(on "$n" readlink /proc/1/exe)"
	state=$(on "$n" systemctl is-system-running)
	check "$n: systemd is running (is-system-running: $state)" eq running "$state"
	check "$n: hostname is $n" eq "$n" "$(on "$n" hostname)"
	mid[$n]=$(on "$n" cat /etc/machine-id)
	check "$n: has a machine-id (${mid[$n]})" test "${#mid[$n]}" -eq 32
	check "$n: systemd reports the same machine-id" eq "${mid[$n]}" "$(on "$n" systemd-id128 machine-id)"
	check "$n: systemd-detect-virt says systemd-nspawn" eq systemd-nspawn "$(on "$n" systemd-detect-virt)"
	check "$n: the host binds $extra read-only at /opt/tandem" \
		eq "bound read-only from the host" "$(on "$n" cat /opt/tandem/probe)"
	check "$n: /opt/tandem is read-only" not on "$n" touch /opt/tandem/x 2>/dev/null
done
check "db1 and db2 have different machine-ids" test "${mid[db1]}" != "${mid[db2]}"

# --- network --------------------------------------------------------------
check "db1 pings db2 by name" on db1 ping -q -c 1 -W 2 db2 >/dev/null
check "db2 pings db1 by name" on db2 ping -q -c 1 -W 2 db1 >/dev/null
for n in db1 db2; do
	v=CLUSTER_ADDR_${n^^}
	check "the client namespace reaches $n's sshd at ${!v}:22" cluster_client timeout 5 bash -c \
		"exec 3<>/dev/tcp/${!v}/22 && head -c 8 <&3 | grep -q '^SSH-2.0-'"
	check "ssh from the client namespace to $n by key" eq "$n" "$(cluster_ssh "$n" hostname)"
	check "$n has no address in the host namespace" bash -c "! ip -o addr show | grep -qF ' ${!v}/'"
done
check "ssh db1 -> db2 by key (ssh db2 hostname)" eq db2 "$(on db1 ssh -o BatchMode=yes db2 hostname)"
check "ssh db2 -> db1 by key (ssh db1 hostname)" eq db1 "$(on db2 ssh -o BatchMode=yes db1 hostname)"

# --- shared disk ------------------------------------------------------------
for n in db1 db2; do
	check "$n: sees the shared disk $CLUSTER_DISK" on "$n" test -b "$CLUSTER_DISK"
done
if on db1 mkfs.ext4 -q -F -L tandemsmoke "$CLUSTER_DISK" &&
   on db1 mkdir -p /mnt/shared && on db1 mount "$CLUSTER_DISK" /mnt/shared; then
	# shellcheck disable=SC2016 # expanded in db1
	on db1 sh -c 'echo "written by $(hostname)" >/mnt/shared/probe && sync'
	check "db1: ext4 made and mounted" on db1 mountpoint -q /mnt/shared
	check "db1: unmounted again" on db1 umount /mnt/shared
	check "db2: blkid finds LABEL=tandemsmoke at $CLUSTER_DISK" \
		eq "$CLUSTER_DISK" "$(on db2 blkid -l -o device -t LABEL=tandemsmoke)"
	on db2 mkdir -p /mnt/shared
	check "db2: mounts db1's ext4" on db2 mount "$CLUSTER_DISK" /mnt/shared
	check "db2: reads db1's file" eq "written by db1" "$(on db2 cat /mnt/shared/probe)"
	check "db2: unmounted again" on db2 umount /mnt/shared
else
	check "db1: mkfs.ext4 and mount of $CLUSTER_DISK" false
fi

# --- cgroup separation ----------------------------------------------------
# The same unit name in both nodes: were both containers in one cgroup,
# stopping it in db1 would kill db2's too.
for n in db1 db2; do
	check "$n: systemd-run starts smoke-sleep.service" \
		on "$n" systemd-run --quiet --unit=smoke-sleep sleep 600
done
p2=$(on db2 systemctl show -P MainPID smoke-sleep.service)
h2=$(grep -l "^sleep" /proc/[0-9]*/comm 2>/dev/null | while read -r f; do
	d=${f%/comm}
	grep -q "name=systemd:.*tandem-cluster-$CLUSTER_ID/db2/" "$d/cgroup" 2>/dev/null && echo "${d#/proc/}"
done | head -n 1)
check "db2's sleep sits in db2's own host cgroup (host PID ${h2:-none})" test -n "$h2"
check "db1: systemctl stop smoke-sleep.service" on db1 systemctl stop smoke-sleep.service
check "db1: smoke-sleep.service is inactive" not on db1 systemctl is-active -q smoke-sleep.service
sleep 1
check "db2: smoke-sleep.service is still active" on db2 systemctl is-active -q smoke-sleep.service
check "db2: its sleep still runs (PID $p2 in db2)" eq "$p2" "$(on db2 systemctl show -P MainPID smoke-sleep.service)"
check "db2: its sleep still runs (host PID ${h2:-none})" test -n "$h2" -a -d "/proc/${h2:-0}"
on db2 systemctl stop smoke-sleep.service

# --- PostgreSQL: installed, not running -----------------------------------
for n in db1 db2; do
	check "$n: PostgreSQL 15 binaries exist" \
		on "$n" test -x /usr/lib/postgresql/15/bin/postgres -a -x /usr/lib/postgresql/15/bin/initdb -a -x /usr/bin/pg_ctlcluster
	check "$n: PostgreSQL did not start at boot" \
		not on "$n" systemctl is-active -q postgresql@15-main.service postgresql.service
	check "$n: no postgres process" not on "$n" pgrep -x postgres
done

# --- crash and reboot of one node -------------------------------------------
check "cluster_kill db2" cluster_kill db2
check "db2 is down" not cluster_alive db2
check "db1 still runs" eq running "$(on db1 systemctl is-system-running)"
check "db1 no longer reaches db2" not on db1 ping -q -c 1 -W 1 db2 >/dev/null
t1=$SECONDS
check "cluster_boot db2" cluster_boot db2
echo "     db2 rebooted in $((SECONDS - t1))s"
check "db2 keeps its machine-id across the reboot" eq "${mid[db2]}" "$(on db2 cat /etc/machine-id)"
check "db1 reaches db2 again (ssh db2 hostname)" eq db2 "$(on db1 ssh -o BatchMode=yes db2 hostname)"

# --- a reboot inside a node --------------------------------------------------
old=$(cluster_leader db1)
check "db1: systemctl reboot" on db1 systemctl reboot
t1=$SECONDS
while { new=$(cluster_leader db1 2>/dev/null); [ -z "$new" ] || [ "$new" = "$old" ]; } &&
      [ $((SECONDS - t1)) -lt 60 ]; do
	sleep 0.2
done
check "db1 boots again by itself (PID 1: host PID $old, then ${new:-none})" \
	test -n "$new" -a "$new" != "$old"
check "db1 runs again after its reboot" cluster_wait_running db1 120
echo "     db1 rebooted in $((SECONDS - t1))s"
check "db1 keeps its machine-id across the reboot" eq "${mid[db1]}" "$(on db1 cat /etc/machine-id)"
check "db2 reaches db1 (ssh db1 hostname)" eq db1 "$(on db2 ssh -o BatchMode=yes db1 hostname)"

# --- teardown ----------------------------------------------------------------
id=$CLUSTER_ID dir=$CLUSTER_DIR disk=$CLUSTER_DISK file=$CLUSTER_DISK_FILE
pids="$CLUSTER_PID_DB1 $CLUSTER_PID_DB2 $(cluster_leader db1) $(cluster_leader db2)"
t1=$SECONDS
check "cluster_stop (clean poweroff, no SIGKILL)" cluster_stop
echo "     cluster_stop took $((SECONDS - t1))s"
check "cluster_stop again is a no-op" cluster_stop
check "no namespace of the rig is left" bash -c "! ip netns list | grep -q 'tandem-$id-'"
check "no veth or bridge of the rig in the host namespace" bash -c "! ip -o link show | grep -qE ' (vdb[12]|br0)[@:]'"
check "$disk no longer backs $file" bash -c "[ \"\$(losetup -n -O BACK-FILE $disk 2>/dev/null)\" != '$file' ]"
for p in $pids; do
	check "PID $p is gone" test ! -d "/proc/$p"
done
check "no process runs from $dir" not pgrep -f "$dir"
check "no mount under $dir" bash -c "! grep -qF ' $dir/' /proc/self/mountinfo"
check "$dir is removed" test ! -e "$dir"
check "no cgroup of the rig is left" bash -c "! ls -d /sys/fs/cgroup/*/tandem-cluster-$id /sys/fs/cgroup/tandem-cluster-$id 2>/dev/null | grep -q ."
echo "total $((SECONDS - t0))s"
finish
