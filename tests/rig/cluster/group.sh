# shellcheck shell=bash
# tests/rig/cluster/group.sh: tandem group "db" in the two-node cluster rig,
# the one setup of every cluster test that runs tandem's units with a fence
# LUN: the end-to-end test, `make demo` and the failover benchmark (with
# PostgreSQL), and the units tests (with --no-postgres). Source it after
# cluster.sh and tgtd.sh, from bash, in the main shell of the caller.
#
#   . tests/rig/cluster/cluster.sh
#   . tests/rig/tgtd.sh
#   . tests/rig/cluster/group.sh
#   why=$(group_can_run) || { echo "$why"; exit 77; }
#   trap group_rig_stop EXIT
#   trap 'exit 130' INT TERM HUP
#   group_rig_start || exit 1        # cluster, SAN, volume, PostgreSQL, unfence
#   client_start "$dir"              # rows into the database, one txn each
#   on db1 tandem takeover           # the group on db1
#   on db2 tandem move               # and to db2
#   client_stop; client_tally        # committed / found / lost
#
# What the rig is (see README.md in this folder for the nodes themselves):
#   - the fence device: one LUN of a tgtd in the client namespace, reached by
#     both nodes as iscsi://10.77.0.1:PORT/IQN/1 (GROUP_LUN);
#   - the volume: ext4 LABEL=tandemdb on the shared loop disk, mounted at
#     /var/lib/postgresql/15; it holds PostgreSQL's data directory main/;
#   - the service: Debian's postgresql@15-main.service, joined to the group
#     by units/examples/postgresql-tandem.conf; it listens on the floating
#     address GROUP_ADDR (10.77.0.100) only, with cluster_name set to the
#     node's name, so each row records where it was committed;
#   - the RAID gate: the nodes' kernel has no md, so tandem-raid@db reads md
#     sysfs trees captured from a real kernel (tests/fixtures/md), through a
#     drop-in setting OCF_RESKEY_sysroot (group_raid_fixture switches it);
#   - tandem's programs and units, bound read-only from the build and units/.
#
# With --no-postgres (the units tests), the service is tandem-rig-db.service
# instead: a sleep whose working directory is the volume, joined to the group
# by the same example drop-in; the volume is mounted at /srv/db (stop_timeout
# 5s) and the shared disk is left blank, as cluster_start made it (there is
# no data to put on it): the caller makes ext4 LABEL=tandemdb on
# $CLUSTER_DISK. PostgreSQL stays in the image, unconfigured and stopped.
#
# Functions:
#   group_can_run [--no-postgres]
#                          what cluster_can_run and tgtd_can_run check, plus
#                          psql (not with --no-postgres) and the built
#                          programs; prints why not.
#   group_rig_start [--no-postgres] [--no-unfence]
#                          start it all (above); both nodes unfenced, the
#                          group stopped on both. Returns non-zero after
#                          saying why. --no-postgres: the sleep service on
#                          /srv/db and a blank disk (above). --no-unfence:
#                          tandem-unfence@db is neither started nor enabled,
#                          so no key is on the LUN: the caller starts it.
#   group_rig_stop         client_stop, cluster_stop, tgtd_stop. Trap-safe.
#   group_conf NODE [KEY=VALUE]...
#                          (re)write NODE's /etc/tandem/db.conf; KEY=VALUE
#                          override keys as section.key=value, e.g.
#                          raid.on_degraded=refuse, volume.device=LABEL=x;
#                          a key the rig's config lacks is added to its
#                          section (fence.on_fenced=reboot).
#   group_raid_fixture NODE NAME
#                          point NODE's RAID gate at tests/fixtures/md/NAME.
#   on NODE CMD...         cluster_exec.
#   unit_state NODE UNIT   its ActiveState.
#   mounted NODE           is the volume mounted on NODE?
#   addr_up NODE           is the floating address on NODE's eth0?
#   key_of NODE            NODE's key, as tandem config prints it.
#   registered_key NODE    NODE's key as NODE's tandem-fence status lists it
#                          on the LUN ("(NODE, this node)"); empty when it is
#                          not registered.
#   journal_has NODE UNIT ERE
#                          UNIT's journal of NODE's current boot matches the
#                          extended regex ERE.
#   pr_keys, pr_holder     the fence LUN's keys / holder, read independently
#                          (tests/rig/iscsi-pr, from the client namespace).
#   client_start DIR       a writer in the client namespace: inserts row 1,
#                          2, 3... one transaction each through GROUP_ADDR,
#                          appending "N EPOCH" to DIR/acked for each commit
#                          psql reported, and to DIR/failed otherwise.
#                          Started again on the same DIR, it goes on from
#                          the last row number.
#   client_wait_rows N [SECONDS]
#                          wait until N more rows are acknowledged.
#   client_stop            stop the writer (by its PID) and wait for it.
#   client_tally           query the rows from the active node; prints
#                          "committed N found N lost N unacked-but-present N"
#                          and the lost row numbers; returns 1 if any is lost.
#   volume_events NODE...  print "EPOCH NODE mounted|unmounted" from the
#                          nodes' journals (tandem-volume@db.service).
#   never_both_mounted NODE...
#                          check those events: at no moment were two nodes
#                          mounted; prints the intervals; 1 if they overlap.
#
# Exported by group_rig_start: GROUP (db), GROUP_ADDR (10.77.0.100),
# GROUP_PREFIX (24), GROUP_SVC (postgresql@15-main.service; with
# --no-postgres tandem-rig-db.service), GROUP_LUN, GROUP_MNT
# (/var/lib/postgresql/15; with --no-postgres /srv/db).

_GROUP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
GROUP=db
GROUP_SVC=postgresql@15-main.service
GROUP_MNT=/var/lib/postgresql/15
GROUP_PREFIX=24
_GROUP_CLIENT_PID=
_GROUP_CLIENT_DIR=
_GROUP_EXTRA=
_GROUP_PG=1
_GROUP_UNFENCE=1
_GROUP_STOP_TIMEOUT=20s
_GROUP_PROGS="tandem tandem-fence tandem-raid tandem-volume tandem-address"

on() { cluster_exec "$@"; }
unit_state() { on "$1" systemctl show -P ActiveState "$2"; }
mounted() { on "$1" findmnt -n -o SOURCE "$GROUP_MNT" >/dev/null; }
addr_up() { on "$1" ip -o addr show dev "$CLUSTER_IFACE" | grep -qF " $GROUP_ADDR/$GROUP_PREFIX "; }
key_of() { on "$1" tandem -g "$GROUP" config | sed -n 's/^ *key *= *\(0x[0-9a-f]*\).*/\1/p' | head -n 1; }
_group_pr() { ip netns exec "$CLUSTER_NETNS" "$_GROUP_ROOT/${BUILD:-build}/rig/iscsi-pr" -r 3 "$GROUP_LUN" "$@"; }
pr_keys() { _group_pr read-keys | sed -n 's/^key //p' | sort -u | tr '\n' ' '; }
pr_holder() { _group_pr read-reservation | sed -n 's/^holder \(0x[0-9a-f]*\).*/\1/p'; }
registered_key() {
	on "$1" tandem-fence -g "$GROUP" status | sed -n "s/.*\(0x[0-9a-f]\{16\}\) ($1, this node).*/\1/p" | head -n 1
}
journal_has() { on "$1" journalctl -b -q -u "$2" | grep -qE -- "$3"; }

# _group_opts ARG...: parse group_can_run's and group_rig_start's options.
_group_opts() {
	_GROUP_PG=1 _GROUP_UNFENCE=1
	while [ $# -gt 0 ]; do
		case $1 in
		--no-postgres) _GROUP_PG= ;;
		--no-unfence) _GROUP_UNFENCE= ;;
		*) echo "group rig: unknown option '$1'" >&2; return 1 ;;
		esac
		shift
	done
}

group_can_run() {
	local b=${BUILD:-build} p why
	_group_opts "$@" 2>&1 || return 1
	for p in $_GROUP_PROGS rig/iscsi-pr; do
		[ -x "$_GROUP_ROOT/$b/$p" ] || { echo "group rig: skip: $b/$p is not built (make)"; return 1; }
	done
	[ -z "$_GROUP_PG" ] || command -v psql >/dev/null 2>&1 ||
		{ echo "group rig: skip: no psql (package postgresql-client, tools/deps.sh)"; return 1; }
	why=$(cluster_can_run) || { echo "$why"; return 1; }
	why=$(tgtd_can_run) || { echo "$why"; return 1; }
	return 0
}

# group_conf NODE [section.key=value]...
group_conf() {
	local n=$1 peer=db2 kv
	shift
	[ "$n" = db2 ] && peer=db1
	for kv in "$@"; do
		case $kv in *.*=*) ;; *) echo "group_conf: '$kv' is not section.key=value" >&2; return 1 ;; esac
	done
	{
		cat <<EOF
[cluster]
name = rig
node = $n
peer = $peer

[fence]
devices = $GROUP_LUN
initiator = iqn.2026-11.org.tandem.rig:$n
timeout = 3s
watch_interval = 1s

[raid]
devices = /dev/md0
on_degraded = allow

[volume]
device = LABEL=tandemdb
fstype = ext4
mountpoint = $GROUP_MNT
stop_timeout = $_GROUP_STOP_TIMEOUT

[service]
unit = $GROUP_SVC
address = $GROUP_ADDR/$GROUP_PREFIX
interface = $CLUSTER_IFACE
EOF
	} | awk -v over="$*" '
		# A key the template has is replaced in place; one it lacks is
		# added at the end of its section.
		function flush(s,   k) { for (k in v) if (!(k in done) && index(k, s ".") == 1) {
			print substr(k, length(s) + 2) " = " v[k]; done[k] = 1 } }
		BEGIN { n = split(over, o, " "); for (i = 1; i <= n; i++) {
			eq = index(o[i], "="); k = substr(o[i], 1, eq - 1); v[k] = substr(o[i], eq + 1) } }
		/^\[/ { if (sec != "") flush(sec); sec = substr($0, 2, length($0) - 2) }
		/=/ { k = sec "." $1; if (k in v) { print $1 " = " v[k]; done[k] = 1; next } }
		{ print }
		END { if (sec != "") flush(sec) }' |
		on "$n" sh -c "umask 077 && mkdir -p /etc/tandem && chmod 0755 /etc/tandem && cat >/etc/tandem/$GROUP.conf.new && mv /etc/tandem/$GROUP.conf.new /etc/tandem/$GROUP.conf"
}

# _group_raid_dropin DIR NAME: the drop-in that points the gate at NAME.
_group_raid_dropin() {
	printf 'mkdir -p %s/tandem-raid@%s.service.d && printf "[Service]\\nEnvironment=OCF_RESKEY_sysroot=/opt/tandem-fixtures/md/%s\\n" >%s/tandem-raid@%s.service.d/' \
		"$1" "$GROUP" "$2" "$1" "$GROUP"
}

# group_raid_fixture NODE NAME: until NODE reboots, its RAID gate reads
# tests/fixtures/md/NAME (the boot-time default is clean-raid1).
group_raid_fixture() {
	on "$1" sh -c "$(_group_raid_dropin /run/systemd/system "$2")zz-fixture.conf && systemctl daemon-reload"
}

# _group_node_setup NODE: PostgreSQL's config (unless --no-postgres), the
# group's config and units.
_group_node_setup() {
	local n=$1 pg=: unfence=:
	group_conf "$n" || return 1
	[ -n "$_GROUP_PG" ] && pg="
		c=/etc/postgresql/15/main
		printf '%s\n' \"listen_addresses = '$GROUP_ADDR'\" \"cluster_name = '$n'\" >\$c/conf.d/tandem-rig.conf
		echo 'host all all $CLUSTER_NET.0/24 trust' >>\$c/pg_hba.conf
		# tandem mounts only below directories that root alone may change
		# (H3): Debian makes postgres own its home, /var/lib/postgresql.
		chown root:root /var/lib/postgresql
		chmod 0755 /var/lib/postgresql"
	[ -n "$_GROUP_UNFENCE" ] && unfence="systemctl enable tandem-unfence@$GROUP.service >/dev/null 2>&1"
	on "$n" sh -c "
		set -e
		$pg
		mkdir -p $GROUP_MNT
		systemctl add-wants tandem-active@$GROUP.target $GROUP_SVC >/dev/null 2>&1
		$unfence
		$(_group_raid_dropin /etc/systemd/system clean-raid1)rig.conf
		systemctl daemon-reload" || return 1
}

group_rig_start() {
	local b=${BUILD:-build} p f n
	local -a binds
	_group_opts "$@" || return 1
	if [ -n "$_GROUP_PG" ]; then
		GROUP_SVC=postgresql@15-main.service GROUP_MNT=/var/lib/postgresql/15 _GROUP_STOP_TIMEOUT=20s
	else
		GROUP_SVC=tandem-rig-db.service GROUP_MNT=/srv/db _GROUP_STOP_TIMEOUT=5s
	fi
	_GROUP_EXTRA=$(mktemp -d /tmp/tandem-group.XXXXXX) || return 1
	if [ -z "$_GROUP_PG" ]; then
		printf '%s\n' '[Unit]' "Description=tandem rig: the group's database (a sleep on the volume)" \
			'[Service]' "WorkingDirectory=$GROUP_MNT" 'ExecStart=/bin/sleep infinity' \
			>"$_GROUP_EXTRA/$GROUP_SVC" || return 1
		binds+=(--bind-ro "$_GROUP_EXTRA/$GROUP_SVC:/etc/systemd/system/$GROUP_SVC")
	fi
	binds+=(--bind-ro "$_GROUP_ROOT/tests/fixtures/md:/opt/tandem-fixtures/md"
	       --bind-ro "$_GROUP_ROOT/units/examples/postgresql-tandem.conf:/etc/systemd/system/$GROUP_SVC.d/tandem.conf")
	for p in $_GROUP_PROGS; do
		binds+=(--bind-ro "$_GROUP_ROOT/$b/$p:/usr/sbin/$p")
	done
	for f in "$_GROUP_ROOT"/units/*.service "$_GROUP_ROOT"/units/*.target; do
		binds+=(--bind-ro "$f:/etc/systemd/system/${f##*/}")
	done
	# tandem-address needs CAP_NET_ADMIN (and CAP_NET_RAW for the
	# gratuitous ARP); nspawn's default set lacks them.
	export CLUSTER_NSPAWN_ARGS="${CLUSTER_NSPAWN_ARGS:-} --capability=CAP_NET_ADMIN,CAP_NET_RAW"
	cluster_start "${binds[@]}" || return 1
	GROUP_ADDR=$CLUSTER_NET.100
	TGTD_NETNS=$CLUSTER_NETNS TGTD_ADDR=$CLUSTER_ADDR_CLIENT tgtd_start 1 >/dev/null || {
		echo "group rig: cannot start tgtd in $CLUSTER_NETNS" >&2
		return 1
	}
	GROUP_LUN=$TGTD_URL/1
	export GROUP GROUP_ADDR GROUP_PREFIX GROUP_SVC GROUP_LUN GROUP_MNT
	# The volume: ext4, with db1's freshly made PostgreSQL cluster on it
	# (with --no-postgres, the disk stays blank: the caller makes it).
	if [ -n "$_GROUP_PG" ]; then
		mkfs.ext4 -q -F -L tandemdb "$CLUSTER_DISK" || return 1
		on db1 sh -c "
			set -e
			m=\$(mktemp -d)
			mount '$CLUSTER_DISK' \$m
			cp -a $GROUP_MNT/main \$m/
			chown postgres:postgres \$m
			umount \$m
			rmdir \$m" || { echo "group rig: cannot put PostgreSQL's data on the volume" >&2; return 1; }
	fi
	for n in db1 db2; do
		_group_node_setup "$n" || { echo "group rig: cannot set up $n" >&2; return 1; }
		[ -n "$_GROUP_UNFENCE" ] || continue
		on "$n" systemctl start "tandem-unfence@$GROUP.service" || {
			echo "group rig: $n: tandem-unfence@$GROUP failed:" >&2
			on "$n" journalctl -b -q -o cat -u "tandem-unfence@$GROUP.service" | tail -n 5 >&2
			return 1
		}
	done
	return 0
}

group_rig_stop() {
	local rc=0
	client_stop
	# The nodes first: they release and log out while tgtd still runs.
	cluster_stop || rc=1
	tgtd_stop >/dev/null || rc=1
	[ -n "$_GROUP_EXTRA" ] && rm -rf -- "$_GROUP_EXTRA"
	_GROUP_EXTRA=
	return "$rc"
}

# --------------------------------------------------------------- the client

# The writer's loop, run by bash in the client namespace: $1 the directory,
# $2 the address. One psql per row (one connection, one transaction), so a
# failover is seen as the failures between two acknowledged rows. timeout
# bounds a psql whose server vanished mid-statement (no RST comes from a
# crashed node).
# shellcheck disable=SC2016 # expanded by the inner bash
_GROUP_WRITER='
d=$1 addr=$2
i=$(cat "$d/acked" "$d/failed" | cut -d" " -f1 | sort -n | tail -n 1)
i=${i:-0}
while [ ! -e "$d/stop" ]; do
	i=$((i + 1))
	if timeout -k 1 5 psql -X -q -v ON_ERROR_STOP=1 \
		"host=$addr user=postgres dbname=postgres connect_timeout=2" \
		-c "INSERT INTO rows (n, node) VALUES ($i, current_setting('"'"'cluster_name'"'"'))" \
		>/dev/null 2>>"$d/errors"; then
		echo "$i $EPOCHREALTIME" >>"$d/acked"
	else
		echo "$i $EPOCHREALTIME" >>"$d/failed"
		sleep 0.1
	fi
done'

# client_sql NODE SQL: run SQL as postgres on NODE (through the local socket).
client_sql() {
	on "$1" runuser -u postgres -- psql -X -qAt -v ON_ERROR_STOP=1 -c "$2"
}

client_start() {
	_GROUP_CLIENT_DIR=$1
	mkdir -p "$1" && touch "$1/acked" "$1/failed" && rm -f "$1/stop" || return 1
	wc -l <"$1/acked" >"$1/phase"
	ip netns exec "$CLUSTER_NETNS" bash -c "$_GROUP_WRITER" _ "$1" "$GROUP_ADDR" &
	_GROUP_CLIENT_PID=$!
}

client_acked() { wc -l <"$_GROUP_CLIENT_DIR/acked"; }

client_wait_rows() {
	local want=$(( $(client_acked) + $1 )) limit=${2:-60} t0=$SECONDS
	while [ "$(client_acked)" -lt "$want" ]; do
		if [ $((SECONDS - t0)) -ge "$limit" ]; then
			echo "client: fewer than $1 more rows acknowledged in ${limit}s (last errors:)" >&2
			tail -n 3 "$_GROUP_CLIENT_DIR/errors" 2>/dev/null | sed 's/^/  | /' >&2
			return 1
		fi
		sleep 0.1
	done
}

client_stop() {
	[ -n "$_GROUP_CLIENT_PID" ] || return 0
	: >"$_GROUP_CLIENT_DIR/stop"
	# The loop ends within one psql (timeout 5 s, plus 1 s to kill it).
	wait "$_GROUP_CLIENT_PID" 2>/dev/null
	_GROUP_CLIENT_PID=
}

# client_tally NODE: compare the acknowledged rows with the rows NODE has.
client_tally() {
	local d=$_GROUP_CLIENT_DIR found lost extra
	client_sql "$1" "SELECT n FROM rows ORDER BY n" >"$d/found" || {
		echo "tally: cannot read the rows on $1" >&2
		return 1
	}
	cut -d' ' -f1 "$d/acked" | sort -n >"$d/acked.n"
	cut -d' ' -f1 "$d/failed" | sort -n >"$d/failed.n"
	found=$(wc -l <"$d/found")
	lost=$(comm -23 <(sort "$d/acked.n") <(sort "$d/found") | sort -n | tr '\n' ' ')
	extra=$(comm -12 <(sort "$d/failed.n") <(sort "$d/found") | wc -l)
	echo "committed $(wc -l <"$d/acked.n") found $found lost $(echo "$lost" | wc -w) unacked-but-present $extra"
	[ -z "$lost" ] || { echo "lost rows: $lost"; return 1; }
}

# client_gap: the longest time between two acknowledged rows since the last
# client_start (the clients' outage), in seconds.
client_gap() {
	awk -v from="$(cat "$_GROUP_CLIENT_DIR/phase")" '
		NR > from + 1 && $2 - p > m { m = $2 - p }
		{ p = $2 }
		END { printf "%.2f\n", m }' "$_GROUP_CLIENT_DIR/acked"
}

# ------------------------------------------------------- the volume's journal

volume_events() {
	local n
	for n in "$@"; do
		on "$n" journalctl -q -o short-unix -u "tandem-volume@$GROUP.service" |
			awk -v node="$n" '
				/: mounted / { print $1, node, "mounted" }
				/: unmounted / { print $1, node, "unmounted" }'
	done | sort -n
}

never_both_mounted() {
	volume_events "$@" | awk '
		{ printf "     %s %s %s\n", strftime("%T", int($1)) substr($1, index($1, ".")), $2, $3 }
		$3 == "mounted" { if (!up[$2]++) live++ }
		$3 == "unmounted" { if (up[$2]) { up[$2] = 0; live-- } }
		live > 1 { printf "     both mounted at %s\n", $1; bad = 1 }
		END { exit bad }'
}
