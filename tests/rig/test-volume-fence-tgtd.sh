#!/bin/bash
# The fence interlock (I1) for real: the volume is a loop device, the fence
# device a tgtd LUN. tandem-volume must refuse to mount until this node's key
# holds the reservation, mount once it does, refuse again once the peer has
# fenced it, and mount under --force only, saying so.
# Exit: 0 pass, 77 skip (reason printed), 1 fail.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
. tests/lib.sh
. tests/rig/tgtd.sh
. tests/rig/loop.sh
why=$(tgtd_can_run) || skip "${why#tgtd rig: skip: }"
why=$(loop_can_run) || skip "$why"
need_built "$BUILD/tandem-volume" "$BUILD/tandem-fence"

t_tmpdir tandem-vol-fence
WORK=$T_TMP
MNT=$WORK/db
mkdir "$MNT"
at_exit --check 'tgtd_stop >/dev/null'
at_exit loop_teardown
at_exit 'if mountpoint -q "$MNT"; then umount "$MNT"; fi'

tgtd_start 1 >/dev/null || die "tgtd did not start"
loop_setup 64 ext4 tvfence >/dev/null || die "loop setup"
for n in db1 db2; do
	p=db2
	[ $n = db2 ] && p=db1
	cat >"$WORK/$n.conf" <<CONF
[cluster]
name = erp
node = $n
peer = $p
[fence]
devices = $TGTD_URL/1
initiator = iqn.2026-11.org.tandem.test:$n
timeout = 3s
[volume]
device = LABEL=tvfence
fstype = ext4
mountpoint = $MNT
fsck = never
CONF
	chmod 0600 "$WORK/$n.conf"
done
V1=("$BUILD/tandem-volume" -c "$WORK/db1.conf" --log-target console)
F1=("$BUILD/tandem-fence" -q -c "$WORK/db1.conf")
F2=("$BUILD/tandem-fence" -q -c "$WORK/db2.conf")

"${F1[@]}" unfence >/dev/null && "${F2[@]}" unfence >/dev/null || fail "unfence"
"${V1[@]}" mount >"$WORK/m1" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && ! mountpoint -q "$MNT" && grep -q "does not hold the reservation" "$WORK/m1"; then
	pass "registered but not holding: mount refused (exit $rc), nothing mounted"
else
	fail "mount without the reservation: exit $rc, mounted=$(mountpoint -q "$MNT" && echo yes || echo no): $(tr '\n' ' ' <"$WORK/m1")"
fi

"${F1[@]}" takeover >/dev/null || fail "db1 takeover"
"${V1[@]}" mount >"$WORK/m2" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && findmnt -n -o SOURCE "$MNT" | grep -qx "$LOOP_DEV"; then
	pass "holding the reservation: mounted $LOOP_DEV at $MNT"
else
	fail "mount while holding: exit $rc: $(tr '\n' ' ' <"$WORK/m2")"
fi
# I5, in the release itself: while the volume is mounted here, tandem-fence
# release refuses and the reservation stays; once unmounted, it releases.
"${F1[@]}" --log-target console release >"$WORK/r1" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && grep -q "NOT releasing the reservation (I5)" "$WORK/r1" &&
	"$BUILD/tandem-fence" -q -c "$WORK/db1.conf" status >/dev/null; then
	pass "release while mounted: refused (exit $rc), db1 still holds the reservation"
else
	fail "release while mounted: exit $rc: $(tr '\n' ' ' <"$WORK/r1")"
fi
"${V1[@]}" umount >/dev/null 2>&1 || fail "umount"
"${F1[@]}" release >"$WORK/r2" 2>&1
rc=$?
"$BUILD/tandem-fence" -q -c "$WORK/db1.conf" status >/dev/null
src=$?
if [ "$rc" -eq 0 ] && [ "$src" -eq 3 ]; then
	pass "release once unmounted: done, db1 no longer holds it (status exit $src)"
else
	fail "release once unmounted: exit $rc, status exit $src: $(tr '\n' ' ' <"$WORK/r2")"
fi
"${F1[@]}" takeover >/dev/null || fail "db1 takeover again"

"${F2[@]}" takeover >/dev/null || fail "db2 takeover (fencing db1)"
"${V1[@]}" mount >"$WORK/m3" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && ! mountpoint -q "$MNT"; then
	pass "fenced by db2: mount refused again (exit $rc)"
else
	fail "fenced node mounted: exit $rc: $(tr '\n' ' ' <"$WORK/m3")"
fi
"${V1[@]}" --force mount >"$WORK/m4" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && mountpoint -q "$MNT" && grep -q -- "--force" "$WORK/m4"; then
	pass "--force mounts, and says so in the log"
else
	fail "--force: exit $rc: $(tr '\n' ' ' <"$WORK/m4")"
fi
# H4, I7: db1 is fenced with its filesystem still mounted (here: forced; in
# life, an unmount that failed). Unfencing it would make it a writer again:
# tandem-fence unfence, tandem unfence and fence_tandem on all refuse, and
# db1's key stays gone.
# db1_registered: whether db1's key is registered (from its status JSON).
db1_registered() {
	"$BUILD/tandem-fence" -q -c "$WORK/db1.conf" status --json 2>/dev/null |
		python3 -c 'import json, sys; d = json.load(sys.stdin); print(all(x.get("registered") for x in d["devices"]))'
}
unfenced_not() { # unfenced_not WHAT LOG CMD...: CMD fails, says I7 (in its output or LOG), db1's key stays gone
	local what=$1 log=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$log" ] && out="$out $(cat "$log" 2>/dev/null)"
	if [ "$rc" -ne 0 ] && grep -q "refusing to unfence (I7)" <<<"$out" && [ "$(db1_registered)" = False ]; then
		pass "$what while mounted and fenced: refused (exit $rc), db1 stays fenced"
	else
		fail "$what while mounted and fenced: exit $rc, registered $(db1_registered): $(tr '\n' ' ' <<<"$out")"
	fi
}
[ "$(db1_registered)" = False ] || fail "db1 should be fenced here"
unfenced_not "tandem-fence unfence" "" "${F1[@]}" --log-target console unfence
unfenced_not "tandem unfence" "" "$BUILD/tandem" -c "$WORK/db1.conf" --log-target console unfence
unfenced_not "fence_tandem on" "$WORK/fa.log" "$BUILD/fence_tandem" -c "$WORK/db1.conf" -o on -n db1 \
	--debug-file="$WORK/fa.log"
"${V1[@]}" umount >/dev/null 2>&1 || fail "umount after --force"
if "${F1[@]}" unfence >/dev/null 2>&1 && [ "$(db1_registered)" = True ]; then
	pass "once unmounted, db1 may be unfenced again"
else
	fail "unfence after umount: registered $(db1_registered)"
fi

finish
