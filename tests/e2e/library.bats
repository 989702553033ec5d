#!/usr/bin/env bats
# libpatience from a program: the examples (examples/*.c, built against the
# build's libpatience.so) share a resource with patience through one
# daemon, or through the host's starts file and lock files without one.
# The observers are independent of both: stamp logs its own exec time and
# window_check reads the log; each leased command logs its own start and
# end. Last, the library installed to a prefix: the examples built against
# it with pkg-config (scripts/build-examples), and run.

load helpers

setup() {
	common_setup
	export XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state"
	SOCK="$XDG_RUNTIME_DIR/patience/daemon.sock"
	export LOG="$T/starts.log"
	EX="${PT_BUILD:?PT_BUILD: the build directory (tests/CMakeLists.txt)}/examples"
}

teardown() {
	common_teardown
	kill_daemon
}

# both N LIMIT [patience options...]: the example and patience at once, N
# starts each of stamp under LIMIT per 1 s of test:library; both must end
# as stamp makes them (status 1: its every run fails).
both() {
	local n=$1 limit=$2 ex pt
	shift 2
	"$EX/rate_limited_run" -n "$n" -r "$limit" -w 1000 test:library "$PT_BIN/stamp" \
		2>>"$T/example.err" 3>&- &
	ex=$!
	"$PT_BIN/patience" fixed -d 0 -a "$n" -r "$limit" -w 1s --daemon --resource-id test:library \
		-q "$@" -- "$PT_BIN/stamp" 2>>"$T/patience.err" 3>&- &
	pt=$!
	BG_PIDS+=("$ex" "$pt")
	wait_failed "$ex" "$pt" || { cat "$T/example.err" "$T/patience.err" >&2; return 1; }
}

@test "the example and patience share one limit through one daemon: no window over, the daemon counts both" {
	start_daemon
	both 20 10
	run "$PT_BIN/window_check" 10 1000 "$LOG" --min-utilization 90
	echo "$output" >&3
	assert_status 0
	assert_contains "$output" "starts 40,"
	refute_contains "$(cat "$T/example.err" "$T/patience.err")" "unavailable"
	run "$PT_BIN/patience" daemon status test:library --daemon-socket "$SOCK"
	assert_contains "$output" "rate_limited_run 20 runs, 20 failed"
	assert_contains "$output" "patience   20 runs, 20 failed"
}

@test "no daemon: the example and patience share the host's starts file, each says so once" {
	both 10 5 --no-daemon-auto-start
	run "$PT_BIN/window_check" 5 1000 "$LOG"
	echo "$output" >&3
	assert_status 0
	assert_contains "$output" "starts 20,"
	[ "$(grep -c "daemon unavailable.*host's shared limits" "$T/example.err")" -eq 1 ]
	[ "$(grep -c "daemon unavailable.*host's shared limits" "$T/patience.err")" -eq 1 ]
	[[ -f $SOCK.starts ]]
}

# job SECONDS: logs "s NS" and "e NS" around a sleep.
make_job() {
	cat >"$T/bin/job" <<'SH'
#!/bin/sh
echo "s $(date +%s%N)" >>"$LOG"
sleep "$1"
echo "e $(date +%s%N)" >>"$LOG"
SH
	chmod +x "$T/bin/job"
}

max_running() {
	sort -k2,2n "$LOG" | awk '$1 == "s" { n++; if (n > m) m = n } $1 == "e" { n-- } END { print m + 0 }'
}

# leases N [patience options...]: 4 lease examples and 4 patience
# --concurrency N runs of job at once on test:library:pool.
leases() {
	local n=$1 i pids=()
	shift
	make_job
	for ((i = 0; i < 4; i++)); do
		"$EX/lease" test:library:pool "$n" job 0.3 2>>"$T/clients.err" 3>&- &
		pids+=("$!")
		"$PT_BIN/patience" -a 1 -q --concurrency "$n" --daemon --resource-id test:library:pool \
			"$@" -- job 0.3 2>>"$T/clients.err" 3>&- &
		pids+=("$!")
	done
	BG_PIDS+=("${pids[@]}")
	for i in "${pids[@]}"; do wait "$i" || echo "exit $?" >>"$T/clients.err"; done
}

@test "the lease example and patience --concurrency 2 through one daemon: never more than 2 at once" {
	start_daemon
	leases 2
	[ "$(grep -c '^s ' "$LOG")" -eq 8 ]
	run max_running
	echo "at most $output running at once" >&3
	[ "$output" -eq 2 ]
	[[ ! -s $T/clients.err ]]
}

@test "the lease example and patience --concurrency 2 without a daemon: the lock files, never more than 2" {
	leases 2 --no-daemon-auto-start
	[ "$(grep -c '^s ' "$LOG")" -eq 8 ]
	run max_running
	echo "at most $output running at once" >&3
	[ "$output" -eq 2 ]
}

@test "installed: the examples build against the prefix with pkg-config and share the limit with patience" {
	local prefix="$T/prefix" lib exported declared
	run env -u DESTDIR cmake --install "$PT_BUILD" --prefix "$prefix"
	assert_status 0
	lib=$(find "$prefix" -name libpatience.so.1)
	[[ -L $lib && -L ${lib%.1} && -f $(readlink -f "$lib") ]]
	run objdump -p "$lib"
	assert_contains "$output" "SONAME               libpatience.so.1"
	# only the public API is exported: every PT_EXPORT function, nothing else
	exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort)
	declared=$(sed -n 's/^PT_EXPORT [^(]*[ *]\(pt_[a-z_]*\)(.*/\1/p' \
		"$prefix"/include/patience/*.h | sort)
	[ -n "$declared" ]
	[ "$exported" = "$declared" ]
	[ "$(ls "$prefix/include/patience")" = "$(printf 'error.h\npatience.h\nversion.h')" ]
	[[ -f $prefix/share/man/man3/libpatience.3 && -f $prefix/share/man/man3/pt_limiter_wait.3 ]]
	# a sanitizer build's library wants programs built with the sanitizers
	if ldd "$lib" | grep -q libasan; then
		export CFLAGS="-O1 -fsanitize=address,undefined"
	fi
	run "$PT_SRC/scripts/build-examples" "$prefix" "$T/ex"
	echo "$output" >&3
	assert_status 0
	export LD_LIBRARY_PATH="${lib%/*}"
	run ldd "$T/ex/rate_limited_run"
	assert_contains "$output" "libpatience.so.1 => $lib"
	start_daemon
	EX="$T/ex"
	both 5 5
	run "$PT_BIN/window_check" 5 1000 "$LOG"
	assert_status 0
	assert_contains "$output" "starts 10,"
}
