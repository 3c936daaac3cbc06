#!/bin/bash
# A group without [fence] runs unfenced: the commands its units run succeed
# with a warning, the watch idles answering its watchdog, and the commands
# that need devices fail, saying why.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
F=./${BUILD:-build}/tandem-fence
need_built "$F"
t_tmpdir tandem-unfenced
d=$T_TMP
wp=""
at_exit 't_kill "$wp"'
printf '[cluster]\nname = erp\nnode = db1\npeer = db2\n' >"$d/db.conf"
chmod 0600 "$d/db.conf"
for c in unfence takeover release unregister; do
	out=$("$F" -c "$d/db.conf" --log-target console "$c" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q "runs UNFENCED; $c has nothing to do" <<<"$out"; then
		pass "$c: exit 0, with the warning"
	else
		fail "$c: exit $rc: $out"
	fi
done
for c in status check "preempt db2"; do
	# shellcheck disable=SC2086 # the command may carry its operand
	out=$("$F" -c "$d/db.conf" --log-target console $c 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q "needs fence devices" <<<"$out"; then
		pass "$c: exit 1, saying it needs fence devices"
	else
		fail "$c: exit $rc: $out"
	fi
done
"$F" -c "$d/db.conf" --log-target console watch >"$d/w.out" 2>&1 &
wp=$!
for _ in $(seq 1 50); do grep -q "nothing to watch" "$d/w.out" && break; sleep 0.1; done
if kill -0 "$wp" 2>/dev/null && grep -q "nothing to watch" "$d/w.out"; then
	pass "watch: keeps running, nothing to watch"
else
	fail "watch: $(cat "$d/w.out")"
fi
kill "$wp"
wait "$wp"
rc=$?
wp=""
[ "$rc" -eq 143 ] && pass "watch: ends on SIGTERM" || fail "watch: exit $rc on SIGTERM"
finish
