# shellcheck shell=bash
# tests/rig/cluster/cluster.sh: a two-node cluster for rig tests. Each node
# (db1, db2) is a systemd-nspawn container with systemd as PID 1, booted from
# a cached Debian 12 image, in its own network namespace; a bridge in a third
# namespace (the "san/client" namespace) joins them; one loop device is bound
# into both as the shared data disk. See README.md in this folder.
#
# Source it from bash, in the test's main shell (not inside $(...)), so that
# the nspawn processes it starts are children of that shell and are reaped
# there; never use a bare `wait` in that shell.
#
#   . tests/rig/cluster/cluster.sh
#   why=$(cluster_can_run) || { echo "$why"; exit 77; }
#   trap cluster_stop EXIT
#   trap 'exit 130' INT TERM HUP        # so that the EXIT trap runs
#   cluster_start --bind-ro "$PWD/build:/opt/tandem" || exit 1
#   cluster_exec db1 ssh db2 hostname    # prints db2
#
# Functions (each returns 0 on success, non-zero after printing why):
#   cluster_can_run        can this machine run the rig? Prints the reason and
#                          returns 1 when not (callers exit 77).
#   cluster_start [--bind-ro HOST:NODE]... [--bind HOST:NODE]...
#                          build or reuse the image, create the namespaces,
#                          bridge, veths, loop device and SSH keys, boot db1
#                          and db2, and wait (bounded) until both report
#                          `systemctl is-system-running` running or degraded.
#                          The binds apply to both nodes, at every boot.
#   cluster_exec NODE CMD...
#                          run CMD inside NODE (nsenter into all of its
#                          namespaces, with a clean root environment); stdin,
#                          stdout, stderr and the exit status pass through.
#                          The process is not in any of the node's units: use
#                          `cluster_exec NODE systemd-run ...` for anything
#                          long-lived.
#   cluster_kill NODE      crash NODE: SIGKILL its nspawn and its PID 1 by
#                          PID, and take its network port down (a dead host
#                          answers nothing). Leaves its disk (overlay) for
#                          cluster_boot.
#   cluster_poweroff NODE  clean shutdown of NODE (bounded, then SIGKILL);
#                          its network port goes down.
#   A node that reboots itself (systemctl reboot) is booted again by the rig;
#   its nspawn PID changes, and the functions here follow it.
#   cluster_boot NODE      boot NODE again after cluster_kill or
#                          cluster_poweroff (same disk, same identity, its
#                          eth0 back to the rig's address only, as after a
#                          reboot) and wait until it runs.
#   cluster_link NODE up|down
#                          connect or cut NODE's port on the bridge (a
#                          network partition; the node keeps running).
#   cluster_alive NODE     is NODE's container running? (0 yes, 1 no)
#   cluster_leader NODE    print the host PID of NODE's PID 1 (systemd)
#   cluster_wait_running NODE [SECONDS]
#                          wait until NODE's systemd is running or degraded
#   cluster_client CMD...  run CMD in the client namespace (ip netns exec)
#   cluster_ssh NODE CMD...
#                          ssh to NODE as root from the client namespace,
#                          with the rig's key (BatchMode, strict host keys)
#   cluster_stop           clean poweroff of both nodes (bounded wait, then
#                          SIGKILL by PID), delete the namespaces (and with
#                          them the bridge and veths), detach the loop
#                          device, remove the node cgroups and the temp dir.
#                          Idempotent, trap-safe, acts only on what
#                          cluster_start recorded. Returns 1 if it had to
#                          SIGKILL a node or could not remove something.
#
# Exported after cluster_start:
#   CLUSTER_ID            short random id, part of every name the rig makes
#   CLUSTER_DIR           temp dir (/var/tmp/tandem-cluster.ID): per-node
#                         overlay (upper, work, root), console logs, SSH keys,
#                         the shared disk's backing file
#   CLUSTER_NODES         "db1 db2"
#   CLUSTER_NETNS         the client namespace (holds the bridge br0)
#   CLUSTER_NETNS_DB1, CLUSTER_NETNS_DB2   the nodes' network namespaces
#   CLUSTER_ADDR_CLIENT   the client's address on the bridge (10.77.0.1)
#   CLUSTER_ADDR_DB1, CLUSTER_ADDR_DB2     the nodes' addresses (.11, .12)
#   CLUSTER_PREFIXLEN     24
#   CLUSTER_IFACE         the nodes' interface name: eth0
#   CLUSTER_DISK          the shared loop device (/dev/loopN, the same path
#                         in the host and in both nodes)
#   CLUSTER_DISK_FILE     its backing file
#   CLUSTER_ROOTFS        the cached image the nodes boot (read-only lower
#                         layer of each node's overlay)
#   CLUSTER_SSH_KEY       the rig's private key (root on both nodes)
#   CLUSTER_SSH_CONFIG    an ssh_config for the client namespace: Host db1, db2
#   CLUSTER_PID_DB1, CLUSTER_PID_DB2       the nodes' systemd-nspawn PIDs
#                         (empty while a node is down)
# Tunables (environment, read by cluster_start):
#   CLUSTER_NET           first three octets of the /24 (default 10.77.0)
#   CLUSTER_DISK_MB       size of the shared disk (default 512, sparse)
#   CLUSTER_BOOT_TIMEOUT  seconds per boot (default 180)
#   CLUSTER_STOP_TIMEOUT  seconds for a clean poweroff (default 30)
#   CLUSTER_NSPAWN_ARGS   extra systemd-nspawn arguments (word-split)
#   TANDEM_CLUSTER_CACHE, TANDEM_DEBIAN_MIRROR: see build-rootfs.sh

_CLUSTER_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_CLUSTER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
_CLUSTER_BINDS=()
declare -gA _CLUSTER_LEADER=() _CLUSTER_WRAPPER=()

_cluster_log() {
	printf 'cluster rig: %s\n' "$*" >&2
}

_cluster_now() {
	printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"
}

# _cluster_elapsed_lt START SECONDS: true while less than SECONDS have passed.
_cluster_elapsed_lt() {
	awk -v s="$1" -v n="$(_cluster_now)" -v l="$2" 'BEGIN { exit !(n - s < l) }'
}

# _cluster_var NODE SUFFIX: the name of NODE's variable, e.g. CLUSTER_PID_DB1.
_cluster_var() {
	printf 'CLUSTER_%s_%s' "$2" "${1^^}"
}

_cluster_node_ok() {
	case " ${CLUSTER_NODES:-db1 db2} " in
	*" ${1:-} "*) [ -n "${1:-}" ] && [ -n "${CLUSTER_DIR:-}" ] && return 0 ;;
	esac
	_cluster_log "no such node: '${1:-}' (nodes: ${CLUSTER_NODES:-none}; started: ${CLUSTER_DIR:+yes}${CLUSTER_DIR:-no})"
	return 1
}

# _cluster_is_pid PID: PID is a live (not zombie) process.
_cluster_is_pid() {
	local stat
	[ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	case "${stat%% *}" in Z|X|x) return 1 ;; esac
	return 0
}

# _cluster_is_nspawn PID NODE: PID is the live nspawn the rig started for NODE.
_cluster_is_nspawn() {
	local cmdline
	_cluster_is_pid "$1" || return 1
	cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 1
	case "$cmdline" in
	*systemd-nspawn*"--directory=$CLUSTER_DIR/$2/root "*) return 0 ;;
	esac
	return 1
}

# _cluster_cgroup_dirs NODE: the node's cgroup in each named-systemd or
# unified hierarchy this host has mounted, under the caller's own cgroup.
_cluster_cgroup_dirs() {
	local node=$1 own
	if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
		own=$(sed -n 's/^0::\(.*\)/\1/p' /proc/self/cgroup)
		echo "/sys/fs/cgroup${own%/}/tandem-cluster-$CLUSTER_ID/$node"
		return 0
	fi
	if [ "$(stat -fc %T /sys/fs/cgroup/systemd 2>/dev/null)" = cgroupfs ]; then
		own=$(sed -n 's/^[0-9]*:name=systemd:\(.*\)/\1/p' /proc/self/cgroup)
		echo "/sys/fs/cgroup/systemd${own%/}/tandem-cluster-$CLUSTER_ID/$node"
	fi
	if [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		own=$(sed -n 's/^0::\(.*\)/\1/p' /proc/self/cgroup)
		echo "/sys/fs/cgroup/unified${own%/}/tandem-cluster-$CLUSTER_ID/$node"
	fi
}

cluster_can_run() {
	local c missing=
	if [ -z "${BASH_VERSION:-}" ]; then
		echo "cluster rig: skip: needs bash"
		return 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "cluster rig: skip: needs root (namespaces, loop devices, systemd-nspawn)"
		return 1
	fi
	for c in systemd-nspawn ip losetup nsenter unshare flock ssh ssh-keygen tar \
		 sha256sum truncate mktemp timeout awk pgrep stat; do
		command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
	done
	if [ -n "$missing" ]; then
		echo "cluster rig: skip: missing commands:$missing (packages systemd-container, iproute2, util-linux, openssh-client)"
		return 1
	fi
	if [ ! -e /dev/loop-control ]; then
		echo "cluster rig: skip: this kernel has no loop driver (/dev/loop-control missing)"
		return 1
	fi
	if ! grep -qw overlay /proc/filesystems && ! { modprobe overlay 2>/dev/null && grep -qw overlay /proc/filesystems; }; then
		echo "cluster rig: skip: this kernel has no overlayfs (each node boots an overlay of the image)"
		return 1
	fi
	if [ ! -e /proc/self/ns/net ] || ! unshare -n true 2>/dev/null; then
		echo "cluster rig: skip: no network namespaces"
		return 1
	fi
	if ! unshare -n sh -c 'ip link add t0 type veth peer name t1 && ip link add b0 type bridge' 2>/dev/null; then
		echo "cluster rig: skip: this kernel cannot make veth pairs or bridges"
		return 1
	fi
	if [ -z "$(CLUSTER_ID=probe _cluster_cgroup_dirs probe)" ]; then
		echo "cluster rig: skip: no cgroup hierarchy for systemd (neither cgroup2 nor name=systemd is mounted under /sys/fs/cgroup)"
		return 1
	fi
	if [ ! -e "${TANDEM_CLUSTER_CACHE:-/var/cache/tandem-tests/cluster-rootfs}/$("$_CLUSTER_HERE/build-rootfs.sh" --key)/rootfs/.tandem-rig-complete" ] &&
	   ! command -v debootstrap >/dev/null 2>&1; then
		echo "cluster rig: skip: no cached node image and no debootstrap to build one (install debootstrap)"
		return 1
	fi
	return 0
}

cluster_client() {
	if [ -z "${CLUSTER_NETNS:-}" ]; then
		_cluster_log "cluster_client: no cluster started"
		return 1
	fi
	ip netns exec "$CLUSTER_NETNS" "$@"
}

cluster_ssh() {
	local node=${1:-}
	_cluster_node_ok "$node" || return 1
	shift
	cluster_client ssh -F "$CLUSTER_SSH_CONFIG" "$node" "$@"
}

# _cluster_refresh_pid NODE: set CLUSTER_PID_<NODE> to NODE's current nspawn
# (it changes when the node reboots itself); false if there is none.
_cluster_refresh_pid() {
	local node=$1 v pid
	v=$(_cluster_var "$node" PID)
	_cluster_is_nspawn "${!v:-}" "$node" && return 0
	[ -n "${_CLUSTER_WRAPPER[$node]:-}" ] || return 1
	pid=$(cat "$CLUSTER_DIR/$node/nspawn.pid" 2>/dev/null)
	_cluster_is_nspawn "$pid" "$node" || return 1
	printf -v "$v" '%s' "$pid"
	_CLUSTER_LEADER[$node]=
	return 0
}

cluster_alive() {
	_cluster_node_ok "${1:-}" 2>/dev/null || return 1
	_cluster_refresh_pid "$1"
}

# _cluster_find_leader NSPAWN_PID: print the child of nspawn that runs in
# another PID namespace (the container's PID 1).
_cluster_find_leader() {
	local pid=$1 c own
	own=$(readlink "/proc/$pid/ns/pid" 2>/dev/null) || return 1
	for c in $(pgrep -P "$pid"); do
		[ "$(readlink "/proc/$c/ns/pid" 2>/dev/null)" != "$own" ] || continue
		_cluster_is_pid "$c" || continue
		echo "$c"
		return 0
	done
	return 1
}

cluster_leader() {
	local node=${1:-} v l
	_cluster_node_ok "$node" || return 1
	v=$(_cluster_var "$node" PID)
	if ! cluster_alive "$node"; then
		_cluster_log "cluster_leader: $node is not running"
		return 1
	fi
	l=${_CLUSTER_LEADER[$node]:-}
	if [ -z "$l" ] || ! _cluster_is_pid "$l" || [ "$(awk '{ print $4 }' "/proc/$l/stat" 2>/dev/null)" != "${!v}" ]; then
		l=$(_cluster_find_leader "${!v}") || {
			_cluster_log "cluster_leader: $node has no PID 1 yet"
			return 1
		}
		_CLUSTER_LEADER[$node]=$l
	fi
	echo "$l"
}

cluster_exec() {
	local node=${1:-} l
	_cluster_node_ok "$node" || return 125
	shift
	l=$(cluster_leader "$node") || return 125
	_cluster_nsenter "$l" "$@"
}

# _cluster_nsenter PID CMD...: run CMD in all namespaces of PID (root and
# working directory included), with a clean root environment.
_cluster_nsenter() {
	local l=$1
	shift
	nsenter -t "$l" -a -- env -i PATH="$_CLUSTER_PATH" HOME=/root USER=root LOGNAME=root \
		SHELL=/bin/bash LANG=C.UTF-8 TERM="${TERM:-dumb}" "$@"
}

cluster_wait_running() {
	local node=${1:-} limit=${2:-${CLUSTER_BOOT_TIMEOUT:-180}} t0 state='' l
	_cluster_node_ok "$node" || return 1
	t0=$(_cluster_now)
	while :; do
		if ! cluster_alive "$node" && ! _cluster_is_pid "${_CLUSTER_WRAPPER[$node]:-}"; then
			_cluster_log "$node: its container exited during boot; the end of its console:"
			tail -n 40 "$CLUSTER_DIR/$node/console.log" 2>/dev/null | sed 's/^/  | /' >&2
			return 1
		fi
		state=
		if l=$(cluster_leader "$node" 2>/dev/null); then
			state=$(_cluster_nsenter "$l" timeout -k 2 5 systemctl is-system-running 2>/dev/null)
		fi
		case "$state" in
		running) return 0 ;;
		degraded)
			_cluster_log "$node: systemd is degraded; failed units:"
			cluster_exec "$node" systemctl --failed --no-legend --plain 2>&1 | sed 's/^/  | /' >&2
			return 0 ;;
		esac
		if ! _cluster_elapsed_lt "$t0" "$limit"; then
			_cluster_log "$node: not running after ${limit}s (state: ${state:-unknown}); the end of its console:"
			tail -n 40 "$CLUSTER_DIR/$node/console.log" 2>/dev/null | sed 's/^/  | /' >&2
			return 1
		fi
		sleep 0.25
	done
}

# _cluster_prepare_node NODE INDEX: the node's network namespace and veth, its
# overlay dirs, and the per-node files laid over the image at each boot.
_cluster_prepare_node() {
	local node=$1 i=$2 d=$CLUSTER_DIR/$1 addr ns mid
	addr=$CLUSTER_NET.$((10 + i))
	ns=tandem-$CLUSTER_ID-$node
	printf -v "$(_cluster_var "$node" ADDR)" '%s' "$addr"
	printf -v "$(_cluster_var "$node" NETNS)" '%s' "$ns"
	export "$(_cluster_var "$node" ADDR)" "$(_cluster_var "$node" NETNS)" "$(_cluster_var "$node" PID)"

	ip netns add "$ns" || return 1
	ip -n "$CLUSTER_NETNS" link add "v$node" type veth peer name "$CLUSTER_IFACE" netns "$ns" &&
	ip -n "$CLUSTER_NETNS" link set "v$node" master br0 up &&
	ip -n "$ns" link set lo up &&
	ip -n "$ns" addr add "$addr/$CLUSTER_PREFIXLEN" dev "$CLUSTER_IFACE" &&
	ip -n "$ns" link set "$CLUSTER_IFACE" up || return 1

	mkdir -p "$d/upper" "$d/work" "$d/root" "$d/files/etc/ssh" "$d/files/root/.ssh" || return 1
	mid=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	echo "$mid" >"$d/machine-id"
	echo "$mid" >"$d/files/etc/machine-id"
	echo "$node" >"$d/files/etc/hostname"
	ssh-keygen -q -t ed25519 -N '' -C "root@$node" -f "$d/files/etc/ssh/ssh_host_ed25519_key" || return 1
	cp "$CLUSTER_SSH_KEY" "$CLUSTER_SSH_KEY.pub" "$d/files/root/.ssh/" &&
	cp "$CLUSTER_SSH_KEY.pub" "$d/files/root/.ssh/authorized_keys" &&
	chmod 700 "$d/files/root/.ssh" && chmod 600 "$d/files/root/.ssh/id_ed25519" || return 1
}

# _cluster_finish_files: what every node shares: /etc/hosts, known hosts.
_cluster_finish_files() {
	local node v hosts known=
	hosts="127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
$CLUSTER_ADDR_CLIENT	client san"
	for node in $CLUSTER_NODES; do
		v=$(_cluster_var "$node" ADDR)
		hosts="$hosts
${!v}	$node"
		known="$known$node,${!v} $(cut -d' ' -f1,2 "$CLUSTER_DIR/$node/files/etc/ssh/ssh_host_ed25519_key.pub")
"
	done
	printf '%s' "$known" >"$CLUSTER_DIR/ssh/known_hosts"
	{
		printf 'Host %s\n' "$CLUSTER_NODES"
		printf '\tUser root\n\tIdentityFile %s\n\tIdentitiesOnly yes\n' "$CLUSTER_SSH_KEY"
		printf '\tUserKnownHostsFile %s\n\tGlobalKnownHostsFile /dev/null\n' "$CLUSTER_DIR/ssh/known_hosts"
		printf '\tStrictHostKeyChecking yes\n\tBatchMode yes\n\tConnectTimeout 5\n'
		for node in $CLUSTER_NODES; do
			v=$(_cluster_var "$node" ADDR)
			printf 'Host %s\n\tHostName %s\n' "$node" "${!v}"
		done
	} >"$CLUSTER_SSH_CONFIG"
	for node in $CLUSTER_NODES; do
		printf '%s\n' "$hosts" >"$CLUSTER_DIR/$node/files/etc/hosts"
		printf '%s' "$known" >"$CLUSTER_DIR/$node/files/etc/ssh/ssh_known_hosts"
	done
}

# _cluster_launch NODE: start NODE's nspawn in the background, from the
# node's own cgroups, in a private mount namespace that holds its overlay.
_cluster_launch() {
	local node=$1 d=$CLUSTER_DIR/$1 cg cgs ns v mid b t0 pid
	local -a args
	v=$(_cluster_var "$node" NETNS); ns=${!v}
	mid=$(cat "$d/machine-id")
	mapfile -t cgs < <(_cluster_cgroup_dirs "$node")
	for cg in "${cgs[@]}"; do
		mkdir -p "$cg" || return 1
	done
	args=(--boot --directory="$d/root" --machine="tandem-$CLUSTER_ID-$node"
		--hostname="$node" --uuid="$mid" --register=no --keep-unit
		--network-namespace-path="/run/netns/$ns" --bind="$CLUSTER_DISK"
		--console=read-only --link-journal=no --resolv-conf=off --timezone=off)
	for b in "${_CLUSTER_BINDS[@]}"; do
		args+=("$b")
	done
	# shellcheck disable=SC2206 # word splitting is the point
	args+=(${CLUSTER_NSPAWN_ARGS:-})
	rm -f "$d/nspawn.pid" "$d/no-reboot"
	# A wrapper subshell joins the node's cgroups, starts nspawn (through
	# unshare and the overlay mount, one PID all along) and waits for it;
	# a SIGKILLed nspawn is then reaped by the wrapper, quietly. nspawn
	# exits with 133 when the node reboots (systemctl reboot, a unit's
	# FailureAction=reboot): the wrapper then boots the node again.
	(
		for cg in "${cgs[@]}"; do
			echo "$BASHPID" >"$cg/cgroup.procs" || exit 1
		done
		while :; do
			# shellcheck disable=SC2016 # expanded by the inner bash
			unshare -m --propagation private -- bash -c '
				set -e
				d=$1 lower=$2; shift 2
				mount -t overlay "overlay-$(basename "$d")" \
					-o "lowerdir=$lower,upperdir=$d/upper,workdir=$d/work" "$d/root"
				# Per-node files over the image; existing directories
				# keep their owner and mode.
				tar -C "$d/files" -cf - . | tar -C "$d/root" -xf - --no-overwrite-dir
				# nspawn locks the tree in /run/systemd/nspawn/locks/
				# inode-DEV:INO; a SIGKILLed nspawn leaves that behind.
				stat -c %d:%i "$d/root" >"$d/lock-id"
				exec systemd-nspawn "$@"' _ "$d" "$CLUSTER_ROOTFS" "${args[@]}" &
			echo "$!" >"$d/nspawn.pid.new" && mv "$d/nspawn.pid.new" "$d/nspawn.pid"
			wait "$!"
			rc=$?
			[ "$rc" -eq 133 ] && [ ! -e "$d/no-reboot" ] || exit "$rc"
			echo "cluster rig: $(date +%T) $1 rebooted; booting it again"
			_cluster_reset_net "$node" || exit 1
		done
	) </dev/null >>"$d/console.log" 2>&1 &
	_CLUSTER_WRAPPER[$node]=$!
	_CLUSTER_LEADER[$node]=
	printf -v "$(_cluster_var "$node" PID)" '%s' ""
	# Until the exec chain reaches nspawn, the PID is not yet recognisable.
	t0=$(_cluster_now)
	while :; do
		_cluster_refresh_pid "$node" && return 0
		if ! _cluster_is_pid "${_CLUSTER_WRAPPER[$node]}" || ! _cluster_elapsed_lt "$t0" 15; then
			_cluster_log "$node: systemd-nspawn did not start; the end of its console:"
			tail -n 20 "$d/console.log" 2>/dev/null | sed 's/^/  | /' >&2
			return 1
		fi
		sleep 0.05
	done
}

# _cluster_start_nodes NODE...: launch, then wait for each.
_cluster_start_nodes() {
	local node v t0=$SECONDS rc=0
	for node in "$@"; do
		_cluster_launch "$node" || return 1
	done
	for node in "$@"; do
		cluster_wait_running "$node" || { rc=1; continue; }
		v=$(_cluster_var "$node" PID)
		_cluster_log "$node: up $((SECONDS - t0))s after launch (nspawn PID ${!v}, its PID 1 is host PID $(cluster_leader "$node"))"
	done
	return "$rc"
}

cluster_start() {
	local node i rootfs
	_CLUSTER_BINDS=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--bind-ro|--bind)
			case "${2:-}" in
			/*:/*) ;;
			*) _cluster_log "cluster_start: $1 wants HOST:NODE, two absolute paths, not '${2:-}'"; return 1 ;;
			esac
			[ -e "${2%%:*}" ] || { _cluster_log "cluster_start: $1: ${2%%:*} does not exist"; return 1; }
			_CLUSTER_BINDS+=("$1=$2"); shift 2 ;;
		--bind-ro=/*:/*|--bind=/*:/*)
			_CLUSTER_BINDS+=("$1"); shift ;;
		*) _cluster_log "usage: cluster_start [--bind-ro HOST:NODE]... [--bind HOST:NODE]..."; return 1 ;;
		esac
	done
	if [ -n "${CLUSTER_DIR:-}" ]; then
		_cluster_log "cluster_start: a cluster is already started here ($CLUSTER_DIR); cluster_stop it first"
		return 1
	fi
	# nspawn makes /run/systemd/nspawn/{locks,propagate}; if they are new,
	# cluster_stop removes them again (when empty).
	_CLUSTER_NSPAWN_RUNDIR_NEW=
	[ -e /run/systemd/nspawn ] || _CLUSTER_NSPAWN_RUNDIR_NEW=1
	rootfs=$("$_CLUSTER_HERE/build-rootfs.sh") || {
		_cluster_log "cluster_start: no node image"
		return 1
	}
	CLUSTER_DIR=$(mktemp -d /var/tmp/tandem-cluster.XXXXXX) || return 1
	CLUSTER_ID=$(printf '%s' "${CLUSTER_DIR##*.}" | tr '[:upper:]' '[:lower:]')
	CLUSTER_ROOTFS=$rootfs
	CLUSTER_NODES="db1 db2"
	CLUSTER_NET=${CLUSTER_NET:-10.77.0}
	CLUSTER_PREFIXLEN=24
	CLUSTER_IFACE=eth0
	CLUSTER_NETNS=tandem-$CLUSTER_ID-san
	CLUSTER_ADDR_CLIENT=$CLUSTER_NET.1
	CLUSTER_SSH_KEY=$CLUSTER_DIR/ssh/id_ed25519
	CLUSTER_SSH_CONFIG=$CLUSTER_DIR/ssh/config
	CLUSTER_DISK_FILE=$CLUSTER_DIR/shared.img
	CLUSTER_DISK=
	export CLUSTER_DIR CLUSTER_ID CLUSTER_ROOTFS CLUSTER_NODES CLUSTER_NET CLUSTER_PREFIXLEN \
		CLUSTER_IFACE CLUSTER_NETNS CLUSTER_ADDR_CLIENT CLUSTER_SSH_KEY CLUSTER_SSH_CONFIG \
		CLUSTER_DISK_FILE CLUSTER_DISK

	# The client namespace with the bridge.
	if ! ip netns add "$CLUSTER_NETNS" ||
	   ! ip -n "$CLUSTER_NETNS" link set lo up ||
	   ! ip -n "$CLUSTER_NETNS" link add br0 type bridge ||
	   ! ip -n "$CLUSTER_NETNS" addr add "$CLUSTER_ADDR_CLIENT/$CLUSTER_PREFIXLEN" dev br0 ||
	   ! ip -n "$CLUSTER_NETNS" link set br0 up; then
		_cluster_log "cluster_start: cannot create the client namespace $CLUSTER_NETNS and its bridge"
		cluster_stop
		return 1
	fi
	# The shared disk.
	if ! truncate -s "${CLUSTER_DISK_MB:-512}M" "$CLUSTER_DISK_FILE" ||
	   ! CLUSTER_DISK=$(losetup --find --show "$CLUSTER_DISK_FILE"); then
		_cluster_log "cluster_start: cannot attach a loop device to $CLUSTER_DISK_FILE"
		cluster_stop
		return 1
	fi
	if ! mkdir -p "$CLUSTER_DIR/ssh" ||
	   ! ssh-keygen -q -t ed25519 -N '' -C "tandem-cluster-$CLUSTER_ID" -f "$CLUSTER_SSH_KEY"; then
		cluster_stop
		return 1
	fi
	i=0
	for node in $CLUSTER_NODES; do
		i=$((i + 1))
		if ! _cluster_prepare_node "$node" "$i"; then
			_cluster_log "cluster_start: cannot prepare $node"
			cluster_stop
			return 1
		fi
	done
	_cluster_finish_files || { cluster_stop; return 1; }
	# shellcheck disable=SC2086
	if ! _cluster_start_nodes $CLUSTER_NODES; then
		_cluster_log "cluster_start: the nodes did not come up"
		cluster_stop
		return 1
	fi
	return 0
}

cluster_boot() {
	local node=${1:-}
	_cluster_node_ok "$node" || return 1
	if cluster_alive "$node"; then
		_cluster_log "cluster_boot: $node is already running"
		return 1
	fi
	_cluster_reap "$node"
	_cluster_reset_net "$node" || return 1
	cluster_link "$node" up || return 1
	_cluster_start_nodes "$node"
}

# _cluster_reset_net NODE: what a reboot does to the node's network: its
# namespace outlives the container, so addresses the node added (a floating
# service address) would survive the "reboot". Back to the rig's own.
_cluster_reset_net() {
	local node=$1 v ns a
	v=$(_cluster_var "$node" NETNS); ns=${!v}
	v=$(_cluster_var "$node" ADDR); a=${!v}
	ip -n "$ns" addr flush dev "$CLUSTER_IFACE" &&
	ip -n "$ns" neigh flush dev "$CLUSTER_IFACE" &&
	ip -n "$ns" addr add "$a/$CLUSTER_PREFIXLEN" dev "$CLUSTER_IFACE" || {
		_cluster_log "$node: cannot reset the addresses of its $CLUSTER_IFACE"
		return 1
	}
}

cluster_link() {
	local node=${1:-} state=${2:-}
	_cluster_node_ok "$node" || return 1
	case "$state" in
	up|down) ip -n "$CLUSTER_NETNS" link set "v$node" "$state" ;;
	*) _cluster_log "usage: cluster_link NODE up|down"; return 1 ;;
	esac
}

# _cluster_wait_gone NODE SECONDS: wait until NODE's nspawn and its wrapper
# have exited.
_cluster_wait_gone() {
	local node=$1 limit=$2 v t0
	v=$(_cluster_var "$node" PID)
	t0=$(_cluster_now)
	while _cluster_is_nspawn "${!v:-}" "$node" || _cluster_is_pid "${_CLUSTER_WRAPPER[$node]:-}"; do
		_cluster_elapsed_lt "$t0" "$limit" || return 1
		sleep 0.1
	done
	return 0
}

# _cluster_cgroup_pids NODE: the PIDs left in NODE's cgroups.
_cluster_cgroup_pids() {
	local cg
	while read -r cg; do
		[ -d "$cg" ] && find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
	done < <(_cluster_cgroup_dirs "$1") | sort -un
}

# _cluster_reap NODE: collect NODE's wrapper, SIGKILL whatever is left in
# the node's cgroups (an orphaned PID 1 whose nspawn was killed, say),
# remove the cgroups and nspawn's lock file, and forget the PIDs.
_cluster_reap() {
	local node=$1 v cg p t0 lock rc=0
	v=$(_cluster_var "$node" PID)
	if [ -n "${_CLUSTER_WRAPPER[$node]:-}" ]; then
		wait "${_CLUSTER_WRAPPER[$node]}" 2>/dev/null || true
	fi
	_CLUSTER_WRAPPER[$node]=
	printf -v "$v" '%s' ""
	_CLUSTER_LEADER[$node]=
	t0=$(_cluster_now)
	while p=$(_cluster_cgroup_pids "$node") && [ -n "$p" ]; do
		if ! _cluster_elapsed_lt "$t0" 10; then
			_cluster_log "$node: processes survive SIGKILL in its cgroups:" "${p//$'\n'/ }"
			rc=1
			break
		fi
		# shellcheck disable=SC2086
		kill -KILL $p 2>/dev/null
		sleep 0.1
	done
	while read -r cg; do
		[ -d "$cg" ] || continue
		find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
		if [ -d "$cg" ]; then
			_cluster_log "$node: could not remove cgroup $cg"
			rc=1
		fi
	done < <(_cluster_cgroup_dirs "$node")
	lock=$(cat "$CLUSTER_DIR/$node/lock-id" 2>/dev/null)
	lock=/run/systemd/nspawn/locks/inode-$lock
	if [ "$lock" != /run/systemd/nspawn/locks/inode- ] && [ -e "$lock" ] && flock -n -x "$lock" true; then
		rm -f "$lock"
	fi
	rm -f "$CLUSTER_DIR/$node/lock-id"
	rm -rf "/run/systemd/nspawn/propagate/tandem-$CLUSTER_ID-$node" 2>/dev/null
	return "$rc"
}

# _cluster_sigkill NODE: SIGKILL NODE's nspawn and PID 1, wait for them.
_cluster_sigkill() {
	local node=$1 v l
	: >"$CLUSTER_DIR/$node/no-reboot"
	_cluster_refresh_pid "$node"
	v=$(_cluster_var "$node" PID)
	l=${_CLUSTER_LEADER[$node]:-}
	[ -n "$l" ] || l=$(_cluster_find_leader "${!v}" 2>/dev/null)
	# nspawn does not take its container down when it is SIGKILLed: the
	# container's PID 1 lives on, orphaned. So PID 1 gets SIGKILL too (and
	# with it, everything in the node's PID namespace), if it is the one in
	# the node's cgroup.
	if [ -n "$l" ] && grep -qF "tandem-cluster-$CLUSTER_ID/$node/" "/proc/$l/cgroup" 2>/dev/null; then
		kill -KILL "$l" 2>/dev/null
	fi
	_cluster_is_nspawn "${!v}" "$node" && kill -KILL "${!v}" 2>/dev/null
	if ! _cluster_wait_gone "$node" 10; then
		_cluster_log "$node: nspawn PID ${!v} survived SIGKILL"
		return 1
	fi
	return 0
}

cluster_kill() {
	local node=${1:-}
	_cluster_node_ok "$node" || return 1
	if ! cluster_alive "$node" && [ -z "$(_cluster_cgroup_pids "$node")" ]; then
		_cluster_log "cluster_kill: $node is not running"
		return 1
	fi
	cluster_link "$node" down
	_cluster_sigkill "$node"
	_cluster_reap "$node"
}

# _cluster_poweroff NODE...: ask each running node to power off, wait
# (bounded) for all, SIGKILL the rest. Returns 1 if it had to SIGKILL.
_cluster_poweroff() {
	local node v l rc=0 t0 limit=${CLUSTER_STOP_TIMEOUT:-30}
	for node in "$@"; do
		[ -d "$CLUSTER_DIR/$node" ] && : >"$CLUSTER_DIR/$node/no-reboot"
		cluster_alive "$node" || continue
		# SIGRTMIN+4 to systemd: start poweroff.target, as `systemctl
		# poweroff` would, without needing D-Bus to answer.
		if l=$(cluster_leader "$node" 2>/dev/null); then
			kill -s RTMIN+4 "$l" 2>/dev/null
		fi
	done
	t0=$(_cluster_now)
	for node in "$@"; do
		if ! _cluster_wait_gone "$node" "$(awk -v s="$t0" -v n="$(_cluster_now)" -v l="$limit" \
				'BEGIN { r = l - (n - s); print (r > 0 ? r : 0) }')"; then
			_cluster_log "$node: still running ${limit}s after poweroff; sending SIGKILL"
			_cluster_sigkill "$node"
			rc=1
		fi
		_cluster_reap "$node" || rc=1
	done
	return "$rc"
}

cluster_poweroff() {
	local node=${1:-}
	_cluster_node_ok "$node" || return 1
	if ! cluster_alive "$node"; then
		_cluster_log "cluster_poweroff: $node is not running"
		return 1
	fi
	_cluster_poweroff "$node"
	cluster_link "$node" down
}

cluster_stop() {
	local rc=0 node v ns
	[ -n "${CLUSTER_DIR:-}" ] || return 0
	# shellcheck disable=SC2086
	_cluster_poweroff ${CLUSTER_NODES:-} || rc=1
	for node in ${CLUSTER_NODES:-}; do
		v=$(_cluster_var "$node" NETNS)
		ns=${!v:-}
		if [ -n "$ns" ] && [ -e "/run/netns/$ns" ]; then
			ip netns delete "$ns" || { _cluster_log "could not delete netns $ns"; rc=1; }
		fi
	done
	if [ -n "${CLUSTER_NETNS:-}" ] && [ -e "/run/netns/$CLUSTER_NETNS" ]; then
		ip netns delete "$CLUSTER_NETNS" || { _cluster_log "could not delete netns $CLUSTER_NETNS"; rc=1; }
	fi
	if [ -n "${CLUSTER_DISK:-}" ] &&
	   [ "$(losetup -n -O BACK-FILE "$CLUSTER_DISK" 2>/dev/null)" = "$CLUSTER_DISK_FILE" ]; then
		losetup -d "$CLUSTER_DISK" || { _cluster_log "could not detach $CLUSTER_DISK"; rc=1; }
	fi
	# The per-cluster parent cgroups (the nodes' own went in _cluster_reap).
	while read -r v; do
		[ -d "${v%/*}" ] && { rmdir "${v%/*}" || rc=1; }
	done < <(_cluster_cgroup_dirs db1)
	case "$CLUSTER_DIR" in
	/var/tmp/tandem-cluster.??????)
		# Never follow into a node root that is still mounted somewhere.
		if grep -qF " $CLUSTER_DIR/" /proc/self/mountinfo; then
			_cluster_log "$CLUSTER_DIR still has mounts; left in place"
			rc=1
		else
			rm -rf -- "$CLUSTER_DIR"
		fi ;;
	esac
	if [ -n "${_CLUSTER_NSPAWN_RUNDIR_NEW:-}" ]; then
		rmdir /run/systemd/nspawn/locks /run/systemd/nspawn/propagate /run/systemd/nspawn 2>/dev/null
		_CLUSTER_NSPAWN_RUNDIR_NEW=
	fi
	for node in ${CLUSTER_NODES:-}; do
		unset "$(_cluster_var "$node" PID)" "$(_cluster_var "$node" ADDR)" "$(_cluster_var "$node" NETNS)"
	done
	unset CLUSTER_DIR CLUSTER_ID CLUSTER_ROOTFS CLUSTER_NODES CLUSTER_PREFIXLEN \
		CLUSTER_IFACE CLUSTER_NETNS CLUSTER_ADDR_CLIENT CLUSTER_SSH_KEY CLUSTER_SSH_CONFIG \
		CLUSTER_DISK_FILE CLUSTER_DISK
	_CLUSTER_BINDS=()
	_CLUSTER_LEADER=()
	_CLUSTER_WRAPPER=()
	return "$rc"
}
