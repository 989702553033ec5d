#!/usr/bin/env bats
# Backoff strategies, their aliases and options, seen through --dry-run and
# through real (short) runs.

load helpers

# dry_run ARGS...: run patience ARGS --dry-run, stdout/stderr separate.
dry_run() {
	run --separate-stderr "$PT_BIN/patience" "$@" --dry-run
}

@test "every strategy and its alias name the same strategy" {
	local pair long short
	for pair in fixed:fix linear:lin exponential:exp jitter:jit \
		decorrelated-jitter:dj fibonacci:fib polynomial:poly; do
		long=${pair%%:*} short=${pair##*:}
		dry_run "$long" -a 2
		assert_status 0
		assert_contains "${lines[0]}" "strategy: $long,"
		local expected=$output
		dry_run "$short" -a 2
		assert_status 0
		# jitter schedules are random without --seed: compare the header only
		assert_eq "${lines[0]}" "$(head -n 1 <<<"$expected")"
	done
	dry_run diophantine -r 3 -w 1s -o 0,100ms
	assert_status 0
	assert_contains "${lines[0]}" "strategy: diophantine,"
	dry_run dio -r 3 -w 1s -o 0,100ms
	assert_status 0
	assert_contains "${lines[0]}" "strategy: diophantine,"
}

@test "--dry-run prints the schedule on stdout, nothing on stderr, exit 0" {
	dry_run exp -b 1s -a 4
	assert_status 0
	assert_eq "$stderr" ""
	assert_contains "$output" "attempt 1: at +0s, then wait 1s"
	assert_contains "$output" "attempt 2: at +1s, then wait 2s"
	assert_contains "$output" "attempt 3: at +3s, then wait 4s"
	assert_contains "$output" "attempt 4: at +7s"
	refute_contains "$output" "attempt 5"
}

@test "--dry-run does not run the command" {
	run --separate-stderr patience fixed -d 10ms --dry-run -- touch "$T/ran"
	assert_status 0
	[[ ! -e $T/ran ]]
}

@test "exponential: base * 2^(n-1), -x changes the factor, -m caps" {
	dry_run exp -b 1s -a 4
	assert_eq "$(waits_ms | tr '\n' ' ')" "1000 2000 4000 "
	dry_run exponential -b 100ms -x 3 -a 4
	assert_status 0
	assert_eq "$(waits_ms | tr '\n' ' ')" "100 300 900 "
	dry_run exp -b 1s -a 6 -m 5s
	assert_status 0
	assert_eq "$(waits_ms | tr '\n' ' ')" "1000 2000 4000 5000 5000 "
	assert_contains "${lines[0]}" "max 5s"
}

@test "exponential is the default strategy" {
	dry_run -a 3
	assert_status 0
	assert_contains "${lines[0]}" "strategy: exponential"
	assert_eq "$(waits_ms | tr '\n' ' ')" "1000 2000 "
}

@test "fixed: the same delay every time (-d)" {
	dry_run fixed -d 2s -a 4
	assert_status 0
	assert_eq "$(waits_ms | tr '\n' ' ')" "2000 2000 2000 "
	assert_eq "$(starts_ms | tr '\n' ' ')" "0 2000 4000 6000 "
	dry_run fix -d 250ms -a 3
	assert_eq "$(waits_ms | tr '\n' ' ')" "250 250 "
}

@test "linear: n * increment (-i), capped by -m" {
	dry_run linear -i 1s -a 5
	assert_status 0
	assert_eq "$(waits_ms | tr '\n' ' ')" "1000 2000 3000 4000 "
	dry_run lin -i 1s -m 2500ms -a 5
	assert_status 0
	assert_eq "$(waits_ms | tr '\n' ' ')" "1000 2000 2500 2500 "
}

@test "fibonacci: base * 1, 1, 2, 3, 5, 8" {
	dry_run fibonacci -b 100ms -a 7
	assert_status 0
	assert_eq "$(waits_ms | tr '\n' ' ')" "100 100 200 300 500 800 "
	dry_run fib -b 1s -a 7 -m 4s
	assert_eq "$(waits_ms | tr '\n' ' ')" "1000 1000 2000 3000 4000 4000 "
}

@test "polynomial: base * n^e (-e), default exponent 2" {
	dry_run polynomial -b 100ms -a 4
	assert_status 0
	assert_eq "$(waits_ms | tr '\n' ' ')" "100 400 900 "
	dry_run poly -b 100ms -e 3 -a 4
	assert_status 0
	assert_eq "$(waits_ms | tr '\n' ' ')" "100 800 2700 "
	dry_run poly -b 1s -e 3 -a 5 -m 10s
	assert_eq "$(waits_ms | tr '\n' ' ')" "1000 8000 10000 10000 "
}

@test "jitter: the same --seed gives the same schedule, another seed another one" {
	dry_run jitter -b 1s -a 8 --seed 42
	assert_status 0
	local first=$output
	dry_run jit -b 1s -a 8 --seed 42
	assert_eq "$output" "$first"
	dry_run jitter -b 1s -a 8 --seed 43
	assert_status 0
	[[ $output != "$first" ]]
	assert_contains "$first" "seed 42"
}

@test "jitter without --seed says how to repeat the schedule" {
	dry_run jitter -a 3
	assert_status 0
	assert_contains "$output" "--seed"
}

@test "jitter (full): delay n lies in [0, base * 2^(n-1)), capped" {
	local seed n d
	for seed in 1 2 3 4 5 6 7 8; do
		dry_run jitter -b 100ms -a 7 -m 2s --seed "$seed"
		assert_status 0
		n=1
		while read -r d; do
			local cap=$((100 * (1 << (n - 1))))
			((cap > 2000)) && cap=2000
			assert_between "$d" 0 "$cap"
			n=$((n + 1))
		done < <(waits_ms)
		assert_eq "$n" 7
	done
}

@test "jitter --jitter equal: delay n lies in [d/2, d)" {
	local seed n d
	for seed in 1 2 3 4 5 6 7 8; do
		dry_run jitter --jitter equal -b 100ms -a 6 --seed "$seed"
		assert_status 0
		assert_contains "${lines[0]}" "equal jitter"
		n=1
		while read -r d; do
			local full=$((100 * (1 << (n - 1))))
			assert_between "$d" $((full / 2)) "$full"
			n=$((n + 1))
		done < <(waits_ms)
	done
}

@test "jitter --jitter equal and full differ for the same seed" {
	dry_run jitter --jitter equal -b 1s -a 6 --seed 7
	local equal=$output
	dry_run jitter --jitter full -b 1s -a 6 --seed 7
	assert_status 0
	[[ $output != "$equal" ]]
}

@test "decorrelated-jitter: delays in [base, previous * x], multiplier 3 by default" {
	local seed prev d
	for seed in 1 2 3 4 5 6; do
		dry_run dj -b 100ms -a 7 --seed "$seed"
		assert_status 0
		assert_contains "${lines[0]}" "multiplier 3"
		prev=100
		while read -r d; do
			assert_between "$d" 100 $((prev * 3))
			prev=$d
		done < <(waits_ms)
	done
}

@test "decorrelated-jitter -x changes the growth bound and is reproducible" {
	local prev d
	dry_run decorrelated-jitter -b 100ms -x 1.5 -a 7 --seed 9
	assert_status 0
	assert_contains "${lines[0]}" "multiplier 1.5"
	local first=$output
	prev=100
	while read -r d; do
		assert_between "$d" 100 $((prev * 3 / 2 + 1))
		prev=$d
	done < <(waits_ms)
	dry_run dj -b 100ms -x 1.5 -a 7 --seed 9
	assert_eq "$output" "$first"
}

@test "durations: bare numbers are seconds, fractions and compound units work" {
	dry_run fixed -d 0.05 -a 2
	assert_eq "$(waits_ms)" "50"
	dry_run fixed -d 1.5s -a 2
	assert_eq "$(waits_ms)" "1500"
	dry_run fixed -d 1h30m -a 2
	assert_eq "$(waits_ms)" "5400000"
	dry_run fixed -d 250ms -a 2
	assert_eq "$(waits_ms)" "250"
}

@test "an option of another strategy is a usage error naming the option" {
	run --separate-stderr patience fixed -x 3 -- touch "$T/ran"
	assert_status 125
	assert_contains "$stderr" "--multiplier"
	assert_contains "$stderr" "fixed"
	[[ ! -e $T/ran ]]

	run --separate-stderr patience exp -d 2s -- true
	assert_status 125
	assert_contains "$stderr" "--delay"

	run --separate-stderr patience exp --jitter equal -- true
	assert_status 125
	assert_contains "$stderr" "--jitter"

	run --separate-stderr patience exp -e 3 -- true
	assert_status 125
	assert_contains "$stderr" "--exponent"

	run --separate-stderr patience fixed -m 3s -- true
	assert_status 125
	assert_contains "$stderr" "--max-delay"

	run --separate-stderr patience linear -b 1s -- true
	assert_status 125
	assert_contains "$stderr" "--base-delay"

	run --separate-stderr patience fib -x 2 -- true
	assert_status 125
	assert_contains "$stderr" "--multiplier"

	run --separate-stderr patience exp -r 3 -- true
	assert_status 125
	assert_contains "$stderr" "--rate-limit"

	run --separate-stderr patience poly -o 0,1s -- true
	assert_status 125
	assert_contains "$stderr" "--retry-offsets"
}

@test "bad strategy option values are usage errors" {
	run --separate-stderr patience jitter --jitter half -- true
	assert_status 125
	assert_contains "$stderr" "--jitter"
	assert_contains "$stderr" "half"

	run --separate-stderr patience jitter --seed abc -- true
	assert_status 125
	assert_contains "$stderr" "--seed"

	run --separate-stderr patience jitter --seed -1 -- true
	assert_status 125
	assert_contains "$stderr" "--seed"

	run --separate-stderr patience exp -x 0.5 -- true
	assert_status 125
	assert_contains "$stderr" "--multiplier"
}

@test "fixed: real run waits about -d between attempts" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr patience fixed -d 100ms -a 3 -- fail_then_succeed 10
	t1=$(now_ms)
	assert_status 1
	assert_eq "$(calls)" 3
	assert_between $((t1 - t0)) 200 5000
	assert_eq "$(grep -c 'Retrying in 100ms' <<<"$stderr")" 2
}

@test "exponential: real run waits base, 2*base, 4*base" {
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr patience exp -b 50ms -a 4 -- fail_then_succeed 10
	t1=$(now_ms)
	assert_status 1
	assert_eq "$(calls)" 4
	assert_between $((t1 - t0)) 350 5000
	assert_contains "$stderr" "Attempt 1/4 failed (exit code 1). Retrying in 50ms."
	assert_contains "$stderr" "Attempt 2/4 failed (exit code 1). Retrying in 100ms."
	assert_contains "$stderr" "Attempt 3/4 failed (exit code 1). Retrying in 200ms."
}

@test "jitter: a real run with --seed waits what the dry run announced" {
	dry_run jitter -b 50ms -a 3 --seed 5
	local -a want
	mapfile -t want < <(waits_ms)
	run --separate-stderr patience jitter -b 50ms -a 3 --seed 5 -- fail_then_succeed 10
	assert_status 1
	local -a got
	mapfile -t got < <(sed -n 's/.*Retrying in \([0-9.a-z]*\)\.$/\1/p' <<<"$stderr" |
		while read -r d; do to_ms "$d"; done)
	assert_eq "${#got[@]}" 2
	# the real delay is computed after the attempt, so it may be a ms shorter
	assert_between "${got[0]}" $((want[0] - 50)) "${want[0]}"
	assert_between "${got[1]}" $((want[1] - 50)) "${want[1]}"
}
