#!/usr/bin/env bats
# What every attempt sees: PATIENCE_* variables, the rest of the
# environment, stdin (inherited or replayed), signal dispositions.

load helpers

UUID4_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

@test "PATIENCE_ATTEMPT counts from 1, PATIENCE_MAX_ATTEMPTS is -a" {
	run --separate-stderr patience fixed -q -d 10ms -a 3 -- \
		sh -c 'echo "$PATIENCE_ATTEMPT/$PATIENCE_MAX_ATTEMPTS"; exit 1'
	assert_status 1
	assert_eq "$output" $'1/3\n2/3\n3/3'
}

@test "PATIENCE_IDEMPOTENCY_KEY: a UUIDv4, the same for every attempt of a run" {
	run --separate-stderr patience fixed -q -d 10ms -a 3 -- \
		sh -c 'echo "$PATIENCE_IDEMPOTENCY_KEY"; exit 1'
	assert_status 1
	assert_eq "${#lines[@]}" 3
	[[ ${lines[0]} =~ $UUID4_RE ]]
	assert_eq "${lines[1]}" "${lines[0]}"
	assert_eq "${lines[2]}" "${lines[0]}"
}

@test "PATIENCE_IDEMPOTENCY_KEY differs between runs" {
	local keys=() i
	for i in 1 2 3; do
		run --separate-stderr patience -q -a 1 -- sh -c 'echo "$PATIENCE_IDEMPOTENCY_KEY"'
		assert_status 0
		[[ $output =~ $UUID4_RE ]]
		keys+=("$output")
	done
	[[ ${keys[0]} != "${keys[1]}" && ${keys[1]} != "${keys[2]}" && ${keys[0]} != "${keys[2]}" ]]
}

@test "--idempotency-key sets the key for every attempt" {
	run --separate-stderr patience fixed -q -d 10ms -a 2 --idempotency-key abc -- \
		sh -c 'echo "$PATIENCE_IDEMPOTENCY_KEY"; exit 1'
	assert_status 1
	assert_eq "$output" $'abc\nabc'
}

@test "--idempotency-key: empty or longer than 36 characters is a usage error" {
	run --separate-stderr patience --idempotency-key "" -- true
	assert_status 125
	assert_contains "$stderr" "--idempotency-key"
	run --separate-stderr patience --idempotency-key "$(printf 'k%.0s' {1..37})" -- true
	assert_status 125
	assert_contains "$stderr" "--idempotency-key"
	run --separate-stderr patience -q --idempotency-key "$(printf 'k%.0s' {1..36})" -- \
		sh -c 'echo "$PATIENCE_IDEMPOTENCY_KEY"'
	assert_status 0
	assert_eq "${#output}" 36
}

@test "PATIENCE_* values inherited from outside are replaced, not duplicated" {
	PATIENCE_ATTEMPT=99 PATIENCE_MAX_ATTEMPTS=77 PATIENCE_IDEMPOTENCY_KEY=stale \
		run --separate-stderr patience fixed -q -d 10ms -a 2 -- \
		sh -c 'env | grep "^PATIENCE_" | sort; exit 1'
	assert_status 1
	assert_eq "$(grep -c '^PATIENCE_ATTEMPT=' <<<"$output")" 2
	assert_eq "$(grep -c '^PATIENCE_MAX_ATTEMPTS=2$' <<<"$output")" 2
	refute_contains "$output" "PATIENCE_ATTEMPT=99"
	refute_contains "$output" "PATIENCE_MAX_ATTEMPTS=77"
	refute_contains "$output" "stale"
	assert_contains "$output" "PATIENCE_ATTEMPT=1"
	assert_contains "$output" "PATIENCE_ATTEMPT=2"
}

@test "the rest of the environment reaches the command" {
	E2E_SOME_VAR='a b=c' run --separate-stderr patience -q -a 1 -- sh -c 'printf "%s" "$E2E_SOME_VAR"'
	assert_status 0
	assert_eq "$output" 'a b=c'
}

@test "arguments reach the command unchanged" {
	run --separate-stderr patience -q -a 1 -- printf '[%s]' 'a b' '' '*' '$HOME' '--' '-a'
	assert_status 0
	assert_eq "$output" '[a b][][*][$HOME][--][-a]'
}

@test "the command runs in patience's working directory" {
	mkdir sub
	cd sub
	run --separate-stderr patience -q -a 1 -- pwd
	assert_status 0
	assert_eq "$output" "$T/sub"
}

@test "stdin is inherited by default: the first attempt reads it" {
	printf 'line1\nline2\n' >input
	run --separate-stderr patience fixed -q -d 10ms -a 3 -- \
		sh -c 'cat > "in.$PATIENCE_ATTEMPT"; exit 1' <input
	assert_status 1
	cmp input in.1
	[[ -f in.2 && ! -s in.2 ]]
	[[ -f in.3 && ! -s in.3 ]]
}

@test "--replay-stdin: every attempt gets the same bytes, binary included" {
	head -c 300000 /dev/urandom >input
	printf '\0\n\r\nlast line without newline' >>input
	run --separate-stderr patience fixed -q -d 10ms -a 3 --replay-stdin -- \
		sh -c 'cat > "in.$PATIENCE_ATTEMPT"; exit 1' <input
	assert_status 1
	cmp input in.1
	cmp input in.2
	cmp input in.3
}

@test "--replay-stdin: an attempt that reads only part does not spoil the next" {
	head -c 1000000 /dev/urandom >input
	run --separate-stderr patience fixed -q -d 10ms -a 3 --replay-stdin -- \
		sh -c 'if [ "$PATIENCE_ATTEMPT" -lt 3 ]; then head -c 10 > "in.$PATIENCE_ATTEMPT"; exit 1; fi; cat > in.3' <input
	assert_status 0
	assert_eq "$(wc -c <in.1)" 10
	assert_eq "$(wc -c <in.2)" 10
	cmp input in.3
}

@test "--replay-stdin: a command that never reads stdin does not hang patience" {
	head -c 1000000 /dev/urandom >input
	local t0 t1
	t0=$(now_ms)
	run --separate-stderr patience fixed -q -d 10ms -a 3 --replay-stdin -- sh -c 'exit 1' <input
	t1=$(now_ms)
	assert_status 1
	assert_between $((t1 - t0)) 0 5000
}

@test "--replay-stdin with empty stdin gives every attempt EOF" {
	run --separate-stderr patience fixed -q -d 10ms -a 2 --replay-stdin -- \
		sh -c 'cat > "in.$PATIENCE_ATTEMPT"; exit 1' </dev/null
	assert_status 1
	[[ -f in.1 && ! -s in.1 ]]
	[[ -f in.2 && ! -s in.2 ]]
}

@test "stdout and stderr of the command pass through untouched (no patterns)" {
	head -c 100000 /dev/urandom >data
	patience -q -a 1 -- sh -c 'cat data; cat data >&2' >out 2>err
	cmp data out
	cmp data err
}

@test "the command starts with default signal dispositions and no blocked signals" {
	# patience itself may inherit ignored signals (nohup, background jobs)
	run --separate-stderr bash -c 'trap "" INT TERM HUP PIPE; exec "$PT_BIN/patience" -q -a 1 -- cat /proc/self/status'
	assert_status 0
	local ign blk
	ign=$(sed -n 's/^SigIgn:[[:space:]]*//p' <<<"$output")
	blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' <<<"$output")
	# SIGHUP=1 SIGINT=2 SIGPIPE=13 SIGTERM=15
	assert_eq $((0x$ign & ((1 << 0) | (1 << 1) | (1 << 12) | (1 << 14)))) 0
	assert_eq $((0x$blk)) 0
}

@test "a command killed by SIGPIPE downstream is normal: yes | head works" {
	run --separate-stderr patience -q -a 1 -t 5s -- sh -c 'yes | head -n 2'
	assert_status 0
	assert_eq "$output" $'y\ny'
}

@test "--replay-stdin with stdin closed does not read patience's own pipe" {
	# (bats' run does not pass a closed fd 0 through: close it in bash)
	run --separate-stderr bash -c 'exec "$PT_BIN/patience" -q -a 1 --replay-stdin -- sh -c "cat > in; echo ran" <&-' 
	refute_contains "$stderr" "temporarily unavailable"
	# either a closed stdin counts as empty input, or patience says it is closed
	if [[ $status -eq 0 ]]; then
		assert_eq "$output" ran
		[[ -f in && ! -s in ]]
	else
		assert_status 125
		[[ $stderr == *"Bad file descriptor"* || $stderr == *closed* ]]
	fi
}

@test "a signal while --replay-stdin is still reading stdin ends patience at once" {
	mkfifo fifo
	# a writer that keeps the fifo open (no EOF) for 4 s
	sleep 4 >fifo 3>&- &
	BG_PIDS+=($!)
	local t0 t1
	t0=$(now_ms)
	"$PT_BIN/patience" -a 1 --replay-stdin -- sh -c 'echo x >> tries' <fifo >"$T/bg.out" 2>"$T/bg.err" 3>&- &
	BG=$!
	sleep 0.3
	kill -TERM "$BG"
	wait_bg
	t1=$(now_ms)
	assert_eq "$BG_RC" 143
	assert_between $((t1 - t0)) 0 2500
	[[ ! -e tries ]]
}
