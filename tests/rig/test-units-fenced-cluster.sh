#!/bin/bash
# The units with real fencing, in the two-node cluster rig: tgtd serves the
# fence LUN from the client namespace (iscsi://10.77.0.1:PORT/...), and the
# real tandem-fence runs in db1 and db2 under systemd (set up by
# tests/rig/cluster/group.sh --no-postgres --no-unfence: the service is a
# sleep on the volume at /srv/db).
#   - both nodes unfence (tandem-unfence@db); both keys registered;
#   - db1 starts the group: the reservation is db1's, the volume mounted;
#   - db2 fences db1 by hand (tandem-fence preempt db1): db1's watch sees
#     its key gone and stops db1's group (I4): service, address and volume
#     down, and it says so in the journal;
#   - db2 starts the group (it holds the reservation already) and mounts;
#     stopping it releases the reservation.
# The shared data disk is a loop device, not behind the fence LUN, so the
# test never lets both nodes mount it at once.
# Exit 0 pass, 77 skip (reason printed), anything else fail.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/rig/cluster/cluster.sh
. tests/rig/tgtd.sh
. tests/rig/cluster/group.sh
why=$(group_can_run --no-postgres) || skip "${why#*: skip: }"
at_exit group_rig_stop

t0=$SECONDS
group_rig_start --no-postgres --no-unfence || die "the group rig did not start"
echo "cluster up; fence LUN $GROUP_LUN served from $CLUSTER_NETNS"
check "host: mkfs.ext4 -L tandemdb $CLUSTER_DISK" mkfs.ext4 -q -F -L tandemdb "$CLUSTER_DISK"

for n in db1 db2; do
	check "$n: tandem-unfence@$GROUP starts" on $n systemctl start tandem-unfence@$GROUP.service ||
		on $n journalctl -b -q -o cat -u tandem-unfence@$GROUP.service | tail -n 5 | sed 's/^/     /'
done
K1=$(registered_key db1)
K2=$(registered_key db2)
check "both keys registered, read independently ($(pr_keys))" eq "$(printf '%s\n' "$K1" "$K2" | sort | tr '\n' ' ')" "$(pr_keys)"

check "db1: start tandem-active@$GROUP.target" on db1 systemctl start tandem-active@$GROUP.target ||
	on db1 journalctl -b -q -o cat -u 'tandem-*' | tail -n 20 | sed 's/^/     /'
check "db1 holds the reservation, read independently" eq "$K1" "$(pr_holder)"
check "db1: the volume is mounted" mounted db1
check "db1: the watch runs" eq active "$(unit_state db1 tandem-watch@$GROUP.service)"

echo "db2 fences db1 by hand, while db1 runs the group"
check "db2: tandem-fence preempt db1" on db2 tandem-fence -q -g $GROUP preempt db1
for _ in $(seq 1 60); do
	[ "$(unit_state db1 tandem-volume@$GROUP.service)" = inactive ] && ! mounted db1 && break
	sleep 0.5
done
check "I4 db1: the watch saw its key gone (exit 4)" eq 4 "$(on db1 systemctl show -P ExecMainStatus tandem-watch@$GROUP.service)"
check "I4 db1: the journal says so" journal_has db1 tandem-watch@$GROUP.service "our key is gone"
check "I4 db1: the volume is unmounted" not mounted db1
check "I4 db1: the address is gone" not addr_up db1
check "I4 db1: the service is stopped" eq inactive "$(unit_state db1 $GROUP_SVC)"
check "db1's key is gone, read independently ($(pr_keys))" eq "$K2 " "$(pr_keys)"

on db1 systemctl reset-failed
check "db2: start tandem-active@$GROUP.target (it holds the reservation)" on db2 systemctl start tandem-active@$GROUP.target ||
	on db2 journalctl -b -q -o cat -u 'tandem-*' | tail -n 20 | sed 's/^/     /'
check "db2: the volume is mounted" mounted db2
check "db2 holds the reservation" eq "$K2" "$(pr_holder)"
check "db1 cannot start the group now (fenced)" not on db1 systemctl start tandem-active@$GROUP.target
check "db1 did not mount" not mounted db1
on db2 systemctl stop tandem-active@$GROUP.target tandem-takeover@$GROUP.service
check "db2: stopped, unmounted" not mounted db2
check "db2: released; nobody holds the reservation" eq "" "$(pr_holder)"

# M3: the chain never runs without its watch. tgtd is frozen (SIGSTOP) right
# after db2's takeover, while the chain starts: the watch cannot renew its
# heartbeat, never reports ready, and gives up after its grace. tgtd is let
# go again only then, so that the volume's own fence check would pass: the
# volume, the address and the service must still not start (they are bound
# to the watch), and nothing writes.
echo "M3: tgtd frozen right after db2's takeover"
on db2 systemctl reset-failed >/dev/null 2>&1
check "db2: tandem-takeover@$GROUP starts" on db2 systemctl start tandem-takeover@$GROUP.service
kill -STOP "$TGTD_PID"
at_exit 'kill -CONT "$TGTD_PID" 2>/dev/null'
on db2 timeout 300 systemctl start tandem-active@$GROUP.target >/dev/null 2>&1 &
start_pid=$!
# Until the watch has started and ended (it starts after the takeover, and
# ends when its grace runs out), or the start job is over.
for _ in $(seq 1 240); do
	[ "$(unit_state db2 tandem-watch@$GROUP.service)" = failed ] && break
	kill -0 "$start_pid" 2>/dev/null || break
	sleep 0.5
done
check "M3 db2: the watch gave up (it never vouched for the key)" \
	eq failed "$(unit_state db2 tandem-watch@$GROUP.service)"
kill -CONT "$TGTD_PID"
wait "$start_pid"
start_rc=$?
check "M3 db2: the group's start failed (exit $start_rc)" test "$start_rc" -ne 0
check "M3 db2: the volume was never mounted" not mounted db2
check "M3 db2: the address is not up" not addr_up db2
check "M3 db2: the service did not start" eq inactive "$(unit_state db2 $GROUP_SVC)"
watch_rc=$(on db2 systemctl show -P ExecMainStatus tandem-watch@$GROUP.service)
check "M3 db2: the watch exited with an error (exit $watch_rc): it could not reach the fence LUN" \
	test "${watch_rc:-0}" -ne 0
on db2 journalctl -b -q -o cat -u tandem-watch@$GROUP.service | tail -n 4 | sed 's/^/     | /'
on db2 systemctl stop tandem-active@$GROUP.target tandem-takeover@$GROUP.service >/dev/null 2>&1

# on_fenced = reboot (the Pacemaker mode's self-fence, I4): db2 runs the
# group; db1 fences it; db2's watch reboots db2 at once, with no clean
# shutdown. The container reboots as a real host would (the rig boots it
# again); its key stays gone (this rig does not unfence at boot), and the
# volume is not mounted there.
echo "on_fenced = reboot: db1 fences db2 while db2 runs the group"
group_conf db2 fence.on_fenced=reboot || die "group_conf db2"
check "db1: tandem-fence unfence (its key was preempted above)" on db1 tandem-fence -q -g $GROUP unfence
check "db2: start tandem-active@$GROUP.target" on db2 systemctl start tandem-active@$GROUP.target ||
	on db2 journalctl -b -q -o cat -u 'tandem-*' | tail -n 20 | sed 's/^/     /'
check "db2 holds the reservation, the volume mounted" eval '[ "$(pr_holder)" = "$K2" ] && mounted db2'
boot0=$(on db2 cat /proc/sys/kernel/random/boot_id)
pid0=$CLUSTER_PID_DB2
check "db1: tandem-fence preempt db2" on db1 tandem-fence -q -g $GROUP preempt db2
for _ in $(seq 1 120); do
	_cluster_refresh_pid db2 >/dev/null 2>&1
	[ "${CLUSTER_PID_DB2:-}" != "$pid0" ] && [ -n "${CLUSTER_PID_DB2:-}" ] && break
	sleep 0.5
done
check "db2 rebooted itself (a new nspawn: $pid0 -> ${CLUSTER_PID_DB2:-none})" \
	eval '[ -n "${CLUSTER_PID_DB2:-}" ] && [ "$CLUSTER_PID_DB2" != "$pid0" ]' ||
	on db2 journalctl -b -q -o cat -u tandem-watch@$GROUP.service | tail -n 6 | sed 's/^/     | /'
check "db2 is up again" cluster_wait_running db2 120
check "db2: a new boot" eval '[ "$(on db2 cat /proc/sys/kernel/random/boot_id)" != "$boot0" ]'
check "db2: the volume is not mounted after the reboot" not mounted db2
check "db2's key stays gone, read independently ($(pr_keys))" eq "$K1 " "$(pr_keys)"

echo "total $((SECONDS - t0))s"
finish
