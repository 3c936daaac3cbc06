#!/bin/bash
# Runs every tandem test and prints one line per test, then the summary
# "N passed, N failed, N skipped". Exit status: 0 when nothing failed.
#
# Test kinds, in order:
#   unit/NAME    cmocka unit tests ($BUILD/tests/test-*)
#   asan/NAME    the same tests built with ASan+UBSan ($SANBUILD/tests/test-*)
#   fuzz/NAME    libFuzzer targets, $FUZZ_SECONDS each (default 20) from the
#                corpus in tests/fuzz/corpus/NAME; new inputs go to a temp dir
#   cli/NAME     the programs run as an admin would: tests/cli/test-*.sh
#   rig/NAME     rig tests: tests/rig/smoke-*.sh, then tests/rig/test-*.sh
# A test that exits 77 is skipped; its last output line says why.
# TESTS=REGEX runs only the tests whose name matches.
set -u
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
SANBUILD=${SANBUILD:-build-san}
FUZZBUILD=${FUZZBUILD:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
TESTS=${TESTS:-.}
export BUILD

logdir=$BUILD/test-logs
mkdir -p "$logdir"
passed=0 failed=0 skipped=0
failed_names=()

tmp=$(mktemp -d /tmp/tandem-run.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

run() {
	local name=$1; shift
	[[ $name =~ $TESTS ]] || return 0
	local log=$logdir/${name//\//_}.log start rc
	start=${EPOCHREALTIME/./}
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	local ds=$(((${EPOCHREALTIME/./} - start) / 100000)) secs
	secs=$((ds / 10)).$((ds % 10))
	case $rc in
	0)
		passed=$((passed + 1))
		printf 'PASS  %-32s (%ss)\n' "$name" "$secs"
		;;
	77)
		skipped=$((skipped + 1))
		printf 'SKIP  %-32s %s\n' "$name" "$(grep -v '^\s*$' "$log" | tail -n 1)"
		;;
	*)
		failed=$((failed + 1))
		failed_names+=("$name")
		printf 'FAIL  %-32s (exit %d, %ss; log: %s)\n' "$name" "$rc" "$secs" "$log"
		tail -n 40 "$log" | sed 's/^/      | /'
		;;
	esac
}

fuzz() {
	local bin=$1 name corpus work
	name=${bin##*/fuzz-}
	corpus=tests/fuzz/corpus/$name
	work=$tmp/fuzz-$name
	mkdir -p "$work"
	# New inputs land in $work (the first directory); the kept corpus is read only.
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$work" "$corpus"
}

for t in "$BUILD"/tests/test-*; do
	[ -x "$t" ] && run "unit/${t##*/test-}" "$t"
done
for t in "$SANBUILD"/tests/test-*; do
	[ -x "$t" ] && run "asan/${t##*/test-}" env ASAN_OPTIONS=detect_leaks=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$t"
done
for f in "$FUZZBUILD"/fuzz-*; do
	[ -x "$f" ] && run "fuzz/${f##*/fuzz-}" fuzz "$f"
done
for t in tests/cli/test-*.sh; do
	[ -f "$t" ] || continue
	n=${t##*/test-}
	run "cli/${n%.sh}" bash "$t"
done
for t in tests/rig/smoke-*.sh tests/rig/test-*.sh; do
	[ -f "$t" ] || continue
	n=${t##*/}
	n=${n%.sh}
	run "rig/$n" bash "$t"
done

echo
if [ "$failed" -gt 0 ]; then
	echo "failed: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
