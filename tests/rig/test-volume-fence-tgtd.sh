#!/bin/bash
# The fence interlock (I1) for real: the volume is a loop device, the fence
# device a tgtd LUN. tandem-volume must refuse to mount until this node's key
# holds the reservation, mount once it does, refuse again once the peer has
# fenced it (also when it is still mounted: "already mounted" is no pass),
# and mount under --force only, saying so. The release (I5) refuses while
# the filesystem lives on in another mount namespace, or while a mount over
# the mount point's parent shadows it (H1).
# Exit: 0 pass, 77 skip (reason printed), 1 fail.
set -u
# In a mount namespace of its own (propagation slave), as tests/bench/
# bench-volume.sh: a namespace another test creates meanwhile (unshare -m,
# systemd-nspawn) then gets no copy of our mounts, which would keep our
# device claimed, and which umount would rightly end (H1).
if [ -z "${TANDEM_TEST_NS:-}" ] && unshare --mount --propagation slave true 2>/dev/null; then
	TANDEM_TEST_NS=1 exec unshare --mount --propagation slave -- bash "$0" "$@"
fi
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
# H1: the filesystem lives on in another mount namespace after a plain
# umount here: release refuses, and tandem-volume umount ends it.
(cd / && exec unshare -m --propagation private sleep 600) &
nsp=$!
at_exit "t_kill -KILL $nsp"
for _ in $(seq 100); do
	grep -q " $MNT " "/proc/$nsp/mountinfo" 2>/dev/null && break
	sleep 0.1
done
umount "$MNT" || fail "plain umount"
"${F1[@]}" --log-target console release >"$WORK/r1ns" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && grep -q "NOT releasing the reservation (I5)" "$WORK/r1ns" &&
	grep -q "mount namespace of PID $nsp" "$WORK/r1ns" &&
	"$BUILD/tandem-fence" -q -c "$WORK/db1.conf" status >/dev/null; then
	pass "release while another mount namespace has the filesystem: refused (exit $rc), db1 still holds it"
else
	fail "release while another mount namespace has it: exit $rc: $(tr '\n' ' ' <"$WORK/r1ns")"
fi
"${V1[@]}" umount >"$WORK/u1ns" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && ! kill -0 "$nsp" 2>/dev/null; then
	pass "umount ends the other namespace's process (exit $rc)"
else
	fail "umount with another namespace: exit $rc: $(tr '\n' ' ' <"$WORK/u1ns")"
fi
t_kill -KILL "$nsp"
# H1: a mount over the mount point's parent shadows it: still mounted, and
# release refuses.
mkdir -p "$WORK/sh/db"
sed "s|^mountpoint = .*|mountpoint = $WORK/sh/db|" "$WORK/db1.conf" >"$WORK/db1-sh.conf"
chmod 0600 "$WORK/db1-sh.conf"
at_exit "if mountpoint -q '$WORK/sh/db'; then umount '$WORK/sh/db'; fi"
at_exit "if mountpoint -q '$WORK/sh'; then umount '$WORK/sh'; fi"
# (a release that went through above would have given the reservation up)
"$BUILD/tandem-fence" -q -c "$WORK/db1.conf" status >/dev/null || "${F1[@]}" takeover >/dev/null ||
	fail "db1 takeover for the shadowed case"
"$BUILD/tandem-volume" -c "$WORK/db1-sh.conf" --log-target console mount >"$WORK/msh" 2>&1 || fail "mount at $WORK/sh/db"
mount -t tmpfs tandem-shadow "$WORK/sh"
"$BUILD/tandem-fence" -q -c "$WORK/db1-sh.conf" --log-target console release >"$WORK/r1sh" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && grep -q "NOT releasing the reservation (I5)" "$WORK/r1sh" &&
	"$BUILD/tandem-fence" -q -c "$WORK/db1.conf" status >/dev/null; then
	pass "release while the mount point is shadowed by a tmpfs over its parent: refused (exit $rc)"
else
	fail "release while shadowed: exit $rc: $(tr '\n' ' ' <"$WORK/r1sh")"
fi
umount "$WORK/sh"
"$BUILD/tandem-volume" -c "$WORK/db1-sh.conf" umount >/dev/null 2>&1 || fail "umount $WORK/sh/db"

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
"${V1[@]}" mount >/dev/null 2>&1 || fail "mount while holding again"

"${F2[@]}" takeover >/dev/null || fail "db2 takeover (fencing db1)"
# I1 for a volume already mounted: db1 was fenced with it mounted; mount
# again must not report that as fine.
"${V1[@]}" mount >"$WORK/m2b" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && grep -q "does not hold the reservation" "$WORK/m2b"; then
	pass "already mounted, then fenced by db2: mount again refused (exit $rc), saying why"
else
	fail "already mounted and fenced: mount exit $rc: $(tr '\n' ' ' <"$WORK/m2b")"
fi
"${V1[@]}" umount >/dev/null 2>&1 || fail "umount after being fenced"
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
