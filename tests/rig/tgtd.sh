# shellcheck shell=bash
# tests/rig/tgtd.sh: a private tgtd (package tgt) on 127.0.0.1 for rig tests.
# Source it from bash, in the test's main shell (not inside $(...)), so that
# the tgtd it starts is a child of that shell and is reaped there:
#
#   . tests/rig/tgtd.sh
#   tgtd_can_run || exit 77
#   trap tgtd_stop EXIT
#   trap 'exit 130' INT TERM HUP        # so that the EXIT trap runs
#   tgtd_start 2 || exit 1
#   iscsi-pr "$TGTD_URL/1" read-keys    # LUNs are $TGTD_URL/1 .. /NLUNS
#
# Functions (each returns 0 on success, non-zero after printing why):
# tgtd is a child of the sourcing shell: never use a bare `wait` there (it
# would wait for tgtd too); wait for your own PIDs by number.
#
#   tgtd_can_run           can this machine run the rig? Prints the reason
#                          and returns 1 when not (callers exit 77).
#   tgtd_start NLUNS [SIZE_MB]
#                          start tgtd on a free TCP port of 127.0.0.1, with
#                          its own control port (-C PORT, control socket
#                          /var/run/tgtd/socket.PORT), one target bound to
#                          ALL initiators and NLUNS (1-64) LUNs backed by
#                          sparse files of SIZE_MB (default 64) in a temp
#                          dir. Each LUN has its own serial (VPD 0x80) and
#                          SCSI ID: see tgtd_serial and tgtd_scsi_id. It
#                          waits (within TGTD_START_TIMEOUT) while the
#                          forked PID has not yet become tgtd, and reaps
#                          only a PID that has exited, so a slow exec never
#                          makes it wait for a running tgtd.
#   tgtd_stop              tear down, in order: system offline, delete the
#                          connections, LUNs, target, then the system; wait
#                          for the process to exit; SIGKILL only as a last
#                          resort (tgtd ignores SIGTERM). Removes the temp
#                          dir. Idempotent, trap-safe, acts only on the PID
#                          tgtd_start recorded. Returns 1 if it had to use
#                          SIGKILL or could not stop tgtd.
#   tgtd_kill              SIGKILL the rig's tgtd (the SAN dies). Leaves the
#                          variables and the temp dir for tgtd_stop.
#   tgtd_alive             is the rig's tgtd running? (0 yes, 1 no)
#   tgtd_lun_url N         print the URL of LUN N
#   tgtd_serial N          print the unit serial number of LUN N
#   tgtd_scsi_id N         print the SCSI ID (VPD 0x83, T10 vendor ID) of LUN N
#   tgtd_adm ARGS...       run tgtadm against the rig's tgtd (-C PORT),
#                          bounded by TGTD_ADM_TIMEOUT seconds (default 10)
#
# Exported after tgtd_start:
#   TGTD_PORT   TCP port of the iSCSI portal (also tgtd's control port)
#   TGTD_PID    tgtd's PID
#   TGTD_IQN    the target's IQN: iqn.2026-11.org.tandem.test:rig<PORT>
#   TGTD_DIR    temp dir: backing files lun<N>.img and tgtd.log
#   TGTD_URL    iscsi://<ADDR>:<PORT>/<IQN>; LUN N is $TGTD_URL/N
# Set before tgtd_start, both optional: TGTD_ADDR, the portal's address
# (default 127.0.0.1), and TGTD_NETNS, a network namespace the caller made,
# to run tgtd in (the cluster rig's client namespace).
#   TGTD_NLUNS  the number of LUNs (numbered from 1; LUN 0 is tgtd's
#               controller LUN)
# Tunables (environment), in seconds: TGTD_START_TIMEOUT, TGTD_STOP_TIMEOUT
# and TGTD_ADM_TIMEOUT (default 10 each).
#
# tgtd behaviour the rig relies on (tgt 1.0.85, Debian 12):
# - tgtd does not exit when it cannot bind its portal; it runs on without
#   one. tgtd_start therefore waits until the portal's listener belongs to
#   its own PID, and otherwise retries on another port.
# - "--op delete --mode system" succeeds (and tgtd exits) only once no
#   target is left, so targets are deleted first.
# - tgtd leaves /var/run/tgtd/socket.PORT{,.lock} behind when it exits;
#   tgtd_stop removes them once no process listens on the socket.

_TGTD_RUNDIR=/var/run/tgtd
_TGTD_IQN_PREFIX=iqn.2026-11.org.tandem.test
_TGTD_TID=1

_tgtd_log() {
	printf 'tgtd rig: %s\n' "$*" >&2
}

# Seconds since the epoch, with fractions, for bounded waits.
_tgtd_now() {
	printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"
}

# _tgtd_elapsed_lt START SECONDS: true while less than SECONDS have passed.
_tgtd_elapsed_lt() {
	awk -v s="$1" -v n="$(_tgtd_now)" -v l="$2" 'BEGIN { exit !(n - s < l) }'
}

# _tgtd_tgtadm PORT ARGS...: tgtadm against the tgtd with control port PORT,
# bounded: tgtadm itself waits without limit for tgtd's answer.
_tgtd_tgtadm() {
	local port=$1
	shift
	timeout -k 2 "${TGTD_ADM_TIMEOUT:-10}" tgtadm -C "$port" "$@"
}

tgtd_adm() {
	if [ -z "${TGTD_PORT:-}" ]; then
		_tgtd_log "tgtd_adm: no rig started"
		return 1
	fi
	_tgtd_tgtadm "$TGTD_PORT" "$@"
}

# _tgtd_is_ours PID PORT: PID is a live (not zombie) tgtd started with -C PORT.
_tgtd_is_ours() {
	local pid=$1 port=$2 stat comm cmdline
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
	stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	case "${stat%% *}" in Z|X|x) return 1 ;; esac
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	[ "$comm" = tgtd ] || return 1
	cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	case " $cmdline" in
	*" -C $port "*) return 0 ;;
	*) return 1 ;;
	esac
}

# _tgtd_gone PID: PID has exited (or is a zombie, exited but not reaped).
_tgtd_gone() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	case "${stat%% *}" in Z|X|x) return 0 ;; esac
	return 1
}

tgtd_alive() {
	_tgtd_is_ours "${TGTD_PID:-}" "${TGTD_PORT:-}"
}

tgtd_can_run() {
	local c
	if [ -z "${BASH_VERSION:-}" ]; then
		echo "tgtd rig: skip: needs bash"
		return 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "tgtd rig: skip: needs root (tgtd and tgtadm run as root)"
		return 1
	fi
	for c in tgtd tgtadm ss awk truncate mktemp timeout; do
		if ! command -v "$c" >/dev/null 2>&1; then
			case "$c" in
			tgtd|tgtadm) echo "tgtd rig: skip: $c not found (install the Debian package tgt)" ;;
			ss) echo "tgtd rig: skip: ss not found (install iproute2)" ;;
			*) echo "tgtd rig: skip: $c not found" ;;
			esac
			return 1
		fi
	done
	if [ ! -r /proc/self/stat ]; then
		echo "tgtd rig: skip: /proc is not mounted"
		return 1
	fi
	return 0
}

# _tgtd_ns CMD...: run CMD in TGTD_NETNS when set (a namespace the caller
# made, e.g. the cluster rig's client namespace), else here.
_tgtd_ns() {
	if [ -n "${TGTD_NETNS:-}" ]; then
		ip netns exec "$TGTD_NETNS" "$@"
	else
		"$@"
	fi
}

# _tgtd_port_free PORT: nothing listens on PORT (TCP, any address) and no
# tgtd control socket for PORT exists.
_tgtd_port_free() {
	local port=$1
	[ -z "$(_tgtd_ns ss -Hltn "sport = :$port" 2>/dev/null)" ] || return 1
	[ ! -e "$_TGTD_RUNDIR/socket.$port" ] || return 1
	[ ! -e "$_TGTD_RUNDIR/socket.$port.lock" ] || return 1
	return 0
}

_tgtd_pick_port() {
	local i port
	for i in $(seq 1 50); do
		# 20000-32767: below Linux's ephemeral range (32768-60999), so
		# an outgoing connection does not take it from under us.
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 12768))
		if _tgtd_port_free "$port"; then
			echo "$port"
			return 0
		fi
	done
	_tgtd_log "no free TCP port found on 127.0.0.1 after $i tries"
	return 1
}

# _tgtd_listener_pid PORT: print the PID that listens on 127.0.0.1:PORT.
_tgtd_listener_pid() {
	_tgtd_ns ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9][0-9]*\),.*/\1/p' | head -n 1
}

# _tgtd_reap PID: collect PID's exit status if it is our child.
_tgtd_reap() {
	wait "$1" 2>/dev/null || true
}

# _tgtd_wait_gone PID PORT SECONDS: wait until PID is no longer our tgtd.
_tgtd_wait_gone() {
	local pid=$1 port=$2 limit=$3 t0
	t0=$(_tgtd_now)
	while _tgtd_is_ours "$pid" "$port"; do
		_tgtd_elapsed_lt "$t0" "$limit" || return 1
		sleep 0.05
	done
	return 0
}

# _tgtd_remove_sockets PORT: remove tgtd's control socket files for PORT once
# no process listens on that socket any more.
_tgtd_remove_sockets() {
	local port=$1 sock=$_TGTD_RUNDIR/socket.$1
	[ -e "$sock" ] || [ -e "$sock.lock" ] || return 0
	if _tgtd_ns ss -Hxl 2>/dev/null | grep -qF " $sock "; then
		_tgtd_log "control socket $sock still in use; left in place"
		return 0
	fi
	rm -f "$sock" "$sock.lock"
}

# _tgtd_launch PORT LOG: start tgtd, wait until its control socket answers
# and its portal listens. Sets TGTD_PID. Returns 0, 1 (failed), or 2 (port
# taken: try another one).
_tgtd_launch() {
	local port=$1 log=$2 t0 lpid limit=${TGTD_START_TIMEOUT:-10}
	# The background subshell execs tgtd (through `ip netns exec`, which
	# execs too), so $! is tgtd's own PID.
	(
		if [ -n "${TGTD_NETNS:-}" ]; then
			exec ip netns exec "$TGTD_NETNS" tgtd -f -C "$port" --iscsi "portal=${TGTD_ADDR:-127.0.0.1}:$port"
		fi
		exec tgtd -f -C "$port" --iscsi "portal=${TGTD_ADDR:-127.0.0.1}:$port"
	) >"$log" 2>&1 </dev/null &
	TGTD_PID=$!
	TGTD_PORT=$port
	export TGTD_PID TGTD_PORT
	t0=$(_tgtd_now)
	while :; do
		# Until the subshell (or `ip netns exec`) has exec'd tgtd, the PID
		# is alive but not yet tgtd: wait for it. Reaping it then would
		# wait for the tgtd it becomes, forever.
		if ! _tgtd_is_ours "$TGTD_PID" "$port" && ! _tgtd_gone "$TGTD_PID" &&
			_tgtd_elapsed_lt "$t0" "$limit"; then
			sleep 0.01
			continue
		fi
		if ! _tgtd_is_ours "$TGTD_PID" "$port"; then
			_tgtd_gone "$TGTD_PID" || kill -KILL "$TGTD_PID" 2>/dev/null
			_tgtd_reap "$TGTD_PID"
			if grep -q 'lock\|in use' "$log" 2>/dev/null; then
				return 2
			fi
			_tgtd_log "tgtd (PID $TGTD_PID, port $port) exited during start-up; its log:"
			sed 's/^/  | /' "$log" >&2
			return 1
		fi
		if TGTD_ADM_TIMEOUT=2 _tgtd_tgtadm "$port" --op show --mode system >/dev/null 2>&1; then
			lpid=$(_tgtd_listener_pid "$port")
			if [ "$lpid" = "$TGTD_PID" ]; then
				return 0
			fi
			# tgtd runs on without a portal when the bind fails.
			if grep -q 'failed to create/bind to portal' "$log" 2>/dev/null; then
				return 2
			fi
		fi
		if ! _tgtd_elapsed_lt "$t0" "$limit"; then
			_tgtd_log "tgtd (PID $TGTD_PID, port $port) not ready after ${limit}s; its log:"
			sed 's/^/  | /' "$log" >&2
			return 1
		fi
		sleep 0.05
	done
}

tgtd_lun_url() {
	printf '%s/%s\n' "${TGTD_URL:?no rig started}" "$1"
}

tgtd_serial() {
	printf 'TANDEM%sL%s\n' "${TGTD_PORT:?no rig started}" "$1"
}

tgtd_scsi_id() {
	printf 'tandem-rig-%s-lun%s\n' "${TGTD_PORT:?no rig started}" "$1"
}

tgtd_start() {
	local nluns=${1:-} size=${2:-64} attempt port rc n img shown
	case "$nluns" in
	''|*[!0-9]*) _tgtd_log "usage: tgtd_start NLUNS [SIZE_MB]"; return 1 ;;
	esac
	case "$size" in
	''|*[!0-9]*) _tgtd_log "tgtd_start: SIZE_MB must be a number, not '$size'"; return 1 ;;
	esac
	if [ "$nluns" -lt 1 ] || [ "$nluns" -gt 64 ]; then
		_tgtd_log "tgtd_start: NLUNS must be 1-64, not $nluns"
		return 1
	fi
	if [ "$size" -lt 1 ]; then
		_tgtd_log "tgtd_start: SIZE_MB must be at least 1"
		return 1
	fi
	if [ -n "${TGTD_PID:-}" ]; then
		_tgtd_log "tgtd_start: a rig is already started here (PID $TGTD_PID); tgtd_stop it first"
		return 1
	fi
	TGTD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tandem-tgtd.XXXXXX") || {
		_tgtd_log "tgtd_start: mktemp failed"
		return 1
	}
	export TGTD_DIR

	rc=2
	for attempt in 1 2 3 4 5; do
		port=$(_tgtd_pick_port) || break
		_tgtd_launch "$port" "$TGTD_DIR/tgtd.log"
		rc=$?
		[ "$rc" -eq 2 ] || break
		_tgtd_log "port $port was taken while tgtd started (attempt $attempt); trying another"
		tgtd_stop >/dev/null 2>&1
		TGTD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tandem-tgtd.XXXXXX") || return 1
		export TGTD_DIR
	done
	if [ "$rc" -ne 0 ]; then
		[ "$rc" -eq 2 ] && _tgtd_log "tgtd_start: could not get a free port"
		tgtd_stop >/dev/null 2>&1
		return 1
	fi

	TGTD_IQN=$_TGTD_IQN_PREFIX:rig$TGTD_PORT
	TGTD_URL=iscsi://${TGTD_ADDR:-127.0.0.1}:$TGTD_PORT/$TGTD_IQN
	TGTD_NLUNS=$nluns
	export TGTD_IQN TGTD_URL TGTD_NLUNS

	if ! tgtd_adm --lld iscsi --op new --mode target --tid "$_TGTD_TID" --targetname "$TGTD_IQN"; then
		_tgtd_log "tgtd_start: cannot create target $TGTD_IQN"
		tgtd_stop
		return 1
	fi
	for n in $(seq 1 "$nluns"); do
		img=$TGTD_DIR/lun$n.img
		if ! truncate -s "${size}M" "$img" ||
		   ! tgtd_adm --lld iscsi --op new --mode logicalunit --tid "$_TGTD_TID" --lun "$n" \
				--backing-store "$img" ||
		   ! tgtd_adm --lld iscsi --op update --mode logicalunit --tid "$_TGTD_TID" --lun "$n" \
				--params "vendor_id=TANDEM,product_id=RIG,scsi_id=$(tgtd_scsi_id "$n"),scsi_sn=$(tgtd_serial "$n")"; then
			_tgtd_log "tgtd_start: cannot create LUN $n (backing file $img)"
			tgtd_stop
			return 1
		fi
	done
	if ! tgtd_adm --lld iscsi --op bind --mode target --tid "$_TGTD_TID" --initiator-address ALL; then
		_tgtd_log "tgtd_start: cannot bind target $TGTD_IQN to ALL initiators"
		tgtd_stop
		return 1
	fi

	# Ready: the target shows all LUNs with our serials, and the portal
	# listens as this PID.
	shown=$(tgtd_adm --lld iscsi --op show --mode target 2>&1)
	for n in $(seq 1 "$nluns"); do
		if ! grep -qF "SCSI SN: $(tgtd_serial "$n")" <<<"$shown"; then
			_tgtd_log "tgtd_start: LUN $n does not show serial $(tgtd_serial "$n"):"
			printf '  | %s\n' "${shown//$'\n'/$'\n'  | }" >&2
			tgtd_stop
			return 1
		fi
	done
	if [ "$(_tgtd_listener_pid "$TGTD_PORT")" != "$TGTD_PID" ]; then
		_tgtd_log "tgtd_start: portal ${TGTD_ADDR:-127.0.0.1}:$TGTD_PORT is not served by tgtd PID $TGTD_PID"
		tgtd_stop
		return 1
	fi
	return 0
}

tgtd_kill() {
	if [ -z "${TGTD_PID:-}" ]; then
		_tgtd_log "tgtd_kill: no rig started"
		return 1
	fi
	if ! tgtd_alive; then
		_tgtd_log "tgtd_kill: tgtd PID $TGTD_PID is not running"
		return 1
	fi
	kill -KILL "$TGTD_PID" 2>/dev/null
	if ! _tgtd_wait_gone "$TGTD_PID" "$TGTD_PORT" "${TGTD_STOP_TIMEOUT:-10}"; then
		_tgtd_log "tgtd_kill: PID $TGTD_PID survived SIGKILL"
		return 1
	fi
	_tgtd_reap "$TGTD_PID"
	return 0
}

# _tgtd_teardown: the polite part of tgtd_stop, against a live tgtd.
_tgtd_teardown() {
	local conns sid cid n
	tgtd_adm --op update --mode sys --name State -v offline >/dev/null 2>&1 ||
		_tgtd_log "tgtd_stop: could not set the system offline"
	# "Session: S" lines, each followed by its "Connection: C" lines.
	conns=$(tgtd_adm --lld iscsi --op show --mode conn --tid "$_TGTD_TID" 2>/dev/null |
		awk '$1 == "Session:" { s = $2 } $1 == "Connection:" && s != "" { print s, $2 }')
	while read -r sid cid; do
		[ -n "$sid" ] || continue
		tgtd_adm --lld iscsi --op delete --mode conn --tid "$_TGTD_TID" --sid "$sid" --cid "$cid" \
			>/dev/null 2>&1 || _tgtd_log "tgtd_stop: could not delete session $sid connection $cid"
	done <<<"$conns"
	for n in $(seq 1 "${TGTD_NLUNS:-0}"); do
		tgtd_adm --lld iscsi --op delete --mode logicalunit --tid "$_TGTD_TID" --lun "$n" >/dev/null 2>&1 ||
			_tgtd_log "tgtd_stop: could not delete LUN $n"
	done
	if tgtd_adm --lld iscsi --op show --mode target 2>/dev/null | grep -q "^Target $_TGTD_TID:"; then
		tgtd_adm --lld iscsi --op delete --mode target --tid "$_TGTD_TID" >/dev/null 2>&1 ||
			tgtd_adm --lld iscsi --op delete --force --mode target --tid "$_TGTD_TID" >/dev/null 2>&1 ||
			_tgtd_log "tgtd_stop: could not delete target $_TGTD_TID"
	fi
	tgtd_adm --op delete --mode system >/dev/null 2>&1 ||
		_tgtd_log "tgtd_stop: tgtd refused to shut down (--op delete --mode system)"
}

tgtd_stop() {
	local rc=0 limit=${TGTD_STOP_TIMEOUT:-10}
	if [ -n "${TGTD_PID:-}" ]; then
		if tgtd_alive; then
			_tgtd_teardown
			if ! _tgtd_wait_gone "$TGTD_PID" "$TGTD_PORT" "$limit"; then
				_tgtd_log "tgtd_stop: tgtd PID $TGTD_PID still running after ${limit}s; sending SIGKILL"
				kill -KILL "$TGTD_PID" 2>/dev/null
				rc=1
				if ! _tgtd_wait_gone "$TGTD_PID" "$TGTD_PORT" 5; then
					_tgtd_log "tgtd_stop: PID $TGTD_PID survived SIGKILL"
					return 1
				fi
			fi
		fi
		_tgtd_reap "$TGTD_PID"
		[ -n "${TGTD_PORT:-}" ] && _tgtd_remove_sockets "$TGTD_PORT"
	fi
	case "${TGTD_DIR:-}" in
	*/tandem-tgtd.??????) rm -rf -- "$TGTD_DIR" ;;
	esac
	unset TGTD_PID TGTD_PORT TGTD_IQN TGTD_URL TGTD_DIR TGTD_NLUNS
	return "$rc"
}
