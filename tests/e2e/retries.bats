#!/usr/bin/env bats
# The retry loop: attempts, progress on stderr, quiet/verbose, --json,
# --fallback.

load helpers

@test "a command that fails twice succeeds on attempt 3 with exit 0" {
	run --separate-stderr patience fixed -d 10ms -a 5 -- fail_then_succeed 2
	assert_status 0
	assert_eq "$(calls)" 3
	assert_eq "$output" $'attempt 1\nattempt 2\nattempt 3'
}

@test "a first-time success runs the command once" {
	run --separate-stderr patience fixed -d 10ms -a 5 -- fail_then_succeed 0
	assert_status 0
	assert_eq "$(calls)" 1
	assert_eq "$output" "attempt 1"
	assert_contains "$stderr" "Succeeded after 1 attempt in"
}

@test "with too few attempts the command's last exit code is returned" {
	run --separate-stderr patience fixed -d 10ms -a 2 -- fail_then_succeed 3 3
	assert_status 3
	assert_eq "$(calls)" 2
	assert_contains "$stderr" "Failed after 2 attempts"
}

@test "exactly k+1 attempts are enough after k failures" {
	run --separate-stderr patience fixed -d 10ms -a 3 -- fail_then_succeed 2 4
	assert_status 0
	assert_eq "$(calls)" 3
}

@test "-a 1 runs once and never waits" {
	run --separate-stderr patience fixed -d 10s -a 1 -- fail_then_succeed 5 6
	assert_status 6
	assert_eq "$(calls)" 1
	refute_contains "$stderr" "Retrying"
}

@test "default attempts: 3" {
	run --separate-stderr patience fixed -d 10ms -- fail_then_succeed 10
	assert_status 1
	assert_eq "$(calls)" 3
	assert_contains "$stderr" "Attempt 3/3 starting..."
}

@test "progress goes to stderr, stdout holds only the command's output" {
	run --separate-stderr patience fixed -d 10ms -a 5 -- fail_then_succeed 2
	assert_status 0
	assert_eq "$output" $'attempt 1\nattempt 2\nattempt 3'
	assert_eq "${stderr_lines[0]}" "[retry] Attempt 1/5 starting..."
	assert_eq "${stderr_lines[1]}" "[retry] Attempt 1/5 failed (exit code 1). Retrying in 10ms."
	assert_eq "${stderr_lines[2]}" "[retry] Attempt 2/5 starting..."
	assert_eq "${stderr_lines[3]}" "[retry] Attempt 2/5 failed (exit code 1). Retrying in 10ms."
	assert_eq "${stderr_lines[4]}" "[retry] Attempt 3/5 starting..."
	[[ ${stderr_lines[5]} =~ ^\[retry\]\ Succeeded\ after\ 3\ attempts\ in\ [0-9.]+m?s\.$ ]]
	assert_eq "${#stderr_lines[@]}" 6
	refute_contains "$output" "[retry]"
}

@test "the failure summary names the reason and the exit code" {
	run --separate-stderr patience fixed -d 10ms -a 2 -- fail_then_succeed 5 3
	assert_status 3
	[[ ${stderr_lines[-1]} =~ ^\[retry\]\ Failed\ after\ 2\ attempts\ in\ .*exit\ code\ 3.*\(exit\ 3\)\.$ ]]
}

@test "-q prints nothing on success" {
	run --separate-stderr patience fixed -q -d 10ms -a 5 -- fail_then_succeed 2
	assert_status 0
	assert_eq "$stderr" ""
	assert_eq "$output" $'attempt 1\nattempt 2\nattempt 3'
	run --separate-stderr patience fixed --quiet -d 10ms -a 5 -- fail_then_succeed 0
	assert_status 0
	assert_eq "$stderr" ""
}

@test "-q hides the progress lines on failure too" {
	run --separate-stderr patience fixed -q -d 10ms -a 3 -- fail_then_succeed 5
	assert_status 1
	refute_contains "$stderr" "starting..."
	refute_contains "$stderr" "Retrying in"
}

@test "-v adds the outcome of every attempt" {
	run --separate-stderr patience fixed -v -d 10ms -a 2 -- fail_then_succeed 5
	assert_status 1
	assert_contains "$stderr" "Attempt 1/2 failed (exit code 1) after"
	assert_contains "$stderr" "Attempt 2/2 failed (exit code 1) after"
	refute_contains "$output" "[retry]"
}

@test "-v prints how each attempt ended and how long it took" {
	run --separate-stderr patience fixed -v -d 10ms -a 2 -- fail_then_succeed 5
	assert_status 1
	assert_contains "$stderr" "Attempt 1/2 failed (exit code 1) after"
	assert_contains "$stderr" "Attempt 2/2 failed (exit code 1) after"
}

@test "-q wins over -v" {
	run --separate-stderr patience fixed -q -v -d 10ms -a 3 -- fail_then_succeed 1
	assert_status 0
	assert_eq "$stderr" ""
}

@test "--json: the last stderr line is one JSON summary of a success" {
	run --separate-stderr patience fixed --json -d 10ms -a 5 -- fail_then_succeed 2
	assert_status 0
	assert_eq "$output" $'attempt 1\nattempt 2\nattempt 3'
	assert_eq "$(json_field 'j["success"]')" true
	assert_eq "$(json_field 'j["exit_code"]')" 0
	assert_eq "$(json_field 'j["attempts"]')" 3
	assert_eq "$(json_field 'j["max_attempts"]')" 5
	assert_eq "$(json_field 'j["strategy"]')" fixed
	assert_eq "$(json_field 'j["reason"]')" succeeded
	assert_eq "$(json_field 'len(j["attempt_log"])')" 3
	assert_eq "$(json_field '[a["attempt"] for a in j["attempt_log"]]')" "[1, 2, 3]"
	assert_eq "$(json_field '[a["exit_code"] for a in j["attempt_log"]]')" "[1, 1, 0]"
	assert_eq "$(json_field '[a["outcome"] for a in j["attempt_log"]]')" '["failed", "failed", "succeeded"]'
	assert_eq "$(json_field '[a.get("delay_ms") for a in j["attempt_log"]]')" "[10, 10, null]"
	assert_eq "$(json_field 'all(a["duration_ms"] >= 0 for a in j["attempt_log"])')" true
	assert_eq "$(json_field 'j["total_ms"] >= 20')" true
	[[ $(json_field 'j["idempotency_key"]') =~ ^[0-9a-f-]{36}$ ]]
}

@test "--json: a failure reports the exit code and the reason" {
	run --separate-stderr patience fixed --json -d 10ms -a 2 -- fail_then_succeed 5 4
	assert_status 4
	assert_eq "$(json_field 'j["success"]')" false
	assert_eq "$(json_field 'j["exit_code"]')" 4
	assert_eq "$(json_field 'j["attempts"]')" 2
	assert_eq "$(json_field 'j["max_attempts"]')" 2
	assert_contains "$(json_field 'j["reason"]')" "exit code 4"
}

@test "--json -q: stderr is exactly one JSON line" {
	run --separate-stderr patience fixed --json -q -d 10ms -a 3 -- fail_then_succeed 1
	assert_status 0
	assert_eq "${#stderr_lines[@]}" 1
	assert_eq "$(json_field 'j["attempts"]')" 2
	run --separate-stderr patience fixed --json -q -d 10ms -a 2 -- fail_then_succeed 9 5
	assert_status 5
	assert_eq "${#stderr_lines[@]}" 1
	assert_eq "$(json_field 'j["exit_code"]')" 5
}

@test "--json: the key is the PATIENCE_IDEMPOTENCY_KEY the command saw" {
	run --separate-stderr patience fixed --json -q -a 1 -- sh -c 'echo "$PATIENCE_IDEMPOTENCY_KEY"'
	assert_status 0
	assert_eq "$(json_field 'j["idempotency_key"]')" "$output"
}

@test "--json: a timed-out attempt is logged as such" {
	run --separate-stderr patience fixed --json -q -a 1 -t 100ms -- sleep 30
	assert_status 124
	assert_eq "$(json_field 'j["exit_code"]')" 124
	assert_eq "$(json_field 'j["attempt_log"][0]["outcome"]')" timed_out
	assert_contains "$(json_field 'j["reason"]')" "timeout"
}

@test "--fallback runs once, with sh -c, when every attempt failed" {
	run --separate-stderr patience fixed -d 10ms -a 3 \
		--fallback 'echo "fallback $PATIENCE_ATTEMPT" >> fb.log; echo fb-out' -- fail_then_succeed 9 3
	assert_status 3
	assert_eq "$(calls)" 3
	assert_eq "$(wc -l <fb.log)" 1
	assert_contains "$output" "fb-out"
	assert_contains "$stderr" "Running fallback"
}

@test "--fallback's own exit status does not replace the command's" {
	run --separate-stderr patience fixed -q -d 10ms -a 2 --fallback 'exit 9' -- fail_then_succeed 9 3
	assert_status 3
	run --separate-stderr patience fixed -q -d 10ms -a 1 --fallback 'exit 0' -- fail_then_succeed 9 4
	assert_status 4
}

@test "--fallback does not run when an attempt succeeds" {
	run --separate-stderr patience fixed -d 10ms -a 3 --fallback 'touch fb.ran' -- fail_then_succeed 1
	assert_status 0
	[[ ! -e fb.ran ]]
	refute_contains "$stderr" "fallback"
}

@test "--fallback runs after a command that was not found" {
	run -127 --separate-stderr patience fixed -d 10ms -a 3 --fallback 'touch fb.ran' -- no-such-command-e2e
	assert_status 127
	[[ -e fb.ran ]]
}
