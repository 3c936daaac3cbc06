#!/bin/bash
# tandem-raid through the real binary on the md sysfs trees captured from a
# real kernel (tests/fixtures/md/*), read with --sysroot: each fixture's exit
# status, text line and JSON; names through /dev/md/NAME and /dev/disk/by-id
# links; several arrays at once (the worst verdict decides); the config's
# [raid] devices; usage errors; and `watch` with a NOTIFY_SOCKET listener
# while an array changes under it. Needs no root and no md in the kernel.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
T=./${BUILD:-build}/tandem-raid
F=tests/fixtures/md
need_built "$T"
t_tmpdir tandem-raid-cli
tmp=$T_TMP
listener="" watcher=""
at_exit 't_kill "$watcher" "$listener"'

# ---- each fixture: exit status, the text line, the JSON
# fixture DEV RC HEALTH TEXT-REGEX (after "WORD DEV (md): ")
while read -r fx dev rc health text; do
	word=$health
	[ "$health" = ok ] || word=${health^^}
	expect_match "$fx: $dev exits $rc" "$rc" "^$word +$dev \(md\): $text" $T --sysroot "$F/$fx" check "$dev"
	expect_json "$fx: JSON says $health" "$rc" \
		"len(d['devices']) == 1 and d['devices'][0]['device'] == '$dev' and d['devices'][0]['kind'] == 'md'
		 and d['devices'][0]['health'] == '$health' and d['devices'][0]['reason'] != ''" \
		$T --sysroot "$F/$fx" --json check "$dev"
done <<'EOF'
clean-raid1         md0        0 ok       raid1 clean, 2 of 2 in sync$
degraded            /dev/md0   3 degraded raid1 clean, 1 of 2 in sync; degraded \(1 missing\)$
faulty              md0        3 degraded member loop1 faulty; raid1 clean, 1 of 2 in sync; degraded \(1 missing\)$
recovering          md0        3 degraded raid1 clean, 1 of 2 in sync; degraded \(1 missing\); recovery 6%$
resync              md0        3 degraded raid1 clean, 2 of 2 in sync; resync 6%$
check-mismatch      md0        0 ok       raid1 clean, 2 of 2 in sync; check 0%; mismatch_cnt 1792 so far$
checked-mismatch    md0        0 ok       raid1 clean, 2 of 2 in sync; mismatch_cnt 14336 \(from the last sync\)$
inactive            md0        4 failed   array inactive: assembled but not started$
readonly            md0        4 failed   raid1 readonly, 2 of 2 in sync; read-only: writes are refused$
read-auto           md0        0 ok       raid1 read-auto, 2 of 2 in sync; read-auto: read-only until the first write$
named               /dev/md/db 0 ok       raid1 clean, 2 of 2 in sync$
assemble-incomplete /dev/md0   4 failed   no such md array in sysfs \(never assembled, or stopped\)$
EOF

expect_json "faulty: JSON details (level, members, the faulty one)" 3 \
	"(x := d['devices'][0])['level'] == 'raid1' and x['array_state'] == 'clean' and x['degraded'] == 1
	 and [m['name'] for m in x['members']] == ['loop0', 'loop1']
	 and x['members'][1]['state'] == ['faulty'] and x['members'][1]['slot'] == 'none'
	 and x['members'][0]['state'] == ['in_sync'] and x['members'][0]['slot'] == 0" \
	$T --sysroot "$F/faulty" --json check md0
expect_json "recovering: JSON progress" 3 \
	"d['devices'][0]['sync_action'] == 'recover' and d['devices'][0]['sync_percent'] == 6" \
	$T --sysroot "$F/recovering" --json check md0

# ---- no DEV, no config: every md array under the sysroot
expect_match "named: no DEV finds md127" 0 "^ok +/dev/md127 \(md\)" $T --sysroot "$F/named" check
expect_match "assemble-incomplete: no DEV, nothing there: exit 1" 1 "nothing to check" \
	$T --sysroot "$F/assemble-incomplete" check
expect_json "assemble-incomplete: JSON lists no devices" 1 "d == {'devices': []}" \
	$T --sysroot "$F/assemble-incomplete" --json check

# ---- several arrays in one tree: the worst verdict decides the exit status
mk_tree() { # mk_tree DIR FIXTURE:mdN...
	local dir=$1 x
	shift
	mkdir -p "$dir/sys/block" "$dir/dev/disk/by-id"
	for x in "$@"; do
		cp -a "$F/${x%%:*}/sys/block/md0" "$dir/sys/block/${x#*:}"
	done
}
mk_tree "$tmp/mix" clean-raid1:md0 degraded:md1 inactive:md2 resync:md10
ln -s ../../md1 "$tmp/mix/dev/disk/by-id/md-uuid-0123"
ln -s ../../sda "$tmp/mix/dev/disk/by-id/wwn-0x6001"
: >"$tmp/mix/dev/sda"
expect_json "mix: no DEV lists md0 md1 md2 md10 in order, exit 4 (failed)" 4 \
	"[(x['device'], x['health']) for x in d['devices']] == [('/dev/md0', 'ok'), ('/dev/md1', 'degraded'), ('/dev/md2', 'failed'), ('/dev/md10', 'degraded')]" \
	$T --sysroot "$tmp/mix" --json check
expect_match "mix: ok and degraded: exit 3" 3 "^DEGRADED +md10 " $T --sysroot "$tmp/mix" check md0 md10
expect_match "mix: ok and ok: exit 0" 0 "^ok +/dev/md0 " $T --sysroot "$tmp/mix" check /dev/md0 md0
expect_match "mix: a /dev/disk/by-id link to md1" 3 "^DEGRADED +/dev/disk/by-id/md-uuid-0123 \(md\): raid1 clean, 1 of 2" \
	$T --sysroot "$tmp/mix" check /dev/disk/by-id/md-uuid-0123
expect_match "mix: a by-id link to a plain disk: unknown, exit 1" 1 \
	"^UNKNOWN +/dev/disk/by-id/wwn-0x6001 \(none\): /dev/sda: neither an md array nor" \
	$T --sysroot "$tmp/mix" check /dev/disk/by-id/wwn-0x6001
expect_match "mix: a link that is not there: failed, exit 4" 4 "^FAILED +/dev/disk/by-id/nothing \(none\): no such device" \
	$T --sysroot "$tmp/mix" check /dev/disk/by-id/nothing
expect_match "mix: an md array that is not there: failed" 4 "^FAILED +md7 \(md\): no such md array" \
	$T --sysroot "$tmp/mix" check md0 md7
expect_match "dm under --sysroot: unknown, exit 1" 1 "^UNKNOWN +/dev/mapper/mpatha \(dm\): .*not under --sysroot" \
	$T --sysroot "$tmp/mix" check /dev/mapper/mpatha
expect_match "a bad name: unknown, exit 1" 1 "^UNKNOWN +/dev/../md0 \(none\): not a device name" \
	$T --sysroot "$tmp/mix" check /dev/../md0
expect_match "options after the command" 0 "^ok +md0 " $T check --sysroot "$tmp/mix" md0

# ---- the config's [raid] devices (without DEV)
printf '[cluster]\nname = erp\nnode = db1\n[raid]\ndevices = /dev/md1 /dev/md2\n' >"$tmp/raid.conf"
chmod 0600 "$tmp/raid.conf"
expect_json "config: [raid] devices md1 md2 only" 4 \
	"[x['device'] for x in d['devices']] == ['/dev/md1', '/dev/md2']" \
	$T --insecure-config -c "$tmp/raid.conf" --sysroot "$tmp/mix" --json check
expect_match "config: DEV overrides [raid] devices" 0 "^ok +md0 " \
	$T --insecure-config -c "$tmp/raid.conf" --sysroot "$tmp/mix" check md0
expect_match "config: missing file: exit 1" 1 "cannot open" $T -c "$tmp/none.conf" --sysroot "$tmp/mix" check

# ---- usage
expect_match "no command: exit 2" 2 "no command given" $T
expect_match "unknown command: exit 2" 2 "unknown command 'frob'" $T frob
expect_match "unknown option: exit 2" 2 "" $T --frob check
expect_match "--interval is for watch: exit 2" 2 "--interval is for watch" $T --interval 1s check
expect_match "bad --interval: exit 2" 2 "not a duration" $T --interval soon watch
expect_match "--sysroot that is not there: exit 1" 1 "--sysroot $tmp/none" $T --sysroot "$tmp/none" check
expect_match "--help" 0 "^Usage: tandem-raid" $T --help
expect_match "--help names the exit codes" 0 "3 degraded \(none failed\)" $T --help
expect_match "--version" 0 "^tandem-raid [0-9]" $T --version

# ---- watch: sd_notify, one log line per change, SIGTERM
# The array is a symlink swapped atomically (rename) between two captured
# states, so every round sees one whole state.
mkdir -p "$tmp/w/sys/block" "$tmp/w/states"
cp -a "$F/clean-raid1/sys/block/md0" "$tmp/w/states/clean"
cp -a "$F/faulty/sys/block/md0" "$tmp/w/states/faulty"
ln -s ../../states/clean "$tmp/w/sys/block/md0"
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    out.write(s.recv(4096).decode() + "\n--\n")' "$tmp/notify.sock" "$tmp/notify.log" &
listener=$!
for _ in $(seq 100); do [ -S "$tmp/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$tmp/notify.sock $T -v --log-target console --sysroot "$tmp/w" --interval 100ms watch md0 \
	>"$tmp/watch.out" 2>"$tmp/watch.err" &
watcher=$!
# wait_for SECONDS CMD...: polls CMD until it succeeds; a bound, not a measurement
wait_for() {
	local n=$(($1 * 10))
	shift
	until "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}
round() { sed -n 's/.*round \([0-9]*\):.*/\1/p' "$tmp/watch.err" | tail -n 1; }
past() { local r; r=$(round); [ -n "$r" ] && [ "$r" -ge "$1" ]; }
wait_for 30 past 3 || fail "watch: no round 3: $(cat "$tmp/watch.err")"
ln -s ../../states/faulty "$tmp/w/sys/block/md0.new" && mv -T "$tmp/w/sys/block/md0.new" "$tmp/w/sys/block/md0"
if wait_for 30 grep -q 'md0: ok -> degraded: member loop1 faulty' "$tmp/watch.err"; then
	r=$(round)
	wait_for 30 past $((r + 5)) || fail "watch: stopped going round"
	n=$(grep -c -- '-> ' "$tmp/watch.err")
	first=$(grep -c 'md0: ok: raid1 clean, 2 of 2 in sync' "$tmp/watch.err")
	if [ "$n" -eq 1 ] && [ "$first" -eq 1 ]; then
		pass "watch: first state logged once, ok -> degraded once, over $(($(round) - r)) more rounds"
	else
		fail "watch: $n transitions, first state $first times"; sed 's/^/     /' "$tmp/watch.err"
	fi
else
	fail "watch: no ok -> degraded"; sed 's/^/     /' "$tmp/watch.err"
fi
ln -s ../../states/clean "$tmp/w/sys/block/md0.new" && mv -T "$tmp/w/sys/block/md0.new" "$tmp/w/sys/block/md0"
wait_for 30 grep -q 'md0: degraded -> ok' "$tmp/watch.err" && pass "watch: degraded -> ok logged" ||
	fail "watch: no degraded -> ok"
kill -TERM "$watcher"
wait "$watcher"
wrc=$?
watcher=""
[ "$wrc" -eq 0 ] && pass "watch: exit 0 on SIGTERM" || fail "watch: exit $wrc on SIGTERM"
wait_for 10 grep -q STOPPING=1 "$tmp/notify.log" || true
ready=$(grep -c '^READY=1$' "$tmp/notify.log")
dogs=$(grep -c '^WATCHDOG=1$' "$tmp/notify.log")
rounds=$(round)
if [ "$ready" -eq 1 ] && [ "$dogs" -eq "$rounds" ] && grep -q '^STATUS=ok: 1 device$' "$tmp/notify.log" &&
	grep -q '^STATUS=degraded: 1 device; md0 degraded (member loop1 faulty' "$tmp/notify.log" &&
	grep -q '^STOPPING=1$' "$tmp/notify.log"; then
	pass "watch: sd_notify READY=1 once, WATCHDOG=1 each of $rounds rounds, STATUS, STOPPING"
else
	fail "watch: notify: READY=1 x$ready, WATCHDOG=1 x$dogs for $rounds rounds"; sort "$tmp/notify.log" | uniq -c | sed 's/^/     /'
fi
# Without NOTIFY_SOCKET sd_notify does nothing; watch runs all the same.
$T --sysroot "$tmp/w" --interval 100ms watch md0 >/dev/null 2>"$tmp/watch2.err" &
watcher=$!
wait_for 30 grep -qs 'md0: ok: ' "$tmp/watch2.err" && kill -INT "$watcher"
wait "$watcher"
wrc=$?
watcher=""
[ "$wrc" -eq 0 ] && pass "watch without NOTIFY_SOCKET: runs, exit 0 on SIGINT" || fail "watch without NOTIFY_SOCKET: exit $wrc"
finish
