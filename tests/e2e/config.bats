#!/usr/bin/env bats
# Configuration layers: flag > env PATIENCE_* > ./.patience.toml >
# ./patience.toml > $XDG_CONFIG_HOME/patience/config.toml > defaults;
# --config FILE; --debug-config; errors naming file, line and key.
# HOME and XDG_CONFIG_HOME point into the test's temp dir (see helpers).

load helpers

user_config() {
	mkdir -p "$XDG_CONFIG_HOME/patience"
	printf '%b' "$1" >"$XDG_CONFIG_HOME/patience/config.toml"
}

# setting KEY: "value (source)" of KEY in the --debug-config output ($stderr)
setting() {
	sed -n "s/^\[config\]   $1 *= \(.*[^ ]\) *(\(.*\))\$/\1 (\2)/p" <<<"$stderr" | sed 's/  */ /g'
}

debug_config() {
	run --separate-stderr "$PT_BIN/patience" "$@" --debug-config
}

@test "--debug-config without a command prints every setting with 'default' and exits 0" {
	debug_config
	assert_status 0
	assert_eq "$output" ""
	assert_eq "$(setting attempts)" "3 (default)"
	assert_eq "$(setting backoff)" "exponential (default)"
	assert_eq "$(setting kill_after)" "5s (default)"
	assert_eq "$(setting timeout)" "(unset) (unset)"
	assert_contains "${stderr_lines[0]}" "[config]"
}

@test "user config: \$XDG_CONFIG_HOME/patience/config.toml" {
	user_config 'attempts = 7\ndelay = "20ms"\n'
	debug_config
	assert_status 0
	assert_eq "$(setting attempts)" "7 ($XDG_CONFIG_HOME/patience/config.toml:1)"
	assert_eq "$(setting delay)" "20ms ($XDG_CONFIG_HOME/patience/config.toml:2)"
}

@test "user config: ~/.config/patience/config.toml when XDG_CONFIG_HOME is unset or empty" {
	mkdir -p "$HOME/.config/patience"
	printf 'attempts = 6\n' >"$HOME/.config/patience/config.toml"
	unset XDG_CONFIG_HOME
	debug_config
	assert_eq "$(setting attempts)" "6 ($HOME/.config/patience/config.toml:1)"
	XDG_CONFIG_HOME='' debug_config
	assert_eq "$(setting attempts)" "6 ($HOME/.config/patience/config.toml:1)"
}

@test "./patience.toml beats the user config" {
	user_config 'attempts = 7\ndelay = "20ms"\n'
	printf '\nattempts = 5\n' >patience.toml
	debug_config
	assert_eq "$(setting attempts)" "5 (patience.toml:2)"
	assert_eq "$(setting delay)" "20ms ($XDG_CONFIG_HOME/patience/config.toml:2)"
}

@test "./.patience.toml beats ./patience.toml" {
	printf 'attempts = 5\nbackoff = "fixed"\n' >patience.toml
	printf '# a comment\nattempts = 4\n' >.patience.toml
	debug_config
	assert_eq "$(setting attempts)" "4 (.patience.toml:2)"
	assert_eq "$(setting backoff)" "fixed (patience.toml:2)"
}

@test "environment PATIENCE_* beats the config files" {
	user_config 'attempts = 7\n'
	printf 'attempts = 4\n' >.patience.toml
	PATIENCE_ATTEMPTS=6 debug_config
	assert_status 0
	assert_eq "$(setting attempts)" "6 (env PATIENCE_ATTEMPTS)"
}

@test "a flag beats everything" {
	user_config 'attempts = 7\n'
	printf 'attempts = 4\n' >.patience.toml
	PATIENCE_ATTEMPTS=6 debug_config -a 2
	assert_eq "$(setting attempts)" "2 (flag --attempts)"
	PATIENCE_TIMEOUT=5s debug_config --timeout 1s
	assert_eq "$(setting timeout)" "1s (flag --timeout)"
}

@test "the layers really drive a run, not only --debug-config" {
	user_config 'backoff = "fixed"\ndelay = "10ms"\nattempts = 9\n'
	printf 'attempts = 4\n' >.patience.toml
	run --separate-stderr patience -- fail_then_succeed 10
	assert_status 1
	assert_eq "$(calls)" 4
	rm -f "$COUNTER"
	PATIENCE_ATTEMPTS=3 run --separate-stderr patience -- fail_then_succeed 10
	assert_eq "$(calls)" 3
	rm -f "$COUNTER"
	PATIENCE_ATTEMPTS=3 run --separate-stderr patience -a 2 -- fail_then_succeed 10
	assert_eq "$(calls)" 2
}

@test "environment variables set strategy and options" {
	PATIENCE_BACKOFF=fixed PATIENCE_DELAY=10ms PATIENCE_ATTEMPTS=2 PATIENCE_QUIET=true \
		run --separate-stderr patience -- fail_then_succeed 1
	assert_status 0
	assert_eq "$(calls)" 2
	assert_eq "$stderr" ""
	PATIENCE_BACKOFF=fib run --separate-stderr patience -a 2 --dry-run
	assert_contains "${lines[0]}" "strategy: fibonacci"
}

@test "config values of other strategies are not errors (one file serves all)" {
	user_config 'delay = "10ms"\nbase_delay = "20ms"\nmultiplier = 3.0\nexponent = 3.0\nincrement = "30ms"\n'
	run --separate-stderr patience fixed -a 2 --dry-run
	assert_status 0
	assert_contains "$output" "then wait 10ms"
	run --separate-stderr patience exp -a 3 --dry-run
	assert_status 0
	assert_contains "$output" "then wait 20ms"
	assert_contains "$output" "then wait 60ms"
	PATIENCE_DELAY=10ms run --separate-stderr patience lin -a 2 --dry-run
	assert_status 0
	assert_contains "$output" "then wait 30ms"
}

@test "booleans, patterns and codes from a config file" {
	printf 'backoff = "fixed"\ndelay = "10ms"\nattempts = 3\nquiet = true\nsuccess_pattern = "^READY$"\ncase_insensitive = true\nretry_on = "1,75"\n' >.patience.toml
	run --separate-stderr patience -- sh -c 'echo x >> tries; echo ready; exit 9'
	assert_status 0
	assert_eq "$stderr" ""
	assert_eq "$(wc -l <tries)" 1
	run --separate-stderr patience -- sh -c 'echo x >> tries2; exit 9'
	assert_status 9
	assert_eq "$(wc -l <tries2)" 1
}

@test "[patience] table: max_attempts and default_strategy" {
	user_config '[patience]\nmax_attempts = 8\ndefault_strategy = "fib"\n'
	debug_config --dry-run
	assert_status 0
	assert_contains "$output" "strategy: fibonacci"
	assert_contains "$output" "8 attempts"
}

@test "--config FILE reads only FILE" {
	user_config 'delay = "20ms"\n'
	printf 'backoff = "fixed"\n' >.patience.toml
	printf 'backoff = "linear"\n' >patience.toml
	printf 'attempts = 9\n' >only.toml
	debug_config --config only.toml
	assert_status 0
	assert_eq "$(setting attempts)" "9 (only.toml:1)"
	assert_eq "$(setting backoff)" "exponential (default)"
	assert_eq "$(setting delay)" "1s (default)"
}

@test "--config FILE: environment and flags still win over it" {
	printf 'attempts = 9\ntimeout = "3s"\n' >only.toml
	PATIENCE_ATTEMPTS=4 debug_config --config only.toml -t 1s
	assert_eq "$(setting attempts)" "4 (env PATIENCE_ATTEMPTS)"
	assert_eq "$(setting timeout)" "1s (flag --timeout)"
}

@test "--config with a missing file: 125" {
	run --separate-stderr patience --config nope.toml -- touch ran
	assert_status 125
	assert_contains "$stderr" "nope.toml"
	[[ ! -e ran ]]
}

@test "unknown key: 125 naming file, line and key" {
	printf 'attempts = 2\n\nbogus_key = 1\n' >.patience.toml
	run --separate-stderr patience fixed -d 10ms -- touch ran
	assert_status 125
	assert_contains "$stderr" ".patience.toml:3"
	assert_contains "$stderr" "bogus_key"
	[[ ! -e ran ]]
}

@test "unknown key in the user config and in --config: 125 naming file, line and key" {
	user_config 'attempts = 2\nnot_a_setting = "x"\n'
	run --separate-stderr patience -- true
	assert_status 125
	assert_contains "$stderr" "$XDG_CONFIG_HOME/patience/config.toml:2"
	assert_contains "$stderr" "not_a_setting"
	printf '[daemon]\nsocket_path = "/tmp/x"\nno_such = 1\n' >mine.toml
	run --separate-stderr patience --config mine.toml -- true
	assert_status 125
	assert_contains "$stderr" "mine.toml:3"
	assert_contains "$stderr" "no_such"
}

@test "bad value type: 125 naming file, line and key" {
	printf 'backoff = "fixed"\nattempts = "many"\n' >.patience.toml
	run --separate-stderr patience -- touch ran
	assert_status 125
	assert_contains "$stderr" ".patience.toml:2"
	assert_contains "$stderr" '"attempts"'
	[[ ! -e ran ]]
	printf 'quiet = "yes"\n' >.patience.toml
	run --separate-stderr patience -- true
	assert_status 125
	assert_contains "$stderr" ".patience.toml:1"
	assert_contains "$stderr" "quiet"
}

@test "bad value: 125 naming file, line, key and the value" {
	printf '\n\ndelay = "5x"\n' >.patience.toml
	run --separate-stderr patience fixed -- true
	assert_status 125
	assert_contains "$stderr" ".patience.toml:3"
	assert_contains "$stderr" "delay"
	assert_contains "$stderr" "5x"
	printf 'attempts = 0\n' >.patience.toml
	run --separate-stderr patience -- true
	assert_status 125
	assert_contains "$stderr" ".patience.toml:1"
	assert_contains "$stderr" "attempts"
}

@test "TOML syntax error: 125 naming the file and the line" {
	printf 'attempts = 2\ndelay = \n' >.patience.toml
	run --separate-stderr patience -- touch ran
	assert_status 125
	assert_contains "$stderr" ".patience.toml"
	[[ $stderr =~ \.patience\.toml(:| line )2 ]] || [[ $stderr == *"line 2"* ]]
	[[ ! -e ran ]]
}

@test "bad environment value: 125 naming the variable and the value" {
	PATIENCE_ATTEMPTS=abc run --separate-stderr patience -- touch ran
	assert_status 125
	assert_contains "$stderr" "PATIENCE_ATTEMPTS"
	assert_contains "$stderr" "abc"
	[[ ! -e ran ]]
	PATIENCE_DELAY=5x run --separate-stderr patience fixed -- true
	assert_status 125
	assert_contains "$stderr" "PATIENCE_DELAY"
}

@test "--debug-config with a command prints the settings and runs it" {
	run --separate-stderr patience -a 1 --debug-config -- echo hello
	assert_status 0
	assert_eq "$output" "hello"
	assert_contains "$stderr" "flag --attempts"
}
