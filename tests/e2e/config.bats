#!/usr/bin/env bats
# Configuration layers: flag > env PATIENCE_* > ./.patience.toml >
# ./patience.toml > $XDG_CONFIG_HOME/patience/config.toml > defaults;
# --config FILE, PATIENCE_CONFIG_FILE and RPR_CONFIG_FILE; YAML files;
# --debug-config; errors naming file, line and key.
# HOME and XDG_CONFIG_HOME point into the test's temp dir (see helpers).

load helpers

rpr() { "$PT_BIN/rpr" "$@"; }

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

# ---- YAML files and the *_CONFIG_FILE variables ----

@test "--config x.yaml: YAML, with the TOML file's keys and lines" {
	printf '# YAML\nattempts: 6\ndelay: 20ms\nquiet: true\ndaemon:\n  log_level: debug\n' >x.yaml
	debug_config --config x.yaml
	assert_status 0
	assert_eq "$(setting attempts)" "6 (x.yaml:2)"
	assert_eq "$(setting delay)" "20ms (x.yaml:3)"
	assert_eq "$(setting quiet)" "true (x.yaml:4)"
	assert_eq "$(setting daemon.log_level)" "debug (x.yaml:6)"
	printf 'attempts: 2\n' >x.yml
	debug_config --config x.yml
	assert_eq "$(setting attempts)" "2 (x.yml:1)"
}

@test "YAML: the spec's tools: layout sets [patience] and [repeater]" {
	printf 'tools:\n  patience:\n    max_attempts: 5\n    default_strategy: fib\n  repeater:\n    default_interval: 30s\n' >t.yaml
	debug_config --config t.yaml --dry-run
	assert_status 0
	assert_eq "$(setting attempts)" "5 (t.yaml:3)"
	assert_eq "$(setting repeater.default_interval)" "30s (t.yaml:6)"
	assert_contains "$output" "strategy: fibonacci"
	printf 'tools:\n  patience: {}\n  rpr: {}\n' >t.yaml
	run --separate-stderr patience --config t.yaml -- true
	assert_status 125
	assert_eq "$stderr" 'patience: t.yaml:3: key "tools.rpr": unknown tool: expected patience or repeater'
}

@test "default locations: config.yaml beside config.toml, patience.yaml and .patience.yaml" {
	mkdir -p "$XDG_CONFIG_HOME/patience"
	printf 'attempts: 7\ndelay: 20ms\nbackoff: linear\n' >"$XDG_CONFIG_HOME/patience/config.yaml"
	printf 'backoff: fixed\nattempts: 5\n' >patience.yaml
	printf '\nattempts: 4\n' >.patience.yaml
	debug_config
	assert_status 0
	assert_eq "$(setting delay)" "20ms ($XDG_CONFIG_HOME/patience/config.yaml:2)"
	assert_eq "$(setting backoff)" "fixed (patience.yaml:1)"
	assert_eq "$(setting attempts)" "4 (.patience.yaml:2)"
	rm -r "$XDG_CONFIG_HOME"
	mkdir -p "$HOME/.config/patience"
	printf 'timeout: 3s\n' >"$HOME/.config/patience/config.yaml"
	unset XDG_CONFIG_HOME
	debug_config
	assert_eq "$(setting timeout)" "3s ($HOME/.config/patience/config.yaml:1)"
}

@test "config.toml and config.yaml in one place: 125 naming both" {
	user_config 'attempts = 7\n'
	printf 'attempts: 7\n' >"$XDG_CONFIG_HOME/patience/config.yaml"
	run --separate-stderr patience -- touch ran
	assert_status 125
	assert_eq "$stderr" "patience: both $XDG_CONFIG_HOME/patience/config.toml and $XDG_CONFIG_HOME/patience/config.yaml exist: keep one"
	[[ ! -e ran ]]
	rm -r "$XDG_CONFIG_HOME/patience"
	printf 'attempts = 2\n' >.patience.toml
	printf 'attempts: 2\n' >.patience.yaml
	run --separate-stderr rpr count -t 1 -- true
	assert_status 2
	assert_eq "$stderr" "rpr: both .patience.toml and .patience.yaml exist: keep one"
}

@test "a bad YAML file: one line naming path and line, 125, nothing run" {
	printf 'attempts: 2\ndelay: 1s\nattempts: 3\n' >.patience.yaml
	run --separate-stderr patience -- touch ran
	assert_status 125
	assert_eq "$stderr" 'patience: .patience.yaml:3: key "attempts": defined twice (first on line 1)'
	[[ ! -e ran ]]
	printf 'attempts: 2\nbogus: [1\n' >.patience.yaml
	run --separate-stderr patience -- touch ran
	assert_status 125
	assert_eq "${#stderr_lines[@]}" 1
	[[ $stderr == "patience: .patience.yaml:2: "* ]]
	printf 'quiet: yes\n' >.patience.yaml
	run --separate-stderr patience -- touch ran
	assert_status 125
	assert_eq "$stderr" 'patience: .patience.yaml:1: key "quiet": expected true or false, got string'
	printf 'base: &b 1\nattempts: *b\n' >.patience.yaml
	run --separate-stderr patience -- touch ran
	assert_status 125
	assert_contains "$stderr" "patience: .patience.yaml:1: key \"base\": anchors (&) and aliases (*) are not supported"
	[[ ! -e ran ]]
}

@test "PATIENCE_CONFIG_FILE: read instead of the default files; --config beats it" {
	user_config 'delay = "20ms"\n'
	printf 'backoff = "fixed"\n' >.patience.toml
	printf 'attempts: 9\n' >env.yaml
	printf 'attempts = 8\n' >flag.toml
	PATIENCE_CONFIG_FILE=env.yaml debug_config
	assert_status 0
	assert_eq "$(setting attempts)" "9 (env.yaml:1)"
	assert_eq "$(setting backoff)" "exponential (default)"
	assert_eq "$(setting delay)" "1s (default)"
	PATIENCE_CONFIG_FILE=env.yaml debug_config --config flag.toml
	assert_eq "$(setting attempts)" "8 (flag.toml:1)"
	PATIENCE_CONFIG_FILE=env.yaml PATIENCE_ATTEMPTS=3 debug_config
	assert_eq "$(setting attempts)" "3 (env PATIENCE_ATTEMPTS)"
	PATIENCE_CONFIG_FILE= debug_config # empty: as unset
	assert_eq "$(setting backoff)" "fixed (.patience.toml:1)"
}

@test "PATIENCE_CONFIG_FILE naming a missing file: 125, as --config" {
	PATIENCE_CONFIG_FILE=nope.yaml run --separate-stderr patience -- touch ran
	assert_status 125
	assert_eq "$stderr" 'patience: config file "nope.yaml" named by PATIENCE_CONFIG_FILE does not exist'
	[[ ! -e ran ]]
	PATIENCE_CONFIG_FILE=nope.yaml run --separate-stderr "$PT_BIN/patience-daemon" --check-config
	assert_status 125
	assert_contains "$stderr" 'config file "nope.yaml" named by PATIENCE_CONFIG_FILE does not exist'
}

@test "RPR_CONFIG_FILE for rpr, falling back to PATIENCE_CONFIG_FILE; --config beats both" {
	# Each file has a key of its own that is wrong: the error names the file read.
	printf 'repeater:\n  bad_r: 1\n' >r.yaml
	printf 'repeater:\n  bad_p: 1\n' >p.yaml
	printf '[repeater]\nbad_f = 1\n' >f.toml
	RPR_CONFIG_FILE=r.yaml PATIENCE_CONFIG_FILE=p.yaml run --separate-stderr rpr count -t 1 -- true
	assert_status 2
	assert_eq "$stderr" 'rpr: r.yaml:2: unknown key "repeater.bad_r"'
	PATIENCE_CONFIG_FILE=p.yaml run --separate-stderr rpr count -t 1 -- true
	assert_eq "$stderr" 'rpr: p.yaml:2: unknown key "repeater.bad_p"'
	RPR_CONFIG_FILE=r.yaml run --separate-stderr rpr count -t 1 --config f.toml -- true
	assert_eq "$stderr" 'rpr: f.toml:2: unknown key "repeater.bad_f"'
	RPR_CONFIG_FILE=gone.yaml run --separate-stderr rpr count -t 1 -- true
	assert_status 2
	assert_eq "$stderr" 'rpr: config file "gone.yaml" named by RPR_CONFIG_FILE does not exist'
	# patience itself does not read RPR_CONFIG_FILE.
	RPR_CONFIG_FILE=r.yaml run --separate-stderr patience -- true
	assert_status 0
	# A good one is used: quiet from the file.
	printf 'quiet: true\n' >q.yaml
	RPR_CONFIG_FILE=q.yaml run --separate-stderr rpr count -t 1 -- true
	assert_status 0
	assert_eq "$stderr" ""
}

@test "patience-daemon reads PATIENCE_CONFIG_FILE and YAML: --check-config" {
	printf 'rate_limiting:\n  resources:\n    "api:external:*": {limit: 100, window: 1m}\n    "cmd:local:x":\n      concurrency: 2\n' >d.yaml
	PATIENCE_CONFIG_FILE=d.yaml run "$PT_BIN/patience-daemon" --check-config
	assert_status 0
	assert_eq "$output" "configuration OK (2 resource limits)"
	printf 'rate_limiting:\n  resources:\n    "api:x:y": {limit: 0, window: 1m}\n' >bad.yaml
	PATIENCE_CONFIG_FILE=d.yaml run --separate-stderr "$PT_BIN/patience-daemon" --check-config --config bad.yaml
	assert_status 125
	assert_contains "$stderr" 'bad.yaml:3: key "rate_limiting.resources.api:x:y"'
}
