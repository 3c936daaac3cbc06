#!/bin/sh
# Takeover on a real kernel (the QEMU rig: LIO, 4 LUs each through two
# open-iscsi initiators, node A's disks and node B's, see /rig/disks): node B
# fences node A, which holds the reservation, on 1 LU and on 4 LUs, with
#   tandem      tandem-fence takeover --force (one process, PREEMPT AND ABORT
#               through SG_IO). --force: like fence_scsi -o off, this is an
#               order to fence a node known to be dead; without it the
#               takeover first watches the holder's heartbeat for
#               takeover_wait (I3), which is a wait, not work;
#   fence_scsi  fence-agents' real `fence_scsi -o off -k A -d B's disks`
#               (Python; it runs sg_turs and sg_persist per step);
#   sequence    the sg_persist commands fence_scsi's "off" boils down to, per
#               LU: read the keys, read the reservation, PREEMPT AND ABORT,
#               read the keys again, one process each;
#   floor       one sg_persist process per LU doing one PREEMPT AND ABORT and
#               nothing else: the floor of any process-per-fence design.
# All in the same boot, each run from the same state: A registered and holding
# the reservation, B registered (reset with tandem-fence before every run,
# checked with sg_persist after it: A's key gone, B holding). A round of
# each is run first and thrown away. Medians of RUNS (default 9), timed
# inside the guest by the shell itself (busybox sh's $EPOCHREALTIME: no
# timer process, whose ~40 ms under TCG would blur the floor). The guest
# runs under TCG emulation: absolute figures are slow, the ratios are the
# point.
# Not a test.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-9}
case $RUNS in '' | *[!0-9]* | 0) echo "RUNS must be a positive number"; exit 2 ;; esac
[ -x "$BUILD/tandem-fence" ] || { echo "run make first"; exit 1; }
tmp=$(mktemp -d /tmp/tandem-bench-qemu.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/guest.sh" <<EOF2
RUNS=$RUNS
EOF2
cat >>"$tmp/guest.sh" <<'EOF2'
# now: microseconds, without a process
now() { _t=$EPOCHREALTIME; _t=${_t%.*}${_t#*.}; }
[ -n "${EPOCHREALTIME:-}" ] || { echo "this sh has no EPOCHREALTIME"; exit 1; }
F=tandem-fence
# Per LUN count n: node A's and node B's "-d DEV" options, B's disks as a
# list and as fence_scsi's comma-separated one.
for n in 1 4; do
	eval "DA$n=\"$(head -n $n /rig/disks | awk '{ printf " -d %s", $2 }')\""
	eval "DB$n=\"$(head -n $n /rig/disks | awk '{ printf " -d %s", $3 }')\""
	eval "BL$n=\"$(head -n $n /rig/disks | awk '{ printf " %s", $3 }')\""
	eval "BC$n=\"$(head -n $n /rig/disks | awk '{ printf "%s%s", (NR > 1) ? "," : "", $3 }')\""
done
[ "$(wc -l </rig/disks)" -ge 4 ] || { echo "want 4 LUNs, have: $(cat /rig/disks)"; exit 1; }
# fence_scsi "off" reads the fencing node's own key from here ("on" writes it).
mkdir -p /var/run
echo bbbb >/var/run/cluster.key

# State before every run: A registered and holding, B registered.
reset() {
	# shellcheck disable=SC2086 # word splitting wanted
	$F -q $db -k 0xbbbb clear --force >/dev/null 2>&1 || true
	$F -q $da -k 0xaaaa unfence >/dev/null
	$F -q $db -k 0xbbbb unfence >/dev/null
	$F -q $da -k 0xaaaa --peer-key 0xbbbb takeover >/dev/null
}
run_tandem() {
	$F -q $db -k 0xbbbb --peer-key 0xaaaa --force takeover
}
run_fence_scsi() {
	fence_scsi -o off -k aaaa -d "$bc"
}
run_sequence() {
	for d in $bl; do
		sg_persist -n -i -k -d "$d" >/dev/null || return 1
		sg_persist -n -i -r -d "$d" >/dev/null || return 1
		sg_persist -n -o -A -T 5 -K 0xbbbb -S 0xaaaa -d "$d" >/dev/null || return 1
		sg_persist -n -i -k -d "$d" | grep -q 0xaaaa && { echo "$d: A still registered"; return 1; }
	done
	return 0
}
run_floor() {
	for d in $bl; do
		sg_persist -n -o -A -T 5 -K 0xbbbb -S 0xaaaa -d "$d" >/dev/null || return 1
	done
}
# After a run: A's key gone from every disk, B holding the reservation.
verify() {
	case $1 in
	tandem) grep -q "PREEMPT AND ABORT" /tmp/out || { echo "tandem: no PREEMPT AND ABORT"; return 1; } ;;
	fence_scsi) grep -q "Success: Powered OFF" /tmp/out || { echo "fence_scsi: no success"; return 1; } ;;
	esac
	for d in $bl; do
		if sg_persist -n -i -k -d "$d" | grep -q 0xaaaa; then
			echo "$1: A still registered on $d"
			return 1
		fi
		sg_persist -n -i -r -d "$d" | grep -qi "key=0xbbbb" ||
			{ echo "$1: B does not hold $d"; return 1; }
	done
}
VARIANTS="tandem fence_scsi sequence floor"
# measure N VARIANT FILE: one run of VARIANT on N LUNs, microseconds to FILE.
measure() {
	eval "da=\$DA$1 db=\$DB$1 bl=\$BL$1 bc=\$BC$1"
	reset
	now
	t0=$_t
	"run_$2" >/tmp/out 2>&1 || { echo "$2 on $1 LUN(s) failed:"; cat /tmp/out; exit 1; }
	now
	verify "$2" || { cat /tmp/out; exit 1; }
	echo $((_t - t0)) >>"$3"
}
i=0
while [ "$i" -le "$RUNS" ]; do
	for n in 1 4; do
		for v in $VARIANTS; do
			# round 0 warms up and is not counted
			if [ "$i" -eq 0 ]; then f=/dev/null; else f=/tmp/t.$v.$n; fi
			measure "$n" "$v" "$f"
		done
	done
	i=$((i + 1))
done
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { printf "%d\n", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
for n in 1 4; do
	for v in $VARIANTS; do
		eval "m_${v}_$n=$(median /tmp/t.$v.$n)"
	done
done
ms() { awk -v u="$1" 'BEGIN { printf "%8.1f", u / 1000 }'; }
x() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%6.2fx", (b > 0) ? a / b : 0 }'; }
row() { # label variant
	printf '  %-34s %s ms %s   %s ms %s\n' "$1" \
		"$(ms "$(eval echo "\$m_$2_1")")" "$(x "$(eval echo "\$m_$2_1")" "$m_tandem_1")" \
		"$(ms "$(eval echo "\$m_$2_4")")" "$(x "$(eval echo "\$m_$2_4")" "$m_tandem_4")"
}
echo "B fences A (takeover) on LIO, medians of $RUNS runs (guest under TCG);"
echo "each figure and its ratio to tandem-fence takeover --force:"
printf '  %-34s %21s   %21s\n' "" "1 LUN" "4 LUNs"
row "tandem-fence takeover --force" tandem
row "fence_scsi -o off" fence_scsi
row "sg_persist sequence (4 per LUN)" sequence
row "one sg_persist PREEMPT AND ABORT" floor
echo "goals: fence_scsi / tandem >= 20x on 1 LUN; tandem / floor <= 1.3x"
printf '  fence_scsi / tandem: %s (1 LUN)  %s (4 LUNs)\n' \
	"$(x "$m_fence_scsi_1" "$m_tandem_1")" "$(x "$m_fence_scsi_4" "$m_tandem_4")"
printf '  tandem / floor:      %s (1 LUN)  %s (4 LUNs)\n' \
	"$(x "$m_tandem_1" "$m_floor_1")" "$(x "$m_tandem_4" "$m_floor_4")"
EOF2
tests/rig/qemu/run.sh --bin "$BUILD/tandem-fence" --luns 4 --fence-scsi \
	--timeout 1800 "$tmp/guest.sh"
