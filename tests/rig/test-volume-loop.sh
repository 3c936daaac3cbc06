#!/bin/bash
# tandem-volume on loop devices (tests/rig/loop.sh): lookup by UUID and
# LABEL, wrong type and ambiguous LABEL refused, a symlinked mount point
# refused, the fence interlock (refused, then --force), idempotent mount and
# umount, 20 holders (cwd, open fd, mmap; one that ignores TERM) all ended,
# while processes on a look-alike path on another filesystem and on a bind
# mount of another filesystem survive; monitor depth 0 (the mounted device
# alone is probed; not running; another filesystem, or the volume elsewhere,
# is a failure), depth 20 on a writable and a read-only mount; fsck auto
# repairs a dirtied ext4 before mounting.
# Needs root. Every helper process is killed by PID in the trap, and every
# mount and loop device is undone.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/rig/loop.sh

BUILD=${BUILD:-build}
B=$PWD/$BUILD/tandem-volume
why=$(loop_can_run) || skip "$why"
for t in debugfs e2fsck cc mount; do
	need_cmd $t
done
need_built "$B"

t_tmpdir tandem-volume-loop
base=$T_TMP
chmod 755 "$base"
pids=()
at_exit loop_teardown
at_exit 't_kill -KILL "${pids[@]}"'

# run NAME ARGS...: runs tandem-volume, keeps stdout in $base/NAME.out and
# stderr in $base/NAME.err, and sets rc.
run() {
	local name=$1; shift
	rc=0
	"$B" "$@" >"$base/$name.out" 2>"$base/$name.err" || rc=$?
	sed "s/^/      [$name] /" "$base/$name.err"
}

label=tvol$RANDOM
loop_setup 300 ext4 "$label"
dev=$LOOP_DEV uuid=$LOOP_UUID
M=$base/db
mkdir "$M" "$base/db2" "$base/db-bind" "$base/other" "$base/elsewhere"
loop_track_mount "$M"
loop_track_mount "$base/elsewhere"
loop_track_mount "$base/db-bind"
loop_track_mount "$base/other"
loop_track_mount "$base/db2"

conf=$base/db.conf
cat >"$conf" <<EOF
[cluster]
name = rig
node = n1

[volume]
device = LABEL=$label
fstype = ext4
mountpoint = $M
fsck = auto
stop_timeout = 3s
EOF
chmod 0600 "$conf"

echo "== lookup"
run uuid -c "$conf" --device "UUID=$uuid" mount
check "mount by UUID=$uuid: exit 0" test $rc = 0
check "mount by UUID: $dev is mounted at $M" test "$(findmnt -n -o SOURCE --mountpoint "$M")" = "$dev"
check "no [fence] section: mounted with a warning, not silently" grep -q "unfenced" "$base/uuid.err"
run uuid2 -c "$conf" --device "UUID=$uuid" mount
check "mount again (idempotent): exit 0" test $rc = 0
check "... and says it was already mounted" grep -q "already mounted" "$base/uuid2.err"
check "... mounted once, not twice" test "$(findmnt -n -o SOURCE --mountpoint "$M" | wc -l)" = 1
run um1 -c "$conf" umount
check "umount: exit 0" test $rc = 0
check "umount: $M no longer a mount point" bash -c "! mountpoint -q '$M'"
run um2 -c "$conf" umount
check "umount again (idempotent): exit 0" test $rc = 0
run st0 -c "$conf" status
check "status of an unmounted volume: exit 7" test $rc = 7
check "status says mounted no" grep -q "^mounted *no" "$base/st0.out"

run label -c "$conf" mount
check "mount by LABEL=$label: exit 0" test $rc = 0
check "mount by LABEL: $dev is at $M" test "$(findmnt -n -o SOURCE --mountpoint "$M")" = "$dev"
run um3 -c "$conf" umount
check "umount: exit 0" test $rc = 0

run wrongtype -c "$conf" --fstype xfs mount
check "wrong fstype (xfs configured, ext4 found): exit 1" test $rc = 1
check "... with a clear message" grep -q "type ext4, not the configured xfs" "$base/wrongtype.err"
check "... and nothing mounted" bash -c "! mountpoint -q '$M'"

run nothing -c "$conf" --device LABEL=tnone$RANDOM mount
check "a LABEL nothing has: exit 1, 'no block device has it'" \
	bash -c "[ $rc = 1 ] && grep -q 'no block device has it' '$base/nothing.err'"

amb=tamb$RANDOM
loop_setup 100 ext4 "$amb"
amb1=$LOOP_DEV
loop_setup 100 ext4 "$amb"
amb2=$LOOP_DEV
run amb -c "$conf" --device "LABEL=$amb" mount
check "ambiguous LABEL=$amb ($amb1, $amb2): exit 1" test $rc = 1
check "... refused as ambiguous, naming both devices" \
	bash -c "grep -q 'ambiguous' '$base/amb.err' && grep -q '$amb1' '$base/amb.err' && grep -q '$amb2' '$base/amb.err'"
check "... and nothing mounted" bash -c "! mountpoint -q '$M'"

ln -s "$M" "$base/link"
run link -c "$conf" --mountpoint "$base/link" mount
check "a mount point that is a symlink: exit 1, refused" \
	bash -c "[ $rc = 1 ] && grep -q 'symbolic link' '$base/link.err' && ! mountpoint -q '$M'"

mount "$dev" "$base/elsewhere"
run elsewhere -c "$conf" mount
check "the device mounted elsewhere: mount exits 1" test $rc = 1
check "... naming where" grep -q "already mounted at $base/elsewhere" "$base/elsewhere.err"
run elsewhere-um -c "$conf" umount
check "... and umount exits 1 and leaves it alone" \
	bash -c "[ $rc = 1 ] && mountpoint -q '$base/elsewhere'"
run elsewhere-mon -c "$conf" monitor
check "... and monitor at depth 0 exits 1, naming where" \
	bash -c "[ $rc = 1 ] && grep -q 'is mounted at $base/elsewhere, not at $M' '$base/elsewhere-mon.err'"
umount "$base/elsewhere"

echo "== fence interlock"
fconf=$base/fenced.conf
sed "s|^\[volume\]|[fence]\ndevices = $amb1\n\n[volume]|" "$conf" >"$fconf"
chmod 0600 "$fconf"
run fenced -c "$fconf" mount
check "with [fence] and no reservation held: mount refused, exit 1" \
	bash -c "[ $rc = 1 ] && ! mountpoint -q '$M'"
check "... saying it is the reservation" grep -qi "reservation" "$base/fenced.err"
run forced -c "$fconf" --force mount
check "--force overrides the interlock: exit 0, mounted" bash -c "[ $rc = 0 ] && mountpoint -q '$M'"
check "... and says so in the log" grep -q -- "--force" "$base/forced.err"
run um4 -c "$conf" umount
check "umount: exit 0" test $rc = 0

echo "== holders"
run m5 -c "$conf" mount
check "mount: exit 0" test $rc = 0
mkdir "$M/data"
for i in $(seq 1 10); do head -c 8192 /dev/zero >"$M/data/f$i"; done
mount -t tmpfs tandem-db2 "$base/db2"       # a look-alike path, another filesystem
mount -t tmpfs tandem-other "$base/other"
mount --bind "$base/other" "$base/db-bind"  # a bind mount of another filesystem
echo x >"$base/db2/file"
echo x >"$base/db-bind/file"
cat >"$base/mapper.c" <<'EOF'
/* Maps a file shared, closes it, and waits: held only through the map. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int fd = argc > 1 ? open(argv[1], O_RDONLY) : -1;
	void *p = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) { perror("mapper"); return 1; }
	close(fd);
	if (chdir("/") < 0) return 1;
	printf("mapped\n");
	fflush(stdout);
	for (;;) pause();
}
EOF
cc -O -o "$base/mapper" "$base/mapper.c" || die "cc mapper"

cd /
holders=()
for i in 1 2 3 4 5 6; do       # cwd
	bash -c "cd '$M/data' && exec sleep 1000" &
	holders+=($!)
done
for i in 1 2 3 4 5 6 7; do     # an open file descriptor, cwd elsewhere
	bash -c "exec 3<'$M/data/f$i'; exec sleep 1000" &
	holders+=($!)
done
for i in 1 2 3 4 5 6; do       # a shared memory map only
	"$base/mapper" "$M/data/f$i" >"$base/mapper$i.out" &
	holders+=($!)
done
bash -c "trap '' TERM; cd '$M' && exec sleep 1000" &  # ignores TERM: needs KILL
holders+=($!)
pids+=("${holders[@]}")
bash -c "cd '$base/db2' && exec sleep 1000" &   # survives: look-alike path
s1=$!
bash -c "cd '$base/db-bind' && exec 3<'$base/db-bind/file'; exec sleep 1000" & # survives: bind mount
s2=$!
bash -c "exec 3<'$base/db2/file'; exec sleep 1000" &  # survives: fd on the look-alike
s3=$!
pids+=($s1 $s2 $s3)
cd - >/dev/null
# Wait until every holder holds (the mappers say so); no timing thresholds.
for i in 1 2 3 4 5 6; do
	until grep -q mapped "$base/mapper$i.out" 2>/dev/null; do
		kill -0 "${holders[12 + i]}" 2>/dev/null || break
		sleep 0.1
	done
done
until [ "$("$B" -c "$conf" --json status 2>/dev/null | grep -c '"holders": 20')" = 1 ]; do
	n=$("$B" -c "$conf" --json status 2>/dev/null | grep '"holders"')
	echo "      waiting for 20 holders: $n"
	sleep 0.2
	alive=0
	for p in "${holders[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
	[ $alive = 20 ] || { fail "a holder died early"; break; }
done
check "status counts 20 holders" bash -c "'$B' -c '$conf' status | grep -q '^holders *20$'"
check "status --json: mounted true" bash -c "'$B' -c '$conf' --json status | grep -q '\"mounted\": true'"

run um6 -c "$conf" --json umount
check "umount with 20 holders: exit 0" test $rc = 0
check "... unmounted" bash -c "! mountpoint -q '$M'"
for p in "${holders[@]}"; do
	if wait "$p"; then st=0; else st=$?; fi
	check "holder $p ended by a signal (exit $st)" bash -c "[ $st = 143 ] || [ $st = 137 ]"
	check "holder $p reported with how it ended" \
		bash -c "grep -A5 '\"pid\": $p,' '$base/um6.out' | grep -Eq '\"ended\": \"(TERM|KILL)\"'"
done
check "the TERM-ignoring holder was KILLed" \
	bash -c "grep -A5 '\"pid\": ${holders[19]},' '$base/um6.out' | grep -q '\"ended\": \"KILL\"'"
check "a mapper was found by its memory map" \
	bash -c "grep -A3 '\"pid\": ${holders[13]},' '$base/um6.out' | grep -q 'memory map'"
check "an fd holder was found by its open file" \
	bash -c "grep -A3 '\"pid\": ${holders[6]},' '$base/um6.out' | grep -q 'open file'"
check "report lists 20 processes ended" test "$(grep -Ec '"ended": "(TERM|KILL)"' "$base/um6.out")" = 20
check "the log names each ended process" test "$(grep -c 'ended PID' "$base/um6.err" || true)" = 20
for p in $s1 $s2 $s3; do
	check "process $p on another filesystem (look-alike / bind mount) survives" kill -0 "$p"
	check "... and is not in the report" bash -c "! grep -q '\"pid\": $p,' '$base/um6.out'"
done
check "the look-alike mounts are still there" \
	bash -c "mountpoint -q '$base/db2' && mountpoint -q '$base/db-bind'"

echo "== monitor"
run m7 -c "$conf" mount
check "mount: exit 0" test $rc = 0
run mon0m -c "$conf" monitor --depth 0
check "monitor --depth 0 of the mounted volume: exit 0" test $rc = 0
check "... ok, from $dev" grep -q "^ok: LABEL=$label ($dev) mounted at $M; depth 0 passed$" "$base/mon0m.out"
OCF_RESKEY_device="LABEL=$label" OCF_RESKEY_fstype=ext4 OCF_RESKEY_mountpoint="$M" OCF_CHECK_LEVEL=0 \
	run ocf0m ocf monitor
check "... and as the OCF agent: 0 (running)" test $rc = 0
# Depth 0 probes the mounted device only: $amb1 and $amb2 are there too,
# and a scan of the block devices (blkid_probe_all) would open them.
if command -v strace >/dev/null; then
	src=0
	strace -f -qq -e trace=open,openat -o "$base/mon0m.strace" "$B" -c "$conf" monitor >/dev/null 2>&1 || src=$?
	check "... under strace too: exit 0" test $src = 0
	others=$(grep -o '"/dev/[^"]*"' "$base/mon0m.strace" | tr -d '"' | sort -u | while read -r p; do
		[ -b "$p" ] && [ "$(stat -L -c %t:%T "$p")" != "$(stat -L -c %t:%T "$dev")" ] && echo "$p"
	done | tr '\n' ' ')
	others=${others% }
	check "... opens no block device but $dev (opened: ${others:-none other})" test -z "$others"
	check "... and lists no block devices (/sys/block, /proc/partitions)" \
		bash -c "! grep -Eq '\"(/sys/block|/proc/partitions)\"' '$base/mon0m.strace'"
else
	echo "note strace is missing: not checking which devices depth 0 opens"
fi
run mon20 -c "$conf" monitor --depth 20
check "monitor --depth 20 on a writable mount: exit 0" test $rc = 0
check "... passed the write test" grep -q "depth 20 passed$" "$base/mon20.out"
check "... and left no probe behind" test ! -e "$M/.tandem-monitor"
run mon10 -c "$conf" --depth 10 monitor
check "monitor --depth 10: exit 0" test $rc = 0
run um8 -c "$conf" umount
run mon0 -c "$conf" monitor
check "monitor of an unmounted volume: exit 7 (not running)" test $rc = 7
OCF_RESKEY_device="LABEL=$label" OCF_RESKEY_fstype=ext4 OCF_RESKEY_mountpoint="$M" OCF_CHECK_LEVEL=0 \
	run ocf0u ocf monitor
check "... and as the OCF agent: 7 (not running)" test $rc = 7
# Another filesystem (another loop device, another label) on the mount point.
mount "$amb1" "$M"
run other -c "$conf" monitor
check "another filesystem ($amb1, LABEL=$amb) at $M: monitor exits 1" test $rc = 1
check "... saying what is there instead" \
	grep -q "another filesystem ($amb1) is mounted at $M: .*LABEL=$amb.*not LABEL=$label" "$base/other.err"
OCF_RESKEY_device="LABEL=$label" OCF_RESKEY_fstype=ext4 OCF_RESKEY_mountpoint="$M" OCF_CHECK_LEVEL=0 \
	run ocfother ocf monitor
check "... and as the OCF agent: 1 (generic error), with an exit reason" \
	bash -c "[ $rc = 1 ] && grep -q '^ocf-exit-reason:another filesystem ($amb1)' '$base/ocfother.err'"
run other10 -c "$conf" monitor --depth 10
check "... at depth 10 too: exit 1" test $rc = 1
umount "$M"
run ro -c "$conf" --options ro mount
check "mount read-only: exit 0" test $rc = 0
check "... read-only" bash -c "findmnt -n -o OPTIONS --mountpoint '$M' | grep -q '^ro'"
run mon20ro -c "$conf" monitor --depth 20
check "monitor --depth 20 on a read-only mount: exit 0" test $rc = 0
check "... says the write test was skipped" grep -q "read-only mount: the depth-20 write test was skipped" "$base/mon20ro.out"
run stro -c "$conf" status
check "status: read-only yes" grep -q "^read-only *yes" "$base/stro.out"
run um9 -c "$conf" umount
check "umount: exit 0" test $rc = 0

echo "== fsck"
debugfs -w -R "ssv state 0" "$dev" >/dev/null 2>&1
debugfs -w -R "set_bg 0 free_blocks_count 7" "$dev" >/dev/null 2>&1
check "the filesystem is dirty now (e2fsck -n finds errors)" bash -c "! e2fsck -fn '$dev' >/dev/null 2>&1"
run fsck -c "$conf" mount
check "mount of the dirty ext4: exit 0" test $rc = 0
check "... e2fsck -p ran" grep -q "fsck: running e2fsck -p $dev" "$base/fsck.err"
check "... and corrected errors (exit 1)" grep -q "exit 1 (errors corrected)" "$base/fsck.err"
check "... and it is mounted" mountpoint -q "$M"
run um10 -c "$conf" umount
check "umount: exit 0" test $rc = 0
check "the filesystem is clean now" e2fsck -fn "$dev"
run never -c "$conf" --fsck never mount
check "fsck never: no check run" bash -c "[ $rc = 0 ] && ! grep -q 'fsck: running' '$base/never.err'"
run um11 -c "$conf" umount

echo "== leftovers"
check "nothing of ours mounted at $M" bash -c "! mountpoint -q '$M'"
finish
