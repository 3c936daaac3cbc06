#!/bin/bash
# The OCF agent units/ocf/raid under resource-agents' ocf-tester, and its
# exit codes one by one. The agent runs the real `tandem-raid ocf` on md
# sysfs trees captured from a real kernel (tests/fixtures/md/, through
# OCF_RESKEY_sysroot), so no array is needed here:
#   - ocf-tester passes on clean-raid1 (meta-data against ra-api-1.dtd,
#     validate-all, probe and monitor of a stopped resource = 7, start,
#     start again, monitor = 0, stop, stop again, monitor = 7, the optional
#     actions = 3), and ocf-tester fails on the inactive array (start = 1);
#   - degraded: start 0 (on_degraded=allow) and monitor 190 (OCF_DEGRADED);
#     on_degraded=refuse: start 1 with an ocf-exit-reason; failed: start 1;
#     failed under a started resource: monitor 1; bad parameters: 6.
# Run from the repo root after `make`. Exit 0 pass, 77 skip (ocf-tester
# missing), anything else fail.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
BUILD=${BUILD:-build}
F=$PWD/tests/fixtures/md
AGENT=$PWD/units/ocf/raid
tester=/usr/sbin/ocf-tester

[ -x "$tester" ] || skip "SKIP: $tester is missing (Debian package resource-agents)"
need_built "$BUILD/tandem-raid"
t_tmpdir tandem-ocf-raid
tmp=$T_TMP
chmod 755 "$tmp"
# ocf-tester runs meta-data as nobody: the binary must be reachable for it
export TANDEM_BIN=$PWD/$BUILD
export TANDEM_RUN_DIR=$tmp/run
export OCF_ROOT=/usr/lib/ocf

# ---- ocf-tester
if "$tester" -n raidtest -o sysroot="$F/clean-raid1" -o devices=md0 "$AGENT" >"$tmp/tester.out" 2>&1 &&
	grep -q "passed all tests" "$tmp/tester.out"; then
	pass "ocf-tester passes on clean-raid1"
else
	fail "ocf-tester on clean-raid1"; sed 's/^/     /' "$tmp/tester.out"
fi
ls "$TANDEM_RUN_DIR"/raid-* >/dev/null 2>&1 && fail "ocf-tester left a state marker: $(ls "$TANDEM_RUN_DIR")"
if "$tester" -n raidbad -o sysroot="$F/inactive" -o devices=md0 "$AGENT" >"$tmp/tester2.out" 2>&1; then
	fail "ocf-tester passed on an inactive array"; sed 's/^/     /' "$tmp/tester2.out"
elif grep -q "Start failed" "$tmp/tester2.out"; then
	pass "ocf-tester fails on the inactive array: start refused"
else
	fail "ocf-tester on inactive failed, but not at start"; sed 's/^/     /' "$tmp/tester2.out"
fi
rm -rf "$TANDEM_RUN_DIR"

# ---- actions one by one
# ocf WANT_RC WHAT VAR=VALUE... -- ACTION: runs the agent in a clean OCF
# environment; its stdout in T_OUT, stderr in T_ERR.
ocf() {
	local want=$1 what=$2
	shift 2
	local -a envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	expect_rc "$what" "$want" env -u OCF_RESKEY_devices -u OCF_RESKEY_sysroot -u OCF_RESKEY_on_degraded \
		OCF_RESOURCE_INSTANCE=r1 "${envs[@]}" "$AGENT" "$@"
}
reason_has() { # reason_has WHAT PATTERN: the last run's stderr has an ocf-exit-reason matching PATTERN
	check "$1" grep -Eq "^ocf-exit-reason:.*$2" <<<"$T_ERR" || sed 's/^/     /' <<<"$T_ERR"
}

clean=(OCF_RESKEY_sysroot="$F/clean-raid1" OCF_RESKEY_devices=md0)
deg=(OCF_RESKEY_sysroot="$F/faulty" OCF_RESKEY_devices=/dev/md0)
inact=(OCF_RESKEY_sysroot="$F/inactive" OCF_RESKEY_devices=md0)

ocf 0 "meta-data" -- meta-data
grep -q '<resource-agent name="raid"' <<<"$T_OUT" && grep -q '<version>1.1</version>' <<<"$T_OUT" &&
	grep -q '<parameter name="devices"' <<<"$T_OUT" && pass "meta-data: OCF 1.1, parameter devices" ||
	fail "meta-data content"
if command -v xmllint >/dev/null; then
	(cd /usr/share/resource-agents && xmllint --noout --valid - <<<"$T_OUT") >/dev/null 2>&1 &&
		pass "meta-data valid against ra-api-1.dtd" || fail "meta-data not valid against ra-api-1.dtd"
fi
ocf 3 "an action it does not have (promote)" "${clean[@]}" -- promote
ocf 2 "no action" -- 

ocf 0 "validate-all" "${clean[@]}" -- validate-all
ocf 6 "validate-all, on_degraded=maybe" "${clean[@]}" OCF_RESKEY_on_degraded=maybe -- validate-all
reason_has "bad on_degraded named" "on_degraded: 'maybe'"
ocf 6 "validate-all, sysroot not there" OCF_RESKEY_sysroot="$tmp/none" OCF_RESKEY_devices=md0 -- validate-all
ocf 6 "validate-all, a bad device name" OCF_RESKEY_sysroot="$F/clean-raid1" OCF_RESKEY_devices=/dev/../md0 -- validate-all
ocf 6 "validate-all, config file not there" "${clean[@]}" OCF_RESKEY_config="$tmp/none.conf" -- validate-all

# clean: the whole cycle, twice over where OCF wants idempotence
ocf 7 "clean: monitor before start" "${clean[@]}" -- monitor
ocf 0 "clean: stop before start" "${clean[@]}" -- stop
ocf 0 "clean: start" "${clean[@]}" -- start
[ -e "$TANDEM_RUN_DIR/raid-r1.started" ] && pass "start made the state marker" || fail "no state marker after start"
ocf 0 "clean: start again" "${clean[@]}" -- start
ocf 0 "clean: monitor" "${clean[@]}" -- monitor
ocf 0 "clean: stop" "${clean[@]}" -- stop
[ -e "$TANDEM_RUN_DIR/raid-r1.started" ] && fail "stop left the state marker" || pass "stop removed the state marker"
ocf 0 "clean: stop again" "${clean[@]}" -- stop
ocf 7 "clean: monitor after stop" "${clean[@]}" -- monitor

# degraded: start allowed by default, monitor says 190
ocf 0 "faulty: start (on_degraded=allow)" "${deg[@]}" -- start
ocf 190 "faulty: monitor is OCF_DEGRADED" "${deg[@]}" -- monitor
reason_has "faulty: monitor says why" "/dev/md0 degraded: member loop1 faulty"
ocf 0 "faulty: stop" "${deg[@]}" -- stop
ocf 1 "faulty: start with on_degraded=refuse" "${deg[@]}" OCF_RESKEY_on_degraded=refuse -- start
reason_has "faulty, refuse: exit reason" "degraded and on_degraded=refuse"
[ -e "$TANDEM_RUN_DIR/raid-r1.started" ] && fail "a refused start left the state marker" ||
	pass "a refused start leaves no state marker"
printf '[cluster]\nname = erp\nnode = db1\n[raid]\ndevices = /dev/md0\non_degraded = refuse\n' >"$tmp/g.conf"
chmod 0600 "$tmp/g.conf"
if [ "$(id -u)" -eq 0 ]; then
	# the config's devices and on_degraded (its owner and mode are checked: root only)
	ocf 1 "faulty: config says on_degraded=refuse" OCF_RESKEY_sysroot="$F/faulty" OCF_RESKEY_config="$tmp/g.conf" -- start
	ocf 0 "faulty: the parameter overrides the config" OCF_RESKEY_sysroot="$F/faulty" \
		OCF_RESKEY_config="$tmp/g.conf" OCF_RESKEY_on_degraded=allow -- start
	ocf 0 "stop" OCF_RESKEY_sysroot="$F/faulty" OCF_RESKEY_config="$tmp/g.conf" -- stop
fi

# failed
ocf 1 "inactive: start fails" "${inact[@]}" -- start
reason_has "inactive: exit reason" "md0 failed: array inactive"
ocf 7 "inactive: monitor after the failed start" "${inact[@]}" -- monitor
ocf 0 "clean: start" "${clean[@]}" -- start
ocf 1 "the array fails under the started resource: monitor 1" "${inact[@]}" -- monitor
reason_has "monitor: exit reason" "array inactive"
ocf 1 "stopped array (not in sysfs): monitor 1" OCF_RESKEY_sysroot="$F/assemble-incomplete" OCF_RESKEY_devices=md0 -- monitor
ocf 0 "stop" "${clean[@]}" -- stop
ocf 0 "stop with a broken configuration still stops" OCF_RESKEY_sysroot="$tmp/none" -- stop
finish
