#!/usr/bin/env bats
# Exit status: 0, the command's last code, 124, 125, 126, 127, 128+N;
# --retry-on.

load helpers

@test "exit 0 when the command succeeds" {
	run --separate-stderr patience -a 1 -- true
	assert_status 0
}

@test "the command's last exit code, not the first" {
	run --separate-stderr patience fixed -d 10ms -a 3 -- exit_with 5 6 7
	assert_status 7
	assert_eq "$(calls)" 3
}

@test "exit codes above 125 from the command itself pass through" {
	run --separate-stderr patience fixed -d 10ms -a 2 -- sh -c 'exit 200'
	assert_status 200
	run --separate-stderr patience fixed -d 10ms -a 2 -- sh -c 'exit 255'
	assert_status 255
}

@test "124 when the attempt timed out" {
	run --separate-stderr patience fixed -a 1 -t 100ms -- sleep 30
	assert_status 124
}

@test "125 for a bad duration, naming the flag, the value and what is expected" {
	run --separate-stderr patience fixed -d 5x -- touch ran
	assert_status 125
	assert_contains "$stderr" "--delay"
	assert_contains "$stderr" '"5x"'
	assert_contains "$stderr" "duration"
	assert_eq "$output" ""
	[[ ! -e ran ]]

	run --separate-stderr patience -t 1e3 -- true
	assert_status 125
	assert_contains "$stderr" "--timeout"
	assert_contains "$stderr" "1e3"

	run --separate-stderr patience -t -1s -- true
	assert_status 125
	assert_contains "$stderr" "--timeout"

	run --separate-stderr patience --deadline '' -- true
	assert_status 125
	assert_contains "$stderr" "--deadline"

	run --separate-stderr patience --kill-after '3 parsecs' -- true
	assert_status 125
}

@test "125 for a bad attempt count, naming the flag and the value" {
	run --separate-stderr patience -a abc -- touch ran
	assert_status 125
	assert_contains "$stderr" "--attempts"
	assert_contains "$stderr" "abc"
	[[ ! -e ran ]]
	run --separate-stderr patience -a 0 -- true
	assert_status 125
	assert_contains "$stderr" "--attempts"
	run --separate-stderr patience -a 1000001 -- true
	assert_status 125
	assert_contains "$stderr" "1000001"
}

@test "the expected range of --attempts reads as a plain integer" {
	run --separate-stderr patience -a 0 -- true
	assert_status 125
	assert_contains "$stderr" "1000000"
	refute_contains "$stderr" "e+"
}

@test "126 when the command is not executable: one attempt only" {
	printf '#!/bin/sh\necho hi\n' >script.sh
	chmod -x script.sh
	run -126 --separate-stderr patience fixed -d 10ms -a 3 -- ./script.sh
	assert_contains "$stderr" "script.sh"
	assert_eq "$(grep -c 'starting' <<<"$stderr")" 1
	refute_contains "$stderr" "Attempt 2"
}

@test "126 for a directory given as the command" {
	mkdir adir
	run -126 --separate-stderr patience fixed -d 10ms -a 3 -- ./adir
	assert_eq "$(grep -c 'starting' <<<"$stderr")" 1
}

@test "127 when the command does not exist: one attempt only" {
	run -127 --separate-stderr patience fixed -d 10ms -a 3 -- no-such-command-e2e
	assert_contains "$stderr" "no-such-command-e2e"
	assert_eq "$(grep -c 'starting' <<<"$stderr")" 1
	run -127 --separate-stderr patience fixed -d 10ms -a 3 -- ./missing/path/cmd
	assert_eq "$(grep -c 'starting' <<<"$stderr")" 1
}

@test "128+N when the command is killed by signal N (and it is retried)" {
	run --separate-stderr patience fixed -d 10ms -a 2 -- sh -c 'echo x >> tries; kill -9 $$'
	assert_status 137
	assert_eq "$(wc -l <tries)" 2
	assert_contains "$stderr" "SIGKILL"
	run --separate-stderr patience fixed -d 10ms -a 1 -- sh -c 'kill -TERM $$'
	assert_status 143
	run --separate-stderr patience fixed -d 10ms -a 1 -- sh -c 'kill -SEGV $$'
	assert_status 139
}

@test "--retry-on: listed codes and ranges are retried" {
	run --separate-stderr patience fixed -d 10ms -a 3 --retry-on 1,75,100-110 -- exit_with 75 105 1
	assert_status 1
	assert_eq "$(calls)" 3
	rm -f "$COUNTER"
	run --separate-stderr patience fixed -d 10ms -a 4 --retry-on 1,75,100-110 -- exit_with 75 100 110 0
	assert_status 0
	assert_eq "$(calls)" 4
}

@test "--retry-on: an unlisted code stops at once with that code" {
	run --separate-stderr patience fixed -d 10ms -a 5 --retry-on 1,75,100-110 -- exit_with 3
	assert_status 3
	assert_eq "$(calls)" 1
	assert_contains "$stderr" "not in --retry-on"
	rm -f "$COUNTER"
	run --separate-stderr patience fixed -d 10ms -a 5 --retry-on 1,75,100-110 -- exit_with 75 111
	assert_status 111
	assert_eq "$(calls)" 2
}

@test "--retry-on: success is still success" {
	run --separate-stderr patience fixed -d 10ms -a 5 --retry-on 75 -- exit_with 75 0
	assert_status 0
	assert_eq "$(calls)" 2
}

@test "--retry-on: invalid lists are usage errors" {
	local bad
	for bad in 1-x 300 '' 5-3 abc 1,,2; do
		run --separate-stderr patience --retry-on "$bad" -- touch ran
		assert_status 125
		assert_contains "$stderr" "--retry-on"
		[[ ! -e ran ]]
	done
}
