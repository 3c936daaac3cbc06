#!/bin/bash
# tandem-volume on loop devices (tests/rig/loop.sh): lookup by UUID and
# LABEL, wrong type and ambiguous LABEL refused, a symlinked mount point
# refused, the fence interlock (refused, then --force), idempotent mount and
# umount, 20 holders (cwd, open fd, mmap; one that ignores TERM) all ended,
# while processes on a look-alike path on another filesystem and on a bind
# mount of another filesystem survive; monitor depth 0 (the mounted device
# alone is probed; not running; another filesystem, or the volume elsewhere,
# is a failure), depth 20 on a writable and a read-only mount; fsck auto
# repairs a dirtied ext4 before mounting. The safety findings: a holder
# whose main thread exited is found through its other thread (M6); a mount
# namespace that keeps the filesystem (unshare -m --propagation private) is
# ended by umount, and status does not call the volume "not mounted" while
# the device cannot be opened exclusively, nor when a mount over its parent
# shadows it (H1); a mount point swapped for a symlink while fsck runs never
# gets the volume mounted on the symlink's target, and a mount point below
# a directory that only root may change is required (H3).
# Needs root. Every helper process is killed by PID in the trap, and every
# mount and loop device is undone.
set -u
# In a mount namespace of its own (propagation slave), as tests/bench/
# bench-volume.sh: a namespace another test creates meanwhile (unshare -m,
# systemd-nspawn) then gets no copy of our mounts, which would keep our
# device claimed, and which umount would rightly end (H1).
if [ -z "${TANDEM_TEST_NS:-}" ] && unshare --mount --propagation slave true 2>/dev/null; then
	TANDEM_TEST_NS=1 exec unshare --mount --propagation slave -- bash "$0" "$@"
fi
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
tries=0
until [ "$("$B" -c "$conf" --json status 2>/dev/null | grep -c '"holders": 20')" = 1 ]; do
	n=$("$B" -c "$conf" --json status 2>/dev/null | grep '"holders"')
	echo "      waiting for 20 holders: $n"
	tries=$((tries + 1))
	[ $tries -lt 150 ] || { fail "status never counted 20 holders"; break; }
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

# excl DEV: whether DEV can be opened exclusively (O_EXCL: nothing, in any
# mount namespace, has it mounted). Prints the error when it cannot.
cat >"$base/excl.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
	int fd = argc > 1 ? open(argv[1], O_RDONLY | O_EXCL) : -1;
	if (fd < 0) { perror("excl"); return 1; }
	close(fd);
	return 0;
}
EOF
cc -O -o "$base/excl" "$base/excl.c" || die "cc excl"

echo "== a holder whose main thread exited (M6)"
cat >"$base/threadholder.c" <<'EOF'
/* A thread opens argv[1] and waits; the main thread exits (pthread_exit),
 * so /proc/PID/fd shows nothing, while /proc/PID/task/TID/fd has the file. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static const char *path;
static void *hold(void *arg) {
	(void) arg;
	if (open(path, O_RDONLY) < 0) { perror("threadholder"); _exit(1); }
	printf("holding\n");
	fflush(stdout);
	for (;;) pause();
}
int main(int argc, char **argv) {
	pthread_t t;
	if (argc < 2 || chdir("/") < 0) return 1;
	path = argv[1];
	if (pthread_create(&t, NULL, hold, NULL) != 0) return 1;
	pthread_exit(NULL);
}
EOF
cc -O -pthread -o "$base/threadholder" "$base/threadholder.c" || die "cc threadholder"
run m12 -c "$conf" mount
check "mount: exit 0" test $rc = 0
mountpoint -q "$M" || die "nothing mounted at $M"
echo x >"$M/held-by-thread"
"$base/threadholder" "$M/held-by-thread" >"$base/threadholder.out" &
th=$!
pids+=($th)
for _ in $(seq 100); do
	grep -q holding "$base/threadholder.out" 2>/dev/null &&
		[ "$(awk '{print $3}' "/proc/$th/task/$th/stat" 2>/dev/null)" = Z ] && break
	sleep 0.1
done
check "the holder's main thread has exited (task $th is a zombie)" \
	test "$(awk '{print $3}' "/proc/$th/task/$th/stat" 2>/dev/null)" = Z
check "... /proc/$th/fd shows no file, /proc/$th/task/*/fd has it" \
	bash -c "[ -z \"\$(ls /proc/$th/fd 2>/dev/null)\" ] && ls -l /proc/$th/task/*/fd 2>/dev/null | grep -q held-by-thread"
run st12 -c "$conf" status
check "status counts the thread's process as a holder" grep -q "^holders *1$" "$base/st12.out"
run um12 -c "$conf" --json umount
check "umount with a holder whose main thread exited: exit 0" test $rc = 0
check "... unmounted" bash -c "! mountpoint -q '$M'"
if kill -0 "$th" 2>/dev/null; then
	fail "... the holder $th was not ended"
	t_kill -KILL "$th"
else
	if wait "$th"; then st=0; else st=$?; fi
	check "... the holder $th was ended by a signal (exit $st)" bash -c "[ $st = 143 ] || [ $st = 137 ]"
fi
check "... and reported, found by its open file" \
	bash -c "grep -A5 '\"pid\": $th,' '$base/um12.out' | grep -q 'open file'"
if mountpoint -q "$M"; then umount "$M"; fi

echo "== another mount namespace (H1)"
run m13 -c "$conf" mount
check "mount: exit 0" test $rc = 0
mountpoint -q "$M" || die "nothing mounted at $M"
# unshare -m --propagation private: the namespace keeps its own copy of the
# mount, which our unmount does not reach (a container's rprivate bind mount
# does the same).
(cd / && exec unshare -m --propagation private sleep 600) &
nsp=$!
pids+=($nsp)
for _ in $(seq 100); do
	grep -q " $M " "/proc/$nsp/mountinfo" 2>/dev/null && break
	sleep 0.1
done
check "the sleeper $nsp is in its own mount namespace, which has the volume" \
	bash -c "[ \"\$(readlink /proc/$nsp/ns/mnt)\" != \"\$(readlink /proc/self/ns/mnt)\" ] && grep -q ' $M ' /proc/$nsp/mountinfo"
run um13 -c "$conf" --json umount
check "umount: exit 0" test $rc = 0
check "... unmounted here" bash -c "! mountpoint -q '$M'"
check "... and the device can be opened exclusively: no namespace has it any more" "$base/excl" "$dev"
if kill -0 "$nsp" 2>/dev/null; then
	fail "... the process in the other namespace ($nsp) was not ended"
	t_kill -KILL "$nsp"
else
	if wait "$nsp"; then st=0; else st=$?; fi
	check "... the process in the other namespace was ended by a signal (exit $st)" \
		bash -c "[ $st = 143 ] || [ $st = 137 ]"
fi
check "... and reported, as held by its mount namespace" \
	bash -c "grep -A5 '\"pid\": $nsp,' '$base/um13.out' | grep -q 'mount namespace'"
run st13 -c "$conf" status
check "status afterwards: not mounted (exit 7)" test $rc = 7

# Unmounted here by hand, alive in another namespace: not "not mounted".
run m14 -c "$conf" mount
mountpoint -q "$M" || die "nothing mounted at $M"
(cd / && exec unshare -m --propagation private sleep 600) &
nsp=$!
pids+=($nsp)
for _ in $(seq 100); do
	grep -q " $M " "/proc/$nsp/mountinfo" 2>/dev/null && break
	sleep 0.1
done
umount "$M"
check "after a plain umount here, the device is still busy (EBUSY)" not "$base/excl" "$dev"
run st14 -c "$conf" status
check "status while another namespace has it: not 7 (exit $rc), held" \
	bash -c "[ $rc = 1 ] && grep -q '^mounted *held' '$base/st14.out'"
check "... naming the namespace's process $nsp" grep -q "mount namespace of PID $nsp (sleep)" "$base/st14.out"
run st14j -c "$conf" --json status
check "... status --json: state held, mounted false" \
	bash -c "grep -q '\"state\": \"held\"' '$base/st14j.out' && grep -q '\"mounted\": false' '$base/st14j.out'"
run mount14 -c "$conf" mount
check "mount while it is held there: refused (exit $rc), nothing mounted here" \
	bash -c "[ $rc = 1 ] && ! mountpoint -q '$M' && grep -q 'mount namespace of PID $nsp' '$base/mount14.err'"
if mountpoint -q "$M"; then umount "$M"; fi
run um14 -c "$conf" umount
check "umount ends the namespace's process: exit 0" test $rc = 0
check "... the device can be opened exclusively" "$base/excl" "$dev"
check "... the process $nsp is gone" not kill -0 "$nsp"
t_kill -KILL "$nsp"

echo "== a shadowed mount point (H1)"
mkdir -p "$base/sh/db"
loop_track_mount "$base/sh"
loop_track_mount "$base/sh/db"
shconf=$base/sh.conf
sed "s|^mountpoint = .*|mountpoint = $base/sh/db|" "$conf" >"$shconf"
chmod 0600 "$shconf"
run m15 -c "$shconf" mount
check "mount at $base/sh/db: exit 0" test $rc = 0
mount -t tmpfs tandem-shadow "$base/sh"
check "a tmpfs over the parent: $base/sh/db is gone from view" test ! -e "$base/sh/db"
run st15 -c "$shconf" status
check "status of the shadowed volume: not 7 (exit $rc), held" \
	bash -c "[ $rc = 1 ] && grep -q '^mounted *held' '$base/st15.out'"
check "... saying it is covered" grep -q "another mount covers it" "$base/st15.out"
run um15 -c "$shconf" umount
check "umount of the shadowed volume: refused (exit $rc), saying why" \
	bash -c "[ $rc = 1 ] && grep -q 'shadowed' '$base/um15.err'"
check "... and the volume is still mounted (the reservation must stay)" not "$base/excl" "$dev"
umount "$base/sh"
run um15b -c "$shconf" umount
check "once uncovered, umount: exit 0" test $rc = 0
check "... the device can be opened exclusively" "$base/excl" "$dev"

echo "== the mount point swapped for a symlink during fsck (H3)"
# stopper: runs the command, and stops (SIGSTOP) the first child it spawns
# (the fsck, after the mount point was checked, before the mount), writes
# that child's PID to a file, and exits with the command's status. The test
# swaps the mount point meanwhile, then lets the fsck go on (SIGCONT).
cat >"$base/stopper.c" <<'EOF'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
	if (argc < 3) return 2;
	pid_t p = fork();
	if (p == 0) { execv(argv[2], argv + 2); _exit(127); }
	char path[64], buf[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", p, p);
	pid_t c = 0;
	while (c <= 0) {
		FILE *f = fopen(path, "re");
		if (!f) break;  /* exited */
		if (fgets(buf, sizeof buf, f)) c = atoi(buf);
		fclose(f);
	}
	if (c > 0) {
		kill(c, SIGSTOP);
		FILE *o = fopen(argv[1], "we");
		if (o) { fprintf(o, "%d\n", c); fclose(o); }
	}
	int st;
	if (waitpid(p, &st, 0) < 0) return 2;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
EOF
cc -O -o "$base/stopper" "$base/stopper.c" || die "cc stopper"
mkdir -p "$base/h3/db" "$base/h3/other"
loop_track_mount "$base/h3/other"
loop_track_mount "$base/h3/db.orig"
loop_track_mount "$base/h3/db"
h3conf=$base/h3.conf
sed "s|^mountpoint = .*|mountpoint = $base/h3/db|; s|^fsck = .*|fsck = always|" "$conf" >"$h3conf"
chmod 0600 "$h3conf"
rm -f "$base/h3.pid"
"$base/stopper" "$base/h3.pid" "$B" -c "$h3conf" --log-target console mount >"$base/h3.out" 2>"$base/h3.err" &
sp=$!
pids+=($sp)
for _ in $(seq 300); do
	[ -s "$base/h3.pid" ] && break
	kill -0 "$sp" 2>/dev/null || break
	sleep 0.1
done
fp=$(cat "$base/h3.pid" 2>/dev/null)
check "the fsck was caught and stopped (PID ${fp:-none})" test -n "$fp"
# the swap, as the owner of the mount point could do it
mv "$base/h3/db" "$base/h3/db.orig"
ln -s "$base/h3/other" "$base/h3/db"
[ -n "$fp" ] && kill -CONT "$fp"
if wait "$sp"; then rc=0; else rc=$?; fi
sed "s/^/      [h3] /" "$base/h3.err"
check "nothing is mounted on the symlink's target $base/h3/other" not mountpoint -q "$base/h3/other"
check "the volume is not left mounted anywhere but the original directory" \
	bash -c "! findmnt -n -o TARGET -S '$dev' | grep -vqx '$base/h3/db.orig'"
if [ $rc = 0 ]; then
	check "... mounted: on the original directory" mountpoint -q "$base/h3/db.orig"
else
	check "... refused (exit $rc), saying the directory moved, and nothing left mounted" \
		bash -c "grep -q 'moved, or swapped' '$base/h3.err' && [ -z \"\$(findmnt -n -S '$dev')\" ]"
fi
for m in "$base/h3/other" "$base/h3/db.orig"; do
	if mountpoint -q "$m"; then umount "$m"; fi
done
rm "$base/h3/db"
mv "$base/h3/db.orig" "$base/h3/db"

echo "== the directories above the mount point (H3)"
mkdir -p "$base/pg/db"
loop_track_mount "$base/pg/db"
chown 1000:1000 "$base/pg"
run anc -c "$conf" --mountpoint "$base/pg/db" mount
check "a parent owned by uid 1000: mount refused (exit $rc), nothing mounted" \
	bash -c "[ $rc != 0 ] && ! mountpoint -q '$base/pg/db'"
check "... naming the directory and its owner" \
	grep -q "$base/pg, above the mount point, is owned by uid 1000, not root" "$base/anc.err"
if mountpoint -q "$base/pg/db"; then umount "$base/pg/db"; fi
chown 0:0 "$base/pg"
chmod 0777 "$base/pg"
run anc2 -c "$conf" --mountpoint "$base/pg/db" mount
check "a parent writable by others, not sticky: mount refused (exit $rc)" \
	bash -c "[ $rc != 0 ] && ! mountpoint -q '$base/pg/db' && grep -q 'writable by its group or others' '$base/anc2.err'"
if mountpoint -q "$base/pg/db"; then umount "$base/pg/db"; fi
chmod 1777 "$base/pg"
run anc3 -c "$conf" --mountpoint "$base/pg/db" mount
check "... and sticky (as /tmp): mounted, exit $rc" bash -c "[ $rc = 0 ] && mountpoint -q '$base/pg/db'"
run anc3u -c "$conf" --mountpoint "$base/pg/db" umount
check "umount: exit 0" test $rc = 0
chmod 0755 "$base/pg"

echo "== leftovers"
check "nothing of ours mounted at $M" bash -c "! mountpoint -q '$M'"
finish
