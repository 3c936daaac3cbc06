#!/bin/sh
# Kernel-path fencing in the QEMU rig: one boot of a stock Debian kernel,
# one LIO LUN seen through two open-iscsi initiators, /dev/sda (node A) and
# /dev/sdb (node B), two I_T nexuses to one LU. In the guest:
#   sg transport (SG_IO on sd):
#     (1) A and B unfence; both keys show in sg_persist
#     (2) A takes over: reserved, verified, sg_persist shows A holding
#     (3) B takes over: fences A with PREEMPT AND ABORT (not the fallback)
#     (4) an O_DIRECT write through A's fenced path fails with EBADE
#         ("Invalid exchange", the kernel's reservation conflict) and lands
#         nowhere; B's write succeeds and reads back
#     (5) status --json on B: B holds, write-exclusive-registrants-only,
#         A's key gone; cross-checked with sg_persist -k and -r
#     (6) clear; sg_persist shows no keys and no reservation
#   blkpr transport (kernel IOC_PR_* on a dm-multipath map over sda+sdb):
#     (7) unfence through the map registers the key on BOTH I_T nexuses
#     (8) takeover through the map reserves; sg_persist shows it
#     (9) RELEASE with a wrong key: reservation conflict, as a positive
#         SCSI status from the ioctl; the reservation stays
#    (10) release through the map; status --json; clear through the map
#   I3 on LIO (sg; configs with watch_interval 200ms, timeout 1s):
#    (11) a holder's watch advances the PR generation (its heartbeat)
#    (12) a takeover against the live holder is refused, nothing changes
#    (13) against its frozen watch (SIGSTOP) it fences; on SIGCONT the
#         watch exits 4 and the key stays gone
#    (14) 50 races of takeover + watch: exactly one winner
# Run from the repo root, as root, after `make`. Exit 0 pass, 77 skip
# (reason printed: the rig cannot run here), 124 rig timeout, 125 rig
# failure, anything else: a check failed.
set -eu

cd "$(dirname "$0")/../.."
. tests/lib.sh
BUILD=${BUILD:-build}

need_root "the QEMU rig: kernel cache in /var/cache/tandem-tests"
for b in "$BUILD/tandem-fence" "$BUILD/rig/blkio"; do
	if [ ! -x "$b" ]; then
		echo "test-fence-qemu: $b is missing; run make first" >&2
		exit 1
	fi
done

t_tmpdir tandem-fence-qemu
tmp=$T_TMP

# The checks, run by busybox sh inside the guest (after /run/real-tools.sh).
cat >"$tmp/fence-guest.sh" <<'EOF'
. /rig/test-lib.sh
uptime_s() { read -r _u _ </proc/uptime; echo "$_u"; }
# run OUT CMD...: runs CMD with its output in OUT, shows it indented, and
# returns CMD's exit status.
run() {
	_out=$1
	shift
	echo "  \$ $*"
	_rc=0
	"$@" >"$_out" 2>&1 || _rc=$?
	sed 's/^/    | /' "$_out"
	return "$_rc"
}
# flat FILE: the file without blanks and newlines (for JSON matching).
flat() { tr -d ' \n\t' <"$1"; }
# keys DEV: the registered keys sg_persist reads through DEV, one a line.
keys() { sg_persist --in -k "$1" 2>/dev/null | sed -n 's/^ *\(0x[0-9a-f]*\) *$/\1/p'; }
# nkeys DEV KEY: how many registrations of KEY sg_persist shows through DEV.
nkeys() { keys "$1" | grep -cx "$2" || true; }
# holder DEV: "KEY TYPE-TEXT" of the reservation, or "none".
holder() {
	sg_persist --in -r "$1" >/tmp/res.txt 2>&1
	if grep -q 'NO reservation' /tmp/res.txt; then
		echo none
		return
	fi
	_k=$(sed -n 's/^ *Key=\(0x[0-9a-f]*\).*/\1/p' /tmp/res.txt)
	_t=$(sed -n 's/.*scope:.*type: *\(.*\)$/\1/p' /tmp/res.txt)
	echo "$_k $_t"
}

echo "guest: checks start at uptime $(uptime_s)s"
read -r lun a b sga sgb </rig/disks
echo "LUN $lun: node A = $a ($sga), node B = $b ($sgb)"
KA=0xaaaa KB=0xbbbb KM=0xcccc KX=0xdddd
FA=0x000000000000aaaa FB=0x000000000000bbbb FM=0x000000000000cccc
WERO="Write Exclusive, registrants only"
A="-d $a -k $KA --peer-key $KB"
B="-d $b -k $KB --peer-key $KA"
dd if=/dev/urandom of=/tmp/pa bs=4096 count=1 2>/dev/null
dd if=/dev/urandom of=/tmp/pb bs=4096 count=1 2>/dev/null

echo "== sg transport (SG_IO on $a and $b)"
# (1) unfence both nodes
# shellcheck disable=SC2086 # $A and $B are option words
if run /tmp/o tandem-fence $A unfence && grep -q "registered $FA" /tmp/o &&
	run /tmp/o tandem-fence $B unfence && grep -q "registered $FB" /tmp/o &&
	[ "$(nkeys "$a" "$KA")" = 1 ] && [ "$(nkeys "$a" "$KB")" = 1 ]; then
	pass "(1) A and B unfenced: sg_persist shows $KA and $KB once each"
else
	fail "(1) unfence: sg_persist shows: $(keys "$a" | tr '\n' ' ')"
fi

# (2) A takes over: nobody held it, so A reserves
# shellcheck disable=SC2086
if run /tmp/o tandem-fence $A takeover && grep -q "reserved (write-exclusive-registrants-only)" /tmp/o &&
	grep -q "verified: reservation held by $FA" /tmp/o && [ "$(holder "$b")" = "$KA $WERO" ]; then
	pass "(2) A took over: reserved and verified; sg_persist through B: $(holder "$b")"
else
	fail "(2) A takeover: sg_persist through B shows holder '$(holder "$b")'"
fi
if blkio write "$a" 200 </tmp/pa 2>/tmp/e; then
	pass "(2) A, the holder, writes block 200 through $a"
else
	fail "(2) A, the holder, cannot write through $a: $(cat /tmp/e)"
fi

# (3) B takes over from A, taken to be dead: PREEMPT AND ABORT, no fallback
# shellcheck disable=SC2086
if run /tmp/o tandem-fence $B takeover && grep -q "preempted $FA with PREEMPT AND ABORT" /tmp/o &&
	! grep -q "WARNING" /tmp/o && ! grep -q "with PREEMPT:" /tmp/o &&
	grep -q "verified: reservation held by $FB (write-exclusive-registrants-only), peer's key gone" /tmp/o; then
	pass "(3) B fenced A with PREEMPT AND ABORT and verified"
else
	fail "(3) B takeover did not fence A with PREEMPT AND ABORT (see its output above)"
fi

# (4) A's writes are rejected by the storage; B's are not
if blkio write "$a" 301 </tmp/pa 2>/tmp/e; then
	fail "(4) a write through A's fenced path $a succeeded"
elif grep -q "Invalid exchange" /tmp/e; then
	pass "(4) write through A's fenced path refused: $(cat /tmp/e)"
else
	fail "(4) write through $a failed, but not with EBADE: $(cat /tmp/e)"
fi
if blkio read "$b" 301 >/tmp/back && ! cmp -s /tmp/pa /tmp/back; then
	pass "(4) nothing of A's refused write reached block 301"
else
	fail "(4) block 301 holds what A's refused write carried"
fi
if blkio write "$b" 302 </tmp/pb 2>/tmp/e && blkio read "$a" 302 >/tmp/back && cmp -s /tmp/pb /tmp/back; then
	pass "(4) B, the holder, writes through $b (read back through $a)"
else
	fail "(4) B's write through $b: $(cat /tmp/e)"
fi
echo "  kernel messages about the refused write:"
dmesg | grep -E 'sd [0-9]+:|nexus error|PR command' | tail -n 4 | sed 's/^/    | /'

# (5) status --json on B, cross-checked with sg_persist
rc=0
# shellcheck disable=SC2086
run /tmp/o tandem-fence $B status --json || rc=$?
j=$(flat /tmp/o)
case $j in
*'"holder":"'$FB'","type":"write-exclusive-registrants-only","registered":true,"we_hold":true'*'"held_everywhere":true'*)
	if [ "$rc" = 0 ] && ! echo "$j" | grep -q "$FA"; then
		pass "(5) status --json on B: B holds, write-exclusive-registrants-only, A's key gone (exit $rc)"
	else
		fail "(5) status --json on B: exit $rc, or A's key $FA still listed"
	fi
	;;
*) fail "(5) status --json on B does not show B holding with write-exclusive-registrants-only (exit $rc)" ;;
esac
if [ "$(keys "$b" | tr '\n' ' ')" = "$KB " ] && [ "$(holder "$b")" = "$KB $WERO" ]; then
	pass "(5) sg_persist agrees: keys '$(keys "$b" | tr '\n' ' ')', holder $(holder "$b")"
else
	fail "(5) sg_persist: keys '$(keys "$b" | tr '\n' ' ')', holder '$(holder "$b")'"
fi
rc=0
# shellcheck disable=SC2086
run /tmp/o tandem-fence $A status || rc=$?
if [ "$rc" = 3 ] && grep -q "holder *$FB" /tmp/o; then
	pass "(5) status on A: not held (exit 3), holder $FB"
else
	fail "(5) status on A: exit $rc (want 3, not held)"
fi

# (6) clear, from B
# shellcheck disable=SC2086
if run /tmp/o tandem-fence $B clear --force && [ -z "$(keys "$a")" ] && [ "$(holder "$a")" = none ]; then
	pass "(6) cleared: no keys, no reservation"
else
	fail "(6) clear: keys '$(keys "$a" | tr '\n' ' ')', holder '$(holder "$a")'"
fi

echo "== blkpr transport (IOC_PR_* on a dm-multipath map over $a and $b)"
sectors=$(cat "/sys/block/${a#/dev/}/size")
ma=$(cat "/sys/block/${a#/dev/}/dev")
mb=$(cat "/sys/block/${b#/dev/}/dev")
if dmsetup create rigmp --table "0 $sectors multipath 0 0 1 1 round-robin 0 2 1 $ma 1 $mb 1" &&
	[ -b /dev/mapper/rigmp ]; then
	M="-d /dev/mapper/rigmp -k $KM"
	dm=$(basename "$(readlink -f /sys/dev/block/"$(dmsetup info -c --noheadings -o major,minor rigmp | tr -d ' ')")")
	echo "  map rigmp = $dm, paths: $(ls /sys/block/"$dm"/slaves | tr '\n' ' ')"
	# (7) one REGISTER through the map reaches both I_T nexuses
	# shellcheck disable=SC2086
	if run /tmp/o tandem-fence $M unfence && grep -q "registered $FM" /tmp/o &&
		[ "$(nkeys "$a" "$KM")" = 2 ]; then
		pass "(7) unfence through the map: $KM registered twice (sg_persist -k)"
	else
		fail "(7) unfence through the map: sg_persist -k shows '$(keys "$a" | tr '\n' ' ')' (want $KM twice)"
	fi
	# READ FULL STATUS names the initiator of each registration.
	sg_persist --in -s "$a" >/tmp/full 2>&1
	sed 's/^/    | /' /tmp/full
	pairs=$(awk '/Key=/ { k = $0; sub(/.*Key=/, "", k); sub(/[^0-9a-fx].*/, "", k) }
		/iqn\./ { s = $0; sub(/.*iqn\./, "iqn.", s); sub(/[ ,].*/, "", s); print k, s }' /tmp/full)
	if echo "$pairs" | grep -qx "$KM iqn.2026-01.org.tandem.rig:nodea" &&
		echo "$pairs" | grep -qx "$KM iqn.2026-01.org.tandem.rig:nodeb"; then
		pass "(7) sg_persist -s: $KM is registered through nodea AND nodeb"
	else
		fail "(7) sg_persist -s: registrations (key initiator): $(echo "$pairs" | tr '\n' ';')"
	fi
	# (8) takeover through the map: nobody holds it, so reserve
	# shellcheck disable=SC2086
	if run /tmp/o tandem-fence $M takeover && grep -q "verified: reservation held by $FM" /tmp/o &&
		[ "$(holder "$a")" = "$KM $WERO" ]; then
		pass "(8) takeover through the map: sg_persist shows $(holder "$a")"
	else
		fail "(8) takeover through the map: sg_persist shows '$(holder "$a")'"
	fi
	# (9) RELEASE with a key that is not the holder's: RESERVATION CONFLICT,
	# which the ioctl returns as a positive SCSI status (0x18). Had it
	# returned -EBADE, the report would say "Invalid exchange".
	rc=0
	run /tmp/o tandem-fence -d /dev/mapper/rigmp -k "$KX" release || rc=$?
	if [ "$rc" != 0 ] && grep -q "RELEASE: reservation conflict" /tmp/o && [ "$(holder "$a")" = "$KM $WERO" ]; then
		pass "(9) RELEASE with $KX through the map: reservation conflict (positive status), reservation kept"
	else
		fail "(9) RELEASE with $KX: exit $rc, holder '$(holder "$a")' (want a reservation conflict, $KM kept)"
	fi
	# (10) release, status, clear, all through the map
	# shellcheck disable=SC2086
	if run /tmp/o tandem-fence $M release && [ "$(holder "$a")" = none ] && [ "$(nkeys "$a" "$KM")" = 2 ]; then
		pass "(10) released through the map: no reservation, $KM still registered on both nexuses"
	else
		fail "(10) release through the map: holder '$(holder "$a")', keys '$(keys "$a" | tr '\n' ' ')'"
	fi
	rc=0
	# shellcheck disable=SC2086
	run /tmp/o tandem-fence $M status --json || rc=$?
	case $(flat /tmp/o) in
	*'"holder":null'*'"registered":true,"we_hold":false'*'"held_everywhere":false'*)
		if [ "$rc" = 3 ]; then
			pass "(10) status --json through the map: registered, not held (exit 3)"
		else
			fail "(10) status --json through the map: exit $rc (want 3)"
		fi
		;;
	*) fail "(10) status --json through the map does not show registered-and-not-held (exit $rc)" ;;
	esac
	# shellcheck disable=SC2086
	if run /tmp/o tandem-fence $M clear --force && [ -z "$(keys "$a")" ] && [ -z "$(keys "$b")" ]; then
		pass "(10) cleared through the map: no keys through either path"
	else
		fail "(10) clear through the map: keys '$(keys "$a" | tr '\n' ' ')'"
	fi
	echo "  kernel messages from the PR ioctls:"
	dmesg | grep -E 'sd [0-9]+:|nexus error|PR command|multipath' | tail -n 8 | sed 's/^/    | /'
	dmsetup remove rigmp || fail "dmsetup remove rigmp"
else
	fail "(7-10) dmsetup create of a multipath map over $ma $mb"
fi

echo "== I3 on LIO: the heartbeat, and races of takeover and watch"
# Configs with short intervals (200ms, timeout 1s: a 1.4 s liveness wait).
mkdir -p /etc/tandem-qemu
for n in a b; do
	if [ "$n" = a ]; then d=$a k=$KA p=$KB; else d=$b k=$KB p=$KA; fi
	printf '[cluster]\nname = qemu\nnode = %s\n[fence]\ndevices = %s\nkey = %s\npeer_key = %s\n' "$n" "$d" "$k" "$p" \
		>"/etc/tandem-qemu/$n.conf"
	printf 'timeout = 1s\nwatch_interval = 200ms\ndrain = 0s\n' >>"/etc/tandem-qemu/$n.conf"
	chmod 0600 "/etc/tandem-qemu/$n.conf"
done
CA="-c /etc/tandem-qemu/a.conf --insecure-config -q"
CB="-c /etc/tandem-qemu/b.conf --insecure-config -q"
gen() { sg_persist --in -k "$1" 2>/dev/null | sed -n 's/.*PR generation=\(0x[0-9a-f]*\).*/\1/p'; }
# reset: every key and the reservation gone (a third key through A's path
# replaces A's, then clears everything), then both nodes registered.
reset() {
	sg_persist --out --register-ignore --param-sark=0x7777 "$a" >/dev/null 2>&1
	sg_persist --out --clear --param-rk=0x7777 "$a" >/dev/null 2>&1
	# shellcheck disable=SC2086
	tandem-fence $CA unfence >/dev/null 2>&1 && tandem-fence $CB unfence >/dev/null 2>&1
}
reset || fail "(11) reset"
# shellcheck disable=SC2086
tandem-fence $CA takeover >/dev/null 2>&1 || fail "(11) A takeover"
# shellcheck disable=SC2086
tandem-fence $CA watch >/tmp/watch-a 2>&1 &
wa=$!
sleep 1
g1=$(gen "$b")
sleep 1
g2=$(gen "$b")
if [ -n "$g1" ] && [ -n "$g2" ] && [ $((g2)) -ge $((g1 + 2)) ]; then
	pass "(11) A's watch renews its heartbeat: the PR generation went $g1 -> $g2 in 1 s (REGISTER with the same key)"
else
	fail "(11) heartbeat: generation $g1 -> $g2"
fi
# shellcheck disable=SC2086
if run /tmp/o tandem-fence $CB takeover; then
	fail "(12) B's takeover fenced the live A"
elif grep -q "the peer is alive" /tmp/o && [ "$(nkeys "$a" "$KA")" = 1 ] && [ "$(holder "$b")" = "$KA $WERO" ]; then
	pass "(12) B's takeover against the live A was refused; A still holds, its key registered"
else
	fail "(12) B's takeover against the live A: see its output above"
fi
kill -STOP "$wa"
# shellcheck disable=SC2086
if run /tmp/o tandem-fence $CB takeover && [ "$(nkeys "$a" "$KA")" = 0 ]; then
	pass "(13) A's watch frozen: B's takeover waited, then fenced A"
else
	fail "(13) B's takeover against the frozen A"
fi
kill -CONT "$wa"
rc=0
wait "$wa" || rc=$?
if [ "$rc" = 4 ] && [ "$(nkeys "$a" "$KA")" = 0 ]; then
	pass "(13) on SIGCONT, A's watch exited 4, and A's key stays gone (its heartbeat never registers it again)"
else
	fail "(13) A's watch after SIGCONT: exit $rc, A's key registered $(nkeys "$a" "$KA") times"
fi

races=50
wins=0 bad=0
i=0
while [ "$i" -lt "$races" ]; do
	i=$((i + 1))
	reset || { bad=$((bad + 1)); continue; }
	rm -f /tmp/rc-a /tmp/rc-b
	# shellcheck disable=SC2086
	(tandem-fence $CA takeover >/tmp/race-a 2>&1; r=$?; echo $r >/tmp/rc-a; [ $r = 0 ] && exec tandem-fence $CA watch >/dev/null 2>&1) &
	p1=$!
	# shellcheck disable=SC2086
	(tandem-fence $CB takeover >/tmp/race-b 2>&1; r=$?; echo $r >/tmp/rc-b; [ $r = 0 ] && exec tandem-fence $CB watch >/dev/null 2>&1) &
	p2=$!
	t=0
	while { [ ! -s /tmp/rc-a ] || [ ! -s /tmp/rc-b ]; } && [ "$t" -lt 600 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	ra=$(cat /tmp/rc-a 2>/dev/null) rb=$(cat /tmp/rc-b 2>/dev/null)
	h=$(holder "$b")
	if { [ "$ra" = 0 ] && [ "$rb" = 3 ] && [ "$h" = "$KA $WERO" ] && [ "$(nkeys "$a" "$KB")" = 1 ]; } ||
		{ [ "$rb" = 0 ] && [ "$ra" = 3 ] && [ "$h" = "$KB $WERO" ] && [ "$(nkeys "$a" "$KA")" = 1 ]; }; then
		wins=$((wins + 1))
	else
		bad=$((bad + 1))
		echo "    race $i: A exit $ra, B exit $rb, holder $h"
		tail -n 3 /tmp/race-a | sed 's/^/    A | /'
		tail -n 3 /tmp/race-b | sed 's/^/    B | /'
	fi
	kill "$p1" "$p2" 2>/dev/null
	wait "$p1" 2>/dev/null
	wait "$p2" 2>/dev/null
done
if [ "$bad" = 0 ]; then
	pass "(14) $races races of takeover and watch on LIO: exactly one winner each time, the loser exited 3 with its key registered"
else
	fail "(14) $bad of $races races on LIO did not end with exactly one winner"
fi

echo "guest: checks end at uptime $(uptime_s)s"
finish
EOF

echo "fencing through the kernel: SG_IO and IOC_PR_* against LIO, two initiators, one LU"
rc=0
tests/rig/qemu/run.sh --file tests/lib.sh:/rig/test-lib.sh --bin "$BUILD/tandem-fence" --bin "$BUILD/rig/blkio" --luns 1 --timeout 900 \
	"$tmp/fence-guest.sh" || rc=$?
exit "$rc"
