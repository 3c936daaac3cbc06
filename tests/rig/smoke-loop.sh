#!/bin/bash
# Smoke test of the loop rig: ext4 and xfs on loop devices, found by label,
# mounted, written, unmounted, and everything detached afterwards.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/rig/loop.sh

why=$(loop_can_run) || skip "$why"
t_tmpdir tandem-smoke-loop
mnt=$T_TMP
at_exit loop_teardown

for fs in ext4 xfs; do
	label=t$fs$RANDOM  # xfs labels hold at most 12 characters
	loop_setup 300 "$fs" "$label" || die "loop_setup 300 $fs $label"
	echo "loop: $LOOP_DEV over $LOOP_FILE ($fs, LABEL=$label, UUID=$LOOP_UUID)"
	check "$fs: blkid finds LABEL=$label at $LOOP_DEV" \
		test "$(blkid -l -t "LABEL=$label" -o device)" = "$LOOP_DEV"
	loop_track_mount "$mnt"
	mount -t "$fs" "$LOOP_DEV" "$mnt" || die "mount -t $fs $LOOP_DEV $mnt"
	check "$fs: mounted at $mnt" mountpoint -q "$mnt"
	head -c 65536 /dev/urandom >"$mnt/probe" || die "write $mnt/probe"
	sum=$(sha256sum <"$mnt/probe") || die "sha256sum $mnt/probe"
	umount "$mnt" || die "umount $mnt"
	check "$fs: unmounted" bash -c "! mountpoint -q '$mnt'"
	mount -t "$fs" -o ro "$LOOP_DEV" "$mnt" || die "mount -o ro $LOOP_DEV $mnt"
	check "$fs: data survives unmount and remount" test "$(sha256sum <"$mnt/probe")" = "$sum"
	umount "$mnt" || die "umount $mnt"
done

devs=("${LOOP_DEVS[@]}")
loop_teardown
for d in "${devs[@]}"; do
	check "teardown detached $d" bash -c "! losetup -n -O BACK-FILE '$d' 2>/dev/null | grep -q tandem-loop"
done
finish
