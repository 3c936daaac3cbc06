#!/bin/bash
# tests/lib.sh itself: each part runs in a child shell that sources it, and
# this test checks the child's output and exit status. A failing assertion
# fails (exit 1), a passing run exits 0 and a run without checks does not;
# skip exits 77 with its reason last, after the exit handlers; at_exit runs
# its handlers last-first, also on TERM, and only in the shell that
# registered them; --check turns a failed cleanup into a failed test;
# t_tmpdir's folder goes at exit. Under bash, and under dash and busybox
# sh where installed (the QEMU guest sources the library with busybox sh).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
t_tmpdir tandem-lib
tmp=$T_TMP
LIB=$PWD/tests/lib.sh

# child SHELL SCRIPT: run SCRIPT (after sourcing the library) under SHELL.
child() {
	printf '. %s\n%s\n' "$LIB" "$2" >"$tmp/child.sh"
	$1 "$tmp/child.sh"
}
has() { grep -qxF -- "$2" <<<"$1" || { echo "     no line '$2' in:"; sed 's/^/     | /' <<<"$1"; return 1; }; }
last() { [ "$(tail -n 1 <<<"$1")" = "$2" ] || { echo "     last line is not '$2':"; sed 's/^/     | /' <<<"$1"; return 1; }; }

shells=(bash)
for s in dash "busybox sh"; do
	command -v "${s%% *}" >/dev/null && shells+=("$s")
done
for sh in "${shells[@]}"; do
	expect_rc "$sh: passing checks exit 0" 0 child "$sh" '
check "true" true
check "eq" eq a a
check "not" not false
expect_rc "rc" 3 sh -c "echo out; echo err >&2; exit 3"
[ "$T_OUT" = out ] && [ "$T_ERR" = err ] && pass "T_OUT, T_ERR" || fail "T_OUT=$T_OUT T_ERR=$T_ERR"
expect_match "match" 0 "^err$" sh -c "echo out; echo err >&2"
finish'
	check "$sh: the summary counts them" has "$T_OUT" "6 checks passed, 0 failed"

	for a in 'check x false' 'check x eq a b' 'check x not true' 'fail x' 'expect_rc x 0 false' \
		'expect_match x 0 "^b$" echo a' 'expect_match x 1 "" true' 'false && pass x || fail x'; do
		expect_rc "$sh: $a: fails the test" 1 child "$sh" "pass first; $a; pass after; finish"
		check "$sh: $a: counted once" has "$T_OUT" "2 checks passed, 1 failed"
	done
	expect_rc "$sh: check returns 1 when it fails" 0 child "$sh" 'check x false && exit 1; exit 0'
	expect_rc "$sh: no check at all is no pass" 1 child "$sh" 'finish'
	expect_rc "$sh: die" 1 child "$sh" 'pass a; die "setup broke"; pass never'
	check "$sh: die says why" has "$T_OUT" "FAIL setup broke"
	expect_rc "$sh: need_built dies" 1 child "$sh" 'need_built /nonexistent/prog'

	expect_rc "$sh: skip exits 77" 77 child "$sh" 'at_exit "echo cleanup"; skip "the reason"; pass never'
	check "$sh: skip's reason is the last line, after the cleanup" last "$T_OUT" "the reason"
	check "$sh: ... and the cleanup ran" has "$T_OUT" "cleanup"
	expect_rc "$sh: need_cmd skips" 77 child "$sh" 'need_cmd no-such-cmd-x "package x"'
	check "$sh: need_cmd names it" last "$T_OUT" "no-such-cmd-x is missing (package x)"
	expect_rc "$sh: skip after a failed check is a failure" 1 child "$sh" 'fail x; skip "why"'

	expect_rc "$sh: at_exit handlers run last-first" 0 child "$sh" '
x=1
at_exit "echo first \$x"
at_exit "echo second"
x=2
pass a; finish'
	check "$sh: ... in that order, expanded at exit" \
		eq "second first 2" "$(grep -E '^(first|second)' <<<"$T_OUT" | tr '\n' ' ' | sed 's/ $//')"
	expect_rc "$sh: at_exit --check: a failed cleanup fails the test" 1 child "$sh" \
		'at_exit --check false; at_exit "echo after"; pass a; finish'
	check "$sh: ... saying so" has "$T_OUT" "FAIL cleanup: false: exit 1"
	expect_rc "$sh: a failed cleanup without --check does not" 0 child "$sh" 'at_exit false; pass a; finish'
	expect_rc "$sh: a subshell runs its own handlers, not its parent's" 0 child "$sh" '
at_exit "echo parent"
( at_exit "echo child"; exit 0 )
x=$(at_exit "echo substitution" >/dev/null; echo x)
pass a; finish'
	check "$sh: ... the parent's ran once" eq 1 "$(grep -c '^parent$' <<<"$T_OUT")"
	check "$sh: ... the subshell's ran" has "$T_OUT" "child"
	expect_rc "$sh: t_tmpdir" 0 child "$sh" 't_tmpdir tandem-lib-child; echo "dir $T_TMP"; [ -d "$T_TMP" ] && pass a; finish'
	d=$(sed -n 's/^dir //p' <<<"$T_OUT")
	check "$sh: t_tmpdir's folder ($d) is gone at exit" test -n "$d" -a ! -e "$d"

	# TERM: the handlers run, and the test exits 143.
	printf '. %s\nat_exit "echo cleaned >%s"\nsleep 30 & p=$!\nat_exit "t_kill \\$p"\necho ready >%s\nwait "$p"\n' \
		"$LIB" "$tmp/term.out" "$tmp/term.ready" >"$tmp/term.sh"
	rm -f "$tmp/term.out" "$tmp/term.ready"
	$sh "$tmp/term.sh" &
	tp=$!
	for _ in $(seq 50); do [ -e "$tmp/term.ready" ] && break; sleep 0.1; done
	kill -TERM "$tp"
	wait "$tp"
	rc=$?
	check "$sh: TERM: exit 143 ($rc)" test "$rc" -eq 143
	check "$sh: TERM: the handlers ran" test -s "$tmp/term.out"
done

expect_json "expect_json: a true condition" 0 "d['a'] == 1" echo '{"a": 1}'
expect_rc "expect_json: a false one fails" 1 child bash "expect_json x 0 \"d['a'] == 2\" echo '{\"a\": 1}'; finish"
expect_json_value "expect_json_value" 0 "d['a'], d['b']" "(1, 'x')" echo '{"a": 1, "b": "x"}'
expect_rc "expect_json_value: another value fails" 1 child bash "expect_json_value x 0 \"d['a']\" 2 echo '{\"a\": 1}'; finish"
expect_rc "expect_json_value: another exit status fails" 1 child bash "expect_json_value x 0 \"d['a']\" 1 sh -c 'echo {\\\"a\\\": 1}; exit 2'; finish"
expect_rc "need_root as root passes, else skips" "$([ "$(id -u)" -eq 0 ] && echo 0 || echo 77)" child bash 'need_root "x"; pass a; finish'
finish
