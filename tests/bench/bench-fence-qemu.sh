#!/bin/sh
# Takeover on a real kernel (the QEMU rig: LIO, one LU through two open-iscsi
# initiators, /dev/sda = node A, /dev/sdb = node B): tandem-fence takeover on
# B, fencing A with PREEMPT AND ABORT through SG_IO, against the sg_persist
# commands fence_scsi runs for an "off" of A: read the keys, read the
# reservation, PREEMPT AND ABORT, read the keys again, one process each.
# Both start from A holding the reservation, B registered. Medians of RUNS
# (default 9), timed inside the guest with coreutils date. The guest runs
# under TCG emulation: absolute figures are slow, the ratio is the point.
# Not a test.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-9}
[ -x "$BUILD/tandem-fence" ] || { echo "run make first"; exit 1; }
tmp=$(mktemp -d /tmp/tandem-bench-qemu.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/guest.sh" <<EOF2
RUNS=$RUNS
EOF2
cat >>"$tmp/guest.sh" <<'EOF2'
read -r _lun A B _sga _sgb </rig/disks
now() { /usr/local/bin/date +%s%N; }
F=tandem-fence
reset() {
	$F -q -d "$B" -k 0xbbbb clear --force >/dev/null 2>&1 || true
	$F -q -d "$A" -k 0xaaaa unfence >/dev/null
	$F -q -d "$B" -k 0xbbbb unfence >/dev/null
	$F -q -d "$A" -k 0xaaaa --peer-key 0xbbbb takeover >/dev/null
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
i=0
: >/tmp/t1
: >/tmp/t2
while [ "$i" -lt "$RUNS" ]; do
	reset
	t0=$(now)
	$F -q -d "$B" -k 0xbbbb --peer-key 0xaaaa takeover >/tmp/out 2>&1 || { cat /tmp/out; exit 1; }
	echo $(( ($(now) - t0) / 1000000 )) >>/tmp/t1
	grep -q "PREEMPT AND ABORT" /tmp/out || { echo "no PREEMPT AND ABORT"; cat /tmp/out; exit 1; }
	reset
	t0=$(now)
	sg_persist -n -i -k -d "$B" >/dev/null
	sg_persist -n -i -r -d "$B" >/dev/null
	sg_persist -n -o -A -T 5 -K 0xbbbb -S 0xaaaa -d "$B" >/dev/null
	sg_persist -n -i -k -d "$B" | grep -q 0xaaaa && { echo "sg_persist: A still registered"; exit 1; }
	echo $(( ($(now) - t0) / 1000000 )) >>/tmp/t2
	i=$((i + 1))
done
m1=$(median </tmp/t1)
m2=$(median </tmp/t2)
echo "takeover of 1 LU on LIO through SG_IO, medians of $RUNS (guest under TCG):"
echo "  tandem-fence takeover:          ${m1} ms"
echo "  fence_scsi-style sg_persist x4: ${m2} ms"
awk -v a="$m2" -v b="$m1" 'BEGIN { printf "  ratio: %.1fx\n", (b > 0) ? a / b : 0 }'
EOF2
tests/rig/qemu/run.sh --bin "$BUILD/tandem-fence" --bin /bin/date --luns 1 --timeout 600 "$tmp/guest.sh"
