# shellcheck shell=sh
# shellcheck disable=SC2034 # RIG_* names are for /init and test scripts
# Guest-side setup of the QEMU rig (busybox sh), sourced by /init. Test
# scripts may source it too (". /rig/rig.sh") for rig_wait and the names
# below.
#
# After rig_setup (with RIG_LUNS > 0):
#   LIO iSCSI target $RIG_TARGET_IQN on 127.0.0.1:3260, LUN i backed by
#     /tmp/lio/lun<i>.img (fileio), unit serial from rig_serial
#   open-iscsi logged in through two ifaces, nodeA and nodeB, with initiator
#     names $RIG_IQN_A and $RIG_IQN_B: two I_T nexuses, two "nodes"
#   /rig/disks: one line per LUN, "lun diskA diskB sgA sgB", e.g.
#     0 /dev/sda /dev/sdb /dev/sg0 /dev/sg1
# With RIG_LUNS=0 there is no target, no initiator and an empty /rig/disks.

RIG_TARGET_IQN=iqn.2026-01.org.tandem.rig:target
RIG_IQN_A=iqn.2026-01.org.tandem.rig:nodea
RIG_IQN_B=iqn.2026-01.org.tandem.rig:nodeb
RIG_PORTAL=127.0.0.1:3260
CFG=/sys/kernel/config/target
export DM_DISABLE_UDEV=1 # no udev here: libdevmapper makes /dev/mapper nodes itself

RIG_FAILED=""

# rig_fail WHAT: records and prints the failed step; returns 1.
rig_fail() {
	RIG_FAILED=$*
	echo "rig: FAILED: $*"
	return 1
}

# rig_log MSG: a progress line with the guest's uptime.
rig_log() {
	read -r up _ </proc/uptime
	echo "rig: [$up] $*"
}

# rig_wait SECONDS CMD...: polls CMD every 0.2 s until it succeeds; returns 1
# when SECONDS pass first.
rig_wait() {
	_n=$(($1 * 5))
	shift
	while ! "$@" >/dev/null 2>&1; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || return 1
		sleep 0.2
	done
}

# rig_modules ORDERFILE: insmods each "path params" line not loaded yet.
# A module that fails to load is only fatal if it was asked for by name
# (RIG_MODULES); optional softdeps such as crc32c-intel may refuse the CPU.
rig_modules() {
	while read -r _path _params; do
		_name=${_path##*/}
		_name=${_name%.ko}
		_name=$(echo "$_name" | tr - _)
		[ -d "/sys/module/$_name" ] && continue
		# shellcheck disable=SC2086 # params are words
		insmod "$_path" $_params || echo "rig: warning: insmod $_path failed"
	done <"$1"
}

# rig_check_modules NAMES: each must be loaded (or built in).
rig_check_modules() {
	for _m in $1; do
		_m=$(echo "$_m" | tr - _)
		[ -d "/sys/module/$_m" ] || rig_fail "module $_m did not load" || return 1
	done
}

# rig_serial I: a unit serial for LUN I. LIO derives the NAA WWN from the
# first 25 hex digits of the serial, so the LUN number goes first: serials
# that differed only at the end would share one WWN.
rig_serial() {
	printf '%04x5eed0fa11c0ffee0\n' "$(($1 + 1))"
}

# rig_target N MB: the LIO iSCSI target, straight through configfs.
rig_target() {
	_luns=$1
	_mb=$2
	# PR OUT fails with NOT READY unless LIO can write its APTPL file here.
	mkdir -p /var/target/pr /var/target/alua /tmp/lio
	[ -d "$CFG/core" ] || rig_fail "configfs target tree missing at $CFG" || return 1
	_tpg=$CFG/iscsi/$RIG_TARGET_IQN/tpgt_1
	mkdir -p "$CFG/iscsi" && mkdir "$CFG/iscsi/$RIG_TARGET_IQN" && mkdir "$_tpg" ||
		rig_fail "cannot create iSCSI target $RIG_TARGET_IQN" || return 1
	_i=0
	while [ "$_i" -lt "$_luns" ]; do
		_dev=$CFG/core/fileio_$_i/lun$_i
		{
			mkdir -p "$_dev" &&
				echo "fd_dev_name=/tmp/lio/lun$_i.img,fd_dev_size=$((_mb * 1048576))" >"$_dev/control" &&
				# The serial must be set before the LUN is linked (then it is fixed).
				rig_serial "$_i" >"$_dev/wwn/vpd_unit_serial" &&
				echo 1 >"$_dev/enable" &&
				mkdir "$_tpg/lun/lun_$_i" &&
				ln -s "$_dev" "$_tpg/lun/lun_$_i/rig_lun$_i"
		} || rig_fail "cannot export LUN $_i ($_dev)" || return 1
		_i=$((_i + 1))
	done
	# Demo mode: any initiator gets an ACL of its own, read-write, no CHAP.
	{
		echo 1 >"$_tpg/attrib/generate_node_acls" &&
			echo 1 >"$_tpg/attrib/cache_dynamic_acls" &&
			echo 0 >"$_tpg/attrib/demo_mode_write_protect" &&
			echo 0 >"$_tpg/attrib/authentication" &&
			mkdir "$_tpg/np/$RIG_PORTAL" &&
			echo 1 >"$_tpg/enable"
	} || rig_fail "cannot enable target portal group $_tpg" || return 1
}

# rig_session_disks IFACE: "lun sdX sgY" lines for the session through IFACE.
rig_session_disks() {
	for _s in /sys/class/iscsi_session/session*; do
		[ "$(cat "$_s/ifacename" 2>/dev/null)" = "$1" ] || continue
		for _d in "$_s"/device/target*/[0-9]*:*:*:*; do
			[ -d "$_d/block" ] || continue
			_blk=$(ls "$_d/block")
			_sg=$(ls "$_d/scsi_generic" 2>/dev/null)
			if [ ! -b "/dev/$_blk" ] || [ -z "$_sg" ] || [ ! -c "/dev/$_sg" ]; then
				continue # not (fully) there yet
			fi
			echo "${_d##*:} /dev/$_blk /dev/$_sg"
		done
	done | sort -n
}

# rig_have_disks IFACE N: true once IFACE's session shows N disks.
rig_have_disks() {
	[ "$(rig_session_disks "$1" | wc -l)" -eq "$2" ]
}

# rig_initiator N: iscsid, two ifaces, discovery, and two logins.
rig_initiator() {
	_luns=$1
	mkdir -p /etc/iscsi/nodes /etc/iscsi/send_targets /etc/iscsi/ifaces /run/lock/iscsi
	iscsid || rig_fail "iscsid did not start" || return 1
	for _x in A B; do
		case $_x in A) _iqn=$RIG_IQN_A ;; *) _iqn=$RIG_IQN_B ;; esac
		{
			iscsiadm -m iface -I "node$_x" -o new >/dev/null &&
				iscsiadm -m iface -I "node$_x" -o update -n iface.initiatorname -v "$_iqn" >/dev/null &&
				iscsiadm -m iface -I "node$_x" -o update -n iface.transport_name -v tcp >/dev/null
		} || rig_fail "cannot create iface node$_x" || return 1
	done
	# iscsid may need a moment before it answers on its socket.
	if ! rig_wait 10 iscsiadm -m discovery -t sendtargets -p "$RIG_PORTAL" -I nodeA -I nodeB; then
		# once more, with its messages, for the log
		iscsiadm -m discovery -t sendtargets -p "$RIG_PORTAL" -I nodeA -I nodeB
		rig_fail "discovery of $RIG_PORTAL failed"
		return 1
	fi
	# One login at a time, waiting for its disks: nodeA then gets sda, sdb...
	# and nodeB the next ones, so names are predictable.
	for _x in A B; do
		iscsiadm -m node -T "$RIG_TARGET_IQN" -p "$RIG_PORTAL" -I "node$_x" --login >/dev/null ||
			rig_fail "login through node$_x failed" || return 1
		rig_wait 30 rig_have_disks "node$_x" "$_luns" ||
			rig_fail "node$_x: expected $_luns disks, have: $(rig_session_disks "node$_x" | tr '\n' ' ')" ||
			return 1
	done
	rig_session_disks nodeA >/tmp/.disks.a
	rig_session_disks nodeB >/tmp/.disks.b
	# join on the LUN number: lun diskA diskB sgA sgB
	while read -r _l _da _ga; do
		_line=$(grep "^$_l " /tmp/.disks.b) || rig_fail "LUN $_l missing through nodeB" || return 1
		# shellcheck disable=SC2086 # split the line into its fields
		set -- $_line
		echo "$_l $_da $2 $_ga $3"
	done </tmp/.disks.a >/rig/disks
	rm -f /tmp/.disks.a /tmp/.disks.b
}

# rig_real_tools: prints "name() { /path/name "$@"; }" for each real
# program in PATH whose name is also a busybox applet (first in PATH wins).
# Debian's static busybox sh prefers applets to PATH; functions come first.
rig_real_tools() {
	_applets=" $(busybox --list | tr '\n' ' ') "
	_done=" "
	_IFS=$IFS
	IFS=:
	for _d in $PATH; do
		IFS=$_IFS
		for _f in "$_d"/*; do
			if [ ! -f "$_f" ] || [ -L "$_f" ] || [ ! -x "$_f" ]; then
				continue
			fi
			_n=${_f##*/}
			case $_n in busybox | *[!A-Za-z0-9_]* | [0-9]*) continue ;; esac
			case $_applets in *" $_n "*) ;; *) continue ;; esac
			case $_done in *" $_n "*) continue ;; esac
			_done="$_done$_n "
			echo "$_n() { $_f \"\$@\"; }"
		done
	done
	IFS=$_IFS
}

# rig_setup: everything the test script may rely on. Reads RIG_LUNS and
# RIG_LUN_MB (from /rig/run.conf).
rig_setup() {
	rig_log "setup: modules"
	ip link set lo up || rig_fail "cannot bring lo up" || return 1
	ip addr add 127.0.0.1/8 dev lo 2>/dev/null # the kernel usually adds it already
	ip -4 addr show dev lo | grep -q 'inet 127\.0\.0\.1/' || rig_fail "lo has no 127.0.0.1" || return 1
	echo /sbin/modprobe >/proc/sys/kernel/modprobe
	rig_modules /rig/modules.order
	rig_check_modules "$(cat /rig/modules.want)" || return 1
	# modules the caller asked for with run.sh --module
	if [ -f /rig/modules.extra ]; then
		rig_modules /rig/modules.extra
		rig_check_modules "$(cat /rig/modules.extra.want)" || return 1
	fi
	mount -t configfs configfs /sys/kernel/config || rig_fail "cannot mount configfs" || return 1
	: >/rig/disks
	if [ "${RIG_LUNS:-0}" -gt 0 ]; then
		rig_log "setup: LIO target, $RIG_LUNS LUN(s) of $RIG_LUN_MB MiB"
		rig_target "$RIG_LUNS" "$RIG_LUN_MB" || return 1
		rig_log "setup: open-iscsi, two initiators"
		rig_initiator "$RIG_LUNS" || return 1
		sed 's/^/rig: disk: /' /rig/disks
	fi
	rig_log "setup: done"
}
