#!/usr/bin/env bats
# Executions: runs reported to patience-daemon over its socket (executed),
# counted per tool, read back by the metrics op, patience daemon status
# [RESOURCE], /api/v1/resources and /metrics (checked by promtool), and
# kept by a daemon restarted on the same state file.

load helpers

setup() {
	common_setup
	metrics_setup
	STATE="$XDG_STATE_HOME/patience/state.db"
}

teardown() {
	common_teardown
	kill_daemon
}

# report TOOL OUTCOME DURATION_MS [RESOURCE]: one run that started three
# seconds ago, reported on a connection that said hello as "TOOL 0.1.0"
# ("-": no hello, no tool field: counted as other). Prints the last reply.
report() {
	local lines=() started=$(($(now_ms) - 3000)) code=0
	[[ $2 == failure ]] && code=3
	[[ $1 != - ]] && lines+=("{\"v\":1,\"op\":\"hello\",\"client\":\"$1 0.1.0\"}")
	lines+=("{\"v\":1,\"op\":\"executed\",\"resource\":\"${4:-test:exec}\",\"started_ms\":$started,\"duration_ms\":$3,\"exit_code\":$code,\"outcome\":\"$2\"}")
	printf '%s\n' "${lines[@]}" | socat -t 2 - "UNIX-CONNECT:$SOCK" | tail -n 1
}

# json EXPR...: the EXPRs of the JSON on stdin (python3, the document as
# d), printed as print() does: separated by spaces.
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print($1)"; }

# some_runs: rpr 2 ok and 1 failed, patience 1 ok, one without a tool, on
# test:exec (limit 10 per minute), and one rpr run on test:bare (no limit).
some_runs() {
	run ask '{"v":1,"op":"set_limit","resource":"test:exec","limit":10,"window_ms":60000}'
	assert_contains "$output" '"ok":true'
	assert_eq "$(report rpr success 100)" '{"ok":true,"tool":"rpr"}'
	report rpr success 300 >/dev/null
	report rpr failure 2000 >/dev/null
	report patience success 50 >/dev/null
	assert_eq "$(report - success 10)" '{"ok":true,"tool":"other"}'
	report rpr success 5 test:bare >/dev/null
}

@test "executed counts each run per tool; the metrics op sums a range" {
	start_daemon --metrics-listen "127.0.0.1:$PORT"
	some_runs
	ask '{"v":1,"op":"metrics","resource":"test:exec"}' >"$T/m.json"
	[[ $(json 'd["summary"]["total"], d["summary"]["failed"]' <"$T/m.json") == "5 1" ]]
	[[ $(json 'd["tools"]["rpr"]["total"], d["tools"]["rpr"]["mean_duration_ms"]' <"$T/m.json") == "3 800" ]]
	[[ $(json 'd["tools"]["patience"]["success_rate"], d["tools"]["other"]["total"]' <"$T/m.json") == "1 1" ]]
	r=$(json 'd["resources"][0]["limit_usage"]' <"$T/m.json")
	[[ $r == *"'limit': 10, 'window_ms': 60000, 'fullest_window_starts': 5"* ]]
	# every resource, and a range that holds none of them
	[[ $(ask '{"v":1,"op":"metrics"}' | json 'd["summary"]["total"], len(d["resources"])') == "6 2" ]]
	[[ $(ask '{"v":1,"op":"metrics","from_ms":1,"to_ms":2}' | json 'd["summary"]["total"]') == 0 ]]
	run ask '{"v":1,"op":"metrics","from_ms":2,"to_ms":1}'
	assert_contains "$output" '"code":"bad_request"'
}

@test "bad reports are refused, naming the field; the daemon carries on" {
	start_daemon
	run ask '{"v":1,"op":"executed","resource":"r","started_ms":1,"duration_ms":1,"exit_code":0,"outcome":"maybe"}'
	assert_contains "$output" '"code":"bad_request","message":"field \"outcome\": expected \"success\" or \"failure\""'
	run ask '{"v":1,"op":"executed","resource":"r","tool":"no spaces","started_ms":1,"duration_ms":1,"exit_code":0,"outcome":"success"}'
	assert_contains "$output" 'field \"tool\"'
	run ask '{"v":1,"op":"executed","resource":"r","started_ms":1,"duration_ms":1,"exit_code":300,"outcome":"success"}'
	assert_contains "$output" 'field \"exit_code\": expected an integer from 0 to 255'
	run ask "{\"v\":1,\"op\":\"executed\",\"resource\":\"r\",\"started_ms\":$(($(now_ms) + 60000)),\"duration_ms\":1,\"exit_code\":0,\"outcome\":\"success\"}"
	assert_contains "$output" 'field \"started_ms\"'
	run ask '{"v":1,"op":"executed","resource":"r"}'
	assert_contains "$output" 'missing field \"started_ms\"'
	[[ $(ask '{"v":1,"op":"metrics"}' | json 'd["summary"]["total"]') == 0 ]]
}

@test "patience daemon status shows runs per tool; status RESOURCE shows one in detail" {
	start_daemon
	some_runs
	run "$PT_BIN/patience" daemon status --daemon-socket "$SOCK"
	assert_status 0
	assert_contains "$output" "executions rpr 3 (1 failed, mean 800ms), patience 1 (0 failed, mean 50ms), other 1 (0 failed, mean 10ms); 0 active clients"
	assert_contains "$output" "test:bare"
	assert_contains "$output" "no rate limit"
	run "$PT_BIN/patience" daemon status test:exec --daemon-socket "$SOCK"
	assert_status 0
	assert_contains "$output" "test:exec (yours)"
	assert_contains "$output" "limit       10 per 1m (from set_limit)"
	assert_contains "$output" "executions  5 runs, 1 failed (80% success)"
	assert_contains "$output" "    rpr        3 runs, 1 failed (67% success), mean 800ms"
	assert_contains "$output" "fullest 1m window: 5 of 10 starts"
	run "$PT_BIN/patience" daemon status test:exec --json --daemon-socket "$SOCK"
	[[ $(json 'd["resource"]["executions"]["total"], d["metrics"]["summary"]["total"]' <<<"$output") == "5 5" ]]
	run "$PT_BIN/patience" daemon status test:none --daemon-socket "$SOCK"
	assert_status 1
	assert_contains "$output" 'no resource "test:none"'
}

@test "a connection that acquires or reports is an active client until it closes" {
	start_daemon
	coproc HOLDER { socat - "UNIX-CONNECT:$SOCK" 3>&-; }
	local reply
	echo '{"v":1,"op":"acquire","resource":"test:active","limit":5,"window_ms":60000}' >&"${HOLDER[1]}"
	read -r reply <&"${HOLDER[0]}"
	assert_contains "$reply" '"ok":true'
	report rpr success 1 test:active >/dev/null
	active() { ask '{"v":1,"op":"resources"}' | json '[r["executions"]["active_clients"] for r in d["resources"] if r["resource"] == "test:active"][0]'; }
	[[ $(active) == 1 ]] # the holder; the reporter has gone
	kill "$HOLDER_PID"
	wait "$HOLDER_PID" || true
	for ((i = 0; i < 50; i++)); do
		[[ $(active) == 0 ]] && break
		sleep 0.05
	done
	[[ $(active) == 0 ]]
}

@test "/api/v1/resources and /metrics show executions; promtool accepts them" {
	start_daemon --metrics-listen "127.0.0.1:$PORT"
	some_runs
	curl -s "$URL/api/v1/resources" >"$T/api.json"
	[[ $(json '[(r["uid"], r["executions"]["total"], r["executions"]["tools"]["rpr"]["failed"]) for r in d["resources"] if r["resource"] == "test:exec"][0]' <"$T/api.json") == "($(id -u), 5, 1)" ]]
	# a resource known only by its runs is listed too
	[[ $(json '[r["executions"]["total"] for r in d["resources"] if r["resource"] == "test:bare"][0]' <"$T/api.json") == 1 ]]
	curl -s "$URL/metrics" >"$T/metrics"
	local u
	u=$(id -u)
	grep -qx "patience_executions_total{resource=\"test:exec\",uid=\"$u\",tool=\"rpr\",outcome=\"success\"} 2" "$T/metrics"
	grep -qx "patience_executions_total{resource=\"test:exec\",uid=\"$u\",tool=\"rpr\",outcome=\"failure\"} 1" "$T/metrics"
	grep -qx "patience_executions_total{resource=\"test:exec\",uid=\"$u\",tool=\"other\",outcome=\"success\"} 1" "$T/metrics"
	grep -qx "patience_execution_active_clients{resource=\"test:exec\",uid=\"$u\"} 0" "$T/metrics"
	grep -qx 'patience_execution_duration_seconds_bucket{tool="rpr",le="0.01"} 1' "$T/metrics"
	grep -qx 'patience_execution_duration_seconds_bucket{tool="rpr",le="2.5"} 4' "$T/metrics"
	grep -qx 'patience_execution_duration_seconds_count{tool="rpr"} 4' "$T/metrics"
	grep -qx 'patience_execution_duration_seconds_sum{tool="rpr"} 2.405' "$T/metrics"
	grep -q '^# TYPE patience_execution_duration_seconds histogram$' "$T/metrics"
	run promtool check metrics <"$T/metrics"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "a daemon restarted on the same state file keeps the counts and the history" {
	start_daemon --metrics-listen "127.0.0.1:$PORT"
	some_runs
	ask '{"v":1,"op":"metrics"}' >"$T/before.json"
	kill_daemon # SIGKILL: what was answered was committed
	for ((i = 0; i < 100; i++)); do
		[[ -S $SOCK ]] || break
		"$PT_BIN/patience" daemon status --daemon-socket "$SOCK" >/dev/null 2>&1 || break
		sleep 0.05
	done
	start_daemon --metrics-listen "127.0.0.1:$PORT"
	ask '{"v":1,"op":"metrics"}' >"$T/after.json"
	[[ $(json 'd["summary"], d["tools"]' <"$T/after.json") == "$(json 'd["summary"], d["tools"]' <"$T/before.json")" ]]
	[[ $(json 'd["summary"]["total"]' <"$T/after.json") == 6 ]]
	curl -s "$URL/metrics" >"$T/metrics"
	grep -qx "patience_executions_total{resource=\"test:exec\",uid=\"$(id -u)\",tool=\"rpr\",outcome=\"success\"} 2" "$T/metrics"
	run "$PT_BIN/patience" daemon status test:exec --daemon-socket "$SOCK"
	assert_contains "$output" "executions  5 runs, 1 failed (80% success)"
	# and it counts on from there
	report rpr success 1 >/dev/null
	[[ $(ask '{"v":1,"op":"metrics","resource":"test:exec"}' | json 'd["tools"]["rpr"]["total"]') == 4 ]]
}

@test "another uid sees none of my executions, and counts its own apart" {
	[[ $(id -u) -eq 0 ]] || skip "needs root to run a client as nobody"
	command -v setpriv >/dev/null || skip "setpriv not installed"
	local dir
	dir=$(mktemp -d /tmp/pt-exec-tenancy.XXXXXX)
	chmod 755 "$dir"
	SOCK="$dir/d.sock"
	start_daemon --socket "$SOCK" --socket-mode 0666
	some_runs
	as_nobody() {
		printf '%s\n' "$1" | setpriv --reuid=nobody --regid=nogroup --clear-groups \
			socat -t 2 - "UNIX-CONNECT:$SOCK"
	}
	run as_nobody '{"v":1,"op":"metrics"}'
	[[ $(json 'd["summary"]["total"], d["resources"]' <<<"$output") == "0 []" ]]
	run as_nobody '{"v":1,"op":"resources"}'
	assert_eq "$output" '{"ok":true,"resources":[]}'
	run as_nobody "{\"v\":1,\"op\":\"executed\",\"resource\":\"test:exec\",\"tool\":\"rpr\",\"started_ms\":$(($(now_ms) - 1000)),\"duration_ms\":1,\"exit_code\":0,\"outcome\":\"failure\"}"
	assert_contains "$output" '"ok":true'
	[[ $(as_nobody '{"v":1,"op":"metrics"}' | json 'd["summary"]["total"]') == 1 ]]
	[[ $(ask '{"v":1,"op":"metrics","resource":"test:exec"}' | json 'd["summary"]["total"], d["summary"]["failed"]') == "5 1" ]]
	kill -TERM "$(cat "$dir/daemon.pid")"
	sleep 0.2
	rm -rf "$dir"
}
