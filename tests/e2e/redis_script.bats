#!/usr/bin/env bats
# The daemon's Lua scheduler (src/daemon/redis_scheduler.lua) against the C
# library's on a real redis-server: $PT_BIN/redis_dio_check runs random
# acquires through the script and checks each base it chose against
# pt_dio_find over the same starts at Redis's own now, and the rule in every
# window. No redis-server is a failure, not a skip: CI installs it.

load helpers
load redis_helpers

setup() {
	common_setup
	REDIS_PIDS=()
	if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
		echo "redis-server and redis-cli are needed and not installed" >&2
		return 1
	fi
	LUA="$PT_SRC/src/daemon/redis_scheduler.lua"
}

teardown() {
	stop_redis
	common_teardown
}

@test "redis script: every Lua acquire picks the C library's base and keeps the rule" {
	start_redis r
	local seed
	for seed in 20261201 2 3; do
		run -0 "$PT_BIN/redis_dio_check" "$T/r/redis.sock" "$LUA" 3000 "$seed"
		echo "$output"
		assert_contains "$output" "seed $seed, 3000 rounds, 0 mismatches, 0 violations"
	done
}

@test "redis script: the check catches a Lua scheduler that jumps 1 ms too far" {
	start_redis r
	sed 's/first_res\[j\] + span - lnew/first_res[j] + span - lnew + 1/' "$LUA" >"$T/broken.lua"
	run ! cmp -s "$T/broken.lua" "$LUA"
	run -1 "$PT_BIN/redis_dio_check" "$T/r/redis.sock" "$T/broken.lua" 300
	assert_contains "$output" "mismatch in round"
	assert_contains "$output" "least base by brute force"
}
