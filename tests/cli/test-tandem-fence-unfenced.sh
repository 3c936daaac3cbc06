#!/bin/bash
# A group without [fence] runs unfenced: the commands its units run succeed
# with a warning, the watch idles answering its watchdog, and the commands
# that need devices fail, saying why.
set -u
cd "$(dirname "$0")/../.." || exit 1
F=./${BUILD:-build}/tandem-fence
d=$(mktemp -d /tmp/tandem-unfenced.XXXXXX)
wp=""
cleanup() {
	[ -n "$wp" ] && kill "$wp" 2>/dev/null && wait "$wp" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT
printf '[cluster]\nname = erp\nnode = db1\npeer = db2\n' >"$d/db.conf"
chmod 0600 "$d/db.conf"
fail=0
for c in unfence takeover release unregister; do
	out=$("$F" -c "$d/db.conf" --log-target console "$c" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q "runs UNFENCED; $c has nothing to do" <<<"$out"; then
		echo "ok   $c: exit 0, with the warning"
	else
		echo "FAIL $c: exit $rc: $out"; fail=1
	fi
done
for c in status check "preempt db2"; do
	# shellcheck disable=SC2086 # the command may carry its operand
	out=$("$F" -c "$d/db.conf" --log-target console $c 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && grep -q "needs fence devices" <<<"$out"; then
		echo "ok   $c: exit 1, saying it needs fence devices"
	else
		echo "FAIL $c: exit $rc: $out"; fail=1
	fi
done
"$F" -c "$d/db.conf" --log-target console watch >"$d/w.out" 2>&1 &
wp=$!
for _ in $(seq 1 50); do grep -q "nothing to watch" "$d/w.out" && break; sleep 0.1; done
if kill -0 "$wp" 2>/dev/null && grep -q "nothing to watch" "$d/w.out"; then
	echo "ok   watch: keeps running, nothing to watch"
else
	echo "FAIL watch: $(cat "$d/w.out")"; fail=1
fi
kill "$wp"
wait "$wp"
rc=$?
wp=""
[ "$rc" -eq 143 ] && echo "ok   watch: ends on SIGTERM" || { echo "FAIL watch: exit $rc on SIGTERM"; fail=1; }
exit $fail
