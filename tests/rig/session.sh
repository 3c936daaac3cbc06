#!/bin/bash
# Long-lived iscsi-pr sessions for rig tests: one login (one I_T nexus) kept
# open while the test sends it commands, as a node's data path would be.
# Source after setting PR (the iscsi-pr binary) and WORK (a temp dir).
#   session_open NAME IQN URL [OPTS]  start `iscsi-pr OPTS -i IQN URL session`
#   session_cmd NAME COMMAND...       send one command; its reply line in REPLY
#   sessions_close                    quit every session, wait, KILL if stuck
declare -A S_IN S_OUT S_PID
READ_TIMEOUT=${READ_TIMEOUT:-20}

# running PID: PID exists and is not a zombie.
running() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# wait_gone PID TENTHS: wait up to TENTHS tenths of a second for PID to end.
wait_gone() {
	local i
	for ((i = 0; i < $2; i++)); do
		running "$1" || return 0
		sleep 0.1
	done
	! running "$1"
}

session_open() {
	local name=$1 iqn=$2 url=$3 opts=${4:-} in=$WORK/$1.in out=$WORK/$1.out fd
	mkfifo "$in" "$out" || return 1
	(
		# Do not hold the other sessions' FIFO ends open: each session
		# must see EOF when the test closes its input.
		for fd in "${S_IN[@]}" "${S_OUT[@]}"; do
			exec {fd}>&-
		done
		# shellcheck disable=SC2086 # opts are words
		exec "$PR" $opts -i "$iqn" -t 10 "$url" session <"$in" >"$out" 2>"$WORK/$name.err"
	) &
	S_PID[$name]=$!
	exec {fd}>"$in"
	S_IN[$name]=$fd
	exec {fd}<"$out"
	S_OUT[$name]=$fd
}

session_cmd() {
	local name=$1
	shift
	REPLY=""
	if ! { printf '%s\n' "$*" >&"${S_IN[$name]}"; } 2>/dev/null; then
		REPLY="(session $name is gone: $(tr '\n' ' ' <"$WORK/$name.err"))"
		return 1
	fi
	if ! read -r -t "$READ_TIMEOUT" REPLY <&"${S_OUT[$name]}"; then
		REPLY="(no reply from session $name within ${READ_TIMEOUT}s: $(tr '\n' ' ' <"$WORK/$name.err"))"
		return 1
	fi
	return 0
}

sessions_close() {
	local name fd
	for name in "${!S_IN[@]}"; do
		fd=${S_IN[$name]}
		{ printf 'quit\n' >&"$fd"; } 2>/dev/null
		exec {fd}>&- 2>/dev/null # EOF as well: the session logs out
	done
	for name in "${!S_OUT[@]}"; do
		fd=${S_OUT[$name]}
		exec {fd}<&- 2>/dev/null
	done
	for name in "${!S_PID[@]}"; do
		if ! wait_gone "${S_PID[$name]}" 50; then
			echo "session $name (PID ${S_PID[$name]}) did not end; killing it"
			kill -KILL "${S_PID[$name]}" 2>/dev/null
		fi
		wait "${S_PID[$name]}" 2>/dev/null
	done
	S_IN=() S_OUT=() S_PID=()
}
