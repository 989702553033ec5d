#!/usr/bin/env bats
# --help, --version and usage errors (exit 125, message on stderr only).

load helpers

@test "--help and -h: usage on stdout, exit 0" {
	run --separate-stderr patience --help
	assert_status 0
	assert_eq "$stderr" ""
	assert_contains "${lines[0]}" "usage: patience"
	local s
	for s in "fixed|fix" "linear|lin" "exponential|exp" "jitter|jit" \
		"decorrelated-jitter|dj" "fibonacci|fib" "polynomial|poly" "diophantine|dio"; do
		assert_contains "$output" "$s"
	done
	for s in --attempts --timeout --kill-after --deadline --success-pattern --failure-pattern \
		--case-insensitive --retry-on --fallback --replay-stdin --quiet --verbose --json \
		--seed --idempotency-key --dry-run --config --debug-config --help --version; do
		assert_contains "$output" "$s"
	done
	assert_contains "$output" "PATIENCE_ATTEMPT"
	local full=$output
	run --separate-stderr patience -h
	assert_status 0
	assert_eq "$output" "$full"
}

@test "--help wins over a command and does not run it" {
	run --separate-stderr patience --help -- touch ran
	assert_status 0
	[[ ! -e ran ]]
}

@test "STRATEGY --help: that strategy's options on stdout, exit 0" {
	run --separate-stderr patience fixed --help
	assert_status 0
	assert_eq "$stderr" ""
	assert_contains "${lines[0]}" "usage: patience fixed"
	assert_contains "$output" "--delay"
	refute_contains "$output" "--base-delay"
	refute_contains "$output" "--multiplier"

	run --separate-stderr patience exp --help
	assert_status 0
	assert_contains "${lines[0]}" "usage: patience exponential"
	assert_contains "$output" "--base-delay"
	assert_contains "$output" "--multiplier"
	assert_contains "$output" "--max-delay"
	refute_contains "$output" "--delay DUR"
	refute_contains "$output" "--jitter"

	run --separate-stderr patience lin --help
	assert_status 0
	assert_contains "$output" "--increment"
	assert_contains "$output" "--max-delay"

	run --separate-stderr patience jitter --help
	assert_status 0
	assert_contains "$output" "--jitter"

	run --separate-stderr patience dj --help
	assert_status 0
	assert_contains "${lines[0]}" "usage: patience decorrelated-jitter"
	assert_contains "$output" "--multiplier"

	run --separate-stderr patience fib --help
	assert_status 0
	assert_contains "${lines[0]}" "usage: patience fibonacci"
	refute_contains "$output" "--multiplier"

	run --separate-stderr patience poly --help
	assert_status 0
	assert_contains "$output" "--exponent"

	run --separate-stderr patience dio --help
	assert_status 0
	assert_contains "${lines[0]}" "usage: patience diophantine"
	assert_contains "$output" "--rate-limit"
	assert_contains "$output" "--window"
	assert_contains "$output" "--retry-offsets"
	assert_contains "$output" "--guard"
}

@test "--version and -V print the version on stdout, exit 0" {
	run --separate-stderr patience --version
	assert_status 0
	assert_eq "$stderr" ""
	[[ $output =~ ^patience\ [0-9]+\.[0-9]+\.[0-9]+ ]]
	local v=$output
	run --separate-stderr patience -V
	assert_status 0
	assert_eq "$output" "$v"
}

@test "no command: 125 with a hint about --" {
	run --separate-stderr patience
	assert_status 125
	assert_eq "$output" ""
	assert_contains "$stderr" "no command"
	assert_contains "$stderr" "--"
	run --separate-stderr patience fixed -d 1s
	assert_status 125
	assert_contains "$stderr" "no command"
	run --separate-stderr patience exp -a 2 --
	assert_status 125
	assert_contains "$stderr" "no command"
}

@test "unknown strategy: 125 naming it and listing the strategies" {
	run --separate-stderr patience nosuch -- touch ran
	assert_status 125
	assert_eq "$output" ""
	assert_contains "$stderr" '"nosuch"'
	assert_contains "$stderr" "exponential"
	[[ ! -e ran ]]
	run --separate-stderr patience nosuch --help
	assert_status 125
}

@test "unknown option: 125 naming it" {
	run --separate-stderr patience --bogus -- touch ran
	assert_status 125
	assert_eq "$output" ""
	assert_contains "$stderr" "--bogus"
	[[ ! -e ran ]]
	run --separate-stderr patience fixed -Z -- true
	assert_status 125
	assert_contains "$stderr" "-Z"
	run --separate-stderr patience --help --bogus
	assert_status 125
}

@test "an option without its value: 125 naming it" {
	run --separate-stderr patience -a
	assert_status 125
	assert_contains "$stderr" "-a"
	assert_contains "$stderr" "value"
	run --separate-stderr patience fixed --delay
	assert_status 125
	assert_contains "$stderr" "--delay"
}

@test "options after the command belong to the command" {
	run --separate-stderr patience -q -a 1 -- echo -a 5 --bogus
	assert_status 0
	assert_eq "$output" "-a 5 --bogus"
	# without --, the first non-option starts the command too
	run --separate-stderr patience fixed -q -a 1 echo -d x
	assert_status 0
	assert_eq "$output" "-d x"
}

@test "usage errors print nothing on stdout and run nothing" {
	local args
	for args in "-a 0" "-d 5x" "-t nope" "--retry-on x" "--jitter full" "--seed x" "-x 0"; do
		# shellcheck disable=SC2086
		run --separate-stderr patience fixed $args -- touch ran
		assert_status 125
		assert_eq "$output" ""
		[[ -n $stderr ]]
		[[ ! -e ran ]]
	done
}
