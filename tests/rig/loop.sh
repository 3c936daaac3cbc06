#!/bin/bash
# The loop rig: a loop device over a sparse file, with a filesystem on it.
# Source it, then:
#   loop_can_run                    prints why not and returns 1 when it can't
#   loop_setup SIZE_MB FSTYPE LABEL  sets LOOP_DEV (e.g. /dev/loop3), LOOP_FILE,
#                                    LOOP_UUID; mkfs with that label (ext4|xfs)
#   loop_teardown                    unmounts what the rig mounted, detaches the
#                                    devices it attached, removes its files
# Several devices may be set up; LOOP_DEVS lists them all. The caller's trap
# calls loop_teardown; it is idempotent and touches only what this rig made.

LOOP_DEVS=()
LOOP_FILES=()
LOOP_MOUNTS=()
LOOP_TMP=""

loop_can_run() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "loop rig: needs root (losetup, mkfs, mount)"
		return 1
	fi
	local t
	for t in losetup mkfs.ext4 mkfs.xfs blkid; do
		if ! command -v "$t" >/dev/null; then
			echo "loop rig: $t is missing (run tools/deps.sh)"
			return 1
		fi
	done
	if [ ! -e /dev/loop-control ]; then
		echo "loop rig: this kernel has no loop driver (/dev/loop-control missing)"
		return 1
	fi
}

loop_setup() {
	local size=$1 fstype=$2 label=$3 file dev
	if [ ${#label} -gt 12 ]; then
		echo "loop_setup: label $label is longer than 12 characters (xfs limit)" >&2
		return 1
	fi
	[ -n "$LOOP_TMP" ] || LOOP_TMP=$(mktemp -d /var/tmp/tandem-loop.XXXXXX)
	file=$LOOP_TMP/disk${#LOOP_FILES[@]}.img
	truncate -s "${size}M" "$file"
	LOOP_FILES+=("$file")
	dev=$(losetup --find --show "$file") || return 1
	LOOP_DEVS+=("$dev")
	case $fstype in
	ext4) mkfs.ext4 -q -F -L "$label" "$dev" ;;
	xfs) mkfs.xfs -q -f -L "$label" "$dev" ;;
	*) echo "loop_setup: unsupported fstype $fstype" >&2; return 1 ;;
	esac || return 1
	LOOP_DEV=$dev
	LOOP_FILE=$file
	LOOP_UUID=$(blkid -p -o value -s UUID "$dev")
}

# Records a mount point so teardown unmounts it if a test stops half-way.
loop_track_mount() {
	LOOP_MOUNTS+=("$1")
}

loop_teardown() {
	local m d
	for m in "${LOOP_MOUNTS[@]}"; do
		if mountpoint -q "$m" 2>/dev/null; then
			umount "$m" || echo "loop rig: could not unmount $m" >&2
		fi
	done
	LOOP_MOUNTS=()
	for d in "${LOOP_DEVS[@]}"; do
		# Only detach if it still points at our file.
		if losetup -n -O BACK-FILE "$d" 2>/dev/null | grep -q "^$LOOP_TMP/"; then
			losetup -d "$d" || echo "loop rig: could not detach $d" >&2
		fi
	done
	LOOP_DEVS=()
	LOOP_FILES=()
	if [ -n "$LOOP_TMP" ]; then
		rm -rf "$LOOP_TMP"
		LOOP_TMP=""
	fi
}
