#!/bin/bash
# tests/rig/test-fence-tandem-tgtd.sh: fence_tandem, driven as Pacemaker
# drives it (name=value lines on stdin), against a real tgtd with 2 LUNs.
#
# Two nodes, db1 and db2 of cluster "erp", are two iSCSI initiators; their
# keys are derived (key_derive(erp, db1) = 0xd53f5e4e178db2f1, (erp, db2) =
# 0xa82085faded0a3ac, the vectors of tests/unit/test-key.c). Each node runs
# `on`; status says ON; db2 runs `off` for db1; db1's key is then gone and
# db2 holds the reservation, as the rig's independent libiscsi checker
# (build/rig/iscsi-pr) sees it, and db1's writes are rejected; status says
# OFF; monitor and list work; the fenced db1 cannot fence db2 back; with
# tgtd frozen (SIGSTOP), status fails within its timeout.
#
# Run as root after `make` (BUILD defaults to build). Exit: 0 pass, 77 skip
# (reason printed last), 1 fail.
set -u

here=${BASH_SOURCE[0]%/*}
[ "$here" = "${BASH_SOURCE[0]}" ] && here=.
ROOT=$(cd "$here/../.." && pwd) || exit 1
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
FT=$BUILD/fence_tandem
PR=$BUILD/rig/iscsi-pr
IQN_PREFIX=iqn.2026-11.org.tandem.test
KEY1=0xd53f5e4e178db2f1    # key_derive("erp", "db1")
KEY2=0xa82085faded0a3ac    # key_derive("erp", "db2")
IO_TIMEOUT=3               # seconds per command, given to the agent

say() { printf 'fence-tandem-tgtd: %s\n' "$*"; }

. tests/lib.sh
# shellcheck source=tests/rig/tgtd.sh
. tests/rig/tgtd.sh || die "cannot load tests/rig/tgtd.sh"
reason=$(tgtd_can_run) || skip "${reason#tgtd rig: skip: }"
need_built "$FT" "$PR"

STOPPED=0
t_tmpdir tandem-fa
WORK=$T_TMP
at_exit --check tgtd_stop
# A frozen tgtd cannot be torn down politely: thaw it first.
at_exit 'if [ "$STOPPED" -eq 1 ] && [ -n "${TGTD_PID:-}" ]; then kill -CONT "$TGTD_PID" 2>/dev/null; fi'

# agent NODE LINES...: run fence_tandem as node NODE (its initiator name and
# Pacemaker's nodename), with the common parameters and LINES on stdin, the
# way Pacemaker does (plus a key Pacemaker passes that the agent must
# ignore). For expect_rc, which leaves stdout in T_OUT and stderr in T_ERR.
agent() {
	local node=$1
	shift
	{
		printf '# written by the rig test, as pacemaker-fenced would\n'
		printf 'devices=%s\n' "$DEVICES"
		printf 'cluster=erp\n'
		printf 'nodename=%s\n' "$node"
		printf 'initiator=%s:%s\n' "$IQN_PREFIX" "$node"
		printf 'io_timeout=%s\n' "$IO_TIMEOUT"
		printf 'pcmk_host_list=db1 db2\n'
		printf '%s\n' "$@"
	} >"$WORK/in"
	# shellcheck disable=SC2086 # FT may carry a `timeout` guard
	$FT <"$WORK/in"
}

# lines LINES...: fence_tandem with only LINES on stdin.
lines() { printf '%s\n' "$@" | "$FT"; }

# keys LUN: the keys the checker sees on LUN, one per line, in KEYS.
keys() {
	local out
	out=$("$PR" -t 10 -r 3 "$TGTD_URL/$1" read-keys 2>&1) || { KEYS="(read-keys failed: $out)"; return 1; }
	KEYS=$(sed -n 's/^key //p' <<<"$out")
	return 0
}

# has KEY: KEY is among KEYS.
has() { grep -qx -- "$1" <<<"$KEYS"; }

say "starting a private tgtd with 2 LUNs"
tgtd_start 2 || die "tgtd_start 2"
pass "tgtd PID $TGTD_PID on 127.0.0.1:$TGTD_PORT"
DEVICES="$TGTD_URL/1,$TGTD_URL/2"

for lun in 1 2; do
	if keys "$lun" && [ -z "$KEYS" ]; then
		pass "LUN $lun starts with no keys"
	else
		die "LUN $lun: not empty at start: $KEYS"
	fi
done

say "unfence: each node runs on for itself"
for node in db1 db2; do
	expect_rc "$node: on" 0 agent "$node" action=on "plug=$node"
done
for lun in 1 2; do
	if keys "$lun" && has "$KEY1" && has "$KEY2" && [ "$(wc -l <<<"$KEYS")" -eq 2 ]; then
		pass "LUN $lun: the checker sees exactly db1's and db2's keys"
	else
		fail "LUN $lun: want $KEY1 and $KEY2, checker saw: $(tr '\n' ' ' <<<"$KEYS")"
	fi
done

expect_rc "db2: on for db1 is refused (on runs on the target itself)" 1 agent db2 action=on plug=db1
grep -q "plug: 'db1'.*is not this node" <<<"$T_ERR" && pass "the refusal names plug" ||
	fail "the refusal does not name plug: $T_ERR"

say "status"
expect_rc "db2: status of db1 is ON" 0 agent db2 action=status plug=db1
[ "$T_OUT" = "Status: ON" ] && pass "stdout says Status: ON" || fail "stdout: '$T_OUT'"
expect_rc "db1: status of db2 (given as port) is ON" 0 agent db1 action=status port=db2
expect_rc "db1: status of db3, never registered, is OFF" 2 agent db1 action=status plug=db3

say "monitor and list"
expect_rc "db1: monitor" 0 agent db1 action=monitor
expect_rc "db2: list" 0 agent db2 action=list
if grep -qx "$KEY2,db2" <<<"$T_OUT" && grep -qx "$KEY1," <<<"$T_OUT" && [ "$(wc -l <<<"$T_OUT")" -eq 2 ]; then
	pass "list shows db2's key by name and db1's key"
else
	fail "list printed: $(tr '\n' ' ' <<<"$T_OUT")"
fi

say "list and status through a tandem config (config=): db2's group file"
cat >"$WORK/db.conf" <<CONF
[cluster]
name = erp
node = db2
peer = db1
[fence]
devices = $TGTD_URL/1 $TGTD_URL/2
initiator = $IQN_PREFIX:db2
timeout = ${IO_TIMEOUT}s
CONF
chmod 0600 "$WORK/db.conf"
expect_rc "db2: list with config" 0 lines action=list "config=$WORK/db.conf" nodename=db2
if grep -qx "$KEY2,db2" <<<"$T_OUT" && grep -qx "$KEY1,db1" <<<"$T_OUT"; then
	pass "list names this node and the peer from the config"
else
	fail "list with config printed: $(tr '\n' ' ' <<<"$T_OUT")"
fi
expect_rc "db2: status of the config's peer db1 is ON" 0 lines action=status "config=$WORK/db.conf" plug=db1

say "before fencing, nobody holds the reservation: db1's initiator may write"
out=$("$PR" -i "$IQN_PREFIX:db1" -t 10 -r 3 "$TGTD_URL/1" write10 8 2>&1)
[ $? -eq 0 ] && pass "db1 writes LUN 1 before fencing" || fail "db1 could not write before fencing: $out"

say "db2 fences db1 (off)"
t0=$EPOCHREALTIME
expect_rc "db2: off for db1" 0 agent db2 action=off plug=db1
sed 's/^/      | /' <<<"$T_ERR"
say "  (took $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f s", b - a }'))"
for lun in 1 2; do
	if ! keys "$lun"; then
		fail "LUN $lun: $KEYS"
		continue
	fi
	has "$KEY1" && fail "LUN $lun: db1's key $KEY1 is still registered: $(tr '\n' ' ' <<<"$KEYS")" ||
		pass "LUN $lun: db1's key is gone (checker)"
	has "$KEY2" && pass "LUN $lun: db2's key is still registered (checker)" ||
		fail "LUN $lun: db2's key is gone too: $(tr '\n' ' ' <<<"$KEYS")"
	res=$("$PR" -t 10 -r 3 "$TGTD_URL/$lun" read-reservation 2>&1)
	if [ "$res" = "holder $KEY2 type 5" ]; then
		pass "LUN $lun: db2 holds a write-exclusive-registrants-only reservation (checker)"
	else
		fail "LUN $lun: read-reservation said: $res"
	fi
done
out=$("$PR" -i "$IQN_PREFIX:db1" -t 10 -r 3 "$TGTD_URL/1" write10 8 2>&1)
rc=$?
[ "$rc" -eq 3 ] && pass "db1's write to LUN 1 is now rejected: $out" ||
	fail "db1's write after fencing: exit $rc ($out), wanted 3 (reservation conflict)"

expect_rc "db2: status of db1 is now OFF" 2 agent db2 action=status plug=db1
[ "$T_OUT" = "Status: OFF" ] && pass "stdout says Status: OFF" || fail "stdout: '$T_OUT'"
expect_rc "db2: status of db2 is still ON" 0 agent db2 action=status plug=db2
expect_rc "monitor still 0 (the devices answer)" 0 agent db1 action=monitor

say "the fenced node cannot fence back"
expect_rc "db1 (fenced): off for db2 fails" 1 agent db1 action=off plug=db2
for lun in 1 2; do
	keys "$lun" && has "$KEY2" && ! has "$KEY1" && pass "LUN $lun: db2's key survived, db1's is still gone" ||
		fail "LUN $lun: after db1's attempt: $(tr '\n' ' ' <<<"$KEYS")"
done

# A Pacemaker fence race over two LUNs (each node's fenced orders an off of
# the other at once): the first device in identity order decides (I3), so
# exactly one off succeeds, and the winner's key alone is left on both LUNs.
# Without that rule each node could win one LUN, both fail, and neither
# could ever win.
say "fence races over 2 LUNs: exactly one winner each time"
RACES=${FENCE_RACES:-20}
K0=0x7e57000000000001      # the checker's own key, to clear the LUNs
# clear_lun LUN: remove every key and the reservation, as a third initiator
# (one session: tgtd ties a registration to the session that made it).
clear_lun() {
	local out
	out=$(printf 'register %s\nclear %s\n' "$K0" "$K0" | "$PR" -t 10 -r 3 "$TGTD_URL/$1" session 2>&1)
	[ "$(grep -c '^ok' <<<"$out")" -eq 2 ] || { echo "     clear LUN $1: $out"; return 1; }
}
# Each racer reads a group config with drain = 0s: tgtd refuses PREEMPT AND
# ABORT, and the default drain (5s) would only slow the races down.
race_input() { # race_input NODE PLUG FILE
	local peer=db2
	[ "$1" = db2 ] && peer=db1
	printf '[cluster]\nname = erp\nnode = %s\npeer = %s\n[fence]\ndevices = %s\ninitiator = %s:%s\ndrain = 0s\n' \
		"$1" "$peer" "${DEVICES//,/ }" "$IQN_PREFIX" "$1" >"$3.conf"
	chmod 0600 "$3.conf"
	{
		printf 'config=%s\ndevices=%s\ncluster=erp\nnodename=%s\n' "$3.conf" "$DEVICES" "$1"
		printf 'initiator=%s:%s\nio_timeout=%s\naction=off\nplug=%s\n' "$IQN_PREFIX" "$1" "$IO_TIMEOUT" "$2"
	} >"$3"
}
race_input db1 db2 "$WORK/race1"
race_input db2 db1 "$WORK/race2"
one=0 bad=0
for ((i = 1; i <= RACES; i++)); do
	for lun in 1 2; do
		clear_lun "$lun" || die "race $i: cannot clear LUN $lun"
	done
	agent db1 action=on plug=db1 >"$WORK/on.out" 2>&1 && agent db2 action=on plug=db2 >>"$WORK/on.out" 2>&1 || { cat "$WORK/on.out"; die "race $i: unfence"; }
	$FT <"$WORK/race1" >"$WORK/race1.out" 2>&1 &
	p1=$!
	$FT <"$WORK/race2" >"$WORK/race2.out" 2>&1 &
	p2=$!
	wait "$p1"
	r1=$?
	wait "$p2"
	r2=$?
	winner=
	if [ "$r1" -eq 0 ] && [ "$r2" -ne 0 ]; then winner=$KEY1 loser=$KEY2
	elif [ "$r2" -eq 0 ] && [ "$r1" -ne 0 ]; then winner=$KEY2 loser=$KEY1
	fi
	ok=0
	if [ -n "$winner" ]; then
		ok=1
		for lun in 1 2; do
			keys "$lun" && has "$winner" && ! has "$loser" || ok=0
		done
	fi
	if [ "$ok" -eq 1 ]; then
		one=$((one + 1))
	else
		bad=$((bad + 1))
		echo "     race $i: db1's off exit $r1, db2's off exit $r2; LUN keys: $(keys 1; tr '\n' ' ' <<<"$KEYS") / $(keys 2; tr '\n' ' ' <<<"$KEYS")"
		sed 's/^/     db1 | /' "$WORK/race1.out" | tail -n 5
		sed 's/^/     db2 | /' "$WORK/race2.out" | tail -n 5
	fi
done
if [ "$bad" -eq 0 ]; then
	pass "$RACES fence races over 2 LUNs: exactly one off succeeded each time, its key alone left on both LUNs"
else
	fail "$bad of $RACES fence races did not end with exactly one winner holding both LUNs"
fi
# Leave both nodes registered again, db2 holding, for what follows.
for lun in 1 2; do
	clear_lun "$lun"
done
agent db1 action=on plug=db1 >/dev/null 2>&1 && agent db2 action=on plug=db2 >/dev/null 2>&1 && agent db2 action=off plug=db1 >/dev/null 2>&1 &&
	agent db1 action=on plug=db1 >/dev/null 2>&1 || true

say "tgtd frozen (SIGSTOP): status must fail, not hang"
kill -STOP "$TGTD_PID" && STOPPED=1
# A guard against a hang only (tests carry no timing thresholds): the agent
# must end by itself, with an error that says the target timed out.
FT_SAVED=$FT
FT="timeout 300 $FT_SAVED"
expect_rc "status with tgtd frozen" 1 agent db2 action=status plug=db2
FT=$FT_SAVED
if grep -qi "timed out" <<<"$T_ERR"; then
	pass "it says the target timed out"
else
	fail "no timeout in its error: $(tr '\n' ' ' <<<"$T_ERR")"
fi
# shellcheck disable=SC2034 # read by the at_exit handler
kill -CONT "$TGTD_PID" && STOPPED=0
expect_rc "monitor 0 again once tgtd runs" 0 agent db2 action=monitor

finish
