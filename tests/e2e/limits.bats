#!/usr/bin/env bats
# Several limits on one resource, all enforced: locally, and through the
# daemon across processes. Each attempt runs $PT_BIN/stamp, which logs its
# own start; window_check is the observer, once per limit.

load helpers

setup() {
	common_setup
	export XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state"
	export LOG="$T/starts.log"
}

# The clients first: one that lost its daemon would start another.
teardown() {
	common_teardown
	SOCK="$XDG_RUNTIME_DIR/patience/daemon.sock" kill_daemon
}

@test "two sliding limits at once hold together, without a daemon" {
	local start
	start=$(now_ms)
	run --separate-stderr patience fixed -d 0 -a 5 -r 2/500ms -r 3/3s -- "$PT_BIN/stamp"
	assert_status 1
	[[ $(wc -l <"$LOG") == 5 ]]
	run "$PT_BIN/window_check" 2 500 "$LOG"
	assert_status 0
	run "$PT_BIN/window_check" 3 3000 "$LOG"
	assert_status 0
	# starts 4 and 5 wait for the 3 s limit: the run takes two windows of it
	assert_between "$(($(now_ms) - start))" 3000 12000
}

@test "two limits through the daemon: three processes, neither limit broken" {
	clients 3 "$PT_BIN/patience" fixed -d 0 -a 3 -r 2/500ms -r 4/3s --daemon \
		--resource-id test:two-limits -q -- "$PT_BIN/stamp"
	[[ $(wc -l <"$LOG") == 9 ]]
	run "$PT_BIN/window_check" 2 500 "$LOG"
	assert_status 0
	run "$PT_BIN/window_check" 4 3000 "$LOG"
	assert_status 0
	refute_contains "$(cat "$T/clients.err")" "local limits"
	run --separate-stderr "$PT_BIN/patience" daemon status --json
	assert_contains "$output" '"limits":[{"limit":4,"window_ms":3000}]'
}

@test "a calendar limit goes to the daemon with the resource" {
	run --separate-stderr patience fixed -a 1 -r 5/1h@calendar -r 100/1s --daemon \
		--tz America/New_York --resource-id test:calendar2 -- true
	assert_status 0
	run --separate-stderr "$PT_BIN/patience" daemon status --json
	assert_contains "$output" '"calendar":"hour"'
	assert_contains "$output" '"tz":"America/New_York"'
	run --separate-stderr patience fixed -a 1 -r 5/1d@calendar --tz Mars/Olympus -- true
	assert_status 125
	assert_contains "$stderr" '"Mars/Olympus"'
	assert_contains "$stderr" "IANA time zone"
	# the zone is patience's own: the command sees the TZ it was given
	TZ=UTC run --separate-stderr patience fixed -a 1 -r 5/1d@calendar --tz Asia/Tokyo \
		-- sh -c 'echo "TZ=$TZ"'
	assert_eq "$output" "TZ=UTC"
}

@test "on a terminal, a wait for the limit shows what it waits for, erased before the attempt" {
	command -v tmux >/dev/null || skip "tmux not installed"
	local sock="patience-test-$$"
	tmux -L "$sock" new-session -d -x 120 -y 10 \
		"$PT_BIN/patience fixed -d 0 -a 2 -r 1 -w 3s --resource-id test:wait -- sh -c 'echo ran; exit 1'; sleep 5"
	sleep 1.2
	local screen after
	screen=$(tmux -L "$sock" capture-pane -p)
	sleep 2.6
	after=$(tmux -L "$sock" capture-pane -p)
	tmux -L "$sock" kill-server
	assert_contains "$screen" "patience: attempt 2 in "
	assert_contains "$screen" "(test:wait: 1 per 3s)"
	refute_contains "$after" "patience: attempt 2 in"
	assert_eq "$(grep -c '^ran' <<<"$after")" 2
	# not with --quiet, nor when stderr is not a terminal
	run --separate-stderr patience fixed -d 0 -a 2 -r 1 -w 1500ms --resource-id test:wait2 -- true
	refute_contains "$stderr" "in 1."
}
