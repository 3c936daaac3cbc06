#!/bin/bash
# The heartbeat's cost on the target (I3): a holder's watch sends one
# REGISTER (our key as old and new) per fence device per watch_interval.
# Measured on tgtd with 1 and 4 LUNs and the default watch_interval (2s):
# the PR generation's advance on each LUN over a 20 s window, as commands
# per second per group, against what the design says (LUNs / interval).
# Prints figures; not a test.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
. tests/lib.sh
. tests/rig/tgtd.sh
why=$(tgtd_can_run) || { echo "bench-heartbeat-tgtd: skip: $why"; exit 0; }
FENCE=$BUILD/tandem-fence
PR=$BUILD/rig/iscsi-pr
WINDOW=${WINDOW:-20}

t_tmpdir tandem-hb
WORK=$T_TMP
W=
at_exit 'if [ -n "$W" ]; then kill "$W" 2>/dev/null; wait "$W" 2>/dev/null; fi; tgtd_stop >/dev/null'
gen() { "$PR" -t 10 "$TGTD_URL/$1" read-keys 2>/dev/null | awk '/^generation/ {print strtonum($2)}'; }

printf '%-6s %-12s %-22s %-16s\n' LUNs interval "heartbeats/s, measured" "design (LUNs/interval)"
for nluns in 1 4; do
	tgtd_start "$nluns" >/dev/null || { echo "tgtd did not start"; exit 1; }
	devs=" $TGTD_URL/1"
	for ((l = 2; l <= nluns; l++)); do devs="$devs
  $TGTD_URL/$l"; done
	cat >"$WORK/a.conf" <<CONF
[cluster]
name = bench
node = a
peer = b
[fence]
devices =$devs
initiator = iqn.2026-11.org.tandem.bench:a
CONF
	chmod 0600 "$WORK/a.conf"
	"$FENCE" -q -c "$WORK/a.conf" unfence >/dev/null && "$FENCE" -q -c "$WORK/a.conf" takeover >/dev/null || exit 1
	"$FENCE" -c "$WORK/a.conf" --log-target console watch >"$WORK/watch.log" 2>&1 &
	W=$!
	sleep 3
	g0=() g1=()
	for ((l = 1; l <= nluns; l++)); do g0[l]=$(gen "$l"); done
	t0=$(date +%s.%N)
	sleep "$WINDOW"
	for ((l = 1; l <= nluns; l++)); do g1[l]=$(gen "$l"); done
	t1=$(date +%s.%N)
	total=0
	for ((l = 1; l <= nluns; l++)); do total=$((total + g1[l] - g0[l])); done
	awk -v n="$nluns" -v c="$total" -v a="$t0" -v b="$t1" \
		'BEGIN { printf "%-6d %-12s %-22.2f %-16.2f\n", n, "2s", c / (b - a), n / 2 }'
	kill "$W"
	wait "$W" 2>/dev/null
	W=
	tgtd_stop >/dev/null
done
echo "(each heartbeat is one PERSISTENT RESERVE OUT: REGISTER, 24 bytes of parameters, per LUN per"
echo " interval; a passive node sends none: only the holder's watch renews it)"
