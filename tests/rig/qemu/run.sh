#!/bin/bash
# Boot a stock Debian kernel under QEMU (TCG), set up the rig inside it and
# run one test script there. Exits with the script's exit status.
#
#   tests/rig/qemu/run.sh [--bin HOSTPATH]... [--file HOSTPATH:GUESTPATH]...
#                         [--module NAME]... [--luns N] [--lun-mb MB]
#                         [--timeout SEC] [--log FILE] [--fence-scsi] SCRIPT
#
#   --bin HOSTPATH      a program for the guest's /usr/local/bin, with the
#                       shared libraries ldd lists
#   --file HOST:GUEST   copy a file or directory to GUEST (absolute path)
#   --module NAME       load one more kernel module (and its dependencies)
#   --luns N            LUNs to export over iSCSI (default 1; 0: no iSCSI)
#   --lun-mb MB         size of each LUN (default 64)
#   --timeout SEC       kill QEMU after SEC seconds (default 300)
#   --log FILE          keep the guest console log (kernel messages, setup,
#                       the script's output) in FILE
#   --fence-scsi        also put Python 3 and fence-agents' fence_scsi into
#                       the guest (/usr/bin/python3, /usr/sbin/fence_scsi):
#                       an extra archive from the host's packages, built once
#                       and cached (see fence-agents.sh); off by default, it
#                       makes the initramfs ~30 MiB larger
#
# Inside the guest (see guest/rig/rig.sh for details):
#   - proc, sysfs, devtmpfs, configfs, tmpfs on /tmp and /run; lo 127.0.0.1;
#   - SCSI, iSCSI, LIO, md (raid1), dm (raid, mirror, multipath) and ext4;
#   - with N LUNs: a LIO iSCSI target on 127.0.0.1:3260 (fileio LUNs in
#     tmpfs) and open-iscsi logged in twice (ifaces nodeA and nodeB, two
#     initiator names), so each LUN shows up as two disks, one per "node";
#     /rig/disks lists "lun diskA diskB sgA sgB" per LUN (1 LUN:
#     "0 /dev/sda /dev/sdb /dev/sg0 /dev/sg1");
#   - iscsiadm, mdadm, dmsetup, mkfs.ext4, e2fsck, sg_persist, sg_inq,
#     losetup, blkid; DM_DISABLE_UDEV=1 (there is no udev);
#   - SCRIPT runs under busybox sh in /tmp. That busybox runs its own
#     applets before PATH, so SCRIPT is sourced after /run/real-tools.sh,
#     which makes real programs of the same name (losetup, mke2fs, a --bin
#     dd) win; scripts SCRIPT starts should source it too.
#
# Exit status: SCRIPT's; 77 when the rig cannot run here (reason printed);
# 124 on timeout; 125 when the rig itself failed (setup in the guest, or
# no exit report from it); 2 on a usage error.
#
# Environment: TANDEM_RIG_CACHE (default /var/cache/tandem-tests/qemu),
# TANDEM_RIG_SMP (2), TANDEM_RIG_MEM (MiB, 1024), TANDEM_RIG_QUIET=1 to not
# echo the script's output (it still goes to the log).
set -eu

RIG_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/rig/qemu/lib.sh
. "$RIG_DIR/lib.sh"

usage() {
	sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0"
}

bins=() files=() mods=()
luns=1 lun_mb=64 timeout=300 log="" script="" fence_scsi=0
while [ $# -gt 0 ]; do
	case $1 in
	--bin) bins+=("${2:?--bin needs a path}"); shift 2 ;;
	--file) files+=("${2:?--file needs HOSTPATH:GUESTPATH}"); shift 2 ;;
	--module) mods+=("${2:?--module needs a name}"); shift 2 ;;
	--luns) luns=${2:?}; shift 2 ;;
	--lun-mb) lun_mb=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--log) log=${2:?}; shift 2 ;;
	--fence-scsi) fence_scsi=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) script=${2:-}; shift $#; break ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) script=$1; shift; [ $# -eq 0 ] || { echo "run.sh: one SCRIPT only" >&2; exit 2; } ;;
	esac
done
for n in "$luns" "$lun_mb" "$timeout"; do
	case $n in '' | *[!0-9]*) echo "run.sh: '$n' is not a number" >&2; exit 2 ;; esac
done
if [ "$lun_mb" -lt 1 ] || [ "$timeout" -lt 1 ]; then
	echo "run.sh: --lun-mb and --timeout must be at least 1" >&2
	exit 2
fi
if [ -z "$script" ] || [ ! -f "$script" ]; then
	echo "run.sh: SCRIPT missing (see --help)" >&2
	exit 2
fi
for b in "${bins[@]}"; do
	[ -f "$b" ] || { echo "run.sh: --bin $b: no such file" >&2; exit 2; }
done
for f in "${files[@]}"; do
	case $f in *:/*) ;; *) echo "run.sh: --file $f: want HOSTPATH:/GUESTPATH" >&2; exit 2 ;; esac
	[ -e "${f%%:*}" ] || { echo "run.sh: --file ${f%%:*}: no such file" >&2; exit 2; }
done

skip() {
	echo "SKIP: $*"
	exit 77
}
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (run tools/deps.sh)"
for t in apt-get dpkg-deb depmod modprobe cpio flock; do
	command -v "$t" >/dev/null || skip "host tool $t is missing (run tools/deps.sh)"
done
if ! mkdir -p "$RIG_CACHE" 2>/dev/null || [ ! -w "$RIG_CACHE" ]; then
	skip "cache $RIG_CACHE is not writable (run as root or set TANDEM_RIG_CACHE)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tandem-rig.XXXXXX")
qemu_pid="" tail_pid=""
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	# Best effort: a failing kill or wait must not stop the cleanup.
	set +e
	# Only what this script started, by PID.
	if [ -n "$qemu_pid" ]; then
		kill "$qemu_pid" 2>/dev/null
		wait "$qemu_pid" 2>/dev/null
	fi
	# The output pipeline ends by itself once qemu is gone (tail --pid).
	[ -n "$tail_pid" ] && wait "$tail_pid" 2>/dev/null
	[ -n "$RIG_WORK" ] && rm -rf "$RIG_WORK" "${RIG_BASE:+$RIG_BASE.tmp}" \
		"${RIG_FA_CPIO:+$RIG_FA_CPIO.tmp}"
	rm -rf "$tmp"
}
trap 'cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Kernel and base archive are shared between runs: build them under a lock
# so that parallel runs wait for one another instead of racing.
exec 9>"$RIG_CACHE/.lock"
flock -w 1800 9 || { echo "run.sh: timed out waiting for $RIG_CACHE/.lock" >&2; exit 125; }
rig_kernel || skip "$RIG_SKIP_REASON"
rc=0
rig_base || rc=$?
[ "$rc" -eq 77 ] && skip "$RIG_SKIP_REASON"
[ "$rc" -eq 0 ] || { echo "run.sh: building the base initramfs failed" >&2; exit 125; }
extra=()
if [ "$fence_scsi" -eq 1 ]; then
	# shellcheck source=tests/rig/qemu/fence-agents.sh
	. "$RIG_DIR/fence-agents.sh"
	rig_fence_agents || rc=$?
	[ "$rc" -eq 77 ] && skip "$RIG_SKIP_REASON"
	[ "$rc" -eq 0 ] || { echo "run.sh: building the fence_scsi archive failed" >&2; exit 125; }
	extra+=("$RIG_FA_CPIO")
fi
exec 9>&-

# The per-run archive: the script, its settings, --bin, --file, --module.
stage=$tmp/run
rig_layout "$stage"
cp "$script" "$stage/rig/test.sh"
{
	echo "RIG_LUNS=$luns"
	echo "RIG_LUN_MB=$lun_mb"
} >"$stage/rig/run.conf"
for b in "${bins[@]}"; do
	rig_copy_bin "$stage" "$b" "/usr/local/bin/${b##*/}"
done
for f in "${files[@]}"; do
	mkdir -p "$stage$(dirname "${f#*:}")"
	cp -RL "${f%%:*}" "$stage${f#*:}"
done
if [ "${#mods[@]}" -gt 0 ]; then
	rig_stage_modules "$stage" "$RIG_KDIR/root" "$RIG_KVER" "${mods[*]}" \
		"$stage/rig/modules.extra" || exit 2
	echo "${mods[*]}" >"$stage/rig/modules.extra.want"
fi
rig_cpio "$stage" "$tmp/run.cpio"
# The kernel unpacks concatenated archives in order, later files on top.
cat "$RIG_BASE" "${extra[@]}" "$tmp/run.cpio" >"$tmp/initrd"
rm -rf "$stage" "$tmp/run.cpio"

console=$tmp/console.log out=$tmp/script.out
: >"$console"
: >"$out"
start=$(date +%s)
rig_say "booting $RIG_KVER under TCG (timeout ${timeout}s, $luns LUN(s))"
# -nodefaults: no NIC (so no user-net reaching outside), no VGA, no
# monitor. ttyS0 = kernel console -> log, ttyS1 = script output + marker.
qemu-system-x86_64 -accel tcg -cpu max -smp "${TANDEM_RIG_SMP:-2}" \
	-m "${TANDEM_RIG_MEM:-1024}" -nographic -nodefaults -no-reboot \
	-monitor none -nic none \
	-serial "file:$console" -serial "file:$out" \
	-kernel "$RIG_KERNEL" -initrd "$tmp/initrd" \
	-append "console=ttyS0,115200 rdinit=/init panic=-1 loglevel=4 mitigations=off" \
	</dev/null >>"$console" 2>&1 &
qemu_pid=$!
if [ "${TANDEM_RIG_QUIET:-0}" != 1 ]; then
	tail -n +1 -s 0.2 -f --pid="$qemu_pid" "$out" | tr -d '\r' | grep -v '^TANDEM-RIG-EXIT=' &
	tail_pid=$!
fi

deadline=$((start + timeout))
timed_out=0
while kill -0 "$qemu_pid" 2>/dev/null; do
	if [ "$(date +%s)" -ge "$deadline" ]; then
		timed_out=1
		kill "$qemu_pid" 2>/dev/null || true
		break
	fi
	sleep 0.2
done
qrc=0
wait "$qemu_pid" || qrc=$?
qemu_pid=""
if [ -n "$tail_pid" ]; then
	wait "$tail_pid" 2>/dev/null || true
	tail_pid=""
fi
elapsed=$(($(date +%s) - start))

if [ -n "$log" ]; then
	cp "$console" "$log"
fi
status=$(tr -d '\r' <"$out" | sed -n 's/^TANDEM-RIG-EXIT=\([0-9]\{1,3\}\)$/\1/p' | tail -n 1)
if [ "$timed_out" -eq 1 ]; then
	rig_say "TIMEOUT after ${timeout}s; qemu killed"
	rc=124
elif [ -z "$status" ]; then
	rig_say "guest gave no exit report (qemu exit $qrc)"
	rc=125
else
	rc=$status
fi
rig_say "guest finished in ${elapsed}s with status $rc"
if [ "$rc" -ne 0 ]; then
	echo "---- last lines of the guest console${log:+ (full log: $log)} ----" >&2
	tr -d '\r' <"$console" | tail -n 40 >&2
	echo "----" >&2
fi
exit "$rc"
