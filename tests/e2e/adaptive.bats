#!/usr/bin/env bats
# patience adaptive: it learns the pause a command needs, and with --daemon
# the next run starts from what the last one learned.

load helpers

setup() {
	common_setup
	export XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state"
	SOCK="$XDG_RUNTIME_DIR/patience/daemon.sock"
	# needs_pause MS: fails unless MS passed since its previous attempt; the
	# first attempt of a run (no previous one since the last success) fails.
	cat >"$T/bin/needs_pause" <<'SH'
#!/bin/sh
f="$T/last"
now=$(date +%s%3N)
if [ -f "$f" ] && [ $((now - $(cat "$f"))) -ge "$1" ]; then
	rm -f "$f"
	exit 0
fi
echo "$now" >"$f"
exit 1
SH
	chmod +x "$T/bin/needs_pause"
}

# The clients first: one that lost its daemon would start another.
teardown() {
	common_teardown
	kill_daemon
}

# The memo of test:pause after one search: 100ms, 200ms and 400ms failed,
# 800ms worked (each wait as measured: a few ms more).
assert_searched_once() {
	run ask '{"v":1,"op":"memo","resource":"test:pause","key":"adaptive"}'
	[[ $output =~ \"value\":\"a1:10[0-9]f,2[0-9][0-9]f,4[0-9][0-9]f,8[0-9][0-9]s\" ]] || {
		echo "memo: $output" >&2
		return 1
	}
}

# learn [OPTIONS...]: one run against needs_pause $NEED (700; buckets 100ms,
# 200ms, ... 3.2s); prints "ATTEMPTS FIRST_DELAY_MS" from --json.
learn() {
	patience adaptive -a 8 -b 100ms -m 3200ms --json -q --resource-id test:pause "$@" \
		-- needs_pause "${NEED:-700}" 2>"$T/run.json" || return 1
	jq -r '"\(.attempts) \(.attempt_log[0].delay_ms)"' "$T/run.json"
}

@test "without a daemon every run searches from scratch" {
	run learn
	assert_eq "$output" "5 100" # 0, then 100ms, 200ms, 400ms fail; 800ms works
	run learn
	assert_eq "$output" "5 100"
}

@test "with --daemon the next run starts with the delay that worked" {
	start_daemon --socket "$SOCK"
	run learn --daemon
	assert_eq "$output" "5 100"
	assert_searched_once
	run learn --daemon
	assert_eq "$output" "2 800"
	run learn --daemon
	assert_eq "$output" "2 800"
	run patience daemon status --daemon-socket "$SOCK"
	assert_contains "$output" "memos      1"
	assert_contains "$output" "test:pause"
}

@test "a service that got slower: the learned delay fails once, then the next bucket" {
	start_daemon --socket "$SOCK"
	learn --daemon >/dev/null
	NEED=1200 run learn --daemon
	assert_eq "$output" "3 800"
	assert_eq "$(jq -r '.attempt_log[1].delay_ms' "$T/run.json")" 1600
}

@test "what was learned outlives a daemon restart" {
	start_daemon --socket "$SOCK"
	run learn --daemon
	assert_eq "$output" "5 100"
	local pid
	pid=$(cat "${SOCK%/*}/daemon.pid")
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	start_daemon --socket "$SOCK"
	assert_searched_once
	run learn --daemon
	assert_eq "$output" "2 800"
}

@test "-v says where the run starts from and what it learned" {
	start_daemon --socket "$SOCK"
	learn --daemon >/dev/null
	run --separate-stderr patience adaptive -v -a 8 -b 100ms -m 3200ms --daemon \
		--resource-id test:pause -- needs_pause 700
	assert_eq "$status" 0
	assert_contains "$stderr" 'Starting from 4 outcomes patience-daemon kept for "test:pause".'
	assert_contains "$stderr" "Retrying in 800ms."
	assert_contains "$stderr" "Learned: a wait of 8"
}

@test "a memo that is not a model is ignored, and then replaced" {
	start_daemon --socket "$SOCK"
	ask '{"v":1,"op":"memo","resource":"test:pause","key":"adaptive","value":"a1:01s,junk"}' >/dev/null
	run --separate-stderr patience adaptive -v -a 8 -b 100ms -m 3200ms --daemon \
		--resource-id test:pause -- needs_pause 700
	assert_eq "$status" 0
	assert_contains "$stderr" "is not a model; starting afresh"
	assert_searched_once
}

@test "with a rate limit the memo goes over the limiter's connection" {
	start_daemon --socket "$SOCK"
	run learn --daemon -r 10 -w 1s
	assert_eq "$output" "5 100"
	run learn --daemon -r 10 -w 1s
	assert_eq "$output" "2 800"
}

@test "no daemon answering: a warning, and the run learns from scratch" {
	run --separate-stderr patience adaptive -a 8 -b 100ms -m 3200ms --daemon \
		--no-daemon-auto-start --daemon-socket "$T/none.sock" -- needs_pause 700
	assert_eq "$status" 0
	assert_contains "$stderr" "daemon unavailable"
	assert_contains "$stderr" "adaptive learns from scratch"
}

@test "options: adapt alias, --learning-rate and --memory, -f, --dry-run" {
	run patience adapt --learning-rate 0.3 --memory 20 -f fixed -d 250ms -a 3 --dry-run
	assert_eq "$status" 0
	assert_contains "$output" "adaptive, learning rate 0.3, memory 20, delays 1s to 1m"
	assert_contains "$output" "then wait 250ms"
	run patience adaptive --learning-rate 2 --dry-run
	assert_eq "$status" 125
	run patience adaptive --memory 0 --dry-run
	assert_eq "$status" 125
	run patience exponential --memory 5 --dry-run
	assert_eq "$status" 125
	assert_contains "$output" "--memory does not apply to strategy exponential"
	run patience adaptive -f adaptive --dry-run
	assert_eq "$status" 125
	run patience adaptive --daemon --dry-run
	assert_eq "$status" 0
	# --daemon without a limit: the daemon's for the resource, if any
	run patience exponential --daemon --dry-run
	assert_eq "$status" 0
	run patience adaptive --help
	assert_contains "$output" "--learning-rate R"
	assert_contains "$output" "--memory N"
}
