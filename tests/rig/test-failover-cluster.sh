#!/bin/bash
# End to end: PostgreSQL moved between two systemd nodes by tandem, with real
# fencing, while a client writes (tests/rig/cluster/group.sh sets it up: a
# tgtd LUN in the client namespace is the fence device, the shared loop disk
# holds the volume with PostgreSQL's data, 10.77.0.100 is the service
# address). Throughout, the client in the third namespace inserts numbered
# rows, one transaction each, through the service address.
#   1. start: `tandem move` on db1 (stops the group on db2, where it does
#      not run, and starts it on db1).
#   2. planned move db1 -> db2 -> db1: `tandem move` on db2 (over SSH to
#      db1's systemd), then `tandem move --to db1` on db2 (stop here, start
#      there over SSH): every acknowledged row is there, and the journals
#      show the volume never mounted on both nodes at once.
#   3. crash failover: db1's container is killed while active; a plain
#      `tandem move` on db2 refuses (exit 3, nothing started); `tandem
#      takeover` on db2 fences it (its key is gone), mounts, and PostgreSQL
#      on db2 takes writes at the same address; no acknowledged row lost.
#   4. self-fence: db1 (booted again, unfenced at boot) takes the group back;
#      db2 fences it while it runs. db1's watch stops PostgreSQL, drops the
#      address and unmounts, within WatchdogSec; db2 takes over.
#   4b. db2 killed while active; `tandem move --force` on db1 fences it and
#      starts there (a plain move first says it cannot reach the peer).
#   5. failing steps. While db1 serves, `tandem move` to db2 with db2's
#      volume device missing, then with db2 fenced, is refused by db2's
#      preflight (exit 3, the reason, nothing stopped): db1 keeps serving.
#      With the group stopped, a move to db2 whose RAID gate refuses a
#      degraded array (on_degraded=refuse) fails at that step, says so and
#      what it left: db2 reserved and unmounted (tandem status says so), db1
#      untouched.
# The rig's limits: the data disk is a loop device, not behind the fence
# LUN, so the storage itself does not refuse a fenced node's writes here (the
# QEMU and tgtd tests prove that part); the nodes share the host's kernel.
# Exit 0 pass, 77 skip (reason printed), anything else fail.
# shellcheck disable=SC2317 # helpers run through check and the trap
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/rig/cluster/cluster.sh
. tests/rig/tgtd.sh
. tests/rig/cluster/group.sh
why=$(group_can_run) || skip "${why#*: skip: }"

t_tmpdir tandem-failover
work=$T_TMP
at_exit group_rig_stop

neq() { [ "$1" != "$2" ] || { echo "     got '$2'"; return 1; }; }
has() { grep -qF -- "$2" "$1" || { echo "     '$2' not in:"; sed 's/^/     | /' "$1"; return 1; }; }
journal_tail() { on "$1" journalctl -b -q -o cat -u 'tandem-*' -u "$GROUP_SVC" | tail -n 15 | sed 's/^/     | /'; }
# run NODE OUT CMD...: run CMD on NODE, output to OUT and indented to stdout.
run() {
	local n=$1 out=$2 rc
	shift 2
	on "$n" "$@" >"$out" 2>&1
	rc=$?
	sed 's/^/     | /' "$out"
	return "$rc"
}
active_on() { # active_on NODE: the group runs on NODE, and only there
	local n=$1 o=db2 k
	[ "$n" = db2 ] && o=db1
	k=$(key_of "$n")
	check "$n holds the reservation, read independently" eq "$k" "$(pr_holder)"
	check "$n: the volume is mounted" mounted "$n"
	check "$n: $GROUP_ADDR is up" addr_up "$n"
	check "$n: PostgreSQL is active" eq active "$(unit_state "$n" "$GROUP_SVC")"
	if cluster_alive "$o"; then
		check "$o: the volume is not mounted" not mounted "$o"
		check "$o: $GROUP_ADDR is not there" not addr_up "$o"
		check "$o: PostgreSQL is inactive" eq inactive "$(unit_state "$o" "$GROUP_SVC")"
	fi
}

t0=$SECONDS
group_rig_start || die "the group rig did not start"
echo "rig up in $((SECONDS - t0))s: fence LUN $GROUP_LUN, volume on $CLUSTER_DISK"
K1=$(key_of db1)
K2=$(key_of db2)
check "both nodes unfenced: keys $K1 $K2 on the LUN" eq "$(printf '%s\n' "$K1" "$K2" | sort | tr '\n' ' ')" "$(pr_keys)"

# --- 1. start on db1 ------------------------------------------------------------
check "db1: tandem move (the group runs nowhere yet: start it here)" run db1 "$work/start" tandem -g "$GROUP" move || journal_tail db1
check "db2's key stays (a move fences nobody)" eq "$(printf '%s\n' "$K1" "$K2" | sort | tr '\n' ' ')" "$(pr_keys)"
active_on db1
check "db1: create the table" client_sql db1 \
	"CREATE TABLE rows (n integer PRIMARY KEY, node text NOT NULL, at timestamptz NOT NULL DEFAULT now())"
client_start "$work/client"
check "client: 20 rows through $GROUP_ADDR" client_wait_rows 20

# --- 1b. the database started by hand on the passive node -------------------------
# I3: the drop-in's Requisite= makes the start fail at once, pulling in none
# of the chain; db1 keeps serving, its reservation and keys untouched.
check "db2: systemctl start $GROUP_SVC (the passive node) fails" \
	not on db2 systemctl start "$GROUP_SVC"
check "db2: it started none of the chain" eq inactive "$(unit_state db2 "tandem-takeover@$GROUP.service")"
check "db2: and no volume" not mounted db2
check "db1 still holds the reservation, both keys stay" \
	eq "$K1 $(printf '%s\n' "$K1" "$K2" | sort | tr '\n' ' ')" "$(pr_holder) $(pr_keys)"
active_on db1
check "client: db1 still takes writes" client_wait_rows 5
# The same for the chain's first unit itself: its takeover sees db1's
# heartbeat move and refuses (exit 3), touching nothing.
check "db2: systemctl start tandem-takeover@$GROUP fails" \
	not on db2 systemctl start "tandem-takeover@$GROUP.service"
check "db2: its journal says the peer is alive" journal_has db2 "tandem-takeover@$GROUP.service" 'the peer is alive'
check "db1 still holds the reservation after that, both keys stay" \
	eq "$K1 $(printf '%s\n' "$K1" "$K2" | sort | tr '\n' ' ')" "$(pr_holder) $(pr_keys)"
active_on db1
on db2 systemctl reset-failed "tandem-takeover@$GROUP.service" >/dev/null 2>&1

# --- 2. planned move db1 -> db2 -> db1 -------------------------------------------
# The first runs on the destination (the default: to here), the second on
# the source (move --to PEER: stop here, start there over SSH).
for step in "db1 db2 db2" "db2 db1 db2"; do
	# shellcheck disable=SC2086 # three words: from, to, where tandem runs
	set -- $step
	to=()
	[ "$3" = "$1" ] && to=(--to "$2")
	check "$3: tandem move ${to[*]} ($1 -> $2)" run "$3" "$work/move-$2" tandem -g "$GROUP" move "${to[@]}" ||
		journal_tail "$2"
	check "$3: the move printed its timeline" has "$work/move-$2" "stop tandem-active@$GROUP.target on $1"
	active_on "$2"
	check "client: 20 rows more, now served by $2" client_wait_rows 20
done
check "the journals: never both mounted" never_both_mounted db1 db2
check "the journals hold every mount and unmount of the moves" \
	eq "db1 mounted,db1 unmounted,db2 mounted,db2 unmounted,db1 mounted," \
	"$(volume_events db1 db2 | cut -d' ' -f2,3 | tr '\n' ',')"
client_stop
check "planned moves: no acknowledged row lost ($(client_tally db1 | head -n 1))" client_tally db1
check "rows were committed on both nodes" eq "db1 db2" "$(client_sql db1 "SELECT DISTINCT node FROM rows ORDER BY 1" | tr '\n' ' ' | sed 's/ $//')"

# --- 3. crash failover --------------------------------------------------------------
client_start "$work/client"
check "client: writing to db1" client_wait_rows 10
echo "crash: db1's container is killed while active"
check "db1 killed" cluster_kill db1
check "db2: a plain tandem move cannot reach db1: exit 3" \
	eq 3 "$(run db2 "$work/move-dead" tandem -g "$GROUP" move >/dev/null; echo $?)"
check "db2: it says so, and that nothing was stopped or started" \
	has "$work/move-dead" "Nothing was stopped or started"
check "db2: it started nothing" eq inactive "$(unit_state db2 "tandem-takeover@$GROUP.service")"
check "db2: tandem takeover (db1 is dead)" run db2 "$work/takeover2" tandem -g "$GROUP" takeover || journal_tail db2
check "db1's key is gone, read independently ($(pr_keys))" eq "$K2 " "$(pr_keys)"
active_on db2
check "client: PostgreSQL on db2 takes writes at $GROUP_ADDR" client_wait_rows 20
client_stop
check "crash failover: no acknowledged row lost ($(client_tally db2 | head -n 1))" client_tally db2
echo "     the clients' longest wait for a commit: $(client_gap)s"

# --- 4. self-fence ---------------------------------------------------------------------
check "db1 boots again" cluster_boot db1
check "db1: unfenced at boot (tandem-unfence@$GROUP): both keys back" \
	eq "$(printf '%s\n' "$K1" "$K2" | sort | tr '\n' ' ')" "$(pr_keys)" ||
	on db1 systemctl status --no-pager "tandem-unfence@$GROUP.service" | sed 's/^/     | /'
check "db1: tandem move (db2 -> db1)" run db1 "$work/move-back" tandem -g "$GROUP" move || journal_tail db1
active_on db1
client_start "$work/client"
check "client: writing to db1" client_wait_rows 10
ts=$EPOCHREALTIME
check "db2: tandem fence db1, while db1 runs" run db2 "$work/fence" tandem -g "$GROUP" fence db1
for _ in $(seq 1 120); do
	[ "$(unit_state db1 tandem-volume@$GROUP.service)" = inactive ] && ! mounted db1 && break
	sleep 0.25
done
took=$(awk -v a="$ts" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
wd=$(on db1 systemctl show -P WatchdogUSec "tandem-watch@$GROUP.service")
echo "     db1 stopped its group ${took}s after the fence (WatchdogSec $wd)"
check "I4 db1: the watch saw its key gone (exit 4)" eq 4 "$(on db1 systemctl show -P ExecMainStatus "tandem-watch@$GROUP.service")"
check "I4 db1: PostgreSQL stopped" eq inactive "$(unit_state db1 "$GROUP_SVC")"
check "I4 db1: the address is gone" not addr_up db1
check "I4 db1: the volume is unmounted" not mounted db1
check "I4 db1: within WatchdogSec ($took s < ${wd})" awk -v t="$took" -v w="$wd" 'BEGIN { exit !(t < w + 0) }'
check "db2: tandem takeover" run db2 "$work/takeover3" tandem -g "$GROUP" takeover || journal_tail db2
active_on db2
check "client: writes go to db2" client_wait_rows 10
client_stop
check "self-fence: no acknowledged row lost ($(client_tally db2 | head -n 1))" client_tally db2

# --- 4b. move --force to a dead peer ------------------------------------------------------
on db1 systemctl reset-failed
check "db1: unfence again (its key was preempted)" on db1 tandem -g "$GROUP" unfence
client_start "$work/client"
check "client: writing to db2" client_wait_rows 10
check "db2 killed" cluster_kill db2
check "db1: tandem move --force (db2 cannot be reached)" run db1 "$work/move-force" tandem -g "$GROUP" move --force ||
	journal_tail db1
check "db1: it said db2 cannot be reached, and fenced it" has "$work/move-force" "fence db2 (preempt $K2)"
check "db2's key is gone, read independently ($(pr_keys))" eq "$K1 " "$(pr_keys)"
active_on db1
check "client: PostgreSQL on db1 takes writes" client_wait_rows 10
client_stop
check "move --force: no acknowledged row lost ($(client_tally db1 | head -n 1))" client_tally db1
check "db2 boots again (and unfences)" cluster_boot db2

# --- 5. failing steps --------------------------------------------------------------------
# 5a. The preflight: while db1 serves, a move to db2 that could not start
# there is refused before it touches db1.
keys_before=$(pr_keys)
client_start "$work/client"
check "client: writing to db1" client_wait_rows 10
refused() { # refused WHAT REASON: tandem move on db2 is refused by its preflight
	local what=$1 reason=$2 out=$work/refused-$RANDOM
	check "$what: tandem move to db2 is refused (exit 3)" eq 3 "$(run db2 "$out" tandem -g "$GROUP" move >/dev/null; echo $?)"
	sed 's/^/     | /' "$out"
	check "$what: the preflight says why" has "$out" "preflight on db2 (fence key, volume)"
	check "$what: ... $reason" has "$out" "$reason"
	check "$what: ... and that nothing was stopped or started" has "$out" "Nothing was stopped or started"
	check "$what: db2 started nothing" eq inactive "$(unit_state db2 "tandem-takeover@$GROUP.service")"
	active_on db1
	check "$what: the client still writes to db1" client_wait_rows 5
}
group_conf db2 volume.device=LABEL=no-such-volume
refused "volume missing" "the volume: LABEL=no-such-volume: no block device has it"
group_conf db2
check "preflight: db1 fences db2 (tandem fence db2)" on db1 tandem -q -g "$GROUP" fence db2
refused "db2 fenced" "this node's key is not registered on $GROUP_LUN: this node is fenced"
check "db2: unfence again" on db2 tandem -q -g "$GROUP" unfence
check "keys as before ($(pr_keys))" eq "$keys_before" "$(pr_keys)"
client_stop
check "preflight refusals: no acknowledged row lost ($(client_tally db1 | head -n 1))" client_tally db1

# 5b. A step that fails in the units: the RAID gate (the preflight leaves
# the RAID to it).
check "db1: stop the group (released)" on db1 systemctl stop "tandem-active@$GROUP.target" "tandem-takeover@$GROUP.service"
check "nobody holds the reservation" eq "" "$(pr_holder)"
failing() { # failing WHAT UNIT TAG REASON: db2's start of the group fails at UNIT
	local what=$1 unit=$2 out=$work/fail-$3 reason=$4
	check "$what: tandem move to db2 fails (exit 1)" eq 1 "$(run db2 "$out" tandem -g "$GROUP" move >/dev/null; echo $?)"
	sed 's/^/     | /' "$out"
	check "$what: it names the step that failed, and why" has "$out" "the step that failed on db2: $unit: $reason"
	check "$what: it says what is left behind" has "$out" "left behind on db2: active: tandem-takeover@$GROUP.service"
	check "$what: $unit failed" eq failed "$(unit_state db2 "$unit")"
	check "$what: db2 did not mount" not mounted db2
	check "$what: PostgreSQL is not running on db2" neq active "$(unit_state db2 "$GROUP_SVC")"
	check "$what: tandem status on db2 says reserved (holds the reservation, unmounted)" \
		eq reserved "$(on db2 tandem -g "$GROUP" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["role"])')"
	check "$what: db1 untouched (keys $(pr_keys))" eq "$keys_before" "$(pr_keys)"
	check "$what: db1 runs nothing of the group" eq inactive "$(unit_state db1 "tandem-active@$GROUP.target")"
	on db2 systemctl stop "tandem-active@$GROUP.target" "tandem-takeover@$GROUP.service"
	on db2 systemctl reset-failed
	check "$what: stopped again, nobody holds the reservation" eq "" "$(pr_holder)"
}
group_conf db2 raid.on_degraded=refuse
group_raid_fixture db2 degraded
failing "RAID degraded, refuse" "tandem-raid@$GROUP.service" raid "degraded and on_degraded=refuse: /dev/md0 degraded"

echo "total $((SECONDS - t0))s"
finish
