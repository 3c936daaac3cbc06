#!/bin/bash
# The systemd units (units/*.service, units/*.target) and the drop-in example
# (units/examples/postgresql-tandem.conf) pass `systemd-analyze verify`, run
# offline against a DESTDIR install, as the Makefile installs them:
#   make install DESTDIR=$tmp           programs in $tmp/usr/sbin, units in
#                                       $tmp/lib/systemd/system, man pages
#   systemd-analyze verify --root=$tmp UNIT@db.service ...
# With --root, verify (systemd 252) resolves units, ExecStart= executables and
# dependencies inside $tmp; so the test copies the distribution's own units
# (sysinit.target, network-online.target...) and /bin/sh into $tmp, and points
# MANPATH at $tmp's man pages so that Documentation=man:... is checked too.
# verify exits 0 on warnings such as an unknown key, so any output at all is
# a failure here. Each instance is named on the command line: verify checks
# the executables of the units it is given, not of the units they pull in.
# The test also shows that verify would catch a broken unit, and checks that
# every unit says which settings an admin may change (STYLE.md rule 12).
# Needs no root. Exit 0 pass, 77 skip (no systemd-analyze), else fail.
# shellcheck disable=SC2001 # sed indents multi-line output
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
need_cmd systemd-analyze "package systemd"
sysunits=
for d in /usr/lib/systemd/system /lib/systemd/system; do
	[ -e "$d/sysinit.target" ] && { sysunits=$d; break; }
done
[ -n "$sysunits" ] || skip "no systemd unit directory with sysinit.target on this host"

t_tmpdir tandem-units-verify
tmp=$T_TMP

root=$tmp/root
if ! make -s install DESTDIR="$root" O="${BUILD:-build}" >"$tmp/install.log" 2>&1; then
	sed 's/^/     /' "$tmp/install.log"
	die "make install DESTDIR=$root"
fi
unitdir=$root/lib/systemd/system
mkdir -p "$root/usr/lib/systemd" "$root/bin" "$root/etc/systemd/system"
cp -a "$sysunits" "$root/usr/lib/systemd/system"
cp /bin/sh "$root/bin/sh"

units=()
for f in units/*.service units/*.target; do
	u=${f#units/}
	if [ -f "$unitdir/$u" ]; then pass "make install put $u in /lib/systemd/system"; else fail "$u not installed"; fi
	units+=("${u/@./@db.}")
done
for p in tandem-fence tandem-raid tandem-volume tandem-address; do
	[ -x "$root/usr/sbin/$p" ] || fail "/usr/sbin/$p not installed"
done

# A unit that joins group db through the example drop-in.
cat >"$root/etc/systemd/system/tandem-example-db.service" <<'EOF'
[Unit]
Description=a database unit for the verify test
[Service]
ExecStart=/usr/sbin/tandem-volume -g db status
EOF
mkdir -p "$root/etc/systemd/system/tandem-example-db.service.d"
cp units/examples/postgresql-tandem.conf "$root/etc/systemd/system/tandem-example-db.service.d/tandem.conf"
units+=(tandem-example-db.service)

verify() { # verify UNIT...: prints what verify says; returns its status
	(cd "$root" && MANPATH=$root/usr/share/man SYSTEMD_LOG_COLOR=0 \
		systemd-analyze verify --root="$root" "$@" 2>&1)
}

out=$(verify "${units[@]}")
rc=$?
if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
	pass "systemd-analyze verify --root: ${units[*]}: no complaint"
else
	fail "systemd-analyze verify --root (exit $rc):"; echo "$out" | sed 's/^/     /'
fi
for u in "${units[@]}"; do # one by one, so that a failure names its unit
	out=$(verify "$u")
	rc=$?
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then fail "verify $u (exit $rc):"; echo "$out" | sed 's/^/     /'; fi
done

# verify does catch a broken unit (the checks above cannot pass vacuously).
sed -e 's#^ExecStop=/usr/sbin/tandem-volume #ExecStop=/usr/sbin/tandem-volume-nosuch #' \
    -e 's#^TimeoutStopSec=#NoSuchKey=1\nTimeoutStopSec=#' \
    "$unitdir/tandem-volume@.service" >"$root/etc/systemd/system/tandem-volume@.service"
out=$(verify tandem-volume@db.service)
if grep -q "tandem-volume-nosuch is not executable" <<<"$out" && grep -q "Unknown key 'NoSuchKey'" <<<"$out"; then
	pass "verify reports a missing executable and an unknown key in a broken copy"
else
	fail "verify missed the broken copy:"; echo "$out" | sed 's/^/     /'
fi
rm -f "$root/etc/systemd/system/tandem-volume@.service"

# STYLE.md rule 12, and the settings the design asks for.
for f in units/*.service units/*.target units/examples/*.conf; do
	if grep -q "^# An admin may change" "$f"; then pass "$f says which settings an admin may change"
	else fail "$f: no '# An admin may change' comment (STYLE.md rule 12)"; fi
done
has() { # has FILE REGEX DESCRIPTION
	check "$1: $3" grep -qE -- "$2" "$1" || echo "     (no /$2/)"
}
has units/tandem-watch@.service '^Type=notify$' "Type=notify"
has units/tandem-watch@.service '^WatchdogSec=' "WatchdogSec="
has units/tandem-watch@.service '^Restart=no$' "Restart=no"
has units/tandem-watch@.service 'twice \[fence\] watch_interval' "comment: WatchdogSec at least twice watch_interval"
has units/tandem-takeover@.service '^JobTimeoutAction=reboot-force$' "a hung stop reboots the node (I4)"
has units/tandem-takeover@.service '^ExecStop=/usr/sbin/tandem-fence -g %i release$' "the stop is tandem-fence's release, which refuses while the volume is mounted (I5)"
# STYLE.md rule 12: units run tandem's programs directly, never a shell.
for f in units/*.service; do
	if grep -qE '^Exec[A-Za-z]*=[-@+!:]*(/usr)?/bin/(ba|da)?sh( |$)' "$f"; then bad "$f runs a shell (STYLE.md rule 12)"
	else ok "$f runs no shell"; fi
done
has units/tandem-unfence@.service '^WantedBy=multi-user.target$' "unfence at boot"
has units/tandem-unfence@.service '^After=network-online.target' "unfence after network-online"
has units/tandem-active@.target '^BindsTo=tandem-watch@%i.service$' "the group stops when the watch stops"
if grep -q '^\[Install\]' units/tandem-active@.target; then
	fail "tandem-active@.target has an [Install] section (a boot must not take over)"
else
	pass "tandem-active@.target is not started at boot"
fi
for u in raid volume address watch takeover; do
	has "units/tandem-$u@.service" '^PartOf=tandem-active@%i.target$' "PartOf= the group's target"
done
finish
