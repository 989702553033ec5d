#!/usr/bin/env bats
# --circuit-breaker: real patience processes on one resource through one
# daemon share one breaker. Every run of the command logs its start and end
# ($T/starts), so what ran when is seen from outside the breaker. Timings
# are asserted as orders and counts, with cooldowns of 1-2 s.

load helpers

RES=test:breaker

setup() {
	common_setup
	metrics_setup
	echo fail >"$T/mode"
	echo 0 >"$T/sleep"
	# brk_cmd: logs "start MS" and "end MS", sleeps $T/sleep seconds,
	# succeeds when $T/mode says ok.
	cat >"$T/bin/brk_cmd" <<'EOF'
#!/bin/sh
echo "$$" >>"$T/pids"
echo "start $(date +%s%3N)" >>"$T/starts"
s=$(cat "$T/sleep")
if [ "$s" != 0 ]; then
	sleep "$s" &
	echo "$!" >>"$T/pids"
	wait
fi
echo "end $(date +%s%3N)" >>"$T/starts"
[ "$(cat "$T/mode")" = ok ]
EOF
	chmod +x "$T/bin/brk_cmd"
	start_daemon --metrics-listen "127.0.0.1:$PORT"
}

teardown() {
	common_teardown # the clients first: one that lost its daemon would start another
	kill_daemon
}

BRK=(fixed -d 10ms --daemon --resource-id "$RES" --circuit-breaker)

# brk SPEC [ARGS...]: one patience run of brk_cmd on $RES through the daemon.
brk() { "$PT_BIN/patience" "${BRK[@]}" "$@" -- brk_cmd; }

# brk_bg SPEC [ARGS...]: the same in the background (patience itself, so
# that its pid, appended to $WAITERS, is patience's).
brk_bg() {
	"$PT_BIN/patience" "${BRK[@]}" "$@" -- brk_cmd >>"$T/bg.out" 2>>"$T/bg.err" 3>&- &
	BG_PIDS+=("$!")
	WAITERS+=("$!")
}

starts() { grep -c '^start' "$T/starts" 2>/dev/null || echo 0; }
# The times of the starts (or ends) from the Nth on, one a line.
times_from() { awk -v k="$1" -v n="$2" '$1 == k && ++i >= n { print $2 }' "$T/starts"; }
# The ms from the second end to the third start.
third_start_gap() { echo $(($(times_from start 3 | head -n 1) - $(times_from end 2 | head -n 1))); }
logged() { grep -c -- "$1" "$T/daemon.log" || true; }
metric() { curl -s "$URL/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
label() { printf 'resource="%s",uid="%s",%s' "$RES" "$(id -u)" "$1"; }

# wait_in FILE TEXT COUNT [SECONDS]: until FILE holds COUNT lines with TEXT.
wait_in() {
	local i n
	for ((i = 0; i < ${4:-10} * 20; i++)); do
		n=$(grep -c -- "$2" "$1" 2>/dev/null || true)
		((${n:-0} >= $3)) && return 0
		sleep 0.05
	done
	echo "$1 does not hold \"$2\" $3 times:" >&2
	cat "$1" >&2
	return 1
}
wait_log() { wait_in "$T/daemon.log" "$@"; }

@test "failures of one process open the breaker for all: --fail-fast exits 75 without running" {
	run brk failures=3,cooldown=60s -a 3
	[ "$status" -eq 1 ]
	[ "$(starts)" -eq 3 ]
	run brk failures=3,cooldown=60s -a 5 --fail-fast
	[ "$status" -eq 75 ]
	[[ $output == *"circuit open for resource $RES; not running the command (--fail-fast)"* ]]
	run brk failures=3,cooldown=60s -a 5 --fail-fast
	[ "$status" -eq 75 ]
	[ "$(starts)" -eq 3 ]
	grep -q "breaker \"$RES\": closed -> open (3 failures within 1m)" "$T/daemon.log"

	curl -s "$URL/metrics" >"$T/metrics"
	grep -qxF "patience_breaker_state{$(label 'state="open"')} 1" "$T/metrics"
	grep -qxF "patience_breaker_state{$(label 'state="closed"')} 0" "$T/metrics"
	grep -qxF "patience_breaker_transitions_total{$(label 'to="open"')} 1" "$T/metrics"
	run promtool check metrics <"$T/metrics"
	echo "$output"
	[ "$status" -eq 0 ]
	curl -s "$URL/api/v1/resources" | python3 -c '
import json, sys, time
doc = json.load(sys.stdin)
b = [r for r in doc["resources"] if r["resource"] == "test:breaker"][0]["breaker"]
assert b["state"] == "open" and b["failures"] == 3 and b["probes_in_flight"] == 0, b
assert b["open_until_ms"] > doc["now_ms"] + 50000, (b, doc["now_ms"])
'
}

@test "the first client's spec is the breaker's; later ones are told" {
	run brk failures=1,cooldown=60s -a 1
	run brk failures=9,cooldown=1s -a 1 --fail-fast
	[ "$status" -eq 75 ]
	[[ $output == *'the daemon'"'"'s circuit breaker for "test:breaker" is failures=1,window=1m,cooldown=1m,probes=1, which applies instead of failures=9,window=1m,cooldown=1s,probes=1'* ]]
}

@test "open: waiting processes run nothing until the cooldown; one probe's success closes it" {
	local t0 spec=failures=2,cooldown=2s
	t0=$(now_ms)
	run brk $spec -a 2
	[ "$status" -eq 1 ]
	echo ok >"$T/mode"
	echo 0.5 >"$T/sleep"
	WAITERS=()
	brk_bg $spec -a 1 -v
	brk_bg $spec -a 1
	brk_bg $spec -a 1
	local p
	for p in "${WAITERS[@]}"; do wait "$p"; done
	[ "$(starts)" -eq 5 ]
	# nothing started before the cooldown; the probe ended before the others began
	local first_end later
	first_end=$(times_from end 3 | head -n 1)
	times_from start 3 | awk -v t=$((t0 + 2000)) '$1 < t { early = 1 } END { exit early }'
	later=$(times_from start 4 | sort -n | head -n 1)
	((later >= first_end))
	[ "$(logged "breaker \"$RES\": open -> half_open")" -eq 1 ]
	[ "$(logged "breaker \"$RES\": half_open -> closed (a probe succeeded)")" -eq 1 ]
	grep -q "circuit open for resource $RES; waiting" "$T/bg.err"
	[[ $(metric "patience_breaker_state{$(label 'state="closed"')}") == 1 ]]
	[[ $(metric "patience_breaker_transitions_total{$(label 'to="closed"')}") == 1 ]]
}

@test "half-open: a failed probe opens it again; the probes run one at a time" {
	local spec=failures=1,cooldown=1s
	run brk $spec -a 1
	echo 0.3 >"$T/sleep"
	WAITERS=()
	brk_bg $spec -a 1
	brk_bg $spec -a 1
	local p
	for p in "${WAITERS[@]}"; do wait "$p" || true; done
	[ "$(starts)" -eq 3 ]
	# each probe began a cooldown after the one before it ended
	(($(third_start_gap) >= 1000))
	[ "$(logged "breaker \"$RES\": half_open -> open (a probe failed)")" -eq 2 ]
	[ "$(logged "breaker \"$RES\": open -> half_open")" -eq 2 ]
	[[ $(metric "patience_breaker_transitions_total{$(label 'to="open"')}") == 3 ]]
}

@test "a prober that dies gives its permit back at once" {
	local spec=failures=1,cooldown=1s
	run brk $spec -a 1
	echo ok >"$T/mode"
	echo 30 >"$T/sleep"
	WAITERS=()
	brk_bg $spec -a 1
	local prober=${WAITERS[0]}
	wait_for_lines "$T/starts" 3 # the prober's command runs
	echo 0 >"$T/sleep"
	brk_bg $spec -a 1
	sleep 1
	[ "$(starts)" -eq 2 ] # the second waits: the only permit is taken
	kill -KILL "$prober"
	wait "${WAITERS[1]}"
	[ "$(starts)" -eq 3 ]
	# at once: not after the dead prober's command (30 s) or a cooldown
	local probed second
	probed=$(times_from start 2 | head -n 1)
	second=$(times_from start 3 | head -n 1)
	((second < probed + 10000))
	[ "$(logged "breaker \"$RES\": half_open -> closed (a probe succeeded)")" -eq 1 ]
}

@test "without a daemon: said once, and the run keeps a breaker of its own" {
	run "$PT_BIN/patience" fixed -d 10ms -a 5 --daemon --daemon-socket "$T/none.sock" \
		--no-daemon-auto-start --circuit-breaker failures=2,cooldown=60s --fail-fast -- brk_cmd
	[ "$status" -eq 75 ]
	[ "$(starts)" -eq 2 ]
	[ "$(grep -c 'daemon unavailable' <<<"$output")" -eq 1 ]
	[[ $output == *"using a local circuit breaker"* ]]
}

@test "config file keys circuit_breaker and fail_fast; bad specs are refused" {
	printf 'circuit_breaker = "failures=1,cooldown=60s"\nfail_fast = true\n' >"$T/.patience.toml"
	run "$PT_BIN/patience" fixed -d 10ms -a 3 -- brk_cmd
	[ "$status" -eq 75 ]
	[ "$(starts)" -eq 1 ]
	rm "$T/.patience.toml"
	run "$PT_BIN/patience" fixed --circuit-breaker failures=0 -- true
	[ "$status" -eq 125 ]
	[[ $output == *'failures "0": expected an integer from 1 to 1000'* ]]
	run "$PT_BIN/patience" fixed --circuit-breaker cooldown=soon -- true
	[ "$status" -eq 125 ]
	[[ $output == *'cooldown "soon": expected a duration'* ]]
	run "$PT_BIN/patience" fixed --fail-fast -- true
	[ "$status" -eq 125 ]
	run "$PT_BIN/patience" fixed --circuit-breaker probes=2 --dry-run
	[[ $output == *"circuit breaker: failures=5,window=1m,cooldown=30s,probes=2; open: wait"* ]]
	run ask '{"v":1,"op":"breaker","action":"admit","resource":"x","spec":"probes=0"}'
	[[ $output == *'"code":"bad_request"'*'probes \"0\"'* ]]
	run ask '{"v":1,"op":"breaker","action":"report","resource":"x"}'
	[[ $output == *'missing field \"success\"'* ]]
	run ask '{"v":1,"op":"breaker","resource":"x"}'
	[[ $output == *'field \"action\"'* ]]
	run ask '{"v":1,"op":"status"}'
	[[ $output == *'"ok":true'* ]]
}

@test "an open circuit that outlasts --deadline ends the run with 124 at once" {
	run "$PT_BIN/patience" fixed -d 10ms -a 5 --deadline 30s --circuit-breaker \
		failures=1,cooldown=60s -- brk_cmd
	[ "$status" -eq 124 ]
	[ "$(starts)" -eq 1 ]
	[[ $output == *"circuit open for resource cmd:local:brk_cmd until after the deadline"* ]]
}

RPR_BRK=(--daemon --resource-id "$RES" --circuit-breaker)

@test "rpr's failures open the shared breaker: patience --fail-fast meanwhile runs nothing" {
	"$PT_BIN/rpr" count -t 3 "${RPR_BRK[@]}" failures=2,cooldown=2s -- brk_cmd \
		>"$T/rpr.out" 2>"$T/rpr.err" 3>&- &
	local rpr_pid=$! rc=0
	wait_log "breaker \"$RES\": closed -> open" 1
	run brk failures=2,cooldown=2s -a 3 --fail-fast
	[ "$status" -eq 75 ]
	wait "$rpr_pid" || rc=$?
	[ "$rc" -eq 1 ]
	# rpr's two runs, then its probe after the cooldown; none of patience's
	[ "$(starts)" -eq 3 ]
	(($(third_start_gap) >= 2000))
	[ "$(logged "breaker \"$RES\": half_open -> open (a probe failed)")" -eq 1 ]
	grep -q "rpr: 3 runs: 0 succeeded, 3 failed" "$T/rpr.err"
	[ "$(grep -c circuit "$T/rpr.err")" -eq 0 ] # its waits are said with -v only
}

@test "rpr --fail-fast stops with 75 and its statistics once open; a signal ends its wait" {
	run --separate-stderr "$PT_BIN/rpr" count -t 6 "${RPR_BRK[@]}" failures=2,cooldown=60s \
		--fail-fast -- brk_cmd
	[ "$status" -eq 75 ]
	[ "$(starts)" -eq 2 ]
	[[ $stderr == *"rpr: circuit open for resource $RES; not running the command (--fail-fast)"* ]]
	[[ $stderr == *"rpr: 2 runs: 0 succeeded, 2 failed"* ]]
	run --separate-stderr "$PT_BIN/rpr" interval -e 1s "${RPR_BRK[@]}" failures=2,cooldown=60s \
		--fail-fast -- brk_cmd
	[ "$status" -eq 75 ]
	[[ $stderr == *"rpr: 0 runs"* ]]
	"$PT_BIN/rpr" count -t 6 -v "${RPR_BRK[@]}" failures=2,cooldown=60s -- brk_cmd \
		2>"$T/rpr.err" 3>&- &
	local rpr_pid=$! rc=0
	wait_in "$T/rpr.err" "circuit open for resource $RES; waiting" 1
	kill -TERM "$rpr_pid"
	wait "$rpr_pid" || rc=$?
	[ "$rc" -eq 143 ]
	[ "$(starts)" -eq 2 ]
}

@test "rpr --circuit-breaker: usage errors name the bad value" {
	run "$PT_BIN/rpr" count -t 1 --circuit-breaker cooldown=soon -- true
	[ "$status" -eq 2 ]
	[[ $output == 'rpr: --circuit-breaker: cooldown "soon": expected a duration'* ]]
	run "$PT_BIN/rpr" count -t 1 --fail-fast -- true
	[ "$status" -eq 2 ]
	[[ $output == "rpr: --fail-fast needs --circuit-breaker SPEC"* ]]
	run "$PT_BIN/rpr" count -t 2 -e 1s --overlap parallel --circuit-breaker failures=1 -- true
	[ "$status" -eq 2 ]
	[[ $output == "rpr: --circuit-breaker does not go with --overlap parallel"* ]]
	run "$PT_BIN/rpr" count -t 1 --guard 10ms -- true
	[ "$status" -eq 2 ]
	[[ $output == "rpr: --guard, --burst and --priority need a limit"* ]]
	printf 'burst = 5\n' >"$T/rpr.toml" # a rate-limit setting, not for the count mode
	run "$PT_BIN/rpr" count -t 1 -q --config "$T/rpr.toml" "${RPR_BRK[@]}" failures=1 -- true
	[ "$status" -eq 0 ]
}
