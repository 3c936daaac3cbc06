#!/bin/bash
# tests/rig/test-tandem-admin-tgtd.sh: `tandem unfence`, `tandem status` and
# `tandem fence` against a real tgtd with 2 LUNs, as two nodes db1 and db2 of
# cluster "erp" (two iSCSI initiators). The configs have [fence] only: no
# [volume], [raid] or [service], so "active" means holding the reservation on
# every device (tandem(8)). peer_address is 127.0.0.1, so the peer probe (TCP
# port 22) runs but is not checked: sshd may or may not listen here.
#
# Steps: both nodes unfence; db1's status says passive and lists both keys
# with node names; after `tandem-fence takeover` on db1, db1 says active and
# db2 passive; `tandem fence db1` from db2; db1 says fenced, db2 active, and
# the independent libiscsi checker (build/rig/iscsi-pr) agrees: db1's key is
# gone and db2's key holds the reservation on both LUNs.
#
# Run as root after `make` (BUILD defaults to build). Exit: 0 pass, 77 skip,
# 1 fail.
set -u

here=${BASH_SOURCE[0]%/*}
[ "$here" = "${BASH_SOURCE[0]}" ] && here=.
ROOT=$(cd "$here/../.." && pwd) || exit 1
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
T=$BUILD/tandem
PR=$BUILD/rig/iscsi-pr
IQN_PREFIX=iqn.2026-11.org.tandem.test
KEY1=0xd53f5e4e178db2f1    # key_derive("erp", "db1"), tests/unit/test-key.c
KEY2=0xa82085faded0a3ac    # key_derive("erp", "db2")

say() { printf 'tandem-admin-tgtd: %s\n' "$*"; }

. tests/lib.sh
# shellcheck source=tests/rig/tgtd.sh
. tests/rig/tgtd.sh || die "cannot load tests/rig/tgtd.sh"
reason=$(tgtd_can_run) || skip "${reason#tgtd rig: skip: }"
need_built "$T" "$BUILD/tandem-fence" "$PR"

t_tmpdir tandem-admin
WORK=$T_TMP
at_exit --check tgtd_stop

say "starting a private tgtd with 2 LUNs"
tgtd_start 2 || die "tgtd_start 2"
pass "tgtd PID $TGTD_PID on 127.0.0.1:$TGTD_PORT"

for n in db1 db2; do
	p=db1
	[ "$n" = db1 ] && p=db2
	cat >"$WORK/$n.conf" <<CONF
[cluster]
name = erp
node = $n
peer = $p
peer_address = 127.0.0.1
[fence]
devices = $TGTD_URL/1 $TGTD_URL/2
initiator = $IQN_PREFIX:$n
timeout = 5s
CONF
	chmod 0600 "$WORK/$n.conf"
done

# tandem_as NODE ARGS...: tandem as NODE.
tandem_as() { "$T" -c "$WORK/$1.conf" "${@:2}"; }
# json_is NODE EXPR WANT WHAT: `tandem status --json` of NODE exits 0, and
# EXPR (a python expression over d) prints WANT.
json_is() { expect_json_value "$4" 0 "$2" "$3" tandem_as "$1" status --json; }
# checker LUN: the keys and holder the independent checker sees, into KEYS, HOLDER.
checker() {
	local out
	out=$("$PR" -t 10 -r 3 "$TGTD_URL/$1" read-keys 2>&1) || { KEYS="(read-keys failed: $out)"; HOLDER=""; return 1; }
	KEYS=$(sed -n 's/^key //p' <<<"$out")
	out=$("$PR" -t 10 -r 3 "$TGTD_URL/$1" read-reservation 2>&1) || { HOLDER="(failed: $out)"; return 1; }
	HOLDER=$(sed -n 's/^holder \(0x[0-9a-f]*\) .*/\1/p' <<<"$out")
	return 0
}

say "before unfence: status works and says fenced (our key is not registered)"
json_is db1 'd["role"]' fenced "db1 status before unfence: role fenced"

say "unfence on both nodes"
expect_rc "db1: tandem unfence" 0 tandem_as db1 unfence
expect_rc "db2: tandem unfence" 0 tandem_as db2 unfence

say "status: both passive"
expect_rc "db1: tandem status" 0 tandem_as db1 status
grep -q '^role  *passive' <<<"$T_OUT" && pass "db1 text status says passive" || fail "db1 text status: $T_OUT"
grep -q "$KEY1 (db1)" <<<"$T_OUT" && grep -q "$KEY2 (db2)" <<<"$T_OUT" &&
	pass "db1 text status names both keys" || fail "db1 text status lacks a named key: $T_OUT"
json_is db1 'd["role"]' passive "db1 JSON role passive"
json_is db1 '" ".join(sorted(k["node"]+"="+k["key"] for dev in d["fence"]["devices"] for k in dev["keys"]))' \
	"db1=$KEY1 db1=$KEY1 db2=$KEY2 db2=$KEY2" "db1 JSON: both keys on both devices, with node names"
json_is db2 'd["role"]' passive "db2 JSON role passive"

say "tandem-fence takeover on db1"
"$BUILD/tandem-fence" -q -c "$WORK/db1.conf" takeover >"$WORK/out" 2>&1 || fail "db1 takeover: $(cat "$WORK/out")"
json_is db1 'd["role"]' active "db1 JSON role active after takeover"
json_is db1 '",".join(str(dev["holder_node"]) for dev in d["fence"]["devices"])' "db1,db1" "db1 holds both devices"
json_is db2 'd["role"]' passive "db2 still passive"
t_run tandem_as db1 status
grep -q '^role  *active' <<<"$T_OUT" && pass "db1 text status says active" || fail "db1 text status: $T_OUT"

say "tandem fence refuses our own node"
expect_rc "db2: tandem fence db2 refused" 2 tandem_as db2 fence db2
json_is db2 'd["role"]' passive "db2 still passive after the refusal"

say "tandem fence db1 from db2"
expect_rc "db2: tandem fence db1" 0 tandem_as db2 fence db1
json_is db1 'd["role"]' fenced "db1 JSON role fenced"
t_run tandem_as db1 status
grep -q '^role  *fenced' <<<"$T_OUT" && pass "db1 text status says fenced" || fail "db1 text status: $T_OUT"
for lun in 1 2; do
	if checker "$lun" && ! grep -qx "$KEY1" <<<"$KEYS" && grep -qx "$KEY2" <<<"$KEYS"; then
		pass "checker, LUN $lun: db1's key gone, db2's there"
	else
		fail "checker, LUN $lun: keys: $KEYS"
	fi
	if [ "$HOLDER" = "$KEY2" ]; then
		pass "checker, LUN $lun: db2 holds the reservation"
	else
		fail "checker, LUN $lun: holder '$HOLDER', wanted $KEY2"
	fi
done
json_is db2 'd["role"]' active "db2 JSON role active (it holds both devices after the preempt)"

finish
