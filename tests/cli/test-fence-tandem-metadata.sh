#!/bin/bash
# fence_tandem without devices: its metadata against the fence-agents
# schema, the on action's on_target/automatic, validate-all on good and bad
# input (stdin and options), --help and --version. Touches no device.
set -u
cd "$(dirname "$0")/../.."
FT=./${BUILD:-build}/fence_tandem
RNG=/usr/share/cluster/relaxng/metadata.rng
tmp=$(mktemp -d /tmp/tandem-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0

if [ ! -x "$FT" ]; then
	echo "FAIL: $FT not built (run make first, or set BUILD)"
	exit 1
fi

ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# expect DESCRIPTION WANT_RC GREP_PATTERN STDIN COMMAND...: run COMMAND with
# STDIN ("-" for none), check its exit code and that its output (stdout and
# stderr) matches GREP_PATTERN (extended; empty: anything).
expect() {
	local what=$1 want=$2 pat=$3 in=$4 out rc
	shift 4
	if [ "$in" = - ]; then
		out=$("$@" </dev/null 2>&1)
	else
		out=$(printf '%b' "$in" | "$@" 2>&1)
	fi
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "$what: exit $rc, wanted $want"
		sed 's/^/     /' <<<"$out"
	elif [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then
		bad "$what: output lacks /$pat/"
		sed 's/^/     /' <<<"$out"
	else
		ok "$what"
	fi
}

# --- metadata -----------------------------------------------------------
"$FT" -o metadata >"$tmp/meta.xml" 2>"$tmp/meta.err"
rc=$?
[ "$rc" -eq 0 ] && ok "-o metadata exits 0" || bad "-o metadata exits $rc: $(cat "$tmp/meta.err")"
printf 'action=metadata\nunknown=1\n' | "$FT" >"$tmp/meta-stdin.xml" 2>/dev/null
cmp -s "$tmp/meta.xml" "$tmp/meta-stdin.xml" && ok "metadata through stdin is the same" ||
	bad "metadata through stdin differs from -o metadata"

if ! command -v xmllint >/dev/null 2>&1; then
	bad "xmllint not found (Debian package libxml2-utils, listed in tools/deps.sh)"
else
	# Well-formed, and the elements this test reads are where it expects them.
	if xmllint --noout "$tmp/meta.xml" 2>"$tmp/lint.err"; then
		ok "metadata is well-formed XML"
	else
		bad "metadata is not well-formed: $(cat "$tmp/lint.err")"
	fi
	xp() { xmllint --xpath "$1" "$tmp/meta.xml" 2>/dev/null; }
	[ "$(xp 'string(/resource-agent/@name)')" = fence_tandem ] && ok "resource-agent name is fence_tandem" ||
		bad "resource-agent name: '$(xp 'string(/resource-agent/@name)')'"
	[ "$(xp 'count(//actions/action[@name="on"][@on_target="1"][@automatic="1"])')" = 1 ] &&
		ok 'action on has on_target="1" automatic="1"' || bad "action on lacks on_target=1 automatic=1"
	for a in off status monitor list metadata validate-all; do
		[ "$(xp "count(//actions/action[@name=\"$a\"])")" = 1 ] && ok "action $a declared" ||
			bad "action $a is not declared exactly once"
	done
	[ "$(xp 'count(//actions/action[@name="reboot"])')" = 0 ] && ok "reboot not declared (Pacemaker uses off)" ||
		bad "reboot is declared but not supported"
	for p in action plug port nodename devices group config key cluster initiator verbose debug_file io_timeout \
		delay power_wait; do
		[ "$(xp "count(//parameters/parameter[@name=\"$p\"])")" = 1 ] && ok "parameter $p declared" ||
			bad "parameter $p is not declared exactly once"
	done
	# Every declared parameter is one the agent reads: not reported as
	# ignored when given on stdin (help and version are options only). The
	# log goes to a debug file in $tmp; frobnicate shows the check can fail.
	ignored() { # ignored NAME VALUE: the agent logs NAME as an unknown parameter
		rm -f "$tmp/dbg"
		printf 'action=metadata\nverbose=1\ndebug_file=%s\n%s=%s\n' "$tmp/dbg" "$1" "$2" | "$FT" >/dev/null 2>&1
		grep -q "ignoring the unknown parameter '$1'" "$tmp/dbg" 2>/dev/null
	}
	ignored frobnicate 1 && ok "an unknown parameter is logged as ignored" ||
		bad "an unknown parameter is not logged as ignored: this check cannot fail"
	n=0
	for p in $(xp '//parameters/parameter/@name' | sed -n 's/.*name="\([^"]*\)".*/\1/p'); do
		n=$((n + 1))
		case $p in
		help|version) continue ;;
		debug|debug_file) v=$tmp/dbg ;;
		*) v=1 ;;
		esac
		ignored "$p" "$v" && bad "parameter $p is declared but the agent ignores it"
	done
	[ "$n" -ge 15 ] && ok "none of the $n declared parameters is ignored on stdin" || bad "only $n parameters found"

	if [ ! -r "$RNG" ]; then
		echo "SKIP: $RNG is missing (Debian package fence-agents); cannot check the schema"
		exit 77
	fi
	if xmllint --noout --relaxng "$RNG" "$tmp/meta.xml" >"$tmp/rng.out" 2>&1; then
		ok "metadata validates against $RNG"
	else
		bad "metadata does not validate against $RNG:"
		sed 's/^/     /' "$tmp/rng.out"
	fi
	# The check can fail: a metadata without its actions must not validate.
	sed '/<actions>/,/<\/actions>/d' "$tmp/meta.xml" >"$tmp/broken.xml"
	if xmllint --noout --relaxng "$RNG" "$tmp/broken.xml" >/dev/null 2>&1; then
		bad "the schema check accepts metadata without actions: it cannot fail"
	else
		ok "the schema check rejects metadata without actions"
	fi
fi

# --- validate-all ----------------------------------------------------------
good='action=validate-all\ndevices=/dev/sda,iscsi://10.0.0.5:3260/iqn.2026-01.com.example:san/1\ncluster=erp\nnodename=db1\ninitiator=iqn.2026-01.com.example:db1\npcmk_host_list=db1 db2\n'
# 0xd53f5e4e178db2f1 = key_derive("erp", "db1") (tests/unit/test-key.c)
expect "validate-all on good stdin exits 0" 0 "^valid: 2 devices, this node db1 \(0xd53f5e4e178db2f1\)" "$good" "$FT"
expect "validate-all with plug names its key" 0 "plug db2 \(0xa82085faded0a3ac\)" "${good}plug=db2\n" "$FT"
expect "validate-all ignores unknown keys" 0 "^valid" "${good}frobnicate=yes\nCRM_meta_timeout=20000\n" "$FT"
expect "validate-all through options" 0 "^valid: 1 device" - "$FT" -o validate-all -d /dev/sda --cluster erp \
	--nodename db1
expect "bad action names line and parameter" 1 "line 1: action: 'fry' is not one of" 'action=fry\n' "$FT"
expect "reboot is refused with the reason" 1 "'reboot' is not supported" "${good}action=reboot\n" "$FT"
expect "bad device names line and parameter" 1 "line 7: devices: 'sda': " "${good}devices=sda\n" "$FT"
expect "zero key" 1 "line 7: key: '0x0': a key must not be zero" "${good}key=0x0\n" "$FT"
expect "line without =" 1 "line 7: 'plugdb1': not name=value" "${good}plugdb1\n" "$FT"
expect "no devices" 1 "devices: required for action validate-all" 'action=validate-all\ncluster=erp\n' "$FT"
expect "no cluster to derive keys" 1 "cluster: required" 'action=validate-all\ndevices=/dev/sda\n' "$FT"
expect "iSCSI device without initiator" 1 "initiator: required for the iSCSI device" \
	'action=validate-all\ncluster=erp\nnodename=db1\ndevices=iscsi://10.0.0.5:3260/iqn.2026-01.com.example:san/1\n' "$FT"
expect "group and config together" 1 "group and config exclude each other" "${good}group=db\nconfig=/x.conf\n" "$FT"
expect "missing config file" 1 "cannot open" "${good}config=$tmp/none.conf\n" "$FT"
long=$(head -c 5000 /dev/zero | tr '\0' a)
expect "overlong line is refused, not a crash" 1 "line 2: longer than 4096 bytes" "action=validate-all\nx=$long\n" "$FT"
expect "off for this node itself is refused" 1 "plug: 'db1' is this node" \
	"${good}action=off\nplug=db1\n" "$FT"
expect "on for another node is refused" 1 "plug: 'db2'.*is not this node 'db1'" \
	"${good}action=on\nplug=db2\n" "$FT"
expect "status without plug" 1 "plug: required for action status" "${good}action=status\n" "$FT"
expect "unknown option is an error on the command line" 1 "unknown option '--frob'" - "$FT" --frob
expect "stray argument" 1 "unexpected argument 'off'" - "$FT" off

# --- help and version ---------------------------------------------------------
expect "--help" 0 "^Usage: fence_tandem" - "$FT" --help
expect "-h lists the actions" 0 "validate-all" - "$FT" -h
expect "--version" 0 "^fence_tandem [0-9]" - "$FT" --version
exit $fail
