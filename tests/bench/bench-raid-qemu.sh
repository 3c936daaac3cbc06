#!/bin/bash
# md RAID health on a real kernel, in ONE boot of the QEMU rig
# (tests/rig/qemu/run.sh): a RAID1 /dev/md0 over two loop devices, healthy
# and then degraded (`mdadm --fail` of one member). Timed, interleaved (the
# order rotates run by run), medians of RUNS (default 9, at least 9):
#   tandem-raid check /dev/md0          (reads sysfs; exit 0 ok, 3 degraded)
#   mdadm --detail --test /dev/md0      (exit 0 ok, 1 degraded)
#   resource-agents' mdraid monitor     (heartbeat/mdraid with the OCF shell
#     library, mdadm_conf from `mdadm --detail --scan`). Its shebang is
#     #!/bin/sh, which on Debian is dash, so it runs under dash here (the
#     guest's /bin/sh is busybox). Twice: with the guest's busybox applets for
#     the helpers it runs (sed, grep, wc, which, basename, stat, dd, tty,
#     blockdev; mdadm and blkid are real), and with Debian's own helpers
#     (passed in with --bin, first in PATH; EGREP pointed at real grep),
#     which is what a Debian node runs. It exits 0 on the degraded array too
#     (it only logs "has at least one failed device"), so on that row its
#     success is checked by that warning.
# Every run's exit status (and for the agent its log line) is checked; a
# wrong one stops the benchmark. Timing is bash's EPOCHREALTIME inside the
# guest (bash passed in with --bin), so no process is started to read the
# clock. The guest runs under TCG emulation: every exec is slow, absolute
# figures are far above a real machine's; the ratios are the point. Not a
# test.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib.sh
BUILD=${BUILD:-build}
RUNS=${RUNS:-9}
need_built "$BUILD/tandem-raid"
[ "$RUNS" -ge 9 ] 2>/dev/null || { echo "RUNS must be at least 9"; exit 2; }
need_root "the QEMU rig"
OCF=/usr/lib/ocf
RA=$OCF/resource.d/heartbeat/mdraid
if [ ! -r "$RA" ] || [ ! -r "$OCF/lib/heartbeat/ocf-shellfuncs" ]; then
	skip "resource-agents' mdraid agent is missing"
fi
helpers="sed grep wc which basename stat dd tty blockdev"
bins=()
for p in bash dash $helpers; do
	b=$(command -v "$p") || skip "$p is missing on the host"
	bins+=(--bin "$b")
done
t_tmpdir tandem-bench-raid
tmp=$T_TMP

# The guest side: busybox sh hands over to bash at once.
cat >"$tmp/guest.sh" <<'EOF2'
exec /usr/local/bin/bash /rig/bench.bash
EOF2
{
	echo "RUNS=$RUNS"
	echo "HELPERS='$helpers'"
} >"$tmp/bench.bash"
cat >>"$tmp/bench.bash" <<'EOF2'
set -u
cd /tmp || exit 1
. /rig/test-lib.sh
# broken WHAT: a run went wrong; the benchmark stops (with the stderr it kept).
broken() {
	[ -s /tmp/err ] && sed 's/^/    /' /tmp/err | tail -n 15
	die "$*"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

truncate -s 64M /tmp/md0.img /tmp/md1.img
l0=$(losetup -f --show /tmp/md0.img) || broken "losetup"
l1=$(losetup -f --show /tmp/md1.img) || broken "losetup"
mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --metadata=1.2 "$l0" "$l1" >/tmp/err 2>&1 || broken "mdadm --create"
mdadm --wait /dev/md0 >/dev/null 2>&1
mdadm --detail --scan >/tmp/mdadm.conf
grep -q '^ARRAY /dev/md0 .*UUID=' /tmp/mdadm.conf || broken "mdadm --detail --scan: $(cat /tmp/mdadm.conf)"

# The agent: dash, as Debian's /bin/sh; PATH decides whose helpers it runs
# (busybox's in /usr/bin and /bin, or Debian's in /usr/local/bin).
ra_env=(OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=md0 OCF_RESKEY_mdadm_conf=/tmp/mdadm.conf
	OCF_RESKEY_md_dev=/dev/md0 OCF_RESKEY_CRM_meta_interval=0)
RA=(/usr/local/bin/dash /usr/lib/ocf/resource.d/heartbeat/mdraid monitor)
cmd_tandem=(tandem-raid check /dev/md0)
cmd_mdadm=(mdadm --detail --test /dev/md0)
cmd_start=(tandem-raid -V)
cmd_rabb=(env "${ra_env[@]}" PATH=/usr/sbin:/usr/bin:/sbin:/bin "${RA[@]}")
cmd_radeb=(env "${ra_env[@]}" PATH="$PATH" "EGREP=/usr/local/bin/grep -E" "${RA[@]}")
for h in $HELPERS; do
	[ -x "/usr/local/bin/$h" ] || broken "Debian's $h was not passed in"
done
[ "$(command -v sed)" = /usr/local/bin/sed ] || broken "Debian's sed is not first in PATH"

T=0
# timed NAME WANT_RC [LOG_PATTERN]: runs cmd_NAME, sets T (microseconds)
timed() {
	local -n cmd=cmd_$1
	local t0 rc
	t0=${EPOCHREALTIME/./}
	"${cmd[@]}" >/tmp/out 2>/tmp/err
	rc=$?
	T=$((${EPOCHREALTIME/./} - t0))
	[ "$rc" = "$2" ] || { cat /tmp/out >>/tmp/err; broken "$1 (${cmd[*]}): exit $rc, wanted $2"; }
	if [ -n "${3:-}" ]; then
		grep -q "$3" /tmp/out /tmp/err || broken "$1: no '$3' in its output"
	fi
}

declare -A t
# bench STATE: RUNS rounds over the five, the order rotating
bench() {
	local state=$1 r i n names=(tandem mdadm rabb radeb start)
	local -A want=() pat=()
	if [ "$state" = healthy ]; then
		want=([tandem]=0 [mdadm]=0 [rabb]=0 [radeb]=0 [start]=0)
		pat=([tandem]='ok ' [mdadm]='' [rabb]='monitoring' [radeb]='monitoring' [start]='tandem-raid')
	else
		want=([tandem]=3 [mdadm]=1 [rabb]=0 [radeb]=0 [start]=0)
		pat=([tandem]='degraded' [mdadm]='' [rabb]='at least one failed device' [radeb]='at least one failed device' [start]='tandem-raid')
	fi
	for n in "${names[@]}"; do timed "$n" "${want[$n]}" "${pat[$n]}"; done # warm-up
	for ((r = 0; r < RUNS; r++)); do
		for ((i = 0; i < ${#names[@]}; i++)); do
			n=${names[(r + i) % ${#names[@]}]}
			timed "$n" "${want[$n]}" "${pat[$n]}"
			t[$state.$n]+="$T "
		done
	done
	if [ "$state" = healthy ]; then
		grep -q 'failed device' /tmp/err && broken "the agent saw a failed device on the healthy array"
	fi
	return 0
}

mdline() { echo "$(grep '^md0' /proc/mdstat) $(grep -A1 '^md0' /proc/mdstat | grep -o '\[[U_]*\]')"; }
echo "healthy: $(mdline)"
bench healthy
mdadm /dev/md0 --fail "$l1" >/dev/null 2>&1 || broken "mdadm --fail $l1"
for ((i = 0; i < 100; i++)); do
	[ "$(cat /sys/block/md0/md/degraded)" = 1 ] && break
	sleep 0.1
done
echo "degraded: $(mdline)"
bench degraded

med() { printf '%s\n' ${t[$1]} | median; }
ms() { awk -v u="$1" 'BEGIN { printf "%.1f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", (b > 0) ? a / b : 0 }'; }
echo
echo "md RAID1 over two loop devices, medians of $RUNS runs in ms (guest under TCG);"
echo "ratio = that command / tandem-raid check"
printf '%-9s %12s %14s %6s %16s %6s %16s %6s\n' array "tandem-raid" "mdadm --test" ratio \
	"mdraid(busybox)" ratio "mdraid(Debian)" ratio
for s in healthy degraded; do
	a=$(med "$s.tandem") b=$(med "$s.mdadm") c=$(med "$s.rabb") d=$(med "$s.radeb")
	printf '%-9s %12s %14s %6s %16s %6s %16s %6s\n' "$s" "$(ms "$a")" "$(ms "$b")" "$(ratio "$b" "$a")" \
		"$(ms "$c")" "$(ratio "$c" "$a")" "$(ms "$d")" "$(ratio "$d" "$a")"
done
echo
echo "for scale, in the same rotation: tandem-raid -V (exec and dynamic linking, no check):"
echo "  $(ms "$(med healthy.start)") ms (healthy rounds), $(ms "$(med degraded.start)") ms (degraded rounds)"
echo "exit statuses: tandem-raid 0 / 3 (degraded), mdadm --test 0 / 1, mdraid monitor 0 / 0"
echo "(the agent reports the degraded array only as a logged warning)"
mdadm --stop /dev/md0 >/dev/null 2>&1
losetup -d "$l0" "$l1"
exit 0
EOF2

tests/rig/qemu/run.sh --file tests/lib.sh:/rig/test-lib.sh --bin "$BUILD/tandem-raid" "${bins[@]}" \
	--file "$OCF/lib/heartbeat:$OCF/lib/heartbeat" --file "$RA:$RA" \
	--file "$tmp/bench.bash:/rig/bench.bash" \
	--luns 0 --timeout 900 "$tmp/guest.sh"
