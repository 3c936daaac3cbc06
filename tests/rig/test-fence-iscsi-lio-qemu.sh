#!/bin/bash
# iscsi:// fence devices (libiscsi, straight from user space) against LIO in
# the QEMU rig's guest. LIO keys PR registrations by initiator port (iSCSI
# name + ISID), as SPC-4 says, and tandem gives every session of a node the
# same ISID, so every tandem-fence run is the same I_T nexus, already
# registered by the unfence. A review found that rebind() then took its own
# registration for a preempt, undid it (the node's only one) and reported
# "this node is fenced": takeover and release failed on a healthy node.
# Now the nexus is seen to be registered (a REGISTER of our key to itself
# succeeds) and nothing is undone.
# Run from the repo root, as root, after make. Exit 0 pass, 1 fail, 77 skip,
# 124/125 rig trouble.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib.sh
BUILD=${BUILD:-build}
need_root "the QEMU rig"
need_built "$BUILD/tandem-fence" "$BUILD/rig/iscsi-pr"
t_tmpdir tandem-iscsi-lio
cat >"$T_TMP/guest.sh" <<'EOF'
. /rig/test-lib.sh
. /run/real-tools.sh
URL=iscsi://127.0.0.1:3260/iqn.2026-01.org.tandem.rig:target/0
I1=iqn.2026-01.org.tandem.rig:h1
K1=0x1111111111111111
K2=0x2222222222222222
F() { tandem-fence -d "$URL" -i "$I1" -k "$K1" --peer-key "$K2" --log-target console "$@"; }
keys() { iscsi-pr -t 5 -r 3 "$URL" read-keys | tr '\n' ' '; }
has1() { iscsi-pr -t 5 -r 3 "$URL" read-keys | grep -qx "key $K1"; }
holder1() { iscsi-pr -t 5 -r 3 "$URL" read-reservation | grep -q "^holder $K1"; }
F unfence >/dev/null 2>&1 && has1 || { fail "unfence"; finish; }
F unfence >/dev/null 2>&1
n=$(iscsi-pr -t 5 "$URL" read-keys | grep -c "^key $K1")
echo "     two unfences, one registration of our key ($n): every run is the same I_T nexus on LIO"
rc=0; F takeover >/tmp/t.log 2>&1 || rc=$?
if [ "$rc" -eq 0 ] && holder1 && has1; then
	pass "takeover of an unfenced node on LIO: reserved, key registered"
else
	fail "takeover of an unfenced node on LIO: exit $rc; keys now: $(keys); $(tail -n 1 /tmp/t.log)"
fi
F unfence >/dev/null 2>&1
rc=0; F release >/tmp/r.log 2>&1 || rc=$?
if [ "$rc" -eq 0 ] && has1; then
	pass "release on LIO: key stays registered"
else
	fail "release on LIO: exit $rc; keys now: $(keys); $(tail -n 1 /tmp/r.log)"
fi
finish
EOF
echo "iscsi:// (libiscsi) against LIO: takeover and release of an unfenced node"
rc=0
tests/rig/qemu/run.sh --file tests/lib.sh:/rig/test-lib.sh --bin "$BUILD/tandem-fence" --bin "$BUILD/rig/iscsi-pr" \
	--luns 1 --timeout 600 "$T_TMP/guest.sh" || rc=$?
exit "$rc"
