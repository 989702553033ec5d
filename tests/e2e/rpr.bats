#!/usr/bin/env bats
# rpr with real commands: modes, stop conditions, skipped ticks, exports,
# exit codes, and composition with patience.

load helpers

rpr() { "$PT_BIN/rpr" "$@"; }

# json_runs FILE EXPR: a Python expression over the export j, printed.
json_export() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2"
}

@test "count: --times runs back to back, statistics on stderr, output untouched" {
	run --separate-stderr rpr count -t 3 -- echo hello
	assert_status 0
	assert_eq "$output" "$(printf 'hello\nhello\nhello')"
	assert_contains "$stderr" "rpr: 3 runs: 3 succeeded, 0 failed (100.0% success)"
	assert_contains "$stderr" "Time (mean ± σ):"
	assert_contains "$stderr" "Range (min … max):"
}

@test "a failed run makes the exit status 1; --quiet drops the statistics" {
	run --separate-stderr rpr count -t 4 -q -- exit_with 0 3 0 0
	assert_status 1
	assert_eq "$stderr" ""
	assert_eq "$(calls)" 4
}

@test "interval: ticks at t0 + k * every, no drift" {
	run --separate-stderr rpr interval -e 100ms -t 10 --export-json runs.json -- true
	assert_status 0
	# every start within 25 ms of its tick (sanitizer builds are slower), from the first
	run json_export runs.json 'max(abs(r["start_ms"] - j["runs"][0]["start_ms"] - 100 * i) for i, r in enumerate(j["runs"]))'
	(( output <= 25 ))
	assert_eq "$(json_export runs.json 'j["summary"]["runs"]')" 10
}

@test "a run longer than its interval skips the ticks it covered, and says so" {
	run --separate-stderr rpr interval -e 100ms -t 3 -v -- sleep 0.25
	assert_status 0
	assert_contains "$stderr" "the last run outlasted its interval: 2 ticks skipped"
	assert_contains "$stderr" "3 runs: 3 succeeded, 0 failed (100.0% success); 4 ticks skipped"
}

@test "duration: no run starts after --for" {
	local t0
	t0=$(now_ms)
	run --separate-stderr rpr duration -f 500ms -e 100ms -- true
	assert_status 0
	assert_contains "$stderr" "rpr: 5 runs"
	(($(now_ms) - t0 < 1500))
}

@test "--until-success, --until-failure and --max-failures stop the series" {
	# the success waited for ends it with 0, as `until cmd; do ...; done`
	run --separate-stderr rpr count -t 10 --until-success -- fail_then_succeed 2
	assert_status 0
	assert_eq "$(calls)" 3
	assert_contains "$stderr" "3 runs: 1 succeeded, 2 failed"
	rm -f "$COUNTER"
	run --separate-stderr rpr count -t 2 --until-success -- fail_then_succeed 5
	assert_status 1 # never met
	rm -f "$COUNTER"
	run --separate-stderr rpr count -t 10 --until-pattern 'attempt 2' -- fail_then_succeed 1
	assert_status 0
	assert_eq "$(calls)" 2
	rm -f "$COUNTER"
	run --separate-stderr rpr count -t 10 --until-failure -- exit_with 0 0 5 0
	assert_status 1
	assert_eq "$(calls)" 3
	rm -f "$COUNTER"
	run --separate-stderr rpr count -t 10 --max-failures 2 -- exit_with 1 0 1 0
	assert_status 1
	assert_eq "$(calls)" 3
	assert_contains "$stderr" "3 runs: 1 succeeded, 2 failed"
}

@test "exports: JSON and CSV with one record per run" {
	run --separate-stderr rpr count -t 3 --export-json r.json --export-csv r.csv -- exit_with 0 2 0
	assert_status 1
	assert_eq "$(json_export r.json '[r["exit_code"] for r in j["runs"]]')" "[0, 2, 0]"
	assert_eq "$(json_export r.json 'j["summary"]["failed"]')" 1
	assert_eq "$(head -n 1 r.csv)" "run,start_ms,duration_ms,exit_code,timed_out"
	assert_eq "$(wc -l <r.csv)" 4
	assert_eq "$(cut -d, -f1,4,5 r.csv | tail -n 3 | tr '\n' ' ')" "1,0,false 2,2,false 3,0,false "
}

@test "--timeout ends a run (124, timed out) and the series goes on" {
	run --separate-stderr rpr count -t 2 --timeout 100ms --export-csv r.csv -- sleep 5
	assert_status 1
	assert_eq "$(cut -d, -f4,5 r.csv | tail -n 2 | tr '\n' ' ')" "124,true 124,true "
}

@test "--stats-only discards the command's output" {
	run --separate-stderr rpr count -t 2 --stats-only -- sh -c 'echo out; echo err >&2'
	assert_status 0
	assert_eq "$output" ""
	refute_contains "$stderr" "err"
	assert_contains "$stderr" "2 runs: 2 succeeded"
}

@test "SIGINT ends rpr with 130 after the running command got it" {
	"$PT_BIN/rpr" interval -e 10s -- sh -c 'trap "echo got-int >> marker; exit 1" INT; echo $$ >> pids; sleep 30 & wait' \
		>"$T/rpr.out" 2>"$T/rpr.err" 3>&- &
	local pid=$!
	wait_for_lines pids 1
	kill -INT "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_eq "$rc" 130
	wait_for_lines marker 1 2
	assert_contains "$(cat "$T/rpr.err")" "1 run: 0 succeeded, 1 failed"
}

@test "usage errors: exit 2 with the bad value named" {
	run --separate-stderr rpr
	assert_status 2
	assert_contains "$stderr" "no mode given"
	run --separate-stderr rpr -e 1s interval -- true
	assert_status 2
	assert_contains "$stderr" "the mode comes first"
	run --separate-stderr rpr sometimes -- true
	assert_status 2
	assert_contains "$stderr" 'unknown mode "sometimes"'
	run --separate-stderr rpr interval -- true
	assert_status 2
	assert_contains "$stderr" "interval needs --every"
	run --separate-stderr rpr count -t lots -- true
	assert_status 2
	assert_contains "$stderr" '--times: invalid value "lots"'
	run --separate-stderr rpr interval -e 1s --bogus -- true
	assert_status 2
	assert_contains "$stderr" 'unknown option "--bogus"'
	run --separate-stderr rpr count -t 1
	assert_status 2
	assert_contains "$stderr" "no command given"
	run --separate-stderr rpr count -t 1 --export-json /nonexistent/dir/x.json -- true
	assert_status 2
	assert_contains "$stderr" 'cannot write "/nonexistent/dir/x.json"'
	run --separate-stderr rpr count -t 1 -- no-such-command-here
	assert_status 2
	assert_contains "$stderr" 'cannot run "no-such-command-here"'
	run rpr --help
	assert_status 0
	assert_contains "$output" "usage: rpr MODE"
	run rpr --version
	assert_status 0
	assert_contains "$output" "rpr "
}

@test "rpr composes with patience" {
	run --separate-stderr rpr count -t 2 -- "$PT_BIN/patience" fixed -a 3 -d 10ms -- fail_then_succeed 1
	assert_status 0
	assert_eq "$(calls)" 3
	assert_contains "$stderr" "2 runs: 2 succeeded"
}

@test "cron: runs at the schedule's minute, in --tz, without passing TZ on" {
	run --separate-stderr rpr cron --cron '* * * * *' --tz Asia/Tokyo -t 1 --export-json c.json -- sh -c 'echo "TZ=${TZ:-unset}"'
	assert_status 0
	assert_eq "$output" "TZ=unset"
	# on a whole minute, less than a second late
	run json_export c.json 'j["runs"][0]["start_ms"] % 60000'
	(( output < 1000 ))
	run --separate-stderr rpr cron --cron '61 * * * *' -- true
	assert_status 2
	assert_contains "$stderr" 'field 1 (minute): invalid value "61"'
	run --separate-stderr rpr cron --cron '* * * * *' --tz Mars/Base -- true
	assert_status 2
	assert_contains "$stderr" 'unknown time zone "Mars/Base"'
	run --separate-stderr rpr cron --cron '0 0 30 2 *' -- true
	assert_status 2
	assert_contains "$stderr" "no time in the next 9 years"
	run --separate-stderr rpr interval -e 1s --cron '* * * * *' -- true
	assert_status 2
	assert_contains "$stderr" "--cron goes with the cron mode"
	run --separate-stderr rpr interval -e 1s --tz UTC -- true
	assert_status 2
	assert_contains "$stderr" "--tz goes with the cron mode"
}

@test "--until-pattern stops after the run whose output matches" {
	run --separate-stderr rpr count -t 10 --until-pattern '^attempt 3$' -- fail_then_succeed 0
	assert_status 0
	assert_eq "$(calls)" 3
	assert_contains "$stderr" "3 runs"
	run --separate-stderr rpr count -t 2 --until-pattern '(' -- true
	assert_status 2
	assert_contains "$stderr" "--until-pattern:"
}

@test "--overlap queue runs the covered ticks late instead of skipping them" {
	local t0
	t0=$(now_ms)
	run --separate-stderr rpr interval -e 100ms -t 4 --overlap queue --export-csv q.csv -- sleep 0.25
	assert_status 0
	refute_contains "$stderr" "skipped"
	# back to back: four runs of 250 ms take about 1 s, not 1.3 s
	(($(now_ms) - t0 < 1250))
	run --separate-stderr rpr interval -e 1s --overlap sometimes -- true
	assert_status 2
	assert_contains "$stderr" '--overlap: invalid value "sometimes": expected skip, queue or parallel'
}

@test "rate-limit: back to back, never more than N starts in a window" {
	export LOG="$T/starts.log"
	run --separate-stderr rpr rate-limit -r 5/500ms -t 12 -- "$PT_BIN/stamp"
	assert_status 1 # stamp fails on purpose
	assert_contains "$stderr" "12 runs"
	run "$PT_BIN/window_check" 5 500 "$LOG"
	assert_status 0
	assert_contains "$output" "starts 12,"
	run --separate-stderr rpr rate-limit -- true
	assert_status 2
	assert_contains "$stderr" "rate-limit needs --rate N/W"
	run --separate-stderr rpr rate-limit -r fast -- true
	assert_status 2
	assert_contains "$stderr" '--rate: invalid value "fast"'
}

@test "adaptive: failures double the interval, successes take a tenth of --every off" {
	run --separate-stderr rpr adaptive -e 100ms -t 4 --export-csv a.csv -- exit_with 1 1 0 0
	assert_status 1
	# starts 200, 400 and 390 ms apart (within 40 ms after, 5 ms before: each
	# run logs its start a little after its tick)
	run python3 -c 'import csv, sys
rows = list(csv.DictReader(open("a.csv")))
t = [int(r["start_ms"]) for r in rows]
print(" ".join(str(b - a) for a, b in zip(t, t[1:])))'
	local want=(200 400 390) got i
	read -ra got <<<"$output"
	for i in 0 1 2; do
		((got[i] >= want[i] - 5 && got[i] <= want[i] + 40)) || { echo "gaps: $output" >&2; false; }
	done
	run --separate-stderr rpr adaptive -- true
	assert_status 2
	assert_contains "$stderr" "adaptive needs --every"
	run --separate-stderr rpr adaptive -e 1s --min-interval 2s --max-interval 1s -- true
	assert_status 2
	assert_contains "$stderr" "--min-interval is above --max-interval"
}

@test "--output-prefix puts the run's number and time before every line, on both streams" {
	run --separate-stderr rpr count -t 2 -q -o '[{run}] ' -- sh -c 'echo out; echo err >&2'
	assert_status 0
	assert_eq "$output" "$(printf '[1] out\n[2] out')"
	assert_eq "$stderr" "$(printf '[1] err\n[2] err')"
	run --separate-stderr rpr count -t 1 -o '{date}T{time} ' -- echo x
	[[ $output =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\ x$ ]]
	run --separate-stderr rpr count -t 1 -o '{when} ' -- true
	assert_status 2
	assert_contains "$stderr" 'unknown placeholder "{when}"'
}

@test "on a terminal, a status line while waiting, erased before the next run" {
	command -v tmux >/dev/null || skip "tmux not installed"
	local sock="rpr-test-$$"
	tmux -L "$sock" new-session -d -x 100 -y 10 \
		"$PT_BIN/rpr interval -e 1500ms -t 2 -- echo ran; sleep 5"
	sleep 0.8
	local screen
	screen=$(tmux -L "$sock" capture-pane -p)
	sleep 1.2
	local after
	after=$(tmux -L "$sock" capture-pane -p)
	tmux -L "$sock" kill-server
	assert_contains "$screen" "rpr: 1 run, 1 ok, 0 failed; next in"
	refute_contains "$after" "next in"
	assert_contains "$after" "2 runs: 2 succeeded"
}

@test "settings: [repeater] in the config file, RPR_* then PATIENCE_* variables" {
	printf '[repeater]\ndefault_interval = "50ms"\ncontinue_on_error = false\n' >.patience.toml
	run --separate-stderr rpr interval -t 5 -- exit_with 0 0 3 0
	assert_status 1
	assert_eq "$(calls)" 3 # stopped at the first failure
	rm -f "$COUNTER"
	run --separate-stderr rpr interval -t 2 --until-success -- exit_with 1 0
	assert_status 0
	assert_eq "$(calls)" 2 # --until-success wins over continue_on_error
	rm .patience.toml
	PATIENCE_TIMEOUT=100ms run --separate-stderr rpr count -t 1 --export-csv t.csv -- sleep 5
	assert_eq "$(tail -n 1 t.csv | cut -d, -f4,5)" "124,true"
	RPR_QUIET=true PATIENCE_QUIET=false run --separate-stderr rpr count -t 1 -- true
	assert_eq "$stderr" ""
	printf '[repeater]\ndefault_intervl = "1s"\n' >bad.toml
	run --separate-stderr rpr count -t 1 --config bad.toml -- true
	assert_status 2
	assert_contains "$stderr" 'bad.toml:2: unknown key "repeater.default_intervl"'
}

@test "--overlap parallel starts a run at every tick while others still run" {
	run --separate-stderr rpr interval -e 100ms -t 5 --overlap parallel --export-json p.json -- sleep 0.3
	assert_status 0
	assert_contains "$stderr" "5 runs: 5 succeeded"
	# five starts 100 ms apart (each run lasts 300 ms)
	run json_export p.json 'max(r["start_ms"] for r in j["runs"]) - min(r["start_ms"] for r in j["runs"])'
	((output >= 380 && output <= 480))
	run --separate-stderr rpr adaptive -e 1s --overlap parallel -- true
	assert_status 2
	assert_contains "$stderr" "--overlap parallel needs the fixed ticks of --every"
}

@test "--overlap parallel: SIGINT reaches every running run, then rpr exits 130" {
	"$PT_BIN/rpr" interval -e 100ms --overlap parallel -- sh -c 'echo $$ >> pids; sleep 30 & wait' \
		>"$T/rpr.out" 2>"$T/rpr.err" 3>&- &
	local pid=$!
	wait_for_lines pids 3
	kill -INT "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_eq "$rc" 130
	pids_gone pids
}
