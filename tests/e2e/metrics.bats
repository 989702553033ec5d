#!/usr/bin/env bats
# patience-daemon --metrics-listen: /metrics (checked by promtool),
# /api/v1/resources, /healthz, and what any other request gets.

load helpers
load redis_helpers

setup() {
	common_setup
	metrics_setup
	REDIS_PIDS=()
}

teardown() {
	common_teardown # the clients first: one that lost its daemon would start another
	kill_daemon
	stop_redis
}

# metric NAME_WITH_LABELS: its value in /metrics.
metric() {
	curl -s "$URL/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}

@test "/metrics counts grants and refusals and shows each resource's limit" {
	start_daemon --metrics-listen "127.0.0.1:$PORT"
	[[ $(metric 'patience_acquires_total{outcome="granted"}') == 0 ]]
	"$PT_BIN/patience" fixed -a 1 -r 5 -w 1m --daemon --resource-id test:metrics -q -- true
	"$PT_BIN/patience" fixed -a 1 -r 5 -w 1m --daemon --resource-id test:metrics -q -- true
	run ask '{"v":1,"op":"acquire","resource":"q\"x\\y","limit":1,"window_ms":60000}'
	[[ $output == *'"ok":true'* ]]
	run ask '{"v":1,"op":"acquire","resource":"q\"x\\y","limit":1,"window_ms":60000,"max_wait_ms":10}'
	[[ $output == *wait_too_long* ]]
	run ask '{"v":1,"op":"acquire","resource":"q\"x\\y","limit":1,"window_ms":60000,"offsets_ms":[0,1]}'
	[[ $output == *infeasible* ]]

	run curl -s -D "$T/headers" "$URL/metrics"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$T/metrics"
	grep -qi '^content-type: text/plain; version=0.0.4' "$T/headers"
	grep -qx 'patience_acquires_total{outcome="granted"} 3' "$T/metrics"
	grep -qx 'patience_acquires_total{outcome="wait_too_long"} 1' "$T/metrics"
	grep -qx 'patience_acquires_total{outcome="infeasible"} 1' "$T/metrics"
	grep -qx 'patience_acquire_wait_seconds_count 3' "$T/metrics"
	grep -qx 'patience_acquire_wait_seconds_bucket{le="+Inf"} 3' "$T/metrics"
	# each was placed at once: a wait of (almost) nothing, counted from its request
	grep -qx 'patience_acquire_wait_seconds_bucket{le="1"} 3' "$T/metrics"
	grep -qx "patience_resource_limit{resource=\"test:metrics\",uid=\"$(id -u)\"} 5" "$T/metrics"
	grep -qx "patience_resource_in_window{resource=\"test:metrics\",uid=\"$(id -u)\"} 2" "$T/metrics"
	# the label value escaped: q"x\y
	grep -qxF "patience_resource_limit{resource=\"q\\\"x\\\\y\",uid=\"$(id -u)\"} 1" "$T/metrics"
	grep -qx "patience_resource_limit_learned{resource=\"test:metrics\",uid=\"$(id -u)\"} 0" "$T/metrics"
	grep -qx "patience_resource_waiting{resource=\"test:metrics\",uid=\"$(id -u)\"} 0" "$T/metrics"
	grep -qx 'patience_queued_acquires 0' "$T/metrics"
	grep -qx 'patience_resources 2' "$T/metrics"
	grep -qx 'patience_backend_up 1' "$T/metrics"
	grep -q '^process_start_time_seconds [0-9]' "$T/metrics"
	grep -q '^# TYPE patience_acquire_wait_seconds histogram$' "$T/metrics"

	run promtool check metrics <"$T/metrics"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "/api/v1/resources lists every resource as JSON; /healthz says ok" {
	start_daemon --metrics-listen "127.0.0.1:$PORT"
	"$PT_BIN/patience" fixed -a 1 -r 7 -w 30s --daemon --resource-id test:api -q -- true
	run curl -s -D "$T/headers" "$URL/api/v1/resources"
	[ "$status" -eq 0 ]
	grep -qi '^content-type: application/json' "$T/headers"
	printf '%s' "$output" | python3 -c '
import json, os, sys
doc = json.load(sys.stdin)
r = [x for x in doc["resources"] if x["resource"] == "test:api"]
assert len(r) == 1, doc
r = r[0]
assert r["uid"] == os.getuid(), r
assert r["limit"] == 7 and r["window_ms"] == 30000, r
assert r["in_window"] == 1 and r["source"] == "acquire", r
for k in ("guard_ms", "reserved", "next_free_ms"):
    assert isinstance(r[k], int), (k, r)
'
	run curl -s -w '%{http_code}' "$URL/healthz"
	[ "$output" = $'ok\n200' ]
}

@test "other paths get 404, other methods 405, junk never kills the daemon" {
	start_daemon --metrics-listen "127.0.0.1:$PORT"
	run curl -s -o /dev/null -w '%{http_code}' "$URL/nope"
	[ "$output" = 404 ]
	run curl -s -o /dev/null -w '%{http_code}' "$URL/metrics/"
	[ "$output" = 404 ]
	run curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "$URL/metrics"
	[ "$output" = 405 ]
	run curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/api/v1/resources"
	[ "$output" = 405 ]
	# a huge header, a huge body, garbage, a connection left open
	curl -s -o /dev/null -H "X-Big: $(head -c 20000 /dev/zero | tr '\0' a)" "$URL/metrics" || true
	head -c 100000 /dev/zero | curl -s -o /dev/null -X POST --data-binary @- "$URL/metrics" || true
	printf 'GARBAGE\r\n\r\n' | socat -t 1 - "TCP:127.0.0.1:$PORT" >/dev/null || true
	socat -u /dev/zero "TCP:127.0.0.1:$PORT" 2>/dev/null &
	BG_PIDS+=("$!")
	local flood=$!
	sleep 0.5
	kill "$flood" 2>/dev/null || true
	run curl -s "$URL/healthz"
	[ "$output" = ok ]
	run ask '{"v":1,"op":"status"}'
	[[ $output == *'"ok":true'* ]]
}

@test "with the Redis backend: grants Redis answered are counted; backend_up follows Redis" {
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	start_redis r
	start_daemon --metrics-listen "127.0.0.1:$PORT" --backend "unix://$T/r/redis.sock"
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(metric patience_backend_up) == 1 ]] && break
		sleep 0.05
	done
	[[ $(metric patience_backend_up) == 1 ]]
	run ask '{"v":1,"op":"acquire","resource":"test:redis","limit":1,"window_ms":60000}'
	[[ $output == *'"backend":"redis"'* ]]
	run ask '{"v":1,"op":"acquire","resource":"test:redis","limit":1,"window_ms":60000,"max_wait_ms":10}'
	[[ $output == *wait_too_long* ]]
	[[ $(metric 'patience_acquires_total{outcome="granted"}') == 1 ]]
	[[ $(metric 'patience_acquires_total{outcome="wait_too_long"}') == 1 ]]
	stop_redis
	for ((i = 0; i < 100; i++)); do
		[[ $(metric patience_backend_up) == 0 ]] && break
		sleep 0.05
	done
	[[ $(metric patience_backend_up) == 0 ]]
	curl -s "$URL/metrics" | promtool check metrics
}

@test "a bad --metrics-listen or daemon.metrics_listen is refused with 125" {
	run "$PT_BIN/patience-daemon" --metrics-listen nonsense
	[ "$status" -eq 125 ]
	[[ $output == *'"nonsense"'* ]]
	[ "${#lines[@]}" -eq 1 ]
	run "$PT_BIN/patience-daemon" --metrics-listen 127.0.0.1:99999
	[ "$status" -eq 125 ]
	[[ $output == *'"127.0.0.1:99999"'* ]]
	printf '[daemon]\nmetrics_listen = "::1:80"\n' >"$T/config.toml"
	run "$PT_BIN/patience-daemon" --config "$T/config.toml" --check-config
	[ "$status" -eq 125 ]
	[[ $output == *'"::1:80"'* ]]
}
