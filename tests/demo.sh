#!/bin/bash
# `make demo`: tandem's main job, run for real. Two systemd nodes (db1, db2)
# share one disk; PostgreSQL runs on one of them, on the shared volume, at a
# floating address; a client in a third network namespace inserts numbered
# rows, one transaction each, the whole time. tandem moves the database from
# db1 to db2 (planned), then db2 crashes and tandem takes over on db1,
# fencing db2 through a SCSI-3 reservation on an iSCSI LUN. At the end: a
# timeline of the steps, and the tally of rows committed, found and lost.
# The first run builds the node image (about 2 minutes); later runs take
# well under a minute. Everything it starts, it stops (traps).
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
. tests/rig/cluster/cluster.sh
. tests/rig/tgtd.sh
. tests/rig/cluster/group.sh

bold() { printf '\033[1m%s\033[0m\n' "$*"; }
say() { printf '\n'; bold "== $*"; }
t_start=$SECONDS
tl=()           # the timeline: "clock|node|step|seconds"
note() { tl+=("$EPOCHREALTIME|$1|$2|${3:-}"); }
# tandem_steps NODE FILE EPOCH: what tandem printed into FILE, for a command
# started at EPOCH, into the timeline: its steps ("what  1.234s  outcome",
# one after another), and the units' lines under "units stopping" (began ..
# ended, took) and "units entering active" (+at, +since the previous).
tandem_steps() {
	local line
	while IFS= read -r line; do
		tl+=("$line")
	done < <(awk -v node="$1" -v t0="$3" '
		function add(at, what, d, n) { printf "%.3f|%s|%s|%s\n", t0 + at, n ? n : node, what, d }
		match($0, /^(.{52}) +([0-9]+\.[0-9]+)s  (.*)$/, m) {
			w = m[1]; sub(/ +$/, "", w)
			if (w ~ /^stop tandem-active@/) stop_at = off
			if (w ~ /^start tandem-active@/) start_at = off
			add(off, "tandem: " w " (" m[3] ")", m[2]); off += m[2]; next
		}
		match($0, /^ *units stopping on ([^ ]+)/, u) { base = stop_at; src = u[1]; next }
		/^ *units entering active/ { base = start_at; next }
		match($0, /^ *\+ *([0-9.]+)s \.\. \+ *([0-9.]+)s +\(([0-9.]+)s\) +(.*)$/, m) {
			if (m[4] !~ /\.target$/) add(base + m[1], "  stopped " m[4], m[3], src); next
		}
		match($0, /^ *\+ *([0-9.]+)s +\(\+([0-9.]+)s\) +(.*)$/, m) {
			if (m[3] !~ /\.target$/) add(base + m[1] - m[2], "  started " m[3], m[2]); next
		}' "$2")
}
# show NODE FILE CMD...: run CMD on NODE, show its output, keep it in FILE.
show() {
	local n=$1 f=$2 rc
	shift 2
	printf '\033[2m%s#\033[0m %s\n' "$n" "$*"
	on "$n" "$@" >"$f" 2>&1
	rc=$?
	sed 's/^/  /' "$f"
	return "$rc"
}

bold "tandem $("./$BUILD/tandem" --version | cut -d' ' -f2): PostgreSQL on shared storage, moved and failed over between two nodes"
cat <<'TXT'
The rig, all on this machine: two systemd-nspawn containers with systemd as
PID 1 (db1, db2), each in its own network namespace; a bridge in a third
namespace joins them, and that namespace holds the SAN (tgtd, serving the
fence LUN over iSCSI) and the client. One loop device is the shared disk:
ext4 with PostgreSQL 15's data. The service address 10.77.0.100 moves with
the database. Nothing is sent from the host's own network namespace.
TXT

why=$(group_can_run) || { echo "cannot run the demo here: ${why#*: skip: }"; exit 1; }
work=$(mktemp -d /tmp/tandem-demo.XXXXXX)
cleanup() {
	say "teardown"
	group_rig_stop && echo "the nodes, the SAN, the namespaces and the loop device are gone"
	rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

say "1. the rig (the first run builds the node image: debootstrap and PostgreSQL, about 2 minutes)"
t=$SECONDS
group_rig_start || { echo "the rig did not start"; exit 1; }
note host "rig up: 2 nodes, SAN, PostgreSQL's data on the volume, both unfenced" $((SECONDS - t))
echo "up in $((SECONDS - t))s. Fence LUN: $GROUP_LUN"
K1=$(key_of db1)
K2=$(key_of db2)
echo "keys on the LUN: $(pr_keys)(db1 $K1, db2 $K2)"

say "2. start the group on db1; the client starts writing"
t=$EPOCHREALTIME
show db1 "$work/start" tandem -g "$GROUP" move || exit 1
tandem_steps db1 "$work/start" "$t"
client_sql db1 "CREATE TABLE rows (n integer PRIMARY KEY, node text NOT NULL, at timestamptz NOT NULL DEFAULT now())" || exit 1
client_start "$work/client"
client_wait_rows 30 || exit 1
echo "client: $(client_acked) rows committed through $GROUP_ADDR"

say "3. planned move: db1 -> db2 (tandem move on db2 stops the group on db1 over SSH, then starts it here)"
t=$EPOCHREALTIME
show db2 "$work/move" tandem -g "$GROUP" move || exit 1
tandem_steps db2 "$work/move" "$t"
client_wait_rows 30 || exit 1
gap_move=$(client_gap)
note client "planned move: the client's longest wait for a commit" "$gap_move"
echo "client: $(client_acked) rows committed; its longest wait for a commit: ${gap_move}s"
echo "volume mounts, from both nodes' journals (never both at once):"
never_both_mounted db1 db2 || exit 1
client_stop
client_start "$work/client"

say "4. crash: db2's container is killed while it serves; tandem takeover on db1"
client_wait_rows 20 || exit 1
t=$EPOCHREALTIME
cluster_kill db2 || exit 1
tl+=("$t|db2|CRASH: container killed (port down, SIGKILL to its systemd)|$(awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')")
t=$EPOCHREALTIME
show db1 "$work/takeover" tandem -g "$GROUP" takeover || exit 1
tandem_steps db1 "$work/takeover" "$t"
keys=$(pr_keys)
case " $keys" in
*" $K2 "*) echo "keys on the LUN now: $keys: db2's key is STILL THERE"; exit 1 ;;
*) echo "keys on the LUN now: $keys(db2's key $K2 is gone: db2 is fenced)" ;;
esac
client_wait_rows 30 || exit 1
gap_crash=$(client_gap)
note client "crash failover: the client's longest wait for a commit" "$gap_crash"
client_stop

say "5. what happened"
printf '%-12s  %-6s  %-70s %8s\n' clock node step seconds
printf '%s\n' "${tl[@]}" | sort -t'|' -k1,1n -s | while IFS='|' read -r c n s d; do
	printf '%-12s  %-6s  %-70s %8s\n' "$(date -d "@$c" +%T.%3N)" "$n" "$s" "$d"
done
echo
echo "rows by the node that committed them:"
client_sql db1 "SELECT node, count(*) FROM rows GROUP BY node ORDER BY node" | sed 's/|/: /; s/^/  /'
echo
tally=$(client_tally db1)
rc=$?
read -r _ committed _ found _ lost _ unacked <<<"$(head -n 1 <<<"$tally")"
bold "rows committed (acknowledged to the client): $committed"
bold "rows found in the database afterwards:       $found"
[ "$unacked" -gt 0 ] && echo "(of those, $unacked were committed but the client never heard back: their psql timed out)"
bold "lost: $lost"
[ "$rc" -eq 0 ] || sed -n 2p <<<"$tally"
echo "demo took $((SECONDS - t_start))s"
exit "$rc"
