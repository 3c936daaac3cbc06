#!/bin/bash
# ocf-tester (resource-agents) on the OCF agent units/ocf/volume, against an
# ext4 loop device: meta-data against ra-api-1.dtd, validate-all, monitor
# when stopped (7), start, start again, monitor, stop, stop again. The agent
# runs build/tandem-volume through TANDEM_BIN. Needs root and the loop rig.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/rig/loop.sh

BUILD=${BUILD:-build}
need_cmd ocf-tester "package resource-agents; run tools/deps.sh"
why=$(loop_can_run) || skip "$why"
need_built "$BUILD/tandem-volume"

t_tmpdir tandem-ocf-volume
base=$T_TMP
chmod 755 "$base" || die "chmod 755 $base"
at_exit loop_teardown

label=tocf$RANDOM
loop_setup 200 ext4 "$label" || die "loop_setup 200 ext4 $label"
mkdir "$base/db" || die "mkdir $base/db"
loop_track_mount "$base/db"

export TANDEM_BIN=$PWD/$BUILD

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
finish
