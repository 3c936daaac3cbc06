#!/bin/bash
# tandem config through the real binary: exit codes, every error with
# file:line, derived keys, JSON, and the StrictModes refusal.
set -u
cd "$(dirname "$0")/../.."
T=./${BUILD:-build}/tandem
tmp=$(mktemp -d /tmp/tandem-cli.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # expect DESCRIPTION WANT_RC GREP_PATTERN COMMAND...
	local what=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $what: exit $rc, wanted $want"; echo "$out" | sed 's/^/     /'; fail=1
	elif [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then
		echo "FAIL $what: output lacks /$pat/"; echo "$out" | sed 's/^/     /'; fail=1
	else
		echo "ok   $what"
	fi
}

install -m 0600 examples/db.conf "$tmp/db.conf"
expect "valid example exits 0" 0 "# $tmp/db.conf: valid" $T -c "$tmp/db.conf" config
# 0xd53f5e4e178db2f1 = key_derive("erp", "db1"), computed independently (tests/unit/test-key.c)
expect "derived key is printed" 0 "^key += 0xd53f5e4e178db2f1 +# derived from \(erp, db1\)" $T -c "$tmp/db.conf" config
expect "JSON says valid" 0 '"valid": true' $T -c "$tmp/db.conf" config --json
expect "options may precede the command" 0 '"key": "0xd53f5e4e178db2f1"' $T --json -c "$tmp/db.conf" config

printf '[cluster]\nname = erp\nnode = a\npeer = a\n[fence]\ndevices = sda\nkey = 0x0\n' >"$tmp/bad.conf"
chmod 0600 "$tmp/bad.conf"
expect "invalid config exits 1" 1 "" $T -c "$tmp/bad.conf" config
expect "error 1 with file:line" 1 "^$tmp/bad.conf:4: cluster.peer: is the same as node" $T -c "$tmp/bad.conf" config
expect "error 2 with file:line" 1 "^$tmp/bad.conf:6: fence.devices: 'sda': " $T -c "$tmp/bad.conf" config
expect "error 3 with file:line" 1 "^$tmp/bad.conf:7: fence.key: '0x0': must not be zero" $T -c "$tmp/bad.conf" config
expect "error count" 1 "^$tmp/bad.conf: 3 errors$" $T -c "$tmp/bad.conf" config
expect "JSON lists errors" 1 '"line": 7' $T -c "$tmp/bad.conf" config --json

chmod 0664 "$tmp/db.conf"
expect "group-writable file refused with the fix" 1 "fix with: chmod go-w $tmp/db.conf" $T -c "$tmp/db.conf" config
expect "--insecure-config relaxes it, loudly" 0 "warning: .*owner and mode checks skipped" $T --insecure-config -c "$tmp/db.conf" config
expect "missing file" 1 "cannot open: No such file" $T -c "$tmp/none.conf" config
expect "bad group name" 1 "group '../x': must be" $T -g ../x config
expect "-c and -g together" 1 "exclude each other" $T -g db -c "$tmp/db.conf" config
expect "no command is a usage error" 2 "no command given" $T
expect "unknown command is a usage error" 2 "unknown command 'frobnicate'" $T frobnicate
expect "unknown option is a usage error" 2 "" $T --frob config
expect "stray operand" 2 "unexpected argument 'x'" $T -c "$tmp/db.conf" config x
expect "--help" 0 "^Usage: tandem" $T --help
expect "--version" 0 "^tandem [0-9]" $T --version
exit $fail
