#!/bin/bash
# Fencing against a real target: tgtd on 127.0.0.1, two initiators as two
# nodes (db1, db2), each with its own group config. What tandem-fence did is
# checked through iscsi-pr, a second client on libiscsi's own PR code.
#   - both unfence; db1 takes over; db1's data session writes;
#   - db2 takes over, fencing db1: PREEMPT (tgtd refuses PREEMPT AND ABORT);
#     db1's still-open data session now gets RESERVATION CONFLICT, db2's writes;
#   - status matches READ KEYS and READ RESERVATION read independently;
#   - db1, fenced, cannot take over again, and changes nothing trying;
#   - release, then 100 simultaneous takeovers from a neutral start: exactly
#     one winner each time, holding every LUN;
#   - tgtd stopped in the middle of a takeover: a clean error, no hang; tgtd
#     killed while a takeover waits on it: a clean error.
# Exit: 0 pass, 77 skip (reason printed), 1 fail.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
PR=$BUILD/rig/iscsi-pr
FENCE=$BUILD/tandem-fence
RACES=${RACES:-100}

. tests/lib.sh
. tests/rig/tgtd.sh
why=$(tgtd_can_run) || skip "${why#tgtd rig: skip: }"
need_built "$PR" "$FENCE" "$BUILD/tandem"

say() { printf 'fence-tgtd: %s\n' "$*"; }

t_tmpdir tandem-fence-tgtd
WORK=$T_TMP
. tests/rig/session.sh
BG=()
at_exit --check 'tgtd_stop >/dev/null'
at_exit sessions_close
at_exit 'if [ -n "${TGTD_PID:-}" ]; then kill -CONT "$TGTD_PID" 2>/dev/null; fi'
at_exit 't_kill -KILL "${BG[@]}"'

tgtd_start 2 >/dev/null || die "tgtd did not start"
LUNS=("$TGTD_URL/1" "$TGTD_URL/2")
IQN1=iqn.2026-11.org.tandem.test:db1
IQN2=iqn.2026-11.org.tandem.test:db2

mkconf() { # mkconf NODE PEER IQN
	cat >"$WORK/$1.conf" <<CONF
[cluster]
name = erp
node = $1
peer = $2

[fence]
devices = ${LUNS[*]}
initiator = $3
timeout = 3s
watch_interval = 500ms
CONF
	chmod 0600 "$WORK/$1.conf"
}
mkconf db1 db2 "$IQN1"
mkconf db2 db1 "$IQN2"
key_of() { "$BUILD/tandem" -c "$WORK/$1.conf" config --json | sed -n 's/^ *"key": "\(0x[0-9a-f]*\)".*/\1/p'; }
K1=$(key_of db1)
K2=$(key_of db2)
say "db1 key $K1, db2 key $K2 (derived from the cluster and node names)"
F1=("$FENCE" -c "$WORK/db1.conf")
F2=("$FENCE" -c "$WORK/db2.conf")

# Independent reads, through the checker's own initiator.
holder() { "$PR" -r 3 "$1" read-reservation | sed -n 's/^holder \(0x[0-9a-f]*\) type \([0-9]*\)$/\1 \2/p'; }
keys() { "$PR" -r 3 "$1" read-keys | sed -n 's/^key //p' | sort -u | tr '\n' ' '; }
held_everywhere_by() { local l; for l in "${LUNS[@]}"; do [ "$(holder "$l")" = "$1 5" ] || return 1; done; }
nobody_holds() { local l; for l in "${LUNS[@]}"; do [ -z "$(holder "$l")" ] || return 1; done; }

say "both nodes unfence"
check "db1 unfence" "${F1[@]}" -q unfence
check "db2 unfence" "${F2[@]}" -q unfence
for l in "${LUNS[@]}"; do
	k=$(keys "$l")
	check "${l##*/}: both keys registered ($k)" test "$k" = "$(printf '%s\n' "$K1" "$K2" | sort | tr '\n' ' ')"
done

say "db1 takes over; its data session writes"
"${F1[@]}" takeover >"$WORK/t1.out" 2>&1
rc=$?
check "db1 takeover exits 0" test "$rc" -eq 0
check "db1 holds every LUN (type 5), read independently" held_everywhere_by "$K1"
session_open data1 "$IQN1" "${LUNS[0]}" "-r 3"
session_cmd data1 register "$K1"
check "db1's data session registers ($REPLY)" test "$REPLY" = ok
session_cmd data1 write10 10
check "db1's data session writes ($REPLY)" test "$REPLY" = "written lba=10"

say "db2 takes over, fencing db1"
"${F2[@]}" takeover >"$WORK/t2.out" 2>&1
rc=$?
check "db2 takeover exits 0" test "$rc" -eq 0
check "db2 says it fell back to PREEMPT" grep -q "with PREEMPT: the target refused PREEMPT AND ABORT" "$WORK/t2.out"
check "db2 holds every LUN, read independently" held_everywhere_by "$K2"
for l in "${LUNS[@]}"; do
	k=$(keys "$l")
	check "${l##*/}: db1's key is gone ($k)" test "$k" = "$K2 "
done
session_cmd data1 write10 11
check "db1's still-open session gets RESERVATION CONFLICT ($REPLY)" test "$REPLY" = reservation-conflict
session_open data2 "$IQN2" "${LUNS[0]}" "-r 3"
session_cmd data2 register "$K2"
session_cmd data2 write10 12
check "db2's data session writes ($REPLY)" test "$REPLY" = "written lba=12"

say "status against independent reads"
"${F2[@]}" status --json >"$WORK/s2.json"
rc=$?
check "db2 status exits 0 (holds everywhere)" test "$rc" -eq 0
for i in 0 1; do
	l=${LUNS[$i]}
	jh=$(grep -o '"holder": "0x[0-9a-f]*"' "$WORK/s2.json" | sed -n "$((i + 1))p" | grep -o '0x[0-9a-f]*')
	check "${l##*/}: status holder $jh = READ RESERVATION $(holder "$l" | cut -d' ' -f1)" test "$jh 5" = "$(holder "$l")"
done
jk=$(grep -o '"key": "0x[0-9a-f]*"' "$WORK/s2.json" | grep -o '0x[0-9a-f]*' | sort -u | tr '\n' ' ')
check "status keys ($jk) = READ KEYS ($(keys "${LUNS[0]}"))" test "$jk" = "$(keys "${LUNS[0]}")"
"${F1[@]}" status >/dev/null
rc=$?
check "db1 status exits 3 (not held)" test "$rc" -eq 3

say "db1, fenced, tries to take over"
"${F1[@]}" takeover >"$WORK/t3.out" 2>&1
rc=$?
check "db1 takeover exits 4 (fenced)" test "$rc" -eq 4
check "db1 says it is fenced" grep -q "this node has been fenced" "$WORK/t3.out"
check "db2 still holds every LUN" held_everywhere_by "$K2"
check "db1's key is still gone" test "$(keys "${LUNS[0]}")" = "$K2 "

say "release, then $RACES simultaneous takeovers from a neutral start"
check "db2 release exits 0" "${F2[@]}" -q release
check "nobody holds any LUN after release" nobody_holds
check "db1 unfence again" "${F1[@]}" -q unfence >/dev/null

say "db1 takes over and watches its key; db2 fences db1 by name"
# The watch runs on the holder only (it checks that the reservation is ours).
check "db1 takes over again" "${F1[@]}" -q takeover
"${F1[@]}" -v --log-target console watch >"$WORK/w.out" 2>&1 &
wp=$!
BG=("$wp")
for ((t = 0; t < 100; t++)); do grep -q "round 2: key" "$WORK/w.out" && break; sleep 0.1; done
check "watch runs and sees the key" grep -q "round 2: key $K1 present on all 2 devices" "$WORK/w.out"
"${F2[@]}" -q preempt db1 >"$WORK/p.out" 2>&1
check "db2 preempt db1 exits 0" test $? -eq 0
seen=$(grep -o 'round [0-9]*: key .* present' "$WORK/w.out" | tail -n 1 | grep -o '[0-9]*' | head -n 1)
wait "$wp"
rc=$?
BG=()
lost=$(sed -n 's/.*round \([0-9]*\): .*our key is gone.*/\1/p' "$WORK/w.out")
check "watch exits 4 when the key is gone (exit $rc)" test "$rc" -eq 4
check "watch noticed within two intervals (last seen present in round $seen, lost in round ${lost:-never})" \
	test -n "$lost" -a -n "$seen" -a "${lost:-0}" -le $((${seen:-0} + 2))
check "watch names the target it stops" grep -q "stopping tandem-active@db1.target" "$WORK/w.out"
check "db1 unfence after being fenced" "${F1[@]}" -q unfence >/dev/null
# preempt also reserved, since nobody held the reservation (I2): back to neutral.
check "db2 held the reservation after fencing db1 by hand" held_everywhere_by "$K2"
check "db2 release" "${F2[@]}" -q release >/dev/null
check "nobody holds any LUN before the races" nobody_holds
wins1=0 wins2=0 bad=0
for ((i = 1; i <= RACES; i++)); do
	# Each takeover waits, once it has read the starting state, until the
	# other has too (a barrier in the test build of tandem-fence,
	# $BUILD/rig/tandem-fence-test; the installed program has none): both
	# begin from the neutral start before either changes anything.
	bar=$WORK/barrier$i
	mkdir "$bar"
	TANDEM_TEST_TAKEOVER_BARRIER=$bar:2 "$BUILD/rig/tandem-fence-test" "${F1[@]:1}" -q --log-target console takeover >"$WORK/r1.out" 2>&1 &
	p1=$!
	TANDEM_TEST_TAKEOVER_BARRIER=$bar:2 "$BUILD/rig/tandem-fence-test" "${F2[@]:1}" -q --log-target console takeover >"$WORK/r2.out" 2>&1 &
	p2=$!
	BG=("$p1" "$p2")
	wait "$p1"
	r1=$?
	wait "$p2"
	r2=$?
	BG=()
	if [ "$r1" -eq 0 ] && [ "$r2" -eq 3 ] && held_everywhere_by "$K1"; then
		wins1=$((wins1 + 1))
		"${F1[@]}" -q release >/dev/null || bad=$((bad + 1))
	elif [ "$r2" -eq 0 ] && [ "$r1" -eq 3 ] && held_everywhere_by "$K2"; then
		wins2=$((wins2 + 1))
		"${F2[@]}" -q release >/dev/null || bad=$((bad + 1))
	else
		bad=$((bad + 1))
		say "race $i: db1 exit $r1, db2 exit $r2; holders $(holder "${LUNS[0]}") / $(holder "${LUNS[1]}")"
		sed 's/^/    db1| /' "$WORK/r1.out"
		sed 's/^/    db2| /' "$WORK/r2.out"
		"$PR" -r 3 "${LUNS[0]}" read-keys >/dev/null
		"${F1[@]}" -q release
		"${F2[@]}" -q release
	fi
	nobody_holds || { bad=$((bad + 1)); say "race $i: a reservation survived the release"; break; }
done
check "$RACES races: exactly one winner each time, holding both LUNs (db1 won $wins1, db2 won $wins2)" \
	test "$bad" -eq 0 -a $((wins1 + wins2)) -eq "$RACES"

say "tgtd stops answering in the middle of a takeover"
kill -STOP "$TGTD_PID"
timeout 120 "${F1[@]}" takeover >"$WORK/t4.out" 2>&1
rc=$?
kill -CONT "$TGTD_PID"
check "takeover against a silent target fails cleanly (exit $rc, not a hang)" test "$rc" -eq 1
check "and says it timed out" grep -qi "timed out" "$WORK/t4.out"

say "tgtd is killed while a takeover waits on it"
kill -STOP "$TGTD_PID"
timeout 120 "${F1[@]}" takeover >"$WORK/t5.out" 2>&1 &
p=$!
BG=("$p")
sleep 1
tgtd_kill >/dev/null
wait "$p"
rc=$?
# shellcheck disable=SC2034 # read by the at_exit handler
BG=()
check "takeover fails cleanly when the target dies (exit $rc)" test "$rc" -eq 1
check "and names the device" grep -q "${LUNS[0]%/*}" "$WORK/t5.out"

finish
