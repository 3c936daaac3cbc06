#!/bin/bash
# tandem-raid against real md and dm devices in a real kernel: one boot of
# the QEMU rig (tests/rig/qemu/run.sh, four LUNs of 32 MiB, each seen twice:
# /dev/sda..sdd through initiator A, /dev/sde..sdh through initiator B;
# modules raid0 and raid10 added), and in the guest, every verdict read
# through tandem-raid's exit status and JSON:
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
#   mpath   multipath over LUN 0's two paths: ok; `fail_path` of one:
#           degraded (3), that path "failed" in the JSON; reinstated: ok;
#   all     `check` without DEV lists the dm raid and multipath maps and not
#           the linear ones; with nothing left, exit 1 "nothing to check";
#   host    host RAID over shared LUNs (H2; DESIGN.md "Storage"): the two
#           initiators are the two nodes (A active, B passive, B with its
#           own mdadm map in a mount namespace). md RAID1 over LUN 0 and 1
#           through A's paths, made "on the peer" (foreign homehost). First
#           the problem: a gate that only checks refuses an unassembled
#           array, and what assembles it instead (udev's mdadm
#           --incremental) does so on the passive node too, from its paths,
#           whose gate then passes. Then the fix: ARRAY <ignore> in
#           /etc/mdadm/mdadm.conf stops that; `tandem-raid ocf start` with
#           /etc/tandem/GROUP.mdadm.conf assembles the array from A's paths
#           only; again: one array (I6); B's probe, validate-all, stop and
#           check claim none of B's paths, at any point; a stop with the
#           volume mounted fails (1), names the array and keeps it and the
#           marker (I5); after the unmount it stops it, and again (I6); a
#           start the gate refuses (a member gone, on_degraded=refuse)
#           stops what it assembled; B's start, which only the ordering
#           after the takeover keeps from running, would assemble from B's
#           paths; RAID 1+0 (raid0 over two raid1 pairs) assembled
#           bottom-up and stopped top-down, not stoppable while mounted;
#           raid10 and raid5 assembled and stopped.
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


# ================================= host RAID over shared LUNs (H2, DESIGN.md
# "Storage"). Every LUN is seen twice in this one kernel: through initiator A
# (the active node's path) and initiator B (the passive node's). The arrays
# are made over A's paths; B's paths stand for the passive node's disks, and
# must never be claimed by md. The passive node has its own mdadm (its own
# /run/mdadm, in a mount namespace), as a second host would.
set -- $(sed -n 1p /rig/disks); A0=$2 B0=$3
set -- $(sed -n 2p /rig/disks); A1=$2 B1=$3
set -- $(sed -n 3p /rig/disks); A2=$2 B2=$3
set -- $(sed -n 4p /rig/disks); A3=$2 B3=$3
ALLA="$A0 $A1 $A2 $A3" ALLB="$B0 $B1 $B2 $B3"
echo "host RAID: active paths $ALLA, passive paths $ALLB"
bn() { echo "${1#/dev/}"; }
holders() { ls "/sys/block/$(bn "$1")/holders" 2>/dev/null | tr '\n' ' '; }
# in_mdstat DISK: /proc/mdstat lists DISK as a member
in_mdstat() { grep -Eq "(^| )$(bn "$1")\[" /proc/mdstat; }
# unclaimed WHAT DISK...: no holder and not in /proc/mdstat, for each DISK
unclaimed() {
	_what=$1 _bad=""
	shift
	for _d in "$@"; do
		[ -z "$(holders "$_d")" ] || _bad="$_bad $_d (held by $(holders "$_d"))"
		in_mdstat "$_d" && _bad="$_bad $_d (in /proc/mdstat)"
	done
	if [ -z "$_bad" ]; then pass "$_what"; else fail "$_what:$_bad"; sed 's/^/     /' /proc/mdstat; fi
}
passive_untouched() { unclaimed "$1: the passive node's paths ($ALLB) claimed by nothing" $ALLB; }
# kname DEV: md127 for /dev/md/NAME (through its link)
kname() { _l=$(readlink "$1" 2>/dev/null) && echo "${_l##*/}"; }
# running DEV: the array is there and started
running() {
	_k=$(kname "$1") || return 1
	_s=$(cat "/sys/block/$_k/md/array_state" 2>/dev/null) || return 1
	[ "$_s" != clear ] && [ "$_s" != inactive ]
}
# members DEV: the array's members (DEV: /dev/md/NAME or /dev/mdN)
members() {
	_k=$(kname "$1") || _k=$(bn "$1")
	ls "/sys/block/$_k/md" 2>/dev/null | sed -n 's/^dev-//p' | sort | tr '\n' ' '
}
# members_are WHAT DEV DISK...: the array's members are exactly DISK...
members_are() {
	_what=$1 _dev=$2
	shift 2
	_want=$(for _d in "$@"; do bn "$_d"; done | sort | tr '\n' ' ')
	[ "$(members "$_dev")" = "$_want" ] && pass "$_what: members $_want" ||
		fail "$_what: members '$(members "$_dev")', want '$_want'"
}
# on NODE CMD...: CMD as node a (the active) or b (the passive, its own mdadm map)
on() {
	_node=$1
	shift
	if [ "$_node" = a ]; then
		"$@"
	else
		unshare -m sh -c 'mount -t tmpfs tmpfs /run/mdadm && exec "$@"' sh "$@"
	fi
}
mkdir -p /run/mdadm /etc/tandem /etc/mdadm /dev/disk/by-id
chmod 0755 /etc/tandem
# ocf NODE ACTION [VAR=VALUE...]: the agent as tandem-raid@NODE.service runs
# it (OCF_RESKEY_group=NODE: /etc/tandem/NODE.conf, NODE.mdadm.conf); exit
# status in $rc, output in /tmp/ocf.out
cat >/tmp/ocf.sh <<'X'
n=$1 act=$2
shift 2
exec env OCF_RESKEY_group=$n OCF_RESOURCE_INSTANCE=tandem-raid@$n TANDEM_RUN_DIR=/run/tandem-$n "$@" \
	tandem-raid ocf "$act"
X
ocf() {
	_node=$1
	shift
	case $_node in a) _g=active ;; *) _g=passive ;; esac
	on "$_node" sh /tmp/ocf.sh "$_g" "$@" >/tmp/ocf.out 2>&1
	rc=$?
}
said() { grep -q -- "$1" /tmp/ocf.out; }
show() { sed 's/^/     | /' /tmp/ocf.out; }
ocf_is() { # ocf_is WHAT RC NODE ACTION [VAR=VALUE...]
	_what=$1 _want=$2
	shift 2
	ocf "$@"
	if [ "$rc" = "$_want" ]; then pass "$_what: exit $rc"; else fail "$_what: exit $rc, want $_want"; show; fi
}
# stable names for the LUNs, one per node, as udev's /dev/disk/by-id would give
for i in 0 1 2 3; do
	eval "ln -sf ../../\$(bn \$A$i) /dev/disk/by-id/wwn-lun$i-a; ln -sf ../../\$(bn \$B$i) /dev/disk/by-id/wwn-lun$i-b"
done
group_conf() { # group_conf NAME DEVICES...
	_n=$1
	shift
	printf '[cluster]\nname = rig\nnode = %s\n[raid]\ndevices = %s\n' "$_n" "$*" >"/etc/tandem/$_n.conf"
	chmod 0600 "/etc/tandem/$_n.conf"
}
mdadm_conf() { # mdadm_conf NAME "DEVICE..." "ARRAY LINE"...
	_f=/etc/tandem/$1.mdadm.conf
	echo "DEVICE $2" >"$_f"
	shift 2
	for _l in "$@"; do echo "ARRAY $_l" >>"$_f"; done
	chmod 0644 "$_f"
}
uuid_of() { mdadm --detail --export "$1" | sed -n 's/^MD_UUID=//p'; }

# ---- the array: RAID1 over LUN 0 and LUN 1 through A, made on the peer
# (homehost nodeb: foreign here, as an array made on the other node is)
mdadm --create /dev/md/dbdata --run --level=1 --raid-devices=2 --metadata=1.2 --bitmap=internal \
	--homehost=nodeb --name=dbdata "$A0" "$A1" >/tmp/mdadm.out 2>&1 || { cat /tmp/mdadm.out; fail "mdadm --create dbdata"; }
mdadm --wait /dev/md/dbdata >/dev/null 2>&1
U=$(uuid_of /dev/md/dbdata)
mkfs.ext4 -q -F /dev/md/dbdata >/dev/null 2>&1 || fail "mkfs.ext4 on /dev/md/dbdata"
mdadm --stop /dev/md/dbdata >/dev/null 2>&1 || fail "mdadm --stop dbdata after create"
echo "dbdata: RAID1 UUID $U over $A0 $A1; stopped, as after a clean shutdown"
group_conf active /dev/md/dbdata
group_conf passive /dev/md/dbdata-b

# ---- the problem, as it was: the gate only checks, so something else must
# assemble the array, and what does (udev's mdadm --incremental, the boot)
# does it on every node
ocf_is "before: a gate that only checks, array not assembled: start refused" 1 a start
said "no such md array" && pass "before: ... because nothing assembled it" || { fail "before: reason"; show; }
on b mdadm --incremental "$B0" >/dev/null 2>&1
on b mdadm --incremental "$B1" >/dev/null 2>&1
kb=$(holders "$B0" | tr -d ' ')
if [ -n "$kb" ] && grep -q "^$kb : active" /proc/mdstat &&
	[ "$(members "/dev/$kb")" = "$(printf '%s\n' "$(bn "$B0")" "$(bn "$B1")" | sort | tr '\n' ' ')" ]; then
	pass "before: udev's mdadm --incremental on the passive node assembles it from the passive's paths ($kb: $(members "/dev/$kb"))"
	expect_rc "before: and the passive's gate passes on it" 0 tandem-raid check "/dev/$kb"
	mdadm --stop "/dev/$kb" >/dev/null 2>&1
else
	fail "before: the passive node's incremental assembly did not assemble ($(cat /proc/mdstat))"
fi
passive_untouched "cleaned up"

# ---- the fix, part one: the array is kept out of auto-assembly on every node
echo "ARRAY <ignore> UUID=$U" >/etc/mdadm/mdadm.conf
on b mdadm --incremental "$B0" >/tmp/inc.out 2>&1
on b mdadm --incremental "$B1" >>/tmp/inc.out 2>&1
grep -q "explicitly ignored" /tmp/inc.out && pass "ARRAY <ignore>: udev's incremental assembly refuses it" ||
	{ fail "ARRAY <ignore>: incremental said: $(cat /tmp/inc.out)"; }
passive_untouched "after incremental assembly under ARRAY <ignore>"

# ---- part two: only the active node's start assembles it, from its own paths
mdadm_conf active "/dev/disk/by-id/wwn-lun0-a /dev/disk/by-id/wwn-lun1-a" "/dev/md/dbdata UUID=$U"
mdadm_conf passive "/dev/disk/by-id/wwn-lun0-b /dev/disk/by-id/wwn-lun1-b" "/dev/md/dbdata-b UUID=$U"
ocf_is "active: validate-all with /etc/tandem/active.mdadm.conf" 0 a validate-all
ocf_is "active: probe before start: not running" 7 a monitor
expect_rc "active: check before start: failed (not assembled), and check does not assemble" 4 tandem-raid -g active check
unclaimed "active: nothing assembled by validate-all, monitor or check" $ALLA

ocf_is "active: start assembles and checks" 0 a start
show
said "assembled /dev/md/dbdata (md" && pass "active: start logged the assembly" || { fail "active: no assembly logged"; show; }
running /dev/md/dbdata && pass "active: /dev/md/dbdata is running ($(kname /dev/md/dbdata))" || fail "active: /dev/md/dbdata not running"
members_are "active: assembled from the active node's paths only" /dev/md/dbdata "$A0" "$A1"
passive_untouched "active started"
grep -q /dev/md/dbdata /run/tandem-active/raid-tandem-raid_active.started 2>/dev/null &&
	pass "active: the state marker names /dev/md/dbdata" || fail "active: marker does not name the array"
ocf_is "active: start again (I6)" 0 a start
[ "$(grep -c ' : active' /proc/mdstat)" = 1 ] && pass "active: still one array" || fail "active: $(cat /proc/mdstat)"
ocf_is "active: monitor" 0 a monitor

# the passive node, meanwhile: its probe, validate-all, check and stop never
# assemble (its start runs only after its takeover holds the reservation:
# tandem-raid@ Requires= and After= tandem-takeover@)
ocf_is "passive: probe: not running" 7 b monitor
ocf_is "passive: validate-all" 0 b validate-all
ocf_is "passive: stop on a stopped resource" 0 b stop
expect_rc "passive: check: not assembled here (failed)" 4 on b tandem-raid -g passive check
passive_untouched "passive's monitor, validate-all, stop and check"

# the volume on it, then the stop in the chain's order: unmount first
mkdir -p /tmp/hmnt
mount -t ext4 /dev/md/dbdata /tmp/hmnt && echo data >/tmp/hmnt/f && sync || fail "mount /dev/md/dbdata"
ocf_is "active: stop while the volume is mounted fails (I5)" 1 a stop
show
said "cannot stop /dev/md/dbdata" && said "Cannot get exclusive access" &&
	pass "active: ... and says which array and why" || { fail "active: failed stop: reason"; show; }
said "the reservation must stay held" && pass "active: ... and that the reservation must stay held" ||
	{ fail "active: failed stop: no word on the reservation"; show; }
running /dev/md/dbdata && pass "active: the array is still there" || fail "active: the array went away"
[ -e /run/tandem-active/raid-tandem-raid_active.started ] && pass "active: the marker stays" || fail "active: marker gone"
umount /tmp/hmnt
ocf_is "active: stop after the unmount" 0 a stop
said "stopped /dev/md/dbdata" && pass "active: stop logged" || { fail "active: no stop logged"; show; }
running /dev/md/dbdata && fail "active: /dev/md/dbdata still running" || pass "active: /dev/md/dbdata stopped"
unclaimed "active: its paths are free again" $ALLA
passive_untouched "active stopped"
ocf_is "active: stop again (I6)" 0 a stop
ocf_is "active: monitor after stop" 7 a monitor

# a start the gate refuses leaves nothing behind: LUN 1's path gone, the
# array comes up degraded, on_degraded=refuse fails the start and stops it
rm /dev/disk/by-id/wwn-lun1-a
ocf_is "active: one member missing, on_degraded=refuse: start refused" 1 a start OCF_RESKEY_on_degraded=refuse
said "degraded and on_degraded=refuse" && pass "active: ... degraded" || { fail "active: refused start: reason"; show; }
running /dev/md/dbdata && fail "active: the refused start left the array assembled" ||
	pass "active: the refused start stopped what it assembled"
[ -e /run/tandem-active/raid-tandem-raid_active.started ] && fail "active: refused start left a marker" ||
	pass "active: no marker after the refused start"
unclaimed "active: refused start: paths free" $ALLA
ln -sf "../../$(bn "$A1")" /dev/disk/by-id/wwn-lun1-a
passive_untouched "the refused start"

# the passive node's configuration works: only the missing start keeps its
# paths free. Were its start to run without the takeover before it (what
# the units' ordering prevents), it would assemble the LUNs from its own
# paths. Shown with the active stopped (in this one kernel mdadm itself
# refuses a second assembly of an active array; two hosts would not), then
# undone.
ocf_is "passive: a start without the takeover would assemble (what the ordering prevents)" 0 b start \
	OCF_RESKEY_on_degraded=allow
mb=" $(members /dev/md/dbdata-b)"
bad=$(for m in $mb; do case " $(bn "$B0") $(bn "$B1") " in *" $m "*) ;; *) echo "$m" ;; esac; done)
[ "$mb" != " " ] && [ -z "$bad" ] && pass "passive: ... from the passive's paths:$mb" ||
	fail "passive: members '$mb' (not the passive's: $bad)"
ocf_is "passive: stop" 0 b stop
passive_untouched "the passive's stop"
mdadm --stop /dev/md/dbdata >/dev/null 2>&1
mdadm --zero-superblock "$A0" "$A1" >/dev/null 2>&1

# ---- nested and other levels: RAID 1+0 as raid0 over two raid1 pairs,
# assembled bottom-up and stopped top-down; raid10 and raid5 in one level
mdadm --create /dev/md/r0 --run --level=1 --raid-devices=2 --metadata=1.2 "$A0" "$A1" >/dev/null 2>&1 &&
	mdadm --create /dev/md/r1 --run --level=1 --raid-devices=2 --metadata=1.2 "$A2" "$A3" >/dev/null 2>&1 &&
	mdadm --create /dev/md/top --run --level=0 --raid-devices=2 --metadata=1.2 /dev/md/r0 /dev/md/r1 \
		>/tmp/mdadm.out 2>&1 || { cat /tmp/mdadm.out; fail "mdadm --create r0 r1 top"; }
mdadm --wait /dev/md/r0 /dev/md/r1 >/dev/null 2>&1
U0=$(uuid_of /dev/md/r0) U1=$(uuid_of /dev/md/r1) UT=$(uuid_of /dev/md/top)
mdadm --stop /dev/md/top /dev/md/r1 /dev/md/r0 >/dev/null 2>&1
printf 'ARRAY <ignore> UUID=%s\n' "$U0" "$U1" "$UT" >/etc/mdadm/mdadm.conf
group_conf active /dev/md/r0 /dev/md/r1 /dev/md/top
mdadm_conf active "/dev/disk/by-id/wwn-lun0-a /dev/disk/by-id/wwn-lun1-a /dev/disk/by-id/wwn-lun2-a /dev/disk/by-id/wwn-lun3-a /dev/md/r0 /dev/md/r1" \
	"/dev/md/r0 UUID=$U0" "/dev/md/r1 UUID=$U1" "/dev/md/top UUID=$UT"
ocf_is "1+0: start" 0 a start
order=$(sed -n 's/.*assembled \(\/dev\/md\/[a-z0-9]*\) .*/\1/p' /tmp/ocf.out | tr '\n' ' ')
[ "$order" = "/dev/md/r0 /dev/md/r1 /dev/md/top " ] && pass "1+0: assembled bottom-up: $order" ||
	{ fail "1+0: assembly order '$order'"; show; }
running /dev/md/top && [ "$(cat /sys/block/$(kname /dev/md/top)/md/level)" = raid0 ] &&
	pass "1+0: top (raid0) running" || fail "1+0: top not running"
members_are "1+0: r0 from the active's paths" /dev/md/r0 "$A0" "$A1"
members_are "1+0: r1 from the active's paths" /dev/md/r1 "$A2" "$A3"
members_are "1+0: top over r0 and r1" /dev/md/top "$(kname /dev/md/r0)" "$(kname /dev/md/r1)"
passive_untouched "1+0 started"
mount -t ext4 /dev/md/top /tmp/hmnt 2>/dev/null || { mkfs.ext4 -q -F /dev/md/top >/dev/null 2>&1; mount -t ext4 /dev/md/top /tmp/hmnt; }
ocf_is "1+0: stop while mounted fails" 1 a stop
running /dev/md/top && running /dev/md/r0 && pass "1+0: all three still there" || fail "1+0: an array went away"
umount /tmp/hmnt
ocf_is "1+0: stop" 0 a stop
order=$(sed -n 's/.*stopped \(\/dev\/md\/[a-z0-9]*\) .*/\1/p' /tmp/ocf.out | tr '\n' ' ')
[ "$order" = "/dev/md/top /dev/md/r1 /dev/md/r0 " ] && pass "1+0: stopped top-down: $order" ||
	{ fail "1+0: stop order '$order'"; show; }
unclaimed "1+0: every path free" $ALLA $ALLB
mdadm --zero-superblock "$A0" "$A1" "$A2" "$A3" >/dev/null 2>&1

for lv in raid10:4 raid5:3; do
	level=${lv%:*} nd=${lv#*:}
	set -- $ALLA
	[ "$nd" = 3 ] && set -- "$A0" "$A1" "$A2"
	mdadm --create /dev/md/lv --run --level="$level" --raid-devices="$nd" --metadata=1.2 "$@" >/tmp/mdadm.out 2>&1 ||
		{ cat /tmp/mdadm.out; fail "mdadm --create $level"; }
	mdadm --wait /dev/md/lv >/dev/null 2>&1
	UL=$(uuid_of /dev/md/lv)
	mdadm --stop /dev/md/lv >/dev/null 2>&1
	echo "ARRAY <ignore> UUID=$UL" >/etc/mdadm/mdadm.conf
	group_conf active /dev/md/lv
	mdadm_conf active "/dev/disk/by-id/wwn-lun0-a /dev/disk/by-id/wwn-lun1-a /dev/disk/by-id/wwn-lun2-a /dev/disk/by-id/wwn-lun3-a" "/dev/md/lv UUID=$UL"
	ocf_is "$level: start" 0 a start
	running /dev/md/lv && [ "$(cat /sys/block/$(kname /dev/md/lv)/md/level)" = "$level" ] &&
		pass "$level: running over $(members /dev/md/lv)" || fail "$level: not running"
	passive_untouched "$level started"
	ocf_is "$level: stop" 0 a stop
	unclaimed "$level: every path free" $ALLA $ALLB
	mdadm --zero-superblock "$@" >/dev/null 2>&1
done

finish
EOF

echo "tandem-raid in the QEMU rig: md RAID1, dm-raid1, dm-multipath, host RAID over shared LUNs"
rc=0
vol=()
[ -x "$BUILD/tandem-volume" ] && vol=(--bin "$BUILD/tandem-volume")
tests/rig/qemu/run.sh --file tests/lib.sh:/rig/test-lib.sh --bin "$BUILD/tandem-raid" --bin "$BUILD/rig/blkio" "${vol[@]}" \
	--luns 4 --lun-mb 32 --module raid0 --module raid10 --timeout 900 \
	"$tmp/guest.sh" || rc=$?
exit "$rc"
