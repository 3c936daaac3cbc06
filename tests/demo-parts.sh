#!/bin/bash
# `make demo-parts`: tandem's parts one by one, run for real and explained:
# the config checker, fencing between two nodes against a real iSCSI target
# (the storage refusing the fenced node's writes), and the test rigs, each
# proving itself. `make demo` (tests/demo.sh) is the whole story: PostgreSQL
# moved and failed over between two nodes.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "tandem $(./"$BUILD"/tandem --version | cut -d' ' -f2): active/passive failover on shared block storage"
cat <<'TXT'
This shows tandem's parts one at a time: the group config checker; two nodes
fencing each other through SCSI-3 persistent reservations on a real iSCSI
target (tgtd), with the storage itself refusing the fenced node's writes; and
the test rigs (tgtd, loop devices, a real Debian kernel under QEMU, two
systemd nodes) proving themselves. `make demo` shows the whole failover.
TXT

tmp=$(mktemp -d /tmp/tandem-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
install -m 0600 examples/db.conf "$tmp/db.conf"

say "tandem config: the example group, checked and printed with its derived keys"
./"$BUILD"/tandem -c "$tmp/db.conf" config

say "tandem config: a broken file gets every error at once, with file:line"
cat >"$tmp/bad.conf" <<'CONF'
[cluster]
name = erp
node = db1
peer = db1
[fence]
devices = /dev/sdb iscsi://san/iqn.2026-01.com.example:lun/1
key = 0x0
timeout = 10 seconds
[volume]
device = LABEL=dbdata
fstype = auto
mountpoint = /var/lib/postgresql/
CONF
chmod 0600 "$tmp/bad.conf"
./"$BUILD"/tandem -c "$tmp/bad.conf" config
echo "(exit status $?: invalid, as nginx -t would say)"

say "tandem config: a file others may write is refused, with the fix"
chmod 0666 "$tmp/db.conf"
./"$BUILD"/tandem -c "$tmp/db.conf" config
echo "(exit status $?)"

status=0
fence_demo() {
	. tests/rig/tgtd.sh
	local why
	if ! why=$(tgtd_can_run); then
		echo "skipped: ${why#tgtd rig: skip: }"
		return 0
	fi
	PR=$BUILD/rig/iscsi-pr
	WORK=$tmp
	. tests/rig/session.sh
	trap 'sessions_close; tgtd_stop >/dev/null; rm -rf "$tmp"' EXIT
	tgtd_start 2 >/dev/null || { echo "tgtd did not start"; return 1; }
	echo "tgtd on 127.0.0.1:$TGTD_PORT exports 2 LUNs; db1 and db2 are two iSCSI initiators."
	for n in db1 db2; do
		p=db2
		[ $n = db2 ] && p=db1
		printf '[cluster]\nname = erp\nnode = %s\npeer = %s\n[fence]\ndevices = %s %s\ninitiator = iqn.2026-11.org.tandem.demo:%s\n' \
			$n $p "$TGTD_URL/1" "$TGTD_URL/2" $n >"$tmp/$n.conf"
		chmod 0600 "$tmp/$n.conf"
	done
	local F="./$BUILD/tandem-fence --log-target console"
	echo; echo "\$ tandem-fence unfence   (on both nodes, at boot)"
	$F -c "$tmp/db1.conf" unfence && $F -c "$tmp/db2.conf" unfence || return 1
	echo; echo "\$ tandem-fence takeover   (db1 becomes active)"
	$F -c "$tmp/db1.conf" takeover || return 1
	local k1
	k1=$(./"$BUILD"/tandem -c "$tmp/db1.conf" config --json | sed -n 's/^ *"key": "\(0x[0-9a-f]*\)".*/\1/p')
	session_open data1 iqn.2026-11.org.tandem.demo:db1 "$TGTD_URL/1" "-r 3"
	session_cmd data1 register "$k1"
	session_cmd data1 write10 7
	echo "db1's data path writes block 7: $REPLY"
	echo; echo "\$ tandem-fence takeover   (db2 takes over: db1 is presumed dead and fenced)"
	$F -c "$tmp/db2.conf" takeover || return 1
	session_cmd data1 write10 8
	echo "db1's data path, still connected, writes block 8: $REPLY   <- refused by the storage"
	echo; echo "\$ tandem-fence status   (on db2)"
	$F -c "$tmp/db2.conf" status
	echo; echo "\$ tandem-fence takeover   (db1 tries to come back)"
	$F -c "$tmp/db1.conf" takeover
	echo "(exit status $?: db1 knows it has been fenced and touches nothing)"
	sessions_close
	tgtd_stop >/dev/null
	trap 'rm -rf "$tmp"' EXIT
}
say "fencing: two nodes, one iSCSI target, one writer"
fence_demo || { echo "-> fencing demo FAILED"; status=1; }

for t in tests/rig/smoke-*.sh; do
	[ -f "$t" ] || continue
	n=${t##*/smoke-}
	say "rig: ${n%.sh} (smoke test)"
	bash "$t"
	rc=$?
	case $rc in
	0) echo "-> rig ${n%.sh}: works" ;;
	77) echo "-> rig ${n%.sh}: skipped (see the reason above)" ;;
	*) echo "-> rig ${n%.sh}: FAILED (exit $rc)"; status=1 ;;
	esac
done
exit $status
