#!/usr/bin/env bats
# --timeout, --kill-after, --deadline, and signals sent to patience.
# Timing assertions are orders of magnitude: lower bounds are what the
# options promise, upper bounds are generous (the machine may be loaded).

load helpers

@test "--timeout ends a long attempt quickly with 124" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr patience fixed -a 1 -t 200ms -- sleep 30
	t1=$(now_ms)
	assert_status 124
	assert_between $((t1 - t0)) 190 5000
	assert_contains "$stderr" "timeout of 200ms reached"
}

@test "--timeout kills the whole process group: no child survives" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr patience fixed -a 1 -t 300ms -- \
		sh -c 'sleep 30 & echo $! >> pids; sleep 30 & echo $! >> pids; echo $$ >> pids; wait'
	t1=$(now_ms)
	assert_status 124
	assert_between $((t1 - t0)) 290 5000
	assert_eq "$(wc -l <pids)" 3
	pids_gone pids
}

@test "--timeout: a grandchild in its own subshell is killed too" {
	run --separate-stderr patience fixed -a 1 -t 300ms -- \
		sh -c '(sh -c "echo \$\$ >> pids; sleep 30" &) ; sleep 30 & echo $! >> pids; wait'
	assert_status 124
	wait_for_lines pids 2 1
	pids_gone pids
}

@test "--timeout: timed-out attempts are retried, the last one decides" {
	run --separate-stderr patience fixed -a 3 -d 10ms -t 150ms -- \
		sh -c 'echo $PATIENCE_ATTEMPT >> tries; sleep 30'
	assert_status 124
	assert_eq "$(wc -l <tries)" 3
	assert_contains "$stderr" "Attempt 1/3 failed (timeout of 150ms reached). Retrying in 10ms."
}

@test "--timeout: a later attempt that finishes in time succeeds" {
	run --separate-stderr patience fixed -a 3 -d 10ms -t 300ms -- \
		sh -c 'if [ "$PATIENCE_ATTEMPT" -lt 2 ]; then sleep 30; fi; echo done'
	assert_status 0
	assert_eq "$output" "done"
}

@test "--timeout does not disturb a command that finishes in time" {
	run --separate-stderr patience fixed -a 1 -t 10s -- sh -c 'sleep 0.05; exit 3'
	assert_status 3
}

@test "--kill-after: a command that ignores SIGTERM is SIGKILLed after the grace" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr patience fixed -a 1 -t 200ms --kill-after 300ms -- \
		sh -c 'trap "" TERM; sleep 30 & echo $! >> pids; echo $$ >> pids; wait'
	t1=$(now_ms)
	assert_status 124
	# SIGTERM at 200ms is ignored; SIGKILL 300ms later
	assert_between $((t1 - t0)) 480 5000
	pids_gone pids
}

@test "--kill-after: a command that exits on SIGTERM does not wait for the grace" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr patience fixed -a 1 -t 200ms --kill-after 20s -- sleep 30
	t1=$(now_ms)
	assert_status 124
	assert_between $((t1 - t0)) 190 5000
}

@test "--timeout: the command gets SIGTERM first and may clean up" {
	run --separate-stderr patience fixed -a 1 -t 200ms -- \
		sh -c 'trap "echo cleaned > marker; exit 0" TERM; sleep 30 & wait'
	assert_status 124
	assert_eq "$(cat marker)" cleaned
}

@test "--deadline bounds the whole run with 124" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr patience fixed -a 1000 -d 50ms --deadline 600ms -- \
		sh -c 'echo x >> tries; sleep 0.1; exit 1'
	t1=$(now_ms)
	assert_status 124
	assert_between $((t1 - t0)) 0 5000
	# some attempts ran, far fewer than 1000
	assert_between "$(wc -l <tries)" 1 10
	assert_contains "$stderr" "deadline"
}

@test "--deadline ends a running attempt and kills its group" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr patience fixed -a 5 -d 10ms --deadline 400ms -- \
		sh -c 'sleep 30 & echo $! >> pids; echo $$ >> pids; wait'
	t1=$(now_ms)
	assert_status 124
	assert_between $((t1 - t0)) 390 5000
	# the deadline is not retried
	assert_eq "$(wc -l <pids)" 2
	pids_gone pids
}

@test "--deadline shorter than the next delay stops at once" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr patience fixed -a 5 -d 30s --deadline 500ms -- fail_then_succeed 9
	t1=$(now_ms)
	assert_status 124
	assert_eq "$(calls)" 1
	assert_between $((t1 - t0)) 0 5000
}

@test "--deadline is not reached by a run that succeeds in time" {
	run --separate-stderr patience fixed -a 5 -d 10ms --deadline 10s -- fail_then_succeed 2
	assert_status 0
	assert_eq "$(calls)" 3
}

# signal_during_attempt SIG CODE: patience gets SIG while the command runs.
signal_during_attempt() {
	local sig=$1 code=$2
	patience_bg fixed -a 5 -d 10ms -- sh -c '
		echo $$ >> pids
		trap "echo TERM >> marker; exit 1" TERM
		trap "echo INT >> marker; exit 1" INT
		trap "echo HUP >> marker; exit 1" HUP
		sleep 30 & echo $! >> pids
		wait'
	wait_for_lines pids 2
	kill -"$sig" "$BG"
	wait_bg
	assert_eq "$BG_RC" "$code"
	# forwarded: the command saw the same signal
	assert_eq "$(cat marker)" "$sig"
	# not retried
	assert_eq "$(wc -l <pids)" 2
	assert_eq "$(grep -c 'starting' "$T/bg.err")" 1
	assert_contains "$(cat "$T/bg.err")" "interrupted by SIG$sig"
	pids_gone pids
}

@test "SIGTERM to patience is forwarded to the command, no retry, exit 143" {
	signal_during_attempt TERM 143
}

@test "SIGINT to patience is forwarded to the command, no retry, exit 130" {
	signal_during_attempt INT 130
}

@test "SIGHUP to patience is forwarded to the command, no retry, exit 129" {
	signal_during_attempt HUP 129
}

@test "a signal reaches the whole process group of the command" {
	patience_bg fixed -a 3 -d 10ms -- sh -c '
		sh -c "trap \"echo child >> marker; exit 0\" TERM; echo \$\$ >> pids; sleep 30 & wait" &
		trap "echo parent >> marker; exit 1" TERM
		echo $$ >> pids
		wait'
	wait_for_lines pids 2
	kill -TERM "$BG"
	wait_bg
	assert_eq "$BG_RC" 143
	wait_for_lines marker 2 2
	assert_contains "$(cat marker)" parent
	assert_contains "$(cat marker)" child
	pids_gone pids
}

@test "a command that ignores the forwarded SIGTERM is SIGKILLed after --kill-after" {
	local t0 t1
	patience_bg fixed -a 3 -d 10ms --kill-after 300ms -- \
		sh -c 'trap "" TERM; echo $$ >> pids; sleep 30 & echo $! >> pids; wait'
	wait_for_lines pids 2
	t0=$(now_ms)
	kill -TERM "$BG"
	wait_bg
	t1=$(now_ms)
	assert_eq "$BG_RC" 143
	assert_between $((t1 - t0)) 250 5000
	pids_gone pids
}

# signal_during_delay SIG CODE: patience gets SIG while waiting to retry.
signal_during_delay() {
	local sig=$1 code=$2 t0 t1
	patience_bg fixed -a 5 -d 30s -- sh -c 'echo $PATIENCE_ATTEMPT >> tries; exit 1'
	wait_for_lines tries 1
	# make sure patience is in its delay
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q 'Retrying in' "$T/bg.err" && break
		sleep 0.05
	done
	t0=$(now_ms)
	kill -"$sig" "$BG"
	wait_bg
	t1=$(now_ms)
	assert_eq "$BG_RC" "$code"
	assert_between $((t1 - t0)) 0 5000
	sleep 0.1
	assert_eq "$(wc -l <tries)" 1
	assert_eq "$(grep -c 'starting' "$T/bg.err")" 1
}

@test "SIGTERM during the delay: exit 143, no further attempt" {
	signal_during_delay TERM 143
}

@test "SIGINT during the delay: exit 130, no further attempt" {
	signal_during_delay INT 130
}

@test "SIGHUP during the delay: exit 129, no further attempt" {
	signal_during_delay HUP 129
}

@test "a signal does not trigger --fallback" {
	patience_bg fixed -a 5 -d 30s --fallback 'touch fb.ran' -- sh -c 'echo x >> tries; exit 1'
	wait_for_lines tries 1
	sleep 0.1
	kill -TERM "$BG"
	wait_bg
	assert_eq "$BG_RC" 143
	[[ ! -e fb.ran ]]
}

@test "--json after a signal reports it" {
	patience_bg fixed --json -a 5 -d 10ms -- sh -c 'echo $$ >> pids; sleep 30 & echo $! >> pids; wait'
	wait_for_lines pids 2
	kill -TERM "$BG"
	wait_bg
	assert_eq "$BG_RC" 143
	stderr=$(cat "$T/bg.err")
	assert_eq "$(json_field 'j["success"]')" false
	assert_eq "$(json_field 'j["exit_code"]')" 143
	assert_eq "$(json_field 'j["attempts"]')" 1
	assert_contains "$(json_field 'j["reason"]')" SIGTERM
	pids_gone pids
}

# A reader that does not read for 4 s, then drains: with output watching on,
# patience copies the command's output itself and must not let a slow
# reader delay the timeout or a signal.
@test "--timeout fires on time while a watched stdout is not being read" {
	local t0 t1
	t0=$(now_ms)
	{
		"$PT_BIN/patience" -a 1 -t 300ms --success-pattern zzz -- \
			sh -c 'head -c 1000000 /dev/zero; sleep 30' 2>/dev/null 3>&- && rc=0 || rc=$?
		echo "$rc" >rc
		now_ms >t_end
	} | {
		sleep 4
		cat >/dev/null
	}
	assert_eq "$(cat rc)" 124
	t1=$(cat t_end)
	assert_between $((t1 - t0)) 290 2500
}

@test "a signal is forwarded at once while a watched stdout is not being read" {
	local t0 t1
	{
		"$PT_BIN/patience" -a 1 --success-pattern zzz -- \
			sh -c 'head -c 1000000 /dev/zero; sleep 30' 2>/dev/null 3>&- &
		echo $! >ppid
		wait $! && rc=0 || rc=$?
		echo "$rc" >rc
		now_ms >t_end
	} 3>&- | {
		sleep 4
		cat >/dev/null
	} 3>&- &
	local reader=$!
	wait_for_lines ppid 1
	sleep 0.3
	t0=$(now_ms)
	kill -TERM "$(cat ppid)"
	wait "$reader" || true
	assert_eq "$(cat rc)" 143
	t1=$(cat t_end)
	assert_between $((t1 - t0)) 0 2000
}
