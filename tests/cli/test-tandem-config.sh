#!/bin/bash
# tandem config through the real binary: exit codes, every error with
# file:line, derived keys, JSON, and the StrictModes refusal.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
T=./${BUILD:-build}/tandem
need_built "$T"
t_tmpdir tandem-cli
tmp=$T_TMP

install -m 0600 examples/db.conf "$tmp/db.conf"
expect_match "valid example exits 0" 0 "# $tmp/db.conf: valid" $T -c "$tmp/db.conf" config
# 0xd53f5e4e178db2f1 = key_derive("erp", "db1"), computed independently (tests/unit/test-key.c)
expect_match "derived key is printed" 0 "^key += 0xd53f5e4e178db2f1 +# derived from \(erp, db1\)" $T -c "$tmp/db.conf" config
expect_match "JSON says valid" 0 '"valid": true' $T -c "$tmp/db.conf" config --json
expect_match "options may precede the command" 0 '"key": "0xd53f5e4e178db2f1"' $T --json -c "$tmp/db.conf" config

printf '[cluster]\nname = erp\nnode = a\npeer = a\n[fence]\ndevices = sda\nkey = 0x0\n' >"$tmp/bad.conf"
chmod 0600 "$tmp/bad.conf"
expect_match "invalid config exits 1" 1 "" $T -c "$tmp/bad.conf" config
expect_match "error 1 with file:line" 1 "^$tmp/bad.conf:4: cluster.peer: is the same as node" $T -c "$tmp/bad.conf" config
expect_match "error 2 with file:line" 1 "^$tmp/bad.conf:6: fence.devices: 'sda': " $T -c "$tmp/bad.conf" config
expect_match "error 3 with file:line" 1 "^$tmp/bad.conf:7: fence.key: '0x0': must not be zero" $T -c "$tmp/bad.conf" config
expect_match "error count" 1 "^$tmp/bad.conf: 3 errors$" $T -c "$tmp/bad.conf" config
expect_match "JSON lists errors" 1 '"line": 7' $T -c "$tmp/bad.conf" config --json

chmod 0664 "$tmp/db.conf"
expect_match "group-writable file refused with the fix" 1 "fix with: chmod go-w $tmp/db.conf" $T -c "$tmp/db.conf" config
expect_match "--insecure-config relaxes it, loudly" 0 "warning: .*owner and mode checks skipped" $T --insecure-config -c "$tmp/db.conf" config
# The whole path is checked, as sshd does: a group-writable directory two
# levels up lets its group swap the config's directory.
mkdir -p "$tmp/up/conf"
chmod 0775 "$tmp/up"
cp "$tmp/db.conf" "$tmp/up/conf/db.conf"
chmod 0600 "$tmp/up/conf/db.conf"
chmod 0755 "$tmp/up/conf"
expect_match "a group-writable ancestor is refused, named, with the fix" 1 \
	"directory $tmp/up is writable by group or others .*fix with: chmod go-w $tmp/up" $T -c "$tmp/up/conf/db.conf" config
chmod 0755 "$tmp/up"
expect_rc "the same path once the ancestor is fixed" 0 $T -c "$tmp/up/conf/db.conf" config
expect_match "missing file" 1 "cannot open: No such file" $T -c "$tmp/none.conf" config
expect_match "bad group name" 1 "group '../x': must be" $T -g ../x config
expect_match "-c and -g together" 1 "exclude each other" $T -g db -c "$tmp/db.conf" config
expect_match "no command is a usage error" 2 "no command given" $T
expect_match "unknown command is a usage error" 2 "unknown command 'frobnicate'" $T frobnicate
expect_match "unknown option is a usage error" 2 "" $T --frob config
expect_match "stray operand" 2 "unexpected argument 'x'" $T -c "$tmp/db.conf" config x
expect_match "--help" 0 "^Usage: tandem" $T --help
expect_match "--version" 0 "^tandem [0-9]" $T --version
finish
