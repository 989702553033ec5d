#!/usr/bin/env bats
# The diophantine strategy: -r N starts per -w W, attempts at t0 + o_i.

load helpers

# Each attempt appends its start time (ns) to ts and fails.
STAMP='date +%s%N >> ts; exit 1'

# gaps_ms: differences between consecutive lines of ts, in ms.
gaps_ms() {
	awk 'NR > 1 { printf "%d\n", ($1 - prev) / 1000000 } { prev = $1 }' ts
}

@test "missing -r or -w: 125 saying what is needed" {
	run --separate-stderr patience dio -w 1s -o 0,1s -- touch ran
	assert_status 125
	assert_contains "$stderr" "--rate-limit"
	assert_contains "$stderr" "--window"
	[[ ! -e ran ]]
	run --separate-stderr patience diophantine -r 2 -o 0,1s -- touch ran
	assert_status 125
	assert_contains "$stderr" "--window"
	[[ ! -e ran ]]
	run --separate-stderr patience dio -- true
	assert_status 125
}

@test "bad -r, -w, -o values: 125 naming the option" {
	run --separate-stderr patience dio -r 0 -w 1s -- true
	assert_status 125
	assert_contains "$stderr" "--rate-limit"
	run --separate-stderr patience dio -r x -w 1s -- true
	assert_status 125
	assert_contains "$stderr" "--rate-limit"
	run --separate-stderr patience dio -r 2 -w 0 -- true
	assert_status 125
	assert_contains "$stderr" "--window"
	run --separate-stderr patience dio -r 2 -w 5x -- true
	assert_status 125
	assert_contains "$stderr" "--window"
	run --separate-stderr patience dio -r 2 -w 1s -o 0,abc -- true
	assert_status 125
	assert_contains "$stderr" "--retry-offsets"
	assert_contains "$stderr" "0,abc"
}

@test "offsets must increase" {
	run --separate-stderr patience dio -r 2 -w 1s -o 100ms,0 -- touch ran
	assert_status 125
	assert_contains "$stderr" "--retry-offsets"
	[[ ! -e ran ]]
	run --separate-stderr patience dio -r 5 -w 1s -o 0,100ms,100ms -- true
	assert_status 125
}

@test "infeasible offsets: 125 saying they can never fit" {
	run --separate-stderr patience dio -r 2 -w 1s -o 0,100ms,200ms -- touch ran
	assert_status 125
	assert_contains "$stderr" "can never fit"
	assert_contains "$stderr" "0,100ms,200ms"
	[[ ! -e ran ]]
	# --dry-run checks it too
	run --separate-stderr patience dio -r 2 -w 1s -o 0,100ms,200ms --dry-run
	assert_status 125
	assert_contains "$stderr" "can never fit"
}

@test "the guard time counts: offsets exactly W apart need --guard 0" {
	run --separate-stderr patience dio -r 1 -w 100ms -o 0,100ms --guard 0 --dry-run
	assert_status 0
	run --separate-stderr patience dio -r 1 -w 100ms -o 0,100ms --dry-run
	assert_status 125
	assert_contains "$stderr" "can never fit"
	run --separate-stderr patience dio -r 1 -w 100ms -o 0,50ms --guard 0 --dry-run
	assert_status 125
	run --separate-stderr patience dio -r 1 -w 100ms -o 0,200ms --dry-run
	assert_status 0
}

@test "--dry-run shows the attempts at +o_i" {
	run --separate-stderr patience dio -r 2 -w 500ms -o 0,100ms,700ms --dry-run
	assert_status 0
	assert_contains "${lines[0]}" "at most 2 starts per 500ms"
	assert_contains "${lines[0]}" "3 attempts"
	assert_eq "$(starts_ms | tr '\n' ' ')" "0 100 700 "
}

@test "-a larger than the number of offsets: 125" {
	run --separate-stderr patience dio -r 3 -w 1s -o 0,100ms,200ms -a 5 -- touch ran
	assert_status 125
	assert_contains "$stderr" "--attempts 5"
	assert_contains "$stderr" "--retry-offsets"
	[[ ! -e ran ]]
}

@test "attempts default to the number of offsets; -a takes the first ones" {
	run --separate-stderr patience dio -q -r 3 -w 1s -o 0,50ms,100ms -- \
		sh -c 'echo "$PATIENCE_ATTEMPT/$PATIENCE_MAX_ATTEMPTS"; exit 1'
	assert_status 1
	assert_eq "$output" $'1/3\n2/3\n3/3'
	run --separate-stderr patience dio -q -r 3 -w 1s -o 0,50ms,100ms -a 2 -- \
		sh -c 'echo "$PATIENCE_ATTEMPT/$PATIENCE_MAX_ATTEMPTS"; exit 1'
	assert_status 1
	assert_eq "$output" $'1/2\n2/2'
}

@test "the default offsets are 0,10m,30m: a first-time success does not wait" {
	run --separate-stderr patience dio -r 2 -w 1s -- true
	assert_status 0
	assert_contains "$stderr" "Attempt 1/3 starting..."
}

@test "attempts start at t0 + o_i" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr patience dio -r 3 -w 1s -o 0,150ms,400ms -- sh -c "$STAMP"
	t1=$(now_ms)
	assert_status 1
	assert_eq "$(wc -l <ts)" 3
	local -a gap
	mapfile -t gap < <(gaps_ms)
	# o_1 - o_0 = 150ms, o_2 - o_1 = 250ms (a little slack for process start-up)
	assert_between "${gap[0]}" 135 1500
	assert_between "${gap[1]}" 235 1500
	assert_between $((t1 - t0)) 390 5000
}

@test "no window of W holds more than N of the run's starts" {
	# 2 per 300ms: o_i and o_{i+2} are at least W + guard apart
	run --separate-stderr patience dio -r 2 -w 300ms -o 0,50ms,350ms,400ms -- sh -c "$STAMP"
	assert_status 1
	assert_eq "$(wc -l <ts)" 4
	local -a t
	mapfile -t t <ts
	local i
	for ((i = 0; i + 2 < ${#t[@]}; i++)); do
		assert_between $(((t[i + 2] - t[i]) / 1000000)) 300 5000
	done
}

@test "success stops early: later offsets are not used" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr patience dio -r 3 -w 1s -o 0,100ms,30s -- fail_then_succeed 1
	t1=$(now_ms)
	assert_status 0
	assert_eq "$(calls)" 2
	assert_between $((t1 - t0)) 90 5000
}

@test "--json names the strategy and the --resource-id" {
	run --separate-stderr patience dio --json -q -r 3 -w 1s -o 0,100ms --resource-id api:external:example.com -- true
	assert_status 0
	assert_eq "$(json_field 'j["strategy"]')" diophantine
	assert_eq "$(json_field 'j["resource_id"]')" api:external:example.com
	assert_eq "$(json_field 'j["max_attempts"]')" 2
}

@test "a rate limit needs -r and -w together; --guard and --priority need a limit" {
	run --separate-stderr patience fixed -w 1s -- true
	assert_status 125
	assert_contains "$stderr" "--rate-limit N and --window DUR"
	run --separate-stderr patience fixed -r 3 -- true
	assert_status 125
	assert_contains "$stderr" "--rate-limit N and --window DUR"
	run --separate-stderr patience exp --guard 10ms -- true
	assert_status 125
	assert_contains "$stderr" "--guard needs a rate limit"
	run --separate-stderr patience exp --priority high -- true
	assert_status 125
	assert_contains "$stderr" "--priority needs a rate limit"
}

@test "diophantine's own options do not apply to other strategies and vice versa" {
	run --separate-stderr patience fixed -o 0,1s -- true
	assert_status 125
	assert_contains "$stderr" "--retry-offsets"
	run --separate-stderr patience dio -r 2 -w 1s -b 1s -- true
	assert_status 125
	assert_contains "$stderr" "--base-delay"
	run --separate-stderr patience dio -r 2 -w 1s -d 1s -- true
	assert_status 125
	assert_contains "$stderr" "--delay"
}

@test "diophantine honours --timeout and signals like the others" {
	run --separate-stderr patience dio -r 3 -w 1s -o 0,100ms -t 150ms -- sleep 30
	assert_status 124
	assert_contains "$stderr" "Attempt 2/2 starting"
	patience_bg dio -r 3 -w 1s -o 0,30s -- sh -c 'echo x >> tries; exit 1'
	wait_for_lines tries 1
	sleep 0.1
	kill -TERM "$BG"
	wait_bg
	assert_eq "$BG_RC" 143
	assert_eq "$(wc -l <tries)" 1
}
