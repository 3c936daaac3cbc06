#!/bin/sh
# Smoke test of the QEMU rig: boot a stock Debian kernel once and check, in
# the guest, that the parts tandem's kernel tests stand on are really there:
#   (a) /dev/sda and /dev/sdb are one LU (same WWN) seen by two initiators;
#   (b) a block written with O_DIRECT through sda reads back through sdb;
#   (c) an md RAID1 over two loop devices assembles, clean and not degraded;
#   (d) device-mapper has the raid, mirror and multipath targets;
#   (e) a dm-multipath map over sda and sdb reads that block too.
# Run from the repo root, as root. Exit 0 pass, 77 skip (reason printed),
# anything else fail.
set -eu

cd "$(dirname "$0")/../.."
. tests/lib.sh
BUILD=${BUILD:-build}
t_tmpdir tandem-smoke-qemu
tmp=$T_TMP

need_root "the QEMU rig: kernel cache in /var/cache/tandem-tests"

# blkio does the O_DIRECT I/O in the guest. Use the built one, or build
# it here: it is one self-contained C file.
blkio=$BUILD/rig/blkio
if [ ! -x "$blkio" ]; then
	blkio=$tmp/blkio
	${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -o "$blkio" tests/rig/blkio.c
fi

# The checks, run by busybox sh inside the guest.
cat >"$tmp/smoke-guest.sh" <<'EOF'
. /rig/test-lib.sh

# /rig/disks: "lun diskA diskB sgA sgB", one LUN through two initiators.
read -r lun a b sga sgb </rig/disks
echo "LUN $lun: node A sees $a ($sga), node B sees $b ($sgb)"

# (a) one LU, two I_T nexuses
wa=$(cat "/sys/block/${a#/dev/}/device/wwid" 2>/dev/null || true)
wb=$(cat "/sys/block/${b#/dev/}/device/wwid" 2>/dev/null || true)
ia=$(cat /sys/block/"${a#/dev/}"/device/../../iscsi_session/session*/initiatorname 2>/dev/null || true)
ib=$(cat /sys/block/"${b#/dev/}"/device/../../iscsi_session/session*/initiatorname 2>/dev/null || true)
if [ -n "$wa" ] && [ "$wa" = "$wb" ] && [ -n "$ia" ] && [ -n "$ib" ] && [ "$ia" != "$ib" ]; then
	pass "(a) $a and $b are one LU, $wa, through $ia and $ib"
else
	fail "(a) same LU through two initiators: $a='$wa' via '$ia', $b='$wb' via '$ib'"
fi

# (b) O_DIRECT write through A, O_DIRECT read through B
dd if=/dev/urandom of=/tmp/pattern bs=4096 count=1 2>/dev/null
if ! blkio write "$a" 100 </tmp/pattern; then
	fail "(b) O_DIRECT write of block 100 through $a"
elif ! blkio read "$b" 100 >/tmp/back; then
	fail "(b) O_DIRECT read of block 100 through $b"
elif cmp -s /tmp/pattern /tmp/back; then
	pass "(b) 4096 random bytes written through $a read back identical through $b"
else
	fail "(b) block 100 read through $b differs from what was written through $a"
fi

# (c) md RAID1 over two loop devices backed by tmpfs files
truncate -s 32M /tmp/md0.img /tmp/md1.img
l0=$(losetup -f --show /tmp/md0.img)
l1=$(losetup -f --show /tmp/md1.img)
if mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --metadata=1.2 \
	"$l0" "$l1" >/tmp/mdadm.out 2>&1; then
	state=$(cat /sys/block/md0/md/array_state)
	degraded=$(cat /sys/block/md0/md/degraded)
	case $state in
	clean | active | active-idle)
		if [ "$degraded" = 0 ]; then
			pass "(c) md RAID1 over $l0 $l1: array_state=$state degraded=$degraded"
		else
			fail "(c) md RAID1 is degraded ($degraded)"
		fi
		;;
	*) fail "(c) md RAID1 array_state=$state (want clean or active)" ;;
	esac
	mdadm --stop /dev/md0 >/dev/null 2>&1 || fail "(c) mdadm --stop /dev/md0"
else
	fail "(c) mdadm --create failed: $(tail -n 3 /tmp/mdadm.out)"
fi
losetup -d "$l0" "$l1"

# (d) device-mapper targets tandem reads status from
targets=$(dmsetup targets | awk '{print $1}' | tr '\n' ' ')
missing=""
for t in raid mirror multipath; do
	echo " $targets" | grep -q " $t " || missing="$missing $t"
done
if [ -z "$missing" ]; then
	pass "(d) dm targets: $targets"
else
	fail "(d) dm targets missing:$missing (have: $targets)"
fi

# (e) a multipath map over both paths, built without udev, reads block 100
sectors=$(cat "/sys/block/${a#/dev/}/size")
ma=$(cat "/sys/block/${a#/dev/}/dev")
mb=$(cat "/sys/block/${b#/dev/}/dev")
if dmsetup create rigmp --table "0 $sectors multipath 0 0 1 1 round-robin 0 2 1 $ma 1 $mb 1"; then
	# Fail path A so that the read has to go through B.
	active=$(dmsetup status rigmp | grep -o "$ma A\|$mb A" | wc -l)
	dmsetup message rigmp 0 "fail_path $ma"
	status=$(dmsetup status rigmp)
	if [ "$active" = 2 ] && echo "$status" | grep -q "$ma F [0-9]* $mb A" &&
		blkio read /dev/mapper/rigmp 100 >/tmp/mp && cmp -s /tmp/pattern /tmp/mp; then
		pass "(e) dm-multipath map over $ma and $mb: 2 active paths; with $ma failed, block 100 still matches"
	else
		fail "(e) dm-multipath map: $active active paths at first, then status: $status"
	fi
	dmsetup remove rigmp || fail "(e) dmsetup remove rigmp"
else
	fail "(e) dmsetup create of a multipath map over $ma $mb"
fi

finish
EOF

echo "QEMU rig smoke test: one LUN, two initiators, md and dm in a Debian kernel"
rc=0
tests/rig/qemu/run.sh --file tests/lib.sh:/rig/test-lib.sh --bin "$blkio" --luns 1 --timeout 300 "$tmp/smoke-guest.sh" || rc=$?
exit "$rc"
