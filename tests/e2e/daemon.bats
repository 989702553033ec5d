#!/usr/bin/env bats
# patience-daemon with real patience clients: one shared limit per resource,
# checked by an independent observer (each attempt logs its own start time).

load helpers

setup() {
	common_setup
	export XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state"
	SOCK="$XDG_RUNTIME_DIR/patience/daemon.sock"
	STATE="$XDG_STATE_HOME/patience/state.db"
	# The attempts run $PT_BIN/stamp: it logs its start (CLOCK_REALTIME ns)
	# to $LOG and fails, so that patience retries.
	export LOG="$T/starts.log"
}

# The clients first: one that lost its daemon would start another.
teardown() {
	common_teardown
	kill_daemon
}

daemon_pid() { cat "${SOCK%/*}/daemon.pid" 2>/dev/null || true; }

# crowd N [patience options...]: N patience processes at once, each retrying
# stamp without end under 20 starts per 2 s through the daemon, so that
# demand stays above the limit until stop_crowd.
crowd() {
	local n=$1 i
	shift
	CROWD=()
	for ((i = 0; i < n; i++)); do
		"$PT_BIN/patience" fixed -d 0 -a 1000 -r 20 -w 2s --daemon \
			--resource-id test:shared -q "$@" -- "$PT_BIN/stamp" 2>>"$T/clients.err" 3>&- &
		CROWD+=("$!")
		BG_PIDS+=("$!")
	done
}

stop_crowd() {
	local p
	kill -TERM "${CROWD[@]}" 2>/dev/null || true
	for p in "${CROWD[@]}"; do
		wait "$p" || true
	done
}

@test "32 processes share 20 starts per 2s: no window over, >= 95% used" {
	start_daemon
	crowd 32
	sleep 13
	stop_crowd
	run "$PT_BIN/window_check" 20 2000 "$LOG" --min-utilization 95
	echo "$output" >&3
	assert_status 0
	refute_contains "$(cat "$T/clients.err")" "unavailable"
}

@test "the daemon killed with -9 mid-run comes back with its grants: no violation" {
	start_daemon
	crowd 32
	sleep 5
	local old
	old=$(daemon_pid)
	kill -KILL "$old"
	# The clients' auto-start and this restart race; either way one daemon
	# on the same state file serves the rest.
	"$PT_BIN/patience" daemon start >/dev/null
	sleep 8
	stop_crowd
	run "$PT_BIN/window_check" 20 2000 "$LOG" --min-utilization 95
	echo "$output" >&3
	assert_status 0
	local new
	new=$(daemon_pid)
	[[ -n $new && $new != "$old" ]]
	refute_contains "$(cat "$T/clients.err")" "using local limits"
}

@test "a grant survives kill -9: the restarted daemon holds exactly what it had" {
	start_daemon
	# A client that keeps its connection (a closed one gives its starts back).
	coproc HOLDER { socat - "UNIX-CONNECT:$SOCK" 3>&-; }
	local reply
	echo '{"v":1,"op":"acquire","resource":"keep","limit":3,"window_ms":3600000,"offsets_ms":[0,600000]}' >&"${HOLDER[1]}"
	read -r reply <&"${HOLDER[0]}"
	assert_contains "$reply" '"ok":true'
	echo '{"v":1,"op":"acquire","resource":"keep","limit":3,"window_ms":3600000,"offsets_ms":[0]}' >&"${HOLDER[1]}"
	read -r reply <&"${HOLDER[0]}"
	assert_contains "$reply" '"ok":true'
	local before
	before=$(ask '{"v":1,"op":"resources"}' | sed 's/"next_free_ms":[0-9]*//')
	assert_contains "$before" '"reserved":1,"in_window":2'
	kill -KILL "$(daemon_pid)"
	kill "$HOLDER_PID" 2>/dev/null || true
	start_daemon
	run ask '{"v":1,"op":"resources"}'
	assert_eq "$(sed 's/"next_free_ms":[0-9]*//' <<<"$output")" "$before"
	# Full for the hour: a fourth start in the window must wait.
	run ask '{"v":1,"op":"acquire","resource":"keep","limit":3,"window_ms":3600000,"max_wait_ms":1000}'
	assert_contains "$output" '"wait_too_long"'
}

@test "no daemon and auto-start off: one warning, then the host's shared limits" {
	run --separate-stderr patience fixed -d 0 -a 4 -r 2 -w 1s --daemon --no-daemon-auto-start \
		--resource-id test:local --json -- "$PT_BIN/stamp"
	assert_status 1
	assert_eq "$(grep -c 'daemon unavailable' <<<"$stderr")" 1
	assert_contains "$stderr" "using the host's shared limits ($SOCK.starts)"
	assert_contains "$stderr" '"granted_by":"host"'
	[[ -f $SOCK.starts ]]
	run "$PT_BIN/window_check" 2 1000 "$LOG"
	assert_status 0
	assert_contains "$output" "starts 4,"
	[[ ! -S $SOCK ]]
}

@test "PATIENCE_DAEMON_* variables and config keys choose the daemon" {
	PATIENCE_DAEMON_ENABLED=true PATIENCE_DAEMON_AUTO_START=false \
		PATIENCE_DAEMON_SOCKET="$T/none.sock" run --separate-stderr \
		patience fixed -a 1 -r 2 -w 1s -- true
	assert_status 0
	assert_contains "$stderr" "$T/none.sock"
	printf 'daemon_enabled = true\ndaemon_auto_start = true\ndaemon_socket = "%s"\n' \
		"$SOCK" >"$T/.patience.toml"
	run --separate-stderr patience fixed -a 1 -r 2 -w 1s --resource-id from:config -- true
	assert_status 0
	refute_contains "$stderr" "unavailable"
	run patience daemon status
	assert_status 0
	assert_contains "$output" "from:config"
	# patience daemon finds the socket the same way.
	PATIENCE_DAEMON_SOCKET="$T/none.sock" run patience daemon status
	assert_status 1
	assert_contains "$output" "no patience-daemon on $T/none.sock"
}

@test "auto-start brings up a detached daemon; daemon stop/status/restart" {
	run patience daemon status
	assert_status 1
	assert_contains "$output" "no patience-daemon"
	run --separate-stderr patience dio -r 3 -w 1s -o 0,100ms --daemon --resource-id t:auto -v -- true
	assert_status 0
	refute_contains "$stderr" "unavailable"
	assert_contains "$stderr" 'Sharing "t:auto" through patience-daemon.'
	local pid
	pid=$(daemon_pid)
	[[ -n $pid ]] && alive "$pid"
	run patience daemon status
	assert_status 0
	assert_contains "$output" "t:auto"
	assert_contains "$output" "3 per 1s"
	run patience daemon status --json
	assert_eq "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["pid"])' <<<"$output")" "$pid"
	run patience daemon restart
	assert_status 0
	[[ $(daemon_pid) != "$pid" ]]
	! alive "$pid"
	run patience daemon stop
	assert_status 0
	assert_contains "$output" "stopped"
	[[ ! -S $SOCK ]]
	run patience daemon frobnicate
	assert_status 125
	assert_contains "$output" "frobnicate"
}

@test "an auto-started daemon reads PATIENCE_CONFIG_FILE (relative, YAML) as its client does" {
	printf 'rate_limiting:\n  resources:\n    "t:cfg": {limit: 7, window: 1m}\n' >d.yaml
	PATIENCE_CONFIG_FILE=d.yaml run --separate-stderr patience fixed -a 1 -r 3 -w 1s --daemon \
		--resource-id t:cfg -- true
	assert_status 0
	refute_contains "$stderr" "unavailable"
	run patience daemon status
	assert_contains "$output" "7 per 1m (from config)"
}

@test "a second daemon on the same socket refuses, naming the first" {
	start_daemon
	run --separate-stderr "$PT_BIN/patience-daemon"
	assert_status 1
	assert_contains "$stderr" "another daemon (pid $(daemon_pid)) is serving $SOCK"
	run patience daemon status
	assert_status 0
}

@test "socket 0600 in a 0700 directory; SIGTERM removes it and exits 0" {
	start_daemon
	assert_eq "$(stat -c %a "$XDG_RUNTIME_DIR/patience")" 700
	assert_eq "$(stat -c %a "$SOCK")" 600
	local pid
	pid=$(daemon_pid)
	kill -TERM "$pid"
	local i
	for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.05; done
	! alive "$pid"
	[[ ! -e $SOCK ]]
	grep -q "stopped" "$T/daemon.log" || grep -qi "exit" "$T/daemon.log"
}

@test "junk, wrong types and oversized lines get errors; the daemon serves on" {
	start_daemon
	run ask 'this is not json'
	assert_contains "$output" '"code":"bad_json"'
	run ask '{"v":1,"op":"acquire","resource":7}'
	assert_contains "$output" '"code":"bad_request"'
	assert_contains "$output" 'resource'
	run ask '{"v":9,"op":"hello"}'
	assert_contains "$output" '"code":"unsupported_version"'
	run ask '{"v":1,"op":"explode"}'
	assert_contains "$output" '"code":"unknown_op"'
	run ask '{"v":1,"op":"acquire","resource":"x","limit":1e300,"window_ms":1000}'
	assert_contains "$output" '"code":"bad_request"'
	run ask '{"v":1,"op":"acquire","resource":"x","limit":1,"window_ms":1000,"offsets_ms":[0,500]}'
	assert_contains "$output" '"code":"infeasible"'
	# 200 KiB without a newline, then a good request on the same connection.
	run sh -c "{ head -c 200000 /dev/zero | tr '\\0' x; printf '\\n{\"v\":1,\"op\":\"hello\"}\\n'; } |
		socat -t 2 - UNIX-CONNECT:$SOCK"
	assert_contains "${lines[0]}" '"code":"line_too_long"'
	assert_contains "${lines[1]}" '"ok":true'
	head -c 100000 /dev/urandom | socat -t 1 - "UNIX-CONNECT:$SOCK" >/dev/null || true
	run patience fixed -a 1 -r 2 -w 1s --daemon --no-daemon-auto-start -- true
	assert_status 0
	refute_contains "$output" "unavailable"
	alive "$(daemon_pid)"
}

@test "1,000 idle connections: the daemon still serves a client promptly" {
	start_daemon
	coproc FLOOD { "$PT_BIN/sock_flood" "$SOCK" 1000 3>&-; }
	local line flood=$FLOOD_PID
	read -r line <&"${FLOOD[0]}"
	assert_eq "$line" "open 1000"
	local t0
	t0=$(now_ms)
	run --separate-stderr patience fixed -a 1 -r 2 -w 1s --daemon --no-daemon-auto-start -- true
	assert_status 0
	refute_contains "$stderr" "unavailable"
	(($(now_ms) - t0 < 1000))
	run patience daemon status
	assert_contains "$output" "clients    1001 of 1024"
	exec {FLOOD[1]}>&-
	wait "$flood" || true
}

@test "max clients: one too many is told too_many_clients, the rest are served" {
	start_daemon --max-clients 3
	coproc FLOOD { "$PT_BIN/sock_flood" "$SOCK" 3 3>&-; }
	local line
	local flood=$FLOOD_PID
	read -r line <&"${FLOOD[0]}"
	run patience daemon status
	assert_status 1
	assert_contains "$output" "too_many_clients"
	exec {FLOOD[1]}>&-
	wait "$flood" || true
	sleep 0.2
	run ask '{"v":1,"op":"hello"}'
	assert_contains "$output" '"ok":true'
}

@test "config limits win over acquire; SIGHUP reloads them" {
	printf '[rate_limiting.resources]\n"api:external:*" = { limit = 7, window = "1m" }\n' \
		>"$T/daemon.toml"
	start_daemon --config "$T/daemon.toml"
	run ask '{"v":1,"op":"acquire","resource":"api:external:example.com","limit":100,"window_ms":1000}'
	assert_contains "$output" '"limit":7,"window_ms":60000'
	run ask '{"v":1,"op":"set_limit","resource":"api:external:example.com","limit":9,"window_ms":1000}'
	assert_contains "$output" '"code":"bad_request"'
	printf '[rate_limiting.resources]\n"api:external:*" = { limit = 8, window = "1m" }\n' \
		>"$T/daemon.toml"
	kill -HUP "$(daemon_pid)"
	sleep 0.3
	run patience daemon status
	assert_contains "$output" "8 per 1m (from config)"
	run "$PT_BIN/patience-daemon" --check-config --config "$T/daemon.toml"
	assert_status 0
	printf '[rate_limiting.resources]\n"x" = { limit = 0, window = "1m" }\n' >"$T/bad.toml"
	run --separate-stderr "$PT_BIN/patience-daemon" --check-config --config "$T/bad.toml"
	assert_status 125
	assert_contains "$stderr" "bad.toml:2"
}

@test "another uid cannot see, fill or release my resources" {
	[[ $(id -u) -eq 0 ]] || skip "needs root to run a client as nobody"
	command -v setpriv >/dev/null || skip "setpriv not installed"
	local dir
	dir=$(mktemp -d /tmp/pt-tenancy.XXXXXX)
	chmod 755 "$dir"
	SOCK="$dir/d.sock"
	start_daemon --socket "$SOCK" --socket-mode 0666
	coproc HOLDER { socat - "UNIX-CONNECT:$SOCK" 3>&-; }
	local reply id
	echo '{"v":1,"op":"acquire","resource":"mine","limit":2,"window_ms":3600000,"offsets_ms":[0,1800000]}' >&"${HOLDER[1]}"
	read -r reply <&"${HOLDER[0]}"
	id=$(sed -n 's/.*"reservation":\([0-9]*\).*/\1/p' <<<"$reply")
	[[ -n $id ]]
	as_nobody() {
		printf '%s\n' "$1" | setpriv --reuid=nobody --regid=nogroup --clear-groups \
			socat -t 2 - "UNIX-CONNECT:$SOCK"
	}
	run as_nobody '{"v":1,"op":"resources"}'
	assert_eq "$output" '{"ok":true,"resources":[]}'
	run as_nobody "{\"v\":1,\"op\":\"release\",\"reservation\":$id}"
	assert_contains "$output" '"code":"not_found"'
	# nobody's "mine" is a resource of its own: not full, granted at once.
	run as_nobody '{"v":1,"op":"acquire","resource":"mine","limit":1,"window_ms":3600000,"max_wait_ms":0}'
	assert_contains "$output" '"ok":true'
	run ask '{"v":1,"op":"resources"}'
	assert_contains "$output" '"limit":2'
	assert_contains "$output" '"reserved":1'
	run ask "{\"v\":1,\"op\":\"release\",\"reservation\":$id}"
	assert_contains "$output" '"released":1'
	kill "$HOLDER_PID" 2>/dev/null || true
	kill -TERM "$(cat "$dir/daemon.pid")"
	sleep 0.2
	rm -rf "$dir"
}

@test "the systemd user unit verifies" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
	sed "s|%h/.local/bin/patience-daemon|$PT_BIN/patience-daemon|" \
		"$PT_SRC/packaging/patience-daemon.service" >"$T/patience-daemon.service"
	# Its Documentation= pages must be found too.
	mkdir -p "$T/man/man1"
	ln -s "$PT_SRC"/docs/*.1 "$T/man/man1/"
	MANPATH="$T/man" run systemd-analyze verify "$T/patience-daemon.service"
	echo "$output"
	assert_status 0
}

@test "the daemon's limit governs: a refusal stops the run (125), a different limit is named" {
	start_daemon
	run ask '{"v":1,"op":"set_limit","resource":"test:one","limit":1,"window_ms":1000}'
	assert_contains "$output" '"ok":true'
	run --separate-stderr patience dio -r 5 -w 1s -o 0,100ms --daemon --resource-id test:one -- "$PT_BIN/stamp"
	assert_status 125
	assert_contains "$stderr" 'the daemon refused "test:one": daemon: infeasible'
	refute_contains "$stderr" "local limits"
	[[ ! -e $LOG ]]
	run --separate-stderr patience fixed -a 2 -d 0 -r 5 -w 1s --daemon --resource-id test:one -- "$PT_BIN/stamp"
	assert_status 1
	assert_contains "$stderr" 'the daemon holds "test:one" at 1 per 1s (guard 20ms), which applies instead of 5 per 1s'
	run "$PT_BIN/window_check" 1 1000 "$LOG"
	assert_status 0
}

@test "a diophantine run that started on the host's shared limits moves to the daemon when it comes" {
	"$PT_BIN/patience" dio -r 5 -w 10s -o 0,1s,2s --daemon --no-daemon-auto-start --json \
		--resource-id test:late -- "$PT_BIN/stamp" 2>"$T/dio.err" 3>&- &
	local runner=$!
	BG_PIDS+=("$runner")
	sleep 0.5
	start_daemon
	wait "$runner" || true
	assert_eq "$(grep -c "using the host's shared limits" "$T/dio.err")" 1
	assert_eq "$(wc -l <"$LOG")" 3
	# --json says who granted each start.
	assert_contains "$(tail -n 1 "$T/dio.err")" '"attempt":1,"outcome":"failed"'
	assert_eq "$(tail -n 1 "$T/dio.err" | python3 -c 'import json,sys; print(" ".join(a["granted_by"] for a in json.load(sys.stdin)["attempt_log"]))')" "host daemon daemon"
	# Attempts 2 and 3 were granted by the daemon, which took in attempt 1's
	# start from the host's file when it started: it knows all three.
	run ask '{"v":1,"op":"resources"}'
	assert_contains "$output" '"resource":"test:late"'
	assert_contains "$output" '"in_window":3'
	assert_contains "$(cat "$T/daemon.log")" 'took 1 starts of "test:late" made while no daemon ran'
}

@test "--guard sets the guard of a resource the daemon creates" {
	start_daemon
	run --separate-stderr patience fixed -a 1 -r 2 -w 1s --guard 200ms --daemon --resource-id t:guard -- true
	assert_status 0
	run ask '{"v":1,"op":"resources"}'
	assert_contains "$output" '"resource":"t:guard","limit":2,"window_ms":1000,"guard_ms":200'
	# Another guard for it now is named, not applied.
	run --separate-stderr patience fixed -a 1 -r 2 -w 1s --guard 50ms --daemon --resource-id t:guard -- true
	assert_contains "$stderr" '(guard 200ms)'
}

@test "an idle connection is closed after --idle-timeout; one waiting for its start is not" {
	start_daemon --idle-timeout 300ms
	sleep 5 3>&- | socat -t 0.1 - "UNIX-CONNECT:$SOCK" 3>&- &
	local idle=$!
	coproc HOLDER { socat - "UNIX-CONNECT:$SOCK" 3>&-; }
	local reply
	echo '{"v":1,"op":"acquire","resource":"wait","limit":2,"window_ms":60000,"offsets_ms":[0,30000]}' >&"${HOLDER[1]}"
	read -r reply <&"${HOLDER[0]}"
	assert_contains "$reply" '"ok":true'
	sleep 1
	! alive "$idle"
	echo '{"v":1,"op":"hello"}' >&"${HOLDER[1]}"
	read -r reply <&"${HOLDER[0]}"
	assert_contains "$reply" '"ok":true'
	kill "$HOLDER_PID" 2>/dev/null || true
}

@test "rpr rate-limit and patience share one limit through the daemon" {
	start_daemon
	"$PT_BIN/rpr" rate-limit -r 10/1s --daemon -t 25 -q --resource-id test:mixed -- "$PT_BIN/stamp" \
		2>"$T/rpr.err" 3>&- &
	local rpr_pid=$!
	run --separate-stderr patience fixed -d 0 -a 25 -r 10 -w 1s --daemon --resource-id test:mixed -q -- "$PT_BIN/stamp"
	wait "$rpr_pid" || true
	run "$PT_BIN/window_check" 10 1000 "$LOG"
	echo "$output" >&3
	assert_status 0
	assert_contains "$output" "starts 50,"
	refute_contains "$(cat "$T/rpr.err")" "unavailable"
}
