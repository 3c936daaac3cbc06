#!/bin/bash
# ocf-tester (resource-agents) on the OCF agent units/ocf/volume, against an
# ext4 loop device: meta-data against ra-api-1.dtd, validate-all, monitor
# when stopped (7), start, start again, monitor, stop, stop again. The agent
# runs build/tandem-volume through TANDEM_BIN. Needs root and the loop rig.
set -eu
cd "$(dirname "$0")/../.."
. tests/rig/loop.sh

BUILD=${BUILD:-build}
if ! command -v ocf-tester >/dev/null; then
	echo "ocf-tester is missing (package resource-agents; run tools/deps.sh)"
	exit 77
fi
why=$(loop_can_run) || { echo "$why"; exit 77; }
[ -x "$BUILD/tandem-volume" ] || { echo "$BUILD/tandem-volume is not built (make all)"; exit 1; }

base=$(mktemp -d /tmp/tandem-ocf-volume.XXXXXX)
chmod 755 "$base"
cleanup() {
	loop_teardown
	rm -rf "$base"
}
trap cleanup EXIT

label=tocf$RANDOM
loop_setup 200 ext4 "$label"
mkdir "$base/db"
loop_track_mount "$base/db"

export TANDEM_BIN=$PWD/$BUILD
fail=0
check() { # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fail=1; fi
}

# ocf-tester itself: every action, for LABEL= and for UUID=.
check "ocf-tester passes (device=LABEL=$label)" \
	ocf-tester -n vol -o device="LABEL=$label" -o fstype=ext4 -o mountpoint="$base/db" \
	-o stop_timeout=5s "$PWD/units/ocf/volume"
check "ocf-tester passes (device=UUID=..., monitor depth 20)" \
	env OCF_CHECK_LEVEL=20 ocf-tester -n vol -o device="UUID=$LOOP_UUID" -o fstype=ext4 \
	-o mountpoint="$base/db" "$PWD/units/ocf/volume"
check "nothing left mounted by ocf-tester" bash -c "! mountpoint -q '$base/db'"

# What ocf-tester does not look at: the exit codes and the exit reason.
agent() { env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=vol "$@" "$PWD/units/ocf/volume" "$ACTION"; }
rc_of() { local rc=0; "$@" >/dev/null 2>"$base/err" || rc=$?; echo $rc; }
ACTION=validate-all
check "validate-all without device: 6 (not configured)" \
	test "$(rc_of agent OCF_RESKEY_fstype=ext4 OCF_RESKEY_mountpoint="$base/db")" = 6
check "... with an ocf-exit-reason" grep -q '^ocf-exit-reason:.*device' "$base/err"
ACTION=start
check "start with the wrong fstype: 6, refused" \
	test "$(rc_of agent OCF_RESKEY_device="LABEL=$label" OCF_RESKEY_fstype=xfs OCF_RESKEY_mountpoint="$base/db")" = 6
check "... saying why" grep -q '^ocf-exit-reason:.*not the configured xfs' "$base/err"
check "start of a missing device: 5 (not installed)" \
	test "$(rc_of agent OCF_RESKEY_device=LABEL=tnone$RANDOM OCF_RESKEY_fstype=ext4 OCF_RESKEY_mountpoint="$base/db")" = 5
ACTION=monitor
check "monitor with OCF_CHECK_LEVEL=5: 2 (args)" \
	test "$(rc_of agent OCF_CHECK_LEVEL=5 OCF_RESKEY_device="LABEL=$label" OCF_RESKEY_fstype=ext4 OCF_RESKEY_mountpoint="$base/db")" = 2
ACTION=promote
check "promote: 3 (unimplemented)" \
	test "$(rc_of agent OCF_RESKEY_device="LABEL=$label" OCF_RESKEY_fstype=ext4 OCF_RESKEY_mountpoint="$base/db")" = 3
check "nothing mounted" bash -c "! mountpoint -q '$base/db'"
exit $fail
