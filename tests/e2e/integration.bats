#!/usr/bin/env bats
# rpr, patience and patience-daemon together, as the rpr + patience
# integration spec types them: each test has a real daemon (its socket in
# $T) and nginx on 127.0.0.1 standing in for api.example.com. The daemon's
# counts of executions per resource and tool are checked against an
# independent observer: nginx's "$msec $status" log of each location, or
# stamp (its own exec time), or a script that logs its calls. Also: the
# spec's limit test, the config files the spec and the design write (as
# --debug-config shows their meaning), the variables, and the system-wide
# daemon.
#
# The limit test takes 65 s: setup_file starts it, the other tests run
# meanwhile, and its @test, the last one, judges it.

load helpers
load nginx_helpers

# integration_conf DIR PORT: the server (nginx_helpers.bash). Each location
# logs its requests to its own file; /endpoint answers 503 to a request
# less than 200ms after the one before (limit_req), so patience retries.
integration_conf() {
	local dir=$1 port=$2
	cat <<EOF
	limit_req_zone \$binary_remote_addr zone=endpoint:1m rate=5r/s;
	server {
		listen 127.0.0.1:$port;
		root $dir/www;
		location = / {
			access_log $dir/root.log stamped;
			return 200 "ok\n";
		}
		location = /health {
			access_log $dir/health.log stamped;
			return 200 "healthy\n";
		}
		location = /endpoint {
			access_log $dir/endpoint.log stamped;
			limit_req zone=endpoint nodelay;
			limit_req_status 503;
			# a file, not "return": return would answer before limit_req runs
		}
		location = /glob {
			access_log $dir/glob.log stamped;
			return 200 "ok\n";
		}
	}
EOF
}

# The limit test's daemon config: the spec's test-api, and a glob for a
# family of derived ids.
write_limit_config() {
	cat >"$1" <<'EOF'
[rate_limiting.resources]
"test-api" = { limit = 10, window = "1m" }
"api:external:*" = { limit = 2, window = "3s" }
EOF
}

# start_limit_test: a daemon with that config, and three rpr on test-api
# started together, each stopped by SIGINT after 65 s; what each printed
# goes to $LIMIT_DIR/err1..3, its exit status to rc1..3, the starts stamp
# made to starts.log.
start_limit_test() {
	local d=$LIMIT_DIR i
	mkdir -p "$d/run" "$d/state" "$d/home" "$d/xdg"
	write_limit_config "$d/config.toml"
	(
		for v in $(compgen -e); do
			[[ $v == PATIENCE_* || $v == RPR_* ]] && unset "$v"
		done
		export HOME="$d/home" XDG_CONFIG_HOME="$d/xdg" XDG_RUNTIME_DIR="$d/run" \
			XDG_STATE_HOME="$d/state" PATH="$PT_BIN:$PATH" LOG="$d/starts.log"
		patience-daemon --config "$d/config.toml" 2>"$d/daemon.log" &
		for ((i = 0; i < 100; i++)); do
			patience daemon status >/dev/null 2>&1 && break
			sleep 0.05
		done
		for i in 1 2 3; do
			(
				timeout --preserve-status -s INT 65 \
					rpr count --times 20 --every 1s --daemon --resource-id test-api -- stamp \
					>"$d/out$i" 2>"$d/err$i" &
				echo $! >"$d/timeout$i"
				rc=0 # bats runs setup_file with set -e
				wait $! || rc=$?
				echo $rc >"$d/rc$i"
			) &
		done
	) </dev/null >"$d/launch.log" 2>&1 3>&-
}

setup_file() {
	export LIMIT_DIR="$BATS_FILE_TMPDIR/limit"
	mkdir -p "$BATS_FILE_TMPDIR/nginx/www"
	echo ok >"$BATS_FILE_TMPDIR/nginx/www/endpoint"
	nginx_setup_file "$BATS_FILE_TMPDIR/nginx" integration_conf
	start_limit_test
}

teardown_file() {
	local p f
	# the limit test's runs, had its @test not waited for them: SIGINT to
	# timeout, which passes it on to rpr
	for f in "$LIMIT_DIR"/timeout*; do
		p=$(cat "$f" 2>/dev/null) || continue
		[[ $p =~ ^[0-9]+$ && $(cat "/proc/$p/comm" 2>/dev/null) == timeout ]] &&
			kill -INT "$p" 2>/dev/null
	done
	sleep 0.2
	p=$(cat "$LIMIT_DIR/run/patience/daemon.pid" 2>/dev/null || true)
	kill_if patience-daemon "$p"
	[[ -n ${NGINX_DIR:-} ]] && stop_nginx "$NGINX_DIR"
	return 0
}

setup() {
	common_setup
	# rpr, patience and stamp by name, as the spec types them; the default
	# socket in $T, so that the spec's commands need no --daemon-socket
	export PATH="$PT_BIN:$PATH"
	export XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state"
	SOCK="$XDG_RUNTIME_DIR/patience/daemon.sock"
	TIMEOUTS=()
	OTHER_SOCKS=()
}

# stop_daemon_at SOCK: SIGTERM to the daemon serving SOCK (it ends cleanly),
# SIGKILL if it has not ended within 2 s.
stop_daemon_at() {
	local p i
	p=$(cat "${1%/*}/daemon.pid" 2>/dev/null || true)
	[[ $p =~ ^[0-9]+$ && $(cat "/proc/$p/comm" 2>/dev/null) == patience-daemon ]] || return 0
	kill -TERM "$p" 2>/dev/null || true
	for ((i = 0; i < 40; i++)); do
		alive "$p" || return 0
		sleep 0.05
	done
	kill_if patience-daemon "$p"
}

teardown() {
	local p s
	for p in "${TIMEOUTS[@]}"; do
		kill_if timeout "$p"
	done
	common_teardown
	# $SOCK, and the default socket should a test have pointed SOCK elsewhere
	for s in "${OTHER_SOCKS[@]}" "$SOCK" "$T/run/patience/daemon.sock"; do
		stop_daemon_at "$s"
	done
	[[ -n ${SYS_DIRS:-} ]] && rm -rf $SYS_DIRS
	return 0
}

# lines FILE: how many lines FILE holds (0 when it does not exist).
lines() { if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi; }

# seen NAME FROM: the lines nginx logged for location NAME after the first
# FROM ("msec status").
seen() { tail -n +"$(($2 + 1))" "$NGINX_DIR/$1.log" 2>/dev/null || true; }

# tool_counts RESOURCE: what the daemon on $SOCK counted for RESOURCE, per
# tool: "patience=TOTAL/FAILED rpr=TOTAL/FAILED" (sorted; empty if none).
tool_counts() {
	ask "{\"v\":1,\"op\":\"metrics\",\"resource\":\"$1\"}" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join("%s=%d/%d" % (t, v["total"], v["failed"]) for t, v in sorted(d["tools"].items())))'
}

# total_runs: every run the daemon on $SOCK counted for the caller.
total_runs() {
	ask '{"v":1,"op":"metrics"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["summary"]["total"])'
}

# rpr_summary [TEXT]: "RUNS SUCCEEDED FAILED" of rpr's summary line in
# TEXT (default $stderr).
rpr_summary() {
	sed -n 's/^rpr: \([0-9]*\) runs\{0,1\}: \([0-9]*\) succeeded, \([0-9]*\) failed.*/\1 \2 \3/p' \
		<<<"${1-$stderr}" | tail -n 1
}

# spec SECONDS CMD...: CMD under `timeout -s INT SECONDS` (rpr stops on
# SIGINT, prints its statistics and exits 130; --preserve-status passes
# that on).
spec() {
	local s=$1
	shift
	run --separate-stderr timeout --preserve-status -s INT "$s" "$@"
}

# config_line KEY VALUE ORIGIN: --debug-config (in $stderr) showed the
# setting KEY = VALUE from ORIGIN.
config_line() {
	local re
	re="^\[config\]   $(sed 's/[.]/\\./g' <<<"$1") +=  ?$(printf '%s' "$2" | sed 's/[][().*+?^$]/\\&/g') +\($(printf '%s' "$3" | sed 's/[][().*+?^$]/\\&/g')\)$"
	if ! grep -Eq "$re" <<<"$stderr"; then
		printf 'expected the setting %s = %s (%s) in:\n%s\n' "$1" "$2" "$3" "$stderr" >&2
		return 1
	fi
}

# meaning WHAT TEXT: the "for this run" block (in $stderr) has WHAT TEXT.
meaning() {
	local block
	block=$(sed -n '/^\[config\] for this run:$/,$p' <<<"$stderr")
	if ! grep -qxF "[config]   $(printf '%-10s' "$1") $2" <<<"$block"; then
		printf 'expected "%s %s" in the block:\n%s\n' "$1" "$2" "$block" >&2
		return 1
	fi
}

# --- 1. The spec's commands, stopped by SIGINT after a few seconds -------

@test "spec: rpr interval --every 30s --resource-id api-monitor --daemon -- curl URL" {
	start_daemon
	local from
	from=$(lines "$NGINX_DIR/root.log")
	spec 2.5 rpr interval --every 30s --resource-id api-monitor --daemon -- curl "$BASE"
	assert_status 130
	assert_eq "$output" "ok"
	seen root "$from" >"$T/seen"
	assert_eq "$(awk '{print $2}' "$T/seen" | tr '\n' ' ')" "200 "
	assert_eq "$(tool_counts api-monitor)" "rpr=1/0"
	assert_eq "$(rpr_summary)" "1 1 0"
}

@test "spec: rpr count --times 1000 --every 1s --resource-id api-load --daemon -- curl URL" {
	start_daemon
	local from n
	from=$(lines "$NGINX_DIR/root.log")
	# the ticks come at 0, 1, 2, 3 s: SIGINT half a second after the last
	spec 3.5 rpr count --times 1000 --every 1s --resource-id api-load --daemon -- curl "$BASE"
	assert_status 130
	seen root "$from" >"$T/seen"
	n=$(grep -c ' 200$' "$T/seen")
	assert_eq "$(lines "$T/seen")" "$n"
	assert_between "$n" 3 5
	assert_eq "$(tool_counts api-load)" "rpr=$n/0"
	assert_eq "$(rpr_summary)" "$n $n 0"
	# the runs kept to their 1 s ticks, as nginx saw them
	python3 - "$T/seen" <<-'EOF'
		import sys
		t = [float(l.split()[0]) for l in open(sys.argv[1])]
		gaps = [b - a for a, b in zip(t, t[1:])]
		assert all(0.8 < g < 1.2 for g in gaps), gaps
	EOF
}

@test "spec: rpr interval --every 60s --resource-id api-health --daemon -- patience exponential --resource-id api-retry -- curl URL/health" {
	start_daemon
	local from
	from=$(lines "$NGINX_DIR/health.log")
	spec 2.5 rpr interval --every 60s --resource-id api-health --daemon -- \
		patience exponential --resource-id api-retry -- curl "$BASE/health"
	assert_status 130
	assert_eq "$output" "healthy"
	assert_eq "$(seen health "$from" | awk '{print $2}' | tr '\n' ' ')" "200 "
	# rpr's run counts for api-health, the nested patience's attempt (it
	# found the daemon through the variables rpr gave it) for api-retry
	assert_eq "$(tool_counts api-health)" "rpr=1/0"
	assert_eq "$(tool_counts api-retry)" "patience=1/0"
	assert_eq "$(total_runs)" 2
	assert_eq "$(rpr_summary)" "1 1 0"
	assert_contains "$stderr" "Succeeded after 1 attempt"
}

@test "spec: rpr interval --every 30s --for 8h --daemon --resource-id health-check -- patience exponential --max-attempts 3 --resource-id health-retry -- curl -f --max-time 10 URL/health" {
	start_daemon
	local from
	from=$(lines "$NGINX_DIR/health.log")
	spec 2.5 rpr interval --every 30s --for 8h --daemon --resource-id health-check -- \
		patience exponential --max-attempts 3 --resource-id health-retry -- \
		curl -f --max-time 10 "$BASE/health"
	assert_status 130
	assert_eq "$(seen health "$from" | awk '{print $2}' | tr '\n' ' ')" "200 "
	assert_eq "$(tool_counts health-check)" "rpr=1/0"
	assert_eq "$(tool_counts health-retry)" "patience=1/0"
	assert_eq "$(rpr_summary)" "1 1 0"
	assert_contains "$stderr" "Attempt 1/3 starting"
}

@test "spec: rpr count --times 10000 --every 100ms --daemon --resource-id load-test -- patience linear --max-attempts 2 --resource-id request-retry -- curl -f --max-time 5 URL/endpoint" {
	start_daemon
	local from m i rc=0 n ok fail runs
	from=$(lines "$NGINX_DIR/endpoint.log")
	timeout --preserve-status -s INT 60 \
		rpr count --times 10000 --every 100ms --daemon --resource-id load-test -- \
		patience linear --max-attempts 2 --resource-id request-retry -- \
		curl -f --max-time 5 "$BASE/endpoint" >"$T/out" 2>"$T/err" 3>&- &
	local pid=$!
	TIMEOUTS+=("$pid")
	# After ~2.5 s, SIGINT in the second after a 503: patience is waiting
	# then to retry, and no request is in flight for either observer.
	sleep 2.5
	m=$(lines "$NGINX_DIR/endpoint.log")
	for ((i = 0; i < 200; i++)); do
		(($(lines "$NGINX_DIR/endpoint.log") > m)) &&
			[[ $(tail -n 1 "$NGINX_DIR/endpoint.log") == *" 503" ]] && break
		sleep 0.02
	done
	sleep 0.3
	kill -INT "$pid" # timeout passes it on to rpr
	wait "$pid" || rc=$?
	assert_eq "$rc" 130
	seen endpoint "$from" >"$T/seen"
	n=$(lines "$T/seen")
	ok=$(grep -c ' 200$' "$T/seen" || true)
	fail=$(grep -c ' 503$' "$T/seen" || true)
	echo "# /endpoint: $n requests, $ok answered 200, $fail 503" >&3
	assert_eq "$((ok + fail))" "$n"
	((fail >= 2))
	# every attempt nginx saw, patience reported, as it went
	assert_eq "$(tool_counts request-retry)" "patience=$n/$fail"
	# every run rpr made, it reported; its summary says as much
	runs=$(rpr_summary "$(cat "$T/err")")
	assert_eq "$(tool_counts load-test)" "rpr=${runs%% *}/${runs##* }"
	# each run's 503 was retried 1s later and got through, except the
	# last run's: SIGINT came while it waited (the one failed run)
	assert_eq "$runs" "$((n - fail + 1)) $((n - fail)) 1"
	assert_contains "$(cat "$T/err")" "Retrying in 1s."
}

# --- 3. The spec's test of the counts -------------------------------------

@test "spec: rpr interval --every 1s --times 5 --daemon --resource-id test-resource -- patience exponential --max-attempts 3 -- test-command" {
	cat >"$T/bin/test-command" <<-EOF
		#!/bin/sh
		date +%s%N >>"$T/test-command.log"
	EOF
	chmod +x "$T/bin/test-command"
	start_daemon
	run --separate-stderr rpr interval --every 1s --times 5 --daemon --resource-id test-resource -- \
		patience exponential --max-attempts 3 -- test-command
	assert_status 0
	assert_eq "$(lines "$T/test-command.log")" 5
	assert_eq "$(tool_counts test-resource)" "rpr=5/0"
	# patience names no resource: its attempts count under the derived one
	assert_eq "$(tool_counts cmd:local:test-command)" "patience=5/0"
	assert_eq "$(total_runs)" 10
	assert_eq "$(rpr_summary)" "5 5 0"
	run patience daemon status test-resource --daemon-socket "$SOCK"
	assert_contains "$output" "executions  5 runs, 0 failed (100% success)"
	assert_contains "$output" "    rpr        5 runs, 0 failed (100% success)"
}

# --- 2b. A glob of the daemon's config applies to a derived id ------------

@test "limit: the daemon's \"api:external:*\" = 2 per 3s applies to curl's derived api:external:127.0.0.1" {
	start_daemon --config "$LIMIT_DIR/config.toml"
	local from
	from=$(lines "$NGINX_DIR/glob.log")
	run --separate-stderr rpr count --times 4 --daemon -- curl -s "$BASE/glob"
	assert_status 0
	assert_contains "$stderr" 'rpr: run 3 waits'
	assert_contains "$stderr" 'for the limit of "api:external:127.0.0.1" (2 per 3s, held by patience-daemon); runs start as it allows'
	assert_eq "$(grep -c 'waits' <<<"$stderr")" 1
	seen glob "$from" >"$T/seen"
	assert_eq "$(lines "$T/seen")" 4
	# nginx saw no 3 s holding more than 2 of them (its $msec is when it
	# answered, a few ms after the start: 2.9 s to be sure)
	python3 - "$T/seen" <<-'EOF'
		import sys
		t = [float(l.split()[0]) for l in open(sys.argv[1])]
		assert t[2] - t[0] > 2.9 and t[3] - t[1] > 2.9, t
	EOF
	assert_eq "$(tool_counts api:external:127.0.0.1)" "rpr=4/0"
	run patience daemon status api:external:127.0.0.1 --daemon-socket "$SOCK"
	assert_contains "$output" "limit       2 per 3s (from config)"
}

# --- 4. Config files, and what --debug-config makes of them ---------------

# The config section of the design (docs: /work/shared/DESIGN.md), verbatim.
write_design_toml() {
	cat >"$1" <<'EOF'
[daemon]
socket_path = "/run/user/1000/patience/daemon.sock"
log_level = "info"
metrics_listen = "127.0.0.1:9464"
backend = "redis://127.0.0.1:6379/0"      # omit for the embedded default

[rate_limiting]
default_algorithm = "diophantine"          # or "gcra", "fixed-window"
coordination_enabled = true

[rate_limiting.resources]
"api:external:api.github.com" = { limit = 5000, window = "1h" }
"database:postgres:prod_db"   = { limit = 100, window = "1m" }

[patience]
default_strategy = "exponential"
max_attempts = 10

[repeater]
default_interval = "30s"
default_timeout = "60s"
continue_on_error = true
EOF
}

@test "config: the design's TOML loads; --debug-config shows each key and its meaning (patience, rpr, the daemon)" {
	write_design_toml design.toml
	run --separate-stderr patience --config design.toml --debug-config
	assert_status 0
	assert_eq "$(head -n 1 <<<"$stderr")" "[config] strategy exponential (setting backoff)"
	config_line attempts 10 design.toml:17
	config_line backoff exponential design.toml:16
	config_line daemon.socket_path /run/user/1000/patience/daemon.sock design.toml:2
	config_line daemon.log_level info design.toml:3
	config_line daemon.metrics_listen 127.0.0.1:9464 design.toml:4
	config_line daemon.backend redis://127.0.0.1:6379/0 design.toml:5
	config_line rate_limiting.default_algorithm diophantine design.toml:8
	config_line rate_limiting.coordination_enabled true design.toml:9
	config_line repeater.default_interval 30s design.toml:20
	config_line repeater.default_timeout 60s design.toml:21
	config_line repeater.continue_on_error true design.toml:22
	meaning daemon "off (daemon_enabled = false, default)"
	meaning resource "(from the command) (derived from the command; resource_detection = true, default)"
	meaning limit none
	meaning output normal

	# with --daemon: the design's socket_path; the id derived from the URL
	run --separate-stderr patience --config design.toml --debug-config --daemon --dry-run -- \
		curl https://api.github.com/zen
	assert_status 0
	meaning daemon "on /run/user/1000/patience/daemon.sock (daemon_enabled = true, flag --daemon)"
	meaning resource "api:external:api.github.com (derived from the command; resource_detection = true, default)"
	meaning limit "none of its own: the daemon's for the resource; this config gives \"api:external:api.github.com\" 5000 per 1h"
	meaning strategy "exponential, at most 10 attempts"
	assert_contains "$output" "strategy: exponential, base 1s, multiplier 2, max 1m, 10 attempts"

	run --separate-stderr rpr interval --config design.toml --debug-config
	assert_status 0
	config_line repeater.default_interval 30s design.toml:20
	config_line repeater.default_timeout 60s design.toml:21
	config_line repeater.continue_on_error true design.toml:22
	meaning daemon "off (daemon_enabled = false, default)"
	meaning limit none

	# continue_on_error = true: rpr goes on after a failed run
	run --separate-stderr rpr count --config design.toml -t 2 -- false
	assert_status 1
	assert_eq "$(rpr_summary)" "2 0 2"

	run patience-daemon --config design.toml --check-config
	assert_status 0
	assert_eq "$output" "configuration OK (2 resource limits)"
}

# spec_keys FILE L_METRICS L_PD L_PR L_RD L_RR: the spec's keys in FILE (on
# those lines) make patience use the daemon with a derived id, rpr use it
# with the command's name as the id, and the daemon serve /metrics; the
# daemon counts what each ran, nginx saw as much.
spec_keys() {
	local f=$1 metrics=0 from
	if ! curl -s -o /dev/null http://127.0.0.1:9464/; then
		metrics=1 # metrics_enabled = true without metrics_listen: this address
		start_daemon --config "$f"
	else
		echo "# 127.0.0.1:9464 is taken: daemon.metrics_enabled not checked" >&3
		start_daemon
	fi
	from=$(lines "$NGINX_DIR/health.log")

	run --separate-stderr patience --config "$f" --debug-config -- curl -s "$BASE/health"
	assert_status 0
	config_line daemon.metrics_enabled true "$f:$2"
	config_line patience.defaults.daemon_enabled true "$f:$3"
	config_line patience.defaults.resource_detection true "$f:$4"
	config_line repeater.defaults.daemon_enabled true "$f:$5"
	config_line repeater.defaults.resource_detection false "$f:$6"
	meaning daemon "on $SOCK (patience.defaults.daemon_enabled = true, $f:$3)"
	meaning resource "api:external:127.0.0.1 (derived from the command; patience.defaults.resource_detection = true, $f:$4)"
	meaning limit "none of its own: the daemon's for the resource, if any"
	assert_eq "$(tool_counts api:external:127.0.0.1)" "patience=1/0"

	run --separate-stderr rpr count --config "$f" --debug-config -t 2 -- curl -s "$BASE/health"
	assert_status 0
	meaning daemon "on $SOCK (repeater.defaults.daemon_enabled = true, $f:$5)"
	meaning resource "cmd:local:curl (derived from the command; repeater.defaults.resource_detection = false, $f:$6)"
	assert_eq "$(tool_counts cmd:local:curl)" "rpr=2/0"
	assert_eq "$(seen health "$from" | grep -c ' 200$')" 3

	run patience-daemon --config "$f" --check-config
	assert_status 0
	assert_eq "$output" "configuration OK (0 resource limits)"
	if ((metrics)); then
		curl -s http://127.0.0.1:9464/metrics >"$T/metrics"
		grep -qx "patience_executions_total{resource=\"cmd:local:curl\",uid=\"$(id -u)\",tool=\"rpr\",outcome=\"success\"} 2" "$T/metrics"
	fi
}

@test "config: the spec's TOML keys ([daemon] metrics_enabled, [patience.defaults], [repeater.defaults]) mean what they say" {
	cat >spec.toml <<-'EOF'
		[daemon]
		metrics_enabled = true

		[patience.defaults]
		daemon_enabled = true
		resource_detection = true

		[repeater.defaults]
		daemon_enabled = true
		resource_detection = false
	EOF
	spec_keys spec.toml 2 5 6 9 10
}

@test "config: the same as YAML, in the spec's tools: layout" {
	cat >spec.yaml <<-'EOF'
		daemon:
		  metrics_enabled: true
		tools:
		  patience:
		    defaults:
		      daemon_enabled: true
		      resource_detection: true
		  repeater:
		    defaults:
		      daemon_enabled: true
		      resource_detection: false
	EOF
	spec_keys spec.yaml 2 6 7 10 11
}

@test "config: coordination_enabled = false leaves the daemon to a --daemon flag; gcra spaces starts evenly" {
	cat >coord.toml <<-'EOF'
		[rate_limiting]
		default_algorithm = "gcra"
		coordination_enabled = false

		[patience.defaults]
		daemon_enabled = true
	EOF
	run --separate-stderr patience --config coord.toml --debug-config
	assert_status 0
	meaning daemon "off (patience.defaults.daemon_enabled = true, coord.toml:6) (coordination_enabled = false)"
	run --separate-stderr patience --config coord.toml --debug-config --daemon -r 5 -w 1s
	meaning daemon "on $SOCK (daemon_enabled = true, flag --daemon)"
	meaning limit "5 per 1s, evenly spaced starts (gcra)"
}

@test "with coordination_enabled = false, the nested patience of rpr --daemon still uses rpr's daemon" {
	printf '[rate_limiting]\ncoordination_enabled = false\n' >coord.toml
	export PATIENCE_CONFIG_FILE=coord.toml
	start_daemon
	run --separate-stderr rpr count -t 2 --daemon --resource-id outer -- patience --resource-id inner -- true
	assert_status 0
	assert_eq "$(tool_counts outer)" "rpr=2/0"
	assert_eq "$(tool_counts inner)" "patience=2/0"
}

@test "rpr --debug-config shows rpr's own flags (--daemon, --resource-id, --rate)" {
	run --separate-stderr rpr rate-limit --rate 5/1s --daemon --resource-id x --debug-config
	assert_status 0
	config_line daemon_enabled true "flag --daemon"
	config_line resource_id x "flag --resource-id"
	meaning daemon "on $SOCK (daemon_enabled = true, flag --daemon)"
}

@test "the for-this-run block says why the resource is what it is (named, or derived)" {
	run --separate-stderr patience --resource-id x --debug-config
	meaning resource "x (resource_id = x, flag --resource-id)"
}

@test "the for-this-run block shows the config file's limit for the resource" {
	write_design_toml design.toml
	run --separate-stderr patience --config design.toml --debug-config --daemon --dry-run -- \
		curl https://api.github.com/zen
	assert_contains "$(sed -n '/for this run/,$p' <<<"$stderr")" "5000 per 1h"
}

# --- 5. The variables -------------------------------------------------------

@test "PATIENCE_CONFIG_FILE and RPR_CONFIG_FILE (falling back to it) name the file each reads" {
	printf '[patience]\nmax_attempts = 4\n[repeater]\ncontinue_on_error = false\n' >p.toml
	printf '[patience]\nmax_attempts = 6\n[repeater]\ncontinue_on_error = true\n' >r.toml
	export PATIENCE_CONFIG_FILE=p.toml
	run --separate-stderr patience --debug-config
	config_line attempts 4 p.toml:2
	run --separate-stderr patience fixed -d 10ms -- exit_with 1
	assert_status 1
	assert_eq "$(calls)" 4
	# rpr falls back on it: continue_on_error = false stops at a failed run
	run --separate-stderr rpr count --debug-config -t 3 -- false
	config_line repeater.continue_on_error false p.toml:4
	assert_eq "$(rpr_summary)" "1 0 1"
	# RPR_CONFIG_FILE wins for rpr, and only for rpr
	export RPR_CONFIG_FILE=r.toml
	run --separate-stderr rpr count --debug-config -t 3 -- false
	config_line repeater.continue_on_error true r.toml:4
	assert_eq "$(rpr_summary)" "3 0 3"
	run --separate-stderr patience --debug-config
	config_line attempts 4 p.toml:2
	# an empty RPR_CONFIG_FILE counts as unset
	RPR_CONFIG_FILE='' run --separate-stderr rpr count --debug-config -t 1 -- true
	config_line repeater.continue_on_error false p.toml:4
	# a file that is not there is an error naming the variable
	RPR_CONFIG_FILE=nothere.toml run --separate-stderr rpr count -t 1 -- true
	assert_status 2
	assert_contains "$stderr" 'nothere.toml'
	assert_contains "$stderr" 'RPR_CONFIG_FILE'
}

@test "PATIENCE_LOG_LEVEL: error makes patience (and rpr) quiet, debug verbose" {
	run --separate-stderr patience fixed -q -d 10ms -a 2 -- sh -c 'echo out; exit 1'
	local quiet=$stderr
	PATIENCE_LOG_LEVEL=error run --separate-stderr patience fixed -d 10ms -a 2 -- sh -c 'echo out; exit 1'
	assert_status 1
	assert_eq "$output" "$(printf 'out\nout')"
	refute_contains "$stderr" "Attempt 1/2"
	assert_eq "$(sed 's/ in [0-9]*ms:/ in T:/' <<<"$stderr")" "$(sed 's/ in [0-9]*ms:/ in T:/' <<<"$quiet")"
	PATIENCE_LOG_LEVEL=info run --separate-stderr patience fixed -d 10ms -a 2 -- sh -c 'echo out; exit 1'
	assert_contains "$stderr" "[retry] Attempt 1/2 failed (exit code 1). Retrying in 10ms."
	refute_contains "$stderr" "[retry] Attempt 1/2 failed (exit code 1) after"
	PATIENCE_LOG_LEVEL=debug run --separate-stderr patience fixed -d 10ms -a 2 -- sh -c 'echo out; exit 1'
	assert_contains "$stderr" "[retry] Attempt 1/2 failed (exit code 1) after"
	assert_contains "$stderr" "[retry] Attempt 2/2 failed (exit code 1) after"
	PATIENCE_LOG_LEVEL=debug run --separate-stderr patience --debug-config
	config_line log_level debug "env PATIENCE_LOG_LEVEL"
	meaning output "verbose (verbose or log_level debug)"
	# rpr reads it when RPR_LOG_LEVEL is not set
	PATIENCE_LOG_LEVEL=error run --separate-stderr rpr count -t 2 -- false
	assert_status 1
	assert_eq "$stderr" ""
}

@test "RPR_LOG_LEVEL: error leaves rpr's statistics out, debug shows every run; it wins over PATIENCE_LOG_LEVEL, for rpr only" {
	RPR_LOG_LEVEL=error run --separate-stderr rpr count -t 2 -- sh -c 'echo out; exit 1'
	assert_status 1
	assert_eq "$output" "$(printf 'out\nout')"
	assert_eq "$stderr" ""
	RPR_LOG_LEVEL=debug PATIENCE_LOG_LEVEL=error run --separate-stderr rpr count -t 2 -- false
	assert_contains "$stderr" "rpr: run 1 exited 1 after"
	assert_contains "$stderr" "rpr: run 2 exited 1 after"
	assert_contains "$stderr" "rpr: 2 runs: 0 succeeded, 2 failed"
	RPR_LOG_LEVEL=debug run --separate-stderr rpr count --debug-config -t 1 -- true
	config_line log_level debug "env RPR_LOG_LEVEL"
	meaning output "verbose (verbose or log_level debug)"
	# patience does not read RPR_*
	RPR_LOG_LEVEL=error run --separate-stderr patience fixed -d 10ms -a 2 -- false
	assert_contains "$stderr" "Attempt 1/2 failed"
}

@test "RPR_DAEMON_SOCKET: rpr --daemon uses the daemon there, and so does its nested patience" {
	start_daemon # on the default socket: it must see nothing
	local other="$T/other/daemon.sock"
	mkdir -p "$T/other"
	"$PT_BIN/patience-daemon" --socket "$other" --state "$T/other/state.db" 2>>"$T/other.log" 3>&- &
	OTHER_SOCKS+=("$other")
	local i
	for ((i = 0; i < 100; i++)); do
		patience daemon status --daemon-socket "$other" >/dev/null 2>&1 && break
		sleep 0.05
	done
	export RPR_DAEMON_SOCKET=$other
	run --separate-stderr rpr count --debug-config --times 3 --daemon --resource-id env-socket -- \
		patience --resource-id env-socket-retry -- true
	assert_status 0
	config_line daemon_socket "$other" "env RPR_DAEMON_SOCKET"
	assert_contains "$stderr" "[config]   daemon     on $other ("
	assert_eq "$(rpr_summary)" "3 3 0"
	assert_eq "$(total_runs)" 0
	assert_eq "$(SOCK=$other tool_counts env-socket)" "rpr=3/0"
	assert_eq "$(SOCK=$other tool_counts env-socket-retry)" "patience=3/0"
}

# --- 6. The system-wide daemon ---------------------------------------------

@test "system-wide daemon: nobody's rpr uses it when no daemon of theirs answers; root's view shows none of it" {
	[[ $(id -u) -eq 0 ]] || skip "needs root to run a client as nobody"
	command -v setpriv >/dev/null || skip "setpriv not installed"
	# not in $T: bats' run directory is 0700, and nobody must reach the socket
	local top nrun
	top=$(mktemp -d /tmp/pt-int-sys.XXXXXX)
	nrun=$(mktemp -d /tmp/pt-int-nobody.XXXXXX)
	SYS_DIRS="$top $nrun"
	chmod 755 "$top"
	mkdir -m 755 "$top/sys"
	chown nobody "$nrun"
	chmod 700 "$nrun"
	SOCK="$top/sys/daemon.sock"
	start_daemon --socket "$SOCK" --socket-mode 0666 --state "$top/state.db"
	as_nobody() {
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
			env -i PATH="$PT_BIN:/usr/bin:/bin" HOME="$nrun" XDG_RUNTIME_DIR="$nrun" \
			XDG_CONFIG_HOME="$nrun/config" XDG_STATE_HOME="$nrun/state" \
			PATIENCE_SYSTEM_SOCKET="$SOCK" "$@"
	}
	run --separate-stderr as_nobody rpr count --times 3 --daemon --resource-id sys-test -- true
	assert_status 0
	assert_eq "$(rpr_summary)" "3 3 0"
	# no daemon was started in nobody's runtime directory
	assert_eq "$(ls -A "$nrun")" ""
	# nobody's runs, as nobody sees them
	run as_nobody socat -t 2 - "UNIX-CONNECT:$SOCK" <<<'{"v":1,"op":"metrics","resource":"sys-test"}'
	assert_eq "$(python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["tools"]["rpr"]["total"], d["summary"]["failed"])' <<<"$output")" "3 0"
	# root sees none of them
	assert_eq "$(total_runs)" 0
	assert_eq "$(ask '{"v":1,"op":"resources"}')" '{"ok":true,"resources":[]}'
}

# --- 2. The spec's limit test (started by setup_file) ----------------------

@test "limit: three rpr count --times 20 --every 1s --daemon --resource-id test-api -- stamp, test-api 10 per minute: 10 runs in the first minute" {
	local d=$LIMIT_DIR i t
	for ((i = 0; i < 900; i++)); do
		[[ -f $d/rc1 && -f $d/rc2 && -f $d/rc3 ]] && break
		sleep 0.1
	done
	for i in 1 2 3; do
		echo "# rpr $i: $(rpr_summary "$(cat "$d/err$i")")" >&3
		assert_eq "$(cat "$d/rc$i")" 130
		# it says once that it waits for the limit
		assert_eq "$(grep -c 'waits' "$d/err$i")" 1
		grep -Eq '^rpr: run [0-9]+ waits [0-9.a-z]+ for the limit of "test-api" \(10 per 1m, held by patience-daemon\); runs start as it allows$' "$d/err$i"
	done
	run "$PT_BIN/window_check" 10 60000 "$d/starts.log"
	echo "# $output" >&3
	assert_status 0
	assert_contains "$output" "fullest window 10 of limit 10"
	# 10 starts within 60 s of the first; the next minute's came after it
	run python3 - "$d/starts.log" <<-'EOF'
		import sys
		t = sorted(int(l) for l in open(sys.argv[1]) if l.strip())
		print(sum(1 for x in t if x < t[0] + 60e9), len(t))
	EOF
	assert_eq "${output% *}" 10
	t=${output#* }
	assert_between "$t" 11 20
	# the daemon counted every run stamp logged, and so did the three rpr
	SOCK="$d/run/patience/daemon.sock"
	assert_eq "$(tool_counts test-api)" "rpr=$t/$t"
	local sum=0 s
	for i in 1 2 3; do
		s=$(rpr_summary "$(cat "$d/err$i")")
		sum=$((sum + ${s%% *}))
	done
	assert_eq "$sum" "$t"
	run patience daemon status test-api --daemon-socket "$SOCK"
	assert_contains "$output" "limit       10 per 1m (from config)"
}
