# redis-server for the end-to-end tests that need one (load after helpers):
# each test's servers live in $T and are gone when it ends. The caller sets
# REDIS_PIDS=() in setup and calls stop_redis in teardown.

# start_redis NAME [ARGS...]: redis-server in $T/NAME, on $T/NAME/redis.sock
# (and only there unless ARGS give a port), until it answers PING.
start_redis() {
	local dir="$T/$1" i
	shift
	mkdir -p "$dir"
	(cd "$dir" && exec redis-server --bind 127.0.0.1 --port 0 --unixsocket "$dir/redis.sock" \
		--save '' --appendonly no --dir "$dir" --logfile "$dir/redis.log" "$@" 3>&-) &
	REDIS_PIDS+=("$!")
	for ((i = 0; i < 100; i++)); do
		redis-cli -s "$dir/redis.sock" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.05
	done
	echo "redis-server did not come up" >&2
	cat "$dir/redis.log" >&2
	return 1
}

# stop_redis: every server start_redis started, even a stopped (SIGSTOP) one.
stop_redis() {
	local p
	for p in "${REDIS_PIDS[@]}"; do
		kill -CONT "$p" 2>/dev/null || true
		kill -KILL "$p" 2>/dev/null || true
	done
}
