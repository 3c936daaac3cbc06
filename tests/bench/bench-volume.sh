#!/bin/bash
# The OCF agents on one ext4 loop device (tests/rig/loop.sh), in one run,
# interleaved: tandem's units/ocf/volume (tandem-volume ocf, TANDEM_BIN=build)
# against resource-agents' heartbeat/Filesystem, for start, monitor at
# OCF_CHECK_LEVEL 0 and 20, stop, and stop with HOLDERS (default 21) busy
# processes on the mount (half with their cwd in it, half with a file in it
# open; both agents must end them: Filesystem with force_unmount=true, its
# Linux default, which runs fuser -m). Plus a bare mount + umount for scale.
# Then depth 0 alone, on a mounted volume, MON (default 5) rounds per run in
# rotating order: the tandem-volume binary itself (`monitor`, device given
# as LABEL=, as a group configures it, and as the /dev path), Filesystem's
# monitor (OCF_CHECK_LEVEL=0) and a bare `/usr/bin/stat MOUNTPOINT`, the
# floor any process that looks at the mount pays; `tandem-volume --version`
# shows what starting the binary alone costs (its shared libraries). The
# issue's goal: at least 15x faster than Filesystem and within 1.5x of stat.
# Both agents get the same /dev/loopN path, the same mount point, and no
# fsck on start: Filesystem's run_fsck=auto skips fsck for ext4, tandem's
# fsck policy is set to never; an extra tandem-only row shows start with
# fsck=auto (e2fsck -p on the clean filesystem) for what that costs.
# Every timed operation is checked: exit 0, mounted after start (from the
# right device), unmounted after stop, every holder dead. Which agent goes
# first alternates run by run. Medians of RUNS (default 9, at least 7), in
# ms. Needs root. Not a test.
# It runs in a mount namespace of its own (unshare, propagation slave): a
# namespace someone else creates meanwhile (systemd-nspawn, unshare -m, as the
# cluster rig does) would otherwise get a private copy of the bench mount,
# which keeps the device claimed after our umount (e2fsck: "in use").
set -u
if [ -z "${TANDEM_BENCH_NS:-}" ] && unshare --mount --propagation slave true 2>/dev/null; then
	TANDEM_BENCH_NS=1 exec unshare --mount --propagation slave -- bash "$0" "$@"
fi
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
RUNS=${RUNS:-9}
HOLDERS=${HOLDERS:-21}
MON=${MON:-5}
. tests/rig/loop.sh
why=$(loop_can_run) || { echo "skip: $why"; exit 77; }
FS_RA=/usr/lib/ocf/resource.d/heartbeat/Filesystem
[ -x "$FS_RA" ] || { echo "skip: $FS_RA is missing (package resource-agents)"; exit 77; }
command -v fuser >/dev/null || { echo "skip: fuser is missing (Filesystem needs it to end holders)"; exit 77; }
[ -x "$BUILD/tandem-volume" ] || { echo "run make first"; exit 1; }
[ -x /usr/bin/stat ] || { echo "skip: /usr/bin/stat is missing"; exit 77; }
[ "$RUNS" -ge 7 ] 2>/dev/null || { echo "RUNS must be at least 7"; exit 2; }

holders=()
base=""
cleanup() {
	local p
	for p in "${holders[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	loop_teardown
	[ -n "$base" ] && rm -rf "$base"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

label=tbv$RANDOM
loop_setup 256 ext4 "$label" >/dev/null || { echo "loop_setup failed"; exit 1; }
DEV=$LOOP_DEV
base=$(mktemp -d /tmp/tandem-bench-volume.XXXXXX)
MNT=$base/mnt
mkdir "$MNT"
loop_track_mount "$MNT"

export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=benchvol
TANDEM=("$PWD/units/ocf/volume")
tandem_env=(TANDEM_BIN="$PWD/$BUILD" OCF_RESKEY_device="$DEV" OCF_RESKEY_fstype=ext4
	OCF_RESKEY_mountpoint="$MNT" OCF_RESKEY_fsck=never)
fs_env=(OCF_RESKEY_device="$DEV" OCF_RESKEY_fstype=ext4 OCF_RESKEY_directory="$MNT"
	OCF_RESKEY_force_unmount=true OCF_RESKEY_run_fsck=auto)

now_us() { echo "${EPOCHREALTIME/./}"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
die() {
	echo "FAILED: $*"
	[ -s "$base/err" ] && sed 's/^/    /' "$base/err" | tail -n 20
	exit 1
}
mounted_right() { awk -v d="$DEV" -v m="$MNT" '$1 == d && $2 == m { f = 1 } END { exit !f }' /proc/mounts; }
not_mounted() { ! awk -v m="$MNT" '$2 == m { f = 1 } END { exit !f }' /proc/mounts; }

# run AGENT ACTION [ENV...]: runs the agent, sets T (microseconds); dies
# unless it exits 0. run cmd ARGV...: the same for a command line.
run() {
	local who=$1 action=$2 t0 rc
	shift 2
	case $who in
	tandem) set -- env "${tandem_env[@]}" "$@" "${TANDEM[@]}" "$action" ;;
	fs) set -- env "${fs_env[@]}" "$@" "$FS_RA" "$action" ;;
	cmd) set -- "$action" "$@" ;; # a command line of its own
	esac
	t0=$(now_us)
	"$@" >"$base/out" 2>"$base/err"
	rc=$?
	T=$(($(now_us) - t0))
	[ "$rc" -eq 0 ] || die "$who $action: exit $rc"
}

start_holders() {
	local i
	holders=()
	for ((i = 0; i < HOLDERS; i++)); do
		if ((i % 2)); then
			(exec sleep 600 3>"$MNT/holder$i") &
		else
			(cd "$MNT" && exec sleep 600) &
		fi
		holders+=($!)
	done
	# wait until every holder is the sleep itself, holding the mount
	local p n=0
	while :; do
		n=0
		for p in "${holders[@]}"; do
			[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$(command -v sleep)")" ] && n=$((n + 1))
		done
		[ "$n" -eq "$HOLDERS" ] && break
		sleep 0.01
	done
	[ "$(fuser -m "$MNT" 2>/dev/null | wc -w)" -ge "$HOLDERS" ] || die "holders do not hold $MNT"
}
holders_dead() {
	local p st
	for p in "${holders[@]}"; do
		st=$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)
		[ -z "$st" ] || [ "$st" = Z ] || die "$1: holder $p still alive (state $st)"
	done
	for p in "${holders[@]}"; do
		wait "$p" 2>/dev/null
		[ $? -gt 128 ] || die "$1: holder $p did not die of a signal"
	done
	holders=()
}

declare -A t
add() { t[$1]+="$2 "; }

# one_agent WHO: the plain cycle, then the cycle with holders
one_agent() {
	local who=$1
	run "$who" start; add "$who.start" "$T"
	mounted_right || die "$who start: $DEV is not mounted at $MNT"
	run "$who" monitor OCF_CHECK_LEVEL=0; add "$who.mon0" "$T"
	run "$who" monitor OCF_CHECK_LEVEL=20; add "$who.mon20" "$T"
	run "$who" stop; add "$who.stop" "$T"
	not_mounted || die "$who stop: $MNT is still mounted"

	run "$who" start
	mounted_right || die "$who start: $DEV is not mounted at $MNT"
	start_holders
	run "$who" stop; add "$who.busy" "$T"
	not_mounted || die "$who stop with holders: $MNT is still mounted"
	holders_dead "$who stop with holders"
}

# Depth 0 alone, on a volume mounted by hand: MON rounds, the order rotating
# round by round. Each command runs as Pacemaker or a shell would run it, a
# process of its own; the tandem-volume binary is run directly (no wrapper,
# no config file: everything on its command line).
MON_WHO=(stat label path fs version)
mon_cmd() { # mon_cmd WHO: sets CMD
	case $1 in
	stat) CMD=(/usr/bin/stat "$MNT") ;;
	label) CMD=("$BUILD/tandem-volume" --device "LABEL=$label" --fstype ext4 --mountpoint "$MNT" monitor) ;;
	path) CMD=("$BUILD/tandem-volume" --device "$DEV" --fstype ext4 --mountpoint "$MNT" monitor) ;;
	fs) CMD=(env "${fs_env[@]}" OCF_CHECK_LEVEL=0 "$FS_RA" monitor) ;;
	version) CMD=("$BUILD/tandem-volume" --version) ;;
	esac
}
depth0() {
	local i k who
	mount -t ext4 "$DEV" "$MNT" 2>"$base/err" || die "mount"
	for ((i = 0; i < MON; i++)); do
		for ((k = 0; k < ${#MON_WHO[@]}; k++)); do
			who=${MON_WHO[(i + k) % ${#MON_WHO[@]}]}
			mon_cmd "$who"
			run cmd "${CMD[@]}"; add "d0.$who" "$T"
			case $who in
			label | path) grep -q "^ok: .* depth 0 passed" "$base/out" || die "monitor ($who): no ok line" ;;
			esac
		done
	done
	umount "$MNT" 2>"$base/err" || die "umount"
	not_mounted || die "umount: still mounted"
}

echo "warming up (one untimed cycle of each) ..."
one_agent tandem
one_agent fs
depth0
t=()
echo "$RUNS runs on $DEV (ext4, 256 MiB), $HOLDERS holders ..."
for ((r = 0; r < RUNS; r++)); do
	if ((r % 2)); then one_agent fs; one_agent tandem; else one_agent tandem; one_agent fs; fi
	# tandem start with fsck=auto (e2fsck -p), tandem only
	run tandem start OCF_RESKEY_fsck=auto; add tandem.startfsck "$T"
	mounted_right || die "tandem start (fsck=auto): not mounted"
	run tandem stop
	not_mounted || die "tandem stop: still mounted"
	# bare mount + umount
	t0=$(now_us)
	mount -t ext4 "$DEV" "$MNT" 2>"$base/err" || die "mount"
	umount "$MNT" 2>"$base/err" || die "umount"
	add bare $(($(now_us) - t0))
	not_mounted || die "umount: still mounted"
	depth0
done

# shellcheck disable=SC2086 # the samples are split on purpose
med() { printf '%s\n' ${t[$1]} | median; }
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
row() { # row LABEL KEY
	local a b
	a=$(med "tandem.$2") b=$(med "fs.$2")
	printf '%-26s %10s ms %12s ms %7.1fx\n' "$1" "$(ms "$a")" "$(ms "$b")" \
		"$(awk -v a="$b" -v b="$a" 'BEGIN { print (b > 0) ? a / b : 0 }')"
}
echo
echo "OCF agents on $DEV, medians of $RUNS runs (ratio = Filesystem / tandem):"
printf '%-26s %13s %15s %8s\n' operation tandem Filesystem ratio
row start start
row "monitor (depth 0)" mon0
row "monitor (depth 20)" mon20
row stop stop
row "stop, $HOLDERS holders" busy
echo
echo "tandem start with fsck=auto (e2fsck -p, clean fs): $(ms "$(med tandem.startfsck)") ms"
echo "bare mount + umount:                               $(ms "$(med bare)") ms"

# shellcheck disable=SC2016 # awk programs
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", (b > 0) ? a / b : 0 }'; }
ms2() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
st=$(med d0.stat) lb=$(med d0.label) pa=$(med d0.path) fs=$(med d0.fs) ve=$(med d0.version)
echo
echo "monitor at depth 0 on the mounted volume, medians of $((RUNS * MON)) ($RUNS runs x $MON rounds):"
printf '%-46s %9s ms\n' "/usr/bin/stat $MNT" "$(ms2 "$st")"
printf '%-46s %9s ms   %s stat, Filesystem / it = %s\n' "tandem-volume monitor --device LABEL=$label" "$(ms2 "$lb")" \
	"$(ratio "$lb" "$st")" "$(ratio "$fs" "$lb")"
printf '%-46s %9s ms   %s stat, Filesystem / it = %s\n' "tandem-volume monitor --device $DEV" "$(ms2 "$pa")" \
	"$(ratio "$pa" "$st")" "$(ratio "$fs" "$pa")"
printf '%-46s %9s ms   %s stat\n' "Filesystem monitor (OCF_CHECK_LEVEL=0)" "$(ms2 "$fs")" "$(ratio "$fs" "$st")"
printf '%-46s %9s ms   %s stat (starting the binary alone)\n' "tandem-volume --version" "$(ms2 "$ve")" "$(ratio "$ve" "$st")"
echo "(goal: Filesystem / tandem-volume >= 15x, tandem-volume / stat <= 1.5x)"
