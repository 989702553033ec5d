#!/usr/bin/env bats
# --concurrency N: at most N commands of a resource run at once, across
# processes. Checked by an independent observer: each command logs its own
# start and end (CLOCK_REALTIME ns), and max_running counts the overlap.

load helpers

setup() {
	common_setup
	export XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state"
	SOCK="$XDG_RUNTIME_DIR/patience/daemon.sock"
	export LOG="$T/runs.log"
	# job SECONDS: logs "s NS PID", sleeps, logs "e NS PID"; its pid is its
	# process group's (patience runs each attempt in a group of its own).
	cat >"$T/bin/job" <<'SH'
#!/bin/sh
echo "s $(date +%s%N) $$" >>"$LOG"
sleep "$1"
echo "e $(date +%s%N) $$" >>"$LOG"
SH
	chmod +x "$T/bin/job"
}

# The clients first: one that lost its daemon would start another.
teardown() {
	common_teardown
	kill_daemon
}

# The most commands running at one instant, from the log alone.
max_running() {
	sort -k2,2n "$LOG" | awk '$1 == "s" { n++; if (n > m) m = n } $1 == "e" { n-- } END { print m + 0 }'
}

count() { grep -c "^$1 " "$LOG" || true; }

# many N TOOL ARGS...: N processes of TOOL at once; waits for them all.
many() {
	local n=$1 i pids=()
	shift
	for ((i = 0; i < n; i++)); do
		"$@" 2>>"$T/clients.err" 3>&- &
		pids+=("$!")
	done
	for i in "${pids[@]}"; do wait "$i" || echo "exit $?" >>"$T/clients.err"; done
}

wait_for_line() { # PATTERN [tries of 10 ms]
	local i
	for ((i = 0; i < ${2:-300}; i++)); do
		grep -q "$1" "$LOG" 2>/dev/null && return 0
		sleep 0.01
	done
	return 1
}

us_now() { echo "${EPOCHREALTIME/./}"; }

@test "12 patience processes with --concurrency 3: never more than 3 at once, all 12 ran" {
	start_daemon --socket "$SOCK"
	many 12 "$PT_BIN/patience" -a 1 -q --concurrency 3 --daemon --resource-id test:pool -- job 0.3
	[[ $(count s) -eq 12 && $(count e) -eq 12 ]]
	run max_running
	echo "at most $output running at once" >&3
	[[ $output -eq 3 ]]
	[[ ! -s $T/clients.err ]]
}

# kill_holder_and_measure: patience PID holds the only lease and a waiter is
# queued; kill -9 the holder and its command's group, then print how many
# ms after the kill the waiter's command started.
kill_holder_and_measure() {
	local holder=$1 group waiter_start killed
	group=$(awk '$1 == "s" { print $3; exit }' "$LOG")
	sleep 0.3 # the waiter is queued by now
	killed=$(us_now)
	kill -KILL "$holder"
	kill -KILL -- "-$group"
	local i
	for ((i = 0; i < 400 && $(count s) < 2; i++)); do sleep 0.005; done
	waiter_start=$(awk '$1 == "s" { n++; if (n == 2) print $2 }' "$LOG")
	echo $(((waiter_start / 1000 - killed) / 1000))
}

@test "a holder killed with -9 mid-command: its lease goes to the waiter within 100 ms" {
	start_daemon --socket "$SOCK"
	"$PT_BIN/patience" -a 1 -q --concurrency 1 --daemon --resource-id test:kill -- job 30 3>&- &
	local holder=$!
	BG_PIDS+=("$holder")
	wait_for_line '^s '
	patience_bg -a 1 -q --concurrency 1 --daemon --resource-id test:kill -- job 0
	run kill_holder_and_measure "$holder"
	echo "the waiter started $output ms after the kill" >&3
	[[ $output -lt 100 ]]
	wait_bg
	[[ $BG_RC -eq 0 ]]
}

@test "lease over socat: a waiter is answered wait_too_long once max_wait_ms passes" {
	start_daemon --socket "$SOCK"
	{ printf '%s\n' '{"v":1,"op":"lease","resource":"r","concurrency":1}'; sleep 3; } |
		socat - "UNIX-CONNECT:$SOCK" >"$T/holder.out" 3>&- &
	BG_PIDS+=("$!")
	until grep -q '"lease"' "$T/holder.out" 2>/dev/null; do sleep 0.01; done
	local t0
	t0=$(now_ms)
	run ask '{"v":1,"op":"lease","resource":"r","concurrency":1,"max_wait_ms":300}'
	local waited=$(($(now_ms) - t0))
	echo "answered after $waited ms" >&3
	assert_contains "$output" '"code":"wait_too_long"'
	[[ $waited -ge 300 && $waited -lt 1500 ]]
	run ask '{"v":1,"op":"status"}'
	assert_contains "$output" '"leases":[{"resource":"r","limit":1,"held":1,"waiting":0'
	run ask '{"v":1,"op":"lease","resource":"r","concurrency":0}'
	assert_contains "$output" '"code":"bad_request"'
	run ask '{"v":1,"op":"unlease","lease":12345}'
	assert_contains "$output" '"code":"not_found"'
}

@test "the first lease sets the limit; -v says when the daemon's differs" {
	start_daemon --socket "$SOCK"
	"$PT_BIN/patience" -a 1 -q --concurrency 1 --daemon --resource-id test:first -- job 1 3>&- &
	BG_PIDS+=("$!")
	wait_for_line '^s '
	run --separate-stderr "$PT_BIN/patience" -a 1 -v --concurrency 5 --daemon \
		--resource-id test:first -- true
	[[ $status -eq 0 ]]
	assert_contains "$stderr" 'the daemon holds "test:first" to concurrency 1 (not 5)'
}

@test "rpr --concurrency 2: four rpr processes, never more than 2 runs at once" {
	start_daemon --socket "$SOCK"
	many 4 "$PT_BIN/rpr" count -t 3 -q --concurrency 2 --daemon --resource-id test:rpr -- job 0.2
	[[ $(count s) -eq 12 && $(count e) -eq 12 ]]
	run max_running
	[[ $output -eq 2 ]]
}

@test "rpr --overlap parallel --concurrency 2: each child run holds its own lease" {
	start_daemon --socket "$SOCK"
	"$PT_BIN/rpr" count -t 6 -e 50ms --overlap parallel -q --concurrency 2 --daemon \
		--resource-id test:par -- job 0.3 3>&-
	[[ $(count s) -eq 6 && $(count e) -eq 6 ]]
	run max_running
	[[ $output -eq 2 ]]
}

@test "without a daemon: lock files, said once; kill -9 frees a lock at once" {
	many 6 "$PT_BIN/patience" -a 1 -q --concurrency 2 --daemon --no-daemon-auto-start \
		--resource-id test:local -- job 0.2
	[[ $(count s) -eq 6 ]]
	run max_running
	[[ $output -eq 2 ]]
	[[ $(grep -c "using local lock files" "$T/clients.err") -eq 6 ]] # once per process
	[[ -d $XDG_RUNTIME_DIR/patience/leases ]]
	: >"$LOG"
	"$PT_BIN/patience" -a 1 -q --concurrency 1 --resource-id test:local1 -- job 30 3>&- &
	local holder=$!
	BG_PIDS+=("$holder")
	wait_for_line '^s '
	patience_bg -a 1 -q --concurrency 1 --resource-id test:local1 -- job 0
	run kill_holder_and_measure "$holder"
	echo "local: the waiter started $output ms after the kill" >&3
	[[ $output -lt 100 ]]
}

@test "--concurrency: bad values are refused, naming them; config files take it too" {
	run --separate-stderr "$PT_BIN/patience" --concurrency 0 -- true
	[[ $status -eq 125 ]]
	assert_contains "$stderr" '--concurrency: invalid value "0"'
	run --separate-stderr "$PT_BIN/rpr" count -t 1 --concurrency 100001 -- true
	[[ $status -eq 2 ]]
	assert_contains "$stderr" '--concurrency: invalid value "100001"'
	printf 'concurrency = 2\n' >"$T/c.toml"
	run "$PT_BIN/patience" --config "$T/c.toml" --debug-config -- true
	assert_contains "$output" "concurrency"
	assert_contains "$output" "c.toml:1"
	printf '[rate_limiting.resources]\n"x" = { concurrency = 0 }\n' >"$T/bad.toml"
	run "$PT_BIN/patience-daemon" --config "$T/bad.toml" --check-config
	[[ $status -ne 0 ]]
	assert_contains "$output" "concurrency"
}

@test "config concurrency = N wins over the first lease's" {
	mkdir -p "$XDG_CONFIG_HOME/patience"
	printf '[rate_limiting.resources]\n"test:cfg" = { concurrency = 2 }\n' \
		>"$XDG_CONFIG_HOME/patience/config.toml"
	start_daemon --socket "$SOCK"
	run ask '{"v":1,"op":"lease","resource":"test:cfg","concurrency":7}'
	assert_contains "$output" '"limit":2'
	assert_contains "$output" '"source":"config"'
}

@test "metrics and /api/v1/resources show leases held, limit and waiters; status too" {
	local port
	port=$(free_port)
	start_daemon --socket "$SOCK" --metrics-listen "127.0.0.1:$port"
	"$PT_BIN/patience" -a 1 -q --concurrency 1 --daemon --resource-id test:m -- job 2 3>&- &
	BG_PIDS+=("$!")
	wait_for_line '^s '
	patience_bg -a 1 -q --concurrency 1 --daemon --resource-id test:m -- job 0
	sleep 0.3
	curl -s "http://127.0.0.1:$port/metrics" >"$T/metrics"
	grep -q '^patience_leases_held{resource="test:m",uid="[0-9]*"} 1$' "$T/metrics"
	grep -q '^patience_lease_limit{resource="test:m",uid="[0-9]*"} 1$' "$T/metrics"
	grep -q '^patience_lease_waiters{resource="test:m",uid="[0-9]*"} 1$' "$T/metrics"
	run promtool check metrics <"$T/metrics"
	[[ $status -eq 0 ]]
	run curl -s "http://127.0.0.1:$port/api/v1/resources"
	assert_contains "$output" '"resource":"test:m"'
	assert_contains "$output" '"leases":{"resource":"test:m","limit":1,"held":1,"waiting":1,"source":"lease"}'
	run "$PT_BIN/patience" daemon status --daemon-socket "$SOCK"
	assert_contains "$output" "test:m"
	wait_bg
}

@test "a holder whose process is gone, its connection kept open by a child, loses its lease on the tick" {
	start_daemon --socket "$SOCK"
	# The holder takes the lease, forks a child that keeps the socket open
	# (and the lease's connection with it), and exits.
	python3 - "$SOCK" <<'PY' 3>&-
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"v":1,"op":"lease","resource":"test:orphan","concurrency":1}\n')
assert b'"ok":true' in s.recv(4096)
if os.fork() == 0:
    os.setsid()
    time.sleep(4)
    os._exit(0)
PY
	local t0
	t0=$(now_ms)
	run ask '{"v":1,"op":"lease","resource":"test:orphan","concurrency":1,"max_wait_ms":3000}'
	local waited=$(($(now_ms) - t0))
	echo "granted after $waited ms" >&3
	assert_contains "$output" '"ok":true'
	[[ $waited -lt 1500 ]] # the 1 s tick, not the child's 4 s
}

@test "a waiter killed with -9 leaves the queue: the next one gets the lease" {
	start_daemon --socket "$SOCK"
	"$PT_BIN/patience" -a 1 -q --concurrency 1 --daemon --resource-id test:q -- job 0.5 3>&- &
	BG_PIDS+=("$!")
	wait_for_line '^s '
	"$PT_BIN/patience" -a 1 -q --concurrency 1 --daemon --resource-id test:q -- job 0 3>&- &
	local doomed=$!
	sleep 0.1
	patience_bg -a 1 -q --concurrency 1 --daemon --resource-id test:q -- job 0
	sleep 0.1
	kill -KILL "$doomed"
	wait_bg
	[[ $BG_RC -eq 0 && $(count s) -eq 2 ]] # the holder's and the last waiter's
}

@test "SIGTERM ends a run waiting for a lease at once (143), and it leaves the queue" {
	start_daemon --socket "$SOCK"
	"$PT_BIN/patience" -a 1 -q --concurrency 1 --daemon --resource-id test:sig -- job 3 3>&- &
	BG_PIDS+=("$!")
	wait_for_line '^s '
	patience_bg -a 1 -q --concurrency 1 --daemon --resource-id test:sig -- job 0
	sleep 0.2
	local t0
	t0=$(now_ms)
	kill -TERM "$BG"
	wait_bg
	echo "exit $BG_RC after $(($(now_ms) - t0)) ms" >&3
	[[ $BG_RC -eq 143 && $(($(now_ms) - t0)) -lt 1000 && $(count s) -eq 1 ]]
}

@test "runs on the lock files and runs on the daemon never make more than N together" {
	start_daemon --socket "$SOCK"
	many 3 "$PT_BIN/patience" -a 1 -q --concurrency 2 --resource-id test:mixed -- job 0.3 &
	local locals=$!
	many 3 "$PT_BIN/patience" -a 1 -q --concurrency 2 --daemon --resource-id test:mixed -- job 0.3
	wait "$locals"
	[[ $(count s) -eq 6 && $(count e) -eq 6 ]]
	run max_running
	[[ $output -eq 2 ]]
}
