#!/bin/bash
# Takeover latency against tgtd on 1, 16 and 64 LUNs: tandem-fence (one
# process, one session per LUN, the fixed order) against the same steps done
# the way fence_scsi does them: one process per command, devices one after
# another (here iscsi-pr, a libiscsi client, stands in for sg_persist, which
# needs a kernel SCSI device this host does not have).
# Per LUN the fence_scsi-style sequence is what its "off" runs: read the keys,
# read the reservation, preempt the victim, read the keys again to verify,
# each its own process. One deviation: tgtd ties a registration to the login
# session, so a PREEMPT from a fresh process is refused; register and preempt
# share one process (one session) here, which only flatters the baseline.
# Both start from the same state: the peer holds every LUN, we are registered.
# Prints medians over RUNS runs (default 7) and the ratio. Not a test.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
RUNS=${RUNS:-7}
SIZES=${SIZES:-"1 16 64"}
PR=$BUILD/rig/iscsi-pr
FENCE=$BUILD/tandem-fence
. tests/rig/tgtd.sh
why=$(tgtd_can_run) || { echo "skip: $why"; exit 77; }
[ -x "$PR" ] && [ -x "$FENCE" ] || { echo "run make first"; exit 1; }

IQN_A=iqn.2026-11.org.tandem.bench:a
IQN_B=iqn.2026-11.org.tandem.bench:b
KA=0xaaaa
KB=0xbbbb
trap 'tgtd_stop >/dev/null' EXIT

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

printf '%-6s %14s %20s %8s\n' LUNs "tandem-fence" "fence_scsi-style" ratio
for n in $SIZES; do
	tgtd_start "$n" 8 >/dev/null || { echo "tgtd did not start"; exit 1; }
	devs=()
	for ((l = 1; l <= n; l++)); do devs+=(-d "$TGTD_URL/$l"); done
	FA=("$FENCE" -q "${devs[@]}" -i "$IQN_A" -k "$KA" --peer-key "$KB")
	FB=("$FENCE" -q "${devs[@]}" -i "$IQN_B" -k "$KB" --peer-key "$KA")
	"${FB[@]}" unfence >/dev/null
	t_tandem=() t_scsi=()
	for ((r = 0; r < RUNS; r++)); do
		# The peer (b) holds everything; we (a) are registered.
		"${FA[@]}" unfence >/dev/null
		"${FB[@]}" takeover >/dev/null 2>&1 || "${FB[@]}" takeover >/dev/null 2>&1
		"${FA[@]}" unfence >/dev/null
		t0=$(now_ms)
		"${FA[@]}" takeover >/dev/null 2>&1 || { echo "tandem-fence takeover failed"; exit 1; }
		t_tandem+=($(($(now_ms) - t0)))

		"${FB[@]}" unfence >/dev/null
		"${FB[@]}" takeover >/dev/null 2>&1
		"${FA[@]}" unfence >/dev/null
		t0=$(now_ms)
		for ((l = 1; l <= n; l++)); do
			u=$TGTD_URL/$l
			"$PR" -i "$IQN_A" -r 3 "$u" read-keys >/dev/null
			"$PR" -i "$IQN_A" -r 3 "$u" read-reservation >/dev/null
			printf 'register %s\npreempt %s %s 5\n' "$KA" "$KA" "$KB" |
				"$PR" -i "$IQN_A" -r 3 "$u" session | tail -n 1 | grep -qx ok || { echo "preempt failed"; exit 1; }
			"$PR" -i "$IQN_A" -r 3 "$u" read-keys | grep -q "$(printf '0x%016x' "$KB")" && { echo "verify failed"; exit 1; }
		done
		t_scsi+=($(($(now_ms) - t0)))
	done
	mt=$(printf '%s\n' "${t_tandem[@]}" | median)
	ms=$(printf '%s\n' "${t_scsi[@]}" | median)
	printf '%-6s %11s ms %17s ms %7.1fx\n' "$n" "$mt" "$ms" "$(awk -v a="$ms" -v b="$mt" 'BEGIN { print (b > 0) ? a / b : 0 }')"
	tgtd_stop >/dev/null
done
