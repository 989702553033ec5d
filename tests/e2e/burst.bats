#!/usr/bin/env bats
# --burst B: the rate limit as GCRA (a token bucket), with real processes.
# Every attempt is tests/tools/stamp, which logs its own start time; the
# independent observer tests/tools/gcra_check replays the GCRA definition
# (T = W/N, tau = (B-1)*T) over those times. Its --slack 10 allows for the
# log line being written after the exec; the guard (20 ms at 10/1s) already
# covers a start made late, so a start's lateness plus its log's must stay
# under guard + slack.

load helpers

setup() {
	common_setup
	export XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state"
	SOCK="$XDG_RUNTIME_DIR/patience/daemon.sock"
	export LOG="$T/starts.log"
}

# The clients first: one that lost its daemon would start another.
teardown() {
	common_teardown
	kill_daemon
}

# steady_ms: gcra_check's "one per X ms" figure, rounded down: how evenly
# the starts after the burst came. Conformance bounds it from below (less
# when the burst's last start was late); the tests bound it from above, for
# utilization.
steady_ms() { sed -n 's/.*then one per \([0-9]*\).*/\1/p' <<<"$1"; }

@test "locally: a burst of 5 at once, then 10 per second, as GCRA defines" {
	run patience fixed -a 15 -d 0 -r 10/1s --burst 5 -q -- "$PT_BIN/stamp"
	assert_status 1
	run "$PT_BIN/gcra_check" 10 1000 5 "$LOG" --slack 10 --burst-within 40
	echo "$output" >&3
	assert_status 0
	assert_between "$(steady_ms "$output")" 50 115
}

@test "a sliding window of 10/1s instead starts 10 at once: GCRA with burst 5 refuses that" {
	run patience fixed -a 12 -d 0 -r 10/1s -q -- "$PT_BIN/stamp"
	assert_status 1
	run "$PT_BIN/window_check" 10 1000 "$LOG"
	assert_status 0
	run "$PT_BIN/gcra_check" 10 1000 5 "$LOG" --slack 10
	echo "$output" >&3
	assert_status 1
	assert_contains "$output" "NOT conforming"
}

@test "8 processes through one daemon share one bucket: 32 starts conform, 10/s after the burst" {
	start_daemon
	clients 8 "$PT_BIN/patience" fixed -a 4 -d 0 -r 10/1s --burst 5 --daemon \
		--resource-id test:burst -q -- "$PT_BIN/stamp"
	run "$PT_BIN/gcra_check" 10 1000 5 "$LOG" --slack 10 --burst-within 200
	echo "$output" >&3
	assert_status 0
	assert_contains "$output" "32 starts"
	assert_between "$(steady_ms "$output")" 50 115
	refute_contains "$(cat "$T/clients.err" 2>/dev/null)" "unavailable"
	run ask '{"v":1,"op":"resources"}'
	assert_contains "$output" '"burst":5'
}

@test "the daemon killed with -9 keeps its TAT: the next run gets no fresh burst" {
	start_daemon
	patience fixed -a 5 -d 0 -r 10/1s --burst 5 --daemon --resource-id test:burst -q \
		-- "$PT_BIN/stamp" || true
	kill_daemon
	start_daemon
	patience fixed -a 5 -d 0 -r 10/1s --burst 5 --daemon --resource-id test:burst -q \
		-- "$PT_BIN/stamp" || true
	run "$PT_BIN/gcra_check" 10 1000 5 "$LOG" --slack 10
	echo "$output" >&3
	assert_status 0
}

@test "rpr rate-limit --burst: 3 at once, then 5 per second" {
	run "$PT_BIN/rpr" rate-limit -r 5/1s --burst 3 -t 8 -q -- "$PT_BIN/stamp"
	run "$PT_BIN/gcra_check" 5 1000 3 "$LOG" --slack 10 --burst-within 40
	echo "$output" >&3
	assert_status 0
	assert_between "$(steady_ms "$output")" 100 225
}

@test "/api/v1/resources says algorithm, burst and tat_ms; config burst = B" {
	local port
	port=$(free_port)
	printf '[rate_limiting.resources]\n"cfg:*" = { limit = 10, window = "1s", burst = 2 }\n' \
		>"$T/daemon.toml"
	start_daemon --config "$T/daemon.toml" --metrics-listen "127.0.0.1:$port"
	ask '{"v":1,"op":"acquire","resource":"cfg:x","limit":1,"window_ms":60000}' >/dev/null
	ask '{"v":1,"op":"acquire","resource":"plain","limit":1,"window_ms":60000}' >/dev/null
	run curl -s "http://127.0.0.1:$port/api/v1/resources"
	assert_contains "$output" '"resource":"cfg:x",'
	assert_contains "$output" '"algorithm":"gcra"'
	assert_contains "$output" '"burst":2,"tat_ms":'
	assert_contains "$output" '"algorithm":"sliding"'
}

@test "bad --burst values: one line naming the value and what was expected" {
	run patience fixed -r 10/1s --burst 0 -- true
	assert_status 125
	assert_contains "$output" '--burst: invalid value "0": expected an integer from 1 to'
	run patience fixed --burst 3 -- true
	assert_status 125
	assert_contains "$output" "--burst needs a rate limit"
	run patience fixed -r 10/1d@calendar --burst 3 -- true
	assert_status 125
	assert_contains "$output" '--burst needs a sliding limit N/DUR, not "10/1d@calendar"'
	run "$PT_BIN/rpr" count -t 1 --burst 2 -- true
	assert_status 2
	assert_contains "$output" "--burst"
}
