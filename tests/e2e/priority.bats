#!/usr/bin/env bats
# Priorities among the daemon's queued acquires, with real processes: under
# saturation high goes first, and aging keeps low from starving. Every
# attempt runs $PT_BIN/stamp, which logs its own start time to $LOG (one
# file per class of client), so the order is what the commands saw.

load helpers

setup() {
	common_setup
	export XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state"
	SOCK="$T/d.sock"
	PIDS=()
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	pkill -KILL -f "patience-daemon -s $SOCK" 2>/dev/null
	common_teardown
}

# one LOG PRIORITY [WINDOW]: a patience process, one attempt of stamp on the
# saturated resource, in the background.
one() {
	LOG="$1" "$PT_BIN/patience" fixed -a 1 -r "2/${3:-3s}" --daemon --daemon-socket "$SOCK" \
		--no-daemon-auto-start --resource-id test:prio --priority "$2" -q \
		-- "$PT_BIN/stamp" 2>>"$T/err" 3>&- &
	PIDS+=("$!")
}

# rpr_high SECONDS: an rpr as greedy as the limit allows, at high priority.
rpr_high() {
	LOG="$T/high.log" "$PT_BIN/rpr" rate-limit -r 2/1s --for "$1" --daemon \
		--daemon-socket "$SOCK" --no-daemon-auto-start --resource-id test:prio \
		--priority high -q -- "$PT_BIN/stamp" 2>>"$T/err" 3>&- &
	PIDS+=("$!")
}

# waiting N: until the daemon says N acquires wait on test:prio.
waiting() {
	local i
	for ((i = 0; i < 100; i++)); do
		ask '{"v":1,"op":"resources"}' | grep -q "\"waiting\":$1[,}]" && return 0
		sleep 0.05
	done
	echo "never saw $1 waiting: $(ask '{"v":1,"op":"resources"}')" >&2
	return 1
}

min() { sort -n "$1" | head -n 1; }
max() { sort -n "$1" | tail -n 1; }

@test "priority: when the limit is saturated, high goes first though it came last" {
	start_daemon -s "$SOCK" --state "$T/state.db" --priority-aging 1h
	one "$T/fill.log" normal
	one "$T/fill.log" normal
	wait_for_lines "$T/fill.log" 2
	local i
	for i in 1 2 3; do one "$T/low.log" low; done
	waiting 3
	for i in 1 2 3; do one "$T/high.log" high; done
	waiting 6
	run patience daemon status --daemon-socket "$SOCK"
	assert_contains "$output" "6 waiting for their turn"
	for p in "${PIDS[@]}"; do wait "$p" || true; done
	[[ $(wc -l <"$T/low.log") == 3 && $(wc -l <"$T/high.log") == 3 ]]
	# every high start no later than every low one, though every low one
	# asked first: the last high shares its start time with the first low
	(($(max "$T/high.log") < $(min "$T/low.log") + 50000000))
	(($(sort -n "$T/low.log" | sed -n 2p) > $(max "$T/high.log") + 2000000000))
	cat "$T/fill.log" "$T/low.log" "$T/high.log" >"$T/all.log"
	run "$PT_BIN/window_check" 2 3000 "$T/all.log"
	assert_status 0
	run ! grep -i "error\|fall" "$T/err"
}

# contend AGING SECONDS: a daemon with that aging; three greedy high rpr
# clients for SECONDS, and once they run one low patience; sets $ASKED (ms).
contend() {
	pkill -TERM -f "patience-daemon -s $SOCK" && sleep 0.3
	rm -f "$T/low.log" "$T/high.log" "$T/state.db"
	PIDS=()
	start_daemon -s "$SOCK" --state "$T/state.db" --priority-aging "$1"
	local i
	for i in 1 2 3; do rpr_high "$2"; done
	wait_for_lines "$T/high.log" 2
	ASKED=$(now_ms)
	one "$T/low.log" low 1s
	for i in "${PIDS[@]}"; do wait "$i" || true; done
	cat "$T/low.log" "$T/high.log" >"$T/all.log"
	run "$PT_BIN/window_check" 2 1000 "$T/all.log"
	assert_status 0
}

@test "priority: without aging a stream of high starves low; with aging low gets its turn" {
	# strict priority (aging 0): low waits until the greedy high clients stop
	contend 0 4s
	(($(min "$T/low.log") > $(max "$T/high.log")))
	(($(min "$T/low.log") / 1000000 - ASKED > 2500))
	# one level per 500 ms of waiting: low ranks with high after 1 s, and
	# starts while high still runs, within a few windows
	contend 500ms 6s
	(($(min "$T/low.log") < $(max "$T/high.log")))
	(($(min "$T/low.log") / 1000000 - ASKED < 4000))
}

@test "priority: a queued acquire keeps max_wait_ms; a waiter that dies leaves the queue" {
	start_daemon -s "$SOCK" --state "$T/state.db"
	local r='"op":"acquire","resource":"test:prio","limit":2,"window_ms":60000,"offsets_ms":[0]'
	# two starts hold the limit for a minute
	one "$T/fill.log" normal 1m
	one "$T/fill.log" normal 1m
	wait_for_lines "$T/fill.log" 2
	one "$T/low.log" low 1m
	waiting 1
	kill -KILL "${PIDS[2]}"
	waiting 0
	run ask "{\"v\":1,$r,\"queue\":true,\"max_wait_ms\":300}"
	assert_contains "$output" '"code":"wait_too_long"'
	assert_contains "$output" 'max_wait_ms 300'
	run ask "{\"v\":1,$r,\"queue\":true,\"priority\":11}"
	assert_contains "$output" '"code":"bad_request"'
	assert_contains "$output" 'priority'
	[[ ! -e $T/low.log ]]
}

@test "priority: bad values are refused with the value and what was expected" {
	run --separate-stderr patience fixed -r 1/1s --priority urgent -- true
	assert_status 125
	assert_contains "$stderr" '"urgent"'
	assert_contains "$stderr" 'high, normal, low'
	run --separate-stderr patience fixed --priority high -- true
	assert_status 125
	assert_contains "$stderr" '--priority needs a rate limit'
	run --separate-stderr "$PT_BIN/rpr" interval -e 1s --priority high -- true
	assert_status 2
	assert_contains "$stderr" '--priority'
}
