# shellcheck shell=bash
# tests/lib.sh: the one helper library of tandem's shell tests (STYLE.md
# rule 11): assertions, the skip and fail prologue, temporary folders and
# the exit trap. Source it from the test's main shell, after the cd to the
# repository root:
#
#   . tests/lib.sh
#   need_root "network namespaces"            # or skip, need_cmd ...
#   why=$(tgtd_can_run) || skip "$why"
#   need_built "$BUILD/tandem"
#   t_tmpdir tandem-foo; work=$T_TMP          # removed at exit
#   at_exit cluster_stop                      # instead of trap ... EXIT
#   check "db1 runs" eq running "$(on db1 systemctl is-system-running)"
#   expect_match "--help" 0 "^Usage: tandem" "$T" --help
#   finish                                    # the summary and the exit status
#
# Written for bash, and kept to POSIX sh plus `local` so that the QEMU rig's
# guest scripts (busybox sh) source it too (run.sh --file
# tests/lib.sh:/rig/test-lib.sh). Tests that source it do not use `set -e`:
# a failed check returns 1 (so that `check ... || show_more` works), which
# errexit would turn into an exit. The library itself is errexit-safe.
#
# Assertions: each prints one line, "ok   DESC" or "FAIL DESC", and counts.
#   pass DESC                   a passed check
#   fail DESC                   a failed check (returns 0, so that both
#                               `A && pass X || fail Y` and `A && fail X ||
#                               pass Y` count one check)
#   check DESC CMD...           passes when CMD succeeds; returns 0 or 1, and
#                               expect_* too
#   eq WANT GOT                 (for check) equal; else prints both, returns 1
#   not CMD...                  (for check) CMD fails
#   t_run CMD...                runs CMD in this shell, no check: T_RC, and
#                               its stdout and stderr in T_OUT and T_ERR
#   expect_rc DESC WANT CMD...  t_run CMD; passes when it exits WANT, else
#                               shows stdout and stderr
#   expect_match DESC WANT REGEX CMD...
#                               CMD exits WANT and its output (stdout and
#                               stderr together, in T_OUT) matches the
#                               extended REGEX (empty: anything)
#   expect_json DESC WANT COND CMD...
#                               CMD exits WANT, its stdout is JSON, and the
#                               Python expression COND over it (d) is true
#   expect_json_value DESC WANT EXPR VALUE CMD...
#                               same, and print(EXPR) prints VALUE
#   finish                      prints "N checks passed, N failed" and exits:
#                               1 if any failed (or none ran), else 0
#   die MSG                     the fail prologue: fail MSG, then finish
# Prologue:
#   skip REASON                 exits 77; REASON is the last line printed
#                               (after the exit handlers). After a failed
#                               check it is no skip: finish, exit 1.
#   need_root [WHY]             skip "needs root (WHY)" unless root
#   need_cmd CMD [HINT]         skip "CMD is missing (HINT)", HINT default
#                               "run tools/deps.sh"
#   need_built FILE...          die "FILE is not built ..." unless executable
# Exit handling:
#   at_exit [--check] CMD       CMD (a string, evaluated at exit as a trap's
#                               would be) runs when the test exits, the last
#                               registered first. One EXIT trap runs them;
#                               HUP, INT and TERM exit 129, 130, 143 so that
#                               it runs. --check: if CMD fails, a test that
#                               would exit 0 (or 77) exits 1. Registered in a
#                               subshell, CMD belongs to that subshell. Do not
#                               set an EXIT trap of your own.
#   t_tmpdir [NAME]             T_TMP=mktemp -d ${TMPDIR:-/tmp}/NAME.XXXXXX,
#                               removed at exit (left in place, and said so,
#                               while something is mounted below it)
#   t_kill [-SIG] PID...        signal (TERM) and reap each PID; empty ones
#                               are skipped. By PID only, never a bare wait.

[ -n "${_T_LIB:-}" ] && return 0
_T_LIB=1
T_PASSED=0
T_FAILED=0
T_RC=0
T_OUT=
T_ERR=
T_TMP=
_t_nexit=0
_t_owner=
_t_me=
_t_sdir=
_t_skip_msg=

pass() {
	T_PASSED=$((T_PASSED + 1))
	printf 'ok   %s\n' "$*"
	return 0
}

fail() {
	T_FAILED=$((T_FAILED + 1))
	printf 'FAIL %s\n' "$*"
	return 0
}

check() {
	local _t_what="$1"
	shift
	if "$@"; then
		pass "$_t_what"
		return 0
	fi
	fail "$_t_what"
	return 1
}

eq() {
	[ "$1" = "$2" ] && return 0
	echo "     want '$1', got '$2'"
	return 1
}

not() {
	! "$@"
}

# _t_show TEXT...: each non-empty TEXT, indented.
_t_show() {
	local _t_x
	for _t_x in "$@"; do
		if [ -n "$_t_x" ]; then
			printf '%s\n' "$_t_x" | sed 's/^/     /'
		fi
	done
	return 0
}

# _t_scratch: the library's own temp dir for captured output, in _t_sdir.
_t_scratch() {
	[ -n "$_t_sdir" ] && [ -d "$_t_sdir" ] && return 0
	_t_sdir=$(mktemp -d "${TMPDIR:-/tmp}/tandem-test.XXXXXX") || {
		_t_sdir=
		echo "tests/lib.sh: mktemp -d failed" >&2
		return 1
	}
	at_exit "_t_rmtree $(_t_quote "$_t_sdir")"
}

t_run() {
	_t_scratch || { T_RC=125 T_OUT='' T_ERR=''; return 125; }
	if "$@" >"$_t_sdir/out" 2>"$_t_sdir/err"; then T_RC=0; else T_RC=$?; fi
	T_OUT=$(cat "$_t_sdir/out")
	T_ERR=$(cat "$_t_sdir/err")
	return "$T_RC"
}

expect_rc() {
	local _t_what="$1" _t_want="$2"
	shift 2
	t_run "$@" || :
	if [ "$T_RC" -ne "$_t_want" ]; then
		fail "$_t_what: exit $T_RC, wanted $_t_want"
		_t_show "$T_OUT" "$T_ERR"
		return 1
	fi
	pass "$_t_what"
}

expect_match() {
	local _t_what="$1" _t_want="$2" _t_re="$3"
	shift 3
	_t_scratch || return 1
	if "$@" >"$_t_sdir/all" 2>&1; then T_RC=0; else T_RC=$?; fi
	T_OUT=$(cat "$_t_sdir/all")
	T_ERR=
	if [ "$T_RC" -ne "$_t_want" ]; then
		fail "$_t_what: exit $T_RC, wanted $_t_want"
		_t_show "$T_OUT"
		return 1
	fi
	if [ -n "$_t_re" ] && ! printf '%s\n' "$T_OUT" | grep -qE -- "$_t_re"; then
		fail "$_t_what: output lacks /$_t_re/"
		_t_show "$T_OUT"
		return 1
	fi
	pass "$_t_what"
}

expect_json() {
	local _t_what="$1" _t_want="$2" _t_cond="$3" _t_py
	shift 3
	t_run "$@" || :
	if [ "$T_RC" -ne "$_t_want" ]; then
		fail "$_t_what: exit $T_RC, wanted $_t_want"
		_t_show "$T_OUT" "$T_ERR"
		return 1
	fi
	if _t_py=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$_t_sdir/out" "$_t_cond" 2>&1); then
		pass "$_t_what"
		return 0
	fi
	fail "$_t_what: JSON fails: $_t_cond"
	_t_show "$T_OUT" "$T_ERR" "$_t_py"
	return 1
}

expect_json_value() {
	local _t_what="$1" _t_want="$2" _t_expr="$3" _t_value="$4" _t_got
	shift 4
	t_run "$@" || :
	_t_got=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval("(" + sys.argv[2] + ")"))' "$_t_sdir/out" "$_t_expr" 2>&1) || :
	if [ "$T_RC" -eq "$_t_want" ] && [ "$_t_got" = "$_t_value" ]; then
		pass "$_t_what"
		return 0
	fi
	if [ "$T_RC" -ne "$_t_want" ]; then
		fail "$_t_what: exit $T_RC, wanted $_t_want"
	else
		fail "$_t_what: got '$_t_got', wanted '$_t_value'"
	fi
	_t_show "$T_OUT" "$T_ERR"
	return 1
}

finish() {
	if [ $((T_PASSED + T_FAILED)) -eq 0 ]; then
		fail "no check ran"
	fi
	echo "$T_PASSED checks passed, $T_FAILED failed"
	if [ "$T_FAILED" -eq 0 ]; then
		exit 0
	fi
	exit 1
}

die() {
	fail "$*"
	finish
}

skip() {
	if [ "$T_FAILED" -gt 0 ]; then
		echo "skip: $* (but a check failed)"
		finish
	fi
	_t_whoami
	if [ "$_t_nexit" -gt 0 ] && [ "$_t_owner" = "$_t_me" ]; then
		_t_skip_msg=$*    # printed by _t_exit, after the handlers
	else
		printf '%s\n' "$*"
	fi
	exit 77
}

need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	skip "needs root${1:+ ($1)}"
}

need_cmd() {
	command -v "$1" >/dev/null 2>&1 && return 0
	skip "$1 is missing (${2:-run tools/deps.sh})"
}

need_built() {
	local _t_f
	for _t_f in "$@"; do
		[ -x "$_t_f" ] || die "$_t_f is not built (run make first, or set BUILD)"
	done
	return 0
}

# _t_whoami: this shell's PID (a subshell's own), in _t_me.
_t_whoami() {
	if [ -n "${BASHPID:-}" ]; then
		_t_me=$BASHPID
	else
		# shellcheck disable=SC2016 # expanded by the child
		_t_me=$(exec sh -c 'echo "$PPID"')
	fi
}

# _t_quote WORD: WORD single-quoted for eval.
_t_quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

at_exit() {
	local _t_k=0
	if [ "${1:-}" = --check ]; then
		_t_k=1
		shift
	fi
	_t_whoami
	if [ "$_t_owner" != "$_t_me" ]; then
		# First use in this shell (or in this subshell: the parent's
		# handlers are the parent's to run).
		_t_owner=$_t_me
		_t_nexit=0
		trap '_t_exit $?' EXIT
		trap 'exit 129' HUP
		trap 'exit 130' INT
		trap 'exit 143' TERM
	fi
	_t_nexit=$((_t_nexit + 1))
	eval "_t_exit_$_t_nexit=\$* _t_check_$_t_nexit=\$_t_k"
}

# _t_exit RC: the EXIT trap. Runs the handlers, last first, then exits.
_t_exit() {
	local _t_rc="$1" _t_c _t_k _t_r
	trap - EXIT
	trap ':' HUP INT TERM   # a signal now must not cut the cleanup short
	set +eu                 # nor an unset name in a handler
	while [ "$_t_nexit" -gt 0 ]; do
		eval "_t_c=\$_t_exit_$_t_nexit _t_k=\$_t_check_$_t_nexit"
		_t_nexit=$((_t_nexit - 1))
		if eval "$_t_c"; then
			:
		else
			_t_r=$?
			if [ "$_t_k" = 1 ]; then
				echo "FAIL cleanup: $_t_c: exit $_t_r"
				case $_t_rc in 0 | 77) _t_rc=1 ;; esac
			fi
		fi
	done
	if [ -n "$_t_skip_msg" ]; then
		printf '%s\n' "$_t_skip_msg"
	fi
	exit "$_t_rc"
}

# _t_rmtree DIR: rm -rf DIR, unless something is mounted below it.
_t_rmtree() {
	[ -e "$1" ] || return 0
	if grep -qF -e " $1/" -e " $1 " /proc/self/mountinfo 2>/dev/null; then
		echo "cleanup: $1 still has mounts below it; left in place" >&2
		return 1
	fi
	rm -rf -- "$1"
}

t_tmpdir() {
	T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/${1:-tandem-test}.XXXXXX") || die "mktemp -d ${TMPDIR:-/tmp}/${1:-tandem-test}.XXXXXX"
	at_exit "_t_rmtree $(_t_quote "$T_TMP")"
}

t_kill() {
	local _t_sig=TERM _t_p
	case ${1:-} in -*) _t_sig=${1#-}; shift ;; esac
	for _t_p in "$@"; do
		[ -n "$_t_p" ] || continue
		kill -"$_t_sig" "$_t_p" 2>/dev/null
		wait "$_t_p" 2>/dev/null
	done
	return 0
}
