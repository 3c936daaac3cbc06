#!/bin/bash
# tandem-raid against real md and dm devices in a real kernel: one boot of
# the QEMU rig (tests/rig/qemu/run.sh, one LUN seen as /dev/sda and
# /dev/sdb), and in the guest, every verdict read through tandem-raid's
# exit status and JSON:
#   md      RAID1 over two loop devices: ok (also through a /dev/disk/by-id
#           style link); ext4 made, mounted, written, unmounted on it (with
#           $BUILD/tandem-volume when it is built, else plain mount);
#           `tandem-raid watch` running meanwhile; `mdadm --fail` of a
#           member: degraded (3), and watch logs ok -> degraded exactly once
#           over the rounds that follow, then exits 0 on SIGTERM;
#           array_state inactive: failed (4); `mdadm --stop`: the array is
#           gone from sysfs: failed (4), "no such md array";
#   dm-raid raid1 with metadata devices over dm-linear legs: ok (by
#           /dev/mapper/NAME and by /dev/dm-N); a leg's linear table swapped
#           for `error`, then a write: degraded (3), the leg dead in the JSON;
#   mpath   multipath over sda and sdb: ok; `fail_path` of sda's path:
#           degraded (3), that path "failed" in the JSON; reinstated: ok;
#   all     `check` without DEV lists the dm raid and multipath maps and not
#           the linear ones; with nothing left, exit 1 "nothing to check".
# Run from the repo root, as root, after `make`. Exit 0 pass, 77 skip (the
# rig cannot run here; reason printed), anything else fail (the rig's own
# status passes through: 124 timeout, 125 rig setup failed).
set -eu

cd "$(dirname "$0")/../.."
. tests/lib.sh
BUILD=${BUILD:-build}
t_tmpdir tandem-raid-qemu
tmp=$T_TMP

need_root "the QEMU rig: kernel cache in /var/cache/tandem-tests"
for b in "$BUILD/tandem-raid" "$BUILD/rig/blkio"; do
	if [ ! -x "$b" ]; then
		echo "$b is missing: run make first" >&2
		exit 1
	fi
done

cat >"$tmp/guest.sh" <<'EOF'
# Runs in the guest under busybox sh, after /run/real-tools.sh.
. /rig/rig.sh
. /rig/test-lib.sh

# health_is WHAT RC HEALTH DEV: tandem-raid --json check DEV exits RC and
# its one device has "health": HEALTH. The JSON stays in /tmp/tr.json.
health_is() {
	_what=$1 _rc=$2 _h=$3
	shift 3
	tandem-raid --json check "$@" >/tmp/tr.json 2>/tmp/tr.err
	_got=$?
	_reason=$(grep -m1 '"reason"' /tmp/tr.json | sed 's/^ *"reason": //')
	if [ "$_got" -ne "$_rc" ]; then
		fail "$_what: exit $_got, wanted $_rc; $_reason $(cat /tmp/tr.err)"
		sed 's/^/     /' /tmp/tr.json
	elif ! grep -q "\"health\": \"$_h\"" /tmp/tr.json; then
		fail "$_what: no \"health\": \"$_h\" in the JSON"
		sed 's/^/     /' /tmp/tr.json
	else
		pass "$_what: exit $_got, $_h: $_reason"
	fi
}
# json_has WHAT PATTERN: the last JSON has a line matching PATTERN (grep -E).
json_has() {
	if grep -Eq "$2" /tmp/tr.json; then pass "$1"; else fail "$1: no /$2/ in"; sed 's/^/     /' /tmp/tr.json; fi
}
# rc_of DEV...: tandem-raid's exit status for a check of DEV
rc_of() { tandem-raid check "$@" >/dev/null 2>&1; echo $?; }
exits() { [ "$(rc_of "$2")" = "$1" ]; } # exits RC DEV

# ----------------------------------------------------------------- md RAID1
truncate -s 64M /tmp/md0.img /tmp/md1.img
l0=$(losetup -f --show /tmp/md0.img)
l1=$(losetup -f --show /tmp/md1.img)
echo "md RAID1 over $l0 $l1"
mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --metadata=1.2 "$l0" "$l1" >/tmp/mdadm.out 2>&1 ||
	{ cat /tmp/mdadm.out; fail "mdadm --create"; }
mdadm --wait /dev/md0 >/dev/null 2>&1
rig_wait 60 exits 0 /dev/md0 || true
health_is "md0 clean" 0 ok /dev/md0
json_has "md0 JSON: kind md" '"kind": "md"'
json_has "md0 JSON: level" '"level": "raid1"'
mkdir -p /dev/disk/by-id
ln -sf ../../md0 /dev/disk/by-id/md-name-rig:data
health_is "md0 through /dev/disk/by-id/md-name-rig:data" 0 ok /dev/disk/by-id/md-name-rig:data
json_has "by-id link keeps the name given" '"device": "/dev/disk/by-id/md-name-rig:data"'

# ext4 on the array, mounted, written, unmounted: with tandem-volume when
# the build has it (-f: no fence reservation in this test), else plain mount
mkdir -p /tmp/mnt
if command -v tandem-volume >/dev/null; then
	vmount() { tandem-volume -f --device /dev/md0 --mountpoint /tmp/mnt --fstype ext4 --fsck never mount; }
	vumount() { tandem-volume --device /dev/md0 --mountpoint /tmp/mnt --fstype ext4 umount; }
	how=tandem-volume
else
	vmount() { mount -t ext4 /dev/md0 /tmp/mnt; }
	vumount() { umount /tmp/mnt; }
	how=mount
fi
if mkfs.ext4 -q -F /dev/md0 >/tmp/mkfs.out 2>&1 && vmount >/tmp/mount.out 2>&1; then
	echo tandem >/tmp/mnt/probe && sync
	if [ "$(cat /tmp/mnt/probe)" = tandem ] && grep -q '^/dev/md0 /tmp/mnt ext4' /proc/mounts; then
		pass "ext4 on /dev/md0 mounted ($how) and written"
	else
		fail "ext4 on /dev/md0: probe file or mount entry missing"
	fi
	vumount >/tmp/umount.out 2>&1 || { cat /tmp/umount.out; fail "unmount of /tmp/mnt ($how)"; }
	if grep -q ' /tmp/mnt ' /proc/mounts; then fail "/tmp/mnt still mounted"; else pass "unmounted ($how)"; fi
else
	cat /tmp/mkfs.out /tmp/mount.out 2>/dev/null
	fail "mkfs.ext4 or mount ($how) of /dev/md0"
fi

# watch: every 200ms, -v logs "round N", transitions are logged once
tandem-raid -v --log-target console --interval 200ms watch /dev/md0 >/tmp/watch.out 2>/tmp/watch.err &
wpid=$!
rounds() { sed -n 's/.*round \([0-9]*\):.*/\1/p' /tmp/watch.err | tail -n 1; }
past_round() { _r=$(rounds); [ -n "$_r" ] && [ "$_r" -ge "$1" ]; }
rig_wait 30 past_round 3 || fail "watch did not get to round 3: $(cat /tmp/watch.err)"

mdadm /dev/md0 --fail "$l1" >/dev/null 2>&1 || fail "mdadm --fail $l1"
rig_wait 20 exits 3 /dev/md0 || true
health_is "md0 with $l1 failed" 3 degraded /dev/md0
json_has "md0 JSON: the failed member is faulty" '"faulty"'
json_has "md0 JSON: degraded 1" '"degraded": 1'

if rig_wait 30 grep -q '/dev/md0: ok -> degraded' /tmp/watch.err; then
	r=$(rounds)
	rig_wait 30 past_round $((r + 5)) || fail "watch stopped going round after the change"
	n=$(grep -c -- '-> degraded' /tmp/watch.err)
	first=$(grep -c '/dev/md0: ok: ' /tmp/watch.err)
	if [ "$n" = 1 ] && [ "$first" = 1 ]; then
		pass "watch logged the first state once and ok -> degraded once over $(($(rounds) - r)) more rounds"
	else
		fail "watch logged the change $n times, the first state $first times"
		cat /tmp/watch.err
	fi
else
	fail "watch did not log ok -> degraded"
	cat /tmp/watch.err
fi
kill -TERM "$wpid"
wait "$wpid"
wrc=$?
if [ "$wrc" = 0 ] && grep -q 'SIGTERM received' /tmp/watch.err; then
	pass "watch exited 0 on SIGTERM"
else
	fail "watch exit status $wrc after SIGTERM"
	tail -n 5 /tmp/watch.err
fi

echo inactive >/sys/block/md0/md/array_state || fail "echo inactive > array_state"
health_is "md0 inactive" 4 failed /dev/md0
mdadm --stop /dev/md0 >/dev/null 2>&1 || fail "mdadm --stop /dev/md0"
rig_wait 10 sh -c '! [ -e /sys/block/md0/md/array_state ]' || true
health_is "md0 stopped (gone from sysfs)" 4 failed /dev/md0
json_has "stopped md0: the reason says so" '"reason": "no such md array'
losetup -d "$l0" "$l1"

# ------------------------------------------------------------ dm-raid raid1
# legs and metadata devices are dm-linear maps over loop devices, so a leg
# can be failed by swapping its table for the error target
lin() { # lin NAME MB
	truncate -s "$2M" "/tmp/$1.img"
	_l=$(losetup -f --show "/tmp/$1.img")
	_s=$(cat "/sys/block/${_l#/dev/}/size")
	echo "$_l $_s" >"/tmp/$1.lin"
	dmsetup create "$1" --table "0 $_s linear $_l 0"
}
fail_leg() { # fail_leg NAME
	read -r _l _s <"/tmp/$1.lin"
	dmsetup suspend "$1" && dmsetup reload "$1" --table "0 $_s error" && dmsetup resume "$1"
}
in_sync() { # the raid map idle with all regions in sync
	set -- $(dmsetup status "$1")
	# "0 SECTORS raid raid1 2 AA done/total idle 0 0 -"
	[ "$6" = AA ] && [ "$8" = idle ] && [ "${7%/*}" = "${7#*/}" ]
}
for n in rm0 rm1; do lin $n 4; done
for n in rd0 rd1; do lin $n 32; done
S=$(dmsetup table rd0 | awk '{print $2}')
dmsetup create rigraid1 --table "0 $S raid raid1 3 0 region_size 1024 2 /dev/mapper/rm0 /dev/mapper/rd0 /dev/mapper/rm1 /dev/mapper/rd1" ||
	fail "dmsetup create rigraid1"
rig_wait 120 in_sync rigraid1 || fail "rigraid1 did not get in sync: $(dmsetup status rigraid1)"
health_is "dm-raid1 in sync" 0 ok /dev/mapper/rigraid1
json_has "dm-raid1 JSON: kind dm-raid" '"kind": "dm-raid"'
minor=$(dmsetup info -c --noheadings -o minor rigraid1 | tr -d ' ')
health_is "dm-raid1 by /dev/dm-$minor" 0 ok "/dev/dm-$minor"
fail_leg rd1 || fail "fail_leg rd1"
head -c 1048576 /dev/zero | blkio write /dev/mapper/rigraid1 0 256 || echo "(write to rigraid1: exit $?)"
rig_wait 20 exits 3 /dev/mapper/rigraid1 || true
health_is "dm-raid1 with leg rd1 failing writes" 3 degraded /dev/mapper/rigraid1
json_has "dm-raid1 JSON: one dead leg" '"dead_legs": 1'
echo "     status: $(dmsetup status rigraid1)"

# ------------------------------------------------------------- dm-multipath
read -r lun a b sga sgb </rig/disks
ma=$(cat "/sys/block/${a#/dev/}/dev")
mb=$(cat "/sys/block/${b#/dev/}/dev")
sectors=$(cat "/sys/block/${a#/dev/}/size")
dmsetup create rigmp --table "0 $sectors multipath 0 0 1 1 round-robin 0 2 1 $ma 1 $mb 1" ||
	fail "dmsetup create rigmp over $ma $mb"
health_is "multipath over $a ($ma) and $b ($mb)" 0 ok /dev/mapper/rigmp
json_has "multipath JSON: kind dm-multipath" '"kind": "dm-multipath"'
json_has "multipath JSON: 2 active paths" '"active_paths": 2'
dmsetup message rigmp 0 "fail_path $ma" || fail "fail_path $ma"
health_is "multipath with $ma failed" 3 degraded /dev/mapper/rigmp
json_has "multipath JSON: 1 active path" '"active_paths": 1'
tr -d ' \n' </tmp/tr.json | grep -q "\"device\":\"$ma\",\"state\":\"failed\"" &&
	pass "multipath JSON: path $ma failed" || { fail "multipath JSON: path $ma not failed"; cat /tmp/tr.json; }
dmsetup message rigmp 0 "reinstate_path $ma" || fail "reinstate_path $ma"
health_is "multipath with $ma reinstated" 0 ok /dev/mapper/rigmp

# --------------------------------------------------- every device, then none
dmsetup message rigmp 0 "fail_path $mb"
health_is "no DEV: every dm raid, mirror and multipath map" 3 degraded
json_has "no DEV: rigraid1 listed" '"device": "/dev/mapper/rigraid1"'
json_has "no DEV: rigmp listed" '"device": "/dev/mapper/rigmp"'
if grep -q '"device": "/dev/mapper/rd0"' /tmp/tr.json; then fail "no DEV: a linear map was listed"; else pass "no DEV: linear maps left out"; fi
dmsetup remove rigmp
dmsetup remove rigraid1
# The dm-raid array stopped (its map removed): named, it is failed, not
# silently absent.
health_is "dm-raid1 stopped (map removed)" 4 failed /dev/mapper/rigraid1
for n in rm0 rm1 rd0 rd1; do
	read -r _l _s <"/tmp/$n.lin"
	dmsetup remove "$n"
	losetup -d "$_l"
done
tandem-raid check >/tmp/tr.out 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q 'nothing to check' /tmp/tr.out; then
	pass "nothing left: exit 1, nothing to check"
else
	fail "nothing left: exit $rc: $(cat /tmp/tr.out)"
fi

finish
EOF

echo "tandem-raid in the QEMU rig: md RAID1, dm-raid1, dm-multipath"
rc=0
vol=()
[ -x "$BUILD/tandem-volume" ] && vol=(--bin "$BUILD/tandem-volume")
tests/rig/qemu/run.sh --file tests/lib.sh:/rig/test-lib.sh --bin "$BUILD/tandem-raid" --bin "$BUILD/rig/blkio" "${vol[@]}" --luns 1 --timeout 900 \
	"$tmp/guest.sh" || rc=$?
exit "$rc"
