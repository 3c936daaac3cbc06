#!/bin/bash
# tandem status, fence, unfence, takeover and move through the real binary,
# without any reachable device: usage errors, --help, per-device errors in
# status (text and JSON, never a crash), the JSON shape, an unfenced group,
# fence refusing our own node, and takeover/move without systemd.
# (Against real devices: tests/rig/test-tandem-admin-tgtd.sh.)
set -u
cd "$(dirname "$0")/../.."
B=${BUILD:-build}
case $B in /*) ;; *) B=./$B ;; esac
T=$B/tandem
tmp=$(mktemp -d /tmp/tandem-admin-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # expect DESCRIPTION WANT_RC GREP_PATTERN COMMAND...
	local what=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $what: exit $rc, wanted $want"; echo "$out" | sed 's/^/     /'; fail=1
	elif [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then
		echo "FAIL $what: output lacks /$pat/"; echo "$out" | sed 's/^/     /'; fail=1
	else
		echo "ok   $what"
	fi
}
# json DESCRIPTION PYTHON_EXPR WANT COMMAND...: stdout parses as JSON and
# the expression over it (d) prints WANT; the command exits 0.
json() {
	local what=$1 expr=$2 want=$3 out rc got
	shift 3
	out=$("$@" 2>/dev/null)
	rc=$?
	got=$(python3 -c "import json,sys; d=json.load(sys.stdin); print(($expr))" <<<"$out" 2>&1)
	if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
		echo "ok   $what"
	else
		echo "FAIL $what: exit $rc, got '$got', wanted '$want'"; echo "$out" | sed 's/^/     /'; fail=1
	fi
}

# Port 1 on 127.0.0.1: nothing listens there, so the login is refused at once.
cat >"$tmp/db.conf" <<'CONF'
[cluster]
name = erp
node = db1
peer = db2
peer_address = 127.0.0.1
[fence]
devices = iscsi://127.0.0.1:1/iqn.2026-11.org.tandem.test:none/1 /dev/sd-tandem-none
initiator = iqn.2026-11.org.tandem.test:db1
timeout = 2s
[raid]
devices = /dev/md/tandem-none
[volume]
device = LABEL=tandem-none
fstype = ext4
mountpoint = /nonexistent/tandem-mnt
[service]
unit = tandem-none.service
CONF
printf '[cluster]\nname = erp\nnode = db1\n' >"$tmp/unfenced.conf"
chmod 0600 "$tmp/db.conf" "$tmp/unfenced.conf"
C=(-c "$tmp/db.conf")

expect "--help lists status" 0 "^  status " $T --help
expect "--help lists move" 0 "^  move " $T --help
expect "help after the command" 0 "^Usage: tandem" $T status --help
expect "no command" 2 "no command given" $T
expect "unknown command" 2 "unknown command 'frobnicate'" $T frobnicate
expect "status takes no operand" 2 "unexpected argument 'x'" $T "${C[@]}" status x
expect "status refuses --force" 2 "--force does not apply" $T "${C[@]}" status --force
expect "fence needs a node" 2 "needs one NODE or KEY" $T "${C[@]}" fence
expect "fence takes one node" 2 "needs one NODE or KEY" $T "${C[@]}" fence db2 db3
expect "fence refuses a bad key" 2 "is not a key" $T "${C[@]}" fence 0xzz
expect "unfence takes no operand" 2 "unexpected argument" $T "${C[@]}" unfence db1
expect "takeover refuses --to" 2 "--to does not apply" $T "${C[@]}" takeover --to db1
expect "bad --timeout" 2 "--timeout 'soon' is not a duration" $T "${C[@]}" takeover --timeout soon
expect "move --to a stranger" 2 "the group's nodes are db1 \(this node\) and db2" $T "${C[@]}" move --to db9

# 0xd53f5e4e178db2f1 = key_derive("erp", "db1") (tests/unit/test-key.c)
expect "fence refuses our own node" 2 "db1 \(0xd53f5e4e178db2f1\) is this node's own key; add --force" \
	$T "${C[@]}" fence db1
expect "fence refuses our own key" 2 "own key" $T "${C[@]}" fence 0xd53f5e4e178db2f1
expect "fence of the peer fails on unreachable devices" 1 "iscsi://127.0.0.1:1/" $T "${C[@]}" fence db2
expect "unfence fails on unreachable devices" 1 "" $T "${C[@]}" unfence

expect "status exits 0 with no device reachable" 0 "^role +unknown: 2 of 2 fence devices could not be read" \
	$T "${C[@]}" status
expect "status: the iSCSI device's error" 0 "^    error: login to 127.0.0.1:1 failed" $T "${C[@]}" status
expect "status: the missing device's error" 0 "^    error: .*No such file or directory" $T "${C[@]}" status
expect "status: RAID verdict" 0 "^raid +failed" $T "${C[@]}" status
expect "status: volume" 0 "^volume +LABEL=tandem-none on /nonexistent/tandem-mnt: not mounted" $T "${C[@]}" status
expect "status: service" 0 "^service +tandem-none.service: " $T "${C[@]}" status
expect "status: peer probe" 0 "^peer +127.0.0.1: (not )?reachable \(TCP port 22" $T "${C[@]}" status

json "JSON top-level members" 'sorted(d)' \
	"['address', 'cluster', 'fence', 'group', 'node', 'peer', 'raid', 'role', 'role_reason', 'service', 'volume']" \
	$T "${C[@]}" status --json
json "JSON role" 'd["role"]' unknown $T "${C[@]}" status --json
json "JSON fence devices with errors" '[(x["device"].split(":")[0], x["identity"], bool(x["error"])) for x in d["fence"]["devices"]]' \
	"[('iscsi', None, True), ('/dev/sd-tandem-none', None, True)]" $T "${C[@]}" status --json
json "JSON fence mode and key" 'd["fence"]["mode"], d["fence"]["key"]' "('reservations', '0xd53f5e4e178db2f1')" \
	$T "${C[@]}" status --json
json "JSON raid" 'd["raid"]["health"], [x["health"] for x in d["raid"]["devices"]]' "('failed', ['failed'])" \
	$T "${C[@]}" status --json
json "JSON volume" 'd["volume"]["mounted"], d["volume"]["read_only"], d["volume"]["mountpoint"]' \
	"(False, False, '/nonexistent/tandem-mnt')" $T "${C[@]}" status --json
json "JSON service has a state" 'd["service"]["unit"], type(d["service"]["active_state"]).__name__' \
	"('tandem-none.service', 'str')" $T "${C[@]}" status --json
json "JSON peer" 'd["peer"]["node"], d["peer"]["probe"], type(d["peer"]["reachable"]).__name__' \
	"('db2', 'tcp:22', 'bool')" $T "${C[@]}" status --json
json "JSON absent sections are null" 'd["address"]' None $T "${C[@]}" status --json

expect "unfenced group: text" 0 "^fence +unfenced \(no \[fence\] section\)" $T -c "$tmp/unfenced.conf" status
json "unfenced group: JSON" 'd["role"], d["fence"]["mode"], d["fence"]["devices"], d["peer"]' \
	"('unfenced', 'unfenced', [], None)" $T -c "$tmp/unfenced.conf" status --json
expect "unfenced group: fence refuses" 1 "has no \[fence\] section" $T -c "$tmp/unfenced.conf" fence db2

# With no systemd as PID 1 (this host, containers without it) takeover and
# move fail cleanly. Where systemd runs, the exit would differ: skip then.
if busctl --system status >/dev/null 2>&1; then
	echo "skip takeover/move without systemd: a system bus answers here"
else
	expect "takeover needs systemd" 5 "tandem takeover needs systemd" $T "${C[@]}" takeover
	expect "move needs systemd" 5 "tandem move needs systemd" $T "${C[@]}" move
fi

exit $fail
