#!/bin/bash
# I3's liveness rule against a real target (tgtd, 2 LUNs, reached through
# libiscsi as two nodes): a takeover never fences a live node.
#   1. Races from a neutral start: each racer runs `tandem-fence takeover`
#      and, when it wins, `tandem-fence watch`, as the units do. Exactly one
#      winner every time; the other exits 3 and changes nothing. No test
#      hook synchronises them: the loser either loses the RESERVE, or sees
#      the winner holding and its heartbeat move.
#   2. A takeover against a live holder (its watch renewing the heartbeat)
#      is refused, says the peer is alive and names `tandem move`.
#   3. A holder whose watch was killed (a crash): fenced after the wait.
#   4. A holder whose watch was stopped (SIGSTOP, a frozen node): fenced;
#      on SIGCONT that watch exits 4, and its key stays gone (the heartbeat
#      never registers a fenced node again).
# The keys and the holder are read independently with iscsi-pr. Short
# intervals (watch_interval 200ms, timeout 1s: a 1.4 s wait) keep it quick.
# RACES (default 50) sets the number of races.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
. tests/lib.sh
. tests/rig/tgtd.sh
why=$(tgtd_can_run) || skip "${why#tgtd rig: skip: }"
FENCE=$BUILD/tandem-fence
PR=$BUILD/rig/iscsi-pr
need_built "$FENCE" "$PR"
RACES=${RACES:-50}

t_tmpdir tandem-liveness
WORK=$T_TMP
WATCH_PIDS=()
stop_watches() {
	local p
	for p in "${WATCH_PIDS[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${WATCH_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	WATCH_PIDS=()
}
at_exit --check 'tgtd_stop >/dev/null'
at_exit stop_watches

tgtd_start 2 >/dev/null || die "tgtd did not start"
for n in db1 db2; do
	p=db2
	[ $n = db2 ] && p=db1
	cat >"$WORK/$n.conf" <<CONF
[cluster]
name = erp
node = $n
peer = $p
[fence]
devices = $TGTD_URL/1 $TGTD_URL/2
initiator = iqn.2026-11.org.tandem.test:$n
timeout = 1s
watch_interval = 200ms
drain = 1s
CONF
	chmod 0600 "$WORK/$n.conf"
done
K1=0xd53f5e4e178db2f1   # key_derive("erp", "db1")
K2=0xa82085faded0a3ac   # key_derive("erp", "db2")
F() { local n=$1; shift; "$FENCE" -c "$WORK/$n.conf" --log-target console "$@"; }

holder() { "$PR" -t 10 -r 3 "$TGTD_URL/$1" read-reservation 2>/dev/null | awk '/^holder/ {print $2; exit} /^none/ {print "none"}'; }
has_key() { "$PR" -t 10 -r 3 "$TGTD_URL/$1" read-keys 2>/dev/null | grep -qx "key $2"; }
held_by() { [ "$(holder 1)" = "$1" ] && [ "$(holder 2)" = "$1" ]; }
# clear_luns: every key and the reservation gone, as a third initiator.
clear_luns() {
	local lun out
	for lun in 1 2; do
		out=$(printf 'register 0x7e57000000000001\nclear 0x7e57000000000001\n' |
			"$PR" -t 10 -r 3 "$TGTD_URL/$lun" session 2>&1)
		[ "$(grep -c '^ok' <<<"$out")" -eq 2 ] || return 1
	done
}
# start_watch NODE: the node's watch, in the background; its PID in WPID.
start_watch() {
	"$FENCE" -c "$WORK/$1.conf" --log-target console watch >"$WORK/watch-$1.log" 2>&1 &
	WPID=$!
	WATCH_PIDS+=("$WPID")
}
# racer NODE: takeover, and on success the watch (as tandem-takeover@ and
# tandem-watch@ do); the takeover's exit status in $WORK/rc-NODE.
racer() {
	local n=$1
	F "$n" takeover >"$WORK/race-$n.log" 2>&1
	local rc=$?
	echo "$rc" >"$WORK/rc-$n"
	[ "$rc" -eq 0 ] && exec "$FENCE" -c "$WORK/$n.conf" --log-target console watch >"$WORK/watch-$n.log" 2>&1
	exit "$rc"
}

say() { printf 'liveness: %s\n' "$*"; }

# --- 1. races from a neutral start ---------------------------------------------
say "$RACES races from a neutral start, each racer running takeover then its watch"
wins1=0 wins2=0 bad=0
for ((i = 1; i <= RACES; i++)); do
	clear_luns || die "race $i: cannot clear the LUNs"
	F db1 -q unfence >/dev/null 2>&1 && F db2 -q unfence >/dev/null 2>&1 || die "race $i: unfence"
	rm -f "$WORK/rc-db1" "$WORK/rc-db2"
	racer db1 &
	p1=$!
	racer db2 &
	p2=$!
	WATCH_PIDS+=("$p1" "$p2")
	for ((t = 0; t < 600; t++)); do
		[ -s "$WORK/rc-db1" ] && [ -s "$WORK/rc-db2" ] && break
		sleep 0.05
	done
	r1=$(cat "$WORK/rc-db1" 2>/dev/null || echo none) r2=$(cat "$WORK/rc-db2" 2>/dev/null || echo none)
	if [ "$r1" = 0 ] && [ "$r2" = 3 ] && held_by "$K1" && has_key 1 "$K2" && has_key 2 "$K2"; then
		wins1=$((wins1 + 1))
	elif [ "$r2" = 0 ] && [ "$r1" = 3 ] && held_by "$K2" && has_key 1 "$K1" && has_key 2 "$K1"; then
		wins2=$((wins2 + 1))
	else
		bad=$((bad + 1))
		echo "     race $i: db1 exit $r1, db2 exit $r2; holders $(holder 1) / $(holder 2)"
		sed 's/^/     db1 | /' "$WORK/race-db1.log" | tail -n 4
		sed 's/^/     db2 | /' "$WORK/race-db2.log" | tail -n 4
	fi
	stop_watches
done
if [ "$bad" -eq 0 ]; then
	pass "$RACES races: exactly one winner each time (db1 $wins1, db2 $wins2); the loser exited 3, its key still registered"
else
	fail "$bad of $RACES races did not end with exactly one winner"
fi

# --- 2. a live holder is never fenced -------------------------------------------
say "db1 holds the reservation and its watch renews the heartbeat"
clear_luns || die "cannot clear the LUNs"
F db1 -q unfence >/dev/null 2>&1 && F db2 -q unfence >/dev/null 2>&1 || die "unfence"
F db1 -q takeover >/dev/null 2>&1 || die "db1 takeover"
start_watch db1
W1=$WPID
sleep 0.5
expect_rc "db2's takeover against the live db1 exits 3" 3 F db2 takeover
if grep -q "the peer is alive" <<<"$T_OUT$T_ERR" && grep -q "tandem move" <<<"$T_OUT$T_ERR"; then
	pass "it says the peer is alive, and names tandem move"
else
	fail "its words: $(tr '\n' ' ' <<<"$T_OUT $T_ERR")"
fi
check "db1 still holds both LUNs, read independently" held_by "$K1"
check "db1's key is still registered on both LUNs" eval 'has_key 1 "$K1" && has_key 2 "$K1"'
check "db1's watch still runs" kill -0 "$W1"

# --- 3. the holder crashed (its watch killed) ------------------------------------
say "db1's watch killed, as in a crash: db2's takeover fences it after the wait"
kill -KILL "$W1"
wait "$W1" 2>/dev/null
expect_rc "db2's takeover against the dead db1 exits 0" 0 F db2 takeover
# M5: tgtd refuses PREEMPT AND ABORT, so the takeover preempted without
# abort, and waits the drain before it reports success.
if grep -q "waiting 1.0s (drain) before the volume may be trusted" <<<"$T_OUT$T_ERR"; then
	pass "it preempted without abort (tgtd refuses PREEMPT AND ABORT), and waited the drain before success"
else
	fail "no drain after a PREEMPT without abort: $(tr '\n' ' ' <<<"$T_OUT $T_ERR")"
fi
check "db2 holds both LUNs" held_by "$K2"
check "db1's key is gone from both LUNs" eval '! has_key 1 "$K1" && ! has_key 2 "$K1"'

# --- 4. the holder froze (SIGSTOP) -----------------------------------------------
say "db2 holds with its watch; the watch is frozen (SIGSTOP); db1 takes over"
F db1 -q unfence >/dev/null 2>&1 || die "db1 unfence"
start_watch db2
W2=$WPID
sleep 0.5
kill -STOP "$W2"
expect_rc "db1's takeover against the frozen db2 exits 0" 0 F db1 takeover
check "db1 holds both LUNs" held_by "$K1"
check "db2's key is gone" eval '! has_key 1 "$K2" && ! has_key 2 "$K2"'
kill -CONT "$W2"
rc=none
for ((t = 0; t < 200; t++)); do
	if ! kill -0 "$W2" 2>/dev/null; then
		wait "$W2"
		rc=$?
		break
	fi
	sleep 0.05
done
[ "$rc" = 4 ] && pass "on SIGCONT, db2's watch exited 4 (fenced)" || fail "db2's watch after SIGCONT: exit $rc; $(tail -n 3 "$WORK/watch-db2.log" | tr '\n' ' ')"
check "db2's key stays gone: its heartbeat did not register it again" eval '! has_key 1 "$K2" && ! has_key 2 "$K2"'
stop_watches
finish
