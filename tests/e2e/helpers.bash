# Shared setup for the end-to-end tests: they run the real patience binary.
#
# Environment (set by tests/CMakeLists.txt):
#   PT_BIN  directory holding the built patience binary
#   PT_SRC  source root
#
# Every test runs in its own temporary directory ($T, also the cwd) with
# HOME and XDG_CONFIG_HOME pointing inside it, so the user's real config
# files never take part, and no PATIENCE_* or RPR_* variable leaks in from
# outside.

# shellcheck disable=SC2034,SC2154 # bats sets output, stderr, status...
bats_require_minimum_version 1.5.0

patience() { "$PT_BIN/patience" "$@"; }

common_setup() {
	if [[ -z "${PT_BIN:-}" || ! -x "$PT_BIN/patience" ]]; then
		echo "PT_BIN must name the directory holding the patience binary" >&2
		return 1
	fi
	T="$BATS_TEST_TMPDIR"
	export T
	mkdir -p "$T/home" "$T/xdg" "$T/bin"
	export HOME="$T/home" XDG_CONFIG_HOME="$T/xdg"
	local v
	for v in $(compgen -e); do
		[[ $v == PATIENCE_* || $v == RPR_* ]] && unset "$v"
	done
	export COUNTER="$T/counter"
	export PATH="$T/bin:$PATH"
	BG_PIDS=()
	make_scripts
	cd "$T" || return 1
}

common_teardown() {
	local p f
	for p in "${BG_PIDS[@]}"; do
		kill_if patience "$p"
	done
	# What a test recorded in a pid file must not outlive it (only our own
	# sh/sleep children: a pid may have been reused since).
	for f in "$T"/pids*; do
		[[ -f $f ]] || continue
		while read -r p; do
			kill_if sh "$p"
			kill_if sleep "$p"
		done <"$f"
	done
}

# start_daemon [ARGS...]: patience-daemon in the background, until it answers
# on $SOCK (its log: $T/daemon.log).
start_daemon() {
	"$PT_BIN/patience-daemon" "$@" 2>>"$T/daemon.log" 3>&- &
	local i
	for ((i = 0; i < 100; i++)); do
		"$PT_BIN/patience" daemon status --daemon-socket "$SOCK" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "daemon did not come up; its log:" >&2
	cat "$T/daemon.log" >&2
	return 1
}

# metrics_setup: private runtime and state directories, the daemon's $SOCK
# in them, and a free $PORT (and $URL) for --metrics-listen.
metrics_setup() {
	export XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state"
	SOCK="$XDG_RUNTIME_DIR/patience/daemon.sock"
	PORT=$(free_port)
	URL="http://127.0.0.1:$PORT"
}

# kill_daemon: SIGKILL the daemon serving $SOCK, if one does, and wait
# until it is gone (a loaded host may take a while to reap it, and a daemon
# started before then finds the old one still holding the pid file).
kill_daemon() {
	local pid i
	pid=$(cat "${SOCK%/*}/daemon.pid" 2>/dev/null || true)
	[[ $pid =~ ^[0-9]+$ ]] || return 0
	kill -KILL "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 500; i++)); do
		alive "$pid" || return 0
		sleep 0.01
	done
}

# ask JSON: send one request line to the daemon on $SOCK, print its reply.
ask() { printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$SOCK"; }

# free_port: a TCP port of 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# clients N CMD [ARGS...]: N copies of CMD at once, their stderr appended to
# $T/clients.err; returns when all have ended, whatever their status.
clients() {
	local n=$1 i pids=()
	shift
	for ((i = 0; i < n; i++)); do
		"$@" 2>>"$T/clients.err" 3>&- &
		pids+=("$!")
		BG_PIDS+=("$!")
	done
	for i in "${pids[@]}"; do
		wait "$i" || true
	done
}

# wait_failed PID...: every PID ended with status 1 (the rate-limit tests'
# runs end so: stamp fails every attempt); else says how many did not.
wait_failed() {
	local p rc odd=0
	for p in "$@"; do
		rc=0
		wait "$p" || rc=$?
		[[ $rc == 1 ]] || odd=$((odd + 1))
	done
	[[ $odd == 0 ]] || { echo "$odd runs ended otherwise" >&2; return 1; }
}

# kill_if COMM PID: SIGKILL PID if it is alive and its command name is COMM.
kill_if() {
	[[ $2 =~ ^[0-9]+$ ]] || return 0
	local comm
	comm=$(cat "/proc/$2/comm" 2>/dev/null) || return 0
	if [[ $comm == "$1" ]] && alive "$2"; then
		kill -KILL "$2" 2>/dev/null || true
	fi
}

setup() { common_setup; }
teardown() { common_teardown; }

# Scripts every test can call by name (they live in $T/bin, on PATH).
make_scripts() {
	# fail_then_succeed K [CODE]: the first K calls print "attempt N" and
	# exit CODE (default 1), later calls print "attempt N" and exit 0.
	# The call count lives in $COUNTER.
	cat >"$T/bin/fail_then_succeed" <<'EOF'
#!/bin/sh
f=${COUNTER:?}
n=$(cat "$f" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" >"$f"
echo "attempt $n"
if [ "$n" -le "$1" ]; then exit "${2:-1}"; fi
exit 0
EOF
	# exit_with C1 C2 ...: call N exits with the N-th code (the last one repeats).
	cat >"$T/bin/exit_with" <<'EOF'
#!/bin/sh
f=${COUNTER:?}
n=$(cat "$f" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" >"$f"
i=1
for c in "$@"; do
	code=$c
	[ "$i" -eq "$n" ] && break
	i=$((i + 1))
done
exit "$code"
EOF
	chmod +x "$T/bin/fail_then_succeed" "$T/bin/exit_with"
}

# How many times fail_then_succeed / exit_with ran.
calls() { cat "$COUNTER" 2>/dev/null || echo 0; }

now_ms() { date +%s%3N; }

# Run patience in the background (stdout/stderr to $T/bg.out / $T/bg.err);
# its pid goes to $BG.  fd 3 is bats' own and must not be inherited.
patience_bg() {
	"$PT_BIN/patience" "$@" >"$T/bg.out" 2>"$T/bg.err" 3>&- &
	BG=$!
	BG_PIDS+=("$BG")
}

# wait_bg: wait for $BG, set $BG_RC (never fails the test by itself).
wait_bg() {
	BG_RC=0
	wait "$BG" || BG_RC=$?
}

# wait_for_lines FILE N [SECONDS]: until FILE holds at least N lines.
wait_for_lines() {
	local file=$1 n=$2 limit=${3:-10} i
	for ((i = 0; i < limit * 20; i++)); do
		if [[ -f $file ]] && (($(wc -l <"$file") >= n)); then
			return 0
		fi
		sleep 0.05
	done
	echo "timed out waiting for $n lines in $file" >&2
	return 1
}

# alive PID: the process exists and is not a zombie (children killed with
# their parent may stay zombies until init reaps them; they are gone).
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# pids_gone FILE [SECONDS]: every pid listed in FILE ends within SECONDS.
pids_gone() {
	local file=$1 limit=${2:-3} i p left
	for ((i = 0; i < limit * 20; i++)); do
		left=()
		while read -r p; do
			[[ $p =~ ^[0-9]+$ ]] && alive "$p" && left+=("$p")
		done <"$file"
		((${#left[@]} == 0)) && return 0
		sleep 0.05
	done
	echo "still running: ${left[*]}" >&2
	ps -o pid,pgid,stat,cmd -p "$(
		IFS=,
		echo "${left[*]}"
	)" >&2 || true
	return 1
}

# to_ms DURATION: "83ms", "2.72s", "1m", "1m30s", "1h30m" -> milliseconds.
to_ms() {
	awk -v d="$1" 'BEGIN {
		total = 0
		while (length(d) > 0) {
			if (!match(d, /^[0-9]+(\.[0-9]+)?/)) { print "bad duration " d > "/dev/stderr"; exit 1 }
			num = substr(d, 1, RLENGTH) + 0; d = substr(d, RLENGTH + 1)
			if (substr(d, 1, 2) == "ms") { mult = 1; d = substr(d, 3) }
			else if (substr(d, 1, 1) == "s") { mult = 1000; d = substr(d, 2) }
			else if (substr(d, 1, 1) == "m") { mult = 60000; d = substr(d, 2) }
			else if (substr(d, 1, 1) == "h") { mult = 3600000; d = substr(d, 2) }
			else if (substr(d, 1, 1) == "d") { mult = 86400000; d = substr(d, 2) }
			else { print "bad unit " d > "/dev/stderr"; exit 1 }
			total += num * mult
		}
		printf "%d\n", total + 0.5
	}'
}

# waits_ms: the "then wait X" delays of a --dry-run schedule in $output,
# one per line, in milliseconds.
waits_ms() {
	local line
	while IFS= read -r line; do
		if [[ $line =~ then\ wait\ ([0-9.a-z]+)$ ]]; then
			to_ms "${BASH_REMATCH[1]}"
		fi
	done <<<"$output"
}

# starts_ms: the "at +X" start offsets of a --dry-run schedule in $output.
starts_ms() {
	local line
	while IFS= read -r line; do
		if [[ $line =~ ^attempt\ [0-9]+:\ at\ \+([0-9.a-z]+) ]]; then
			to_ms "${BASH_REMATCH[1]}"
		fi
	done <<<"$output"
}

# A JSON field of the last stderr line: json_field EXPR (a Python expression
# over the parsed object `j`), e.g. json_field 'j["attempts"]'.
json_last_line() { printf '%s\n' "$stderr" | tail -n 1; }
json_field() {
	json_last_line | python3 -c 'import json, sys
j = json.loads(sys.stdin.read())
v = eval(sys.argv[1])
print(json.dumps(v) if not isinstance(v, str) else v)' "$1"
}

# Assertions that print what they saw when they fail.
assert_status() {
	if [[ $status -ne $1 ]]; then
		echo "expected exit status $1, got $status" >&2
		echo "--- stdout:" >&2
		printf '%s\n' "$output" >&2
		echo "--- stderr:" >&2
		printf '%s\n' "${stderr:-}" >&2
		return 1
	fi
}

assert_contains() { # HAYSTACK NEEDLE
	if [[ $1 != *"$2"* ]]; then
		printf 'expected to find: %s\nin:\n%s\n' "$2" "$1" >&2
		return 1
	fi
}

refute_contains() { # HAYSTACK NEEDLE
	if [[ $1 == *"$2"* ]]; then
		printf 'expected NOT to find: %s\nin:\n%s\n' "$2" "$1" >&2
		return 1
	fi
}

assert_eq() { # ACTUAL EXPECTED
	if [[ $1 != "$2" ]]; then
		printf 'expected: %s\nactual:   %s\n' "$2" "$1" >&2
		return 1
	fi
}

# assert_between VALUE LOW HIGH (integers, inclusive)
assert_between() {
	if (($1 < $2 || $1 > $3)); then
		echo "expected $2 <= $1 <= $3" >&2
		return 1
	fi
}
