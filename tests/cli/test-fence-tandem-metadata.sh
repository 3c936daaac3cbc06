#!/bin/bash
# fence_tandem without devices: its metadata against the fence-agents
# schema, the on action's on_target/automatic, validate-all on good and bad
# input (stdin and options), --help and --version. Touches no device.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
FT=./${BUILD:-build}/fence_tandem
RNG=/usr/share/cluster/relaxng/metadata.rng
need_built "$FT"
t_tmpdir tandem-cli
tmp=$T_TMP

# feed STDIN COMMAND...: COMMAND with STDIN ("-": none; printf %b escapes),
# for expect_match.
feed() {
	local in=$1
	shift
	if [ "$in" = - ]; then
		"$@" </dev/null
	else
		printf '%b' "$in" | "$@"
	fi
}

# --- metadata -----------------------------------------------------------
"$FT" -o metadata >"$tmp/meta.xml" 2>"$tmp/meta.err"
rc=$?
[ "$rc" -eq 0 ] && pass "-o metadata exits 0" || fail "-o metadata exits $rc: $(cat "$tmp/meta.err")"
printf 'action=metadata\nunknown=1\n' | "$FT" >"$tmp/meta-stdin.xml" 2>/dev/null
cmp -s "$tmp/meta.xml" "$tmp/meta-stdin.xml" && pass "metadata through stdin is the same" ||
	fail "metadata through stdin differs from -o metadata"

if ! command -v xmllint >/dev/null 2>&1; then
	fail "xmllint not found (Debian package libxml2-utils, listed in tools/deps.sh)"
else
	# Well-formed, and the elements this test reads are where it expects them.
	if xmllint --noout "$tmp/meta.xml" 2>"$tmp/lint.err"; then
		pass "metadata is well-formed XML"
	else
		fail "metadata is not well-formed: $(cat "$tmp/lint.err")"
	fi
	xp() { xmllint --xpath "$1" "$tmp/meta.xml" 2>/dev/null; }
	[ "$(xp 'string(/resource-agent/@name)')" = fence_tandem ] && pass "resource-agent name is fence_tandem" ||
		fail "resource-agent name: '$(xp 'string(/resource-agent/@name)')'"
	[ "$(xp 'count(//actions/action[@name="on"][@on_target="1"][@automatic="1"])')" = 1 ] &&
		pass 'action on has on_target="1" automatic="1"' || fail "action on lacks on_target=1 automatic=1"
	for a in off status monitor list metadata validate-all; do
		[ "$(xp "count(//actions/action[@name=\"$a\"])")" = 1 ] && pass "action $a declared" ||
			fail "action $a is not declared exactly once"
	done
	[ "$(xp 'count(//actions/action[@name="reboot"])')" = 0 ] && pass "reboot not declared (Pacemaker uses off)" ||
		fail "reboot is declared but not supported"
	for p in action plug port nodename devices group config key cluster initiator verbose debug_file io_timeout \
		delay power_wait; do
		[ "$(xp "count(//parameters/parameter[@name=\"$p\"])")" = 1 ] && pass "parameter $p declared" ||
			fail "parameter $p is not declared exactly once"
	done
	# Every declared parameter is one the agent reads: not reported as
	# ignored when given on stdin (help and version are options only). The
	# log goes to a debug file in $tmp; frobnicate shows the check can fail.
	ignored() { # ignored NAME VALUE: the agent logs NAME as an unknown parameter
		rm -f "$tmp/dbg"
		printf 'action=metadata\nverbose=1\ndebug_file=%s\n%s=%s\n' "$tmp/dbg" "$1" "$2" | "$FT" >/dev/null 2>&1
		grep -q "ignoring the unknown parameter '$1'" "$tmp/dbg" 2>/dev/null
	}
	ignored frobnicate 1 && pass "an unknown parameter is logged as ignored" ||
		fail "an unknown parameter is not logged as ignored: this check cannot fail"
	n=0
	for p in $(xp '//parameters/parameter/@name' | sed -n 's/.*name="\([^"]*\)".*/\1/p'); do
		n=$((n + 1))
		case $p in
		help|version) continue ;;
		debug|debug_file) v=$tmp/dbg ;;
		*) v=1 ;;
		esac
		ignored "$p" "$v" && fail "parameter $p is declared but the agent ignores it"
	done
	[ "$n" -ge 15 ] && pass "none of the $n declared parameters is ignored on stdin" || fail "only $n parameters found"

	if [ ! -r "$RNG" ]; then
		skip "$RNG is missing (Debian package fence-agents); cannot check the schema"
	fi
	if xmllint --noout --relaxng "$RNG" "$tmp/meta.xml" >"$tmp/rng.out" 2>&1; then
		pass "metadata validates against $RNG"
	else
		fail "metadata does not validate against $RNG:"
		sed 's/^/     /' "$tmp/rng.out"
	fi
	# The check can fail: a metadata without its actions must not validate.
	sed '/<actions>/,/<\/actions>/d' "$tmp/meta.xml" >"$tmp/broken.xml"
	if xmllint --noout --relaxng "$RNG" "$tmp/broken.xml" >/dev/null 2>&1; then
		fail "the schema check accepts metadata without actions: it cannot fail"
	else
		pass "the schema check rejects metadata without actions"
	fi
fi

# --- validate-all ----------------------------------------------------------
good='action=validate-all\ndevices=/dev/sda,iscsi://10.0.0.5:3260/iqn.2026-01.com.example:san/1\ncluster=erp\nnodename=db1\ninitiator=iqn.2026-01.com.example:db1\npcmk_host_list=db1 db2\n'
# 0xd53f5e4e178db2f1 = key_derive("erp", "db1") (tests/unit/test-key.c)
expect_match "validate-all on good stdin exits 0" 0 "^valid: 2 devices, this node db1 \(0xd53f5e4e178db2f1\)" feed "$good" "$FT"
expect_match "validate-all with plug names its key" 0 "plug db2 \(0xa82085faded0a3ac\)" feed "${good}plug=db2\n" "$FT"
expect_match "validate-all ignores unknown keys" 0 "^valid" feed "${good}frobnicate=yes\nCRM_meta_timeout=20000\n" "$FT"
expect_match "validate-all through options" 0 "^valid: 1 device" feed - "$FT" -o validate-all -d /dev/sda --cluster erp \
	--nodename db1
expect_match "bad action names line and parameter" 1 "line 1: action: 'fry' is not one of" feed 'action=fry\n' "$FT"
expect_match "reboot is refused with the reason" 1 "'reboot' is not supported" feed "${good}action=reboot\n" "$FT"
expect_match "bad device names line and parameter" 1 "line 7: devices: 'sda': " feed "${good}devices=sda\n" "$FT"
expect_match "zero key" 1 "line 7: key: '0x0': a key must not be zero" feed "${good}key=0x0\n" "$FT"
expect_match "line without =" 1 "line 7: 'plugdb1': not name=value" feed "${good}plugdb1\n" "$FT"
expect_match "no devices" 1 "devices: required for action validate-all" feed 'action=validate-all\ncluster=erp\n' "$FT"
expect_match "no cluster to derive keys" 1 "cluster: required" feed 'action=validate-all\ndevices=/dev/sda\n' "$FT"
expect_match "iSCSI device without initiator" 1 "initiator: required for the iSCSI device" feed \
	'action=validate-all\ncluster=erp\nnodename=db1\ndevices=iscsi://10.0.0.5:3260/iqn.2026-01.com.example:san/1\n' "$FT"
expect_match "group and config together" 1 "group and config exclude each other" feed "${good}group=db\nconfig=/x.conf\n" "$FT"
expect_match "missing config file" 1 "cannot open" feed "${good}config=$tmp/none.conf\n" "$FT"
long=$(head -c 5000 /dev/zero | tr '\0' a)
expect_match "overlong line is refused, not a crash" 1 "line 2: longer than 4096 bytes" feed "action=validate-all\nx=$long\n" "$FT"
expect_match "off for this node itself is refused" 1 "plug: 'db1' is this node" feed \
	"${good}action=off\nplug=db1\n" "$FT"
expect_match "on for another node is refused" 1 "plug: 'db2'.*is not this node 'db1'" feed \
	"${good}action=on\nplug=db2\n" "$FT"
expect_match "status without plug" 1 "plug: required for action status" feed "${good}action=status\n" "$FT"
expect_match "unknown option is an error on the command line" 1 "unknown option '--frob'" feed - "$FT" --frob
expect_match "stray argument" 1 "unexpected argument 'off'" feed - "$FT" off

# --- debug_file: appended to a regular file, never through a symlink ---------
printf 'precious\n' >"$tmp/precious"
ln -s "$tmp/precious" "$tmp/debug.link"
expect_match "debug_file through a symlink is refused" 1 "debug_file: cannot use .*symbolic link" feed \
	"${good}debug_file=$tmp/debug.link\n" "$FT"
if [ "$(cat "$tmp/precious")" = precious ]; then pass "the symlink's target is untouched"
else fail "the symlink's target was written: $(head -c 200 "$tmp/precious")"; fi
expect_rc "debug_file as a regular file works" 0 feed "${good}debug_file=$tmp/debug.log\n" "$FT"
if [ -s "$tmp/debug.log" ] && [ "$(stat -c %a "$tmp/debug.log")" = 600 ]; then pass "the debug log was written, mode 0600"
else fail "debug log: $(ls -l "$tmp/debug.log" 2>&1)"; fi

# --- help and version ---------------------------------------------------------
expect_match "--help" 0 "^Usage: fence_tandem" feed - "$FT" --help
expect_match "-h lists the actions" 0 "validate-all" feed - "$FT" -h
expect_match "--version" 0 "^fence_tandem [0-9]" feed - "$FT" --version
finish
