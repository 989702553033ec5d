#!/usr/bin/env bats
# http-aware and --discover against a real nginx on 127.0.0.1: patience
# waits as Retry-After, X-RateLimit-Reset or the draft RateLimit field ask,
# falls back on its strategy when nothing is asked, and bounds every wait
# by --max-delay. nginx runs as this user from a temporary prefix, never
# as the system service.

load helpers
load nginx_helpers

# http_aware_conf DIR PORT: this file's zones and server (nginx_helpers.bash).
http_aware_conf() {
	local dir=$1 port=$2
	cat <<EOF
	# one request per 2s; the second within 2s is refused with 429
	limit_req_zone \$binary_remote_addr zone=one:1m rate=30r/m;
	# 5 per second with bursts of 5, for the learning test; its own log
	limit_req_zone \$binary_remote_addr zone=fleet:1m rate=5r/s;
	server {
		listen 127.0.0.1:$port;
		root $dir/www;
		location = /limited {
			limit_req zone=one nodelay;
			limit_req_status 429;
			error_page 429 = @limited;
		}
		location @limited {
			add_header Retry-After 2 always;
			add_header X-RateLimit-Limit 30 always;
			add_header X-RateLimit-Remaining 0 always;
			return 429 "slow down\n";
		}
		location = /fleet {
			access_log $dir/fleet.log stamped;
			limit_req zone=fleet burst=4 nodelay;
			limit_req_status 429;
			error_page 429 = @fleet_limited;
			add_header RateLimit-Policy '"default";q=5;w=1' always;
			# a file, not "return": return would answer before limit_req runs
		}
		location @fleet_limited {
			access_log $dir/fleet.log stamped;
			add_header Retry-After 1 always;
			add_header RateLimit-Policy '"default";q=5;w=1' always;
			return 429 "slow down\n";
		}
		location = /reset {
			add_header X-RateLimit-Limit 10 always;
			add_header X-RateLimit-Remaining 0 always;
			add_header X-RateLimit-Reset 1 always;
			add_header X-RateLimit-Resource core always;
			return 429 "spent\n";
		}
		location = /draft {
			add_header RateLimit-Policy '"default";q=30;w=60' always;
			add_header RateLimit '"default";r=0;t=1' always;
			return 429 "spent\n";
		}
		location = /long {
			add_header Retry-After 3600 always;
			return 429 "come back in an hour\n";
		}
		location = /plain503 {
			return 503 "down\n";
		}
		location = /json {
			default_type application/json;
			return 503 '{"error": "busy", "retry_after": 0.5}\n';
		}
	}
EOF
}

# timed ARGS...: run patience ARGS, its wall time in ms in $elapsed.
timed() {
	local start
	start=$(now_ms)
	run --separate-stderr patience "$@"
	elapsed=$(($(now_ms) - start))
}

setup_file() {
	mkdir -p "$BATS_FILE_TMPDIR/nginx/www"
	echo ok >"$BATS_FILE_TMPDIR/nginx/www/limited"
	echo ok >"$BATS_FILE_TMPDIR/nginx/www/fleet"
	nginx_setup_file "$BATS_FILE_TMPDIR/nginx" http_aware_conf
}

# The fleet's daemon is not a patience process: common_teardown leaves it.
teardown() {
	kill_if patience-daemon "${FLEET_DAEMON:-}"
	common_teardown
}

teardown_file() {
	[[ -n ${NGINX_DIR:-} ]] && stop_nginx "$NGINX_DIR"
	return 0
}

@test "http-aware waits as Retry-After asks, then succeeds" {
	curl -s -o /dev/null "$BASE/limited" # spend the one request of these 2s
	timed http-aware -v -a 3 -- curl -si "$BASE/limited"
	assert_status 0
	assert_contains "$stderr" "Service asked to wait 2s (Retry-After: 2)."
	assert_contains "$stderr" "Service quota: limit 30, remaining 0."
	assert_contains "$stderr" "Attempt 1/3 failed (HTTP status 429)"
	assert_contains "$stderr" "Succeeded after 2 attempts"
	assert_contains "$output" "HTTP/1.1 429"
	assert_contains "$output" "ok"
	assert_between "$elapsed" 2000 10000
}

@test "ha: a spent quota's X-RateLimit-Reset in seconds is waited for" {
	timed ha -v -a 2 -- curl -si "$BASE/reset"
	assert_status 1
	assert_contains "$stderr" "Service asked to wait 1s (X-RateLimit-Reset: 1)."
	assert_contains "$stderr" "Service quota: limit 10, remaining 0, reset in 1s, resource core."
	assert_contains "$stderr" "Failed after 2 attempts"
	assert_contains "$stderr" "HTTP status 429 (exit 1)"
	assert_between "$elapsed" 1000 10000
}

@test "ha: the draft RateLimit field's t and its policy are read" {
	timed ha -v -a 2 -- curl -si "$BASE/draft"
	assert_status 1
	assert_contains "$stderr" 'Service asked to wait 1s (RateLimit: "default";r=0;t=1).'
	assert_contains "$stderr" "Service quota: limit 30 per 1m, remaining 0, reset in"
	assert_between "$elapsed" 1000 10000
}

@test "ha: a JSON retry_after in the body counts when no header asks" {
	timed ha -v -a 2 -- curl -si "$BASE/json"
	assert_status 1
	assert_contains "$stderr" "Service asked to wait 500ms (body retry_after: 0.5)."
	assert_between "$elapsed" 500 8000
}

@test "ha falls back on its strategy when the service asks nothing" {
	timed ha -v -a 3 -f fixed -d 300ms -- curl -si "$BASE/plain503"
	assert_status 1
	assert_contains "$stderr" "Service asked for no delay; the fallback strategy decides."
	assert_contains "$stderr" "Attempt 1/3 failed (HTTP status 503). Retrying in 300ms."
	assert_contains "$stderr" "Failed after 3 attempts"
	assert_between "$elapsed" 600 8000
}

@test "ha: --max-delay bounds what the service asks" {
	timed ha -v -a 2 -m 400ms -- curl -si "$BASE/long"
	assert_status 1
	assert_contains "$stderr" "Service asked to wait 1h (Retry-After: 3600); waiting 400ms (--max-delay)."
	assert_contains "$stderr" "Retrying in 400ms."
	assert_between "$elapsed" 400 8000
}

@test "--discover on fixed uses the asked delay instead of its own" {
	timed fixed -d 10ms --discover -a 2 -- curl -si "$BASE/reset"
	assert_status 1
	[[ $stderr =~ Retrying\ in\ (9[0-9][0-9]ms|1s)\. ]]
	assert_between "$elapsed" 1000 10000
}

@test "without --discover a 429 with exit code 0 is a success" {
	run --separate-stderr patience fixed -d 10ms -a 3 -- curl -si "$BASE/long"
	assert_status 0
	assert_contains "$stderr" "Succeeded after 1 attempt"
}

@test "--json records each attempt's HTTP status and asked delay" {
	run --separate-stderr patience ha --json -a 2 -m 200ms -- curl -si "$BASE/long"
	assert_status 1
	assert_eq "$(json_field 'j["strategy"]')" "http-aware"
	assert_eq "$(json_field '[a["http_status"] for a in j["attempt_log"]]')" "[429, 429]"
	assert_eq "$(json_field 'j["attempt_log"][0]["asked_delay_ms"]')" "200"
	assert_eq "$(json_field 'j["attempt_log"][0]["delay_ms"]')" "200"
}

@test "a success pattern still decides over the HTTP status" {
	run --separate-stderr patience ha -a 3 --success-pattern 'come back' -- curl -si "$BASE/long"
	assert_status 0
	assert_contains "$stderr" "Succeeded after 1 attempt"
}

# start_fleet_daemon: a daemon on $SOCK for the fleet tests.
start_fleet_daemon() {
	SOCK="$T/run/daemon.sock"
	mkdir -p "$T/run"
	"$PT_BIN/patience-daemon" --socket "$SOCK" --state "$T/state.db" --log-level info \
		2>"$T/daemon.log" 3>&- &
	FLEET_DAEMON=$!
	BG_PIDS+=("$FLEET_DAEMON")
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -S $SOCK ]] && break
		sleep 0.05
	done
	sleep 1.1 # whatever an earlier test spent of /fleet is back
}

# fleet STRATEGY...: 8 processes at once (they wait for one "go"), each
# making 5 runs of patience STRATEGY against /fleet one after another, all
# sharing test:fleet through the daemon; their requests land in
# $T/fleet.log ("msec status" lines).
fleet() {
	local before i k pids=()
	before=$(wc -l <"$NGINX_DIR/fleet.log" 2>/dev/null || echo 0)
	for i in 1 2 3 4 5 6 7 8; do
		(
			while [[ ! -e $T/go ]]; do sleep 0.01; done
			for k in 1 2 3 4 5; do
				"$PT_BIN/patience" "$@" -r 100 -w 1s --daemon --daemon-socket "$SOCK" \
					--no-daemon-auto-start --resource-id test:fleet -q \
					-- curl -si "$BASE/fleet" >/dev/null 2>>"$T/fleet.err" || exit 1
			done
		) 3>&- &
		pids+=("$!")
	done
	touch "$T/go"
	for i in "${pids[@]}"; do
		wait "$i"
	done
	tail -n +"$((before + 1))" "$NGINX_DIR/fleet.log" >"$T/fleet.log"
}

# count_429 SECONDS: "N requests, M answered 429, L of them later than
# SECONDS after the first 429"; exit 1 when L > 0.
count_429() {
	python3 - "$T/fleet.log" "$1" <<-'EOF'
		import sys
		rows = [line.split() for line in open(sys.argv[1])]
		times = [float(t) for t, s in rows if s == "429"]
		first = min(times) if times else 0
		late = [t for t in times if t > first + float(sys.argv[2])]
		print(f"{len(rows)} requests, {len(times)} answered 429, {len(late)} of them "
		      f"more than {sys.argv[2]}s after the first")
		sys.exit(1 if late else 0)
	EOF
}

@test "control: 8 processes sharing a too-high limit without discovery draw 429s" {
	start_fleet_daemon
	fleet fixed -d 0 -a 1
	run count_429 0
	echo "without discovery: $output" >&3
	[[ $(grep -c ' 429$' "$T/fleet.log") -gt 5 ]]
}

@test "8 processes learning through the daemon stop drawing 429s after the first round" {
	start_fleet_daemon
	fleet http-aware -a 30 -m 5s
	# 40 successes; the 429s all come in the first round, before the first
	# Retry-After and RateLimit-Policy reached the daemon
	[[ $(grep -c ' 200$' "$T/fleet.log") == 40 ]]
	run count_429 0.5
	echo "with discovery: $output" >&3
	assert_status 0
	assert_contains "$(cat "$T/daemon.log")" 'learned from RateLimit-Policy'
}
