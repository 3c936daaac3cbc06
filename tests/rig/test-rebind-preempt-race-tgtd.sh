#!/bin/bash
# I7 on tgtd (found by a review that tried to break M2): two of a node's own
# processes bind their sessions (two groups' watches reconnecting after one
# network blip, the watch and a release, ...) while the peer fences the
# node. gdb holds each of db1's two `tandem-fence release` runs at a
# REGISTER (the first thing its rebind sends); db2 fences db1 meanwhile
# (`tandem-fence preempt db1`: verified, exit 0); then both go on. The
# fenced node's key must stay gone: neither run may register it again. The
# code before the review's fixes (a count check) let both keep their
# registrations. Needs gdb (tools/deps.sh installs it).
# Exit: 0 pass, 77 skip, 1 fail.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
. tests/lib.sh
. tests/rig/tgtd.sh
why=$(tgtd_can_run) || skip "${why#tgtd rig: skip: }"
need_cmd gdb
need_built "$BUILD/tandem-fence" "$BUILD/rig/iscsi-pr"
t_tmpdir tandem-break-m2
W=$T_TMP
GPIDS=()
at_exit --check 'tgtd_stop >/dev/null'
at_exit 'touch "$W/go" "$W/go2"; t_kill "${GPIDS[@]}"'
tgtd_start 1 >/dev/null || die "tgtd did not start"
U=$TGTD_URL/1
for n in db1 db2; do
	p=db2
	[ $n = db2 ] && p=db1
	cat >"$W/$n.conf" <<CONF
[cluster]
name = erp
node = $n
peer = $p
[fence]
devices = $U
initiator = iqn.2026-11.org.tandem.test:$n
timeout = 5s
drain = 0
CONF
	chmod 0600 "$W/$n.conf"
done
K1=0xd53f5e4e178db2f1   # key_derive("erp", "db1")
copies() { "$BUILD/rig/iscsi-pr" -t 5 -r 3 "$U" read-keys | grep -c "^key $K1"; }
"$BUILD/tandem-fence" -q -c "$W/db1.conf" unfence >/dev/null && "$BUILD/tandem-fence" -q -c "$W/db2.conf" unfence >/dev/null ||
	die "unfence"
[ "$(copies)" = 1 ] || die "db1's key should be registered once"
for p in p1 p2; do
	gdb -q -batch -ex 'set pagination off' -ex 'break pr_register' -ex run \
		-ex "shell touch $W/$p.at; while [ ! -e $W/go ]; do sleep 0.05; done" \
		-ex delete -ex finish \
		-ex "shell touch $W/$p.reg; while [ ! -e $W/go2 ]; do sleep 0.05; done" -ex continue \
		--args "$BUILD/tandem-fence" -c "$W/db1.conf" --log-target console release >"$W/$p.log" 2>&1 &
	GPIDS+=($!)
done
for _ in $(seq 300); do [ -e "$W/p1.at" ] && [ -e "$W/p2.at" ] && break; sleep 0.1; done
[ -e "$W/p1.at" ] && [ -e "$W/p2.at" ] || die "gdb did not stop both processes"
if "$BUILD/tandem-fence" -q -c "$W/db2.conf" preempt db1 >/dev/null 2>&1 && [ "$(copies)" = 0 ]; then
	echo "     db2 fenced db1: preempt verified, db1's key gone"
else
	die "db2's preempt of db1"
fi
touch "$W/go"
for _ in $(seq 300); do [ -e "$W/p1.reg" ] && [ -e "$W/p2.reg" ] && break; sleep 0.1; done
touch "$W/go2"
for p in "${GPIDS[@]}"; do wait "$p"; done
GPIDS=()
n=$(copies)
if [ "$n" = 0 ]; then
	pass "the fenced node's key stays gone"
else
	fail "after db2 fenced db1, db1's own processes registered its key again ($n registrations); they said: $(grep -h '^ok\|^FAILED' "$W/p1.log" "$W/p2.log" | tr '\n' ' ')"
fi
finish
