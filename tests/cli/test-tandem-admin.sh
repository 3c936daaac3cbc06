#!/bin/bash
# tandem status, fence, unfence, takeover and move through the real binary,
# without any reachable device: usage errors, --help, per-device errors in
# status (text and JSON, never a crash), the JSON shape, an unfenced group,
# fence refusing our own node, and takeover/move without systemd.
# (Against real devices: tests/rig/test-tandem-admin-tgtd.sh.)
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
B=${BUILD:-build}
case $B in /*) ;; *) B=./$B ;; esac
T=$B/tandem
need_built "$T"
t_tmpdir tandem-admin-cli
tmp=$T_TMP

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

expect_match "--help lists status" 0 "^  status " $T --help
expect_match "--help lists move" 0 "^  move " $T --help
expect_match "help after the command" 0 "^Usage: tandem" $T status --help
expect_match "no command" 2 "no command given" $T
expect_match "unknown command" 2 "unknown command 'frobnicate'" $T frobnicate
expect_match "status takes no operand" 2 "unexpected argument 'x'" $T "${C[@]}" status x
expect_match "status refuses --force" 2 "--force does not apply" $T "${C[@]}" status --force
expect_match "fence needs a node" 2 "needs one NODE or KEY" $T "${C[@]}" fence
expect_match "fence takes one node" 2 "needs one NODE or KEY" $T "${C[@]}" fence db2 db3
expect_match "fence refuses a bad key" 2 "is not a key" $T "${C[@]}" fence 0xzz
expect_match "unfence takes no operand" 2 "unexpected argument" $T "${C[@]}" unfence db1
expect_match "takeover refuses --to" 2 "--to does not apply" $T "${C[@]}" takeover --to db1
expect_match "bad --timeout" 2 "--timeout 'soon' is not a duration" $T "${C[@]}" takeover --timeout soon
expect_match "move --to a stranger" 2 "the group's nodes are db1 \(this node\) and db2" $T "${C[@]}" move --to db9

# 0xd53f5e4e178db2f1 = key_derive("erp", "db1") (tests/unit/test-key.c)
expect_match "fence refuses our own node" 2 "db1 \(0xd53f5e4e178db2f1\) is this node's own key; add --force" \
	$T "${C[@]}" fence db1
expect_match "fence refuses our own key" 2 "own key" $T "${C[@]}" fence 0xd53f5e4e178db2f1
expect_match "fence of the peer fails on unreachable devices" 1 "iscsi://127.0.0.1:1/" $T "${C[@]}" fence db2
expect_match "unfence fails on unreachable devices" 1 "" $T "${C[@]}" unfence

expect_match "status exits 0 with no device reachable" 0 "^role +unknown: 2 of 2 fence devices could not be read" \
	$T "${C[@]}" status
expect_match "status: the iSCSI device's error" 0 "^    error: login to 127.0.0.1:1 failed" $T "${C[@]}" status
expect_match "status: the missing device's error" 0 "^    error: .*No such file or directory" $T "${C[@]}" status
expect_match "status: RAID verdict" 0 "^raid +failed" $T "${C[@]}" status
expect_match "status: volume" 0 "^volume +LABEL=tandem-none on /nonexistent/tandem-mnt: not mounted" $T "${C[@]}" status
expect_match "status: service" 0 "^service +tandem-none.service: " $T "${C[@]}" status
expect_match "status: peer probe" 0 "^peer +127.0.0.1: (not )?reachable \(TCP port 22" $T "${C[@]}" status

expect_json_value "JSON top-level members" 0 'sorted(d)' \
	"['address', 'cluster', 'fence', 'group', 'node', 'peer', 'raid', 'role', 'role_reason', 'service', 'volume']" \
	$T "${C[@]}" status --json
expect_json_value "JSON role" 0 'd["role"]' unknown $T "${C[@]}" status --json
expect_json_value "JSON fence devices with errors" 0 '[(x["device"].split(":")[0], x["identity"], bool(x["error"])) for x in d["fence"]["devices"]]' \
	"[('iscsi', None, True), ('/dev/sd-tandem-none', None, True)]" $T "${C[@]}" status --json
expect_json_value "JSON fence mode and key" 0 'd["fence"]["mode"], d["fence"]["key"]' "('reservations', '0xd53f5e4e178db2f1')" \
	$T "${C[@]}" status --json
expect_json_value "JSON raid" 0 'd["raid"]["health"], [x["health"] for x in d["raid"]["devices"]]' "('failed', ['failed'])" \
	$T "${C[@]}" status --json
expect_json_value "JSON volume" 0 'd["volume"]["mounted"], d["volume"]["read_only"], d["volume"]["mountpoint"]' \
	"(False, False, '/nonexistent/tandem-mnt')" $T "${C[@]}" status --json
expect_json_value "JSON service has a state" 0 'd["service"]["unit"], type(d["service"]["active_state"]).__name__' \
	"('tandem-none.service', 'str')" $T "${C[@]}" status --json
expect_json_value "JSON peer" 0 'd["peer"]["node"], d["peer"]["probe"], type(d["peer"]["reachable"]).__name__' \
	"('db2', 'tcp:22', 'bool')" $T "${C[@]}" status --json
expect_json_value "JSON absent sections are null" 0 'd["address"]' None $T "${C[@]}" status --json

expect_match "unfenced group: text" 0 "^fence +unfenced \(no \[fence\] section\)" $T -c "$tmp/unfenced.conf" status
expect_json_value "unfenced group: JSON" 0 'd["role"], d["fence"]["mode"], d["fence"]["devices"], d["peer"]' \
	"('unfenced', 'unfenced', [], None)" $T -c "$tmp/unfenced.conf" status --json
expect_match "unfenced group: fence refuses" 1 "has no \[fence\] section" $T -c "$tmp/unfenced.conf" fence db2

# With no systemd as PID 1 (this host, containers without it) takeover and
# move fail cleanly. Where systemd runs, the exit would differ: skip then.
if busctl --system status >/dev/null 2>&1; then
	echo "skip takeover/move without systemd: a system bus answers here"
else
	expect_match "takeover needs systemd" 5 "tandem takeover needs systemd" $T "${C[@]}" takeover
	expect_match "move needs systemd" 5 "tandem move needs systemd" $T "${C[@]}" move
fi

finish
