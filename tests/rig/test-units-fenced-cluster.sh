#!/bin/bash
# The units with real fencing, in the two-node cluster rig: tgtd serves the
# fence LUN from the client namespace (iscsi://10.77.0.1:PORT/...), and the
# real tandem-fence runs in db1 and db2 under systemd.
#   - both nodes unfence (tandem-unfence@db); both keys registered;
#   - db1 starts the group: the reservation is db1's, the volume mounted;
#   - db2 fences db1 by hand (tandem-fence preempt db1): db1's watch sees
#     its key gone and stops db1's group (I4): service, address and volume
#     down, and it says so in the journal;
#   - db2 starts the group (it holds the reservation already) and mounts;
#     stopping it releases the reservation.
# The shared data disk is a loop device, not behind the fence LUN, so the
# test never lets both nodes mount it at once.
# Exit 0 pass, 77 skip (reason printed), anything else fail.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/rig/cluster/cluster.sh
. tests/rig/tgtd.sh
B=${BUILD:-build}
for p in tandem-fence tandem-raid tandem-volume tandem-address rig/iscsi-pr; do
	[ -x "$B/$p" ] || skip "skip: $B/$p is not built (make)"
done
why=$(cluster_can_run) || skip "$why"
why=$(tgtd_can_run) || skip "${why#tgtd rig: skip: }"

t_tmpdir tandem-units-fenced
extra=$T_TMP
at_exit 'tgtd_stop >/dev/null'
at_exit cluster_stop    # first: the nodes release and log out while tgtd runs

on() { cluster_exec "$@"; }

G=db
SVC=tandem-rig-db.service
ADDR=10.77.0.101/24
cat >"$extra/$SVC" <<'EOF2'
[Unit]
Description=tandem rig: the group's database (a sleep on the volume)
[Service]
WorkingDirectory=/srv/db
ExecStart=/bin/sleep infinity
EOF2
cat >"$extra/raid-sysroot.conf" <<'EOF2'
[Service]
Environment=OCF_RESKEY_sysroot=/opt/tandem-fixtures/md/clean-raid1
EOF2
binds=(--bind-ro "$PWD/tests/fixtures/md:/opt/tandem-fixtures/md"
       --bind-ro "$extra/$SVC:/etc/systemd/system/$SVC"
       --bind-ro "$PWD/units/examples/postgresql-tandem.conf:/etc/systemd/system/$SVC.d/tandem.conf"
       --bind-ro "$extra/raid-sysroot.conf:/etc/systemd/system/tandem-raid@$G.service.d/rig.conf")
for p in tandem-fence tandem-raid tandem-volume tandem-address; do
	binds+=(--bind-ro "$PWD/$B/$p:/usr/sbin/$p")
done
for f in units/*.service units/*.target; do
	binds+=(--bind-ro "$PWD/$f:/etc/systemd/system/${f#units/}")
done
export CLUSTER_NSPAWN_ARGS="${CLUSTER_NSPAWN_ARGS:-} --capability=CAP_NET_ADMIN,CAP_NET_RAW"
t0=$SECONDS
cluster_start "${binds[@]}" || die "cluster_start"
TGTD_NETNS=$CLUSTER_NETNS TGTD_ADDR=$CLUSTER_ADDR_CLIENT tgtd_start 1 >/dev/null ||
	die "tgtd in $CLUSTER_NETNS"
LUN=$TGTD_URL/1
echo "cluster up; fence LUN $LUN served from $CLUSTER_NETNS"
check "host: mkfs.ext4 -L tandemdb $CLUSTER_DISK" mkfs.ext4 -q -F -L tandemdb "$CLUSTER_DISK"
pr() { ip netns exec "$CLUSTER_NETNS" "$PWD/$B/rig/iscsi-pr" -r 3 "$LUN" "$@"; }
holder() { pr read-reservation | sed -n 's/^holder \(0x[0-9a-f]*\).*/\1/p'; }
keys() { pr read-keys | sed -n 's/^key //p' | sort -u | tr '\n' ' '; }

for n in db1 db2; do
	peer=db2; [ $n = db2 ] && peer=db1
	on $n sh -c "umask 077 && mkdir -p /etc/tandem /srv/db && chmod 0755 /etc/tandem && cat >/etc/tandem/$G.conf" <<CONF
[cluster]
name = rig
node = $n
peer = $peer

[fence]
devices = $LUN
initiator = iqn.2026-11.org.tandem.rig:$n
timeout = 3s
watch_interval = 1s

[raid]
devices = /dev/md0

[volume]
device = LABEL=tandemdb
fstype = ext4
mountpoint = /srv/db
stop_timeout = 5s

[service]
unit = $SVC
address = $ADDR
interface = $CLUSTER_IFACE
CONF
	on $n systemctl add-wants tandem-active@$G.target $SVC >/dev/null 2>&1
	on $n systemctl daemon-reload
done
state() { on "$1" systemctl show -P ActiveState "$2"; }
mounted() { on "$1" findmnt -n -o SOURCE /srv/db >/dev/null; }
addr_up() { on "$1" ip -o addr show dev "$CLUSTER_IFACE" | grep -qF " $ADDR "; }

for n in db1 db2; do
	check "$n: tandem-unfence@$G starts" on $n systemctl start tandem-unfence@$G.service ||
		on $n journalctl -b -q -o cat -u tandem-unfence@$G.service | tail -n 5 | sed 's/^/     /'
done
K1=$(on db1 sh -c "tandem-fence -g $G status" | sed -n 's/.*\(0x[0-9a-f]\{16\}\) (db1, this node).*/\1/p' | head -n 1)
K2=$(on db2 sh -c "tandem-fence -g $G status" | sed -n 's/.*\(0x[0-9a-f]\{16\}\) (db2, this node).*/\1/p' | head -n 1)
check "both keys registered, read independently ($(keys))" eq "$(printf '%s\n' "$K1" "$K2" | sort | tr '\n' ' ')" "$(keys)"

check "db1: start tandem-active@$G.target" on db1 systemctl start tandem-active@$G.target ||
	on db1 journalctl -b -q -o cat -u 'tandem-*' | tail -n 20 | sed 's/^/     /'
check "db1 holds the reservation, read independently" eq "$K1" "$(holder)"
check "db1: the volume is mounted" mounted db1
check "db1: the watch runs" eq active "$(state db1 tandem-watch@$G.service)"

echo "db2 fences db1 by hand, while db1 runs the group"
check "db2: tandem-fence preempt db1" on db2 tandem-fence -q -g $G preempt db1
for _ in $(seq 1 60); do
	[ "$(state db1 tandem-volume@$G.service)" = inactive ] && ! mounted db1 && break
	sleep 0.5
done
check "I4 db1: the watch saw its key gone (exit 4)" eq 4 "$(on db1 systemctl show -P ExecMainStatus tandem-watch@$G.service)"
journal_has() { on "$1" journalctl -b -q -u "$2" | grep -q -- "$3"; }
check "I4 db1: the journal says so" journal_has db1 tandem-watch@$G.service "our key is gone"
check "I4 db1: the volume is unmounted" not mounted db1
check "I4 db1: the address is gone" not addr_up db1
check "I4 db1: the service is stopped" eq inactive "$(state db1 $SVC)"
check "db1's key is gone, read independently ($(keys))" eq "$K2 " "$(keys)"

on db1 systemctl reset-failed
check "db2: start tandem-active@$G.target (it holds the reservation)" on db2 systemctl start tandem-active@$G.target ||
	on db2 journalctl -b -q -o cat -u 'tandem-*' | tail -n 20 | sed 's/^/     /'
check "db2: the volume is mounted" mounted db2
check "db2 holds the reservation" eq "$K2" "$(holder)"
check "db1 cannot start the group now (fenced)" not on db1 systemctl start tandem-active@$G.target
check "db1 did not mount" not mounted db1
on db2 systemctl stop tandem-active@$G.target tandem-takeover@$G.service
check "db2: stopped, unmounted" not mounted db2
check "db2: released; nobody holds the reservation" eq "" "$(holder)"

echo "total $((SECONDS - t0))s"
finish
