#!/usr/bin/env bats
# The promise under stress: never more than N starts in any window of W as
# the commands really start, with more processes than cores, a daemon
# killed mid-run (once, or ten times), no daemon at all, and an exec that
# comes late on purpose. Every attempt runs $PT_BIN/stamp, a static program
# that logs its own start (CLOCK_REALTIME) to $LOG; window_check is the
# observer. The tools' own view of what they granted is never consulted.

load helpers

setup() {
	common_setup
	export XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state"
	SOCK="$XDG_RUNTIME_DIR/patience/daemon.sock"
	export LOG="$T/starts.log"
	RUNS=()
}

# The clients first: one that lost its daemon would start another.
teardown() {
	local p
	for p in "${RUNS[@]}"; do
		kill_if patience "$p"
	done
	common_teardown
	kill_daemon
}

# runs N LIMIT ATTEMPTS [patience options...]: N patience processes at once,
# each running stamp ATTEMPTS times (it fails, so each attempt is retried
# at once) under LIMIT starts per 1s, shared through the daemon.
runs() {
	local n=$1 limit=$2 attempts=$3 i
	shift 3
	for ((i = 0; i < n; i++)); do
		"$PT_BIN/patience" fixed -d 0 -a "$attempts" -r "$limit" -w 1s --daemon \
			--resource-id test:compliance -q "$@" -- "$PT_BIN/stamp" \
			2>>"$T/clients.err" 3>&- &
		RUNS+=("$!")
	done
}

# wait_runs: every run has ended on its own, as its last attempt failed.
wait_runs() {
	wait_failed "${RUNS[@]}" || { cat "$T/clients.err" >&2; return 1; }
	RUNS=()
}

# observe LIMIT STARTS [--min-utilization P]: the observer finds STARTS
# starts and no 1 s window over LIMIT.
observe() {
	local limit=$1 starts=$2
	shift 2
	run "$PT_BIN/window_check" "$limit" 1000 "$LOG" "$@"
	echo "$output" >&3
	assert_status 0
	assert_contains "$output" "starts $starts,"
}

@test "24 processes retrying 6 times on one daemon, 40 per 1s: no window over, >= 93% used" {
	start_daemon
	runs 24 40 6
	wait_runs
	observe 40 144 --min-utilization 93
	refute_contains "$(cat "$T/clients.err")" "unavailable"
	# the daemon knows how late the starts were made, and its guard covers it
	run ask '{"v":1,"op":"resources"}'
	assert_contains "$output" '"starts_late_ms":{"samples":144,'
}

@test "48 processes at once on one daemon, 10 per 1s, the daemon killed with -9 mid-run: no window over" {
	start_daemon
	runs 48 10 2
	sleep 3
	kill_daemon
	wait_runs
	observe 10 96
}

@test "16 processes retrying, the daemon killed with -9 ten times in 3s: every one ends, no window over" {
	start_daemon
	runs 16 20 12
	sleep 1
	local k
	for ((k = 0; k < 10; k++)); do
		kill_daemon
		sleep 0.3
	done
	wait_runs
	observe 20 192
}

@test "16 processes and no daemon at all: one limit shared through the host's starts file" {
	runs 16 20 6 --no-daemon-auto-start
	wait_runs
	observe 20 96
	assert_eq "$(grep -c "using the host's shared limits ($SOCK.starts)" "$T/clients.err")" 16
	[[ ! -S $SOCK ]]
	# a daemon that starts now takes in the starts made there
	start_daemon
	assert_contains "$(cat "$T/daemon.log")" '"test:compliance" made while no daemon ran'
}

@test "an exec delayed 50ms on purpose: the daemon moves the start there and spaces later ones from it" {
	# the guard stays 10ms (--max-guard 0): only the moved start keeps the
	# third start a window after the first one as made
	start_daemon --max-guard 0
	LD_PRELOAD="$PT_BIN/spawn_delay.so" SPAWN_DELAY_ON=1 SPAWN_DELAY_MS=50 \
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
		runs 1 2 3 --guard 10ms
	runs 1 2 3 --guard 10ms
	wait_runs
	observe 2 6
	run ask '{"v":1,"op":"resources"}'
	local max
	max=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["resources"][0]["starts_late_ms"]["max"])' <<<"$output")
	((max >= 50))
	run --separate-stderr patience daemon status --daemon-socket "$SOCK"
	assert_contains "$output" "guard 10ms (set 10ms); starts made late by"
}

@test "--json gives each attempt's lateness and the guard in force" {
	start_daemon
	run --separate-stderr patience fixed -d 0 -a 2 -r 5 -w 1s --daemon --json -q \
		--resource-id test:json -- "$PT_BIN/stamp"
	assert_status 1
	python3 - "$stderr" <<-'EOF'
		import json, sys
		s = json.loads(sys.argv[1].strip().splitlines()[-1])
		assert s["guard_ms"] >= 20, s
		for a in s["attempt_log"]:
		    assert a["granted_by"] == "daemon" and 0 <= a["late_ms"] < 1000, a
	EOF
}
