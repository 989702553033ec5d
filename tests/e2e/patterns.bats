#!/usr/bin/env bats
# --success-pattern / --failure-pattern (PCRE2) on stdout and stderr,
# --case-insensitive, and byte-exact pass-through while watching.

load helpers

@test "success pattern on stdout turns a non-zero exit into success" {
	run --separate-stderr patience fixed -d 10ms -a 3 --success-pattern 'deploy(ed)? ok' -- \
		sh -c 'echo x >> tries; echo "deployed ok"; exit 1'
	assert_status 0
	assert_eq "$(wc -l <tries)" 1
	assert_eq "$output" "deployed ok"
}

@test "success pattern on stderr works too" {
	run --separate-stderr patience fixed -d 10ms -a 3 --success-pattern 'deployed ok' -- \
		sh -c 'echo x >> tries; echo "deployed ok" >&2; exit 1'
	assert_status 0
	assert_eq "$(wc -l <tries)" 1
	assert_contains "$stderr" "deployed ok"
	assert_eq "$output" ""
}

@test "no match: the exit code decides as usual" {
	run --separate-stderr patience fixed -d 10ms -a 3 --success-pattern 'deployed ok' -- \
		sh -c 'echo x >> tries; echo "still deploying"; exit 1'
	assert_status 1
	assert_eq "$(wc -l <tries)" 3
	run --separate-stderr patience fixed -d 10ms -a 3 --success-pattern 'deployed ok' -- \
		sh -c 'echo "nothing to see"; exit 0'
	assert_status 0
}

@test "patterns are case-sensitive unless --case-insensitive" {
	run --separate-stderr patience fixed -d 10ms -a 2 --success-pattern 'DEPLOYED OK' -- \
		sh -c 'echo "deployed ok"; exit 1'
	assert_status 1
	run --separate-stderr patience fixed -d 10ms -a 2 --case-insensitive --success-pattern 'DEPLOYED OK' -- \
		sh -c 'echo "deployed ok"; exit 1'
	assert_status 0
	run --separate-stderr patience fixed -d 10ms -a 2 --case-insensitive --failure-pattern 'FATAL' -- \
		sh -c 'echo x >> tries; echo "fatal: no"; exit 1'
	assert_status 1
	assert_eq "$(wc -l <tries)" 1
}

@test "failure pattern stops retrying at once; exit 1 if the command exited 0" {
	run --separate-stderr patience fixed -d 10ms -a 5 --failure-pattern 'fatal:' -- \
		sh -c 'echo x >> tries; echo "fatal: bad credentials"; exit 0'
	assert_status 1
	assert_eq "$(wc -l <tries)" 1
	assert_contains "$stderr" "failure pattern matched"
	assert_eq "$output" "fatal: bad credentials"
}

@test "failure pattern keeps the command's own non-zero exit code" {
	run --separate-stderr patience fixed -d 10ms -a 5 --failure-pattern 'fatal:' -- \
		sh -c 'echo x >> tries; echo "fatal: bad credentials" >&2; exit 7'
	assert_status 7
	assert_eq "$(wc -l <tries)" 1
}

@test "failure pattern on a later attempt stops there" {
	run --separate-stderr patience fixed -d 10ms -a 5 --failure-pattern '^fatal' -- \
		sh -c 'echo x >> tries; [ "$PATIENCE_ATTEMPT" -eq 2 ] && echo fatal; exit 1'
	assert_status 1
	assert_eq "$(wc -l <tries)" 2
}

@test "failure pattern wins over success pattern in the same output" {
	run --separate-stderr patience fixed -d 10ms -a 3 --success-pattern 'ok' --failure-pattern 'fatal' -- \
		sh -c 'echo ok; echo fatal; exit 0'
	assert_status 1
}

@test "patterns are PCRE2 (\\d, lookahead), matched per line" {
	run --separate-stderr patience fixed -d 10ms -a 2 --success-pattern '^\d+ passed(?!, \d+ failed)' -- \
		sh -c 'echo "12 passed, 3 failed"; exit 1'
	assert_status 1
	run --separate-stderr patience fixed -d 10ms -a 2 --success-pattern '^\d+ passed(?!, \d+ failed)' -- \
		sh -c 'echo "12 passed"; exit 1'
	assert_status 0
	# ^ and $ anchor at line boundaries: a match needs one line
	run --separate-stderr patience fixed -d 10ms -a 2 --success-pattern '^b$' -- \
		sh -c 'printf "a\nb\nc\n"; exit 1'
	assert_status 0
}

@test "a line written in several pieces is matched as one line" {
	run --separate-stderr patience fixed -d 10ms -a 2 --success-pattern 'deployed ok' -- \
		sh -c 'printf "depl"; sleep 0.05; printf "oyed "; sleep 0.05; printf "ok\n"; exit 1'
	assert_status 0
	assert_eq "$output" "deployed ok"
}

@test "the last line without a newline is matched" {
	run --separate-stderr patience fixed -d 10ms -a 2 --success-pattern '^all done$' -- \
		sh -c 'printf "working\nall done"; exit 1'
	assert_status 0
	run --separate-stderr patience fixed -d 10ms -a 2 --failure-pattern 'fatal$' -- \
		sh -c 'echo x >> tries; printf "fatal"; exit 0'
	assert_status 1
	assert_eq "$(wc -l <tries)" 1
}

@test "a match from an earlier attempt does not carry over" {
	run --separate-stderr patience fixed -d 10ms -a 2 --success-pattern 'ok' -- \
		sh -c 'if [ "$PATIENCE_ATTEMPT" -eq 1 ]; then printf "o"; exit 1; fi; printf "k"; exit 1'
	assert_status 1
}

@test "output passes through byte-exact while watched (stdout)" {
	printf 'first line\nsecond\tline\r\n\nno newline at the end' >expected
	patience fixed -q -d 10ms -a 1 --success-pattern 'no newline' -- cat expected >out 2>err
	cmp expected out
	[[ ! -s err ]]
}

@test "output passes through byte-exact while watched (binary, large, both streams)" {
	head -c 500000 /dev/urandom >data
	printf 'marker-line\n' >>data
	head -c 3000 /dev/urandom >>data
	patience fixed -q -d 10ms -a 1 --success-pattern 'marker-line' --failure-pattern 'zzz-never-zzz' -- \
		sh -c 'cat data; cat data >&2; exit 1' >out 2>err
	cmp data out
	cmp data err
}

@test "output of every attempt passes through while watched" {
	patience fixed -q -d 10ms -a 3 --success-pattern 'never' -- \
		sh -c 'printf "a$PATIENCE_ATTEMPT"; exit 1' >out 2>/dev/null || true
	assert_eq "$(cat out)" "a1a2a3"
}

@test "invalid regular expression: 125 before running anything" {
	run --separate-stderr patience fixed -d 10ms -a 3 --success-pattern '(' -- touch ran
	assert_status 125
	assert_contains "$stderr" "success pattern"
	assert_contains "$stderr" '"("'
	[[ ! -e ran ]]
	run --separate-stderr patience fixed -d 10ms -a 3 --failure-pattern 'a[' -- touch ran
	assert_status 125
	assert_contains "$stderr" "failure pattern"
	[[ ! -e ran ]]
}

@test "invalid regular expression is reported by --dry-run too" {
	run --separate-stderr patience fixed --success-pattern '(' --dry-run
	assert_status 125
	assert_contains "$stderr" "success pattern"
}

@test "patterns apply with --timeout: a timed-out attempt is not a success" {
	run --separate-stderr patience fixed -d 10ms -a 1 -t 200ms --success-pattern 'ready' -- \
		sh -c 'echo ready; sleep 30'
	assert_status 124
}
