#!/usr/bin/env bats
# Many hosts, one limit: four daemons (four "hosts", each on its own socket
# and state file) share one resource through a real redis-server started
# here on a Unix socket or 127.0.0.1, and stopped at the end. The attempts
# run $PT_BIN/stamp, which logs its own start; window_check is the observer.

load helpers
load redis_helpers

setup() {
	common_setup
	command -v redis-server >/dev/null || skip "redis-server is not installed"
	export LOG="$T/starts.log"
	REDIS_PIDS=()
	DAEMON_PIDS=()
}

teardown() {
	local p
	for p in "${DAEMON_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	stop_redis
	common_teardown
}

# free_port: a TCP port P on 127.0.0.1 that nothing uses now, nor P+10000
# (a cluster node's bus port), with P+10000 below 65536.
free_port() {
	python3 - <<-'EOF'
		import random, socket
		while True:
		    p = random.randint(20000, 55000)
		    try:
		        for q in (p, p + 10000):
		            with socket.socket() as s:
		                s.bind(("127.0.0.1", q))
		        print(p)
		        break
		    except OSError:
		        pass
	EOF
}

# start_daemons N BACKEND: daemons 1..N on $T/dK/daemon.sock with their own state.
start_daemons() {
	local n=$1 backend=$2 k i
	for ((k = 1; k <= n; k++)); do
		"$PT_BIN/patience-daemon" --socket "$T/d$k/daemon.sock" --state "$T/d$k/state.db" \
			--backend "$backend" --log-level debug 2>>"$T/daemon$k.log" 3>&- &
		DAEMON_PIDS+=("$!")
	done
	for ((k = 1; k <= n; k++)); do
		for ((i = 0; i < 100; i++)); do
			status_of "$k" | grep -q '"mode":"redis"' && break
			sleep 0.05
		done
		status_of "$k" | grep -q '"mode":"redis"' || {
			echo "daemon $k did not join Redis:" >&2
			cat "$T/daemon$k.log" >&2
			return 1
		}
	done
}

status_of() { printf '{"v":1,"op":"status"}\n' | socat -t 2 - "UNIX-CONNECT:$T/d$1/daemon.sock" 2>/dev/null; }

# fleet N_DAEMONS N_PER ATTEMPTS [WINDOW]: N_PER patience processes on each
# daemon, each running stamp ATTEMPTS times as fast as 40 per WINDOW (2s)
# allows.
fleet() {
	local n=$1 per=$2 attempts=$3 window=${4:-2s} k i
	FLEET=()
	for ((k = 1; k <= n; k++)); do
		for ((i = 0; i < per; i++)); do
			"$PT_BIN/patience" fixed -d 0 -a "$attempts" -r 40 -w "$window" --daemon \
				--daemon-socket "$T/d$k/daemon.sock" --no-daemon-auto-start \
				--resource-id test:fleet -q -- "$PT_BIN/stamp" 2>>"$T/clients.err" 3>&- &
			FLEET+=("$!")
			BG_PIDS+=("$!")
		done
	done
}

# wait_fleet: every client has ended (stamp fails, so each exits 1).
wait_fleet() { wait_failed "${FLEET[@]}"; }

# fleet_under_load: 32 clients (8 on each of 4 daemons) retry without end
# for 12 s; the observer finds no window over 40 and >= 95% used.
fleet_under_load() {
	fleet 4 8 1000
	sleep 12
	stop_fleet
	check_windows --min-utilization 95
}

# check_windows [ARGS...]: the observer on $LOG, 40 per 2 s; on failure the
# daemons' warnings tell what happened.
check_windows() {
	run "$PT_BIN/window_check" 40 2000 "$LOG" "$@"
	echo "$output" >&3
	if [[ $status != 0 ]]; then
		grep -h -E 'warn|error|back after' "$T"/daemon*.log | head -40 >&2
	fi
	assert_status 0
}

stop_fleet() {
	kill -TERM "${FLEET[@]}" 2>/dev/null || true
	local p
	for p in "${FLEET[@]}"; do
		wait "$p" || true
	done
}

@test "four daemons on one Redis: 32 clients, no 2s window over 40, >= 95% used" {
	start_redis r
	start_daemons 4 "unix://$T/r/redis.sock"
	fleet_under_load
	refute_contains "$(cat "$T/clients.err")" "local limits"
	assert_contains "$(cat "$T/daemon1.log")" ", redis)"
}

@test "three daemons on one Redis: 24 processes retrying 6 times, 40 per 1s: no window over, >= 93% used" {
	start_redis r
	start_daemons 3 "unix://$T/r/redis.sock"
	fleet 3 8 6 1s
	wait_fleet
	run "$PT_BIN/window_check" 40 1000 "$LOG" --min-utilization 93
	echo "$output" >&3
	assert_status 0
	assert_contains "$output" "starts 144,"
	refute_contains "$(cat "$T/clients.err")" "unavailable"
}

@test "redis-server stopped for 3s mid-run and started again: no window over, every client ends" {
	local port
	port=$(free_port)
	start_redis r --port "$port" --dbfilename dump.rdb
	start_daemons 4 "redis://127.0.0.1:$port/0"
	fleet 4 8 8
	sleep 4
	redis-cli -p "$port" shutdown save >/dev/null 2>&1 || true
	sleep 3
	start_redis r --port "$port" --dbfilename dump.rdb
	wait_fleet
	check_windows
	[[ $(wc -l <"$LOG") == 256 ]]
	local k
	for ((k = 1; k <= 4; k++)); do
		assert_contains "$(cat "$T/daemon$k.log")" "granting on local limits"
		assert_contains "$(cat "$T/daemon$k.log")" "redis: back after"
		status_of "$k" | grep -q '"mode":"redis"'
	done
}

@test "redis-server hung (SIGSTOP) for 3s: the 200ms timeout takes over, no window over" {
	start_redis r
	start_daemons 4 "unix://$T/r/redis.sock"
	fleet 4 8 8
	sleep 4
	kill -STOP "${REDIS_PIDS[0]}"
	sleep 1
	# the daemons say so
	status_of 1 | grep -q '"mode":"outage"'
	run --separate-stderr "$PT_BIN/patience" daemon status --daemon-socket "$T/d1/daemon.sock"
	assert_contains "$output" "redis: OUTAGE for"
	# a client is told, with -v, where its grant came from
	"$PT_BIN/patience" fixed -a 1 -v -r 40 -w 2s --daemon --daemon-socket "$T/d1/daemon.sock" \
		--no-daemon-auto-start --resource-id test:told -- true 2>"$T/told.err" 3>&- &
	local told=$!
	sleep 2
	kill -CONT "${REDIS_PIDS[0]}"
	wait_fleet
	wait "$told"
	assert_contains "$(cat "$T/told.err")" "cannot reach its Redis backend"
	run --separate-stderr "$PT_BIN/patience" daemon status --daemon-socket "$T/d1/daemon.sock"
	assert_contains "$output" "redis: redis (4 daemons sharing)"
	run "$PT_BIN/window_check" 40 2000 "$LOG"
	echo "$output" >&3
	assert_status 0
	[[ $(wc -l <"$LOG") == 256 ]]
}

@test "a three-master Redis Cluster: four daemons, no window over 40, >= 95% used" {
	local ports=() k
	for k in 1 2 3; do
		ports+=("$(free_port)")
	done
	for k in 0 1 2; do
		start_redis "c$k" --port "${ports[$k]}" --cluster-enabled yes \
			--cluster-config-file "$T/c$k/nodes.conf"
	done
	redis-cli --cluster create "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" \
		"127.0.0.1:${ports[2]}" --cluster-replicas 0 --cluster-yes >"$T/cluster.log" 2>&1
	for ((k = 0; k < 100; k++)); do
		redis-cli -p "${ports[0]}" cluster info | grep -q 'cluster_state:ok' && break
		sleep 0.1
	done
	start_daemons 4 "redis://127.0.0.1:${ports[1]}"
	assert_contains "$(cat "$T/daemon1.log")" "(cluster,"
	fleet_under_load
	# the resource's keys live on one master, whichever the slot says
	local total=0
	for k in 0 1 2; do
		total=$((total + $(redis-cli -p "${ports[$k]}" dbsize)))
	done
	((total >= 2))
}

@test "bad backend URLs are refused with the value and what was expected" {
	run --separate-stderr "$PT_BIN/patience-daemon" --backend "http://x" --check-config
	assert_status 125
	assert_contains "$stderr" '"http://x"'
	assert_contains "$stderr" "redis://"
	run --separate-stderr "$PT_BIN/patience-daemon" --backend "redis://h:99999" --check-config
	assert_status 125
	assert_contains "$stderr" "port"
	PATIENCE_BACKEND="rediss://h" run --separate-stderr "$PT_BIN/patience-daemon" --check-config
	assert_status 125
	assert_contains "$stderr" "TLS"
}

@test "NOSCRIPT: a flushed script cache is refilled and grants go on through Redis" {
	start_redis r
	start_daemons 1 "unix://$T/r/redis.sock"
	redis-cli -s "$T/r/redis.sock" script flush >/dev/null
	run --separate-stderr "$PT_BIN/patience" fixed -a 3 -d 0 -r 5 -w 1s --daemon \
		--daemon-socket "$T/d1/daemon.sock" --no-daemon-auto-start --resource-id test:flush \
		-- "$PT_BIN/stamp"
	assert_status 1
	[[ $(wc -l <"$LOG") == 3 ]]
	refute_contains "$(cat "$T/daemon1.log")" "granting on local limits"
	assert_contains "$(cat "$T/daemon1.log")" ", redis)"
}
