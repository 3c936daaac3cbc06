#!/bin/bash
# tests/rig/smoke-tgtd.sh: the tgtd rig's smoke test.
#
# Starts a private tgtd with 2 LUNs on 127.0.0.1, then two initiators
# ("nodes", two IQNs), each with one login session kept open, register two
# different keys on each LUN (REGISTER AND IGNORE EXISTING KEY). Each node
# must then see both keys with READ KEYS on each LUN, the PR generation must
# have gone up by exactly one per registration, and a third initiator must
# see the same. Checks the LUNs' identities too, and that tgtd stops cleanly.
#
# Run from anywhere, as root, after `make` (needs $BUILD/rig/iscsi-pr;
# BUILD defaults to build). Exit: 0 pass, 77 skip (reason printed), 1 fail.
set -u

here=${BASH_SOURCE[0]%/*}
[ "$here" = "${BASH_SOURCE[0]}" ] && here=.
ROOT=$(cd "$here/../.." && pwd) || exit 1
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
PR=$BUILD/rig/iscsi-pr
NODE1=iqn.2026-11.org.tandem.test:node1
NODE2=iqn.2026-11.org.tandem.test:node2
KEY1=0x7a1e0000000000a1
KEY2=0x7a1e0000000000b2
READ_TIMEOUT=20    # seconds to wait for one session reply (session.sh)

say() { printf 'smoke-tgtd: %s\n' "$*"; }

. tests/lib.sh
# shellcheck source=tests/rig/tgtd.sh
. tests/rig/tgtd.sh || die "cannot load tests/rig/tgtd.sh"
reason=$(tgtd_can_run) || skip "${reason#tgtd rig: skip: }"
need_built "$PR"

T0=${EPOCHREALTIME}
t_tmpdir tandem-smoke
WORK=$T_TMP
# shellcheck source=tests/rig/session.sh
. tests/rig/session.sh

elapsed() { awk -v a="$1" -v b="${EPOCHREALTIME}" 'BEGIN { printf "%.2f s", b - a }'; }

at_exit --check tgtd_stop
at_exit sessions_close

# parse_keys LINE: from "generation 0x.. key 0x.. key 0x..", set GEN (decimal)
# and KEYS (the key words). Returns 1 when LINE is not READ KEYS output.
parse_keys() {
	local -a w
	read -r -a w <<<"$1"
	KEYS=()
	GEN=""
	[ "${#w[@]}" -ge 2 ] && [ "${w[0]}" = generation ] || return 1
	[[ ${w[1]} =~ ^0x[0-9a-f]{8}$ ]] || return 1
	GEN=$((w[1]))
	local i
	for ((i = 2; i < ${#w[@]}; i += 2)); do
		[ "${w[i]}" = key ] && [[ ${w[i + 1]:-} =~ ^0x[0-9a-f]{16}$ ]] || return 1
		KEYS+=("${w[i + 1]}")
	done
	return 0
}

# has_key KEY: KEY (0x, any width) is among KEYS.
has_key() {
	local k want
	want=$(printf '0x%016x' "$1")
	for k in "${KEYS[@]}"; do
		[ "$k" = "$want" ] && return 0
	done
	return 1
}

say "starting a private tgtd with 2 LUNs"
t=${EPOCHREALTIME}
tgtd_start 2 || die "tgtd_start 2"
TGTD_PID_STARTED=$TGTD_PID
TGTD_PORT_STARTED=$TGTD_PORT
pass "tgtd PID $TGTD_PID on 127.0.0.1:$TGTD_PORT, target $TGTD_IQN ($(elapsed "$t"))"

# The LUNs answer, each with the serial the rig gave it.
say "LUN identities (as the checker initiator, one login each)"
declare -A SERIAL
for lun in 1 2; do
	out=$("$PR" -t 10 "$TGTD_URL/$lun" inquiry-serial 2>&1)
	want="serial $(tgtd_serial "$lun")"
	if [ "$out" = "$want" ]; then
		pass "LUN $lun: $out"
	else
		fail "LUN $lun: inquiry-serial said '$out', want '$want'"
	fi
	SERIAL[$lun]=$out
done
if [ "${SERIAL[1]}" != "${SERIAL[2]}" ]; then
	pass "the two LUNs have different serials"
else
	fail "both LUNs report '${SERIAL[1]}'"
fi

# Fresh LUNs: no keys. Remember each LUN's generation.
declare -A GEN0
for lun in 1 2; do
	out=$("$PR" -t 10 "$TGTD_URL/$lun" read-keys 2>&1)
	if parse_keys "$(tr '\n' ' ' <<<"$out")" && [ "${#KEYS[@]}" -eq 0 ]; then
		GEN0[$lun]=$GEN
		pass "LUN $lun starts with no keys (generation $GEN)"
	else
		die "LUN $lun: read-keys on a fresh LUN said: $(tr '\n' ' ' <<<"$out")"
	fi
done

say "node1 ($NODE1) and node2 ($NODE2) log in, one session each"
session_open node1 "$NODE1" "$TGTD_URL/1"
session_open node2 "$NODE2" "$TGTD_URL/1"
for node in node1 node2; do
	if session_cmd "$node" tur && [ "$REPLY" = ok ]; then
		pass "$node: logged in, TEST UNIT READY ok"
	else
		die "$node: session did not come up: $REPLY"
	fi
done

say "each node registers its key on each LUN (REGISTER AND IGNORE EXISTING KEY)"
for lun in 1 2; do
	for node in node1 node2; do
		key=$KEY1
		[ "$node" = node2 ] && key=$KEY2
		if session_cmd "$node" lun "$lun" && [ "$REPLY" = ok ] &&
		   session_cmd "$node" register "$key" && [ "$REPLY" = ok ]; then
			pass "$node registered $key on LUN $lun"
		else
			fail "$node: register $key on LUN $lun: $REPLY"
		fi
	done
done

say "each node reads the keys on each LUN"
for lun in 1 2; do
	for node in node1 node2; do
		if ! session_cmd "$node" lun "$lun" || [ "$REPLY" != ok ]; then
			fail "$node: switch to LUN $lun: $REPLY"
			continue
		fi
		if ! session_cmd "$node" read-keys || ! parse_keys "$REPLY"; then
			fail "$node: read-keys on LUN $lun: $REPLY"
			continue
		fi
		if [ "${#KEYS[@]}" -eq 2 ] && has_key "$KEY1" && has_key "$KEY2"; then
			pass "$node sees both keys on LUN $lun: ${KEYS[*]}"
		else
			fail "$node on LUN $lun: want exactly $KEY1 and $KEY2, got: ${KEYS[*]:-(none)}"
		fi
		want=$((GEN0[$lun] + 2))
		if [ "$GEN" -eq "$want" ]; then
			pass "$node: LUN $lun generation went from ${GEN0[$lun]} to $GEN (one per registration)"
		else
			fail "$node: LUN $lun generation is $GEN, want $want (was ${GEN0[$lun]}, then 2 registrations)"
		fi
	done
done

say "a third initiator (the checker's default IQN) sees the same"
for lun in 1 2; do
	out=$("$PR" -t 10 "$TGTD_URL/$lun" read-keys 2>&1)
	if parse_keys "$(tr '\n' ' ' <<<"$out")" && [ "${#KEYS[@]}" -eq 2 ] &&
	   has_key "$KEY1" && has_key "$KEY2" && [ "$GEN" -eq $((GEN0[$lun] + 2)) ]; then
		pass "LUN $lun: generation $GEN, keys ${KEYS[*]}"
	else
		fail "LUN $lun: read-keys said: $(tr '\n' ' ' <<<"$out")"
	fi
	out=$("$PR" -t 10 "$TGTD_URL/$lun" read-reservation 2>&1)
	if [ "$(tail -n 1 <<<"$out")" = none ]; then
		pass "LUN $lun: registered, but nobody holds the reservation"
	else
		fail "LUN $lun: read-reservation said: $(tr '\n' ' ' <<<"$out")"
	fi
done

say "sessions log out; tgtd stops"
for node in node1 node2; do
	fd=${S_IN[$node]}
	{ printf 'quit\n' >&"$fd"; } 2>/dev/null
	exec {fd}>&-
	unset "S_IN[$node]"
	if ! wait_gone "${S_PID[$node]}" 100; then
		fail "$node: session PID ${S_PID[$node]} did not end within 10 s of quit"
	elif wait "${S_PID[$node]}"; then
		pass "$node: session ended cleanly"
	else
		fail "$node: session exited with status $?: $(tr '\n' ' ' <"$WORK/$node.err")"
	fi
	fd=${S_OUT[$node]}
	exec {fd}<&-
	unset "S_OUT[$node]" "S_PID[$node]"
done
if tgtd_alive; then
	pass "tgtd PID $TGTD_PID still running after the test"
	t=${EPOCHREALTIME}
	if tgtd_stop; then
		pass "tgtd stopped through tgtadm, without SIGKILL ($(elapsed "$t"))"
	else
		fail "tgtd_stop failed or needed SIGKILL"
	fi
else
	fail "tgtd PID $TGTD_PID died during the test (log: $(tail -n 3 "$TGTD_DIR/tgtd.log" | tr '\n' ' '))"
	tgtd_stop
fi
if [ -e "/proc/$TGTD_PID_STARTED" ] && [ "$(cat "/proc/$TGTD_PID_STARTED/comm" 2>/dev/null)" = tgtd ]; then
	fail "tgtd PID $TGTD_PID_STARTED is still there"
elif [ -n "$(ss -Hltn "sport = :$TGTD_PORT_STARTED")" ]; then
	fail "something still listens on port $TGTD_PORT_STARTED"
else
	pass "tgtd PID $TGTD_PID_STARTED is gone, port $TGTD_PORT_STARTED is free"
fi

say "took $(elapsed "$T0")"
finish
